package fault

import (
	"context"

	"github.com/strongbox-go/strongbox/storage/driver"
)

// Operations of the drivers' optional Atomic interface.
const (
	GetCurrent           Op = "GetCurrent"
	CreateWithCiphertext Op = "CreateWithCiphertext"
	UpdateWithCiphertext Op = "UpdateWithCiphertext"
	DeleteSecret         Op = "DeleteSecret"
)

// faultAtomic is a driver.Atomic whose calls go through an Injector.
type faultAtomic struct {
	inner driver.Atomic
	in    *Injector
}

type current struct {
	m *driver.Metadata
	c *driver.Ciphertext
}

func (a faultAtomic) GetCurrent(ctx context.Context, ns, name string) (*driver.Metadata, *driver.Ciphertext, error) {
	r, err := call(ctx, a.in, GetCurrent, func() (current, error) {
		m, c, err := a.inner.GetCurrent(ctx, ns, name)
		return current{m, c}, err
	})
	return r.m, r.c, err
}

func (a faultAtomic) CreateWithCiphertext(ctx context.Context, m *driver.Metadata, c *driver.Ciphertext) error {
	return call0(ctx, a.in, CreateWithCiphertext, func() error { return a.inner.CreateWithCiphertext(ctx, m, c) })
}

func (a faultAtomic) UpdateWithCiphertext(ctx context.Context, m *driver.Metadata, c *driver.Ciphertext, drop []string) error {
	return call0(ctx, a.in, UpdateWithCiphertext, func() error { return a.inner.UpdateWithCiphertext(ctx, m, c, drop) })
}

func (a faultAtomic) DeleteSecret(ctx context.Context, ns, name string, rev int64) error {
	return call0(ctx, a.in, DeleteSecret, func() error { return a.inner.DeleteSecret(ctx, ns, name, rev) })
}
