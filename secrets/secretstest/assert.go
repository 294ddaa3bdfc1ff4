package secretstest

import (
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/redact"
)

// AssertNoSecrets reports a test error (t.Errorf, the test goes on) for
// every place where output holds one of values, as it is or in any encoded
// form package redact knows and redacts (JSON and Go quoting, URL query
// and path escaping, HTML, standard and URL-safe base64 at every
// alignment, and single lines of a multi-line value; see redact.Variant).
// Each report names the value by its position in values, the form and the
// byte offset, never the value or the text around it, so a failing test
// leaks nothing into its log. Occurrences are reported in the order of
// their offsets, the first ten of them one by one.
//
// A value that is empty or only white space cannot be told apart from
// ordinary text: an empty value is itself reported as an error (it is
// usually a value the test forgot to fetch), and a white-space one is
// looked for only as it is.
//
// A short value matches more text by chance; use values of at least 8
// random characters, as real secrets are.
func AssertNoSecrets[T ~string | ~[]byte](t testing.TB, output T, values ...string) {
	t.Helper()
	r := redact.New(redact.Options{})
	index := map[string]int{} // value -> first position in values
	for i, v := range values {
		switch {
		case v == "":
			t.Errorf("secretstest.AssertNoSecrets: values[%d] is empty: there is nothing to look for", i)
			continue
		case strings.TrimSpace(v) == "":
			if at := strings.Index(string(output), v); at >= 0 {
				t.Errorf("secretstest.AssertNoSecrets: output holds values[%d] (white space) at byte %d", i, at)
			}
			continue
		}
		if _, ok := index[v]; !ok {
			index[v] = i
		}
		r.Add(v)
	}
	if len(index) == 0 {
		return
	}
	byID := map[int]int{} // redactor's secret ID -> position in values
	for v, i := range index {
		if id, ok := r.ID(v); ok {
			byID[id] = i
		}
	}
	leaks := r.Scan([]byte(output))
	for n, l := range leaks {
		if n == maxReports {
			t.Errorf("secretstest.AssertNoSecrets: and %d more occurrences", len(leaks)-n)
			break
		}
		t.Errorf("secretstest.AssertNoSecrets: output holds values[%d] in its %s form at byte %d (%d bytes)",
			byID[l.SecretID], l.Variant, l.Offset, l.Length)
	}
}

// maxReports bounds the errors one AssertNoSecrets call reports.
const maxReports = 10
