package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// runPostgresRestart: PostgreSQL is stopped (`pg_ctl stop -m fast`) under
// a steady load of choice picks, stays down 3 s and is started again.
// Requests meanwhile must answer 503 with Retry-After (never another 5xx,
// never past the request timeout), the service must answer 2xx again
// within 5 s of the database being back without a restart, and every pick
// answered 2xx must be in the choices table afterwards.
func runPostgresRestart(ctx context.Context, c config) (r result) {
	r.noOrphan = true
	dir, pg, stopPG, err := scenarioPostgres(ctx, c, "atelier-chaos-pg.")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer stopPG()
	w, err := prepare(ctx, c, dir, "ATELIER_DATABASE_URL="+pg.url("atelier"),
		"ATELIER_BLOB_URL=file://"+dir+"/blobs", "ATELIER_WORKERS=0")
	if err != nil {
		r.failf("%v", err)
		return r
	}
	srv, err := w.serve()
	if err != nil {
		r.failf("%v", err)
		return r
	}
	defer srv.stop()

	const (
		requestTimeout = 5 * time.Second
		outage         = 3 * time.Second
	)
	load := newChoiceLoad(w.base, 8, 60)
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { load.run(loadCtx); close(done) }()

	sleep(ctx, 5*time.Second)
	down := time.Now()
	if err := pg.stopFast(ctx); err != nil {
		r.failf("%v", err)
	}
	r.faults = 1
	sleep(ctx, outage)
	if err := pg.start(ctx); err != nil {
		r.failf("%v", err)
	}
	up := time.Now()
	sleep(ctx, 10*time.Second)
	stopLoad()
	<-done

	reqs := load.snapshot()
	r.requests = len(reqs)
	var during503, first2xxAfter time.Time
	for _, q := range reqs {
		if q.status >= 500 {
			r.fivexx++
		}
		switch {
		case q.status == 0:
			r.failf("%s at %s: no answer (%v)", q.what, q.start.Sub(down).Round(time.Millisecond), q.err)
		case q.status == 503 && !q.retryAfter:
			r.failf("%s at %s: 503 without Retry-After", q.what, q.start.Sub(down).Round(time.Millisecond))
		case q.status >= 500 && q.status != 503:
			r.failf("%s at %s: %d %s", q.what, q.start.Sub(down).Round(time.Millisecond), q.status, q.body)
		case q.status == 503:
			during503 = q.start
		}
		if d := q.end.Sub(q.start); d > requestTimeout+time.Second {
			r.failf("%s at %s took %s (request timeout %s)", q.what, q.start.Sub(down).Round(time.Millisecond), d.Round(time.Millisecond), requestTimeout)
		}
		if q.status/100 == 2 && q.start.After(up) && (first2xxAfter.IsZero() || q.end.Before(first2xxAfter)) {
			first2xxAfter = q.end
		}
		if q.status/100 == 2 && q.start.After(up.Add(5*time.Second)) {
			continue
		}
		if q.status/100 != 2 && q.start.After(up.Add(5*time.Second)) {
			r.failf("%s at %s: %d after recovery", q.what, q.start.Sub(down).Round(time.Millisecond), q.status)
		}
	}
	if during503.IsZero() {
		r.failf("no request met the outage (no 503)")
	}
	if first2xxAfter.IsZero() {
		r.failf("no 2xx after the database was back")
	} else if r.recovery = first2xxAfter.Sub(up); r.recovery > 5*time.Second {
		r.failf("2xx again only %s after the database was back", r.recovery.Round(time.Millisecond))
	}
	checkChoiceLoad(ctx, srv, pg.url("atelier"), load, &r)
	return r
}

// checkChoiceLoad fails r when srv has exited, when an acknowledged pick
// of load is missing from the choices table (counted as lost) or when
// no pick was acknowledged at all.
func checkChoiceLoad(ctx context.Context, srv *proc, url string, load *choiceLoad, r *result) {
	if srv.exited() {
		r.failf("atelier serve exited; see %s", srv.log)
	}
	acked := load.acked()
	lost, err := lostPicks(ctx, url, acked)
	if err != nil {
		r.failf("counting choices: %v", err)
	}
	r.lost = lost
	if lost > 0 {
		r.failf("%d acknowledged picks missing from the choices table", lost)
	}
	if len(acked) == 0 {
		r.failf("no pick acknowledged")
	}
}

// lostPicks counts acknowledged picks with no row in the choices table
// (rounds are 1-based in the API, 0-based in the table).
func lostPicks(ctx context.Context, url string, acked []pick) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT session_id, round FROM choices")
	if err != nil {
		return 0, err
	}
	have := map[pick]bool{}
	for rows.Next() {
		var p pick
		if err := rows.Scan(&p.session, &p.round); err != nil {
			return 0, err
		}
		p.round++
		have[p] = true
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	lost := 0
	for _, p := range acked {
		if !have[p] {
			lost++
		}
	}
	return lost, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// scenarioPostgres makes a scenario's temporary directory and starts a
// throw-away PostgreSQL in it with an empty database "atelier"; done
// stops it and removes the directory.
func scenarioPostgres(ctx context.Context, c config, prefix string) (dir string, pg *postgres, done func(), err error) {
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		return "", nil, nil, err
	}
	if pg, err = newPostgres(ctx, dir); err != nil {
		cleanupDir(c, dir)
		return "", nil, nil, err
	}
	done = func() {
		pg.close()
		cleanupDir(c, dir)
	}
	if err := pg.createDB(ctx, "atelier"); err != nil {
		done()
		return "", nil, nil, err
	}
	return dir, pg, done, nil
}

// chaosAdminKey is the operator key of the scenarios' services.
const chaosAdminKey = "atl_chaos-operator-key-0123456789ab"

// newSeller creates a seller on w's service and returns its API key.
func newSeller(w *world) (string, error) {
	var seller struct {
		APIKey string `json:"api_key"`
	}
	_, err := newAPIClient(w.base, chaosAdminKey).json("POST", "/api/v1/sellers", map[string]any{"name": "chaos"}, &seller)
	return seller.APIKey, err
}

func cleanupDir(c config, dir string) {
	if c.keep {
		fmt.Fprintf(os.Stderr, "chaos: kept %s\n", dir)
		return
	}
	_ = os.RemoveAll(dir)
}
