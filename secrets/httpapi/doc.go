// Package httpapi serves a secrets.Manager over HTTP with one http.Handler,
// and reads it back from Go runners with a remote source.
//
// Management routes take and return JSON; a secret's value is write-only:
// it goes in on create and reset and never comes out, except through the
// decrypt route, which speaks the protocol of k6's url secret source, so a
// k6 user points --secret-source at it unchanged:
//
//	k6 run --secret-source='url=urlTemplate=https://host/v1/namespaces/team-a/secrets/{key}/decrypt,headers.Authorization=Bearer sbrt1.…,responsePath=value' script.js
//
// (K6Spec builds that spec.) A service mounts the handler next to its
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
//
// The create object is {"name", "description", "labels": {k: v},
// "decrypters": [ids], "value"}; decrypters absent or null means the
// Manager's DefaultDecrypters, [] means nobody. The update object is
// {"description", "labels", "decrypters", "revision"}: PUT replaces all
// three fields (an absent one is cleared), so read, change and send back
// with the ETag. A secret is the JSON of secrets.Secret: namespace, name,
// description, labels, decrypters, version, revoked, revision, createTime,
// updateTime, createdBy, updatedBy, and never a value. Bodies are strict:
// one JSON object, valid UTF-8, no unknown members, at most Options.MaxBodyBytes
// (64 KiB by default: a 24 KiB value even fully escaped, plus metadata).
// A Content-Type, if sent, must be application/json.
//
// The decrypt route is the k6 url protocol: GET with "Authorization: Bearer
// <token>", 200 with a JSON body whose "value" member (responsePath=value)
// is the value; 404 for a name that does not exist, 401 or 403 for a
// credential that does not allow it. Every other status is an error too.
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
// the key kid names; see runtoken's # Format for the exact rules. Any other
// bearer token goes to Options.Authenticator. Run tokens hold no ',', '='
// or space, so they fit in a k6 spec as they are.
//
// The decrypt route answers {"value":"..."} (responsePath=value), or with
// ?format=raw the value itself as text/plain, which leaves room for a value
// of the full 24 KiB under the 24 KiB response cap of k6 and of the url
// source (RemoteSource uses it). With the JSON form, values close to the
// limit may not fit that cap once escaped.
//
// # Errors
//
// Every error is a JSON body {"error": {"code", "message", "status"}} (type
// Error). The code is stable; the message is for people and names fields,
// limits and secrets, never a value or a credential.
//
//	status code                    when
//	400    invalid                 bad JSON, field outside the limits, bad selector, page size, page token, If-Match
//	401    unauthenticated         no, unknown, malformed, tampered, expired or revoked credentials (WWW-Authenticate: Bearer)
//	403    permission_denied       the principal lacks the role, is in another namespace, is not a decrypter of the secret,
//	                               or uses a run token outside its namespace, names or the decrypt route
//	404    not_found               no such secret, or no such route
//	405    method_not_allowed      the route exists with other methods (Allow lists them)
//	409    already_exists          create with a name in use
//	409    conflict                If-Match or "revision" is stale: another write came first
//	409    revoked                 decrypt of a revoked value (reset gives it a new one)
//	409    failed_precondition     the Manager is closed
//	413    too_large               body over Options.MaxBodyBytes
//	415    unsupported_media_type  Content-Type other than JSON
//	429    rate_limited            over Options.RateLimit for this principal (Retry-After)
//	500    internal                anything unexpected, e.g. a value that does not decrypt; details go to Logger only
//	503    unavailable             storage, key service, identity provider or revocation set unreachable (Retry-After)
//
// Clients can map an *Error back to the secrets codes with errors.Is (e.g.
// errors.Is(err, secrets.ErrNotFound)). A stale revision is 409, not 412:
// it is the same optimistic-concurrency failure as two concurrent writes.
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
// Values are never logged, audited or returned outside the decrypt route;
// request bodies are read into a buffer that is wiped after decoding, and
// error messages never quote a body. Every request is audited once
// (Auditor: method, route, namespace, name, principal, run-token id,
// status, code, duration; never a value or a token). Every response has
// Cache-Control: no-store. Bodies are capped; NewServer sets header, read,
// write and idle timeouts. Serve over TLS anywhere but loopback: requests
// carry bearer tokens and the decrypt route carries values.
//
// # Clients
//
// Client is the management side for Go programs: the Manager's methods
// (Create, Get, List, Update, Reset, Revoke, Delete, RevealValue) over
// HTTP, with errors that match the secrets codes.
//
// # Remote source
//
// RemoteSource is a source.Source for Go runners over the decrypt route. It
// is a url source (source.NewURLSource) underneath, so it retries,
// rate-limits and (through source.NewCache or a source.Resolver, see
// RemoteConstructor) caches exactly like a k6 url source.
package httpapi
