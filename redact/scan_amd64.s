//go:build !purego && !race

#include "textflag.h"

// The sampling loops of scan.go (sampleLoop32, sampleLoop64), with every
// value in a register: eight instructions for a sample whose first filter
// bit is clear, where the compiled Go loop spends about fourteen and
// spills. BTQ tests bit (index mod 64) of the word, which is the &63 of
// bloomMask. See scan.go for what they return.
//
// Each iteration of four samples also asks for the text 1 KiB ahead
// (PREFETCHT0, which never faults, also past the end of the text): where
// the text comes from memory rather than L3, the Writer then ran 1.05 to
// 1.15 times as fast with 10 to 1,000 secrets and Redact up to 1.1 times
// (paired rounds; 512 and 2,048 bytes ahead measured the same).

// func sampleLoop32(p *byte, i, lim, k int, bits *uint64, shift uint) int
TEXT ·sampleLoop32(SB), NOSPLIT, $0-56
	MOVQ	p+0(FP), BX
	MOVQ	i+8(FP), SI
	MOVQ	lim+16(FP), R8
	MOVQ	k+24(FP), DI
	MOVQ	bits+32(FP), R9
	MOVQ	shift+40(FP), CX
	MOVQ	$0x9E3779B97F4A7C15, R12
	LEAQ	(DI)(DI*2), R13
sampleLoop32_loop4:
	// Four samples, i, i+k, i+2k and i+3k = AX, while i+3k < lim.
	LEAQ	(SI)(R13*1), AX
	CMPQ	AX, R8
	JGE	sampleLoop32_single
	PREFETCHT0	1024(BX)(SI*1)
	MOVL	(BX)(SI*1), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop32_s1
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop32_hitSI
sampleLoop32_s1:
	LEAQ	(SI)(DI*1), DX
	MOVL	(BX)(DX*1), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop32_s2
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop32_hitDX
sampleLoop32_s2:
	LEAQ	(SI)(DI*2), DX
	MOVL	(BX)(DX*1), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop32_s3
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop32_hitDX
sampleLoop32_s3:
	MOVL	(BX)(AX*1), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop32_s4
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop32_hitAX
sampleLoop32_s4:
	LEAQ	(AX)(DI*1), SI
	JMP	sampleLoop32_loop4
sampleLoop32_single:
	// One sample at a time, while i < lim.
	CMPQ	SI, R8
	JGE	sampleLoop32_hitSI
	MOVL	(BX)(SI*1), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop32_next
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop32_hitSI
sampleLoop32_next:
	ADDQ	DI, SI
	JMP	sampleLoop32_single
sampleLoop32_hitSI:
	MOVQ	SI, ret+48(FP)
	RET
sampleLoop32_hitDX:
	MOVQ	DX, ret+48(FP)
	RET
sampleLoop32_hitAX:
	MOVQ	AX, ret+48(FP)
	RET

// func sampleLoop64(p *byte, i, lim, k int, bits *uint64, shift uint, mask uint64) int
TEXT ·sampleLoop64(SB), NOSPLIT, $0-64
	MOVQ	p+0(FP), BX
	MOVQ	i+8(FP), SI
	MOVQ	lim+16(FP), R8
	MOVQ	k+24(FP), DI
	MOVQ	bits+32(FP), R9
	MOVQ	shift+40(FP), CX
	MOVQ	$0x9E3779B97F4A7C15, R12
	LEAQ	(DI)(DI*2), R13
sampleLoop64_loop4:
	// Four samples, i, i+k, i+2k and i+3k = AX, while i+3k < lim.
	LEAQ	(SI)(R13*1), AX
	CMPQ	AX, R8
	JGE	sampleLoop64_single
	PREFETCHT0	1024(BX)(SI*1)
	MOVQ	(BX)(SI*1), R10
	ANDQ	mask+48(FP), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop64_s1
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop64_hitSI
sampleLoop64_s1:
	LEAQ	(SI)(DI*1), DX
	MOVQ	(BX)(DX*1), R10
	ANDQ	mask+48(FP), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop64_s2
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop64_hitDX
sampleLoop64_s2:
	LEAQ	(SI)(DI*2), DX
	MOVQ	(BX)(DX*1), R10
	ANDQ	mask+48(FP), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop64_s3
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop64_hitDX
sampleLoop64_s3:
	MOVQ	(BX)(AX*1), R10
	ANDQ	mask+48(FP), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop64_s4
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop64_hitAX
sampleLoop64_s4:
	LEAQ	(AX)(DI*1), SI
	JMP	sampleLoop64_loop4
sampleLoop64_single:
	// One sample at a time, while i < lim.
	CMPQ	SI, R8
	JGE	sampleLoop64_hitSI
	MOVQ	(BX)(SI*1), R10
	ANDQ	mask+48(FP), R10
	IMULQ	R12, R10
	MOVQ	R10, R11
	SHRQ	CX, R11
	MOVQ	(R9)(R11*8), R11
	SHRQ	$32, R10
	BTQ	R10, R11
	JCC	sampleLoop64_next
	SHRQ	$6, R10
	BTQ	R10, R11
	JCS	sampleLoop64_hitSI
sampleLoop64_next:
	ADDQ	DI, SI
	JMP	sampleLoop64_single
sampleLoop64_hitSI:
	MOVQ	SI, ret+56(FP)
	RET
sampleLoop64_hitDX:
	MOVQ	DX, ret+56(FP)
	RET
sampleLoop64_hitAX:
	MOVQ	AX, ret+56(FP)
	RET
