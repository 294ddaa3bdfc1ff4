//go:build !purego && !race

package redact

import "unsafe"

// copyNT copies n bytes, a multiple of 64, from src to dst, which is
// 64-byte aligned, with non-temporal stores (MOVNTDQ), which write whole
// lines to memory without reading them into the cache first. They are
// weakly ordered: storeFence must follow before dst is handed on.
//
//go:noescape
func copyNT(dst, src *byte, n int)

// storeFence is SFENCE: the stores of copyNT before it are visible to
// every core before any store after it.
func storeFence()

// copyStream copies src to dst, of the same length: the 64-byte lines of
// dst that it covers whole with copyNT, the rest with copy. The caller
// calls storeFence before it returns dst.
func copyStream(dst, src []byte) {
	n := len(src)
	head := min(int(-uintptr(unsafe.Pointer(unsafe.SliceData(dst)))&63), n)
	copy(dst[:head], src[:head])
	body := (n - head) &^ 63
	if body > 0 {
		copyNT(&dst[head], &src[head], body)
	}
	copy(dst[head+body:], src[head+body:])
}
