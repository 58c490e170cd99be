/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resets as SPDK does them, across OS threads: every channel of the bdev is
 * frozen (submissions end with -ECANCELED, I/O the core holds for retry is
 * cancelled) before the module sees the reset, resets run one at a time in
 * submission order, each callback runs once on its submitter's thread, and
 * channels thaw before it. A test module ("hold") keeps every I/O and every
 * reset until the test releases them, so each state can be looked at.
 * Run under ThreadSanitizer too (suite 'tsan').
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "bdev_test_util.h"

#define NW 3
#define BS 512

static struct sio_thread *g_main;

/* ------------------------------------------------------------------------ */
/* Completion records, written on one OS thread and read on another         */
/* ------------------------------------------------------------------------ */

struct rec {
	int calls;                 /* atomic; release after rc and thread */
	int rc;
	struct sio_thread *thread; /* where the callback ran */
};

static int g_reset_cbs; /* reset callbacks run so far (atomic) */

static void rec_cb(void *arg, int rc)
{
	struct rec *r = arg;

	r->rc = rc;
	r->thread = sio_thread_get_current();
	__atomic_add_fetch(&r->calls, 1, __ATOMIC_RELEASE);
}

static void reset_rec_cb(void *arg, int rc)
{
	__atomic_add_fetch(&g_reset_cbs, 1, __ATOMIC_RELAXED);
	rec_cb(arg, rc);
}

static int rec_calls(struct rec *r)
{
	return __atomic_load_n(&r->calls, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------------ */
/* The hold module: keeps I/O and resets until released                     */
/* ------------------------------------------------------------------------ */

struct hold_ch {
	struct sio_bdev_io *io_head, *io_tail;
	struct sio_bdev_io *reset_head, *reset_tail;
};

#define MAX_RESETS 8

static struct {
	struct sio_bdev bdev;
	int io_device;
	int resets_seen;                 /* atomic */
	int resets_active;               /* atomic: in the module now */
	int max_active;                  /* atomic */
	int cbs_at_start[MAX_RESETS];    /* g_reset_cbs when each reset reached the module */
	int ios_seen;                    /* atomic */
} g_hold;

static void hold_push(struct sio_bdev_io **head, struct sio_bdev_io **tail, struct sio_bdev_io *io)
{
	io->module_link = NULL;
	if (*tail != NULL)
		(*tail)->module_link = io;
	else
		*head = io;
	*tail = io;
}

static void hold_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct hold_ch *hc = sio_io_channel_get_ctx(ch);

	if (io->type == SIO_BDEV_IO_TYPE_RESET) {
		int n = __atomic_fetch_add(&g_hold.resets_seen, 1, __ATOMIC_RELAXED);
		int active = __atomic_add_fetch(&g_hold.resets_active, 1, __ATOMIC_RELAXED);

		if (n < MAX_RESETS)
			g_hold.cbs_at_start[n] = __atomic_load_n(&g_reset_cbs, __ATOMIC_RELAXED);
		if (active > __atomic_load_n(&g_hold.max_active, __ATOMIC_RELAXED))
			__atomic_store_n(&g_hold.max_active, active, __ATOMIC_RELAXED);
		hold_push(&hc->reset_head, &hc->reset_tail, io);
	} else {
		__atomic_add_fetch(&g_hold.ios_seen, 1, __ATOMIC_RELAXED);
		hold_push(&hc->io_head, &hc->io_tail, io);
	}
}

static bool hold_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	return type == SIO_BDEV_IO_TYPE_READ || type == SIO_BDEV_IO_TYPE_WRITE ||
	       type == SIO_BDEV_IO_TYPE_RESET;
}

static struct sio_io_channel *hold_get_io_channel(void *ctx)
{
	return sio_io_channel_get(&g_hold.io_device);
}

static int hold_destruct(void *ctx)
{
	return 0;
}

static const struct sio_bdev_fn_table g_hold_fn = {
	.destruct = hold_destruct,
	.submit_request = hold_submit,
	.io_type_supported = hold_io_type_supported,
	.get_io_channel = hold_get_io_channel,
};

static struct sio_bdev_module g_hold_module = {.name = "hold"};

static void hold_release_ios(void *arg);

static void hold_register(uint32_t max_transfer)
{
	struct ut_cpl c = {0};
	int eio = -EIO;
	uint64_t end;

	memset(&g_hold, 0, sizeof(g_hold));
	__atomic_store_n(&g_reset_cbs, 0, __ATOMIC_RELAXED);
	assert_int_equal(sio_io_device_register(&g_hold.io_device, NULL, NULL,
						sizeof(struct hold_ch), "hold"), 0);
	g_hold.bdev.name = "Hold0";
	g_hold.bdev.product_name = "hold test disk";
	g_hold.bdev.blocklen = BS;
	g_hold.bdev.blockcnt = 1024;
	g_hold.bdev.max_transfer_blocks = max_transfer;
	g_hold.bdev.fn_table = &g_hold_fn;
	g_hold.bdev.module = &g_hold_module;
	assert_int_equal(sio_bdev_register(&g_hold.bdev), 0);
	/*
	 * The lvol module's examine reads every new bdev (as SPDK's does) on
	 * this thread; this device holds all I/O, so fail that read here until
	 * examine is over (nothing to find), then count the tests' I/O from zero.
	 */
	assert_int_equal(sio_bdev_wait_for_examine(ut_cpl_cb, &c), 0);
	end = ut_now_ns() + 5000000000ull;
	while (c.calls == 0 && ut_now_ns() < end) {
		sio_thread_poll(sio_thread_get_current(), 0);
		hold_release_ios(&eio);
	}
	assert_int_equal(c.calls, 1);
	__atomic_store_n(&g_hold.ios_seen, 0, __ATOMIC_RELAXED);
}

static void hold_unregister(void)
{
	struct ut_cpl c = {0};

	assert_int_equal(sio_bdev_unregister(&g_hold.bdev, ut_cpl_cb, &c), 0);
	assert_true(ut_poll_until(&c.calls));
	assert_int_equal(c.rc, 0);
	assert_int_equal(sio_io_device_unregister(&g_hold.io_device, NULL), 0);
	ut_poll_n(10);
}

static void hold_complete_list(struct sio_bdev_io **head, struct sio_bdev_io **tail, int status)
{
	struct sio_bdev_io *io, *list = *head;

	*head = *tail = NULL;
	while ((io = list) != NULL) {
		list = io->module_link;
		if (io->type == SIO_BDEV_IO_TYPE_RESET)
			__atomic_sub_fetch(&g_hold.resets_active, 1, __ATOMIC_RELAXED);
		sio_bdev_io_complete(io, status);
	}
}

/* On a thread: complete what the hold module keeps there (I/O or resets) with *@arg. */
static void hold_release_ios(void *arg)
{
	struct sio_io_channel *ch = sio_io_channel_get(&g_hold.io_device);
	struct hold_ch *hc = sio_io_channel_get_ctx(ch);

	hold_complete_list(&hc->io_head, &hc->io_tail, *(int *)arg);
	sio_io_channel_put(ch);
}

static void hold_release_resets(void *arg)
{
	struct sio_io_channel *ch = sio_io_channel_get(&g_hold.io_device);
	struct hold_ch *hc = sio_io_channel_get_ctx(ch);

	hold_complete_list(&hc->reset_head, &hc->reset_tail, *(int *)arg);
	sio_io_channel_put(ch);
}

/* ------------------------------------------------------------------------ */
/* Worker OS threads, driven by messages from the main thread                */
/* ------------------------------------------------------------------------ */

struct wk {
	struct sio_os_thread *os;
	struct sio_thread *t;   /* set before ready */
	int ready, stop;        /* atomic */
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	int rc;                 /* of the last call made by run_on */
};

static struct wk g_w[NW];

static int wk_main(void *arg)
{
	struct wk *w = arg;

	w->t = sio_thread_get_current();
	__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
		sio_thread_poll(w->t, 0);
	return 0;
}

struct call {
	sio_msg_fn fn;
	void *arg;
	int done; /* atomic */
};

static void call_msg(void *ctx)
{
	struct call *c = ctx;

	c->fn(c->arg);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

/* Run @fn(@arg) on @w's thread and wait for it (polling the main thread meanwhile). */
static void run_on(struct wk *w, sio_msg_fn fn, void *arg)
{
	struct call c = {.fn = fn, .arg = arg};

	assert_int_equal(sio_thread_send_msg(w->t, call_msg, &c), 0);
	assert_true(ut_poll_until(&c.done));
}

/* Poll the main thread until *@counter >= @want (5 s at most). */
static bool wait_count(int *counter, int want)
{
	uint64_t end = ut_now_ns() + 5000000000ull;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want) {
		sio_thread_poll(g_main, 0);
		if (ut_now_ns() > end)
			return false;
	}
	return true;
}

/* Let every thread run a while: what is not done by then is being held. */
static void settle(void)
{
	for (int i = 0; i < 200; i++) {
		sio_thread_poll(g_main, 0);
		if (i % 20 == 0) {
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
		}
	}
}

static void wk_open(void *arg)
{
	struct wk *w = arg;

	w->rc = sio_bdev_open("Hold0", true, ut_event_cb, NULL, &w->desc);
	if (w->rc == 0) {
		w->ch = sio_bdev_desc_get_io_channel(w->desc);
		if (w->ch == NULL)
			w->rc = -errno;
	}
}

static void wk_close(void *arg)
{
	struct wk *w = arg;

	sio_io_channel_put(w->ch);
	sio_bdev_close(w->desc);
	w->ch = NULL;
	w->desc = NULL;
}

static void workers_start(void)
{
	for (int i = 0; i < NW; i++) {
		char name[16];

		memset(&g_w[i], 0, sizeof(g_w[i]));
		snprintf(name, sizeof(name), "rst%d", i);
		assert_int_equal(sio_os_thread_spawn(name, wk_main, &g_w[i], &g_w[i].os), 0);
		assert_true(ut_poll_until(&g_w[i].ready));
	}
}

static void workers_stop(void)
{
	for (int i = 0; i < NW; i++) {
		int rc = -1;

		__atomic_store_n(&g_w[i].stop, 1, __ATOMIC_RELEASE);
		assert_int_equal(sio_os_thread_join(g_w[i].os, &rc), 0);
		assert_int_equal(rc, 0);
	}
}

static void open_on(struct wk *w)
{
	run_on(w, wk_open, w);
	assert_int_equal(w->rc, 0);
}

/* One I/O submitted by a worker, with its record. */
struct sub {
	struct wk *w;
	int type; /* 0 read, 1 reset */
	uint64_t off, num;
	void *buf;
	struct rec rec;
	int rc;               /* what the submit call returned */
	int calls_in_submit;  /* callbacks seen before the submit call returned */
};

static void sub_msg(void *arg)
{
	struct sub *s = arg;

	if (s->type == 1)
		s->rc = sio_bdev_reset(s->w->desc, s->w->ch, reset_rec_cb, &s->rec);
	else
		s->rc = sio_bdev_read_blocks(s->w->desc, s->w->ch, s->buf, s->off, s->num, rec_cb,
					     &s->rec);
	s->calls_in_submit = __atomic_load_n(&s->rec.calls, __ATOMIC_RELAXED);
}

static void submit_on(struct sub *s, struct wk *w, int type, uint64_t off, uint64_t num,
		      void *buf)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->type = type;
	s->off = off;
	s->num = num;
	s->buf = buf;
	run_on(w, sub_msg, s);
	assert_int_equal(s->rc, 0);
	assert_int_equal(s->calls_in_submit, 0);
}

static void release_ios_on(struct wk *w, int status)
{
	run_on(w, hold_release_ios, &status);
}

static void release_resets_on(struct wk *w, int status)
{
	run_on(w, hold_release_resets, &status);
}

static void wait_rec(struct rec *r, int rc, struct wk *w)
{
	assert_true(wait_count(&r->calls, 1));
	assert_int_equal(r->rc, rc);
	assert_ptr_equal(r->thread, w->t);
}

static uint8_t g_buf[NW][16][BS * 16];

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_reset_freezes_every_channel(void **state)
{
	struct sub held[2][2], during[2], reset, late, after[2];
	int seen;

	hold_register(0);
	workers_start();
	open_on(&g_w[0]);
	open_on(&g_w[1]);
	/* I/O in flight in the module on two threads. */
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			submit_on(&held[i][j], &g_w[i], 0, (uint64_t)j, 1, g_buf[i][j]);
	assert_true(wait_count(&g_hold.ios_seen, 4));

	submit_on(&reset, &g_w[0], 1, 0, 0, NULL);
	assert_true(wait_count(&g_hold.resets_seen, 1));
	/* Every channel is frozen before the module sees the reset. */
	for (int i = 0; i < 2; i++) {
		submit_on(&during[i], &g_w[i], 0, 4, 1, g_buf[i][4]);
		wait_rec(&during[i].rec, -ECANCELED, &g_w[i]);
	}
	/* A channel got while the reset runs starts frozen. */
	open_on(&g_w[2]);
	submit_on(&late, &g_w[2], 0, 5, 1, g_buf[2][5]);
	wait_rec(&late.rec, -ECANCELED, &g_w[2]);
	/* I/O in flight is not waited for, nor aborted by the core. */
	settle();
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			assert_int_equal(rec_calls(&held[i][j].rec), 0);
	assert_int_equal(rec_calls(&reset.rec), 0);
	seen = __atomic_load_n(&g_hold.ios_seen, __ATOMIC_RELAXED);
	assert_int_equal(seen, 4);

	release_resets_on(&g_w[0], 0);
	wait_rec(&reset.rec, 0, &g_w[0]);
	/* After the callback every channel takes I/O again, the late one too. */
	for (int i = 0; i < 2; i++)
		submit_on(&after[i], &g_w[i], 0, 6, 1, g_buf[i][6]);
	submit_on(&late, &g_w[2], 0, 7, 1, g_buf[2][7]);
	assert_true(wait_count(&g_hold.ios_seen, 7));
	for (int i = 0; i < 3; i++)
		release_ios_on(&g_w[i], 0);
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 2; j++)
			wait_rec(&held[i][j].rec, 0, &g_w[i]);
		wait_rec(&after[i].rec, 0, &g_w[i]);
	}
	wait_rec(&late.rec, 0, &g_w[2]);
	settle();
	assert_int_equal(rec_calls(&reset.rec), 1);
	assert_int_equal(__atomic_load_n(&g_reset_cbs, __ATOMIC_RELAXED), 1);

	for (int i = 0; i < 3; i++)
		run_on(&g_w[i], wk_close, &g_w[i]);
	workers_stop();
	hold_unregister();
}

static void test_resets_run_one_at_a_time(void **state)
{
	struct sub a, b, c;

	hold_register(0);
	workers_start();
	for (int i = 0; i < 3; i++)
		open_on(&g_w[i]);
	submit_on(&a, &g_w[0], 1, 0, 0, NULL);
	submit_on(&b, &g_w[1], 1, 0, 0, NULL);
	submit_on(&c, &g_w[2], 1, 0, 0, NULL);
	assert_true(wait_count(&g_hold.resets_seen, 1));
	settle();
	/* b and c wait for a. */
	assert_int_equal(__atomic_load_n(&g_hold.resets_seen, __ATOMIC_RELAXED), 1);

	release_resets_on(&g_w[0], -EIO);
	wait_rec(&a.rec, -EIO, &g_w[0]);
	assert_true(wait_count(&g_hold.resets_seen, 2));
	settle();
	assert_int_equal(__atomic_load_n(&g_hold.resets_seen, __ATOMIC_RELAXED), 2);
	assert_int_equal(rec_calls(&b.rec), 0);
	release_resets_on(&g_w[1], 0);
	wait_rec(&b.rec, 0, &g_w[1]);
	assert_true(wait_count(&g_hold.resets_seen, 3));
	release_resets_on(&g_w[2], 0);
	wait_rec(&c.rec, 0, &g_w[2]);
	settle();

	/* In submission order, each module reset after the previous callback. */
	assert_int_equal(__atomic_load_n(&g_hold.max_active, __ATOMIC_RELAXED), 1);
	assert_int_equal(g_hold.cbs_at_start[0], 0);
	assert_int_equal(g_hold.cbs_at_start[1], 1);
	assert_int_equal(g_hold.cbs_at_start[2], 2);
	assert_int_equal(rec_calls(&a.rec), 1);
	assert_int_equal(rec_calls(&b.rec), 1);
	assert_int_equal(rec_calls(&c.rec), 1);

	for (int i = 0; i < 3; i++)
		run_on(&g_w[i], wk_close, &g_w[i]);
	workers_stop();
	hold_unregister();
}

/* A split parent waiting for a free bdev_io is held by the core: a reset cancels it. */
static void test_reset_cancels_core_held_io(void **state)
{
	struct sio_bdev_opts o, saved;
	struct sub held[15], parent, reset, again;

	sio_bdev_get_opts(&saved, sizeof(saved));
	o = saved;
	o.bdev_io_cache_size = 16;
	assert_int_equal(sio_bdev_set_opts(&o), 0);
	hold_register(4);
	workers_start();
	open_on(&g_w[0]);
	open_on(&g_w[1]);
	for (int i = 0; i < 15; i++)
		submit_on(&held[i], &g_w[0], 0, (uint64_t)i, 1, g_buf[0][i]);
	/* The last bdev_io is the parent's: no piece can go, it waits in the core. */
	submit_on(&parent, &g_w[0], 0, 64, 16, g_buf[1][0]);
	settle();
	assert_int_equal(__atomic_load_n(&g_hold.ios_seen, __ATOMIC_RELAXED), 15);
	assert_int_equal(rec_calls(&parent.rec), 0);

	submit_on(&reset, &g_w[1], 1, 0, 0, NULL);
	wait_rec(&parent.rec, -ECANCELED, &g_w[0]);
	assert_true(wait_count(&g_hold.resets_seen, 1));
	release_resets_on(&g_w[1], 0);
	wait_rec(&reset.rec, 0, &g_w[1]);
	release_ios_on(&g_w[0], 0);
	for (int i = 0; i < 15; i++)
		wait_rec(&held[i].rec, 0, &g_w[0]);
	/* Splitting works again afterwards: four pieces reach the module. */
	submit_on(&again, &g_w[0], 0, 64, 16, g_buf[1][0]);
	assert_true(wait_count(&g_hold.ios_seen, 19));
	release_ios_on(&g_w[0], 0);
	wait_rec(&again.rec, 0, &g_w[0]);

	for (int i = 0; i < 2; i++)
		run_on(&g_w[i], wk_close, &g_w[i]);
	workers_stop();
	hold_unregister();
	assert_int_equal(sio_bdev_set_opts(&saved), 0);
}

/* Unregistering during a reset: the running reset ends with the module's status, a queued one with -ENODEV. */
static void test_reset_during_unregister(void **state)
{
	struct sub a, b;
	struct ut_cpl unreg = {0};

	hold_register(0);
	workers_start();
	open_on(&g_w[0]);
	open_on(&g_w[1]);
	submit_on(&a, &g_w[0], 1, 0, 0, NULL);
	assert_true(wait_count(&g_hold.resets_seen, 1));
	submit_on(&b, &g_w[1], 1, 0, 0, NULL);
	assert_int_equal(sio_bdev_unregister(&g_hold.bdev, ut_cpl_cb, &unreg), 0);
	settle();
	release_resets_on(&g_w[0], 0);
	wait_rec(&a.rec, 0, &g_w[0]);
	wait_rec(&b.rec, -ENODEV, &g_w[1]);
	assert_int_equal(__atomic_load_n(&g_hold.resets_seen, __ATOMIC_RELAXED), 1);
	for (int i = 0; i < 2; i++)
		run_on(&g_w[i], wk_close, &g_w[i]);
	assert_true(ut_poll_until(&unreg.calls));
	assert_int_equal(unreg.rc, 0);
	settle();
	assert_int_equal(rec_calls(&a.rec), 1);
	assert_int_equal(rec_calls(&b.rec), 1);
	workers_stop();
	assert_int_equal(sio_io_device_unregister(&g_hold.io_device, NULL), 0);
	ut_poll_n(10);
}

/*
 * The error bdev: I/O its pending injection holds on the resetting channel
 * ends with -ECANCELED (the module's choice); I/O it holds on another
 * thread is in flight, not waited for, and freed by that thread's reset.
 */
struct eb_wk {
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
};

static struct eb_wk g_eb[2];

static void eb_open(void *arg)
{
	struct eb_wk *e = arg;

	/* No cmocka assert off the main thread: the main thread checks ch. */
	e->ch = NULL;
	if (sio_bdev_open("EE_RstMal", true, ut_event_cb, NULL, &e->desc) == 0)
		e->ch = sio_bdev_desc_get_io_channel(e->desc);
}

static void eb_close(void *arg)
{
	struct eb_wk *e = arg;

	sio_io_channel_put(e->ch);
	sio_bdev_close(e->desc);
}

static void test_reset_error_bdev_pending(void **state)
{
	struct sio_bdev_malloc_opts mo;
	struct sio_bdev_error_inject_opts io;
	struct sub p[2][2], r0, r1, ok;
	struct ut_cpl del = {0};

	sio_bdev_malloc_opts_init(&mo, sizeof(mo));
	mo.name = "RstMal";
	mo.block_size = BS;
	mo.num_blocks = 1024;
	assert_int_equal(sio_bdev_malloc_create(&mo, NULL), 0);
	assert_int_equal(ut_error_create("RstMal", NULL), 0);
	/* Inject after the lvol module's examine read, which would spend the budget. */
	assert_true(ut_wait_for_examine());
	sio_bdev_error_inject_opts_init(&io, sizeof(io));
	io.io_type_mask = 1u << SIO_BDEV_IO_TYPE_READ;
	io.error_type = SIO_BDEV_ERROR_PENDING;
	io.num = 4;
	assert_int_equal(sio_bdev_error_inject("EE_RstMal", &io), 0);
	workers_start();
	for (int i = 0; i < 2; i++) {
		run_on(&g_w[i], eb_open, &g_eb[i]);
		assert_non_null(g_eb[i].ch);
		g_w[i].desc = g_eb[i].desc;
		g_w[i].ch = g_eb[i].ch;
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			submit_on(&p[i][j], &g_w[i], 0, (uint64_t)j, 1, g_buf[i][j]);
	settle();
	submit_on(&r0, &g_w[0], 1, 0, 0, NULL);
	wait_rec(&r0.rec, 0, &g_w[0]);
	for (int j = 0; j < 2; j++)
		wait_rec(&p[0][j].rec, -ECANCELED, &g_w[0]);
	settle();
	for (int j = 0; j < 2; j++)
		assert_int_equal(rec_calls(&p[1][j].rec), 0);
	/* The budget is spent: reads go through again. */
	submit_on(&ok, &g_w[1], 0, 8, 1, g_buf[1][8]);
	wait_rec(&ok.rec, 0, &g_w[1]);
	submit_on(&r1, &g_w[1], 1, 0, 0, NULL);
	wait_rec(&r1.rec, 0, &g_w[1]);
	for (int j = 0; j < 2; j++)
		wait_rec(&p[1][j].rec, -ECANCELED, &g_w[1]);

	for (int i = 0; i < 2; i++)
		run_on(&g_w[i], eb_close, &g_eb[i]);
	workers_stop();
	assert_int_equal(sio_bdev_error_delete("EE_RstMal", ut_cpl_cb, &del), 0);
	assert_true(ut_poll_until(&del.calls));
	{
		struct ut_cpl c = {0};

		assert_int_equal(sio_bdev_unregister(sio_bdev_get_by_name("RstMal"), ut_cpl_cb, &c), 0);
		assert_true(ut_poll_until(&c.calls));
	}
}

static int group_setup(void **state)
{
	return ut_bdev_group_init("rst_main", &g_main);
}

static int group_teardown(void **state)
{
	return ut_bdev_group_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_freezes_every_channel),
		cmocka_unit_test(test_resets_run_one_at_a_time),
		cmocka_unit_test(test_reset_cancels_core_held_io),
		cmocka_unit_test(test_reset_during_unregister),
		cmocka_unit_test(test_reset_error_bdev_pending),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
