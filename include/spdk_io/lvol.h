/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file lvol.h
 * Logical volumes: the lvol bdev module (src/bdev/modules/lvol). An lvstore
 * is a blobstore (spdk_io/blob.h) on a base bdev, claimed by the module; each
 * lvol is a blob exposed as a bdev named by its UUID with the alias
 * "<lvs_name>/<lvol_name>". The lvstore's name and UUID live in its super
 * blob, each lvol's in its blob's xattrs, so the bdev layer's examine step
 * finds the lvstore and its lvols again when the base bdev appears at the
 * next start. See docs/blob.md.
 *
 * Every call is a callback form (0 = started, @cb runs once later, never
 * inside the call; negative errno = not started) with an `_await` twin.
 * Context: the app thread (the thread that created or found the lvstore).
 * Completion errors: -ENOENT unknown lvstore/lvol/base bdev; -EEXIST name
 * taken; -EINVAL bad argument (empty name, size 0); -EBUSY a snapshot with
 * clones, a claimed base; -ENOSPC; -EIO; the blobstore's errors.
 */
#ifndef SPDK_IO_LVOL_H
#define SPDK_IO_LVOL_H

#include <stdbool.h>
#include <stdint.h>

#include "spdk_io/async.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * sio_lvol_set_examine() - Whether the lvol module examines new bdevs for an
 * lvstore (reads their first 8 KiB and loads a store it finds, registering
 * its lvols).
 * @enable: true (the default) to examine, false to leave new bdevs alone.
 *
 * On by default, so lvstores come back when their base bdevs are created
 * again (after a restart, from a JSON config). The probe is one 8 KiB read
 * per new bdev that no module has claimed; it counts in that bdev's I/O
 * statistics like any read (SPDK's iostat counts its examine reads too), so
 * a program that compares statistics waits for sio_bdev_wait_for_examine()
 * first. Turning it off is for programs that never keep lvstores and want
 * no I/O they did not ask for.
 * Context: any thread, before the bdevs to examine are registered (a bdev
 * registered earlier was examined, or not, under the old setting).
 */
void sio_lvol_set_examine(bool enable);

/** Longest lvstore or lvol name, without the NUL. */
#define SIO_LVOL_NAME_MAX 63

/**
 * sio_lvs_create() - Make an lvstore named @lvs_name on bdev @bdev_name.
 * @cluster_sz: bytes, 0 for 4 MiB. @uuid_out: if not NULL, the lvstore's UUID (37 bytes).
 */
int sio_lvs_create(const char *bdev_name, const char *lvs_name, uint32_t cluster_sz,
		   char *uuid_out, sio_done_cb cb, void *cb_arg);
/** sio_lvs_destroy() - Delete every lvol of the lvstore and erase it from its base. */
int sio_lvs_destroy(const char *lvs_name, sio_done_cb cb, void *cb_arg);
/** sio_lvs_rename() - Rename an lvstore (its lvols' aliases follow). */
int sio_lvs_rename(const char *old_name, const char *new_name, sio_done_cb cb, void *cb_arg);
/** sio_lvs_grow() - Take in the clusters its base bdev gained. */
int sio_lvs_grow(const char *lvs_name, sio_done_cb cb, void *cb_arg);
/** sio_lvs_find() - Name of the lvstore with UUID @uuid (NULL if none). Context: app thread. */
const char *sio_lvs_find(const char *uuid);

/**
 * sio_lvol_create() - Create lvol @lvol_name of @size_bytes (rounded up to
 * whole clusters) in lvstore @lvs_name; @uuid_out (37 bytes) gets its bdev name.
 */
int sio_lvol_create(const char *lvs_name, const char *lvol_name, uint64_t size_bytes,
		    bool thin, char *uuid_out, sio_done_cb cb, void *cb_arg);
/** sio_lvol_delete() - Delete the lvol bdev @name (UUID or "lvs/lvol"). */
int sio_lvol_delete(const char *name, sio_done_cb cb, void *cb_arg);
/** sio_lvol_resize() - Resize lvol @name to @size_bytes (rounded up to clusters). */
int sio_lvol_resize(const char *name, uint64_t size_bytes, sio_done_cb cb, void *cb_arg);
/** sio_lvol_snapshot() - Snapshot lvol @name as @snap_name (a read-only lvol). */
int sio_lvol_snapshot(const char *name, const char *snap_name, char *uuid_out, sio_done_cb cb,
		      void *cb_arg);
/** sio_lvol_clone() - A thin lvol @clone_name over snapshot @snap (copy on write). */
int sio_lvol_clone(const char *snap, const char *clone_name, char *uuid_out, sio_done_cb cb,
		   void *cb_arg);
/** sio_lvol_inflate() - Allocate every cluster of @name and drop its parent. */
int sio_lvol_inflate(const char *name, sio_done_cb cb, void *cb_arg);
/** sio_lvol_decouple_parent() - Copy the parent's clusters into @name, take the grandparent. */
int sio_lvol_decouple_parent(const char *name, sio_done_cb cb, void *cb_arg);
/** sio_lvol_rename() - Rename lvol @name to @new_name (same lvstore). */
int sio_lvol_rename(const char *name, const char *new_name, sio_done_cb cb, void *cb_arg);
/** sio_lvol_set_read_only() - Make lvol @name read-only, persistently. */
int sio_lvol_set_read_only(const char *name, sio_done_cb cb, void *cb_arg);

int sio_lvs_create_await(const char *bdev_name, const char *lvs_name, uint32_t cluster_sz,
			 char *uuid_out);
int sio_lvs_destroy_await(const char *lvs_name);
int sio_lvs_rename_await(const char *old_name, const char *new_name);
int sio_lvs_grow_await(const char *lvs_name);
int sio_lvol_create_await(const char *lvs_name, const char *lvol_name, uint64_t size_bytes,
			  bool thin, char *uuid_out);
int sio_lvol_delete_await(const char *name);
int sio_lvol_resize_await(const char *name, uint64_t size_bytes);
int sio_lvol_snapshot_await(const char *name, const char *snap_name, char *uuid_out);
int sio_lvol_clone_await(const char *snap, const char *clone_name, char *uuid_out);
int sio_lvol_inflate_await(const char *name);
int sio_lvol_decouple_parent_await(const char *name);
int sio_lvol_rename_await(const char *name, const char *new_name);
int sio_lvol_set_read_only_await(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_LVOL_H */
