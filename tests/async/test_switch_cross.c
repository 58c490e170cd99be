/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aarch64 context switch, run. switch_cross.sh builds this program with an
 * aarch64 cross compiler together with the library's own switch_aarch64.S,
 * switch_asm.c, switch_ucontext.c and stack.c (the files src/async/meson.build
 * builds, unmodified), on the hand-written switch (as is, with
 * -mbranch-protection, and linked as a BTI program) and forced onto ucontext,
 * and runs each under qemu-aarch64. The x86-64 machines here cannot
 * run the aarch64 routine otherwise; the rest of the layer is tested natively
 * (test_switch.c, test_async.c).
 *
 * No cmocka (no arm64 build of it is installed): CHECK() prints each mismatch
 * and counts it; the exit status is non-zero when any check failed.
 *
 * What is checked, against switch.h and switch_aarch64.S:
 * - ping-pong between two contexts, many rounds, with the inline wrappers;
 * - async_ctx_make(): the entry function gets its argument, runs on the given
 *   stack with sp 16-byte aligned (also for an unaligned top), and nothing
 *   outside [stack_lo, stack_lo + size) is written;
 * - every register the routine promises to keep (x19-x28, x29, d8-d15, sp)
 *   and FPCR, set to known values in assembly right before the switch and
 *   read back in assembly right after it, while the other side ran with
 *   different values in all of them;
 * - FPCR per context: a new context starts with its maker's, each context
 *   keeps its own rounding mode and FZ bit (and the arithmetic obeys it),
 *   whether the states of the two sides differ or not;
 * - deep recursion on a task stack, parked at the bottom and resumed;
 * - a chain of contexts switching directly from one to the next, as the
 *   run queue does, with per-context state kept across laps;
 * - several OS threads switching their own contexts at once;
 * - an unwinder stops at the first-entry trampoline (backtrace());
 * - an entry function that returns traps (brk; abort() on ucontext), and an
 *   overflow of a pooled stack hits its guard page (SIGSEGV);
 * - branch protection, in the builds with -mbranch-protection=standard: the
 *   resume address a new context's frame holds is signed (PAC), and, in the
 *   run switch_cross.sh links as a BTI program ("bti-enforced"), that qemu
 *   really guards its pages (a call through a pointer to code without a
 *   landing pad dies by SIGILL), so every other check there went through
 *   the routine's landing pad: the register probe calls the routine by blr.
 */
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "async/stack.h"
#include "async/switch.h"

#ifndef __aarch64__
#error "test_switch_cross.c is built for aarch64 only (tests/async/switch_cross.sh)"
#endif

static int g_failures;
static int g_checks;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		pthread_mutex_lock(&g_lock);                                  \
		g_checks++;                                                   \
		if (!(cond)) {                                                \
			g_failures++;                                         \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                       \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
		pthread_mutex_unlock(&g_lock);                                \
	} while (0)

#define STACK_SIZE(st) ((size_t)((char *)(st)->hi - (char *)(st)->lo))

static uintptr_t read_sp(void)
{
	uintptr_t sp;

	__asm__ volatile("mov %0, sp" : "=r"(sp));
	return sp;
}

static uint64_t get_fpcr(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, fpcr" : "=r"(v) : : "memory");
	return v;
}

static void set_fpcr(uint64_t v)
{
	__asm__ volatile("msr fpcr, %0" : : "r"(v) : "memory");
}

/* FPCR fields the tests change: RMode (0 nearest, 1 +inf, 2 -inf, 3 zero),
 * FZ (flush denormals to zero) and DN (default NaN). */
#define FPCR_RMODE(m) ((uint64_t)(m) << 22)
#define FPCR_RMODE_MASK FPCR_RMODE(3)
#define FPCR_FZ (1ull << 24)
#define FPCR_DN (1ull << 25)
#define FPCR_TESTED (FPCR_RMODE_MASK | FPCR_FZ | FPCR_DN)

/* 1/3 in the running rounding mode, through memory so it is computed now. */
static double third(void)
{
	volatile double one = 1.0, three = 3.0;

	return one / three;
}

/* ------------------------------------------------------------------------ */
/* Ping-pong through the inline wrappers. */

struct pingpong {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	long counter;
	long rounds;
};

static void pingpong_entry(void *arg)
{
	struct pingpong *pp = arg;

	for (long i = 0; i < pp->rounds; i++) {
		if (pp->counter != 2 * i)
			break;
		pp->counter++;
		if (i & 1)
			async_ctx_switch_same_site(&pp->co_ctx, &pp->main_ctx);
		else
			async_ctx_switch(&pp->co_ctx, &pp->main_ctx);
	}
	pp->counter = -1;
	async_ctx_switch(&pp->co_ctx, &pp->main_ctx);
	abort(); /* never resumed */
}

static void run_pingpong(struct async_stack_pool *pool, long rounds)
{
	struct async_stack *st;
	struct pingpong pp = { .rounds = rounds };
	long bad = -1;

	CHECK(async_stack_get(pool, 0, &st) == 0, "stack");
	async_ctx_make(&pp.co_ctx, st->lo, STACK_SIZE(st), pingpong_entry, &pp);
	for (long i = 0; i < rounds; i++) {
		async_ctx_switch(&pp.main_ctx, &pp.co_ctx);
		if (pp.counter != 2 * i + 1 && bad < 0)
			bad = i;
		pp.counter++;
	}
	async_ctx_switch(&pp.main_ctx, &pp.co_ctx);
	CHECK(bad < 0, "ping-pong out of step at round %ld", bad);
	CHECK(pp.counter == -1, "context did not finish (counter %ld)", pp.counter);
	async_stack_put(pool, st);
}

static void test_pingpong(struct async_stack_pool *pool)
{
	run_pingpong(pool, 100000);
	printf("ok   ping-pong: 100000 round trips (200002 switches), every other one via "
	       "async_ctx_switch_same_site()\n");
}

/* ------------------------------------------------------------------------ */
/* First entry: argument, stack, alignment, nothing written outside. */

struct entry_probe {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	void *arg_seen;
	uintptr_t sp_at_entry;
	uintptr_t frame;
	char text[32];
};

static void entry_probe_fn(void *arg)
{
	struct entry_probe *ep = arg;

	ep->arg_seen = arg;
	ep->sp_at_entry = read_sp();
	ep->frame = (uintptr_t)__builtin_frame_address(0);
	/* Variadic call with a double: goes through the FP/SIMD argument area. */
	snprintf(ep->text, sizeof(ep->text), "%.3f|%d", 2.0 / 3.0, 42);
	async_ctx_switch(&ep->co_ctx, &ep->main_ctx);
	abort();
}

#define CANARY 0x5a
#define ARENA 8192

static void test_first_entry(void)
{
	/* Our own buffer, with canaries on both sides of the range handed over;
	 * the top is deliberately not 16-byte aligned (lo + 8 + size - 8). */
	static unsigned char arena[ARENA + 256] __attribute__((aligned(16)));
	unsigned char *lo = arena + 8 + 64;
	size_t size = ARENA - 8;
	uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
	struct entry_probe ep = { 0 };
	int outside = 0;

	memset(arena, CANARY, sizeof(arena));
	async_ctx_make(&ep.co_ctx, lo, size, entry_probe_fn, &ep);
	async_ctx_switch(&ep.main_ctx, &ep.co_ctx);
	CHECK(ep.arg_seen == &ep, "argument %p, expected %p", ep.arg_seen, (void *)&ep);
	CHECK(ep.sp_at_entry % 16 == 0, "sp at entry %#lx not 16-byte aligned",
	      (unsigned long)ep.sp_at_entry);
	CHECK(ep.sp_at_entry > (uintptr_t)lo && ep.sp_at_entry < top,
	      "sp at entry %#lx outside the stack [%p, %#lx)", (unsigned long)ep.sp_at_entry,
	      (void *)lo, (unsigned long)top);
	CHECK(ep.frame % 16 == 0 && ep.frame > (uintptr_t)lo && ep.frame < top,
	      "frame %#lx misaligned or outside the stack", (unsigned long)ep.frame);
	CHECK(strcmp(ep.text, "0.667|42") == 0, "snprintf in the new context gave '%s'", ep.text);
	for (size_t i = 0; i < 64 + 8; i++)
		outside += arena[i] != CANARY;
	for (size_t i = (size_t)(lo - arena) + size; i < sizeof(arena); i++)
		outside += arena[i] != CANARY;
	CHECK(outside == 0, "%d bytes written outside [stack_lo, stack_lo + size)", outside);
	printf("ok   first entry: argument passed, sp 16-byte aligned (%lu bytes below an "
	       "unaligned top), snprintf(\"%%.3f\") ran, no byte outside the range written\n",
	       (unsigned long)(top - ep.sp_at_entry));
}

/* ------------------------------------------------------------------------ */
/*
 * Every register the switch must keep, set and read back in assembly around
 * the very call of the switch. sw_probe(in, out, fn, a0, a1) is an ordinary
 * AAPCS64 function: it saves its caller's callee-saved registers and FPCR,
 * loads x19-x29, d8-d15 and FPCR from @in, records sp in out->sp_before,
 * calls fn(a0, a1) (async_ctx_swap_asm, or async_ctx_switch on ucontext),
 * then stores x19-x29, d8-d15, FPCR and sp as it finds them into @out,
 * and restores its caller's state. It reaches @out through its own stack
 * after the call, so a switch that lost sp shows as a crash or as
 * sp_after != sp_before.
 */
struct regs {
	uint64_t x[11]; /* x19..x29 */
	uint64_t d[8];  /* d8..d15 */
	uint64_t fpcr;
	uint64_t sp_before;
	uint64_t sp_after;
};

_Static_assert(sizeof(struct regs) == 176, "offsets below");

void sw_probe(const struct regs *in, struct regs *out, void (*fn)(void), void *a0, void *a1);

__asm__(".text\n"
	".globl sw_probe\n"
	".type sw_probe, %function\n"
	".p2align 4\n"
	"sw_probe:\n"
	"	stp x29, x30, [sp, #-192]!\n"
	"	mov x29, sp\n"
	"	stp x19, x20, [sp, #16]\n"
	"	stp x21, x22, [sp, #32]\n"
	"	stp x23, x24, [sp, #48]\n"
	"	stp x25, x26, [sp, #64]\n"
	"	stp x27, x28, [sp, #80]\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mrs x9, fpcr\n"
	"	stp x1, x9, [sp, #160]\n" /* @out, the caller's FPCR */
	"	mov x9, sp\n"
	"	str x9, [x1, #160]\n" /* out->sp_before */
	"	ldr x9, [x0, #152]\n"
	"	msr fpcr, x9\n"
	"	ldp d8, d9, [x0, #88]\n"
	"	ldp d10, d11, [x0, #104]\n"
	"	ldp d12, d13, [x0, #120]\n"
	"	ldp d14, d15, [x0, #136]\n"
	"	ldp x19, x20, [x0, #0]\n"
	"	ldp x21, x22, [x0, #16]\n"
	"	ldp x23, x24, [x0, #32]\n"
	"	ldp x25, x26, [x0, #48]\n"
	"	ldp x27, x28, [x0, #64]\n"
	"	ldr x29, [x0, #80]\n"
	"	mov x16, x2\n"
	"	mov x0, x3\n"
	"	mov x1, x4\n"
	"	blr x16\n"
	"	mov x9, sp\n"
	"	ldr x10, [sp, #160]\n"
	"	str x9, [x10, #168]\n" /* out->sp_after */
	"	stp x19, x20, [x10, #0]\n"
	"	stp x21, x22, [x10, #16]\n"
	"	stp x23, x24, [x10, #32]\n"
	"	stp x25, x26, [x10, #48]\n"
	"	stp x27, x28, [x10, #64]\n"
	"	str x29, [x10, #80]\n"
	"	stp d8, d9, [x10, #88]\n"
	"	stp d10, d11, [x10, #104]\n"
	"	stp d12, d13, [x10, #120]\n"
	"	stp d14, d15, [x10, #136]\n"
	"	mrs x9, fpcr\n"
	"	str x9, [x10, #152]\n"
	"	ldr x9, [sp, #168]\n"
	"	msr fpcr, x9\n"
	"	ldp x19, x20, [sp, #16]\n"
	"	ldp x21, x22, [sp, #32]\n"
	"	ldp x23, x24, [sp, #48]\n"
	"	ldp x25, x26, [sp, #64]\n"
	"	ldp x27, x28, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	ldp x29, x30, [sp], #192\n"
	"	ret\n"
	".size sw_probe, .-sw_probe\n");

/* The switch as the probe calls it: the routine itself, as the inline
 * wrapper in switch.h calls it. */
static void probe_switch(struct async_ctx *from, struct async_ctx *to, const struct regs *in,
			 struct regs *out)
{
#if ASYNC_SWITCH_UCONTEXT
	sw_probe(in, out, (void (*)(void))async_ctx_switch, from, to);
#else
	sw_probe(in, out, (void (*)(void))async_ctx_swap_asm, &from->sp, to->sp);
#endif
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	return x;
}

/* Distinct values in every register, per side and per round; FPCR cycles
 * through rounding modes and FZ/DN so consecutive switches see both equal
 * and different FPCRs on the two sides. */
static void fill_regs(struct regs *r, uint64_t side, uint64_t round)
{
	static const uint64_t fpcrs[] = { 0, FPCR_RMODE(1), FPCR_RMODE(2) | FPCR_FZ,
					  FPCR_RMODE(3) | FPCR_DN, FPCR_FZ | FPCR_DN };

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 11; i++)
		r->x[i] = mix(side << 40 ^ round << 8 ^ (uint64_t)i);
	for (int i = 0; i < 8; i++)
		r->d[i] = mix(side << 40 ^ round << 8 ^ (uint64_t)(0x80 + i));
	/* side 1 runs one step behind side 0 in the cycle: on rounds where
	 * (round % 5) lands on the same entry, both sides have one FPCR. */
	r->fpcr = fpcrs[(round + side * (round & 1)) % 5];
}

static int regs_diff(const struct regs *want, const struct regs *got, char *why, size_t len)
{
	for (int i = 0; i < 11; i++)
		if (got->x[i] != want->x[i]) {
			snprintf(why, len, "x%d: %#llx, expected %#llx", 19 + i,
				 (unsigned long long)got->x[i], (unsigned long long)want->x[i]);
			return 1;
		}
	for (int i = 0; i < 8; i++)
		if (got->d[i] != want->d[i]) {
			snprintf(why, len, "d%d: %#llx, expected %#llx", 8 + i,
				 (unsigned long long)got->d[i], (unsigned long long)want->d[i]);
			return 1;
		}
	if ((got->fpcr & FPCR_TESTED) != want->fpcr) {
		snprintf(why, len, "fpcr: %#llx, expected %#llx", (unsigned long long)got->fpcr,
			 (unsigned long long)want->fpcr);
		return 1;
	}
	if (got->sp_after != got->sp_before) {
		snprintf(why, len, "sp: %#llx, expected %#llx", (unsigned long long)got->sp_after,
			 (unsigned long long)got->sp_before);
		return 1;
	}
	return 0;
}

#define REG_ROUNDS 2000

struct regtest {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	int rounds_checked[2];
	char why[2][160];
	int bad[2];
};

static void regs_entry(void *arg)
{
	struct regtest *rt = arg;
	struct regs in, out;

	for (uint64_t r = 0; r < REG_ROUNDS; r++) {
		fill_regs(&in, 1, r);
		probe_switch(&rt->co_ctx, &rt->main_ctx, &in, &out);
		if (!rt->bad[1] && regs_diff(&in, &out, rt->why[1], sizeof(rt->why[1])))
			rt->bad[1] = 1;
		rt->rounds_checked[1]++;
	}
	async_ctx_switch(&rt->co_ctx, &rt->main_ctx);
	abort();
}

static void test_registers(struct async_stack_pool *pool)
{
	struct async_stack *st;
	struct regtest rt = { 0 };
	struct regs in, out;

	CHECK(async_stack_get(pool, 0, &st) == 0, "stack");
	async_ctx_make(&rt.co_ctx, st->lo, STACK_SIZE(st), regs_entry, &rt);
	/* REG_ROUNDS + 1 switches into the context: the last resumes its
	 * final probe, whose check is the last of its rounds. */
	for (uint64_t r = 0; r <= REG_ROUNDS; r++) {
		fill_regs(&in, 0, r);
		probe_switch(&rt.main_ctx, &rt.co_ctx, &in, &out);
		if (!rt.bad[0] && regs_diff(&in, &out, rt.why[0], sizeof(rt.why[0])))
			rt.bad[0] = 1;
		rt.rounds_checked[0]++;
	}
	CHECK(!rt.bad[0], "main context after a switch: %s", rt.why[0]);
	CHECK(!rt.bad[1], "task context after a switch: %s", rt.why[1]);
	CHECK(rt.rounds_checked[0] == REG_ROUNDS + 1 && rt.rounds_checked[1] == REG_ROUNDS,
	      "rounds %d/%d", rt.rounds_checked[0], rt.rounds_checked[1]);
	async_stack_put(pool, st);
	printf("ok   registers: x19-x28, x29, d8-d15, sp and FPCR (RMode/FZ/DN) kept on both "
	       "sides over %d switches, the other side running with different values in "
	       "each\n",
	       2 * REG_ROUNDS + 1);
}

/* ------------------------------------------------------------------------ */
/* FPCR per context, seen by the arithmetic. */

struct fptest {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	uint64_t fpcr_at_entry;
	uint64_t fpcr_seen[3];
	double third_seen[3];
};

static void fp_entry(void *arg)
{
	struct fptest *ft = arg;

	ft->fpcr_at_entry = get_fpcr() & FPCR_TESTED;
	set_fpcr((get_fpcr() & ~FPCR_TESTED) | FPCR_RMODE(2) | FPCR_FZ);
	async_ctx_switch(&ft->co_ctx, &ft->main_ctx);
	/* main ran round-to-+inf meanwhile */
	ft->fpcr_seen[0] = get_fpcr() & FPCR_TESTED;
	ft->third_seen[0] = third();
	/* now the same state as main's: the switch's "equal" path */
	set_fpcr((get_fpcr() & ~FPCR_TESTED) | FPCR_RMODE(1));
	async_ctx_switch(&ft->co_ctx, &ft->main_ctx);
	ft->fpcr_seen[1] = get_fpcr() & FPCR_TESTED;
	ft->third_seen[1] = third();
	async_ctx_switch(&ft->co_ctx, &ft->main_ctx);
	ft->fpcr_seen[2] = get_fpcr() & FPCR_TESTED;
	ft->third_seen[2] = third();
	async_ctx_switch(&ft->co_ctx, &ft->main_ctx);
	abort();
}

static void test_fpcr(struct async_stack_pool *pool)
{
	struct async_stack *st;
	struct fptest ft = { 0 };
	uint64_t base = get_fpcr() & ~FPCR_TESTED;
	double nearest, up, down;

	CHECK((get_fpcr() & FPCR_TESTED) == 0, "FPCR %#llx at start",
	      (unsigned long long)get_fpcr());
	nearest = third();
	set_fpcr(base | FPCR_RMODE(1));
	up = third();
	set_fpcr(base | FPCR_RMODE(2));
	down = third();
	CHECK(up > nearest || down < nearest, "rounding mode has no effect (%a %a %a)", down,
	      nearest, up);
	/* The maker's state when async_ctx_make() runs is the context's first. */
	set_fpcr(base | FPCR_DN);
	CHECK(async_stack_get(pool, 0, &st) == 0, "stack");
	async_ctx_make(&ft.co_ctx, st->lo, STACK_SIZE(st), fp_entry, &ft);
	set_fpcr(base | FPCR_RMODE(1));
	async_ctx_switch(&ft.main_ctx, &ft.co_ctx);
	CHECK(ft.fpcr_at_entry == FPCR_DN, "new context started with FPCR %#llx, not its "
	      "maker's %#llx", (unsigned long long)ft.fpcr_at_entry,
	      (unsigned long long)FPCR_DN);
	CHECK((get_fpcr() & FPCR_TESTED) == FPCR_RMODE(1), "main's FPCR %#llx after the "
	      "context changed its own", (unsigned long long)get_fpcr());
	CHECK(third() == up, "main's 1/3 not rounded up");
	async_ctx_switch(&ft.main_ctx, &ft.co_ctx);
	CHECK(ft.fpcr_seen[0] == (FPCR_RMODE(2) | FPCR_FZ), "context's FPCR %#llx, expected "
	      "-inf|FZ", (unsigned long long)ft.fpcr_seen[0]);
	CHECK(ft.third_seen[0] == down, "context's 1/3 not rounded down");
	/* both sides +inf now */
	CHECK((get_fpcr() & FPCR_TESTED) == FPCR_RMODE(1), "main's FPCR %#llx",
	      (unsigned long long)get_fpcr());
	async_ctx_switch(&ft.main_ctx, &ft.co_ctx);
	CHECK(ft.fpcr_seen[1] == FPCR_RMODE(1) && ft.third_seen[1] == up,
	      "equal FPCRs: context has %#llx", (unsigned long long)ft.fpcr_seen[1]);
	set_fpcr(base);
	async_ctx_switch(&ft.main_ctx, &ft.co_ctx);
	CHECK(ft.fpcr_seen[2] == FPCR_RMODE(1) && ft.third_seen[2] == up,
	      "context lost its FPCR to main's change: %#llx", (unsigned long long)ft.fpcr_seen[2]);
	CHECK((get_fpcr() & FPCR_TESTED) == 0 && third() == nearest, "main's FPCR %#llx at end",
	      (unsigned long long)get_fpcr());
	set_fpcr(base);
	async_stack_put(pool, st);
	printf("ok   FPCR: a new context starts with its maker's; each context keeps its own "
	       "rounding mode/FZ (1/3 rounds accordingly), with the two sides' FPCRs "
	       "different and equal\n");
}

/* ------------------------------------------------------------------------ */
/* Deep recursion on a task stack, parked at the bottom. */

#define DEEP_STACK (1024u * 1024)
#define DEPTH 3000

struct deep {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	uintptr_t lowest_sp;
	uint64_t sum;
	int parked;
};

static __attribute__((noinline)) uint64_t recurse(struct deep *dp, int depth)
{
	volatile uint64_t pad[24];
	uint64_t s;

	for (int i = 0; i < 24; i++)
		pad[i] = mix((uint64_t)depth * 24 + (uint64_t)i);
	if (depth == 0) {
		dp->lowest_sp = read_sp();
		dp->parked = 1;
		async_ctx_switch(&dp->co_ctx, &dp->main_ctx);
		s = 0;
	} else {
		s = recurse(dp, depth - 1);
	}
	for (int i = 0; i < 24; i++)
		s += pad[i] ^ (uint64_t)depth;
	return s;
}

static void deep_entry(void *arg)
{
	struct deep *dp = arg;

	dp->sum = recurse(dp, DEPTH);
	async_ctx_switch(&dp->co_ctx, &dp->main_ctx);
	abort();
}

static void test_deep(struct async_stack_pool *pool)
{
	struct async_stack *st;
	struct deep dp = { 0 };
	uint64_t want = 0;

	for (int d = 0; d <= DEPTH; d++)
		for (int i = 0; i < 24; i++)
			want += mix((uint64_t)d * 24 + (uint64_t)i) ^ (uint64_t)d;
	CHECK(async_stack_get(pool, DEEP_STACK, &st) == 0, "1 MiB stack");
	async_ctx_make(&dp.co_ctx, st->lo, STACK_SIZE(st), deep_entry, &dp);
	async_ctx_switch(&dp.main_ctx, &dp.co_ctx);
	CHECK(dp.parked, "did not reach the bottom");
	/* Use main's stack in between, then resume at the bottom. */
	{
		volatile char scratch[4096];

		memset((char *)scratch, 0x33, sizeof(scratch));
		(void)scratch[100];
	}
	async_ctx_switch(&dp.main_ctx, &dp.co_ctx);
	CHECK(dp.sum == want, "frames corrupted: sum %#llx, expected %#llx",
	      (unsigned long long)dp.sum, (unsigned long long)want);
	CHECK(dp.lowest_sp > (uintptr_t)st->lo && dp.lowest_sp < (uintptr_t)st->hi,
	      "bottom sp %#lx outside the stack", (unsigned long)dp.lowest_sp);
	printf("ok   deep recursion: %d frames, %lu KiB of a %lu KiB task stack, parked at the "
	       "bottom and resumed, every frame intact\n",
	       DEPTH, (unsigned long)(((uintptr_t)st->hi - dp.lowest_sp) / 1024),
	       (unsigned long)(STACK_SIZE(st) / 1024));
	async_stack_put(pool, st);
}

/* ------------------------------------------------------------------------ */
/* A chain: each context switches straight to the next, the last to main. */

#define CHAIN 16
#define LAPS 500

struct chain {
	struct async_ctx main_ctx;
	struct async_ctx ctx[CHAIN];
	int visits[CHAIN];
	uint64_t local_sum[CHAIN];
	int order_bad;
	int turn;
};

struct chain_arg {
	struct chain *ch;
	int idx;
};

static void chain_entry(void *arg)
{
	struct chain_arg *ca = arg;
	struct chain *ch = ca->ch;
	int idx = ca->idx;
	uint64_t mine = mix((uint64_t)idx); /* lives in a callee-saved reg or the frame */
	double f = idx * 0.5;               /* and an FP one */

	for (int lap = 0; lap < LAPS; lap++) {
		if (ch->turn != idx)
			ch->order_bad = 1;
		ch->turn = (idx + 1) % CHAIN;
		ch->visits[idx]++;
		mine = mix(mine + (uint64_t)lap);
		f = f * 1.5 + 1.0;
		ch->local_sum[idx] = mine + (uint64_t)f;
		struct async_ctx *next = idx + 1 < CHAIN ? &ch->ctx[idx + 1] : &ch->main_ctx;

		if (lap & 1)
			async_ctx_switch_same_site(&ch->ctx[idx], next);
		else
			async_ctx_switch(&ch->ctx[idx], next);
		if (f > 1e6)
			f = idx * 0.5;
	}
	async_ctx_switch(&ch->ctx[idx], &ch->main_ctx);
	abort();
}

static void test_chain(struct async_stack_pool *pool)
{
	static struct chain ch;
	struct chain_arg args[CHAIN];
	struct async_stack *st[CHAIN];
	uint64_t want[CHAIN];
	int bad_sum = -1, bad_visits = -1;

	memset(&ch, 0, sizeof(ch));
	for (int i = 0; i < CHAIN; i++) {
		uint64_t mine = mix((uint64_t)i);
		double f = i * 0.5;

		for (int lap = 0; lap < LAPS; lap++) {
			mine = mix(mine + (uint64_t)lap);
			f = f * 1.5 + 1.0;
			want[i] = mine + (uint64_t)f;
			if (f > 1e6)
				f = i * 0.5;
		}
		args[i] = (struct chain_arg){ &ch, i };
		CHECK(async_stack_get(pool, 32 * 1024, &st[i]) == 0, "stack %d", i);
		async_ctx_make(&ch.ctx[i], st[i]->lo, STACK_SIZE(st[i]), chain_entry, &args[i]);
	}
	for (int lap = 0; lap < LAPS; lap++) {
		if (ch.turn != 0)
			ch.order_bad = 1;
		async_ctx_switch(&ch.main_ctx, &ch.ctx[0]);
	}
	for (int i = 0; i < CHAIN; i++) {
		if (ch.visits[i] != LAPS && bad_visits < 0)
			bad_visits = i;
		if (ch.local_sum[i] != want[i] && bad_sum < 0)
			bad_sum = i;
		/* let each finish its loop and come back here */
		async_ctx_switch(&ch.main_ctx, &ch.ctx[i]);
		async_stack_put(pool, st[i]);
	}
	CHECK(!ch.order_bad, "contexts ran out of order");
	CHECK(bad_visits < 0, "context %d ran %d times, expected %d", bad_visits,
	      bad_visits < 0 ? 0 : ch.visits[bad_visits], LAPS);
	CHECK(bad_sum < 0, "context %d lost its local state", bad_sum);
	printf("ok   chain: %d contexts x %d laps, each switching straight to the next "
	       "(%d switches), order and per-context integer/FP locals kept\n",
	       CHAIN, LAPS, CHAIN * LAPS + LAPS);
}

/* ------------------------------------------------------------------------ */
/* Several OS threads, each switching its own contexts, each with its own FPCR. */

#define THREADS 4

static void *thread_main(void *arg)
{
	struct async_stack_pool pool;
	int t = (int)(intptr_t)arg;
	uint64_t mode = FPCR_RMODE((unsigned)t % 4);
	uint64_t base = get_fpcr() & ~FPCR_TESTED;

	set_fpcr(base | mode);
	async_stack_pool_init(&pool, 4, 4);
	run_pingpong(&pool, 20000);
	CHECK((get_fpcr() & FPCR_TESTED) == mode, "thread %d FPCR %#llx", t,
	      (unsigned long long)get_fpcr());
	CHECK(async_stack_pool_fini(&pool) == 0, "thread %d leaked a stack", t);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[THREADS];

	for (int t = 0; t < THREADS; t++)
		CHECK(pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)t) == 0,
		      "pthread_create");
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	printf("ok   threads: %d OS threads, 20000 round trips each at once, each keeping its "
	       "own FPCR\n",
	       THREADS);
}

/* ------------------------------------------------------------------------ */
/* The first-entry frame ends the unwinder's walk. */

struct bt {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	int frames;
};

static __attribute__((noinline)) int bt_inner(void)
{
	void *frames[64];

	return backtrace(frames, 64);
}

static void bt_entry(void *arg)
{
	struct bt *b = arg;

	b->frames = bt_inner();
	async_ctx_switch(&b->co_ctx, &b->main_ctx);
	abort();
}

static void test_backtrace(struct async_stack_pool *pool)
{
	struct async_stack *st;
	struct bt b = { 0 };

	CHECK(async_stack_get(pool, 0, &st) == 0, "stack");
	async_ctx_make(&b.co_ctx, st->lo, STACK_SIZE(st), bt_entry, &b);
	async_ctx_switch(&b.main_ctx, &b.co_ctx);
	/* bt_inner, bt_entry, the trampoline (or glibc's start frame), and no
	 * further: the walk must neither run on into garbage nor fail. */
	CHECK(b.frames >= 2 && b.frames <= 5, "backtrace() in a context gave %d frames",
	      b.frames);
	async_stack_put(pool, st);
	printf("ok   backtrace(): %d frames inside a context, stopping at its first-entry "
	       "frame\n",
	       b.frames);
}

/* ------------------------------------------------------------------------ */
/* Fatal paths, each in a child process. */

static void returning_entry(void *arg)
{
	(void)arg;
}

/* Far more than any stack here holds; a bound, so the compiler sees an end. */
static volatile int g_overflow_depth = 1 << 30;

static __attribute__((noinline)) int overflow(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	if (n >= g_overflow_depth)
		return 0;
	return overflow(n + 1) + pad[0];
}

static void overflow_entry(void *arg)
{
	(void)arg;
	overflow(0);
}

static int child_signal(void (*entry)(void *), size_t stack_size)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		struct async_stack_pool pool;
		struct async_stack *st;
		struct async_ctx main_ctx, co_ctx;

		setrlimit(RLIMIT_CORE, &no_core);
		async_stack_pool_init(&pool, 1, 1);
		if (async_stack_get(&pool, stack_size, &st) != 0)
			_exit(3);
		async_ctx_make(&co_ctx, st->lo, STACK_SIZE(st), entry, NULL);
		async_ctx_switch(&main_ctx, &co_ctx);
		_exit(0); /* the context came back: wrong */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 1000 + WEXITSTATUS(status);
}

static void test_fatal(void)
{
	int want = ASYNC_SWITCH_UCONTEXT ? SIGABRT : SIGTRAP;
	int sig;

	printf("     (two children die next: qemu reports each as an uncaught signal)\n");
	fflush(NULL);
	sig = child_signal(returning_entry, 0);
	CHECK(sig == want, "an entry function that returned ended the child with %d, "
	      "expected signal %d", sig, want);
	sig = child_signal(overflow_entry, ASYNC_STACK_MIN);
	CHECK(sig == SIGSEGV, "stack overflow ended the child with %d, expected SIGSEGV", sig);
	printf("ok   fatal paths: an entry function that returns dies by %s, a %u KiB stack "
	       "overflowed hits its guard page (SIGSEGV)\n",
	       ASYNC_SWITCH_UCONTEXT ? "abort() (SIGABRT)" : "brk (SIGTRAP)",
	       ASYNC_STACK_MIN / 1024);
}

/* ------------------------------------------------------------------------ */
/*
 * "FPCR is written only when the incoming context's differs": invisible to
 * the program (the state is the same either way), so switch_cross.sh runs
 * this mode under qemu's execution trace and counts how often the routine's
 * msr fpcr ran: never while both sides have one FPCR, once per switch while
 * they differ. Prints what the script compares the trace with.
 */
#if !ASYNC_SWITCH_UCONTEXT
struct fpcr_trace {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
};

#define TRACE_ROUNDS 10

static void fpcr_trace_entry(void *arg)
{
	struct fpcr_trace *ft = arg;

	for (int i = 0; i < TRACE_ROUNDS; i++)
		async_ctx_switch(&ft->co_ctx, &ft->main_ctx);
	set_fpcr(get_fpcr() | FPCR_RMODE(1));
	for (;;)
		async_ctx_switch(&ft->co_ctx, &ft->main_ctx);
}

static int fpcr_trace(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct fpcr_trace ft;

	async_ctx_make(&ft.co_ctx, stack, sizeof(stack), fpcr_trace_entry, &ft);
	/* TRACE_ROUNDS round trips with one FPCR on both sides; the last
	 * switch back comes from a context whose FPCR now differs, as do the
	 * TRACE_ROUNDS round trips after it. */
	for (int i = 0; i < 2 * TRACE_ROUNDS + 1; i++)
		async_ctx_switch(&ft.main_ctx, &ft.co_ctx);
	printf("swap=%p switches=%d differing=%d\n", (void *)async_ctx_swap_asm,
	       2 * (2 * TRACE_ROUNDS + 1), 2 * TRACE_ROUNDS + 1);
	return 0;
}
#else
static int fpcr_trace(void)
{
	printf("fpcr-trace: not the hand-written switch\n");
	return 2;
}
#endif

/* ------------------------------------------------------------------------ */
/*
 * Branch protection. switch_cross.sh links the "bti-enforced" run with
 * -z force-bti, as Debian 12's start files carry no BTI note, and drops the
 * start files that code would enter by an indirect branch without a landing
 * pad: crti/crtn (_init, _fini) and crtbegin/crtend (frame_dummy from
 * .init_array), keeping Scrt1.o's _start, which the dynamic loader enters by
 * br x16: -e sio_test_bti_start gives it a "bti c" and a direct branch on.
 */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
__asm__(".text\n"
	".globl sio_test_bti_start\n"
	".type sio_test_bti_start, %function\n"
	".p2align 2\n"
	"sio_test_bti_start:\n"
	"	hint #34\n" /* bti c */
	"	b _start\n"
	".size sio_test_bti_start, .-sio_test_bti_start\n"
	/* The deliberate miss: a function starting without a landing pad. */
	".globl no_landing_pad\n"
	".type no_landing_pad, %function\n"
	".p2align 2\n"
	"no_landing_pad:\n"
	"	mov x0, #7\n"
	"	ret\n"
	".size no_landing_pad, .-no_landing_pad\n");

long no_landing_pad(void);
static long (*volatile g_no_pad)(void) = no_landing_pad;

static void call_no_pad(void *arg)
{
	(void)arg;
	_exit((int)g_no_pad()); /* 7 where the page is not guarded */
}
#endif

#ifndef HWCAP_PACA
#define HWCAP_PACA (1ul << 30)
#endif
#ifndef HWCAP2_BTI
#define HWCAP2_BTI (1ul << 17)
#endif

#if !ASYNC_SWITCH_UCONTEXT && defined(__ARM_FEATURE_PAC_DEFAULT)
void async_ctx_trampoline(void); /* switch_aarch64.S */
#endif

static void test_branch_protection(int bti_enforced)
{
#if !ASYNC_SWITCH_UCONTEXT && defined(__ARM_FEATURE_PAC_DEFAULT)
	if (getauxval(AT_HWCAP) & HWCAP_PACA) {
		static char stack[16 * 1024] __attribute__((aligned(16)));
		struct async_ctx ctx;
		uint64_t raw, plain;

		async_ctx_make(&ctx, stack, sizeof(stack), returning_entry, NULL);
		raw = ((uint64_t *)ctx.sp)[11]; /* x30 in the frame (switch_aarch64.S) */
		{
			register uint64_t lr __asm__("x30") = raw;

			__asm__("hint #7" : "+r"(lr)); /* xpaclri: strip the code */
			plain = lr;
		}
		CHECK(plain == (uint64_t)(uintptr_t)async_ctx_trampoline && raw != plain,
		      "first-entry resume address %#llx (stripped %#llx), expected the "
		      "trampoline %p signed", (unsigned long long)raw,
		      (unsigned long long)plain, (void *)async_ctx_trampoline);
		printf("ok   PAC: a new context's resume address is signed (%#llx for the "
		       "trampoline at %p), and every switch above authenticated one\n",
		       (unsigned long long)raw, (void *)async_ctx_trampoline);
	} else {
		printf("--   PAC: built for it, but this CPU has no pointer authentication\n");
	}
#endif
	if (!bti_enforced)
		return;
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
	{
		int sig;

		CHECK(getauxval(AT_HWCAP2) & HWCAP2_BTI, "the CPU reports no BTI (HWCAP2)");
		printf("     (a child dies next: the deliberate call without a landing pad)\n");
		fflush(NULL);
		sig = child_signal(call_no_pad, 0);
		CHECK(sig == SIGILL, "an indirect call to code without a landing pad ended the "
		      "child with %d, expected SIGILL: BTI is not enforced in this run", sig);
		printf("ok   BTI enforced: an indirect call to code without a landing pad dies "
		       "by SIGILL, so every indirect call above (the register probe's blr "
		       "into the routine) landed on a pad\n");
	}
#else
	CHECK(0, "bti-enforced run of a build without -mbranch-protection=bti/standard");
#endif
}

int main(int argc, char **argv)
{
	struct async_stack_pool pool;
	const char *want = ASYNC_SWITCH_UCONTEXT ? "ucontext" : "aarch64";

	int bti_enforced = argc > 1 && strcmp(argv[1], "bti-enforced") == 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "fpcr-trace") == 0)
		return fpcr_trace();
	printf("switch implementation: %s\n", async_ctx_impl());
	CHECK(strcmp(async_ctx_impl(), want) == 0, "implementation %s, expected %s",
	      async_ctx_impl(), want);
	async_stack_pool_init(&pool, 8, 8);
	test_pingpong(&pool);
	test_first_entry();
	test_registers(&pool);
	test_fpcr(&pool);
	test_deep(&pool);
	test_chain(&pool);
	test_threads();
	test_backtrace(&pool);
	test_fatal();
	test_branch_protection(bti_enforced);
	CHECK(async_stack_pool_fini(&pool) == 0, "stacks leaked");
	printf("%s: %d checks, %d failed\n", async_ctx_impl(), g_checks, g_failures);
	return g_failures ? 1 : 0;
}
