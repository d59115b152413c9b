package evaluation

import (
	"bytes"
	"image/png"

	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/service/redesign"
)

// photoTally sums a photo evaluation's measures over its pairs.
type photoTally struct {
	pairs                     int
	passed, oraclePos         int
	pred, oracle              float64
	byMethod                  map[transfer.Method]*transferTally
	markedChanged, markedSeen float64
}

// transferTally sums one transfer method's measures: the oracle's over
// the pairs' best passing variants, the images' over every variant.
type transferTally struct {
	uplift, uplift64          float64
	positive                  int
	sharp, background, consis float64
	variants                  int
}

func newPhotoTally() *photoTally {
	t := &photoTally{byMethod: map[transfer.Method]*transferTally{}}
	for _, m := range transfer.Methods {
		t.byMethod[m] = &transferTally{}
	}
	return t
}

// add measures one pair's redesign. The best variant is rank 1 when it
// passed every check; a pair without one counts as no uplift.
func (t *photoTally) add(photo *transfer.Photo, res *redesign.Result, oracle func(imaging.Tensor) float64, chosen transfer.Method) error {
	t.pairs++
	best := -1
	if len(res.Variants) > 0 && res.Variants[0].Passed {
		best = 0
		v := res.Variants[0]
		t.passed++
		t.pred += v.Scores.Uplift
		o := oracle(v.Image.Raw) - oracle(res.Base.Raw)
		t.oracle += o
		if o > 0 {
			t.oraclePos++
		}
	}
	photo64 := imaging.FromImageSize(photo.Pix.Image(), photo.Input.W)
	for m, mt := range t.byMethod {
		for k, v := range res.Variants {
			out, err := transfer.Apply(photo, transfer.Edit{Base: res.Base.Raw, Variant: v.Image.Raw}, m)
			if err != nil {
				return err
			}
			mt.variants++
			mt.sharp += transfer.SharpnessRatio(out, photo)
			mt.background += transfer.BackgroundChanged(out, photo)
			mt.consis += transfer.EditConsistency(out, photo, transfer.Edit{Base: res.Base.Raw, Variant: v.Image.Raw})
			if k == best {
				u := oracle(out) - oracle(photo.Pix)
				mt.uplift += u
				mt.uplift64 += oracle(imaging.FromImageSize(out.Image(), photo.Input.W)) - oracle(photo64)
				if u > 0 {
					mt.positive++
				}
			}
			if m == chosen && res.FullPNG != nil {
				marked, err := png.Decode(bytes.NewReader(res.FullPNG[k]))
				if err != nil {
					return err
				}
				t.markedChanged += transfer.BackgroundChanged(imaging.FromImage(marked), photo)
				t.markedSeen++
			}
		}
	}
	return nil
}

func (t *photoTally) report(chosen transfer.Method) *PhotoReport {
	n := float64(max(t.pairs, 1))
	rep := &PhotoReport{Pairs: t.pairs, Transfer: string(chosen), Transfers: map[string]FullReport{}}
	naive := t.byMethod[transfer.Naive]
	for m, mt := range t.byMethod {
		v := float64(max(mt.variants, 1))
		rep.Transfers[string(m)] = FullReport{
			OracleUplift:          mt.uplift / n,
			OracleUplift64:        mt.uplift64 / n,
			OraclePositiveFrac:    float64(mt.positive) / n,
			SharpnessRatio:        mt.sharp / v,
			SharpnessRatioNaive:   naive.sharp / float64(max(naive.variants, 1)),
			BackgroundChangedFrac: mt.background / v,
			EditConsistency:       mt.consis / v,
		}
	}
	full := rep.Transfers[string(chosen)]
	if t.markedSeen > 0 {
		full.BackgroundChangedMarkedFrac = t.markedChanged / t.markedSeen
		rep.Transfers[string(chosen)] = full
	}
	rep.Methods = map[string]PhotoMethodReport{"gis": {
		PredUplift: t.pred / n, OracleUplift: t.oracle / n, OraclePositiveFrac: float64(t.oraclePos) / n,
		PassedFrac: float64(t.passed) / n, Full: full,
	}}
	return rep
}
