// Package chart draws the two charts of a segment report as self-contained
// SVG: a heat map of items × segments (HeatMap) and, for one segment, the
// seller's items' percentiles against the catalog's (Distribution).
//
// The charts are drawn on the server, as markup, so the report page and
// the exported HTML file show them with no script, no font and no request
// to anyone: the file opens offline and prints as it looks. A few hundred
// lines of tested writer cover the two shapes a report needs; a general
// plotting library would bring fonts, image back ends and a layout engine
// for charts nobody draws here.
//
// Every chart is a pure function of its input (no ids, no clock, no map
// order), so the same report gives byte-identical charts, which keeps
// exports comparable and tests exact. Text is XML-escaped; long labels are
// cut with an ellipsis and kept whole in a <title> tooltip. Values are
// percentiles in [0, 100]; one sequential colour scale (Colour) serves
// every chart so a shade means the same everywhere. Classes start with
// "chart-", so the CSS of the page a chart sits in (CSS height and width
// override SVG's attributes) cannot restyle its shapes by accident.
package chart

import (
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// Font is the family every chart's text asks for: generic names only, so
// nothing is fetched and every browser and printer has one.
const Font = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"

// svg accumulates one chart's markup.
type svg struct {
	b strings.Builder
}

// open starts the document: its size, and the title and description that
// screen readers announce for role="img".
func (s *svg) open(width, height int, title, desc string) {
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="%s" font-size="11">`,
		width, height, width, height, escape(Font))
	s.b.WriteString("<title>" + escape(title) + "</title>")
	s.b.WriteString("<desc>" + escape(desc) + "</desc>")
}

func (s *svg) close() string {
	s.b.WriteString("</svg>")
	return s.b.String()
}

// rect draws a rectangle; tip, when not empty, becomes its tooltip.
func (s *svg) rect(class string, x, y, w, h float64, fill, tip string, extra string) {
	fmt.Fprintf(&s.b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"%s>`,
		class, num(x), num(y), num(w), num(h), fill, extra)
	if tip != "" {
		s.b.WriteString("<title>" + escape(tip) + "</title>")
	}
	s.b.WriteString("</rect>")
}

// text draws a label anchored at (x, y): anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, fill, body string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" fill="%s">%s</text>`,
		num(x), num(y), anchor, fill, escape(body))
}

// label draws text cut to the given number of runes, with the whole text as its tooltip
// when it was cut (a <title> in a group, which browsers show on hover).
func (s *svg) label(x, y float64, anchor, body string, runes int) {
	short := Truncate(body, runes)
	s.b.WriteString(`<g class="chart-label">`)
	if short != body {
		s.b.WriteString("<title>" + escape(body) + "</title>")
	}
	s.text(x, y, anchor, "#222", short)
	s.b.WriteString("</g>")
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, num(x1), num(y1), num(x2), num(y2), stroke)
}

// empty is a chart that says there is nothing to draw: an empty report is
// a fact to show, not an error.
func empty(title string) string {
	var s svg
	s.open(320, 60, title, "No data to chart.")
	s.text(10, 20, "start", "#222", title)
	s.text(160, 44, "middle", "#666", "no data")
	return s.close()
}

// Truncate cuts s to at most n runes, ending in an ellipsis when it cut.
func Truncate(s string, n int) string {
	if n < 1 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// escape makes s safe as XML character data and attribute values: it
// escapes <, >, &, both quotes and line breaks, and replaces what XML
// cannot hold (control characters, invalid UTF-8) with U+FFFD.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// num writes a coordinate with at most two decimals and no exponent, so
// output is short and the same on every platform.
func num(v float64) string {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	return fmt.Sprintf("%g", v)
}

// Colour is the fill of percentile v on the report's sequential scale:
// from near white (0) through mid blue to dark navy (100). Every channel
// falls as v rises, so a darker cell is always a higher percentile, also
// in greyscale print. v is clamped to [0, 100]; NaN is drawn grey by the
// callers, not here.
func Colour(v float64) string {
	v = clamp(v)
	stops := [...][3]float64{{247, 251, 255}, {107, 174, 214}, {8, 48, 107}}
	t := v / 100 * float64(len(stops)-1)
	i := min(int(t), len(stops)-2)
	f := t - float64(i)
	var c [3]int
	for k := range c {
		c[k] = int(math.Round(stops[i][k] + f*(stops[i+1][k]-stops[i][k])))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// ink is the text colour readable on Colour(v).
func ink(v float64) string {
	if clamp(v) >= 55 {
		return "#fff"
	}
	return "#222"
}

func clamp(v float64) float64 { return math.Max(0, math.Min(100, v)) }
