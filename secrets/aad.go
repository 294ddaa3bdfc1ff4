package secrets

import "strconv"

// The associated data of a ciphertext is what binds it to its place. The
// keeper authenticates it with the value (it is not encrypted and not
// secret), so a ciphertext copied to another secret, another version or
// another namespace, or swapped for an older value of the same secret,
// does not decrypt.
//
// Format version 1, the only one, is the bytes
//
//	"strongbox/aad/v1" 0x00 namespace 0x00 name 0x00 version 0x00 valueID
//
// where version is the decimal form of the secret's version (no sign, no
// leading zeros) and valueID the 32 lowercase hex digits of the value's
// random id. Names and namespaces cannot contain NUL (see Validate), so
// the encoding is unambiguous. It is part of the stored format: every
// ciphertext ever written was bound with it, so it never changes; a new
// format would get a new tag. TestAssociatedDataVector holds it.
func associatedData(namespace, name string, version int64, valueID string) []byte {
	b := make([]byte, 0, 16+len(namespace)+len(name)+20+len(valueID))
	b = append(b, "strongbox/aad/v1\x00"...)
	b = append(b, namespace...)
	b = append(b, 0)
	b = append(b, name...)
	b = append(b, 0)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, 0)
	b = append(b, valueID...)
	return b
}
