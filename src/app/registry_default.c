/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fallback registry for programs that link the app layer without the whole
 * library (layer unit tests, through sio_app_registry_fallback_dep): the app
 * layer's own methods only. Never linked together with the generated one.
 */
#include "app/registry.h"

extern const struct sio_rpc_method_table sio_rpc_table_app;

const bool app_registry_generated = false;
const struct sio_subsystem *const app_registry_subsystems[] = {NULL};
const struct sio_rpc_method_table *const app_registry_rpc_tables[] = {&sio_rpc_table_app, NULL};
