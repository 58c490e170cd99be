/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real multi-OS-thread stress of the rings: every item carries its producer
 * and sequence number; the consumer checks each producer's items arrive
 * exactly once and in order. Item count scales down under sanitizers via
 * SIO_STRESS_ITEMS.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "stress_scale.h"

#define MAX_PRODUCERS 4

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
		cmocka_unit_test(test_spsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
