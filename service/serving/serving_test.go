package serving_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage/storagetest"
)

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func storagetestLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func TestNothingServedBeforeAModelIsActive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		if err := w.rt.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := w.rt.Version(); ok {
			t.Fatal("a version is served with none active")
		}
		_, err := w.rt.Rank(ctx, serving.Taste{}, 3, nil)
		testkit.WantKind(t, err, atelier.KindUnavailable)
		_, err = w.rt.NextRound(ctx, serving.Taste{}, 3, 1)
		testkit.WantKind(t, err, atelier.KindUnavailable)
		_, err = w.rt.Similar(ctx, w.items["red"], 3)
		testkit.WantKind(t, err, atelier.KindUnavailable)
		if key, ok := w.rt.ImageKey(w.items["red"].ID); ok {
			t.Fatalf("image key %q served with no model", key)
		}

		// A version whose file does not load is not activated.
		_, err = w.rt.Activate(ctx, w.broken.ID)
		testkit.WantKind(t, err, atelier.KindConflict)
		if _, err := w.store.ActiveModelVersion(ctx, atelier.ModelRecommender); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Fatalf("a broken version became active: %v", err)
		}
		_, err = w.rt.Activate(ctx, "missing")
		testkit.WantKind(t, err, atelier.KindNotFound)
	})
}

func TestRankSimilarAndThumbnail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		mv, err := w.rt.Activate(ctx, w.version.ID)
		if err != nil {
			t.Fatal(err)
		}
		red := w.items["red"]
		if key, ok := w.rt.ImageKey(red.ID); !ok || key != red.Images[0].OriginalKey {
			t.Fatalf("image key of %s = %q, %v; want %q", red.ID, key, ok, red.Images[0].OriginalKey)
		}
		if key, ok := w.rt.ImageKey("no-such-item"); ok {
			t.Fatalf("image key %q of an unknown item", key)
		}
		if got, ok := w.rt.Version(); !ok || got.ID != w.version.ID || !mv.Active {
			t.Fatalf("serving %+v (%v), activated %+v", got, ok, mv)
		}
		id := func(name string) string { return w.items[name].ID }

		top, err := w.rt.Rank(ctx, serving.Taste{ConsumerID: "likes-red"}, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(top); !slices.Equal(got, []string{id("red"), id("darkred")}) || top[0].Score <= top[1].Score {
			t.Fatalf("red lover's top 2: %v", top)
		}
		top, _ = w.rt.Rank(ctx, serving.Taste{ConsumerID: "likes-blue"}, 10, []string{id("blue")})
		if got := ids(top); len(got) != 5 || got[0] != id("navy") || slices.Contains(got, id("blue")) {
			t.Fatalf("blue lover's ranking without blue: %v", got)
		}
		_, err = w.rt.Rank(ctx, serving.Taste{}, 0, nil)
		testkit.WantKind(t, err, atelier.KindInvalid)

		// An unknown consumer's picks are folded in from the mean θ.
		picks := []atelier.Choice{
			{Shown: []string{id("red"), id("blue"), id("green")}, Chosen: id("blue")},
			{Shown: []string{id("yellow"), id("navy"), id("darkred")}, Chosen: id("navy")},
		}
		top, err = w.rt.Rank(ctx, serving.Taste{ConsumerID: "stranger", Picks: picks}, 1, nil)
		if err != nil || top[0].ItemID != id("blue") {
			t.Fatalf("after picking blue things the top item is %v (%v)", top, err)
		}

		near, err := w.rt.Similar(ctx, w.items["red"], 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(near); !slices.Equal(got[:1], []string{id("darkred")}) || slices.Contains(got, id("red")) {
			t.Fatalf("similar to red: %v", got)
		}
		// A seller's own item is not in the catalog snapshot: computed now.
		seller, _, err := w.store.CreateSeller(ctx, atelier.Seller{Name: "s"}, "")
		if err != nil {
			t.Fatal(err)
		}
		own := w.addItem(t, "own-navy", seller.ID, "navy", "red")
		near, err = w.rt.Similar(ctx, own, 1)
		if err != nil || near[0].ItemID != id("navy") {
			t.Fatalf("similar to a seller's navy item: %v (%v)", near, err)
		}

		// The thumbnail is the image the consumer prefers.
		for consumer, want := range map[string]int{"likes-red": 1, "likes-blue": 0} {
			got, err := w.rt.Thumbnail(ctx, own, &serving.Taste{ConsumerID: consumer})
			if err != nil || got != want {
				t.Fatalf("thumbnail for %s: %d (%v), want %d", consumer, got, err, want)
			}
		}
		if got, err := w.rt.Thumbnail(ctx, own, nil); got != 0 || err != nil {
			t.Fatalf("thumbnail with no taste: %d %v", got, err)
		}
	})
}

func TestChoiceRoundsAvoidRepeats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		if _, err := w.rt.Activate(ctx, w.version.ID); err != nil {
			t.Fatal(err)
		}
		first, err := w.rt.NextRound(ctx, serving.Taste{}, 3, serving.Seed("s", 0))
		if err != nil || len(first) != 3 {
			t.Fatalf("first round %v (%v)", first, err)
		}
		again, _ := w.rt.NextRound(ctx, serving.Taste{}, 3, serving.Seed("s", 0))
		if !slices.Equal(first, again) {
			t.Fatalf("same seed, different rounds: %v %v", first, again)
		}
		picks := []atelier.Choice{{Shown: first, Chosen: first[0]}}
		second, err := w.rt.NextRound(ctx, serving.Taste{Picks: picks}, 3, serving.Seed("s", 1))
		if err != nil || len(second) != 3 {
			t.Fatalf("second round %v (%v)", second, err)
		}
		for _, id := range second {
			if slices.Contains(first, id) {
				t.Fatalf("second round %v repeats the first %v", second, first)
			}
		}
		// Six items: a third round of 3 would need items shown already.
		picks = append(picks, atelier.Choice{Shown: second, Chosen: second[1]})
		_, err = w.rt.NextRound(ctx, serving.Taste{Picks: picks}, 3, serving.Seed("s", 2))
		testkit.WantKind(t, err, atelier.KindConflict)
	})
}

func TestRefreshFollowsTheStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		if _, err := w.store.ActivateModelVersion(ctx, w.version.ID); err != nil {
			t.Fatal(err)
		}
		// Another process activated a version: Refresh loads it.
		if err := w.rt.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if v, ok := w.rt.Version(); !ok || v.ID != w.version.ID {
			t.Fatalf("after refresh serving %+v", v)
		}
		calls := w.model.Calls()
		if err := w.rt.Refresh(ctx); err != nil || w.model.Calls() != calls {
			t.Fatalf("an idle refresh recomputed features (%d → %d): %v", calls, w.model.Calls(), err)
		}
		// New catalog items are picked up; a broken image leaves its item out.
		pink := w.addItem(t, "pink", "", "red")
		bad := atelier.Item{ExternalID: "no-blob", Category: "dress", Images: []atelier.Image{{
			OriginalKey: "missing/o.png", ModelKey: "missing/m.png", Width: 1, Height: 1, ContentType: "image/png"}}}
		if _, err := w.store.CreateItem(ctx, bad); err != nil {
			t.Fatal(err)
		}
		if err := w.rt.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		top, err := w.rt.Rank(ctx, serving.Taste{ConsumerID: "likes-red"}, 100, nil)
		if err != nil || len(top) != 7 || !slices.Contains(ids(top), pink.ID) {
			t.Fatalf("after the catalog grew: %v (%v)", ids(top), err)
		}
	})
}

func TestSegmentsAndDescriptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		if _, err := w.rt.Activate(ctx, w.version.ID); err != nil {
			t.Fatal(err)
		}
		mv, drafts, err := w.rt.KMeans(ctx, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		if mv.ID != w.version.ID || len(drafts) != 2 {
			t.Fatalf("k-means: %+v %+v", mv, drafts)
		}
		var together bool
		for _, d := range drafts {
			together = together || (slices.Contains(d.ConsumerIDs, "likes-red") && slices.Contains(d.ConsumerIDs, "likes-red2"))
		}
		if !together {
			t.Fatalf("the two red lovers are not in one segment: %+v", drafts)
		}
		_, _, err = w.rt.KMeans(ctx, 4, 1)
		testkit.WantKind(t, err, atelier.KindInvalid)

		// Describe what members interacted with.
		c1, _ := w.store.CreateConsumer(ctx, atelier.Consumer{ExternalID: "likes-red"})
		c2, _ := w.store.CreateConsumer(ctx, atelier.Consumer{ExternalID: "likes-blue"})
		var ins []atelier.Interaction
		for i, name := range []string{"red", "darkred", "yellow"} {
			ins = append(ins, atelier.Interaction{ConsumerID: c1.ID, ItemID: w.items[name].ID, Kind: "take", At: mv.CreatedAt.Add(1e9 * time.Duration(i))})
		}
		ins = append(ins, atelier.Interaction{ConsumerID: c2.ID, ItemID: w.items["navy"].ID, Kind: "take", At: mv.CreatedAt})
		if _, err := w.store.AddInteractions(ctx, ins); err != nil {
			t.Fatal(err)
		}
		desc, err := w.rt.Describe(ctx, map[string][]string{"reds": {c1.ID}, "blues": {c2.ID}, "empty": nil})
		if err != nil {
			t.Fatal(err)
		}
		reds := desc["reds"]
		cats, cols := reds["top_categories"].([]any), reds["top_colours"].([]any)
		if reds["interactions"] != 3 || cats[0].(map[string]any)["name"] != "dress" || cats[0].(map[string]any)["share"] != 0.667 ||
			cols[0].(map[string]any)["name"] != "red" || cols[0].(map[string]any)["share"] != 0.667 {
			t.Fatalf("reds described as %v", reds)
		}
		if blues := desc["blues"]; blues["top_colours"].([]any)[0].(map[string]any)["name"] != "blue" {
			t.Fatalf("blues described as %v", blues)
		}
		if desc["empty"]["interactions"] != 0 || desc["empty"]["summary"] != "no interactions yet" {
			t.Fatalf("empty segment described as %v", desc["empty"])
		}
	})
}

func TestDominantColour(t *testing.T) {
	for name, c := range map[string]struct{ r, g, b float32 }{
		"red": {0.85, 0.1, 0.1}, "brown": {0.45, 0.25, 0.1}, "orange": {0.95, 0.55, 0.1}, "black": {0.05, 0.05, 0.1},
		"grey": {0.5, 0.5, 0.52}, "blue": {0.1, 0.2, 0.85}, "green": {0.1, 0.7, 0.2}, "pink": {0.95, 0.4, 0.7},
		"purple": {0.5, 0.1, 0.7}, "yellow": {0.9, 0.85, 0.1}, "teal": {0.1, 0.6, 0.65},
	} {
		tn := imaging.NewTensor(8, 8) // white background
		n := 64
		for i := 0; i < 24; i++ { // a patch of the colour, and a smaller grey one
			tn.Pix[i], tn.Pix[n+i], tn.Pix[2*n+i] = c.r, c.g, c.b
		}
		for i := 40; i < 50; i++ {
			tn.Pix[i], tn.Pix[n+i], tn.Pix[2*n+i] = 0.5, 0.5, 0.5
		}
		if got := serving.DominantColour(tn); got != name {
			t.Errorf("%v named %q, want %q", c, got, name)
		}
	}
	if got := serving.DominantColour(imaging.NewTensor(4, 4)); got != "white" {
		t.Errorf("blank image named %q", got)
	}
}

func TestWatchPicksUpActivationsAndLogsFailuresOnce(t *testing.T) {
	s := storagetest.OpenStore(t, storagetest.SQLiteURL(t))
	w := newWorld(t, s, storagetest.OpenBlob(t, storagetest.LocalBlobURL(t)))
	var logs testkit.LogBuffer
	rt := serving.New(serving.Config{Store: s, Blobs: w.blobs, Load: w.load, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rt.Watch(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	// A broken version stays broken: one log line for many ticks.
	if _, err := s.ActivateModelVersion(ctx, w.broken.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := strings.Count(logs.String(), "recommender refresh failed"); n != 1 {
		t.Fatalf("%d failure lines:\n%s", n, logs.String())
	}
	// Another process activates a good version: the watcher serves it.
	if _, err := s.ActivateModelVersion(ctx, w.version.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, ok := rt.Version(); ok && v.ID == w.version.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher did not pick up the activation:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
