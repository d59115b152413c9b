// Package backgrounds is the seller's background suggestions use case:
// describe the product in words (internal/describe), find the scenes whose
// captions suit those words, and show the product on them.
//
// # Why words
//
// Sellers pay for studio settings and props so that a photo highlights
// what is special about a product. Matching the product's description
// against captioned scenes (rather than pixels against pixels) lets a
// seller read why a scene was suggested, lets an operator add scenes with
// a caption written by hand, and lets a scene without one be captioned by
// the same describer that reads the product. The built-in library
// (internal/backdrop) is captioned from its render parameters, and
// EnsureLibrary stores it once. A service seeds it at its first start
// while it answers requests, so each scene is drawn on the calling
// goroutine alone: the caller can run it at a lowered priority
// (internal/lowprio) and keep the CPUs for the requests.
//
// # Matching
//
// The captions and their structured words live in a Bleve index (BM25
// scoring) in the data directory, rebuilt from the database when it is
// missing and brought up to date before each search when the table has
// changed (so several service processes, each with its own index, agree).
// The query is built from the description by one documented rule
// (Query):
//
//   - mood: the product's mood words, boosted ×2 — a playful product on a
//     playful scene;
//   - set-off tone: a light product asks for dark scenes and a dark one
//     for light scenes (×2), both for the mid tones (×1); a mid-tone
//     product asks for light and dark (×1.5);
//   - set-off colour: the families that set the product's main colour off
//     (its complement and the neutrals, SetOff), ×1.5;
//   - never the same colour: scenes whose main family is the product's
//     are excluded, so the product does not vanish into its backdrop;
//   - ownership: built-in scenes and the seller's own, never another
//     seller's (a filter, not a score).
//
// Each clause also searches the free-text caption at half its boost, so a
// scene uploaded with a hand-written caption and no structured words is
// still found by the same words.
//
// # Composites
//
// A suggestion's composite is the product cut out of its photo (feathered
// edges, a soft contact shadow) on the scene at the photo's resolution
// (internal/composite). Composites are made when first asked for and kept
// in the blob store under a key derived from the item and the scene, so a
// second request is a read.
package backgrounds
