package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/atelier-app/atelier/internal/synth"
)

// uploadProducts uploads products 1..n of the synthetic catalog of seed 5
// (product 0 is the seller page's upload) through the API, each a 96-px
// rendering on a 128-px white square.
func uploadProducts(t *testing.T, base, key string, n int) {
	t.Helper()
	items := synth.DrawCatalog(5, n+1)
	_, err := synth.RenderCatalog(context.Background(), items, 96, 1, func(i int, img *image.NRGBA) error {
		if i == 0 {
			return nil
		}
		canvas := image.NewRGBA(image.Rect(0, 0, 128, 128))
		draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(canvas, image.Rect(16, 16, 112, 112), img, image.Point{}, draw.Src)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("image", fmt.Sprintf("product-%d.png", i))
		if err == nil {
			err = png.Encode(fw, canvas)
		}
		for _, f := range [][2]string{{"category", string(items[i].Category)}, {"external_id", fmt.Sprintf("browser-item-%02d", i)}} {
			if err == nil {
				err = mw.WriteField(f[0], f[1])
			}
		}
		if err == nil {
			err = mw.Close()
		}
		if err != nil {
			return err
		}
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/items", &body)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("upload product %d = %d", i, resp.StatusCode)
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// checkRedesignFromReport asks, on the open report, for the bottom item
// of the first segment that has any to be redesigned, and waits for the
// page to show the finished job in that item's row: the best passing
// variant's picture and uplift, or that no variant passed. Asking again
// queues nothing.
func checkRedesignFromReport(t *testing.T, ctx context.Context, base, key string, doc reportDoc) {
	t.Helper()
	segment, item, worst := "", "", 0
	for _, sg := range doc.Segments {
		for _, it := range doc.Items {
			for _, c := range it.Candidates {
				if c.SegmentID == sg.ID && c.Rank > worst {
					item, worst = it.ItemID, c.Rank
				}
			}
		}
		if item != "" {
			segment = sg.ID
			break
		}
	}
	if segment == "" {
		t.Fatal("no segment has one of the seller's items in its bottom half")
	}
	box := fmt.Sprintf(`#segments [data-segment=%q]`, segment)
	cell := fmt.Sprintf(`%s tr[data-item=%q] .redesign-cell`, box, item)
	if n := countNodes(t, ctx, box+" .redesign-one"); n == 0 {
		t.Fatal("no \"Redesign for this segment\" button in the segment's bottom half")
	}
	act(t, ctx,
		chromedp.SetValue(box+" .bottom-n", "1", chromedp.ByQuery),
		chromedp.Click(box+" .bottom-form button", chromedp.ByQuery),
		chromedp.WaitVisible(cell+" [data-job]", chromedp.ByQuery))
	// The row follows the job until it finishes.
	end := time.Now().Add(150 * time.Second)
	var job struct {
		ID, Status string
		Variants   []struct {
			Passed bool
			Scores map[string]float64
		}
	}
	for {
		var list struct {
			Redesigns []struct {
				ID, Status string
				ItemID     string `json:"item_id"`
			} `json:"redesigns"`
		}
		getJSON(t, base+"/api/v1/reports/"+doc.ReportID+"/redesigns?segment_id="+segment, key, &list)
		i := slices.IndexFunc(list.Redesigns, func(j struct {
			ID, Status string
			ItemID     string `json:"item_id"`
		}) bool {
			return j.ItemID == item
		})
		if i < 0 {
			t.Fatalf("the report lists no redesign of the segment's bottom item (%+v)", list.Redesigns)
		}
		if list.Redesigns[i].Status == "succeeded" {
			getJSON(t, base+"/api/v1/redesigns/"+list.Redesigns[i].ID, key, &job)
			break
		}
		if list.Redesigns[i].Status == "failed" || time.Now().After(end) {
			t.Fatalf("the redesign asked for from the report is %s", list.Redesigns[i].Status)
		}
		time.Sleep(time.Second)
	}
	best, passed := math.Inf(-1), false
	for _, v := range job.Variants {
		if v.Passed {
			passed, best = true, math.Max(best, v.Scores["uplift"])
		}
	}
	if !passed {
		waitText(t, ctx, cell, "No variant passed the checks.")
		t.Logf("the redesign of %s has no passing variant", item)
	} else {
		waitText(t, ctx, cell, fmt.Sprintf("uplift %+.3f", best))
		if n := countLoaded(t, ctx, cell+" .variant img", 2); n != 2 {
			t.Errorf("%d of the item's photo and its best variant are shown", n)
		}
	}
	var before struct {
		Redesigns []any `json:"redesigns"`
	}
	getJSON(t, base+"/api/v1/redesigns?limit=100", key, &before)
	act(t, ctx, chromedp.Click(box+" .bottom-form button", chromedp.ByQuery))
	time.Sleep(time.Second)
	var after struct {
		Redesigns []any `json:"redesigns"`
	}
	getJSON(t, base+"/api/v1/redesigns?limit=100", key, &after)
	if len(after.Redesigns) != len(before.Redesigns) {
		t.Errorf("asking again queued %d more redesigns", len(after.Redesigns)-len(before.Redesigns))
	}
	if msg := text(t, ctx, "#error"); msg != "" {
		t.Fatalf("error shown: %q", msg)
	}
}

// download clicks button and returns the path of the one file the
// browser saved in dir with the extension ext.
func download(t *testing.T, ctx context.Context, dir, button, ext string) string {
	t.Helper()
	act(t, ctx,
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir),
		chromedp.Click(button, chromedp.ByQuery))
	waitText(t, ctx, "#download-state", "Downloaded report-")
	end := time.Now().Add(15 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "report-*."+ext))
		if len(files) == 1 {
			return files[0]
		}
		if time.Now().After(end) {
			t.Fatalf("no .%s file downloaded into %s (found %v)", ext, dir, files)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cellKey names one item × segment of a report.
type cellKey struct{ item, segment string }

type rankCell struct {
	rank       int
	percentile float64
}

// checkCSVDownload downloads the CSV from the page and checks it has a
// header and the report's rank and percentile for every item × segment.
func checkCSVDownload(t *testing.T, ctx context.Context, dir string, doc reportDoc) map[cellKey]rankCell {
	t.Helper()
	data, err := os.ReadFile(download(t, ctx, dir, "#csv-button", "csv"))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(records) != 1+len(doc.Items)*len(doc.Segments) || records[0][0] != "item_id" {
		t.Fatalf("downloaded CSV: %d records (%v), want a header and %d rows", len(records), err, len(doc.Items)*len(doc.Segments))
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	rows := map[cellKey]rankCell{}
	for _, r := range records[1:] {
		rank, err1 := strconv.Atoi(r[col["rank"]])
		pct, err2 := strconv.ParseFloat(r[col["percentile"]], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("CSV row %v", r)
		}
		rows[cellKey{r[col["item_id"]], r[col["segment_id"]]}] = rankCell{rank, pct}
	}
	for _, it := range doc.Items {
		for _, sc := range it.Scores {
			if got := rows[cellKey{it.ItemID, sc.SegmentID}]; got.rank != sc.Rank || got.percentile != sc.Percentile {
				t.Errorf("CSV says %+v for %s × %s, the report %d, %g", got, it.ExternalID, sc.SegmentID, sc.Rank, sc.Percentile)
			}
		}
	}
	return rows
}

// checkHTMLOffline opens the downloaded HTML file in a new tab with the
// network off and checks that every picture loads and that each
// segment's table gives the CSV's rank and percentile for every item.
func checkHTMLOffline(t *testing.T, browser context.Context, path string, want map[cellKey]rankCell) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	act(t, ctx,
		network.Enable(),
		network.EmulateNetworkConditions(true, 0, -1, -1),
		chromedp.Navigate("file://"+path),
		chromedp.WaitVisible("section.segment", chromedp.ByQuery))
	var imgs, loaded int
	act(t, ctx, chromedp.Evaluate(`document.images.length`, &imgs))
	if loaded = countLoaded(t, ctx, "img", imgs); loaded != imgs || imgs == 0 {
		t.Errorf("offline, %d of %d pictures of the HTML file load", loaded, imgs)
	}
	// Each row: [segment id, item id, rank, percentile], from the page.
	var rows [][]string
	act(t, ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("section.segment")).flatMap((s) =>
		Array.from(s.querySelectorAll("tbody tr"), (tr) => [s.id.replace(/^segment-/, ""),
			tr.cells[1].querySelector(".muted").textContent, tr.cells[0].textContent, tr.cells[3].textContent.trim()]))`, &rows))
	if len(rows) != len(want) {
		t.Fatalf("the HTML file has %d item rows, the CSV %d", len(rows), len(want))
	}
	for _, r := range rows {
		w, ok := want[cellKey{r[1], r[0]}]
		rank, err1 := strconv.Atoi(r[2])
		pct, err2 := strconv.ParseFloat(r[3], 64)
		if !ok || err1 != nil || err2 != nil || rank != w.rank || math.Abs(pct-w.percentile) > 0.05 {
			t.Errorf("the HTML file says rank %s, percentile %s for %s × %s; the CSV %+v", r[2], r[3], r[1], r[0], w)
		}
	}
}

// countNodes counts the elements matching sel.
func countNodes(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	var n int
	act(t, ctx, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n
}
