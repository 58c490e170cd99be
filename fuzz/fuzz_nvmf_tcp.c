/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe-oF target's receive path and command dispatch from random bytes,
 * over a real loopback connection to a target on this thread (malloc
 * namespace, TCP transport).
 *
 * Input: byte 0 picks a preamble, the rest is sent as is.
 *   preamble & 3 == 0: nothing (raw bytes from the first PDU on);
 *              == 1: a valid ICReq first;
 *              == 2: ICReq + admin Connect + CC.EN = 1 (admin dispatch);
 *              == 3: as 2 plus an I/O queue Connect on a second connection
 *                    that then takes the bytes (I/O dispatch).
 *   preamble & 4: digests on in the ICReq.
 * Properties: no crash, no sanitizer report, the target stays usable (a
 * fresh connection still gets an ICResp) and every connection it accepted
 * is gone once the host side closed (nothing leaks: ASan's leak check at
 * exit sees the target destroyed).
 */
#include <errno.h>
#include <string.h>

#include "../tests/nvmf/tcp_host.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/log.h"
#include "spdk_io/nvmf.h"

#include "fuzz.h"

int bdev_modules_init(void);
void bdev_modules_fini(void);

#define NQN "nqn.2016-06.io.spdk:fuzz"
#define HOSTNQN "nqn.2016-06.io.spdk:fuzzhost"

static struct sio_thread *g_thread;
static struct sio_nvmf_tgt *g_tgt;
static int g_port;

static void done_cb(void *arg, int rc)
{
	*(int *)arg = rc == 0 ? 1 : rc;
}

static void teardown(void)
{
	int done = 0;

	if (g_tgt == NULL)
		return;
	sio_nvmf_tgt_destroy(g_tgt, done_cb, &done);
	for (int i = 0; i < 100000 && done == 0; i++)
		sio_thread_poll(g_thread, 0);
	bdev_modules_fini();
	for (int i = 0; i < 100; i++)
		sio_thread_poll(g_thread, 0);
	g_tgt = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sio_bdev_malloc_opts mo;
	struct sio_nvmf_subsystem_opts so;
	struct sio_nvmf_subsystem *ss;
	struct sio_nvmf_listen_addr la = {.trtype = "TCP", .traddr = "127.0.0.1", .trsvcid = "0"};
	struct sio_bdev *b;
	int done = 0;

	sio_log_set_level(SIO_LOG_DISABLED);
	g_thread = sio_thread_attach("fuzz_nvmf");
	if (g_thread == NULL || bdev_modules_init() != 0)
		abort();
	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "FuzzMalloc";
	mo.num_blocks = 256;
	if (sio_bdev_malloc_create(&mo, &b) != 0 || sio_nvmf_tgt_create(NULL, &g_tgt) != 0 ||
	    sio_nvmf_tgt_add_transport(g_tgt, "TCP", NULL, NULL) != 0)
		abort();
	sio_nvmf_subsystem_opts_init(&so, sizeof(so));
	so.allow_any_host = true;
	if (sio_nvmf_subsystem_create(g_tgt, NQN, &so, &ss) != 0 ||
	    sio_nvmf_subsystem_add_ns(ss, "FuzzMalloc", NULL, NULL) != 0 ||
	    sio_nvmf_subsystem_add_listener(ss, &la) != 0 ||
	    sio_nvmf_subsystem_start(ss, done_cb, &done) != 0)
		abort();
	for (int i = 0; i < 100000 && done == 0; i++)
		sio_thread_poll(g_thread, 0);
	g_port = sio_nvmf_subsystem_listener_port(ss, &la);
	if (done != 1 || g_port <= 0)
		abort();
	atexit(teardown);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct th adm, io, probe;
	struct th *h = &adm;
	uint8_t mode;
	bool digests;

	if (size < 1)
		return 0;
	mode = data[0];
	digests = mode & 4;
	data++;
	size--;
	if ((mode & 3) == 0) {
		FUZZ_CHECK(th_open(&adm, g_port, g_thread) == 0, "connect");
	} else if ((mode & 3) == 1) {
		FUZZ_CHECK(th_open(&adm, g_port, g_thread) == 0, "connect");
		FUZZ_CHECK(th_icreq(&adm, digests, digests) == 0, "icreq");
	} else {
		int cntlid = th_admin_up(&adm, g_port, g_thread, NQN, HOSTNQN, digests);

		FUZZ_CHECK(cntlid > 0, "admin up: %d", cntlid);
		if ((mode & 3) == 3) {
			struct sio_nvme_cmd cmd;
			struct sio_nvme_cpl cpl;

			memset(&cmd, 0, sizeof(cmd));
			cmd.opc = SIO_NVME_OPC_SET_FEATURES;
			cmd.cdw10 = SIO_NVME_FEAT_NUMBER_OF_QUEUES;
			cmd.cdw11 = 0x00010001;
			FUZZ_CHECK(th_cmd(&adm, &cmd, NULL, 0, false, NULL, 0, &cpl) == 0, "queues");
			FUZZ_CHECK(th_open(&io, g_port, g_thread) == 0, "connect io");
			FUZZ_CHECK(th_icreq(&io, digests, digests) == 0, "icreq io");
			FUZZ_CHECK(th_connect(&io, NQN, HOSTNQN, 1, 15, (uint16_t)cntlid, 0, false,
					      &cpl) == 0 && !sio_nvme_cpl_is_error(&cpl), "io connect");
			h = &io;
		}
	}
	if (size > 0)
		th_send_raw(h, data, size);
	/* Let the target chew on it; R2Ts and responses land in the host's codec or kill it. */
	for (int i = 0; i < 20 && !h->closed; i++)
		th_pump(h, 200);
	if (h == &io)
		th_close(&io);
	th_close(&adm);
	/* The target is still there for the next one. */
	FUZZ_CHECK(th_open(&probe, g_port, g_thread) == 0, "connect probe");
	FUZZ_CHECK(th_icreq(&probe, false, false) == 0, "the target answers an ICReq");
	th_close(&probe);
	for (int i = 0; i < 50; i++)
		sio_thread_poll(g_thread, 0);
	return 0;
}
