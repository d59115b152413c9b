package backdrop

import (
	"slices"
	"strings"

	"github.com/atelier-app/atelier/internal/colour"
)

// Words are a scene's structured words, for a search index: the same
// vocabulary as a product's description (package describe).
type Words struct {
	Kind     string   `json:"kind"`
	Motif    string   `json:"motif,omitempty"`
	Colours  []string `json:"colours"`  // CSS names, main first
	Families []string `json:"families"` // family words, main first, no repeats
	Tone     string   `json:"tone"`
	Moods    []string `json:"moods"`
}

// Fields returns the scene's words.
func (s Spec) Fields() Words {
	w := Words{Kind: string(s.Kind), Motif: s.Motif, Tone: s.Tone, Moods: s.Moods}
	for _, c := range s.Colours {
		n := colour.Name(c)
		w.Colours = append(w.Colours, n.Name)
		if !slices.Contains(w.Families, n.Family) {
			w.Families = append(w.Families, n.Family)
		}
	}
	return w
}

// Caption is one sentence saying what the scene is, built from its words:
// "a wheat beige linen backdrop, light, warm, soft and natural".
func (s Spec) Caption() string {
	var b strings.Builder
	first := colourWords(s.Main())
	if slices.Contains(strings.Fields(colour.Name(s.Main()).Name), string(s.Kind)) {
		// "a white linen backdrop", not "a linen white linen backdrop".
		first = colour.Name(s.Main()).Family
	}
	article := "a "
	if strings.ContainsRune("aeiou", rune(first[0])) {
		article = "an "
	}
	b.WriteString(article + first + " " + string(s.Kind) + " backdrop")
	if part := secondPart(s); part != "" && len(s.Colours) > 1 {
		b.WriteString(" with " + colourWords(s.Colours[1]))
		if len(s.Colours) > 2 {
			b.WriteString(" and " + colourWords(s.Colours[2]))
		}
		b.WriteString(" " + part)
	}
	b.WriteString(", " + s.Tone)
	// The tone already says "dark"; the moods need not repeat it.
	moods := slices.DeleteFunc(slices.Clone(s.Moods), func(m string) bool { return m == s.Tone })
	if len(moods) > 0 {
		b.WriteString(", " + list(moods))
	}
	return b.String()
}

// colourWords is a colour's CSS name followed by its family word, unless
// the name already says it ("dark slate blue", not "dark slate blue blue").
func colourWords(c colour.RGB) string {
	n := colour.Name(c)
	if slices.Contains(strings.Fields(n.Name), n.Family) || (n.Family == "grey" && strings.Contains(n.Name, "gray")) {
		return n.Name
	}
	return n.Name + " " + n.Family
}

// secondPart is what the second colour is in a scene of s's kind, or ""
// when a caption need not name it (a paper's grain, a linen's threads, a
// concrete's pores are shades of the main colour).
func secondPart(s Spec) string {
	switch s.Kind {
	case Studio:
		return "floor"
	case Wood:
		return "grain"
	case Marble:
		return "veins"
	case Tiles:
		return "grout"
	case Foliage:
		return "leaves"
	case Geometric:
		return s.Motif
	}
	return ""
}

// list joins words as "a, b and c".
func list(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
