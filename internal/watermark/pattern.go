package watermark

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// Grid is the side of the canonical grid of the mark: the image is divided
// into Grid×Grid cells in normalised coordinates, whatever its size, and
// each cell carries one ±1 chip of the keyed pattern. At 64×64 a cell is
// 2×2 pixels.
const Grid = 32

// DemoKey is the key of the demo configuration (ATELIER_WATERMARK_KEY
// unset). Production deployments set their own secret key.
const DemoKey = "atelier-demo-watermark-key"

// patternLabel separates the pattern derivation from any other use of the
// same key; the version lets a future mark coexist with this one.
const patternLabel = "atelier/watermark/v1/pattern"

// pattern returns the keyed ±1 chips of the mark, one per grid cell,
// row-major: HMAC-SHA256(key, label) seeds a PCG stream whose bits are the
// signs. Without the key the chips are indistinguishable from coin flips.
func pattern(key string) []float64 {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(patternLabel))
	sum := mac.Sum(nil)
	rng := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	p := make([]float64, Grid*Grid)
	var bits uint64
	for i := range p {
		if i%64 == 0 {
			bits = rng.Uint64()
		}
		p[i] = float64(int(bits&1)*2 - 1)
		bits >>= 1
	}
	return p
}
