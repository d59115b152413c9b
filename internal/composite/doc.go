// Package composite puts a product from its photo onto another
// background, and measures how much it stands out there.
//
// It is a package of its own, not part of package backdrop, because it
// works with any background (a library scene, an operator's own photo, a
// flat colour) and backdrop works without any product: neither needs the
// other, and a caller that only measures contrast need not link the scene
// library.
//
// # Place
//
// The output has the photo's size. The background is scaled to cover it
// (the larger of the two scale factors) and centre-cropped; a background
// already of that size is used as is, so a caller that renders a scene at
// the photo's size (backdrop.Spec.Render) pays no scaling.
//
// The product is the mask's region (transfer.ProductMask). Its edge is
// feathered with a box blur of the mask: a pixel's alpha is the share of
// mask pixels in the (2r+1)² box about it, r = Options.Feather (1.5 px by
// default) times the photo's longer side over 1024, at least 1, computed
// with integer running sums so that a full box is exactly 1. Alpha is 0
// outside the mask: the feather lies on the product's side of its edge,
// where the photo's pixels are partly product and partly backdrop. There
// the backdrop is unmixed: with k the photo's backdrop colour
// (Mask.Background), p = a·f + (1 − a)·k is solved for the product's colour
// f (clamped), and f is mixed over the new background with the same a, so
// the white of a catalog photo leaves no halo. Where alpha is 1 the output
// is the photo's pixel, bit for bit.
//
// The contact shadow is drawn on the background before the product, in a
// band from just above the product's bounding-box bottom downward (see
// castShadow): a firm dark line under the columns where the product
// touches the ground, and a faint wide ellipse under the whole product.
// It multiplies the background's colour, so a shadow on a coloured scene
// stays that colour, darker.
//
// Everything is a few passes over the image with no allocation per pixel:
// about 17 ms for a 1024-px photo on one core (BenchmarkPlace1024).
//
// # Contrast
//
// ProductContrast compares the product's mean colour with the mean colour
// of a ring of background around it, on the composite: CIELAB ΔE (CIE76)
// and the WCAG luminance ratio. Its doc gives the regions precisely; it is
// the measure of "the product stands out" that evaluations use.
package composite
