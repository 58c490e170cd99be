/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Blob I/O: per-thread channels with a request pool, splitting at cluster
 * boundaries, reads through the parent chain, allocation of clusters on
 * first write (by a task on the metadata thread), and freezing a blob's I/O
 * while its cluster map is replaced (resize, snapshot).
 *
 * A request walks its range one cluster piece at a time: each piece is one
 * device operation (or a zero fill, or nothing). Devices may complete inside
 * the submitting call; the in_submit/done_inline pair turns such completions
 * into the next loop iteration instead of a recursion per piece.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blob_internal.h"
#include "spdk_io/log.h"
#include "spdk_io/trace.h"
#include "thread/thread_current.h"

enum req_op {
	REQ_READ,  /* readv */
	REQ_WRITE, /* writev */
	REQ_UNMAP,
	REQ_WZ,    /* write zeroes */
};

struct bs_channel;

struct blob_req {
	TAILQ_ENTRY(blob_req) link;
	struct bs_channel *ch;
	struct sio_blob *blob;
	struct sio_thread *thread;
	enum req_op op;
	uint64_t offset;      /* next io unit to do */
	uint64_t remaining;   /* io units */
	struct iovec *iov;    /* the caller's (kept until completion) */
	int iovcnt;
	struct iovec one;     /* single-buffer calls */
	int iov_idx;          /* position in iov */
	size_t iov_off;
	struct iovec piece[BS_MAX_IOV];
	int piece_cnt;
	sio_done_cb cb;
	void *cb_arg;
	int rc;
	bool in_submit;
	bool done_inline;
	uint64_t alloc_ci;    /* cluster index to allocate */
};

struct bs_channel {
	struct sio_blob_store *bs;
	struct sio_thread *thread;     /* the channel's thread (checked on submit) */
	struct sio_io_channel *dev_ch;
	struct blob_req *reqs;
	TAILQ_HEAD(, blob_req) free_reqs;
	TAILQ_HEAD(, blob_req) frozen; /* waiting for a blob's unfreeze */
	uint32_t inflight;             /* requests started, not completed */
};

static int bs_channel_create(void *io_device, void *ctx)
{
	struct sio_blob_store *bs = io_device;
	struct bs_channel *ch = ctx;

	ch->bs = bs;
	ch->thread = sio_thread_get_current();
	TAILQ_INIT(&ch->free_reqs);
	TAILQ_INIT(&ch->frozen);
	ch->reqs = calloc(BS_REQS_PER_CHANNEL, sizeof(*ch->reqs));
	if (ch->reqs == NULL)
		return -ENOMEM;
	ch->dev_ch = bs->dev->create_channel(bs->dev);
	if (ch->dev_ch == NULL) {
		free(ch->reqs);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < BS_REQS_PER_CHANNEL; i++) {
		ch->reqs[i].ch = ch;
		TAILQ_INSERT_TAIL(&ch->free_reqs, &ch->reqs[i], link);
	}
	return 0;
}

static void bs_channel_destroy(void *io_device, void *ctx)
{
	struct bs_channel *ch = ctx;

	if (ch->inflight || !TAILQ_EMPTY(&ch->frozen))
		SIO_ERRLOG("blobstore channel destroyed with %u requests in flight", ch->inflight);
	ch->bs->dev->destroy_channel(ch->bs->dev, ch->dev_ch);
	free(ch->reqs);
}

int bs_io_device_register(struct sio_blob_store *bs)
{
	return sio_io_device_register(bs, bs_channel_create, bs_channel_destroy,
				      sizeof(struct bs_channel), "blobstore");
}

struct sio_io_channel *sio_bs_alloc_io_channel(struct sio_blob_store *bs)
{
	if (bs == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return sio_io_channel_get(bs);
}

void sio_bs_free_io_channel(struct sio_io_channel *ch)
{
	sio_io_channel_put(ch);
}

/* ------------------------------------------------------------------------ */

static void req_complete(struct blob_req *r)
{
	struct bs_channel *ch = r->ch;
	sio_done_cb cb = r->cb;
	void *cb_arg = r->cb_arg;
	int rc = r->rc;

	SIO_TRACE(SIO_TP_BLOB_IO_DONE, r->blob, r, rc, 0, 0);
	ch->inflight--;
	TAILQ_INSERT_HEAD(&ch->free_reqs, r, link);
	cb(cb_arg, rc);
}

/* Take the next @bytes of the caller's iovecs into r->piece. */
static void piece_build(struct blob_req *r, size_t bytes)
{
	r->piece_cnt = 0;
	while (bytes > 0 && r->iov_idx < r->iovcnt) {
		struct iovec *v = &r->iov[r->iov_idx];
		size_t n = v->iov_len - r->iov_off;

		if (n > bytes)
			n = bytes;
		if (n > 0) {
			r->piece[r->piece_cnt].iov_base = (uint8_t *)v->iov_base + r->iov_off;
			r->piece[r->piece_cnt].iov_len = n;
			r->piece_cnt++;
		}
		bytes -= n;
		r->iov_off += n;
		if (r->iov_off == v->iov_len) {
			r->iov_idx++;
			r->iov_off = 0;
		}
	}
}

static void req_continue(struct blob_req *r);

static void piece_done(void *arg, int rc)
{
	struct blob_req *r = arg;

	if (rc != 0 && r->rc == 0)
		r->rc = rc;
	if (r->in_submit) {
		r->done_inline = true;
		return;
	}
	req_continue(r);
}

static void alloc_done_msg(void *arg)
{
	struct blob_req *r = arg;

	if (r->rc != 0)
		req_complete(r);
	else
		req_continue(r);
}

static void alloc_reply(struct blob_req *r, int rc)
{
	r->rc = rc;
	if (sio_thread_send_msg(r->thread, alloc_done_msg, r) != 0) {
		/* The I/O thread is gone: nobody is left to complete to. */
		SIO_ERRLOG("blobstore: cannot return a request to its thread");
	}
}

/* On the metadata thread: allocate and fill r->alloc_ci, persist the map. */
static int alloc_task(void *arg)
{
	struct blob_req *r = arg;
	struct sio_blob *b = r->blob;
	struct sio_blob_store *bs = b->bs;
	uint64_t ci = r->alloc_ci;
	uint32_t c;
	int rc = 0;

	bs_lock(bs);
	if (blob_cluster_get(b, ci) != 0)
		goto out; /* another request allocated it meanwhile */
	rc = bs_alloc_cluster(bs, &c);
	if (rc != 0)
		goto out;
	rc = blob_fill_cluster(b, ci, c);
	if (rc == 0) {
		/*
		 * Published only after the map is durable: a write another
		 * thread completes (and flushes) in this cluster must survive
		 * a crash, so the cluster must not be visible before.
		 */
		b->persist_ci = ci;
		b->persist_c = c;
		rc = blob_persist(b);
		b->persist_c = 0;
	}
	if (rc == 0)
		blob_cluster_set(b, ci, c);
	else
		bs_release_cluster(bs, c);
out:
	bs_unlock(bs);
	alloc_reply(r, rc);
	return 0;
}

static void alloc_msg(void *arg)
{
	struct blob_req *r = arg;
	int rc = sio_task_spawn(NULL, alloc_task, r, NULL);

	if (rc != 0)
		alloc_reply(r, rc);
}

enum piece_action {
	PIECE_DEV,   /* a device operation was started */
	PIECE_SYNC,  /* done without the device (zero fill, nothing to do) */
	PIECE_ALLOC, /* the cluster must be allocated first */
};

static enum piece_action piece_start(struct blob_req *r, uint64_t ci, uint64_t within,
				     uint64_t n)
{
	struct sio_blob *b = r->blob;
	struct sio_blob_store *bs = b->bs;
	struct sio_blob_dev *dev = bs->dev;
	struct sio_blob *owner = NULL;
	uint32_t c = blob_lookup(b, ci, &owner);
	uint64_t lba = (uint64_t)c * bs->upc + within;
	int rc;

	switch (r->op) {
	case REQ_READ:
		piece_build(r, n * bs->io_unit);
		if (c == 0) {
			for (int i = 0; i < r->piece_cnt; i++)
				memset(r->piece[i].iov_base, 0, r->piece[i].iov_len);
			return PIECE_SYNC;
		}
		rc = dev->readv(dev, r->ch->dev_ch, r->piece, r->piece_cnt, lba, (uint32_t)n,
				piece_done, r);
		break;
	case REQ_WRITE:
		if (owner != b)
			return PIECE_ALLOC;
		piece_build(r, n * bs->io_unit);
		rc = dev->writev(dev, r->ch->dev_ch, r->piece, r->piece_cnt, lba, (uint32_t)n,
				 piece_done, r);
		break;
	case REQ_UNMAP:
		if (owner != b)
			return PIECE_SYNC;
		rc = dev->unmap(dev, r->ch->dev_ch, lba, n, piece_done, r);
		break;
	case REQ_WZ:
	default:
		if (owner == NULL)
			return PIECE_SYNC; /* reads as zeroes already */
		if (owner != b)
			return PIECE_ALLOC;
		rc = dev->write_zeroes(dev, r->ch->dev_ch, lba, n, piece_done, r);
		break;
	}
	if (rc != 0) {
		r->rc = rc;
		r->done_inline = true;
	}
	return PIECE_DEV;
}

static void req_continue(struct blob_req *r)
{
	struct sio_blob_store *bs = r->blob->bs;

	while (r->remaining > 0 && r->rc == 0) {
		uint64_t ci = r->offset / bs->upc, within = r->offset % bs->upc;
		uint64_t n = bs->upc - within;
		enum piece_action a;

		if (n > r->remaining)
			n = r->remaining;
		r->in_submit = true;
		r->done_inline = false;
		a = piece_start(r, ci, within, n);
		r->in_submit = false;
		if (a == PIECE_ALLOC) {
			r->alloc_ci = ci;
			if (sio_thread_send_msg(bs->md_thread, alloc_msg, r) == 0)
				return;
			r->rc = -ENOMEM;
			break;
		}
		r->offset += n;
		r->remaining -= n;
		if (a == PIECE_DEV && !r->done_inline)
			return; /* piece_done() continues */
	}
	req_complete(r);
}

/* Start (or restart after a freeze) a request taken from the pool. */
static void req_start(struct blob_req *r)
{
	struct sio_blob *b = r->blob;

	SIO_TRACE(SIO_TP_BLOB_IO_START, b, r, r->op, r->offset, r->remaining);
	r->ch->inflight++;
	if (r->offset + r->remaining > b->num_clusters * b->bs->upc) {
		r->rc = -EINVAL; /* the blob shrank while the request waited */
		req_complete(r);
		return;
	}
	req_continue(r);
}

static void fast_done(void *arg, int rc)
{
	struct blob_req *r = arg;

	r->rc = rc;
	req_complete(r);
}

/*
 * The common case, sent straight to the device with the caller's iovecs: a
 * read or write inside one cluster that the blob (or, for a read, an
 * ancestor) has allocated, on a blob that is not frozen, whose iovecs hold
 * exactly the request. No piece walk, no iovec copy. Returns false when the
 * request needs the general path (several clusters, allocation, zero fill).
 */
static bool fast_path(struct blob_req *r, struct sio_blob *blob, struct bs_channel *bch)
{
	struct sio_blob_store *bs = blob->bs;
	uint64_t ci = r->offset / bs->upc, within = r->offset % bs->upc;
	struct sio_blob *owner;
	uint32_t c;
	int rc;

	if (within + r->remaining > bs->upc)
		return false;
	c = blob_cluster_get(blob, ci);
	owner = blob;
	if (c == 0) {
		if (r->op == REQ_WRITE)
			return false;
		c = blob_lookup(blob, ci, &owner);
		if (c == 0)
			return false;
	}
	bch->inflight++;
	if (r->op == REQ_READ)
		rc = bs->dev->readv(bs->dev, bch->dev_ch, r->iov, r->iovcnt,
				    (uint64_t)c * bs->upc + within, (uint32_t)r->remaining, fast_done, r);
	else
		rc = bs->dev->writev(bs->dev, bch->dev_ch, r->iov, r->iovcnt,
				     (uint64_t)c * bs->upc + within, (uint32_t)r->remaining, fast_done,
				     r);
	if (rc != 0) {
		r->rc = rc;
		req_complete(r);
	}
	return true;
}

static int blob_submit(struct sio_blob *blob, struct sio_io_channel *ch, enum req_op op,
		       struct iovec *iov, int iovcnt, void *buf, uint64_t offset, uint64_t length,
		       sio_done_cb cb, void *cb_arg)
{
	struct bs_channel *bch;
	struct blob_req *r;
	size_t bytes = 0;
	struct sio_thread *thread;

	if (blob == NULL || ch == NULL || cb == NULL || length == 0 || offset + length < offset)
		return -EINVAL;
	bch = sio_io_channel_get_ctx(ch);
	thread = sio_thread_get_current();
	/* The context's own copies: cheaper than the channel's getters on every I/O. */
	if (bch->bs != blob->bs || bch->thread != thread)
		return -EINVAL;
	if (op == REQ_READ || op == REQ_WRITE) {
		if (buf == NULL && (iov == NULL || iovcnt <= 0 || iovcnt > BS_MAX_IOV))
			return -EINVAL;
		for (int i = 0; buf == NULL && i < iovcnt; i++)
			bytes += iov[i].iov_len;
		if (buf == NULL && bytes < length * blob->bs->io_unit)
			return -EINVAL;
	}
	if (op != REQ_READ && (__atomic_load_n(&blob->flags, __ATOMIC_RELAXED) & BLOB_F_READ_ONLY))
		return -EPERM;
	r = TAILQ_FIRST(&bch->free_reqs);
	if (r == NULL)
		return -ENOMEM;
	if (!__atomic_load_n(&blob->frozen, __ATOMIC_ACQUIRE) &&
	    offset + length > blob->num_clusters * blob->bs->upc)
		return -EINVAL;
	TAILQ_REMOVE(&bch->free_reqs, r, link);
	r->blob = blob;
	r->thread = thread;
	r->op = op;
	r->offset = offset;
	r->remaining = length;
	if (buf != NULL) {
		r->one.iov_base = buf;
		r->one.iov_len = length * blob->bs->io_unit;
		r->iov = &r->one;
		r->iovcnt = 1;
	} else {
		r->iov = iov;
		r->iovcnt = iovcnt;
	}
	r->iov_idx = 0;
	r->iov_off = 0;
	r->cb = cb;
	r->cb_arg = cb_arg;
	r->rc = 0;
	/*
	 * Acquire pairs with the release in bs_freeze_blob()/bs_unfreeze_blob():
	 * a freeze whose drain visit already ran on this thread is seen here.
	 */
	if (__atomic_load_n(&blob->frozen, __ATOMIC_ACQUIRE)) {
		TAILQ_INSERT_TAIL(&bch->frozen, r, link);
		return 0;
	}
	if ((op == REQ_READ || op == REQ_WRITE) &&
	    (buf != NULL || bytes == length * blob->bs->io_unit) && fast_path(r, blob, bch))
		return 0;
	req_start(r);
	return 0;
}

int sio_blob_read(struct sio_blob *blob, struct sio_io_channel *ch, void *buf, uint64_t offset,
		  uint64_t length, sio_done_cb cb, void *cb_arg)
{
	if (buf == NULL)
		return -EINVAL;
	return blob_submit(blob, ch, REQ_READ, NULL, 0, buf, offset, length, cb, cb_arg);
}

int sio_blob_write(struct sio_blob *blob, struct sio_io_channel *ch, void *buf, uint64_t offset,
		   uint64_t length, sio_done_cb cb, void *cb_arg)
{
	if (buf == NULL)
		return -EINVAL;
	return blob_submit(blob, ch, REQ_WRITE, NULL, 0, buf, offset, length, cb, cb_arg);
}

int sio_blob_readv(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
		   int iovcnt, uint64_t offset, uint64_t length, sio_done_cb cb, void *cb_arg)
{
	return blob_submit(blob, ch, REQ_READ, iov, iovcnt, NULL, offset, length, cb, cb_arg);
}

int sio_blob_writev(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
		    int iovcnt, uint64_t offset, uint64_t length, sio_done_cb cb, void *cb_arg)
{
	return blob_submit(blob, ch, REQ_WRITE, iov, iovcnt, NULL, offset, length, cb, cb_arg);
}

int sio_blob_unmap(struct sio_blob *blob, struct sio_io_channel *ch, uint64_t offset,
		   uint64_t length, sio_done_cb cb, void *cb_arg)
{
	return blob_submit(blob, ch, REQ_UNMAP, NULL, 0, NULL, offset, length, cb, cb_arg);
}

int sio_blob_write_zeroes(struct sio_blob *blob, struct sio_io_channel *ch, uint64_t offset,
			  uint64_t length, sio_done_cb cb, void *cb_arg)
{
	return blob_submit(blob, ch, REQ_WZ, NULL, 0, NULL, offset, length, cb, cb_arg);
}

int sio_blob_flush(struct sio_blob *blob, struct sio_io_channel *ch, sio_done_cb cb,
		   void *cb_arg)
{
	struct bs_channel *bch;

	if (blob == NULL || ch == NULL || cb == NULL || sio_io_channel_get_io_device(ch) != blob->bs)
		return -EINVAL;
	bch = sio_io_channel_get_ctx(ch);
	return blob->bs->dev->flush(blob->bs->dev, bch->dev_ch, cb, cb_arg);
}

/* ------------------------------------------------------------------------ */
/* Direct I/O: the caller does the device operation (sio_blob_direct_start) */
/* ------------------------------------------------------------------------ */

/*
 * fast_path()'s test without its request: the caller's device I/O counts in
 * ch->inflight like a request, so drain_channel() waits for it. The frozen
 * test and the increment run on the channel's thread, as the drain visit
 * does: a visit that ran before this call left a freeze this load sees
 * (acquire, pairing with the release in bs_freeze_blob()), one that runs
 * after finds the count.
 */
static __attribute__((noinline)) int direct_start_ancestor(struct bs_channel *bch,
								struct sio_blob *blob, uint64_t ci,
								uint64_t within, uint64_t *dev_lba,
								struct sio_io_channel **dev_ch)
{
	struct sio_blob *owner;
	uint32_t c = blob_lookup(blob, ci, &owner);

	if (c == 0)
		return -EAGAIN; /* reads as zeroes: the general path fills */
	bch->inflight++;
	*dev_lba = ((uint64_t)c << blob->bs->upc_shift) + within;
	*dev_ch = bch->dev_ch;
	return 0;
}

int sio_blob_direct_start(struct sio_blob *blob, struct sio_io_channel *ch, bool write,
			  uint64_t offset, uint64_t length, uint64_t *dev_lba,
			  struct sio_io_channel **dev_ch)
{
	struct bs_channel *bch = thread_io_channel_ctx(ch);
	struct sio_blob_store *bs = blob->bs;
	uint64_t ci, within;
	uint32_t c;

	if (__builtin_expect(bch->bs != bs || bch->thread != thread_current() ||
			     __atomic_load_n(&blob->frozen, __ATOMIC_ACQUIRE) != 0, 0))
		return -EAGAIN;
	ci = offset >> bs->upc_shift;
	within = offset & (bs->upc - 1);
	/* Unsigned: an empty request wraps around and fails too. */
	if (length - 1 >= bs->upc - within || ci >= blob->num_clusters)
		return -EAGAIN;
	c = blob_cluster_get(blob, ci);
	if (c == 0) /* a write allocates; a read may find an ancestor's cluster */
		return write ? -EAGAIN : direct_start_ancestor(bch, blob, ci, within, dev_lba, dev_ch);
	if (write && (__atomic_load_n(&blob->flags, __ATOMIC_RELAXED) & BLOB_F_READ_ONLY))
		return -EAGAIN;
	bch->inflight++;
	*dev_lba = ((uint64_t)c << bs->upc_shift) + within;
	*dev_ch = bch->dev_ch;
	return 0;
}

void sio_blob_direct_done(struct sio_io_channel *ch)
{
	struct bs_channel *bch = thread_io_channel_ctx(ch);

	bch->inflight--;
}

/* ------------------------------------------------------------------------ */
/* Freeze: hold new I/O of a blob, wait until every channel is idle         */
/* ------------------------------------------------------------------------ */

struct drain_visit {
	struct sio_io_channel_iter *i;
	struct bs_channel *ch;
	struct sio_poller *p;
};

static int drain_poll(void *arg)
{
	struct drain_visit *v = arg;

	if (v->ch->inflight != 0)
		return 0;
	sio_poller_unregister(&v->p);
	sio_for_each_channel_continue(v->i, 0);
	free(v);
	return 1;
}

static void drain_channel(struct sio_io_channel_iter *i)
{
	struct bs_channel *ch = sio_io_channel_get_ctx(sio_io_channel_iter_get_channel(i));
	struct drain_visit *v;

	if (ch->inflight == 0) {
		sio_for_each_channel_continue(i, 0);
		return;
	}
	v = calloc(1, sizeof(*v));
	if (v != NULL) {
		v->i = i;
		v->ch = ch;
		v->p = sio_poller_register(drain_poll, v, 50);
	}
	if (v == NULL || v->p == NULL) {
		free(v);
		sio_for_each_channel_continue(i, -ENOMEM);
	}
}

static void walk_done(struct sio_io_channel_iter *i, int status)
{
	sio_future_complete(sio_io_channel_iter_get_ctx(i), status, NULL);
}

int bs_freeze_blob(struct sio_blob *blob)
{
	struct sio_future f;
	int rc;

	__atomic_add_fetch(&blob->frozen, 1, __ATOMIC_RELEASE);
	rc = sio_future_init_await(&f);
	if (rc == 0)
		rc = sio_for_each_channel(blob->bs, drain_channel, &f, walk_done);
	if (rc == 0)
		rc = sio_await(&f);
	if (rc != 0)
		bs_unfreeze_blob(blob);
	return rc;
}

static void resume_channel(struct sio_io_channel_iter *i)
{
	struct bs_channel *ch = sio_io_channel_get_ctx(sio_io_channel_iter_get_channel(i));
	TAILQ_HEAD(, blob_req) ready = TAILQ_HEAD_INITIALIZER(ready);
	struct blob_req *r, *t;

	for (r = TAILQ_FIRST(&ch->frozen); r != NULL; r = t) {
		t = TAILQ_NEXT(r, link);
		if (!__atomic_load_n(&r->blob->frozen, __ATOMIC_ACQUIRE)) {
			TAILQ_REMOVE(&ch->frozen, r, link);
			TAILQ_INSERT_TAIL(&ready, r, link);
		}
	}
	while ((r = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, r, link);
		req_start(r);
	}
	sio_for_each_channel_continue(i, 0);
}

static void resume_done(struct sio_io_channel_iter *i, int status)
{
}

void bs_unfreeze_blob(struct sio_blob *blob)
{
	/* Release pairs with the acquire in blob_submit()/resume_channel(). */
	if (__atomic_sub_fetch(&blob->frozen, 1, __ATOMIC_RELEASE) != 0)
		return;
	if (sio_for_each_channel(blob->bs, resume_channel, NULL, resume_done) != 0)
		SIO_ERRLOG("blob 0x%" PRIx64 ": cannot resume held I/O", blob->id);
}

/* ---- awaitable forms ---- */

int sio_blob_read_await(struct sio_blob *blob, struct sio_io_channel *ch, void *buf,
			uint64_t offset, uint64_t length)
{
	return SIO_AWAIT_CALL(sio_blob_read, blob, ch, buf, offset, length);
}

int sio_blob_write_await(struct sio_blob *blob, struct sio_io_channel *ch, void *buf,
			 uint64_t offset, uint64_t length)
{
	return SIO_AWAIT_CALL(sio_blob_write, blob, ch, buf, offset, length);
}

int sio_blob_readv_await(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
			 int iovcnt, uint64_t offset, uint64_t length)
{
	return SIO_AWAIT_CALL(sio_blob_readv, blob, ch, iov, iovcnt, offset, length);
}

int sio_blob_writev_await(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
			  int iovcnt, uint64_t offset, uint64_t length)
{
	return SIO_AWAIT_CALL(sio_blob_writev, blob, ch, iov, iovcnt, offset, length);
}

int sio_blob_unmap_await(struct sio_blob *blob, struct sio_io_channel *ch, uint64_t offset,
			 uint64_t length)
{
	return SIO_AWAIT_CALL(sio_blob_unmap, blob, ch, offset, length);
}

int sio_blob_write_zeroes_await(struct sio_blob *blob, struct sio_io_channel *ch,
				uint64_t offset, uint64_t length)
{
	return SIO_AWAIT_CALL(sio_blob_write_zeroes, blob, ch, offset, length);
}

int sio_blob_flush_await(struct sio_blob *blob, struct sio_io_channel *ch)
{
	return SIO_AWAIT_CALL(sio_blob_flush, blob, ch);
}
