/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OS threads that carry a sio_thread: spawn runs fn with the thread current,
 * then exits, drains and destroys it; join returns fn's result.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "thread_internal.h"

/* How long the epilogue waits for the thread to release what it owns before
 * it says so in the log (it keeps waiting: freeing would corrupt). */
#define OS_THREAD_EXIT_WARN_S 5

struct sio_os_thread {
	pthread_t tid;
	struct sio_thread *thread;
	sio_os_thread_fn fn;
	void *arg;
	int result;
};

static void *os_thread_main(void *arg)
{
	struct sio_os_thread *ot = arg;
	struct sio_thread *t = ot->thread;
	uint64_t warn_at;

	sio_thread_set_current(t);
	ot->result = ot->fn(ot->arg);

	/* fn may have asked for the exit itself. */
	sio_thread_exit(t);
	warn_at = sio_get_ticks() + OS_THREAD_EXIT_WARN_S * sio_get_ticks_hz();
	while (!sio_thread_is_exited(t)) {
		if (sio_thread_poll(t, 0) == 0)
			sched_yield();
		if (warn_at != 0 && sio_get_ticks() > warn_at) {
			thread_log_owned(t, "still not exited after its function returned");
			warn_at = 0;
		}
	}
	sio_thread_set_current(NULL);
	if (sio_thread_destroy(t) != 0)
		SIO_ERRLOG("spawned thread could not be destroyed");
	return NULL;
}

int sio_os_thread_spawn(const char *name, sio_os_thread_fn fn, void *arg,
			struct sio_os_thread **out)
{
	struct sio_os_thread *ot;
	int rc;

	if (fn == NULL || out == NULL)
		return -EINVAL;
	ot = calloc(1, sizeof(*ot));
	if (ot == NULL)
		return -ENOMEM;
	/* Created here, not in the new OS thread, so failures are reported to
	 * the caller; no scheduler: the new OS thread polls it. */
	ot->thread = thread_create(name, NULL, false);
	if (ot->thread == NULL) {
		rc = -errno;
		free(ot);
		return rc;
	}
	ot->fn = fn;
	ot->arg = arg;
	rc = pthread_create(&ot->tid, NULL, os_thread_main, ot);
	if (rc != 0) {
		sio_thread_exit(ot->thread);
		sio_thread_destroy(ot->thread);
		free(ot);
		return -rc;
	}
	*out = ot;
	return 0;
}

int sio_os_thread_join(struct sio_os_thread *t, int *result)
{
	int rc;

	if (t == NULL)
		return -EINVAL;
	if (pthread_equal(t->tid, pthread_self()))
		return -EDEADLK;
	rc = pthread_join(t->tid, NULL);
	if (rc != 0)
		return -rc;
	if (result != NULL)
		*result = t->result;
	free(t);
	return 0;
}
