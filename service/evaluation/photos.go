package evaluation

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/redesign"
)

// Photo is a seller's photo to redesign in an evaluation.
type Photo struct {
	Name  string
	Image image.Image
}

// LoadPhotos reads the image files of dir (of dir/images when it has
// one, as `atelier synth` writes), in name order; with jpegQuality > 0
// each is re-encoded as a JPEG of that quality first, as a seller's camera
// or shop would.
func LoadPhotos(dir string, jpegQuality int) ([]Photo, error) {
	if st, err := os.Stat(filepath.Join(dir, "images")); err == nil && st.IsDir() {
		dir = filepath.Join(dir, "images")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Photo
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains([]string{".png", ".jpg", ".jpeg", ".webp"}, ext) {
			continue
		}
		img, err := imaging.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, atelier.Errorf(atelier.KindInvalid, "photo %s: %v", e.Name(), err)
		}
		if jpegQuality > 0 {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
				return nil, err
			}
			if img, err = jpeg.Decode(&buf); err != nil {
				return nil, err
			}
		}
		out = append(out, Photo{Name: e.Name(), Image: img})
	}
	if len(out) == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "%s holds no PNG, JPEG or WebP photo", dir)
	}
	return out, nil
}

// PhotoConfig is an evaluation of redesigns of sellers' photos.
type PhotoConfig struct {
	Pairs        int
	SegmentSizes []int
	Seed         int64
	N, Steps     int
	InvertSteps  int
	Transfer     transfer.Method // the method reported as each method's "full"
	WatermarkKey string
	// FigurePairs is how many pairs the report's figure shows (0: none).
	FigurePairs int
}

// FullReport measures variants at the photo's resolution (see
// docs/redesign.md for each measure).
type FullReport struct {
	OracleUplift          float64 `json:"oracle_uplift"`
	OracleUplift64        float64 `json:"oracle_uplift_64"`
	OraclePositiveFrac    float64 `json:"oracle_positive_frac"`
	SharpnessRatio        float64 `json:"sharpness_ratio"`
	SharpnessRatioNaive   float64 `json:"sharpness_ratio_naive"`
	BackgroundChangedFrac float64 `json:"background_changed_frac"`
	// BackgroundChangedMarkedFrac is the same after the invisible mark,
	// which covers the whole image.
	BackgroundChangedMarkedFrac float64 `json:"background_changed_frac_marked"`
	EditConsistency             float64 `json:"edit_consistency"`
}

// PhotoMethodReport is the redesign method's results at the model's size
// (as in gan.MethodReport) with the transfer's at the photo's.
type PhotoMethodReport struct {
	PredUplift         float64    `json:"pred_uplift"`
	OracleUplift       float64    `json:"oracle_uplift"`
	OraclePositiveFrac float64    `json:"oracle_positive_frac"`
	PassedFrac         float64    `json:"passed_frac"`
	Full               FullReport `json:"full"`
}

// PhotoReport is the evaluation's result.
type PhotoReport struct {
	Pairs    int                          `json:"pairs"`
	Photos   int                          `json:"photos"`
	Transfer string                       `json:"transfer"`
	Methods  map[string]PhotoMethodReport `json:"methods"`
	// Transfers has the full-resolution measures of every transfer method
	// on the same variants.
	Transfers map[string]FullReport `json:"transfers"`
	// TransferSeconds is the time of one variant's transfer with
	// Transfer, by the photo's side in pixels.
	TransferSeconds map[string]float64 `json:"transfer_seconds"`
	// Figure has a row per pair of the first FigurePairs: the photo, the
	// best variant as the generator drew it (scaled up, nearest
	// neighbour), the same scaled up smoothly (the naive transfer), and
	// the variant transferred with Transfer.
	Figure [][]image.Image `json:"-"`
}

// RedesignPhotos redesigns sellers' photos for segments of the dataset's
// personas, as a redesign job does (redesign.Run: the gis method, with
// the realism check calibrated on the dataset's references), and judges
// the variants at the photo's resolution with the persona's utility, the
// oracle the models never see.
func RedesignPhotos(ctx context.Context, m *gan.Models, rec *recommender.Model, d *recommender.Dataset, personas []synth.Persona,
	photos []Photo, cfg PhotoConfig, prog progress.Func) (*PhotoReport, error) {
	realism, _, err := catalog.DatasetRealism(ctx, m, d)
	if err != nil {
		return nil, err
	}
	draws, err := drawPairs(rec, d, personas, len(photos), cfg.SegmentSizes, cfg.Pairs, cfg.Seed)
	if err != nil {
		return nil, err
	}
	acc := newPhotoTally()
	var first *timingCase
	var figure [][]image.Image
	for p, dr := range draws {
		prog.Report(progress.Update{Stage: "pairs", Step: p, Total: len(draws)})
		photo, err := redesign.PreparePhoto(photos[dr.item].Image, m.Size())
		if err != nil {
			return nil, fmt.Errorf("photo %s: %w", photos[dr.item].Name, err)
		}
		res, err := redesign.Run(ctx, m, rec, realism, redesign.Request{Photo: photo, Theta: dr.theta,
			N: cfg.N, Steps: cfg.Steps, InvertSteps: cfg.InvertSteps, Seed: cfg.Seed + int64(p), Transfer: cfg.Transfer,
			WatermarkKey: cfg.WatermarkKey, Description: "AI-generated design variant (Atelier evaluation)"}, nil)
		if err != nil {
			return nil, fmt.Errorf("pair %d (photo %s): %w", p, photos[dr.item].Name, err)
		}
		if err := acc.add(photo, res, dr.oracle, cfg.Transfer); err != nil {
			return nil, err
		}
		if p < cfg.FigurePairs && len(res.Variants) > 0 {
			row, err := figureRow(photo, res, cfg.Transfer)
			if err != nil {
				return nil, err
			}
			figure = append(figure, row)
		}
		if first == nil && len(res.Variants) > 0 {
			first = &timingCase{image: photos[dr.item].Image, edit: transfer.Edit{Base: res.Base.Raw, Variant: res.Variants[0].Image.Raw}}
		}
	}
	prog.Report(progress.Update{Stage: "pairs", Step: len(draws), Total: len(draws)})
	rep := acc.report(cfg.Transfer)
	rep.Photos = len(photos)
	rep.Figure = figure
	if first != nil {
		if rep.TransferSeconds, err = first.seconds(m.Size(), cfg.Transfer); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// timingCase is a photo and an edit to time transfers with.
type timingCase struct {
	image image.Image
	edit  transfer.Edit
}

// seconds times one transfer at 256, 1024 and 4096 px (the photo scaled),
// the best of three runs.
func (c *timingCase) seconds(size int, method transfer.Method) (map[string]float64, error) {
	out := map[string]float64{}
	for _, side := range []int{256, 1024, 4096} {
		b := c.image.Bounds()
		scale := float64(side) / float64(max(b.Dx(), b.Dy()))
		img := imaging.Resize(c.image, max(1, int(float64(b.Dx())*scale+0.5)), max(1, int(float64(b.Dy())*scale+0.5)))
		p, err := transfer.Prepare(imaging.FromImage(img), size)
		if err != nil {
			return nil, err
		}
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			if _, err := transfer.Apply(p, c.edit, method); err != nil {
				return nil, err
			}
			best = min(best, time.Since(start))
		}
		out[fmt.Sprint(side)] = best.Seconds()
	}
	return out, nil
}

// figureRow shows one pair's best variant (see PhotoReport.Figure), each
// image at the photo's size.
func figureRow(photo *transfer.Photo, res *redesign.Result, method transfer.Method) ([]image.Image, error) {
	v := res.Variants[0]
	e := transfer.Edit{Base: res.Base.Raw, Variant: v.Image.Raw}
	naive, err := transfer.Apply(photo, e, transfer.Naive)
	if err != nil {
		return nil, err
	}
	moved, err := transfer.Apply(photo, e, method)
	if err != nil {
		return nil, err
	}
	w, h := photo.Pix.W, photo.Pix.H
	drawn := image.NewNRGBA(image.Rect(0, 0, w, h))
	xdraw.NearestNeighbor.Scale(drawn, drawn.Bounds(), v.Image.Raw.Image(), v.Image.Raw.Image().Bounds(), xdraw.Src, nil)
	return []image.Image{photo.Pix.Image(), drawn, naive.Image(), moved.Image()}, nil
}
