/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "env/env_internal.h" /* env_ring_set_claim_hook() */
#include "spdk_io/env.h"

#define P(x) ((void *)(uintptr_t)(x))

static void test_create_bad(void **state)
{
	errno = 0;
	assert_null(sio_ring_create(SIO_RING_SP_SC, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_ring_create((enum sio_ring_type)7, 8));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_ring_create(SIO_RING_MP_SC, SIZE_MAX));
	assert_int_equal(errno, EINVAL);
	sio_ring_destroy(NULL);
	assert_int_equal(sio_ring_count(NULL), 0);
	assert_int_equal(sio_ring_capacity(NULL), 0);
	assert_int_equal(sio_ring_enqueue(NULL, (void *const[]){P(1)}, 1), 0);
}

static void test_capacity_rounding(void **state)
{
	struct sio_ring *r = sio_ring_create(SIO_RING_SP_SC, 5);

	assert_non_null(r);
	assert_int_equal(sio_ring_capacity(r), 8);
	sio_ring_destroy(r);
	r = sio_ring_create(SIO_RING_MP_SC, 1);
	assert_int_equal(sio_ring_capacity(r), 1);
	sio_ring_destroy(r);
	r = sio_ring_create(SIO_RING_MP_SC, 64);
	assert_int_equal(sio_ring_capacity(r), 64);
	sio_ring_destroy(r);
}

static void ring_basic(enum sio_ring_type type)
{
	struct sio_ring *r = sio_ring_create(type, 8);
	void *in[12], *out[12];

	for (int i = 0; i < 12; i++)
		in[i] = P(i + 1);
	assert_int_equal(sio_ring_count(r), 0);
	assert_int_equal(sio_ring_dequeue(r, out, 4), 0);
	/* partial enqueue when full: returns the count taken */
	assert_int_equal(sio_ring_enqueue(r, in, 12), 8);
	assert_int_equal(sio_ring_count(r), 8);
	assert_int_equal(sio_ring_enqueue(r, in, 1), 0);
	assert_int_equal(sio_ring_dequeue(r, out, 3), 3);
	assert_ptr_equal(out[0], P(1));
	assert_ptr_equal(out[2], P(3));
	assert_int_equal(sio_ring_count(r), 5);
	/* wrap around the end of the slot array, many times */
	for (int round = 0; round < 1000; round++) {
		size_t n = sio_ring_enqueue(r, &in[(round % 4)], 3);

		assert_int_equal(n, 3);
		n = sio_ring_dequeue(r, out, 3);
		assert_int_equal(n, 3);
		assert_int_equal(sio_ring_count(r), 5);
	}
	assert_int_equal(sio_ring_dequeue(r, out, 12), 5);
	assert_int_equal(sio_ring_count(r), 0);
	assert_int_equal(sio_ring_enqueue(r, in, 0), 0);
	assert_int_equal(sio_ring_dequeue(r, out, 0), 0);
	assert_int_equal(sio_ring_enqueue(r, NULL, 3), 0);
	assert_int_equal(sio_ring_dequeue(r, NULL, 3), 0);
	sio_ring_destroy(r);
}

static void test_spsc_basic(void **state)
{
	ring_basic(SIO_RING_SP_SC);
}

static void test_mpsc_basic(void **state)
{
	ring_basic(SIO_RING_MP_SC);
}

/* FIFO order holds across wrap-around, one item at a time. */
static void test_fifo_order(void **state)
{
	for (int t = 0; t < 2; t++) {
		struct sio_ring *r = sio_ring_create(t ? SIO_RING_MP_SC : SIO_RING_SP_SC, 4);
		uintptr_t next_in = 1, next_out = 1;
		void *o;

		for (int i = 0; i < 10000; i++) {
			void *x = P(next_in);

			if (sio_ring_enqueue(r, &x, 1) == 1)
				next_in++;
			if (i % 3 == 0 && sio_ring_dequeue(r, &o, 1) == 1)
				assert_ptr_equal(o, P(next_out++));
		}
		while (sio_ring_dequeue(r, &o, 1) == 1)
			assert_ptr_equal(o, P(next_out++));
		assert_int_equal(next_in, next_out);
		sio_ring_destroy(r);
	}
}

static struct sio_ring *g_hook_ring;
static int g_hook_runs;

/* Runs inside the producer between claim and publish: the slot is counted
 * but not ready. */
static void check_unpublished(void *arg)
{
	(void)arg;
	g_hook_runs++;
	assert_int_equal(sio_ring_count(g_hook_ring), 1);
	assert_false(sio_ring_ready(g_hook_ring));
}

/* sio_ring_ready(): an entry the next dequeue returns, and only that. */
static void test_ready(void **state)
{
	for (int t = 0; t < 2; t++) {
		enum sio_ring_type type = t ? SIO_RING_MP_SC : SIO_RING_SP_SC;
		struct sio_ring *r = sio_ring_create(type, 4);
		void *x = P(7), *o;

		(void)state;
		assert_false(sio_ring_ready(r));
		for (int i = 0; i < 9; i++) { /* around the slot array twice */
			assert_int_equal(sio_ring_enqueue(r, &x, 1), 1);
			assert_true(sio_ring_ready(r));
			assert_int_equal(sio_ring_dequeue(r, &o, 1), 1);
			assert_false(sio_ring_ready(r));
		}
		sio_ring_destroy(r);
	}
	assert_false(sio_ring_ready(NULL));

	/* MP_SC: a producer between claim and publish. */
	g_hook_ring = sio_ring_create(SIO_RING_MP_SC, 4);
	env_ring_set_claim_hook(g_hook_ring, check_unpublished, NULL);
	{
		void *x = P(9), *o = NULL;

		assert_int_equal(sio_ring_enqueue(g_hook_ring, &x, 1), 1);
		assert_int_equal(g_hook_runs, 1);
		assert_true(sio_ring_ready(g_hook_ring));
		assert_int_equal(sio_ring_dequeue(g_hook_ring, &o, 1), 1);
		assert_ptr_equal(o, P(9));
	}
	sio_ring_destroy(g_hook_ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad),
		cmocka_unit_test(test_capacity_rounding),
		cmocka_unit_test(test_spsc_basic),
		cmocka_unit_test(test_mpsc_basic),
		cmocka_unit_test(test_fifo_order),
		cmocka_unit_test(test_ready),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
