/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file module_rpc.h
 * RPC glue that is the same in several modules: the {"name"} parameter of
 * the methods that take only a bdev's name, the handler body of bdev_X_delete,
 * and the disk-layout checks of bdev_malloc_create and bdev_null_create. Each
 * module keeps its own method table with SPDK's names, and its own parameter
 * tables where they differ.
 *
 * aio and uring take the {"name"} parameter but delete through
 * file_common/bdev_file_rpc.c: their "no such bdev" message names the module.
 */
#ifndef SIO_BDEV_MODULE_RPC_H
#define SIO_BDEV_MODULE_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include "spdk_io/async.h"
#include "spdk_io/rpc.h"

/** Params of a method whose only parameter is the bdev's name. */
struct bdev_module_rpc_name {
	const char *name;
};

/** {"name", required} for struct bdev_module_rpc_name; BDEV_MODULE_RPC_NAME_COUNT entries. */
extern const struct sio_rpc_param bdev_module_rpc_name_params[];
#define BDEV_MODULE_RPC_NAME_COUNT 1

/** A module's sio_bdev_X_delete(). */
typedef int (*bdev_module_delete_fn)(const char *name, sio_done_cb cb, void *cb_arg);

/**
 * bdev_module_rpc_delete() - Handler body of bdev_X_delete: @delete_fn the bdev
 * named in @p and answer @req once it is gone, or with the errno it failed with.
 * Context: the RPC handler's thread.
 */
void bdev_module_rpc_delete(struct sio_rpc_request *req, const struct bdev_module_rpc_name *p,
			    bdev_module_delete_fn delete_fn);

/**
 * bdev_module_rpc_check_disk() - Refuse, with -32602 and a message naming
 * the request's method, a layout a RAM disk cannot have: metadata or
 * protection information (@md_size, @dif_type non-zero), a @block_size that
 * is not a multiple of 512, zero @num_blocks.
 * Context: the RPC handler's thread.
 * Return: true when the layout is fine; false when @req has been answered.
 */
bool bdev_module_rpc_check_disk(struct sio_rpc_request *req, uint32_t md_size, int32_t dif_type,
				uint32_t block_size, uint64_t num_blocks);

#endif /* SIO_BDEV_MODULE_RPC_H */
