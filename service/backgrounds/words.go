package backgrounds

import (
	"strings"

	"github.com/atelier-app/atelier/internal/describe"
)

// sceneWords are the index words of a scene described from its pixels.
func sceneWords(d describe.Description) map[string]string {
	var names []string
	for _, c := range d.Colours {
		names = append(names, c.Name)
	}
	kind := map[string]string{"solid": "plain", "stripes": "striped", "checks": "checked", "dots": "dotted", "other": "patterned"}[d.Pattern]
	return map[string]string{
		"kind":        kind,
		"colours":     strings.Join(names, ", "),
		"families":    strings.Join(d.Families(), " "),
		"main_family": d.Colours[0].Family,
		"tone":        toneOf(d),
		"moods":       strings.Join(d.Moods, " "),
	}
}
