package webui

import (
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/secrets"
)

// Form field names, which are also the keys of fieldErrors.
const (
	fieldName        = "name"
	fieldDescription = "description"
	fieldValue       = "value"
	fieldLabels      = "labels"
	fieldDecrypters  = "decrypters"
	fieldKeep        = "keepVersions"
	fieldConfirm     = "confirm"
	fieldSelector    = "selector"
)

// fieldLabel is how an error message names each field, matching the
// field's visible label.
var fieldLabel = map[string]string{
	fieldName:        "Name",
	fieldDescription: "Description",
	fieldValue:       "Value",
	fieldLabels:      "Labels",
	fieldDecrypters:  "Decrypters",
	fieldKeep:        "Kept versions",
	fieldConfirm:     "Confirmation",
	fieldSelector:    "Label filter",
}

// maxLabelsText is the most the labels box can hold: 10 lines of
// key=value at the longest, with their newlines (CRLF, as browsers send).
const maxLabelsText = names.MaxLabels*(names.MaxLabelKeyLength+1+names.MaxLabelValueLength+2) - 2

// maxDecryptersText bounds the decrypters box the same way.
const maxDecryptersText = names.MaxDecrypters * (names.MaxDecrypterLength + 2)

// formState is what a create or edit form showed, to render it again after
// an error. It never holds the value: the value field is always empty when
// a form is shown again.
type formState struct {
	Name        string
	Description string
	Labels      string
	Decrypters  string
	// KeepVersions is the edit form's "Kept versions" field as typed.
	KeepVersions string
	Errors       map[string]string
}

// errorFor returns the message for one field, or "".
func (f *formState) errorFor(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

func (f *formState) addError(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if _, dup := f.Errors[field]; !dup {
		f.Errors[field] = msg
	}
}

// fieldErrors returns the errors in the order the fields appear.
func (f *formState) fieldErrors() []fieldError {
	if f == nil {
		return nil
	}
	var out []fieldError
	for _, k := range []string{fieldName, fieldDescription, fieldValue, fieldLabels, fieldDecrypters, fieldKeep, fieldConfirm, fieldSelector} {
		if m, ok := f.Errors[k]; ok {
			out = append(out, fieldError{Field: k, Label: fieldLabel[k], Message: m})
		}
	}
	return out
}

type fieldError struct{ Field, Label, Message string }

// ruleMessage turns a validation error of package secrets into a sentence
// for the page: its message without the operation, capitalised. The
// library's messages name fields and limits, never the input.
func ruleMessage(err error) string {
	var e *errcode.Error
	msg := "is not valid"
	if errors.As(err, &e) && e.Msg != "" {
		msg = e.Msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:] + "."
}

// parseLabels reads the labels box: one key=value per line, blank lines
// ignored, spaces around keys and values trimmed. It checks the syntax of
// the box; the label rules are secrets.Validate's. Messages give the
// line, never its text.
func parseLabels(text string) (map[string]string, string) {
	labels := map[string]string{}
	if len(text) > maxLabelsText {
		return nil, fmt.Sprintf("The labels have %d characters; the limit is %d (%d labels of %d+%d characters).", len(text), maxLabelsText, names.MaxLabels, names.MaxLabelKeyLength, names.MaxLabelValueLength)
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Sprintf("Line %d has no '='; write one label per line as key=value.", i+1)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, dup := labels[k]; dup {
			return nil, fmt.Sprintf("Line %d repeats a key of an earlier line.", i+1)
		}
		labels[k] = v
	}
	if err := secrets.Validate(secrets.Spec{Labels: labels}); err != nil {
		return nil, ruleMessage(err)
	}
	return labels, ""
}

// formatLabels is the inverse of parseLabels, keys sorted.
func formatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(k + "=" + labels[k])
	}
	return b.String()
}

// parseDecrypters reads the decrypters box: service identities separated
// by newlines or commas. An empty box gives an empty, non-nil list.
func parseDecrypters(text string) ([]string, string) {
	if len(text) > maxDecryptersText {
		return nil, fmt.Sprintf("The decrypters have %d characters; the limit is %d.", len(text), maxDecryptersText)
	}
	ids := []string{}
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			ids = append(ids, f)
		}
	}
	if err := secrets.Validate(secrets.Spec{Decrypters: ids}); err != nil {
		return nil, ruleMessage(err)
	}
	return ids, ""
}

// parseKeep reads the "Kept versions" field: a whole number from 0 to
// secrets.MaxKeepVersions, spaces around it ignored.
func parseKeep(text string) (int, string) {
	t := strings.TrimSpace(text)
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > secrets.MaxKeepVersions || strconv.Itoa(n) != t {
		return 0, fmt.Sprintf("Kept versions must be a whole number from 0 to %d.", secrets.MaxKeepVersions)
	}
	return n, ""
}
