/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sock layer's RPC methods and "sock" subsystem inside a running app:
 * a JSON config setting options and the default implementation, the four
 * methods with SPDK's parameters (only the options given change, unknown
 * implementations and TLS refused with a message, options that have no
 * effect here accepted and reported back), and save_config replayed into a
 * second run that recreates the same options.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "spdk_io/app.h"
#include "spdk_io/rpc.h"
#include "spdk_io/sock.h"
#include "ut_rpc.h"

static json_t *g_saved;

static json_int_t int_of(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static bool bool_of(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static int main_first(void *arg)
{
	struct ut_rpc_res r;

	/* From the config. */
	UT_CHECK(ut_rpc("sock_get_default_impl", NULL, &r) == 0);
	UT_CHECK(strcmp(json_string_value(json_object_get(r.result, "impl_name")), "uring") == 0);
	json_decref(r.result);
	UT_CHECK(ut_rpc("sock_impl_get_options", "{\"impl_name\":\"posix\"}", &r) == 0);
	UT_CHECK(int_of(r.result, "recv_buf_size") == 262144);
	UT_CHECK(int_of(r.result, "send_buf_size") == 0);
	UT_CHECK(bool_of(r.result, "enable_quickack"));
	UT_CHECK(int_of(r.result, "tls_version") == 0);
	UT_CHECK(json_object_size(r.result) == 10);
	json_decref(r.result);

	/* Only what is given changes; no-effect options are kept and reported. */
	UT_CHECK(ut_rpc("sock_impl_set_options",
			"{\"impl_name\":\"posix\",\"send_buf_size\":131072,\"enable_recv_pipe\":true,"
			"\"enable_placement_id\":2,\"enable_zerocopy_send_server\":true,"
			"\"zerocopy_threshold\":32768}", &r) == 0);
	UT_CHECK(json_is_true(r.result));
	json_decref(r.result);
	UT_CHECK(ut_rpc("sock_impl_get_options", "{\"impl_name\":\"posix\"}", &r) == 0);
	UT_CHECK(int_of(r.result, "recv_buf_size") == 262144);
	UT_CHECK(int_of(r.result, "send_buf_size") == 131072);
	UT_CHECK(bool_of(r.result, "enable_recv_pipe"));
	UT_CHECK(int_of(r.result, "enable_placement_id") == 2);
	UT_CHECK(bool_of(r.result, "enable_zerocopy_send_server"));
	UT_CHECK(!bool_of(r.result, "enable_zerocopy_send_client"));
	UT_CHECK(int_of(r.result, "zerocopy_threshold") == 32768);
	json_decref(r.result);

	/* Refusals. */
	UT_CHECK(ut_rpc("sock_impl_get_options", "{\"impl_name\":\"tls\"}", &r) == -ENOENT);
	UT_CHECK(strstr(r.msg, "tls") != NULL);
	UT_CHECK(ut_rpc("sock_impl_set_options",
			"{\"impl_name\":\"posix\",\"tls_version\":13}", &r) ==
	      -ENOTSUP);
	UT_CHECK(strstr(r.msg, "TLS") != NULL);
	UT_CHECK(ut_rpc("sock_impl_set_options",
			"{\"impl_name\":\"posix\",\"enable_ktls\":true}", &r) ==
	      -ENOTSUP);
	UT_CHECK(ut_rpc("sock_set_default_impl", "{\"impl_name\":\"nope\"}", &r) == -ENOENT);
	/* Refused by the parameter check before any handler (sio_rpc_call: -EINVAL). */
	UT_CHECK(ut_rpc("sock_set_default_impl", "{}", &r) == -EINVAL);
	UT_CHECK(ut_rpc("sock_impl_set_options",
			"{\"impl_name\":\"posix\",\"recv_buf_size\":-1}", &r) ==
	      -EINVAL);

	UT_CHECK(ut_rpc("sock_set_default_impl", "{\"impl_name\":\"posix\"}", &r) == 0);
	json_decref(r.result);
	UT_CHECK(strcmp(sio_sock_get_default_impl(), "posix") == 0);
	g_saved = sio_app_save_config();
	return 1;
}

static json_t *sock_section(json_t *config)
{
	json_t *subs = json_object_get(config, "subsystems"), *s;
	size_t i;

	json_array_foreach(subs, i, s)
		if (strcmp(json_string_value(json_object_get(s, "subsystem")), "sock") == 0)
			return json_object_get(s, "config");
	return NULL;
}

static int main_second(void *arg)
{
	struct sio_sock_impl_opts o = {.opts_size = sizeof(o)};

	UT_CHECK(strcmp(sio_sock_get_default_impl(), "posix") == 0);
	UT_CHECK(sio_sock_impl_get_opts("posix", &o) == 0);
	UT_CHECK(o.recv_buf_size == 262144 && o.send_buf_size == 131072);
	UT_CHECK(o.enable_recv_pipe && o.enable_quickack && o.enable_placement_id == 2);
	UT_CHECK(o.enable_zerocopy_send_server && !o.enable_zerocopy_send_client);
	UT_CHECK(o.zerocopy_threshold == 32768);
	return 1;
}

static void test_rpc_and_save_config(void **state)
{
	struct sio_sock_impl_opts defaults = {.opts_size = sizeof(defaults)};
	json_t *sec, *e;
	size_t i;
	int set_opts = 0;
	char *text;

	/* The built-in defaults, to reset between the runs. */
	assert_int_equal(sio_sock_impl_get_opts("posix", &defaults), 0);
	assert_int_equal(ut_rpc_run_app("{\"subsystems\":[{\"subsystem\":\"sock\",\"config\":["
		"{\"method\":\"sock_set_default_impl\",\"params\":{\"impl_name\":\"uring\"}},"
		"{\"method\":\"sock_impl_set_options\",\"params\":{\"impl_name\":\"posix\","
		"\"recv_buf_size\":262144,\"enable_quickack\":true}}]}]}",
		main_first), 1);
	assert_int_equal(g_ut_failures, 0);
	assert_non_null(g_saved);
	sec = sock_section(g_saved);
	assert_non_null(sec);
	/* A replay log: the default implementation, then each one's options. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(sec, 0), "method")),
			    "sock_set_default_impl");
	json_array_foreach(sec, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "method")), "sock_impl_set_options") == 0)
			set_opts++;
	}
	assert_int_equal(set_opts, 3); /* posix, uring and ssl */

	/* Back to the defaults, then the saved config recreates the options. */
	assert_int_equal(sio_sock_impl_set_opts("posix", &defaults), 0);
	assert_int_equal(sio_sock_set_default_impl("uring"), 0);
	text = json_dumps(g_saved, 0);
	assert_int_equal(ut_rpc_run_app(text, main_second), 1);
	assert_int_equal(g_ut_failures, 0);
	free(text);
	json_decref(g_saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc_and_save_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
