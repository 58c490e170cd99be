/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue pairs, transport-independent: the request pool (one allocation per
 * queue pair, CID = pool index), submission with queueing beyond the queue
 * depth, completion exactly once, made-up completions for failures, and
 * command timeouts. The transport only puts requests on the wire
 * (ops->qpair_submit) and reports what came back (nvme_qpair_complete()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/env.h"
#include "nvme/host/nvme_internal.h"

#define CACHE_LINE 64

void nvme_cpl_make(struct sio_nvme_cpl *cpl, uint16_t sqid, uint16_t cid, uint8_t sct, uint8_t sc,
		   bool dnr)
{
	memset(cpl, 0, sizeof(*cpl));
	cpl->sqid = sqid;
	cpl->cid = cid;
	sio_nvme_cpl_set_status(cpl, sct, sc, dnr);
}

int nvme_qpair_init(struct sio_nvme_qpair *qpair, struct sio_nvme_ctrlr *ctrlr, uint16_t qid,
		    uint32_t num_entries, uint32_t num_requests, const struct nvme_transport_ops *ops)
{
	size_t stride;

	if (num_requests == 0 || num_requests > 65535 || num_entries < 2)
		return -EINVAL;
	qpair->ctrlr = ctrlr;
	qpair->ops = ops;
	qpair->thread = sio_thread_get_current();
	qpair->qid = qid;
	qpair->state = NVME_QPAIR_DISCONNECTED;
	qpair->num_entries = num_entries;
	qpair->num_requests = num_requests;
	TAILQ_INIT(&qpair->free_reqs);
	TAILQ_INIT(&qpair->queued_reqs);
	TAILQ_INIT(&qpair->outstanding_reqs);
	/* Requests sit on their own cache lines: the transport context of one
	 * is written while its neighbour's completes. */
	stride = sizeof(struct nvme_request) + ops->req_ctx_size;
	stride = (stride + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
	qpair->req_stride = stride;
	qpair->req_mem = aligned_alloc(CACHE_LINE, stride * num_requests);
	if (qpair->req_mem == NULL)
		return -ENOMEM;
	memset(qpair->req_mem, 0, stride * num_requests);
	for (uint32_t i = 0; i < num_requests; i++) {
		struct nvme_request *req = (struct nvme_request *)(qpair->req_mem + i * stride);

		req->qpair = qpair;
		req->state = NVME_REQ_FREE;
		TAILQ_INSERT_TAIL(&qpair->free_reqs, req, link);
	}
	if (ctrlr->opts.command_timeout_ms != 0)
		qpair->timeout_ticks = sio_us_to_ticks((uint64_t)ctrlr->opts.command_timeout_ms * 1000);
	return 0;
}

void nvme_qpair_fini(struct sio_nvme_qpair *qpair)
{
	sio_poller_unregister(&qpair->timeout_poller);
	free(qpair->req_mem);
	qpair->req_mem = NULL;
	free(qpair->connect_data);
	qpair->connect_data = NULL;
}

struct nvme_request *nvme_qpair_req_by_cid(struct sio_nvme_qpair *qpair, uint16_t cid)
{
	struct nvme_request *req;

	if (cid >= qpair->num_requests)
		return NULL;
	req = (struct nvme_request *)(qpair->req_mem + (size_t)cid * qpair->req_stride);
	return req->state == NVME_REQ_OUTSTANDING ? req : NULL;
}

static inline uint16_t req_cid(const struct sio_nvme_qpair *qpair, const struct nvme_request *req)
{
	return (uint16_t)(((const uint8_t *)req - qpair->req_mem) / qpair->req_stride);
}

struct nvme_request *nvme_qpair_alloc_req(struct sio_nvme_qpair *qpair)
{
	struct nvme_request *req = TAILQ_FIRST(&qpair->free_reqs);

	if (req == NULL)
		return NULL;
	TAILQ_REMOVE(&qpair->free_reqs, req, link);
	req->abort_sent = false;
	req->internal = false;
	req->deadline_tick = 0;
	return req;
}

void nvme_qpair_free_req(struct sio_nvme_qpair *qpair, struct nvme_request *req)
{
	req->state = NVME_REQ_FREE;
	req->cb = NULL;
	TAILQ_INSERT_HEAD(&qpair->free_reqs, req, link);
}

void nvme_qpair_set_state(struct sio_nvme_qpair *qpair, enum nvme_qpair_state st)
{
	qpair->state = (uint16_t)st;
}

/* Whether @req may go on the wire now. Internal commands (Connect) go while connecting. */
static inline bool can_send(const struct sio_nvme_qpair *qpair, const struct nvme_request *req)
{
	if (qpair->on_wire + 1 >= qpair->num_entries)
		return false;
	if (qpair->state == NVME_QPAIR_CONNECTED)
		return true;
	return req->internal && qpair->state == NVME_QPAIR_CONNECTING;
}

static void send_req(struct sio_nvme_qpair *qpair, struct nvme_request *req)
{
	int rc;

	req->state = NVME_REQ_OUTSTANDING;
	TAILQ_INSERT_TAIL(&qpair->outstanding_reqs, req, link);
	qpair->on_wire++;
	qpair->stats.submitted_requests++;
	if (qpair->timeout_ticks != 0 &&
	    !(qpair->qid == 0 && req->cmd.opc == SIO_NVME_OPC_ASYNC_EVENT_REQUEST))
		req->deadline_tick = sio_get_ticks() + qpair->timeout_ticks;
	rc = qpair->ops->qpair_submit(qpair, req);
	if (rc != 0) {
		/* The connection is broken: its requests fail from the next poll,
		 * never inside the submitting call. */
		qpair->failed_pending = true;
		qpair->fail_rc = rc;
	}
}

int nvme_qpair_submit(struct sio_nvme_qpair *qpair, struct nvme_request *req)
{
	qpair->outstanding++;
	/* Order is kept: nothing overtakes what already waits, except the
	 * driver's own commands during a connect (nothing else goes then). */
	if (can_send(qpair, req) && (req->internal || TAILQ_EMPTY(&qpair->queued_reqs))) {
		send_req(qpair, req);
		return 0;
	}
	req->state = NVME_REQ_QUEUED;
	TAILQ_INSERT_TAIL(&qpair->queued_reqs, req, link);
	qpair->stats.queued_requests++;
	return 0;
}

void nvme_qpair_resubmit_queued(struct sio_nvme_qpair *qpair)
{
	struct nvme_request *req;

	while ((req = TAILQ_FIRST(&qpair->queued_reqs)) != NULL && can_send(qpair, req) &&
	       !qpair->failed_pending) {
		TAILQ_REMOVE(&qpair->queued_reqs, req, link);
		send_req(qpair, req);
	}
}

/* Runs the callback; the request is back in the pool first so the callback may submit. */
static void complete_req(struct sio_nvme_qpair *qpair, struct nvme_request *req,
			 const struct sio_nvme_cpl *cpl, int rc)
{
	sio_nvme_cmd_cb cb = req->cb;
	void *cb_arg = req->cb_arg;
	bool nested = qpair->in_callback;

	if (req->state == NVME_REQ_OUTSTANDING) {
		TAILQ_REMOVE(&qpair->outstanding_reqs, req, link);
		qpair->on_wire--;
	} else if (req->state == NVME_REQ_QUEUED) {
		TAILQ_REMOVE(&qpair->queued_reqs, req, link);
	} else {
		return; /* already completed: never twice */
	}
	qpair->outstanding--;
	nvme_qpair_free_req(qpair, req);
	qpair->in_callback = true;
	if (cb != NULL)
		cb(cb_arg, rc, cpl);
	qpair->in_callback = nested;
}

void nvme_qpair_complete(struct sio_nvme_qpair *qpair, struct nvme_request *req,
			 const struct sio_nvme_cpl *cpl)
{
	int rc = 0;

	if (sio_nvme_cpl_is_error(cpl)) {
		rc = sio_nvme_status_to_errno(cpl->status.sct, cpl->status.sc);
		/* A command we aborted for its timeout reports the timeout. */
		if (req->abort_sent && cpl->status.sct == SIO_NVME_SCT_GENERIC &&
		    cpl->status.sc == SIO_NVME_SC_ABORTED_BY_REQUEST)
			rc = -ETIMEDOUT;
		if (rc == 0)
			rc = -EIO;
	}
	complete_req(qpair, req, cpl, rc);
	/* A slot on the wire is free: the oldest waiting request takes it. */
	if (!TAILQ_EMPTY(&qpair->queued_reqs))
		nvme_qpair_resubmit_queued(qpair);
}

/* A made-up completion for a request that never got an answer. */
static void complete_synth(struct sio_nvme_qpair *qpair, struct nvme_request *req, int rc)
{
	struct sio_nvme_cpl cpl;
	uint8_t sc = (rc == -ECONNRESET || rc == -ENXIO) ? SIO_NVME_SC_HOST_PATH_ERROR
							  : SIO_NVME_SC_ABORTED_BY_HOST;

	nvme_cpl_make(&cpl, qpair->qid, req_cid(qpair, req), SIO_NVME_SCT_PATH, sc,
		      rc != -ECONNRESET);
	complete_req(qpair, req, &cpl, rc);
}

void nvme_qpair_abort_all(struct sio_nvme_qpair *qpair, int rc)
{
	struct nvme_request *req;

	/* Outstanding first (they were submitted first), then the queued ones. */
	while ((req = TAILQ_FIRST(&qpair->outstanding_reqs)) != NULL)
		complete_synth(qpair, req, req->abort_sent && rc == -ECONNRESET ? -ETIMEDOUT : rc);
	while ((req = TAILQ_FIRST(&qpair->queued_reqs)) != NULL)
		complete_synth(qpair, req, rc);
}

/*
 * The driver's own commands waiting for a slot (an Authentication Send behind
 * a full queue) belong to the connection that failed: on a new one they would
 * be out of sequence. The caller's queued commands stay for the reconnection.
 */
static void abort_queued_internal(struct sio_nvme_qpair *qpair, int rc)
{
	struct nvme_request *req;
	uint32_t n = 0;

	TAILQ_FOREACH(req, &qpair->queued_reqs, link)
		n += req->internal;
	/* A callback may change the list (or queue a new internal command):
	 * look again each time, and complete no more than were there. */
	while (n-- > 0) {
		TAILQ_FOREACH(req, &qpair->queued_reqs, link)
			if (req->internal)
				break;
		if (req == NULL)
			break;
		complete_synth(qpair, req, rc);
	}
}

void nvme_qpair_abort_outstanding(struct sio_nvme_qpair *qpair, int rc)
{
	struct nvme_request *req;

	while ((req = TAILQ_FIRST(&qpair->outstanding_reqs)) != NULL)
		complete_synth(qpair, req, req->abort_sent ? -ETIMEDOUT : rc);
	abort_queued_internal(qpair, rc);
}

void nvme_qpair_transport_failed(struct sio_nvme_qpair *qpair, int rc)
{
	bool was_connected = qpair->state == NVME_QPAIR_CONNECTED;

	if (qpair->state == NVME_QPAIR_FAILED || qpair->state == NVME_QPAIR_DESTROYING ||
	    qpair->state == NVME_QPAIR_DISCONNECTED) {
		qpair->failed_pending = false;
		return;
	}
	SIO_DEBUGLOG(NVME_LOG, "qpair %u failed: %d", qpair->qid, rc);
	qpair->failed_pending = false;
	qpair->fail_rc = rc;
	qpair->ops->qpair_disconnect(qpair);
	nvme_qpair_set_state(qpair, NVME_QPAIR_FAILED);
	nvme_qpair_abort_outstanding(qpair, -ECONNRESET);
	/* A connection that never came up fails its connect only (the Connect
	 * command's completion above); the controller hears of lost ones. */
	if (!was_connected)
		return;
	if (qpair->qid == 0) {
		/* The admin queue is the controller: nothing queued survives it either. */
		nvme_qpair_abort_all(qpair, -ECONNRESET);
		nvme_ctrlr_fail(qpair->ctrlr, rc);
	} else {
		nvme_ctrlr_request_fail_async(qpair->ctrlr);
	}
}

int nvme_qpair_prepare(struct sio_nvme_qpair *qpair, const struct sio_nvme_cmd *cmd, bool internal,
		       sio_nvme_cmd_cb cb, void *cb_arg, struct nvme_request **out)
{
	struct nvme_request *req;

	if (qpair->state == NVME_QPAIR_DESTROYING)
		return -ENODEV;
	if (qpair->state == NVME_QPAIR_FAILED && qpair->ctrlr->state != NVME_CTRLR_RESETTING &&
	    !internal)
		return -ENXIO;
	req = nvme_qpair_alloc_req(qpair);
	if (req == NULL)
		return -ENOMEM;
	req->cmd = *cmd;
	req->cmd.cid = req_cid(qpair, req);
	req->cmd.psdt = SIO_NVME_PSDT_SGL_MPTR_CONTIG;
	req->cb = cb;
	req->cb_arg = cb_arg;
	req->internal = internal;
	req->payload_size = 0;
	req->iov = NULL;
	req->iovcnt = 0;
	req->xfer = SIO_NVME_DATA_NONE;
	*out = req;
	return 0;
}

void nvme_req_set_payload(struct nvme_request *req, const struct iovec *iov, int iovcnt,
			  uint32_t len)
{
	uint8_t opc = req->cmd.opc;

	if (len == 0)
		return;
	if (iovcnt == 1 && iov != &req->one) {
		req->one = iov[0];
		req->iov = &req->one;
	} else {
		req->iov = iov;
	}
	req->iovcnt = iovcnt;
	req->payload_size = len;
	if (opc == SIO_NVME_OPC_FABRICS)
		opc = ((const struct sio_nvmf_capsule_cmd *)&req->cmd)->fctype;
	req->xfer = (uint8_t)sio_nvme_opc_data_xfer(opc);
}

int nvme_qpair_submit_cmd(struct sio_nvme_qpair *qpair, const struct sio_nvme_cmd *cmd,
			  const struct iovec *iov, int iovcnt, uint32_t len, bool internal,
			  sio_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_request *req;
	int rc;

	rc = nvme_qpair_prepare(qpair, cmd, internal, cb, cb_arg, &req);
	if (rc != 0)
		return rc;
	nvme_req_set_payload(req, iov, iovcnt, len);
	return nvme_qpair_submit(qpair, req);
}

void nvme_qpair_check_timeouts(struct sio_nvme_qpair *qpair)
{
	struct nvme_request *req;
	uint64_t now;

	if (qpair->timeout_ticks == 0 || qpair->state != NVME_QPAIR_CONNECTED)
		return;
	/* Outstanding requests are in submission order with one timeout for
	 * all (an aborted one moves to the tail with its new deadline), so the
	 * first with a deadline is the first due; only AERs, which wait for
	 * events by design, have none and are skipped. */
	TAILQ_FOREACH(req, &qpair->outstanding_reqs, link)
		if (req->deadline_tick != 0)
			break;
	if (req == NULL)
		return;
	now = sio_get_ticks();
	if (now < req->deadline_tick)
		return;
	if (!req->abort_sent && !req->internal) {
		SIO_WARNLOG("nvme: command cid %u on queue %u timed out: aborting", req->cmd.cid,
			    qpair->qid);
		req->abort_sent = true;
		req->deadline_tick = now + qpair->timeout_ticks;
		TAILQ_REMOVE(&qpair->outstanding_reqs, req, link);
		TAILQ_INSERT_TAIL(&qpair->outstanding_reqs, req, link);
		nvme_ctrlr_abort_cmd_async(qpair->ctrlr, qpair->qid, req->cmd.cid);
		return;
	}
	SIO_ERRLOG("nvme: command cid %u on queue %u unanswered%s: failing the queue",
		   req->cmd.cid, qpair->qid, req->internal ? "" : " after abort");
	req->abort_sent = true;
	nvme_qpair_transport_failed(qpair, -ETIMEDOUT);
}

/* ---- the public I/O queue pair API ---- */

void sio_nvme_io_qpair_opts_init(struct sio_nvme_io_qpair_opts *opts, size_t opts_size)
{
	struct sio_nvme_io_qpair_opts d = { 0 };

	if (opts == NULL || opts_size < sizeof(size_t))
		return;
	d.opts_size = opts_size;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
}

static int qid_take(struct sio_nvme_ctrlr *ctrlr)
{
	int qid = -EBUSY;

	pthread_mutex_lock(&ctrlr->lock);
	if (ctrlr->qid_used == NULL)
		ctrlr->qid_used = calloc(ctrlr->num_io_queues + 1u, 1);
	if (ctrlr->qid_used == NULL) {
		qid = -ENOMEM;
	} else {
		/* Round robin, not lowest free: a target tears a closed queue down
		 * asynchronously (the kernel's answers a Connect of a queue ID it
		 * still holds with Command Sequence Error), so a freed ID is the
		 * last one taken again. */
		for (uint32_t k = 0; k < ctrlr->num_io_queues; k++) {
			uint32_t i = (ctrlr->next_qid + k) % ctrlr->num_io_queues + 1;

			if (!ctrlr->qid_used[i]) {
				ctrlr->qid_used[i] = 1;
				ctrlr->next_qid = i % ctrlr->num_io_queues;
				qid = (int)i;
				break;
			}
		}
	}
	pthread_mutex_unlock(&ctrlr->lock);
	return qid;
}

static void qpair_unlink(struct sio_nvme_qpair *qpair)
{
	struct sio_nvme_ctrlr *ctrlr = qpair->ctrlr;

	pthread_mutex_lock(&ctrlr->lock);
	TAILQ_REMOVE(&ctrlr->io_qpairs, qpair, link);
	ctrlr->qid_used[qpair->qid] = 0;
	pthread_mutex_unlock(&ctrlr->lock);
}

static void qpair_release(struct sio_nvme_qpair *qpair)
{
	const struct nvme_transport_ops *ops = qpair->ops;

	qpair_unlink(qpair);
	nvme_qpair_fini(qpair);
	ops->qpair_destroy(qpair);
}

static int qpair_housekeeping(void *arg)
{
	struct sio_nvme_qpair *qpair = arg;

	if (qpair->failed_pending) {
		nvme_qpair_transport_failed(qpair, qpair->fail_rc);
		return 1;
	}
	nvme_qpair_check_timeouts(qpair);
	return 0;
}

static void qpair_release_msg(void *arg)
{
	struct sio_nvme_qpair *qpair = arg;

	nvme_qpair_fini(qpair);
	qpair->ops->qpair_destroy(qpair);
}

struct alloc_ctx {
	struct sio_nvme_qpair *qpair;
	sio_nvme_qpair_cb cb;
	void *cb_arg;
};

static void alloc_connected(void *arg, int rc)
{
	struct alloc_ctx a = *(struct alloc_ctx *)arg;

	free(arg);
	if (rc != 0) {
		struct sio_nvme_qpair *qp = a.qpair;

		nvme_qpair_set_state(qp, NVME_QPAIR_DESTROYING);
		qp->ops->qpair_disconnect(qp);
		nvme_qpair_abort_all(qp, -ECANCELED);
		qpair_unlink(qp);
		/* This runs inside the failed Connect's completion (and the
		 * transport's receive path under it): the memory goes at the
		 * thread's next turn, or with the last controller message. */
		if (__atomic_load_n(&qp->pending_msgs, __ATOMIC_ACQUIRE) != 0)
			qp->release_pending = true;
		else if (sio_thread_send_msg(qp->thread, qpair_release_msg, qp) != 0)
			qpair_release_msg(qp);
		a.cb(a.cb_arg, rc, NULL);
		return;
	}
	a.cb(a.cb_arg, 0, a.qpair);
}

int sio_nvme_ctrlr_alloc_io_qpair(struct sio_nvme_ctrlr *ctrlr,
				  const struct sio_nvme_io_qpair_opts *opts, sio_nvme_qpair_cb cb,
				  void *cb_arg)
{
	struct sio_nvme_io_qpair_opts o;
	union sio_nvme_cap_register cap;
	struct sio_nvme_qpair *qpair;
	struct alloc_ctx *a;
	uint32_t entries, reqs;
	uint64_t period_us;
	int qid, rc;

	if (ctrlr == NULL || cb == NULL)
		return -EINVAL;
	if (sio_thread_get_current() == NULL)
		return -EPERM;
	sio_nvme_io_qpair_opts_init(&o, sizeof(o));
	if (opts != NULL) {
		if (opts->opts_size < sizeof(size_t) || opts->opts_size > sizeof(o))
			return -EINVAL;
		memcpy(&o, opts, opts->opts_size);
	}
	if (ctrlr->discovery)
		return -ENOTSUP;
	if (ctrlr->state != NVME_CTRLR_READY)
		return -ENXIO;
	cap.raw = ctrlr->cap;
	entries = o.io_queue_size ? o.io_queue_size : ctrlr->opts.io_queue_size;
	reqs = o.io_queue_requests ? o.io_queue_requests : ctrlr->opts.io_queue_requests;
	if (entries < 2 || entries > 65536 || reqs < 1 || reqs > 65535)
		return -EINVAL;
	if (entries > cap.bits.mqes + 1u)
		entries = cap.bits.mqes + 1u;
	a = malloc(sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	qid = qid_take(ctrlr);
	if (qid < 0) {
		free(a);
		return qid;
	}
	qpair = ctrlr->ops->qpair_create(ctrlr, (uint16_t)qid);
	if (qpair == NULL) {
		rc = -ENOMEM;
		goto fail_qid;
	}
	rc = nvme_qpair_init(qpair, ctrlr, (uint16_t)qid, entries, reqs, ctrlr->ops);
	if (rc != 0)
		goto fail_create;
	period_us = ctrlr->opts.command_timeout_ms ? (uint64_t)ctrlr->opts.command_timeout_ms * 250 : 100000;
	if (period_us > 100000)
		period_us = 100000;
	qpair->timeout_poller = sio_poller_register_named("nvme_qpair", qpair_housekeeping, qpair,
							  period_us);
	if (qpair->timeout_poller == NULL) {
		rc = -ENOMEM;
		goto fail_init;
	}
	pthread_mutex_lock(&ctrlr->lock);
	TAILQ_INSERT_TAIL(&ctrlr->io_qpairs, qpair, link);
	pthread_mutex_unlock(&ctrlr->lock);
	a->qpair = qpair;
	a->cb = cb;
	a->cb_arg = cb_arg;
	rc = ctrlr->ops->qpair_connect(qpair, alloc_connected, a);
	if (rc != 0) {
		free(a);
		qpair_release(qpair);
		return rc;
	}
	return 0;

fail_init:
	nvme_qpair_fini(qpair);
fail_create:
	ctrlr->ops->qpair_destroy(qpair);
fail_qid:
	pthread_mutex_lock(&ctrlr->lock);
	ctrlr->qid_used[qid] = 0;
	pthread_mutex_unlock(&ctrlr->lock);
	free(a);
	return rc;
}

struct qpair_wait {
	struct sio_future f;
	struct sio_nvme_qpair *qpair;
};

static void qpair_wait_cb(void *arg, int rc, struct sio_nvme_qpair *qpair)
{
	struct qpair_wait *w = arg;

	w->qpair = qpair;
	sio_future_complete(&w->f, rc, NULL);
}

/* The awaitable and the blocking allocation differ only in how they wait. */
static int alloc_io_qpair_wait(struct sio_nvme_ctrlr *ctrlr,
			       const struct sio_nvme_io_qpair_opts *opts,
			       struct sio_nvme_qpair **out, bool blocking)
{
	struct qpair_wait w = { .qpair = NULL };
	int rc;

	if (out == NULL)
		return -EINVAL;
	if (blocking && sio_in_task())
		return -EPERM;
	rc = blocking ? sio_future_init(&w.f) : sio_future_init_await(&w.f);
	if (rc == 0)
		rc = sio_nvme_ctrlr_alloc_io_qpair(ctrlr, opts, qpair_wait_cb, &w);
	if (rc == 0)
		rc = blocking ? sio_block_on(&w.f) : sio_await(&w.f);
	*out = rc == 0 ? w.qpair : NULL;
	return rc;
}

int sio_nvme_ctrlr_alloc_io_qpair_await(struct sio_nvme_ctrlr *ctrlr,
					const struct sio_nvme_io_qpair_opts *opts,
					struct sio_nvme_qpair **out)
{
	return alloc_io_qpair_wait(ctrlr, opts, out, false);
}

int sio_nvme_ctrlr_alloc_io_qpair_blocking(struct sio_nvme_ctrlr *ctrlr,
					   const struct sio_nvme_io_qpair_opts *opts,
					   struct sio_nvme_qpair **out)
{
	return alloc_io_qpair_wait(ctrlr, opts, out, true);
}

int sio_nvme_qpair_free(struct sio_nvme_qpair *qpair)
{
	if (qpair == NULL || qpair->qid == 0)
		return -EINVAL;
	if (sio_thread_get_current() != qpair->thread)
		return -EPERM;
	if (qpair->state == NVME_QPAIR_DESTROYING)
		return -EALREADY;
	/* A reconnection in flight is completed (failed) by the disconnect. */
	qpair->ops->qpair_disconnect(qpair);
	nvme_qpair_set_state(qpair, NVME_QPAIR_DESTROYING);
	nvme_qpair_abort_all(qpair, -ECANCELED);
	/* Unlisted, it gets no new controller messages; those already sent
	 * still come, and the last one frees it. */
	qpair_unlink(qpair);
	if (__atomic_load_n(&qpair->pending_msgs, __ATOMIC_ACQUIRE) != 0) {
		qpair->release_pending = true;
		return 0;
	}
	/* From inside one of its own completions (a task awaiting a command
	 * resumes there) the code that called back still holds the queue pair:
	 * its memory goes at the thread's next turn. */
	if (qpair->in_callback && sio_thread_send_msg(qpair->thread, qpair_release_msg, qpair) == 0)
		return 0;
	qpair_release_msg(qpair);
	return 0;
}

void nvme_qpair_msg_put(struct sio_nvme_qpair *qpair)
{
	if (__atomic_sub_fetch(&qpair->pending_msgs, 1, __ATOMIC_ACQ_REL) == 0 &&
	    qpair->release_pending) {
		if (qpair->in_callback &&
		    sio_thread_send_msg(qpair->thread, qpair_release_msg, qpair) == 0)
			return;
		qpair_release_msg(qpair);
	}
}

int sio_nvme_qpair_process_completions(struct sio_nvme_qpair *qpair, uint32_t max)
{
	int rc;

	if (qpair == NULL)
		return -EINVAL;
	if (qpair->in_callback)
		return -EBUSY;
	if (qpair->failed_pending)
		nvme_qpair_transport_failed(qpair, qpair->fail_rc);
	if (qpair->state == NVME_QPAIR_FAILED)
		return -ENXIO;
	rc = qpair->ops->qpair_process(qpair, max);
	qpair->stats.polls++;
	if (rc > 0)
		qpair->stats.nvme_completions += (uint64_t)rc;
	else
		qpair->stats.idle_polls++;
	return rc;
}

int sio_nvme_qpair_get_stats(const struct sio_nvme_qpair *qpair, struct sio_nvme_qpair_stats *stats)
{
	if (qpair == NULL || stats == NULL)
		return -EINVAL;
	*stats = qpair->stats;
	if (qpair->ops->qpair_stats != NULL)
		qpair->ops->qpair_stats(qpair, stats);
	return 0;
}

const char *sio_nvme_qpair_get_trname(const struct sio_nvme_qpair *qpair)
{
	if (qpair == NULL)
		return NULL;
	return qpair->ops->type == SIO_NVME_TRANSPORT_TCP ? "TCP" : qpair->ops->name;
}

uint16_t sio_nvme_qpair_get_id(const struct sio_nvme_qpair *qpair)
{
	return qpair ? qpair->qid : 0;
}

uint32_t sio_nvme_qpair_get_num_outstanding(const struct sio_nvme_qpair *qpair)
{
	return qpair ? qpair->outstanding : 0;
}
