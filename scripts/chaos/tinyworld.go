package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// tinyWorld is a small synthetic dataset directory and what it holds.
type tinyWorld struct {
	dir                            string
	items, consumers, interactions int
}

// Sizes of the worker-kill scenario's tiny worlds: big enough that an
// import takes a moment (so that kills land in some), small enough that
// twenty of them and the recommenders trained on them take seconds.
const (
	tinyItems        = 60
	tinyConsumers    = 12
	tinyInteractions = 8
)

// tinyWorlds writes one synthetic world with `atelier synth` and n copies
// of it whose item and consumer ids carry a prefix (w01-it00001, …), so
// that each copy's import adds new records instead of finding known ones.
// The copies leave out the oracle folder, which imports never read.
func tinyWorlds(ctx context.Context, bin, dir string, n int) (base tinyWorld, copies []tinyWorld, err error) {
	base = tinyWorld{dir: filepath.Join(dir, "world-base"), items: tinyItems, consumers: tinyConsumers,
		interactions: tinyConsumers * tinyInteractions}
	out, err := exec.CommandContext(ctx, bin, "synth", "--out", base.dir, "--seed", "5", "--size", "96",
		"--items", fmt.Sprint(tinyItems), "--consumers", fmt.Sprint(tinyConsumers),
		"--interactions", fmt.Sprint(tinyInteractions)).CombinedOutput()
	if err != nil {
		return base, nil, fmt.Errorf("atelier synth: %w\n%s", err, out)
	}
	for k := 1; k <= n; k++ {
		c := base
		c.dir = filepath.Join(dir, fmt.Sprintf("world-%02d", k))
		if err := prefixedCopy(base.dir, c.dir, fmt.Sprintf("w%02d-", k)); err != nil {
			return base, nil, err
		}
		copies = append(copies, c)
	}
	return base, copies, nil
}

// synthID matches the item and consumer ids that `atelier synth` writes.
var synthID = regexp.MustCompile(`\b(it|c)\d{5}\b`)

// prefixedCopy copies a synth world's CSV files and images from src to
// dst with prefix before every item and consumer id.
func prefixedCopy(src, dst, prefix string) error {
	if err := os.MkdirAll(filepath.Join(dst, "images"), 0o755); err != nil {
		return err
	}
	for _, name := range []string{"items.csv", "consumers.csv", "interactions.csv"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		data = synthID.ReplaceAll(data, []byte(prefix+"$0"))
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return err
		}
	}
	imgs, err := os.ReadDir(filepath.Join(src, "images"))
	if err != nil {
		return err
	}
	for _, e := range imgs {
		data, err := os.ReadFile(filepath.Join(src, "images", e.Name()))
		if err != nil {
			return err
		}
		if !synthID.MatchString(e.Name()) {
			return fmt.Errorf("%s: unexpected image name %q", src, e.Name())
		}
		if err := os.WriteFile(filepath.Join(dst, "images", prefix+e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
