/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aio bdev module: bdev lifecycle, per-thread channels and the poller.
 *
 * Each bdev is an io_device; each thread's channel owns an AIO context
 * (aio_engine.c). submit_request() only fills the iocb kept in the bdev_io's
 * driver context; the channel poller reaps completions from the kernel's
 * mapped ring, completes their bdev_ios (whose callbacks usually queue the
 * next I/O), and then submits everything queued with one io_submit. Nothing
 * is allocated per I/O.
 */
#include "aio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio_engine.h"
#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/file_common/bdev_file_module.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"

/* AIO events per channel: deep enough for QD256+ per thread; more waits in a list. */
#define AIO_CHANNEL_DEPTH 512u
/* Completions taken per reap call (on the stack). */
#define AIO_REAP_BATCH 128u

struct aio_bdev {
	struct bdev_file_disk d; /* first: its address is the io_device */
	uint32_t block_size_override; /* block_size as given (0: detected), for save_config */
	bool fallocate;
	bool nowait;
	bool nowait_refused; /* the file answered RWF_NOWAIT with -EOPNOTSUPP: stop asking */
};

/* Per-I/O context of the module (sio_bdev_io_driver_ctx()). */
struct aio_io {
	struct bdev_file_io f; /* first: status of an I/O finished without the kernel */
	struct iocb iocb;
	bool no_nowait;  /* RWF_NOWAIT said -EAGAIN: the retry goes without it */
};

struct aio_channel {
	struct bdev_file_channel f; /* first: lists and poller */
	struct bdev_aio_queue q;
};

/* Queue @io in the context. Return 0, -EAGAIN when full, or a final error. */
static int queue_io(struct bdev_file_channel *fch, struct sio_bdev_io *io)
{
	struct aio_channel *ch = (struct aio_channel *)fch;
	struct aio_bdev *ab = (struct aio_bdev *)fch->disk;
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);
	uint64_t off = io->offset_blocks * ab->d.bdev.blocklen;
	int flags = ab->nowait && !aio->no_nowait &&
			    !__atomic_load_n(&ab->nowait_refused, __ATOMIC_RELAXED) ?
			    RWF_NOWAIT : 0;

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
		return bdev_aio_queue_rw(&ch->q, &aio->iocb, ab->d.file.fd,
					 io->type == SIO_BDEV_IO_TYPE_WRITE, io->iovs, io->iovcnt,
					 off, flags, io);
	case SIO_BDEV_IO_TYPE_FLUSH:
		return bdev_aio_queue_fsync(&ch->q, &aio->iocb, ab->d.file.fd, io);
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		/* AIO has no fallocate command: one synchronous call, as SPDK's aio does. */
		bdev_file_complete_later(fch, io,
					 bdev_file_deallocate(&ab->d.file,
							      io->type == SIO_BDEV_IO_TYPE_WRITE_ZEROES,
							      off, bdev_file_io_bytes(io)));
		return 0;
	default:
		return bdev_file_complete_other(fch, io);
	}
}

static void aio_submit_request(struct sio_io_channel *_ch, struct sio_bdev_io *io)
{
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);

	aio->no_nowait = false;
	bdev_file_submit(sio_io_channel_get_ctx(_ch), io, queue_io);
}

static void aio_complete_one(struct aio_channel *ch, struct sio_bdev_io *io, int64_t res)
{
	struct aio_bdev *ab = (struct aio_bdev *)ch->f.disk;
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);

	if ((res == -EAGAIN || res == -EOPNOTSUPP) && ab->nowait && !aio->no_nowait &&
	    (io->type == SIO_BDEV_IO_TYPE_READ || io->type == SIO_BDEV_IO_TYPE_WRITE)) {
		/* It would have blocked (or the file cannot say): go again, allowed to block. */
		if (res == -EOPNOTSUPP &&
		    !__atomic_exchange_n(&ab->nowait_refused, true, __ATOMIC_RELAXED))
			SIO_NOTICELOG("aio bdev %s: %s does not support RWF_NOWAIT; nowait is off",
				      ab->d.name, ab->d.filename);
		aio->no_nowait = true;
		bdev_io_list_push(&ch->f.waiting, io);
		return;
	}
	sio_bdev_io_complete(io, bdev_file_io_status(io, res));
}

static bool aio_has_room(const void *q)
{
	return bdev_aio_queue_free_slots(q) > 0;
}

static int aio_poll(void *arg)
{
	struct aio_channel *ch = arg;
	struct bdev_aio_cpl cpls[AIO_REAP_BATCH];
	uint32_t n, i;
	int work = 0;

	/* Completions first: their callbacks usually queue the next I/O for this submit. */
	do {
		n = bdev_aio_queue_reap(&ch->q, cpls, AIO_REAP_BATCH);
		for (i = 0; i < n; i++)
			aio_complete_one(ch, cpls[i].ctx, cpls[i].res);
		work += (int)n;
	} while (n == AIO_REAP_BATCH);

	work += bdev_file_complete_done(&ch->f);
	bdev_file_requeue_waiting(&ch->f, queue_io, aio_has_room, &ch->q);
	if (ch->q.queued > 0) {
		bdev_aio_queue_submit(&ch->q);
		work++;
	}
	return work > 0 ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

static int aio_channel_init(struct bdev_file_channel *fch)
{
	struct aio_channel *ch = (struct aio_channel *)fch;
	int rc = bdev_aio_queue_init(&ch->q, AIO_CHANNEL_DEPTH);

	if (rc != 0)
		SIO_ERRLOG("aio bdev %s: io_setup(%u) failed: %s%s", fch->disk->name,
			   AIO_CHANNEL_DEPTH, strerror(-rc),
			   rc == -EAGAIN ? " (raise /proc/sys/fs/aio-max-nr)" : "");
	return rc;
}

static void aio_channel_fini(struct bdev_file_channel *fch)
{
	bdev_aio_queue_fini(&((struct aio_channel *)fch)->q);
}

static void aio_channel_drain(struct bdev_file_channel *fch)
{
	struct aio_channel *ch = (struct aio_channel *)fch;
	struct bdev_aio_cpl cpl[16];

	if (ch->q.inflight == 0)
		return;
	SIO_WARNLOG("aio bdev %s: channel destroyed with %u I/O in flight; draining",
		    fch->disk->name, ch->q.inflight);
	while (ch->q.inflight > 0)
		bdev_aio_queue_reap(&ch->q, cpl, 16);
}

static const struct bdev_file_engine_ops aio_engine_ops = {
	.poller_name = "bdev_aio_poll",
	.channel_size = sizeof(struct aio_channel),
	.init = aio_channel_init,
	.fini = aio_channel_fini,
	.drain = aio_channel_drain,
	.poll = aio_poll,
};

static bool aio_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct aio_bdev *ab = ctx;

	return bdev_file_io_type_supported(&ab->d, type, ab->fallocate);
}

static void aio_dump_info_json(void *ctx, json_t *driver_specific)
{
	struct aio_bdev *ab = ctx;

	bdev_file_disk_dump_info(&ab->d, driver_specific, "aio",
				 json_pack("{s:b, s:b, s:b, s:b}", "block_size_override",
					   ab->block_size_override != 0, "readonly",
					   ab->d.file.readonly, "fallocate", ab->fallocate,
					   "nowait", ab->nowait));
}

static void aio_write_config_json(struct sio_bdev *bdev, json_t *config)
{
	struct aio_bdev *ab = bdev->ctxt;
	json_t *extra = json_pack("{s:b, s:b, s:b}", "readonly", ab->d.file.readonly,
				  "fallocate", ab->fallocate, "nowait", ab->nowait);

	if (extra != NULL && ab->block_size_override != 0)
		json_object_set_new(extra, "block_size", json_integer(bdev->blocklen));
	bdev_file_disk_write_config(&ab->d, config, "bdev_aio_create", extra);
}

static const struct sio_bdev_fn_table aio_fn_table = {
	.destruct = bdev_file_disk_destruct,
	.submit_request = aio_submit_request,
	.io_type_supported = aio_io_type_supported,
	.get_io_channel = bdev_file_disk_get_io_channel,
	.dump_info_json = aio_dump_info_json,
	.write_config_json = aio_write_config_json,
};

struct sio_bdev_module sio_bdev_module_aio = {
	.name = "aio",
	.io_ctx_size = sizeof(struct aio_io),
};

int bdev_aio_create(const struct bdev_aio_opts *opts, struct sio_bdev **out, char *err,
		    size_t errlen)
{
	struct bdev_file_disk *disk;
	struct aio_bdev *ab;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (opts == NULL) {
		snprintf(err, errlen, "bdev_aio_create: a name is required");
		return -EINVAL;
	}
	rc = bdev_file_disk_alloc(sizeof(*ab), "bdev_aio_create", opts->name, opts->filename,
				  opts->uuid, opts->readonly ? BDEV_FILE_READONLY : 0,
				  opts->block_size, &aio_engine_ops, &disk, err, errlen);
	if (rc != 0)
		return rc;
	ab = (struct aio_bdev *)disk;
	ab->block_size_override = opts->block_size;
	ab->fallocate = opts->fallocate;
	ab->nowait = opts->nowait;
	if (ab->fallocate && !ab->d.file.can_unmap && !ab->d.file.can_write_zeroes)
		SIO_NOTICELOG("aio bdev %s: %s cannot deallocate; unmap and write_zeroes stay off",
			      ab->d.name, ab->d.filename);
	return bdev_file_disk_register(disk, "AIO disk", &aio_fn_table, &sio_bdev_module_aio, out,
				       err, errlen);
}

_Static_assert(sizeof(struct sio_bdev_aio_opts) == 48,
	       "struct sio_bdev_aio_opts changed: update g_aio_defaults and sio_bdev_aio_create()");

static const struct sio_bdev_aio_opts g_aio_defaults = {
	.opts_size = sizeof(struct sio_bdev_aio_opts),
};

void sio_bdev_aio_opts_init(struct sio_bdev_aio_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_aio_defaults, sizeof(g_aio_defaults));
}

int sio_bdev_aio_create(const struct sio_bdev_aio_opts *user, struct sio_bdev **out)
{
	struct sio_bdev_aio_opts o = g_aio_defaults;
	struct bdev_aio_opts p;
	char err[256];
	int rc;

	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_aio_opts", user->opts_size, sizeof(o)) != 0)
		return -EINVAL;
	BDEV_MODULE_OPTS_COPY(&o, user, name);
	BDEV_MODULE_OPTS_COPY(&o, user, filename);
	BDEV_MODULE_OPTS_COPY(&o, user, block_size);
	BDEV_MODULE_OPTS_COPY(&o, user, uuid);
	BDEV_MODULE_OPTS_COPY(&o, user, readonly);
	BDEV_MODULE_OPTS_COPY(&o, user, fallocate);
	BDEV_MODULE_OPTS_COPY(&o, user, nowait);
	p = (struct bdev_aio_opts){.name = o.name, .filename = o.filename,
				   .block_size = o.block_size, .uuid = o.uuid,
				   .readonly = o.readonly, .fallocate = o.fallocate,
				   .nowait = o.nowait};
	rc = bdev_aio_create(&p, out, err, sizeof(err));
	/* No RPC reply to carry the reason: the log is where a C caller looks. */
	if (rc != 0)
		SIO_ERRLOG("%s", err[0] != '\0' ? err : strerror(-rc));
	return rc;
}

int sio_bdev_aio_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return bdev_file_disk_delete(name, &sio_bdev_module_aio, cb, cb_arg);
}

int sio_bdev_aio_rescan(const char *name)
{
	return bdev_file_disk_rescan(name, &sio_bdev_module_aio);
}
