package leakcheck

import (
	"fmt"
	"testing"
)

type leaksJSON struct{ Key string }

func (leaksJSON) String() string { return "[REDACTED]" }

type hidesAll struct{ key string }

func (hidesAll) String() string                 { return "[REDACTED]" }
func (h hidesAll) GoString() string             { return h.String() }
func (h hidesAll) Format(f fmt.State, _ rune)   { fmt.Fprint(f, h.String()) }
func (h hidesAll) MarshalText() ([]byte, error) { return []byte(h.String()), nil }
func (h hidesAll) MarshalJSON() ([]byte, error) { return []byte(`"[REDACTED]"`), nil }

type leaksThroughPointer struct{ key string }

func (l *leaksThroughPointer) String() string { return l.key }

func TestCheckRenderings(t *testing.T) {
	const secret = "s3cr3t-key-material"
	for _, tc := range []struct {
		name  string
		v     any
		fails bool
	}{
		{"json shows field", leaksJSON{Key: secret}, true},
		{"pointer receiver String", leaksThroughPointer{key: secret}, true},
		{"hides every form", hidesAll{key: secret}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeTB{TB: t}
			CheckRenderings(fake, tc.v, secret)
			if got := fake.errors > 0; got != tc.fails {
				t.Errorf("CheckRenderings reported %d errors, want failure=%v", fake.errors, tc.fails)
			}
		})
	}
}
