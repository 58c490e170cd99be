/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uring bdev module: bdev lifecycle, per-thread channels and the poller.
 *
 * Each bdev is an io_device; each thread's channel owns an io_uring over the
 * bdev's file (uring_engine.c). submit_request() only prepares SQEs; the
 * channel poller reaps completions, completes their bdev_ios (whose callbacks
 * usually queue the next I/O), and then submits everything queued with one
 * io_uring_enter. Nothing is allocated per I/O.
 */
#include "uring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/modules/file_common/bdev_file.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"
#include "uring_engine.h"

/* Ring entries per channel: deep enough for QD256+ per thread; more waits in a list. */
#define URING_CHANNEL_DEPTH 512u
/* Completions taken per reap call (on the stack). */
#define URING_REAP_BATCH 128u

/*
 * The bdev is not the first member: the core registers &bdev as its own
 * io_device, and this struct's address is the module's io_device.
 */
struct uring_bdev {
	struct bdev_file file;
	struct sio_bdev bdev;
	char *name;
	char *filename;
	int unmap_mode; /* fallocate mode, or < 0: synchronous path */
	/*
	 * Reads and writes are copied in the poller instead of going through
	 * io_uring: the file is in memory (tmpfs, ramfs) and has no non-blocking
	 * path, so io_uring would hand every I/O to a kernel worker thread, and
	 * that hand-off costs more than the copy (2-3x the throughput here).
	 */
	bool inline_copy;
	int zero_mode;
};

/* A list of bdev_ios linked through module_link. */
struct io_list {
	struct sio_bdev_io *head, *tail;
};

struct uring_channel {
	struct uring_bdev *ub;
	struct bdev_uring_queue q;
	struct sio_poller *poller;
	struct io_list waiting; /* did not fit in the ring: queued when slots free up */
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

/* Per-I/O context of the module (sio_bdev_io_driver_ctx()). */
struct uring_io {
	int status; /* result of an I/O finished without the kernel */
};

/* The core forbids completing inside submit_request(): park @io for the poller. */
static void complete_later(struct uring_channel *ch, struct sio_bdev_io *io, int status)
{
	struct uring_io *uio = sio_bdev_io_driver_ctx(io);

	uio->status = status;
	list_push(&ch->done, io);
}

static uint64_t io_bytes(const struct sio_bdev_io *io)
{
	return io->num_blocks * io->bdev->blocklen;
}

/* Queue @io on the ring. Return 0, -EAGAIN when the ring is full, or a final error. */
static int queue_io(struct uring_channel *ch, struct sio_bdev_io *io)
{
	struct uring_bdev *ub = ch->ub;
	uint64_t off = io->offset_blocks * ub->bdev.blocklen;

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
		if (ub->inline_copy) {
			complete_later(ch, io, bdev_file_rw_sync(&ub->file,
								 io->type == SIO_BDEV_IO_TYPE_WRITE,
								 io->iovs, io->iovcnt, off,
								 io_bytes(io)));
			return 0;
		}
		return bdev_uring_queue_rw(&ch->q, io->type == SIO_BDEV_IO_TYPE_WRITE, io->iovs,
					   io->iovcnt, off, io);
	case SIO_BDEV_IO_TYPE_FLUSH:
		return bdev_uring_queue_fsync(&ch->q, io);
	case SIO_BDEV_IO_TYPE_UNMAP:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES: {
		bool zeroes = io->type == SIO_BDEV_IO_TYPE_WRITE_ZEROES;
		int mode = zeroes ? ub->zero_mode : ub->unmap_mode;

		if (mode >= 0)
			return bdev_uring_queue_fallocate(&ch->q, mode, off, io_bytes(io), io);
		/* Block-device discard is an ioctl io_uring cannot carry: do it inline. */
		complete_later(ch, io, bdev_file_deallocate(&ub->file, zeroes, off, io_bytes(io)));
		return 0;
	}
	case SIO_BDEV_IO_TYPE_RESET:
		/* Nothing to reset in a file; in-flight I/O completes on its own. */
		complete_later(ch, io, 0);
		return 0;
	default:
		complete_later(ch, io, -ENOTSUP);
		return 0;
	}
}

static void uring_submit_request(struct sio_io_channel *_ch, struct sio_bdev_io *io)
{
	struct uring_channel *ch = sio_io_channel_get_ctx(_ch);
	int rc;

	/* Keep order with I/O already waiting for ring slots. */
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

static int io_status(const struct sio_bdev_io *io, int32_t res)
{
	if (res < 0)
		return res;
	if (io->type == SIO_BDEV_IO_TYPE_READ || io->type == SIO_BDEV_IO_TYPE_WRITE) {
		/* A short transfer inside the file's size means the device failed us. */
		return (uint64_t)res == io_bytes(io) ? 0 : -EIO;
	}
	return 0;
}

static int uring_poll(void *arg)
{
	struct uring_channel *ch = arg;
	struct bdev_uring_cpl cpls[URING_REAP_BATCH];
	struct sio_bdev_io *io;
	uint32_t n, i;
	int work = 0, rc;

	/* Completions first: their callbacks usually queue the next I/O for this submit. */
	do {
		n = bdev_uring_queue_reap(&ch->q, cpls, URING_REAP_BATCH);
		for (i = 0; i < n; i++) {
			io = cpls[i].ctx;
			sio_bdev_io_complete(io, io_status(io, cpls[i].res));
		}
		work += (int)n;
	} while (n == URING_REAP_BATCH);

	/*
	 * Only what was done before this poll: a callback that submits again
	 * (inline copies finish at once) must not keep this loop going forever.
	 */
	if (ch->done.head != NULL) {
		struct io_list batch = ch->done;

		ch->done.head = ch->done.tail = NULL;
		while ((io = list_pop(&batch)) != NULL) {
			sio_bdev_io_complete(io,
					     ((struct uring_io *)sio_bdev_io_driver_ctx(io))->status);
			work++;
		}
	}
	while (ch->waiting.head != NULL && bdev_uring_queue_free_slots(&ch->q) > 0) {
		io = list_pop(&ch->waiting);
		rc = queue_io(ch, io);
		if (rc != 0)
			complete_later(ch, io, rc);
	}
	if (ch->q.queued > 0) {
		rc = bdev_uring_queue_submit(&ch->q);
		if (rc < 0)
			SIO_ERRLOG("uring bdev %s: io_uring_enter failed: %s", ch->ub->name,
				   strerror(-rc));
		work++;
	}
	return work > 0 ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

static int uring_channel_create(void *io_device, void *ctx_buf)
{
	struct uring_bdev *ub = io_device;
	struct uring_channel *ch = ctx_buf;
	int rc;

	ch->ub = ub;
	rc = bdev_uring_queue_init(&ch->q, ub->file.fd, URING_CHANNEL_DEPTH,
				   ub->file.nowait ? 0 : BDEV_URING_QUEUE_ASYNC);
	if (rc != 0) {
		SIO_ERRLOG("uring bdev %s: cannot create an io_uring: %s", ub->name, strerror(-rc));
		return rc;
	}
	ch->poller = sio_poller_register_named("bdev_uring_poll", uring_poll, ch, 0);
	if (ch->poller == NULL) {
		rc = -errno;
		bdev_uring_queue_fini(&ch->q);
		return rc != 0 ? rc : -ENOMEM;
	}
	return 0;
}

static void uring_channel_destroy(void *io_device, void *ctx_buf)
{
	struct uring_channel *ch = ctx_buf;

	/*
	 * The core puts a channel only when its I/O is done; should the kernel
	 * still hold some, wait for it so it never writes into freed buffers.
	 */
	if (bdev_uring_queue_busy(&ch->q)) {
		SIO_WARNLOG("uring bdev %s: channel destroyed with %u I/O outstanding; draining",
			    ch->ub->name, ch->q.queued + ch->q.inflight);
		bdev_uring_queue_submit(&ch->q);
		while (ch->q.inflight > 0) {
			struct bdev_uring_cpl cpl[16];

			if (bdev_uring_queue_reap(&ch->q, cpl, 16) == 0)
				io_uring_get_events(&ch->q.ring);
		}
	}
	sio_poller_unregister(&ch->poller);
	bdev_uring_queue_fini(&ch->q);
}

static void uring_bdev_free(struct uring_bdev *ub)
{
	bdev_file_close(&ub->file);
	free(ub->name);
	free(ub->filename);
	free(ub);
}

static void uring_io_device_gone(void *io_device)
{
	struct uring_bdev *ub = io_device;

	sio_bdev_destruct_done(&ub->bdev, 0);
	uring_bdev_free(ub);
}

/* The io_device of a bdev that never registered is gone: free it. */
static void uring_io_device_gone_unused(void *io_device)
{
	uring_bdev_free(io_device);
}

static int uring_destruct(void *ctx)
{
	struct uring_bdev *ub = ctx;

	if (sio_io_device_unregister(ub, uring_io_device_gone) != 0) {
		uring_bdev_free(ub);
		return 0;
	}
	return 1; /* finished in uring_io_device_gone() */
}

static bool uring_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct uring_bdev *ub = ctx;

	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return true;
	case SIO_BDEV_IO_TYPE_WRITE:
		return !ub->file.readonly;
	case SIO_BDEV_IO_TYPE_UNMAP:
		return ub->file.can_unmap;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return ub->file.can_write_zeroes;
	default:
		return false;
	}
}

static struct sio_io_channel *uring_get_io_channel(void *ctx)
{
	return sio_io_channel_get(ctx);
}

static void uring_dump_info_json(void *ctx, json_t *driver_specific)
{
	struct uring_bdev *ub = ctx;

	json_object_set_new(driver_specific, "uring",
			    json_pack("{s:s, s:b}", "filename", ub->filename, "o_direct",
				      ub->file.direct));
}

static void uring_write_config_json(struct sio_bdev *bdev, json_t *config)
{
	struct uring_bdev *ub = bdev->ctxt;
	json_t *params = json_pack("{s:s, s:s, s:i}", "name", ub->name, "filename", ub->filename,
				   "block_size", (json_int_t)bdev->blocklen);
	char uuid[37];

	if (params == NULL)
		return;
	sio_bdev_uuid_format(bdev->uuid, uuid);
	json_object_set_new(params, "uuid", json_string(uuid));
	sio_rpc_config_append(config, "bdev_uring_create", params);
}

static const struct sio_bdev_fn_table uring_fn_table = {
	.destruct = uring_destruct,
	.submit_request = uring_submit_request,
	.io_type_supported = uring_io_type_supported,
	.get_io_channel = uring_get_io_channel,
	.dump_info_json = uring_dump_info_json,
	.write_config_json = uring_write_config_json,
};

/* Opt-in: see bdev_uring_set_inline_memfs(). */
static bool g_inline_memfs = false;

void bdev_uring_set_inline_memfs(bool enable)
{
	g_inline_memfs = enable;
}

struct sio_bdev_module sio_bdev_module_uring = {
	.name = "uring",
	.io_ctx_size = sizeof(struct uring_io),
};

/* io_uring works here (kernel support, not disabled by sysctl or seccomp). */
static int uring_available(void)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(2, &ring, 0);

	if (rc == 0)
		io_uring_queue_exit(&ring);
	return rc;
}

int bdev_uring_create(const struct bdev_uring_opts *opts, struct sio_bdev **out, char *err,
		      size_t errlen)
{
	struct uring_bdev *ub;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (opts == NULL || opts->name == NULL || opts->name[0] == '\0') {
		snprintf(err, errlen, "bdev_uring_create: a name is required");
		return -EINVAL;
	}
	if (opts->filename == NULL || opts->filename[0] == '\0') {
		snprintf(err, errlen, "bdev_uring_create: a filename is required");
		return -EINVAL;
	}
	rc = uring_available();
	if (rc != 0) {
		snprintf(err, errlen, "io_uring is unavailable here: %s", strerror(-rc));
		return rc;
	}
	ub = calloc(1, sizeof(*ub));
	if (ub == NULL)
		return -ENOMEM;
	ub->file.fd = -1;
	ub->name = strdup(opts->name);
	ub->filename = strdup(opts->filename);
	if (ub->name == NULL || ub->filename == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (opts->uuid != NULL) {
		rc = sio_bdev_uuid_parse(opts->uuid, ub->bdev.uuid);
		if (rc != 0) {
			snprintf(err, errlen, "bad uuid '%s'", opts->uuid);
			goto fail;
		}
	}
	rc = bdev_file_open(&ub->file, opts->filename, 0, opts->block_size, err, errlen);
	if (rc != 0)
		goto fail;
	if (ub->file.notice[0] != '\0')
		SIO_NOTICELOG("%s", ub->file.notice);
	ub->unmap_mode = bdev_file_fallocate_mode(&ub->file, false);
	ub->zero_mode = bdev_file_fallocate_mode(&ub->file, true);
	ub->inline_copy = g_inline_memfs && ub->file.memfs && !ub->file.nowait;
	if (ub->inline_copy)
		SIO_INFOLOG("uring bdev %s: %s is in memory without a non-blocking path; "
			    "reads and writes are copied in the poller", opts->name, opts->filename);

	ub->bdev.name = ub->name;
	ub->bdev.product_name = "URING bdev";
	ub->bdev.blocklen = ub->file.block_size;
	ub->bdev.blockcnt = ub->file.size / ub->file.block_size;
	ub->bdev.buf_align = ub->file.buf_align > 1 ? ub->file.buf_align : 0;
	ub->bdev.write_cache = !ub->file.direct;
	ub->bdev.ctxt = ub;
	ub->bdev.fn_table = &uring_fn_table;
	ub->bdev.module = &sio_bdev_module_uring;

	rc = sio_io_device_register(ub, uring_channel_create, uring_channel_destroy,
				    sizeof(struct uring_channel), ub->name);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register io_device for %s: %s", ub->name,
			 strerror(-rc));
		goto fail;
	}
	rc = sio_bdev_register(&ub->bdev);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register bdev %s: %s", ub->name,
			 rc == -EEXIST ? "name or uuid already in use" : strerror(-rc));
		/* No channel exists yet; the io_device goes shortly, then ub is freed. */
		sio_io_device_unregister(ub, uring_io_device_gone_unused);
		return rc;
	}
	SIO_INFOLOG("uring bdev %s over %s: %u-byte blocks, %llu blocks, %s", ub->name,
		    ub->filename, ub->bdev.blocklen, (unsigned long long)ub->bdev.blockcnt,
		    ub->file.direct ? "O_DIRECT" : "buffered");
	if (out != NULL)
		*out = &ub->bdev;
	return 0;

fail:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "bdev_uring_create %s: %s", opts->name, strerror(-rc));
	uring_bdev_free(ub);
	return rc;
}

int bdev_uring_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	if (name == NULL)
		return -EINVAL;
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_uring, cb, cb_arg);
}

int bdev_uring_rescan(const char *name)
{
	struct sio_bdev *bdev = name != NULL ? sio_bdev_get_by_name(name) : NULL;
	struct uring_bdev *ub;
	uint64_t size;
	int rc;

	if (bdev == NULL || bdev->module != &sio_bdev_module_uring)
		return -ENODEV;
	ub = bdev->ctxt;
	rc = bdev_file_get_size(&ub->file, &size);
	if (rc != 0)
		return rc;
	if (size / bdev->blocklen == bdev->blockcnt)
		return 0;
	return sio_bdev_notify_blockcnt_change(bdev, size / bdev->blocklen);
}
