/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table of built-in transports: the only place that lists them. The
 * core looks a transport up by the transport ID's trtype and never names
 * one; a new transport (PCIe) adds its ops object here and its sources to
 * meson.build.
 */
#include <stddef.h>

#include "nvme/host/nvme_internal.h"

extern const struct nvme_transport_ops nvme_tcp_transport_ops;
extern const struct nvme_transport_ops nvme_pcie_transport_ops;

static const struct nvme_transport_ops *const g_transports[] = {
	&nvme_tcp_transport_ops,
	&nvme_pcie_transport_ops, /* src/nvme/pcie */
};

const struct nvme_transport_ops *nvme_transport_get(enum sio_nvme_transport_type type)
{
	for (size_t i = 0; i < sizeof(g_transports) / sizeof(g_transports[0]); i++)
		if (g_transports[i]->type == type)
			return g_transports[i];
	return NULL;
}
