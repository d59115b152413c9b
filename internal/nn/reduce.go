package nn

// Sums over long float32 slices for the normalisation layers and the
// gradients of biases and of a batch's parts. A single float64 accumulator
// makes every add wait for the previous one (a dependency chain of the
// add's latency per element); four float32 lanes run in parallel, and
// flushing them into float64 every reduceBlock elements keeps the rounding
// error of a long sum at that of a short one.

const reduceBlock = 64

// sum returns Σ x.
func sum(x []float32) float64 {
	var total float64
	for len(x) > 0 {
		n := min(len(x), reduceBlock)
		var a0, a1, a2, a3 float32
		b := x[:n]
		i := 0
		for ; i+4 <= n; i += 4 {
			a0 += b[i]
			a1 += b[i+1]
			a2 += b[i+2]
			a3 += b[i+3]
		}
		for ; i < n; i++ {
			a0 += b[i]
		}
		total += float64((a0 + a1) + (a2 + a3))
		x = x[n:]
	}
	return total
}

// sumSqDev returns Σ (x − mu)².
func sumSqDev(x []float32, mu float32) float64 {
	var total float64
	for len(x) > 0 {
		n := min(len(x), reduceBlock)
		var a0, a1, a2, a3 float32
		b := x[:n]
		i := 0
		for ; i+4 <= n; i += 4 {
			d0, d1, d2, d3 := b[i]-mu, b[i+1]-mu, b[i+2]-mu, b[i+3]-mu
			a0 += d0 * d0
			a1 += d1 * d1
			a2 += d2 * d2
			a3 += d3 * d3
		}
		for ; i < n; i++ {
			d := b[i] - mu
			a0 += d * d
		}
		total += float64((a0 + a1) + (a2 + a3))
		x = x[n:]
	}
	return total
}

// dotDev returns Σ g·(x − mu) over equal-length g and x.
func dotDev(g, x []float32, mu float32) float64 {
	var total float64
	x = x[:len(g)]
	for len(g) > 0 {
		n := min(len(g), reduceBlock)
		var a0, a1, a2, a3 float32
		gb, xb := g[:n], x[:n]
		i := 0
		for ; i+4 <= n; i += 4 {
			a0 += gb[i] * (xb[i] - mu)
			a1 += gb[i+1] * (xb[i+1] - mu)
			a2 += gb[i+2] * (xb[i+2] - mu)
			a3 += gb[i+3] * (xb[i+3] - mu)
		}
		for ; i < n; i++ {
			a0 += gb[i] * (xb[i] - mu)
		}
		total += float64((a0 + a1) + (a2 + a3))
		g, x = g[n:], x[n:]
	}
	return total
}

// addTo adds src to dst elementwise (equal lengths), four elements per
// iteration with one bounds check each: the sum of the weight gradients of
// a batch's parts, which runs over every weight of a layer.
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, s := dst[i:i+4:i+4], src[i:i+4:i+4]
		d[0] += s[0]
		d[1] += s[1]
		d[2] += s[2]
		d[3] += s[3]
	}
	for ; i < len(dst); i++ {
		dst[i] += src[i]
	}
}
