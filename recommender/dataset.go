package recommender

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/atelier-app/atelier"
)

// Item is one catalog item.
type Item struct {
	ID       string
	Category int      // index into Dataset.Categories
	Attrs    []string // values of Dataset.AttrNames, in that order
}

// Consumer is one consumer; Segment is an imported label ("" when none).
type Consumer struct {
	ID      string
	Segment string
}

// Interaction is consumer Consumer taking item Item at Time (unix seconds).
// Both are dense indices into Dataset.Consumers and Dataset.Items.
type Interaction struct {
	Consumer int
	Item     int
	Time     int64
}

// Dataset is a catalog with its consumers and interaction log, as written by
// `atelier synth` or an import. Items and consumers get dense indices in
// file order. Images are not decoded here (see LoadImages); the oracle/
// folder of a synthetic world is never read.
type Dataset struct {
	Dir          string
	AttrNames    []string // item attribute columns after item_id and category
	Categories   []string // sorted distinct categories
	Items        []Item
	Consumers    []Consumer
	Interactions []Interaction // in file order

	imageFiles []string // path of each item's image
	itemIndex  map[string]int
	consIndex  map[string]int
}

// File names inside a dataset directory.
const (
	ItemsFile        = "items.csv"
	ConsumersFile    = "consumers.csv"
	InteractionsFile = "interactions.csv"
	ImagesDir        = "images"
)

// LoadDataset reads the dataset in dir, streaming its CSV files. Any problem
// (missing file or column, duplicate or unknown id, bad timestamp, item
// without image) is a KindInvalid error naming the file and line.
func LoadDataset(dir string) (*Dataset, error) {
	d := &Dataset{Dir: dir, itemIndex: map[string]int{}, consIndex: map[string]int{}}
	if err := d.readItems(); err != nil {
		return nil, err
	}
	if err := d.readConsumers(); err != nil {
		return nil, err
	}
	if err := d.readInteractions(); err != nil {
		return nil, err
	}
	if err := d.findImages(); err != nil {
		return nil, err
	}
	return d, nil
}

// ItemIndex returns the dense index of item id.
func (d *Dataset) ItemIndex(id string) (int, bool) {
	i, ok := d.itemIndex[id]
	return i, ok
}

// ConsumerIndex returns the dense index of consumer id.
func (d *Dataset) ConsumerIndex(id string) (int, bool) {
	i, ok := d.consIndex[id]
	return i, ok
}

// ImagePath returns the path of item i's image file.
func (d *Dataset) ImagePath(i int) string { return d.imageFiles[i] }

// ItemCategory returns the category name of item i.
func (d *Dataset) ItemCategory(i int) string { return d.Categories[d.Items[i].Category] }

func (d *Dataset) readItems() error {
	cats := map[string]bool{}
	var catOf []string
	err := readCSV(filepath.Join(d.Dir, ItemsFile), []string{"item_id", "category"},
		func(header []string, col map[string]int) {
			for i, h := range header {
				if i != col["item_id"] && i != col["category"] {
					d.AttrNames = append(d.AttrNames, h)
				}
			}
		},
		func(line int, rec []string, col map[string]int) error {
			id, cat := rec[col["item_id"]], rec[col["category"]]
			if id == "" {
				return errors.New("empty item_id")
			}
			if cat == "" {
				return fmt.Errorf("item %q: empty category", id)
			}
			if _, dup := d.itemIndex[id]; dup {
				return fmt.Errorf("duplicate item_id %q", id)
			}
			attrs := make([]string, 0, len(d.AttrNames))
			for i, v := range rec {
				if i != col["item_id"] && i != col["category"] {
					attrs = append(attrs, v)
				}
			}
			d.itemIndex[id] = len(d.Items)
			d.Items = append(d.Items, Item{ID: id, Attrs: attrs})
			catOf = append(catOf, cat)
			cats[cat] = true
			return nil
		})
	if err != nil {
		return err
	}
	if len(d.Items) == 0 {
		return atelier.Errorf(atelier.KindInvalid, "%s: no items", ItemsFile)
	}
	for c := range cats {
		d.Categories = append(d.Categories, c)
	}
	sort.Strings(d.Categories)
	for i, c := range catOf {
		d.Items[i].Category = sort.SearchStrings(d.Categories, c)
	}
	return nil
}

func (d *Dataset) readConsumers() error {
	return readCSV(filepath.Join(d.Dir, ConsumersFile), []string{"consumer_id", "segment"}, nil,
		func(line int, rec []string, col map[string]int) error {
			id := rec[col["consumer_id"]]
			if id == "" {
				return errors.New("empty consumer_id")
			}
			if _, dup := d.consIndex[id]; dup {
				return fmt.Errorf("duplicate consumer_id %q", id)
			}
			d.consIndex[id] = len(d.Consumers)
			d.Consumers = append(d.Consumers, Consumer{ID: id, Segment: rec[col["segment"]]})
			return nil
		})
}

func (d *Dataset) readInteractions() error {
	return readCSV(filepath.Join(d.Dir, InteractionsFile), []string{"consumer_id", "item_id", "timestamp"}, nil,
		func(line int, rec []string, col map[string]int) error {
			cid, iid, ts := rec[col["consumer_id"]], rec[col["item_id"]], rec[col["timestamp"]]
			u, ok := d.consIndex[cid]
			if !ok {
				return fmt.Errorf("unknown consumer_id %q", cid)
			}
			i, ok := d.itemIndex[iid]
			if !ok {
				return fmt.Errorf("unknown item_id %q", iid)
			}
			t, err := strconv.ParseInt(ts, 10, 64)
			if err != nil {
				return fmt.Errorf("timestamp %q is not an integer unix time", ts)
			}
			d.Interactions = append(d.Interactions, Interaction{Consumer: u, Item: i, Time: t})
			return nil
		})
}

// findImages lists the images folder once and maps each item to its file.
func (d *Dataset) findImages() error {
	dir := filepath.Join(d.Dir, ImagesDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return atelier.Errorf(atelier.KindInvalid, "%s: no such folder in %s", ImagesDir, d.Dir)
		}
		return atelier.Errorf(atelier.KindInvalid, "%s: %v", ImagesDir, err)
	}
	files := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			files[e.Name()] = true
		}
	}
	d.imageFiles = make([]string, len(d.Items))
	for i, it := range d.Items {
		for _, ext := range []string{".png", ".jpg", ".jpeg"} {
			if files[it.ID+ext] {
				d.imageFiles[i] = filepath.Join(dir, it.ID+ext)
				break
			}
		}
		if d.imageFiles[i] == "" {
			return atelier.Errorf(atelier.KindInvalid, "%s/%s.png: missing image of item %q", ImagesDir, it.ID, it.ID)
		}
	}
	return nil
}

// readCSV streams the CSV file at path. The header must contain the
// required columns (in any order; other columns are allowed); onHeader sees
// it, then onRecord each row with its 1-based line number. Errors name the
// file and line.
func readCSV(path string, required []string,
	onHeader func(header []string, col map[string]int),
	onRecord func(line int, rec []string, col map[string]int) error) error {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return atelier.Errorf(atelier.KindInvalid, "%s: no such file in %s", name, filepath.Dir(path))
		}
		return atelier.Errorf(atelier.KindInvalid, "%s: %v", name, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return atelier.Errorf(atelier.KindInvalid, "%s: empty file, want a header with %s", name, strings.Join(required, ","))
	}
	if err != nil {
		return csvError(name, err)
	}
	header = append([]string(nil), header...) // the reader reuses its slice
	col := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		header[i] = h
		if _, dup := col[h]; dup {
			return atelier.Errorf(atelier.KindInvalid, "%s line 1: duplicate column %q", name, h)
		}
		col[h] = i
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return atelier.Errorf(atelier.KindInvalid, "%s line 1: missing column %q (header must include %s)",
				name, c, strings.Join(required, ","))
		}
	}
	if onHeader != nil {
		onHeader(header, col)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := onRecord(line, rec, col); err != nil {
			return atelier.Errorf(atelier.KindInvalid, "%s line %d: %v", name, line, err)
		}
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return atelier.Errorf(atelier.KindInvalid, "%s line %d: %v", name, pe.Line, pe.Err)
	}
	return atelier.Errorf(atelier.KindInvalid, "%s: %v", name, err)
}
