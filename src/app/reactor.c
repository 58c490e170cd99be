/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reactors: one per core of the app's mask, each an OS thread pinned to its
 * core (the main core's reactor is the OS thread that called sio_app_run())
 * that polls the sio_threads placed on it. The thread layer's schedule hook
 * places every new sio_thread on the least-loaded reactor its cpumask allows.
 *
 * By default a reactor polls: it runs its threads' pollers in a loop and
 * never sleeps, as SPDK's reactors do, so a request that arrives is seen
 * within one loop turn and no system call stands between it and its poller.
 * Its threads are never switched to interrupt mode (no interrupt fd, no
 * wake-up fences, no timerfd re-arming).
 *
 * In interrupt mode (sio_app_opts.interrupt_mode, --interrupt-mode) a reactor
 * sleeps in epoll_wait() once none of its threads has found work for
 * REACTOR_SPIN_US: each thread's interrupt fd is readable while that thread
 * has messages, a due timed poller or an active poller, and the reactor's
 * eventfd wakes it for a new thread or a stop. So an idle app costs no CPU,
 * and a busy one never sleeps. If a thread cannot give an interrupt fd the
 * reactor spins.
 *
 * Each reactor also owns one sio_thread of its own, "reactor_<core>", on which
 * events (sio_event_call) run.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "app/app_internal.h"

/* Upper bound of one sleep: a safety net, not a clock. */
#define REACTOR_MAX_SLEEP_MS 100
/*
 * Interrupt mode: how long a reactor keeps polling after the last turn that
 * found work before it sleeps. A queue-depth-1 request/response exchange over
 * loopback comes back in tens of microseconds; sleeping in between would put
 * an epoll_wait() and a wake-up (a few microseconds each, more on a loaded
 * machine) on every I/O. An idle reactor pays this once per wake-up.
 */
#define REACTOR_SPIN_US 100

struct reactor {
	int core;
	pthread_t tid;
	bool has_tid;
	int epfd;
	int efd;
	bool intr;          /* interrupt mode: sleep when idle (else poll) */
	bool spin;          /* interrupt mode, but a thread has no interrupt fd */
	uint64_t last_work; /* tick of the end of the last turn that found work */

	/* Threads handed over by the schedule hook, not yet picked up by the loop. */
	pthread_mutex_t lock;
	struct sio_thread **pending;
	size_t n_pending, cap_pending;
	/* Mirror of n_pending != 0 the loop checks without the lock. */
	atomic_bool has_pending;

	/* The reactor's own threads; changed only by its loop, under lock for readers. */
	struct sio_thread **threads;
	uint64_t *since; /* tick each thread was placed here (framework_get_reactors "elapsed") */
	size_t n_threads, cap_threads;

	struct sio_thread *event_thread;
	uint64_t busy_tsc;
	uint64_t idle_tsc;
	bool stop;          /* atomic: exit once every thread is gone */
	uint64_t deadline;  /* ticks after stop when leftover threads are abandoned */
};

static struct reactor *g_reactors;
static size_t g_nreactors;
static int g_main_core = -1;
/* The main reactor's eventfd for the signal handler, which may run on any OS
 * thread at any moment of setup or teardown: published last, withdrawn first,
 * so the handler never reads the reactor array. */
static int g_main_efd = -1;
/* Wakers between their load of g_main_efd and the end of their write(). The
 * eventfd is closed only once this is 0 after the withdrawal: a handler that
 * loaded the fd just before would otherwise write 8 bytes into whatever file
 * reuses the number next. */
static int g_main_efd_users;
static uint64_t g_shutdown_ticks;
static uint64_t g_spin_ticks;
static __thread struct reactor *tls_reactor;

static struct reactor *reactor_of(int core)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		if (g_reactors[i].core == core)
			return &g_reactors[i];
	}
	return NULL;
}

static void reactor_wake(struct reactor *r)
{
	uint64_t one = 1;

	/* Best effort: a full eventfd counter already means "wake up". */
	if (write(r->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		SIO_ERRLOG("reactor %d wake: %s", r->core, strerror(errno));
}

static int grow(struct sio_thread ***arr, size_t *cap, size_t need)
{
	struct sio_thread **p;
	size_t c = *cap ? *cap : 8;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*arr, c * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* The reactor's thread list and its placement ticks grow together. */
static int grow_threads(struct reactor *r, size_t need)
{
	size_t cap = r->cap_threads;
	uint64_t *since;

	if (grow(&r->threads, &cap, need) != 0)
		return -ENOMEM;
	if (cap != r->cap_threads) {
		since = realloc(r->since, cap * sizeof(*since));
		if (since == NULL)
			return -ENOMEM; /* threads[] is larger; cap_threads unchanged, retried */
		r->since = since;
		r->cap_threads = cap;
	}
	return 0;
}

/* The thread layer calls this for every sio_thread created while reactors exist. */
static int schedule_thread(struct sio_thread *thread, void *ctx)
{
	const struct sio_cpuset *mask = sio_thread_get_cpumask(thread);
	struct reactor *best = NULL;
	size_t best_load = SIZE_MAX;
	int rc;

	for (int pass = 0; pass < 2 && best == NULL; pass++) {
		for (size_t i = 0; i < g_nreactors; i++) {
			struct reactor *r = &g_reactors[i];
			size_t load;

			/* Pass 1 honours the mask; pass 2 takes any reactor rather than fail. */
			if (pass == 0 && mask != NULL && sio_cpuset_count(mask) > 0 &&
			    !sio_cpuset_is_set(mask, (unsigned int)r->core))
				continue;
			pthread_mutex_lock(&r->lock);
			load = r->n_threads + r->n_pending;
			pthread_mutex_unlock(&r->lock);
			if (load < best_load) {
				best = r;
				best_load = load;
			}
		}
	}
	if (best == NULL)
		return -ENODEV;
	pthread_mutex_lock(&best->lock);
	rc = grow(&best->pending, &best->cap_pending, best->n_pending + 1);
	if (rc == 0) {
		best->pending[best->n_pending++] = thread;
		/* Release, and before the unlock: see take_pending(). */
		atomic_store_explicit(&best->has_pending, true, memory_order_release);
	}
	pthread_mutex_unlock(&best->lock);
	if (rc == 0)
		reactor_wake(best);
	return rc;
}

static void take_pending(struct reactor *r)
{
	/*
	 * Lock only when something was handed over: a lock/unlock pair on
	 * every loop turn costs more than the rest of an empty turn's
	 * bookkeeping. The release store in schedule_thread() follows the
	 * append under the lock; seeing it (acquire) means we take the lock
	 * and find the entry. A store we miss this turn is seen the next one:
	 * schedule_thread() also writes our eventfd, so we do not sleep on it.
	 */
	if (!atomic_load_explicit(&r->has_pending, memory_order_acquire))
		return;
	pthread_mutex_lock(&r->lock);
	/* Cleared under the lock before the list is emptied, so a concurrent
	 * append (which needs the lock) sets it again after us. */
	atomic_store_explicit(&r->has_pending, false, memory_order_relaxed);
	if (r->n_pending == 0)
		goto out;
	if (grow_threads(r, r->n_threads + r->n_pending) != 0) {
		/* Out of memory: retry on a later turn. */
		atomic_store_explicit(&r->has_pending, true, memory_order_relaxed);
		goto out;
	}
	for (size_t i = 0; i < r->n_pending; i++) {
		struct sio_thread *t = r->pending[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = t};
		int fd;

		r->since[r->n_threads] = sio_get_ticks();
		/* Polling: the thread stays out of interrupt mode (its first
		 * sio_thread_get_interrupt_fd() would switch it there for good). */
		if (!r->intr) {
			r->threads[r->n_threads++] = t;
			continue;
		}
		fd = sio_thread_get_interrupt_fd(t);
		if (fd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			SIO_DEBUGLOG("app", "reactor %d: thread %s has no interrupt fd, spinning",
				     r->core, sio_thread_get_name(t));
			r->spin = true;
		}
		r->threads[r->n_threads++] = t;
	}
	r->n_pending = 0;
out:
	pthread_mutex_unlock(&r->lock);
}

static void drop_thread(struct reactor *r, size_t i)
{
	struct sio_thread *t = r->threads[i];

	if (r->intr) {
		int fd = sio_thread_get_interrupt_fd(t);

		if (fd >= 0)
			epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	pthread_mutex_lock(&r->lock);
	r->threads[i] = r->threads[--r->n_threads];
	r->since[i] = r->since[r->n_threads];
	pthread_mutex_unlock(&r->lock);
	if (sio_thread_destroy(t) != 0)
		SIO_ERRLOG("reactor %d: could not destroy thread %s", r->core,
			   sio_thread_get_name(t));
}

static void drain_efd(struct reactor *r)
{
	uint64_t v;

	while (read(r->efd, &v, sizeof(v)) == sizeof(v))
		;
}

/* Returns whether it slept (false when some thread has work due). */
static bool idle_wait(struct reactor *r)
{
	struct epoll_event evs[16];
	uint64_t timeout_us = UINT64_MAX;
	int ms;

	for (size_t i = 0; i < r->n_threads; i++) {
		uint64_t t = sio_thread_next_timeout_us(r->threads[i]);

		if (t < timeout_us)
			timeout_us = t;
	}
	if (timeout_us == 0 || r->spin)
		return false;
	ms = timeout_us >= (uint64_t)REACTOR_MAX_SLEEP_MS * 1000 ? REACTOR_MAX_SLEEP_MS
								 : (int)((timeout_us + 999) / 1000);
	/*
	 * Thread fds are drained by their threads' polls, our eventfd here, only
	 * after a wake-up: a read() on every loop turn would be a syscall per
	 * turn (per I/O at queue depth 1). A write that lands while we are busy
	 * leaves the fd readable, so the next epoll_wait() returns at once and
	 * drains it; everything a wake-up announces (new threads, stop, signals)
	 * is checked on every turn anyway.
	 */
	if (epoll_wait(r->epfd, evs, 16, ms) > 0)
		drain_efd(r);
	return true;
}

static void reactor_loop(struct reactor *r)
{
	uint64_t now = 0;
	bool main_core = r == reactor_of(g_main_core);

	tls_reactor = r;
	for (;;) {
		/* One clock read per thread poll: each poll starts at the tick
		 * the one before it ended at; a turn starts where the last one
		 * ended unless it slept in between. */
		uint64_t start = now != 0 ? now : sio_get_ticks(), end;
		int work = 0;

		now = start;
		take_pending(r);
		for (size_t i = 0; i < r->n_threads;) {
			struct sio_thread *t = r->threads[i];

			work += sio_thread_poll_at(t, 0, &now) > 0;
			if (sio_thread_is_exited(t)) {
				drop_thread(r, i);
				work++;
				continue;
			}
			i++;
		}
		if (main_core)
			app_reactor_main_tick(); /* one atomic exchange: no clock read */
		end = now;
		/* Relaxed atomics: framework_get_reactors reads them from the app thread. */
		if (work > 0) {
			__atomic_store_n(&r->busy_tsc, r->busy_tsc + (end - start), __ATOMIC_RELAXED);
			r->last_work = end;
		} else {
			__atomic_store_n(&r->idle_tsc, r->idle_tsc + (end - start), __ATOMIC_RELAXED);
		}

		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
			pthread_mutex_lock(&r->lock);
			bool empty = r->n_threads == 0 && r->n_pending == 0;
			pthread_mutex_unlock(&r->lock);
			if (empty)
				break;
			if (r->deadline == 0) {
				r->deadline = end + g_shutdown_ticks;
			} else if (end > r->deadline) {
				for (size_t i = 0; i < r->n_threads; i++)
					SIO_ERRLOG("reactor %d: thread %s did not exit in time; "
						   "abandoning it", r->core,
						   sio_thread_get_name(r->threads[i]));
				break;
			}
		}
		/* Polling reactors never sleep; in interrupt mode, only once
		 * nothing was found for the spin period. */
		if (work == 0 && r->intr && end - r->last_work >= g_spin_ticks && idle_wait(r))
			now = 0; /* slept: the clock moved */
	}
	tls_reactor = NULL;
}

static void *reactor_main(void *arg)
{
	struct reactor *r = arg;
	int rc = sio_cpu_pin_current((unsigned int)r->core);

	if (rc != 0)
		SIO_WARNLOG("reactor %d: cannot pin to its core: %s", r->core, strerror(-rc));
	reactor_loop(r);
	return NULL;
}

int app_reactors_create(const struct sio_cpuset *mask, int main_core, uint32_t shutdown_ms,
			bool interrupt_mode)
{
	size_t n = sio_cpuset_count(mask), k = 0;
	int rc = 0;

	g_reactors = calloc(n, sizeof(*g_reactors));
	if (g_reactors == NULL)
		return -ENOMEM;
	for (int c = sio_cpuset_next(mask, -1); c >= 0; c = sio_cpuset_next(mask, c)) {
		struct reactor *r = &g_reactors[k++];

		r->core = c;
		r->intr = interrupt_mode;
		r->epfd = r->efd = -1;
		pthread_mutex_init(&r->lock, NULL);
		r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		r->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (r->efd < 0 || r->epfd < 0) {
			rc = -errno;
		} else {
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

			if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->efd, &ev) != 0)
				rc = -errno;
		}
		g_nreactors = k;
		if (rc != 0) {
			app_reactors_destroy();
			return rc;
		}
	}
	g_main_core = main_core;
	{
		struct reactor *m = reactor_of(main_core);

		/* Release pairs with the acquire in app_reactors_wake_main(). */
		__atomic_store_n(&g_main_efd, m != NULL ? m->efd : -1, __ATOMIC_RELEASE);
	}
	g_shutdown_ticks = sio_us_to_ticks((uint64_t)shutdown_ms * 1000);
	g_spin_ticks = sio_us_to_ticks(REACTOR_SPIN_US);
	sio_thread_set_schedule_fn(schedule_thread, NULL);
	return 0;
}

int app_reactors_create_event_threads(void)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		struct reactor *r = &g_reactors[i];
		struct sio_cpuset one;
		char name[32];

		sio_cpuset_zero(&one);
		sio_cpuset_set(&one, (unsigned int)r->core);
		snprintf(name, sizeof(name), "reactor_%d", r->core);
		r->event_thread = sio_thread_create(name, &one);
		if (r->event_thread == NULL)
			return -errno;
	}
	return 0;
}

int app_reactors_start(void)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		struct reactor *r = &g_reactors[i];
		int rc;

		if (r->core == g_main_core)
			continue;
		rc = pthread_create(&r->tid, NULL, reactor_main, r);
		if (rc != 0)
			return -rc;
		r->has_tid = true;
	}
	return 0;
}

void app_reactor_run_main(void)
{
	struct reactor *r = reactor_of(g_main_core);

	if (r != NULL)
		reactor_loop(r);
}

void app_reactors_stop(void)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		__atomic_store_n(&g_reactors[i].stop, true, __ATOMIC_RELEASE);
		reactor_wake(&g_reactors[i]);
	}
}

/* Called from a signal handler: no locks, no logging, any moment of setup. */
void app_reactors_wake_main(void)
{
	uint64_t one = 1;
	int fd;

	/* Sequentially consistent with the withdrawal in app_reactors_destroy():
	 * either this sees -1, or the destroyer sees this user and waits. */
	__atomic_add_fetch(&g_main_efd_users, 1, __ATOMIC_SEQ_CST);
	fd = __atomic_load_n(&g_main_efd, __ATOMIC_SEQ_CST);
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* Full counter or not set up yet: the main loop checks the flag anyway. */
	}
	__atomic_sub_fetch(&g_main_efd_users, 1, __ATOMIC_RELEASE);
}

void app_reactors_join(void)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		if (g_reactors[i].has_tid) {
			pthread_join(g_reactors[i].tid, NULL);
			g_reactors[i].has_tid = false;
		}
	}
}

void app_reactors_destroy(void)
{
	sio_thread_set_schedule_fn(NULL, NULL);
	__atomic_store_n(&g_main_efd, -1, __ATOMIC_SEQ_CST);
	/* A waker is a write() long: a signal handler on this very thread runs to
	 * its end before this loop resumes, so the wait always ends. */
	while (__atomic_load_n(&g_main_efd_users, __ATOMIC_SEQ_CST) != 0)
		sched_yield();
	for (size_t i = 0; i < g_nreactors; i++) {
		struct reactor *r = &g_reactors[i];

		if (r->efd >= 0)
			close(r->efd);
		if (r->epfd >= 0)
			close(r->epfd);
		pthread_mutex_destroy(&r->lock);
		free(r->pending);
		free(r->threads);
		free(r->since);
	}
	free(g_reactors);
	g_reactors = NULL;
	g_nreactors = 0;
	g_main_core = -1;
}

void app_reactors_foreach(app_reactor_visit_fn fn, void *ctx)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		struct reactor *r = &g_reactors[i];
		struct app_reactor_info info = {.core = r->core,
						.in_interrupt = r->intr,
						.busy_tsc = __atomic_load_n(&r->busy_tsc, __ATOMIC_RELAXED),
						.idle_tsc = __atomic_load_n(&r->idle_tsc, __ATOMIC_RELAXED)};

		pthread_mutex_lock(&r->lock);
		fn(&info, r->threads, r->since, r->n_threads, ctx);
		pthread_mutex_unlock(&r->lock);
	}
}

/* Cores */

uint32_t sio_core_count(void)
{
	return (uint32_t)g_nreactors;
}

int sio_core_get_first(void)
{
	return g_nreactors > 0 ? g_reactors[0].core : -1;
}

int sio_core_get_last(void)
{
	return g_nreactors > 0 ? g_reactors[g_nreactors - 1].core : -1;
}

int sio_core_get_next(int prev)
{
	for (size_t i = 0; i < g_nreactors; i++) {
		if (g_reactors[i].core > prev)
			return g_reactors[i].core;
	}
	return -1;
}

int sio_core_get_current(void)
{
	return tls_reactor != NULL ? tls_reactor->core : -1;
}

int sio_core_get_main(void)
{
	return g_nreactors > 0 ? g_main_core : -1;
}

/* Events */

int sio_event_call(int core, sio_msg_fn fn, void *arg)
{
	struct reactor *r = reactor_of(core);

	if (r == NULL || fn == NULL || r->event_thread == NULL)
		return -EINVAL;
	return sio_thread_send_msg(r->event_thread, fn, arg);
}

struct event_ctx {
	sio_msg_fn fn;
	void *arg;
	sio_done_cb cb;
	void *cb_arg;
	struct sio_thread *origin;
};

static void event_done(void *ctx)
{
	struct event_ctx e = *(struct event_ctx *)ctx;

	free(ctx);
	e.cb(e.cb_arg, 0);
}

static void event_run(void *ctx)
{
	struct event_ctx *e = ctx;
	int rc;

	e->fn(e->arg);
	rc = sio_thread_send_msg(e->origin, event_done, e);
	if (rc != 0) {
		SIO_ERRLOG("event completion lost: thread %s: %s", sio_thread_get_name(e->origin),
			   strerror(-rc));
		free(e);
	}
}

int sio_event_call_async(int core, sio_msg_fn fn, void *arg, sio_done_cb cb, void *cb_arg)
{
	struct event_ctx *e;
	int rc;

	if (cb == NULL || fn == NULL)
		return -EINVAL;
	if (sio_thread_get_current() == NULL)
		return -EPERM;
	e = malloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	*e = (struct event_ctx){fn, arg, cb, cb_arg, sio_thread_get_current()};
	rc = sio_event_call(core, event_run, e);
	if (rc != 0)
		free(e);
	return rc;
}

int sio_event_call_future(int core, sio_msg_fn fn, void *arg, struct sio_future *f)
{
	int rc;

	if (f == NULL || fn == NULL)
		return -EINVAL;
	rc = sio_future_init(f);
	if (rc != 0)
		return rc;
	return sio_event_call_async(core, fn, arg, sio_future_cb, f);
}
