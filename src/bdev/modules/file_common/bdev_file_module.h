/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bdev_file_module.h
 * The bdev side the aio and uring modules share: the bdev object over a
 * struct bdev_file and its lifecycle (create, register, destruct, delete,
 * rescan), per-thread channel bookkeeping (poller, waiting and done lists)
 * with the engine queue behind a small ops table, the save_config and
 * dump_info skeletons, and the RPC handlers whose params are the same shape.
 *
 * What stays in each module: its engine calls (queue_io, the poll function,
 * draining), its own options, and its RPC table with SPDK's names.
 *
 * Hot path: submit and the poller's helpers below are static inline and take
 * the module's queue function as a constant, so the compiler calls it directly;
 * the only indirect call is the poller itself (one per batch, as before).
 */
#ifndef SIO_BDEV_FILE_MODULE_H
#define SIO_BDEV_FILE_MODULE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdev/modules/common/bdev_io_list.h"
#include "bdev/modules/common/module_rpc.h"
#include "bdev/modules/file_common/bdev_file.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"

struct bdev_file_channel;

/** What differs between engines, looked at once per channel (or per batch). */
struct bdev_file_engine_ops {
	const char *poller_name;   /**< e.g. "bdev_aio_poll" */
	size_t channel_size;       /**< sizeof the module channel (bdev_file_channel first) */
	/** Set up the engine queue of a new channel; log the reason on failure. */
	int (*init)(struct bdev_file_channel *ch);
	/** Tear the queue down; nothing is in flight any more. */
	void (*fini)(struct bdev_file_channel *ch);
	/** Wait for whatever the kernel still holds (channel going away). */
	void (*drain)(struct bdev_file_channel *ch);
	/** The channel poller: reap, complete, submit (one batch). */
	int (*poll)(void *ch);
};

/**
 * A bdev over a file. The module's own struct embeds it as its first member,
 * so the module struct's address is the io_device. The bdev is not the first
 * member: the core registers &bdev as its own io_device.
 */
struct bdev_file_disk {
	struct bdev_file file;
	struct sio_bdev bdev;
	char *name;
	char *filename;
	const struct bdev_file_engine_ops *ops;
};

/** Per-thread channel; the module's channel embeds it as its first member. */
struct bdev_file_channel {
	struct bdev_file_disk *disk;
	struct sio_poller *poller;
	struct bdev_io_list waiting; /* did not fit in the queue: queued when slots free up */
	struct bdev_io_list done;    /* finished without the kernel: completed by the poller */
};

/** Per-I/O context; the module's per-I/O struct embeds it as its first member. */
struct bdev_file_io {
	int status; /* result of an I/O finished without the kernel */
};

/** bdev_file_io_bytes() - Length of @io in bytes. */
static inline uint64_t bdev_file_io_bytes(const struct sio_bdev_io *io)
{
	return io->num_blocks * io->bdev->blocklen;
}

/**
 * bdev_file_complete_later() - Park @io for the poller with @status: the core
 * forbids completing inside submit_request().
 */
static inline void bdev_file_complete_later(struct bdev_file_channel *ch, struct sio_bdev_io *io,
					    int status)
{
	struct bdev_file_io *fio = sio_bdev_io_driver_ctx(io);

	fio->status = status;
	bdev_io_list_push(&ch->done, io);
}

/**
 * bdev_file_io_status() - Status of a read, write or other operation that
 * returned @res: a short transfer inside the file's size means the device
 * failed us (-EIO).
 */
static inline int bdev_file_io_status(const struct sio_bdev_io *io, int64_t res)
{
	if (res < 0)
		return (int)res;
	if (io->type == SIO_BDEV_IO_TYPE_READ || io->type == SIO_BDEV_IO_TYPE_WRITE)
		return (uint64_t)res == bdev_file_io_bytes(io) ? 0 : -EIO;
	return 0;
}

/**
 * bdev_file_complete_other() - For queue functions: finish @io, of a type no
 * engine carries, without the kernel (reset has nothing to do in a file: in-flight
 * I/O completes on its own; anything else is -ENOTSUP).
 * Return: 0 (@io is parked for the poller).
 */
static inline int bdev_file_complete_other(struct bdev_file_channel *ch, struct sio_bdev_io *io)
{
	bdev_file_complete_later(ch, io, io->type == SIO_BDEV_IO_TYPE_RESET ? 0 : -ENOTSUP);
	return 0;
}

/**
 * bdev_file_io_type_supported() - io_type_supported of a bdev over @disk:
 * reads, flushes and resets always, writes unless read-only, unmap and
 * write_zeroes when @dealloc and the file can do them.
 */
bool bdev_file_io_type_supported(const struct bdev_file_disk *disk, enum sio_bdev_io_type type,
				 bool dealloc);

/** Queue @io in the engine: 0, -EAGAIN when full, or a final error. */
typedef int (*bdev_file_queue_fn)(struct bdev_file_channel *ch, struct sio_bdev_io *io);

/**
 * bdev_file_submit() - submit_request() body: keep order with I/O already
 * waiting for slots, queue @io with @queue, park it when full.
 * Context: the channel's thread.
 */
static inline void bdev_file_submit(struct bdev_file_channel *ch, struct sio_bdev_io *io,
				    bdev_file_queue_fn queue)
{
	int rc;

	if (ch->waiting.head != NULL) {
		bdev_io_list_push(&ch->waiting, io);
		return;
	}
	rc = queue(ch, io);
	if (rc == -EAGAIN)
		bdev_io_list_push(&ch->waiting, io);
	else if (rc != 0)
		bdev_file_complete_later(ch, io, rc);
}

static inline int bdev_file_saved_status(struct sio_bdev_io *io)
{
	return ((struct bdev_file_io *)sio_bdev_io_driver_ctx(io))->status;
}

/**
 * bdev_file_complete_done() - Complete what finished without the kernel before
 * this poll.
 * Return: how many were completed.
 */
static inline int bdev_file_complete_done(struct bdev_file_channel *ch)
{
	return bdev_io_list_complete(&ch->done, bdev_file_saved_status);
}

/**
 * bdev_file_requeue_waiting() - Move waiting I/O into the engine with @queue
 * while it has room (@has_room(@q) true).
 */
static inline void bdev_file_requeue_waiting(struct bdev_file_channel *ch, bdev_file_queue_fn queue,
					     bool (*has_room)(const void *q), const void *q)
{
	struct sio_bdev_io *io;
	int rc;

	while (ch->waiting.head != NULL && has_room(q)) {
		io = bdev_io_list_pop(&ch->waiting);
		rc = queue(ch, io);
		if (rc != 0)
			bdev_file_complete_later(ch, io, rc);
	}
}

/**
 * bdev_file_disk_alloc() - Check @name and @filename, allocate @size bytes
 * (the module struct, bdev_file_disk first), parse @uuid and open the file.
 * @method: the create RPC's name, for messages.
 * @open_flags: enum bdev_file_flags.
 * @block_size: 0 to detect.
 * @out: receives the new disk; free it with bdev_file_disk_free() until registered.
 * Context: the app thread; blocking (open).
 * Return: 0; -EINVAL for a missing name or file, a bad UUID or block size;
 * -ENOMEM; the errors of bdev_file_open(). @err says why.
 */
int bdev_file_disk_alloc(size_t size, const char *method, const char *name, const char *filename,
			 const char *uuid, unsigned int open_flags, uint32_t block_size,
			 const struct bdev_file_engine_ops *ops, struct bdev_file_disk **out,
			 char *err, size_t errlen);

/**
 * bdev_file_disk_register() - Fill the bdev from the file, register the
 * io_device (channels per @disk->ops) and the bdev. On failure @disk is freed
 * (now or once its io_device is gone).
 * Context: the app thread.
 * Return: 0; -EEXIST for a taken name or UUID; the errno of registration.
 */
int bdev_file_disk_register(struct bdev_file_disk *disk, const char *product_name,
			    const struct sio_bdev_fn_table *fn_table,
			    struct sio_bdev_module *module, struct sio_bdev **out, char *err,
			    size_t errlen);

/** bdev_file_disk_free() - Close the file and free a disk that never registered. */
void bdev_file_disk_free(struct bdev_file_disk *disk);

/** bdev_file_disk_destruct() - fn_table destruct: unregister the io_device, then free. */
int bdev_file_disk_destruct(void *ctx);

/** bdev_file_disk_get_io_channel() - fn_table get_io_channel. */
struct sio_io_channel *bdev_file_disk_get_io_channel(void *ctx);

/**
 * bdev_file_disk_dump_info() - Set @driver_specific[@key] to {filename,
 * (the members of @extra, consumed, may be NULL), o_direct}.
 */
void bdev_file_disk_dump_info(struct bdev_file_disk *disk, json_t *driver_specific,
			      const char *key, json_t *extra);

/**
 * bdev_file_disk_write_config() - Append @method with {name, filename, (the
 * members of @extra, consumed, may be NULL), uuid} to @config.
 */
void bdev_file_disk_write_config(struct bdev_file_disk *disk, json_t *config,
				 const char *method, json_t *extra);

/**
 * bdev_file_disk_delete() - Unregister the @module bdev @name.
 * Context: a sio_thread.
 * Return: 0 (started); -EINVAL for a NULL name; -ENODEV when no such bdev of
 * @module; -EBUSY when already being deleted.
 */
int bdev_file_disk_delete(const char *name, struct sio_bdev_module *module, sio_done_cb cb,
			  void *cb_arg);

/**
 * bdev_file_disk_rescan() - Re-read the size of the file behind the @module
 * bdev @name and resize the bdev when it changed.
 * Context: the app thread.
 * Return: 0; -ENODEV for an unknown name; -EBUSY when shrinking with open
 * descriptors; the errno of reading the size.
 */
int bdev_file_disk_rescan(const char *name, struct sio_bdev_module *module);

/*
 * RPC: the handlers that are the same in both modules. Their delete and
 * rescan methods take bdev_module_rpc_name_params.
 */

/** Answer a create request: the bdev's name, or @err for @rc != 0. */
void bdev_file_rpc_create_reply(struct sio_rpc_request *req, int rc, struct sio_bdev *bdev,
				const char *err);

/** Delete the @module bdev named in @p, answering @req when done. */
void bdev_file_rpc_delete(struct sio_rpc_request *req, const struct bdev_module_rpc_name *p,
			  struct sio_bdev_module *module);

/** Rescan the @module bdev named in @p and answer @req. */
void bdev_file_rpc_rescan(struct sio_rpc_request *req, const struct bdev_module_rpc_name *p,
			  struct sio_bdev_module *module);

#endif /* SIO_BDEV_FILE_MODULE_H */
