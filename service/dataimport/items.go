package dataimport

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atelier-app/atelier"
)

// itemRow is an item read from a file, before its image is stored.
type itemRow struct {
	file  string
	line  int
	item  atelier.Item // ExternalID, Category, Attributes
	image string       // image file relative to the dataset; "" to look for images/<id>.*
}

// placeholder lets an item be validated before its image is stored.
var placeholder = atelier.Image{OriginalKey: "-", ModelKey: "-", Width: 1, Height: 1, ContentType: "image/png"}

// checkItem validates an item row's own fields; it returns a message for
// the issue, or "".
func checkItem(it atelier.Item) string {
	it.Images = []atelier.Image{placeholder}
	if err := it.Validate(); err != nil {
		return fmt.Sprintf("item %q: %s", it.ExternalID, atelier.ErrorMessage(err))
	}
	return ""
}

// itemResult is what happened to one row of a batch.
type itemResult struct {
	known bool // already in the catalog (or earlier in the batch)
	img   ingested
	err   error // a refusal
}

// flushItems writes a batch of item rows: rows already in the catalog are
// counted and skipped without reading their image, the images of the
// others are stored (on the worker pool), and the items whose image was
// accepted are written in one transaction.
func (im *importer) flushItems(ctx context.Context, st int, rows []itemRow) error {
	if len(rows) == 0 {
		return nil
	}
	res := make([]itemResult, len(rows))
	seen := make(map[string]bool, len(rows))
	for i, r := range rows {
		res[i].known = seen[r.item.ExternalID] // a repeat within the batch
		seen[r.item.ExternalID] = true
	}
	err := forEach(ctx, im.opts.Workers, len(rows), func(i int) error {
		if res[i].known {
			return nil
		}
		r := rows[i]
		known, err := im.itemExists(ctx, r.item.ExternalID)
		if err != nil || known {
			res[i].known = known
			return err
		}
		rel := r.image
		if rel == "" {
			if rel, err = im.findImage(r.item.ExternalID); err != nil {
				res[i].err = err
				return nil
			}
		}
		res[i].img, err = im.ingest(ctx, r.item.ExternalID, rel)
		var ref refusal
		if errors.As(err, &ref) {
			res[i].err, err = ref, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	// Results are gathered in row order, whatever order the workers ran in.
	var items []atelier.Item
	for i, r := range rows {
		res := res[i]
		im.sum.Blobs.Written += res.img.written
		im.sum.Blobs.Reused += res.img.reused
		switch {
		case res.err != nil:
			if err := im.bad(st, r.file, r.line, "item %q: %v", r.item.ExternalID, res.err); err != nil {
				return err
			}
		case res.known:
			im.sum.Files[st].Existing++
		default:
			it := r.item
			it.Images = []atelier.Image{res.img.img}
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil
	}
	n, err := im.db.ImportItems(ctx, items)
	if err != nil {
		return fmt.Errorf("import items of %s (lines %d to %d): %w", rows[0].file, rows[0].line, rows[len(rows)-1].line, err)
	}
	im.sum.Files[st].New += n
	im.sum.Files[st].Existing += len(items) - n
	for _, it := range items {
		im.items.put(it.ExternalID, true)
	}
	return nil
}

// csvItems reads items.csv: item_id and category, the other columns
// becoming attributes (empty values left out).
func (im *importer) csvItems(ctx context.Context) error {
	f, err := openCSV(im.root, itemsFile, "item_id")
	if f == nil || err != nil {
		return err
	}
	defer f.close()
	st := im.stats(itemsFile, "items")
	catCol, hasCat := f.cols["category"]
	if !hasCat && im.opts.Category == "" {
		return atelier.Errorf(atelier.KindInvalid, "%s has no category column; give a default category", itemsFile)
	}
	var batch []itemRow
	return im.eachRecord(f, st, func(rec []string, line int) error {
		row := itemRow{file: f.name, line: line}
		row.item.ExternalID = strings.TrimSpace(rec[f.cols["item_id"]])
		row.item.Category = im.opts.Category
		if hasCat && strings.TrimSpace(rec[catCol]) != "" {
			row.item.Category = strings.TrimSpace(rec[catCol])
		}
		row.item.Attributes = map[string]string{}
		for i, name := range f.header {
			if name != "item_id" && name != "category" && rec[i] != "" {
				row.item.Attributes[name] = rec[i]
			}
		}
		if msg := checkItem(row.item); msg != "" {
			return im.bad(st, f.name, line, "%s", msg)
		}
		batch = append(batch, row)
		return nil
	}, func() int { return len(batch) }, func() error {
		err := im.flushItems(ctx, st, batch)
		batch = batch[:0]
		return err
	})
}
