package api

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/ratelimit"
)

// Limits against abuse and slow clients (docs/limits.md). Every route
// under /api/v1 gets a deadline and a body limit; requests without an API
// key are rate-limited per client address, requests with one per seller
// (operators are not limited).

// uploadRoutes take a file: they get the upload body limit and
// Limits.UploadTimeout instead of the JSON limit and RequestTimeout.
var uploadRoutes = map[string]bool{"POST /api/v1/items": true, "POST /api/v1/backgrounds": true}

// maxJSONDepth bounds the nesting of JSON request bodies: ours nest three
// deep at most.
const maxJSONDepth = 32

// requestLimits puts the route's deadline on the request's context (which
// handlers pass to every database and blob call), extends the connection's
// read and write deadlines for uploads, and bounds the body.
func (s *Server) requestLimits(c *gin.Context) {
	timeout, limit := s.limits.RequestTimeout, s.limits.MaxJSONBytes
	if uploadRoutes[c.Request.Method+" "+c.FullPath()] {
		timeout, limit = s.limits.UploadTimeout, s.limits.MaxUploadBytes+formSlack
		if timeout > 0 {
			// The server's read and write timeouts are for small
			// requests; a large photo on a slow link gets longer.
			// (Errors: a connection that cannot have deadlines, such as
			// a test recorder's, keeps the server's.)
			rc := http.NewResponseController(c.Writer)
			_ = rc.SetReadDeadline(time.Now().Add(timeout))
			_ = rc.SetWriteDeadline(time.Now().Add(timeout + 10*time.Second))
		}
	}
	if c.Request.ContentLength > limit {
		writeError(c, s.log, atelier.Errorf(atelier.KindTooLarge, "the request body is larger than the limit of %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	if timeout > 0 {
		ctx, cancel := context.WithTimeout(c.Request.Context(), timeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
	}
	c.Next()
}

// rateLimiters are the token buckets of one server.
type rateLimiters struct {
	anon   *ratelimit.Limiter // by client address
	seller *ratelimit.Limiter // by seller id
}

func newRateLimiters(l Limits, now func() time.Time) rateLimiters {
	return rateLimiters{anon: ratelimit.New(l.RateAnon, 0, now), seller: ratelimit.New(l.RateSeller, 0, now)}
}

// rateLimit lets a request through if its bucket has a token: the seller's
// when authenticate found one (operators are not limited), else the
// client address's. It runs after authenticate.
func (s *Server) rateLimit(c *gin.Context) {
	var ok bool
	var wait time.Duration
	if seller, found := sellerOf(c); found {
		if seller.Admin {
			c.Next()
			return
		}
		ok, wait = s.rates.seller.Allow(seller.ID)
	} else {
		ok, wait = s.rates.anon.Allow(clientKey(c))
	}
	if !ok {
		writeError(c, s.log, tooManyRequests(wait))
		return
	}
	c.Next()
}

func tooManyRequests(wait time.Duration) error {
	return atelier.RateLimitedf(wait, "too many requests; retry after %s", retryAfterSeconds(wait)+"s")
}

// retryAfterSeconds is a wait as Retry-After's whole seconds, rounded up
// so that a client that waits that long finds a token: at least 1.
func retryAfterSeconds(wait time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(wait.Seconds()))), 10)
}

// clientKey is the client address that limits count against: the
// connection's peer, or the client X-Forwarded-For names when the peer
// is a trusted proxy (Deps.TrustedProxies; none by default, so a client
// cannot pick its own address). IPv6 clients are counted by /64, the
// block one subscriber usually holds.
func clientKey(c *gin.Context) string {
	raw := c.ClientIP()
	ip := net.ParseIP(raw)
	switch {
	case ip == nil:
		if len(raw) > 64 {
			raw = raw[:64]
		}
		return raw
	case ip.To4() != nil:
		return ip.To4().String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// checkJSONDepth refuses JSON nested deeper than maxJSONDepth before it is
// decoded, so that a body of a million brackets costs one pass over its
// bytes.
func checkJSONDepth(body []byte) error {
	depth, inString, escaped := 0, false, false
	for _, b := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			if depth++; depth > maxJSONDepth {
				return atelier.Errorf(atelier.KindInvalid, "the request body nests deeper than %d levels", maxJSONDepth)
			}
		case b == ']' || b == '}':
			depth--
		}
	}
	return nil
}
