package evaluation

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/colour"
	"github.com/atelier-app/atelier/internal/composite"
	"github.com/atelier-app/atelier/internal/describe"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/synth"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/backgrounds"
)

// StandOut is the least ΔE between a placed product and the background
// around it for the product to stand out (docs/backgrounds.md).
const StandOut = 25

// moodFamilies group mood words for the relevance rule.
var moodFamilies = map[string]string{
	"warm": "warm", "cool": "cool",
	"bright": "energy", "bold": "energy", "playful": "energy",
	"soft": "quiet", "calm": "quiet",
	"dark": "refined", "elegant": "refined",
	"natural": "natural",
}

// BackgroundsReport is `atelier eval backgrounds`.
type BackgroundsReport struct {
	Description DescriptionAccuracy `json:"description"`
	Suggestions SuggestionQuality   `json:"suggestions"`
	Items       int                 `json:"items"`
	Scenes      int                 `json:"scenes"`
	Seconds     float64             `json:"seconds"`
}

// DescriptionAccuracy compares descriptions with the world's truth.
type DescriptionAccuracy struct {
	CategoryAcc      float64                   `json:"category_acc"`
	ColourFamilyAcc  float64                   `json:"colour_family_acc"`
	ColourNamedAcc   float64                   `json:"colour_family_named_acc"`
	PatternAcc       float64                   `json:"pattern_acc"`
	PatternConfusion map[string]map[string]int `json:"pattern_confusion"` // true → described → count
}

// SuggestionQuality is precision@5 of each ranking.
type SuggestionQuality struct {
	PrecisionAt5 map[string]float64 `json:"precision_at_5"` // text, colour_only, same_colour, random
	// SE is the standard error of each mean over items.
	SE map[string]float64 `json:"precision_at_5_se"`
}

// truth is what the world knows of an item.
type truth struct {
	category string
	primary  colour.RGB
	second   colour.RGB
	pattern  string // the describer's word for the world's fill
}

// Backgrounds describes the first n items of a synthetic world's dataset
// from their images and ranks the built-in scenes for each, judged by the
// world's truth and the composites (docs/backgrounds.md).
func Backgrounds(ctx context.Context, rec *recommender.Model, d *recommender.Dataset, n int, prog progress.Func) (BackgroundsReport, error) {
	start := time.Now()
	if n > len(d.Items) {
		n = len(d.Items)
	}
	if n < 1 {
		return BackgroundsReport{}, atelier.Errorf(atelier.KindInvalid, "the dataset has no items")
	}
	truths, err := worldTruths(d, n)
	if err != nil {
		return BackgroundsReport{}, err
	}
	specs := backdrop.Library()
	first, err := imaging.ReadFile(d.ImagePath(0))
	if err != nil {
		return BackgroundsReport{}, err
	}
	size := first.Bounds().Dx()
	scenes := make([]image.Image, len(specs))
	for i, s := range specs {
		scenes[i] = s.Render(size)
	}
	idx, err := backgrounds.LibraryIndex(specs, size)
	if err != nil {
		return BackgroundsReport{}, err
	}
	defer idx.Close()
	cat := &backgrounds.ModelCategorizer{M: rec}

	results := make([]itemResult, n)
	var next, done int
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n || ctx.Err() != nil {
					return
				}
				r, err := judgeItem(ctx, d.ImagePath(i), truths[i], specs, scenes, idx, cat)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("item %s: %w", d.Items[i].ID, err)
				}
				results[i] = r
				done++
				prog.Report(progress.Update{Stage: "items", Step: done, Total: n})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return BackgroundsReport{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return BackgroundsReport{}, err
	}
	rep := summarise(results)
	rep.Items, rep.Scenes, rep.Seconds = n, len(specs), time.Since(start).Seconds()
	return rep, nil
}

// itemResult is one item's description checks and per-ranking precision.
type itemResult struct {
	category, family, named bool
	truePattern, pattern    string
	precision               map[string]float64
}

func judgeItem(ctx context.Context, path string, t truth, specs []backdrop.Spec, scenes []image.Image, idx *backgrounds.Index, cat backgrounds.Categorizer) (itemResult, error) {
	img, err := imaging.ReadFile(path)
	if err != nil {
		return itemResult{}, err
	}
	photo, err := backgrounds.PreparePhoto(img)
	if err != nil {
		return itemResult{}, err
	}
	desc, err := backgrounds.Describe(ctx, cat, photo)
	if err != nil {
		return itemResult{}, err
	}
	trueFamily := colour.Family(t.primary)
	r := itemResult{
		category: desc.Category == t.category, family: desc.Colours[0].Family == trueFamily,
		named: slices.Contains(desc.PatternFamilies(), trueFamily), truePattern: t.pattern, pattern: desc.Pattern,
		precision: map[string]float64{},
	}
	relevant, err := relevance(photo, t, specs, scenes)
	if err != nil {
		return itemResult{}, err
	}
	byID := map[string]int{}
	for i, s := range specs {
		byID[s.ID] = i
	}
	for name, q := range map[string]backgrounds.Searchable{
		"text": backgrounds.Query(desc, ""), "colour_only": backgrounds.ColourQuery(desc, ""),
	} {
		hits, err := idx.Search(q, 5)
		if err != nil {
			return itemResult{}, err
		}
		var ids []int
		for _, h := range hits {
			ids = append(ids, byID[h.ID])
		}
		r.precision[name] = precision(ids, relevant)
	}
	r.precision["same_colour"] = precision(sameColour(desc, specs), relevant)
	share := 0
	for _, ok := range relevant {
		if ok {
			share++
		}
	}
	r.precision["random"] = float64(share) / float64(len(relevant))
	return r, nil
}

// relevance applies docs/backgrounds.md's rule to every scene.
func relevance(photo *transfer.Photo, t truth, specs []backdrop.Spec, scenes []image.Image) ([]bool, error) {
	cols := []describe.Colour{{Named: colour.Name(t.primary), RGB: t.primary}}
	if t.pattern != "solid" {
		cols = append(cols, describe.Colour{Named: colour.Name(t.second), RGB: t.second})
	}
	families := map[string]bool{}
	for _, m := range describe.Moods(cols, t.pattern) {
		families[moodFamilies[m]] = true
	}
	pix := photo.Pix.Image()
	out := make([]bool, len(specs))
	for i, s := range specs {
		shared := false
		for _, m := range s.Moods {
			shared = shared || families[moodFamilies[m]]
		}
		if !shared {
			continue
		}
		img, err := composite.Place(pix, photo.Mask, scenes[i], composite.Options{})
		if err != nil {
			return nil, err
		}
		c, err := composite.ProductContrast(img, photo.Mask)
		if err != nil {
			return nil, err
		}
		out[i] = c.DeltaE >= StandOut
	}
	return out, nil
}

func precision(top []int, relevant []bool) float64 {
	if len(top) == 0 {
		return 0
	}
	hit := 0
	for _, i := range top {
		if relevant[i] {
			hit++
		}
	}
	return float64(hit) / 5
}

// sameColour is the five scenes whose main colour is nearest the product's.
func sameColour(d describe.Description, specs []backdrop.Spec) []int {
	p := d.Colours[0].RGB.Lab()
	order := make([]int, len(specs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return specs[order[a]].Main().Lab().Dist(p) < specs[order[b]].Main().Lab().Dist(p)
	})
	return order[:min(5, len(order))]
}

func summarise(rs []itemResult) BackgroundsReport {
	var rep BackgroundsReport
	conf := map[string]map[string]int{}
	var cat, fam, named, pat int
	sums := map[string][]float64{}
	for _, r := range rs {
		cat += b2i(r.category)
		fam += b2i(r.family)
		named += b2i(r.named)
		pat += b2i(r.pattern == r.truePattern)
		if conf[r.truePattern] == nil {
			conf[r.truePattern] = map[string]int{}
		}
		conf[r.truePattern][r.pattern]++
		for k, v := range r.precision {
			sums[k] = append(sums[k], v)
		}
	}
	n := float64(len(rs))
	rep.Description = DescriptionAccuracy{CategoryAcc: float64(cat) / n, ColourFamilyAcc: float64(fam) / n,
		ColourNamedAcc: float64(named) / n, PatternAcc: float64(pat) / n, PatternConfusion: conf}
	rep.Suggestions = SuggestionQuality{PrecisionAt5: map[string]float64{}, SE: map[string]float64{}}
	for k, v := range sums {
		m, se := meanSE(v)
		rep.Suggestions.PrecisionAt5[k], rep.Suggestions.SE[k] = m, se
	}
	return rep
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// worldTruths reads the true category, colours and pattern of the first n
// items from the dataset's attribute columns (a synthetic world's).
func worldTruths(d *recommender.Dataset, n int) ([]truth, error) {
	col := map[string]int{}
	for i, name := range d.AttrNames {
		col[name] = i
	}
	for _, need := range []string{"primary_h", "primary_s", "primary_v", "secondary_h", "secondary_s", "secondary_v", "pattern"} {
		if _, ok := col[need]; !ok {
			return nil, atelier.Errorf(atelier.KindInvalid, "items.csv has no %s column: a synthetic world is needed (atelier synth)", need)
		}
	}
	hsv := func(it recommender.Item, p string) (colour.RGB, error) {
		var v [3]float64
		for j, s := range []string{"_h", "_s", "_v"} {
			x, err := strconv.ParseFloat(it.Attrs[col[p+s]], 64)
			if err != nil {
				return colour.RGB{}, atelier.Errorf(atelier.KindInvalid, "item %s: %s%s: %v", it.ID, p, s, err)
			}
			v[j] = x
		}
		r, g, b := synth.HSV{H: v[0], S: v[1], V: v[2]}.RGB()
		return colour.RGB{R: r, G: g, B: b}, nil
	}
	out := make([]truth, n)
	for i := range out {
		it := d.Items[i]
		p, err := hsv(it, "primary")
		if err != nil {
			return nil, err
		}
		s, err := hsv(it, "secondary")
		if err != nil {
			return nil, err
		}
		out[i] = truth{category: d.Categories[it.Category], primary: p, second: s, pattern: patternWord(it.Attrs[col["pattern"]])}
	}
	return out, nil
}

func patternWord(p string) string {
	switch p {
	case "hstripes", "vstripes":
		return "stripes"
	case "gradient":
		return "other"
	}
	return p
}
