package webui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// OIDC configures sign-in with an OpenID Connect provider: the
// authorization code flow with PKCE (S256), state and nonce. The ID token
// the provider returns is presented to Options.Authenticator as a Bearer
// token, which must therefore accept the provider's ID tokens (for example
// package oidcauth with Audience set to ClientID): the page checks the
// flow, the Authenticator checks the token.
type OIDC struct {
	// Issuer is the provider's issuer URL; the page reads its discovery
	// document at Issuer + "/.well-known/openid-configuration". Required.
	Issuer string
	// ClientID is the page's client at the provider. Required.
	ClientID string
	// ClientSecret authenticates a confidential client to the token
	// endpoint (HTTP Basic); "" for a public client, protected by PKCE.
	ClientSecret string
	// RedirectURL is the absolute URL of Prefix + "/signin/oidc/callback"
	// as the provider knows it. Required.
	RedirectURL string
	// Scopes are requested besides "openid"; nil means profile and email.
	Scopes []string
	// HTTPClient talks to the provider; nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client
}

const (
	oidcCookieName = "strongbox-oidc"
	// oidcFlowLifetime bounds the time between leaving for the provider
	// and coming back.
	oidcFlowLifetime = 10 * time.Minute
	// oidcFlowBytes is the flow cookie's content: an 8-byte expiry (Unix
	// seconds, big-endian) and 32 random bytes.
	oidcFlowBytes = 8 + 32
	// maxProviderResponse bounds what the provider's endpoints may send.
	maxProviderResponse = 1 << 20
)

// oidcFlow is one sign-in in progress. The server keeps nothing of it:
// state, nonce and PKCE verifier are derived (HMAC-SHA256) from the random
// secret of the flow cookie, which only this browser holds, so the
// callback may reach any instance, and a restart between the redirect and
// the callback loses nothing.
type oidcFlow struct {
	state, nonce, verifier string
}

// flowOf derives a flow from its cookie's bytes; the expiry is part of
// every derivation, so it cannot be moved without changing the state.
func flowOf(raw []byte) oidcFlow {
	derive := func(label string) string {
		m := hmac.New(sha256.New, raw[8:])
		m.Write(raw[:8])
		m.Write([]byte("strongbox webui oidc " + label))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	return oidcFlow{state: derive("state"), nonce: derive("nonce"), verifier: derive("pkce verifier")}
}

type oidcSignIn struct {
	cfg    OIDC
	client *http.Client
	scope  string

	mu        sync.Mutex
	authURL   string // from discovery, once it succeeded
	tokenURL  string
	discovery time.Time // last failed discovery, to not hammer the provider
}

func newOIDCSignIn(cfg OIDC) (*oidcSignIn, error) {
	const op = "webui.New"
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || cfg.Issuer == "" || (iss.Scheme != "https" && !isLoopback(iss.Host)) || iss.RawQuery != "" || iss.Fragment != "" {
		return nil, errcode.New(errcode.Invalid, op, "OIDC.Issuer must be an https URL (http only on loopback) without query")
	}
	if cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errcode.New(errcode.Invalid, op, "OIDC.ClientID and OIDC.RedirectURL are required")
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || !u.IsAbs() {
		return nil, errcode.New(errcode.Invalid, op, "OIDC.RedirectURL must be an absolute URL")
	}
	scopes := cfg.Scopes
	if scopes == nil {
		scopes = []string{"profile", "email"}
	}
	s := &oidcSignIn{cfg: cfg, client: cfg.HTTPClient, scope: strings.Join(append([]string{"openid"}, scopes...), " ")}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	return s, nil
}

// discover reads the provider's endpoints once.
func (s *oidcSignIn) discover(ctx context.Context, now time.Time) (authURL, tokenURL string, err error) {
	s.mu.Lock()
	if s.authURL != "" {
		defer s.mu.Unlock()
		return s.authURL, s.tokenURL, nil
	}
	if now.Sub(s.discovery) < 5*time.Second {
		s.mu.Unlock()
		return "", "", errcode.New(errcode.Unavailable, "webui.oidc", "discovery failed a moment ago")
	}
	s.mu.Unlock()
	var doc struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
	}
	err = s.getJSON(ctx, strings.TrimSuffix(s.cfg.Issuer, "/")+"/.well-known/openid-configuration", &doc)
	if err == nil && (doc.Issuer != s.cfg.Issuer || !endpointOK(doc.AuthorizationEndpoint) || !endpointOK(doc.TokenEndpoint)) {
		err = errcode.New(errcode.Unavailable, "webui.oidc", "the discovery document names another issuer or unusable endpoints")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.discovery = now
		return "", "", err
	}
	s.authURL, s.tokenURL = doc.AuthorizationEndpoint, doc.TokenEndpoint
	return s.authURL, s.tokenURL, nil
}

func endpointOK(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Host)) && u.Fragment == ""
}

func (s *oidcSignIn) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return errcode.Wrap(errcode.Internal, "webui.oidc", err)
	}
	return s.doJSON(req, v)
}

// doJSON sends req and decodes a 200 JSON answer. Errors name the status,
// never the body (which may hold a token).
func (s *oidcSignIn) doJSON(req *http.Request, v any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return errcode.New(errcode.Unavailable, "webui.oidc", "the provider did not answer")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxProviderResponse))
		return errcode.New(errcode.Unavailable, "webui.oidc", fmt.Sprintf("the provider answered %d", resp.StatusCode))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProviderResponse)).Decode(v); err != nil {
		return errcode.New(errcode.Unavailable, "webui.oidc", "the provider's answer is not the expected JSON")
	}
	return nil
}

// begin starts a new flow and returns the provider's authorization URL
// and the value of the flow cookie, which binds the flow to this browser.
func (s *oidcSignIn) begin(authURL string, now time.Time) (string, string) {
	raw := make([]byte, oidcFlowBytes)
	binary.BigEndian.PutUint64(raw, uint64(now.Add(oidcFlowLifetime).Unix()))
	rand.Read(raw[8:])
	f := flowOf(raw)
	challenge := sha256.Sum256([]byte(f.verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {s.cfg.ClientID},
		"redirect_uri":          {s.cfg.RedirectURL},
		"scope":                 {s.scope},
		"state":                 {f.state},
		"nonce":                 {f.nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	sep := "?"
	if strings.Contains(authURL, "?") {
		sep = "&"
	}
	return authURL + sep + q.Encode(), base64.RawURLEncoding.EncodeToString(raw)
}

// take returns the flow of a flow cookie if the cookie is well formed, has
// not expired and derives the state the provider sent back. The callback
// clears the cookie, so each flow is used once.
func (s *oidcSignIn) take(cookie, state string, now time.Time) (oidcFlow, bool) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cookie)
	if err != nil || len(raw) != oidcFlowBytes {
		return oidcFlow{}, false
	}
	exp := int64(binary.BigEndian.Uint64(raw))
	if exp < 0 || now.Unix() >= exp {
		return oidcFlow{}, false
	}
	f := flowOf(raw)
	return f, tokensEqual(f.state, state)
}

// exchange trades the code for the ID token at the token endpoint.
func (s *oidcSignIn) exchange(ctx context.Context, tokenURL, code, verifier string) (string, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {s.cfg.RedirectURL},
		"code_verifier": {verifier},
	}
	if s.cfg.ClientSecret == "" {
		form.Set("client_id", s.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", errcode.Wrap(errcode.Internal, "webui.oidc", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.cfg.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(s.cfg.ClientID), url.QueryEscape(s.cfg.ClientSecret))
	}
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := s.doJSON(req, &tok); err != nil {
		return "", err
	}
	if tok.IDToken == "" || len(tok.IDToken) > maxTokenBytes*4 {
		return "", errcode.New(errcode.Unavailable, "webui.oidc", "the token endpoint returned no usable ID token")
	}
	return tok.IDToken, nil
}

// idTokenNonce reads the "nonce" claim of a JWS compact token, which the
// Authenticator has verified.
func idTokenNonce(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Nonce string `json:"nonce"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return ""
	}
	return claims.Nonce
}

// oidcStart sends the browser to the provider.
func (h *handler) oidcStart(w http.ResponseWriter, r *http.Request) {
	authURL, _, err := h.oidc.discover(r.Context(), h.now())
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: OIDC discovery failed", slog.String("error", err.Error()))
		h.fail(w, r, http.StatusServiceUnavailable, "The identity provider cannot be reached right now. Try again later, or sign in with an API token.")
		return
	}
	u, flowCookie := h.oidc.begin(authURL, h.now())
	// The provider sends the browser back from another site: the cookie
	// that binds the flow to this browser must be SameSite=Lax to come
	// along. HttpOnly, it holds the flow's secret, from which the state,
	// nonce and PKCE verifier derive; the server keeps nothing.
	c := h.cookie(r, oidcCookieName, flowCookie, oidcFlowLifetime)
	c.SameSite = http.SameSiteLaxMode
	http.SetCookie(w, c)
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// oidcCallback finishes the flow: state, code exchange with the PKCE
// verifier, the ID token through the Authenticator, the nonce.
func (h *handler) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clear := h.cookie(r, oidcCookieName, "", 0)
	clear.SameSite = http.SameSiteLaxMode
	http.SetCookie(w, clear)
	refuse := func(msg string) {
		h.fail(w, r, http.StatusForbidden, msg+" Start again from the sign-in page.")
	}
	c, err := r.Cookie(oidcCookieName)
	if err != nil {
		refuse("This sign-in did not start in this browser, or it took too long.")
		return
	}
	flow, ok := h.oidc.take(c.Value, q.Get("state"), h.now())
	if !ok {
		refuse("This sign-in did not start in this browser, has expired or was already used.")
		return
	}
	if q.Has("error") || q.Get("code") == "" {
		refuse("The identity provider did not sign you in.")
		return
	}
	_, tokenURL, err := h.oidc.discover(r.Context(), h.now())
	var idToken string
	if err == nil {
		idToken, err = h.oidc.exchange(r.Context(), tokenURL, q.Get("code"), flow.verifier)
	}
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: OIDC code exchange failed", slog.String("error", err.Error()))
		h.fail(w, r, http.StatusServiceUnavailable, "The identity provider did not complete the sign-in. Try again later.")
		return
	}
	ar := r.Clone(r.Context())
	ar.Header = http.Header{"Authorization": {"Bearer " + idToken}}
	p, err := h.auth.Authenticate(ar)
	switch {
	case err == nil && p.Valid() && tokensEqual(flow.nonce, idTokenNonce(idToken)):
	case err == nil || errors.Is(err, httpapi.ErrUnauthenticated):
		refuse("Your identity was not accepted for this page.")
		return
	default:
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: OIDC sign-in could not be checked", slog.String("error", err.Error()))
		h.fail(w, r, statusOf(err), "Your sign-in could not be checked right now. Try again later.")
		return
	}
	if err := h.sessions.delete(r.Context(), h.sessionCookie(r)); err != nil {
		h.sessionFailed(w, r, err)
		return
	}
	sid, _, err := h.sessions.create(r.Context(), p, false, "")
	if err != nil {
		h.sessionFailed(w, r, err)
		return
	}
	h.setSessionCookie(w, r, sid)
	// This response ends a navigation that started at the provider, so a
	// redirect would still count as cross-site and the SameSite=Strict
	// session cookie would not come along: a page of our own moves on.
	v := h.newView(r.Context(), nil, "Signed in")
	h.render(w, r, http.StatusOK, "signedin", v)
}
