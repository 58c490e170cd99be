/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe host driver over TCP against a real target: connect, Identify,
 * namespaces, I/O of every kind with the data verified, queueing beyond the
 * queue depth, the awaitable forms from a task, error statuses surfaced,
 * admin passthrough and log pages, discovery, reset under I/O, detach.
 *
 * The target is given as a transport ID string (argv[1] or
 * SIO_NVME_TEST_TRID); without one the test skips (77). tests/vm runs it in
 * a QEMU guest against the Linux kernel's nvmet-tcp target, with and
 * without digests (--digest). Namespace 1 must be writable and at least
 * 16 MiB; its data is overwritten.
 *
 * --sq-flow keeps SQ flow control on (the Connects do not ask to disable
 * it, so the controller must end every read with a CapsuleResp, never with
 * C2HData SUCCESS, which the driver would refuse as a protocol error).
 *
 * --psk=FILE opens every connection with the NVMe/TCP secure channel (TLS
 * 1.3, the PSK in interchange format in FILE, mode 0600) and runs the cases
 * that connect to the I/O subsystem (tests/nvmf/test_tls.py).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "spdk_io/async.h"
#include "spdk_io/env.h"
#include "spdk_io/keyring.h"
#include "spdk_io/nvme.h"
#include "spdk_io/thread.h"
#include "nvme_host_test.h"

static struct sio_nvme_transport_id g_trid;
static struct sio_nvme_ctrlr_opts g_opts;
static struct sio_nvme_ctrlr *g_ctrlr;
static struct sio_nvme_qpair *g_qp;
static struct sio_nvme_ns *g_ns;
static uint32_t g_ss;
static int g_min_ns = 1;

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static void test_connect(void **state)
{
	const struct sio_nvme_ctrlr_data *cd;
	uint32_t nsid;
	int n = 0;

	assert_int_equal(sio_nvme_ctrlr_connect_blocking(&g_trid, &g_opts, &g_ctrlr), 0);
	cd = sio_nvme_ctrlr_get_data(g_ctrlr);
	assert_non_null(cd);
	assert_string_equal(cd->subnqn, g_trid.subnqn);
	assert_false(sio_nvme_ctrlr_is_discovery(g_ctrlr));
	assert_true(sio_nvme_ctrlr_get_num_io_queues(g_ctrlr) >= 1);
	assert_true(sio_nvme_ctrlr_get_vs(g_ctrlr) >= 0x10000);
	printf("# connected: mn '%.40s' cntlid %u, vs %x, %u io queues, mdts -> %u bytes, nn %u\n",
	       cd->mn, sio_nvme_ctrlr_get_cntlid(g_ctrlr), sio_nvme_ctrlr_get_vs(g_ctrlr),
	       sio_nvme_ctrlr_get_num_io_queues(g_ctrlr), sio_nvme_ctrlr_get_max_xfer_size(g_ctrlr),
	       sio_nvme_ctrlr_get_num_ns(g_ctrlr));
	for (nsid = sio_nvme_ctrlr_get_first_active_ns(g_ctrlr); nsid != 0;
	     nsid = sio_nvme_ctrlr_get_next_active_ns(g_ctrlr, nsid)) {
		struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(g_ctrlr, nsid);

		assert_true(sio_nvme_ns_is_active(ns));
		assert_int_equal(sio_nvme_ns_get_id(ns), nsid);
		assert_true(sio_nvme_ns_get_sector_size(ns) >= 512);
		assert_int_equal(sio_nvme_ns_get_size(ns),
				 sio_nvme_ns_get_num_sectors(ns) * sio_nvme_ns_get_sector_size(ns));
		/* Block devices and files behind sio_tgt and nvmet: the NVM command set. */
		assert_int_equal(sio_nvme_ns_get_csi(ns), SIO_NVME_CSI_NVM);
		printf("# ns %u: %lu x %u bytes, uuid %s, nguid %s, csi %u\n", nsid,
		       (unsigned long)sio_nvme_ns_get_num_sectors(ns), sio_nvme_ns_get_sector_size(ns),
		       sio_nvme_ns_get_uuid(ns) ? "yes" : "no", sio_nvme_ns_get_nguid(ns) ? "yes" : "no",
		       sio_nvme_ns_get_csi(ns));
		n++;
	}
	assert_true(n >= g_min_ns);
	g_ns = sio_nvme_ctrlr_get_ns(g_ctrlr, sio_nvme_ctrlr_get_first_active_ns(g_ctrlr));
	g_ss = sio_nvme_ns_get_sector_size(g_ns);
	assert_true(sio_nvme_ns_get_size(g_ns) >= 16u << 20);
	assert_null(sio_nvme_ctrlr_get_ns(g_ctrlr, 0));
	assert_int_equal(sio_nvme_ctrlr_alloc_io_qpair_blocking(g_ctrlr, NULL, &g_qp), 0);
	assert_true(sio_nvme_qpair_get_id(g_qp) >= 1);
}

static void test_rw_verified(void **state)
{
	static const uint32_t sizes[] = { 512, 4096, 8192, 65536, 131072, 1u << 20 };
	struct io_rec r;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t len = sizes[i] < g_ss ? g_ss : sizes[i];
		uint32_t n = len / g_ss;
		uint8_t *w = sio_dma_zmalloc(len, 4096), *rd = sio_dma_zmalloc(len, 4096);
		uint64_t lba = 7 + i * 300; /* 300 blocks apart: 1 MiB of 4 KiB blocks fits */

		if (len > sio_nvme_ns_get_max_io_xfer_size(g_ns)) {
			sio_dma_free(w);
			sio_dma_free(rd);
			continue;
		}
		fill(w, len, (uint32_t)i);
		RUN_IO(r, sio_nvme_ns_write(g_ns, g_qp, w, lba, n, 0, io_cb, &r));
		assert_int_equal(r.rc, 0);
		assert_false(sio_nvme_cpl_is_error(&r.cpl));
		RUN_IO(r, sio_nvme_ns_read(g_ns, g_qp, rd, lba, n, 0, io_cb, &r));
		assert_int_equal(r.rc, 0);
		assert_memory_equal(w, rd, len);
		/* FUA is accepted and changes nothing visible. */
		RUN_IO(r, sio_nvme_ns_write(g_ns, g_qp, w, lba, n, SIO_NVME_IO_FLAGS_FORCE_UNIT_ACCESS,
					    io_cb, &r));
		assert_int_equal(r.rc, 0);
		sio_dma_free(w);
		sio_dma_free(rd);
	}
}

static void test_vectored(void **state)
{
	uint32_t len = 16 * g_ss;
	uint8_t *w = malloc(len), *rd = calloc(1, len);
	struct iovec wv[3], rv[4];
	struct io_rec r;

	fill(w, len, 99);
	/* Uneven pieces that do not follow block boundaries. */
	wv[0] = (struct iovec){ w, 100 };
	wv[1] = (struct iovec){ w + 100, len - 1100 };
	wv[2] = (struct iovec){ w + len - 1000, 1000 };
	RUN_IO(r, sio_nvme_ns_writev(g_ns, g_qp, wv, 3, 1000, 16, 0, io_cb, &r));
	assert_int_equal(r.rc, 0);
	rv[0] = (struct iovec){ rd, 1 };
	rv[1] = (struct iovec){ rd + 1, 4095 };
	rv[2] = (struct iovec){ rd + 4096, len - 4096 - 7 };
	rv[3] = (struct iovec){ rd + len - 7, 7 };
	RUN_IO(r, sio_nvme_ns_readv(g_ns, g_qp, rv, 4, 1000, 16, 0, io_cb, &r));
	assert_int_equal(r.rc, 0);
	assert_memory_equal(w, rd, len);
	/* iovecs shorter than the data are refused before anything is sent. */
	assert_int_equal(sio_nvme_ns_readv(g_ns, g_qp, rv, 2, 1000, 16, 0, io_cb, &r), -EINVAL);
	free(w);
	free(rd);
}

static void test_other_commands(void **state)
{
	uint32_t len = 8 * g_ss;
	uint8_t *w = malloc(len), *rd = malloc(len), *zero = calloc(1, len);
	struct io_rec r;

	fill(w, len, 5);
	RUN_IO(r, sio_nvme_ns_write(g_ns, g_qp, w, 2000, 8, 0, io_cb, &r));
	assert_int_equal(r.rc, 0);
	/* Compare: equal, then one byte off. */
	RUN_IO(r, sio_nvme_ns_compare(g_ns, g_qp, w, 2000, 8, 0, io_cb, &r));
	if (r.cpl.status.sct == SIO_NVME_SCT_GENERIC && r.cpl.status.sc == SIO_NVME_SC_INVALID_OPCODE) {
		printf("# compare not supported by this target\n");
	} else {
		assert_int_equal(r.rc, 0);
		w[len - 1] ^= 1;
		RUN_IO(r, sio_nvme_ns_compare(g_ns, g_qp, w, 2000, 8, 0, io_cb, &r));
		assert_int_not_equal(r.rc, 0);
		assert_int_equal(r.cpl.status.sct, SIO_NVME_SCT_MEDIA_ERROR);
		assert_int_equal(r.cpl.status.sc, SIO_NVME_SC_COMPARE_FAILURE);
		w[len - 1] ^= 1;
	}
	/* Write zeroes: the range reads back as zeroes. */
	RUN_IO(r, sio_nvme_ns_write_zeroes(g_ns, g_qp, 2000, 8, 0, io_cb, &r));
	if (r.rc == 0) {
		RUN_IO(r, sio_nvme_ns_read(g_ns, g_qp, rd, 2000, 8, 0, io_cb, &r));
		assert_int_equal(r.rc, 0);
		assert_memory_equal(rd, zero, len);
	} else {
		printf("# write zeroes: %s\n", sio_nvme_status_string(r.cpl.status.sct, r.cpl.status.sc));
	}
	/* Deallocate and flush complete (their effect is the target's business). */
	RUN_IO(r, sio_nvme_ns_deallocate(g_ns, g_qp, 2000, 8, io_cb, &r));
	printf("# deallocate: rc %d (%s)\n", r.rc,
	       sio_nvme_status_string(r.cpl.status.sct, r.cpl.status.sc));
	RUN_IO(r, sio_nvme_ns_flush(g_ns, g_qp, io_cb, &r));
	assert_int_equal(r.rc, 0);
	free(w);
	free(rd);
	free(zero);
}

static void test_errors(void **state)
{
	struct sio_nvme_cmd cmd;
	uint8_t buf[4096];
	struct io_rec r;
	uint64_t nsec = sio_nvme_ns_get_num_sectors(g_ns);

	/* Refused by the driver, nothing sent. */
	assert_int_equal(sio_nvme_ns_read(g_ns, g_qp, buf, nsec - 1, 2, 0, io_cb, &r), -EINVAL);
	assert_int_equal(sio_nvme_ns_read(g_ns, g_qp, buf, 0, 0, 0, io_cb, &r), -EINVAL);
	assert_int_equal(sio_nvme_ns_read(g_ns, g_qp, NULL, 0, 1, 0, io_cb, &r), -EINVAL);
	assert_int_equal(sio_nvme_ns_read(g_ns, NULL, buf, 0, 1, 0, io_cb, &r), -EINVAL);
	/* Past the end, sent raw: the controller's status comes back whole. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_READ;
	cmd.nsid = sio_nvme_ns_get_id(g_ns);
	cmd.cdw10 = (uint32_t)nsec;
	cmd.cdw11 = (uint32_t)(nsec >> 32);
	RUN_IO(r, sio_nvme_ctrlr_io_raw(g_ctrlr, g_qp, &cmd, buf, g_ss, io_cb, &r));
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(r.cpl.status.sct, SIO_NVME_SCT_GENERIC);
	/* The kernel's file backend says Capacity Exceeded, others LBA Out of Range. */
	assert_true(r.cpl.status.sc == SIO_NVME_SC_LBA_OUT_OF_RANGE ||
		    r.cpl.status.sc == SIO_NVME_SC_CAPACITY_EXCEEDED);
	assert_int_equal(r.rc, sio_nvme_status_to_errno(r.cpl.status.sct, r.cpl.status.sc));
	/* An opcode nobody implements. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0x7c;
	cmd.nsid = sio_nvme_ns_get_id(g_ns);
	RUN_IO(r, sio_nvme_ctrlr_io_raw(g_ctrlr, g_qp, &cmd, NULL, 0, io_cb, &r));
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(r.cpl.status.sct, SIO_NVME_SCT_GENERIC);
	assert_int_equal(r.cpl.status.sc, SIO_NVME_SC_INVALID_OPCODE);
	/* A namespace that does not exist, by raw command. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_READ;
	cmd.nsid = 0xfffe;
	RUN_IO(r, sio_nvme_ctrlr_io_raw(g_ctrlr, g_qp, &cmd, buf, 512, io_cb, &r));
	assert_int_not_equal(r.rc, 0);
	printf("# read of nsid 0xfffe: %s\n", sio_nvme_status_string(r.cpl.status.sct, r.cpl.status.sc));
}

static void test_admin(void **state)
{
	struct sio_nvme_cmd cmd;
	uint8_t *buf = sio_dma_zmalloc(4096, 4096);
	struct io_rec r;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_GET_FEATURES;
	cmd.cdw10 = SIO_NVME_GET_FEATURES_CDW10(SIO_NVME_FEAT_NUMBER_OF_QUEUES, SIO_NVME_FEAT_SEL_CURRENT);
	RUN_IO(r, sio_nvme_ctrlr_admin_raw(g_ctrlr, &cmd, NULL, 0, io_cb, &r));
	assert_int_equal(r.rc, 0);
	assert_true((r.cpl.cdw0 & 0xffff) + 1 >= sio_nvme_ctrlr_get_num_io_queues(g_ctrlr));
	/* Identify Controller again by hand: the same subsystem NQN. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_IDENTIFY;
	cmd.cdw10 = SIO_NVME_CNS_CTRLR;
	RUN_IO(r, sio_nvme_ctrlr_admin_raw(g_ctrlr, &cmd, buf, 4096, io_cb, &r));
	assert_int_equal(r.rc, 0);
	assert_string_equal(((struct sio_nvme_ctrlr_data *)buf)->subnqn, g_trid.subnqn);
	/* SMART / health log. */
	RUN_IO(r, sio_nvme_ctrlr_get_log_page(g_ctrlr, SIO_NVME_LOG_HEALTH_INFORMATION,
					      SIO_NVME_NSID_ALL, buf, 512, 0, io_cb, &r));
	assert_int_equal(r.rc, 0);
	/* Wrong thread rules and bad arguments. */
	assert_int_equal(sio_nvme_ctrlr_admin_raw(g_ctrlr, NULL, NULL, 0, io_cb, &r), -EINVAL);
	assert_int_equal(sio_nvme_ctrlr_get_log_page(g_ctrlr, 2, 0, buf, 3, 0, io_cb, &r), -EINVAL);
	sio_dma_free(buf);
}

/* Many more commands than the queue has entries: all accepted, all complete. */
static void test_queue_depth(void **state)
{
	enum { N = 96 };
	uint8_t *buf = malloc((size_t)N * g_ss), *rd = malloc((size_t)N * g_ss);

	fill(buf, (size_t)N * g_ss, 77);
	check_queue_depth(g_ctrlr, g_ns, N, 3000, buf, rd, true);
	free(buf);
	free(rd);
}

/* The awaitable forms from a task, on a queue pair the task allocated. */
static int await_task(void *arg)
{
	struct sio_nvme_qpair *qp;
	struct sio_nvme_cpl cpl;
	uint8_t *w = malloc(4 * g_ss), *rd = calloc(1, 4 * g_ss);
	int rc;

	rc = sio_nvme_ctrlr_alloc_io_qpair_await(g_ctrlr, NULL, &qp);
	if (rc != 0)
		return rc;
	fill(w, 4 * g_ss, 3);
	rc = await_write_readv_check(g_ns, qp, w, rd);
	if (rc == 0)
		rc = sio_nvme_ns_flush_await(g_ns, qp, &cpl);
	if (rc == 0) {
		/* An error's status reaches the awaiting task too. */
		struct sio_nvme_cmd cmd = { .opc = 0x7c, .nsid = sio_nvme_ns_get_id(g_ns) };

		rc = sio_nvme_ctrlr_io_raw_await(g_ctrlr, qp, &cmd, NULL, 0, &cpl);
		rc = rc != 0 && cpl.status.sc == SIO_NVME_SC_INVALID_OPCODE ? 0 : -EPROTO;
	}
	sio_nvme_qpair_free(qp);
	free(w);
	free(rd);
	return rc;
}

static void test_await(void **state)
{
	struct sio_future f;

	assert_int_equal(sio_task_spawn(NULL, await_task, NULL, &f), 0);
	assert_int_equal(sio_block_on(&f), 0);
}

static void disc_cb(void *arg, int rc, const struct sio_nvmf_discovery_log_page *log)
{
	int *found = arg;

	if (rc != 0) {
		*found = rc;
		return;
	}
	*found = -ENOENT;
	for (uint64_t i = 0; i < log->numrec; i++) {
		const struct sio_nvmf_discovery_log_page_entry *e = &log->entries[i];

		printf("# discovery entry %lu: trtype %u subtype %u %s:%s %s\n", (unsigned long)i,
		       e->trtype, e->subtype, e->traddr, e->trsvcid, e->subnqn);
		if (strcmp(e->subnqn, g_trid.subnqn) == 0)
			*found = 1;
	}
}

static void test_discovery(void **state)
{
	struct sio_nvme_transport_id d = g_trid;
	struct sio_nvme_ctrlr *dc;
	int found = 0;

	snprintf(d.subnqn, sizeof(d.subnqn), "%s", SIO_NVMF_DISCOVERY_NQN);
	assert_int_equal(sio_nvme_ctrlr_connect_blocking(&d, &g_opts, &dc), 0);
	assert_true(sio_nvme_ctrlr_is_discovery(dc));
	assert_int_equal(sio_nvme_ctrlr_get_discovery_log(dc, disc_cb, &found), 0);
	{
		uint64_t end = now_ms() + 20000;

		while (found == 0 && now_ms() < end)
			sio_thread_poll(sio_thread_get_current(), 0);
	}
	assert_int_equal(found, 1);
	assert_int_equal(sio_nvme_ctrlr_alloc_io_qpair(dc, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sio_nvme_ctrlr_detach_blocking(dc), 0);
}

/* Reset with I/O in flight and I/O submitted during the reset. */
static void test_reset(void **state)
{
	enum { N = 16 };
	struct io_rec recs[N];
	uint8_t *buf = malloc((size_t)N * g_ss), *rd = malloc((size_t)N * g_ss);
	int reset = 0;

	fill(buf, (size_t)N * g_ss, 11);
	memset(recs, 0, sizeof(recs));
	for (int i = 0; i < N / 2; i++)
		assert_int_equal(sio_nvme_ns_write(g_ns, g_qp, buf + (size_t)i * g_ss, 3700 + i, 1, 0,
						   io_cb, &recs[i]), 0);
	assert_int_equal(sio_nvme_ctrlr_reset(g_ctrlr, reset_cb, &reset), 0);
	assert_int_equal(sio_nvme_ctrlr_reset(g_ctrlr, reset_cb, &reset), -EBUSY);
	for (int i = N / 2; i < N; i++)
		assert_int_equal(sio_nvme_ns_write(g_ns, g_qp, buf + (size_t)i * g_ss, 3700 + i, 1, 0,
						   io_cb, &recs[i]), 0);
	wait_recs(recs, N, &reset);
	assert_int_equal(reset, 1);
	for (int i = 0; i < N; i++) {
		assert_int_equal(recs[i].calls, 1);
		/* Those on the wire when the queue pair went down were cut off
		 * (the queue pair learns of the reset by message, so that may
		 * include some submitted after the reset call); each completed
		 * once, with the host-side status. */
		if (recs[i].rc != 0) {
			assert_int_equal(recs[i].rc, -ECONNRESET);
			assert_int_equal(recs[i].cpl.status.sct, SIO_NVME_SCT_PATH);
		}
	}
	/* Everything works after the reset; rewrite and check the whole range. */
	{
		struct io_rec r;

		RUN_IO(r, sio_nvme_ns_write(g_ns, g_qp, buf, 3700, N, 0, io_cb, &r));
		assert_int_equal(r.rc, 0);
		RUN_IO(r, sio_nvme_ns_read(g_ns, g_qp, rd, 3700, N, 0, io_cb, &r));
		assert_int_equal(r.rc, 0);
		assert_memory_equal(buf, rd, (size_t)N * g_ss);
	}
	free(buf);
	free(rd);
}

static void test_detach(void **state)
{
	assert_int_equal(sio_nvme_ctrlr_detach_blocking(g_ctrlr), -EBUSY); /* a qpair remains */
	assert_int_equal(sio_nvme_qpair_free(g_qp), 0);
	assert_int_equal(sio_nvme_ctrlr_detach_blocking(g_ctrlr), 0);
	g_ctrlr = NULL;
}


/*
 * --stall=PREFIX: the target stops answering (the calling script SIGSTOPs
 * it when PREFIX.ready appears and touches PREFIX.stopped). Commands in
 * flight must complete exactly once with the driver's timeout or path
 * error, the controller must be failed, and a reset once the target runs
 * again (PREFIX.resumed) must bring everything back.
 */
static bool file_exists(const char *prefix, const char *ext)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", prefix, ext);
	f = fopen(path, "r");
	if (f != NULL)
		fclose(f);
	return f != NULL;
}

static void touch(const char *prefix, const char *ext)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", prefix, ext);
	f = fopen(path, "w");
	if (f != NULL)
		fclose(f);
}

#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "stall test: %s failed at line %d\n", #c, __LINE__); \
			return 1;                                                  \
		}                                                                  \
	} while (0)

static int stall_test(const char *prefix)
{
	enum { N = 8 };
	struct io_rec recs[N], r;
	uint8_t *buf = calloc(N, 4096);
	int reset = 0, done, rc;
	uint64_t t0, t1;

	g_opts.command_timeout_ms = 1000;
	g_opts.connect_timeout_ms = 2000;
	CHECK(sio_nvme_ctrlr_connect_blocking(&g_trid, &g_opts, &g_ctrlr) == 0);
	CHECK(sio_nvme_ctrlr_alloc_io_qpair_blocking(g_ctrlr, NULL, &g_qp) == 0);
	g_ns = sio_nvme_ctrlr_get_ns(g_ctrlr, sio_nvme_ctrlr_get_first_active_ns(g_ctrlr));
	g_ss = sio_nvme_ns_get_sector_size(g_ns);
	memset(&r, 0, sizeof(r));
	CHECK(sio_nvme_ns_write(g_ns, g_qp, buf, 0, 1, 0, io_cb, &r) == 0);
	CHECK(poll_until(&r.calls, 1) && r.rc == 0);
	touch(prefix, "ready");
	for (uint64_t end = now_ms() + 20000; !file_exists(prefix, "stopped") && now_ms() < end;)
		sio_thread_poll(sio_thread_get_current(), 0);
	CHECK(file_exists(prefix, "stopped"));
	memset(recs, 0, sizeof(recs));
	t0 = now_ms();
	for (int i = 0; i < N; i++)
		CHECK(sio_nvme_ns_read(g_ns, g_qp, buf + (size_t)i * g_ss, i, 1, 0, io_cb, &recs[i]) == 0);
	for (uint64_t end = now_ms() + 15000; now_ms() < end;) {
		sio_thread_poll(sio_thread_get_current(), 0);
		done = 0;
		for (int i = 0; i < N; i++)
			done += recs[i].calls;
		if (done == N)
			break;
	}
	t1 = now_ms();
	/* A little longer: nothing may complete twice. */
	for (uint64_t end = now_ms() + 500; now_ms() < end;)
		sio_thread_poll(sio_thread_get_current(), 0);
	for (int i = 0; i < N; i++) {
		CHECK(recs[i].calls == 1);
		CHECK(recs[i].rc == -ETIMEDOUT || recs[i].rc == -ECONNRESET);
		CHECK(recs[i].cpl.status.sct == SIO_NVME_SCT_PATH);
	}
	printf("# %d reads against a stopped target completed (timeout/abort path) in %lu ms, rc %d\n", N,
	       (unsigned long)(t1 - t0), recs[0].rc);
	CHECK(t1 - t0 >= 1000); /* not before the timeout */
	/* The driver's own reset attempt fails while the target is stopped. */
	for (uint64_t end = now_ms() + 15000; !sio_nvme_ctrlr_is_failed(g_ctrlr) && now_ms() < end;)
		sio_thread_poll(sio_thread_get_current(), 0);
	CHECK(sio_nvme_ctrlr_is_failed(g_ctrlr));
	/* The queue pair hears of the failed reset by message: then it refuses. */
	for (uint64_t end = now_ms() + 200; now_ms() < end;)
		sio_thread_poll(sio_thread_get_current(), 0);
	memset(&r, 0, sizeof(r));
	rc = sio_nvme_ns_read(g_ns, g_qp, buf, 0, 1, 0, io_cb, &r);
	if (rc == 0)
		poll_until(&r.calls, 1); /* never leave a callback pointing at this frame */
	CHECK(rc == -ENXIO);
	touch(prefix, "done");
	for (uint64_t end = now_ms() + 20000; !file_exists(prefix, "resumed") && now_ms() < end;)
		sio_thread_poll(sio_thread_get_current(), 0);
	CHECK(file_exists(prefix, "resumed"));
	rc = sio_nvme_ctrlr_reset(g_ctrlr, reset_cb, &reset);
	CHECK(rc == 0);
	CHECK(poll_until(&reset, 1) && reset == 1);
	memset(&r, 0, sizeof(r));
	CHECK(sio_nvme_ns_read(g_ns, g_qp, buf, 0, 1, 0, io_cb, &r) == 0);
	CHECK(poll_until(&r.calls, 1) && r.rc == 0);
	printf("# reset after the target resumed: I/O works again\n");
	CHECK(sio_nvme_qpair_free(g_qp) == 0);
	g_qp = NULL;
	CHECK(sio_nvme_ctrlr_detach_blocking(g_ctrlr) == 0);
	g_ctrlr = NULL;
	free(buf);
	return 0;
}

/*
 * --events=PREFIX, with a script changing the target (tests/vm): namespace 2
 * disabled (PREFIX.nsgone): an async event, the namespace list refreshed,
 * namespace 2 inactive; the target's port removed (PREFIX.portgone): the
 * controller fails; the port back (PREFIX.portback): a reset reconnects and
 * I/O works.
 */
static int g_events[8];

static void event_cb(void *arg, struct sio_nvme_ctrlr *ctrlr, enum sio_nvme_ctrlr_event ev,
		     const struct sio_nvme_cpl *cpl)
{
	if ((unsigned)ev < 8)
		g_events[ev]++;
}

static bool wait_file(const char *prefix, const char *ext, int secs)
{
	for (uint64_t end = now_ms() + (uint64_t)secs * 1000; now_ms() < end;) {
		if (file_exists(prefix, ext))
			return true;
		sio_thread_poll(sio_thread_get_current(), 0);
	}
	return false;
}

static int events_test(const char *prefix)
{
	struct io_rec r;
	uint8_t *buf = calloc(1, 4096);
	int reset = 0;

	g_opts.keep_alive_timeout_ms = 2000;
	g_opts.command_timeout_ms = 3000;
	g_opts.connect_timeout_ms = 3000;
	CHECK(sio_nvme_ctrlr_connect_blocking(&g_trid, &g_opts, &g_ctrlr) == 0);
	CHECK(sio_nvme_ctrlr_set_event_cb(g_ctrlr, event_cb, NULL) == 0);
	CHECK(sio_nvme_ns_is_active(sio_nvme_ctrlr_get_ns(g_ctrlr, 2)));
	CHECK(sio_nvme_ctrlr_alloc_io_qpair_blocking(g_ctrlr, NULL, &g_qp) == 0);
	g_ns = sio_nvme_ctrlr_get_ns(g_ctrlr, 1);
	touch(prefix, "ready");
	CHECK(wait_file(prefix, "nsgone", 60));
	for (uint64_t end = now_ms() + 20000; now_ms() < end &&
	     sio_nvme_ns_is_active(sio_nvme_ctrlr_get_ns(g_ctrlr, 2));)
		sio_thread_poll(sio_thread_get_current(), 0);
	CHECK(!sio_nvme_ns_is_active(sio_nvme_ctrlr_get_ns(g_ctrlr, 2)));
	CHECK(g_events[SIO_NVME_CTRLR_EVENT_AER] >= 1 && g_events[SIO_NVME_CTRLR_EVENT_NS_CHANGED] >= 1);
	CHECK(sio_nvme_ns_is_active(g_ns));
	printf("# namespace 2 disabled on the target: AER, list refreshed, ns 2 inactive\n");
	touch(prefix, "nsok");
	CHECK(wait_file(prefix, "portgone", 60));
	for (uint64_t end = now_ms() + 30000; now_ms() < end && !sio_nvme_ctrlr_is_failed(g_ctrlr);)
		sio_thread_poll(sio_thread_get_current(), 0);
	CHECK(sio_nvme_ctrlr_is_failed(g_ctrlr));
	CHECK(g_events[SIO_NVME_CTRLR_EVENT_FAILED] >= 1);
	printf("# port removed on the target: controller failed\n");
	touch(prefix, "failok");
	CHECK(wait_file(prefix, "portback", 60));
	for (uint64_t end = now_ms() + 30000; now_ms() < end && reset != 1;) {
		reset = 0;
		if (sio_nvme_ctrlr_reset(g_ctrlr, reset_cb, &reset) != 0)
			break;
		poll_until(&reset, 1);
	}
	CHECK(reset == 1);
	memset(&r, 0, sizeof(r));
	CHECK(sio_nvme_ns_write(g_ns, g_qp, buf, 0, 1, 0, io_cb, &r) == 0);
	CHECK(poll_until(&r.calls, 1) && r.rc == 0);
	printf("# port back: reset reconnected, I/O works\n");
	CHECK(sio_nvme_qpair_free(g_qp) == 0);
	g_qp = NULL;
	CHECK(sio_nvme_ctrlr_detach_blocking(g_ctrlr) == 0);
	g_ctrlr = NULL;
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_rw_verified),
		cmocka_unit_test(test_vectored),
		cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_admin),
		cmocka_unit_test(test_queue_depth),
		cmocka_unit_test(test_await),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_detach),
	};
	const char *trid = getenv("SIO_NVME_TEST_TRID");
	char err[256];
	struct sio_thread *t;
	const struct CMUnitTest tls_tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_rw_verified),
		cmocka_unit_test(test_vectored),
		cmocka_unit_test(test_queue_depth),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_detach),
	};
	const char *stall = NULL, *events = NULL, *psk = NULL;
	struct sio_key *key = NULL;
	int rc;

	sio_nvme_ctrlr_opts_init(&g_opts, sizeof(g_opts));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--digest") == 0) {
			g_opts.header_digest = true;
			g_opts.data_digest = true;
		} else if (strcmp(argv[i], "--sq-flow") == 0) {
			g_opts.disable_sq_flow = false;
		} else if (strncmp(argv[i], "--events=", 9) == 0) {
			events = argv[i] + 9;
		} else if (strncmp(argv[i], "--stall=", 8) == 0) {
			stall = argv[i] + 8;
		} else if (strncmp(argv[i], "--min-ns=", 9) == 0) {
			g_min_ns = atoi(argv[i] + 9);
		} else if (strncmp(argv[i], "--psk=", 6) == 0) {
			psk = argv[i] + 6;
		} else {
			trid = argv[i];
		}
	}
	if (trid == NULL) {
		printf("SKIP: no target: pass a transport ID (tests/vm runs this against the kernel's nvmet-tcp)\n");
		return 77;
	}
	if (sio_nvme_transport_id_parse(&g_trid, trid, err, sizeof(err)) != 0) {
		fprintf(stderr, "bad transport ID: %s\n", err);
		return 2;
	}
	if (g_trid.hostnqn[0] != '\0')
		snprintf(g_opts.hostnqn, sizeof(g_opts.hostnqn), "%s", g_trid.hostnqn);
	if (psk != NULL) {
		if (sio_keyring_file_add_key("host_test_psk", psk, err, sizeof(err)) != 0) {
			fprintf(stderr, "--psk: %s\n", err);
			return 2;
		}
		key = sio_keyring_get_key("host_test_psk");
		g_opts.tls_psk = key;
	}
	t = sio_thread_attach("nvme_host_test");
	if (t == NULL)
		return 2;
	rc = stall != NULL ? stall_test(stall) : events != NULL ? events_test(events) :
	     psk != NULL ? cmocka_run_group_tests_name("tls", tls_tests, NULL, NULL) :
	     cmocka_run_group_tests(tests, NULL, NULL);
	if (host_test_fini(t, g_ctrlr, g_qp) != 0)
		return 1;
	sio_key_put(key);
	sio_keyring_remove_all();
	return rc;
}
