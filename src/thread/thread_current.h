/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_thread_get_current() inlined, for the layers of the library above the
 * thread layer whose hot paths check the calling thread on every I/O (the
 * bdev submission check, an awaited I/O's completion). Not installed.
 *
 * initial-exec: one %fs-relative load, also from the shared library (the
 * default model there calls __tls_get_addr); the variable is one pointer.
 * Not exported: the version script keeps everything outside sio_* local.
 */
#ifndef SIO_THREAD_CURRENT_H
#define SIO_THREAD_CURRENT_H

#include "spdk_io/thread.h"

/* The sio_thread running on this OS thread, NULL outside any. */
extern __thread __attribute__((tls_model("initial-exec"))) struct sio_thread *g_thread_current;

static inline struct sio_thread *thread_current(void)
{
	return g_thread_current;
}

/*
 * The tick (sio_get_ticks() clock) of the event this OS thread is handling,
 * 0 when none: a bdev I/O's completion tick while its callback runs, or in
 * the task that awaited it from the return of the _await form until the task
 * switches out. Whoever needs "now" right then (the next submission's tick,
 * a tool's latency) takes it instead of reading the clock again: rdtsc costs
 * about 11 ns on this machine's AMD EPYC, a third of a null-bdev I/O.
 * Set by the bdev layer; cleared by the async layer whenever a task switches
 * out, and saved/cleared/restored around every sio_thread poll, so a value
 * never outlives the handling of its event.
 */
extern __thread __attribute__((tls_model("initial-exec"))) uint64_t g_thread_event_tick;

/*
 * sio_io_channel_get_ctx() inlined, for the same hot paths: every bdev I/O
 * finds its bdev channel, and the null and malloc modules their channel, from
 * the sio_io_channel. A channel's ctx sits at this fixed offset from the
 * channel (io_channel.c asserts it). Unlike the function, no NULL check: the
 * callers have checked @ch.
 */
#define THREAD_IO_CHANNEL_CTX_OFFSET 64

static inline void *thread_io_channel_ctx(struct sio_io_channel *ch)
{
	return (unsigned char *)ch + THREAD_IO_CHANNEL_CTX_OFFSET;
}

#endif /* SIO_THREAD_CURRENT_H */
