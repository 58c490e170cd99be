/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cases the aio and uring engine tests share, so both engines face the
 * same checks on the same backing-file code: the file's geometry, and the
 * random workload of test_aio_uring_util.h from one and from four OS threads.
 *
 * A test file includes this header, then defines `g_eng` (struct tu_engine),
 * lists its cases (these and its own) in a function for te_main(), and calls
 * te_main() from main() once it has checked that the engine works here.
 */
#ifndef TEST_AIO_URING_ENGINE_H
#define TEST_AIO_URING_ENGINE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_aio_uring_util.h"

#define TE_FILE_SIZE (64ull << 20)

static const struct tu_engine g_eng;
static bool g_direct;
static const char *g_dir;

struct te_fixture {
	char path[256];
	struct bdev_file f;
	uint8_t *shadow;
};

static int setup_file(void **state)
{
	struct te_fixture *fx = calloc(1, sizeof(*fx));
	char err[256] = "";
	int rc;

	if (fx == NULL)
		return -1;
	rc = tu_make_file(g_dir, TE_FILE_SIZE, fx->path, sizeof(fx->path));
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
	fx->shadow = malloc(TE_FILE_SIZE);
	tu_pattern(fx->shadow, TE_FILE_SIZE, 0, 0);
	*state = fx;
	return 0;
}

static int teardown_file(void **state)
{
	struct te_fixture *fx = *state;

	bdev_file_close(&fx->f);
	unlink(fx->path);
	free(fx->shadow);
	free(fx);
	return 0;
}

static struct tu_job te_make_job(struct te_fixture *fx, uint64_t base, uint64_t span,
				 uint64_t seed)
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

static void test_open_geometry(void **state)
{
	struct te_fixture *fx = *state;

	assert_int_equal(fx->f.direct, g_direct);
	assert_true(fx->f.block_size >= 512);
	assert_int_equal(fx->f.block_size & (fx->f.block_size - 1), 0);
	assert_int_equal(fx->f.size, TE_FILE_SIZE);
	assert_false(fx->f.is_blockdev);
	assert_false(fx->f.readonly);
	/* Every file system these tests run on can punch holes. */
	assert_true(fx->f.can_unmap);
	assert_true(fx->f.can_write_zeroes);
	/* tmpfs has no RWF_NOWAIT; ext4 has it. */
	if (strcmp(g_dir, "/dev/shm") == 0)
		assert_false(fx->f.nowait);
}

static void test_random_rw_one_thread(void **state)
{
	struct te_fixture *fx = *state;
	struct tu_job job = te_make_job(fx, 0, TE_FILE_SIZE, 0x1234);

	assert_int_equal(tu_job_run(&job), 0);
	assert_int_equal(job.done, job.ops_total);
	assert_int_equal(job.errors, 0);
	assert_int_equal(job.mismatches, 0);
	assert_true(tu_file_matches(fx->path, fx->shadow, TE_FILE_SIZE));
}

static void test_random_rw_four_threads(void **state)
{
	struct te_fixture *fx = *state;
	struct tu_job jobs[4];
	pthread_t tids[4];
	uint64_t span = TE_FILE_SIZE / 4;
	int i;

	for (i = 0; i < 4; i++) {
		jobs[i] = te_make_job(fx, span * (uint64_t)i, span, 0x9876 + (uint64_t)i);
		assert_int_equal(pthread_create(&tids[i], NULL, tu_job_thread, &jobs[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		void *ret;

		assert_int_equal(pthread_join(tids[i], &ret), 0);
		assert_int_equal((int)(intptr_t)ret, 0);
		assert_int_equal(jobs[i].done, jobs[i].ops_total);
	}
	assert_true(tu_file_matches(fx->path, fx->shadow, TE_FILE_SIZE));
}

static int te_run_in(const char *dir, int (*run_cases)(void))
{
	g_dir = dir;
	fprintf(stderr, "%s engine: files in %s, %s I/O\n", g_eng.name, dir,
		g_direct ? "O_DIRECT" : "buffered");
	return run_cases();
}

/*
 * Run @run_cases (one cmocka group): with --direct once, in a disk directory
 * that accepts O_DIRECT (exit 77 when none does); without, buffered in
 * /dev/shm (tmpfs) and in /tmp, whose file systems behave differently.
 */
static int te_main(int argc, char **argv, int (*run_cases)(void))
{
	int rc = 0;

	if (argc > 1 && strcmp(argv[1], "--direct") == 0) {
		const char *dir = tu_direct_dir();

		if (dir == NULL)
			return 77;
		g_direct = true;
		return te_run_in(dir, run_cases);
	}
	if (access("/dev/shm", W_OK) == 0)
		rc |= te_run_in("/dev/shm", run_cases);
	rc |= te_run_in("/tmp", run_cases);
	return rc;
}

#endif /* TEST_AIO_URING_ENGINE_H */
