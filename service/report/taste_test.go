package report_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// strongWeight is the persona weight from which the test expects the
// description to show the taste: the default personas' weights that shape
// a persona are 1.5 to 5, consumer noise is 0.3, and weights under 1.5 are
// side notes that other weights on correlated measurements can outweigh.
// From sideWeight on, the description must at least not say the opposite.
const (
	strongWeight = 1.5
	sideWeight   = 0.5
)

// notShown are implied traits the world itself does not show, so no
// ranking can: bright-cool's value weight (1.5) is its smallest, and its
// true favourites (the top 30 of this catalog by the persona's expected
// utility, measured with internal/taste) are only +0.29 catalog standard
// deviations brighter, because its saturation (3.0) and blue hue (2.0)
// weights decide the ranking and saturated blues are not bright ones. The
// demo recommender's top 30 agree (+0.33). For these the test checks only
// that the description does not say the opposite.
var notShown = map[string][]string{"bright-cool": {"brighter"}}

// opposite maps each trait word to the word for the other direction.
var opposite = map[string]string{
	"warmer": "cooler", "cooler": "warmer", "brighter": "darker", "darker": "brighter",
	"more saturated": "more muted", "more muted": "more saturated",
	"patterned": "plain", "plain": "patterned", "larger": "smaller", "smaller": "larger",
}

// TestSegmentTasteMatchesPersonas checks the taste descriptions against
// the synthetic world's ground truth without building them from it: the
// report sees pixels and the demo recommender's preferences only; the
// persona file is read here, to derive what each description should say.
//
// The world has the default world's 1,500 consumers (so consumer ids map
// to the same personas as in the world the demo recommender was trained
// on: DrawConsumers' shuffle depends on the count) and a fresh 600-item
// catalog the recommender never saw, so the descriptions come from its
// cold-start ranking. Its segments are the imported personas.
func TestSegmentTasteMatchesPersonas(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a 600-item world and scores it with the demo recommender")
	}
	world := servicetest.World(t, 600, 1500, 0)
	personas, err := synth.LoadPersonas(filepath.Join(world, "personas.json"))
	if err != nil {
		t.Fatal(err)
	}
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		doc := personaReport(t, world, store, blobs)
		if len(doc.Segments) != len(personas) {
			t.Fatalf("%d segments reported, %d personas (skipped: %+v)", len(doc.Segments), len(personas), doc.Skipped)
		}
		for _, p := range personas {
			sg := segmentNamed(doc, p.Name)
			if sg == nil {
				t.Errorf("persona %s: no segment", p.Name)
				continue
			}
			t.Logf("%s: %q %+v", p.Name, sg.Taste.Summary, sg.Taste.Differences)
			if len(sg.TopItemIDs) != report.TopItems || sg.Taste.Basis != 30 {
				t.Errorf("persona %s: %d top items, basis %d; want %d, 30", p.Name, len(sg.TopItemIDs), sg.Taste.Basis, report.TopItems)
			}
			for _, word := range impliedTraits(p, strongWeight) {
				if !slices.Contains(sg.Taste.Traits, word) && !slices.Contains(notShown[p.Name], word) {
					t.Errorf("persona %s implies %q; the description says %q", p.Name, word, sg.Taste.Summary)
				}
			}
			for _, word := range impliedTraits(p, sideWeight) {
				if slices.Contains(sg.Taste.Traits, opposite[word]) {
					t.Errorf("persona %s leans %q; the description says %q", p.Name, word, sg.Taste.Summary)
				}
			}
		}
	})
}

// impliedTraits are the trait words persona p implies from its weights of
// size least or more: one per such weight on a measured property, and
// warmer or cooler for such a hue taste near the warm (30°) or cool (210°)
// pole (|cos| ≥ 1/2). Contrast and vertical extent are not measured; a hue
// taste far from both poles (pink, green) implies neither.
func impliedTraits(p synth.Persona, least float64) []string {
	var out []string
	pick := func(w float64, up, down string) {
		switch {
		case w >= least:
			out = append(out, up)
		case w <= -least:
			out = append(out, down)
		}
	}
	pick(p.Weights.Saturation, "more saturated", "more muted")
	pick(p.Weights.Value, "brighter", "darker")
	pick(p.Weights.Pattern, "patterned", "plain")
	pick(p.Weights.Coverage, "larger", "smaller")
	if p.Hue.Weight >= least {
		pick(math.Cos((p.Hue.Angle-30)*math.Pi/180)*2*least, "warmer", "cooler")
	}
	return out
}

// personaReport builds a report over every segment with the demo
// recommender, for a seller with one item (a report needs one).
func personaReport(t *testing.T, world string, store *storage.Store, blobs blob.Store) report.Doc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data, err := models.Demo("recommender.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.RegisterModel(ctx, store, blobs, atelier.ModelRecommender, data, nil); err != nil {
		t.Fatal(err)
	}
	seller, _, err := store.CreateSeller(ctx, atelier.Seller{Name: "studio"}, "")
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join(world, "images", "it00003.png"))
	if err != nil {
		t.Fatal(err)
	}
	key := "uploads/" + seller.ID + "/mine.png"
	if err := blobs.Put(ctx, key, bytes.NewReader(png), int64(len(png)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateItem(ctx, atelier.Item{OwnerID: seller.ID, ExternalID: "mine", Category: "tshirt",
		Images: []atelier.Image{{OriginalKey: key, ModelKey: key, Width: 64, Height: 64, ContentType: "image/png"}}}); err != nil {
		t.Fatal(err)
	}
	doc, err := report.NewEngine(store, blobs).Build(ctx, atelier.Report{ID: "personas", SellerID: seller.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func segmentNamed(doc report.Doc, name string) *report.Segment {
	for i, sg := range doc.Segments {
		if sg.Name == name {
			return &doc.Segments[i]
		}
	}
	return nil
}
