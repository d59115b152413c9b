package main

import "context"

// runTrain dispatches `atelier train TARGET`: offline training of the
// product's models on a dataset directory.
func runTrain(ctx context.Context, e env, args []string) error {
	return subcommands(ctx, e, "train", args, map[string]command{
		"recommender": {"train the DVBPR visual recommender on a dataset", runTrainRecommender},
		"gan":         {"train the image generator and discriminator on a catalog", runTrainGAN},
		"encoder":     {"train the inversion encoder of a trained generator", runTrainEncoder},
		"prior":       {"fit the latent prior of a generator and encoder to a catalog", runTrainPrior},
	})
}
