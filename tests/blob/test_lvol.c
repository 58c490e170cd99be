/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lvol bdev module through the bdev API: an lvstore on a malloc bdev,
 * thick and thin lvols written and read back at random offsets, snapshot
 * (the snapshot keeps the old data), clone, inflate, decouple, resize,
 * rename, read-only, delete, the lvstore renamed and destroyed; and, with
 * --restart FILE, a store on an aio bdev over a file that a child process
 * writes and then kills itself with SIGKILL: the parent's aio bdev over the
 * same file is examined, the lvstore and lvols come back and read back what
 * the child wrote and flushed.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "spdk_io/bdev.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/env.h"
#include "spdk_io/lvol.h"
#include "blob_test_util.h"
#include "../bdev/bdev_test_util.h"

#define MIB (1024u * 1024u)
#define BS 512u

static struct sio_thread *g_thread;
static char g_file[256];

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void ev_cb(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
}

struct vol {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint64_t blocks;
};

static int vol_open(const char *name, bool write, struct vol *v)
{
	int rc = sio_bdev_open(name, write, ev_cb, NULL, &v->desc);

	if (rc != 0)
		return rc;
	v->ch = sio_bdev_desc_get_io_channel(v->desc);
	v->blocks = sio_bdev_get_num_blocks(sio_bdev_desc_get_bdev(v->desc));
	return 0;
}

static void vol_close(struct vol *v)
{
	sio_io_channel_put(v->ch);
	sio_bdev_close(v->desc);
}

static void check(struct vol *v, const uint8_t *shadow)
{
	uint8_t *rd = sio_dma_malloc(v->blocks * BS, 4096);

	assert_int_equal(sio_bdev_read_blocks_await(v->desc, v->ch, rd, 0, v->blocks), 0);
	assert_memory_equal(rd, shadow, v->blocks * BS);
	sio_dma_free(rd);
}

static void random_writes(struct vol *v, uint8_t *shadow, int n, uint32_t seed)
{
	uint8_t *buf = sio_dma_malloc(256 * BS, 4096);

	srand(seed);
	for (int i = 0; i < n; i++) {
		uint64_t len = 1 + (uint64_t)rand() % 256;
		uint64_t off = (uint64_t)rand() % (v->blocks - len + 1);

		fill(buf, len * BS, (uint32_t)rand());
		assert_int_equal(sio_bdev_write_blocks_await(v->desc, v->ch, buf, off, len), 0);
		memcpy(shadow + off * BS, buf, len * BS);
	}
	sio_dma_free(buf);
}

static int t_lvol(void *arg)
{
	struct sio_bdev_malloc_opts mo;
	char lvs_uuid[37], thick[37], thin[37], snap[37], clone[37];
	struct vol v, s, c;
	uint64_t bytes = 8 * MIB;
	uint8_t *orig = calloc(1, bytes), *cur, *cl;
	struct sio_bdev *b;

	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "Malloc0";
	mo.block_size = BS;
	mo.num_blocks = 64 * MIB / BS;
	assert_int_equal(sio_bdev_malloc_create(&mo, NULL), 0);
	assert_int_equal(sio_lvs_create_await("Malloc0", "lvs0", MIB, lvs_uuid), 0);
	assert_int_equal(sio_lvs_create_await("Malloc0", "lvs1", MIB, NULL), -EBUSY);
	assert_int_equal(sio_lvs_create_await("nope", "lvs1", MIB, NULL), -ENOENT);
	assert_string_equal(sio_lvs_find(lvs_uuid), "lvs0");
	assert_int_equal(sio_lvol_create_await("lvs0", "thick", bytes, false, thick), 0);
	assert_int_equal(sio_lvol_create_await("lvs0", "thin", 16 * MIB, true, thin), 0);
	assert_int_equal(sio_lvol_create_await("lvs0", "thin", MIB, true, NULL), -EEXIST);
	assert_int_equal(sio_lvol_create_await("lvs0", "zero", 0, true, NULL), -EINVAL);
	b = sio_bdev_get_by_name("lvs0/thick");
	assert_non_null(b);
	assert_string_equal(sio_bdev_get_name(b), thick);
	assert_int_equal(sio_bdev_get_num_blocks(b), bytes / BS);

	/* data on the thick lvol, read back */
	assert_int_equal(vol_open("lvs0/thick", true, &v), 0);
	assert_int_equal(sio_bdev_write_blocks_await(v.desc, v.ch, orig, 0, v.blocks), 0);
	random_writes(&v, orig, 100, 1);
	check(&v, orig);
	/* thin: zeroes, then data */
	{
		struct vol t;
		uint8_t *ts = calloc(1, 16 * MIB);

		assert_int_equal(vol_open(thin, true, &t), 0);
		check(&t, ts);
		random_writes(&t, ts, 50, 2);
		check(&t, ts);
		vol_close(&t);
		free(ts);
	}
	/* snapshot keeps the old data; the origin copies on write */
	assert_int_equal(sio_lvol_snapshot_await("lvs0/thick", "snap", snap), 0);
	cur = malloc(bytes);
	memcpy(cur, orig, bytes);
	random_writes(&v, cur, 100, 3);
	check(&v, cur);
	assert_int_equal(vol_open("lvs0/snap", false, &s), 0);
	check(&s, orig);
	/* clone of the snapshot: two clones, so the snapshot cannot be deleted */
	assert_int_equal(sio_lvol_clone_await("lvs0/snap", "clone", clone), 0);
	assert_int_equal(sio_lvol_delete_await("lvs0/snap"), -EBUSY);
	assert_non_null(sio_bdev_get_by_name("lvs0/snap"));
	assert_int_equal(sio_lvol_clone_await("lvs0/thick", "bad", NULL), -EINVAL);
	assert_int_equal(vol_open(clone, true, &c), 0);
	cl = malloc(bytes);
	memcpy(cl, orig, bytes);
	check(&c, cl);
	random_writes(&c, cl, 50, 4);
	check(&c, cl);
	check(&s, orig);
	/* inflate the clone, decouple the origin: data intact */
	assert_int_equal(sio_lvol_inflate_await(clone), 0);
	check(&c, cl);
	assert_int_equal(sio_lvol_decouple_parent_await("lvs0/thick"), 0);
	check(&v, cur);
	vol_close(&s);
	assert_int_equal(sio_lvol_delete_await("lvs0/snap"), 0);
	assert_null(sio_bdev_get_by_name("lvs0/snap"));
	check(&v, cur);
	check(&c, cl);
	/* a snapshot with one clone: deleted into it, the clone's data intact */
	assert_int_equal(sio_lvol_snapshot_await("lvs0/thick", "snap2", NULL), 0);
	random_writes(&v, cur, 30, 5);
	assert_int_equal(sio_lvol_delete_await("lvs0/snap2"), 0);
	assert_null(sio_bdev_get_by_name("lvs0/snap2"));
	check(&v, cur);
	vol_close(&c);
	vol_close(&v);
	/* resize, rename, read-only */
	assert_int_equal(sio_lvol_resize_await("lvs0/thick", 12 * MIB), 0);
	assert_int_equal(sio_bdev_get_num_blocks(sio_bdev_get_by_name(thick)), 12 * MIB / BS);
	assert_int_equal(sio_lvol_rename_await("lvs0/thick", "big"), 0);
	assert_non_null(sio_bdev_get_by_name("lvs0/big"));
	assert_null(sio_bdev_get_by_name("lvs0/thick"));
	assert_int_equal(sio_lvs_rename_await("lvs0", "store"), 0);
	assert_non_null(sio_bdev_get_by_name("store/big"));
	assert_int_equal(sio_lvol_set_read_only_await("store/big"), 0);
	assert_int_equal(vol_open("store/big", true, &v), 0);
	{
		uint8_t one[BS] = {0};

		assert_int_not_equal(sio_bdev_write_blocks_await(v.desc, v.ch, one, 0, 1), 0);
		v.blocks = bytes / BS;
		check(&v, cur);
	}
	vol_close(&v);
	assert_int_equal(sio_lvol_delete_await(clone), 0);
	assert_int_equal(sio_lvs_destroy_await("store"), 0);
	assert_null(sio_bdev_get_by_name("store/big"));
	assert_null(sio_lvs_find(lvs_uuid));
	free(orig);
	free(cur);
	free(cl);
	return 0;
}

static void test_lvol(void **state)
{
	assert_int_equal(ut_run_task(t_lvol, NULL), 0);
}

/* ---- restart: a child writes and is killed; the parent finds the lvols ---- */

#define RS_BYTES (16u * MIB)

/* ------------------------------------------------------------------------ */

struct inflight {
	int done;
	int errors;
};

static void inflight_cb(void *arg, int rc)
{
	struct inflight *f = arg;

	f->done++;
	if (rc != 0)
		f->errors++;
}

static struct sio_bdev_io_stat base_stat(const char *name)
{
	struct sio_bdev_io_stat st;
	struct inflight f = {0};

	memset(&st, 0, sizeof(st));
	assert_int_equal(sio_bdev_get_io_stat(sio_bdev_get_by_name(name), &st, inflight_cb, &f), 0);
	while (f.done == 0)
		assert_int_equal(sio_yield(), 0);
	return st;
}

/*
 * Direct I/O (the bdev_io handed to the base): the base's statistics count
 * every lvol read and write as its own; a snapshot taken while 32 writes are
 * in flight waits for them (the freeze drains direct I/O too), so it holds
 * their data, and writes submitted meanwhile wait for the thaw and land in
 * the clone only.
 */
static int t_lvol_direct(void *arg)
{
	struct sio_bdev_malloc_opts mo;
	struct sio_bdev_io_stat b0, b1;
	struct vol v, s;
	uint64_t bytes = 4 * MIB, blocks = bytes / BS;
	uint8_t *shadow = malloc(bytes), *old, *buf = sio_dma_malloc(bytes, 4096);
	struct inflight f = {0}, snap = {0};
	char snap_uuid[37];

	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "MallocD";
	mo.block_size = BS;
	mo.num_blocks = 16 * MIB / BS;
	assert_int_equal(sio_bdev_malloc_create(&mo, NULL), 0);
	assert_int_equal(sio_lvs_create_await("MallocD", "lvsd", MIB, NULL), 0);
	assert_int_equal(sio_lvol_create_await("lvsd", "vol", bytes, false, NULL), 0);
	assert_int_equal(vol_open("lvsd/vol", true, &v), 0);
	fill(shadow, bytes, 41);
	assert_int_equal(sio_bdev_write_blocks_await(v.desc, v.ch, shadow, 0, blocks), 0);

	/* 10 reads and 5 writes inside clusters: 10 and 5 on the base, nothing else. */
	b0 = base_stat("MallocD");
	for (int i = 0; i < 10; i++)
		assert_int_equal(sio_bdev_read_blocks_await(v.desc, v.ch, buf, (uint64_t)i * 300, 8), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sio_bdev_write_blocks_await(v.desc, v.ch, shadow + i * 700 * BS,
							     (uint64_t)i * 700, 4), 0);
	b1 = base_stat("MallocD");
	assert_int_equal(b1.num_read_ops - b0.num_read_ops, 10);
	assert_int_equal(b1.bytes_read - b0.bytes_read, 80 * BS);
	assert_int_equal(b1.num_write_ops - b0.num_write_ops, 5);
	assert_int_equal(b1.bytes_written - b0.bytes_written, 20 * BS);

	/* 32 writes in flight, then the snapshot, then 32 more while it runs. */
	fill(buf, bytes, 42);
	for (int i = 0; i < 32; i++) {
		uint64_t off = (uint64_t)i * 256;

		assert_int_equal(sio_bdev_write_blocks(v.desc, v.ch, buf + off * BS, off, 16,
						       inflight_cb, &f), 0);
		memcpy(shadow + off * BS, buf + off * BS, 16 * BS);
	}
	old = malloc(bytes);
	memcpy(old, shadow, bytes);
	assert_int_equal(sio_lvol_snapshot("lvsd/vol", "snap", snap_uuid, inflight_cb, &snap), 0);
	for (int i = 0; i < 32; i++) {
		uint64_t off = (uint64_t)i * 256 + 128;

		assert_int_equal(sio_bdev_write_blocks(v.desc, v.ch, buf + off * BS, off, 16,
						       inflight_cb, &f), 0);
		memcpy(shadow + off * BS, buf + off * BS, 16 * BS);
		if (i % 8 == 0)
			assert_int_equal(sio_yield(), 0);
	}
	while (f.done < 64 || snap.done == 0)
		assert_int_equal(sio_yield(), 0);
	assert_int_equal(f.errors, 0);
	assert_int_equal(snap.errors, 0);
	check(&v, shadow);
	assert_int_equal(vol_open("lvsd/snap", false, &s), 0);
	/* The first 32 are in the snapshot; of the second 32, those before the freeze may be. */
	assert_int_equal(sio_bdev_read_blocks_await(s.desc, s.ch, buf, 0, blocks), 0);
	for (uint64_t b = 0; b < blocks; b++) {
		bool second = (b % 256) >= 128 && (b % 256) < 144 && b / 256 < 32;

		if (!second)
			assert_memory_equal(buf + b * BS, old + b * BS, BS);
	}
	vol_close(&s);
	vol_close(&v);
	assert_int_equal(sio_lvol_delete_await("lvsd/vol"), 0);
	assert_int_equal(sio_lvol_delete_await("lvsd/snap"), 0);
	assert_int_equal(sio_lvs_destroy_await("lvsd"), 0);
	free(shadow);
	free(old);
	sio_dma_free(buf);
	return 0;
}

static void test_lvol_direct(void **state)
{
	assert_int_equal(ut_run_task(t_lvol_direct, NULL), 0);
}

static void aio_create(const char *name)
{
	struct sio_bdev_aio_opts ao;

	sio_bdev_aio_opts_init(&ao, sizeof(ao));
	ao.name = name;
	ao.filename = g_file;
	ao.block_size = BS;
	assert_int_equal(sio_bdev_aio_create(&ao, NULL), 0);
}

static int t_child(void *arg)
{
	struct vol v;
	uint8_t *buf = sio_dma_malloc(4 * MIB, 4096);

	aio_create("aio0");
	assert_int_equal(sio_lvs_create_await("aio0", "plvs", MIB, NULL), 0);
	assert_int_equal(sio_lvol_create_await("plvs", "a", 4 * MIB, false, NULL), 0);
	assert_int_equal(sio_lvol_create_await("plvs", "b", 8 * MIB, true, NULL), 0);
	assert_int_equal(vol_open("plvs/a", true, &v), 0);
	fill(buf, 4 * MIB, 100);
	assert_int_equal(sio_bdev_write_blocks_await(v.desc, v.ch, buf, 0, v.blocks), 0);
	assert_int_equal(sio_bdev_flush_blocks_await(v.desc, v.ch, 0, v.blocks), 0);
	vol_close(&v);
	assert_int_equal(vol_open("plvs/b", true, &v), 0);
	fill(buf, MIB, 200);
	/* thin: a cluster allocated by this write, in the middle of the volume */
	assert_int_equal(sio_bdev_write_blocks_await(v.desc, v.ch, buf, 3 * MIB / BS, MIB / BS), 0);
	assert_int_equal(sio_bdev_flush_blocks_await(v.desc, v.ch, 0, v.blocks), 0);
	assert_int_equal(sio_lvol_snapshot_await("plvs/b", "bsnap", NULL), 0);
	/* no unload, no close: the power goes */
	kill(getpid(), SIGKILL);
	return 0;
}

static int t_parent(void *arg)
{
	struct vol v;
	uint8_t *buf = sio_dma_malloc(4 * MIB, 4096), *rd = sio_dma_malloc(8 * MIB, 4096);

	aio_create("aio1");
	{
		struct sio_future f;

		assert_int_equal(sio_future_init(&f), 0);
		assert_int_equal(sio_bdev_wait_for_examine(sio_future_cb, &f), 0);
		assert_int_equal(sio_await(&f), 0);
	}
	assert_non_null(sio_bdev_get_by_name("plvs/a"));
	assert_non_null(sio_bdev_get_by_name("plvs/bsnap"));
	assert_int_equal(vol_open("plvs/a", false, &v), 0);
	fill(buf, 4 * MIB, 100);
	assert_int_equal(sio_bdev_read_blocks_await(v.desc, v.ch, rd, 0, v.blocks), 0);
	assert_memory_equal(rd, buf, 4 * MIB);
	vol_close(&v);
	assert_int_equal(vol_open("plvs/b", false, &v), 0);
	assert_int_equal(v.blocks, 8 * MIB / BS);
	assert_int_equal(sio_bdev_read_blocks_await(v.desc, v.ch, rd, 0, v.blocks), 0);
	fill(buf, MIB, 200);
	assert_memory_equal(rd + 3 * MIB, buf, MIB);
	for (size_t i = 0; i < 8 * MIB; i++) {
		if (i < 3 * MIB || i >= 4 * MIB)
			assert_int_equal(rd[i], 0);
	}
	vol_close(&v);
	assert_int_equal(sio_lvs_destroy_await("plvs"), 0);
	sio_dma_free(buf);
	sio_dma_free(rd);
	return 0;
}

static void test_restart(void **state)
{
	pid_t pid;
	int st;
	FILE *f;

	if (g_file[0] == 0) {
		print_message("no backing file name for the restart: skipped\n");
		skip();
	}
	f = fopen(g_file, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), RS_BYTES), 0);
	fclose(f);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ut_run_task(t_child, NULL);
		_exit(3); /* not reached: the child kills itself */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(ut_run_task(t_parent, NULL), 0);
	unlink(g_file);
}

/*
 * ---- kill -9 mid-stream on a uring bdev ----
 * A child writes 64 KiB pieces in turn to a thick and a thin lvol (the thin
 * one allocating a cluster every 16 writes) on a uring bdev over a file,
 * flushes both every 8 writes and then tells the parent, through a pipe, how
 * many writes the flush covered. The parent kills it with SIGKILL after a few
 * of those reports, while it is writing; a uring bdev over the same file then
 * finds the lvstore, and every write covered by a reported flush reads back.
 */
#define KW_BLOCKS (64u * 1024u / BS)
#define KW_TOTAL 128u /* 64 per volume: thick 4 MiB whole, thin its first 4 MiB */

static int g_pipe[2];

static int uring_create(const char *name)
{
	struct sio_bdev_uring_opts uo;

	sio_bdev_uring_opts_init(&uo, sizeof(uo));
	uo.name = name;
	uo.filename = g_file;
	uo.block_size = BS;
	return sio_bdev_uring_create(&uo, NULL);
}

static int t_kill_child(void *arg)
{
	struct vol v[2];
	uint8_t *buf = sio_dma_malloc(KW_BLOCKS * BS, 4096);

	if (buf == NULL || uring_create("u0") != 0 ||
	    sio_lvs_create_await("u0", "klvs", MIB, NULL) != 0 ||
	    sio_lvol_create_await("klvs", "thick", 4 * MIB, false, NULL) != 0 ||
	    sio_lvol_create_await("klvs", "thin", 8 * MIB, true, NULL) != 0 ||
	    vol_open("klvs/thick", true, &v[0]) != 0 || vol_open("klvs/thin", true, &v[1]) != 0)
		_exit(4);
	for (uint32_t i = 0; i < KW_TOTAL; i++) {
		struct vol *w = &v[i & 1];

		fill(buf, KW_BLOCKS * BS, 1000 + i);
		if (sio_bdev_write_blocks_await(w->desc, w->ch, buf, (i / 2) * KW_BLOCKS,
						KW_BLOCKS) != 0)
			_exit(5);
		if (i % 8 == 7) {
			uint32_t n = i + 1;

			if (sio_bdev_flush_blocks_await(v[0].desc, v[0].ch, 0, v[0].blocks) != 0 ||
			    sio_bdev_flush_blocks_await(v[1].desc, v[1].ch, 0, v[1].blocks) != 0 ||
			    write(g_pipe[1], &n, sizeof(n)) != (ssize_t)sizeof(n))
				_exit(6);
		}
	}
	/* Done before the kill (a fast machine): wait for it. */
	for (;;)
		pause();
	return 0;
}

static int t_kill_parent(void *arg)
{
	uint32_t flushed = *(uint32_t *)arg;
	uint8_t *buf = sio_dma_malloc(KW_BLOCKS * BS, 4096), *rd = sio_dma_malloc(8 * MIB, 4096);
	struct vol v[2];

	assert_int_equal(uring_create("u1"), 0);
	{
		struct sio_future f;

		assert_int_equal(sio_future_init(&f), 0);
		assert_int_equal(sio_bdev_wait_for_examine(sio_future_cb, &f), 0);
		assert_int_equal(sio_await(&f), 0);
	}
	assert_int_equal(vol_open("klvs/thick", false, &v[0]), 0);
	assert_int_equal(vol_open("klvs/thin", false, &v[1]), 0);
	assert_int_equal(v[0].blocks, 4 * MIB / BS);
	assert_int_equal(v[1].blocks, 8 * MIB / BS);
	for (uint32_t i = 0; i < flushed; i++) {
		struct vol *w = &v[i & 1];

		fill(buf, KW_BLOCKS * BS, 1000 + i);
		assert_int_equal(sio_bdev_read_blocks_await(w->desc, w->ch, rd, (i / 2) * KW_BLOCKS,
							    KW_BLOCKS), 0);
		if (memcmp(rd, buf, KW_BLOCKS * BS) != 0)
			fail_msg("write %u of %u flushed ones lost", i, flushed);
	}
	/* The thin volume's second half was never written: zeroes, unallocated. */
	assert_int_equal(sio_bdev_read_blocks_await(v[1].desc, v[1].ch, rd, 4 * MIB / BS,
						    4 * MIB / BS), 0);
	for (size_t i = 0; i < 4 * MIB; i++)
		assert_int_equal(rd[i], 0);
	vol_close(&v[0]);
	vol_close(&v[1]);
	assert_int_equal(sio_lvs_destroy_await("klvs"), 0);
	sio_dma_free(buf);
	sio_dma_free(rd);
	return 0;
}

static int t_uring_probe(void *arg)
{
	int rc = uring_create("uprobe");

	return rc != 0 ? rc : SIO_AWAIT_CALL(sio_bdev_uring_delete, "uprobe");
}

static void test_kill_uring(void **state)
{
	uint32_t n, flushed = 0, want = 2 + (uint32_t)getpid() % 10, got = 0;
	pid_t pid;
	int st, probe;
	FILE *f;

	f = fopen(g_file, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), RS_BYTES), 0);
	fclose(f);
	/* io_uring may be unavailable here (old kernel, seccomp): skip then. */
	probe = ut_run_task(t_uring_probe, NULL);
	if (probe != 0) {
		print_message("uring bdev unavailable (%d): skipped\n", probe);
		unlink(g_file);
		skip();
	}
	assert_int_equal(pipe(g_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(g_pipe[0]);
		ut_run_task(t_kill_child, NULL);
		_exit(3);
	}
	close(g_pipe[1]);
	/* Kill it after @want flush reports, in the middle of its writes. */
	while (got < want && read(g_pipe[0], &n, sizeof(n)) == (ssize_t)sizeof(n)) {
		flushed = n;
		got++;
	}
	assert_int_equal(got, want);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Reports sent before it died count too. */
	while (read(g_pipe[0], &n, sizeof(n)) == (ssize_t)sizeof(n))
		flushed = n;
	close(g_pipe[0]);
	print_message("killed after %u flushed writes of %u\n", flushed, KW_TOTAL);
	assert_int_equal(ut_run_task(t_kill_parent, &flushed), 0);
	unlink(g_file);
}

static int setup(void **state)
{
	return ut_bdev_group_init("lvol_ut", &g_thread);
}

static int teardown(void **state)
{
	ut_bdev_group_fini();
	ut_thread_exit(g_thread);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lvol),
		cmocka_unit_test(test_lvol_direct),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_kill_uring),
	};

	snprintf(g_file, sizeof(g_file), "/tmp/sio_lvol_restart_%d.img", (int)getpid());
	return cmocka_run_group_tests(tests, setup, teardown);
}
