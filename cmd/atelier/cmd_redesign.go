package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/gan"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/progress"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/redesign"
)

// runRedesign redesigns one product photo for a segment or a list of
// consumers and writes the watermarked variants and their scores:
// `atelier redesign --gan FILE --recommender FILE --image PNG (--segment
// NAME --dataset DIR | --consumers id,...) --out DIR`.
func runRedesign(ctx context.Context, e env, args []string) error {
	fs := newFlags("redesign", e)
	ganPath := fs.String("gan", "", "GAN models `file` (required)")
	recPath := fs.String("recommender", "", "recommender model `file` (required)")
	imagePath := fs.String("image", "", "product `photo` (PNG or JPEG; omit for creator mode: start from a random design)")
	method := fs.String("transfer", string(transfer.Guided), "how each variant's change reaches the photo: guided, delta or naive")
	segment := fs.String("segment", "", "segment `name` from the dataset's consumers.csv")
	dataset := fs.String("dataset", "", "dataset `directory`: the segment's members and the real images realism is calibrated on")
	consumers := fs.String("consumers", "", "comma-separated consumer `ids` (instead of --segment)")
	category := fs.String("category", "", "the item's `category` (default: what the recommender sees in the photo)")
	n := fs.Int("n", redesign.DefaultN, "number of variants")
	eps := fs.Float64("epsilon", redesign.DefaultEpsilon, "largest latent shift per dimension")
	steps := fs.Int("steps", redesign.DefaultSteps, "shift optimisation steps")
	invSteps := fs.Int("invert-steps", redesign.DefaultInvertSteps, "inversion steps")
	seed := fs.Int64("seed", 1, "seed of the shifts (and of the start in creator mode)")
	keepCat := fs.Float64("keep-category", 0, "weight of the term that keeps the base category while shifting (0: the default, negative: off)")
	keepReal := fs.Float64("keep-realism", 0, "weight of the realism term while shifting (0: the default, negative: off)")
	out := fs.String("out", "", "output `directory` (required)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	key := keyFlag(fs, e)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case *ganPath == "" || *recPath == "":
		return usagef("redesign: --gan and --recommender are required")
	case *out == "":
		return usagef("redesign: --out is required")
	case (*segment == "") == (*consumers == ""):
		return usagef("redesign: give either --segment (with --dataset) or --consumers")
	case *segment != "" && *dataset == "":
		return usagef("redesign: --segment needs --dataset")
	case *n < 1 || *n > 64:
		return usagef("redesign: --n %d not in [1, 64]", *n)
	case !(*eps > 0) || *eps > 10:
		return usagef("redesign: --epsilon %v not in (0, 10]", *eps)
	case *steps < 0 || *invSteps < 1:
		return usagef("redesign: --steps must not be negative and --invert-steps must be positive")
	case *key == "":
		return usagef("redesign: --key is empty")
	}
	m, err := gan.LoadModels(*ganPath)
	if err != nil {
		return fmt.Errorf("redesign: --gan %s: %w", *ganPath, err)
	}
	rec, err := recommender.LoadModel(*recPath)
	if err != nil {
		return fmt.Errorf("redesign: --recommender %s: %w", *recPath, err)
	}
	var data *recommender.Dataset
	if *dataset != "" {
		if data, err = recommender.LoadDataset(*dataset); err != nil {
			return fmt.Errorf("redesign: --dataset %s: %w", *dataset, err)
		}
	}
	var members []catalog.Member
	if *consumers != "" {
		for _, id := range strings.Split(*consumers, ",") {
			members = append(members, catalog.Member{ExternalID: strings.TrimSpace(id), Weight: 1})
		}
	} else if members = catalog.DatasetMembers(data, *segment); len(members) == 0 {
		return atelier.Errorf(atelier.KindNotFound, "redesign: segment %q has no members in %s", *segment, *dataset)
	}
	theta, known, err := catalog.SegmentTheta(rec, members)
	if err != nil {
		return fmt.Errorf("redesign: %w", err)
	}
	if known < len(members) {
		fmt.Fprintf(e.stderr, "redesign: %d of %d consumers are not in the recommender model and are left out\n", len(members)-known, len(members))
	}
	req := redesign.Request{Theta: theta, Category: *category, N: *n, Epsilon: *eps, Steps: *steps, InvertSteps: *invSteps,
		Seed: *seed, KeepCategory: *keepCat, KeepRealism: *keepReal,
		WatermarkKey: *key, Description: "AI-generated design variant (Atelier redesign)"}
	if req.Transfer, err = transfer.ParseMethod(*method); err != nil {
		return usagef("redesign: --transfer: %v", err)
	}
	if *imagePath != "" {
		img, err := imaging.ReadFile(*imagePath)
		if err != nil {
			return fmt.Errorf("redesign: --image: %w", err)
		}
		if req.Photo, err = redesign.PreparePhoto(img, m.Size()); err != nil {
			return fmt.Errorf("redesign: --image %s: %w", *imagePath, err)
		}
	}

	bar := progress.NewBar(e.stderr, progress.IsTerminal(e.stderr))
	defer bar.Done()
	realism, refName, err := catalog.DatasetRealism(ctx, m, data)
	if err != nil {
		return fmt.Errorf("redesign: %w", err)
	}
	res, err := redesign.Run(ctx, m, rec, realism, req, bar.Func())
	if err != nil {
		return fmt.Errorf("redesign: %w", err)
	}
	bar.Done()
	doc := newRedesignDoc(res, req.Photo, *segment, memberIDs(members), refName)
	if err := writeRedesign(*out, res, doc); err != nil {
		return fmt.Errorf("redesign: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return writeRedesignSummary(e.stdout, doc, *out)
}

// memberIDs lists the members' external ids.
func memberIDs(ms []catalog.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ExternalID
	}
	return ids
}
