/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics RPC methods with SPDK's names and reply shapes:
 * thread_get_pollers and thread_get_io_channels, each gathered on every
 * thread by message (a thread's pollers and channels are its own), and
 * spdk-io's own framework_metrics_start / framework_metrics_stop
 * (docs/metrics.md), which SPDK does not have.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "spdk_io/metrics.h"
#include "spdk_io/spdk_io.h"

struct thread_walk {
	struct sio_rpc_request *req;
	json_t *threads;
};

static void walk_done(void *ctx)
{
	struct thread_walk *w = ctx;

	sio_rpc_request_complete(w->req, json_pack("{s:I, s:o}", "tick_rate",
						   (json_int_t)sio_get_ticks_hz(), "threads",
						   w->threads));
	free(w);
}

static void walk_start(struct sio_rpc_request *req, sio_msg_fn fn)
{
	struct thread_walk *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	w->req = req;
	w->threads = json_array();
	rc = sio_for_each_thread(fn, w, walk_done);
	if (rc != 0) {
		json_decref(w->threads);
		free(w);
		sio_rpc_request_fail_errno(req, rc);
	}
}

/* thread_get_pollers */

struct poller_lists {
	json_t *active, *timed, *paused;
	uint64_t id;
};

static void add_poller(const struct sio_poller_stats *s, void *ctx)
{
	struct poller_lists *l = ctx;
	json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:I}", "name", s->name, "id",
			      (json_int_t)++l->id, "state", s->paused ? "paused" : "waiting",
			      "run_count", (json_int_t)s->run_count, "busy_count",
			      (json_int_t)s->busy_count);

	if (s->period_us > 0)
		json_object_set_new(o, "period_ticks",
				    json_integer((json_int_t)sio_us_to_ticks(s->period_us)));
	json_array_append_new(s->paused ? l->paused : s->period_us > 0 ? l->timed : l->active, o);
}

static void pollers_one(void *ctx)
{
	struct thread_walk *w = ctx;
	struct sio_thread *t = sio_thread_get_current();
	struct poller_lists l = {json_array(), json_array(), json_array(), 0};

	sio_thread_foreach_poller(t, add_poller, &l);
	json_array_append_new(w->threads,
			      json_pack("{s:s, s:I, s:o, s:o, s:o}", "name", sio_thread_get_name(t),
					"id", (json_int_t)sio_thread_get_id(t), "active_pollers",
					l.active, "timed_pollers", l.timed, "paused_pollers",
					l.paused));
}

static void rpc_thread_get_pollers(struct sio_rpc_request *req, void *params)
{
	walk_start(req, pollers_one);
}

/* thread_get_io_channels */

static void add_channel(const struct sio_io_channel_stats *s, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:s, s:I}", "name", s->name, "ref",
					     (json_int_t)s->ref));
}

static void channels_one(void *ctx)
{
	struct thread_walk *w = ctx;
	struct sio_thread *t = sio_thread_get_current();
	json_t *chs = json_array();

	sio_thread_foreach_io_channel(t, add_channel, chs);
	json_array_append_new(w->threads, json_pack("{s:s, s:I, s:o}", "name",
						    sio_thread_get_name(t), "id",
						    (json_int_t)sio_thread_get_id(t),
						    "io_channels", chs));
}

static void rpc_thread_get_io_channels(struct sio_rpc_request *req, void *params)
{
	walk_start(req, channels_one);
}

/* framework_metrics_start / framework_metrics_stop (spdk-io's own) */

struct metrics_start_params {
	const char *listen_address;
};

static const struct sio_rpc_param metrics_start_params[] = {
	SIO_RPC_PARAM("listen_address", SIO_RPC_STRING, true, struct metrics_start_params,
		      listen_address),
};

static void rpc_framework_metrics_start(struct sio_rpc_request *req, void *params)
{
	struct metrics_start_params *p = params;
	int rc = sio_metrics_server_start(p->listen_address);

	if (rc == -EINVAL)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "framework_metrics_start: listen_address must be "
				      "IPv4ADDR:PORT or [IPv6ADDR]:PORT");
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, json_pack("{s:s}", "listen_address",
							sio_metrics_server_address()));
}

static void rpc_framework_metrics_stop(struct sio_rpc_request *req, void *params)
{
	int rc = sio_metrics_server_stop();

	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, NULL);
}

static const struct sio_rpc_method g_metrics_methods[] = {
	{.name = "thread_get_pollers", .handler = rpc_thread_get_pollers,
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "thread_get_io_channels", .handler = rpc_thread_get_io_channels,
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "framework_metrics_start", .handler = rpc_framework_metrics_start,
	 .params = metrics_start_params, .param_count = SIO_RPC_COUNT(metrics_start_params),
	 .params_size = sizeof(struct metrics_start_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "framework_metrics_stop", .handler = rpc_framework_metrics_stop,
	 .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_app_metrics = {
	.methods = g_metrics_methods,
	.count = SIO_RPC_COUNT(g_metrics_methods),
};
