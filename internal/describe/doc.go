// Package describe puts a product photo into words: its colours, pattern,
// size in the frame and mood, as structured fields and one sentence ("a
// bold red striped t-shirt, large in frame, warm and playful"). Background
// suggestions match these words against the captions of background scenes,
// so the words, not the pixels, are the interface: a seller can read why a
// scene was suggested, and an operator's own backgrounds can be captioned
// by hand in the same vocabulary.
//
// Everything is measured from the pixels of the product region (a
// transfer.Mask), never from catalog attributes, which an upload does not
// have. The category is the caller's (the recommender's category head), so
// that this package stays a leaf.
//
// # Colours
//
// The region's pixels, less a thin rim (anti-aliased edges mix product and
// backdrop), are clustered in CIELAB by k-means (k = 4, farthest-point
// seeding from the densest colour, so the result is deterministic);
// clusters closer than MergeDistance are merged, and colours covering at
// least MinColourShare of the region are kept, largest first. Each is
// named by package colour (nearest CSS name, family rule on HSV). The
// sentence names the main colour, and a second one for a pattern of two
// colours, or as "details" of a solid product when it covers at least
// DetailShare of it (soles, handles, trims).
//
// # Pattern
//
// With a second colour present, every interior pixel is labelled with the
// nearer of the two main colours, and the pattern is read off the labels:
//
//   - many pixels far from both colours (a blend between them, not two
//     inks): "other" (gradients, prints);
//   - label changes between neighbours, per neighbour pair, along x (tx)
//     and along y (ty): fewer than MinPatternRate in both directions means
//     large blocks (a sole, a trim, a strap) on a solid body: "solid";
//   - changes along one direction only (the other below a quarter of the
//     total): "stripes";
//   - changes along both: "checks" when both colours form at least
//     MinDotBlobs separate blobs (same-coloured squares meet only at their
//     corners), "dots" when only one does (dots sit on a connected ground,
//     which is then the product's main colour whatever its share); fewer
//     blobs are trims: "solid".
//
// A blend is named by its two ends (the means of the pixels at either end
// of the line through its most different colours), not by the mixtures
// k-means finds along it.
//
// A single main colour whose pixels spread far from it (more than
// BlendShare of them beyond MergeDistance) is a blend too: "other".
//
// # Size
//
// small when the product covers under 12% of the frame and spans under
// 45% of it; large when it covers over 35% or spans over 80%; medium
// otherwise (span: the larger side of its bounding box over the frame's).
//
// # Mood
//
// From the main colour (hue family, saturation s, value v, CIELAB L*) and
// the contrast between the main colours (ΔE), in this order:
//
//   - warm: a red, orange, yellow, pink, brown or beige main colour with
//     s ≥ 0.15; cool: a green, blue or purple one
//   - bright: v ≥ 0.75 and s ≥ 0.45; dark: L* < 35
//   - bold: s ≥ 0.7, or a pattern whose colours differ by ΔE ≥ 50
//   - soft: s < 0.35, not dark, and no pattern contrast over ΔE 25
//   - playful: dots or checks, or bright with a second saturated hue
//   - elegant: dark or greyish (s < 0.2) and solid
//   - calm: cool or neutral and soft
//   - natural: a brown, beige or green main colour with s < 0.6
//
// The rules are a documented vocabulary, not a model: they are what a
// stylist would say of colours, and a background's caption uses the same
// words (package backdrop), so that a search can match them.
package describe
