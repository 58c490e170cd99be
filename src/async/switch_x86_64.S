/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86-64 (System V): the first-entry trampoline. The switch itself is
 * inline assembly at each switch site (async_ctx_switch() in switch.h,
 * since issue 18's seventh round; before, this file held push/pop routines
 * called at each site).
 */
#if defined(__x86_64__) && !defined(SIO_ASYNC_FORCE_UCONTEXT)
#include "sio_config.h"
#ifndef SIO_PORTABLE_SWITCH

	.text

/*
 * First entry of a context: async_ctx_make() leaves rsp 16-byte aligned
 * (the ABI's alignment at the call below) on the entry function and its
 * argument, and this address as the resume address. The entry function
 * never returns; ud2 traps if it does.
 */
	.globl	async_ctx_trampoline
	.hidden	async_ctx_trampoline
	.type	async_ctx_trampoline, @function
	.p2align 4
async_ctx_trampoline:
	.cfi_startproc
	.cfi_undefined rip	/* outermost frame: stop unwinders here */
	movq	8(%rsp), %rdi
	callq	*(%rsp)
	ud2
	.cfi_endproc
	.size	async_ctx_trampoline, .-async_ctx_trampoline

#endif
#endif

	.section .note.GNU-stack, "", @progbits
