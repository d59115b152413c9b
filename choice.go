package atelier

import "time"

// ChoiceSession is one run of the image-choice flow: a number of rounds,
// each showing a few items and recording the one picked. A session belongs
// to a known consumer or, before sign-in, to an anonymous token.
// Bounds of the options a choice round shows: three by default, up to a
// 3×3 grid.
const (
	DefaultRoundSize = 3
	MinRoundSize     = 3
	MaxRoundSize     = 9
)

// RoundSize is how many options each of the session's rounds shows.
func (cs ChoiceSession) RoundSize() int {
	if cs.Size == 0 {
		return DefaultRoundSize // sessions from before sizes were stored
	}
	return cs.Size
}

type ChoiceSession struct {
	ID         string
	ConsumerID string // "" for anonymous sessions
	AnonToken  string // "" for sessions of a known consumer
	// Client is the address of the client that created the session ("":
	// unknown), so that the sessions one client holds can be capped.
	Client    string
	Rounds    int // how many rounds the session has
	Size      int // options shown per round (MinRoundSize to MaxRoundSize; 0: DefaultRoundSize)
	Round     int // the next round to answer, 0-based; == Rounds when done
	Done      bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// Options are the items shown in the round to answer, in display
	// order; nil until that round has been chosen, and once done.
	Options []string
}

// Choice is one answered round: the consumer saw Shown and picked Chosen,
// which says "Chosen over each of the others".
type Choice struct {
	SessionID string
	Round     int
	Shown     []string // item ids in display order
	Chosen    string   // one of Shown
	At        time.Time
}

// Others returns the shown items that were not picked.
func (c Choice) Others() []string {
	out := make([]string, 0, len(c.Shown))
	for _, id := range c.Shown {
		if id != c.Chosen {
			out = append(out, id)
		}
	}
	return out
}
