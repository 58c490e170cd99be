/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The machine layer under tasks: the context switch and the stack pool,
 * tested without any sio_thread. Built twice: once with the hand-written
 * switch, once forced onto the portable ucontext path.
 */
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "async/stack.h"
#include "async/switch.h"

struct pingpong {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	int counter;
	int rounds;
	uintptr_t frame_align;
};

static void pingpong_entry(void *arg)
{
	struct pingpong *pp = arg;

	pp->frame_align = (uintptr_t)__builtin_frame_address(0) & 15;
	for (int i = 0; i < pp->rounds; i++) {
		/* Odd values are written here, even ones by the main context. */
		assert_int_equal(pp->counter, 2 * i);
		pp->counter++;
		async_ctx_switch(&pp->co_ctx, &pp->main_ctx);
	}
	pp->counter = -1;
	async_ctx_switch(&pp->co_ctx, &pp->main_ctx);
	fail_msg("a finished context was resumed");
}

static void test_pingpong(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *st;
	struct pingpong pp = { .rounds = 1000 };

	async_stack_pool_init(&pool, 4, 4);
	assert_int_equal(async_stack_get(&pool, 0, &st), 0);
	async_ctx_make(&pp.co_ctx, st->lo, (size_t)((char *)st->hi - (char *)st->lo),
		       pingpong_entry, &pp);
	for (int i = 0; i < pp.rounds; i++) {
		async_ctx_switch(&pp.main_ctx, &pp.co_ctx);
		assert_int_equal(pp.counter, 2 * i + 1);
		pp.counter++;
	}
	async_ctx_switch(&pp.main_ctx, &pp.co_ctx);
	assert_int_equal(pp.counter, -1);
	assert_int_equal(pp.frame_align, 0);
	async_stack_put(&pool, st);
	assert_int_equal(async_stack_pool_fini(&pool), 0);
}

/*
 * Callee-saved state is per context. FP control state is per context where
 * the switch keeps it (aarch64, ucontext); x86-64's hand-written switch
 * leaves it to the OS thread (the task layer keeps it for the tasks that ask,
 * async_fpctl_switch() below), so there a change made in one context is seen
 * by the next.
 */
struct fpstate {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	int co_round_mode;
	double co_value;
	char text[64];
};

static void fp_entry(void *arg)
{
	struct fpstate *fs = arg;
	volatile double x = 1.0, y = 3.0;

	fesetround(FE_UPWARD);
	async_ctx_switch(&fs->co_ctx, &fs->main_ctx);
	/* The main context ran in FE_TONEAREST meanwhile; ours must be back,
	 * where the switch keeps it. */
	fs->co_round_mode = fegetround();
	fs->co_value = x / y;
	/* printf with a double uses aligned SSE stores on the stack: a misaligned
	 * first frame would crash here. */
	snprintf(fs->text, sizeof(fs->text), "%.3f", fs->co_value);
	async_ctx_switch(&fs->co_ctx, &fs->main_ctx);
	fail_msg("resumed after the end");
}

static void test_fp_control_per_context(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *st;
	struct fpstate fs = { 0 };
	volatile double x = 1.0, y = 3.0;
	/* Callee-saved registers: keep values live across switches in locals. */
	volatile long a = 11, b = 22, c = 33;
	long ra = a * 3, rb = b * 5, rc = c * 7;

	assert_int_equal(fegetround(), FE_TONEAREST);
	async_stack_pool_init(&pool, 4, 4);
	assert_int_equal(async_stack_get(&pool, 0, &st), 0);
	async_ctx_make(&fs.co_ctx, st->lo, (size_t)((char *)st->hi - (char *)st->lo), fp_entry,
		       &fs);
	async_ctx_switch(&fs.main_ctx, &fs.co_ctx);
#if ASYNC_FPCTL_BY_TASK
	/* The thread's state, which the other context changed. */
	assert_int_equal(fegetround(), FE_UPWARD);
	fesetround(FE_TONEAREST);
#else
	assert_int_equal(fegetround(), FE_TONEAREST);
#endif
	async_ctx_switch(&fs.main_ctx, &fs.co_ctx);
	assert_int_equal(fegetround(), FE_TONEAREST);
#if ASYNC_FPCTL_BY_TASK
	assert_int_equal(fs.co_round_mode, FE_TONEAREST);
	assert_true(fs.co_value == x / y);
	assert_string_equal(fs.text, "0.333");
#else
	assert_int_equal(fs.co_round_mode, FE_UPWARD);
	/* Rounded up, 1/3 is strictly greater than the round-to-nearest value. */
	assert_true(fs.co_value > x / y);
	assert_string_equal(fs.text, "0.334");
#endif
	assert_int_equal(ra, 33);
	assert_int_equal(rb, 110);
	assert_int_equal(rc, 231);
	async_stack_put(&pool, st);
	async_stack_pool_fini(&pool);
}

#if defined(__x86_64__)
/*
 * The FP control state is loaded only when the incoming side's differs from
 * the running one: a difference in MXCSR alone, in the x87 control word
 * alone, and none at all must each come out right. Tested on the switch
 * where it keeps the state (ucontext), else on async_fpctl_switch(), which
 * the task layer uses for SIO_TASK_OWN_FP_CONTROL tasks.
 */
#define MXCSR_FTZ 0x8000u
#define FPCW_PC_MASK 0x0300u /* precision control; 00 = single */

static uint32_t get_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static __attribute__((unused)) void set_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint16_t get_fpcw(void)
{
	uint16_t v;

	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static __attribute__((unused)) void set_fpcw(uint16_t v)
{
	__asm__ volatile("fldcw %0" : : "m"(v));
}

#if ASYNC_FPCTL_BY_TASK
static void test_fp_control_each_word(void **state)
{
	uint32_t mx = get_mxcsr();
	uint16_t cw = get_fpcw();
	struct async_fpctl mine, other, saved;

	assert_int_equal(mx & MXCSR_FTZ, 0);
	assert_int_equal(cw & FPCW_PC_MASK, FPCW_PC_MASK);
	async_fpctl_save(&mine);
	assert_int_equal(mine.mxcsr, mx);
	assert_int_equal(mine.fpcw, cw);
	/* MXCSR differs, x87 word same. */
	other = mine;
	other.mxcsr |= MXCSR_FTZ;
	async_fpctl_switch(&saved, &other);
	assert_int_equal(saved.mxcsr, mx);
	assert_int_equal(saved.fpcw, cw);
	assert_int_equal(get_mxcsr(), mx | MXCSR_FTZ);
	assert_int_equal(get_fpcw(), cw);
	async_fpctl_switch(&other, &mine);
	assert_int_equal(other.mxcsr, mx | MXCSR_FTZ);
	assert_int_equal(get_mxcsr(), mx);
	assert_int_equal(get_fpcw(), cw);
	/* Only the x87 word differs. */
	other = mine;
	other.fpcw = (uint16_t)(cw & ~FPCW_PC_MASK);
	async_fpctl_switch(&saved, &other);
	assert_int_equal(get_mxcsr(), mx);
	assert_int_equal(get_fpcw(), cw & ~FPCW_PC_MASK);
	async_fpctl_switch(&other, &mine);
	assert_int_equal(other.fpcw, cw & ~FPCW_PC_MASK);
	assert_int_equal(get_fpcw(), cw);
	/* Both differ, then none. */
	other.mxcsr = mx | MXCSR_FTZ;
	async_fpctl_switch(&saved, &other);
	assert_int_equal(get_mxcsr(), mx | MXCSR_FTZ);
	assert_int_equal(get_fpcw(), cw & ~FPCW_PC_MASK);
	async_fpctl_switch(&other, &mine);
	async_fpctl_switch(&saved, &mine);
	assert_int_equal(saved.mxcsr, mx);
	assert_int_equal(saved.fpcw, cw);
	assert_int_equal(get_mxcsr(), mx);
	assert_int_equal(get_fpcw(), cw);
}
#else
struct fpbits {
	struct async_ctx main_ctx;
	struct async_ctx co_ctx;
	uint32_t co_mxcsr[3];
	uint16_t co_fpcw[3];
};

static void fpbits_entry(void *arg)
{
	struct fpbits *fb = arg;

	set_mxcsr(get_mxcsr() | MXCSR_FTZ); /* MXCSR differs, x87 word same */
	async_ctx_switch(&fb->co_ctx, &fb->main_ctx);
	fb->co_mxcsr[0] = get_mxcsr();
	fb->co_fpcw[0] = get_fpcw();
	set_mxcsr(get_mxcsr() & ~MXCSR_FTZ); /* now only the x87 word differs */
	set_fpcw((uint16_t)(get_fpcw() & ~FPCW_PC_MASK));
	async_ctx_switch(&fb->co_ctx, &fb->main_ctx);
	fb->co_mxcsr[1] = get_mxcsr();
	fb->co_fpcw[1] = get_fpcw();
	set_fpcw((uint16_t)(get_fpcw() | FPCW_PC_MASK)); /* both as main's */
	async_ctx_switch(&fb->co_ctx, &fb->main_ctx);
	fb->co_mxcsr[2] = get_mxcsr();
	fb->co_fpcw[2] = get_fpcw();
	async_ctx_switch(&fb->co_ctx, &fb->main_ctx);
	fail_msg("resumed after the end");
}

static void test_fp_control_each_word(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *st;
	struct fpbits fb = { 0 };
	uint32_t mx = get_mxcsr();
	uint16_t cw = get_fpcw();

	assert_int_equal(mx & MXCSR_FTZ, 0);
	assert_int_equal(cw & FPCW_PC_MASK, FPCW_PC_MASK);
	async_stack_pool_init(&pool, 4, 4);
	assert_int_equal(async_stack_get(&pool, 0, &st), 0);
	async_ctx_make(&fb.co_ctx, st->lo, (size_t)((char *)st->hi - (char *)st->lo),
		       fpbits_entry, &fb);
	for (int i = 0; i < 4; i++) {
		async_ctx_switch(&fb.main_ctx, &fb.co_ctx);
		/* Ours is back whatever the other context did to its own. */
		assert_int_equal(get_mxcsr(), mx);
		assert_int_equal(get_fpcw(), cw);
	}
	assert_int_equal(fb.co_mxcsr[0], mx | MXCSR_FTZ);
	assert_int_equal(fb.co_fpcw[0], cw);
	assert_int_equal(fb.co_mxcsr[1], mx);
	assert_int_equal(fb.co_fpcw[1], cw & ~FPCW_PC_MASK);
	assert_int_equal(fb.co_mxcsr[2], mx);
	assert_int_equal(fb.co_fpcw[2], cw);
	async_stack_put(&pool, st);
	async_stack_pool_fini(&pool);
}
#endif
#endif

/* Many contexts switching among themselves, round robin, none via main. */
#define RING 64
struct ring {
	struct async_ctx main_ctx;
	struct async_ctx ctx[RING];
	int visits[RING];
	int laps;
};
static struct ring g_ring;

static void ring_entry(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int lap = 0; lap < g_ring.laps; lap++) {
		g_ring.visits[me]++;
		if (me == RING - 1)
			async_ctx_switch(&g_ring.ctx[me], &g_ring.main_ctx);
		else
			async_ctx_switch(&g_ring.ctx[me], &g_ring.ctx[me + 1]);
	}
	fail_msg("ring context ran past its laps");
}

static void test_ring(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *st[RING];

	memset(&g_ring, 0, sizeof(g_ring));
	g_ring.laps = 100;
	async_stack_pool_init(&pool, RING, 0);
	for (int i = 0; i < RING; i++) {
		assert_int_equal(async_stack_get(&pool, 16 * 1024, &st[i]), 0);
		async_ctx_make(&g_ring.ctx[i], st[i]->lo,
			       (size_t)((char *)st[i]->hi - (char *)st[i]->lo), ring_entry,
			       (void *)(intptr_t)i);
	}
	for (int lap = 0; lap < g_ring.laps; lap++) {
		async_ctx_switch(&g_ring.main_ctx, &g_ring.ctx[0]);
		for (int i = 0; i < RING; i++)
			assert_int_equal(g_ring.visits[i], lap + 1);
	}
	for (int i = 0; i < RING; i++)
		async_stack_put(&pool, st[i]);
	assert_int_equal(pool.stats.mapped, RING);
	assert_int_equal(async_stack_pool_fini(&pool), 0);
	assert_int_equal(pool.stats.unmapped, RING);
}

/*
 * The same ring through async_ctx_switch_same_site() (the way out of a task
 * chain): each context keeps its own callee-saved registers and its own FP
 * rounding mode across the hops (neighbours differ, so every hop loads the
 * FP control state), and main, entered and left by async_ctx_switch(), keeps
 * round-to-nearest. Where the switch leaves the FP control state to the task
 * layer (ASYNC_FPCTL_BY_TASK), each context does here what the task layer
 * does for a SIO_TASK_OWN_FP_CONTROL task: give the outer state back before
 * it switches, take its own again after.
 */
static struct ring g_ring_ss;
static int g_ring_ss_bad;
static struct async_fpctl g_ring_ss_fp[RING], g_ring_ss_outer[RING];

static void ring_ss_entry(void *arg)
{
	int me = (int)(intptr_t)arg;
	int mode = me % 2 ? FE_DOWNWARD : FE_UPWARD;
	/* Live across every switch: in callee-saved registers or the frame. */
	volatile long mine = 1000 + me;
	long keep = mine * 3;

	async_fpctl_save(&g_ring_ss_outer[me]);
	fesetround(mode);
	for (int lap = 0; lap < g_ring_ss.laps; lap++) {
		g_ring_ss.visits[me]++;
		async_fpctl_switch(&g_ring_ss_fp[me], &g_ring_ss_outer[me]);
		if (me == RING - 1)
			async_ctx_switch(&g_ring_ss.ctx[me], &g_ring_ss.main_ctx);
		else
			async_ctx_switch_same_site(&g_ring_ss.ctx[me], &g_ring_ss.ctx[me + 1]);
		async_fpctl_switch(&g_ring_ss_outer[me], &g_ring_ss_fp[me]);
		if (fegetround() != mode || keep != (1000 + me) * 3)
			g_ring_ss_bad++;
	}
	fail_msg("ring context ran past its laps");
}

static void test_ring_same_site(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *st[RING];

	memset(&g_ring_ss, 0, sizeof(g_ring_ss));
	g_ring_ss_bad = 0;
	g_ring_ss.laps = 100;
	async_stack_pool_init(&pool, RING, 0);
	for (int i = 0; i < RING; i++) {
		assert_int_equal(async_stack_get(&pool, 16 * 1024, &st[i]), 0);
		async_ctx_make(&g_ring_ss.ctx[i], st[i]->lo,
			       (size_t)((char *)st[i]->hi - (char *)st[i]->lo), ring_ss_entry,
			       (void *)(intptr_t)i);
	}
	for (int lap = 0; lap < g_ring_ss.laps; lap++) {
		async_ctx_switch(&g_ring_ss.main_ctx, &g_ring_ss.ctx[0]);
		assert_int_equal(fegetround(), FE_TONEAREST);
		for (int i = 0; i < RING; i++)
			assert_int_equal(g_ring_ss.visits[i], lap + 1);
	}
	assert_int_equal(g_ring_ss_bad, 0);
	for (int i = 0; i < RING; i++)
		async_stack_put(&pool, st[i]);
	assert_int_equal(async_stack_pool_fini(&pool), 0);
}

/* Successive stacks start at different offsets in their page (cache colours),
 * each still with at least its class size usable. */
static void test_stack_colors(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *st[ASYNC_STACK_COLORS + 1];
	uintptr_t first_off = 0;

	async_stack_pool_init(&pool, ASYNC_STACK_COLORS + 1, 0);
	for (unsigned int i = 0; i <= ASYNC_STACK_COLORS; i++) {
		uintptr_t off;

		assert_int_equal(async_stack_get(&pool, ASYNC_STACK_MIN, &st[i]), 0);
		assert_true((size_t)((char *)st[i]->hi - (char *)st[i]->lo) >= ASYNC_STACK_MIN);
		assert_int_equal((uintptr_t)st[i]->hi & 15, 0);
		off = (uintptr_t)st[i]->hi & (pool.page - 1);
		if (i == 0)
			first_off = off;
		else if (i < ASYNC_STACK_COLORS)
			assert_true(off != first_off);
		else
			assert_true(off == first_off); /* the colours wrap around */
		/* The top of the stack is writable right up to hi. */
		memset((char *)st[i]->hi - 64, 0x5a, 64);
	}
	for (unsigned int i = 0; i <= ASYNC_STACK_COLORS; i++)
		async_stack_put(&pool, st[i]);
	assert_int_equal(async_stack_pool_fini(&pool), 0);
}

static void test_stack_pool_recycles(void **state)
{
	struct async_stack_pool pool;
	struct async_stack *a, *b, *c, *d;

	async_stack_pool_init(&pool, 1, 1);
	assert_int_equal(async_stack_round(&pool, 0), ASYNC_STACK_DEFAULT);
	assert_int_equal(async_stack_round(&pool, 1), ASYNC_STACK_MIN);
	assert_int_equal(async_stack_round(&pool, ASYNC_STACK_MIN + 1), ASYNC_STACK_MIN + pool.page);
	assert_int_equal(async_stack_get(&pool, ASYNC_STACK_MAX + 1, &a), -EINVAL);

	assert_int_equal(async_stack_get(&pool, 0, &a), 0);
	assert_int_equal(async_stack_get(&pool, 0, &b), 0);
	assert_int_equal(async_stack_get(&pool, 0, &c), 0);
	assert_int_equal(pool.stats.mapped, 3);
	assert_true((char *)a->hi - (char *)a->lo >= (ptrdiff_t)(ASYNC_STACK_DEFAULT - pool.page));
	assert_int_equal((uintptr_t)a->hi & 15, 0);
	memset(a->lo, 0xa5, 4096);
	memset(c->lo, 0xc7, 4096);

	/* Puts make no system call: everything goes warm until trimmed. */
	async_stack_put(&pool, a);
	async_stack_put(&pool, b);
	async_stack_put(&pool, c);
	assert_int_equal(pool.stats.released, 0);
	assert_int_equal(pool.stats.unmapped, 0);
	assert_int_equal(pool.stats.in_use, 0);
	assert_true(async_stack_pool_needs_trim(&pool));
	/* Trim takes the surplus from the top of the warm list: c goes cold
	 * (pages dropped), b is beyond the cold limit (unmapped), a stays. */
	async_stack_pool_trim(&pool);
	assert_false(async_stack_pool_needs_trim(&pool));
	assert_int_equal(pool.stats.released, 1);
	assert_int_equal(pool.stats.unmapped, 1);

	/* Warm first, untouched; then the cold one, zero-filled by the kernel. */
	assert_int_equal(async_stack_get(&pool, 0, &d), 0);
	assert_ptr_equal(d, a);
	assert_int_equal(((unsigned char *)d->lo)[100], 0xa5);
	assert_int_equal(async_stack_get(&pool, 0, &d), 0);
	assert_ptr_equal(d, c);
	assert_int_equal(((unsigned char *)d->lo)[100], 0);
	assert_int_equal(pool.stats.reused, 2);
	assert_int_equal(pool.stats.mapped, 3);
	async_stack_put(&pool, a);
	async_stack_put(&pool, c);
	async_stack_pool_trim(&pool);

	/* A size of its own gets a class of its own. */
	assert_int_equal(async_stack_get(&pool, 256 * 1024, &d), 0);
	assert_int_equal(d->size, 256 * 1024);
	async_stack_put(&pool, d);
	assert_int_equal(async_stack_get(&pool, 256 * 1024, &c), 0);
	assert_ptr_equal(c, d);
	async_stack_put(&pool, c);
	assert_int_equal(async_stack_pool_fini(&pool), 0);
	assert_int_equal(pool.stats.unmapped, pool.stats.mapped);
}

/* Recursion bounded only by a limit no stack reaches: the guard page stops it. */
static volatile int g_depth_limit = 1 << 30;

static int deep(volatile char *prev, int n)
{
	volatile char buf[512];

	buf[0] = (char)n;
	buf[511] = prev ? prev[0] : 0;
	if (n >= g_depth_limit)
		return buf[0];
	return deep(buf, n + 1) + buf[511];
}

static struct async_ctx g_ovf_main, g_ovf_co;
static void overflow_entry(void *arg)
{
	deep(NULL, 0);
	async_ctx_switch(&g_ovf_co, &g_ovf_main);
}

static void test_guard_page_stops_overflow(void **state)
{
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct async_stack_pool pool;
		struct async_stack *st;

		/* No alternate signal stack: the fault on the guard page kills us
		 * with the default action. */
		signal(SIGSEGV, SIG_DFL);
		async_stack_pool_init(&pool, 1, 1);
		if (async_stack_get(&pool, 32 * 1024, &st) != 0)
			_exit(2);
		async_ctx_make(&g_ovf_co, st->lo, (size_t)((char *)st->hi - (char *)st->lo),
			       overflow_entry, NULL);
		async_ctx_switch(&g_ovf_main, &g_ovf_co);
		_exit(3); /* the overflow did not fault */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pingpong),
		cmocka_unit_test(test_fp_control_per_context),
#if defined(__x86_64__)
		cmocka_unit_test(test_fp_control_each_word),
#endif
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_same_site),
		cmocka_unit_test(test_stack_colors),
		cmocka_unit_test(test_stack_pool_recycles),
		cmocka_unit_test(test_guard_page_stops_overflow),
	};

	printf("switch implementation: %s\n", async_ctx_impl());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
