package source

import (
	"context"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// storeConfig configures a store source.
type storeConfig struct {
	// Namespace holds the secrets. Required.
	Namespace string
	// Identity is the service identity the source acts as; secrets must
	// list it in their decrypters. Required.
	Identity string
}

// storeSource reveals secrets through a secrets.Manager as a service
// principal (kind service, role rbac.RoleDecrypter) in one namespace,
// whatever principal the caller's context carries.
type storeSource struct {
	m *secrets.Manager
	p rbac.Principal
}

// newStoreSource returns a source over m. Errors match secrets.ErrInvalid.
func newStoreSource(m *secrets.Manager, cfg storeConfig) (*storeSource, error) {
	const op = "source.store"
	if m == nil {
		return nil, errcode.New(errcode.Invalid, op, "no Manager")
	}
	if err := checkStoreConfig(cfg); err != nil {
		return nil, errcode.New(errcode.Invalid, op, err.Error())
	}
	return &storeSource{m: m, p: rbac.Principal{
		Kind:      rbac.KindService,
		ID:        cfg.Identity,
		Namespace: cfg.Namespace,
		Roles:     []rbac.Role{rbac.RoleDecrypter},
	}}, nil
}

func checkStoreConfig(cfg storeConfig) error {
	if cfg.Namespace == "" {
		return errors.New("namespace is required")
	}
	if err := names.Namespace("", cfg.Namespace); err != nil {
		return errors.New(message(err))
	}
	if cfg.Identity == "" {
		return errors.New("identity is required")
	}
	if err := secrets.Validate(secrets.Spec{Decrypters: []string{cfg.Identity}}); err != nil {
		return errors.New("identity: " + message(err))
	}
	return nil
}

// Get reveals name with Manager.RevealValue; its errors (ErrNotFound,
// ErrPermissionDenied, ErrRevoked...) are returned as they are.
func (s *storeSource) Get(ctx context.Context, name string) (secrets.Value, error) {
	return s.m.RevealValue(rbac.WithPrincipal(ctx, s.p), s.p.Namespace, name)
}

// parseStoreConfig parses "namespace=<ns>,identity=<id>".
func parseStoreConfig(config string) (storeConfig, error) {
	var cfg storeConfig
	for _, o := range splitOptions(config) {
		if !o.hasValue {
			return cfg, fmt.Errorf("config item %d needs key=value", o.pos)
		}
		var dst *string
		switch o.key {
		case "namespace":
			dst = &cfg.Namespace
		case "identity":
			dst = &cfg.Identity
		default:
			return cfg, fmt.Errorf("%v: unknown option; want namespace= and identity=", o)
		}
		if *dst != "" {
			return cfg, fmt.Errorf("%v: given twice", o)
		}
		*dst = o.value
	}
	if err := checkStoreConfig(cfg); err != nil {
		return cfg, fmt.Errorf("%s", message(err))
	}
	return cfg, nil
}

// StoreConstructor returns the constructor of the "store" type, bound to
// m: a spec store=namespace=<ns>,identity=<id> reveals secrets with
// Manager.RevealValue as the service principal id (role
// rbac.RoleDecrypter) in namespace ns, whatever principal the caller's
// context carries; its errors (ErrNotFound, ErrPermissionDenied,
// ErrRevoked...) are returned as they are. Register it with Options.Types:
//
//	r, err := source.NewResolver(ctx, source.Options{
//		Specs: []string{"store=namespace=team-a,identity=k6-runner"},
//		Types: map[string]source.Constructor{"store": source.StoreConstructor(m)},
//	})
func StoreConstructor(m *secrets.Manager) Constructor {
	return func(_ context.Context, p Params) (Source, error) {
		cfg, err := parseStoreConfig(p.Config)
		if err != nil {
			return nil, err
		}
		return newStoreSource(m, cfg)
	}
}
