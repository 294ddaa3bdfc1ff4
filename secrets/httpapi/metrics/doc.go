// Package metrics serves strongbox's metrics in the Prometheus text
// format, for a /metrics endpoint.
//
// The library packages (keeper, secrets, secrets/httpapi) record
// OpenTelemetry metrics through the OpenTelemetry API alone, like gocloud:
// each takes a MeterProvider option and otherwise uses the global one.
// This package is the one place that links the OpenTelemetry SDK, its
// Prometheus exporter and github.com/prometheus/client_golang, so that a
// program which does not serve /metrics links none of them.
//
//	ex, err := metrics.New()
//	if err != nil { ... }
//	defer ex.Shutdown(context.Background())
//	otel.SetMeterProvider(ex.MeterProvider()) // or pass it in each Options.MeterProvider
//	mux.Handle("GET /metrics", ex)
//
// Setting the global provider also collects the metrics of gocloud's
// drivers (KEK services, blob and document stores), which use it.
//
// # Format
//
// OpenTelemetry names are translated the Prometheus way: dots become
// underscores, the unit becomes a suffix (_seconds), counters end in
// _total, and every series carries otel_scope_name (the instrumenting
// package). Beside strongbox's metrics (see # Metrics in packages keeper,
// secrets and secrets/httpapi) the registry holds the Go runtime (go_*)
// and process (process_*) collectors and target_info with the resource:
// service.name "strongbox" unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise. Exported as:
//
//	http_server_request_duration_seconds            {http_request_method, http_route, http_response_status_code, error_type}
//	strongbox_http_server_authentication_failures_total {strongbox_auth_credential, strongbox_auth_reason}
//	strongbox_http_server_rate_limited_total        {strongbox_limit}
//	strongbox_secrets_reveals_total                 {strongbox_outcome}
//	strongbox_keeper_kek_calls_total                {strongbox_kek_operation, strongbox_outcome}
//	strongbox_keeper_kek_duration_seconds           {strongbox_kek_operation, strongbox_outcome}
//	strongbox_keeper_data_key_cache_lookups_total   {strongbox_cache_result}
//
// # Security
//
// No label holds a value, token, key, secret name, namespace, principal or
// client address: the instrumented packages choose every attribute from a
// fixed set. The endpoint still tells how busy the service is and how
// often requests fail authentication; serve it where only operators reach
// it (a separate listener, or behind the proxy's access control) if that
// matters. The Exporter uses a registry of its own, never
// prometheus.DefaultRegisterer, so two Exporters in one process do not
// clash.
package metrics
