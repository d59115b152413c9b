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
	"github.com/atelier-app/atelier/internal/ratelimit"
	"github.com/atelier-app/atelier/service/segments"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Server is the HTTP service. Create it with New; it owns no goroutines until
// Serve is called.
type Server struct {
	log     *slog.Logger
	checks  []Check
	reg     *prometheus.Registry
	metrics *httpMetrics
	router  *gin.Engine

	store *storage.Store
	blobs blob.Store
	rec   Recommender
	// segments makes consumer segments with rec.
	segments *segments.Service
	jobs     Jobs
	limits   Limits
	rates    rateLimiters
	timeouts Timeouts
	urlTTL   time.Duration
	probes   int // probe pool size (Deps.ProbePool)
	// backgrounds suggests scenes for items (noBackgrounds: 503).
	backgrounds Backgrounds
}

// Deps are what the server needs from the rest of the program.
type Deps struct {
	Log    *slog.Logger
	Checks []Check // dependencies that decide readiness
	// BlobHandler serves signed blob URLs under /blobs/ when the blob store
	// is a local directory (MinIO hands out presigned URLs instead).
	BlobHandler http.Handler

	// Store and Blobs hold the records and images. Without a Store only
	// the probes, the metrics and the API index are served.
	Store *storage.Store
	Blobs blob.Store
	// Recommender answers taste questions with the active model
	// (*serving.Runtime); nil answers them 503.
	Recommender Recommender
	// Jobs is the background job queue; nil answers job requests 503.
	Jobs   Jobs
	Limits Limits
	// ImageURLTTL is how long the image URLs in responses work (15 min).
	ImageURLTTL time.Duration
	// Pages registers the web pages (ui.Register); nil serves none.
	Pages func(gin.IRoutes)
	// ProbePool is the size of the choice flow's probe pool queued when
	// models are activated (0: none).
	ProbePool int
	// Backgrounds suggests scenes for items (*backgrounds.Service); nil
	// answers background requests 503.
	Backgrounds Backgrounds
	// Timeouts are the HTTP server's (Serve).
	Timeouts Timeouts
	// TrustedProxies are the proxies (IP addresses, CIDR ranges) whose
	// X-Forwarded-For names the client; none by default: the client is
	// the connection's peer.
	TrustedProxies []string
	// Now is the rate limiters' clock (time.Now when nil).
	Now func() time.Time
}

// Timeouts bound how long a connection may take (docs/limits.md). Zero
// leaves one unbounded, except ReadHeader (10 s).
type Timeouts struct {
	ReadHeader time.Duration // to read a request's headers
	Read       time.Duration // to read a whole request (uploads: Limits.UploadTimeout)
	Write      time.Duration // from the end of the headers to the end of the response
	Idle       time.Duration // a kept-alive connection waits this long for its next request
}

// Limits bound what clients may send.
type Limits struct {
	MaxUploadBytes  int64 // largest image file accepted (20 MiB)
	MaxUploadPixels int   // largest width×height accepted, checked before decoding (25 M)
	// MaxReportRedesigns bounds the redesigns one request from a report
	// may queue (20).
	MaxReportRedesigns int
	// MaxJSONBytes bounds JSON request bodies (1 MiB).
	MaxJSONBytes int64

	// RateAnon limits the requests without an API key per client
	// address, RateSeller those with one per seller (zero: no limit).
	RateAnon, RateSeller ratelimit.Rate
	// SessionsPerClient caps the choice sessions one client address
	// holds: those active within SessionTTL (0: no cap).
	SessionsPerClient int
	SessionTTL        time.Duration
	// RequestTimeout is the deadline of a request's work, its database
	// and blob calls included; UploadTimeout that of an upload, which
	// also gets that long to send its body (zero: none).
	RequestTimeout, UploadTimeout time.Duration
}

// New builds the router. Gin's global mode is left to the caller (cmd).
func New(d Deps) *Server {
	s := &Server{log: d.Log, checks: d.Checks, reg: prometheus.NewRegistry(), store: d.Store, blobs: d.Blobs, rec: d.Recommender,
		jobs: d.Jobs, limits: d.Limits, timeouts: d.Timeouts, urlTTL: d.ImageURLTTL, probes: d.ProbePool}
	if s.rec == nil {
		s.rec = noRecommender{}
	}
	if s.jobs == nil {
		s.jobs = noJobs{}
	}
	if s.backgrounds = d.Backgrounds; s.backgrounds == nil {
		s.backgrounds = noBackgrounds{}
	}
	s.segments = segments.New(s.store, s.rec)
	if s.limits.MaxUploadBytes <= 0 {
		s.limits.MaxUploadBytes = 20 << 20
	}
	if s.limits.MaxUploadPixels <= 0 {
		s.limits.MaxUploadPixels = 25_000_000
	}
	if s.limits.MaxReportRedesigns <= 0 {
		s.limits.MaxReportRedesigns = 20
	}
	if s.limits.MaxJSONBytes <= 0 {
		s.limits.MaxJSONBytes = 1 << 20
	}
	if s.limits.SessionTTL <= 0 {
		s.limits.SessionTTL = 24 * time.Hour
	}
	if s.timeouts.ReadHeader <= 0 {
		s.timeouts.ReadHeader = 10 * time.Second
	}
	s.rates = newRateLimiters(s.limits, d.Now)
	if s.urlTTL <= 0 {
		s.urlTTL = 15 * time.Minute
	}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newHTTPMetrics(s.reg)

	r := gin.New()
	r.HandleMethodNotAllowed = true
	// The client address that limits count against: the peer's, or what
	// a trusted proxy says (X-Forwarded-For only; X-Real-IP is not ours).
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		s.log.Error("trusted proxies not understood; trusting none", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
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
	if d.Pages != nil {
		d.Pages(r)
	}
	s.router = r
	s.routes(r.Group("/api/v1"))
	return s
}

// routes registers the /api/v1 resources: sellers' (API key), consumers'
// (no key; a key widens what items can be seen) and operators' (admin key).
// Every route is described in openapi.json; a test keeps the two equal.
func (s *Server) routes(v1 *gin.RouterGroup) {
	v1.Use(s.checkParams)
	v1.GET("", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"service": "atelier", "api": "v1", "openapi": "/api/v1/openapi.json"})
	})
	v1.GET("/openapi.json", s.openAPI)
	if s.store == nil {
		return
	}
	v1.Use(s.requestLimits)
	seller := v1.Group("", s.authenticate(true), s.rateLimit)
	anyone := v1.Group("", s.authenticate(false), s.rateLimit)
	admin := v1.Group("", s.authenticate(true), s.requireAdmin)

	seller.POST("/items", s.createItem)
	seller.GET("/items", s.listItems)
	seller.GET("/items/:id", s.getItem)
	seller.POST("/items/:id/redesigns", s.createRedesign)
	seller.GET("/redesigns", s.listRedesigns)
	seller.GET("/redesigns/:id", s.getRedesign)
	seller.DELETE("/redesigns/:id", s.cancelRedesign)
	seller.POST("/reports", s.createReport)
	seller.GET("/reports", s.listReports)
	seller.GET("/reports/:id", s.getReport)
	seller.GET("/reports/:id/export", s.exportReport)
	seller.POST("/reports/:id/redesigns", s.createReportRedesigns)
	seller.GET("/reports/:id/redesigns", s.listReportRedesigns)
	seller.GET("/reports/:id/charts/:chart", s.reportChart)
	seller.GET("/segments", s.listSegments)
	seller.GET("/items/:id/backgrounds", s.itemBackgrounds)
	seller.GET("/backgrounds", s.listBackgrounds)
	seller.POST("/backgrounds", s.createBackground)

	anyone.GET("/items/:id/similar", s.similarItems)
	anyone.GET("/items/:id/thumbnail", s.thumbnail)
	anyone.POST("/choice-sessions", s.createChoiceSession)
	anyone.GET("/choice-sessions/:id", s.getChoiceSession)
	anyone.POST("/choice-sessions/:id/choices", s.recordChoice)
	anyone.GET("/choice-sessions/:id/recommendations", s.sessionRecommendations)
	anyone.GET("/consumers/:id/recommendations", s.consumerRecommendations)

	admin.POST("/sellers", s.createSeller)
	admin.POST("/imports", s.createImport)
	admin.POST("/segments", s.createSegments)
	admin.POST("/models/train", s.trainModel)
	admin.GET("/models", s.listModels)
	admin.POST("/models/:id/activate", s.activateModel)
	admin.GET("/jobs", s.listJobs)
}

// Handler returns the server as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.router }

// maxHeaderBytes bounds a request's headers (net/http's default is 1 MiB;
// ours are a key, a request id and a few standard ones).
const maxHeaderBytes = 64 << 10

// Serve serves HTTP on ln until ctx is cancelled, then shuts down gracefully,
// giving in-flight requests up to grace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: s.timeouts.ReadHeader,
		ReadTimeout:       s.timeouts.Read,
		WriteTimeout:      s.timeouts.Write,
		IdleTimeout:       s.timeouts.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
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
