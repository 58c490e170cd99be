/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Descriptors: open, close, claims, and getting a channel through a
 * descriptor. A descriptor belongs to the thread that opened it: events are
 * delivered there and it must be closed there.
 */
#include <errno.h>
#include <stdlib.h>

#include "bdev/bdev_internal.h"

int sio_bdev_open(const char *name, bool write, sio_bdev_event_cb event_cb, void *event_ctx,
		  struct sio_bdev_desc **out)
{
	struct sio_thread *thread = sio_thread_get_current();
	struct sio_bdev_desc *desc;
	struct sio_bdev *bdev;

	if (name == NULL || event_cb == NULL || out == NULL)
		return -EINVAL;
	if (thread == NULL)
		return -EPERM;
	desc = calloc(1, sizeof(*desc));
	if (desc == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&g_bdev_mutex);
	bdev = bdev_lookup_locked(name);
	if (bdev == NULL || bdev->internal->state != BDEV_STATE_REGISTERED) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(desc);
		return -ENODEV;
	}
	if (write && bdev->internal->claim_module != NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(desc);
		SIO_ERRLOG("bdev %s is claimed by module %s: cannot open it for writing", bdev->name,
			   bdev->internal->claim_module->name);
		return -EPERM;
	}
	desc->bdev = bdev;
	desc->thread = thread;
	desc->event_cb = event_cb;
	desc->event_ctx = event_ctx;
	desc->write = write;
	if (write)
		bdev->internal->write_opens++;
	TAILQ_INSERT_TAIL(&bdev->internal->descs, desc, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	*out = desc;
	return 0;
}

void sio_bdev_close(struct sio_bdev_desc *desc)
{
	struct sio_bdev *bdev;
	struct bdev_internal *in;
	bool last_for_removal, free_now;

	if (desc == NULL)
		return;
	if (sio_thread_get_current() != desc->thread) {
		SIO_ERRLOG("sio_bdev_close() of a descriptor of bdev %s from a thread that did not "
			   "open it: refused", desc->bdev->name);
		return;
	}
	bdev = desc->bdev;
	in = bdev->internal;
	pthread_mutex_lock(&g_bdev_mutex);
	if (desc->closed) {
		pthread_mutex_unlock(&g_bdev_mutex);
		SIO_ERRLOG("descriptor of bdev %s closed twice", bdev->name);
		return;
	}
	TAILQ_REMOVE(&in->descs, desc, link);
	if (desc->write)
		in->write_opens--;
	if (in->claim_module != NULL && desc->write && in->write_opens == 0)
		in->claim_module = NULL; /* the claimer's descriptor went away */
	last_for_removal = in->state == BDEV_STATE_REMOVING && TAILQ_EMPTY(&in->descs);
	desc->closed = true;
	free_now = desc->pending_events == 0;
	pthread_mutex_unlock(&g_bdev_mutex);
	if (free_now)
		free(desc);
	if (last_for_removal &&
	    sio_thread_send_msg(in->unregister_thread,
				bdev_unregister_continue, bdev) != 0)
		SIO_ERRLOG("bdev %s: cannot resume its unregistration", bdev->name);
}

struct sio_bdev *sio_bdev_desc_get_bdev(struct sio_bdev_desc *desc)
{
	return desc ? desc->bdev : NULL;
}

bool sio_bdev_desc_is_writable(const struct sio_bdev_desc *desc)
{
	return desc ? desc->write : false;
}

struct sio_io_channel *sio_bdev_desc_get_io_channel(struct sio_bdev_desc *desc)
{
	if (desc == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (__atomic_load_n(&desc->removed, __ATOMIC_RELAXED)) {
		errno = ENODEV;
		return NULL;
	}
	return sio_io_channel_get(desc->bdev);
}

int sio_bdev_module_claim_bdev(struct sio_bdev *bdev, struct sio_bdev_desc *desc,
			       struct sio_bdev_module *module)
{
	struct bdev_internal *in;

	if (bdev == NULL || desc == NULL || module == NULL || desc->bdev != bdev)
		return -EINVAL;
	in = bdev->internal;
	pthread_mutex_lock(&g_bdev_mutex);
	if (in->claim_module != NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		SIO_ERRLOG("bdev %s already claimed by module %s", bdev->name,
			   in->claim_module->name);
		return -EPERM;
	}
	if (in->write_opens > (desc->write ? 1u : 0u)) {
		pthread_mutex_unlock(&g_bdev_mutex);
		SIO_ERRLOG("bdev %s is open for writing elsewhere: cannot claim it", bdev->name);
		return -EPERM;
	}
	if (!desc->write) {
		desc->write = true;
		in->write_opens++;
	}
	in->claim_module = module;
	pthread_mutex_unlock(&g_bdev_mutex);
	return 0;
}

void sio_bdev_module_release_bdev(struct sio_bdev *bdev)
{
	if (bdev == NULL || bdev->internal == NULL)
		return;
	pthread_mutex_lock(&g_bdev_mutex);
	bdev->internal->claim_module = NULL;
	pthread_mutex_unlock(&g_bdev_mutex);
}
