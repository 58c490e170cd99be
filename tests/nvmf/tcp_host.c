/* SPDX-License-Identifier: BSD-3-Clause */
/* A small NVMe/TCP host on the PDU codec (tcp_host.h). */
#include "tcp_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Send everything; while the socket is full, let the target (same OS thread maybe) run. */
static int writev_all(struct th *h, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(h->fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = h->fd, .events = POLLOUT};

				if (h->pump != NULL)
					sio_thread_poll(h->pump, 0);
				else
					poll(&p, 1, 10);
				continue;
			}
			return -errno;
		}
		nvme_tcp_iov_advance(&iov, &n, (size_t)w);
	}
	return 0;
}

int th_send_raw(struct th *h, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return writev_all(h, &iov, 1);
}

static int send_pdu(struct th *h, struct nvme_tcp_pdu *pdu, const struct iovec *data, int cnt,
		    uint32_t len)
{
	struct iovec out[64];
	int n = nvme_tcp_pdu_build(pdu, &h->params, data, cnt, len, out, 64);

	if (n < 0)
		return n;
	return writev_all(h, out, n);
}

static int on_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		   int *iovcnt)
{
	struct th *h = ctx;
	struct th_slot *s;

	if (pdu->type != NVME_TCP_PDU_C2H_DATA)
		return -EPROTO;
	s = &h->slots[pdu->data.cccid % TH_SLOTS];
	if (!s->busy || s->rbuf == NULL || (uint64_t)pdu->data.datao + pdu->data.datal > s->rlen)
		return -EPROTO;
	h->data_iov.iov_base = s->rbuf + pdu->data.datao;
	h->data_iov.iov_len = pdu->data.datal;
	*iov = &h->data_iov;
	*iovcnt = 1;
	return 0;
}

static int on_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct th *h = ctx;
	struct th_slot *s;

	switch (pdu->type) {
	case NVME_TCP_PDU_IC_RESP:
		h->params.hdgst = pdu->ic.hdgst;
		h->params.ddgst = pdu->ic.ddgst;
		h->params.rx_pda = pdu->ic.pda;
		h->params.tx_pda = 0;
		h->maxh2cdata = pdu->ic.maxh2cdata;
		h->ic_done = true;
		return nvme_tcp_rx_set_params(&h->rx, &h->params);
	case NVME_TCP_PDU_CAPSULE_RESP:
		s = &h->slots[pdu->resp.cqe->cid % TH_SLOTS];
		memcpy(&s->cpl, pdu->resp.cqe, sizeof(s->cpl));
		s->done = true;
		return 0;
	case NVME_TCP_PDU_C2H_DATA:
		if (status != 0)
			return status;
		if (pdu->data.success) {
			s = &h->slots[pdu->data.cccid % TH_SLOTS];
			memset(&s->cpl, 0, sizeof(s->cpl));
			s->cpl.cid = pdu->data.cccid;
			s->c2h_success = true;
			s->done = true;
		}
		return 0;
	case NVME_TCP_PDU_R2T: {
		struct nvme_tcp_pdu out;
		uint32_t off = pdu->r2t.r2to, left = pdu->r2t.r2tl;

		s = &h->slots[pdu->r2t.cccid % TH_SLOTS];
		if (!s->busy || s->wbuf == NULL || (uint64_t)off + left > s->wlen)
			return -EPROTO;
		s->r2t_count++;
		while (left > 0) {
			uint32_t n = left < h->maxh2cdata ? left : h->maxh2cdata;
			struct iovec d = {.iov_base = (void *)(s->wbuf + off), .iov_len = n};
			int rc;

			if (h->h2c_pdus_left > 0 && --h->h2c_pdus_left == 0)
				h->h2c_pdus_left = -1;
			else if (h->h2c_pdus_left < 0)
				return 0;
			nvme_tcp_pdu_h2c_data_init(&out, pdu->r2t.cccid, pdu->r2t.ttag, off,
						   n == left);
			rc = send_pdu(h, &out, &d, 1, n);
			if (rc != 0)
				return rc;
			off += n;
			left -= n;
		}
		return 0;
	}
	case NVME_TCP_PDU_C2H_TERM_REQ:
		h->term = true;
		h->term_fes = pdu->term.fes;
		h->term_fei = pdu->term.fei;
		return 0;
	default:
		return -EPROTO;
	}
}

static const struct nvme_tcp_rx_ops g_th_ops = {.pdu_data = on_data, .pdu_done = on_done};

int th_open(struct th *h, int port, struct sio_thread *pump)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;

	memset(h, 0, sizeof(*h));
	h->pump = pump;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return -errno;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(h->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int rc = -errno;

		/* A signal (libFuzzer's timer) cut the wait short: the connect goes on; wait for it. */
		if (rc == -EINTR) {
			struct pollfd p = {.fd = h->fd, .events = POLLOUT};
			int err = 0;
			socklen_t len = sizeof(err);

			while (poll(&p, 1, 5000) < 0 && errno == EINTR)
				;
			rc = getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ? -errno : -err;
		}
		if (rc != 0) {
			close(h->fd);
			h->fd = -1;
			return rc;
		}
	}
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) | O_NONBLOCK);
	nvme_tcp_rx_init(&h->rx, NVME_TCP_ROLE_HOST, &g_th_ops, h);
	nvme_tcp_rx_set_buf(&h->rx, h->rxbuf, sizeof(h->rxbuf), 0);
	h->next_cid = 1;
	return 0;
}

void th_close(struct th *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

void th_pump(struct th *h, uint64_t us)
{
	uint64_t end = now_us() + us;

	do {
		struct iovec iov[8];
		ssize_t r;
		int n;

		if (h->pump != NULL)
			sio_thread_poll(h->pump, 0);
		if (h->closed)
			return;
		n = nvme_tcp_rx_iov(&h->rx, iov, 8);
		if (n <= 0) {
			h->closed = true;
			return;
		}
		r = readv(h->fd, iov, n);
		if (r == 0) {
			h->closed = true;
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				if (h->pump == NULL) {
					struct pollfd p = {.fd = h->fd, .events = POLLIN};

					poll(&p, 1, 1);
				}
				continue;
			}
			h->closed = true;
			return;
		}
		h->rx_err = nvme_tcp_rx_advance(&h->rx, (size_t)r);
		if (h->rx_err != 0) {
			h->closed = true;
			return;
		}
		return;
	} while (now_us() < end);
}

bool th_wait(struct th *h, const bool *flag, uint64_t us)
{
	uint64_t end = now_us() + us;

	while (!*flag && !h->closed && now_us() < end)
		th_pump(h, 1000);
	return *flag;
}

int th_icreq(struct th *h, bool hdgst, bool ddgst)
{
	struct nvme_tcp_pdu pdu;
	int rc;

	nvme_tcp_pdu_ic_req_init(&pdu, 0, hdgst, ddgst, 0);
	rc = send_pdu(h, &pdu, NULL, 0, 0);
	if (rc != 0)
		return rc;
	if (!th_wait(h, &h->ic_done, 5000000))
		return h->term ? -ECONNRESET : -ETIMEDOUT;
	h->icd = 8192;
	return 0;
}

int th_submit(struct th *h, struct sio_nvme_cmd *cmd, const void *wbuf, uint32_t wlen,
	      bool in_capsule, void *rbuf, uint32_t rlen)
{
	struct nvme_tcp_pdu pdu;
	struct th_slot *s;
	struct iovec d = {.iov_base = (void *)wbuf, .iov_len = wlen};
	uint16_t cid;
	int rc;

	do {
		cid = h->next_cid++;
	} while (h->slots[cid % TH_SLOTS].busy);
	s = &h->slots[cid % TH_SLOTS];
	memset(s, 0, sizeof(*s));
	s->busy = true;
	s->rbuf = rbuf;
	s->rlen = rlen;
	s->wbuf = wbuf;
	s->wlen = wlen;
	cmd->cid = cid;
	cmd->psdt = SIO_NVME_PSDT_SGL_MPTR_CONTIG;
	if (wlen > 0 && in_capsule && wlen <= h->icd) {
		cmd->dptr.sgl1.address = 0;
		cmd->dptr.sgl1.unkeyed.length = wlen;
		cmd->dptr.sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_INCAPSULE;
		nvme_tcp_pdu_capsule_cmd_init(&pdu, cmd);
		rc = send_pdu(h, &pdu, &d, 1, wlen);
	} else {
		if (wlen > 0 || rlen > 0) {
			cmd->dptr.sgl1.address = 0;
			cmd->dptr.sgl1.unkeyed.length = wlen > 0 ? wlen : rlen;
			cmd->dptr.sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_TRANSPORT;
		}
		nvme_tcp_pdu_capsule_cmd_init(&pdu, cmd);
		rc = send_pdu(h, &pdu, NULL, 0, 0);
	}
	if (rc != 0) {
		s->busy = false;
		return rc;
	}
	return cid;
}

int th_wait_cpl(struct th *h, uint16_t cid, struct sio_nvme_cpl *cpl, uint64_t us)
{
	struct th_slot *s = &h->slots[cid % TH_SLOTS];

	if (!th_wait(h, &s->done, us))
		return h->closed || h->term ? -ECONNRESET : -ETIMEDOUT;
	if (cpl != NULL)
		*cpl = s->cpl;
	s->busy = false;
	return 0;
}

int th_cmd(struct th *h, struct sio_nvme_cmd *cmd, const void *wbuf, uint32_t wlen,
	   bool in_capsule, void *rbuf, uint32_t rlen, struct sio_nvme_cpl *cpl)
{
	int cid = th_submit(h, cmd, wbuf, wlen, in_capsule, rbuf, rlen);

	if (cid < 0)
		return cid;
	return th_wait_cpl(h, (uint16_t)cid, cpl, 5000000);
}

int th_connect(struct th *h, const char *subnqn, const char *hostnqn, uint16_t qid,
	       uint16_t sqsize, uint16_t cntlid, uint32_t kato, bool disable_sqflow,
	       struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_cmd cmd;
	struct sio_nvmf_connect_cmd *cc = (void *)&cmd;
	struct sio_nvmf_connect_data data;

	memset(&cmd, 0, sizeof(cmd));
	memset(&data, 0, sizeof(data));
	cc->opcode = SIO_NVME_OPC_FABRICS;
	cc->fctype = SIO_NVMF_FCTYPE_CONNECT;
	cc->qid = qid;
	cc->sqsize = sqsize;
	cc->kato = kato;
	cc->cattr = disable_sqflow ? SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW : 0;
	for (int i = 0; i < 16; i++)
		data.hostid[i] = (uint8_t)(0x10 + i);
	data.cntlid = cntlid;
	snprintf(data.subnqn, sizeof(data.subnqn), "%s", subnqn);
	snprintf(data.hostnqn, sizeof(data.hostnqn), "%s", hostnqn);
	return th_cmd(h, &cmd, &data, sizeof(data), true, NULL, 0, cpl);
}

int th_prop_get(struct th *h, uint32_t ofst, bool eight, uint64_t *val, struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_cmd cmd;
	struct sio_nvmf_property_get_cmd *pg = (void *)&cmd;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	pg->opcode = SIO_NVME_OPC_FABRICS;
	pg->fctype = SIO_NVMF_FCTYPE_PROPERTY_GET;
	pg->attrib = eight ? SIO_NVMF_PROP_SIZE_8 : SIO_NVMF_PROP_SIZE_4;
	pg->ofst = ofst;
	rc = th_cmd(h, &cmd, NULL, 0, false, NULL, 0, cpl);
	if (rc == 0 && val != NULL)
		*val = (uint64_t)cpl->dw1 << 32 | cpl->cdw0;
	return rc;
}

int th_prop_set(struct th *h, uint32_t ofst, uint32_t val, struct sio_nvme_cpl *cpl)
{
	struct sio_nvme_cmd cmd;
	struct sio_nvmf_property_set_cmd *ps = (void *)&cmd;

	memset(&cmd, 0, sizeof(cmd));
	ps->opcode = SIO_NVME_OPC_FABRICS;
	ps->fctype = SIO_NVMF_FCTYPE_PROPERTY_SET;
	ps->attrib = SIO_NVMF_PROP_SIZE_4;
	ps->ofst = ofst;
	ps->value = val;
	return th_cmd(h, &cmd, NULL, 0, false, NULL, 0, cpl);
}

int th_admin_up(struct th *h, int port, struct sio_thread *pump, const char *subnqn,
		const char *hostnqn, bool digests)
{
	struct sio_nvme_cpl cpl;
	union sio_nvme_cc_register cc = {.raw = 0};
	uint64_t csts = 0;
	int cntlid;
	int rc = th_open(h, port, pump);

	if (rc == 0)
		rc = th_icreq(h, digests, digests);
	if (rc == 0)
		rc = th_connect(h, subnqn, hostnqn, 0, 31, SIO_NVMF_CNTLID_DYNAMIC, 0, false, &cpl);
	if (rc != 0)
		return rc;
	if (sio_nvme_cpl_is_error(&cpl))
		return -EACCES;
	cntlid = ((union sio_nvmf_connect_rsp_dw0){.raw = cpl.cdw0}).success.cntlid;
	cc.bits.en = 1;
	cc.bits.iosqes = 6;
	cc.bits.iocqes = 4;
	rc = th_prop_set(h, SIO_NVME_REG_CC, cc.raw, &cpl);
	if (rc == 0)
		rc = th_prop_get(h, SIO_NVME_REG_CSTS, false, &csts, &cpl);
	if (rc != 0)
		return rc;
	return (csts & 1) ? cntlid : -EIO;
}
