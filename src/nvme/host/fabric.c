/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fabrics commands of the host: Connect for every queue, and Property
 * Get/Set, through which a fabrics controller's registers (CAP, VS, CC,
 * CSTS) are reached over the admin queue. Any fabrics transport (TCP now,
 * RDMA one day) uses these after its own connection handshake.
 */
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nvme/auth/dhchap.h"
#include "nvme/host/nvme_internal.h"

/* Whether @qpair's Connect asks to disable SQ flow control (CATTR bit 2). */
static bool sq_flow_asked(const struct sio_nvme_qpair *qpair)
{
	return qpair->ctrlr->opts.disable_sq_flow && !qpair->ctrlr->sq_flow_refused &&
	       !qpair->sq_flow_refused;
}

/* DH-HMAC-CHAP after Connect is over: the queue is usable if it succeeded. */
static void connect_auth_done(void *arg, int rc)
{
	struct sio_nvme_qpair *qpair = arg;
	nvme_rc_cb cb = qpair->connect_cb;
	void *cb_arg = qpair->connect_arg;

	qpair->connect_cb = NULL;
	if (rc == 0)
		nvme_qpair_set_state(qpair, NVME_QPAIR_CONNECTED);
	cb(cb_arg, rc);
}

static void connect_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_qpair *qpair = arg;
	nvme_rc_cb cb = qpair->connect_cb;
	void *cb_arg = qpair->connect_arg;

	qpair->connect_cb = NULL;
	if (rc == 0) {
		union sio_nvmf_connect_rsp_dw0 dw0 = { .raw = cpl->cdw0 };

		/* SQHD 0xffff is the controller's yes to the CATTR request; any
		 * other value keeps flow control on (and SUCCESS refused). */
		qpair->sq_flow_off = sq_flow_asked(qpair) && cpl->sqhd == 0xffff;
		if (qpair->qid == 0)
			qpair->ctrlr->cntlid = dw0.success.cntlid;
		if (dw0.success.authreq & DHCHAP_AUTHREQ_ATR) {
			/* DH-HMAC-CHAP before the queue is usable (auth.c); it ends in
			 * connect_auth_done(). */
			qpair->connect_cb = cb;
			qpair->connect_arg = cb_arg;
			rc = nvme_auth_qpair(qpair, connect_auth_done, qpair);
			if (rc == 0)
				return;
			qpair->connect_cb = NULL;
		} else {
			struct sio_key *key, *ctrlr_key;

			nvme_ctrlr_get_dhchap_keys(qpair->ctrlr, &key, &ctrlr_key);
			if (ctrlr_key != NULL) {
				SIO_ERRLOG("nvme: %s does not ask for authentication: the "
					   "controller cannot prove itself with dhchap_ctrlr_key",
					   qpair->ctrlr->trid.subnqn);
				rc = -EACCES;
			}
			sio_key_put(key);
			sio_key_put(ctrlr_key);
		}
	} else if (cpl->status.sct == SIO_NVME_SCT_COMMAND_SPECIFIC) {
		union sio_nvmf_connect_rsp_dw0 dw0 = { .raw = cpl->cdw0 };

		if (cpl->status.sc == SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS &&
		    dw0.invalid.iattr == SIO_NVMF_CONNECT_IATTR_CMD &&
		    dw0.invalid.ipo == offsetof(struct sio_nvmf_connect_cmd, cattr) &&
		    sq_flow_asked(qpair)) {
			/* A controller that cannot disable SQ flow control: the
			 * same Connect again without asking (the queue is still
			 * connecting). Refused on the admin queue, no later queue of
			 * the controller asks (written on its thread, before any I/O
			 * queue connects). */
			SIO_NOTICELOG("nvme: %s refuses to disable SQ flow control: connecting "
				      "queue %u with it", qpair->ctrlr->trid.subnqn, qpair->qid);
			if (qpair->qid == 0)
				qpair->ctrlr->sq_flow_refused = true;
			else
				qpair->sq_flow_refused = true;
			rc = nvme_fabric_qpair_connect(qpair, cb, cb_arg);
			if (rc == 0)
				return;
		}

		SIO_ERRLOG("nvme: Connect of queue %u to %s refused: %s (ipo %u iattr %u)",
			   qpair->qid, qpair->ctrlr->trid.subnqn,
			   sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, cpl->status.sct,
						      cpl->status.sc),
			   dw0.invalid.ipo, dw0.invalid.iattr);
		/* The statuses a user can act on get errnos that say what to fix. */
		if (cpl->status.sc == SIO_NVMF_SC_CONNECT_INVALID_HOST)
			rc = -EACCES;
		else if (cpl->status.sc == SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS &&
			 dw0.invalid.iattr == SIO_NVMF_CONNECT_IATTR_DATA &&
			 dw0.invalid.ipo == offsetof(struct sio_nvmf_connect_data, subnqn))
			rc = -ENOENT;
	} else if (rc != -ECANCELED) {
		SIO_ERRLOG("nvme: Connect of queue %u to %s failed: %s (%d)", qpair->qid,
			   qpair->ctrlr->trid.subnqn,
			   sio_nvme_status_string(cpl->status.sct, cpl->status.sc), rc);
	}
	if (rc == 0)
		nvme_qpair_set_state(qpair, NVME_QPAIR_CONNECTED);
	cb(cb_arg, rc);
}

int nvme_fabric_qpair_connect(struct sio_nvme_qpair *qpair, nvme_rc_cb cb, void *arg)
{
	struct sio_nvme_ctrlr *ctrlr = qpair->ctrlr;
	struct sio_nvmf_connect_cmd cmd;
	struct sio_nvmf_connect_data *data;
	struct iovec iov;
	int rc;

	if (qpair->connect_data == NULL) {
		qpair->connect_data = calloc(1, sizeof(*qpair->connect_data));
		if (qpair->connect_data == NULL)
			return -ENOMEM;
	}
	data = qpair->connect_data;
	memset(data, 0, sizeof(*data));
	memcpy(data->hostid, nvme_host_id(ctrlr), sizeof(data->hostid));
	/* The admin queue asks for any controller (dynamic model); I/O queues
	 * join the one the admin queue got. */
	data->cntlid = qpair->qid == 0 ? SIO_NVMF_CNTLID_DYNAMIC : ctrlr->cntlid;
	snprintf(data->subnqn, sizeof(data->subnqn), "%s",
		 ctrlr->trid.subnqn[0] ? ctrlr->trid.subnqn : SIO_NVMF_DISCOVERY_NQN);
	snprintf(data->hostnqn, sizeof(data->hostnqn), "%s", ctrlr->opts.hostnqn);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = SIO_NVME_OPC_FABRICS;
	cmd.fctype = SIO_NVMF_FCTYPE_CONNECT;
	cmd.recfmt = SIO_NVMF_CONNECT_RECFMT;
	cmd.qid = qpair->qid;
	cmd.sqsize = (uint16_t)(qpair->num_entries - 1);
	if (qpair->qid == 0)
		cmd.kato = ctrlr->opts.keep_alive_timeout_ms;
	/* Asked on every queue, admin included (as the kernel host does): the
	 * host never needs SQHD, it counts its outstanding commands. */
	if (sq_flow_asked(qpair))
		cmd.cattr = SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW;
	/* Flow control stays on until this Connect's response says otherwise. */
	qpair->sq_flow_off = false;
	qpair->connect_cb = cb;
	qpair->connect_arg = arg;
	iov.iov_base = data;
	iov.iov_len = sizeof(*data);
	rc = nvme_qpair_submit_cmd(qpair, (const struct sio_nvme_cmd *)&cmd, &iov, 1,
				   sizeof(*data), true, connect_done, qpair);
	if (rc != 0)
		qpair->connect_cb = NULL;
	return rc;
}

struct prop_ctx {
	nvme_reg_cb cb;
	void *arg;
};

static void prop_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct prop_ctx ctx = *(struct prop_ctx *)arg;

	free(arg);
	ctx.cb(ctx.arg, rc, rc == 0 ? ((uint64_t)cpl->dw1 << 32) | cpl->cdw0 : 0);
}

static int prop_submit(struct sio_nvme_ctrlr *ctrlr, const void *cmd, nvme_reg_cb cb, void *arg)
{
	/* Properties are read and written during connect and reset only: a
	 * small allocation per call keeps the request pool free of context. */
	struct prop_ctx *ctx = malloc(sizeof(*ctx));
	int rc;

	if (ctx == NULL)
		return -ENOMEM;
	ctx->cb = cb;
	ctx->arg = arg;
	rc = nvme_qpair_submit_cmd(ctrlr->adminq, cmd, NULL, 0, 0, true, prop_done, ctx);
	if (rc != 0)
		free(ctx);
	return rc;
}

int nvme_fabric_prop_get(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size,
			 nvme_reg_cb cb, void *arg)
{
	struct sio_nvmf_property_get_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = SIO_NVME_OPC_FABRICS;
	cmd.fctype = SIO_NVMF_FCTYPE_PROPERTY_GET;
	cmd.attrib = size == 8 ? SIO_NVMF_PROP_SIZE_8 : SIO_NVMF_PROP_SIZE_4;
	cmd.ofst = ofst;
	return prop_submit(ctrlr, &cmd, cb, arg);
}

int nvme_fabric_prop_set(struct sio_nvme_ctrlr *ctrlr, uint32_t ofst, uint8_t size,
			 uint64_t value, nvme_reg_cb cb, void *arg)
{
	struct sio_nvmf_property_set_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = SIO_NVME_OPC_FABRICS;
	cmd.fctype = SIO_NVMF_FCTYPE_PROPERTY_SET;
	cmd.attrib = size == 8 ? SIO_NVMF_PROP_SIZE_8 : SIO_NVMF_PROP_SIZE_4;
	cmd.ofst = ofst;
	cmd.value = value;
	return prop_submit(ctrlr, &cmd, cb, arg);
}
