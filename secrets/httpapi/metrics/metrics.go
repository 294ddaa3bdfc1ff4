package metrics

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Exporter is an OpenTelemetry MeterProvider whose metrics it serves over
// HTTP in the Prometheus text format. It is safe for concurrent use.
type Exporter struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
}

// New returns an Exporter with a Prometheus registry of its own holding
// the OpenTelemetry metrics, the Go runtime collector and the process
// collector.
func New() (*Exporter, error) {
	const op = "metrics.New"
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	res, err := resource.New(context.Background(),
		resource.WithAttributes(attribute.String("service.name", "strongbox")),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
	)
	if err != nil {
		// A malformed OTEL_RESOURCE_ATTRIBUTES gives a partial resource
		// and an error; the metrics matter more than its attributes.
		res = resource.NewSchemaless(attribute.String("service.name", "strongbox"))
	}
	return &Exporter{
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res)),
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}, nil
}

// MeterProvider returns the provider whose metrics e serves: give it to
// otel.SetMeterProvider, or to the MeterProvider of keeper.EnvelopeOptions,
// secrets.Options and httpapi.Options.
func (e *Exporter) MeterProvider() metric.MeterProvider { return e.provider }

// ServeHTTP answers with every metric in the Prometheus text format (or
// another format the request's Accept header asks for and
// client_golang's promhttp speaks).
func (e *Exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.handler.ServeHTTP(w, r)
}

// Shutdown stops the provider; later measurements are dropped.
func (e *Exporter) Shutdown(ctx context.Context) error {
	return e.provider.Shutdown(ctx)
}
