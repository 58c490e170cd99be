/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Execution contexts and the switch between them: the machine layer under tasks.
 *
 * Two implementations, chosen at build time:
 * - hand-written assembly (switch_x86_64.S, switch_aarch64.S) that saves only
 *   what the calling convention says a callee must preserve: the callee-saved
 *   integer registers and the stack pointer, and on aarch64 also d8-d15 and
 *   FPCR; a few ns. The x86-64 routine leaves the FP control state (MXCSR,
 *   x87 control word) alone: it belongs to the OS thread, and the task layer
 *   switches it only for tasks that asked for their own (async_fpctl_*()
 *   below, docs/async.md "FP control state");
 * - a portable ucontext fallback (switch_ucontext.c) for other CPUs or when
 *   built with -Dportable_switch=true. swapcontext() saves the signal mask with
 *   a system call, so it costs hundreds of ns per switch.
 *
 * A context is entered for the first time through a trampoline that calls
 * @fn(@arg); @fn must never return (it switches away for the last time).
 */
#ifndef SIO_ASYNC_SWITCH_H
#define SIO_ASYNC_SWITCH_H

#include <stddef.h>

#include "sio_config.h"

#if defined(SIO_PORTABLE_SWITCH) || defined(SIO_ASYNC_FORCE_UCONTEXT) || \
	!(defined(__x86_64__) || defined(__aarch64__))
#define ASYNC_SWITCH_UCONTEXT 1
#include <ucontext.h>
#else
#define ASYNC_SWITCH_UCONTEXT 0
#endif

/** Entry point of a new context; must not return. */
typedef void (*async_ctx_fn)(void *arg);

/** A suspended execution context. Zero-initialised means "not started". */
struct async_ctx {
#if ASYNC_SWITCH_UCONTEXT
	ucontext_t uc;
#else
	void *sp; /* saved stack pointer; the registers live on that stack */
#endif
};

/** Name of the implementation compiled in ("x86_64", "aarch64" or "ucontext"). */
const char *async_ctx_impl(void);

/**
 * async_ctx_make() - Prepare @ctx to run @fn(@arg) on the stack
 * [@stack_lo, @stack_lo + @size) the first time it is switched to.
 * Where the switch keeps FP control state per context (aarch64, ucontext),
 * the context starts with the caller's; on x86-64 with whatever the thread
 * has when it is first switched to.
 */
void async_ctx_make(struct async_ctx *ctx, void *stack_lo, size_t size, async_ctx_fn fn,
		    void *arg);

/*
 * async_ctx_switch(from, to) - Save the running context into @from and
 * resume @to. Returns when something switches back to @from.
 *
 * async_ctx_switch_same_site(from, to) - The same, for a switch into a
 * context that parked at the same call site as the caller is parking at (a
 * batch of tasks awaiting the same operation). Same state, another way out
 * on x86-64 (switch_x86_64.S): return predictions stay right for such a
 * pair and go wrong for any other pair, where async_ctx_switch() is the one.
 */
#if ASYNC_SWITCH_UCONTEXT
void async_ctx_switch(struct async_ctx *from, struct async_ctx *to);

static inline void async_ctx_switch_same_site(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_switch(from, to);
}
#elif defined(__x86_64__)
/* The assembly routines: push the callee-saved state, store sp in *save_sp,
 * load new_sp and pop the state saved there; the first leaves by an
 * indirect jump, the second by ret. */
void async_ctx_swap_asm(void **save_sp, void *new_sp);
void async_ctx_swap_ret_asm(void **save_sp, void *new_sp);

static inline void async_ctx_switch(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_swap_asm(&from->sp, to->sp);
}

static inline void async_ctx_switch_same_site(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_swap_ret_asm(&from->sp, to->sp);
}
#else
/* The assembly routine: pushes the callee-saved state, stores sp in *save_sp,
 * loads new_sp and pops the state saved there; leaves by ret (aarch64's
 * return predictor works as above, so both forms are the same routine). */
void async_ctx_swap_asm(void **save_sp, void *new_sp);

static inline void async_ctx_switch(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_swap_asm(&from->sp, to->sp);
}

static inline void async_ctx_switch_same_site(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_swap_asm(&from->sp, to->sp);
}
#endif

/*
 * FP control state that the switch itself does not keep per context:
 * x86-64's hand-written switch (MXCSR and the x87 control word). The task
 * layer keeps it for the tasks spawned with SIO_TASK_OWN_FP_CONTROL with the
 * helpers below; everywhere else ASYNC_FPCTL_BY_TASK is 0, the helpers do
 * nothing, and the switch keeps it per context (aarch64's FPCR, ucontext).
 *
 * async_fpctl_save(s) - Store the running FP control state in @s.
 * async_fpctl_switch(save, load) - Store the running state in @save, then
 * make @load the running state. A control register is written only when
 * @load's word differs from the running one: ldmxcsr/fldcw right after the
 * stores that read the same registers cost more than the rest of a switch,
 * and nearly every program runs with one state everywhere.
 */
#if !ASYNC_SWITCH_UCONTEXT && defined(__x86_64__)
#define ASYNC_FPCTL_BY_TASK 1
#include <stdint.h>

struct async_fpctl {
	uint32_t mxcsr;
	uint16_t fpcw;
};

static inline void async_fpctl_save(struct async_fpctl *s)
{
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(s->mxcsr), "=m"(s->fpcw));
}

static inline void async_fpctl_switch(struct async_fpctl *save, const struct async_fpctl *load)
{
	async_fpctl_save(save);
	if (__builtin_expect(save->mxcsr != load->mxcsr, 0))
		__asm__ volatile("ldmxcsr %0" : : "m"(load->mxcsr));
	if (__builtin_expect(save->fpcw != load->fpcw, 0))
		__asm__ volatile("fldcw %0" : : "m"(load->fpcw));
}
#else
#define ASYNC_FPCTL_BY_TASK 0

struct async_fpctl {
	char unused;
};

static inline void async_fpctl_save(struct async_fpctl *s)
{
	(void)s;
}

static inline void async_fpctl_switch(struct async_fpctl *save, const struct async_fpctl *load)
{
	(void)save;
	(void)load;
}
#endif

#endif /* SIO_ASYNC_SWITCH_H */
