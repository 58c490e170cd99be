/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Portable context switch on ucontext (POSIX.1-2001, still in glibc and musl).
 * Slow (swapcontext saves and restores the signal mask with a system call) but
 * works on any CPU; selected by -Dportable_switch=true or on CPUs without a
 * hand-written switch.
 */
#include "async/switch.h"

#if ASYNC_SWITCH_UCONTEXT

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

const char *async_ctx_impl(void)
{
	return "ucontext";
}

/* makecontext() passes int arguments only; a pointer travels as two halves. */
static void ucontext_entry(unsigned int fn_hi, unsigned int fn_lo, unsigned int arg_hi,
			   unsigned int arg_lo)
{
	uintptr_t fn = ((uintptr_t)fn_hi << 16 << 16) | fn_lo;
	uintptr_t arg = ((uintptr_t)arg_hi << 16 << 16) | arg_lo;

	((async_ctx_fn)fn)((void *)arg);
	/* The entry function must switch away for good; returning is a bug. */
	abort();
}

void async_ctx_make(struct async_ctx *ctx, void *stack_lo, size_t size, async_ctx_fn fn,
		    void *arg)
{
	uint64_t f = (uintptr_t)fn, a = (uintptr_t)arg;

	if (getcontext(&ctx->uc) != 0) {
		fprintf(stderr, "spdk-io: getcontext failed\n");
		abort();
	}
	ctx->uc.uc_stack.ss_sp = stack_lo;
	ctx->uc.uc_stack.ss_size = size;
	ctx->uc.uc_link = NULL;
	makecontext(&ctx->uc, (void (*)(void))ucontext_entry, 4, (unsigned int)(f >> 32),
		    (unsigned int)f, (unsigned int)(a >> 32), (unsigned int)a);
}

void async_ctx_switch(struct async_ctx *from, struct async_ctx *to)
{
	if (swapcontext(&from->uc, &to->uc) != 0) {
		fprintf(stderr, "spdk-io: swapcontext failed\n");
		abort();
	}
}

#endif
