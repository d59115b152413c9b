package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/synth"
)

// oracleImage is the oracle's verdict on one image, as printed by --json.
type oracleImage struct {
	Path      string            `json:"path"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Features  synth.Features    `json:"features"`
	Personas  []personaUtility  `json:"personas"`
	Consumers []consumerUtility `json:"consumers,omitempty"`
}

type personaUtility struct {
	Name    string  `json:"name"`
	Utility float64 `json:"utility"` // expected over the persona's consumers
}

type consumerUtility struct {
	ID      string  `json:"consumer_id"`
	Persona string  `json:"persona"`
	Utility float64 `json:"utility"`
}

// runOracle scores images with the synthetic world's true tastes: the pixel
// features, the expected utility per persona and, given a consumers file,
// the utility per consumer. For evaluation only: no model may use it.
func runOracle(_ context.Context, e env, args []string) error {
	fs := newFlags("oracle", e)
	personasFile := fs.String("personas", "", "persona file, such as DIR/personas.json (default: the built-in personas)")
	consumersFile := fs.String("consumers", "", "consumers file, such as DIR/oracle/consumers.json")
	asJSON := fs.Bool("json", false, "print JSON")
	size := fs.Int("size", 0, "resize images to this square size first (0: score as given)")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("oracle: no images given (usage: atelier oracle [--personas FILE] [--consumers FILE] [--json] IMAGE...)")
	}
	if *size != 0 && (*size < synth.MinSize || *size > synth.MaxSize) {
		return usagef("oracle: --size: %d px: want 0 or %d to %d", *size, synth.MinSize, synth.MaxSize)
	}
	personas := synth.DefaultPersonas()
	if *personasFile != "" {
		ps, err := synth.LoadPersonas(*personasFile)
		if err != nil {
			return fmt.Errorf("oracle: %w", err)
		}
		personas = ps
	}
	var consumers []synth.Consumer
	if *consumersFile != "" {
		cs, err := synth.LoadConsumers(*consumersFile)
		if err != nil {
			return fmt.Errorf("oracle: %w", err)
		}
		consumers = cs
	}

	results := make([]oracleImage, 0, fs.NArg())
	for _, path := range fs.Args() {
		img, err := imaging.ReadFile(path)
		if err != nil {
			return fmt.Errorf("oracle: %w", err)
		}
		var t imaging.Tensor
		if *size > 0 {
			t = imaging.FromImageSize(img, *size)
		} else {
			t = imaging.FromImage(img)
		}
		r := oracleImage{Path: path, Width: t.W, Height: t.H, Features: synth.FeaturesOf(t)}
		for _, p := range personas {
			r.Personas = append(r.Personas, personaUtility{p.Name, synth.PersonaUtility(p, r.Features)})
		}
		for _, c := range consumers {
			r.Consumers = append(r.Consumers, consumerUtility{c.ID, c.Persona, c.Utility(r.Features)})
		}
		results = append(results, r)
	}

	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Images []oracleImage `json:"images"`
		}{results})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, r := range results {
		f := r.Features
		fmt.Fprintf(tw, "%s (%dx%d)\n", r.Path, r.Width, r.Height)
		fmt.Fprintf(tw, "  hue_cos %.4f  hue_sin %.4f  saturation %.4f  value %.4f  contrast %.4f  pattern %.4f  coverage %.4f  extent %.4f\n",
			f.HueCos, f.HueSin, f.Saturation, f.Value, f.Contrast, f.Pattern, f.Coverage, f.Extent)
		for _, p := range r.Personas {
			fmt.Fprintf(tw, "  persona\t%s\t%.4f\n", p.Name, p.Utility)
		}
		for _, c := range r.Consumers {
			fmt.Fprintf(tw, "  consumer\t%s (%s)\t%.4f\n", c.ID, c.Persona, c.Utility)
		}
	}
	return tw.Flush()
}
