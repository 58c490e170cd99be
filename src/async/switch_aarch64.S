/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Context switch for aarch64, AAPCS64.
 *
 * A suspended context is a stack pointer to a 176-byte frame holding, bottom
 * up: x19-x28, x29 (fp), x30 (lr, the resume address), d8-d15 (the low halves
 * of v8-v15 are all the ABI asks a callee to keep) and FPCR. The layout must
 * match async_ctx_make() in switch_asm.c. FPCR is written only when the
 * incoming context's differs from the outgoing one's (the same state as an
 * unconditional write, without the cost of one on every switch).
 * Run under qemu-aarch64 by tests/async/switch_cross.sh (test_switch_cross.c).
 */
#if defined(__aarch64__) && !defined(SIO_ASYNC_FORCE_UCONTEXT)
#include "sio_config.h"
#ifndef SIO_PORTABLE_SWITCH

	.text

/* void async_ctx_swap_asm(void **save_sp [x0], void *new_sp [x1]) */
	.globl	async_ctx_swap_asm
	.hidden	async_ctx_swap_asm
	.type	async_ctx_swap_asm, %function
	.p2align 4
async_ctx_swap_asm:
	.cfi_startproc
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x10, sp			/* not x9: it must still hold our FPCR below */
	str	x10, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x10, [sp, #160]
	cmp	x9, x10			/* x9: the outgoing context's FPCR */
	b.eq	1f
	msr	fpcr, x10		/* only when it differs: msr fpcr is slow */
1:	add	sp, sp, #176
	ret
	.cfi_endproc
	.size	async_ctx_swap_asm, .-async_ctx_swap_asm

/*
 * First entry of a context: async_ctx_make() leaves the entry function in x19,
 * its argument in x20 and this address in x30. Never returns; brk traps if the
 * entry function does.
 */
	.globl	async_ctx_trampoline
	.hidden	async_ctx_trampoline
	.type	async_ctx_trampoline, %function
	.p2align 4
async_ctx_trampoline:
	.cfi_startproc
	.cfi_undefined x30	/* outermost frame: stop unwinders here */
	mov	x0, x20
	blr	x19
	brk	#0
	.cfi_endproc
	.size	async_ctx_trampoline, .-async_ctx_trampoline

#endif
#endif

	.section .note.GNU-stack, "", %progbits
