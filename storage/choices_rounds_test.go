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

// TestChoiceRounds covers what the choice flow needs beyond recording
// answers: the options on display, picks as interactions, and a
// consumer's picks across sessions.
func TestChoiceRounds(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		shown := []string{w.catalog[0].ID, w.catalog[1].ID, w.catalog[2].ID}

		sess := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{ConsumerID: w.consumer.ID, Rounds: 2}))(t)
		if sess.Options != nil {
			t.Fatalf("new session has options %v", sess.Options)
		}
		_, err := s.SetChoiceOptions(ctx, sess.ID, 1, shown)
		testkit.WantKind(t, err, atelier.KindConflict)
		_, err = s.SetChoiceOptions(ctx, sess.ID, 0, shown[:1])
		testkit.WantKind(t, err, atelier.KindInvalid)
		_, err = s.SetChoiceOptions(ctx, "missing", 0, shown)
		testkit.WantKind(t, err, atelier.KindNotFound)
		got := testkit.Must(s.SetChoiceOptions(ctx, sess.ID, 0, shown))(t)
		if !reflect.DeepEqual(got.Options, shown) {
			t.Fatalf("options %v, want %v", got.Options, shown)
		}
		if got := testkit.Must(s.GetChoiceSession(ctx, sess.ID))(t); !reflect.DeepEqual(got.Options, shown) {
			t.Fatalf("stored options %v", got.Options)
		}

		// Answering clears the options and logs the pick as an interaction.
		after := testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 0, Shown: shown, Chosen: shown[2], At: at(0)}))(t)
		if after.Options != nil || after.Round != 1 {
			t.Fatalf("after answering: %+v", after)
		}
		ins := testkit.Must(s.ListInteractions(ctx, storage.InteractionFilter{ConsumerID: w.consumer.ID}))(t)
		if len(ins) != 1 || ins[0].ItemID != shown[2] || ins[0].Kind != atelier.InteractionChoice || !ins[0].At.Equal(at(0).UTC().Truncate(1000)) {
			t.Fatalf("interactions after a pick: %+v", ins)
		}
		testkit.Must(s.SetChoiceOptions(ctx, sess.ID, 1, shown[:2]))(t)
		testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: sess.ID, Round: 1, Shown: shown[:2], Chosen: shown[0], At: at(1)}))(t)
		_, err = s.SetChoiceOptions(ctx, sess.ID, 2, shown)
		testkit.WantKind(t, err, atelier.KindConflict)

		// Anonymous picks are choices, not interactions.
		anon := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{AnonToken: "tok", Rounds: 1}))(t)
		testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: anon.ID, Round: 0, Shown: shown, Chosen: shown[1], At: at(2)}))(t)
		if n := testkit.Must(s.CountInteractions(ctx))(t); n != 2 {
			t.Fatalf("%d interactions, want the 2 picks of the known consumer", n)
		}

		// A consumer's picks over sessions, newest first.
		other := testkit.Must(s.CreateChoiceSession(ctx, atelier.ChoiceSession{ConsumerID: w.consumer.ID, Rounds: 1}))(t)
		testkit.Must(s.RecordChoice(ctx, atelier.Choice{SessionID: other.ID, Round: 0, Shown: shown, Chosen: shown[1], At: at(3)}))(t)
		cs := testkit.Must(s.ConsumerChoices(ctx, w.consumer.ID, 0))(t)
		var chosen []string
		for _, c := range cs {
			chosen = append(chosen, c.Chosen)
		}
		if want := []string{shown[1], shown[0], shown[2]}; !reflect.DeepEqual(chosen, want) {
			t.Fatalf("consumer choices %v, want %v", chosen, want)
		}
		if cs := testkit.Must(s.ConsumerChoices(ctx, w.consumer.ID, 1))(t); len(cs) != 1 || cs[0].SessionID != other.ID {
			t.Fatalf("limited consumer choices %+v", cs)
		}
		if cs := testkit.Must(s.ConsumerChoices(ctx, "nobody", 0))(t); len(cs) != 0 {
			t.Fatalf("choices of an unknown consumer: %+v", cs)
		}
	})
}

func TestSegmentDescriptionsAndSizes(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		c2 := testkit.Must(s.CreateConsumer(ctx, atelier.Consumer{ExternalID: "c-2"}))(t)
		if err := s.SetMemberships(ctx, w.segment.ID, []atelier.Membership{{ConsumerID: w.consumer.ID}, {ConsumerID: c2.ID}}); err != nil {
			t.Fatal(err)
		}
		sizes := testkit.Must(s.SegmentSizes(ctx))(t)
		if !reflect.DeepEqual(sizes, map[string]int{w.segment.ID: 2}) {
			t.Fatalf("sizes %v", sizes)
		}
		desc := map[string]any{"top_categories": []any{map[string]any{"name": "dress", "share": 0.5}}}
		if err := s.SetSegmentDescription(ctx, w.segment.ID, desc); err != nil {
			t.Fatal(err)
		}
		if got := testkit.Must(s.GetSegment(ctx, w.segment.ID))(t); !reflect.DeepEqual(got.Description, desc) {
			t.Fatalf("description %#v, want %#v", got.Description, desc)
		}
		testkit.WantKind(t, s.SetSegmentDescription(ctx, "missing", desc), atelier.KindNotFound)
		testkit.WantKind(t, s.SetSegmentDescription(ctx, w.segment.ID, map[string]any{"bad": func() {}}), atelier.KindInvalid)
	})
}
