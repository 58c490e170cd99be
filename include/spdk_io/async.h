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
 *
 * Scheduling rules (details in docs/async.md):
 * - A task runs on the sio_thread that spawned it, never elsewhere; it starts
 *   at that thread's next poll and runs until it awaits, yields or returns.
 * - A future completed outside any task (a poller, a message, a completion
 *   callback) resumes its waiting task at once, inside the completing call,
 *   exactly where the callback form would have run its callback. Completed
 *   from inside a task, it queues the waiter for the thread's next poll.
 *   Yielded and new tasks also wait for the next poll. One exception: a bdev
 *   I/O awaited by a task (the bdev _await forms, SIO_AWAIT_CALL() on a bdev
 *   operation) queues the task too, so the tasks a batch of I/O completions
 *   readied run back to back, one stack switch each (docs/async.md).
 * - Cancellation: there is none; a parked task resumes only when what it
 *   waits on happens. Bound waits with sio_await_timeout(); ask tasks to stop
 *   through your own flag or future (sio_thread_is_running() is false once
 *   the thread was asked to exit).
 * - Thread exit waits for tasks: while a thread has live tasks the async layer
 *   keeps a poller registered on it, so sio_thread_exit() completes only after
 *   the last task returned. A task parked forever keeps its thread exiting
 *   forever (sio_thread_destroy() then refuses and logs the poller).
 * - A producer that goes away without completing its future leaves it pending
 *   for ever: a task awaiting it stays parked (see the previous rule). Every
 *   spdk-io operation completes its callback exactly once, on teardown with
 *   an error such as -ECANCELED or -ENODEV, so this only happens with code
 *   that breaks that contract.
 * - Misuse (await outside a task, a second waiter, a double completion, a
 *   foreign thread) is logged and returns an error; built with
 *   -DSIO_DEBUG_MISUSE the library aborts with the message instead.
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
 * @f: caller storage; any previous content is overwritten.
 * Context: a sio_thread (the future's owner from now on). Does not park.
 * Return: 0; -EINVAL for NULL; -EPERM with no current thread.
 */
int sio_future_init(struct sio_future *f);

/**
 * sio_future_init_await() - As sio_future_init(), for a future the running
 * task is about to await: the same pending future, set up without looking
 * up the current thread (a task's thread is known). SIO_AWAIT_CALL() uses it;
 * its refusal outside a task is what keeps a stack future from outliving the
 * operation it was handed to.
 * @f: caller storage; any previous content is overwritten.
 * Context: inside a task (the future's owner is the task's thread). Does not park.
 * Return: 0; -EPERM outside a task; -EINVAL for NULL.
 */
int sio_future_init_await(struct sio_future *f);

/**
 * sio_future_complete() - Complete @f with @rc and @value, waking its consumer.
 * A waiting task resumes before this returns when called outside a task
 * (queued for the next poll when called from a task); a then-callback runs
 * before this returns. Either may free @f's storage: do not touch @f after.
 * Context: the owner thread. Does not park.
 * Return: 0; -EINVAL for NULL or an uninitialised future; -EPERM from a
 * thread that does not own @f (use the threadsafe form); -EALREADY if already
 * complete (logged and ignored; abort with SIO_DEBUG_MISUSE).
 */
int sio_future_complete(struct sio_future *f, int rc, void *value);

/**
 * sio_future_complete_threadsafe() - As sio_future_complete() from any OS
 * thread, including ones without a sio_thread: the result hops to the owner
 * by message and completes there (directly when called on the owner).
 * Context: any OS thread. Lock-free. Does not park. Once this returns 0 the
 * owner may complete @f, and its consumer end @f's life, at any moment: the
 * caller must not touch @f again (a later call on it, even one expected to
 * return -EALREADY, is a use after free unless the consumer is known to keep
 * @f alive until then).
 * Return: 0; -EINVAL for NULL; -EALREADY if a threadsafe completion is already
 * in flight or done; sio_thread_send_msg()'s error (-ENOMEM, -ESHUTDOWN),
 * in which case nothing was completed and the call may be retried.
 */
int sio_future_complete_threadsafe(struct sio_future *f, int rc, void *value);

/**
 * sio_future_cb() - A sio_done_cb that completes the future passed as @cb_arg
 * with @rc (and a NULL value): pass (sio_future_cb, &future) to any callback-form call.
 * Context: the future's owner thread.
 */
void sio_future_cb(void *cb_arg, int rc);

/** sio_future_is_done() - Whether @f has completed (false for NULL). Context: owner thread. */
bool sio_future_is_done(const struct sio_future *f);
/**
 * sio_future_rc() - The result of @f. Context: owner thread.
 * Return: the rc it completed with; -EAGAIN while pending; -EINVAL for NULL
 * or an uninitialised future.
 */
int sio_future_rc(const struct sio_future *f);
/** sio_future_value() - The value pointer of a completed future; NULL while pending. */
void *sio_future_value(const struct sio_future *f);

/**
 * sio_await() - Park the current task until @f completes; return its rc.
 * An already-completed future returns at once without switching (a few ns),
 * and may be awaited again.
 * Context: inside a task, on @f's owner thread. Parks. Cancellation point:
 * none (a parked task always resumes when @f completes, never before).
 * Return: @f's rc; -EPERM outside a task or on a foreign thread; -EINVAL for
 * NULL or an uninitialised future; -EBUSY if @f already has a waiter or a
 * then-callback. Misuse aborts with SIO_DEBUG_MISUSE.
 */
int sio_await(struct sio_future *f);

/**
 * sio_future_then() - Run @fn(@f, @arg) on the owner thread when @f completes:
 * inside sio_future_complete(), or, if @f is already done, by a message to
 * the owner (never from inside this call). One consumer per future.
 * Context: the owner thread; callback code (no task needed). Does not park.
 * Return: 0; -EINVAL for NULL or an uninitialised future; -EPERM from a
 * foreign thread; -EBUSY if it already has a waiter; sio_thread_send_msg()'s
 * error when already done and the message cannot be sent.
 */
int sio_future_then(struct sio_future *f, sio_future_then_fn fn, void *arg);

/**
 * sio_block_on() - Poll the current sio_thread until @f completes; return its rc.
 * Between polls that find nothing to do it sleeps on the thread's interrupt fd
 * (so it switches the thread to interrupt mode), waking for messages and timers.
 * Context: a plain OS thread with a sio_thread attached (sio_thread_attach()),
 * not inside a task and not from a callback of that thread's poll.
 * Return: @f's rc; -EPERM inside a task, with no current thread, or when @f
 * belongs to another thread; -EINVAL for NULL or an uninitialised future.
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
		int _sio_rc = sio_future_init_await(&_sio_f);                       \
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

/**
 * SIO_TASK_OWN_FP_CONTROL - sio_task_opts.flags: the task keeps its own FP
 * control state (x86-64: the MXCSR and the x87 control word, i.e. rounding
 * mode, exception masks, flush-to-zero, x87 precision; aarch64: FPCR). It
 * starts with the spawner's state at the spawn call, every change it makes
 * stays its own across parks, and the thread gets its own state back
 * whenever the task parks or ends. Without the flag a task runs with the
 * thread's FP control state like any code the thread runs: it sees what
 * the thread has when it resumes, and what it changes and leaves changed
 * when it parks is what the thread and the next task run with. It costs
 * such a task about 5 ns per switch on x86-64 (docs/async.md, "FP control
 * state"); aarch64 and the portable ucontext switch keep every context's
 * state whether or not it is set.
 */
#define SIO_TASK_OWN_FP_CONTROL (1u << 0)

/** Options for sio_task_spawn(); NULL means defaults. */
struct sio_task_opts {
	size_t opts_size;   /**< sizeof as the caller knows it; set by _init() */
	size_t stack_size;  /**< bytes, rounded up to pages; default 64 KiB */
	const char *name;   /**< for logs and debugging; not copied, must outlive the task */
	uint64_t flags;     /**< SIO_TASK_OWN_FP_CONTROL or 0 (the default) */
};
/**
 * sio_task_opts_init() - Fill @opts with defaults (64 KiB stack, no name, no flags).
 * @opts_size: sizeof(*opts) as the caller was compiled with.
 * Context: any.
 */
void sio_task_opts_init(struct sio_task_opts *opts, size_t opts_size);

/**
 * sio_task_spawn() - Create a task on the current thread running @fn(@arg).
 * It starts at the thread's next poll (not inside this call) and never migrates.
 * Its stack and control block come from the thread's pool: no malloc when a
 * stack of that size was used before on this thread.
 * @opts: NULL for defaults. Stacks are mmap'd with a guard page below them:
 * overflowing one kills the process with SIGSEGV instead of corrupting memory.
 * @result: if not NULL, initialised here and completed with @fn's return value.
 * Context: a sio_thread (inside or outside a task). Does not park.
 * Return: 0; -EINVAL for NULL @fn, a stack over 64 MiB or an unknown flag; -EPERM with no
 * current thread; -ESHUTDOWN if the thread is exiting and has no task left;
 * -ENOMEM when no stack can be mapped. On error nothing was spawned.
 */
int sio_task_spawn(const struct sio_task_opts *opts, sio_task_fn fn, void *arg,
		   struct sio_future *result);

/**
 * sio_task_spawn_on() - Spawn on @thread, from any OS thread, by message
 * (directly when @thread is the current thread).
 * @result: if not NULL, initialised on the caller's thread (which must then
 * be a sio_thread) and completed there with @fn's return value, or with the
 * spawn's error if @thread could not create the task.
 * Context: any OS thread. Does not park.
 * Return: 0; -EINVAL for NULL @thread/@fn or bad @opts; -EPERM when @result is
 * given without a current thread; -ENOMEM; sio_thread_send_msg()'s error
 * (-ESHUTDOWN once @thread has exited). On error nothing was spawned.
 */
int sio_task_spawn_on(struct sio_thread *thread, const struct sio_task_opts *opts,
		      sio_task_fn fn, void *arg, struct sio_future *result);

/** sio_task_current() - The running task, or NULL outside tasks. Context: any. */
struct sio_task *sio_task_current(void);
/** sio_in_task() - Whether the caller runs inside a task. Context: any. */
bool sio_in_task(void);

/**
 * sio_yield() - Let the thread run its other work; resume at its next poll.
 * Context: inside a task. Parks until the next poll.
 * Return: 0; -EPERM outside a task.
 */
int sio_yield(void);

/**
 * sio_sleep() - Park the current task for at least @us microseconds
 * (0 is sio_yield()). Timers are a per-thread list driven by one timed
 * poller; the thread's interrupt fd fires when the first one is due.
 * Context: inside a task. Parks. Return: 0; -EPERM outside a task.
 */
int sio_sleep(uint64_t us);

/**
 * sio_await_timeout() - As sio_await(), but give up after @us microseconds.
 * On timeout @f stays pending and loses its waiter: its producer still owns
 * it and must be allowed to complete it, so keep @f alive until then; it may
 * be awaited again. A completion and an expiry in the same poll: the
 * completion wins.
 * Context: inside a task, on @f's owner thread. Parks.
 * Return: @f's rc; -ETIMEDOUT; the errors of sio_await().
 */
int sio_await_timeout(struct sio_future *f, uint64_t us);

/**
 * sio_await_all() - Wait until every one of @n futures completes (n == 0: at once).
 * All are checked before waiting on any, so a bad one fails the call early.
 * Context: inside a task, owner of every future. Parks (once per pending future).
 * Return: 0 if all succeeded, else the first non-zero rc in array order;
 * -EINVAL for NULL @fs with n > 0 or a bad future; -EPERM; -EBUSY.
 */
int sio_await_all(struct sio_future *const *fs, size_t n);

/**
 * sio_await_first() - Wait until one of @n futures completes; *@index = which
 * (the lowest index among those done). The others stay pending, lose their
 * waiter and remain owned by their producers (keep them alive until they
 * complete; they may be awaited again).
 * Context: inside a task, owner of every future. Parks.
 * Return: that future's rc; -EINVAL for n == 0, NULL @fs or a bad future;
 * -EPERM; -EBUSY.
 */
int sio_await_first(struct sio_future *const *fs, size_t n, size_t *index);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_ASYNC_H */
