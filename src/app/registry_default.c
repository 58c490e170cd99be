/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fallback registry for programs that link the app layer without the whole
 * library (layer unit tests): only the app layer's own methods. Weak, so the
 * generated registry wins wherever both are linked.
 */
#include "app/registry.h"

extern const struct sio_rpc_method_table sio_rpc_table_app;

__attribute__((weak)) const struct sio_subsystem *const app_registry_subsystems[] = {NULL};
__attribute__((weak)) const struct sio_rpc_method_table *const app_registry_rpc_tables[] = {
	&sio_rpc_table_app, NULL};
