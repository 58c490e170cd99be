/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Examine: every module with an examine() callback looks at each bdev once it
 * is registered, so a module that keeps its state on another bdev (the lvol
 * module's lvstores) finds it again at the next start, whatever module
 * created the base bdev and however it was created (config, RPC, code).
 *
 * Each registration sends one message to the registering thread; from there
 * each module's examine() runs in table order, and the count of examines in
 * progress lets sio_bdev_wait_for_examine() callers wait for all of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"
#include "bdev/examine.h"
#include "spdk_io/log.h"

/* Examines started and not yet done, and who waits for none; app-wide. */
static uint32_t g_examine_pending;
struct examine_waiter {
	sio_done_cb cb;
	void *cb_arg;
	struct sio_thread *thread;
	struct examine_waiter *next;
};
static struct examine_waiter *g_examine_waiters;
static pthread_mutex_t g_examine_mutex = PTHREAD_MUTEX_INITIALIZER;

struct examine_msg {
	struct sio_bdev *bdev;
	char name[SIO_BDEV_NAME_MAX + 1];
};

static void waiter_msg(void *arg)
{
	struct examine_waiter *w = arg;

	w->cb(w->cb_arg, 0);
	free(w);
}

static void examine_release(void)
{
	struct examine_waiter *list = NULL;

	pthread_mutex_lock(&g_examine_mutex);
	if (--g_examine_pending == 0) {
		list = g_examine_waiters;
		g_examine_waiters = NULL;
	}
	pthread_mutex_unlock(&g_examine_mutex);
	while (list != NULL) {
		struct examine_waiter *w = list;

		list = w->next;
		if (sio_thread_send_msg(w->thread, waiter_msg, w) != 0) {
			SIO_ERRLOG("cannot notify a wait_for_examine caller");
			free(w);
		}
	}
}

static void examine_run(void *arg)
{
	struct examine_msg *m = arg;
	/* The bdev may have gone between registration and this message. */
	struct sio_bdev *bdev = sio_bdev_get_by_name(m->name);

	if (bdev == m->bdev) {
		for (size_t i = 0; sio_bdev_module_table[i] != NULL; i++) {
			struct sio_bdev_module *mod = sio_bdev_module_table[i];

			if (mod->examine == NULL)
				continue;
			pthread_mutex_lock(&g_examine_mutex);
			g_examine_pending++;
			pthread_mutex_unlock(&g_examine_mutex);
			mod->examine(bdev);
		}
	}
	free(m);
	examine_release(); /* the count bdev_examine_new() took for the message */
}

void bdev_examine_new(struct sio_bdev *bdev)
{
	struct examine_msg *m;
	bool any = false;

	for (size_t i = 0; sio_bdev_module_table[i] != NULL; i++)
		any |= sio_bdev_module_table[i]->examine != NULL;
	if (!any)
		return;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		SIO_ERRLOG("bdev %s: no memory to examine it", bdev->name);
		return;
	}
	m->bdev = bdev;
	strncpy(m->name, bdev->name, SIO_BDEV_NAME_MAX);
	pthread_mutex_lock(&g_examine_mutex);
	g_examine_pending++;
	pthread_mutex_unlock(&g_examine_mutex);
	if (sio_thread_send_msg(sio_thread_get_current(), examine_run, m) != 0) {
		SIO_ERRLOG("bdev %s: cannot schedule its examine", bdev->name);
		free(m);
		examine_release();
	}
}

void sio_bdev_module_examine_done(struct sio_bdev_module *module)
{
	examine_release();
}

int sio_bdev_wait_for_examine(sio_done_cb cb, void *cb_arg)
{
	struct examine_waiter *w;

	if (cb == NULL)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->cb = cb;
	w->cb_arg = cb_arg;
	w->thread = sio_thread_get_current();
	if (w->thread == NULL) {
		free(w);
		return -EPERM;
	}
	pthread_mutex_lock(&g_examine_mutex);
	if (g_examine_pending > 0) {
		w->next = g_examine_waiters;
		g_examine_waiters = w;
		w = NULL;
	}
	pthread_mutex_unlock(&g_examine_mutex);
	if (w != NULL && sio_thread_send_msg(w->thread, waiter_msg, w) != 0) {
		free(w);
		return -ENOMEM;
	}
	return 0;
}
