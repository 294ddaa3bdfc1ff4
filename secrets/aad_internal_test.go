package secrets

import "testing"

// TestAssociatedDataVector pins the associated-data format: every stored
// ciphertext was bound with these bytes, so they never change.
func TestAssociatedDataVector(t *testing.T) {
	tests := []struct {
		ns, name string
		version  int64
		valueID  string
		want     string
	}{
		{"team-a", "db-password", 1, "00112233445566778899aabbccddeeff",
			"strongbox/aad/v1\x00team-a\x00db-password\x001\x0000112233445566778899aabbccddeeff"},
		{"n", "x", 1234567890123, "ff", "strongbox/aad/v1\x00n\x00x\x001234567890123\x00ff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(associatedData(tt.ns, tt.name, tt.version, tt.valueID)); got != tt.want {
				t.Errorf("associatedData = %q, want %q", got, tt.want)
			}
		})
	}
}
