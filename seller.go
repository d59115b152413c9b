package atelier

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Seller is an account that owns items, asks for redesigns and reports. An
// admin seller is an operator of the service: it sees every seller's records
// and may manage models and imports.
//
// The seller's API key is never stored: only its SHA-256 hash is, and the key
// itself is shown once, when the seller is created or its key is rotated.
type Seller struct {
	ID        string
	Name      string
	Admin     bool
	CreatedAt time.Time
}

// Scope returns the visibility the seller's requests have.
func (s Seller) Scope() Scope {
	return Scope{SellerID: s.ID, All: s.Admin}
}

// Scope says whose records a read or write may touch. A seller scope sees
// that seller's own records (and the shared catalog); All sees everything and
// is meant for operators and for the service's own workers. The zero Scope
// sees only catalog items and nothing owned by anyone.
type Scope struct {
	SellerID string
	All      bool
}

// AllScope is the unrestricted scope of operators and internal workers.
func AllScope() Scope { return Scope{All: true} }

// Allows reports whether a record owned by ownerID ("" for the shared
// catalog) is visible in the scope.
func (sc Scope) Allows(ownerID string) bool {
	return sc.All || ownerID == "" || ownerID == sc.SellerID
}

// APIKeyPrefix starts every API key so that a leaked key is easy to spot
// (secret scanners, logs).
const APIKeyPrefix = "atl_"

// apiKeyBytes is the entropy of a generated key: 256 bits make a plain
// (unsalted) SHA-256 of the key safe to store and to look up by.
const apiKeyBytes = 32

// NewAPIKey returns a fresh random API key.
func NewAPIKey() (string, error) {
	b := make([]byte, apiKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate API key: %w", err)
	}
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashAPIKey returns the hex SHA-256 of a key: the only form in which keys
// are stored and looked up.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CheckAPIKey rejects keys that are too short to be safe to store as a plain
// hash (operator keys come from configuration, not from NewAPIKey).
func CheckAPIKey(key string) error {
	if strings.TrimSpace(key) != key || key == "" {
		return FieldErrorf("api_key", "must be non-empty and have no surrounding spaces")
	}
	if len(key) < 16 {
		return FieldErrorf("api_key", "must be at least 16 characters long")
	}
	return nil
}
