package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/strictjson"
	"github.com/strongbox-go/strongbox/secrets"
)

// createBody is the body of POST .../secrets. The value is write-only: no
// response ever holds it.
type createBody struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Labels      map[string]string `json:"labels"`
	// Decrypters absent or null: the Manager's default; []: nobody.
	Decrypters []string `json:"decrypters"`
	Value      string   `json:"value"`
	// KeepVersions absent or null: the Manager's default
	// (secrets.Options.KeepVersions); 0 to secrets.MaxKeepVersions: how
	// many earlier values the secret keeps.
	KeepVersions *int `json:"keepVersions,omitempty"`
}

func (b *createBody) spec() secrets.Spec {
	return secrets.Spec{Name: b.Name, Description: b.Description, Labels: b.Labels,
		Decrypters: b.Decrypters, Value: secrets.NewValue(b.Value), KeepVersions: b.KeepVersions}
}

// updateBody is the body of PUT .../secrets/{name}: it replaces
// description, labels and decrypters, and keepVersions when given (absent
// or null keeps the secret's: a client that predates value history must
// not drop the kept values by leaving it out). Revision may stand in for
// If-Match.
type updateBody struct {
	Description  string            `json:"description"`
	Labels       map[string]string `json:"labels"`
	Decrypters   []string          `json:"decrypters"`
	KeepVersions *int              `json:"keepVersions,omitempty"`
	Revision     int64             `json:"revision"`
}

// resetBody is the body of POST .../secrets/{name}/reset.
type resetBody struct {
	Value string `json:"value"`
}

// decode reads a JSON object of at most maxBody bytes into v.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	// The body may hold a value: wipe our copy once decoded.
	defer clear(body)
	return decodeJSON(body, v)
}

// decodeEmpty accepts an empty body or an empty JSON object.
func (h *Handler) decodeEmpty(w http.ResponseWriter, r *http.Request) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	defer clear(body)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeJSON(body, &struct{}{})
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, apiError(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "send application/json")
		}
	}
	tooLarge := apiError(http.StatusRequestEntityTooLarge, codeTooLarge,
		"request body exceeds "+strconv.FormatInt(h.maxBody, 10)+" bytes")
	if r.ContentLength > h.maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		clear(body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, apiError(http.StatusBadRequest, codeInvalid, "could not read the request body")
	}
	return body, nil
}

// decodeJSON decodes one JSON object into v with internal/strictjson: valid
// UTF-8 and escapes (no lone surrogate), no duplicate members, no member
// that differs from the schema (or from another member) only in case, no
// unknown member, nesting at most strictjson.MaxDepth, nothing after the
// object. A refused body changes nothing: it is refused before the Manager
// is called. Its errors never quote the body, which may hold a value.
func decodeJSON(body []byte, v any) error {
	bad := func(msg string) error { return apiError(http.StatusBadRequest, codeInvalid, msg) }
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return bad("request body is empty; send a JSON object")
	case !utf8.Valid(body):
		return bad("request body is not valid UTF-8")
	case trimmed[0] != '{':
		return bad("request body must be a JSON object")
	}
	if err := strictjson.Decode(body, v); err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			// Its message gives an offset, a reason and at most a
			// member name of the schema: never the body's text.
			return bad("request body refused: " + se.Error())
		}
		return bad("request body is not valid JSON")
	}
	return nil
}
