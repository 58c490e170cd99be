/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file app.h
 * The application framework: reactors (one OS thread per core of the mask,
 * polling the sio_threads placed on it), the app run/stop cycle with orderly
 * shutdown on SIGINT/SIGTERM, events to a core, subsystems initialised in
 * dependency order, SPDK-format JSON config and the JSON-RPC server (methods:
 * see rpc.h), and the one argument parser every tool shares.
 */
#ifndef SPDK_IO_APP_H
#define SPDK_IO_APP_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "spdk_io/async.h"
#include "spdk_io/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The RPC socket path when none is given, as SPDK's. */
#define SIO_APP_DEFAULT_RPC_ADDR "/var/tmp/spdk.sock"
/** -L flags kept by sio_app_opts. */
#define SIO_APP_MAX_LOG_FLAGS 32

/** Options of sio_app_run(). Fill with sio_app_opts_init() first. */
struct sio_app_opts {
	size_t opts_size;            /**< set by sio_app_opts_init() */
	const char *name;            /**< process name; default "spdk-io" */
	const char *json_config_file;/**< SPDK-format JSON config to apply at start, or NULL */
	const char *json_config_text;/**< the same as inline text (used when no file is given), or NULL */
	const char *reactor_mask;    /**< cores, "0x3" or "[0-1]"; default "0x1" */
	int main_core;               /**< core of the app thread; -1 = first of the mask */
	size_t mem_size_mb;          /**< DMA memory to reserve; 0 = on demand */
	bool hugepages;              /**< back DMA memory with hugepages; default false */
	bool no_pci;                 /**< leave PCI devices alone; default true */
	const char *rpc_addr;        /**< Unix socket path; default SIO_APP_DEFAULT_RPC_ADDR; NULL or "" = no RPC server */
	bool wait_for_rpc;           /**< init subsystems only once framework_start_init arrives */
	enum sio_log_level log_level;/**< print level; default SIO_LOG_NOTICE */
	const char *log_flags[SIO_APP_MAX_LOG_FLAGS]; /**< debug flags to enable ("-L") */
	size_t log_flag_count;
	uint32_t shutdown_timeout_ms;/**< give up waiting for threads to exit after this; default 5000 */
	size_t main_stack_size;      /**< stack of the main task; 0 = 256 KiB */
	/**
	 * Reactors sleep in epoll_wait() on their threads' interrupt fds once
	 * nothing has been due for ~100 us (SPDK's --interrupt-mode): an idle
	 * app costs next to no CPU, each wake-up costs latency. Default false:
	 * reactors poll their cores without sleeping, as SPDK's do; true when
	 * the environment has SIO_INTERRUPT_MODE set (not "0").
	 */
	bool interrupt_mode;
	/**
	 * Tracepoints to enable at start, in SPDK's -e syntax: a group mask
	 * ("0x8"), group names ("bdev,nvmf_tcp"), "all", each with an optional
	 * ":TPOINT_MASK". NULL = none (tracing is off by default; docs/trace.md).
	 */
	const char *tpoint_group;
};

/**
 * sio_app_opts_init() - Fill @opts with defaults.
 * @opts_size: sizeof(*opts) as the caller was compiled with.
 * Context: any thread.
 */
void sio_app_opts_init(struct sio_app_opts *opts, size_t opts_size);

/** The application's main function, run as a task on the app thread. */
typedef int (*sio_app_main_fn)(void *arg);

/**
 * sio_app_run() - Run an application until it stops.
 * @opts: options (NULL = defaults).
 * @main_fn: runs as a task on the app thread once subsystems are up and the
 *           config is applied (may be NULL). A non-zero return stops the app
 *           with that rc; returning 0 leaves it running (serving RPC) until
 *           sio_app_stop() or a signal.
 * @arg: passed to @main_fn.
 *
 * Initialises the env, starts one reactor per core of the mask (the calling
 * OS thread is the main core's reactor), starts the RPC server, initialises
 * subsystems in dependency order, applies the JSON config, runs @main_fn.
 * SIGINT and SIGTERM (handlers installed for the duration of the call and
 * restored after) do what sio_app_stop(0) does. Shutdown: RPC server closed
 * and its socket removed, subsystems finished in reverse order, every thread
 * asked to exit, reactors joined, env finished.
 *
 * Runs may follow each other in one process (each a complete start and
 * stop); they may not nest or overlap.
 *
 * Context: a plain OS thread with no sio_thread current; blocks until done.
 * Return: the rc given to sio_app_stop() (or @main_fn's non-zero return);
 * -EINVAL for bad options; -EBUSY if an app already runs; -EADDRINUSE if
 * another process serves @opts->rpc_addr; a negative errno from env init,
 * a subsystem init or the config (each logged with the reason).
 */
int sio_app_run(const struct sio_app_opts *opts, sio_app_main_fn main_fn, void *arg);

/**
 * sio_app_stop() - Start the orderly shutdown; sio_app_run() will return @rc.
 * A second call only logs (the first rc wins).
 * Context: any thread, including from tasks and signal-free OS threads.
 */
void sio_app_stop(int rc);

/**
 * sio_app_wait_shutdown() - Park the calling task until shutdown starts
 * (sio_app_stop() or a signal).
 * Context: a task on the app thread.
 * Return: the stop rc; -EPERM outside a task on the app thread.
 */
int sio_app_wait_shutdown(void);

/**
 * sio_app_wait_shutdown_timeout() - As sio_app_wait_shutdown(), giving up
 * after @us microseconds (UINT64_MAX: never).
 * Context: a task on the app thread.
 * Return: the stop rc; -ETIMEDOUT; -EPERM as sio_app_wait_shutdown().
 */
int sio_app_wait_shutdown_timeout(uint64_t us);

/** sio_app_is_running() - Whether an app is between start and the end of shutdown. Context: any thread. */
bool sio_app_is_running(void);

/** sio_app_is_shutting_down() - Whether shutdown has started. Context: any thread. */
bool sio_app_is_shutting_down(void);

/**
 * sio_app_get_rpc_addr() - The path the RPC server listens on, or NULL.
 * Context: any thread while the app runs.
 */
const char *sio_app_get_rpc_addr(void);

/* ------------------------------------------------------------------------ */
/* Argument parsing                                                         */
/* ------------------------------------------------------------------------ */

/** Called for each option in the caller's extra set. Return 0, or a negative errno to fail parsing. */
typedef int (*sio_app_parse_fn)(int ch, const char *optarg, void *ctx);
/** Prints the caller's extra options for -h. */
typedef void (*sio_app_usage_fn)(void *ctx);

/**
 * sio_app_parse_args() - Parse the common flags into @opts, and the caller's.
 * Common (SPDK's): -m/--cpumask MASK, -c/--json FILE, -r/--rpc-socket PATH,
 * -s/--mem-size MB, --no-huge (default; --huge asks for hugepages),
 * -p/--main-core N, -L/--logflag FLAG, --log-level LEVEL, --wait-for-rpc,
 * --no-pci, --interrupt-mode, -e/--tpoint-group SPEC, -h/--help.
 * @extra_short: getopt letters of the caller's options (may be NULL); a
 *               letter the common set uses is refused with -EINVAL.
 * @extra_long: the caller's long options, terminated by a zero entry (may be NULL).
 * @parse_fn: gets each extra option. @usage_fn: prints them for -h.
 *
 * Context: any thread; uses getopt_long() (not reentrant). Messages go to stderr.
 * Return: 0 parsed; 1 help was printed (exit 0); -EINVAL bad usage (message
 * and usage printed; exit non-zero); or @parse_fn's error.
 */
int sio_app_parse_args(int argc, char **argv, struct sio_app_opts *opts, const char *extra_short,
		       const struct option *extra_long, sio_app_parse_fn parse_fn,
		       sio_app_usage_fn usage_fn, void *ctx);

/** sio_app_usage() - Print the common options to stderr. Context: any thread. */
void sio_app_usage(void);

/* ------------------------------------------------------------------------ */
/* Cores and events                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Cores with a reactor. Context for all of these: any thread; while no app
 * runs they report no cores (count 0, -1 for the others).
 */

/** sio_core_count() - Number of cores with a reactor (0 when no app runs). */
uint32_t sio_core_count(void);
/** sio_core_get_first() - Lowest reactor core. Return: the core, or -1. */
int sio_core_get_first(void);
/** sio_core_get_last() - Highest reactor core. Return: the core, or -1. */
int sio_core_get_last(void);
/** sio_core_get_next() - Next reactor core after @prev (-1 to start). Return: the core, or -1 past the last. */
int sio_core_get_next(int prev);
/** sio_core_get_current() - Core of the reactor running the caller. Return: the core, or -1 off reactors. */
int sio_core_get_current(void);
/** sio_core_get_main() - The main core (where the app thread runs). Return: the core, or -1. */
int sio_core_get_main(void);

/** Iterate @i over the reactor cores. */
#define SIO_FOREACH_CORE(i) for (i = sio_core_get_first(); i >= 0; i = sio_core_get_next(i))

/**
 * sio_event_call() - Run @fn(@arg) on the reactor of @core (on that reactor's
 * own sio_thread, "reactor_<core>").
 * Context: any thread while the app runs.
 * Return: 0; -EINVAL for a core without reactor or a NULL @fn; -ESHUTDOWN
 * once reactors stop; -ENOMEM.
 */
int sio_event_call(int core, sio_msg_fn fn, void *arg);

/**
 * sio_event_call_async() - As sio_event_call(), then @cb(@cb_arg, 0) on the
 * calling thread once @fn has run.
 * Context: a sio_thread. Return: as sio_event_call(); -EPERM with no current thread.
 */
int sio_event_call_async(int core, sio_msg_fn fn, void *arg, sio_done_cb cb, void *cb_arg);

/**
 * sio_event_call_await() - Run @fn(@arg) on @core and park the task until it
 * has run. Context: a task. Return: as sio_event_call_async().
 */
static inline int sio_event_call_await(int core, sio_msg_fn fn, void *arg)
{
	return SIO_AWAIT_CALL(sio_event_call_async, core, fn, arg);
}

/**
 * sio_event_call_future() - Run @fn(@arg) on @core; @f (initialised here,
 * owned by the calling thread) completes with 0 once it has run.
 * Context: a sio_thread. Return: as sio_event_call_async().
 */
int sio_event_call_future(int core, sio_msg_fn fn, void *arg, struct sio_future *f);

/* ------------------------------------------------------------------------ */
/* Subsystems                                                               */
/* ------------------------------------------------------------------------ */

/** A subsystem: a layer or module with global state to set up and save. */
struct sio_subsystem {
	const char *name;                /**< as in the config's "subsystem" key */
	const char *const *depends_on;   /**< NULL-terminated names initialised before this one (or NULL) */
	/** Initialise; call @done(@cb_arg, rc) once done (now or later). May be NULL. */
	void (*init)(sio_done_cb done, void *cb_arg);
	/** Tear down; call @done(@cb_arg, 0) once done. May be NULL. */
	void (*fini)(sio_done_cb done, void *cb_arg);
	/**
	 * Append the calls recreating the current state to @config (a JSON array
	 * of {"method","params"}; see sio_rpc_config_append()). May be NULL.
	 */
	void (*write_config)(json_t *config);
};

/**
 * sio_subsystem_register() - Add an application's own subsystem.
 * @subsystem: static storage. Library layers use the generated registry instead.
 * Context: any OS thread while no app runs.
 * Return: 0; -EINVAL; -EEXIST for a name taken; -EBUSY while an app runs; -ENOMEM.
 */
int sio_subsystem_register(const struct sio_subsystem *subsystem);

/** sio_subsystem_find() - A registered subsystem by name. Context: any thread. Return: it, or NULL. */
const struct sio_subsystem *sio_subsystem_find(const char *name);

/** Visitor for sio_subsystem_foreach(). */
typedef void (*sio_subsystem_visit_fn)(const struct sio_subsystem *subsystem, void *ctx);

/**
 * sio_subsystem_foreach() - Visit registered subsystems in init order
 * (dependencies first). Context: any thread while no subsystem is registered.
 * Return: 0; -ELOOP on a dependency cycle, -ENOENT on a dependency that is
 * not registered (nothing visited; message logged).
 */
int sio_subsystem_foreach(sio_subsystem_visit_fn fn, void *ctx);

/**
 * sio_app_save_config() - Build the SPDK-format config of the running app:
 * {"subsystems":[{"subsystem":NAME,"config":[...]}...]} in init order.
 * Context: the app thread. Return: a new reference, or NULL (ENOMEM).
 */
json_t *sio_app_save_config(void);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_APP_H */
