/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hugepage path. Needs free 2 MiB hugepages: as root the test reserves
 * some through /proc/sys/vm/nr_hugepages and restores the old value at exit;
 * otherwise, or when the kernel will not give any, it skips (exit 77).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spdk_io/env.h"

#define NR_PATH "/proc/sys/vm/nr_hugepages"
#define WANT_FREE 4 /* pages: the 4 MiB reservation below */

static long g_saved_nr = -1;

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -errno;
	rc = fprintf(f, "%ld\n", v) > 0 ? 0 : -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static long free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void restore_nr(void)
{
	if (g_saved_nr >= 0)
		write_long(NR_PATH, g_saved_nr);
}

static void test_hugepage_alloc(void **state)
{
	struct sio_env_opts o;
	struct sio_dma_region r;
	char *small, *big;

	sio_env_opts_init(&o, sizeof(o));
	o.hugepages = true;
	o.mem_size_mb = 4;
	assert_int_equal(sio_env_init(&o), 0);
	assert_true(sio_env_uses_hugepages());

	small = sio_dma_malloc(1000, 0);
	assert_non_null(small);
	memset(small, 0x5a, 1000);
	assert_int_equal(sio_dma_lookup(small + 500, &r), 0);
	assert_ptr_equal(r.base, small);
	assert_true(r.hugepage);

	/* bigger than the reservation's free space: a new hugepage chunk if
	 * the kernel has one, else plain memory; either way correct bounds */
	big = sio_dma_malloc(3u << 20, 2u << 20);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % (2u << 20), 0);
	memset(big, 1, 3u << 20);
	assert_int_equal(sio_dma_lookup(big + (3u << 20) - 1, &r), 0);
	assert_ptr_equal(r.base, big);

	sio_dma_free(small);
	sio_dma_free(big);
	assert_int_equal(sio_env_fini(), 0);
	assert_false(sio_env_uses_hugepages());
}

/* Asking for more than the machine has fails init with -ENOMEM. */
static void test_reservation_too_big(void **state)
{
	struct sio_env_opts o;

	sio_env_opts_init(&o, sizeof(o));
	o.hugepages = true;
	o.mem_size_mb = 1u << 20; /* 1 TiB */
	assert_int_equal(sio_env_init(&o), -ENOMEM);
	assert_false(sio_env_is_initialized());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugepage_alloc),
		cmocka_unit_test(test_reservation_too_big),
	};
	long nr = read_long(NR_PATH), fr = free_hugepages();

	if (fr < WANT_FREE) {
		if (geteuid() != 0 || nr < 0) {
			printf("SKIP: %ld free hugepages, need %d; not root, cannot reserve more\n",
			       fr, WANT_FREE);
			return 77;
		}
		g_saved_nr = nr;
		atexit(restore_nr);
		/* +1: the test's second allocation may take one more page */
		if (write_long(NR_PATH, nr + WANT_FREE + 2 - (fr > 0 ? fr : 0)) != 0 ||
		    free_hugepages() < WANT_FREE) {
			printf("SKIP: could not reserve %d hugepages via %s (free now %ld)\n",
			       WANT_FREE, NR_PATH, free_hugepages());
			return 77;
		}
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
