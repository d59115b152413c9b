package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/atelier-app/atelier"
	"github.com/atelier-app/atelier/service/serving"
	"github.com/atelier-app/atelier/storage"
)

// The consumer-facing reads: recommendations for a known consumer, items
// similar to an item, and the image of an item to show a consumer. They
// need no key; without one only catalog items are visible, with a
// seller's key that seller's own items too. Consumers are named by the
// marketplace's id (their external id).

// maxConsumerChoices bounds the picks folded into a consumer's taste.
const maxConsumerChoices = 200

// maxExcluded bounds the interactions read to leave items a consumer
// already has out of their recommendations.
const maxExcluded = 1000

// consumerTaste is what the service knows of a consumer's taste: their θ
// if the model was trained with them, and their picks in choice sessions.
func (s *Server) consumerTaste(c *gin.Context, externalID string) (atelier.Consumer, serving.Taste, error) {
	ctx := c.Request.Context()
	consumer, err := s.store.ConsumerByExternalID(ctx, externalID)
	if err != nil {
		return atelier.Consumer{}, serving.Taste{}, err
	}
	picks, err := s.store.ConsumerChoices(ctx, consumer.ID, maxConsumerChoices)
	if err != nil {
		return atelier.Consumer{}, serving.Taste{}, err
	}
	return consumer, serving.Taste{ConsumerID: consumer.ExternalID, Picks: picks}, nil
}

// consumerRecommendations ranks the catalog for a known consumer, leaving
// out the items they already interacted with.
func (s *Server) consumerRecommendations(c *gin.Context) {
	n, err := queryInt(c, "n", 10, 1, 100)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	consumer, t, err := s.consumerTaste(c, c.Param("id"))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ins, err := s.store.ListInteractions(c.Request.Context(), storage.InteractionFilter{ConsumerID: consumer.ID, Limit: maxExcluded})
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	exclude := make([]string, len(ins))
	for i, in := range ins {
		exclude[i] = in.ItemID
	}
	s.answerRanked(c, t, n, exclude)
}

// similarItems answers the k catalog items that look most like the item
// (cosine similarity of the model's image features).
func (s *Server) similarItems(c *gin.Context) {
	k, err := queryInt(c, "k", 10, 1, 100)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	it, err := s.product(c.Request.Context(), c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	near, err := s.rec.Similar(c.Request.Context(), it, k)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	s.answerScored(c, near)
}

// thumbnailView says which image of an item to show a consumer.
type thumbnailView struct {
	ItemID     string `json:"item_id"`
	ImageIndex int    `json:"image_index"`
	ImageURL   string `json:"image_url"`
}

// thumbnail picks the image of the item that the consumer (?consumer=,
// optional) is predicted to prefer, and redirects to it (302), or
// answers its URL as JSON when the client accepts JSON. Without a
// consumer it is the item's first image.
func (s *Server) thumbnail(c *gin.Context) {
	ctx := c.Request.Context()
	it, err := s.product(ctx, c.Param("id"), scopeOf(c))
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var t *serving.Taste
	if id := c.Query("consumer"); id != "" {
		_, taste, err := s.consumerTaste(c, id)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		t = &taste
	}
	idx, err := s.rec.Thumbnail(ctx, it, t)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if idx < 0 || idx >= len(it.Images) {
		writeError(c, s.log, atelier.Errorf(atelier.KindInternal, "thumbnail index %d of %d images", idx, len(it.Images)))
		return
	}
	u, err := s.imageURL(ctx, it.Images[idx].OriginalKey)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	// The choice depends on the consumer and the model: caches may keep it
	// only briefly, and only for this client.
	c.Header("Cache-Control", "private, max-age=60")
	if strings.Contains(c.GetHeader("Accept"), "application/json") {
		c.JSON(http.StatusOK, thumbnailView{ItemID: it.ID, ImageIndex: idx, ImageURL: u})
		return
	}
	c.Redirect(http.StatusFound, u)
}
