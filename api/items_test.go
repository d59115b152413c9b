package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/service/catalog"
)

// hugePNG is a valid small PNG whose header claims w×h pixels: decoding
// it would allocate for the claim, so it must be refused from the header.
func hugePNG(t testing.TB, w, h uint32) []byte {
	t.Helper()
	b := pngBytes(t, solid(palette["red"], 4, 4))
	// IHDR is the first chunk: length(4) type(4) width(4) height(4) ... crc(4).
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestUploadItem(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cases := []struct {
			name, ctype string
			data        []byte
			w, h        int
		}{
			{"png", "image/png", pngBytes(t, solid(palette["red"], 120, 90)), 120, 90},
			{"jpeg", "image/jpeg", jpegBytes(t, solid(palette["blue"], 33, 47)), 33, 47},
			{"webp", "image/webp", webpBytes(t), 0, 0},
		}
		for _, c := range cases {
			// The file name and the part's type are the client's word:
			// the type is sniffed from the bytes.
			rec, body := e.upload(t, e.aliceKey,
				formPart{name: "image", filename: "photo.gif", data: c.data},
				formPart{name: "category", value: "dress"},
				formPart{name: "external_id", value: "sku-" + c.name},
				formPart{name: "attributes", value: `{"color":"red","fit":"slim"}`},
				formPart{name: "attr.season", value: "summer"})
			want(t, rec, http.StatusCreated)
			id := body["id"].(string)
			if rec.Header().Get("Location") != "/api/v1/items/"+id || body["external_id"] != "sku-"+c.name || body["catalog"] != false {
				t.Fatalf("%s: created %v (Location %q)", c.name, body, rec.Header().Get("Location"))
			}
			attrs := body["attributes"].(map[string]any)
			if attrs["color"] != "red" || attrs["fit"] != "slim" || attrs["season"] != "summer" {
				t.Fatalf("%s: attributes %v", c.name, attrs)
			}
			it, err := e.store.GetItem(ctx, id, e.alice.Scope())
			if err != nil {
				t.Fatal(err)
			}
			img := it.Images[0]
			if img.ContentType != c.ctype || (c.w > 0 && (img.Width != c.w || img.Height != c.h)) {
				t.Fatalf("%s: stored image %+v", c.name, img)
			}
			// The original is kept byte for byte; the model image is 64×64 PNG.
			if got := readBlob(t, e, img.OriginalKey); !bytes.Equal(got, c.data) {
				t.Fatalf("%s: original changed (%d bytes, want %d)", c.name, len(got), len(c.data))
			}
			model, err := png.Decode(bytes.NewReader(readBlob(t, e, img.ModelKey)))
			if err != nil || model.Bounds() != image.Rect(0, 0, atelier.ModelSize, atelier.ModelSize) {
				t.Fatalf("%s: model image %v (%v)", c.name, model.Bounds(), err)
			}
			// The URLs in the response serve the images.
			images := body["images"].([]any)
			url := images[0].(map[string]any)["url"].(string)
			if url == "" || images[0].(map[string]any)["model_url"] == "" {
				t.Fatalf("%s: image views %v", c.name, images)
			}
			if strings.HasPrefix(url, "/blobs/") {
				if got := fetchLocalBlob(t, e, url); !bytes.Equal(got, c.data) {
					t.Fatalf("%s: the image URL serves %d bytes", c.name, len(got))
				}
			}
		}

		// Reading back: own items only, and the catalog on request.
		rec, body := e.call(t, "GET", "/api/v1/items", e.aliceKey, nil)
		want(t, rec, 200)
		if n := len(body["items"].([]any)); n != 3 {
			t.Fatalf("alice lists %d items", n)
		}
		rec, body = e.call(t, "GET", "/api/v1/items?limit=2", e.aliceKey, nil)
		want(t, rec, 200)
		next := body["next_after"].(string)
		rec, body = e.call(t, "GET", "/api/v1/items?limit=2&after="+next, e.aliceKey, nil)
		want(t, rec, 200)
		if n := len(body["items"].([]any)); n != 1 || body["next_after"] != "" {
			t.Fatalf("second page: %v", body)
		}
		rec, body = e.call(t, "GET", "/api/v1/items?catalog=true", e.aliceKey, nil)
		want(t, rec, 200)
		if n := len(body["items"].([]any)); n != 0 {
			t.Fatalf("catalog lists %d items", n)
		}
		rec, _ = e.call(t, "GET", "/api/v1/items?catalog=maybe", e.aliceKey, nil)
		want(t, rec, 400)
		rec, _ = e.call(t, "GET", "/api/v1/items?limit=0", e.aliceKey, nil)
		want(t, rec, 400)
	})
}

func readBlob(t testing.TB, e *env, key string) []byte {
	t.Helper()
	rc, _, err := e.blobs.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fetchLocalBlob GETs a local blob URL through a blob handler.
func fetchLocalBlob(t testing.TB, e *env, url string) []byte {
	t.Helper()
	type handlerer interface{ Handler() http.Handler }
	l, ok := e.blobs.(handlerer)
	if !ok {
		t.Fatalf("a /blobs/ URL from a store without a handler")
	}
	rec := httptest.NewRecorder()
	l.Handler().ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	want(t, rec, 200)
	return rec.Body.Bytes()
}

// TestUploadRejections sends bad uploads and checks each gets its 4xx,
// names what is wrong, and leaves no item and no blob behind.
func TestUploadRejections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		good := pngBytes(t, solid(palette["green"], 40, 40))
		img := func(data []byte) formPart { return formPart{name: "image", filename: "a.png", data: data} }
		cat := formPart{name: "category", value: "dress"}
		tooBig := bytes.Repeat([]byte{0}, int(e.srv.limits.MaxUploadBytes)+1)
		copy(tooBig, good)
		truncated := good[:len(good)/2]
		groups := []struct {
			status int
			cases  []struct {
				name, field string
				parts       []formPart
				raw         string // a raw body with a JSON content type, instead of parts
			}
		}{
			{http.StatusBadRequest, []struct {
				name, field string
				parts       []formPart
				raw         string
			}{
				{"not multipart", "", nil, `{"category":"dress"}`},
				{"no image", "image", []formPart{cat}, ""},
				{"no category", "category", []formPart{img(good)}, ""},
				{"blank category", "category", []formPart{img(good), {name: "category", value: "  "}}, ""},
				{"unknown field", "colour", []formPart{img(good), cat, {name: "colour", value: "red"}}, ""},
				{"image twice", "image", []formPart{img(good), img(good), cat}, ""},
				{"text, not an image", "image", []formPart{img([]byte("just some text, no pixels here")), cat}, ""},
				{"gif", "image", []formPart{img([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")), cat}, ""},
				{"truncated png", "image", []formPart{img(truncated), cat}, ""},
				{"png header only", "image", []formPart{img(good[:33]), cat}, ""},
				{"riff that is not webp", "image", []formPart{img([]byte("RIFF\x10\x00\x00\x00WAVEfmt ")), cat}, ""},
				{"webp header, broken body", "image", []formPart{img([]byte("RIFF\x20\x00\x00\x00WEBPVP8 \x10\x00\x00\x00garbagegarbage!!")), cat}, ""},
				{"zero-sized png", "image", []formPart{img(hugePNG(t, 0, 10)), cat}, ""},
				{"1x1 png", "image", []formPart{img(pngBytes(t, solid(palette["red"], 1, 1))), cat}, ""},
				{"30000x10 strip", "image", []formPart{img(hugePNG(t, 30000, 10)), cat}, ""},
				{"truncated jpeg", "image", []formPart{img(jpegBytes(t, solid(palette["red"], 64, 48))[:300]), cat}, ""},
				{"attributes not JSON", "attributes", []formPart{img(good), cat, {name: "attributes", value: "color=red"}}, ""},
				{"attribute not a string", "attributes", []formPart{img(good), cat, {name: "attributes", value: `{"size": 38}`}}, ""},
				{"attribute twice", "attributes", []formPart{img(good), cat, {name: "attributes", value: `{"fit":"slim"}`}, {name: "attr.fit", value: "loose"}}, ""},
				{"category too long", "category", []formPart{img(good), {name: "category", value: strings.Repeat("x", atelier.MaxCategoryLen+1)}}, ""},
				{"control characters", "category", []formPart{img(good), {name: "category", value: "dre\x07ss"}}, ""},
				{"field over 64 KiB", "attributes", []formPart{img(good), cat, {name: "attributes", value: strings.Repeat(" ", maxFormField+1)}}, ""},
			}},
			{http.StatusRequestEntityTooLarge, []struct {
				name, field string
				parts       []formPart
				raw         string
			}{
				{"over the byte limit", "", []formPart{img(tooBig), cat}, ""},
				{"over the pixel limit (decompression bomb)", "image", []formPart{img(hugePNG(t, 50000, 50000)), cat}, ""},
			}},
		}
		for _, g := range groups {
			for _, c := range g.cases {
				items0, blobs0 := e.counts(t)
				var rec *httptest.ResponseRecorder
				var body map[string]any
				if c.raw != "" {
					rec, body = e.call(t, "POST", "/api/v1/items", e.aliceKey, c.raw)
				} else {
					rec, body = e.upload(t, e.aliceKey, c.parts...)
				}
				if rec.Code != g.status {
					t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, g.status, rec.Body.String())
					continue
				}
				if field, _ := errField(body); field != c.field {
					t.Errorf("%s: error names field %q, want %q (%s)", c.name, field, c.field, rec.Body.String())
				}
				if items, blobs := e.counts(t); items != items0 || blobs != blobs0 {
					t.Errorf("%s: left %d items and %d blobs (were %d, %d)", c.name, items, blobs, items0, blobs0)
				}
			}
		}
		if !strings.Contains(e.logs.String(), `"level":"INFO"`) || strings.Contains(e.logs.String(), `"status":500`) {
			t.Fatalf("a rejection was answered with a 500:\n%s", e.logs.String())
		}

		// Without a key, or with a bad one: 401 with a challenge.
		for _, key := range []string{"", "atl_not-a-key-of-anyone-at-all"} {
			items0, blobs0 := e.counts(t)
			rec, _ := e.upload(t, key, img(good), cat)
			want(t, rec, http.StatusUnauthorized)
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if items, blobs := e.counts(t); items != items0 || blobs != blobs0 {
				t.Fatal("an unauthenticated upload wrote something")
			}
		}
	})
}

// TestUploadRowFailureRemovesBlobs checks that blobs written before a
// record that could not be stored are deleted again.
func TestUploadRowFailureRemovesBlobs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		parts := []formPart{{name: "image", filename: "a.png", data: pngBytes(t, solid(palette["red"], 16, 16))},
			{name: "category", value: "dress"}, {name: "external_id", value: "sku-1"}}
		rec, _ := e.upload(t, e.aliceKey, parts...)
		want(t, rec, http.StatusCreated)
		items0, blobs0 := e.counts(t)
		rec, body := e.upload(t, e.aliceKey, parts...) // the same external id again
		want(t, rec, http.StatusConflict)
		if _, kind := errField(body); kind != "conflict" {
			t.Fatalf("duplicate answered %v", body)
		}
		if items, blobs := e.counts(t); items != items0 || blobs != blobs0 {
			t.Fatalf("a refused record left %d items and %d blobs (were %d, %d)", items, blobs, items0, blobs0)
		}
		// Another seller may use the same external id.
		rec, _ = e.upload(t, e.bobKey, parts...)
		want(t, rec, http.StatusCreated)
	})
}

// A CMYK JPEG, as print workflows save them, is read in its true colours
// and can be redesigned.
func TestUploadCMYKJPEG(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		data, err := os.ReadFile("testdata/red-product.cmyk.jpg")
		if err != nil {
			t.Fatal(err)
		}
		rec, body := e.upload(t, e.aliceKey, formPart{name: "image", filename: "p.jpg", data: data}, formPart{name: "category", value: "dress"})
		want(t, rec, http.StatusCreated)
		it, err := e.store.GetItem(context.Background(), body["id"].(string), atelier.AllScope())
		if err != nil {
			t.Fatal(err)
		}
		model, err := catalog.ItemImage(context.Background(), e.blobs, it, atelier.ModelSize)
		if err != nil {
			t.Fatal(err)
		}
		corner, centre := pixel(model, 1, 1), pixel(model, 32, 32)
		if corner[0] < 0.9 || corner[1] < 0.9 || corner[2] < 0.9 || centre[0] < 0.6 || centre[1] > 0.4 || centre[2] > 0.4 {
			t.Errorf("colours read from the CMYK JPEG: corner %v, centre %v; want white and red", corner, centre)
		}
		sg := e.segment(t)
		rec, _ = e.call(t, "POST", "/api/v1/items/"+it.ID+"/redesigns", e.aliceKey, map[string]any{"segment_id": sg.ID})
		want(t, rec, http.StatusAccepted)
	})
}

func pixel(t imaging.Tensor, x, y int) [3]float32 {
	n := t.W * t.H
	i := y*t.W + x
	return [3]float32{t.Pix[i], t.Pix[n+i], t.Pix[2*n+i]}
}
