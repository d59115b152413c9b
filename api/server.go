package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atelier-app/atelier"
)

// Server is the HTTP service. Create it with New; it owns no goroutines until
// Serve is called.
type Server struct {
	log     *slog.Logger
	checks  []Check
	reg     *prometheus.Registry
	metrics *httpMetrics
	router  *gin.Engine
}

// Deps are what the server needs from the rest of the program.
type Deps struct {
	Log    *slog.Logger
	Checks []Check // dependencies that decide readiness
	// BlobHandler serves signed blob URLs under /blobs/ when the blob store
	// is a local directory (MinIO hands out presigned URLs instead).
	BlobHandler http.Handler
}

// New builds the router. Gin's global mode is left to the caller (cmd).
func New(d Deps) *Server {
	s := &Server{log: d.Log, checks: d.Checks, reg: prometheus.NewRegistry()}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newHTTPMetrics(s.reg)

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(requestIDMiddleware(), s.metrics.middleware(), logMiddleware(s.log), recoverMiddleware(s.log))
	r.NoRoute(func(c *gin.Context) {
		writeError(c, s.log, atelier.Errorf(atelier.KindNotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
			Kind: "method_not_allowed", Message: "method " + c.Request.Method + " not allowed here", RequestID: requestID(c)}})
	})
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	if d.BlobHandler != nil {
		r.GET("/blobs/*key", gin.WrapH(d.BlobHandler))
		r.HEAD("/blobs/*key", gin.WrapH(d.BlobHandler))
	}
	s.router = r
	s.routes(r.Group("/api/v1"))
	return s
}

// routes registers the /api/v1 resources.
func (s *Server) routes(v1 *gin.RouterGroup) {
	v1.GET("", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"service": "atelier", "api": "v1"})
	})
}

// Handler returns the server as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.router }

// Serve serves HTTP on ln until ctx is cancelled, then shuts down gracefully,
// giving in-flight requests up to grace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}
