package atelier

import (
	"fmt"
	"time"
)

// RedesignJob asks for variants of a seller's item that a segment would
// prefer. The worker inverts the item's image into the GAN's latent space,
// learns N distinct shifts of size at most Epsilon in Steps optimisation
// steps (seeded by Seed), checks and ranks the results.
type RedesignJob struct {
	ID        string
	SellerID  string
	ItemID    string
	SegmentID string

	N       int     // variants wanted
	Epsilon float64 // largest latent shift, in latent-norm units
	Steps   int     // optimisation steps per shift
	Seed    int64

	Status   JobStatus
	Progress Progress
	Error    string // client-safe reason when Status is failed

	// The model versions the job runs with, fixed when it is created so a
	// result can be traced and reproduced.
	RecommenderVersionID string
	GANVersionID         string

	Variants []Variant // ordered by Rank; filled once succeeded
	Notes    []string  // see RedesignResult.Notes

	CreatedAt  time.Time
	StartedAt  time.Time // zero until running
	FinishedAt time.Time // zero until final
}

// Variant is one generated redesign of the item.
type Variant struct {
	Rank     int    // 1 is the best
	ImageKey string // blob key of the watermarked PNG at the model's size
	// FullImageKey is the blob key of the seller's own photo changed the
	// way the variant changes it, at the photo's resolution, watermarked
	// ("" for variants made without a photo).
	FullImageKey string
	// Scores are the numbers the variant was ranked and checked with
	// (e.g. "preference_lift", "realism", "category", "distance").
	Scores map[string]float64
	// Flags name the checks it failed or warnings about it.
	Flags  []string
	Passed bool // all checks passed
}

// RedesignResult is what a finished redesign produced: its ranked variants
// and the model versions it actually ran with, recorded on the job so the
// result can be traced and reproduced.
type RedesignResult struct {
	Variants []Variant
	// Notes say in plain words what the seller should know about the
	// result, such as a photo the generator reconstructs poorly.
	Notes                []string
	RecommenderVersionID string
	GANVersionID         string
}

// RedesignImageKey is the blob key of a redesign job's image of the given
// name: "base" for the reconstruction of the seller's photo by the
// generator, "variant-N" for the variant of rank N. Keys derive from the
// job id, so a retried attempt overwrites what a dead one wrote.
func RedesignImageKey(jobID, name string) string {
	return fmt.Sprintf("redesigns/%s/%s.png", jobID, name)
}
