/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's own awaitable forms (sio_bdev_read_blocks_await() and its
 * kin), with the await inlined into them. Not installed.
 *
 * Why: every frame between a parked task's loop and the stack switch costs a
 * mispredicted return when the task resumes (the return-stack predictor
 * holds the resumer's returns, not the task's), and so does every frame
 * between the completing poller and the switch when the task parks again.
 * SIO_AWAIT_CALL() in a library function puts sio_await() between the two;
 * this puts the park straight into the _await function. Measured with
 * sio_bdevperf --api task (null bdev, 4 KiB QD128): see docs/async.md.
 *
 * The future is the macro's own stack variable, so nobody else can be waiting
 * on it or have a then-callback on it: the checks sio_await() makes for
 * futures it did not create are not needed here.
 */
#ifndef SIO_ASYNC_AWAIT_INLINE_H
#define SIO_ASYNC_AWAIT_INLINE_H

#include "async/async_internal.h"
#include "thread/thread_current.h"

/* Magic state values: a zeroed or garbage struct is recognised as
 * uninitialised instead of being taken for a pending future. */
#define FUTURE_PENDING 0x50454e44u /* "PEND" */
#define FUTURE_DONE 0x444f4e45u    /* "DONE" */

/* A pending future owned by @owner. rc, value and the ts_* results are
 * written before anything reads them, but zeroed anyway: adjacent constant
 * stores merge, so it costs next to nothing and a debugger shows no garbage. */
static inline void async_future_reset(struct sio_future *f, struct sio_thread *owner)
{
	f->rc = 0;
	f->state = FUTURE_PENDING;
	f->value = NULL;
	f->owner = owner;
	f->waiter = NULL;
	f->then_fn = NULL;
	f->then_arg = NULL;
	f->ts_claim = 0;
	f->ts_rc = 0;
	f->ts_value = NULL;
}

/* Park the running task @t until @f (its waiter from now on) is done; @f's rc. */
static inline int async_future_wait(struct sio_future *f, struct sio_task *t)
{
	while (f->state != FUTURE_DONE) {
		f->waiter = t;
		async_task_park(t);
	}
	return f->rc;
}

/*
 * ASYNC_AWAIT_CALL(fn, args...) - SIO_AWAIT_CALL() for functions of the
 * library: start fn(args..., sio_future_cb, &future) and park the running
 * task here until it completes. -EPERM outside a task, before starting
 * anything; fn's error if it did not start.
 */
#define ASYNC_AWAIT_CALL(fn, ...)                                                  \
	({                                                                         \
		struct sio_task *_at = tls_async_task;                             \
		struct sio_future _af;                                             \
		int _arc;                                                          \
		if (async_unlikely(_at == NULL)) {                                 \
			_arc = sio_future_init_await(&_af);                        \
		} else {                                                           \
			async_future_reset(&_af, _at->thread);                     \
			_arc = fn(__VA_ARGS__, sio_future_cb, &_af);               \
			if (_arc == 0)                                             \
				_arc = async_future_wait(&_af, _at);               \
		}                                                                  \
		_arc;                                                              \
	})

/* Every check and consumer of a completion, for what the inline case below
 * does not handle. */
int async_future_complete_slow(struct sio_future *f, int rc, void *value)
	__attribute__((noinline));

/*
 * The awaited-I/O case in one go: a pending future whose task is parked on
 * it, completed from callback code (no task running) on the owner thread.
 * The task resumes right here, as the callback form would run its callback.
 * Anything else, misuse included, takes the slow path with all its checks;
 * the owner check stays on the fast path too, since resuming a task on a
 * foreign OS thread would corrupt it.
 */
static inline int async_future_complete(struct sio_future *f, int rc, void *value)
{
	struct sio_task *w;

	if (async_likely(f != NULL && f->state == FUTURE_PENDING && f->waiter != NULL &&
			 tls_async_task == NULL)) {
		/* Looked up before loading the rest: less to keep across the call. */
		struct sio_thread *cur = thread_current();

		w = f->waiter;
		if (async_likely(w->state == TASK_PARKED && f->owner == cur)) {
			f->rc = rc;
			f->value = value;
			f->state = FUTURE_DONE;
			f->waiter = NULL;
			w->wake = TASK_WAKE_FUTURE;
			async_task_resume_from_cb(w);
			return 0;
		}
	}
	return async_future_complete_slow(f, rc, value);
}

/*
 * async_task_ready() - Make @t, parked on a completion, ready: it runs at
 * its thread's next run-queue poll (the queued rule of I/O completions, see
 * below). Only on @t's own thread.
 */
static inline void async_task_ready(struct sio_task *t)
{
	t->wake = TASK_WAKE_FUTURE;
	t->state = TASK_READY;
	async_task_enqueue(t);
}

/*
 * async_future_complete_queued() - For I/O completions: complete @f, whose
 * task is parked on it in ASYNC_AWAIT_CALL (a future on that task's own
 * stack), and queue the task instead of resuming it here. It runs at the
 * thread's next run-queue poll, with the other tasks the same batch of
 * completions readied, each parking straight into the next (one stack switch
 * per I/O instead of two: see rq_poll()). The owner check stays: queueing a
 * task on another thread's run queue would corrupt it. Anything else takes
 * async_future_complete_slow(), as async_future_complete() does. Only for
 * futures nobody but their waiting task can see: the completer returns before
 * the waiter runs.
 */
static inline int async_future_complete_queued(struct sio_future *f, int rc, void *value)
{
	struct sio_task *w;

	if (async_likely(f != NULL && f->state == FUTURE_PENDING && f->waiter != NULL)) {
		w = f->waiter;
		if (async_likely(w->state == TASK_PARKED && f->owner == thread_current())) {
			f->rc = rc;
			f->value = value;
			f->state = FUTURE_DONE;
			f->waiter = NULL;
			async_task_ready(w);
			return 0;
		}
	}
	return async_future_complete_slow(f, rc, value);
}

/*
 * The queued-completion record of a task (struct sio_task, line 1), for the
 * library's own awaited operations whose completion callback is theirs (the
 * bdev _await forms): arm it, start the operation with the task as the
 * callback argument, and wait; the completion stores what it has for the
 * task in the task control block and queues the task (the queued rule, as
 * async_future_complete_queued()), touching no line of the task's stack.
 * One record per task: a task waits for one completion at a time. Only on
 * the task's own thread.
 */
static inline void async_task_wait_arm(struct sio_task *t)
{
	t->wait_done = 0;
}

/* The completion: hand @obj and @rc to @t, and queue @t if it is parked on
 * it (not if it is running: a completion inside its own start call, which
 * it sees before parking). */
static inline void async_task_wait_complete(struct sio_task *t, void *obj, int rc)
{
	t->wait_obj = obj;
	t->wait_rc = rc;
	t->wait_done = 1;
	if (async_likely(t->state == TASK_PARKED))
		async_task_ready(t);
}

/* Park the running task @t until its record is completed. */
static inline void async_task_wait(struct sio_task *t)
{
	while (!t->wait_done)
		async_task_park(t);
}

#endif /* SIO_ASYNC_AWAIT_INLINE_H */
