/* SPDX-License-Identifier: BSD-3-Clause */
/* bdev_error_create / bdev_error_delete / bdev_error_inject_error with SPDK's parameters. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bdev/modules/common/module_rpc.h"
#include "bdev/modules/error/error.h"
#include "spdk_io/rpc.h"

struct error_create_params {
	const char *base_name;
	const char *uuid;
};

static const struct sio_rpc_param error_create_params[] = {
	SIO_RPC_PARAM("base_name", SIO_RPC_STRING, true, struct error_create_params, base_name),
	SIO_RPC_PARAM("uuid", SIO_RPC_UUID, false, struct error_create_params, uuid),
};

static void rpc_bdev_error_create(struct sio_rpc_request *req, void *params)
{
	struct error_create_params *p = params;
	struct sio_bdev_error_opts opts;
	struct sio_bdev *bdev;
	int rc;

	sio_bdev_error_opts_init(&opts, sizeof(opts));
	opts.base_name = p->base_name;
	opts.uuid = p->uuid;
	rc = sio_bdev_error_create(&opts, &bdev);

	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_string(sio_bdev_get_name(bdev)));
}

static void rpc_bdev_error_delete(struct sio_rpc_request *req, void *params)
{
	bdev_module_rpc_delete(req, params, sio_bdev_error_delete);
}

static const char *const g_io_types[] = {"clear", "read", "write", "unmap", "flush", "all", NULL};
static const char *const g_error_types[] = {"failure", "pending", "corrupt_data", "nomem",
					    "nvme_failure", NULL};

struct inject_params {
	const char *name;
	const char *io_type;
	const char *error_type;
	uint32_t nvme_sct;
	uint32_t nvme_sc;
	uint32_t num;
	uint64_t queue_depth;
	uint64_t corrupt_offset;
	uint8_t corrupt_value;
};

static const struct sio_rpc_param inject_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct inject_params, name),
	{.name = "io_type", .type = SIO_RPC_ENUM, .required = true,
	 .offset = offsetof(struct inject_params, io_type),
	 .class_name = "bdev_error_inject_io_type", .enum_values = g_io_types},
	{.name = "error_type", .type = SIO_RPC_ENUM, .required = true,
	 .offset = offsetof(struct inject_params, error_type),
	 .class_name = "bdev_error_inject_error_type", .enum_values = g_error_types},
	SIO_RPC_PARAM("nvme_sct", SIO_RPC_UINT32, false, struct inject_params, nvme_sct),
	SIO_RPC_PARAM("nvme_sc", SIO_RPC_UINT32, false, struct inject_params, nvme_sc),
	SIO_RPC_PARAM("num", SIO_RPC_UINT32, false, struct inject_params, num),
	SIO_RPC_PARAM("queue_depth", SIO_RPC_UINT64, false, struct inject_params, queue_depth),
	SIO_RPC_PARAM("corrupt_offset", SIO_RPC_UINT64, false, struct inject_params, corrupt_offset),
	SIO_RPC_PARAM("corrupt_value", SIO_RPC_UINT8, false, struct inject_params, corrupt_value),
};

static void rpc_bdev_error_inject_error(struct sio_rpc_request *req, void *params)
{
	struct inject_params *p = params;
	struct sio_bdev_error_inject_opts inj;
	int rc;

	sio_bdev_error_inject_opts_init(&inj, sizeof(inj));
	inj.num = p->num ? p->num : 1;
	inj.corrupt_offset = p->corrupt_offset;
	inj.corrupt_value = p->corrupt_value;

	if (strcmp(p->io_type, "clear") == 0)
		inj.io_type_mask = 0;
	else if (strcmp(p->io_type, "read") == 0)
		inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_READ;
	else if (strcmp(p->io_type, "write") == 0)
		inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_WRITE;
	else if (strcmp(p->io_type, "unmap") == 0)
		inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_UNMAP;
	else if (strcmp(p->io_type, "flush") == 0)
		inj.io_type_mask = 1u << SIO_BDEV_IO_TYPE_FLUSH;
	else
		inj.io_type_mask = UINT32_MAX & ~1u;
	for (int i = 0; g_error_types[i] != NULL; i++)
		if (strcmp(p->error_type, g_error_types[i]) == 0)
			inj.error_type = (enum sio_bdev_error_type)(i + 1);
	rc = sio_bdev_error_inject(p->name, &inj);
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, NULL);
}

static const struct sio_rpc_method error_methods[] = {
	{.name = "bdev_error_create", .handler = rpc_bdev_error_create,
	 .params = error_create_params, .param_count = SIO_RPC_COUNT(error_create_params),
	 .params_size = sizeof(struct error_create_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_error_delete", .handler = rpc_bdev_error_delete,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_error_inject_error", .handler = rpc_bdev_error_inject_error,
	 .params = inject_params, .param_count = SIO_RPC_COUNT(inject_params),
	 .params_size = sizeof(struct inject_params), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_error = {error_methods,
								SIO_RPC_COUNT(error_methods)};
