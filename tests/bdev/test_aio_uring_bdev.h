/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev-level tests shared by the aio and uring modules, through the public
 * bdev API on real files: properties, random reads and writes (single buffers,
 * iovecs, misaligned buffers the core bounces) compared with a shadow and with
 * an independent pread of the file, several channels on several OS threads,
 * flush / unmap / write_zeroes, bad input, RPC parameters, save_config,
 * rescan, delete with a descriptor open, and hot-remove while two threads
 * keep reads and writes in flight.
 *
 * A test file defines `g_mod` (struct tb_module) and includes this header.
 */
#ifndef TEST_AIO_URING_BDEV_H
#define TEST_AIO_URING_BDEV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>

#include "bdev_test_util.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"
#include "test_aio_uring_util.h"

#define TB_FILE_SIZE (16ull << 20)

/* What differs between the two modules. */
struct tb_module {
	const char *name;    /* module name: "aio" / "uring" */
	const char *product; /* product name */
	const char *create_method, *delete_method;
	/* create with the module's defaults plus deallocation on (aio: fallocate=true) */
	int (*create)(const char *name, const char *file, uint32_t block_size, const char *uuid,
		      char *err, size_t errlen);
	int (*delete)(const char *name, sio_done_cb cb, void *cb_arg);
	int (*rescan)(const char *name);
	const struct sio_rpc_method_table *rpc;
};

static const struct tb_module g_mod;
static bool g_direct;
static const char *g_dir;

struct tb_fixture {
	char path[256];
	uint8_t *shadow;
	struct sio_bdev *bdev;
};

static struct tb_fixture g_fx;

static int tb_setup(void **state)
{
	char err[256];
	int rc;

	rc = tu_make_file(g_dir, TB_FILE_SIZE, g_fx.path, sizeof(g_fx.path));
	if (rc != 0)
		return -1;
	g_fx.shadow = malloc(TB_FILE_SIZE);
	tu_pattern(g_fx.shadow, TB_FILE_SIZE, 0, 0);
	rc = g_mod.create("tb0", g_fx.path, 0, NULL, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "create: %s\n", err);
		return -1;
	}
	g_fx.bdev = sio_bdev_get_by_name("tb0");
	*state = &g_fx;
	return g_fx.bdev != NULL ? 0 : -1;
}

static void tb_delete_sync(const char *name, int expect)
{
	struct ut_cpl cpl = {0};

	uint64_t deadline = ut_now_ns() + 5000000000ull;

	assert_int_equal(g_mod.delete(name, ut_cpl_cb, &cpl), 0);
	/* Bounded: after a failed assertion a descriptor may stay open forever. */
	while (cpl.calls == 0 && ut_now_ns() < deadline)
		ut_poll_n(1);
	assert_int_equal(cpl.calls, 1);
	assert_int_equal(cpl.rc, expect);
	assert_null(sio_bdev_get_by_name(name));
}

static int tb_teardown(void **state)
{
	struct ut_cpl cpl = {0};
	uint64_t deadline = ut_now_ns() + 5000000000ull;

	/* Not tb_delete_sync(): teardown must not assert, and may follow a failed test. */
	if (sio_bdev_get_by_name("tb0") != NULL && g_mod.delete("tb0", ut_cpl_cb, &cpl) == 0) {
		while (cpl.calls == 0 && ut_now_ns() < deadline)
			ut_poll_n(1);
		if (cpl.calls == 0)
			fprintf(stderr, "teardown: tb0 not deleted (a descriptor left open?)\n");
	}
	unlink(g_fx.path);
	free(g_fx.shadow);
	memset(&g_fx, 0, sizeof(g_fx));
	return 0;
}

/* ---- a random-I/O job through the bdev API ---- */

struct tb_op {
	struct tb_job *job;
	bool busy, write;
	uint64_t off, len;
	int iovcnt;
	struct iovec iov[TU_MAX_IOV];
	uint8_t *mem; /* len + 64 bytes: room to misalign on purpose */
};

struct tb_job {
	uint64_t base, span, seed;
	uint32_t depth, total, issued, done, errors, mismatches, max_blocks;
	uint32_t block;
	uint8_t *busymap;
	uint8_t *shadow;
	struct tb_op ops[32];
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	int rc; /* result, for threads */
};

static void tb_op_done(void *arg, int rc)
{
	struct tb_op *op = arg;
	struct tb_job *job = op->job;
	uint64_t b;
	int v;

	if (rc != 0) {
		fprintf(stderr, "%s of %llu at %llu failed: %d\n", op->write ? "write" : "read",
			(unsigned long long)op->len, (unsigned long long)op->off, rc);
		job->errors++;
	} else if (!op->write) {
		size_t pos = 0;

		for (v = 0; v < op->iovcnt; v++) {
			if (memcmp(op->iov[v].iov_base, job->shadow + op->off + pos,
				   op->iov[v].iov_len) != 0) {
				fprintf(stderr, "read of %llu at %llu (%d vectors, buffer %s): mismatch in vector %d (first byte %#x, expected %#x)\n",
					(unsigned long long)op->len, (unsigned long long)op->off,
					op->iovcnt,
					op->iov[0].iov_base == op->mem ? "aligned" : "misaligned", v,
					((uint8_t *)op->iov[v].iov_base)[0],
					job->shadow[op->off + pos]);
				job->mismatches++;
				break;
			}
			pos += op->iov[v].iov_len;
		}
	}
	for (b = (op->off - job->base) / job->block; b < (op->off - job->base + op->len) / job->block;
	     b++)
		job->busymap[b] = 0;
	op->busy = false;
	job->done++;
}

/* Start one random op in a free slot; false when the range chosen is busy. */
static bool tb_op_start(struct tb_job *job, struct tb_op *op, uint32_t gen)
{
	uint64_t nblocks = job->span / job->block, first, b;
	uint32_t cnt = 1 + (uint32_t)(tu_rand(&job->seed) % job->max_blocks);
	size_t pos, left;
	uint8_t *buf;
	int v, rc;

	first = tu_rand(&job->seed) % (nblocks - cnt + 1);
	for (b = first; b < first + cnt; b++)
		if (job->busymap[b])
			return false;
	for (b = first; b < first + cnt; b++)
		job->busymap[b] = 1;
	op->job = job;
	op->busy = true;
	op->write = tu_rand(&job->seed) & 1;
	op->off = job->base + first * job->block;
	op->len = (uint64_t)cnt * job->block;
	/* One op in four uses a misaligned buffer: the core must bounce it. */
	buf = op->mem + ((tu_rand(&job->seed) & 3) == 0 ? 8 : 0);
	if (op->write) {
		tu_pattern(buf, op->len, op->off, gen);
		/* Writes between overlapping ops never race: the busy map keeps them apart. */
		memcpy(job->shadow + op->off, buf, op->len);
	} else {
		memset(buf, 0xee, op->len);
	}
	op->iovcnt = 1 + (int)(tu_rand(&job->seed) % TU_MAX_IOV);
	if ((uint32_t)op->iovcnt > cnt)
		op->iovcnt = (int)cnt;
	for (v = 0, pos = 0, left = cnt; v < op->iovcnt; v++) {
		size_t take = v == op->iovcnt - 1 ?
				      left :
				      1 + tu_rand(&job->seed) % (left - (size_t)(op->iovcnt - v - 1));

		op->iov[v].iov_base = buf + pos * job->block;
		op->iov[v].iov_len = take * job->block;
		pos += take;
		left -= take;
	}
	/*
	 * Misaligned single buffers go through readv/writev here; the plain
	 * read/write forms get their own test (test_misaligned_single_buffer).
	 */
	if (op->iovcnt == 1 && buf == op->mem)
		rc = op->write ? sio_bdev_write(job->desc, job->ch, buf, op->off, op->len, tb_op_done, op) :
				 sio_bdev_read(job->desc, job->ch, buf, op->off, op->len, tb_op_done, op);
	else
		rc = op->write ? sio_bdev_writev(job->desc, job->ch, op->iov, op->iovcnt, op->off,
						 op->len, tb_op_done, op) :
				 sio_bdev_readv(job->desc, job->ch, op->iov, op->iovcnt, op->off,
						op->len, tb_op_done, op);
	if (rc != 0) {
		fprintf(stderr, "submit failed: %d\n", rc);
		job->errors++;
		tb_op_done(op, rc);
		job->done--;
		job->total--;
	}
	return true;
}

/* Run @job on the current thread with its own descriptor and channel. */
static int tb_job_run(struct tb_job *job, const char *bdev_name)
{
	struct sio_thread *t = sio_thread_get_current();
	uint64_t deadline = ut_now_ns() + 60000000000ull;
	uint32_t i, gen = 1;
	int rc;

	rc = sio_bdev_open(bdev_name, true, ut_event_cb, NULL, &job->desc);
	if (rc != 0)
		return rc;
	job->ch = sio_bdev_desc_get_io_channel(job->desc);
	if (job->ch == NULL) {
		sio_bdev_close(job->desc);
		return -errno;
	}
	job->block = sio_bdev_get_block_size(sio_bdev_desc_get_bdev(job->desc));
	job->busymap = calloc(job->span / job->block, 1);
	for (i = 0; i < job->depth; i++)
		job->ops[i].mem = aligned_alloc(4096, (size_t)job->max_blocks * job->block + 4096);
	while (job->done < job->total && ut_now_ns() < deadline) {
		for (i = 0; i < job->depth && job->issued < job->total; i++) {
			if (!job->ops[i].busy && tb_op_start(job, &job->ops[i], gen))
				job->issued++, gen++;
		}
		sio_thread_poll(t, 0);
	}
	for (i = 0; i < job->depth; i++)
		free(job->ops[i].mem);
	free(job->busymap);
	sio_io_channel_put(job->ch);
	sio_bdev_close(job->desc);
	ut_poll_n(10);
	if (job->done < job->total)
		return -ETIMEDOUT;
	return job->errors || job->mismatches ? -EIO : 0;
}

static struct tb_job tb_job_init(uint64_t base, uint64_t span, uint64_t seed)
{
	struct tb_job job = {
		.base = base,
		.span = span,
		.seed = seed,
		.depth = 16,
		.total = 1500,
		.max_blocks = 32,
		.shadow = g_fx.shadow,
	};

	return job;
}

/* ---- tests ---- */

static void test_properties(void **state)
{
	struct sio_bdev *bdev = g_fx.bdev;
	char err[256];

	assert_string_equal(sio_bdev_get_module_name(bdev), g_mod.name);
	assert_string_equal(sio_bdev_get_product_name(bdev), g_mod.product);
	assert_true(sio_bdev_get_block_size(bdev) >= 512);
	assert_int_equal(sio_bdev_get_size(bdev), TB_FILE_SIZE);
	assert_true(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_READ));
	assert_true(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_WRITE));
	assert_true(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_FLUSH));
	assert_true(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_UNMAP));
	assert_true(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_WRITE_ZEROES));
	assert_false(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_COMPARE));
	/* O_DIRECT needs aligned buffers; buffered I/O takes any. */
	if (g_direct)
		assert_true(sio_bdev_get_buf_align(bdev) >= 512);
	else
		assert_true(sio_bdev_get_buf_align(bdev) <= 1);
	assert_int_equal(sio_bdev_has_write_cache(bdev), !g_direct);

	/* A given block size and UUID are kept. */
	assert_int_equal(g_mod.create("tb1", g_fx.path, 4096, "8d2cd4a1-0d2b-4f6e-9d55-2a1c3e4f5a6b",
				      err, sizeof(err)), 0);
	bdev = sio_bdev_get_by_name("tb1");
	assert_non_null(bdev);
	assert_int_equal(sio_bdev_get_block_size(bdev), 4096);
	assert_int_equal(sio_bdev_get_num_blocks(bdev), TB_FILE_SIZE / 4096);
	assert_string_equal(sio_bdev_get_uuid(bdev), "8d2cd4a1-0d2b-4f6e-9d55-2a1c3e4f5a6b");
	tb_delete_sync("tb1", 0);
}

static void test_random_io_one_thread(void **state)
{
	struct tb_job job = tb_job_init(0, TB_FILE_SIZE, 42);

	assert_int_equal(tb_job_run(&job, "tb0"), 0);
	assert_int_equal(job.done, job.total);
	assert_true(tu_file_matches(g_fx.path, g_fx.shadow, TB_FILE_SIZE));
}

struct tb_thread_arg {
	struct tb_job job;
	int finished;
};

static int tb_thread_fn(void *arg)
{
	struct tb_thread_arg *ta = arg;
	int rc = tb_job_run(&ta->job, "tb0");

	__atomic_store_n(&ta->finished, 1, __ATOMIC_RELEASE);
	return rc;
}

static void test_random_io_three_threads(void **state)
{
	struct tb_thread_arg args[3];
	struct sio_os_thread *ts[3];
	struct tb_job main_job;
	uint64_t span = TB_FILE_SIZE / 4;
	int i, res[3], main_rc;

	for (i = 0; i < 3; i++) {
		args[i].job = tb_job_init(span * (uint64_t)(i + 1), span, 100 + (uint64_t)i);
		args[i].finished = 0;
		assert_int_equal(sio_os_thread_spawn("tb_worker", tb_thread_fn, &args[i], &ts[i]), 0);
	}
	/* Meanwhile this thread works on the first quarter through its own channel. */
	main_job = tb_job_init(0, span, 7);
	main_rc = tb_job_run(&main_job, "tb0");
	for (i = 0; i < 3; i++) {
		/* A worker's close may post messages here: keep polling until it is done. */
		while (!__atomic_load_n(&args[i].finished, __ATOMIC_ACQUIRE))
			ut_poll_n(1);
		assert_int_equal(sio_os_thread_join(ts[i], &res[i]), 0);
	}
	assert_int_equal(main_rc, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(res[i], 0);
		assert_int_equal(args[i].job.done, args[i].job.total);
	}
	ut_poll_n(100);
	assert_true(tu_file_matches(g_fx.path, g_fx.shadow, TB_FILE_SIZE));
}

static int tb_sync(int (*fn)(struct sio_bdev_desc *, struct sio_io_channel *, uint64_t, uint64_t,
			     sio_done_cb, void *),
		   struct sio_bdev_desc *desc, struct sio_io_channel *ch, uint64_t off, uint64_t len)
{
	struct ut_cpl cpl = {0};
	int rc = fn(desc, ch, off, len, ut_cpl_cb, &cpl);

	if (rc != 0)
		return rc;
	while (cpl.calls == 0)
		ut_poll_n(1);
	return cpl.rc;
}

static void test_flush_unmap_write_zeroes(void **state)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint32_t bs = sio_bdev_get_block_size(g_fx.bdev);
	struct ut_cpl cpl = {0};
	uint8_t *buf = aligned_alloc(4096, 16 * 4096);

	assert_int_equal(sio_bdev_open("tb0", true, ut_event_cb, NULL, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	assert_non_null(ch);
	assert_int_equal(tb_sync(sio_bdev_flush, desc, ch, 0, TB_FILE_SIZE), 0);
	assert_int_equal(tb_sync(sio_bdev_unmap, desc, ch, 8ull * bs, 8ull * bs), 0);
	assert_int_equal(tb_sync(sio_bdev_write_zeroes, desc, ch, 64ull * bs, 3ull * bs), 0);
	memset(g_fx.shadow + 8ull * bs, 0, 8ull * bs);
	memset(g_fx.shadow + 64ull * bs, 0, 3ull * bs);

	/* Read back through the bdev, then independently. */
	memset(buf, 0xee, 16ull * bs);
	assert_int_equal(sio_bdev_read(desc, ch, buf, 0, 16ull * bs, ut_cpl_cb, &cpl), 0);
	while (cpl.calls == 0)
		ut_poll_n(1);
	assert_int_equal(cpl.rc, 0);
	assert_memory_equal(buf, g_fx.shadow, 16ull * bs);
	assert_int_equal(tb_sync(sio_bdev_flush, desc, ch, 0, bs), 0);
	assert_true(tu_file_matches(g_fx.path, g_fx.shadow, TB_FILE_SIZE));

	cpl.calls = 0;
	assert_int_equal(sio_bdev_reset(desc, ch, ut_cpl_cb, &cpl), 0);
	while (cpl.calls == 0)
		ut_poll_n(1);
	assert_int_equal(cpl.rc, 0);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	ut_poll_n(10);
	free(buf);
}

/*
 * A misaligned single-buffer read must be bounced and copied back. Pins a core
 * bug seen first here: the bounce saved the caller's iovec pointer, which for
 * sio_bdev_read() is the bdev_io's own internal iovec that the bounce then
 * overwrote, so the data never reached the caller (buffer left untouched).
 */
static void test_misaligned_single_buffer(void **state)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint32_t bs = sio_bdev_get_block_size(g_fx.bdev);
	uint8_t *mem = aligned_alloc(4096, 8 * 4096 + 4096), *buf = mem + 8;
	struct ut_cpl cpl = {0};

	assert_int_equal(sio_bdev_open("tb0", true, ut_event_cb, NULL, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	assert_non_null(ch);
	tu_pattern(buf, 4ull * bs, 40ull * bs, 99);
	memcpy(g_fx.shadow + 40ull * bs, buf, 4ull * bs);
	assert_int_equal(sio_bdev_write(desc, ch, buf, 40ull * bs, 4ull * bs, ut_cpl_cb, &cpl), 0);
	while (cpl.calls == 0)
		ut_poll_n(1);
	assert_int_equal(cpl.rc, 0);
	assert_true(tu_file_matches(g_fx.path, g_fx.shadow, TB_FILE_SIZE));

	memset(buf, 0xee, 4ull * bs);
	cpl.calls = 0;
	assert_int_equal(sio_bdev_read(desc, ch, buf, 40ull * bs, 4ull * bs, ut_cpl_cb, &cpl), 0);
	while (cpl.calls == 0)
		ut_poll_n(1);
	assert_int_equal(cpl.rc, 0);
	assert_memory_equal(buf, g_fx.shadow + 40ull * bs, 4ull * bs);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	ut_poll_n(10);
	free(mem);
}

static void test_bad_input(void **state)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	char err[256], empty[256];
	uint8_t *buf = aligned_alloc(4096, 8192);
	int fd;

	assert_int_equal(g_mod.create("tbx", "/nonexistent/sio_missing", 0, NULL, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/sio_missing"));
	assert_int_equal(g_mod.create("tbx", g_fx.path, 1000, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "block size 1000"));
	assert_int_equal(g_mod.create("tbx", g_fx.path, 0, "not-a-uuid", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "uuid"));
	assert_int_equal(g_mod.create("tb0", g_fx.path, 0, NULL, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "already in use"));
	assert_int_equal(g_mod.create("", g_fx.path, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(g_mod.create("tbx", NULL, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "filename"));
	snprintf(empty, sizeof(empty), "%s/sio_test_empty_XXXXXX", g_dir);
	fd = mkstemp(empty);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(g_mod.create("tbx", empty, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "smaller than one"));
	unlink(empty);
	assert_null(sio_bdev_get_by_name("tbx"));
	assert_int_equal(g_mod.delete("tbx", ut_cpl_cb, NULL), -ENODEV);
	assert_int_equal(g_mod.rescan("tbx"), -ENODEV);

	/* Out-of-range and misshapen I/O is refused by the core, the file untouched. */
	assert_int_equal(sio_bdev_open("tb0", true, ut_event_cb, NULL, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	assert_non_null(ch);
	assert_int_equal(sio_bdev_write(desc, ch, buf, TB_FILE_SIZE, 4096, ut_cpl_cb, NULL), -ERANGE);
	assert_int_equal(sio_bdev_read(desc, ch, buf, TB_FILE_SIZE - 4096, 8192, ut_cpl_cb, NULL),
			 -ERANGE);
	assert_int_equal(sio_bdev_read(desc, ch, buf, 100, 4096, ut_cpl_cb, NULL), -EINVAL);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	ut_poll_n(10);
	assert_true(tu_file_matches(g_fx.path, g_fx.shadow, TB_FILE_SIZE));
	free(buf);
}

static const struct sio_rpc_method *tb_method(const char *name)
{
	size_t i;

	for (i = 0; i < g_mod.rpc->count; i++)
		if (strcmp(g_mod.rpc->methods[i].name, name) == 0)
			return &g_mod.rpc->methods[i];
	return NULL;
}

static void test_rpc_params_and_save_config(void **state)
{
	const struct sio_rpc_method *create = tb_method(g_mod.create_method);
	const struct sio_rpc_method *del = tb_method(g_mod.delete_method);
	json_t *params, *config, *entry, *p;
	char msg[256];
	void *out;

	assert_non_null(create);
	assert_non_null(del);
	out = calloc(1, create->params_size);

	params = json_pack("{s:s, s:s, s:i, s:s}", "name", "r0", "filename", "/tmp/f",
			   "block_size", 4096, "uuid", "8d2cd4a1-0d2b-4f6e-9d55-2a1c3e4f5a6b");
	assert_int_equal(sio_rpc_decode_params(create, params, out, msg, sizeof(msg)), 0);
	json_decref(params);

	params = json_pack("{s:s}", "name", "r0");
	assert_int_equal(sio_rpc_decode_params(create, params, out, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "filename"));
	json_decref(params);

	params = json_pack("{s:s, s:s, s:s}", "name", "r0", "filename", "/tmp/f", "block_size", "4k");
	assert_int_equal(sio_rpc_decode_params(create, params, out, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "block_size"));
	json_decref(params);

	params = json_pack("{s:s, s:s, s:b}", "name", "r0", "filename", "/tmp/f", "bogus", 1);
	assert_int_equal(sio_rpc_decode_params(create, params, out, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "bogus"));
	json_decref(params);
	free(out);

	/* save_config: the call that recreates tb0, and it decodes as a create call. */
	config = json_array();
	assert_non_null(g_fx.bdev->fn_table->write_config_json);
	g_fx.bdev->fn_table->write_config_json(g_fx.bdev, config);
	assert_int_equal(json_array_size(config), 1);
	entry = json_array_get(config, 0);
	assert_string_equal(json_string_value(json_object_get(entry, "method")), g_mod.create_method);
	p = json_object_get(entry, "params");
	assert_string_equal(json_string_value(json_object_get(p, "name")), "tb0");
	assert_string_equal(json_string_value(json_object_get(p, "filename")), g_fx.path);
	assert_string_equal(json_string_value(json_object_get(p, "uuid")),
			    sio_bdev_get_uuid(g_fx.bdev));
	out = calloc(1, create->params_size);
	assert_int_equal(sio_rpc_decode_params(create, p, out, msg, sizeof(msg)), 0);
	free(out);
	json_decref(config);
}

static void test_rescan(void **state)
{
	uint64_t blocks = sio_bdev_get_num_blocks(g_fx.bdev);

	assert_int_equal(g_mod.rescan("tb0"), 0);
	assert_int_equal(sio_bdev_get_num_blocks(g_fx.bdev), blocks);
	assert_int_equal(truncate(g_fx.path, (off_t)TB_FILE_SIZE * 2), 0);
	assert_int_equal(g_mod.rescan("tb0"), 0);
	assert_int_equal(sio_bdev_get_size(g_fx.bdev), TB_FILE_SIZE * 2);
	assert_int_equal(truncate(g_fx.path, (off_t)TB_FILE_SIZE), 0);
	assert_int_equal(g_mod.rescan("tb0"), 0); /* no descriptor open: shrinking is fine */
	assert_int_equal(sio_bdev_get_size(g_fx.bdev), TB_FILE_SIZE);
}

static void test_delete_with_open_descriptor(void **state)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	struct ut_cpl del = {0}, rd = {0};
	uint8_t *buf = aligned_alloc(4096, 4096);
	int removed = 0;

	assert_int_equal(sio_bdev_open("tb0", false, ut_event_cb, &removed, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	assert_non_null(ch);
	/* A read in flight when the delete starts still completes. */
	assert_int_equal(sio_bdev_read(desc, ch, buf, 0, 4096, ut_cpl_cb, &rd), 0);
	assert_int_equal(g_mod.delete("tb0", ut_cpl_cb, &del), 0);
	assert_int_equal(g_mod.delete("tb0", ut_cpl_cb, &del), -EBUSY);
	while (removed == 0 || rd.calls == 0)
		ut_poll_n(1);
	assert_int_equal(rd.rc, 0);
	assert_memory_equal(buf, g_fx.shadow, 4096);
	assert_int_equal(del.calls, 0);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	while (del.calls == 0)
		ut_poll_n(1);
	assert_int_equal(del.rc, 0);
	assert_null(sio_bdev_get_by_name("tb0"));
	free(buf);
}

/* ---- hot-remove while several threads keep I/O in flight ---- */

struct hr_worker {
	int removed;      /* set by the REMOVE event, on the worker's own thread */
	int ready;        /* the worker has its channel and I/O in flight */
	int finished;
	uint32_t inflight;
	uint64_t ok, enodev, other, submit_enodev;
	uint8_t *bufs;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint64_t seed;
};

static void hr_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	struct hr_worker *w = ctx;

	if (type == SIO_BDEV_EVENT_REMOVE)
		w->removed = 1;
}

static void hr_done(void *arg, int rc)
{
	struct hr_worker *w = arg;

	w->inflight--;
	if (rc == 0)
		w->ok++;
	else if (rc == -ENODEV)
		w->enodev++;
	else
		w->other++;
}

static int hr_thread_fn(void *arg)
{
	struct hr_worker *w = arg;
	struct sio_thread *t = sio_thread_get_current();
	uint64_t deadline = ut_now_ns() + 20000000000ull;
	uint32_t slot = 0;
	int rc;

	rc = sio_bdev_open("tb0", true, hr_event, w, &w->desc);
	if (rc != 0)
		goto out;
	w->ch = sio_bdev_desc_get_io_channel(w->desc);
	if (w->ch == NULL) {
		rc = -ENOMEM;
		sio_bdev_close(w->desc);
		goto out;
	}
	while (!w->removed && ut_now_ns() < deadline) {
		while (w->inflight < 16 && !w->removed) {
			uint64_t off = (tu_rand(&w->seed) % (TB_FILE_SIZE / 4096)) * 4096;
			uint8_t *buf = w->bufs + (size_t)(slot++ % 16) * 4096;

			rc = (tu_rand(&w->seed) & 1) ?
				     sio_bdev_read(w->desc, w->ch, buf, off, 4096, hr_done, w) :
				     sio_bdev_write(w->desc, w->ch, buf, off, 4096, hr_done, w);
			if (rc == -ENODEV) {
				w->submit_enodev++;
				break;
			}
			if (rc != 0)
				break;
			w->inflight++;
		}
		__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
		sio_thread_poll(t, 0);
	}
	/* Removed: what is in flight still completes; then let the bdev go. */
	while (w->inflight > 0 && ut_now_ns() < deadline)
		sio_thread_poll(t, 0);
	rc = w->removed && w->inflight == 0 ? 0 : -ETIMEDOUT;
	sio_io_channel_put(w->ch);
	sio_bdev_close(w->desc);
	ut_poll_n(10);
out:
	__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
	return rc;
}

static void test_hot_remove_under_load(void **state)
{
	struct hr_worker w[2];
	struct sio_os_thread *ts[2];
	struct ut_cpl del = {0};
	uint64_t deadline;
	int i, res;

	memset(w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		w[i].seed = 77 + (uint64_t)i;
		w[i].bufs = aligned_alloc(4096, 16 * 4096);
		memset(w[i].bufs, 0x11 * (i + 1), 16 * 4096);
		assert_int_equal(sio_os_thread_spawn("tb_hr", hr_thread_fn, &w[i], &ts[i]), 0);
	}
	for (i = 0; i < 2; i++)
		assert_true(ut_poll_until(&w[i].ready));
	ut_poll_n(1000);
	assert_int_equal(g_mod.delete("tb0", ut_cpl_cb, &del), 0);
	deadline = ut_now_ns() + 20000000000ull;
	while ((del.calls == 0 || !__atomic_load_n(&w[0].finished, __ATOMIC_ACQUIRE) ||
		!__atomic_load_n(&w[1].finished, __ATOMIC_ACQUIRE)) &&
	       ut_now_ns() < deadline)
		ut_poll_n(1);
	for (i = 0; i < 2; i++) {
		assert_true(__atomic_load_n(&w[i].finished, __ATOMIC_ACQUIRE));
		assert_int_equal(sio_os_thread_join(ts[i], &res), 0);
		assert_int_equal(res, 0);
		/* Every I/O either succeeded or was refused for the removal, none lost. */
		assert_int_equal(w[i].other, 0);
		assert_int_equal(w[i].inflight, 0);
		assert_true(w[i].ok > 0);
		free(w[i].bufs);
	}
	assert_int_equal(del.calls, 1);
	assert_int_equal(del.rc, 0);
	assert_null(sio_bdev_get_by_name("tb0"));
}

static int tb_run_in(const char *dir)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_properties, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_random_io_one_thread, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_random_io_three_threads, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_flush_unmap_write_zeroes, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_single_buffer, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_rpc_params_and_save_config, tb_setup,
						tb_teardown),
		cmocka_unit_test_setup_teardown(test_rescan, tb_setup, tb_teardown),
		cmocka_unit_test_setup_teardown(test_delete_with_open_descriptor, tb_setup,
						tb_teardown),
		cmocka_unit_test_setup_teardown(test_hot_remove_under_load, tb_setup, tb_teardown),
	};

	g_dir = dir;
	fprintf(stderr, "%s bdev: files in %s, %s\n", g_mod.name, dir,
		g_direct ? "O_DIRECT" : "buffered");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Run the suite: with --direct on a disk directory that accepts O_DIRECT
 * (exit 77 when none does), else in /dev/shm and /tmp (where the file
 * systems may or may not take O_DIRECT: the module decides).
 */
static int tb_main(int argc, char **argv)
{
	struct sio_thread *t;
	int rc = 0;

	if (ut_bdev_group_init("tb_main", &t) != 0) {
		fprintf(stderr, "cannot set up a thread and the bdev modules\n");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--direct") == 0) {
		const char *dir = tu_direct_dir();

		if (dir == NULL)
			return 77;
		g_direct = true;
		rc = tb_run_in(dir);
	} else {
		/* The module opens O_DIRECT where it can: see what /dev/shm and /tmp give. */
		if (access("/dev/shm", W_OK) == 0) {
			g_direct = tu_direct_works("/dev/shm");
			rc |= tb_run_in("/dev/shm");
		}
		g_direct = tu_direct_works("/tmp");
		rc |= tb_run_in("/tmp");
	}
	ut_bdev_group_fini();
	return rc;
}

#endif /* TEST_AIO_URING_BDEV_H */
