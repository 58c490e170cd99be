/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "asan_check.h"

struct captured {
	int errors;
	char msg[256];
};

static void capture_sink(enum sio_log_level level, const char *component, const char *msg,
			 void *ctx)
{
	struct captured *c = ctx;

	if (level == SIO_LOG_ERROR)
		c->errors++;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void test_create_bad(void **state)
{
	errno = 0;
	assert_null(sio_mempool_create("x", 0, 8, 0, false));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_mempool_create("x", 8, 0, 0, false));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_mempool_create(NULL, 8, 8, 0, false));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_mempool_create("x", SIZE_MAX / 8, 4096, 0, false));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_mempool_create("x", 8, 8, 100000, false));
	assert_int_equal(errno, EINVAL);
	sio_mempool_destroy(NULL);
	assert_null(sio_mempool_get(NULL));
	assert_int_equal(sio_mempool_get_bulk(NULL, NULL, 1), -EINVAL);
	sio_mempool_put(NULL, NULL);
	assert_int_equal(sio_mempool_count(NULL), 0);
	assert_int_equal(sio_mempool_in_use(NULL), 0);
	assert_int_equal(sio_mempool_obj_size(NULL), 0);
}

static void pool_roundtrip(size_t cache)
{
	struct sio_mempool *mp = sio_mempool_create("rt", 100, 100, cache, false);
	void *objs[100];

	assert_non_null(mp);
	assert_int_equal(sio_mempool_obj_size(mp), 100);
	assert_int_equal(sio_mempool_capacity(mp), 100);
	assert_int_equal(sio_mempool_count(mp), 100);
	assert_int_equal(sio_mempool_in_use(mp), 0);
	for (int i = 0; i < 100; i++) {
		objs[i] = sio_mempool_get(mp);
		assert_non_null(objs[i]);
		assert_int_equal((uintptr_t)objs[i] % 64, 0);
		/* the whole element is writable */
		memset(objs[i], i, 100);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(objs[i], objs[j]);
	}
	assert_int_equal(sio_mempool_in_use(mp), 100);
	assert_int_equal(sio_mempool_count(mp), 0);
	errno = 0;
	assert_null(sio_mempool_get(mp));
	assert_int_equal(errno, ENOMEM);
	for (int i = 0; i < 100; i++) {
		/* nobody scribbled over another element */
		assert_int_equal(((unsigned char *)objs[i])[99], (unsigned char)i);
		sio_mempool_put(mp, objs[i]);
	}
	assert_int_equal(sio_mempool_in_use(mp), 0);
	assert_int_equal(sio_mempool_count(mp), 100);
	sio_mempool_destroy(mp);
}

static void test_roundtrip_nocache(void **state)
{
	pool_roundtrip(0);
}

static void test_roundtrip_cache(void **state)
{
	pool_roundtrip(8);
	pool_roundtrip(1);
	pool_roundtrip(SIO_MEMPOOL_CACHE_DEFAULT);
}

static void test_bulk_all_or_none(void **state)
{
	struct sio_mempool *mp = sio_mempool_create("bulk", 64, 32, 16, false);
	void *a[64], *b[64];

	assert_non_null(mp);
	assert_int_equal(sio_mempool_get_bulk(mp, a, 0), 0);
	assert_int_equal(sio_mempool_get_bulk(mp, NULL, 3), -EINVAL);
	assert_int_equal(sio_mempool_get_bulk(mp, a, 65), -ENOMEM);
	assert_int_equal(sio_mempool_in_use(mp), 0);
	assert_int_equal(sio_mempool_get_bulk(mp, a, 40), 0);
	assert_int_equal(sio_mempool_in_use(mp), 40);
	/* 24 left: asking for 25 takes nothing */
	assert_int_equal(sio_mempool_get_bulk(mp, b, 25), -ENOMEM);
	assert_int_equal(sio_mempool_in_use(mp), 40);
	assert_int_equal(sio_mempool_get_bulk(mp, b, 24), 0);
	assert_int_equal(sio_mempool_in_use(mp), 64);
	for (int i = 0; i < 40; i++)
		for (int j = 0; j < 24; j++)
			assert_ptr_not_equal(a[i], b[j]);
	sio_mempool_put_bulk(mp, a, 40);
	sio_mempool_put_bulk(mp, b, 24);
	assert_int_equal(sio_mempool_count(mp), 64);
	/* bulk served from the cache after puts filled it */
	assert_int_equal(sio_mempool_get_bulk(mp, a, 4), 0);
	sio_mempool_put_bulk(mp, a, 4);
	assert_int_equal(sio_mempool_in_use(mp), 0);
	sio_mempool_destroy(mp);
}

static void test_foreign_put_and_leak(void **state)
{
	struct sio_mempool *mp = sio_mempool_create("leaky", 8, 64, 4, false);
	struct captured c = {0};
	char outside[128];
	void *o;

	sio_log_set_sink(capture_sink, &c);
	o = sio_mempool_get(mp);
	/* a pointer that is not an object of the pool: logged, ignored */
	sio_mempool_put(mp, outside);
	assert_int_equal(c.errors, 1);
	sio_mempool_put(mp, (char *)o + 8); /* interior pointer */
	assert_int_equal(c.errors, 2);
	assert_int_equal(sio_mempool_in_use(mp), 1);
	/* destroy with one object out reports the leak */
	sio_mempool_destroy(mp);
	assert_int_equal(c.errors, 3);
	assert_non_null(strstr(c.msg, "1 of 8"));
	sio_log_set_sink(NULL, NULL);
}

static void test_double_put_bounded(void **state)
{
	struct sio_mempool *mp = sio_mempool_create("dbl", 4, 64, 0, false);
	struct captured c = {0};
	void *o;

	sio_log_set_sink(capture_sink, &c);
	o = sio_mempool_get(mp);
	sio_mempool_put(mp, o);
	sio_mempool_put(mp, o); /* would overflow the stock */
	assert_int_equal(c.errors, 1);
	assert_int_equal(sio_mempool_count(mp), 4);
	sio_mempool_destroy(mp);
	sio_log_set_sink(NULL, NULL);
}

/* put_bulk validates each object, skips NULLs, with and without a cache. */
static void test_put_bulk_checks(void **state)
{
	for (size_t cache = 0; cache <= 4; cache += 4) {
		struct sio_mempool *mp = sio_mempool_create("pb", 16, 64, cache, false);
		struct captured c = {0};
		char outside[64];
		void *objs[6];

		sio_log_set_sink(capture_sink, &c);
		assert_int_equal(sio_mempool_get_bulk(mp, objs, 4), 0);
		objs[4] = NULL;
		objs[5] = outside;
		assert_int_equal(sio_mempool_in_use(mp), 4);
		sio_mempool_put_bulk(mp, objs, 6);
		assert_int_equal(c.errors, 1);
		assert_int_equal(sio_mempool_in_use(mp), 0);
		assert_int_equal(sio_mempool_count(mp), 16);
		sio_mempool_put_bulk(mp, NULL, 3);
		sio_mempool_put_bulk(NULL, objs, 3);
		sio_mempool_destroy(mp);
		sio_log_set_sink(NULL, NULL);
	}
}

/* Under ASan, objects in the pool are poisoned: a use after put is caught. */
static void test_asan_poison(void **state)
{
#ifdef TEST_ASAN
	for (size_t cache = 0; cache <= 8; cache += 8) {
		struct sio_mempool *mp = sio_mempool_create("asan", 8, 100, cache, false);
		char *o = sio_mempool_get(mp);
		void *b[3];

		assert_false(IS_POISONED(o));
		assert_false(IS_POISONED(o + 99));
		assert_true(IS_POISONED(o + 100)); /* stride padding */
		sio_mempool_put(mp, o);
		assert_true(IS_POISONED(o));
		assert_int_equal(sio_mempool_get_bulk(mp, b, 3), 0);
		for (int i = 0; i < 3; i++)
			assert_false(IS_POISONED(b[i]));
		sio_mempool_put_bulk(mp, b, 3);
		for (int i = 0; i < 3; i++)
			assert_true(IS_POISONED(b[i]));
		sio_mempool_destroy(mp);
	}
#else
	print_message("poisoning is checked only under ASan (TEST_ASAN): skipped\n");
	skip();
#endif
}

static void test_dma_pool(void **state)
{
	struct sio_mempool *mp = sio_mempool_create("dma", 16, 512, 4, true);
	struct sio_dma_region reg;
	void *o;

	assert_non_null(mp);
	o = sio_mempool_get(mp);
	assert_non_null(o);
	assert_int_equal(sio_dma_lookup((char *)o + 100, &reg), 0);
	assert_true((char *)reg.base <= (char *)o);
	sio_mempool_put(mp, o);
	sio_mempool_destroy(mp);
	assert_int_equal(sio_dma_lookup(o, &reg), -ENOENT);
}

/* Objects cached by a thread that exits go back to the shared stock. */
static void *take_and_return(void *arg)
{
	struct sio_mempool *mp = arg;
	void *o[10];

	for (int i = 0; i < 10; i++)
		o[i] = sio_mempool_get(mp);
	for (int i = 0; i < 10; i++)
		sio_mempool_put(mp, o[i]);
	return NULL;
}

static void test_thread_exit_flushes_cache(void **state)
{
	struct sio_mempool *mp = sio_mempool_create("exit", 32, 64, 16, false);
	void *all[32];
	pthread_t th;

	pthread_create(&th, NULL, take_and_return, mp);
	pthread_join(th, NULL);
	assert_int_equal(sio_mempool_count(mp), 32);
	/* every object is reachable again from this thread */
	assert_int_equal(sio_mempool_get_bulk(mp, all, 32), 0);
	sio_mempool_put_bulk(mp, all, 32);
	sio_mempool_destroy(mp);
}

/* A new pool may reuse a destroyed pool's slot: stale caches are not used. */
static void test_slot_reuse(void **state)
{
	for (int i = 0; i < 50; i++) {
		struct sio_mempool *a = sio_mempool_create("a", 8, 64, 4, false);
		void *o = sio_mempool_get(a);

		sio_mempool_put(a, o);
		sio_mempool_destroy(a);
		struct sio_mempool *b = sio_mempool_create("b", 8, 64, 4, false);

		o = sio_mempool_get(b);
		assert_non_null(o);
		assert_int_equal(sio_mempool_in_use(b), 1);
		sio_mempool_put(b, o);
		assert_int_equal(sio_mempool_in_use(b), 0);
		sio_mempool_destroy(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad),
		cmocka_unit_test(test_roundtrip_nocache),
		cmocka_unit_test(test_roundtrip_cache),
		cmocka_unit_test(test_bulk_all_or_none),
		cmocka_unit_test(test_foreign_put_and_leak),
		cmocka_unit_test(test_double_put_bounded),
		cmocka_unit_test(test_put_bulk_checks),
		cmocka_unit_test(test_asan_poison),
		cmocka_unit_test(test_dma_pool),
		cmocka_unit_test(test_thread_exit_flushes_cache),
		cmocka_unit_test(test_slot_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
