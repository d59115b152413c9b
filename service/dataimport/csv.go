package dataimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// importCSV imports the CSV layout: items (with their images), then
// consumers, then interactions, which may only name items and consumers
// that exist by then. Each file is optional.
func (im *importer) importCSV(ctx context.Context) error {
	if err := im.csvItems(ctx); err != nil {
		return err
	}
	if err := im.csvConsumers(ctx); err != nil {
		return err
	}
	return im.csvInteractions(ctx)
}

// eachRecord calls fn with every well-formed record of f and reports
// malformed ones as bad rows; after every BatchSize records it calls
// flush, and once more at the end.
func (im *importer) eachRecord(f *csvFile, st int, fn func(rec []string, line int) error, pending func() int, flush func() error) error {
	read, reported := 0, -1
	for {
		rec, line, err := f.next()
		if errors.Is(err, io.EOF) {
			break
		}
		read++
		var rerr rowError
		switch {
		case errors.As(err, &rerr):
			if err := im.bad(st, f.name, line, "%s", rerr.msg); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if err := fn(rec, line); err != nil {
			return err
		}
		if pending() >= im.opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
			im.progress(st, read, f.total)
			reported = read
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if reported != read {
		im.progress(st, read, read)
	}
	return nil
}

// csvConsumers reads consumers.csv: consumer_id and an optional segment.
func (im *importer) csvConsumers(ctx context.Context) error {
	f, err := openCSV(im.root, consumersFile, "consumer_id")
	if f == nil || err != nil {
		return err
	}
	defer f.close()
	st := im.stats(consumersFile, "consumers")
	segCol, hasSeg := f.cols["segment"]
	var batch []atelier.Consumer
	return im.eachRecord(f, st, func(rec []string, line int) error {
		c := atelier.Consumer{ExternalID: strings.TrimSpace(rec[f.cols["consumer_id"]])}
		if hasSeg {
			c.Segment = strings.TrimSpace(rec[segCol])
		}
		if err := c.Validate(); err != nil {
			return im.bad(st, f.name, line, "consumer %q: %s", c.ExternalID, atelier.ErrorMessage(err))
		}
		batch = append(batch, c)
		return nil
	}, func() int { return len(batch) }, func() error {
		err := im.flushConsumers(ctx, st, batch)
		batch = batch[:0]
		return err
	})
}

// flushConsumers writes a batch of valid consumers in one transaction.
func (im *importer) flushConsumers(ctx context.Context, st int, batch []atelier.Consumer) error {
	if len(batch) == 0 {
		return nil
	}
	n, err := im.db.ImportConsumers(ctx, batch)
	if err != nil {
		return fmt.Errorf("import consumers of %s: %w", im.sum.Files[st].File, err)
	}
	im.sum.Files[st].New += n
	im.sum.Files[st].Existing += len(batch) - n
	for _, c := range batch {
		im.consumers.put(c.ExternalID, true)
	}
	return nil
}

// interactionRow is an interaction read from a file, not yet resolved.
type interactionRow struct {
	line int
	in   storage.InteractionImport
}

// csvInteractions reads interactions.csv: consumer_id, item_id, timestamp
// (Unix seconds or RFC 3339) and an optional kind.
func (im *importer) csvInteractions(ctx context.Context) error {
	f, err := openCSV(im.root, interactionsFile, "consumer_id", "item_id", "timestamp")
	if f == nil || err != nil {
		return err
	}
	defer f.close()
	st := im.stats(interactionsFile, "interactions")
	kindCol, hasKind := f.cols["kind"]
	defKind := im.opts.Kind
	if defKind == "" {
		defKind = DefaultKind
	}
	var batch []interactionRow
	return im.eachRecord(f, st, func(rec []string, line int) error {
		in := storage.InteractionImport{
			ConsumerExternalID: strings.TrimSpace(rec[f.cols["consumer_id"]]),
			ItemExternalID:     strings.TrimSpace(rec[f.cols["item_id"]]),
			Kind:               defKind,
		}
		if hasKind && strings.TrimSpace(rec[kindCol]) != "" {
			in.Kind = strings.TrimSpace(rec[kindCol])
		}
		at, err := parseTime(rec[f.cols["timestamp"]])
		if err != nil {
			return im.bad(st, f.name, line, "%v", err)
		}
		in.At = at
		if msg := checkInteraction(in); msg != "" {
			return im.bad(st, f.name, line, "%s", msg)
		}
		batch = append(batch, interactionRow{line: line, in: in})
		return nil
	}, func() int { return len(batch) }, func() error {
		err := im.flushInteractions(ctx, st, f.name, "consumer_id", "item_id", batch)
		batch = batch[:0]
		return err
	})
}

// parseTime reads integer Unix seconds or an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		if sec < 0 || sec > 1<<40 {
			return time.Time{}, fmt.Errorf("timestamp %s is out of range", s)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q is neither Unix seconds nor an RFC 3339 time", s)
}

// checkInteraction validates an interaction's own fields; it returns a
// message for the issue, or "".
func checkInteraction(in storage.InteractionImport) string {
	check := atelier.Interaction{ConsumerID: in.ConsumerExternalID, ItemID: in.ItemExternalID, Kind: in.Kind, At: in.At}
	if err := check.Validate(); err != nil {
		return atelier.ErrorMessage(err)
	}
	return ""
}

// flushInteractions resolves a batch's consumers and items, reports rows
// naming unknown ones (cField and iField name the columns in messages) and
// writes the others in one transaction. Resolving first matters: the store
// refuses a whole batch for one unknown name.
func (im *importer) flushInteractions(ctx context.Context, st int, file, cField, iField string, batch []interactionRow) error {
	if len(batch) == 0 {
		return nil
	}
	lines := make([]storage.InteractionImport, 0, len(batch))
	for _, r := range batch {
		known, err := im.consumerExists(ctx, r.in.ConsumerExternalID)
		if err != nil {
			return err
		}
		if !known {
			if err := im.bad(st, file, r.line, "unknown %s %q", cField, r.in.ConsumerExternalID); err != nil {
				return err
			}
			continue
		}
		if known, err = im.itemExists(ctx, r.in.ItemExternalID); err != nil {
			return err
		}
		if !known {
			if err := im.bad(st, file, r.line, "unknown %s %q", iField, r.in.ItemExternalID); err != nil {
				return err
			}
			continue
		}
		lines = append(lines, r.in)
	}
	if len(lines) == 0 {
		return nil
	}
	n, err := im.db.ImportInteractions(ctx, lines)
	if err != nil {
		return fmt.Errorf("import interactions of %s (lines %d to %d): %w", file, batch[0].line, batch[len(batch)-1].line, err)
	}
	im.sum.Files[st].New += n
	im.sum.Files[st].Existing += len(lines) - n
	return nil
}
