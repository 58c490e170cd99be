/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The framework's own RPC methods, with SPDK's names, parameters and reply
 * shapes: version, method list, reactors, thread statistics, log flags,
 * subsystems and their config, start of init, and kill.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "sio_config.h"
#include "spdk_io/spdk_io.h"

#define ANY_STATE (SIO_RPC_STARTUP | SIO_RPC_RUNTIME)

/* spdk_get_version */

static void rpc_spdk_get_version(struct sio_rpc_request *req, void *params)
{
	unsigned int major = 0, minor = 0, patch = 0;
	char suffix[32] = "";

	sscanf(SIO_VERSION_STRING, "%u.%u.%u%31s", &major, &minor, &patch, suffix);
	sio_rpc_request_complete(req, json_pack("{s:s, s:{s:i, s:i, s:i, s:s}}", "version",
						sio_version_string(), "fields", "major", major,
						"minor", minor, "patch", patch, "suffix", suffix));
}

/* rpc_get_methods */

struct get_methods_params {
	bool current;
	bool include_aliases;
};

static const struct sio_rpc_param g_get_methods_params[] = {
	SIO_RPC_PARAM("current", SIO_RPC_BOOL, false, struct get_methods_params, current),
	SIO_RPC_PARAM("include_aliases", SIO_RPC_BOOL, false, struct get_methods_params,
		      include_aliases),
};

struct method_list {
	json_t *arr;
	bool current;
};

static void add_method_name(const struct sio_rpc_method *m, void *ctx)
{
	struct method_list *l = ctx;

	if (!l->current || (m->state_mask & app_rpc_get_state()) != 0)
		json_array_append_new(l->arr, json_string(m->name));
}

static void rpc_rpc_get_methods(struct sio_rpc_request *req, void *params)
{
	struct get_methods_params *p = params;
	struct method_list l = {.arr = json_array(), .current = p->current};

	sio_rpc_foreach_method(add_method_name, &l);
	sio_rpc_request_complete(req, l.arr);
}

/* framework_get_reactors */

static void cpumask_hex(const struct sio_cpuset *set, char *buf, size_t len)
{
	char tmp[SIO_CPUSET_MAX / 4 + 8];

	if (set == NULL || sio_cpuset_format(set, tmp, sizeof(tmp)) < 0) {
		snprintf(buf, len, "0");
		return;
	}
	/* SPDK prints masks without the 0x prefix in these replies. */
	snprintf(buf, len, "%s", strncmp(tmp, "0x", 2) == 0 ? tmp + 2 : tmp);
}

static void add_reactor(const struct app_reactor_info *r, struct sio_thread *const *threads,
			const uint64_t *since, size_t n, void *ctx)
{
	json_t *lw = json_array();
	uint64_t now = sio_get_ticks();

	for (size_t i = 0; i < n; i++) {
		char mask[SIO_CPUSET_MAX / 4 + 8];

		cpumask_hex(sio_thread_get_cpumask(threads[i]), mask, sizeof(mask));
		json_array_append_new(lw, json_pack("{s:s, s:I, s:s, s:I}", "name",
						    sio_thread_get_name(threads[i]), "id",
						    (json_int_t)sio_thread_get_id(threads[i]),
						    "cpumask", mask, "elapsed",
						    (json_int_t)(now - since[i])));
	}
	json_array_append_new(ctx, json_pack("{s:i, s:I, s:I, s:b, s:o}", "lcore", r->core, "busy",
					     (json_int_t)r->busy_tsc, "idle",
					     (json_int_t)r->idle_tsc, "in_interrupt", r->in_interrupt,
					     "lw_threads", lw));
}

static void rpc_framework_get_reactors(struct sio_rpc_request *req, void *params)
{
	json_t *reactors = json_array();

	app_reactors_foreach(add_reactor, reactors);
	sio_rpc_request_complete(req, json_pack("{s:I, s:i, s:o}", "tick_rate",
						(json_int_t)sio_get_ticks_hz(), "pid", (int)getpid(),
						"reactors", reactors));
}

/* framework_start_init */

static void rpc_framework_start_init(struct sio_rpc_request *req, void *params)
{
	int rc = app_start_init(req);

	if (rc != 0)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_STATE,
				      "framework_start_init: already initialized");
}

/* framework_wait_init */

static void rpc_framework_wait_init(struct sio_rpc_request *req, void *params)
{
	int rc = app_wait_init(req);

	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

/* thread_get_stats */

struct stats_ctx {
	struct sio_rpc_request *req;
	json_t *threads;
};

static void count_poller(const struct sio_poller_stats *s, void *ctx)
{
	struct app_poller_counts *c = ctx;

	if (s->paused)
		c->paused++;
	else if (s->period_us > 0)
		c->timed++;
	else
		c->active++;
}

void app_count_pollers(struct sio_thread *t, struct app_poller_counts *c)
{
	*c = (struct app_poller_counts){0};
	sio_thread_foreach_poller(t, count_poller, c);
}

static void stats_one(void *ctx)
{
	struct stats_ctx *sc = ctx;
	struct sio_thread *t = sio_thread_get_current();
	struct sio_thread_stats st = {0};
	struct app_poller_counts pc;
	char mask[SIO_CPUSET_MAX / 4 + 8];

	if (t == NULL)
		return;
	sio_thread_get_stats(t, &st);
	app_count_pollers(t, &pc);
	cpumask_hex(sio_thread_get_cpumask(t), mask, sizeof(mask));
	json_array_append_new(sc->threads,
			      json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "name",
					sio_thread_get_name(t), "id", (json_int_t)sio_thread_get_id(t),
					"cpumask", mask, "busy", (json_int_t)st.busy_tsc, "idle",
					(json_int_t)st.idle_tsc, "active_pollers_count",
					(json_int_t)pc.active, "timed_pollers_count",
					(json_int_t)pc.timed, "paused_pollers_count",
					(json_int_t)pc.paused));
}

static void stats_done(void *ctx)
{
	struct stats_ctx *sc = ctx;

	sio_rpc_request_complete(sc->req, json_pack("{s:I, s:o}", "tick_rate",
						    (json_int_t)sio_get_ticks_hz(), "threads",
						    sc->threads));
	free(sc);
}

static void rpc_thread_get_stats(struct sio_rpc_request *req, void *params)
{
	struct stats_ctx *sc = calloc(1, sizeof(*sc));
	int rc;

	if (sc == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	sc->req = req;
	sc->threads = json_array();
	rc = sio_for_each_thread(stats_one, sc, stats_done);
	if (rc != 0) {
		json_decref(sc->threads);
		free(sc);
		sio_rpc_request_fail_errno(req, rc);
	}
}

/* log_set_flag / log_clear_flag / log_get_flags */

struct flag_params {
	const char *flag;
};

static const struct sio_rpc_param g_flag_params[] = {
	SIO_RPC_PARAM("flag", SIO_RPC_STRING, true, struct flag_params, flag),
};

static void flag_result(struct sio_rpc_request *req, const char *flag, int rc)
{
	if (rc == -ENOENT)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "%s: unknown log flag '%s'",
				      sio_rpc_request_method(req)->name, flag);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, NULL);
}

static void rpc_log_set_flag(struct sio_rpc_request *req, void *params)
{
	struct flag_params *p = params;

	flag_result(req, p->flag, sio_log_set_flag(p->flag));
}

static void rpc_log_clear_flag(struct sio_rpc_request *req, void *params)
{
	struct flag_params *p = params;

	flag_result(req, p->flag, sio_log_clear_flag(p->flag));
}

static void add_flag(const char *name, bool enabled, void *ctx)
{
	json_object_set_new(ctx, name, json_boolean(enabled));
}

static void rpc_log_get_flags(struct sio_rpc_request *req, void *params)
{
	json_t *o = json_object();

	sio_log_flag_foreach(add_flag, o);
	sio_rpc_request_complete(req, o);
}

/* framework_get_subsystems / framework_get_config / save_config */

static void add_subsystem(const struct sio_subsystem *s, void *ctx)
{
	json_t *deps = json_array();

	for (size_t i = 0; s->depends_on != NULL && s->depends_on[i] != NULL; i++)
		json_array_append_new(deps, json_string(s->depends_on[i]));
	json_array_append_new(ctx, json_pack("{s:s, s:o}", "subsystem", s->name, "depends_on", deps));
}

static void rpc_framework_get_subsystems(struct sio_rpc_request *req, void *params)
{
	json_t *arr = json_array();
	int rc = sio_subsystem_foreach(add_subsystem, arr);

	if (rc != 0) {
		json_decref(arr);
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, arr);
}

struct get_config_params {
	const char *name;
	bool with_batches;
};

static const struct sio_rpc_param g_get_config_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct get_config_params, name),
	SIO_RPC_PARAM("with_batches", SIO_RPC_BOOL, false, struct get_config_params, with_batches),
};

static void rpc_framework_get_config(struct sio_rpc_request *req, void *params)
{
	struct get_config_params *p = params;
	const struct sio_subsystem *s = sio_subsystem_find(p->name);
	json_t *cfg;

	if (s == NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "framework_get_config: subsystem '%s' not found", p->name);
		return;
	}
	cfg = json_array();
	if (s->write_config != NULL)
		s->write_config(cfg);
	sio_rpc_request_complete(req, cfg);
}

static void rpc_save_config(struct sio_rpc_request *req, void *params)
{
	json_t *cfg = sio_app_save_config();

	if (cfg == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	sio_rpc_request_complete(req, cfg);
}

/* spdk_kill_instance */

static const char *const g_signal_names[] = {"SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP",
					     "SIGKILL", "SIGUSR1", NULL};
static const int g_signal_numbers[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGKILL, SIGUSR1};

struct kill_params {
	const char *sig_name;
};

static const struct sio_rpc_param g_kill_params[] = {
	{.name = "sig_name", .type = SIO_RPC_ENUM, .required = true,
	 .offset = offsetof(struct kill_params, sig_name), .class_name = "kill_signal",
	 .enum_values = g_signal_names},
};

static void send_signal(void *arg)
{
	kill(getpid(), (int)(intptr_t)arg);
}

static void rpc_spdk_kill_instance(struct sio_rpc_request *req, void *params)
{
	struct kill_params *p = params;

	for (size_t i = 0; g_signal_names[i] != NULL; i++) {
		if (strcmp(g_signal_names[i], p->sig_name) == 0) {
			/* After the reply is written, or the client would see a reset. */
			app_rpc_request_set_after_reply(req, send_signal,
							(void *)(intptr_t)g_signal_numbers[i]);
			sio_rpc_request_complete(req, NULL);
			return;
		}
	}
	sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "unknown signal %s", p->sig_name);
}

static const struct sio_rpc_method g_app_methods[] = {
	{.name = "spdk_get_version", .handler = rpc_spdk_get_version, .state_mask = ANY_STATE},
	{.name = "rpc_get_methods", .handler = rpc_rpc_get_methods, .params = g_get_methods_params,
	 .param_count = SIO_RPC_COUNT(g_get_methods_params),
	 .params_size = sizeof(struct get_methods_params), .state_mask = ANY_STATE},
	{.name = "framework_get_reactors", .handler = rpc_framework_get_reactors,
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "framework_start_init", .handler = rpc_framework_start_init,
	 .state_mask = SIO_RPC_STARTUP},
	{.name = "framework_wait_init", .handler = rpc_framework_wait_init,
	 .state_mask = ANY_STATE},
	{.name = "thread_get_stats", .handler = rpc_thread_get_stats, .state_mask = SIO_RPC_RUNTIME},
	{.name = "log_set_flag", .handler = rpc_log_set_flag, .params = g_flag_params,
	 .param_count = SIO_RPC_COUNT(g_flag_params), .params_size = sizeof(struct flag_params),
	 .state_mask = ANY_STATE},
	{.name = "log_clear_flag", .handler = rpc_log_clear_flag, .params = g_flag_params,
	 .param_count = SIO_RPC_COUNT(g_flag_params), .params_size = sizeof(struct flag_params),
	 .state_mask = ANY_STATE},
	{.name = "log_get_flags", .handler = rpc_log_get_flags, .state_mask = ANY_STATE},
	{.name = "framework_get_subsystems", .handler = rpc_framework_get_subsystems,
	 .state_mask = ANY_STATE},
	{.name = "framework_get_config", .handler = rpc_framework_get_config,
	 .params = g_get_config_params, .param_count = SIO_RPC_COUNT(g_get_config_params),
	 .params_size = sizeof(struct get_config_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "save_config", .handler = rpc_save_config, .state_mask = SIO_RPC_RUNTIME},
	{.name = "spdk_kill_instance", .handler = rpc_spdk_kill_instance, .params = g_kill_params,
	 .param_count = SIO_RPC_COUNT(g_kill_params), .params_size = sizeof(struct kill_params),
	 .state_mask = ANY_STATE},
};

const struct sio_rpc_method_table sio_rpc_table_app = {
	.methods = g_app_methods,
	.count = SIO_RPC_COUNT(g_app_methods),
};
