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
	/* aarch64: the saved stack pointer, the registers on that stack;
	 * x86-64: the saved record {resume address, rbp, rsp} (async_ctx_switch()) */
	void *sp;
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
 * batch of tasks awaiting the same operation). The same switch on every
 * implementation today; until issue 18's seventh round the x86-64 routine
 * left by ret here and by an indirect jump elsewhere, to keep return
 * predictions right. The inline x86-64 switch makes no call, so it leaves
 * the return-stack predictor as it was either way.
 */
#if ASYNC_SWITCH_UCONTEXT
void async_ctx_switch(struct async_ctx *from, struct async_ctx *to);

static inline void async_ctx_switch_same_site(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_switch(from, to);
}
#elif defined(__x86_64__)
/*
 * Inline assembly at each switch site (issue 18's seventh round,
 * docs/async.md). Every general-purpose, vector and x87 register but rsp
 * and rbp is named as clobbered (rdi and rsi as in/out operands), so the
 * compiler keeps across the switch only the values live there, in the
 * frame, and no call/ret pair is made: the outgoing side stores its resume
 * address, rbp and rsp in a record in its own frame (@save, above rsp: no
 * push, so no red-zone question) and the record's address in @from; the
 * incoming side's record gives rsp and rbp, and a jump through it to that
 * side's resume address. rbp is restored rather than clobbered, as
 * frame-pointer builds (-O0, -fno-omit-frame-pointer) cannot clobber it.
 * async_ctx_make() (switch_asm.c) writes a record of the same form for the
 * first entry.
 */
#ifdef __AVX512F__
#define ASYNC_CLOBBER_X512                                                                  \
	, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", \
		"xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "k0", "k1",  \
		"k2", "k3", "k4", "k5", "k6", "k7"
#else
#define ASYNC_CLOBBER_X512
#endif

/*
 * The record's address reaches the asm as a memory operand where possible,
 * not as a register holding it: every register but rsp and rbp is
 * clobbered, so such an address is kept in a spill slot and reloaded (and
 * the compiler hoists it out of loops into one). AddressSanitizer may put
 * the record on its fake stack, whose address needs a register of its own,
 * which the clobbers leave none of ("impossible constraints"): there rdx
 * carries it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ASYNC_SWITCH_ASAN_REC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASYNC_SWITCH_ASAN_REC 1
#endif
#endif
#ifdef ASYNC_SWITCH_ASAN_REC
#define ASYNC_SWITCH_REC_ADDR ""
#define ASYNC_SWITCH_REC_OPS , "+d"(rec)
#define ASYNC_SWITCH_REC_CLOBBER
#else
#define ASYNC_SWITCH_REC_ADDR "leaq %[save], %%rdx\n\t"
#define ASYNC_SWITCH_REC_OPS , [save] "=m"(save)
#define ASYNC_SWITCH_REC_CLOBBER "rdx",
#endif

static inline __attribute__((always_inline)) void async_ctx_switch(struct async_ctx *from,
								  struct async_ctx *to)
{
	struct {
		void *w[3]; /* resume address, rbp, rsp */
	} save;
#ifdef ASYNC_SWITCH_ASAN_REC
	void *rec = &save;
#endif

	__asm__ volatile("leaq 1f(%%rip), %%rax\n\t" ASYNC_SWITCH_REC_ADDR
			 "movq %%rax, (%%rdx)\n\t"
			 "movq %%rbp, 8(%%rdx)\n\t"
			 "movq %%rsp, 16(%%rdx)\n\t"
			 "movq (%%rsi), %%rax\n\t"
			 "movq %%rdx, (%%rdi)\n\t"
			 "movq 16(%%rax), %%rsp\n\t"
			 "movq 8(%%rax), %%rbp\n\t"
			 "jmpq *(%%rax)\n"
			 "1:"
			 : "+D"(from), "+S"(to)ASYNC_SWITCH_REC_OPS
			 :
			 : "rax", "rbx", "rcx", ASYNC_SWITCH_REC_CLOBBER "r8", "r9", "r10", "r11",
			   "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			   "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)",
			   "st(5)", "st(6)", "st(7)", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5",
			   "mm6", "mm7", "cc", "memory" ASYNC_CLOBBER_X512);
#ifndef ASYNC_SWITCH_ASAN_REC
	(void)save;
#endif
}

/* No call, so nothing on the return-stack predictor to keep matched. */
static inline __attribute__((always_inline)) void
async_ctx_switch_same_site(struct async_ctx *from, struct async_ctx *to)
{
	async_ctx_switch(from, to);
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
