/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_dma_lookup() readers on several OS threads while another thread
 * allocates and frees, so the registry is republished all the time. A
 * reader's own allocation must always be found, with the right bounds.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "stress_scale.h"

static atomic_bool g_stop;

struct reader {
	int iters;
	unsigned long found;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	char *mine = sio_dma_malloc(3000, 0);
	struct sio_dma_region r;

	for (int i = 0; i < rd->iters; i++) {
		if (sio_dma_lookup(mine + (i % 3000), &r) != 0 || r.base != mine || r.len != 3000)
			abort();
		rd->found++;
	}
	sio_dma_free(mine);
	return NULL;
}

static void *writer_fn(void *arg)
{
	void *ring[64] = {0};
	unsigned int seed = 7;

	(void)arg;
	for (unsigned int i = 0; !atomic_load(&g_stop); i++) {
		unsigned int k = i % 64;

		sio_dma_free(ring[k]);
		ring[k] = sio_dma_malloc(1 + (size_t)(rand_r(&seed) % 9000), 64);
	}
	for (int k = 0; k < 64; k++)
		sio_dma_free(ring[k]);
	return NULL;
}

static void test_lookup_during_churn(void **state)
{
	const char *env = getenv("SIO_STRESS_ITEMS");
	struct reader rd[2];
	pthread_t rt[2], wt;

	pthread_create(&wt, NULL, writer_fn, NULL);
	for (int i = 0; i < 2; i++) {
		rd[i] = (struct reader){env ? atoi(env) : 300000 / STRESS_DIVISOR, 0};
		pthread_create(&rt[i], NULL, reader_fn, &rd[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);
	atomic_store(&g_stop, true);
	pthread_join(wt, NULL);
	for (int i = 0; i < 2; i++)
		assert_int_equal(rd[i].found, rd[i].iters);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_during_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
