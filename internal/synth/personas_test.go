package synth

import (
	"reflect"
	"strings"
	"testing"

	atelier "github.com/atelier-app/atelier"
)

func TestDefaultPersonas(t *testing.T) {
	ps := DefaultPersonas()
	if len(ps) < 4 {
		t.Fatalf("%d default personas, want at least 4", len(ps))
	}
	data, err := MarshalPersonas(ps)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePersonas(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ps, back) {
		t.Fatalf("round trip changed the personas:\n%+v\n%+v", ps, back)
	}
	// Distinct: no two personas have nearly the same weight vector.
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			a, b := ps[i].Weights.vector(), ps[j].Weights.vector()
			var d float64
			for k := range a {
				d += (a[k] - b[k]) * (a[k] - b[k])
			}
			if d < 4 {
				t.Errorf("personas %s and %s are too alike (squared distance %.2f)", ps[i].Name, ps[j].Name, d)
			}
		}
	}
}

func TestConsumersRoundTrip(t *testing.T) {
	cs := DrawConsumers(DefaultPersonas(), 12, 4)
	data, err := MarshalConsumers(cs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConsumers(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cs, back) {
		t.Fatal("consumers changed in a round trip")
	}
	// Shares are met exactly: 5 personas of 0.2 over 12 consumers → 3,3,2,2,2.
	counts := map[string]int{}
	for _, c := range cs {
		counts[c.Persona]++
	}
	for i, p := range DefaultPersonas() {
		want := 2
		if i < 2 {
			want = 3
		}
		if counts[p.Name] != want {
			t.Errorf("%s: %d consumers, want %d", p.Name, counts[p.Name], want)
		}
	}
}

// persona builds a one-persona file with the given persona body.
func personaFile(body string) string { return `{"personas":[` + body + `]}` }

const okPersona = `{"name":"warm","share":1,"hue":{"angle":20,"weight":2},"weights":{"saturation":1,"pattern":1.5},"categories":{"dress":2},"noise":0.3}`

func TestParsePersonasErrors(t *testing.T) {
	if _, err := ParsePersonas([]byte(personaFile(okPersona))); err != nil {
		t.Fatalf("valid file refused: %v", err)
	}
	tests := []struct {
		name, file string
		want       []string // all must appear in the one-line error
	}{
		{"not json", `{"personas":[`, []string{"not a persona file"}},
		{"no personas", `{"personas":[]}`, []string{"no personas"}},
		{"unknown top field", `{"persona":[]}`, []string{"not a persona file", "persona"}},
		{"unknown persona field", personaFile(`{"name":"x","share":1,"wieghts":{}}`), []string{"personas[0]", "wieghts"}},
		{"unknown feature", personaFile(strings.Replace(okPersona, `"pattern"`, `"sparkle"`, 1)),
			[]string{"personas[0].weights", `unknown feature "sparkle"`, `persona "warm"`, "saturation, value"}},
		{"unknown category", personaFile(strings.Replace(okPersona, `"dress"`, `"hat"`, 1)),
			[]string{"personas[0].categories", `unknown category "hat"`, `"warm"`}},
		{"empty name", personaFile(strings.Replace(okPersona, `"warm"`, `""`, 1)), []string{"personas[0].name", "no name"}},
		{"bad name", personaFile(strings.Replace(okPersona, `"warm"`, `"warm,red"`, 1)), []string{"personas[0].name", `"warm,red"`}},
		{"duplicate name", personaFile(strings.Replace(okPersona, `"share":1`, `"share":0.5`, 1) + "," +
			strings.Replace(okPersona, `"share":1`, `"share":0.5`, 1)), []string{"personas[1].name", "duplicate", `"warm"`}},
		{"negative noise", personaFile(strings.Replace(okPersona, `"noise":0.3`, `"noise":-0.1`, 1)),
			[]string{"personas[0].noise", `"warm"`, "-0.1"}},
		{"zero share", personaFile(strings.Replace(okPersona, `"share":1`, `"share":0`, 1)), []string{"personas[0].share", `"warm"`}},
		{"shares off", personaFile(strings.Replace(okPersona, `"share":1`, `"share":0.8`, 1)), []string{"personas.share", "sum to 0.8"}},
		{"wrong type", personaFile(`{"name":"x","share":"all"}`), []string{"personas[0].share", "want a number, got a JSON string", `"x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePersonas([]byte(tc.file))
			if err == nil {
				t.Fatal("accepted")
			}
			if atelier.ErrorKind(err) != atelier.KindInvalid {
				t.Errorf("kind %s, want invalid", atelier.ErrorKind(err))
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestParseConsumersErrors(t *testing.T) {
	for _, file := range []string{
		`{"consumers":[{"persona":"x"}]}`,
		`{"consumers":[{"consumer_id":"c1","categories":{"hat":1}}]}`,
		`{"consumers":[{"consumer_id":"c1","weights":{"sparkle":1}}]}`,
		`[1,2]`,
	} {
		if _, err := ParseConsumers([]byte(file)); err == nil {
			t.Errorf("accepted %s", file)
		}
	}
}
