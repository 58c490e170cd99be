/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target inside a running app with two reactors (two poll groups), hosts
 * on an OS thread of their own over loopback TCP:
 *  1. controllers whose admin and I/O queues land on different poll groups
 *     (connections are spread round robin), data written and read back on
 *     every I/O queue, then everything closed;
 *  2. load: 1000 connections open at once, each with its admin queue
 *     connected, every one then served an Identify; the process's resident
 *     memory before and after is reported (target share: what the hosts'
 *     own buffers do not explain);
 *  3. nvmf_get_stats shows both poll groups took connections.
 * Runs under TSan too (suite tsan): Connect's lookups, the accept hand-off,
 * cross-group controllers and the keep-alive/kick messages race for real.
 *
 * usage: test_nvmf_mt [CONNECTIONS]   (default 1000)
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_host.h"
#include "spdk_io/app.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/nvmf.h"
#include "spdk_io/rpc.h"

#define NQN "nqn.2016-06.io.spdk:mt"
#define HOSTNQN "nqn.2016-06.io.spdk:mthost"

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			return -1;                                              \
		}                                                               \
	} while (0)

static int g_port;
static int g_conns = 1000;
static atomic_int g_client_rc = 1; /* 1: running */

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int io_cmd(struct th *h, uint8_t opc, uint64_t slba, uint32_t nlb, void *buf,
		  uint32_t len)
{
	struct sio_nvme_cmd cmd;
	struct sio_nvme_cpl cpl;
	bool w = opc == SIO_NVME_OPC_WRITE;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = opc;
	cmd.nsid = 1;
	cmd.cdw10 = (uint32_t)slba;
	cmd.cdw12 = nlb - 1;
	rc = th_cmd(h, &cmd, w ? buf : NULL, w ? len : 0, false, w ? NULL : buf, w ? 0 : len,
		    &cpl);
	if (rc == 0 && sio_nvme_cpl_is_error(&cpl))
		rc = -EIO;
	return rc;
}

/* Phase 1: four controllers, two I/O queues each, data through every queue. */
static int spread_and_data(void)
{
	static struct th adm[4], io[4][2];
	static uint8_t w[65536], r[65536];

	for (int c = 0; c < 4; c++) {
		struct sio_nvme_cmd cmd;
		struct sio_nvme_cpl cpl;
		int cntlid = th_admin_up(&adm[c], g_port, NULL, NQN, HOSTNQN, c & 1);

		CHECK(cntlid > 0, "admin up %d: %d", c, cntlid);
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = SIO_NVME_OPC_SET_FEATURES;
		cmd.cdw10 = SIO_NVME_FEAT_NUMBER_OF_QUEUES;
		cmd.cdw11 = 0x00010001;
		CHECK(th_cmd(&adm[c], &cmd, NULL, 0, false, NULL, 0, &cpl) == 0, "queues");
		for (int q = 0; q < 2; q++) {
			uint64_t slba = (uint64_t)(c * 2 + q) * 128;

			CHECK(th_open(&io[c][q], g_port, NULL) == 0, "open");
			CHECK(th_icreq(&io[c][q], c & 1, c & 1) == 0, "icreq");
			CHECK(th_connect(&io[c][q], NQN, HOSTNQN, (uint16_t)(q + 1), 31,
					 (uint16_t)cntlid, 0, q == 1, &cpl) == 0 &&
			      !sio_nvme_cpl_is_error(&cpl), "io connect %d/%d", c, q);
			for (size_t i = 0; i < sizeof(w); i++)
				w[i] = (uint8_t)(i * 13 + c * 7 + q);
			CHECK(io_cmd(&io[c][q], SIO_NVME_OPC_WRITE, slba, 128, w, sizeof(w)) == 0,
			      "write");
			memset(r, 0, sizeof(r));
			CHECK(io_cmd(&io[c][q], SIO_NVME_OPC_READ, slba, 128, r, sizeof(r)) == 0,
			      "read");
			CHECK(memcmp(w, r, sizeof(w)) == 0, "data of controller %d queue %d", c, q);
		}
	}
	for (int c = 0; c < 4; c++) {
		th_close(&io[c][0]);
		th_close(&io[c][1]);
		th_close(&adm[c]);
	}
	return 0;
}

/* Phase 2: many connections at once, each connected, each served. */
static int load(void)
{
	struct th *hs = calloc((size_t)g_conns, sizeof(*hs));
	static uint8_t page[4096];
	long before, opened, after;
	int rc = 0;

	CHECK(hs != NULL, "memory");
	before = rss_kib();
	for (int i = 0; i < g_conns && rc == 0; i++) {
		struct sio_nvme_cpl cpl;

		rc = th_open(&hs[i], g_port, NULL);
		if (rc == 0)
			rc = th_icreq(&hs[i], false, false);
		if (rc == 0)
			rc = th_connect(&hs[i], NQN, HOSTNQN, 0, 7, SIO_NVMF_CNTLID_DYNAMIC, 0,
					false, &cpl);
		if (rc == 0 && sio_nvme_cpl_is_error(&cpl))
			rc = -EIO;
		if (rc != 0)
			fprintf(stderr, "connection %d: %s\n", i, strerror(-rc));
	}
	opened = rss_kib();
	for (int i = 0; i < g_conns && rc == 0; i++) {
		struct sio_nvme_cmd cmd;
		struct sio_nvme_cpl cpl;
		union sio_nvme_cc_register cc = {.raw = 0};

		cc.bits.en = 1;
		rc = th_prop_set(&hs[i], SIO_NVME_REG_CC, cc.raw, &cpl);
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = SIO_NVME_OPC_IDENTIFY;
		cmd.cdw10 = SIO_NVME_CNS_CTRLR;
		if (rc == 0)
			rc = th_cmd(&hs[i], &cmd, NULL, 0, false, page, sizeof(page), &cpl);
		if (rc == 0 && (sio_nvme_cpl_is_error(&cpl) ||
				strcmp(((struct sio_nvme_ctrlr_data *)page)->subnqn, NQN) != 0))
			rc = -EIO;
		if (rc != 0)
			fprintf(stderr, "identify on connection %d: %s\n", i, strerror(-rc));
	}
	after = rss_kib();
	printf("load: %d connections open at once, each connected and served an Identify\n",
	       g_conns);
	printf("load: RSS %ld KiB before, %ld KiB with all connected (+%ld), %ld KiB after "
	       "Identify; the hosts' own state is %zu KiB of it: target ~%ld bytes per connection\n",
	       before, opened, opened - before, after, g_conns * sizeof(*hs) / 1024,
	       ((after - before) * 1024 - (long)(g_conns * sizeof(*hs))) / g_conns);
	for (int i = 0; i < g_conns; i++)
		th_close(&hs[i]);
	free(hs);
	return rc;
}

static void *client(void *arg)
{
	int rc = spread_and_data();

	(void)arg;
	if (rc == 0)
		rc = load();
	atomic_store(&g_client_rc, rc == 0 ? 0 : -1);
	return NULL;
}

struct stats_ctx {
	int done;
	int pgs_used;
	int pgs;
};

static void stats_cb(void *arg, int code, const char *msg, json_t *result)
{
	struct stats_ctx *s = arg;
	size_t i;
	json_t *pg;

	json_array_foreach(json_object_get(result, "poll_groups"), i, pg) {
		s->pgs++;
		if (json_integer_value(json_object_get(pg, "admin_qpairs")) > 0)
			s->pgs_used++;
	}
	s->done = 1;
}

static int test_main(void *arg)
{
	struct sio_bdev_malloc_opts mo;
	struct sio_nvmf_tgt *tgt;
	struct sio_nvmf_subsystem *ss;
	struct sio_nvmf_subsystem_opts so;
	struct sio_nvmf_listen_addr la = {.trtype = "TCP", .traddr = "127.0.0.1", .trsvcid = "0"};
	struct sio_nvmf_transport_opts to;
	struct stats_ctx st = {0};
	struct sio_bdev *b;
	pthread_t t;
	int rc;

	(void)arg;
	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "MtMalloc";
	mo.num_blocks = 16384;
	CHECK(sio_bdev_malloc_create(&mo, &b) == 0, "malloc");
	CHECK(sio_nvmf_tgt_create(NULL, &tgt) == 0, "tgt");
	CHECK(sio_nvmf_tgt_get_poll_group_count(tgt) == sio_core_count(), "a group per core");
	sio_nvmf_transport_opts_init("TCP", &to, sizeof(to));
	to.max_aq_depth = 32;
	CHECK(sio_nvmf_tgt_add_transport(tgt, "TCP", &to, NULL) == 0, "transport");
	sio_nvmf_subsystem_opts_init(&so, sizeof(so));
	so.allow_any_host = true;
	CHECK(sio_nvmf_subsystem_create(tgt, NQN, &so, &ss) == 0, "subsystem");
	CHECK(sio_nvmf_subsystem_add_ns(ss, "MtMalloc", NULL, NULL) == 0, "ns");
	CHECK(sio_nvmf_subsystem_add_listener(ss, &la) == 0, "listener");
	CHECK(sio_nvmf_subsystem_start_await(ss) == 0, "start");
	g_port = sio_nvmf_subsystem_listener_port(ss, &la);
	CHECK(pthread_create(&t, NULL, client, NULL) == 0, "client thread");
	while (atomic_load(&g_client_rc) == 1)
		sio_sleep(10000);
	pthread_join(t, NULL);
	rc = atomic_load(&g_client_rc);
	if (rc == 0) {
		CHECK(sio_rpc_call("nvmf_get_stats", NULL, stats_cb, &st) == 0, "stats");
		while (!st.done)
			sio_sleep(1000);
		printf("poll groups: %d, with admin queues: %d\n", st.pgs, st.pgs_used);
		if (st.pgs != (int)sio_core_count() || st.pgs_used != st.pgs)
			rc = -1;
	}
	CHECK(sio_nvmf_tgt_destroy_await(tgt) == 0, "destroy");
	sio_app_stop(rc);
	return 0;
}

int main(int argc, char **argv)
{
	struct sio_app_opts opts;
	int rc;

	if (argc > 1)
		g_conns = atoi(argv[1]);
	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_nvmf_mt";
	opts.reactor_mask = "0x3";
	opts.rpc_addr = NULL;
	if (sio_cpu_count() < 2)
		opts.reactor_mask = "0x1";
	rc = sio_app_run(&opts, test_main, NULL);
	printf("%s\n", rc == 0 ? "PASS" : "FAIL");
	return rc == 0 ? 0 : 1;
}
