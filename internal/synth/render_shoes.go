package synth

// Shoes are drawn from the side, toe to the right, standing on a ground
// line: the upper in the body fill, sole, heel and laces in the secondary
// colour.

func drawSneaker(p *painter, a Attributes, body, detail fill) {
	sole := lerp(0.055, 0.12, a.Sole)
	// The shoe spans collar..ground, centred in the frame; a high top is
	// taller.
	tall := lerp(0.34, 0.58, a.Height)
	ground := 0.5 + tall/2
	collar := ground - tall
	st := ground - sole // top of the sole
	back, toe := 0.09, 0.91
	tongue := back + 0.30

	// Upper: rounded heel, a dip at the ankle, the tongue, then the lace
	// line down to a round toe box.
	p.begin()
	p.moveTo(back+0.03, st+0.01)
	p.cubeTo(back-0.02, st-0.06, back-0.01, collar+0.05, back+0.04, collar)
	p.quadTo(back+0.14, collar+0.07, tongue-0.06, collar+0.05)
	p.quadTo(tongue-0.04, collar-0.04, tongue+0.02, collar-0.03)
	p.lineTo(0.64, st-0.13)
	p.cubeTo(0.84, st-0.12, toe, st-0.07, toe, st+0.01)
	p.close()
	p.paint(body)

	// Sole with a rounded toe, and a heel tab.
	p.begin()
	p.moveTo(back, st)
	p.lineTo(toe-0.03, st)
	p.quadTo(toe+0.015, st, toe+0.01, st+sole*0.6)
	p.quadTo(toe, ground, toe-0.05, ground)
	p.lineTo(back+0.03, ground)
	p.quadTo(back-0.01, ground, back-0.005, st+sole*0.4)
	p.quadTo(back-0.005, st, back, st)
	p.close()
	p.paint(detail)

	// Laces across the instep, or one wide strap.
	p.begin()
	// Points along the lace line, from the tongue to the toe box.
	lace := func(t float64) (float64, float64) {
		return lerp(tongue+0.03, 0.6, t), lerp(collar+0.01, st-0.12, t)
	}
	if a.Strap == "strap" {
		u0, v0 := lace(0.45)
		p.stroke(u0-0.05, v0-0.04, u0+0.05, v0+0.06, 0.09)
	} else {
		for i := 0; i < 4; i++ {
			u, v := lace(0.1 + 0.8*float64(i)/3)
			p.stroke(u-0.035, v-0.035, u+0.035, v+0.035, 0.024)
		}
	}
	p.paint(detail)
}

func drawHeel(p *painter, a Attributes, body, detail fill) {
	hh := lerp(0.17, 0.40, a.Height) // heel height above the ground
	plat := lerp(0.015, 0.07, a.Sole)
	collar := 0.13 // height of the counter above the heel seat
	span := hh + collar
	if a.Strap == "ankle" {
		span += 0.05
	}
	ground := 0.5 + span/2 + 0.02
	seatU, seatV := 0.14, ground-hh // heel seat
	ball := ground - plat           // sole line under the forefoot
	toe := 0.9

	// Upper: counter, a low topline down to the vamp, the toe box, then
	// back along the arch to the heel seat.
	p.begin()
	p.moveTo(seatU-0.02, seatV)
	p.lineTo(seatU-0.025, seatV-collar)
	p.quadTo(seatU+0.14, seatV-collar+0.02, 0.52, ball-0.12)
	p.cubeTo(0.68, ball-0.16, toe-0.04, ball-0.07, toe, ball-0.01)
	p.lineTo(0.62, ball-0.01)
	p.cubeTo(0.45, ball-0.01, seatU+0.14, seatV, seatU-0.02, seatV)
	p.close()
	p.paint(body)

	// Sole along the arch, the forefoot platform and the heel.
	p.begin()
	p.moveTo(seatU-0.025, seatV-0.005)
	p.cubeTo(seatU+0.14, seatV-0.005, 0.45, ball-0.015, 0.62, ball-0.015)
	p.lineTo(toe+0.005, ball-0.015)
	p.quadTo(toe+0.02, ground, toe-0.03, ground)
	p.lineTo(0.58, ground)
	p.quadTo(0.55, ground, 0.55, ball+0.01)
	p.cubeTo(0.42, ball+0.02, seatU+0.14, seatV+0.03, seatU-0.025, seatV+0.025)
	p.close()
	p.paint(detail)
	bw := lerp(0.02, 0.085, a.Width) // heel width at the ground
	p.begin()
	p.moveTo(seatU-0.025, seatV+0.02)
	p.lineTo(seatU+0.1, seatV+0.03)
	p.quadTo(seatU+0.03, seatV+hh*0.4, seatU+bw, ground)
	p.lineTo(seatU, ground)
	p.quadTo(seatU-0.01, seatV+hh*0.5, seatU-0.025, seatV+0.02)
	p.close()
	p.paint(detail)

	if a.Strap == "ankle" {
		p.begin()
		cu, cv := seatU+0.05, seatV-collar-0.02
		p.stroke(seatU-0.03, seatV-collar+0.01, cu+0.1, cv-0.03, 0.025)
		p.paint(detail)
	}
}
