// Package imgmetric measures images and sets of images: structural
// similarity (SSIM), MSE and PSNR, the diversity of a set of generated
// images, and the Fréchet distance between two sets of feature vectors. The
// GAN's quality checks and the redesign fidelity checks are built on them.
//
// # SSIM
//
// SSIM follows Wang, Bovik, Sheikh and Simoncelli (2004). For two images x
// and y, every 11×11 window w (Gaussian weights, σ = 1.5, normalised to sum
// to 1) gives weighted means, variances and a covariance
//
//	μx = Σ w·x    σx² = Σ w·x² − μx²    σxy = Σ w·x·y − μx·μy
//
// and the local index
//
//	SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))
//
// with C1 = (K1·L)², C2 = (K2·L)², K1 = 0.01, K2 = 0.03 and dynamic range
// L = 1 (pixel values in [0,1]). Only windows that lie entirely inside the
// image count ("valid" windows, no padding), so an H×W image gives an
// (H−10)×(W−10) map, and the mean SSIM is the mean of that map. Colour
// images are compared channel by channel and the three means averaged;
// the [Luma] mode compares BT.601 luma instead. This is the definition of
// skimage.metrics.structural_similarity with gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False and data_range=1.
//
// The window is separable, so each of the five local moments is one
// horizontal and one vertical 11-tap pass, in float64 to avoid cancellation
// in σ² = E[x²] − μ²; a [Calculator] keeps its buffers between calls.
//
// # Diversity
//
// The diversity of a set of images is the mean of 1 − SSIM(a, b) over pairs
// of distinct images: 0 for copies of one image, larger for a varied set.
//
// # Fréchet distance
//
// Two sets of K-dimensional feature vectors are summarised by Gaussians
// N(μ1, Σ1) and N(μ2, Σ2) (sample means and unbiased covariances), and
//
//	FD = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½)
//
// (the Fréchet or 2-Wasserstein distance between the Gaussians; "FID" when
// the features come from an Inception network). Σ1Σ2 is not symmetric, but
// it is similar to the symmetric positive semi-definite matrix
// Σ1^½ Σ2 Σ1^½, so Tr((Σ1Σ2)^½) is the sum of the square roots of that
// matrix's eigenvalues; both square roots come from symmetric
// eigendecompositions, with round-off negatives clamped to zero.
package imgmetric
