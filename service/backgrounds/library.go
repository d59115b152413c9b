package backgrounds

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/imaging"
)

// LibrarySize is the side, in pixels, of the built-in scenes.
const LibrarySize = 1024

// BuiltinKey is where a built-in scene's image is stored.
func BuiltinKey(id string) string { return "backgrounds/builtin/" + id + ".png" }

// Builtin is the background record of a library scene rendered at size
// (its image is stored under BuiltinKey).
func Builtin(s backdrop.Spec, size int) atelier.Background {
	return atelier.Background{
		ID: s.ID, Caption: s.Caption(), Words: specWords(s),
		ImageKey: BuiltinKey(s.ID), Width: size, Height: size,
	}
}

func specWords(s backdrop.Spec) map[string]string {
	w := s.Fields()
	kind := w.Kind
	if w.Motif != "" {
		kind += " " + w.Motif
	}
	return map[string]string{
		"kind":        kind,
		"colours":     strings.Join(w.Colours, ", "),
		"families":    strings.Join(w.Families, " "),
		"main_family": w.Families[0],
		"tone":        w.Tone,
		"moods":       strings.Join(w.Moods, " "),
	}
}

// EnsureLibrary stores every built-in scene that the database does not
// have yet (rendered at LibrarySize; image first, row last, so a row
// always has its image) and brings the index up to date. It is cheap once
// done, and safe to run from several processes at once.
func (s *Service) EnsureLibrary(ctx context.Context) error {
	s.seed.Lock()
	defer s.seed.Unlock()
	if s.ready {
		return nil
	}
	have, err := s.cfg.Store.ListBackgrounds(ctx, "", false)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, b := range have {
		known[b.ID] = true
	}
	missing := 0
	for _, spec := range s.cfg.Library {
		if known[spec.ID] {
			continue
		}
		if err := s.storeBuiltin(ctx, spec); err != nil {
			return err
		}
		missing++
	}
	if missing > 0 {
		s.cfg.Log.InfoContext(ctx, "background library stored", "scenes", missing)
	}
	if err := s.index.Sync(ctx, s.cfg.Store); err != nil {
		return fmt.Errorf("background index: %w", err)
	}
	s.ready = true
	return nil
}

func (s *Service) storeBuiltin(ctx context.Context, spec backdrop.Spec) error {
	var buf bytes.Buffer
	// On the calling goroutine alone: the service seeds the library at a
	// lowered priority (lowprio), which helper goroutines would not have.
	if err := imaging.WritePNG(&buf, spec.RenderOn(s.cfg.SceneSize, 1)); err != nil {
		return err
	}
	b := Builtin(spec, s.cfg.SceneSize)
	if err := s.cfg.Blobs.Put(ctx, b.ImageKey, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/png"); err != nil {
		return fmt.Errorf("store scene %s: %w", spec.ID, err)
	}
	_, err := s.cfg.Store.CreateBackground(ctx, b)
	return err
}
