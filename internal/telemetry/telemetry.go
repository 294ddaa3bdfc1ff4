// Package telemetry holds what strongbox's instrumented packages share
// about OpenTelemetry metrics: how a package gets its meter, and how an
// error becomes a bounded outcome attribute.
//
// # Security
//
// Attribute values are chosen from fixed sets (route patterns, methods,
// statuses, outcomes, operations) and never from caller input: no value,
// token, key, secret name or namespace. Outcome maps an error to its code's
// name, never to its text.
package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// ScopePrefix starts the instrumentation scope name of every strongbox
// meter: the import path of the instrumented package.
const ScopePrefix = "github.com/strongbox-go/strongbox/"

// Meter returns the meter of package pkg ("keeper", "secrets",
// "secrets/httpapi") from mp, or from the global MeterProvider
// (otel.GetMeterProvider) when mp is nil. The global one forwards to
// whatever provider the program installs later with otel.SetMeterProvider.
func Meter(mp metric.MeterProvider, pkg string) metric.Meter {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(ScopePrefix + pkg)
}

// Outcome attribute values besides the error codes.
const (
	OutcomeOK       = "ok"
	OutcomeCanceled = "canceled"
	OutcomeDeadline = "deadline_exceeded"
)

// Outcome names err for an outcome attribute: "ok" for nil, "canceled" and
// "deadline_exceeded" for context errors, otherwise the name of its error
// code in snake case ("not_found", "permission_denied", "unavailable",
// "internal", ...). It never uses the error's text.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeDeadline
	}
	return CodeName(errcode.Of(err))
}

// CodeName is the snake-case name of an error code, e.g. "not_found".
func CodeName(c errcode.Code) string {
	switch c {
	case errcode.OK:
		return OutcomeOK
	case errcode.NotFound:
		return "not_found"
	case errcode.AlreadyExists:
		return "already_exists"
	case errcode.Invalid:
		return "invalid"
	case errcode.Conflict:
		return "conflict"
	case errcode.PermissionDenied:
		return "permission_denied"
	case errcode.FailedPrecondition:
		return "failed_precondition"
	case errcode.Unavailable:
		return "unavailable"
	}
	return "internal"
}

// Attrs returns a measurement option for a fixed attribute set, computed
// once so that recording allocates nothing.
func Attrs(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(kv...))
}
