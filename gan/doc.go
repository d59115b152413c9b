// Package gan holds Atelier's image generator and everything built on it:
// the generator G(z), its discriminator D, the inversion encoder E, their
// training, GAN inversion and latent shifting toward a consumer segment, and
// the fidelity checks of generated variants.
//
// The package is pure compute on internal/nn. It never imports the
// recommender: what it needs from one is the Scorer interface below, which
// the recommender's model satisfies and cmd wires in.
package gan
