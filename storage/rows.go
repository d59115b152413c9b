package storage

import "time"

// The row structs below are the database schema. They carry GORM tags and
// never leave this package: each resource file converts them to and from the
// domain types (toX / fromX). Pointer relation fields exist only so that
// AutoMigrate creates the foreign keys; writes omit associations.

type sellerRow struct {
	ID        string    `gorm:"primaryKey;size:36"`
	Name      string    `gorm:"size:200;not null"`
	KeyHash   string    `gorm:"size:64;not null;uniqueIndex"`
	Admin     bool      `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (sellerRow) TableName() string { return "sellers" }

type consumerRow struct {
	ID         string    `gorm:"primaryKey;size:36"`
	ExternalID string    `gorm:"size:200;not null;uniqueIndex"`
	Segment    string    `gorm:"size:200;not null;index"`
	CreatedAt  time.Time `gorm:"not null"`
}

func (consumerRow) TableName() string { return "consumers" }

type itemRow struct {
	ID string `gorm:"primaryKey;size:36"`
	// External ids are unique among catalog items (partial index) and among
	// one seller's items (owner_id, external_id); NULL owners never collide
	// in the second index, hence the first.
	ExternalID string            `gorm:"size:200;not null;index:idx_items_catalog_ext,unique,where:owner_id IS NULL;uniqueIndex:idx_items_owner_ext,priority:2"`
	OwnerID    *string           `gorm:"size:36;uniqueIndex:idx_items_owner_ext,priority:1"`
	Owner      *sellerRow        `gorm:"foreignKey:OwnerID;constraint:OnDelete:RESTRICT"`
	Category   string            `gorm:"size:100;not null;index"`
	Attributes map[string]string `gorm:"serializer:json;type:text;not null"`
	CreatedAt  time.Time         `gorm:"not null"`
	Images     []imageRow        `gorm:"foreignKey:ItemID;constraint:OnDelete:CASCADE"`
	// Kind is "product", or "probe" for a generated image of the choice
	// flow: a row, so picks of probes are choices like any other.
	Kind string `gorm:"size:20;not null;default:product;index"`
}

func (itemRow) TableName() string { return "items" }

type imageRow struct {
	ItemID      string `gorm:"primaryKey;size:36"`
	Position    int    `gorm:"primaryKey;autoIncrement:false"`
	OriginalKey string `gorm:"size:512;not null"`
	ModelKey    string `gorm:"size:512;not null"`
	Width       int    `gorm:"not null"`
	Height      int    `gorm:"not null"`
	ContentType string `gorm:"size:100;not null"`
}

func (imageRow) TableName() string { return "item_images" }

type interactionRow struct {
	ID         int64        `gorm:"primaryKey;autoIncrement"`
	ConsumerID string       `gorm:"size:36;not null;uniqueIndex:idx_interactions_natural,priority:1"`
	Consumer   *consumerRow `gorm:"foreignKey:ConsumerID;constraint:OnDelete:CASCADE"`
	ItemID     string       `gorm:"size:36;not null;uniqueIndex:idx_interactions_natural,priority:2;index"`
	Item       *itemRow     `gorm:"foreignKey:ItemID;constraint:OnDelete:CASCADE"`
	Kind       string       `gorm:"size:32;not null;uniqueIndex:idx_interactions_natural,priority:3"`
	At         time.Time    `gorm:"not null;uniqueIndex:idx_interactions_natural,priority:4"`
}

func (interactionRow) TableName() string { return "interactions" }

type choiceSessionRow struct {
	ID         string       `gorm:"primaryKey;size:36"`
	ConsumerID *string      `gorm:"size:36;index"`
	Consumer   *consumerRow `gorm:"foreignKey:ConsumerID;constraint:OnDelete:CASCADE"`
	AnonToken  string       `gorm:"size:200;not null;index"`
	// ClientAddr is the client address the session was created from (''
	// for sessions from before it was stored): the sessions one address
	// holds are counted by it and their last activity (UpdatedAt).
	ClientAddr string    `gorm:"size:64;not null;default:'';index:idx_choice_sessions_client,priority:1"`
	Rounds     int       `gorm:"not null"`
	Size       int       `gorm:"not null;default:3"` // options per round
	Round      int       `gorm:"not null"`
	Done       bool      `gorm:"not null"`
	CreatedAt  time.Time `gorm:"not null"`
	// UpdatedAt is the session's last activity (creation, a round shown,
	// a pick); sessions idle too long are swept (SweepChoiceSessions).
	UpdatedAt time.Time `gorm:"not null;index;index:idx_choice_sessions_client,priority:2"`
	// Options are the items of the round on display (JSON; NULL when
	// none), so that any process can check a pick against what was shown.
	Options []string `gorm:"serializer:json;type:text"`
}

func (choiceSessionRow) TableName() string { return "choice_sessions" }

type choiceRow struct {
	SessionID string            `gorm:"primaryKey;size:36"`
	Session   *choiceSessionRow `gorm:"foreignKey:SessionID;constraint:OnDelete:CASCADE"`
	Round     int               `gorm:"primaryKey;autoIncrement:false"`
	Shown     []string          `gorm:"serializer:json;type:text;not null"`
	ChosenID  string            `gorm:"size:36;not null;index"`
	Chosen    *itemRow          `gorm:"foreignKey:ChosenID;constraint:OnDelete:CASCADE"`
	At        time.Time         `gorm:"not null"`
}

func (choiceRow) TableName() string { return "choices" }

type modelVersionRow struct {
	ID      string             `gorm:"primaryKey;size:36"`
	Kind    string             `gorm:"size:32;not null;index;index:idx_model_versions_active,unique,where:active"`
	BlobKey string             `gorm:"size:512;not null"`
	Metrics map[string]float64 `gorm:"serializer:json;type:text;not null"`
	Config  string             `gorm:"type:text;not null"`
	// At most one active version per kind: the partial unique index backs
	// up the transaction in ActivateModelVersion.
	Active    bool      `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (modelVersionRow) TableName() string { return "model_versions" }

type segmentRow struct {
	ID string `gorm:"primaryKey;size:36"`
	// Imported segments are found again by name on re-import, so their
	// names are unique; k-means segments of different model versions may
	// share names.
	Name           string           `gorm:"size:200;not null;index:idx_segments_imported_name,unique,where:kind = 'imported'"`
	Kind           string           `gorm:"size:32;not null;index"`
	Description    map[string]any   `gorm:"serializer:json;type:text;not null"`
	ModelVersionID *string          `gorm:"size:36;index"`
	ModelVersion   *modelVersionRow `gorm:"foreignKey:ModelVersionID;constraint:OnDelete:RESTRICT"`
	CreatedAt      time.Time        `gorm:"not null"`
}

func (segmentRow) TableName() string { return "segments" }

type membershipRow struct {
	SegmentID  string       `gorm:"primaryKey;size:36"`
	Segment    *segmentRow  `gorm:"foreignKey:SegmentID;constraint:OnDelete:CASCADE"`
	ConsumerID string       `gorm:"primaryKey;size:36;index"`
	Consumer   *consumerRow `gorm:"foreignKey:ConsumerID;constraint:OnDelete:CASCADE"`
	Weight     float64      `gorm:"not null"`
}

func (membershipRow) TableName() string { return "segment_memberships" }

// redesignJobRow holds what a redesign asked for and what it produced;
// its life cycle (status, progress, attempts, times) is the jobs row with
// the same id.
type redesignJobRow struct {
	ID                   string           `gorm:"primaryKey;size:36"`
	SellerID             string           `gorm:"size:36;not null;index"`
	Seller               *sellerRow       `gorm:"foreignKey:SellerID;constraint:OnDelete:CASCADE"`
	ItemID               string           `gorm:"size:36;not null;index"`
	Item                 *itemRow         `gorm:"foreignKey:ItemID;constraint:OnDelete:RESTRICT"`
	SegmentID            string           `gorm:"size:36;not null;index"`
	Segment              *segmentRow      `gorm:"foreignKey:SegmentID;constraint:OnDelete:RESTRICT"`
	N                    int              `gorm:"not null"`
	Epsilon              float64          `gorm:"not null"`
	Steps                int              `gorm:"not null"`
	Seed                 int64            `gorm:"not null"`
	RecommenderVersionID *string          `gorm:"size:36"`
	RecommenderVersion   *modelVersionRow `gorm:"foreignKey:RecommenderVersionID;constraint:OnDelete:RESTRICT"`
	GANVersionID         *string          `gorm:"size:36"`
	GANVersion           *modelVersionRow `gorm:"foreignKey:GANVersionID;constraint:OnDelete:RESTRICT"`
	Variants             []variantRow     `gorm:"foreignKey:JobID;constraint:OnDelete:CASCADE"`
	Notes                []string         `gorm:"serializer:json;type:text"`
	CreatedAt            time.Time        `gorm:"not null"`
}

func (redesignJobRow) TableName() string { return "redesign_jobs" }

type variantRow struct {
	JobID    string `gorm:"primaryKey;size:36"`
	Rank     int    `gorm:"primaryKey;autoIncrement:false"`
	ImageKey string `gorm:"size:512;not null"`
	// FullImageKey is "" for variants made without a photo (and for rows
	// written before full-resolution variants existed).
	FullImageKey string             `gorm:"size:512;not null;default:''"`
	Scores       map[string]float64 `gorm:"serializer:json;type:text;not null"`
	Flags        []string           `gorm:"serializer:json;type:text;not null"`
	Passed       bool               `gorm:"not null"`
}

func (variantRow) TableName() string { return "redesign_variants" }

// reportRow holds what a report is about and where its result is; its
// life cycle is the jobs row with the same id.
type reportRow struct {
	ID        string      `gorm:"primaryKey;size:36"`
	SellerID  string      `gorm:"size:36;not null;index"`
	Seller    *sellerRow  `gorm:"foreignKey:SellerID;constraint:OnDelete:CASCADE"`
	SegmentID *string     `gorm:"size:36;index"` // nil: every segment
	Segment   *segmentRow `gorm:"foreignKey:SegmentID;constraint:OnDelete:RESTRICT"`
	ResultKey string      `gorm:"size:512;not null"`
	CreatedAt time.Time   `gorm:"not null"`
}

func (reportRow) TableName() string { return "reports" }

// allRows lists the schema in dependency order, for AutoMigrate.
func allRows() []any {
	return []any{
		&sellerRow{}, &consumerRow{}, &itemRow{}, &imageRow{}, &interactionRow{},
		&choiceSessionRow{}, &choiceRow{}, &modelVersionRow{}, &segmentRow{},
		&membershipRow{}, &jobRow{}, &idempotencyKeyRow{}, &redesignJobRow{},
		&variantRow{}, &reportRow{}, &backgroundRow{},
	}
}

// jobRow is the life cycle of one background job of any kind: the one
// record the API reads status and progress from, and the state machine the
// job queue (storage/jobs) drives. Token names the running attempt; every
// write of a worker is guarded by it, so an attempt that lost its claim
// can no longer change the job.
type jobRow struct {
	ID          string     `gorm:"primaryKey;size:36"`
	Kind        string     `gorm:"size:32;not null;index"`
	OwnerID     *string    `gorm:"size:36;index"`
	Owner       *sellerRow `gorm:"foreignKey:OwnerID;constraint:OnDelete:CASCADE"`
	Args        string     `gorm:"type:text;not null"`
	Status      string     `gorm:"size:16;not null;index"`
	Stage       string     `gorm:"size:100;not null"`
	Step        int        `gorm:"not null"`
	Total       int        `gorm:"not null"`
	Error       string     `gorm:"type:text;not null"`
	Result      string     `gorm:"type:text;not null"`
	Attempt     int        `gorm:"not null"`
	MaxAttempts int        `gorm:"not null"`
	// Dispatch numbers the queue entries that delivered the job; only a
	// delivery of the current one may start an attempt.
	Dispatch    int    `gorm:"not null"`
	RiverJobID  *int64 // the queue engine's id of the current delivery
	Token       string `gorm:"size:36;not null"`
	HeartbeatAt *time.Time
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
	StartedAt   *time.Time
	FinishedAt  *time.Time
	// The records of kinds that have one share the job's id.
	Redesign *redesignJobRow `gorm:"foreignKey:ID;references:ID;constraint:OnDelete:CASCADE"`
	Report   *reportRow      `gorm:"foreignKey:ID;references:ID;constraint:OnDelete:CASCADE"`
}

func (jobRow) TableName() string { return "jobs" }

// idempotencyKeyRow remembers which job a client's Idempotency-Key created,
// and a fingerprint of the request, so that a retried request gets the same
// job and a different request under the same key is refused. Owner is the
// seller's id, or "" for operators.
type idempotencyKeyRow struct {
	Owner       string    `gorm:"primaryKey;size:36"`
	Key         string    `gorm:"primaryKey;size:200"`
	Fingerprint string    `gorm:"size:64;not null"`
	JobID       string    `gorm:"size:36;not null;index"`
	Job         *jobRow   `gorm:"foreignKey:JobID;constraint:OnDelete:CASCADE"`
	CreatedAt   time.Time `gorm:"not null"`
}

func (idempotencyKeyRow) TableName() string { return "job_idempotency_keys" }
