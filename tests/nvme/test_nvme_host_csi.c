/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace command sets, host and nvme bdev module, against the scripted
 * NVMe/TCP target (tests/common/ut_nvme_tcp_tgt.h, real loopback, polled on
 * the test's thread). Four namespaces: 1 says CSI NVM in its descriptor list,
 * 2 ZNS (02h), 3 KV (01h), 4 gives no CSI descriptor (a pre-2.0 controller).
 * The host reports each namespace's CSI (sio_nvme_ns_get_csi; NVM where none
 * was given); bdev_nvme_attach leaves 2 and 3 out with a notice naming nsid
 * and CSI, and makes bdevs of all four with allow_unrecognized_csi. Also:
 * the KV namespace refusing Identify Namespace (CNS 00h), sio_nvme_identify's
 * csi field (the tool run against the script), the left-out notice once per
 * namespace across rescans (AERs), two paths (a second listener) that
 * filter by CSI each with its own flag, and over those two paths the current
 * path of each bdev its own (test_mp_*: a sibling's I/O, a path-related
 * status for one namespace, failback and round robin move no other bdev).
 * sio_tgt's namespaces (CSI NVM) staying bdevs is nvme_host_bdev's part.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "../common/ut_nvme_tcp_tgt.h"
#include "../common/ut_thread.h"
#include "bdev/modules/nvme/bdev_nvme.h"
#include "spdk_io/bdev.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/thread.h"

int bdev_modules_init(void);
void bdev_modules_fini(void);

#define NQN "nqn.2016-06.io.spdk:csi"
#define NS_BLOCKS 1024u
#define NUM_NS 4u

static const int g_csi[NUM_NS] = { SIO_NVME_CSI_NVM, SIO_NVME_CSI_ZNS, SIO_NVME_CSI_KV, -1 };

static struct {
	struct sio_thread *thread;
	struct ut_nvme_tcp_tgt tgt;
	int desc_lists;          /* Identify CNS 03h commands answered */
	/* Namespace whose Identify Namespace (CNS 00h) is refused with Invalid
	 * Field in Command, as a controller may for a namespace of another
	 * command set; 0: none. */
	uint32_t refuse_cns0_nsid;
	int cns0_refused;
	bool cns0_before_desc;   /* a CNS 00h came before that namespace's CNS 03h */
	uint32_t desc_seen[NUM_NS + 1];
	int reads[NUM_NS + 1];   /* Read commands per nsid */
	/* A second listener of the same subsystem (another path), and Read
	 * commands per listener (0: tgt, 1: tgt2) and nsid. */
	struct ut_nvme_tcp_tgt tgt2;
	int path_reads[2][NUM_NS + 1];
	/* The Asynchronous Event Request the host keeps outstanding at tgt. */
	struct ut_nvme_tcp_conn *aer_conn;
	uint16_t aer_cid;
	bool aer_held;
	uint32_t hide_nsid;      /* left out of the active namespace list; 0: none */
	/* Reads of this namespace at tgt (path A) are answered with a path-related
	 * status (SCT 3h, Asymmetric Access Inaccessible, DNR clear), as a
	 * controller does for a namespace it cannot reach; 0: none. */
	uint32_t path_err_nsid;
	bool path_err_both;      /* at tgt2 (path B) too */
	int path_errs;           /* such answers given */
	char notices[8][256];    /* bdev_nvme's "left out" notices */
	int num_notices;
} g;

static uint64_t now_ms(void)
{
	return sio_ticks_to_us(sio_get_ticks()) / 1000;
}

/* A CapsuleResp with status @sct/@sc and DNR clear (ut_nvme_tcp_tgt_resp() sets DNR on errors). */
static void resp_retryable(struct ut_nvme_tcp_conn *c, uint16_t cid, uint8_t sct, uint8_t sc)
{
	struct nvme_tcp_pdu pdu;
	struct sio_nvme_cpl cpl = { .sqid = c->qid, .cid = cid };

	cpl.sqhd = c->sq_flow_off ? 0xffff : 0;
	sio_nvme_cpl_set_status(&cpl, sct, sc, false);
	nvme_tcp_pdu_capsule_resp_init(&pdu, &cpl);
	ut_nvme_tcp_tgt_send_pdu(c, &pdu, NULL, 0);
}

static void on_cmd(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t icd_len)
{
	uint32_t len = cmd->dptr.sgl1.unkeyed.length;

	(void)icd_len;
	if (cmd->opc == SIO_NVME_OPC_ASYNC_EVENT_REQUEST && c->qid == 0) {
		if (c->tgt == &g.tgt) {
			g.aer_conn = c;
			g.aer_cid = cmd->cid;
			g.aer_held = true;
		}
		return; /* stays outstanding (fire_aen() completes it) */
	}
	if (cmd->opc == SIO_NVME_OPC_FABRICS) {
		if (((const struct sio_nvmf_capsule_cmd *)cmd)->fctype == SIO_NVMF_FCTYPE_CONNECT) {
			c->qid = ((const struct sio_nvmf_connect_cmd *)cmd)->qid;
			ut_nvme_tcp_tgt_ok(c, cmd->cid, 1, 0); /* cntlid 1 */
		} else {
			ut_nvme_tcp_tgt_fabrics(c, cmd);
		}
	} else if (c->qid == 0 && cmd->opc == SIO_NVME_OPC_IDENTIFY && len <= sizeof(c->data)) {
		uint8_t cns = cmd->cdw10 & 0xff;

		if (cns == SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST) {
			g.desc_lists++;
			if (cmd->nsid >= 1 && cmd->nsid <= NUM_NS)
				g.desc_seen[cmd->nsid]++;
		}
		if (cns == SIO_NVME_CNS_NS && cmd->nsid >= 1 && cmd->nsid <= NUM_NS &&
		    g.desc_seen[cmd->nsid] == 0)
			g.cns0_before_desc = true;
		if (cns == SIO_NVME_CNS_NS && cmd->nsid == g.refuse_cns0_nsid) {
			g.cns0_refused++;
			ut_nvme_tcp_tgt_resp(c, cmd->cid, 0, 0, SIO_NVME_SCT_GENERIC,
					     SIO_NVME_SC_INVALID_FIELD);
			return;
		}
		ut_nvme_tcp_tgt_identify_ns(cmd, c->data, len, NQN, NS_BLOCKS, NUM_NS, g_csi);
		if (cns == SIO_NVME_CNS_ACTIVE_NS_LIST && g.hide_nsid != 0) {
			uint32_t *ids = (uint32_t *)c->data, n = 0;

			for (uint32_t i = 0; i < len / 4 && ids[i] != 0; i++)
				if (ids[i] != g.hide_nsid)
					ids[n++] = ids[i];
			for (uint32_t i = n; i < len / 4 && ids[i] != 0; i++)
				ids[i] = 0;
		}
		ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, false);
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	} else if (cmd->opc == SIO_NVME_OPC_SET_FEATURES &&
		   (cmd->cdw10 & 0xff) == SIO_NVME_FEAT_NUMBER_OF_QUEUES) {
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0x00000000, 0); /* one I/O queue each way */
	} else if (c->qid != 0 && cmd->opc == SIO_NVME_OPC_READ &&
		   (c->tgt == &g.tgt || g.path_err_both) && g.path_err_nsid != 0 &&
		   cmd->nsid == g.path_err_nsid) {
		g.path_errs++;
		resp_retryable(c, cmd->cid, SIO_NVME_SCT_PATH, 0x02); /* ANA inaccessible */
	} else if (len > 0 && sio_nvme_opc_data_xfer(cmd->opc) == SIO_NVME_DATA_CTRLR_TO_HOST &&
		   len <= sizeof(c->data)) {
		if (c->qid != 0 && cmd->opc == SIO_NVME_OPC_READ && cmd->nsid >= 1 &&
		    cmd->nsid <= NUM_NS) {
			g.reads[cmd->nsid]++;
			g.path_reads[c->tgt == &g.tgt2][cmd->nsid]++;
		}
		memset(c->data, 0, len); /* reads (bdev examine) and log pages: zeros */
		ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, false);
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	} else {
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	}
}

static const struct ut_nvme_tcp_tgt_ops g_script = { .cmd = on_cmd };

static void poll_while(const int *flag, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (*flag && now_ms() < end) {
		sio_thread_poll(g.thread, 0);
		ut_nvme_tcp_tgt_poll(&g.tgt);
		ut_nvme_tcp_tgt_poll(&g.tgt2);
	}
}

static void poll_ms(uint64_t ms)
{
	int one = 1;

	poll_while(&one, ms);
}

static void log_sink(enum sio_log_level level, const char *component, const char *msg, void *ctx)
{
	(void)component;
	(void)ctx;
	if (level == SIO_LOG_NOTICE && strstr(msg, "left out") != NULL &&
	    g.num_notices < (int)(sizeof(g.notices) / sizeof(g.notices[0])))
		snprintf(g.notices[g.num_notices++], sizeof(g.notices[0]), "%s", msg);
}

static void fill_trid(struct sio_nvme_transport_id *trid)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", g.tgt.port);
	sio_nvme_transport_id_init_tcp(trid, "127.0.0.1", port, NQN);
}

/* ---- the host driver ---- */

struct host {
	struct sio_nvme_ctrlr *ctrlr;
	int pending;
	int rc;
};

static void connect_cb(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	struct host *h = arg;

	h->rc = rc;
	h->ctrlr = ctrlr;
	h->pending = 0;
}

static void test_host_csi(void **state)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts o;
	struct host h = { .pending = 1 };
	uint32_t active = 0;

	(void)state;
	fill_trid(&trid);
	sio_nvme_ctrlr_opts_init(&o, sizeof(o));
	o.num_io_queues = 1;
	o.connect_timeout_ms = 3000;
	g.desc_lists = 0;
	assert_int_equal(sio_nvme_ctrlr_connect(&trid, &o, connect_cb, &h), 0);
	poll_while(&h.pending, 5000);
	assert_int_equal(h.pending, 0);
	assert_int_equal(h.rc, 0);
	/* Every namespace's descriptor list was asked for. */
	assert_int_equal(g.desc_lists, NUM_NS);
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(h.ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(h.ctrlr, id))
		active++;
	assert_int_equal(active, NUM_NS);
	assert_int_equal(sio_nvme_ns_get_csi(sio_nvme_ctrlr_get_ns(h.ctrlr, 1)), SIO_NVME_CSI_NVM);
	assert_int_equal(sio_nvme_ns_get_csi(sio_nvme_ctrlr_get_ns(h.ctrlr, 2)), SIO_NVME_CSI_ZNS);
	assert_string_equal(sio_nvme_csi_name(SIO_NVME_CSI_NVM), "NVM");
	assert_string_equal(sio_nvme_csi_name(SIO_NVME_CSI_KV), "Key Value");
	assert_string_equal(sio_nvme_csi_name(SIO_NVME_CSI_ZNS), "Zoned Namespace");
	assert_string_equal(sio_nvme_csi_name(0x30), "unknown");
	assert_int_equal(sio_nvme_ns_get_csi(sio_nvme_ctrlr_get_ns(h.ctrlr, 3)), SIO_NVME_CSI_KV);
	/* No CSI descriptor: the NVM command set. */
	assert_int_equal(sio_nvme_ns_get_csi(sio_nvme_ctrlr_get_ns(h.ctrlr, 4)), SIO_NVME_CSI_NVM);
	assert_int_equal(sio_nvme_ns_get_csi(NULL), SIO_NVME_CSI_NVM);
	assert_int_equal(sio_nvme_ctrlr_detach(h.ctrlr, NULL, NULL), 0);
	poll_ms(50);
	ut_nvme_tcp_tgt_reset(&g.tgt);
}

struct io_res {
	int pending;
	int rc;
};

static void io_cb(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct io_res *r = arg;

	(void)cpl;
	r->rc = rc;
	r->pending = 0;
}

static void qpair_cb(void *arg, int rc, struct sio_nvme_qpair *qp)
{
	struct sio_nvme_qpair **out = arg;

	assert_int_equal(rc, 0);
	*out = qp;
}

/*
 * A controller that refuses Identify Namespace (CNS 00h) for its KV
 * namespace: the CSI is read first (CNS 03h before CNS 00h for every
 * namespace), the refresh and so the connect succeed, the KV namespace stays
 * known by its CSI with no NVM geometry, and the NVM/ZNS ones around it are
 * whole and take I/O.
 */
static void test_host_cns0_refused(void **state)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts o;
	struct host h = { .pending = 1 };
	struct sio_nvme_qpair *qp = NULL;
	struct sio_nvme_ns *kv;
	uint32_t active = 0;
	uint8_t *buf;

	(void)state;
	fill_trid(&trid);
	sio_nvme_ctrlr_opts_init(&o, sizeof(o));
	o.num_io_queues = 1;
	o.connect_timeout_ms = 3000;
	memset(g.desc_seen, 0, sizeof(g.desc_seen));
	memset(g.reads, 0, sizeof(g.reads));
	g.cns0_before_desc = false;
	g.cns0_refused = 0;
	g.refuse_cns0_nsid = 3;
	assert_int_equal(sio_nvme_ctrlr_connect(&trid, &o, connect_cb, &h), 0);
	poll_while(&h.pending, 5000);
	assert_int_equal(h.pending, 0);
	assert_int_equal(h.rc, 0);
	assert_int_equal(g.cns0_refused, 1);
	assert_false(g.cns0_before_desc);
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(h.ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(h.ctrlr, id))
		active++;
	assert_int_equal(active, NUM_NS);
	kv = sio_nvme_ctrlr_get_ns(h.ctrlr, 3);
	assert_true(sio_nvme_ns_is_active(kv));
	assert_int_equal(sio_nvme_ns_get_csi(kv), SIO_NVME_CSI_KV);
	assert_int_equal(sio_nvme_ns_get_sector_size(kv), 0);
	assert_int_equal(sio_nvme_ns_get_num_sectors(kv), 0);
	assert_int_equal(sio_nvme_ns_get_max_io_xfer_size(kv), 0);
	assert_int_equal(sio_nvme_ns_get_data(kv)->nsze, 0);
	for (uint32_t id = 1; id <= NUM_NS; id++) {
		struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(h.ctrlr, id);

		if (id == 3)
			continue;
		assert_int_equal(sio_nvme_ns_get_sector_size(ns), 512);
		assert_int_equal(sio_nvme_ns_get_num_sectors(ns), NS_BLOCKS);
	}
	assert_int_equal(sio_nvme_ns_get_csi(sio_nvme_ctrlr_get_ns(h.ctrlr, 2)), SIO_NVME_CSI_ZNS);

	/* The NVM namespaces take I/O; the one without geometry refuses it. */
	assert_int_equal(sio_nvme_ctrlr_alloc_io_qpair(h.ctrlr, NULL, qpair_cb, &qp), 0);
	for (int i = 0; i < 5000 && qp == NULL; i++)
		poll_ms(1);
	assert_non_null(qp);
	buf = sio_dma_zmalloc(4096, 4096);
	assert_non_null(buf);
	for (uint32_t id = 1; id <= NUM_NS; id += 3) {
		struct io_res r = { .pending = 1, .rc = -1 };

		assert_int_equal(sio_nvme_ns_read(sio_nvme_ctrlr_get_ns(h.ctrlr, id), qp, buf, 0, 1,
						  0, io_cb, &r), 0);
		poll_while(&r.pending, 3000);
		assert_int_equal(r.pending, 0);
		assert_int_equal(r.rc, 0);
		assert_int_equal(g.reads[id], 1);
	}
	assert_int_equal(sio_nvme_ns_read(kv, qp, buf, 0, 1, 0, io_cb, NULL), -EINVAL);
	assert_int_equal(g.reads[3], 0);
	sio_dma_free(buf);
	assert_int_equal(sio_nvme_qpair_free(qp), 0);
	assert_int_equal(sio_nvme_ctrlr_detach(h.ctrlr, NULL, NULL), 0);
	poll_ms(50);
	ut_nvme_tcp_tgt_reset(&g.tgt);
}

/* ---- sio_nvme_identify against the scripted target ---- */

static const char *g_identify_path; /* argv[1]: the tool, built for this test */

/*
 * Run sio_nvme_identify -r <the scripted target> [@extra] with its standard
 * output in a file, polling the target (on this thread) until it exits.
 * Return: the output (malloc'd, NUL terminated); the exit status in *@status.
 */
static char *run_identify(const char *extra, int *status)
{
	char trid[160], path[] = "/tmp/sio_csi_identify_XXXXXX";
	char *argv[5] = { (char *)g_identify_path, "-r", trid, (char *)extra, NULL };
	posix_spawn_file_actions_t fa;
	uint64_t end = now_ms() + 10000;
	char *out;
	long len;
	FILE *f;
	pid_t pid;
	int fd, st = -1;

	snprintf(trid, sizeof(trid), "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%u subnqn:%s",
		 g.tgt.port, NQN);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO), 0);
	assert_int_equal(posix_spawn(&pid, g_identify_path, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fail_msg("sio_nvme_identify did not finish in 10 s");
		}
		ut_nvme_tcp_tgt_poll(&g.tgt);
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	assert_int_equal(fread(out, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);
	ut_nvme_tcp_tgt_reset(&g.tgt);
	return out;
}

/*
 * The namespaces' Command Set Identifier in the text ("csi : Zoned
 * Namespace (2)") and --json ("csi": 2) output, the KV namespace refusing
 * CNS 00h included (CSI 1, nsze 0).
 */
static void test_identify_csi(void **state)
{
	static const char *const want[NUM_NS] = {
		"csi       : NVM (0)\n", "csi       : Zoned Namespace (2)\n",
		"csi       : Key Value (1)\n", "csi       : NVM (0)\n",
	};
	json_error_t jerr;
	json_t *root, *nss;
	char *out, *p;
	int st;

	(void)state;
	if (g_identify_path == NULL)
		skip();
	g.refuse_cns0_nsid = 3;
	out = run_identify(NULL, &st);
	assert_int_equal(st, 0);
	p = out;
	for (uint32_t i = 0; i < NUM_NS; i++) {
		char head[64];

		snprintf(head, sizeof(head), "NVMe Identify Namespace %u:\n", i + 1);
		p = strstr(p, head);
		assert_non_null(p);
		p += strlen(head);
		/* Right after nsid: this namespace's own line. */
		assert_non_null(strstr(p, want[i]));
		assert_true(strstr(p, want[i]) < strstr(p, "nsze"));
	}
	free(out);

	out = run_identify("--json", &st);
	assert_int_equal(st, 0);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	nss = json_object_get(root, "namespaces");
	assert_int_equal(json_array_size(nss), NUM_NS);
	for (uint32_t i = 0; i < NUM_NS; i++) {
		json_t *ns = json_array_get(nss, i);

		assert_int_equal(json_integer_value(json_object_get(ns, "nsid")), i + 1);
		assert_int_equal(json_integer_value(json_object_get(ns, "csi")),
				 g_csi[i] < 0 ? SIO_NVME_CSI_NVM : g_csi[i]);
		assert_int_equal(json_integer_value(json_object_get(ns, "nsze")),
				 i == 2 ? 0 : NS_BLOCKS);
	}
	json_decref(root);
	free(out);
}

/* ---- the nvme bdev module ---- */

struct attach_res {
	int pending;
	int rc;
	char names[8][32];
	size_t count;
};

static void attach_cb(void *arg, int rc, const char *msg, const char *const *names, size_t count)
{
	struct attach_res *r = arg;

	(void)msg;
	r->rc = rc;
	r->count = count;
	for (size_t i = 0; i < count && i < 8; i++)
		snprintf(r->names[i], sizeof(r->names[i]), "%s", names[i]);
	r->pending = 0;
}

static void done_cb(void *arg, int rc)
{
	int *pending = arg;

	(void)rc;
	*pending = 0;
}

/* Attach @t (g.tgt or g.tgt2, one path of the subsystem) as Nvme0, multipath mode @mode. */
static void attach_path(struct ut_nvme_tcp_tgt *t, bool allow, enum bdev_nvme_mp_mode mode,
			struct attach_res *r)
{
	struct bdev_nvme_attach_opts o;
	char port[8];

	memset(&o, 0, sizeof(o));
	memset(r, 0, sizeof(*r));
	o.name = "Nvme0";
	snprintf(port, sizeof(port), "%u", t->port);
	sio_nvme_transport_id_init_tcp(&o.trid, "127.0.0.1", port, NQN);
	sio_nvme_ctrlr_opts_init(&o.ctrlr_opts, sizeof(o.ctrlr_opts));
	o.ctrlr_opts.num_io_queues = 1;
	o.ctrlr_opts.connect_timeout_ms = 3000;
	o.mode = mode;
	o.allow_unrecognized_csi = allow;
	r->pending = 1;
	assert_int_equal(bdev_nvme_attach(&o, attach_cb, r), 0);
	poll_while(&r->pending, 5000);
	assert_int_equal(r->pending, 0);
	assert_int_equal(r->rc, 0);
	/* The bdevs' examine reads (answered with zeros) end before the detach. */
	poll_ms(200);
}

static void attach(bool allow, struct attach_res *r)
{
	attach_path(&g.tgt, allow, BDEV_NVME_MP_DISABLE, r);
}

static void detach(void)
{
	int pending = 1;

	assert_int_equal(bdev_nvme_detach("Nvme0", NULL, done_cb, &pending), 0);
	poll_while(&pending, 5000);
	assert_int_equal(pending, 0);
	poll_ms(50);
	assert_null(sio_bdev_get_by_name("Nvme0n1"));
	ut_nvme_tcp_tgt_reset(&g.tgt);
}

static void test_bdev_left_out(void **state)
{
	struct attach_res r;

	(void)state;
	g.num_notices = 0;
	attach(false, &r);
	assert_int_equal(r.count, 2);
	assert_string_equal(r.names[0], "Nvme0n1");
	assert_string_equal(r.names[1], "Nvme0n4");
	assert_non_null(sio_bdev_get_by_name("Nvme0n1"));
	assert_null(sio_bdev_get_by_name("Nvme0n2"));
	assert_null(sio_bdev_get_by_name("Nvme0n3"));
	assert_non_null(sio_bdev_get_by_name("Nvme0n4"));
	/* One notice each, naming the namespace and its CSI. */
	assert_int_equal(g.num_notices, 2);
	assert_non_null(strstr(g.notices[0], "namespace 2 "));
	assert_non_null(strstr(g.notices[0], "CSI 2"));
	assert_non_null(strstr(g.notices[1], "namespace 3 "));
	assert_non_null(strstr(g.notices[1], "CSI 1"));
	detach();
}

static void test_bdev_allowed(void **state)
{
	struct attach_res r;

	(void)state;
	g.num_notices = 0;
	attach(true, &r);
	assert_int_equal(r.count, NUM_NS);
	for (uint32_t i = 0; i < NUM_NS; i++) {
		char name[16];
		struct sio_bdev *b;

		snprintf(name, sizeof(name), "Nvme0n%u", i + 1);
		assert_string_equal(r.names[i], name);
		b = sio_bdev_get_by_name(name);
		assert_non_null(b);
		assert_int_equal(sio_bdev_get_num_blocks(b), NS_BLOCKS);
	}
	assert_int_equal(g.num_notices, 0);
	detach();
}

/* allow_unrecognized_csi, the KV namespace refusing CNS 00h: no geometry, no bdev (and a notice why). */
static void test_bdev_cns0_refused(void **state)
{
	struct attach_res r;

	(void)state;
	g.num_notices = 0;
	g.refuse_cns0_nsid = 3;
	attach(true, &r);
	assert_int_equal(r.count, 3);
	assert_string_equal(r.names[0], "Nvme0n1");
	assert_string_equal(r.names[1], "Nvme0n2");
	assert_string_equal(r.names[2], "Nvme0n4");
	assert_null(sio_bdev_get_by_name("Nvme0n3"));
	assert_int_equal(g.num_notices, 1);
	assert_non_null(strstr(g.notices[0], "namespace 3 "));
	assert_non_null(strstr(g.notices[0], "NVM geometry"));
	detach();
}

/*
 * The target says "namespace attribute changed" (completes the AER it holds,
 * Changed Namespace List log): the host reads the log and refreshes every
 * namespace, and bdev_nvme rescans. Returns once the refresh was answered.
 */
static void fire_aen(void)
{
	union sio_nvme_async_event_completion ev = { .raw = 0 };
	int before = g.desc_lists;

	for (int i = 0; i < 2000 && !g.aer_held; i++)
		poll_ms(1);
	assert_true(g.aer_held);
	g.aer_held = false;
	ev.bits.async_event_type = SIO_NVME_ASYNC_EVENT_TYPE_NOTICE;
	ev.bits.async_event_info = SIO_NVME_ASYNC_EVENT_NS_ATTR_CHANGED;
	ev.bits.log_page_identifier = SIO_NVME_LOG_CHANGED_NS_LIST;
	ut_nvme_tcp_tgt_ok(g.aer_conn, g.aer_cid, ev.raw, 0);
	for (int i = 0; i < 3000 && g.desc_lists < before + (int)NUM_NS - (g.hide_nsid != 0); i++)
		poll_ms(1);
	assert_int_equal(g.desc_lists, before + (int)NUM_NS - (g.hide_nsid != 0));
	poll_ms(100); /* the NS_CHANGED event and the module's rescan */
}

/*
 * The "left out" notice once per namespace: two namespace rescans (AERs)
 * after the attach say nothing new; namespace 3 taken off the controller
 * and given back is news again (one more notice, for it alone).
 */
static void test_bdev_notice_once(void **state)
{
	struct attach_res r;

	(void)state;
	g.num_notices = 0;
	attach(false, &r);
	assert_int_equal(r.count, 2);
	assert_int_equal(g.num_notices, 2);
	fire_aen();
	fire_aen();
	assert_int_equal(g.num_notices, 2);
	assert_non_null(sio_bdev_get_by_name("Nvme0n1"));
	assert_non_null(sio_bdev_get_by_name("Nvme0n4"));
	g.hide_nsid = 3;
	fire_aen();
	assert_int_equal(g.num_notices, 2);
	g.hide_nsid = 0;
	fire_aen();
	assert_int_equal(g.num_notices, 3);
	assert_non_null(strstr(g.notices[2], "namespace 3 "));
	assert_null(sio_bdev_get_by_name("Nvme0n3"));
	detach();
}

static void bdev_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	(void)type;
	(void)bdev;
	(void)ctx;
}

struct rd {
	int pending;
	int rc;
};

static void rd_cb(void *arg, int rc)
{
	struct rd *r = arg;

	r->rc = rc;
	r->pending = 0;
}

/* @n one-block reads of bdev @name, one at a time; each must succeed. */
static void bdev_reads(const char *name, int n)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	void *buf = sio_dma_zmalloc(4096, 4096);

	assert_non_null(buf);
	assert_int_equal(sio_bdev_open(name, false, bdev_event, NULL, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	assert_non_null(ch);
	for (int i = 0; i < n; i++) {
		struct rd r = { .pending = 1, .rc = -1 };

		assert_int_equal(sio_bdev_read_blocks(desc, ch, buf, 0, 1, rd_cb, &r), 0);
		poll_while(&r.pending, 3000);
		assert_int_equal(r.pending, 0);
		assert_int_equal(r.rc, 0);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	poll_ms(20);
	sio_dma_free(buf);
}

struct paths_res {
	int pending;
	json_t *result;
};

static void paths_cb(void *arg, int rc, json_t *result)
{
	struct paths_res *p = arg;

	assert_int_equal(rc, 0);
	p->result = result;
	p->pending = 0;
}

/* bdev_nvme_get_io_paths for @name (a channel is open): the trsvcid of each of its paths. */
static size_t io_paths(const char *name, char ports[][8], size_t max)
{
	struct paths_res p = { .pending = 1 };
	json_t *groups, *grp, *paths, *e;
	size_t n = 0, i, k;

	assert_int_equal(bdev_nvme_get_io_paths(name, paths_cb, &p), 0);
	poll_while(&p.pending, 3000);
	assert_int_equal(p.pending, 0);
	groups = json_object_get(p.result, "poll_groups");
	json_array_foreach(groups, i, grp) {
		paths = json_object_get(grp, "io_paths");
		json_array_foreach(paths, k, e) {
			const char *port = json_string_value(
				json_object_get(json_object_get(e, "transport"), "trsvcid"));

			assert_string_equal(json_string_value(json_object_get(e, "bdev_name")), name);
			if (n < max)
				snprintf(ports[n], sizeof(ports[0]), "%s", port ? port : "");
			n++;
		}
	}
	json_decref(p.result);
	return n;
}

/*
 * Two paths to one subsystem (tgt and tgt2, same NQN and namespaces), each
 * filtering by CSI with its own allow_unrecognized_csi (a parameter of each
 * attach, as SPDK's). Path A without the flag makes n1 and n4 and leaves
 * ZNS n2 and KV n3 out; path B with it adds n2 and n3. n1 (NVM) uses both
 * paths; n3 only B, the path whose attach allowed it: round robin sends
 * every read of n3 to B, and get_io_paths lists B alone for it. B detached,
 * n2 and n3 go with it (no path left that takes them), n1 and n4 stay.
 */
static void test_multipath_csi(void **state)
{
	struct sio_nvme_transport_id filter;
	struct attach_res r;
	char ports[4][8], port2[8];
	int pending = 1;

	(void)state;
	snprintf(port2, sizeof(port2), "%u", g.tgt2.port);
	g.num_notices = 0;
	attach_path(&g.tgt, false, BDEV_NVME_MP_MULTIPATH, &r);
	assert_int_equal(r.count, 2);
	assert_int_equal(g.num_notices, 2);
	attach_path(&g.tgt2, true, BDEV_NVME_MP_MULTIPATH, &r);
	assert_int_equal(r.count, NUM_NS);
	for (uint32_t i = 1; i <= NUM_NS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "Nvme0n%u", i);
		assert_non_null(sio_bdev_get_by_name(name));
	}
	assert_int_equal(g.num_notices, 2); /* B left nothing out */
	assert_int_equal(bdev_nvme_set_multipath_policy("Nvme0n1", BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE,
							BDEV_NVME_MP_SELECTOR_ROUND_ROBIN, 1), 0);
	assert_int_equal(bdev_nvme_set_multipath_policy("Nvme0n3", BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE,
							BDEV_NVME_MP_SELECTOR_ROUND_ROBIN, 1), 0);
	/* Counted from here: the bdevs' examine reads are over (attach_path waited). */
	memset(g.path_reads, 0, sizeof(g.path_reads));
	bdev_reads("Nvme0n1", 8);
	bdev_reads("Nvme0n3", 8);
	/* n1 on both paths (the first read or two may wait for a queue pair). */
	assert_true(g.path_reads[0][1] > 0);
	assert_true(g.path_reads[1][1] > 0);
	assert_int_equal(g.path_reads[0][1] + g.path_reads[1][1], 8);
	/* n3 on B only. */
	assert_int_equal(g.path_reads[0][3], 0);
	assert_int_equal(g.path_reads[1][3], 8);

	/* get_io_paths (with a channel open): n3 has one path, B; n1 both. */
	{
		struct sio_bdev_desc *d1, *d3;
		struct sio_io_channel *c1, *c3;

		assert_int_equal(sio_bdev_open("Nvme0n1", false, bdev_event, NULL, &d1), 0);
		assert_int_equal(sio_bdev_open("Nvme0n3", false, bdev_event, NULL, &d3), 0);
		c1 = sio_bdev_desc_get_io_channel(d1);
		c3 = sio_bdev_desc_get_io_channel(d3);
		assert_non_null(c1);
		assert_non_null(c3);
		assert_int_equal(io_paths("Nvme0n3", ports, 4), 1);
		assert_string_equal(ports[0], port2);
		assert_int_equal(io_paths("Nvme0n1", ports, 4), 2);
		sio_io_channel_put(c1);
		sio_io_channel_put(c3);
		sio_bdev_close(d1);
		sio_bdev_close(d3);
		poll_ms(20);
	}

	/* B leaves: the bdevs only it served go; the left-out notice is not repeated. */
	memset(&filter, 0, sizeof(filter));
	snprintf(filter.trsvcid, sizeof(filter.trsvcid), "%s", port2);
	assert_int_equal(bdev_nvme_detach("Nvme0", &filter, done_cb, &pending), 0);
	poll_while(&pending, 5000);
	assert_int_equal(pending, 0);
	poll_ms(100);
	assert_non_null(sio_bdev_get_by_name("Nvme0n1"));
	assert_null(sio_bdev_get_by_name("Nvme0n2"));
	assert_null(sio_bdev_get_by_name("Nvme0n3"));
	assert_non_null(sio_bdev_get_by_name("Nvme0n4"));
	assert_int_equal(g.num_notices, 2);
	bdev_reads("Nvme0n1", 2);
	detach();
	ut_nvme_tcp_tgt_reset(&g.tgt2);
}

/*
 * The current path is each bdev's own (per bdev and thread), not shared by
 * the name's bdevs. Two paths as in test_multipath_csi: A (tgt) without
 * allow_unrecognized_csi serves n1 and n4, B (tgt2) with it serves all
 * four. disable_auto_failback is on (a bdev stays on the path it uses), and
 * the bdevs' channels are open side by side on this thread, so they share
 * the name's channel (its queue pairs) as they would under load.
 */
struct mp_bdev {
	const char *name;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
};

static void *g_buf;
/* The bdevs mp_setup() opened, until mp_close(): a failed test's are closed by reset_script. */
static struct mp_bdev *g_mp;
static size_t g_nmp;

static void mp_close(void)
{
	for (size_t i = 0; i < g_nmp; i++) {
		if (g_mp[i].ch != NULL)
			sio_io_channel_put(g_mp[i].ch);
		if (g_mp[i].desc != NULL)
			sio_bdev_close(g_mp[i].desc);
	}
	g_nmp = 0;
	poll_ms(20);
	sio_dma_free(g_buf);
	g_buf = NULL;
}

static void mp_setup(struct mp_bdev *b, size_t n, bool failback_off)
{
	struct bdev_nvme_opts o = g_bdev_nvme_opts;
	struct attach_res r;

	o.disable_auto_failback = failback_off;
	assert_int_equal(bdev_nvme_set_opts(&o), 0);
	attach_path(&g.tgt, false, BDEV_NVME_MP_MULTIPATH, &r);
	attach_path(&g.tgt2, true, BDEV_NVME_MP_MULTIPATH, &r);
	assert_int_equal(r.count, NUM_NS);
	g_buf = sio_dma_zmalloc(4096, 4096);
	assert_non_null(g_buf);
	/* Static arrays (a failed test's frame is gone when reset_script closes them). */
	g_mp = b;
	g_nmp = n;
	for (size_t i = 0; i < n; i++) {
		b[i].desc = NULL;
		b[i].ch = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sio_bdev_open(b[i].name, false, bdev_event, NULL, &b[i].desc), 0);
		b[i].ch = sio_bdev_desc_get_io_channel(b[i].desc);
		assert_non_null(b[i].ch);
	}
	memset(g.path_reads, 0, sizeof(g.path_reads));
}

static void mp_teardown(struct mp_bdev *b, size_t n)
{
	struct bdev_nvme_opts o;

	assert_ptr_equal(b, g_mp);
	assert_int_equal(n, g_nmp);
	mp_close();
	detach();
	ut_nvme_tcp_tgt_reset(&g.tgt2);
	o = g_bdev_nvme_opts;
	o.disable_auto_failback = false;
	assert_int_equal(bdev_nvme_set_opts(&o), 0);
}

/* @n one-block reads through @b's open channel, one at a time; each must succeed. */
static void mp_reads(struct mp_bdev *b, int n)
{
	for (int i = 0; i < n; i++) {
		struct rd r = { .pending = 1, .rc = -1 };

		assert_int_equal(sio_bdev_read_blocks(b->desc, b->ch, g_buf, 0, 1, rd_cb, &r), 0);
		poll_while(&r.pending, 3000);
		assert_int_equal(r.pending, 0);
		assert_int_equal(r.rc, 0);
	}
}

/* The paths of bdev @name whose get_io_paths entry has @field true, as "A",
 * "B", "A B" or "" (A: tgt, B: tgt2). */
static const char *paths_where(const char *name, const char *field)
{
	static char out[8];
	struct paths_res p = { .pending = 1 };
	json_t *groups, *grp, *e;
	bool a = false, b = false;
	char port2[8];
	size_t i, k;

	snprintf(port2, sizeof(port2), "%u", g.tgt2.port);
	assert_int_equal(bdev_nvme_get_io_paths(name, paths_cb, &p), 0);
	poll_while(&p.pending, 3000);
	assert_int_equal(p.pending, 0);
	groups = json_object_get(p.result, "poll_groups");
	json_array_foreach(groups, i, grp) {
		json_array_foreach(json_object_get(grp, "io_paths"), k, e) {
			const char *port = json_string_value(
				json_object_get(json_object_get(e, "transport"), "trsvcid"));

			if (!json_is_true(json_object_get(e, field)))
				continue;
			if (port != NULL && strcmp(port, port2) == 0)
				b = true;
			else
				a = true;
		}
	}
	json_decref(p.result);
	snprintf(out, sizeof(out), "%s%s%s", a ? "A" : "", a && b ? " " : "", b ? "B" : "");
	return out;
}

static const char *current_paths(const char *name)
{
	return paths_where(name, "current");
}

/*
 * n3 (KV) is served by B alone, so its I/O goes there; n1's current path
 * must stay A. With one current path per name, n3's choice of B became
 * n1's too, and disable_auto_failback kept n1 on B.
 */
static void test_mp_current_csi_sibling(void **state)
{
	static struct mp_bdev b[] = { { .name = "Nvme0n1" }, { .name = "Nvme0n3" } };

	(void)state;
	mp_setup(b, 2, true);
	mp_reads(&b[0], 2);
	mp_reads(&b[1], 2);
	mp_reads(&b[0], 2);
	assert_int_equal(g.path_reads[0][1], 4);
	assert_int_equal(g.path_reads[1][1], 0);
	assert_int_equal(g.path_reads[0][3], 0);
	assert_int_equal(g.path_reads[1][3], 2);
	assert_string_equal(current_paths("Nvme0n1"), "A");
	assert_string_equal(current_paths("Nvme0n3"), "B");
	mp_teardown(b, 2);
}

/*
 * A path-related status for n4 at A (its namespace inaccessible there) fails
 * n4 over to B; n1 stays on A. After an AER (namespaces changed) A is usable
 * for n4 again, and disable_auto_failback keeps n4 on B, n1 on A. Before,
 * the status held A off for every bdev of the name until a reconnection.
 */
static void test_mp_failover_per_bdev(void **state)
{
	static struct mp_bdev b[] = { { .name = "Nvme0n1" }, { .name = "Nvme0n4" } };

	(void)state;
	mp_setup(b, 2, true);
	mp_reads(&b[0], 2);
	mp_reads(&b[1], 2);
	assert_int_equal(g.path_reads[0][1], 2);
	assert_int_equal(g.path_reads[0][4], 2);
	g.path_err_nsid = 4;
	g.path_errs = 0;
	mp_reads(&b[1], 3);
	assert_int_equal(g.path_errs, 1);  /* the failed read was submitted again on B */
	assert_int_equal(g.path_reads[1][4], 3);
	mp_reads(&b[0], 2);
	assert_int_equal(g.path_reads[0][1], 4);
	assert_int_equal(g.path_reads[1][1], 0);
	assert_string_equal(current_paths("Nvme0n1"), "A");
	assert_string_equal(current_paths("Nvme0n4"), "B");
	/* A is set aside for n4 alone, and get_io_paths says so. */
	assert_string_equal(paths_where("Nvme0n4", "accessible"), "B");
	assert_string_equal(paths_where("Nvme0n1", "accessible"), "A B");
	/* The namespace is reachable at A again and the target says so. */
	g.path_err_nsid = 0;
	fire_aen();
	mp_reads(&b[1], 2);
	mp_reads(&b[0], 2);
	assert_int_equal(g.path_reads[1][4], 5);
	assert_int_equal(g.path_reads[0][4], 2);
	assert_int_equal(g.path_reads[0][1], 6);
	assert_string_equal(current_paths("Nvme0n4"), "B");
	assert_string_equal(current_paths("Nvme0n1"), "A");
	assert_string_equal(paths_where("Nvme0n4", "accessible"), "A B");
	mp_teardown(b, 2);
}

/*
 * The same failover with auto failback (the default): once A is usable for
 * n4 again (AER), n4's I/O goes back to A at once.
 */
static void test_mp_failback_per_bdev(void **state)
{
	static struct mp_bdev b[] = { { .name = "Nvme0n1" }, { .name = "Nvme0n4" } };

	(void)state;
	mp_setup(b, 2, false);
	g.path_err_nsid = 4;
	g.path_errs = 0;
	mp_reads(&b[1], 3);
	mp_reads(&b[0], 2);
	assert_int_equal(g.path_errs, 1);
	assert_int_equal(g.path_reads[1][4], 3);
	assert_int_equal(g.path_reads[0][1], 2);
	assert_string_equal(current_paths("Nvme0n4"), "B");
	g.path_err_nsid = 0;
	fire_aen();
	mp_reads(&b[1], 2);
	assert_int_equal(g.path_reads[0][4], 2);
	assert_string_equal(current_paths("Nvme0n4"), "A");
	mp_teardown(b, 2);
}

/*
 * active_active round robin (rr_min_io 1) on n1 and n4 with their reads
 * interleaved: each bdev alternates A, B on its own. With one round-robin
 * position per name, the alternation ran across the bdevs: every n1 read
 * on one path, every n4 read on the other.
 */
static void test_mp_round_robin_per_bdev(void **state)
{
	static struct mp_bdev b[] = { { .name = "Nvme0n1" }, { .name = "Nvme0n4" } };

	(void)state;
	mp_setup(b, 2, false);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(bdev_nvme_set_multipath_policy(b[i].name,
								BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE,
								BDEV_NVME_MP_SELECTOR_ROUND_ROBIN, 1), 0);
	for (int i = 0; i < 4; i++) {
		mp_reads(&b[0], 1);
		mp_reads(&b[1], 1);
	}
	assert_int_equal(g.path_reads[0][1], 2);
	assert_int_equal(g.path_reads[1][1], 2);
	assert_int_equal(g.path_reads[0][4], 2);
	assert_int_equal(g.path_reads[1][4], 2);
	assert_string_equal(current_paths("Nvme0n1"), "A B");
	mp_teardown(b, 2);
}

/*
 * The name detached under I/O: n4's read waits in the channel (both paths
 * answer it with a path-related status, so both are set aside for n4, and
 * either may return) while n1 reads on. The detach fails the waiting read
 * (-ENODEV) with the channels still open; then they are closed and the name
 * goes entirely (set_opts works again: no group left; ASan: nothing leaked).
 */
static void test_mp_detach_waiting(void **state)
{
	static struct mp_bdev b[] = { { .name = "Nvme0n1" }, { .name = "Nvme0n4" } };
	struct rd r = { .pending = 1, .rc = 0 };
	struct bdev_nvme_opts o;
	int pending = 1;

	(void)state;
	mp_setup(b, 2, false);
	g.path_err_nsid = 4;
	g.path_err_both = true;
	g.path_errs = 0;
	assert_int_equal(sio_bdev_read_blocks(b[1].desc, b[1].ch, g_buf, 0, 1, rd_cb, &r), 0);
	for (int i = 0; i < 200 && g.path_errs < 2; i++)
		poll_ms(5);
	assert_int_equal(g.path_errs, 2);
	poll_ms(20);
	assert_int_equal(r.pending, 1); /* waiting for a path that takes n4 */
	mp_reads(&b[0], 2);             /* n1 is not held up by n4's wait */
	assert_int_equal(bdev_nvme_detach("Nvme0", NULL, done_cb, &pending), 0);
	poll_while(&r.pending, 3000);
	assert_int_equal(r.pending, 0);
	assert_int_equal(r.rc, -ENODEV);
	mp_close();
	poll_while(&pending, 5000);
	assert_int_equal(pending, 0);
	poll_ms(50);
	assert_null(sio_bdev_get_by_name("Nvme0n1"));
	ut_nvme_tcp_tgt_reset(&g.tgt);
	ut_nvme_tcp_tgt_reset(&g.tgt2);
	g.path_err_both = false;
	o = g_bdev_nvme_opts;
	assert_int_equal(bdev_nvme_set_opts(&o), 0);
}

/* Each test starts from the plain script (a failed one may have left its tweaks). */
static int reset_script(void **state)
{
	struct bdev_nvme_opts o;
	int pending = 1;

	(void)state;
	g.refuse_cns0_nsid = 0;
	g.hide_nsid = 0;
	g.path_err_nsid = 0;
	g.path_err_both = false;
	g.aer_held = false;
	if (g_nmp != 0)
		mp_close();
	/* A failed test's controller is gone before the next one attaches its own. */
	if (bdev_nvme_detach("Nvme0", NULL, done_cb, &pending) == 0) {
		poll_while(&pending, 5000);
		poll_ms(50);
	}
	o = g_bdev_nvme_opts;
	o.disable_auto_failback = false;
	(void)bdev_nvme_set_opts(&o); /* -EPERM only while a name is still attached */
	ut_nvme_tcp_tgt_reset(&g.tgt);
	ut_nvme_tcp_tgt_reset(&g.tgt2);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_host_csi, reset_script),
		cmocka_unit_test_setup(test_host_cns0_refused, reset_script),
		cmocka_unit_test_setup(test_identify_csi, reset_script),
		cmocka_unit_test_setup(test_bdev_left_out, reset_script),
		cmocka_unit_test_setup(test_bdev_allowed, reset_script),
		cmocka_unit_test_setup(test_bdev_cns0_refused, reset_script),
		cmocka_unit_test_setup(test_bdev_notice_once, reset_script),
		cmocka_unit_test_setup(test_multipath_csi, reset_script),
		cmocka_unit_test_setup(test_mp_current_csi_sibling, reset_script),
		cmocka_unit_test_setup(test_mp_failover_per_bdev, reset_script),
		cmocka_unit_test_setup(test_mp_failback_per_bdev, reset_script),
		cmocka_unit_test_setup(test_mp_round_robin_per_bdev, reset_script),
		cmocka_unit_test_setup(test_mp_detach_waiting, reset_script),
	};
	int rc;

	/* The sio_nvme_identify to run (meson passes it); without it that test skips. */
	g_identify_path = argc > 1 ? argv[1] : NULL;
	sio_log_set_level(SIO_LOG_NOTICE);
	sio_log_set_sink(log_sink, NULL);
	g.thread = sio_thread_attach("nvme_host_csi");
	assert_non_null(g.thread);
	if (bdev_modules_init() != 0) {
		fprintf(stderr, "bdev modules did not initialise\n");
		return 1;
	}
	if (ut_nvme_tcp_tgt_listen(&g.tgt, &g_script) != 0) {
		fprintf(stderr, "cannot listen on 127.0.0.1\n");
		return 1;
	}
	g.tgt.close_on_error = true;
	if (ut_nvme_tcp_tgt_listen(&g.tgt2, &g_script) != 0) {
		fprintf(stderr, "cannot listen on 127.0.0.1\n");
		return 1;
	}
	g.tgt2.close_on_error = true;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ut_nvme_tcp_tgt_close(&g.tgt);
	ut_nvme_tcp_tgt_close(&g.tgt2);
	bdev_modules_fini();
	poll_ms(50);
	ut_thread_exit(g.thread);
	sio_thread_destroy(g.thread);
	sio_log_set_sink(NULL, NULL);
	return rc;
}
