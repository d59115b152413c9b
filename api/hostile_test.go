package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHostileIdentifiers sends ids, query values and JSON strings that no
// record can have (invalid UTF-8, NUL, very long): each must get a 4xx,
// never a database error passed on as a 500.
func TestHostileIdentifiers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withCatalog(t)
		sg := e.segment(t)
		item := e.uploadProduct(t, e.aliceKey, palette["red"])
		long := strings.Repeat("x", 5000)
		for _, bad := range []string{"%ff%fe", "%00", "a%00b", long, "%c3%28"} {
			for _, c := range []struct{ method, path, key string }{
				{"GET", "/api/v1/items/" + bad, e.aliceKey},
				{"GET", "/api/v1/items/" + bad + "/similar", ""},
				{"GET", "/api/v1/items/" + bad + "/thumbnail", ""},
				{"GET", "/api/v1/items/" + e.catalog["red"].ID + "/thumbnail?consumer=" + bad, ""},
				{"GET", "/api/v1/redesigns/" + bad, e.aliceKey},
				{"DELETE", "/api/v1/redesigns/" + bad, e.aliceKey},
				{"GET", "/api/v1/choice-sessions/" + bad, ""},
				{"GET", "/api/v1/choice-sessions/" + bad + "/recommendations", ""},
				{"GET", "/api/v1/consumers/" + bad + "/recommendations", ""},
				{"POST", "/api/v1/models/" + bad + "/activate", e.adminKey},
				{"GET", "/api/v1/items?after=" + bad, e.aliceKey},
				{"GET", "/api/v1/items?category=" + bad, e.aliceKey},
				{"GET", "/api/v1/redesigns?item_id=" + bad, e.aliceKey},
				{"GET", "/api/v1/segments?after=" + bad, e.aliceKey},
			} {
				rec, _ := e.send(t, httptest.NewRequest(c.method, c.path, nil), c.key)
				if rec.Code >= 500 || rec.Code < 400 {
					t.Errorf("%s %.80s: %d %.200s", c.method, c.path, rec.Code, rec.Body.String())
				}
			}
		}
		for _, c := range []struct{ path, key, body string }{
			{"/api/v1/items/" + item + "/redesigns", e.aliceKey, `{"segment_id":"a\u0000b"}`},
			{"/api/v1/items/" + item + "/redesigns", e.aliceKey, `{"segment_id":"` + long + `"}`},
			{"/api/v1/items/" + item + "/redesigns", e.aliceKey, `{"segment_id":"` + sg.ID + `","seed":-1}`},
			{"/api/v1/sellers", e.adminKey, `{"name":"a\u0000b"}`},
			{"/api/v1/choice-sessions", "", `{"consumer_id":"a\u0000b"}`},
			{"/api/v1/imports", e.adminKey, `{"dir":"/tmp/a\u0000b"}`},
			{"/api/v1/imports", e.adminKey, `{"dir":"/tmp","category":"a\u0000b"}`},
		} {
			rec, _ := e.call(t, "POST", c.path, c.key, c.body)
			if rec.Code >= 500 {
				t.Errorf("POST %s %.60s: %d %s", c.path, c.body, rec.Code, rec.Body.String())
			}
		}
		// A valid, negative seed is a seed like any other.
		rec, _ := e.call(t, "POST", "/api/v1/items/"+item+"/redesigns", e.aliceKey, `{"segment_id":"`+sg.ID+`","seed":-1}`)
		want(t, rec, http.StatusAccepted)
	})
}
