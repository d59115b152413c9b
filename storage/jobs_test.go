package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func newJob(w world) atelier.RedesignJob {
	return atelier.RedesignJob{
		SellerID: w.alice.ID, ItemID: w.aliceItem.ID, SegmentID: w.segment.ID,
		N: 3, Epsilon: 0.5, Steps: 40, Seed: 7, RecommenderVersionID: w.recVersion.ID,
	}
}

// createRedesign creates a redesign job without idempotency key.
func createRedesign(t *testing.T, s *storage.Store, j atelier.RedesignJob) atelier.RedesignJob {
	t.Helper()
	out, created, err := s.CreateRedesignJob(context.Background(), j, storage.JobOptions{})
	if err != nil || !created {
		t.Fatalf("create redesign: created=%v err=%v", created, err)
	}
	return out
}

// start starts the first attempt of job id, failing unless it starts.
func start(t *testing.T, s *storage.Store, id, token string) atelier.Job {
	t.Helper()
	j, outcome, err := s.StartJobAttempt(context.Background(), id, 1, token, time.Now().Add(-time.Hour))
	if err != nil || outcome != storage.AttemptStarted {
		t.Fatalf("start %s: outcome=%v err=%v", id, outcome, err)
	}
	return j
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func TestRedesignJobs(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		alice, bob := w.alice.Scope(), w.bob.Scope()

		job := createRedesign(t, s, newJob(w))
		if job.Status != atelier.JobQueued || job.ID == "" || job.CreatedAt.IsZero() {
			t.Fatalf("created %+v", job)
		}
		_, err := s.GetRedesignJob(ctx, job.ID, bob)
		testkit.WantKind(t, err, atelier.KindNotFound)
		if got := testkit.Must(s.ListRedesignJobs(ctx, bob, storage.RedesignFilter{}))(t); len(got) != 0 {
			t.Fatalf("bob sees %+v", got)
		}
		// The redesign is a job of kind redesign owned by the seller.
		lc := testkit.Must(s.GetJob(ctx, job.ID, alice))(t)
		if lc.Kind != atelier.JobRedesign || lc.OwnerID != w.alice.ID || lc.MaxAttempts != storage.DefaultMaxAttempts {
			t.Fatalf("job record %+v", lc)
		}
		var args map[string]any
		if err := json.Unmarshal(lc.Args, &args); err != nil || args["item_id"] != w.aliceItem.ID || args["n"] != 3.0 {
			t.Fatalf("args %s (%v)", lc.Args, err)
		}
		// Progress before the job runs is refused.
		wantErr(t, s.HeartbeatJob(ctx, job.ID, "tok", &atelier.Progress{Stage: "invert"}), storage.ErrClaimLost)

		started := start(t, s, job.ID, "tok-1")
		if started.Status != atelier.JobRunning || started.Attempt != 1 || started.StartedAt.IsZero() || started.HeartbeatAt.IsZero() {
			t.Fatalf("started %+v", started)
		}
		p := atelier.Progress{Stage: "shift", Step: 10, Total: 40}
		if err := s.HeartbeatJob(ctx, job.ID, "tok-1", &p); err != nil {
			t.Fatal(err)
		}
		testkit.WantKind(t, s.HeartbeatJob(ctx, job.ID, "tok-1", &atelier.Progress{Stage: "x", Step: -1}), atelier.KindInvalid)
		got := testkit.Must(s.GetRedesignJob(ctx, job.ID, alice))(t)
		if got.Progress != p || got.Status != atelier.JobRunning {
			t.Fatalf("progress %+v", got)
		}
		variants := []atelier.Variant{
			{Rank: 2, ImageKey: "redesigns/x/2.png", Scores: map[string]float64{"lift": 0.1}, Flags: []string{"far"}},
			{Rank: 1, ImageKey: "redesigns/x/1.png", Scores: map[string]float64{"lift": 0.3, "realism": 0.9}, Passed: true},
		}
		bad := atelier.RedesignResult{Variants: []atelier.Variant{{Rank: 0, ImageKey: "k"}}}
		testkit.WantKind(t, s.CompleteRedesignJob(ctx, job.ID, "tok-1", bad), atelier.KindInvalid)
		res := atelier.RedesignResult{Variants: variants, GANVersionID: w.recVersion.ID}
		wantErr(t, s.CompleteRedesignJob(ctx, job.ID, "other-token", res), storage.ErrClaimLost)
		if err := s.CompleteRedesignJob(ctx, job.ID, "tok-1", res); err != nil {
			t.Fatal(err)
		}
		done := testkit.Must(s.GetRedesignJob(ctx, job.ID, alice))(t)
		if done.Status != atelier.JobSucceeded || done.FinishedAt.IsZero() || len(done.Variants) != 2 {
			t.Fatalf("finished %+v", done)
		}
		if done.RecommenderVersionID != w.recVersion.ID || done.GANVersionID != w.recVersion.ID {
			t.Fatalf("model versions used: %+v", done)
		}
		if v := done.Variants[0]; v.Rank != 1 || !v.Passed || v.Scores["realism"] != 0.9 || len(v.Flags) != 0 {
			t.Fatalf("best variant %+v", v)
		}
		if v := done.Variants[1]; !reflect.DeepEqual(v.Flags, []string{"far"}) {
			t.Fatalf("flags %+v", v.Flags)
		}
		// A second completion, by the same attempt or any other, changes
		// nothing: the job completes once.
		wantErr(t, s.CompleteRedesignJob(ctx, job.ID, "tok-1", res), storage.ErrJobFinished)
		if again := testkit.Must(s.GetRedesignJob(ctx, job.ID, alice))(t); len(again.Variants) != 2 {
			t.Fatalf("variants after a second completion: %d", len(again.Variants))
		}
		_, err = s.FailJobAttempt(ctx, job.ID, "tok-1", "late", false)
		wantErr(t, err, storage.ErrJobFinished)
		_, err = s.CancelJob(ctx, job.ID, alice)
		testkit.WantKind(t, err, atelier.KindConflict)

		// Cancelling a running job makes its attempt's next write fail.
		j2 := createRedesign(t, s, newJob(w))
		start(t, s, j2.ID, "tok-2")
		_, err = s.CancelJob(ctx, j2.ID, bob)
		testkit.WantKind(t, err, atelier.KindNotFound)
		if c := testkit.Must(s.CancelJob(ctx, j2.ID, alice))(t); c.Status != atelier.JobCancelled || c.FinishedAt.IsZero() {
			t.Fatalf("cancelled %+v", c)
		}
		wantErr(t, s.HeartbeatJob(ctx, j2.ID, "tok-2", &p), storage.ErrJobCancelled)
		wantErr(t, s.CompleteRedesignJob(ctx, j2.ID, "tok-2", res), storage.ErrJobCancelled)
		if _, outcome, _ := s.StartJobAttempt(ctx, j2.ID, 1, "tok-3", time.Now().Add(time.Hour)); outcome != storage.AttemptFinished {
			t.Fatalf("a cancelled job started again: %v", outcome)
		}

		// A failed job keeps its reason.
		j3 := createRedesign(t, s, newJob(w))
		start(t, s, j3.ID, "tok-3")
		failed := testkit.Must(s.FailJobAttempt(ctx, j3.ID, "tok-3", "the image has no product in it", false))(t)
		if failed.Status != atelier.JobFailed || failed.Error != "the image has no product in it" {
			t.Fatalf("failed job %+v", failed)
		}
		list := testkit.Must(s.ListRedesignJobs(ctx, alice, storage.RedesignFilter{Status: atelier.JobFailed}))(t)
		if len(list) != 1 || list[0].ID != j3.ID || list[0].Error == "" {
			t.Fatalf("failed list %+v", list)
		}
		newest := testkit.Must(s.ListRedesignJobs(ctx, alice, storage.RedesignFilter{Page: storage.Page{Desc: true, Limit: 2}}))(t)
		if len(newest) != 2 || newest[0].ID != j3.ID || newest[1].ID != j2.ID || newest[1].Status != atelier.JobCancelled {
			t.Fatalf("newest first %+v", newest)
		}
		bySegment := testkit.Must(s.ListRedesignJobs(ctx, alice, storage.RedesignFilter{SegmentID: w.segment.ID}))(t)
		other := testkit.Must(s.ListRedesignJobs(ctx, alice, storage.RedesignFilter{SegmentID: "another-segment"}))(t)
		if len(bySegment) != 3 || len(other) != 0 {
			t.Fatalf("by segment: %d jobs of its segment, %d of another", len(bySegment), len(other))
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
			_, _, err := s.CreateRedesignJob(ctx, bad, storage.JobOptions{})
			testkit.WantKind(t, err, atelier.KindInvalid)
		}
		missing := newJob(w)
		missing.GANVersionID = "missing"
		_, _, err = s.CreateRedesignJob(ctx, missing, storage.JobOptions{})
		testkit.WantKind(t, err, atelier.KindConflict)
		// Nothing half-written: the failed creation left no job behind.
		all := testkit.Must(s.ListJobs(ctx, atelier.AllScope(), storage.JobFilter{Kind: atelier.JobRedesign}))(t)
		if len(all) != 3 {
			t.Fatalf("%d redesign jobs, want 3", len(all))
		}
	})
}

func TestIdempotencyKeys(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		key := storage.JobOptions{IdempotencyKey: "req-1"}

		first, created, err := s.CreateJob(ctx, atelier.JobTrainRecommender, "", json.RawMessage(`{"epochs": 3, "seed": 1}`), key)
		if err != nil || !created {
			t.Fatalf("first: created=%v err=%v", created, err)
		}
		// The same request (keys in another order, other spacing) is the
		// same job.
		again, created, err := s.CreateJob(ctx, atelier.JobTrainRecommender, "", json.RawMessage(`{"seed":1,"epochs":3}`), key)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("retry: id=%s created=%v err=%v, want %s", again.ID, created, err, first.ID)
		}
		// Another request under the same key is a conflict.
		_, _, err = s.CreateJob(ctx, atelier.JobTrainRecommender, "", json.RawMessage(`{"epochs": 4, "seed": 1}`), key)
		testkit.WantKind(t, err, atelier.KindConflict)
		_, _, err = s.CreateJob(ctx, atelier.JobTrainGAN, "", json.RawMessage(`{"epochs": 3, "seed": 1}`), key)
		testkit.WantKind(t, err, atelier.KindConflict)
		// Keys belong to their owner.
		other, created, err := s.CreateJob(ctx, atelier.JobTrainRecommender, w.alice.ID, json.RawMessage(`{"epochs": 3, "seed": 1}`), key)
		if err != nil || !created || other.ID == first.ID {
			t.Fatalf("another owner's key: created=%v err=%v", created, err)
		}

		// Alice already used req-1 for a training job.
		_, _, err = s.CreateRedesignJob(ctx, newJob(w), key)
		testkit.WantKind(t, err, atelier.KindConflict)
		key = storage.JobOptions{IdempotencyKey: "req-2"}
		r1, created, err := s.CreateRedesignJob(ctx, newJob(w), key)
		if err != nil || !created {
			t.Fatalf("redesign: created=%v err=%v", created, err)
		}
		r2, created, err := s.CreateRedesignJob(ctx, newJob(w), key)
		if err != nil || created || r2.ID != r1.ID {
			t.Fatalf("redesign retry: %s created=%v err=%v", r2.ID, created, err)
		}
		changed := newJob(w)
		changed.Seed++
		_, _, err = s.CreateRedesignJob(ctx, changed, key)
		testkit.WantKind(t, err, atelier.KindConflict)

		// Concurrent requests with one key make one job.
		var wg sync.WaitGroup
		ids := make([]string, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Go(func() {
				j, _, err := s.CreateJob(ctx, atelier.JobImport, "", json.RawMessage(`{"dir":"x"}`), storage.JobOptions{IdempotencyKey: "race"})
				ids[i], errs[i] = j.ID, err
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("concurrent create %d: id=%s err=%v, want %s", i, ids[i], errs[i], ids[0])
			}
		}

		for _, tt := range []struct {
			kind string
			args string
			o    storage.JobOptions
		}{
			{"bake-bread", `{}`, storage.JobOptions{}},
			{atelier.JobImport, `[1, 2]`, storage.JobOptions{}},
			{atelier.JobImport, `{"a": 1} {}`, storage.JobOptions{}},
			{atelier.JobImport, `{`, storage.JobOptions{}},
			{atelier.JobImport, `{}`, storage.JobOptions{MaxAttempts: -1}},
			{atelier.JobImport, `{}`, storage.JobOptions{IdempotencyKey: string(make([]byte, 201))}},
			{atelier.JobRedesign, `{}`, storage.JobOptions{}},
		} {
			_, _, err := s.CreateJob(ctx, tt.kind, "", json.RawMessage(tt.args), tt.o)
			testkit.WantKind(t, err, atelier.KindInvalid)
		}
	})
}

func TestJobAttempts(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		job, _, err := s.CreateJob(ctx, atelier.JobTrainRecommender, "", nil, storage.JobOptions{MaxAttempts: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, outcome, _ := s.StartJobAttempt(ctx, job.ID, 2, "a", past); outcome != storage.AttemptObsolete {
			t.Fatalf("a delivery that is not the current one started: %v", outcome)
		}
		start(t, s, job.ID, "a")
		// While attempt a is alive, another delivery of the job waits.
		if _, outcome, _ := s.StartJobAttempt(ctx, job.ID, 1, "b", past); outcome != storage.AttemptBusy {
			t.Fatalf("second attempt beside a live one: %v", outcome)
		}
		// Attempt a stops responding: the job gets a new delivery, and the
		// old one is obsolete.
		d := testkit.Must(s.GetJobDelivery(ctx, job.ID))(t)
		if _, ok, _ := s.RedispatchJob(ctx, d, past); ok {
			t.Fatal("a job with a fresh heartbeat was redispatched")
		}
		if stale := testkit.Must(s.StaleJobs(ctx, future, 10))(t); len(stale) != 1 || stale[0].ID != job.ID {
			t.Fatalf("stale jobs %+v", stale)
		}
		nd, ok, err := s.RedispatchJob(ctx, d, future)
		if err != nil || !ok || nd.Dispatch != 2 || nd.Status != atelier.JobQueued || nd.RiverJobID != 0 {
			t.Fatalf("redispatch %+v ok=%v err=%v", nd, ok, err)
		}
		if _, ok, _ := s.RedispatchJob(ctx, d, future); ok {
			t.Fatal("one stale attempt redispatched twice")
		}
		if err := s.SetJobRiverID(ctx, job.ID, 2, 42); err != nil {
			t.Fatal(err)
		}
		if got := testkit.Must(s.GetJobDelivery(ctx, job.ID))(t); got.RiverJobID != 42 || got.Error != "attempt 1 stopped responding" {
			t.Fatalf("delivery %+v", got)
		}
		if _, outcome, _ := s.StartJobAttempt(ctx, job.ID, 1, "c", future); outcome != storage.AttemptObsolete {
			t.Fatalf("old delivery: %v", outcome)
		}
		b, outcome, err := s.StartJobAttempt(ctx, job.ID, 2, "b", past)
		if err != nil || outcome != storage.AttemptStarted || b.Attempt != 2 {
			t.Fatalf("attempt b: %+v %v %v", b, outcome, err)
		}
		// Attempt a comes back to life: it can change nothing.
		wantErr(t, s.HeartbeatJob(ctx, job.ID, "a", nil), storage.ErrClaimLost)
		_, err = s.CompleteTrainingJob(ctx, job.ID, "a", atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/a"})
		wantErr(t, err, storage.ErrClaimLost)
		_, err = s.FailJobAttempt(ctx, job.ID, "a", "a failed", true)
		wantErr(t, err, storage.ErrClaimLost)

		mv, err := s.CompleteTrainingJob(ctx, job.ID, "b", atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/b", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.CompleteTrainingJob(ctx, job.ID, "b", atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/b"})
		wantErr(t, err, storage.ErrJobFinished)
		versions := testkit.Must(s.ListModelVersions(ctx, atelier.ModelRecommender))(t)
		if len(versions) != 1 || versions[0].ID != mv.ID || !versions[0].Active {
			t.Fatalf("model versions %+v", versions)
		}
		done := testkit.Must(s.GetJob(ctx, job.ID, atelier.AllScope()))(t)
		var result map[string]string
		if err := json.Unmarshal(done.Result, &result); err != nil || result["model_version_id"] != mv.ID {
			t.Fatalf("result %s (%v)", done.Result, err)
		}
		if done.Status != atelier.JobSucceeded || done.Error != "" || done.Attempt != 2 {
			t.Fatalf("done %+v", done)
		}
	})
}

func TestJobRetriesAndRelease(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		job, _, err := s.CreateJob(ctx, atelier.JobImport, "", nil, storage.JobOptions{MaxAttempts: 2})
		if err != nil {
			t.Fatal(err)
		}
		start(t, s, job.ID, "a")
		// A shutdown releases the job without using up an attempt.
		if err := s.ReleaseJob(ctx, job.ID, "a"); err != nil {
			t.Fatal(err)
		}
		start(t, s, job.ID, "b")
		j := testkit.Must(s.FailJobAttempt(ctx, job.ID, "b", "disk full", true))(t)
		if j.Status != atelier.JobQueued || j.Error != "disk full" || j.Attempt != 1 {
			t.Fatalf("after a retryable failure: %+v", j)
		}
		if waiting := testkit.Must(s.WaitingJobs(ctx, future, 10))(t); len(waiting) != 1 {
			t.Fatalf("waiting jobs %+v", waiting)
		}
		if waiting := testkit.Must(s.WaitingJobs(ctx, past, 10))(t); len(waiting) != 0 {
			t.Fatalf("recently updated job reported waiting: %+v", waiting)
		}
		start(t, s, job.ID, "c")
		j = testkit.Must(s.FailJobAttempt(ctx, job.ID, "c", "disk still full", true))(t)
		if j.Status != atelier.JobFailed || j.Error != "disk still full" || j.Attempt != 2 || j.FinishedAt.IsZero() {
			t.Fatalf("after the last attempt: %+v", j)
		}

		// Attempts that die count too: the job fails once they are used up.
		k, _, _ := s.CreateJob(ctx, atelier.JobImport, "", nil, storage.JobOptions{MaxAttempts: 1})
		start(t, s, k.ID, "a")
		k2, outcome, err := s.StartJobAttempt(ctx, k.ID, 1, "b", future)
		if err != nil || outcome != storage.AttemptFinished || k2.Status != atelier.JobFailed || k2.Error == "" {
			t.Fatalf("exhausted stale job: %+v %v %v", k2, outcome, err)
		}
	})
}

func TestConcurrentStarts(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const jobs, workers = 12, 4
		var ids []string
		for range jobs {
			j, _, err := s.CreateJob(ctx, atelier.JobImport, "", nil, storage.JobOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		var (
			mu      sync.Mutex
			started = map[string]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, workers*jobs)
		)
		for w := range workers {
			wg.Go(func() {
				for _, id := range ids {
					_, outcome, err := s.StartJobAttempt(ctx, id, 1, fmt.Sprintf("w%d", w), time.Now().Add(-time.Hour))
					if err != nil {
						errs <- err
						continue
					}
					if outcome == storage.AttemptStarted {
						mu.Lock()
						started[id]++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("start: %v", err)
		}
		if len(started) != jobs {
			t.Fatalf("%d of %d jobs started", len(started), jobs)
		}
		for id, n := range started {
			if n != 1 {
				t.Errorf("job %s started %d times", id, n)
			}
		}
	})
}

func TestReports(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		alice, bob := w.alice.Scope(), w.bob.Scope()
		create := func() atelier.Report {
			t.Helper()
			r, _, err := s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: w.segment.ID}, storage.JobOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		r := create()
		if r.Status != atelier.JobQueued {
			t.Fatalf("created %+v", r)
		}
		_, err := s.GetReport(ctx, r.ID, bob)
		testkit.WantKind(t, err, atelier.KindNotFound)
		wantErr(t, s.CompleteReport(ctx, r.ID, "t", "reports/x.json"), storage.ErrClaimLost)
		start(t, s, r.ID, "t")
		if err := s.HeartbeatJob(ctx, r.ID, "t", &atelier.Progress{Stage: "rank", Step: 1, Total: 2}); err != nil {
			t.Fatal(err)
		}
		testkit.WantKind(t, s.CompleteReport(ctx, r.ID, "t", ""), atelier.KindInvalid)
		if err := s.CompleteReport(ctx, r.ID, "t", "reports/x.json"); err != nil {
			t.Fatal(err)
		}
		got := testkit.Must(s.GetReport(ctx, r.ID, alice))(t)
		if got.Status != atelier.JobSucceeded || got.ResultKey != "reports/x.json" || got.Progress.Stage != "rank" || got.FinishedAt.IsZero() {
			t.Fatalf("report %+v", got)
		}
		r2 := create()
		if c := testkit.Must(s.CancelJob(ctx, r2.ID, alice))(t); c.Status != atelier.JobCancelled {
			t.Fatalf("cancelled %+v", c)
		}
		create()
		if l := testkit.Must(s.ListReports(ctx, alice, storage.ReportFilter{SegmentID: w.segment.ID}))(t); len(l) != 3 {
			t.Fatalf("alice's reports %+v", l)
		}
		if l := testkit.Must(s.ListReports(ctx, alice, storage.ReportFilter{Status: atelier.JobCancelled}))(t); len(l) != 1 || l[0].ID != r2.ID {
			t.Fatalf("cancelled reports %+v", l)
		}
		if l := testkit.Must(s.ListReports(ctx, bob, storage.ReportFilter{}))(t); len(l) != 0 {
			t.Fatalf("bob's reports %+v", l)
		}
		if l := testkit.Must(s.ListJobs(ctx, bob, storage.JobFilter{}))(t); len(l) != 0 {
			t.Fatalf("bob's jobs %+v", l)
		}
		if l := testkit.Must(s.ListJobs(ctx, alice, storage.JobFilter{Kind: atelier.JobReport, Status: atelier.JobQueued}))(t); len(l) != 1 {
			t.Fatalf("alice's queued report jobs %+v", l)
		}
		all, _, err := s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID}, storage.JobOptions{})
		if err != nil || all.SegmentID != "" || all.SellerID != w.alice.ID {
			t.Fatalf("report of every segment %+v, %v", all, err)
		}
		_, _, err = s.CreateReport(ctx, atelier.Report{}, storage.JobOptions{})
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, _, err = s.CreateReport(ctx, atelier.Report{SellerID: w.alice.ID, SegmentID: "missing"}, storage.JobOptions{})
		testkit.WantKind(t, err, atelier.KindConflict)
	})
}
