package api

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/storage"
)

// optionIDs returns the item ids of a round's options.
func optionIDs(t testing.TB, round map[string]any) []string {
	t.Helper()
	opts, _ := round["options"].([]any)
	var ids []string
	for _, o := range opts {
		m := o.(map[string]any)
		if m["image_url"] == "" || m["generated"] != false {
			t.Fatalf("option %v", m)
		}
		ids = append(ids, m["item_id"].(string))
	}
	return ids
}

// TestChoiceFlow runs three rounds for a known consumer who picks the
// reddest item each time, and checks the picks are stored as choices and
// as interactions, and that the recommendations follow the picks.
func TestChoiceFlow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withCatalog(t)
		byID := map[string]string{}
		for name, it := range e.catalog {
			byID[it.ID] = name
		}
		redness := func(id string) int {
			c := palette[byID[id]]
			return int(c.R) - int(c.G)/2 - int(c.B)/2
		}

		rec, round := e.call(t, "POST", "/api/v1/choice-sessions", "", map[string]any{"consumer_id": "shopper-7"})
		want(t, rec, http.StatusCreated)
		session := round["id"].(string)
		if round["round"] != 1.0 || round["rounds"] != 3.0 || rec.Header().Get("Location") != "/api/v1/choice-sessions/"+session {
			t.Fatalf("first round %v", round)
		}
		var shown, chosen []string
		for r := 1; r <= 3; r++ {
			opts := optionIDs(t, round)
			if len(opts) != 3 {
				t.Fatalf("round %d shows %v", r, opts)
			}
			for _, id := range opts {
				if slices.Contains(shown, id) {
					t.Fatalf("round %d shows %s again", r, byID[id])
				}
			}
			shown = append(shown, opts...)
			// GET shows the same round.
			rec, again := e.call(t, "GET", "/api/v1/choice-sessions/"+session, "", nil)
			want(t, rec, 200)
			if !slices.Equal(optionIDs(t, again), opts) {
				t.Fatalf("GET shows %v, POST showed %v", optionIDs(t, again), opts)
			}
			if r == 2 {
				// An item of another round, and the wrong round number.
				rec, body := e.call(t, "POST", "/api/v1/choice-sessions/"+session+"/choices", "", map[string]any{"round": 2, "item_id": shown[0]})
				if field, _ := errField(body); rec.Code != http.StatusBadRequest || field != "item_id" {
					t.Fatalf("picking an item not in the round: %d %s", rec.Code, rec.Body.String())
				}
				rec, _ = e.call(t, "POST", "/api/v1/choice-sessions/"+session+"/choices", "", map[string]any{"round": 1, "item_id": opts[0]})
				want(t, rec, http.StatusConflict)
			}
			best := slices.MaxFunc(opts, func(a, b string) int { return redness(a) - redness(b) })
			chosen = append(chosen, best)
			rec, round = e.call(t, "POST", "/api/v1/choice-sessions/"+session+"/choices", "", map[string]any{"round": r, "item_id": best})
			want(t, rec, 200)
		}
		if round["done"] != true || round["id"] != session || round["options"] != nil {
			t.Fatalf("after 3 rounds: %v", round)
		}
		rec, body := e.call(t, "POST", "/api/v1/choice-sessions/"+session+"/choices", "", map[string]any{"round": 4, "item_id": shown[0]})
		if _, kind := errField(body); rec.Code != http.StatusConflict || kind != "conflict" {
			t.Fatalf("picking after done: %d %s", rec.Code, rec.Body.String())
		}
		rec, body = e.call(t, "GET", "/api/v1/choice-sessions/"+session, "", nil)
		want(t, rec, 200)
		if body["done"] != true {
			t.Fatalf("GET of a finished session: %v", body)
		}

		// Stored: three choices (chosen over the two others) and three
		// choice interactions of the consumer.
		choices, err := e.store.ListChoices(ctx, session)
		if err != nil {
			t.Fatal(err)
		}
		for r, c := range choices {
			if c.Chosen != chosen[r] || len(c.Others()) != 2 || !slices.Equal(c.Shown, shown[3*r:3*r+3]) {
				t.Fatalf("choice %d: %+v", r, c)
			}
		}
		consumer, err := e.store.ConsumerByExternalID(ctx, "shopper-7")
		if err != nil {
			t.Fatal(err)
		}
		ins, err := e.store.ListInteractions(ctx, storage.InteractionFilter{ConsumerID: consumer.ID, Kind: atelier.InteractionChoice})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, in := range ins {
			got = append(got, in.ItemID)
		}
		slices.Sort(got)
		want3 := slices.Clone(chosen)
		slices.Sort(want3)
		if len(choices) != 3 || !slices.Equal(got, want3) {
			t.Fatalf("%d choices, interactions %v, want %v", len(choices), got, want3)
		}

		// Recommendations lean to red: the first half of the ranking is
		// redder than the second. Session recommendations leave out what
		// the session showed; the consumer's leave out what they took.
		leansRed := func(path string, left []string) {
			t.Helper()
			rec, body := e.call(t, "GET", path, "", nil)
			want(t, rec, 200)
			var ranked []string
			for _, it := range body["items"].([]any) {
				m := it.(map[string]any)
				if m["image_url"] == "" {
					t.Fatalf("%s: %v", path, m)
				}
				ranked = append(ranked, m["item_id"].(string))
			}
			if len(ranked) != len(e.catalog)-len(left) {
				t.Fatalf("%s ranks %d items, want %d", path, len(ranked), len(e.catalog)-len(left))
			}
			top, bottom := 0, 0
			for i, id := range ranked {
				if slices.Contains(left, id) {
					t.Fatalf("%s recommends %s, which it should leave out", path, byID[id])
				}
				if i < len(ranked)/2 {
					top += redness(id)
				} else if i >= len(ranked)-len(ranked)/2 {
					bottom += redness(id)
				}
			}
			if top < bottom {
				names := make([]string, len(ranked))
				for i, id := range ranked {
					names[i] = byID[id]
				}
				t.Fatalf("%s does not lean red: %v", path, names)
			}
		}
		leansRed("/api/v1/choice-sessions/"+session+"/recommendations?n=100", shown)
		leansRed("/api/v1/consumers/shopper-7/recommendations?n=100", chosen)
	})
}

func TestAnonymousChoiceSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// No model yet: 503, and nothing is written.
		rec, _ := e.call(t, "POST", "/api/v1/choice-sessions", "", nil)
		want(t, rec, http.StatusServiceUnavailable)
		if cs, _ := e.store.ListConsumers(ctx, storage.ConsumerFilter{}); len(cs) != 0 {
			t.Fatalf("a refused session created consumers %v", cs)
		}
		e.withCatalog(t)
		rec, round := e.call(t, "POST", "/api/v1/choice-sessions", "", map[string]any{"rounds": 1})
		want(t, rec, http.StatusCreated)
		opts := optionIDs(t, round)
		rec, round = e.call(t, "POST", "/api/v1/choice-sessions/"+round["id"].(string)+"/choices", "", map[string]any{"round": 1, "item_id": opts[1]})
		want(t, rec, 200)
		if round["done"] != true {
			t.Fatalf("a one-round session after its round: %v", round)
		}
		if n, _ := e.store.CountInteractions(ctx); n != 0 {
			t.Fatalf("an anonymous pick made %d interactions", n)
		}
		rec, body := e.call(t, "GET", "/api/v1/choice-sessions/"+round["id"].(string)+"/recommendations", "", nil)
		want(t, rec, 200)
		if n := len(body["items"].([]any)); n != 9 { // 12 items, 3 shown
			t.Fatalf("%d recommendations", n)
		}

		// A session of 3×3 rounds shows nine options a round; its second
		// round shows what is left of the test's 12 items.
		rec, round = e.call(t, "POST", "/api/v1/choice-sessions", "", map[string]any{"rounds": 2, "options": 9})
		want(t, rec, http.StatusCreated)
		opts = optionIDs(t, round)
		if len(opts) != 9 {
			t.Fatalf("a session of 9 options shows %d", len(opts))
		}
		_, round = e.call(t, "POST", "/api/v1/choice-sessions/"+round["id"].(string)+"/choices", "", map[string]any{"round": 1, "item_id": opts[8]})
		if n := len(optionIDs(t, round)); n != 3 {
			t.Fatalf("its second round shows %d options, want the 3 not shown yet", n)
		}
	})
}

func TestChoiceRejections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.withCatalog(t)
		rec, round := e.call(t, "POST", "/api/v1/choice-sessions", "", nil)
		want(t, rec, http.StatusCreated)
		picks := "/api/v1/choice-sessions/" + round["id"].(string) + "/choices"
		opt := optionIDs(t, round)[0]
		type tc struct {
			name, method, path, field string
			body                      any
		}
		groups := []struct {
			status int
			cases  []tc
		}{
			{http.StatusBadRequest, []tc{
				{"rounds 0", "POST", "/api/v1/choice-sessions", "rounds", map[string]any{"rounds": 0}},
				{"rounds 21", "POST", "/api/v1/choice-sessions", "rounds", map[string]any{"rounds": 21}},
				{"rounds as text", "POST", "/api/v1/choice-sessions", "rounds", `{"rounds":"three"}`},
				{"options 2", "POST", "/api/v1/choice-sessions", "options", map[string]any{"options": 2}},
				{"options 10", "POST", "/api/v1/choice-sessions", "options", map[string]any{"options": 10}},
				{"consumer id as a number", "POST", "/api/v1/choice-sessions", "consumer_id", `{"consumer_id":7}`},
				{"consumer id with control characters", "POST", "/api/v1/choice-sessions", "consumer_id", map[string]any{"consumer_id": "a\x00b"}},
				{"unknown field", "POST", "/api/v1/choice-sessions", "anonymous", map[string]any{"anonymous": true}},
				{"pick without round", "POST", picks, "round", map[string]any{"item_id": opt}},
				{"pick without item", "POST", picks, "item_id", map[string]any{"round": 1}},
				{"pick of an unknown item", "POST", picks, "item_id", map[string]any{"round": 1, "item_id": "nope"}},
				{"empty pick", "POST", picks, "", nil},
				{"n 0", "GET", "/api/v1/consumers/likes-red/recommendations?n=0", "n", nil},
				{"n text", "GET", "/api/v1/choice-sessions/" + round["id"].(string) + "/recommendations?n=ten", "n", nil},
			}},
			{http.StatusNotFound, []tc{
				{"no such session", "POST", "/api/v1/choice-sessions/nope/choices", "", map[string]any{"round": 1, "item_id": opt}},
				{"no such session (GET)", "GET", "/api/v1/choice-sessions/nope", "", nil},
				{"no such consumer", "GET", "/api/v1/consumers/nobody/recommendations", "", nil},
			}},
			{http.StatusConflict, []tc{
				{"round 2 before round 1", "POST", picks, "", map[string]any{"round": 2, "item_id": opt}},
			}},
		}
		for _, g := range groups {
			for _, c := range g.cases {
				rec, body := e.call(t, c.method, c.path, "", c.body)
				if rec.Code != g.status {
					t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, g.status, rec.Body.String())
					continue
				}
				if field, _ := errField(body); field != c.field {
					t.Errorf("%s: field %q, want %q", c.name, field, c.field)
				}
			}
		}
		// None of that advanced the session, which takes a good pick still,
		// and refuses one for the round it answered.
		rec, body := e.call(t, "GET", "/api/v1/choice-sessions/"+round["id"].(string), "", nil)
		want(t, rec, 200)
		if body["round"] != 1.0 {
			t.Fatalf("session moved to %v", body["round"])
		}
		rec, body = e.call(t, "POST", picks, "", map[string]any{"round": 1, "item_id": opt})
		want(t, rec, 200)
		if body["round"] != 2.0 {
			t.Fatalf("after a good pick the session is at %v", body["round"])
		}
		rec, _ = e.call(t, "POST", picks, "", map[string]any{"round": 1, "item_id": opt})
		want(t, rec, http.StatusConflict)
	})
}
