/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The passthru bdev, written to be read: the smallest complete virtual bdev.
 *
 * Shape of a virtual bdev:
 * - create: open the base (its descriptor belongs to this thread), claim it so
 *   nobody else writes behind our back, describe our bdev from the base's
 *   properties, register an io_device for our per-thread channels, register
 *   the bdev;
 * - I/O: the core hands us a bdev_io on some thread with our channel for that
 *   thread; we forward that same bdev_io to the base through the base channel
 *   held in our channel (sio_bdev_io_forward(): no second bdev_io), and it
 *   completes as ours when the base completes it; a reset, which applies to
 *   the whole base, is submitted to the base as its own;
 * - removal: the base going away arrives as a REMOVE event: we unregister
 *   ourselves; destruct releases everything once our channels are gone.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/passthru/passthru.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"

struct passthru_bdev {
	struct sio_bdev bdev;               /* what the core sees; ctxt points back here */
	char *name;
	char *base_name;
	struct sio_bdev_desc *base_desc;    /* opened on, and closed on, @thread */
	struct sio_thread *thread;
	/*
	 * Our io_device. The core already uses &bdev as the bdev's own
	 * io_device, so ours must live at another address.
	 */
	int io_device;
	TAILQ_ENTRY(passthru_bdev) link;
};

/* All passthru bdevs; touched only on the app thread (create, delete, config). */
static TAILQ_HEAD(, passthru_bdev) g_passthrus = TAILQ_HEAD_INITIALIZER(g_passthrus);

/* Per-thread channel: the base bdev's channel on this thread. */
struct passthru_channel {
	struct sio_io_channel *base_ch;
};

/*
 * Per-I/O context (module io_ctx_size): what a retry after -ENOMEM needs. Ours
 * only until the I/O is forwarded: the base module's while the base has it.
 */
struct passthru_io {
	struct sio_bdev_io_wait_entry wait;
	struct sio_io_channel *ch;
	int status; /* of a completion deferred by message */
};

static void passthru_submit(struct sio_io_channel *ch, struct sio_bdev_io *io);

/* Our io_device is the io_device field; get back to the bdev that holds it. */
#define PT_FROM_IO_DEVICE(p) \
	((struct passthru_bdev *)((char *)(p) - offsetof(struct passthru_bdev, io_device)))

static void passthru_base_done(void *cb_arg, int rc)
{
	/* The base finished the reset: so do we, with its status. */
	sio_bdev_io_complete(cb_arg, rc);
}

static int passthru_forward_done(struct sio_io_channel *ch, struct sio_bdev_io *io, int status)
{
	/* The base finished: so do we, with its status (the core completes io). */
	return status;
}

static void passthru_retry(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct passthru_io *pio = sio_bdev_io_driver_ctx(io);

	passthru_submit(pio->ch, io);
}

/* An error before the base took the I/O: complete it later, never inside submit. */
static void passthru_fail_msg(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct passthru_io *pio = sio_bdev_io_driver_ctx(io);

	sio_bdev_io_complete(io, pio->status);
}

static void passthru_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct passthru_bdev *pt = io->bdev->ctxt;
	struct passthru_channel *pch = sio_io_channel_get_ctx(ch);
	struct passthru_io *pio = sio_bdev_io_driver_ctx(io);
	struct sio_bdev_desc *d = pt->base_desc;
	struct sio_io_channel *bch = pch->base_ch;
	int rc;

	/* Same blocks on the base: the I/O itself goes there (a reset cannot travel). */
	if (io->type == SIO_BDEV_IO_TYPE_RESET)
		rc = sio_bdev_reset(d, bch, passthru_base_done, io);
	else
		rc = sio_bdev_io_forward(io, d, bch, io->offset_blocks, passthru_forward_done);
	if (rc == 0)
		return;
	if (rc == -ENOMEM) {
		/* The base channel's bdev_io cache is empty: retry when one frees up. */
		pio->ch = ch;
		pio->wait.bdev = sio_bdev_desc_get_bdev(d);
		pio->wait.cb_fn = passthru_retry;
		pio->wait.cb_arg = io;
		rc = sio_bdev_queue_io_wait(pio->wait.bdev, bch, &pio->wait);
		if (rc == 0)
			return;
		if (rc == -EAGAIN) {
			passthru_submit(ch, io);
			return;
		}
	}
	/*
	 * The base refused it (-ENODEV while it is being removed, typically):
	 * pass that status up, by message, so the caller sees why.
	 */
	SIO_DEBUGLOG("bdev", "passthru %s: base refused a %s: %d", pt->name,
		     sio_bdev_io_type_name(io->type), rc);
	pio->status = rc;
	if (sio_thread_send_msg(sio_bdev_io_get_thread(io), passthru_fail_msg, io) != 0)
		sio_bdev_io_complete(io, rc);
}

static bool passthru_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct passthru_bdev *pt = ctx;

	return sio_bdev_io_type_supported(sio_bdev_desc_get_bdev(pt->base_desc), type);
}

static int passthru_channel_create(void *io_device, void *ctx_buf)
{
	struct passthru_bdev *pt = PT_FROM_IO_DEVICE(io_device);
	struct passthru_channel *pch = ctx_buf;

	pch->base_ch = sio_bdev_desc_get_io_channel(pt->base_desc);
	return pch->base_ch ? 0 : -errno;
}

static void passthru_channel_destroy(void *io_device, void *ctx_buf)
{
	struct passthru_channel *pch = ctx_buf;

	sio_io_channel_put(pch->base_ch);
}

static struct sio_io_channel *passthru_get_io_channel(void *ctx)
{
	struct passthru_bdev *pt = ctx;

	return sio_io_channel_get(&pt->io_device);
}

static void passthru_free(struct passthru_bdev *pt)
{
	free(pt->name);
	free(pt->base_name);
	free(pt);
}

/* Our channels are all gone: let go of the base, and tell the core we are done. */
static void passthru_io_device_gone(void *io_device)
{
	struct passthru_bdev *pt = PT_FROM_IO_DEVICE(io_device);
	struct sio_bdev *bdev = &pt->bdev;

	sio_bdev_module_release_bdev(sio_bdev_desc_get_bdev(pt->base_desc));
	sio_bdev_close(pt->base_desc);
	passthru_free(pt);
	sio_bdev_destruct_done(bdev, 0);
}

static int passthru_destruct(void *ctx)
{
	struct passthru_bdev *pt = ctx;

	TAILQ_REMOVE(&g_passthrus, pt, link);
	/* Channels are put by deferred messages: wait for them before closing the base. */
	if (sio_io_device_unregister(&pt->io_device, passthru_io_device_gone) != 0) {
		sio_bdev_module_release_bdev(sio_bdev_desc_get_bdev(pt->base_desc));
		sio_bdev_close(pt->base_desc);
		passthru_free(pt);
		return 0;
	}
	return 1;
}

static void passthru_dump_info(void *ctx, json_t *driver_specific)
{
	struct passthru_bdev *pt = ctx;

	json_object_set_new(driver_specific, "passthru",
			    json_pack("{s:s, s:s}", "name", pt->name, "base_bdev_name",
				      pt->base_name));
}

static void passthru_write_config(struct sio_bdev *bdev, json_t *config)
{
	struct passthru_bdev *pt = bdev->ctxt;

	sio_rpc_config_append(config, "bdev_passthru_create",
			      json_pack("{s:s, s:s, s:s}", "name", pt->name, "base_bdev_name",
					pt->base_name, "uuid", sio_bdev_get_uuid(bdev)));
}

static const struct sio_bdev_fn_table passthru_fn_table = {
	.destruct = passthru_destruct,
	.submit_request = passthru_submit,
	.io_type_supported = passthru_io_type_supported,
	.get_io_channel = passthru_get_io_channel,
	.dump_info_json = passthru_dump_info,
	.write_config_json = passthru_write_config,
};

static void passthru_base_event(enum sio_bdev_event_type type, struct sio_bdev *base, void *ctx)
{
	struct passthru_bdev *pt = ctx;

	/* The base is going: go with it. In-flight I/O still completes through it. */
	if (type == SIO_BDEV_EVENT_REMOVE)
		sio_bdev_unregister(&pt->bdev, NULL, NULL);
}

/*
 * A create that failed after registering its io_device: the device goes by
 * message, and until then its address (inside @pt) is still registered, so
 * @pt is freed only here; freed at once, a create right after could get the
 * same memory and fail with -EEXIST.
 */
static void passthru_io_device_gone_unused(void *io_device)
{
	passthru_free(PT_FROM_IO_DEVICE(io_device));
}

_Static_assert(sizeof(struct sio_bdev_passthru_opts) == 32,
	       "struct sio_bdev_passthru_opts changed: update g_passthru_defaults and passthru_opts_copy()");

static const struct sio_bdev_passthru_opts g_passthru_defaults = {
	.opts_size = sizeof(struct sio_bdev_passthru_opts),
};

void sio_bdev_passthru_opts_init(struct sio_bdev_passthru_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_passthru_defaults, sizeof(g_passthru_defaults));
}

/* @user's fields that fit in its opts_size into @o; defaults for the rest. */
static int passthru_opts_copy(struct sio_bdev_passthru_opts *o,
			      const struct sio_bdev_passthru_opts *user)
{
	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_passthru_opts", user->opts_size, sizeof(*o)) != 0)
		return -EINVAL;
	*o = g_passthru_defaults;
	BDEV_MODULE_OPTS_COPY(o, user, name);
	BDEV_MODULE_OPTS_COPY(o, user, base_bdev_name);
	BDEV_MODULE_OPTS_COPY(o, user, uuid);
	return 0;
}

int sio_bdev_passthru_create(const struct sio_bdev_passthru_opts *opts, struct sio_bdev **out)
{
	struct sio_bdev_passthru_opts o;
	const char *name, *base_name, *uuid;
	struct passthru_bdev *pt;
	struct sio_bdev *base;
	int rc;

	if (passthru_opts_copy(&o, opts) != 0)
		return -EINVAL;
	name = o.name;
	base_name = o.base_bdev_name;
	uuid = o.uuid;
	if (name == NULL || base_name == NULL || name[0] == '\0')
		return -EINVAL;
	pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		return -ENOMEM;
	pt->name = strdup(name);
	pt->base_name = strdup(base_name);
	if (pt->name == NULL || pt->base_name == NULL) {
		rc = -ENOMEM;
		goto err_free;
	}
	if (uuid != NULL && sio_bdev_uuid_parse(uuid, pt->bdev.uuid) != 0) {
		rc = -EINVAL;
		goto err_free;
	}
	pt->thread = sio_thread_get_current();
	rc = sio_bdev_open(base_name, true, passthru_base_event, pt, &pt->base_desc);
	if (rc != 0) {
		SIO_ERRLOG("passthru %s: cannot open base bdev %s: %d", name, base_name, rc);
		goto err_free;
	}
	base = sio_bdev_desc_get_bdev(pt->base_desc);
	rc = sio_bdev_module_claim_bdev(base, pt->base_desc, &sio_bdev_module_passthru);
	if (rc != 0)
		goto err_close;

	/* Same geometry and limits as the base: the core splits and bounces for it. */
	pt->bdev.name = pt->name;
	pt->bdev.product_name = "passthru";
	pt->bdev.blocklen = sio_bdev_get_block_size(base);
	pt->bdev.blockcnt = sio_bdev_get_num_blocks(base);
	pt->bdev.buf_align = sio_bdev_get_buf_align(base);
	pt->bdev.optimal_io_boundary = sio_bdev_get_optimal_io_boundary(base);
	pt->bdev.max_transfer_blocks = sio_bdev_get_max_transfer_blocks(base);
	pt->bdev.write_cache = sio_bdev_has_write_cache(base);
	/* Room for the base module's context: forwarded I/O carry it. */
	pt->bdev.io_ctx_size = sio_bdev_get_io_ctx_size(base);
	pt->bdev.ctxt = pt;
	pt->bdev.fn_table = &passthru_fn_table;
	pt->bdev.module = &sio_bdev_module_passthru;

	rc = sio_io_device_register(&pt->io_device, passthru_channel_create,
				    passthru_channel_destroy, sizeof(struct passthru_channel),
				    pt->name);
	if (rc != 0)
		goto err_release;
	rc = sio_bdev_register(&pt->bdev);
	if (rc != 0)
		goto err_unregister;
	TAILQ_INSERT_TAIL(&g_passthrus, pt, link);
	if (out != NULL)
		*out = &pt->bdev;
	return 0;

err_unregister:
	sio_bdev_module_release_bdev(base);
	sio_bdev_close(pt->base_desc);
	sio_io_device_unregister(&pt->io_device, passthru_io_device_gone_unused);
	return rc;
err_release:
	sio_bdev_module_release_bdev(base);
err_close:
	sio_bdev_close(pt->base_desc);
err_free:
	passthru_free(pt);
	return rc;
}

int sio_bdev_passthru_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_passthru, cb, cb_arg);
}

struct sio_bdev_module sio_bdev_module_passthru = {
	.name = "passthru",
	.io_ctx_size = sizeof(struct passthru_io),
};
