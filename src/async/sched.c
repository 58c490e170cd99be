/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-thread scheduling of tasks: the run queue and the poller that drains
 * it, switching into and out of tasks (with the sanitizer annotations), the
 * timer list behind sio_sleep() and timeouts, and the life of the per-thread
 * state (struct async_thread).
 *
 * Why pollers and not a hook in the thread layer: a poller is the thread
 * layer's public way to run code on each poll, and a registered poller also
 * keeps the thread from completing sio_thread_exit(), which is exactly the
 * "exit waits for tasks" rule. The run-queue poller is paused whenever
 * nothing is ready, so an idle thread has no active poller and its interrupt
 * fd stays quiet.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "async/async_internal.h"

/* An idle thread (no task) keeps its state and warm stacks this long before
 * giving them back; a thread that is exiting gives them back at once. */
#define ASYNC_LINGER_US 20000
/* Stacks kept resident / kept mapped with pages dropped, per size class. */
#define ASYNC_STACKS_WARM 64
#define ASYNC_STACKS_COLD 1024

ASYNC_TLS struct sio_task *tls_async_task;

#if ASYNC_FPCTL_BY_TASK
void async_task_fp_switch(struct sio_task *t, bool enter)
{
	if (enter)
		async_fpctl_switch(&t->fp_outer, &t->fp);
	else
		async_fpctl_switch(&t->fp, &t->fp_outer);
}
#endif

/* Registry of per-thread states, looked up on a cache miss only. */
static pthread_mutex_t g_async_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, async_thread) g_async_threads = TAILQ_HEAD_INITIALIZER(g_async_threads);
/* Bumped whenever a state is freed, so every OS thread's cache goes stale. */
static atomic_uint_fast64_t g_async_gen = 1;

static __thread struct {
	struct sio_thread *thread;
	struct async_thread *at;
	uint_fast64_t gen;
} tls_cache;

static int rq_poll(void *ctx);
static int linger_poll(void *ctx);

void async_misuse_abort(void)
{
	fprintf(stderr, "spdk-io: async misuse, aborting (built with SIO_DEBUG_MISUSE)\n");
	abort();
}

static struct async_thread *async_thread_create(struct sio_thread *thr, int *rc)
{
	struct async_thread *at;

	if (!sio_thread_is_running(thr)) {
		/* Nothing lives on it: don't hold an exiting thread back. */
		*rc = -ESHUTDOWN;
		return NULL;
	}
	at = calloc(1, sizeof(*at));
	if (at == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	at->thread = thr;
	at->thread_id = sio_thread_get_id(thr);
	at->rq_tailp = &at->rq_head;
	TAILQ_INIT(&at->timers);
	async_stack_pool_init(&at->stacks, ASYNC_STACKS_WARM, ASYNC_STACKS_COLD);
	at->rq_poller = sio_poller_register_named("async_runq", rq_poll, at, 0);
	if (at->rq_poller == NULL)
		goto err;
	sio_poller_pause(at->rq_poller);
	at->rq_paused = true;
	at->linger_poller = sio_poller_register_named("async_linger", linger_poll, at,
						      ASYNC_LINGER_US);
	if (at->linger_poller == NULL)
		goto err_rq;
	pthread_mutex_lock(&g_async_lock);
	TAILQ_INSERT_TAIL(&g_async_threads, at, link);
	pthread_mutex_unlock(&g_async_lock);
	SIO_DEBUGLOG(ASYNC_LOG_FLAG, "async state created on thread %s",
		     sio_thread_get_name(thr));
	return at;

err_rq:
	sio_poller_unregister(&at->rq_poller);
err:
	*rc = errno ? -errno : -ENOMEM;
	free(at);
	return NULL;
}

static void async_thread_release(struct async_thread *at)
{
	uint64_t leaked;

	pthread_mutex_lock(&g_async_lock);
	TAILQ_REMOVE(&g_async_threads, at, link);
	atomic_fetch_add_explicit(&g_async_gen, 1, memory_order_release);
	pthread_mutex_unlock(&g_async_lock);
	tls_cache.thread = NULL;
	at->released = true;
	sio_poller_unregister(&at->rq_poller);
	sio_poller_unregister(&at->linger_poller);
	sio_poller_unregister(&at->timer_poller);
	leaked = async_stack_pool_fini(&at->stacks);
	if (leaked != 0)
		SIO_ERRLOG("thread %s: %llu task stacks leaked", sio_thread_get_name(at->thread),
			   (unsigned long long)leaked);
	SIO_DEBUGLOG(ASYNC_LOG_FLAG, "async state released on thread %s",
		     sio_thread_get_name(at->thread));
	free(at);
}

struct async_thread *async_thread_get(bool create, int *rc)
{
	struct sio_thread *thr = sio_thread_get_current();
	struct async_thread *at, *found = NULL;
	uint_fast64_t gen;

	if (thr == NULL) {
		*rc = -EPERM;
		return NULL;
	}
	gen = atomic_load_explicit(&g_async_gen, memory_order_acquire);
	if (tls_cache.thread == thr && tls_cache.gen == gen)
		return tls_cache.at;

	pthread_mutex_lock(&g_async_lock);
	TAILQ_FOREACH(at, &g_async_threads, link) {
		if (at->thread == thr) {
			found = at;
			break;
		}
	}
	pthread_mutex_unlock(&g_async_lock);
	if (found == NULL) {
		*rc = -ENOENT;
		if (!create)
			return NULL;
		found = async_thread_create(thr, rc);
		if (found == NULL)
			return NULL;
	}
	tls_cache.thread = thr;
	tls_cache.at = found;
	tls_cache.gen = gen;
	return found;
}

/* ------------------------------------------------------------------------ */
/* Switching                                                                */
/* ------------------------------------------------------------------------ */

void async_task_exit(struct sio_task *t)
{
#if ASYNC_ASAN
	/* NULL: this stack is dying, let ASan drop its fake frames. */
	__sanitizer_start_switch_fiber(NULL, t->caller_stack_lo, t->caller_stack_size);
#endif
#if ASYNC_TSAN
	__tsan_switch_to_fiber(t->tsan_caller_fiber, 0);
#endif
	t->state = TASK_DONE;
	g_thread_event_tick = 0; /* as in async_task_switch_out() */
	async_task_fp_leave(t);
#if ASYNC_CHAIN
	t->at->back = t; /* an ending task never chains: its resumer reaps it */
#endif
	async_ctx_switch(&t->ctx, &t->caller);
	/* A finished task is never resumed. */
	abort();
}

/*
 * A completion outside any task (a poller, a message, a plain callback: the
 * I/O path) resumes the waiter right here, before returning: exactly where
 * the callback form would run its callback, and without a trip through the
 * run queue, which is what keeps an awaited operation close to the cost of
 * its callback form. A completion from inside a task queues the waiter
 * instead, so tasks never nest on each other's switches.
 */
void async_task_wake(struct sio_task *t, enum task_wake why)
{
	if (t->state != TASK_PARKED)
		return;
	t->wake = why;
	if (tls_async_task == NULL) {
		async_task_resume(t);
		return;
	}
	t->state = TASK_READY;
	async_task_enqueue(t);
}

int sio_yield(void)
{
	struct sio_task *t = tls_async_task;

	if (t == NULL) {
		ASYNC_MISUSE("sio_yield() outside a task");
		return -EPERM;
	}
	t->state = TASK_READY;
	t->wake = TASK_WAKE_YIELD;
	async_task_enqueue(t);
	async_task_switch_out(t);
	return 0;
}

/*
 * Run the tasks that were ready when this poll reached us; tasks made ready
 * meanwhile (woken, yielding, new) wait for the next poll, so a task that
 * yields in a loop cannot starve the thread's other pollers and messages.
 * They run back to back: each task that parks switches straight into the
 * next of the batch (async_task_switch_out()), so this loop only runs again
 * when a task ended (an ending task goes back to its resumer).
 */
static int rq_poll(void *ctx)
{
	struct async_thread *at = ctx;
	struct sio_task *t = at->rq_head;

	if (t == NULL) {
		sio_poller_pause(at->rq_poller);
		at->rq_paused = true;
		return SIO_POLLER_IDLE;
	}
	/* The whole queue is this poll's batch; it starts empty for the next. */
	at->rq_head = NULL;
	at->rq_tailp = &at->rq_head;
	at->chain = t->rq_next;
	for (;;) {
		async_task_resume(t);
		t = at->chain;
		if (t == NULL)
			break;
		at->chain = t->rq_next;
	}
	if (at->ntasks == 0 && !sio_thread_is_running(at->thread))
		async_thread_release(at);
	return SIO_POLLER_BUSY;
}

/*
 * Housekeeping every ASYNC_LINGER_US while the thread has no task or has
 * stacks to trim: hands the pages of surplus stacks back (never on the
 * spawn path), and gives an idle thread's state back, so a thread that will
 * never run a task again neither holds memory nor is kept from exiting.
 */
static int linger_poll(void *ctx)
{
	struct async_thread *at = ctx;

	async_stack_pool_trim(&at->stacks);
	if (at->ntasks != 0) {
		sio_poller_pause(at->linger_poller);
		at->linger_paused = true;
		return SIO_POLLER_IDLE;
	}
	if (!sio_thread_is_running(at->thread) || at->spawned == at->linger_mark) {
		async_thread_release(at);
		return SIO_POLLER_BUSY;
	}
	at->linger_mark = at->spawned;
	return SIO_POLLER_IDLE;
}

void async_task_reap(struct sio_task *t)
{
	struct async_thread *at = t->at;

#if ASYNC_TSAN
	__tsan_destroy_fiber(t->tsan_fiber);
#endif
	async_stack_put(&at->stacks, t->stack);
	if ((--at->ntasks == 0 || async_stack_pool_needs_trim(&at->stacks)) && at->linger_paused) {
		sio_poller_resume(at->linger_poller);
		at->linger_paused = false;
	}
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                   */
/* ------------------------------------------------------------------------ */

static int timer_poll(void *ctx);

/*
 * (Re)arm the timer poller for the first deadline. The thread layer's timed
 * pollers are periodic, so the poller is registered with period = time to the
 * first deadline and replaced when a sooner deadline arrives or the period
 * must change; a run of equal sleeps keeps the same poller.
 */
static void timer_rearm(struct async_thread *at, uint64_t now)
{
	struct async_timer *head = TAILQ_FIRST(&at->timers);
	uint64_t hz = sio_get_ticks_hz();
	uint64_t want_us;

	if (head == NULL)
		return;
	want_us = head->deadline > now ? ((head->deadline - now) * 1000000 + hz - 1) / hz : 1;
	if (want_us == 0)
		want_us = 1;
	/* Keep the poller if it fires at the deadline or a little before it
	 * (timer_poll() re-arms for the rest); replace it if it would fire late
	 * or so early that it would spin. */
	if (at->timer_poller != NULL && at->timer_armed_at <= head->deadline &&
	    head->deadline - at->timer_armed_at <= sio_us_to_ticks(want_us / 16 + 20))
		return;
	sio_poller_unregister(&at->timer_poller);
	at->timer_poller = sio_poller_register_named("async_timer", timer_poll, at, want_us);
	if (at->timer_poller == NULL) {
		SIO_ERRLOG("thread %s: cannot register the timer poller (%d): sleeping tasks stay parked",
			   sio_thread_get_name(at->thread), -errno);
		return;
	}
	at->timer_period_us = want_us;
	at->timer_armed_at = now + sio_us_to_ticks(want_us);
}

static int timer_poll(void *ctx)
{
	struct async_thread *at = ctx;
	uint64_t now = sio_get_ticks();
	struct async_timer *tm;
	int fired = 0;

	while ((tm = TAILQ_FIRST(&at->timers)) != NULL && tm->deadline <= now) {
		TAILQ_REMOVE(&at->timers, tm, link);
		tm->armed = false;
		async_task_wake(tm->task, TASK_WAKE_TIMER);
		fired++;
	}
	if (tm == NULL) {
		sio_poller_unregister(&at->timer_poller);
	} else {
		/* Periodic: unless replaced, it fires again one period from now. */
		at->timer_armed_at = now + sio_us_to_ticks(at->timer_period_us);
		timer_rearm(at, now);
	}
	return fired ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

void async_timer_arm(struct async_thread *at, struct async_timer *tm, struct sio_task *t,
		     uint64_t us)
{
	uint64_t now = sio_get_ticks();
	struct async_timer *it;

	tm->deadline = now + sio_us_to_ticks(us);
	tm->task = t;
	tm->armed = true;
	/* Insert from the tail: sleeps of equal length arrive in deadline order. */
	TAILQ_FOREACH_REVERSE(it, &at->timers, timer_tailq, link) {
		if (it->deadline <= tm->deadline)
			break;
	}
	if (it == NULL)
		TAILQ_INSERT_HEAD(&at->timers, tm, link);
	else
		TAILQ_INSERT_AFTER(&at->timers, it, tm, link);
	if (TAILQ_FIRST(&at->timers) == tm)
		timer_rearm(at, now);
}

void async_timer_disarm(struct async_thread *at, struct async_timer *tm)
{
	if (!tm->armed)
		return;
	TAILQ_REMOVE(&at->timers, tm, link);
	tm->armed = false;
	/* The poller may now fire early; timer_poll() then just re-arms. */
}
