//go:build !amd64 || purego || race

package redact

// copyStream copies src to dst, of the same length. This is the portable
// copy, also used under the race detector, which does not see the stores
// of assembly.
func copyStream(dst, src []byte) { copy(dst, src) }

// storeFence orders copyStream's stores before later ones: nothing to do
// where they are ordinary stores.
func storeFence() {}
