package chart

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// node is an element of a decoded chart: its name, attributes and the
// text directly inside it.
type node struct {
	name  string
	attrs map[string]string
	text  string
}

// parse decodes svg as XML, failing the test where it is not well formed
// or not one <svg> root with role="img", a <title> and a <desc>.
func parse(t *testing.T, svg string) []*node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Strict = true
	var all, open []*node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			all, open = append(all, n), append(open, n)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				open[len(open)-1].text += string(tok)
			}
		}
	}
	if len(all) < 3 || all[0].name != "svg" || all[0].attrs["role"] != "img" || all[0].attrs["viewBox"] == "" ||
		all[1].name != "title" || all[2].name != "desc" {
		t.Fatalf("want <svg role=img viewBox> starting with <title> and <desc>:\n%s", svg)
	}
	return all
}

// find lists the elements named name whose class is class ("" for any).
func find(nodes []*node, name, class string) []*node {
	var out []*node
	for _, n := range nodes {
		if n.name == name && (class == "" || n.attrs["class"] == class) {
			out = append(out, n)
		}
	}
	return out
}

// texts is the text of every <text> and <title>.
func texts(nodes []*node) []string {
	var out []string
	for _, n := range nodes {
		if n.name == "text" || n.name == "title" {
			out = append(out, n.text)
		}
	}
	return out
}

const hostile = `<script>alert("x")</script> & 'Tom's' "best" ]]>`

func TestHeatMapCellsAndLabels(t *testing.T) {
	long := "A very long item name that will not fit the label column"
	m := Matrix{
		Title: "Items × segments " + hostile,
		Rows:  []string{"SKU-1", hostile, long},
		Cols:  []string{"Warm lovers", "Minimalists & co"},
		Values: [][]float64{
			{0, 100},
			{50, math.NaN()},
			{150, -3}, // clamped
		},
	}
	out := HeatMap(m)
	nodes := parse(t, out)
	if strings.Contains(out, "<script") {
		t.Fatalf("label not escaped:\n%s", out)
	}
	if cells := find(nodes, "rect", "chart-cell"); len(cells) != 6 {
		t.Fatalf("%d cells, want 3×2", len(cells))
	}
	got := texts(nodes)
	for _, want := range []string{hostile, long, Truncate(long, rowLabelRunes), "Minimalists & co", "SKU-1"} {
		if !slices.Contains(got, want) {
			t.Errorf("no text %q in %q", want, got)
		}
	}
	if slices.Contains(got, "no data") {
		t.Error("a chart with data says no data")
	}
	if !strings.HasSuffix(Truncate(long, rowLabelRunes), "…") || len([]rune(Truncate(long, rowLabelRunes))) != rowLabelRunes {
		t.Errorf("truncated label %q", Truncate(long, rowLabelRunes))
	}
	// Clamped values: 150 draws as 100, -3 as 0.
	vals := []string{}
	for _, c := range find(nodes, "rect", "chart-cell") {
		vals = append(vals, c.attrs["data-value"])
	}
	if want := []string{"0", "100", "50", "", "100", "0"}; !slices.Equal(vals, want) {
		t.Errorf("cell values %q, want %q", vals, want)
	}
}

func TestHeatMapSizes(t *testing.T) {
	for _, rows := range []int{2, 20, MaxRows} {
		m := Matrix{Title: "t", Cols: []string{"a", "b", "c"}}
		for r := range rows {
			m.Rows = append(m.Rows, fmt.Sprintf("item %d", r))
			m.Values = append(m.Values, []float64{float64(r), 50, 100 - float64(r)})
		}
		nodes := parse(t, HeatMap(m))
		if n := len(find(nodes, "rect", "chart-cell")); n != rows*3 {
			t.Errorf("%d rows: %d cells", rows, n)
		}
		h, _ := strconv.Atoi(nodes[0].attrs["height"])
		if want := rows * hmCellH; h < want || h > want+200 {
			t.Errorf("%d rows: height %d, want about %d", rows, h, want)
		}
	}
}

func TestColourMonotone(t *testing.T) {
	prev := math.Inf(1)
	for v := 0.0; v <= 100; v += 0.5 {
		l := luminance(t, Colour(v))
		if l >= prev {
			t.Fatalf("Colour(%g) = %s is not darker than Colour(%g)", v, Colour(v), v-0.5)
		}
		prev = l
	}
	if Colour(-10) != Colour(0) || Colour(250) != Colour(100) {
		t.Error("out-of-range values are not clamped")
	}
}

// The cells of a heat map are darker where the value is higher.
func TestHeatMapShadesFollowValues(t *testing.T) {
	m := Matrix{Title: "t", Rows: []string{"r"}, Cols: []string{"a", "b", "c", "d"}, Values: [][]float64{{90, 10, 60, 30}}}
	cells := find(parse(t, HeatMap(m)), "rect", "chart-cell")
	slices.SortFunc(cells, func(a, b *node) int {
		va, _ := strconv.ParseFloat(a.attrs["data-value"], 64)
		vb, _ := strconv.ParseFloat(b.attrs["data-value"], 64)
		return int(va - vb)
	})
	for i := 1; i < len(cells); i++ {
		if luminance(t, cells[i].attrs["fill"]) >= luminance(t, cells[i-1].attrs["fill"]) {
			t.Errorf("cell %s (%s) not darker than %s (%s)", cells[i].attrs["data-value"], cells[i].attrs["fill"],
				cells[i-1].attrs["data-value"], cells[i-1].attrs["fill"])
		}
	}
}

// luminance is the relative luminance of a #rrggbb colour (ITU-R BT.709
// weights on the encoded channels, enough to order shades).
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	var r, g, b int
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b); err != nil || len(hex) != 7 {
		t.Fatalf("colour %q: %v", hex, err)
	}
	return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
}

func TestDistributionBars(t *testing.T) {
	values := []float64{0, 5, 9.99, 10, 55, 99, 100, 100, math.NaN()}
	ref := make([]float64, 10)
	for i := range ref {
		ref[i] = 0.1
	}
	s := Sample{Title: "Segment " + hostile, Values: values, Reference: ref, ValueName: "your items", ReferenceName: "the catalog"}
	out := Distribution(s)
	nodes := parse(t, out)
	if strings.Contains(out, "<script") {
		t.Fatalf("title not escaped:\n%s", out)
	}
	group, reference := find(nodes, "rect", "chart-bar chart-group"), find(nodes, "rect", "chart-bar chart-reference")
	if len(group) != 10 || len(reference) != 10 {
		t.Fatalf("%d group bars and %d reference bars, want 10 each", len(group), len(reference))
	}
	var counts []int
	for _, b := range group {
		n, err := strconv.Atoi(b.attrs["data-count"])
		if err != nil {
			t.Fatalf("bar without count: %v", b.attrs)
		}
		counts = append(counts, n)
	}
	if want := []int{3, 1, 0, 0, 0, 1, 0, 0, 0, 3}; !slices.Equal(counts, want) {
		t.Errorf("counts per bin %v, want %v", counts, want)
	}
	// Heights follow the shares: the bins with 3 of 8 are the tallest.
	h := func(n *node) float64 { v, _ := strconv.ParseFloat(n.attrs["height"], 64); return v }
	if !(h(group[0]) == h(group[9]) && h(group[0]) > h(group[1]) && h(group[1]) > 0 && h(group[2]) == 0) {
		t.Errorf("bar heights %v %v %v %v", h(group[0]), h(group[1]), h(group[2]), h(group[9]))
	}
	got := texts(nodes)
	for _, want := range []string{"0", "50", "100", "your items", "the catalog"} {
		if !slices.Contains(got, want) {
			t.Errorf("no axis or legend text %q in %q", want, got)
		}
	}
}

func TestDistributionWithoutReference(t *testing.T) {
	nodes := parse(t, Distribution(Sample{Title: "t", Values: []float64{20, 40}, Bins: 5}))
	if g, r := len(find(nodes, "rect", "chart-bar chart-group")), len(find(nodes, "rect", "chart-bar chart-reference")); g != 5 || r != 0 {
		t.Errorf("%d group bars, %d reference bars; want 5 and 0", g, r)
	}
}

func TestEmptyChartsSayNoData(t *testing.T) {
	for name, svg := range map[string]string{
		"heat map, no rows":    HeatMap(Matrix{Title: "a & b", Cols: []string{"x"}}),
		"heat map, no columns": HeatMap(Matrix{Title: "t", Rows: []string{"x"}}),
		"distribution":         Distribution(Sample{Title: "t", Values: []float64{math.NaN()}}),
		"distribution, nil":    Distribution(Sample{}),
	} {
		t.Run(name, func(t *testing.T) {
			if !slices.Contains(texts(parse(t, svg)), "no data") {
				t.Errorf("no \"no data\":\n%s", svg)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	m := Matrix{Title: "t", Rows: []string{"a", "b"}, Cols: []string{"x"}, Values: [][]float64{{33.333}, {66.6667}}}
	s := Sample{Title: "t", Values: []float64{1, 2, 3, 77}, Reference: []float64{.5, .5}, Bins: 2}
	if HeatMap(m) != HeatMap(m) || Distribution(s) != Distribution(s) {
		t.Error("the same input gave different charts")
	}
}

func TestHistogram(t *testing.T) {
	got := Histogram([]float64{0, 19.9, 20, 100, -5, 300, math.NaN()}, 5)
	if want := []int{3, 1, 0, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("Histogram = %v, want %v", got, want)
	}
	if got := Histogram(nil, 0); len(got) != DefaultBins {
		t.Errorf("default bins: %d", len(got))
	}
}

func TestEscapeReplacesWhatXMLCannotHold(t *testing.T) {
	nodes := parse(t, HeatMap(Matrix{Title: "bell\a and \xff", Rows: []string{"r\x00"}, Cols: []string{"c"}, Values: [][]float64{{1}}}))
	if nodes[1].text != "bell\uFFFD and \uFFFD" {
		t.Errorf("title %q", nodes[1].text)
	}
}
