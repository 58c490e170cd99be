/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the sio_thread life cycle, queries and messages, on one OS
 * thread (ut_multithread simulates several sio_threads).
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/thread.h"
#include "thread/thread_internal.h"
#include "ut_multithread.h"

static void count_msg(void *ctx)
{
	(*(int *)ctx)++;
}

static void test_create_names_ids(void **state)
{
	struct sio_cpuset mask;
	struct sio_thread *a, *b;
	uint32_t before = sio_thread_count();

	sio_cpuset_zero(&mask);
	sio_cpuset_set(&mask, 0);
	a = sio_thread_create("alpha", &mask);
	assert_non_null(a);
	b = sio_thread_create(NULL, NULL);
	assert_non_null(b);
	assert_int_equal(sio_thread_count(), before + 2);

	assert_string_equal(sio_thread_get_name(a), "alpha");
	/* A NULL name is derived from the unique id. */
	char expect[32];
	snprintf(expect, sizeof(expect), "thread%llu", (unsigned long long)sio_thread_get_id(b));
	assert_string_equal(sio_thread_get_name(b), expect);
	assert_true(sio_thread_get_id(a) > 0);
	assert_true(sio_thread_get_id(b) > sio_thread_get_id(a));
	assert_ptr_equal(sio_thread_get_by_id(sio_thread_get_id(a)), a);
	assert_ptr_equal(sio_thread_get_by_id(sio_thread_get_id(b)), b);
	assert_null(sio_thread_get_by_id(0));
	assert_true(sio_cpuset_equal(sio_thread_get_cpumask(a), &mask));
	/* NULL mask: every online core. */
	assert_int_equal(sio_cpuset_count(sio_thread_get_cpumask(b)), sio_cpu_count());
	/* a is the first thread of this test program: the app thread. */
	assert_ptr_equal(sio_thread_get_app_thread(), a);

	assert_true(sio_thread_is_running(a));
	assert_false(sio_thread_is_exited(a));
	assert_true(sio_thread_is_idle(a));
	assert_false(sio_thread_has_pollers(a));

	uint64_t ida = sio_thread_get_id(a);
	assert_int_equal(sio_thread_exit(a), 0);
	assert_int_equal(sio_thread_exit(a), -EALREADY);
	assert_false(sio_thread_is_running(a));
	/* Owns nothing: exited at once. */
	assert_true(sio_thread_is_exited(a));
	assert_int_equal(sio_thread_destroy(a), 0);
	assert_null(sio_thread_get_by_id(ida));
	/* The next thread created becomes the app thread (a was destroyed). */
	assert_null(sio_thread_get_app_thread());
	assert_int_equal(sio_thread_exit(b), 0);
	assert_int_equal(sio_thread_destroy(b), 0);
	assert_int_equal(sio_thread_count(), before);
}

static void test_bad_input(void **state)
{
	struct sio_thread_stats st;
	int n = 0;

	assert_int_equal(sio_thread_poll(NULL, 0), -EINVAL);
	assert_int_equal(sio_thread_send_msg(NULL, count_msg, &n), -EINVAL);
	assert_int_equal(sio_thread_exit(NULL), -EINVAL);
	assert_int_equal(sio_thread_destroy(NULL), -EINVAL);
	assert_int_equal(sio_thread_get_stats(NULL, &st), -EINVAL);
	assert_int_equal(sio_thread_get_interrupt_fd(NULL), -EINVAL);
	assert_null(sio_thread_get_name(NULL));
	assert_int_equal(sio_thread_get_id(NULL), 0);
	assert_null(sio_thread_get_cpumask(NULL));
	assert_false(sio_thread_is_idle(NULL));
	assert_false(sio_thread_is_running(NULL));
	assert_false(sio_thread_is_exited(NULL));
	assert_false(sio_thread_has_pollers(NULL));
	assert_false(sio_thread_has_active_pollers(NULL));
	assert_int_equal(sio_thread_next_timeout_us(NULL), UINT64_MAX);
	assert_int_equal(sio_for_each_thread(NULL, NULL, NULL), -EINVAL);
	/* No current thread: for_each_thread has nowhere to complete. */
	sio_thread_set_current(NULL);
	assert_int_equal(sio_for_each_thread(count_msg, &n, NULL), -EPERM);
	assert_int_equal(sio_os_thread_spawn("x", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sio_os_thread_join(NULL, NULL), -EINVAL);
	sio_thread_foreach(NULL, NULL);

	ut_mt_init(1);
	assert_int_equal(sio_thread_send_msg(ut_mt_thread(0), NULL, NULL), -EINVAL);
	assert_int_equal(sio_thread_get_stats(ut_mt_thread(0), NULL), -EINVAL);
	assert_int_equal(n, 0);
	ut_mt_fini();
}

static void test_attach_and_current(void **state)
{
	struct sio_thread *t, *other;

	sio_thread_set_current(NULL);
	assert_null(sio_thread_get_current());
	t = sio_thread_attach("attached");
	assert_non_null(t);
	assert_ptr_equal(sio_thread_get_current(), t);
	/* One per OS thread. */
	assert_null(sio_thread_attach("again"));
	assert_int_equal(errno, EBUSY);

	/* poll sets current for its duration and restores the previous one. */
	other = sio_thread_create("other", NULL);
	assert_non_null(other);
	assert_int_equal(sio_thread_poll(other, 0), 0);
	assert_ptr_equal(sio_thread_get_current(), t);

	sio_thread_exit(other);
	assert_int_equal(sio_thread_destroy(other), 0);
	sio_thread_exit(t);
	assert_int_equal(sio_thread_destroy(t), 0);
	/* Destroying the current thread clears current. */
	assert_null(sio_thread_get_current());
}

static void test_messages_fifo_and_batch(void **state)
{
	struct sio_thread *t;
	int order[100], n = 0;

	ut_mt_init(2);
	t = ut_mt_thread(1);
	for (int i = 0; i < 100; i++) {
		order[i] = -1;
		assert_int_equal(sio_thread_send_msg(t, count_msg, &n), 0);
	}
	assert_false(sio_thread_is_idle(t));
	assert_int_equal(sio_thread_next_timeout_us(t), 0);
	/* max 10: exactly 10 run. */
	assert_int_equal(sio_thread_poll(t, 10), 10);
	assert_int_equal(n, 10);
	/* 0: one whole batch. */
	assert_int_equal(sio_thread_poll(t, 0), THREAD_MSG_BATCH);
	assert_int_equal(n, 10 + THREAD_MSG_BATCH);
	/* More than a batch: several dequeues in one poll. */
	assert_int_equal(sio_thread_poll(t, 1000), 100 - 10 - THREAD_MSG_BATCH);
	assert_int_equal(n, 100);
	assert_int_equal(sio_thread_poll(t, 0), 0);
	assert_true(sio_thread_is_idle(t));
	(void)order;
	ut_mt_fini();
}

struct seq_ctx {
	int next;
	int bad;
};

struct seq_msg {
	struct seq_ctx *c;
	int v;
};

static void seq_msg(void *arg)
{
	struct seq_msg *m = arg;

	if (m->v != m->c->next)
		m->c->bad++;
	m->c->next++;
}

static void test_messages_in_order(void **state)
{
	static struct seq_msg msgs[1000];
	struct seq_ctx c = {0};

	ut_mt_init(2);
	for (int i = 0; i < 1000; i++) {
		msgs[i].c = &c;
		msgs[i].v = i;
		assert_int_equal(sio_thread_send_msg(ut_mt_thread(1), seq_msg, &msgs[i]), 0);
	}
	ut_mt_poll_until_idle();
	assert_int_equal(c.next, 1000);
	assert_int_equal(c.bad, 0);
	ut_mt_fini();
}

/* Fills the ring: a full queue is -ENOMEM, the caller keeps the message, and
 * every accepted message runs. */
static void test_queue_full(void **state)
{
	struct sio_thread *t;
	int n = 0, accepted = 0, rc;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	for (;;) {
		rc = sio_thread_send_msg(t, count_msg, &n);
		if (rc != 0)
			break;
		accepted++;
	}
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(accepted, THREAD_RING_SIZE);
	while (sio_thread_poll(t, 4096) > 0)
		;
	assert_int_equal(n, accepted);
	/* Space again. */
	assert_int_equal(sio_thread_send_msg(t, count_msg, &n), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(n, accepted + 1);
	/* Every message object went back to the pool (cached or shared). */
	assert_int_equal(sio_mempool_in_use(thread_msg_pool()), 0);
	ut_mt_fini();
}

static void exit_self_msg(void *ctx)
{
	struct sio_thread *t = ctx;

	assert_ptr_equal(sio_thread_get_current(), t);
	assert_int_equal(sio_thread_exit(t), 0);
}

static void test_exit_then_shutdown(void **state)
{
	struct sio_thread *t;
	int n = 0;

	ut_mt_init(2);
	t = ut_mt_thread(1);
	assert_int_equal(sio_thread_send_msg(t, exit_self_msg, t), 0);
	assert_int_equal(sio_thread_send_msg(t, count_msg, &n), 0);
	/* Both run: messages queued before the exit completes are never lost. */
	ut_mt_poll_until_idle();
	assert_int_equal(n, 1);
	assert_true(sio_thread_is_exited(t));
	assert_int_equal(sio_thread_send_msg(t, count_msg, &n), -ESHUTDOWN);
	assert_int_equal(n, 1);
	ut_mt_fini();
}

static int noop_poller(void *ctx)
{
	return SIO_POLLER_IDLE;
}

static void test_destroy_refused_while_owning(void **state)
{
	struct sio_thread *t;
	struct sio_poller *p;
	unsigned int errs;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	p = sio_poller_register(noop_poller, NULL, 0);
	assert_non_null(p);

	/* Not exiting: refused and logged. */
	errs = ut_mt_log_errors();
	assert_int_equal(sio_thread_destroy(t), -EBUSY);
	assert_true(ut_mt_log_errors() > errs);
	assert_non_null(strstr(ut_mt_last_error(), "destroy refused"));

	/* Exiting, but it still has a poller: not exited, destroy refused. */
	assert_int_equal(sio_thread_exit(t), 0);
	ut_mt_poll_thread(0);
	assert_false(sio_thread_is_exited(t));
	errs = ut_mt_log_errors();
	assert_int_equal(sio_thread_destroy(t), -EBUSY);
	assert_true(ut_mt_log_errors() > errs);
	/* Still usable: messages and polls go on. */
	assert_ptr_equal(sio_thread_get_by_id(sio_thread_get_id(t)), t);

	sio_poller_unregister(&p);
	assert_null(p);
	assert_true(sio_thread_is_exited(t));
	ut_mt_fini();
}


static void reenter_msg(void *ctx)
{
	int *rc = ctx;

	*rc = sio_thread_poll(sio_thread_get_current(), 0);
}

static void test_poll_reentry_refused(void **state)
{
	int rc = 0;

	ut_mt_init(1);
	assert_int_equal(sio_thread_send_msg(ut_mt_thread(0), reenter_msg, &rc), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(rc, -EBUSY);
	ut_mt_fini();
}

static void destroy_self_msg(void *ctx)
{
	int *rc = ctx;

	*rc = sio_thread_destroy(sio_thread_get_current());
}

static void test_destroy_while_polled_refused(void **state)
{
	int rc = 0;

	ut_mt_init(1);
	assert_int_equal(sio_thread_send_msg(ut_mt_thread(0), destroy_self_msg, &rc), 0);
	ut_mt_poll_until_idle();
	assert_int_equal(rc, -EBUSY);
	ut_mt_fini();
}

static void visit_count(struct sio_thread *t, void *ctx)
{
	(*(int *)ctx)++;
}

static void record_thread(void *ctx)
{
	uint64_t *ids = ctx;

	/* ids[0] is the count; the visited thread is current. */
	ids[1 + ids[0]++] = sio_thread_get_id(sio_thread_get_current());
}

static void for_each_done(void *ctx)
{
	uint64_t *ids = ctx;

	ids[15] = sio_thread_get_id(sio_thread_get_current());
}

static void test_foreach_and_for_each_thread(void **state)
{
	uint64_t ids[16] = {0};
	int n = 0;

	ut_mt_init(3);
	sio_thread_foreach(visit_count, &n);
	assert_int_equal(n, (int)sio_thread_count());
	assert_int_equal(n, 3);

	ut_mt_set_thread(1);
	assert_int_equal(sio_for_each_thread(record_thread, ids, for_each_done), 0);
	ut_mt_poll_until_idle();
	/* Each thread once, in creation order, then completion on thread 1. */
	assert_int_equal(ids[0], 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(ids[1 + i], sio_thread_get_id(ut_mt_thread(i)));
	assert_int_equal(ids[15], sio_thread_get_id(ut_mt_thread(1)));
	ut_mt_fini();
}

static int busy_poller(void *ctx)
{
	return SIO_POLLER_BUSY;
}

static void test_stats(void **state)
{
	struct sio_thread_stats st;
	struct sio_poller *p;
	struct sio_thread *t;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	assert_int_equal(sio_thread_get_stats(t, &st), 0);
	assert_int_equal(st.busy_tsc, 0);
	assert_int_equal(st.idle_tsc, 0);

	/* The mock clock does not move inside a poll, so use the real one. */
	thread_set_tick_fn(NULL);
	for (int i = 0; i < 1000; i++)
		sio_thread_poll(t, 0);
	assert_int_equal(sio_thread_get_stats(t, &st), 0);
	assert_int_equal(st.busy_tsc, 0);
	assert_true(st.idle_tsc > 0);

	p = sio_poller_register(busy_poller, NULL, 0);
	assert_non_null(p);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sio_thread_poll(t, 0), 1);
	assert_int_equal(sio_thread_get_stats(t, &st), 0);
	assert_true(st.busy_tsc > 0);
	assert_false(sio_thread_is_idle(t));
	sio_poller_unregister(&p);
	ut_mt_fini();
}

static int count_poller(void *ctx)
{
	(*(int *)ctx)++;
	return 1;
}

/* sio_thread_poll_at(): timed pollers are due against the tick passed in,
 * and the tick the poll ended at comes back for the next poll. */
static void test_poll_at(void **state)
{
	struct sio_poller *p;
	struct sio_thread *t;
	uint64_t now, stale;
	int runs = 0;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	now = 0;
	assert_int_equal(sio_thread_poll_at(NULL, 0, &now), -EINVAL);
	assert_int_equal(sio_thread_poll_at(t, 0, NULL), -EINVAL);

	ut_mt_set_thread(0);
	p = sio_poller_register(count_poller, &runs, 100);
	assert_non_null(p);
	now = ut_mt_clock_now();
	assert_int_equal(sio_thread_poll_at(t, 0, &now), 0);
	assert_int_equal(now, ut_mt_clock_now());
	assert_int_equal(runs, 0);

	/* Due by the clock, but not by the (stale) tick we pass. */
	stale = now;
	ut_mt_clock_advance_us(200);
	assert_int_equal(sio_thread_poll_at(t, 0, &stale), 0);
	assert_int_equal(runs, 0);
	/* The poll handed back the clock at its end: due by that one. */
	assert_int_equal(stale, ut_mt_clock_now());
	assert_int_equal(sio_thread_poll_at(t, 0, &stale), 1);
	assert_int_equal(runs, 1);
	/* 0 reads the clock. */
	ut_mt_clock_advance_us(200);
	now = 0;
	assert_int_equal(sio_thread_poll_at(t, 0, &now), 1);
	assert_int_equal(runs, 2);
	assert_int_equal(now, ut_mt_clock_now());
	sio_poller_unregister(&p);
	ut_mt_fini();
}

static int sched_calls;
static struct sio_thread *sched_last;

static int test_scheduler(struct sio_thread *t, void *ctx)
{
	sched_calls++;
	sched_last = t;
	return *(int *)ctx;
}

static void test_schedule_hook(void **state)
{
	struct sio_thread *t;
	uint32_t before = sio_thread_count();
	int verdict = 0;

	sio_thread_set_schedule_fn(test_scheduler, &verdict);
	t = sio_thread_create("scheduled", NULL);
	assert_non_null(t);
	assert_int_equal(sched_calls, 1);
	assert_ptr_equal(sched_last, t);

	/* A refusing scheduler fails the create with its error. */
	verdict = -EAGAIN;
	assert_null(sio_thread_create("refused", NULL));
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(sched_calls, 2);
	assert_int_equal(sio_thread_count(), before + 1);

	/* attach bypasses the scheduler: the OS thread polls it itself. */
	sio_thread_set_current(NULL);
	struct sio_thread *a = sio_thread_attach("self-polled");
	assert_non_null(a);
	assert_int_equal(sched_calls, 2);

	sio_thread_set_schedule_fn(NULL, NULL);
	sio_thread_exit(a);
	assert_int_equal(sio_thread_destroy(a), 0);
	sio_thread_exit(t);
	assert_int_equal(sio_thread_destroy(t), 0);
}

static int spawn_body(void *arg)
{
	struct sio_thread *t = sio_thread_get_current();

	assert_non_null(t);
	assert_string_equal(sio_thread_get_name(t), "spawned");
	*(uint64_t *)arg = sio_thread_get_id(t);
	return 42;
}

static void test_spawn_join(void **state)
{
	struct sio_os_thread *ot;
	uint64_t id = 0;
	int result = 0;
	uint32_t before = sio_thread_count();

	assert_int_equal(sio_os_thread_spawn("spawned", spawn_body, &id, &ot), 0);
	assert_int_equal(sio_os_thread_join(ot, &result), 0);
	assert_int_equal(result, 42);
	assert_true(id > 0);
	/* The epilogue destroyed its sio_thread. */
	assert_null(sio_thread_get_by_id(id));
	assert_int_equal(sio_thread_count(), before);
}

static struct sio_os_thread *_Atomic g_self_handle;

static int join_self_body(void *arg)
{
	struct sio_os_thread *me;

	while ((me = atomic_load(&g_self_handle)) == NULL)
		sched_yield();
	return sio_os_thread_join(me, NULL);
}

static void test_join_self_refused(void **state)
{
	struct sio_os_thread *ot;
	int result = 0;

	assert_int_equal(sio_os_thread_spawn("joiner", join_self_body, NULL, &ot), 0);
	atomic_store(&g_self_handle, ot);
	assert_int_equal(sio_os_thread_join(ot, &result), 0);
	assert_int_equal(result, -EDEADLK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_names_ids),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_attach_and_current),
		cmocka_unit_test(test_messages_fifo_and_batch),
		cmocka_unit_test(test_messages_in_order),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_exit_then_shutdown),
		cmocka_unit_test(test_destroy_refused_while_owning),
		cmocka_unit_test(test_poll_reentry_refused),
		cmocka_unit_test(test_destroy_while_polled_refused),
		cmocka_unit_test(test_foreach_and_for_each_thread),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_poll_at),
		cmocka_unit_test(test_schedule_hook),
		cmocka_unit_test(test_spawn_join),
		cmocka_unit_test(test_join_self_refused),
	};

	return cmocka_run_group_tests_name("thread", tests, NULL, NULL);
}
