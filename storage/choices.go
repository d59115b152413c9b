package storage

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/atelier-app/atelier"
)

// MaxChoiceRounds bounds the length of one choice session.
const MaxChoiceRounds = 100

func toChoiceSession(r choiceSessionRow) atelier.ChoiceSession {
	return atelier.ChoiceSession{
		ID: r.ID, ConsumerID: valString(r.ConsumerID), AnonToken: r.AnonToken, Client: r.ClientAddr,
		Rounds: r.Rounds, Size: r.Size, Round: r.Round, Done: r.Done,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Options: r.Options,
	}
}

func toChoice(r choiceRow) atelier.Choice {
	return atelier.Choice{SessionID: r.SessionID, Round: r.Round, Shown: r.Shown, Chosen: r.ChosenID, At: r.At.UTC()}
}

// CreateChoiceSession starts a session for a known consumer (ConsumerID)
// or an anonymous visitor (AnonToken); exactly one of them must be set.
func (s *Store) CreateChoiceSession(ctx context.Context, cs atelier.ChoiceSession) (atelier.ChoiceSession, error) {
	return s.insertChoiceSession(s.db.WithContext(ctx), cs)
}

// SessionCap bounds the choice sessions one client address holds at once:
// those created from it whose last activity is within TTL, finished or
// not. (Finished ones count too, so that the rows one address can make are
// bounded, not only its unfinished sessions; sessions idle for TTL are
// swept.)
type SessionCap struct {
	Max int // 0: no cap
	TTL time.Duration
}

// sessionLockClass is the first key of the PostgreSQL advisory locks that
// serialise the session starts of one client address.
const sessionLockClass = 0x61746c73 // "atls"

// StartChoiceSession starts a session from cs.Client under cap: for the
// consumer with external id consumer (created when new; cs.ConsumerID
// must be empty) or, with consumer "", for the anonymous cs.AnonToken.
// A client that already holds cap.Max sessions gets a KindRateLimited
// error whose RetryAfter is when its oldest one expires, and nothing is
// written. The count and the insert are one transaction, serialised per
// client address (an advisory lock on PostgreSQL, the write lock on
// SQLite), so the cap holds across any number of server processes.
func (s *Store) StartChoiceSession(ctx context.Context, cs atelier.ChoiceSession, consumer string, cap SessionCap) (atelier.ChoiceSession, error) {
	if cs.ConsumerID != "" {
		return atelier.ChoiceSession{}, atelier.FieldErrorf("consumer_id", "give the consumer's external id, not a store id")
	}
	if len(cs.Client) > 64 {
		return atelier.ChoiceSession{}, atelier.FieldErrorf("client", "must be at most 64 bytes long")
	}
	var out atelier.ChoiceSession
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if cap.Max > 0 && cs.Client != "" {
			if err := s.checkSessionCap(tx, cs.Client, cap); err != nil {
				return err
			}
		}
		if consumer != "" {
			c, err := s.ensureConsumer(tx, consumer)
			if err != nil {
				return err
			}
			cs.ConsumerID = c.ID
		}
		var err error
		out, err = s.insertChoiceSession(tx, cs)
		return err
	})
	if err != nil {
		return atelier.ChoiceSession{}, err
	}
	return out, nil
}

// checkSessionCap refuses a new session to a client that holds cap.Max.
func (s *Store) checkSessionCap(tx *gorm.DB, client string, cap SessionCap) error {
	if s.dialect == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", sessionLockClass, client).Error; err != nil {
			return dbErr(err, "lock the sessions of client %q", client)
		}
	}
	now := s.stamp()
	live := tx.Model(&choiceSessionRow{}).Where("client_addr = ? AND updated_at > ?", client, now.Add(-cap.TTL)).Session(&gorm.Session{})
	var n int64
	if err := live.Count(&n).Error; err != nil {
		return dbErr(err, "count the sessions of client %q", client)
	}
	if n < int64(cap.Max) {
		return nil
	}
	var oldest choiceSessionRow
	if err := live.Select("updated_at").Order("updated_at").Take(&oldest).Error; err != nil {
		return dbErr(err, "oldest session of client %q", client)
	}
	wait := max(oldest.UpdatedAt.Add(cap.TTL).Sub(now), time.Second)
	return atelier.RateLimitedf(wait, "this client already holds %d choice sessions, the most it may; "+
		"finish one, or retry when the oldest expires", cap.Max)
}

// insertChoiceSession checks and inserts a new session.
func (s *Store) insertChoiceSession(db *gorm.DB, cs atelier.ChoiceSession) (atelier.ChoiceSession, error) {
	switch {
	case (cs.ConsumerID == "") == (cs.AnonToken == ""):
		return atelier.ChoiceSession{}, atelier.FieldErrorf("consumer_id", "set exactly one of a consumer id and an anonymous token")
	case len(cs.AnonToken) > 200:
		return atelier.ChoiceSession{}, atelier.FieldErrorf("anon_token", "must be at most 200 bytes long")
	case len(cs.Client) > 64:
		return atelier.ChoiceSession{}, atelier.FieldErrorf("client", "must be at most 64 bytes long")
	case cs.Rounds < 1 || cs.Rounds > MaxChoiceRounds:
		return atelier.ChoiceSession{}, atelier.FieldErrorf("rounds", "must be between 1 and %d", MaxChoiceRounds)
	case cs.Size != 0 && (cs.Size < atelier.MinRoundSize || cs.Size > atelier.MaxRoundSize):
		return atelier.ChoiceSession{}, atelier.FieldErrorf("options", "must be between %d and %d", atelier.MinRoundSize, atelier.MaxRoundSize)
	}
	cs.Size = cs.RoundSize()
	now := s.stamp()
	cs.ID, cs.Round, cs.Done, cs.CreatedAt, cs.UpdatedAt = newID(), 0, false, now, now
	row := choiceSessionRow{
		ID: cs.ID, ConsumerID: ptrString(cs.ConsumerID), AnonToken: cs.AnonToken, ClientAddr: cs.Client,
		Rounds: cs.Rounds, Size: cs.Size, CreatedAt: now, UpdatedAt: now,
	}
	if err := db.Omit(clause.Associations).Create(&row).Error; err != nil {
		return atelier.ChoiceSession{}, dbErr(err, "choice session of consumer %q", cs.ConsumerID)
	}
	return cs, nil
}

// SweepChoiceSessions deletes up to limit choice sessions idle for longer
// than idle (no new round or pick since) that hold no training data, and
// says how many it deleted:
//   - anonymous sessions, with their picks: training reads only the picks
//     of known consumers (service/training), so an anonymous session is
//     worth nothing once its visitor has gone;
//   - known consumers' sessions without a pick.
//
// A known consumer's session with picks is kept, picks and all: its picks
// are training data (also recorded as interactions). Any number of
// processes may sweep at once; each session is deleted once.
func (s *Store) SweepChoiceSessions(ctx context.Context, idle time.Duration, limit int) (int, error) {
	limit = Page{Limit: limit}.limit()
	before := s.stamp().Add(-idle)
	db := s.db.WithContext(ctx)
	abandoned := "updated_at < ? AND (consumer_id IS NULL OR round = 0)"
	ids := db.Model(&choiceSessionRow{}).Select("id").Where(abandoned, before).Limit(limit)
	// The picks go with their session (ON DELETE CASCADE); the outer
	// condition is checked again at the delete, so a session picked from
	// meanwhile stays.
	res := db.Where("id IN (?)", ids).Where(abandoned, before).Delete(&choiceSessionRow{})
	if res.Error != nil {
		return 0, dbErr(res.Error, "sweep choice sessions idle since %s", before.Format(time.RFC3339))
	}
	return int(res.RowsAffected), nil
}

// CountChoiceSessions counts the choice sessions stored, and those created
// from client (all when client is "").
func (s *Store) CountChoiceSessions(ctx context.Context, client string) (int64, error) {
	db := s.db.WithContext(ctx).Model(&choiceSessionRow{})
	if client != "" {
		db = db.Where("client_addr = ?", client)
	}
	var n int64
	if err := db.Count(&n).Error; err != nil {
		return 0, dbErr(err, "count choice sessions")
	}
	return n, nil
}

// GetChoiceSession returns a session.
func (s *Store) GetChoiceSession(ctx context.Context, id string) (atelier.ChoiceSession, error) {
	var row choiceSessionRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return atelier.ChoiceSession{}, dbErr(err, "choice session %q", id)
	}
	return toChoiceSession(row), nil
}

// RecordChoice stores the answer to the session's current round and
// advances the session, in one transaction, and returns the session as it
// now is (with no options: the next round is not chosen yet). In a known
// consumer's session the pick is also an interaction of kind choice with
// the chosen item, written in the same transaction, so that training sees
// it. Answering a round other than the current one, or a finished
// session, is a KindConflict error, so a repeated request cannot count
// twice.
func (s *Store) RecordChoice(ctx context.Context, c atelier.Choice) (atelier.ChoiceSession, error) {
	if len(c.Shown) < 2 {
		return atelier.ChoiceSession{}, atelier.FieldErrorf("shown", "a round shows at least two items")
	}
	if !slices.Contains(c.Shown, c.Chosen) {
		return atelier.ChoiceSession{}, atelier.FieldErrorf("chosen", "must be one of the items shown")
	}
	if c.At.IsZero() {
		c.At = s.stamp()
	}
	now := s.stamp()
	var out atelier.ChoiceSession
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The guarded update is the check: it matches only while the
		// session is open and at this round, even under concurrency.
		// RETURNING gives the advanced row in the same round trip.
		var updated []choiceSessionRow
		res := tx.Model(&updated).Clauses(clause.Returning{}).
			Where("id = ? AND round = ? AND done = ?", c.SessionID, c.Round, false).
			Updates(map[string]any{
				"round":      gorm.Expr("round + 1"),
				"done":       gorm.Expr("round + 1 >= rounds"),
				"options":    nil,
				"updated_at": now,
			})
		if res.Error != nil {
			return res.Error
		}
		if len(updated) == 0 {
			var row choiceSessionRow
			if err := tx.Where("id = ?", c.SessionID).Take(&row).Error; err != nil {
				return dbErr(err, "choice session %q", c.SessionID)
			}
			if row.Done {
				return atelier.Errorf(atelier.KindConflict, "choice session %q is finished", c.SessionID)
			}
			return atelier.Errorf(atelier.KindConflict, "choice session %q expects round %d, not %d", c.SessionID, row.Round, c.Round)
		}
		row := updated[0]
		choice := choiceRow{SessionID: c.SessionID, Round: c.Round, Shown: c.Shown, ChosenID: c.Chosen, At: dbTime(c.At)}
		if err := tx.Omit(clause.Associations).Create(&choice).Error; err != nil {
			return dbErr(err, "choice of round %d (chosen item %q)", c.Round, c.Chosen)
		}
		if row.ConsumerID != nil {
			in := interactionRow{ConsumerID: *row.ConsumerID, ItemID: c.Chosen, Kind: atelier.InteractionChoice, At: choice.At}
			if _, err := insertInteractions(tx, []interactionRow{in}); err != nil {
				return dbErr(err, "interaction for the choice of round %d", c.Round)
			}
		}
		out = toChoiceSession(row)
		return nil
	})
	if err != nil {
		return atelier.ChoiceSession{}, err
	}
	return out, nil
}

// ListChoices returns the answered rounds of a session, in round order.
func (s *Store) ListChoices(ctx context.Context, sessionID string) ([]atelier.Choice, error) {
	var rows []choiceRow
	if err := s.db.WithContext(ctx).Where("session_id = ?", sessionID).Order("round").Find(&rows).Error; err != nil {
		return nil, dbErr(err, "list choices of session %q", sessionID)
	}
	out := make([]atelier.Choice, len(rows))
	for i, r := range rows {
		out[i] = toChoice(r)
	}
	return out, nil
}

// EachChoice calls fn for every recorded choice with the consumer of its
// session ("" for anonymous sessions), session by session; an error from
// fn stops the walk and is returned.
func (s *Store) EachChoice(ctx context.Context, fn func(consumerID string, c atelier.Choice) error) error {
	page := Page{Limit: MaxLimit}
	for {
		var sessions []choiceSessionRow
		if err := page.apply(s.db.WithContext(ctx).Where("round > 0")).Find(&sessions).Error; err != nil {
			return dbErr(err, "read choice sessions")
		}
		ids := make([]string, len(sessions))
		consumer := make(map[string]string, len(sessions))
		for i, r := range sessions {
			ids[i] = r.ID
			consumer[r.ID] = valString(r.ConsumerID)
		}
		for start := 0; start < len(ids); start += inChunk {
			var rows []choiceRow
			chunk := ids[start:min(start+inChunk, len(ids))]
			if err := s.db.WithContext(ctx).Where("session_id IN ?", chunk).Order("session_id, round").Find(&rows).Error; err != nil {
				return dbErr(err, "read choices")
			}
			for _, r := range rows {
				if err := fn(consumer[r.SessionID], toChoice(r)); err != nil {
					return err
				}
			}
		}
		if len(sessions) < page.Limit {
			return nil
		}
		page.After = sessions[len(sessions)-1].ID
	}
}

// SetChoiceOptions records the items shown in round (0-based) of an open
// session and returns the session. Only the current round's options can
// be set; a finished session or another round is a KindConflict error.
// Setting them again (e.g. a retried request) replaces them.
func (s *Store) SetChoiceOptions(ctx context.Context, id string, round int, options []string) (atelier.ChoiceSession, error) {
	if len(options) < 2 {
		return atelier.ChoiceSession{}, atelier.FieldErrorf("options", "a round shows at least two items")
	}
	var updated []choiceSessionRow
	res := s.db.WithContext(ctx).Model(&updated).Clauses(clause.Returning{}).
		Where("id = ? AND round = ? AND done = ?", id, round, false).
		Updates(map[string]any{"options": choiceOptions(options), "updated_at": s.stamp()})
	if res.Error != nil {
		return atelier.ChoiceSession{}, dbErr(res.Error, "options of choice session %q", id)
	}
	if len(updated) > 0 {
		return toChoiceSession(updated[0]), nil
	}
	cs, err := s.GetChoiceSession(ctx, id)
	if err != nil {
		return atelier.ChoiceSession{}, err
	}
	if cs.Done {
		return atelier.ChoiceSession{}, atelier.Errorf(atelier.KindConflict, "choice session %q is finished", id)
	}
	return atelier.ChoiceSession{}, atelier.Errorf(atelier.KindConflict, "choice session %q is at round %d, not %d", id, cs.Round, round)
}

// choiceOptions gives a map update the JSON the options column holds (a
// map update bypasses the field's serializer).
func choiceOptions(options []string) string {
	b, _ := json.Marshal(options) // a []string always encodes
	return string(b)
}

// ConsumerChoices returns the most recent answered rounds of a consumer's
// sessions, newest first, at most limit (0 means DefaultLimit, capped at
// MaxLimit).
func (s *Store) ConsumerChoices(ctx context.Context, consumerID string, limit int) ([]atelier.Choice, error) {
	db := s.db.WithContext(ctx)
	var rows []choiceRow
	err := db.Where("session_id IN (?)", db.Model(&choiceSessionRow{}).Select("id").Where("consumer_id = ?", consumerID)).
		Order("at DESC, session_id DESC, round DESC").Limit(Page{Limit: limit}.limit()).Find(&rows).Error
	if err != nil {
		return nil, dbErr(err, "list choices of consumer %q", consumerID)
	}
	out := make([]atelier.Choice, len(rows))
	for i, r := range rows {
		out[i] = toChoice(r)
	}
	return out, nil
}
