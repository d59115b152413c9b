package recommender

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/atelier-app/atelier/internal/nn"
)

// trainedTiny trains a tiny model on a colour world for a few epochs.
func trainedTiny(t *testing.T) (*Model, colourWorld) {
	t.Helper()
	w := newColourWorld(t, 40, 120, 6, 11)
	cfg := tinyConfig()
	cfg.Epochs = 2
	m, err := Train(context.Background(), w.data, w.split, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, w
}

func TestModelSaveLoadRoundTrip(t *testing.T) {
	m, w := trainedTiny(t)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if a, b := m.Arch(), got.Arch(); a.Dim != b.Dim || a.ImageSize != b.ImageSize || !slices.Equal(a.Channels, b.Channels) || !slices.Equal(a.Categories, b.Categories) {
		t.Errorf("architecture %+v, want %+v", b, a)
	}
	if !slices.Equal(got.Consumers(), m.Consumers()) {
		t.Error("consumers differ")
	}
	if got.Info.Split != w.split.Config || got.Info.Dataset != w.data.Fingerprint || got.Info.BestEpoch != m.Info.BestEpoch ||
		got.Info.ValAUC != m.Info.ValAUC || len(got.Info.History) != len(m.Info.History) {
		t.Errorf("info %+v, want %+v", got.Info, m.Info)
	}
	consumers := consumersOf(w.data.ConsumerIDs)
	want, err := m.NewScorer(context.Background(), consumers, w.data.Images, 2)
	if err != nil {
		t.Fatal(err)
	}
	have, err := got.NewScorer(context.Background(), consumers, w.data.Images, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float32, len(w.colour)), make([]float32, len(w.colour))
	for u := range consumers {
		want.Score(u, a)
		have.Score(u, b)
		if !slices.Equal(a, b) {
			t.Fatalf("consumer %d scores differ after loading", u)
		}
	}
	for i, f := range want.Items {
		if got.PredictCategory(f) != m.PredictCategory(f) {
			t.Fatalf("item %d: category head differs after loading", i)
		}
	}

	// Write and ReadModel are the same format through any stream.
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(path)
	if !bytes.Equal(buf.Bytes(), file) {
		t.Error("Write and Save produce different bytes")
	}
}

func TestReadModelRejectsBadFiles(t *testing.T) {
	m, _ := trainedTiny(t)
	params := m.params()
	meta, err := m.metadata(modelFormat)
	if err != nil {
		t.Fatal(err)
	}
	write := func(ps []nn.Param, edit func(map[string]string)) []byte {
		md := map[string]string{}
		for k, v := range meta {
			md[k] = v
		}
		edit(md)
		var buf bytes.Buffer
		if err := nn.SaveSafetensors(&buf, ps, md); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	noEdit := func(map[string]string) {}
	for _, tc := range []struct {
		name, want string
		file       []byte
	}{
		{"not safetensors", "dvbpr model", []byte("hello world, this is not a model")},
		{"other format", "format", write(params, func(md map[string]string) { md["format"] = "something/1" })},
		{"training checkpoint", "training checkpoint", write(params, func(md map[string]string) { md["format"] = trainFormat })},
		{"dim disagrees with tensors", "does not match", write(params, func(md map[string]string) { md["dim"] = "9" })},
		{"fewer channels", "does not match", write(params, func(md map[string]string) { md["channels"] = "8" })},
		{"bad channels", "channels", write(params, func(md map[string]string) { md["channels"] = "8,x" })},
		{"more consumers than θ rows", "does not match", write(params, func(md map[string]string) {
			md["consumers"] = `["a","b"]`
		})},
		{"repeated consumer", "repeated consumer", write(params, func(md map[string]string) {
			var ids []string
			for range m.Consumers() {
				ids = append(ids, `"same"`)
			}
			md["consumers"] = "[" + strings.Join(ids, ",") + "]"
		})},
		{"split keys disagree with info", "split_seed", write(params, func(md map[string]string) { md["split_seed"] = "99" })},
		{"missing tensor", "missing theta", write(params[:len(params)-1], noEdit)},
		{"extra tensor", "unexpected extra", write(append(slices.Clone(params), nn.NewParam("extra", 2)), noEdit)},
		{"no categories", "categories", write(params, func(md map[string]string) { md["categories"] = "[]" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadModel(bytes.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := LoadModel(filepath.Join(t.TempDir(), "absent.safetensors")); err == nil {
		t.Error("loaded a missing file")
	}
}

func TestCheckSplit(t *testing.T) {
	m, w := trainedTiny(t)
	cfg, fp := w.split.Config, w.data.Fingerprint
	if err := m.CheckSplit(cfg, fp); err != nil {
		t.Fatalf("own split refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		cfg  SplitConfig
		fp   string
	}{
		{"other seed", SplitConfig{ColdFraction: cfg.ColdFraction, Seed: cfg.Seed + 1}, fp},
		{"other cold fraction", SplitConfig{ColdFraction: 0.1, Seed: cfg.Seed}, fp},
		{"no cold items", SplitConfig{Seed: cfg.Seed}, fp},
		{"other dataset", cfg, "0123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := m.CheckSplit(tc.cfg, tc.fp); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestTrainInfoJSONKeepsNaN(t *testing.T) {
	m, _ := trainedTiny(t)
	m.Info.CategoryAcc = math.NaN()
	m.Info.History[0].ValAUC = math.NaN()
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(got.Info.CategoryAcc) || !math.IsNaN(got.Info.History[0].ValAUC) || got.Info.ValAUC != m.Info.ValAUC {
		t.Errorf("info after round trip %+v", got.Info)
	}
}

func TestDatasetFingerprint(t *testing.T) {
	f := fixture{
		items:        []fixtureItem{{id: "a", category: "tshirt"}, {id: "b", category: "dress"}},
		consumers:    [][2]string{{"c1", ""}},
		interactions: [][3]string{{"c1", "a", "10"}, {"c1", "b", "20"}},
	}
	load := func(f fixture) string {
		d, err := LoadDataset(writeDataset(t, f))
		if err != nil {
			t.Fatal(err)
		}
		return DatasetFingerprint(d)
	}
	base := load(f)
	if again := load(f); again != base {
		t.Error("same dataset, different fingerprints")
	}
	f.interactions = [][3]string{{"c1", "a", "10"}, {"c1", "b", "21"}}
	if load(f) == base {
		t.Error("a changed timestamp keeps the fingerprint")
	}
}
