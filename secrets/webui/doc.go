// Package webui is the secrets page: an http.Handler that a Go service
// mounts next to its API (package httpapi), over the same secrets.Manager
// and authentication, to list, create, edit, reset, revoke and delete
// secrets in a browser.
//
//	ui, err := webui.New(webui.Options{Manager: m, Authenticator: auth, Authorizer: authz})
//	mux.Handle("/", ui)
//	mux.Handle("/v1/", api)
//
// The pages are HTML rendered on the server (html/template, embedded in the
// binary) and work without JavaScript; the one script, a static file, only
// adds copy buttons. Namespaces are the caller's: a principal sees and
// changes the secrets of its own namespace.
//
// # Flows
//
// The list shows a namespace's secrets with description, labels,
// decrypters, version, revoked state and last update (when and by whom),
// filtered by a label selector and paged. "Create secret" opens a form
// whose fields show their limits (maxlength and pattern attributes and help
// text: names of letters, digits, - and _, at most 253; descriptions at
// most 253 characters; values of at most 24 KiB in a masked field; up to 10
// labels, one key=value a line, keys at most 63; decrypters, one a line).
// Each error names its field. A secret's page edits description, labels
// and decrypters; its value field is locked until Reset, which takes a new
// value; Revoke and Delete ask for confirmation (Delete by typing the word
// Delete). Each secret's page shows how to use it in a k6 test.
//
// A secret's page also has a history panel: every version of the value
// (secrets.Manager.Versions), newest first, with when it was set, by whom
// and its state (Current, Kept, Revoked, Destroyed), never a value. A kept
// earlier version has Roll back (for those who may update: it becomes
// current as a new version) and Destroy (for those who may delete; a
// confirmation page first, since the value is gone for good). The edit
// form's "Kept versions" field sets how many earlier values the secret
// keeps (0 to 100); a post without the field keeps the secret's. The
// create form has the same field, optional: empty means the Manager's
// default (secrets.Options.KeepVersions).
//
// Every write is a POST answered by 303 See Other (post, redirect, get):
// errors travel to the next page in the session, so a reload never posts a
// value again.
//
// # Roles
//
// The pages show only the controls the caller's roles allow, asking
// Options.Authorizer (give it the Manager's). That only hides them: every
// operation is the Manager's, which authorizes it, so a forbidden post made
// by hand is refused with the Manager's error.
//
// # Sign-in
//
// A request that Options.Authenticator accepts needs no sign-in: a service
// that authenticates its users itself (a proxy header, its own session)
// brings that through its Authenticator and the page uses the principal it
// returns, on every request. A request it does not accept (an error matching
// httpapi.ErrUnauthenticated) uses the page's own session, made by the
// sign-in form: the user pastes an API token, which the handler presents to
// the Authenticator as "Authorization: Bearer <token>" and, if accepted,
// exchanges for a session cookie. The session lasts until
// Options.SessionLifetime (8 hours by default) or sign-out, but no longer
// than its token: it checks the token again on every request, so a token
// revoked or expired meanwhile signs the browser out at its next request
// (GET: a redirect to the sign-in page; post: 401). An API token of
// Options.APITokens is kept as its id and SHA-256 digest only and checked
// with apitoken.Tokens.VerifyDigest (one store read); any other bearer
// credential is kept sealed (AES-256-GCM) under a key derived from the
// session id, which only the browser's cookie holds, and presented to the
// Authenticator again. Neither is ever in a page, cookie, URL or log.
//
// Failed sign-ins (a token the Authenticator refuses) count against the
// client address with the limiter package httpapi uses for failed
// authentications (Options.SignInFailures, the defaults of
// httpapi.AuthFailureLimit: 10 at once, then one a second; addresses as
// there, IPv6 by /64, X-Forwarded-For only with Options.TrustForwardedFor).
// While an address is over the limit its sign-ins are answered 429 with
// Retry-After before the token is looked at. An empty form is not counted.
//
// Sessions live on the server in Options.Sessions, a SessionStore. The
// default, NewMemorySessionStore, keeps at most 10,000 in this process's
// memory, for tests and single-process embeddings: another process does
// not know them and a restart ends them. Several instances behind one
// address share fleet.WebSessions over their common store (strongbox serve
// does): a session made through one instance is used through any other, a
// sign-out through one ends it on all, and it survives restarts. A session
// is one record keyed by the SHA-256 of its id (so a store reader cannot
// take it over) holding the principal, the CSRF token, the one-time
// message of post-redirect-get and the credential's reference above, at
// most MaxSessionBytes (a message's form that would not fit is dropped);
// it expires with the session, reads ignore it from then, and the page
// checks the expiry it encoded too. Each request reads its session once;
// a post writes it once more, for its message.
//
// With Options.OIDC the sign-in page also offers an OpenID Connect
// provider: the authorization code flow with PKCE (S256), a state and a
// nonce. The server keeps nothing of a flow in progress: the state, nonce
// and PKCE verifier are derived (HMAC-SHA256) from 256 random bits and an
// expiry (10 minutes) in an HttpOnly SameSite=Lax cookie (Lax, because the
// provider sends the browser back from another site), which the callback
// checks and clears (and the provider takes each code once); so the callback may reach any instance, and a visitor
// who is not signed in writes nothing to the store. The page exchanges the code for the ID token, presents that token
// to Options.Authenticator as a Bearer token (so the Authenticator must
// accept the provider's ID tokens, e.g. package oidcauth with the client id
// as audience: it checks signature, issuer, audience and expiry and maps the
// claims to a principal), then checks the token's nonce and makes a session
// as for an API token. The callback answers with a page that moves on to the
// list itself, since a redirect at the end of a navigation that began at
// the provider would not carry the SameSite=Strict session cookie. An OIDC
// session keeps no token: it lasts Options.SessionLifetime, and the
// provider's revocations are not noticed before then.
//
// # Security
//
// Values: a value travels only in the body of the post that sets it (a
// masked field with autocomplete off), goes at once into a secrets.Value,
// and is never written back: not into a page (a form shown again after an
// error has an empty value field), a redirect, a URL, a flash or a log.
// The API token of the sign-in form is treated the same way.
//
// Every response carries a Content-Security-Policy of default-src 'none'
// with only the page's own stylesheet and script, form-action
// 'self', frame-ancestors 'none' and base-uri 'none' (no inline script or
// style, no framing), X-Content-Type-Options: nosniff, Referrer-Policy:
// no-referrer, X-Frame-Options: DENY and Cache-Control: no-store (static
// files: no-cache).
//
// The session cookie holds 256 random bits; the session store keeps only
// their SHA-256. It is HttpOnly, SameSite=Strict, and Secure unless the request
// is plain HTTP to a loopback address (so behind a TLS-terminating proxy
// it is Secure, and a browser on plain HTTP elsewhere gets no session);
// a Secure cookie at the root path is named __Host-strongbox-session.
// Signing in replaces any earlier session.
//
// Cross-site request forgery: every post must come from the page
// (http.CrossOriginProtection: Sec-Fetch-Site, else Origin against Host) and
// carry the session's CSRF token, compared in constant time; the sign-in
// form carries a token that must match a SameSite=Strict cookie set with
// it. A post failing either is answered 403 and does nothing. Form posts
// are bounded (88 KiB, which fits a 24 KiB value percent-encoded).
//
// # Errors
//
// New fails with secrets.ErrInvalid when Options lacks the Manager or the
// Authenticator. Operation errors are shown on the page as sentences that
// name the field or the secret, from the Manager's messages (which name
// fields and limits, never input); errors the page cannot explain
// (unavailable or failing store or key service) are logged to
// Options.Logger and shown as a generic failure.
package webui
