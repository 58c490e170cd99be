/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several OS threads, each with its own sio_thread, descriptor and channels,
 * doing verified I/O at once on every module (malloc, null, passthru, error,
 * delay); then hot-removal of a bdev while every thread has I/O in flight.
 * Run under ThreadSanitizer too (suite 'tsan').
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "bdev_test_util.h"
#include "spdk_io/env.h"

#define NWORKERS 4
#define QD 8
#define BS 512
#define REGION_BLOCKS 1024 /* per worker */

static struct sio_thread *g_thread;

static int group_setup(void **state)
{
	return ut_bdev_group_init("mt_main", &g_thread);
}

static int group_teardown(void **state)
{
	return ut_bdev_group_fini();
}

static void make_malloc(const char *name, uint64_t blocks, uint32_t max_xfer)
{
	struct sio_bdev_malloc_opts o;

	sio_bdev_malloc_opts_init(&o, sizeof(o));
	o.name = name;
	o.block_size = BS;
	o.num_blocks = blocks;
	o.max_transfer_blocks = max_xfer;
	assert_int_equal(sio_bdev_malloc_create(&o, NULL), 0);
}

static void unregister_wait(const char *name)
{
	struct ut_cpl c = {0};

	assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name(name), ut_cpl_cb, &c), 0);
	assert_true(ut_poll_until(&c.calls));
	assert_int_equal(c.rc, 0);
}

/* ------------------------------------------------------------------------ */
/* Verified I/O from several threads                                         */
/* ------------------------------------------------------------------------ */

struct worker {
	int index;
	const char *bdev;
	bool verify;           /* data comes back (not for null) */
	int errors;
	uint64_t ios;
};

struct slot {
	struct worker *w;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint8_t *wbuf, *rbuf;
	uint64_t block, nblocks;
	int phase;             /* 0 writing, 1 reading */
	int left;
	unsigned int seed;
	int *active;
};

static void slot_next(struct slot *s);

static void slot_done(void *arg, int rc)
{
	struct slot *s = arg;

	if (rc != 0) {
		s->w->errors++;
		(*s->active)--;
		return;
	}
	s->w->ios++;
	if (s->phase == 0) {
		s->phase = 1;
		memset(s->rbuf, 0, s->nblocks * BS);
		rc = sio_bdev_read_blocks(s->desc, s->ch, s->rbuf, s->block, s->nblocks, slot_done, s);
		if (rc != 0) {
			s->w->errors++;
			(*s->active)--;
		}
		return;
	}
	if (s->w->verify && memcmp(s->wbuf, s->rbuf, s->nblocks * BS) != 0)
		s->w->errors++;
	slot_next(s);
}

/* Each slot owns a disjoint stripe of the worker's region: no overlapping writes. */
static void slot_next(struct slot *s)
{
	uint64_t stripe = REGION_BLOCKS / QD;
	int rc;

	if (s->left-- == 0) {
		(*s->active)--;
		return;
	}
	s->nblocks = 1 + rand_r(&s->seed) % (stripe < 64 ? stripe : 64);
	s->phase = 0;
	ut_fill(s->wbuf, s->nblocks * BS, rand_r(&s->seed));
	rc = sio_bdev_write_blocks(s->desc, s->ch, s->wbuf, s->block, s->nblocks, slot_done, s);
	if (rc != 0) {
		s->w->errors++;
		(*s->active)--;
	}
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	struct slot slots[QD];
	int active = QD;

	if (sio_bdev_open(w->bdev, true, ut_event_cb, NULL, &desc) != 0)
		return -1;
	ch = sio_bdev_desc_get_io_channel(desc);
	if (ch == NULL) {
		sio_bdev_close(desc);
		return -1;
	}
	for (int i = 0; i < QD; i++) {
		slots[i] = (struct slot){.w = w, .desc = desc, .ch = ch, .left = 40,
					 .seed = (unsigned)(w->index * 100 + i), .active = &active};
		slots[i].wbuf = sio_dma_malloc(64 * BS, 64);
		slots[i].rbuf = sio_dma_malloc(64 * BS, 64);
		slots[i].block = (uint64_t)w->index * REGION_BLOCKS + (uint64_t)i * (REGION_BLOCKS / QD);
	}
	for (int i = 0; i < QD; i++)
		slot_next(&slots[i]);
	{
		uint64_t end = ut_now_ns() + 20000000000ull;

		while (__atomic_load_n(&active, __ATOMIC_RELAXED) > 0 && ut_now_ns() < end)
			sio_thread_poll(sio_thread_get_current(), 0);
	}
	if (active > 0)
		w->errors += 1000;
	for (int i = 0; i < QD; i++) {
		sio_dma_free(slots[i].wbuf);
		sio_dma_free(slots[i].rbuf);
	}
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	return 0;
}

static void run_workers(const char *bdev, bool verify)
{
	struct sio_os_thread *t[NWORKERS];
	struct worker w[NWORKERS];

	for (int i = 0; i < NWORKERS; i++) {
		char name[32];

		w[i] = (struct worker){.index = i, .bdev = bdev, .verify = verify};
		snprintf(name, sizeof(name), "w%d", i);
		assert_int_equal(sio_os_thread_spawn(name, worker_main, &w[i], &t[i]), 0);
	}
	for (int i = 0; i < NWORKERS; i++) {
		int rc = -1;

		assert_int_equal(sio_os_thread_join(t[i], &rc), 0);
		assert_int_equal(rc, 0);
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(w[i].ios, 40 * QD * 2);
	}
	ut_poll_n(10);
}

static void test_mt_every_module(void **state)
{
	uint64_t lat[4] = {50, 50, 80, 80};
	struct sio_bdev_null_opts no;
	struct sio_bdev_io_stat st, base;
	struct ut_cpl c = {0};

	make_malloc("mt_malloc", NWORKERS * REGION_BLOCKS, 0);
	/* Count from after the lvol module's examine read of the new bdev. */
	assert_true(ut_wait_for_examine());
	memset(&base, 0, sizeof(base));
	assert_int_equal(sio_bdev_get_io_stat(sio_bdev_get_by_name("mt_malloc"), &base, ut_cpl_cb, &c), 0);
	assert_true(ut_poll_until(&c.calls));
	c.calls = 0;
	run_workers("mt_malloc", true);
	/* The bdev-wide statistics add up every thread's channel. */
	assert_int_equal(sio_bdev_get_io_stat(sio_bdev_get_by_name("mt_malloc"), &st, ut_cpl_cb, &c), 0);
	assert_true(ut_poll_until(&c.calls));
	assert_int_equal(st.num_write_ops - base.num_write_ops, NWORKERS * QD * 40);
	assert_int_equal(st.num_read_ops - base.num_read_ops, NWORKERS * QD * 40);

	make_malloc("mt_base_pt", NWORKERS * REGION_BLOCKS, 7);
	assert_int_equal(ut_passthru_create("mt_pt", "mt_base_pt", NULL), 0);
	run_workers("mt_pt", true);

	make_malloc("mt_base_err", NWORKERS * REGION_BLOCKS, 0);
	assert_int_equal(ut_error_create("mt_base_err", NULL), 0);
	run_workers("EE_mt_base_err", true);

	make_malloc("mt_base_delay", NWORKERS * REGION_BLOCKS, 0);
	assert_int_equal(ut_delay_create("mt_delay", "mt_base_delay", lat, NULL), 0);
	run_workers("mt_delay", true);

	sio_bdev_null_opts_init(&no, sizeof(no));
	no.name = "mt_null";
	no.num_blocks = NWORKERS * REGION_BLOCKS;
	assert_int_equal(sio_bdev_null_create(&no, NULL), 0);
	run_workers("mt_null", false);

	unregister_wait("mt_null");
	unregister_wait("mt_delay");
	unregister_wait("mt_base_delay");
	unregister_wait("EE_mt_base_err");
	unregister_wait("mt_base_err");
	unregister_wait("mt_pt");
	unregister_wait("mt_base_pt");
	unregister_wait("mt_malloc");
}

/* ------------------------------------------------------------------------ */
/* Hot remove while every thread has I/O in flight                          */
/* ------------------------------------------------------------------------ */

struct hr_worker {
	int index;
	const char *bdev;
	int removed;           /* REMOVE event seen (worker thread only) */
	int started;           /* I/O going (read by main) */
	uint64_t ok, refused, gone;
	int bad;               /* completions with an unexpected status */
	int inflight;
};

struct hr_slot {
	struct hr_worker *w;
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	uint8_t *buf;
	uint64_t block;
};

static void hr_event(enum sio_bdev_event_type type, struct sio_bdev *bdev, void *ctx)
{
	struct hr_worker *w = ctx;

	if (type == SIO_BDEV_EVENT_REMOVE)
		w->removed = 1;
}

static void hr_submit(struct hr_slot *s);

static void hr_done(void *arg, int rc)
{
	struct hr_slot *s = arg;

	s->w->inflight--;
	/* Success, or the clear "device gone" from a stacked bdev whose base left first. */
	if (rc == 0)
		s->w->ok++;
	else if (rc == -ENODEV)
		s->w->gone++;
	else
		s->w->bad++;
	if (!s->w->removed)
		hr_submit(s);
}

static void hr_submit(struct hr_slot *s)
{
	int rc = sio_bdev_write_blocks(s->desc, s->ch, s->buf, s->block, 4, hr_done, s);

	if (rc == 0)
		s->w->inflight++;
	else if (rc == -ENODEV)
		s->w->refused++;
	else
		s->w->bad++;
}

static int hr_worker_main(void *arg)
{
	struct hr_worker *w = arg;
	struct sio_bdev_desc *desc;
	struct hr_slot slots[QD];
	struct sio_io_channel *ch;
	uint64_t end = ut_now_ns() + 20000000000ull;

	if (sio_bdev_open(w->bdev, true, hr_event, w, &desc) != 0)
		return -1;
	ch = sio_bdev_desc_get_io_channel(desc);
	for (int i = 0; i < QD; i++) {
		slots[i] = (struct hr_slot){.w = w, .desc = desc, .ch = ch,
					    .buf = malloc(4 * BS),
					    .block = (uint64_t)(w->index * QD + i) * 4};
		hr_submit(&slots[i]);
	}
	__atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
	/* Run until removed and drained: in-flight I/O must all complete. */
	while ((!w->removed || w->inflight > 0) && ut_now_ns() < end)
		sio_thread_poll(sio_thread_get_current(), 0);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);
	for (int i = 0; i < QD; i++)
		free(slots[i].buf);
	return w->removed && w->inflight == 0 ? 0 : -1;
}

static void test_mt_hot_remove(void **state)
{
	struct sio_os_thread *t[NWORKERS];
	struct hr_worker w[NWORKERS];
	struct ut_cpl unreg = {0};

	make_malloc("mt_hr_base", 1024, 0);
	/* Remove the base under a passthru: the removal cascades through it. */
	assert_int_equal(ut_passthru_create("mt_hr", "mt_hr_base", NULL), 0);
	/*
	 * The lvol module's examine reads the new bdevs on this thread; the
	 * workers' writes to the same blocks from other threads would race
	 * with that read (ThreadSanitizer reports it in malloc_execute).
	 */
	assert_true(ut_wait_for_examine());
	for (int i = 0; i < NWORKERS; i++) {
		w[i] = (struct hr_worker){.index = i, .bdev = "mt_hr"};
		assert_int_equal(sio_os_thread_spawn("hr", hr_worker_main, &w[i], &t[i]), 0);
	}
	for (int i = 0; i < NWORKERS; i++)
		while (!__atomic_load_n(&w[i].started, __ATOMIC_ACQUIRE))
			sio_thread_poll(g_thread, 0);
	ut_poll_n(1000);
	assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name("mt_hr_base"), ut_cpl_cb, &unreg), 0);
	assert_true(ut_poll_until(&unreg.calls));
	assert_int_equal(unreg.rc, 0);
	for (int i = 0; i < NWORKERS; i++) {
		int rc = -1;

		assert_int_equal(sio_os_thread_join(t[i], &rc), 0);
		assert_int_equal(rc, 0);
		assert_int_equal(w[i].bad, 0);
		assert_true(w[i].ok > 0);
	}
	ut_poll_n(20);
	assert_null(sio_bdev_get_by_name("mt_hr"));
	assert_null(sio_bdev_get_by_name("mt_hr_base"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mt_every_module),
		cmocka_unit_test(test_mt_hot_remove),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
