package keeper

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Format constants of the envelope ciphertext; see the package doc's
// "# Format" section.
const (
	// formatVersion is the version byte Envelope writes today (Header.Version).
	formatVersion = 1

	// maxKEKIDLen is the longest key-encryption key id, in bytes.
	maxKEKIDLen = 64

	dataKeyIDLen     = 16
	dataKeyLen       = 32 // AES-256
	maxWrappedKeyLen = 4096
	gcmNonceLen      = 12
	gcmTagLen        = 16

	// The data-key record is what the key-encryption key encrypts:
	// magic | record version | data key id | key bytes.
	recordMagic   = "SBDK"
	recordVersion = 1
	recordLen     = len(recordMagic) + 1 + dataKeyIDLen + dataKeyLen
)

// Header is the non-secret part of an envelope ciphertext: enough to know
// which keys protect it, without any key.
type Header struct {
	// Version is the format version byte; 1 is the format every
	// Envelope writes today (see the package doc's # Format).
	Version int
	// KEKID is the id of the key-encryption key that wrapped the data key.
	KEKID string
	// DataKeyID is the data key's random id, as 32 lowercase hex digits.
	DataKeyID string
}

// parsed is a ciphertext split into its parts. All slices alias the input.
type parsed struct {
	unprintable
	version   byte
	kekID     string
	dataKeyID [dataKeyIDLen]byte
	// aadPrefix is version | kek id length | kek id | data key id: the
	// header bytes that the value's AES-GCM tag authenticates.
	aadPrefix []byte
	// cacheKey identifies the wrapped data key under its KEK: the whole
	// header up to the payload.
	cacheKey []byte
	wrapped  []byte
	payload  []byte
}

// ParseHeader reads the non-secret header of an envelope ciphertext. It
// checks the structure (version, lengths, id syntax) but not authenticity:
// only Decrypt proves a ciphertext genuine. Errors match ErrDecrypt; the
// message says whether the version is unknown or the bytes malformed.
func ParseHeader(ciphertext []byte) (Header, error) {
	p, err := parse(ciphertext)
	if err != nil {
		return Header{}, err
	}
	return p.header(), nil
}

func (p *parsed) header() Header {
	return Header{Version: int(p.version), KEKID: p.kekID, DataKeyID: hex.EncodeToString(p.dataKeyID[:])}
}

func malformed(why string) error {
	return fmt.Errorf("keeper: %s: %w", why, errMalformed)
}

func parse(ct []byte) (*parsed, error) {
	if len(ct) == 0 {
		return nil, malformed("empty ciphertext")
	}
	if ct[0] != formatVersion {
		return nil, fmt.Errorf("keeper: format version %d: %w", ct[0], errUnknownVersion)
	}
	if len(ct) < 2 {
		return nil, malformed("truncated header")
	}
	n := int(ct[1])
	if n == 0 || n > maxKEKIDLen {
		return nil, malformed("bad key-encryption key id length")
	}
	off := 2
	if len(ct) < off+n+dataKeyIDLen+2 {
		return nil, malformed("truncated header")
	}
	id := ct[off : off+n]
	if !validKEKID(id) {
		return nil, malformed("bad key-encryption key id")
	}
	p := &parsed{version: ct[0], kekID: string(id)}
	off += n
	copy(p.dataKeyID[:], ct[off:off+dataKeyIDLen])
	off += dataKeyIDLen
	p.aadPrefix = ct[:off:off]
	m := int(binary.BigEndian.Uint16(ct[off:]))
	off += 2
	if m == 0 || m > maxWrappedKeyLen {
		return nil, malformed("bad wrapped data key length")
	}
	if len(ct) < off+m+gcmNonceLen+gcmTagLen {
		return nil, malformed("truncated ciphertext")
	}
	p.wrapped = ct[off : off+m : off+m]
	p.cacheKey = ct[: off+m : off+m]
	p.payload = ct[off+m:]
	return p, nil
}

// appendHeader appends the header of a ciphertext whose data key has the
// given id and wrapped form, and returns it with the length of the part the
// AES-GCM tag authenticates.
func appendHeader(b []byte, kekID string, dataKeyID [dataKeyIDLen]byte, wrapped []byte) ([]byte, int) {
	b = append(b, formatVersion, byte(len(kekID)))
	b = append(b, kekID...)
	b = append(b, dataKeyID[:]...)
	aadLen := len(b)
	b = binary.BigEndian.AppendUint16(b, uint16(len(wrapped)))
	b = append(b, wrapped...)
	return b, aadLen
}

// validKEKID reports whether id is 1 to maxKEKIDLen letters, digits, '-',
// '_', '.' or ':'. Ids are printed in errors, so the set is kept plain.
func validKEKID(id []byte) bool {
	if len(id) == 0 || len(id) > maxKEKIDLen {
		return false
	}
	for _, c := range id {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// marshalRecord returns the data-key record the KEK encrypts.
func marshalRecord(id [dataKeyIDLen]byte, key []byte) []byte {
	b := make([]byte, 0, recordLen)
	b = append(b, recordMagic...)
	b = append(b, recordVersion)
	b = append(b, id[:]...)
	return append(b, key...)
}

// parseRecord checks an unwrapped record against the data key id the
// header names and returns the key bytes (aliasing rec).
func parseRecord(rec []byte, wantID [dataKeyIDLen]byte) ([]byte, bool) {
	if len(rec) != recordLen || string(rec[:len(recordMagic)]) != recordMagic || rec[len(recordMagic)] != recordVersion {
		return nil, false
	}
	off := len(recordMagic) + 1
	if !bytes.Equal(rec[off:off+dataKeyIDLen], wantID[:]) {
		return nil, false
	}
	return rec[off+dataKeyIDLen:], true
}

// Test vectors in testdata/vectors.json; existing ones are never rewritten.
//go:generate go test -run TestVectors -update-vectors .
