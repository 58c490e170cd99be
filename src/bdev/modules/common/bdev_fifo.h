/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev_fifo.h
 * The channel the null and malloc modules share: one io_device per module,
 * whose channel (one per thread, shared by all the module's bdevs) is a FIFO
 * of submitted bdev_io and a poller that runs and completes them in
 * submission order. Completing inside submit_request() would recurse without
 * bound in a queue-depth loop, and a message per I/O would cost more than the
 * I/O; running in order keeps overlapping I/O applied as submitted.
 *
 * Hot path: push and run are static inline, and run takes the module's
 * execute function as a constant, so the compiler calls (or inlines) it
 * directly; the only indirect call is the poller itself, once per batch.
 *
 * Idle: the poller is paused while the queue stays empty, so a thread whose
 * only work is an idle channel sleeps on its interrupt fd (an active poller
 * keeps it awake, docs/thread.md). run pauses it when a poll finds the queue
 * empty, one poll after the last batch, not when a batch leaves it empty;
 * push resumes it. A completion callback that submits again does so while
 * the poller is running, so a callback queue-depth loop never pauses; a
 * task that awaits its I/O submits again only when it runs, after the batch
 * (the queued rule, docs/async.md), so pausing on an emptied queue paused
 * and resumed the poller on every I/O at QD1 (a pause, a resume and two
 * moves between the thread's poller lists, ~115 instructions, a fifth of a
 * task's I/O there). Push pays one predictable branch on a flag of its
 * channel, run one test of the queue head per batch.
 */
#ifndef SIO_BDEV_FIFO_H
#define SIO_BDEV_FIFO_H

#include "bdev/modules/common/bdev_io_list.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/thread.h"
#include "thread/thread_current.h"

/** A module's io_device: static storage, registered at module_init. */
struct bdev_fifo_device {
	const char *name;   /**< of the io_device and of every channel's poller */
	sio_poller_fn poll; /**< the module's poller: bdev_fifo_run() with its execute function */
};

/** Per-thread channel of a bdev_fifo_device. */
struct bdev_fifo_channel {
	struct bdev_io_list queue;
	struct sio_poller *poller;
	/* The poller is paused (queue empty): the next push resumes it.
	 * Mirrors the poller's state so push need not ask the thread layer. */
	bool paused;
};

/* Out of line: the rare transitions (bdev_fifo.c). */
void bdev_fifo_pause(struct bdev_fifo_channel *fch);
void bdev_fifo_resume(struct bdev_fifo_channel *fch);

/** bdev_fifo_push() - submit_request() tail: queue @io on @ch for the poller. */
static inline void bdev_fifo_push(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct bdev_fifo_channel *fch = thread_io_channel_ctx(ch);

	bdev_io_list_push(&fch->queue, io);
	if (__builtin_expect(fch->paused, 0))
		bdev_fifo_resume(fch);
}

/**
 * bdev_fifo_run() - Poller body: complete each I/O queued on channel @ctx
 * with the status @execute returns for it; pause the poller when it found
 * nothing queued (an empty poll after the last batch, see above).
 * Return: SIO_POLLER_BUSY when there was any, else SIO_POLLER_IDLE.
 */
static inline int bdev_fifo_run(void *ctx, int (*execute)(struct sio_bdev_io *io))
{
	struct bdev_fifo_channel *fch = ctx;

	if (__builtin_expect(fch->queue.head == NULL, 0)) {
		bdev_fifo_pause(fch);
		return SIO_POLLER_IDLE;
	}
	return bdev_io_list_complete(&fch->queue, execute) != 0 ? SIO_POLLER_BUSY
								: SIO_POLLER_IDLE;
}

/**
 * bdev_fifo_device_register() - Register @dev as an io_device with
 * bdev_fifo_channel channels, each with a @dev->poll poller, paused while
 * its channel's queue is empty.
 * Context: the app thread (module_init).
 * Return: 0; the errors of sio_io_device_register().
 */
int bdev_fifo_device_register(struct bdev_fifo_device *dev);

/** bdev_fifo_device_unregister() - Undo bdev_fifo_device_register() (module_fini). */
void bdev_fifo_device_unregister(struct bdev_fifo_device *dev);

#endif /* SIO_BDEV_FIFO_H */
