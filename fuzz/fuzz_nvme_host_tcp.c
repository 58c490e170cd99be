/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe host driver's receive path from a fake target: a well-behaved
 * responder on a real loopback socket (a script for the target of
 * tests/common/ut_nvme_tcp_tgt.h) brings the host through connect, an I/O
 * queue pair and a few reads and writes, and at a point the input chooses
 * it sends the input's bytes instead of its next answer (random and
 * truncated PDUs, anything), then either keeps quiet or closes the connection.
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

#include "../tests/common/ut_nvme_tcp_tgt.h"
#include "nvme/tcp/nvme_tcp.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/sock.h"

#include "fuzz.h"

#define RUN_MS 3000

static struct sio_thread *g_thread;
static struct ut_nvme_tcp_tgt g_tgt;

static struct {
	const uint8_t *bytes;
	size_t len;
	unsigned after;             /* answers before the switch */
	unsigned answers;
	int which;
	bool close_after;
} g;

static uint64_t now_ms(void)
{
	return sio_ticks_to_us(sio_get_ticks()) / 1000;
}

/*
 * Counts an answer; once the input's turn comes, sends it instead (the
 * connection is muted from then on). Returns true to answer.
 */
static bool may_answer(struct ut_nvme_tcp_conn *c)
{
	if (c->mute)
		return false;
	if (c->index == g.which && g.answers++ >= g.after) {
		struct iovec iov = { (void *)g.bytes, g.len };

		c->mute = true;
		if (g.len)
			ut_nvme_tcp_tgt_send(c, &iov, 1);
		if (g.close_after)
			sio_sock_close(&c->sock);
		return false;
	}
	return true;
}

/* Identify and log data good enough to get a host to ready. */
static void fill_data(const struct sio_nvme_cmd *cmd, uint8_t *buf, uint32_t len)
{
	struct sio_nvme_ctrlr_data *cd = ut_nvme_tcp_tgt_identify(cmd, buf, len, "nqn.fuzz", 1024);

	if (cd != NULL) {
		cd->aerl = 1;
		cd->oaes = SIO_NVME_OAES_NS_ATTR;
		cd->oncs = SIO_NVME_ONCS_DSM | SIO_NVME_ONCS_WRITE_ZEROES;
	}
}

static void on_cmd(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t icd_len)
{
	uint32_t len = cmd->dptr.sgl1.unkeyed.length;
	uint8_t xfer = sio_nvme_opc_data_xfer(cmd->opc == SIO_NVME_OPC_FABRICS ?
					      ((const struct sio_nvmf_capsule_cmd *)cmd)->fctype : cmd->opc);

	if (cmd->opc == SIO_NVME_OPC_ASYNC_EVENT_REQUEST && c->qid == 0)
		return; /* AERs stay outstanding */
	if (!may_answer(c))
		return;
	if (cmd->opc == SIO_NVME_OPC_FABRICS) {
		ut_nvme_tcp_tgt_fabrics(c, cmd);
		return;
	}
	if (xfer == SIO_NVME_DATA_CTRLR_TO_HOST && len > 0 && len <= sizeof(c->data)) {
		fill_data(cmd, c->data, len);
		ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, false);
	} else if (xfer == SIO_NVME_DATA_HOST_TO_CTRLR && len > icd_len) {
		struct nvme_tcp_pdu pdu;

		nvme_tcp_pdu_r2t_init(&pdu, cmd->cid, 1, 0, len);
		ut_nvme_tcp_tgt_send_pdu(c, &pdu, NULL, 0);
		return; /* the response follows the last H2CData */
	}
	if (cmd->opc == SIO_NVME_OPC_SET_FEATURES && (cmd->cdw10 & 0xff) == SIO_NVME_FEAT_NUMBER_OF_QUEUES)
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0x00030003, 0);
	else
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
}

static void on_pdu(struct ut_nvme_tcp_conn *c, const struct nvme_tcp_rx_pdu *pdu)
{
	if (pdu->type == NVME_TCP_PDU_H2C_DATA && pdu->data.last && may_answer(c))
		ut_nvme_tcp_tgt_ok(c, pdu->data.cccid, 0, 0);
}

static const struct ut_nvme_tcp_tgt_ops g_script = {
	.cmd = on_cmd, .pdu = on_pdu, .may_answer = may_answer,
};

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
		ut_nvme_tcp_tgt_poll(&g_tgt);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sio_log_set_level(SIO_LOG_DISABLED);
	g_thread = sio_thread_attach("fuzz_nvme_host");
	if (g_thread == NULL || ut_nvme_tcp_tgt_listen(&g_tgt, &g_script) != 0)
		abort();
	g_tgt.send_timeout_ms = 200;
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
	ut_nvme_tcp_tgt_reset(&g_tgt);
	memset(&g_h, 0, sizeof(g_h));
	g.after = data[0] % 32;
	g.which = data[1] & 1;
	g.close_after = data[1] & 2;
	g.bytes = data + 2;
	g.len = size - 2;
	snprintf(port, sizeof(port), "%u", g_tgt.port);
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
		ut_nvme_tcp_tgt_poll(&g_tgt);
	}
	FUZZ_CHECK(g_h.connect_rc != 1, "connect neither done nor failed in %d ms", RUN_MS);
	if (g_h.connect_rc == 0) {
		struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(g_h.ctrlr, 1);

		if (sio_nvme_ctrlr_alloc_io_qpair(g_h.ctrlr, NULL, qp_cb, NULL) != 0)
			g_h.qp_rc = -1;
		while (now_ms() < end && g_h.qp_rc == 1) {
			sio_thread_poll(g_thread, 0);
			ut_nvme_tcp_tgt_poll(&g_tgt);
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
				ut_nvme_tcp_tgt_poll(&g_tgt);
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
			g_tgt.nconns);
	g_tgt.closing = true;
	ut_nvme_tcp_tgt_close_conns(&g_tgt);
	poll_for(2);
	/* Connections the host opened at the very end are refused by closing them. */
	while (sio_sock_accept(g_tgt.listener, &g_tgt.conns[0].sock) == 0)
		sio_sock_close(&g_tgt.conns[0].sock);
	free(g_h.buf);
	return 0;
}
