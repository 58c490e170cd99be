/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Context switch for x86-64, System V ABI.
 *
 * A suspended context is a stack pointer; below the return address that stack
 * holds, top down: rbp, rbx, r12, r13, r14, r15. Everything else is
 * caller-saved, so the C caller of async_ctx_swap_asm() has already spilled
 * it. The layout must match async_ctx_make() in switch_asm.c.
 *
 * The FP control state (MXCSR, x87 control word) is not switched: it is the
 * OS thread's, and the task layer keeps it per task only for the tasks that
 * ask (SIO_TASK_OWN_FP_CONTROL, async_fpctl_switch() in switch.h). Until
 * 2026-12-07 this routine stored both words, compared them with the incoming
 * side's and loaded them when they differed, on every switch; stmxcsr and
 * fnstcw cost more than the rest of the switch (issue 18's fourth round,
 * docs/async.md "FP control state").
 *
 * Two ways out, the same state:
 * - async_ctx_swap_asm leaves through an indirect jump, not ret: the
 *   return-stack predictor holds the outgoing context's return addresses,
 *   so a ret mispredicts whenever the two sides parked in different places
 *   (a poller resuming a task, the task going back to it), while the jump's
 *   target (where the other side last switched, the same few places every
 *   time) is predicted from history. Measured here, a mispredicted return
 *   costs 7-10 ns.
 * - async_ctx_swap_ret_asm leaves through ret, for a switch between two
 *   contexts that parked at the same call site (a batch of tasks awaiting
 *   the same operation, chained by async_task_switch_out()): the return
 *   address the outgoing side's call pushed on the predictor is then the
 *   incoming side's resume address, and the outgoing side's earlier calls
 *   match the returns the incoming side makes next, so all of them are
 *   predicted. With the jump instead, the resumed task's first return, out
 *   of its _await function, mispredicted on every I/O (sio_bdevperf --api
 *   task, null bdev, QD128: 25 -> 35 M IOPS per CPU-second; docs/async.md).
 */
#if defined(__x86_64__) && !defined(SIO_ASYNC_FORCE_UCONTEXT)
#include "sio_config.h"
#ifndef SIO_PORTABLE_SWITCH

/* Push into the outgoing stack, store its sp in *rdi, load rsi into rsp,
 * pop; the way out follows. */
.macro	SWAP_BODY
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
.endm

	.text

/* void async_ctx_swap_asm(void **save_sp [rdi], void *new_sp [rsi]) */
	.globl	async_ctx_swap_asm
	.hidden	async_ctx_swap_asm
	.type	async_ctx_swap_asm, @function
	.p2align 4
async_ctx_swap_asm:
	.cfi_startproc
	SWAP_BODY
	popq	%rcx
	jmpq	*%rcx
	.cfi_endproc
	.size	async_ctx_swap_asm, .-async_ctx_swap_asm

/* void async_ctx_swap_ret_asm(void **save_sp [rdi], void *new_sp [rsi]) */
	.globl	async_ctx_swap_ret_asm
	.hidden	async_ctx_swap_ret_asm
	.type	async_ctx_swap_ret_asm, @function
	.p2align 4
async_ctx_swap_ret_asm:
	.cfi_startproc
	SWAP_BODY
	ret
	.cfi_endproc
	.size	async_ctx_swap_ret_asm, .-async_ctx_swap_ret_asm

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
