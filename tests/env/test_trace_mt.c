/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tracepoint rings under real concurrency: several OS threads record into
 * small rings that wrap hundreds of times while a reader thread copies them
 * out through the reader API over its own read-only mapping (as another
 * process would). Every word of a record is derived from its index, so a
 * torn copy (words of two different laps) cannot pass the check. Run under
 * ThreadSanitizer too (suite tsan).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spdk_io/env.h"
#include "spdk_io/trace.h"
#include "stress_scale.h"

#define WRITERS 4
#define RING_ENTRIES 256

static char g_dir[64];
static atomic_int g_writers_left;
/* Writers stay alive until all are done: an exited thread's ring would go to
 * the next thread to start, and continue its indices. */
static pthread_barrier_t g_done;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

static void *writer(void *arg)
{
	uint64_t w = (uint64_t)(uintptr_t)arg;
	uint64_t n = 400000 / STRESS_DIVISOR;

	for (uint64_t i = 0; i < n; i++)
		SIO_TRACE(SIO_TP_BDEV_IO_START, w, i, mix(i), mix(i + w), mix(i) ^ w);
	atomic_fetch_sub(&g_writers_left, 1);
	pthread_barrier_wait(&g_done);
	return NULL;
}

struct reader_stats {
	uint64_t good, lost, passes;
	int torn;
};

static void check_ring(struct sio_trace_reader *r, uint32_t ring, struct reader_stats *st,
		       struct sio_trace_entry *buf)
{
	struct sio_trace_ring_info ri;
	uint64_t skipped;
	int64_t n;

	/* From the oldest record still in the ring: what is skipped now was
	 * overwritten while we copied. */
	assert_int_equal(sio_trace_reader_ring(r, ring, &ri), 0);
	n = sio_trace_reader_read(r, ring, ri.first, buf, RING_ENTRIES, &skipped);

	assert_true(n >= 0);
	st->lost += skipped;
	for (int64_t i = 0; i < n; i++) {
		const struct sio_trace_entry *e = &buf[i];
		uint64_t idx = e->object_id, w = e->owner_id;

		/* This ring's writer writes record k at index k. */
		if (e->index != idx || e->tpoint_id != SIO_TP_BDEV_IO_START || w >= WRITERS ||
		    e->args[0] != mix(idx) || e->args[1] != mix(idx + w) ||
		    e->args[2] != (mix(idx) ^ w) || (i > 0 && e->index <= buf[i - 1].index)) {
			fprintf(stderr, "torn or out of order: ring %u index %llu object %llu\n",
				ring, (unsigned long long)e->index, (unsigned long long)idx);
			st->torn++;
		}
		st->good++;
	}
}

static void test_concurrent_writers_and_reader(void **state)
{
	struct sio_trace_opts o;
	struct sio_trace_reader *r;
	struct sio_trace_entry *buf = calloc(RING_ENTRIES, sizeof(*buf));
	struct reader_stats st = {0};
	pthread_t th[WRITERS];
	char path[256];

	(void)state;
	assert_non_null(buf);
	sio_trace_opts_init(&o, sizeof(o));
	o.name = "test_trace_mt";
	o.shm_dir = g_dir;
	o.entries_per_ring = RING_ENTRIES;
	o.max_rings = WRITERS;
	assert_int_equal(sio_trace_init(&o), 0);
	assert_int_equal(sio_trace_enable_groups("bdev"), 0);
	snprintf(path, sizeof(path), "%s", sio_trace_shm_path());
	assert_int_equal(sio_trace_reader_open(path, &r), 0);

	atomic_store(&g_writers_left, WRITERS);
	pthread_barrier_init(&g_done, NULL, WRITERS);
	for (uintptr_t w = 0; w < WRITERS; w++)
		assert_int_equal(pthread_create(&th[w], NULL, writer, (void *)w), 0);
	/* Read while they write: every ring, over and over. */
	while (atomic_load(&g_writers_left) > 0) {
		for (uint32_t i = 0; i < sio_trace_reader_ring_count(r); i++)
			check_ring(r, i, &st, buf);
		st.passes++;
	}
	for (int w = 0; w < WRITERS; w++)
		pthread_join(th[w], NULL);
	pthread_barrier_destroy(&g_done);
	/* Quiet now: each ring holds exactly its last RING_ENTRIES records. */
	assert_int_equal(sio_trace_reader_ring_count(r), WRITERS);
	for (uint32_t i = 0; i < WRITERS; i++) {
		struct sio_trace_ring_info ri;
		uint64_t before = st.good;

		assert_int_equal(sio_trace_reader_ring(r, i, &ri), 0);
		assert_int_equal(ri.head, 400000 / STRESS_DIVISOR);
		check_ring(r, i, &st, buf);
		assert_int_equal(st.good - before, RING_ENTRIES);
	}
	printf("reader: %llu passes, %llu records checked, %llu overwritten while copied, 0 torn\n",
	       (unsigned long long)st.passes, (unsigned long long)st.good,
	       (unsigned long long)st.lost);
	assert_int_equal(st.torn, 0);
	sio_trace_reader_close(r);
	sio_trace_fini();
	unlink(path);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_writers_and_reader),
	};
	int rc;

	snprintf(g_dir, sizeof(g_dir), "/tmp/sio_trace_mt.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(g_dir);
	return rc;
}
