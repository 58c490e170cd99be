/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_nvmf_tgt: the NVMe/TCP target's cost per I/O. A target on its own
 * OS thread (one poll group, a null bdev) serves 4 KiB reads at QD 32 from a
 * minimal PDU-level client on the main thread (tests/nvmf/tcp_host.c over
 * loopback TCP). Prints IOPS and the I/O count, so that
 *
 *   valgrind --tool=callgrind --separate-threads=yes \
 *     --callgrind-out-file=/tmp/cg.out build/bench/bench_nvmf_tgt -t 3
 *
 * gives the target side's instructions per I/O: the "summary" of the
 * target thread's file (/tmp/cg.out-02) divided by the I/Os printed.
 *
 * usage: bench_nvmf_tgt [-t SECONDS] [-q DEPTH] [-o BYTES] [-d] (digests)
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/nvmf/tcp_host.h"
#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/log.h"
#include "spdk_io/nvmf.h"

int bdev_modules_init(void);
void bdev_modules_fini(void);

#define NQN "nqn.2016-06.io.spdk:bench"
#define HOSTNQN "nqn.2016-06.io.spdk:benchhost"
#define NUM_BLOCKS (1u << 21) /* 1 GiB of 512-byte blocks */

static atomic_int g_port;
static atomic_bool g_stop;

static void done_cb(void *arg, int rc)
{
	*(int *)arg = rc == 0 ? 1 : rc;
}

static int target_main(void *arg)
{
	struct sio_thread *t = sio_thread_get_current();
	struct sio_bdev_null_opts no;
	struct sio_nvmf_tgt *tgt;
	struct sio_nvmf_subsystem *ss;
	struct sio_nvmf_subsystem_opts so;
	struct sio_nvmf_listen_addr la = {.trtype = "TCP", .traddr = "127.0.0.1", .trsvcid = "0"};
	struct sio_bdev *b;
	int done = 0;

	(void)arg;
	sio_bdev_null_opts_init(&no, sizeof(no));
	no.name = "Null0";
	no.num_blocks = NUM_BLOCKS;
	sio_nvmf_subsystem_opts_init(&so, sizeof(so));
	so.allow_any_host = true;
	if (bdev_modules_init() != 0 || sio_bdev_null_create(&no, &b) != 0 ||
	    sio_nvmf_tgt_create(NULL, &tgt) != 0 ||
	    sio_nvmf_tgt_add_transport(tgt, "TCP", NULL, NULL) != 0 ||
	    sio_nvmf_subsystem_create(tgt, NQN, &so, &ss) != 0 ||
	    sio_nvmf_subsystem_add_ns(ss, "Null0", NULL, NULL) != 0 ||
	    sio_nvmf_subsystem_add_listener(ss, &la) != 0 ||
	    sio_nvmf_subsystem_start(ss, done_cb, &done) != 0) {
		atomic_store(&g_port, -1);
		return 1;
	}
	while (done == 0)
		sio_thread_poll(t, 0);
	atomic_store(&g_port, sio_nvmf_subsystem_listener_port(ss, &la));
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed))
		sio_thread_poll(t, 0);
	done = 0;
	sio_nvmf_tgt_destroy(tgt, done_cb, &done);
	while (done == 0)
		sio_thread_poll(t, 0);
	bdev_modules_fini();
	for (int i = 0; i < 100; i++)
		sio_thread_poll(t, 0);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int submit_read(struct th *h, uint8_t *buf, uint32_t len, uint64_t *seed)
{
	struct sio_nvme_cmd cmd;
	uint32_t nlb = len / 512;
	uint64_t slba = rnd(seed) % (NUM_BLOCKS / nlb) * nlb;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_READ;
	cmd.nsid = 1;
	cmd.cdw10 = (uint32_t)slba;
	cmd.cdw11 = (uint32_t)(slba >> 32);
	cmd.cdw12 = nlb - 1;
	return th_submit(h, &cmd, NULL, 0, false, buf, len);
}

int main(int argc, char **argv)
{
	static struct th adm, io;
	struct sio_os_thread *tt;
	struct sio_nvme_cmd cmd;
	struct sio_nvme_cpl cpl;
	double secs = 3, t0, t1;
	uint32_t qd = 32, len = 4096;
	bool digests = false;
	uint64_t ios = 0, checked = 0, seed = 0x9e3779b97f4a7c15ull;
	int cids[1024], ch, cntlid, rc;
	uint8_t *bufs;

	while ((ch = getopt(argc, argv, "t:q:o:dh")) != -1) {
		switch (ch) {
		case 't':
			secs = atof(optarg);
			break;
		case 'q':
			qd = (uint32_t)atoi(optarg);
			break;
		case 'o':
			len = (uint32_t)atoi(optarg);
			break;
		case 'd':
			digests = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-q DEPTH] [-o BYTES] [-d]\n", argv[0]);
			return 2;
		}
	}
	if (qd < 1 || qd > 127 || len < 512 || len % 512 != 0 || len > 131072) {
		fprintf(stderr, "bench_nvmf_tgt: -q 1..127, -o a multiple of 512 up to 128 KiB\n");
		return 2;
	}
	sio_log_set_level(SIO_LOG_WARN);
	if (sio_os_thread_spawn("nvmf_tgt", target_main, NULL, &tt) != 0)
		return 1;
	while (atomic_load(&g_port) == 0)
		;
	if (atomic_load(&g_port) < 0) {
		fprintf(stderr, "bench_nvmf_tgt: target setup failed\n");
		return 1;
	}
	cntlid = th_admin_up(&adm, atomic_load(&g_port), NULL, NQN, HOSTNQN, digests);
	if (cntlid <= 0) {
		fprintf(stderr, "bench_nvmf_tgt: admin connect failed: %d\n", cntlid);
		return 1;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_SET_FEATURES;
	cmd.cdw10 = SIO_NVME_FEAT_NUMBER_OF_QUEUES;
	th_cmd(&adm, &cmd, NULL, 0, false, NULL, 0, &cpl);
	if (th_open(&io, atomic_load(&g_port), NULL) != 0 || th_icreq(&io, digests, digests) != 0 ||
	    th_connect(&io, NQN, HOSTNQN, 1, 127, (uint16_t)cntlid, 0, true, &cpl) != 0 ||
	    sio_nvme_cpl_is_error(&cpl)) {
		fprintf(stderr, "bench_nvmf_tgt: I/O queue connect failed\n");
		return 1;
	}
	bufs = aligned_alloc(4096, (size_t)qd * len);
	for (uint32_t i = 0; i < qd; i++)
		cids[i] = submit_read(&io, bufs + (size_t)i * len, len, &seed);
	t0 = now_s();
	t1 = t0;
	while (t1 - t0 < secs) {
		th_pump(&io, 1000);
		if (io.closed) {
			fprintf(stderr, "bench_nvmf_tgt: the target closed the connection\n");
			return 1;
		}
		for (uint32_t i = 0; i < qd; i++) {
			struct th_slot *s = &io.slots[cids[i] % TH_SLOTS];

			if (!s->done)
				continue;
			if (!s->c2h_success && sio_nvme_cpl_is_error(&s->cpl)) {
				fprintf(stderr, "bench_nvmf_tgt: read failed: %#x\n", th_status(&s->cpl));
				return 1;
			}
			s->busy = false;
			ios++;
			cids[i] = submit_read(&io, bufs + (size_t)i * len, len, &seed);
		}
		if (ios - checked >= 256) {
			checked = ios;
			t1 = now_s();
		}
	}
	t1 = now_s();
	for (uint32_t i = 0; i < qd; i++)
		th_wait_cpl(&io, (uint16_t)cids[i], NULL, 2000000);
	printf("bench_nvmf_tgt: %u B reads, QD %u, digests %s: %lu I/Os in %.2f s = %.0f IOPS, "
	       "%.1f MiB/s\n", len, qd, digests ? "on" : "off", (unsigned long)ios, t1 - t0,
	       ios / (t1 - t0), ios * (double)len / (t1 - t0) / 1048576.0);
	printf("ios=%lu\n", (unsigned long)ios);
	th_close(&io);
	th_close(&adm);
	atomic_store(&g_stop, true);
	rc = 0;
	sio_os_thread_join(tt, &rc);
	free(bufs);
	return rc;
}
