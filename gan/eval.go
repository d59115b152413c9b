package gan

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/nn"
	"github.com/atelier-app/atelier/internal/progress"
)

// Metrics are the image and distribution measures the evaluation uses,
// injected so that this package does not fix their implementation. A nil
// function leaves out the numbers that need it.
type Metrics struct {
	// SSIM is the mean structural similarity of two images (1 when equal).
	SSIM func(a, b imaging.Tensor) (float64, error)
	// Frechet is the Fréchet distance between Gaussians fitted to two sets
	// of k-dimensional feature vectors (row-major).
	Frechet func(a, b []float32, k int) (float64, error)
}

// EvalConfig sets the sizes of the evaluation.
type EvalConfig struct {
	// Pairs of generated images compared for diversity (default 500).
	DiversityPairs int
	// HeldOut caps the held-out images used for the encoder's
	// reconstruction (default all of them: every HoldoutEvery-th image).
	HeldOut int
	// Inversions is how many held-out images are inverted (default 20;
	// negative: none), at InvertSteps (default 0, 25, 50, 100).
	Inversions  int
	InvertSteps []int
	Seed        int64
	Batch       int // inference batch (default 16)
	// BlurSigmas are the blurs of Report.FDPhiBlurred (default 0.5 and 1
	// pixel; negative entries: none).
	BlurSigmas []float64
}

func (c EvalConfig) withDefaults() EvalConfig {
	if c.DiversityPairs == 0 {
		c.DiversityPairs = 500
	}
	if c.Inversions == 0 {
		c.Inversions = 20
	}
	if len(c.InvertSteps) == 0 {
		c.InvertSteps = []int{0, 25, 50, 100}
	}
	if c.Batch == 0 {
		c.Batch = 16
	}
	if c.BlurSigmas == nil {
		c.BlurSigmas = []float64{0.5, 1}
	}
	return c
}

// Report is the evaluation of trained GAN models against a catalog. Fields
// that need a scorer, an encoder or a metric that was not given are nil.
type Report struct {
	// FDPhi is the Fréchet distance between the scorer's features φ of
	// real and generated images; FDPhiFloor the same between two halves of
	// the real images: the value of a perfect generator, up to sampling
	// noise. Both compare sets of the same size (half the catalog each),
	// so they carry the same small-sample bias.
	FDPhi      *float64 `json:"fd_phi,omitempty"`
	FDPhiFloor *float64 `json:"fd_phi_floor,omitempty"`
	// FDPhiMeans is the part of FDPhi that is the squared distance between
	// the two feature means, ‖μ_real − μ_generated‖²; the rest compares
	// the covariances. A mean term that dominates says the samples differ
	// from the catalog in one consistent direction of φ (softer, paler),
	// not in their variety.
	FDPhiMeans *float64 `json:"fd_phi_means,omitempty"`
	// FDPhiReconstructed is the same distance for G(E(x)) of the second
	// real half against the first: what G draws at the latents of real
	// items, so what random latents could reach at best. fd_phi far above
	// it means random latents miss the catalog's region; close to it means
	// G itself is the limit.
	FDPhiReconstructed *float64 `json:"fd_phi_reconstructed,omitempty"`
	// FDPhiBlurred gives the distance a scale: the same distance for the
	// second real half blurred by a Gaussian of σ pixels (by σ, as
	// printed by strconv's 'g' format), that is, for a generator that drew
	// exactly the catalog's items, only that much softer.
	FDPhiBlurred map[string]float64 `json:"fd_phi_blurred,omitempty"`
	// Prior names the distribution of the random latents: "normal" or
	// "mixture-K" (see Prior).
	Prior string `json:"prior"`
	// PriorSpread is the mixture's spread τ (see CalibrateSpread), absent
	// for the normal.
	PriorSpread *float64 `json:"prior_spread,omitempty"`
	// CategoryMix is the share of each category by the scorer's category
	// head, on the real and on the generated images.
	CategoryMix *CategoryMix `json:"category_mix,omitempty"`
	// Diversity is the mean 1 − SSIM over random pairs of generated images.
	Diversity *float64 `json:"diversity,omitempty"`
	// Encoder is the reconstruction G(E(x)) of held-out real images.
	Encoder *Reconstruction `json:"encoder,omitempty"`
	// Inversion is the mean SSIM of G(z) to held-out images after k
	// inversion steps, by k ("0" = the encoder alone).
	Inversion map[string]float64 `json:"inversion,omitempty"`
	// Counts of the images behind the numbers.
	RealImages      int `json:"real_images"`
	GeneratedImages int `json:"generated_images"`
	HeldOutImages   int `json:"held_out_images"`
}

// CategoryMix holds category shares by name.
type CategoryMix struct {
	Real      map[string]float64 `json:"real"`
	Generated map[string]float64 `json:"generated"`
}

// Reconstruction measures how close reconstructions are to the originals.
type Reconstruction struct {
	MSE  float64  `json:"mse"`
	SSIM *float64 `json:"ssim,omitempty"`
}

// Evaluate measures models m against the real images (the catalog they
// were trained on). scorer may be nil (no φ distance or category mix);
// without an encoder there is no reconstruction, and inversion starts from
// a random z.
func Evaluate(ctx context.Context, m *Models, real ImageSet, scorer Scorer, metrics Metrics, cfg EvalConfig, prog progress.Func) (*Report, error) {
	cfg = cfg.withDefaults()
	size := m.Size()
	if real == nil || real.Len() < 4 {
		return nil, atelier.Errorf(atelier.KindInvalid, "evaluation needs at least 4 real images")
	}
	if im := real.Item(0); im.H != size || im.W != size {
		return nil, atelier.Errorf(atelier.KindInvalid, "real images are %dx%d, the generator makes %dx%d", im.W, im.H, size, size)
	}
	if scorer != nil && scorer.ImageSize() != size {
		return nil, atelier.Errorf(atelier.KindInvalid, "the scorer takes %d px images, the generator makes %d px", scorer.ImageSize(), size)
	}
	rng := rand.New(rand.NewSource(cfg.Seed))
	n := real.Len()
	half := n / 2
	rep := &Report{RealImages: n, GeneratedImages: half, Prior: "normal"}
	if m.Prior != nil {
		rep.Prior = fmt.Sprintf("mixture-%d", m.Prior.Components())
		tau := m.Prior.spread()
		rep.PriorSpread = &tau
	}

	prog.Report(progress.Update{Stage: "eval gan: generate", Step: 0, Total: half})
	gen, err := m.G.Generate(ctx, m.SampleZ(rng, half), cfg.Batch)
	if err != nil {
		return nil, err
	}

	if scorer != nil {
		prog.Report(progress.Update{Stage: "eval gan: features", Step: 0, Total: n + half})
		realF, realCat, err := scoreImages(ctx, scorer, imagesOf(real), cfg.Batch)
		if err != nil {
			return nil, err
		}
		genF, genCat, err := scoreImages(ctx, scorer, gen, cfg.Batch)
		if err != nil {
			return nil, err
		}
		rep.CategoryMix = &CategoryMix{Real: shares(realCat, scorer.Categories()), Generated: shares(genCat, scorer.Categories())}
		if metrics.Frechet != nil {
			k := scorer.Dim()
			perm := rng.Perm(n)
			a, b := gather(realF, perm[:half], k), gather(realF, perm[half:2*half], k)
			fd, err := metrics.Frechet(a, genF, k)
			if err != nil {
				return nil, fmt.Errorf("gan: fd_phi: %w", err)
			}
			floor, err := metrics.Frechet(a, b, k)
			if err != nil {
				return nil, fmt.Errorf("gan: fd_phi floor: %w", err)
			}
			means := meanGap(a, genF, k)
			rep.FDPhi, rep.FDPhiFloor, rep.FDPhiMeans = &fd, &floor, &means
			if rep.FDPhiBlurred, err = blurredDistances(ctx, scorer, metrics, a, Subset{Set: real, Indices: perm[half : 2*half]}, cfg); err != nil {
				return nil, err
			}
			if m.E != nil {
				rec, err := reconstructions(ctx, m, Subset{Set: real, Indices: perm[half : 2*half]}, cfg.Batch)
				if err != nil {
					return nil, err
				}
				recF, _, err := scoreImages(ctx, scorer, rec, cfg.Batch)
				if err != nil {
					return nil, err
				}
				fr, err := metrics.Frechet(a, recF, k)
				if err != nil {
					return nil, fmt.Errorf("gan: fd_phi of reconstructions: %w", err)
				}
				rep.FDPhiReconstructed = &fr
			}
		}
	}

	if metrics.SSIM != nil {
		var sum float64
		for p := 0; p < cfg.DiversityPairs; p++ {
			i := rng.Intn(len(gen))
			j := rng.Intn(len(gen) - 1)
			if j >= i {
				j++
			}
			s, err := metrics.SSIM(gen[i], gen[j])
			if err != nil {
				return nil, fmt.Errorf("gan: diversity: %w", err)
			}
			sum += 1 - s
		}
		d := sum / float64(cfg.DiversityPairs)
		rep.Diversity = &d
	}

	_, heldOut := EncoderSplit(n)
	if cfg.HeldOut > 0 && cfg.HeldOut < len(heldOut) {
		heldOut = heldOut[:cfg.HeldOut]
	}
	rep.HeldOutImages = len(heldOut)
	if m.E != nil {
		rec, err := reconstruct(ctx, m, Subset{Set: real, Indices: heldOut}, metrics, cfg.Batch)
		if err != nil {
			return nil, err
		}
		rep.Encoder = rec
	}
	if metrics.SSIM != nil && cfg.Inversions > 0 {
		k := min(cfg.Inversions, len(heldOut))
		maxStep := 0
		for _, s := range cfg.InvertSteps {
			maxStep = max(maxStep, s)
		}
		sums := map[int]float64{}
		for i := 0; i < k; i++ {
			prog.Report(progress.Update{Stage: "eval gan: invert", Step: i, Total: k})
			img := real.Item(heldOut[i])
			inv, err := Invert(ctx, m, img, InvertConfig{Steps: maxStep, Snapshots: cfg.InvertSteps, Seed: cfg.Seed + int64(i)}, nil)
			if err != nil {
				return nil, err
			}
			for _, s := range cfg.InvertSteps {
				v, err := metrics.SSIM(img, inv.Snapshots[s])
				if err != nil {
					return nil, fmt.Errorf("gan: inversion ssim: %w", err)
				}
				sums[s] += v
			}
		}
		rep.Inversion = map[string]float64{}
		for _, s := range cfg.InvertSteps {
			rep.Inversion[strconv.Itoa(s)] = sums[s] / float64(k)
		}
	}
	return rep, nil
}

// blurredDistances returns the Fréchet distances between the features
// ref and those of set blurred by each of cfg.BlurSigmas.
func blurredDistances(ctx context.Context, scorer Scorer, metrics Metrics, ref []float32, set ImageSet, cfg EvalConfig) (map[string]float64, error) {
	out := map[string]float64{}
	for _, sigma := range cfg.BlurSigmas {
		if sigma < 0 {
			continue
		}
		ims := make([]imaging.Tensor, set.Len())
		for i := range ims {
			ims[i] = imaging.Blur(set.Item(i), sigma)
		}
		f, _, err := scoreImages(ctx, scorer, ims, cfg.Batch)
		if err != nil {
			return nil, err
		}
		fd, err := metrics.Frechet(ref, f, scorer.Dim())
		if err != nil {
			return nil, fmt.Errorf("gan: fd_phi of blurred images: %w", err)
		}
		out[strconv.FormatFloat(sigma, 'g', -1, 64)] = fd
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// reconstructions returns G(E(x)) for every image of set.
func reconstructions(ctx context.Context, m *Models, set ImageSet, batch int) ([]imaging.Tensor, error) {
	z, err := m.E.EncodeSet(ctx, set, batch, "", nil)
	if err != nil {
		return nil, err
	}
	return m.G.Generate(ctx, z, batch)
}

// reconstruct measures G(E(x)) against x over a set of images.
func reconstruct(ctx context.Context, m *Models, set ImageSet, metrics Metrics, batch int) (*Reconstruction, error) {
	ims := imagesOf(set)
	rec, err := reconstructions(ctx, m, set, batch)
	if err != nil {
		return nil, err
	}
	var mse, ssim float64
	for i, im := range ims {
		var s float64
		for j, v := range im.Pix {
			d := float64(v - rec[i].Pix[j])
			s += d * d
		}
		mse += s / float64(len(im.Pix))
		if metrics.SSIM != nil {
			v, err := metrics.SSIM(im, rec[i])
			if err != nil {
				return nil, fmt.Errorf("gan: reconstruction ssim: %w", err)
			}
			ssim += v
		}
	}
	r := &Reconstruction{MSE: mse / float64(len(ims))}
	if metrics.SSIM != nil {
		v := ssim / float64(len(ims))
		r.SSIM = &v
	}
	return r, nil
}

func imagesOf(s ImageSet) []imaging.Tensor {
	out := make([]imaging.Tensor, s.Len())
	for i := range out {
		out[i] = s.Item(i)
	}
	return out
}

func gather(rows []float32, idx []int, k int) []float32 {
	out := make([]float32, 0, len(idx)*k)
	for _, i := range idx {
		out = append(out, rows[i*k:(i+1)*k]...)
	}
	return out
}

// meanGap returns ‖mean(a) − mean(b)‖² for two sets of k-dimensional
// rows (row-major), the mean term of their Fréchet distance.
func meanGap(a, b []float32, k int) float64 {
	ma, mb := make([]float64, k), make([]float64, k)
	for i, v := range a {
		ma[i%k] += float64(v)
	}
	for i, v := range b {
		mb[i%k] += float64(v)
	}
	na, nb := float64(len(a)/k), float64(len(b)/k)
	var d2 float64
	for j := range ma {
		d := ma[j]/na - mb[j]/nb
		d2 += d * d
	}
	return d2
}

// shares turns category indices into shares by name (every name present,
// 0 when unseen).
func shares(cats []int, names []string) map[string]float64 {
	out := make(map[string]float64, len(names))
	for _, n := range names {
		out[n] = 0
	}
	for _, c := range cats {
		out[names[c]] += 1 / float64(len(cats))
	}
	return out
}

// scoreImages returns the scorer's features (row-major, len × Dim) and the
// arg-max category of every image, computed in an inference graph.
func scoreImages(ctx context.Context, s Scorer, ims []imaging.Tensor, batch int) ([]float32, []int, error) {
	size, k, nc := s.ImageSize(), s.Dim(), len(s.Categories())
	batch = max(1, min(batch, len(ims)))
	g := nn.NewGraph(nn.Infer, 1)
	defer g.Close()
	x := g.Input("x", batch, 3, size, size)
	f := s.Features(g, x)
	fOut := g.Output(f)
	cOut := g.Output(s.CategoryLogits(g, f))
	if err := g.Err(); err != nil {
		return nil, nil, fmt.Errorf("gan: scorer graph: %w", err)
	}
	feats := make([]float32, 0, len(ims)*k)
	cats := make([]int, 0, len(ims))
	stride := 3 * size * size
	for lo := 0; lo < len(ims); lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		hi := min(lo+batch, len(ims))
		in := g.InputData(x)
		clear(in)
		for i := lo; i < hi; i++ {
			copy(in[(i-lo)*stride:(i-lo+1)*stride], ims[i].Pix)
		}
		if err := g.Run(); err != nil {
			return nil, nil, fmt.Errorf("gan: score images: %w", err)
		}
		feats = append(feats, fOut.Data().([]float32)[:(hi-lo)*k]...)
		logits := cOut.Data().([]float32)
		for b := 0; b < hi-lo; b++ {
			row := logits[b*nc : (b+1)*nc]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			cats = append(cats, best)
		}
	}
	return feats, cats, nil
}
