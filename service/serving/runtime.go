// Package serving holds the recommender model the service answers with:
// the active model version, the φ features of every catalog image
// (computed once per model, and again when the catalog grows), and the
// taste questions the API asks (ranking, similar items, thumbnails,
// choice rounds, segments), answered with the math of package
// recommender. A newly activated model is switched in by one atomic
// pointer swap: requests in flight finish on the old one, no restart.
package serving

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Model is a trained visual recommender as the service uses it: item
// features φ computed from images and one taste vector θ per consumer it
// was trained with, preference θ·φ. The DVBPR model (*recommender.Model)
// satisfies it.
type Model interface {
	// Dim is the feature dimension K.
	Dim() int
	// ImageSize is the side of the square images φ takes.
	ImageSize() int
	// Theta returns the θ of a consumer the model was trained with, by the
	// consumer's external (marketplace) id.
	Theta(consumerID string) ([]float32, bool)
	// MeanTheta is the mean θ: the prior of consumers it does not know.
	MeanTheta() []float32
	// Consumers lists the external ids of the consumers it knows.
	Consumers() []string
	// ImageFeatures computes φ of every image of im.
	ImageFeatures(ctx context.Context, im *recommender.Images, workers int) ([][]float32, error)
}

// Loader reads the model file of a recommender model version (from the
// blob store, at mv.BlobKey).
type Loader func(ctx context.Context, mv atelier.ModelVersion) (Model, error)

// Config is what a Runtime needs.
type Config struct {
	Store *storage.Store
	Blobs blob.Store
	Load  Loader // nil: no model can be loaded, every question is unavailable
	Log   *slog.Logger
	// Workers is the number of goroutines computing features (2).
	Workers int
	// ProbeShare is the share of a round's options that are generated
	// probes when a pool is loaded (0: the catalog only).
	ProbeShare float64
}

// Runtime serves the active recommender model. Create it with New; it is
// safe for concurrent use.
type Runtime struct {
	cfg    Config
	cur    atomic.Pointer[snapshot]
	probes atomic.Pointer[probePool]
	mu     sync.Mutex // one build at a time
}

// New returns a runtime with no model loaded yet: call Refresh (at start)
// or Activate.
func New(cfg Config) *Runtime {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	return &Runtime{cfg: cfg}
}

// ImageKey returns the blob key of a served catalog item's first image,
// false when the item is not in the served catalog. Item images never
// change once stored, so the answer needs no database read: the choice
// flow and ranked lists show images without a query per item.
func (r *Runtime) ImageKey(itemID string) (string, bool) {
	s := r.cur.Load()
	if s == nil {
		return "", false
	}
	if i, ok := s.index[itemID]; ok {
		return s.items[i].imageKey, true
	}
	if p := r.pool(s); p != nil {
		if i, ok := p.index[itemID]; ok {
			return p.keys[i], true
		}
	}
	return "", false
}

// Version returns the model version being served, false when none is.
func (r *Runtime) Version() (atelier.ModelVersion, bool) {
	s := r.cur.Load()
	if s == nil {
		return atelier.ModelVersion{}, false
	}
	return s.version, true
}

// errNoModel answers questions asked before any model is active.
func errNoModel() error {
	return atelier.Lastingf("no recommender model is active yet: train one and activate it (POST /api/v1/models/{id}/activate)")
}

func (r *Runtime) snapshot() (*snapshot, error) {
	s := r.cur.Load()
	if s == nil {
		return nil, errNoModel()
	}
	return s, nil
}

// Refresh brings the runtime in line with the store: it loads the active
// recommender version when it is not the one served (another process may
// have activated it), and recomputes the catalog's features when catalog
// items were added since they were computed. It does nothing when both
// are current, and keeps serving the old snapshot when the new one cannot
// be built.
func (r *Runtime) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	mv, err := r.cfg.Store.ActiveModelVersion(ctx, atelier.ModelRecommender)
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		return nil // nothing to serve yet
	}
	if err != nil {
		return fmt.Errorf("refresh recommender: %w", err)
	}
	mark, err := r.catalogMark(ctx)
	if err != nil {
		return fmt.Errorf("refresh recommender: %w", err)
	}
	cur := r.cur.Load()
	if cur != nil && cur.version.ID == mv.ID && cur.mark == mark {
		return r.refreshProbes(ctx, cur)
	}
	var model Model
	if cur != nil && cur.version.ID == mv.ID {
		model = cur.model // the catalog grew: same model, new features
	} else if model, err = r.load(ctx, mv); err != nil {
		return err
	}
	snap, err := r.build(ctx, mv, model, mark)
	if err != nil {
		return fmt.Errorf("refresh recommender %s: %w", mv.ID, err)
	}
	r.cur.Store(snap)
	return r.refreshProbes(ctx, snap)
}

// probeWatch is how often Watch looks for a probe pool while none is
// loaded.
const probeWatch = 5 * time.Second

// RefreshProbes loads the newest probe pool of the served version when it
// is not the one loaded.
func (r *Runtime) RefreshProbes(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.cur.Load()
	if s == nil {
		return nil
	}
	return r.refreshProbes(ctx, s)
}

// Activate makes version id the active recommender: it loads the model
// and computes the catalog's features first, so a version that cannot be
// served is never activated, then activates it in the store and swaps it
// in.
func (r *Runtime) Activate(ctx context.Context, id string) (atelier.ModelVersion, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	mv, err := r.cfg.Store.GetModelVersion(ctx, id)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	if mv.Kind != atelier.ModelRecommender {
		return atelier.ModelVersion{}, atelier.Errorf(atelier.KindInvalid, "model version %q is a %s model, not a recommender", id, mv.Kind)
	}
	model, err := r.load(ctx, mv)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	mark, err := r.catalogMark(ctx)
	if err != nil {
		return atelier.ModelVersion{}, err
	}
	snap, err := r.build(ctx, mv, model, mark)
	if err != nil {
		return atelier.ModelVersion{}, fmt.Errorf("activate recommender %s: %w", id, err)
	}
	if mv, err = r.cfg.Store.ActivateModelVersion(ctx, id); err != nil {
		return atelier.ModelVersion{}, err
	}
	snap.version = mv
	r.cur.Store(snap)
	r.cfg.Log.InfoContext(ctx, "recommender activated", "version", id, "catalog_items", len(snap.items))
	if err := r.refreshProbes(ctx, snap); err != nil {
		// The flow runs on the catalog alone until the next refresh.
		r.cfg.Log.WarnContext(ctx, "probe pool not loaded", "err", err)
	}
	return mv, nil
}

// load reads a version's model. A model that does not load is a conflict
// with the version's record (the file is missing, corrupt or of another
// kind), unless the cause says otherwise (e.g. the blob store is down).
func (r *Runtime) load(ctx context.Context, mv atelier.ModelVersion) (Model, error) {
	if r.cfg.Load == nil {
		return nil, atelier.Lastingf("this service cannot load recommender models")
	}
	model, err := r.cfg.Load(ctx, mv)
	if err != nil {
		r.cfg.Log.WarnContext(ctx, "recommender model does not load", "version", mv.ID, "blob", mv.BlobKey, "err", err)
		switch atelier.ErrorKind(err) {
		case atelier.KindUnavailable, atelier.KindConflict:
			return nil, err
		}
		return nil, atelier.Wrap(atelier.KindConflict, err, "model version %q cannot be loaded", mv.ID)
	}
	if model.Dim() < 1 || model.ImageSize() < 1 || len(model.MeanTheta()) != model.Dim() {
		return nil, atelier.Errorf(atelier.KindConflict, "model version %q has inconsistent dimensions", mv.ID)
	}
	return model, nil
}

// catalogMark is the id of the newest catalog item ("" when there is
// none): ids grow with creation time, so a new mark means new items.
func (r *Runtime) catalogMark(ctx context.Context) (string, error) {
	items, err := r.cfg.Store.ListItems(ctx, atelier.AllScope(), storage.ItemFilter{Catalog: true, Page: storage.Page{Limit: 1, Desc: true}})
	if err != nil || len(items) == 0 {
		return "", err
	}
	return items[0].ID, nil
}

// Watch calls Refresh every interval until ctx ends, so that a model
// activated by another process, or items imported meanwhile, are picked
// up. Failures are retried at the next tick; each new failure is logged
// once, and so is the recovery, so a lasting problem does not flood the
// log.
func (r *Runtime) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	// Until a probe pool is loaded, look for one more often: a pool job
	// finishes minutes after the models are activated, and the flow should
	// not wait a whole refresh interval more for it.
	probeTick := time.NewTicker(min(every, probeWatch))
	defer probeTick.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return
		case <-probeTick.C:
			if r.cfg.ProbeShare > 0 && r.probes.Load() == nil {
				if err := r.RefreshProbes(ctx); err != nil && ctx.Err() == nil {
					r.cfg.Log.WarnContext(ctx, "probe pool refresh failed", "err", err)
				}
			}
		case <-t.C:
			err := r.Refresh(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil && err.Error() != last:
				r.cfg.Log.ErrorContext(ctx, "recommender refresh failed", "err", err)
				last = err.Error()
			case err == nil && last != "":
				r.cfg.Log.InfoContext(ctx, "recommender refresh works again")
				last = ""
			}
		}
	}
}
