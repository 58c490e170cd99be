/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe-oF target over real loopback TCP, driven by a small host built on
 * the PDU codec (tcp_host.c). The target runs on the test's own sio_thread
 * (one poll group); the host polls it while it waits. Covers: ICReq/ICResp,
 * Connect (admin and I/O, unknown subsystem, host not allowed), properties
 * and CC.EN/shutdown, commands on a disabled controller, Identify,
 * features, log pages, discovery, keep-alive expiry, namespace-removal AER,
 * reads/writes of every size class with and without digests (in-capsule,
 * R2T, C2H SUCCESS), compare, write zeroes, deallocate, flush, status
 * mapping, malformed PDUs, queue overrun, a client that goes away in the
 * middle of an R2T (nothing leaks, the bdev keeps its old data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "../common/ut_thread.h"
#include "tcp_host.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/nvme.h"
#include "spdk_io/nvmf.h"

int bdev_modules_init(void);
void bdev_modules_fini(void);

#define NQN "nqn.2016-06.io.spdk:cnode1"
#define NQN_LOCKED "nqn.2016-06.io.spdk:locked"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define BS 512u
#define NBLOCKS 16384u

static struct sio_thread *g_thread;
static struct sio_nvmf_tgt *g_tgt;
static struct sio_nvmf_subsystem *g_ss;
static int g_port;
static int g_locked_port; /* the locked subsystem's own listener */

static void poll_n(int n)
{
	for (int i = 0; i < n; i++)
		sio_thread_poll(g_thread, 0);
}

static void done_cb(void *arg, int rc)
{
	int *p = arg;

	*p = rc == 0 ? 1 : rc;
}

static int wait_done(int *flag)
{
	for (int i = 0; i < 100000 && *flag == 0; i++)
		sio_thread_poll(g_thread, 0);
	return *flag;
}

static int group_setup(void **state)
{
	struct sio_bdev_malloc_opts mo;
	struct sio_nvmf_subsystem_opts so;
	struct sio_nvmf_transport_opts to;
	struct sio_nvmf_listen_addr la = {.trtype = "TCP", .adrfam = "IPv4",
					  .traddr = "127.0.0.1", .trsvcid = "0"};
	struct sio_bdev *b;
	int done = 0;

	g_thread = sio_thread_attach("nvmf_tcp_ut");
	if (g_thread == NULL || bdev_modules_init() != 0)
		return -1;
	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "Malloc0";
	mo.block_size = BS;
	mo.num_blocks = NBLOCKS;
	if (sio_bdev_malloc_create(&mo, &b) != 0)
		return -1;
	mo.name = "Malloc1";
	mo.block_size = 4096;
	mo.num_blocks = 256;
	if (sio_bdev_malloc_create(&mo, &b) != 0)
		return -1;
	if (sio_nvmf_tgt_create(NULL, &g_tgt) != 0)
		return -1;
	sio_nvmf_transport_opts_init("TCP", &to, sizeof(to));
	to.max_queue_depth = 32;
	to.in_capsule_data_size = 4096;
	to.max_io_size = 131072;
	/*
	 * A small buffer pool (16 large buffers of 128 KiB, 256 chunks of 8 KiB):
	 * test_parallel_queues' 32 commands of 128 KiB then take the large
	 * buffers and, once those are gone, chunks. Not fewer: a command that
	 * waits for buffers holds up the test's host, which answers the R2Ts of
	 * one queue at a time (a queue whose commands took the freed buffers
	 * waits for H2C data while the host waits for the other queue).
	 */
	to.num_shared_buffers = 16;
	if (sio_nvmf_tgt_add_transport(g_tgt, "TCP", &to, NULL) != 0)
		return -1;
	sio_nvmf_subsystem_opts_init(&so, sizeof(so));
	so.serial_number = "SPDKIO0001";
	so.model_number = "spdk-io test ctrl";
	so.allow_any_host = true;
	so.max_namespaces = 8;
	if (sio_nvmf_subsystem_create(g_tgt, NQN, &so, &g_ss) != 0)
		return -1;
	if (sio_nvmf_subsystem_add_ns(g_ss, "Malloc0", NULL, NULL) != 0 ||
	    sio_nvmf_subsystem_add_ns(g_ss, "Malloc1", NULL, NULL) != 0)
		return -1;
	if (sio_nvmf_subsystem_add_listener(g_ss, &la) != 0)
		return -1;
	g_port = sio_nvmf_subsystem_listener_port(g_ss, &la);
	if (g_port <= 0)
		return -1;
	if (sio_nvmf_subsystem_start(g_ss, done_cb, &done) != 0 || wait_done(&done) != 1)
		return -1;
	/* A second subsystem that only one host may use, on a listener of its own. */
	so.allow_any_host = false;
	so.max_namespaces = 0;
	{
		struct sio_nvmf_subsystem *locked;

		done = 0;
		if (sio_nvmf_subsystem_create(g_tgt, NQN_LOCKED, &so, &locked) != 0 ||
		    sio_nvmf_subsystem_add_host(locked, "nqn.2016-06.io.spdk:friend") != 0 ||
		    sio_nvmf_subsystem_add_listener(locked, &la) != 0 /* port 0: a new one */)
			return -1;
		g_locked_port = sio_nvmf_subsystem_listener_port(locked, &la);
		if (g_locked_port <= 0 || g_locked_port == g_port)
			return -1;
		if (sio_nvmf_subsystem_start(locked, done_cb, &done) != 0 || wait_done(&done) != 1)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	int done = 0;

	if (sio_nvmf_tgt_destroy(g_tgt, done_cb, &done) != 0 || wait_done(&done) != 1)
		return -1;
	bdev_modules_fini();
	poll_n(100);
	ut_thread_exit(g_thread);
	return 0;
}

/* ------------------------------------------------------------------------ */

static void admin(struct th *h, bool digests)
{
	int cntlid = th_admin_up(h, g_port, g_thread, NQN, HOSTNQN, digests);

	assert_true(cntlid > 0);
}

static struct sio_nvme_cpl admin_cmd(struct th *h, uint8_t opc, uint32_t nsid, uint32_t cdw10,
				     uint32_t cdw11, void *rbuf, uint32_t rlen)
{
	struct sio_nvme_cmd cmd;
	struct sio_nvme_cpl cpl;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = opc;
	cmd.nsid = nsid;
	cmd.cdw10 = cdw10;
	cmd.cdw11 = cdw11;
	assert_int_equal(th_cmd(h, &cmd, NULL, 0, false, rbuf, rlen, &cpl), 0);
	return cpl;
}

static void test_connect_and_properties(void **state)
{
	struct th h;
	struct sio_nvme_cpl cpl;
	union sio_nvme_cap_register cap;
	uint64_t v;
	uint8_t buf[4096];

	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	/* A command before Connect: sequence error. */
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, SIO_NVME_CNS_CTRLR, 0, buf, sizeof(buf));
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
	assert_int_equal(th_connect(&h, NQN, HOSTNQN, 0, 31, 0xffff, 0, false, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_int_not_equal(cpl.cdw0 & 0xffff, 0);
	assert_int_equal(th_prop_get(&h, SIO_NVME_REG_CAP, true, &v, &cpl), 0);
	cap.raw = v;
	assert_int_equal(cap.bits.mqes, 31);
	assert_int_equal(cap.bits.css & SIO_NVME_CAP_CSS_NVM, SIO_NVME_CAP_CSS_NVM);
	assert_int_equal(th_prop_get(&h, SIO_NVME_REG_VS, false, &v, &cpl), 0);
	assert_int_equal(v, SIO_NVME_VERSION(1, 3, 0));
	/* Disabled controller: admin commands other than Fabrics are refused. */
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, SIO_NVME_CNS_CTRLR, 0, buf, sizeof(buf));
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR);
	assert_int_equal(th_prop_set(&h, SIO_NVME_REG_CC, 1 | 6u << 16 | 4u << 20, &cpl), 0);
	assert_int_equal(th_prop_get(&h, SIO_NVME_REG_CSTS, false, &v, &cpl), 0);
	assert_int_equal(v & 1, 1);
	/* Property of the wrong size, unknown offset. */
	assert_int_equal(th_prop_get(&h, SIO_NVME_REG_CAP, false, &v, &cpl), 0);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_FIELD);
	assert_int_equal(th_prop_get(&h, 0x500, false, &v, &cpl), 0);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_FIELD);
	/* Unknown admin opcode. */
	cpl = admin_cmd(&h, 0xc5, 0, 0, 0, NULL, 0);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_OPCODE);
	/* Normal shutdown completes at once. */
	assert_int_equal(th_prop_set(&h, SIO_NVME_REG_CC, 1 | 1u << 14 | 6u << 16 | 4u << 20,
				     &cpl), 0);
	assert_int_equal(th_prop_get(&h, SIO_NVME_REG_CSTS, false, &v, &cpl), 0);
	assert_int_equal((v >> 2) & 3, 2);
	th_close(&h);
	poll_n(50);
}

static void test_identify(void **state)
{
	struct th h;
	struct sio_nvme_cpl cpl;
	static union {
		struct sio_nvme_ctrlr_data cd;
		struct sio_nvme_ns_data nd;
		struct sio_nvme_ns_list list;
		uint8_t raw[4096];
	} page;
	struct sio_bdev *b = sio_bdev_get_by_name("Malloc0");
	uint8_t uuid[16];
	const char *u = sio_bdev_get_uuid(b);

	admin(&h, false);
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, SIO_NVME_CNS_CTRLR, 0, &page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_memory_equal(page.cd.sn, "SPDKIO0001          ", 20);
	assert_memory_equal(page.cd.mn, "spdk-io test ctrl", 17);
	assert_string_equal(page.cd.subnqn, NQN);
	assert_int_equal(page.cd.mdts, 5); /* 128 KiB / 4 KiB */
	assert_int_equal(page.cd.nn, 8);
	assert_int_equal(page.cd.ioccsz, (64 + 4096) / 16);
	assert_int_equal(page.cd.cntrltype, SIO_NVME_CNTRLTYPE_IO);
	assert_true(page.cd.sgls & SIO_NVME_SGLS_SUPPORTED);

	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 1, SIO_NVME_CNS_NS, 0, &page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_int_equal(page.nd.nsze, NBLOCKS);
	assert_int_equal(page.nd.lbaf[0].lbads, 9);
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 2, SIO_NVME_CNS_NS, 0, &page, 4096);
	assert_int_equal(page.nd.lbaf[0].lbads, 12);
	/* Inactive NSID: zeroes; beyond NN: invalid namespace. */
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 5, SIO_NVME_CNS_NS, 0, &page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_int_equal(page.nd.nsze, 0);
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 9, SIO_NVME_CNS_NS, 0, &page, 4096);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);

	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, SIO_NVME_CNS_ACTIVE_NS_LIST, 0, &page, 4096);
	assert_int_equal(page.list.ns_list[0], 1);
	assert_int_equal(page.list.ns_list[1], 2);
	assert_int_equal(page.list.ns_list[2], 0);
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 1, SIO_NVME_CNS_ACTIVE_NS_LIST, 0, &page, 4096);
	assert_int_equal(page.list.ns_list[0], 2);

	/* Descriptors: NGUID, UUID (the bdev's), CSI. */
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 1, SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST, 0, &page,
			4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	for (int i = 0, k = 0; i < 36; i++) {
		if (u[i] == '-')
			continue;
		sscanf(u + i, "%2hhx", &uuid[k++]);
		i++;
	}
	assert_int_equal(page.raw[0], SIO_NVME_NIDT_NGUID);
	assert_int_equal(page.raw[20], SIO_NVME_NIDT_UUID);
	assert_memory_equal(&page.raw[24], uuid, 16);
	assert_int_equal(page.raw[40], SIO_NVME_NIDT_CSI);

	/* NVM command set specific structures a current Linux host reads. */
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, SIO_NVME_CNS_IOCS_CTRLR, 0, &page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 1, SIO_NVME_CNS_IOCS_NS, 0, &page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, 0x42, 0, &page, 4096);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_FIELD);
	th_close(&h);
	poll_n(50);
}

static void test_features_logs(void **state)
{
	struct th h;
	struct sio_nvme_cpl cpl;
	static uint8_t page[4096];

	admin(&h, false);
	cpl = admin_cmd(&h, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_NUMBER_OF_QUEUES,
			0x00ff00ff, NULL, 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	/* 128 qpairs per controller: 127 I/O queues at most, 0's based 126. */
	assert_int_equal(cpl.cdw0, 126u | 126u << 16);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_FEATURES, 0, SIO_NVME_FEAT_NUMBER_OF_QUEUES, 0,
			NULL, 0);
	assert_int_equal(cpl.cdw0, 126u | 126u << 16);
	cpl = admin_cmd(&h, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_KEEP_ALIVE_TIMER, 15000,
			NULL, 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_FEATURES, 0, SIO_NVME_FEAT_KEEP_ALIVE_TIMER, 0,
			NULL, 0);
	assert_int_equal(cpl.cdw0, 15000);
	cpl = admin_cmd(&h, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_VOLATILE_WRITE_CACHE, 0,
			NULL, 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_FEATURES, 0, SIO_NVME_FEAT_TEMPERATURE_THRESHOLD, 0,
			NULL, 0);
	assert_int_equal(cpl.cdw0, 0x157);
	cpl = admin_cmd(&h, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_ARBITRATION | 1u << 31, 0,
			NULL, 0);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_FEATURE_ID_NOT_SAVEABLE);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_FEATURES, 0, 0x77, 0, NULL, 0);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_FIELD);
	cpl = admin_cmd(&h, SIO_NVME_OPC_KEEP_ALIVE, 0, 0, 0, NULL, 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = admin_cmd(&h, SIO_NVME_OPC_ABORT, 0, 0, 0, NULL, 0);
	assert_int_equal(cpl.cdw0 & 1, 1);

	/* Log pages: SMART (512 bytes: NUMDL 127), firmware, effects, error, an unknown one. */
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, SIO_NVME_NSID_ALL,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_HEALTH_INFORMATION, 0, 0, 127), 0, page,
			512);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_int_equal(((struct sio_nvme_health_information_page *)page)->available_spare, 100);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_FIRMWARE_SLOT, 0, 0, 127), 0, page, 512);
	assert_int_equal(page[0], 1);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_COMMAND_EFFECTS, 0, 0, 1023), 0, page,
			4096);
	assert_int_equal(((struct sio_nvme_cmds_and_effect_log_page *)page)
				 ->io_cmds_supported[SIO_NVME_OPC_WRITE] & 3, 3);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_ERROR, 0, 0, 15), 0, page, 64);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0, SIO_NVME_GET_LOG_CDW10(0x33, 0, 0, 15), 0,
			page, 64);
	assert_int_equal(cpl.status.sct, SIO_NVME_SCT_COMMAND_SPECIFIC);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_LOG_PAGE);
	th_close(&h);
	poll_n(50);
}

/* Admin up, Set Features queues, I/O queue 1 connected; returns the I/O host in @io. */
static void io_up(struct th *adm, struct th *io, bool digests, bool sqflow_off)
{
	struct sio_nvme_cpl cpl;
	int cntlid = th_admin_up(adm, g_port, g_thread, NQN, HOSTNQN, digests);

	assert_true(cntlid > 0);
	cpl = admin_cmd(adm, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_NUMBER_OF_QUEUES,
			0x00030003, NULL, 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_int_equal(th_open(io, g_port, g_thread), 0);
	assert_int_equal(th_icreq(io, digests, digests), 0);
	assert_int_equal(th_connect(io, NQN, HOSTNQN, 1, 31, (uint16_t)cntlid, 0, sqflow_off, &cpl),
			 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
}

static struct sio_nvme_cpl rw(struct th *h, uint8_t opc, uint32_t nsid, uint64_t slba,
			      uint32_t nlb, void *buf, uint32_t len, bool in_capsule)
{
	struct sio_nvme_cmd cmd;
	struct sio_nvme_cpl cpl;
	bool write = opc == SIO_NVME_OPC_WRITE || opc == SIO_NVME_OPC_COMPARE;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = opc;
	cmd.nsid = nsid;
	cmd.cdw10 = (uint32_t)slba;
	cmd.cdw11 = (uint32_t)(slba >> 32);
	cmd.cdw12 = nlb - 1;
	assert_int_equal(th_cmd(h, &cmd, write ? buf : NULL, write ? len : 0, in_capsule,
				write ? NULL : buf, write ? 0 : len, &cpl), 0);
	return cpl;
}

static void fill(uint8_t *b, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void io_patterns(bool digests, bool sqflow_off)
{
	struct th adm, io;
	struct sio_nvme_cpl cpl;
	static uint8_t wbuf[131072], rbuf[131072];
	static const uint32_t sizes[] = {512, 4096, 8192, 65536, 131072};

	io_up(&adm, &io, digests, sqflow_off);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t len = sizes[i], nlb = len / BS;
		uint64_t slba = (i * 300) % (NBLOCKS - nlb);

		for (int icd = 0; icd < 2; icd++) {
			fill(wbuf, len, (unsigned int)(i * 2 + icd + (digests ? 10 : 0)));
			cpl = rw(&io, SIO_NVME_OPC_WRITE, 1, slba, nlb, wbuf, len, icd);
			assert_false(sio_nvme_cpl_is_error(&cpl));
			memset(rbuf, 0, len);
			cpl = rw(&io, SIO_NVME_OPC_READ, 1, slba, nlb, rbuf, len, false);
			assert_false(sio_nvme_cpl_is_error(&cpl));
			assert_memory_equal(wbuf, rbuf, len);
			assert_int_equal(io.slots[cpl.cid % TH_SLOTS].c2h_success, sqflow_off);
		}
		/* Compare: equal, then one byte off. */
		cpl = rw(&io, SIO_NVME_OPC_COMPARE, 1, slba, nlb, wbuf, len, true);
		assert_false(sio_nvme_cpl_is_error(&cpl));
		wbuf[len / 2] ^= 0xff;
		cpl = rw(&io, SIO_NVME_OPC_COMPARE, 1, slba, nlb, wbuf, len, true);
		assert_int_equal(cpl.status.sct, SIO_NVME_SCT_MEDIA_ERROR);
		assert_int_equal(cpl.status.sc, SIO_NVME_SC_COMPARE_FAILURE);
	}
	/* 4 KiB namespace. */
	fill(wbuf, 8192, 99);
	cpl = rw(&io, SIO_NVME_OPC_WRITE, 2, 3, 2, wbuf, 8192, false);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = rw(&io, SIO_NVME_OPC_READ, 2, 3, 2, rbuf, 8192, false);
	assert_memory_equal(wbuf, rbuf, 8192);
	th_close(&io);
	th_close(&adm);
	poll_n(100);
}

static void test_io_plain(void **state)
{
	io_patterns(false, false);
}

static void test_io_digests_sqflow_off(void **state)
{
	io_patterns(true, true);
}

static void test_io_errors(void **state)
{
	struct th adm, io;
	struct sio_nvme_cpl cpl;
	struct sio_nvme_cmd cmd;
	static uint8_t buf[8192];
	struct sio_nvme_dsm_range r = {.length = 8, .starting_lba = 16};

	io_up(&adm, &io, false, false);
	/* LBA out of range, invalid namespace, unknown opcode, length mismatch. */
	cpl = rw(&io, SIO_NVME_OPC_READ, 1, NBLOCKS - 1, 2, buf, 1024, false);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_LBA_OUT_OF_RANGE);
	cpl = rw(&io, SIO_NVME_OPC_READ, 7, 0, 1, buf, 512, false);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
	cpl = rw(&io, SIO_NVME_OPC_READ, 1, 0, 2, buf, 512, false);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0x7e;
	cmd.nsid = 1;
	assert_int_equal(th_cmd(&io, &cmd, NULL, 0, false, NULL, 0, &cpl), 0);
	assert_int_equal(cpl.status.sc, SIO_NVME_SC_INVALID_OPCODE);
	/* Larger than MDTS. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_READ;
	cmd.nsid = 1;
	cmd.cdw12 = 511;
	cmd.psdt = SIO_NVME_PSDT_SGL_MPTR_CONTIG;
	{
		static uint8_t big[262144];

		assert_int_equal(th_cmd(&io, &cmd, NULL, 0, false, big, sizeof(big), &cpl), 0);
		assert_int_equal(cpl.status.sc, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	/* Write zeroes, then read zeroes back. */
	fill(buf, 4096, 5);
	cpl = rw(&io, SIO_NVME_OPC_WRITE, 1, 100, 8, buf, 4096, true);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_WRITE_ZEROES;
	cmd.nsid = 1;
	cmd.cdw10 = 100;
	cmd.cdw12 = 7;
	assert_int_equal(th_cmd(&io, &cmd, NULL, 0, false, NULL, 0, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = rw(&io, SIO_NVME_OPC_READ, 1, 100, 8, buf, 4096, false);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	/* Deallocate (malloc zeroes the range) and flush. */
	fill(buf, 8192, 6);
	cpl = rw(&io, SIO_NVME_OPC_WRITE, 1, 16, 8, buf, 4096, true);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_DATASET_MANAGEMENT;
	cmd.nsid = 1;
	cmd.cdw10 = 0;
	cmd.cdw11 = SIO_NVME_DSM_ATTR_DEALLOCATE;
	assert_int_equal(th_cmd(&io, &cmd, &r, sizeof(r), true, NULL, 0, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cpl = rw(&io, SIO_NVME_OPC_READ, 1, 16, 8, buf, 4096, false);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(buf[i], 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_FLUSH;
	cmd.nsid = 1;
	assert_int_equal(th_cmd(&io, &cmd, NULL, 0, false, NULL, 0, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	th_close(&io);
	th_close(&adm);
	poll_n(100);
}

static void test_connect_refused(void **state)
{
	struct th h;
	struct sio_nvme_cpl cpl;

	/* Unknown subsystem: Invalid Parameters pointing at SUBNQN (offset 256 of the data). */
	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	assert_int_equal(th_connect(&h, "nqn.2016-06.io.spdk:nothere", HOSTNQN, 0, 31, 0xffff, 0,
				    false, &cpl), 0);
	assert_int_equal(cpl.status.sct, SIO_NVME_SCT_COMMAND_SPECIFIC);
	assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS);
	assert_int_equal(((union sio_nvmf_connect_rsp_dw0){.raw = cpl.cdw0}).invalid.ipo, 256);
	/* Host not on the list. */
	assert_int_equal(th_connect(&h, NQN_LOCKED, HOSTNQN, 0, 31, 0xffff, 0, false, &cpl), 0);
	assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_HOST);
	/* The host on the list, but through cnode1's listener: not one of the
	 * locked subsystem's, so Invalid Host (SPDK's answer). */
	assert_int_equal(th_connect(&h, NQN_LOCKED, "nqn.2016-06.io.spdk:friend", 0, 31, 0xffff, 0,
				    false, &cpl), 0);
	assert_int_equal(cpl.status.sct, SIO_NVME_SCT_COMMAND_SPECIFIC);
	assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_HOST);
	th_close(&h);
	/* Through its own listener it gets in. */
	assert_int_equal(th_open(&h, g_locked_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	assert_int_equal(th_connect(&h, NQN_LOCKED, "nqn.2016-06.io.spdk:friend", 0, 31, 0xffff, 0,
				    false, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	th_close(&h);
	/* cnode1 through the locked subsystem's listener: refused, admin and I/O queue alike. */
	{
		struct th adm;
		int cntlid = th_admin_up(&adm, g_port, g_thread, NQN, HOSTNQN, false);

		assert_true(cntlid > 0);
		assert_int_equal(th_open(&h, g_locked_port, g_thread), 0);
		assert_int_equal(th_icreq(&h, false, false), 0);
		assert_int_equal(th_connect(&h, NQN, HOSTNQN, 0, 31, 0xffff, 0, false, &cpl), 0);
		assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_HOST);
		assert_int_equal(th_connect(&h, NQN, HOSTNQN, 1, 31, (uint16_t)cntlid, 0, false,
					    &cpl), 0);
		assert_int_equal(cpl.status.sct, SIO_NVME_SCT_COMMAND_SPECIFIC);
		assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_HOST);
		th_close(&h);
		th_close(&adm);
	}
	/* I/O queue for a controller that does not exist; queue too deep. */
	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	assert_int_equal(th_connect(&h, NQN, HOSTNQN, 1, 31, 999, 0, false, &cpl), 0);
	assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS);
	assert_int_equal(th_connect(&h, NQN, HOSTNQN, 0, 500, 0xffff, 0, false, &cpl), 0);
	assert_int_equal(cpl.status.sc, SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS);
	th_close(&h);
	poll_n(100);
}

/* A free loopback port (bound then released: racy only against other binders). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Listeners from SPDK transport ID strings (spdk_io/nvme.h). */
static void test_listener_trid(void **state)
{
	struct sio_nvme_transport_id trid;
	struct sio_nvme_cpl cpl;
	char str[128];
	struct th h;
	int port = free_port();

	snprintf(str, sizeof(str), "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d", port);
	assert_int_equal(sio_nvme_transport_id_parse(&trid, str, NULL, 0), 0);
	assert_int_equal(sio_nvmf_subsystem_add_listener_trid(g_ss, &trid), 0);
	assert_int_equal(sio_nvmf_subsystem_add_listener_trid(g_ss, &trid), -EEXIST);
	assert_int_equal(th_open(&h, port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	assert_int_equal(th_connect(&h, NQN, HOSTNQN, 0, 31, 0xffff, 0, false, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	th_close(&h);
	poll_n(50);
	assert_int_equal(sio_nvmf_subsystem_remove_listener_trid(g_ss, &trid), 0);
	assert_int_equal(sio_nvmf_subsystem_remove_listener_trid(g_ss, &trid), -ENOENT);
	/* Nobody listens there any more. */
	assert_int_not_equal(th_open(&h, port, g_thread), 0);
	memset(&trid, 0, sizeof(trid));
	assert_int_equal(sio_nvmf_subsystem_add_listener_trid(g_ss, &trid), -EINVAL);
}

static void test_discovery(void **state)
{
	struct th h;
	struct sio_nvme_cpl cpl;
	static uint8_t page[4096];
	struct sio_nvmf_discovery_log_page *log = (void *)page;
	int cntlid = th_admin_up(&h, g_port, g_thread, SIO_NVMF_DISCOVERY_NQN, HOSTNQN, false);

	assert_true(cntlid > 0);
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, 0, SIO_NVME_CNS_CTRLR, 0, page, 4096);
	assert_int_equal(((struct sio_nvme_ctrlr_data *)page)->cntrltype,
			 SIO_NVME_CNTRLTYPE_DISCOVERY);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_DISCOVERY, 0, 0, 1023), 0, page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	/* cnode1 only: the locked subsystem does not allow this host. */
	assert_int_equal(log->numrec, 1);
	assert_string_equal(log->entries[0].subnqn, NQN);
	assert_string_equal(log->entries[0].traddr, "127.0.0.1");
	assert_int_equal(atoi(log->entries[0].trsvcid), g_port);
	assert_int_equal(log->entries[0].trtype, SIO_NVMF_TRTYPE_TCP);
	th_close(&h);
	/*
	 * The host the locked subsystem allows, at the discovery service of that
	 * subsystem's listener (discovery answers on every listener): both
	 * subsystems, each at its own listener only, the ones Connect accepts.
	 */
	cntlid = th_admin_up(&h, g_locked_port, g_thread, SIO_NVMF_DISCOVERY_NQN,
			     "nqn.2016-06.io.spdk:friend", false);
	assert_true(cntlid > 0);
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_DISCOVERY, 0, 0, 1023), 0, page, 4096);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_int_equal(log->numrec, 2);
	for (int i = 0; i < 2; i++) {
		bool locked = strcmp(log->entries[i].subnqn, NQN_LOCKED) == 0;

		assert_true(locked || strcmp(log->entries[i].subnqn, NQN) == 0);
		assert_int_equal(atoi(log->entries[i].trsvcid), locked ? g_locked_port : g_port);
	}
	assert_string_not_equal(log->entries[0].subnqn, log->entries[1].subnqn);
	th_close(&h);
	poll_n(100);
}

static void test_malformed_pdus(void **state)
{
	struct th h;
	uint8_t bad[8] = {0x04, 0x00, 0x48, 0x00, 0x10, 0x00, 0x00, 0x00}; /* CapsuleCmd, PLEN 16 */
	bool t = true;

	/* A command before ICReq. */
	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_send_raw(&h, bad, sizeof(bad)), 0);
	th_wait(&h, &t, 300000);
	th_wait(&h, &h.closed, 2000000);
	assert_true(h.closed);
	assert_true(h.term);
	th_close(&h);
	/* After ICReq: a PLEN that does not fit the header. */
	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	assert_int_equal(th_send_raw(&h, bad, sizeof(bad)), 0);
	th_wait(&h, &h.closed, 2000000);
	assert_true(h.term);
	assert_int_equal(h.term_fes, NVME_TCP_FES_INVALID_HEADER_FIELD);
	th_close(&h);
	/* Unknown PDU type. */
	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	bad[0] = 0x0b;
	assert_int_equal(th_send_raw(&h, bad, sizeof(bad)), 0);
	th_wait(&h, &h.closed, 2000000);
	assert_true(h.term);
	th_close(&h);
	poll_n(100);
}

static void test_queue_overrun(void **state)
{
	struct th adm, io;
	struct sio_nvme_cpl cpl;
	int cntlid = th_admin_up(&adm, g_port, g_thread, NQN, HOSTNQN, false);

	assert_true(cntlid > 0);
	cpl = admin_cmd(&adm, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_NUMBER_OF_QUEUES,
			0x00030003, NULL, 0);
	assert_int_equal(th_open(&io, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&io, false, false), 0);
	/* SQSIZE 3: 4 entries. Send many more AERs... on the admin queue instead: flush bursts. */
	assert_int_equal(th_connect(&io, NQN, HOSTNQN, 1, 3, (uint16_t)cntlid, 0, false, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	/* 40 writes at once to a 4-entry queue, without letting the target run in between. */
	{
		static uint8_t buf[4096];
		struct sio_nvme_cmd cmd;
		struct nvme_tcp_pdu pdu;
		struct iovec out[8], d = {.iov_base = buf, .iov_len = 4096};
		static uint8_t wire[40 * (72 + 4096)];
		size_t off = 0;

		for (int i = 0; i < 40; i++) {
			int n;

			memset(&cmd, 0, sizeof(cmd));
			cmd.opc = SIO_NVME_OPC_WRITE;
			cmd.nsid = 1;
			cmd.cid = (uint16_t)(1000 + i);
			cmd.cdw12 = 7;
			cmd.psdt = SIO_NVME_PSDT_SGL_MPTR_CONTIG;
			cmd.dptr.sgl1.unkeyed.length = 4096;
			cmd.dptr.sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_INCAPSULE;
			nvme_tcp_pdu_capsule_cmd_init(&pdu, &cmd);
			n = nvme_tcp_pdu_build(&pdu, &io.params, &d, 1, 4096, out, 8);
			assert_true(n > 0);
			for (int k = 0; k < n; k++) {
				memcpy(wire + off, out[k].iov_base, out[k].iov_len);
				off += out[k].iov_len;
			}
		}
		assert_int_equal(th_send_raw(&io, wire, off), 0);
	}
	th_wait(&io, &io.closed, 3000000);
	assert_true(io.closed);
	assert_true(io.term);
	th_close(&io);
	th_close(&adm);
	poll_n(100);
}

/* The host goes away while the target waits for the data an R2T asked for. */
static void test_disconnect_mid_r2t(void **state)
{
	struct th adm, io;
	struct sio_nvme_cmd cmd;
	struct sio_nvme_cpl cpl;
	static uint8_t before[65536], after[65536], junk[65536];
	bool never = false;

	io_up(&adm, &io, false, false);
	fill(before, sizeof(before), 77);
	cpl = rw(&io, SIO_NVME_OPC_WRITE, 1, 1024, 128, before, sizeof(before), false);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	/* Now a write of other data whose R2T we answer only with the first 8 KiB. */
	memset(junk, 0xee, sizeof(junk));
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_WRITE;
	cmd.nsid = 1;
	cmd.cdw10 = 1024;
	cmd.cdw12 = 127;
	io.maxh2cdata = 8192;
	io.h2c_pdus_left = 1;
	assert_true(th_submit(&io, &cmd, junk, sizeof(junk), false, NULL, 0) > 0);
	th_wait(&io, &never, 200000);
	assert_int_equal(io.slots[cmd.cid % TH_SLOTS].r2t_count, 1);
	th_close(&io);
	th_close(&adm);
	poll_n(2000);
	/* Back through a fresh controller: the bdev never saw the half write. */
	io_up(&adm, &io, false, false);
	cpl = rw(&io, SIO_NVME_OPC_READ, 1, 1024, 128, after, sizeof(after), false);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	assert_memory_equal(before, after, sizeof(after));
	th_close(&io);
	th_close(&adm);
	poll_n(200);
}

/*
 * Two I/O queues, each with many 128 KiB R2T writes and reads in flight at
 * once: more than the pool's large buffers hold (group_setup).
 */
static void test_parallel_queues(void **state)
{
	struct th adm, io[2];
	struct sio_nvme_cpl cpl;
	static uint8_t wbuf[2][16][131072], rbuf[2][16][131072];
	int cids[2][16];
	int cntlid = th_admin_up(&adm, g_port, g_thread, NQN, HOSTNQN, false);

	assert_true(cntlid > 0);
	cpl = admin_cmd(&adm, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_NUMBER_OF_QUEUES,
			0x00030003, NULL, 0);
	for (int q = 0; q < 2; q++) {
		assert_int_equal(th_open(&io[q], g_port, g_thread), 0);
		assert_int_equal(th_icreq(&io[q], false, false), 0);
		assert_int_equal(th_connect(&io[q], NQN, HOSTNQN, (uint16_t)(q + 1), 31,
					    (uint16_t)cntlid, 0, false, &cpl), 0);
		assert_false(sio_nvme_cpl_is_error(&cpl));
	}
	for (int round = 0; round < 3; round++) {
		for (int q = 0; q < 2; q++) {
			for (int i = 0; i < 16; i++) {
				struct sio_nvme_cmd cmd;

				fill(wbuf[q][i], sizeof(wbuf[q][i]), (unsigned int)(round * 100 + q * 16 + i));
				memset(&cmd, 0, sizeof(cmd));
				cmd.opc = SIO_NVME_OPC_WRITE;
				cmd.nsid = 1;
				cmd.cdw10 = (uint32_t)((q * 16 + i) * 256);
				cmd.cdw12 = 255;
				cids[q][i] = th_submit(&io[q], &cmd, wbuf[q][i], 131072, false, NULL, 0);
				assert_true(cids[q][i] > 0);
			}
		}
		for (int q = 0; q < 2; q++)
			for (int i = 0; i < 16; i++) {
				assert_int_equal(th_wait_cpl(&io[q], (uint16_t)cids[q][i], &cpl, 5000000), 0);
				assert_false(sio_nvme_cpl_is_error(&cpl));
			}
		for (int q = 0; q < 2; q++) {
			for (int i = 0; i < 16; i++) {
				struct sio_nvme_cmd cmd;

				memset(&cmd, 0, sizeof(cmd));
				cmd.opc = SIO_NVME_OPC_READ;
				cmd.nsid = 1;
				cmd.cdw10 = (uint32_t)((q * 16 + i) * 256);
				cmd.cdw12 = 255;
				cids[q][i] = th_submit(&io[q], &cmd, NULL, 0, false, rbuf[q][i], 131072);
			}
		}
		for (int q = 0; q < 2; q++)
			for (int i = 0; i < 16; i++) {
				assert_int_equal(th_wait_cpl(&io[q], (uint16_t)cids[q][i], &cpl, 5000000), 0);
				assert_false(sio_nvme_cpl_is_error(&cpl));
			}
	}
	for (int q = 0; q < 2; q++)
		for (int i = 0; i < 16; i++)
			assert_memory_equal(wbuf[q][i], rbuf[q][i], 131072);
	th_close(&io[0]);
	th_close(&io[1]);
	th_close(&adm);
	poll_n(200);
}

static void test_keep_alive_expiry(void **state)
{
	struct th h;
	struct sio_nvme_cpl cpl;
	union sio_nvme_cc_register cc = {.raw = 0};

	assert_int_equal(th_open(&h, g_port, g_thread), 0);
	assert_int_equal(th_icreq(&h, false, false), 0);
	/* KATO 500 ms in Connect, then silence. */
	assert_int_equal(th_connect(&h, NQN, HOSTNQN, 0, 31, 0xffff, 500, false, &cpl), 0);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	cc.bits.en = 1;
	assert_int_equal(th_prop_set(&h, SIO_NVME_REG_CC, cc.raw, &cpl), 0);
	th_wait(&h, &h.closed, 3000000);
	assert_true(h.closed);
	th_close(&h);
	poll_n(100);
}

static void test_ns_removal_aer(void **state)
{
	struct th h;
	struct sio_nvme_cmd cmd;
	struct sio_nvme_cpl cpl;
	static uint8_t page[4096];
	struct sio_bdev_malloc_opts mo;
	struct sio_bdev *b;
	int done = 0, aer_cid;
	uint32_t nsid;

	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "Malloc_aer";
	mo.num_blocks = 64;
	assert_int_equal(sio_bdev_malloc_create(&mo, &b), 0);
	assert_int_equal(sio_nvmf_subsystem_pause(g_ss, done_cb, &done), 0);
	assert_int_equal(wait_done(&done), 1);
	assert_int_equal(sio_nvmf_subsystem_add_ns(g_ss, "Malloc_aer", NULL, &nsid), 0);
	done = 0;
	assert_int_equal(sio_nvmf_subsystem_resume(g_ss, done_cb, &done), 0);
	assert_int_equal(wait_done(&done), 1);

	assert_true(th_admin_up(&h, g_port, g_thread, NQN, HOSTNQN, false) > 0);
	cpl = admin_cmd(&h, SIO_NVME_OPC_SET_FEATURES, 0, SIO_NVME_FEAT_ASYNC_EVENT_CONFIGURATION,
			1u << 8, NULL, 0);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_ASYNC_EVENT_REQUEST;
	aer_cid = th_submit(&h, &cmd, NULL, 0, false, NULL, 0);
	assert_true(aer_cid > 0);
	th_pump(&h, 10000);
	assert_false(h.slots[aer_cid % TH_SLOTS].done);

	done = 0;
	assert_int_equal(sio_nvmf_subsystem_pause(g_ss, done_cb, &done), 0);
	while (done == 0)
		th_pump(&h, 1000);
	assert_int_equal(sio_nvmf_subsystem_remove_ns(g_ss, nsid), 0);
	done = 0;
	assert_int_equal(sio_nvmf_subsystem_resume(g_ss, done_cb, &done), 0);
	while (done == 0)
		th_pump(&h, 1000);
	assert_int_equal(th_wait_cpl(&h, (uint16_t)aer_cid, &cpl, 3000000), 0);
	{
		union sio_nvme_async_event_completion ev = {.raw = cpl.cdw0};

		assert_int_equal(ev.bits.async_event_type, SIO_NVME_ASYNC_EVENT_TYPE_NOTICE);
		assert_int_equal(ev.bits.async_event_info, SIO_NVME_ASYNC_EVENT_NS_ATTR_CHANGED);
		assert_int_equal(ev.bits.log_page_identifier, SIO_NVME_LOG_CHANGED_NS_LIST);
	}
	cpl = admin_cmd(&h, SIO_NVME_OPC_GET_LOG_PAGE, 0,
			SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_CHANGED_NS_LIST, 0, 0, 1023), 0, page,
			4096);
	assert_int_equal(((uint32_t *)page)[0], nsid);
	assert_int_equal(((uint32_t *)page)[1], 0);
	cpl = admin_cmd(&h, SIO_NVME_OPC_IDENTIFY, nsid, SIO_NVME_CNS_NS, 0, page, 4096);
	assert_int_equal(((struct sio_nvme_ns_data *)page)->nsze, 0);
	th_close(&h);
	poll_n(100);
	done = 0;
	assert_int_equal(sio_bdev_malloc_delete("Malloc_aer", done_cb, &done), 0);
	assert_int_equal(wait_done(&done), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_and_properties),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_features_logs),
		cmocka_unit_test(test_io_plain),
		cmocka_unit_test(test_io_digests_sqflow_off),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_listener_trid),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_malformed_pdus),
		cmocka_unit_test(test_queue_overrun),
		cmocka_unit_test(test_disconnect_mid_r2t),
		cmocka_unit_test(test_parallel_queues),
		cmocka_unit_test(test_keep_alive_expiry),
		cmocka_unit_test(test_ns_removal_aer),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
