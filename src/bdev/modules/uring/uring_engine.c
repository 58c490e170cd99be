/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io_uring engine of the uring bdev: one ring per channel, batched submission,
 * batched non-blocking reaping.
 */
#include "uring_engine.h"

#include <unistd.h>

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define URING_MAX_DEPTH 4096u

static int ring_setup(struct io_uring *ring, uint32_t depth)
{
	/*
	 * COOP_TASKRUN: completions are delivered when we next enter the kernel
	 * instead of interrupting the polling thread with an IPI; TASKRUN_FLAG
	 * tells us (IORING_SQ_TASKRUN) when such completions are waiting, so reap
	 * can enter only then. Kernels before 5.19 reject the flags: retry plain.
	 */
	struct io_uring_params p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	rc = io_uring_queue_init_params(depth, ring, &p);
	if (rc == -EINVAL) {
		memset(&p, 0, sizeof(p));
		rc = io_uring_queue_init_params(depth, ring, &p);
	}
	return rc;
}

/*
 * When the calling thread is pinned to one CPU (a reactor), keep io_uring's
 * kernel workers (io-wq) off that CPU: the poller keeps it 100 % busy by
 * design, and a worker sharing it would only run when the scheduler preempts
 * the poller. Files without a non-blocking path (tmpfs, some FUSE) send every
 * I/O through io-wq, so this decides their throughput. Best effort.
 */
static void keep_workers_off_my_cpu(struct io_uring *ring)
{
	cpu_set_t mine, others;
	int cpu, n;

	if (sched_getaffinity(0, sizeof(mine), &mine) != 0 || CPU_COUNT(&mine) != 1)
		return;
	CPU_ZERO(&others);
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	for (cpu = 0; cpu < n && cpu < CPU_SETSIZE; cpu++)
		if (!CPU_ISSET(cpu, &mine))
			CPU_SET(cpu, &others);
	if (CPU_COUNT(&others) > 0)
		(void)io_uring_register_iowq_aff(ring, sizeof(others), &others);
}

int bdev_uring_queue_init(struct bdev_uring_queue *q, int fd, uint32_t depth, unsigned int flags)
{
	int rc;

	if (q == NULL)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (fd < 0 || depth == 0 || depth > URING_MAX_DEPTH)
		return -EINVAL;
	rc = ring_setup(&q->ring, depth);
	if (rc < 0)
		return rc;
	q->ring_ok = true;
	q->depth = depth;
	keep_workers_off_my_cpu(&q->ring);
	/* A registered file saves an fget/fput pair per I/O; plain fds still work without it. */
	if (io_uring_register_files(&q->ring, &fd, 1) == 0) {
		q->fd = 0;
		q->sqe_flags = IOSQE_FIXED_FILE;
	} else {
		q->fd = fd;
		q->sqe_flags = 0;
	}
	/* Without a non-blocking path every I/O goes to io-wq: skip the doomed inline try. */
	if (flags & BDEV_URING_QUEUE_ASYNC)
		q->sqe_flags |= IOSQE_ASYNC;
	return 0;
}

void bdev_uring_queue_fini(struct bdev_uring_queue *q)
{
	if (q == NULL || !q->ring_ok)
		return;
	io_uring_queue_exit(&q->ring); /* also drops registered files and buffers */
	free(q->bufs);
	q->bufs = NULL;
	q->nr_bufs = 0;
	q->ring_ok = false;
}

int bdev_uring_queue_register_buffers(struct bdev_uring_queue *q, const struct iovec *bufs,
				      uint32_t n)
{
	struct iovec *copy;
	int rc;

	if (q == NULL || !q->ring_ok || (n > 0 && bufs == NULL))
		return -EINVAL;
	if (bdev_uring_queue_busy(q))
		return -EBUSY;
	if (q->nr_bufs > 0) {
		io_uring_unregister_buffers(&q->ring);
		free(q->bufs);
		q->bufs = NULL;
		q->nr_bufs = 0;
	}
	if (n == 0)
		return 0;
	copy = calloc(n, sizeof(*copy));
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, bufs, n * sizeof(*copy));
	rc = io_uring_register_buffers(&q->ring, copy, n);
	if (rc < 0) {
		free(copy);
		return rc;
	}
	q->bufs = copy;
	q->nr_bufs = n;
	return 0;
}

/* Index of the registered buffer holding [base, base + len), or -1. */
static int find_fixed(const struct bdev_uring_queue *q, const void *base, size_t len)
{
	uintptr_t a = (uintptr_t)base;
	uint32_t i;

	for (i = 0; i < q->nr_bufs; i++) {
		uintptr_t b = (uintptr_t)q->bufs[i].iov_base;

		if (a >= b && a + len <= b + q->bufs[i].iov_len)
			return (int)i;
	}
	return -1;
}

static struct io_uring_sqe *next_sqe(struct bdev_uring_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->queued + q->inflight >= q->depth)
		return NULL;
	/* Cannot be NULL: the SQ ring has depth entries and at most depth are used. */
	sqe = io_uring_get_sqe(&q->ring);
	if (sqe != NULL)
		q->queued++;
	return sqe;
}

static void finish_sqe(struct bdev_uring_queue *q, struct io_uring_sqe *sqe, void *ctx)
{
	sqe->flags |= q->sqe_flags;
	io_uring_sqe_set_data(sqe, ctx);
}

int bdev_uring_queue_rw(struct bdev_uring_queue *q, bool write, const struct iovec *iov,
			int iovcnt, uint64_t offset, void *ctx)
{
	struct io_uring_sqe *sqe;

	if (iov == NULL || iovcnt < 1)
		return -EINVAL;
	sqe = next_sqe(q);
	if (sqe == NULL)
		return -EAGAIN;
	if (iovcnt == 1) {
		/* The single-buffer opcodes skip importing an iovec array. */
		int idx = q->nr_bufs ? find_fixed(q, iov[0].iov_base, iov[0].iov_len) : -1;

		if (idx >= 0) {
			if (write)
				io_uring_prep_write_fixed(sqe, q->fd, iov[0].iov_base,
							  (unsigned)iov[0].iov_len, offset, idx);
			else
				io_uring_prep_read_fixed(sqe, q->fd, iov[0].iov_base,
							 (unsigned)iov[0].iov_len, offset, idx);
		} else if (write) {
			io_uring_prep_write(sqe, q->fd, iov[0].iov_base, (unsigned)iov[0].iov_len,
					    offset);
		} else {
			io_uring_prep_read(sqe, q->fd, iov[0].iov_base, (unsigned)iov[0].iov_len,
					   offset);
		}
	} else if (write) {
		io_uring_prep_writev(sqe, q->fd, iov, (unsigned)iovcnt, offset);
	} else {
		io_uring_prep_readv(sqe, q->fd, iov, (unsigned)iovcnt, offset);
	}
	finish_sqe(q, sqe, ctx);
	return 0;
}

int bdev_uring_queue_fsync(struct bdev_uring_queue *q, void *ctx)
{
	struct io_uring_sqe *sqe = next_sqe(q);

	if (sqe == NULL)
		return -EAGAIN;
	io_uring_prep_fsync(sqe, q->fd, IORING_FSYNC_DATASYNC);
	finish_sqe(q, sqe, ctx);
	return 0;
}

int bdev_uring_queue_fallocate(struct bdev_uring_queue *q, int mode, uint64_t offset,
			       uint64_t len, void *ctx)
{
	struct io_uring_sqe *sqe = next_sqe(q);

	if (sqe == NULL)
		return -EAGAIN;
	io_uring_prep_fallocate(sqe, q->fd, mode, (off_t)offset, (off_t)len);
	finish_sqe(q, sqe, ctx);
	return 0;
}

int bdev_uring_queue_submit(struct bdev_uring_queue *q)
{
	int rc;

	unsigned int kflags;

	if (q->queued == 0)
		return 0;
	/*
	 * Completions parked as task work would cost the next reap a system call
	 * of its own: fetch them in this one (they are reaped at the next poll).
	 */
	kflags = IO_URING_READ_ONCE(*q->ring.sq.kflags);
	if (kflags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))
		rc = io_uring_submit_and_get_events(&q->ring);
	else
		rc = io_uring_submit(&q->ring);
	if (rc < 0) {
		/* Transient: the SQEs stay in the ring and the next submit retries them. */
		if (rc == -EAGAIN || rc == -EBUSY || rc == -EINTR)
			return 0;
		return rc;
	}
	q->queued -= (uint32_t)rc;
	q->inflight += (uint32_t)rc;
	return rc;
}

uint32_t bdev_uring_queue_reap(struct bdev_uring_queue *q, struct bdev_uring_cpl *cpls,
			       uint32_t max)
{
	struct io_uring_cqe *cqe;
	unsigned int head;
	uint32_t n = 0;

	if (q->inflight == 0)
		return 0;
	if (io_uring_cq_ready(&q->ring) == 0) {
		/*
		 * Completions parked as task work (COOP_TASKRUN) or in the overflow
		 * list are only posted when we enter the kernel; the flags word says
		 * when that is needed, so the common empty poll costs no syscall.
		 */
		unsigned int flags = IO_URING_READ_ONCE(*q->ring.sq.kflags);

		if (!(flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
			return 0;
		io_uring_get_events(&q->ring);
	}
	io_uring_for_each_cqe(&q->ring, head, cqe) {
		if (n == max)
			break;
		cpls[n].ctx = io_uring_cqe_get_data(cqe);
		cpls[n].res = cqe->res;
		n++;
	}
	io_uring_cq_advance(&q->ring, n);
	q->inflight -= n;
	return n;
}
