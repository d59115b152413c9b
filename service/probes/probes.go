// Package probes is the choice flow's pool of generated probes: images
// the active GAN draws from its prior, kept when the discriminator finds
// them realistic and the recommender's category head names their
// category (gan.DrawProbes), marked as AI-generated, and stored as items
// of kind probe for the active recommender version. A pool is built by a
// probe-pool job (Job) that Ensure queues once per pair of active model
// versions; the serving runtime loads the newest pool of its version
// beside the catalog. Probes let a round ask about designs the catalog
// does not have: on a small catalog the flow learns a shopper's taste
// better from them (docs/choice-probes.md).
package probes

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/watermark"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Attributes of a probe item.
const (
	AttrRecommender = "recommender_version_id" // the version the pool is for
	AttrGAN         = "gan_version_id"
	AttrPool        = "pool" // the probe-pool job that made it
	AttrRealism     = "realism"
	// AttrLatent is the probe's latent code z: little-endian float32s in
	// base64, so the generator can draw it again (at another size, or
	// shifted as a redesign shifts).
	AttrLatent = "z"
)

// Summary is a probe-pool job's result.
type Summary struct {
	Size        int            `json:"size"`
	Drawn       int            `json:"drawn"`
	Categories  map[string]int `json:"categories"`
	Seconds     float64        `json:"seconds"`
	Recommender string         `json:"recommender_version_id"`
	GAN         string         `json:"gan_version_id"`
}

// Job returns the probe-pool job handler. Its probes are imported by
// external id (probe-JOB-N), so a retried attempt adds only what a dead
// one did not.
func Job(store *storage.Store, blobs blob.Store, watermarkKey string) func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
	return func(ctx context.Context, job atelier.Job, report progress.Func) (json.RawMessage, error) {
		var a atelier.ProbePoolArgs
		dec := json.NewDecoder(bytes.NewReader(job.Args))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, atelier.Errorf(atelier.KindInvalid, "probe pool arguments: %v", err)
		}
		sum, err := build(ctx, store, blobs, watermarkKey, job.ID, a, report)
		if err != nil {
			return nil, err
		}
		return json.Marshal(sum)
	}
}

func build(ctx context.Context, store *storage.Store, blobs blob.Store, key, pool string, a atelier.ProbePoolArgs, report progress.Func) (Summary, error) {
	if a.N < 1 || a.N > 100_000 {
		return Summary{}, atelier.FieldErrorf("n", "must be between 1 and 100000, got %d", a.N)
	}
	rv, err := catalog.Version(ctx, store, a.RecommenderVersionID, atelier.ModelRecommender)
	if err != nil {
		return Summary{}, err
	}
	gv, err := catalog.Version(ctx, store, a.GANVersionID, atelier.ModelGAN)
	if err != nil {
		return Summary{}, err
	}
	rec, err := catalog.LoadRecommender(ctx, blobs, rv)
	if err != nil {
		return Summary{}, err
	}
	defer rec.Close()
	m, err := catalog.LoadGAN(ctx, blobs, gv)
	if err != nil {
		return Summary{}, err
	}
	refs, err := catalog.StoreReferences(ctx, store, blobs, m.Size())
	if err != nil {
		return Summary{}, err
	}
	realism, _, err := catalog.CalibrateRealism(ctx, m, refs)
	if err != nil {
		return Summary{}, err
	}
	probes, stats, err := gan.DrawProbes(ctx, m, rec, realism, a.N, a.Seed, report)
	if err != nil {
		return Summary{}, err
	}
	if len(probes) == 0 {
		return Summary{}, atelier.Errorf(atelier.KindInvalid, "none of %d images drawn from GAN %s passed the checks", stats.Drawn, gv.ID)
	}
	items := make([]atelier.Item, len(probes))
	for n, p := range probes {
		report.Report(progress.Update{Stage: "store", Step: n, Total: len(probes)})
		png, err := markPNG(p, key)
		if err != nil {
			return Summary{}, err
		}
		blobKey := fmt.Sprintf("probes/%s/%04d.png", pool, n)
		if err := blobs.Put(ctx, blobKey, bytes.NewReader(png), int64(len(png)), "image/png"); err != nil {
			return Summary{}, fmt.Errorf("store probe %d: %w", n, err)
		}
		items[n] = atelier.Item{ExternalID: fmt.Sprintf("probe-%s-%04d", pool, n), Category: p.Category, Generated: true,
			Attributes: map[string]string{AttrRecommender: rv.ID, AttrGAN: gv.ID, AttrPool: pool,
				AttrRealism: strconv.FormatFloat(p.Realism, 'f', 3, 64), AttrLatent: encodeLatent(p.Z)},
			Images: []atelier.Image{{OriginalKey: blobKey, ModelKey: blobKey, Width: p.Image.W, Height: p.Image.H, ContentType: "image/png"}}}
	}
	if _, err := store.ImportItems(ctx, items); err != nil {
		return Summary{}, fmt.Errorf("store probes: %w", err)
	}
	report.Report(progress.Update{Stage: "store", Step: len(probes), Total: len(probes)})
	return Summary{Size: len(probes), Drawn: stats.Drawn, Categories: stats.Categories, Seconds: stats.Seconds,
		Recommender: rv.ID, GAN: gv.ID}, nil
}

// encodeLatent is AttrLatent's encoding of z.
func encodeLatent(z []float32) string {
	b := make([]byte, 4*len(z))
	for i, v := range z {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeLatent reads a probe's latent code from its attributes.
func DecodeLatent(attrs map[string]string) ([]float32, error) {
	b, err := base64.StdEncoding.DecodeString(attrs[AttrLatent])
	if err != nil || len(b)%4 != 0 || len(b) == 0 {
		return nil, atelier.Errorf(atelier.KindInvalid, "probe latent code: not base64 float32s")
	}
	z := make([]float32, len(b)/4)
	for i := range z {
		z[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return z, nil
}

// markPNG encodes a probe with the invisible mark and the AI-generated
// label, as redesign variants are.
func markPNG(p gan.Probe, key string) ([]byte, error) {
	desc := "a generated " + strings.ReplaceAll(p.Category, "_", " ") + " shown in the choice flow"
	png, _, err := watermark.MarkPNG(p.Image, key, desc)
	if err != nil {
		return nil, atelier.Wrap(atelier.KindInternal, err, "mark probe")
	}
	return png, nil
}

// Enqueuer queues jobs (the job queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, kind, ownerID string, args json.RawMessage, idempotencyKey string) (atelier.Job, bool, error)
}

// Ensure queues a probe-pool job for the active recommender and GAN
// versions unless one was queued for them before (the idempotency key
// names the pair), and returns it; false when either kind has no active
// version.
func Ensure(ctx context.Context, store *storage.Store, q Enqueuer, n int) (atelier.Job, bool, error) {
	rv, err := store.ActiveModelVersion(ctx, atelier.ModelRecommender)
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		return atelier.Job{}, false, nil
	}
	if err != nil {
		return atelier.Job{}, false, err
	}
	gv, err := store.ActiveModelVersion(ctx, atelier.ModelGAN)
	if atelier.ErrorKind(err) == atelier.KindNotFound {
		return atelier.Job{}, false, nil
	}
	if err != nil {
		return atelier.Job{}, false, err
	}
	args, err := json.Marshal(atelier.ProbePoolArgs{RecommenderVersionID: rv.ID, GANVersionID: gv.ID, N: n, Seed: 1})
	if err != nil {
		return atelier.Job{}, false, err
	}
	job, _, err := q.Enqueue(ctx, atelier.JobProbePool, "", args, "probe-pool:"+rv.ID+":"+gv.ID)
	if err != nil {
		return atelier.Job{}, false, fmt.Errorf("queue probe pool: %w", err)
	}
	return job, true, nil
}
