package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/service/report"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/jobs"
)

// reportWriter is a test stand-in for the report engine: it reports
// progress and stores a small result document under the report's key.
func reportWriter(e *env) jobs.ReportFunc {
	return func(ctx context.Context, r atelier.Report, prog progress.Func) (string, error) {
		prog.Report(progress.Update{Stage: "items", Step: 1, Total: 1})
		data := []byte(fmt.Sprintf(`{"report_id":%q,"items":[{"item_id":"x","segments":[{"rank":1}]}]}`, r.ID))
		key := "reports/" + r.ID + ".json"
		return key, e.blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/json")
	}
}

func TestReportLifeCycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sg := e.segment(t)

		// Every segment: no body at all.
		rec, body := e.call(t, "POST", "/api/v1/reports", e.aliceKey, nil)
		want(t, rec, http.StatusAccepted)
		all := body["id"].(string)
		if body["status"] != "queued" || body["segment_id"] != nil || rec.Header().Get("Location") != "/api/v1/reports/"+all {
			t.Fatalf("created %v (Location %q)", body, rec.Header().Get("Location"))
		}

		// One segment, with an idempotent retry.
		send := func() (*httptest.ResponseRecorder, map[string]any) {
			r := httptest.NewRequest("POST", "/api/v1/reports", bytes.NewReader(mustJSON(t, map[string]any{"segment_id": sg.ID})))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Idempotency-Key", "report-1")
			return e.send(t, r, e.aliceKey)
		}
		rec, first := send()
		want(t, rec, http.StatusAccepted)
		rec, again := send()
		want(t, rec, http.StatusAccepted)
		one := first["id"].(string)
		if again["id"] != one || first["segment_id"] != sg.ID || rec.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry %v after %v", again, first)
		}
		if js, _ := e.jobs.List(ctx, atelier.AllScope(), storage.JobFilter{Kind: atelier.JobReport}); len(js) != 2 {
			t.Fatalf("queued report jobs %+v", js)
		}

		// Lists: the seller's own only.
		rec, body = e.call(t, "GET", "/api/v1/reports", e.aliceKey, nil)
		want(t, rec, 200)
		if l := body["reports"].([]any); len(l) != 2 {
			t.Fatalf("alice's reports %v", body)
		}
		rec, body = e.call(t, "GET", "/api/v1/reports?segment_id="+sg.ID, e.aliceKey, nil)
		want(t, rec, 200)
		if l := body["reports"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != one {
			t.Fatalf("alice's reports for %s: %v", sg.ID, body)
		}
		rec, body = e.call(t, "GET", "/api/v1/reports", e.bobKey, nil)
		want(t, rec, 200)
		if l := body["reports"].([]any); len(l) != 0 {
			t.Fatalf("bob sees %v", body)
		}
		rec, _ = e.call(t, "GET", "/api/v1/reports/"+one, e.bobKey, nil)
		want(t, rec, http.StatusNotFound)

		// Queued: no result yet.
		rec, body = e.call(t, "GET", "/api/v1/reports/"+one, e.aliceKey, nil)
		want(t, rec, 200)
		if body["result"] != nil || body["result_url"] != nil {
			t.Fatalf("queued report has a result: %v", body)
		}

		// A worker runs both; the result comes back inline and as a URL.
		e.startWorker(t, jobs.Handlers{Report: reportWriter(e)})
		for _, id := range []string{all, one} {
			waitFor(t, "report "+id, func() bool {
				j, err := e.jobs.Get(ctx, id, atelier.AllScope())
				return err == nil && j.Status.Final()
			})
			rec, body = e.call(t, "GET", "/api/v1/reports/"+id, e.aliceKey, nil)
			want(t, rec, 200)
			res, _ := body["result"].(map[string]any)
			if body["status"] != "succeeded" || res == nil || res["report_id"] != id || body["result_url"] == "" || body["finished_at"] == nil {
				t.Fatalf("finished report: %v", body)
			}
			if p := body["progress"].(map[string]any); p["stage"] != "items" || p["total"] != 1.0 {
				t.Fatalf("progress %v", p)
			}
		}
		rec, _ = e.call(t, "GET", "/api/v1/reports/"+all, e.bobKey, nil)
		want(t, rec, http.StatusNotFound)
		rec, _ = e.call(t, "GET", "/api/v1/reports/nope", e.aliceKey, nil)
		want(t, rec, http.StatusNotFound)
	})
}

func TestReportRejections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cases := []struct {
			name, field string
			body        any
		}{
			{"not JSON", "", "segment=1"},
			{"not an object", "", `[1,2]`},
			{"trailing data", "", `{} {}`},
			{"unknown field", "segments", map[string]any{"segments": []string{"a"}}},
			{"segment as a number", "segment_id", `{"segment_id":7}`},
		}
		for _, c := range cases {
			rec, body := e.call(t, "POST", "/api/v1/reports", e.aliceKey, c.body)
			if rec.Code != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400 (%s)", c.name, rec.Code, rec.Body.String())
				continue
			}
			if field, _ := errField(body); field != c.field {
				t.Errorf("%s: field %q, want %q (%s)", c.name, field, c.field, rec.Body.String())
			}
		}
		rec, _ := e.call(t, "POST", "/api/v1/reports", e.aliceKey, map[string]any{"segment_id": "nope"})
		want(t, rec, http.StatusNotFound)
		if !strings.Contains(rec.Body.String(), `no segment \"nope\"`) {
			t.Errorf("unknown segment: %s", rec.Body.String())
		}
		rec, _ = e.call(t, "GET", "/api/v1/reports?status=done", e.aliceKey, nil)
		want(t, rec, http.StatusBadRequest)
		rec, _ = e.call(t, "POST", "/api/v1/reports", "", nil)
		want(t, rec, http.StatusUnauthorized)
		if js, _ := e.jobs.List(context.Background(), atelier.AllScope(), storage.JobFilter{}); len(js) != 0 {
			t.Fatalf("rejected requests queued %d jobs", len(js))
		}
		e.srv.jobs = noJobs{}
		rec, _ = e.call(t, "POST", "/api/v1/reports", e.aliceKey, nil)
		want(t, rec, http.StatusServiceUnavailable)
	})
}

// exportDoc is the document the export test's report job stores: two
// items and two segments; item a has a finished redesign for segment s2.
func exportDoc(id string) report.Doc {
	return report.Doc{ReportID: id, PoolSize: 5, CatalogSize: 3,
		Segments: []report.Segment{{ID: "s1", Name: "warm, bold"}, {ID: "s2", Name: "dark \"minimal\""}},
		Items: []report.Item{{
			ItemID: "a", ExternalID: "sku-1", Category: "dress", BestSegment: "s1",
			Scores: []report.Score{{SegmentID: "s1", Preference: 1.25, Rank: 1, Percentile: 100}, {SegmentID: "s2", Preference: -0.5, Rank: 4, Percentile: 25}},
			Candidates: []report.Candidate{{SegmentID: "s2", Rank: 4, Percentile: 25,
				BestVariant: &report.LiftingVariant{RedesignID: "r1", Rank: 2, Uplift: 0.375, ImageKey: "redesigns/r1/2.png"}}},
		}, {
			ItemID: "b", ExternalID: "sku-2", Category: "heel", BestSegment: "s2",
			Scores: []report.Score{{SegmentID: "s1", Preference: 0.1, Rank: 3, Percentile: 50}, {SegmentID: "s2", Preference: 2, Rank: 1, Percentile: 100}},
		}}}
}

func TestReportExportCSV(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rec, body := e.call(t, "POST", "/api/v1/reports", e.aliceKey, nil)
		want(t, rec, http.StatusAccepted)
		id := body["id"].(string)
		path := "/api/v1/reports/" + id + "/export?format=csv"

		// Queued: a conflict that names the status.
		rec, body = e.call(t, "GET", path, e.aliceKey, nil)
		want(t, rec, http.StatusConflict)
		if _, kind := errField(body); kind != "conflict" || !strings.Contains(rec.Body.String(), "queued") {
			t.Fatalf("unfinished report: %s", rec.Body.String())
		}

		e.startWorker(t, jobs.Handlers{Report: func(ctx context.Context, r atelier.Report, _ progress.Func) (string, error) {
			data := mustJSON(t, exportDoc(r.ID))
			return report.Key(r.ID), e.blobs.Put(ctx, report.Key(r.ID), bytes.NewReader(data), int64(len(data)), "application/json")
		}})
		waitFor(t, "report "+id, func() bool {
			j, err := e.jobs.Get(ctx, id, atelier.AllScope())
			return err == nil && j.Status.Final()
		})

		for _, p := range []string{path, "/api/v1/reports/" + id + "/export", "/api/v1/reports/" + id + ".csv"} { // csv is the default
			rec, _ = e.call(t, "GET", p, e.aliceKey, nil)
			want(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename=report-`+id+`.csv` {
				t.Errorf("Content-Disposition %q", cd)
			}
			checkExportRows(t, rec.Body.String())
		}

		// The charts, drawn on the server.
		for _, p := range []string{"heat.svg", "distribution.svg?segment_id=s2"} {
			rec, _ = e.call(t, "GET", "/api/v1/reports/"+id+"/charts/"+p, e.aliceKey, nil)
			want(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" || !strings.HasPrefix(rec.Body.String(), "<svg ") ||
				!strings.Contains(rec.Body.String(), "sku-") && p == "heat.svg" {
				t.Errorf("chart %s: %s %.80s", p, ct, rec.Body.String())
			}
		}
		for p, code := range map[string]int{"distribution.svg": 400, "distribution.svg?segment_id=nope": 404, "pie.svg": 404} {
			rec, _ = e.call(t, "GET", "/api/v1/reports/"+id+"/charts/"+p, e.aliceKey, nil)
			want(t, rec, code)
		}
		rec, _ = e.call(t, "GET", "/api/v1/reports/"+id+"/charts/heat.svg", e.bobKey, nil)
		want(t, rec, http.StatusNotFound)

		// The stored document as a file.
		rec, _ = e.call(t, "GET", "/api/v1/reports/"+id+".json", e.aliceKey, nil)
		want(t, rec, http.StatusOK)
		var doc report.Doc
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || rec.Header().Get("Content-Type") != "application/json" ||
			doc.ReportID != id || len(doc.Items) != 2 || doc.Items[0].Scores[1].Percentile != 25 {
			t.Errorf("JSON export (%v): %s", err, rec.Body.String())
		}

		// Someone else's report, a missing one, an unknown format.
		for _, p := range []string{path, "/api/v1/reports/" + id + ".csv"} {
			rec, _ = e.call(t, "GET", p, e.bobKey, nil)
			want(t, rec, http.StatusNotFound)
		}
		rec, _ = e.call(t, "GET", "/api/v1/reports/"+id+".xlsx", e.aliceKey, nil)
		want(t, rec, http.StatusBadRequest)
		rec, _ = e.call(t, "GET", "/api/v1/reports/nope/export", e.aliceKey, nil)
		want(t, rec, http.StatusNotFound)
		rec, body = e.call(t, "GET", "/api/v1/reports/"+id+"/export?format=xlsx", e.aliceKey, nil)
		want(t, rec, http.StatusBadRequest)
		if field, _ := errField(body); field != "format" {
			t.Errorf("unknown format: %s", rec.Body.String())
		}
		rec, _ = e.call(t, "GET", path, "", nil)
		want(t, rec, http.StatusUnauthorized)
	})
}

// TestReportExportHTML exports a finished report as one HTML file: every
// item and every segment's taste is in it, the pictures are inlined, and
// it has no script; the status rules are those of the CSV export.
func TestReportExportHTML(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withCatalog(t)
		rec, body := e.call(t, "POST", "/api/v1/reports", e.aliceKey, nil)
		want(t, rec, http.StatusAccepted)
		id := body["id"].(string)
		path := "/api/v1/reports/" + id + "/export?format=html"
		rec, _ = e.call(t, "GET", path, e.aliceKey, nil)
		want(t, rec, http.StatusConflict)

		doc := htmlExportDoc(t, e, id)
		e.startWorker(t, jobs.Handlers{Report: func(ctx context.Context, r atelier.Report, _ progress.Func) (string, error) {
			data := mustJSON(t, doc)
			return report.Key(r.ID), e.blobs.Put(ctx, report.Key(r.ID), bytes.NewReader(data), int64(len(data)), "application/json")
		}})
		waitFor(t, "report "+id, func() bool {
			j, err := e.jobs.Get(ctx, id, atelier.AllScope())
			return err == nil && j.Status.Final()
		})

		for _, p := range []string{path, "/api/v1/reports/" + id + ".html"} {
			rec, _ = e.call(t, "GET", p, e.aliceKey, nil)
			want(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename=report-`+id+`.html` {
				t.Errorf("Content-Disposition %q", cd)
			}
			checkExportHTML(t, rec.Body.String(), doc)
		}

		rec, _ = e.call(t, "GET", path, e.bobKey, nil)
		want(t, rec, http.StatusNotFound)
		rec, _ = e.call(t, "GET", "/api/v1/reports/nope/export?format=html", e.aliceKey, nil)
		want(t, rec, http.StatusNotFound)
	})
}

// htmlExportDoc is exportDoc with each segment's favourites (the env's
// catalog items) and taste, and the best variant's image stored.
func htmlExportDoc(t *testing.T, e *env, id string) report.Doc {
	t.Helper()
	doc := exportDoc(id)
	for s := range doc.Segments {
		for _, name := range colourNames()[s:] {
			doc.Segments[s].TopItemIDs = append(doc.Segments[s].TopItemIDs, e.catalog[name].ID)
		}
		doc.Segments[s].Taste.Summary = fmt.Sprintf("Segment %d likes warmer & brighter colours.", s+1)
	}
	data := pngBytes(t, solid(palette["red"], atelier.ModelSize, atelier.ModelSize))
	key := doc.Items[0].Candidates[0].BestVariant.ImageKey
	if err := e.blobs.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkExportHTML parses the page and checks it holds doc, inlined and
// without scripts or links out.
func checkExportHTML(t *testing.T, page string, doc report.Doc) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("not HTML: %v", err)
	}
	var text strings.Builder
	var imgs, scripts int
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			text.WriteString(n.Data + " ")
		case n.Type == html.ElementNode && n.Data == "script":
			scripts++
		case n.Type == html.ElementNode && n.Data == "img":
			imgs++
			for _, a := range n.Attr {
				if a.Key == "src" && !strings.HasPrefix(a.Val, "data:image/png;base64,") {
					t.Errorf("image not inlined: %.60s", a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	for _, it := range doc.Items {
		if !strings.Contains(text.String(), it.ExternalID) {
			t.Errorf("no item %s", it.ExternalID)
		}
	}
	favourites := 0
	for _, sg := range doc.Segments {
		favourites += len(sg.TopItemIDs)
		if !strings.Contains(text.String(), sg.Taste.Summary) || !strings.Contains(text.String(), sg.Name) {
			t.Errorf("no segment %q or its taste %q", sg.Name, sg.Taste.Summary)
		}
	}
	if want := favourites + 1; imgs != want { // and the best variant
		t.Errorf("%d images, want %d", imgs, want)
	}
	outside := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
	if scripts != 0 || strings.Contains(outside, "http://") || strings.Contains(outside, "https://") {
		t.Errorf("%d scripts, or a link out of the page", scripts)
	}
}

// checkExportRows parses the CSV of exportDoc and checks every cell.
func checkExportRows(t *testing.T, body string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	if len(rows) != 5 || !slices.Equal(rows[0], report.CSVHeader) {
		t.Fatalf("rows %q", rows)
	}
	wantRows := [][]string{
		{"a", "sku-1", "dress", "s1", "warm, bold", "1.25", "1", "100", "", ""},
		{"a", "sku-1", "dress", "s2", `dark "minimal"`, "-0.5", "4", "25", "0.375", "URL"},
		{"b", "sku-2", "heel", "s1", "warm, bold", "0.1", "3", "50", "", ""},
		{"b", "sku-2", "heel", "s2", `dark "minimal"`, "2", "1", "100", "", ""},
	}
	for i, w := range wantRows {
		got := rows[i+1]
		if w[9] == "URL" {
			// A signed, short-lived link to the variant's image.
			if !strings.Contains(got[9], "redesigns/r1/2.png") {
				t.Errorf("row %d: best variant URL %q", i+1, got[9])
			}
			got, w = got[:9], w[:9]
		}
		if !slices.Equal(got, w) {
			t.Errorf("row %d: %q, want %q", i+1, got, w)
		}
	}
}
