/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_null_create / bdev_null_delete with SPDK's parameters. Metadata and
 * protection information are not supported: non-zero values are refused
 * with a message; the other layout hints are accepted and ignored.
 */
#include <errno.h>

#include "bdev/modules/common/module_rpc.h"
#include "bdev/modules/null/null.h"
#include "spdk_io/rpc.h"

struct null_create_params {
	const char *name;
	uint32_t block_size;
	uint64_t num_blocks;
	const char *uuid;
	uint32_t physical_block_size;
	uint32_t md_size;
	int32_t dif_type;
	uint32_t dif_pi_format;
	bool dif_is_head_of_md;
	uint32_t preferred_write_granularity;
	uint32_t preferred_write_alignment;
	uint32_t optimal_write_size;
	uint32_t preferred_unmap_granularity;
	uint32_t preferred_unmap_alignment;
};

#define P(n, t, r, f) SIO_RPC_PARAM(n, t, r, struct null_create_params, f)
static const struct sio_rpc_param null_create_params[] = {
	P("name", SIO_RPC_STRING, true, name),
	P("block_size", SIO_RPC_UINT32, true, block_size),
	P("num_blocks", SIO_RPC_UINT64, true, num_blocks),
	P("uuid", SIO_RPC_UUID, false, uuid),
	P("physical_block_size", SIO_RPC_UINT32, false, physical_block_size),
	P("md_size", SIO_RPC_UINT32, false, md_size),
	P("dif_type", SIO_RPC_INT32, false, dif_type),
	P("dif_pi_format", SIO_RPC_UINT32, false, dif_pi_format),
	P("dif_is_head_of_md", SIO_RPC_BOOL, false, dif_is_head_of_md),
	P("preferred_write_granularity", SIO_RPC_UINT32, false, preferred_write_granularity),
	P("preferred_write_alignment", SIO_RPC_UINT32, false, preferred_write_alignment),
	P("optimal_write_size", SIO_RPC_UINT32, false, optimal_write_size),
	P("preferred_unmap_granularity", SIO_RPC_UINT32, false, preferred_unmap_granularity),
	P("preferred_unmap_alignment", SIO_RPC_UINT32, false, preferred_unmap_alignment),
};
#undef P

static void rpc_bdev_null_create(struct sio_rpc_request *req, void *params)
{
	struct null_create_params *p = params;
	struct sio_bdev_null_opts opts;
	struct sio_bdev *bdev;
	int rc;

	if (!bdev_module_rpc_check_disk(req, p->md_size, p->dif_type, p->block_size,
					p->num_blocks))
		return;
	sio_bdev_null_opts_init(&opts, sizeof(opts));
	opts.name = p->name;
	opts.uuid = p->uuid;
	opts.block_size = p->block_size;
	opts.num_blocks = p->num_blocks;
	rc = sio_bdev_null_create(&opts, &bdev);
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_string(bdev->name));
}

static void rpc_bdev_null_delete(struct sio_rpc_request *req, void *params)
{
	bdev_module_rpc_delete(req, params, sio_bdev_null_delete);
}

static const struct sio_rpc_method null_methods[] = {
	{.name = "bdev_null_create", .handler = rpc_bdev_null_create, .params = null_create_params,
	 .param_count = SIO_RPC_COUNT(null_create_params),
	 .params_size = sizeof(struct null_create_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_null_delete", .handler = rpc_bdev_null_delete,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_null = {null_methods,
							       SIO_RPC_COUNT(null_methods)};
