// Package transfer puts a change the generator made at model size onto the
// seller's own photo at the photo's resolution.
//
// A redesign computes its variants at the generator's size (64×64): the
// base reconstruction B = G(z₀) of the photo and a variant V = G(z_k). The
// generator's reconstruction error (B is softer than the photo, and misses
// details) must never reach the seller, so what is transferred is the
// change V − B, not V: the output is the photo changed the way the shift
// changed B.
//
// # Where
//
// The product region comes from the photo itself (ProductMask): pixels
// unlike the background colour, less the background-like pixels connected
// to the border, so that white stripes or a white collar inside the
// product stay product. The region is cropped to a square Frame with the
// catalog's framing, which is what the model sees (ModelInput), and the
// change is put back into that frame. Outside the product region the
// output is the photo, bit for bit.
//
// # How
//
// Three methods, chosen by measurement (docs/redesign.md):
//
//   - Naive: the 64-px variant scaled up over the product. The baseline: it
//     is as soft as the generator.
//   - Delta: the photo plus the change V − B scaled up (bilinear). It keeps
//     the photo's outline and details, but adds the change's low-frequency
//     blotches on top of them, so the product reads softer.
//   - Guided (the default): bilateral guided upsampling (Chen et al., SIGGRAPH
//     Asia 2016). At model size the photo x and the edited photo x + V − B
//     form a pair; local affine colour transforms, one per cell of a grid
//     over (x, y, luminance), are fitted to map one to the other, and each
//     full-resolution pixel is transformed by the grid's transform at its
//     position and luminance. The photo's own edges and texture pass
//     through the transforms, recoloured, so the output is as sharp as the
//     photo. The cells are small, so that a local change stays local, and
//     each node's transform is pulled toward the whole product's (a
//     ridge): a node that saw few pixels, or a narrow range of colours,
//     would otherwise fit gains that flatten the photo's local contrast.
//
// What Guided does with pattern changes: it recolours the photo's pattern
// (light and dark stripes are separated by the luminance axis and get
// their own colours), strengthens or weakens its contrast, and shifts
// regions' colours; it cannot draw stripes where the photo has none, or
// erase stripes the photo has beyond flattening their contrast. Such a
// shift shows up as a lower edit consistency, which the evaluation reports.
package transfer
