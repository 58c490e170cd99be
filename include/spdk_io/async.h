/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file async.h
 * The async layer: tasks (stackful coroutines on a sio_thread), one-shot
 * futures, and the ways to wait on them: sio_await() inside a task,
 * sio_future_then() from callback code, sio_block_on() from a plain OS thread.
 *
 * The callback/await pattern every layer follows: an operation's callback
 * form takes `(..., sio_done_cb cb, void *cb_arg)` as its last two parameters
 * and returns 0 (started; @cb will run exactly once) or a negative errno (not
 * started; @cb will not run). Its awaitable form is the same call wrapped in
 * SIO_AWAIT_CALL(), which passes a stack future as the callback argument:
 *
 *     int sio_bdev_read_await(...) { return SIO_AWAIT_CALL(sio_bdev_read, desc, ch, buf, off, len); }
 *
 * so there is one implementation and no allocation per awaited operation.
 */
#ifndef SPDK_IO_ASYNC_H
#define SPDK_IO_ASYNC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sio_task;
struct sio_future;

/** The completion callback of every callback-form operation in spdk-io. */
typedef void (*sio_done_cb)(void *cb_arg, int rc);

/** Callback of sio_future_then(). */
typedef void (*sio_future_then_fn)(struct sio_future *f, void *arg);

/**
 * A one-shot result: an int (0 or negative errno by convention) plus an
 * optional value pointer.
 *
 * Where futures live: in caller storage, never allocated by the library.
 * Usually a local on the awaiting task's stack (SIO_AWAIT_CALL() does exactly
 * that) or a field of the object the operation works on. The storage must
 * stay valid until the future has completed AND its consumer (waiter, then
 * callback) has run; a future abandoned by sio_await_timeout() or
 * sio_await_first() must still be kept alive until its producer completes it.
 *
 * Owned by the thread that initialised it: it is completed, awaited and
 * queried there; other OS threads use sio_future_complete_threadsafe().
 * One consumer per future: one task in sio_await() (or a combinator), or one
 * sio_future_then() callback. All fields are private.
 */
struct sio_future {
	int rc;                    /* private: result, valid once done */
	uint32_t state;            /* private: magic of the state, see future.c */
	void *value;               /* private */
	struct sio_thread *owner;  /* private */
	struct sio_task *waiter;   /* private: the task parked on it */
	sio_future_then_fn then_fn;/* private */
	void *then_arg;            /* private */
	uint32_t ts_claim;         /* private: a threadsafe completion is in flight (atomic) */
	int ts_rc;                 /* private: its result, carried to the owner */
	void *ts_value;            /* private */
};

/**
 * sio_future_init() - Make @f pending, owned by the current thread.
 * Context: a sio_thread. Return: 0; -EPERM with no current thread; -EINVAL.
 */
int sio_future_init(struct sio_future *f);

/**
 * sio_future_complete() - Complete @f with @rc and @value, waking its waiter.
 * Context: the owner thread. A second completion is an error: logged, ignored,
 * and -EALREADY returned (abort in debug builds).
 * Return: 0; -EALREADY; -EPERM from a foreign thread (use the threadsafe form).
 */
int sio_future_complete(struct sio_future *f, int rc, void *value);

/**
 * sio_future_complete_threadsafe() - As sio_future_complete() from any OS
 * thread: hops to the owner by message. Return: 0 or sio_thread_send_msg()'s error.
 */
int sio_future_complete_threadsafe(struct sio_future *f, int rc, void *value);

/** sio_future_cb() - A sio_done_cb that completes the future passed as @cb_arg with @rc. */
void sio_future_cb(void *cb_arg, int rc);

/** sio_future_is_done() - Whether @f has completed. */
bool sio_future_is_done(const struct sio_future *f);
/** sio_future_rc() - The result of a completed future. */
int sio_future_rc(const struct sio_future *f);
/** sio_future_value() - The value pointer of a completed future. */
void *sio_future_value(const struct sio_future *f);

/**
 * sio_await() - Park the current task until @f completes; return its rc.
 * An already-completed future returns at once without switching.
 * Context: inside a task, on @f's owner thread. Cancellation point: none
 * (a parked task always resumes when @f completes).
 * Return: @f's rc; -EPERM outside a task or on a foreign thread; -EBUSY if
 * @f already has a waiter (abort in debug builds).
 */
int sio_await(struct sio_future *f);

/**
 * sio_future_then() - Run @fn(@f, @arg) on the owner thread when @f completes
 * (by message at once if already done). Only one waiter per future.
 * Return: 0; -EBUSY if it already has a waiter; -EINVAL.
 */
int sio_future_then(struct sio_future *f, sio_future_then_fn fn, void *arg);

/**
 * sio_block_on() - Poll the current sio_thread until @f completes; return its rc.
 * Context: a plain OS thread with a sio_thread attached (sio_thread_attach()),
 * not inside a task and not inside a poll. Return: @f's rc, or -EPERM.
 */
int sio_block_on(struct sio_future *f);

/**
 * SIO_AWAIT_CALL() - Call @fn(args..., sio_future_cb, &future) and await it:
 * the awaitable form of any callback-form operation (see the file comment).
 * The future lives on the calling task's stack, so nothing is allocated.
 * Outside a task it returns -EPERM without starting the operation (the stack
 * future would not outlive the call). Otherwise it evaluates to @fn's error
 * if the operation did not start, else to the rc the operation completed with.
 */
#define SIO_AWAIT_CALL(fn, ...)                                                     \
	({                                                                          \
		struct sio_future _sio_f;                                           \
		int _sio_rc = sio_in_task() ? sio_future_init(&_sio_f) : -EPERM;    \
		if (_sio_rc == 0) {                                                 \
			_sio_rc = fn(__VA_ARGS__, sio_future_cb, &_sio_f);          \
			if (_sio_rc == 0)                                           \
				_sio_rc = sio_await(&_sio_f);                       \
		}                                                                   \
		_sio_rc;                                                            \
	})

/* ------------------------------------------------------------------------ */
/* Tasks                                                                    */
/* ------------------------------------------------------------------------ */

/** A task body; its return value completes the task's result future. */
typedef int (*sio_task_fn)(void *arg);

/** Options for sio_task_spawn(); NULL means defaults. */
struct sio_task_opts {
	size_t opts_size;   /**< sizeof as the caller knows it; set by _init() */
	size_t stack_size;  /**< bytes, rounded up to pages; default 64 KiB */
	const char *name;   /**< for logs and debugging; not copied, must outlive the task */
};
/** sio_task_opts_init() - Fill @opts with defaults. */
void sio_task_opts_init(struct sio_task_opts *opts, size_t opts_size);

/**
 * sio_task_spawn() - Create a task on the current thread running @fn(@arg).
 * It starts at the thread's next poll (not inside this call) and never migrates.
 * @result: if not NULL, initialised here and completed with @fn's return value.
 * Context: a sio_thread. Return: 0; -EPERM with no current thread; -ENOMEM.
 */
int sio_task_spawn(const struct sio_task_opts *opts, sio_task_fn fn, void *arg,
		   struct sio_future *result);

/**
 * sio_task_spawn_on() - Spawn on @thread, from any OS thread, by message.
 * @result: if not NULL, initialised on the caller's thread (which must be a
 * sio_thread) and completed there with @fn's return value.
 * Return: 0 or a negative errno (nothing spawned).
 */
int sio_task_spawn_on(struct sio_thread *thread, const struct sio_task_opts *opts,
		      sio_task_fn fn, void *arg, struct sio_future *result);

/** sio_task_current() - The running task, or NULL outside tasks. */
struct sio_task *sio_task_current(void);
/** sio_in_task() - Whether the caller runs inside a task. */
bool sio_in_task(void);

/** sio_yield() - Let the thread run other work; resume at its next poll. Return 0 or -EPERM outside a task. */
int sio_yield(void);

/** sio_sleep() - Park the current task for at least @us microseconds. Return 0 or -EPERM. */
int sio_sleep(uint64_t us);

/**
 * sio_await_timeout() - As sio_await(), but give up after @us microseconds.
 * On timeout @f stays pending (its producer still owns it and must be allowed
 * to complete it: keep @f alive until then).
 * Return: @f's rc, -ETIMEDOUT, or -EPERM.
 */
int sio_await_timeout(struct sio_future *f, uint64_t us);

/**
 * sio_await_all() - Wait until every one of @n futures completes.
 * Return: 0 if all succeeded, else the first non-zero rc in array order; -EPERM.
 */
int sio_await_all(struct sio_future *const *fs, size_t n);

/**
 * sio_await_first() - Wait until one of @n futures completes; *@index = which.
 * The others stay pending and owned by their producers.
 * Return: that future's rc; -EINVAL for n == 0; -EPERM.
 */
int sio_await_first(struct sio_future *const *fs, size_t n, size_t *index);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_ASYNC_H */
