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
	Rounds     int          `gorm:"not null"`
	Round      int          `gorm:"not null"`
	Done       bool         `gorm:"not null"`
	CreatedAt  time.Time    `gorm:"not null"`
	UpdatedAt  time.Time    `gorm:"not null"`
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
	Status               string           `gorm:"size:16;not null;index"`
	Stage                string           `gorm:"size:100;not null"`
	Step                 int              `gorm:"not null"`
	Total                int              `gorm:"not null"`
	Error                string           `gorm:"type:text;not null"`
	RecommenderVersionID *string          `gorm:"size:36"`
	RecommenderVersion   *modelVersionRow `gorm:"foreignKey:RecommenderVersionID;constraint:OnDelete:RESTRICT"`
	GANVersionID         *string          `gorm:"size:36"`
	GANVersion           *modelVersionRow `gorm:"foreignKey:GANVersionID;constraint:OnDelete:RESTRICT"`
	Variants             []variantRow     `gorm:"foreignKey:JobID;constraint:OnDelete:CASCADE"`
	CreatedAt            time.Time        `gorm:"not null"`
	UpdatedAt            time.Time        `gorm:"not null"`
	StartedAt            *time.Time
	FinishedAt           *time.Time
}

func (redesignJobRow) TableName() string { return "redesign_jobs" }

type variantRow struct {
	JobID    string             `gorm:"primaryKey;size:36"`
	Rank     int                `gorm:"primaryKey;autoIncrement:false"`
	ImageKey string             `gorm:"size:512;not null"`
	Scores   map[string]float64 `gorm:"serializer:json;type:text;not null"`
	Flags    []string           `gorm:"serializer:json;type:text;not null"`
	Passed   bool               `gorm:"not null"`
}

func (variantRow) TableName() string { return "redesign_variants" }

type reportRow struct {
	ID         string      `gorm:"primaryKey;size:36"`
	SellerID   string      `gorm:"size:36;not null;index"`
	Seller     *sellerRow  `gorm:"foreignKey:SellerID;constraint:OnDelete:CASCADE"`
	SegmentID  string      `gorm:"size:36;not null;index"`
	Segment    *segmentRow `gorm:"foreignKey:SegmentID;constraint:OnDelete:RESTRICT"`
	Status     string      `gorm:"size:16;not null;index"`
	Stage      string      `gorm:"size:100;not null"`
	Step       int         `gorm:"not null"`
	Total      int         `gorm:"not null"`
	Error      string      `gorm:"type:text;not null"`
	ResultKey  string      `gorm:"size:512;not null"`
	CreatedAt  time.Time   `gorm:"not null"`
	UpdatedAt  time.Time   `gorm:"not null"`
	StartedAt  *time.Time
	FinishedAt *time.Time
}

func (reportRow) TableName() string { return "reports" }

// allRows lists the schema in dependency order, for AutoMigrate.
func allRows() []any {
	return []any{
		&sellerRow{}, &consumerRow{}, &itemRow{}, &imageRow{}, &interactionRow{},
		&choiceSessionRow{}, &choiceRow{}, &modelVersionRow{}, &segmentRow{},
		&membershipRow{}, &redesignJobRow{}, &variantRow{}, &reportRow{},
	}
}
