/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thread-layer benchmark: cross-thread message throughput and one-way
 * latency between two pinned OS threads, and the cost of a poller dispatch.
 * Prints figures; not a test. Targets on a 2-core x86-64 machine:
 * >= 10 M msgs/s, < 20 ns per poller call.
 *
 *   bench_thread [-n messages] [-r round-trips] [-p polls]
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spdk_io/thread.h"

static unsigned int g_cpu_a, g_cpu_b;

/* CPU time of the calling OS thread, in ns: on a shared machine wall time
 * includes time the thread was not even scheduled. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double secs(uint64_t ticks)
{
	return (double)ticks / (double)sio_get_ticks_hz();
}

static void pin(unsigned int cpu)
{
	if (sio_cpu_pin_current(cpu) != 0)
		fprintf(stderr, "warning: cannot pin to cpu %u\n", cpu);
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ---- throughput: one producer, one consumer ---- */

static struct {
	struct sio_thread *_Atomic consumer;
	atomic_bool go;
	uint64_t n;
	uint64_t received; /* consumer only */
	uint64_t full;     /* producer only: -ENOMEM retries */
	uint64_t cons_cpu_ns;
	uint64_t prod_cpu_ns;
} g_tp;

static void tp_msg(void *ctx)
{
	g_tp.received++;
}

static int tp_consumer(void *arg)
{
	struct sio_thread *self = sio_thread_get_current();

	uint64_t cpu0;

	pin(g_cpu_b);
	atomic_store(&g_tp.consumer, self);
	while (!atomic_load(&g_tp.go))
		relax();
	cpu0 = thread_cpu_ns();
	while (g_tp.received < g_tp.n)
		sio_thread_poll(self, 256);
	g_tp.cons_cpu_ns = thread_cpu_ns() - cpu0;
	return 0;
}

static int tp_producer(void *arg)
{
	struct sio_thread *c;
	uint64_t cpu0;

	pin(g_cpu_a);
	while ((c = atomic_load(&g_tp.consumer)) == NULL)
		relax();
	while (!atomic_load(&g_tp.go))
		relax();
	cpu0 = thread_cpu_ns();
	for (uint64_t i = 0; i < g_tp.n; i++) {
		while (sio_thread_send_msg(c, tp_msg, NULL) == -ENOMEM) {
			g_tp.full++;
			relax();
		}
	}
	g_tp.prod_cpu_ns = thread_cpu_ns() - cpu0;
	return 0;
}

static void bench_throughput(uint64_t n)
{
	struct sio_os_thread *c, *p;
	uint64_t t0, t1;

	memset(&g_tp, 0, sizeof(g_tp));
	g_tp.n = n;
	sio_os_thread_spawn("tp-consumer", tp_consumer, NULL, &c);
	sio_os_thread_spawn("tp-producer", tp_producer, NULL, &p);
	while (atomic_load(&g_tp.consumer) == NULL)
		usleep(100);
	t0 = sio_get_ticks();
	atomic_store(&g_tp.go, true);
	sio_os_thread_join(p, NULL);
	sio_os_thread_join(c, NULL);
	t1 = sio_get_ticks();
	printf("messages cpu%u -> cpu%u: %llu in %.3f s = %.2f M msgs/s (%.1f ns/msg, %llu full retries)\n",
	       g_cpu_a, g_cpu_b, (unsigned long long)n, secs(t1 - t0), n / secs(t1 - t0) / 1e6,
	       secs(t1 - t0) * 1e9 / n, (unsigned long long)g_tp.full);
	printf("  CPU time per message: producer %.1f ns, consumer %.1f ns "
	       "(busier side bounds the rate: %.2f M msgs/s when each has its core)\n",
	       (double)g_tp.prod_cpu_ns / n, (double)g_tp.cons_cpu_ns / n,
	       1e3 / ((double)(g_tp.prod_cpu_ns > g_tp.cons_cpu_ns ? g_tp.prod_cpu_ns
								 : g_tp.cons_cpu_ns) / n));
}

/* ---- latency: ping-pong ---- */

static struct {
	struct sio_thread *_Atomic a;
	struct sio_thread *_Atomic b;
	uint64_t rounds;
	atomic_uint_fast64_t done; /* round trips completed, written by a */
	atomic_bool go;
} g_pp;

static void pp_pong(void *ctx);

static void pp_ping(void *ctx)
{
	while (sio_thread_send_msg(atomic_load_explicit(&g_pp.a, memory_order_relaxed), pp_pong,
				   NULL) != 0)
		relax();
}

static void pp_pong(void *ctx)
{
	uint64_t d = atomic_load_explicit(&g_pp.done, memory_order_relaxed) + 1;

	atomic_store_explicit(&g_pp.done, d, memory_order_relaxed);
	if (d < g_pp.rounds) {
		while (sio_thread_send_msg(atomic_load_explicit(&g_pp.b, memory_order_relaxed),
					   pp_ping, NULL) != 0)
			relax();
	}
}

static int pp_a(void *arg)
{
	struct sio_thread *self = sio_thread_get_current();

	pin(g_cpu_a);
	atomic_store(&g_pp.a, self);
	while (atomic_load(&g_pp.b) == NULL || !atomic_load(&g_pp.go))
		relax();
	sio_thread_send_msg(atomic_load(&g_pp.b), pp_ping, NULL);
	while (atomic_load_explicit(&g_pp.done, memory_order_relaxed) < g_pp.rounds)
		sio_thread_poll(self, 0);
	return 0;
}

static int pp_b(void *arg)
{
	struct sio_thread *self = sio_thread_get_current();

	pin(g_cpu_b);
	atomic_store(&g_pp.b, self);
	while (atomic_load_explicit(&g_pp.done, memory_order_relaxed) < g_pp.rounds)
		sio_thread_poll(self, 0);
	return 0;
}

static void bench_latency(uint64_t rounds)
{
	struct sio_os_thread *a, *b;
	uint64_t t0, t1;

	memset(&g_pp, 0, sizeof(g_pp));
	g_pp.rounds = rounds;
	sio_os_thread_spawn("pp-b", pp_b, NULL, &b);
	sio_os_thread_spawn("pp-a", pp_a, NULL, &a);
	while (atomic_load(&g_pp.a) == NULL || atomic_load(&g_pp.b) == NULL)
		usleep(100);
	t0 = sio_get_ticks();
	atomic_store(&g_pp.go, true);
	sio_os_thread_join(a, NULL);
	t1 = sio_get_ticks();
	sio_os_thread_join(b, NULL);
	printf("ping-pong cpu%u <-> cpu%u: %llu round trips, %.0f ns round trip, one-way %.0f ns\n",
	       g_cpu_a, g_cpu_b, (unsigned long long)rounds, secs(t1 - t0) * 1e9 / rounds,
	       secs(t1 - t0) * 1e9 / rounds / 2);
}

/* ---- poller dispatch ---- */

static int busy_poller(void *ctx)
{
	(*(uint64_t *)ctx)++;
	return SIO_POLLER_BUSY;
}

static void bench_pollers(unsigned int npollers, uint64_t polls)
{
	struct sio_poller *p[64];
	struct sio_thread *t = sio_thread_get_current();
	uint64_t calls = 0, t0, t1, empty0, empty1;

	/* Baseline: a poll with nothing registered. */
	empty0 = sio_get_ticks();
	for (uint64_t i = 0; i < polls; i++)
		sio_thread_poll(t, 0);
	empty1 = sio_get_ticks();

	for (unsigned int i = 0; i < npollers; i++)
		p[i] = sio_poller_register(busy_poller, &calls, 0);
	t0 = sio_get_ticks();
	for (uint64_t i = 0; i < polls; i++)
		sio_thread_poll(t, 0);
	t1 = sio_get_ticks();
	for (unsigned int i = 0; i < npollers; i++)
		sio_poller_unregister(&p[i]);
	if (calls != polls * npollers)
		fprintf(stderr, "poller count mismatch: %llu\n", (unsigned long long)calls);
	printf("pollers: %2u per poll: %.1f ns per poll, %.1f ns per poller call "
	       "(%.1f ns marginal, empty poll %.1f ns)\n",
	       npollers, secs(t1 - t0) * 1e9 / polls, secs(t1 - t0) * 1e9 / calls,
	       (secs(t1 - t0) - secs(empty1 - empty0)) * 1e9 / calls,
	       secs(empty1 - empty0) * 1e9 / polls);
}

static void self_msg(void *ctx)
{
	(*(uint64_t *)ctx)++;
}

static void bench_self_msgs(uint64_t n)
{
	struct sio_thread *t = sio_thread_get_current();
	uint64_t count = 0, t0, t1;

	t0 = sio_get_ticks();
	for (uint64_t i = 0; i < n; i += 32) {
		for (int j = 0; j < 32; j++)
			sio_thread_send_msg(t, self_msg, &count);
		sio_thread_poll(t, 0);
	}
	t1 = sio_get_ticks();
	printf("messages to self (send 32, poll): %.1f ns per send+run\n",
	       secs(t1 - t0) * 1e9 / count);
}

static void usage(const char *prog)
{
	printf("usage: %s [-n messages] [-r round-trips] [-p polls]\n"
	       "Cross-thread message throughput and latency between two pinned OS threads,\n"
	       "and poller dispatch cost.\n", prog);
}

int main(int argc, char **argv)
{
	uint64_t n = 20000000, rounds = 1000000, polls = 2000000;
	struct sio_thread *self;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:p:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			polls = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n == 0 || rounds == 0 || polls == 0) {
		usage(argv[0]);
		return 2;
	}
	g_cpu_a = 0;
	g_cpu_b = sio_cpu_count() > 1 ? 1 : 0;
	printf("bench_thread: %u cpus, tick %llu Hz\n", sio_cpu_count(),
	       (unsigned long long)sio_get_ticks_hz());

	bench_throughput(n);
	bench_latency(rounds);

	self = sio_thread_attach("bench");
	pin(g_cpu_a);
	bench_self_msgs(n / 4);
	bench_pollers(1, polls);
	bench_pollers(8, polls);
	bench_pollers(32, polls / 4);
	sio_thread_exit(self);
	sio_thread_poll(self, 0);
	sio_thread_destroy(self);
	return 0;
}
