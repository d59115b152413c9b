package storage_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/testkit"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/storagetest"
)

func TestModelVersions(t *testing.T) {
	storagetest.ForEachDatabase(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		_, err := s.ActiveModelVersion(ctx, atelier.ModelGAN)
		testkit.WantKind(t, err, atelier.KindNotFound)

		mk := func(active bool) atelier.ModelVersion {
			return testkit.Must(s.CreateModelVersion(ctx, atelier.ModelVersion{
				Kind: atelier.ModelGAN, BlobKey: "models/gan.safetensors", Active: active,
				Metrics: map[string]float64{"fid": 41.5}, Config: json.RawMessage(`{"latent":64}`),
			}))(t)
		}
		v1 := mk(true)
		v2 := mk(false)
		rec := testkit.Must(s.CreateModelVersion(ctx, atelier.ModelVersion{Kind: atelier.ModelRecommender, BlobKey: "models/rec", Active: true}))(t)

		active := testkit.Must(s.ActiveModelVersion(ctx, atelier.ModelGAN))(t)
		if active.ID != v1.ID || active.Metrics["fid"] != 41.5 || string(active.Config) != `{"latent":64}` {
			t.Fatalf("active %+v", active)
		}
		testkit.Must(s.ActivateModelVersion(ctx, v2.ID))(t)
		if got := testkit.Must(s.ActiveModelVersion(ctx, atelier.ModelGAN))(t); got.ID != v2.ID {
			t.Fatalf("active is %q after activating %q", got.ID, v2.ID)
		}
		if got := testkit.Must(s.GetModelVersion(ctx, v1.ID))(t); got.Active {
			t.Fatal("old version still active")
		}
		// Activating a GAN leaves the recommender alone.
		if got := testkit.Must(s.ActiveModelVersion(ctx, atelier.ModelRecommender))(t); got.ID != rec.ID {
			t.Fatalf("active recommender %q", got.ID)
		}
		if list := testkit.Must(s.ListModelVersions(ctx, atelier.ModelGAN))(t); len(list) != 2 || list[0].ID != v2.ID {
			t.Fatalf("list newest first: %+v", list)
		}

		// Concurrent activations end with exactly one active version.
		vs := []atelier.ModelVersion{v1, v2, mk(false), mk(false)}
		var wg sync.WaitGroup
		errs := make(chan error, 4*len(vs))
		for range 4 {
			for _, v := range vs {
				wg.Go(func() {
					if _, err := s.ActivateModelVersion(ctx, v.ID); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent activation: %v", err)
		}
		n := 0
		for _, v := range testkit.Must(s.ListModelVersions(ctx, atelier.ModelGAN))(t) {
			if v.Active {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d active GAN versions", n)
		}

		_, err = s.ActivateModelVersion(ctx, "missing")
		testkit.WantKind(t, err, atelier.KindNotFound)
		for _, bad := range []atelier.ModelVersion{
			{Kind: "other", BlobKey: "k"},
			{Kind: atelier.ModelGAN},
			{Kind: atelier.ModelGAN, BlobKey: "k", Config: json.RawMessage("{")},
		} {
			_, err := s.CreateModelVersion(ctx, bad)
			testkit.WantKind(t, err, atelier.KindInvalid)
		}
	})
}
