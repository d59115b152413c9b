package watermark

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// MinSize is the smallest side of an image Embed accepts.
const MinSize = 64

// MinPSNR is the least fidelity of a marked image, in dB against the
// input: Embed weakens the mark of an image that would fall below it.
const MinPSNR = 38.0

// Chip amplitudes, in 8-bit levels, for images with cells of at most 2×2
// pixels (64×64 images); larger cells average more pixels and get
// amplitudes scaled by (2/cell side)^¼, but never below minLevels.
const (
	baseLevels  = 2.0  // every cell's chip
	minLevels   = 1.0  // least base amplitude, for very large images
	textureAt   = 8.0  // RMS of the cell residuals around a cell (levels) that counts as fully textured
	boostLevels = 6.0  // most a fully textured cell may get to win its vote (see boost)
	boostMargin = 2.0  // levels by which a cell's residual should agree with its chip
	boostRounds = 3    // rounds of boost
	boostPSNR   = 38.5 // boosting stops before the PSNR falls below this
	maxTries    = 8    // PSNR back-offs, each weakening the whole mark by 10%
)

// Marked is the result of marking an image.
type Marked struct {
	Image *image.NRGBA // the marked image, 8 bits per channel, opaque
	PSNR  float64      // dB, of Image against the input
	Score float64      // detection score of Image (see Verify)
}

// Embed marks img with key's invisible mark. Transparent pixels are
// composited onto white first.
func Embed(img image.Image, key string) (Marked, error) {
	return EmbedTensor(imaging.FromImage(img), key)
}

// EmbedTensor marks t (values in [0,1]; others are clipped) with key's mark
// and returns it as an 8-bit image. The result depends only on t and key.
func EmbedTensor(t imaging.Tensor, key string) (Marked, error) {
	if key == "" {
		return Marked{}, atelier.FieldErrorf("key", "watermark key is empty")
	}
	if len(t.Pix) != 3*t.H*t.W {
		return Marked{}, atelier.Errorf(atelier.KindInvalid, "malformed image tensor: %d×%d with %d values", t.W, t.H, len(t.Pix))
	}
	if t.H < MinSize || t.W < MinSize {
		return Marked{}, atelier.Errorf(atelier.KindInvalid, "watermark needs an image of at least %d×%d pixels, got %d×%d", MinSize, MinSize, t.W, t.H)
	}
	orig := imaging.Tensor{H: t.H, W: t.W, Pix: make([]float32, len(t.Pix))}
	for i, v := range t.Pix {
		orig.Pix[i] = min(1, max(0, v))
		if v != v { // NaN
			orig.Pix[i] = 0
		}
	}
	p := pattern(key)
	amps, caps := amplitudes(orig)
	boost(orig, p, amps, caps, key)
	scale := 1.0
	for try := 0; ; try++ {
		img := mark(orig, p, amps, scale, ditherSource(key))
		marked := tensorOf(img)
		q := psnr(orig, marked)
		if q >= MinPSNR || try == maxTries {
			return Marked{Image: img, PSNR: q, Score: Score(marked, key)}, nil
		}
		scale *= 0.9
	}
}

// amplitudes returns every cell's base chip amplitude, in [0,1] units, and
// its cap for boost: the base amplitude in flat cells, rising to
// boostLevels where the RMS of the cell residuals around the cell reaches
// textureAt, since texture masks the chips.
func amplitudes(t imaging.Tensor) (amps, caps []float64) {
	side := float64(min(t.H, t.W)) / Grid
	size := max(minLevels/baseLevels, math.Min(1, math.Sqrt(math.Sqrt(2/side))))
	s := localRMS(residual(cellLuma(t)), false)
	amps, caps = make([]float64, len(s)), make([]float64, len(s))
	for i, v := range s {
		tex := math.Min(1, v*255/textureAt)
		amps[i] = size * baseLevels / 255
		caps[i] = size * (baseLevels + (boostLevels-baseLevels)*tex) / 255
	}
	return amps, caps
}

// boost raises, in a few rounds, the amplitude of cells whose marked
// residual does not yet agree with their chip by boostMargin, within their
// caps. In textured cells the image's own residual often outvotes a small
// chip; the embedder knows that residual, so it spends a little more
// (masked) amplitude exactly where a vote would otherwise be lost.
func boost(t imaging.Tensor, p, amps, caps []float64, key string) {
	prev := slices.Clone(amps)
	next := slices.Clone(amps)
	for range boostRounds {
		marked := tensorOf(mark(t, p, amps, 1, ditherSource(key)))
		copy(prev, amps)
		changed := false
		for i, v := range residual(cellLuma(marked)) {
			next[i] = amps[i]
			if short := boostMargin/255 - p[i]*v; short > 0 && amps[i] < caps[i] {
				next[i] = math.Min(caps[i], amps[i]+short)
				changed = true
			}
		}
		if !changed {
			return
		}
		// Take the largest fraction of this round's increments (of 1, ½,
		// ¼, ⅛) that keeps the PSNR at boostPSNR.
		for f := 1.0; ; f /= 2 {
			if f < 0.1 {
				copy(amps, prev)
				return
			}
			for i := range amps {
				amps[i] = prev[i] + f*(next[i]-prev[i])
			}
			if psnr(t, tensorOf(mark(t, p, amps, 1, ditherSource(key)))) >= boostPSNR {
				break
			}
		}
	}
}

// mark adds scale·amps·chip to the three channels of every pixel, the chip
// and amplitude being those of the grid cell that holds the pixel's centre,
// clips to [0,1] and rounds to 8 bits with random dither, so that a
// fraction of a level still moves the cell's mean by that fraction.
func mark(t imaging.Tensor, p, amps []float64, scale float64, rng *rand.Rand) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, t.W, t.H))
	n := t.H * t.W
	for y := 0; y < t.H; y++ {
		cy := (2*y + 1) * Grid / (2 * t.H)
		for x := 0; x < t.W; x++ {
			cx := (2*x + 1) * Grid / (2 * t.W)
			j := cy*Grid + cx
			d := scale * amps[j] * p[j]
			i := y*t.W + x
			u := rng.Float64() // one dither value for the three channels keeps the change grey
			for c := 0; c < 3; c++ {
				v := math.Min(1, math.Max(0, float64(t.Pix[c*n+i])+d))
				img.Pix[4*i+c] = uint8(math.Min(255, math.Floor(v*255+u)))
			}
			img.Pix[4*i+3] = 0xff
		}
	}
	return img
}

// tensorOf converts an opaque image made by mark; it gives the same values
// as imaging.FromImage, without an interface call per pixel.
func tensorOf(img *image.NRGBA) imaging.Tensor {
	b := img.Bounds()
	t := imaging.Tensor{H: b.Dy(), W: b.Dx(), Pix: make([]float32, 3*b.Dx()*b.Dy())}
	n := t.H * t.W
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			t.Pix[c*n+i] = float32(img.Pix[4*i+c]) / 255
		}
	}
	return t
}

// ditherSource returns the dither stream of key's marks, so that marking is
// deterministic.
func ditherSource(key string) *rand.Rand {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("atelier/watermark/v1/dither"))
	sum := mac.Sum(nil)
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
}

// psnr returns the PSNR of b against a in dB (peak 1).
func psnr(a, b imaging.Tensor) float64 {
	var s float64
	for i, v := range a.Pix {
		d := float64(v) - float64(b.Pix[i])
		s += d * d
	}
	if s == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(float64(len(a.Pix))/s)
}

// MarkPNG marks t with key's invisible mark and encodes it as a PNG that
// carries the provenance text desc: the one way a generated image leaves
// the product. It returns the PNG and the mark's PSNR.
func MarkPNG(t imaging.Tensor, key, desc string) ([]byte, float64, error) {
	mk, err := EmbedTensor(t, key)
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	if err := EncodePNG(&buf, mk.Image, Provenance(desc)...); err != nil {
		return nil, 0, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), mk.PSNR, nil
}
