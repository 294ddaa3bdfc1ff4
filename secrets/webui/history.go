package webui

// The history panel of a secret's page (issue #18): its versions, and
// Rollback and Destroy, posts answered by 303 like every other write.

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// versionRow is one version as the history panel shows it: metadata only,
// never a value.
type versionRow struct {
	Version           int64
	Created           string
	CreatedISO        string
	By                string
	State             string // Current, Kept, Revoked or Destroyed
	Kept              bool   // an earlier value that can still be reached
	Rollback, Destroy bool   // the controls the caller's roles allow
	DestroyPath       string // the confirmation page
	RollbackLabel     string // accessible names of the controls
	DestroyLabel      string
}

// history fills the panel of name's page; an error is shown in the panel
// (the rest of the page stays useful).
func (h *handler) history(ctx context.Context, r *http.Request, v *view, name string) {
	vs, err := h.m.Versions(ctx, v.Namespace, name)
	if err != nil {
		v.HistoryError = h.opError(r, "see the history of "+name, name, err)
		return
	}
	for _, ver := range vs {
		row := versionRow{
			Version: ver.Version, By: ver.CreatedBy,
			Created: ver.CreateTime.UTC().Format("2006-01-02 15:04 UTC"), CreatedISO: ver.CreateTime.UTC().Format(time.RFC3339),
		}
		n := strconv.FormatInt(ver.Version, 10)
		switch {
		case ver.Destroyed:
			row.State = "Destroyed"
		case ver.Revoked:
			row.State = "Revoked"
		case ver.Current:
			row.State = "Current"
		default:
			row.State, row.Kept = "Kept", true
		}
		row.Rollback = row.Kept && v.CanUpdate
		row.Destroy = row.Kept && v.CanDelete
		row.DestroyPath = "/s/" + name + "/destroy?version=" + n
		row.RollbackLabel = "Roll back " + name + " to version " + n
		row.DestroyLabel = "Destroy version " + n + " of " + name
		v.History = append(v.History, row)
	}
}

// formVersion reads the version a rollback or destroy form names: a
// decimal of 1 or more, as the panel writes it.
func formVersion(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 1 && strconv.FormatInt(n, 10) == s
}

// versionError explains a failed rollback or destroy, naming the version.
func (h *handler) versionError(r *http.Request, what, name string, version int64, err error) string {
	n := strconv.FormatInt(version, 10)
	switch secrets.ErrorCode(err) {
	case secrets.ErrNotFound:
		return "Version " + n + " of " + name + " is no longer kept: it fell out of the history, or was revoked or destroyed."
	case secrets.ErrFailedPrecondition:
		return "Version " + n + " is the current value of " + name + ", which Destroy does not remove: revoke it instead."
	}
	return h.opError(r, what, name, err)
}

func (h *handler) rollback(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	back := "/s/" + name
	version, ok := formVersion(r.PostForm.Get("version"))
	if !ok {
		h.done(w, r, u, &flash{Error: "The form is missing the version to roll back to; reload the page."}, back)
		return
	}
	rev := max(formRevision(r), 0)
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	s, err := h.m.Rollback(ctx, u.p.Namespace, name, version, rev)
	if err != nil {
		h.done(w, r, u, &flash{Error: h.versionError(r, "roll back "+name, name, version, err) + " The value was not changed."}, back)
		return
	}
	h.done(w, r, u, &flash{Notice: "Secret " + name + " rolled back to the value of version " + strconv.FormatInt(version, 10) +
		": it is now version " + strconv.FormatInt(s.Version, 10) + "."}, back)
}

func (h *handler) destroyPage(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r.URL.Query().Get("version"))
	if !ok {
		h.fail(w, r, http.StatusNotFound, "There is no such version.")
		return
	}
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	v := h.newView(ctx, u, "Destroy version "+strconv.FormatInt(version, 10)+" of "+name)
	s, err := h.m.Get(ctx, u.p.Namespace, name)
	if err != nil {
		v.Error = h.opError(r, "see this secret", name, err)
		h.render(w, r, statusOf(err), "error", v)
		return
	}
	row := h.row(s)
	v.Secret = &row
	v.DestroyVersion = version
	h.render(w, r, http.StatusOK, "destroy", v)
}

func (h *handler) destroy(w http.ResponseWriter, r *http.Request, u *user) {
	name, ok := h.secretName(w, r)
	if !ok {
		return
	}
	back := "/s/" + name
	version, ok := formVersion(r.PostForm.Get("version"))
	if !ok {
		h.done(w, r, u, &flash{Error: "The form is missing the version to destroy; reload the page."}, back)
		return
	}
	rev := max(formRevision(r), 0)
	ctx := rbac.WithPrincipal(r.Context(), u.p)
	if _, err := h.m.Destroy(ctx, u.p.Namespace, name, version, rev); err != nil {
		h.done(w, r, u, &flash{Error: h.versionError(r, "destroy a version of "+name, name, version, err)}, back)
		return
	}
	h.done(w, r, u, &flash{Notice: "Version " + strconv.FormatInt(version, 10) + " of " + name + " destroyed: its value is gone for good."}, back)
}
