/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/env.h"

static void test_opts_defaults(void **state)
{
	struct sio_env_opts o;

	memset(&o, 0xff, sizeof(o));
	sio_env_opts_init(&o, sizeof(o));
	assert_int_equal(o.opts_size, sizeof(o));
	assert_string_equal(o.name, "spdk-io");
	assert_string_equal(o.core_mask, "0x1");
	assert_int_equal(o.mem_size_mb, 0);
	assert_false(o.hugepages);
	assert_true(o.no_pci);
	assert_int_equal(o.main_core, -1);
	sio_env_opts_init(NULL, sizeof(o)); /* harmless */
}

/* A caller built against an older, smaller struct: nothing past its size
 * is written, and init uses defaults for the fields it does not know. */
static void test_opts_small_caller(void **state)
{
	size_t small = offsetof(struct sio_env_opts, mem_size_mb);
	union {
		struct sio_env_opts o;
		unsigned char raw[sizeof(struct sio_env_opts)];
	} u;

	memset(&u, 0xee, sizeof(u));
	sio_env_opts_init(&u.o, small);
	assert_int_equal(u.o.opts_size, small);
	assert_string_equal(u.o.core_mask, "0x1");
	for (size_t i = small; i < sizeof(u); i++)
		assert_int_equal(u.raw[i], 0xee);
	/* the garbage beyond opts_size is never read */
	assert_int_equal(sio_env_init(&u.o), 0);
	assert_false(sio_env_uses_hugepages());
	assert_int_equal(sio_env_get_main_core(), 0);
	assert_int_equal(sio_env_fini(), 0);
}

static void test_init_fini(void **state)
{
	struct sio_env_opts o;
	struct sio_cpuset set;

	assert_false(sio_env_is_initialized());
	assert_int_equal(sio_env_fini(), -EINVAL);
	assert_int_equal(sio_env_get_main_core(), -EINVAL);
	assert_int_equal(sio_env_get_core_mask(&set), -EINVAL);

	sio_env_opts_init(&o, sizeof(o));
	o.core_mask = "[0-1]";
	o.main_core = 1;
	assert_int_equal(sio_env_init(&o), 0);
	assert_true(sio_env_is_initialized());
	assert_int_equal(sio_env_init(&o), -EALREADY);
	assert_int_equal(sio_env_init(NULL), -EALREADY);
	assert_int_equal(sio_env_get_main_core(), 1);
	assert_int_equal(sio_env_get_core_mask(&set), 0);
	assert_int_equal(sio_cpuset_count(&set), 2);
	assert_int_equal(sio_env_get_core_mask(NULL), -EINVAL);
	assert_int_equal(sio_env_fini(), 0);
	assert_false(sio_env_is_initialized());
	assert_int_equal(sio_env_fini(), -EINVAL);

	/* NULL opts: defaults */
	assert_int_equal(sio_env_init(NULL), 0);
	assert_int_equal(sio_env_get_main_core(), 0);
	assert_int_equal(sio_env_fini(), 0);
}

static void test_init_bad(void **state)
{
	static const char *const masks[] = {"", "0x", "[3-1]", "[0,", "zz", "0x0", "[1024]"};
	struct sio_env_opts o;

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		sio_env_opts_init(&o, sizeof(o));
		o.core_mask = masks[i];
		assert_int_equal(sio_env_init(&o), -EINVAL);
		assert_false(sio_env_is_initialized());
	}
	sio_env_opts_init(&o, sizeof(o));
	o.core_mask = NULL;
	assert_int_equal(sio_env_init(&o), -EINVAL);

	sio_env_opts_init(&o, sizeof(o));
	o.core_mask = "0x5";
	o.main_core = 1; /* not in the mask */
	assert_int_equal(sio_env_init(&o), -EINVAL);
	o.main_core = 5000;
	assert_int_equal(sio_env_init(&o), -EINVAL);
	o.main_core = 2;
	assert_int_equal(sio_env_init(&o), 0);
	assert_int_equal(sio_env_fini(), 0);

	sio_env_opts_init(&o, sizeof(o));
	o.opts_size = 0;
	assert_int_equal(sio_env_init(&o), -EINVAL);
	o.opts_size = 1u << 20;
	assert_int_equal(sio_env_init(&o), -EINVAL);
	assert_false(sio_env_is_initialized());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_defaults),
		cmocka_unit_test(test_opts_small_caller),
		cmocka_unit_test(test_init_fini),
		cmocka_unit_test(test_init_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
