/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-entry frames for the hand-written switch: async_ctx_make() lays out a
 * stack exactly as async_ctx_swap_asm() would have left it, so the first
 * switch "returns" into async_ctx_trampoline.
 */
#include "async/switch.h"

#if !ASYNC_SWITCH_UCONTEXT

#include <stdint.h>
#include <string.h>

void async_ctx_trampoline(void);

#if defined(__x86_64__)

const char *async_ctx_impl(void)
{
	return "x86_64";
}

void async_ctx_make(struct async_ctx *ctx, void *stack_lo, size_t size, async_ctx_fn fn,
		    void *arg)
{
	uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
	/* Nine slots: 6 popped + return address + 2 of padding, so that rsp is
	 * 16-byte aligned once the trampoline has been "returned" into. */
	uint64_t *frame = (uint64_t *)(top - 9 * sizeof(uint64_t));

	memset(frame, 0, 9 * sizeof(uint64_t));
	/* frame[0..2] = r15, r14, r13; frame[3] = r12; frame[4] = rbx; frame[5] = rbp */
	frame[2] = (uint64_t)(uintptr_t)arg;
	frame[3] = (uint64_t)(uintptr_t)fn;
	frame[6] = (uint64_t)(uintptr_t)async_ctx_trampoline;
	ctx->sp = frame;
}

#elif defined(__aarch64__)

const char *async_ctx_impl(void)
{
	return "aarch64";
}

void async_ctx_make(struct async_ctx *ctx, void *stack_lo, size_t size, async_ctx_fn fn,
		    void *arg)
{
	uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
	uint64_t *frame = (uint64_t *)(top - 176);
	uint64_t fpcr;

	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	memset(frame, 0, 176);
	frame[0] = (uint64_t)(uintptr_t)fn;   /* x19 */
	frame[1] = (uint64_t)(uintptr_t)arg;  /* x20 */
	frame[11] = (uint64_t)(uintptr_t)async_ctx_trampoline; /* x30 */
	frame[20] = fpcr;
	ctx->sp = frame;
}

#endif
#endif /* !ASYNC_SWITCH_UCONTEXT */
