/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blobstore over the RAM device, on one sio_thread (test bodies are tasks
 * using the awaitable forms; some calls use the callback form): init, load
 * and unload; blobs thick and thin with xattrs; every I/O call with data read
 * back and compared against a shadow copy at random offsets and sizes;
 * snapshots, clones, inflate, decouple; resize, read-only, iterate, delete;
 * bad input; a reload that finds everything again; and direct I/O
 * (sio_blob_direct_start/done) with a snapshot's freeze waiting for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "spdk_io/blob.h"
#include "spdk_io/env.h"
#include "blob_test_util.h"

#define BL 512u
#define CLUSTER (64u * 1024u)
#define UPC (CLUSTER / BL)
#define DEV_BLOCKS (32u * 1024u * 1024u / BL)

static struct sio_thread *g_thread;

static struct sio_blob_store *new_store(struct sio_blob_dev **devp)
{
	struct sio_bs_opts o;
	struct sio_blob_store *bs = NULL;
	struct sio_blob_dev *dev;

	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, NULL, &dev), 0);
	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = CLUSTER;
	memcpy(o.bstype, "TEST", 4);
	assert_int_equal(sio_bs_init_await(dev, &o, &bs), 0);
	if (devp)
		*devp = dev;
	return bs;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ------------------------------------------------------------------------ */

static int t_basic(void *arg)
{
	struct sio_blob_dev *dev;
	struct sio_blob_store *bs = new_store(&dev), *bs2 = NULL;
	struct sio_blob_opts bo;
	struct sio_blob_xattr x[2] = {{"name", "vol0", 4}, {"uuid", "1234", 4}};
	sio_blob_id id, id2;
	struct sio_blob *b;
	const void *v;
	size_t len;
	const char *names[4];
	uint64_t free0 = sio_bs_free_cluster_count(bs);
	void *img;
	struct sio_blob_dev *dev2;

	assert_int_equal(sio_bs_get_cluster_size(bs), CLUSTER);
	assert_int_equal(sio_bs_get_io_unit_size(bs), BL);
	assert_int_equal(free0, sio_bs_total_data_clusters(bs));
	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 5;
	bo.xattrs = x;
	bo.xattr_count = 2;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), 0);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 - 5);
	bo.num_clusters = 100;
	bo.thin_provision = true;
	bo.xattr_count = 0;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id2), 0);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 - 5);
	assert_int_not_equal(id, id2);

	assert_int_equal(sio_blob_open_await(bs, id, &b), 0);
	assert_int_equal(sio_blob_get_id(b), id);
	assert_int_equal(sio_blob_get_num_clusters(b), 5);
	assert_int_equal(sio_blob_get_num_io_units(b), 5 * UPC);
	assert_false(sio_blob_is_thin(b));
	assert_int_equal(sio_blob_get_xattr(b, "name", &v, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "vol0", 4);
	assert_int_equal(sio_blob_get_xattr(b, "nope", &v, &len), -ENOENT);
	/* xattrs: set, replace, remove, list; persisted by sync */
	assert_int_equal(sio_blob_set_xattr(b, "extra", "abcdef", 6), 0);
	assert_int_equal(sio_blob_set_xattr(b, "name", "vol0-renamed", 12), 0);
	assert_int_equal(sio_blob_remove_xattr(b, "uuid"), 0);
	assert_int_equal(sio_blob_remove_xattr(b, "uuid"), -ENOENT);
	assert_int_equal(sio_blob_set_xattr(b, "", "x", 1), -EINVAL);
	assert_int_equal(sio_blob_xattr_names(b, names, 4), 2);
	assert_int_equal(sio_blob_sync_md_await(b), 0);
	/* resize: grow allocates (thick), shrink frees */
	assert_int_equal(sio_blob_resize_await(b, 8), 0);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 - 8);
	assert_int_equal(sio_blob_resize_await(b, 3), 0);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 - 3);
	/* a second open is the same handle */
	{
		struct sio_blob *b2;

		assert_int_equal(sio_blob_open_await(bs, id, &b2), 0);
		assert_ptr_equal(b, b2);
		assert_int_equal(sio_blob_close_await(b2), 0);
	}
	assert_int_equal(sio_blob_delete_await(bs, id), -EBUSY);
	assert_int_equal(sio_bs_unload(bs, sio_future_cb, NULL), -EBUSY);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_blob_open_await(bs, 12345, &b), -ENOENT);
	assert_int_equal(sio_bs_set_super_await(bs, id2), 0);

	/* Reload from the device's bytes: everything is found again. */
	img = malloc((size_t)DEV_BLOCKS * BL);
	assert_non_null(img);
	memcpy(img, sio_blob_ram_dev_image(dev), (size_t)DEV_BLOCKS * BL);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, img, &dev2), 0);
	assert_int_equal(sio_bs_load_await(dev2, "OTHER", &bs2), -EXDEV);
	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, img, &dev2), 0);
	assert_int_equal(sio_bs_load_await(dev2, "TEST", &bs2), 0);
	assert_int_equal(sio_bs_get_super(bs2), id2);
	assert_int_equal(sio_bs_free_cluster_count(bs2), free0 - 3);
	assert_int_equal(sio_blob_open_await(bs2, id, &b), 0);
	assert_int_equal(sio_blob_get_num_clusters(b), 3);
	assert_int_equal(sio_blob_get_xattr(b, "name", &v, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(v, "vol0-renamed", 12);
	assert_int_equal(sio_blob_get_xattr(b, "extra", &v, &len), 0);
	assert_int_equal(sio_blob_get_xattr(b, "uuid", &v, &len), -ENOENT);
	/* read-only: persisted by close */
	assert_int_equal(sio_blob_set_read_only(b), 0);
	assert_int_equal(sio_blob_set_xattr(b, "x", "y", 1), -EPERM);
	assert_int_equal(sio_blob_resize_await(b, 4), -EPERM);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_blob_open_await(bs2, id2, &b), 0);
	assert_true(sio_blob_is_thin(b));
	assert_int_equal(sio_blob_get_num_clusters(b), 100);
	assert_int_equal(sio_blob_close_await(b), 0);
	/* delete frees the clusters and the id */
	assert_int_equal(sio_blob_delete_await(bs2, id), 0);
	assert_int_equal(sio_blob_delete_await(bs2, id), -ENOENT);
	assert_int_equal(sio_bs_free_cluster_count(bs2), free0);
	memcpy(img, sio_blob_ram_dev_image(dev2), (size_t)DEV_BLOCKS * BL);
	assert_int_equal(sio_bs_unload_await(bs2), 0);
	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, img, &dev2), 0);
	assert_int_equal(sio_bs_load_await(dev2, NULL, &bs2), 0);
	assert_int_equal(sio_blob_open_await(bs2, id, &b), -ENOENT);
	assert_int_equal(sio_blob_open_await(bs2, id2, &b), 0);
	assert_true(sio_blob_is_read_only(b) == false);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_bs_unload_await(bs2), 0);
	free(img);
	return 0;
}

static void test_basic(void **state)
{
	assert_int_equal(ut_run_task(t_basic, NULL), 0);
}

/* ------------------------------------------------------------------------ */

static int count_cb(void *arg, sio_blob_id id)
{
	(*(int *)arg)++;
	return 0;
}

static int t_bad_input(void *arg)
{
	struct sio_blob_dev *dev, *dev2;
	struct sio_blob_store *bs = new_store(&dev), *bs2;
	struct sio_bs_opts o;
	struct sio_blob_opts bo;
	struct sio_blob *b;
	struct sio_io_channel *ch;
	sio_blob_id id;
	uint8_t buf[BL];
	int n = 0;

	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = 3000;
	assert_int_equal(sio_blob_ram_dev_create(BL, 1024, NULL, &dev2), 0);
	assert_int_equal(sio_bs_init_await(dev2, &o, &bs2), -EINVAL);
	/* not a blobstore: zeroes */
	assert_int_equal(sio_bs_load_await(dev2, NULL, &bs2), -EILSEQ);
	assert_int_equal(sio_bs_init(NULL, NULL, &bs2, sio_future_cb, NULL), -EINVAL);

	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 2;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), 0);
	assert_int_equal(sio_blob_open_await(bs, id, &b), 0);
	ch = sio_bs_alloc_io_channel(bs);
	assert_non_null(ch);
	assert_int_equal(sio_blob_read_await(b, ch, buf, 2 * UPC, 1), -EINVAL);
	assert_int_equal(sio_blob_read_await(b, ch, buf, 2 * UPC - 1, 2), -EINVAL);
	assert_int_equal(sio_blob_read_await(b, ch, buf, 0, 0), -EINVAL);
	assert_int_equal(sio_blob_read_await(b, ch, NULL, 0, 1), -EINVAL);
	assert_int_equal(sio_blob_readv_await(b, ch, NULL, 1, 0, 1), -EINVAL);
	{
		struct iovec v = {buf, 100};

		assert_int_equal(sio_blob_readv_await(b, ch, &v, 1, 0, 1), -EINVAL);
	}
	bo.num_clusters = sio_bs_free_cluster_count(bs) + 1;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), -ENOSPC);
	bo.num_clusters = 1u << 30; /* far past any over-provisioning */
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), -EINVAL);
	/* opts_size: too short to cover itself is refused; a caller that knows only the
	 * fields up to num_clusters gets the defaults (thick, no xattrs) for the rest. */
	bo.opts_size = sizeof(size_t) - 1;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), -EINVAL);
	memset(&bo, 0xff, sizeof(bo));
	sio_blob_opts_init(&bo, offsetof(struct sio_blob_opts, thin_provision));
	assert_int_equal(bo.opts_size, offsetof(struct sio_blob_opts, thin_provision));
	assert_int_equal(bo.num_clusters, 0);
	assert_true(*(uint8_t *)&bo.thin_provision == 0xff); /* past opts_size: untouched */
	bo.num_clusters = 1;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), 0);
	{
		struct sio_blob *t;

		assert_int_equal(sio_blob_open_await(bs, id, &t), 0);
		assert_false(sio_blob_is_thin(t));
		assert_int_equal(sio_blob_get_num_clusters(t), 1);
		assert_int_equal(sio_blob_close_await(t), 0);
		assert_int_equal(sio_blob_delete_await(bs, id), 0);
	}
	sio_blob_opts_init(&bo, sizeof(bo));
	memset(&o, 0xff, sizeof(o));
	sio_bs_opts_init(&o, sizeof(o));
	assert_int_equal(o.opts_size, sizeof(o));
	assert_int_equal(o.cluster_sz, 1u << 20);
	assert_int_equal(sio_blob_set_read_only(b), 0);
	assert_int_equal(sio_blob_write_await(b, ch, buf, 0, 1), -EPERM);
	assert_int_equal(sio_blob_read_await(b, ch, buf, 0, 1), 0);
	assert_int_equal(sio_bs_iter(bs, count_cb, &n), 0);
	assert_int_equal(n, 1);
	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	return 0;
}

static void test_bad_input(void **state)
{
	assert_int_equal(ut_run_task(t_bad_input, NULL), 0);
}

/* ------------------------------------------------------------------------ */

/* Random I/O with every call against a shadow copy; returns the shadow. */
static void random_io(struct sio_blob *b, struct sio_io_channel *ch, uint8_t *shadow,
		      uint64_t units, int rounds, uint32_t seed)
{
	uint8_t *buf = sio_dma_malloc(4 * CLUSTER, 4096), *rd = sio_dma_malloc(4 * CLUSTER, 4096);

	assert_non_null(buf);
	assert_non_null(rd);
	srand(seed);
	for (int r = 0; r < rounds; r++) {
		uint64_t len = 1 + (uint64_t)rand() % (3 * UPC);
		uint64_t off = (uint64_t)rand() % (units - len + 1);
		int kind = rand() % 5;

		switch (kind) {
		case 0:
		case 1:
			fill(buf, len * BL, (uint32_t)rand());
			if (kind == 0) {
				assert_int_equal(sio_blob_write_await(b, ch, buf, off, len), 0);
			} else {
				/* three iovecs with odd splits */
				size_t a = (len * BL) / 3, c2 = (len * BL) / 2;
				struct iovec v[3] = {{buf, a}, {buf + a, c2 - a},
						     {buf + c2, len * BL - c2}};

				assert_int_equal(sio_blob_writev_await(b, ch, v, 3, off, len), 0);
			}
			memcpy(shadow + off * BL, buf, len * BL);
			break;
		case 2:
			assert_int_equal(sio_blob_write_zeroes_await(b, ch, off, len), 0);
			memset(shadow + off * BL, 0, len * BL);
			break;
		default:
			break;
		}
		/* read back a random range with readv */
		len = 1 + (uint64_t)rand() % (3 * UPC);
		off = (uint64_t)rand() % (units - len + 1);
		{
			size_t a = (len * BL) / 4;
			struct iovec v[2] = {{rd, a}, {rd + a, len * BL - a}};

			assert_int_equal(sio_blob_readv_await(b, ch, v, 2, off, len), 0);
			assert_memory_equal(rd, shadow + off * BL, len * BL);
		}
	}
	sio_dma_free(buf);
	sio_dma_free(rd);
}

static void check_all(struct sio_blob *b, struct sio_io_channel *ch, const uint8_t *shadow,
		      uint64_t units)
{
	uint8_t *rd = sio_dma_malloc(units * BL, 4096);

	assert_non_null(rd);
	assert_int_equal(sio_blob_read_await(b, ch, rd, 0, units), 0);
	assert_memory_equal(rd, shadow, units * BL);
	sio_dma_free(rd);
}

static int t_io(void *arg)
{
	struct sio_blob_store *bs = new_store(NULL);
	struct sio_blob_opts bo;
	struct sio_blob *b, *t;
	struct sio_io_channel *ch;
	sio_blob_id id, tid;
	uint64_t units = 16 * UPC, free0;
	uint8_t *shadow = calloc(units, BL), *tshadow = calloc(units, BL);

	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 16;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), 0);
	bo.thin_provision = true;
	assert_int_equal(sio_blob_create_await(bs, &bo, &tid), 0);
	assert_int_equal(sio_blob_open_await(bs, id, &b), 0);
	assert_int_equal(sio_blob_open_await(bs, tid, &t), 0);
	ch = sio_bs_alloc_io_channel(bs);
	assert_non_null(ch);
	/* thick: content unspecified until written; write it all first */
	fill(shadow, units * BL, 7);
	assert_int_equal(sio_blob_write_await(b, ch, shadow, 0, units), 0);
	random_io(b, ch, shadow, units, 200, 1);
	check_all(b, ch, shadow, units);
	/* unmap of whole clusters keeps the blob's size; reads are device-defined (zero on RAM) */
	assert_int_equal(sio_blob_unmap_await(b, ch, UPC, UPC), 0);
	memset(shadow + UPC * BL, 0, CLUSTER);
	check_all(b, ch, shadow, units);

	/* thin: zeroes until written, a cluster allocated by the first write */
	free0 = sio_bs_free_cluster_count(bs);
	check_all(t, ch, tshadow, units);
	assert_int_equal(sio_blob_get_num_allocated_clusters(t), 0);
	assert_int_equal(sio_blob_write_zeroes_await(t, ch, 0, units), 0);
	assert_int_equal(sio_blob_get_num_allocated_clusters(t), 0);
	{
		uint8_t one[BL];

		fill(one, BL, 3);
		assert_int_equal(sio_blob_write_await(t, ch, one, 3 * UPC + 5, 1), 0);
		memcpy(tshadow + (3 * UPC + 5) * BL, one, BL);
	}
	assert_int_equal(sio_blob_get_num_allocated_clusters(t), 1);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 - 1);
	check_all(t, ch, tshadow, units);
	random_io(t, ch, tshadow, units, 200, 2);
	check_all(t, ch, tshadow, units);
	assert_int_equal(sio_blob_flush_await(t, ch), 0);

	/* callback form: a write whose completion we poll for */
	{
		struct sio_future f;
		uint8_t one[BL];

		memset(one, 0xab, BL);
		assert_int_equal(sio_future_init(&f), 0);
		assert_int_equal(sio_blob_write(b, ch, one, 0, 1, sio_future_cb, &f), 0);
		assert_int_equal(sio_await(&f), 0);
		memcpy(shadow, one, BL);
		check_all(b, ch, shadow, units);
	}
	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_blob_close_await(t), 0);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	free(shadow);
	free(tshadow);
	return 0;
}

static void test_io(void **state)
{
	assert_int_equal(ut_run_task(t_io, NULL), 0);
}

/* ------------------------------------------------------------------------ */

static int t_snapshot_clone(void *arg)
{
	struct sio_blob_dev *dev, *dev2;
	struct sio_blob_store *bs = new_store(&dev);
	struct sio_blob_opts bo;
	struct sio_blob *b, *s, *c, *s2;
	struct sio_io_channel *ch;
	sio_blob_id id, sid, cid, s2id;
	uint64_t units = 8 * UPC;
	uint8_t *orig = malloc(units * BL), *cur = malloc(units * BL), *cl = malloc(units * BL);
	uint8_t *mid;
	const void *v;
	size_t len;
	struct sio_blob_xattr sx = {"snapname", "snap1", 5};
	void *img;

	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 8;
	assert_int_equal(sio_blob_create_await(bs, &bo, &id), 0);
	assert_int_equal(sio_blob_open_await(bs, id, &b), 0);
	assert_int_equal(sio_blob_set_xattr(b, "name", "origin", 6), 0);
	ch = sio_bs_alloc_io_channel(bs);
	fill(orig, units * BL, 11);
	assert_int_equal(sio_blob_write_await(b, ch, orig, 0, units), 0);

	/* snapshot: the blob becomes a thin clone of it */
	assert_int_equal(sio_blob_snapshot_await(bs, id, &sx, 1, &sid), 0);
	assert_true(sio_blob_is_thin(b));
	assert_int_equal(sio_blob_get_parent(b), sid);
	assert_int_equal(sio_blob_get_num_allocated_clusters(b), 0);
	assert_int_equal(sio_blob_open_await(bs, sid, &s), 0);
	assert_true(sio_blob_is_read_only(s));
	assert_true(sio_blob_is_snapshot(s));
	assert_int_equal(sio_blob_get_xattr(s, "snapname", &v, &len), 0);
	assert_int_equal(sio_blob_get_xattr(s, "name", &v, &len), 0);
	assert_int_equal(sio_bs_blob_clone_count(bs, sid), 1);
	check_all(b, ch, orig, units);
	check_all(s, ch, orig, units);
	/* writes to the origin copy on write; the snapshot keeps the old data */
	memcpy(cur, orig, units * BL);
	random_io(b, ch, cur, units, 100, 5);
	check_all(b, ch, cur, units);
	check_all(s, ch, orig, units);
	assert_int_equal(sio_blob_write_await(s, ch, orig, 0, 1), -EPERM);
	assert_int_equal(sio_blob_delete_await(bs, sid), -EBUSY);

	/* clone of the snapshot, written to */
	assert_int_equal(sio_blob_clone_await(bs, sid, NULL, 0, &cid), 0);
	assert_int_equal(sio_blob_clone_await(bs, id, NULL, 0, &s2id), -EINVAL);
	assert_int_equal(sio_blob_open_await(bs, cid, &c), 0);
	memcpy(cl, orig, units * BL);
	check_all(c, ch, cl, units);
	random_io(c, ch, cl, units, 60, 6);
	check_all(c, ch, cl, units);
	check_all(s, ch, orig, units);
	assert_int_equal(sio_bs_blob_clone_count(bs, sid), 2);

	/* a snapshot of the clone: chain clone -> s2 -> s */
	assert_int_equal(sio_blob_snapshot_await(bs, cid, NULL, 0, &s2id), 0);
	assert_int_equal(sio_blob_get_parent(c), s2id);
	assert_int_equal(sio_bs_get_blob_parent(bs, s2id), sid);
	mid = malloc(units * BL);
	memcpy(mid, cl, units * BL);
	random_io(c, ch, cl, units, 30, 7);
	assert_int_equal(sio_blob_open_await(bs, s2id, &s2), 0);
	check_all(s2, ch, mid, units);
	check_all(c, ch, cl, units);

	/* reload: the chains and their data are found again */
	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_blob_close_await(s), 0);
	assert_int_equal(sio_blob_close_await(c), 0);
	assert_int_equal(sio_blob_close_await(s2), 0);
	img = malloc((size_t)DEV_BLOCKS * BL);
	memcpy(img, sio_blob_ram_dev_image(dev), (size_t)DEV_BLOCKS * BL);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, img, &dev2), 0);
	free(img);
	assert_int_equal(sio_bs_load_await(dev2, NULL, &bs), 0);
	ch = sio_bs_alloc_io_channel(bs);
	assert_int_equal(sio_blob_open_await(bs, id, &b), 0);
	assert_int_equal(sio_blob_open_await(bs, sid, &s), 0);
	assert_int_equal(sio_blob_open_await(bs, cid, &c), 0);
	assert_int_equal(sio_blob_open_await(bs, s2id, &s2), 0);
	check_all(b, ch, cur, units);
	check_all(s, ch, orig, units);
	check_all(c, ch, cl, units);
	check_all(s2, ch, mid, units);

	/* decouple the clone from s2: it now reads s directly, data intact */
	assert_int_equal(sio_blob_decouple_parent_await(bs, cid), 0);
	assert_int_equal(sio_blob_get_parent(c), sid);
	assert_true(sio_blob_is_thin(c));
	check_all(c, ch, cl, units);
	assert_int_equal(sio_blob_close_await(s2), 0);
	assert_int_equal(sio_blob_delete_await(bs, s2id), 0);
	check_all(c, ch, cl, units);
	/* inflate: every cluster allocated, no parent */
	assert_int_equal(sio_blob_inflate_await(bs, cid), 0);
	assert_int_equal(sio_blob_get_parent(c), 0);
	assert_false(sio_blob_is_thin(c));
	assert_int_equal(sio_blob_get_num_allocated_clusters(c), 8);
	check_all(c, ch, cl, units);
	/* decouple the origin from s (no grandparent): parent none, thin */
	assert_int_equal(sio_blob_decouple_parent_await(bs, id), 0);
	assert_int_equal(sio_blob_get_parent(b), 0);
	check_all(b, ch, cur, units);
	assert_int_equal(sio_blob_decouple_parent_await(bs, id), -EINVAL);
	/* no clones left: the snapshot can go */
	assert_int_equal(sio_blob_close_await(s), 0);
	assert_int_equal(sio_blob_delete_await(bs, sid), 0);
	check_all(b, ch, cur, units);
	check_all(c, ch, cl, units);

	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(b), 0);
	assert_int_equal(sio_blob_close_await(c), 0);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	free(orig);
	free(cur);
	free(cl);
	free(mid);
	return 0;
}

static void test_snapshot_clone(void **state)
{
	assert_int_equal(ut_run_task(t_snapshot_clone, NULL), 0);
}

/* ------------------------------------------------------------------------ */

/*
 * Deleting a snapshot with one clone: the clone takes the snapshot's clusters
 * it did not have and its parent; the data every blob reads is unchanged, the
 * clusters the clone had already are freed; two clones refuse; a reload finds
 * the same.
 */
static int t_delete_snapshot(void *arg)
{
	struct sio_blob_dev *dev, *dev2;
	struct sio_blob_store *bs = new_store(&dev);
	struct sio_blob_opts bo;
	struct sio_blob *a, *s2, *t;
	struct sio_io_channel *ch;
	sio_blob_id aid, s1, s2id, cid, tid, ts;
	uint64_t units = 8 * UPC, free0, own;
	uint8_t *cur = malloc(units * BL), *mid = malloc(units * BL), *tcur = calloc(units, BL);
	void *img;

	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 8;
	assert_int_equal(sio_blob_create_await(bs, &bo, &aid), 0);
	assert_int_equal(sio_blob_open_await(bs, aid, &a), 0);
	ch = sio_bs_alloc_io_channel(bs);
	fill(cur, units * BL, 21);
	assert_int_equal(sio_blob_write_await(a, ch, cur, 0, units), 0);
	/* a -> s2 -> s1, each level with data of its own */
	assert_int_equal(sio_blob_snapshot_await(bs, aid, NULL, 0, &s1), 0);
	/* clusters 1, 2 (part of it) and 5 get copies in a, later in s2 */
	fill(cur + (UPC + 7) * BL, (UPC + 9) * BL, 22);
	assert_int_equal(sio_blob_write_await(a, ch, cur + (UPC + 7) * BL, UPC + 7, UPC + 9), 0);
	fill(cur + 5 * UPC * BL, BL, 27);
	assert_int_equal(sio_blob_write_await(a, ch, cur + 5 * UPC * BL, 5 * UPC, 1), 0);
	assert_int_equal(sio_blob_snapshot_await(bs, aid, NULL, 0, &s2id), 0);
	memcpy(mid, cur, units * BL);
	random_io(a, ch, cur, units, 20, 23);
	assert_int_equal(sio_blob_open_await(bs, s2id, &s2), 0);
	own = sio_blob_get_num_allocated_clusters(s2);
	assert_int_equal(own, 3);
	assert_int_equal(sio_blob_close_await(s2), 0);
	free0 = sio_bs_free_cluster_count(bs);

	/* s1 has one clone (s2): deleted into it */
	assert_int_equal(sio_blob_delete_await(bs, s1), 0);
	assert_int_equal(sio_bs_get_blob_parent(bs, s2id), 0);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 + own);
	assert_int_equal(sio_blob_open_await(bs, s2id, &s2), 0);
	assert_int_equal(sio_blob_get_num_allocated_clusters(s2), 8);
	assert_true(sio_blob_is_snapshot(s2) && sio_blob_is_read_only(s2));
	check_all(s2, ch, mid, units);
	check_all(a, ch, cur, units);

	/* two clones: refused; one again after the second goes */
	assert_int_equal(sio_blob_clone_await(bs, s2id, NULL, 0, &cid), 0);
	assert_int_equal(sio_blob_close_await(s2), 0);
	assert_int_equal(sio_blob_delete_await(bs, s2id), -EBUSY);
	assert_int_equal(sio_blob_delete_await(bs, cid), 0);
	free0 = sio_bs_free_cluster_count(bs);
	own = sio_blob_get_num_allocated_clusters(a);
	assert_int_equal(sio_blob_delete_await(bs, s2id), 0);
	assert_int_equal(sio_blob_get_parent(a), 0);
	assert_int_equal(sio_blob_get_num_allocated_clusters(a), 8);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0 + own);
	check_all(a, ch, cur, units);

	/* thin origin, partly written, shrunk after the snapshot: the tail is freed */
	bo.thin_provision = true;
	assert_int_equal(sio_blob_create_await(bs, &bo, &tid), 0);
	assert_int_equal(sio_blob_open_await(bs, tid, &t), 0);
	fill(tcur + 3 * UPC * BL, 2 * UPC * BL, 24);
	assert_int_equal(sio_blob_write_await(t, ch, tcur + 3 * UPC * BL, 3 * UPC, 2 * UPC), 0);
	fill(tcur + 7 * UPC * BL, UPC * BL, 25);
	assert_int_equal(sio_blob_write_await(t, ch, tcur + 7 * UPC * BL, 7 * UPC, UPC), 0);
	assert_int_equal(sio_blob_snapshot_await(bs, tid, NULL, 0, &ts), 0);
	random_io(t, ch, tcur, 6 * UPC, 10, 26);
	assert_int_equal(sio_blob_resize_await(t, 6), 0);
	free0 = sio_bs_free_cluster_count(bs);
	own = sio_blob_get_num_allocated_clusters(t);
	assert_int_equal(sio_blob_delete_await(bs, ts), 0);
	check_all(t, ch, tcur, 6 * UPC);
	/* the snapshot's 3 clusters (3, 4, 7): taken by t where it had none, else freed */
	assert_int_equal(sio_bs_free_cluster_count(bs) + sio_blob_get_num_allocated_clusters(t),
			 free0 + own + 3);
	assert_true(sio_blob_is_thin(t));

	/* reload: the same data, and owned + free adds up */
	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(a), 0);
	assert_int_equal(sio_blob_close_await(t), 0);
	img = malloc((size_t)DEV_BLOCKS * BL);
	memcpy(img, sio_blob_ram_dev_image(dev), (size_t)DEV_BLOCKS * BL);
	free0 = sio_bs_free_cluster_count(bs);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, img, &dev2), 0);
	free(img);
	assert_int_equal(sio_bs_load_await(dev2, NULL, &bs), 0);
	assert_int_equal(sio_bs_free_cluster_count(bs), free0);
	ch = sio_bs_alloc_io_channel(bs);
	assert_int_equal(sio_blob_open_await(bs, aid, &a), 0);
	assert_int_equal(sio_blob_open_await(bs, tid, &t), 0);
	check_all(a, ch, cur, units);
	check_all(t, ch, tcur, 6 * UPC);
	assert_int_equal(sio_bs_free_cluster_count(bs) + 8 + sio_blob_get_num_allocated_clusters(t),
			 sio_bs_total_data_clusters(bs));
	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(a), 0);
	assert_int_equal(sio_blob_close_await(t), 0);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	free(cur);
	free(mid);
	free(tcur);
	return 0;
}

static void test_delete_snapshot(void **state)
{
	assert_int_equal(ut_run_task(t_delete_snapshot, NULL), 0);
}

/* ------------------------------------------------------------------------ */

/* Random bytes over the metadata region: load fails cleanly or recovers. */
#define SMALL_BLOCKS (4u * 1024u * 1024u / BL)

static int t_garbage(void *arg)
{
	struct sio_blob_dev *dev, *dev2;
	struct sio_blob_store *bs = NULL, *bs2;
	struct sio_bs_opts o;
	struct sio_blob_opts bo;
	sio_blob_id id;
	uint8_t *img = malloc((size_t)SMALL_BLOCKS * BL), *work = malloc((size_t)SMALL_BLOCKS * BL);
	int ok = 0, failed = 0;

	assert_int_equal(sio_blob_ram_dev_create(BL, SMALL_BLOCKS, NULL, &dev), 0);
	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = 16384;
	assert_int_equal(sio_bs_init_await(dev, &o, &bs), 0);

	sio_blob_opts_init(&bo, sizeof(bo));
	for (int i = 0; i < 6; i++) {
		struct sio_blob_xattr x = {"k", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 40};

		bo.num_clusters = (uint64_t)i + 1;
		bo.thin_provision = i & 1;
		bo.xattrs = &x;
		bo.xattr_count = 1;
		assert_int_equal(sio_blob_create_await(bs, &bo, &id), 0);
	}
	memcpy(img, sio_blob_ram_dev_image(dev), (size_t)SMALL_BLOCKS * BL);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	srand(99);
	for (int round = 0; round < 200; round++) {
		int rc;

		memcpy(work, img, (size_t)SMALL_BLOCKS * BL);
		/* a few random bytes, or a whole random page, in the first 64 pages */
		if (round % 4 == 0) {
			size_t pg = (size_t)(rand() % 64) * 4096;

			for (int k = 0; k < 4096; k++)
				work[pg + k] = (uint8_t)rand();
		} else {
			for (int k = 0; k < 1 + rand() % 8; k++)
				work[rand() % (64 * 4096)] ^= (uint8_t)(1 + rand() % 255);
		}
		assert_int_equal(sio_blob_ram_dev_create(BL, SMALL_BLOCKS, work, &dev2), 0);
		rc = sio_bs_load_await(dev2, NULL, &bs2);
		if (rc == 0) {
			ok++;
			assert_int_equal(sio_bs_unload_await(bs2), 0);
		} else {
			failed++;
			assert_true(rc == -EILSEQ || rc == -EUCLEAN);
		}
	}
	print_message("garbage: %d loads recovered, %d refused\n", ok, failed);
	free(img);
	free(work);
	return 0;
}

static void test_garbage(void **state)
{
	assert_int_equal(ut_run_task(t_garbage, NULL), 0);
}

/* ------------------------------------------------------------------------ */

static void dev_cb(void *arg, int rc)
{
	*(int *)arg = rc + 1000;
}

/* The RAM device's I/O completes inside the call: @rc says how it went. */
static int dev_rw(struct sio_blob_dev *dev, struct sio_io_channel *dch, bool write, void *buf,
		  uint64_t lba, uint32_t n)
{
	int done = 0;
	int rc = write ? dev->write(dev, dch, buf, lba, n, dev_cb, &done)
		       : dev->read(dev, dch, buf, lba, n, dev_cb, &done);

	assert_int_equal(rc, 0);
	assert_int_equal(done, 1000);
	return 0;
}

static void snap_cb(void *arg, int rc)
{
	int *r = arg;

	*r = rc + 1000;
}

/*
 * sio_blob_direct_start()/done(): the common case mapped (a thick blob, a
 * thin blob's allocated cluster, a clone reading its parent's cluster) with
 * the data where the blob reads it; everything else refused with -EAGAIN; a
 * freeze (snapshot) waits for a mapped I/O until its done, and refuses new
 * ones meanwhile.
 */
static int t_direct(void *arg)
{
	struct sio_blob_dev *dev;
	struct sio_blob_store *bs = new_store(&dev);
	struct sio_blob_opts bo;
	struct sio_blob *a, *t, *s;
	struct sio_io_channel *ch, *dch, *dch2;
	sio_blob_id aid, tid, sid;
	uint64_t lba, lba2;
	uint64_t units = 4 * UPC;
	uint8_t *img = malloc(units * BL), *buf = malloc(units * BL);
	int snap_rc = 0;

	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = 4;
	assert_int_equal(sio_blob_create_await(bs, &bo, &aid), 0);
	bo.thin_provision = true;
	assert_int_equal(sio_blob_create_await(bs, &bo, &tid), 0);
	assert_int_equal(sio_blob_open_await(bs, aid, &a), 0);
	assert_int_equal(sio_blob_open_await(bs, tid, &t), 0);
	ch = sio_bs_alloc_io_channel(bs);
	fill(img, units * BL, 31);
	assert_int_equal(sio_blob_write_await(a, ch, img, 0, units), 0);

	/* A read inside cluster 1: the device holds the blob's data there. */
	assert_int_equal(sio_blob_direct_start(a, ch, false, UPC + 3, 5, &lba, &dch), 0);
	assert_non_null(dch);
	dev_rw(dev, dch, false, buf, lba, 5);
	sio_blob_direct_done(ch);
	assert_memory_equal(buf, img + (UPC + 3) * BL, 5 * BL);
	/* A write to the last unit of cluster 2: the blob reads it back. */
	fill(img + (3 * UPC - 1) * BL, BL, 32);
	assert_int_equal(sio_blob_direct_start(a, ch, true, 3 * UPC - 1, 1, &lba, &dch), 0);
	dev_rw(dev, dch, true, img + (3 * UPC - 1) * BL, lba, 1);
	sio_blob_direct_done(ch);
	assert_int_equal(sio_blob_read_await(a, ch, buf, 0, units), 0);
	assert_memory_equal(buf, img, units * BL);

	/* Refused: across clusters, empty, past the end, thin and unallocated. */
	assert_int_equal(sio_blob_direct_start(a, ch, false, UPC - 1, 2, &lba, &dch), -EAGAIN);
	assert_int_equal(sio_blob_direct_start(a, ch, false, 0, 0, &lba, &dch), -EAGAIN);
	assert_int_equal(sio_blob_direct_start(a, ch, false, units, 1, &lba, &dch), -EAGAIN);
	assert_int_equal(sio_blob_direct_start(t, ch, true, UPC, 1, &lba, &dch), -EAGAIN);
	assert_int_equal(sio_blob_direct_start(t, ch, false, UPC, 1, &lba, &dch), -EAGAIN);
	/* The thin blob's cluster once allocated by a write through the blob. */
	assert_int_equal(sio_blob_write_await(t, ch, img, UPC, 1), 0);
	assert_int_equal(sio_blob_direct_start(t, ch, true, UPC + 1, 2, &lba, &dch), 0);
	sio_blob_direct_done(ch);

	/* After a snapshot, a reads its parent's cluster; a write must copy first. */
	assert_int_equal(sio_blob_direct_start(a, ch, false, 0, 1, &lba, &dch), 0);
	sio_blob_direct_done(ch);
	assert_int_equal(sio_blob_snapshot_await(bs, aid, NULL, 0, &sid), 0);
	assert_int_equal(sio_blob_direct_start(a, ch, false, 0, 1, &lba2, &dch2), 0);
	sio_blob_direct_done(ch);
	assert_int_equal(lba2, lba);
	assert_int_equal(sio_blob_direct_start(a, ch, true, 0, 1, &lba2, &dch2), -EAGAIN);
	assert_int_equal(sio_blob_open_await(bs, sid, &s), 0);
	assert_true(sio_blob_is_read_only(s));
	assert_int_equal(sio_blob_direct_start(s, ch, true, 0, 1, &lba2, &dch2), -EAGAIN);
	assert_int_equal(sio_blob_direct_start(s, ch, false, 0, 1, &lba2, &dch2), 0);
	sio_blob_direct_done(ch);
	/* The clone's write through the blob copies the cluster; then it maps there. */
	assert_int_equal(sio_blob_write_await(a, ch, img, 0, 1), 0);
	assert_int_equal(sio_blob_direct_start(a, ch, true, 0, 1, &lba2, &dch2), 0);
	sio_blob_direct_done(ch);
	assert_int_not_equal(lba2, lba);

	/* A freeze waits for a mapped I/O and refuses new ones until it is done. */
	assert_int_equal(sio_blob_direct_start(t, ch, false, UPC, 1, &lba, &dch), 0);
	assert_int_equal(sio_blob_snapshot(bs, tid, NULL, 0, &sid, snap_cb, &snap_rc), 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(sio_yield(), 0);
	assert_int_equal(snap_rc, 0);
	assert_int_equal(sio_blob_direct_start(t, ch, false, UPC, 1, &lba2, &dch2), -EAGAIN);
	sio_blob_direct_done(ch);
	for (int i = 0; i < 100000 && snap_rc == 0; i++)
		assert_int_equal(sio_yield(), 0);
	assert_int_equal(snap_rc, 1000);
	/* Thawed: the clone reads the snapshot's cluster directly again. */
	assert_int_equal(sio_blob_direct_start(t, ch, false, UPC, 1, &lba2, &dch2), 0);
	sio_blob_direct_done(ch);
	assert_int_equal(lba2, lba);

	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_blob_close_await(s), 0);
	assert_int_equal(sio_blob_close_await(t), 0);
	assert_int_equal(sio_blob_close_await(a), 0);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	free(img);
	free(buf);
	return 0;
}

static void test_direct(void **state)
{
	assert_int_equal(ut_run_task(t_direct, NULL), 0);
}

static int setup(void **state)
{
	g_thread = sio_thread_attach("blob_ut");
	return g_thread ? 0 : -1;
}

static int teardown(void **state)
{
	ut_thread_exit(g_thread);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_snapshot_clone),
		cmocka_unit_test(test_delete_snapshot),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_direct),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
