package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/bearer"
	"github.com/strongbox-go/strongbox/internal/telemetry"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// Metric names; see # Metrics in the package doc.
const (
	metricRequestDuration = "http.server.request.duration"
	metricRateLimited     = "strongbox.http.server.rate_limited"
	metricAuthFailures    = "strongbox.http.server.authentication_failures"
)

// Attribute keys. The HTTP ones are OpenTelemetry's semantic conventions.
const (
	attrMethod     = attribute.Key("http.request.method")
	attrRoute      = attribute.Key("http.route")
	attrStatus     = attribute.Key("http.response.status_code")
	attrErrorType  = attribute.Key("error.type")
	attrLimit      = attribute.Key("strongbox.limit")
	attrCredential = attribute.Key("strongbox.auth.credential")
	attrReason     = attribute.Key("strongbox.auth.reason")
)

// Values of strongbox.limit.
const (
	limitPrincipal    = "principal"     // Options.RateLimit
	limitAuthFailures = "auth_failures" // Options.AuthFailures
)

// handlerMetrics are a Handler's instruments. Every attribute value comes
// from a fixed set: the route pattern (never the request path, whose
// namespace and name are caller input), a known method or "_OTHER", the
// status, the API error code, the limit, the kind of credential and a
// reason from a fixed list.
type handlerMetrics struct {
	duration     metric.Float64Histogram
	rateLimited  metric.Int64Counter
	authFailures metric.Int64Counter

	mu   sync.RWMutex
	sets map[requestKey]metric.MeasurementOption
}

type requestKey struct {
	route, method, code string
	status              int
}

// maxRequestSets bounds the cache of attribute sets; the route table
// makes far fewer.
const maxRequestSets = 4096

func newHandlerMetrics(mp metric.MeterProvider) *handlerMetrics {
	m := telemetry.Meter(mp, "secrets/httpapi")
	hm := &handlerMetrics{sets: make(map[requestKey]metric.MeasurementOption)}
	// Errors are only for invalid names or options, fixed here; the
	// instrument returned with one still works as a no-op.
	hm.duration, _ = m.Float64Histogram(metricRequestDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP requests to the strongbox API, by method, route pattern, status and error code."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	hm.rateLimited, _ = m.Int64Counter(metricRateLimited, metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered 429, by limit: principal (Options.RateLimit) or auth_failures (Options.AuthFailures)."))
	hm.authFailures, _ = m.Int64Counter(metricAuthFailures, metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered 401, by credential kind (none, run_token, api_token, bearer) and reason."))
	return hm
}

// request records one finished request.
func (hm *handlerMetrics) request(ctx context.Context, pattern, method string, status int, code string, d time.Duration) {
	k := requestKey{route: routeOf(pattern), method: methodOf(method), code: code, status: status}
	hm.mu.RLock()
	opt, ok := hm.sets[k]
	hm.mu.RUnlock()
	if !ok {
		kv := []attribute.KeyValue{attrMethod.String(k.method), attrStatus.Int(status)}
		if k.route != "" {
			kv = append(kv, attrRoute.String(k.route))
		}
		if code != "" {
			kv = append(kv, attrErrorType.String(code))
		}
		opt = telemetry.Attrs(kv...)
		hm.mu.Lock()
		if len(hm.sets) < maxRequestSets {
			hm.sets[k] = opt
		}
		hm.mu.Unlock()
	}
	hm.duration.Record(context.WithoutCancel(ctx), d.Seconds(), opt)
}

func (hm *handlerMetrics) limited(ctx context.Context, limit string) {
	hm.rateLimited.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attrLimit.String(limit)))
}

// authFailed records a 401 for err on request r.
func (hm *handlerMetrics) authFailed(r *http.Request, err error) {
	cred, reason := "bearer", "refused"
	tok, ok := bearer.Token(r)
	switch {
	case !ok || errors.Is(err, ErrNoCredentials):
		cred, reason = "none", "no_credentials"
		if ok {
			// A bearer token nobody recognised.
			cred, reason = "bearer", "unrecognised"
		}
	case strings.HasPrefix(tok, runtoken.Prefix) && errors.Is(err, runtoken.ErrInvalidToken):
		cred, reason = "run_token", runTokenReason(err)
	case strings.HasPrefix(tok, apitoken.Prefix):
		cred = "api_token"
		if errors.Is(err, apitoken.ErrExpired) {
			reason = "expired"
		}
	}
	hm.authFailures.Add(context.WithoutCancel(r.Context()), 1,
		metric.WithAttributes(attrCredential.String(cred), attrReason.String(reason)))
}

// runTokenReason names why a run token was refused (runtoken.Reason),
// "invalid" when runtoken gives no reason.
func runTokenReason(err error) string {
	if r := runtoken.Reason(err); r != "" {
		return r
	}
	return "invalid"
}

// routeOf is the path part of a ServeMux pattern ("GET /v1/x/{y}" gives
// "/v1/x/{y}"), "" for the catch-all "/" and for no pattern: requests that
// matched no route carry no route attribute.
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	if pattern == "/" {
		return ""
	}
	return pattern
}

// methodOf is the request method if it is a standard one, else "_OTHER"
// (the semantic conventions' rule: methods are caller input).
func methodOf(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodPatch, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}
