package gocloudkeeper

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Printed forms: a URLOpener holds KEKs (whose URLs can be keys) and the
// driver holds a keeper, so neither prints more than package keeper's
// redacted forms; see the package doc's # Security.

// String prints the opener's Options as keeper.EnvelopeOptions does,
// every KEK redacted.
func (o URLOpener) String() string {
	return "gocloudkeeper.URLOpener{Options:" + o.Options.String() + "}"
}

// GoString is String, so %#v redacts too.
func (o URLOpener) GoString() string { return o.String() }

// Format makes every verb print String.
func (o URLOpener) Format(f fmt.State, verb rune) { io.WriteString(f, o.String()) }

// MarshalText is String.
func (o URLOpener) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// MarshalJSON returns {"Options": ...} with the Options as
// keeper.EnvelopeOptions.MarshalJSON: for logs, not to be read back.
func (o URLOpener) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Options any }{o.Options})
}

// LogValue is a group holding the Options' LogValue.
func (o URLOpener) LogValue() slog.Value { return slog.GroupValue(slog.Any("Options", o.Options)) }

const adapterMark = "gocloudkeeper driver"

// The driver prints a fixed mark: it holds the wrapped keeper.
func (a *adapter) String() string               { return adapterMark }
func (a *adapter) GoString() string             { return adapterMark }
func (a *adapter) Format(f fmt.State, _ rune)   { io.WriteString(f, adapterMark) }
func (a *adapter) MarshalText() ([]byte, error) { return []byte(adapterMark), nil }
func (a *adapter) LogValue() slog.Value         { return slog.StringValue(adapterMark) }
