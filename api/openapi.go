package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDoc describes every /api/v1 route (a test checks that it lists
// exactly the routes the router has).
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the OpenAPI 3 document.
func (s *Server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDoc)
}
