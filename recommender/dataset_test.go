package recommender

import (
	"context"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atelier-app/atelier"
)

var (
	red  = color.RGBA{255, 0, 0, 255}
	blue = color.RGBA{0, 0, 255, 255}
)

func smallFixture() fixture {
	return fixture{
		items: []fixtureItem{
			{id: "i1", category: "tshirt", col: red},
			{id: "i2", category: "dress", col: blue},
			{id: "i3", category: "tshirt", col: red, size: 32}, // resized on load
		},
		attrs:     []string{"colour", "pattern"},
		consumers: [][2]string{{"c1", "sporty"}, {"c2", ""}},
		interactions: [][3]string{
			{"c1", "i1", "100"}, {"c2", "i2", "50"}, {"c1", "i3", "90"},
		},
	}
}

func TestLoadDataset(t *testing.T) {
	d, err := LoadDataset(writeDataset(t, smallFixture()))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Items) != 3 || len(d.Consumers) != 2 || len(d.Interactions) != 3 {
		t.Fatalf("got %d items, %d consumers, %d interactions", len(d.Items), len(d.Consumers), len(d.Interactions))
	}
	if got := strings.Join(d.Categories, ","); got != "dress,tshirt" {
		t.Errorf("categories %q, want sorted distinct", got)
	}
	if d.ItemCategory(0) != "tshirt" || d.ItemCategory(1) != "dress" {
		t.Errorf("item categories %q %q", d.ItemCategory(0), d.ItemCategory(1))
	}
	if got := strings.Join(d.AttrNames, ","); got != "colour,pattern" {
		t.Errorf("attribute names %q", got)
	}
	if got := strings.Join(d.Items[2].Attrs, ","); got != "a2,a2" {
		t.Errorf("attributes of i3 %q", got)
	}
	if i, ok := d.ItemIndex("i3"); !ok || i != 2 {
		t.Errorf("ItemIndex(i3) = %d, %v", i, ok)
	}
	if u, ok := d.ConsumerIndex("c2"); !ok || u != 1 {
		t.Errorf("ConsumerIndex(c2) = %d, %v", u, ok)
	}
	if _, ok := d.ItemIndex("nope"); ok {
		t.Error("unknown item found")
	}
	if d.Consumers[0].Segment != "sporty" || d.Consumers[1].Segment != "" {
		t.Errorf("segments %+v", d.Consumers)
	}
	want := Interaction{Consumer: 0, Item: 2, Time: 90}
	if d.Interactions[2] != want {
		t.Errorf("interaction 3 = %+v, want %+v", d.Interactions[2], want)
	}
	if filepath.Base(d.ImagePath(1)) != "i2.png" {
		t.Errorf("image path %s", d.ImagePath(1))
	}
}

func TestLoadImages(t *testing.T) {
	d, err := LoadDataset(writeDataset(t, smallFixture()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := d.LoadImages(context.Background(), 64, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if im.Len() != 3 || im.Size != 64 || len(im.Pix) != 3*3*64*64 {
		t.Fatalf("slab of %d images of size %d, %d floats", im.Len(), im.Size, len(im.Pix))
	}
	for i, want := range [][3]float32{{1, 0, 0}, {0, 0, 1}, {1, 0, 0}} {
		c := im.Item(i)
		r, g, b := c.RGB(32, 32)
		if math.Abs(float64(r-want[0])) > 0.02 || math.Abs(float64(g-want[1])) > 0.02 || math.Abs(float64(b-want[2])) > 0.02 {
			t.Errorf("item %d centre = (%.2f %.2f %.2f), want %v", i, r, g, b, want)
		}
		if r, g, b := c.RGB(1, 1); r < 0.98 || g < 0.98 || b < 0.98 {
			t.Errorf("item %d corner = (%.2f %.2f %.2f), want white", i, r, g, b)
		}
	}
	pooled, err := im.Pool(4)
	if err != nil {
		t.Fatal(err)
	}
	// 4×4 blocks of 16 pixels; the square covers the middle 2×2 blocks.
	if r, g, b := pooled.Item(1).RGB(1, 1); r > 0.01 || g > 0.01 || b < 0.99 {
		t.Errorf("pooled centre (%.2f %.2f %.2f), want blue", r, g, b)
	}
	if r, _, _ := pooled.Item(1).RGB(0, 0); r < 0.99 {
		t.Errorf("pooled corner red %.2f, want white", r)
	}
	if _, err := im.Pool(5); atelier.ErrorKind(err) != atelier.KindInvalid {
		t.Errorf("Pool(5) of 64: err %v, want invalid", err)
	}
}

func TestLoadImagesBadFile(t *testing.T) {
	dir := writeDataset(t, smallFixture())
	if err := os.WriteFile(filepath.Join(dir, ImagesDir, "i2.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.LoadImages(context.Background(), 64, 2, nil)
	if err == nil || !strings.Contains(err.Error(), `"i2"`) {
		t.Errorf("err = %v, want one naming item i2", err)
	}
}

func TestLoadDatasetErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(dir string) error
		want   string // substring of the error
	}{
		{"no items file", remove(ItemsFile), "items.csv: no such file"},
		{"no images folder", func(dir string) error { return os.RemoveAll(filepath.Join(dir, ImagesDir)) }, "images: no such folder"},
		{"missing image", remove(filepath.Join(ImagesDir, "i2.png")), "images/i2.png: missing image"},
		{"missing column", write(ConsumersFile, "consumer_id\nc1\n"), `consumers.csv line 1: missing column "segment"`},
		{"empty file", write(InteractionsFile, ""), "interactions.csv: empty file"},
		{"duplicate item", write(ItemsFile, "item_id,category\ni1,tshirt\ni1,dress\n"), `items.csv line 3: duplicate item_id "i1"`},
		{"empty category", write(ItemsFile, "item_id,category\ni1,\n"), `items.csv line 2: item "i1": empty category`},
		{"no items", write(ItemsFile, "item_id,category\n"), "items.csv: no items"},
		{"field count", write(ItemsFile, "item_id,category\ni1,tshirt,extra\n"), "items.csv line 2: wrong number of fields"},
		{"duplicate consumer", write(ConsumersFile, "consumer_id,segment\nc1,a\nc1,b\n"), `consumers.csv line 3: duplicate consumer_id "c1"`},
		{"unknown consumer", write(InteractionsFile, "consumer_id,item_id,timestamp\nc1,i1,5\nc9,i1,6\n"), `interactions.csv line 3: unknown consumer_id "c9"`},
		{"unknown item", write(InteractionsFile, "consumer_id,item_id,timestamp\nc1,i7,5\n"), `interactions.csv line 2: unknown item_id "i7"`},
		{"bad timestamp", write(InteractionsFile, "consumer_id,item_id,timestamp\nc1,i1,2024-01-01\n"), `interactions.csv line 2: timestamp "2024-01-01" is not an integer`},
		{"bad quoting", write(InteractionsFile, "consumer_id,item_id,timestamp\nc1,\"i1,5\n"), "interactions.csv line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDataset(t, smallFixture())
			if err := tt.change(dir); err != nil {
				t.Fatal(err)
			}
			_, err := LoadDataset(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if atelier.ErrorKind(err) != atelier.KindInvalid {
				t.Errorf("kind %s, want invalid", atelier.ErrorKind(err))
			}
		})
	}
}

func TestLoadDatasetColumnOrderAndBOM(t *testing.T) {
	dir := writeDataset(t, smallFixture())
	if err := write(InteractionsFile, "\ufefftimestamp,item_id,consumer_id,source\n7,i2,c1,app\n")(dir); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Interaction{Consumer: 0, Item: 1, Time: 7}); len(d.Interactions) != 1 || d.Interactions[0] != want {
		t.Errorf("interactions %+v, want [%+v]", d.Interactions, want)
	}
}

func remove(name string) func(string) error {
	return func(dir string) error { return os.Remove(filepath.Join(dir, name)) }
}

func write(name, body string) func(string) error {
	return func(dir string) error { return os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644) }
}
