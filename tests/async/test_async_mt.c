/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tasks on several OS threads at once: each worker OS thread runs its own
 * sio_thread with hundreds of tasks sleeping, yielding and awaiting a device;
 * tasks on the main thread spawn work on the workers and await the results
 * (completion hops back by message); a plain pthread with no sio_thread
 * completes a future with the threadsafe call. Also run under ThreadSanitizer.
 */
#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "spdk_io/async.h"
#include "fake_dev.h"

#define WORKERS 3
#define TASKS_PER_WORKER 300
#define ROUNDS 4
#define REMOTE_SPAWNS 50

struct worker {
	struct sio_thread *_Atomic thread;
	struct sio_future stop;
	struct fake_dev *dev;
	int local_done;       /* touched only on the worker's own thread */
	atomic_int remote_runs;
	atomic_bool stop_sent; /* the sender has returned from its send */
};

static struct worker g_workers[WORKERS];

static int load_fn(void *arg)
{
	struct worker *w = arg;

	for (int r = 0; r < ROUNDS; r++) {
		assert_int_equal(sio_sleep(100 + (uint64_t)(r * 50)), 0);
		assert_int_equal(sio_yield(), 0);
		assert_int_equal(fake_dev_op_await(w->dev, r), r);
		/* No task left its FP control state to the thread
		 * (remote_fp_fn below keeps its own). */
		assert_int_equal(fegetround(), FE_TONEAREST);
	}
	assert_ptr_equal(sio_thread_get_current(), atomic_load(&w->thread));
	w->local_done++;
	return 0;
}

static int load_main_fn(void *arg)
{
	struct worker *w = arg;
	struct sio_future *res = calloc(TASKS_PER_WORKER, sizeof(*res));
	struct sio_future **fs = calloc(TASKS_PER_WORKER, sizeof(*fs));
	int rc;

	assert_non_null(res);
	assert_non_null(fs);
	for (int i = 0; i < TASKS_PER_WORKER; i++) {
		assert_int_equal(sio_task_spawn(NULL, load_fn, w, &res[i]), 0);
		fs[i] = &res[i];
	}
	rc = sio_await_all(fs, TASKS_PER_WORKER);
	free(fs);
	free(res);
	return rc;
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	struct sio_future load;
	int rc;

	w->dev = calloc(1, sizeof(*w->dev));
	assert_non_null(w->dev);
	assert_int_equal(fake_dev_start(w->dev), 0);
	assert_int_equal(sio_future_init(&w->stop), 0);
	/* Publishes the stop future too: pairs with the acquire in wait_workers(). */
	atomic_store_explicit(&w->thread, sio_thread_get_current(), memory_order_release);
	assert_int_equal(sio_task_spawn(NULL, load_main_fn, w, &load), 0);
	rc = sio_block_on(&load);
	assert_int_equal(rc, 0);
	/* Keep serving spawns from the main thread until told to stop. */
	rc = sio_block_on(&w->stop);
	/* sio_thread_send_msg() may still be touching this thread after the
	 * message ran (its wake-up step); destroying the thread under it is a
	 * use-after-free in the thread layer, so wait for the sender to return. */
	while (!atomic_load(&w->stop_sent))
		usleep(100);
	fake_dev_stop(w->dev);
	free(w->dev);
	return rc == 0 ? w->local_done : rc;
}

static int remote_fn(void *arg)
{
	struct worker *w = arg;

	/* Runs on the worker it was sent to, never on the spawner's thread. */
	if (sio_thread_get_current() != atomic_load(&w->thread))
		return -EXDEV;
	atomic_fetch_add(&w->remote_runs, 1);
	sio_yield();
	return (int)sio_thread_get_id(sio_thread_get_current());
}

/* SIO_TASK_OWN_FP_CONTROL across threads: starts with the state the spawner
 * had at the sio_task_spawn_on() call, keeps it across a park, and leaves
 * the worker's own alone. */
static int remote_fp_fn(void *arg)
{
	struct worker *w = arg;

	if (fegetround() != FE_UPWARD)
		return -EDOM;
	fesetround(FE_DOWNWARD);
	atomic_fetch_add(&w->remote_runs, 1);
	sio_yield();
	if (fegetround() != FE_DOWNWARD)
		return -EDOM;
	return (int)sio_thread_get_id(sio_thread_get_current());
}

static int spawner_fn(void *arg)
{
	struct worker *w = arg;
	struct sio_thread *wt = atomic_load(&w->thread);
	struct sio_task_opts o;

	sio_task_opts_init(&o, sizeof(o));
	o.flags = SIO_TASK_OWN_FP_CONTROL;
	for (int i = 0; i < REMOTE_SPAWNS; i++) {
		struct sio_future res;

		if (i % 2) {
			/* A task without the flag restores what it changed
			 * before it parks (the rule, docs/async.md). */
			fesetround(FE_UPWARD);
			assert_int_equal(sio_task_spawn_on(wt, &o, remote_fp_fn, w, &res), 0);
			fesetround(FE_TONEAREST);
		} else {
			assert_int_equal(sio_task_spawn_on(wt, NULL, remote_fn, w, &res), 0);
		}
		assert_int_equal(sio_await(&res), (int)sio_thread_get_id(wt));
	}
	return 0;
}

static void test_tasks_on_several_os_threads(void **state)
{
	struct sio_thread *main_thread = sio_thread_attach("async-mt-main");
	struct sio_os_thread *os[WORKERS];
	struct sio_future res[WORKERS];

	assert_non_null(main_thread);
	for (int i = 0; i < WORKERS; i++) {
		char name[32];

		atomic_store(&g_workers[i].thread, NULL);
		atomic_store(&g_workers[i].remote_runs, 0);
		atomic_store(&g_workers[i].stop_sent, false);
		g_workers[i].local_done = 0;
		snprintf(name, sizeof(name), "async-worker%d", i);
		assert_int_equal(sio_os_thread_spawn(name, worker_fn, &g_workers[i], &os[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		while (atomic_load_explicit(&g_workers[i].thread, memory_order_acquire) == NULL)
			usleep(100);
	}
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(sio_task_spawn(NULL, spawner_fn, &g_workers[i], &res[i]), 0);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(sio_block_on(&res[i]), 0);
	for (int i = 0; i < WORKERS; i++) {
		int result = -1;

		assert_int_equal(sio_future_complete_threadsafe(&g_workers[i].stop, 0, NULL), 0);
		atomic_store(&g_workers[i].stop_sent, true);
		assert_int_equal(sio_os_thread_join(os[i], &result), 0);
		assert_int_equal(result, TASKS_PER_WORKER);
		assert_int_equal(atomic_load(&g_workers[i].remote_runs), REMOTE_SPAWNS);
	}
	sio_thread_exit(main_thread);
	while (!sio_thread_is_exited(main_thread))
		sio_thread_poll(main_thread, 0);
	sio_thread_set_current(NULL);
	assert_int_equal(sio_thread_destroy(main_thread), 0);
}

/* ---- threadsafe completion from a thread with no sio_thread ---- */

/*
 * The future being completed lives in the waiting task's frame, as awaited
 * futures usually do: once the owner has run the completion, the task may
 * return and its stack be reused at once, so nobody may touch the future
 * after it completed. The second completion attempt below therefore has to
 * happen while the future is still alive: the waiter holds its frame until
 * the completer says it is done with the future (@released, a future in this
 * context, which outlives both threads). Without that, a completer preempted
 * between its two calls (about 1 run in 12-50 on a loaded machine, every run
 * with a 50 ms pause put between them) read the frame after the task's exit
 * path had reused it: the claim flag read as 0, so its "second" completion
 * returned 0 instead of -EALREADY, having queued a message on dead memory.
 */
struct ts_ctx {
	struct sio_future *_Atomic f;
	struct sio_future released; /* owned by the test's thread */
	int value_target;
};

static void *completer_main(void *arg)
{
	struct ts_ctx *c = arg;
	struct sio_future *f;
	void *ret = NULL;

	while ((f = atomic_load_explicit(&c->f, memory_order_acquire)) == NULL)
		usleep(100);
	/* Usually lets the task park first; either order is correct (the
	 * completion runs on the owner thread, which can only poll for it once
	 * the task has parked), so nothing depends on how long this takes. */
	usleep(2000);
	if (sio_future_complete_threadsafe(f, 7, &c->value_target) != 0)
		ret = (void *)1;
	/* A second completion from any thread is refused, whether the first
	 * is still in flight or already done (@f is alive until @released). */
	else if (sio_future_complete_threadsafe(f, 8, NULL) != -EALREADY)
		ret = (void *)2;
	/* Last touch of @f was above: the waiter may now let it go. */
	if (sio_future_complete_threadsafe(&c->released, 0, NULL) != 0)
		ret = (void *)3;
	return ret;
}

static int ts_waiter_fn(void *arg)
{
	struct ts_ctx *c = arg;
	struct sio_future f;
	int rc;

	assert_int_equal(sio_future_init(&f), 0);
	atomic_store_explicit(&c->f, &f, memory_order_release);
	rc = sio_await(&f);
	assert_ptr_equal(sio_future_value(&f), &c->value_target);
	/* Keep @f's frame until the completer has stopped touching it. */
	assert_int_equal(sio_await(&c->released), 0);
	return rc;
}

static void test_threadsafe_complete_from_plain_thread(void **state)
{
	struct sio_thread *t = sio_thread_attach("async-ts");
	struct ts_ctx c = { .f = NULL };
	struct sio_future res;
	pthread_t pt;
	void *pt_ret = (void *)-1;

	assert_non_null(t);
	/* Initialised before the completer starts: pthread_create() publishes it. */
	assert_int_equal(sio_future_init(&c.released), 0);
	assert_int_equal(pthread_create(&pt, NULL, completer_main, &c), 0);
	assert_int_equal(sio_task_spawn(NULL, ts_waiter_fn, &c, &res), 0);
	assert_int_equal(sio_block_on(&res), 7);
	assert_int_equal(pthread_join(pt, &pt_ret), 0);
	assert_null(pt_ret);
	sio_thread_exit(t);
	while (!sio_thread_is_exited(t))
		sio_thread_poll(t, 0);
	sio_thread_set_current(NULL);
	assert_int_equal(sio_thread_destroy(t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tasks_on_several_os_threads),
		cmocka_unit_test(test_threadsafe_complete_from_plain_thread),
	};

	return cmocka_run_group_tests_name("async_mt", tests, NULL, NULL);
}
