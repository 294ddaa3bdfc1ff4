package keeper

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

// TestInternalTypesHideKeys: the package's own types that hold a data key,
// a wrapped data key or an opened KEK print none of it, so a stray %v in
// an error or a log line inside the package cannot leak it (issue #11
// item 1).
func TestInternalTypesHideKeys(t *testing.T) {
	key := bytes.Repeat([]byte{0xA7, 0x3C, 0x51, 0x9E}, 8)
	wrapped := bytes.Repeat([]byte{0x5B, 0xE2, 0x17, 0xC4}, 12)
	a, err := newAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	var id [dataKeyIDLen]byte
	dk := &dataKey{id: id, kekID: "kek-1", aead: a, created: time.Unix(0, 0)}
	dk.header, dk.aadLen = appendHeader(nil, "kek-1", id, wrapped)
	p, err := parse(append(bytes.Clone(dk.header), make([]byte, gcmNonceLen+gcmTagLen)...))
	if err != nil {
		t.Fatal(err)
	}
	lk := &localKEK{key: [32]byte(key)}
	cur := &currentKey{dk: dk}
	cache := newDataKeyCache(2, time.Hour, time.Hour)
	cache.put(string(dk.header), dk, time.Unix(0, 0))
	// fmt prints a byte slice inside a struct in decimal: search for that
	// form too.
	secrets := []string{string(key), string(wrapped), fmt.Sprint(key), fmt.Sprint(wrapped), fmt.Sprint(key[:8]), fmt.Sprint(wrapped[:8])}
	for name, v := range map[string]any{
		"dataKey":     dk,
		"parsed":      p,
		"openedKEK":   &openedKEK{id: "kek-1", wrapper: lk, close: lk.destroy},
		"localKEK":    lk,
		"cacheEntry":  &cacheEntry{key: string(dk.header), dk: dk},
		"flight":      &flight{done: make(chan struct{}), dk: dk},
		"currentKey":  cur,
		"cache":       cache,
		"dataKey val": *dk,
		"parsed val":  *p,
	} {
		t.Run(name, func(t *testing.T) { leakcheck.CheckRenderings(t, v, secrets...) })
	}
}
