package backgrounds

import (
	"fmt"

	"github.com/atelier-app/atelier"
)

// Subject is what is placed on scenes: an item's photo, or a redesigned
// variant of it (the seller's photo changed at its resolution).
type Subject struct {
	// ID names the subject in composite keys: the item's id, or
	// ITEM/REDESIGN-vRANK for a variant.
	ID       string
	PhotoKey string // blob key of the image
}

// ItemSubject is an item's primary photo.
func ItemSubject(it atelier.Item) (Subject, error) {
	im, ok := it.Primary()
	if !ok || im.OriginalKey == "" {
		return Subject{}, atelier.Errorf(atelier.KindInvalid, "item %s has no photo", it.ID)
	}
	return Subject{ID: it.ID, PhotoKey: im.OriginalKey}, nil
}

// VariantSubject is variant rank of a finished redesign of it: the
// seller's photo changed the way the variant changes it.
func VariantSubject(it atelier.Item, job atelier.RedesignJob, rank int) (Subject, error) {
	switch {
	case job.ItemID != it.ID:
		return Subject{}, atelier.FieldErrorf("redesign_id", "redesign %s is not of item %s", job.ID, it.ID)
	case job.Status != atelier.JobSucceeded:
		return Subject{}, atelier.Errorf(atelier.KindConflict, "redesign %s has not succeeded (it is %s)", job.ID, job.Status)
	}
	for _, v := range job.Variants {
		if v.Rank != rank {
			continue
		}
		if v.FullImageKey == "" {
			return Subject{}, atelier.FieldErrorf("variant", "variant %d of redesign %s has no full-size image", rank, job.ID)
		}
		return Subject{ID: fmt.Sprintf("%s/%s-v%d", it.ID, job.ID, rank), PhotoKey: v.FullImageKey}, nil
	}
	return Subject{}, atelier.FieldErrorf("variant", "redesign %s has no variant %d (it has %d)", job.ID, rank, len(job.Variants))
}
