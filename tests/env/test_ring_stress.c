/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real multi-OS-thread stress of the rings: every item carries its producer
 * and sequence number; the consumer checks each producer's items arrive
 * exactly once and in order. Item count scales down under sanitizers via
 * SIO_STRESS_ITEMS. Two tests target preemption: one producer stalled (by the
 * ring's test hook) between claiming and publishing its slots while the
 * others must still enqueue, and many more producers than cores.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "env/env_internal.h"
#include "spdk_io/env.h"
#include "stress_scale.h"

#define MAX_PRODUCERS 16

struct stress {
	struct sio_ring *ring;
	unsigned int producer;
	uint64_t items;
	unsigned int burst;
};

static uint64_t items_per_producer(uint64_t dflt)
{
	const char *s = getenv("SIO_STRESS_ITEMS");

	return s ? strtoull(s, NULL, 10) : dflt / STRESS_DIVISOR;
}

/* Encode producer in the top byte, sequence+1 below (never NULL). */
static void *encode(unsigned int producer, uint64_t seq)
{
	return (void *)(uintptr_t)(((uint64_t)producer << 56) | (seq + 1));
}

static void *producer_fn(void *arg)
{
	struct stress *s = arg;
	void *batch[32];
	uint64_t seq = 0;

	while (seq < s->items) {
		unsigned int n = s->burst;

		if (n > s->items - seq)
			n = (unsigned int)(s->items - seq);
		for (unsigned int i = 0; i < n; i++)
			batch[i] = encode(s->producer, seq + i);
		size_t done = 0;
		while (done < n) {
			size_t k = sio_ring_enqueue(s->ring, batch + done, n - done);

			done += k;
			if (k == 0)
				sched_yield();
		}
		seq += n;
	}
	return NULL;
}

static void run_stress(enum sio_ring_type type, unsigned int producers, uint64_t items,
		       unsigned int burst, size_t ring_size)
{
	struct sio_ring *ring = sio_ring_create(type, ring_size);
	pthread_t th[MAX_PRODUCERS];
	struct stress st[MAX_PRODUCERS];
	uint64_t next[MAX_PRODUCERS] = {0};
	uint64_t total = 0, want = items * producers;
	void *out[64];

	assert_non_null(ring);
	for (unsigned int p = 0; p < producers; p++) {
		st[p] = (struct stress){ring, p, items, burst};
		assert_int_equal(pthread_create(&th[p], NULL, producer_fn, &st[p]), 0);
	}
	while (total < want) {
		size_t n = sio_ring_dequeue(ring, out, 64);

		if (n == 0) {
			sched_yield();
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t v = (uint64_t)(uintptr_t)out[i];
			unsigned int p = (unsigned int)(v >> 56);
			uint64_t seq = (v & ((1ull << 56) - 1)) - 1;

			assert_true(p < producers);
			/* exact order per producer: no loss, no duplicate */
			if (seq != next[p])
				fail_msg("producer %u: got seq %llu, want %llu", p,
					 (unsigned long long)seq, (unsigned long long)next[p]);
			next[p]++;
		}
		total += n;
		assert_true(sio_ring_count(ring) <= sio_ring_capacity(ring));
	}
	for (unsigned int p = 0; p < producers; p++) {
		pthread_join(th[p], NULL);
		assert_int_equal(next[p], items);
	}
	assert_int_equal(sio_ring_dequeue(ring, out, 1), 0);
	assert_int_equal(sio_ring_count(ring), 0);
	sio_ring_destroy(ring);
}

static void test_mpsc_3_producers_burst1(void **state)
{
	run_stress(SIO_RING_MP_SC, 3, items_per_producer(1000000), 1, 1024);
}

static void test_mpsc_2_producers_burst32(void **state)
{
	run_stress(SIO_RING_MP_SC, 2, items_per_producer(2000000), 32, 256);
}

static void test_mpsc_tiny_ring(void **state)
{
	/* a 4-slot ring forces constant full/empty contention */
	run_stress(SIO_RING_MP_SC, 4, items_per_producer(1000000) / 4, 3, 4);
}

static void test_mpsc_oversubscribed(void **state)
{
	/* Eight times more producers than the two cores of CI, a small ring:
	 * producers are preempted in the middle of enqueues all the time. */
	run_stress(SIO_RING_MP_SC, 16, items_per_producer(200000), 5, 64);
}

/* ---- one producer stalled between claim and publish ---- */

static _Thread_local bool tls_staller;
static atomic_bool g_stalled;
static atomic_bool g_release;
static atomic_uint g_done;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Claim hook: the staller's first enqueue sleeps here, its slots claimed
 * and unpublished, until the test releases it. */
static void stall_hook(void *arg)
{
	(void)arg;
	if (!tls_staller || atomic_load(&g_stalled))
		return;
	atomic_store(&g_stalled, true);
	while (!atomic_load(&g_release))
		sleep_ms(1);
}

static void *staller_fn(void *arg)
{
	tls_staller = true;
	producer_fn(arg);
	return NULL;
}

static void *counted_producer_fn(void *arg)
{
	producer_fn(arg);
	atomic_fetch_add(&g_done, 1);
	return NULL;
}

/* Dequeue everything ready, checking per-producer order; returns the count. */
static uint64_t drain_check(struct sio_ring *ring, uint64_t *next, unsigned int producers)
{
	void *out[64];
	uint64_t total = 0;
	size_t n;

	while ((n = sio_ring_dequeue(ring, out, 64)) != 0) {
		for (size_t i = 0; i < n; i++) {
			uint64_t v = (uint64_t)(uintptr_t)out[i];
			unsigned int p = (unsigned int)(v >> 56);
			uint64_t seq = (v & ((1ull << 56) - 1)) - 1;

			assert_true(p < producers);
			if (seq != next[p])
				fail_msg("producer %u: got seq %llu, want %llu", p,
					 (unsigned long long)seq, (unsigned long long)next[p]);
			next[p]++;
		}
		total += n;
	}
	return total;
}

static void test_mpsc_stalled_producer(void **state)
{
	enum { CAP = 1024, FIRST = 10, STALL_BURST = 4, OTHERS = 3, EACH = 200 };
	/* producers: 0 first items, 1 staller, 2..4 others, 5 filler */
	const unsigned int producers = 6;
	struct sio_ring *ring = sio_ring_create(SIO_RING_MP_SC, CAP);
	struct stress first = {ring, 0, FIRST, 3}, staller = {ring, 1, STALL_BURST, STALL_BURST};
	struct stress others[OTHERS];
	pthread_t th_staller, th[OTHERS];
	uint64_t next[6] = {0}, got, filled = 0;
	void *fill;
	int waited;

	assert_non_null(ring);
	atomic_store(&g_stalled, false);
	atomic_store(&g_release, false);
	atomic_store(&g_done, 0);
	env_ring_set_claim_hook(ring, stall_hook, NULL);

	producer_fn(&first);
	assert_int_equal(pthread_create(&th_staller, NULL, staller_fn, &staller), 0);
	while (!atomic_load(&g_stalled))
		sleep_ms(1);

	/* The others must finish while the staller sleeps on its claim. */
	for (unsigned int i = 0; i < OTHERS; i++) {
		others[i] = (struct stress){ring, 2 + i, EACH, 1 + 3 * i};
		assert_int_equal(pthread_create(&th[i], NULL, counted_producer_fn, &others[i]), 0);
	}
	for (waited = 0; atomic_load(&g_done) < OTHERS && waited < 30000; waited++)
		sleep_ms(1);
	if (atomic_load(&g_done) < OTHERS) {
		atomic_store(&g_release, true);
		fail_msg("producers blocked behind a stalled producer (%u of %u done)",
			 atomic_load(&g_done), OTHERS);
	}
	for (unsigned int i = 0; i < OTHERS; i++)
		pthread_join(th[i], NULL);
	assert_true(atomic_load(&g_stalled) && !atomic_load(&g_release));

	/* The consumer gets what precedes the stalled claim, then nothing:
	 * it returns at once rather than wait. */
	got = drain_check(ring, next, producers);
	assert_int_equal(got, FIRST);
	assert_int_equal(next[0], FIRST);
	/* Claimed-but-unpublished slots count (MPSC count is an upper bound). */
	assert_int_equal(sio_ring_count(ring), STALL_BURST + OTHERS * EACH);

	/* Fill the rest: enqueue reports full without blocking. */
	for (;;) {
		fill = encode(5, filled);
		if (sio_ring_enqueue(ring, &fill, 1) == 0)
			break;
		filled++;
	}
	assert_int_equal(filled, CAP - STALL_BURST - OTHERS * EACH);
	assert_int_equal(sio_ring_count(ring), CAP);
	assert_int_equal(drain_check(ring, next, producers), 0);

	/* Release: everything comes out, each producer in its own order. */
	atomic_store(&g_release, true);
	pthread_join(th_staller, NULL);
	got = drain_check(ring, next, producers);
	assert_int_equal(got, CAP);
	assert_int_equal(next[1], STALL_BURST);
	for (unsigned int i = 0; i < OTHERS; i++)
		assert_int_equal(next[2 + i], EACH);
	assert_int_equal(next[5], filled);
	assert_int_equal(sio_ring_count(ring), 0);
	sio_ring_destroy(ring);
}

static void test_spsc(void **state)
{
	run_stress(SIO_RING_SP_SC, 1, items_per_producer(2000000), 8, 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpsc_3_producers_burst1),
		cmocka_unit_test(test_mpsc_2_producers_burst32),
		cmocka_unit_test(test_mpsc_tiny_ring),
		cmocka_unit_test(test_mpsc_oversubscribed),
		cmocka_unit_test(test_mpsc_stalled_producer),
		cmocka_unit_test(test_spsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
