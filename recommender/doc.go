// Package recommender learns consumer taste from interaction logs and
// pairwise picks, and measures how well it does: datasets, the time-ordered
// split, evaluation metrics, baselines (random, popularity, BPR-MF, raw
// pixels), consumer segments, fold-in of new consumers, similar items and
// personalised thumbnails. The visual model (DVBPR) plugs into all of it as
// one more Scorer.
//
// # Preference and the BPR objective
//
// Every model scores a consumer u and an item i with a preference x(u,i).
// Latent-factor models use x(u,i) = θ_u·f_i, where f_i is an item vector: a
// free embedding in BPR-MF, φ(X_i) computed from the item's image X_i in
// DVBPR. They are trained with Bayesian Personalised Ranking on triplets
// (u, i, j), i taken by u in training and j not:
//
//	maximise Σ_(u,i,j) ln σ(x(u,i) − x(u,j)) − λ‖Θ‖²,   σ(z) = 1/(1+e^−z)
//
// i.e. the probability that u prefers i over j is σ(x(u,i) − x(u,j)).
//
// # Split
//
// A seeded share of the catalog (10% by default) is held out as cold
// items: they stand for items nobody has interacted with yet, such as a
// new season's designs, and no model learns anything about them. Then,
// per consumer, interactions sorted by time (ties by file order): the last
// is the test item, whatever it is; every interaction with a cold item
// before it is removed; of the rest, the last is the validation item and
// the others training. A consumer left with a single non-cold item before
// the test item keeps it in training and has no validation item.
// Consumers with fewer than three distinct items are all training (less
// their cold items) and are not evaluated. A repeated (consumer, item)
// pair counts once, at its first time: taking an item again says nothing
// new about taste. With no cold items this is the DVBPR protocol
// (Kang et al. 2017).
//
// Consumers whose test item is cold are the cold-start cases, about the
// held-out share of consumers: their taste is known from training, the
// item is not. Cold items are never positives or negatives in training
// (see TripletSampler); BPR-MF leaves their vectors at their random
// initial values.
//
// # Metrics
//
// For an evaluated consumer u with held-out item h (the test item, or the
// validation item during model selection), the negatives N_u are the items
// u never took (in training, validation or test, or a removed cold
// interaction); cold items u never took are negatives like any other, as
// items nobody took in training:
//
//	AUC_u = (1/|N_u|) Σ_{j∈N_u} [x(u,h) > x(u,j)] + ½[x(u,h) = x(u,j)]
//
// AUC is the mean of AUC_u over consumers. AUC@100 ("auc_sampled") uses 100
// negatives drawn without replacement from N_u with a seeded generator.
// Cold-start AUC ("auc_cold") asks whether a model can rank items nobody
// has interacted with: for each consumer whose held-out item h is cold, it
// is AUC_u with N_u restricted to the other cold items u never took,
// averaged over those consumers (validation items are never cold, so model
// selection has none). A model that scores items from their
// images can order them; one that knows items only by their interactions
// cannot (BPR-MF's random cold vectors give 0.5 in expectation,
// popularity's equal zero counts exactly 0.5).
//
// Ranking metrics rank h among the candidates C_u = N_u ∪ {h} (all items
// not taken in training or, for the test item, validation). With r the
// 0-based rank of h:
//
//	HR@k = Recall@k = [r < k],   NDCG@k = [r < k] / log2(r + 2)
//
// With one held-out item per consumer, Recall@k and HR@k coincide (recall
// divides the hits by the number of held-out items, which is one); both are
// reported under their usual names. Ties in score are broken uniformly at
// random in expectation: with g candidates scoring strictly above h and e
// tied with it, each metric is its mean over r ∈ {g, …, g+e}, which keeps a
// model that scores many items equally (popularity on cold items, BPR-MF on
// unseen ones) from being rewarded or punished by an arbitrary order.
//
// # DVBPR
//
// The visual model (Model, trained by Train) computes the item side from
// pixels, x(u,i) = θ_u·φ(X_i), φ a small CNN trained end to end with the
// θ_u on BPR triplets (see Model for the objective and architecture). It
// scores cold items and new images as readily as old ones, and its φ and
// category head can be built into another graph (Features,
// CategoryLogits) so that the GAN can differentiate preference with
// respect to generated pixels. A model file records the split it was
// trained on; it is only evaluated on that split (CheckSplit).
//
// Training draws Batch triplets per step with TripletSampler, shares them
// among Workers goroutines, each with its own graph over the same
// parameters, gathers each share's distinct images into the slots of a
// fixed-size input so that φ runs once per image, sums the gradients and
// takes one Adam step. After each epoch it measures the validation AUC
// and keeps the best epoch's weights (early stopping with patience);
// training checkpoints hold the weights, Adam's moments, the sampler's
// random state and the run's progress, so an interrupted run resumes
// exactly where it stopped.
//
// # Fold-in
//
// A new consumer gives a few picks, each one chosen image c over the others
// o shown with it; with item features f fixed, θ maximises
//
//	L(θ) = Σ_(c,o) ln σ(θ·(f_c − f_o)) − λ‖θ − θ₀‖²
//
// where θ₀ is a prior (the mean θ of known consumers, or zero). L is
// strictly concave for λ > 0; FoldIn runs damped Newton steps on it.
//
// # Segments
//
// A segment is a set of consumers; its preference for a feature vector f is
// the mean of its members' preferences, (1/|S|) Σ_{u∈S} θ_u·f = θ̄_S·f.
// Segments come from k-means++ over θ vectors or from imported labels.
package recommender
