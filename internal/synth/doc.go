// Package synth is Atelier's synthetic fashion world: a procedurally
// rendered catalog, simulated consumers whose true taste is a fixed function
// of an image's pixels (the oracle), and interactions sampled from that
// taste. Models only ever see the sampled interactions and the images; the
// oracle is used only to evaluate them, for example to check that a
// suggested variant raises what a segment really prefers.
//
// # Catalog
//
// Six categories (tshirt, dress, trousers, sneaker, heel, handbag) are drawn
// as anti-aliased vector shapes on white: garments flat from the front,
// shoes from the side with the toe to the right, bags from the front. Each
// item has a primary and a secondary HSV colour, a body pattern (solid,
// hstripes, vstripes, dots, checks, gradient) with a scale, category shape
// parameters and a small jitter of scale, offset and rotation (see
// Attributes). Item i of a catalog is of category i mod 6 and is drawn from
// its own PCG stream seeded by (seed, i), so a catalog is the same on every
// run, with any number of workers.
//
// Determinism: random draws come only from seeded PCG streams (math/rand/v2),
// nothing that shapes output iterates over a map, sums run in a fixed order,
// and the rasterizer accumulates coverage in fixed point at these sizes. A
// dataset is therefore byte-identical for a seed on every amd64 machine. Go
// may fuse multiply-adds on arm64, ppc64 and s390x (as may the vector
// package's curve flattening), so there a rare pixel can differ by one 8-bit
// level; no code path depends on the processor otherwise.
//
// # Oracle
//
// For an RGB image with channels in [0,1], H rows and W columns:
//
//   - item mask M: pixels with max(1−R, 1−G, 1−B) > 0.08. If M is empty
//     every feature is 0.
//   - per pixel: hue h in degrees, saturation s and value v of HSV
//     (v = max, s = (max−min)/max, 0 for black), luminance
//     L = 0.299R + 0.587G + 0.114B.
//   - hue(θ) = mean over M of s·cos(h − θ) = a·cos θ + b·sin θ with
//     a = mean s·cos h (Features.HueCos), b = mean s·sin h (Features.HueSin)
//   - saturation = mean over M of s
//   - value = mean over M of v
//   - contrast = standard deviation (population) over M of L
//   - pattern = min(1, m/0.25), m the mean over interior pixels of M (the
//     pixel and its 4 neighbours in M; border pixels never are; 0 if none)
//     of |L(x−1,y) + L(x+1,y) + L(x,y−1) + L(x,y+1) − 4L(x,y)|
//   - coverage = |M| / (H·W)
//   - extent = (last row with a pixel of M − first such row + 1) / H
//
// The features depend somewhat on resolution (pattern most), so images are
// scored at the catalog size (64×64 unless the dataset says otherwise):
// resize others first.
//
// A persona has a hue taste (angle, weight), a weight per feature
// (saturation, value, contrast, pattern, coverage, extent), category
// log-affinities and a noise level. A consumer of a persona gets weights =
// persona weights + N(0, noise²) each (the hue weight too) and hue angle =
// persona angle + N(0, (noise·30°)²). Its utility of an image is
//
//	U = hue.weight·hue(hue.angle) + Σ_k weight_k·feature_k.
//
// Category affinities only bias which items a consumer is shown; they never
// enter the utility. PersonaUtility is the expected U over a persona's
// consumers. Shown k images, a consumer picks image j with probability
// softmax(U/T)_j, T the temperature (Choose).
//
// # Interactions
//
// Each consumer makes N picks. For each: a category is drawn by softmax of
// the consumer's category affinities (over categories with items it has not
// taken), a slate of 20 of its untaken items is drawn uniformly, and one is
// picked as above. Timestamps are Unix seconds, strictly increasing per
// consumer.
//
// # Dataset format
//
// A dataset directory (written by Write, `atelier synth`; an importer of
// real data writes the same files, without the oracle folder) holds:
//
//	images/<item_id>.png   one RGB(A) PNG per item, square, white background
//	items.csv              item_id,category,<attribute columns>
//	consumers.csv          consumer_id,segment
//	interactions.csv       consumer_id,item_id,timestamp
//	personas.json          the personas used (synthetic worlds only)
//	oracle/consumers.json  each consumer's true taste (ground truth)
//	oracle/world.json      the generation settings (ground truth)
//
// All CSV files are UTF-8, comma-separated with a header row, quoted per
// RFC 4180 where needed, "\n" line ends. Identifiers are non-empty strings of
// ASCII letters, digits, '-', '_' and '.' (here it00001..., c00001...); an
// item_id is also the base name of its image. Readers must find columns by
// header name and ignore columns they do not know.
//
//   - items.csv: one row per image. category is one of the six above (an
//     importer maps its own categories onto them or adds new names). The
//     attribute columns of synthetic worlds are those of Columns(): colours
//     as primary_h/_s/_v and secondary_h/_s/_v (degrees, [0,1], [0,1]),
//     pattern and pattern_scale, shape parameters in [0,1] (empty where the
//     category has none), neckline/strap/handle words, flap true/false, and
//     the jitter scale, offset_x, offset_y, rotation (degrees). Attribute
//     columns are descriptive: no model may need them.
//   - consumers.csv: one row per consumer; segment names the consumer's
//     group (the persona in synthetic worlds; may be empty for real data).
//   - interactions.csv: one row per pick, ordered by consumer then
//     timestamp; timestamp is integer Unix seconds. Every consumer_id and
//     item_id appears in its table. A consumer takes an item at most once.
//   - personas.json: {"personas":[{"name","share","hue":{"angle","weight"},
//     "weights":{"saturation",...,"extent"},"categories":{...},"noise"}]},
//     shares summing to 1 (see ParsePersonas).
//   - oracle/consumers.json: {"consumers":[{"consumer_id","persona",
//     "hue":{"angle","weight"},"weights":{...},"categories":{...}}]}. Models
//     and training code must never read the oracle folder.
package synth
