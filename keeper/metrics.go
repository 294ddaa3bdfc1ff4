package keeper

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/telemetry"
)

// Metric names; see the package doc's # Metrics.
const (
	metricKEKCalls     = "strongbox.keeper.kek.calls"
	metricKEKDuration  = "strongbox.keeper.kek.duration"
	metricCacheLookups = "strongbox.keeper.data_key.cache.lookups"
)

// KEK call outcomes besides telemetry.Outcome's: the key refused to unwrap,
// or unwrapped a record that is not the header's data key.
const outcomeDecryptFailed = "decrypt_failed"

// Cache lookup results.
const (
	cacheResultHit   = "hit"
	cacheResultMiss  = "miss"
	cacheResultStale = "stale"
)

// envelopeMetrics are an Envelope's instruments. Their attributes are
// fixed sets: an operation, an outcome, a cache result; never a KEK id,
// URL, key or anything of a ciphertext.
type envelopeMetrics struct {
	kekCalls    metric.Int64Counter
	kekDuration metric.Float64Histogram
	lookups     metric.Int64Counter
	hit, miss   metric.MeasurementOption
	stale       metric.MeasurementOption
}

func newEnvelopeMetrics(mp metric.MeterProvider) *envelopeMetrics {
	m := telemetry.Meter(mp, "keeper")
	em := &envelopeMetrics{
		hit:   telemetry.Attrs(attribute.String("strongbox.cache.result", cacheResultHit)),
		miss:  telemetry.Attrs(attribute.String("strongbox.cache.result", cacheResultMiss)),
		stale: telemetry.Attrs(attribute.String("strongbox.cache.result", cacheResultStale)),
	}
	// Instrument errors are only for invalid names or options, fixed here;
	// a provider that fails anyway returns a working no-op instrument.
	em.kekCalls, _ = m.Int64Counter(metricKEKCalls, metric.WithUnit("{call}"),
		metric.WithDescription("Calls to key-encryption keys, by operation (wrap, unwrap) and outcome."))
	em.kekDuration, _ = m.Float64Histogram(metricKEKDuration, metric.WithUnit("s"),
		metric.WithDescription("Latency of calls to key-encryption keys, by operation and outcome."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	em.lookups, _ = m.Int64Counter(metricCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Data-key cache lookups on decrypt: hit, miss (the KEK is called), or stale (a key past its TTL served because the KEK was unavailable)."))
	return em
}

// kekCall records one call to a key-encryption key. err is the call's
// error as kekError classified it; mismatch means the KEK answered but
// with a record that is not the expected data key.
func (em *envelopeMetrics) kekCall(ctx context.Context, op string, start time.Time, err error) {
	outcome := telemetry.Outcome(err)
	if errors.Is(err, errAuthentication) {
		outcome = outcomeDecryptFailed
	}
	attrs := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("strongbox.kek.operation", op),
		attribute.String("strongbox.outcome", outcome),
	))
	// A canceled ctx must not drop the measurement.
	ctx = context.WithoutCancel(ctx)
	em.kekCalls.Add(ctx, 1, attrs)
	em.kekDuration.Record(ctx, time.Since(start).Seconds(), attrs)
}

func (em *envelopeMetrics) lookup(ctx context.Context, result metric.MeasurementOption) {
	em.lookups.Add(context.WithoutCancel(ctx), 1, result)
}
