package runtoken_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
)

// testSecret is the HMAC secret of signedToken's key "k1".
var testSecret = []byte("0123456789abcdef0123456789abcdef")

const testID = "AAAAAAAAAAAAAAAAAAAAAA"

// signedToken signs an arbitrary JSON payload as key "k1" would: the
// signature is valid, so only the claims decide.
func signedToken(payload string) string {
	input := runtoken.Prefix + "k1." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// claimsJSON is a valid payload issued at iat living ttl.
func claimsJSON(iat time.Time, ttl time.Duration) string {
	return fmt.Sprintf(`{"jti":%q,"ns":"team-a","sub":"k6-runner","names":["api-key"],"iat":%d,"exp":%d}`,
		testID, iat.Unix(), iat.Add(ttl).Unix())
}

func testVerifier(t testing.TB, c *clock, opts runtoken.VerifierOptions) *runtoken.Verifier {
	t.Helper()
	k, err := runtoken.NewHMACKey("k1", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	opts.Keys = []*runtoken.Key{k}
	opts.Clock = c.Now
	v, err := runtoken.NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifierRefusesOverlongLifetime: a validly signed token living
// longer than the verifier's maximum (24 hours by default) is refused,
// however it was issued; so is one issued in the future beyond the leeway.
func TestVerifierRefusesOverlongLifetime(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	now := c.Now()
	year := 365 * 24 * time.Hour
	for name, tc := range map[string]struct {
		opts    runtoken.VerifierOptions
		payload string
		want    error // nil: accepted
	}{
		"100 years":                {payload: claimsJSON(now.Add(-time.Hour), 100*year), want: runtoken.ErrLifetime},
		"issued long ago":          {payload: claimsJSON(time.Unix(0, 0), time.Duration(now.Unix()+3600)*time.Second), want: runtoken.ErrLifetime},
		"24 hours and a second":    {payload: claimsJSON(now, 24*time.Hour+time.Second), want: runtoken.ErrLifetime},
		"24 hours":                 {payload: claimsJSON(now, 24*time.Hour)},
		"over a custom maximum":    {opts: runtoken.VerifierOptions{MaxLifetime: time.Hour}, payload: claimsJSON(now, time.Hour+time.Second), want: runtoken.ErrLifetime},
		"at a custom maximum":      {opts: runtoken.VerifierOptions{MaxLifetime: time.Hour}, payload: claimsJSON(now, time.Hour)},
		"longer custom maximum":    {opts: runtoken.VerifierOptions{MaxLifetime: 7 * 24 * time.Hour}, payload: claimsJSON(now, 48*time.Hour)},
		"issued beyond the leeway": {payload: claimsJSON(now.Add(31*time.Second), time.Hour), want: runtoken.ErrNotYetValid},
		"issued within the leeway": {payload: claimsJSON(now.Add(30*time.Second), time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			v := testVerifier(t, c, tc.opts)
			_, err := v.Verify(ctx, signedToken(tc.payload))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, runtoken.ErrInvalidToken) {
				t.Fatalf("Verify: err = %v, want %v", err, tc.want)
			}
		})
	}
	// An Issuer whose MaxTTL is longer accepts its own tokens; a default
	// Verifier of the same key does not.
	k, _ := runtoken.NewHMACKey("k1", testSecret)
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: k, Clock: c.Now, MaxTTL: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(ctx, runtoken.Grant{Namespace: "ns", Subject: "run", AllNames: true, TTL: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verifier().Verify(ctx, tok); err != nil {
		t.Errorf("issuer's own 48h token: %v", err)
	}
	if _, err := testVerifier(t, c, runtoken.VerifierOptions{}).Verify(ctx, tok); !errors.Is(err, runtoken.ErrLifetime) {
		t.Errorf("48h token on a default verifier: err = %v, want ErrLifetime", err)
	}
	if _, err := runtoken.NewVerifier(runtoken.VerifierOptions{Keys: []*runtoken.Key{k}, MaxLifetime: -time.Hour}); !errors.Is(err, secrets.ErrInvalid) {
		t.Errorf("negative MaxLifetime: err = %v, want ErrInvalid", err)
	}
}

// TestVerifyErrorCarriesID: every refusal of a token whose signature was
// valid carries its id for the audit (IDFromError); refusals of forged or
// unparseable tokens carry none, and no message contains the id.
func TestVerifyErrorCarriesID(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	now := c.Now()
	valid := signedToken(claimsJSON(now, time.Hour))
	parts := strings.Split(valid, ".")
	for name, tc := range map[string]struct {
		tok    string
		revs   runtoken.RevocationSet
		revoke bool
		want   error
		wantID bool
	}{
		"expired":          {tok: signedToken(claimsJSON(now.Add(-2*time.Hour), time.Hour)), want: runtoken.ErrExpired, wantID: true},
		"not yet valid":    {tok: signedToken(claimsJSON(now.Add(time.Hour), time.Hour)), want: runtoken.ErrNotYetValid, wantID: true},
		"overlong":         {tok: signedToken(claimsJSON(now, 100*time.Hour)), want: runtoken.ErrLifetime, wantID: true},
		"revoked":          {tok: valid, revoke: true, want: runtoken.ErrTokenRevoked, wantID: true},
		"revocations down": {tok: valid, revs: brokenRevs{}, want: secrets.ErrUnavailable, wantID: true},
		"invalid claims": {tok: signedToken(fmt.Sprintf(`{"jti":%q,"ns":"team a","sub":"run","iat":%d,"exp":%d}`, testID, now.Unix(), now.Add(time.Hour).Unix())),
			want: runtoken.ErrMalformed, wantID: true},
		"invalid id":       {tok: signedToken(fmt.Sprintf(`{"jti":"short","ns":"ns","sub":"run","iat":%d,"exp":%d}`, now.Unix(), now.Add(time.Hour).Unix())), want: runtoken.ErrMalformed},
		"duplicate member": {tok: signedToken(fmt.Sprintf(`{"jti":%q,"jti":%q,"ns":"ns","sub":"run","iat":%d,"exp":%d}`, testID, testID, now.Unix(), now.Add(time.Hour).Unix())), want: runtoken.ErrMalformed},
		"bad signature":    {tok: strings.Join([]string{parts[0], parts[1], parts[2], parts[3][:len(parts[3])-2] + "AA"}, "."), want: runtoken.ErrSignature},
		"unknown key":      {tok: strings.Join([]string{parts[0], "k2", parts[2], parts[3]}, "."), want: runtoken.ErrUnknownKey},
		"malformed":        {tok: valid + "=", want: runtoken.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			v := testVerifier(t, c, runtoken.VerifierOptions{Revocations: tc.revs})
			if tc.revoke {
				if err := v.Revoke(ctx, testID, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := v.Verify(ctx, tc.tok)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: err = %v, want %v", err, tc.want)
			}
			id, ok := runtoken.IDFromError(err)
			want := ""
			if tc.wantID {
				want = testID
			}
			if diff := cmp.Diff(want, id); diff != "" || ok != tc.wantID {
				t.Errorf("IDFromError = %q, %v (-want +got):\n%s", id, ok, diff)
			}
			if strings.Contains(err.Error(), testID) {
				t.Errorf("error message contains the token id: %v", err)
			}
		})
	}
	if id, ok := runtoken.IDFromError(errors.New("other")); ok || id != "" {
		t.Errorf("IDFromError(other error) = %q, %v", id, ok)
	}
	if id, ok := runtoken.IDFromError(nil); ok || id != "" {
		t.Errorf("IDFromError(nil) = %q, %v", id, ok)
	}
}
