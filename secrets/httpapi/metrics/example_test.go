package metrics_test

import (
	"context"
	"log"
	"net/http"

	"go.opentelemetry.io/otel"

	"github.com/strongbox-go/strongbox/secrets/httpapi/metrics"
)

// A service installs the Exporter as the global provider, so every
// strongbox package (and gocloud's drivers) records to it, and mounts it
// at /metrics next to the API.
func Example() {
	ex, err := metrics.New()
	if err != nil {
		log.Fatal(err)
	}
	defer ex.Shutdown(context.Background())
	otel.SetMeterProvider(ex.MeterProvider())

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", ex)
	// mux.Handle("/", api) where api is the httpapi.Handler.
	_ = mux
}
