/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built by the install test against the installed library via pkg-config:
 * if it compiles, links and prints, the headers, .pc file and exports are sound.
 */
#include <spdk_io/spdk_io.h>
#include <stdio.h>

int main(void)
{
	struct sio_cpuset set;

	if (sio_cpuset_parse(&set, "[0,2-3]") != 0 || sio_cpuset_count(&set) != 3) {
		fprintf(stderr, "cpuset parse failed\n");
		return 1;
	}
	printf("spdk-io installed: %u cores in [0,2-3]\n", sio_cpuset_count(&set));
	return 0;
}
