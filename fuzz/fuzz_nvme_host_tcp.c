/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe host driver's receive path from a fake target: a well-behaved
 * responder on a real loopback socket (written with the shared codec in the
 * target role) brings the host through connect, an I/O queue pair and a
 * few reads and writes, and at a point the input chooses it sends the
 * input's bytes instead of its next answer (random and truncated PDUs,
 * anything), then either keeps quiet or closes the connection.
 *
 * Input: byte 0: after how many of its answers the responder switches to
 * the input (mod 32); byte 1: bit 0 which connection (admin or I/O), bit 1
 * close after sending, bit 2 digests asked for; the rest: the bytes.
 * Properties: no crash, no sanitizer report, no hang (the host gives up by
 * its own timeouts within the bounded run), every command the host accepted
 * completes exactly once, and everything is freed (ASan's leak check).
 */
#include <errno.h>
#include <string.h>

#include "nvme/tcp/nvme_tcp.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/sock.h"

#include "fuzz.h"

#define MAX_CONNS 4
#define RUN_MS 3000

static struct sio_thread *g_thread;
static struct sio_sock *g_listener;
static uint16_t g_port;

struct conn {
	struct sio_sock *sock;
	struct nvme_tcp_rx rx;
	struct nvme_tcp_params params;
	uint8_t data[16384] __attribute__((aligned(64))); /* in-capsule / H2C data lands here */
	struct iovec data_iov;
	int index;
	bool hijacked;              /* the input took over: no more answers */
	uint16_t qid;
};

static struct {
	const uint8_t *bytes;
	size_t len;
	unsigned after;             /* answers before the switch */
	unsigned answers;
	int which;
	bool close_after;
	struct conn conns[MAX_CONNS];
	int nconns;
	bool closing;               /* the run is over: accept nothing more */
} g;

static uint64_t now_ms(void)
{
	return sio_ticks_to_us(sio_get_ticks()) / 1000;
}

static void send_all(struct conn *c, struct iovec *iov, int n)
{
	uint64_t end = now_ms() + 200;

	while (n > 0 && now_ms() < end) {
		ssize_t w = sio_sock_writev(c->sock, iov, n);

		if (w < 0 && w != -EAGAIN)
			return;
		if (w > 0)
			nvme_tcp_iov_advance(&iov, &n, (size_t)w);
	}
}

static void send_pdu(struct conn *c, struct nvme_tcp_pdu *pdu, void *data, uint32_t len)
{
	struct iovec d = { data, len }, out[8];
	int n = nvme_tcp_pdu_build(pdu, &c->params, len ? &d : NULL, len ? 1 : 0, len, out, 8);

	if (n > 0)
		send_all(c, out, n);
}

/* Counts an answer; once the input's turn comes, sends it instead. Returns true to answer. */
static bool may_answer(struct conn *c)
{
	if (c->hijacked)
		return false;
	if (c->index == g.which && g.answers++ >= g.after) {
		struct iovec iov = { (void *)g.bytes, g.len };

		c->hijacked = true;
		if (g.len)
			send_all(c, &iov, 1);
		if (g.close_after)
			sio_sock_close(&c->sock);
		return false;
	}
	return true;
}

static void resp(struct conn *c, uint16_t cid, uint32_t cdw0, uint32_t dw1)
{
	struct nvme_tcp_pdu pdu;
	struct sio_nvme_cpl cpl = { .cdw0 = cdw0, .dw1 = dw1, .sqid = c->qid, .cid = cid };

	nvme_tcp_pdu_capsule_resp_init(&pdu, &cpl);
	send_pdu(c, &pdu, NULL, 0);
}

/* Identify and log data good enough to get a host to ready. */
static void fill_data(const struct sio_nvme_cmd *cmd, uint8_t *buf, uint32_t len)
{
	memset(buf, 0, len);
	if (cmd->opc == SIO_NVME_OPC_IDENTIFY && len >= 4096) {
		uint8_t cns = cmd->cdw10 & 0xff;

		if (cns == SIO_NVME_CNS_CTRLR) {
			struct sio_nvme_ctrlr_data *cd = (void *)buf;

			cd->nn = 1;
			cd->mdts = 3;
			cd->ioccsz = 4 + 4096 / 16;
			cd->aerl = 1;
			cd->oaes = SIO_NVME_OAES_NS_ATTR;
			cd->oncs = SIO_NVME_ONCS_DSM | SIO_NVME_ONCS_WRITE_ZEROES;
			memcpy(cd->subnqn, "nqn.fuzz", 9);
		} else if (cns == SIO_NVME_CNS_ACTIVE_NS_LIST) {
			((uint32_t *)buf)[0] = 1;
		} else if (cns == SIO_NVME_CNS_NS) {
			struct sio_nvme_ns_data *nd = (void *)buf;

			nd->nsze = nd->ncap = 1024;
			nd->lbaf[0].lbads = 9;
		}
	}
}

static void on_cmd(struct conn *c, const struct sio_nvme_cmd *cmd, uint32_t icd_len)
{
	uint32_t len = cmd->dptr.sgl1.unkeyed.length;
	uint8_t xfer = sio_nvme_opc_data_xfer(cmd->opc == SIO_NVME_OPC_FABRICS ?
					      ((const struct sio_nvmf_capsule_cmd *)cmd)->fctype : cmd->opc);

	if (cmd->opc == SIO_NVME_OPC_ASYNC_EVENT_REQUEST && c->qid == 0)
		return; /* AERs stay outstanding */
	if (!may_answer(c))
		return;
	if (cmd->opc == SIO_NVME_OPC_FABRICS) {
		const struct sio_nvmf_capsule_cmd *f = (const void *)cmd;

		if (f->fctype == SIO_NVMF_FCTYPE_CONNECT) {
			c->qid = ((const struct sio_nvmf_connect_cmd *)cmd)->qid;
			resp(c, cmd->cid, 1, 0);
		} else if (f->fctype == SIO_NVMF_FCTYPE_PROPERTY_GET) {
			uint32_t ofst = ((const struct sio_nvmf_property_get_cmd *)cmd)->ofst;
			/* CAP: MQES 127, TO 1; CSTS: RDY; VS 1.3 */
			uint64_t v = ofst == SIO_NVME_REG_CAP ? (127u | (1ull << 24)) :
				     ofst == SIO_NVME_REG_CSTS ? 1 : ofst == SIO_NVME_REG_VS ? 0x10300 : 0;

			resp(c, cmd->cid, (uint32_t)v, (uint32_t)(v >> 32));
		} else {
			resp(c, cmd->cid, 0, 0);
		}
		return;
	}
	if (xfer == SIO_NVME_DATA_CTRLR_TO_HOST && len > 0 && len <= sizeof(c->data)) {
		struct nvme_tcp_pdu pdu;

		fill_data(cmd, c->data, len);
		nvme_tcp_pdu_c2h_data_init(&pdu, cmd->cid, 0, true, false);
		send_pdu(c, &pdu, c->data, len);
	} else if (xfer == SIO_NVME_DATA_HOST_TO_CTRLR && len > icd_len) {
		struct nvme_tcp_pdu pdu;

		nvme_tcp_pdu_r2t_init(&pdu, cmd->cid, 1, 0, len);
		send_pdu(c, &pdu, NULL, 0);
		return; /* the response follows the last H2CData */
	}
	if (cmd->opc == SIO_NVME_OPC_SET_FEATURES && (cmd->cdw10 & 0xff) == SIO_NVME_FEAT_NUMBER_OF_QUEUES)
		resp(c, cmd->cid, 0x00030003, 0);
	else
		resp(c, cmd->cid, 0, 0);
}

static int rx_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		   int *iovcnt)
{
	struct conn *c = ctx;

	if (pdu->data_len > sizeof(c->data))
		return -EPROTO;
	c->data_iov.iov_base = c->data;
	c->data_iov.iov_len = pdu->data_len;
	*iov = &c->data_iov;
	*iovcnt = 1;
	return 0;
}

static int rx_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	struct conn *c = ctx;

	switch (pdu->type) {
	case NVME_TCP_PDU_IC_REQ: {
		struct nvme_tcp_pdu out;

		c->params.hdgst = pdu->ic.hdgst;
		c->params.ddgst = pdu->ic.ddgst;
		c->params.tx_pda = pdu->ic.pda;
		c->params.max_icd = 8192;
		nvme_tcp_rx_set_params(&c->rx, &c->params);
		if (!may_answer(c))
			return 0;
		nvme_tcp_pdu_ic_resp_init(&out, 0, pdu->ic.hdgst, pdu->ic.ddgst, 65536);
		send_pdu(c, &out, NULL, 0);
		return 0;
	}
	case NVME_TCP_PDU_CAPSULE_CMD:
		on_cmd(c, pdu->cmd.sqe, pdu->data_len);
		return 0;
	case NVME_TCP_PDU_H2C_DATA:
		if (pdu->data.last && may_answer(c))
			resp(c, pdu->data.cccid, 0, 0);
		return 0;
	default:
		return 0;
	}
}

static const struct nvme_tcp_rx_ops g_ops = { .pdu_data = rx_data, .pdu_done = rx_done };

static void target_poll(void)
{
	struct sio_sock *s;

	while (!g.closing && g.nconns < MAX_CONNS && sio_sock_accept(g_listener, &s) == 0) {
		struct conn *c = &g.conns[g.nconns];

		memset(c, 0, sizeof(*c));
		c->sock = s;
		c->index = g.nconns++;
		nvme_tcp_rx_init(&c->rx, NVME_TCP_ROLE_TARGET, &g_ops, c);
	}
	for (int i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];
		uint8_t buf[8192];

		for (int k = 0; k < 16 && c->sock != NULL; k++) {
			ssize_t r = sio_sock_recv(c->sock, buf, sizeof(buf));

			if (r <= 0) {
				if (r != -EAGAIN)
					sio_sock_close(&c->sock);
				break;
			}
			if (!c->hijacked && nvme_tcp_rx_feed(&c->rx, buf, (size_t)r) != 0)
				c->hijacked = true; /* our own parser gave up: just drain */
		}
	}
}

struct host {
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_nvme_qpair *qp;
	int connect_rc;          /* 1 pending */
	int qp_rc;
	int submitted, completed;
	int calls[8];
	uint8_t *buf;
};

static struct host g_h;

static void connect_cb(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	g_h.connect_rc = rc;
	g_h.ctrlr = ctrlr;
}

static void qp_cb(void *arg, int rc, struct sio_nvme_qpair *qp)
{
	g_h.qp_rc = rc;
	g_h.qp = qp;
}

static void io_cb(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	int i = (int)(intptr_t)arg;

	FUZZ_CHECK(cpl != NULL, "completion without an entry");
	g_h.calls[i]++;
	FUZZ_CHECK(g_h.calls[i] == 1, "command %d completed %d times", i, g_h.calls[i]);
	g_h.completed++;
}

static void poll_for(uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		sio_thread_poll(g_thread, 0);
		target_poll();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sio_log_set_level(SIO_LOG_DISABLED);
	g_thread = sio_thread_attach("fuzz_nvme_host");
	if (g_thread == NULL || sio_sock_listen("127.0.0.1", 0, NULL, &g_listener) != 0 ||
	    sio_sock_getaddr(g_listener, NULL, 0, &g_port, NULL, 0, NULL) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts o;
	char port[8];
	uint64_t end;

	if (size < 2)
		return 0;
	memset(&g, 0, sizeof(g));
	memset(&g_h, 0, sizeof(g_h));
	g.after = data[0] % 32;
	g.which = data[1] & 1;
	g.close_after = data[1] & 2;
	g.bytes = data + 2;
	g.len = size - 2;
	snprintf(port, sizeof(port), "%u", g_port);
	sio_nvme_transport_id_init_tcp(&trid, "127.0.0.1", port, "nqn.fuzz");
	sio_nvme_ctrlr_opts_init(&o, sizeof(o));
	o.keep_alive_timeout_ms = 0;
	o.command_timeout_ms = 150;
	o.connect_timeout_ms = 400;
	o.header_digest = o.data_digest = data[1] & 4;
	o.num_io_queues = 2;
	g_h.connect_rc = 1;
	g_h.qp_rc = 1;
	g_h.buf = calloc(1, 8 * 512);
	FUZZ_CHECK(sio_nvme_ctrlr_connect(&trid, &o, connect_cb, NULL) == 0, "connect refused");
	end = now_ms() + RUN_MS;
	while (now_ms() < end && g_h.connect_rc == 1) {
		sio_thread_poll(g_thread, 0);
		target_poll();
	}
	FUZZ_CHECK(g_h.connect_rc != 1, "connect neither done nor failed in %d ms", RUN_MS);
	if (g_h.connect_rc == 0) {
		struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(g_h.ctrlr, 1);

		if (sio_nvme_ctrlr_alloc_io_qpair(g_h.ctrlr, NULL, qp_cb, NULL) != 0)
			g_h.qp_rc = -1;
		while (now_ms() < end && g_h.qp_rc == 1) {
			sio_thread_poll(g_thread, 0);
			target_poll();
		}
		if (g_h.qp_rc == 0 && sio_nvme_ns_is_active(ns)) {
			/* reads (C2HData), a small write (in-capsule), a large one (R2T), a trim */
			for (int i = 0; i < 4; i++)
				if (sio_nvme_ns_read(ns, g_h.qp, g_h.buf + i * 512, (uint64_t)i, 1, 0, io_cb,
						     (void *)(intptr_t)i) == 0)
					g_h.submitted++;
			if (sio_nvme_ns_write(ns, g_h.qp, g_h.buf, 10, 1, 0, io_cb, (void *)4) == 0)
				g_h.submitted++;
			if (sio_nvme_ns_write(ns, g_h.qp, g_h.buf, 20, 8, 0, io_cb, (void *)5) == 0)
				g_h.submitted++;
			if (sio_nvme_ns_deallocate(ns, g_h.qp, 30, 2, io_cb, (void *)6) == 0)
				g_h.submitted++;
			while (now_ms() < end && g_h.completed < g_h.submitted) {
				sio_thread_poll(g_thread, 0);
				target_poll();
			}
		}
		if (g_h.qp != NULL)
			FUZZ_CHECK(sio_nvme_qpair_free(g_h.qp) == 0, "qpair free");
		FUZZ_CHECK(g_h.completed == g_h.submitted, "%d of %d commands completed",
			   g_h.completed, g_h.submitted);
		/* A reset the driver may have started must end before detach. */
		for (int i = 0; i < 200 && sio_nvme_ctrlr_detach(g_h.ctrlr, NULL, NULL) == -EBUSY; i++)
			poll_for(5);
	} else if (g_h.qp_rc == 1 && g_h.connect_rc == 0) {
		FUZZ_CHECK(0, "unreachable");
	}
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "after %u on conn %d: connect %d, qpair %d, %d/%d commands, %d conns\n",
			g.after, g.which, g_h.connect_rc, g_h.qp_rc, g_h.completed, g_h.submitted,
			g.nconns);
	g.closing = true;
	for (int i = 0; i < g.nconns; i++)
		sio_sock_close(&g.conns[i].sock);
	poll_for(2);
	/* Connections the host opened at the very end are refused by closing them. */
	while (sio_sock_accept(g_listener, &g.conns[0].sock) == 0)
		sio_sock_close(&g.conns[0].sock);
	free(g_h.buf);
	return 0;
}
