package api

import (
	"context"
	"encoding/json"
	"image"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/backgrounds"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage"
)

// Recommender is what the API asks of the active recommender model. It is
// implemented by *serving.Runtime.
type Recommender interface {
	// Version is the model version being served (false: none yet).
	Version() (atelier.ModelVersion, bool)
	// NextRound chooses the k items of the next round of a choice session.
	NextRound(ctx context.Context, t serving.Taste, k int, seed uint64) ([]string, error)
	// Rank returns the n catalog items the taste prefers, best first.
	Rank(ctx context.Context, t serving.Taste, n int, exclude []string) ([]serving.Scored, error)
	// Similar returns the k catalog items most similar to it.
	Similar(ctx context.Context, it atelier.Item, k int) ([]serving.Scored, error)
	// Thumbnail picks the index of the image of it the taste prefers.
	Thumbnail(ctx context.Context, it atelier.Item, t *serving.Taste) (int, error)
	// KMeans clusters the served model's consumers into k segments.
	KMeans(ctx context.Context, k int, seed uint64) (atelier.ModelVersion, []serving.SegmentDraft, error)
	// Describe summarises what each group of consumers (by store id) likes.
	Describe(ctx context.Context, members map[string][]string) (map[string]map[string]any, error)
	// Activate loads a recommender version, activates it and serves it.
	Activate(ctx context.Context, id string) (atelier.ModelVersion, error)
	// ImageKey is the blob key of a served catalog item's first image,
	// or of a probe's (false: the item is not served).
	ImageKey(itemID string) (string, bool)
	// Generated reports whether an option id is a generated probe.
	Generated(itemID string) bool
}

var _ Recommender = (*serving.Runtime)(nil)

// Jobs is the background job queue. It is implemented by *jobs.Queue
// (storage/jobs), whose jobs table holds every job's status, progress,
// attempts and result.
type Jobs interface {
	// Enqueue queues a job of kind (train-recommender, train-gan, import)
	// for ownerID ("" for an operator's job) with args as JSON. A repeated
	// idempotency key ("" for none) of the same owner and request returns
	// the job it created first with created false; the same key with
	// another request is KindConflict.
	Enqueue(ctx context.Context, kind, ownerID string, args json.RawMessage, idempotencyKey string) (job atelier.Job, created bool, err error)
	// EnqueueRedesign creates a redesign record and queues its job; the
	// record's id is the job's id. Idempotency works as in Enqueue.
	EnqueueRedesign(ctx context.Context, j atelier.RedesignJob, idempotencyKey string) (atelier.RedesignJob, bool, error)
	// EnqueueReport creates a report record and queues its job; the
	// record's id is the job's id. Idempotency works as in Enqueue.
	EnqueueReport(ctx context.Context, r atelier.Report, idempotencyKey string) (atelier.Report, bool, error)
	// Cancel cancels a queued or running job of the scope; another
	// seller's job is KindNotFound, a finished one KindConflict.
	Cancel(ctx context.Context, id string, scope atelier.Scope) (atelier.Job, error)
	// List returns one page of the scope's jobs of every kind.
	List(ctx context.Context, scope atelier.Scope, f storage.JobFilter) ([]atelier.Job, error)
}

// noRecommender answers every question with "unavailable": the service
// runs without a recommender runtime.
type noRecommender struct{}

func errNoRecommender() error {
	return atelier.Lastingf("this service has no recommender")
}

func (noRecommender) Version() (atelier.ModelVersion, bool) { return atelier.ModelVersion{}, false }
func (noRecommender) ImageKey(string) (string, bool)        { return "", false }
func (noRecommender) Generated(string) bool                 { return false }
func (noRecommender) NextRound(context.Context, serving.Taste, int, uint64) ([]string, error) {
	return nil, errNoRecommender()
}
func (noRecommender) Rank(context.Context, serving.Taste, int, []string) ([]serving.Scored, error) {
	return nil, errNoRecommender()
}
func (noRecommender) Similar(context.Context, atelier.Item, int) ([]serving.Scored, error) {
	return nil, errNoRecommender()
}
func (noRecommender) Thumbnail(context.Context, atelier.Item, *serving.Taste) (int, error) {
	return 0, errNoRecommender()
}
func (noRecommender) KMeans(context.Context, int, uint64) (atelier.ModelVersion, []serving.SegmentDraft, error) {
	return atelier.ModelVersion{}, nil, errNoRecommender()
}
func (noRecommender) Describe(context.Context, map[string][]string) (map[string]map[string]any, error) {
	return nil, errNoRecommender()
}
func (noRecommender) Activate(context.Context, string) (atelier.ModelVersion, error) {
	return atelier.ModelVersion{}, errNoRecommender()
}

// noJobs answers every job request with "unavailable": the service runs
// without a job queue.
type noJobs struct{}

func errNoJobs() error {
	return atelier.Lastingf("this service has no job queue")
}

func (noJobs) Enqueue(context.Context, string, string, json.RawMessage, string) (atelier.Job, bool, error) {
	return atelier.Job{}, false, errNoJobs()
}
func (noJobs) EnqueueRedesign(context.Context, atelier.RedesignJob, string) (atelier.RedesignJob, bool, error) {
	return atelier.RedesignJob{}, false, errNoJobs()
}
func (noJobs) EnqueueReport(context.Context, atelier.Report, string) (atelier.Report, bool, error) {
	return atelier.Report{}, false, errNoJobs()
}
func (noJobs) Cancel(context.Context, string, atelier.Scope) (atelier.Job, error) {
	return atelier.Job{}, errNoJobs()
}
func (noJobs) List(context.Context, atelier.Scope, storage.JobFilter) ([]atelier.Job, error) {
	return nil, errNoJobs()
}

type noBackgrounds struct{}

func errNoBackgrounds() error {
	return atelier.Lastingf("this service does not suggest backgrounds")
}

func (noBackgrounds) ForSubject(context.Context, string, backgrounds.Subject, int) (backgrounds.Result, error) {
	return backgrounds.Result{}, errNoBackgrounds()
}

func (noBackgrounds) Composites(context.Context, backgrounds.Subject, []atelier.Background) ([]string, error) {
	return nil, errNoBackgrounds()
}

func (noBackgrounds) Upload(context.Context, string, image.Image, string) (atelier.Background, error) {
	return atelier.Background{}, errNoBackgrounds()
}

func (noBackgrounds) List(context.Context, string) ([]atelier.Background, error) {
	return nil, errNoBackgrounds()
}
