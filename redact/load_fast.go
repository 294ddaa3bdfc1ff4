//go:build (amd64 || arm64 || 386 || ppc64le || loong64) && !purego

package redact

import "unsafe"

// load64 returns the 8 bytes at p+i as a little-endian uint64. The caller
// guarantees that they lie inside one object. These architectures are
// little-endian and load unaligned words at full speed, so this is one
// instruction without a bounds check.
func load64(p unsafe.Pointer, i int) uint64 { return *(*uint64)(unsafe.Add(p, i)) }

// load32 returns the 4 bytes at p+i as a little-endian number, as load64.
func load32(p unsafe.Pointer, i int) uint64 { return uint64(*(*uint32)(unsafe.Add(p, i))) }
