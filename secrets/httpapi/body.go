package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

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
}

func (b *createBody) spec() secrets.Spec {
	return secrets.Spec{Name: b.Name, Description: b.Description, Labels: b.Labels,
		Decrypters: b.Decrypters, Value: secrets.NewValue(b.Value)}
}

// updateBody is the body of PUT .../secrets/{name}: it replaces all three
// fields. Revision may stand in for If-Match.
type updateBody struct {
	Description string            `json:"description"`
	Labels      map[string]string `json:"labels"`
	Decrypters  []string          `json:"decrypters"`
	Revision    int64             `json:"revision"`
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
			return nil, apiError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "send application/json")
		}
	}
	tooLarge := apiError(http.StatusRequestEntityTooLarge, CodeTooLarge,
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
		return nil, apiError(http.StatusBadRequest, CodeInvalid, "could not read the request body")
	}
	return body, nil
}

// decodeJSON decodes one JSON object into v, strictly: valid UTF-8, no
// unknown fields, nothing after the object. Its errors never quote the
// body, which may hold a value.
func decodeJSON(body []byte, v any) error {
	bad := func(msg string) error { return apiError(http.StatusBadRequest, CodeInvalid, msg) }
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return bad("request body is empty; send a JSON object")
	case !utf8.Valid(body):
		return bad("request body is not valid UTF-8")
	case trimmed[0] != '{':
		return bad("request body must be a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return bad("request body is not valid JSON (error at byte " + strconv.FormatInt(se.Offset, 10) + ")")
		case errors.As(err, &te) && te.Field != "":
			return bad("field " + strconv.Quote(te.Field) + " must be " + jsonKind(te.Type.String()))
		case errors.As(err, &te):
			return bad("request body has a member of the wrong type")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return bad("request body is truncated JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// Do not echo the member name: a confused client may have put
			// a value there.
			return bad("request body has an unknown member")
		}
		return bad("request body is not valid JSON")
	}
	if _, err := d.Token(); err != io.EOF {
		return bad("request body has data after the JSON object")
	}
	return nil
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "int64":
		return "an integer"
	case strings.HasPrefix(goType, "map["):
		return "an object of strings"
	case strings.HasPrefix(goType, "[]"):
		return "an array of strings"
	}
	return "of another type"
}
