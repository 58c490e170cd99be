/* SPDX-License-Identifier: BSD-3-Clause */
/* sio_app_parse_args(): the common flags, a tool's own options, and bad usage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/spdk_io.h"

struct extra {
	int t;
	const char *name;
	int calls;
};

static int parse_extra(int ch, const char *arg, void *ctx)
{
	struct extra *e = ctx;

	e->calls++;
	if (ch == 't') {
		e->t = atoi(arg);
		return e->t < 0 ? -ERANGE : 0;
	}
	if (ch == 0x2000) {
		e->name = arg;
		return 0;
	}
	return -EINVAL;
}

static int parse(struct sio_app_opts *o, struct extra *e, int argc, char **argv)
{
	static const struct option longopts[] = {{"time", required_argument, NULL, 't'},
						 {"tool-name", required_argument, NULL, 0x2000},
						 {0}};

	sio_app_opts_init(o, sizeof(*o));
	memset(e, 0, sizeof(*e));
	return sio_app_parse_args(argc, argv, o, "t:", longopts, parse_extra, NULL, e);
}

#define ARGV(...) ((char *[]){"prog", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"prog", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, e, ...) parse(o, e, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_defaults(void **state)
{
	struct sio_app_opts o;

	sio_app_opts_init(&o, sizeof(o));
	assert_int_equal(o.opts_size, sizeof(o));
	assert_string_equal(o.reactor_mask, "0x1");
	assert_string_equal(o.rpc_addr, SIO_APP_DEFAULT_RPC_ADDR);
	assert_int_equal(o.main_core, -1);
	assert_false(o.hugepages);
	assert_false(o.wait_for_rpc);
	assert_int_equal(o.log_level, SIO_LOG_NOTICE);
	assert_int_equal(o.shutdown_timeout_ms, 5000);
}

static void test_common_flags(void **state)
{
	struct sio_app_opts o;
	struct extra e;

	assert_int_equal(PARSE(&o, &e, "-m", "[0-1]", "-c", "a.json", "-r", "/tmp/s", "-s", "64",
			       "-p", "1", "-L", "bdev", "--logflag", "thread", "--wait-for-rpc",
			       "--huge", "--no-pci", "--log-level", "debug", "-t", "5",
			       "--tool-name", "x"),
			 0);
	assert_string_equal(o.reactor_mask, "[0-1]");
	assert_string_equal(o.json_config_file, "a.json");
	assert_string_equal(o.rpc_addr, "/tmp/s");
	assert_int_equal(o.mem_size_mb, 64);
	assert_int_equal(o.main_core, 1);
	assert_int_equal(o.log_flag_count, 2);
	assert_string_equal(o.log_flags[0], "bdev");
	assert_string_equal(o.log_flags[1], "thread");
	assert_true(o.wait_for_rpc);
	assert_true(o.hugepages);
	assert_true(o.no_pci);
	assert_int_equal(o.log_level, SIO_LOG_DEBUG);
	assert_int_equal(e.t, 5);
	assert_string_equal(e.name, "x");
	assert_int_equal(e.calls, 2);

	assert_int_equal(PARSE(&o, &e, "--cpumask=0x3", "--json=b.json", "--rpc-socket=/s",
			       "--mem-size=0x10", "--no-huge"),
			 0);
	assert_string_equal(o.reactor_mask, "0x3");
	assert_string_equal(o.json_config_file, "b.json");
	assert_int_equal(o.mem_size_mb, 16);
	assert_false(o.hugepages);
	assert_int_equal(PARSE(&o, &e, "-s", "2G"), 0);
	assert_int_equal(o.mem_size_mb, 2048);
	assert_int_equal(PARSE(&o, &e, "-s", "512k"), 0);
	assert_int_equal(o.mem_size_mb, 1);
	assert_int_equal(PARSE(&o, &e, "-s", "G"), -EINVAL);
}

static void test_bad_usage(void **state)
{
	struct sio_app_opts o;
	struct extra e;

	assert_int_equal(PARSE(&o, &e, "-h"), 1);
	assert_int_equal(PARSE(&o, &e, "--help"), 1);
	assert_int_equal(PARSE(&o, &e, "-x"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "--nope"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "-m"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "-s", "lots"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "-s", "-1"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "-p", "100000"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "--log-level", "loud"), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "stray"), -EINVAL);
	/* The tool's own error comes back as is. */
	assert_int_equal(PARSE(&o, &e, "-t", "-3"), -ERANGE);
}

static void test_conflicting_letter(void **state)
{
	struct sio_app_opts o;
	char *argv[] = {"prog", NULL};

	sio_app_opts_init(&o, sizeof(o));
	assert_int_equal(sio_app_parse_args(1, argv, &o, "m:", NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sio_app_parse_args(1, argv, NULL, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sio_app_parse_args(1, argv, &o, NULL, NULL, NULL, NULL, NULL), 0);
}

static void test_too_many_flags(void **state)
{
	char *argv[2 * SIO_APP_MAX_LOG_FLAGS + 4];
	struct sio_app_opts o;
	int argc = 0;

	argv[argc++] = "prog";
	for (int i = 0; i <= SIO_APP_MAX_LOG_FLAGS; i++) {
		argv[argc++] = "-L";
		argv[argc++] = "x";
	}
	argv[argc] = NULL;
	sio_app_opts_init(&o, sizeof(o));
	assert_int_equal(sio_app_parse_args(argc, argv, &o, NULL, NULL, NULL, NULL, NULL), -EINVAL);
}

/*
 * Bug found by fuzz_args: a parse that stopped inside a cluster of short
 * options ("-hm": help, then 'm' never read) left glibc's getopt positioned
 * at 'm', and the next call resumed there, in the first call's argv.
 */
static void test_getopt_stale_cluster(void **state)
{
	struct sio_app_opts o;
	struct extra e = {0};
	char *first[] = {strdup("prog"), strdup("-hm"), NULL};
	char *second[] = {strdup("prog"), NULL};

	assert_int_equal(parse(&o, &e, 2, first), 1);
	free(first[0]);
	free(first[1]);
	assert_int_equal(parse(&o, &e, 1, second), 0);
	assert_string_equal(o.reactor_mask, "0x1");
	free(second[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_common_flags),
		cmocka_unit_test(test_bad_usage),      cmocka_unit_test(test_conflicting_letter),
		cmocka_unit_test(test_too_many_flags),  cmocka_unit_test(test_getopt_stale_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
