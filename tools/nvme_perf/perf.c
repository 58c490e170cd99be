/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_nvme_perf: I/O load on NVMe namespaces through the host driver, with
 * spdk_nvme_perf's flags where they overlap: -r transport ID (repeatable),
 * -q depth, -o size, -w pattern, -M read percentage, -t seconds, -c core
 * mask, -P queue pairs per namespace, -L / -LL latency summary / histogram,
 * -H / -I digests; a progress line each second and --results-json.
 *
 * Layout: the main thread owns the controllers (admin queue, keep-alive) and
 * prints; one OS thread per core of the mask runs a sio_thread with its
 * queue pairs and keeps every slot busy from completion callbacks (no task,
 * no allocation per I/O).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "spdk_io/env.h"
#include "spdk_io/keyring.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/sock.h"
#include "spdk_io/thread.h"
#include "spdk_io/trace.h"

#define MAX_TRIDS 16
#define MAX_CORES 64
/* Latency histogram: 2^HIST_SUB sub-buckets per power of two of ticks. */
#define HIST_SUB 4
#define HIST_BUCKETS (64 << HIST_SUB)

struct hist {
	uint64_t b[HIST_BUCKETS];
};

static inline unsigned hist_idx(uint64_t v)
{
	unsigned msb;

	if (v < (1u << HIST_SUB))
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return ((msb - HIST_SUB + 1) << HIST_SUB) | (unsigned)((v >> (msb - HIST_SUB)) & ((1u << HIST_SUB) - 1));
}

/* Lower bound of bucket @i in ticks. */
static uint64_t hist_lo(unsigned i)
{
	unsigned grp = i >> HIST_SUB, sub = i & ((1u << HIST_SUB) - 1);

	if (grp == 0)
		return sub;
	return ((uint64_t)(1u << HIST_SUB) | sub) << (grp - 1);
}

struct ns_entry {
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_nvme_ns *ns;
	int trid_idx;
	uint64_t num_blocks;
	uint32_t block_size;
};

struct worker;

struct slot {
	struct qp_ctx *qc;
	void *buf;
	uint64_t start;
	uint64_t seq_next;
};

struct qp_ctx {
	struct worker *w;
	struct ns_entry *ne;
	struct sio_nvme_qpair *qp;
	struct slot *slots;
	uint64_t seq_lba;
	/* Results, written by the worker only; read by main with relaxed loads. */
	uint64_t ios, bytes, errors;
	uint64_t lat_sum, lat_min, lat_max;
	struct hist hist;
	int inflight;
};

struct worker {
	int core;
	pthread_t tid;
	struct sio_thread *thread;
	struct qp_ctx *qcs;
	int nqc;
	volatile int stop;
	volatile int ready;   /* 1 ready, < 0 error */
	volatile int done;
	uint64_t rng;
	/* Over the I/O loop (start to stop, not the drain): the worker thread's
	 * CPU time, and its thread's poll ticks that did work / found none. A
	 * polling worker uses its whole core, so CPU time alone says nothing;
	 * busy / (busy + idle) of it is the work (--results-json "workers"). */
	uint64_t cpu_ns;
	uint64_t busy_tsc, idle_tsc;
};

static struct {
	int qd;
	uint32_t io_size;
	const char *pattern;
	int read_pct;
	bool random;
	int time_s;
	int qpairs_per_ns;
	int latency; /* 1 -L, 2 -LL */
	const char *json_path;
	struct sio_nvme_ctrlr_opts copts;
} g;

static struct ns_entry g_ns[MAX_TRIDS * 64];
static int g_nns;
static struct worker g_workers[MAX_CORES];
static int g_nworkers;
static struct sio_nvme_transport_id g_trids[MAX_TRIDS];
static struct sio_nvme_ctrlr *g_ctrlrs[MAX_TRIDS];
static int g_ntrids;

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static int submit(struct slot *s);

static void io_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct slot *s = arg;
	struct qp_ctx *qc = s->qc;
	uint64_t lat = sio_get_ticks() - s->start;

	qc->inflight--;
	if (rc != 0) {
		qc->errors++;
	} else {
		/* One writer; main reads for the progress line (relaxed, no lock). */
		__atomic_store_n(&qc->ios, qc->ios + 1, __ATOMIC_RELAXED);
		qc->bytes += g.io_size;
	}
	qc->lat_sum += lat;
	if (lat < qc->lat_min)
		qc->lat_min = lat;
	if (lat > qc->lat_max)
		qc->lat_max = lat;
	if (g.latency)
		qc->hist.b[hist_idx(lat)]++;
	if (!__atomic_load_n(&qc->w->stop, __ATOMIC_RELAXED) && submit(s) != 0)
		qc->errors++;
}

static int submit(struct slot *s)
{
	struct qp_ctx *qc = s->qc;
	struct ns_entry *ne = qc->ne;
	uint32_t nblk = g.io_size / ne->block_size;
	uint64_t span = ne->num_blocks / nblk, lba;
	bool is_read;
	int rc;

	if (g.random) {
		lba = (xorshift(&qc->w->rng) % span) * nblk;
	} else {
		lba = qc->seq_lba;
		qc->seq_lba += nblk;
		if (qc->seq_lba + nblk > ne->num_blocks)
			qc->seq_lba = 0;
	}
	is_read = g.read_pct == 100 ? true : g.read_pct == 0 ? false :
		  (int)(xorshift(&qc->w->rng) % 100) < g.read_pct;
	s->start = sio_get_ticks();
	if (is_read)
		rc = sio_nvme_ns_read(ne->ns, qc->qp, s->buf, lba, nblk, 0, io_done, s);
	else
		rc = sio_nvme_ns_write(ne->ns, qc->qp, s->buf, lba, nblk, 0, io_done, s);
	if (rc == 0)
		qc->inflight++;
	return rc;
}

struct qp_wait {
	int rc;                     /* 1 while the connect runs */
	struct sio_nvme_qpair *qp;
};

static void qp_connected(void *arg, int rc, struct sio_nvme_qpair *qp)
{
	struct qp_wait *w = arg;

	w->qp = qp;
	w->rc = rc;
}

/*
 * The queue pair, polled for without sleeping: the _blocking form sleeps on
 * the thread's interrupt fd, which switches the worker to interrupt mode for
 * good (a wake-up check around each of its polls, ~100 instructions per I/O).
 */
static int worker_alloc_qpair(struct worker *w, struct sio_nvme_ctrlr *ctrlr,
			      const struct sio_nvme_io_qpair_opts *o, struct sio_nvme_qpair **out)
{
	struct qp_wait qw = {.rc = 1};
	int rc = sio_nvme_ctrlr_alloc_io_qpair(ctrlr, o, qp_connected, &qw);

	if (rc != 0)
		return rc;
	while (qw.rc == 1)
		sio_thread_poll(w->thread, 0);
	*out = qw.qp;
	return qw.rc;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	int rc = 0;

	CPU_ZERO(&set);
	CPU_SET(w->core, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set); /* best effort */
	w->thread = sio_thread_attach("nvme_perf_worker");
	if (w->thread == NULL) {
		w->ready = -1;
		return NULL;
	}
	w->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)w->core << 32) ^ (uint64_t)time(NULL);
	for (int i = 0; i < w->nqc && rc == 0; i++) {
		struct qp_ctx *qc = &w->qcs[i];
		struct sio_nvme_io_qpair_opts o;

		sio_nvme_io_qpair_opts_init(&o, sizeof(o));
		/* Room for every slot on the wire (one entry stays empty by the spec). */
		o.io_queue_size = (uint32_t)g.qd + 1;
		o.io_queue_requests = (uint32_t)g.qd;
		rc = worker_alloc_qpair(w, qc->ne->ctrlr, &o, &qc->qp);
		if (rc != 0) {
			fprintf(stderr, "sio_nvme_perf: core %d: queue pair: %s\n", w->core, strerror(-rc));
			break;
		}
		qc->slots = calloc((size_t)g.qd, sizeof(*qc->slots));
		qc->lat_min = UINT64_MAX;
		for (int j = 0; j < g.qd; j++) {
			qc->slots[j].qc = qc;
			qc->slots[j].buf = sio_dma_zmalloc(g.io_size, 4096);
			if (qc->slots[j].buf == NULL)
				rc = -ENOMEM;
		}
	}
	/* Pairs with main's acquire loads: the queue pairs above are set up. */
	__atomic_store_n(&w->ready, rc == 0 ? 1 : -1, __ATOMIC_RELEASE);
	while (rc == 0 && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		/* Wait for the start signal (ready == 2) from main. */
		sio_thread_poll(w->thread, 0);
		if (__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE) == 2)
			break;
	}
	if (rc == 0 && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		struct sio_thread_stats st0, st1;
		uint64_t cpu0 = thread_cpu_ns();

		sio_thread_get_stats(w->thread, &st0);
		for (int i = 0; i < w->nqc; i++)
			for (int j = 0; j < g.qd; j++)
				if (submit(&w->qcs[i].slots[j]) != 0)
					w->qcs[i].errors++;
		while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			sio_thread_poll(w->thread, 0);
		w->cpu_ns = thread_cpu_ns() - cpu0;
		sio_thread_get_stats(w->thread, &st1);
		w->busy_tsc = st1.busy_tsc - st0.busy_tsc;
		w->idle_tsc = st1.idle_tsc - st0.idle_tsc;
		/* Drain what is in flight. */
		for (uint64_t end = sio_get_ticks() + sio_us_to_ticks(10000000); sio_get_ticks() < end;) {
			int left = 0;

			for (int i = 0; i < w->nqc; i++)
				left += w->qcs[i].inflight;
			if (left == 0)
				break;
			sio_thread_poll(w->thread, 0);
		}
	}
	for (int i = 0; i < w->nqc; i++) {
		struct qp_ctx *qc = &w->qcs[i];

		if (qc->qp != NULL)
			sio_nvme_qpair_free(qc->qp);
		for (int j = 0; qc->slots != NULL && j < g.qd; j++)
			sio_dma_free(qc->slots[j].buf);
		free(qc->slots);
	}
	sio_thread_exit(w->thread);
	for (int i = 0; i < 1000000 && !sio_thread_is_exited(w->thread); i++)
		sio_thread_poll(w->thread, 0);
	sio_thread_destroy(w->thread);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Sleep until the main thread has something due (the admin queues' poller,
 * a message) or @ticks pass. Polling here instead would take a core from
 * the worker whenever both run on one (taskset -c 1 sio_nvme_perf -c 0x2):
 * the scheduler then parks the worker for whole time slices, milliseconds
 * of latency on its I/O.
 */
static void main_sleep(struct sio_thread *t, uint64_t ticks)
{
	struct pollfd pfd = {.fd = sio_thread_get_interrupt_fd(t), .events = POLLIN};
	uint64_t us = sio_thread_next_timeout_us(t), cap = ticks * 1000000 / sio_get_ticks_hz();

	if (pfd.fd < 0) {
		sched_yield();
		return;
	}
	if (us > cap)
		us = cap;
	(void)poll(&pfd, 1, (int)((us + 999) / 1000));
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sio_nvme_perf -r TRID [-r TRID...] -q DEPTH -o BYTES -w PATTERN -t SECONDS\n"
		"                     [-M READ%%] [-c CORE_MASK] [-P QPAIRS] [-L|-LL] [-H] [-I]\n"
		"                     [--results-json FILE] [-e GROUPS] [-S IMPL]\n"
		"                     [--psk-path FILE [--psk-identity ID] [--enable-ktls]]\n"
		"  -r transport ID, SPDK's string: 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1\n"
		"     trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1' (repeatable, up to %d)\n"
		"  -q queue depth per queue pair (default 1)\n"
		"  -o I/O size in bytes, or with k/m/g: 4096, 4k, 128k (default 4096)\n"
		"  -w read, write, randread, randwrite, rw, randrw (rw/randrw take -M)\n"
		"  -M percentage of reads for rw/randrw (0..100)\n"
		"  -t run time in seconds\n"
		"  -c mask of cores, one worker thread each (default 0x1)\n"
		"  -P queue pairs per namespace per worker (default 1)\n"
		"  -L latency summary (percentiles), -LL also the histogram\n"
		"  -H header digest, -I data digest\n"
		"  --results-json FILE: the results (per namespace, per worker, totals) as JSON\n"
		"  -e GROUPS tracepoints to record (nvme_tcp, sock, ...; SPDK's -e syntax, docs/trace.md)\n"
		"  -S socket implementation (posix, uring; ssl is chosen by --psk-path)\n"
		"  --psk-path FILE: NVMe/TCP secure channel (TLS 1.3) with the PSK in FILE\n"
		"     (interchange format NVMeTLSkey-1:..., mode 0600); identity and TLS PSK\n"
		"     derived from the host and subsystem NQNs as the NVMe/TCP spec says\n"
		"  --psk-identity ID: send ID instead of the derived identity\n"
		"  --enable-ktls: let the kernel do the record layer where it can (kTLS)\n",
		MAX_TRIDS);
}

/*
 * A whole decimal number in [min, max], or -1 with a message naming the flag
 * (spdk_nvme_perf refuses "4x" too; atoi() read it as 4).
 */
static long num_arg(char flag, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "sio_nvme_perf: -%c '%s': not a number from %ld to %ld\n", flag, s, min,
			max);
		return -1;
	}
	return v;
}

/*
 * -o: bytes, with an optional k, m or g (KiB, MiB, GiB; a trailing B or iB
 * allowed) as spdk_nvme_perf's -o takes "4k"; 0 with a message otherwise.
 */
static uint32_t size_arg(const char *s)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == 0 && end != s && *end != '\0' && strchr("kKmMgG", *end) != NULL) {
		shift = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20 : 30;
		end++;
		if (strcmp(end, "B") == 0 || strcmp(end, "iB") == 0)
			end += strlen(end);
	}
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 ||
	    v > (UINT32_MAX >> shift)) {
		fprintf(stderr, "sio_nvme_perf: -o '%s': not a size in bytes (4096, 4k, 128KiB, 1M)\n",
			s);
		return 0;
	}
	return (uint32_t)(v << shift);
}

/*
 * A result row's name: transport, address, port, the whole subsystem NQN (it
 * was cut at 20 characters, which left nqn.2016-06.io.spdk: of every SPDK
 * name), NSID, core. Into @buf, and/or raises *@width to its length.
 */
static void row_name(const struct qp_ctx *qc, int core, char *buf, size_t len, int *width)
{
	const struct sio_nvme_transport_id *t = &g_trids[qc->ne->trid_idx];
	char tmp[384];
	int n;

	n = snprintf(buf != NULL ? buf : tmp, buf != NULL ? len : sizeof(tmp),
		     "%s (%s:%s %s) NSID %u from core %d", sio_nvme_transport_type_str(t->trtype),
		     t->traddr, t->trsvcid, t->subnqn, sio_nvme_ns_get_id(qc->ne->ns), core);
	if (width != NULL && n > *width)
		*width = n;
}

static double ticks_us(double t)
{
	return t * 1e6 / (double)sio_get_ticks_hz();
}

static void pct_print(const struct hist *h, uint64_t n, json_t *o)
{
	static const double pcts[] = { 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99 };
	uint64_t cum = 0;
	size_t p = 0;

	for (unsigned i = 0; i < HIST_BUCKETS && p < sizeof(pcts) / sizeof(pcts[0]); i++) {
		cum += h->b[i];
		while (p < sizeof(pcts) / sizeof(pcts[0]) && (double)cum >= pcts[p] / 100.0 * (double)n &&
		       n > 0) {
			double us = ticks_us((double)hist_lo(i + 1));
			char key[32];

			if (o != NULL) {
				snprintf(key, sizeof(key), "p%.2f_us", pcts[p]);
				json_object_set_new(o, key, json_real(us));
			} else {
				printf("  %8.4f%% : %10.3f us\n", pcts[p], us);
			}
			p++;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "results-json", required_argument, NULL, 'J' },
		{ "psk-path", required_argument, NULL, 'K' },
		{ "psk-identity", required_argument, NULL, 'D' },
		{ "enable-ktls", no_argument, NULL, 'T' },
		{ "default-sock-impl", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mask = "0x1";
	struct sio_thread *main_thread;
	struct sio_cpuset cpus;
	char err[256];
	int c, rc = 0, core;
	uint64_t start, last, prev_ios = 0;

	g.qd = 1;
	g.io_size = 4096;
	g.pattern = NULL;
	g.read_pct = -1;
	g.time_s = 0;
	g.qpairs_per_ns = 1;
	sio_nvme_ctrlr_opts_init(&g.copts, sizeof(g.copts));
	const char *psk_path = NULL;
	struct sio_key *psk = NULL;

	while ((c = getopt_long(argc, argv, "r:q:o:w:M:t:c:P:LHIS:e:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (g_ntrids == MAX_TRIDS) {
				fprintf(stderr, "sio_nvme_perf: at most %d -r\n", MAX_TRIDS);
				return 1;
			}
			if (sio_nvme_transport_id_parse(&g_trids[g_ntrids], optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "sio_nvme_perf: -r '%s': %s\n", optarg, err);
				return 1;
			}
			g_ntrids++;
			break;
		case 'q':
			if ((g.qd = (int)num_arg('q', optarg, 1, 65535)) < 0)
				return 1;
			break;
		case 'o':
			if ((g.io_size = size_arg(optarg)) == 0)
				return 1;
			break;
		case 'w': g.pattern = optarg; break;
		case 'M':
			if ((g.read_pct = (int)num_arg('M', optarg, 0, 100)) < 0)
				return 1;
			break;
		case 't':
			if ((g.time_s = (int)num_arg('t', optarg, 1, 86400 * 365)) < 0)
				return 1;
			break;
		case 'c': mask = optarg; break;
		case 'P':
			if ((g.qpairs_per_ns = (int)num_arg('P', optarg, 1, 1024)) < 0)
				return 1;
			break;
		case 'L': g.latency++; break;
		case 'H': g.copts.header_digest = true; break;
		case 'I': g.copts.data_digest = true; break;
		case 'e': {
			/* Into /dev/shm/sio_nvme_perf_trace.pid<PID>; read with sio_trace. */
			struct sio_trace_opts to;

			sio_trace_opts_init(&to, sizeof(to));
			to.name = "sio_nvme_perf";
			sio_trace_init(&to); /* -EBUSY for a second -e: same file */
			if (sio_trace_enable_groups(optarg) != 0) {
				fprintf(stderr, "sio_nvme_perf: -e '%s': not a tracepoint group mask or name\n",
					optarg);
				return 1;
			}
			break;
		}
		case 'J': g.json_path = optarg; break;
		case 'S': g.copts.sock_impl = optarg; break;
		case 'K': psk_path = optarg; break;
		case 'D': g.copts.tls_psk_identity = optarg; break;
		case 'T': {
			struct sio_sock_impl_opts io = {.opts_size = sizeof(io)};

			sio_sock_impl_get_opts("ssl", &io);
			io.enable_ktls = true;
			sio_sock_impl_set_opts("ssl", &io);
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sio_nvme_perf: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (g_ntrids == 0 || g.pattern == NULL || g.time_s <= 0) {
		fprintf(stderr, "sio_nvme_perf: -r, -w and -t are required\n");
		usage(stderr);
		return 1;
	}
	if (g.read_pct >= 0 && strcmp(g.pattern, "rw") != 0 && strcmp(g.pattern, "randrw") != 0)
		/* Said, not silently dropped (spdk_nvme_perf says it too). */
		fprintf(stderr, "sio_nvme_perf: -M ignored: it applies to -w rw and randrw only\n");
	if (strcmp(g.pattern, "read") == 0 || strcmp(g.pattern, "randread") == 0)
		g.read_pct = 100;
	else if (strcmp(g.pattern, "write") == 0 || strcmp(g.pattern, "randwrite") == 0)
		g.read_pct = 0;
	else if (strcmp(g.pattern, "rw") == 0 || strcmp(g.pattern, "randrw") == 0) {
		if (g.read_pct < 0 || g.read_pct > 100) {
			fprintf(stderr, "sio_nvme_perf: -w %s needs -M 0..100\n", g.pattern);
			return 1;
		}
	} else {
		fprintf(stderr, "sio_nvme_perf: unknown -w '%s'\n", g.pattern);
		return 1;
	}
	g.random = strncmp(g.pattern, "rand", 4) == 0;
	if (sio_cpuset_parse(&cpus, mask) != 0 || sio_cpuset_count(&cpus) == 0) {
		fprintf(stderr, "sio_nvme_perf: bad core mask '%s'\n", mask);
		return 1;
	}
	/* A core this machine lacks is refused, as sio_tgt's -m does (the worker's pinning
	 * would fail and it would run anywhere, reported "from core N"). */
	core = sio_cpuset_first_absent(&cpus);
	if (core >= 0) {
		fprintf(stderr, "sio_nvme_perf: -c '%s' names core %d; this machine has %u\n", mask,
			core, sio_cpu_count());
		return 1;
	}
	if (psk_path != NULL) {
		/* The keyring checks the file (mode 0600, format, CRC) as SPDK does. */
		char msg[256] = "";
		char real[PATH_MAX];

		if (realpath(psk_path, real) == NULL ||
		    (rc = sio_keyring_file_add_key("sio_nvme_perf_psk", real, msg, sizeof(msg))) != 0) {
			fprintf(stderr, "sio_nvme_perf: --psk-path %s: %s\n", psk_path,
				msg[0] ? msg : strerror(errno));
			return 1;
		}
		psk = sio_keyring_get_key("sio_nvme_perf_psk");
		g.copts.tls_psk = psk;
	}
	main_thread = sio_thread_attach("nvme_perf");
	if (main_thread == NULL)
		return 1;

	/* Controllers and their namespaces. */
	for (int i = 0; i < g_ntrids; i++) {
		struct sio_nvme_ctrlr *ctrlr;
		struct sio_nvme_ctrlr_opts o = g.copts;

		if (g_trids[i].hostnqn[0] != '\0')
			snprintf(o.hostnqn, sizeof(o.hostnqn), "%s", g_trids[i].hostnqn);
		rc = sio_nvme_ctrlr_connect_blocking(&g_trids[i], &o, &ctrlr);
		if (rc != 0) {
			fprintf(stderr, "sio_nvme_perf: connect to %s:%s %s: %s\n", g_trids[i].traddr,
				g_trids[i].trsvcid, g_trids[i].subnqn, strerror(-rc));
			return 1;
		}
		g_ctrlrs[i] = ctrlr;
		for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(ctrlr); id != 0;
		     id = sio_nvme_ctrlr_get_next_active_ns(ctrlr, id)) {
			struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(ctrlr, id);
			struct ns_entry *ne = &g_ns[g_nns];

			if (g_nns == (int)(sizeof(g_ns) / sizeof(g_ns[0])))
				break;
			/* Another command set's namespace whose NVM Identify data the
			 * controller refused: no blocks to read or write. */
			if (sio_nvme_ns_get_sector_size(ns) == 0) {
				fprintf(stderr, "sio_nvme_perf: ns %u: no NVM geometry (CSI %u): skipped\n",
					id, sio_nvme_ns_get_csi(ns));
				continue;
			}
			if (g.io_size % sio_nvme_ns_get_sector_size(ns) != 0 ||
			    g.io_size > sio_nvme_ns_get_max_io_xfer_size(ns)) {
				fprintf(stderr, "sio_nvme_perf: ns %u: -o %u is not a multiple of %u bytes or above %u: skipped\n",
					id, g.io_size, sio_nvme_ns_get_sector_size(ns),
					sio_nvme_ns_get_max_io_xfer_size(ns));
				continue;
			}
			ne->ctrlr = ctrlr;
			ne->ns = ns;
			ne->trid_idx = i;
			ne->block_size = sio_nvme_ns_get_sector_size(ns);
			ne->num_blocks = sio_nvme_ns_get_num_sectors(ns);
			g_nns++;
		}
	}
	if (g_nns == 0) {
		fprintf(stderr, "sio_nvme_perf: no namespace to run on\n");
		return 1;
	}
	/* Workers: namespaces round-robin over the cores, every core at least one. */
	for (core = sio_cpuset_next(&cpus, -1); core >= 0 && g_nworkers < MAX_CORES;
	     core = sio_cpuset_next(&cpus, core))
		g_workers[g_nworkers++].core = core;
	for (int wi = 0; wi < g_nworkers; wi++) {
		struct worker *w = &g_workers[wi];
		int mine = 0;

		for (int n = 0; n < g_nns; n++)
			if (n % g_nworkers == wi || (g_nns < g_nworkers && wi % g_nns == n))
				mine++;
		w->qcs = calloc((size_t)mine * g.qpairs_per_ns, sizeof(*w->qcs));
		for (int n = 0; n < g_nns; n++) {
			if (!(n % g_nworkers == wi || (g_nns < g_nworkers && wi % g_nns == n)))
				continue;
			for (int p = 0; p < g.qpairs_per_ns; p++) {
				w->qcs[w->nqc].w = w;
				w->qcs[w->nqc].ne = &g_ns[n];
				w->nqc++;
			}
		}
		pthread_create(&w->tid, NULL, worker_main, w);
	}
	/* The admin queues live here: keep polling while the workers set up. */
	for (int wi = 0; wi < g_nworkers; wi++) {
		while (__atomic_load_n(&g_workers[wi].ready, __ATOMIC_ACQUIRE) == 0)
			sio_thread_poll(main_thread, 0);
		if (g_workers[wi].ready < 0)
			rc = -EIO;
	}
	for (int wi = 0; wi < g_nworkers; wi++) {
		if (rc != 0)
			__atomic_store_n(&g_workers[wi].stop, 1, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&g_workers[wi].ready, 2, __ATOMIC_RELEASE);
	}
	printf("Running %s of %u bytes, queue depth %d, %d s, %d namespace(s), %d core(s), %d qpair(s) per ns\n",
	       g.pattern, g.io_size, g.qd, g.time_s, g_nns, g_nworkers, g.qpairs_per_ns);
	fflush(stdout);
	start = last = sio_get_ticks();
	while (rc == 0) {
		uint64_t now = sio_get_ticks();

		sio_thread_poll(main_thread, 0);
		if (now - last >= sio_get_ticks_hz()) {
			uint64_t ios = 0;

			for (int wi = 0; wi < g_nworkers; wi++)
				for (int i = 0; i < g_workers[wi].nqc; i++)
					ios += __atomic_load_n(&g_workers[wi].qcs[i].ios, __ATOMIC_RELAXED);
			printf("[%3.0f s] %10.2f IOPS, %10.2f MiB/s\n",
			       (double)(now - start) / (double)sio_get_ticks_hz(),
			       (double)(ios - prev_ios) * (double)sio_get_ticks_hz() / (double)(now - last),
			       (double)(ios - prev_ios) * g.io_size / 1048576.0 * (double)sio_get_ticks_hz() /
				       (double)(now - last));
			fflush(stdout);
			prev_ios = ios;
			last = now;
		}
		if (now - start >= (uint64_t)g.time_s * sio_get_ticks_hz())
			break;
		main_sleep(main_thread, last + sio_get_ticks_hz() - now);
	}
	{
		double secs = (double)(sio_get_ticks() - start) / (double)sio_get_ticks_hz();
		double tot_iops = 0, tot_mib = 0, tot_lat = 0;
		uint64_t tot_ios = 0, tot_err = 0, tot_min = UINT64_MAX, tot_max = 0;
		struct hist *tot_hist = calloc(1, sizeof(*tot_hist));
		json_t *root = json_object(), *arr = json_array();
		int width = 56;

		for (int wi = 0; wi < g_nworkers; wi++)
			__atomic_store_n(&g_workers[wi].stop, 1, __ATOMIC_RELEASE);
		for (int wi = 0; wi < g_nworkers; wi++) {
			while (!__atomic_load_n(&g_workers[wi].done, __ATOMIC_ACQUIRE))
				sio_thread_poll(main_thread, 0);
			pthread_join(g_workers[wi].tid, NULL);
		}
		/* One row per namespace per worker, its -P queue pairs summed (spdk_nvme_perf's
		 * table); the name column as wide as the longest name. */
		for (int wi = 0; wi < g_nworkers; wi++)
			for (int i = 0; i < g_workers[wi].nqc; i++) {
				const struct qp_ctx *qc = &g_workers[wi].qcs[i];

				row_name(qc, g_workers[wi].core, NULL, 0, &width);
			}
		printf("========================================================\n");
		printf("%-*s %10s %10s %10s %10s %10s\n", width, "", "", "", "Latency(us)", "", "");
		printf("%-*s:%10s %10s %10s %10s %10s\n", width, "Device Information", "IOPS", "MiB/s",
		       "Average", "min", "max");
		for (int wi = 0; wi < g_nworkers; wi++) {
			for (int i = 0; i < g_workers[wi].nqc;) {
				const struct qp_ctx *first = &g_workers[wi].qcs[i];
				uint64_t ios = 0, bytes = 0, errors = 0, lat_sum = 0, lat_min = UINT64_MAX;
				uint64_t lat_max = 0, n;
				double iops, mib, avg;
				char name[384];
				json_t *o = json_object();

				/* The queue pairs of one namespace are consecutive in qcs. */
				for (; i < g_workers[wi].nqc && g_workers[wi].qcs[i].ne == first->ne; i++) {
					const struct qp_ctx *qc = &g_workers[wi].qcs[i];

					ios += qc->ios;
					bytes += qc->bytes;
					errors += qc->errors;
					lat_sum += qc->lat_sum;
					if (qc->ios + qc->errors != 0 && qc->lat_min < lat_min)
						lat_min = qc->lat_min;
					if (qc->lat_max > lat_max)
						lat_max = qc->lat_max;
					for (unsigned b = 0; b < HIST_BUCKETS; b++)
						tot_hist->b[b] += qc->hist.b[b];
				}
				n = ios + errors;
				iops = (double)ios / secs;
				mib = (double)bytes / 1048576.0 / secs;
				avg = n ? ticks_us((double)lat_sum / (double)n) : 0;
				row_name(first, g_workers[wi].core, name, sizeof(name), NULL);
				printf("%-*s:%10.2f %10.2f %10.2f %10.2f %10.2f\n", width, name, iops, mib, avg,
				       n ? ticks_us((double)lat_min) : 0, ticks_us((double)lat_max));
				tot_iops += iops;
				tot_mib += mib;
				tot_ios += ios;
				tot_err += errors;
				tot_lat += (double)lat_sum;
				if (n && lat_min < tot_min)
					tot_min = lat_min;
				if (lat_max > tot_max)
					tot_max = lat_max;
				json_object_set_new(o, "name", json_string(name));
				json_object_set_new(o, "nsid", json_integer(sio_nvme_ns_get_id(first->ne->ns)));
				json_object_set_new(o, "core", json_integer(g_workers[wi].core));
				json_object_set_new(o, "qpairs", json_integer(g.qpairs_per_ns));
				json_object_set_new(o, "iops", json_real(iops));
				json_object_set_new(o, "mibps", json_real(mib));
				json_object_set_new(o, "avg_lat_us", json_real(avg));
				json_object_set_new(o, "min_lat_us", json_real(n ? ticks_us((double)lat_min) : 0));
				json_object_set_new(o, "max_lat_us", json_real(ticks_us((double)lat_max)));
				json_object_set_new(o, "io_errors", json_integer((json_int_t)errors));
				json_array_append_new(arr, o);
			}
		}
		printf("========================================================\n");
		printf("%-*s:%10.2f %10.2f %10.2f %10.2f %10.2f\n", width, "Total", tot_iops, tot_mib,
		       tot_ios + tot_err ? ticks_us(tot_lat / (double)(tot_ios + tot_err)) : 0,
		       tot_min == UINT64_MAX ? 0 : ticks_us((double)tot_min), ticks_us((double)tot_max));
		if (tot_err)
			printf("%" PRIu64 " I/O errors\n", tot_err);
		if (g.latency) {
			printf("\nSummary latency data (all namespaces):\n");
			pct_print(tot_hist, tot_ios + tot_err, NULL);
		}
		if (g.latency > 1) {
			uint64_t cum = 0, n = tot_ios + tot_err;

			printf("\nLatency histogram (all namespaces):\n       Range in us     Cumulative    IO count\n");
			for (unsigned b = 0; b < HIST_BUCKETS; b++) {
				if (tot_hist->b[b] == 0)
					continue;
				cum += tot_hist->b[b];
				printf("%10.3f - %10.3f: %9.4f%%  (%" PRIu64 ")\n", ticks_us((double)hist_lo(b)),
				       ticks_us((double)hist_lo(b + 1)), 100.0 * (double)cum / (double)n,
				       tot_hist->b[b]);
			}
		}
		if (g.json_path != NULL) {
			json_t *tot = json_object();
			FILE *f;

			json_object_set_new(root, "workload", json_string(g.pattern));
			json_object_set_new(root, "io_size", json_integer(g.io_size));
			json_object_set_new(root, "queue_depth", json_integer(g.qd));
			json_object_set_new(root, "rwmixread", json_integer(g.read_pct));
			json_object_set_new(root, "time_s", json_real(secs));
			json_object_set_new(root, "cores", json_integer(g_nworkers));
			json_object_set_new(root, "qpairs_per_ns", json_integer(g.qpairs_per_ns));
			json_object_set_new(root, "namespaces", arr);
			{
				json_t *wa = json_array();
				double hz = (double)sio_get_ticks_hz();

				for (int wi = 0; wi < g_nworkers; wi++) {
					const struct worker *w = &g_workers[wi];
					json_t *o = json_object();

					json_object_set_new(o, "core", json_integer(w->core));
					json_object_set_new(o, "cpu_s", json_real((double)w->cpu_ns / 1e9));
					json_object_set_new(o, "busy_s", json_real((double)w->busy_tsc / hz));
					json_object_set_new(o, "idle_s", json_real((double)w->idle_tsc / hz));
					json_array_append_new(wa, o);
				}
				json_object_set_new(root, "workers", wa);
			}
			json_object_set_new(tot, "iops", json_real(tot_iops));
			json_object_set_new(tot, "mibps", json_real(tot_mib));
			json_object_set_new(tot, "avg_lat_us",
					    json_real(tot_ios + tot_err ? ticks_us(tot_lat / (double)(tot_ios + tot_err)) : 0));
			json_object_set_new(tot, "min_lat_us", json_real(tot_min == UINT64_MAX ? 0 : ticks_us((double)tot_min)));
			json_object_set_new(tot, "max_lat_us", json_real(ticks_us((double)tot_max)));
			json_object_set_new(tot, "io_errors", json_integer((json_int_t)tot_err));
			if (g.latency)
				pct_print(tot_hist, tot_ios + tot_err, tot);
			json_object_set_new(root, "total", tot);
			f = fopen(g.json_path, "w");
			if (f == NULL || json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
				fprintf(stderr, "sio_nvme_perf: cannot write %s\n", g.json_path);
				rc = -EIO;
			}
			if (f != NULL)
				fclose(f);
		} else {
			json_decref(arr);
		}
		json_decref(root);
		free(tot_hist);
		if (tot_err)
			rc = -EIO;
	}
	for (int i = 0; i < g_ntrids; i++)
		sio_nvme_ctrlr_detach_blocking(g_ctrlrs[i]);
	for (int wi = 0; wi < g_nworkers; wi++)
		free(g_workers[wi].qcs);
	sio_thread_exit(main_thread);
	for (int i = 0; i < 1000000 && !sio_thread_is_exited(main_thread); i++)
		sio_thread_poll(main_thread, 0);
	sio_thread_destroy(main_thread);
	sio_key_put(psk);
	sio_keyring_remove_all();
	sio_trace_fini();
	return rc == 0 ? 0 : 1;
}
