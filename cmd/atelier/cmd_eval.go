package main

import "context"

// runEval dispatches `atelier eval TARGET`: offline evaluations of trained
// models on held-out data.
func runEval(ctx context.Context, e env, args []string) error {
	return subcommands(ctx, e, "eval", args, map[string]command{
		"recommender": {"evaluate recommenders on a dataset's held-out interactions", runEvalRecommender},
		"redesign":    {"compare the redesign engine with baselines on a synthetic world's oracle", runEvalRedesign},
		"gan":         {"measure a trained GAN's samples, encoder and inversion against a catalog", runEvalGAN},
		"backgrounds": {"judge product descriptions and background suggestions on a synthetic world's ground truth", runEvalBackgrounds},
		"choices":     {"send simulated consumers through the choice flow with catalog items and generated probes, judged by a synthetic world's oracle", runEvalChoices},
	})
}
