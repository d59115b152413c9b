package atelier

import (
	"encoding/json"
	"time"
)

// JobStatus is where a background job stands. Jobs move queued → running →
// succeeded | failed | cancelled; a running job whose attempt failed and
// may be retried goes back to queued (with Error set), and a queued job may
// be cancelled before it starts.
type JobStatus string

const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// Final reports whether the status can no longer change.
func (s JobStatus) Final() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// Valid reports whether s is one of the known statuses.
func (s JobStatus) Valid() bool {
	switch s {
	case JobQueued, JobRunning, JobSucceeded, JobFailed, JobCancelled:
		return true
	}
	return false
}

// Progress is how far a running job is: Step of Total within Stage.
type Progress struct {
	Stage string
	Step  int
	Total int
}

// Job kinds: what a background job does.
const (
	JobTrainRecommender = "train-recommender" // train a recommender model version
	JobTrainGAN         = "train-gan"         // train a GAN model version
	JobRedesign         = "redesign"          // redesign a seller's item (RedesignJob)
	JobImport           = "import"            // import a dataset
	JobReport           = "report"            // a batch report for a segment (Report)
	JobProbePool        = "probe-pool"        // generated probes of the choice flow (ProbePoolArgs)
)

// JobKinds lists every job kind.
func JobKinds() []string {
	return []string{JobTrainRecommender, JobTrainGAN, JobRedesign, JobImport, JobReport, JobProbePool}
}

// ValidJobKind reports whether kind is one of JobKinds.
func ValidJobKind(kind string) bool {
	for _, k := range JobKinds() {
		if k == kind {
			return true
		}
	}
	return false
}

// Job is one background job of any kind, as operators see it: its life
// cycle, progress and attempts. Kinds with richer records (RedesignJob,
// Report) share the job's ID and read their status and progress from it.
type Job struct {
	ID      string
	Kind    string
	OwnerID string // the seller who asked for it; "" for an operator's job

	// Args are the job's parameters as JSON; their schema belongs to the
	// kind's handler.
	Args json.RawMessage

	Status   JobStatus
	Progress Progress
	Error    string // client-safe reason of the last failed attempt

	Attempt     int // attempts started so far
	MaxAttempts int // attempts allowed before the job fails

	// Result is what the job produced, as JSON (e.g. the id of a trained
	// model version); empty until it succeeds.
	Result json.RawMessage

	CreatedAt   time.Time
	StartedAt   time.Time // first attempt; zero until then
	FinishedAt  time.Time // zero until final
	HeartbeatAt time.Time // last sign of life of the running attempt
}

// ImportArgs are the arguments of an import job: a dataset directory on
// the worker's file system and how to read it. The API checks them before
// queuing; the import handler reads them strictly.
// ProbePoolArgs are the arguments of a probe-pool job: draw N probes
// (kept after the checks) from the GAN version, featured and stored for
// the recommender version, with latents from Seed.
type ProbePoolArgs struct {
	RecommenderVersionID string `json:"recommender_version_id"`
	GANVersionID         string `json:"gan_version_id"`
	N                    int    `json:"n"`
	Seed                 int64  `json:"seed"`
}

type ImportArgs struct {
	Dir      string `json:"dir"`      // dataset directory (CSV files with images/, or Amazon review files)
	Format   string `json:"format"`   // csv or amazon; "" detects it
	Category string `json:"category"` // category of items that name none
	Kind     string `json:"kind"`     // interaction kind where the data names none
	Strict   bool   `json:"strict"`   // stop at the first bad row
}
