/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_tgt: the NVMe-over-Fabrics target application (SPDK's nvmf_tgt).
 * Every bdev module, the sock and nvmf subsystems; configured by SPDK's RPC
 * methods over the RPC socket or by a JSON config (-c), with SPDK's common
 * flags (-m -c -r -s --huge -L --wait-for-rpc -h) and --interrupt-mode.
 * See docs/nvmf.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "spdk_io/app.h"
#include "spdk_io/nvmf.h"

enum {
	OPT_INTERRUPT_MODE = 0x3000,
};

static const struct option g_long[] = {
	{"interrupt-mode", no_argument, NULL, OPT_INTERRUPT_MODE},
	{0},
};

static bool g_interrupt_mode;

static int parse(int ch, const char *arg, void *ctx)
{
	(void)arg;
	(void)ctx;
	if (ch == OPT_INTERRUPT_MODE) {
		g_interrupt_mode = true;
		return 0;
	}
	return -EINVAL;
}

static void usage(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "sio_tgt options:\n"
		"      --interrupt-mode   poll groups sleep on their interrupt fd while no\n"
		"                         connection has work (the default here: the flag is\n"
		"                         accepted for SPDK compatibility)\n");
}

static int tgt_main(void *arg)
{
	(void)arg;
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
	rc = sio_app_parse_args(argc, argv, &opts, "", g_long, parse, usage, NULL);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	(void)g_interrupt_mode;
	return sio_app_run(&opts, tgt_main, NULL) == 0 ? 0 : 1;
}
