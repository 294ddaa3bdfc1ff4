package redact

import (
	"bytes"
	"context"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"sync/atomic"
	"time"
)

// handler is an slog.Handler that redacts a record's message, attribute
// keys and values (also inside groups and resolved LogValuers), and the
// attributes and group names given to WithAttrs and WithGroup, before
// passing the record to the next handler.
//
// The next handler never sees a value that is not redacted, see the
// package documentation (# Security): every value that is not a string,
// number, bool, duration or time, and every one of those whose text holds
// a secret, is rendered once by the handler the way each of slog's own
// handlers would render it, the renderings are redacted, and the next
// handler gets only those.
//
// Attributes given to WithAttrs are kept as given and redacted against the
// current set of secrets: a secret added after WithAttrs is still redacted
// from them. While no secret is added, the next handler's own WithAttrs
// and WithGroup results are cached and reused.
//
// A secret split across two attributes (or a key and its value) is not
// seen, nor is one in the record's time or source; to cover the final
// output as well, let the next handler write to a Writer.
type handler struct {
	next  slog.Handler
	r     *Redactor
	ops   []handlerOp // WithAttrs/WithGroup calls, in order
	cache *atomic.Pointer[builtHandler]
}

type handlerOp struct {
	group string // WithGroup if attrs == nil
	attrs []slog.Attr
}

type builtHandler struct {
	count int64
	h     slog.Handler
}

// NewHandler returns a handler that redacts with r and passes records to
// next.
func NewHandler(next slog.Handler, r *Redactor) slog.Handler {
	return &handler{next: next, r: r, cache: new(atomic.Pointer[builtHandler])}
}

// Enabled reports whether the next handler handles level.
func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(handlerOp{attrs: append([]slog.Attr(nil), attrs...)})
}

// WithGroup returns a handler that puts the attributes that follow in a
// group.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(handlerOp{group: name})
}

func (h *handler) with(op handlerOp) *handler {
	ops := make([]handlerOp, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &handler{next: h.next, r: h.r, ops: append(ops, op), cache: new(atomic.Pointer[builtHandler])}
}

// built returns next with the redacted ops applied, rebuilt when the set
// of secrets changed.
func (h *handler) built() slog.Handler {
	if len(h.ops) == 0 {
		return h.next
	}
	n := h.r.count.Load()
	if b := h.cache.Load(); b != nil && b.count == n {
		return b.h
	}
	out := h.next
	for _, op := range h.ops {
		if op.attrs == nil {
			out = out.WithGroup(h.r.RedactString(op.group))
		} else {
			out = out.WithAttrs(h.redactAttrs(op.attrs))
		}
	}
	h.cache.Store(&builtHandler{count: n, h: out})
	return out
}

// Handle redacts rec and passes it to the next handler.
func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	next := h.built()
	out := slog.NewRecord(rec.Time, rec.Level, h.r.RedactString(rec.Message), rec.PC)
	attrs := make([]slog.Attr, 0, rec.NumAttrs())
	rec.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, h.redactAttr(a))
		return true
	})
	out.AddAttrs(attrs...)
	return next.Handle(ctx, out)
}

// String, GoString, Format, MarshalText, MarshalJSON and LogValue show
// only the type: a handler holds the attributes given to WithAttrs as
// given.
func (h *handler) Format(f fmt.State, _ rune)       { _, _ = io.WriteString(f, "redact.Handler") }
func (h *handler) MarshalText() ([]byte, error)     { return []byte("redact.Handler"), nil }
func (h *handler) redactString(s string) slog.Value { return slog.StringValue(h.r.RedactString(s)) }
func (h *handler) redactAttr(a slog.Attr) slog.Attr {
	return slog.Attr{Key: h.r.RedactString(a.Key), Value: h.redactValue(a.Value)}
}
func (h *handler) leaks(s string) bool { return h.r.RedactString(s) != s }
func (h *handler) redactAttrs(as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.redactAttr(a)
	}
	return out
}

// redactValue returns v resolved and redacted. Strings are redacted,
// groups redacted member by member; numbers, bools, durations and times
// are kept unless one of their renderings holds a secret; every other
// value becomes a rendered value.
func (h *handler) redactValue(v slog.Value) slog.Value {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return h.redactString(v.String())
	case slog.KindGroup:
		return slog.GroupValue(h.redactAttrs(v.Group())...)
	case slog.KindAny:
		switch a := v.Any().(type) {
		case nil:
			return v // prints as <nil> or null; and an empty Attr stays empty
		case []byte:
			return h.redactBytes(a)
		}
		return slog.AnyValue(h.render(v.Any()))
	default:
		return h.redactScalar(v)
	}
}

// redactBytes keeps a copy of b (slog's handlers print a byte slice
// quoted, or as base64 in JSON) unless its text or its base64 holds a
// secret; then it is the redacted text.
func (h *handler) redactBytes(b []byte) slog.Value {
	if !h.leaks(string(b)) && !h.leaks(base64.StdEncoding.EncodeToString(b)) {
		return slog.AnyValue(bytes.Clone(b))
	}
	red := h.r.RedactString(string(b))
	return slog.AnyValue(&rendered{v: red, plusV: red, text: red, json: jsonString(red)})
}

// redactScalar checks every rendering slog's handlers give a number, bool,
// duration or time: the same text in both for numbers and bools, the
// duration's String (text) and its nanoseconds (JSON), the time in RFC
// 3339 with milliseconds (text), with nanoseconds (JSON) and its String.
func (h *handler) redactScalar(v slog.Value) slog.Value {
	var text, js string
	switch v.Kind() {
	case slog.KindDuration:
		text, js = v.Duration().String(), strconv.FormatInt(int64(v.Duration()), 10)
	case slog.KindTime:
		t := v.Time()
		text, js = t.Round(0).Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00"), t.Round(0).Format(time.RFC3339Nano)
		if h.leaks(t.String()) {
			text = t.String()
		}
	default:
		text = v.String()
		js = text
	}
	if !h.leaks(text) && !h.leaks(js) {
		return v
	}
	red := h.r.RedactString(text)
	return slog.AnyValue(&rendered{v: red, plusV: red, text: red, json: jsonString(h.r.RedactString(js))})
}

// rendered is what the next handler gets instead of a value: the value's
// renderings, each redacted, made once when the record was handled. It
// never calls the value again, so what was redacted is what is printed.
//
//   - MarshalText gives slog's TextHandler what it prints of the value: its
//     MarshalText if it has one, a byte slice as text, else fmt's %+v.
//   - MarshalJSON gives slog's JSONHandler what it prints: Error() of an
//     error that is not a json.Marshaler, else the value marshalled as
//     JSON (re-encoded canonically, every string redacted).
//   - fmt gets %+v under the + flag, else %v; other verbs format the %v
//     text.
type rendered struct {
	v, plusV      string
	text, textErr string // textErr is set if MarshalText failed
	json, jsonErr string // jsonErr is set if marshalling failed
}

// renderedError is a rendered error: it is still an error to the next
// handler, with the redacted Error() text. It does not unwrap: the
// wrapped errors would be the unredacted originals.
type renderedError struct {
	*rendered
	err string
}

func (e renderedError) Error() string { return e.err }

func (x *rendered) String() string { return x.v }

func (x *rendered) Format(f fmt.State, verb rune) {
	s := x.v
	if verb == 'v' && f.Flag('+') {
		s = x.plusV
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s)
}

func (x *rendered) MarshalText() ([]byte, error) {
	if x.textErr != "" {
		return nil, errors.New(x.textErr)
	}
	return []byte(x.text), nil
}

func (x *rendered) MarshalJSON() ([]byte, error) {
	if x.jsonErr != "" {
		return nil, errors.New(x.jsonErr)
	}
	return []byte(x.json), nil
}

// render returns the redacted renderings of a, as an error if a is one.
func (h *handler) render(a any) any {
	red := h.r.RedactString
	x := &rendered{v: red(fmt.Sprint(a)), plusV: red(fmt.Sprintf("%+v", a))}

	// As slog's TextHandler (appendTextValue).
	if tm, ok := a.(encoding.TextMarshaler); ok {
		if b, err := tm.MarshalText(); err != nil {
			x.textErr = red(err.Error())
		} else {
			x.text = red(string(b))
		}
	} else if b, ok := byteSlice(a); ok {
		x.text = red(string(b))
	} else {
		x.text = x.plusV
	}

	// As slog's JSONHandler (appendJSONValue).
	err, isErr := a.(error)
	if _, jm := a.(json.Marshaler); isErr && !jm {
		x.json = jsonString(red(err.Error()))
	} else if b, ok := byteSlice(a); ok && h.leaks(string(b)) {
		// base64 would keep the bits at the ends of the secret.
		x.json = jsonString(red(string(b)))
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a); err != nil {
			x.jsonErr = red(err.Error())
		} else {
			x.json = h.redactJSON(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		}
	}
	if isErr {
		return renderedError{x, red(err.Error())}
	}
	return x
}

// byteSlice reports whether a is a byte slice, as slog's handlers decide.
func byteSlice(a any) ([]byte, bool) {
	if b, ok := a.([]byte); ok {
		return b, true
	}
	t := reflect.TypeOf(a)
	if t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return reflect.ValueOf(a).Bytes(), true
	}
	return nil, false
}

// redactJSON re-encodes the JSON text b token by token (keeping the order
// of members), with every string (member names too) decoded, redacted and
// encoded again as encoding/json does without HTML escaping, and every
// number whose text holds a secret replaced by a string: so a secret that
// a custom MarshalJSON spelled with other escapes is caught, and the
// result is valid JSON. A secret spread over several tokens is then
// caught by redacting the whole text; if that breaks the JSON, the result
// is that text as one JSON string.
func (h *handler) redactJSON(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		obj bool
		n   int
	}
	var stack []frame
	out := make([]byte, 0, len(b)+16)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return jsonString(h.r.RedactString(string(b)))
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out = append(out, byte(d))
			continue
		}
		if n := len(stack); n > 0 {
			f := &stack[n-1]
			switch {
			case f.obj && f.n%2 == 1:
				out = append(out, ':')
			case f.n > 0:
				out = append(out, ',')
			}
			f.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out = append(out, byte(t))
			stack = append(stack, frame{obj: t == '{'})
		case string:
			out = append(out, jsonString(h.r.RedactString(t))...)
		case json.Number:
			if s := string(t); h.leaks(s) {
				out = append(out, jsonString(h.r.RedactString(s))...)
			} else {
				out = append(out, s...)
			}
		case bool:
			out = strconv.AppendBool(out, t)
		case nil:
			out = append(out, "null"...)
		}
	}
	s := string(out)
	if red := h.r.RedactString(s); red != s {
		if json.Valid([]byte(red)) {
			return red
		}
		return jsonString(red)
	}
	return s
}

// jsonString returns s as a JSON string, as slog's JSON handler writes it.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
