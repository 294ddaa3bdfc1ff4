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
//
// The up to three samples left after the last iteration of four are
// tested together without a branch on how many there are (TSAMPLE), and
// their hits are sorted out only if one of them hit. The Writer scans
// each write with one call, and how many samples are left at its end
// varies from call to call: the loop of one sample at a time that used to
// finish the text mispredicted its exit about once a call. Scanning a
// text in the benchmark's random writes of 1 to 4,096 bytes cost 1.19
// times the time of 128 KiB blocks with that loop and 1.16 times with the
// branch-free tail, with 10 secrets (1.165 -> 1.144 with 100).
//
// Registers: BX text, SI i, R8 lim, DI k, R13 3k, R9 filter, CX shift,
// R12 the hash multiplier, R10 and R11 scratch; DX and AX hold i+k, i+2k
// and i+3k, the positions a hit returns. In the tail, DX holds lim-1, R13
// the tail's hits (bit j for sample i+jk) and AX the first sample at or
// after lim.

// SAMPLE tests the sample at POS, whose gram LOAD puts in R10: on to MISS
// unless both bits of its filter word are set, else on to HIT.
#define SAMPLE(LOAD, POS, MISS, HIT) \
	LOAD(POS) \
	IMULQ	R12, R10 \
	MOVQ	R10, R11 \
	SHRQ	CX, R11 \
	MOVQ	(R9)(R11*8), R11 \
	SHRQ	$32, R10 \
	BTQ	R10, R11 \
	JCC	MISS \
	SHRQ	$6, R10 \
	BTQ	R10, R11 \
	JCS	HIT

// TSAMPLE is SAMPLE without a branch, for the last samples of a text: the
// sample at POS, or at lim-1 (in DX) if POS is not below lim (a load that
// lies inside the text, as lim-1 is at least the i of the call), adds BIT
// to R13 if both bits of its filter word are set.
#define TSAMPLE(LOAD, POS, BIT) \
	LEAQ	POS, AX \
	CMPQ	AX, R8 \
	CMOVQGE	DX, AX \
	LOAD(AX) \
	IMULQ	R12, R10 \
	MOVQ	R10, R11 \
	SHRQ	CX, R11 \
	MOVQ	(R9)(R11*8), R11 \
	SHRQ	$32, R10 \
	XORL	AX, AX \
	BTSQ	R10, AX \
	SHRQ	$6, R10 \
	BTSQ	R10, AX \
	ANDQ	AX, R11 \
	LEAQ	BIT(R13), R10 \
	CMPQ	R11, AX \
	CMOVQEQ	R10, R13

// The grams: 4 bytes, or 8 bytes and the mask.
#define LOAD32(POS) MOVL	(BX)(POS*1), R10
#define LOAD64(POS) MOVQ	(BX)(POS*1), R10; ANDQ	mask+48(FP), R10

// LOOP is the body of a sampling loop with gram LOAD (labels are the
// function's own); OUT is where the result goes.
#define LOOP(LOAD, OUT) \
	MOVQ	p+0(FP), BX \
	MOVQ	i+8(FP), SI \
	MOVQ	lim+16(FP), R8 \
	MOVQ	k+24(FP), DI \
	MOVQ	bits+32(FP), R9 \
	MOVQ	shift+40(FP), CX \
	MOVQ	$0x9E3779B97F4A7C15, R12 \
	LEAQ	(DI)(DI*2), R13 \
	CMPQ	SI, R8 \
	JGE	hitSI \
loop4: \
	LEAQ	(SI)(R13*1), AX \
	CMPQ	AX, R8 \
	JGE	tail \
	PREFETCHT0	1024(BX)(SI*1) \
	SAMPLE(LOAD, SI, s1, hitSI) \
s1: \
	LEAQ	(SI)(DI*1), DX \
	SAMPLE(LOAD, DX, s2, hitDX) \
s2: \
	LEAQ	(SI)(DI*2), DX \
	SAMPLE(LOAD, DX, s3, hitDX) \
s3: \
	SAMPLE(LOAD, AX, s4, hitAX) \
s4: \
	LEAQ	(AX)(DI*1), SI \
	JMP	loop4 \
tail: \
	LEAQ	-1(R8), DX \
	XORL	R13, R13 \
	TSAMPLE(LOAD, 0(SI), 1) \
	TSAMPLE(LOAD, (SI)(DI*1), 2) \
	TSAMPLE(LOAD, (SI)(DI*2), 4) \
	LEAQ	(SI)(DI*2), DX \
	LEAQ	(DX)(DI*1), AX \
	CMPQ	DX, R8 \
	CMOVQGE	DX, AX \
	LEAQ	(SI)(DI*1), DX \
	CMPQ	DX, R8 \
	CMOVQGE	DX, AX \
	CMPQ	SI, R8 \
	CMOVQGE	SI, AX \
	TESTQ	R13, R13 \
	JNE	tailhit \
	MOVQ	AX, OUT \
	RET \
tailhit: \
	CMPQ	SI, R8 \
	JGE	none \
	BTQ	$0, R13 \
	JCS	hitSI \
	LEAQ	(SI)(DI*1), DX \
	CMPQ	DX, R8 \
	JGE	none \
	BTQ	$1, R13 \
	JCS	hitDX \
	LEAQ	(SI)(DI*2), DX \
	CMPQ	DX, R8 \
	JGE	none \
	BTQ	$2, R13 \
	JCS	hitDX \
none: \
	MOVQ	AX, OUT \
	RET \
hitSI: \
	MOVQ	SI, OUT \
	RET \
hitDX: \
	MOVQ	DX, OUT \
	RET \
hitAX: \
	MOVQ	AX, OUT \
	RET

// func sampleLoop32(p *byte, i, lim, k int, bits *uint64, shift uint) int
TEXT ·sampleLoop32(SB), NOSPLIT, $0-56
	LOOP(LOAD32, ret+48(FP))

// func sampleLoop64(p *byte, i, lim, k int, bits *uint64, shift uint, mask uint64) int
TEXT ·sampleLoop64(SB), NOSPLIT, $0-64
	LOOP(LOAD64, ret+56(FP))
