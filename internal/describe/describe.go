package describe

import (
	"fmt"
	"math"

	"github.com/atelier-app/atelier/internal/colour"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/transfer"
)

// WorkSize is the longest side a photo is measured at: fine enough for the
// finest pattern a product carries (a few pixels per stripe), coarse enough
// that a description costs milliseconds at any upload size.
const WorkSize = 256

// Colour is one of a product's main colours.
type Colour struct {
	colour.Named
	Share float64    `json:"share"` // of the product region
	RGB   colour.RGB `json:"-"`
}

// Description is a product photo in words.
type Description struct {
	Category string   `json:"category"`
	Colours  []Colour `json:"colours"` // largest first; at least one
	Pattern  string   `json:"pattern"` // solid, stripes, checks, dots, other
	Size     string   `json:"size"`    // small, medium, large (in the frame)
	Moods    []string `json:"moods"`
	Sentence string   `json:"sentence"`

	Coverage float64 `json:"coverage"` // share of the frame the product covers
	Span     float64 `json:"span"`     // larger side of its box over the frame's
}

// Families are the family words of the colours, in order, without repeats.
func (d Description) Families() []string {
	var out []string
	for _, c := range d.Colours {
		if !contains(out, c.Family) {
			out = append(out, c.Family)
		}
	}
	return out
}

// DetailShare is the least share of a solid product's region a second
// colour needs to be named as its details ("with white details"): soles,
// handles, trims.
const DetailShare = 0.2

// PatternFamilies are the families of the colours the sentence names: the
// main colour, and the second too for a pattern of two colours (stripes
// and checks show both in equal parts, so neither is "the" colour) or for
// a solid product's details.
func (d Description) PatternFamilies() []string {
	out := []string{d.Colours[0].Family}
	if second, ok := d.second(); ok && second.Family != out[0] {
		out = append(out, second.Family)
	}
	return out
}

// second is the colour the sentence names after the main one, if any.
func (d Description) second() (Colour, bool) {
	if len(d.Colours) < 2 || d.Colours[1].Name == d.Colours[0].Name {
		return Colour{}, false
	}
	if d.Pattern != "solid" || d.Colours[1].Share >= DetailShare {
		return d.Colours[1], true
	}
	return Colour{}, false
}

// Photo describes the product in a photo of a product on a plain backdrop.
// category is the caller's word for the product's category ("" leaves it
// out of the sentence). A photo that shows no product is an error of kind
// invalid (from transfer.ProductMask).
func Photo(photo imaging.Tensor, category string) (Description, error) {
	t := workCopy(photo)
	m, err := transfer.ProductMask(t)
	if err != nil {
		return Description{}, err
	}
	return describe(t, m.In, m, category), nil
}

// Scene describes a whole image as a surface (a background with no
// product in it): colours and pattern of every pixel, and the moods. Size
// is "full".
func Scene(img imaging.Tensor) Description {
	t := workCopy(img)
	m := transfer.Mask{W: t.W, H: t.H, In: make([]bool, t.W*t.H), X1: t.W, Y1: t.H}
	for i := range m.In {
		m.In[i] = true
	}
	d := describe(t, m.In, m, "")
	d.Size = "full"
	d.Sentence = sceneSentence(d)
	return d
}

func describe(t imaging.Tensor, region []bool, m transfer.Mask, category string) Description {
	inner := erode(erode(region, t.W, t.H), t.W, t.H)
	if countTrue(inner) < 32 { // a thin product: use what there is
		inner = region
	}
	labs := labsOf(t)
	clusters := dominant(labs, inner)
	d := Description{Category: category}
	for _, c := range clusters {
		rgb := c.centre.RGB()
		d.Colours = append(d.Colours, Colour{Named: colour.Name(rgb), Share: c.share, RGB: rgb})
	}
	var ground int
	d.Pattern, ground = pattern(labs, inner, t.W, t.H, clusters)
	if d.Pattern == "other" {
		if ends, ok := blendEnds(labs, inner, clusters[0].centre); ok {
			clusters = ends[:]
			d.Colours = d.Colours[:0]
			for _, c := range clusters {
				rgb := c.centre.RGB()
				d.Colours = append(d.Colours, Colour{Named: colour.Name(rgb), Share: c.share, RGB: rgb})
			}
		}
	}
	if ground == 1 { // the ground of the dots is the product's colour
		d.Colours[0], d.Colours[1] = d.Colours[1], d.Colours[0]
		clusters[0], clusters[1] = clusters[1], clusters[0]
	}
	d.Coverage, d.Span = extent(m, region)
	d.Size = sizeWord(d.Coverage, d.Span)
	d.Moods = moods(d)
	d.Sentence = sentence(d)
	return d
}

// workCopy returns t scaled down by area averaging, by the smallest whole
// factor that brings its longer side to at most WorkSize (t itself when it
// is that small already).
func workCopy(t imaging.Tensor) imaging.Tensor {
	f := (max(t.W, t.H) + WorkSize - 1) / WorkSize
	return imaging.Shrink(t, f)
}

func labsOf(t imaging.Tensor) []colour.Lab {
	n := t.W * t.H
	out := make([]colour.Lab, n)
	for i := range out {
		out[i] = colour.RGB{R: float64(t.Pix[i]), G: float64(t.Pix[n+i]), B: float64(t.Pix[2*n+i])}.Lab()
	}
	return out
}

// erode keeps the pixels whose four neighbours are all in the region.
func erode(in []bool, w, h int) []bool {
	out := make([]bool, len(in))
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			out[i] = in[i] && in[i-1] && in[i+1] && in[i-w] && in[i+w]
		}
	}
	return out
}

func extent(m transfer.Mask, region []bool) (coverage, span float64) {
	coverage = float64(countTrue(region)) / float64(m.W*m.H)
	bw, bh := float64(m.X1-m.X0)/float64(m.W), float64(m.Y1-m.Y0)/float64(m.H)
	return coverage, math.Max(bw, bh)
}

func sizeWord(coverage, span float64) string {
	switch {
	case coverage > 0.35 || span > 0.8:
		return "large"
	case coverage < 0.12 && span < 0.45:
		return "small"
	}
	return "medium"
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// String is the sentence.
func (d Description) String() string { return d.Sentence }

var _ fmt.Stringer = Description{}
