package synth

import (
	"image"

	"github.com/atelier-app/atelier/internal/imaging"
)

// GridItems draws perCategory items of every category for a catalog
// overview: row r holds category Categories()[r]. Item j of a row comes from
// its own random stream, so a grid is reproducible from its seed.
func GridItems(seed uint64, perCategory int) []Item {
	var items []Item
	for r, c := range Categories() {
		for j := 0; j < perCategory; j++ {
			i := r*perCategory + j
			items = append(items, Item{ID: ItemID(i), Attributes: DrawAttributes(itemRand(seed^0x9e3779b97f4a7c15, i), c)})
		}
	}
	return items
}

// Grid renders items at size px, cols to a row, with a 4 px white gutter.
func Grid(items []Item, cols, size int) *image.NRGBA {
	r := NewRenderer()
	tiles := make([]image.Image, len(items))
	for i, it := range items {
		tiles[i] = r.Render(it.Attributes, size)
	}
	return imaging.Grid(tiles, cols, 4)
}
