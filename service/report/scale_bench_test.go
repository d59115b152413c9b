package report_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/models"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/demo"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// BenchmarkReportScale is a report over a seller's ATELIER_BENCH_REPORT
// items (make bench-report sets 10,000) and 10 segments against the demo
// world's 3,000-item catalog, on the embedded defaults (SQLite, a local
// blob folder) and the demo recommender, each report built and stored as
// the job does. cold-s is the first report, which
// measures every image; sec/op the reports after it, which reuse the
// features the engine keeps per recommender version. Setting up (writing
// and importing the world, uploading the seller's items) takes minutes
// and is not timed; without the variable the benchmark is skipped.
func BenchmarkReportScale(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("ATELIER_BENCH_REPORT"))
	if n <= 0 {
		b.Skip("set ATELIER_BENCH_REPORT=ITEMS (make bench-report)")
	}
	ctx := context.Background()
	store := storagetest.OpenStore(b, storagetest.SQLiteURL(b))
	blobs := storagetest.OpenBlob(b, storagetest.LocalBlobURL(b))
	start := time.Now()
	world := filepath.Join(b.TempDir(), "world")
	if _, err := synth.Write(ctx, world, synth.DefaultConfig(demo.Seed), false, nil); err != nil {
		b.Fatal(err)
	}
	servicetest.Import(b, store, blobs, world)
	data, err := models.Demo("recommender.safetensors")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := catalog.RegisterModel(ctx, store, blobs, atelier.ModelRecommender, data, nil); err != nil {
		b.Fatal(err)
	}
	splitSegments(b, store, 10)
	seller := sellerWithItems(b, store, blobs, n)
	b.Logf("set up in %s: %d seller items", time.Since(start).Round(time.Second), n)

	eng := report.NewEngine(store, blobs)
	r := atelier.Report{ID: "bench", SellerID: seller}
	t0 := time.Now()
	key, err := eng.Run(ctx, r, nil) // as the job does: build and store
	if err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t0)
	doc, err := report.Load(ctx, blobs, atelier.Report{ID: r.ID, Status: atelier.JobSucceeded, ResultKey: key})
	if err != nil {
		b.Fatal(err)
	}
	if len(doc.Items) != n || len(doc.Segments) != 10 || doc.CatalogSize != 3000 {
		b.Fatalf("report of %d items × %d segments against %d catalog items", len(doc.Items), len(doc.Segments), doc.CatalogSize)
	}
	for b.Loop() {
		if _, err := eng.Run(ctx, r, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "sec/op")
}

// splitSegments replaces the imported persona segments by k segments
// that deal their members out in turn, so a report covers k segments
// of consumers the recommender knows.
func splitSegments(b *testing.B, store *storage.Store, k int) {
	ctx := context.Background()
	segs, err := store.ListSegments(ctx, storage.SegmentFilter{})
	if err != nil || len(segs) == 0 {
		b.Fatalf("segments: %d (%v)", len(segs), err)
	}
	var all []atelier.Membership
	for _, sg := range segs {
		ms, err := store.ListMemberships(ctx, sg.ID)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, ms...)
		if err := store.DeleteSegment(ctx, sg.ID); err != nil {
			b.Fatal(err)
		}
	}
	for s := range k {
		sg, err := store.CreateSegment(ctx, atelier.Segment{Name: fmt.Sprintf("bench-%02d", s), Kind: atelier.SegmentImported})
		if err != nil {
			b.Fatal(err)
		}
		var ms []atelier.Membership
		for i := s; i < len(all); i += k {
			ms = append(ms, atelier.Membership{SegmentID: sg.ID, ConsumerID: all[i].ConsumerID, Weight: 1})
		}
		if err := store.SetMemberships(ctx, sg.ID, ms); err != nil {
			b.Fatal(err)
		}
	}
}

// sellerWithItems creates a seller with n items: products of another seed
// than the catalog's, rendered at model size.
func sellerWithItems(b *testing.B, store *storage.Store, blobs blob.Store, n int) string {
	ctx := context.Background()
	seller, _, err := store.CreateSeller(ctx, atelier.Seller{Name: "bench seller"}, "")
	if err != nil {
		b.Fatal(err)
	}
	items := synth.DrawCatalog(9, n)
	_, err = synth.RenderCatalog(ctx, items, atelier.ModelSize, 0, func(i int, img *image.NRGBA) error {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		key := fmt.Sprintf("uploads/%s/%05d.png", seller.ID, i)
		if err := blobs.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/png"); err != nil {
			return err
		}
		_, err := store.CreateItem(ctx, atelier.Item{OwnerID: seller.ID, ExternalID: fmt.Sprintf("sku-%05d", i), Category: string(items[i].Category),
			Images: []atelier.Image{{OriginalKey: key, ModelKey: key, Width: atelier.ModelSize, Height: atelier.ModelSize, ContentType: "image/png"}}})
		return err
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return seller.ID
}
