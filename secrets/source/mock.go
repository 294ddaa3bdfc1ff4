package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
)

// mapSource serves secrets from memory. It is what the mock and file types
// build. The zero mapSource has no secrets.
type mapSource struct {
	kind   string // "mock" or "file", for errors
	values map[string]secrets.Value
}

// NewMapSource returns a source that serves a copy of values from memory,
// as a mock spec does. Every value must satisfy secrets.ValidateValue;
// errors match secrets.ErrInvalid and name the key, never the value.
func NewMapSource(values map[string]string) (Source, error) { return newMapSource(values) }

func newMapSource(values map[string]string) (*mapSource, error) {
	m := &mapSource{kind: "map", values: make(map[string]secrets.Value, len(values))}
	for k, v := range values {
		if err := checkSecretName(k); err != nil {
			return nil, errcode.New(errcode.Invalid, "source.NewMapSource", err.Error())
		}
		sv := secrets.NewValue(v)
		if err := secrets.ValidateValue(sv); err != nil {
			return nil, errcode.New(errcode.Invalid, "source.NewMapSource", fmt.Sprintf("secret %q: %s", k, message(err)))
		}
		m.values[k] = sv
	}
	return m, nil
}

// Get returns the value of name, or an error matching secrets.ErrNotFound.
func (m *mapSource) Get(ctx context.Context, name string) (secrets.Value, error) {
	if err := ctx.Err(); err != nil {
		return secrets.Value{}, err
	}
	if v, ok := m.values[name]; ok {
		return v, nil
	}
	if err := checkSecretName(name); err != nil {
		return secrets.Value{}, errcode.New(errcode.Invalid, "source.Get", err.Error())
	}
	return secrets.Value{}, errcode.New(errcode.NotFound, "source.Get", fmt.Sprintf("no secret %q in the %s source", name, m.kind))
}

// len returns the number of secrets.
func (m *mapSource) len() int { return len(m.values) }

// parseMock parses a mock config: key=value items split on ",", each cut at
// the first "=". Errors name the item by position and key, never the value.
func parseMock(config string) (map[string]secrets.Value, error) {
	if config == "" {
		// k6 refuses "mock" and "mock=" too: an empty source is a mistake.
		return nil, errors.New("no key=value pairs; want mock=key=value[,key=value]")
	}
	values := map[string]secrets.Value{}
	for _, o := range splitOptions(config) {
		if !o.hasValue {
			return nil, fmt.Errorf("config item %d needs key=value", o.pos)
		}
		if err := checkSecretName(o.key); err != nil {
			return nil, fmt.Errorf("config item %d: %v", o.pos, err)
		}
		if _, dup := values[o.key]; dup {
			return nil, fmt.Errorf("%v: key given twice", o)
		}
		v := secrets.NewValue(o.value)
		if err := secrets.ValidateValue(v); err != nil {
			return nil, fmt.Errorf("%v: %s", o, message(err))
		}
		values[o.key] = v
	}
	return values, nil
}

func newMock(_ context.Context, p Params) (Source, error) {
	values, err := parseMock(p.Config)
	if err != nil {
		return nil, err
	}
	return &mapSource{kind: "mock", values: values}, nil
}
