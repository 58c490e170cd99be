/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/env.h"

static struct sio_cpuset parse_ok(const char *s)
{
	struct sio_cpuset set;

	if (sio_cpuset_parse(&set, s) != 0)
		fail_msg("parse of '%s' failed", s);
	return set;
}

static void expect_cores(const char *s, const int *cores, int n)
{
	struct sio_cpuset set = parse_ok(s);
	int c = -1;

	assert_int_equal(sio_cpuset_count(&set), n);
	for (int i = 0; i < n; i++) {
		c = sio_cpuset_next(&set, c);
		assert_int_equal(c, cores[i]);
	}
	assert_int_equal(sio_cpuset_next(&set, c), -1);
}

static void test_parse_forms(void **state)
{
	expect_cores("0x3", (int[]){0, 1}, 2);
	expect_cores("0X3", (int[]){0, 1}, 2);
	expect_cores("3", (int[]){0, 1}, 2);
	expect_cores("ff", (int[]){0, 1, 2, 3, 4, 5, 6, 7}, 8);
	expect_cores("0x10", (int[]){4}, 1);
	expect_cores("0x0", (int[]){0}, 0);
	expect_cores("[0,2-3]", (int[]){0, 2, 3}, 3);
	expect_cores("0-3", (int[]){0, 1, 2, 3}, 4);
	expect_cores("1,4", (int[]){1, 4}, 2);
	expect_cores("[5]", (int[]){5}, 1);
	expect_cores(" [ 1 , 3 - 4 ] ", (int[]){1, 3, 4}, 3);
	expect_cores("[1023]", (int[]){1023}, 1);
	expect_cores("[2,2,1-2]", (int[]){1, 2}, 2);
	/* a 256-digit hex mask covers exactly cores 0..1023 */
	char big[2 + 256 + 1] = "0x8";
	memset(big + 3, '0', 255);
	big[258] = '\0';
	expect_cores(big, (int[]){1023}, 1);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "   ", "0x", "[3-1]", "[0,", "zz", "[]", "[", "]", "0x1g", "1-", "-1",
		"[1024]", "0-1024", "[99999999999999999999]", "[0,,1]", "[0-1-2]", "0x3]",
		"[a]", "1,", ",1", "0x-1",
	};
	struct sio_cpuset set, orig;

	sio_cpuset_zero(&orig);
	sio_cpuset_set(&orig, 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set = orig;
		if (sio_cpuset_parse(&set, bad[i]) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		/* @set untouched on error */
		assert_true(sio_cpuset_equal(&set, &orig));
	}
	/* hex mask with a bit beyond SIO_CPUSET_MAX */
	char big[2 + 257 + 1] = "0x1";
	memset(big + 3, '0', 256);
	big[259] = '\0';
	assert_int_equal(sio_cpuset_parse(&set, big), -EINVAL);
	/* leading zeros are fine even beyond the limit */
	memset(big + 2, '0', 256);
	big[258] = '1';
	assert_int_equal(sio_cpuset_parse(&set, big), 0);
	assert_int_equal(sio_cpuset_parse(NULL, "0x1"), -EINVAL);
	assert_int_equal(sio_cpuset_parse(&set, NULL), -EINVAL);
}

static void test_set_ops(void **state)
{
	struct sio_cpuset a, b;

	sio_cpuset_zero(&a);
	sio_cpuset_zero(&b);
	assert_true(sio_cpuset_equal(&a, &b));
	sio_cpuset_set(&a, 0);
	sio_cpuset_set(&a, 63);
	sio_cpuset_set(&a, 64);
	sio_cpuset_set(&a, SIO_CPUSET_MAX - 1);
	sio_cpuset_set(&a, SIO_CPUSET_MAX); /* out of range: ignored */
	assert_int_equal(sio_cpuset_count(&a), 4);
	assert_true(sio_cpuset_is_set(&a, 63));
	assert_false(sio_cpuset_is_set(&a, 62));
	assert_false(sio_cpuset_is_set(&a, SIO_CPUSET_MAX));
	assert_int_equal(sio_cpuset_next(&a, -1), 0);
	assert_int_equal(sio_cpuset_next(&a, 0), 63);
	assert_int_equal(sio_cpuset_next(&a, 63), 64);
	assert_int_equal(sio_cpuset_next(&a, 64), SIO_CPUSET_MAX - 1);
	assert_int_equal(sio_cpuset_next(&a, SIO_CPUSET_MAX - 1), -1);
	assert_int_equal(sio_cpuset_next(&a, 5000), -1);
	assert_false(sio_cpuset_equal(&a, &b));
	sio_cpuset_clear(&a, 63);
	assert_false(sio_cpuset_is_set(&a, 63));
	sio_cpuset_clear(&a, SIO_CPUSET_MAX + 5);
	assert_int_equal(sio_cpuset_count(&a), 3);
	/* NULL is harmless */
	sio_cpuset_zero(NULL);
	sio_cpuset_set(NULL, 1);
	sio_cpuset_clear(NULL, 1);
	assert_false(sio_cpuset_is_set(NULL, 1));
	assert_int_equal(sio_cpuset_count(NULL), 0);
	assert_int_equal(sio_cpuset_next(NULL, -1), -1);
	assert_true(sio_cpuset_equal(NULL, NULL));
	assert_false(sio_cpuset_equal(&a, NULL));
}

static void test_format(void **state)
{
	struct sio_cpuset set;
	char buf[300];

	sio_cpuset_zero(&set);
	assert_int_equal(sio_cpuset_format(&set, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "0x0");
	assert_int_equal(sio_cpuset_format_list(&set, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "[]");

	set = parse_ok("[0,2-3,8,10-12]");
	assert_int_equal(sio_cpuset_format(&set, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "0x1d0d");
	assert_int_equal(sio_cpuset_format_list(&set, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "[0,2-3,8,10-12]");
	/* round trips */
	struct sio_cpuset back = parse_ok(buf);
	assert_true(sio_cpuset_equal(&set, &back));
	sio_cpuset_format(&set, buf, sizeof(buf));
	back = parse_ok(buf);
	assert_true(sio_cpuset_equal(&set, &back));

	set = parse_ok("[1023]");
	assert_int_equal(sio_cpuset_format(&set, buf, sizeof(buf)), 258);
	assert_int_equal(buf[2], '8');

	/* too small: -ENOSPC, never an overflow */
	set = parse_ok("0x1d0d");
	assert_int_equal(sio_cpuset_format(&set, buf, 6), -ENOSPC);
	assert_int_equal(sio_cpuset_format(&set, buf, 7), 6);
	assert_int_equal(sio_cpuset_format_list(&set, buf, 15), -ENOSPC);
	assert_int_equal(sio_cpuset_format_list(&set, buf, 16), 15);
	assert_int_equal(sio_cpuset_format_list(&set, buf, 2), -ENOSPC);
	assert_int_equal(sio_cpuset_format(NULL, buf, 10), -EINVAL);
	assert_int_equal(sio_cpuset_format(&set, NULL, 10), -EINVAL);
	assert_int_equal(sio_cpuset_format_list(NULL, buf, 10), -EINVAL);
}

static void test_cpu_queries(void **state)
{
	unsigned int n = sio_cpu_count();
	cpu_set_t saved;
	int cur;

	assert_true(n >= 1);
	cur = sio_cpu_current();
	assert_true(cur >= 0);
	assert_int_equal(sio_cpu_pin_current(SIO_CPUSET_MAX * 64), -EINVAL);
	assert_int_equal(sio_cpu_pin_current(100000), -EINVAL);

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	for (unsigned int c = 0; c < n && c < 4; c++) {
		if (!CPU_ISSET(c, &saved))
			continue;
		assert_int_equal(sio_cpu_pin_current(c), 0);
		/* pinned: the kernel moves us before the call returns */
		assert_int_equal(sio_cpu_current(), (int)c);
	}
	sched_setaffinity(0, sizeof(saved), &saved);
}

/* Cores this machine lacks: the first is named, none for a mask of core 0. */
static void test_first_absent(void **state)
{
	unsigned int n = sio_cpu_count();
	struct sio_cpuset s;

	assert_int_equal(sio_cpuset_parse(&s, "0x1"), 0);
	assert_int_equal(sio_cpuset_first_absent(&s), -1);
	sio_cpuset_set(&s, n);
	sio_cpuset_set(&s, n + 2);
	assert_int_equal(sio_cpuset_first_absent(&s), (int)n);
	assert_int_equal(sio_cpuset_first_absent(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_set_ops),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_cpu_queries),
		cmocka_unit_test(test_first_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
