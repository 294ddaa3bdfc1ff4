package webui

import (
	"bytes"
	"context"
	"errors"
	"github.com/strongbox-go/strongbox/internal/names"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/strongbox-go/strongbox/internal/ratelimit"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// flash is a one-time message kept in the session between a post and the
// page it redirects to.
type flash struct {
	Notice string
	Error  string
	// Form and FormFor (e.g. "create", "edit", "delete") re-render a form
	// after an error, without its value.
	Form    *formState
	FormFor string
}

// view is what every template gets.
type view struct {
	Title     string
	Prefix    string
	User      string
	Namespace string
	CSRF      string
	SignedIn  bool
	Notice    string
	Error     string
	Form      *formState
	FormFor   string
	Errors    []fieldError

	CanRead, CanCreate, CanUpdate, CanDelete, CanSetDecrypters bool

	// List.
	Secrets   []secretRow
	Selector  string
	NextPage  string
	FirstPage string
	Paged     bool

	// One secret.
	Secret    *secretRow
	Resetting bool
	K6Snippet string
	RunLine   string
	// History is the secret's versions, newest first (history.go);
	// HistoryError explains why it is missing.
	History        []versionRow
	HistoryError   string
	DestroyVersion int64 // the destroy confirmation's version

	// Sign-in.
	Failed bool
	OIDC   bool

	Limits limits
}

// limits are shown in the forms' help texts and attributes.
type limits struct {
	Name, Description, Value, Labels, LabelKey, LabelValue, Decrypters int
	LabelsText, DecryptersText                                         int
}

var pageLimits = limits{
	Name: names.MaxNameLength, Description: names.MaxDescriptionRunes, Value: secrets.MaxValueBytes,
	Labels: names.MaxLabels, LabelKey: names.MaxLabelKeyLength, LabelValue: names.MaxLabelValueLength,
	Decrypters: names.MaxDecrypters, LabelsText: maxLabelsText, DecryptersText: maxDecryptersText,
}

// secretRow is a secret as the pages show it.
type secretRow struct {
	Name, Description string
	Labels            []label
	LabelsText        string
	Decrypters        []string
	DecryptersText    string
	Version, Revision int64
	KeepVersions      int
	Revoked           bool
	Updated           string
	UpdatedISO        string
	UpdatedBy         string
	Path              string
}

type label struct{ Key, Value string }

func (h *handler) row(s *secrets.Secret) secretRow {
	r := secretRow{
		Name: s.Name, Description: s.Description, Decrypters: s.Decrypters,
		LabelsText: formatLabels(s.Labels), DecryptersText: strings.Join(s.Decrypters, "\n"),
		Version: s.Version, Revision: s.Revision, KeepVersions: s.KeepVersions, Revoked: s.Revoked,
		Updated: s.UpdateTime.UTC().Format("2006-01-02 15:04 UTC"), UpdatedISO: s.UpdateTime.UTC().Format(time.RFC3339),
		UpdatedBy: s.UpdatedBy, Path: "/s/" + s.Name,
	}
	if r.UpdatedBy == "" {
		r.UpdatedBy = s.CreatedBy
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.Labels = append(r.Labels, label{k, s.Labels[k]})
	}
	return r
}

// newView fills what every page shows, and takes the session's flash.
func (h *handler) newView(ctx context.Context, u *user, title string) *view {
	v := &view{Title: title, Prefix: h.prefix, Limits: pageLimits}
	if u == nil {
		return v
	}
	v.User, v.Namespace, v.CSRF, v.SignedIn = u.p.ID, u.p.Namespace, u.csrf, u.signedIn
	v.CanRead = h.can(ctx, u, rbac.ActionRead)
	v.CanCreate = h.can(ctx, u, rbac.ActionCreate)
	v.CanUpdate = h.can(ctx, u, rbac.ActionUpdate)
	v.CanDelete = h.can(ctx, u, rbac.ActionDelete)
	v.CanSetDecrypters = h.can(ctx, u, rbac.ActionSetDecrypters)
	f, err := h.sessions.takeFlash(ctx, u.sid, u.sess)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "webui: the session's message could not be cleared", slog.String("error", err.Error()))
	}
	if f != nil {
		v.Notice, v.Error = f.Notice, f.Error
		v.Form, v.FormFor = f.Form, f.FormFor
		v.Errors = f.Form.fieldErrors()
	}
	return v
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "webui: rendering failed", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := h.newView(r.Context(), nil, "Error")
	v.Error = msg
	h.render(w, r, status, "error", v)
}

// done stores a flash and redirects.
func (h *handler) done(w http.ResponseWriter, r *http.Request, u *user, f *flash, path string) {
	if err := h.sessions.setFlash(r.Context(), u.sid, u.sess, f); err != nil {
		// The write itself is done: only its message is lost.
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: the session's message could not be stored", slog.String("error", err.Error()))
	}
	h.redirect(w, r, path)
}

// opError explains a failed operation in a sentence, naming the secret;
// errors it cannot explain are logged (the library's errors never hold a
// value) and shown as a generic failure.
func (h *handler) opError(r *http.Request, what, name string, err error) string {
	switch secrets.ErrorCode(err) {
	case secrets.ErrPermissionDenied:
		return "You are not allowed to " + what + "."
	case secrets.ErrNotFound:
		return "There is no secret named " + name + " that you can " + what + "."
	case secrets.ErrConflict:
		return "The secret " + name + " changed while you were editing it. This page shows it as it is now; make your change again."
	case secrets.ErrAlreadyExists:
		return "A secret named " + name + " already exists in this namespace."
	case secrets.ErrInvalid:
		return ruleMessage(err)
	}
	h.log.LogAttrs(r.Context(), slog.LevelError, "webui: operation failed", slog.String("operation", what), slog.String("error", err.Error()))
	if errors.Is(err, secrets.ErrUnavailable) {
		return "Could not " + what + ": the service is unavailable. Try again in a moment."
	}
	return "Could not " + what + " because of an internal error."
}

// Sign-in and sign-out.

func (h *handler) signInPage(w http.ResponseWriter, r *http.Request) {
	v := h.newView(r.Context(), nil, "Sign in")
	v.Failed = r.URL.Query().Has("failed")
	v.OIDC = h.oidc != nil
	// The sign-in form has no session yet: its CSRF token is a random
	// value in a SameSite=Strict cookie that the post must repeat.
	tok := newToken()
	if c, err := r.Cookie(signInCookieName); err == nil && len(c.Value) == len(tok) {
		tok = c.Value
	}
	http.SetCookie(w, h.cookie(r, signInCookieName, tok, time.Hour))
	v.CSRF = tok
	h.render(w, r, http.StatusOK, "signin", v)
}

func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(signInCookieName)
	if err != nil || !tokensEqual(c.Value, r.PostForm.Get("csrf")) {
		h.fail(w, r, http.StatusForbidden, "This sign-in form has expired or did not come from this page. Reload it and try again.")
		return
	}
	// Failed sign-ins count against the client address, with the limiter
	// package httpapi uses for failed authentications: while the
	// address's bucket is empty, its sign-ins are refused unread.
	addr := ratelimit.ClientAddr(r, h.trustForwardedFor)
	if wait, blocked := h.signInFail.Blocked(addr); blocked {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		h.fail(w, r, http.StatusTooManyRequests, "Too many failed sign-ins from this address. Wait "+strconv.Itoa(secs)+" seconds and try again.")
		return
	}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if tok == "" {
		h.redirect(w, r, "/signin?failed")
		return
	}
	if len(tok) > maxTokenBytes || strings.ContainsAny(tok, "\r\n") {
		h.signInFail.Failed(addr)
		h.redirect(w, r, "/signin?failed")
		return
	}
	p, err := h.authenticateToken(r, tok)
	switch {
	case err == nil && p.Valid():
	case err == nil || errors.Is(err, httpapi.ErrUnauthenticated):
		h.signInFail.Failed(addr)
		h.redirect(w, r, "/signin?failed")
		return
	default:
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui: sign-in could not be checked", slog.String("error", err.Error()))
		h.fail(w, r, statusOf(err), "Your token could not be checked right now. Try again later.")
		return
	}
	if err := h.sessions.delete(r.Context(), h.sessionCookie(r)); err != nil {
		h.sessionFailed(w, r, err)
		return
	}
	// The session keeps the token's id and digest (or the token sealed
	// under the session id) and checks it again on every request, so that
	// a token revoked or expired meanwhile ends the session at once.
	sid, _, err := h.sessions.create(r.Context(), p, false, tok)
	if err != nil {
		h.sessionFailed(w, r, err)
		return
	}
	h.setSessionCookie(w, r, sid)
	http.SetCookie(w, h.cookie(r, signInCookieName, "", 0))
	h.redirect(w, r, "/")
}

// authenticateToken presents a bearer token to the Authenticator as an API
// client would, without the browser's cookies or other credentials.
func (h *handler) authenticateToken(r *http.Request, tok string) (rbac.Principal, error) {
	ar := r.Clone(r.Context())
	ar.Header = http.Header{"Authorization": {"Bearer " + tok}}
	return h.auth.Authenticate(ar)
}

func (h *handler) signOut(w http.ResponseWriter, r *http.Request, u *user) {
	// The session ends in the store, for every instance: if that fails,
	// say so rather than pretend.
	if err := h.sessions.delete(r.Context(), u.sid); err != nil {
		h.sessionFailed(w, r, err)
		return
	}
	h.setSessionCookie(w, r, "")
	if u.signedIn {
		h.redirect(w, r, "/signin")
		return
	}
	h.redirect(w, r, "/")
}

// The list.

func (h *handler) list(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	v := h.newView(ctx, u, "Secrets")
	q := r.URL.Query()
	v.Selector = strings.TrimSpace(q.Get(fieldSelector))
	if !v.CanRead {
		h.render(w, r, http.StatusOK, "list", v)
		return
	}
	if v.Selector != "" {
		if _, err := secrets.ParseSelector(v.Selector); err != nil {
			v.Form = &formState{}
			v.Form.addError(fieldSelector, strings.Replace(ruleMessage(err), "Selector", "The filter", 1))
			v.Errors = v.Form.fieldErrors()
			h.render(w, r, http.StatusBadRequest, "list", v)
			return
		}
	}
	page := q.Get("page")
	res, err := h.m.List(ctx, u.p.Namespace, secrets.ListOptions{Selector: v.Selector, PageSize: h.pageSize, PageToken: page})
	if err != nil {
		v.Error = h.opError(r, "list the secrets of this namespace", "", err)
		h.render(w, r, statusOf(err), "list", v)
		return
	}
	for _, s := range res.Secrets {
		v.Secrets = append(v.Secrets, h.row(s))
	}
	qs := url.Values{}
	if v.Selector != "" {
		qs.Set(fieldSelector, v.Selector)
	}
	v.Paged = page != ""
	v.FirstPage = "/?" + qs.Encode()
	if res.NextPageToken != "" {
		qs.Set("page", res.NextPageToken)
		v.NextPage = "/?" + qs.Encode()
	}
	h.render(w, r, http.StatusOK, "list", v)
}

// Create.

func (h *handler) createPage(w http.ResponseWriter, r *http.Request, u *user) {
	v := h.newView(r.Context(), u, "Create secret")
	if v.Form == nil {
		v.Form = &formState{}
	}
	h.render(w, r, http.StatusOK, "create", v)
}

func (h *handler) create(w http.ResponseWriter, r *http.Request, u *user) {
	f := r.PostForm
	st := &formState{
		Name: strings.TrimSpace(f.Get(fieldName)), Description: f.Get(fieldDescription),
		Labels: f.Get(fieldLabels), Decrypters: f.Get(fieldDecrypters), KeepVersions: f.Get(fieldKeep),
	}
	// The value goes into a secrets.Value at once and is never put back
	// into a page, a flash or a log.
	value := secrets.NewValue(f.Get(fieldValue))
	if err := names.Name("", st.Name); err != nil {
		st.addError(fieldName, ruleMessage(err)+" Use letters, digits, - and _.")
	}
	if err := secrets.Validate(secrets.Spec{Description: st.Description}); err != nil {
		st.addError(fieldDescription, ruleMessage(err))
	}
	if err := secrets.ValidateValue(value); err != nil {
		st.addError(fieldValue, ruleMessage(err))
	}
	labels, msg := parseLabels(st.Labels)
	if msg != "" {
		st.addError(fieldLabels, msg)
	}
	var decrypters []string
	if strings.TrimSpace(st.Decrypters) != "" {
		if decrypters, msg = parseDecrypters(st.Decrypters); msg != "" {
			st.addError(fieldDecrypters, msg)
		}
	}
	var keep *int
	if strings.TrimSpace(st.KeepVersions) != "" {
		// Empty: the Manager's default (Options.KeepVersions).
		n, msg := parseKeep(st.KeepVersions)
		if msg != "" {
			st.addError(fieldKeep, msg)
		}
		keep = &n
	}
	if len(st.Errors) > 0 {
		h.done(w, r, u, &flash{Form: st, FormFor: "create", Error: "The secret was not created: correct the fields marked below. Enter the value again; it is never shown back."}, "/new")
		return
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	_, err := h.m.Create(ctx, u.p.Namespace, secrets.Spec{
		Name: st.Name, Description: st.Description, Labels: labels, Value: value, Decrypters: decrypters, KeepVersions: keep,
	})
	if err != nil {
		fl := &flash{Form: st, FormFor: "create", Error: "The secret was not created. Enter the value again; it is never shown back."}
		if errors.Is(err, secrets.ErrAlreadyExists) {
			st.addError(fieldName, h.opError(r, "create", st.Name, err)+" Choose another name, or edit the existing secret.")
		} else {
			fl.Error = h.opError(r, "create secrets in this namespace", st.Name, err) + " Enter the value again; it is never shown back."
		}
		h.done(w, r, u, fl, "/new")
		return
	}
	h.done(w, r, u, &flash{Notice: "Secret " + st.Name + " created."}, "/")
}

// One secret: details, edit, reset, revoke, use in a test.

func (h *handler) detail(w http.ResponseWriter, r *http.Request, u *user) {
	name := r.PathValue("name")
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	v := h.newView(ctx, u, "Secret")
	if err := names.Name("", name); err != nil {
		v.Error = "There is no secret with that name."
		h.render(w, r, http.StatusNotFound, "error", v)
		return
	}
	s, err := h.m.Get(ctx, u.p.Namespace, name)
	if err != nil {
		v.Error = h.opError(r, "see this secret", name, err)
		h.render(w, r, statusOf(err), "error", v)
		return
	}
	row := h.row(s)
	v.Title = "Secret " + s.Name
	v.Secret = &row
	v.Resetting = strings.HasSuffix(r.URL.Path, "/reset") && v.CanUpdate
	v.K6Snippet = k6Snippet(s.Name)
	v.RunLine = "strongbox run --names " + s.Name + " -- k6 run script.js"
	if v.Form == nil || v.FormFor != "edit" || v.Form.Name != s.Name {
		// Show the secret as stored; keep the errors of a reset.
		fresh := &formState{Name: s.Name, Description: s.Description, Labels: row.LabelsText, Decrypters: row.DecryptersText,
			KeepVersions: strconv.Itoa(s.KeepVersions)}
		if v.Form != nil && v.Form.Name == s.Name {
			fresh.Errors = v.Form.Errors
		}
		v.Form = fresh
	}
	h.history(ctx, r, v, s.Name)
	h.render(w, r, http.StatusOK, "detail", v)
}

// k6Snippet is the script that reads a secret in a k6 test.
func k6Snippet(name string) string {
	return "import secrets from 'k6/secrets';\n\n" +
		"export default async function () {\n" +
		"  const value = await secrets.get('" + name + "');\n" +
		"  // use value in a request header or body; k6 redacts it from the logs\n" +
		"}\n"
}

// secretName reads and checks the {name} of a post's path.
func (h *handler) secretName(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if names.Name("", name) != nil {
		h.fail(w, r, http.StatusNotFound, "There is no secret with that name.")
		return "", false
	}
	return name, true
}

func formRevision(r *http.Request) int64 {
	n, err := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func (h *handler) edit(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	st := &formState{Name: name, Description: f.Get(fieldDescription), Labels: f.Get(fieldLabels), Decrypters: f.Get(fieldDecrypters),
		KeepVersions: f.Get(fieldKeep)}
	back := "/s/" + name
	if err := secrets.Validate(secrets.Spec{Description: st.Description}); err != nil {
		st.addError(fieldDescription, ruleMessage(err))
	}
	labels, msg := parseLabels(st.Labels)
	if msg != "" {
		st.addError(fieldLabels, msg)
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	var decrypters []string
	var keep int
	if f.Has(fieldKeep) {
		if keep, msg = parseKeep(st.KeepVersions); msg != "" {
			st.addError(fieldKeep, msg)
		}
	}
	if f.Has(fieldDecrypters) {
		if decrypters, msg = parseDecrypters(st.Decrypters); msg != "" {
			st.addError(fieldDecrypters, msg)
		}
	}
	if !f.Has(fieldDecrypters) || !f.Has(fieldKeep) {
		// The form had no decrypters field (the caller may not change
		// them) or no kept-versions field (a form of before value
		// history): keep the current ones, since Update sets both.
		cur, err := h.m.Get(ctx, u.p.Namespace, name)
		if err != nil {
			h.done(w, r, u, &flash{Error: h.opError(r, "edit "+name, name, err)}, back)
			return
		}
		if !f.Has(fieldDecrypters) {
			decrypters = cur.Decrypters
			st.Decrypters = strings.Join(cur.Decrypters, "\n")
		}
		if !f.Has(fieldKeep) {
			keep = cur.KeepVersions
			st.KeepVersions = strconv.Itoa(keep)
		}
	}
	rev := formRevision(r)
	if rev < 1 {
		st.addError(fieldDescription, "The form is missing the secret's revision; reload the page.")
	}
	if len(st.Errors) > 0 {
		h.done(w, r, u, &flash{Form: st, FormFor: "edit", Error: "The changes were not saved: correct the fields marked below."}, back)
		return
	}
	_, err := h.m.Update(ctx, u.p.Namespace, &secrets.Secret{
		Name: name, Description: st.Description, Labels: labels, Decrypters: decrypters, Revision: rev, KeepVersions: keep,
	})
	if err != nil {
		fl := &flash{Error: h.opError(r, "edit "+name, name, err)}
		if !errors.Is(err, secrets.ErrConflict) {
			fl.Form, fl.FormFor = st, "edit"
		}
		h.done(w, r, u, fl, back)
		return
	}
	h.done(w, r, u, &flash{Notice: "Changes to " + name + " saved."}, back)
}

func (h *handler) reset(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	value := secrets.NewValue(r.PostForm.Get(fieldValue))
	if err := secrets.ValidateValue(value); err != nil {
		st := &formState{Name: name}
		st.addError(fieldValue, ruleMessage(err))
		h.done(w, r, u, &flash{Form: st, FormFor: "reset", Error: "The value was not changed: correct the field marked below."}, "/s/"+name+"/reset")
		return
	}
	rev := formRevision(r)
	if rev < 0 {
		rev = 0
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	s, err := h.m.Reset(ctx, u.p.Namespace, name, value, rev)
	if err != nil {
		h.done(w, r, u, &flash{Error: h.opError(r, "reset "+name, name, err) + " The value was not changed."}, "/s/"+name)
		return
	}
	h.done(w, r, u, &flash{Notice: "Secret " + name + " has a new value (version " + strconv.FormatInt(s.Version, 10) + ")."}, "/s/"+name)
}

func (h *handler) revokePage(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	v := h.newView(ctx, u, "Revoke "+name)
	s, err := h.m.Get(ctx, u.p.Namespace, name)
	if err != nil {
		v.Error = h.opError(r, "see this secret", name, err)
		h.render(w, r, statusOf(err), "error", v)
		return
	}
	row := h.row(s)
	v.Secret = &row
	h.render(w, r, http.StatusOK, "revoke", v)
}

func (h *handler) revoke(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	rev := formRevision(r)
	if rev < 0 {
		rev = 0
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	if _, err := h.m.Revoke(ctx, u.p.Namespace, name, rev); err != nil {
		h.done(w, r, u, &flash{Error: h.opError(r, "revoke "+name, name, err)}, "/s/"+name)
		return
	}
	h.done(w, r, u, &flash{Notice: "The value of " + name + " is revoked. Reset it to give it a new value."}, "/s/"+name)
}

// deleteWord is what the user types to confirm a deletion.
const deleteWord = "Delete"

func (h *handler) deletePage(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	v := h.newView(r.Context(), u, "Delete "+name)
	v.Secret = &secretRow{Name: name, Path: "/s/" + name}
	h.render(w, r, http.StatusOK, "delete", v)
}

func (h *handler) deleteSecret(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get(fieldConfirm) != deleteWord {
		st := &formState{Name: name}
		st.addError(fieldConfirm, "Type Delete (with a capital D) to confirm.")
		h.done(w, r, u, &flash{Form: st, FormFor: "delete", Error: "The secret was not deleted."}, "/s/"+name+"/delete")
		return
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	if err := h.m.Delete(ctx, u.p.Namespace, name, 0); err != nil {
		h.done(w, r, u, &flash{Error: h.opError(r, "delete "+name, name, err)}, "/")
		return
	}
	h.done(w, r, u, &flash{Notice: "Secret " + name + " deleted."}, "/")
}

// Templates.

var pageNames = []string{"error", "signin", "signedin", "list", "create", "detail", "revoke", "delete", "destroy"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"errorFor": func(f *formState, field string) string { return f.errorFor(field) },
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+n+".html")
		if err != nil {
			return nil, err
		}
		pages[n] = t
	}
	return pages, nil
}
