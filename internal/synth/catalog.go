package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Category is one of the six product kinds of the synthetic catalog.
type Category string

const (
	TShirt   Category = "tshirt"
	Dress    Category = "dress"
	Trousers Category = "trousers"
	Sneaker  Category = "sneaker"
	Heel     Category = "heel"
	Handbag  Category = "handbag"
)

// NumCategories is the number of categories.
const NumCategories = 6

// Categories returns every category in its fixed order (the order of the
// grid rows and of category indices).
func Categories() [NumCategories]Category {
	return [NumCategories]Category{TShirt, Dress, Trousers, Sneaker, Heel, Handbag}
}

// Index returns the position of c in Categories, or -1.
func (c Category) Index() int {
	for i, k := range Categories() {
		if k == c {
			return i
		}
	}
	return -1
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool { return c.Index() >= 0 }

// Pattern is how the main body of an item is filled.
type Pattern string

const (
	Solid    Pattern = "solid"
	HStripes Pattern = "hstripes"
	VStripes Pattern = "vstripes"
	Dots     Pattern = "dots"
	Checks   Pattern = "checks"
	Gradient Pattern = "gradient"
)

// Patterns returns every pattern in a fixed order.
func Patterns() []Pattern {
	return []Pattern{Solid, HStripes, VStripes, Dots, Checks, Gradient}
}

// HSV is a colour with hue in degrees [0,360) and saturation and value in [0,1].
type HSV struct{ H, S, V float64 }

// RGB converts the colour to red, green and blue in [0,1].
func (c HSV) RGB() (r, g, b float64) {
	h := math.Mod(c.H, 360)
	if h < 0 {
		h += 360
	}
	ch := c.V * c.S
	hp := h / 60
	x := ch * (1 - math.Abs(math.Mod(hp, 2)-1))
	switch int(hp) {
	case 0:
		r, g, b = ch, x, 0
	case 1:
		r, g, b = x, ch, 0
	case 2:
		r, g, b = 0, ch, x
	case 3:
		r, g, b = 0, x, ch
	case 4:
		r, g, b = x, 0, ch
	default:
		r, g, b = ch, 0, x
	}
	m := c.V - ch
	return r + m, g + m, b + m
}

// Attributes are everything that decides how an item looks. Shape fields
// are in [0,1] (0: the smallest or shortest form of the category, 1: the
// largest) and mean nothing for categories that do not use them; see
// Columns for which category uses which.
type Attributes struct {
	Category     Category
	Primary      HSV     // colour of the main body
	Secondary    HSV     // pattern colour and details (soles, handles, trims)
	Pattern      Pattern // fill of the main body
	PatternScale float64 // pattern period as a fraction of the item size, about 0.05-0.2

	Sleeve   float64 // tshirt, dress: sleeve length (dress: 0 = straps only)
	Length   float64 // tshirt: body length; dress: hem length; trousers: leg length
	Width    float64 // tshirt: body width; dress: skirt flare; trousers: leg width; heel: heel block width; handbag: body width
	Height   float64 // sneaker: collar height (low to high top); heel: heel height; handbag: body height
	Sole     float64 // sneaker: sole thickness; heel: platform thickness
	Neckline string  // tshirt: crew, vneck, scoop; dress: round, vneck, square
	Strap    string  // sneaker: laces, strap; heel: none, ankle
	Handle   string  // handbag: top, double, shoulder
	Flap     bool    // handbag: has a flap

	// Jitter, so that no two items sit identically in the frame.
	Scale    float64 // about 0.92-1.02
	OffsetX  float64 // fraction of the frame, about ±0.025
	OffsetY  float64
	Rotation float64 // degrees, about ±3
}

// Item is one catalog product.
type Item struct {
	ID string
	Attributes
}

// ItemID returns the identifier of the i-th generated item.
func ItemID(i int) string { return fmt.Sprintf("it%05d", i+1) }

// itemRand is the random source of item i: one PCG stream per item, so any
// item can be drawn and rendered alone, in any order, on any worker.
func itemRand(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x17e3_0000_0000_0000|uint64(i)))
}

// DrawCatalog draws the attributes of n items. Categories are balanced
// (item i is of category i mod 6); everything else comes from the item's own
// random stream, so the result depends only on seed and i.
func DrawCatalog(seed uint64, n int) []Item {
	items := make([]Item, n)
	for i := range items {
		items[i] = Item{ID: ItemID(i), Attributes: DrawAttributes(itemRand(seed, i), Categories()[i%NumCategories])}
	}
	return items
}

// DrawAttributes draws one item of category c from rng.
func DrawAttributes(rng *rand.Rand, c Category) Attributes {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	a := Attributes{Category: c}
	a.Primary = drawColour(rng)
	// The secondary colour is either a neighbour of the primary hue (tonal
	// looks) or anything (contrasting looks), and never too close in value,
	// so patterns stay visible.
	a.Secondary = drawColour(rng)
	if rng.IntN(3) == 0 {
		a.Secondary.H = math.Mod(a.Primary.H+u(-40, 40)+360, 360)
	}
	if math.Abs(a.Secondary.V-a.Primary.V) < 0.25 {
		if a.Primary.V > 0.55 {
			a.Secondary.V = a.Primary.V - u(0.3, 0.5)
		} else {
			a.Secondary.V = math.Min(0.95, a.Primary.V+u(0.3, 0.5))
		}
		a.Secondary = keepOffWhite(a.Secondary)
	}
	a.Pattern = Patterns()[rng.IntN(len(Patterns()))]
	a.PatternScale = u(0.05, 0.2)

	switch c {
	case TShirt:
		a.Sleeve = u(0, 1)
		a.Length = u(0, 1)
		a.Width = u(0, 1)
		a.Neckline = []string{"crew", "vneck", "scoop"}[rng.IntN(3)]
	case Dress:
		if rng.IntN(3) == 0 {
			a.Sleeve = 0
		} else {
			a.Sleeve = u(0.1, 1)
		}
		a.Length = u(0, 1)
		a.Width = u(0, 1)
		a.Neckline = []string{"round", "vneck", "square"}[rng.IntN(3)]
	case Trousers:
		a.Length = u(0, 1)
		a.Width = u(0, 1)
	case Sneaker:
		a.Height = u(0, 1)
		a.Sole = u(0, 1)
		a.Strap = []string{"laces", "laces", "strap"}[rng.IntN(3)]
	case Heel:
		a.Height = u(0, 1)
		a.Width = u(0, 1)
		a.Sole = u(0, 1)
		a.Strap = []string{"none", "ankle"}[rng.IntN(2)]
	case Handbag:
		a.Width = u(0, 1)
		a.Height = u(0, 1)
		a.Handle = []string{"top", "double", "shoulder"}[rng.IntN(3)]
		a.Flap = rng.IntN(2) == 0
	}

	a.Scale = u(0.92, 1.02)
	a.OffsetX = u(-0.025, 0.025)
	a.OffsetY = u(-0.025, 0.025)
	a.Rotation = u(-3, 3)
	return a
}

// drawColour draws a colour that reads as a colour on a white page: from
// near-black to bright, from grey to fully saturated, never near-white (the
// oracle's item mask would miss it, and so would a shopper).
func drawColour(rng *rand.Rand) HSV {
	c := HSV{H: 360 * rng.Float64(), S: rng.Float64(), V: 0.12 + 0.83*rng.Float64()}
	// Many real products are greys, blacks and muted tones.
	if rng.IntN(5) == 0 {
		c.S *= 0.15
	}
	return keepOffWhite(c)
}

// keepOffWhite darkens c until its lightest channel is at most 0.82, well
// inside the oracle's item mask (min channel < 0.92).
func keepOffWhite(c HSV) HSV {
	c.V = math.Max(0.05, math.Min(c.V, 0.97))
	if lo := c.V * (1 - c.S); lo > 0.82 {
		c.V = 0.82 / (1 - c.S)
	}
	return c
}

// Columns returns the header of items.csv after item_id; Row gives the
// values in the same order.
func Columns() []string {
	return []string{
		"category", "primary_h", "primary_s", "primary_v", "secondary_h", "secondary_s", "secondary_v",
		"pattern", "pattern_scale", "sleeve", "length", "width", "height", "sole",
		"neckline", "strap", "handle", "flap", "scale", "offset_x", "offset_y", "rotation",
	}
}

// Row returns the attribute values in the order of Columns. Fields a
// category does not use are empty.
func (a Attributes) Row() []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	opt := func(use bool, v float64) string {
		if !use {
			return ""
		}
		return f(v)
	}
	c := a.Category
	flap := ""
	if c == Handbag {
		flap = strconv.FormatBool(a.Flap)
	}
	return []string{
		string(c), f(a.Primary.H), f(a.Primary.S), f(a.Primary.V), f(a.Secondary.H), f(a.Secondary.S), f(a.Secondary.V),
		string(a.Pattern), f(a.PatternScale),
		opt(c == TShirt || c == Dress, a.Sleeve),
		opt(c == TShirt || c == Dress || c == Trousers, a.Length),
		opt(c == TShirt || c == Dress || c == Trousers || c == Heel || c == Handbag, a.Width),
		opt(c == Sneaker || c == Heel || c == Handbag, a.Height),
		opt(c == Sneaker || c == Heel, a.Sole),
		a.Neckline, a.Strap, a.Handle, flap,
		f(a.Scale), f(a.OffsetX), f(a.OffsetY), f(a.Rotation),
	}
}
