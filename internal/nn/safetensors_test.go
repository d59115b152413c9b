package nn

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pinned is a safetensors file written byte by byte from the format
// description: two F32 tensors, "a" (2) = [1, -2] and "b" (1, 1) = [0.5],
// and one metadata entry, the header padded with spaces to 8 bytes.
func pinned(t *testing.T) []byte {
	t.Helper()
	header := `{"__metadata__":{"arch":"tiny"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	var b bytes.Buffer
	n := make([]byte, 8)
	binary.LittleEndian.PutUint64(n, uint64(len(header)))
	b.Write(n)
	b.WriteString(header)
	b.Write([]byte{0x00, 0x00, 0x80, 0x3f}) // 1.0
	b.Write([]byte{0x00, 0x00, 0x00, 0xc0}) // -2.0
	b.Write([]byte{0x00, 0x00, 0x00, 0x3f}) // 0.5
	return b.Bytes()
}

func TestSafetensorsPinnedBytes(t *testing.T) {
	want := pinned(t)
	a, b := NewParam("a", 2), NewParam("b", 1, 1)
	copy(a.Data(), []float32{1, -2})
	b.Data()[0] = 0.5
	var buf bytes.Buffer
	if err := SaveSafetensors(&buf, []Param{a, b}, map[string]string{"arch": "tiny"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("written bytes differ from the format:\n got %q\nwant %q", buf.Bytes(), want)
	}
	ps, meta, err := LoadSafetensors(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if meta["arch"] != "tiny" || len(meta) != 1 {
		t.Fatalf("metadata %v", meta)
	}
	if len(ps) != 2 || ps[0].Name != "a" || ps[1].Name != "b" {
		t.Fatalf("tensors %v", ps)
	}
	if d := ps[0].Data(); d[0] != 1 || d[1] != -2 || ps[1].Data()[0] != 0.5 || !ps[1].Value.Shape().Eq(b.Value.Shape()) {
		t.Fatalf("values %v %v shape %v", ps[0].Data(), ps[1].Data(), ps[1].Shape())
	}
}

func TestSafetensorsRoundTripThroughFile(t *testing.T) {
	net := newTinyNet(t, 1)
	params := net.params(t)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := map[string]string{"arch": "tiny", "k": "64"}
	if err := SaveFile(path, params, meta); err != nil {
		t.Fatal(err)
	}
	ps, gotMeta, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotMeta["arch"] != "tiny" || gotMeta["k"] != "64" {
		t.Fatalf("metadata %v", gotMeta)
	}
	other := newTinyNet(t, 99)
	dst := other.params(t)
	if err := LoadInto(dst, ps); err != nil {
		t.Fatal(err)
	}
	for i := range params {
		a, b := params[i].Data(), dst[i].Data()
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("%s[%d]: saved %v, loaded %v", params[i].Name, j, a[j], b[j])
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries after an atomic save, want 1", len(entries))
	}
}

func TestSaveFileFailureKeepsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	good := NewParam("w", 2)
	if err := SaveFile(path, []Param{good}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := SaveFile(path, []Param{good, good}, nil); err == nil {
		t.Fatal("duplicate names accepted")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed save changed the existing file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("a failed save left %d entries, want 1", len(entries))
	}
}

func TestLoadSafetensorsRejectsBadFiles(t *testing.T) {
	withHeader := func(h string, data []byte) []byte {
		var b bytes.Buffer
		n := make([]byte, 8)
		binary.LittleEndian.PutUint64(n, uint64(len(h)))
		b.Write(n)
		b.WriteString(h)
		b.Write(data)
		return b.Bytes()
	}
	four := make([]byte, 4)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "header length"},
		{"huge header", func() []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, 1<<40); return b }(), "out of range"},
		{"truncated header", append(pinned(t)[:8], '{'), "header of"},
		{"not json", withHeader("[1, 2]", nil), "not a JSON object"},
		{"bad metadata", withHeader(`{"__metadata__":{"a":1}}`, nil), "map of strings"},
		{"bad entry", withHeader(`{"a":[1]}`, four), "bad entry"},
		{"dtype", withHeader(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, four), "only F32"},
		{"zero dim", withHeader(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil), "non-positive"},
		{"out of range", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, four), "outside the 4 data bytes"},
		{"size mismatch", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, four), "needs 8 bytes"},
		{"gap", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "gap or overlap"},
		{"overlap", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, four), "gap or overlap"},
		{"trailing data", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)), "tensors cover 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadSafetensors(bytes.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadIntoChecksArchitecture(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	dst := []Param{randParam("conv.weight", rng, 4, 3, 3, 3), randParam("conv.bias", rng, 4)}
	keep := append([]float32(nil), dst[1].Data()...)
	cases := []struct {
		name string
		src  []Param
		want string
	}{
		{"missing", []Param{NewParam("conv.weight", 4, 3, 3, 3)}, "missing conv.bias"},
		{"extra", []Param{NewParam("conv.weight", 4, 3, 3, 3), NewParam("conv.bias", 4), NewParam("fc.weight", 2, 2)}, "unexpected fc.weight"},
		{"shape", []Param{NewParam("conv.weight", 8, 3, 3, 3), NewParam("conv.bias", 4)}, "conv.weight: file has float32 (8, 3, 3, 3), model wants (4, 3, 3, 3)"},
		{"duplicate", []Param{NewParam("conv.bias", 4), NewParam("conv.bias", 4)}, "twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := LoadInto(dst, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			for i, v := range dst[1].Data() {
				if v != keep[i] {
					t.Fatal("a failed load modified the parameters")
				}
			}
		})
	}
}

func TestSaveSafetensorsRejectsBadInput(t *testing.T) {
	var buf bytes.Buffer
	if err := SaveSafetensors(&buf, []Param{NewParam("__metadata__", 1)}, nil); err == nil {
		t.Fatal("reserved name accepted")
	}
	if err := SaveSafetensors(&buf, []Param{{Name: "x"}}, nil); err == nil {
		t.Fatal("nil tensor accepted")
	}
}
