/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_async: what the async layer costs.
 *
 *   switch        one context switch with the hand-written routine (half a
 *                 ping-pong round trip), and glibc swapcontext for scale
 *   spawn         spawn a task and let it run to the end (batches of 1000)
 *   await-done    sio_await() on a future that is already complete
 *   op/callback   an operation completed by a poller on the next poll, in
 *                 callback form: the callback submits the next one
 *   op/await      the same operation awaited in a loop by one task
 *                 (SIO_AWAIT_CALL); the difference is the cost of await
 *   opqd          both again with 128 operations in flight (128 callback
 *                 chains, or 128 tasks), each poll completing all of them:
 *                 the shape of a storage benchmark at depth; the tasks
 *                 once more spawned with SIO_TASK_OWN_FP_CONTROL (what a
 *                 task that keeps its own FP control state pays)
 *
 * Every figure is the best of several runs, in ns per operation.
 * Usage: bench_async [iterations-millions (default 2)] [only: switch|spawn|await|op|opqd]
 *                    [depth for opqd (default 128)]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "async/async_internal.h"
#include "spdk_io/async.h"
#include "../tests/async/fake_dev.h"

#define RUNS 5

static struct sio_thread *g_thread;
static struct fake_dev g_dev;
static uint64_t g_iters;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- raw switch ---- */

static struct async_ctx g_main_ctx, g_co_ctx;

static void pingpong(void *arg)
{
	for (;;)
		async_ctx_switch(&g_co_ctx, &g_main_ctx);
}

__attribute__((noinline)) static double bench_switch(void)
{
	struct async_stack_pool pool;
	struct async_stack *st;
	double best = 1e30;

	async_stack_pool_init(&pool, 1, 0);
	if (async_stack_get(&pool, 0, &st) != 0)
		abort();
	async_ctx_make(&g_co_ctx, st->lo, (size_t)((char *)st->hi - (char *)st->lo), pingpong, NULL);
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		for (uint64_t i = 0; i < g_iters; i++)
			async_ctx_switch(&g_main_ctx, &g_co_ctx);
		double ns = (double)(now_ns() - t0) / (double)(2 * g_iters);
		if (ns < best)
			best = ns;
	}
	/* The coroutine stays suspended forever; its stack is simply leaked
	 * with the pool at exit. */
	return best;
}

static ucontext_t g_uc_main, g_uc_co;

static void uc_pingpong(void)
{
	for (;;)
		swapcontext(&g_uc_co, &g_uc_main);
}

__attribute__((noinline)) static double bench_swapcontext(void)
{
	static char stack[64 * 1024];
	/* volatile: swapcontext() returns twice as far as the compiler knows. */
	volatile uint64_t n = g_iters / 20 + 1;
	volatile double best = 1e30;

	getcontext(&g_uc_co);
	g_uc_co.uc_stack.ss_sp = stack;
	g_uc_co.uc_stack.ss_size = sizeof(stack);
	makecontext(&g_uc_co, uc_pingpong, 0);
	for (volatile int r = 0; r < RUNS; r++) {
		volatile uint64_t t0 = now_ns();

		for (volatile uint64_t i = 0; i < n; i++)
			swapcontext(&g_uc_main, &g_uc_co);
		double ns = (double)(now_ns() - t0) / (double)(2 * n);
		if (ns < best)
			best = ns;
	}
	return best;
}

/* ---- spawn and finish ---- */

static int empty_fn(void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

__attribute__((noinline)) static double bench_spawn(void)
{
	const int batch = 1000;
	uint64_t n = g_iters / 4 / batch * batch, ran = 0;

	if (n == 0)
		n = batch; /* small iteration counts still time one batch */
	double best = 1e30;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		for (uint64_t i = 0; i < n; i += batch) {
			for (int j = 0; j < batch; j++) {
				if (sio_task_spawn(NULL, empty_fn, &ran, NULL) != 0)
					abort();
			}
			sio_thread_poll(g_thread, 0);
		}
		double ns = (double)(now_ns() - t0) / (double)n;
		if (ns < best)
			best = ns;
	}
	if (ran != n * RUNS)
		abort();
	return best;
}

/* ---- await of a completed future ---- */

static int await_done_fn(void *arg)
{
	struct sio_future f;
	double *out = arg;
	int sum = 0;

	sio_future_init(&f);
	sio_future_complete(&f, 1, NULL);
	*out = 1e30;
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		for (uint64_t i = 0; i < g_iters; i++)
			sum += sio_await(&f);
		double ns = (double)(now_ns() - t0) / (double)g_iters;
		if (ns < *out)
			*out = ns;
	}
	return sum == (int)(g_iters * RUNS) ? 0 : -1;
}

__attribute__((noinline)) static double bench_await_done(void)
{
	struct sio_future res;
	double ns = 0;

	sio_task_spawn(NULL, await_done_fn, &ns, &res);
	while (!sio_future_is_done(&res))
		sio_thread_poll(g_thread, 0);
	if (sio_future_rc(&res) != 0)
		abort();
	return ns;
}

/* ---- an operation: callback form vs awaited ---- */

struct cb_chain {
	uint64_t left;
};

static void chain_cb(void *cb_arg, int rc)
{
	struct cb_chain *c = cb_arg;

	if (--c->left > 0)
		fake_dev_op(&g_dev, 0, chain_cb, c);
}

__attribute__((noinline)) static double bench_op_callback(void)
{
	double best = 1e30;

	for (int r = 0; r < RUNS; r++) {
		struct cb_chain c = { .left = g_iters };
		uint64_t t0 = now_ns();

		fake_dev_op(&g_dev, 0, chain_cb, &c);
		while (c.left > 0)
			sio_thread_poll(g_thread, 0);
		double ns = (double)(now_ns() - t0) / (double)g_iters;
		if (ns < best)
			best = ns;
	}
	return best;
}

static int await_loop_fn(void *arg)
{
	uint64_t n = *(uint64_t *)arg;

	for (uint64_t i = 0; i < n; i++) {
		if (fake_dev_op_await(&g_dev, 0) != 0)
			return -1;
	}
	return 0;
}

__attribute__((noinline)) static double bench_op_await(void)
{
	double best = 1e30;

	for (int r = 0; r < RUNS; r++) {
		struct sio_future res;
		uint64_t t0 = now_ns();

		sio_task_spawn(NULL, await_loop_fn, &g_iters, &res);
		while (!sio_future_is_done(&res))
			sio_thread_poll(g_thread, 0);
		double ns = (double)(now_ns() - t0) / (double)g_iters;
		if (sio_future_rc(&res) != 0)
			abort();
		if (ns < best)
			best = ns;
	}
	return best;
}

/* ---- the same at a depth: QD chains / tasks, a poll completes them all ---- */

#define QD_MAX 1024
static int g_qd = 128; /* third argument */

static struct cb_chain g_chains[QD_MAX];
static struct sio_future g_tasks[QD_MAX];

static void chain_start(int i, uint64_t *per)
{
	g_chains[i].left = *per;
	fake_dev_op(&g_dev, 0, chain_cb, &g_chains[i]);
}

static bool chain_busy(int i)
{
	return g_chains[i].left > 0;
}

static void task_start(int i, uint64_t *per)
{
	if (sio_task_spawn(NULL, await_loop_fn, per, &g_tasks[i]) != 0)
		abort();
}

static void task_start_fp(int i, uint64_t *per)
{
	struct sio_task_opts o;

	sio_task_opts_init(&o, sizeof(o));
	o.flags = SIO_TASK_OWN_FP_CONTROL;
	if (sio_task_spawn(&o, await_loop_fn, per, &g_tasks[i]) != 0)
		abort();
}

static bool task_busy(int i)
{
	return !sio_future_is_done(&g_tasks[i]);
}

static void tasks_check(void)
{
	for (int i = 0; i < g_qd; i++) {
		if (sio_future_rc(&g_tasks[i]) != 0)
			abort();
	}
}

/*
 * Best of RUNS: @start sets slot i going for *@per operations, the thread is
 * polled until no slot is @busy, then @check (may be NULL) looks at the results
 * outside the timed part. always_inline so that each caller gets a copy with
 * direct calls: callback and await pay the same, and nothing for the pointers.
 */
static inline __attribute__((always_inline)) double
bench_at_depth(void (*start)(int i, uint64_t *per), bool (*busy)(int i), void (*check)(void))
{
	double best = 1e30;
	uint64_t per = g_iters / (uint64_t)g_qd + 1;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();
		bool any = true;

		for (int i = 0; i < g_qd; i++)
			start(i, &per);
		while (any) {
			sio_thread_poll(g_thread, 0);
			any = false;
			for (int i = 0; i < g_qd && !any; i++)
				any = busy(i);
		}
		double ns = (double)(now_ns() - t0) / (double)(per * (uint64_t)g_qd);
		if (check != NULL)
			check();
		if (ns < best)
			best = ns;
	}
	return best;
}

__attribute__((noinline)) static double bench_op_callback_qd(void)
{
	return bench_at_depth(chain_start, chain_busy, NULL);
}

__attribute__((noinline)) static double bench_op_await_qd(void)
{
	return bench_at_depth(task_start, task_busy, tasks_check);
}

__attribute__((noinline)) static double bench_op_await_qd_fp(void)
{
	return bench_at_depth(task_start_fp, task_busy, tasks_check);
}

/* The same loop with the raw poll cost only: an empty poll per operation. */
__attribute__((noinline)) static double bench_poll_floor(void)
{
	double best = 1e30;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		for (uint64_t i = 0; i < g_iters; i++)
			sio_thread_poll(g_thread, 0);
		double ns = (double)(now_ns() - t0) / (double)g_iters;
		if (ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	double sw = 0, uc = 0, spawn = 0, done = 0, floor = 0, cb = 0, aw = 0, cbq = 0, awq = 0;
	double awqf = 0;
	const char *only = argc > 2 ? argv[2] : "";

	g_iters = (uint64_t)((argc > 1 ? atof(argv[1]) : 2.0) * 1e6);
	if (g_iters < 1000)
		g_iters = 1000;
	if (argc > 3)
		g_qd = atoi(argv[3]);
	if (g_qd < 1 || g_qd > QD_MAX) {
		fprintf(stderr, "depth must be 1..%d\n", QD_MAX);
		return 2;
	}
	g_thread = sio_thread_create("bench_async", NULL);
	if (g_thread == NULL)
		return 1;
	sio_thread_set_current(g_thread);
	if (fake_dev_start(&g_dev) != 0)
		return 1;

	/* The second argument runs one part alone, for profiling. */
	if (!*only || !strcmp(only, "switch")) {
		sw = bench_switch();
		uc = bench_swapcontext();
	}
	if (!*only || !strcmp(only, "spawn"))
		spawn = bench_spawn();
	if (!*only || !strcmp(only, "await"))
		done = bench_await_done();
	if (!*only || !strcmp(only, "op")) {
		floor = bench_poll_floor();
		cb = bench_op_callback();
		aw = bench_op_await();
	}
	if (!*only || !strcmp(only, "opqd")) {
		cbq = bench_op_callback_qd();
		awq = bench_op_await_qd();
		awqf = bench_op_await_qd_fp();
	}

	printf("bench_async: switch=%s, %llu iterations, best of %d runs (ns/op)\n",
	       async_ctx_impl(), (unsigned long long)g_iters, RUNS);
	printf("  context switch (%s)            %8.1f ns\n", async_ctx_impl(), sw);
	printf("  context switch (glibc swapcontext)  %8.1f ns\n", uc);
	printf("  spawn + run to end of a task        %8.1f ns\n", spawn);
	printf("  await of a completed future         %8.1f ns\n", done);
	printf("  poll of the thread, nothing to do   %8.1f ns\n", floor);
	printf("  op completed next poll, callback    %8.1f ns\n", cb);
	printf("  op completed next poll, awaited     %8.1f ns\n", aw);
	printf("  added by await per operation        %8.1f ns\n", aw - cb);
	printf("  %4d in flight, callback, per op     %8.1f ns\n", g_qd, cbq);
	printf("  %4d tasks awaiting, per op          %8.1f ns\n", g_qd, awq);
	printf("  added by await per op at depth %-4d %8.1f ns\n", g_qd, awq - cbq);
	printf("  %4d tasks, own FP control, per op  %8.1f ns\n", g_qd, awqf);

	fake_dev_stop(&g_dev);
	return 0;
}
