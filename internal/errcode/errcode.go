// Package errcode holds the one set of error codes that every strongbox
// package shares, so that errors.Is(err, secrets.ErrNotFound) holds whether
// the error started in a storage backend, a keeper or the Manager.
//
// Package secrets exports the codes once (secrets.ErrNotFound...); storage
// backends in this module return them directly;
// users never import this package.
package errcode

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Code classifies an error. A Code is itself an error, so it can be the
// target of errors.Is.
type Code int

// The codes. OK is the zero value and is
// never returned as an error.
const (
	OK Code = iota
	NotFound
	AlreadyExists
	Invalid
	Conflict
	PermissionDenied
	FailedPrecondition
	Unavailable
	Internal
)

var names = [...]string{
	OK:                 "ok",
	NotFound:           "not found",
	AlreadyExists:      "already exists",
	Invalid:            "invalid",
	Conflict:           "conflict",
	PermissionDenied:   "permission denied",
	FailedPrecondition: "failed precondition",
	Unavailable:        "unavailable",
	Internal:           "internal",
}

// Error returns the code's name, e.g. "not found".
func (c Code) Error() string { return c.String() }

// String returns the code's name.
func (c Code) String() string {
	if c < 0 || int(c) >= len(names) {
		return "unknown"
	}
	return names[c]
}

// Error is an error with a code, the operation that failed and a message.
// It prints as "op: code: msg: cause", leaving out the code when the cause
// already carries the same one, so that each code shows once however many
// operations wrap it.
// The message must never contain a secret value or key material; callers
// build it from names, limits and codes only.
type Error struct {
	Code Code
	// Op is the operation, e.g. "secrets.Create" or "docstorage.GetMetadata".
	Op string
	// Msg is a human-readable detail; it names fields and limits, never values.
	Msg string
	// Err is the underlying cause, if any. It must be free of secrets too.
	Err error
}

// New returns an error with the given code, operation and message.
func New(code Code, op, msg string) *Error { return &Error{Code: code, Op: op, Msg: msg} }

// Wrap returns an error with the given code wrapping err. If err is nil, Wrap
// returns nil.
func Wrap(code Code, op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Op: op, Err: err}
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	// A code shows once: when the cause already carries the same code
	// (an operation wrapping the error of a call it made), the cause's
	// text says it.
	sep := ""
	if e.Err == nil || Of(e.Err) != e.Code {
		b.WriteString(e.Code.String())
		sep = ": "
	}
	if e.Msg != "" {
		b.WriteString(sep)
		b.WriteString(e.Msg)
		sep = ": "
	}
	if e.Err != nil {
		b.WriteString(sep)
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes both the code and the cause, so errors.Is matches the code
// sentinel as well as anything in the cause chain (context errors included).
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Code}
	}
	return []error{e.Code, e.Err}
}

// Of returns the code of err: the first Code found in its chain, Unavailable
// for context deadline and cancellation, Internal for any other non-nil error
// and OK for nil.
func Of(err error) Code {
	if err == nil {
		return OK
	}
	// The common case without errors.As's walk, which allocates each
	// *Error's Unwrap slice: an *Error's first code is its own.
	if e, ok := err.(*Error); ok {
		return e.Code
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Unavailable
	}
	return Internal
}

// IsContext reports whether err is a context cancellation or deadline, which
// strongbox passes through unchanged.
func IsContext(err error) bool {
	if e, ok := err.(*Error); ok && e.Err == nil {
		return false // a code and a message, no cause (New)
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// ContextEnded is ctx.Err(), or context.DeadlineExceeded once ctx's
// deadline has passed even if ctx does not say so yet: a dial or read with
// that deadline fails through the network poller, which can report the
// timeout a moment before ctx's own timer has marked ctx done. Code that
// blames a failure on the caller's context asks this, not ctx.Err().
func ContextEnded(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
