/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_dma_lookup() readers on several OS threads while another thread
 * allocates and frees, so the registry is republished all the time. A
 * reader's own allocation must always be found, with the right bounds, and
 * (under ASan) no reader may touch a registry copy after it was freed:
 * regression test for the one-flip grace period, which freed a copy that a
 * reader with a stale epoch still held.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "stress_scale.h"

static atomic_bool g_stop_readers, g_stop_writer;
static atomic_ulong g_writer_cycles;

struct reader {
	unsigned long lookups;
	unsigned long wrong;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	char *mine = sio_dma_malloc(3000, 0);
	struct sio_dma_region r;

	for (unsigned long i = 0; !atomic_load_explicit(&g_stop_readers, memory_order_relaxed); i++) {
		if (sio_dma_lookup(mine + (i % 3000), &r) != 0 || r.base != mine || r.len != 3000)
			rd->wrong++;
		rd->lookups++;
	}
	sio_dma_free(mine);
	return NULL;
}

static void *writer_fn(void *arg)
{
	void *ring[64] = {0};
	unsigned int seed = 7;

	(void)arg;
	for (unsigned int i = 0; !atomic_load(&g_stop_writer); i++) {
		unsigned int k = i % 64;

		sio_dma_free(ring[k]);
		ring[k] = sio_dma_malloc(1 + (size_t)(rand_r(&seed) % 9000), 64);
		atomic_fetch_add(&g_writer_cycles, 1);
	}
	for (int k = 0; k < 64; k++)
		sio_dma_free(ring[k]);
	return NULL;
}

static void test_lookup_during_churn(void **state)
{
	const char *env = getenv("SIO_STRESS_ITEMS");
	/* each cycle republishes the registry twice (free + malloc) */
	unsigned long cycles = env ? strtoul(env, NULL, 10) / 10 : 50000 / STRESS_DIVISOR;
	struct reader rd[2] = {{0}};
	pthread_t rt[2], wt;

	for (int i = 0; i < 2; i++)
		pthread_create(&rt[i], NULL, reader_fn, &rd[i]);
	pthread_create(&wt, NULL, writer_fn, NULL);
	while (atomic_load(&g_writer_cycles) < cycles) {
		struct timespec ms = {0, 1000000};

		nanosleep(&ms, NULL); /* leave the CPUs to the readers and writer */
	}
	/* readers stop first, while the writer is still republishing */
	atomic_store(&g_stop_readers, true);
	for (int i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);
	atomic_store(&g_stop_writer, true);
	pthread_join(wt, NULL);
	for (int i = 0; i < 2; i++) {
		assert_true(rd[i].lookups > 0);
		assert_int_equal(rd[i].wrong, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_during_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
