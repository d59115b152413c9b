package api

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage"
)

// The choice flow: a consumer (known by the marketplace's id, or an
// anonymous visitor) answers rounds of 3 to 9 images (options), picking the one
// they like; each pick says "this over those". Rounds are chosen to learn
// the most from each pick (serving.Runtime.NextRound).
const (
	defaultRounds = 3
	maxRounds     = 20
)

// roundView is the round a consumer is asked to answer, or the end of
// the session (Done).
type roundView struct {
	ID      string       `json:"id"`
	Round   int          `json:"round,omitempty"` // 1-based
	Rounds  int          `json:"rounds"`
	Done    bool         `json:"done,omitempty"`
	Options []optionView `json:"options,omitempty"`
}

// optionView is one image of a round. Generated is true for AI-generated
// probe images (service/probes), false for catalog items.
type optionView struct {
	ItemID    string `json:"item_id"`
	ImageURL  string `json:"image_url"`
	Generated bool   `json:"generated"`
}

// scoredView is one recommended or similar item.
type scoredView struct {
	ItemID   string  `json:"item_id"`
	Score    float64 `json:"score"`
	ImageURL string  `json:"image_url"`
}

func (s *Server) viewRound(ctx context.Context, cs atelier.ChoiceSession) (roundView, error) {
	v := roundView{ID: cs.ID, Rounds: cs.Rounds}
	if cs.Done {
		v.Done = true
		return v, nil
	}
	v.Round = cs.Round + 1
	for _, id := range cs.Options {
		u, err := s.primaryImageURL(ctx, id)
		if err != nil {
			return roundView{}, err
		}
		v.Options = append(v.Options, optionView{ItemID: id, ImageURL: u, Generated: s.rec.Generated(id)})
	}
	return v, nil
}

// primaryImageURL is the URL of a catalog item's first image: from the
// served catalog when the item is in it, else from the store.
func (s *Server) primaryImageURL(ctx context.Context, itemID string) (string, error) {
	if key, ok := s.rec.ImageKey(itemID); ok {
		return s.imageURL(ctx, key)
	}
	it, err := s.store.GetItem(ctx, itemID, atelier.Scope{})
	if err != nil {
		return "", err
	}
	img, ok := it.Primary()
	if !ok {
		return "", atelier.Errorf(atelier.KindConflict, "item %q has no image", itemID)
	}
	return s.imageURL(ctx, img.OriginalKey)
}

type sessionRequest struct {
	ConsumerID string `json:"consumer_id"`
	Rounds     *int   `json:"rounds"`
	Options    *int   `json:"options"` // per round
}

// createChoiceSession starts the choice flow and answers with its first
// round. The round is chosen before anything is written, so a service
// that cannot choose one (no model yet) writes nothing.
func (s *Server) createChoiceSession(c *gin.Context) {
	ctx := c.Request.Context()
	var req sessionRequest
	if err := decodeJSON(c, &req, true); err != nil {
		writeError(c, s.log, err)
		return
	}
	rounds := defaultRounds
	if req.Rounds != nil {
		if *req.Rounds < 1 || *req.Rounds > maxRounds {
			writeError(c, s.log, atelier.FieldErrorf("rounds", "must be between 1 and %d, got %d", maxRounds, *req.Rounds))
			return
		}
		rounds = *req.Rounds
	}
	size := atelier.DefaultRoundSize
	if req.Options != nil {
		if *req.Options < atelier.MinRoundSize || *req.Options > atelier.MaxRoundSize {
			writeError(c, s.log, atelier.FieldErrorf("options", "must be between %d and %d images per round, got %d",
				atelier.MinRoundSize, atelier.MaxRoundSize, *req.Options))
			return
		}
		size = *req.Options
	}
	if req.ConsumerID != "" {
		if err := (atelier.Consumer{ExternalID: req.ConsumerID}).Validate(); err != nil {
			writeError(c, s.log, atelier.FieldErrorf("consumer_id", "%s", atelier.ErrorMessage(err)))
			return
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	options, err := s.rec.NextRound(ctx, serving.Taste{ConsumerID: req.ConsumerID}, size, binary.LittleEndian.Uint64(b[:8]))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	cs := atelier.ChoiceSession{Rounds: rounds, Size: size, Client: clientKey(c)}
	if req.ConsumerID == "" {
		cs.AnonToken = hex.EncodeToString(b[:])
	}
	// The client's sessions are capped (Limits.SessionsPerClient), its
	// consumer created with the session: nothing is written past the cap.
	limit := storage.SessionCap{Max: s.limits.SessionsPerClient, TTL: s.limits.SessionTTL}
	if cs, err = s.store.StartChoiceSession(ctx, cs, req.ConsumerID, limit); err != nil {
		writeError(c, s.log, err)
		return
	}
	if cs, err = s.store.SetChoiceOptions(ctx, cs.ID, 0, options); err != nil {
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewRound(ctx, cs)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	created(c, "/api/v1/choice-sessions/"+cs.ID, v)
}

// getChoiceSession shows the round to answer (choosing it if a failure
// left the session without one), or that the session is done.
func (s *Server) getChoiceSession(c *gin.Context) {
	ctx := c.Request.Context()
	cs, err := s.store.GetChoiceSession(ctx, c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.answerRound(c, cs)
}

// answerRound answers with the session's current round, choosing it first
// when it has none yet (a pick was just recorded, or a failure left the
// session without one), or with done.
func (s *Server) answerRound(c *gin.Context, cs atelier.ChoiceSession) {
	ctx := c.Request.Context()
	var err error
	if !cs.Done && cs.Options == nil {
		if cs, err = s.chooseRound(ctx, cs); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	v, err := s.viewRound(ctx, cs)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// taste is what the session says of the consumer's taste: their picks so
// far, from their own θ when the model knows them.
func (s *Server) taste(ctx context.Context, cs atelier.ChoiceSession) (serving.Taste, error) {
	var t serving.Taste
	if cs.ConsumerID != "" {
		consumer, err := s.store.GetConsumer(ctx, cs.ConsumerID)
		if err != nil {
			return t, err
		}
		t.ConsumerID = consumer.ExternalID
	}
	picks, err := s.store.ListChoices(ctx, cs.ID)
	if err != nil {
		return t, err
	}
	t.Picks = picks
	return t, nil
}

// chooseRound chooses and records the options of the session's current
// round, seeded by the session and round so that a retry shows the same.
func (s *Server) chooseRound(ctx context.Context, cs atelier.ChoiceSession) (atelier.ChoiceSession, error) {
	t, err := s.taste(ctx, cs)
	if err != nil {
		return cs, err
	}
	options, err := s.rec.NextRound(ctx, t, cs.RoundSize(), serving.Seed(cs.ID, cs.Round))
	if err != nil {
		return cs, err
	}
	return s.store.SetChoiceOptions(ctx, cs.ID, cs.Round, options)
}

type pickRequest struct {
	Round  *int   `json:"round"`
	ItemID string `json:"item_id"`
}

// recordChoice records a pick of the current round (stored as the chosen
// item preferred over the others, and as a choice interaction of a known
// consumer) and answers with the next round, or with done.
func (s *Server) recordChoice(c *gin.Context) {
	ctx := c.Request.Context()
	var req pickRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	switch {
	case req.Round == nil:
		writeError(c, s.log, atelier.FieldErrorf("round", "is required: the number of the round answered"))
		return
	case req.ItemID == "":
		writeError(c, s.log, atelier.FieldErrorf("item_id", "is required: the item picked"))
		return
	}
	cs, err := s.store.GetChoiceSession(ctx, c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	switch {
	case cs.Done:
		writeError(c, s.log, atelier.Errorf(atelier.KindConflict, "the session is finished: all %d rounds are answered", cs.Rounds))
		return
	case *req.Round != cs.Round+1:
		writeError(c, s.log, atelier.Errorf(atelier.KindConflict, "the session is at round %d, not %d", cs.Round+1, *req.Round))
		return
	case cs.Options == nil:
		writeError(c, s.log, atelier.Errorf(atelier.KindConflict, "round %d has not been shown yet (GET the session)", cs.Round+1))
		return
	case !slices.Contains(cs.Options, req.ItemID):
		writeError(c, s.log, atelier.FieldErrorf("item_id", "item %q was not shown in round %d", req.ItemID, cs.Round+1))
		return
	}
	cs, err = s.store.RecordChoice(ctx, atelier.Choice{SessionID: cs.ID, Round: cs.Round, Shown: cs.Options, Chosen: req.ItemID})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.answerRound(c, cs) // RecordChoice leaves the next round unchosen
}

// sessionRecommendations ranks the catalog for the taste the session has
// shown so far, leaving out the items it showed.
func (s *Server) sessionRecommendations(c *gin.Context) {
	ctx := c.Request.Context()
	n, err := queryInt(c, "n", 10, 1, 100)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	cs, err := s.store.GetChoiceSession(ctx, c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	t, err := s.taste(ctx, cs)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var shown []string
	for _, p := range t.Picks {
		shown = append(shown, p.Shown...)
	}
	s.answerRanked(c, t, n, shown)
}

// answerRanked answers with the n items the taste prefers.
func (s *Server) answerRanked(c *gin.Context, t serving.Taste, n int, exclude []string) {
	ranked, err := s.rec.Rank(c.Request.Context(), t, n, exclude)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.answerScored(c, ranked)
}

// answerScored answers {"items": [...]} with each item's image URL.
func (s *Server) answerScored(c *gin.Context, scored []serving.Scored) {
	out := make([]scoredView, len(scored))
	for i, sc := range scored {
		u, err := s.primaryImageURL(c.Request.Context(), sc.ItemID)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		out[i] = scoredView{ItemID: sc.ItemID, Score: sc.Score, ImageURL: u}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}
