// Package httpapi serves a secrets.Manager over HTTP with one http.Handler,
// and reads it back from Go runners with a remote source.
//
// Management routes take and return JSON; a secret's value is write-only:
// it goes in on create and reset and never comes out, except through the
// decrypt route, which speaks the protocol of k6's url secret source, so a
// k6 user points a secret source at it unchanged, in k6's environment
// rather than on its command line (where ps shows the token to every user
// of the host):
//
//	K6_SECRET_SOURCE='url=urlTemplate=https://host/v1/namespaces/team-a/secrets/{key}/decrypt,headers.Authorization=Bearer sbrt1.…,responsePath=value' k6 run script.js
//
// (K6SpecEnv builds that assignment; the spec alone, for
// --secret-source, is what follows the "=".) A service mounts the handler next to its
// Manager and issues run tokens (package runtoken) to the runs it starts:
//
//	iss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})
//	h, _ := httpapi.New(httpapi.Options{Manager: m, Authenticator: users,
//		RunTokens: iss.Verifier(), Auditor: httpapi.LogAuditor(logger)})
//	srv := httpapi.NewServer("127.0.0.1:8080", h)
//
// # Routes
//
// {namespace} and {name} follow the secrets limits (letters, digits, '-'
// and '_'). ETag is the secret's revision as a strong tag ("3"); If-Match
// takes it back ("*" or no header: whatever is current, still guarded
// against concurrent writes).
//
//	method path                                              body               success
//	POST   /v1/namespaces/{namespace}/secrets                 create object      201 secret, ETag, Location
//	GET    /v1/namespaces/{namespace}/secrets                 -                  200 {"secrets":[...],"nextPageToken":"..."}
//	         ?selector=env%3Dprod,team%3Dx  &pageSize=0..  (0: 100; above 1000: 1000)  &pageToken=...
//	GET    /v1/namespaces/{namespace}/secrets/{name}          -                  200 secret, ETag (304 on If-None-Match)
//	PUT    /v1/namespaces/{namespace}/secrets/{name}          update object      200 secret, ETag; needs If-Match or "revision"
//	DELETE /v1/namespaces/{namespace}/secrets/{name}          -                  204; If-Match optional
//	POST   /v1/namespaces/{namespace}/secrets/{name}/reset    {"value":"..."}    200 secret, ETag; If-Match optional
//	POST   /v1/namespaces/{namespace}/secrets/{name}/revoke   none or {}         200 secret, ETag; If-Match optional
//	GET    /v1/namespaces/{namespace}/secrets/{name}/decrypt  -                  200 {"value":"..."}; ?format=raw: the value as text/plain
//	GET    /v1/namespaces/{namespace}/secrets/{name}@{N}/decrypt  -              200 as above, version N's value while it is kept
//	GET    /v1/namespaces/{namespace}/secrets/{name}/versions -                  200 {"versions":[...]}, newest first, never a value
//	POST   /v1/namespaces/{namespace}/secrets/{name}/rollback {"version":N}      200 secret, ETag; "revision" or If-Match optional
//	POST   /v1/namespaces/{namespace}/secrets/{name}/destroy  {"version":N}      200 secret, ETag; "revision" or If-Match optional
//	POST   /v1/namespaces/{namespace}/apitokens               API token object   201 API token with "token" (shown once), Location
//	GET    /v1/namespaces/{namespace}/apitokens               -                  200 {"apiTokens":[...]} (never a token)
//	DELETE /v1/namespaces/{namespace}/apitokens/{id}          -                  204
//	POST   /v1/namespaces/{namespace}/runtokens               run token object   201 {"id","namespace","subject","names","allNames","issueTime","expireTime","token"}
//	DELETE /v1/namespaces/{namespace}/runtokens/{id}          -                  204
//	GET    /.well-known/jwks.json                             -                  200 JWK Set of the run-token Ed25519 keys (no credentials)
//	GET    /openapi.json                                      -                  200 the OpenAPI 3.1 description; no credentials
//
// The API-token routes exist with Options.APITokens and need
// rbac.ActionManageAPITokens (Admin); the object is {"subject", "roles":
// [role], "ttl", "description"}, and an API token is {"id", "namespace",
// "subject", "roles", "description", "createdBy", "createTime",
// "expireTime"}. The run-token routes exist with Options.RunTokenIssuer
// and need rbac.ActionIssueRunToken (Admin, Editor, rbac.RoleTestAuthor)
// in the namespace, to issue and to revoke; the object is {"names":
// [name], "allNames": bool, "subject" (default Options.RunSubject), "ttl"}.
// A "ttl" is a Go duration ("90m", "720h"), bounded by the issuer's
// maximum; absent means the default. Both kinds of token are in the create
// response only, never stored in clear, never logged or audited (their
// ids are). The key set exists whenever run tokens are verified; it holds
// Ed25519 public keys only, HMAC keys are never published.
//
// The OpenAPI description (openapi.json in this package, embedded and
// served at /openapi.json) documents every route with its parameters,
// bodies, error responses, error codes and bearer schemes (run tokens, API
// tokens, OIDC JWTs). Every route is registered from one table in the
// handler, and a test holds the description to that table both ways: a
// route added to one and not the other fails it.
//
// The create object is {"name", "description", "labels": {k: v},
// "decrypters": [ids], "value", "keepVersions"}; decrypters absent or null
// means the Manager's DefaultDecrypters, [] means nobody; keepVersions
// absent or null means secrets.Options.KeepVersions. The update object is
// {"description", "labels", "decrypters", "keepVersions", "revision"}: PUT
// replaces the first three fields (an absent one is cleared), so read,
// change and send back with the ETag; an absent keepVersions stays as it
// is (so that a client older than value history drops no kept value), and
// a smaller one drops the kept values that fall out (which also takes the
// delete permission). A secret is the JSON of secrets.Secret: namespace,
// name, description, labels, decrypters, version, revoked, revision,
// createTime, updateTime, createdBy, updatedBy, keepVersions, and never a
// value.
//
// Value history (secrets.Manager.Versions, Rollback, Destroy): versions
// lists secrets.Version objects {"version", "createTime", "createdBy",
// "current", "revoked", "destroyed"} and needs the read permission;
// rollback makes version N's kept value current again as a new version
// (update permission, as reset); destroy removes one kept value that is
// not the current one (delete permission; the current one is 409
// failed_precondition: revoke it). Their body is {"version": N,
// "revision": R}, strict like every body; a version that never existed or
// is no longer kept is 404, and the message names it. Bodies are strict
// (internal/strictjson): one JSON object, valid UTF-8, valid escapes (no
// lone surrogate such as "\ud800"), no member twice, no member that differs
// from the schema or from another member only in case ("DECRYPTERS"), no
// unknown member, nesting at most 64 deep, nothing after the object, at
// most Options.MaxBodyBytes (64 KiB by default: a 24 KiB value even fully
// escaped, plus metadata). A body that breaks a rule is 400 before the
// Manager is called, so nothing changes. A Content-Type, if sent, must be
// application/json.
//
// The decrypt route is the k6 url protocol: GET with "Authorization: Bearer
// <token>", 200 with a JSON body whose "value" member (responsePath=value)
// is the value; 404 for a name that does not exist, 401 or 403 for a
// credential that does not allow it. Every other status is an error too.
// {name} may pin a version, NAME@N (the name@N syntax: N a decimal of 1 or
// more without sign or leading zeros; '@' as is or as %40): k6's url
// source puts its key into {key} unescaped, so a script's
// secrets.get('api-key@3') asks for version 3. That value is given only
// while the secret keeps it, otherwise 404 naming the version; a malformed
// reference is 400 for a caller that may decrypt (a user gets the 403 of
// any decrypt, as from the Manager). Authorization is that of the secret: a run token that
// covers api-key covers its kept versions, and the request event records
// Name "api-key" with Version 3.
//
// # Format
//
// Credentials travel as "Authorization: Bearer <token>". A bearer token
// starting with "sbrt1." is a run token (package runtoken):
//
//	sbrt1.<kid>.<base64url(JSON claims)>.<base64url(signature)>
//
// with claims {"jti", "ns", "sub", "names" (absent: all), "iat", "exp"}
// and an HMAC-SHA256 or Ed25519 signature over "sbrt1.<kid>.<payload>" by
// the key kid names; see runtoken's # Format for the exact rules. A bearer
// token starting with "sbx_" is an API token (package apitoken) when
// Options.APITokens is set. Any other bearer token goes to
// Options.Authenticator. Run tokens hold no ',', '='
// or space, so they fit in a k6 spec as they are.
//
// The decrypt route answers {"value":"..."} (responsePath=value), or with
// ?format=raw the value itself as text/plain, which leaves room for a value
// of the full 24 KiB under the 24 KiB response cap of k6 and of the url
// source (NewRemoteSource's source uses it). With the JSON form, values close to the
// limit may not fit that cap once escaped.
//
// # Errors
//
// Every error is a JSON body {"error": {"code", "message", "status"}} (type
// Error). The code is stable; the message is for people and names fields,
// limits and secrets, never a value or a credential.
//
// The message is chosen from the code and from safe context only: the
// secret name of the request (when it is a valid name), the route, the
// secrets package's own validation messages (a field and its limit), the
// strict JSON reader's (a byte offset, a reason, at most a member name of
// the schema), and the reason a run token was refused (expired, revoked,
// unknown key...), taken from the runtoken error it matches. It is never
// the text of a store, key service or identity provider error, which can
// name documents, tables and hosts: that text goes to Options.Logger only
// (5xx at Error level; not found, already exists, conflict and failed
// precondition at Debug level; invalid and permission-denied errors, whose
// text can quote the rejected input, not at all). So two errors of one code
// for one request look the same whatever the backend said, and once the
// Manager answers "missing" and "not allowed" with one code, status, body
// and headers are identical too (no ETag is sent on an error).
//
//	status code                    when
//	400    invalid                 bad JSON, field outside the limits, bad selector, page size, page token, If-Match
//	401    unauthenticated         no, unknown, malformed, tampered, expired or revoked credentials (WWW-Authenticate: Bearer)
//	403    permission_denied       the principal lacks the role, is in another namespace, is not a decrypter of the secret,
//	                               or uses a run token outside its namespace, names or the decrypt route
//	404    not_found               no such secret, no such kept version (name@N, rollback, destroy), or no such route
//	405    method_not_allowed      the route exists with other methods (Allow lists them)
//	409    already_exists          create with a name in use
//	409    conflict                If-Match or "revision" is stale: another write came first
//	409    revoked                 decrypt of a revoked value (reset gives it a new one)
//	409    failed_precondition     the Manager is closed
//	413    too_large               body over Options.MaxBodyBytes
//	415    unsupported_media_type  Content-Type other than JSON
//	429    rate_limited            over Options.RateLimit for this principal, or too many failed authentications
//	                               from this client address (Options.AuthFailures); Retry-After says when to retry
//	500    internal                anything unexpected, e.g. a value that does not decrypt (tampered or under the
//	                               wrong key); details go to Logger only
//	503    unavailable             storage, key service, identity provider or revocation set unreachable, or
//	                               Options.RequestTimeout passed (Retry-After)
//	503    unknown_key             the value is under a key-encryption key this instance does not hold
//	                               (keeper.ErrUnknownKEK: in a fleet, a key not yet given to this instance;
//	                               the Logger line names the KEK id) (Retry-After)
//
// Clients can map an *Error back to the secrets codes with errors.Is (e.g.
// errors.Is(err, secrets.ErrNotFound)). A stale revision is 409, not 412:
// it is the same optimistic-concurrency failure as two concurrent writes.
// Client fails with secrets.ErrFailedPrecondition when the server redirects
// it to another origin, and with secrets.ErrInternal when an answer is not
// strict JSON of the expected shape (an error body that is not is read by
// its status alone).
//
// # Security
//
// Authentication is pluggable (Authenticator: request to rbac.Principal);
// authorization is the Manager's: deny by default, by role and namespace,
// and decrypt only for service principals listed in the secret's
// decrypters. Run tokens (Options.RunTokens) are checked without a
// database read: signature, expiry and an in-memory (or shared) revocation
// set, so a revoked token fails on its next request. A run token acts as a
// service principal with only the decrypter role, whose ID is the run
// identity; the handler also restricts it to the decrypt route, its
// namespace and its names before the Manager is called.
//
// API tokens (Options.APITokens, package apitoken) act as user principals
// with the roles an admin gave them, so they manage secrets but never
// decrypt; they are verified by digest on every request (a store read), so
// a revoked one fails at once. OIDC tokens are verified by package
// oidcauth, an Authenticator. A run token can neither issue nor revoke run
// tokens (it may only decrypt); issuing and revoking need
// rbac.ActionIssueRunToken in the namespace and are audited by the
// Manager, as are the API-token routes with rbac.ActionManageAPITokens.
// Revoking a run token is by id: the issuer keeps no record of the
// namespace a token id belongs to. /.well-known/jwks.json is served
// without credentials: it holds public keys only.
//
// Values are never logged, audited or returned outside the decrypt route;
// request bodies are read into a buffer that is wiped after decoding, and
// error messages never quote a body. Every request is audited once
// (Auditor: method, route, namespace, name, principal, run-token id,
// status, code, duration; never a value or a token). Every response has
// Cache-Control: no-store. Bodies are capped; NewServer sets header, read,
// write and idle timeouts. Serve over TLS anywhere but loopback: requests
// carry bearer tokens and the decrypt route carries values.
//
// Rejected input is recorded, not echoed: a namespace or name from the path
// or body that is not a valid name (a newline, an escape sequence, a value
// pasted into the name field) appears in request events, logs and error
// messages only as its length and a short keyed hash, e.g. "invalid name
// (len 12, hash 1a2b3c4d)". The hash key is random per process, so records
// of one input match within a process, and nobody holding a log can test
// guesses against the hash.
//
// Failed authentication is rate-limited per client address
// (Options.AuthFailures; by default a burst of 10 failures, then one a
// second, for at most 10,000 addresses kept in a least-recently-used set).
// A failure is a 401 to a request that carried credentials; one with none
// (ErrNoCredentials) guesses nothing and is not counted.
// While an address is over the limit, each of its requests is answered 429
// with Retry-After before its credentials are looked at, so guessing a
// bearer token costs time; clients behind one NAT share the limit. The
// client address is the host of the connection (Request.RemoteAddr), IPv6
// addresses grouped by /64; X-Forwarded-For is ignored unless
// Options.TrustForwardedFor says a proxy in front sets it, and then only its
// last entry counts. The per-principal Options.RateLimit uses the same
// golang.org/x/time/rate buckets.
//
// Both limits are per process: several instances on one store each keep
// their own buckets, so N instances accept up to N times the limit (see
// RateLimit for how to size them for a fleet). Revocations of run tokens
// and API tokens, by contrast, hold across instances when they are kept in
// the store (package secrets/fleet). Options.RequestTimeout bounds the
// work of every request (default 20 s).
//
// Client and NewRemoteSource's source never send a credential or a value to another
// origin: they use a copy of the caller's *http.Client (or of
// http.DefaultClient) whose CheckRedirect follows redirects only within
// the scheme, host and port of the first request, then asks the caller's
// own CheckRedirect. Client reads the server's answers as strictly as the
// server reads requests.
//
// Client prints as httpapi.Client{<base URL>} and NewRemoteSource's source as
// httpapi.RemoteSource under every fmt verb, JSON, text marshalling and
// slog: neither shows its token. ClientOptions and RemoteConfig hold their
// tokens as secrets.Value, which prints [REDACTED].
//
// Tokens stay off command lines: K6SpecEnv gives k6 its spec in the
// environment (K6_SECRET_SOURCE), RemoteConstructor reads the run token from
// STRONGBOX_RUN_TOKEN, never from the spec.
//
// # Metrics
//
// The handler records OpenTelemetry metrics through Options.MeterProvider,
// or the global provider (otel.GetMeterProvider) when that is nil, under
// the scope "github.com/strongbox-go/strongbox/secrets/httpapi". It uses
// only the OpenTelemetry API; package secrets/httpapi/metrics serves them,
// with the Manager's and the keeper's, in Prometheus text format.
//
//	name                                           kind       attributes
//	http.server.request.duration                   histogram  http.request.method, http.route, http.response.status_code,
//	                                                          error.type (seconds; its count is the requests)
//	strongbox.http.server.authentication_failures  counter    strongbox.auth.credential (none, run_token, api_token, bearer),
//	                                                          strongbox.auth.reason
//	strongbox.http.server.rate_limited             counter    strongbox.limit (principal, auth_failures)
//
// http.route is the route pattern ("/v1/namespaces/{namespace}/secrets/{name}"),
// never the request's path, and is absent for a request that matched no
// route; http.request.method is a standard method or "_OTHER"; error.type
// is the error code of a failed request (see # Errors), absent on success.
// Every 401 counts as an authentication failure; the reason is
// no_credentials, unrecognised (a bearer token no authenticator claimed),
// refused (an Authenticator said ErrUnauthenticated; for API tokens:
// malformed, unknown or revoked), expired (API tokens), or for run tokens
// expired, revoked, lifetime, not_yet_valid, unknown_key, signature,
// malformed or invalid. "bearer" is any other bearer token, such as an
// OIDC JWT. Every 429 counts under the limit that refused it.
// No attribute holds a namespace, a secret name, a principal, a client
// address, a token or a value: every value comes from a fixed set.
//
// # Clients
//
// Client is the management side for Go programs: the Manager's methods
// (Create, Get, List, Update, Reset, Revoke, Delete, RevealValue) over
// HTTP, with errors that match the secrets codes.
//
// # Remote source
//
// NewRemoteSource's source is a source.Source for Go runners over the decrypt route. It
// is a url source (source.NewURLSource) underneath, so it retries,
// rate-limits and (through source.NewCache or a source.Resolver, see
// RemoteConstructor) caches exactly like a k6 url source.
package httpapi
