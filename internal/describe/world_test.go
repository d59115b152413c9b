package describe

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/atelier-app/atelier/internal/colour"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/synth"
)

// truePattern maps the world's six fills onto the describer's words.
func truePattern(p synth.Pattern) string {
	switch p {
	case synth.HStripes, synth.VStripes:
		return "stripes"
	case synth.Gradient:
		return "other"
	}
	return string(p)
}

// TestSyntheticWorld is the describer's quality regression on a fixed
// world (seed 11, which the thresholds were set on; `atelier eval
// backgrounds` measures on unseen seeds).
func TestSyntheticWorld(t *testing.T) {
	n := 120
	if v := os.Getenv("ATELIER_DESCRIBE_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if testing.Short() {
		n = 36
	}
	items := synth.DrawCatalog(11, n)
	r := synth.NewRenderer()
	var pat, fam, pair int
	confusion := map[string]map[string]int{}
	for _, it := range items {
		img := r.Render(it.Attributes, 256)
		d, err := Photo(imaging.FromImage(img), string(it.Category))
		if err != nil {
			t.Fatal(err)
		}
		want := truePattern(it.Pattern)
		if confusion[want] == nil {
			confusion[want] = map[string]int{}
		}
		confusion[want][d.Pattern]++
		if d.Pattern == want {
			pat++
		}
		tf := colour.FamilyHSV(it.Primary.H, it.Primary.S, it.Primary.V)
		if slices.Contains(d.PatternFamilies(), tf) {
			pair++
		} else if os.Getenv("ATELIER_DESCRIBE_VERBOSE") == "named" {
			sf := colour.FamilyHSV(it.Secondary.H, it.Secondary.S, it.Secondary.V)
			t.Logf("%s %s: true %s %.0f/%.2f/%.2f (second %s), got %v %v — %s", it.ID, it.Pattern, tf, it.Primary.H, it.Primary.S, it.Primary.V, sf, d.Families(), d.Pattern, d.Sentence)
		}
		if d.Colours[0].Family == tf {
			fam++
		} else if os.Getenv("ATELIER_DESCRIBE_VERBOSE") != "" {
			sf := colour.FamilyHSV(it.Secondary.H, it.Secondary.S, it.Secondary.V)
			t.Logf("%s %s: true %s (second %s), got %v — %s", it.ID, it.Pattern, tf, sf, d.Families(), d.Sentence)
		}
	}
	t.Logf("pattern %d/%d, family %d/%d (among the pattern's colours %d), confusion %v", pat, n, fam, n, pair, confusion)
	if float64(pat) < 0.8*float64(n) {
		t.Errorf("pattern right for %d of %d items", pat, n)
	}
	_ = fmt.Sprint
}
