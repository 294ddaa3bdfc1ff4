package runtoken_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// strictCases are signed payloads whose member names or values the format
// does not allow: each must be refused as ErrMalformed.
func strictCases(now time.Time) map[string]string {
	iat, exp := now.Unix(), now.Add(time.Hour).Unix()
	rest := fmt.Sprintf(`"sub":"k6-runner","iat":%d,"exp":%d`, iat, exp)
	return map[string]string{
		// Case variants (encoding/json matches names case-insensitively).
		"upper-case member":          fmt.Sprintf(`{"JTI":%q,"ns":"team-a",%s}`, testID, rest),
		"mixed-case member":          fmt.Sprintf(`{"jti":%q,"Ns":"team-a",%s}`, testID, rest),
		"case variant beside member": fmt.Sprintf(`{"jti":%q,"ns":"team-a","NS":"team-b",%s}`, testID, rest),
		"case variant of names":      fmt.Sprintf(`{"jti":%q,"ns":"team-a","names":["a"],"NAMES":["a","b"],%s}`, testID, rest),
		"unicode case fold":          fmt.Sprintf(`{"jti":%q,"ns":"team-a","\u017fub":"k6-runner","iat":%d,"exp":%d}`, testID, iat, exp),
		"escaped unicode case fold":  fmt.Sprintf(`{"jti":%q,"ns":"team-a","\\u017fub":"k6-runner","iat":%d,"exp":%d}`, testID, iat, exp),
		// Duplicates (encoding/json keeps the last).
		"duplicate member":         fmt.Sprintf(`{"jti":%q,"ns":"team-a","ns":"team-b",%s}`, testID, rest),
		"duplicate through escape": fmt.Sprintf(`{"jti":%q,"ns":"team-a","n\u0073":"team-b",%s}`, testID, rest),
		"duplicate names":          fmt.Sprintf(`{"jti":%q,"ns":"team-a","names":["a"],"names":["a","b"],%s}`, testID, rest),
		"duplicate exp":            fmt.Sprintf(`{"jti":%q,"ns":"team-a",%s,"exp":%d}`, testID, rest, exp+3600),
		// Members the format does not have.
		"unknown member":                  fmt.Sprintf(`{"jti":%q,"ns":"team-a","admin":true,%s}`, testID, rest),
		"trailing data":                   fmt.Sprintf(`{"jti":%q,"ns":"team-a",%s}{}`, testID, rest),
		"not an object":                   `[1,2]`,
		"lone surrogate":                  fmt.Sprintf(`{"jti":%q,"ns":"team-a","names":["a\ud800"],%s}`, testID, rest),
		"lone surrogate in a member name": fmt.Sprintf(`{"jti":%q,"ns":"team-a","\ud800":1,%s}`, testID, rest),
		"deeply nested":                   fmt.Sprintf(`{"jti":%q,"ns":"team-a","names":%s,%s}`, testID, strings.Repeat("[", 100)+strings.Repeat("]", 100), rest),
		"invalid UTF-8":                   fmt.Sprintf(`{"jti":%q,"ns":"team-a","names":["a`+"\xff"+`"],%s}`, testID, rest),
		"fractional time":                 fmt.Sprintf(`{"jti":%q,"ns":"team-a","sub":"k6-runner","iat":%d.5,"exp":%d}`, testID, iat, exp),
		"negative time":                   fmt.Sprintf(`{"jti":%q,"ns":"team-a","sub":"k6-runner","iat":-1,"exp":%d}`, testID, exp),
		"time past 9999":                  fmt.Sprintf(`{"jti":%q,"ns":"team-a","sub":"k6-runner","iat":%d,"exp":9223372036854775807}`, testID, iat),
	}
}

// TestClaimsCaseVariantRefused: claim members are matched exactly; one
// that differs from the format's names only in case (ASCII or Unicode
// folding), alone or beside the real one, is refused.
func TestClaimsCaseVariantRefused(t *testing.T) {
	testStrict(t, "case")
}

// TestClaimsDuplicateRefused: a claim member given twice (literally or
// through an escape) is refused, not resolved to the last value.
func TestClaimsDuplicateRefused(t *testing.T) {
	testStrict(t, "duplicate")
}

// TestClaimsStrict: the other strict rules: unknown members, trailing
// data, invalid escapes and UTF-8, times that are not whole seconds in
// range.
func TestClaimsStrict(t *testing.T) {
	testStrict(t, "")
}

func testStrict(t *testing.T, kind string) {
	ctx := context.Background()
	c := newClock()
	v := testVerifier(t, c, runtoken.VerifierOptions{})
	// The baseline is accepted, so the cases fail for their own reason.
	if _, err := v.Verify(ctx, signedToken(claimsJSON(c.Now(), time.Hour))); err != nil {
		t.Fatalf("valid payload: %v", err)
	}
	n := 0
	for name, payload := range strictCases(c.Now()) {
		isCase, isDup := strings.Contains(name, "case"), strings.Contains(name, "duplicate")
		if kind == "case" && !isCase || kind == "duplicate" && !isDup || kind == "" && (isCase || isDup) {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(ctx, signedToken(payload))
			if !errors.Is(err, runtoken.ErrMalformed) {
				t.Fatalf("Verify: err = %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), "team-b") || strings.Contains(err.Error(), "k6-runner") {
				t.Errorf("error quotes the claims: %v", err)
			}
		})
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

// FuzzClaims signs arbitrary payloads with a known key, so the claims
// decoding is what the fuzzer reaches. No input panics; every refusal
// matches ErrInvalidToken and does not quote the payload; what is accepted
// is one JSON object whose members are spelled exactly as the format
// says, and its claims survive a round trip through the canonical form.
func FuzzClaims(f *testing.F) {
	c := newClock()
	now := c.Now()
	f.Add(claimsJSON(now, time.Hour))
	f.Add(fmt.Sprintf(`{"jti":%q,"ns":"ns","sub":"run","iat":%d,"exp":%d}`, testID, now.Unix(), now.Add(time.Minute).Unix()))
	f.Add(fmt.Sprintf(`{"jti":%q,"ns":"ns","sub":"run","names":["a","b"],"iat":%d,"exp":%d}`, testID, now.Unix(), now.Add(time.Minute).Unix()))
	for _, p := range strictCases(now) {
		f.Add(p)
	}
	f.Add(`{}`)
	f.Add(`{"jti":"\u0041AAAAAAAAAAAAAAAAAAAAA"}`)
	v := testVerifier(f, c, runtoken.VerifierOptions{})
	allowed := map[string]bool{"jti": true, "ns": true, "sub": true, "names": true, "iat": true, "exp": true}
	f.Fuzz(func(t *testing.T, payload string) {
		got, err := v.Verify(context.Background(), signedToken(payload))
		if err != nil {
			if !errors.Is(err, runtoken.ErrInvalidToken) {
				t.Fatalf("Verify error does not match ErrInvalidToken: %v", err)
			}
			if len(payload) > 8 && strings.Contains(err.Error(), payload) {
				t.Fatal("error quotes the payload")
			}
			return
		}
		if !utf8.ValidString(payload) {
			t.Fatal("accepted invalid UTF-8")
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal([]byte(payload), &members); err != nil {
			t.Fatalf("accepted a payload encoding/json refuses: %v", err)
		}
		for name := range members {
			if !allowed[name] {
				t.Fatalf("accepted member %q", name)
			}
		}
		canon := map[string]any{"jti": got.ID, "ns": got.Namespace, "sub": got.Subject, "iat": got.IssuedAt.Unix(), "exp": got.Expiry.Unix()}
		if got.Names != nil {
			canon["names"] = got.Names
		}
		js, err := json.Marshal(canon)
		if err != nil {
			t.Fatal(err)
		}
		again, err := v.Verify(context.Background(), signedToken(string(js)))
		if err != nil {
			t.Fatalf("canonical form of accepted claims refused: %v", err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("claims change through the canonical form (-first +again):\n%s", diff)
		}
	})
}
