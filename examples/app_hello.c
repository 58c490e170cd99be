/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_hello: the smallest spdk-io application. Starts the framework with the
 * common flags (-m, -c, -r, -L, --wait-for-rpc, ...), prints its reactors and
 * threads from the main task, then serves RPC until SIGINT/SIGTERM,
 * spdk_kill_instance, or --timeout SECONDS.
 *
 *   app_hello -m 0x3 -r /tmp/hello.sock --timeout 5
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "spdk_io/spdk_io.h"

struct hello {
	uint64_t timeout_s; /* 0: run until a signal */
};

static void say_where(void *arg)
{
	printf("  reactor on core %d says hello\n", sio_core_get_current());
}

static int hello_main(void *arg)
{
	struct hello *h = arg;
	int core, rc;

	printf("%s: %u reactor(s), main core %d, RPC on %s\n", sio_version_string(),
	       sio_core_count(), sio_core_get_main(),
	       sio_app_get_rpc_addr() ? sio_app_get_rpc_addr() : "(none)");
	SIO_FOREACH_CORE(core) {
		rc = sio_event_call_await(core, say_where, NULL);
		if (rc != 0)
			return rc;
	}
	printf("ready\n");
	fflush(stdout);
	/* Park until a signal or spdk_kill_instance, or the timeout, whichever is first. */
	rc = sio_app_wait_shutdown_timeout(h->timeout_s ? h->timeout_s * 1000000 : UINT64_MAX);
	if (rc == -ETIMEDOUT) {
		printf("timeout: stopping\n");
		sio_app_stop(0);
	}
	return 0;
}

static int parse_opt(int ch, const char *arg, void *ctx)
{
	struct hello *h = ctx;
	char *end;

	if (ch != 't')
		return -EINVAL;
	errno = 0;
	h->timeout_s = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || *arg == '\0') {
		fprintf(stderr, "--timeout: '%s' is not a number of seconds\n", arg);
		return -EINVAL;
	}
	return 0;
}

static void usage(void *ctx)
{
	fprintf(stderr, " -t, --timeout SECONDS  stop by itself after that long\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"timeout", required_argument, NULL, 't'}, {0}};
	struct hello h = {0};
	struct sio_app_opts opts;
	int rc;

	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "app_hello";
	rc = sio_app_parse_args(argc, argv, &opts, "t:", longopts, parse_opt, usage, &h);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	rc = sio_app_run(&opts, hello_main, &h);
	printf("app_hello: exit rc %d\n", rc);
	return rc == 0 ? 0 : 1;
}
