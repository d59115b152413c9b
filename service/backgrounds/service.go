package backgrounds

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"sync"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/backdrop"
	"github.com/atelier-app/atelier/internal/describe"
	"github.com/atelier-app/atelier/internal/imaging"
	"github.com/atelier-app/atelier/internal/transfer"
	"github.com/atelier-app/atelier/service/catalog"
	"github.com/atelier-app/atelier/service/redesign"
	"github.com/atelier-app/atelier/storage"
	"github.com/atelier-app/atelier/storage/blob"
)

// Categorizer names a product's category from its model-size image (the
// recommender's category head); "" when it cannot tell.
type Categorizer interface {
	Categorize(ctx context.Context, input imaging.Tensor) (string, error)
}

// Config is what a Service needs.
type Config struct {
	Store *storage.Store
	Blobs blob.Store
	// IndexPath is the search index's folder ("" keeps it in memory).
	IndexPath  string
	Categorize Categorizer // nil: descriptions carry no category
	Log        *slog.Logger
	// Library is the built-in scenes (nil: backdrop.Library()) and
	// SceneSize their side in pixels (0: LibrarySize); tests use fewer and
	// smaller.
	Library   []backdrop.Spec
	SceneSize int
}

// Service suggests backgrounds for sellers' items. Create it with New and
// share one per process (it holds the index open).
type Service struct {
	cfg   Config
	index *Index
	seed  sync.Mutex // one library seeding at a time
	ready bool
}

// New opens the index; the library is seeded by EnsureLibrary (or on the
// first suggestion).
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Library == nil {
		cfg.Library = backdrop.Library()
	}
	if cfg.SceneSize <= 0 {
		cfg.SceneSize = LibrarySize
	}
	idx, err := OpenIndex(cfg.IndexPath)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, index: idx}, nil
}

// Close closes the index.
func (s *Service) Close() error { return s.index.Close() }

// Suggestion is one scene for a product, with its search score.
type Suggestion struct {
	Background atelier.Background
	Score      float64
}

// Result is a product's description and the scenes that suit it, best
// first.
type Result struct {
	Description describe.Description
	Suggestions []Suggestion
}

// MaxSuggestions bounds n.
const MaxSuggestions = 20

// ForItem describes the seller's item from its photo and suggests n
// scenes: built-in ones and the seller's own.
func (s *Service) ForItem(ctx context.Context, sellerID string, it atelier.Item, n int) (Result, error) {
	if err := checkN(n); err != nil {
		return Result{}, err
	}
	subj, err := ItemSubject(it)
	if err != nil {
		return Result{}, err
	}
	return s.ForSubject(ctx, sellerID, subj, n)
}

// ForSubject describes a subject (an item's photo or a redesigned
// variant of it) and suggests n scenes for it.
func (s *Service) ForSubject(ctx context.Context, sellerID string, subj Subject, n int) (Result, error) {
	if err := checkN(n); err != nil {
		return Result{}, err
	}
	if err := s.EnsureLibrary(ctx); err != nil {
		return Result{}, err
	}
	photo, err := s.photo(ctx, subj)
	if err != nil {
		return Result{}, err
	}
	d, err := s.Describe(ctx, photo)
	if err != nil {
		return Result{}, err
	}
	if err := s.index.Sync(ctx, s.cfg.Store); err != nil {
		return Result{}, fmt.Errorf("background index: %w", err)
	}
	sugg, err := s.suggest(ctx, d, sellerID, n)
	return Result{Description: d, Suggestions: sugg}, err
}

// Describe puts a prepared photo into words, with the category from the
// service's categorizer.
func (s *Service) Describe(ctx context.Context, photo *transfer.Photo) (describe.Description, error) {
	return Describe(ctx, s.cfg.Categorize, photo)
}

// Describe puts a prepared photo into words, with the category from cat
// (nil: no category). The service, the command line and evaluations all
// describe photos this way.
func Describe(ctx context.Context, cat Categorizer, photo *transfer.Photo) (describe.Description, error) {
	category := ""
	if cat != nil {
		c, err := cat.Categorize(ctx, photo.Input)
		if err != nil {
			return describe.Description{}, err
		}
		category = c
	}
	return describe.Photo(photo.Pix, category)
}

func (s *Service) suggest(ctx context.Context, d describe.Description, sellerID string, n int) ([]Suggestion, error) {
	hits, err := s.index.Search(Query(d, sellerID), n)
	if err != nil {
		return nil, fmt.Errorf("background search: %w", err)
	}
	out := make([]Suggestion, 0, len(hits))
	for _, h := range hits {
		b, err := s.cfg.Store.GetBackground(ctx, sellerID, h.ID)
		if atelier.ErrorKind(err) == atelier.KindNotFound {
			continue // removed since the index was synced
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Suggestion{Background: b, Score: h.Score})
	}
	return out, nil
}

// photo reads and prepares the subject's photo.
func (s *Service) photo(ctx context.Context, subj Subject) (*transfer.Photo, error) {
	img, err := catalog.DecodeBlob(ctx, s.cfg.Blobs, subj.PhotoKey, "photo "+subj.PhotoKey)
	if err != nil {
		return nil, err
	}
	return PreparePhoto(img)
}

// PreparePhoto frames a photo the way redesigns do (the product region at
// full resolution, the model's view at the model size).
func PreparePhoto(img image.Image) (*transfer.Photo, error) {
	return redesign.PreparePhoto(img, atelier.ModelSize)
}

// List returns the built-in scenes and the seller's own, oldest first.
func (s *Service) List(ctx context.Context, sellerID string) ([]atelier.Background, error) {
	if err := s.EnsureLibrary(ctx); err != nil {
		return nil, err
	}
	return s.cfg.Store.ListBackgrounds(ctx, sellerID, false)
}

func checkN(n int) error {
	if n < 1 || n > MaxSuggestions {
		return atelier.FieldErrorf("n", "must be 1 to %d, got %d", MaxSuggestions, n)
	}
	return nil
}
