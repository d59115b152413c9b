package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/probes"
)

// modelView is a trained model version.
type modelView struct {
	ID        string             `json:"id"`
	Kind      string             `json:"kind"`
	Metrics   map[string]float64 `json:"metrics"`
	Config    json.RawMessage    `json:"config"`
	Active    bool               `json:"active"`
	Serving   bool               `json:"serving"` // this process answers with it now
	CreatedAt time.Time          `json:"created_at"`
}

func (s *Server) viewModel(mv atelier.ModelVersion) modelView {
	cfg := mv.Config
	if len(bytes.TrimSpace(cfg)) == 0 {
		cfg = json.RawMessage("{}")
	}
	served, ok := s.rec.Version()
	return modelView{ID: mv.ID, Kind: mv.Kind, Metrics: mv.Metrics, Config: cfg, Active: mv.Active,
		Serving: ok && served.ID == mv.ID, CreatedAt: mv.CreatedAt}
}

// listModels lists model versions, newest first (?kind= recommender|gan).
func (s *Server) listModels(c *gin.Context) {
	kind := c.Query("kind")
	if kind != "" && kind != atelier.ModelRecommender && kind != atelier.ModelGAN {
		writeError(c, s.log, atelier.FieldErrorf("kind", "must be %s or %s", atelier.ModelRecommender, atelier.ModelGAN))
		return
	}
	mvs, err := s.store.ListModelVersions(c.Request.Context(), kind)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	views := make([]modelView, len(mvs))
	for i, mv := range mvs {
		views[i] = s.viewModel(mv)
	}
	c.JSON(http.StatusOK, gin.H{"models": views})
}

// activateModel makes a version the active one of its kind. A
// recommender is loaded and its catalog features computed before it is
// activated, and this process switches to it at once; other processes
// follow within their refresh interval. A GAN is read by each redesign.
func (s *Server) activateModel(c *gin.Context) {
	ctx := c.Request.Context()
	mv, err := s.store.GetModelVersion(ctx, c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if mv.Kind == atelier.ModelRecommender {
		mv, err = s.rec.Activate(ctx, mv.ID)
	} else {
		mv, err = s.store.ActivateModelVersion(ctx, mv.ID)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// New models, new probes: a pool for the pair now active.
	if s.probes > 0 {
		if _, _, err := probes.Ensure(ctx, s.store, s.jobs, s.probes); err != nil {
			s.log.WarnContext(ctx, "probe pool not queued", "err", err)
		}
	}
	c.JSON(http.StatusOK, s.viewModel(mv))
}

type trainRequest struct {
	Kind   string          `json:"kind"`
	Params json.RawMessage `json:"params"`
}

// trainModel queues the training of a new model version; the job's
// result names the version it produced. The parameters
// (atelier.TrainRecommenderParams, atelier.TrainGANParams) are checked
// here, strictly, and queued with the defaults filled in, so that a worker
// never gets parameters it refuses and the job states its whole
// configuration.
func (s *Server) trainModel(c *gin.Context) {
	var req trainRequest
	if err := decodeJSON(c, &req, false); err != nil {
		writeError(c, s.log, err)
		return
	}
	var kind string
	switch req.Kind {
	case atelier.ModelRecommender:
		kind = atelier.JobTrainRecommender
	case atelier.ModelGAN:
		kind = atelier.JobTrainGAN
	default:
		writeError(c, s.log, atelier.FieldErrorf("kind", "must be %q or %q", atelier.ModelRecommender, atelier.ModelGAN))
		return
	}
	params := bytes.TrimSpace(req.Params)
	if len(params) == 0 || string(params) == "null" {
		params = []byte("{}")
	}
	if params[0] != '{' {
		writeError(c, s.log, atelier.FieldErrorf("params", "must be a JSON object"))
		return
	}
	if kind == atelier.JobTrainRecommender {
		p, err := decodeTrainParams(params, atelier.DefaultTrainRecommenderParams())
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		s.enqueue(c, kind, atelier.TrainRecommenderArgs{Params: p})
		return
	}
	p, err := decodeTrainParams(params, atelier.DefaultTrainGANParams())
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.enqueue(c, kind, atelier.TrainGANArgs{Params: p})
}

// decodeTrainParams reads a model's training parameters over the
// defaults, refusing unknown ones; errors name the field as
// params.<name>.
func decodeTrainParams[P interface{ Check() error }](raw []byte, p P) (P, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err != nil {
		err = jsonError(err)
	} else {
		err = p.Check()
	}
	var ae *atelier.Error
	if errors.As(err, &ae) && ae.Field != "" {
		return p, atelier.FieldErrorf("params."+ae.Field, "%s", ae.Message)
	}
	return p, err
}
