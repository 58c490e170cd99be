/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aio bdev's Linux AIO engine, against real files: random reads and writes
 * with iovecs checked against a shadow and by pread, several contexts on
 * several OS threads, fdatasync, RWF_NOWAIT, synchronous deallocate, a full
 * queue, refused iocbs, and bad input. (The backing-file error cases are in
 * test_uring_engine.c; the code is shared.)
 *
 * Run with --direct to use O_DIRECT on a disk file system (exit 77 when the
 * file system refuses it); without, the file lives in /dev/shm and /tmp and is
 * opened buffered.
 */
#include <linux/falloc.h>

#include "bdev/modules/aio/aio_engine.h"
#include "test_aio_uring_engine.h"

/* ---- engine table for the shared workload ---- */

struct aio_q {
	struct bdev_aio_queue q;
	struct iocb *iocbs; /* one per slot: the module keeps them in its per-I/O context */
};

static int eng_init(void **q, int fd, uint32_t depth)
{
	struct aio_q *aq = calloc(1, sizeof(*aq));
	int rc;

	if (aq == NULL)
		return -ENOMEM;
	aq->iocbs = calloc(depth, sizeof(*aq->iocbs));
	rc = aq->iocbs ? bdev_aio_queue_init(&aq->q, depth) : -ENOMEM;
	if (rc != 0) {
		free(aq->iocbs);
		free(aq);
		return rc;
	}
	*q = aq;
	return 0;
}

static void eng_fini(void *q)
{
	struct aio_q *aq = q;

	bdev_aio_queue_fini(&aq->q);
	free(aq->iocbs);
	free(aq);
}

static int eng_rw(void *q, uint32_t slot, int fd, bool write, const struct iovec *iov, int iovcnt,
		  uint64_t off, void *ctx)
{
	struct aio_q *aq = q;

	return bdev_aio_queue_rw(&aq->q, &aq->iocbs[slot], fd, write, iov, iovcnt, off, 0, ctx);
}

static int eng_submit(void *q)
{
	struct aio_q *aq = q;

	return bdev_aio_queue_submit(&aq->q);
}

static uint32_t eng_reap(void *q, void **ctxs, int64_t *res, uint32_t max)
{
	struct aio_q *aq = q;
	struct bdev_aio_cpl cpl[64];
	uint32_t n, i;

	if (max > 64)
		max = 64;
	n = bdev_aio_queue_reap(&aq->q, cpl, max);
	for (i = 0; i < n; i++) {
		ctxs[i] = cpl[i].ctx;
		res[i] = cpl[i].res;
	}
	return n;
}

static const struct tu_engine g_eng = {
	.name = "aio",
	.init = eng_init,
	.fini = eng_fini,
	.rw = eng_rw,
	.submit = eng_submit,
	.reap = eng_reap,
};

/* ---- tests (the shared ones are in test_aio_uring_engine.h) ---- */

/* Submit what is queued (one op), spin until its completion; returns the result. */
static int64_t run_one(struct bdev_aio_queue *q, void *ctx)
{
	struct bdev_aio_cpl cpl;

	bdev_aio_queue_submit(q);
	while (bdev_aio_queue_reap(q, &cpl, 1) == 0)
		;
	assert_ptr_equal(cpl.ctx, ctx);
	assert_false(bdev_aio_queue_busy(q));
	return cpl.res;
}

static void test_fsync_nowait_deallocate(void **state)
{
	struct te_fixture *fx = *state;
	struct bdev_aio_queue q;
	struct iocb iocb;
	uint32_t bs = fx->f.block_size;
	uint8_t *buf = NULL;
	struct iovec iov;
	int64_t res;

	assert_int_equal(posix_memalign((void **)&buf, 4096, 65536), 0);
	assert_int_equal(bdev_aio_queue_init(&q, 8), 0);
	assert_int_equal(bdev_aio_queue_fsync(&q, &iocb, fx->f.fd, &iocb), 0);
	assert_int_equal(run_one(&q, &iocb), 0);

	/* RWF_NOWAIT: either done at once or -EAGAIN, never anything else. */
	iov.iov_base = buf;
	iov.iov_len = 65536;
	assert_int_equal(bdev_aio_queue_rw(&q, &iocb, fx->f.fd, false, &iov, 1, 65536, RWF_NOWAIT,
					   &iocb), 0);
	res = run_one(&q, &iocb);
	assert_true(res == 65536 || res == -EAGAIN || res == -EOPNOTSUPP);
	if (res == 65536)
		assert_memory_equal(buf, fx->shadow + 65536, 65536);

	/* Unmap and write-zeroes are synchronous fallocate calls for aio. */
	assert_int_equal(bdev_file_deallocate(&fx->f, false, 10ull * bs, 4ull * bs), 0);
	assert_int_equal(bdev_file_deallocate(&fx->f, true, 20ull * bs, 4ull * bs), 0);
	memset(fx->shadow + 10ull * bs, 0, 4ull * bs);
	memset(fx->shadow + 20ull * bs, 0, 4ull * bs);
	assert_true(tu_file_matches(fx->path, fx->shadow, TE_FILE_SIZE));
	bdev_aio_queue_fini(&q);
	free(buf);
}

static void test_queue_full_and_bad_args(void **state)
{
	struct te_fixture *fx = *state;
	struct bdev_aio_queue q;
	struct bdev_aio_cpl cpl[4];
	struct iocb iocbs[5];
	uint8_t *buf = NULL;
	struct iovec iov[4];
	uint32_t got = 0;
	int i;

	assert_int_equal(posix_memalign((void **)&buf, 4096, 4 * 4096), 0);
	assert_int_equal(bdev_aio_queue_init(&q, 0), -EINVAL);
	assert_int_equal(bdev_aio_queue_init(&q, 100000), -EINVAL);
	assert_int_equal(bdev_aio_queue_init(&q, 4), 0);
	/* Completions are read from the kernel's mapped ring, not by io_getevents. */
	assert_non_null(q.uring);
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[0], fx->f.fd, false, NULL, 1, 0, 0, NULL),
			 -EINVAL);
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[0], -1, false, iov, 1, 0, 0, NULL), -EINVAL);
	for (i = 0; i < 4; i++) {
		iov[i].iov_base = buf + i * 4096;
		iov[i].iov_len = 4096;
		assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[i], fx->f.fd, false, &iov[i], 1,
						   (uint64_t)i * 4096, 0, &iov[i]), 0);
	}
	assert_int_equal(bdev_aio_queue_free_slots(&q), 0);
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[4], fx->f.fd, false, iov, 1, 0, 0, buf),
			 -EAGAIN);
	assert_int_equal(bdev_aio_queue_fsync(&q, &iocbs[4], fx->f.fd, buf), -EAGAIN);
	/* One submit call takes the whole batch. */
	assert_int_equal(bdev_aio_queue_submit(&q), 4);
	while (got < 4)
		got += bdev_aio_queue_reap(&q, cpl, 4 - got);
	assert_false(bdev_aio_queue_busy(&q));
	assert_memory_equal(buf, fx->shadow, 4 * 4096);

	/* An iocb the kernel refuses (bad fd) completes with its error; the next one still runs. */
	iov[0].iov_base = buf;
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[0], 999, false, &iov[0], 1, 0, 0, &iov[0]), 0);
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[1], fx->f.fd, false, &iov[1], 1, 4096, 0,
					   &iov[1]), 0);
	assert_int_equal(bdev_aio_queue_submit(&q), 1);
	got = 0;
	while (got < 2)
		got += bdev_aio_queue_reap(&q, cpl + got, 2 - got);
	for (i = 0; i < 2; i++) {
		if (cpl[i].ctx == &iov[0])
			assert_int_equal(cpl[i].res, -EBADF);
		else
			assert_int_equal(cpl[i].res, 4096);
	}
	assert_false(bdev_aio_queue_busy(&q));

	/* A misaligned O_DIRECT read fails cleanly with -EINVAL in its completion. */
	if (fx->f.direct) {
		iov[0].iov_base = buf + 1;
		assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[0], fx->f.fd, false, &iov[0], 1, 0, 0,
						   buf), 0);
		assert_int_equal(run_one(&q, buf), -EINVAL);
	}
	/* Reading past the end returns 0 bytes: the module range-checks before this. */
	iov[0].iov_base = buf;
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[0], fx->f.fd, false, &iov[0], 1, TE_FILE_SIZE, 0,
					   buf), 0);
	assert_int_equal(run_one(&q, buf), 0);
	bdev_aio_queue_fini(&q);
	free(buf);
}

static int run_cases(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_geometry, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_random_rw_one_thread, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_random_rw_four_threads, setup_file,
						teardown_file),
		cmocka_unit_test_setup_teardown(test_fsync_nowait_deallocate, setup_file,
						teardown_file),
		cmocka_unit_test_setup_teardown(test_queue_full_and_bad_args, setup_file,
						teardown_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv)
{
	io_context_t ctx = 0;
	int rc;

	rc = io_setup(4, &ctx);
	if (rc < 0) {
		printf("SKIP: Linux AIO unavailable here (io_setup: %s)\n", strerror(-rc));
		return 77;
	}
	io_destroy(ctx);
	return te_main(argc, argv, run_cases);
}
