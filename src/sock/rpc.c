/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK's sock RPC methods (sock_impl_get_options, sock_impl_set_options,
 * sock_set_default_impl, sock_get_default_impl) and the "sock" subsystem,
 * whose save_config replays the options: the default implementation, then
 * every implementation's options in full.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "sock_internal.h"
#include "spdk_io/app.h"
#include "spdk_io/metrics.h"
#include "spdk_io/rpc.h"

struct impl_name_params {
	const char *impl_name;
};

static const struct sio_rpc_param impl_name_params[] = {
	SIO_RPC_PARAM("impl_name", SIO_RPC_STRING, true, struct impl_name_params, impl_name),
};

static json_t *opts_to_json(const struct sio_sock_impl_opts *o)
{
	return json_pack("{s:I,s:I,s:b,s:b,s:I,s:b,s:b,s:I,s:I,s:b}",
			 "recv_buf_size", (json_int_t)o->recv_buf_size,
			 "send_buf_size", (json_int_t)o->send_buf_size,
			 "enable_recv_pipe", o->enable_recv_pipe,
			 "enable_quickack", o->enable_quickack,
			 "enable_placement_id", (json_int_t)o->enable_placement_id,
			 "enable_zerocopy_send_server", o->enable_zerocopy_send_server,
			 "enable_zerocopy_send_client", o->enable_zerocopy_send_client,
			 "zerocopy_threshold", (json_int_t)o->zerocopy_threshold,
			 "tls_version", (json_int_t)o->tls_version,
			 "enable_ktls", o->enable_ktls);
}

static void rpc_sock_impl_get_options(struct sio_rpc_request *req, void *params)
{
	struct impl_name_params *p = params;
	struct sio_sock_impl_opts o = {.opts_size = sizeof(o)};
	int rc = sio_sock_impl_get_opts(p->impl_name, &o);

	if (rc != 0) {
		sio_rpc_request_error(req, rc, "sock_impl_get_options: unknown implementation '%s'",
				      p->impl_name);
		return;
	}
	sio_rpc_request_complete(req, opts_to_json(&o));
}

struct set_opts_params {
	const char *impl_name;
	uint32_t recv_buf_size;
	uint32_t send_buf_size;
	bool enable_recv_pipe;
	bool enable_quickack;
	uint32_t enable_placement_id;
	bool enable_zerocopy_send_server;
	bool enable_zerocopy_send_client;
	uint32_t zerocopy_threshold;
	uint32_t tls_version;
	bool enable_ktls;
};

#define P(n, t, r, f) SIO_RPC_PARAM(n, t, r, struct set_opts_params, f)
static const struct sio_rpc_param set_opts_params[] = {
	P("impl_name", SIO_RPC_STRING, true, impl_name),
	P("recv_buf_size", SIO_RPC_UINT32, false, recv_buf_size),
	P("send_buf_size", SIO_RPC_UINT32, false, send_buf_size),
	P("enable_recv_pipe", SIO_RPC_BOOL, false, enable_recv_pipe),
	P("enable_quickack", SIO_RPC_BOOL, false, enable_quickack),
	P("enable_placement_id", SIO_RPC_UINT32, false, enable_placement_id),
	P("enable_zerocopy_send_server", SIO_RPC_BOOL, false, enable_zerocopy_send_server),
	P("enable_zerocopy_send_client", SIO_RPC_BOOL, false, enable_zerocopy_send_client),
	P("zerocopy_threshold", SIO_RPC_UINT32, false, zerocopy_threshold),
	P("tls_version", SIO_RPC_UINT32, false, tls_version),
	P("enable_ktls", SIO_RPC_BOOL, false, enable_ktls),
};
#undef P

static void rpc_sock_impl_set_options(struct sio_rpc_request *req, void *params)
{
	struct set_opts_params *p = params;
	const json_t *given = sio_rpc_request_params_json(req);
	struct sio_sock_impl_opts o = {.opts_size = sizeof(o)};
	int rc;

	rc = sio_sock_impl_get_opts(p->impl_name, &o);
	if (rc != 0) {
		sio_rpc_request_error(req, rc, "sock_impl_set_options: unknown implementation '%s'",
				      p->impl_name);
		return;
	}
	/* Only the options present change: the rest keep their values. */
#define SET(f)                                                \
	do {                                                  \
		if (json_object_get(given, #f) != NULL)       \
			o.f = p->f;                           \
	} while (0)
	SET(recv_buf_size);
	SET(send_buf_size);
	SET(enable_recv_pipe);
	SET(enable_quickack);
	SET(enable_placement_id);
	SET(enable_zerocopy_send_server);
	SET(enable_zerocopy_send_client);
	SET(zerocopy_threshold);
	SET(tls_version);
	SET(enable_ktls);
#undef SET
	rc = sio_sock_impl_set_opts(p->impl_name, &o);
	if (rc == -ENOTSUP) {
		sio_rpc_request_error(req, rc, "sock_impl_set_options: TLS option not supported by %s "
				      "(TLS is implementation \"ssl\": tls_version 0 or 13, "
				      "enable_ktls; the others: 0 and false)", p->impl_name);
		return;
	}
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_true());
}

static void rpc_sock_set_default_impl(struct sio_rpc_request *req, void *params)
{
	struct impl_name_params *p = params;
	int rc = sio_sock_set_default_impl(p->impl_name);

	if (rc != 0) {
		sio_rpc_request_error(req, rc, "sock_set_default_impl: unknown implementation '%s'",
				      p->impl_name);
		return;
	}
	sio_rpc_request_complete(req, json_true());
}

static void rpc_sock_get_default_impl(struct sio_rpc_request *req, void *params)
{
	sio_rpc_request_complete(req, json_pack("{s:s}", "impl_name",
						sio_sock_get_default_impl()));
}

static const struct sio_rpc_method methods[] = {
	{.name = "sock_impl_get_options", .handler = rpc_sock_impl_get_options,
	 .params = impl_name_params, .param_count = SIO_RPC_COUNT(impl_name_params),
	 .params_size = sizeof(struct impl_name_params),
	 .state_mask = SIO_RPC_STARTUP | SIO_RPC_RUNTIME},
	{.name = "sock_impl_set_options", .handler = rpc_sock_impl_set_options,
	 .params = set_opts_params, .param_count = SIO_RPC_COUNT(set_opts_params),
	 .params_size = sizeof(struct set_opts_params),
	 .state_mask = SIO_RPC_STARTUP | SIO_RPC_RUNTIME},
	{.name = "sock_set_default_impl", .handler = rpc_sock_set_default_impl,
	 .params = impl_name_params, .param_count = SIO_RPC_COUNT(impl_name_params),
	 .params_size = sizeof(struct impl_name_params),
	 .state_mask = SIO_RPC_STARTUP | SIO_RPC_RUNTIME},
	{.name = "sock_get_default_impl", .handler = rpc_sock_get_default_impl,
	 .state_mask = SIO_RPC_STARTUP | SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_sock = {methods, SIO_RPC_COUNT(methods)};

static void sock_write_config(json_t *config)
{
	sio_rpc_config_append(config, "sock_set_default_impl",
			      json_pack("{s:s}", "impl_name", sio_sock_get_default_impl()));
	for (int i = 0; sock_impl_table[i] != NULL; i++) {
		struct sio_sock_impl_opts o;
		json_t *params;

		sock_impl_opts_copy(sock_impl_table[i], &o);
		params = opts_to_json(&o);
		json_object_set_new(params, "impl_name", json_string(sock_impl_table[i]->name));
		sio_rpc_config_append(config, "sock_impl_set_options", params);
	}
}

extern const struct sio_metrics_collector sio_sock_metrics_collector;

/* Exports the byte counters (stats.c) to the metrics endpoint. */
static void sock_subsystem_init(sio_done_cb done, void *cb_arg)
{
	sio_metrics_register(&sio_sock_metrics_collector); /* -EEXIST on a later run: fine */
	done(cb_arg, 0);
}

const struct sio_subsystem sio_subsystem_sock = {
	.name = "sock",
	.depends_on = NULL,
	.init = sock_subsystem_init,
	.fini = NULL,
	.write_config = sock_write_config,
};
