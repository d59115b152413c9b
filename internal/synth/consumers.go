package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	atelier "github.com/atelier-app/atelier"
)

// Consumer is one simulated shopper with its true taste: its persona's
// weights plus its own noise. This is ground truth: it is written to the
// dataset's oracle folder and read only by evaluations.
type Consumer struct {
	ID         string               `json:"consumer_id"`
	Persona    string               `json:"persona"`
	Hue        HueTaste             `json:"hue"`
	Weights    Weights              `json:"weights"`
	Categories map[Category]float64 `json:"categories,omitempty"` // the persona's, for browsing
}

// ConsumerID returns the identifier of the i-th simulated consumer.
func ConsumerID(i int) string { return fmt.Sprintf("c%05d", i+1) }

// Utility is the consumer's true utility of an image with features f:
// Hue.Weight·hue(Hue.Angle) + Σ_k Weights_k·f_k.
func (c Consumer) Utility(f Features) float64 { return c.coef().dot(f) }

// coef is the utility as a dot product with a feature vector
// (HueCos, HueSin, saturation, ..., extent): since hue(θ) = a·cos θ + b·sin θ,
// the hue term splits into two linear ones.
type coef [8]float64

func (c Consumer) coef() coef {
	th := c.Hue.Angle * math.Pi / 180
	w := c.Weights.vector()
	return coef{c.Hue.Weight * math.Cos(th), c.Hue.Weight * math.Sin(th), w[0], w[1], w[2], w[3], w[4], w[5]}
}

func (k coef) dot(f Features) float64 {
	v := f.vector()
	s := k[0]*f.HueCos + k[1]*f.HueSin
	for i, x := range v {
		s += k[2+i] * x
	}
	return s
}

// PersonaUtility is the expected utility of an image with features f to a
// random consumer of persona p. Weight noise has mean 0 and the hue angle
// noise ε ~ N(0, σ²) with σ = Noise·30° (in radians) is independent of it,
// and E[cos(h − θ − ε)] = e^(−σ²/2)·cos(h − θ), so
//
//	E[U] = e^(−σ²/2)·Hue.Weight·hue(Hue.Angle) + Σ_k Weights_k·f_k.
func PersonaUtility(p Persona, f Features) float64 {
	sigma := p.Noise * math.Pi / 6
	c := Consumer{Hue: HueTaste{Angle: p.Hue.Angle, Weight: p.Hue.Weight * math.Exp(-sigma*sigma/2)}, Weights: p.Weights}
	return c.Utility(f)
}

// DrawConsumers draws n consumers. Persona counts follow the shares exactly
// up to rounding (largest remainders), the order of personas over consumer
// ids is shuffled, and each consumer's taste comes from its own random
// stream: weights_k = persona weights_k + N(0, Noise²), hue weight likewise,
// hue angle = persona angle + N(0, (Noise·30°)²).
func DrawConsumers(personas []Persona, n int, seed uint64) []Consumer {
	counts := apportion(personas, n)
	order := make([]int, 0, n)
	for p, k := range counts {
		for range k {
			order = append(order, p)
		}
	}
	shuffle := rand.New(rand.NewPCG(seed, 0xc0_0000_0000_0000))
	shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	out := make([]Consumer, n)
	for i, pi := range order {
		p := personas[pi]
		rng := rand.New(rand.NewPCG(seed, 0xc1_0000_0000_0000|uint64(i)))
		w := p.Weights.vector()
		for k := range w {
			w[k] += p.Noise * rng.NormFloat64()
		}
		hue := HueTaste{
			Weight: p.Hue.Weight + p.Noise*rng.NormFloat64(),
			Angle:  math.Mod(p.Hue.Angle+30*p.Noise*rng.NormFloat64()+720, 360),
		}
		out[i] = Consumer{ID: ConsumerID(i), Persona: p.Name, Hue: hue, Weights: weightsOf(w), Categories: p.Categories}
	}
	return out
}

// apportion splits n among personas by share with the largest-remainder
// method; ties go to the earlier persona.
func apportion(personas []Persona, n int) []int {
	var total float64
	for _, p := range personas {
		total += p.Share
	}
	counts := make([]int, len(personas))
	rem := make([]float64, len(personas))
	left := n
	for i, p := range personas {
		exact := float64(n) * p.Share / total
		counts[i] = int(math.Floor(exact))
		rem[i] = exact - float64(counts[i])
		left -= counts[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		counts[best]++
		rem[best] = -1
	}
	return counts
}

// MarshalConsumers encodes consumers as the oracle consumers file:
// {"consumers":[{"consumer_id","persona","hue":{...},"weights":{...},"categories":{...}}]}.
func MarshalConsumers(cs []Consumer) ([]byte, error) {
	return json.MarshalIndent(struct {
		Consumers []Consumer `json:"consumers"`
	}{cs}, "", "  ")
}

// ParseConsumers decodes an oracle consumers file.
func ParseConsumers(data []byte) ([]Consumer, error) {
	var file struct {
		Consumers []Consumer `json:"consumers"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, atelier.Errorf(atelier.KindInvalid, "not a consumers file: %v", err)
	}
	for i, c := range file.Consumers {
		if c.ID == "" {
			return nil, atelier.FieldErrorf(fmt.Sprintf("consumers[%d].consumer_id", i), "consumer has no id")
		}
		for _, cat := range slices.Sorted(maps.Keys(c.Categories)) {
			if !cat.Valid() {
				return nil, atelier.FieldErrorf(fmt.Sprintf("consumers[%d].categories", i), "unknown category %q of consumer %q", cat, c.ID)
			}
		}
	}
	return file.Consumers, nil
}

// LoadConsumers reads an oracle consumers file.
func LoadConsumers(path string) ([]Consumer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInvalid, err, "read consumers file")
	}
	cs, err := ParseConsumers(data)
	if err != nil {
		return nil, fmt.Errorf("consumers file %s: %w", path, err)
	}
	return cs, nil
}
