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
// Each source is wrapped in a cache (NewCache): a value is fetched once per
// source and kept; errors are not kept; concurrent first requests for one
// name make one fetch. A value is checked against the limits of secrets.ValidateValue
// and added to the redactor before any caller receives it. Whitespace-only
// values are returned but not added to the redactor (as in k6: replacing
// them would mangle every line).
//
// # Spec syntax
//
// A spec is <type>[=<config>], cut at the first "=". The config is split
// on ","; the token "default" and a "name=<n>" token are removed from it
// wherever they stand and mean: this source is the default; this source is
// called n. The name defaults to the type and follows the name rules;
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
// Files named by specs (a file source's file, a url source's config file)
// are opened with Options.Open (os.Open by default, which follows symbolic
// links: Kubernetes secret volumes are links) and bounded before they are
// read: a regular file whose size is over the limit (24,576,000 bytes: 1,000
// values at the value limit) is refused from its Stat, without reading it,
// and any file is read through a limit of one byte more, so one that grows after Stat, a FIFO or a device is
// refused too. When the mode of the file (of a link's target) gives its
// group or others any access, the file is used and a warning is logged
// through Options.Logger (slog.Default() when nil) with the file's name
// and mode, never its content. In Kubernetes, set defaultMode: 0400 (or
// 0440 with fsGroup) on the secret volume. Options.ReadFile, when set,
// replaces all of this: the caller's function reads the file.
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
// strings ("10s") and counts are numbers (a string or a number is accepted
// for every scalar). The JSON file is decoded strictly (internal
// strictjson): a duplicate member, a member whose name differs from the
// schema only in case, two header names differing only in case (HTTP header
// names are case-insensitive), an unknown member, an invalid escape or a
// lone surrogate ("\ud800"), invalid UTF-8, data after the object or
// nesting over 64 levels is an error giving a byte offset, never the
// file's text.
//
// Only status 200 is success. The body is capped at 24 KiB (the value limit);
// a longer body is an error. responsePath is a dot path into a JSON body
// (a numeric segment indexes an array) that must end at a string. A
// response is a third party's document, so it is read as k6 reads it
// (gjson), not as strictly as the config file: a segment matches a member
// by its exact name, the first of duplicate members wins, and members off
// the path are not checked. The body must still be one JSON document of
// valid UTF-8, and the string selected must not hold a lone surrogate
// escape: both would give a value the server never sent (U+FFFD). Network
// errors, timeouts, 5xx and 429 are retried up to maxRetries times, waiting
// as k6 does retryBackoff (in seconds) to the power of the retry's number,
// at most one minute, plus a random jitter of up to one second (a
// retryBackoff under one second is waited as it is, with a jitter of up to
// itself), or the answer's Retry-After (429 and 503, at most one minute)
// when that is longer; every attempt also waits for the rate limiter. 404 is secrets.ErrNotFound, 401 and 403 secrets.ErrPermissionDenied.
// The rate limit is a golang.org/x/time/rate limiter of
// requestsPerMinuteLimit/60 tokens a second and a burst of requestsBurst;
// a wait that would outlast the context's deadline fails at once with
// context.DeadlineExceeded. Clients that build on the url source call
// NewURLSource(cfg, URLOptions{BeforeRequest: ...}) and wrap it in NewCache
// for the url source's rate limit, retries and cache; URLOptions.Limiter
// shares one rate among several sources.
//
// store: reveals secrets with Manager.RevealValue as the service principal
// identity (role rbac.RoleDecrypter) in namespace, whatever principal the
// caller's context carries; a secret must list identity in its decrypters.
// The Manager is bound in code: Options.Types["store"] = StoreConstructor(m).
// Without it a store spec fails with an error that says so.
//
// # Pinned versions
//
// A name may pin a version of a strongbox secret's value: "api-key@3" is
// version 3 of api-key, given only while the secret keeps it (the current
// value, or an earlier one within its keepVersions, not revoked or
// destroyed); otherwise the Get fails with secrets.ErrNotFound naming the
// version. Strongbox names cannot hold '@', so the form is unambiguous;
// the name@N syntax reads it (VERSION is a decimal of 1 or more, without
// sign or leading zeros; anything else is secrets.ErrInvalid).
//
//	const key = await secrets.get('api-key@3')   // in a k6 script
//	v, err := r.Get(ctx, "api-key@3")            // through a Resolver
//
// store: the reference goes to Manager.RevealValue as it is. url: it goes
// into {key} like any name: path-escaped, which leaves '@' as it is (as k6,
// which inserts keys unescaped, sends it), or query-escaped after a "?"
// ("%40"); strongbox's decrypt route reads both. Each reference is its own
// cache entry, and each value fetched is taught to the redactor, so a
// pinned earlier value is redacted like the current one. The source does
// not parse references itself: to a url source of another server
// "name@3" is an ordinary key.
//
// # Differences from k6
//
// Found by running k6 v2.2.0 against the same specs. Every row is backed by
// a subtest of TestK6Parity, or by the test named. "Refused" means
// NewResolver fails with secrets.ErrInvalid, before a test starts.
//
//	spec or input               k6                        strongbox                why
//	mock, mock=                 refused                   refused (as k6)          an empty source is a mistake
//	K6_SECRET_SOURCE=""         refused                   refused (as k6)          a blank variable is a mistake
//	file line "k=v\r"           "\r" dropped              "\r" dropped (as k6)     files written on Windows
//	retryBackoff >= 1s          base^n s + <= 1s jitter   the same (as k6)         the schedule k6 users tuned:
//	                            (1s: 1 s each time)                                1s waits 1, 1, 1 s; 2s 2, 4, 8 s
//	retryBackoff < 1s           only the jitter           the base each time,      a configured wait counts
//	                                                      jitter up to the base
//	Retry-After on 429 or 503   ignored                   waited, at most 1 min    retrying sooner earns another 429
//	name=p,name=q               the last wins             refused                  two names is a typo
//	file=a,b                    reads b                   refused                  ambiguous; file=filename=a,b reads "a,b"
//	maxRetries=2x               reads 2                   refused                  a typo is not read as a number
//	urlTemplate=ftp://...       fails at each get         refused                  fail before the test starts
//	headers.X Y=1               fails at each get         refused                  fail before the test starts
//	mock=a=1,a=2                the last wins             refused                  a typo (TestParseMock)
//	file: a key twice           the last wins             refused                  a typo (TestParseFile)
//	file: blank, # lines        not allowed               skipped                  comments (TestParseFile)
//	{key} holding / or ?        inserted as is            escaped                  another request (TestURLSourceEscaping)
//	name "." or ".."            requested                 refused                  another path once cleaned
//	an empty value              an empty secret           refused                  secrets.ValidateValue
//
// And by design:
//
//   - Values must be 1 to 24,576 bytes of UTF-8 (secrets.ValidateValue).
//   - Errors name the spec, option, variable or line, never the value, the
//     line's content or the URL (k6 prints the offending item).
//   - maxRetries=0 means no retries; the URLConfig zero value means the
//     default (negative fields mean none or no limit, see URLConfig).
//   - Environment variables STRONGBOX_SECRET_SOURCE and
//     STRONGBOX_SECRET_SOURCE_URL_* are read besides k6's names, and win.
//   - Source names follow the name rules (letters, digits, '-', '_').
//   - The store type is strongbox's own.
//   - responsePath segments are literal member names or array indexes:
//     gjson's wildcards, queries (#), modifiers (@) and escapes are not
//     interpreted. A body that is not one valid JSON document of UTF-8 is
//     an error (gjson picks what it can from broken JSON), and so is a
//     selected string with a lone surrogate escape (gjson gives U+FFFD).
//   - The config file is strict (k6 uses encoding/json: member names in
//     any case, the last duplicate wins, unknown members are ignored).
//   - Redirects are followed only within the origin, whatever the client
//     (k6 follows net/http's rules, which send custom headers anywhere).
//   - Files over the limit are refused before they are read, and files
//     open to group or others are reported with a warning.
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
// Values travel as secrets.Value, which prints [REDACTED]. Every type of
// this package that holds a value, a header value, a spec's config or a
// url template (which may carry credentials in its user information, path
// or query) prints a description instead, the same under every fmt verb
// (%v, %+v, %#v, %s, %q, %x...), encoding/json, MarshalText and slog:
// Params (type and name), URLConfig and the url source (the template's
// scheme and host, the method, header names, the other settings), mock,
// file and map sources (kind and count), caches (count), Resolver (source
// names and default) and Options (the number of specs). fmt's %+v and %#v
// would otherwise print unexported fields without calling their methods.
// URLConfig.URLTemplate is still a plain string: keep it out of logs.
//
// No error contains a value, a response body, a config line's content, a
// header value, a config file member's name or a URL (a template may carry
// credentials; url.Error is unwrapped; transport errors that quote the
// server are not shown). Only names that look like identifiers are printed
// in errors; others are described.
//
// Redirects: no url source request, which carries the configured headers
// and whatever BeforeRequest adds, follows a redirect to another origin
// (scheme, host and port; a default port counts as given), whichever
// http.Client the caller passes: the source sends through a copy of the
// caller's client whose CheckRedirect refuses another origin (the Get
// fails with secrets.ErrFailedPrecondition, not retried) and leaves
// same-origin hops to the caller's own CheckRedirect (or at most 10).
//
// Files named by specs are bounded before they are read and their modes
// checked (see file above); a file open to group or others is used with a
// warning, not refused, so that existing deployments keep working.
//
// Every fetched value is added to the redactor before it is returned, so a
// log line written after Get cannot show it.
//
// Pass Options.Env (a func returning "KEY=value" strings) rather than
// mutate the process environment; nil means os.Environ.
package source
