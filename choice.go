package atelier

import "time"

// ChoiceSession is one run of the image-choice flow: a number of rounds,
// each showing a few items and recording the one picked. A session belongs
// to a known consumer or, before sign-in, to an anonymous token.
type ChoiceSession struct {
	ID         string
	ConsumerID string // "" for anonymous sessions
	AnonToken  string // "" for sessions of a known consumer
	Rounds     int    // how many rounds the session has
	Round      int    // the next round to answer, 0-based; == Rounds when done
	Done       bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
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
