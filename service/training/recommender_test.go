package training

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/servicetest"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// TestTrainRecommenderJobResumes: an attempt that finds the training state
// a dead attempt saved trains only the epochs left; state from other
// settings is discarded and training starts over; a finished job leaves
// no state behind.
func TestTrainRecommenderJobResumes(t *testing.T) {
	world := servicetest.World(t, 24, 4, 2)
	servicetest.ForEachImported(t, world, func(t *testing.T, store *storage.Store, blobs blob.Store) {
		testTrainRecommenderJobResumes(t, NewEngine(store, blobs))
	})
}

func testTrainRecommenderJobResumes(t *testing.T, e *Engine) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	handler := e.TrainRecommender
	params := func(epochs int, seed uint64) atelier.TrainRecommenderParams {
		p := atelier.DefaultTrainRecommenderParams()
		p.Epochs, p.Dim, p.Batch, p.Seed, p.Patience = epochs, 8, 16, seed, 5
		return p
	}
	run := func(id string, p atelier.TrainRecommenderParams) []string {
		t.Helper()
		args, err := json.Marshal(map[string]any{"params": p})
		if err != nil {
			t.Fatal(err)
		}
		var stages []string
		report := progress.Func(func(u progress.Update) {
			if !slices.Contains(stages, u.Stage) {
				stages = append(stages, u.Stage)
			}
		})
		if _, err := handler(ctx, atelier.Job{ID: id, Kind: atelier.JobTrainRecommender, Args: args}, report); err != nil {
			t.Fatalf("job %s: %v", id, err)
		}
		key := fmt.Sprintf("models/recommender/job-%s.training.safetensors", id)
		if _, err := e.blobs.Stat(ctx, key); atelier.ErrorKind(err) != atelier.KindNotFound {
			t.Errorf("job %s: its training state outlived it (%v)", id, err)
		}
		return stages
	}
	// plant saves the state of a one-epoch run as job id's dead attempt.
	plant := func(id string, p atelier.TrainRecommenderParams) {
		t.Helper()
		d, im, _, err := e.exportDataset(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		split, err := recommender.NewSplit(d, recommender.SplitConfig{ColdFraction: p.ColdItems, Seed: p.Seed})
		if err != nil {
			t.Fatal(err)
		}
		tc := RecommenderConfig(p)
		tc.Checkpoint = filepath.Join(t.TempDir(), "state.safetensors")
		m, err := recommender.Train(ctx, recommender.NewTrainData(d, im), split, tc, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		if err := catalog.PutFile(ctx, e.blobs, fmt.Sprintf("models/recommender/job-%s.training.safetensors", id), tc.Checkpoint); err != nil {
			t.Fatal(err)
		}
	}

	fresh := run("fresh", params(2, 3))
	if !slices.Contains(fresh, "train epoch 1/2") || !slices.Contains(fresh, "train epoch 2/2") {
		t.Fatalf("a fresh job went through stages %q", fresh)
	}

	plant("resumed", params(1, 3))
	resumed := run("resumed", params(2, 3))
	if slices.Contains(resumed, "train epoch 1/2") || !slices.Contains(resumed, "train epoch 2/2") {
		t.Errorf("a job resuming after epoch 1 went through stages %q", resumed)
	}

	plant("stale", params(1, 4)) // another seed: another split
	stale := run("stale", params(2, 3))
	if !slices.ContainsFunc(stale, func(s string) bool { return strings.Contains(s, "starting over") }) ||
		!slices.Contains(stale, "train epoch 1/2") {
		t.Errorf("a job with another run's state went through stages %q", stale)
	}
}
