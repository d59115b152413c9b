package dataimport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// Amazon review dumps (McAuley et al.) come as JSON lines: a review file
// with reviewerID, asin and unixReviewTime per line (other fields are
// ignored) and a meta file with asin, title, brand and a category path
// (categories: [["Clothing", "Women", "Dresses"]] in the 2014 release,
// category: ["Clothing", "Women", "Dresses"] in 2018; the most specific
// entry becomes the item's category). Meta files must be strict JSON (the
// 2014 ones are Python literals: convert them first).
//
// Items are the meta file's lines when there is one (a line whose asin has
// no image under images/ is a bad row), otherwise the image files of
// images/, all of category Options.Category. Reviewers become consumers
// (without segment) and reviews interactions of kind KindReview.

// maxJSONLine bounds one line of a JSON-lines file.
const maxJSONLine = 16 << 20

// amazonFiles lists the review files (reviews*.json, *.jsonl other than
// meta) and meta files (meta*.json, meta*.jsonl) at the top of dir.
func amazonFiles(dir string) (reviews, meta []string, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		lower := strings.ToLower(name)
		ext := filepath.Ext(lower)
		if !e.Type().IsRegular() || (ext != ".json" && ext != ".jsonl") {
			continue
		}
		switch {
		case strings.HasPrefix(lower, "meta"):
			meta = append(meta, name)
		case ext == ".jsonl" || strings.HasPrefix(lower, "reviews"):
			reviews = append(reviews, name)
		}
	}
	return reviews, meta, nil
}

// importAmazon imports items (from meta or the image folder), then the
// reviews.
func (im *importer) importAmazon(ctx context.Context) error {
	reviews, meta, err := amazonFiles(im.dir)
	if err != nil {
		return err
	}
	if len(meta) == 0 && im.opts.Category == "" {
		return atelier.FieldErrorf("category", "an Amazon dataset without a meta file needs a default category for its items")
	}
	for _, name := range meta {
		if err := im.metaItems(ctx, name); err != nil {
			return err
		}
	}
	if len(meta) == 0 {
		if err := im.folderItems(ctx); err != nil {
			return err
		}
	}
	for _, name := range reviews {
		if err := im.reviews(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// jsonLines reads a JSON-lines file of the dataset a line at a time.
type jsonLines struct {
	name  string
	f     *os.File
	sc    *bufio.Scanner
	line  int
	total int
}

func openJSONLines(root *os.Root, name string) (*jsonLines, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	total, err := countLines(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxJSONLine)
	return &jsonLines{name: name, f: f, sc: sc, total: total}, nil
}

// eachLine calls fn with every non-blank line of j and its line number
// (fn reports lines it cannot use as bad rows); when BatchSize rows are
// pending it calls flush, and once more at the end. It closes j.
func (im *importer) eachLine(j *jsonLines, st int, fn func(raw []byte, line int) error, pending func() int, flush func() error) error {
	defer j.f.Close()
	reported := -1
	for j.sc.Scan() {
		j.line++
		raw := j.sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if err := fn(raw, j.line); err != nil {
			return err
		}
		if pending() >= im.opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
			im.progress(st, j.line, j.total)
			reported = j.line
		}
	}
	if err := j.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return atelier.Errorf(atelier.KindInvalid, "%s:%d: line longer than %d bytes", j.name, j.line+1, maxJSONLine)
		}
		return fmt.Errorf("read %s: %w", j.name, err)
	}
	if err := flush(); err != nil {
		return err
	}
	if reported != j.line {
		im.progress(st, j.line, j.line)
	}
	return nil
}

type metaLine struct {
	ASIN       string          `json:"asin"`
	Title      string          `json:"title"`
	Brand      string          `json:"brand"`
	Categories [][]string      `json:"categories"` // 2014
	Category   json.RawMessage `json:"category"`   // 2018: a list; sometimes one string
}

// category returns the most specific category the line names, or "".
func (m metaLine) category() string {
	var path []string
	if len(m.Categories) > 0 {
		path = m.Categories[0]
	} else if len(m.Category) > 0 {
		var one string
		if json.Unmarshal(m.Category, &path) != nil && json.Unmarshal(m.Category, &one) == nil {
			path = []string{one}
		}
	}
	for i := len(path) - 1; i >= 0; i-- {
		if c := strings.TrimSpace(path[i]); c != "" {
			return c
		}
	}
	return ""
}

// metaItems reads items from an Amazon meta file.
func (im *importer) metaItems(ctx context.Context, name string) error {
	j, err := openJSONLines(im.root, name)
	if err != nil {
		return err
	}
	st := im.stats(name, "items")
	var batch []itemRow
	return im.eachLine(j, st, func(raw []byte, line int) error {
		var m metaLine
		if err := json.Unmarshal(raw, &m); err != nil {
			return im.bad(st, name, line, "not a JSON object: %v", err)
		}
		row := itemRow{file: name, line: line}
		row.item.ExternalID = strings.TrimSpace(m.ASIN)
		if row.item.Category = m.category(); row.item.Category == "" {
			row.item.Category = im.opts.Category
		}
		if row.item.ExternalID == "" {
			return im.bad(st, name, line, "no asin")
		}
		if row.item.Category == "" {
			return im.bad(st, name, line, "item %q has no category and no default category is set", row.item.ExternalID)
		}
		row.item.Attributes = map[string]string{}
		for k, v := range map[string]string{"title": m.Title, "brand": m.Brand} {
			if v = strings.TrimSpace(v); v != "" && len(v) <= atelier.MaxAttrValueLen && utf8.ValidString(v) {
				row.item.Attributes[k] = v
			}
		}
		if msg := checkItem(row.item); msg != "" {
			return im.bad(st, name, line, "%s", msg)
		}
		batch = append(batch, row)
		return nil
	}, func() int { return len(batch) }, func() error {
		err := im.flushItems(ctx, st, batch)
		batch = batch[:0]
		return err
	})
}

// folderItems makes one item per image file of images/, named by the file
// (the asin) and of the default category. The folder is listed a batch at
// a time.
func (im *importer) folderItems(ctx context.Context) error {
	d, err := im.root.Open("images")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open images: %w", err)
	}
	defer d.Close()
	st := im.stats("images", "items")
	read := 0
	for {
		ents, err := d.ReadDir(im.opts.BatchSize)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("list images: %w", err)
		}
		sort.Slice(ents, func(a, b int) bool { return ents[a].Name() < ents[b].Name() })
		var batch []itemRow
		for _, e := range ents {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.Type().IsRegular() || !slices.Contains(imageExts, ext) {
				continue
			}
			read++
			rel := "images/" + e.Name()
			row := itemRow{file: rel, image: rel}
			row.item = atelier.Item{ExternalID: strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), Category: im.opts.Category}
			if msg := checkItem(row.item); msg != "" {
				if err := im.bad(st, rel, 0, "%s", msg); err != nil {
					return err
				}
				continue
			}
			batch = append(batch, row)
		}
		if err := im.flushItems(ctx, st, batch); err != nil {
			return err
		}
		im.progress(st, read, 0)
	}
	return nil
}

type reviewLine struct {
	ReviewerID     string `json:"reviewerID"`
	ASIN           string `json:"asin"`
	UnixReviewTime *int64 `json:"unixReviewTime"`
}

// reviews reads a review file: each reviewer becomes a consumer, each
// review an interaction.
func (im *importer) reviews(ctx context.Context, name string) error {
	j, err := openJSONLines(im.root, name)
	if err != nil {
		return err
	}
	stC := im.stats(name, "consumers")
	stI := im.stats(name, "interactions")
	kind := im.opts.Kind
	if kind == "" {
		kind = KindReview
	}
	var batch []interactionRow
	return im.eachLine(j, stI, func(raw []byte, line int) error {
		var r reviewLine
		if err := json.Unmarshal(raw, &r); err != nil {
			return im.bad(stI, name, line, "not a JSON object: %v", err)
		}
		if r.UnixReviewTime == nil {
			return im.bad(stI, name, line, "no unixReviewTime")
		}
		at, err := parseTime(fmt.Sprint(*r.UnixReviewTime))
		if err != nil {
			return im.bad(stI, name, line, "unixReviewTime: %v", err)
		}
		in := storage.InteractionImport{
			ConsumerExternalID: strings.TrimSpace(r.ReviewerID), ItemExternalID: strings.TrimSpace(r.ASIN), Kind: kind, At: at,
		}
		if err := (atelier.Consumer{ExternalID: in.ConsumerExternalID}).Validate(); err != nil {
			return im.bad(stI, name, line, "reviewerID %q: %s", in.ConsumerExternalID, atelier.ErrorMessage(err))
		}
		if msg := checkInteraction(in); msg != "" {
			return im.bad(stI, name, line, "%s", msg)
		}
		batch = append(batch, interactionRow{line: line, in: in})
		return nil
	}, func() int { return len(batch) }, func() error {
		err := im.flushReviews(ctx, stC, stI, name, batch)
		batch = batch[:0]
		return err
	})
}

// flushReviews drops reviews of unknown items first (so that, in strict
// mode, nothing of a failing batch is written), then adds the batch's
// reviewers as consumers and the reviews as interactions.
func (im *importer) flushReviews(ctx context.Context, stC, stI int, file string, batch []interactionRow) error {
	var keep []interactionRow
	for _, r := range batch {
		known, err := im.itemExists(ctx, r.in.ItemExternalID)
		if err != nil {
			return err
		}
		if !known {
			if err := im.bad(stI, file, r.line, "unknown asin %q", r.in.ItemExternalID); err != nil {
				return err
			}
			continue
		}
		keep = append(keep, r)
	}
	var consumers []atelier.Consumer
	seen := map[string]bool{}
	for _, r := range keep {
		if id := r.in.ConsumerExternalID; !seen[id] {
			seen[id] = true
			consumers = append(consumers, atelier.Consumer{ExternalID: id})
		}
	}
	if err := im.flushConsumers(ctx, stC, consumers); err != nil {
		return err
	}
	return im.flushInteractions(ctx, stI, file, "reviewerID", "asin", keep)
}
