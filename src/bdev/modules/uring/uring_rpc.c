/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC glue of the uring bdev: bdev_uring_create, bdev_uring_delete and
 * bdev_uring_rescan, with SPDK's parameter names and types.
 */
#include "bdev/modules/file_common/bdev_file_module.h"
#include "uring.h"

static const struct sio_rpc_param g_create_params[] = {
	SIO_RPC_PARAM("filename", SIO_RPC_STRING, true, struct bdev_uring_opts, filename),
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct bdev_uring_opts, name),
	SIO_RPC_PARAM("block_size", SIO_RPC_UINT32, false, struct bdev_uring_opts, block_size),
	SIO_RPC_PARAM("uuid", SIO_RPC_UUID, false, struct bdev_uring_opts, uuid),
};

static void rpc_bdev_uring_create(struct sio_rpc_request *req, void *params)
{
	struct sio_bdev *bdev = NULL;
	char err[256];
	int rc = bdev_uring_create(params, &bdev, err, sizeof(err));

	bdev_file_rpc_create_reply(req, rc, bdev, err);
}

static void rpc_bdev_uring_delete(struct sio_rpc_request *req, void *params)
{
	bdev_file_rpc_delete(req, params, &sio_bdev_module_uring);
}

static void rpc_bdev_uring_rescan(struct sio_rpc_request *req, void *params)
{
	bdev_file_rpc_rescan(req, params, &sio_bdev_module_uring);
}

static const struct sio_rpc_method g_uring_methods[] = {
	{.name = "bdev_uring_create", .handler = rpc_bdev_uring_create, .params = g_create_params,
	 .param_count = SIO_RPC_COUNT(g_create_params), .params_size = sizeof(struct bdev_uring_opts),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_uring_delete", .handler = rpc_bdev_uring_delete,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_uring_rescan", .handler = rpc_bdev_uring_rescan,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_uring = {
	.methods = g_uring_methods,
	.count = SIO_RPC_COUNT(g_uring_methods),
};
