/* SPDX-License-Identifier: BSD-3-Clause */
/* bdev_delay_create / bdev_delay_delete / bdev_delay_update_latency with SPDK's parameters. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bdev/modules/common/module_rpc.h"
#include "bdev/modules/delay/delay.h"
#include "spdk_io/rpc.h"

struct delay_create_params {
	const char *name;
	const char *base_bdev_name;
	uint64_t avg_read_latency;
	uint64_t p99_read_latency;
	uint64_t avg_write_latency;
	uint64_t p99_write_latency;
	const char *uuid;
};

#define P(n, t, r, f) SIO_RPC_PARAM(n, t, r, struct delay_create_params, f)
static const struct sio_rpc_param delay_create_params[] = {
	P("name", SIO_RPC_STRING, true, name),
	P("base_bdev_name", SIO_RPC_STRING, true, base_bdev_name),
	P("avg_read_latency", SIO_RPC_UINT64, true, avg_read_latency),
	P("p99_read_latency", SIO_RPC_UINT64, true, p99_read_latency),
	P("avg_write_latency", SIO_RPC_UINT64, true, avg_write_latency),
	P("p99_write_latency", SIO_RPC_UINT64, true, p99_write_latency),
	P("uuid", SIO_RPC_UUID, false, uuid),
};
#undef P

static void rpc_bdev_delay_create(struct sio_rpc_request *req, void *params)
{
	struct delay_create_params *p = params;
	struct sio_bdev_delay_opts opts;
	int rc;

	if (p->p99_read_latency < p->avg_read_latency ||
	    p->p99_write_latency < p->avg_write_latency) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "bdev_delay_create: p99 latencies must not be below the averages");
		return;
	}
	sio_bdev_delay_opts_init(&opts, sizeof(opts));
	opts.name = p->name;
	opts.base_bdev_name = p->base_bdev_name;
	opts.uuid = p->uuid;
	opts.avg_read_latency_us = p->avg_read_latency;
	opts.p99_read_latency_us = p->p99_read_latency;
	opts.avg_write_latency_us = p->avg_write_latency;
	opts.p99_write_latency_us = p->p99_write_latency;
	rc = sio_bdev_delay_create(&opts, NULL);
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_string(p->name));
}

static void rpc_bdev_delay_delete(struct sio_rpc_request *req, void *params)
{
	bdev_module_rpc_delete(req, params, sio_bdev_delay_delete);
}

static const char *const g_latency_types[] = {"avg_read", "p99_read", "avg_write", "p99_write",
					      NULL};

struct update_params {
	const char *delay_bdev_name;
	const char *latency_type;
	uint64_t latency_us;
};

static const struct sio_rpc_param update_params[] = {
	SIO_RPC_PARAM("delay_bdev_name", SIO_RPC_STRING, true, struct update_params,
		      delay_bdev_name),
	{.name = "latency_type", .type = SIO_RPC_ENUM, .required = true,
	 .offset = offsetof(struct update_params, latency_type),
	 .class_name = "bdev_delay_latency_type", .enum_values = g_latency_types},
	SIO_RPC_PARAM("latency_us", SIO_RPC_UINT64, true, struct update_params, latency_us),
};

static void rpc_bdev_delay_update_latency(struct sio_rpc_request *req, void *params)
{
	struct update_params *p = params;
	int which = 0, rc;

	for (int i = 0; g_latency_types[i] != NULL; i++)
		if (strcmp(p->latency_type, g_latency_types[i]) == 0)
			which = i;
	rc = sio_bdev_delay_update_latency(p->delay_bdev_name, (enum sio_bdev_delay_latency)which,
					   p->latency_us);
	if (rc == -EINVAL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "bdev_delay_update_latency: p99 latencies must not be below "
				      "the averages");
		return;
	}
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, NULL);
}

static const struct sio_rpc_method delay_methods[] = {
	{.name = "bdev_delay_create", .handler = rpc_bdev_delay_create,
	 .params = delay_create_params, .param_count = SIO_RPC_COUNT(delay_create_params),
	 .params_size = sizeof(struct delay_create_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_delay_delete", .handler = rpc_bdev_delay_delete,
	 .params = bdev_module_rpc_name_params, .param_count = BDEV_MODULE_RPC_NAME_COUNT,
	 .params_size = sizeof(struct bdev_module_rpc_name), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_delay_update_latency", .handler = rpc_bdev_delay_update_latency,
	 .params = update_params, .param_count = SIO_RPC_COUNT(update_params),
	 .params_size = sizeof(struct update_params), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_delay = {delay_methods,
								SIO_RPC_COUNT(delay_methods)};
