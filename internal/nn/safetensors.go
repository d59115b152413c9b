package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Checkpoints use the safetensors format, which Python tooling
// (safetensors, numpy with a few lines) reads directly:
//
//	[8 bytes]  N, little-endian uint64: length of the header
//	[N bytes]  JSON header, padded with spaces to a multiple of 8:
//	           {"__metadata__": {"key": "value", ...},
//	            "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
//	[rest]     the tensors' raw little-endian bytes; offsets are relative
//	           to the start of this section, and the tensors tile it exactly
//
// The metadata map carries the architecture configuration, so a model can be
// rebuilt from the file alone.

const (
	metadataKey = "__metadata__"
	// maxHeader bounds the header as the reference implementation does, so a
	// corrupt length cannot make us allocate gigabytes.
	maxHeader = 100 << 20
)

type stEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// SaveSafetensors writes tensors (names unique, float32, in this order in the
// data section) and string metadata in the safetensors format.
func SaveSafetensors(w io.Writer, tensors []Param, meta map[string]string) error {
	if err := CheckParams(tensors); err != nil {
		return fmt.Errorf("save safetensors: %w", err)
	}
	header := make(map[string]any, len(tensors)+1)
	if len(meta) > 0 {
		header[metadataKey] = meta
	}
	var off int64
	for _, p := range tensors {
		if p.Name == metadataKey {
			return fmt.Errorf("save safetensors: tensor name %q is reserved", metadataKey)
		}
		n := int64(p.Value.Size()) * 4
		header[p.Name] = stEntry{Dtype: "F32", Shape: p.Shape(), DataOffsets: [2]int64{off, off + n}}
		off += n
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("save safetensors: header: %w", err)
	}
	if pad := (8 - len(hj)%8) % 8; pad > 0 {
		hj = append(hj, bytes.Repeat([]byte{' '}, pad)...)
	}
	bw := bufio.NewWriter(w)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hj)))
	bw.Write(lenBuf[:])
	bw.Write(hj)
	var buf [4]byte
	for _, p := range tensors {
		for _, v := range p.Data() {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			bw.Write(buf[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save safetensors: %w", err)
	}
	return nil
}

// LoadSafetensors reads a safetensors stream written by SaveSafetensors or by
// Python tooling. It returns the tensors in data order and the metadata
// (empty, never nil, when the file has none). Only F32 tensors are accepted;
// a malformed header, offsets outside the data, gaps or overlaps between
// tensors, or a size that does not match the shape are errors.
func LoadSafetensors(r io.Reader) ([]Param, map[string]string, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, nil, fmt.Errorf("load safetensors: header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n < 2 || n > maxHeader {
		return nil, nil, fmt.Errorf("load safetensors: header length %d out of range [2, %d]", n, maxHeader)
	}
	hj := make([]byte, n)
	if _, err := io.ReadFull(r, hj); err != nil {
		return nil, nil, fmt.Errorf("load safetensors: header of %d bytes: %w", n, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hj, &raw); err != nil {
		return nil, nil, fmt.Errorf("load safetensors: header is not a JSON object: %w", err)
	}
	meta := map[string]string{}
	if m, ok := raw[metadataKey]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("load safetensors: %s is not a map of strings: %w", metadataKey, err)
		}
		delete(raw, metadataKey)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("load safetensors: data: %w", err)
	}
	type named struct {
		name string
		e    stEntry
	}
	entries := make([]named, 0, len(raw))
	for name, msg := range raw {
		var e stEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		if err := dec.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("load safetensors: tensor %q: bad entry: %w", name, err)
		}
		if e.Dtype != "F32" {
			return nil, nil, fmt.Errorf("load safetensors: tensor %q: dtype %q, only F32 is supported", name, e.Dtype)
		}
		if err := checkShape(e.Shape); err != nil {
			return nil, nil, fmt.Errorf("load safetensors: tensor %q: %w", name, err)
		}
		size := int64(4)
		for _, d := range e.Shape {
			if size > math.MaxInt64/int64(d) {
				return nil, nil, fmt.Errorf("load safetensors: tensor %q: shape %v too large", name, e.Shape)
			}
			size *= int64(d)
		}
		b, end := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || end < b || end > int64(len(data)) {
			return nil, nil, fmt.Errorf("load safetensors: tensor %q: data_offsets [%d, %d] outside the %d data bytes", name, b, end, len(data))
		}
		if end-b != size {
			return nil, nil, fmt.Errorf("load safetensors: tensor %q: shape %v needs %d bytes, data_offsets span %d", name, e.Shape, size, end-b)
		}
		entries = append(entries, named{name, e})
	}
	sort.Slice(entries, func(i, j int) bool {
		return entries[i].e.DataOffsets[0] < entries[j].e.DataOffsets[0]
	})
	var pos int64
	out := make([]Param, 0, len(entries))
	for _, en := range entries {
		if en.e.DataOffsets[0] != pos {
			return nil, nil, fmt.Errorf("load safetensors: tensor %q starts at byte %d, want %d (gap or overlap)", en.name, en.e.DataOffsets[0], pos)
		}
		pos = en.e.DataOffsets[1]
		p := NewParam(en.name, en.e.Shape...)
		d := p.Data()
		src := data[en.e.DataOffsets[0]:pos]
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
		out = append(out, p)
	}
	if pos != int64(len(data)) {
		return nil, nil, fmt.Errorf("load safetensors: %d data bytes, tensors cover %d", len(data), pos)
	}
	return out, meta, nil
}

// SaveFile writes a safetensors checkpoint atomically: to a temporary file in
// the same directory, synced, then renamed over path, so a reader never sees
// a half-written file.
func SaveFile(path string, tensors []Param, meta map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return SaveSafetensors(w, tensors, meta) })
}

// LoadFile reads a safetensors checkpoint.
func LoadFile(path string) ([]Param, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ps, meta, err := LoadSafetensors(bufio.NewReader(f))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ps, meta, nil
}

// WriteFileAtomic calls write on a temporary file next to path and renames it
// to path only when write and the sync succeed; otherwise the temporary file
// is removed and path is untouched.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file private; a checkpoint is as readable as any
	// file the process writes.
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: rename: %w", path, err)
	}
	return nil
}
