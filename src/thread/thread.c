/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_thread life cycle: create, current thread, poll, exit, destroy, the
 * registry of live threads and the queries on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread/thread_current.h"
#include "thread_internal.h"

pthread_mutex_t g_threads_lock;
struct thread_tailq g_threads = TAILQ_HEAD_INITIALIZER(g_threads);
static pthread_once_t g_threads_once = PTHREAD_ONCE_INIT;
static struct sio_thread *g_app_thread;
static uint32_t g_thread_count;
static atomic_uint_fast64_t g_next_thread_id = 1;

static sio_thread_schedule_fn g_schedule_fn;
static void *g_schedule_ctx;

__thread __attribute__((tls_model("initial-exec"))) struct sio_thread *g_thread_current;
__thread __attribute__((tls_model("initial-exec"))) uint64_t g_thread_event_tick;

static uint64_t (*_Atomic g_tick_fn)(void);

static void threads_lock_init(void)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&g_threads_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	sio_log_flag_register(THREAD_LOG_FLAG);
}

void thread_registry_lock(void)
{
	pthread_once(&g_threads_once, threads_lock_init);
	pthread_mutex_lock(&g_threads_lock);
}

void thread_registry_unlock(void)
{
	pthread_mutex_unlock(&g_threads_lock);
}

void thread_set_tick_fn(uint64_t (*fn)(void))
{
	atomic_store(&g_tick_fn, fn);
}

uint64_t thread_now(void)
{
	uint64_t (*fn)(void) = atomic_load_explicit(&g_tick_fn, memory_order_relaxed);

	return fn ? fn() : sio_get_ticks();
}

void sio_thread_set_schedule_fn(sio_thread_schedule_fn fn, void *ctx)
{
	thread_registry_lock();
	g_schedule_fn = fn;
	g_schedule_ctx = ctx;
	thread_registry_unlock();
}

static void thread_free(struct sio_thread *t)
{
	thread_pollers_fini(t);
	thread_msgs_fini(t);
	thread_intr_fini(t);
	sio_ring_destroy(t->ring);
	pthread_mutex_destroy(&t->overflow_lock);
	free(t);
}

struct sio_thread *thread_create(const char *name, const struct sio_cpuset *cpumask, bool schedule)
{
	struct sio_thread *t;
	sio_thread_schedule_fn sched;
	void *sched_ctx;
	int rc;

	rc = thread_msg_pool_init();
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->ring = sio_ring_create(SIO_RING_MP_SC, THREAD_RING_SIZE);
	if (t->ring == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&t->state, THREAD_STATE_RUNNING);
	atomic_init(&t->sleeping, false);
	atomic_init(&t->overflow_count, 0);
	atomic_init(&t->senders, 0);
	atomic_init(&t->in_poll, false);
	atomic_init(&t->intr, NULL);
	TAILQ_INIT(&t->active);
	TAILQ_INIT(&t->timed);
	TAILQ_INIT(&t->paused);
	TAILQ_INIT(&t->channels);
	TAILQ_INIT(&t->overflow);
	pthread_mutex_init(&t->overflow_lock, NULL);
	t->id = atomic_fetch_add(&g_next_thread_id, 1);
	if (name != NULL)
		snprintf(t->name, sizeof(t->name), "%s", name);
	else
		snprintf(t->name, sizeof(t->name), "thread%" PRIu64, t->id);
	if (cpumask != NULL) {
		t->cpumask = *cpumask;
	} else {
		sio_cpuset_zero(&t->cpumask);
		for (unsigned int c = 0; c < sio_cpu_count() && c < SIO_CPUSET_MAX; c++)
			sio_cpuset_set(&t->cpumask, c);
	}

	thread_registry_lock();
	TAILQ_INSERT_TAIL(&g_threads, t, link);
	g_thread_count++;
	/* The first thread, or the first after the app thread was destroyed
	 * (tests create and destroy whole runtimes one after another). */
	if (g_app_thread == NULL)
		g_app_thread = t;
	sched = schedule ? g_schedule_fn : NULL;
	sched_ctx = g_schedule_ctx;
	thread_registry_unlock();

	if (sched != NULL) {
		rc = sched(t, sched_ctx);
		if (rc != 0) {
			thread_registry_lock();
			TAILQ_REMOVE(&g_threads, t, link);
			g_thread_count--;
			if (g_app_thread == t)
				g_app_thread = NULL;
			thread_registry_unlock();
			thread_free(t);
			errno = rc < 0 ? -rc : EINVAL;
			return NULL;
		}
	}
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "created thread %s (id %" PRIu64 ")", t->name, t->id);
	return t;
}

struct sio_thread *sio_thread_create(const char *name, const struct sio_cpuset *cpumask)
{
	return thread_create(name, cpumask, true);
}

struct sio_thread *sio_thread_attach(const char *name)
{
	struct sio_thread *t;

	if (g_thread_current != NULL) {
		errno = EBUSY;
		return NULL;
	}
	/* No scheduler: the attaching OS thread polls it itself. */
	t = thread_create(name, NULL, false);
	if (t != NULL)
		g_thread_current = t;
	return t;
}

void sio_thread_set_current(struct sio_thread *thread)
{
	g_thread_current = thread;
}

struct sio_thread *sio_thread_get_current(void)
{
	return g_thread_current;
}

struct sio_thread *sio_thread_get_app_thread(void)
{
	struct sio_thread *t;

	thread_registry_lock();
	t = g_app_thread;
	thread_registry_unlock();
	return t;
}

void thread_check_exited(struct sio_thread *t)
{
	if (atomic_load_explicit(&t->state, memory_order_relaxed) != THREAD_STATE_EXITING)
		return;
	if (t->n_active + t->n_timed + t->n_paused != 0 || t->n_channels != 0 ||
	    t->n_unregistering != 0 || thread_has_msgs(t))
		return;
	/* Release pairs with the acquire load in sio_thread_send_msg() and
	 * sio_thread_is_exited(): whoever sees EXITED sees everything the
	 * thread did before. */
	atomic_store_explicit(&t->state, THREAD_STATE_EXITED, memory_order_release);
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "thread %s exited", t->name);
}

int sio_thread_poll_at(struct sio_thread *thread, uint32_t max_msgs, uint64_t *now)
{
	struct sio_thread *prev;
	struct thread_intr *intr;
	uint64_t start, end, prev_tick;
	int work;

	if (thread == NULL || now == NULL)
		return -EINVAL;
	/* Acquire pairs with the release at the end of the previous poll, which
	 * may have run on another OS thread: its writes to the poller-side
	 * fields are visible to us. */
	if (atomic_exchange_explicit(&thread->in_poll, true, memory_order_acquire)) {
		SIO_ERRLOG("thread %s is already being polled (re-entry or two OS threads)",
			   thread->name);
		return -EBUSY;
	}
	prev = g_thread_current;
	g_thread_current = thread;
	/* An event being handled by whoever polls us is not ours (thread_current.h). */
	prev_tick = g_thread_event_tick;
	g_thread_event_tick = 0;

	/* One clock read per poll: the caller's tick (the end of the poll
	 * before, on a reactor) stands for our start. */
	start = *now != 0 ? *now : thread_now();
	thread->poll_now = start;
	intr = atomic_load_explicit(&thread->intr, memory_order_acquire);
	if (intr != NULL)
		thread_intr_poll_begin(thread, intr);

	work = (int)thread_run_msgs(thread, max_msgs != 0 ? max_msgs : THREAD_MSG_BATCH);
	work += thread_run_pollers(thread, start);
	thread_check_exited(thread);

	end = thread_now();
	if (work > 0)
		thread->stats.busy_tsc += end - start;
	else
		thread->stats.idle_tsc += end - start;

	if (intr != NULL)
		thread_intr_poll_end(thread, intr, end);

	g_thread_current = prev;
	g_thread_event_tick = prev_tick;
	atomic_store_explicit(&thread->in_poll, false, memory_order_release);
	*now = end;
	return work;
}

int sio_thread_poll(struct sio_thread *thread, uint32_t max_msgs)
{
	uint64_t now = 0;

	return sio_thread_poll_at(thread, max_msgs, &now);
}

const char *sio_thread_get_name(const struct sio_thread *thread)
{
	return thread != NULL ? thread->name : NULL;
}

uint64_t sio_thread_get_id(const struct sio_thread *thread)
{
	return thread != NULL ? thread->id : 0;
}

struct sio_thread *sio_thread_get_by_id(uint64_t id)
{
	struct sio_thread *t;

	thread_registry_lock();
	TAILQ_FOREACH(t, &g_threads, link) {
		if (t->id == id)
			break;
	}
	thread_registry_unlock();
	return t;
}

const struct sio_cpuset *sio_thread_get_cpumask(const struct sio_thread *thread)
{
	return thread != NULL ? &thread->cpumask : NULL;
}

uint32_t sio_thread_count(void)
{
	uint32_t n;

	thread_registry_lock();
	n = g_thread_count;
	thread_registry_unlock();
	return n;
}

bool sio_thread_is_idle(struct sio_thread *thread)
{
	if (thread == NULL)
		return false;
	return !thread_has_msgs(thread) && !thread->last_active_busy;
}

bool sio_thread_is_running(struct sio_thread *thread)
{
	return thread != NULL &&
	       atomic_load_explicit(&thread->state, memory_order_acquire) == THREAD_STATE_RUNNING;
}

bool sio_thread_has_pollers(struct sio_thread *thread)
{
	return thread != NULL && thread->n_active + thread->n_timed + thread->n_paused != 0;
}

bool sio_thread_has_active_pollers(struct sio_thread *thread)
{
	return thread != NULL && thread->n_active != 0;
}

int sio_thread_exit(struct sio_thread *thread)
{
	int expected = THREAD_STATE_RUNNING;

	if (thread == NULL)
		return -EINVAL;
	if (!atomic_compare_exchange_strong(&thread->state, &expected, THREAD_STATE_EXITING))
		return -EALREADY;
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "thread %s exiting", thread->name);
	thread_check_exited(thread);
	return 0;
}

bool sio_thread_is_exited(struct sio_thread *thread)
{
	return thread != NULL &&
	       atomic_load_explicit(&thread->state, memory_order_acquire) == THREAD_STATE_EXITED;
}

void thread_log_owned(struct sio_thread *t, const char *why)
{
	SIO_ERRLOG("thread %s (id %" PRIu64 "): %s: %s, %u active, %u timed and %u paused "
		   "pollers, %u io_channels, %u io_device unregisters pending, %s",
		   t->name, t->id, why,
		   atomic_load(&t->state) == THREAD_STATE_RUNNING ? "exit not asked" : "exiting",
		   t->n_active, t->n_timed, t->n_paused, t->n_channels, t->n_unregistering,
		   thread_has_msgs(t) ? "messages queued" : "no messages");
	thread_log_channels(t);
}

int sio_thread_destroy(struct sio_thread *thread)
{
	if (thread == NULL)
		return -EINVAL;
	if (atomic_load_explicit(&thread->in_poll, memory_order_acquire)) {
		SIO_ERRLOG("thread %s: destroy while it is being polled refused", thread->name);
		return -EBUSY;
	}
	if (atomic_load_explicit(&thread->state, memory_order_acquire) != THREAD_STATE_EXITED) {
		thread_log_owned(thread, "destroy refused");
		return -EBUSY;
	}
	/*
	 * A sender that saw the thread still exiting may have queued a message
	 * just after it became exited. It was accepted (send returned 0), so it
	 * runs now rather than being dropped.
	 */
	if (thread_has_msgs(thread)) {
		atomic_store(&thread->state, THREAD_STATE_EXITING);
		while (thread_has_msgs(thread))
			sio_thread_poll(thread, 0);
		if (!sio_thread_is_exited(thread)) {
			thread_log_owned(thread, "late messages revived it; destroy refused");
			return -EBUSY;
		}
	}

	thread_registry_lock();
	TAILQ_REMOVE(&g_threads, thread, link);
	g_thread_count--;
	if (g_app_thread == thread)
		g_app_thread = NULL;
	thread_registry_unlock();
	if (g_thread_current == thread)
		g_thread_current = NULL;
	/* A sender whose message we already ran may still be inside
	 * sio_thread_send_msg() (waking us); it leaves within nanoseconds.
	 * Acquire pairs with the release decrement in thread_send(). */
	while (atomic_load_explicit(&thread->senders, memory_order_acquire) != 0)
		sched_yield();
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "destroyed thread %s", thread->name);
	thread_free(thread);
	return 0;
}

int sio_thread_get_stats(struct sio_thread *thread, struct sio_thread_stats *stats)
{
	if (thread == NULL || stats == NULL)
		return -EINVAL;
	*stats = thread->stats;
	return 0;
}

void sio_thread_foreach(sio_thread_visit_fn fn, void *ctx)
{
	struct sio_thread *t;

	if (fn == NULL)
		return;
	thread_registry_lock();
	TAILQ_FOREACH(t, &g_threads, link)
		fn(t, ctx);
	thread_registry_unlock();
}

/* ---- sio_for_each_thread ---- */

struct thread_iter {
	sio_msg_fn fn;
	sio_msg_fn cpl;
	void *ctx;
	struct sio_thread *orig;
};

static void for_each_thread_visit(void *arg);

static void for_each_thread_done(void *arg)
{
	struct thread_iter *it = arg;

	if (it->cpl != NULL)
		it->cpl(it->ctx);
	free(it);
}

/* Sends @it to the first live thread after @prev (NULL: the first thread),
 * or its completion to the originating thread when none is left. */
static void for_each_thread_next(struct thread_iter *it, struct sio_thread *prev)
{
	struct sio_thread *t;

	thread_registry_lock();
	/* @prev is the current thread, so it is alive and still listed. */
	t = prev != NULL ? TAILQ_NEXT(prev, link) : TAILQ_FIRST(&g_threads);
	for (; t != NULL; t = TAILQ_NEXT(t, link)) {
		/* Sent under the lock so @t cannot be destroyed in between. */
		if (thread_send_critical(t, for_each_thread_visit, it) == 0) {
			thread_registry_unlock();
			return;
		}
	}
	thread_registry_unlock();
	if (thread_send_critical(it->orig, for_each_thread_done, it) != 0) {
		SIO_ERRLOG("for_each_thread: thread %s exited before completion; completion dropped",
			   it->orig->name);
		free(it);
	}
}

static void for_each_thread_visit(void *arg)
{
	struct thread_iter *it = arg;

	it->fn(it->ctx);
	for_each_thread_next(it, g_thread_current);
}

int sio_for_each_thread(sio_msg_fn fn, void *ctx, sio_msg_fn cpl)
{
	struct thread_iter *it;

	if (fn == NULL)
		return -EINVAL;
	if (g_thread_current == NULL)
		return -EPERM;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	it->fn = fn;
	it->cpl = cpl;
	it->ctx = ctx;
	it->orig = g_thread_current;
	for_each_thread_next(it, NULL);
	return 0;
}
