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

/* What a completion is for: the low bits of its user_data (sockets are 8-byte aligned). */
enum uring_op {
	URING_OP_NONE = 0, /* nothing to do */
	URING_OP_POLL = 1,
	URING_OP_SEND = 2,
	URING_OP_CANCEL = 3, /* a poll removal's own result */
};
#define URING_OP_MASK 3ull

struct uring_sock;

struct uring_group {
	struct sock_group_impl base;
	struct io_uring ring;
	uint32_t to_submit;                   /* prepared SQEs not yet submitted */
	TAILQ_HEAD(, uring_sock) readable;    /* reported readable, not yet read dry */
	TAILQ_HEAD(, uring_sock) done;        /* send completions recorded, not processed */
	TAILQ_HEAD(, uring_sock) inflight;    /* sockets with requests in this ring */
};

struct uring_sock {
	struct sio_sock base;
	struct uring_group *rg;   /* ring its requests are in (NULL: none) */
	bool poll_armed;          /* multishot poll in the ring */
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

static ssize_t uring_readv(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	return sock_readv_syscall(sock, iov, iovcnt);
}

/* Read dry: no longer reported until the poll sees new data. */
static void uring_drained(struct sio_sock *sock)
{
	readable_set(us_of(sock), false);
}

static int poll_arm(struct uring_sock *us)
{
	struct io_uring_sqe *sqe = sqe_get(us->rg);

	if (sqe == NULL)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, us->base.fd, POLLIN | POLLRDHUP);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)us | URING_OP_POLL);
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
				poll_arm(us);
			else
				inflight_update(us);
		}
		if (cqe->res > 0 && us->base.group != NULL && !us->base.closed)
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

	/* The kernel reads the queue's buffers until the send completes. */
	if (us->send_inflight || us->send_done) {
		while ((req = sock_req_pop(&sock->queue)) != NULL) {
			req->internal.state = SOCK_REQ_HELD;
			sock_req_append(&sock->held, req);
		}
	}
}

static int uring_group_init(struct sock_group_impl *g)
{
	struct uring_group *rg = (struct uring_group *)g;
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
	rc = poll_arm(us);
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
	io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)us | URING_OP_POLL);
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
}

const struct sio_sock_impl_ops sio_sock_impl_uring = {
	.name = "uring",
	.sock_size = sizeof(struct uring_sock),
	.group_size = sizeof(struct uring_group),
	.available = uring_available,
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
