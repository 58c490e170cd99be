/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The app's life: options, start (env, reactors, RPC, subsystems, config,
 * main task), stop (from sio_app_stop() or SIGINT/SIGTERM) and the orderly
 * shutdown, all sequenced by two tasks on the app thread so each step reads
 * top to bottom and awaits the asynchronous ones.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "spdk_io/trace.h"

#define DEFAULT_MAIN_STACK (256u * 1024)

_Static_assert(sizeof(struct sio_app_opts) == 376,
	       "struct sio_app_opts changed: update sio_app_opts_init() and copy_opts()");

struct shutdown_waiter {
	struct sio_future f;
	LIST_ENTRY(shutdown_waiter) link;
};

/*
 * Serialises a stop against the publication of the app thread: a stop either
 * sees the app thread and messages it, or sio_app_run() sees the stop once it
 * has created the thread.
 */
static pthread_mutex_t g_stop_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	bool active;                  /* atomic: sio_app_run() owns the framework */
	bool running;                 /* atomic: published once the run's state is reset */
	bool stopping;                /* atomic: sio_app_stop() was called */
	int stop_rc;                  /* atomic */
	struct sio_app_opts opts;
	struct sio_thread *app_thread;
	struct app_config *cfg;
	sio_app_main_fn main_fn;
	void *main_arg;
	struct sio_future startup_done;
	bool startup_started;
	bool shutdown_started;        /* app thread only */
	struct sio_future main_done;
	bool main_started;
	bool waiting_for_init;
	struct sio_future init_go;
	struct sio_rpc_request *start_init_req;
	/* framework_wait_init: requests held until startup (config included) ends. */
	struct sio_rpc_request **init_waiters;
	size_t init_waiter_count;
	bool init_finished;
	int init_rc;
	LIST_HEAD(, shutdown_waiter) waiters;
	int signal; /* atomic (lock-free, so async-signal-safe): pending signal */
	struct sigaction old_int, old_term;
} g_app;

/*
 * SIO_INTERRUPT_MODE=1 makes interrupt mode the default: on a machine shared by many apps
 * (a test run, a CI box) polling reactors take turns on the cores instead of serving I/O.
 */
static bool env_interrupt_mode(void)
{
	const char *v = getenv("SIO_INTERRUPT_MODE");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

void sio_app_opts_init(struct sio_app_opts *opts, size_t opts_size)
{
	struct sio_app_opts d = {
		.opts_size = sizeof(d),
		.name = "spdk-io",
		.reactor_mask = "0x1",
		.main_core = -1,
		.no_pci = true,
		.rpc_addr = SIO_APP_DEFAULT_RPC_ADDR,
		.log_level = SIO_LOG_NOTICE,
		.shutdown_timeout_ms = 5000,
		.interrupt_mode = env_interrupt_mode(),
	};

	if (opts == NULL || opts_size == 0)
		return;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
	opts->opts_size = opts_size;
}

/* Take the fields the caller's struct has; defaults for the rest. */
static int copy_opts(const struct sio_app_opts *in, struct sio_app_opts *out)
{
	sio_app_opts_init(out, sizeof(*out));
	if (in == NULL)
		return 0;
	if (in->opts_size < offsetof(struct sio_app_opts, name) + sizeof(in->name) ||
	    in->opts_size > sizeof(*out)) {
		SIO_ERRLOG("sio_app_opts: opts_size %zu is not one this library knows (use "
			   "sio_app_opts_init())", in->opts_size);
		return -EINVAL;
	}
	memcpy(out, in, in->opts_size);
	out->opts_size = sizeof(*out);
	if (out->log_flag_count > SIO_APP_MAX_LOG_FLAGS)
		return -EINVAL;
	return 0;
}

bool app_is_running(void)
{
	return __atomic_load_n(&g_app.running, __ATOMIC_ACQUIRE);
}

bool sio_app_is_running(void)
{
	return app_is_running();
}

bool sio_app_is_shutting_down(void)
{
	return __atomic_load_n(&g_app.stopping, __ATOMIC_ACQUIRE);
}

struct sio_thread *app_get_thread(void)
{
	return g_app.app_thread;
}

const char *sio_app_get_rpc_addr(void)
{
	return app_rpc_server_path();
}

/*
 * The trace file is named after the app (/dev/shm/<name>_trace.pid<PID>, as
 * SPDK names it) and created only if a tracepoint gets enabled: here for
 * -e, or later by a trace_* RPC.
 */
static int app_trace_setup(void)
{
	struct sio_trace_opts to;
	const char *spec = g_app.opts.tpoint_group;
	int rc;

	sio_trace_opts_init(&to, sizeof(to));
	to.name = g_app.opts.name;
	rc = sio_trace_init(&to);
	if (rc != 0) {
		SIO_WARNLOG("trace: app name '%s' cannot name a trace file; using the default",
			    g_app.opts.name);
		sio_trace_init(NULL);
	}
	if (spec == NULL || *spec == '\0')
		return 0;
	rc = sio_trace_enable_groups(spec);
	if (rc != 0) {
		SIO_ERRLOG("-e %s: %s", spec,
			   rc == -EINVAL ? "not a group mask or tracepoint group name" : strerror(-rc));
		return rc;
	}
	SIO_NOTICELOG("tracepoint group mask 0x%llx; read it with: sio_trace -s %s -p %d",
		      (unsigned long long)sio_trace_get_group_mask(), g_app.opts.name, (int)getpid());
	return 0;
}

/* Flags may be registered by subsystem init: @strict says unknown is an error. */
static int apply_log_flags(bool strict)
{
	for (size_t i = 0; i < g_app.opts.log_flag_count; i++) {
		int rc = sio_log_set_flag(g_app.opts.log_flags[i]);

		if (rc != 0 && strict) {
			SIO_ERRLOG("-L %s: %s", g_app.opts.log_flags[i],
				   rc == -ENOENT ? "no such log flag" : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* ---- shutdown ---- */

static void exit_current_thread(void *ctx)
{
	struct sio_thread *t = sio_thread_get_current();

	if (t != NULL && sio_thread_is_running(t))
		sio_thread_exit(t);
}

static void ask_exit(struct sio_thread *t, void *ctx)
{
	if (t == g_app.app_thread)
		return;
	if (sio_thread_send_msg(t, exit_current_thread, NULL) != 0)
		SIO_DEBUGLOG("app", "thread %s gone before exit", sio_thread_get_name(t));
}

/* Runs as a message after the shutdown task has returned. */
static void final_exit(void *ctx)
{
	sio_thread_foreach(ask_exit, NULL);
	sio_thread_exit(g_app.app_thread);
	app_reactors_stop();
}

static int stop_rc(void)
{
	return __atomic_load_n(&g_app.stop_rc, __ATOMIC_ACQUIRE);
}

/* Record the first stop and its rc; false if already stopping. Caller holds g_stop_lock. */
static bool set_stopping_locked(int rc)
{
	if (__atomic_load_n(&g_app.stopping, __ATOMIC_ACQUIRE))
		return false;
	__atomic_store_n(&g_app.stop_rc, rc, __ATOMIC_RELEASE);
	__atomic_store_n(&g_app.stopping, true, __ATOMIC_RELEASE);
	return true;
}

static int shutdown_task(void *arg)
{
	struct shutdown_waiter *w;

	int rc = stop_rc();

	SIO_INFOLOG("shutting down (rc %d)", rc);
	while ((w = LIST_FIRST(&g_app.waiters)) != NULL) {
		LIST_REMOVE(w, link);
		sio_future_complete(&w->f, rc, NULL);
	}
	if (g_app.waiting_for_init) {
		g_app.waiting_for_init = false;
		sio_future_complete(&g_app.init_go, -ECANCELED, NULL);
	}
	app_rpc_server_stop();
	/* An init in flight cannot be cancelled: let it finish, then undo it. */
	if (g_app.startup_started)
		sio_await(&g_app.startup_done);
	if (g_app.main_started &&
	    sio_await_timeout(&g_app.main_done, (uint64_t)g_app.opts.shutdown_timeout_ms * 1000) ==
		    -ETIMEDOUT)
		SIO_WARNLOG("main task still running after %u ms; shutting down anyway",
			    g_app.opts.shutdown_timeout_ms);
	app_subsystem_fini_all();
	sio_thread_send_msg(g_app.app_thread, final_exit, NULL);
	return 0;
}

static void start_shutdown(void *ctx)
{
	struct sio_task_opts o;

	/* sio_app_stop() and sio_app_run() may both ask, in a race at startup. */
	if (g_app.shutdown_started)
		return;
	g_app.shutdown_started = true;

	sio_task_opts_init(&o, sizeof(o));
	o.name = "app_shutdown";
	if (sio_task_spawn(&o, shutdown_task, NULL, NULL) != 0) {
		SIO_ERRLOG("cannot start the shutdown task; stopping reactors");
		final_exit(NULL);
	}
}

void sio_app_stop(int rc)
{
	struct sio_thread *t;
	bool first;

	pthread_mutex_lock(&g_stop_lock);
	if (!app_is_running()) {
		pthread_mutex_unlock(&g_stop_lock);
		SIO_WARNLOG("sio_app_stop(%d): no app is running", rc);
		return;
	}
	first = set_stopping_locked(rc);
	/* No app thread yet: sio_app_run() sees `stopping` once it has created it. */
	t = g_app.app_thread;
	pthread_mutex_unlock(&g_stop_lock);
	if (!first) {
		SIO_DEBUGLOG("app", "sio_app_stop(%d): already stopping", rc);
		return;
	}
	if (t != NULL && sio_thread_send_msg(t, start_shutdown, NULL) != 0) {
		SIO_ERRLOG("cannot reach the app thread; stopping reactors");
		app_reactors_stop();
	}
}

int sio_app_wait_shutdown(void)
{
	return sio_app_wait_shutdown_timeout(UINT64_MAX);
}

int sio_app_wait_shutdown_timeout(uint64_t us)
{
	struct shutdown_waiter w;
	int rc;

	if (!sio_in_task() || g_app.app_thread == NULL ||
	    sio_thread_get_current() != g_app.app_thread)
		return -EPERM;
	if (sio_app_is_shutting_down())
		return stop_rc();
	rc = sio_future_init(&w.f);
	if (rc != 0)
		return rc;
	LIST_INSERT_HEAD(&g_app.waiters, &w, link);
	if (us == UINT64_MAX)
		return sio_await(&w.f);
	rc = sio_await_timeout(&w.f, us);
	/* Nobody may complete a future that is about to leave the stack. */
	if (rc == -ETIMEDOUT)
		LIST_REMOVE(&w, link);
	return rc;
}

/* Signals: the handler only records; the main reactor acts on its next turn. */
static void on_signal(int signo)
{
	int saved = errno;

	__atomic_store_n(&g_app.signal, signo, __ATOMIC_RELAXED);
	app_reactors_wake_main(); /* a write() to an eventfd: async-signal-safe */
	errno = saved;
}

void app_reactor_main_tick(void)
{
	int signo = __atomic_exchange_n(&g_app.signal, 0, __ATOMIC_RELAXED);

	if (signo != 0) {
		SIO_NOTICELOG("signal %d (%s): shutting down", signo, strsignal(signo));
		sio_app_stop(0);
	}
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &g_app.old_int);
	sigaction(SIGTERM, &sa, &g_app.old_term);
}

static void restore_signals(void)
{
	sigaction(SIGINT, &g_app.old_int, NULL);
	sigaction(SIGTERM, &g_app.old_term, NULL);
}

/* ---- startup ---- */

int app_start_init(struct sio_rpc_request *req)
{
	if (!g_app.waiting_for_init)
		return -EALREADY;
	g_app.waiting_for_init = false;
	g_app.start_init_req = req;
	sio_future_complete(&g_app.init_go, 0, NULL);
	return 0;
}

int app_wait_init(struct sio_rpc_request *req)
{
	struct sio_rpc_request **w;

	if (g_app.init_finished) {
		if (g_app.init_rc == 0)
			sio_rpc_request_complete(req, json_true());
		else
			sio_rpc_request_fail_errno(req, g_app.init_rc);
		return 0;
	}
	w = realloc(g_app.init_waiters, (g_app.init_waiter_count + 1) * sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w[g_app.init_waiter_count++] = req;
	g_app.init_waiters = w;
	return 0;
}

/* Startup ended (@rc 0: subsystems up and the whole config applied): answer the waiters. */
static void finish_init(int rc)
{
	g_app.init_finished = true;
	g_app.init_rc = rc;
	for (size_t i = 0; i < g_app.init_waiter_count; i++) {
		if (rc == 0)
			sio_rpc_request_complete(g_app.init_waiters[i], json_true());
		else
			sio_rpc_request_fail_errno(g_app.init_waiters[i], rc);
	}
	free(g_app.init_waiters);
	g_app.init_waiters = NULL;
	g_app.init_waiter_count = 0;
}

static int main_task(void *arg)
{
	int rc = g_app.main_fn(g_app.main_arg);

	if (rc != 0 && !sio_app_is_shutting_down())
		sio_app_stop(rc);
	return rc;
}

static int startup(void)
{
	int rc;

	if (g_app.opts.rpc_addr != NULL && g_app.opts.rpc_addr[0] != '\0') {
		rc = app_rpc_server_start(g_app.opts.rpc_addr);
		if (rc != 0)
			return rc;
	}
	rc = app_config_apply(g_app.cfg, SIO_RPC_STARTUP);
	if (rc != 0)
		return rc;
	if (g_app.opts.wait_for_rpc) {
		rc = sio_future_init(&g_app.init_go);
		if (rc != 0)
			return rc;
		g_app.waiting_for_init = true;
		SIO_NOTICELOG("waiting for framework_start_init on %s",
			      app_rpc_server_path() ? app_rpc_server_path() : "(no RPC server)");
		rc = sio_await(&g_app.init_go);
		if (rc != 0)
			return rc;
	}
	rc = app_subsystem_init_all();
	if (rc != 0)
		return rc;
	app_rpc_set_state(SIO_RPC_RUNTIME);
	rc = apply_log_flags(true);
	if (rc != 0)
		return rc;
	return app_config_apply(g_app.cfg, SIO_RPC_RUNTIME);
}

static int startup_task(void *arg)
{
	int rc = startup();

	if (g_app.start_init_req != NULL) {
		if (rc == 0)
			sio_rpc_request_complete(g_app.start_init_req, NULL);
		else
			sio_rpc_request_fail_errno(g_app.start_init_req, rc);
		g_app.start_init_req = NULL;
	}
	finish_init(rc);
	if (rc == -ECANCELED && sio_app_is_shutting_down())
		return 0;
	if (rc != 0) {
		SIO_ERRLOG("%s: startup failed: %s", g_app.opts.name, strerror(-rc));
		sio_app_stop(rc);
		return rc;
	}
	SIO_INFOLOG("%s: started on %u core(s)", g_app.opts.name, sio_core_count());
	if (g_app.main_fn != NULL && !sio_app_is_shutting_down()) {
		struct sio_task_opts o;

		sio_task_opts_init(&o, sizeof(o));
		o.name = "app_main";
		o.stack_size = g_app.opts.main_stack_size ? g_app.opts.main_stack_size
							  : DEFAULT_MAIN_STACK;
		rc = sio_task_spawn(&o, main_task, NULL, &g_app.main_done);
		if (rc != 0) {
			SIO_ERRLOG("cannot start the main task: %s", strerror(-rc));
			sio_app_stop(rc);
			return rc;
		}
		g_app.main_started = true;
	}
	return 0;
}

static void start_app(void *ctx)
{
	struct sio_task_opts o;
	int rc;

	if (sio_app_is_shutting_down())
		return;
	sio_task_opts_init(&o, sizeof(o));
	o.name = "app_startup";
	rc = sio_task_spawn(&o, startup_task, NULL, &g_app.startup_done);
	if (rc != 0) {
		SIO_ERRLOG("cannot start the startup task: %s", strerror(-rc));
		sio_app_stop(rc);
		return;
	}
	g_app.startup_started = true;
}

static int parse_mask(struct sio_cpuset *mask, int *main_core)
{
	int c;

	if (sio_cpuset_parse(mask, g_app.opts.reactor_mask) != 0 || sio_cpuset_count(mask) == 0) {
		SIO_ERRLOG("reactor mask '%s' is not a core mask (0x3 or [0-1])",
			   g_app.opts.reactor_mask ? g_app.opts.reactor_mask : "(null)");
		return -EINVAL;
	}
	c = sio_cpuset_first_absent(mask);
	if (c >= 0) {
		SIO_ERRLOG("reactor mask '%s' names core %d; this machine has %u",
			   g_app.opts.reactor_mask, c, sio_cpu_count());
		return -EINVAL;
	}
	*main_core = g_app.opts.main_core >= 0 ? g_app.opts.main_core : sio_cpuset_next(mask, -1);
	if (!sio_cpuset_is_set(mask, (unsigned int)*main_core)) {
		SIO_ERRLOG("main core %d is not in the reactor mask '%s'", *main_core,
			   g_app.opts.reactor_mask);
		return -EINVAL;
	}
	return 0;
}

int sio_app_run(const struct sio_app_opts *opts, sio_app_main_fn main_fn, void *arg)
{
	struct sio_env_opts eo;
	struct sio_cpuset mask, one;
	struct sio_thread *t;
	cpu_set_t saved_affinity;
	bool have_affinity;
	int main_core, rc;

	if (__atomic_exchange_n(&g_app.active, true, __ATOMIC_ACQ_REL)) {
		SIO_ERRLOG("sio_app_run: an app is already running in this process");
		return -EBUSY;
	}
	if (sio_thread_get_current() != NULL) {
		SIO_ERRLOG("sio_app_run: call it from a plain OS thread, not from a sio_thread");
		rc = -EINVAL;
		goto out_running;
	}
	memset(&g_app.opts, 0, sizeof(g_app.opts));
	rc = copy_opts(opts, &g_app.opts);
	if (rc != 0)
		goto out_running;
	__atomic_store_n(&g_app.stopping, false, __ATOMIC_RELAXED);
	__atomic_store_n(&g_app.stop_rc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_app.signal, 0, __ATOMIC_RELAXED);
	g_app.main_fn = main_fn;
	g_app.main_arg = arg;
	g_app.startup_started = g_app.main_started = false;
	g_app.shutdown_started = false;
	g_app.waiting_for_init = false;
	g_app.start_init_req = NULL;
	g_app.init_finished = false;
	g_app.init_rc = 0;
	LIST_INIT(&g_app.waiters);
	/* From here on a stop counts for this run (the resets above came first). */
	__atomic_store_n(&g_app.running, true, __ATOMIC_RELEASE);
	app_rpc_set_state(SIO_RPC_STARTUP);
	sio_log_set_level(g_app.opts.log_level);
	sio_log_flag_register("app");
	sio_log_flag_register("rpc");

	rc = parse_mask(&mask, &main_core);
	if (rc != 0)
		goto out_running;
	rc = app_rpc_registry_load();
	if (rc == 0)
		rc = app_subsystem_registry_load();
	if (rc != 0)
		goto out_running;
	/* The config is checked whole before anything starts. */
	rc = app_config_load(g_app.opts.json_config_file, g_app.opts.json_config_text, &g_app.cfg);
	if (rc != 0)
		goto out_running;
	/* Early, so a signal during startup is an orderly stop, not a default death. */
	install_signals();

	sio_env_opts_init(&eo, sizeof(eo));
	eo.name = g_app.opts.name;
	eo.core_mask = g_app.opts.reactor_mask;
	eo.mem_size_mb = g_app.opts.mem_size_mb;
	eo.hugepages = g_app.opts.hugepages;
	eo.no_pci = g_app.opts.no_pci;
	eo.main_core = main_core;
	rc = sio_env_init(&eo);
	if (rc != 0) {
		SIO_ERRLOG("env init: %s", rc == -EALREADY ? "the env is already initialised "
							     "(sio_app_run() does it)"
							   : strerror(-rc));
		goto out_cfg;
	}
	apply_log_flags(false);
	rc = app_trace_setup();
	if (rc != 0)
		goto out_env;

	rc = app_reactors_create(&mask, main_core, g_app.opts.shutdown_timeout_ms,
				 g_app.opts.interrupt_mode);
	if (rc != 0)
		goto out_env;
	sio_cpuset_zero(&one);
	sio_cpuset_set(&one, (unsigned int)main_core);
	/* Created first, so it is also the thread layer's app thread. */
	t = sio_thread_create("app_thread", &one);
	if (t == NULL) {
		rc = -errno;
		goto out_reactors;
	}
	pthread_mutex_lock(&g_stop_lock);
	g_app.app_thread = t;
	pthread_mutex_unlock(&g_stop_lock);
	rc = app_reactors_create_event_threads();
	if (rc != 0)
		goto out_threads;
	rc = sio_thread_send_msg(g_app.app_thread, start_app, NULL);
	if (rc != 0)
		goto out_threads;
	/* A stop that came before the app thread existed. */
	if (sio_app_is_shutting_down())
		sio_thread_send_msg(g_app.app_thread, start_shutdown, NULL);

	have_affinity = pthread_getaffinity_np(pthread_self(), sizeof(saved_affinity),
					       &saved_affinity) == 0;
	if (sio_cpu_pin_current((unsigned int)main_core) != 0)
		SIO_WARNLOG("cannot pin the main reactor to core %d", main_core);
	rc = app_reactors_start();
	if (rc != 0) {
		SIO_ERRLOG("cannot start reactors: %s", strerror(-rc));
		pthread_mutex_lock(&g_stop_lock);
		set_stopping_locked(rc);
		pthread_mutex_unlock(&g_stop_lock);
		sio_thread_send_msg(g_app.app_thread, start_shutdown, NULL);
	}
	app_reactor_run_main();
	app_reactors_join();
	if (have_affinity)
		pthread_setaffinity_np(pthread_self(), sizeof(saved_affinity), &saved_affinity);
	rc = stop_rc();
	goto out_reactors;

out_threads:
	/* Nothing ran yet: stop the reactors' threads by hand. */
	pthread_mutex_lock(&g_stop_lock);
	set_stopping_locked(rc);
	pthread_mutex_unlock(&g_stop_lock);
	sio_thread_send_msg(g_app.app_thread, final_exit, NULL);
	app_reactor_run_main();
out_reactors:
	app_reactors_destroy();
	pthread_mutex_lock(&g_stop_lock);
	g_app.app_thread = NULL;
	pthread_mutex_unlock(&g_stop_lock);
out_env:
	sio_trace_fini();
	sio_env_fini();
out_cfg:
	restore_signals();
	app_config_free(g_app.cfg);
	g_app.cfg = NULL;
out_running:
	pthread_mutex_lock(&g_stop_lock);
	__atomic_store_n(&g_app.running, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g_stop_lock);
	__atomic_store_n(&g_app.active, false, __ATOMIC_RELEASE);
	return rc;
}
