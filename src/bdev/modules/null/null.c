/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The null bdev, with SPDK's semantics: a device that stores nothing. Writes
 * (and unmap, write_zeroes, flush) are discarded; a read completes without
 * touching the caller's buffer, so it holds whatever it held (zeroes for a
 * freshly allocated zeroed DMA buffer). That is what makes it a measure of
 * the stack above it: filling 4 KiB per read would cost more than the rest of
 * the I/O path.
 *
 * Every channel of the module (one per thread, shared by all null bdevs) is a
 * bdev_fifo: submit_request() queues the I/O, and the channel's poller
 * completes it (see bdev_fifo.h for why not at once).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/modules/common/bdev_fifo.h"
#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/null/null.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"

struct null_bdev {
	struct sio_bdev bdev;
	char *name;
};

/* Nothing to do for any type: every I/O succeeds and moves no data. */
static int null_execute(struct sio_bdev_io *io)
{
	return 0;
}

static int null_poll(void *ctx)
{
	return bdev_fifo_run(ctx, null_execute);
}

static struct bdev_fifo_device g_null_fifo = {.name = "bdev_null", .poll = null_poll};

static void null_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	bdev_fifo_push(ch, io);
}

static bool null_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return true;
	default:
		return false;
	}
}

static struct sio_io_channel *null_get_io_channel(void *ctx)
{
	return sio_io_channel_get(&g_null_fifo);
}

static int null_destruct(void *ctx)
{
	struct null_bdev *nb = ctx;

	free(nb->name);
	free(nb);
	return 0;
}

static void null_write_config(struct sio_bdev *bdev, json_t *config)
{
	json_t *p = json_pack("{s:s, s:I, s:i, s:s}", "name", bdev->name, "num_blocks",
			      (json_int_t)bdev->blockcnt, "block_size", (int)bdev->blocklen, "uuid",
			      sio_bdev_get_uuid(bdev));

	if (p != NULL)
		sio_rpc_config_append(config, "bdev_null_create", p);
}

static const struct sio_bdev_fn_table null_fn_table = {
	.destruct = null_destruct,
	.submit_request = null_submit,
	.io_type_supported = null_io_type_supported,
	.get_io_channel = null_get_io_channel,
	.write_config_json = null_write_config,
};

_Static_assert(sizeof(struct sio_bdev_null_opts) == 40,
	       "struct sio_bdev_null_opts changed: update g_null_defaults and null_opts_copy()");

static const struct sio_bdev_null_opts g_null_defaults = {
	.opts_size = sizeof(struct sio_bdev_null_opts),
	.block_size = 512,
};

void sio_bdev_null_opts_init(struct sio_bdev_null_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_null_defaults, sizeof(g_null_defaults));
}

/* @user's fields that fit in its opts_size into @o; defaults for the rest. */
static int null_opts_copy(struct sio_bdev_null_opts *o, const struct sio_bdev_null_opts *user)
{
	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_null_opts", user->opts_size, sizeof(*o)) != 0)
		return -EINVAL;
	*o = g_null_defaults;
	BDEV_MODULE_OPTS_COPY(o, user, name);
	BDEV_MODULE_OPTS_COPY(o, user, uuid);
	BDEV_MODULE_OPTS_COPY(o, user, block_size);
	BDEV_MODULE_OPTS_COPY(o, user, num_blocks);
	return 0;
}

int sio_bdev_null_create(const struct sio_bdev_null_opts *user_opts, struct sio_bdev **out)
{
	struct sio_bdev_null_opts copy;
	const struct sio_bdev_null_opts *opts = &copy;
	struct null_bdev *nb;
	int rc;

	if (null_opts_copy(&copy, user_opts) != 0)
		return -EINVAL;
	if (opts->name == NULL || opts->name[0] == '\0')
		return -EINVAL;
	if (opts->block_size == 0 || opts->block_size % 512 != 0 || opts->num_blocks == 0) {
		SIO_ERRLOG("null bdev %s: block_size must be a multiple of 512 and num_blocks > 0",
			   opts->name);
		return -EINVAL;
	}
	nb = calloc(1, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	nb->name = strdup(opts->name);
	if (nb->name == NULL) {
		free(nb);
		return -ENOMEM;
	}
	if (opts->uuid != NULL && sio_bdev_uuid_parse(opts->uuid, nb->bdev.uuid) != 0) {
		SIO_ERRLOG("null bdev %s: bad uuid '%s'", opts->name, opts->uuid);
		rc = -EINVAL;
		goto err;
	}
	nb->bdev.name = nb->name;
	nb->bdev.product_name = "Null disk";
	nb->bdev.blocklen = opts->block_size;
	nb->bdev.blockcnt = opts->num_blocks;
	nb->bdev.ctxt = nb;
	nb->bdev.fn_table = &null_fn_table;
	nb->bdev.module = &sio_bdev_module_null;
	rc = sio_bdev_register(&nb->bdev);
	if (rc != 0)
		goto err;
	if (out != NULL)
		*out = &nb->bdev;
	return 0;
err:
	free(nb->name);
	free(nb);
	return rc;
}

int sio_bdev_null_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_null, cb, cb_arg);
}

static int null_module_init(void)
{
	return bdev_fifo_device_register(&g_null_fifo);
}

static void null_module_fini(void)
{
	bdev_fifo_device_unregister(&g_null_fifo);
}

struct sio_bdev_module sio_bdev_module_null = {
	.name = "null",
	.module_init = null_module_init,
	.module_fini = null_module_fini,
};
