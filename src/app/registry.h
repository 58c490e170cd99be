/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry the build generates (gen_registry.py): every subsystem and RPC
 * table the layers and modules listed in meson. Both arrays end with NULL.
 * The full library links the generated file; layer-level unit tests may link
 * registry_default.c (the app layer's own table only) instead.
 */
#ifndef SIO_APP_REGISTRY_H
#define SIO_APP_REGISTRY_H

#include "spdk_io/app.h"
#include "spdk_io/rpc.h"

/* true in the generated registry, false in the fallback. */
extern const bool app_registry_generated;
extern const struct sio_subsystem *const app_registry_subsystems[];
extern const struct sio_rpc_method_table *const app_registry_rpc_tables[];

#endif
