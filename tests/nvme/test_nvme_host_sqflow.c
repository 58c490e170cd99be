/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host driver's side of SQ flow control and C2HData SUCCESS, against a
 * small scripted NVMe/TCP target on a real loopback socket
 * (tests/common/ut_nvme_tcp_tgt.h, polled on the test's thread): what each
 * Connect's CATTR asks, what the controller's answer (SQHD 0xffff or not)
 * makes of it, and that a SUCCESS flag is taken only where the controller
 * agreed to disable flow control. The misbehaviours (SUCCESS on a queue
 * with flow control on, a Connect refused for CATTR) are ones our own
 * sio_tgt never shows, hence the scripted target. Also keep-alive: the KATO a
 * host asks in its admin Connect and the Keep Alive commands it then sends by
 * itself while idle, counted on the wire.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/ut_nvme_tcp_tgt.h"
#include "nvme/tcp/nvme_tcp.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/sock.h"
#include "spdk_io/thread.h"

#define NS_BLOCKS 1024u

/* How the scripted target answers a Connect. */
enum connect_mode {
	CONNECT_AGREE,         /* SQHD 0xffff when CATTR asks, 0 otherwise */
	CONNECT_IGNORE,        /* SQHD 0 always: flow control stays on */
	CONNECT_REFUSE_CATTR,  /* Invalid Parameters at CATTR when asked */
};

static struct {
	struct sio_thread *thread;
	struct ut_nvme_tcp_tgt tgt;
	/* script */
	enum connect_mode mode;
	bool success;          /* end reads with SUCCESS, whatever the queue agreed */
	/* what the target saw */
	int connects;
	int cattr[UT_NVME_TCP_TGT_MAX_CONNS]; /* last CATTR per queue ID (0 admin, 1 the I/O queue) */
	int read_resps;        /* CapsuleResps sent after a read's data */
	int term_reqs;
	uint16_t term_fes;
	uint32_t term_fei;
	uint32_t host_kato;    /* keep_alive_timeout_ms the host connects with */
	uint32_t admin_kato;   /* KATO of the admin queue's Connect */
	int keep_alives;       /* Keep Alive commands received */
} g;

static uint64_t now_ms(void)
{
	return sio_ticks_to_us(sio_get_ticks()) / 1000;
}

static uint8_t pattern(uint64_t lba, uint32_t i)
{
	return (uint8_t)(lba * 7 + i);
}

static void on_connect(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd)
{
	const struct sio_nvmf_connect_cmd *cc = (const void *)cmd;
	bool asked = cc->cattr & SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW;

	g.connects++;
	c->qid = cc->qid;
	if (cc->qid < UT_NVME_TCP_TGT_MAX_CONNS)
		g.cattr[cc->qid] = cc->cattr;
	if (cc->qid == 0)
		g.admin_kato = cc->kato;
	if (asked && g.mode == CONNECT_REFUSE_CATTR) {
		union sio_nvmf_connect_rsp_dw0 dw0 = { .raw = 0 };

		dw0.invalid.iattr = SIO_NVMF_CONNECT_IATTR_CMD;
		dw0.invalid.ipo = offsetof(struct sio_nvmf_connect_cmd, cattr);
		ut_nvme_tcp_tgt_resp(c, cmd->cid, dw0.raw, 0, SIO_NVME_SCT_COMMAND_SPECIFIC,
				     SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS);
		return;
	}
	c->sq_flow_off = asked && g.mode == CONNECT_AGREE;
	ut_nvme_tcp_tgt_ok(c, cmd->cid, 1, 0); /* cntlid 1 */
}

static void on_read(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t len)
{
	uint64_t lba = ((uint64_t)cmd->cdw11 << 32) | cmd->cdw10;

	for (uint32_t i = 0; i < len; i++)
		c->data[i] = pattern(lba + i / 512, i % 512);
	ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, g.success);
	if (!g.success) {
		g.read_resps++;
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	}
}

/* Identify data that gets a host to ready with one 512 B namespace. */
static void on_identify(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t len)
{
	ut_nvme_tcp_tgt_identify(cmd, c->data, len, "nqn.sqflow", NS_BLOCKS);
	/* Admin data ends the scripted way too: SUCCESS only where agreed. */
	ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, c->sq_flow_off);
	if (!c->sq_flow_off)
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
}

static void on_cmd(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t icd_len)
{
	uint32_t len = cmd->dptr.sgl1.unkeyed.length;

	(void)icd_len;
	if (cmd->opc == SIO_NVME_OPC_ASYNC_EVENT_REQUEST && c->qid == 0)
		return; /* stays outstanding */
	if (cmd->opc == SIO_NVME_OPC_KEEP_ALIVE && c->qid == 0)
		g.keep_alives++;
	if (cmd->opc == SIO_NVME_OPC_FABRICS) {
		if (((const struct sio_nvmf_capsule_cmd *)cmd)->fctype == SIO_NVMF_FCTYPE_CONNECT)
			on_connect(c, cmd);
		else
			ut_nvme_tcp_tgt_fabrics(c, cmd);
	} else if (c->qid == 0 && cmd->opc == SIO_NVME_OPC_IDENTIFY && len <= sizeof(c->data)) {
		on_identify(c, cmd, len);
	} else if (c->qid != 0 && cmd->opc == SIO_NVME_OPC_READ && len <= sizeof(c->data)) {
		on_read(c, cmd, len);
	} else if (cmd->opc == SIO_NVME_OPC_SET_FEATURES &&
		   (cmd->cdw10 & 0xff) == SIO_NVME_FEAT_NUMBER_OF_QUEUES) {
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0x00000000, 0); /* one I/O queue each way */
	} else if (len > 0 && sio_nvme_opc_data_xfer(cmd->opc) == SIO_NVME_DATA_CTRLR_TO_HOST &&
		   len <= sizeof(c->data)) {
		memset(c->data, 0, len); /* log pages: all zero */
		ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, false);
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	} else {
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	}
}

static void on_pdu(struct ut_nvme_tcp_conn *c, const struct nvme_tcp_rx_pdu *pdu)
{
	(void)c;
	if (pdu->type == NVME_TCP_PDU_H2C_TERM_REQ) {
		g.term_reqs++;
		g.term_fes = pdu->term.fes;
		g.term_fei = pdu->term.fei;
	}
}

static const struct ut_nvme_tcp_tgt_ops g_script = { .cmd = on_cmd, .pdu = on_pdu };

/* Polls host and target until *@flag is false or @ms pass. */
static void poll_while(const int *flag, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (*flag && now_ms() < end) {
		sio_thread_poll(g.thread, 0);
		ut_nvme_tcp_tgt_poll(&g.tgt);
	}
}

/* ---- the host ---- */

struct host {
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_nvme_qpair *qp;
	int pending;
	int rc;
	uint8_t buf[2048];
};

static void connect_cb(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	struct host *h = arg;

	h->rc = rc;
	h->ctrlr = ctrlr;
	h->pending = 0;
}

static void qp_cb(void *arg, int rc, struct sio_nvme_qpair *qp)
{
	struct host *h = arg;

	h->rc = rc;
	h->qp = qp;
	h->pending = 0;
}

static void io_cb(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct host *h = arg;

	h->rc = rc;
	h->pending = 0;
}

/* Connects with @disable_sq_flow and opens the I/O queue pair. */
static void host_up(struct host *h, bool disable_sq_flow)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts o;
	char port[8];

	memset(h, 0, sizeof(*h));
	snprintf(port, sizeof(port), "%u", g.tgt.port);
	sio_nvme_transport_id_init_tcp(&trid, "127.0.0.1", port, "nqn.sqflow");
	sio_nvme_ctrlr_opts_init(&o, sizeof(o));
	assert_true(o.disable_sq_flow); /* the default */
	o.disable_sq_flow = disable_sq_flow;
	o.keep_alive_timeout_ms = g.host_kato;
	o.command_timeout_ms = 3000;
	o.connect_timeout_ms = 3000;
	o.num_io_queues = 1;
	h->pending = 1;
	assert_int_equal(sio_nvme_ctrlr_connect(&trid, &o, connect_cb, h), 0);
	poll_while(&h->pending, 5000);
	assert_int_equal(h->pending, 0);
	assert_int_equal(h->rc, 0);
	h->pending = 1;
	assert_int_equal(sio_nvme_ctrlr_alloc_io_qpair(h->ctrlr, NULL, qp_cb, h), 0);
	poll_while(&h->pending, 5000);
	assert_int_equal(h->pending, 0);
	assert_int_equal(h->rc, 0);
}

/* Reads 4 blocks at @lba; returns the completion's rc (data checked when 0). */
static int host_read(struct host *h, uint64_t lba)
{
	struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(h->ctrlr, 1);

	memset(h->buf, 0xee, sizeof(h->buf));
	h->pending = 1;
	assert_int_equal(sio_nvme_ns_read(ns, h->qp, h->buf, lba, 4, 0, io_cb, h), 0);
	poll_while(&h->pending, 5000);
	assert_int_equal(h->pending, 0);
	if (h->rc == 0)
		for (uint32_t i = 0; i < sizeof(h->buf); i++)
			assert_int_equal(h->buf[i], pattern(lba + i / 512, i % 512));
	return h->rc;
}

static void host_down(struct host *h)
{
	if (h->qp != NULL)
		assert_int_equal(sio_nvme_qpair_free(h->qp), 0);
	/* A reset the driver started after a failure must end before detach. */
	for (int i = 0; i < 400 && sio_nvme_ctrlr_detach(h->ctrlr, NULL, NULL) == -EBUSY; i++) {
		int one = 1;

		poll_while(&one, 5);
	}
	ut_nvme_tcp_tgt_close_conns(&g.tgt);
	for (int i = 0; i < 50; i++) {
		int one = 1;

		poll_while(&one, 2);
	}
}

static int setup(void **state)
{
	(void)state;
	ut_nvme_tcp_tgt_reset(&g.tgt);
	g.connects = g.read_resps = g.term_reqs = g.keep_alives = 0;
	g.host_kato = g.admin_kato = 0;
	g.term_fes = 0;
	g.term_fei = 0;
	memset(g.cattr, 0xff, sizeof(g.cattr));
	g.mode = CONNECT_AGREE;
	g.success = true;
	return 0;
}

/* Default options, a controller that agrees: one PDU per read. */
static void test_agreed(void **state)
{
	struct host h;

	host_up(&h, true);
	assert_int_equal(g.cattr[0], SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW);
	assert_int_equal(g.cattr[1], SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW);
	for (uint64_t lba = 0; lba < 64; lba += 4)
		assert_int_equal(host_read(&h, lba), 0);
	assert_int_equal(g.read_resps, 0);
	assert_int_equal(g.term_reqs, 0);
	host_down(&h);
}

/* Asked, but the controller answered SQHD 0: flow control is on, and a
 * SUCCESS flag is a protocol error (H2CTermReq: Invalid Header Field at
 * the flags byte); the read fails, it is not completed from the flag. */
static void test_not_agreed_success_refused(void **state)
{
	struct host h;

	g.mode = CONNECT_IGNORE;
	host_up(&h, true);
	assert_int_equal(g.cattr[1], SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW);
	assert_int_not_equal(host_read(&h, 8), 0);
	assert_int_equal(g.term_reqs, 1);
	assert_int_equal(g.term_fes, NVME_TCP_FES_INVALID_HEADER_FIELD);
	assert_int_equal(g.term_fei, 1);
	host_down(&h);
}

/* disable_sq_flow = false: no CATTR; reads end with CapsuleResp, and a
 * SUCCESS flag is refused the same way. */
static void test_not_asked(void **state)
{
	struct host h;

	g.success = false;
	host_up(&h, false);
	assert_int_equal(g.cattr[0], 0);
	assert_int_equal(g.cattr[1], 0);
	assert_int_equal(host_read(&h, 0), 0);
	assert_int_equal(g.read_resps, 1);
	g.success = true;
	assert_int_not_equal(host_read(&h, 4), 0);
	assert_int_equal(g.term_reqs, 1);
	assert_int_equal(g.term_fes, NVME_TCP_FES_INVALID_HEADER_FIELD);
	host_down(&h);
}

/* A controller that refuses the Connect for CATTR: the admin Connect goes
 * again without it, and the I/O queue's Connect no longer asks. */
static void test_refused_cattr(void **state)
{
	struct host h;

	g.mode = CONNECT_REFUSE_CATTR;
	g.success = false;
	host_up(&h, true);
	assert_int_equal(g.connects, 3); /* admin twice, the I/O queue once */
	assert_int_equal(g.cattr[0], 0);
	assert_int_equal(g.cattr[1], 0);
	assert_int_equal(host_read(&h, 16), 0);
	assert_int_equal(g.read_resps, 1);
	host_down(&h);
}

/* KATO 1 s in the admin Connect; idle for 2.2 s, the host sends Keep Alive
 * by itself every KATO/2 (4 expected; at least 3 asked, a loaded machine may
 * delay one), and none with KATO 0. */
static void test_keep_alive(void **state)
{
	struct host h;
	int idle = 1;

	g.host_kato = 1000;
	host_up(&h, true);
	assert_int_equal(g.admin_kato, 1000);
	g.keep_alives = 0;
	poll_while(&idle, 2200);
	assert_in_range(g.keep_alives, 3, 6);
	assert_int_equal(host_read(&h, 0), 0);
	host_down(&h);

	g.host_kato = 0;
	host_up(&h, true);
	g.keep_alives = 0;
	poll_while(&idle, 1200);
	assert_int_equal(g.admin_kato, 0);
	assert_int_equal(g.keep_alives, 0);
	host_down(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_agreed, setup),
		cmocka_unit_test_setup(test_not_agreed_success_refused, setup),
		cmocka_unit_test_setup(test_not_asked, setup),
		cmocka_unit_test_setup(test_refused_cattr, setup),
		cmocka_unit_test_setup(test_keep_alive, setup),
	};
	int rc;

	sio_log_set_level(SIO_LOG_ERROR);
	g.thread = sio_thread_attach("nvme_host_sqflow");
	assert_non_null(g.thread);
	if (ut_nvme_tcp_tgt_listen(&g.tgt, &g_script) != 0) {
		fprintf(stderr, "cannot listen on 127.0.0.1\n");
		return 1;
	}
	g.tgt.close_on_error = true;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ut_nvme_tcp_tgt_close(&g.tgt);
	sio_thread_exit(g.thread);
	for (uint64_t end = now_ms() + 5000; !sio_thread_is_exited(g.thread) && now_ms() < end;)
		sio_thread_poll(g.thread, 0);
	sio_thread_destroy(g.thread);
	return rc;
}
