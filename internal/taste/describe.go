package taste

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Threshold is how far, in standard deviations of the reference set, a
// group's mean must lie from the reference mean for Describe to name the
// trait: half a standard deviation, a "medium" effect in Cohen's terms.
// The group mean of k items drawn at random wanders by about 1/√k of a
// standard deviation (0.18 for 30 items, 0.08 for 150), so a group that
// crosses it stands apart from the catalog rather than by chance.
const Threshold = 0.5

// A category is named as dominant when it makes up at least
// MinCategoryShare of the group and at least CategoryLift times its share
// of the reference: common categories must be over-represented, not just
// common. At most maxCategories are named, the largest share first.
const (
	MinCategoryShare = 0.25
	CategoryLift     = 1.5
	maxCategories    = 2
)

// flat is the standard deviation below which a measurement counts as not
// varying over the reference: rounding, not a difference to standardise by.
const flat = 1e-9

// Sample is one measured image and its item's category.
type Sample struct {
	Look     Look
	Category string
}

// Differences are the group's mean minus the reference's mean, per
// measurement, in standard deviations of the reference (0 where the
// reference does not vary).
type Differences struct {
	Warmth, Value, Saturation, Pattern, Coverage float64
}

// CategoryShare is a category's share of the group and of the reference.
type CategoryShare struct {
	Category         string
	Share, Reference float64
}

// Description is how the group differs from the reference.
type Description struct {
	Differences Differences
	Traits      []string        // the words for each difference past Threshold, e.g. "warmer", "plain"
	Categories  []CategoryShare // dominant categories, largest share first
	Sentence    string          // e.g. "warmer, more saturated colours; patterned; mostly dresses"
}

// trait names one measurement and its words for a positive and a negative
// difference.
type trait struct {
	diff     func(Differences) float64
	up, down string
	colour   bool // part of the "… colours" phrase
}

var traits = []trait{
	{func(d Differences) float64 { return d.Warmth }, "warmer", "cooler", true},
	{func(d Differences) float64 { return d.Value }, "brighter", "darker", true},
	{func(d Differences) float64 { return d.Saturation }, "more saturated", "more muted", true},
	{func(d Differences) float64 { return d.Pattern }, "patterned", "plain", false},
	{func(d Differences) float64 { return d.Coverage }, "larger", "smaller", false},
}

// Describe compares group with reference (the group is usually part of
// it). An empty group or reference gives an empty Description with a
// sentence that says there is nothing to compare.
func Describe(group, reference []Sample) Description {
	if len(group) == 0 || len(reference) == 0 {
		return Description{Traits: []string{}, Categories: []CategoryShare{}, Sentence: "no items to compare"}
	}
	d := Description{Differences: differences(group, reference), Traits: []string{}}
	var colours, others []string
	for _, tr := range traits {
		v := tr.diff(d.Differences)
		if math.Abs(v) < Threshold {
			continue
		}
		word := tr.up
		if v < 0 {
			word = tr.down
		}
		d.Traits = append(d.Traits, word)
		if tr.colour {
			colours = append(colours, word)
		} else {
			others = append(others, word)
		}
	}
	d.Categories = dominant(group, reference)
	d.Sentence = sentence(colours, others, d.Categories)
	return d
}

// differences standardises each measurement's difference of means.
func differences(group, reference []Sample) Differences {
	std := func(get func(Look) float64) float64 {
		mean, sd := meanSD(reference, get)
		if sd < flat {
			return 0
		}
		g, _ := meanSD(group, get)
		return (g - mean) / sd
	}
	return Differences{
		Warmth:     std(func(l Look) float64 { return l.Warmth }),
		Value:      std(func(l Look) float64 { return l.Value }),
		Saturation: std(func(l Look) float64 { return l.Saturation }),
		Pattern:    std(func(l Look) float64 { return l.Pattern }),
		Coverage:   std(func(l Look) float64 { return l.Coverage }),
	}
}

// meanSD is the mean and population standard deviation of get over s, in
// two passes (no cancellation on near-constant measurements).
func meanSD(s []Sample, get func(Look) float64) (mean, sd float64) {
	for _, x := range s {
		mean += get(x.Look)
	}
	mean /= float64(len(s))
	for _, x := range s {
		d := get(x.Look) - mean
		sd += d * d
	}
	return mean, math.Sqrt(sd / float64(len(s)))
}

// dominant lists the group's over-represented categories (see
// MinCategoryShare), largest share first, ties by name.
func dominant(group, reference []Sample) []CategoryShare {
	gs, rs := shares(group), shares(reference)
	out := []CategoryShare{}
	for c, share := range gs {
		if c != "" && share >= MinCategoryShare && share >= CategoryLift*rs[c] {
			out = append(out, CategoryShare{Category: c, Share: share, Reference: rs[c]})
		}
	}
	slices.SortFunc(out, func(a, b CategoryShare) int {
		return cmp.Or(cmp.Compare(b.Share, a.Share), cmp.Compare(a.Category, b.Category))
	})
	return out[:min(len(out), maxCategories)]
}

func shares(s []Sample) map[string]float64 {
	counts := map[string]int{}
	for _, x := range s {
		counts[x.Category]++
	}
	out := make(map[string]float64, len(counts))
	for c, k := range counts {
		out[c] = float64(k) / float64(len(s))
	}
	return out
}

// sentence joins the phrases: colour words before "colours", the other
// traits, then the categories.
func sentence(colours, others []string, cats []CategoryShare) string {
	var parts []string
	if len(colours) > 0 {
		parts = append(parts, strings.Join(colours, ", ")+" colours")
	}
	for _, o := range others {
		if o == "larger" || o == "smaller" {
			o += " items on the frame"
		}
		parts = append(parts, o)
	}
	if len(cats) > 0 {
		names := make([]string, len(cats))
		for i, c := range cats {
			names[i] = plural(c.Category)
		}
		parts = append(parts, "mostly "+strings.Join(names, " and "))
	}
	if len(parts) == 0 {
		return "no clear difference from the catalog in colour, pattern, size or category"
	}
	return strings.Join(parts, "; ")
}

// plural names a category in a sentence: the synthetic catalog's
// categories get their English plural, any other is used as it is.
func plural(category string) string {
	known := map[string]string{
		"tshirt": "t-shirts", "dress": "dresses", "trousers": "trousers",
		"sneaker": "sneakers", "heel": "heels", "handbag": "handbags",
	}
	if p, ok := known[category]; ok {
		return p
	}
	return category
}
