package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"log/slog"
	"strings"
)

// spec is one parsed secret-source spec, `<type>[=<config>]`.
//
// Config may hold secrets (mock values, header tokens), so a spec prints
// only its type, name and default flag under fmt, JSON and slog.
type spec struct {
	// Type selects the constructor: "mock", "file", "url", "store"...
	Type string
	// Name is the name= token, or Type when there is none.
	Name string
	// Default is set by the default token, by name=default, or when the
	// spec is the only one.
	Default bool
	// Config is the config with the reserved tokens (default, name=...)
	// removed, its other items joined by ",".
	Config string
}

// String describes the spec without its config.
func (s spec) String() string {
	d := ""
	if s.Default {
		d = ",default"
	}
	return fmt.Sprintf("%s=name=%s%s,[config not printed]", s.Type, s.Name, d)
}

// Format prints String for every verb, so %+v and %#v do not reach Config.
func (s spec) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalJSON encodes the type, name and default flag, not Config.
func (s spec) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type    string
		Name    string
		Default bool
	}{s.Type, s.Name, s.Default})
}

// LogValue makes slog print String.
func (s spec) LogValue() slog.Value { return slog.StringValue(s.String()) }

// isIdent reports whether s is a type: 1 to 64 letters, digits, '-', '_'.
func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseSpec parses one spec, `<type>[=<config>]`, cut at the first "=".
// The config is split on ","; the token "default" and a "name=<n>" token
// are removed from it and set Default and Name. Name defaults to Type.
// Names follow the name rules; "default" as a name means Default.
// Errors name the item at fault by position, never its text beyond a type
// or option name.
func parseSpec(s string) (spec, error) {
	if s == "" {
		return spec{}, errors.New("spec is empty; want <type>[=<config>]")
	}
	typ, config, _ := strings.Cut(s, "=")
	if typ == "" {
		return spec{}, errors.New("spec has no type before =")
	}
	if !isIdent(typ) {
		return spec{}, errors.New("type is not 1 to 64 letters, digits, '-' or '_'")
	}
	sp := spec{Type: typ}
	if config == "" {
		sp.Name = typ
		return sp, nil
	}
	items := strings.Split(config, ",")
	rest := make([]string, 0, len(items))
	for i, item := range items {
		if item == "default" {
			sp.Default = true
			continue
		}
		k, v, _ := strings.Cut(item, "=")
		if k != "name" {
			rest = append(rest, item)
			continue
		}
		switch {
		case sp.Name != "":
			return spec{}, fmt.Errorf("config item %d: name= is given twice", i+1)
		case !strings.Contains(item, "="):
			return spec{}, fmt.Errorf("config item %d: name needs =<name>", i+1)
		}
		if err := names.Name("", v); err != nil {
			return spec{}, fmt.Errorf("config item %d: name: %s", i+1, message(err))
		}
		sp.Name = v
	}
	if sp.Name == "" {
		sp.Name = typ
	}
	if sp.Name == "default" {
		sp.Default = true
	}
	sp.Config = strings.Join(rest, ",")
	return sp, nil
}

// parseSpecs parses several specs, as given by repeated --secret-source
// flags. It fails on an empty spec, a name used twice and a second default;
// a single spec is the default. where names spec i in errors. It does not
// know the types; NewResolver rejects unknown ones.
func parseSpecs(specs []string, where func(i int) string) ([]spec, error) {
	out := make([]spec, 0, len(specs))
	byName := map[string]int{}
	def := -1
	for i, s := range specs {
		sp, err := parseSpec(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where(i), err)
		}
		if j, ok := byName[sp.Name]; ok {
			return nil, fmt.Errorf("%s: name %s is already used by %s", where(i), printable(sp.Name), where(j))
		}
		byName[sp.Name] = i
		if sp.Default {
			if def >= 0 {
				return nil, fmt.Errorf("%s: two default sources; %s is already the default", where(i), where(def))
			}
			def = i
		}
		out = append(out, sp)
	}
	if len(out) == 1 {
		out[0].Default = true
	}
	return out, nil
}

// option is one item of a config: key=value, or a bare key.
type option struct {
	pos      int // 1-based position among the items
	key      string
	value    string
	hasValue bool
}

// splitOptions splits a config into items on ",", each cut at the first
// "=". An empty config has no items.
func splitOptions(config string) []option {
	if config == "" {
		return nil
	}
	items := strings.Split(config, ",")
	out := make([]option, len(items))
	for i, item := range items {
		k, v, ok := strings.Cut(item, "=")
		out[i] = option{pos: i + 1, key: k, value: v, hasValue: ok}
	}
	return out
}

// String names the option for errors: its position and, when printable,
// its key. It never includes the value.
func (o option) String() string {
	return fmt.Sprintf("config item %d (%s)", o.pos, printable(o.key))
}
