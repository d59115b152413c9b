package recommender

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/atelier-app/atelier"
)

// Triplet is an explicit preference to train on: Consumer preferred image
// Preferred over image Other (indexes of the training images: items, or
// generated probes after them), as a pick in the choice flow says of the
// chosen item and each one shown beside it. An interaction only says that
// a consumer took an item; BPR then compares it with an item drawn at
// random, which the consumer may well have liked too. A pick names the
// alternatives the consumer turned down, and the flow shows alternatives
// that are hard to tell apart for the model: sharper negatives.
type Triplet struct {
	Consumer, Preferred, Other int
}

// addExplicit adds triplets to the sampler's draws: an epoch then draws
// EpochSize triplets from the training pairs and these alike. Their images
// index the training images, numImages of them: the split's items, then
// any others (generated probes). Triplets that would teach the model what
// the split holds out are dropped: any with a cold item (nothing may be
// learned of those), and any whose preferred item is the consumer's
// validation or test item. It returns how many were kept; an index out of
// range is an error.
func (t *TripletSampler) addExplicit(ts []Triplet, numImages int) (int, error) {
	s := t.split
	cold := func(i int) bool { return i < s.NumItems && s.cold[i] }
	for _, tr := range ts {
		switch {
		case tr.Consumer < 0 || tr.Consumer >= s.NumConsumers():
			return 0, atelier.Errorf(atelier.KindInvalid, "explicit triplet: consumer %d of %d", tr.Consumer, s.NumConsumers())
		case tr.Preferred < 0 || tr.Preferred >= numImages || tr.Other < 0 || tr.Other >= numImages:
			return 0, atelier.Errorf(atelier.KindInvalid, "explicit triplet: images %d and %d of %d", tr.Preferred, tr.Other, numImages)
		case tr.Preferred == tr.Other || cold(tr.Preferred) || cold(tr.Other):
			continue
		case tr.Preferred == s.Val[tr.Consumer] || tr.Preferred == s.Test[tr.Consumer]:
			continue
		}
		t.explicit = append(t.explicit, [3]int32{int32(tr.Consumer), int32(tr.Preferred), int32(tr.Other)})
	}
	return len(t.explicit), nil
}

// explicitHash identifies a list of explicit triplets in a training
// checkpoint's configuration, so training resumes only with the same
// ones; "" for none.
func explicitHash(ts []Triplet) string {
	if len(ts) == 0 {
		return ""
	}
	h := sha256.New()
	var buf [12]byte
	for _, tr := range ts {
		binary.LittleEndian.PutUint32(buf[0:], uint32(tr.Consumer))
		binary.LittleEndian.PutUint32(buf[4:], uint32(tr.Preferred))
		binary.LittleEndian.PutUint32(buf[8:], uint32(tr.Other))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
