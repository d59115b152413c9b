package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

// forEachDatabaseWithClock runs fn on each database with a store whose
// clock the test moves.
func forEachDatabaseWithClock(t *testing.T, fn func(t *testing.T, s *storage.Store, clock *testkit.Clock)) {
	t.Helper()
	for _, b := range storagetest.Databases() {
		t.Run(b.Name, func(t *testing.T) {
			clock := testkit.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
			fn(t, storagetest.OpenStore(t, b.URL(t), storage.WithClock(clock.Now)), clock)
		})
	}
}

func TestSessionCapPerClient(t *testing.T) {
	forEachDatabaseWithClock(t, func(t *testing.T, s *storage.Store, clock *testkit.Clock) {
		ctx := context.Background()
		cap := storage.SessionCap{Max: 3, TTL: time.Hour}
		anon := func(client string) atelier.ChoiceSession {
			return atelier.ChoiceSession{AnonToken: "tok", Client: client, Rounds: 1}
		}
		first := testkit.Must(s.StartChoiceSession(ctx, anon("192.0.2.1"), "", cap))(t)
		if first.Client != "192.0.2.1" || testkit.Must(s.GetChoiceSession(ctx, first.ID))(t).Client != "192.0.2.1" {
			t.Fatalf("client address not stored: %+v", first)
		}
		clock.Add(10 * time.Minute)
		testkit.Must(s.StartChoiceSession(ctx, anon("192.0.2.1"), "", cap))(t)
		// A known consumer's session counts for its client too.
		known := testkit.Must(s.StartChoiceSession(ctx, atelier.ChoiceSession{Client: "192.0.2.1", Rounds: 1}, "shopper-1", cap))(t)
		if known.ConsumerID == "" || known.AnonToken != "" {
			t.Fatalf("consumer session %+v", known)
		}
		_, err := s.StartChoiceSession(ctx, anon("192.0.2.1"), "", cap)
		testkit.WantKind(t, err, atelier.KindRateLimited)
		if got := atelier.ErrorRetryAfter(err); got != 50*time.Minute {
			t.Fatalf("retry after %s, want 50m (when the oldest session expires)", got)
		}
		// Refused, it writes nothing: not the consumer either.
		_, err = s.StartChoiceSession(ctx, atelier.ChoiceSession{Client: "192.0.2.1", Rounds: 1}, "shopper-2", cap)
		testkit.WantKind(t, err, atelier.KindRateLimited)
		_, err = s.ConsumerByExternalID(ctx, "shopper-2")
		testkit.WantKind(t, err, atelier.KindNotFound)
		if n := testkit.Must(s.CountChoiceSessions(ctx, "192.0.2.1"))(t); n != 3 {
			t.Fatalf("%d sessions of the client, want 3", n)
		}
		// Other clients, and callers without a client address, are not
		// affected.
		testkit.Must(s.StartChoiceSession(ctx, anon("192.0.2.2"), "", cap))(t)
		testkit.Must(s.StartChoiceSession(ctx, anon(""), "", cap))(t)
		// Activity keeps a session counting; once the oldest is idle for
		// the TTL, there is room again.
		clock.Add(50*time.Minute + time.Second)
		testkit.Must(s.StartChoiceSession(ctx, anon("192.0.2.1"), "", cap))(t)
		_, err = s.StartChoiceSession(ctx, anon("192.0.2.1"), "", cap)
		testkit.WantKind(t, err, atelier.KindRateLimited)
	})
}

// TestSessionCapUnderConcurrency: many simultaneous starts from one client
// (as from several server processes) leave exactly the cap.
func TestSessionCapUnderConcurrency(t *testing.T) {
	forEachDatabaseWithClock(t, func(t *testing.T, s *storage.Store, clock *testkit.Clock) {
		ctx := context.Background()
		cap := storage.SessionCap{Max: 4, TTL: time.Hour}
		var wg sync.WaitGroup
		errs := make(chan error, 12)
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.StartChoiceSession(ctx, atelier.ChoiceSession{AnonToken: fmt.Sprint("t", i), Client: "2001:db8::/64", Rounds: 1}, "", cap)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		var ok, limited int
		for err := range errs {
			switch atelier.ErrorKind(err) {
			case "":
				ok++
			case atelier.KindRateLimited:
				limited++
			default:
				t.Errorf("start: %v", err)
			}
		}
		if ok != 4 || limited != 8 {
			t.Fatalf("%d started and %d refused, want 4 and 8", ok, limited)
		}
		if n := testkit.Must(s.CountChoiceSessions(ctx, "2001:db8::/64"))(t); n != 4 {
			t.Fatalf("%d sessions stored, want 4", n)
		}
	})
}

// TestSweepChoiceSessions: idle sessions without training data go, with
// their picks; a known consumer's picks stay.
func TestSweepChoiceSessions(t *testing.T) {
	forEachDatabaseWithClock(t, func(t *testing.T, s *storage.Store, clock *testkit.Clock) {
		ctx := context.Background()
		w := newWorld(t, s)
		shown := []string{w.catalog[0].ID, w.catalog[1].ID, w.catalog[2].ID}
		start := func(cs atelier.ChoiceSession) atelier.ChoiceSession {
			t.Helper()
			cs.Rounds = 2
			return testkit.Must(s.CreateChoiceSession(ctx, cs))(t)
		}
		pick := func(cs atelier.ChoiceSession) {
			t.Helper()
			testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: cs.ID, Round: 0, Shown: shown, Chosen: shown[0]}))(t)
		}
		anonIdle := start(atelier.ChoiceSession{AnonToken: "a1", Client: "192.0.2.1"})
		anonPicked := start(atelier.ChoiceSession{AnonToken: "a2"})
		pick(anonPicked)
		knownPicked := start(atelier.ChoiceSession{ConsumerID: w.consumer.ID})
		pick(knownPicked)
		knownIdle := start(atelier.ChoiceSession{ConsumerID: w.consumer.ID})
		clock.Add(2 * time.Hour)
		anonRecent := start(atelier.ChoiceSession{AnonToken: "a3"})
		clock.Add(30 * time.Minute)

		if n := testkit.Must(s.SweepChoiceSessions(ctx, time.Hour, 1))(t); n != 1 {
			t.Fatalf("a sweep of at most 1 deleted %d", n)
		}
		if n := testkit.Must(s.SweepChoiceSessions(ctx, time.Hour, 100))(t); n != 2 {
			t.Fatalf("the second sweep deleted %d, want the other 2", n)
		}
		if n := testkit.Must(s.SweepChoiceSessions(ctx, time.Hour, 100))(t); n != 0 {
			t.Fatalf("a third sweep deleted %d", n)
		}
		for _, gone := range []atelier.ChoiceSession{anonIdle, anonPicked, knownIdle} {
			_, err := s.GetChoiceSession(ctx, gone.ID)
			testkit.WantKind(t, err, atelier.KindNotFound)
		}
		for _, kept := range []atelier.ChoiceSession{knownPicked, anonRecent} {
			testkit.Must(s.GetChoiceSession(ctx, kept.ID))(t)
		}
		// The anonymous picks went with their session; the consumer's
		// pick is still there for training, as a choice and as an
		// interaction.
		if got := testkit.Must(s.ListChoices(ctx, anonPicked.ID))(t); len(got) != 0 {
			t.Fatalf("picks of a swept session remain: %+v", got)
		}
		var walked []string
		if err := s.EachChoice(ctx, func(consumerID string, c atelier.Choice) error {
			walked = append(walked, c.SessionID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(walked) != 1 || walked[0] != knownPicked.ID {
			t.Fatalf("choices left: %v, want only the consumer's", walked)
		}
		if got := testkit.Must(s.ConsumerChoices(ctx, w.consumer.ID, 10))(t); len(got) != 1 {
			t.Fatalf("consumer choices %+v", got)
		}
		if n := testkit.Must(s.CountChoiceSessions(ctx, ""))(t); n != 2 {
			t.Fatalf("%d sessions left, want 2", n)
		}
	})
}
