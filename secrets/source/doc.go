// Package source gives test runners their secrets by name, from the
// k6-compatible sources mock, file and url and from a secrets.Manager
// (store), and teaches a redactor every value it hands out.
//
// A runner builds a Resolver from the specs its users already pass to k6
// with --secret-source, and asks it for values:
//
//	red := redact.New(redact.Options{})
//	r, err := source.NewResolver(ctx, source.Options{
//		Specs:    flags.SecretSources, // e.g. "url=urlTemplate=https://vault/{key},default"
//		Redactor: red,
//		Types:    map[string]source.Constructor{"store": source.StoreConstructor(m)},
//	})
//	v, err := r.Get(ctx, "api-key")                // the default source
//	v, err = r.Source("staging").Get(ctx, "token") // a named one
//	log := slog.New(redact.NewHandler(h, red))     // v never shows in the logs
//
// Each source is wrapped in a Cache: a value is fetched once per source
// and kept; errors are not kept; concurrent first requests for one name make
// one fetch. A value is checked against the limits of secrets.ValidateValue
// and added to the redactor before any caller receives it. Whitespace-only
// values are returned but not added to the redactor (as in k6: replacing
// them would mangle every line).
//
// # Spec syntax
//
// A spec is <type>[=<config>], cut at the first "=". The config is split
// on ","; the token "default" and a "name=<n>" token are removed from it
// wherever they stand and mean: this source is the default; this source is
// called n. The name defaults to the type and follows secrets.ValidateName;
// "name=default" also makes the source the default. A single spec is the
// default. Source("default") is the default source.
//
//	mock=cool=something,else=source         key=value pairs, cut at the first "="
//	mock=name=second,else=source,default
//	file=file.secret                        or file=filename=file.secret
//	url=urlTemplate=https://api.example.com/secrets/{key},headers.Authorization=Bearer tok,responsePath=data.value
//	url=config=secrets-config.json,timeout=5s
//	url                                     configured from the environment only
//	store=namespace=team-a,identity=k6-runner
//
// When Options.Specs is empty, one spec is read from STRONGBOX_SECRET_SOURCE,
// or else from K6_SECRET_SOURCE. Explicit specs replace it; they are not
// merged.
//
// file: the file is read once, when the resolver is built. Each line is
// key=value, cut at the first "="; keys and values are not trimmed, but a
// trailing "\r" is dropped. Blank lines and lines starting with "#" (after
// blanks) are skipped.
//
// url: one HTTP request per secret. Options (inline name, JSON config file
// field, environment variable suffix, default):
//
//	urlTemplate             URL_TEMPLATE               required; absolute http(s), contains {key}
//	method                  METHOD                     GET
//	headers.<Name>          HEADER_<NAME>              none ("headers": {...} in the JSON file)
//	responsePath            RESPONSE_PATH              the whole body
//	timeout                 TIMEOUT                    30s, per attempt
//	requestsPerMinuteLimit  REQUESTS_PER_MINUTE_LIMIT  300
//	requestsBurst           REQUESTS_BURST             10
//	maxRetries              MAX_RETRIES                3
//	retryBackoff            RETRY_BACKOFF              1s
//	config=<file.json>      -                          -
//
// Environment variables are STRONGBOX_SECRET_SOURCE_URL_<SUFFIX> and k6's
// K6_SECRET_SOURCE_URL_<SUFFIX>; the STRONGBOX_ one wins where both are set.
// In HEADER_<NAME>, "_" stands for "-": HEADER_X_API_KEY sets X-Api-Key.
// Precedence, lowest first: defaults, K6_ environment, STRONGBOX_
// environment, config file, inline options. In the JSON file durations are
// strings ("10s") and counts are numbers.
//
// Only status 200 is success. The body is capped at MaxBodyBytes (24 KiB);
// a longer body is an error. responsePath is a dot path into a JSON body
// (a numeric segment indexes an array) that must end at a string. Network
// errors, timeouts, 5xx and 429 are retried up to maxRetries times, waiting
// retryBackoff, doubled at each retry (at most MaxRetryDelay), plus a
// random jitter of up to half that; every attempt also waits for the rate
// limiter. 404 is secrets.ErrNotFound, 401 and 403 secrets.ErrPermissionDenied.
// URLConfig, ParseURLConfig, URLSource and Limiter are exported for
// clients that build on them: NewURLSource(cfg, URLOptions{BeforeRequest:
// ...}) wrapped in NewCache has the url source's rate limit, retries and
// cache.
//
// store: reveals secrets with Manager.RevealValue as the service principal
// identity (role rbac.RoleDecrypter) in namespace, whatever principal the
// caller's context carries; a secret must list identity in its decrypters.
// The Manager is bound in code: Options.Types["store"] = StoreConstructor(m).
// Without it a store spec fails with an error that says so.
//
// # Differences from k6
//
//   - {key} is escaped in url templates: path-escaped before any "?",
//     query-escaped after it. k6 inserts it as is, so "a/b" or "a?b" change
//     the request. Names "." and ".." are refused by the url source.
//   - A retryBackoff under 1s counts: k6 waits only the jitter then.
//   - file: blank lines and # comments are allowed; a duplicate key is an
//     error (k6 keeps the last); a trailing "\r" is dropped.
//   - mock: a key given twice is an error.
//   - Values must be 1 to 24,576 bytes of UTF-8 (secrets.ValidateValue):
//     an empty value is an error, not an empty secret.
//   - Errors name the spec, option, variable or line, never the value, the
//     line's content or the URL (k6 prints the offending item).
//   - maxRetries=0 means no retries; the URLConfig zero value means the
//     default (negative fields mean none or no limit, see URLConfig).
//   - Environment variables STRONGBOX_SECRET_SOURCE and
//     STRONGBOX_SECRET_SOURCE_URL_* are read besides k6's names, and win.
//   - Source names follow secrets.ValidateName (letters, digits, '-', '_').
//   - The store type is strongbox's own.
//
// # Errors
//
// Parse and configuration errors match secrets.ErrInvalid; they name the
// spec by position ("spec 2", or "spec from K6_SECRET_SOURCE"), its type
// and name, then the config item by position and option name, the
// environment variable, the JSON field, or the file line number. Item
// positions count the config items left after name= and default are
// removed. A file that cannot be read keeps its cause (errors.Is(err,
// fs.ErrNotExist)).
//
// Get errors name the source and the secret. A missing secret matches
// secrets.ErrNotFound, a refused one secrets.ErrPermissionDenied, a url
// source that kept failing secrets.ErrUnavailable; a source name that is not
// configured (or no default) matches ErrNoSource and secrets.ErrNotFound.
// Context errors are returned unchanged. After Close, Get fails with
// secrets.ErrFailedPrecondition.
//
// # Security
//
// Values travel as secrets.Value, which prints [REDACTED]; Spec prints
// without its config and URLConfig keeps header values as secrets.Value.
// No error contains a value, a response body, a config line's content, a
// header value or a URL (a template may carry credentials; url.Error is
// unwrapped; transport errors that quote the server are not shown). The
// url source's default client follows redirects only within the origin of
// the URL, so its headers never reach another host. Only names that look
// like identifiers are printed in errors; others are described. Every
// fetched value is added to the redactor before it is returned, so a log
// line written after Get cannot show it.
//
// Pass Options.Env in tests (EnvMap) rather than mutate the process
// environment; nil means os.Environ.
package source
