package httpapi

import (
	"github.com/strongbox-go/strongbox/internal/names"
	"github.com/strongbox-go/strongbox/internal/redactinput"
)

// safeInput returns s when it is a valid name or namespace (letters,
// digits, '-' and '_', see the name rules), and otherwise
// redactinput.Describe's "invalid <field> (len N, hash H)": its length and
// a short hash under a per-process key, never s. Request events, logs and
// error messages use it for every name that came from the request, so a
// newline, an escape sequence or a value pasted into a name never reaches
// them. The empty string stays empty (no name).
func safeInput(field, s string) string {
	if s == "" || names.Name("", s) == nil {
		return s
	}
	return redactinput.Describe(field, s)
}
