/* SPDX-License-Identifier: BSD-3-Clause */
/* Waiting on time and on several futures: sleep, timeout, all, first. */
#include <errno.h>

#include "async/async_internal.h"

static struct sio_task *task_or_misuse(const char *what)
{
	struct sio_task *t = tls_async_task;

	if (t == NULL)
		ASYNC_MISUSE("%s outside a task", what);
	return t;
}

int sio_sleep(uint64_t us)
{
	struct sio_task *t = task_or_misuse("sio_sleep()");
	struct async_timer tm;

	if (t == NULL)
		return -EPERM;
	if (us == 0)
		return sio_yield();
	async_timer_arm(t->at, &tm, t, us);
	while (tm.armed)
		async_task_park(t);
	return 0;
}

int sio_await_timeout(struct sio_future *f, uint64_t us)
{
	struct sio_task *t = task_or_misuse("sio_await_timeout()");
	struct async_timer tm;
	int rc;

	if (t == NULL)
		return -EPERM;
	rc = async_future_add_waiter(f, t);
	if (rc != 0)
		return rc;
	if (sio_future_is_done(f))
		return sio_future_rc(f);
	async_timer_arm(t->at, &tm, t, us);
	f->waiter = t;
	while (!sio_future_is_done(f) && tm.armed)
		async_task_park(t);
	if (sio_future_is_done(f)) {
		/* Completion wins a tie with the timer. */
		async_timer_disarm(t->at, &tm);
		return sio_future_rc(f);
	}
	async_future_del_waiter(f, t);
	return -ETIMEDOUT;
}

int sio_await_all(struct sio_future *const *fs, size_t n)
{
	struct sio_task *t = task_or_misuse("sio_await_all()");
	int first_err = 0;

	if (t == NULL)
		return -EPERM;
	if (n > 0 && fs == NULL)
		return -EINVAL;
	/* Check every future before waiting on any, so a bad one fails the call
	 * without leaving the task hooked to the others. */
	for (size_t i = 0; i < n; i++) {
		int rc = async_future_add_waiter(fs[i], t);

		if (rc != 0)
			return rc;
	}
	/* Awaiting in order costs at most one switch per pending future. */
	for (size_t i = 0; i < n; i++) {
		int rc = sio_await(fs[i]);

		if (rc != 0 && first_err == 0)
			first_err = rc;
	}
	return first_err;
}

int sio_await_first(struct sio_future *const *fs, size_t n, size_t *index)
{
	struct sio_task *t = task_or_misuse("sio_await_first()");
	size_t i;

	if (t == NULL)
		return -EPERM;
	if (n == 0 || fs == NULL)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int rc = async_future_add_waiter(fs[i], t);

		if (rc != 0)
			return rc;
	}
	for (;;) {
		for (i = 0; i < n; i++) {
			if (sio_future_is_done(fs[i]))
				break;
		}
		if (i < n)
			break;
		for (size_t j = 0; j < n; j++)
			fs[j]->waiter = t;
		async_task_park(t);
	}
	for (size_t j = 0; j < n; j++)
		async_future_del_waiter(fs[j], t);
	if (index != NULL)
		*index = i;
	return sio_future_rc(fs[i]);
}
