package evaluation

import (
	"context"
	"image"

	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/composite"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/recommender"
	"github.com/atelier-app/atelier/service/backgrounds"
)

// FigureRow is one product of the backgrounds figure: its description and
// the captions of its top three scenes.
type FigureRow struct {
	ItemID   string   `json:"item_id"`
	Sentence string   `json:"sentence"`
	Scenes   []string `json:"scenes"`
}

// BackgroundsFigure draws the first n items of the dataset, one row each:
// the photo, then the product on its top three scenes, as the text
// ranking picks them.
func BackgroundsFigure(ctx context.Context, rec *recommender.Model, d *recommender.Dataset, n int) (image.Image, []FigureRow, error) {
	specs := backdrop.Library()
	byID := map[string]backdrop.Spec{}
	for _, s := range specs {
		byID[s.ID] = s
	}
	idx, err := backgrounds.LibraryIndex(specs, backgrounds.LibrarySize)
	if err != nil {
		return nil, nil, err
	}
	defer idx.Close()
	cat := &backgrounds.ModelCategorizer{M: rec}
	var tiles []image.Image
	var rows []FigureRow
	for i := range min(n, len(d.Items)) {
		img, err := imaging.ReadFile(d.ImagePath(i))
		if err != nil {
			return nil, nil, err
		}
		photo, err := backgrounds.PreparePhoto(img)
		if err != nil {
			return nil, nil, err
		}
		desc, err := backgrounds.Describe(ctx, cat, photo)
		if err != nil {
			return nil, nil, err
		}
		hits, err := idx.Search(backgrounds.Query(desc, ""), 3)
		if err != nil {
			return nil, nil, err
		}
		pix := photo.Pix.Image()
		tiles = append(tiles, pix)
		row := FigureRow{ItemID: d.Items[i].ID, Sentence: desc.Sentence}
		for _, h := range hits {
			s := byID[h.ID]
			out, err := composite.Place(pix, photo.Mask, s.Render(photo.Pix.W), composite.Options{})
			if err != nil {
				return nil, nil, err
			}
			tiles = append(tiles, out)
			row.Scenes = append(row.Scenes, s.Caption())
		}
		for len(tiles)%4 != 0 { // fewer than three scenes: keep the rows aligned
			tiles = append(tiles, image.NewNRGBA(pix.Bounds()))
		}
		rows = append(rows, row)
	}
	return imaging.Grid(tiles, 4, 6), rows, nil
}
