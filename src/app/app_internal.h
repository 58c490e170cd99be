/* SPDX-License-Identifier: BSD-3-Clause */
/* Cross-file internals of the app layer. */
#ifndef SIO_APP_INTERNAL_H
#define SIO_APP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spdk_io/app.h"
#include "spdk_io/rpc.h"

/* ---- requests (rpc/request.c) ---- */

/*
 * How a request's outcome is delivered: @code 0 and @result (a reference the
 * callee takes over), or a JSON-RPC/errno @code and @message. The request is
 * freed right after this returns.
 */
typedef void (*app_rpc_done_fn)(void *ctx, struct sio_rpc_request *req, int code,
				const char *message, json_t *result);

/*
 * Start @method with @params (borrowed; a reference is kept). Param errors are
 * delivered through @done (code -32602) before this returns.
 */
void app_rpc_request_start(const struct sio_rpc_method *method, json_t *params, bool from_config,
			   app_rpc_done_fn done, void *ctx);

/* Something to do once the reply is on the wire (spdk_kill_instance). */
typedef void (*app_rpc_after_fn)(void *arg);
void app_rpc_request_set_after_reply(struct sio_rpc_request *req, app_rpc_after_fn fn, void *arg);
/* Take the after-reply action out of @req (NULL if none). */
app_rpc_after_fn app_rpc_request_take_after_reply(struct sio_rpc_request *req, void **arg);

/* ---- method registry (rpc/registry.c) ---- */
int app_rpc_registry_load(void);
/* Current state (SIO_RPC_STARTUP or SIO_RPC_RUNTIME), kept by the app. */
uint32_t app_rpc_get_state(void);
void app_rpc_set_state(uint32_t state);

/* ---- framing (rpc/framing.c) ---- */

/* Incremental finder of the end of one top-level JSON object/array in a byte stream. */
struct app_rpc_scan {
	size_t pos;     /* bytes of the buffer already examined */
	size_t start;   /* offset of the value's first byte */
	int depth;      /* nesting level of {} and [] */
	bool started;   /* the opening bracket was seen */
	bool in_string;
	bool escape;
};

enum app_rpc_scan_result {
	APP_RPC_SCAN_MORE = 0,   /* no complete value yet: read more */
	APP_RPC_SCAN_VALUE = 1,  /* a value spans [start, pos) */
	APP_RPC_SCAN_BAD = 2,    /* the stream does not start with { or [: not a request */
	APP_RPC_SCAN_EMPTY = 3,  /* only whitespace so far */
};

void app_rpc_scan_reset(struct app_rpc_scan *s);
enum app_rpc_scan_result app_rpc_scan(struct app_rpc_scan *s, const char *buf, size_t len);

/* ---- server (rpc/server.c) ---- */

/* Largest request accepted on the RPC socket, in bytes. */
#define APP_RPC_MAX_REQUEST (16u * 1024 * 1024)
/* Clients served at once; more are accepted and closed at once. */
#define APP_RPC_MAX_CONNS 64

int app_rpc_server_start(const char *path);
void app_rpc_server_stop(void);
const char *app_rpc_server_path(void);

/* ---- subsystems (subsystem.c) ---- */
int app_subsystem_init_all(void);   /* awaits each init in order; a task on the app thread */
void app_subsystem_fini_all(void);  /* awaits each fini in reverse; a task on the app thread */
bool app_subsystem_is_initialized(void);
/* Subsystems in init order; count in *n. Valid until the next registration. */
const struct sio_subsystem *const *app_subsystem_ordered(size_t *n);
int app_subsystem_registry_load(void);

/* ---- config (config.c) ---- */
/* Parsed and validated config; both passes run from the startup task. */
struct app_config;
int app_config_load(const char *file, const char *text, struct app_config **out);
/* Run entries of @pass (SIO_RPC_STARTUP: methods allowed at startup; SIO_RPC_RUNTIME: the rest). */
int app_config_apply(struct app_config *cfg, uint32_t pass);
void app_config_free(struct app_config *cfg);

/* ---- app (app.c) ---- */
bool app_is_running(void);
/* framework_start_init: resume a startup held by --wait-for-rpc; @req completes once init is done. -EALREADY if not waiting. */
int app_start_init(struct sio_rpc_request *req);
/*
 * framework_wait_init: answer @req (true) once startup is over, subsystems and the whole -c
 * config included, at once if it is; with the error if startup failed. -ENOMEM: not queued.
 */
int app_wait_init(struct sio_rpc_request *req);

/* @t's pollers by kind (thread_get_stats and the metrics endpoint). Context: @t's thread. */
struct app_poller_counts {
	uint64_t active, timed, paused;
};
void app_count_pollers(struct sio_thread *t, struct app_poller_counts *c);
struct sio_thread *app_get_thread(void);

/* ---- reactors (reactor.c) ---- */
struct app_reactor_info {
	int core;
	uint64_t busy_tsc;
	uint64_t idle_tsc;
	bool in_interrupt;
};
/* @interrupt_mode: reactors sleep when idle (sio_app_opts.interrupt_mode); else they poll. */
int app_reactors_create(const struct sio_cpuset *mask, int main_core, uint32_t shutdown_ms,
			bool interrupt_mode);
int app_reactors_create_event_threads(void);
/* Called by the main reactor on every loop turn (signals, pending stop). */
void app_reactor_main_tick(void);
int app_reactors_start(void);          /* spawns the non-main reactors' OS threads */
void app_reactor_run_main(void);       /* the main reactor's loop, on the calling OS thread */
void app_reactors_stop(void);          /* ask every reactor to stop once its threads are gone */
void app_reactors_join(void);
void app_reactors_destroy(void);
void app_reactors_wake_main(void);
/* Visit reactors and their threads (framework_get_reactors); since[i] is the tick
 * threads[i] was placed on the reactor. Context: any thread. */
typedef void (*app_reactor_visit_fn)(const struct app_reactor_info *r, struct sio_thread *const *threads,
				     const uint64_t *since, size_t n, void *ctx);
void app_reactors_foreach(app_reactor_visit_fn fn, void *ctx);

#endif
