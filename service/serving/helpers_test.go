package serving_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/service/serving/servingtest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// world is a store, a blob store and a catalog of solid-colour items.
type world struct {
	store *storage.Store
	blobs blob.Store
	items map[string]atelier.Item // by name
	model *servingtest.ColourModel
	// version is a recommender version whose file the loader knows.
	version atelier.ModelVersion
	broken  atelier.ModelVersion // one whose file does not load
	rt      *serving.Runtime
}

var colours = map[string]color.NRGBA{
	"red":     {220, 20, 20, 255},
	"darkred": {150, 10, 10, 255},
	"green":   {20, 200, 40, 255},
	"blue":    {20, 40, 220, 255},
	"navy":    {10, 20, 120, 255},
	"yellow":  {230, 220, 30, 255},
}

// colourPNG encodes a w×h PNG of one colour.
func colourPNG(t testing.TB, c color.NRGBA, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// putImage stores a colour image and returns its record.
func putImage(t testing.TB, b blob.Store, key string, c color.NRGBA, pos int) atelier.Image {
	t.Helper()
	data := colourPNG(t, c, atelier.ModelSize, atelier.ModelSize)
	if err := b.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		t.Fatal(err)
	}
	return atelier.Image{Position: pos, OriginalKey: key, ModelKey: key, Width: 64, Height: 64, ContentType: "image/png"}
}

// addItem stores a catalog item (owner "") or a seller's item with one
// image per colour.
func (w *world) addItem(t testing.TB, name, owner string, cols ...string) atelier.Item {
	t.Helper()
	it := atelier.Item{ExternalID: name, OwnerID: owner, Category: "dress"}
	if len(cols) > 0 && cols[0] == "yellow" {
		it.Category = "shoes"
	}
	for j, c := range cols {
		it.Images = append(it.Images, putImage(t, w.blobs, fmt.Sprintf("test/%s/%d.png", name, j), colours[c], j))
	}
	it, err := w.store.CreateItem(context.Background(), it)
	if err != nil {
		t.Fatal(err)
	}
	w.items[name] = it
	return it
}

func newWorld(t *testing.T, s *storage.Store, b blob.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{store: s, blobs: b, items: map[string]atelier.Item{}, model: servingtest.NewColourModel(map[string][]float32{
		"likes-red":  {4, -2, -2},
		"likes-blue": {-2, -2, 4},
		"likes-red2": {3, -2, -1},
	})}
	for _, name := range []string{"red", "darkred", "green", "blue", "navy", "yellow"} {
		w.addItem(t, name, "", name)
	}
	var err error
	if w.version, err = s.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/fake"}); err != nil {
		t.Fatal(err)
	}
	if w.broken, err = s.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/broken"}); err != nil {
		t.Fatal(err)
	}
	w.rt = serving.New(serving.Config{Store: s, Blobs: b, Load: w.load, Log: storagetestLog(t)})
	return w
}

func (w *world) load(ctx context.Context, mv atelier.ModelVersion) (serving.Model, error) {
	if mv.BlobKey != "models/fake" {
		return nil, fmt.Errorf("read %s: unexpected EOF", mv.BlobKey)
	}
	return w.model, nil
}

// forEachBackend runs fn on each deployment's backends with a fresh
// world.
func forEachBackend(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	storagetest.ForEachBackend(t, func(t *testing.T, s *storage.Store, b blob.Store) {
		fn(t, newWorld(t, s, b))
	})
}

func ids(scored []serving.Scored) []string {
	out := make([]string, len(scored))
	for i, s := range scored {
		out[i] = s.ItemID
	}
	return out
}
