package storage_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestChoices(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		shown := []string{w.catalog[0].ID, w.catalog[1].ID, w.catalog[2].ID}

		sess := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{ConsumerID: w.consumer.ID, Rounds: 2}))(t)
		if sess.Round != 0 || sess.Done || sess.Size != atelier.DefaultRoundSize {
			t.Fatalf("new session %+v", sess)
		}
		nine := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{AnonToken: "tok-9", Rounds: 1, Size: 9}))(t)
		if got := testkit.Must(s.GetChoiceSession(ctx, nine.ID))(t); got.Size != 9 {
			t.Fatalf("a session of 9 options reads back %d", got.Size)
		}
		// Answering round 1 before round 0 is refused.
		_, err := s.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 1, Shown: shown, Chosen: shown[0]})
		testkit.WantKind(t, err, atelier.KindConflict)

		first := atelier.Choice{SessionID: sess.ID, Round: 0, Shown: shown, Chosen: shown[1], At: at(0)}
		after := testkit.Must(s.RecordChoice(ctx, first))(t)
		if after.Round != 1 || after.Done {
			t.Fatalf("after round 0: %+v", after)
		}
		// The same answer sent twice counts once.
		_, err = s.RecordChoice(ctx, first)
		testkit.WantKind(t, err, atelier.KindConflict)

		after = testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 1, Shown: shown[:2], Chosen: shown[0], At: at(1)}))(t)
		if after.Round != 2 || !after.Done {
			t.Fatalf("after round 1: %+v", after)
		}
		_, err = s.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 2, Shown: shown, Chosen: shown[0]})
		testkit.WantKind(t, err, atelier.KindConflict)
		if got := testkit.Must(s.GetChoiceSession(ctx, sess.ID))(t); got.Round != 2 || !got.Done {
			t.Fatalf("stored session %+v", got)
		}

		choices := testkit.Must(s.ListChoices(ctx, sess.ID))(t)
		if len(choices) != 2 || !reflect.DeepEqual(choices[0].Shown, shown) || choices[0].Chosen != shown[1] {
			t.Fatalf("choices %+v", choices)
		}
		if others := choices[0].Others(); !reflect.DeepEqual(others, []string{shown[0], shown[2]}) {
			t.Fatalf("others %v", others)
		}

		// Anonymous sessions and the walk over all choices.
		anon := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{AnonToken: "tok-1", Rounds: 1}))(t)
		testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: anon.ID, Round: 0, Shown: shown, Chosen: shown[2]}))(t)
		byConsumer := map[string]int{}
		err = s.EachChoice(ctx, func(consumerID string, c atelier.Choice) error {
			byConsumer[consumerID]++
			return nil
		})
		if err != nil || byConsumer[w.consumer.ID] != 2 || byConsumer[""] != 1 {
			t.Fatalf("EachChoice: %v, %v", byConsumer, err)
		}

		// Bad input.
		for _, bad := range []atelier.ChoiceSession{
			{Rounds: 3},
			{ConsumerID: w.consumer.ID, AnonToken: "x", Rounds: 3},
			{AnonToken: "x", Rounds: 0},
			{AnonToken: "x", Rounds: storage.MaxChoiceRounds + 1},
			{AnonToken: "x", Rounds: 1, Size: atelier.MinRoundSize - 1},
			{AnonToken: "x", Rounds: 1, Size: atelier.MaxRoundSize + 1},
		} {
			_, err := s.CreateChoiceSession(ctx, bad)
			testkit.WantKind(t, err, atelier.KindInvalid)
		}
		_, err = s.CreateChoiceSession(ctx, atelier.ChoiceSession{ConsumerID: "missing", Rounds: 1})
		testkit.WantKind(t, err, atelier.KindConflict)
		s2 := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{AnonToken: "tok-2", Rounds: 1}))(t)
		_, err = s.RecordChoice(ctx, atelier.Choice{SessionID: s2.ID, Shown: shown, Chosen: "elsewhere"})
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.RecordChoice(ctx, atelier.Choice{SessionID: s2.ID, Shown: shown[:1], Chosen: shown[0]})
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.RecordChoice(ctx, atelier.Choice{SessionID: "missing", Shown: shown, Chosen: shown[0]})
		testkit.WantKind(t, err, atelier.KindNotFound)
		// A chosen id that is no item leaves the session where it was.
		_, err = s.RecordChoice(ctx, atelier.Choice{SessionID: s2.ID, Shown: []string{"x", "y"}, Chosen: "x"})
		testkit.WantKind(t, err, atelier.KindConflict)
		if got := testkit.Must(s.GetChoiceSession(ctx, s2.ID))(t); got.Round != 0 || got.Done {
			t.Fatalf("failed choice advanced the session: %+v", got)
		}
	})
}
