/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Context switch for x86-64, System V ABI.
 *
 * A suspended context is a stack pointer; below the return address that stack
 * holds, top down: rbp, rbx, r12, r13, r14, r15, then one 8-byte slot with
 * MXCSR (bytes 0-3) and the x87 control word (bytes 4-5; bytes 6-7 unused).
 * Everything else is caller-saved, so the C caller of async_ctx_swap_asm()
 * has already spilled it. The layout must match async_ctx_make() in
 * switch_asm.c.
 *
 * Each context keeps its own FP control state (the ABI makes the MXCSR
 * control bits and the x87 control word callee-saved), but the state is
 * only loaded when the incoming context's differs from the outgoing one's:
 * nearly every program runs all its contexts with the default rounding and
 * masks, and ldmxcsr/fldcw right after the stores that read them cost more
 * than the rest of the switch. Comparing the six meaningful bytes of the two
 * slots gives the same result as loading them unconditionally.
 *
 * The switch leaves through an indirect jump, not ret: the return-stack
 * predictor holds the outgoing context's return address, so a ret would
 * mispredict on every switch, while the jump's target (where the other side
 * last switched, the same few places every time) is predicted from history.
 * Measured here, a mispredicted return costs 7-10 ns.
 */
#if defined(__x86_64__) && !defined(SIO_ASYNC_FORCE_UCONTEXT)
#include "sio_config.h"
#ifndef SIO_PORTABLE_SWITCH

	.text

/* void async_ctx_swap_asm(void **save_sp [rdi], void *new_sp [rsi]) */
	.globl	async_ctx_swap_asm
	.hidden	async_ctx_swap_asm
	.type	async_ctx_swap_asm, @function
	.p2align 4
async_ctx_swap_asm:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	(%rsp), %rax		/* the outgoing FP control slot */
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	xorq	(%rsp), %rax		/* ... against the incoming one */
	shlq	$16, %rax		/* drop bytes 6-7, which hold no state */
	jz	1f
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
1:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	popq	%rcx
	jmpq	*%rcx
	.cfi_endproc
	.size	async_ctx_swap_asm, .-async_ctx_swap_asm

/*
 * First entry of a context: async_ctx_make() leaves the entry function in r12,
 * its argument in r13 and this address as the return address, with rsp 16-byte
 * aligned after the ret, so the call below sees the ABI's alignment. The entry
 * function never returns; ud2 traps if it does.
 */
	.globl	async_ctx_trampoline
	.hidden	async_ctx_trampoline
	.type	async_ctx_trampoline, @function
	.p2align 4
async_ctx_trampoline:
	.cfi_startproc
	.cfi_undefined rip	/* outermost frame: stop unwinders here */
	movq	%r13, %rdi
	callq	*%r12
	ud2
	.cfi_endproc
	.size	async_ctx_trampoline, .-async_ctx_trampoline

#endif
#endif

	.section .note.GNU-stack, "", @progbits
