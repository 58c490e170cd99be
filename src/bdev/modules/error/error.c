/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The error bdev: a passthru with a switch per I/O type. An injection is a
 * per-type budget of I/O to hit; I/O threads take from it with an atomic
 * decrement (this is a test device: correctness over speed). Otherwise it is
 * shaped exactly like the passthru module.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/error/error.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"

struct error_rule {
	uint32_t type;      /* enum sio_bdev_error_type; 0 = disarmed */
	uint32_t remaining; /* atomically decremented */
	uint64_t corrupt_offset;
	uint8_t corrupt_value;
};

struct error_bdev {
	struct sio_bdev bdev;
	char *name;
	char *base_name;
	struct sio_bdev_desc *base_desc;
	int io_device;
	struct error_rule rules[SIO_BDEV_IO_TYPE_COUNT];
	TAILQ_ENTRY(error_bdev) link;
};

static TAILQ_HEAD(, error_bdev) g_error_bdevs = TAILQ_HEAD_INITIALIZER(g_error_bdevs);
static pthread_mutex_t g_error_mutex = PTHREAD_MUTEX_INITIALIZER;

#define EB_FROM_IO_DEVICE(p) ((struct error_bdev *)((char *)(p) - offsetof(struct error_bdev, io_device)))

struct error_channel {
	struct sio_io_channel *base_ch;
	/* I/O held by PENDING injections, released by a reset. */
	TAILQ_HEAD(, error_io) pending;
};

struct error_io {
	struct sio_bdev_io_wait_entry wait;
	struct sio_io_channel *ch;
	uint32_t corrupt;          /* corrupt a read's data after it completes */
	uint64_t corrupt_offset;
	uint8_t corrupt_value;
	int status;                /* for a completion deferred by message */
	TAILQ_ENTRY(error_io) link;
};

static void error_submit(struct sio_io_channel *ch, struct sio_bdev_io *io);

static void corrupt_iovs(struct sio_bdev_io *io, uint64_t offset, uint8_t value)
{
	for (int i = 0; i < io->iovcnt; i++) {
		if (offset < io->iovs[i].iov_len) {
			((uint8_t *)io->iovs[i].iov_base)[offset] ^= value ? value : 0xff;
			return;
		}
		offset -= io->iovs[i].iov_len;
	}
}

/* Take one hit from the rule of @type; return the error type to apply (0 = none). */
static uint32_t error_take(struct error_bdev *eb, enum sio_bdev_io_type type,
			   struct error_rule *out)
{
	struct error_rule *r = &eb->rules[type];
	uint32_t left = __atomic_load_n(&r->remaining, __ATOMIC_ACQUIRE);

	while (left > 0) {
		if (__atomic_compare_exchange_n(&r->remaining, &left, left - 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			pthread_mutex_lock(&g_error_mutex);
			*out = *r;
			pthread_mutex_unlock(&g_error_mutex);
			return out->type;
		}
	}
	return 0;
}

static void error_base_done(void *cb_arg, int rc)
{
	struct sio_bdev_io *io = cb_arg;
	struct error_io *eio = sio_bdev_io_driver_ctx(io);

	if (rc == 0 && eio->corrupt)
		corrupt_iovs(io, eio->corrupt_offset, eio->corrupt_value);
	sio_bdev_io_complete(io, rc);
}

static void error_fail_msg(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct error_io *eio = sio_bdev_io_driver_ctx(io);

	sio_bdev_io_complete(io, eio->status);
}

/* Complete @io with @rc by message: never inside submit_request(). */
static void error_fail_later(struct sio_bdev_io *io, int rc)
{
	struct error_io *eio = sio_bdev_io_driver_ctx(io);

	eio->status = rc;
	if (sio_thread_send_msg(sio_bdev_io_get_thread(io), error_fail_msg, io) != 0)
		sio_bdev_io_complete(io, rc);
}

static void error_retry(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct error_io *eio = sio_bdev_io_driver_ctx(io);

	error_submit(eio->ch, io);
}

static void error_release_pending(struct error_channel *ech)
{
	struct error_io *eio;

	while ((eio = TAILQ_FIRST(&ech->pending)) != NULL) {
		TAILQ_REMOVE(&ech->pending, eio, link);
		error_fail_later(sio_bdev_io_from_driver_ctx(eio), -ECANCELED);
	}
}

static void error_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct error_bdev *eb = io->bdev->ctxt;
	struct error_channel *ech = sio_io_channel_get_ctx(ch);
	struct error_io *eio = sio_bdev_io_driver_ctx(io);
	struct sio_bdev_desc *d = eb->base_desc;
	struct sio_io_channel *bch = ech->base_ch;
	struct error_rule rule;
	int rc;

	eio->corrupt = 0;
	switch (error_take(eb, io->type, &rule)) {
	case SIO_BDEV_ERROR_FAILURE:
	case SIO_BDEV_ERROR_NVME_FAILURE:
		error_fail_later(io, -EIO);
		return;
	case SIO_BDEV_ERROR_NOMEM:
		error_fail_later(io, -ENOMEM);
		return;
	case SIO_BDEV_ERROR_PENDING:
		TAILQ_INSERT_TAIL(&ech->pending, eio, link);
		return;
	case SIO_BDEV_ERROR_CORRUPT_DATA:
		if (io->type == SIO_BDEV_IO_TYPE_WRITE) {
			corrupt_iovs(io, rule.corrupt_offset, rule.corrupt_value);
		} else {
			eio->corrupt = 1;
			eio->corrupt_offset = rule.corrupt_offset;
			eio->corrupt_value = rule.corrupt_value;
		}
		break;
	default:
		break;
	}

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
		rc = sio_bdev_readv_blocks(d, bch, io->iovs, io->iovcnt, io->offset_blocks,
					   io->num_blocks, error_base_done, io);
		break;
	case SIO_BDEV_IO_TYPE_WRITE:
		rc = sio_bdev_writev_blocks(d, bch, io->iovs, io->iovcnt, io->offset_blocks,
					    io->num_blocks, error_base_done, io);
		break;
	case SIO_BDEV_IO_TYPE_COMPARE:
		rc = sio_bdev_comparev_blocks(d, bch, io->iovs, io->iovcnt, io->offset_blocks,
					      io->num_blocks, error_base_done, io);
		break;
	case SIO_BDEV_IO_TYPE_UNMAP:
		rc = sio_bdev_unmap_blocks(d, bch, io->offset_blocks, io->num_blocks,
					   error_base_done, io);
		break;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		rc = sio_bdev_write_zeroes_blocks(d, bch, io->offset_blocks, io->num_blocks,
						  error_base_done, io);
		break;
	case SIO_BDEV_IO_TYPE_FLUSH:
		rc = sio_bdev_flush_blocks(d, bch, io->offset_blocks, io->num_blocks,
					   error_base_done, io);
		break;
	case SIO_BDEV_IO_TYPE_RESET:
		/* A reset aborts what PENDING injections hold on this channel. */
		error_release_pending(ech);
		rc = sio_bdev_reset(d, bch, error_base_done, io);
		break;
	default:
		rc = -ENOTSUP;
		break;
	}
	if (rc == -ENOMEM) {
		eio->ch = ch;
		eio->wait.bdev = sio_bdev_desc_get_bdev(d);
		eio->wait.cb_fn = error_retry;
		eio->wait.cb_arg = io;
		rc = sio_bdev_queue_io_wait(eio->wait.bdev, bch, &eio->wait);
		if (rc == -EAGAIN) {
			error_submit(ch, io);
			return;
		}
	}
	if (rc != 0)
		error_fail_later(io, rc);
}

static bool error_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct error_bdev *eb = ctx;

	return sio_bdev_io_type_supported(sio_bdev_desc_get_bdev(eb->base_desc), type);
}

static int error_channel_create(void *io_device, void *ctx_buf)
{
	struct error_bdev *eb = EB_FROM_IO_DEVICE(io_device);
	struct error_channel *ech = ctx_buf;

	TAILQ_INIT(&ech->pending);
	ech->base_ch = sio_bdev_desc_get_io_channel(eb->base_desc);
	return ech->base_ch ? 0 : -errno;
}

static void error_channel_destroy(void *io_device, void *ctx_buf)
{
	struct error_channel *ech = ctx_buf;

	sio_io_channel_put(ech->base_ch);
}

static struct sio_io_channel *error_get_io_channel(void *ctx)
{
	struct error_bdev *eb = ctx;

	return sio_io_channel_get(&eb->io_device);
}

static void error_free(struct error_bdev *eb)
{
	free(eb->name);
	free(eb->base_name);
	free(eb);
}

static void error_io_device_gone(void *io_device)
{
	struct error_bdev *eb = EB_FROM_IO_DEVICE(io_device);
	struct sio_bdev *bdev = &eb->bdev;

	sio_bdev_module_release_bdev(sio_bdev_desc_get_bdev(eb->base_desc));
	sio_bdev_close(eb->base_desc);
	error_free(eb);
	sio_bdev_destruct_done(bdev, 0);
}

static int error_destruct(void *ctx)
{
	struct error_bdev *eb = ctx;

	pthread_mutex_lock(&g_error_mutex);
	TAILQ_REMOVE(&g_error_bdevs, eb, link);
	pthread_mutex_unlock(&g_error_mutex);
	if (sio_io_device_unregister(&eb->io_device, error_io_device_gone) != 0) {
		sio_bdev_module_release_bdev(sio_bdev_desc_get_bdev(eb->base_desc));
		sio_bdev_close(eb->base_desc);
		error_free(eb);
		return 0;
	}
	return 1;
}

static void error_write_config(struct sio_bdev *bdev, json_t *config)
{
	struct error_bdev *eb = bdev->ctxt;

	sio_rpc_config_append(config, "bdev_error_create",
			      json_pack("{s:s, s:s}", "base_name", eb->base_name, "uuid",
					sio_bdev_get_uuid(bdev)));
}

static void error_dump_info(void *ctx, json_t *driver_specific)
{
	struct error_bdev *eb = ctx;

	json_object_set_new(driver_specific, "error_disk",
			    json_pack("{s:s}", "base_bdev", eb->base_name));
}

static const struct sio_bdev_fn_table error_fn_table = {
	.destruct = error_destruct,
	.submit_request = error_submit,
	.io_type_supported = error_io_type_supported,
	.get_io_channel = error_get_io_channel,
	.dump_info_json = error_dump_info,
	.write_config_json = error_write_config,
};

static void error_base_event(enum sio_bdev_event_type type, struct sio_bdev *base, void *ctx)
{
	struct error_bdev *eb = ctx;

	if (type == SIO_BDEV_EVENT_REMOVE)
		sio_bdev_unregister(&eb->bdev, NULL, NULL);
}

/*
 * A create that failed after registering its io_device: the device goes by
 * message, and until then its address (inside @eb) is still registered, so
 * @eb is freed only here; freed at once, a create right after could get the
 * same memory and fail with -EEXIST.
 */
static void error_io_device_gone_unused(void *io_device)
{
	error_free(EB_FROM_IO_DEVICE(io_device));
}

_Static_assert(sizeof(struct sio_bdev_error_opts) == 24,
	       "struct sio_bdev_error_opts changed: update g_error_defaults and error_opts_copy()");
_Static_assert(sizeof(struct sio_bdev_error_inject_opts) == 40,
	       "struct sio_bdev_error_inject_opts changed: update g_inject_defaults and inject_opts_copy()");

static const struct sio_bdev_error_opts g_error_defaults = {
	.opts_size = sizeof(struct sio_bdev_error_opts),
};

static const struct sio_bdev_error_inject_opts g_inject_defaults = {
	.opts_size = sizeof(struct sio_bdev_error_inject_opts),
	.error_type = SIO_BDEV_ERROR_FAILURE,
	.num = 1,
};

void sio_bdev_error_opts_init(struct sio_bdev_error_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_error_defaults, sizeof(g_error_defaults));
}

void sio_bdev_error_inject_opts_init(struct sio_bdev_error_inject_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_inject_defaults, sizeof(g_inject_defaults));
}

/* @user's fields that fit in its opts_size into @o; defaults for the rest. */
static int error_opts_copy(struct sio_bdev_error_opts *o, const struct sio_bdev_error_opts *user)
{
	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_error_opts", user->opts_size, sizeof(*o)) != 0)
		return -EINVAL;
	*o = g_error_defaults;
	BDEV_MODULE_OPTS_COPY(o, user, base_name);
	BDEV_MODULE_OPTS_COPY(o, user, uuid);
	return 0;
}

static int inject_opts_copy(struct sio_bdev_error_inject_opts *o,
			    const struct sio_bdev_error_inject_opts *user)
{
	if (user == NULL || bdev_module_opts_check("sio_bdev_error_inject_opts", user->opts_size,
						   sizeof(*o)) != 0)
		return -EINVAL;
	*o = g_inject_defaults;
	BDEV_MODULE_OPTS_COPY(o, user, io_type_mask);
	BDEV_MODULE_OPTS_COPY(o, user, error_type);
	BDEV_MODULE_OPTS_COPY(o, user, num);
	BDEV_MODULE_OPTS_COPY(o, user, corrupt_offset);
	BDEV_MODULE_OPTS_COPY(o, user, corrupt_value);
	return 0;
}

int sio_bdev_error_create(const struct sio_bdev_error_opts *opts, struct sio_bdev **out)
{
	struct sio_bdev_error_opts o;
	const char *base_name, *uuid;
	struct error_bdev *eb;
	struct sio_bdev *base;
	int rc;

	if (error_opts_copy(&o, opts) != 0)
		return -EINVAL;
	base_name = o.base_name;
	uuid = o.uuid;
	if (base_name == NULL || base_name[0] == '\0')
		return -EINVAL;
	eb = calloc(1, sizeof(*eb));
	if (eb == NULL)
		return -ENOMEM;
	eb->base_name = strdup(base_name);
	if (eb->base_name == NULL || asprintf(&eb->name, "EE_%s", base_name) < 0) {
		eb->name = NULL;
		rc = -ENOMEM;
		goto err_free;
	}
	if (uuid != NULL && sio_bdev_uuid_parse(uuid, eb->bdev.uuid) != 0) {
		rc = -EINVAL;
		goto err_free;
	}
	rc = sio_bdev_open(base_name, true, error_base_event, eb, &eb->base_desc);
	if (rc != 0)
		goto err_free;
	base = sio_bdev_desc_get_bdev(eb->base_desc);
	rc = sio_bdev_module_claim_bdev(base, eb->base_desc, &sio_bdev_module_error);
	if (rc != 0)
		goto err_close;
	eb->bdev.name = eb->name;
	eb->bdev.product_name = "Error Injection Disk";
	eb->bdev.blocklen = sio_bdev_get_block_size(base);
	eb->bdev.blockcnt = sio_bdev_get_num_blocks(base);
	eb->bdev.buf_align = sio_bdev_get_buf_align(base);
	eb->bdev.optimal_io_boundary = sio_bdev_get_optimal_io_boundary(base);
	eb->bdev.max_transfer_blocks = sio_bdev_get_max_transfer_blocks(base);
	eb->bdev.write_cache = sio_bdev_has_write_cache(base);
	eb->bdev.ctxt = eb;
	eb->bdev.fn_table = &error_fn_table;
	eb->bdev.module = &sio_bdev_module_error;
	rc = sio_io_device_register(&eb->io_device, error_channel_create, error_channel_destroy,
				    sizeof(struct error_channel), eb->name);
	if (rc != 0)
		goto err_release;
	rc = sio_bdev_register(&eb->bdev);
	if (rc != 0)
		goto err_unregister;
	pthread_mutex_lock(&g_error_mutex);
	TAILQ_INSERT_TAIL(&g_error_bdevs, eb, link);
	pthread_mutex_unlock(&g_error_mutex);
	if (out != NULL)
		*out = &eb->bdev;
	return 0;

err_unregister:
	sio_bdev_module_release_bdev(base);
	sio_bdev_close(eb->base_desc);
	sio_io_device_unregister(&eb->io_device, error_io_device_gone_unused);
	return rc;
err_release:
	sio_bdev_module_release_bdev(base);
err_close:
	sio_bdev_close(eb->base_desc);
err_free:
	error_free(eb);
	return rc;
}

int sio_bdev_error_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_error, cb, cb_arg);
}

int sio_bdev_error_inject(const char *name, const struct sio_bdev_error_inject_opts *opts)
{
	struct sio_bdev_error_inject_opts o;
	const struct sio_bdev_error_inject_opts *inj = &o;
	struct error_bdev *eb;

	if (name == NULL || inject_opts_copy(&o, opts) != 0)
		return -EINVAL;
	if (inj->io_type_mask != 0 &&
	    (inj->error_type < SIO_BDEV_ERROR_FAILURE || inj->error_type > SIO_BDEV_ERROR_NVME_FAILURE))
		return -EINVAL;
	pthread_mutex_lock(&g_error_mutex);
	TAILQ_FOREACH(eb, &g_error_bdevs, link)
		if (strcmp(eb->name, name) == 0)
			break;
	if (eb == NULL) {
		pthread_mutex_unlock(&g_error_mutex);
		return -ENODEV;
	}
	for (int t = SIO_BDEV_IO_TYPE_READ; t < SIO_BDEV_IO_TYPE_COUNT; t++) {
		struct error_rule *r = &eb->rules[t];

		if (inj->io_type_mask == 0) {
			__atomic_store_n(&r->remaining, 0, __ATOMIC_RELEASE);
			r->type = 0;
			continue;
		}
		if (!(inj->io_type_mask & (1u << t)))
			continue;
		r->type = inj->error_type;
		r->corrupt_offset = inj->corrupt_offset;
		r->corrupt_value = inj->corrupt_value;
		__atomic_store_n(&r->remaining, inj->num ? inj->num : 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&g_error_mutex);
	return 0;
}

struct sio_bdev_module sio_bdev_module_error = {
	.name = "error",
	.io_ctx_size = sizeof(struct error_io),
};
