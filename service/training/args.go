package training

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/atelier-app/atelier"
)

// DecodeArgs reads a training job's arguments, {"params": {...}},
// strictly over the defaults: an unknown or out-of-range parameter is a
// KindInvalid error (the API refuses those before queuing; this guards
// jobs queued otherwise).
func DecodeArgs[P interface{ Check() error }](kind string, raw json.RawMessage, defaults P) (P, error) {
	a := struct {
		Params P `json:"params"`
	}{defaults}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return a.Params, atelier.Errorf(atelier.KindInvalid, "%s arguments: %v", kind, err)
		}
	}
	if err := a.Params.Check(); err != nil {
		return a.Params, fmt.Errorf("%s arguments: %w", kind, err)
	}
	return a.Params, nil
}
