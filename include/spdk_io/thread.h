/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file thread.h
 * The thread layer: sio_threads (lightweight scheduling contexts), messages,
 * pollers, io_devices and per-thread io_channels.
 *
 * A sio_thread is not an OS thread. Whoever calls sio_thread_poll() runs it:
 * a reactor of the app layer, a plain loop, or another event loop woken by the
 * thread's interrupt fd. While a thread is being polled it is the "current"
 * thread of that OS thread. Everything a sio_thread owns (pollers, channels,
 * tasks) is touched only from that thread; other threads talk to it by message.
 */
#ifndef SPDK_IO_THREAD_H
#define SPDK_IO_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/env.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sio_thread;
struct sio_poller;
struct sio_io_channel;
struct sio_io_channel_iter;

/** A function run on a thread by message. */
typedef void (*sio_msg_fn)(void *ctx);

/** What a poller reports: whether it found work. Feeds busy/idle accounting. */
enum sio_poller_status {
	SIO_POLLER_IDLE = 0, /**< nothing to do this time */
	SIO_POLLER_BUSY = 1, /**< did work */
};

/** A poller callback; returns enum sio_poller_status (or a negative errno, counted as idle). */
typedef int (*sio_poller_fn)(void *ctx);

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * Called whenever a thread is created, so a scheduler (the app layer's
 * reactors) can take it. Return 0 if taken; a negative errno fails the create.
 */
typedef int (*sio_thread_schedule_fn)(struct sio_thread *thread, void *ctx);

/**
 * sio_thread_set_schedule_fn() - Install (or, with NULL, remove) the scheduler hook.
 * @fn: called by sio_thread_create() (not by sio_thread_attach() nor
 *      sio_os_thread_spawn(), whose OS thread polls the thread itself).
 * @ctx: passed to @fn.
 * Context: any OS thread, while no thread is being created.
 */
void sio_thread_set_schedule_fn(sio_thread_schedule_fn fn, void *ctx);

/**
 * sio_thread_create() - Create a thread.
 * @name: copied; NULL gives "thread<id>".
 * @cpumask: cores it may run on (a hint for schedulers); NULL means any.
 *
 * The first thread created in the process is the app thread (and, once the
 * app thread is destroyed, the next one created). Without a scheduler hook,
 * the creator polls the thread itself. Each thread owns a message ring of
 * 64 Ki entries (512 KiB).
 * Context: any OS thread.
 * Return: the thread, or NULL with errno set (ENOMEM, or the scheduler's error).
 */
struct sio_thread *sio_thread_create(const char *name, const struct sio_cpuset *cpumask);

/**
 * sio_thread_attach() - Create a thread and make it current on the calling OS thread,
 * for plain OS threads that want to use the library (for example sio_block_on()).
 * @name: as for sio_thread_create().
 * The scheduler hook is not called: the calling OS thread polls it.
 * Context: an OS thread with no current sio_thread.
 * Return: as sio_thread_create(); NULL with errno EBUSY if the OS thread already has one.
 */
struct sio_thread *sio_thread_attach(const char *name);

/**
 * sio_thread_set_current() - Make @thread (or none, with NULL) current on this OS thread.
 * @thread: the thread, or NULL.
 * Calls that act on "the current thread" (pollers, channels) then act on it.
 * Context: the OS thread that polls @thread (no other may poll it meanwhile).
 */
void sio_thread_set_current(struct sio_thread *thread);

/** sio_thread_get_current() - The thread current on this OS thread, or NULL. Context: any. */
struct sio_thread *sio_thread_get_current(void);

/**
 * sio_thread_get_app_thread() - The app thread: the first thread created (NULL
 * before that and after it is destroyed). Context: any.
 */
struct sio_thread *sio_thread_get_app_thread(void);

/**
 * sio_thread_poll() - Run @thread once: up to @max_msgs messages (0 = a whole
 * batch), then every due poller.
 * Context: one OS thread at a time per sio_thread. Sets @thread current for the
 * duration and restores the previous current thread after. Messages and
 * pollers run from inside this call; they may poll *other* threads.
 * Return: the amount of work done (messages + busy pollers); 0 when idle;
 * -EINVAL for NULL; -EBUSY (logged) if @thread is already being polled
 * (re-entry from its own callbacks, or a second OS thread).
 */
int sio_thread_poll(struct sio_thread *thread, uint32_t max_msgs);

/**
 * sio_thread_poll_at() - sio_thread_poll() for a loop that polls several
 * threads back to back: the clock is read once per poll instead of twice.
 * @thread: the thread to run.
 * @max_msgs: as for sio_thread_poll().
 * @now: in: the current tick (sio_get_ticks()), e.g. the value the previous
 * poll of the loop left here; 0 reads the clock. Out: the tick at which this
 * poll ended. Timed pollers are due against the tick passed in, and the
 * thread's busy/idle time counts from it.
 * Context: as sio_thread_poll().
 * Return: as sio_thread_poll(); also -EINVAL for a NULL @now (left unchanged
 * on any error).
 */
int sio_thread_poll_at(struct sio_thread *thread, uint32_t max_msgs, uint64_t *now);

/*
 * Queries. Context: any OS thread, for a thread that is not destroyed
 * meanwhile. Name, id, cpumask, running and exited are exact from anywhere;
 * the poller and idle queries read state owned by the polling OS thread, so
 * from elsewhere they are a snapshot. NULL @thread gives NULL / 0 / false.
 */

/** sio_thread_get_name() - The thread's name (valid while it lives). */
const char *sio_thread_get_name(const struct sio_thread *thread);
/** sio_thread_get_id() - A unique id > 0, never reused in a process. */
uint64_t sio_thread_get_id(const struct sio_thread *thread);
/** sio_thread_get_by_id() - Look up a live thread by id; NULL if none. */
struct sio_thread *sio_thread_get_by_id(uint64_t id);
/** sio_thread_get_cpumask() - The cpumask given at creation (NULL at creation: every online core). */
const struct sio_cpuset *sio_thread_get_cpumask(const struct sio_thread *thread);
/** sio_thread_count() - Live (not yet destroyed) threads. */
uint32_t sio_thread_count(void);

/** sio_thread_is_idle() - No messages queued and no active poller ran busy last poll. */
bool sio_thread_is_idle(struct sio_thread *thread);
/** sio_thread_is_running() - Not yet asked to exit. */
bool sio_thread_is_running(struct sio_thread *thread);
/** sio_thread_has_pollers() - Any poller registered (active, timed or paused). */
bool sio_thread_has_pollers(struct sio_thread *thread);
/** sio_thread_has_active_pollers() - Any untimed, unpaused poller registered. */
bool sio_thread_has_active_pollers(struct sio_thread *thread);

/**
 * sio_thread_exit() - Ask @thread to exit. It keeps polling messages; it is
 * exited once it has no pollers and no io_channels left (its owner unregisters
 * and puts them, usually in response to this) and every
 * sio_io_device_unregister() started on it has run its done callback there
 * (which waits for the device's channels on other threads). Messages queued before it
 * becomes exited still run; afterwards sends fail with -ESHUTDOWN.
 * Context: the thread itself (or an OS thread that polls it, between polls).
 * Return: 0; -EINVAL for NULL; -EALREADY if already exiting.
 */
int sio_thread_exit(struct sio_thread *thread);

/** sio_thread_is_exited() - Exit was asked and everything it owned is released. Context: any. */
bool sio_thread_is_exited(struct sio_thread *thread);

/**
 * sio_thread_destroy() - Free an exited thread.
 * Context: any OS thread that is not polling @thread. Misuse (not exited:
 * live pollers or channels) is logged with what it still owns, and refused.
 * A message that raced with the exit (accepted by send) is run first, never
 * dropped; a sender still inside sio_thread_send_msg() is waited for.
 * Return: 0; -EINVAL for NULL; -EBUSY if not exited or being polled (nothing freed).
 */
int sio_thread_destroy(struct sio_thread *thread);

/**
 * sio_thread_send_msg() - Run @fn(@ctx) on @thread.
 * Context: any OS thread, including ones with no sio_thread. Lock-free and
 * allocation-free: a message object comes from a per-OS-thread cache of a
 * global pool. The target must not be destroyed before the call starts
 * (destroy waits for calls already under way). Messages from one sender to
 * one thread run in the order sent.
 * Return: 0; -EINVAL for NULL; -ENOMEM when the thread's queue or the message
 * pool is full (the message is not queued: the caller still owns @ctx, and
 * may retry once the thread has polled); -ESHUTDOWN once the thread has exited.
 */
int sio_thread_send_msg(struct sio_thread *thread, sio_msg_fn fn, void *ctx);

/**
 * sio_thread_get_interrupt_fd() - A file descriptor that is readable while
 * @thread has messages, a due timed poller, or an active poller.
 * Add it to an epoll set / libuv poll handle and call sio_thread_poll() when it
 * fires; the fd is owned by the thread (closed by sio_thread_destroy()). It is
 * level-triggered: polling the work away makes it unreadable again. Wait no
 * longer than sio_thread_next_timeout_us() (the fd also covers timers, this
 * is for loops that prefer a timeout).
 * The first call switches the thread to interrupt mode (an eventfd, a timerfd
 * and an epoll fd; one membarrier() syscall). Senders to a thread in
 * interrupt mode pay one fence and, only when it sleeps, one eventfd write.
 * Context: any OS thread.
 * Return: the fd (>= 0); -EINVAL for NULL; other negative errno from the kernel.
 */
int sio_thread_get_interrupt_fd(struct sio_thread *thread);

/**
 * sio_thread_next_timeout_us() - Microseconds until @thread next needs polling:
 * 0 if it has work now (messages, active pollers, a due timer), UINT64_MAX if
 * it only waits for messages (or @thread is NULL). Rounded up. In interrupt
 * mode a message another OS thread is still in the middle of sending is not
 * work yet: its sender makes the interrupt fd readable once it is sent.
 * Context: the OS thread that polls @thread.
 */
uint64_t sio_thread_next_timeout_us(struct sio_thread *thread);

/** Busy/idle accounting of a thread, in ticks (sio_get_ticks_hz()). */
struct sio_thread_stats {
	uint64_t busy_tsc; /**< ticks spent in polls that did work */
	uint64_t idle_tsc; /**< ticks spent in polls that found nothing */
};
/**
 * sio_thread_get_stats() - Copy @thread's stats into @stats.
 * Context: the thread itself (elsewhere: a snapshot).
 * Return: 0; -EINVAL for NULL.
 */
int sio_thread_get_stats(struct sio_thread *thread, struct sio_thread_stats *stats);

/** Visitor for sio_thread_foreach(). */
typedef void (*sio_thread_visit_fn)(struct sio_thread *thread, void *ctx);
/**
 * sio_thread_foreach() - Visit every live thread from the calling thread (read-only
 * queries only: the visited thread may be running elsewhere).
 * @fn runs with the thread registry locked: it may query (count, by-id) but
 * must not create or destroy threads. NULL @fn is a no-op.
 * Context: any OS thread.
 */
void sio_thread_foreach(sio_thread_visit_fn fn, void *ctx);

/**
 * sio_for_each_thread() - Run @fn(@ctx) on every live thread, one after the
 * other, by message; then @cpl(@ctx) on the calling thread.
 * Context: a sio_thread.
 * Return: 0; -EINVAL for NULL @fn; -EPERM with no current thread; -ENOMEM
 * (nothing started).
 */
int sio_for_each_thread(sio_msg_fn fn, void *ctx, sio_msg_fn cpl);

/* ------------------------------------------------------------------------ */
/* OS threads running a sio_thread                                          */
/* ------------------------------------------------------------------------ */

struct sio_os_thread;

/** Body of an OS thread started by sio_os_thread_spawn(). */
typedef int (*sio_os_thread_fn)(void *arg);

/**
 * sio_os_thread_spawn() - Start an OS thread with a sio_thread named @name attached,
 * running @fn(@arg). When @fn returns, the sio_thread exits, is polled until
 * exited (what @fn left registered must be released by messages it receives;
 * a thread still not exited after 5 s is logged) and destroyed. The scheduler
 * hook is not called.
 * Context: any OS thread.
 * Return: 0 and *@out; -EINVAL for NULL @fn or @out; -ENOMEM; -EAGAIN (no OS
 * thread could be started).
 */
int sio_os_thread_spawn(const char *name, sio_os_thread_fn fn, void *arg,
			struct sio_os_thread **out);

/**
 * sio_os_thread_join() - Wait for @t to finish; store @fn's return in *@result (may be NULL).
 * Frees @t. Context: any OS thread but @t itself, once per @t.
 * Return: 0; -EINVAL for NULL; -EDEADLK when joining itself.
 */
int sio_os_thread_join(struct sio_os_thread *t, int *result);

/* ------------------------------------------------------------------------ */
/* Pollers                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * sio_poller_register_named() - Register @fn(@ctx) on the current thread.
 * @name: copied (truncated to 63 characters); NULL gives "poller".
 * @fn: the callback; returns enum sio_poller_status.
 * @ctx: passed to @fn.
 * @period_us: 0 to run on every poll, else at most once per period (a timed
 *             poller: runs once when due, however many periods were missed,
 *             on a fixed grid of one period from now + k periods). At most a year.
 * Active pollers run in registration order; one registered from inside a
 * poller first runs later in the same poll.
 * Context: a sio_thread.
 * Return: the poller, or NULL with errno set (EINVAL NULL @fn or period too
 * long, ENOMEM, EPERM with no current thread or an exited one).
 */
struct sio_poller *sio_poller_register_named(const char *name, sio_poller_fn fn, void *ctx,
					     uint64_t period_us);
/** sio_poller_register() - As sio_poller_register_named(), named after @fn. */
#define sio_poller_register(fn, ctx, period_us) sio_poller_register_named(#fn, fn, ctx, period_us)

/**
 * sio_poller_unregister() - Unregister *@pp and set it to NULL (NULL *@pp is a no-op).
 * Safe inside the poller's own callback: it is marked now and freed after the
 * callback returns.
 * Context: the poller's thread; from another thread it is logged and refused.
 */
void sio_poller_unregister(struct sio_poller **pp);

/**
 * sio_poller_pause() - Stop running @p until sio_poller_resume(). A paused
 * poller still counts as registered (sio_thread_exit() waits for it).
 * NULL, or an already paused poller, is a no-op.
 * Context: its thread, also from inside any poller; from another thread it is
 * logged and refused.
 */
void sio_poller_pause(struct sio_poller *p);
/**
 * sio_poller_resume() - Run @p again; a timed poller waits a full period from
 * now. NULL, or a poller that is not paused, is a no-op.
 * Context: as sio_poller_pause().
 */
void sio_poller_resume(struct sio_poller *p);

/**
 * sio_poller_set_interrupt_fd() - Let @fd, rather than @p's mere presence,
 * keep @p's thread awake in interrupt mode.
 * An active poller keeps its thread's interrupt fd readable for as long as it
 * is registered (the thread cannot know when it has work). A poller whose
 * work is announced by a file descriptor (an epoll set of sockets, an
 * io_uring) sets that fd here: it still runs on every poll of its thread,
 * but no longer keeps the thread awake by itself; instead the thread's
 * interrupt fd is readable while @fd is (level-triggered, EPOLLIN). In
 * polling mode nothing changes. @fd = -1 makes @p an ordinary active poller
 * again. Unregistering @p drops its fd; close @fd only afterwards.
 * While @p is paused its fd still wakes the thread: do not pause such a
 * poller while its fd may be readable.
 * Context: the poller's thread (configuration time: takes the thread
 * registry mutex and may call epoll_ctl(2)).
 * Return: 0; -EINVAL for NULL, a timed poller, an unregistered one or
 * @fd < -1; -EPERM from another thread; -EBUSY when @p already has an fd
 * (set -1 first); -ENOMEM; other negative errno from epoll_ctl(2).
 */
int sio_poller_set_interrupt_fd(struct sio_poller *p, int fd);

/** Statistics of one poller. */
struct sio_poller_stats {
	const char *name;     /**< valid while the poller lives */
	uint64_t period_us;   /**< 0 for an active poller */
	uint64_t run_count;   /**< times the callback ran */
	uint64_t busy_count;  /**< of which returned BUSY */
	bool paused;
};
/** Visitor for sio_thread_foreach_poller(). */
typedef void (*sio_poller_visit_fn)(const struct sio_poller_stats *stats, void *ctx);
/**
 * sio_thread_foreach_poller() - Visit each poller of @thread: active, then
 * timed (soonest first), then paused. NULL arguments are a no-op.
 * Context: that thread (or while nobody polls it).
 */
void sio_thread_foreach_poller(struct sio_thread *thread, sio_poller_visit_fn fn, void *ctx);

/** What sio_thread_foreach_io_channel() tells of one channel. */
struct sio_io_channel_stats {
	const char *name; /**< its io_device's name (valid during the visit) */
	uint32_t ref;     /**< references (sio_io_channel_get() calls not yet put) */
};
/** Visitor for sio_thread_foreach_io_channel(). */
typedef void (*sio_io_channel_visit_fn)(const struct sio_io_channel_stats *stats, void *ctx);
/**
 * sio_thread_foreach_io_channel() - Visit each live io_channel of @thread
 * (thread_get_io_channels). NULL arguments are a no-op.
 * Context: that thread (or while nobody polls it).
 */
void sio_thread_foreach_io_channel(struct sio_thread *thread, sio_io_channel_visit_fn fn,
				   void *ctx);

/* ------------------------------------------------------------------------ */
/* io_devices and io_channels                                               */
/* ------------------------------------------------------------------------ */

/** Initialise a channel's context (ctx_buf is ctx_size bytes, zeroed). Return 0 or negative errno. */
typedef int (*sio_io_channel_create_cb)(void *io_device, void *ctx_buf);
/** Tear down a channel's context. */
typedef void (*sio_io_channel_destroy_cb)(void *io_device, void *ctx_buf);
/** Called once an io_device is fully unregistered. */
typedef void (*sio_io_device_unregister_cb)(void *io_device);

/**
 * sio_io_device_register() - Register @io_device (any unique pointer) so threads
 * can get channels to it.
 * @create_cb: initialises a channel's context; may be NULL.
 * @destroy_cb: tears it down; may be NULL.
 * @ctx_size: bytes of per-channel context (64-byte aligned), up to 64 MiB.
 * @name: for logs (copied); NULL uses the pointer.
 * Context: any thread.
 * Return: 0; -EINVAL (NULL @io_device, @ctx_size too large); -ENOMEM;
 * -EEXIST if already registered (or still unregistering).
 */
int sio_io_device_register(void *io_device, sio_io_channel_create_cb create_cb,
			   sio_io_channel_destroy_cb destroy_cb, size_t ctx_size, const char *name);

/**
 * sio_io_device_unregister() - Unregister @io_device; @done (may be NULL) runs on
 * the calling thread once the last channel is destroyed. New gets fail from now on.
 * Even with no channel left, @done runs later, by message, never inside
 * this call.
 * Context: a sio_thread (it must stay alive until @done has run).
 * Return: 0; -EINVAL for NULL; -EPERM with no current thread; -ENOENT if not
 * registered; -EALREADY if already unregistering.
 */
int sio_io_device_unregister(void *io_device, sio_io_device_unregister_cb done);

/**
 * sio_io_channel_get() - Get the current thread's channel to @io_device,
 * creating it on first get (ref-counted).
 * Takes the device registry mutex: get channels up front, not per I/O.
 * Context: a sio_thread.
 * Return: the channel, or NULL with errno set (ENODEV unknown/unregistering
 * device, EPERM no current thread or an exited one, ENOMEM, or create_cb's
 * error, logged).
 */
struct sio_io_channel *sio_io_channel_get(void *io_device);

/**
 * sio_io_channel_put() - Drop a reference; the last put destroys the channel by
 * a deferred message, so it is safe inside callbacks that use it.
 * A get before that message runs revives the channel. NULL is a no-op; a put
 * with no reference left is logged and refused.
 * Context: the channel's thread; from another thread it is logged and refused.
 */
void sio_io_channel_put(struct sio_io_channel *ch);

/* Channel accessors: any thread, while the channel lives; NULL gives NULL. */

/** sio_io_channel_get_ctx() - The channel's ctx_size bytes (64-byte aligned). */
void *sio_io_channel_get_ctx(struct sio_io_channel *ch);
/** sio_io_channel_from_ctx() - The channel owning @ctx (a pointer from sio_io_channel_get_ctx()). */
struct sio_io_channel *sio_io_channel_from_ctx(void *ctx);
/** sio_io_channel_get_thread() - The thread owning @ch. */
struct sio_thread *sio_io_channel_get_thread(struct sio_io_channel *ch);
/** sio_io_channel_get_io_device() - The device @ch belongs to. */
void *sio_io_channel_get_io_device(struct sio_io_channel *ch);

/** Visit one channel; call sio_for_each_channel_continue() when done with it. */
typedef void (*sio_channel_msg)(struct sio_io_channel_iter *i);
/** Completion of sio_for_each_channel(); @status is the first non-zero continue status. */
typedef void (*sio_channel_for_each_cpl)(struct sio_io_channel_iter *i, int status);

/**
 * sio_for_each_channel() - Call @fn for every channel of @io_device, each on
 * its own thread, one after another; then @cpl on the calling thread. A
 * non-zero status passed to continue stops the walk early. Threads are
 * visited in creation order, one message hop each; a thread with no channel
 * (or one whose last put is pending) is skipped. The device cannot finish
 * unregistering while a walk runs.
 * Context: a sio_thread (it must stay alive until @cpl has run).
 * Return: 0; -EINVAL for NULL @io_device or @fn; -EPERM with no current
 * thread; -ENODEV unknown or unregistering device; -ENOMEM (nothing started).
 */
int sio_for_each_channel(void *io_device, sio_channel_msg fn, void *ctx,
			 sio_channel_for_each_cpl cpl);
/**
 * sio_for_each_channel_continue() - Move the walk on, now or later (an
 * asynchronous visit); @status != 0 ends it and reaches @cpl.
 * Context: the visited channel's thread; from elsewhere, or twice for one
 * visit, it is logged and refused.
 */
void sio_for_each_channel_continue(struct sio_io_channel_iter *i, int status);
/** sio_io_channel_iter_get_channel() - The channel being visited (NULL in the completion). */
struct sio_io_channel *sio_io_channel_iter_get_channel(struct sio_io_channel_iter *i);
/** sio_io_channel_iter_get_ctx() - The @ctx given to sio_for_each_channel(). */
void *sio_io_channel_iter_get_ctx(struct sio_io_channel_iter *i);
/** sio_io_channel_iter_get_io_device() - The device being walked. */
void *sio_io_channel_iter_get_io_device(struct sio_io_channel_iter *i);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_THREAD_H */
