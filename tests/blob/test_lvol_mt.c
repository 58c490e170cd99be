/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A thin lvol written from several OS threads at once (each with its own
 * sio_thread, descriptor and channel) while the app thread snapshots it and
 * deletes each snapshot again into it (the lvol takes the snapshot's
 * clusters, its I/O held meanwhile). Every slot of every worker owns
 * interleaved 32 KiB stripes, so all of them allocate the same 1 MiB
 * clusters at the same time; each write is read back at once, and at the end
 * the whole volume equals the workers' combined shadow. In the tsan suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "spdk_io/bdev.h"
#include "spdk_io/bdev_modules.h"
#include "spdk_io/env.h"
#include "spdk_io/lvol.h"
#include "../bdev/bdev_test_util.h"

#define MIB (1024u * 1024u)
#define BS 512u
#define VOL (8u * MIB)
#define NW 3
#define QD 4
#define NSLOTS (NW * QD)
#define STRIPE (32u * 1024u / BS) /* blocks */
#define NSTRIPES (VOL / BS / STRIPE)
#define OPS 30 /* per slot */

static struct sio_thread *g_thread;
static uint8_t *g_shadow;
static int g_done;

static void ev_cb(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

struct worker {
	int index;
	int errors;
	uint64_t ios;
};

struct slot {
	struct worker *w;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint8_t *wbuf, *rbuf;
	uint64_t block, nblocks;
	int phase, left, *active, k;
	unsigned int seed;
};

static void slot_next(struct slot *s);

static void slot_fail(struct slot *s)
{
	s->w->errors++;
	(*s->active)--;
}

static void slot_done(void *arg, int rc)
{
	struct slot *s = arg;

	if (rc != 0) {
		slot_fail(s);
		return;
	}
	s->w->ios++;
	if (s->phase == 0) {
		s->phase = 1;
		memset(s->rbuf, 0, s->nblocks * BS);
		if (sio_bdev_read_blocks(s->desc, s->ch, s->rbuf, s->block, s->nblocks, slot_done,
					 s) != 0)
			slot_fail(s);
		return;
	}
	if (memcmp(s->wbuf, s->rbuf, s->nblocks * BS) != 0)
		s->w->errors++;
	/* Disjoint bytes per slot: no two threads touch the same shadow bytes. */
	memcpy(g_shadow + s->block * BS, s->wbuf, s->nblocks * BS);
	slot_next(s);
}

static void slot_next(struct slot *s)
{
	uint32_t stripe;

	if (s->left-- == 0) {
		(*s->active)--;
		return;
	}
	/* Stripes k, k + NSLOTS, k + 2 NSLOTS...: every cluster has stripes of every slot. */
	stripe = (uint32_t)s->k + NSLOTS * (rand_r(&s->seed) % (NSTRIPES / NSLOTS));
	s->nblocks = 1 + rand_r(&s->seed) % STRIPE;
	s->block = (uint64_t)stripe * STRIPE + rand_r(&s->seed) % (STRIPE - s->nblocks + 1);
	s->phase = 0;
	fill(s->wbuf, s->nblocks * BS, rand_r(&s->seed));
	if (sio_bdev_write_blocks(s->desc, s->ch, s->wbuf, s->block, s->nblocks, slot_done, s) != 0)
		slot_fail(s);
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	struct slot slots[QD];
	int active = QD;

	if (sio_bdev_open("mlvs/vol", true, ev_cb, NULL, &desc) != 0)
		return -1;
	ch = sio_bdev_desc_get_io_channel(desc);
	if (ch == NULL) {
		sio_bdev_close(desc);
		return -1;
	}
	for (int i = 0; i < QD; i++) {
		slots[i] = (struct slot){.w = w, .desc = desc, .ch = ch, .left = OPS,
					 .k = w->index * QD + i, .active = &active,
					 .seed = (unsigned)(w->index * 100 + i)};
		slots[i].wbuf = sio_dma_malloc(STRIPE * BS, 4096);
		slots[i].rbuf = sio_dma_malloc(STRIPE * BS, 4096);
	}
	for (int i = 0; i < QD; i++)
		slot_next(&slots[i]);
	while (active > 0)
		sio_thread_poll(sio_thread_get_current(), 0);
	for (int i = 0; i < QD; i++) {
		sio_dma_free(slots[i].wbuf);
		sio_dma_free(slots[i].rbuf);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	__atomic_add_fetch(&g_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* On the app thread while the workers write: snapshot, then delete it into the volume. */
static int md_task(void *arg)
{
	int *rounds = arg;

	while (__atomic_load_n(&g_done, __ATOMIC_ACQUIRE) < NW) {
		int rc = sio_lvol_snapshot_await("mlvs/vol", "snap", NULL);

		if (rc != 0)
			return rc;
		sio_sleep(10000);
		rc = sio_lvol_delete_await("mlvs/snap");
		if (rc != 0)
			return rc;
		(*rounds)++;
		sio_sleep(10000);
	}
	return 0;
}

static int setup_task(void *arg)
{
	struct sio_bdev_malloc_opts mo;

	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "mt_base";
	mo.block_size = BS;
	mo.num_blocks = 32 * MIB / BS;
	if (sio_bdev_malloc_create(&mo, NULL) != 0)
		return -1;
	if (sio_lvs_create_await("mt_base", "mlvs", MIB, NULL) != 0)
		return -2;
	return sio_lvol_create_await("mlvs", "vol", VOL, true, NULL);
}

static int check_task(void *arg)
{
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint8_t *rd = sio_dma_malloc(VOL, 4096);
	int rc;

	assert_int_equal(sio_bdev_open("mlvs/vol", false, ev_cb, NULL, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	rc = sio_bdev_read_blocks_await(desc, ch, rd, 0, VOL / BS);
	assert_int_equal(rc, 0);
	assert_memory_equal(rd, g_shadow, VOL);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	sio_dma_free(rd);
	return sio_lvs_destroy_await("mlvs");
}

static int run(sio_task_fn fn, void *arg)
{
	struct sio_future f;

	assert_int_equal(sio_task_spawn(NULL, fn, arg, &f), 0);
	while (!sio_future_is_done(&f))
		sio_thread_poll(g_thread, 0);
	return sio_future_rc(&f);
}

static void test_lvol_mt(void **state)
{
	struct worker w[NW];
	struct sio_os_thread *t[NW];
	struct sio_future mf;
	int rounds = 0;

	g_shadow = calloc(1, VOL);
	assert_int_equal(run(setup_task, NULL), 0);
	for (int i = 0; i < NW; i++) {
		w[i] = (struct worker){.index = i};
		assert_int_equal(sio_os_thread_spawn("lvol_w", worker_main, &w[i], &t[i]), 0);
	}
	assert_int_equal(sio_task_spawn(NULL, md_task, &rounds, &mf), 0);
	/* The app thread serves cluster allocations and the snapshot/delete meanwhile. */
	while (!sio_future_is_done(&mf))
		sio_thread_poll(g_thread, 0);
	assert_int_equal(sio_future_rc(&mf), 0);
	for (int i = 0; i < NW; i++) {
		int rc = -1;

		assert_int_equal(sio_os_thread_join(t[i], &rc), 0);
		assert_int_equal(rc, 0);
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(w[i].ios, OPS * QD * 2);
	}
	print_message("%d snapshots taken and deleted into the volume under load\n", rounds);
	assert_true(rounds >= 1);
	assert_int_equal(run(check_task, NULL), 0);
	free(g_shadow);
}

static int setup(void **state)
{
	return ut_bdev_group_init("lvol_mt", &g_thread);
}

static int teardown(void **state)
{
	ut_bdev_group_fini();
	ut_thread_exit(g_thread);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lvol_mt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
