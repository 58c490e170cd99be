/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tracepoint rings, one thread: masks and SPDK's -e syntax, the file's
 * creation (lazily, at the first enabled tracepoint) and its removal or
 * keeping at fini, records read back through the reader API, wrap-around,
 * trace_clear, registration, and a reader refusing what is not a trace file.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "spdk_io/trace.h"

static char g_dir[64];

static void init_small(uint32_t entries)
{
	struct sio_trace_opts o;

	sio_trace_opts_init(&o, sizeof(o));
	o.name = "test_trace";
	o.shm_dir = g_dir;
	o.entries_per_ring = entries;
	o.max_rings = 4;
	assert_int_equal(sio_trace_init(&o), 0);
}

static void test_groups_and_masks(void **state)
{
	(void)state;
	init_small(64);
	assert_int_equal(sio_trace_group_id("bdev"), 3);
	assert_int_equal(sio_trace_group_id("nvmf_tcp"), 5);
	assert_int_equal(sio_trace_group_id("thread"), 0xA);
	assert_int_equal(sio_trace_group_id("nvme_pcie"), 0xB);
	assert_int_equal(sio_trace_group_id("nope"), -ENOENT);
	assert_string_equal(sio_trace_group_name(0xD), "nvme_tcp");
	assert_null(sio_trace_group_name(0));
	assert_false(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_START));
	assert_int_equal(sio_trace_get_group_mask(), 0);
	/* Nothing enabled: no file yet. */
	assert_int_equal(access(sio_trace_shm_path(), F_OK), -1);

	/* SPDK's -e forms; a bad item applies nothing. */
	assert_int_equal(sio_trace_enable_groups("bdev,nope"), -EINVAL);
	assert_int_equal(sio_trace_enable_groups("bdev:zz"), -EINVAL);
	assert_int_equal(sio_trace_enable_groups(""), -EINVAL);
	assert_int_equal(sio_trace_get_group_mask(), 0);
	assert_int_equal(sio_trace_enable_groups("0x8"), 0);
	assert_true(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_START));
	assert_int_equal(sio_trace_get_tpoint_mask(3), UINT64_MAX);
	assert_int_equal(access(sio_trace_shm_path(), F_OK), 0);
	assert_int_equal(sio_trace_enable_groups("nvmf_tcp:0x1,0x400:2"), 0);
	assert_int_equal(sio_trace_get_tpoint_mask(5), 1);
	assert_int_equal(sio_trace_get_tpoint_mask(0xA), 2);
	assert_int_equal(sio_trace_get_group_mask(), (1u << 3) | (1u << 5) | (1u << 0xA));
	assert_int_equal(sio_trace_clear_tpoint_mask(3, 1), 0);
	assert_false(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_START));
	assert_true(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_DONE));
	assert_int_equal(sio_trace_set_tpoint_mask(7, 1), -EINVAL); /* no such group here */
	assert_int_equal(sio_trace_enable_groups("all"), 0);
	assert_int_equal(sio_trace_get_tpoint_mask(0x10), UINT64_MAX); /* blob, SPDK's number */
	assert_int_equal(sio_trace_set_tpoint_mask(0x11, 1), -EINVAL); /* SPDK's bdev_raid: none here */
	/* "0xFFFF" in SPDK's docs enables everything there is. */
	assert_int_equal(sio_trace_enable_groups("0xFFFF"), 0);

	/* No record was written: fini removes the file. */
	sio_trace_fini();
	assert_int_equal(access(sio_trace_shm_path(), F_OK), -1);
	assert_false(sio_trace_tpoint_enabled(SIO_TP_BDEV_IO_DONE));
}

static void test_record_and_read(void **state)
{
	struct sio_trace_reader *r;
	struct sio_trace_ring_info ri;
	struct sio_trace_entry e[128];
	const struct sio_trace_tpoint_info *tp;
	uint64_t skipped;
	char path[256];
	int64_t n;

	(void)state;
	init_small(64);
	/* Disabled: not evaluated, nothing written. */
	SIO_TRACE(SIO_TP_BDEV_IO_START, 1, 2, 3, 4, (abort(), 5));
	assert_int_equal(sio_trace_enable_groups("bdev"), 0);
	snprintf(path, sizeof(path), "%s", sio_trace_shm_path());
	for (uint64_t i = 0; i < 10; i++) {
		SIO_TRACE(SIO_TP_BDEV_IO_START, 7, 100 + i, 0, i * 8, 8);
		SIO_TRACE(SIO_TP_BDEV_IO_DONE, 7, 100 + i, 0, 0, 0);
	}
	assert_int_equal(sio_trace_reader_open(path, &r), 0);
	assert_int_equal(sio_trace_reader_pid(r), getpid());
	assert_string_equal(sio_trace_reader_app_name(r), "test_trace");
	assert_int_equal(sio_trace_reader_tsc_rate(r), sio_get_ticks_hz());
	assert_int_equal(sio_trace_reader_ring_count(r), 1);
	assert_int_equal(sio_trace_reader_ring(r, 0, &ri), 0);
	assert_int_equal(ri.tid, gettid());
	assert_int_equal(ri.head, 20);
	assert_int_equal(ri.first, 0);
	assert_int_equal(sio_trace_reader_ring(r, 1, &ri), -EINVAL);
	tp = sio_trace_reader_tpoint(r, SIO_TP_BDEV_IO_START);
	assert_non_null(tp);
	assert_string_equal(tp->name, "BDEV_IO_START");
	assert_int_equal(tp->kind, SIO_TRACE_START);
	assert_string_equal(tp->arg_names[1], "offset_blocks");
	n = sio_trace_reader_read(r, 0, 0, e, 128, &skipped);
	assert_int_equal(n, 20);
	assert_int_equal(skipped, 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(e[i].index, i);
		assert_int_equal(e[i].tpoint_id, i % 2 ? SIO_TP_BDEV_IO_DONE : SIO_TP_BDEV_IO_START);
		assert_int_equal(e[i].object_id, 100 + i / 2);
		assert_int_equal(e[i].owner_id, 7);
		if (i > 0)
			assert_true(e[i].tsc >= e[i - 1].tsc);
	}
	assert_int_equal(e[2].args[1], 8);
	/* From an index on. */
	assert_int_equal(sio_trace_reader_read(r, 0, 18, e, 128, NULL), 2);
	assert_int_equal(e[0].index, 18);

	/* Wrap-around: 64 slots, 100 more records; the oldest are reported lost. */
	for (uint64_t i = 0; i < 100; i++)
		SIO_TRACE(SIO_TP_BDEV_IO_DONE, 7, 1000 + i, 0, 0, 0);
	assert_int_equal(sio_trace_reader_ring(r, 0, &ri), 0);
	assert_int_equal(ri.head, 120);
	assert_int_equal(ri.first, 56);
	assert_int_equal(ri.overwritten, 56);
	n = sio_trace_reader_read(r, 0, 0, e, 128, &skipped);
	assert_int_equal(n, 64);
	assert_int_equal(skipped, 56);
	assert_int_equal(e[0].index, 56);
	assert_int_equal(e[63].object_id, 1099);

	/* trace_clear: readers start after the last record. */
	sio_trace_clear();
	assert_int_equal(sio_trace_reader_read(r, 0, 0, e, 128, NULL), 0);
	SIO_TRACE(SIO_TP_BDEV_IO_START, 1, 2, 3, 4, 5);
	assert_int_equal(sio_trace_reader_read(r, 0, 0, e, 128, NULL), 1);
	assert_int_equal(e[0].index, 120);
	sio_trace_reader_close(r);

	/* Records were written: the file stays after fini, and is still readable. */
	sio_trace_fini();
	assert_int_equal(sio_trace_reader_open(path, &r), 0);
	assert_int_equal(sio_trace_reader_read(r, 0, 0, e, 128, NULL), 1);
	sio_trace_reader_close(r);
	assert_int_equal(unlink(path), 0);
}

static void test_reinit_and_register(void **state)
{
	struct sio_trace_tpoint_info info = {
		.id = SIO_TPOINT_ID(SIO_TRACE_GROUP_BDEV, 40),
		.kind = SIO_TRACE_INSTANT,
		.name = "MY_EVENT",
		.owner_type = "app",
		.arg_names = {"x"},
	};
	struct sio_trace_reader *r;
	struct sio_trace_entry e[4];
	char path[256];

	(void)state;
	init_small(64);
	assert_int_equal(sio_trace_register_tpoint(&info), 0);
	assert_int_equal(sio_trace_register_tpoint(&info), -EEXIST);
	info.name[0] = '\0';
	assert_int_equal(sio_trace_register_tpoint(&info), -EINVAL);
	assert_int_equal(sio_trace_set_tpoint_mask(SIO_TRACE_GROUP_BDEV, 1ull << 40), 0);
	assert_int_equal(sio_trace_init(NULL), -EBUSY);
	snprintf(path, sizeof(path), "%s", sio_trace_shm_path());
	/* This thread's ring is from an earlier file: it claims one in this one. */
	SIO_TRACE(SIO_TPOINT_ID(SIO_TRACE_GROUP_BDEV, 40), 1, 0, 42, 0, 0);
	assert_int_equal(sio_trace_reader_open(path, &r), 0);
	assert_string_equal(sio_trace_reader_tpoint(r, info.id)->name, "MY_EVENT");
	assert_int_equal(sio_trace_reader_read(r, 0, 0, e, 4, NULL), 1);
	assert_int_equal(e[0].args[0], 42);
	sio_trace_reader_close(r);
	sio_trace_fini();
	unlink(path);
}

static void test_bad_opts_and_files(void **state)
{
	struct sio_trace_opts o;
	struct sio_trace_reader *r;
	char path[128];
	int fd;

	(void)state;
	sio_trace_opts_init(&o, sizeof(o));
	o.name = "a/b";
	assert_int_equal(sio_trace_init(&o), -EINVAL);
	o.name = "x";
	o.entries_per_ring = 0;
	assert_int_equal(sio_trace_init(&o), -EINVAL);
	assert_int_equal(sio_trace_reader_open("/nonexistent/trace", &r), -ENOENT);
	snprintf(path, sizeof(path), "%s/not_a_trace", g_dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65536), 0);
	close(fd);
	assert_int_equal(sio_trace_reader_open(path, &r), -EINVAL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_and_masks),
		cmocka_unit_test(test_record_and_read),
		cmocka_unit_test(test_reinit_and_register),
		cmocka_unit_test(test_bad_opts_and_files),
	};
	int rc;

	snprintf(g_dir, sizeof(g_dir), "/tmp/sio_trace_test.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(g_dir);
	return rc;
}
