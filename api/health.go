package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Checker is a dependency whose reachability decides readiness (the
// database, the blob store).
type Checker interface {
	Ping(ctx context.Context) error
}

// Check names a Checker for /readyz.
type Check struct {
	Name    string
	Checker Checker
}

// healthz answers as long as the process serves HTTP.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 when every dependency answers, else 503 naming the ones
// that do not (without their error text, which is logged).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	status := http.StatusOK
	parts := make(map[string]string, len(s.checks))
	for _, chk := range s.checks {
		if err := chk.Checker.Ping(ctx); err != nil {
			status = http.StatusServiceUnavailable
			parts[chk.Name] = "unreachable"
			s.log.WarnContext(ctx, "readiness check failed", "check", chk.Name, "err", err)
			continue
		}
		parts[chk.Name] = "ok"
	}
	body := gin.H{"status": "ok", "checks": parts}
	if status != http.StatusOK {
		body["status"] = "unavailable"
	}
	c.JSON(status, body)
}
