/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_tgt: the NVMe-over-Fabrics target application (SPDK's nvmf_tgt).
 * Every bdev module, the sock and nvmf subsystems; configured by SPDK's RPC
 * methods over the RPC socket or by a JSON config (-c), with SPDK's common
 * flags (-m -c -r -s --huge -L --wait-for-rpc --interrupt-mode -h). The
 * reactors poll their cores unless --interrupt-mode is given, as SPDK's
 * nvmf_tgt does. See docs/nvmf.md.
 */
#include <stdio.h>

#include "spdk_io/app.h"

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
	/* --interrupt-mode is one of the common flags (sio_app_parse_args()). */
	rc = sio_app_parse_args(argc, argv, &opts, "", NULL, NULL, NULL, NULL);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	return sio_app_run(&opts, tgt_main, NULL) == 0 ? 0 : 1;
}
