package api

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
)

// TestReportRedesigns queues redesigns from a finished report: the
// bottom n of a segment, worst first, or items by id; asking again queues
// nothing new, and the listing shows each item's redesign.
func TestReportRedesigns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sg := e.segment(t)
		items := []string{
			e.uploadProduct(t, e.aliceKey, palette["red"]),
			e.uploadProduct(t, e.aliceKey, palette["blue"]),
			e.uploadProduct(t, e.aliceKey, palette["green"]),
			e.uploadProduct(t, e.aliceKey, palette["pink"]), // top half: not a candidate
		}
		rec, body := e.call(t, "POST", "/api/v1/reports", e.aliceKey, nil)
		want(t, rec, http.StatusAccepted)
		id := body["id"].(string)
		path := "/api/v1/reports/" + id + "/redesigns"

		rec, _ = e.call(t, "POST", path, e.aliceKey, map[string]any{"segment_id": sg.ID, "n": 2})
		want(t, rec, http.StatusConflict) // the report is not finished

		doc := report.Doc{ReportID: id, RecommenderVersionID: e.recVersion.ID, PoolSize: 100, Segments: []report.Segment{{ID: sg.ID, Name: sg.Name}}}
		for i, it := range items {
			rank := []int{60, 90, 75, 10}[i]
			item := report.Item{ItemID: it, Scores: []report.Score{{SegmentID: sg.ID, Rank: rank}}}
			if rank > 50 {
				item.Candidates = []report.Candidate{{SegmentID: sg.ID, Rank: rank}}
			}
			doc.Items = append(doc.Items, item)
		}
		e.startWorker(t, jobs.Handlers{Report: func(ctx context.Context, r atelier.Report, _ progress.Func) (string, error) {
			data := mustJSON(t, doc)
			return report.Key(r.ID), e.blobs.Put(ctx, report.Key(r.ID), bytes.NewReader(data), int64(len(data)), "application/json")
		}})
		waitFor(t, "report "+id, func() bool {
			j, err := e.jobs.Get(ctx, id, atelier.AllScope())
			return err == nil && j.Status.Final()
		})

		ask := func(req map[string]any, wantQueued int, wantItems ...string) []string {
			t.Helper()
			rec, body := e.call(t, "POST", path, e.aliceKey, req)
			want(t, rec, http.StatusAccepted)
			var got, jobIDs []string
			for _, r := range body["redesigns"].([]any) {
				v := r.(map[string]any)
				if v["segment_id"] != sg.ID || v["status"] != "queued" {
					t.Errorf("redesign %v", v)
				}
				got = append(got, v["item_id"].(string))
				jobIDs = append(jobIDs, v["id"].(string))
			}
			if !slices.Equal(got, wantItems) || body["queued"] != float64(wantQueued) {
				t.Fatalf("%v: items %v, queued %v; want %v, %d", req, got, body["queued"], wantItems, wantQueued)
			}
			return jobIDs
		}
		first := ask(map[string]any{"segment_id": sg.ID, "n": 2}, 2, items[1], items[2])
		again := ask(map[string]any{"segment_id": sg.ID, "n": 2}, 0, items[1], items[2])
		more := ask(map[string]any{"segment_id": sg.ID, "n": 10}, 1, items[1], items[2], items[0])
		byID := ask(map[string]any{"segment_id": sg.ID, "item_ids": []string{items[0], items[3]}}, 1, items[0], items[3])
		if !slices.Equal(first, again) || !slices.Equal(first, more[:2]) || byID[0] != more[2] {
			t.Errorf("repeated requests got other jobs: %v, %v, %v, %v", first, again, more, byID)
		}
		if js, _ := e.jobs.List(ctx, atelier.AllScope(), storage.JobFilter{Kind: atelier.JobRedesign}); len(js) != 4 {
			t.Errorf("%d redesign jobs queued, want 4", len(js))
		}

		rec, body = e.call(t, "GET", path+"?segment_id="+sg.ID, e.aliceKey, nil)
		want(t, rec, http.StatusOK)
		if rs := body["redesigns"].([]any); len(rs) != 4 {
			t.Errorf("listed %d redesigns, want 4: %v", len(rs), body)
		}

		// A finished one is listed with its variants and the item's photo.
		release := make(chan struct{})
		close(release)
		e.startWorker(t, jobs.Handlers{Redesign: variantHandler(e, first[0], release)})
		waitFor(t, "the redesign", func() bool {
			j, err := e.jobs.Get(ctx, first[0], atelier.AllScope())
			return err == nil && j.Status.Final()
		})
		rec, body = e.call(t, "GET", path+"?segment_id="+sg.ID, e.aliceKey, nil)
		want(t, rec, http.StatusOK)
		for _, r := range body["redesigns"].([]any) {
			v := r.(map[string]any)
			if v["id"] != first[0] {
				continue
			}
			if base, _ := v["base"].(map[string]any); v["status"] != "succeeded" || len(v["variants"].([]any)) != 1 || base["model_image_url"] == nil {
				t.Errorf("finished redesign listed as %v", v)
			}
		}

		e.srv.limits.MaxReportRedesigns = 3
		for _, c := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"no segment", map[string]any{"n": 2}, 400, "segment_id"},
			{"neither n nor items", map[string]any{"segment_id": sg.ID}, 400, "n"},
			{"both n and items", map[string]any{"segment_id": sg.ID, "n": 1, "item_ids": []string{items[0]}}, 400, "n"},
			{"n zero", map[string]any{"segment_id": sg.ID, "n": 0}, 400, "n"},
			{"n over the limit", map[string]any{"segment_id": sg.ID, "n": 4}, 400, "n"},
			{"too many items", map[string]any{"segment_id": sg.ID, "item_ids": items}, 400, "item_ids"},
			{"item not in the report", map[string]any{"segment_id": sg.ID, "item_ids": []string{"nope"}}, 400, "item_ids"},
			{"segment not in the report", map[string]any{"segment_id": "other", "n": 1}, 404, ""},
			{"unknown field", map[string]any{"segment_id": sg.ID, "n": 1, "steps": 5}, 400, "steps"},
		} {
			rec, body := e.call(t, "POST", path, e.aliceKey, c.body)
			if rec.Code != c.status {
				t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, c.status, rec.Body.String())
				continue
			}
			if field, _ := errField(body); field != c.field {
				t.Errorf("%s: field %q, want %q (%s)", c.name, field, c.field, rec.Body.String())
			}
		}
		rec, _ = e.call(t, "POST", path, e.bobKey, map[string]any{"segment_id": sg.ID, "n": 1})
		want(t, rec, http.StatusNotFound)
		rec, _ = e.call(t, "GET", path+"?segment_id="+sg.ID, e.bobKey, nil)
		want(t, rec, http.StatusNotFound)
		rec, _ = e.call(t, "GET", path, e.aliceKey, nil)
		want(t, rec, http.StatusBadRequest)
		if js, _ := e.jobs.List(ctx, atelier.AllScope(), storage.JobFilter{Kind: atelier.JobRedesign}); len(js) != 4 {
			t.Errorf("rejected requests queued jobs: %d, want 4", len(js))
		}
	})
}
