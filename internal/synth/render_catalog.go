package synth

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
)

// RenderCatalog renders every item at size px on workers goroutines, hands
// each image to sink (called concurrently, once per item; nil to skip) and
// returns the oracle features of every item, computed from the 8-bit image
// so that they equal the features of the written PNG. Work is handed out by
// index and each item depends only on its attributes, so the output is the
// same with any number of workers. The first error stops all workers.
func RenderCatalog(ctx context.Context, items []Item, size, workers int, sink func(i int, img *image.NRGBA) error, report progress.Func) ([]Features, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	feats := make([]Features, len(items))
	var next, done atomic.Int64
	var mu sync.Mutex // serialises report calls
	start := time.Now()
	var wg sync.WaitGroup
	for range min(workers, max(1, len(items))) {
		wg.Go(func() {
			r := NewRenderer()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				img := r.Render(items[i].Attributes, size)
				feats[i] = FeaturesOf(tensorOf(img))
				if sink != nil {
					if err := sink(i, img); err != nil {
						cancel(fmt.Errorf("item %s: %w", items[i].ID, err))
						return
					}
				}
				if d := int(done.Add(1)); d%32 == 0 || d == len(items) {
					mu.Lock()
					u := progress.Update{Stage: "render", Step: d, Total: len(items)}
					if sec := time.Since(start).Seconds(); sec > 0 {
						u.Metrics = map[string]float64{"images/s": float64(d) / sec}
					}
					report.Report(u)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return feats, nil
}

// tensorOf converts an opaque 8-bit image to a tensor; it gives the same
// values as imaging.FromImage (v/255 is correctly rounded either way) without
// a call per pixel.
func tensorOf(img *image.NRGBA) imaging.Tensor {
	b := img.Bounds()
	t := imaging.Tensor{H: b.Dy(), W: b.Dx(), Pix: make([]float32, 3*b.Dx()*b.Dy())}
	n := t.H * t.W
	for y := 0; y < t.H; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < t.W; x++ {
			i := y*t.W + x
			t.Pix[i] = float32(row[4*x]) / 255
			t.Pix[n+i] = float32(row[4*x+1]) / 255
			t.Pix[2*n+i] = float32(row[4*x+2]) / 255
		}
	}
	return t
}

// newPNGEncoder returns an encoder with the settings of imaging.WritePNG
// (so the bytes are the same) that reuses its compression buffers: a fresh
// deflate state per image costs more than rendering it.
func newPNGEncoder() *png.Encoder {
	return &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}
}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }
