package recommender

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/imaging"
)

// fixtureItem is one item of a dataset written by writeDataset: a square
// of colour col on white.
type fixtureItem struct {
	id, category string
	col          color.RGBA
	size         int // image side (64 when 0)
}

// fixture is a tiny dataset in the on-disk format `atelier synth` writes.
type fixture struct {
	items        []fixtureItem
	attrs        []string    // extra items.csv columns, filled with "a<row>"
	consumers    [][2]string // consumer_id, segment
	interactions [][3]string // consumer_id, item_id, timestamp
}

// writeDataset writes f to a fresh temporary directory and returns it.
func writeDataset(t testing.TB, f fixture) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ImagesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	var items strings.Builder
	items.WriteString(strings.Join(append([]string{"item_id", "category"}, f.attrs...), ",") + "\n")
	for r, it := range f.items {
		row := []string{it.id, it.category}
		for range f.attrs {
			row = append(row, fmt.Sprintf("a%d", r))
		}
		items.WriteString(strings.Join(row, ",") + "\n")
		size := it.size
		if size == 0 {
			size = 64
		}
		writePNG(t, filepath.Join(dir, ImagesDir, it.id+".png"), square(size, it.col))
	}
	var cons, inter strings.Builder
	cons.WriteString("consumer_id,segment\n")
	for _, c := range f.consumers {
		cons.WriteString(c[0] + "," + c[1] + "\n")
	}
	inter.WriteString("consumer_id,item_id,timestamp\n")
	for _, in := range f.interactions {
		inter.WriteString(strings.Join(in[:], ",") + "\n")
	}
	for name, body := range map[string]string{ItemsFile: items.String(), ConsumersFile: cons.String(), InteractionsFile: inter.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// square is a size×size white image with a centred square of colour c
// covering the middle half.
func square(size int, c color.RGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if x >= size/4 && x < 3*size/4 && y >= size/4 && y < 3*size/4 {
				img.Set(x, y, c)
			} else {
				img.Set(x, y, color.White)
			}
		}
	}
	return img
}

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := imaging.WritePNG(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// groupWorld is an easy synthetic world: the catalog is cut into groups
// of equal size, each with its own colour, and consumer u takes
// perConsumer distinct items drawn uniformly from group u mod groups. The
// split holds out coldFraction of the items (seeded by seed) as cold, so
// about that share of consumers have a cold test item.
type groupWorld struct {
	split  *Split
	images *Images // squares of the group's colour with a little noise, 8×8
	group  []int   // per consumer
	groups int
}

func newGroupWorld(t testing.TB, consumers, items, perConsumer, groups int, coldFraction float64, seed uint64) groupWorld {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	per := items / groups
	w := groupWorld{group: make([]int, consumers), groups: groups}
	var log []Interaction
	for u := 0; u < consumers; u++ {
		g := u % groups
		w.group[u] = g
		for k, i := range rng.Perm(per)[:perConsumer] {
			log = append(log, Interaction{Consumer: u, Item: g*per + i, Time: int64(k)})
		}
	}
	s, err := SplitInteractions(consumers, items, log, SplitConfig{ColdFraction: coldFraction, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	w.split = s
	const size = 8
	palette := [][3]float32{{1, 0, 0}, {0, 0.8, 0}, {0, 0, 1}, {1, 0.8, 0}, {0.6, 0, 0.8}, {0, 0.7, 0.7}}
	w.images = &Images{Size: size, Pix: make([]float32, items*3*size*size)}
	for i := 0; i < items; i++ {
		px := w.images.Item(i).Pix
		col := palette[min(i/per, groups-1)%len(palette)]
		for c := 0; c < 3; c++ {
			for k := 0; k < size*size; k++ {
				px[c*size*size+k] = 0.85*col[c] + 0.15*rng.Float32()
			}
		}
	}
	return w
}

// oracle scores with the world's true preference: 1 for the items of the
// consumer's group, 0 for the others.
func (w groupWorld) oracle() Scorer {
	per := w.split.NumItems / w.groups
	sc := make(tableScorer, len(w.group))
	for u, g := range w.group {
		sc[u] = make([]float32, w.split.NumItems)
		for i := range sc[u] {
			if min(i/per, w.groups-1) == g {
				sc[u][i] = 1
			}
		}
	}
	return sc
}

// warmOnly is s evaluating only the consumers whose test item is not cold.
func warmOnly(s *Split) *Split {
	w := *s
	w.Test = slices.Clone(s.Test)
	for u, i := range w.Test {
		if i >= 0 && s.IsCold(i) {
			w.Test[u] = -1
		}
	}
	return &w
}

// popularWorld has a few best-sellers: consumers pick items with
// probability proportional to 1/(rank+1), with no personal taste at all.
func popularWorld(t testing.TB, consumers, items, perConsumer int, seed uint64) *Split {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	weights := make([]float64, items)
	total := 0.0
	for i := range weights {
		weights[i] = 1 / float64(i+1)
		total += weights[i]
	}
	var log []Interaction
	for u := 0; u < consumers; u++ {
		taken := map[int]bool{}
		for len(taken) < perConsumer {
			x := rng.Float64() * total
			i := 0
			for ; i < items-1 && x >= weights[i]; i++ {
				x -= weights[i]
			}
			if !taken[i] {
				taken[i] = true
				log = append(log, Interaction{Consumer: u, Item: i, Time: int64(len(taken))})
			}
		}
	}
	s, err := SplitInteractions(consumers, items, log, SplitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
