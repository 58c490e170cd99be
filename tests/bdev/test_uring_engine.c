/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uring bdev's io_uring engine and the shared backing-file code, against
 * real files: random reads and writes with iovecs checked against a shadow and
 * by pread, several queues on several OS threads, fsync, fallocate, registered
 * buffers, a full queue, and bad input.
 *
 * Run with --direct to use O_DIRECT on a disk file system (exit 77 when the
 * file system refuses it); without, the file lives in /dev/shm and /tmp and is
 * opened buffered.
 */
#include <linux/falloc.h>

#include "bdev/modules/uring/uring_engine.h"
#include "test_aio_uring_engine.h"

static unsigned int g_queue_flags; /* for the shared workload's queues */

/* ---- engine table for the shared workload ---- */

static int eng_init(void **q, int fd, uint32_t depth)
{
	struct bdev_uring_queue *uq = malloc(sizeof(*uq));
	int rc;

	if (uq == NULL)
		return -ENOMEM;
	rc = bdev_uring_queue_init(uq, fd, depth, g_queue_flags);
	if (rc != 0) {
		free(uq);
		return rc;
	}
	*q = uq;
	return 0;
}

static void eng_fini(void *q)
{
	bdev_uring_queue_fini(q);
	free(q);
}

static int eng_rw(void *q, uint32_t slot, int fd, bool write, const struct iovec *iov, int iovcnt,
		  uint64_t off, void *ctx)
{
	return bdev_uring_queue_rw(q, write, iov, iovcnt, off, ctx);
}

static int eng_submit(void *q)
{
	return bdev_uring_queue_submit(q);
}

static uint32_t eng_reap(void *q, void **ctxs, int64_t *res, uint32_t max)
{
	struct bdev_uring_cpl cpl[64];
	uint32_t n, i;

	if (max > 64)
		max = 64;
	n = bdev_uring_queue_reap(q, cpl, max);
	for (i = 0; i < n; i++) {
		ctxs[i] = cpl[i].ctx;
		res[i] = cpl[i].res;
	}
	return n;
}

static const struct tu_engine g_eng = {
	.name = "uring",
	.init = eng_init,
	.fini = eng_fini,
	.rw = eng_rw,
	.submit = eng_submit,
	.reap = eng_reap,
};

/* ---- tests (the shared ones are in test_aio_uring_engine.h) ---- */

/* IOSQE_ASYNC (files without a non-blocking path) gives the same results. */
static void test_random_rw_async_flag(void **state)
{
	struct te_fixture *fx = *state;
	struct tu_job job = te_make_job(fx, 0, TE_FILE_SIZE, 0x5555);

	g_queue_flags = BDEV_URING_QUEUE_ASYNC;
	job.ops_total = 1000;
	assert_int_equal(tu_job_run(&job), 0);
	g_queue_flags = 0;
	assert_int_equal(job.done, job.ops_total);
	assert_true(tu_file_matches(fx->path, fx->shadow, TE_FILE_SIZE));
}

/* Queue one op, submit, spin until its completion; returns the result. */
static int32_t run_one(struct bdev_uring_queue *q, void *ctx)
{
	struct bdev_uring_cpl cpl;

	assert_int_equal(bdev_uring_queue_submit(q), 1);
	while (bdev_uring_queue_reap(q, &cpl, 1) == 0)
		;
	assert_ptr_equal(cpl.ctx, ctx);
	assert_false(bdev_uring_queue_busy(q));
	return cpl.res;
}

static void test_fsync_and_fallocate(void **state)
{
	struct te_fixture *fx = *state;
	struct bdev_uring_queue q;
	uint32_t bs = fx->f.block_size;
	uint8_t *buf = malloc(4 * bs);
	int mode;

	assert_int_equal(bdev_uring_queue_init(&q, fx->f.fd, 8, 0), 0);
	assert_int_equal(bdev_uring_queue_fsync(&q, &q), 0);
	assert_int_equal(run_one(&q, &q), 0);

	/* Unmap blocks 10..13, then write-zeroes blocks 20..23: both read back as zeroes. */
	mode = bdev_file_fallocate_mode(&fx->f, false);
	assert_true(mode > 0);
	assert_int_equal(bdev_uring_queue_fallocate(&q, mode, 10ull * bs, 4ull * bs, buf), 0);
	assert_int_equal(run_one(&q, buf), 0);
	mode = bdev_file_fallocate_mode(&fx->f, true);
	assert_true(mode > 0);
	assert_int_equal(bdev_uring_queue_fallocate(&q, mode, 20ull * bs, 4ull * bs, buf), 0);
	assert_int_equal(run_one(&q, buf), 0);
	memset(fx->shadow + 10ull * bs, 0, 4ull * bs);
	memset(fx->shadow + 20ull * bs, 0, 4ull * bs);
	assert_true(tu_file_matches(fx->path, fx->shadow, TE_FILE_SIZE));
	bdev_uring_queue_fini(&q);
	free(buf);
}

static void test_registered_buffers(void **state)
{
	struct te_fixture *fx = *state;
	struct bdev_uring_queue q;
	size_t len = 1 << 20;
	uint8_t *region = NULL;
	struct iovec reg, iov;

	assert_int_equal(posix_memalign((void **)&region, 4096, len), 0);
	assert_int_equal(bdev_uring_queue_init(&q, fx->f.fd, 8, 0), 0);
	reg.iov_base = region;
	reg.iov_len = len;
	assert_int_equal(bdev_uring_queue_register_buffers(&q, &reg, 1), 0);

	/* A write then a read of 64 KiB inside the registered region (fixed opcodes). */
	tu_pattern(region + 8192, 65536, 1 << 20, 77);
	iov.iov_base = region + 8192;
	iov.iov_len = 65536;
	assert_int_equal(bdev_uring_queue_rw(&q, true, &iov, 1, 1 << 20, &iov), 0);
	assert_int_equal(run_one(&q, &iov), 65536);
	memcpy(fx->shadow + (1 << 20), region + 8192, 65536);
	memset(region, 0, len);
	iov.iov_base = region + 65536;
	assert_int_equal(bdev_uring_queue_rw(&q, false, &iov, 1, 1 << 20, &iov), 0);
	assert_int_equal(run_one(&q, &iov), 65536);
	assert_memory_equal(region + 65536, fx->shadow + (1 << 20), 65536);

	/* Registration needs an idle queue. */
	assert_int_equal(bdev_uring_queue_rw(&q, false, &iov, 1, 0, &iov), 0);
	assert_int_equal(bdev_uring_queue_register_buffers(&q, &reg, 1), -EBUSY);
	assert_int_equal(run_one(&q, &iov), 65536);
	assert_int_equal(bdev_uring_queue_register_buffers(&q, NULL, 0), 0);
	bdev_uring_queue_fini(&q);
	free(region);
	assert_true(tu_file_matches(fx->path, fx->shadow, TE_FILE_SIZE));
}

static void test_queue_full_and_bad_args(void **state)
{
	struct te_fixture *fx = *state;
	struct bdev_uring_queue q;
	struct bdev_uring_cpl cpl[4];
	uint8_t *buf = NULL;
	struct iovec iov;
	uint32_t got = 0;
	int i;

	assert_int_equal(posix_memalign((void **)&buf, 4096, 4 * 4096), 0);
	assert_int_equal(bdev_uring_queue_init(&q, -1, 4, 0), -EINVAL);
	assert_int_equal(bdev_uring_queue_init(&q, fx->f.fd, 0, 0), -EINVAL);
	assert_int_equal(bdev_uring_queue_init(&q, fx->f.fd, 100000, 0), -EINVAL);
	assert_int_equal(bdev_uring_queue_init(&q, fx->f.fd, 4, 0), 0);
	assert_int_equal(bdev_uring_queue_rw(&q, false, NULL, 1, 0, NULL), -EINVAL);
	for (i = 0; i < 4; i++) {
		iov.iov_base = buf + i * 4096;
		iov.iov_len = 4096;
		assert_int_equal(bdev_uring_queue_rw(&q, false, &iov, 1, (uint64_t)i * 4096, buf), 0);
	}
	assert_int_equal(bdev_uring_queue_free_slots(&q), 0);
	assert_int_equal(bdev_uring_queue_rw(&q, false, &iov, 1, 0, buf), -EAGAIN);
	assert_int_equal(bdev_uring_queue_fsync(&q, buf), -EAGAIN);
	/* One submit call takes the whole batch. */
	assert_int_equal(bdev_uring_queue_submit(&q), 4);
	while (got < 4)
		got += bdev_uring_queue_reap(&q, cpl, 4 - got);
	assert_false(bdev_uring_queue_busy(&q));
	assert_memory_equal(buf, fx->shadow, 4 * 4096);

	/* A misaligned O_DIRECT read fails cleanly with -EINVAL in its completion. */
	if (fx->f.direct) {
		iov.iov_base = buf + 1;
		iov.iov_len = 4096;
		assert_int_equal(bdev_uring_queue_rw(&q, false, &iov, 1, 0, buf), 0);
		assert_int_equal(run_one(&q, buf), -EINVAL);
	}
	/* Reading past the end returns 0 bytes: the module range-checks before this. */
	iov.iov_base = buf;
	iov.iov_len = 4096;
	assert_int_equal(bdev_uring_queue_rw(&q, false, &iov, 1, TE_FILE_SIZE, buf), 0);
	assert_int_equal(run_one(&q, buf), 0);
	bdev_uring_queue_fini(&q);
	free(buf);
}

static void test_open_errors(void **state)
{
	struct bdev_file f;
	char err[256], path[256];
	int fd;

	err[0] = '\0';
	assert_int_equal(bdev_file_open(&f, "/nonexistent/sio_no_such_file", 0, 0, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot open /nonexistent/sio_no_such_file"));
	assert_int_equal(f.fd, -1);

	assert_int_equal(bdev_file_open(&f, "/tmp", 0, 0, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "cannot open /tmp"));
	/* Read-only, a directory opens: the type check must catch it. */
	assert_int_equal(bdev_file_open(&f, "/tmp", BDEV_FILE_READONLY, 0, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "neither a regular file nor a block device"));
	assert_int_equal(bdev_file_open(&f, "/dev/null", 0, 0, err, sizeof(err)), -EINVAL);

	assert_int_equal(bdev_file_open(&f, "", 0, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(bdev_file_open(NULL, "/tmp/x", 0, 0, err, sizeof(err)), -EINVAL);

	snprintf(path, sizeof(path), "%s/sio_test_empty_XXXXXX", g_dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(bdev_file_open(&f, path, g_direct ? 0 : BDEV_FILE_NO_DIRECT, 0, err,
					sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "smaller than one"));
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);

	assert_int_equal(bdev_file_open(&f, path, 0, 1000, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "block size 1000 is not a power of two"));
	assert_int_equal(bdev_file_open(&f, path, 0, 256, err, sizeof(err)), -EINVAL);
	assert_int_equal(bdev_file_open(&f, path, 0, 1 << 17, err, sizeof(err)), -EINVAL);

	/* A given block size is used; the size is rounded down to whole blocks. */
	assert_int_equal(truncate(path, (1 << 20) + 1000), 0);
	assert_int_equal(bdev_file_open(&f, path, g_direct ? 0 : BDEV_FILE_NO_DIRECT, 4096, err,
					sizeof(err)), 0);
	assert_int_equal(f.block_size, 4096);
	assert_int_equal(f.size, 1 << 20);
	bdev_file_close(&f);
	assert_int_equal(f.fd, -1);
	bdev_file_close(&f); /* idempotent */

	/* Read-only: no unmap, no write-zeroes, and the kernel refuses writes. */
	assert_int_equal(bdev_file_open(&f, path, BDEV_FILE_READONLY, 0, err, sizeof(err)), 0);
	assert_true(f.readonly);
	assert_false(f.can_unmap);
	assert_int_equal(bdev_file_fallocate_mode(&f, false), -EOPNOTSUPP);
	assert_int_equal(bdev_file_deallocate(&f, true, 0, 4096), -EOPNOTSUPP);
	bdev_file_close(&f);
	unlink(path);
}

static int run_cases(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_open_geometry, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_random_rw_one_thread, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_random_rw_async_flag, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_random_rw_four_threads, setup_file,
						teardown_file),
		cmocka_unit_test_setup_teardown(test_fsync_and_fallocate, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_registered_buffers, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_queue_full_and_bad_args, setup_file,
						teardown_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	int rc;

	rc = io_uring_queue_init(4, &ring, 0);
	if (rc < 0) {
		printf("SKIP: io_uring unavailable here (io_uring_queue_init: %s)\n", strerror(-rc));
		return 77;
	}
	io_uring_queue_exit(&ring);
	return te_main(argc, argv, run_cases);
}
