/* SPDX-License-Identifier: BSD-3-Clause */
/* The scripted NVMe/TCP target of the host tests and fuzz harness (ut_nvme_tcp_tgt.h). */
#include <errno.h>
#include <string.h>

#include "spdk_io/env.h"

#include "ut_nvme_tcp_tgt.h"

/* What the target advertises: the host may send this much in a capsule / an H2CData. */
#define TGT_MAX_ICD 8192
#define TGT_MAXH2CDATA 65536

static uint64_t now_ms(void)
{
	return sio_ticks_to_us(sio_get_ticks()) / 1000;
}

static int rx_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		   int *iovcnt)
{
	struct ut_nvme_tcp_conn *c = ctx;

	if (pdu->data_len > sizeof(c->data))
		return -EPROTO;
	c->data_iov.iov_base = c->data;
	c->data_iov.iov_len = pdu->data_len;
	*iov = &c->data_iov;
	*iovcnt = 1;
	return 0;
}

static void on_ic_req(struct ut_nvme_tcp_conn *c, const struct nvme_tcp_rx_pdu *pdu)
{
	struct nvme_tcp_pdu out;

	/* The digests the host asks for, no questions asked. */
	c->params.hdgst = pdu->ic.hdgst;
	c->params.ddgst = pdu->ic.ddgst;
	c->params.tx_pda = pdu->ic.pda;
	c->params.max_icd = TGT_MAX_ICD;
	nvme_tcp_rx_set_params(&c->rx, &c->params);
	if (c->tgt->ops->may_answer != NULL && !c->tgt->ops->may_answer(c))
		return;
	nvme_tcp_pdu_ic_resp_init(&out, 0, pdu->ic.hdgst, pdu->ic.ddgst, TGT_MAXH2CDATA);
	ut_nvme_tcp_tgt_send_pdu(c, &out, NULL, 0);
}

static int rx_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct ut_nvme_tcp_conn *c = ctx;
	const struct ut_nvme_tcp_tgt_ops *ops = c->tgt->ops;

	(void)status;
	if (pdu->type == NVME_TCP_PDU_IC_REQ)
		on_ic_req(c, pdu);
	else if (pdu->type == NVME_TCP_PDU_CAPSULE_CMD)
		ops->cmd(c, pdu->cmd.sqe, pdu->data_len);
	else if (ops->pdu != NULL)
		ops->pdu(c, pdu);
	return 0;
}

static const struct nvme_tcp_rx_ops g_rx_ops = { .pdu_data = rx_data, .pdu_done = rx_done };

int ut_nvme_tcp_tgt_listen(struct ut_nvme_tcp_tgt *t, const struct ut_nvme_tcp_tgt_ops *ops)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->send_timeout_ms = 1000;
	rc = sio_sock_listen("127.0.0.1", 0, NULL, &t->listener);
	if (rc == 0)
		rc = sio_sock_getaddr(t->listener, NULL, 0, &t->port, NULL, 0, NULL);
	if (rc != 0)
		sio_sock_close(&t->listener);
	return rc;
}

void ut_nvme_tcp_tgt_close_conns(struct ut_nvme_tcp_tgt *t)
{
	for (int i = 0; i < t->nconns; i++)
		sio_sock_close(&t->conns[i].sock);
}

void ut_nvme_tcp_tgt_close(struct ut_nvme_tcp_tgt *t)
{
	ut_nvme_tcp_tgt_close_conns(t);
	sio_sock_close(&t->listener);
}

void ut_nvme_tcp_tgt_reset(struct ut_nvme_tcp_tgt *t)
{
	ut_nvme_tcp_tgt_close_conns(t);
	memset(t->conns, 0, sizeof(t->conns));
	t->nconns = 0;
	t->closing = false;
}

void ut_nvme_tcp_tgt_poll(struct ut_nvme_tcp_tgt *t)
{
	struct sio_sock *s;

	while (!t->closing && t->nconns < UT_NVME_TCP_TGT_MAX_CONNS &&
	       sio_sock_accept(t->listener, &s) == 0) {
		struct ut_nvme_tcp_conn *c = &t->conns[t->nconns];

		memset(c, 0, sizeof(*c));
		c->tgt = t;
		c->sock = s;
		c->index = t->nconns++;
		nvme_tcp_rx_init(&c->rx, NVME_TCP_ROLE_TARGET, &g_rx_ops, c);
	}
	for (int i = 0; i < t->nconns; i++) {
		struct ut_nvme_tcp_conn *c = &t->conns[i];
		uint8_t buf[8192];

		for (int k = 0; k < 16 && c->sock != NULL; k++) {
			ssize_t r = sio_sock_recv(c->sock, buf, sizeof(buf));

			if (r <= 0) {
				if (r != -EAGAIN)
					sio_sock_close(&c->sock);
				break;
			}
			if (c->mute || nvme_tcp_rx_feed(&c->rx, buf, (size_t)r) == 0)
				continue;
			/* Our own parser gave up on the host's bytes. */
			if (t->close_on_error)
				sio_sock_close(&c->sock);
			else
				c->mute = true;
		}
	}
}

void ut_nvme_tcp_tgt_send(struct ut_nvme_tcp_conn *c, struct iovec *iov, int iovcnt)
{
	uint64_t end = now_ms() + c->tgt->send_timeout_ms;

	while (iovcnt > 0 && c->sock != NULL && now_ms() < end) {
		ssize_t w = sio_sock_writev(c->sock, iov, iovcnt);

		if (w < 0 && w != -EAGAIN)
			return;
		if (w > 0)
			nvme_tcp_iov_advance(&iov, &iovcnt, (size_t)w);
	}
}

void ut_nvme_tcp_tgt_send_pdu(struct ut_nvme_tcp_conn *c, struct nvme_tcp_pdu *pdu, void *data,
			      uint32_t len)
{
	struct iovec d = { data, len }, out[8];
	int n = nvme_tcp_pdu_build(pdu, &c->params, len ? &d : NULL, len ? 1 : 0, len, out, 8);

	if (n > 0)
		ut_nvme_tcp_tgt_send(c, out, n);
}

void ut_nvme_tcp_tgt_resp(struct ut_nvme_tcp_conn *c, uint16_t cid, uint32_t cdw0, uint32_t dw1,
			  uint8_t sct, uint8_t sc)
{
	struct nvme_tcp_pdu pdu;
	struct sio_nvme_cpl cpl = { .cdw0 = cdw0, .dw1 = dw1, .sqid = c->qid, .cid = cid };

	cpl.sqhd = c->sq_flow_off ? 0xffff : 0;
	sio_nvme_cpl_set_status(&cpl, sct, sc, sct != 0 || sc != 0);
	nvme_tcp_pdu_capsule_resp_init(&pdu, &cpl);
	ut_nvme_tcp_tgt_send_pdu(c, &pdu, NULL, 0);
}

void ut_nvme_tcp_tgt_ok(struct ut_nvme_tcp_conn *c, uint16_t cid, uint32_t cdw0, uint32_t dw1)
{
	ut_nvme_tcp_tgt_resp(c, cid, cdw0, dw1, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS);
}

void ut_nvme_tcp_tgt_c2h(struct ut_nvme_tcp_conn *c, uint16_t cid, uint32_t len, bool success)
{
	struct nvme_tcp_pdu pdu;

	nvme_tcp_pdu_c2h_data_init(&pdu, cid, 0, true, success);
	ut_nvme_tcp_tgt_send_pdu(c, &pdu, c->data, len);
}

void ut_nvme_tcp_tgt_fabrics(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd)
{
	const struct sio_nvmf_capsule_cmd *f = (const void *)cmd;

	if (f->fctype == SIO_NVMF_FCTYPE_CONNECT) {
		c->qid = ((const struct sio_nvmf_connect_cmd *)cmd)->qid;
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 1, 0); /* cntlid 1 */
	} else if (f->fctype == SIO_NVMF_FCTYPE_PROPERTY_GET) {
		uint32_t ofst = ((const struct sio_nvmf_property_get_cmd *)cmd)->ofst;
		uint64_t v = ofst == SIO_NVME_REG_CAP ? (127u | (1ull << 24)) :
			     ofst == SIO_NVME_REG_CSTS ? 1 : ofst == SIO_NVME_REG_VS ? 0x10300 : 0;

		ut_nvme_tcp_tgt_ok(c, cmd->cid, (uint32_t)v, (uint32_t)(v >> 32));
	} else {
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	}
}

struct sio_nvme_ctrlr_data *ut_nvme_tcp_tgt_identify(const struct sio_nvme_cmd *cmd, uint8_t *buf,
						     uint32_t len, const char *subnqn,
						     uint64_t nblocks)
{
	return ut_nvme_tcp_tgt_identify_ns(cmd, buf, len, subnqn, nblocks, 1, NULL);
}

struct sio_nvme_ctrlr_data *ut_nvme_tcp_tgt_identify_ns(const struct sio_nvme_cmd *cmd,
							uint8_t *buf, uint32_t len,
							const char *subnqn, uint64_t nblocks,
							uint32_t nn, const int *csi)
{
	uint8_t cns = cmd->cdw10 & 0xff;

	memset(buf, 0, len);
	if (cmd->opc != SIO_NVME_OPC_IDENTIFY || len < 4096)
		return NULL;
	if (cns == SIO_NVME_CNS_CTRLR) {
		struct sio_nvme_ctrlr_data *cd = (void *)buf;
		size_t n = strlen(subnqn) + 1;

		cd->nn = nn;
		cd->mdts = 3;
		cd->ioccsz = 4 + 4096 / 16;
		memcpy(cd->subnqn, subnqn, n < sizeof(cd->subnqn) ? n : sizeof(cd->subnqn));
		return cd;
	}
	if (cns == SIO_NVME_CNS_ACTIVE_NS_LIST) {
		/* IDs above the command's NSID, in increasing order. */
		uint32_t k = 0;

		for (uint32_t id = cmd->nsid + 1; id <= nn && k < 1024; id++)
			((uint32_t *)buf)[k++] = id;
	} else if (cns == SIO_NVME_CNS_NS && cmd->nsid >= 1 && cmd->nsid <= nn) {
		struct sio_nvme_ns_data *nd = (void *)buf;

		nd->nsze = nd->ncap = nblocks;
		nd->lbaf[0].lbads = 9;
	} else if (cns == SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST && csi != NULL && cmd->nsid >= 1 &&
		   cmd->nsid <= nn && csi[cmd->nsid - 1] >= 0) {
		/* One descriptor: NIDT, NIDL, 2 reserved bytes, the CSI; zeros end the list. */
		buf[0] = SIO_NVME_NIDT_CSI;
		buf[1] = SIO_NVME_NIDL_CSI;
		buf[4] = (uint8_t)csi[cmd->nsid - 1];
	}
	return NULL;
}
