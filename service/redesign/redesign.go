package redesign

import (
	"context"
	"fmt"
	"image"
	"slices"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage/blob"
)

// Defaults of a redesign's knobs, shared by the command line and the API:
// gan's published settings, which a zero knob also gets
// (TestDefaultsAreGANs keeps the two equal).
const (
	DefaultN           = 8
	DefaultEpsilon     = 0.4
	DefaultSteps       = 100
	DefaultInvertSteps = 100
)

// MaxPhotoSide is the longest side a redesign works at: a larger photo is
// scaled down to it first.
const MaxPhotoSide = 4096

// PoorInversionSSIM is the reconstruction quality (SSIM between the
// model's view of the photo and G(z₀)) below which a redesign says the
// generator reconstructed the photo poorly: the catalog's items reconstruct
// at about 0.86 (docs/gan.md). The variants still show the direction the
// segment prefers, less faithfully.
const PoorInversionSSIM = 0.6

// Request is one redesign: the photo (nil: creator mode, a random design
// drawn from Seed), what it is, whose taste, and the method's knobs (zero
// values take the defaults above).
type Request struct {
	Photo    *transfer.Photo // PreparePhoto
	Category string          // "" or one the recommender does not know: what it sees in the photo
	Theta    []float32       // the segment's taste (catalog.SegmentTheta)

	N           int
	Epsilon     float64
	Steps       int
	InvertSteps int
	Seed        int64
	// KeepCategory and KeepRealism weigh the terms that hold shifts to the
	// base's category and to realism (0: gan's defaults, negative: off).
	KeepCategory, KeepRealism float64
	// Transfer is how each variant's change reaches the photo (default
	// transfer.Guided).
	Transfer transfer.Method

	WatermarkKey string
	Description  string // the provenance text every output carries
}

// Result is a redesign: the generator's side (base, model-size variants,
// scores) and, with a photo, each variant applied to it.
type Result struct {
	*gan.RedesignResult
	// FullPNG holds, per variant in the same order, the seller's photo
	// changed the way the variant changes it, marked and encoded (nil
	// without a photo). Only the encoding is kept: at 4096 px a decoded
	// image takes 200 MB.
	FullPNG [][]byte
	// Notes say what the seller should know about the result.
	Notes []string
	// BaseTop and Top (per variant) place the segment's preference for the
	// base and for each variant among the catalog's items: the share of
	// the catalog, in percent, the segment likes at least as much (5: the
	// top 5%). Zero when there are no references to compare with.
	BaseTop float64
	Top     []float64
}

// PreparePhoto readies a seller's photo for redesigns at the model's size:
// scaled down to MaxPhotoSide, the product found and framed
// (transfer.Prepare). A photo without a product is KindInvalid.
func PreparePhoto(img image.Image, size int) (*transfer.Photo, error) {
	b := img.Bounds()
	if w, h := b.Dx(), b.Dy(); max(w, h) > MaxPhotoSide {
		s := float64(MaxPhotoSide) / float64(max(w, h))
		img = imaging.Resize(img, max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5)))
	}
	return transfer.Prepare(imaging.FromImage(img), size)
}

// Run redesigns req's photo with the GAN m for the taste req.Theta,
// checking variants with rec and realism (catalog.CalibrateRealism), and
// transfers each variant's change onto the photo.
func Run(ctx context.Context, m *gan.Models, rec *recommender.Model, realism *gan.Realism, req Request, prog progress.Func) (*Result, error) {
	category := req.Category
	if !slices.Contains(rec.Categories(), category) {
		category = "" // a category the scorer does not know: check against what it sees
	}
	cfg := gan.RedesignConfig{
		Invert:       gan.InvertConfig{Steps: req.InvertSteps, Seed: req.Seed},
		Shift:        gan.ShiftConfig{N: req.N, Epsilon: float32(req.Epsilon), Steps: req.Steps, Seed: req.Seed},
		WatermarkKey: req.WatermarkKey,
		Description:  req.Description,
		KeepCategory: float32(req.KeepCategory),
		KeepRealism:  float32(req.KeepRealism),
	}
	gr := gan.RedesignRequest{Category: category, Theta: req.Theta, CreatorSeed: req.Seed}
	if req.Photo != nil {
		gr.Image = &req.Photo.Input
	}
	res, err := gan.Redesign(ctx, m, rec, realism, gr, cfg, prog)
	if err != nil {
		return nil, err
	}
	out := &Result{RedesignResult: res}
	st, err := newStanding(ctx, rec, realism.Refs, req.Theta)
	if err != nil {
		return nil, err
	}
	out.BaseTop = st.top(res.BasePreference)
	for _, v := range res.Variants {
		out.Top = append(out.Top, st.top(v.Scores.Preference))
	}
	if req.Photo == nil {
		return out, nil
	}
	if inv := res.Inversion; inv != nil && inv.SSIM < PoorInversionSSIM {
		out.Notes = append(out.Notes, fmt.Sprintf(
			"The generator reconstructs this photo poorly (similarity %.2f, below %.2f): the variants show the direction the segment prefers, but the changes may be less precise than usual.",
			inv.SSIM, PoorInversionSSIM))
	}
	if out.FullPNG, err = transferAll(ctx, req, res, prog); err != nil {
		return nil, err
	}
	return out, nil
}

// transferAll applies each variant's change to the photo and marks it.
func transferAll(ctx context.Context, req Request, res *gan.RedesignResult, prog progress.Func) ([][]byte, error) {
	method := req.Transfer
	if method == "" {
		method = transfer.Guided
	}
	full := make([][]byte, len(res.Variants))
	for k, v := range res.Variants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prog.Report(progress.Update{Stage: "full resolution", Step: k, Total: len(res.Variants)})
		t, err := transfer.Apply(req.Photo, transfer.Edit{Base: res.Base.Raw, Variant: v.Image.Raw}, method)
		if err != nil {
			return nil, err
		}
		png, _, err := watermark.MarkPNG(t, req.WatermarkKey, req.Description)
		if err != nil {
			return nil, atelier.Wrap(atelier.KindInternal, err, "mark variant %d", v.Rank)
		}
		full[k] = png
	}
	prog.Report(progress.Update{Stage: "full resolution", Step: len(res.Variants), Total: len(res.Variants)})
	return full, nil
}

// CheckPhoto says, before a redesign is queued, whether the item's photo
// shows a product to redesign: a photo of a plain backdrop alone is
// KindInvalid.
func CheckPhoto(ctx context.Context, blobs blob.Store, it atelier.Item) error {
	t, err := catalog.ItemImage(ctx, blobs, it, atelier.ModelSize)
	if err != nil {
		return err
	}
	if _, err := transfer.ProductMask(t); err != nil {
		return atelier.Errorf(atelier.KindInvalid, "item %s cannot be redesigned: %s", it.ID, atelier.ErrorMessage(err))
	}
	return nil
}
