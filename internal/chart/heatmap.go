package chart

import (
	"fmt"
	"math"
)

// Matrix is the input of a heat map: Values[r][c] is row r's percentile
// in column c, in [0, 100]; NaN (or a missing entry) is drawn as a grey
// cell "no score". A report's rows are items and its columns segments.
type Matrix struct {
	Title  string
	Rows   []string
	Cols   []string
	Values [][]float64
}

// MaxRows is the most rows a heat map draws legibly on a page (and a
// printed sheet or two): a caller with more pages them.
const MaxRows = 60

// Heat map geometry, in pixels. A row is one line of text tall so labels
// stay readable; a cell is wide enough for a segment's name cut to
// colLabelRunes and for the value printed in it.
const (
	hmCellW         = 76
	hmCellH         = 20
	hmLabelW        = 180
	hmTitleH        = 24
	hmHeaderH       = 22
	hmLegendH       = 40
	hmPad           = 8
	rowLabelRunes   = 28
	colLabelRunes   = 11
	legendSteps     = 10
	legendStepWidth = 24
)

// HeatMap draws m as an SVG heat map: one cell per row × column coloured
// by Colour with its value printed in it, row labels on the left, column
// labels on top and a legend of the scale below. It draws every row it is
// given; the caller pages beyond MaxRows. With no row or no column it
// draws a chart that says "no data".
func HeatMap(m Matrix) string {
	if len(m.Rows) == 0 || len(m.Cols) == 0 {
		return empty(m.Title)
	}
	gridW, gridH := len(m.Cols)*hmCellW, len(m.Rows)*hmCellH
	// The legend's last tick label is centred on its right edge: room for
	// half of "100" beyond it.
	width := max(hmPad+hmLabelW+gridW+hmPad, hmPad+hmLabelW+legendSteps*legendStepWidth+3*hmPad)
	height := hmTitleH + hmHeaderH + gridH + hmLegendH
	var s svg
	s.open(width, height, m.Title, fmt.Sprintf(
		"Heat map of %d rows by %d columns; each cell is a percentile from 0 (bottom) to 100 (top), darker is higher.",
		len(m.Rows), len(m.Cols)))
	s.b.WriteString(`<g class="chart-title" font-size="13" font-weight="600">`)
	s.text(hmPad, 16, "start", "#222", m.Title)
	s.b.WriteString("</g>")
	x0, y0 := float64(hmPad+hmLabelW), float64(hmTitleH+hmHeaderH)
	for c, col := range m.Cols {
		s.label(x0+float64(c*hmCellW)+hmCellW/2, y0-7, "middle", col, colLabelRunes)
	}
	for r, row := range m.Rows {
		y := y0 + float64(r*hmCellH)
		s.label(x0-6, y+hmCellH/2+4, "end", row, rowLabelRunes)
		for c, col := range m.Cols {
			s.cell(x0+float64(c*hmCellW), y, row, col, at(m.Values, r, c))
		}
	}
	s.legend(x0, y0+float64(gridH)+12)
	return s.close()
}

// cell draws one value with its tooltip "row · column: value".
func (s *svg) cell(x, y float64, row, col string, v float64) {
	if math.IsNaN(v) {
		s.rect("chart-cell", x, y, hmCellW-1, hmCellH-1, "#e0e0e0", row+" · "+col+": no score", "")
		s.text(x+hmCellW/2, y+hmCellH/2+4, "middle", "#666", "–")
		return
	}
	v = clamp(v)
	s.rect("chart-cell", x, y, hmCellW-1, hmCellH-1, Colour(v), fmt.Sprintf("%s · %s: %.0f", row, col, v),
		fmt.Sprintf(` data-value="%s"`, num(v)))
	s.text(x+hmCellW/2, y+hmCellH/2+4, "middle", ink(v), fmt.Sprintf("%.0f", v))
}

// legend draws the scale as discrete steps (no gradient: a gradient needs
// an id, and ids collide when several charts share a page).
func (s *svg) legend(x, y float64) {
	s.b.WriteString(`<g class="chart-legend">`)
	s.text(x-6, y+11, "end", "#222", "percentile")
	for i := range legendSteps {
		v := (float64(i) + 0.5) * 100 / legendSteps
		s.rect("chart-step", x+float64(i*legendStepWidth), y, legendStepWidth, 14, Colour(v), "", "")
	}
	for _, t := range []float64{0, 50, 100} {
		s.text(x+t/100*legendSteps*legendStepWidth, y+26, "middle", "#222", fmt.Sprintf("%.0f", t))
	}
	s.b.WriteString("</g>")
}

// at is values[r][c], or NaN where the row is short.
func at(values [][]float64, r, c int) float64 {
	if r >= len(values) || c >= len(values[r]) {
		return math.NaN()
	}
	return values[r][c]
}
