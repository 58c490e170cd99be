/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK's trace_* RPC methods over the env layer's tracepoint masks
 * (include/spdk_io/trace.h), with SPDK's parameters and result shapes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app/app_internal.h"
#include "spdk_io/trace.h"

#define ANY_STATE (SIO_RPC_STARTUP | SIO_RPC_RUNTIME)

struct group_params {
	const char *name;
	uint64_t tpoint_mask;
};

static const struct sio_rpc_param g_name_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct group_params, name),
};

static const struct sio_rpc_param g_mask_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct group_params, name),
	SIO_RPC_PARAM("tpoint_mask", SIO_RPC_UINT64, true, struct group_params, tpoint_mask),
};

/* SPDK accepts "all" where it takes a group name. */
static int group_mask_of(const char *name, uint64_t *groups)
{
	int id;

	if (strcmp(name, "all") == 0) {
		*groups = 0;
		for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS; g++) {
			if (sio_trace_group_name(g) != NULL)
				*groups |= 1ull << g;
		}
		return 0;
	}
	id = sio_trace_group_id(name);
	if (id < 0)
		return id;
	*groups = 1ull << id;
	return 0;
}

static void apply(struct sio_rpc_request *req, const char *name, uint64_t mask, bool set)
{
	uint64_t groups;
	int rc = group_mask_of(name, &groups);

	if (rc != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "unknown tracepoint group '%s'", name);
		return;
	}
	for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS && rc == 0; g++) {
		if ((groups >> g) & 1)
			rc = set ? sio_trace_set_tpoint_mask(g, mask)
				 : sio_trace_clear_tpoint_mask(g, mask);
	}
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_true());
}

static void rpc_trace_enable_tpoint_group(struct sio_rpc_request *req, void *params)
{
	apply(req, ((struct group_params *)params)->name, UINT64_MAX, true);
}

static void rpc_trace_disable_tpoint_group(struct sio_rpc_request *req, void *params)
{
	apply(req, ((struct group_params *)params)->name, UINT64_MAX, false);
}

static void rpc_trace_set_tpoint_mask(struct sio_rpc_request *req, void *params)
{
	struct group_params *p = params;

	apply(req, p->name, p->tpoint_mask, true);
}

static void rpc_trace_clear_tpoint_mask(struct sio_rpc_request *req, void *params)
{
	struct group_params *p = params;

	apply(req, p->name, p->tpoint_mask, false);
}

static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

/* {"tpoint_group_mask": "0x8", "bdev": {"enabled": true, "mask": "0x8"}, ...} */
static void rpc_trace_get_tpoint_group_mask(struct sio_rpc_request *req, void *params)
{
	json_t *res = json_object();

	(void)params;
	json_object_set_new(res, "tpoint_group_mask", hex(sio_trace_get_group_mask()));
	for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS; g++) {
		const char *name = sio_trace_group_name(g);

		if (name != NULL)
			json_object_set_new(res, name,
					    json_pack("{s:b,s:o}", "enabled",
						      sio_trace_get_tpoint_mask(g) != 0, "mask",
						      hex(1ull << g)));
	}
	sio_rpc_request_complete(req, res);
}

/* {"tpoint_shm_path": "...", "tpoint_group_mask": "0x8",
 *  "bdev": {"mask": "0x8", "tpoint_mask": "0xffffffffffffffff"}, ...} */
static void rpc_trace_get_info(struct sio_rpc_request *req, void *params)
{
	json_t *res = json_object();

	(void)params;
	json_object_set_new(res, "tpoint_shm_path", json_string(sio_trace_shm_path()));
	json_object_set_new(res, "tpoint_group_mask", hex(sio_trace_get_group_mask()));
	for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS; g++) {
		const char *name = sio_trace_group_name(g);

		if (name != NULL)
			json_object_set_new(res, name,
					    json_pack("{s:o,s:o}", "mask", hex(1ull << g),
						      "tpoint_mask", hex(sio_trace_get_tpoint_mask(g))));
	}
	sio_rpc_request_complete(req, res);
}

static void rpc_trace_clear(struct sio_rpc_request *req, void *params)
{
	(void)params;
	sio_trace_clear();
	sio_rpc_request_complete(req, json_true());
}

static const struct sio_rpc_method g_trace_methods[] = {
	{.name = "trace_enable_tpoint_group", .handler = rpc_trace_enable_tpoint_group,
	 .params = g_name_params, .param_count = SIO_RPC_COUNT(g_name_params),
	 .params_size = sizeof(struct group_params), .state_mask = ANY_STATE},
	{.name = "trace_disable_tpoint_group", .handler = rpc_trace_disable_tpoint_group,
	 .params = g_name_params, .param_count = SIO_RPC_COUNT(g_name_params),
	 .params_size = sizeof(struct group_params), .state_mask = ANY_STATE},
	{.name = "trace_set_tpoint_mask", .handler = rpc_trace_set_tpoint_mask,
	 .params = g_mask_params, .param_count = SIO_RPC_COUNT(g_mask_params),
	 .params_size = sizeof(struct group_params), .state_mask = ANY_STATE},
	{.name = "trace_clear_tpoint_mask", .handler = rpc_trace_clear_tpoint_mask,
	 .params = g_mask_params, .param_count = SIO_RPC_COUNT(g_mask_params),
	 .params_size = sizeof(struct group_params), .state_mask = ANY_STATE},
	{.name = "trace_get_tpoint_group_mask", .handler = rpc_trace_get_tpoint_group_mask,
	 .state_mask = ANY_STATE},
	{.name = "trace_get_info", .handler = rpc_trace_get_info, .state_mask = ANY_STATE},
	{.name = "trace_clear", .handler = rpc_trace_clear, .state_mask = ANY_STATE},
};

const struct sio_rpc_method_table sio_rpc_table_trace = {
	.methods = g_trace_methods,
	.count = SIO_RPC_COUNT(g_trace_methods),
};
