package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
)

// image returns a valid image record whose blob keys derive from name.
func image(name string, pos int) atelier.Image {
	return atelier.Image{
		Position: pos, OriginalKey: "items/" + name + "/original.jpg", ModelKey: "items/" + name + "/model.png",
		Width: 640, Height: 480, ContentType: "image/jpeg",
	}
}

// catalogItem returns a valid catalog item with one image.
func catalogItem(ext string) atelier.Item {
	return atelier.Item{
		ExternalID: ext, Category: "dress",
		Attributes: map[string]string{"color": "red", "ext": ext},
		Images:     []atelier.Image{image(ext, 0)},
	}
}

// world is a small set of records most tests need.
type world struct {
	alice, bob atelier.Seller
	catalog    []atelier.Item // 3 catalog items
	aliceItem  atelier.Item
	consumer   atelier.Consumer
	recVersion atelier.ModelVersion
	segment    atelier.Segment
}

func newWorld(t *testing.T, s *storage.Store) world {
	t.Helper()
	ctx := context.Background()
	var w world
	w.alice, _ = newSeller(t, s, "Alice")
	w.bob, _ = newSeller(t, s, "Bob")
	for i := range 3 {
		w.catalog = append(w.catalog, testkit.Must(s.CreateItem(ctx, catalogItem(fmt.Sprintf("sku-%d", i))))(t))
	}
	it := catalogItem("alice-1")
	it.OwnerID = w.alice.ID
	w.aliceItem = testkit.Must(s.CreateItem(ctx, it))(t)
	w.consumer = testkit.Must(s.CreateConsumer(ctx, atelier.Consumer{ExternalID: "c-1", Segment: "students"}))(t)
	w.recVersion = testkit.Must(s.CreateModelVersion(ctx, atelier.ModelVersion{
		Kind: atelier.ModelRecommender, BlobKey: "models/rec-1.safetensors", Active: true,
		Metrics: map[string]float64{"auc": 0.8},
	}))(t)
	w.segment = testkit.Must(s.CreateSegment(ctx, atelier.Segment{
		Name: "cluster-1", Kind: atelier.SegmentKMeans, ModelVersionID: w.recVersion.ID,
		Description: map[string]any{"top_category": "dress", "size": 12.0},
	}))(t)
	return w
}

// newSeller creates a seller with a generated key and returns both.
func newSeller(t *testing.T, s *storage.Store, name string) (atelier.Seller, string) {
	t.Helper()
	seller, key, err := s.CreateSeller(context.Background(), atelier.Seller{Name: name}, "")
	if err != nil {
		t.Fatal(err)
	}
	return seller, key
}

// at returns a fixed instant plus d, with sub-microsecond noise that the
// store must normalise away.
func at(d time.Duration) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600)).Add(d)
}
