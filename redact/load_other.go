//go:build !(amd64 || arm64 || 386 || ppc64le || loong64) || purego

package redact

import (
	"encoding/binary"
	"unsafe"
)

// load64 returns the 8 bytes at p+i as a little-endian uint64; the caller
// guarantees that they lie inside one object.
func load64(p unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(p, i)), 8))
}

// load32 returns the 4 bytes at p+i as a little-endian number, as load64.
func load32(p unsafe.Pointer, i int) uint64 {
	return uint64(binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(p, i)), 4)))
}
