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
#include "bdev/modules/file_common/bdev_file.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"

/* AIO events per channel: deep enough for QD256+ per thread; more waits in a list. */
#define AIO_CHANNEL_DEPTH 512u
/* Completions taken per reap call (on the stack). */
#define AIO_REAP_BATCH 128u

/*
 * The bdev is not the first member: the core registers &bdev as its own
 * io_device, and this struct's address is the module's io_device.
 */
struct aio_bdev {
	struct bdev_file file;
	struct sio_bdev bdev;
	char *name;
	char *filename;
	uint32_t block_size_override; /* block_size as given (0: detected), for save_config */
	bool fallocate;
	bool nowait;
	bool nowait_refused; /* the file answered RWF_NOWAIT with -EOPNOTSUPP: stop asking */
};

/* Per-I/O context of the module (sio_bdev_io_driver_ctx()). */
struct aio_io {
	struct iocb iocb;
	int status;      /* result of an I/O finished without the kernel */
	bool no_nowait;  /* RWF_NOWAIT said -EAGAIN: the retry goes without it */
};

/* A list of bdev_ios linked through module_link. */
struct io_list {
	struct sio_bdev_io *head, *tail;
};

struct aio_channel {
	struct aio_bdev *ab;
	struct bdev_aio_queue q;
	struct sio_poller *poller;
	struct io_list waiting; /* did not fit in the context: queued when slots free up */
	struct io_list done;    /* finished without the kernel: completed by the poller */
};

static void list_push(struct io_list *l, struct sio_bdev_io *io)
{
	io->module_link = NULL;
	if (l->tail != NULL)
		l->tail->module_link = io;
	else
		l->head = io;
	l->tail = io;
}

static struct sio_bdev_io *list_pop(struct io_list *l)
{
	struct sio_bdev_io *io = l->head;

	if (io != NULL) {
		l->head = io->module_link;
		if (l->head == NULL)
			l->tail = NULL;
	}
	return io;
}

/* The core forbids completing inside submit_request(): park @io for the poller. */
static void complete_later(struct aio_channel *ch, struct sio_bdev_io *io, int status)
{
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);

	aio->status = status;
	list_push(&ch->done, io);
}

static uint64_t io_bytes(const struct sio_bdev_io *io)
{
	return io->num_blocks * io->bdev->blocklen;
}

/* Queue @io in the context. Return 0, -EAGAIN when full, or a final error. */
static int queue_io(struct aio_channel *ch, struct sio_bdev_io *io)
{
	struct aio_bdev *ab = ch->ab;
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);
	uint64_t off = io->offset_blocks * ab->bdev.blocklen;
	int flags = ab->nowait && !aio->no_nowait &&
			    !__atomic_load_n(&ab->nowait_refused, __ATOMIC_RELAXED) ?
			    RWF_NOWAIT : 0;

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
		return bdev_aio_queue_rw(&ch->q, &aio->iocb, ab->file.fd,
					 io->type == SIO_BDEV_IO_TYPE_WRITE, io->iovs, io->iovcnt,
					 off, flags, io);
	case SIO_BDEV_IO_TYPE_FLUSH:
		return bdev_aio_queue_fsync(&ch->q, &aio->iocb, ab->file.fd, io);
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		/* AIO has no fallocate command: one synchronous call, as SPDK's aio does. */
		complete_later(ch, io, bdev_file_deallocate(&ab->file,
							    io->type == SIO_BDEV_IO_TYPE_WRITE_ZEROES,
							    off, io_bytes(io)));
		return 0;
	case SIO_BDEV_IO_TYPE_RESET:
		/* Nothing to reset in a file; in-flight I/O completes on its own. */
		complete_later(ch, io, 0);
		return 0;
	default:
		complete_later(ch, io, -ENOTSUP);
		return 0;
	}
}

static void aio_submit_request(struct sio_io_channel *_ch, struct sio_bdev_io *io)
{
	struct aio_channel *ch = sio_io_channel_get_ctx(_ch);
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);
	int rc;

	aio->no_nowait = false;
	/* Keep order with I/O already waiting for slots. */
	if (ch->waiting.head != NULL) {
		list_push(&ch->waiting, io);
		return;
	}
	rc = queue_io(ch, io);
	if (rc == -EAGAIN)
		list_push(&ch->waiting, io);
	else if (rc != 0)
		complete_later(ch, io, rc);
}

static int io_status(const struct sio_bdev_io *io, int64_t res)
{
	if (res < 0)
		return (int)res;
	if (io->type == SIO_BDEV_IO_TYPE_READ || io->type == SIO_BDEV_IO_TYPE_WRITE) {
		/* A short transfer inside the file's size means the device failed us. */
		return (uint64_t)res == io_bytes(io) ? 0 : -EIO;
	}
	return 0;
}

static void aio_complete_one(struct aio_channel *ch, struct sio_bdev_io *io, int64_t res)
{
	struct aio_io *aio = sio_bdev_io_driver_ctx(io);

	if ((res == -EAGAIN || res == -EOPNOTSUPP) && ch->ab->nowait && !aio->no_nowait &&
	    (io->type == SIO_BDEV_IO_TYPE_READ || io->type == SIO_BDEV_IO_TYPE_WRITE)) {
		/* It would have blocked (or the file cannot say): go again, allowed to block. */
		if (res == -EOPNOTSUPP &&
		    !__atomic_exchange_n(&ch->ab->nowait_refused, true, __ATOMIC_RELAXED))
			SIO_NOTICELOG("aio bdev %s: %s does not support RWF_NOWAIT; nowait is off",
				      ch->ab->name, ch->ab->filename);
		aio->no_nowait = true;
		list_push(&ch->waiting, io);
		return;
	}
	sio_bdev_io_complete(io, io_status(io, res));
}

static int aio_poll(void *arg)
{
	struct aio_channel *ch = arg;
	struct bdev_aio_cpl cpls[AIO_REAP_BATCH];
	struct sio_bdev_io *io;
	uint32_t n, i;
	int work = 0, rc;

	/* Completions first: their callbacks usually queue the next I/O for this submit. */
	do {
		n = bdev_aio_queue_reap(&ch->q, cpls, AIO_REAP_BATCH);
		for (i = 0; i < n; i++)
			aio_complete_one(ch, cpls[i].ctx, cpls[i].res);
		work += (int)n;
	} while (n == AIO_REAP_BATCH);

	/* Only what was done before this poll: callbacks that submit again wait for the next. */
	if (ch->done.head != NULL) {
		struct io_list batch = ch->done;

		ch->done.head = ch->done.tail = NULL;
		while ((io = list_pop(&batch)) != NULL) {
			struct aio_io *aio = sio_bdev_io_driver_ctx(io);

			sio_bdev_io_complete(io, aio->status);
			work++;
		}
	}
	while (ch->waiting.head != NULL && bdev_aio_queue_free_slots(&ch->q) > 0) {
		io = list_pop(&ch->waiting);
		rc = queue_io(ch, io);
		if (rc != 0)
			complete_later(ch, io, rc);
	}
	if (ch->q.queued > 0) {
		bdev_aio_queue_submit(&ch->q);
		work++;
	}
	return work > 0 ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

static int aio_channel_create(void *io_device, void *ctx_buf)
{
	struct aio_bdev *ab = io_device;
	struct aio_channel *ch = ctx_buf;
	int rc;

	ch->ab = ab;
	rc = bdev_aio_queue_init(&ch->q, AIO_CHANNEL_DEPTH);
	if (rc != 0) {
		SIO_ERRLOG("aio bdev %s: io_setup(%u) failed: %s%s", ab->name, AIO_CHANNEL_DEPTH,
			   strerror(-rc), rc == -EAGAIN ? " (raise /proc/sys/fs/aio-max-nr)" : "");
		return rc;
	}
	ch->poller = sio_poller_register_named("bdev_aio_poll", aio_poll, ch, 0);
	if (ch->poller == NULL) {
		rc = -errno;
		bdev_aio_queue_fini(&ch->q);
		return rc != 0 ? rc : -ENOMEM;
	}
	return 0;
}

static void aio_channel_destroy(void *io_device, void *ctx_buf)
{
	struct aio_channel *ch = ctx_buf;

	/*
	 * The core puts a channel only when its I/O is done; should the kernel
	 * still hold some, wait for it so it never writes into freed buffers.
	 */
	if (ch->q.inflight > 0) {
		struct bdev_aio_cpl cpl[16];

		SIO_WARNLOG("aio bdev %s: channel destroyed with %u I/O in flight; draining",
			    ch->ab->name, ch->q.inflight);
		while (ch->q.inflight > 0)
			bdev_aio_queue_reap(&ch->q, cpl, 16);
	}
	sio_poller_unregister(&ch->poller);
	bdev_aio_queue_fini(&ch->q);
}

static void aio_bdev_free(struct aio_bdev *ab)
{
	bdev_file_close(&ab->file);
	free(ab->name);
	free(ab->filename);
	free(ab);
}

static void aio_io_device_gone(void *io_device)
{
	struct aio_bdev *ab = io_device;

	sio_bdev_destruct_done(&ab->bdev, 0);
	aio_bdev_free(ab);
}

/* The io_device of a bdev that never registered is gone: free it. */
static void aio_io_device_gone_unused(void *io_device)
{
	aio_bdev_free(io_device);
}

static int aio_destruct(void *ctx)
{
	struct aio_bdev *ab = ctx;

	if (sio_io_device_unregister(ab, aio_io_device_gone) != 0) {
		aio_bdev_free(ab);
		return 0;
	}
	return 1; /* finished in aio_io_device_gone() */
}

static bool aio_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct aio_bdev *ab = ctx;

	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return true;
	case SIO_BDEV_IO_TYPE_WRITE:
		return !ab->file.readonly;
	case SIO_BDEV_IO_TYPE_UNMAP:
		return ab->fallocate && ab->file.can_unmap;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return ab->fallocate && ab->file.can_write_zeroes;
	default:
		return false;
	}
}

static struct sio_io_channel *aio_get_io_channel(void *ctx)
{
	return sio_io_channel_get(ctx);
}

static void aio_dump_info_json(void *ctx, json_t *driver_specific)
{
	struct aio_bdev *ab = ctx;

	json_object_set_new(driver_specific, "aio",
			    json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}", "filename", ab->filename,
				      "block_size_override", ab->block_size_override != 0,
				      "readonly", ab->file.readonly, "fallocate", ab->fallocate,
				      "nowait", ab->nowait, "o_direct", ab->file.direct));
}

static void aio_write_config_json(struct sio_bdev *bdev, json_t *config)
{
	struct aio_bdev *ab = bdev->ctxt;
	json_t *params = json_pack("{s:s, s:s, s:b, s:b, s:b}", "name", ab->name, "filename",
				   ab->filename, "readonly", ab->file.readonly, "fallocate",
				   ab->fallocate, "nowait", ab->nowait);
	char uuid[37];

	if (params == NULL)
		return;
	if (ab->block_size_override != 0)
		json_object_set_new(params, "block_size", json_integer(bdev->blocklen));
	sio_bdev_uuid_format(bdev->uuid, uuid);
	json_object_set_new(params, "uuid", json_string(uuid));
	sio_rpc_config_append(config, "bdev_aio_create", params);
}

static const struct sio_bdev_fn_table aio_fn_table = {
	.destruct = aio_destruct,
	.submit_request = aio_submit_request,
	.io_type_supported = aio_io_type_supported,
	.get_io_channel = aio_get_io_channel,
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
	struct aio_bdev *ab;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (opts == NULL || opts->name == NULL || opts->name[0] == '\0') {
		snprintf(err, errlen, "bdev_aio_create: a name is required");
		return -EINVAL;
	}
	if (opts->filename == NULL || opts->filename[0] == '\0') {
		snprintf(err, errlen, "bdev_aio_create: a filename is required");
		return -EINVAL;
	}
	ab = calloc(1, sizeof(*ab));
	if (ab == NULL)
		return -ENOMEM;
	ab->file.fd = -1;
	ab->name = strdup(opts->name);
	ab->filename = strdup(opts->filename);
	if (ab->name == NULL || ab->filename == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (opts->uuid != NULL) {
		rc = sio_bdev_uuid_parse(opts->uuid, ab->bdev.uuid);
		if (rc != 0) {
			snprintf(err, errlen, "bad uuid '%s'", opts->uuid);
			goto fail;
		}
	}
	rc = bdev_file_open(&ab->file, opts->filename, opts->readonly ? BDEV_FILE_READONLY : 0,
			    opts->block_size, err, errlen);
	if (rc != 0)
		goto fail;
	if (ab->file.notice[0] != '\0')
		SIO_NOTICELOG("%s", ab->file.notice);
	ab->block_size_override = opts->block_size;
	ab->fallocate = opts->fallocate;
	ab->nowait = opts->nowait;
	if (ab->fallocate && !ab->file.can_unmap && !ab->file.can_write_zeroes)
		SIO_NOTICELOG("aio bdev %s: %s cannot deallocate; unmap and write_zeroes stay off",
			      ab->name, ab->filename);

	ab->bdev.name = ab->name;
	ab->bdev.product_name = "AIO disk";
	ab->bdev.blocklen = ab->file.block_size;
	ab->bdev.blockcnt = ab->file.size / ab->file.block_size;
	ab->bdev.buf_align = ab->file.buf_align > 1 ? ab->file.buf_align : 0;
	ab->bdev.write_cache = !ab->file.direct;
	ab->bdev.ctxt = ab;
	ab->bdev.fn_table = &aio_fn_table;
	ab->bdev.module = &sio_bdev_module_aio;

	rc = sio_io_device_register(ab, aio_channel_create, aio_channel_destroy,
				    sizeof(struct aio_channel), ab->name);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register io_device for %s: %s", ab->name,
			 strerror(-rc));
		goto fail;
	}
	rc = sio_bdev_register(&ab->bdev);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register bdev %s: %s", ab->name,
			 rc == -EEXIST ? "name or uuid already in use" : strerror(-rc));
		/* No channel exists yet; the io_device goes shortly, then ab is freed. */
		sio_io_device_unregister(ab, aio_io_device_gone_unused);
		return rc;
	}
	SIO_INFOLOG("aio bdev %s over %s: %u-byte blocks, %llu blocks, %s", ab->name, ab->filename,
		    ab->bdev.blocklen, (unsigned long long)ab->bdev.blockcnt,
		    ab->file.direct ? "O_DIRECT" : "buffered");
	if (out != NULL)
		*out = &ab->bdev;
	return 0;

fail:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "bdev_aio_create %s: %s", opts->name, strerror(-rc));
	aio_bdev_free(ab);
	return rc;
}

int bdev_aio_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	if (name == NULL)
		return -EINVAL;
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_aio, cb, cb_arg);
}

int bdev_aio_rescan(const char *name)
{
	struct sio_bdev *bdev = name != NULL ? sio_bdev_get_by_name(name) : NULL;
	struct aio_bdev *ab;
	uint64_t size;
	int rc;

	if (bdev == NULL || bdev->module != &sio_bdev_module_aio)
		return -ENODEV;
	ab = bdev->ctxt;
	rc = bdev_file_get_size(&ab->file, &size);
	if (rc != 0)
		return rc;
	if (size / bdev->blocklen == bdev->blockcnt)
		return 0;
	return sio_bdev_notify_blockcnt_change(bdev, size / bdev->blocklen);
}
