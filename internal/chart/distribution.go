package chart

import (
	"fmt"
	"math"
)

// Sample is the input of a distribution chart: the percentiles of a
// group (a seller's items for one segment) and, per bin, the share of a
// reference set (the catalog) to read them against.
type Sample struct {
	Title string
	// Values are the group's percentiles in [0, 100]; NaN is left out.
	Values []float64
	// Reference is the reference set's share of each bin (summing to 1),
	// len Bins; nil draws no reference bars.
	Reference []float64
	// Bins splits [0, 100] into equal bins; 0 means DefaultBins.
	Bins int
	// ValueName and ReferenceName name the two series in the legend.
	ValueName, ReferenceName string
}

// DefaultBins are deciles: fine enough to see a skew in 20 items, coarse
// enough that each bin of a small seller is not empty.
const DefaultBins = 10

// Distribution geometry, in pixels.
const (
	dW       = 520
	dH       = 250
	dLeft    = 46
	dRight   = 12
	dTop     = 44
	dBottom  = 40
	dBarFrac = 0.55 // the group's bar is narrower, drawn over the reference bar
)

// Colours of the two series: the reference light, the group dark, so the
// group reads first and both survive greyscale print.
const (
	refFill   = "#d4d4d4"
	groupFill = "#1f5fa8"
)

// Histogram counts values per bin of [0, 100] (100 falls in the last bin);
// NaN is left out and other values are clamped.
func Histogram(values []float64, bins int) []int {
	if bins <= 0 {
		bins = DefaultBins
	}
	out := make([]int, bins)
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		out[min(int(clamp(v)/100*float64(bins)), bins-1)]++
	}
	return out
}

// Distribution draws s as a histogram of shares per percentile bin: the
// reference set's share as a wide light bar and the group's as a narrow
// dark bar over it, with both shares in each bar's tooltip, a share axis
// and a percentile axis. With no value it draws a chart that says
// "no data".
func Distribution(s Sample) string {
	bins := s.Bins
	if bins <= 0 {
		bins = DefaultBins
	}
	counts := Histogram(s.Values, bins)
	n := 0
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return empty(s.Title)
	}
	shares := make([]float64, bins)
	top := 0.0
	for b, c := range counts {
		shares[b] = float64(c) / float64(n)
		top = math.Max(top, math.Max(shares[b], at1(s.Reference, b)))
	}
	top = math.Min(1, math.Ceil(top*10)/10) // a round axis: the next 10%

	var g svg
	g.open(dW, dH, s.Title, fmt.Sprintf(
		"Histogram of %s (%d) by percentile in %d bins, against the share of %s in each bin.",
		orDefault(s.ValueName, "values"), n, bins, orDefault(s.ReferenceName, "the reference")))
	g.b.WriteString(`<g class="chart-title" font-size="13" font-weight="600">`)
	g.text(8, 16, "start", "#222", s.Title)
	g.b.WriteString("</g>")
	g.distLegend(s)
	g.axes(top, bins)
	plotW, plotH := float64(dW-dLeft-dRight), float64(dH-dTop-dBottom)
	binW := plotW / float64(bins)
	for b := range bins {
		x := dLeft + float64(b)*binW
		lo, hi := float64(b)*100/float64(bins), float64(b+1)*100/float64(bins)
		if s.Reference != nil {
			h := at1(s.Reference, b) / top * plotH
			g.rect("chart-bar chart-reference", x+1, dTop+plotH-h, binW-2, h, refFill,
				fmt.Sprintf("percentile %s–%s: %.0f%% of %s", num(lo), num(hi), 100*at1(s.Reference, b), orDefault(s.ReferenceName, "the reference")), "")
		}
		h := shares[b] / top * plotH
		g.rect("chart-bar chart-group", x+binW*(1-dBarFrac)/2, dTop+plotH-h, binW*dBarFrac, h, groupFill,
			fmt.Sprintf("percentile %s–%s: %d of %d %s (%.0f%%)", num(lo), num(hi), counts[b], n, orDefault(s.ValueName, "values"), 100*shares[b]),
			fmt.Sprintf(` data-count="%d"`, counts[b]))
	}
	return g.close()
}

// axes draws the share axis (0 to top, in 10% or 20% steps) and the
// percentile axis (bin edges, labelled every 10 or so).
func (g *svg) axes(top float64, bins int) {
	plotW, plotH := float64(dW-dLeft-dRight), float64(dH-dTop-dBottom)
	g.b.WriteString(`<g class="chart-axes">`)
	g.line(dLeft, dTop+plotH, dLeft+plotW, dTop+plotH, "#444")
	g.line(dLeft, dTop, dLeft, dTop+plotH, "#444")
	step := 0.1
	if top > 0.5 {
		step = 0.2
	}
	for t := 0.0; t <= top+1e-9; t += step {
		y := dTop + plotH - t/top*plotH
		g.line(dLeft-4, y, dLeft, y, "#444")
		g.text(dLeft-6, y+4, "end", "#222", fmt.Sprintf("%.0f%%", 100*t))
	}
	every := max(1, bins/10)
	for b := 0; b <= bins; b += every {
		x := dLeft + float64(b)*plotW/float64(bins)
		g.line(x, dTop+plotH, x, dTop+plotH+4, "#444")
		g.text(x, dTop+plotH+16, "middle", "#222", num(float64(b)*100/float64(bins)))
	}
	g.text(dLeft+plotW/2, dH-6, "middle", "#222", "percentile (100 = most preferred)")
	g.b.WriteString("</g>")
}

// distLegend names the two series under the title.
func (g *svg) distLegend(s Sample) {
	g.b.WriteString(`<g class="chart-legend">`)
	g.rect("chart-key", 8, 24, 12, 10, groupFill, "", "")
	g.text(24, 33, "start", "#222", Truncate(orDefault(s.ValueName, "values"), 40))
	if s.Reference != nil {
		g.rect("chart-key", 260, 24, 12, 10, refFill, "", "")
		g.text(276, 33, "start", "#222", Truncate(orDefault(s.ReferenceName, "reference"), 36))
	}
	g.b.WriteString("</g>")
}

// at1 is xs[i] clamped to [0, 1], or 0 where xs is short or NaN.
func at1(xs []float64, i int) float64 {
	if i >= len(xs) || math.IsNaN(xs[i]) {
		return 0
	}
	return math.Max(0, math.Min(1, xs[i]))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
