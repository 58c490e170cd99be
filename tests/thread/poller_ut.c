/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of pollers: active and timed (on the mock clock), pause/resume,
 * registration and unregistration from inside pollers, statistics, misuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/thread.h"
#include "thread/thread_internal.h"
#include "ut_multithread.h"

static int count_poller(void *ctx)
{
	(*(int *)ctx)++;
	return SIO_POLLER_BUSY;
}

static int idle_poller(void *ctx)
{
	(*(int *)ctx)++;
	return SIO_POLLER_IDLE;
}

static int error_poller(void *ctx)
{
	(*(int *)ctx)++;
	return -EIO;
}

static void test_register_bad_input(void **state)
{
	int n = 0;

	sio_thread_set_current(NULL);
	assert_null(sio_poller_register(count_poller, &n, 0));
	assert_int_equal(errno, EPERM);

	ut_mt_init(1);
	assert_null(sio_poller_register_named("null", NULL, &n, 0));
	assert_int_equal(errno, EINVAL);
	/* Absurd periods are unit mistakes. */
	assert_null(sio_poller_register(count_poller, &n, UINT64_MAX));
	assert_int_equal(errno, EINVAL);
	/* NULL is a no-op for every operation. */
	sio_poller_unregister(NULL);
	struct sio_poller *none = NULL;
	sio_poller_unregister(&none);
	sio_poller_pause(NULL);
	sio_poller_resume(NULL);
	sio_thread_foreach_poller(NULL, NULL, NULL);
	assert_false(sio_thread_has_pollers(ut_mt_thread(0)));
	ut_mt_fini();
}

static void test_active_poller(void **state)
{
	struct sio_thread *t;
	struct sio_poller *p, *q;
	int n = 0, m = 0, e = 0;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	p = sio_poller_register(count_poller, &n, 0);
	q = sio_poller_register(idle_poller, &m, 0);
	struct sio_poller *r = sio_poller_register(error_poller, &e, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	assert_true(sio_thread_has_pollers(t));
	assert_true(sio_thread_has_active_pollers(t));
	/* Readable at once: an active poller means work now. */
	assert_int_equal(sio_thread_next_timeout_us(t), 0);

	/* Work = busy pollers only (idle and errors do not count). */
	assert_int_equal(sio_thread_poll(t, 0), 1);
	assert_int_equal(sio_thread_poll(t, 0), 1);
	assert_int_equal(n, 2);
	assert_int_equal(m, 2);
	assert_int_equal(e, 2);

	sio_poller_unregister(&p);
	assert_null(p);
	assert_int_equal(sio_thread_poll(t, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(m, 3);
	sio_poller_unregister(&q);
	sio_poller_unregister(&r);
	assert_false(sio_thread_has_pollers(t));
	assert_int_equal(sio_thread_next_timeout_us(t), UINT64_MAX);
	ut_mt_fini();
}

static void test_timed_poller_mock_clock(void **state)
{
	struct sio_thread *t;
	struct sio_poller *fast, *slow;
	int nf = 0, ns = 0;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	slow = sio_poller_register(count_poller, &ns, 1000);
	fast = sio_poller_register(count_poller, &nf, 100);
	assert_non_null(slow);
	assert_non_null(fast);
	assert_true(sio_thread_has_pollers(t));
	assert_false(sio_thread_has_active_pollers(t));
	/* Rounded up: tick conversions may add one microsecond. */
	assert_in_range(sio_thread_next_timeout_us(t), 100, 101);

	/* Not due yet. */
	assert_int_equal(sio_thread_poll(t, 0), 0);
	ut_mt_clock_advance_us(99);
	assert_int_equal(sio_thread_poll(t, 0), 0);
	assert_in_range(sio_thread_next_timeout_us(t), 1, 2);
	ut_mt_clock_advance_us(1);
	assert_int_equal(sio_thread_next_timeout_us(t), 0);
	assert_int_equal(sio_thread_poll(t, 0), 1);
	assert_int_equal(nf, 1);
	/* Runs at most once per poll, once per period. */
	assert_int_equal(sio_thread_poll(t, 0), 0);
	assert_int_equal(nf, 1);

	for (int i = 0; i < 9; i++) {
		ut_mt_clock_advance_us(100);
		sio_thread_poll(t, 0);
	}
	/* t = 1000 us: fast ran 10 times, slow once. */
	assert_int_equal(nf, 10);
	assert_int_equal(ns, 1);

	/* A long stall: each runs once, not once per missed period. */
	ut_mt_clock_advance_us(50000);
	assert_int_equal(sio_thread_poll(t, 0), 2);
	assert_int_equal(nf, 11);
	assert_int_equal(ns, 2);
	assert_int_equal(sio_thread_poll(t, 0), 0);

	sio_poller_unregister(&fast);
	sio_poller_unregister(&slow);
	ut_mt_fini();
}

/* Late polls do not shift the schedule: expiries stay on the grid of
 * registration + k periods. */
static void test_timed_poller_no_drift(void **state)
{
	struct sio_poller *p;
	int n = 0;

	ut_mt_init(1);
	p = sio_poller_register(count_poller, &n, 100);
	ut_mt_clock_advance_us(150); /* 50 us late */
	sio_thread_poll(ut_mt_thread(0), 0);
	assert_int_equal(n, 1);
	/* Next due at 200, not 250. */
	assert_in_range(sio_thread_next_timeout_us(ut_mt_thread(0)), 50, 51);
	ut_mt_clock_advance_us(50);
	sio_thread_poll(ut_mt_thread(0), 0);
	assert_int_equal(n, 2);
	/* A stall of 10.5 periods: one run, next back on the grid (at 1300). */
	ut_mt_clock_advance_us(1050);
	sio_thread_poll(ut_mt_thread(0), 0);
	assert_int_equal(n, 3);
	assert_in_range(sio_thread_next_timeout_us(ut_mt_thread(0)), 50, 51);
	sio_poller_unregister(&p);
	ut_mt_fini();
}

struct self_unreg {
	struct sio_poller *p;
	int runs;
	int stop_at;
};

static int self_unregister_poller(void *ctx)
{
	struct self_unreg *s = ctx;

	if (++s->runs == s->stop_at) {
		sio_poller_unregister(&s->p);
		/* Still safe to touch our context after unregistering. */
		assert_null(s->p);
	}
	return SIO_POLLER_BUSY;
}

static void test_unregister_self(void **state)
{
	struct self_unreg a = {.stop_at = 3}, b = {.stop_at = 2};

	ut_mt_init(1);
	a.p = sio_poller_register(self_unregister_poller, &a, 0);
	b.p = sio_poller_register(self_unregister_poller, &b, 10);
	for (int i = 0; i < 10; i++) {
		ut_mt_clock_advance_us(10);
		sio_thread_poll(ut_mt_thread(0), 0);
	}
	assert_int_equal(a.runs, 3);
	assert_int_equal(b.runs, 2);
	assert_false(sio_thread_has_pollers(ut_mt_thread(0)));
	ut_mt_fini();
}

/* A poller that on its first run unregisters the next poller in the list
 * and the previous one, and registers two new ones. */
struct churn {
	struct sio_poller *self, *prev, *next;
	struct sio_poller *made[2];
	int runs;
	int made_runs;
};

static int made_poller(void *ctx)
{
	(*(int *)ctx)++;
	return SIO_POLLER_IDLE;
}

static int churn_poller(void *ctx)
{
	struct churn *c = ctx;

	if (c->runs++ == 0) {
		sio_poller_unregister(&c->next);
		sio_poller_unregister(&c->prev);
		c->made[0] = sio_poller_register(made_poller, &c->made_runs, 0);
		c->made[1] = sio_poller_register(made_poller, &c->made_runs, 5);
	}
	return SIO_POLLER_BUSY;
}

static void test_register_unregister_inside_pollers(void **state)
{
	struct churn c = {0};
	int prev_runs = 0, next_runs = 0;
	struct sio_thread *t;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	c.prev = sio_poller_register(count_poller, &prev_runs, 0);
	c.self = sio_poller_register(churn_poller, &c, 0);
	c.next = sio_poller_register(count_poller, &next_runs, 0);

	sio_thread_poll(t, 0);
	/* prev ran before churn; next was unregistered before its turn. */
	assert_int_equal(prev_runs, 1);
	assert_int_equal(next_runs, 0);
	/* The new active poller ran in the same walk (appended). */
	assert_int_equal(c.made_runs, 1);

	ut_mt_clock_advance_us(5);
	sio_thread_poll(t, 0);
	assert_int_equal(prev_runs, 1);
	assert_int_equal(c.runs, 2);
	/* Active + timed made pollers both ran. */
	assert_int_equal(c.made_runs, 3);

	sio_poller_unregister(&c.self);
	sio_poller_unregister(&c.made[0]);
	sio_poller_unregister(&c.made[1]);
	assert_false(sio_thread_has_pollers(t));
	ut_mt_fini();
}

struct pauser {
	struct sio_poller *target;
	struct sio_poller *self;
	int runs;
};

static int pause_other_poller(void *ctx)
{
	struct pauser *p = ctx;

	p->runs++;
	if (p->runs == 1)
		sio_poller_pause(p->target);
	if (p->runs == 3)
		sio_poller_resume(p->target);
	if (p->runs == 4)
		sio_poller_pause(p->self);
	return SIO_POLLER_IDLE;
}

static void test_pause_resume(void **state)
{
	struct sio_thread *t;
	struct pauser pz = {0};
	int n = 0, tn = 0;
	struct sio_poller *timed;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	/* Target after the pauser: paused mid-walk before its turn. */
	pz.self = sio_poller_register(pause_other_poller, &pz, 0);
	pz.target = sio_poller_register(count_poller, &n, 0);

	sio_thread_poll(t, 0); /* pauser run 1 pauses target */
	assert_int_equal(n, 0);
	assert_true(sio_thread_has_pollers(t));
	sio_thread_poll(t, 0); /* run 2 */
	assert_int_equal(n, 0);
	sio_thread_poll(t, 0); /* run 3 resumes target: appended, runs this walk */
	assert_int_equal(n, 1);
	sio_thread_poll(t, 0); /* run 4: pauser pauses itself */
	assert_int_equal(n, 2);
	sio_thread_poll(t, 0);
	assert_int_equal(pz.runs, 4);
	assert_int_equal(n, 3);

	/* Pause / resume a timed poller from outside a callback. */
	timed = sio_poller_register(count_poller, &tn, 10);
	sio_poller_pause(timed);
	sio_poller_pause(timed); /* twice: no-op */
	ut_mt_clock_advance_us(100);
	sio_thread_poll(t, 0);
	assert_int_equal(tn, 0);
	/* Resumed: waits a full period from now. */
	sio_poller_resume(timed);
	sio_poller_resume(timed); /* twice: no-op */
	sio_thread_poll(t, 0);
	assert_int_equal(tn, 0);
	ut_mt_clock_advance_us(10);
	sio_thread_poll(t, 0);
	assert_int_equal(tn, 1);

	/* Paused pollers still count as pollers (exit waits for them). */
	sio_poller_pause(pz.target);
	assert_true(sio_thread_has_pollers(t));
	assert_false(sio_thread_has_active_pollers(t));
	sio_poller_unregister(&pz.target);
	sio_poller_unregister(&pz.self);
	sio_poller_unregister(&timed);
	assert_false(sio_thread_has_pollers(t));
	ut_mt_fini();
}

struct visit {
	int n;
	uint64_t runs;
	uint64_t busy;
	int paused;
	int timed;
};

static void visit_poller(const struct sio_poller_stats *st, void *ctx)
{
	struct visit *v = ctx;

	v->n++;
	v->runs += st->run_count;
	v->busy += st->busy_count;
	v->paused += st->paused;
	v->timed += st->period_us != 0;
	assert_non_null(st->name);
}

static void test_poller_stats(void **state)
{
	struct sio_poller *a, *b, *c;
	struct visit v = {0};
	int n = 0;

	ut_mt_init(1);
	a = sio_poller_register(count_poller, &n, 0);
	b = sio_poller_register_named("idle-one", idle_poller, &n, 0);
	c = sio_poller_register(count_poller, &n, 50);
	for (int i = 0; i < 5; i++)
		sio_thread_poll(ut_mt_thread(0), 0);
	sio_poller_pause(b);
	sio_thread_foreach_poller(ut_mt_thread(0), visit_poller, &v);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.runs, 10); /* a and b 5 times each, c not due */
	assert_int_equal(v.busy, 5);
	assert_int_equal(v.paused, 1);
	assert_int_equal(v.timed, 1);
	sio_poller_unregister(&a);
	sio_poller_unregister(&b);
	sio_poller_unregister(&c);
	ut_mt_fini();
}

struct foreign {
	struct sio_poller *p;
	int rc;
};

static void foreign_unregister_msg(void *ctx)
{
	struct foreign *f = ctx;

	sio_poller_unregister(&f->p);
	sio_poller_pause(f->p);
}

static void test_foreign_unregister_refused(void **state)
{
	struct foreign f = {0};
	unsigned int errs;
	int n = 0;

	ut_mt_init(2);
	ut_mt_set_thread(0);
	f.p = sio_poller_register(count_poller, &n, 0);
	assert_non_null(f.p);

	errs = ut_mt_log_errors();
	assert_int_equal(sio_thread_send_msg(ut_mt_thread(1), foreign_unregister_msg, &f), 0);
	ut_mt_poll_thread(1);
	/* Refused: pointer intact, poller still runs, both misuses logged. */
	assert_non_null(f.p);
	assert_int_equal(ut_mt_log_errors(), errs + 2);
	assert_non_null(strstr(ut_mt_last_error(), "refused"));
	ut_mt_poll_thread(0);
	assert_int_equal(n, 1);

	/* From no sio_thread at all. */
	sio_thread_set_current(NULL);
	sio_poller_unregister(&f.p);
	assert_non_null(f.p);
	assert_int_equal(ut_mt_log_errors(), errs + 3);

	ut_mt_set_thread(0);
	sio_poller_unregister(&f.p);
	assert_null(f.p);
	ut_mt_fini();
}

/* Exit waits for pollers; unregistering the last one from inside its own
 * callback completes it. */
struct exit_poller {
	struct sio_poller *p;
};

static int unregister_on_exit(void *ctx)
{
	struct exit_poller *e = ctx;

	if (!sio_thread_is_running(sio_thread_get_current()))
		sio_poller_unregister(&e->p);
	return SIO_POLLER_IDLE;
}

static void test_exit_waits_for_pollers(void **state)
{
	struct exit_poller e;
	struct sio_thread *t;

	ut_mt_init(1);
	t = ut_mt_thread(0);
	e.p = sio_poller_register(unregister_on_exit, &e, 0);
	sio_thread_poll(t, 0);
	assert_int_equal(sio_thread_exit(t), 0);
	assert_false(sio_thread_is_exited(t));
	sio_thread_poll(t, 0);
	assert_null(e.p);
	assert_true(sio_thread_is_exited(t));
	/* No new pollers on an exited thread. */
	int n = 0;
	assert_null(sio_poller_register(count_poller, &n, 0));
	assert_int_equal(errno, EPERM);
	ut_mt_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_bad_input),
		cmocka_unit_test(test_active_poller),
		cmocka_unit_test(test_timed_poller_mock_clock),
		cmocka_unit_test(test_timed_poller_no_drift),
		cmocka_unit_test(test_unregister_self),
		cmocka_unit_test(test_register_unregister_inside_pollers),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_poller_stats),
		cmocka_unit_test(test_foreign_unregister_refused),
		cmocka_unit_test(test_exit_waits_for_pollers),
	};

	return cmocka_run_group_tests_name("poller", tests, NULL, NULL);
}
