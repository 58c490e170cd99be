/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP PDU codec costs (src/nvme/tcp/), on one core, data in cache, in
 * thread CPU time:
 *
 *   crc     CRC32C GB/s of every implementation, 8 B to 128 KiB
 *   rx-*    receiving one 4 KiB C2HData PDU (host side), in ns per PDU:
 *           exact   the socket reads straight into the regions the machine
 *                   names (header buffer, the owner's data iovec): the
 *                   codec's own work, no copy (the kernel's copy is not here);
 *           staged  the whole PDU sits in the staging buffer (one read of
 *                   many PDUs) and the machine copies the data out;
 *           each with digests off and on (header + data CRC32C);
 *   tx-*    building one 4 KiB C2HData PDU for writev (header, digests, iovecs).
 *
 *   bench_nvme_tcp [-n ITERATIONS] [CASE...]      (default: every case)
 *
 * For instruction counts run one case under callgrind, collecting only the
 * per-PDU function (bench/bench_nvme_tcp_callgrind.sh does it for every case
 * and divides by the iterations):
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_one_pdu \
 *       build/bench/bench_nvme_tcp -n 10000 rx-exact-dgst
 *
 * The bytes of the PDU stay in the machine's regions between iterations (the
 * same PDU arrives again and again), so nothing but the codec runs in the
 * timed loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env/crc32c_internal.h"
#include "nvme/tcp/nvme_tcp.h"

#define DATA_LEN 4096

static uint8_t g_data[DATA_LEN] __attribute__((aligned(64)));
static uint8_t g_dst[DATA_LEN] __attribute__((aligned(64)));
static struct iovec g_dst_iov = { g_dst, DATA_LEN };
static unsigned long g_done;

/*
 * The thread's CPU time, not wall time: on a shared machine the wall clock
 * also counts the time the thread waits for a core, which is not the codec's.
 */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int on_data(void *ctx, const struct nvme_tcp_rx_pdu *pdu, const struct iovec **iov,
		   int *iovcnt)
{
	*iov = &g_dst_iov;
	*iovcnt = 1;
	return 0;
}

static int on_done(void *ctx, const struct nvme_tcp_rx_pdu *pdu, int status)
{
	if (status != 0) {
		fprintf(stderr, "data digest mismatch\n");
		exit(1);
	}
	g_done++;
	return 0;
}

static const struct nvme_tcp_rx_ops g_ops = { .pdu_data = on_data, .pdu_done = on_done };

/* ------------------------------------------------------------------------ */
/* CRC32C                                                                   */
/* ------------------------------------------------------------------------ */

static void bench_crc(void)
{
	static const size_t sizes[] = { 8, 24, 72, 128, 256, 384, 512, 1024, 4096, 16384, 65536, 131072 };
	uint8_t *buf = aligned_alloc(64, 131072);
	volatile uint32_t sink = 0;

	if (buf == NULL)
		exit(1);
	for (size_t i = 0; i < 131072; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	printf("CRC32C GB/s (one core, data in cache)\n%-8s", "bytes");
	for (int m = 0; m < ENV_CRC32C_METHOD_COUNT; m++)
		printf(" %9s", env_crc32c_method_name((enum env_crc32c_method)m));
	printf("\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double best[ENV_CRC32C_METHOD_COUNT] = { 0 };

		/*
		 * Best of 7 rounds of ~5 ms, the methods interleaved: on a shared
		 * machine the best round is the one least disturbed.
		 */
		for (int round = 0; round < 7; round++) {
			for (int m = 0; m < ENV_CRC32C_METHOD_COUNT; m++) {
				enum env_crc32c_method me = (enum env_crc32c_method)m;
				unsigned long iters = 0, batch = 1 + (1u << 18) / sizes[s];
				double t0, t;

				if (!env_crc32c_method_available(me))
					continue;
				t0 = now_ns();
				do {
					for (unsigned long k = 0; k < batch; k++)
						sink += env_crc32c_method_update(me, sink, buf, sizes[s]);
					iters += batch;
					t = now_ns() - t0;
				} while (t < 5e6);
				if ((double)iters * sizes[s] / t > best[m])
					best[m] = (double)iters * sizes[s] / t;
			}
		}
		printf("%-8zu", sizes[s]);
		for (int m = 0; m < ENV_CRC32C_METHOD_COUNT; m++) {
			if (best[m] == 0)
				printf(" %9s", "-");
			else
				printf(" %9.2f", best[m]);
		}
		printf("\n");
	}
	free(buf);
}

/* ------------------------------------------------------------------------ */
/* One PDU                                                                  */
/* ------------------------------------------------------------------------ */

struct rx_case {
	struct nvme_tcp_rx rx;
	uint8_t stage[8192];
	size_t plen;
};

/* The measured unit: one PDU through the machine (or built, for tx). */
__attribute__((noinline)) void bench_one_pdu(void *arg, int kind);
int bench_rx_exact_calls;

enum kind { RX_EXACT, RX_STAGED, TX };

__attribute__((noinline)) void bench_one_pdu(void *arg, int kind)
{
	if (kind == TX) {
		struct nvme_tcp_params *p = arg;
		static struct nvme_tcp_pdu pdu;
		static struct iovec data = { g_data, DATA_LEN }, out[8];

		nvme_tcp_pdu_c2h_data_init(&pdu, 1, 0, true, false);
		if (nvme_tcp_pdu_build(&pdu, p, &data, 1, DATA_LEN, out, 8) < 0)
			exit(1);
		g_done++;
		return;
	}

	struct rx_case *c = arg;
	unsigned long done = g_done;

	while (g_done == done) {
		struct iovec iov[8];
		int n = nvme_tcp_rx_iov(&c->rx, iov, 8);
		size_t total = 0;

		for (int i = 0; i < n; i++)
			total += iov[i].iov_len;
		/* staged: exactly one PDU per read; exact: everything offered */
		if (kind == RX_STAGED)
			total = c->plen;
		if (nvme_tcp_rx_advance(&c->rx, total) != 0) {
			fprintf(stderr, "advance failed\n");
			exit(1);
		}
	}
}

/*
 * Put the machine in steady state: ICResp, then one C2HData whose bytes are
 * copied into the regions for real; from then on the regions hold the right
 * bytes already.
 */
static void rx_setup(struct rx_case *c, const struct nvme_tcp_params *p, bool staged)
{
	struct nvme_tcp_pdu pdu;
	struct iovec out[8], data = { g_data, DATA_LEN };
	uint8_t stream[DATA_LEN + 256];
	size_t len = 0, pos = 0;
	int n;

	nvme_tcp_rx_init(&c->rx, NVME_TCP_ROLE_HOST, &g_ops, NULL);
	nvme_tcp_pdu_ic_resp_init(&pdu, 0, p->hdgst, p->ddgst, 65536);
	n = nvme_tcp_pdu_build(&pdu, NULL, NULL, 0, 0, out, 8);
	if (nvme_tcp_rx_feed(&c->rx, out[0].iov_base, out[0].iov_len) != 0)
		exit(1);
	nvme_tcp_rx_set_params(&c->rx, p);
	nvme_tcp_pdu_c2h_data_init(&pdu, 1, 0, true, false);
	n = nvme_tcp_pdu_build(&pdu, p, &data, 1, DATA_LEN, out, 8);
	for (int i = 0; i < n; i++) {
		memcpy(stream + len, out[i].iov_base, out[i].iov_len);
		len += out[i].iov_len;
	}
	c->plen = len;
	if (staged) {
		/* a buffer of exactly one PDU, read whole each time: data always copied out */
		nvme_tcp_rx_set_buf(&c->rx, c->stage, len, UINT32_MAX);
		memcpy(c->stage, stream, len);
		return;
	}
	/*
	 * The stream is this PDU over and over: fill the regions the machine
	 * names from it for two PDUs, so every region (the next CH riding behind
	 * the data too) holds its bytes, and the machine waits for a PSH.
	 */
	g_done = 0;
	while (g_done < 2) {
		struct iovec iov[8];
		size_t got = 0;

		n = nvme_tcp_rx_iov(&c->rx, iov, 8);
		for (int i = 0; i < n; i++) {
			for (size_t b = 0; b < iov[i].iov_len; b++)
				((uint8_t *)iov[i].iov_base)[b] = stream[(pos + got + b) % len];
			got += iov[i].iov_len;
		}
		if (nvme_tcp_rx_advance(&c->rx, got) != 0)
			exit(1);
		pos += got;
	}
}

static void run_case(const char *name, unsigned long iters)
{
	struct nvme_tcp_params p = { 0 };
	struct rx_case *c = NULL;
	void *arg;
	int kind;
	double t0, t;

	p.hdgst = p.ddgst = strstr(name, "-dgst") != NULL;
	if (strncmp(name, "tx", 2) == 0) {
		kind = TX;
		arg = &p;
	} else {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			exit(1);
		kind = strncmp(name, "rx-staged", 9) == 0 ? RX_STAGED : RX_EXACT;
		rx_setup(c, &p, kind == RX_STAGED);
		arg = c;
	}
	for (unsigned long i = 0; i < iters / 10 + 1; i++)   /* warm up */
		bench_one_pdu(arg, kind);
	g_done = 0;
	t0 = now_ns();
	for (unsigned long i = 0; i < iters; i++)
		bench_one_pdu(arg, kind);
	t = now_ns() - t0;
	if (g_done != iters) {
		fprintf(stderr, "%s: %lu PDUs for %lu iterations\n", name, g_done, iters);
		exit(1);
	}
	if (kind != TX && memcmp(g_dst, g_data, DATA_LEN) != 0) {
		fprintf(stderr, "%s: data differs\n", name);
		exit(1);
	}
	printf("%-16s %8.1f ns/PDU  %6.2f GB/s of data  (%lu PDUs of %d B)\n", name, t / iters,
	       (double)iters * DATA_LEN / t, iters, DATA_LEN);
	free(c);
}

int main(int argc, char **argv)
{
	static const char *const cases[] = { "rx-exact", "rx-exact-dgst", "rx-staged",
					     "rx-staged-dgst", "tx", "tx-dgst" };
	unsigned long iters = 1000000;
	bool any = false;
	int i = 1;

	for (size_t k = 0; k < DATA_LEN; k++)
		g_data[k] = (uint8_t)(k * 13 + 5);
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		iters = strtoul(argv[2], NULL, 0);
		i = 3;
	}
	for (; i < argc; i++) {
		any = true;
		if (strcmp(argv[i], "crc") == 0) {
			bench_crc();
			continue;
		}
		bool known = false;

		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			known |= strcmp(argv[i], cases[k]) == 0;
		if (!known) {
			fprintf(stderr, "usage: %s [-n ITERATIONS] [crc|rx-exact|rx-exact-dgst|rx-staged|"
				"rx-staged-dgst|tx|tx-dgst]...\n", argv[0]);
			return 2;
		}
		run_case(argv[i], iters);
	}
	if (!any) {
		bench_crc();
		printf("\nOne 4 KiB C2HData PDU\n");
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			run_case(cases[k], iters);
	}
	return 0;
}
