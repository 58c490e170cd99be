/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC glue of the aio bdev: bdev_aio_create, bdev_aio_delete and
 * bdev_aio_rescan, with SPDK's parameter names and types.
 */
#include <errno.h>
#include <string.h>

#include "spdk_io/rpc.h"
#include "aio.h"

static const struct sio_rpc_param g_create_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct bdev_aio_opts, name),
	SIO_RPC_PARAM("filename", SIO_RPC_STRING, true, struct bdev_aio_opts, filename),
	SIO_RPC_PARAM("block_size", SIO_RPC_UINT32, false, struct bdev_aio_opts, block_size),
	SIO_RPC_PARAM("readonly", SIO_RPC_BOOL, false, struct bdev_aio_opts, readonly),
	SIO_RPC_PARAM("fallocate", SIO_RPC_BOOL, false, struct bdev_aio_opts, fallocate),
	SIO_RPC_PARAM("uuid", SIO_RPC_UUID, false, struct bdev_aio_opts, uuid),
	SIO_RPC_PARAM("nowait", SIO_RPC_BOOL, false, struct bdev_aio_opts, nowait),
};

static void rpc_bdev_aio_create(struct sio_rpc_request *req, void *params)
{
	struct bdev_aio_opts *opts = params;
	struct sio_bdev *bdev;
	char err[256];
	int rc;

	rc = bdev_aio_create(opts, &bdev, err, sizeof(err));
	if (rc != 0) {
		sio_rpc_request_error(req, rc, "%s", err);
		return;
	}
	sio_rpc_request_complete(req, json_string(bdev->name));
}

struct name_params {
	const char *name;
};

static const struct sio_rpc_param g_name_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct name_params, name),
};

static void delete_done(void *cb_arg, int rc)
{
	struct sio_rpc_request *req = cb_arg;

	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, json_true());
}

static void rpc_bdev_aio_delete(struct sio_rpc_request *req, void *params)
{
	struct name_params *p = params;
	int rc = bdev_aio_delete(p->name, delete_done, req);

	if (rc == -ENODEV)
		sio_rpc_request_error(req, rc, "no aio bdev named %s", p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

static void rpc_bdev_aio_rescan(struct sio_rpc_request *req, void *params)
{
	struct name_params *p = params;
	int rc = bdev_aio_rescan(p->name);

	if (rc == -ENODEV)
		sio_rpc_request_error(req, rc, "no aio bdev named %s", p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, json_true());
}

static const struct sio_rpc_method g_aio_methods[] = {
	{.name = "bdev_aio_create", .handler = rpc_bdev_aio_create, .params = g_create_params,
	 .param_count = SIO_RPC_COUNT(g_create_params), .params_size = sizeof(struct bdev_aio_opts),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_aio_delete", .handler = rpc_bdev_aio_delete, .params = g_name_params,
	 .param_count = SIO_RPC_COUNT(g_name_params), .params_size = sizeof(struct name_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_aio_rescan", .handler = rpc_bdev_aio_rescan, .params = g_name_params,
	 .param_count = SIO_RPC_COUNT(g_name_params), .params_size = sizeof(struct name_params),
	 .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_aio = {
	.methods = g_aio_methods,
	.count = SIO_RPC_COUNT(g_aio_methods),
};
