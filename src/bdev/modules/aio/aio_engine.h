/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aio_engine.h
 * One Linux AIO context per I/O channel: queue reads, writes and syncs in
 * caller-owned iocbs, submit everything queued with one io_submit, and reap
 * completions in batches without blocking, straight from the completion ring
 * the kernel maps into our address space (io_getevents only as a fallback).
 * The aio bdev module drives it from a channel poller.
 *
 * A queue belongs to one thread at a time (no locks inside). At most @depth
 * operations are queued or in flight.
 */
#ifndef SIO_BDEV_AIO_ENGINE_H
#define SIO_BDEV_AIO_ENGINE_H

#include <libaio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/** One reaped completion. */
struct bdev_aio_cpl {
	void *ctx;   /**< the context given when the operation was queued */
	int64_t res; /**< bytes transferred, 0 for sync, or a negative errno */
};

/** An AIO context. Treat as opaque outside aio_engine.c. */
struct bdev_aio_queue {
	io_context_t ctx;
	void *uring;                /* the kernel's completion ring when we may read it, else NULL */
	uint32_t depth;             /* capacity: queued + inflight never exceeds it */
	uint32_t queued;            /* iocbs in pending[] not yet accepted by io_submit */
	uint32_t inflight;          /* accepted by the kernel, completion not yet reaped */
	uint32_t nfailed;           /* refused by io_submit, reported by the next reap */
	struct iocb **pending;      /* depth slots */
	struct bdev_aio_cpl *failed; /* depth slots */
	struct io_event *events;    /* depth slots, for the io_getevents fallback */
};

/**
 * bdev_aio_queue_init() - Create an AIO context for @depth operations.
 * Context: the thread that will use @q.
 * Return: 0; -EINVAL for @depth 0 or > 4096; -EAGAIN when the system-wide
 * limit (/proc/sys/fs/aio-max-nr) is reached; -ENOMEM; -ENOSYS without AIO.
 */
int bdev_aio_queue_init(struct bdev_aio_queue *q, uint32_t depth);

/**
 * bdev_aio_queue_fini() - Destroy the context (the kernel cancels or waits for
 * what is in flight). Reap until bdev_aio_queue_busy() is false first.
 * Context: the owning thread.
 */
void bdev_aio_queue_fini(struct bdev_aio_queue *q);

/**
 * bdev_aio_queue_rw() - Queue a read (@write false) or write of @iovcnt
 * vectors of @fd at byte @offset in the caller's @iocb; @ctx comes back in the
 * completion. @rw_flags are RWF_* flags (RWF_NOWAIT), 0 for none.
 * Context: the owning thread. @iocb and @iov must stay valid until reaped.
 * Return: 0; -EAGAIN when the queue holds @depth operations; -EINVAL.
 */
int bdev_aio_queue_rw(struct bdev_aio_queue *q, struct iocb *iocb, int fd, bool write,
		      const struct iovec *iov, int iovcnt, uint64_t offset, int rw_flags,
		      void *ctx);

/**
 * bdev_aio_queue_fsync() - Queue an fdatasync of @fd in @iocb.
 * Kernels before 4.18 refuse it: the completion then carries -EINVAL.
 * Context: the owning thread. Return: 0; -EAGAIN when full.
 */
int bdev_aio_queue_fsync(struct bdev_aio_queue *q, struct iocb *iocb, int fd, void *ctx);

/**
 * bdev_aio_queue_submit() - io_submit everything queued in one call. What the
 * kernel cannot take now (-EAGAIN) stays queued; an iocb it refuses outright
 * completes with that error at the next reap.
 * Context: the owning thread.
 * Return: the number accepted (>= 0).
 */
int bdev_aio_queue_submit(struct bdev_aio_queue *q);

/**
 * bdev_aio_queue_reap() - Copy up to @max finished operations into @cpls
 * without blocking.
 * Context: the owning thread.
 * Return: the number reaped, 0..@max.
 */
uint32_t bdev_aio_queue_reap(struct bdev_aio_queue *q, struct bdev_aio_cpl *cpls, uint32_t max);

/** bdev_aio_queue_busy() - Whether anything is queued, failed-unreported or in flight. */
static inline bool bdev_aio_queue_busy(const struct bdev_aio_queue *q)
{
	return q->queued + q->inflight + q->nfailed != 0;
}

/** bdev_aio_queue_free_slots() - Operations that can still be queued. */
static inline uint32_t bdev_aio_queue_free_slots(const struct bdev_aio_queue *q)
{
	return q->depth - q->queued - q->inflight - q->nfailed;
}

#endif /* SIO_BDEV_AIO_ENGINE_H */
