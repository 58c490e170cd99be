/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "uring" implementation: one io_uring per group part.
 *
 * - Readiness: one multishot poll (IORING_POLL_ADD_MULTI) per socket, armed
 *   once when it joins the group; the kernel posts a completion whenever
 *   the socket becomes readable. Reading is a plain recvmsg() into the
 *   caller's buffers (no intermediate copy). A socket stays reported
 *   readable until a read finds nothing, so a callback that leaves data
 *   unread is called again, as with the level-triggered epoll of "posix".
 * - Sends: each socket's queued requests go as one IORING_OP_SENDMSG
 *   (up to SOCK_SEND_IOV_MAX buffers), one in flight per socket; every
 *   socket's send of a poll is submitted with one io_uring_enter() together
 *   with the poll's other submissions. The kernel waits for send space
 *   itself, so a full send buffer costs no wake-up of ours.
 * - A poll with nothing to submit makes no system call: completions are
 *   read from the shared ring.
 *
 * Completions are only recorded while the ring is reaped and processed
 * afterwards, so reaping (also from inside sio_sock_group_remove_sock(),
 * which waits for its poll's cancellation) never runs a caller's callback.
 * Zero-copy sends are not used by this implementation (its options are
 * accepted and reported); outside a group a "uring" socket behaves as a
 * "posix" one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>

#include "sock_internal.h"

#define URING_SQ_ENTRIES 1024
#define URING_CQ_ENTRIES 8192
#define URING_CQE_BATCH 256

/* What a completion is for: the low bits of its user_data (sockets are 16-byte aligned: calloc). */
enum uring_op {
	URING_OP_NONE = 0, /* nothing to do */
	URING_OP_POLL = 1,
	URING_OP_SEND = 2,
	URING_OP_CANCEL = 3, /* a poll removal's own result */
	URING_OP_RECV = 4,   /* multishot receive into the group's buffer ring */
};
#define URING_OP_MASK 7ull

/* The group's receive buffers (multishot receive): a ring of provided
 * buffers the kernel fills; a socket holds the ones with its unread data. */
#define URING_RBUF_COUNT 256
#define URING_RBUF_SIZE (16 * 1024)
#define URING_RBUF_GROUP 0

struct uring_sock;

extern const struct sio_sock_impl_ops sio_sock_impl_uring;

struct uring_group {
	struct sock_group_impl base;
	struct io_uring ring;
	uint32_t to_submit;                   /* prepared SQEs not yet submitted */
	TAILQ_HEAD(, uring_sock) readable;    /* reported readable, not yet read dry */
	TAILQ_HEAD(, uring_sock) done;        /* send completions recorded, not processed */
	TAILQ_HEAD(, uring_sock) inflight;    /* sockets with requests in this ring */
	/* Multishot receive (enable_recv_pipe, and a kernel with buffer rings). */
	bool recv_multishot;
	struct io_uring_buf_ring *br;
	uint8_t *rbufs;
};

struct uring_sock {
	struct sio_sock base;
	struct uring_group *rg;   /* ring its requests are in (NULL: none) */
	bool poll_armed;          /* its multishot poll (or receive) is in the ring */
	bool recv_mode;           /* readiness and data by multishot receive, not poll */
	bool rx_eof;              /* the receive saw the end of the stream */
	int rx_err;               /* ... or this error */
	/* Buffers of the group's ring holding unread data, in order. */
	uint16_t rx_bid[URING_RBUF_COUNT];
	uint16_t rx_len[URING_RBUF_COUNT];
	uint32_t rx_head, rx_count;
	uint32_t rx_off;          /* bytes of the head buffer already read */
	/* Unread data copied out when it left the group (rare). */
	uint8_t *spill;
	size_t spill_len, spill_off;
	bool readable;            /* on rg->readable */
	bool send_inflight;       /* a sendmsg in the ring */
	bool send_done;           /* on rg->done, send_res valid */
	bool on_inflight;         /* on rg->inflight */
	bool removing;            /* leaving its group: its poll must not be re-armed */
	bool cancel_pending;      /* a poll removal in the ring */
	int send_res;
	TAILQ_ENTRY(uring_sock) readable_link;
	TAILQ_ENTRY(uring_sock) done_link;
	TAILQ_ENTRY(uring_sock) inflight_link;
	struct msghdr msg;
	struct iovec iov[SOCK_SEND_IOV_MAX];
};

static pthread_once_t g_probe_once = PTHREAD_ONCE_INIT;
static bool g_available;

static void probe(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0) == 0) {
		g_available = true;
		io_uring_queue_exit(&ring);
	}
}

static bool uring_available(void)
{
	pthread_once(&g_probe_once, probe);
	return g_available;
}

static inline struct uring_sock *us_of(struct sio_sock *s)
{
	return (struct uring_sock *)s;
}

static void inflight_update(struct uring_sock *us)
{
	bool want = us->poll_armed || us->send_inflight || us->send_done || us->cancel_pending;

	if (want == us->on_inflight)
		return;
	if (want)
		TAILQ_INSERT_TAIL(&us->rg->inflight, us, inflight_link);
	else
		TAILQ_REMOVE(&us->rg->inflight, us, inflight_link);
	us->on_inflight = want;
	if (!want && us->base.group == NULL) {
		/* Nothing of it left in this ring: it no longer needs a home. */
		us->base.home = NULL;
		us->rg = NULL;
	}
}

static struct io_uring_sqe *sqe_get(struct uring_group *rg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rg->ring);

	if (sqe == NULL) {
		/* Submission queue full: hand it to the kernel and retry. */
		io_uring_submit(&rg->ring);
		rg->to_submit = 0;
		sqe = io_uring_get_sqe(&rg->ring);
	}
	if (sqe != NULL)
		rg->to_submit++;
	return sqe;
}

static void readable_set(struct uring_sock *us, bool on)
{
	if (us->readable == on || us->rg == NULL)
		return;
	if (on)
		TAILQ_INSERT_TAIL(&us->rg->readable, us, readable_link);
	else
		TAILQ_REMOVE(&us->rg->readable, us, readable_link);
	us->readable = on;
}

static uint8_t *rbuf(struct uring_group *rg, uint16_t bid)
{
	return rg->rbufs + (size_t)bid * URING_RBUF_SIZE;
}

/* Gives buffer @bid back to the kernel. */
static void rbuf_recycle(struct uring_group *rg, uint16_t bid)
{
	io_uring_buf_ring_add(rg->br, rbuf(rg, bid), URING_RBUF_SIZE, bid,
			      io_uring_buf_ring_mask(URING_RBUF_COUNT), 0);
	/* Publishes the entry (a release store of the tail, paired with the
	 * kernel's acquire when it picks a buffer). */
	io_uring_buf_ring_advance(rg->br, 1);
}

/* Copies up to @len buffered bytes to @dst (NULL: drop them); returns the count. */
static size_t rx_take(struct uring_sock *us, uint8_t *dst, size_t len)
{
	size_t done = 0;

	while (done < len && us->rx_count > 0) {
		uint32_t i = us->rx_head % URING_RBUF_COUNT;
		size_t n = us->rx_len[i] - us->rx_off;

		if (n > len - done)
			n = len - done;
		if (dst != NULL)
			memcpy(dst + done, rbuf(us->rg, us->rx_bid[i]) + us->rx_off, n);
		done += n;
		us->rx_off += (uint32_t)n;
		if (us->rx_off == us->rx_len[i]) {
			rbuf_recycle(us->rg, us->rx_bid[i]);
			us->rx_head++;
			us->rx_count--;
			us->rx_off = 0;
		}
	}
	return done;
}

static void uring_drained(struct sio_sock *sock);

static ssize_t uring_readv(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	struct uring_sock *us = us_of(sock);
	size_t total = 0, want = 0;
	ssize_t got;

	if (us->spill != NULL) {
		for (int i = 0; i < iovcnt && us->spill_off < us->spill_len; i++) {
			size_t n = us->spill_len - us->spill_off;

			if (n > iov[i].iov_len)
				n = iov[i].iov_len;
			memcpy(iov[i].iov_base, us->spill + us->spill_off, n);
			us->spill_off += n;
			total += n;
		}
		if (us->spill_off == us->spill_len) {
			free(us->spill);
			us->spill = NULL;
		}
		return (ssize_t)total;
	}
	for (int i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	if (us->rx_count > 0) {
		for (int i = 0; i < iovcnt && us->rx_count > 0; i++)
			total += rx_take(us, iov[i].iov_base, iov[i].iov_len);
		/* Short: every received buffer is taken; the armed receive
		 * reports what comes next (as after -EAGAIN, without the
		 * caller's extra read that would find nothing). */
		if (total < want && us->rx_count == 0 && us->rx_err == 0 && !us->rx_eof)
			uring_drained(sock);
		return (ssize_t)total;
	}
	if (us->rx_err != 0)
		return us->rx_err;
	if (us->rx_eof)
		return SIO_SOCK_EOF;
	/* The armed receive owns the socket's data: reading it here would
	 * reorder the stream. Without one (outside a group, out of buffers)
	 * the kernel's queue is ours. */
	if (us->recv_mode && us->poll_armed)
		return -EAGAIN;
	got = sock_readv_syscall(sock, iov, iovcnt);
	/* Short: the kernel's queue is empty now; the readiness poll reports
	 * bytes that arrive after this read. */
	if (got > 0 && (size_t)got < want && sock->group != NULL)
		uring_drained(sock);
	return got;
}

static int readiness_arm(struct uring_sock *us);

/* Read dry: no longer reported until the kernel sees new data. */
static void uring_drained(struct sio_sock *sock)
{
	struct uring_sock *us = us_of(sock);

	readable_set(us, false);
	/* A receive that ran out of buffers starts again once read dry. */
	if (us->recv_mode && !us->poll_armed && sock->group != NULL && !sock->closed &&
	    !us->removing && !us->rx_eof && us->rx_err == 0)
		readiness_arm(us);
}

/* The multishot request reporting @us readable: a poll, or a receive. */
static uint64_t readiness_ud(struct uring_sock *us)
{
	return (uint64_t)(uintptr_t)us | (us->recv_mode ? URING_OP_RECV : URING_OP_POLL);
}

static int readiness_arm(struct uring_sock *us)
{
	struct io_uring_sqe *sqe = sqe_get(us->rg);

	if (sqe == NULL)
		return -EBUSY;
	if (us->recv_mode) {
		io_uring_prep_recv_multishot(sqe, us->base.fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = URING_RBUF_GROUP;
	} else {
		io_uring_prep_poll_multishot(sqe, us->base.fd, POLLIN | POLLRDHUP);
	}
	io_uring_sqe_set_data64(sqe, readiness_ud(us));
	us->poll_armed = true;
	inflight_update(us);
	return 0;
}

/* Records one completion; never runs a caller's callback. */
static void cqe_record(struct uring_group *rg, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct uring_sock *us = (struct uring_sock *)(uintptr_t)(ud & ~URING_OP_MASK);

	switch ((enum uring_op)(ud & URING_OP_MASK)) {
	case URING_OP_POLL:
		if (!(cqe->flags & IORING_CQE_F_MORE)) {
			/* Terminated: cancelled, or ended by the kernel (an
			 * error, a full completion queue): re-armed while the
			 * socket stays in the group. */
			us->poll_armed = false;
			if (!us->removing && us->base.group != NULL && !us->base.closed)
				readiness_arm(us);
			else
				inflight_update(us);
		}
		if (cqe->res > 0 && us->base.group != NULL && !us->base.closed)
			readable_set(us, true);
		break;
	case URING_OP_RECV:
		if (cqe->res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
			uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);

			if (us->base.closed) {
				rbuf_recycle(rg, bid);
			} else if (us->base.group == NULL) {
				/* Only after a removal that gave up waiting for the
				 * receive to end: the data cannot follow the socket. */
				rbuf_recycle(rg, bid);
				us->rx_err = -EIO;
			} else {
				/* Also while removing: the removal spills it. */
				uint32_t i = (us->rx_head + us->rx_count) % URING_RBUF_COUNT;

				us->rx_bid[i] = bid;
				us->rx_len[i] = (uint16_t)cqe->res;
				us->rx_count++;
			}
		} else if (cqe->res == 0) {
			us->rx_eof = true;
		} else if (cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
			us->rx_err = cqe->res;
		}
		if (!(cqe->flags & IORING_CQE_F_MORE)) {
			/* Ended: EOF, an error, cancelled, or out of buffers
			 * (restarted once the socket is read dry, see
			 * uring_drained(); meanwhile reads go to the kernel). */
			us->poll_armed = false;
			inflight_update(us);
		}
		/* -ENOBUFS included: the callback reads the kernel's queue. */
		if (cqe->res != -ECANCELED && us->base.group != NULL && !us->base.closed &&
		    !us->removing)
			readable_set(us, true);
		break;
	case URING_OP_CANCEL:
		/* -ENOENT: the poll was between a wake-up and its re-arm;
		 * the remover asks again while the poll is still armed. */
		us->cancel_pending = false;
		inflight_update(us);
		break;
	case URING_OP_SEND:
		us->send_inflight = false;
		us->send_res = cqe->res;
		us->send_done = true;
		TAILQ_INSERT_TAIL(&rg->done, us, done_link);
		break;
	default:
		break;
	}
}

static void ring_reap(struct uring_group *rg)
{
	struct io_uring_cqe *cqes[URING_CQE_BATCH];
	unsigned int n;

	do {
		n = io_uring_peek_batch_cqe(&rg->ring, cqes, URING_CQE_BATCH);
		for (unsigned int i = 0; i < n; i++)
			cqe_record(rg, cqes[i]);
		io_uring_cq_advance(&rg->ring, n);
	} while (n == URING_CQE_BATCH);
}

static void ring_submit(struct uring_group *rg)
{
	if (rg->to_submit == 0)
		return;
	io_uring_submit(&rg->ring);
	rg->to_submit = 0;
}

static int uring_flush(struct sio_sock *sock)
{
	struct uring_sock *us = us_of(sock);
	struct io_uring_sqe *sqe;
	bool zcopy;
	int cnt;

	if (sock->group == NULL || us->rg == NULL) {
		if (us->send_inflight || us->send_done)
			return sock->err; /* finishes in its old group first */
		return sock_flush_sendmsg(sock);
	}
	if (sock->err != 0) {
		sock_req_fail_all(&sock->queue, sock->err);
		return sock->err;
	}
	if (us->send_inflight || us->send_done || sock_req_list_empty(&sock->queue))
		return 0;
	cnt = sock_queue_iov(sock, us->iov, SOCK_SEND_IOV_MAX, &zcopy);
	sqe = sqe_get(us->rg);
	if (sqe == NULL)
		return 0; /* retried at the next flush */
	memset(&us->msg, 0, sizeof(us->msg));
	us->msg.msg_iov = us->iov;
	us->msg.msg_iovlen = (size_t)cnt;
	io_uring_prep_sendmsg(sqe, sock->fd, &us->msg, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)us | URING_OP_SEND);
	us->send_inflight = true;
	inflight_update(us);
	/* Inside a poll the group submits once for everyone. */
	if (!sock->group->polling)
		ring_submit(us->rg);
	return 0;
}

/* Processes recorded send completions: requests complete, the next send goes. */
static void done_process(struct uring_group *rg)
{
	struct uring_sock *us;

	while ((us = TAILQ_FIRST(&rg->done)) != NULL) {
		struct sio_sock *sock = &us->base;
		int res = us->send_res;

		TAILQ_REMOVE(&rg->done, us, done_link);
		us->send_done = false;
		if (sock->closed) {
			/* sock_fini moved what was queued to held. */
			sock_req_fail_all(&sock->held, -ECANCELED);
		} else if (res < 0) {
			sock_set_error(sock, res);
		} else {
			sock_queue_advance(sock, (size_t)res, false);
		}
		inflight_update(us);
		if (!sock->closed && sock->group != NULL && !sock_req_list_empty(&sock->queue))
			uring_flush(sock);
	}
}

static bool uring_busy(struct sio_sock *sock)
{
	struct uring_sock *us = us_of(sock);

	if (!sock_req_list_empty(&sock->held) && !us->send_inflight && !us->send_done)
		sock_zcopy_reap(sock); /* sent outside a group with MSG_ZEROCOPY */
	return us->poll_armed || us->send_inflight || us->send_done || us->cancel_pending ||
	       !sock_req_list_empty(&sock->held);
}

static void uring_sock_fini(struct sio_sock *sock)
{
	struct uring_sock *us = us_of(sock);
	struct sio_sock_request *req;

	free(us->spill);
	us->spill = NULL;
	/* The kernel reads the queue's buffers until the send completes. */
	if (us->send_inflight || us->send_done) {
		while ((req = sock_req_pop(&sock->queue)) != NULL) {
			req->internal.state = SOCK_REQ_HELD;
			sock_req_append(&sock->held, req);
		}
	}
}

/*
 * The group's receive buffers as a provided-buffer ring, when the kernel
 * has them (5.19+; multishot receive 6.0+). Without, the group polls for
 * readiness and reads straight into the caller's buffers.
 */
static void recv_ring_init(struct uring_group *rg)
{
	struct io_uring_buf_reg reg;
	void *br;

	if (posix_memalign(&br, 4096, URING_RBUF_COUNT * sizeof(struct io_uring_buf)) != 0)
		return;
	memset(br, 0, URING_RBUF_COUNT * sizeof(struct io_uring_buf));
	rg->rbufs = malloc((size_t)URING_RBUF_COUNT * URING_RBUF_SIZE);
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)br;
	reg.ring_entries = URING_RBUF_COUNT;
	reg.bgid = URING_RBUF_GROUP;
	if (rg->rbufs == NULL || io_uring_register_buf_ring(&rg->ring, &reg, 0) != 0) {
		free(rg->rbufs);
		rg->rbufs = NULL;
		free(br);
		return;
	}
	rg->br = br;
	for (uint16_t i = 0; i < URING_RBUF_COUNT; i++)
		io_uring_buf_ring_add(rg->br, rbuf(rg, i), URING_RBUF_SIZE, i,
				      io_uring_buf_ring_mask(URING_RBUF_COUNT), i);
	io_uring_buf_ring_advance(rg->br, URING_RBUF_COUNT);
	rg->recv_multishot = true;
}

static int uring_group_init(struct sock_group_impl *g)
{
	struct uring_group *rg = (struct uring_group *)g;
	struct sio_sock_impl_opts io;
	struct io_uring_params p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = URING_CQ_ENTRIES;
	rc = io_uring_queue_init_params(URING_SQ_ENTRIES, &rg->ring, &p);
	if (rc != 0)
		return rc;
	TAILQ_INIT(&rg->readable);
	TAILQ_INIT(&rg->done);
	TAILQ_INIT(&rg->inflight);
	sock_impl_opts_copy(&sio_sock_impl_uring, &io);
	if (io.enable_recv_pipe)
		recv_ring_init(rg);
	return 0;
}

static int uring_group_fd(struct sock_group_impl *g)
{
	return ((struct uring_group *)g)->ring.ring_fd;
}

static int uring_group_add(struct sock_group_impl *g, struct sio_sock *sock)
{
	struct uring_group *rg = (struct uring_group *)g;
	struct uring_sock *us = us_of(sock);
	int rc;

	if (us->rg != NULL && us->rg != rg)
		return -EBUSY; /* a send still in flight in its old group's ring */
	/* The group's sends are copies (see the file comment). */
	sock->zcopy = false;
	us->rg = rg;
	sock->home = NULL;
	/* A listener has no stream to receive: it keeps the poll. */
	us->recv_mode = rg->recv_multishot && !sock->listener;
	rc = readiness_arm(us);
	if (rc != 0)
		return rc;
	if (!sock->group->polling)
		ring_submit(rg);
	return 0;
}

/* Asks the kernel to end @us's poll; the result comes as URING_OP_CANCEL. */
static void poll_cancel(struct uring_group *rg, struct uring_sock *us)
{
	struct io_uring_sqe *sqe = sqe_get(rg);

	if (sqe == NULL)
		return;
	if (us->recv_mode)
		io_uring_prep_cancel64(sqe, readiness_ud(us), 0);
	else
		io_uring_prep_poll_remove(sqe, readiness_ud(us));
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)us | URING_OP_CANCEL);
	us->cancel_pending = true;
}

static int uring_group_remove(struct sock_group_impl *g, struct sio_sock *sock)
{
	struct uring_group *rg = (struct uring_group *)g;
	struct uring_sock *us = us_of(sock);

	readable_set(us, false);
	us->removing = true;
	/*
	 * Wait for the poll's end here: the socket may go to another group
	 * (another thread) right after. The kernel cancels a poll inline, but
	 * one caught between a wake-up and its re-arm is not found (-ENOENT):
	 * then ask again. Entering the kernel to wait also runs the task work
	 * that posts the poll's last completion. Bounded; a poll that still
	 * does not end leaves the socket to this group (home) until it does.
	 */
	for (int i = 0; us->poll_armed && i < 50; i++) {
		struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
		struct io_uring_cqe *cqe;

		if (!us->cancel_pending)
			poll_cancel(rg, us);
		ring_submit(rg);
		io_uring_wait_cqe_timeout(&rg->ring, &cqe, &ts);
		ring_reap(rg);
	}
	if (us->poll_armed)
		SIO_WARNLOG("uring sock %p: its poll did not end at removal", (void *)us);
	/* Recorded on the way: the socket no longer reports to us. */
	readable_set(us, false);
	if (us->rx_count > 0) {
		/* Unread data in the group's buffers: copy it out so the
		 * buffers stay the group's and the socket can move on. */
		size_t left = 0;

		for (uint32_t k = 0; k < us->rx_count; k++)
			left += us->rx_len[(us->rx_head + k) % URING_RBUF_COUNT];
		left -= us->rx_off;
		uint8_t *sp = malloc(left + (us->spill_len - us->spill_off));

		if (sp == NULL) {
			SIO_ERRLOG("uring sock %p: %zu unread bytes lost (no memory)", (void *)us, left);
			rx_take(us, NULL, left);
			us->rx_err = -ENOMEM;
		} else {
			size_t old = 0;

			if (us->spill != NULL) {
				old = us->spill_len - us->spill_off;
				memcpy(sp, us->spill + us->spill_off, old);
				free(us->spill);
			}
			rx_take(us, sp + old, left);
			us->spill = sp;
			us->spill_len = old + left;
			us->spill_off = 0;
		}
	}
	us->removing = false;
	if (us->on_inflight)
		sock->home = g->group; /* requests still in the ring */
	else
		us->rg = NULL;
	return 0;
}

static int uring_group_poll(struct sock_group_impl *g, int max, struct sock_event *ev)
{
	struct uring_group *rg = (struct uring_group *)g;
	struct uring_sock *us, *next;
	int n = 0;

	ring_submit(rg);
	ring_reap(rg);
	done_process(rg);
	for (us = TAILQ_FIRST(&rg->readable); us != NULL && n < max; us = next) {
		next = TAILQ_NEXT(us, readable_link);
		ev[n].sock = &us->base;
		ev[n].flags = SOCK_EV_READ;
		us->base.dispatching = g->group;
		n++;
	}
	/* Fairness: sockets beyond max go first next time. */
	if (us != NULL && us != TAILQ_FIRST(&rg->readable)) {
		struct uring_sock *first = TAILQ_FIRST(&rg->readable);

		while (first != us) {
			TAILQ_REMOVE(&rg->readable, first, readable_link);
			TAILQ_INSERT_TAIL(&rg->readable, first, readable_link);
			first = TAILQ_FIRST(&rg->readable);
		}
	}
	return n;
}

/*
 * End of a group poll: submit what the poll's callbacks and flushes
 * prepared (every socket's send, in one io_uring_enter()) now rather than
 * at the next poll, then say whether work remains that no fd announces.
 */
static bool uring_group_pending(struct sock_group_impl *g)
{
	struct uring_group *rg = (struct uring_group *)g;

	ring_submit(rg);
	return rg->to_submit != 0 || !TAILQ_EMPTY(&rg->readable) || !TAILQ_EMPTY(&rg->done);
}

/* Receive through the group's buffer ring unless told otherwise. */
static void uring_opts_defaults(struct sio_sock_impl_opts *o)
{
	o->enable_recv_pipe = true;
}

static void uring_group_fini(struct sock_group_impl *g)
{
	struct uring_group *rg = (struct uring_group *)g;
	struct uring_sock *us;

	/* Exiting the ring cancels what it still holds; those sockets
	 * (closed zombies, or removed ones with a send in flight) forget it. */
	io_uring_queue_exit(&rg->ring);
	while ((us = TAILQ_FIRST(&rg->inflight)) != NULL) {
		TAILQ_REMOVE(&rg->inflight, us, inflight_link);
		us->on_inflight = false;
		us->poll_armed = false;
		us->send_inflight = false;
		if (us->send_done)
			TAILQ_REMOVE(&rg->done, us, done_link);
		us->send_done = false;
		us->cancel_pending = false;
		us->rg = NULL;
		us->base.home = NULL;
		if (!us->base.closed)
			sock_set_error(&us->base, -ECANCELED);
	}
	free(rg->br);
	free(rg->rbufs);
}

const struct sio_sock_impl_ops sio_sock_impl_uring = {
	.name = "uring",
	.sock_size = sizeof(struct uring_sock),
	.group_size = sizeof(struct uring_group),
	.available = uring_available,
	.opts_defaults = uring_opts_defaults,
	.readv = uring_readv,
	.drained = uring_drained,
	.flush = uring_flush,
	.busy = uring_busy,
	.sock_fini = uring_sock_fini,
	.group_init = uring_group_init,
	.group_fd = uring_group_fd,
	.group_add = uring_group_add,
	.group_remove = uring_group_remove,
	.group_want_send = NULL,
	.group_poll = uring_group_poll,
	.group_pending = uring_group_pending,
	.group_fini = uring_group_fini,
};
