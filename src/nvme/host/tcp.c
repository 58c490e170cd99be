/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP transport of the host: one socket per queue pair, polled by
 * a sock group of the queue pair's thread; the PDU codec (nvme/tcp) does the
 * wire format, digests and the receive state machine, this file the host's
 * side of the exchanges:
 *   connect:  socket, ICReq -> ICResp, then the Fabrics Connect (fabric.c);
 *   write:    CapsuleCmd with the data in the capsule when it fits the
 *             controller's in-capsule size, else CapsuleCmd, R2T, H2CData...;
 *   read:     CapsuleCmd, C2HData placed by the codec straight into the
 *             caller's iovecs, CapsuleResp (or, on a queue whose Connect
 *             disabled SQ flow control, the last C2HData with SUCCESS).
 * A request completes only once its response arrived AND the sock layer has
 * given back every send that referenced its memory, so a request is never
 * reused while the kernel could still read it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spdk_io/sock.h"
#include "spdk_io/trace.h"
#include "nvme/host/nvme_internal.h"
#include "nvme/host/trid.h"
#include "nvme/tcp/nvme_tcp.h"
#include "nvme/tcp/nvme_tcp_tls.h"
#include "spdk_io/keyring.h"

/* Iovecs a command's data may span (the core refuses more). */
#define TCP_DATA_IOV_MAX 64
/* Out iovecs of one PDU: header, padding, data, digest. */
#define TCP_PDU_IOV_MAX (TCP_DATA_IOV_MAX + 3)
/* Admin queue in-capsule data: the NVMe/TCP spec allows 8 KiB on the admin queue. */
#define TCP_ADMIN_ICD 8192u
/* Staging buffer for small PDUs: many CapsuleResps arrive in one read. */
#define TCP_RX_BUF_SIZE 16384u
/* Reads per readable callback before letting the thread do other work. */
#define TCP_RX_BUDGET 64

enum tcp_conn_state {
	TCP_CONN_IDLE = 0,   /* no socket */
	TCP_CONN_IC,         /* socket up, ICReq queued, waiting for the ICResp */
	TCP_CONN_FABRIC,     /* ICResp done: the Fabrics Connect runs in the core */
	TCP_CONN_LIVE,       /* connected */
};

struct tcp_req {
	struct nvme_tcp_pdu pdu;          /* CapsuleCmd, then each H2CData in turn */
	struct sio_sock_request sreq;
	struct iovec iov[TCP_PDU_IOV_MAX];
	uint32_t pending_sends;           /* sock requests not yet given back */
	uint32_t c2h_next;                /* next C2HData offset expected */
	uint32_t h2c_off, h2c_end;        /* R2T window being sent: [h2c_off, h2c_end) */
	uint16_t ttag;
	bool h2c_active;                  /* an R2T is being answered */
	bool r2t_waiting;                 /* an R2T came before the capsule's send was given back */
	bool resp_stashed;                /* the response came before the sends were given back */
	bool ddgst_bad;                   /* a data PDU failed its digest */
	struct sio_nvme_cpl cpl;          /* the stashed response */
};

struct tcp_qpair {
	struct sio_nvme_qpair qp;         /* first: the core's view */
	struct sio_sock *sock;
	struct sio_sock_group *group;
	enum tcp_conn_state conn;
	struct nvme_tcp_rx rx;
	struct nvme_tcp_params params;
	uint32_t maxh2cdata;
	uint32_t icd_max;                 /* in-capsule data this queue may send */
	uint8_t *rx_buf;
	struct iovec rx_iov[TCP_DATA_IOV_MAX]; /* the C2HData being received */
	/* The ICReq (and a TermReq on the way out): one at a time per connection. */
	struct nvme_tcp_pdu ctl_pdu;
	struct sio_sock_request ctl_sreq;
	struct iovec ctl_iov[4];
	bool ctl_pending;
	nvme_rc_cb conn_cb;               /* the transport-level connect in progress */
	void *conn_arg;
	struct sio_poller *conn_poller;   /* connect deadline */
	uint64_t completions;             /* completed commands: process_completions' return, stats */
};

static inline struct tcp_qpair *tqp_of(struct sio_nvme_qpair *qp)
{
	return (struct tcp_qpair *)qp;
}

static inline struct tcp_req *treq_of(struct nvme_request *req)
{
	return (struct tcp_req *)req->tctx;
}

static inline struct nvme_request *req_of(struct tcp_req *treq)
{
	return (struct nvme_request *)((uint8_t *)treq - offsetof(struct nvme_request, tctx));
}

static void tcp_fail(struct tcp_qpair *tq, int rc);

/* ---- connection ---- */

static void tcp_close_sock(struct tcp_qpair *tq)
{
	sio_poller_unregister(&tq->conn_poller);
	if (tq->sock != NULL) {
		/* Queued sends complete with -ECANCELED inside the close. */
		sio_sock_close(&tq->sock);
	}
	tq->conn = TCP_CONN_IDLE;
}

static void tcp_conn_finish(struct tcp_qpair *tq, int rc)
{
	nvme_rc_cb cb = tq->conn_cb;
	void *arg = tq->conn_arg;

	sio_poller_unregister(&tq->conn_poller);
	tq->conn_cb = NULL;
	if (cb != NULL)
		cb(arg, rc);
}

static void fabric_connect_done(void *arg, int rc)
{
	struct tcp_qpair *tq = arg;

	if (rc == 0)
		tq->conn = TCP_CONN_LIVE;
	tcp_conn_finish(tq, rc);
}

/*
 * Tears the connection down. During the ICReq stage the transport owns the
 * connect callback; after it, the core's Connect command is outstanding and
 * the core completes it (and with it the connect) when the queue pair fails.
 */
static void tcp_fail(struct tcp_qpair *tq, int rc)
{
	if (tq->conn == TCP_CONN_IC) {
		/* The one hint a plain host gets from a secure-channel listener:
		 * it drops a connection whose first bytes are not TLS. */
		if ((rc == -ECONNRESET || rc == SIO_SOCK_EOF) && tq->qp.ctrlr->tctx == NULL)
			SIO_ERRLOG("nvme/tcp: %s:%s closed the connection before answering ICReq "
				   "(a secure_channel listener takes only TLS: connect with a PSK)",
				   tq->qp.ctrlr->trid.traddr, tq->qp.ctrlr->trid.trsvcid);
		tcp_close_sock(tq);
		tcp_conn_finish(tq, rc);
		return;
	}
	if (tq->conn == TCP_CONN_IDLE)
		return;
	nvme_qpair_transport_failed(&tq->qp, rc);
}

/*
 * A send failed: the connection is gone. Send completions run inside the
 * sock layer's flush, which still holds the socket, so it is not closed
 * here: the queue pair's poller (admin or housekeeping) fails it shortly,
 * and the readable callback usually sees the same error first.
 */
static void send_failed(struct tcp_qpair *tq, int rc)
{
	/* Before ICResp the readable callback sees the same error and fails
	 * the connect itself (tcp_fail()). Failing it from the poller instead
	 * ran the connect callback inside nvme_qpair_transport_failed(), which
	 * then touched the queue pair the callback had freed (ASan: a TLS
	 * handshake refused while the ICReq waited to be sent). */
	if (tq->conn == TCP_CONN_IC)
		return;
	if (tq->conn == TCP_CONN_IDLE || tq->qp.failed_pending)
		return;
	tq->qp.failed_pending = true;
	tq->qp.fail_rc = rc;
}

static void ctl_sent(void *arg, int rc)
{
	struct tcp_qpair *tq = arg;

	tq->ctl_pending = false;
	if (rc != 0 && rc != -ECANCELED)
		send_failed(tq, rc);
}

static int conn_deadline(void *arg)
{
	struct tcp_qpair *tq = arg;

	SIO_ERRLOG("nvme/tcp: connection of queue %u to %s:%s timed out", tq->qp.qid,
		   tq->qp.ctrlr->trid.traddr, tq->qp.ctrlr->trid.trsvcid);
	sio_poller_unregister(&tq->conn_poller);
	if (tq->conn == TCP_CONN_IC)
		tcp_fail(tq, -ETIMEDOUT);
	else if (tq->conn == TCP_CONN_FABRIC)
		/* A Connect nobody answers: the queue pair fails and the Connect
		 * completes with the timeout (from a poller: safe to close here). */
		nvme_qpair_transport_failed(&tq->qp, -ETIMEDOUT);
	return 1;
}

static void tcp_sock_cb(void *arg, struct sio_sock_group *group, struct sio_sock *sock);
static const struct nvme_tcp_rx_ops g_rx_ops;

static int tcp_qpair_connect(struct sio_nvme_qpair *qp, nvme_rc_cb cb, void *arg)
{
	struct tcp_qpair *tq = tqp_of(qp);
	struct sio_nvme_ctrlr *ctrlr = qp->ctrlr;
	struct sio_sock_opts so;
	int port, src_port = 0;
	int rc, n;

	if (tq->conn != TCP_CONN_IDLE)
		return -EBUSY;
	qp->failed_pending = false;
	qp->fail_rc = 0;
	if (nvme_trid_port(ctrlr->trid.trsvcid, &port) != 0)
		return -EINVAL;
	sio_sock_opts_init(&so, sizeof(so));
	so.impl_name = ctrlr->opts.sock_impl;
	/* A request's memory is reused as soon as its send is given back:
	 * zero-copy sends would hold it longer than the response. */
	so.zcopy = false;
	struct nvme_tcp_tls_cred *cred = ctrlr->tctx;
	struct sio_sock_tls_opts tls = {.opts_size = sizeof(tls)};

	if (cred != NULL) {
		tls.psk = cred->psk;
		tls.psk_len = cred->psk_len;
		tls.psk_identity = cred->identity;
		so.impl_name = "ssl";
		so.tls = &tls;
	}
	/* hostaddr/hostsvcid of the transport ID: the local end to connect from. */
	if (ctrlr->trid.hostsvcid[0] != '\0' && nvme_trid_port(ctrlr->trid.hostsvcid, &src_port) != 0)
		return -EINVAL;
	so.src_addr = ctrlr->trid.hostaddr[0] != '\0' ? ctrlr->trid.hostaddr : NULL;
	so.src_port = src_port;
	/* The transport ID's priority is SPDK's socket priority (SO_PRIORITY) of every connection. */
	so.priority = ctrlr->trid.priority;
	rc = sio_sock_connect(ctrlr->trid.traddr, port, &so, &tq->sock);
	if (rc != 0)
		return rc;
	rc = sio_sock_group_add_sock(tq->group, tq->sock, tcp_sock_cb, tq);
	if (rc != 0) {
		sio_sock_close(&tq->sock);
		return rc;
	}
	memset(&tq->params, 0, sizeof(tq->params));
	nvme_tcp_rx_init(&tq->rx, NVME_TCP_ROLE_HOST, &g_rx_ops, tq);
	nvme_tcp_rx_set_buf(&tq->rx, tq->rx_buf, TCP_RX_BUF_SIZE, 0);
	tq->conn = TCP_CONN_IC;
	tq->conn_cb = cb;
	tq->conn_arg = arg;
	nvme_qpair_set_state(qp, NVME_QPAIR_CONNECTING);

	/* ICReq: HPDA 0 (C2H data right after the header), one R2T per command. */
	nvme_tcp_pdu_ic_req_init(&tq->ctl_pdu, 0, ctrlr->opts.header_digest,
				 ctrlr->opts.data_digest, 0);
	n = nvme_tcp_pdu_build(&tq->ctl_pdu, &tq->params, NULL, 0, 0, tq->ctl_iov, 4);
	if (n < 0)
		goto fail;
	tq->ctl_sreq.iov = tq->ctl_iov;
	tq->ctl_sreq.iovcnt = n;
	tq->ctl_sreq.cb = ctl_sent;
	tq->ctl_sreq.cb_arg = tq;
	tq->ctl_pending = true;
	/* The group sends it once the TCP connection is up. */
	rc = sio_sock_writev_async(tq->sock, &tq->ctl_sreq);
	if (rc != 0) {
		tq->ctl_pending = false;
		n = rc;
		goto fail;
	}
	if (ctrlr->opts.connect_timeout_ms != 0)
		tq->conn_poller = sio_poller_register_named("nvme_tcp_connect", conn_deadline, tq,
							    (uint64_t)ctrlr->opts.connect_timeout_ms * 1000);
	return 0;
fail:
	tcp_close_sock(tq);
	tq->conn_cb = NULL;
	nvme_qpair_set_state(qp, NVME_QPAIR_DISCONNECTED);
	return n;
}

static void tcp_qpair_disconnect(struct sio_nvme_qpair *qp)
{
	struct tcp_qpair *tq = tqp_of(qp);

	struct nvme_tcp_rx_err e;
	bool ic = tq->conn == TCP_CONN_IC;

	if (tq->sock != NULL && tq->conn != TCP_CONN_IDLE &&
	    nvme_tcp_rx_error(&tq->rx, &e) == -EPROTO) {
		/* Best effort: tell the controller why before closing. */
		struct iovec iov[4];
		int n;

		if (nvme_tcp_pdu_term_req_init_rx(&tq->ctl_pdu, &tq->rx) == 0) {
			n = nvme_tcp_pdu_build(&tq->ctl_pdu, &tq->params, NULL, 0, 0, iov, 4);
			if (n > 0)
				(void)sio_sock_writev(tq->sock, iov, n);
		}
	}
	tcp_close_sock(tq);
	/* Past the ICReq stage the core's Connect command carries the connect
	 * callback (it is aborted next); before it, this does. */
	if (ic)
		tcp_conn_finish(tq, tq->qp.fail_rc ? tq->qp.fail_rc : -ECONNRESET);
}

/* ---- send ---- */

static void req_send_done(void *arg, int rc);

static int send_pdu(struct tcp_qpair *tq, struct tcp_req *treq, const struct iovec *data,
		    int datacnt, uint32_t len)
{
	int n;

	n = nvme_tcp_pdu_build(&treq->pdu, &tq->params, data, datacnt, len, treq->iov,
			       TCP_PDU_IOV_MAX);
	if (n < 0)
		return n;
	treq->sreq.iov = treq->iov;
	treq->sreq.iovcnt = n;
	treq->sreq.cb = req_send_done;
	treq->sreq.cb_arg = treq;
	treq->pending_sends++;
	n = sio_sock_writev_async(tq->sock, &treq->sreq);
	if (n != 0)
		treq->pending_sends--;
	return n;
}

/* Sends the next H2CData of the R2T window being answered. */
static int send_h2c(struct tcp_qpair *tq, struct nvme_request *req)
{
	struct tcp_req *treq = treq_of(req);
	struct iovec slice[TCP_DATA_IOV_MAX];
	uint32_t len = treq->h2c_end - treq->h2c_off;
	bool last;
	int cnt;

	if (len > tq->maxh2cdata)
		len = tq->maxh2cdata;
	last = treq->h2c_off + len == treq->h2c_end;
	cnt = nvme_tcp_iov_slice(slice, TCP_DATA_IOV_MAX, req->iov, req->iovcnt, treq->h2c_off, len);
	if (cnt < 0)
		return cnt;
	nvme_tcp_pdu_h2c_data_init(&treq->pdu, req->cmd.cid, treq->ttag, treq->h2c_off, last);
	treq->h2c_off += len;
	if (last)
		treq->h2c_active = false;
	return send_pdu(tq, treq, slice, cnt, len);
}

static void try_complete(struct tcp_qpair *tq, struct nvme_request *req)
{
	struct tcp_req *treq = treq_of(req);

	if (!treq->resp_stashed || treq->pending_sends != 0)
		return;
	treq->resp_stashed = false;
	tq->completions++;
	SIO_TRACE(SIO_TP_NVME_TCP_COMPLETE, tq, req, req->cmd.cid, treq->cpl.status.raw, 0);
	nvme_qpair_complete(&tq->qp, req, &treq->cpl);
}

static void req_send_done(void *arg, int rc)
{
	struct tcp_req *treq = arg;
	struct nvme_request *req = req_of(treq);
	struct tcp_qpair *tq = tqp_of(req->qpair);

	treq->pending_sends--;
	if (rc != 0) {
		if (rc != -ECANCELED)
			send_failed(tq, rc);
		return;
	}
	if (req->state != NVME_REQ_OUTSTANDING)
		return;
	if (treq->r2t_waiting || treq->h2c_active) {
		treq->r2t_waiting = false;
		rc = send_h2c(tq, req);
		if (rc != 0)
			send_failed(tq, rc);
		return;
	}
	try_complete(tq, req);
}

static int tcp_qpair_submit(struct sio_nvme_qpair *qp, struct nvme_request *req)
{
	struct tcp_qpair *tq = tqp_of(qp);
	struct tcp_req *treq = treq_of(req);
	struct sio_nvme_sgl_desc *sgl = &req->cmd.dptr.sgl1;
	bool incapsule;

	if (tq->sock == NULL)
		return -ENOTCONN;
	memset(treq, 0, offsetof(struct tcp_req, cpl));
	incapsule = req->xfer == SIO_NVME_DATA_HOST_TO_CTRLR &&
		    (req->payload_size <= tq->icd_max || req->cmd.opc == SIO_NVME_OPC_FABRICS);
	sgl->address = 0;
	sgl->unkeyed.length = req->payload_size;
	memset(sgl->unkeyed.reserved, 0, sizeof(sgl->unkeyed.reserved));
	sgl->unkeyed.id = incapsule ? SIO_NVME_SGL_ID_TCP_INCAPSULE : SIO_NVME_SGL_ID_TCP_TRANSPORT;
	nvme_tcp_pdu_capsule_cmd_init(&treq->pdu, &req->cmd);
	SIO_TRACE(SIO_TP_NVME_TCP_SUBMIT, tq, req, req->cmd.cid, req->cmd.opc, req->payload_size);
	if (incapsule)
		return send_pdu(tq, treq, req->iov, req->iovcnt, req->payload_size);
	return send_pdu(tq, treq, NULL, 0, 0);
}

/* ---- receive ---- */

static int proto_fail(struct tcp_qpair *tq, uint16_t fes, uint32_t fei, const char *why)
{
	SIO_ERRLOG("nvme/tcp: queue %u: %s", tq->qp.qid, why);
	nvme_tcp_rx_fail(&tq->rx, fes, fei);
	return -EPROTO;
}

static int rx_pdu_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		       int *iovcnt)
{
	struct tcp_qpair *tq = ctx;
	struct nvme_request *req;
	struct tcp_req *treq;
	int cnt;

	if (tq->sock == NULL)
		return -ECANCELED; /* closed from a completion: what is left is not ours */
	if (pdu->type != NVME_TCP_PDU_C2H_DATA)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD, 0, "unexpected data PDU");
	req = nvme_qpair_req_by_cid(&tq->qp, pdu->data.cccid);
	if (req == NULL || req->xfer != SIO_NVME_DATA_CTRLR_TO_HOST)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvme_tcp_c2h_data, cccid),
				  "C2HData for no read outstanding");
	/* SUCCESS replaces the CapsuleResp and its SQHD: a controller may only
	 * use it on a queue whose Connect disabled SQ flow control. */
	if (pdu->data.success && !tq->qp.sq_flow_off)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvme_tcp_c2h_data, ch.flags),
				  "C2HData SUCCESS on a queue with SQ flow control");
	treq = treq_of(req);
	if (pdu->data.datao != treq->c2h_next ||
	    (uint64_t)pdu->data.datao + pdu->data.datal > req->payload_size)
		return proto_fail(tq, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0,
				  "C2HData offset or length outside the read");
	cnt = nvme_tcp_iov_slice(tq->rx_iov, TCP_DATA_IOV_MAX, req->iov, req->iovcnt,
				 pdu->data.datao, pdu->data.datal);
	if (cnt < 0)
		return proto_fail(tq, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0, "C2HData does not fit");
	*iov = tq->rx_iov;
	*iovcnt = cnt;
	return 0;
}

static int rx_icresp(struct tcp_qpair *tq, const struct nvme_tcp_rx_pdu *pdu)
{
	struct sio_nvme_ctrlr *ctrlr = tq->qp.ctrlr;
	int rc;

	if (tq->conn != TCP_CONN_IC)
		return proto_fail(tq, NVME_TCP_FES_PDU_SEQUENCE_ERROR, 0, "ICResp out of sequence");
	if (pdu->ic.maxh2cdata < NVME_TCP_MAXH2CDATA_MIN || pdu->ic.maxh2cdata % 4 != 0)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvme_tcp_ic_resp, maxh2cdata), "ICResp MAXH2CDATA invalid");
	/* A controller enables at most what we asked for. */
	if ((pdu->ic.hdgst && !ctrlr->opts.header_digest) ||
	    (pdu->ic.ddgst && !ctrlr->opts.data_digest))
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvme_tcp_ic_resp, dgst), "ICResp enables digests not asked for");
	tq->params.hdgst = pdu->ic.hdgst;
	tq->params.ddgst = pdu->ic.ddgst;
	tq->params.rx_pda = 0;
	tq->params.tx_pda = pdu->ic.pda;
	tq->maxh2cdata = pdu->ic.maxh2cdata;
	rc = nvme_tcp_rx_set_params(&tq->rx, &tq->params);
	if (rc != 0)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvme_tcp_ic_resp, cpda), "ICResp CPDA invalid");
	tq->conn = TCP_CONN_FABRIC;
	/* The Fabrics Connect (and its completion) carries the connect on. */
	rc = nvme_fabric_qpair_connect(&tq->qp, fabric_connect_done, tq);
	if (rc != 0) {
		tq->conn = TCP_CONN_IC;
		return rc;
	}
	return 0;
}

static int rx_capsule_resp(struct tcp_qpair *tq, const struct nvme_tcp_rx_pdu *pdu)
{
	const struct sio_nvme_cpl *cqe = pdu->resp.cqe;
	struct nvme_request *req = nvme_qpair_req_by_cid(&tq->qp, cqe->cid);
	struct tcp_req *treq;

	if (req == NULL)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  8 + offsetof(struct sio_nvme_cpl, cid),
				  "CapsuleResp for no command outstanding");
	treq = treq_of(req);
	treq->cpl = *cqe;
	if (treq->ddgst_bad && !sio_nvme_cpl_is_error(cqe))
		sio_nvme_cpl_set_status(&treq->cpl, SIO_NVME_SCT_GENERIC,
					SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR, false);
	treq->resp_stashed = true;
	try_complete(tq, req);
	return 0;
}

static int rx_c2h_done(struct tcp_qpair *tq, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct nvme_request *req = nvme_qpair_req_by_cid(&tq->qp, pdu->data.cccid);
	struct tcp_req *treq;

	if (req == NULL)
		return -EPROTO;
	treq = treq_of(req);
	treq->c2h_next += pdu->data.datal;
	if (status == -EBADMSG) {
		SIO_ERRLOG("nvme/tcp: queue %u: data digest error on read cid %u", tq->qp.qid,
			   req->cmd.cid);
		treq->ddgst_bad = true;
	}
	if (pdu->data.success) {
		if (treq->c2h_next != req->payload_size)
			return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD, 1,
					  "C2HData SUCCESS before all data");
		nvme_cpl_make(&treq->cpl, tq->qp.qid, req->cmd.cid, SIO_NVME_SCT_GENERIC,
			      treq->ddgst_bad ? SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR
					      : SIO_NVME_SC_SUCCESS,
			      false);
		treq->resp_stashed = true;
		try_complete(tq, req);
	}
	return 0;
}

static int rx_r2t(struct tcp_qpair *tq, const struct nvme_tcp_rx_pdu *pdu)
{
	struct nvme_request *req = nvme_qpair_req_by_cid(&tq->qp, pdu->r2t.cccid);
	struct tcp_req *treq;

	if (req == NULL || req->xfer != SIO_NVME_DATA_HOST_TO_CTRLR)
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD,
				  offsetof(struct nvme_tcp_r2t, cccid), "R2T for no write outstanding");
	treq = treq_of(req);
	if (treq->h2c_active)
		return proto_fail(tq, NVME_TCP_FES_R2T_LIMIT_EXCEEDED, 0, "second R2T while one is open");
	if (pdu->r2t.r2tl == 0 || pdu->r2t.r2to != treq->h2c_off ||
	    (uint64_t)pdu->r2t.r2to + pdu->r2t.r2tl > req->payload_size)
		return proto_fail(tq, NVME_TCP_FES_DATA_OUT_OF_RANGE, 0, "R2T outside the write");
	treq->ttag = pdu->r2t.ttag;
	treq->h2c_end = pdu->r2t.r2to + pdu->r2t.r2tl;
	treq->h2c_active = true;
	/* One send in flight per request: the H2CData reuses the capsule's
	 * PDU and iovecs once the sock layer gave them back. */
	if (treq->pending_sends != 0) {
		treq->r2t_waiting = true;
		return 0;
	}
	return send_h2c(tq, req);
}

static int rx_pdu_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct tcp_qpair *tq = ctx;

	if (tq->sock == NULL)
		return -ECANCELED;
	switch (pdu->type) {
	case NVME_TCP_PDU_IC_RESP:
		return rx_icresp(tq, pdu);
	case NVME_TCP_PDU_CAPSULE_RESP:
		return rx_capsule_resp(tq, pdu);
	case NVME_TCP_PDU_C2H_DATA:
		return rx_c2h_done(tq, pdu, status);
	case NVME_TCP_PDU_R2T:
		return rx_r2t(tq, pdu);
	case NVME_TCP_PDU_C2H_TERM_REQ:
		SIO_ERRLOG("nvme/tcp: queue %u: controller ended the connection: %s (fei %u)",
			   tq->qp.qid, nvme_tcp_fes_name(pdu->term.fes), pdu->term.fei);
		return 0;
	default:
		return proto_fail(tq, NVME_TCP_FES_INVALID_HEADER_FIELD, 0, "unexpected PDU type");
	}
}

static const struct nvme_tcp_rx_ops g_rx_ops = {
	.pdu_data = rx_pdu_data,
	.pdu_done = rx_pdu_done,
};

static void tcp_sock_cb(void *arg, struct sio_sock_group *group, struct sio_sock *sock)
{
	struct tcp_qpair *tq = arg;
	struct iovec iov[8];

	tq->qp.stats.socket_completions++;
	for (int i = 0; i < TCP_RX_BUDGET && tq->sock == sock; i++) {
		size_t want = 0;
		ssize_t r;
		int n, rc;

		n = nvme_tcp_rx_iov(&tq->rx, iov, 8);
		if (n <= 0) {
			tcp_fail(tq, -EPROTO);
			return;
		}
		for (int k = 0; k < n; k++)
			want += iov[k].iov_len;
		r = sio_sock_readv(sock, iov, n);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			if (tq->conn != TCP_CONN_IDLE)
				SIO_DEBUGLOG(NVME_LOG, "queue %u: connection lost: %zd", tq->qp.qid, r);
			tcp_fail(tq, r == SIO_SOCK_EOF ? -ECONNRESET : (int)r);
			return;
		}
		rc = nvme_tcp_rx_advance(&tq->rx, (size_t)r);
		if (rc != 0) {
			struct nvme_tcp_rx_err e;

			nvme_tcp_rx_error(&tq->rx, &e);
			if (rc == -EPROTO)
				SIO_ERRLOG("nvme/tcp: queue %u: protocol error from the controller: %s",
					   tq->qp.qid, nvme_tcp_err_name(e.code));
			tcp_fail(tq, rc == -ECONNABORTED ? -ECONNRESET : rc);
			return;
		}
		/* Short: the socket had no more; reading again would only
		 * return -EAGAIN. The group reports it again when more comes. */
		if ((size_t)r < want)
			return;
	}
}

/* ---- queue pair objects ---- */

static struct sio_nvme_qpair *tcp_qpair_create(struct sio_nvme_ctrlr *ctrlr, uint16_t qid)
{
	struct tcp_qpair *tq = calloc(1, sizeof(*tq));

	if (tq == NULL)
		return NULL;
	tq->rx_buf = malloc(TCP_RX_BUF_SIZE);
	tq->group = sio_sock_group_create(tq);
	if (tq->rx_buf == NULL || tq->group == NULL) {
		free(tq->rx_buf);
		if (tq->group != NULL)
			sio_sock_group_close(&tq->group);
		free(tq);
		return NULL;
	}
	tq->icd_max = qid == 0 ? TCP_ADMIN_ICD : ctrlr->ioccsz_bytes;
	return &tq->qp;
}

static void group_close_msg(void *arg)
{
	struct sio_sock_group *group = arg;

	if (sio_sock_group_close(&group) != 0)
		SIO_ERRLOG("nvme/tcp: socket group of a destroyed queue pair not closed");
}

static void tcp_qpair_destroy(struct sio_nvme_qpair *qp)
{
	struct tcp_qpair *tq = tqp_of(qp);

	tcp_close_sock(tq);
	/* A connect that fails inside the socket's callback frees the queue
	 * pair from inside the group's own poll, which cannot close the group
	 * under itself: close it (now empty) on the thread's next turn. Until
	 * then its pollers keep the thread from exiting. */
	if (sio_sock_group_close(&tq->group) == -EBUSY &&
	    sio_thread_send_msg(sio_thread_get_current(), group_close_msg, tq->group) != 0)
		SIO_ERRLOG("nvme/tcp: cannot close the socket group of queue %u", qp->qid);
	free(tq->rx_buf);
	free(tq);
}

/* The socket group polls itself (its own poller), not only through
 * process_completions: its poll counts and the completions it drove are the
 * queue pair's. */
static void tcp_qpair_stats(const struct sio_nvme_qpair *qp, struct sio_nvme_qpair_stats *s)
{
	const struct tcp_qpair *tq = (const struct tcp_qpair *)qp;

	if (sio_sock_group_get_poll_stats(tq->group, &s->polls, &s->idle_polls) != 0)
		s->polls = s->idle_polls = 0;
	s->nvme_completions = tq->completions;
}

static int tcp_qpair_process(struct sio_nvme_qpair *qp, uint32_t max)
{
	struct tcp_qpair *tq = tqp_of(qp);
	uint64_t before = tq->completions;
	int rc;

	(void)max;
	rc = sio_sock_group_poll(tq->group);
	if (rc < 0)
		return rc;
	return (int)(tq->completions - before);
}

static uint32_t tcp_ctrlr_max_xfer_size(struct sio_nvme_ctrlr *ctrlr)
{
	/* No transport limit beyond what the request's iovecs can describe. */
	return UINT32_MAX;
}

/* The secure channel's credentials, derived once per controller (every
 * queue pair and reconnect uses them). */
static int tcp_ctrlr_construct(struct sio_nvme_ctrlr *ctrlr)
{
	struct nvme_tcp_tls_cred *cred;
	struct sio_key_secret sec;
	int rc;

	if (ctrlr->trid.traddr[0] == '\0' || ctrlr->trid.trsvcid[0] == '\0')
		return -EINVAL;
	if (ctrlr->opts.tls_psk == NULL)
		return 0;
	if (sio_key_get_format(ctrlr->opts.tls_psk) != SIO_KEY_FORMAT_TLS_PSK)
		return -EKEYREJECTED;
	rc = sio_key_get_secret(ctrlr->opts.tls_psk, &sec);
	if (rc != 0)
		return rc;
	cred = malloc(sizeof(*cred));
	if (cred == NULL) {
		sio_key_secret_clear(&sec);
		return -ENOMEM;
	}
	rc = nvme_tcp_tls_cred_derive(sec.bytes, sec.len, sec.hash, ctrlr->opts.hostnqn,
				      ctrlr->trid.subnqn, ctrlr->opts.tls_psk_identity, cred);
	sio_key_secret_clear(&sec);
	if (rc != 0) {
		free(cred);
		SIO_ERRLOG("nvme/tcp: cannot derive the TLS PSK of %s for %s: %s",
			   ctrlr->opts.hostnqn, ctrlr->trid.subnqn, strerror(-rc));
		return rc;
	}
	ctrlr->tctx = cred;
	/* Only valid during the connect call (documented). */
	ctrlr->opts.tls_psk = NULL;
	ctrlr->opts.tls_psk_identity = NULL;
	return 0;
}

static void tcp_ctrlr_destruct(struct sio_nvme_ctrlr *ctrlr)
{
	if (ctrlr->tctx != NULL) {
		nvme_tcp_tls_cred_clear(ctrlr->tctx);
		free(ctrlr->tctx);
		ctrlr->tctx = NULL;
	}
}

const struct nvme_transport_ops nvme_tcp_transport_ops = {
	.type = SIO_NVME_TRANSPORT_TCP,
	.name = "TCP",
	.req_ctx_size = sizeof(struct tcp_req),
	.fabrics = true,
	.ctrlr_construct = tcp_ctrlr_construct,
	.ctrlr_destruct = tcp_ctrlr_destruct,
	.ctrlr_max_xfer_size = tcp_ctrlr_max_xfer_size,
	.ctrlr_get_reg = nvme_fabric_prop_get,
	.ctrlr_set_reg = nvme_fabric_prop_set,
	.qpair_create = tcp_qpair_create,
	.qpair_destroy = tcp_qpair_destroy,
	.qpair_connect = tcp_qpair_connect,
	.qpair_disconnect = tcp_qpair_disconnect,
	.qpair_submit = tcp_qpair_submit,
	.qpair_stats = tcp_qpair_stats,
	.qpair_process = tcp_qpair_process,
};
