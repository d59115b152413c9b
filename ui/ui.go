// Package ui serves Atelier's web pages: the consumer's image-choice page
// at /, the seller's upload-and-redesign page at /seller and the seller's
// reports at /seller/reports. The pages are static HTML with a little
// vanilla JavaScript that calls the JSON API under /api/v1; they are embedded in the binary, so the service needs no
// build step and no network to show them.
package ui

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed static
var static embed.FS

// AssetPrefix is the path the pages' scripts and styles are served under.
const AssetPrefix = "/ui/"

// Register mounts the pages on r: / (consumer), /seller (seller),
// /seller/reports (the seller's reports) and the assets under /ui/. It adds GET and HEAD routes only.
func Register(r gin.IRoutes) {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	assets := http.StripPrefix(AssetPrefix, http.FileServer(http.FS(files)))
	page := func(name string) gin.HandlerFunc {
		return func(c *gin.Context) {
			body, err := fs.ReadFile(files, name)
			if err != nil {
				c.AbortWithStatus(http.StatusInternalServerError)
				return
			}
			// The pages call the API from the same origin; nothing else.
			c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
			c.Header("X-Content-Type-Options", "nosniff")
			c.Header("Cache-Control", "no-cache")
			c.Data(http.StatusOK, "text/html; charset=utf-8", body)
		}
	}
	for path, name := range map[string]string{"/": "consumer.html", "/seller": "seller.html", "/seller/reports": "reports.html"} {
		r.GET(path, page(name))
		r.HEAD(path, page(name))
	}
	r.GET(AssetPrefix+"*file", gin.WrapH(assets))
	r.HEAD(AssetPrefix+"*file", gin.WrapH(assets))
}
