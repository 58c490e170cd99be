/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash consistency of the blobstore: a workload of creates, writes, resizes,
 * snapshots, clones, xattr syncs, inflate, decouple and deletes (one of a
 * snapshot into its only clone) runs on the
 * RAM device with a power cut after its Nth write (the next write torn or
 * lost), for every N the workload reaches. Each time the store is loaded from
 * what survived, and must be either the state after the last operation that
 * completed before the cut or the state after the one in flight: same blobs,
 * sizes, xattrs, and data (a torn data write may mix the two versions block
 * by block); the allocation map must add up, and the store must take a new
 * blob and writes.
 */
#include <inttypes.h>
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
#define CL 16384u
#define UPC (CL / BL)
#define DEV_BLOCKS (2u * 1024u * 1024u / BL)
#define MAXB 6
#define MAXOPS 32

struct mblob {
	sio_blob_id id;
	uint64_t ncl;
	uint8_t *data;   /* NULL: content unspecified (a fresh thick blob) */
	bool xattr;      /* has k=v */
};

struct mstate {
	int n;
	struct mblob b[MAXB];
};

static struct mstate g_states[MAXOPS];
static uint64_t g_writes_after[MAXOPS];
static int g_nops;

static struct sio_blob_dev *g_dev;
static struct sio_blob_store *g_bs;
static struct sio_io_channel *g_ch;

static void state_free(struct mstate *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->b[i].data);
	s->n = 0;
}

static void state_copy(struct mstate *d, const struct mstate *s)
{
	*d = *s;
	for (int i = 0; i < s->n; i++) {
		if (s->b[i].data) {
			d->b[i].data = malloc(s->b[i].ncl * CL);
			memcpy(d->b[i].data, s->b[i].data, s->b[i].ncl * CL);
		}
	}
}

static struct mblob *find(struct mstate *s, sio_blob_id id)
{
	for (int i = 0; i < s->n; i++) {
		if (s->b[i].id == id)
			return &s->b[i];
	}
	return NULL;
}

/* The model's current state, and a record of it after each operation. */
static struct mstate g_cur;

static void op_done(void)
{
	assert_true(g_nops < MAXOPS);
	state_copy(&g_states[g_nops], &g_cur);
	g_writes_after[g_nops] = sio_blob_ram_dev_writes(g_dev);
	g_nops++;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static sio_blob_id w_create(uint64_t ncl, bool thin)
{
	struct sio_blob_opts o;
	sio_blob_id id;
	struct mblob *m = &g_cur.b[g_cur.n++];

	sio_blob_opts_init(&o, sizeof(o));
	o.num_clusters = ncl;
	o.thin_provision = thin;
	assert_int_equal(sio_blob_create_await(g_bs, &o, &id), 0);
	m->id = id;
	m->ncl = ncl;
	m->data = thin ? calloc(ncl, CL) : NULL;
	m->xattr = false;
	op_done();
	return id;
}

static void w_write(sio_blob_id id, uint64_t off, uint64_t len, uint32_t seed)
{
	struct sio_blob *b;
	struct mblob *m = find(&g_cur, id);
	uint8_t *buf = sio_dma_malloc(len * BL, 4096);

	fill(buf, len * BL, seed);
	assert_int_equal(sio_blob_open_await(g_bs, id, &b), 0);
	assert_int_equal(sio_blob_write_await(b, g_ch, buf, off, len), 0);
	assert_int_equal(sio_blob_flush_await(b, g_ch), 0);
	assert_int_equal(sio_blob_close_await(b), 0);
	if (m->data == NULL) {
		assert_true(off == 0 && len == m->ncl * UPC);
		m->data = malloc(m->ncl * CL);
	}
	memcpy(m->data + off * BL, buf, len * BL);
	sio_dma_free(buf);
	op_done();
}

static void w_resize(sio_blob_id id, uint64_t ncl)
{
	struct sio_blob *b;
	struct mblob *m = find(&g_cur, id);

	assert_int_equal(sio_blob_open_await(g_bs, id, &b), 0);
	assert_int_equal(sio_blob_resize_await(b, ncl), 0);
	assert_int_equal(sio_blob_close_await(b), 0);
	if (m->data) {
		m->data = realloc(m->data, ncl * CL);
		if (ncl > m->ncl)
			memset(m->data + m->ncl * CL, 0, (ncl - m->ncl) * CL);
	}
	m->ncl = ncl;
	op_done();
}

static sio_blob_id w_snapshot(sio_blob_id id)
{
	sio_blob_id sid;
	struct mblob *m = find(&g_cur, id), *s = &g_cur.b[g_cur.n++];

	assert_int_equal(sio_blob_snapshot_await(g_bs, id, NULL, 0, &sid), 0);
	s->id = sid;
	s->ncl = m->ncl;
	s->xattr = m->xattr;
	s->data = malloc(m->ncl * CL);
	memcpy(s->data, m->data, m->ncl * CL);
	op_done();
	return sid;
}

static sio_blob_id w_clone(sio_blob_id sid)
{
	sio_blob_id cid;
	struct mblob *s = find(&g_cur, sid), *c = &g_cur.b[g_cur.n++];

	assert_int_equal(sio_blob_clone_await(g_bs, sid, NULL, 0, &cid), 0);
	c->id = cid;
	c->ncl = s->ncl;
	c->xattr = false;
	c->data = malloc(s->ncl * CL);
	memcpy(c->data, s->data, s->ncl * CL);
	op_done();
	return cid;
}

static void w_xattr(sio_blob_id id)
{
	struct sio_blob *b;

	assert_int_equal(sio_blob_open_await(g_bs, id, &b), 0);
	assert_int_equal(sio_blob_set_xattr(b, "k", "v", 1), 0);
	assert_int_equal(sio_blob_sync_md_await(b), 0);
	assert_int_equal(sio_blob_close_await(b), 0);
	find(&g_cur, id)->xattr = true;
	op_done();
}

static void w_delete(sio_blob_id id)
{
	struct mblob *m = find(&g_cur, id);

	assert_int_equal(sio_blob_delete_await(g_bs, id), 0);
	free(m->data);
	*m = g_cur.b[--g_cur.n];
	op_done();
}

static void w_inflate(sio_blob_id id, bool decouple)
{
	if (decouple)
		assert_int_equal(sio_blob_decouple_parent_await(g_bs, id), 0);
	else
		assert_int_equal(sio_blob_inflate_await(g_bs, id), 0);
	op_done();
}

/* The workload; g_bs open, the fault armed by the caller. */
static void workload(void)
{
	sio_blob_id a, b, s, c, d, e;

	a = w_create(4, false);
	w_write(a, 0, 4 * UPC, 1);
	b = w_create(6, true);
	w_write(b, 40, 40, 2);
	s = w_snapshot(a);
	w_write(a, 10, 40, 3);
	c = w_clone(s);
	w_write(c, 100, 20, 4);
	w_resize(b, 8);
	w_resize(a, 2);
	w_xattr(b);
	w_inflate(c, false);
	w_delete(b);
	d = w_create(3, false);
	w_write(d, 0, 3 * UPC, 5);
	w_inflate(a, true);
	w_delete(s);
	w_write(d, 7, 50, 6);
	/* a snapshot with one clone deleted into it: d takes e's clusters 0, 1 */
	e = w_snapshot(d);
	w_write(d, 3 * UPC - 10, 10, 7);
	w_delete(e);
	w_write(d, 5, 3, 8);
	(void)c;
}

struct verify_ctx {
	sio_blob_id ids[MAXB + 4];
	int n;
};

static int collect(void *arg, sio_blob_id id)
{
	struct verify_ctx *v = arg;

	assert_true(v->n < MAXB + 4);
	v->ids[v->n++] = id;
	return 0;
}

static bool state_matches(struct mstate *s, struct verify_ctx *v, struct sio_blob_store *bs)
{
	if (s->n != v->n)
		return false;
	for (int i = 0; i < v->n; i++) {
		struct mblob *m = find(s, v->ids[i]);
		struct sio_blob *b;
		bool ok;

		if (m == NULL)
			return false;
		assert_int_equal(sio_blob_open_await(bs, v->ids[i], &b), 0);
		ok = sio_blob_get_num_clusters(b) == m->ncl;
		{
			const void *val;
			size_t len;

			ok = ok && ((sio_blob_get_xattr(b, "k", &val, &len) == 0) == m->xattr);
		}
		assert_int_equal(sio_blob_close_await(b), 0);
		if (!ok)
			return false;
	}
	return true;
}

/* Load what survived a cut after @n writes, check it against states k and k+1. */
static void verify_image(const void *img, uint64_t persisted_writes)
{
	struct sio_blob_dev *dev;
	struct sio_blob_store *bs;
	struct verify_ctx v = {0};
	struct mstate *cand = NULL, *other = NULL;
	struct mstate empty = {0};
	int k = -1;
	uint64_t owned = 0;
	struct sio_io_channel *ch;
	uint8_t *rd = malloc(16 * CL);

	for (int i = 0; i < g_nops; i++) {
		if (g_writes_after[i] <= persisted_writes)
			k = i;
	}
	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, img, &dev), 0);
	assert_int_equal(sio_bs_load_await(dev, NULL, &bs), 0);
	assert_int_equal(sio_bs_iter(bs, collect, &v), 0);
	{
		struct mstate *sk = k >= 0 ? &g_states[k] : &empty;
		struct mstate *sk1 = k + 1 < g_nops ? &g_states[k + 1] : sk;

		if (state_matches(sk1, &v, bs)) {
			cand = sk1;
			other = sk;
		} else if (state_matches(sk, &v, bs)) {
			cand = sk;
			other = sk1;
		} else {
			fail_msg("after %" PRIu64 " writes (op %d): the store matches neither state",
				 persisted_writes, k);
		}
	}
	ch = sio_bs_alloc_io_channel(bs);
	for (int i = 0; i < cand->n; i++) {
		struct mblob *m = &cand->b[i], *o = find(other, m->id);
		struct sio_blob *b;

		assert_int_equal(sio_blob_open_await(bs, m->id, &b), 0);
		owned += sio_blob_get_num_allocated_clusters(b);
		assert_int_equal(sio_blob_read_await(b, ch, rd, 0, m->ncl * UPC), 0);
		for (uint64_t u = 0; m->data && u < m->ncl * UPC; u++) {
			bool same = memcmp(rd + u * BL, m->data + u * BL, BL) == 0;

			/* the operation in flight may have written part of its data */
			if (!same && o && u < o->ncl * UPC)
				same = o->data == NULL ||
				       memcmp(rd + u * BL, o->data + u * BL, BL) == 0;
			if (!same)
				fail_msg("after %" PRIu64 " writes: blob %" PRIx64 " block %" PRIu64
					 " differs", persisted_writes, m->id, u);
		}
		assert_int_equal(sio_blob_close_await(b), 0);
	}
	/* Every data cluster is owned once or free. */
	assert_int_equal(owned + sio_bs_free_cluster_count(bs), sio_bs_total_data_clusters(bs));
	/* The store takes new work. */
	{
		struct sio_blob_opts o;
		sio_blob_id id;
		struct sio_blob *b;

		sio_blob_opts_init(&o, sizeof(o));
		o.num_clusters = 2;
		o.thin_provision = true;
		assert_int_equal(sio_blob_create_await(bs, &o, &id), 0);
		assert_int_equal(sio_blob_open_await(bs, id, &b), 0);
		fill(rd, CL, 77);
		assert_int_equal(sio_blob_write_await(b, ch, rd, UPC, UPC), 0);
		assert_int_equal(sio_blob_read_await(b, ch, rd + CL, UPC, UPC), 0);
		assert_memory_equal(rd, rd + CL, CL);
		assert_int_equal(sio_blob_close_await(b), 0);
	}
	sio_bs_free_io_channel(ch);
	assert_int_equal(sio_bs_unload_await(bs), 0);
	free(rd);
}

struct sweep {
	uint64_t n;       /* writes that reach the media after arming */
	uint32_t tear;    /* blocks of the next write that do */
	bool armed;
	uint64_t total;   /* out: writes the workload made after arming */
};

static int t_run(void *arg)
{
	struct sweep *sw = arg;
	struct sio_bs_opts o;
	uint64_t base;
	void *img;

	assert_int_equal(sio_blob_ram_dev_create(BL, DEV_BLOCKS, NULL, &g_dev), 0);
	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = CL;
	assert_int_equal(sio_bs_init_await(g_dev, &o, &g_bs), 0);
	g_ch = sio_bs_alloc_io_channel(g_bs);
	base = sio_blob_ram_dev_writes(g_dev);
	if (sw->armed)
		assert_int_equal(sio_blob_ram_dev_set_fault(g_dev, sw->n, sw->tear), 0);
	g_nops = 0;
	memset(&g_cur, 0, sizeof(g_cur));
	workload();
	/* ops' write counts relative to arming */
	for (int i = 0; i < g_nops; i++)
		g_writes_after[i] -= base;
	sw->total = sio_blob_ram_dev_writes(g_dev) - base;
	img = malloc((size_t)DEV_BLOCKS * BL);
	memcpy(img, sio_blob_ram_dev_image(g_dev), (size_t)DEV_BLOCKS * BL);
	sio_bs_free_io_channel(g_ch);
	assert_int_equal(sio_bs_unload_await(g_bs), 0);
	verify_image(img, sw->armed ? sw->n : sw->total);
	free(img);
	for (int i = 0; i < g_nops; i++)
		state_free(&g_states[i]);
	state_free(&g_cur);
	return 0;
}

static void test_power_cut_sweep(void **state)
{
	struct sweep sw = {0};
	uint64_t total;
	int runs = 0;

	assert_int_equal(ut_run_task(t_run, &sw), 0);
	total = sw.total;
	print_message("workload: %d operations, %" PRIu64 " writes\n", g_nops, total);
	for (uint64_t n = 0; n <= total; n++) {
		for (uint32_t tear = 0; tear <= 3; tear += 3) {
			struct sweep s = {.n = n, .tear = tear, .armed = true};

			assert_int_equal(ut_run_task(t_run, &s), 0);
			runs++;
		}
	}
	print_message("%d power cuts, every load consistent\n", runs);
}

static struct sio_thread *g_thread;

static int setup(void **state)
{
	g_thread = sio_thread_attach("blob_crash");
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
		cmocka_unit_test(test_power_cut_sweep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
