/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller emulation, part one: qpairs, command dispatch, the Fabrics
 * commands (Connect, Property Get/Set, Disconnect), asynchronous events,
 * keep-alive, and the I/O commands mapped onto bdev calls. Admin commands
 * other than these live in ctrlr_admin.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme/tcp/nvme_tcp_tls.h"
#include "nvmf/nvmf_auth.h"
#include "nvmf/nvmf_ctrlr.h"
#include "spdk_io/env.h"

/* ------------------------------------------------------------------------ */
/* Completion                                                               */
/* ------------------------------------------------------------------------ */

void nvmf_req_complete(struct nvmf_req *req)
{
	struct nvmf_qpair *qp = req->qpair;

	req->rsp.cid = req->cmd.cid;
	req->rsp.sqid = qp->qid;
	if (qp->sq_flow_off) {
		req->rsp.sqhd = 0xffff;
	} else {
		/* One entry consumed per command; the host counts free slots from this. */
		qp->sqhd = (uint16_t)((qp->sqhd + 1) % (qp->sq_entries ? qp->sq_entries : 1));
		req->rsp.sqhd = qp->sqhd;
	}
	req->state = NVMF_REQ_COMPLETING;
	qp->outstanding--;
	qp->ops->complete(req);
}

void nvmf_req_complete_status(struct nvmf_req *req, uint8_t sct, uint8_t sc)
{
	sio_nvme_cpl_set_status(&req->rsp, sct, sc, sct != SIO_NVME_SCT_GENERIC ||
				sc != SIO_NVME_SC_SUCCESS);
	nvmf_req_complete(req);
}

static void req_fail(struct nvmf_req *req, uint8_t sct, uint8_t sc)
{
	nvmf_req_complete_status(req, sct, sc);
}

void nvmf_req_copy_to(struct nvmf_req *req, const void *src, size_t len)
{
	const uint8_t *p = src;

	for (int i = 0; i < req->iovcnt && len > 0; i++) {
		size_t n = req->iov[i].iov_len < len ? req->iov[i].iov_len : len;

		memcpy(req->iov[i].iov_base, p, n);
		p += n;
		len -= n;
	}
}

void nvmf_req_read_at(struct nvmf_req *req, size_t offset, void *dst, size_t len)
{
	uint8_t *p = dst;

	for (int i = 0; i < req->iovcnt && len > 0; i++) {
		size_t il = req->iov[i].iov_len;
		size_t n;

		if (offset >= il) {
			offset -= il;
			continue;
		}
		n = il - offset < len ? il - offset : len;
		memcpy(p, (uint8_t *)req->iov[i].iov_base + offset, n);
		p += n;
		len -= n;
		offset = 0;
	}
}

/* Gather up to @len bytes of the request's data into @dst; returns the bytes copied. */
static size_t req_copy_from(struct nvmf_req *req, void *dst, size_t len)
{
	uint8_t *p = dst;
	size_t done = 0;

	for (int i = 0; i < req->iovcnt && done < len; i++) {
		size_t n = req->iov[i].iov_len < len - done ? req->iov[i].iov_len : len - done;

		memcpy(p + done, req->iov[i].iov_base, n);
		done += n;
	}
	return done;
}

enum sio_nvme_data_xfer nvmf_req_xfer(const struct sio_nvme_cmd *cmd)
{
	if (cmd->opc == SIO_NVME_OPC_FABRICS) {
		const struct sio_nvmf_capsule_cmd *f = (const void *)cmd;

		return sio_nvme_opc_data_xfer(f->fctype);
	}
	return sio_nvme_opc_data_xfer(cmd->opc);
}

/* ------------------------------------------------------------------------ */
/* Qpairs                                                                   */
/* ------------------------------------------------------------------------ */

void nvmf_qpair_init(struct nvmf_qpair *qp, struct nvmf_poll_group *pg,
		     struct sio_nvmf_transport *t, const struct nvmf_qpair_ops *ops)
{
	memset(qp, 0, sizeof(*qp));
	qp->ops = ops;
	qp->transport = t;
	qp->pg = pg;
	qp->state = NVMF_QPAIR_CONNECTING;
	qp->sq_entries = 1;
	qp->connect_tick = sio_get_ticks();
	TAILQ_INSERT_TAIL(&pg->qpairs, qp, link);
}

static void ctrlr_free(struct nvmf_ctrlr *ctrlr)
{
	free(ctrlr);
}

/* Drop one qpair's reference on @ctrlr; the last one ends it. */
static void ctrlr_put(struct nvmf_ctrlr *ctrlr, struct nvmf_qpair *qp)
{
	struct sio_nvmf_subsystem *ss = ctrlr->ss;
	bool last;

	pthread_mutex_lock(&ss->mutex);
	if (qp->qid == 0)
		ctrlr->admin_qpair = NULL;
	else
		__atomic_fetch_sub(&ctrlr->num_io_qpairs, 1, __ATOMIC_RELAXED);
	last = --ctrlr->refs == 0;
	if (last)
		TAILQ_REMOVE(&ss->ctrlrs, ctrlr, link);
	else if (qp->qid == 0)
		/* Without its admin queue the controller is over: close the I/O queues too. */
		__atomic_store_n(&ctrlr->disconnect_requested, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ss->mutex);
	if (last)
		ctrlr_free(ctrlr);
	else if (qp->qid == 0)
		nvmf_tgt_kick_pgs(ss->tgt);
}

void nvmf_qpair_disconnecting(struct nvmf_qpair *qp)
{
	qp->state = NVMF_QPAIR_DISCONNECTING;
	if (qp->ctrlr != NULL && qp->qid != 0) {
		/* Commands held by a paused subsystem would wait for a resume: end them now. */
		struct nvmf_pg_subsystem *sg = &qp->pg->sgroups[qp->ctrlr->ss->id];
		struct nvmf_req *req, *tmp;

		TAILQ_FOREACH_SAFE(req, &sg->held, link, tmp) {
			if (req->qpair != qp)
				continue;
			TAILQ_REMOVE(&sg->held, req, link);
			req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_ABORTED_SQ_DELETION);
		}
	}
	if (qp->ctrlr != NULL && qp->qid == 0 && qp->ctrlr->admin_qpair == qp)
		nvmf_ctrlr_aer_abort_all(qp->ctrlr);
}

void nvmf_qpair_fini(struct nvmf_qpair *qp)
{
	struct nvmf_poll_group *pg = qp->pg;

	nvmf_auth_qpair_free(qp);
	TAILQ_REMOVE(&pg->qpairs, qp, link);
	if (qp->ctrlr != NULL) {
		if (qp->qid == 0)
			pg->stats.current_admin_qpairs--;
		else
			pg->stats.current_io_qpairs--;
		ctrlr_put(qp->ctrlr, qp);
		qp->ctrlr = NULL;
	}
}

void nvmf_ctrlr_request_disconnect(struct nvmf_ctrlr *ctrlr)
{
	__atomic_store_n(&ctrlr->disconnect_requested, true, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------ */
/* Connect                                                                  */
/* ------------------------------------------------------------------------ */

/* Fail a Connect with Invalid Parameters, pointing at the field (IATTR/IPO). */
static void connect_invalid(struct nvmf_req *req, uint8_t iattr, uint16_t ipo)
{
	union sio_nvmf_connect_rsp_dw0 dw0 = {.raw = 0};

	dw0.invalid.iattr = iattr;
	dw0.invalid.ipo = ipo;
	req->rsp.cdw0 = dw0.raw;
	req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS);
}

static struct sio_nvmf_subsystem *tgt_find_subsystem_locked(struct sio_nvmf_tgt *tgt,
							    const char *nqn)
{
	for (uint32_t i = 0; i < tgt->max_subsystems; i++) {
		struct sio_nvmf_subsystem *ss = tgt->subsystems[i];

		if (ss != NULL && strcmp(ss->nqn, nqn) == 0)
			return ss;
	}
	return NULL;
}

static bool cntlid_in_use(struct sio_nvmf_subsystem *ss, uint16_t id)
{
	struct nvmf_ctrlr *c;

	TAILQ_FOREACH(c, &ss->ctrlrs, link)
		if (c->cntlid == id)
			return true;
	return false;
}

static void ctrlr_features_default(struct nvmf_ctrlr *ctrlr)
{
	memset(&ctrlr->feat, 0, sizeof(ctrlr->feat));
	/* Temperature threshold: 0x0157 K (70 C over-temperature), as real drives report. */
	ctrlr->feat.temp_threshold = 0x0157;
	ctrlr->feat.volatile_wc = 1;
}

/* Admin queue Connect: a new controller (dynamic model). Runs under ss->mutex. */
static int connect_admin_locked(struct nvmf_req *req, struct sio_nvmf_subsystem *ss,
				const struct sio_nvmf_connect_cmd *cc,
				const struct sio_nvmf_connect_data *data)
{
	struct nvmf_qpair *qp = req->qpair;
	struct nvmf_ctrlr *ctrlr;
	uint32_t tries;

	if (data->cntlid != SIO_NVMF_CNTLID_DYNAMIC) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_DATA,
				offsetof(struct sio_nvmf_connect_data, cntlid));
		return -EINVAL;
	}
	if (cc->sqsize < 1 || cc->sqsize >= qp->transport->opts.max_aq_depth) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_CMD,
				offsetof(struct sio_nvmf_connect_cmd, sqsize));
		return -EINVAL;
	}
	ctrlr = calloc(1, sizeof(*ctrlr));
	if (ctrlr == NULL) {
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
		return -ENOMEM;
	}
	for (tries = 0; tries <= (uint32_t)(ss->opts.max_cntlid - ss->opts.min_cntlid); tries++) {
		uint16_t id = ss->next_cntlid;

		ss->next_cntlid = id >= ss->opts.max_cntlid ? ss->opts.min_cntlid : id + 1;
		if (!cntlid_in_use(ss, id)) {
			ctrlr->cntlid = id;
			break;
		}
	}
	if (ctrlr->cntlid == 0) {
		free(ctrlr);
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_CONTROLLER_BUSY);
		return -EBUSY;
	}
	ctrlr->ss = ss;
	memcpy(ctrlr->hostid, data->hostid, sizeof(ctrlr->hostid));
	memcpy(ctrlr->hostnqn, data->hostnqn, sizeof(ctrlr->hostnqn));
	ctrlr->admin_qpair = qp;
	ctrlr->admin_pg = qp->pg;
	ctrlr->refs = 1;
	ctrlr->max_qpairs = qp->transport->opts.max_qpairs_per_ctrlr;
	ctrlr_features_default(ctrlr);
	ctrlr->feat.kato_ms = cc->kato;
	ctrlr->last_keep_alive = sio_get_ticks();
	ctrlr->ns_change_seen = ss->ns_change_gen;
	TAILQ_INSERT_TAIL(&ss->ctrlrs, ctrlr, link);
	qp->ctrlr = ctrlr;
	return 0;
}

/* I/O queue Connect: join controller data->cntlid. Runs under ss->mutex. */
static int connect_io_locked(struct nvmf_req *req, struct sio_nvmf_subsystem *ss,
			     const struct sio_nvmf_connect_cmd *cc,
			     const struct sio_nvmf_connect_data *data)
{
	struct nvmf_qpair *qp = req->qpair;
	struct nvmf_ctrlr *ctrlr;
	uint32_t granted;

	TAILQ_FOREACH(ctrlr, &ss->ctrlrs, link)
		if (ctrlr->cntlid == data->cntlid)
			break;
	if (ctrlr == NULL || strncmp(ctrlr->hostnqn, data->hostnqn, sizeof(ctrlr->hostnqn)) != 0 ||
	    __atomic_load_n(&ctrlr->disconnect_requested, __ATOMIC_ACQUIRE)) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_DATA,
				offsetof(struct sio_nvmf_connect_data, cntlid));
		return -ENOENT;
	}
	if (!(__atomic_load_n(&ctrlr->csts, __ATOMIC_ACQUIRE) & 1u)) {
		/* CSTS.RDY is 0: I/O queues only exist on an enabled controller. */
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return -EINVAL;
	}
	granted = (__atomic_load_n(&ctrlr->feat.num_queues, __ATOMIC_ACQUIRE) & 0xffff) + 1;
	if (cc->qid > granted || cc->qid >= ctrlr->max_qpairs ||
	    __atomic_load_n(&ctrlr->num_io_qpairs, __ATOMIC_RELAXED) + 1 >= ctrlr->max_qpairs) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_CMD,
				offsetof(struct sio_nvmf_connect_cmd, qid));
		return -EINVAL;
	}
	if (cc->sqsize < 1 || cc->sqsize >= qp->transport->opts.max_queue_depth) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_CMD,
				offsetof(struct sio_nvmf_connect_cmd, sqsize));
		return -EINVAL;
	}
	ctrlr->refs++;
	/* Atomic: Set Features on the admin queue's thread reads it without the mutex. */
	__atomic_fetch_add(&ctrlr->num_io_qpairs, 1, __ATOMIC_RELAXED);
	qp->ctrlr = ctrlr;
	return 0;
}

static void exec_connect(struct nvmf_req *req)
{
	const struct sio_nvmf_connect_cmd *cc = (const void *)&req->cmd;
	struct nvmf_qpair *qp = req->qpair;
	struct sio_nvmf_tgt *tgt = qp->pg->tgt;
	struct sio_nvmf_connect_data *data;
	struct sio_nvmf_subsystem *ss;
	union sio_nvmf_connect_rsp_dw0 dw0 = {.raw = 0};
	struct sio_key *auth_key = NULL, *auth_ctrlr_key = NULL; /* DH-HMAC-CHAP of this host */
	char laddr[64];
	uint16_t lport;
	int rc;

	if (qp->state != NVMF_QPAIR_CONNECTING || qp->ctrlr != NULL) {
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (req->length < sizeof(*data)) {
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (cc->recfmt != SIO_NVMF_CONNECT_RECFMT) {
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_INCOMPATIBLE_FORMAT);
		return;
	}
	/* 1 KiB: copied out of the data buffers, which may be split. */
	data = malloc(sizeof(*data));
	if (data == NULL) {
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
		return;
	}
	req_copy_from(req, data, sizeof(*data));
	if (memchr(data->subnqn, '\0', sizeof(data->subnqn)) == NULL) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_DATA,
				offsetof(struct sio_nvmf_connect_data, subnqn));
		goto out;
	}
	if (memchr(data->hostnqn, '\0', sizeof(data->hostnqn)) == NULL ||
	    !nvmf_nqn_is_valid(data->hostnqn)) {
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_DATA,
				offsetof(struct sio_nvmf_connect_data, hostnqn));
		goto out;
	}

	/* Over TLS, the PSK that opened the channel is a host's key for one
	 * subsystem: Connect must be that host to that subsystem. */
	if (qp->tls_identity != NULL) {
		char thost[SIO_NVMF_NQN_FIELD_LEN], tsub[SIO_NVMF_NQN_FIELD_LEN];
		uint8_t hash;

		if (nvme_tcp_tls_identity_parse(qp->tls_identity, &hash, thost, sizeof(thost), tsub,
						sizeof(tsub)) != 0 ||
		    strcmp(thost, data->hostnqn) != 0 || strcmp(tsub, data->subnqn) != 0) {
			SIO_NOTICELOG("nvmf: Connect of %s to %s over a TLS channel opened as \"%s\": refused",
				      data->hostnqn, data->subnqn, qp->tls_identity);
			dw0.invalid.iattr = SIO_NVMF_CONNECT_IATTR_DATA;
			dw0.invalid.ipo = offsetof(struct sio_nvmf_connect_data, hostnqn);
			req->rsp.cdw0 = dw0.raw;
			req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_INVALID_HOST);
			goto out;
		}
	}
	/*
	 * The target's mutex keeps the subsystem from being freed while we look
	 * at it; the subsystem's keeps its state, hosts and controllers still.
	 */
	pthread_mutex_lock(&tgt->mutex);
	ss = tgt_find_subsystem_locked(tgt, data->subnqn);
	if (ss == NULL) {
		pthread_mutex_unlock(&tgt->mutex);
		SIO_INFOLOG("nvmf: Connect to unknown subsystem %s from %s", data->subnqn,
			    data->hostnqn);
		connect_invalid(req, SIO_NVMF_CONNECT_IATTR_DATA,
				offsetof(struct sio_nvmf_connect_data, subnqn));
		goto out;
	}
	pthread_mutex_lock(&ss->mutex);
	if (!ss->accepting) {
		rc = -EAGAIN;
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_CONTROLLER_BUSY);
	} else if (!ss->allow_any_host && ({
			   struct nvmf_host *h;
			   bool found = false;
			   TAILQ_FOREACH(h, &ss->hosts, link)
				   found |= strcmp(h->nqn, data->hostnqn) == 0;
			   !found;
		   })) {
		rc = -EACCES;
		SIO_NOTICELOG("nvmf: host %s may not connect to %s", data->hostnqn, ss->nqn);
		dw0.invalid.iattr = SIO_NVMF_CONNECT_IATTR_DATA;
		dw0.invalid.ipo = offsetof(struct sio_nvmf_connect_data, hostnqn);
		req->rsp.cdw0 = dw0.raw;
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_INVALID_HOST);
	} else if (!nvmf_subsystem_listener_allowed_locked(ss, qp, laddr, sizeof(laddr), &lport)) {
		/*
		 * Another subsystem's listener: the host may use this subsystem only
		 * where it listens (SPDK answers Invalid Host too).
		 */
		rc = -EACCES;
		SIO_NOTICELOG("nvmf: host %s may not connect to %s through %s port %u: not one of its listeners",
			      data->hostnqn, ss->nqn, laddr, lport);
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_CONNECT_INVALID_HOST);
	} else if (cc->qid == 0) {
		rc = connect_admin_locked(req, ss, cc, data);
	} else {
		rc = connect_io_locked(req, ss, cc, data);
	}
	if (rc == 0)
		nvmf_subsystem_host_dhchap_keys_locked(ss, data->hostnqn, &auth_key, &auth_ctrlr_key);
	pthread_mutex_unlock(&ss->mutex);
	pthread_mutex_unlock(&tgt->mutex);
	if (rc != 0)
		goto out;

	qp->qid = cc->qid;
	qp->sq_entries = (uint16_t)(cc->sqsize + 1);
	qp->sq_flow_off = (cc->cattr & SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW) != 0;
	qp->sqhd = 0;
	if (qp->ops->connected != NULL && qp->ops->connected(qp) != 0) {
		/* The controller keeps the qpair; it closes when the host sees the error. */
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
		qp->state = NVMF_QPAIR_ACTIVE;
		goto out;
	}
	qp->state = NVMF_QPAIR_ACTIVE;
	if (qp->qid == 0) {
		qp->pg->stats.admin_qpairs++;
		qp->pg->stats.current_admin_qpairs++;
	} else {
		qp->pg->stats.io_qpairs++;
		qp->pg->stats.current_io_qpairs++;
	}
	SIO_DEBUGLOG(NVMF_LOG, "connect: %s qid %u cntlid %u host %s sqsize %u kato %u",
		     qp->ctrlr->ss->nqn, qp->qid, qp->ctrlr->cntlid, data->hostnqn, cc->sqsize,
		     cc->kato);
	if (auth_key != NULL) {
		/* A host with a DH-HMAC-CHAP key authenticates every queue before using it. */
		if (nvmf_auth_qpair_require(qp, auth_key, auth_ctrlr_key) != 0) {
			req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
			goto out;
		}
		dw0.success.authreq = DHCHAP_AUTHREQ_ATR;
	}
	dw0.success.cntlid = qp->ctrlr->cntlid;
	req->rsp.cdw0 = dw0.raw;
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
out:
	sio_key_put(auth_key);
	sio_key_put(auth_ctrlr_key);
	free(data);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

static uint64_t ctrlr_cap(struct nvmf_ctrlr *ctrlr, struct sio_nvmf_transport *t)
{
	union sio_nvme_cap_register cap = {.raw = 0};

	cap.bits.mqes = (uint16_t)(t->opts.max_queue_depth - 1);
	cap.bits.cqr = 1;           /* queues are contiguous (Fabrics requires 1) */
	cap.bits.to = 30;           /* 15 s for CSTS.RDY transitions, in 500 ms units */
	cap.bits.css = SIO_NVME_CAP_CSS_NVM;
	cap.bits.mpsmin = 0;        /* 4 KiB pages */
	cap.bits.mpsmax = 0;
	return cap.raw;
}

static void ctrlr_set_cc(struct nvmf_ctrlr *ctrlr, uint32_t value)
{
	union sio_nvme_cc_register old = {.raw = ctrlr->cc}, cc = {.raw = value};
	union sio_nvme_csts_register csts = {.raw = __atomic_load_n(&ctrlr->csts,
								    __ATOMIC_ACQUIRE)};

	ctrlr->cc = value;
	if (cc.bits.en && !old.bits.en) {
		csts.bits.rdy = 1;
		csts.bits.shst = SIO_NVME_SHST_NORMAL;
	} else if (!cc.bits.en && old.bits.en) {
		/* Controller reset: ready goes, features return to their defaults. */
		csts.bits.rdy = 0;
		uint32_t kato = ctrlr->feat.kato_ms;

		ctrlr_features_default(ctrlr);
		ctrlr->feat.kato_ms = kato;
	}
	if (cc.bits.shn != SIO_NVME_SHN_NONE && old.bits.shn == SIO_NVME_SHN_NONE) {
		/* Nothing is cached here: shutdown processing completes at once. */
		csts.bits.shst = SIO_NVME_SHST_COMPLETE;
	}
	__atomic_store_n(&ctrlr->csts, csts.raw, __ATOMIC_RELEASE);
}

static void exec_property_get(struct nvmf_req *req)
{
	const struct sio_nvmf_property_get_cmd *pg = (const void *)&req->cmd;
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;
	uint64_t v;
	bool eight = (pg->attrib & 0x7) == SIO_NVMF_PROP_SIZE_8;

	switch (pg->ofst) {
	case SIO_NVME_REG_CAP:
		if (!eight)
			goto invalid;
		v = ctrlr_cap(ctrlr, req->qpair->transport);
		break;
	case SIO_NVME_REG_VS:
		v = SIO_NVME_VERSION(1, 3, 0);
		break;
	case SIO_NVME_REG_CC:
		v = ctrlr->cc;
		break;
	case SIO_NVME_REG_CSTS:
		v = __atomic_load_n(&ctrlr->csts, __ATOMIC_ACQUIRE);
		break;
	default:
		goto invalid;
	}
	if (eight != (pg->ofst == SIO_NVME_REG_CAP))
		goto invalid;
	req->rsp.cdw0 = (uint32_t)v;
	req->rsp.dw1 = (uint32_t)(v >> 32);
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
	return;
invalid:
	req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
}

static void exec_property_set(struct nvmf_req *req)
{
	const struct sio_nvmf_property_set_cmd *ps = (const void *)&req->cmd;
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;

	if ((ps->attrib & 0x7) != SIO_NVMF_PROP_SIZE_4 || ps->ofst != SIO_NVME_REG_CC) {
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_FIELD);
		return;
	}
	ctrlr_set_cc(ctrlr, (uint32_t)ps->value);
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
}

void nvmf_ctrlr_exec_fabrics(struct nvmf_req *req)
{
	const struct sio_nvmf_capsule_cmd *f = (const void *)&req->cmd;
	struct nvmf_qpair *qp = req->qpair;

	if (f->fctype == SIO_NVMF_FCTYPE_CONNECT) {
		exec_connect(req);
		return;
	}
	if (qp->ctrlr == NULL) {
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (f->fctype == SIO_NVMF_FCTYPE_AUTH_SEND) {
		nvmf_auth_exec_send(req);
		return;
	}
	if (f->fctype == SIO_NVMF_FCTYPE_AUTH_RECV) {
		nvmf_auth_exec_recv(req);
		return;
	}
	if (qp->auth_pending && f->fctype != SIO_NVMF_FCTYPE_DISCONNECT) {
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_AUTH_REQUIRED);
		return;
	}
	switch (f->fctype) {
	case SIO_NVMF_FCTYPE_PROPERTY_GET:
		if (qp->qid != 0)
			break;
		exec_property_get(req);
		return;
	case SIO_NVMF_FCTYPE_PROPERTY_SET:
		if (qp->qid != 0)
			break;
		exec_property_set(req);
		return;
	case SIO_NVMF_FCTYPE_DISCONNECT:
		if (qp->qid == 0)
			break;
		/* Answer, then close: the transport drops the queue after sending. */
		nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
		qp->ops->disconnect(qp);
		return;
	default:
		break;
	}
	req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_INVALID_OPCODE);
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

void nvmf_req_exec(struct nvmf_req *req)
{
	struct nvmf_qpair *qp = req->qpair;

	memset(&req->rsp, 0, sizeof(req->rsp));
	req->state = NVMF_REQ_EXECUTING;
	req->sg = NULL;
	qp->outstanding++;
	if (req->cmd.opc == SIO_NVME_OPC_FABRICS) {
		nvmf_ctrlr_exec_fabrics(req);
		return;
	}
	if (qp->ctrlr == NULL || qp->state != NVMF_QPAIR_ACTIVE) {
		/* Only Connect is legal before Connect. */
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (qp->auth_pending) {
		/* Connect asked for DH-HMAC-CHAP: nothing else until it succeeds. */
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC, SIO_NVMF_SC_AUTH_REQUIRED);
		return;
	}
	if (qp->qid == 0)
		nvmf_ctrlr_exec_admin(req);
	else
		nvmf_ctrlr_exec_io(req);
}

/* ------------------------------------------------------------------------ */
/* Asynchronous events                                                      */
/* ------------------------------------------------------------------------ */

/* Complete one outstanding AER with a namespace-attribute notice, if allowed. */
static void ctrlr_report_events(struct nvmf_ctrlr *ctrlr)
{
	union sio_nvme_async_event_completion ev = {.raw = 0};
	struct nvmf_req *req;

	if (!ctrlr->ns_notice_pending || ctrlr->ns_notice_masked || ctrlr->num_aer == 0)
		return;
	if (!(ctrlr->feat.async_event_cfg & SIO_NVME_AEC_NS_ATTR_NOTICES)) {
		/* The host did not ask for these: it reads nothing. */
		ctrlr->ns_notice_pending = false;
		return;
	}
	req = ctrlr->aer[--ctrlr->num_aer];
	ev.bits.async_event_type = SIO_NVME_ASYNC_EVENT_TYPE_NOTICE;
	ev.bits.async_event_info = SIO_NVME_ASYNC_EVENT_NS_ATTR_CHANGED;
	ev.bits.log_page_identifier = SIO_NVME_LOG_CHANGED_NS_LIST;
	req->rsp.cdw0 = ev.raw;
	ctrlr->ns_notice_pending = false;
	ctrlr->ns_notice_masked = true;
	nvmf_req_complete_status(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
}

void nvmf_ctrlr_aer_submit(struct nvmf_req *req)
{
	struct nvmf_ctrlr *ctrlr = req->qpair->ctrlr;

	if (ctrlr->num_aer >= NVMF_MAX_AER) {
		req_fail(req, SIO_NVME_SCT_COMMAND_SPECIFIC,
			 SIO_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED);
		return;
	}
	ctrlr->aer[ctrlr->num_aer++] = req;
	ctrlr_report_events(ctrlr);
}

void nvmf_ctrlr_aer_abort_all(struct nvmf_ctrlr *ctrlr)
{
	while (ctrlr->num_aer > 0) {
		struct nvmf_req *req = ctrlr->aer[--ctrlr->num_aer];

		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_ABORTED_SQ_DELETION);
	}
}

/* Take the subsystem's new namespace notices into this controller's Changed NS list. */
void nvmf_ctrlr_poll_events_quiet(struct nvmf_ctrlr *ctrlr)
{
	struct sio_nvmf_subsystem *ss = ctrlr->ss;
	uint64_t gen;

	pthread_mutex_lock(&ss->mutex);
	gen = ss->ns_change_gen;
	if (gen != ctrlr->ns_change_seen) {
		bool overflow = gen - ctrlr->ns_change_seen > NVMF_NS_CHANGE_RING;

		for (uint64_t g = ctrlr->ns_change_seen; g < gen && !overflow; g++) {
			uint32_t nsid = ss->ns_change_log[g % NVMF_NS_CHANGE_RING];
			bool dup = false;

			for (uint32_t i = 0; i < ctrlr->num_changed_ns && !dup; i++)
				dup = ctrlr->changed_ns[i] == nsid;
			if (dup)
				continue;
			if (ctrlr->num_changed_ns < NVMF_NS_CHANGE_RING)
				ctrlr->changed_ns[ctrlr->num_changed_ns] = nsid;
			ctrlr->num_changed_ns++;
		}
		if (overflow)
			ctrlr->num_changed_ns = NVMF_NS_CHANGE_RING + 1;
		ctrlr->ns_change_seen = gen;
		ctrlr->ns_notice_pending = true;
	}
	pthread_mutex_unlock(&ss->mutex);
}

void nvmf_ctrlr_poll_events(struct nvmf_ctrlr *ctrlr)
{
	nvmf_ctrlr_poll_events_quiet(ctrlr);
	ctrlr_report_events(ctrlr);
}

/* The host read the Changed NS list (RAE clear): report the next change again. */
void nvmf_ctrlr_changed_ns_read(struct nvmf_ctrlr *ctrlr, bool rae)
{
	ctrlr->num_changed_ns = 0;
	if (!rae)
		ctrlr->ns_notice_masked = false;
	ctrlr_report_events(ctrlr);
}

/* ------------------------------------------------------------------------ */
/* Timer work of a poll group                                               */
/* ------------------------------------------------------------------------ */

bool nvmf_pg_check_keep_alive(struct nvmf_poll_group *pg)
{
	struct nvmf_qpair *qp, *tmp;
	uint64_t now = sio_get_ticks();
	bool busy = false;

	TAILQ_FOREACH_SAFE(qp, &pg->qpairs, link, tmp) {
		struct nvmf_ctrlr *ctrlr = qp->ctrlr;

		if (ctrlr == NULL || qp->state != NVMF_QPAIR_ACTIVE)
			continue;
		if (qp->qid == 0 && ctrlr->admin_qpair == qp) {
			uint64_t kato = ctrlr->feat.kato_ms;

			/* Not while DH-HMAC-CHAP runs: a host computing a slow DH group
			 * sends nothing; the kernel's target, too, times from CC.EN. */
			if (kato != 0 && !qp->auth_pending &&
			    now - ctrlr->last_keep_alive > sio_us_to_ticks(kato * 1000)) {
				SIO_NOTICELOG("nvmf: %s cntlid %u: no keep alive for %lu ms, "
					      "disconnecting host %s", ctrlr->ss->nqn, ctrlr->cntlid,
					      (unsigned long)kato, ctrlr->hostnqn);
				nvmf_ctrlr_request_disconnect(ctrlr);
			}
			nvmf_ctrlr_poll_events(ctrlr);
		}
		if (__atomic_load_n(&ctrlr->disconnect_requested, __ATOMIC_ACQUIRE)) {
			qp->ops->disconnect(qp);
			busy = true;
		}
	}
	return busy;
}

/* ------------------------------------------------------------------------ */
/* Held commands (paused subsystems)                                        */
/* ------------------------------------------------------------------------ */

void nvmf_pg_ss_run_held(struct nvmf_poll_group *pg, struct nvmf_pg_subsystem *sg)
{
	struct nvmf_req_list held = TAILQ_HEAD_INITIALIZER(held);
	struct nvmf_req *req;

	TAILQ_CONCAT(&held, &sg->held, link);
	while ((req = TAILQ_FIRST(&held)) != NULL) {
		TAILQ_REMOVE(&held, req, link);
		nvmf_ctrlr_exec_io(req);
	}
}

void nvmf_pg_ss_fail_held(struct nvmf_poll_group *pg, struct nvmf_pg_subsystem *sg)
{
	struct nvmf_req *req;

	while ((req = TAILQ_FIRST(&sg->held)) != NULL) {
		TAILQ_REMOVE(&sg->held, req, link);
		req_fail(req, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_ABORTED_SQ_DELETION);
	}
}
