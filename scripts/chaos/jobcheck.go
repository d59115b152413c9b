package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/atelier-app/atelier"
)

// allDone reports whether every job has ended (false while the database
// cannot be reached).
func allDone(ctx context.Context, url string, jobs []string) bool {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE id = ANY($1) AND status IN ('succeeded', 'failed', 'cancelled')", jobs).Scan(&n)
	return err == nil && n == len(jobs)
}

// checkJobs checks each job's end and adds to r: lost counts jobs not
// succeeded exactly once or whose results are not there once, orphans
// result rows whose blob is missing and result blobs without a row.
func checkJobs(ctx context.Context, url, blobDir string, jobs jobSet, ends jobEnds, r *result) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	named := map[string]bool{} // result blobs the rows name
	// Model files a service registered (the demo's) are no job's result.
	rows, err := conn.Query(ctx, "SELECT blob_key FROM model_versions")
	if err != nil {
		return err
	}
	registered, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, k := range registered {
		named[k] = true
	}
	for _, id := range jobs.ids {
		kind := jobs.kinds[id]
		var status string
		var attempt int
		if err := conn.QueryRow(ctx, "SELECT status, attempt FROM jobs WHERE id = $1", id).Scan(&status, &attempt); err != nil {
			return err
		}
		// A worker killed between committing a job's end and logging it
		// leaves no line: at most one, not exactly one.
		if status != "succeeded" || ends.succeeded[id] > 1 {
			r.lost++
			r.failf("%s job %s: status %s after %d attempts, %d completions logged", kind, id, status, attempt, ends.succeeded[id])
			continue
		}
		keys, n, want, err := resultKeys(ctx, conn, kind, id)
		if err != nil {
			return err
		}
		if n != want {
			r.lost++
			r.failf("%s job %s: %d results, want %d", kind, id, n, want)
		}
		for _, k := range keys {
			named[k] = true
			if _, err := os.Stat(filepath.Join(blobDir, k)); err != nil {
				r.orphans++
				r.failf("%s job %s: row names blob %q, which is missing", kind, id, k)
			}
		}
	}
	// Writes killed midway leave temporary files; the next worker's
	// start deletes those of dead processes.
	if left, _ := os.ReadDir(filepath.Join(blobDir, ".tmp")); len(left) > 0 {
		r.orphans += len(left)
		r.failf("%d temporary files left in the blob folder, e.g. %s", len(left), left[0].Name())
	}
	// A result blob no row names is an orphan: an attempt wrote it and a
	// later one wrote another instead of reusing it.
	for _, prefix := range []string{"redesigns", "reports", "models/recommender"} {
		keys, err := blobFiles(blobDir, prefix)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if !named[k] {
				r.orphans++
				r.failf("blob %q has no row", k)
			}
		}
	}
	return nil
}

// resultKeys are the blobs a succeeded job's result rows name, and how
// many result rows there are and must be: a redesign's 2 variants (each
// with its image and its full-resolution photo, plus the job's base
// image), the result of a report, the model file of a training. An
// import's results are checked across all imports (checkImported).
func resultKeys(ctx context.Context, conn *pgx.Conn, kind, id string) (keys []string, n, want int, err error) {
	var q string
	switch kind {
	case "redesign":
		keys, n, err = redesignKeys(ctx, conn, id)
		return keys, n, 2, err
	case "report":
		q, want = "SELECT result_key FROM reports WHERE id = $1", 1
	case "train-recommender":
		q, want = "SELECT blob_key FROM model_versions WHERE blob_key LIKE '%job-' || $1 || '.safetensors'", 1
	default:
		return nil, 0, 0, nil
	}
	rows, err := conn.Query(ctx, q, id)
	if err != nil {
		return nil, 0, 0, err
	}
	keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return keys, len(keys), want, err
}

// redesignKeys are the blobs of a redesign job: its base image and each
// variant's image and full-resolution photo; n counts the variants.
func redesignKeys(ctx context.Context, conn *pgx.Conn, id string) (keys []string, n int, err error) {
	rows, err := conn.Query(ctx, "SELECT image_key, full_image_key FROM redesign_variants WHERE job_id = $1", id)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	keys = []string{atelier.RedesignImageKey(id, "base")}
	for rows.Next() {
		var img, full string
		if err := rows.Scan(&img, &full); err != nil {
			return nil, 0, err
		}
		keys, n = append(keys, img), n+1
		if full != "" {
			keys = append(keys, full)
		}
	}
	return keys, n, rows.Err()
}

// checkImported checks the catalog the imports built: exactly the
// worlds' items, consumers and interactions (none lost, none twice),
// every item with its image rows and their blobs, and no blob under
// catalog/ that no row names.
func checkImported(ctx context.Context, url, blobDir string, worlds []tinyWorld, r *result) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var want tinyWorld
	for _, w := range worlds {
		want.items, want.consumers, want.interactions = want.items+w.items, want.consumers+w.consumers, want.interactions+w.interactions
	}
	for _, c := range []struct {
		table string
		want  int
	}{{"items", want.items}, {"consumers", want.consumers}, {"interactions", want.interactions}, {"item_images", want.items}} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+c.table).Scan(&n); err != nil {
			return err
		}
		if n != c.want {
			r.lost += max(c.want-n, 0)
			r.failf("%s: %d rows after the imports, want %d", c.table, n, c.want)
		}
	}
	rows, err := conn.Query(ctx, "SELECT original_key, model_key FROM item_images")
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for rows.Next() {
		var orig, model string
		if err := rows.Scan(&orig, &model); err != nil {
			return err
		}
		named[orig], named[model] = true, true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k := range named {
		if _, err := os.Stat(filepath.Join(blobDir, k)); err != nil {
			r.orphans++
			r.failf("item_images names blob %q, which is missing", k)
		}
	}
	keys, err := blobFiles(blobDir, "catalog")
	for _, k := range keys {
		if !named[k] {
			r.orphans++
			r.failf("blob %q has no item_images row", k)
		}
	}
	return err
}

// blobFiles lists the keys of the local blob folder dir under prefix.
// Content-type sidecars (.NAME.meta) go with their blob.
func blobFiles(dir, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(filepath.Join(dir, prefix), func(path string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist) && path == filepath.Join(dir, prefix):
			return nil
		case err != nil || d.IsDir():
			return err
		case !(strings.HasPrefix(d.Name(), ".") && strings.HasSuffix(d.Name(), ".meta")):
			key, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			keys = append(keys, filepath.ToSlash(key))
		}
		return nil
	})
	return keys, err
}
