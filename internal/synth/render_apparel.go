package synth

import "math"

// Garments are drawn flat, front view, the way catalog photos lay them out:
// a filled silhouette in the body fill, then a few details (the inside of
// the neck, a waistband, a belt, seams) that make the kind obvious at 64 px.

// sleeve returns the four corners of a sleeve hanging from shoulder (su, sv)
// at angle deg from vertical, of the given length and cuff width, on the
// right side (mirror u for the left): outer shoulder, outer cuff, inner cuff.
func sleeve(su, sv, deg, length, cuff float64) (ou, ov, iu, iv float64) {
	a := deg * math.Pi / 180
	du, dv := math.Sin(a), math.Cos(a)
	ou, ov = su+length*du, sv+length*dv
	// The cuff runs perpendicular to the sleeve, towards the body.
	iu, iv = ou-cuff*dv, ov+cuff*du
	return
}

func drawTShirt(p *painter, a Attributes, body fill) {
	hw := lerp(0.16, 0.21, a.Width)   // half body width
	hem := lerp(0.78, 0.91, a.Length) // hem line
	top := 0.10                       // neck points
	nw := 0.085                       // half neck width
	su, sv := 0.5+hw+0.04, top+0.035  // right shoulder point
	arm := sv + 0.19                  // armpit height
	ang := lerp(62, 16, a.Sleeve)     // short sleeves stand out, long ones hang
	length := lerp(0.17, 0.56, a.Sleeve)
	// Mid-length sleeves would reach furthest out: let them hang lower
	// instead, so the shirt stays inside the frame.
	if reach := 0.91 - su; length*math.Sin(ang*math.Pi/180) > reach {
		ang = math.Asin(reach/length) * 180 / math.Pi
	}
	ou, ov, iu, iv := sleeve(su, sv, ang, length, lerp(0.15, 0.11, a.Sleeve))

	p.begin()
	p.moveTo(0.5-nw, top)
	p.lineTo(0.5+nw, top)
	p.lineTo(su, sv)
	p.lineTo(ou, ov)
	p.lineTo(iu, iv)
	p.lineTo(0.5+hw, arm)
	p.lineTo(0.5+hw+0.005, hem)
	p.quadTo(0.5, hem+0.012, 0.5-hw-0.005, hem)
	p.lineTo(0.5-hw, arm)
	p.lineTo(1-iu, iv)
	p.lineTo(1-ou, ov)
	p.lineTo(1-su, sv)
	p.close()
	p.paint(body)

	// The inside of the back shows through the neck opening, darker.
	inside := p.solid(shade(a.Primary, 0.6))
	p.begin()
	p.moveTo(0.5-nw, top)
	switch a.Neckline {
	case "vneck":
		p.lineTo(0.5, top+0.15)
	case "scoop":
		p.cubeTo(0.5-nw, top+0.12, 0.5+nw, top+0.12, 0.5+nw, top)
	default:
		p.quadTo(0.5, top+0.1, 0.5+nw, top)
	}
	p.lineTo(0.5+nw, top)
	p.quadTo(0.5, top+0.03, 0.5-nw, top)
	p.close()
	p.paint(inside)
}

func drawDress(p *painter, a Attributes, body, detail fill) {
	hem := lerp(0.60, 0.89, a.Length)
	// A short dress sits a bit lower so the picture stays centred.
	shift := (0.89 - hem) / 2
	top := 0.08 + shift
	waist := 0.40 + shift
	hem += shift
	bust, wst := 0.15, 0.115
	flare := lerp(0.20, 0.38, a.Width)
	flare = math.Min(flare, wst+(hem-waist)*0.75)

	p.begin()
	if a.Sleeve == 0 {
		// Strap dress: a straight bodice top and two thin straps.
		bt := top + 0.11
		p.moveTo(0.5-bust, bt)
		p.quadTo(0.5, bt+0.03, 0.5+bust, bt)
		p.lineTo(0.5+wst, waist)
		p.quadTo(0.5+wst+0.04, waist+0.06, 0.5+flare, hem)
		p.quadTo(0.5, hem+0.04, 0.5-flare, hem)
		p.quadTo(0.5-wst-0.04, waist+0.06, 0.5-wst, waist)
		p.close()
		p.paint(body)
		// Straps are painted on their own: overlapping subpaths of opposite
		// winding would cancel where they meet the bodice.
		p.begin()
		p.stroke(0.5-bust+0.02, bt+0.01, 0.5-0.09, top, 0.025)
		p.paint(body)
		p.begin()
		p.stroke(0.5+bust-0.02, bt+0.01, 0.5+0.09, top, 0.025)
	} else {
		nw := 0.07
		su, sv := 0.5+bust+0.03, top+0.03
		ou, ov, iu, iv := sleeve(su, sv, lerp(40, 12, a.Sleeve), lerp(0.08, 0.5, a.Sleeve), 0.09)
		p.moveTo(0.5-nw, top)
		p.lineTo(0.5+nw, top)
		p.lineTo(su, sv)
		p.lineTo(ou, ov)
		p.lineTo(iu, iv)
		p.lineTo(0.5+bust, top+0.17)
		p.lineTo(0.5+wst, waist)
		p.quadTo(0.5+wst+0.04, waist+0.06, 0.5+flare, hem)
		p.quadTo(0.5, hem+0.04, 0.5-flare, hem)
		p.quadTo(0.5-wst-0.04, waist+0.06, 0.5-wst, waist)
		p.lineTo(0.5-bust, top+0.17)
		p.lineTo(1-iu, iv)
		p.lineTo(1-ou, ov)
		p.lineTo(1-su, sv)
		p.close()
	}
	p.paint(body)

	if a.Sleeve > 0 {
		inside := p.solid(shade(a.Primary, 0.6))
		nw := 0.07
		p.begin()
		p.moveTo(0.5-nw, top)
		switch a.Neckline {
		case "vneck":
			p.lineTo(0.5, top+0.16)
		case "square":
			p.lineTo(0.5-nw, top+0.09)
			p.lineTo(0.5+nw, top+0.09)
		default:
			p.quadTo(0.5, top+0.12, 0.5+nw, top)
		}
		p.lineTo(0.5+nw, top)
		p.quadTo(0.5, top+0.025, 0.5-nw, top)
		p.close()
		p.paint(inside)
	}

	// A belt marks the waist.
	p.begin()
	p.poly(0.5-wst-0.005, waist-0.02, 0.5+wst+0.005, waist-0.02, 0.5+wst+0.008, waist+0.02, 0.5-wst-0.008, waist+0.02)
	p.paint(detail)
}

func drawTrousers(p *painter, a Attributes, body, detail fill) {
	hem := lerp(0.72, 0.91, a.Length)
	shift := (0.91 - hem) / 2
	top := 0.09 + shift
	hem += shift
	hw := 0.22 // half waist
	hip := top + 0.15
	crotch := top + 0.29
	gap := 0.045                     // half the space between the legs at the hem
	leg := lerp(0.13, 0.24, a.Width) // hem width of one leg

	p.begin()
	p.moveTo(0.5-hw, top)
	p.lineTo(0.5+hw, top)
	p.quadTo(0.5+hw+0.025, hip-0.06, 0.5+hw+0.025, hip)
	p.lineTo(0.5+gap+leg, hem)
	p.lineTo(0.5+gap, hem)
	p.lineTo(0.5+0.005, crotch)
	p.lineTo(0.5-0.005, crotch)
	p.lineTo(0.5-gap, hem)
	p.lineTo(0.5-gap-leg, hem)
	p.lineTo(0.5-hw-0.025, hip)
	p.quadTo(0.5-hw-0.025, hip-0.06, 0.5-hw, top)
	p.close()
	p.paint(body)

	// Waistband, fly and pocket seams.
	p.begin()
	p.poly(0.5-hw, top, 0.5+hw, top, 0.5+hw+0.004, top+0.045, 0.5-hw-0.004, top+0.045)
	p.paint(detail)
	p.begin()
	p.stroke(0.5, top+0.045, 0.5, crotch-0.06, 0.012)
	p.stroke(0.5-hw+0.03, top+0.05, 0.5-hw+0.0, top+0.13, 0.01)
	p.stroke(0.5+hw-0.03, top+0.05, 0.5+hw-0.0, top+0.13, 0.01)
	p.paint(p.solid(shade(a.Primary, 0.55)))
}
