package synth

// Handbags are drawn from the front: a rounded trapezoid body in the body
// fill, a handle (one top arch, two small arches, or a long shoulder strap)
// and an optional flap with a clasp in the secondary colour.

func drawHandbag(p *painter, a Attributes, body, detail fill) {
	hw := lerp(0.25, 0.40, a.Width)  // half width at the bottom
	bh := lerp(0.32, 0.48, a.Height) // body height
	var handle float64               // how far the handle rises above the body
	switch a.Handle {
	case "shoulder":
		handle = min(0.40, 0.83-bh)
	case "double":
		handle = 0.2
	default:
		handle = 0.24
	}
	total := bh + handle
	bottom := 0.5 + total/2
	top := bottom - bh
	tw := hw * 0.84 // half width at the top
	r := 0.05

	// Handle first, so the body covers its feet.
	dark := p.solid(shade(a.Secondary, 0.85))
	p.begin()
	switch a.Handle {
	case "shoulder":
		p.arch(0.5, top+0.03, tw-0.04, handle+0.03, 0.022)
	case "double":
		p.arch(0.5-0.01, top+0.02, tw*0.45, handle, 0.03)
		p.paint(dark)
		p.begin()
		p.arch(0.5+0.01, top+0.03, tw*0.45, handle-0.005, 0.03)
	default:
		p.arch(0.5, top+0.02, tw*0.55, handle, 0.045)
	}
	p.paint(dark)

	p.begin()
	p.moveTo(0.5-tw+r, top)
	p.lineTo(0.5+tw-r, top)
	p.quadTo(0.5+tw, top, 0.5+tw+r*0.15, top+r)
	p.lineTo(0.5+hw, bottom-r)
	p.quadTo(0.5+hw+0.005, bottom, 0.5+hw-r, bottom)
	p.lineTo(0.5-hw+r, bottom)
	p.quadTo(0.5-hw-0.005, bottom, 0.5-hw, bottom-r)
	p.lineTo(0.5-tw-r*0.15, top+r)
	p.quadTo(0.5-tw, top, 0.5-tw+r, top)
	p.close()
	p.paint(body)

	if a.Flap {
		fd := bh * 0.48 // flap depth
		p.begin()
		p.moveTo(0.5-tw+r, top)
		p.lineTo(0.5+tw-r, top)
		p.quadTo(0.5+tw, top, 0.5+tw+r*0.15, top+r)
		p.lineTo(0.5+tw+0.005+(hw-tw)*fd/bh, top+fd*0.7)
		p.cubeTo(0.5+tw*0.6, top+fd*1.05, 0.5-tw*0.6, top+fd*1.05, 0.5-tw-0.005-(hw-tw)*fd/bh, top+fd*0.7)
		p.lineTo(0.5-tw-r*0.15, top+r)
		p.quadTo(0.5-tw, top, 0.5-tw+r, top)
		p.close()
		p.paint(p.solid(shade(a.Primary, 0.7)))
		p.begin()
		p.ellipse(0.5, top+fd*0.86, 0.035, 0.035, false)
		p.paint(detail)
	} else {
		// A top seam and a clasp.
		p.begin()
		p.stroke(0.5-tw+0.02, top+0.035, 0.5+tw-0.02, top+0.035, 0.012)
		p.paint(p.solid(shade(a.Primary, 0.6)))
		p.begin()
		p.roundRect(0.5-0.04, top+0.015, 0.5+0.04, top+0.07, 0.012)
		p.paint(detail)
	}
}
