package secrets

import (
	"maps"
	"slices"
	"time"

	"github.com/strongbox-go/strongbox/storage"
)

// Secret is the metadata of a secret: everything but its value. It is safe
// to print, log and serialise.
type Secret struct {
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	// Decrypters are the service identities that may decrypt the value.
	// Empty means nobody.
	Decrypters []string `json:"decrypters,omitempty"`
	// Version counts values: 1 after Create, +1 after each Reset.
	Version int64 `json:"version"`
	// Revoked is true after Revoke, until the next Reset.
	Revoked bool `json:"revoked,omitempty"`
	// Revision changes on every write; pass it back to guard the next one.
	Revision   int64     `json:"revision"`
	CreateTime time.Time `json:"createTime"`
	UpdateTime time.Time `json:"updateTime"`
	CreatedBy  string    `json:"createdBy,omitempty"`
	UpdatedBy  string    `json:"updatedBy,omitempty"`
	// KeepVersions is how many earlier values the secret keeps, 0 to
	// MaxKeepVersions (see Versions, Rollback). Update may change it; a
	// smaller window drops the kept values that fall out of it.
	KeepVersions int `json:"keepVersions"`
}

// Spec describes a secret to create.
type Spec struct {
	Name        string
	Description string
	Labels      map[string]string
	Value       Value
	// Decrypters, if nil, default to Options.DefaultDecrypters. A non-nil
	// empty slice means nobody may decrypt.
	Decrypters []string
	// KeepVersions, if nil, defaults to Options.KeepVersions: how many
	// earlier values the secret keeps, 0 to MaxKeepVersions.
	KeepVersions *int
}

func secretFromMetadata(m *storage.Metadata) *Secret {
	return &Secret{
		Namespace:   m.Namespace,
		Name:        m.Name,
		Description: m.Description,
		Labels:      maps.Clone(m.Labels),
		Decrypters:  slices.Clone(m.Decrypters),
		Version:     m.Version,
		Revoked:     m.Revoked,
		Revision:    m.Revision,
		CreateTime:  m.CreateTime,
		UpdateTime:  m.UpdateTime,
		CreatedBy:   m.CreatedBy,
		UpdatedBy:   m.UpdatedBy,

		KeepVersions: m.KeepVersions,
	}
}

// ListOptions narrows and pages a listing.
type ListOptions struct {
	// Selector keeps secrets whose labels match, e.g. "env=prod,team=checkout"
	// (see ParseSelector). Empty selects all.
	Selector string
	// PageSize is the most secrets per page: 0 means 100; at most 1000.
	PageSize int
	// PageToken continues from a previous ListResult.NextPageToken.
	PageToken string
}

// ListResult is one page of a listing.
type ListResult struct {
	Secrets []*Secret
	// NextPageToken is empty after the last page.
	NextPageToken string
}

// RevealResult is the outcome of revealing one name: a Value, or an error
// matching ErrNotFound, ErrPermissionDenied, ErrRevoked or
// keeper.ErrDecrypt (or ErrUnavailable when the key service is down).
type RevealResult struct {
	Name  string
	Value Value
	Err   error
}
