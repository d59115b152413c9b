package backgrounds

import (
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/describe"
)

// BuiltinOwner is the owner word of the shared library in the index.
const BuiltinOwner = "builtin"

// setOff are the scene families that set a product's main colour off: its
// complement and the neutrals (never itself).
var setOff = map[string][]string{
	"red":    {"green", "white", "grey", "beige", "black"},
	"orange": {"blue", "white", "grey", "black"},
	"yellow": {"purple", "blue", "grey", "black"},
	"green":  {"pink", "red", "beige", "white", "grey"},
	"blue":   {"orange", "beige", "brown", "white", "yellow"},
	"purple": {"yellow", "beige", "white", "grey", "green"},
	"pink":   {"green", "grey", "white", "blue"},
	"brown":  {"blue", "white", "beige", "green"},
	"beige":  {"blue", "brown", "green", "black", "grey"},
	"black":  {"white", "beige", "grey", "yellow", "pink"},
	"grey":   {"white", "black", "blue", "yellow", "pink"},
	"white":  {"black", "grey", "blue", "green", "brown"},
}

// SetOff returns the families that set a main colour of family f off.
func SetOff(f string) []string { return setOff[f] }

// toneOf is the product's tone from its main colour's lightness (L*).
func toneOf(d describe.Description) string {
	l := d.Colours[0].RGB.Lab().L
	switch {
	case l >= 65:
		return "light"
	case l < 40:
		return "dark"
	}
	return "mid"
}

// wantTones are the scene tones the contrast rule asks for, with boosts.
func wantTones(tone string) map[string]float64 {
	switch tone {
	case "light":
		return map[string]float64{"dark": 2, "mid": 1}
	case "dark":
		return map[string]float64{"light": 2, "mid": 1}
	}
	return map[string]float64{"light": 1.5, "dark": 1.5}
}

// Query is the search for scenes that suit d, among the built-in ones and
// those of owner ("" for built-ins only); see the package doc for the rule.
func Query(d describe.Description, owner string) query.Query {
	var should []query.Query
	add := func(field, words string, boost float64) {
		if strings.TrimSpace(words) == "" {
			return
		}
		should = append(should, match(field, words, boost), match("caption", words, boost/2))
	}
	add("moods", strings.Join(d.Moods, " "), 2)
	for tone, b := range wantTones(toneOf(d)) {
		add("tone", tone, b)
	}
	add("families", strings.Join(SetOff(d.Colours[0].Family), " "), 1.5)

	return filtered(bleve.NewDisjunctionQuery(should...), d, owner)
}

// filtered keeps scored's hits among the scenes of the library and of
// owner, and drops the scenes of d's own main colour family.
func filtered(scored query.Query, d describe.Description, owner string) query.Query {
	owners := []query.Query{term("owner", BuiltinOwner)}
	if owner != "" {
		owners = append(owners, term("owner", owner))
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(scored, bleve.NewDisjunctionQuery(owners...))
	b.AddMustNot(term("main_family", d.Colours[0].Family))
	return b
}

func match(field, words string, boost float64) query.Query {
	q := bleve.NewMatchQuery(words)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

func term(field, value string) query.Query {
	q := bleve.NewTermQuery(value)
	q.SetField(field)
	return q
}

// Searchable is a query the index runs.
type Searchable = query.Query

// ColourQuery is Query's set-off colour clause alone, with the same
// filters: the colour-only ranking evaluations compare Query with.
func ColourQuery(d describe.Description, owner string) query.Query {
	return filtered(match("families", strings.Join(SetOff(d.Colours[0].Family), " "), 1.5), d, owner)
}

// LibraryIndex is an in-memory index of the built-in scenes alone (the
// command line and evaluations, which have no database).
func LibraryIndex(specs []backdrop.Spec, size int) (*Index, error) {
	x, err := OpenIndex("")
	if err != nil {
		return nil, err
	}
	bgs := make([]atelier.Background, len(specs))
	for i, s := range specs {
		bgs[i] = Builtin(s, size)
	}
	if err := x.Add(bgs...); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}
