package describe

import (
	"slices"
	"strings"
)

var (
	warmFamilies    = []string{"red", "orange", "yellow", "pink", "brown", "beige"}
	coolFamilies    = []string{"green", "blue", "purple"}
	naturalFamilies = []string{"brown", "beige", "green"}
)

// moods applies the rules of the package doc to a description's colours
// and pattern.
func moods(d Description) []string { return Moods(d.Colours, d.Pattern) }

// Moods are the mood words of a product of these main colours (largest
// first, at least one) and pattern, by the rules of the package doc.
// Evaluations call it with a synthetic product's true colours.
func Moods(colours []Colour, pattern string) []string {
	main := colours[0]
	_, s, v := main.RGB.HSV()
	L := main.RGB.Lab().L
	patterned := pattern != "solid"
	gap := 0.0
	if len(colours) > 1 && patterned {
		gap = main.RGB.Lab().Dist(colours[1].RGB.Lab())
	}
	var out []string
	add := func(ok bool, word string) {
		if ok {
			out = append(out, word)
		}
	}
	warm := contains(warmFamilies, main.Family) && s >= 0.15
	cool := contains(coolFamilies, main.Family)
	dark := L < 35
	bright := v >= 0.75 && s >= 0.45
	soft := s < 0.35 && !dark && gap <= 25
	add(warm, "warm")
	add(cool, "cool")
	add(bright, "bright")
	add(dark, "dark")
	add(s >= 0.7 || gap >= 50, "bold")
	add(soft, "soft")
	add(pattern == "dots" || pattern == "checks" || (bright && secondHue(colours)), "playful")
	add((dark || s < 0.2) && !patterned, "elegant")
	add(!warm && soft, "calm")
	add(contains(naturalFamilies, main.Family) && s < 0.6, "natural")
	return out
}

// secondHue reports whether a colour after the first is saturated and of
// another family.
func secondHue(colours []Colour) bool {
	for _, c := range colours[1:] {
		_, s, _ := c.RGB.HSV()
		if s >= 0.45 && c.Family != colours[0].Family {
			return true
		}
	}
	return false
}

var patternWords = map[string]string{
	"solid": "", "stripes": "striped", "checks": "checked", "dots": "dotted", "other": "patterned",
}

var categoryWords = map[string]string{"tshirt": "t-shirt", "sneaker": "sneaker", "heel": "heel"}

// sentence is "a bold red striped t-shirt, large in frame, warm and
// playful": the first mood leads, colours (two for a pattern), pattern,
// category (and a solid product's details), size, then the next two moods.
func sentence(d Description) string {
	noun := d.Category
	if w, ok := categoryWords[noun]; ok {
		noun = w
	}
	if noun == "" {
		noun = "product"
	}
	return phrase(d, noun+details(d), ", "+d.Size+" in frame")
}

// sceneSentence is "a soft beige striped backdrop, calm and natural".
func sceneSentence(d Description) string { return phrase(d, "backdrop", "") }

// phrase is "a LEAD COLOURS PATTERN NOUN" then after, then up to two more
// moods.
func phrase(d Description, noun, after string) string {
	lead, rest := splitMoods(leadable(d))
	var words []string
	if lead != "" {
		words = append(words, lead)
	}
	words = append(words, colourWords(d))
	if p := patternWords[d.Pattern]; p != "" {
		words = append(words, p)
	}
	words = append(words, noun)
	text := strings.Join(words, " ")
	s := article(text) + " " + text + after
	if len(rest) > 0 {
		s += ", " + joinAnd(rest)
	}
	return s
}

// leadable puts first a mood that does not repeat a word of the colour
// names ("dark" before "dark slate gray" says nothing).
func leadable(d Description) []string {
	names := " " + colourWords(d) + " "
	m := slices.Clone(d.Moods)
	for i, w := range m {
		if !strings.Contains(names, " "+w+" ") {
			return append(append([]string{w}, m[:i]...), m[i+1:]...)
		}
	}
	return m
}

func splitMoods(m []string) (lead string, rest []string) {
	if len(m) == 0 {
		return "", nil
	}
	rest = m[1:]
	if len(rest) > 2 {
		rest = rest[:2]
	}
	return m[0], rest
}

func colourWords(d Description) string {
	if second, ok := d.second(); ok && d.Pattern != "solid" {
		return d.Colours[0].Name + " and " + second.Name
	}
	return d.Colours[0].Name
}

// details is " with NAME details" for a solid product with a second
// colour, else "".
func details(d Description) string {
	if second, ok := d.second(); ok && d.Pattern == "solid" {
		return " with " + second.Name + " details"
	}
	return ""
}

func joinAnd(w []string) string {
	if len(w) == 1 {
		return w[0]
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

func article(phrase string) string {
	if phrase != "" && strings.ContainsRune("aeiou", rune(phrase[0])) {
		return "an"
	}
	return "a"
}
