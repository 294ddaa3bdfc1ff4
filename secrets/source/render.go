package source

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
)

// The types of this package that hold values, header values, spec configs
// or url templates (which may carry credentials) print a description
// instead, the same under every fmt verb, encoding/json, MarshalText and
// slog: fmt's %+v and %#v print unexported fields without calling their
// methods, so a secrets.Value inside one would show. See # Security in the
// package doc.

// hiddenJSON returns the JSON string of desc.
func hiddenJSON(desc string) ([]byte, error) { return json.Marshal(desc) }

// text describes the configuration without the template's path, query
// or user information and without header values: the origin of the
// template, the method, the header names and the other settings.
func (c URLConfig) text() string {
	names := make([]string, 0, len(c.Headers))
	for n := range c.Headers {
		names = append(names, printable(n))
	}
	sort.Strings(names)
	return fmt.Sprintf("url source config (template %s, method %s, headers [%s] with values not printed, responsePath %s, timeout %v, requestsPerMinuteLimit %d, requestsBurst %d, maxRetries %d, retryBackoff %v)",
		templateOrigin(c.URLTemplate), printable(c.Method), strings.Join(names, " "), printable(c.ResponsePath),
		c.Timeout, c.RequestsPerMinuteLimit, c.RequestsBurst, c.MaxRetries, c.RetryBackoff)
}

// templateOrigin returns scheme://host of a url template, or a placeholder:
// the path, the query and the user information may hold credentials.
func templateOrigin(t string) string {
	if t == "" {
		return "not set"
	}
	u, err := url.Parse(strings.ReplaceAll(t, "{key}", "k"))
	if err != nil || u.Scheme == "" || u.Host == "" || !isHostText(u.Scheme) || !isHostText(u.Host) {
		return "(not printed)"
	}
	return u.Scheme + "://" + u.Host + "/... (rest not printed)"
}

// isHostText reports whether s has only the characters of a scheme or a
// host[:port].
func isHostText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._:[]+", c) >= 0) {
			return false
		}
	}
	return true
}

// Format prints, for every verb, the template's scheme and host (not its
// path, query or user information), the method, the header names (not
// their values) and the other settings.
func (c URLConfig) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.text())) }

// MarshalText returns what Format prints, for encoding/json, text encoders
// and slog.
func (c URLConfig) MarshalText() ([]byte, error) { return []byte(c.text()), nil }

// String describes the source by its configuration (see URLConfig.text).
func (s urlSource) String() string { return "url source: " + s.cfg.text() }

// Format prints String for every verb.
func (s urlSource) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalJSON encodes String as a JSON string.
func (s urlSource) MarshalJSON() ([]byte, error) { return hiddenJSON(s.String()) }

// MarshalText returns String.
func (s urlSource) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes slog print String.
func (s urlSource) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String gives the kind of source and the number of secrets, not their
// names or values.
func (m mapSource) String() string {
	kind := m.kind
	if kind == "" {
		kind = "map"
	}
	return fmt.Sprintf("%s source (%d secrets, values not printed)", kind, len(m.values))
}

// Format prints String for every verb.
func (m mapSource) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(m.String())) }

// MarshalJSON encodes String as a JSON string.
func (m mapSource) MarshalJSON() ([]byte, error) { return hiddenJSON(m.String()) }

// MarshalText returns String.
func (m mapSource) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// LogValue makes slog print String.
func (m mapSource) LogValue() slog.Value { return slog.StringValue(m.String()) }

// String gives the number of cached values, not the values.
func (c *cache) String() string {
	c.mu.Lock()
	n := len(c.values)
	c.mu.Unlock()
	return fmt.Sprintf("source cache (%d values, not printed)", n)
}

// Format prints String for every verb.
func (c *cache) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// MarshalJSON encodes String as a JSON string.
func (c *cache) MarshalJSON() ([]byte, error) { return hiddenJSON(c.String()) }

// MarshalText returns String.
func (c *cache) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// LogValue makes slog print String.
func (c *cache) LogValue() slog.Value { return slog.StringValue(c.String()) }

// text gives the source names and the default, not configs or values.
func (r *Resolver) text() string {
	names := make([]string, len(r.names))
	for i, n := range r.names {
		names[i] = printable(n)
	}
	def := "none"
	if r.def != "" {
		def = printable(r.def)
	}
	return fmt.Sprintf("source resolver (sources [%s], default %s)", strings.Join(names, " "), def)
}

// Format prints the source names and the default for every verb, never
// configs or values.
func (r *Resolver) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.text())) }

// MarshalText returns what Format prints, for encoding/json, text encoders
// and slog.
func (r *Resolver) MarshalText() ([]byte, error) { return []byte(r.text()), nil }

// text describes the options without the specs, which may hold values
// (mock) and tokens (url headers): only how many there are.
func (o Options) text() string {
	types := make([]string, 0, len(o.Types))
	for k := range o.Types {
		types = append(types, printable(k))
	}
	sort.Strings(types)
	return fmt.Sprintf("source options (%d specs, not printed; extra types [%s])", len(o.Specs), strings.Join(types, " "))
}

// Format prints, for every verb, the number of specs (not the specs, which
// may hold values and tokens) and the names of the extra types.
func (o Options) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(o.text())) }

// MarshalText returns what Format prints, for encoding/json, text encoders
// and slog.
func (o Options) MarshalText() ([]byte, error) { return []byte(o.text()), nil }

// text describes the parameters by type and name, not config.
func (p Params) text() string {
	return fmt.Sprintf("source params (type %s, name %s, config not printed)", printable(p.Type), printable(p.Name))
}

// Format prints the type and name for every verb, never the config, which
// may hold values and tokens.
func (p Params) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.text())) }

// MarshalText returns what Format prints, for encoding/json, text encoders
// and slog.
func (p Params) MarshalText() ([]byte, error) { return []byte(p.text()), nil }
