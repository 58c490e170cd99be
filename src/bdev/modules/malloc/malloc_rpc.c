/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_malloc_create / bdev_malloc_delete with SPDK's parameters. Metadata
 * and protection information are not supported: non-zero values are refused
 * with a message; physical_block_size and numa_id are accepted and ignored.
 */
#include <errno.h>

#include "bdev/modules/common/module_rpc.h"
#include "bdev/modules/malloc/malloc.h"
#include "spdk_io/rpc.h"

struct malloc_create_params {
	const char *name;
	uint32_t block_size;
	uint64_t num_blocks;
	const char *uuid;
	uint32_t optimal_io_boundary;
	uint32_t md_size;
	bool md_interleave;
	int32_t dif_type;
	bool dif_is_head_of_md;
	uint32_t physical_block_size;
	uint32_t dif_pi_format;
	int32_t numa_id;
};

#define P(n, t, r, f) SIO_RPC_PARAM(n, t, r, struct malloc_create_params, f)
static const struct sio_rpc_param malloc_create_params[] = {
	P("name", SIO_RPC_STRING, false, name),
	P("block_size", SIO_RPC_UINT32, true, block_size),
	P("num_blocks", SIO_RPC_UINT64, true, num_blocks),
	P("uuid", SIO_RPC_UUID, false, uuid),
	P("optimal_io_boundary", SIO_RPC_UINT32, false, optimal_io_boundary),
	P("md_size", SIO_RPC_UINT32, false, md_size),
	P("md_interleave", SIO_RPC_BOOL, false, md_interleave),
	P("dif_type", SIO_RPC_INT32, false, dif_type),
	P("dif_is_head_of_md", SIO_RPC_BOOL, false, dif_is_head_of_md),
	P("physical_block_size", SIO_RPC_UINT32, false, physical_block_size),
	P("dif_pi_format", SIO_RPC_UINT32, false, dif_pi_format),
	P("numa_id", SIO_RPC_INT32, false, numa_id),
};
#undef P

static void rpc_bdev_malloc_create(struct sio_rpc_request *req, void *params)
{
	struct malloc_create_params *p = params;
	struct sio_bdev_malloc_opts opts;
	struct sio_bdev *bdev;
	int rc;

	if (!bdev_module_rpc_check_disk(req, p->md_size, p->dif_type, p->block_size,
					p->num_blocks))
		return;
	sio_bdev_malloc_opts_init(&opts, sizeof(opts));
	opts.name = p->name;
	opts.uuid = p->uuid;
	opts.block_size = p->block_size;
	opts.num_blocks = p->num_blocks;
	opts.optimal_io_boundary = p->optimal_io_boundary;
	rc = sio_bdev_malloc_create(&opts, &bdev);
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_string(bdev->name));
}

static void rpc_bdev_malloc_delete(struct sio_rpc_request *req, void *params)
{
	bdev_module_rpc_delete(req, params, sio_bdev_malloc_delete);
}

static const struct sio_rpc_method malloc_methods[] = {
	{.name = "bdev_malloc_create", .handler = rpc_bdev_malloc_create,
	 .params = malloc_create_params, .param_count = SIO_RPC_COUNT(malloc_create_params),
	 .params_size = sizeof(struct malloc_create_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_malloc_delete", .handler = rpc_bdev_malloc_delete,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_malloc = {malloc_methods,
								 SIO_RPC_COUNT(malloc_methods)};
