package synth

import (
	"bytes"
	"context"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
)

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := imaging.WritePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRenderIsDeterministic(t *testing.T) {
	a, b := DrawCatalog(5, 24), DrawCatalog(5, 24)
	other := DrawCatalog(6, 24)
	r1, r2 := NewRenderer(), NewRenderer()
	differ := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("item %d: attributes differ for the same seed", i)
		}
		x := pngBytes(t, r1.Render(a[i].Attributes, 64))
		y := pngBytes(t, r2.Render(b[i].Attributes, 64))
		if !bytes.Equal(x, y) {
			t.Fatalf("item %d: same seed, different bytes", i)
		}
		// A renderer reused across sizes and items gives the same pixels.
		r1.Render(a[(i+1)%len(a)].Attributes, 128)
		if !bytes.Equal(x, pngBytes(t, r1.Render(a[i].Attributes, 64))) {
			t.Fatalf("item %d: renderer state leaks between renders", i)
		}
		if !bytes.Equal(x, pngBytes(t, r2.Render(other[i].Attributes, 64))) {
			differ++
		}
	}
	if differ != len(a) {
		t.Fatalf("only %d of %d items differ between seeds 5 and 6", differ, len(a))
	}
}

// TestItemsFillTheFrame checks every category over many random items: the
// item covers a good part of the frame, has a clear silhouette against
// white, and is never cut off by the border.
func TestItemsFillTheFrame(t *testing.T) {
	r := NewRenderer()
	for _, c := range Categories() {
		minCov, minExt := 1.0, 1.0
		touched := 0
		for j := range 200 {
			a := DrawAttributes(rand.New(rand.NewPCG(uint64(j), 99)), c)
			tn := imaging.FromImage(r.Render(a, 64))
			f := FeaturesOf(tn)
			minCov, minExt = min(minCov, f.Coverage), min(minExt, f.Extent)
			for k := 0; k < 64; k++ {
				for _, xy := range [][2]int{{k, 0}, {k, 63}, {0, k}, {63, k}} {
					if r, g, b := tn.RGB(xy[0], xy[1]); min(r, g, b) < 0.92 {
						touched++
						t.Logf("%s #%d touches the border at %v: %+v", c, j, xy, a)
					}
				}
			}
		}
		if touched > 0 {
			t.Errorf("%s: %d border pixels covered", c, touched)
		}
		t.Logf("%-8s min coverage %.2f, min extent %.2f", c, minCov, minExt)
		if minCov < 0.08 || minExt < 0.25 {
			t.Errorf("%s: items too small (coverage %.2f, extent %.2f)", c, minCov, minExt)
		}
	}
}

func TestRenderCatalogAnyWorkers(t *testing.T) {
	items := DrawCatalog(3, 40)
	collect := func(workers int) ([][]byte, []Features) {
		out := make([][]byte, len(items))
		f, err := RenderCatalog(context.Background(), items, 48, workers, func(i int, img *image.NRGBA) error {
			out[i] = pngBytes(t, img)
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out, f
	}
	one, f1 := collect(1)
	four, f4 := collect(4)
	for i := range one {
		if !bytes.Equal(one[i], four[i]) || f1[i] != f4[i] {
			t.Fatalf("item %d differs between 1 and 4 workers", i)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	items := DrawCatalog(1, 600)
	r := NewRenderer()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		img := r.Render(items[i%len(items)].Attributes, DefaultSize)
		FeaturesOf(tensorOf(img))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkRenderCatalog measures the parallel render with PNG encoding, as
// in Write, on all cores.
func BenchmarkRenderCatalog(b *testing.B) {
	items := DrawCatalog(1, 300)
	enc := newPNGEncoder()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := RenderCatalog(context.Background(), items, DefaultSize, 0, func(_ int, img *image.NRGBA) error {
			var buf bytes.Buffer
			return enc.Encode(&buf, img)
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "images/s")
}
