package api

import (
	"context"
	"image"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/internal/describe"
	"github.com/atelier-app/atelier/service/backgrounds"
)

// Backgrounds suggests scenes for sellers' items and keeps sellers'
// uploaded scenes. It is implemented by *backgrounds.Service.
type Backgrounds interface {
	ForSubject(ctx context.Context, sellerID string, subj backgrounds.Subject, n int) (backgrounds.Result, error)
	Composites(ctx context.Context, subj backgrounds.Subject, bgs []atelier.Background) ([]string, error)
	Upload(ctx context.Context, sellerID string, img image.Image, caption string) (atelier.Background, error)
	List(ctx context.Context, sellerID string) ([]atelier.Background, error)
}

var _ Backgrounds = (*backgrounds.Service)(nil)

type backgroundView struct {
	ID        string `json:"id"`
	Caption   string `json:"caption"`
	Builtin   bool   `json:"builtin"`
	Described bool   `json:"described"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	ImageURL  string `json:"image_url"`
}

type suggestionView struct {
	backgroundView
	Score        float64 `json:"score"`
	CompositeURL string  `json:"composite_url"`
}

type backgroundsView struct {
	ItemID      string               `json:"item_id"`
	RedesignID  string               `json:"redesign_id,omitempty"`
	Variant     int                  `json:"variant,omitempty"`
	Description describe.Description `json:"description"`
	Suggestions []suggestionView     `json:"suggestions"`
}

func (s *Server) viewBackground(ctx context.Context, b atelier.Background) (backgroundView, error) {
	u, err := s.imageURL(ctx, b.ImageKey)
	return backgroundView{ID: b.ID, Caption: b.Caption, Builtin: b.Builtin(), Described: b.Described,
		Width: b.Width, Height: b.Height, ImageURL: u}, err
}

// itemBackgrounds describes the item from its photo, or a redesigned
// variant of it (redesign_id and variant), and suggests n scenes (default
// 5), each with the subject composited on it. Composites are made on the
// first request and read after.
func (s *Server) itemBackgrounds(c *gin.Context) {
	ctx := c.Request.Context()
	n, err := queryInt(c, "n", 5, 1, backgrounds.MaxSuggestions)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	seller, _ := sellerOf(c)
	it, err := s.product(ctx, c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	subj, v, err := s.backgroundSubject(c, it)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	res, err := s.backgrounds.ForSubject(ctx, seller.ID, subj, n)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	v.Description, v.Suggestions = res.Description, make([]suggestionView, len(res.Suggestions))
	if err := s.composites(ctx, subj, res.Suggestions, v.Suggestions); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// backgroundSubject is the item's photo, or with redesign_id the variant
// (rank variant, default 1) of one of the seller's redesigns of it.
func (s *Server) backgroundSubject(c *gin.Context, it atelier.Item) (backgrounds.Subject, backgroundsView, error) {
	v := backgroundsView{ItemID: it.ID}
	id := c.Query("redesign_id")
	if id == "" {
		if c.Query("variant") != "" {
			return backgrounds.Subject{}, v, atelier.FieldErrorf("variant", "needs redesign_id")
		}
		subj, err := backgrounds.ItemSubject(it)
		return subj, v, err
	}
	rank, err := queryInt(c, "variant", 1, 1, 1000)
	if err != nil {
		return backgrounds.Subject{}, v, err
	}
	job, err := s.store.GetRedesignJob(c.Request.Context(), id, scopeOf(c))
	if err != nil {
		return backgrounds.Subject{}, v, err
	}
	subj, err := backgrounds.VariantSubject(it, job, rank)
	v.RedesignID, v.Variant = id, rank
	return subj, v, err
}

// composites fills out[i] for each suggestion with the subject placed on
// its scene (made on the first request, read after).
func (s *Server) composites(ctx context.Context, subj backgrounds.Subject, in []backgrounds.Suggestion, out []suggestionView) error {
	bgs := make([]atelier.Background, len(in))
	for i, sg := range in {
		bgs[i] = sg.Background
	}
	keys, err := s.backgrounds.Composites(ctx, subj, bgs)
	if err != nil {
		return err
	}
	for i, sg := range in {
		bv, err := s.viewBackground(ctx, sg.Background)
		if err != nil {
			return err
		}
		u, err := s.imageURL(ctx, keys[i])
		if err != nil {
			return err
		}
		out[i] = suggestionView{backgroundView: bv, Score: sg.Score, CompositeURL: u}
	}
	return nil
}

// listBackgrounds lists the built-in scenes and the seller's own.
func (s *Server) listBackgrounds(c *gin.Context) {
	ctx := c.Request.Context()
	seller, _ := sellerOf(c)
	bgs, err := s.backgrounds.List(ctx, seller.ID)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	out := make([]backgroundView, len(bgs))
	for i, b := range bgs {
		if out[i], err = s.viewBackground(ctx, b); err != nil {
			writeError(c, s.log, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"backgrounds": out})
}

// createBackground stores a seller's scene from a multipart upload: an
// image file field "image" and an optional "caption" (without one the
// scene is described from its pixels).
func (s *Server) createBackground(c *gin.Context) {
	ctx := c.Request.Context()
	seller, _ := sellerOf(c)
	img, caption, err := s.readBackgroundUpload(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	b, err := s.backgrounds.Upload(ctx, seller.ID, img, caption)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	v, err := s.viewBackground(ctx, b)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (s *Server) readBackgroundUpload(c *gin.Context) (image.Image, string, error) {
	mr, err := s.uploadReader(c)
	if err != nil {
		return nil, "", err
	}
	var raw []byte
	caption := ""
	tooMany := atelier.Errorf(atelier.KindInvalid, "the upload has more fields than image and caption")
	err = eachPart(mr, 4, tooMany, func(name string, part *multipart.Part) error {
		switch name {
		case "image":
			if raw, err = readLimited(part, s.limits.MaxUploadBytes); err != nil {
				return imageReadError(err, s.limits.MaxUploadBytes)
			}
		case "caption":
			v, err := readLimited(part, maxFormField)
			if err != nil {
				return fieldReadError(name, err)
			}
			if caption, err = backgrounds.CheckCaption(string(v)); err != nil {
				return err
			}
		default:
			return atelier.FieldErrorf(name, "unknown field (want image and caption)")
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if raw == nil {
		return nil, "", atelier.FieldErrorf("image", "is required: an image file (JPEG, PNG or WebP)")
	}
	pic, err := s.checkPicture(raw)
	if err != nil {
		return nil, "", err
	}
	return pic.img, caption, nil
}
