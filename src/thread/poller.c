/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pollers. Active pollers run on every poll, in registration order. Timed
 * pollers sit on a list sorted by next_run: insertion walks it (O(n) in the
 * number of timed pollers, which is small in practice) and a poll only looks
 * at the head, so a thread with nothing due pays one comparison.
 *
 * A poller callback may register, unregister, pause or resume any poller of
 * its thread, itself included. Edits that would break the walk of the active
 * list are only marked (state) and applied once the walk has moved past.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "spdk_io/trace.h"
#include "thread_internal.h"

/* A year: longer periods are certainly a unit mistake. */
#define POLLER_PERIOD_MAX_US (365ull * 24 * 3600 * 1000000)

static void timed_insert(struct sio_thread *t, struct sio_poller *p)
{
	struct sio_poller *it;

	/* Walk from the tail: a re-armed poller usually goes last. Equal
	 * expiries keep registration order. */
	TAILQ_FOREACH_REVERSE(it, &t->timed, poller_tailq, link) {
		if (it->next_run <= p->next_run) {
			TAILQ_INSERT_AFTER(&t->timed, it, p, link);
			p->list = POLLER_LIST_TIMED;
			return;
		}
	}
	TAILQ_INSERT_HEAD(&t->timed, p, link);
	p->list = POLLER_LIST_TIMED;
}

static struct poller_tailq *list_head(struct sio_thread *t, enum poller_list l)
{
	switch (l) {
	case POLLER_LIST_ACTIVE:
		return &t->active;
	case POLLER_LIST_TIMED:
		return &t->timed;
	case POLLER_LIST_PAUSED:
		return &t->paused;
	default:
		return NULL;
	}
}

static void list_remove(struct sio_thread *t, struct sio_poller *p)
{
	struct poller_tailq *h = list_head(t, p->list);

	if (h != NULL)
		TAILQ_REMOVE(h, p, link);
	p->list = POLLER_LIST_NONE;
}

/* Puts a poller that is not running and not on a list being walked where its
 * state says it belongs (or frees it). */
static void poller_settle(struct sio_thread *t, struct sio_poller *p)
{
	switch (p->state) {
	case POLLER_STATE_UNREGISTERED:
		list_remove(t, p);
		free(p);
		break;
	case POLLER_STATE_PAUSED:
		if (p->list != POLLER_LIST_PAUSED) {
			list_remove(t, p);
			TAILQ_INSERT_TAIL(&t->paused, p, link);
			p->list = POLLER_LIST_PAUSED;
		}
		break;
	case POLLER_STATE_WAITING:
		if (p->period_ticks == 0 && p->list != POLLER_LIST_ACTIVE) {
			list_remove(t, p);
			TAILQ_INSERT_TAIL(&t->active, p, link);
			p->list = POLLER_LIST_ACTIVE;
		} else if (p->period_ticks != 0 && p->list != POLLER_LIST_TIMED) {
			list_remove(t, p);
			timed_insert(t, p);
		}
		break;
	}
}

static int poller_call(struct sio_poller *p)
{
	int rc;

	p->running = true;
	rc = p->fn(p->ctx);
	SIO_TRACE(SIO_TP_THREAD_POLLER_RUN, 0, p, rc, 0, 0);
	p->running = false;
	p->run_count++;
	if (rc > 0)
		p->busy_count++;
	return rc > 0;
}

/*
 * Next expiry on the poller's own grid (registration + k periods), so late
 * wake-ups do not make it drift; periods missed in a stall are skipped, not
 * run back to back.
 */
static uint64_t timed_next(const struct sio_poller *p, uint64_t now)
{
	uint64_t missed = (now - p->next_run) / p->period_ticks;

	return p->next_run + (missed + 1) * p->period_ticks;
}

int thread_run_pollers(struct sio_thread *t, uint64_t now)
{
	struct sio_poller *p, *next;
	int busy = 0, active_busy = 0;

	/* Nothing active and nothing due: the usual case of an idle thread. */
	if (t->n_active == 0 && !t->sweep_active) {
		p = TAILQ_FIRST(&t->timed);
		if (p == NULL || p->next_run > now) {
			t->last_active_busy = false;
			return 0;
		}
	}
	t->iterating_active = true;
	for (p = TAILQ_FIRST(&t->active); p != NULL; p = next) {
		if (p->state == POLLER_STATE_WAITING)
			active_busy += poller_call(p);
		/* Read after the call: the callback may have changed the list,
		 * but never freed @p or anything after it (only marked). */
		next = TAILQ_NEXT(p, link);
		if (p->state != POLLER_STATE_WAITING)
			poller_settle(t, p);
	}
	t->iterating_active = false;
	if (t->sweep_active) {
		/* Marked behind the walk: settle them now. */
		t->sweep_active = false;
		TAILQ_FOREACH_SAFE(p, &t->active, link, next) {
			if (p->state != POLLER_STATE_WAITING)
				poller_settle(t, p);
		}
	}
	t->last_active_busy = active_busy != 0;
	busy += active_busy;

	/* Timed: re-read the head each time, so callbacks may edit the list
	 * freely. Each re-armed poller lands after now, so the loop ends. */
	while ((p = TAILQ_FIRST(&t->timed)) != NULL && p->next_run <= now) {
		list_remove(t, p);
		busy += poller_call(p);
		if (p->state == POLLER_STATE_WAITING)
			p->next_run = timed_next(p, now);
		poller_settle(t, p);
	}
	return busy;
}

uint64_t thread_next_timed(struct sio_thread *t)
{
	struct sio_poller *p = TAILQ_FIRST(&t->timed);

	return p != NULL ? p->next_run : 0;
}

void thread_pollers_fini(struct sio_thread *t)
{
	struct poller_tailq *heads[] = {&t->active, &t->timed, &t->paused};
	struct sio_poller *p;

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		while ((p = TAILQ_FIRST(heads[i])) != NULL) {
			TAILQ_REMOVE(heads[i], p, link);
			free(p);
		}
	}
}

struct sio_poller *sio_poller_register_named(const char *name, sio_poller_fn fn, void *ctx,
					     uint64_t period_us)
{
	struct sio_thread *t = sio_thread_get_current();
	struct sio_poller *p;

	if (t == NULL) {
		SIO_ERRLOG("poller %s: no current sio_thread", name != NULL ? name : "?");
		errno = EPERM;
		return NULL;
	}
	if (fn == NULL || period_us > POLLER_PERIOD_MAX_US) {
		errno = EINVAL;
		return NULL;
	}
	if (sio_thread_is_exited(t)) {
		SIO_ERRLOG("poller %s: thread %s has exited", name != NULL ? name : "?", t->name);
		errno = EPERM;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->thread = t;
	p->fn = fn;
	p->ctx = ctx;
	p->period_us = period_us;
	snprintf(p->name, sizeof(p->name), "%s", name != NULL ? name : "poller");
	p->state = POLLER_STATE_WAITING;
	if (period_us != 0) {
		p->period_ticks = sio_us_to_ticks(period_us);
		if (p->period_ticks == 0)
			p->period_ticks = 1;
		p->next_run = thread_now() + p->period_ticks;
		timed_insert(t, p);
		t->n_timed++;
	} else {
		/* Appended: if registered from an active poller, it runs later in
		 * the same walk. */
		TAILQ_INSERT_TAIL(&t->active, p, link);
		p->list = POLLER_LIST_ACTIVE;
		t->n_active++;
	}
	return p;
}

/* The owner check every poller operation starts with. */
static bool poller_owned(struct sio_poller *p, const char *op)
{
	struct sio_thread *cur = sio_thread_get_current();

	if (p->thread == cur)
		return true;
	SIO_ERRLOG("poller %s belongs to thread %s: %s from %s refused", p->name, p->thread->name,
		   op, cur != NULL ? cur->name : "a non-sio thread");
	return false;
}

static void count_out(struct sio_thread *t, struct sio_poller *p)
{
	if (p->state == POLLER_STATE_PAUSED) {
		t->n_paused--;
	} else if (p->period_ticks != 0) {
		t->n_timed--;
	} else {
		t->n_active--;
		if (p->has_intr_fd)
			t->n_fd_active--;
	}
}

static void count_in(struct sio_thread *t, struct sio_poller *p)
{
	if (p->state == POLLER_STATE_PAUSED) {
		t->n_paused++;
	} else if (p->period_ticks != 0) {
		t->n_timed++;
	} else {
		t->n_active++;
		if (p->has_intr_fd)
			t->n_fd_active++;
	}
}

/* Applies a state change now when safe, else leaves it for the walker. */
static void poller_apply(struct sio_thread *t, struct sio_poller *p)
{
	if (p->running)
		return; /* the code that called it settles it after it returns */
	if (p->list == POLLER_LIST_ACTIVE && t->iterating_active) {
		t->sweep_active = true;
		return;
	}
	poller_settle(t, p);
}

void sio_poller_unregister(struct sio_poller **pp)
{
	struct sio_poller *p;
	struct sio_thread *t;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	if (!poller_owned(p, "unregister"))
		return;
	*pp = NULL;
	t = p->thread;
	if (p->state == POLLER_STATE_UNREGISTERED) {
		SIO_ERRLOG("poller %s unregistered twice", p->name);
		return;
	}
	count_out(t, p);
	if (p->has_intr_fd) {
		thread_intr_fd_del(t, p->intr_fd);
		p->has_intr_fd = false;
	}
	p->state = POLLER_STATE_UNREGISTERED;
	poller_apply(t, p);
	thread_check_exited(t);
}

int sio_poller_set_interrupt_fd(struct sio_poller *p, int fd)
{
	struct sio_thread *t;
	int rc;

	if (p == NULL || fd < -1 || p->period_ticks != 0 || p->state == POLLER_STATE_UNREGISTERED)
		return -EINVAL;
	if (!poller_owned(p, "set_interrupt_fd"))
		return -EPERM;
	t = p->thread;
	if (fd == -1) {
		if (!p->has_intr_fd)
			return 0;
		/* Counted awake again before its fd leaves the epoll set: a
		 * thread in interrupt mode never misses its work in between. */
		count_out(t, p);
		p->has_intr_fd = false;
		count_in(t, p);
		thread_intr_fd_del(t, p->intr_fd);
		return 0;
	}
	if (p->has_intr_fd)
		return -EBUSY;
	rc = thread_intr_fd_add(t, fd);
	if (rc != 0)
		return rc;
	count_out(t, p);
	p->has_intr_fd = true;
	p->intr_fd = fd;
	count_in(t, p);
	return 0;
}

void sio_poller_pause(struct sio_poller *p)
{
	struct sio_thread *t;

	if (p == NULL || !poller_owned(p, "pause") || p->state != POLLER_STATE_WAITING)
		return;
	t = p->thread;
	count_out(t, p);
	p->state = POLLER_STATE_PAUSED;
	count_in(t, p);
	poller_apply(t, p);
}

void sio_poller_resume(struct sio_poller *p)
{
	struct sio_thread *t;

	if (p == NULL || !poller_owned(p, "resume") || p->state != POLLER_STATE_PAUSED)
		return;
	t = p->thread;
	count_out(t, p);
	p->state = POLLER_STATE_WAITING;
	count_in(t, p);
	/* A resumed timed poller waits a full period, as when registered. */
	if (p->period_ticks != 0 && p->list == POLLER_LIST_PAUSED)
		p->next_run = thread_now() + p->period_ticks;
	poller_apply(t, p);
}

static void visit_list(struct poller_tailq *h, sio_poller_visit_fn fn, void *ctx)
{
	struct sio_poller *p;

	TAILQ_FOREACH(p, h, link) {
		struct sio_poller_stats st = {
			.name = p->name,
			.period_us = p->period_us,
			.run_count = p->run_count,
			.busy_count = p->busy_count,
			.paused = p->state == POLLER_STATE_PAUSED,
		};

		if (p->state != POLLER_STATE_UNREGISTERED)
			fn(&st, ctx);
	}
}

void sio_thread_foreach_poller(struct sio_thread *thread, sio_poller_visit_fn fn, void *ctx)
{
	if (thread == NULL || fn == NULL)
		return;
	visit_list(&thread->active, fn, ctx);
	visit_list(&thread->timed, fn, ctx);
	visit_list(&thread->paused, fn, ctx);
}
