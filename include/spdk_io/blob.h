/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file blob.h
 * The blob layer: a blobstore over a block-device interface of its own
 * (struct sio_blob_dev), holding blobs: arrays of clusters with xattrs,
 * thin provisioning, snapshots and clones. See docs/blob.md.
 *
 * Threads: the thread that inits or loads a store is its metadata thread;
 * every metadata call (create, open, close, delete, resize, sync, xattrs,
 * snapshot, clone, inflate, decouple, unload) runs there. I/O runs on any
 * sio_thread through that thread's channel (sio_bs_alloc_io_channel()).
 *
 * Every operation has a callback form, returning 0 (started: @cb runs exactly
 * once; metadata callbacks never inside the call, I/O callbacks inside it
 * when the device completes there or nothing reaches the device, as a read
 * of an unallocated cluster) or a negative errno (not started), and an
 * awaitable form `_await` for tasks (see spdk_io/async.h). Results other than
 * an rc (a store, a blob id, a blob handle) are written through an out
 * pointer before @cb runs.
 *
 * Crash consistency: every metadata update is written as new pages and
 * committed by one page written to the slot that does not hold the current
 * version, each page checksummed (CRC32C); a torn or missing commit leaves the
 * previous version in force, and the cluster allocation map is recomputed
 * from the blobs at every load, so no load ever sees a torn store.
 */
#ifndef SPDK_IO_BLOB_H
#define SPDK_IO_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "spdk_io/async.h"
#include "spdk_io/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* The block-device interface                                               */
/* ------------------------------------------------------------------------ */

/**
 * struct sio_blob_dev - A block device as the blobstore sees it.
 * Implemented over RAM (sio_blob_ram_dev_create()) and over a bdev (the lvol
 * module). Every I/O op returns 0 (started; @cb runs exactly once, possibly
 * inside the call) or a negative errno (not started); offsets and counts are
 * in @blocklen units. @ch is the channel @create_channel returned on the
 * calling thread. The blobstore calls @destroy once it no longer needs the
 * device (unload, or a failed init/load).
 */
struct sio_blob_dev {
	uint32_t blocklen;   /**< bytes per block; divides 4096 */
	uint64_t blockcnt;   /**< blocks */
	/** Channel for the calling thread; NULL with errno on failure. */
	struct sio_io_channel *(*create_channel)(struct sio_blob_dev *dev);
	/** Release a channel from @create_channel, on its thread. */
	void (*destroy_channel)(struct sio_blob_dev *dev, struct sio_io_channel *ch);
	/** Release the device; called on the metadata thread. */
	void (*destroy)(struct sio_blob_dev *dev);
	int (*read)(struct sio_blob_dev *dev, struct sio_io_channel *ch, void *buf, uint64_t lba,
		    uint32_t count, sio_done_cb cb, void *cb_arg);
	int (*write)(struct sio_blob_dev *dev, struct sio_io_channel *ch, void *buf, uint64_t lba,
		     uint32_t count, sio_done_cb cb, void *cb_arg);
	int (*readv)(struct sio_blob_dev *dev, struct sio_io_channel *ch, struct iovec *iov,
		     int iovcnt, uint64_t lba, uint32_t count, sio_done_cb cb, void *cb_arg);
	int (*writev)(struct sio_blob_dev *dev, struct sio_io_channel *ch, struct iovec *iov,
		      int iovcnt, uint64_t lba, uint32_t count, sio_done_cb cb, void *cb_arg);
	/** Deallocate; the blocks read back as zeroes or their old content. */
	int (*unmap)(struct sio_blob_dev *dev, struct sio_io_channel *ch, uint64_t lba,
		     uint64_t count, sio_done_cb cb, void *cb_arg);
	/** The blocks read back as zeroes. */
	int (*write_zeroes)(struct sio_blob_dev *dev, struct sio_io_channel *ch, uint64_t lba,
			    uint64_t count, sio_done_cb cb, void *cb_arg);
	/** Every write completed before this call is durable when @cb runs. */
	int (*flush)(struct sio_blob_dev *dev, struct sio_io_channel *ch, sio_done_cb cb,
		     void *cb_arg);
};

/**
 * sio_blob_ram_dev_create() - A sio_blob_dev in memory (for tests and examples).
 * Completions run inside the call. Unmap and write zeroes both zero the blocks.
 * @blocklen: 512, 1024, 2048 or 4096.
 * @blockcnt: blocks (> 0).
 * @image: if not NULL, @blocklen * @blockcnt bytes copied in as the initial content
 *         (a "restart" from a crash image); else the device starts zeroed.
 * @devp: the device (owned by the caller until handed to sio_bs_init()/load()).
 * Context: any thread.
 * Return: 0; -EINVAL for a bad size or NULL @devp; -ENOMEM.
 */
int sio_blob_ram_dev_create(uint32_t blocklen, uint64_t blockcnt, const void *image,
			    struct sio_blob_dev **devp);

/**
 * sio_blob_ram_dev_set_fault() - Simulate a power cut: after @writes_left more
 * write operations (write, writev, unmap, write zeroes) the device takes a
 * crash image; the next write is torn into it (its first @tear_blocks blocks
 * only, 0 for none) and every later write still reaches what reads see but not
 * the image. The device keeps reporting success throughout, as a drive whose
 * power is about to fail does.
 * Context: any thread, while no I/O runs on @dev. Return: 0; -EINVAL for a
 * device not made by sio_blob_ram_dev_create().
 */
int sio_blob_ram_dev_set_fault(struct sio_blob_dev *dev, uint64_t writes_left,
			       uint32_t tear_blocks);

/**
 * sio_blob_ram_dev_image() - What survived the simulated power cut: the crash
 * image if the fault fired, else the current content. Valid until @dev is
 * destroyed; @blocklen * @blockcnt bytes.
 * Context: any thread, while no I/O runs. Return: the bytes; NULL for a bad @dev.
 */
const void *sio_blob_ram_dev_image(struct sio_blob_dev *dev);

/** sio_blob_ram_dev_writes() - Write operations the device has seen (for fault sweeps). */
uint64_t sio_blob_ram_dev_writes(struct sio_blob_dev *dev);

/* ------------------------------------------------------------------------ */
/* The store                                                                */
/* ------------------------------------------------------------------------ */

struct sio_blob_store;
struct sio_blob;
/** A blob's identity in its store: stable across loads. 0 is never a blob. */
typedef uint64_t sio_blob_id;

/** Options of sio_bs_init(). */
struct sio_bs_opts {
	size_t opts_size;      /**< sizeof as the caller knows it; set by _init() */
	uint32_t cluster_sz;   /**< bytes per cluster, a power of two >= 16 KiB; default 1 MiB */
	uint32_t num_md_pages; /**< 4 KiB metadata pages; default one per cluster (min 64) */
	uint32_t max_blobs;    /**< blobs the store can hold; default num_md_pages / 4 */
	char bstype[16];       /**< a type tag kept in the super block (lvol uses "LVOLSTORE") */
};

/**
 * sio_bs_opts_init() - Fill @opts with defaults. @opts_size: sizeof(*opts).
 * Context: any.
 */
void sio_bs_opts_init(struct sio_bs_opts *opts, size_t opts_size);

/**
 * sio_bs_init() - Format @dev as an empty blobstore and open it.
 * The store owns @dev from this call on (also when it fails: it is destroyed
 * before @cb runs). The calling thread becomes the metadata thread.
 * @opts: NULL for defaults.
 * @bsp: set to the store before @cb runs with 0.
 * Context: a sio_thread. Return: 0 (started); -EINVAL for NULL arguments or
 * bad options (cluster size, device too small for the metadata); -EPERM with
 * no current thread; -ENOMEM. Completion rc: 0; -EIO; -ENOSPC.
 */
int sio_bs_init(struct sio_blob_dev *dev, const struct sio_bs_opts *opts,
		struct sio_blob_store **bsp, sio_done_cb cb, void *cb_arg);

/**
 * sio_bs_load() - Open the blobstore on @dev: pick the newest valid super
 * block, the newest valid version of every blob, drop unfinished snapshots,
 * and recompute the cluster allocation map. Ownership of @dev as in init.
 * @bstype: if not NULL and not empty, the store's tag must match.
 * Context: a sio_thread. Return: 0 (started); -EINVAL; -EPERM; -ENOMEM.
 * Completion rc: 0; -EILSEQ no valid super block (not a blobstore, or both
 * copies damaged); -EUCLEAN metadata damaged beyond recovery (a cluster
 * claimed twice, a page out of range); -EXDEV @bstype mismatch; -EIO.
 */
int sio_bs_load(struct sio_blob_dev *dev, const char *bstype, struct sio_blob_store **bsp,
		sio_done_cb cb, void *cb_arg);

/**
 * sio_bs_unload() - Flush and close @bs, destroy its device, free it.
 * Context: the metadata thread, with no blob open; every channel must have
 * been put back (the store completes only once the last one is gone).
 * Return: 0 (started); -EINVAL; -EPERM wrong thread; -EBUSY blobs open or an
 * unload already started. Completion rc: 0; -EIO (the store is freed anyway).
 */
int sio_bs_unload(struct sio_blob_store *bs, sio_done_cb cb, void *cb_arg);

/**
 * sio_bs_destroy() - As sio_bs_unload(), after erasing both super block
 * slots, so no later load finds the store.
 * Context: the metadata thread, with no blob open. Return and completion: as unload.
 */
int sio_bs_destroy(struct sio_blob_store *bs, sio_done_cb cb, void *cb_arg);

/**
 * sio_bs_probe() - Whether @buf, the first 8 KiB of a device, holds a valid
 * super block of a blobstore (of type @bstype unless NULL or empty): a cheap
 * look before a full load.
 * Context: any. Return: true or false.
 */
bool sio_bs_probe(const void *buf, size_t len, const char *bstype);

/**
 * sio_bs_grow() - Take in the clusters the device gained since the store was
 * made (the device's blockcnt grew): the super block records the new count.
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -EIO.
 */
int sio_bs_grow(struct sio_blob_store *bs, sio_done_cb cb, void *cb_arg);

/**
 * sio_bs_set_super() - Record @id as the store's super blob (0 clears it),
 * persisted in the super block. Context: the metadata thread.
 * Return: 0 (started); -EINVAL; -EPERM; -ENOENT no such blob. Completion: 0; -EIO.
 */
int sio_bs_set_super(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb, void *cb_arg);
/** sio_bs_get_super() - The super blob's id, 0 if none. Context: metadata thread. */
sio_blob_id sio_bs_get_super(struct sio_blob_store *bs);

/* Store geometry (any thread, while the store is open). */
/** sio_bs_get_cluster_size() - Bytes per cluster. */
uint64_t sio_bs_get_cluster_size(struct sio_blob_store *bs);
/** sio_bs_get_io_unit_size() - Bytes per io unit (the device's block length). */
uint32_t sio_bs_get_io_unit_size(struct sio_blob_store *bs);
/** sio_bs_total_data_clusters() - Clusters usable for data. */
uint64_t sio_bs_total_data_clusters(struct sio_blob_store *bs);
/** sio_bs_free_cluster_count() - Data clusters not owned by any blob. Context: metadata thread. */
uint64_t sio_bs_free_cluster_count(struct sio_blob_store *bs);
/** sio_bs_get_dev() - The device the store runs on. */
struct sio_blob_dev *sio_bs_get_dev(struct sio_blob_store *bs);

/**
 * sio_bs_iter() - Call @fn(@arg, id) for every blob of the store, in id order;
 * a non-zero return stops the walk and is returned.
 * Context: the metadata thread; @fn must not create or delete blobs.
 * Return: 0 or @fn's value; -EINVAL.
 */
int sio_bs_iter(struct sio_blob_store *bs, int (*fn)(void *arg, sio_blob_id id), void *arg);

/**
 * sio_bs_alloc_io_channel() - The calling thread's channel for blob I/O
 * (ref-counted: one per thread; put it back with sio_bs_free_io_channel()).
 * Context: a sio_thread. Return: the channel, or NULL with errno set.
 */
struct sio_io_channel *sio_bs_alloc_io_channel(struct sio_blob_store *bs);
/** sio_bs_free_io_channel() - Put back a channel, on its thread. */
void sio_bs_free_io_channel(struct sio_io_channel *ch);

/* ------------------------------------------------------------------------ */
/* Blobs                                                                    */
/* ------------------------------------------------------------------------ */

/** An extended attribute given at creation. */
struct sio_blob_xattr {
	const char *name;   /**< NUL-terminated, 1..255 bytes */
	const void *value;
	uint16_t value_len; /**< up to 4000 bytes */
};

/** Options of sio_blob_create(). */
struct sio_blob_opts {
	size_t opts_size;                   /**< set by _init() */
	uint64_t num_clusters;              /**< initial size; default 0 */
	bool thin_provision;                /**< allocate clusters on first write */
	const struct sio_blob_xattr *xattrs; /**< copied; may be NULL */
	uint32_t xattr_count;
};
/** sio_blob_opts_init() - Defaults (empty thick blob, no xattrs). Context: any. */
void sio_blob_opts_init(struct sio_blob_opts *opts, size_t opts_size);

/**
 * sio_blob_create() - Create a blob and persist it; *@idp is its id.
 * Context: the metadata thread. Return: 0 (started); -EINVAL bad arguments or
 * xattrs; -EPERM wrong thread. Completion rc: 0; -ENOSPC no cluster or blob
 * slot or metadata page left; -EIO.
 */
int sio_blob_create(struct sio_blob_store *bs, const struct sio_blob_opts *opts,
		    sio_blob_id *idp, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_open() - Open blob @id; *@blobp is the handle (the same handle for
 * every open of one blob, reference-counted: close once per open).
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -ENOENT no such blob.
 */
int sio_blob_open(struct sio_blob_store *bs, sio_blob_id id, struct sio_blob **blobp,
		  sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_close() - Drop one open reference; the last one syncs unsaved
 * metadata (xattrs, read-only flag). No I/O may be in flight on @blob.
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -EIO (the reference is dropped anyway).
 */
int sio_blob_close(struct sio_blob *blob, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_delete() - Delete blob @id and free its clusters. A snapshot with
 * exactly one clone is deleted into that clone: the clone takes the
 * snapshot's clusters it has not written itself, its parent becomes the
 * snapshot's parent, and what it reads is unchanged (crash-safe: a load sees
 * the snapshot or the merged clone, never both owning the clusters); I/O of
 * the blobs below the snapshot is held meanwhile.
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -ENOENT; -EBUSY open, or a snapshot with more than one
 * clone; -EIO.
 */
int sio_blob_delete(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_resize() - Set @blob's size to @num_clusters and persist it (with
 * any unsaved xattrs). A thick blob allocates (zeroed) clusters when it grows;
 * shrinking frees the clusters past the end. I/O on the blob is held while
 * the cluster map changes.
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -EPERM read-only blob; -ENOSPC; -EIO.
 */
int sio_blob_resize(struct sio_blob *blob, uint64_t num_clusters, sio_done_cb cb,
		    void *cb_arg);

/**
 * sio_blob_sync_md() - Persist @blob's in-memory metadata (xattrs, read-only).
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -ENOSPC metadata pages; -EIO.
 */
int sio_blob_sync_md(struct sio_blob *blob, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_set_xattr() - Set (or replace) xattr @name in memory; persisted by
 * the next sync, resize or close. Context: the metadata thread.
 * Return: 0; -EINVAL bad name or length; -EPERM wrong thread or read-only blob;
 * -ENOMEM; -ENOSPC too many xattrs (64) for one blob.
 */
int sio_blob_set_xattr(struct sio_blob *blob, const char *name, const void *value,
		       uint16_t value_len);
/**
 * sio_blob_get_xattr() - Point *@value and *@len at xattr @name's value (valid
 * until it is changed or the blob closed). Context: the metadata thread.
 * Return: 0; -EINVAL; -ENOENT no such xattr.
 */
int sio_blob_get_xattr(struct sio_blob *blob, const char *name, const void **value,
		       size_t *len);
/**
 * sio_blob_remove_xattr() - Remove xattr @name (in memory, as set).
 * Context: the metadata thread. Return: 0; -EINVAL; -EPERM read-only; -ENOENT.
 */
int sio_blob_remove_xattr(struct sio_blob *blob, const char *name);
/**
 * sio_blob_xattr_names() - Put up to @max names into @names (pointers valid as
 * in get); Return: the total number of xattrs (may exceed @max); -EINVAL.
 * Context: the metadata thread.
 */
int sio_blob_xattr_names(struct sio_blob *blob, const char **names, size_t max);

/**
 * sio_blob_set_read_only() - Mark @blob read-only (in memory; persisted by the
 * next sync or close): writes fail with -EPERM from now on, resize refuses.
 * Context: the metadata thread. Return: 0; -EINVAL; -EPERM wrong thread.
 */
int sio_blob_set_read_only(struct sio_blob *blob);

/* Blob accessors: any thread, while the blob is open. */
/** sio_blob_get_id() - The blob's id. */
sio_blob_id sio_blob_get_id(const struct sio_blob *blob);
/** sio_blob_get_num_clusters() - Size in clusters. */
uint64_t sio_blob_get_num_clusters(const struct sio_blob *blob);
/** sio_blob_get_num_io_units() - Size in io units. */
uint64_t sio_blob_get_num_io_units(const struct sio_blob *blob);
/** sio_blob_get_num_allocated_clusters() - Clusters the blob itself owns. Context: metadata thread. */
uint64_t sio_blob_get_num_allocated_clusters(const struct sio_blob *blob);
/** sio_blob_is_thin() - Whether the blob allocates on first write. */
bool sio_blob_is_thin(const struct sio_blob *blob);
/** sio_blob_is_read_only() - Whether writes are refused. */
bool sio_blob_is_read_only(const struct sio_blob *blob);
/** sio_blob_is_snapshot() - Whether the blob is a snapshot (read-only, may have clones). */
bool sio_blob_is_snapshot(const struct sio_blob *blob);
/** sio_blob_get_parent() - The blob it reads unallocated clusters from, 0 if none. */
sio_blob_id sio_blob_get_parent(const struct sio_blob *blob);
/** sio_bs_get_blob_parent() - As above by id, without opening; 0 for none or no such blob. Context: metadata thread. */
sio_blob_id sio_bs_get_blob_parent(struct sio_blob_store *bs, sio_blob_id id);
/** sio_bs_blob_clone_count() - Blobs whose parent is @id. Context: metadata thread. */
uint32_t sio_bs_blob_clone_count(struct sio_blob_store *bs, sio_blob_id id);

/**
 * sio_blob_snapshot() - Snapshot @id: a new read-only blob takes over the
 * blob's clusters (and a copy of its xattrs plus @xattrs), and the blob becomes
 * a thin clone of it, so the snapshot keeps today's data and new writes to
 * the blob copy on write. I/O on the blob is held meanwhile. *@snapp is the
 * snapshot's id. Context: the metadata thread. Return: 0 (started); -EINVAL;
 * -EPERM. Completion rc: 0; -ENOENT; -EPERM a read-only blob; -ENOSPC; -EIO.
 */
int sio_blob_snapshot(struct sio_blob_store *bs, sio_blob_id id,
		      const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
		      sio_blob_id *snapp, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_clone() - A new thin blob whose unallocated clusters read from the
 * read-only blob @snap_id; writes copy on write. *@clonep is its id.
 * Context: the metadata thread. Return: 0 (started); -EINVAL; -EPERM.
 * Completion rc: 0; -ENOENT; -EINVAL @snap_id is not read-only; -ENOSPC; -EIO.
 */
int sio_blob_clone(struct sio_blob_store *bs, sio_blob_id snap_id,
		   const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
		   sio_blob_id *clonep, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_inflate() - Allocate every cluster of blob @id (copying what it
 * read through its parents, zero where nothing), then drop the parent: the
 * blob becomes thick and stands alone. Context: the metadata thread.
 * Return: 0 (started); -EINVAL; -EPERM. Completion rc: 0; -ENOENT; -ENOSPC; -EIO.
 */
int sio_blob_inflate(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb, void *cb_arg);

/**
 * sio_blob_decouple_parent() - Copy into blob @id the clusters its parent owns
 * and the blob does not, then make the parent's parent its own (none if the
 * parent had none). Thin stays thin. Context: the metadata thread.
 * Return: 0 (started); -EINVAL; -EPERM. Completion rc: 0; -ENOENT; -EINVAL no
 * parent; -ENOSPC; -EIO.
 */
int sio_blob_decouple_parent(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb,
			     void *cb_arg);

/* ------------------------------------------------------------------------ */
/* I/O, in io units, through the calling thread's channel                   */
/* ------------------------------------------------------------------------ */

/*
 * Common rules of the I/O calls: @ch from sio_bs_alloc_io_channel() on the
 * calling thread; @offset and @length in io units inside the blob; up to 64
 * iovecs. A write to an unallocated cluster of a thin blob or a clone first
 * has the metadata thread allocate it (zeroed, or copied from the parent) and
 * persist the blob's cluster map. Per-I/O state comes from the channel's pool:
 * nothing is allocated.
 * Context: any sio_thread with its channel. Return: 0 (started); -EINVAL
 * bad arguments or out of range; -EPERM write to a read-only blob; -ENOMEM
 * the channel's request pool (1024) is exhausted. Completion rc: 0; -EIO;
 * -ENOSPC no cluster left for a thin write.
 */
int sio_blob_read(struct sio_blob *blob, struct sio_io_channel *ch, void *buf, uint64_t offset,
		  uint64_t length, sio_done_cb cb, void *cb_arg);
int sio_blob_write(struct sio_blob *blob, struct sio_io_channel *ch, void *buf, uint64_t offset,
		   uint64_t length, sio_done_cb cb, void *cb_arg);
int sio_blob_readv(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
		   int iovcnt, uint64_t offset, uint64_t length, sio_done_cb cb, void *cb_arg);
int sio_blob_writev(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
		    int iovcnt, uint64_t offset, uint64_t length, sio_done_cb cb, void *cb_arg);
/** Unmap: allocated clusters are unmapped on the device; unallocated ones stay so. */
int sio_blob_unmap(struct sio_blob *blob, struct sio_io_channel *ch, uint64_t offset,
		   uint64_t length, sio_done_cb cb, void *cb_arg);
/** Write zeroes: the range reads back as zeroes. */
int sio_blob_write_zeroes(struct sio_blob *blob, struct sio_io_channel *ch, uint64_t offset,
			  uint64_t length, sio_done_cb cb, void *cb_arg);
/** Flush the device: completed writes of every blob are durable when it completes. */
int sio_blob_flush(struct sio_blob *blob, struct sio_io_channel *ch, sio_done_cb cb,
		   void *cb_arg);

/**
 * sio_blob_direct_start() - Map a read or write that the caller will do on the
 * store's device itself, without a blob request: the fast path of a layer that
 * owns the device under the store (the lvol module sends it to the base bdev
 * as a child of its own bdev_io, docs/blob.md "Direct I/O").
 * @blob: an open blob.
 * @ch: the calling thread's channel (sio_bs_alloc_io_channel()).
 * @write: a write (else a read).
 * @offset: first io unit in the blob.
 * @length: io units.
 * @dev_lba: out: the device block where @offset lives (a block is an io unit).
 * @dev_ch: out: @ch's device channel (the one the device's create_channel made).
 *
 * Only the common case is mapped: the whole range inside one cluster that is
 * allocated (for a write, by @blob itself; for a read, by it or an ancestor:
 * a clone reads its parent's cluster), a blob that is not frozen and, for a
 * write, not read-only. Everything else (a cluster to allocate or copy, a
 * zero fill, several clusters, a frozen or read-only blob, an out-of-range or
 * empty request) gets -EAGAIN and belongs to sio_blob_readv()/writev(), which
 * do it or report the error. On success the I/O counts as in flight on @ch:
 * a freeze of the blob (snapshot, resize, inflate) waits for it until the
 * caller calls sio_blob_direct_done(@ch), exactly once, after the device I/O
 * completed (or failed to start). Costs a cluster lookup and a counter: no
 * request, no callback of its own.
 * Context: the thread of @ch (a different one gets -EAGAIN).
 * Return: 0 (mapped); -EAGAIN (use the general calls).
 */
int sio_blob_direct_start(struct sio_blob *blob, struct sio_io_channel *ch, bool write,
			  uint64_t offset, uint64_t length, uint64_t *dev_lba,
			  struct sio_io_channel **dev_ch);

/**
 * sio_blob_direct_done() - End an I/O mapped by sio_blob_direct_start() on
 * @ch: it no longer holds back a freeze.
 * Context: the thread of @ch.
 */
void sio_blob_direct_done(struct sio_io_channel *ch);

/* ------------------------------------------------------------------------ */
/* Awaitable forms: the callback form through SIO_AWAIT_CALL()             */
/* Context: inside a task (the metadata thread's task for metadata calls).  */
/* Return: the call's start error, else its completion rc; -EPERM outside a */
/* task.                                                                    */
/* ------------------------------------------------------------------------ */

int sio_bs_init_await(struct sio_blob_dev *dev, const struct sio_bs_opts *opts,
		      struct sio_blob_store **bsp);
int sio_bs_load_await(struct sio_blob_dev *dev, const char *bstype, struct sio_blob_store **bsp);
int sio_bs_unload_await(struct sio_blob_store *bs);
int sio_bs_destroy_await(struct sio_blob_store *bs);
int sio_bs_grow_await(struct sio_blob_store *bs);
int sio_bs_set_super_await(struct sio_blob_store *bs, sio_blob_id id);
int sio_blob_create_await(struct sio_blob_store *bs, const struct sio_blob_opts *opts,
			  sio_blob_id *idp);
int sio_blob_open_await(struct sio_blob_store *bs, sio_blob_id id, struct sio_blob **blobp);
int sio_blob_close_await(struct sio_blob *blob);
int sio_blob_delete_await(struct sio_blob_store *bs, sio_blob_id id);
int sio_blob_resize_await(struct sio_blob *blob, uint64_t num_clusters);
int sio_blob_sync_md_await(struct sio_blob *blob);
int sio_blob_snapshot_await(struct sio_blob_store *bs, sio_blob_id id,
			    const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
			    sio_blob_id *snapp);
int sio_blob_clone_await(struct sio_blob_store *bs, sio_blob_id snap_id,
			 const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
			 sio_blob_id *clonep);
int sio_blob_inflate_await(struct sio_blob_store *bs, sio_blob_id id);
int sio_blob_decouple_parent_await(struct sio_blob_store *bs, sio_blob_id id);
int sio_blob_read_await(struct sio_blob *blob, struct sio_io_channel *ch, void *buf,
			uint64_t offset, uint64_t length);
int sio_blob_write_await(struct sio_blob *blob, struct sio_io_channel *ch, void *buf,
			 uint64_t offset, uint64_t length);
int sio_blob_readv_await(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
			 int iovcnt, uint64_t offset, uint64_t length);
int sio_blob_writev_await(struct sio_blob *blob, struct sio_io_channel *ch, struct iovec *iov,
			  int iovcnt, uint64_t offset, uint64_t length);
int sio_blob_unmap_await(struct sio_blob *blob, struct sio_io_channel *ch, uint64_t offset,
			 uint64_t length);
int sio_blob_write_zeroes_await(struct sio_blob *blob, struct sio_io_channel *ch,
				uint64_t offset, uint64_t length);
int sio_blob_flush_await(struct sio_blob *blob, struct sio_io_channel *ch);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_BLOB_H */
