package backdrop

import (
	"math"
	"strings"

	"github.com/atelier-app/atelier/internal/colour"
)

// Kind is the kind of scene, as the word a caption uses.
type Kind string

// The kinds of scene.
const (
	Studio    Kind = "studio gradient"
	Paper     Kind = "paper"
	Linen     Kind = "linen"
	Wood      Kind = "wood"
	Marble    Kind = "marble"
	Concrete  Kind = "concrete"
	Tiles     Kind = "tiles"
	Foliage   Kind = "foliage"
	Geometric Kind = "geometric"
)

// Kinds lists every kind, in a fixed order.
func Kinds() []Kind {
	return []Kind{Studio, Paper, Linen, Wood, Marble, Concrete, Tiles, Foliage, Geometric}
}

// Tones of a scene, by the CIELAB lightness L* of its scene colour (see
// sceneColour).
const (
	Light = "light" // L* ≥ 70
	Mid   = "mid"
	Dark  = "dark" // L* < 35, the threshold of package describe's "dark"
)

// Spec is one background scene: what it is, the parameters it is rendered
// from, and the words derived from them.
type Spec struct {
	ID   string // stable, e.g. "studio-warm-beige-01"
	Kind Kind
	// Motif is the variant of a kind drawn: "stripes", "triangles" or
	// "circles" for geometric, "square" or "subway" for tiles, "leaves" for
	// foliage; empty for the others.
	Motif string
	// Colours are the scene's colours, the main (largest) one first: the
	// ground; then the second (floor of a studio sweep, wood grain, marble
	// veins, concrete pores, grout, leaves, shapes); a third for some
	// geometric scenes.
	Colours []colour.RGB
	Tone    string   // Light, Mid or Dark
	Moods   []string // see the package doc for the rule
	Seed    uint64   // the render's noise and layout
}

// Main is the scene's main colour.
func (s Spec) Main() colour.RGB { return s.Colours[0] }

// second is the scene's second colour (the main one when there is none).
func (s Spec) second() colour.RGB {
	if len(s.Colours) > 1 {
		return s.Colours[1]
	}
	return s.Colours[0]
}

// newSpec fills in the derived words of a scene.
func newSpec(id string, k Kind, motif string, seed uint64, colours ...colour.RGB) Spec {
	s := Spec{ID: id, Kind: k, Motif: motif, Colours: colours, Seed: seed}
	s.Tone = toneOf(sceneColour(s))
	s.Moods = moodsOf(s)
	return s
}

func toneOf(c colour.RGB) string {
	switch l := c.Lab().L; {
	case l >= 70:
		return Light
	case l < 35:
		return Dark
	}
	return Mid
}

// mainShare is the share of a scene's area its main colour covers, by
// kind, as the renders draw them (a wood's grain, the leaves of a foliage
// scene and a geometric scene's shapes cover much; a marble's veins and
// grout little).
var mainShare = map[Kind]float64{
	Studio: 0.6, Paper: 0.8, Linen: 0.7, Wood: 0.65, Marble: 0.93,
	Concrete: 0.75, Tiles: 0.93, Foliage: 0.65, Geometric: 0.55,
}

// sceneColour is the scene's mean colour as its parameters predict it:
// the main colour over mainShare of the area and the others sharing the
// rest, mixed in linear light (as the eye averages a texture seen from
// afar).
func sceneColour(s Spec) colour.RGB {
	w := mainShare[s.Kind]
	if len(s.Colours) == 1 {
		w = 1
	}
	var lin [3]float64
	for i, c := range s.Colours {
		share := w
		if i > 0 {
			share = (1 - w) / float64(len(s.Colours)-1)
		}
		for k, v := range [3]float64{c.R, c.G, c.B} {
			lin[k] += share * toLinear(v)
		}
	}
	return colour.RGB{R: toSRGB(lin[0]), G: toSRGB(lin[1]), B: toSRGB(lin[2])}
}

func toLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func toSRGB(v float64) float64 {
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

// colourContrast is the largest CIELAB distance (ΔE, CIE76) between the
// scene's main colour and its others.
func colourContrast(s Spec) float64 {
	d := 0.0
	for _, c := range s.Colours[1:] {
		d = math.Max(d, s.Main().Lab().Dist(c.Lab()))
	}
	return d
}

// maxSaturation is the largest HSV saturation among the scene's colours
// that are not near black (a dark colour's saturation is not seen).
func maxSaturation(s Spec) float64 {
	m := 0.0
	for _, c := range s.Colours {
		if _, sat, v := c.HSV(); v >= 0.3 {
			m = math.Max(m, sat)
		}
	}
	return m
}

// moodsOf applies the mood rule of the package doc, in its order.
func moodsOf(sp Spec) []string {
	h, s, v := sp.Main().HSV()
	fam := colour.FamilyHSV(h, s, v)
	dark := sp.Tone == Dark
	contrast := colourContrast(sp)
	var out []string
	add := func(ok bool, m string) {
		if ok {
			out = append(out, m)
		}
	}
	warm := s >= 0.15 && strings.Contains(" red orange yellow pink brown beige ", " "+fam+" ")
	cool := s >= 0.15 && strings.Contains(" green blue purple ", " "+fam+" ")
	soft := s < 0.35 && !dark && contrast <= 25
	add(warm, "warm")
	add(cool, "cool")
	add(v >= 0.75 && s >= 0.45, "bright")
	add(dark, "dark")
	add(soft, "soft")
	add(s >= 0.7 || contrast >= 50, "bold")
	playfulKind := sp.Kind == Geometric || sp.Kind == Tiles
	add(playfulKind && maxSaturation(sp) >= 0.45, "playful")
	material := sp.Kind == Marble || sp.Kind == Linen
	add((dark && s < 0.5) || (material && s < 0.25), "elegant")
	add(!warm && soft, "calm")
	add(sp.Kind == Wood || sp.Kind == Linen || sp.Kind == Foliage || sp.Kind == Paper, "natural")
	return out
}
