package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The values below each show the secret in one rendering only, the one a
// check of another rendering misses.

// formatterValue shows the secret only under %+v, as errors with stack
// traces do.
type formatterValue struct{ s string }

func (f formatterValue) Format(st fmt.State, verb rune) {
	if verb == 'v' && st.Flag('+') {
		fmt.Fprintf(st, "detail(%s)", f.s)
		return
	}
	io.WriteString(st, "formatter")
}

// textValue shows the secret only in MarshalText (slog's text handler).
type textValue struct{ s string }

func (v textValue) MarshalText() ([]byte, error) { return []byte("text:" + v.s), nil }
func (v textValue) MarshalJSON() ([]byte, error) { return []byte(`"clean"`), nil }
func (v textValue) String() string               { return "clean" }

// jsonEscapedValue writes the secret with every non-ASCII character as a
// \u escape (as an ASCII-only JSON encoder does): the bytes differ from
// encoding/json's spelling, the decoded string is the secret.
type jsonEscapedValue struct{ s string }

func (v jsonEscapedValue) MarshalJSON() ([]byte, error) {
	return []byte(`{"k":` + strconv.QuoteToASCII(v.s) + `}`), nil
}
func (v jsonEscapedValue) String() string { return "clean" }

// flipValue is clean the first time it is marshalled and shows the secret
// every time after: a check that marshals it before the next handler
// does sees one text and lets another through.
type flipValue struct {
	n *atomic.Int32
	s string
}

func (v flipValue) MarshalJSON() ([]byte, error) {
	if v.n.Add(1) == 1 {
		return []byte(`"clean"`), nil
	}
	return json.Marshal(v.s)
}
func (v flipValue) String() string { return "clean" }

// errorValue is an error whose Error() is clean and whose %+v shows the
// secret, like a wrapped error printed with its details.
type errorValue struct{ s string }

func (e errorValue) Error() string { return "failed" }
func (e errorValue) Format(st fmt.State, verb rune) {
	if verb == 'v' && st.Flag('+') {
		fmt.Fprintf(st, "failed: %s", e.s)
		return
	}
	io.WriteString(st, e.Error())
}

// jsonError is an error that the JSON handler prints with MarshalJSON.
type jsonError struct{ s string }

func (e jsonError) Error() string { return "failed" }
func (e jsonError) MarshalJSON() ([]byte, error) {
	return []byte(`{"why":` + strconv.QuoteToASCII(e.s) + `}`), nil
}

// valuer resolves to a value that shows the secret under %+v.
type valuer struct{ s string }

func (v valuer) LogValue() slog.Value { return slog.AnyValue(formatterValue(v)) }

// groupValuer resolves to a group holding values of the kinds above.
type groupValuer struct{ s string }

func (v groupValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("t", textValue(v)), slog.Any("v", valuer(v)))
}

const kindSecret = "pässwörd-geheim-0042"

// handlerKinds runs log against a handler in front of each of slog's own
// handlers and fails if the secret can be read from what they wrote:
// literally, inside a Go-quoted string, or (for JSON) in any decoded
// string. If wantMarker, the marker must appear in both outputs.
func handlerKinds(t *testing.T, log func(l *slog.Logger), wantMarker bool) {
	t.Helper()
	inner := map[string]func(io.Writer) slog.Handler{
		"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
	}
	for name, mk := range inner {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			r := newRedactor(kindSecret)
			log(slog.New(NewHandler(mk(&buf), r)))
			out := buf.String()
			if out == "" {
				t.Fatal("no output")
			}
			if strings.Contains(out, kindSecret) || strings.Contains(out, strings.Trim(strconv.QuoteToASCII(kindSecret), `"`)) {
				t.Errorf("output shows the secret:\n%s", out)
			}
			if name == "json" {
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					var v any
					if err := json.Unmarshal([]byte(line), &v); err != nil {
						t.Fatalf("output is not JSON: %v: %s", err, line)
					}
					if s := fmt.Sprint(v); strings.Contains(s, kindSecret) {
						t.Errorf("decoded output shows the secret: %s", s)
					}
				}
			}
			if wantMarker && !strings.Contains(out, M) {
				t.Errorf("no marker in the output:\n%s", out)
			}
		})
	}
}

func TestHandlerRedactsFormatter(t *testing.T) {
	handlerKinds(t, func(l *slog.Logger) { l.Info("m", "f", formatterValue{kindSecret}) }, false)
}

func TestHandlerRedactsTextMarshaler(t *testing.T) {
	handlerKinds(t, func(l *slog.Logger) { l.Info("m", "t", textValue{kindSecret}) }, false)
}

func TestHandlerRedactsJSONMarshaler(t *testing.T) {
	t.Run("escaped", func(t *testing.T) {
		handlerKinds(t, func(l *slog.Logger) { l.Info("m", "j", jsonEscapedValue{kindSecret}) }, false)
	})
	t.Run("changes between calls", func(t *testing.T) {
		handlerKinds(t, func(l *slog.Logger) { l.Info("m", "j", flipValue{new(atomic.Int32), kindSecret}) }, false)
	})
	t.Run("number", func(t *testing.T) {
		var buf bytes.Buffer
		r := newRedactor("90210735")
		l := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), r))
		l.Info("m", "pin", json.RawMessage(`{"pin":90210735}`), "n", 90210735)
		if out := buf.String(); strings.Contains(out, "90210735") || !json.Valid(bytes.TrimSpace(buf.Bytes())) {
			t.Errorf("numeric secret in JSON: %s", out)
		}
	})
}

func TestHandlerRedactsError(t *testing.T) {
	handlerKinds(t, func(l *slog.Logger) {
		l.Info("m", "err", errorValue{kindSecret}, "err2", jsonError{kindSecret}, "err3", fmt.Errorf("wrapped: %w", errorValue{kindSecret}))
	}, false)
}

func TestHandlerRedactsLogValuer(t *testing.T) {
	handlerKinds(t, func(l *slog.Logger) { l.Info("m", "v", valuer{kindSecret}, "g", groupValuer{kindSecret}) }, false)
}

func TestHandlerRedactsGroup(t *testing.T) {
	handlerKinds(t, func(l *slog.Logger) {
		l.WithGroup("wg").With(slog.Any("t", textValue{kindSecret}), slog.Group("wa", slog.Any("e", errorValue{kindSecret}))).
			Info("m", slog.Group("g", slog.Any("f", formatterValue{kindSecret}), slog.Group("inner", "e", errorValue{kindSecret}, "s", "x"+kindSecret)), slog.Group("", "inline", textValue{kindSecret}))
	}, true)
}

// TestHandlerKeepsCleanValues checks that values without a secret print as
// slog's handlers print them without the handler in front.
func TestHandlerKeepsCleanValues(t *testing.T) {
	type point struct{ X, Y int }
	vals := []any{point{1, 2}, &point{3, 4}, errorValue{"x"}, jsonError{"y"}, textValue{"z"}, []byte("bytes"), map[string]int{"a": 1}, []string{"a", "<b>"}, json.RawMessage(`{"b":[1,2.5e3,null,true,"ä"]}`), 42, 2.5, true, nil}
	for _, mk := range []func(io.Writer) slog.Handler{
		func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
	} {
		for _, v := range vals {
			var want, got bytes.Buffer
			rec := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
			rec.AddAttrs(slog.Any("v", v))
			_ = mk(&want).Handle(context.Background(), rec)
			_ = NewHandler(mk(&got), newRedactor("unrelated-secret")).Handle(context.Background(), rec)
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("%T (-want +got):\n%s", v, diff)
			}
		}
	}
}

// FuzzHandlerJSON feeds arbitrary MarshalJSON output through the handler's
// JSON re-encoding: the JSON handler's line must stay valid JSON and no
// decoded string may hold the secret.
func FuzzHandlerJSON(f *testing.F) {
	for _, s := range []struct{ secret, js string }{
		{"s3cret-val", `{"a":"s3cret-val"}`},
		{"pässwörd", `["p\u00e4ssw\u00f6rd",1,{"k":null}]`},
		{"90210735", `{"pin":90210735}`},
		{`a","b`, `{"x":"a","b":"c"}`},
		{"s3cret-val", `"s3cret-\u0076al"`},
		{"key-secret", `{"key-secret":true,"":false}`},
	} {
		f.Add(s.secret, s.js)
	}
	f.Fuzz(func(t *testing.T, secret, js string) {
		if !json.Valid([]byte(js)) || len(secret) > 64 {
			return
		}
		r := New(Options{MinLength: 1})
		if r.Add(secret) != nil {
			return
		}
		var buf bytes.Buffer
		l := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), r))
		l.Info("m", "v", json.RawMessage(js))
		// UseNumber: a valid JSON number such as 2E700 is out of float64's
		// range, which json.Unmarshal reports as an error.
		var line map[string]any
		dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&line); err != nil {
			t.Fatalf("not JSON: %v: %s", err, buf.String())
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("not one JSON value (%v): %s", err, buf.String())
		}
		v := line["v"] // the time, level and message are not what is tested
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if strings.Contains(v, secret) && !strings.Contains(M, secret) && !strings.Contains(v, M) {
					t.Errorf("decoded string %q holds the secret %q", v, secret)
				}
			case map[string]any:
				for k, x := range v {
					walk(k)
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(v)
	})
}
