/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of io_devices and io_channels on simulated threads: get/put
 * reference counting, deferred destroy, unregister completion, for-each-channel,
 * misuse (wrong-thread put, destroy with live channels).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/thread.h"
#include "ut_multithread.h"

struct dev {
	int creates;
	int destroys;
	int unregistered;
	int fail_create;
	struct sio_thread *unreg_thread;
};

struct chan_ctx {
	uint64_t magic;
	struct sio_thread *owner;
	int visits;
};

#define CHAN_MAGIC 0x5a5a1234u

static int dev_create(void *io_device, void *buf)
{
	struct dev *d = io_device;
	struct chan_ctx *c = buf;

	if (d->fail_create)
		return -EMFILE;
	/* The context arrives zeroed. */
	assert_int_equal(c->magic, 0);
	c->magic = CHAN_MAGIC;
	c->owner = sio_thread_get_current();
	d->creates++;
	return 0;
}

static void dev_destroy(void *io_device, void *buf)
{
	struct dev *d = io_device;
	struct chan_ctx *c = buf;

	assert_int_equal(c->magic, CHAN_MAGIC);
	/* Destroyed on the thread that owns it. */
	assert_ptr_equal(c->owner, sio_thread_get_current());
	d->destroys++;
}

static void dev_unregistered(void *io_device)
{
	struct dev *d = io_device;

	d->unregistered++;
	d->unreg_thread = sio_thread_get_current();
}

static void test_register_bad_input(void **state)
{
	struct dev d = {0};

	assert_int_equal(sio_io_device_register(NULL, dev_create, dev_destroy, 8, "x"), -EINVAL);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, (size_t)1 << 40, "x"),
			 -EINVAL);
	assert_int_equal(sio_io_device_unregister(NULL, NULL), -EINVAL);

	sio_thread_set_current(NULL);
	assert_null(sio_io_channel_get(&d));
	assert_int_equal(errno, EPERM);

	ut_mt_init(1);
	assert_int_equal(sio_io_device_unregister(&d, NULL), -ENOENT);
	assert_null(sio_io_channel_get(&d));
	assert_int_equal(errno, ENODEV);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						"dev"), 0);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, 8, "again"), -EEXIST);
	assert_int_equal(sio_for_each_channel(NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sio_for_each_channel(&d, NULL, NULL, NULL), -EINVAL);
	/* NULL channel accessors and put are harmless. */
	sio_io_channel_put(NULL);
	assert_null(sio_io_channel_get_ctx(NULL));
	assert_null(sio_io_channel_from_ctx(NULL));
	assert_null(sio_io_channel_get_thread(NULL));
	assert_null(sio_io_channel_get_io_device(NULL));
	assert_null(sio_io_channel_iter_get_channel(NULL));
	assert_null(sio_io_channel_iter_get_ctx(NULL));
	assert_null(sio_io_channel_iter_get_io_device(NULL));
	sio_for_each_channel_continue(NULL, 0);

	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), -EALREADY);
	/* Even with no channels, done runs later, by message. */
	assert_int_equal(d.unregistered, 0);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 1);
	assert_int_equal(sio_io_device_unregister(&d, NULL), -ENOENT);
	ut_mt_fini();
}

static void test_get_put_refcount(void **state)
{
	struct dev d = {0};
	struct sio_io_channel *a, *b, *c;
	struct sio_thread *t0;

	ut_mt_init(2);
	t0 = ut_mt_thread(0);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						"dev"), 0);
	ut_mt_set_thread(0);
	a = sio_io_channel_get(&d);
	b = sio_io_channel_get(&d);
	assert_non_null(a);
	/* One channel per thread per device. */
	assert_ptr_equal(a, b);
	assert_int_equal(d.creates, 1);
	assert_ptr_equal(sio_io_channel_get_thread(a), t0);
	assert_ptr_equal(sio_io_channel_get_io_device(a), &d);
	struct chan_ctx *ctx = sio_io_channel_get_ctx(a);
	assert_int_equal(ctx->magic, CHAN_MAGIC);
	assert_int_equal((uintptr_t)ctx % 64, 0);
	assert_ptr_equal(sio_io_channel_from_ctx(ctx), a);

	ut_mt_set_thread(1);
	c = sio_io_channel_get(&d);
	assert_non_null(c);
	assert_ptr_not_equal(c, a);
	assert_int_equal(d.creates, 2);

	/* Put twice on thread 0: destroyed only after the deferred message. */
	ut_mt_set_thread(0);
	sio_io_channel_put(a);
	assert_int_equal(d.destroys, 0);
	sio_io_channel_put(b);
	assert_int_equal(d.destroys, 0);
	ut_mt_poll_thread(0);
	assert_int_equal(d.destroys, 1);

	/* Put to zero then get again before the destroy message runs: revived. */
	ut_mt_set_thread(1);
	sio_io_channel_put(c);
	struct sio_io_channel *c2 = sio_io_channel_get(&d);
	assert_ptr_equal(c2, c);
	ut_mt_poll_until_idle();
	assert_int_equal(d.destroys, 1);
	assert_int_equal(d.creates, 2);
	ut_mt_set_thread(1);
	sio_io_channel_put(c2);
	ut_mt_poll_until_idle();
	assert_int_equal(d.destroys, 2);

	ut_mt_set_thread(0);
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 1);
	ut_mt_fini();
}

static void test_create_failure(void **state)
{
	struct dev d = {.fail_create = 1};

	ut_mt_init(1);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, 16, "failing"), 0);
	assert_null(sio_io_channel_get(&d));
	assert_int_equal(errno, EMFILE);
	/* No channel left behind: unregister completes. */
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 1);
	ut_mt_fini();
}

/* Unregister from thread 2 while threads 0 and 1 hold channels: completes
 * on thread 2 only after both are put; gets fail meanwhile. */
static void test_unregister_waits_for_channels(void **state)
{
	struct dev d = {0};
	struct sio_io_channel *c0, *c1;

	ut_mt_init(3);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						NULL), 0);
	ut_mt_set_thread(0);
	c0 = sio_io_channel_get(&d);
	ut_mt_set_thread(1);
	c1 = sio_io_channel_get(&d);
	assert_non_null(c0);
	assert_non_null(c1);

	ut_mt_set_thread(2);
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	assert_null(sio_io_channel_get(&d));
	assert_int_equal(errno, ENODEV);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 0);

	ut_mt_set_thread(0);
	sio_io_channel_put(c0);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 0);
	ut_mt_set_thread(1);
	sio_io_channel_put(c1);
	ut_mt_poll_until_idle();
	assert_int_equal(d.destroys, 2);
	assert_int_equal(d.unregistered, 1);
	assert_ptr_equal(d.unreg_thread, ut_mt_thread(2));
	ut_mt_fini();
}

/* The unregistering thread exits before the last channel, on another thread,
 * is put: it stays exiting (not destroyable) until the unregister's done
 * callback ran on it, rather than being freed under the message that
 * callback is (a use-after-free ThreadSanitizer saw at a reactor shutdown). */
static void test_exit_waits_for_unregister(void **state)
{
	struct dev d = {0};
	struct sio_io_channel *c1;

	ut_mt_init(2);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						NULL), 0);
	ut_mt_set_thread(1);
	c1 = sio_io_channel_get(&d);
	assert_non_null(c1);

	ut_mt_set_thread(0);
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	assert_int_equal(sio_thread_exit(ut_mt_thread(0)), 0);
	ut_mt_poll_until_idle();
	assert_false(sio_thread_is_exited(ut_mt_thread(0)));
	assert_int_equal(sio_thread_destroy(ut_mt_thread(0)), -EBUSY);
	assert_int_equal(d.unregistered, 0);

	ut_mt_set_thread(1);
	sio_io_channel_put(c1);
	ut_mt_poll_until_idle();
	assert_int_equal(d.destroys, 1);
	assert_int_equal(d.unregistered, 1);
	assert_ptr_equal(d.unreg_thread, ut_mt_thread(0));
	assert_true(sio_thread_is_exited(ut_mt_thread(0)));
	ut_mt_fini();
}

static void test_wrong_thread_put_refused(void **state)
{
	struct dev d = {0};
	struct sio_io_channel *c;
	unsigned int errs;

	ut_mt_init(2);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						"dev"), 0);
	ut_mt_set_thread(0);
	c = sio_io_channel_get(&d);
	assert_non_null(c);

	errs = ut_mt_log_errors();
	ut_mt_set_thread(1);
	sio_io_channel_put(c);
	assert_int_equal(ut_mt_log_errors(), errs + 1);
	assert_non_null(strstr(ut_mt_last_error(), "refused"));
	sio_thread_set_current(NULL);
	sio_io_channel_put(c);
	assert_int_equal(ut_mt_log_errors(), errs + 2);
	ut_mt_poll_until_idle();
	/* Still alive and usable. */
	assert_int_equal(d.destroys, 0);
	assert_int_equal(((struct chan_ctx *)sio_io_channel_get_ctx(c))->magic, CHAN_MAGIC);

	/* A thread with a live channel cannot exit, nor be destroyed. */
	ut_mt_set_thread(0);
	assert_int_equal(sio_thread_exit(ut_mt_thread(0)), 0);
	ut_mt_poll_until_idle();
	assert_false(sio_thread_is_exited(ut_mt_thread(0)));
	errs = ut_mt_log_errors();
	assert_int_equal(sio_thread_destroy(ut_mt_thread(0)), -EBUSY);
	assert_true(ut_mt_log_errors() >= errs + 2); /* summary + the channel */

	/* The right put completes the exit. */
	sio_io_channel_put(c);
	/* Over-put: refused, logged. */
	errs = ut_mt_log_errors();
	sio_io_channel_put(c);
	assert_int_equal(ut_mt_log_errors(), errs + 1);
	ut_mt_poll_until_idle();
	assert_int_equal(d.destroys, 1);
	assert_true(sio_thread_is_exited(ut_mt_thread(0)));

	ut_mt_set_thread(1);
	assert_int_equal(sio_io_device_unregister(&d, NULL), 0);
	ut_mt_poll_until_idle();
	ut_mt_fini();
}

struct walk {
	int visited;
	int order[UT_MT_MAX_THREADS];
	int done;
	int status;
	struct sio_thread *done_thread;
	int stop_after;
};

static void walk_visit(struct sio_io_channel_iter *i)
{
	struct walk *w = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct chan_ctx *c = sio_io_channel_get_ctx(ch);

	/* Visited on the channel's own thread. */
	assert_ptr_equal(sio_io_channel_get_thread(ch), sio_thread_get_current());
	assert_int_equal(c->magic, CHAN_MAGIC);
	c->visits++;
	w->order[w->visited++] = (int)sio_thread_get_id(sio_thread_get_current());
	sio_for_each_channel_continue(i, w->visited == w->stop_after ? -ECANCELED : 0);
}

static void walk_done(struct sio_io_channel_iter *i, int status)
{
	struct walk *w = sio_io_channel_iter_get_ctx(i);

	assert_non_null(sio_io_channel_iter_get_io_device(i));
	assert_null(sio_io_channel_iter_get_channel(i));
	w->done++;
	w->status = status;
	w->done_thread = sio_thread_get_current();
}

static void test_for_each_channel(void **state)
{
	struct dev d = {0};
	struct sio_io_channel *ch[4];
	struct walk w = {0};

	ut_mt_init(4);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						"dev"), 0);
	/* Channels on threads 0, 1 and 3; none on 2. */
	for (unsigned int i = 0; i < 4; i++) {
		ut_mt_set_thread(i);
		ch[i] = i == 2 ? NULL : sio_io_channel_get(&d);
	}
	ut_mt_set_thread(2);
	assert_int_equal(sio_for_each_channel(&d, walk_visit, &w, walk_done), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(w.visited, 3);
	assert_int_equal(w.order[0], (int)sio_thread_get_id(ut_mt_thread(0)));
	assert_int_equal(w.order[1], (int)sio_thread_get_id(ut_mt_thread(1)));
	assert_int_equal(w.order[2], (int)sio_thread_get_id(ut_mt_thread(3)));
	assert_int_equal(w.done, 1);
	assert_int_equal(w.status, 0);
	assert_ptr_equal(w.done_thread, ut_mt_thread(2));

	/* Early stop: the status reaches the completion, later channels untouched. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	ut_mt_set_thread(0);
	assert_int_equal(sio_for_each_channel(&d, walk_visit, &w, walk_done), 0);
	/* Unregister during a walk: completes only after the walk and the puts. */
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	assert_int_equal(sio_for_each_channel(&d, walk_visit, &w, walk_done), -ENODEV);
	ut_mt_poll_until_idle();
	assert_int_equal(w.visited, 2);
	assert_int_equal(w.done, 1);
	assert_int_equal(w.status, -ECANCELED);
	assert_ptr_equal(w.done_thread, ut_mt_thread(0));
	assert_int_equal(((struct chan_ctx *)sio_io_channel_get_ctx(ch[3]))->visits, 1);

	assert_int_equal(d.unregistered, 0);
	for (unsigned int i = 0; i < 4; i++) {
		ut_mt_set_thread(i);
		sio_io_channel_put(ch[i]);
	}
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 1);
	assert_int_equal(d.destroys, 3);
	ut_mt_fini();
}

struct deferred {
	struct sio_io_channel_iter *iter;
	int visits;
	int done;
};

/* Holds the walk: continue comes later (an asynchronous visit). */
static void hold_visit(struct sio_io_channel_iter *i)
{
	struct deferred *d = sio_io_channel_iter_get_ctx(i);

	d->iter = i;
	d->visits++;
}

static void hold_done(struct sio_io_channel_iter *i, int status)
{
	((struct deferred *)sio_io_channel_iter_get_ctx(i))->done++;
}

static void test_for_each_channel_async_and_misuse(void **state)
{
	struct dev d = {0};
	struct deferred w = {0};
	struct sio_io_channel *c0, *c1;
	unsigned int errs;
	int unknown;

	ut_mt_init(2);
	sio_thread_set_current(NULL);
	assert_int_equal(sio_for_each_channel(&unknown, hold_visit, &w, hold_done), -EPERM);
	ut_mt_set_thread(0);
	assert_int_equal(sio_for_each_channel(&unknown, hold_visit, &w, hold_done), -ENODEV);

	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						"dev"), 0);
	c0 = sio_io_channel_get(&d);
	ut_mt_set_thread(1);
	c1 = sio_io_channel_get(&d);
	ut_mt_set_thread(0);
	assert_int_equal(sio_for_each_channel(&d, hold_visit, &w, hold_done), 0);
	ut_mt_poll_until_idle();
	/* Visiting thread 0's channel, paused until continue. */
	assert_int_equal(w.visits, 1);
	assert_ptr_equal(sio_io_channel_iter_get_channel(w.iter), c0);

	/* Continue from the wrong thread: logged and refused, walk unchanged. */
	errs = ut_mt_log_errors();
	ut_mt_set_thread(1);
	sio_for_each_channel_continue(w.iter, 0);
	assert_int_equal(ut_mt_log_errors(), errs + 1);
	ut_mt_poll_until_idle();
	assert_int_equal(w.visits, 1);

	/* From the right thread, later: the walk moves on to thread 1. */
	ut_mt_set_thread(0);
	sio_for_each_channel_continue(w.iter, 0);
	/* A second continue for the same visit is refused too. */
	sio_for_each_channel_continue(w.iter, 0);
	assert_int_equal(ut_mt_log_errors(), errs + 2);
	ut_mt_poll_until_idle();
	assert_int_equal(w.visits, 2);
	assert_ptr_equal(sio_io_channel_iter_get_channel(w.iter), c1);
	ut_mt_set_thread(1);
	sio_for_each_channel_continue(w.iter, 0);
	ut_mt_poll_until_idle();
	assert_int_equal(w.done, 1);

	ut_mt_set_thread(0);
	sio_io_channel_put(c0);
	ut_mt_set_thread(1);
	sio_io_channel_put(c1);
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 1);
	ut_mt_fini();
}

/* Channel churn across simulated threads: many get/put cycles interleaved
 * with polls; counts of creates and destroys must balance exactly. */
static void test_channel_churn(void **state)
{
	struct dev d = {0};
	struct sio_io_channel *held[8] = {0};
	unsigned int seed = 12345;

	ut_mt_init(8);
	assert_int_equal(sio_io_device_register(&d, dev_create, dev_destroy, sizeof(struct chan_ctx),
						"churn"), 0);
	for (int step = 0; step < 20000; step++) {
		unsigned int i;

		seed = seed * 1103515245 + 12345;
		i = (seed >> 16) % 8;
		ut_mt_set_thread(i);
		if (held[i] == NULL) {
			held[i] = sio_io_channel_get(&d);
			assert_non_null(held[i]);
		} else {
			sio_io_channel_put(held[i]);
			held[i] = NULL;
		}
		if ((seed >> 8) % 3 == 0)
			ut_mt_poll_thread(i);
	}
	for (unsigned int i = 0; i < 8; i++) {
		ut_mt_set_thread(i);
		sio_io_channel_put(held[i]);
	}
	ut_mt_poll_until_idle();
	assert_true(d.creates > 100);
	assert_int_equal(d.creates, d.destroys);
	ut_mt_set_thread(0);
	assert_int_equal(sio_io_device_unregister(&d, dev_unregistered), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(d.unregistered, 1);
	ut_mt_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_bad_input),
		cmocka_unit_test(test_get_put_refcount),
		cmocka_unit_test(test_create_failure),
		cmocka_unit_test(test_unregister_waits_for_channels),
		cmocka_unit_test(test_exit_waits_for_unregister),
		cmocka_unit_test(test_wrong_thread_put_refused),
		cmocka_unit_test(test_for_each_channel),
		cmocka_unit_test(test_for_each_channel_async_and_misuse),
		cmocka_unit_test(test_channel_churn),
	};

	return cmocka_run_group_tests_name("io_channel", tests, NULL, NULL);
}
