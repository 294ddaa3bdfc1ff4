package fleet

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/strongbox-go/strongbox/storage"
)

// FuzzDecodeRecords: the record decoders (API tokens, the key
// configuration, heartbeats) read store bytes another instance wrote:
// whatever they hold, decoding never panics, and an API-token decoding
// error never quotes the bytes (they hold a digest).
func FuzzDecodeRecords(f *testing.F) {
	f.Add([]byte(`{"id":"aaaaaaaaaaaaaaaa","namespace":"ns","hash":"BwcH"}`))
	f.Add([]byte(`{"primary":"k1","keks":[{"id":"k1"},{"id":"k2","url":"awskms://x","retired":true}]}`))
	f.Add([]byte(`{"primary":"k1","primarySince":"2026-01-01T00:00:00Z","held":["k1"]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := decodeToken(&storage.Record{Kind: kindAPIToken, Key: "k", Data: data, Revision: 1})
		if err != nil && len(data) > 3 && bytes.Contains([]byte(err.Error()), data) {
			t.Fatalf("error %q quotes the record", err)
		}
		var cfg keyConfig
		_ = json.Unmarshal(data, &cfg)
		var hb heartbeat
		_ = json.Unmarshal(data, &hb)
	})
}
