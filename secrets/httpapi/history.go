package httpapi

// The value-history routes: versions, rollback, destroy, and the pinned
// reference (name@N) of the decrypt route.

import (
	"context"
	"github.com/strongbox-go/strongbox/internal/names"
	"net/http"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
)

// versionsResponse is the body of GET .../versions: newest first, metadata
// only.
type versionsResponse struct {
	Versions []secrets.Version `json:"versions"`
}

// versionBody is the body of POST .../rollback and .../destroy. Revision
// may stand in for If-Match; 0 (absent) means the current one.
type versionBody struct {
	Version  int64 `json:"version"`
	Revision int64 `json:"revision,omitempty"`
}

// refMessage says what a pinned reference looks like.
const refMessage = `the secret must be named NAME or NAME@VERSION: a name, "@" and a version number of 1 or more without sign or leading zeros (e.g. api-key@3)`

// decryptRef reads the {name} of the decrypt route, which may pin a
// version: "api-key@3" is version 3 of api-key (the name@N syntax; names
// cannot hold '@', so the form is unambiguous). It returns the name for
// the run-token scope check, the request event and error messages (as
// safeInput would for a name), and the version, 0 for none. A malformed
// reference ("api-key@", "@3", "api-key@03", "api-key@0", "a@1@2") gives
// a 400 error, which handle sends to a run token in its namespace (it may
// decrypt, so the Manager would say invalid too) rather than claim the
// token does not cover an unreadable name; other callers get the
// Manager's own answer. handle calls it only for names with '@': the
// common case costs one scan.
func decryptRef(raw string) (name string, version int64, err error) {
	if !strings.Contains(raw, "@") {
		return safeInput("name", raw), 0, nil
	}
	n, v, perr := names.ParseRef(raw)
	if perr != nil || v < 1 || names.Name("", n) != nil {
		return safeInput("name", raw), 0, apiError(http.StatusBadRequest, codeInvalid, refMessage)
	}
	return n, v, nil
}

// versionRequest reads the body of rollback and destroy, and the revision
// from it or If-Match (which must agree when both are given).
func (h *Handler) versionRequest(w http.ResponseWriter, r *http.Request) (version, revision int64, err error) {
	rev, err := ifMatch(r)
	if err != nil {
		return 0, 0, err
	}
	var body versionBody
	if err := h.decode(w, r, &body); err != nil {
		return 0, 0, err
	}
	switch {
	case body.Version < 1:
		return 0, 0, apiError(http.StatusBadRequest, codeInvalid, "version is required: a version number of 1 or more, as listed by GET .../versions")
	case body.Revision < 0:
		return 0, 0, apiError(http.StatusBadRequest, codeInvalid, "revision must be positive, or absent for the current one")
	case rev != 0 && body.Revision != 0 && rev != body.Revision:
		return 0, 0, apiError(http.StatusBadRequest, codeInvalid, "If-Match and revision disagree")
	case rev == 0:
		rev = body.Revision
	}
	stateOf(r).version = body.Version
	return body.Version, rev, nil
}

func (h *Handler) versions(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	vs, err := h.m.Versions(ctx, r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []secrets.Version{}
	}
	writeJSON(w, http.StatusOK, versionsResponse{Versions: vs})
	return nil
}

func (h *Handler) rollback(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	version, rev, err := h.versionRequest(w, r)
	if err != nil {
		return err
	}
	s, err := h.m.Rollback(ctx, r.PathValue("namespace"), r.PathValue("name"), version, rev)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, s)
	return nil
}

func (h *Handler) destroy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	version, rev, err := h.versionRequest(w, r)
	if err != nil {
		return err
	}
	stateOf(r).destroy = true
	s, err := h.m.Destroy(ctx, r.PathValue("namespace"), r.PathValue("name"), version, rev)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, s)
	return nil
}

// keepVersions is the KeepVersions an update sets: the body's, or when the
// body leaves it out the secret's own (read here; the update's revision
// guard refuses the write if the secret changed since), since
// Manager.Update sets whatever it is given.
func (h *Handler) keepVersions(ctx context.Context, r *http.Request, given *int) (int, error) {
	if given != nil {
		return *given, nil
	}
	cur, err := h.m.Get(ctx, r.PathValue("namespace"), r.PathValue("name"))
	if errcode.Of(err) == errcode.PermissionDenied {
		// An updater that may not read (the Updater role alone) cannot
		// have its current value looked up: say what to send rather than
		// refuse an update the caller may make.
		return 0, apiError(http.StatusBadRequest, codeInvalid, "send keepVersions: the caller may not read the secret, so its current keepVersions cannot be kept for it")
	}
	if err != nil {
		return 0, err
	}
	return cur.KeepVersions, nil
}
