/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The app framework end to end, in one process: repeated start/stop,
 * subsystem order, events to every core, config errors, the two config
 * passes, --wait-for-rpc, and the save_config round trip.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <cmocka.h>

#include "rpc_client.h"
#include "spdk_io/spdk_io.h"

/* ---- a test subsystem pair with methods, through the public API ---- */

static char g_order[512];
static uint32_t g_level;
static bool g_objs_at_set_opts;

struct obj {
	char name[32];
	uint64_t size;
	TAILQ_ENTRY(obj) link;
};
static TAILQ_HEAD(, obj) g_objs = TAILQ_HEAD_INITIALIZER(g_objs);

static void note(const char *what)
{
	size_t len = strlen(g_order);

	snprintf(g_order + len, sizeof(g_order) - len, "%s%s", len ? "," : "", what);
}

static void base_init(sio_done_cb done, void *arg)
{
	note("init:test_base");
	done(arg, 0);
}

static void base_fini(sio_done_cb done, void *arg)
{
	note("fini:test_base");
	g_level = 0;
	done(arg, 0);
}

static void base_write_config(json_t *cfg)
{
	sio_rpc_config_append(cfg, "test_set_opts", json_pack("{s:i}", "level", (int)g_level));
}

/* Completes by message: init may finish after it returns. */
static void sub_init_later(void *arg)
{
	sio_done_cb *d = arg;

	note("init:test_sub");
	d[0](((void **)arg)[1], 0);
	free(arg);
}

static void sub_init(sio_done_cb done, void *arg)
{
	void **ctx = malloc(2 * sizeof(void *));

	ctx[0] = (void *)done;
	ctx[1] = arg;
	sio_thread_send_msg(sio_thread_get_current(), sub_init_later, ctx);
}

static void sub_fini(sio_done_cb done, void *arg)
{
	struct obj *o;

	note("fini:test_sub");
	while ((o = TAILQ_FIRST(&g_objs)) != NULL) {
		TAILQ_REMOVE(&g_objs, o, link);
		free(o);
	}
	done(arg, 0);
}

static void sub_write_config(json_t *cfg)
{
	struct obj *o;

	TAILQ_FOREACH(o, &g_objs, link)
		sio_rpc_config_append(cfg, "test_obj_create",
				      json_pack("{s:s, s:I}", "name", o->name, "size",
						(json_int_t)o->size));
}

static const char *const g_sub_deps[] = {"test_base", NULL};
static const struct sio_subsystem g_sub = {
	.name = "test_sub", .depends_on = g_sub_deps, .init = sub_init, .fini = sub_fini,
	.write_config = sub_write_config,
};
static const struct sio_subsystem g_base = {
	.name = "test_base", .init = base_init, .fini = base_fini,
	.write_config = base_write_config,
};

struct set_opts_params {
	uint32_t level;
};
static const struct sio_rpc_param g_set_opts_params[] = {
	SIO_RPC_PARAM("level", SIO_RPC_UINT32, true, struct set_opts_params, level),
};

static void rpc_set_opts(struct sio_rpc_request *req, void *params)
{
	g_level = ((struct set_opts_params *)params)->level;
	g_objs_at_set_opts = !TAILQ_EMPTY(&g_objs);
	sio_rpc_request_complete(req, NULL);
}

struct create_params {
	const char *name;
	uint64_t size;
};
static const struct sio_rpc_param g_create_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct create_params, name),
	SIO_RPC_PARAM("size", SIO_RPC_UINT64, true, struct create_params, size),
};

struct pending {
	struct sio_rpc_request *req;
	struct obj *o;
};

/* Asynchronous completion, as a bdev create would do. */
static void create_done(void *arg)
{
	struct pending *p = arg;

	TAILQ_INSERT_TAIL(&g_objs, p->o, link);
	sio_rpc_request_complete(p->req, json_string(p->o->name));
	free(p);
}

static void rpc_create(struct sio_rpc_request *req, void *params)
{
	struct create_params *cp = params;
	struct pending *p = calloc(1, sizeof(*p));

	p->req = req;
	p->o = calloc(1, sizeof(*p->o));
	snprintf(p->o->name, sizeof(p->o->name), "%s", cp->name);
	p->o->size = cp->size;
	sio_thread_send_msg(sio_thread_get_current(), create_done, p);
}

static void rpc_fail(struct sio_rpc_request *req, void *params)
{
	sio_rpc_request_fail_errno(req, -EIO);
}

static const struct sio_rpc_method g_test_methods[] = {
	{.name = "test_set_opts", .handler = rpc_set_opts, .params = g_set_opts_params,
	 .param_count = 1, .params_size = sizeof(struct set_opts_params),
	 .state_mask = SIO_RPC_STARTUP},
	{.name = "test_obj_create", .handler = rpc_create, .params = g_create_params,
	 .param_count = 2, .params_size = sizeof(struct create_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "test_fail", .handler = rpc_fail, .state_mask = SIO_RPC_RUNTIME},
};
static const struct sio_rpc_method_table g_test_table = {g_test_methods, 3};

static int group_setup(void **state)
{
	/* Dependent first: the framework must sort them. */
	if (sio_subsystem_register(&g_sub) != 0 || sio_subsystem_register(&g_base) != 0)
		return -1;
	return sio_rpc_register_table(&g_test_table);
}

/* ---- helpers ---- */

static void opts_for_test(struct sio_app_opts *o)
{
	sio_app_opts_init(o, sizeof(*o));
	o->name = "test_app";
	o->rpc_addr = NULL;
	o->reactor_mask = sio_cpu_count() >= 2 ? "0x3" : "0x1";
	o->log_level = SIO_LOG_WARN;
}

static char g_log[8192];

static void capture(enum sio_log_level level, const char *component, const char *msg, void *ctx)
{
	size_t len = strlen(g_log);

	if (level <= SIO_LOG_WARN)
		snprintf(g_log + len, sizeof(g_log) - len, "%s\n", msg);
}

/* ---- tests ---- */

static int stop_with(void *arg)
{
	assert_true(sio_app_is_running());
	assert_int_equal(sio_core_count(), sio_cpu_count() >= 2 ? 2 : 1);
	assert_int_equal(sio_core_get_current(), sio_core_get_main());
	sio_app_stop((int)(intptr_t)arg);
	return 0;
}

static void test_start_stop_many(void **state)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	for (int i = 0; i < 20; i++) {
		g_order[0] = '\0';
		assert_int_equal(sio_app_run(&o, stop_with, (void *)(intptr_t)(i + 1)), i + 1);
		assert_false(sio_app_is_running());
		assert_string_equal(g_order, "init:test_base,init:test_sub,fini:test_sub,"
					     "fini:test_base");
		assert_int_equal(sio_core_count(), 0);
	}
}

static int return_error(void *arg)
{
	return -ENOTSUP;
}

static void test_main_rc(void **state)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	assert_int_equal(sio_app_run(&o, return_error, NULL), -ENOTSUP);
}

static int g_event_hits[SIO_CPUSET_MAX];
static int g_event_where[SIO_CPUSET_MAX];

static void event_fn(void *arg)
{
	int core = (int)(intptr_t)arg;

	g_event_where[core] = sio_core_get_current();
	__atomic_fetch_add(&g_event_hits[core], 1, __ATOMIC_RELAXED);
}

static int events_main(void *arg)
{
	struct sio_future f;
	int core, expect = 0;

	SIO_FOREACH_CORE(core) {
		g_event_where[core] = -1;
		assert_int_equal(sio_event_call_await(core, event_fn, (void *)(intptr_t)core), 0);
		assert_int_equal(g_event_where[core], core);
		for (int i = 0; i < 1000; i++)
			assert_int_equal(sio_event_call(core, event_fn, (void *)(intptr_t)core), 0);
		assert_int_equal(sio_event_call_future(core, event_fn, (void *)(intptr_t)core, &f), 0);
		assert_int_equal(sio_await(&f), 0);
		expect++;
	}
	/* Fire-and-forget events land too. */
	for (int tries = 0; tries < 2000; tries++) {
		int done = 0;

		SIO_FOREACH_CORE(core)
			done += __atomic_load_n(&g_event_hits[core], __ATOMIC_RELAXED) == 1002;
		if (done == expect)
			break;
		sio_sleep(1000);
	}
	SIO_FOREACH_CORE(core)
		assert_int_equal(__atomic_load_n(&g_event_hits[core], __ATOMIC_RELAXED), 1002);
	assert_int_equal(sio_event_call(sio_core_get_last() + 1, event_fn, NULL), -EINVAL);
	assert_int_equal(sio_event_call(sio_core_get_first(), NULL, NULL), -EINVAL);
	assert_int_equal(sio_core_get_next(sio_core_get_last()), -1);
	sio_app_stop(0);
	return 0;
}

static void test_events_every_core(void **state)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	assert_int_equal(sio_app_run(&o, events_main, NULL), 0);
}

static void *nested_run(void *arg)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	*(int *)arg = sio_app_run(&o, NULL, NULL);
	return NULL;
}

static int busy_main(void *arg)
{
	pthread_t t;
	int rc = 0;

	pthread_create(&t, NULL, nested_run, &rc);
	pthread_join(t, NULL);
	sio_app_stop(rc);
	return 0;
}

static void test_bad_opts(void **state)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	o.reactor_mask = "0x10000000";
	assert_int_equal(sio_app_run(&o, NULL, NULL), -EINVAL);
	o.reactor_mask = "zz";
	assert_int_equal(sio_app_run(&o, NULL, NULL), -EINVAL);
	o.reactor_mask = "0x1";
	o.main_core = 1;
	assert_int_equal(sio_app_run(&o, NULL, NULL), -EINVAL);
	o.main_core = -1;
	o.opts_size = 3;
	assert_int_equal(sio_app_run(&o, NULL, NULL), -EINVAL);
	/* A second app while one runs. */
	opts_for_test(&o);
	assert_int_equal(sio_app_run(&o, busy_main, NULL), -EBUSY);
}

struct config_case {
	const char *text;
	const char *expect;
};

static void run_bad_config(const char *file, const char *text, const char *expect)
{
	struct sio_app_opts o;
	int rc;

	opts_for_test(&o);
	o.json_config_file = file;
	o.json_config_text = text;
	g_log[0] = '\0';
	sio_log_set_sink(capture, NULL);
	rc = sio_app_run(&o, NULL, NULL);
	sio_log_set_sink(NULL, NULL);
	assert_true(rc < 0);
	if (strstr(g_log, expect) == NULL)
		fail_msg("config %s: log\n%s\nlacks '%s'", text ? text : file, g_log, expect);
}

static void test_config_errors(void **state)
{
	static const struct config_case cases[] = {
		{"{\"subsystems\": [", "<inline config>:1:16: "},
		{"[]", "expected an object with a \"subsystems\" array"},
		{"{\"subsystems\":[{\"subsystem\":\"nope\",\"config\":[]}]}",
		 "subsystems[0]: unknown subsystem 'nope'"},
		{"{\"subsystems\":[{\"subsystem\":\"test_sub\",\"config\":[{\"method\":\"nope\"}]}]}",
		 "subsystem 'test_sub', config entry 0: unknown method 'nope'"},
		{"{\"subsystems\":[{\"subsystem\":\"test_sub\",\"config\":[{\"method\":"
		 "\"test_obj_create\",\"params\":{\"name\":\"a\"}}]}]}",
		 "config entry 0: test_obj_create: missing required parameter 'size' (uint64)"},
		{"{\"subsystems\":[{\"subsystem\":\"test_sub\",\"config\":[{\"method\":"
		 "\"test_obj_create\",\"params\":{\"name\":\"a\",\"size\":\"big\"}}]}]}",
		 "test_obj_create: parameter 'size' must be of type uint64"},
		{"{\"subsystems\":[{\"subsystem\":\"test_sub\",\"config\":[{\"method\":"
		 "\"test_obj_create\",\"params\":{\"name\":\"a\",\"size\":1,\"colour\":1}}]}]}",
		 "test_obj_create: unknown parameter 'colour'"},
		{"{\"subsystems\":[{\"subsystem\":\"test_sub\",\"config\":[{\"method\":"
		 "\"test_fail\"}]}]}",
		 "config entry 0: test_fail failed: Input/output error"},
		{"{\"subsystems\":[{\"subsystem\":\"test_sub\",\"config\":{}}]}",
		 "\"config\" must be an array"},
	};
	char path[64];
	FILE *f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_bad_config(NULL, cases[i].text, cases[i].expect);

	snprintf(path, sizeof(path), "/tmp/sio-test-config-%d.json", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\n  \"subsystems\": [\n    {\"subsystem\": \"test_sub\",, }\n  ]\n}\n", f);
	fclose(f);
	{
		char expect[128];

		snprintf(expect, sizeof(expect), "%s:3:30: ", path);
		run_bad_config(path, NULL, expect);
	}
	unlink(path);
	run_bad_config(path, NULL, "unable to open");
}

static char g_saved[8192];

static int save_main(void *arg)
{
	json_t *cfg = sio_app_save_config();
	char *s = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(g_saved, sizeof(g_saved), "%s", s);
	free(s);
	json_decref(cfg);
	sio_app_stop(0);
	return 0;
}

static void test_save_config_roundtrip(void **state)
{
	/* Runtime entry before the startup one: the startup pass must run it first. */
	const char *a = "{\"subsystems\":["
			"{\"subsystem\":\"test_sub\",\"config\":["
			"{\"method\":\"test_obj_create\",\"params\":{\"name\":\"one\",\"size\":4096}},"
			"{\"method\":\"test_obj_create\",\"params\":{\"name\":\"two\",\"size\":1}}]},"
			"{\"subsystem\":\"test_base\",\"config\":["
			"{\"method\":\"test_set_opts\",\"params\":{\"level\":7}}]}]}";
	char first[8192];
	struct sio_app_opts o;

	opts_for_test(&o);
	o.json_config_text = a;
	g_objs_at_set_opts = true;
	assert_int_equal(sio_app_run(&o, save_main, NULL), 0);
	assert_false(g_objs_at_set_opts);
	assert_non_null(strstr(g_saved, "{\"method\":\"test_set_opts\",\"params\":{\"level\":7}}"));
	assert_non_null(strstr(g_saved, "\"name\":\"one\",\"size\":4096"));
	assert_non_null(strstr(g_saved, "\"name\":\"two\",\"size\":1"));
	/* Dependencies first in the saved order. */
	assert_true(strstr(g_saved, "test_base") < strstr(g_saved, "test_sub"));
	snprintf(first, sizeof(first), "%s", g_saved);

	o.json_config_text = first;
	assert_int_equal(sio_app_run(&o, save_main, NULL), 0);
	assert_string_equal(g_saved, first);
}

/* --wait-for-rpc: the RPC client runs on its own OS thread. */
static char g_sock[108];
static int g_wait_results[8];
static bool g_main_ran;
static bool g_client_done;

static void *wait_client(void *arg)
{
	struct rpc_client c;
	json_t *r;

	if (rpc_connect(&c, g_sock, 5000) != 0)
		return NULL;
	r = rpc_call(&c, 1, "rpc_get_methods", "{\"current\":true}");
	g_wait_results[0] = json_array_size(json_object_get(r, "result")) > 0;
	for (size_t i = 0; i < json_array_size(json_object_get(r, "result")); i++) {
		const char *m = json_string_value(json_array_get(json_object_get(r, "result"), i));

		if (strcmp(m, "thread_get_stats") == 0)
			g_wait_results[0] = 0; /* runtime-only must not be listed */
	}
	json_decref(r);
	r = rpc_call(&c, 2, "thread_get_stats", NULL);
	g_wait_results[1] = rpc_error_code(r) == -1;
	json_decref(r);
	r = rpc_call(&c, 3, "test_set_opts", "{\"level\":3}");
	g_wait_results[2] = json_is_true(json_object_get(r, "result"));
	json_decref(r);
	g_wait_results[3] = strstr(g_order, "init:") == NULL; /* nothing initialised yet */
	r = rpc_call(&c, 4, "framework_start_init", NULL);
	g_wait_results[4] = json_is_true(json_object_get(r, "result"));
	json_decref(r);
	g_wait_results[5] = strstr(g_order, "init:test_sub") != NULL;
	r = rpc_call(&c, 5, "framework_start_init", NULL);
	g_wait_results[6] = rpc_error_code(r) == -1;
	json_decref(r);
	rpc_close(&c);
	__atomic_store_n(&g_client_done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int wait_main(void *arg)
{
	g_main_ran = true;
	assert_int_equal(g_level, 3);
	/* Keep serving the client until it is done with its checks. */
	while (!__atomic_load_n(&g_client_done, __ATOMIC_ACQUIRE))
		sio_sleep(1000);
	sio_app_stop(0);
	return 0;
}

static void test_wait_for_rpc(void **state)
{
	struct sio_app_opts o;
	pthread_t t;

	snprintf(g_sock, sizeof(g_sock), "/tmp/sio-test-app-%d.sock", (int)getpid());
	opts_for_test(&o);
	o.rpc_addr = g_sock;
	o.wait_for_rpc = true;
	g_order[0] = '\0';
	memset(g_wait_results, 0, sizeof(g_wait_results));
	assert_int_equal(pthread_create(&t, NULL, wait_client, NULL), 0);
	assert_int_equal(sio_app_run(&o, wait_main, NULL), 0);
	pthread_join(t, NULL);
	assert_true(g_main_ran);
	for (int i = 0; i < 7; i++) {
		if (!g_wait_results[i])
			fail_msg("wait-for-rpc check %d failed", i);
	}
}

static int shutdown_waiter_main(void *arg)
{
	int rc;

	rc = sio_app_wait_shutdown_timeout(1000);
	assert_int_equal(rc, -ETIMEDOUT);
	sio_app_stop(42);
	/* Already stopping: returns the rc at once. */
	assert_int_equal(sio_app_wait_shutdown(), 42);
	return 0;
}

static void test_wait_shutdown(void **state)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	assert_int_equal(sio_app_run(&o, shutdown_waiter_main, NULL), 42);
	assert_int_equal(sio_app_wait_shutdown(), -EPERM);
}

static void *early_stopper(void *arg)
{
	while (!sio_app_is_running())
		;
	sio_app_stop(9);
	return NULL;
}

static int never_stops(void *arg)
{
	return sio_app_wait_shutdown() == 9 ? 0 : -1;
}

/* A stop from another OS thread at any point of startup is never lost. */
static void test_stop_during_startup(void **state)
{
	struct sio_app_opts o;

	opts_for_test(&o);
	for (int i = 0; i < 30; i++) {
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, early_stopper, NULL), 0);
		assert_int_equal(sio_app_run(&o, never_stops, NULL), 9);
		pthread_join(t, NULL);
	}
}

/* ---- signals through start and teardown ---- */

static int g_signaller_stop;
static int g_test_handler_hits;

static void test_sigterm_handler(int signo)
{
	(void)signo;
	__atomic_add_fetch(&g_test_handler_hits, 1, __ATOMIC_RELAXED);
}

static void *signaller(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&g_signaller_stop, __ATOMIC_RELAXED)) {
		kill(getpid(), SIGTERM);
		usleep(20);
	}
	return NULL;
}

static int stop_now(void *arg)
{
	(void)arg;
	sio_app_stop(0);
	return 0;
}

/*
 * SIGTERM rains on the process while apps start and stop, handled on
 * another thread than the one tearing down: every run ends with rc 0
 * (stopped by us or by the signal), nothing dies, and no wake-up is written
 * into a file that reuses a closed reactor eventfd's number (the eventfd
 * opened right after each run takes the lowest free number, where a stale
 * one would land).
 */
static void test_signals_through_start_stop(void **state)
{
	struct sigaction sa = {.sa_handler = test_sigterm_handler}, old;
	struct sio_app_opts o;
	sigset_t block;
	pthread_t t;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTERM, &sa, &old), 0);
	opts_for_test(&o);
	__atomic_store_n(&g_signaller_stop, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&t, NULL, signaller, NULL), 0);
	/* Blocked here and in the reactors (they inherit this mask): the handler
	 * then runs on the signaller's thread, concurrently with teardown, which
	 * is where a stale eventfd number could be written to. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, NULL), 0);
	for (int i = 0; i < 40; i++) {
		uint64_t count;
		int fd;

		assert_int_equal(sio_app_run(&o, stop_now, NULL), 0);
		fd = eventfd(0, EFD_NONBLOCK);
		assert_true(fd >= 0);
		usleep(500); /* a stale handler, if any, writes now */
		assert_int_equal(read(fd, &count, sizeof(count)), -1);
		assert_int_equal(errno, EAGAIN);
		close(fd);
	}
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &block, NULL), 0);
	usleep(2000); /* no app now: these land in the test's own handler */
	__atomic_store_n(&g_signaller_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	/* Between runs the test's own handler was back in place. */
	assert_true(__atomic_load_n(&g_test_handler_hits, __ATOMIC_RELAXED) > 0);
	assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_stop_many),
		cmocka_unit_test(test_main_rc),
		cmocka_unit_test(test_events_every_core),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_save_config_roundtrip),
		cmocka_unit_test(test_wait_for_rpc),
		cmocka_unit_test(test_wait_shutdown),
		cmocka_unit_test(test_stop_during_startup),
		cmocka_unit_test(test_signals_through_start_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
