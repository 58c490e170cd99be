/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_env: costs of the env layer's hot paths.
 *
 *   mempool get+put on a warm per-thread cache      (ns per pair)
 *   ring enqueue+dequeue on one thread, burst 1/32  (ns per item)
 *   dma lookup                                      (ns per call)
 *   SPSC / MPSC ring between two OS threads pinned to cores 0 and 1
 *                                                   (items per second)
 *
 * Usage: bench_env [seconds per cross-thread case, default 1, split over 7 runs]
 *
 * Single-thread figures print the minimum and median of 7 runs, cross-thread
 * ones the maximum and median: on a shared machine the best run is the cost
 * without interference, the median shows how much interference moved it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "spdk_io/env.h"

#define REPS 7

static double ns_per(uint64_t ticks, uint64_t ops)
{
	return (double)sio_ticks_to_ns(ticks) / (double)ops;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Minimum and median of REPS runs: on a shared machine the minimum is the
 * uncontended cost, the median shows how much preemption moved it. */
static void report(const char *what, const char *unit, double v[REPS])
{
	qsort(v, REPS, sizeof(v[0]), cmp_double);
	printf("%-34s min %7.2f  median %7.2f %s\n", what, v[0], v[REPS / 2], unit);
}

/* The same loop over a pool with and without a per-thread cache: the gap is what
 * the cache saves over the lock. */
static void bench_get_put(struct sio_mempool *mp, uint64_t iters, const char *what)
{
	double v[REPS];
	uint64_t t0;
	void *o;

	for (int r = 0; r < REPS; r++) {
		t0 = sio_get_ticks();
		for (uint64_t i = 0; i < iters; i++) {
			o = sio_mempool_get(mp);
			__asm__ __volatile__("" : : "r"(o) : "memory");
			sio_mempool_put(mp, o);
		}
		v[r] = ns_per(sio_get_ticks() - t0, iters);
	}
	report(what, "ns/pair", v);
}

static void bench_mempool(void)
{
	struct sio_mempool *mp = sio_mempool_create("bench", 4096, 64, 256, false);
	const uint64_t iters = 2000000;
	void *objs[32];
	double v[REPS];
	uint64_t t0;

	/* warm the cache */
	for (int i = 0; i < 1000; i++)
		sio_mempool_put(mp, sio_mempool_get(mp));
	bench_get_put(mp, iters, "mempool get+put, cached");

	for (int r = 0; r < REPS; r++) {
		t0 = sio_get_ticks();
		for (uint64_t i = 0; i < iters / 32; i++) {
			sio_mempool_get_bulk(mp, objs, 32);
			__asm__ __volatile__("" : : "r"(objs) : "memory");
			sio_mempool_put_bulk(mp, objs, 32);
		}
		v[r] = ns_per(sio_get_ticks() - t0, iters / 32 * 32);
	}
	report("mempool get_bulk+put_bulk 32", "ns/object", v);
	sio_mempool_destroy(mp);

	mp = sio_mempool_create("bench-nocache", 4096, 64, 0, false);
	bench_get_put(mp, iters, "mempool get+put, no cache (lock)");
	sio_mempool_destroy(mp);
}

static void bench_ring_single(enum sio_ring_type type, const char *name)
{
	struct sio_ring *r = sio_ring_create(type, 1024);
	const uint64_t items = 4000000;
	void *objs[32];
	double v[REPS];
	char what[64];
	uint64_t t0;

	for (int i = 0; i < 32; i++)
		objs[i] = &objs[i];
	for (unsigned int burst = 1; burst <= 32; burst *= 32) {
		for (int rep = 0; rep < REPS; rep++) {
			t0 = sio_get_ticks();
			for (uint64_t i = 0; i < items / burst; i++) {
				sio_ring_enqueue(r, objs, burst);
				sio_ring_dequeue(r, objs, burst);
			}
			v[rep] = ns_per(sio_get_ticks() - t0, items / burst * burst);
		}
		snprintf(what, sizeof(what), "ring %s enq+deq, burst %u", name, burst);
		report(what, "ns/item", v);
	}
	sio_ring_destroy(r);
}

static void bench_dma_lookup(void)
{
	void *bufs[64];
	struct sio_dma_region reg;
	const uint64_t iters = 1000000;
	double v[REPS];
	uint64_t t0;

	for (int i = 0; i < 64; i++)
		bufs[i] = sio_dma_malloc(4096, 0);
	for (int r = 0; r < REPS; r++) {
		t0 = sio_get_ticks();
		for (uint64_t i = 0; i < iters; i++)
			sio_dma_lookup((char *)bufs[i & 63] + 100, &reg);
		v[r] = ns_per(sio_get_ticks() - t0, iters);
	}
	report("dma lookup, 64 regions", "ns/call", v);
	for (int i = 0; i < 64; i++)
		sio_dma_free(bufs[i]);
}

struct xthread {
	struct sio_ring *r;
	unsigned int burst;
	unsigned int cpu;
	atomic_bool stop;
	atomic_bool ready;
	uint64_t produced;
};

static void *xproducer(void *arg)
{
	struct xthread *x = arg;
	void *objs[32];
	uint64_t n = 0;

	if (sio_cpu_pin_current(x->cpu) != 0)
		fprintf(stderr, "note: could not pin producer to core %u\n", x->cpu);
	for (int i = 0; i < 32; i++)
		objs[i] = &objs[i];
	atomic_store(&x->ready, true);
	while (!atomic_load_explicit(&x->stop, memory_order_relaxed))
		n += sio_ring_enqueue(x->r, objs, x->burst);
	x->produced = n;
	return NULL;
}

/* Items per second through @type with one producer (core 0) and this
 * thread consuming (core 1), for @seconds. */
static double cross_once(enum sio_ring_type type, unsigned int burst, double seconds)
{
	struct xthread x = {.burst = burst, .cpu = 0};
	uint64_t got = 0, t0, dur, elapsed;
	void *objs[32];
	pthread_t th;

	x.r = sio_ring_create(type, 4096);
	pthread_create(&th, NULL, xproducer, &x);
	while (!atomic_load(&x.ready))
		;
	dur = (uint64_t)(seconds * (double)sio_get_ticks_hz());
	t0 = sio_get_ticks();
	while (sio_get_ticks() - t0 < dur) {
		for (int k = 0; k < 64; k++)
			got += sio_ring_dequeue(x.r, objs, 32);
	}
	elapsed = sio_get_ticks() - t0;
	atomic_store(&x.stop, true);
	pthread_join(th, NULL);
	sio_ring_destroy(x.r);
	return (double)got / ((double)sio_ticks_to_ns(elapsed) / 1e9);
}

static void bench_cross(enum sio_ring_type type, const char *name, unsigned int burst,
			double seconds)
{
	double v[REPS];
	char what[64];

	if (sio_cpu_pin_current(sio_cpu_count() > 1 ? 1 : 0) != 0)
		fprintf(stderr, "note: could not pin consumer to core 1\n");
	for (int r = 0; r < REPS; r++)
		v[r] = cross_once(type, burst, seconds / REPS) / 1e6;
	/* Higher is better here: report the best run and the median. */
	qsort(v, REPS, sizeof(v[0]), cmp_double);
	snprintf(what, sizeof(what), "ring %s cross-thread, burst %u", name, burst);
	printf("%-34s max %7.2f  median %7.2f Mitems/s\n", what, v[REPS - 1], v[REPS / 2]);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;

	if (seconds <= 0)
		seconds = 1.0;
	printf("bench_env: %u CPUs, ticks %s at %.3f MHz\n", sio_cpu_count(),
	       sio_ticks_are_tsc() ? "TSC" : "CLOCK_MONOTONIC ns", (double)sio_get_ticks_hz() / 1e6);
	bench_mempool();
	bench_ring_single(SIO_RING_SP_SC, "SPSC");
	bench_ring_single(SIO_RING_MP_SC, "MPSC");
	bench_dma_lookup();
	for (unsigned int b = 1; b <= 32; b *= 32) {
		bench_cross(SIO_RING_SP_SC, "SPSC", b, seconds);
		bench_cross(SIO_RING_MP_SC, "MPSC", b, seconds);
	}
	return 0;
}
