// Package gan holds Atelier's image generator and everything built on it:
// the generator G(z), its discriminator D, the inversion encoder E, their
// training, GAN inversion and latent shifting toward a consumer segment, and
// the fidelity checks of generated variants.
//
// The package is pure compute on internal/nn. It never imports the
// recommender: what it needs from one is the Scorer interface, which the
// recommender's model satisfies and cmd wires in.
//
// # Networks
//
// G (Generator) maps a standardised latent z (128 dimensions by default) to
// a 64×64 RGB image in [0,1]: a linear layer to 4×4×128, then per doubling
// nearest-neighbour upsampling, a 3×3 convolution, leaky ReLU and pixel
// norm (64, 48 and 32 channels at 8, 16 and 32 px), and a last 3×3
// convolution to 12 channels whose depth-to-space rearrangement gives the
// 64×64×3 image through a sigmoid. Widths were chosen by measured speed
// (docs/gan.md): narrow layers at full size are memory-bound, so the
// channels shrink as the image grows and the last doubling is a
// depth-to-space rearrangement rather than a convolution at 64 px.
//
// D (Discriminator) mirrors it with stride-2 3×3 convolutions (24, 48, 96,
// 128 channels at 32, 16, 8, 4 px), a minibatch standard deviation channel,
// one more convolution and a linear realism logit. Its stride-2 feature
// maps, normalised per pixel over channels, make the perceptual distance
// of inversion (see perceptual.go); its logit is the realism score.
//
// E (Encoder) is a plain stride-2 convolution stack with a linear head and
// a standardised output: a first guess of z for a photo.
//
// # Recipe
//
// Training (Trainer) minimises the non-saturating logistic losses, plus a
// reconstruction term through an encoder E trained along with G:
//
//	L_D   = E softplus(−D(A(x))) + E softplus(D(A(G(z))))
//	L_G,E = E softplus(−D(A(G(z))))
//	        + λ_r · mean (G(E(x′)) − x′)² + λ_m · M(E(x′))
//
// with A the differentiable augmentation, x′ a second batch of real
// images (16 per step), λ_r = 300, λ_m = 1, and M the moment loss that
// keeps the batch of codes E(x′) at per-dimension mean 0 and variance 1,
// like the prior of z (see latentMoments). An optional third term,
// λ_p · P(G(E(x′)), x′), the perceptual distance in D's feature maps (as
// in VAE-GAN's learned similarity), rewards reconstructions whose edges
// and patterns D sees where the real ones are rather than their pixel
// average; it is off (λ_p = 0) in the demo recipe. An optional fourth,
// λ_f · FM(G(z), x′), matches the batch means of D's feature maps of the
// generated and the real images (feature matching, see featurematch.go):
// it corrects what the whole batch of samples gets wrong in one direction,
// such as softness, which the pixel MSE rewards; off in the first stage
// of the demo recipe, on (λ_f = 100) in its refinement (see Random
// latents). Each step computes both updates
// from one generated batch (G's forward pass is the dearest part, so it is
// not repeated), then updates an exponential moving average of G's weights
// (decay 0.999, ramped up over the first steps), which is the generator
// that sampling, inversion and shifting use. What makes it train on two
// CPU cores, and why:
//
//   - The reconstruction term, and its weight. A pure GAN of this size, at
//     the 100 images per second this machine allows, still drew every item
//     in the same grey after 2,000 steps: the discriminator's gradient
//     says "more like a real item", which for colour averages to grey.
//     Reconstructing real items through G tells it directly which colours
//     and patterns to draw, and keeps every catalog item reachable from
//     some z, which inversion needs; the moment loss places those z where
//     random latents fall, and the adversarial term keeps random samples
//     sharp and realistic (as in VAE-GAN, Larsen et al. 2016, without the
//     sampling noise). The pixel MSE is a mean over 12,288 values, so its
//     gradient is tiny beside the adversarial one: at λ_r = 10, G learned
//     shapes but no colour by item (every sample took the same, drifting
//     tint, and 200 inversion steps could not find a pink dress anywhere
//     in its latent space), and raising λ_r later did not bring colour
//     back within 300 steps. At λ_r = 1000 from the start, per-item colour
//     appeared within 300 steps; 300 keeps the adversarial term a
//     comparable part of the loss.
//   - Spectral normalisation of every D weight, to spectral norm 2. The
//     usual stabiliser, the R1 gradient penalty, needs second derivatives,
//     which nn's graphs do not have; spectral normalisation bounds D's
//     slope with first-order machinery only, one power iteration per step.
//     At norm 1 D learned colour several times slower (see spectralNorm).
//   - Pixel norm in G instead of batch norm: no batch statistics, the same
//     function in training and inference, and per-sample outputs (batch
//     norm in gorgonia also has a broken inference-mode gradient).
//   - Minibatch standard deviation in D, so that a batch of too-similar
//     fakes is easy to spot: the generator is pushed to cover all six
//     categories rather than collapse onto a few.
//   - Translation augmentation (±1/8 of the side, white fill) of everything
//     D sees, real and fake, differentiably (Zhao et al. 2020): a
//     three-thousand-image catalog is small, and an unaugmented D memorises
//     it. Cutout is available and off: it slowed D's early learning more
//     than it helped in the step budget available.
//   - Adam (β₁ 0.5, β₂ 0.99) at 5e-4 for all networks, batch 32: the
//     highest rate at which tiny models still improved on toy data.
//
// Every batch is split into fixed shards (two), each with its own graphs
// over the shared weights, run on their own goroutines; gradients are
// summed in shard order, so results never depend on scheduling. Each step
// draws its randomness from a source seeded by (seed, step), so a run
// resumed from a checkpoint (which holds G, its average, D, the power
// iteration vectors and both optimisers' moments) continues exactly as
// the uninterrupted run would have.
//
// # Encoder and inversion
//
// After G, E (the one trained along) is fine-tuned with G and D frozen
// (TrainEncoder) on real images, pixel MSE plus perceptual distance of
// G(E(x)) to x, and on generated pairs, the latent loss (E(G(z)) − z)². Invert then starts from E(x) and
// takes Adam steps on z (lr 0.01) over MSE + perceptual distance,
// re-standardising z after each. Every HoldoutEvery-th catalog image is
// kept out of the encoder's training for evaluation.
//
// # Redesign
//
// Redesign inverts the seller's photo (Invert), learns n shifts of its
// latent toward the segment's taste (Shift, the published objective plus
// the Keep terms for category and realism, without which most variants on
// our generator left their category or the realistic region), checks every
// variant (assess.go, fidelity.go), and marks every output image as
// AI-generated.
//
// # Random latents
//
// Sampling, creator mode and the realism references draw z from the
// models' Prior, a Gaussian mixture fitted to E's codes of the catalog
// after training (a second stage, see Prior): from the standard normal the
// same G drew a tenth as many handbags and sneakers as the catalog has.
// Adversarial training, though, drew z from the standard normal, so the
// prior's latents, where the encoder places catalog items, are where G
// learned mostly from the pixel MSE of reconstructions: softer, paler
// images than the catalog's. The demo recipe's refinement
// (RefineTrainConfig: TrainConfig.PriorLatents and feature matching, 600
// steps at two fifths of the learning rates; `train gan --init models
// --prior-latents --feature-match-weight 100 --lr-g 0.0002 --lr-d 0.0002`) continues training with the
// generated batch drawn from the fixed prior, so that the adversarial and
// feature matching terms act where sampling draws. Together they brought
// the samples' φ statistics close to the catalog's; either change alone
// did not (docs/gan.md has the runs). The prior stays fixed through it, and the
// encoder fine-tuned afterwards (`train encoder --keep-prior`) keeps it:
// a prior refitted to the codes of catalog items sits exactly where G
// draws their soft reconstructions.
//
// Last, the prior's spread τ (Prior.Spread, see spread.go) is calibrated
// for the final G and E (`train encoder` and `train prior` do it unless
// told --spread 1): G draws softer, more average images than those whose
// codes it is given, so the mixture as fitted draws samples that vary
// less than the catalog, and τ, chosen so that E's codes of samples are
// distributed like E's codes of catalog items, widens it again
// (docs/gan.md gives τ and its effect on the demo models). The refinement
// trains on the prior as fitted: trained on a calibrated one, then
// calibrated again, it read worse (docs/gan.md).
//
// # Files
//
// A training checkpoint holds everything to resume; a models file (what
// `atelier train encoder` writes) holds what inference needs: G (the
// moving average), D, E and the prior in one file, so that an encoder
// never travels without the generator it inverts. See checkpoint.go for
// the layout.
package gan
