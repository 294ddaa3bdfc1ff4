package keeper

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Printed forms. Every type of this package that holds a KEK URL, an
// opened KEK, a data key or a wrapped data key prints only non-secret
// identity under fmt (every verb), encoding/json, encoding.TextMarshaler
// and slog (LogValuer); see the package doc's # Security. Exported types
// used by value have value receivers, so T and *T print alike.

// String returns the id and the redacted URL.
func (k KEK) String() string {
	if k.URL != "" {
		return fmt.Sprintf("KEK{ID:%q URL:%q}", k.ID, RedactURL(k.URL))
	}
	return fmt.Sprintf("KEK{ID:%q}", k.ID)
}

// GoString is String, so %#v redacts too.
func (k KEK) GoString() string { return k.String() }

// Format makes every verb (%v %+v %s %q %x...) print String.
func (k KEK) Format(f fmt.State, verb rune) { io.WriteString(f, k.String()) }

// MarshalText is String, for encoders that use encoding.TextMarshaler.
func (k KEK) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// kekJSON is the JSON form of a KEK.
type kekJSON struct {
	ID     string
	URL    string `json:",omitempty"` // redacted
	Keeper bool   `json:",omitempty"` // an opened keeper is set
	Local  bool   `json:",omitempty"`
}

func (k KEK) view() kekJSON {
	v := kekJSON{ID: k.ID, Keeper: k.Keeper != nil, Local: k.Local}
	if k.URL != "" {
		v.URL = RedactURL(k.URL)
	}
	return v
}

// MarshalJSON returns {"ID":..., "URL": the redacted URL, "Keeper": true
// if an opened keeper is set, "Local": ...}, empty members omitted. It is
// for logs: the URL cannot be read back.
func (k KEK) MarshalJSON() ([]byte, error) { return json.Marshal(k.view()) }

// LogValue is a group of the members of MarshalJSON.
func (k KEK) LogValue() slog.Value {
	v := k.view()
	attrs := []slog.Attr{slog.String("ID", v.ID)}
	if v.URL != "" {
		attrs = append(attrs, slog.String("URL", v.URL))
	}
	if v.Keeper {
		attrs = append(attrs, slog.Bool("Keeper", true))
	}
	if v.Local {
		attrs = append(attrs, slog.Bool("Local", true))
	}
	return slog.GroupValue(attrs...)
}

// optionsView is EnvelopeOptions without methods, for printing: its KEKs
// print through KEK's methods; Now shows only whether it is set.
type optionsView struct {
	KEKs           []KEK
	Primary        string
	DataKeyMaxAge  time.Duration
	DataKeyMaxUses uint64
	CacheSize      int
	CacheTTL       time.Duration
	CacheMaxStale  time.Duration
	Now            bool
}

func (o EnvelopeOptions) view() optionsView {
	return optionsView{KEKs: o.KEKs, Primary: o.Primary, DataKeyMaxAge: o.DataKeyMaxAge,
		DataKeyMaxUses: o.DataKeyMaxUses, CacheSize: o.CacheSize, CacheTTL: o.CacheTTL,
		CacheMaxStale: o.CacheMaxStale, Now: o.Now != nil}
}

// String prints the options with every KEK redacted (see KEK.String) and
// Now as whether it is set.
func (o EnvelopeOptions) String() string { return fmt.Sprintf("EnvelopeOptions%+v", o.view()) }

// GoString is String, so %#v redacts too.
func (o EnvelopeOptions) GoString() string { return o.String() }

// Format makes every verb print String.
func (o EnvelopeOptions) Format(f fmt.State, verb rune) { io.WriteString(f, o.String()) }

// MarshalText is String.
func (o EnvelopeOptions) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// MarshalJSON returns the options' members, each KEK as KEK.MarshalJSON
// and Now as a boolean: for logs, not to be read back.
func (o EnvelopeOptions) MarshalJSON() ([]byte, error) { return json.Marshal(o.view()) }

// LogValue is a group of the options' members, KEKs redacted.
func (o EnvelopeOptions) LogValue() slog.Value {
	v := o.view()
	return slog.GroupValue(slog.Any("KEKs", v.KEKs), slog.String("Primary", v.Primary),
		slog.Duration("DataKeyMaxAge", v.DataKeyMaxAge), slog.Uint64("DataKeyMaxUses", v.DataKeyMaxUses),
		slog.Int("CacheSize", v.CacheSize), slog.Duration("CacheTTL", v.CacheTTL),
		slog.Duration("CacheMaxStale", v.CacheMaxStale), slog.Bool("Now", v.Now))
}

// envelopeView is what an Envelope prints: the ids of its KEKs.
type envelopeView struct {
	Primary string
	KEKs    []string
}

func (e *Envelope) view() envelopeView {
	if e == nil {
		return envelopeView{}
	}
	return envelopeView{Primary: e.Primary(), KEKs: e.KEKIDs()}
}

// String returns the ids of the primary and of every KEK held; nothing of
// the keys, the data keys or the cache.
func (e *Envelope) String() string {
	if e == nil {
		return "keeper.Envelope(nil)"
	}
	v := e.view()
	return fmt.Sprintf("keeper.Envelope{Primary:%q KEKs:%q}", v.Primary, v.KEKs)
}

// GoString is String.
func (e *Envelope) GoString() string { return e.String() }

// Format makes every verb print String.
func (e *Envelope) Format(f fmt.State, verb rune) { io.WriteString(f, e.String()) }

// MarshalText is String.
func (e *Envelope) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// MarshalJSON returns {"Primary": id, "KEKs": [ids]}.
func (e *Envelope) MarshalJSON() ([]byte, error) { return json.Marshal(e.view()) }

// LogValue is a group of the members of MarshalJSON.
func (e *Envelope) LogValue() slog.Value {
	v := e.view()
	return slog.GroupValue(slog.String("Primary", v.Primary), slog.Any("KEKs", v.KEKs))
}

// unprintable, embedded first in an internal type, makes every printed
// form of it a fixed mark: the internal types hold data keys, wrapped data
// keys and opened KEKs, and a stray %v must not show them.
type unprintable struct{}

const unprintableMark = "[keeper internal: REDACTED]"

func (unprintable) String() string               { return unprintableMark }
func (unprintable) GoString() string             { return unprintableMark }
func (unprintable) Format(f fmt.State, _ rune)   { io.WriteString(f, unprintableMark) }
func (unprintable) MarshalText() ([]byte, error) { return []byte(unprintableMark), nil }
func (unprintable) LogValue() slog.Value         { return slog.StringValue(unprintableMark) }
