/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file uring_engine.h
 * One io_uring per I/O channel over one file: queue reads, writes, syncs and
 * fallocates with a caller context, submit everything queued with one system
 * call, and reap completions in batches without blocking. The uring bdev
 * module drives it from a channel poller; nothing here knows about bdevs.
 *
 * A queue belongs to one thread at a time (no locks inside). Capacity is the
 * depth given at init: at most @depth operations queued or in flight, so the
 * completion ring (twice the submission ring) can never overflow.
 */
#ifndef SIO_BDEV_URING_ENGINE_H
#define SIO_BDEV_URING_ENGINE_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/** One reaped completion. */
struct bdev_uring_cpl {
	void *ctx;   /**< the context given when the operation was queued */
	int32_t res; /**< bytes transferred, 0 for sync/fallocate, or a negative errno */
};

/** A ring bound to one file descriptor. Treat as opaque outside uring_engine.c. */
struct bdev_uring_queue {
	struct io_uring ring;
	int fd;               /* what SQEs name: index 0 when registered, else the fd */
	uint8_t sqe_flags;    /* IOSQE_FIXED_FILE when the file is registered */
	bool ring_ok;         /* ring initialised (fini must exit it) */
	uint32_t depth;       /* capacity: queued + inflight never exceeds it */
	uint32_t queued;      /* prepared SQEs not yet handed to the kernel */
	uint32_t inflight;    /* handed to the kernel, completion not yet reaped */
	uint32_t nr_bufs;     /* registered buffers (0: none) */
	struct iovec *bufs;   /* copies of the registered buffer ranges, for lookups */
};

/** Flags of bdev_uring_queue_init(). */
enum bdev_uring_queue_flags {
	/*
	 * The file has no non-blocking I/O path (bdev_file.nowait false):
	 * send reads and writes straight to io_uring's workers (IOSQE_ASYNC).
	 */
	BDEV_URING_QUEUE_ASYNC = 1u << 0,
};

/**
 * bdev_uring_queue_init() - Create a ring of @depth entries and register @fd with it.
 * @q: caller-allocated, zeroed or not.
 * @fd: the backing file; stays owned by the caller and must outlive @q.
 * @depth: operations queued plus in flight at most; 1..4096.
 * @flags: enum bdev_uring_queue_flags.
 *
 * Cooperative task running is asked for and dropped when the kernel lacks it;
 * a failed file registration falls back to plain descriptors. When the
 * calling thread is pinned to one CPU, io_uring's kernel workers are kept off
 * that CPU.
 *
 * Context: the thread that will use @q.
 * Return: 0; -EINVAL for a bad @fd or @depth; -ENOSYS or -EPERM when io_uring
 * is unavailable or forbidden; -ENOMEM and other io_uring_setup errors.
 */
int bdev_uring_queue_init(struct bdev_uring_queue *q, int fd, uint32_t depth, unsigned int flags);

/**
 * bdev_uring_queue_fini() - Destroy the ring. Completions not reaped are lost:
 * reap until bdev_uring_queue_busy() is false first.
 * Context: the owning thread.
 */
void bdev_uring_queue_fini(struct bdev_uring_queue *q);

/**
 * bdev_uring_queue_register_buffers() - Register @n buffer ranges so reads and
 * writes that fall inside one of them use the fixed-buffer opcodes (no page
 * pinning per I/O). Replaces a previous registration.
 * Context: the owning thread, with nothing queued or in flight.
 * Return: 0; -EBUSY with I/O outstanding; -EINVAL; -ENOMEM; the errno of
 * io_uring_register_buffers (e.g. -EFAULT, -EOPNOTSUPP).
 */
int bdev_uring_queue_register_buffers(struct bdev_uring_queue *q, const struct iovec *bufs,
				      uint32_t n);

/**
 * bdev_uring_queue_rw() - Queue a read (@write false) or write of @iovcnt
 * vectors at byte @offset; @ctx comes back in the completion.
 * Nothing reaches the kernel until bdev_uring_queue_submit().
 * Context: the owning thread. @iov must stay valid until the completion is reaped.
 * Return: 0; -EAGAIN when the queue holds @depth operations already; -EINVAL
 * for @iovcnt < 1.
 */
int bdev_uring_queue_rw(struct bdev_uring_queue *q, bool write, const struct iovec *iov,
			int iovcnt, uint64_t offset, void *ctx);

/**
 * bdev_uring_queue_fsync() - Queue an fdatasync of the file.
 * Context: the owning thread. Return: 0; -EAGAIN when full.
 */
int bdev_uring_queue_fsync(struct bdev_uring_queue *q, void *ctx);

/**
 * bdev_uring_queue_fallocate() - Queue fallocate(@mode, @offset, @len).
 * Context: the owning thread. Return: 0; -EAGAIN when full.
 */
int bdev_uring_queue_fallocate(struct bdev_uring_queue *q, int mode, uint64_t offset,
			       uint64_t len, void *ctx);

/**
 * bdev_uring_queue_submit() - Hand everything queued to the kernel in one
 * io_uring_enter. Operations the kernel could not take now (-EAGAIN, -EBUSY)
 * stay queued for the next call.
 * Context: the owning thread.
 * Return: the number submitted (>= 0); a negative errno for a hard failure.
 */
int bdev_uring_queue_submit(struct bdev_uring_queue *q);

/**
 * bdev_uring_queue_reap() - Copy up to @max finished operations into @cpls
 * without blocking (it enters the kernel only when the kernel says completions
 * wait there for us).
 * Context: the owning thread.
 * Return: the number reaped, 0..@max.
 */
uint32_t bdev_uring_queue_reap(struct bdev_uring_queue *q, struct bdev_uring_cpl *cpls,
			       uint32_t max);

/** bdev_uring_queue_busy() - Whether anything is queued or in flight. */
static inline bool bdev_uring_queue_busy(const struct bdev_uring_queue *q)
{
	return q->queued + q->inflight != 0;
}

/** bdev_uring_queue_free_slots() - Operations that can still be queued. */
static inline uint32_t bdev_uring_queue_free_slots(const struct bdev_uring_queue *q)
{
	return q->depth - q->queued - q->inflight;
}

#endif /* SIO_BDEV_URING_ENGINE_H */
