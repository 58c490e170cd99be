/* SPDX-License-Identifier: BSD-3-Clause */
/* Futures: completion (local and cross-thread), await, then, block_on. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>

#include "async/await_inline.h"


/* Longest sio_block_on() sleeps on the interrupt fd before polling again
 * anyway: bounds the damage of a missed wake-up. */
#define BLOCK_ON_MAX_WAIT_MS 100

static inline bool future_valid(const struct sio_future *f)
{
	return f != NULL && (f->state == FUTURE_PENDING || f->state == FUTURE_DONE);
}

int sio_future_init(struct sio_future *f)
{
	struct sio_thread *thr;

	if (f == NULL)
		return -EINVAL;
	thr = sio_thread_get_current();
	if (thr == NULL)
		return -EPERM;
	async_future_reset(f, thr);
	return 0;
}

int sio_future_init_await(struct sio_future *f)
{
	struct sio_task *t = tls_async_task;

	if (async_unlikely(t == NULL))
		return -EPERM;
	if (async_unlikely(f == NULL))
		return -EINVAL;
	/* A running task is on its own thread: no lookup of the current one. */
	async_future_reset(f, t->thread);
	return 0;
}

/* Every check and consumer of a completion; the common case is handled by
 * async_future_complete() (await_inline.h) before it gets here. */
int async_future_complete_slow(struct sio_future *f, int rc, void *value)
{
	struct sio_task *waiter;

	if (!future_valid(f)) {
		ASYNC_MISUSE("completing an uninitialised future %p", (void *)f);
		return -EINVAL;
	}
	if (f->owner != sio_thread_get_current()) {
		ASYNC_MISUSE("future %p completed from a thread that does not own it", (void *)f);
		return -EPERM;
	}
	if (f->state == FUTURE_DONE) {
		ASYNC_MISUSE("future %p completed twice (rc %d, then %d)", (void *)f, f->rc, rc);
		return -EALREADY;
	}
	f->rc = rc;
	f->value = value;
	f->state = FUTURE_DONE;
	waiter = f->waiter;
	if (waiter != NULL) {
		f->waiter = NULL;
		async_task_wake(waiter, TASK_WAKE_FUTURE);
	} else if (f->then_fn != NULL) {
		sio_future_then_fn fn = f->then_fn;

		f->then_fn = NULL;
		/* Last touch of @f: the callback may free its storage. */
		fn(f, f->then_arg);
	}
	return 0;
}

int sio_future_complete(struct sio_future *f, int rc, void *value)
{
	return async_future_complete(f, rc, value);
}

static void ts_complete_msg(void *ctx)
{
	struct sio_future *f = ctx;

	sio_future_complete(f, f->ts_rc, f->ts_value);
}

int sio_future_complete_threadsafe(struct sio_future *f, int rc, void *value)
{
	struct sio_thread *owner;
	int err;

	if (f == NULL)
		return -EINVAL;
	owner = f->owner;
	if (owner != NULL && owner == sio_thread_get_current())
		return sio_future_complete(f, rc, value);
	/* Claim first so two foreign completers cannot both write ts_rc. The
	 * acq_rel pairs with the owner's plain init (ordered by whatever handed
	 * @f to this thread) and the release in send_msg publishes ts_*. */
	if (__atomic_exchange_n(&f->ts_claim, 1, __ATOMIC_ACQ_REL) != 0) {
		ASYNC_MISUSE("future %p completed twice from other threads", (void *)f);
		return -EALREADY;
	}
	f->ts_rc = rc;
	f->ts_value = value;
	err = sio_thread_send_msg(owner, ts_complete_msg, f);
	if (err != 0)
		__atomic_store_n(&f->ts_claim, 0, __ATOMIC_RELEASE);
	return err;
}

void sio_future_cb(void *cb_arg, int rc)
{
	async_future_complete(cb_arg, rc, NULL);
}

bool sio_future_is_done(const struct sio_future *f)
{
	return f != NULL && f->state == FUTURE_DONE;
}

int sio_future_rc(const struct sio_future *f)
{
	if (!future_valid(f))
		return -EINVAL;
	return f->state == FUTURE_DONE ? f->rc : -EAGAIN;
}

void *sio_future_value(const struct sio_future *f)
{
	return sio_future_is_done(f) ? f->value : NULL;
}

int async_future_add_waiter(struct sio_future *f, struct sio_task *t)
{
	if (!future_valid(f)) {
		ASYNC_MISUSE("awaiting an uninitialised future %p", (void *)f);
		return -EINVAL;
	}
	if (f->owner != t->thread) {
		ASYNC_MISUSE("awaiting future %p owned by another thread", (void *)f);
		return -EPERM;
	}
	if ((f->waiter != NULL && f->waiter != t) || f->then_fn != NULL) {
		ASYNC_MISUSE("future %p already has a waiter", (void *)f);
		return -EBUSY;
	}
	return 0;
}

void async_future_del_waiter(struct sio_future *f, struct sio_task *t)
{
	if (f->waiter == t)
		f->waiter = NULL;
}

int sio_await(struct sio_future *f)
{
	struct sio_task *t = tls_async_task;
	int rc;

	if (async_likely(t != NULL && f != NULL && f->owner == t->thread)) {
		/* Fast path: no switch for a future that is already done. */
		if (f->state == FUTURE_DONE)
			return f->rc;
		/* Common path: pending, nobody waiting. */
		if (async_likely(f->state == FUTURE_PENDING && f->waiter == NULL &&
				 f->then_fn == NULL))
			return async_future_wait(f, t);
	}
	if (t == NULL) {
		ASYNC_MISUSE("sio_await() outside a task");
		return -EPERM;
	}
	/* Everything else is misuse: let the checker say which. */
	rc = async_future_add_waiter(f, t);
	if (rc != 0)
		return rc;
	return async_future_wait(f, t);
}

static void then_msg(void *ctx)
{
	struct sio_future *f = ctx;
	sio_future_then_fn fn = f->then_fn;

	f->then_fn = NULL;
	fn(f, f->then_arg);
}

int sio_future_then(struct sio_future *f, sio_future_then_fn fn, void *arg)
{
	int rc;

	if (!future_valid(f) || fn == NULL)
		return -EINVAL;
	if (f->owner != sio_thread_get_current()) {
		ASYNC_MISUSE("sio_future_then() on future %p from a thread that does not own it",
			     (void *)f);
		return -EPERM;
	}
	if (f->waiter != NULL || f->then_fn != NULL) {
		ASYNC_MISUSE("future %p already has a waiter", (void *)f);
		return -EBUSY;
	}
	f->then_fn = fn;
	f->then_arg = arg;
	if (f->state == FUTURE_DONE) {
		/* Never call back from inside this call: the caller may hold locks
		 * or be half-way through setting up. */
		rc = sio_thread_send_msg(f->owner, then_msg, f);
		if (rc != 0) {
			f->then_fn = NULL;
			return rc;
		}
	}
	return 0;
}

/* Nothing to do right now: sleep on the thread's interrupt fd until it has
 * work or its next timed poller is due. */
static void block_on_idle(struct sio_thread *thr)
{
	uint64_t us = sio_thread_next_timeout_us(thr);
	struct pollfd pfd;
	int fd, ms;

	if (us == 0)
		return;
	fd = sio_thread_get_interrupt_fd(thr);
	if (fd < 0) {
		sched_yield();
		return;
	}
	ms = us >= (uint64_t)BLOCK_ON_MAX_WAIT_MS * 1000 ? BLOCK_ON_MAX_WAIT_MS
							 : (int)((us + 999) / 1000);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	poll(&pfd, 1, ms);
}

int sio_block_on(struct sio_future *f)
{
	struct sio_thread *thr = sio_thread_get_current();

	if (sio_in_task()) {
		ASYNC_MISUSE("sio_block_on() inside a task: use sio_await()");
		return -EPERM;
	}
	if (thr == NULL) {
		ASYNC_MISUSE("sio_block_on() with no sio_thread attached");
		return -EPERM;
	}
	if (!future_valid(f))
		return -EINVAL;
	if (f->owner != thr) {
		ASYNC_MISUSE("sio_block_on() on future %p owned by another thread", (void *)f);
		return -EPERM;
	}
	while (f->state != FUTURE_DONE) {
		if (sio_thread_poll(thr, 0) == 0 && f->state != FUTURE_DONE)
			block_on_idle(thr);
	}
	return f->rc;
}
