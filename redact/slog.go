package redact

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
)

// Handler is an slog.Handler that redacts a record's message, attribute
// keys and values (also inside groups and resolved LogValuers), and the
// attributes and group names given to WithAttrs and WithGroup, before
// passing the record to the next handler.
//
// Attributes given to WithAttrs are kept as given and redacted against the
// current set of secrets: a secret added after WithAttrs is still redacted
// from them. While no secret is added, the next handler's own WithAttrs
// and WithGroup results are cached and reused.
//
// Values of kinds other than string (numbers, times, arbitrary values) are
// formatted with slog.Value.String, and for arbitrary values also as JSON;
// if that text holds a secret, the value is replaced by the redacted text.
//
// A secret split across two attributes is not seen; to cover the final
// output as well, let the next handler write to a Writer.
type Handler struct {
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

// NewHandler returns a Handler that redacts with r and passes records to
// next.
func NewHandler(next slog.Handler, r *Redactor) *Handler {
	return &Handler{next: next, r: r, cache: new(atomic.Pointer[builtHandler])}
}

// Enabled reports whether the next handler handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// WithAttrs returns a Handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(handlerOp{attrs: append([]slog.Attr(nil), attrs...)})
}

// WithGroup returns a Handler that puts the attributes that follow in a
// group.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(handlerOp{group: name})
}

func (h *Handler) with(op handlerOp) *Handler {
	ops := make([]handlerOp, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &Handler{next: h.next, r: h.r, ops: append(ops, op), cache: new(atomic.Pointer[builtHandler])}
}

// built returns next with the redacted ops applied, rebuilt when the set
// of secrets changed.
func (h *Handler) built() slog.Handler {
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
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
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

func (h *Handler) redactAttrs(as []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.redactAttr(a)
	}
	return out
}

func (h *Handler) redactAttr(a slog.Attr) slog.Attr {
	a.Key = h.r.RedactString(a.Key)
	a.Value = h.redactValue(a.Value)
	return a
}

func (h *Handler) redactValue(v slog.Value) slog.Value {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(h.r.RedactString(v.String()))
	case slog.KindGroup:
		return slog.GroupValue(h.redactAttrs(v.Group())...)
	case slog.KindAny:
		if b, ok := v.Any().([]byte); ok {
			if red := h.r.RedactString(string(b)); red != string(b) {
				return slog.StringValue(red)
			}
		}
		if s := v.String(); h.leaks(s) {
			return slog.StringValue(h.r.RedactString(s))
		}
		if j, err := json.Marshal(v.Any()); err == nil && h.leaks(string(j)) {
			return slog.StringValue(h.r.RedactString(string(j)))
		}
		return v
	default:
		if s := v.String(); h.leaks(s) {
			return slog.StringValue(h.r.RedactString(s))
		}
		return v
	}
}

func (h *Handler) leaks(s string) bool {
	return h.r.RedactString(s) != s
}
