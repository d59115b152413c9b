package atelier

import "time"

// Interaction is one logged event between a consumer and an item. The
// recommender treats every kind as positive feedback; Kind lets training
// weight or filter them. An interaction is identified by (ConsumerID, ItemID,
// Kind, At), so importing the same log twice adds nothing.
type Interaction struct {
	ConsumerID string
	ItemID     string
	Kind       string
	At         time.Time
}

// Interaction kinds written by the product itself; imports may bring others.
const (
	InteractionTake   = "take"   // bought, added to cart, saved
	InteractionChoice = "choice" // picked in the image-choice flow
	InteractionView   = "view"   // looked at the item's page
)
