/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io_devices and io_channels. The device registry is a list under a mutex:
 * it is touched when channels are created or destroyed, not per I/O. Each
 * thread keeps its own channels on a list only it touches.
 *
 * A device holds a reference for every live channel and every running
 * for-each walk; unregister completes when that count drops to zero.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread_internal.h"
#include "thread/thread_current.h"

/* Per-channel contexts larger than this are a mistake, not a design. */
#define CHANNEL_CTX_MAX (64u << 20)

struct io_device {
	void *dev;
	sio_io_channel_create_cb create_cb;
	sio_io_channel_destroy_cb destroy_cb;
	size_t ctx_size;
	uint32_t refs;                   /* live channels + running walks */
	bool unregistering;
	sio_io_device_unregister_cb done;
	struct sio_thread *unreg_thread; /* where done runs */
	char name[64];
	TAILQ_ENTRY(io_device) link;
};

struct sio_io_channel {
	struct sio_thread *thread;
	struct io_device *dev;
	uint32_t ref;
	bool destroy_pending; /* a destroy message is queued */
	TAILQ_ENTRY(sio_io_channel) link;
	_Alignas(64) unsigned char ctx[];
};
_Static_assert(offsetof(struct sio_io_channel, ctx) == THREAD_IO_CHANNEL_CTX_OFFSET,
	       "thread_io_channel_ctx() (thread_current.h) must match struct sio_io_channel");

struct sio_io_channel_iter {
	struct io_device *dev;
	sio_channel_msg fn;
	sio_channel_for_each_cpl cpl;
	void *ctx;
	struct sio_thread *orig;
	struct sio_thread *cur;
	struct sio_io_channel *ch;
	int status;
};

static pthread_mutex_t g_devices_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, io_device) g_devices = TAILQ_HEAD_INITIALIZER(g_devices);

/* Call with g_devices_lock held. */
static struct io_device *device_find(void *dev)
{
	struct io_device *d;

	TAILQ_FOREACH(d, &g_devices, link) {
		if (d->dev == dev)
			return d;
	}
	return NULL;
}

void thread_log_channels(struct sio_thread *t)
{
	struct sio_io_channel *ch;

	TAILQ_FOREACH(ch, &t->channels, link)
		SIO_ERRLOG("  live io_channel to %s (%u references)", ch->dev->name, ch->ref);
}

int sio_io_device_register(void *io_device, sio_io_channel_create_cb create_cb,
			   sio_io_channel_destroy_cb destroy_cb, size_t ctx_size, const char *name)
{
	struct io_device *d;

	if (io_device == NULL || ctx_size > CHANNEL_CTX_MAX)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->dev = io_device;
	d->create_cb = create_cb;
	d->destroy_cb = destroy_cb;
	d->ctx_size = ctx_size;
	if (name != NULL)
		snprintf(d->name, sizeof(d->name), "%s", name);
	else
		snprintf(d->name, sizeof(d->name), "%p", io_device);

	pthread_mutex_lock(&g_devices_lock);
	if (device_find(io_device) != NULL) {
		pthread_mutex_unlock(&g_devices_lock);
		free(d);
		return -EEXIST;
	}
	TAILQ_INSERT_TAIL(&g_devices, d, link);
	pthread_mutex_unlock(&g_devices_lock);
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "registered io_device %s", d->name);
	return 0;
}

static void device_forget(struct io_device *d)
{
	pthread_mutex_lock(&g_devices_lock);
	TAILQ_REMOVE(&g_devices, d, link);
	pthread_mutex_unlock(&g_devices_lock);
}

static void device_unregister_done(void *arg)
{
	struct io_device *d = arg;
	struct sio_thread *t = d->unreg_thread;

	/* Listed (as unregistering) until now: a second unregister meanwhile
	 * gets -EALREADY and a register of the same pointer -EEXIST. */
	device_forget(d);
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "io_device %s unregistered", d->name);
	if (d->done != NULL)
		d->done(d->dev);
	free(d);
	t->n_unregistering--;
	thread_check_exited(t);
}

/*
 * Completes the unregister once nothing refers to the device any more, on
 * any thread (the last channel's). The unregistering thread is still there:
 * it counts the unregister in n_unregistering and cannot finish exiting, let
 * alone be destroyed, before device_unregister_done() ran on it. (It used to
 * be able to: a reactor's thread freed at shutdown while another reactor
 * released the last channel, a use-after-free ThreadSanitizer caught in
 * nvme_multipath_mt.) The message is critical, so it cannot fail for memory.
 */
static void device_finish(struct io_device *d)
{
	int rc = thread_send_critical(d->unreg_thread, device_unregister_done, d);

	if (rc != 0)
		SIO_ERRLOG("io_device %s: unregister cannot complete on thread %s: %s", d->name,
			   d->unreg_thread->name, strerror(-rc));
}

static void device_unref(struct io_device *d)
{
	bool finish;

	pthread_mutex_lock(&g_devices_lock);
	finish = --d->refs == 0 && d->unregistering;
	pthread_mutex_unlock(&g_devices_lock);
	if (finish)
		device_finish(d);
}

int sio_io_device_unregister(void *io_device, sio_io_device_unregister_cb done)
{
	struct sio_thread *t = sio_thread_get_current();
	struct io_device *d;
	bool finish = false;

	if (io_device == NULL)
		return -EINVAL;
	if (t == NULL)
		return -EPERM;
	pthread_mutex_lock(&g_devices_lock);
	d = device_find(io_device);
	if (d == NULL) {
		pthread_mutex_unlock(&g_devices_lock);
		return -ENOENT;
	}
	if (d->unregistering) {
		pthread_mutex_unlock(&g_devices_lock);
		return -EALREADY;
	}
	d->unregistering = true;
	d->done = done;
	d->unreg_thread = t;
	t->n_unregistering++;
	finish = d->refs == 0;
	pthread_mutex_unlock(&g_devices_lock);
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "unregistering io_device %s (%s)", d->name,
		     finish ? "no channels" : "waiting for channels");
	/* Even with no channels, done runs by message: callers may rely on it
	 * never running inside sio_io_device_unregister(). */
	if (finish)
		device_finish(d);
	return 0;
}

static struct sio_io_channel *thread_find_channel(struct sio_thread *t, struct io_device *d)
{
	struct sio_io_channel *ch;

	TAILQ_FOREACH(ch, &t->channels, link) {
		if (ch->dev == d)
			return ch;
	}
	return NULL;
}

struct sio_io_channel *sio_io_channel_get(void *io_device)
{
	struct sio_thread *t = sio_thread_get_current();
	struct sio_io_channel *ch;
	struct io_device *d;
	void *mem;
	int rc;

	if (t == NULL) {
		errno = EPERM;
		return NULL;
	}
	if (sio_thread_is_exited(t)) {
		SIO_ERRLOG("io_channel get on exited thread %s", t->name);
		errno = EPERM;
		return NULL;
	}
	pthread_mutex_lock(&g_devices_lock);
	d = device_find(io_device);
	if (d == NULL || d->unregistering) {
		pthread_mutex_unlock(&g_devices_lock);
		errno = ENODEV;
		return NULL;
	}
	ch = thread_find_channel(t, d);
	if (ch != NULL) {
		/* Also revives a channel whose deferred destroy has not run yet. */
		ch->ref++;
		pthread_mutex_unlock(&g_devices_lock);
		return ch;
	}
	d->refs++;
	pthread_mutex_unlock(&g_devices_lock);

	if (posix_memalign(&mem, 64, sizeof(*ch) + d->ctx_size) != 0) {
		device_unref(d);
		errno = ENOMEM;
		return NULL;
	}
	ch = mem;
	memset(ch, 0, sizeof(*ch) + d->ctx_size);
	ch->thread = t;
	ch->dev = d;
	ch->ref = 1;
	if (d->create_cb != NULL) {
		rc = d->create_cb(d->dev, ch->ctx);
		if (rc != 0) {
			SIO_ERRLOG("io_device %s: channel create failed on %s: %d", d->name,
				   t->name, rc);
			free(ch);
			device_unref(d);
			errno = rc < 0 ? -rc : EIO;
			return NULL;
		}
	}
	/* Listed only once created, so create_cb never sees a half-made channel. */
	TAILQ_INSERT_TAIL(&t->channels, ch, link);
	t->n_channels++;
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "channel to %s created on %s", d->name, t->name);
	return ch;
}

static void channel_destroy(void *arg)
{
	struct sio_io_channel *ch = arg;
	struct sio_thread *t = ch->thread;
	struct io_device *d = ch->dev;

	ch->destroy_pending = false;
	if (ch->ref != 0)
		return; /* got again before this message ran */
	TAILQ_REMOVE(&t->channels, ch, link);
	t->n_channels--;
	if (d->destroy_cb != NULL)
		d->destroy_cb(d->dev, ch->ctx);
	SIO_DEBUGLOG(THREAD_LOG_FLAG, "channel to %s destroyed on %s", d->name, t->name);
	free(ch);
	device_unref(d);
	thread_check_exited(t);
}

void sio_io_channel_put(struct sio_io_channel *ch)
{
	struct sio_thread *cur = sio_thread_get_current();

	if (ch == NULL)
		return;
	if (ch->thread != cur) {
		SIO_ERRLOG("io_channel to %s belongs to thread %s: put from %s refused",
			   ch->dev->name, ch->thread->name,
			   cur != NULL ? cur->name : "a non-sio thread");
		return;
	}
	if (ch->ref == 0) {
		SIO_ERRLOG("io_channel to %s on %s: put without a reference refused",
			   ch->dev->name, ch->thread->name);
		return;
	}
	if (--ch->ref == 0 && !ch->destroy_pending) {
		ch->destroy_pending = true;
		/* To ourselves: we are not exited (we own a channel), so this
		 * cannot fail. */
		thread_send_critical(cur, channel_destroy, ch);
	}
}

void *sio_io_channel_get_ctx(struct sio_io_channel *ch)
{
	return ch != NULL ? ch->ctx : NULL;
}

struct sio_io_channel *sio_io_channel_from_ctx(void *ctx)
{
	if (ctx == NULL)
		return NULL;
	return (struct sio_io_channel *)((unsigned char *)ctx - offsetof(struct sio_io_channel, ctx));
}

struct sio_thread *sio_io_channel_get_thread(struct sio_io_channel *ch)
{
	return ch != NULL ? ch->thread : NULL;
}

void *sio_io_channel_get_io_device(struct sio_io_channel *ch)
{
	return ch != NULL ? ch->dev->dev : NULL;
}

/* ---- sio_for_each_channel ---- */

static void iter_visit(void *arg);

static void iter_done(void *arg)
{
	struct sio_io_channel_iter *i = arg;

	i->ch = NULL;
	if (i->cpl != NULL)
		i->cpl(i, i->status);
	device_unref(i->dev);
	free(i);
}

static void iter_finish(struct sio_io_channel_iter *i)
{
	if (thread_send_critical(i->orig, iter_done, i) != 0) {
		SIO_ERRLOG("for_each_channel on %s: thread %s exited before completion",
			   i->dev->name, i->orig->name);
		device_unref(i->dev);
		free(i);
	}
}

/* Hands the walk to the first live thread after @prev (NULL: the first). */
static void iter_next(struct sio_io_channel_iter *i, struct sio_thread *prev)
{
	struct sio_thread *t;

	thread_registry_lock();
	t = prev != NULL ? TAILQ_NEXT(prev, link) : TAILQ_FIRST(&g_threads);
	for (; t != NULL; t = TAILQ_NEXT(t, link)) {
		/* Sent under the registry lock so @t cannot be freed meanwhile;
		 * exited threads own no channels and refuse the message. */
		if (thread_send_critical(t, iter_visit, i) == 0) {
			thread_registry_unlock();
			return;
		}
	}
	thread_registry_unlock();
	iter_finish(i);
}

static void iter_visit(void *arg)
{
	struct sio_io_channel_iter *i = arg;
	struct sio_thread *t = sio_thread_get_current();
	struct sio_io_channel *ch = thread_find_channel(t, i->dev);

	i->cur = t;
	if (ch != NULL && ch->ref != 0) {
		i->ch = ch;
		i->fn(i);
		return;
	}
	iter_next(i, t);
}

int sio_for_each_channel(void *io_device, sio_channel_msg fn, void *ctx,
			 sio_channel_for_each_cpl cpl)
{
	struct sio_thread *t = sio_thread_get_current();
	struct sio_io_channel_iter *i;
	struct io_device *d;

	if (io_device == NULL || fn == NULL)
		return -EINVAL;
	if (t == NULL)
		return -EPERM;
	i = calloc(1, sizeof(*i));
	if (i == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&g_devices_lock);
	d = device_find(io_device);
	if (d == NULL || d->unregistering) {
		pthread_mutex_unlock(&g_devices_lock);
		free(i);
		return -ENODEV;
	}
	d->refs++;
	pthread_mutex_unlock(&g_devices_lock);
	i->dev = d;
	i->fn = fn;
	i->cpl = cpl;
	i->ctx = ctx;
	i->orig = t;
	iter_next(i, NULL);
	return 0;
}

void sio_for_each_channel_continue(struct sio_io_channel_iter *i, int status)
{
	struct sio_thread *cur = sio_thread_get_current();

	if (i == NULL)
		return;
	if (i->cur != cur || i->ch == NULL) {
		SIO_ERRLOG("for_each_channel on %s: continue from %s refused (visit is on %s)",
			   i->dev->name, cur != NULL ? cur->name : "a non-sio thread",
			   i->cur != NULL ? i->cur->name : "none");
		return;
	}
	i->ch = NULL;
	if (status != 0) {
		i->status = status;
		iter_finish(i);
		return;
	}
	iter_next(i, cur);
}

struct sio_io_channel *sio_io_channel_iter_get_channel(struct sio_io_channel_iter *i)
{
	return i != NULL ? i->ch : NULL;
}

void *sio_io_channel_iter_get_ctx(struct sio_io_channel_iter *i)
{
	return i != NULL ? i->ctx : NULL;
}

void *sio_io_channel_iter_get_io_device(struct sio_io_channel_iter *i)
{
	return i != NULL ? i->dev->dev : NULL;
}

void sio_thread_foreach_io_channel(struct sio_thread *thread, sio_io_channel_visit_fn fn,
				   void *ctx)
{
	struct sio_io_channel *ch;

	if (thread == NULL || fn == NULL)
		return;
	TAILQ_FOREACH(ch, &thread->channels, link) {
		struct sio_io_channel_stats st = {.name = ch->dev->name, .ref = ch->ref};

		/* A channel whose last put is pending is gone for its users. */
		if (ch->ref > 0)
			fn(&st, ctx);
	}
}
