package backdrop

import (
	"fmt"
	"strings"

	"github.com/atelier-app/atelier/internal/colour"
)

// entry is one row of the library table: a scene's label (its ID's
// colour words), kind, motif and colours as 0xrrggbb, main first.
type entry struct {
	label   string
	kind    Kind
	motif   string
	colours []uint32
}

// table is the library: eight scenes of each kind, in light, mid and dark
// tones and warm, cool and neutral colours, so that a product of any
// colour has a scene that sets it off and one that matches its mood.
var table = []entry{
	{"warm-beige", Studio, "", []uint32{0xf0e4d0, 0xe2d0b4}},
	{"cool-grey", Studio, "", []uint32{0xdde3e8, 0xc6ced6}},
	{"white", Studio, "", []uint32{0xf6f6f4, 0xe6e6e3}},
	{"blush", Studio, "", []uint32{0xf2d4cf, 0xe4bcb5}},
	{"sage", Studio, "", []uint32{0x9fb39a, 0x889f83}},
	{"slate", Studio, "", []uint32{0x5a6b7b, 0x4a5a69}},
	{"charcoal", Studio, "", []uint32{0x323437, 0x222426}},
	{"navy", Studio, "", []uint32{0x22304f, 0x161f36}},

	{"ivory", Paper, "", []uint32{0xf5f0e1, 0xe6dcc2}},
	{"kraft", Paper, "", []uint32{0xc4a07a, 0xa98660}},
	{"sky", Paper, "", []uint32{0xcfe0ee, 0xb8cde0}},
	{"mint", Paper, "", []uint32{0xd3ebd6, 0xbcdcc0}},
	{"lemon", Paper, "", []uint32{0xf6e7a0, 0xe8d47e}},
	{"coral", Paper, "", []uint32{0xee8a74, 0xdc735e}},
	{"grey", Paper, "", []uint32{0xa4a4a2, 0x8e8e8c}},
	{"black", Paper, "", []uint32{0x2a2a2b, 0x1c1c1d}},

	{"natural", Linen, "", []uint32{0xe6d5b8, 0xcdbfa6}},
	{"white", Linen, "", []uint32{0xf2efe8, 0xded9cf}},
	{"oatmeal", Linen, "", []uint32{0xc9baa0, 0xae9e84}},
	{"dusty-blue", Linen, "", []uint32{0x9aaec4, 0x8296ad}},
	{"rose", Linen, "", []uint32{0xd6aaac, 0xbf9294}},
	{"olive", Linen, "", []uint32{0x85855a, 0x6d6d47}},
	{"charcoal", Linen, "", []uint32{0x3c3c3e, 0x2c2c2e}},
	{"navy", Linen, "", []uint32{0x28334c, 0x1c2539}},

	{"birch", Wood, "", []uint32{0xe0c9a0, 0xc3a57a}},
	{"oak", Wood, "", []uint32{0xbe8e5e, 0x946a40}},
	{"walnut", Wood, "", []uint32{0x6b4630, 0x47301f}},
	{"ebony", Wood, "", []uint32{0x30261f, 0x1b1512}},
	{"whitewashed", Wood, "", []uint32{0xe6e0d5, 0xc9c0b1}},
	{"teak", Wood, "", []uint32{0xa0683a, 0x7a4a26}},
	{"cherry", Wood, "", []uint32{0x98493a, 0x6e3024}},
	{"driftwood", Wood, "", []uint32{0xa29b90, 0x7e776d}},

	{"carrara", Marble, "", []uint32{0xf0f0ee, 0x9a9fa6}},
	{"calacatta", Marble, "", []uint32{0xf4eee4, 0xb4955f}},
	{"nero", Marble, "", []uint32{0x1f1f21, 0xd6d6d6}},
	{"verde", Marble, "", []uint32{0x1f4a3a, 0xc6ddcf}},
	{"rosa", Marble, "", []uint32{0xecd2cc, 0xa87870}},
	{"grey", Marble, "", []uint32{0x9a9ca0, 0xe6e6e6}},
	{"blue-grey", Marble, "", []uint32{0xbac5cd, 0x5a6a78}},
	{"emperador", Marble, "", []uint32{0x5a3a2a, 0xd6bea0}},

	{"light-grey", Concrete, "", []uint32{0xc8c8c4, 0xa8a8a4}},
	{"warm-grey", Concrete, "", []uint32{0xb0a898, 0x928a7a}},
	{"mid-grey", Concrete, "", []uint32{0x8e8e8c, 0x70706e}},
	{"dark-grey", Concrete, "", []uint32{0x4c4c4c, 0x383838}},
	{"anthracite", Concrete, "", []uint32{0x2c2e30, 0x1e2022}},
	{"sand", Concrete, "", []uint32{0xd8cdb8, 0xbdb19b}},
	{"blue-grey", Concrete, "", []uint32{0x8a96a0, 0x6e7a84}},
	{"plaster-pink", Concrete, "", []uint32{0xd9a99a, 0xbf8f80}},

	{"white", Tiles, "square", []uint32{0xf4f4f2, 0xc8c8c4}},
	{"white-black-grout", Tiles, "subway", []uint32{0xf2f2f0, 0x404040}},
	{"sage", Tiles, "subway", []uint32{0x8fb88c, 0xe8e8e0}},
	{"cobalt", Tiles, "square", []uint32{0x1f4fa0, 0xe8e8e8}},
	{"terracotta", Tiles, "square", []uint32{0xc0603a, 0xe0d0c0}},
	{"mustard", Tiles, "subway", []uint32{0xd8a830, 0xf0ece0}},
	{"black", Tiles, "square", []uint32{0x222224, 0xcfcfcf}},
	{"pink", Tiles, "subway", []uint32{0xf0a8b8, 0xfafafa}},

	{"jungle", Foliage, "leaves", []uint32{0x2c4a2c, 0x4f8a3c}},
	{"sage-on-cream", Foliage, "leaves", []uint32{0xeeead8, 0x9cb08a}},
	{"monstera", Foliage, "leaves", []uint32{0x1a2e22, 0x3a6e46}},
	{"eucalyptus", Foliage, "leaves", []uint32{0xc4d2cb, 0x6f9484}},
	{"tropical", Foliage, "leaves", []uint32{0x1e5555, 0x3aa07a}},
	{"autumn", Foliage, "leaves", []uint32{0xeadbc4, 0xc8783a}},
	{"blossom", Foliage, "leaves", []uint32{0xf6eef0, 0xe596ab}},
	{"olive", Foliage, "leaves", []uint32{0x69703f, 0xa3ab66}},

	{"cream-coral", Geometric, "stripes", []uint32{0xf5ecdc, 0xef7f62}},
	{"navy-white", Geometric, "stripes", []uint32{0x1f2c4a, 0xf2f2f0}},
	{"memphis", Geometric, "triangles", []uint32{0xf8e080, 0xf080a0, 0x40b0b0}},
	{"mint", Geometric, "circles", []uint32{0xd5ecd9, 0x5cc79a}},
	{"black-gold", Geometric, "triangles", []uint32{0x242424, 0xc8a040}},
	{"lilac-peach", Geometric, "circles", []uint32{0xdacbe8, 0xf4b080}},
	{"cobalt-sun", Geometric, "triangles", []uint32{0x2a6ad0, 0xf8c830}},
	{"greys", Geometric, "stripes", []uint32{0xd4d4d4, 0xa6a6a6, 0xf4f4f4}},
}

// Library returns the built-in scenes, in a fixed order, with the same IDs,
// words and seeds on every call.
func Library() []Spec {
	out := make([]Spec, 0, len(table))
	seen := map[Kind]int{}
	for i, e := range table {
		seen[e.kind]++
		id := fmt.Sprintf("%s-%s-%02d", kindSlug(e.kind), e.label, seen[e.kind])
		cs := make([]colour.RGB, len(e.colours))
		for j, h := range e.colours {
			cs[j] = colour.FromHex(h)
		}
		out = append(out, newSpec(id, e.kind, e.motif, 0x5eed_0000+uint64(i)*7919, cs...))
	}
	return out
}

// kindSlug is the first word of a kind, for IDs.
func kindSlug(k Kind) string { return strings.Fields(string(k))[0] }
