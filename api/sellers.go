package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
)

type sellerRequest struct {
	Name  string `json:"name"`
	Admin bool   `json:"admin"`
}

// newSellerView is a created seller with its API key, shown this once:
// only its hash is stored.
type newSellerView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"`
	APIKey    string    `json:"api_key"`
	CreatedAt time.Time `json:"created_at"`
}

// createSeller creates a seller (or, with admin, another operator) and
// answers its API key, once.
func (s *Server) createSeller(c *gin.Context) {
	var req sellerRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := checkToken("name", req.Name); err != nil {
		writeError(c, s.log, err)
		return
	}
	seller, key, err := s.store.CreateSeller(c.Request.Context(), atelier.Seller{Name: req.Name, Admin: req.Admin}, "")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// The key is a secret: no cache may keep the response.
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, newSellerView{ID: seller.ID, Name: seller.Name, Admin: seller.Admin, APIKey: key, CreatedAt: seller.CreatedAt})
}
