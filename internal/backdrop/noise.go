package backdrop

import "math"

// noise is seeded value noise: random values on the integer lattice,
// interpolated with a smoothstep. It is what the textures are made of;
// value noise rather than gradient noise because it is simpler and, summed
// in octaves (fBm), indistinguishable at the scales of a backdrop.
type noise struct{ seed uint32 }

// hash2 mixes a lattice point and the seed into 32 bits (a
// multiply-xorshift hash: fast, and without visible lattice patterns).
func hash2(x, y int32, seed uint32) uint32 {
	h := uint32(x)*0x8da6b343 ^ uint32(y)*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	h ^= h >> 15
	return h
}

// unit maps a hash to [0,1).
func unit(h uint32) float64 { return float64(h>>8) / (1 << 24) }

// at is the noise at (x, y), in [0,1]; one lattice cell per unit.
func (n noise) at(x, y float64) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int32(fx), int32(fy)
	tx, ty := x-fx, y-fy
	tx, ty = tx*tx*(3-2*tx), ty*ty*(3-2*ty)
	a := unit(hash2(ix, iy, n.seed))
	b := unit(hash2(ix+1, iy, n.seed))
	c := unit(hash2(ix, iy+1, n.seed))
	d := unit(hash2(ix+1, iy+1, n.seed))
	top := a + (b-a)*tx
	bot := c + (d-c)*tx
	return top + (bot-top)*ty
}

// fbm is fractional Brownian motion: octaves of noise, each at twice the
// frequency and half the amplitude of the last, normalised to [0,1].
func (n noise) fbm(x, y float64, octaves int) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for o := range octaves {
		sum += amp * noise{n.seed + uint32(o)*101}.at(x, y)
		norm += amp
		amp *= 0.5
		x, y = x*2+17.3, y*2+5.1
	}
	return sum / norm
}

// turbulence is fBm of |2·noise − 1|: sharp creases where the noise
// crosses its middle, the usual base of marble veins.
func (n noise) turbulence(x, y float64, octaves int) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for o := range octaves {
		sum += amp * math.Abs(2*noise{n.seed + uint32(o)*131}.at(x, y)-1)
		norm += amp
		amp *= 0.5
		x, y = x*2+3.7, y*2+11.9
	}
	return sum / norm
}

// grain is per-pixel white noise in [-1, 1], for paper grain and dither.
func (n noise) grain(x, y int) float64 {
	return 2*unit(hash2(int32(x), int32(y), n.seed^0x9e3779b9)) - 1
}
