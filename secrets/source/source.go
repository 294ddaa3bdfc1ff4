package source

import (
	"context"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
)

// Source fetches secret values by name. Implementations are safe for
// concurrent use. Get fails with an error matching secrets.ErrNotFound when
// the source has no secret of that name; errors never contain a value.
type Source interface {
	Get(ctx context.Context, name string) (secrets.Value, error)
}

// sourceFunc adapts a function to Source.
type sourceFunc func(ctx context.Context, name string) (secrets.Value, error)

func (f sourceFunc) Get(ctx context.Context, name string) (secrets.Value, error) { return f(ctx, name) }

// Redactor learns the secrets that must not appear in output.
// *redact.Redactor implements it. Add returns an error for a secret it
// does not register (redact refuses secrets shorter than its minimum
// length); the cache (NewCache) then refuses the value, since it would show
// in logs.
type Redactor interface {
	Add(secret string) error
}

// Params is what a Constructor receives for one spec,
// <type>[=<config>]. Config may hold secrets (mock values, header tokens),
// so Params prints only its type and name under fmt, JSON and slog.
type Params struct {
	// Type selects the constructor: "mock", "file", "url", "store"...
	Type string
	// Name is the spec's name= token, or Type when there is none.
	Name string
	// Config is the spec's config with the reserved tokens (default,
	// name=...) removed, its other items joined by ",".
	Config string
	// Env returns the environment as "KEY=value" strings; never nil.
	Env func() []string
	// ReadFile reads a file named in the config; never nil. Unless the
	// caller set Options.ReadFile, it refuses files over the limit
	// before reading them and warns (through Logger) about files the group
	// or others may read or write.
	ReadFile func(name string) ([]byte, error)
	// HTTPClient is the client of url-like sources; nil means a default
	// client.
	HTTPClient *http.Client
	// Logger receives the source's warnings; never nil. It must never be
	// given a value.
	Logger *slog.Logger
}

// Constructor builds the source of one spec. Its errors should name the
// option, variable or line at fault and never contain a value; the resolver
// prefixes them with the spec's position, type and name.
type Constructor func(ctx context.Context, p Params) (Source, error)

// ErrNoSource is matched (with errors.Is) by the error of a Get from a
// source name that is not configured, or from the default source when none
// is. It has code NotFound: that error also matches secrets.ErrNotFound.
var ErrNoSource error = errcode.New(errcode.NotFound, "", "no such secret source")

// The environment variables that may hold one spec when none is given
// explicitly. STRONGBOX_SECRET_SOURCE wins over K6_SECRET_SOURCE.
const (
	envSpec   = "STRONGBOX_SECRET_SOURCE"
	envSpecK6 = "K6_SECRET_SOURCE"
)

// environ turns an environ function into a map; later entries win, as in
// os.Getenv.
func environ(env func() []string) map[string]string {
	if env == nil {
		env = os.Environ
	}
	m := map[string]string{}
	for _, kv := range env() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// printable returns s quoted when it is a short identifier-like string
// (letters, digits, '-', '_', '.'), which may safely appear in an error, and
// a placeholder otherwise. Type, option and key names go through it.
func printable(s string) string {
	if s == "" {
		return `""`
	}
	if len(s) > 64 {
		return "(a name too long to print)"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "(a name with characters that are not printed)"
		}
	}
	return `"` + s + `"`
}

// checkSecretName checks a name asked of a source: 1 to 253 bytes of valid
// UTF-8 without control characters. Sources are looser than
// the name rules so that k6 keys such as "db.password" keep working;
// the store source applies the name rules through the Manager.
func checkSecretName(name string) error {
	switch {
	case name == "":
		return errors.New("secret name is empty")
	case len(name) > names.MaxNameLength:
		return fmt.Errorf("secret name has %d bytes; the limit is %d", len(name), names.MaxNameLength)
	case !utf8.ValidString(name):
		return errors.New("secret name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("secret name has a control character")
		}
	}
	return nil
}

// message returns the text of err without the operation and code prefix of
// an errcode.Error, so that an inner validation error can be re-wrapped
// once.
func message(err error) string {
	var e *errcode.Error
	if errors.As(err, &e) && e.Err == nil && e.Msg != "" {
		return e.Msg
	}
	return err.Error()
}

// isBlank reports whether s is empty or only whitespace. Such values are not
// given to the redactor: redacting them would mangle every line.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
