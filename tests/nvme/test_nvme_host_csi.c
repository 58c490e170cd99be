/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace command sets, host and nvme bdev module, against the scripted
 * NVMe/TCP target (tests/common/ut_nvme_tcp_tgt.h, real loopback, polled on
 * the test's thread). Four namespaces: 1 says CSI NVM in its descriptor list,
 * 2 ZNS (02h), 3 KV (01h), 4 gives no CSI descriptor (a pre-2.0 controller).
 * The host reports each namespace's CSI (sio_nvme_ns_get_csi; NVM where none
 * was given); bdev_nvme_attach leaves 2 and 3 out with a notice naming nsid
 * and CSI, and makes bdevs of all four with allow_unrecognized_csi. sio_tgt's
 * namespaces (CSI NVM) staying bdevs is nvme_host_bdev's part.
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
	char notices[8][256];    /* bdev_nvme's "left out" notices */
	int num_notices;
} g;

static uint64_t now_ms(void)
{
	return sio_ticks_to_us(sio_get_ticks()) / 1000;
}

static void on_cmd(struct ut_nvme_tcp_conn *c, const struct sio_nvme_cmd *cmd, uint32_t icd_len)
{
	uint32_t len = cmd->dptr.sgl1.unkeyed.length;

	(void)icd_len;
	if (cmd->opc == SIO_NVME_OPC_ASYNC_EVENT_REQUEST && c->qid == 0)
		return; /* stays outstanding */
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
		ut_nvme_tcp_tgt_c2h(c, cmd->cid, len, false);
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0, 0);
	} else if (cmd->opc == SIO_NVME_OPC_SET_FEATURES &&
		   (cmd->cdw10 & 0xff) == SIO_NVME_FEAT_NUMBER_OF_QUEUES) {
		ut_nvme_tcp_tgt_ok(c, cmd->cid, 0x00000000, 0); /* one I/O queue each way */
	} else if (len > 0 && sio_nvme_opc_data_xfer(cmd->opc) == SIO_NVME_DATA_CTRLR_TO_HOST &&
		   len <= sizeof(c->data)) {
		if (c->qid != 0 && cmd->opc == SIO_NVME_OPC_READ && cmd->nsid >= 1 &&
		    cmd->nsid <= NUM_NS)
			g.reads[cmd->nsid]++;
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

static void attach(bool allow, struct attach_res *r)
{
	struct bdev_nvme_attach_opts o;

	memset(&o, 0, sizeof(o));
	memset(r, 0, sizeof(*r));
	o.name = "Nvme0";
	fill_trid(&o.trid);
	sio_nvme_ctrlr_opts_init(&o.ctrlr_opts, sizeof(o.ctrlr_opts));
	o.ctrlr_opts.num_io_queues = 1;
	o.ctrlr_opts.connect_timeout_ms = 3000;
	o.mode = BDEV_NVME_MP_DISABLE;
	o.allow_unrecognized_csi = allow;
	r->pending = 1;
	assert_int_equal(bdev_nvme_attach(&o, attach_cb, r), 0);
	poll_while(&r->pending, 5000);
	assert_int_equal(r->pending, 0);
	assert_int_equal(r->rc, 0);
	/* The bdevs' examine reads (answered with zeros) end before the detach. */
	poll_ms(200);
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

/* Each test starts from the plain script (a failed one may have left its tweaks). */
static int reset_script(void **state)
{
	(void)state;
	g.refuse_cns0_nsid = 0;
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
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ut_nvme_tcp_tgt_close(&g.tgt);
	bdev_modules_fini();
	poll_ms(50);
	ut_thread_exit(g.thread);
	sio_thread_destroy(g.thread);
	sio_log_set_sink(NULL, NULL);
	return rc;
}
