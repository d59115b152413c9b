package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
)

// sellerKey is where authenticate leaves the caller's seller.
const sellerKey = "atelier.seller"

// authenticate reads the seller's API key from "Authorization: Bearer KEY".
// With required, a request without a key is refused (401); without, it
// goes on as an anonymous consumer. A key that is present but wrong is
// always refused: a client that means to authenticate must learn that it
// did not.
func (s *Server) authenticate(required bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		header := c.GetHeader("Authorization")
		if header == "" {
			if required {
				s.unauthorized(c, atelier.Errorf(atelier.KindUnauthorized, "missing API key: send Authorization: Bearer KEY"))
				return
			}
			c.Next()
			return
		}
		scheme, key, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
			s.unauthorized(c, atelier.Errorf(atelier.KindUnauthorized, "the Authorization header must be Bearer KEY"))
			return
		}
		seller, err := s.store.SellerByAPIKey(c.Request.Context(), strings.TrimSpace(key))
		if err != nil {
			s.unauthorized(c, err)
			return
		}
		c.Set(sellerKey, seller)
		c.Next()
	}
}

// unauthorized answers an authentication failure, with the challenge that
// tells the client how to authenticate when it is a 401. A request that
// sent a key pays for its failure from its address's anonymous rate
// limit, so that keys cannot be guessed at full speed.
func (s *Server) unauthorized(c *gin.Context, err error) {
	if c.GetHeader("Authorization") != "" {
		if ok, wait := s.rates.anon.Allow(clientKey(c)); !ok {
			writeError(c, s.log, tooManyRequests(wait))
			return
		}
	}
	if atelier.ErrorKind(err) == atelier.KindUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="atelier"`)
	}
	writeError(c, s.log, err)
}

// requireAdmin lets operators (admin sellers) through and refuses others.
func (s *Server) requireAdmin(c *gin.Context) {
	if seller, ok := sellerOf(c); !ok || !seller.Admin {
		writeError(c, s.log, atelier.Errorf(atelier.KindForbidden, "this operation is for operators only"))
		return
	}
	c.Next()
}

// sellerOf returns the authenticated seller, false for an anonymous caller.
func sellerOf(c *gin.Context) (atelier.Seller, bool) {
	v, ok := c.Get(sellerKey)
	if !ok {
		return atelier.Seller{}, false
	}
	seller, ok := v.(atelier.Seller)
	return seller, ok
}

// scopeOf is what the caller may see: a seller's own records (all of them
// for operators), or only the shared catalog for an anonymous caller.
func scopeOf(c *gin.Context) atelier.Scope {
	if seller, ok := sellerOf(c); ok {
		return seller.Scope()
	}
	return atelier.Scope{}
}
