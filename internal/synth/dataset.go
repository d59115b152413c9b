package synth

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	atelier "github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
)

// Config sets up a synthetic world.
type Config struct {
	Items        int       // catalog size
	Consumers    int       // simulated consumers
	Interactions int       // picks per consumer
	Personas     []Persona // nil: DefaultPersonas()
	Seed         uint64
	Size         int     // image side in pixels (default DefaultSize)
	Temperature  float64 // choice softmax temperature (default 0.1)
	SlateSize    int     // items per slate (default 20)
	Workers      int     // render goroutines (default GOMAXPROCS); never changes the output
}

// DefaultConfig is the default world: the one `atelier synth` writes without
// flags and `atelier demo` serves (3000 items, 1500 consumers, 25 picks each).
func DefaultConfig(seed uint64) Config {
	return Config{Items: 3000, Consumers: 1500, Interactions: 25, Seed: seed}
}

// Limits of a Config, to refuse typos before hours of work.
const (
	MaxItems        = 1_000_000
	MaxConsumers    = 1_000_000
	MaxInteractions = 10_000
	MinSize         = 16
	MaxSize         = 1024
)

func (c Config) withDefaults() Config {
	if c.Personas == nil {
		c.Personas = DefaultPersonas()
	}
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Temperature == 0 {
		c.Temperature = 0.1
	}
	if c.SlateSize == 0 {
		c.SlateSize = 20
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate checks a Config (after defaults), naming the field at fault.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Items < 1 || c.Items > MaxItems:
		return atelier.FieldErrorf("items", "%d items: want 1 to %d", c.Items, MaxItems)
	case c.Consumers < 1 || c.Consumers > MaxConsumers:
		return atelier.FieldErrorf("consumers", "%d consumers: want 1 to %d", c.Consumers, MaxConsumers)
	case c.Interactions < 0 || c.Interactions > MaxInteractions:
		return atelier.FieldErrorf("interactions", "%d interactions per consumer: want 0 to %d", c.Interactions, MaxInteractions)
	case c.Size < MinSize || c.Size > MaxSize:
		return atelier.FieldErrorf("size", "%d px: want %d to %d", c.Size, MinSize, MaxSize)
	case !(c.Temperature > 0) || math.IsInf(c.Temperature, 0):
		return atelier.FieldErrorf("temperature", "%g: want a positive number", c.Temperature)
	case c.SlateSize < 1:
		return atelier.FieldErrorf("slate", "%d: want at least 1", c.SlateSize)
	}
	return ValidatePersonas(c.Personas)
}

// Summary describes a written world.
type Summary struct {
	Dir             string
	Items           int
	Consumers       int
	Interactions    int
	Segments        map[string]int // consumers per persona
	RenderSeconds   float64
	ImagesPerSecond float64
	TotalSeconds    float64
}

// Write generates a world from cfg and writes it to dir in the dataset
// format of the package doc. Everything is written to a temporary sibling
// of dir that is renamed to dir at the end, so a failed or cancelled run
// leaves nothing behind. An existing non-empty dir is refused unless force,
// in which case it is replaced only once the new world is complete.
func Write(ctx context.Context, dir string, cfg Config, force bool, report progress.Func) (Summary, error) {
	start := time.Now()
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	if dir == "" {
		return Summary{}, atelier.FieldErrorf("out", "no output directory")
	}
	exists, err := checkTarget(dir, force)
	if err != nil {
		return Summary{}, err
	}
	parent, base := filepath.Dir(filepath.Clean(dir)), filepath.Base(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return Summary{}, fmt.Errorf("create temporary directory: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Summary{}, err
	}
	for _, sub := range []string{"images", "oracle"} {
		if err := os.Mkdir(filepath.Join(tmp, sub), 0o755); err != nil {
			return Summary{}, err
		}
	}

	items := DrawCatalog(cfg.Seed, cfg.Items)
	renderStart := time.Now()
	enc := newPNGEncoder()
	feats, err := RenderCatalog(ctx, items, cfg.Size, cfg.Workers, func(i int, img *image.NRGBA) error {
		return writeFile(filepath.Join(tmp, "images", items[i].ID+".png"), func(w io.Writer) error {
			return enc.Encode(w, img)
		})
	}, report)
	if err != nil {
		return Summary{}, err
	}
	renderSec := time.Since(renderStart).Seconds()

	consumers := DrawConsumers(cfg.Personas, cfg.Consumers, cfg.Seed)
	inter, err := Simulate(ctx, consumers, items, feats, SimConfig{
		Interactions: cfg.Interactions, SlateSize: cfg.SlateSize, Temperature: cfg.Temperature, Seed: cfg.Seed,
	}, report)
	if err != nil {
		return Summary{}, err
	}
	if err := writeTables(tmp, cfg, items, consumers, inter); err != nil {
		return Summary{}, err
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	if err := commit(tmp, dir, exists); err != nil {
		return Summary{}, err
	}
	committed = true

	s := Summary{Dir: dir, Items: len(items), Consumers: len(consumers), Interactions: len(inter),
		Segments: map[string]int{}, RenderSeconds: renderSec, TotalSeconds: time.Since(start).Seconds()}
	if renderSec > 0 {
		s.ImagesPerSecond = float64(len(items)) / renderSec
	}
	for _, c := range consumers {
		s.Segments[c.Persona]++
	}
	return s, nil
}

// checkTarget reports whether dir exists, refusing a file or a non-empty
// directory (unless force).
func checkTarget(dir string, force bool) (bool, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check %s: %w", dir, err)
	}
	if !st.IsDir() {
		return false, atelier.FieldErrorf("out", "%s exists and is not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", dir, err)
	}
	if len(ents) > 0 && !force {
		return false, atelier.Errorf(atelier.KindConflict, "%s is not empty (use --force to replace it)", dir)
	}
	return true, nil
}

// commit moves the finished world from tmp to dir. An existing dir is first
// moved aside and only deleted once tmp is in place; if that rename fails it
// is moved back.
func commit(tmp, dir string, exists bool) error {
	if !exists {
		return os.Rename(tmp, dir)
	}
	parent, base := filepath.Dir(filepath.Clean(dir)), filepath.Base(filepath.Clean(dir))
	old, err := os.MkdirTemp(parent, "."+base+".old-")
	if err != nil {
		return err
	}
	if err := os.Remove(old); err != nil {
		return err
	}
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("move old %s aside: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if back := os.Rename(old, dir); back != nil {
			return fmt.Errorf("replace %s: %w (the old one is at %s)", dir, err, old)
		}
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	return os.RemoveAll(old)
}

// writeTables writes the CSV and JSON files of a world into dir.
func writeTables(dir string, cfg Config, items []Item, consumers []Consumer, inter []Interaction) error {
	err := writeCSV(filepath.Join(dir, "items.csv"), append([]string{"item_id"}, Columns()...), len(items), func(i int) []string {
		return append([]string{items[i].ID}, items[i].Row()...)
	})
	if err != nil {
		return err
	}
	err = writeCSV(filepath.Join(dir, "consumers.csv"), []string{"consumer_id", "segment"}, len(consumers), func(i int) []string {
		return []string{consumers[i].ID, consumers[i].Persona}
	})
	if err != nil {
		return err
	}
	err = writeCSV(filepath.Join(dir, "interactions.csv"), []string{"consumer_id", "item_id", "timestamp"}, len(inter), func(i int) []string {
		in := inter[i]
		return []string{consumers[in.Consumer].ID, items[in.Item].ID, strconv.FormatInt(in.Timestamp, 10)}
	})
	if err != nil {
		return err
	}
	pj, err := MarshalPersonas(cfg.Personas)
	if err != nil {
		return err
	}
	if err := writeBytes(filepath.Join(dir, "personas.json"), pj); err != nil {
		return err
	}
	cj, err := MarshalConsumers(consumers)
	if err != nil {
		return err
	}
	if err := writeBytes(filepath.Join(dir, "oracle", "consumers.json"), cj); err != nil {
		return err
	}
	wj, err := json.MarshalIndent(map[string]any{
		"seed": cfg.Seed, "items": cfg.Items, "consumers": cfg.Consumers, "interactions": cfg.Interactions,
		"size": cfg.Size, "temperature": cfg.Temperature, "slate": cfg.SlateSize,
	}, "", "  ")
	if err != nil {
		return err
	}
	return writeBytes(filepath.Join(dir, "oracle", "world.json"), wj)
}

func writeCSV(path string, header []string, n int, row func(i int) []string) error {
	return writeFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		for i := range n {
			if err := cw.Write(row(i)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

func writeBytes(path string, data []byte) error {
	return writeFile(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// writeFile creates path and fills it with write, reporting close errors.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
