/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "spdk_io/env.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_rate_matches_monotonic(void **state)
{
	uint64_t hz = sio_get_ticks_hz();
	uint64_t t0, t1, n0, n1, us;

	assert_true(hz >= 1000000);
	if (!sio_ticks_are_tsc())
		assert_int_equal(hz, 1000000000ull);
	t0 = sio_get_ticks();
	n0 = mono_ns();
	struct timespec d = {0, 50 * 1000 * 1000};
	nanosleep(&d, NULL);
	t1 = sio_get_ticks();
	n1 = mono_ns();
	assert_true(t1 > t0);
	us = sio_ticks_to_us(t1 - t0);
	/* within 2% of CLOCK_MONOTONIC plus scheduling noise */
	uint64_t ref = (n1 - n0) / 1000;
	assert_true(us + ref / 50 + 200 >= ref);
	assert_true(us <= ref + ref / 50 + 200);
}

static void test_conversions(void **state)
{
	uint64_t hz = sio_get_ticks_hz();

	assert_int_equal(sio_us_to_ticks(1000000), hz);
	assert_int_equal(sio_ticks_to_us(hz), 1000000);
	assert_int_equal(sio_ns_to_ticks(1000000000ull), hz);
	assert_int_equal(sio_ticks_to_ns(hz), 1000000000ull);
	assert_int_equal(sio_ticks_to_us(0), 0);
	/* round trip within one tick */
	uint64_t t = sio_us_to_ticks(12345);
	assert_true(sio_ticks_to_us(t) == 12345 || sio_ticks_to_us(t + 1) == 12345);
	/* no overflow on large values: saturate */
	assert_int_equal(sio_us_to_ticks(UINT64_MAX), UINT64_MAX);
	assert_true(sio_ticks_to_ns(UINT64_MAX / 2) > 0);
}

static void test_monotonic(void **state)
{
	uint64_t prev = sio_get_ticks();

	for (int i = 0; i < 100000; i++) {
		uint64_t now = sio_get_ticks();

		assert_true(now >= prev);
		prev = now;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_matches_monotonic),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
