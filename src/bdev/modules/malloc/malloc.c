/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The malloc bdev. submit_request() queues the I/O on a per-thread FIFO
 * (prefetching a read's source); the channel's poller (bdev_fifo.h) does the
 * copies in submission order and completes each, so callbacks never run
 * inside a submit call and overlapping I/Os apply in the order they were
 * submitted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/modules/common/bdev_fifo.h"
#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/malloc/malloc.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"

struct malloc_bdev {
	struct sio_bdev bdev;
	uint8_t *data;
	char *name;
	uint32_t optimal_io_boundary;
};

static int malloc_execute(struct sio_bdev_io *io)
{
	struct malloc_bdev *mb = io->bdev->ctxt;
	uint64_t off = io->offset_blocks * mb->bdev.blocklen;
	size_t len = io->num_blocks * mb->bdev.blocklen;

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
		if (io->iovcnt == 1)
			memcpy(io->iovs[0].iov_base, mb->data + off, len);
		else
			sio_iovs_from_buf(io->iovs, io->iovcnt, mb->data + off, len);
		return 0;
	case SIO_BDEV_IO_TYPE_WRITE:
		if (io->iovcnt == 1)
			memcpy(mb->data + off, io->iovs[0].iov_base, len);
		else
			sio_iovs_to_buf(io->iovs, io->iovcnt, mb->data + off, len);
		return 0;
	case SIO_BDEV_IO_TYPE_COMPARE:
		return sio_iovs_cmp_buf(io->iovs, io->iovcnt, mb->data + off, len) ? -EILSEQ : 0;
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		memset(mb->data + off, 0, len);
		return 0;
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return 0;
	default:
		return -ENOTSUP;
	}
}

static int malloc_poll(void *ctx)
{
	return bdev_fifo_run(ctx, malloc_execute);
}

static struct bdev_fifo_device g_malloc_fifo = {.name = "bdev_malloc", .poll = malloc_poll};

/*
 * Bytes of a read's source to prefetch at submission. The copy itself runs
 * at the next poll, after the other submissions of this turn: by then the
 * start of each source is on its way from memory and the hardware
 * prefetcher streams the rest, so copies overlap their misses instead of
 * each one waiting for DRAM in turn (measured in docs/bdev.md).
 */
#define MALLOC_PREFETCH_BYTES 1024

static void malloc_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	if (io->type == SIO_BDEV_IO_TYPE_READ) {
		struct malloc_bdev *mb = io->bdev->ctxt;
		const uint8_t *src = mb->data + io->offset_blocks * mb->bdev.blocklen;
		size_t len = io->num_blocks * mb->bdev.blocklen;

		if (len > MALLOC_PREFETCH_BYTES)
			len = MALLOC_PREFETCH_BYTES;
		for (size_t at = 0; at < len; at += 64)
			__builtin_prefetch(src + at);
	}
	bdev_fifo_push(ch, io);
}

static bool malloc_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
	case SIO_BDEV_IO_TYPE_COMPARE:
		return true;
	default:
		return false;
	}
}

static struct sio_io_channel *malloc_get_io_channel(void *ctx)
{
	return sio_io_channel_get(&g_malloc_fifo);
}

static int malloc_destruct(void *ctx)
{
	struct malloc_bdev *mb = ctx;

	sio_dma_free(mb->data);
	free(mb->name);
	free(mb);
	return 0;
}

static void malloc_write_config(struct sio_bdev *bdev, json_t *config)
{
	struct malloc_bdev *mb = bdev->ctxt;
	json_t *p = json_pack("{s:s, s:I, s:i, s:s}", "name", bdev->name, "num_blocks",
			      (json_int_t)bdev->blockcnt, "block_size", (int)bdev->blocklen, "uuid",
			      sio_bdev_get_uuid(bdev));

	if (p == NULL)
		return;
	if (mb->optimal_io_boundary != 0)
		json_object_set_new(p, "optimal_io_boundary",
				    json_integer(mb->optimal_io_boundary));
	sio_rpc_config_append(config, "bdev_malloc_create", p);
}

static const struct sio_bdev_fn_table malloc_fn_table = {
	.destruct = malloc_destruct,
	.submit_request = malloc_submit,
	.io_type_supported = malloc_io_type_supported,
	.get_io_channel = malloc_get_io_channel,
	.write_config_json = malloc_write_config,
};

_Static_assert(sizeof(struct sio_bdev_malloc_opts) == 56,
	       "struct sio_bdev_malloc_opts changed: update g_malloc_defaults and malloc_opts_copy()");

static const struct sio_bdev_malloc_opts g_malloc_defaults = {
	.opts_size = sizeof(struct sio_bdev_malloc_opts),
	.block_size = 512,
};

void sio_bdev_malloc_opts_init(struct sio_bdev_malloc_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_malloc_defaults, sizeof(g_malloc_defaults));
}

/* @user's fields that fit in its opts_size into @o; defaults for the rest. */
static int malloc_opts_copy(struct sio_bdev_malloc_opts *o, const struct sio_bdev_malloc_opts *user)
{
	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_malloc_opts", user->opts_size, sizeof(*o)) != 0)
		return -EINVAL;
	*o = g_malloc_defaults;
	BDEV_MODULE_OPTS_COPY(o, user, name);
	BDEV_MODULE_OPTS_COPY(o, user, uuid);
	BDEV_MODULE_OPTS_COPY(o, user, block_size);
	BDEV_MODULE_OPTS_COPY(o, user, num_blocks);
	BDEV_MODULE_OPTS_COPY(o, user, optimal_io_boundary);
	BDEV_MODULE_OPTS_COPY(o, user, max_transfer_blocks);
	BDEV_MODULE_OPTS_COPY(o, user, buf_align);
	return 0;
}

static char *malloc_default_name(void)
{
	char buf[32];

	for (unsigned int i = 0;; i++) {
		snprintf(buf, sizeof(buf), "Malloc%u", i);
		if (sio_bdev_get_by_name(buf) == NULL)
			return strdup(buf);
	}
}

int sio_bdev_malloc_create(const struct sio_bdev_malloc_opts *user_opts, struct sio_bdev **out)
{
	struct sio_bdev_malloc_opts copy;
	const struct sio_bdev_malloc_opts *opts = &copy;
	struct malloc_bdev *mb;
	int rc = -EINVAL;

	if (malloc_opts_copy(&copy, user_opts) != 0)
		return -EINVAL;
	if (opts->block_size == 0 || opts->block_size % 512 != 0 || opts->num_blocks == 0 ||
	    opts->num_blocks > SIZE_MAX / opts->block_size) {
		SIO_ERRLOG("malloc bdev: block_size must be a multiple of 512 and num_blocks > 0");
		return -EINVAL;
	}
	if (opts->buf_align > 1 && (opts->buf_align & (opts->buf_align - 1)) != 0)
		return -EINVAL;
	mb = calloc(1, sizeof(*mb));
	if (mb == NULL)
		return -ENOMEM;
	mb->name = opts->name ? strdup(opts->name) : malloc_default_name();
	if (mb->name == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	if (opts->uuid != NULL && sio_bdev_uuid_parse(opts->uuid, mb->bdev.uuid) != 0) {
		SIO_ERRLOG("malloc bdev %s: bad uuid '%s'", mb->name, opts->uuid);
		goto err;
	}
	mb->data = sio_dma_zmalloc((size_t)opts->num_blocks * opts->block_size, 4096);
	if (mb->data == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	mb->optimal_io_boundary = opts->optimal_io_boundary;
	mb->bdev.name = mb->name;
	mb->bdev.product_name = "Malloc disk";
	mb->bdev.blocklen = opts->block_size;
	mb->bdev.blockcnt = opts->num_blocks;
	mb->bdev.optimal_io_boundary = opts->optimal_io_boundary;
	mb->bdev.split_on_optimal_io_boundary = opts->optimal_io_boundary != 0;
	mb->bdev.max_transfer_blocks = opts->max_transfer_blocks;
	mb->bdev.buf_align = opts->buf_align;
	mb->bdev.ctxt = mb;
	mb->bdev.fn_table = &malloc_fn_table;
	mb->bdev.module = &sio_bdev_module_malloc;
	rc = sio_bdev_register(&mb->bdev);
	if (rc != 0)
		goto err;
	if (out != NULL)
		*out = &mb->bdev;
	return 0;
err:
	sio_dma_free(mb->data);
	free(mb->name);
	free(mb);
	return rc;
}

int sio_bdev_malloc_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_malloc, cb, cb_arg);
}

static int malloc_module_init(void)
{
	return bdev_fifo_device_register(&g_malloc_fifo);
}

static void malloc_module_fini(void)
{
	bdev_fifo_device_unregister(&g_malloc_fifo);
}

struct sio_bdev_module sio_bdev_module_malloc = {
	.name = "malloc",
	.module_init = malloc_module_init,
	.module_fini = malloc_module_fini,
};
