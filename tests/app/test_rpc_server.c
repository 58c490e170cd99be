/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC server against a real app: the app runs on a background OS
 * thread, the test talks to it over its Unix socket like any client.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "rpc_client.h"
#include "spdk_io/spdk_io.h"

static char g_sock[108];
static pthread_t g_app_tid;
static int g_app_rc = -1;
static bool g_app_done;

static int app_main(void *arg)
{
	sio_app_wait_shutdown();
	return 0;
}

static void *app_thread(void *arg)
{
	struct sio_app_opts opts;

	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_rpc_server";
	opts.rpc_addr = g_sock;
	opts.reactor_mask = sio_cpu_count() >= 2 ? "0x3" : "0x1";
	opts.log_level = SIO_LOG_WARN;
	g_app_rc = sio_app_run(&opts, app_main, NULL);
	__atomic_store_n(&g_app_done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int setup(void **state)
{
	struct rpc_client c;

	snprintf(g_sock, sizeof(g_sock), "/tmp/sio-test-rpc-%d.sock", (int)getpid());
	if (pthread_create(&g_app_tid, NULL, app_thread, NULL) != 0)
		return -1;
	if (rpc_connect(&c, g_sock, 5000) != 0)
		return -1;
	rpc_close(&c);
	return 0;
}

static int teardown(void **state)
{
	if (!__atomic_load_n(&g_app_done, __ATOMIC_ACQUIRE))
		sio_app_stop(0);
	pthread_join(g_app_tid, NULL);
	return 0;
}

static void connect_or_fail(struct rpc_client *c)
{
	assert_int_equal(rpc_connect(c, g_sock, 1000), 0);
}

static void test_version(void **state)
{
	struct rpc_client c;
	json_t *r, *res;

	connect_or_fail(&c);
	r = rpc_call(&c, 7, "spdk_get_version", NULL);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	res = json_object_get(r, "result");
	assert_string_equal(json_string_value(json_object_get(res, "version")), sio_version_string());
	assert_true(json_is_integer(json_object_get(json_object_get(res, "fields"), "major")));
	assert_true(json_is_string(json_object_get(json_object_get(res, "fields"), "suffix")));
	json_decref(r);
	rpc_close(&c);
}

static void test_socket_mode(void **state)
{
	struct stat st;

	assert_int_equal(stat(g_sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void expect_error(struct rpc_client *c, const char *method, const char *params, int code,
			 const char *needle)
{
	json_t *r = rpc_call(c, 1, method, params);

	assert_non_null(r);
	assert_int_equal(rpc_error_code(r), code);
	if (needle != NULL && strstr(rpc_error_message(r), needle) == NULL)
		fail_msg("'%s' lacks '%s'", rpc_error_message(r), needle);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
}

static int send_str(struct rpc_client *c, const char *s)
{
	return rpc_send_raw(c, s, strlen(s));
}

static void test_errors_keep_connection(void **state)
{
	struct rpc_client c;
	json_t *r;

	connect_or_fail(&c);
	expect_error(&c, "no_such_method", NULL, -32601, "no_such_method");
	expect_error(&c, "log_set_flag", "{}", -32602, "missing required parameter 'flag'");
	expect_error(&c, "log_set_flag", "{\"flag\":1}", -32602,
		     "parameter 'flag' must be of type string");
	expect_error(&c, "log_set_flag", "{\"flag\":\"app\",\"x\":1}", -32602,
		     "unknown parameter 'x'");
	expect_error(&c, "log_set_flag", "[\"app\"]", -32602, "params must be an object");
	expect_error(&c, "spdk_kill_instance", "{\"sig_name\":\"SIGFOO\"}", -32602, "SIGFOO");
	expect_error(&c, "framework_start_init", NULL, -1, "framework_start_init");

	/* Envelope errors: answered, and the stream stays usable. */
	assert_int_equal(send_str(&c, "{\"id\":3,\"method\":\"spdk_get_version\"}"), 0);
	r = rpc_recv(&c, 5000);
	assert_int_equal(rpc_error_code(r), -32600);
	json_decref(r);
	assert_int_equal(send_str(&c, "{\"jsonrpc\":\"2.0\",\"id\":4}"), 0);
	r = rpc_recv(&c, 5000);
	assert_int_equal(rpc_error_code(r), -32600);
	json_decref(r);
	assert_int_equal(send_str(&c, "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"x\"}]"), 0);
	r = rpc_recv(&c, 5000);
	assert_int_equal(rpc_error_code(r), -32600);
	assert_non_null(strstr(rpc_error_message(r), "batch"));
	json_decref(r);

	r = rpc_call(&c, 9, "spdk_get_version", NULL);
	assert_int_equal(rpc_error_code(r), 0);
	json_decref(r);
	rpc_close(&c);
}

static void test_malformed_closes(void **state)
{
	static const char *const bad[] = {"{\"jsonrpc\":\"2.0\",,}", "hello", "{\"a\":tru}"};

	for (size_t i = 0; i < 3; i++) {
		struct rpc_client c;
		json_t *r;

		connect_or_fail(&c);
		assert_int_equal(rpc_send_raw(&c, bad[i], strlen(bad[i])), 0);
		r = rpc_recv(&c, 5000);
		assert_non_null(r);
		assert_int_equal(rpc_error_code(r), -32700);
		assert_true(json_is_null(json_object_get(r, "id")));
		json_decref(r);
		assert_true(rpc_closed(&c, 5000));
		rpc_close(&c);
	}
}

static void test_split(void **state)
{
	const char *req = "  {\"jsonrpc\":\"2.0\",\"id\":\"s}\",\"method\":\"log_get_flags\"}";
	struct rpc_client c;
	json_t *r;

	connect_or_fail(&c);
	for (size_t i = 0; req[i]; i++) {
		assert_int_equal(rpc_send_raw(&c, &req[i], 1), 0);
		if (i % 8 == 0)
			usleep(1500); /* longer than a server poll period */
	}
	r = rpc_recv(&c, 5000);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "s}");
	assert_true(json_is_object(json_object_get(r, "result")));
	json_decref(r);
	rpc_close(&c);
}

static void test_pipelined(void **state)
{
	enum { N = 200 };
	static char buf[N * 128];
	struct rpc_client c;
	size_t len = 0;

	for (int i = 1; i <= N; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"}", i,
					i % 2 ? "spdk_get_version" : "log_get_flags");
		/* A notification in between gets no reply. */
		if (i == N / 2)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"{\"jsonrpc\":\"2.0\",\"method\":\"log_get_flags\"}");
	}
	connect_or_fail(&c);
	assert_int_equal(rpc_send_raw(&c, buf, len), 0);
	for (int i = 1; i <= N; i++) {
		json_t *r = rpc_recv(&c, 5000);

		assert_non_null(r);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		assert_int_equal(rpc_error_code(r), 0);
		json_decref(r);
	}
	assert_null(rpc_recv(&c, 100));
	rpc_close(&c);
}

static void test_oversized(void **state)
{
	const size_t total = 17u << 20;
	char *big = malloc(total);
	struct rpc_client c;
	json_t *r;

	assert_non_null(big);
	memset(big, 'x', total);
	memcpy(big, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"log_get_flags\",\"pad\":\"", 56);
	connect_or_fail(&c);
	/* The server may close before taking it all: a send error is fine. */
	rpc_send_raw(&c, big, total);
	free(big);
	r = rpc_recv(&c, 10000);
	assert_non_null(r);
	assert_int_equal(rpc_error_code(r), -32600);
	assert_non_null(strstr(rpc_error_message(r), "exceeds 16777216 bytes"));
	json_decref(r);
	assert_true(rpc_closed(&c, 5000));
	rpc_close(&c);
}

struct worker {
	pthread_t tid;
	int ok;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct rpc_client c;

	if (rpc_connect(&c, g_sock, 1000) != 0)
		return NULL;
	for (int i = 0; i < 100; i++) {
		json_t *r = rpc_call(&c, i, i % 3 ? "spdk_get_version" : "thread_get_stats", NULL);

		if (r != NULL && rpc_error_code(r) == 0 &&
		    json_integer_value(json_object_get(r, "id")) == i)
			w->ok++;
		json_decref(r);
	}
	rpc_close(&c);
	return NULL;
}

static void test_concurrent_clients(void **state)
{
	struct worker w[16] = {0};

	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&w[i].tid, NULL, worker_fn, &w[i]), 0);
	for (int i = 0; i < 16; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].ok, 100);
	}
}

static void test_stats_and_reactors(void **state)
{
	struct rpc_client c;
	json_t *r, *threads, *t, *reactors;
	bool app_thread = false;
	size_t i;

	connect_or_fail(&c);
	r = rpc_call(&c, 1, "thread_get_stats", NULL);
	assert_true(json_integer_value(json_object_get(json_object_get(r, "result"), "tick_rate")) > 0);
	threads = json_object_get(json_object_get(r, "result"), "threads");
	assert_true(json_array_size(threads) >= 2);
	json_array_foreach(threads, i, t) {
		static const char *const keys[] = {"name", "id", "cpumask", "busy", "idle",
						   "active_pollers_count", "timed_pollers_count",
						   "paused_pollers_count"};

		for (size_t k = 0; k < 8; k++)
			assert_non_null(json_object_get(t, keys[k]));
		if (strcmp(json_string_value(json_object_get(t, "name")), "app_thread") == 0)
			app_thread = true;
	}
	assert_true(app_thread);
	json_decref(r);

	r = rpc_call(&c, 2, "framework_get_reactors", NULL);
	reactors = json_object_get(json_object_get(r, "result"), "reactors");
	assert_int_equal(json_array_size(reactors), sio_cpu_count() >= 2 ? 2 : 1);
	json_array_foreach(reactors, i, t) {
		assert_int_equal(json_integer_value(json_object_get(t, "lcore")), (json_int_t)i);
		assert_true(json_array_size(json_object_get(t, "lw_threads")) >= 1);
	}
	json_decref(r);
	rpc_close(&c);
}

static void test_log_flags(void **state)
{
	struct rpc_client c;
	json_t *r;

	connect_or_fail(&c);
	r = rpc_call(&c, 1, "log_set_flag", "{\"flag\":\"rpc\"}");
	if (!json_is_true(json_object_get(r, "result")))
		fail_msg("log_set_flag: %s", rpc_error_message(r));
	assert_true(json_is_true(json_object_get(r, "result")));
	json_decref(r);
	r = rpc_call(&c, 2, "log_get_flags", NULL);
	assert_true(json_is_true(json_object_get(json_object_get(r, "result"), "rpc")));
	json_decref(r);
	assert_true(sio_log_get_flag("rpc"));
	r = rpc_call(&c, 3, "log_clear_flag", "{\"flag\":\"rpc\"}");
	assert_true(json_is_true(json_object_get(r, "result")));
	json_decref(r);
	assert_false(sio_log_get_flag("rpc"));
	expect_error(&c, "log_set_flag", "{\"flag\":\"no_such_flag\"}", -32602, "no_such_flag");
	rpc_close(&c);
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static void test_get_methods_and_config(void **state)
{
	struct rpc_client c;
	json_t *r, *res;

	connect_or_fail(&c);
	r = rpc_call(&c, 1, "rpc_get_methods", NULL);
	res = json_object_get(r, "result");
	assert_true(has_string(res, "framework_start_init"));
	assert_true(has_string(res, "save_config"));
	json_decref(r);
	r = rpc_call(&c, 2, "rpc_get_methods", "{\"current\":true}");
	res = json_object_get(r, "result");
	assert_false(has_string(res, "framework_start_init")); /* startup only */
	assert_true(has_string(res, "thread_get_stats"));
	json_decref(r);
	r = rpc_call(&c, 3, "save_config", NULL);
	assert_true(json_is_array(json_object_get(json_object_get(r, "result"), "subsystems")));
	json_decref(r);
	r = rpc_call(&c, 4, "framework_get_subsystems", NULL);
	assert_true(json_is_array(json_object_get(r, "result")));
	json_decref(r);
	expect_error(&c, "framework_get_config", "{\"name\":\"nope\"}", -32602, "nope");
	rpc_close(&c);
}

/* Mutated requests, cut at random points, from clients that may vanish mid-request. */
static void test_garbage(void **state)
{
	static const char *const seeds[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"log_set_flag\",\"params\":{\"flag\":\"app\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"rpc_get_methods\",\"params\":{\"current\":true}}",
		"[{\"a\":[1,2,{\"b\":\"]}\\\"\"}]}]",
	};
	static const char alphabet[] = "{}[]\",:\\ 0a-";
	unsigned int seed = 12345;
	struct rpc_client c;
	json_t *r;

	for (int i = 0; i < 300; i++) {
		const char *src = seeds[rand_r(&seed) % 3];
		char buf[512];
		size_t len = strlen(src);

		memcpy(buf, src, len);
		for (int k = rand_r(&seed) % 4; k >= 0; k--)
			buf[rand_r(&seed) % len] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		if (rand_r(&seed) % 3 == 0)
			len = (size_t)rand_r(&seed) % len;
		connect_or_fail(&c);
		for (size_t off = 0; off < len;) {
			size_t n = 1 + (size_t)rand_r(&seed) % (len - off);

			if (rpc_send_raw(&c, buf + off, n) != 0)
				break;
			off += n;
		}
		/* Half the clients leave without reading: the server must cope. */
		if (rand_r(&seed) % 2 == 0) {
			r = rpc_recv(&c, 20);
			json_decref(r);
		}
		rpc_close(&c);
	}
	connect_or_fail(&c);
	r = rpc_call(&c, 1, "spdk_get_version", NULL);
	assert_int_equal(rpc_error_code(r), 0);
	json_decref(r);
	rpc_close(&c);
}

/* Last: the app stops through the signal path, and cleans its socket up. */
static void test_kill_instance(void **state)
{
	struct rpc_client c;
	struct stat st;
	json_t *r;

	connect_or_fail(&c);
	r = rpc_call(&c, 1, "spdk_kill_instance", "{\"sig_name\":\"SIGTERM\"}");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "result")));
	json_decref(r);
	rpc_close(&c);
	pthread_join(g_app_tid, NULL);
	g_app_tid = pthread_self();
	assert_int_equal(g_app_rc, 0);
	assert_int_not_equal(stat(g_sock, &st), 0);
	assert_false(sio_app_is_running());
}

/*
 * Regression (found by fuzz/rpc_server review): a client that sends
 * spdk_kill_instance and hangs up before reading the reply must still stop
 * the app; the after-reply action used to be freed with the connection.
 */
static void test_kill_instance_client_hangs_up(void **state)
{
	static const char req[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"spdk_kill_instance\","
		"\"params\":{\"sig_name\":\"SIGINT\"}}";
	struct rpc_client c;
	struct timespec deadline;

	connect_or_fail(&c);
	assert_int_equal(rpc_send_raw(&c, req, sizeof(req) - 1), 0);
	rpc_close(&c);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	assert_int_equal(pthread_timedjoin_np(g_app_tid, NULL, &deadline), 0);
	g_app_tid = pthread_self();
	assert_int_equal(g_app_rc, 0);
	assert_false(sio_app_is_running());
}

static int teardown_after_kill(void **state)
{
	if (!pthread_equal(g_app_tid, pthread_self()))
		return teardown(state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_socket_mode),
		cmocka_unit_test(test_errors_keep_connection),
		cmocka_unit_test(test_malformed_closes),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_concurrent_clients),
		cmocka_unit_test(test_stats_and_reactors),
		cmocka_unit_test(test_log_flags),
		cmocka_unit_test(test_get_methods_and_config),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_kill_instance),
	};

	const struct CMUnitTest hang_up[] = {
		cmocka_unit_test(test_kill_instance_client_hangs_up),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown_after_kill);

	/* A second app run in the same process, stopped by a client that never reads. */
	return failed + cmocka_run_group_tests(hang_up, setup, teardown_after_kill);
}
