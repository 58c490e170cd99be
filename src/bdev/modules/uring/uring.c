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

#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/file_common/bdev_file_module.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"
#include "uring_engine.h"

/* Ring entries per channel: deep enough for QD256+ per thread; more waits in a list. */
#define URING_CHANNEL_DEPTH 512u
/* Completions taken per reap call (on the stack). */
#define URING_REAP_BATCH 128u

struct uring_bdev {
	struct bdev_file_disk d; /* first: its address is the io_device */
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

struct uring_channel {
	struct bdev_file_channel f; /* first: lists and poller */
	struct bdev_uring_queue q;
};

/* Queue @io on the ring. Return 0, -EAGAIN when the ring is full, or a final error. */
static int queue_io(struct bdev_file_channel *fch, struct sio_bdev_io *io)
{
	struct uring_channel *ch = (struct uring_channel *)fch;
	struct uring_bdev *ub = (struct uring_bdev *)fch->disk;
	uint64_t off = io->offset_blocks * ub->d.bdev.blocklen;

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
		if (ub->inline_copy) {
			bdev_file_complete_later(fch, io,
						 bdev_file_rw_sync(&ub->d.file,
								   io->type == SIO_BDEV_IO_TYPE_WRITE,
								   io->iovs, io->iovcnt, off,
								   bdev_file_io_bytes(io)));
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
			return bdev_uring_queue_fallocate(&ch->q, mode, off, bdev_file_io_bytes(io),
							  io);
		/* Block-device discard is an ioctl io_uring cannot carry: do it inline. */
		bdev_file_complete_later(fch, io, bdev_file_deallocate(&ub->d.file, zeroes, off,
								       bdev_file_io_bytes(io)));
		return 0;
	}
	default:
		return bdev_file_complete_other(fch, io);
	}
}

static void uring_submit_request(struct sio_io_channel *_ch, struct sio_bdev_io *io)
{
	bdev_file_submit(sio_io_channel_get_ctx(_ch), io, queue_io);
}

static bool uring_has_room(const void *q)
{
	return bdev_uring_queue_free_slots(q) > 0;
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
			sio_bdev_io_complete(io, bdev_file_io_status(io, cpls[i].res));
		}
		work += (int)n;
	} while (n == URING_REAP_BATCH);

	work += bdev_file_complete_done(&ch->f);
	bdev_file_requeue_waiting(&ch->f, queue_io, uring_has_room, &ch->q);
	if (ch->q.queued > 0) {
		rc = bdev_uring_queue_submit(&ch->q);
		if (rc < 0)
			SIO_ERRLOG("uring bdev %s: io_uring_enter failed: %s", ch->f.disk->name,
				   strerror(-rc));
		work++;
	}
	return work > 0 ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

static int uring_channel_init(struct bdev_file_channel *fch)
{
	struct uring_channel *ch = (struct uring_channel *)fch;
	struct bdev_file_disk *disk = fch->disk;
	int rc = bdev_uring_queue_init(&ch->q, disk->file.fd, URING_CHANNEL_DEPTH,
				       disk->file.nowait ? 0 : BDEV_URING_QUEUE_ASYNC);

	if (rc != 0)
		SIO_ERRLOG("uring bdev %s: cannot create an io_uring: %s", disk->name,
			   strerror(-rc));
	return rc;
}

static void uring_channel_fini(struct bdev_file_channel *fch)
{
	bdev_uring_queue_fini(&((struct uring_channel *)fch)->q);
}

static void uring_channel_drain(struct bdev_file_channel *fch)
{
	struct uring_channel *ch = (struct uring_channel *)fch;
	struct bdev_uring_cpl cpl[16];

	if (!bdev_uring_queue_busy(&ch->q))
		return;
	SIO_WARNLOG("uring bdev %s: channel destroyed with %u I/O outstanding; draining",
		    fch->disk->name, ch->q.queued + ch->q.inflight);
	bdev_uring_queue_submit(&ch->q);
	while (ch->q.inflight > 0) {
		if (bdev_uring_queue_reap(&ch->q, cpl, 16) == 0)
			io_uring_get_events(&ch->q.ring);
	}
}

static const struct bdev_file_engine_ops uring_engine_ops = {
	.poller_name = "bdev_uring_poll",
	.channel_size = sizeof(struct uring_channel),
	.init = uring_channel_init,
	.fini = uring_channel_fini,
	.drain = uring_channel_drain,
	.poll = uring_poll,
};

static bool uring_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	/* The ring carries fallocate; discard on block devices goes inline. */
	return bdev_file_io_type_supported(ctx, type, true);
}

static void uring_dump_info_json(void *ctx, json_t *driver_specific)
{
	bdev_file_disk_dump_info(ctx, driver_specific, "uring", NULL);
}

static void uring_write_config_json(struct sio_bdev *bdev, json_t *config)
{
	bdev_file_disk_write_config(bdev->ctxt, config, "bdev_uring_create",
				    json_pack("{s:i}", "block_size", (json_int_t)bdev->blocklen));
}

static const struct sio_bdev_fn_table uring_fn_table = {
	.destruct = bdev_file_disk_destruct,
	.submit_request = uring_submit_request,
	.io_type_supported = uring_io_type_supported,
	.get_io_channel = bdev_file_disk_get_io_channel,
	.dump_info_json = uring_dump_info_json,
	.write_config_json = uring_write_config_json,
};

/* Opt-in: see sio_bdev_uring_set_inline_memfs(). */
static bool g_inline_memfs = false;

void sio_bdev_uring_set_inline_memfs(bool enable)
{
	g_inline_memfs = enable;
}

struct sio_bdev_module sio_bdev_module_uring = {
	.name = "uring",
	.io_ctx_size = sizeof(struct bdev_file_io),
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
	struct bdev_file_disk *disk;
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
	rc = bdev_file_disk_alloc(sizeof(*ub), "bdev_uring_create", opts->name, opts->filename,
				  opts->uuid, 0, opts->block_size, &uring_engine_ops, &disk, err,
				  errlen);
	if (rc != 0)
		return rc;
	ub = (struct uring_bdev *)disk;
	ub->unmap_mode = bdev_file_fallocate_mode(&ub->d.file, false);
	ub->zero_mode = bdev_file_fallocate_mode(&ub->d.file, true);
	ub->inline_copy = g_inline_memfs && ub->d.file.memfs && !ub->d.file.nowait;
	if (ub->inline_copy)
		SIO_INFOLOG("uring bdev %s: %s is in memory without a non-blocking path; "
			    "reads and writes are copied in the poller", opts->name, opts->filename);
	return bdev_file_disk_register(disk, "URING bdev", &uring_fn_table,
				       &sio_bdev_module_uring, out, err, errlen);
}

_Static_assert(sizeof(struct sio_bdev_uring_opts) == 40,
	       "struct sio_bdev_uring_opts changed: update g_uring_defaults and sio_bdev_uring_create()");

static const struct sio_bdev_uring_opts g_uring_defaults = {
	.opts_size = sizeof(struct sio_bdev_uring_opts),
};

void sio_bdev_uring_opts_init(struct sio_bdev_uring_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_uring_defaults, sizeof(g_uring_defaults));
}

int sio_bdev_uring_create(const struct sio_bdev_uring_opts *user, struct sio_bdev **out)
{
	struct sio_bdev_uring_opts o = g_uring_defaults;
	struct bdev_uring_opts p;
	char err[256];
	int rc;

	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_uring_opts", user->opts_size, sizeof(o)) != 0)
		return -EINVAL;
	BDEV_MODULE_OPTS_COPY(&o, user, name);
	BDEV_MODULE_OPTS_COPY(&o, user, filename);
	BDEV_MODULE_OPTS_COPY(&o, user, block_size);
	BDEV_MODULE_OPTS_COPY(&o, user, uuid);
	p = (struct bdev_uring_opts){.name = o.name, .filename = o.filename,
				     .block_size = o.block_size, .uuid = o.uuid};
	rc = bdev_uring_create(&p, out, err, sizeof(err));
	/* No RPC reply to carry the reason: the log is where a C caller looks. */
	if (rc != 0)
		SIO_ERRLOG("%s", err[0] != '\0' ? err : strerror(-rc));
	return rc;
}

int sio_bdev_uring_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return bdev_file_disk_delete(name, &sio_bdev_module_uring, cb, cb_arg);
}

int sio_bdev_uring_rescan(const char *name)
{
	return bdev_file_disk_rescan(name, &sio_bdev_module_uring);
}
