package secrets

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/telemetry"
	"github.com/strongbox-go/strongbox/keeper"
)

// metricReveals counts reveals; see # Metrics in the package doc.
const metricReveals = "strongbox.secrets.reveals"

// Reveal outcomes besides telemetry.Outcome's error codes.
const (
	outcomeRevoked          = "revoked"
	outcomeDecryptionFailed = "decryption_failed"
)

// managerMetrics are a Manager's instruments. Their only attribute is the
// outcome, from a fixed set: no namespace, name, principal or value.
type managerMetrics struct {
	reveals metric.Int64Counter
	// revealedOK is the attribute set of a successful reveal, built once:
	// building it costs three allocations, on every decrypt.
	revealedOK metric.MeasurementOption
}

func newManagerMetrics(mp metric.MeterProvider) *managerMetrics {
	m := telemetry.Meter(mp, "secrets")
	mm := &managerMetrics{revealedOK: telemetry.Attrs(attribute.String("strongbox.outcome", telemetry.OutcomeOK))}
	// Errors are only for invalid names, fixed here; the instrument
	// returned with one still works as a no-op.
	mm.reveals, _ = m.Int64Counter(metricReveals, metric.WithUnit("{reveal}"),
		metric.WithDescription("Secret values asked for through Reveal and RevealValue, one per name, by outcome."))
	return mm
}

// revealOutcome names the outcome of revealing one name.
func revealOutcome(err error) string {
	switch {
	case errors.Is(err, ErrRevoked):
		return outcomeRevoked
	case errors.Is(err, keeper.ErrDecrypt):
		return outcomeDecryptionFailed
	}
	return telemetry.Outcome(err)
}

// reveal records n reveals that ended with err.
func (mm *managerMetrics) reveal(ctx context.Context, n int, err error) {
	if n <= 0 {
		n = 1
	}
	attrs := mm.revealedOK
	if err != nil {
		attrs = telemetry.Attrs(attribute.String("strongbox.outcome", revealOutcome(err)))
	}
	mm.reveals.Add(context.WithoutCancel(ctx), int64(n), attrs)
}
