/* SPDX-License-Identifier: BSD-3-Clause */
/* DMA allocator on plain memory (no hugepages): allocation, lookup, free. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "asan_check.h"

struct captured {
	int errors;
};

static void capture_sink(enum sio_log_level level, const char *component, const char *msg,
			 void *ctx)
{
	struct captured *c = ctx;

	if (level == SIO_LOG_ERROR)
		c->errors++;
}

static void test_bad_args(void **state)
{
	errno = 0;
	assert_null(sio_dma_malloc(0, 64));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_dma_malloc(100, 48)); /* not a power of two */
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_dma_zmalloc(100, 3));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_dma_malloc(SIZE_MAX, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_dma_malloc(64, 1ul << 30)); /* alignment beyond 2 MiB */
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(sio_dma_buf_alloc(0, 0));
	assert_int_equal(errno, EINVAL);
	sio_dma_free(NULL);
	sio_dma_buf_free(NULL);
	assert_null(sio_dma_buf_data(NULL));
	assert_int_equal(sio_dma_buf_len(NULL), 0);
	struct sio_dma_region r;
	assert_int_equal(sio_dma_lookup(NULL, &r), -EINVAL);
	assert_int_equal(sio_dma_lookup(&r, NULL), -EINVAL);
}

static void test_alloc_align_lookup(void **state)
{
	static const size_t sizes[] = {1, 63, 64, 100, 4096, 5000, 65536, 3u << 20};
	static const size_t aligns[] = {0, 1, 64, 512, 4096, 1u << 20};
	void *bufs[sizeof(sizes) / sizeof(sizes[0])][sizeof(aligns) / sizeof(aligns[0])];
	struct sio_dma_region r;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			size_t a = aligns[j] < 64 ? 64 : aligns[j];
			unsigned char *p = sio_dma_malloc(sizes[i], aligns[j]);

			assert_non_null(p);
			assert_int_equal((uintptr_t)p % a, 0);
			memset(p, (int)(i * 7 + j), sizes[i]);
			bufs[i][j] = p;
			/* start, interior and last byte map to the allocation */
			for (size_t off = 0; off < sizes[i]; off += sizes[i] / 3 + 1) {
				assert_int_equal(sio_dma_lookup(p + off, &r), 0);
				assert_ptr_equal(r.base, p);
				assert_int_equal(r.len, sizes[i]);
				assert_int_equal(r.iova, (uint64_t)(uintptr_t)p);
				assert_false(r.hugepage);
			}
			assert_int_equal(sio_dma_lookup(p + sizes[i] - 1, &r), 0);
			assert_ptr_equal(r.base, p);
		}
	}
	/* no overlap: every buffer still holds its own pattern */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			unsigned char *p = bufs[i][j];

			for (size_t k = 0; k < sizes[i]; k += 61)
				assert_int_equal(p[k], (unsigned char)(i * 7 + j));
			assert_int_equal(p[sizes[i] - 1], (unsigned char)(i * 7 + j));
		}
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			sio_dma_free(bufs[i][j]);
			assert_int_equal(sio_dma_lookup(bufs[i][j], &r), -ENOENT);
		}
	}
}

static void test_lookup_exterior(void **state)
{
	struct sio_dma_region r;
	int on_stack;
	char *a = sio_dma_malloc(100, 0);
	char *b = sio_dma_malloc(100, 0);
	char *heap = malloc(16);

	assert_int_equal(sio_dma_lookup(&on_stack, &r), -ENOENT);
	assert_int_equal(sio_dma_lookup(heap, &r), -ENOENT);
	/* one past the end is outside (the 64-byte padding is not the buffer) */
	assert_int_equal(sio_dma_lookup(a + 100, &r), -ENOENT);
	/* the byte before may belong to a neighbour, never to a */
	if (sio_dma_lookup(a - 1, &r) == 0)
		assert_ptr_not_equal(r.base, a);
	assert_int_equal(sio_dma_lookup(b, &r), 0);
	assert_ptr_equal(r.base, b);
	sio_dma_free(a);
	sio_dma_free(b);
	free(heap);
}

static void test_free_foreign(void **state)
{
	struct captured c = {0};
	char local[64];
	char *p = sio_dma_malloc(256, 0);
	struct sio_dma_region r;

	sio_log_set_sink(capture_sink, &c);
	sio_dma_free(local);     /* not DMA memory at all */
	assert_int_equal(c.errors, 1);
	sio_dma_free(p + 64);    /* interior pointer */
	assert_int_equal(c.errors, 2);
	/* p is still alive and intact */
	assert_int_equal(sio_dma_lookup(p, &r), 0);
	memset(p, 1, 256);
	sio_dma_free(p);
	assert_int_equal(c.errors, 2);
	sio_dma_free(p);         /* double free: logged, ignored */
	assert_int_equal(c.errors, 3);
	sio_log_set_sink(NULL, NULL);
}

static void test_zmalloc_after_reuse(void **state)
{
	for (int i = 0; i < 20; i++) {
		unsigned char *p = sio_dma_malloc(4096, 0);

		memset(p, 0xab, 4096);
		sio_dma_free(p);
		p = sio_dma_zmalloc(4096, 0);
		for (int k = 0; k < 4096; k++)
			assert_int_equal(p[k], 0);
		sio_dma_free(p);
	}
}

/* Random alloc/free churn; lookups always agree with a shadow list. */
static void test_churn(void **state)
{
	enum { N = 300 };
	void *live[N] = {0};
	size_t len[N] = {0};
	struct sio_dma_region r;
	unsigned int seed = 12345;

	for (int it = 0; it < 5000; it++) {
		int i = rand_r(&seed) % N;

		if (live[i]) {
			sio_dma_free(live[i]);
			assert_int_equal(sio_dma_lookup(live[i], &r), -ENOENT);
			live[i] = NULL;
		} else {
			len[i] = 1 + (size_t)(rand_r(&seed) % 20000);
			live[i] = sio_dma_malloc(len[i], (size_t)1 << (rand_r(&seed) % 13));
			assert_non_null(live[i]);
			((char *)live[i])[len[i] - 1] = (char)i;
		}
		int k = rand_r(&seed) % N;
		if (live[k]) {
			assert_int_equal(sio_dma_lookup((char *)live[k] + len[k] / 2, &r), 0);
			assert_ptr_equal(r.base, live[k]);
			assert_int_equal(((char *)live[k])[len[k] - 1], (char)k);
		}
	}
	for (int i = 0; i < N; i++)
		sio_dma_free(live[i]);
}

static void test_dma_buf(void **state)
{
	struct sio_dma_buf *b = sio_dma_buf_alloc(1000, 512);
	struct sio_dma_buf *z = sio_dma_buf_alloc_zeroed(777, 0);
	struct sio_dma_region r;

	assert_non_null(b);
	assert_non_null(z);
	assert_int_equal(sio_dma_buf_len(b), 1000);
	assert_int_equal((uintptr_t)sio_dma_buf_data(b) % 512, 0);
	memset(sio_dma_buf_data(b), 7, 1000);
	assert_int_equal(sio_dma_lookup((char *)sio_dma_buf_data(b) + 999, &r), 0);
	assert_int_equal(sio_dma_buf_len(z), 777);
	for (int i = 0; i < 777; i++)
		assert_int_equal(((unsigned char *)sio_dma_buf_data(z))[i], 0);
	errno = 0;
	assert_null(sio_dma_buf_alloc(10, 3));
	assert_int_equal(errno, EINVAL);
	sio_dma_buf_free(b);
	sio_dma_buf_free(z);
}

/* Under ASan, the rounding past the size and freed memory are poisoned. */
static void test_asan_poison(void **state)
{
#ifdef TEST_ASAN
	char *p = sio_dma_malloc(100, 0);
	char *z = sio_dma_zmalloc(64, 0);

	assert_false(IS_POISONED(p));
	assert_false(IS_POISONED(p + 99));
	assert_true(IS_POISONED(p + 100));
	assert_false(IS_POISONED(z + 63));
	sio_dma_free(p);
	assert_true(IS_POISONED(p));
	sio_dma_free(z);
#else
	print_message("poisoning is checked only under ASan (TEST_ASAN): skipped\n");
	skip();
#endif
}

/* With the env initialised without hugepages, memory is plain. */
static void test_plain_env(void **state)
{
	struct sio_env_opts o;
	struct sio_dma_region r;
	void *p;

	sio_env_opts_init(&o, sizeof(o));
	o.hugepages = false;
	assert_int_equal(sio_env_init(&o), 0);
	assert_false(sio_env_uses_hugepages());
	p = sio_dma_malloc(1 << 20, 4096);
	assert_non_null(p);
	assert_int_equal(sio_dma_lookup((char *)p + 12345, &r), 0);
	assert_false(r.hugepage);
	sio_dma_free(p);
	assert_int_equal(sio_env_fini(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_alloc_align_lookup),
		cmocka_unit_test(test_lookup_exterior),
		cmocka_unit_test(test_free_foreign),
		cmocka_unit_test(test_zmalloc_after_reuse),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_dma_buf),
		cmocka_unit_test(test_asan_poison),
		cmocka_unit_test(test_plain_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
