package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/source"
)

// envRunToken is the environment variable RemoteConstructor reads the run
// token from.
const envRunToken = "STRONGBOX_RUN_TOKEN"

// envK6SecretSource is the environment variable k6 reads a secret source
// spec from, the environment form of its --secret-source flag.
const envK6SecretSource = "K6_SECRET_SOURCE"

// K6SpecEnv returns k6Spec as an environment assignment,
// "K6_SECRET_SOURCE=<spec>", for exec.Cmd.Env, an env file of mode 0600 or
// a shell line such as
//
//	K6_SECRET_SOURCE='url=urlTemplate=…' k6 run script.js
//
// Prefer it to passing k6Spec as --secret-source: a process's arguments
// are shown by ps to every user of the host, its environment only to its
// owner and root. The assignment holds the token: keep it out of logs and
// shell history.
func K6SpecEnv(baseURL, namespace, token string) string {
	return envK6SecretSource + "=" + k6Spec(baseURL, namespace, token)
}

// k6Spec returns the k6 secret source spec that reads namespace's secrets
// from a strongbox server at baseURL (e.g. "https://secrets.example.com")
// with a run token: a url source with responsePath=value. The spec holds
// the token: pass it to k6 in its environment (K6SpecEnv) rather than as
// --secret-source on a command line, where ps shows it to every user of
// the host, and keep it out of logs.
func k6Spec(baseURL, namespace, token string) string {
	return "url=urlTemplate=" + strings.TrimRight(baseURL, "/") + decryptPath(namespace, "{key}") +
		",headers.Authorization=Bearer " + token + ",responsePath=value"
}

// RemoteConfig configures a remoteSource. BaseURL, Namespace and a token
// are required; every other zero value is the url source's (k6's) default.
type RemoteConfig struct {
	// BaseURL is the server's absolute http or https URL, without query;
	// the API's /v1/... routes are appended to its path.
	BaseURL string
	// Namespace holds the secrets.
	Namespace string
	// Token is the run token (see package runtoken).
	Token secrets.Value
	// TokenFunc, if set, is called before every attempt and replaces
	// Token, e.g. to hand out a refreshed token.
	TokenFunc func(ctx context.Context) (secrets.Value, error)

	Timeout                time.Duration // per attempt; 0: 30s
	RequestsPerMinuteLimit int           // 0: 300; negative: no limit
	RequestsBurst          int           // 0: 10
	MaxRetries             int           // network errors, 5xx and 429; 0: 3; negative: never
	RetryBackoff           time.Duration // 0: 1s; k6's schedule, see source.URLConfig
}

// remoteSource is the source.Source of Go runners over a strongbox server's
// decrypt route: one GET per secret with the run token, retried, and
// rate-limited by the very source.NewURLSource a k6 url spec builds. Like it,
// remoteSource does not cache: wrap it in source.NewCache (with a redactor)
// or register RemoteConstructor with a source.Resolver, which does. It is
// safe for concurrent use.
type remoteSource struct {
	url source.Source
}

// String returns "httpapi.RemoteSource". A remoteSource prints only that
// under every fmt verb, JSON, text and slog: its url source holds the run
// token.
func (remoteSource) String() string { return "httpapi.RemoteSource" }

// GoString is String, for %#v.
func (s remoteSource) GoString() string { return s.String() }

// Format prints String under every verb.
func (s remoteSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs String.
func (s remoteSource) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText returns String.
func (s remoteSource) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON returns String as a JSON string.
func (s remoteSource) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// NewRemoteSource checks cfg and returns a source. opts are passed to the
// url source (HTTP client, jitter, shared limiter); a BeforeRequest in
// opts runs after the token is set. A caller's opts.HTTPClient is used
// through a copy that follows redirects only within BaseURL's origin. Errors match secrets.ErrInvalid and
// never contain the token.
func NewRemoteSource(cfg RemoteConfig, opts source.URLOptions) (source.Source, error) {
	const op = "httpapi.NewRemoteSource"
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errcode.New(errcode.Invalid, op, "BaseURL must be an absolute http or https URL")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, errcode.New(errcode.Invalid, op, "BaseURL may not have a query, fragment or user info")
	}
	if err := names.Namespace("", cfg.Namespace); err != nil {
		return nil, errcode.Wrap(errcode.Invalid, op, err)
	}
	if cfg.Token.Len() == 0 && cfg.TokenFunc == nil {
		return nil, errcode.New(errcode.Invalid, op, "a run token is required (Token or TokenFunc)")
	}
	uc := source.URLConfig{
		// The raw format has no JSON overhead, so values of the full 24 KiB
		// fit in the url source's 24 KiB response cap.
		URLTemplate:            strings.TrimRight(cfg.BaseURL, "/") + decryptPath(cfg.Namespace, "{key}") + "?format=raw",
		Timeout:                cfg.Timeout,
		RequestsPerMinuteLimit: cfg.RequestsPerMinuteLimit,
		RequestsBurst:          cfg.RequestsBurst,
		MaxRetries:             cfg.MaxRetries,
		RetryBackoff:           cfg.RetryBackoff,
	}
	if cfg.TokenFunc == nil {
		uc.Headers = map[string]secrets.Value{"Authorization": secrets.NewValue("Bearer " + cfg.Token.DangerouslyExpose())}
	} else {
		next := opts.BeforeRequest
		tokenFunc := cfg.TokenFunc
		opts.BeforeRequest = func(r *http.Request) error {
			tok, err := tokenFunc(r.Context())
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+tok.DangerouslyExpose())
			if next != nil {
				return next(r)
			}
			return nil
		}
	}
	if opts.HTTPClient != nil {
		// The url source follows redirects within the origin with its
		// own client; keep the caller's to the same rule, since every
		// request carries the run token.
		opts.HTTPClient = sameOriginClient(opts.HTTPClient)
	}
	s, err := source.NewURLSource(uc, opts)
	if err != nil {
		return nil, errcode.Wrap(errcode.Invalid, op, err)
	}
	return &remoteSource{url: s}, nil
}

// Get fetches one value; name may pin a kept version, "api-key@3"
// (the name@N syntax). It fails with secrets.ErrInvalid for a name or
// reference outside the limits (without a request), secrets.ErrNotFound
// for a secret that does not exist or a version no longer kept,
// secrets.ErrPermissionDenied when the token is refused or does not cover
// the name, secrets.ErrUnavailable after the retries; see
// source.NewURLSource.
func (s *remoteSource) Get(ctx context.Context, name string) (secrets.Value, error) {
	if _, _, err := names.ParseRef(name); err != nil {
		return secrets.Value{}, err
	}
	return s.url.Get(ctx, name)
}

// RemoteConstructor returns a source.Constructor for a source.Resolver, so
// a runner can name a strongbox server in a spec:
//
//	opts.Types["strongbox"] = httpapi.RemoteConstructor()
//	strongbox=baseURL=https://secrets.example.com,namespace=team-a
//
// The run token comes from the environment variable STRONGBOX_RUN_TOKEN,
// never the spec (specs end up in shell history). Other options: timeout,
// maxRetries, retryBackoff, requestsPerMinuteLimit, requestsBurst, as for
// url. Values are cached and redacted by the resolver.
func RemoteConstructor() source.Constructor {
	return func(_ context.Context, p source.Params) (source.Source, error) {
		const op = "httpapi.RemoteConstructor"
		bad := func(msg string) error { return errcode.New(errcode.Invalid, op, msg) }
		var cfg RemoteConfig
		for _, item := range strings.Split(p.Config, ",") {
			if item == "" {
				continue
			}
			k, v, ok := strings.Cut(item, "=")
			if !ok {
				return nil, bad("an option has no =; options are key=value") // never echo it: it could be a token
			}
			var err error
			switch k {
			case "baseURL":
				cfg.BaseURL = v
			case "namespace":
				cfg.Namespace = v
			case "timeout":
				cfg.Timeout, err = time.ParseDuration(v)
			case "retryBackoff":
				cfg.RetryBackoff, err = time.ParseDuration(v)
			case "maxRetries":
				cfg.MaxRetries, err = strconv.Atoi(v)
			case "requestsPerMinuteLimit":
				cfg.RequestsPerMinuteLimit, err = strconv.Atoi(v)
			case "requestsBurst":
				cfg.RequestsBurst, err = strconv.Atoi(v)
			default:
				return nil, bad("unknown option " + quoteKey(k))
			}
			if err != nil {
				return nil, bad("option " + k + " is malformed")
			}
		}
		for _, kv := range p.Env() {
			if v, ok := strings.CutPrefix(kv, envRunToken+"="); ok {
				cfg.Token = secrets.NewValue(v)
			}
		}
		if cfg.Token.Len() == 0 {
			return nil, bad(envRunToken + " is not set")
		}
		return NewRemoteSource(cfg, source.URLOptions{HTTPClient: p.HTTPClient})
	}
}

// quoteKey quotes an option name for an error, cut short: it is input, but
// a name, not a value.
func quoteKey(k string) string {
	if len(k) > 32 {
		k = k[:32] + "..."
	}
	return `"` + k + `"`
}
