package report

import (
	"github.com/atelier-app/atelier/internal/chart"
)

// HeatMapSVG is the heat map of the report's first chart.MaxRows items ×
// its segments by percentile, as a standalone SVG document (the one the
// HTML export inlines).
func HeatMapSVG(doc Doc) string { return chart.HeatMap(heatMatrix(doc)) }

// DistributionSVG is the distribution of the seller's items' percentiles
// for the segment against the catalog's, as a standalone SVG document; a
// segment the report does not cover is KindNotFound.
func DistributionSVG(doc Doc, segmentID string) (string, error) {
	s, err := doc.segment(segmentID)
	if err != nil {
		return "", err
	}
	return chart.Distribution(distSample(doc, s)), nil
}
