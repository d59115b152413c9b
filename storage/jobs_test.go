package storage_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func newJob(w world) atelier.RedesignJob {
	return atelier.RedesignJob{
		SellerID: w.alice.ID, ItemID: w.aliceItem.ID, SegmentID: w.segment.ID,
		N: 3, Epsilon: 0.5, Steps: 40, Seed: 7, RecommenderVersionID: w.recVersion.ID,
	}
}

func TestRedesignJobs(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		alice, bob := w.alice.Scope(), w.bob.Scope()

		if _, ok, err := s.ClaimRedesignJob(ctx); ok || err != nil {
			t.Fatalf("claim from an empty queue: ok=%v err=%v", ok, err)
		}
		job := must(s.CreateRedesignJob(ctx, newJob(w)))(t)
		if job.Status != atelier.JobQueued || job.ID == "" {
			t.Fatalf("created %+v", job)
		}
		_, err := s.GetRedesignJob(ctx, job.ID, bob)
		wantKind(t, err, atelier.KindNotFound)
		if got := must(s.ListRedesignJobs(ctx, bob, storage.RedesignFilter{}))(t); len(got) != 0 {
			t.Fatalf("bob sees %+v", got)
		}
		// Progress before the job runs is refused.
		wantKind(t, s.UpdateRedesignProgress(ctx, job.ID, atelier.Progress{Stage: "invert"}), atelier.KindConflict)

		claimed, ok, err := s.ClaimRedesignJob(ctx)
		if err != nil || !ok || claimed.ID != job.ID || claimed.Status != atelier.JobRunning || claimed.StartedAt.IsZero() {
			t.Fatalf("claimed %+v ok=%v err=%v", claimed, ok, err)
		}
		if claimed.N != 3 || claimed.Epsilon != 0.5 || claimed.Steps != 40 || claimed.Seed != 7 || claimed.RecommenderVersionID != w.recVersion.ID {
			t.Fatalf("parameters lost: %+v", claimed)
		}
		if _, ok, _ := s.ClaimRedesignJob(ctx); ok {
			t.Fatal("one job claimed twice")
		}
		p := atelier.Progress{Stage: "shift", Step: 10, Total: 40}
		if err := s.UpdateRedesignProgress(ctx, job.ID, p); err != nil {
			t.Fatal(err)
		}
		if got := must(s.GetRedesignJob(ctx, job.ID, alice))(t); got.Progress != p {
			t.Fatalf("progress %+v", got.Progress)
		}
		variants := []atelier.Variant{
			{Rank: 2, ImageKey: "redesigns/x/2.png", Scores: map[string]float64{"lift": 0.1}, Flags: []string{"far"}},
			{Rank: 1, ImageKey: "redesigns/x/1.png", Scores: map[string]float64{"lift": 0.3, "realism": 0.9}, Passed: true},
		}
		wantKind(t, s.FinishRedesignJob(ctx, job.ID, []atelier.Variant{{Rank: 0, ImageKey: "k"}}), atelier.KindInvalid)
		if err := s.FinishRedesignJob(ctx, job.ID, variants); err != nil {
			t.Fatal(err)
		}
		done := must(s.GetRedesignJob(ctx, job.ID, alice))(t)
		if done.Status != atelier.JobSucceeded || done.FinishedAt.IsZero() || len(done.Variants) != 2 {
			t.Fatalf("finished %+v", done)
		}
		if v := done.Variants[0]; v.Rank != 1 || !v.Passed || v.Scores["realism"] != 0.9 || len(v.Flags) != 0 {
			t.Fatalf("best variant %+v", v)
		}
		if v := done.Variants[1]; !reflect.DeepEqual(v.Flags, []string{"far"}) {
			t.Fatalf("flags %+v", v.Flags)
		}
		// A final job stays final.
		wantKind(t, s.FinishRedesignJob(ctx, job.ID, nil), atelier.KindConflict)
		wantKind(t, s.FailRedesignJob(ctx, job.ID, "late"), atelier.KindConflict)
		_, err = s.CancelRedesignJob(ctx, job.ID, alice)
		wantKind(t, err, atelier.KindConflict)

		// Cancelling a running job makes its worker's next report fail.
		j2 := must(s.CreateRedesignJob(ctx, newJob(w)))(t)
		claim(t, s)
		_, err = s.CancelRedesignJob(ctx, j2.ID, bob)
		wantKind(t, err, atelier.KindNotFound)
		if c := must(s.CancelRedesignJob(ctx, j2.ID, alice))(t); c.Status != atelier.JobCancelled {
			t.Fatalf("cancelled %+v", c)
		}
		wantKind(t, s.UpdateRedesignProgress(ctx, j2.ID, p), atelier.KindConflict)
		wantKind(t, s.UpdateRedesignProgress(ctx, "missing", p), atelier.KindNotFound)

		// A failed job keeps its reason.
		j3 := must(s.CreateRedesignJob(ctx, newJob(w)))(t)
		if err := s.FailRedesignJob(ctx, j3.ID, "the image has no product in it"); err != nil {
			t.Fatal(err)
		}
		if got := must(s.GetRedesignJob(ctx, j3.ID, atelier.AllScope()))(t); got.Status != atelier.JobFailed || got.Error == "" {
			t.Fatalf("failed job %+v", got)
		}
		failed := must(s.ListRedesignJobs(ctx, alice, storage.RedesignFilter{Status: atelier.JobFailed}))(t)
		if len(failed) != 1 || failed[0].ID != j3.ID {
			t.Fatalf("failed list %+v", failed)
		}
		newest := must(s.ListRedesignJobs(ctx, alice, storage.RedesignFilter{Page: storage.Page{Desc: true, Limit: 2}}))(t)
		if len(newest) != 2 || newest[0].ID != j3.ID || newest[1].ID != j2.ID {
			t.Fatalf("newest first %+v", newest)
		}

		// Jobs of a dead worker go back to the queue.
		j4 := must(s.CreateRedesignJob(ctx, newJob(w)))(t)
		claim(t, s)
		if n := must(s.RequeueStaleRedesignJobs(ctx, time.Now().Add(-time.Hour)))(t); n != 0 {
			t.Fatalf("requeued %d fresh jobs", n)
		}
		if n := must(s.RequeueStaleRedesignJobs(ctx, time.Now().Add(time.Hour)))(t); n != 1 {
			t.Fatalf("requeued %d stale jobs, want 1", n)
		}
		if again, ok, err := s.ClaimRedesignJob(ctx); !ok || err != nil || again.ID != j4.ID {
			t.Fatalf("reclaim %+v %v %v", again, ok, err)
		}

		for _, edit := range []func(*atelier.RedesignJob){
			func(j *atelier.RedesignJob) { j.N = 0 },
			func(j *atelier.RedesignJob) { j.N = storage.MaxRedesignVariants + 1 },
			func(j *atelier.RedesignJob) { j.Epsilon = 0 },
			func(j *atelier.RedesignJob) { j.Steps = 0 },
			func(j *atelier.RedesignJob) { j.SegmentID = "" },
		} {
			bad := newJob(w)
			edit(&bad)
			_, err := s.CreateRedesignJob(ctx, bad)
			wantKind(t, err, atelier.KindInvalid)
		}
		missing := newJob(w)
		missing.GANVersionID = "missing"
		_, err = s.CreateRedesignJob(ctx, missing)
		wantKind(t, err, atelier.KindConflict)
	})
}

func TestConcurrentClaims(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		const jobs, workers = 12, 4
		for range jobs {
			must(s.CreateRedesignJob(ctx, newJob(w)))(t)
		}
		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, workers)
		)
		for range workers {
			wg.Go(func() {
				for {
					j, ok, err := s.ClaimRedesignJob(ctx)
					if err != nil {
						errs <- err
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					claimed[j.ID]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("claim: %v", err)
		}
		if len(claimed) != jobs {
			t.Fatalf("%d of %d jobs claimed", len(claimed), jobs)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("job %s claimed %d times", id, n)
			}
		}
		running := must(s.ListRedesignJobs(ctx, atelier.AllScope(), storage.RedesignFilter{Status: atelier.JobRunning}))(t)
		if len(running) != jobs {
			t.Fatalf("%d jobs running, want %d", len(running), jobs)
		}
	})
}

func TestReports(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		alice, bob := w.alice.Scope(), w.bob.Scope()

		r := must(s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: w.segment.ID}))(t)
		_, err := s.GetReport(ctx, r.ID, bob)
		wantKind(t, err, atelier.KindNotFound)
		wantKind(t, s.FinishReport(ctx, r.ID, "reports/x.json"), atelier.KindConflict)
		claimed, ok, err := s.ClaimReport(ctx)
		if !ok || err != nil || claimed.ID != r.ID || claimed.Status != atelier.JobRunning {
			t.Fatalf("claim %+v %v %v", claimed, ok, err)
		}
		if err := s.UpdateReportProgress(ctx, r.ID, atelier.Progress{Stage: "rank", Step: 1, Total: 2}); err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.FinishReport(ctx, r.ID, ""), atelier.KindInvalid)
		if err := s.FinishReport(ctx, r.ID, "reports/x.json"); err != nil {
			t.Fatal(err)
		}
		got := must(s.GetReport(ctx, r.ID, alice))(t)
		if got.Status != atelier.JobSucceeded || got.ResultKey != "reports/x.json" || got.Progress.Stage != "rank" || got.FinishedAt.IsZero() {
			t.Fatalf("report %+v", got)
		}
		r2 := must(s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: w.segment.ID}))(t)
		if c := must(s.CancelReport(ctx, r2.ID, alice))(t); c.Status != atelier.JobCancelled {
			t.Fatalf("cancelled %+v", c)
		}
		r3 := must(s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: w.segment.ID}))(t)
		if err := s.FailReport(ctx, r3.ID, "segment is empty"); err != nil {
			t.Fatal(err)
		}
		if l := must(s.ListReports(ctx, alice, storage.ReportFilter{SegmentID: w.segment.ID}))(t); len(l) != 3 {
			t.Fatalf("alice's reports %+v", l)
		}
		if l := must(s.ListReports(ctx, bob, storage.ReportFilter{}))(t); len(l) != 0 {
			t.Fatalf("bob's reports %+v", l)
		}
		if n := must(s.RequeueStaleReports(ctx, time.Now().Add(time.Hour)))(t); n != 0 {
			t.Fatalf("requeued %d reports that were not running", n)
		}
		_, err = s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID})
		wantKind(t, err, atelier.KindInvalid)
		_, err = s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: "missing"})
		wantKind(t, err, atelier.KindConflict)
	})
}

// claim claims the next redesign job, failing unless there is one.
func claim(t *testing.T, s *storage.Store) atelier.RedesignJob {
	t.Helper()
	j, ok, err := s.ClaimRedesignJob(context.Background())
	if err != nil || !ok {
		t.Fatalf("claim: ok=%v err=%v", ok, err)
	}
	return j
}
