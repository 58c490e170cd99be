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
 * Context: any OS thread, while no thread is being created.
 */
void sio_thread_set_schedule_fn(sio_thread_schedule_fn fn, void *ctx);

/**
 * sio_thread_create() - Create a thread.
 * @name: copied; NULL gives "thread<id>".
 * @cpumask: cores it may run on (a hint for schedulers); NULL means any.
 *
 * The first thread created in the process is the app thread. Without a
 * scheduler hook, the creator polls the thread itself.
 * Context: any OS thread.
 * Return: the thread, or NULL with errno set (ENOMEM, or the scheduler's error).
 */
struct sio_thread *sio_thread_create(const char *name, const struct sio_cpuset *cpumask);

/**
 * sio_thread_attach() - Create a thread and make it current on the calling OS thread,
 * for plain OS threads that want to use the library (for example sio_block_on()).
 * Return: as sio_thread_create(); NULL with errno EBUSY if the OS thread already has one.
 */
struct sio_thread *sio_thread_attach(const char *name);

/**
 * sio_thread_set_current() - Make @thread (or none, with NULL) current on this OS thread.
 * Context: the OS thread that will poll @thread.
 */
void sio_thread_set_current(struct sio_thread *thread);

/** sio_thread_get_current() - The thread current on this OS thread, or NULL. */
struct sio_thread *sio_thread_get_current(void);

/** sio_thread_get_app_thread() - The first thread created (NULL before that / after it is destroyed). */
struct sio_thread *sio_thread_get_app_thread(void);

/**
 * sio_thread_poll() - Run @thread once: up to @max_msgs messages (0 = a whole
 * batch), then every due poller.
 * Context: one OS thread at a time per sio_thread. Sets @thread current for the
 * duration and restores the previous current thread after.
 * Return: the amount of work done (messages + busy pollers); 0 when idle.
 */
int sio_thread_poll(struct sio_thread *thread, uint32_t max_msgs);

/** sio_thread_get_name() - The thread's name (valid while it lives). */
const char *sio_thread_get_name(const struct sio_thread *thread);
/** sio_thread_get_id() - A unique id > 0, never reused in a process. */
uint64_t sio_thread_get_id(const struct sio_thread *thread);
/** sio_thread_get_by_id() - Look up a live thread by id; NULL if none. */
struct sio_thread *sio_thread_get_by_id(uint64_t id);
/** sio_thread_get_cpumask() - The cpumask given at creation. */
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
 * and puts them, usually in response to this).
 * Context: the thread itself.
 * Return: 0; -EALREADY if already exiting.
 */
int sio_thread_exit(struct sio_thread *thread);

/** sio_thread_is_exited() - Exit was asked and everything it owned is released. */
bool sio_thread_is_exited(struct sio_thread *thread);

/**
 * sio_thread_destroy() - Free an exited thread.
 * Context: any OS thread that is not polling @thread.
 * Misuse (live pollers or channels) is logged and refused.
 * Return: 0; -EBUSY if not exited (nothing freed).
 */
int sio_thread_destroy(struct sio_thread *thread);

/**
 * sio_thread_send_msg() - Run @fn(@ctx) on @thread.
 * Context: any OS thread, including ones with no sio_thread. Lock-free.
 * Messages from one sender to one thread run in the order sent.
 * Return: 0; -EINVAL for NULL; -ENOMEM when the thread's queue is full (the
 * message is not queued: the caller still owns @ctx); -ESHUTDOWN once the
 * thread has exited.
 */
int sio_thread_send_msg(struct sio_thread *thread, sio_msg_fn fn, void *ctx);

/**
 * sio_thread_get_interrupt_fd() - A file descriptor that is readable while
 * @thread has messages, a due timed poller, or an active poller.
 * Add it to an epoll set / libuv poll handle and call sio_thread_poll() when it
 * fires; the fd is owned by the thread.
 * Return: the fd (>= 0), or a negative errno.
 */
int sio_thread_get_interrupt_fd(struct sio_thread *thread);

/**
 * sio_thread_next_timeout_us() - Microseconds until @thread next needs polling:
 * 0 if it has work now, UINT64_MAX if it only waits for messages.
 */
uint64_t sio_thread_next_timeout_us(struct sio_thread *thread);

/** Busy/idle accounting of a thread, in ticks (sio_get_ticks_hz()). */
struct sio_thread_stats {
	uint64_t busy_tsc; /**< ticks spent in polls that did work */
	uint64_t idle_tsc; /**< ticks spent in polls that found nothing */
};
/** sio_thread_get_stats() - Copy @thread's stats. Context: the thread itself. Return: 0 or -EINVAL. */
int sio_thread_get_stats(struct sio_thread *thread, struct sio_thread_stats *stats);

/** Visitor for sio_thread_foreach(). */
typedef void (*sio_thread_visit_fn)(struct sio_thread *thread, void *ctx);
/**
 * sio_thread_foreach() - Visit every live thread from the calling thread (read-only
 * queries only: the visited thread may be running elsewhere).
 */
void sio_thread_foreach(sio_thread_visit_fn fn, void *ctx);

/**
 * sio_for_each_thread() - Run @fn(@ctx) on every live thread, one after the
 * other, by message; then @cpl(@ctx) on the calling thread.
 * Context: a sio_thread.
 * Return: 0 or a negative errno (nothing started).
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
 * running @fn(@arg). When @fn returns, the sio_thread exits, is drained and destroyed.
 * Return: 0 and *@out; negative errno.
 */
int sio_os_thread_spawn(const char *name, sio_os_thread_fn fn, void *arg,
			struct sio_os_thread **out);

/**
 * sio_os_thread_join() - Wait for @t to finish; store @fn's return in *@result (may be NULL).
 * Frees @t. Return: 0; -EINVAL; -EDEADLK when joining itself.
 */
int sio_os_thread_join(struct sio_os_thread *t, int *result);

/* ------------------------------------------------------------------------ */
/* Pollers                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * sio_poller_register_named() - Register @fn(@ctx) on the current thread.
 * @period_us: 0 to run on every poll, else at most once per period.
 * Context: a sio_thread.
 * Return: the poller, or NULL with errno set (EINVAL, ENOMEM, EPERM with no current thread).
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

/** sio_poller_pause() - Stop running @p until sio_poller_resume(). Context: its thread. */
void sio_poller_pause(struct sio_poller *p);
/** sio_poller_resume() - Run @p again. Context: its thread. */
void sio_poller_resume(struct sio_poller *p);

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
/** sio_thread_foreach_poller() - Visit each poller of @thread. Context: that thread. */
void sio_thread_foreach_poller(struct sio_thread *thread, sio_poller_visit_fn fn, void *ctx);

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
 * Context: any thread.
 * Return: 0; -EINVAL; -EEXIST if already registered.
 */
int sio_io_device_register(void *io_device, sio_io_channel_create_cb create_cb,
			   sio_io_channel_destroy_cb destroy_cb, size_t ctx_size, const char *name);

/**
 * sio_io_device_unregister() - Unregister @io_device; @done (may be NULL) runs on
 * the calling thread once the last channel is destroyed. New gets fail from now on.
 * Context: a sio_thread.
 * Return: 0; -ENOENT if not registered; -EALREADY if already unregistering.
 */
int sio_io_device_unregister(void *io_device, sio_io_device_unregister_cb done);

/**
 * sio_io_channel_get() - Get the current thread's channel to @io_device,
 * creating it on first get (ref-counted).
 * Context: a sio_thread.
 * Return: the channel, or NULL with errno set (ENODEV unknown/unregistering
 * device, EPERM no current thread, ENOMEM, or create_cb's error).
 */
struct sio_io_channel *sio_io_channel_get(void *io_device);

/**
 * sio_io_channel_put() - Drop a reference; the last put destroys the channel by
 * a deferred message, so it is safe inside callbacks that use it.
 * Context: the channel's thread; from another thread it is logged and refused.
 */
void sio_io_channel_put(struct sio_io_channel *ch);

/** sio_io_channel_get_ctx() - The channel's ctx_size bytes. */
void *sio_io_channel_get_ctx(struct sio_io_channel *ch);
/** sio_io_channel_from_ctx() - The channel owning @ctx. */
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
 * non-zero status passed to continue stops the walk early.
 * Context: a sio_thread.
 * Return: 0, or negative errno (nothing started).
 */
int sio_for_each_channel(void *io_device, sio_channel_msg fn, void *ctx,
			 sio_channel_for_each_cpl cpl);
/** sio_for_each_channel_continue() - Move the walk on (from the visited channel's thread). */
void sio_for_each_channel_continue(struct sio_io_channel_iter *i, int status);
/** sio_io_channel_iter_get_channel() - The channel being visited. */
struct sio_io_channel *sio_io_channel_iter_get_channel(struct sio_io_channel_iter *i);
/** sio_io_channel_iter_get_ctx() - The @ctx given to sio_for_each_channel(). */
void *sio_io_channel_iter_get_ctx(struct sio_io_channel_iter *i);
/** sio_io_channel_iter_get_io_device() - The device being walked. */
void *sio_io_channel_iter_get_io_device(struct sio_io_channel_iter *i);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_THREAD_H */
