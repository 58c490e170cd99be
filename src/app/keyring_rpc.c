/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keyring's RPC methods with SPDK's names, params and reply shape
 * (keyring_file_add_key, keyring_file_remove_key, keyring_get_keys) and the
 * 'keyring' subsystem, whose save_config replays keyring_file_add_key for each
 * key. Replies and config carry names and paths only, never key material.
 */
#include <errno.h>
#include <string.h>

#include "app/keyring_internal.h"
#include "spdk_io/app.h"
#include "spdk_io/rpc.h"

/* Keys may be added before subsystems start (SPDK allows the same), so a
 * config's later subsystems find them when they are configured. */
#define ANY_STATE (SIO_RPC_STARTUP | SIO_RPC_RUNTIME)

struct add_key_params {
	const char *name;
	const char *path;
};

static const struct sio_rpc_param g_add_key_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct add_key_params, name),
	SIO_RPC_PARAM("path", SIO_RPC_STRING, true, struct add_key_params, path),
};

static void rpc_keyring_file_add_key(struct sio_rpc_request *req, void *params)
{
	struct add_key_params *p = params;
	char msg[320];
	int rc;

	rc = sio_keyring_file_add_key(p->name, p->path, msg, sizeof(msg));
	if (rc != 0) {
		sio_rpc_request_error(req, rc, "%s", msg);
		return;
	}
	sio_rpc_request_complete(req, json_true());
}

struct remove_key_params {
	const char *name;
};

static const struct sio_rpc_param g_remove_key_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct remove_key_params, name),
};

static void rpc_keyring_file_remove_key(struct sio_rpc_request *req, void *params)
{
	struct remove_key_params *p = params;
	int rc;

	rc = sio_keyring_file_remove_key(p->name);
	if (rc == -ENOENT) {
		sio_rpc_request_error(req, rc, "key '%s' does not exist", p->name);
		return;
	}
	sio_rpc_request_complete(req, json_true());
}

static void list_key(const char *name, const char *path, unsigned refcnt, void *ctx)
{
	/* SPDK's entry: the key's own fields, then its module's (keyring_file: path). */
	json_array_append_new(ctx, json_pack("{s:s, s:b, s:b, s:I, s:s, s:s}", "name", name,
					     "removed", 0, "probed", 0, "refcnt",
					     (json_int_t)refcnt, "module", "keyring_file",
					     "path", path));
}

static void rpc_keyring_get_keys(struct sio_rpc_request *req, void *params)
{
	json_t *arr = json_array();

	keyring_foreach(list_key, arr);
	sio_rpc_request_complete(req, arr);
}

static const struct sio_rpc_method g_methods[] = {
	{.name = "keyring_file_add_key", .handler = rpc_keyring_file_add_key,
	 .params = g_add_key_params, .param_count = SIO_RPC_COUNT(g_add_key_params),
	 .params_size = sizeof(struct add_key_params), .state_mask = ANY_STATE},
	{.name = "keyring_file_remove_key", .handler = rpc_keyring_file_remove_key,
	 .params = g_remove_key_params, .param_count = SIO_RPC_COUNT(g_remove_key_params),
	 .params_size = sizeof(struct remove_key_params), .state_mask = ANY_STATE},
	{.name = "keyring_get_keys", .handler = rpc_keyring_get_keys, .state_mask = ANY_STATE},
};

const struct sio_rpc_method_table sio_rpc_table_keyring = {g_methods, SIO_RPC_COUNT(g_methods)};

static void write_key(const char *name, const char *path, unsigned refcnt, void *ctx)
{
	sio_rpc_config_append(ctx, "keyring_file_add_key",
			      json_pack("{s:s, s:s}", "name", name, "path", path));
}

static void keyring_write_config(json_t *config)
{
	keyring_foreach(write_key, config);
}

/* At shutdown every key is removed, so its material is zeroed before exit. */
static void keyring_fini(sio_done_cb done, void *cb_arg)
{
	sio_keyring_remove_all();
	done(cb_arg, 0);
}

const struct sio_subsystem sio_subsystem_keyring = {
	.name = "keyring",
	.depends_on = NULL,
	.init = NULL,
	.fini = keyring_fini,
	.write_config = keyring_write_config,
};
