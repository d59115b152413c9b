package api

import (
	"bytes"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/service/backgrounds"
)

// withBackgrounds rebuilds e's server with background suggestions over a
// few small built-in scenes and an index in memory.
func (e *env) withBackgrounds(t *testing.T) {
	t.Helper()
	lib := backdrop.Library()
	var few []backdrop.Spec
	for i := 0; i < len(lib); i += 6 {
		few = append(few, lib[i])
	}
	svc, err := backgrounds.New(backgrounds.Config{Store: e.store, Blobs: e.blobs, Library: few, SceneSize: 128})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	e.srv = New(Deps{Log: e.srv.log, Store: e.store, Blobs: e.blobs, Recommender: e.rt, Jobs: e.jobs, Backgrounds: svc,
		Limits: Limits{MaxUploadBytes: 256 << 10, MaxUploadPixels: 1 << 20}})
	e.h = e.srv.Handler()
}

func (e *env) uploadBackground(t *testing.T, key string, parts ...formPart) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	req := httptest.NewRequest("POST", "/api/v1/backgrounds", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	return e.send(t, req, key)
}

func TestItemBackgrounds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withBackgrounds(t)
		item := e.uploadProduct(t, e.aliceKey, color.NRGBA{200, 30, 40, 255})

		rec, body := e.call(t, "GET", "/api/v1/items/"+item+"/backgrounds?n=3", e.aliceKey, nil)
		want(t, rec, http.StatusOK)
		desc := body["description"].(map[string]any)
		main := desc["colours"].([]any)[0].(map[string]any)
		if main["family"] != "red" || !strings.Contains(desc["sentence"].(string), main["name"].(string)) {
			t.Errorf("description %v of a red product", desc)
		}
		sugg := body["suggestions"].([]any)
		if len(sugg) != 3 {
			t.Fatalf("%d suggestions, want 3", len(sugg))
		}
		for _, s := range sugg {
			m := s.(map[string]any)
			if m["composite_url"] == "" || m["image_url"] == "" || m["caption"] == "" || m["builtin"] != true {
				t.Errorf("suggestion %v", m)
			}
		}

		for _, q := range []string{"0", "21", "abc"} {
			rec, body := e.call(t, "GET", "/api/v1/items/"+item+"/backgrounds?n="+q, e.aliceKey, nil)
			want(t, rec, http.StatusBadRequest)
			if f, _ := errField(body); f != "n" {
				t.Errorf("n=%s: field %q", q, f)
			}
		}
		rec, _ = e.call(t, "GET", "/api/v1/items/"+item+"/backgrounds", e.bobKey, nil)
		want(t, rec, http.StatusNotFound)

		// A variant needs a redesign of this item that the seller owns.
		rec, body = e.call(t, "GET", "/api/v1/items/"+item+"/backgrounds?variant=2", e.aliceKey, nil)
		want(t, rec, http.StatusBadRequest)
		if f, _ := errField(body); f != "variant" {
			t.Errorf("variant without redesign_id: field %q", f)
		}
		rec, _ = e.call(t, "GET", "/api/v1/items/"+item+"/backgrounds?redesign_id=no-such-redesign", e.aliceKey, nil)
		want(t, rec, http.StatusNotFound)
	})
}

func TestBackgroundUploads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withBackgrounds(t)
		scene := pngBytes(t, solid(color.NRGBA{30, 60, 120, 255}, 120, 90))

		rec, body := e.uploadBackground(t, e.aliceKey, formPart{name: "image", filename: "s.png", data: scene})
		want(t, rec, http.StatusCreated)
		if body["described"] != true || !strings.Contains(body["caption"].(string), "backdrop") {
			t.Errorf("uploaded without a caption: %v", body)
		}
		mine := body["id"].(string)
		rec, body = e.uploadBackground(t, e.aliceKey, formPart{name: "image", filename: "s.png", data: scene},
			formPart{name: "caption", value: "  a calm navy wall  "})
		want(t, rec, http.StatusCreated)
		if body["caption"] != "a calm navy wall" || body["described"] != false {
			t.Errorf("uploaded with a caption: %v", body)
		}

		for name, tc := range map[string]struct {
			parts  []formPart
			status int
			field  string
		}{
			"not an image":   {[]formPart{{name: "image", filename: "s.png", data: []byte("hello, not a picture")}}, 400, "image"},
			"no image":       {[]formPart{{name: "caption", value: "x"}}, 400, "image"},
			"unknown field":  {[]formPart{{name: "image", filename: "s.png", data: scene}, {name: "colour", value: "red"}}, 400, "colour"},
			"long caption":   {[]formPart{{name: "image", filename: "s.png", data: scene}, {name: "caption", value: strings.Repeat("x", 501)}}, 400, "caption"},
			"too many bytes": {[]formPart{{name: "image", filename: "s.png", data: bytes.Repeat([]byte{1}, 300<<10)}}, 413, ""},
			"tiny":           {[]formPart{{name: "image", filename: "s.png", data: pngBytes(t, solid(color.NRGBA{1, 2, 3, 255}, 8, 8))}}, 400, "image"},
		} {
			rec, body := e.uploadBackground(t, e.aliceKey, tc.parts...)
			if rec.Code != tc.status {
				t.Errorf("%s: status %d, want %d: %v", name, rec.Code, tc.status, body)
				continue
			}
			if f, _ := errField(body); f != tc.field {
				t.Errorf("%s: field %q, want %q", name, f, tc.field)
			}
		}

		count := func(key string) (n int, sees bool) {
			rec, body := e.call(t, "GET", "/api/v1/backgrounds", key, nil)
			want(t, rec, http.StatusOK)
			for _, b := range body["backgrounds"].([]any) {
				n++
				if b.(map[string]any)["id"] == mine {
					sees = true
				}
			}
			return n, sees
		}
		na, aSees := count(e.aliceKey)
		nb, bSees := count(e.bobKey)
		if !aSees || bSees || na != nb+2 {
			t.Errorf("alice lists %d (sees hers: %v), bob %d (sees alice's: %v)", na, aSees, nb, bSees)
		}
	})
}
