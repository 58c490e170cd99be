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
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/falloc.h>

#include "bdev/modules/aio/aio_engine.h"
#include "test_aio_uring_util.h"

#define FILE_SIZE (64ull << 20)

static bool g_direct;
static const char *g_dir;

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

/* ---- fixtures ---- */

struct fixture {
	char path[256];
	struct bdev_file f;
	uint8_t *shadow;
};

static int setup_file(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256] = "";
	int rc;

	if (fx == NULL)
		return -1;
	rc = tu_make_file(g_dir, FILE_SIZE, fx->path, sizeof(fx->path));
	if (rc != 0) {
		fprintf(stderr, "cannot create a test file in %s: %s\n", g_dir, strerror(-rc));
		free(fx);
		return -1;
	}
	rc = bdev_file_open(&fx->f, fx->path, g_direct ? 0 : BDEV_FILE_NO_DIRECT, 0, err,
			    sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "bdev_file_open(%s): %s\n", fx->path, err);
		unlink(fx->path);
		free(fx);
		return -1;
	}
	fx->shadow = malloc(FILE_SIZE);
	tu_pattern(fx->shadow, FILE_SIZE, 0, 0);
	*state = fx;
	return 0;
}

static int teardown_file(void **state)
{
	struct fixture *fx = *state;

	bdev_file_close(&fx->f);
	unlink(fx->path);
	free(fx->shadow);
	free(fx);
	return 0;
}

static struct tu_job make_job(struct fixture *fx, uint64_t base, uint64_t span, uint64_t seed)
{
	struct tu_job job = {
		.eng = &g_eng,
		.fd = fx->f.fd,
		.base = base,
		.span = span,
		.block = fx->f.block_size,
		.max_blocks = 64,
		.depth = 32,
		.ops_total = 4000,
		.align = fx->f.buf_align < 64 ? 64 : fx->f.buf_align,
		.seed = seed,
		.shadow = fx->shadow,
	};

	return job;
}

/* ---- tests ---- */

static void test_open_geometry(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(fx->f.direct, g_direct);
	assert_true(fx->f.block_size >= 512);
	assert_int_equal(fx->f.block_size & (fx->f.block_size - 1), 0);
	assert_int_equal(fx->f.size, FILE_SIZE);
	assert_false(fx->f.is_blockdev);
	assert_false(fx->f.readonly);
	/* Every file system these tests run on can punch holes. */
	assert_true(fx->f.can_unmap);
	assert_true(fx->f.can_write_zeroes);
}

static void test_random_rw_one_thread(void **state)
{
	struct fixture *fx = *state;
	struct tu_job job = make_job(fx, 0, FILE_SIZE, 0x1234);

	assert_int_equal(tu_job_run(&job), 0);
	assert_int_equal(job.done, job.ops_total);
	assert_int_equal(job.errors, 0);
	assert_int_equal(job.mismatches, 0);
	assert_true(tu_file_matches(fx->path, fx->shadow, FILE_SIZE));
}

static void test_random_rw_four_threads(void **state)
{
	struct fixture *fx = *state;
	struct tu_job jobs[4];
	pthread_t tids[4];
	uint64_t span = FILE_SIZE / 4;
	int i;

	for (i = 0; i < 4; i++) {
		jobs[i] = make_job(fx, span * (uint64_t)i, span, 0x9876 + (uint64_t)i);
		assert_int_equal(pthread_create(&tids[i], NULL, tu_job_thread, &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		void *ret;

		assert_int_equal(pthread_join(tids[i], &ret), 0);
		assert_int_equal((int)(intptr_t)ret, 0);
		assert_int_equal(jobs[i].done, jobs[i].ops_total);
	}
	assert_true(tu_file_matches(fx->path, fx->shadow, FILE_SIZE));
}

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
	struct fixture *fx = *state;
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
	assert_true(tu_file_matches(fx->path, fx->shadow, FILE_SIZE));
	bdev_aio_queue_fini(&q);
	free(buf);
}

static void test_queue_full_and_bad_args(void **state)
{
	struct fixture *fx = *state;
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
	assert_int_equal(bdev_aio_queue_rw(&q, &iocbs[0], fx->f.fd, false, &iov[0], 1, FILE_SIZE, 0,
					   buf), 0);
	assert_int_equal(run_one(&q, buf), 0);
	bdev_aio_queue_fini(&q);
	free(buf);
}

/* O_DIRECT works in @dir (the file system accepts it for reads). */
static bool direct_works(const char *dir)
{
	struct bdev_file f;
	char path[256], err[256];
	bool ok;

	if (tu_make_file(dir, 1 << 20, path, sizeof(path)) != 0)
		return false;
	ok = bdev_file_open(&f, path, 0, 0, err, sizeof(err)) == 0 && f.direct;
	if (ok)
		bdev_file_close(&f);
	unlink(path);
	return ok;
}

static int run_in(const char *dir)
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

	g_dir = dir;
	fprintf(stderr, "aio engine: files in %s, %s I/O\n", dir, g_direct ? "O_DIRECT" : "buffered");
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

	if (argc > 1 && strcmp(argv[1], "--direct") == 0) {
		const char *cands[] = {getenv("SIO_TEST_DIRECT_DIR"), "/var/tmp", "/tmp", "."};
		size_t i;

		g_direct = true;
		for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
			if (cands[i] != NULL && direct_works(cands[i]))
				return run_in(cands[i]);
		}
		printf("SKIP: no directory here (SIO_TEST_DIRECT_DIR, /var/tmp, /tmp, .) accepts O_DIRECT\n");
		return 77;
	}
	rc = 0;
	if (access("/dev/shm", W_OK) == 0)
		rc |= run_in("/dev/shm");
	rc |= run_in("/tmp");
	return rc;
}
