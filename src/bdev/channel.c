/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bdev channels: one per bdev per thread. Each holds the module's channel,
 * a preallocated cache of bdev_io objects (the only source of bdev_io: no
 * allocation per I/O), the wait queue of callers that found the cache empty,
 * and the channel's statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"

int bdev_channel_create(void *io_device, void *ctx)
{
	struct sio_bdev *bdev = io_device;
	struct bdev_channel *bch = ctx;
	size_t io_size = bdev->internal->io_size;
	uint32_t count;
	uint8_t *mem;
	bool frozen;

	pthread_mutex_lock(&g_bdev_mutex);
	count = g_bdev_opts.bdev_io_cache_size;
	/* The freeze walk may have passed this thread already: start as it left the others. */
	frozen = bdev->internal->reset_frozen;
	pthread_mutex_unlock(&g_bdev_mutex);

	bch->module_ch = bdev->fn_table->get_io_channel(bdev->ctxt);
	if (bch->module_ch == NULL) {
		SIO_ERRLOG("bdev %s: module %s gave no I/O channel", bdev->name, bdev->module->name);
		return -ENOMEM;
	}
	mem = aligned_alloc(64, count * io_size);
	if (mem == NULL) {
		sio_io_channel_put(bch->module_ch);
		return -ENOMEM;
	}
	memset(mem, 0, count * io_size);
	/* Link back to front so the first get returns the lowest address. */
	for (uint32_t i = count; i-- > 0;) {
		struct sio_bdev_io *io = (struct sio_bdev_io *)(mem + (size_t)i * io_size);

		io->bdev = bdev;
		io->internal.ch = bch;
		io->internal.next = bch->free_list;
		bch->free_list = io;
	}
	bch->io_mem = mem;
	bch->cache_size = count;
	bch->free_count = count;
	bch->submit = bdev->fn_table->submit_request;
	bch->bdev = bdev;
	bch->thread = sio_thread_get_current();
	bch->ch = sio_io_channel_from_ctx(ctx);
	bch->supported_mask = bdev->internal->supported_mask;
	bch->tsc = sio_ticks_are_tsc();
	bch->align_mask = bdev->buf_align > 1 ? bdev->buf_align - 1 : 0;
	bch->max_transfer = bdev->max_transfer_blocks;
	bch->boundary = bdev->split_on_optimal_io_boundary ? bdev->optimal_io_boundary : 0;
	bch->needs_split = bch->max_transfer != 0 || bch->boundary != 0;
	bch->io_size = io_size;
	bdev_stat_init(&bch->stat);
	if (bdev_channel_hist_init(bdev, bch) != 0) {
		sio_io_channel_put(bch->module_ch);
		free(mem);
		return -ENOMEM;
	}
	if (frozen)
		bdev_channel_freeze(bch);
	return 0;
}

void bdev_channel_destroy(void *io_device, void *ctx)
{
	struct sio_bdev *bdev = io_device;
	struct bdev_channel *bch = ctx;

	if (bch->free_count != bch->cache_size) {
		/*
		 * The channel was put with I/O still in flight: the module holds
		 * bdev_io objects we are about to free. Leak the cache rather than
		 * let a late completion write into freed memory.
		 */
		SIO_ERRLOG("bdev %s: channel destroyed with %u I/O in flight; leaking its cache",
			   bdev->name, bch->cache_size - bch->free_count);
		bch->io_mem = NULL;
	}
	if (bch->wait_head != NULL)
		SIO_ERRLOG("bdev %s: channel destroyed with callers still in its wait queue",
			   bdev->name);
	if (bch->cancel_pending)
		SIO_ERRLOG("bdev %s: channel destroyed with cancelled I/O not yet completed",
			   bdev->name);
	pthread_mutex_lock(&g_bdev_mutex);
	bdev_stat_add(&bdev->internal->retired_stat, &bch->stat);
	pthread_mutex_unlock(&g_bdev_mutex);
	bdev_channel_hist_fini(bdev, bch);
	sio_io_channel_put(bch->module_ch);
	free(bch->io_mem);
}

/*
 * Hand freed bdev_io objects to whoever waits for one: split parents first
 * (they hold I/O already and must finish to free it), then the caller wait
 * queue in FIFO order, one entry per free bdev_io. Each waiter present when
 * the kick starts is called at most once: one that queues itself again (its
 * resubmission still found no room) waits for the next kick instead of
 * spinning here.
 */
void bdev_channel_kick(struct bdev_channel *bch)
{
	struct sio_bdev_io_wait_entry *batch, *e;

	if (bch->kicking)
		return;
	bch->kicking = true;
	while (bch->free_list != NULL && bch->retry_head != NULL) {
		struct sio_bdev_io *parent = bch->retry_head;

		bch->retry_head = parent->internal.next;
		if (bch->retry_head == NULL)
			bch->retry_tail = NULL;
		bdev_split_continue(bch, parent);
	}
	batch = bch->wait_head;
	bch->wait_head = bch->wait_tail = NULL;
	while (batch != NULL && bch->free_list != NULL) {
		e = batch;
		batch = e->next;
		e->next = NULL;
		e->cb_fn(e->cb_arg);
	}
	if (batch != NULL) {
		/* Not reached this time: back in front of anything queued meanwhile. */
		for (e = batch; e->next != NULL; e = e->next)
			;
		e->next = bch->wait_head;
		if (bch->wait_head == NULL)
			bch->wait_tail = e;
		bch->wait_head = batch;
	}
	bch->kicking = false;
}

int sio_bdev_queue_io_wait(struct sio_bdev *bdev, struct sio_io_channel *ch,
			   struct sio_bdev_io_wait_entry *entry)
{
	struct bdev_channel *bch;

	if (bdev == NULL || ch == NULL || entry == NULL || entry->cb_fn == NULL ||
	    entry->bdev != bdev)
		return -EINVAL;
	bch = bdev_ch(ch);
	if (bch->bdev != bdev)
		return -EINVAL;
	/*
	 * "Submit again now" only when that can succeed. With the split-parent
	 * cap reached, a free bdev_io does not help a large I/O: queue, and the
	 * parents in flight will wake us when they finish.
	 */
	if (bch->free_list != NULL && bch->retry_head == NULL &&
	    bch->split_parents < bch->cache_size / 2)
		return -EAGAIN;
	entry->next = NULL;
	if (bch->wait_tail != NULL)
		bch->wait_tail->next = entry;
	else
		bch->wait_head = entry;
	bch->wait_tail = entry;
	return 0;
}

int sio_bdev_channel_get_io_stat(struct sio_io_channel *ch, struct sio_bdev_io_stat *stat)
{
	struct bdev_channel *bch;

	if (ch == NULL || stat == NULL)
		return -EINVAL;
	bch = bdev_ch(ch);
	if (bch == NULL || bch->bdev == NULL || sio_io_channel_get_io_device(ch) != bch->bdev)
		return -EINVAL;
	*stat = bch->stat;
	bdev_stat_export(stat);
	return 0;
}

struct sio_thread *sio_bdev_io_get_thread(struct sio_bdev_io *io)
{
	return io ? io->internal.ch->thread : NULL;
}
