/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linux AIO engine of the aio bdev: one io_context per channel, batched
 * io_submit, batched non-blocking reaping from the user-mapped event ring.
 */
#include "aio_engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AIO_MAX_DEPTH 4096u

/*
 * Header of the completion ring the kernel maps at the address io_setup()
 * returns as the context id (kernel ABI, fs/aio.c). Reading it saves an
 * io_getevents system call per poll, which dominates when polling.
 */
struct aio_user_ring {
	unsigned int id;
	unsigned int nr;    /* number of io_event slots */
	unsigned int head;  /* consumer index: we advance it */
	unsigned int tail;  /* producer index: the kernel advances it */
	unsigned int magic;
	unsigned int compat_features;
	unsigned int incompat_features;
	unsigned int header_length;
	struct io_event events[];
};

#define AIO_RING_MAGIC 0xa10a10a1u

int bdev_aio_queue_init(struct bdev_aio_queue *q, uint32_t depth)
{
	struct aio_user_ring *ring;
	int rc;

	if (q == NULL)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	if (depth == 0 || depth > AIO_MAX_DEPTH)
		return -EINVAL;
	q->pending = calloc(depth, sizeof(*q->pending));
	q->failed = calloc(depth, sizeof(*q->failed));
	q->events = calloc(depth, sizeof(*q->events));
	if (q->pending == NULL || q->failed == NULL || q->events == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = io_setup((int)depth, &q->ctx);
	if (rc < 0)
		goto fail;
	q->depth = depth;
	ring = (struct aio_user_ring *)q->ctx;
	if (ring->magic == AIO_RING_MAGIC && ring->incompat_features == 0 &&
	    ring->header_length == sizeof(*ring))
		q->uring = ring;
	return 0;

fail:
	free(q->pending);
	free(q->failed);
	free(q->events);
	memset(q, 0, sizeof(*q));
	return rc;
}

void bdev_aio_queue_fini(struct bdev_aio_queue *q)
{
	if (q == NULL || q->depth == 0)
		return;
	io_destroy(q->ctx);
	free(q->pending);
	free(q->failed);
	free(q->events);
	memset(q, 0, sizeof(*q));
}

static int enqueue(struct bdev_aio_queue *q, struct iocb *iocb, void *ctx)
{
	iocb->data = ctx;
	q->pending[q->queued++] = iocb;
	return 0;
}

int bdev_aio_queue_rw(struct bdev_aio_queue *q, struct iocb *iocb, int fd, bool write,
		      const struct iovec *iov, int iovcnt, uint64_t offset, int rw_flags,
		      void *ctx)
{
	if (iocb == NULL || iov == NULL || iovcnt < 1 || fd < 0)
		return -EINVAL;
	if (bdev_aio_queue_free_slots(q) == 0)
		return -EAGAIN;
	if (iovcnt == 1) {
		/* The single-buffer commands skip importing an iovec array. */
		if (write)
			io_prep_pwrite(iocb, fd, iov[0].iov_base, iov[0].iov_len, (long long)offset);
		else
			io_prep_pread(iocb, fd, iov[0].iov_base, iov[0].iov_len, (long long)offset);
	} else if (write) {
		io_prep_pwritev(iocb, fd, iov, iovcnt, (long long)offset);
	} else {
		io_prep_preadv(iocb, fd, iov, iovcnt, (long long)offset);
	}
	iocb->aio_rw_flags = rw_flags;
	return enqueue(q, iocb, ctx);
}

int bdev_aio_queue_fsync(struct bdev_aio_queue *q, struct iocb *iocb, int fd, void *ctx)
{
	if (iocb == NULL || fd < 0)
		return -EINVAL;
	if (bdev_aio_queue_free_slots(q) == 0)
		return -EAGAIN;
	io_prep_fdsync(iocb, fd);
	return enqueue(q, iocb, ctx);
}

int bdev_aio_queue_submit(struct bdev_aio_queue *q)
{
	uint32_t done = 0, accepted = 0;

	while (done < q->queued) {
		int rc = io_submit(q->ctx, (long)(q->queued - done), q->pending + done);

		if (rc > 0) {
			done += (uint32_t)rc;
			accepted += (uint32_t)rc;
			continue;
		}
		if (rc == 0 || rc == -EAGAIN || rc == -EINTR)
			break; /* kernel out of resources: retry at the next poll */
		/* The first iocb is refused (-EINVAL, -EBADF, ...): fail it alone and go on. */
		q->failed[q->nfailed].ctx = q->pending[done]->data;
		q->failed[q->nfailed].res = rc;
		q->nfailed++;
		done++;
	}
	if (done > 0) {
		memmove(q->pending, q->pending + done, (q->queued - done) * sizeof(*q->pending));
		q->queued -= done;
		q->inflight += accepted;
	}
	return (int)accepted;
}

static uint32_t reap_user_ring(struct bdev_aio_queue *q, struct bdev_aio_cpl *cpls, uint32_t max)
{
	struct aio_user_ring *ring = q->uring;
	unsigned int head = ring->head, nr = ring->nr;
	/* Pairs with the kernel's write barrier before it publishes the tail. */
	unsigned int tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	uint32_t n = 0;

	while (head != tail && n < max) {
		const struct io_event *ev = &ring->events[head];

		cpls[n].ctx = ev->data;
		cpls[n].res = (int64_t)(long)ev->res;
		n++;
		head = (head + 1) % nr;
	}
	if (n > 0)
		/* Events read above before the kernel may reuse their slots. */
		__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	return n;
}

uint32_t bdev_aio_queue_reap(struct bdev_aio_queue *q, struct bdev_aio_cpl *cpls, uint32_t max)
{
	uint32_t n = 0, got;

	while (q->nfailed > 0 && n < max) {
		cpls[n++] = q->failed[--q->nfailed];
	}
	if (q->inflight == 0 || n == max)
		return n;
	if (q->uring != NULL) {
		got = reap_user_ring(q, cpls + n, max - n);
	} else {
		struct timespec zero = {0, 0};
		uint32_t want = max - n < q->depth ? max - n : q->depth;
		int rc = io_getevents(q->ctx, 0, (long)want, q->events, &zero);
		uint32_t i;

		got = rc > 0 ? (uint32_t)rc : 0;
		for (i = 0; i < got; i++) {
			cpls[n + i].ctx = q->events[i].data;
			cpls[n + i].res = (int64_t)(long)q->events[i].res;
		}
	}
	q->inflight -= got;
	return n + got;
}
