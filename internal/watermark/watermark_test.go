package watermark

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	stdpng "image/png"
	"math"
	"testing"

	"golang.org/x/image/draw"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/imgmetric"
)

const testKey = "test-watermark-key"

func mustEmbed(t *testing.T, img image.Image, key string) Marked {
	t.Helper()
	m, err := Embed(img, key)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMarkSurvivesTransforms(t *testing.T) {
	for _, size := range []int{64, 128} {
		worst := map[string]float64{}
		for seed := uint64(0); seed < 8; seed++ {
			m := mustEmbed(t, productImage(size, seed), testKey)
			for _, tr := range transforms(size) {
				present, score := Verify(tr.f(t, m.Image), testKey)
				if !present {
					t.Errorf("%d px product %d after %s: score %.2f below %v", size, seed, tr.name, score, Threshold)
				}
				if w, ok := worst[tr.name]; !ok || score < w {
					worst[tr.name] = score
				}
			}
		}
		for _, tr := range transforms(size) {
			t.Logf("%d px products, %-20s lowest score %.2f", size, tr.name, worst[tr.name])
		}
	}
}

func TestMarkOnTexturedImages(t *testing.T) {
	// Full-frame texture has no flat cells to carry the mark, so it is
	// the hard case; it must still be found after lossless re-encoding,
	// upscaling for display and JPEG 90.
	for _, size := range []int{64, 128} {
		for seed := uint64(0); seed < 4; seed++ {
			m := mustEmbed(t, naturalImage(size, seed), testKey)
			for _, tr := range transforms(size) {
				if tr.name != "png" && tr.name != "up 2x catmull-rom" && tr.name != "jpeg 90" {
					continue
				}
				if present, score := Verify(tr.f(t, m.Image), testKey); !present {
					t.Errorf("%d px textured %d after %s: score %.2f", size, seed, tr.name, score)
				}
			}
		}
	}
}

func TestMarkIsInvisible(t *testing.T) {
	images := map[string]image.Image{
		"product 64":        productImage(64, 1),
		"product 128":       productImage(128, 2),
		"product 256":       productImage(256, 3),
		"textured 64":       naturalImage(64, 1),
		"gradient 64":       gradientImage(64, 1),
		"noise 64":          noiseImage(64, 1),
		"white 64":          flatImage(64, color.NRGBA{255, 255, 255, 255}),
		"black 64":          flatImage(64, color.NRGBA{0, 0, 0, 255}),
		"grey 96x64":        imaging.Resize(flatImage(64, color.NRGBA{128, 128, 128, 255}), 96, 64),
		"product 200x130":   imaging.Resize(productImage(128, 4), 200, 130),
		"transparent 64x80": image.NewNRGBA(image.Rect(0, 0, 64, 80)),
	}
	for name, img := range images {
		m := mustEmbed(t, img, testKey)
		orig := imaging.FromImage(img)
		marked := imaging.FromImage(m.Image)
		psnr, err := imgmetric.PSNR(orig, marked)
		if err != nil {
			t.Fatal(err)
		}
		if psnr < MinPSNR || math.Abs(psnr-m.PSNR) > 1e-6 {
			t.Errorf("%s: PSNR %.2f dB (reported %.2f), want ≥ %v", name, psnr, m.PSNR, MinPSNR)
		}
		ssim, err := imgmetric.SSIM(orig, marked)
		if err != nil {
			t.Fatal(err)
		}
		// No pixel moves by more than the largest boosted chip.
		var worst float64
		for i, v := range orig.Pix {
			worst = math.Max(worst, math.Abs(float64(v-marked.Pix[i]))*255)
		}
		if worst > boostLevels+1 {
			t.Errorf("%s: a pixel changed by %.1f levels", name, worst)
		}
		t.Logf("%-18s PSNR %.2f dB, SSIM %.4f, largest change %.0f levels, score %.2f", name, psnr, ssim, worst, m.Score)
	}
}

func TestUnmarkedImagesAreNotFlagged(t *testing.T) {
	var images []image.Image
	for seed := uint64(0); seed < 40; seed++ {
		images = append(images, productImage(64+32*int(seed%3), seed+100))
	}
	for seed := uint64(0); seed < 8; seed++ {
		images = append(images, naturalImage(64, seed+100), gradientImage(96, seed), noiseImage(64, seed))
	}
	images = append(images, flatImage(64, color.NRGBA{255, 255, 255, 255}), flatImage(64, color.NRGBA{20, 40, 60, 255}))
	for i, img := range images {
		present, score := Verify(img, testKey)
		if present || math.Abs(score) > 4.5 {
			t.Errorf("unmarked image %d: present %v, score %.2f", i, present, score)
		}
	}
}

func TestScoreOfUnmarkedImagesIsStandardNormal(t *testing.T) {
	// Over keys, the score of any fixed unmarked image has mean 0 and
	// variance 1 (see Threshold); check it on product photos, where most
	// cells are pure white, and on textured images.
	var scores []float64
	for seed := uint64(0); seed < 10; seed++ {
		img := imaging.FromImage(productImage(64, seed+200))
		if seed%2 == 1 {
			img = imaging.FromImage(naturalImage(64, seed))
		}
		for k := 0; k < 100; k++ {
			scores = append(scores, Score(img, fmt.Sprintf("key-%d", k)))
		}
	}
	var mean, sq, peak float64
	for _, s := range scores {
		mean += s
		peak = math.Max(peak, math.Abs(s))
	}
	mean /= float64(len(scores))
	for _, s := range scores {
		sq += (s - mean) * (s - mean)
	}
	sd := math.Sqrt(sq / float64(len(scores)-1))
	// With 1000 scores the mean's standard error is about 0.03.
	if math.Abs(mean) > 0.15 || sd < 0.85 || sd > 1.15 || peak > 5 {
		t.Fatalf("unmarked scores over keys: mean %.3f, sd %.3f, largest |score| %.2f; want ≈ N(0,1)", mean, sd, peak)
	}
}

func TestWrongKeyDoesNotVerify(t *testing.T) {
	for seed := uint64(0); seed < 6; seed++ {
		m := mustEmbed(t, productImage(64, seed), testKey)
		if present, score := Verify(m.Image, testKey); !present || score != m.Score {
			t.Fatalf("right key: present %v, score %v (Embed reported %v)", present, score, m.Score)
		}
		for _, key := range []string{DemoKey, testKey + " ", "another-key"} {
			if present, score := Verify(m.Image, key); present || math.Abs(score) > 4.5 {
				t.Errorf("product %d verified with key %q: present %v, score %.2f", seed, key, present, score)
			}
		}
	}
}

func TestEmbedIsDeterministic(t *testing.T) {
	img := productImage(64, 5)
	a, b := mustEmbed(t, img, testKey), mustEmbed(t, img, testKey)
	if string(a.Image.Pix) != string(b.Image.Pix) {
		t.Fatal("marking the same image twice gave different pixels")
	}
	c := mustEmbed(t, img, "another-key")
	if string(a.Image.Pix) == string(c.Image.Pix) {
		t.Fatal("two keys gave the same marked image")
	}
}

func TestEmbedFloatTensor(t *testing.T) {
	// A generator's output: not on 8-bit levels, slightly out of range.
	src := imaging.FromImage(productImage(64, 9))
	for i := range src.Pix {
		src.Pix[i] = src.Pix[i]*1.04 - 0.02 + 0.003*float32(i%7)
	}
	m, err := EmbedTensor(src, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if m.PSNR < MinPSNR || m.Score < Threshold {
		t.Fatalf("PSNR %.2f, score %.2f", m.PSNR, m.Score)
	}
}

func TestEmbedInvalidInput(t *testing.T) {
	ok := imaging.FromImage(productImage(64, 1))
	tests := []struct {
		name string
		t    imaging.Tensor
		key  string
	}{
		{"empty key", ok, ""},
		{"too narrow", imaging.NewTensor(64, 63), testKey},
		{"too short", imaging.NewTensor(32, 64), testKey},
		{"malformed tensor", imaging.Tensor{H: 64, W: 64, Pix: make([]float32, 5)}, testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := EmbedTensor(tt.t, tt.key); atelier.ErrorKind(err) != atelier.KindInvalid {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
		})
	}
}

func TestVerifyDegenerateImages(t *testing.T) {
	if present, score := Verify(productImage(31, 1), testKey); present || score != 0 {
		t.Fatalf("31×31 image: %v %v, want false 0", present, score)
	}
	if present, score := Verify(flatImage(64, color.NRGBA{200, 10, 10, 255}), testKey); present || score != 0 {
		t.Fatalf("flat image: %v %v, want false 0", present, score)
	}
	m := mustEmbed(t, productImage(64, 1), testKey)
	if present, score := Verify(m.Image, ""); present || score != 0 {
		t.Fatalf("empty key: %v %v, want false 0", present, score)
	}
}

func BenchmarkEmbed64(b *testing.B) {
	img := productImage(64, 1)
	for b.Loop() {
		if _, err := Embed(img, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify128(b *testing.B) {
	img := productImage(128, 1)
	for b.Loop() {
		Verify(img, testKey)
	}
}

func TestVerifyReadsEveryImageTypeLikeFromImage(t *testing.T) {
	m := mustEmbed(t, productImage(80, 3), testKey)
	translucent := image.NewNRGBA(image.Rect(0, 0, 80, 80))
	copy(translucent.Pix, m.Image.Pix)
	for i := 3; i < len(translucent.Pix); i += 4 {
		translucent.Pix[i] = uint8(i % 256)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 80, 80))
	gray := image.NewGray(image.Rect(0, 0, 80, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 80; x++ {
			rgba.Set(x, y, translucent.At(x, y))
			gray.Set(x, y, m.Image.At(x, y))
		}
	}
	images := map[string]image.Image{
		"nrgba":       m.Image,
		"translucent": translucent,
		"rgba":        rgba,
		"ycbcr":       reencodeJPEG(t, m.Image, 95),
		"gray":        gray,
		"sub-image":   m.Image.SubImage(image.Rect(7, 5, 80, 78)),
	}
	for name, img := range images {
		_, got := Verify(img, testKey)
		want := Score(imaging.FromImage(img), testKey)
		if got != want {
			t.Errorf("%s: Verify score %v, Score of the tensor %v", name, got, want)
		}
	}
}

func BenchmarkEmbed512(b *testing.B) {
	img := imaging.Resize(productImage(128, 1), 512, 512)
	for b.Loop() {
		if _, err := Embed(img, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

// A seller's photo redesigned at full resolution keeps its mark through
// what a shop does to it: JPEG 85 and a downscale to half the size.
func TestMarkOnFullResolutionPhotos(t *testing.T) {
	for _, size := range [][2]int{{1024, 768}, {2048, 2048}} {
		w, h := size[0], size[1]
		photo := imaging.FromImage(scaled(productImage(256, 3), w, h, draw.CatmullRom))
		data, _, err := MarkPNG(photo, testKey, "AI-generated design variant (test)")
		if err != nil {
			t.Fatal(err)
		}
		marked := decodePNG(t, data)
		for _, tr := range []struct {
			name string
			img  image.Image
		}{
			{"as stored", marked},
			{"jpeg 85", reencodeJPEG(t, marked, 85)},
			{"half size", scaled(marked, w/2, h/2, draw.CatmullRom)},
			{"half size, jpeg 85", reencodeJPEG(t, scaled(marked, w/2, h/2, draw.CatmullRom), 85)},
		} {
			if ok, score := Verify(tr.img, testKey); !ok {
				t.Errorf("%dx%d %s: score %.2f below %v", w, h, tr.name, score, Threshold)
			}
		}
		if rep, err := Inspect(data, testKey); err != nil || !rep.Labelled {
			t.Errorf("%dx%d: provenance %+v (%v)", w, h, rep, err)
		}
	}
}

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := stdpng.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
