package leakcheck

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// renderVerbs are the fmt verbs a careless caller might print a value with.
var renderVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"}

// CheckRenderings fails t if any way of printing v shows one of secrets:
// every fmt verb in common use, encoding/json, encoding.TextMarshaler, and
// slog's text and JSON handlers (which resolve LogValuer). A value v that is
// not a pointer is also checked through a pointer to a copy, since methods
// with pointer receivers only print through one. A secret counts as shown in
// its raw, JSON-escaped, URL-escaped, base64 and hex forms.
func CheckRenderings(t testing.TB, v any, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 4 {
			t.Fatalf("CheckRenderings: secret of %d bytes is too short to search for", len(s))
		}
	}
	forms := renderForms(secrets)
	check := func(how, text string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s of %T shows a secret (%d-byte form)", how, v, len(f))
				return
			}
		}
	}
	values := []any{v}
	if rv := reflect.ValueOf(v); rv.IsValid() && rv.Kind() != reflect.Pointer {
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		values = append(values, p.Interface())
	}
	for _, x := range values {
		for _, verb := range renderVerbs {
			check("fmt "+verb, fmt.Sprintf(verb, x))
		}
		if b, err := json.Marshal(x); err == nil {
			check("json.Marshal", string(b))
		} else {
			check("json.Marshal error", err.Error())
		}
		if m, ok := x.(encoding.TextMarshaler); ok {
			if b, err := m.MarshalText(); err == nil {
				check("MarshalText", string(b))
			} else {
				check("MarshalText error", err.Error())
			}
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", x)
		check("slog text handler", buf.String())
		buf.Reset()
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", x)
		check("slog JSON handler", buf.String())
	}
}

// renderForms lists each secret with the encodings a printer may apply.
func renderForms(secrets []string) []string {
	var forms []string
	for _, s := range secrets {
		js, _ := json.Marshal(s)
		forms = append(forms, s, string(js[1:len(js)-1]), url.QueryEscape(s), url.PathEscape(s),
			base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
			hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
	}
	return forms
}
