package secrets

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	labels := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m["k"+string(rune('a'+i))] = "v"
		}
		return m
	}
	tests := []struct {
		name    string
		err     error
		wantErr bool
		msg     string // a substring the message must hold
	}{
		{"name ok", validateName("api-key_2"), false, ""},
		{"name max", validateName(long(253)), false, ""},
		{"name empty", validateName(""), true, "1 to 253"},
		{"name too long", validateName(long(254)), true, "limit is 253"},
		{"name dot", validateName("a.b"), true, "position 2"},
		{"name space", validateName("a b"), true, "position 2"},
		{"name nul", validateName("a\x00"), true, "position 2"},
		{"namespace ok", validateNamespace("team-1"), false, ""},
		{"namespace slash", validateNamespace("a/b"), true, "namespace"},
		{"description empty ok", validateDescription(""), false, ""},
		{"description 253 runes", validateDescription(strings.Repeat("é", 253)), false, ""},
		{"description 254", validateDescription(long(254)), true, "limit is 253"},
		{"description bad utf8", validateDescription("\xff"), true, "UTF-8"},
		{"labels 10", validateLabels(labels(10)), false, ""},
		{"labels 11", validateLabels(labels(11)), true, "limit is 10"},
		{"label key 63", validateLabels(map[string]string{long(63): "v"}), false, ""},
		{"label key 64", validateLabels(map[string]string{long(64): "v"}), true, "limit is 63"},
		{"label value 64", validateLabels(map[string]string{"k": long(64)}), true, "limit is 63"},
		{"label empty key", validateLabels(map[string]string{"": "v"}), true, "empty"},
		{"label empty value ok", validateLabels(map[string]string{"k": ""}), false, ""},
		{"label key comma", validateLabels(map[string]string{"a,b": "v"}), true, "character"},
		{"label value equals", validateLabels(map[string]string{"k": "a=b"}), true, "character"},
		{"decrypters ok", validateDecrypters([]string{"k6-runner", "svc:ns/runner@x"}), false, ""},
		{"decrypters dup", validateDecrypters([]string{"a", "a"}), true, "decrypters 1 and 2 are the same"},
		{"decrypters empty id", validateDecrypters([]string{""}), true, "1 to 253"},
		{"decrypters 65", validateDecrypters(make([]string, 65)), true, "limit is 64"},
		{"value ok", ValidateValue(NewValue("x")), false, ""},
		{"value max", ValidateValue(NewValue(long(MaxValueBytes))), false, ""},
		{"value empty", ValidateValue(NewValue("")), true, "empty"},
		{"value too big", ValidateValue(NewValue(long(MaxValueBytes + 1))), true, "limit is 24576"},
		{"value binary", ValidateValue(NewValue("ok\xffsecret")), true, "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", tc.err, tc.wantErr)
			}
			if tc.err == nil {
				return
			}
			if !errors.Is(tc.err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", tc.err)
			}
			if !strings.Contains(tc.err.Error(), tc.msg) {
				t.Errorf("message %q does not contain %q", tc.err, tc.msg)
			}
		})
	}
}

func TestValidateValueNeverEchoes(t *testing.T) {
	for _, v := range []string{"Qv7hunter\xff\xfe-value", strings.Repeat("Zq9", MaxValueBytes)} {
		err := ValidateValue(NewValue(v))
		if err == nil {
			t.Fatal("want an error")
		}
		if strings.Contains(err.Error(), "Qv7hunter") || strings.Contains(err.Error(), "Zq9") {
			t.Fatalf("error echoes the value: %v", err)
		}
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"  ", map[string]string{}, false},
		{"env=prod", map[string]string{"env": "prod"}, false},
		{"env=prod,team=checkout", map[string]string{"env": "prod", "team": "checkout"}, false},
		{" env = prod , team=checkout ", map[string]string{"env": "prod", "team": "checkout"}, false},
		{"env=", map[string]string{"env": ""}, false},
		{"env=prod,env=prod", map[string]string{"env": "prod"}, false},
		{"env=prod,env=dev", nil, true},
		{"env", nil, true},
		{"=prod", nil, true},
		{"env=prod,", nil, true},
		{"env=a=b", nil, true},
		{"a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1,k=1", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSelector(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseSelector(%q) err = %v, want error: %v", tc.in, err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v is not ErrInvalid", err)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSelector(%q) (-want +got):\n%s", tc.in, diff)
			}
			if back, err := ParseSelector(FormatSelector(got)); err != nil || !cmp.Equal(back, got) {
				t.Errorf("FormatSelector does not round-trip: %v %v", back, err)
			}
		})
	}
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", "env=prod", "env=prod,team=checkout", "a=,b=c", "=", ",", "k=v=w", "\xff=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSelector(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if err := validateLabels(got); err != nil {
			t.Fatalf("selector %q parsed to invalid labels: %v", s, err)
		}
		back, err := ParseSelector(FormatSelector(got))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", FormatSelector(got), err)
		}
		if !cmp.Equal(back, got) {
			t.Fatalf("round trip (-want +got):\n%s", cmp.Diff(got, back))
		}
	})
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "api-key", "a.b", "", strings.Repeat("x", 254), "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validateName(s)
		ok := len(s) >= 1 && len(s) <= maxNameLength && firstBadByte(s, isNameByte) < 0
		if (err == nil) != ok {
			t.Fatalf("validateName(%q) = %v, want ok=%v", s, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error is not ErrInvalid: %v", err)
		}
	})
}

// TestValidateChecksSetFields: Validate, the one entry point for fields,
// checks each field that is set and names the field in its error.
func TestValidateChecksSetFields(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string // "" for valid; else the start of the message
	}{
		{"empty spec", Spec{}, ""},
		{"whole spec", Spec{Name: "db", Description: "d", Labels: map[string]string{"env": "prod"}, Decrypters: []string{"k6"}, Value: NewValue("v")}, ""},
		{"name", Spec{Name: "a b"}, "name has a character"},
		{"description", Spec{Description: "\xff"}, "description is not valid UTF-8"},
		{"labels", Spec{Labels: map[string]string{"": "v"}}, "a label key is empty"},
		{"decrypters", Spec{Decrypters: []string{"a", "a"}}, "decrypters 1 and 2"},
		{"empty decrypters ok", Spec{Decrypters: []string{}}, ""},
		{"value", Spec{Value: NewValue("\xff")}, "value is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.spec)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %q, want it to name %q", err, tt.want)
			}
		})
	}
}
