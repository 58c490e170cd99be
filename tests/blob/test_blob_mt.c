/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Blob I/O from several OS threads at once while the metadata thread takes
 * snapshots and grows the blob: four workers each own an interleaved set of
 * 4 KiB stripes of one thin blob (so they allocate the same clusters at the
 * same time), write random data and read their stripes back after every
 * write; the metadata thread meanwhile snapshots the blob (freezing its I/O,
 * moving its clusters), resizes it, and deletes two of the snapshots into
 * their only clone (one of them into the blob being written: it takes the
 * snapshot's clusters with its I/O held). At the end the blob, read as a whole,
 * equals the workers' combined shadow, and every snapshot is readable.
 * Also in the tsan suite.
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
#include "../common/ut_thread.h"

#define BL 512u
#define CL (64u * 1024u)
#define UPC (CL / BL)
#define NCL 16u
#define STRIPE 8u /* io units per stripe (4 KiB) */
#define NW 4
#define ROUNDS 300

static struct sio_blob_store *g_bs;
static struct sio_blob *g_blob;
static uint8_t *g_shadow;
static int g_workers_done;

struct worker {
	int id;
	int errors;
};

struct wait {
	int done;
	int rc;
};

static void wait_cb(void *arg, int rc)
{
	struct wait *w = arg;

	w->rc = rc;
	w->done = 1;
}

static int poll_wait(struct wait *w)
{
	while (!w->done)
		sio_thread_poll(sio_thread_get_current(), 0);
	return w->rc;
}

static int worker_fn(void *arg)
{
	struct worker *wk = arg;
	struct sio_io_channel *ch = sio_bs_alloc_io_channel(g_bs);
	uint8_t *buf = sio_dma_malloc(STRIPE * BL, 4096), *rd = sio_dma_malloc(STRIPE * BL, 4096);
	uint32_t seed = 1234u + (uint32_t)wk->id;
	uint64_t stripes = NCL * UPC / STRIPE;

	if (ch == NULL || buf == NULL || rd == NULL)
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t s;
		struct wait w = {0};
		int rc;

		seed = seed * 1103515245u + 12345u;
		s = ((seed >> 8) % (stripes / NW)) * NW + (uint64_t)wk->id;
		for (uint32_t i = 0; i < STRIPE * BL; i++)
			buf[i] = (uint8_t)(seed + i * 31 + (uint32_t)wk->id);
		rc = sio_blob_write(g_blob, ch, buf, s * STRIPE, STRIPE, wait_cb, &w);
		if (rc == 0)
			rc = poll_wait(&w);
		if (rc != 0) {
			wk->errors++;
			continue;
		}
		/* this worker's stripes are its own: the shadow has no other writer */
		memcpy(g_shadow + s * STRIPE * BL, buf, STRIPE * BL);
		memset(&w, 0, sizeof(w));
		rc = sio_blob_read(g_blob, ch, rd, s * STRIPE, STRIPE, wait_cb, &w);
		if (rc == 0)
			rc = poll_wait(&w);
		if (rc != 0 || memcmp(rd, buf, STRIPE * BL) != 0)
			wk->errors++;
	}
	sio_bs_free_io_channel(ch);
	sio_dma_free(buf);
	sio_dma_free(rd);
	__atomic_add_fetch(&g_workers_done, 1, __ATOMIC_RELEASE);
	return 0;
}

struct md_state {
	int phase;
	sio_blob_id snaps[8];
	int nsnaps;
	int deleted; /* snapshots deleted into their clone */
	int rc;
};

/* The metadata thread's work while the workers run: snapshots and a resize. */
static int md_task(void *arg)
{
	struct md_state *m = arg;
	sio_blob_id id = sio_blob_get_id(g_blob);

	while (__atomic_load_n(&g_workers_done, __ATOMIC_ACQUIRE) < NW) {
		if (m->nsnaps < 4) {
			m->rc = sio_blob_snapshot_await(g_bs, id, NULL, 0, &m->snaps[m->nsnaps]);
			if (m->rc != 0)
				return m->rc;
			m->nsnaps++;
		}
		if (m->nsnaps == 2 && sio_blob_get_num_clusters(g_blob) == NCL) {
			m->rc = sio_blob_resize_await(g_blob, NCL + 4);
			if (m->rc != 0)
				return m->rc;
		}
		/*
		 * Chain blob -> s3 -> s2 -> s1 -> s0: delete s1 into s2, then s3
		 * into the blob the workers write (it takes s3's clusters).
		 */
		if (m->nsnaps == 4 && m->deleted < 2) {
			int k = m->deleted == 0 ? 1 : 3;

			m->rc = sio_blob_delete_await(g_bs, m->snaps[k]);
			if (m->rc != 0)
				return m->rc;
			m->snaps[k] = 0;
			m->deleted++;
		}
		sio_sleep(2000);
	}
	return 0;
}

static int setup_task(void *arg)
{
	struct sio_blob_dev *dev;
	struct sio_bs_opts o;
	struct sio_blob_opts bo;
	sio_blob_id id;

	assert_int_equal(sio_blob_ram_dev_create(BL, 64u * 1024u * 1024u / BL, NULL, &dev), 0);
	sio_bs_opts_init(&o, sizeof(o));
	o.cluster_sz = CL;
	assert_int_equal(sio_bs_init_await(dev, &o, &g_bs), 0);
	sio_blob_opts_init(&bo, sizeof(bo));
	bo.num_clusters = NCL;
	bo.thin_provision = true;
	assert_int_equal(sio_blob_create_await(g_bs, &bo, &id), 0);
	assert_int_equal(sio_blob_open_await(g_bs, id, &g_blob), 0);
	return 0;
}

static int check_task(void *arg)
{
	struct md_state *m = arg;
	struct sio_io_channel *ch = sio_bs_alloc_io_channel(g_bs);
	uint8_t *rd = sio_dma_malloc((NCL + 4) * CL, 4096);

	assert_int_equal(sio_blob_get_num_clusters(g_blob), NCL + 4);
	assert_int_equal(sio_blob_read_await(g_blob, ch, rd, 0, (NCL + 4) * UPC), 0);
	assert_memory_equal(rd, g_shadow, NCL * CL);
	for (uint64_t i = NCL * CL; i < (NCL + 4) * CL; i++)
		assert_int_equal(rd[i], 0);
	for (int i = 0; i < m->nsnaps; i++) {
		struct sio_blob *s;

		if (m->snaps[i] == 0)
			continue;

		assert_int_equal(sio_blob_open_await(g_bs, m->snaps[i], &s), 0);
		assert_int_equal(sio_blob_read_await(s, ch, rd, 0, sio_blob_get_num_io_units(s)), 0);
		assert_int_equal(sio_blob_close_await(s), 0);
	}
	print_message("%d snapshots taken, %d deleted into their clone under load\n", m->nsnaps,
		      m->deleted);
	sio_bs_free_io_channel(ch);
	sio_dma_free(rd);
	assert_int_equal(sio_blob_close_await(g_blob), 0);
	assert_int_equal(sio_bs_unload_await(g_bs), 0);
	return 0;
}

static int run(sio_task_fn fn, void *arg)
{
	struct sio_future f;

	assert_int_equal(sio_task_spawn(NULL, fn, arg, &f), 0);
	while (!sio_future_is_done(&f))
		sio_thread_poll(sio_thread_get_current(), 0);
	return sio_future_rc(&f);
}

static void test_mt(void **state)
{
	struct sio_thread *t = sio_thread_attach("blob_md");
	struct worker wk[NW];
	struct sio_os_thread *th[NW];
	struct md_state m = {0};
	struct sio_future mf;
	struct sio_task_opts to;

	assert_non_null(t);
	g_shadow = calloc(NCL, CL);
	assert_int_equal(run(setup_task, NULL), 0);
	for (int i = 0; i < NW; i++) {
		wk[i].id = i;
		wk[i].errors = 0;
		assert_int_equal(sio_os_thread_spawn("blob_w", worker_fn, &wk[i], &th[i]), 0);
	}
	sio_task_opts_init(&to, sizeof(to));
	assert_int_equal(sio_task_spawn(&to, md_task, &m, &mf), 0);
	/* The metadata thread serves allocations and runs md_task meanwhile. */
	while (!sio_future_is_done(&mf))
		sio_thread_poll(t, 0);
	assert_int_equal(sio_future_rc(&mf), 0);
	for (int i = 0; i < NW; i++) {
		int rc;

		assert_int_equal(sio_os_thread_join(th[i], &rc), 0);
		assert_int_equal(rc, 0);
		assert_int_equal(wk[i].errors, 0);
	}
	assert_int_equal(run(check_task, &m), 0);
	free(g_shadow);
	ut_thread_exit(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
