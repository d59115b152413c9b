package blob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
)

// DefaultURLPrefix is the service path a local store's URLs point under.
const DefaultURLPrefix = "/blobs/"

// URL implements Store: a service-relative path, signed with HMAC-SHA256
// over the key and the expiry, that Handler serves until the expiry.
func (l *Local) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	exp := l.now().Add(ttl).Unix()
	u := url.URL{Path: l.urlPrefix + key}
	return fmt.Sprintf("%s?exp=%d&sig=%s", u.EscapedPath(), exp, l.sign(key, exp)), nil
}

func (l *Local) sign(key string, exp int64) string {
	m := hmac.New(sha256.New, l.signingKey)
	fmt.Fprintf(m, "GET\n%s\n%d", key, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// Handler serves the objects of URLs made by URL: GET and HEAD of
// PREFIX/KEY?exp=...&sig=... with the object's content type (Range
// requests included). A missing or wrong signature or an expired URL is
// 403, a missing object 404. Mount it at the URL prefix, without stripping.
func (l *Local) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		key, ok := strings.CutPrefix(r.URL.Path, l.urlPrefix)
		if !ok || ValidateKey(key) != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		q := r.URL.Query()
		exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
		if err != nil || !hmac.Equal([]byte(q.Get("sig")), []byte(l.sign(key, exp))) {
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
		now := l.now()
		if now.Unix() >= exp {
			http.Error(w, "URL expired", http.StatusForbidden)
			return
		}
		f, info, err := l.open(key)
		if err != nil {
			if atelier.ErrorKind(err) == atelier.KindNotFound {
				http.Error(w, "not found", http.StatusNotFound)
			} else {
				http.Error(w, "blob store unavailable", http.StatusServiceUnavailable)
			}
			return
		}
		defer f.Close()
		h := w.Header()
		h.Set("Content-Type", info.ContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d", exp-now.Unix()))
		http.ServeContent(w, r, "", info.ModTime, f)
	})
}
