/* SPDX-License-Identifier: BSD-3-Clause */
/* Channels of a bdev_fifo_device (see bdev_fifo.h). */
#include "bdev/modules/common/bdev_fifo.h"

#include <errno.h>

static int fifo_channel_create(void *io_device, void *ctx_buf)
{
	struct bdev_fifo_device *dev = io_device;
	struct bdev_fifo_channel *fch = ctx_buf;

	fch->poller = sio_poller_register_named(dev->name, dev->poll, fch, 0);
	if (fch->poller == NULL)
		return -errno;
	/* Nothing queued yet: sleep until the first push. */
	bdev_fifo_pause(fch);
	return 0;
}

/*
 * Both run on the channel's thread: push from submit_request(), pause from
 * the poller. The flag is set before the poller is touched; from inside the
 * poller's own callback the thread layer applies the pause once the callback
 * returns, and a resume in between (a later push in the same callback)
 * cancels it, so the flag and the poller agree at every poll.
 */
void bdev_fifo_pause(struct bdev_fifo_channel *fch)
{
	fch->paused = true;
	sio_poller_pause(fch->poller);
}

void bdev_fifo_resume(struct bdev_fifo_channel *fch)
{
	fch->paused = false;
	sio_poller_resume(fch->poller);
}

static void fifo_channel_destroy(void *io_device, void *ctx_buf)
{
	struct bdev_fifo_channel *fch = ctx_buf;

	sio_poller_unregister(&fch->poller);
}

int bdev_fifo_device_register(struct bdev_fifo_device *dev)
{
	return sio_io_device_register(dev, fifo_channel_create, fifo_channel_destroy,
				      sizeof(struct bdev_fifo_channel), dev->name);
}

void bdev_fifo_device_unregister(struct bdev_fifo_device *dev)
{
	sio_io_device_unregister(dev, NULL);
}
