package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/atelier-app/atelier"
)

// Local keeps objects as files under a directory: the object with key A/B
// is the file DIR/A/B, and its content type is in the sibling DIR/A/.B.meta
// (a sibling, not a parallel tree, so that keys that can coexist as files
// can coexist as metadata too). Writes go to a temporary file in DIR/.tmp,
// are synced and then renamed over the target, so a reader sees the old or
// the new object, never a part (so DIR must be one filesystem: a rename
// cannot cross a mount point). Names starting with '.' are the store's
// own (keys cannot have them).
//
// A process killed mid-write leaves its temporary file behind. Temporary
// files are named by host and process id, and opening the store deletes
// those of this host's processes that are no longer running (and any older
// than a day), so that a worker killed in a job does not leak disk; the
// folder holds only writes in flight, so the sweep reads one small
// directory, not the store.
type Local struct {
	root       string
	signingKey []byte
	urlPrefix  string
	now        func() time.Time
}

var _ Store = (*Local)(nil)

// signingKeyFile holds the URL signing key in the store's root.
const signingKeyFile = ".url-signing.key"

// NewLocal opens (creating it if needed) a local store in dir.
func NewLocal(dir string, opts ...Option) (*Local, error) {
	if dir == "" {
		return nil, atelier.Errorf(atelier.KindInvalid, "local blob store needs a directory (file://PATH)")
	}
	o := options{urlPrefix: DefaultURLPrefix, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if !strings.HasPrefix(o.urlPrefix, "/") || !strings.HasSuffix(o.urlPrefix, "/") {
		return nil, atelier.Errorf(atelier.KindInvalid, "URL prefix %q must start and end with '/'", o.urlPrefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, atelier.Wrap(atelier.KindUnavailable, err, "blob store could not be reached (directory %s)", dir)
	}
	l := &Local{root: dir, signingKey: o.signingKey, urlPrefix: o.urlPrefix, now: o.now}
	if len(l.signingKey) == 0 {
		key, err := loadOrCreateKey(filepath.Join(dir, signingKeyFile))
		if err != nil {
			return nil, atelier.Wrap(atelier.KindUnavailable, err, "blob store could not be reached (directory %s)", dir)
		}
		l.signingKey = key
	}
	if err := os.MkdirAll(l.tmpDir(), 0o755); err != nil {
		return nil, atelier.Wrap(atelier.KindUnavailable, err, "blob store could not be reached (directory %s)", dir)
	}
	sweepTemp(l.tmpDir(), o.now())
	return l, nil
}

// loadOrCreateKey reads the store's URL signing key, creating it on first
// use. O_EXCL makes concurrent first opens agree on one key.
func loadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil && len(key) >= 32 {
		return key, nil
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
	if err := os.WriteFile(tmp, key, 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return os.ReadFile(path)
}

func (l *Local) path(key string) string { return filepath.Join(l.root, filepath.FromSlash(key)) }

func (l *Local) metaPath(key string) string {
	dir, name := filepath.Split(l.path(key))
	return filepath.Join(dir, "."+name+".meta")
}

type localMeta struct {
	ContentType string `json:"content_type"`
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	meta, err := json.Marshal(localMeta{ContentType: contentType})
	if err != nil {
		return err
	}
	// The data is written and synced aside first, so a failing reader
	// changes nothing. Then the metadata, then the data, are renamed into
	// place; a crash between the two renames leaves the old object with the
	// new type at worst, never an object without a type.
	tmp, err := writeTemp(l.tmpDir(), ctxReader{ctx, r}, size)
	if err != nil {
		return l.putErr(key, err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	mtmp, err := writeTemp(l.tmpDir(), bytes.NewReader(meta), int64(len(meta)))
	if err == nil {
		err = commit(mtmp, l.metaPath(key))
	}
	if err == nil {
		err = commit(tmp, l.path(key))
	}
	if err != nil {
		os.Remove(mtmp)
		if fi, serr := os.Stat(l.path(key)); serr != nil || !fi.Mode().IsRegular() {
			os.Remove(l.metaPath(key)) // no object, so no metadata either
		}
		return l.putErr(key, err)
	}
	return nil
}

func (l *Local) putErr(key string, err error) error {
	var ae *atelier.Error
	switch {
	case errors.As(err, &ae), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("put blob %q: %w", key, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// Not a dependency that is back in a few seconds: someone has
		// to free space, so no Retry-After (507, not 503).
		return atelier.Wrap(atelier.KindNoSpace, err, "the blob store is full: could not write blob %q", key)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.EEXIST):
		// S3 allows both "a" and "a/b"; a directory tree cannot.
		return atelier.Wrap(atelier.KindConflict, err, "blob key %q clashes with an existing key that is a prefix of it or has it as a prefix", key)
	}
	return atelier.Wrap(atelier.KindUnavailable, err, "could not write blob %q", key)
}

// writeTemp writes r to a synced temporary file in dir (the store's
// temporary folder, on the same filesystem as every target, so that a
// rename can put it in place atomically) and returns its name. With size
// >= 0 exactly size bytes are written, and a shorter reader is an error
// that leaves nothing behind.
func writeTemp(dir string, r io.Reader, size int64) (name string, err error) {
	tmp, err := os.CreateTemp(dir, tempPrefix())
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if size >= 0 {
		r = &exactReader{r: r, left: size, size: size}
	}
	if _, err := io.Copy(tmp, r); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	return tmp.Name(), tmp.Close()
}

// commit renames a temporary file over path and syncs the directory, so
// that the rename itself survives a crash.
func commit(tmp, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	return l.open(key)
}

func (l *Local) open(key string) (*os.File, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(l.path(key))
	if err != nil {
		return nil, Info{}, l.readErr(key, err)
	}
	info, err := l.describe(key, f.Stat)
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	return l.describe(key, func() (fs.FileInfo, error) { return os.Stat(l.path(key)) })
}

func (l *Local) describe(key string, stat func() (fs.FileInfo, error)) (Info, error) {
	fi, err := stat()
	if err != nil {
		return Info{}, l.readErr(key, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, atelier.Errorf(atelier.KindNotFound, "blob %q not found", key)
	}
	info := Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime().UTC(), ContentType: DefaultContentType}
	if raw, err := os.ReadFile(l.metaPath(key)); err == nil {
		var m localMeta
		if json.Unmarshal(raw, &m) == nil && m.ContentType != "" {
			info.ContentType = m.ContentType
		}
	}
	return info, nil
}

func (l *Local) readErr(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return atelier.Wrap(atelier.KindNotFound, err, "blob %q not found", key)
	}
	return atelier.Wrap(atelier.KindUnavailable, err, "could not read blob %q", key)
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if _, err := l.Stat(ctx, key); err != nil {
		return err
	}
	if err := os.Remove(l.path(key)); err != nil {
		return l.readErr(key, err)
	}
	if err := os.Remove(l.metaPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return atelier.Wrap(atelier.KindUnavailable, err, "could not delete blob %q", key)
	}
	return nil
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	// Walk only the deepest directory the prefix names.
	start := l.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = l.path(prefix[:i])
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() && p != start && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // the store's own (.tmp)
		}
		if d.IsDir() || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		out = append(out, Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, atelier.Wrap(atelier.KindUnavailable, err, "could not list blobs under %q", prefix)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Ping implements Store: the directory must exist and be writable.
func (l *Local) Ping(ctx context.Context) error {
	f, err := os.CreateTemp(l.root, ".ping-*")
	if err != nil {
		return atelier.Wrap(atelier.KindUnavailable, err, "blob directory is not writable")
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}
