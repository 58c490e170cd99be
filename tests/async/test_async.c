/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tasks and futures on one sio_thread driven by this test (single OS thread):
 * ordering, nested awaits, many tasks, combinators, timeouts, then, misuse,
 * thread exit, and the guard page stopping a runaway task.
 */
#include <errno.h>
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "async/async_internal.h"
#include "fake_dev.h"

static struct sio_thread *g_thread;
static struct fake_dev g_dev;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void poll_n(int n)
{
	for (int i = 0; i < n; i++)
		sio_thread_poll(g_thread, 0);
}

/* Poll until @f is done or @timeout_us passes; true if done. */
static bool poll_future(struct sio_future *f, uint64_t timeout_us)
{
	uint64_t end = now_us() + timeout_us;

	while (!sio_future_is_done(f)) {
		if (now_us() > end)
			return false;
		sio_thread_poll(g_thread, 0);
	}
	return true;
}

static int setup(void **state)
{
	g_thread = sio_thread_create("async-test", NULL);
	if (g_thread == NULL)
		return -1;
	sio_thread_set_current(g_thread);
	return fake_dev_start(&g_dev);
}

static int teardown(void **state)
{
	fake_dev_stop(&g_dev);
	sio_thread_exit(g_thread);
	for (int i = 0; i < 100000 && !sio_thread_is_exited(g_thread); i++) {
		sio_thread_poll(g_thread, 0);
		usleep(10);
	}
	if (!sio_thread_is_exited(g_thread))
		return -1;
	sio_thread_set_current(NULL);
	return sio_thread_destroy(g_thread);
}

/* ---- spawn runs at the next poll ---- */

static int set_flag_fn(void *arg)
{
	*(int *)arg += 1;
	return 1234;
}

static void test_spawn_runs_on_next_poll(void **state)
{
	struct sio_future res;
	int ran = 0;

	assert_int_equal(sio_task_spawn(NULL, set_flag_fn, &ran, &res), 0);
	assert_int_equal(ran, 0);
	assert_false(sio_future_is_done(&res));
	assert_int_equal(sio_future_rc(&res), -EAGAIN);
	poll_n(1);
	assert_int_equal(ran, 1);
	assert_true(sio_future_is_done(&res));
	assert_int_equal(sio_future_rc(&res), 1234);
	assert_false(sio_in_task());
	assert_null(sio_task_current());
}

/* ---- ordering ---- */

#define ORD_TASKS 8
#define ORD_STEPS 4
static int g_log[ORD_TASKS * ORD_STEPS];
static int g_nlog;

static int ordered_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	assert_true(sio_in_task());
	for (int step = 0; step < ORD_STEPS; step++) {
		g_log[g_nlog++] = step * 100 + id;
		assert_int_equal(sio_yield(), 0);
	}
	return id;
}

static void test_ordering_fifo_and_yield(void **state)
{
	struct sio_future res[ORD_TASKS];

	g_nlog = 0;
	for (int i = 0; i < ORD_TASKS; i++)
		assert_int_equal(sio_task_spawn(NULL, ordered_fn, (void *)(intptr_t)i, &res[i]), 0);
	/* Each poll runs every task once, in spawn order; a yield resumes at
	 * the next poll, not in the same one. */
	for (int step = 0; step < ORD_STEPS; step++) {
		poll_n(1);
		assert_int_equal(g_nlog, (step + 1) * ORD_TASKS);
	}
	poll_n(1);
	for (int i = 0; i < ORD_TASKS * ORD_STEPS; i++)
		assert_int_equal(g_log[i], (i / ORD_TASKS) * 100 + i % ORD_TASKS);
	for (int i = 0; i < ORD_TASKS; i++) {
		assert_true(sio_future_is_done(&res[i]));
		assert_int_equal(sio_future_rc(&res[i]), i);
	}
}

/* Futures completed in some order wake their waiters in that order. */
static struct sio_future g_wake_f[4];
static int wake_order_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	assert_int_equal(sio_await(&g_wake_f[id]), id);
	g_log[g_nlog++] = id;
	return 0;
}

static void test_ordering_wake(void **state)
{
	struct sio_future res[4];
	const int order[4] = { 2, 0, 3, 1 };

	g_nlog = 0;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sio_future_init(&g_wake_f[i]), 0);
		assert_int_equal(sio_task_spawn(NULL, wake_order_fn, (void *)(intptr_t)i, &res[i]), 0);
	}
	poll_n(2); /* all parked */
	assert_int_equal(g_nlog, 0);
	/* Completed outside a task, a future resumes its waiter at once, inside
	 * the completing call, as a callback would run. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sio_future_complete(&g_wake_f[order[i]], order[i], NULL), 0);
		assert_int_equal(g_nlog, i + 1);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(g_log[i], order[i]);
}

/* ---- nested awaits ---- */

static int recurse_await(int depth)
{
	int rc;

	if (depth == 0)
		return 0;
	rc = fake_dev_op_await(&g_dev, depth);
	assert_int_equal(rc, depth);
	return recurse_await(depth - 1) + 1;
}

static int leaf_fn(void *arg)
{
	assert_int_equal(sio_sleep(100), 0);
	return fake_dev_op_await(&g_dev, -EIO);
}

static int middle_fn(void *arg)
{
	struct sio_future child;
	int rc;

	assert_int_equal(sio_task_spawn(NULL, leaf_fn, NULL, &child), 0);
	rc = sio_await(&child);
	assert_int_equal(rc, -EIO);
	return recurse_await(20) + 1000;
}

static int outer_fn(void *arg)
{
	struct sio_future child;

	assert_int_equal(sio_task_spawn(NULL, middle_fn, NULL, &child), 0);
	return sio_await(&child) + 1;
}

static void test_nested_awaits(void **state)
{
	struct sio_future res;

	assert_int_equal(sio_task_spawn(NULL, outer_fn, NULL, &res), 0);
	assert_true(poll_future(&res, 2000000));
	assert_int_equal(sio_future_rc(&res), 1021);
}

/* ---- tens of thousands of concurrent tasks ---- */

#define MANY 20000
static int g_many_done;
static int g_many_parked;

static int many_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	g_many_parked++;
	assert_int_equal(fake_dev_op_await(&g_dev, id), id);
	assert_int_equal(sio_yield(), 0);
	assert_int_equal(fake_dev_op_await(&g_dev, -id), -id);
	g_many_done++;
	return 0;
}

static void test_many_concurrent_tasks(void **state)
{
	struct sio_task_opts opts;
	struct async_thread *at;
	uint64_t peak = 0;
	int rc;

	sio_task_opts_init(&opts, sizeof(opts));
	opts.stack_size = 16 * 1024;
	opts.name = "many";
	g_many_done = g_many_parked = 0;
	for (int i = 0; i < MANY; i++)
		assert_int_equal(sio_task_spawn(&opts, many_fn, (void *)(intptr_t)i, NULL), 0);
	at = async_thread_get(false, &rc);
	assert_non_null(at);
	assert_int_equal(at->ntasks, MANY);
	poll_n(1);
	/* All of them started and are parked at once. */
	assert_int_equal(g_many_parked, MANY);
	for (int i = 0; i < 100 && g_many_done < MANY; i++) {
		if (at->stacks.stats.in_use > peak)
			peak = at->stacks.stats.in_use;
		poll_n(1);
	}
	assert_int_equal(g_many_done, MANY);
	assert_int_equal(peak, MANY);
	assert_int_equal(at->ntasks, 0);
	assert_int_equal(at->stacks.stats.in_use, 0);
}

/*
 * ---- FP control state: the thread's, unless SIO_TASK_OWN_FP_CONTROL ----
 * Flagged tasks keep their own rounding mode across parks of both kinds (a
 * completion resuming the task inline, a yield resuming it from the run
 * queue, chained with other tasks of the batch), start with the spawner's,
 * and give the thread its own back whenever they park or end. A task
 * without the flag runs with the thread's: it sees what the thread set, and
 * what it leaves set when it parks stays set (x86-64's hand-written switch;
 * aarch64 and ucontext keep every context's, a superset of the rule).
 */
#define FPT_OWN 4
#define FPT_ROUNDS 3
static const int g_fpt_modes[FPT_OWN] = { FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO, FE_UPWARD };
static int g_fpt_own_bad, g_fpt_own_start[FPT_OWN], g_fpt_own_done;
static int g_fpt_plain_seen[2 * FPT_ROUNDS], g_fpt_plain_n;

static int fpt_own_fn(void *arg)
{
	int i = (int)(intptr_t)arg;

	g_fpt_own_start[i] = fegetround();
	fesetround(g_fpt_modes[i]);
	for (int r = 0; r < FPT_ROUNDS; r++) {
		if (fake_dev_op_await(&g_dev, r) != r || fegetround() != g_fpt_modes[i])
			g_fpt_own_bad++;
		if (sio_yield() != 0 || fegetround() != g_fpt_modes[i])
			g_fpt_own_bad++;
	}
	g_fpt_own_done++;
	return 0;
}

static int fpt_plain_fn(void *arg)
{
	for (int r = 0; r < FPT_ROUNDS; r++) {
		assert_int_equal(fake_dev_op_await(&g_dev, r), r);
		g_fpt_plain_seen[g_fpt_plain_n++] = fegetround();
		assert_int_equal(sio_yield(), 0);
		g_fpt_plain_seen[g_fpt_plain_n++] = fegetround();
	}
	return 0;
}

static void test_fp_control(void **state)
{
	struct sio_task_opts opts;
	struct sio_future plain_done;

	assert_int_equal(fegetround(), FE_TONEAREST);
	sio_task_opts_init(&opts, sizeof(opts));
	assert_int_equal(opts.flags, 0);
	opts.flags = 1u << 7;
	assert_int_equal(sio_task_spawn(&opts, fpt_own_fn, NULL, NULL), -EINVAL);
	opts.flags = SIO_TASK_OWN_FP_CONTROL;
	g_fpt_own_bad = g_fpt_own_done = g_fpt_plain_n = 0;
	/* Each flagged task starts with the spawner's state at the spawn call. */
	for (int i = 0; i < FPT_OWN; i++) {
		fesetround(i % 2 ? FE_DOWNWARD : FE_UPWARD);
		assert_int_equal(sio_task_spawn(&opts, fpt_own_fn, (void *)(intptr_t)i, NULL), 0);
	}
	fesetround(FE_TONEAREST);
	assert_int_equal(sio_task_spawn(NULL, fpt_plain_fn, NULL, &plain_done), 0);
	for (int i = 0; i < 100 && (g_fpt_own_done < FPT_OWN || !sio_future_is_done(&plain_done));
	     i++) {
		sio_thread_poll(g_thread, 0);
		/* The flagged tasks gave the thread its own state back. */
		assert_int_equal(fegetround(), FE_TONEAREST);
	}
	assert_int_equal(g_fpt_own_done, FPT_OWN);
	assert_int_equal(g_fpt_own_bad, 0);
	for (int i = 0; i < FPT_OWN; i++)
		assert_int_equal(g_fpt_own_start[i], i % 2 ? FE_DOWNWARD : FE_UPWARD);
	assert_true(sio_future_is_done(&plain_done));
	assert_int_equal(g_fpt_plain_n, 2 * FPT_ROUNDS);
	for (int i = 0; i < g_fpt_plain_n; i++)
		assert_int_equal(g_fpt_plain_seen[i], FE_TONEAREST);
}

#if ASYNC_FPCTL_BY_TASK
/* Without the flag, the state is the thread's both ways. */
static int g_fpt_share_seen;

static int fpt_share_fn(void *arg)
{
	g_fpt_share_seen = fegetround();
	fesetround(FE_DOWNWARD);
	assert_int_equal(sio_yield(), 0);
	g_fpt_share_seen = fegetround();
	return 0;
}

static void test_fp_control_shared(void **state)
{
	struct sio_future done;

	assert_int_equal(sio_task_spawn(NULL, fpt_share_fn, NULL, &done), 0);
	fesetround(FE_UPWARD);
	sio_thread_poll(g_thread, 0);
	assert_int_equal(g_fpt_share_seen, FE_UPWARD);
	/* Left set by the task when it parked. */
	assert_int_equal(fegetround(), FE_DOWNWARD);
	fesetround(FE_TOWARDZERO);
	assert_true(poll_future(&done, 1000000));
	assert_int_equal(g_fpt_share_seen, FE_TOWARDZERO);
	fesetround(FE_TONEAREST);
}
#endif

static void test_stacks_recycled(void **state)
{
	struct async_thread *at;
	uint64_t mapped;
	int ran = 0, rc;

	assert_int_equal(sio_task_spawn(NULL, set_flag_fn, &ran, NULL), 0);
	poll_n(1);
	at = async_thread_get(false, &rc);
	assert_non_null(at);
	mapped = at->stacks.stats.mapped;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(sio_task_spawn(NULL, set_flag_fn, &ran, NULL), 0);
		poll_n(1);
	}
	assert_int_equal(ran, 1001);
	/* One warm stack serves every sequential spawn: no new mmap. */
	assert_int_equal(at->stacks.stats.mapped, mapped);
	assert_true(at->stacks.stats.reused >= 1000);
}

/* ---- futures completed before they are awaited ---- */

static struct sio_future g_pre;
static int pre_fn(void *arg)
{
	int *stage = arg;

	*stage = 1;
	assert_int_equal(sio_await(&g_pre), -ENOENT);
	assert_ptr_equal(sio_future_value(&g_pre), &g_pre);
	/* Awaiting a done future again gives the same result. */
	assert_int_equal(sio_await(&g_pre), -ENOENT);
	*stage = 2;
	return 0;
}

static void test_future_completed_before_await(void **state)
{
	int stage = 0;

	assert_int_equal(sio_future_init(&g_pre), 0);
	assert_int_equal(sio_future_complete(&g_pre, -ENOENT, &g_pre), 0);
	assert_int_equal(sio_task_spawn(NULL, pre_fn, &stage, NULL), 0);
	/* One poll is enough: the task never parks. */
	poll_n(1);
	assert_int_equal(stage, 2);
}

/* ---- await_all / await_first ---- */

static int all_fn(void *arg)
{
	struct sio_future f[4];
	struct sio_future *fs[4] = { &f[0], &f[1], &f[2], &f[3] };
	const int rcs[4] = { 0, -EIO, 0, -ENOSPC };

	for (int i = 0; i < 4; i++) {
		assert_int_equal(sio_future_init(&f[i]), 0);
		/* Complete in reverse over consecutive polls via the device. */
		assert_int_equal(fake_dev_op(&g_dev, rcs[i], sio_future_cb, &f[i]), 0);
	}
	assert_int_equal(sio_await_all(fs, 4), -EIO);
	for (int i = 0; i < 4; i++) {
		assert_true(sio_future_is_done(&f[i]));
		assert_int_equal(sio_future_rc(&f[i]), rcs[i]);
	}
	assert_int_equal(sio_await_all(fs, 0), 0);
	return 7;
}

static void test_await_all_mixed(void **state)
{
	struct sio_future res;

	assert_int_equal(sio_task_spawn(NULL, all_fn, NULL, &res), 0);
	assert_true(poll_future(&res, 1000000));
	assert_int_equal(sio_future_rc(&res), 7);
}

static struct sio_future g_first[3];
static int first_fn(void *arg)
{
	struct sio_future *fs[3] = { &g_first[0], &g_first[1], &g_first[2] };
	size_t idx = 99;

	assert_int_equal(sio_await_first(fs, 3, &idx), -EPIPE);
	assert_int_equal(idx, 2);
	assert_false(sio_future_is_done(&g_first[0]));
	assert_false(sio_future_is_done(&g_first[1]));
	/* Another round: 1 completes next. */
	assert_int_equal(sio_await_first(fs, 2, &idx), 5);
	assert_int_equal(idx, 1);
	assert_int_equal(sio_await_first(fs, 0, &idx), -EINVAL);
	return 0;
}

static void test_await_first_mixed(void **state)
{
	struct sio_future res;

	for (int i = 0; i < 3; i++)
		assert_int_equal(sio_future_init(&g_first[i]), 0);
	assert_int_equal(sio_task_spawn(NULL, first_fn, NULL, &res), 0);
	poll_n(2);
	assert_int_equal(sio_future_complete(&g_first[2], -EPIPE, NULL), 0);
	poll_n(2);
	assert_int_equal(sio_future_complete(&g_first[1], 5, NULL), 0);
	assert_true(poll_future(&res, 1000000));
	assert_int_equal(sio_future_rc(&res), 0);
	/* The loser completes after the task is gone: no waiter, no crash. */
	assert_int_equal(sio_future_complete(&g_first[0], 1, NULL), 0);
	poll_n(2);
}

/* ---- sleep and timeouts ---- */

static int sleep_fn(void *arg)
{
	uint64_t t0 = now_us();

	assert_int_equal(sio_sleep(5000), 0);
	*(uint64_t *)arg = now_us() - t0;
	return 0;
}

static void test_sleep(void **state)
{
	struct sio_future res;
	uint64_t slept = 0;

	assert_int_equal(sio_task_spawn(NULL, sleep_fn, &slept, &res), 0);
	assert_true(poll_future(&res, 2000000));
	assert_true(slept >= 5000);
	assert_true(slept < 500000);
}

/* Sleeps of different lengths wake in deadline order, not spawn order. */
static int sleep_order_fn(void *arg)
{
	int ms = (int)(intptr_t)arg;

	assert_int_equal(sio_sleep((uint64_t)ms * 1000), 0);
	g_log[g_nlog++] = ms;
	return 0;
}

static void test_sleep_order(void **state)
{
	const int ms[5] = { 9, 3, 6, 1, 12 };
	struct sio_future res[5];

	g_nlog = 0;
	for (int i = 0; i < 5; i++)
		assert_int_equal(sio_task_spawn(NULL, sleep_order_fn, (void *)(intptr_t)ms[i], &res[i]), 0);
	for (int i = 0; i < 5; i++)
		assert_true(poll_future(&res[i], 2000000));
	assert_int_equal(g_nlog, 5);
	assert_int_equal(g_log[0], 1);
	assert_int_equal(g_log[1], 3);
	assert_int_equal(g_log[2], 6);
	assert_int_equal(g_log[3], 9);
	assert_int_equal(g_log[4], 12);
}

static struct sio_future g_never;
static int timeout_fires_fn(void *arg)
{
	uint64_t t0 = now_us();

	assert_int_equal(sio_await_timeout(&g_never, 3000), -ETIMEDOUT);
	assert_true(now_us() - t0 >= 3000);
	assert_false(sio_future_is_done(&g_never));
	/* The abandoned future may be awaited again. */
	assert_int_equal(sio_await_timeout(&g_never, 1000), -ETIMEDOUT);
	return 0;
}

static void test_timeout_fires(void **state)
{
	struct sio_future res;

	assert_int_equal(sio_future_init(&g_never), 0);
	assert_int_equal(sio_task_spawn(NULL, timeout_fires_fn, NULL, &res), 0);
	assert_true(poll_future(&res, 2000000));
	assert_int_equal(sio_future_rc(&res), 0);
	/* Its producer completes it late: nobody waits, nothing breaks. */
	assert_int_equal(sio_future_complete(&g_never, 0, NULL), 0);
}

static int timeout_not_firing_fn(void *arg)
{
	struct sio_future f;
	uint64_t t0 = now_us();

	assert_int_equal(sio_future_init(&f), 0);
	assert_int_equal(fake_dev_op(&g_dev, 77, sio_future_cb, &f), 0);
	assert_int_equal(sio_await_timeout(&f, 1000000), 77);
	assert_true(now_us() - t0 < 500000);
	/* The disarmed timer must not wake this later sleep early. */
	t0 = now_us();
	assert_int_equal(sio_sleep(2000), 0);
	assert_true(now_us() - t0 >= 2000);
	return 0;
}

static void test_timeout_not_firing(void **state)
{
	struct sio_future res;

	assert_int_equal(sio_task_spawn(NULL, timeout_not_firing_fn, NULL, &res), 0);
	assert_true(poll_future(&res, 2000000));
	assert_int_equal(sio_future_rc(&res), 0);
}

/* ---- then ---- */

static void then_cb(struct sio_future *f, void *arg)
{
	int *calls = arg;

	assert_true(sio_future_is_done(f));
	*calls += 1;
}

static void test_then(void **state)
{
	struct sio_future f;
	int calls = 0;

	assert_int_equal(sio_future_init(&f), 0);
	assert_int_equal(sio_future_then(&f, then_cb, &calls), 0);
	assert_int_equal(sio_future_then(&f, then_cb, &calls), -EBUSY);
	assert_int_equal(calls, 0);
	assert_int_equal(sio_future_complete(&f, 0, NULL), 0);
	assert_int_equal(calls, 1);

	/* Already done: by message, never from inside sio_future_then(). */
	assert_int_equal(sio_future_init(&f), 0);
	assert_int_equal(sio_future_complete(&f, 3, NULL), 0);
	assert_int_equal(sio_future_then(&f, then_cb, &calls), 0);
	assert_int_equal(calls, 1);
	poll_n(1);
	assert_int_equal(calls, 2);
	assert_int_equal(sio_future_then(NULL, then_cb, &calls), -EINVAL);
}

/* ---- misuse ---- */

static int g_called;
static int counting_op(int x, sio_done_cb cb, void *cb_arg)
{
	g_called++;
	cb(cb_arg, x);
	return 0;
}

static int busy_waiter_fn(void *arg)
{
	return sio_await(arg);
}

static int misuse_in_task_fn(void *arg)
{
	struct sio_future *shared = arg;
	struct sio_future f;

	/* A second waiter on a future another task awaits. */
	assert_int_equal(sio_await(shared), -EBUSY);
	assert_int_equal(sio_await_timeout(shared, 10), -EBUSY);
	/* block_on inside a task would deadlock the thread. */
	assert_int_equal(sio_future_init(&f), 0);
	assert_int_equal(sio_block_on(&f), -EPERM);
	/* An operation that completes synchronously works in a task. */
	assert_int_equal(SIO_AWAIT_CALL(counting_op, 9), 9);
	return 0;
}

static void test_misuse(void **state)
{
	struct sio_future f, shared, res, res2;
	struct sio_task_opts opts;
	char garbage[sizeof(struct sio_future)];

	/* Outside a task. */
	assert_int_equal(sio_future_init(&f), 0);
	assert_int_equal(sio_await(&f), -EPERM);
	assert_int_equal(sio_await_timeout(&f, 10), -EPERM);
	assert_int_equal(sio_await_all((struct sio_future *[]){ &f }, 1), -EPERM);
	assert_int_equal(sio_await_first((struct sio_future *[]){ &f }, 1, NULL), -EPERM);
	assert_int_equal(sio_yield(), -EPERM);
	assert_int_equal(sio_sleep(10), -EPERM);
	g_called = 0;
	assert_int_equal(SIO_AWAIT_CALL(counting_op, 1), -EPERM);
	assert_int_equal(g_called, 0); /* not started */

	/* Double completion. */
	assert_int_equal(sio_future_complete(&f, 1, NULL), 0);
	assert_int_equal(sio_future_complete(&f, 2, NULL), -EALREADY);
	assert_int_equal(sio_future_rc(&f), 1);
	assert_int_equal(sio_future_complete_threadsafe(&f, 2, NULL), -EALREADY);

	/* Uninitialised futures. */
	memset(garbage, 0, sizeof(garbage));
	assert_int_equal(sio_future_complete((struct sio_future *)garbage, 0, NULL), -EINVAL);
	assert_false(sio_future_is_done((struct sio_future *)garbage));
	assert_int_equal(sio_future_rc((struct sio_future *)garbage), -EINVAL);
	assert_int_equal(sio_future_init(NULL), -EINVAL);

	/* Bad spawns. */
	assert_int_equal(sio_task_spawn(NULL, NULL, NULL, NULL), -EINVAL);
	sio_task_opts_init(&opts, sizeof(opts));
	opts.stack_size = (size_t)1 << 40;
	assert_int_equal(sio_task_spawn(&opts, set_flag_fn, NULL, NULL), -EINVAL);
	assert_int_equal(sio_task_spawn_on(NULL, NULL, set_flag_fn, NULL, NULL), -EINVAL);

	/* Two waiters, block_on in a task. */
	assert_int_equal(sio_future_init(&shared), 0);
	assert_int_equal(sio_task_spawn(NULL, busy_waiter_fn, &shared, &res), 0);
	poll_n(1);
	assert_int_equal(sio_task_spawn(NULL, misuse_in_task_fn, &shared, &res2), 0);
	assert_true(poll_future(&res2, 1000000));
	assert_int_equal(sio_future_rc(&res2), 0);
	assert_int_equal(sio_future_then(&shared, then_cb, NULL), -EBUSY);
	assert_int_equal(sio_future_complete(&shared, 11, NULL), 0);
	assert_true(poll_future(&res, 1000000));
	assert_int_equal(sio_future_rc(&res), 11);

	/* No current thread. */
	sio_thread_set_current(NULL);
	assert_int_equal(sio_future_init(&f), -EPERM);
	assert_int_equal(sio_task_spawn(NULL, set_flag_fn, NULL, NULL), -EPERM);
	assert_int_equal(sio_block_on(&shared), -EPERM);
	sio_thread_set_current(g_thread);
}

/* ---- a future owned by another thread ---- */

static void test_foreign_future(void **state)
{
	struct sio_thread *other = sio_thread_create("async-other", NULL);
	struct sio_future f;

	assert_non_null(other);
	sio_thread_set_current(other);
	assert_int_equal(sio_future_init(&f), 0);
	sio_thread_set_current(g_thread);
	assert_int_equal(sio_future_complete(&f, 0, NULL), -EPERM);
	assert_int_equal(sio_future_then(&f, then_cb, NULL), -EPERM);
	assert_int_equal(sio_block_on(&f), -EPERM);
	/* The threadsafe form hops to the owner. */
	assert_int_equal(sio_future_complete_threadsafe(&f, 21, &f), 0);
	assert_false(sio_future_is_done(&f));
	sio_thread_poll(other, 0);
	assert_true(sio_future_is_done(&f));
	assert_int_equal(sio_future_rc(&f), 21);
	assert_ptr_equal(sio_future_value(&f), &f);

	sio_thread_set_current(other);
	sio_thread_exit(other);
	for (int i = 0; i < 1000 && !sio_thread_is_exited(other); i++)
		sio_thread_poll(other, 0);
	assert_true(sio_thread_is_exited(other));
	sio_thread_set_current(g_thread);
	assert_int_equal(sio_thread_destroy(other), 0);
}

/* ---- block_on ---- */

static int sleepy_answer_fn(void *arg)
{
	sio_sleep(1000);
	return 42;
}

static void test_block_on(void **state)
{
	struct sio_future res;

	assert_int_equal(sio_task_spawn(NULL, sleepy_answer_fn, NULL, &res), 0);
	assert_int_equal(sio_block_on(&res), 42);
	assert_int_equal(sio_block_on(&res), 42);
}

/* ---- thread exit waits for tasks ---- */

static int exit_sleeper_fn(void *arg)
{
	assert_false(sio_thread_is_running(sio_thread_get_current()));
	sio_sleep(10000);
	*(int *)arg += 1;
	return 0;
}

static void test_thread_exit_waits_for_tasks(void **state)
{
	struct sio_thread *t = sio_thread_create("async-exit", NULL);
	struct sio_future res;
	int finished = 0;
	uint64_t t0;

	assert_non_null(t);
	sio_thread_set_current(t);
	assert_int_equal(sio_task_spawn(NULL, exit_sleeper_fn, &finished, NULL), 0);
	assert_int_equal(sio_thread_exit(t), 0);
	/* A new task on an exiting thread that still has tasks is allowed. */
	assert_int_equal(sio_task_spawn(NULL, set_flag_fn, &finished, &res), 0);
	t0 = now_us();
	while (!sio_thread_is_exited(t) && now_us() - t0 < 2000000)
		sio_thread_poll(t, 0);
	assert_true(sio_thread_is_exited(t));
	assert_int_equal(finished, 2);
	assert_true(now_us() - t0 >= 10000);
	/* Once it has no task, an exiting thread refuses new ones. */
	assert_int_equal(sio_task_spawn(NULL, set_flag_fn, &finished, NULL), -ESHUTDOWN);
	sio_thread_set_current(g_thread);
	assert_int_equal(sio_thread_destroy(t), 0);
}

/* An idle thread's async state does not hold up its exit for long. */
static void test_idle_state_released(void **state)
{
	struct sio_thread *t = sio_thread_create("async-idle", NULL);
	int ran = 0, rc;
	uint64_t t0;

	assert_non_null(t);
	sio_thread_set_current(t);
	assert_int_equal(sio_task_spawn(NULL, set_flag_fn, &ran, NULL), 0);
	sio_thread_poll(t, 0);
	assert_int_equal(ran, 1);
	assert_non_null(async_thread_get(false, &rc));
	assert_int_equal(sio_thread_exit(t), 0);
	t0 = now_us();
	while (!sio_thread_is_exited(t) && now_us() - t0 < 2000000)
		sio_thread_poll(t, 0);
	assert_true(sio_thread_is_exited(t));
	assert_null(async_thread_get(false, &rc));
	sio_thread_set_current(g_thread);
	assert_int_equal(sio_thread_destroy(t), 0);
}

/* ---- the guard page stops a runaway task ---- */

static volatile int g_depth_limit = 1 << 30;
static int deep(volatile char *prev, int n)
{
	volatile char buf[256];

	buf[0] = (char)n;
	buf[255] = prev ? prev[0] : 0;
	if (n >= g_depth_limit)
		return buf[0];
	return deep(buf, n + 1) + buf[255];
}

static int overflow_fn(void *arg)
{
	return deep(NULL, 0);
}

static void test_overflow_hits_guard_page(void **state)
{
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sio_task_opts opts;

		signal(SIGSEGV, SIG_DFL);
		sio_task_opts_init(&opts, sizeof(opts));
		opts.stack_size = 32 * 1024;
		if (sio_task_spawn(&opts, overflow_fn, NULL, NULL) != 0)
			_exit(2);
		sio_thread_poll(g_thread, 0);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_runs_on_next_poll),
		cmocka_unit_test(test_ordering_fifo_and_yield),
		cmocka_unit_test(test_ordering_wake),
		cmocka_unit_test(test_nested_awaits),
		cmocka_unit_test(test_many_concurrent_tasks),
		cmocka_unit_test(test_stacks_recycled),
		cmocka_unit_test(test_future_completed_before_await),
		cmocka_unit_test(test_await_all_mixed),
		cmocka_unit_test(test_await_first_mixed),
		cmocka_unit_test(test_sleep),
		cmocka_unit_test(test_sleep_order),
		cmocka_unit_test(test_timeout_fires),
		cmocka_unit_test(test_timeout_not_firing),
		cmocka_unit_test(test_then),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_fp_control),
#if ASYNC_FPCTL_BY_TASK
		cmocka_unit_test(test_fp_control_shared),
#endif
		cmocka_unit_test(test_foreign_future),
		cmocka_unit_test(test_block_on),
		cmocka_unit_test(test_thread_exit_waits_for_tasks),
		cmocka_unit_test(test_idle_state_released),
		cmocka_unit_test(test_overflow_hits_guard_page),
	};

	printf("switch implementation: %s\n", async_ctx_impl());
	return cmocka_run_group_tests_name("async", tests, setup, teardown);
}
