package watermark

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
)

// productImage draws a product-like photo: one item on white covering
// roughly 30–60% of the frame, a rounded body with an optional stripe,
// check or dot pattern in a second colour, and a darker accent part. Edges
// are anti-aliased by 4×4 supersampling.
func productImage(size int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 11))
	randColour := func() [3]float64 {
		return [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
	}
	body, second := randColour(), randColour()
	accent := [3]float64{body[0] * 0.4, body[1] * 0.4, body[2] * 0.4}
	cx, cy := 0.5+0.06*(rng.Float64()-0.5), 0.5+0.06*(rng.Float64()-0.5)
	rx, ry := 0.3+0.12*rng.Float64(), 0.3+0.12*rng.Float64()
	kind := rng.IntN(4) // solid, stripes, checks, dots
	period := 0.05 + 0.1*rng.Float64()
	round := 2 + 4*rng.Float64() // superellipse exponent: 2 oval … 6 boxy

	colourAt := func(u, v float64) ([3]float64, bool) {
		du, dv := math.Abs(u-cx)/rx, math.Abs(v-cy)/ry
		if math.Pow(du, round)+math.Pow(dv, round) > 1 {
			return [3]float64{1, 1, 1}, false
		}
		if v > cy+0.7*ry {
			return accent, true
		}
		switch kind {
		case 1:
			if math.Mod(v/period, 2) < 1 {
				return second, true
			}
		case 2:
			if (int(u/period)+int(v/period))%2 == 0 {
				return second, true
			}
		case 3:
			fu, fv := math.Mod(u/period, 1)-0.5, math.Mod(v/period, 1)-0.5
			if fu*fu+fv*fv < 0.08 {
				return second, true
			}
		}
		return body, true
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var acc [3]float64
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					c, _ := colourAt((float64(x)+(float64(sx)+0.5)/4)/float64(size), (float64(y)+(float64(sy)+0.5)/4)/float64(size))
					for k := range acc {
						acc[k] += c[k] / 16
					}
				}
			}
			i := 4 * (y*size + x)
			for k := range acc {
				img.Pix[i+k] = uint8(math.Round(255 * acc[k]))
			}
			img.Pix[i+3] = 0xff
		}
	}
	return img
}

// naturalImage is a full-frame textured scene with no flat background:
// gratings at falling amplitudes (a 1/f-like spectrum), a few discs and
// mild pixel noise.
func naturalImage(size int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 12))
	type grating struct{ fx, fy, phase, amp float64 }
	var gs [3][]grating
	for c := range gs {
		for k := 0; k < 12; k++ {
			f := 1 + 20*rng.Float64()
			th := 2 * math.Pi * rng.Float64()
			gs[c] = append(gs[c], grating{f * math.Cos(th), f * math.Sin(th), 2 * math.Pi * rng.Float64(), 0.25 / f})
		}
	}
	type disc struct{ x, y, r, v float64 }
	var ds []disc
	for k := 0; k < 5; k++ {
		ds = append(ds, disc{rng.Float64(), rng.Float64(), 0.05 + 0.15*rng.Float64(), rng.Float64()*0.4 - 0.2})
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			u, v := float64(x)/float64(size), float64(y)/float64(size)
			i := 4 * (y*size + x)
			for c := 0; c < 3; c++ {
				val := 0.5
				for _, g := range gs[c] {
					val += g.amp * math.Sin(2*math.Pi*(g.fx*u+g.fy*v)+g.phase)
				}
				for _, d := range ds {
					if (u-d.x)*(u-d.x)+(v-d.y)*(v-d.y) < d.r*d.r {
						val += d.v
					}
				}
				val += 0.01 * rng.NormFloat64()
				img.Pix[i+c] = uint8(math.Round(255 * math.Min(1, math.Max(0, val))))
			}
			img.Pix[i+3] = 0xff
		}
	}
	return img
}

// gradientImage is a smooth two-colour diagonal gradient.
func gradientImage(size int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 13))
	a := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
	b := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			t := float64(x+y) / float64(2*size-2)
			i := 4 * (y*size + x)
			for c := 0; c < 3; c++ {
				img.Pix[i+c] = uint8(math.Round(255 * (a[c] + t*(b[c]-a[c]))))
			}
			img.Pix[i+3] = 0xff
		}
	}
	return img
}

// noiseImage is uniform RGB noise.
func noiseImage(size int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 14))
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 0xff
		}
	}
	return img
}

func flatImage(size int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

// scaled resamples img to w×h with the given interpolator, as an image
// pipeline or a marketplace would when showing or re-sharing it.
func scaled(img image.Image, w, h int, k draw.Interpolator) image.Image {
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	k.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	return dst
}

func reencodePNG(t *testing.T, img image.Image) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	out, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func reencodeJPEG(t *testing.T, img image.Image, quality int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// transform is one thing that happens to an image after it leaves the
// service.
type transform struct {
	name string
	f    func(t *testing.T, img image.Image) image.Image
}

// transforms returns the changes a marked image of side n must survive.
func transforms(n int) []transform {
	return []transform{
		{"png", reencodePNG},
		{"up 2x catmull-rom", func(_ *testing.T, i image.Image) image.Image { return scaled(i, 2*n, 2*n, draw.CatmullRom) }},
		{"up 2x bilinear", func(_ *testing.T, i image.Image) image.Image { return scaled(i, 2*n, 2*n, draw.BiLinear) }},
		{"up 2x then 3/4", func(_ *testing.T, i image.Image) image.Image {
			return scaled(scaled(i, 2*n, 2*n, draw.CatmullRom), 3*n/2, 3*n/2, draw.BiLinear)
		}},
		{"up 2x then back", func(_ *testing.T, i image.Image) image.Image {
			return scaled(scaled(i, 2*n, 2*n, draw.CatmullRom), n, n, draw.BiLinear)
		}},
		{"down 3/4", func(_ *testing.T, i image.Image) image.Image { return scaled(i, 3*n/4, 3*n/4, draw.CatmullRom) }},
		{"jpeg 90", func(t *testing.T, i image.Image) image.Image { return reencodeJPEG(t, i, 90) }},
		{"jpeg 85", func(t *testing.T, i image.Image) image.Image { return reencodeJPEG(t, i, 85) }},
		{"up 2x then jpeg 85", func(t *testing.T, i image.Image) image.Image {
			return reencodeJPEG(t, scaled(i, 2*n, 2*n, draw.CatmullRom), 85)
		}},
	}
}
