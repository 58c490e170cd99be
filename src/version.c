/* SPDX-License-Identifier: BSD-3-Clause */
#include "sio_config.h"

const char *sio_version_string(void);

/* The library version, as in spdk_get_version's "version" field. */
const char *sio_version_string(void)
{
	return "spdk-io v" SIO_VERSION_STRING;
}
