// Package models embeds the demo model checkpoints trained on the default
// synthetic world (`atelier synth --seed 1`), so `atelier demo` serves
// recommendations and redesigns on a fresh machine without training. The
// commands that produced them are in docs/gan.md and docs/recommender.md.
package models

import (
	"embed"
	"io/fs"
)

//go:embed demo/*.safetensors
var demo embed.FS

// Demo returns the named demo checkpoint (e.g. "recommender.safetensors").
func Demo(name string) ([]byte, error) {
	return fs.ReadFile(demo, "demo/"+name)
}
