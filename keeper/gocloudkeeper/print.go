package gocloudkeeper

import (
	"fmt"
	"io"
	"log/slog"
)

// Printed forms: the driver holds a keeper, so it prints a fixed mark;
// see the package doc's # Security.

const adapterMark = "gocloudkeeper driver"

// The driver prints a fixed mark: it holds the wrapped keeper.
func (a *adapter) String() string               { return adapterMark }
func (a *adapter) GoString() string             { return adapterMark }
func (a *adapter) Format(f fmt.State, _ rune)   { io.WriteString(f, adapterMark) }
func (a *adapter) MarshalText() ([]byte, error) { return []byte(adapterMark), nil }
func (a *adapter) LogValue() slog.Value         { return slog.StringValue(adapterMark) }
