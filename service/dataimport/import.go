package dataimport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Store is what an import needs of the metadata store; *storage.Store
// implements it.
type Store interface {
	ImportItems(ctx context.Context, items []atelier.Item) (int, error)
	ImportConsumers(ctx context.Context, consumers []atelier.Consumer) (int, error)
	ImportInteractions(ctx context.Context, lines []storage.InteractionImport) (int, error)
	ItemByExternalID(ctx context.Context, ownerID, externalID string) (atelier.Item, error)
	ConsumerByExternalID(ctx context.Context, externalID string) (atelier.Consumer, error)
	SyncImportedSegments(ctx context.Context) (int, error)
}

var _ Store = (*storage.Store)(nil)

// Dataset formats.
const (
	FormatCSV    = "csv"    // items.csv, consumers.csv, interactions.csv, images/
	FormatAmazon = "amazon" // review JSON lines, images/<asin>.*, optional meta file
)

// Defaults of Options.
const (
	DefaultBatchSize      = 500
	DefaultWorkers        = 2
	DefaultMaxIssues      = 100
	DefaultMaxImageBytes  = 20 << 20
	DefaultMaxImagePixels = 25_000_000
	// DefaultKind is the interaction kind of CSV rows without a kind
	// column; Amazon reviews are of kind KindReview.
	DefaultKind = atelier.InteractionTake
	KindReview  = "review"
)

// Options configure an import. The zero value imports with the defaults.
type Options struct {
	Format         string // FormatCSV, FormatAmazon or "" to detect from the files
	Strict         bool   // stop at the first bad row instead of skipping it
	Category       string // category of items that name none (Amazon without meta)
	Kind           string // interaction kind where the data names none
	MaxImageBytes  int64  // largest accepted image file
	MaxImagePixels int    // largest accepted width×height, checked before decoding
	Workers        int    // image conversion goroutines
	BatchSize      int    // rows per transaction
	MaxIssues      int    // issues kept in the Summary (all are counted)
	// OnIssue, when set, is called with every bad row as it is found, from
	// the goroutine that called Import: within a batch, malformed rows as
	// they are read, then rows naming unknown records as it is written.
	OnIssue func(Issue)
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxIssues <= 0 {
		o.MaxIssues = DefaultMaxIssues
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = DefaultMaxImageBytes
	}
	if o.MaxImagePixels <= 0 {
		o.MaxImagePixels = DefaultMaxImagePixels
	}
	o.Category = strings.TrimSpace(o.Category)
	o.Kind = strings.TrimSpace(o.Kind)
	return o
}

// Issue is one bad row: where it is and what is wrong with it.
type Issue struct {
	File    string `json:"file"`           // relative to the dataset directory
	Line    int    `json:"line,omitempty"` // 1-based; 0 when the file has no lines (an image)
	Message string `json:"message"`
}

func (i Issue) String() string {
	if i.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Message)
	}
	return i.File + ": " + i.Message
}

// FileStats counts the rows one file brought to one table.
type FileStats struct {
	File     string `json:"file"`
	Table    string `json:"table"` // items, consumers or interactions
	New      int    `json:"new"`
	Existing int    `json:"existing"` // valid rows already in the store (or twice in the file)
	Skipped  int    `json:"skipped"`  // bad rows
}

// BlobStats counts image blobs (originals and model-size versions).
type BlobStats struct {
	Written int `json:"written"`
	Reused  int `json:"reused"` // already stored under the same key by an earlier run
}

// Summary describes an import.
type Summary struct {
	Dir            string      `json:"dir"`
	Format         string      `json:"format"`
	Files          []FileStats `json:"files"`
	Blobs          BlobStats   `json:"blobs"`
	NewMemberships int         `json:"new_memberships"` // consumers newly added to imported segments
	Issues         []Issue     `json:"issues"`          // the first Options.MaxIssues bad rows
	IssuesLeftOut  int         `json:"issues_left_out"`
	Seconds        float64     `json:"seconds"`
}

// New returns how many rows were new, over all files.
func (s Summary) New() int {
	n := 0
	for _, f := range s.Files {
		n += f.New
	}
	return n
}

// Skipped returns how many bad rows were skipped, over all files.
func (s Summary) Skipped() int {
	n := 0
	for _, f := range s.Files {
		n += f.Skipped
	}
	return n
}

// Import loads the dataset in dir into db and blobs (see the package doc).
// It returns what was done so far even when it fails; a failure leaves
// every batch written before it complete and nothing of the failing one.
// With opts.Strict the first bad row is a KindInvalid error naming it.
func Import(ctx context.Context, report progress.Func, db Store, blobs blob.Store, dir string, opts Options) (Summary, error) {
	start := time.Now()
	opts = opts.withDefaults()
	sum := Summary{Dir: dir, Files: []FileStats{}, Issues: []Issue{}}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return sum, atelier.Errorf(atelier.KindInvalid, "dataset directory %s does not exist", dir)
	case err != nil:
		return sum, fmt.Errorf("dataset directory: %w", err)
	case !st.IsDir():
		return sum, atelier.Errorf(atelier.KindInvalid, "%s is not a directory", dir)
	}
	// Every file is opened through root, so that no name in the data (nor
	// a symbolic link) can reach outside the dataset directory.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return sum, fmt.Errorf("dataset directory: %w", err)
	}
	defer root.Close()
	format, err := detectFormat(root, dir, opts.Format)
	if err != nil {
		return sum, err
	}
	sum.Format = format
	im := &importer{
		db: db, blobs: blobs, dir: dir, root: root, opts: opts, report: report, sum: &sum,
		items: newKnownSet(knownCap), consumers: newKnownSet(knownCap),
	}
	if format == FormatCSV {
		err = im.importCSV(ctx)
	} else {
		err = im.importAmazon(ctx)
	}
	if err == nil {
		var n int
		n, err = db.SyncImportedSegments(ctx)
		sum.NewMemberships = n
		if err != nil {
			err = fmt.Errorf("imported segments: %w", err)
		}
		report.Report(progress.Update{Stage: "import segments", Step: 1, Total: 1,
			Metrics: map[string]float64{"new_memberships": float64(n)}})
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, err
}

// detectFormat returns the format asked for, or the one dir's files show.
func detectFormat(root *os.Root, dir, asked string) (string, error) {
	switch asked {
	case FormatCSV, FormatAmazon:
		return asked, nil
	case "":
	default:
		return "", atelier.FieldErrorf("format", "unknown dataset format %q (want %s or %s)", asked, FormatCSV, FormatAmazon)
	}
	for _, name := range []string{itemsFile, consumersFile, interactionsFile} {
		if _, err := root.Stat(name); err == nil {
			return FormatCSV, nil
		}
	}
	reviews, _, err := amazonFiles(dir)
	if err != nil {
		return "", err
	}
	if len(reviews) > 0 {
		return FormatAmazon, nil
	}
	return "", atelier.Errorf(atelier.KindInvalid,
		"%s holds no dataset: want items.csv, consumers.csv or interactions.csv, or Amazon reviews (reviews*.json, *.jsonl)", dir)
}

// importer is the state of one import.
type importer struct {
	db        Store
	blobs     blob.Store
	dir       string
	root      *os.Root // dir, opened
	opts      Options
	report    progress.Func
	sum       *Summary
	items     *knownSet // catalog external ids known to exist (or not)
	consumers *knownSet
}

// stats adds a FileStats to the summary and returns its index (the slice
// may grow, so callers keep the index, not a pointer).
func (im *importer) stats(file, table string) int {
	im.sum.Files = append(im.sum.Files, FileStats{File: file, Table: table})
	return len(im.sum.Files) - 1
}

// bad records a bad row of the stats at index st. It returns nil (skip the
// row and go on), or in strict mode the error that stops the import.
func (im *importer) bad(st int, file string, line int, format string, args ...any) error {
	is := Issue{File: file, Line: line, Message: fmt.Sprintf(format, args...)}
	im.sum.Files[st].Skipped++
	if len(im.sum.Issues) < im.opts.MaxIssues {
		im.sum.Issues = append(im.sum.Issues, is)
	} else {
		im.sum.IssuesLeftOut++
	}
	if im.opts.OnIssue != nil {
		im.opts.OnIssue(is)
	}
	if im.opts.Strict {
		return atelier.Errorf(atelier.KindInvalid, "%s (strict: stopped before writing this batch)", is)
	}
	return nil
}

// progress reports rows read of a file so far.
func (im *importer) progress(st, read, total int) {
	f := im.sum.Files[st]
	if total < read {
		total = read
	}
	im.report.Report(progress.Update{
		Stage: "import " + f.File + " (" + f.Table + ")", Step: read, Total: total,
		Metrics: map[string]float64{"new": float64(f.New), "existing": float64(f.Existing), "skipped": float64(f.Skipped)},
	})
}
