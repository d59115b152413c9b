package transfer

import (
	"fmt"
	"testing"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/imaging"
)

// BenchmarkTransfer times the transfer of one variant onto a photo of a
// product on a white backdrop, per method and photo size (the photo's
// preparation, done once per redesign, is not timed).
func BenchmarkTransfer(b *testing.B) {
	base := catalogPhotos(b, 1, 1024)[0]
	for _, size := range []int{256, 1024, 4096} {
		pix := base
		if size != 1024 {
			pix = imaging.FromImage(imaging.Resize(base.Image(), size, size))
		}
		p, err := Prepare(pix, atelier.ModelSize)
		if err != nil {
			b.Fatal(err)
		}
		e := warmer(p)
		for _, m := range Methods {
			b.Run(fmt.Sprintf("%s/%d", m, size), func(b *testing.B) {
				for b.Loop() {
					if _, err := Apply(p, e, m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
