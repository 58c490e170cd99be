/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First-entry frames for the hand-written switch: async_ctx_make() lays out
 * what the switch would have saved (x86-64: the record async_ctx_switch()
 * stores, switch.h; aarch64: the frame async_ctx_swap_asm() pushes), so the
 * first switch resumes into async_ctx_trampoline.
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
	/* The trampoline's rsp, 16-byte aligned as the ABI wants at its call:
	 * the entry function and its argument there, and below them the record
	 * the switch loads (resume address, rbp, rsp), read before the jump
	 * and overwritten by the entry function's frame afterwards. */
	uint64_t *tramp_sp = (uint64_t *)(top - 2 * sizeof(uint64_t));
	uint64_t *rec = tramp_sp - 4;

	tramp_sp[0] = (uint64_t)(uintptr_t)fn;
	tramp_sp[1] = (uint64_t)(uintptr_t)arg;
	rec[0] = (uint64_t)(uintptr_t)async_ctx_trampoline;
	rec[1] = 0; /* rbp: no frame above */
	rec[2] = (uint64_t)(uintptr_t)tramp_sp;
	rec[3] = 0;
	ctx->sp = rec;
}

#elif defined(__aarch64__)

/*
 * Where the build signs return addresses, async_ctx_swap_asm() authenticates
 * the x30 it loads from the incoming frame against its sp above that frame
 * (switch_aarch64.S), so the first entry's resume address must be signed the
 * same way: key as the compiler's (ACLE __ARM_FEATURE_PAC_DEFAULT bit 0 A,
 * bit 1 B), modifier @sp. pacia1716/pacib1716 (x17 signed with x16) are in
 * the hint space like the routine's paciasp, so both are no-ops together on
 * a CPU without pointer authentication.
 */
static uint64_t async_ctx_sign_resume(uint64_t pc, uint64_t sp)
{
#if defined(__ARM_FEATURE_PAC_DEFAULT)
	register uint64_t x17 __asm__("x17") = pc;
	register uint64_t x16 __asm__("x16") = sp;

#if __ARM_FEATURE_PAC_DEFAULT & 2
	__asm__("hint #10" : "+r"(x17) : "r"(x16)); /* pacib1716 */
#else
	__asm__("hint #8" : "+r"(x17) : "r"(x16)); /* pacia1716 */
#endif
	return x17;
#else
	(void)sp;
	return pc;
#endif
}

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
	frame[11] = async_ctx_sign_resume((uint64_t)(uintptr_t)async_ctx_trampoline, top); /* x30 */
	frame[20] = fpcr;
	ctx->sp = frame;
}

#endif
#endif /* !ASYNC_SWITCH_UCONTEXT */
