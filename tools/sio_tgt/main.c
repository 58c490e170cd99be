/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_tgt: the NVMe-over-Fabrics target application (SPDK's nvmf_tgt).
 * Every bdev module, the sock and nvmf subsystems; configured by SPDK's RPC
 * methods over the RPC socket or by a JSON config (-c), with SPDK's common
 * flags (-m -c -r -s --huge -L --wait-for-rpc --interrupt-mode -h). The
 * reactors poll their cores unless --interrupt-mode is given, as SPDK's
 * nvmf_tgt does. --metrics-addr ADDR:PORT serves Prometheus metrics
 * (docs/metrics.md). See docs/nvmf.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "spdk_io/app.h"
#include "spdk_io/log.h"
#include "spdk_io/metrics.h"

/* Above the common options' values (args.c: 0x1000 and up). */
enum { OPT_METRICS_ADDR = 0x2000 };

static const struct option g_long[] = {
	{"metrics-addr", required_argument, NULL, OPT_METRICS_ADDR},
	{NULL, 0, NULL, 0},
};

static const char *g_metrics_addr;

static int parse(int ch, const char *arg, void *ctx)
{
	(void)ctx;
	if (ch != OPT_METRICS_ADDR)
		return -EINVAL;
	g_metrics_addr = arg;
	return 0;
}

static void usage(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "      --metrics-addr ADDR:PORT  serve Prometheus metrics at "
			"http://ADDR:PORT/metrics\n"
			"                         (127.0.0.1:9100, [::1]:9100; port 0 picks one)\n");
}

static int tgt_main(void *arg)
{
	int rc;

	(void)arg;
	if (g_metrics_addr != NULL) {
		rc = sio_metrics_server_start(g_metrics_addr);
		if (rc != 0) {
			SIO_ERRLOG("--metrics-addr %s: %s", g_metrics_addr, strerror(-rc));
			return rc;
		}
	}
	/* Targets, transports and subsystems come from RPC or the JSON config. */
	sio_app_wait_shutdown();
	return 0;
}

int main(int argc, char **argv)
{
	struct sio_app_opts opts;
	int rc;

	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "sio_tgt";
	/* --interrupt-mode is one of the common flags (sio_app_parse_args()). */
	rc = sio_app_parse_args(argc, argv, &opts, "", g_long, parse, usage, NULL);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	return sio_app_run(&opts, tgt_main, NULL) == 0 ? 0 : 1;
}
