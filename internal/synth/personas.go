package synth

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"

	atelier "github.com/atelier-app/atelier"
)

//go:embed personas_default.json
var defaultPersonasJSON []byte

// HueTaste is a liking for one hue: the utility gains Weight·hue(Angle).
type HueTaste struct {
	Angle  float64 `json:"angle"`  // degrees
	Weight float64 `json:"weight"` // may be negative (a dislike)
}

// Weights are the linear weights of the pixel features in a utility.
type Weights struct {
	Saturation float64 `json:"saturation"`
	Value      float64 `json:"value"`
	Contrast   float64 `json:"contrast"`
	Pattern    float64 `json:"pattern"`
	Coverage   float64 `json:"coverage"`
	Extent     float64 `json:"extent"`
}

func (w Weights) vector() [6]float64 {
	return [6]float64{w.Saturation, w.Value, w.Contrast, w.Pattern, w.Coverage, w.Extent}
}

func weightsOf(v [6]float64) Weights {
	return Weights{v[0], v[1], v[2], v[3], v[4], v[5]}
}

// Persona is a consumer segment of the synthetic world: the centre of its
// consumers' tastes, its share of the population, the categories it browses
// and how much its consumers vary (see the package doc).
type Persona struct {
	Name       string
	Share      float64
	Hue        HueTaste
	Weights    Weights
	Categories map[Category]float64 // log-affinities for browsing; missing = 0
	Noise      float64
}

// personaJSON is the file form of a Persona; weights and categories are
// maps so unknown names can be reported by name.
type personaJSON struct {
	Name       string             `json:"name"`
	Share      float64            `json:"share"`
	Hue        HueTaste           `json:"hue"`
	Weights    map[string]float64 `json:"weights"`
	Categories map[string]float64 `json:"categories,omitempty"`
	Noise      float64            `json:"noise"`
}

// DefaultPersonasJSON returns the embedded default persona file.
func DefaultPersonasJSON() []byte { return bytes.Clone(defaultPersonasJSON) }

// DefaultPersonas returns the embedded default personas: five segments with
// clearly different tastes (warm patterned, dark minimal, bright cool,
// pastel soft, large long statement pieces) and browsing habits.
func DefaultPersonas() []Persona {
	ps, err := ParsePersonas(defaultPersonasJSON)
	if err != nil {
		panic("synth: embedded default personas are invalid: " + err.Error())
	}
	return ps
}

// LoadPersonas reads and validates a persona file.
func LoadPersonas(path string) ([]Persona, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "read persona file")
	}
	ps, err := ParsePersonas(data)
	if err != nil {
		return nil, fmt.Errorf("persona file %s: %w", path, err)
	}
	return ps, nil
}

// ParsePersonas decodes and validates a persona file:
// {"personas":[{"name", "share", "hue":{"angle","weight"}, "weights":{...},
// "categories":{...}, "noise"}]}.
func ParsePersonas(data []byte) ([]Persona, error) {
	var file struct {
		Personas []json.RawMessage `json:"personas"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "not a persona file: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	ps := make([]Persona, 0, len(file.Personas))
	for i, raw := range file.Personas {
		var pj personaJSON
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&pj); err != nil {
			return nil, decodeError(i, raw, err)
		}
		p, err := pj.persona(i)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if err := ValidatePersonas(ps); err != nil {
		return nil, err
	}
	return ps, nil
}

// decodeError names the persona (when its name can be read) and the field
// of a JSON decoding error, without Go type names.
func decodeError(i int, raw []byte, err error) error {
	var named struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &named) // best effort: the name is only for the message
	who := ""
	if named.Name != "" {
		who = fmt.Sprintf(" in persona %q", named.Name)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return atelier.FieldErrorf(fmt.Sprintf("personas[%d].%s", i, ute.Field), "want %s, got a JSON %s%s", jsonKind(ute.Type.Kind().String()), ute.Value, who)
	}
	return atelier.FieldErrorf(fmt.Sprintf("personas[%d]", i), "%s%s", strings.TrimPrefix(err.Error(), "json: "), who)
}

// jsonKind names a Go kind the way a persona file author thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	}
	return kind
}

func (pj personaJSON) persona(i int) (Persona, error) {
	p := Persona{Name: pj.Name, Share: pj.Share, Hue: pj.Hue, Noise: pj.Noise}
	names := FeatureNames()
	var w [6]float64
	// Sorted keys, so that the first error reported does not depend on map
	// order.
	for _, name := range slices.Sorted(maps.Keys(pj.Weights)) {
		v := pj.Weights[name]
		k := indexOf(names, name)
		if k < 0 {
			return p, atelier.FieldErrorf(fmt.Sprintf("personas[%d].weights", i),
				"unknown feature %q in persona %q (known: %s)", name, pj.Name, strings.Join(names, ", "))
		}
		w[k] = v
	}
	p.Weights = weightsOf(w)
	if len(pj.Categories) > 0 {
		p.Categories = make(map[Category]float64, len(pj.Categories))
	}
	for _, name := range slices.Sorted(maps.Keys(pj.Categories)) {
		v := pj.Categories[name]
		c := Category(name)
		if !c.Valid() {
			return p, atelier.FieldErrorf(fmt.Sprintf("personas[%d].categories", i),
				"unknown category %q in persona %q (known: %s)", name, pj.Name, categoryList())
		}
		p.Categories[c] = v
	}
	return p, nil
}

// validName reports whether s is a persona name that needs no quoting in
// CSV files or URLs: ASCII letters and digits, then also '-', '_' and '.'.
func validName(s string) bool {
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || (r != '-' && r != '_' && r != '.')) {
			return false
		}
	}
	return s != ""
}

// ValidatePersonas checks personas built in code or read from a file:
// names present, unique and CSV-safe, shares positive and summing to 1
// (within 0.001), noise not negative, categories known, numbers finite.
func ValidatePersonas(ps []Persona) error {
	if len(ps) == 0 {
		return atelier.FieldErrorf("personas", "no personas")
	}
	seen := make(map[string]bool, len(ps))
	var sum float64
	for i, p := range ps {
		field := func(f string) string { return fmt.Sprintf("personas[%d].%s", i, f) }
		switch {
		case p.Name == "":
			return atelier.FieldErrorf(field("name"), "persona has no name")
		case !validName(p.Name):
			return atelier.FieldErrorf(field("name"), "persona name %q: use letters, digits, '-', '_' and '.'", p.Name)
		case seen[p.Name]:
			return atelier.FieldErrorf(field("name"), "duplicate persona name %q", p.Name)
		case !(p.Share > 0) || math.IsInf(p.Share, 0):
			return atelier.FieldErrorf(field("share"), "share of persona %q is %g, want > 0", p.Name, p.Share)
		case p.Noise < 0 || math.IsNaN(p.Noise) || math.IsInf(p.Noise, 0):
			return atelier.FieldErrorf(field("noise"), "noise of persona %q is %g, want >= 0", p.Name, p.Noise)
		case !finite(p.Hue.Angle) || !finite(p.Hue.Weight):
			return atelier.FieldErrorf(field("hue"), "hue of persona %q is not a finite number", p.Name)
		}
		for k, v := range p.Weights.vector() {
			if !finite(v) {
				return atelier.FieldErrorf(field("weights."+FeatureNames()[k]), "weight of persona %q is not a finite number", p.Name)
			}
		}
		for _, c := range slices.Sorted(maps.Keys(p.Categories)) {
			v := p.Categories[c]
			if !c.Valid() {
				return atelier.FieldErrorf(field("categories"), "unknown category %q in persona %q (known: %s)", c, p.Name, categoryList())
			}
			if !finite(v) {
				return atelier.FieldErrorf(field("categories."+string(c)), "affinity of persona %q is not a finite number", p.Name)
			}
		}
		seen[p.Name] = true
		sum += p.Share
	}
	if math.Abs(sum-1) > 1e-3 {
		return atelier.FieldErrorf("personas.share", "shares sum to %.4g, want 1", sum)
	}
	return nil
}

// MarshalPersonas encodes personas in the persona file format.
func MarshalPersonas(ps []Persona) ([]byte, error) {
	file := struct {
		Personas []personaJSON `json:"personas"`
	}{}
	for _, p := range ps {
		pj := personaJSON{Name: p.Name, Share: p.Share, Hue: p.Hue, Noise: p.Noise, Weights: map[string]float64{}}
		for k, v := range p.Weights.vector() {
			pj.Weights[FeatureNames()[k]] = v
		}
		if len(p.Categories) > 0 {
			pj.Categories = make(map[string]float64, len(p.Categories))
			for c, v := range p.Categories {
				pj.Categories[string(c)] = v
			}
		}
		file.Personas = append(file.Personas, pj)
	}
	// encoding/json sorts map keys, so the bytes are deterministic.
	return json.MarshalIndent(file, "", "  ")
}

// affinities returns the category log-affinities in Categories() order.
func affinities(m map[Category]float64) [NumCategories]float64 {
	var a [NumCategories]float64
	for i, c := range Categories() {
		a[i] = m[c]
	}
	return a
}

func categoryList() string {
	cs := Categories()
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
