/* SPDX-License-Identifier: BSD-3-Clause */
/* bdev_passthru_create / bdev_passthru_delete with SPDK's parameters. */
#include <errno.h>

#include "bdev/modules/common/module_rpc.h"
#include "bdev/modules/passthru/passthru.h"
#include "spdk_io/rpc.h"

struct passthru_create_params {
	const char *name;
	const char *base_bdev_name;
	const char *uuid;
};

static const struct sio_rpc_param passthru_create_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct passthru_create_params, name),
	SIO_RPC_PARAM("base_bdev_name", SIO_RPC_STRING, true, struct passthru_create_params,
		      base_bdev_name),
	SIO_RPC_PARAM("uuid", SIO_RPC_UUID, false, struct passthru_create_params, uuid),
};

static void rpc_bdev_passthru_create(struct sio_rpc_request *req, void *params)
{
	struct passthru_create_params *p = params;
	struct sio_bdev_passthru_opts opts;
	int rc;

	sio_bdev_passthru_opts_init(&opts, sizeof(opts));
	opts.name = p->name;
	opts.base_bdev_name = p->base_bdev_name;
	opts.uuid = p->uuid;
	rc = sio_bdev_passthru_create(&opts, NULL);

	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_string(p->name));
}

static void rpc_bdev_passthru_delete(struct sio_rpc_request *req, void *params)
{
	bdev_module_rpc_delete(req, params, sio_bdev_passthru_delete);
}

static const struct sio_rpc_method passthru_methods[] = {
	{.name = "bdev_passthru_create", .handler = rpc_bdev_passthru_create,
	 .params = passthru_create_params, .param_count = SIO_RPC_COUNT(passthru_create_params),
	 .params_size = sizeof(struct passthru_create_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_passthru_delete", .handler = rpc_bdev_passthru_delete,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_passthru = {
	passthru_methods, SIO_RPC_COUNT(passthru_methods)};
