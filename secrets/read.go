package secrets

// Reads of metadata: Get and List. Neither touches a value.

import (
	"context"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
)

// Get returns the metadata of one secret (never its value). The caller needs
// the read permission.
func (m *Manager) Get(ctx context.Context, namespace, name string) (*Secret, error) {
	c, err := m.begin(ctx, "Get", namespace, rbac.ActionRead, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	md, err := m.getMetadata(ctx, c.ns, name)
	if err != nil {
		return nil, c.finish(ctx, name, err)
	}
	return secretFromMetadata(md), c.finish(ctx, name, nil)
}

func (m *Manager) getMetadata(ctx context.Context, ns, name string) (*storage.Metadata, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	return m.store.GetMetadata(ctx, ns, name)
}

// List returns one page of a namespace's secrets, ordered by name, filtered
// by an optional label selector. The caller needs the read permission.
func (m *Manager) List(ctx context.Context, namespace string, opts ListOptions) (*ListResult, error) {
	c, err := m.begin(ctx, "List", namespace, rbac.ActionRead)
	if err != nil {
		return nil, err
	}
	defer c.end()
	res, err := m.list(ctx, c, opts)
	c.audit(ctx, nil, err)
	return res, c.wrap(err)
}

func (m *Manager) list(ctx context.Context, c *call, opts ListOptions) (*ListResult, error) {
	labels, err := ParseSelector(opts.Selector)
	if err != nil {
		return nil, err
	}
	if opts.PageSize < 0 {
		return nil, errcode.New(errcode.Invalid, "secrets.List", "page size is negative")
	}
	page, next, err := m.store.ListMetadata(ctx, c.ns, storage.ListOptions{
		Labels: labels, PageSize: opts.PageSize, PageToken: opts.PageToken,
	})
	if err != nil {
		return nil, err
	}
	res := &ListResult{Secrets: make([]*Secret, 0, len(page)), NextPageToken: next}
	for _, md := range page {
		res.Secrets = append(res.Secrets, secretFromMetadata(md))
	}
	return res, nil
}
