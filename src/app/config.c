/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK-format JSON config:
 *   {"subsystems":[{"subsystem":NAME,"config":[{"method":M,"params":{...}}]}]}
 *
 * The whole file is checked before anything runs (syntax with file:line:column
 * from jansson, then known subsystems, known methods, and every entry's params
 * through the same decoder the RPC server uses), so a bad config never leaves
 * half an app behind. Entries then run in two passes, like SPDK's loader:
 * methods allowed at startup before the subsystems initialise, the others
 * after, in file order within each pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"

struct config_entry {
	const char *subsystem;
	size_t index;
	const struct sio_rpc_method *method;
	json_t *params; /* borrowed from root; may be NULL */
};

struct app_config {
	char source[256];
	json_t *root;
	struct config_entry *entries;
	size_t count;
};

static int check_entry(struct app_config *cfg, const char *sub, size_t idx, json_t *e,
		       struct config_entry *out)
{
	json_t *method = json_object_get(e, "method");
	json_t *params = json_object_get(e, "params");
	const struct sio_rpc_method *m;
	char msg[512];
	void *tmp = NULL;
	int rc;

	if (!json_is_object(e) || !json_is_string(method)) {
		SIO_ERRLOG("%s: subsystem '%s', config entry %zu: expected an object with a "
			   "\"method\" string", cfg->source, sub, idx);
		return -EINVAL;
	}
	m = sio_rpc_find_method(json_string_value(method));
	if (m == NULL) {
		SIO_ERRLOG("%s: subsystem '%s', config entry %zu: unknown method '%s'", cfg->source,
			   sub, idx, json_string_value(method));
		return -EINVAL;
	}
	if (m->params_size > 0) {
		tmp = malloc(m->params_size);
		if (tmp == NULL)
			return -ENOMEM;
	}
	rc = sio_rpc_decode_params(m, params, tmp, msg, sizeof(msg));
	free(tmp);
	if (rc != 0) {
		SIO_ERRLOG("%s: subsystem '%s', config entry %zu: %s", cfg->source, sub, idx, msg);
		return -EINVAL;
	}
	out->subsystem = sub;
	out->index = idx;
	out->method = m;
	out->params = params;
	return 0;
}

static int check(struct app_config *cfg)
{
	json_t *subs = json_object_get(cfg->root, "subsystems");
	json_t *s;
	size_t i, total = 0;

	if (!json_is_object(cfg->root) || !json_is_array(subs)) {
		SIO_ERRLOG("%s: expected an object with a \"subsystems\" array at the top level",
			   cfg->source);
		return -EINVAL;
	}
	json_array_foreach(subs, i, s) {
		json_t *list = json_object_get(s, "config");

		if (list != NULL && !json_is_array(list) && !json_is_null(list)) {
			SIO_ERRLOG("%s: subsystems[%zu]: \"config\" must be an array", cfg->source, i);
			return -EINVAL;
		}
		total += json_is_array(list) ? json_array_size(list) : 0;
	}
	cfg->entries = calloc(total ? total : 1, sizeof(*cfg->entries));
	if (cfg->entries == NULL)
		return -ENOMEM;

	json_array_foreach(subs, i, s) {
		json_t *name = json_object_get(s, "subsystem");
		json_t *list = json_object_get(s, "config");
		const char *sub;
		json_t *e;
		size_t j;

		if (!json_is_object(s) || !json_is_string(name)) {
			SIO_ERRLOG("%s: subsystems[%zu]: expected an object with a \"subsystem\" "
				   "string", cfg->source, i);
			return -EINVAL;
		}
		sub = json_string_value(name);
		if (sio_subsystem_find(sub) == NULL) {
			SIO_ERRLOG("%s: subsystems[%zu]: unknown subsystem '%s'", cfg->source, i, sub);
			return -EINVAL;
		}
		if (!json_is_array(list))
			continue;
		json_array_foreach(list, j, e) {
			int rc = check_entry(cfg, sub, j, e, &cfg->entries[cfg->count]);

			if (rc != 0)
				return rc;
			cfg->count++;
		}
	}
	return 0;
}

int app_config_load(const char *file, const char *text, struct app_config **out)
{
	struct app_config *cfg;
	json_error_t err;
	int rc;

	*out = NULL;
	if (file == NULL && text == NULL)
		return 0;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	snprintf(cfg->source, sizeof(cfg->source), "%s", file != NULL ? file : "<inline config>");
	if (file != NULL)
		cfg->root = json_load_file(file, JSON_REJECT_DUPLICATES, &err);
	else
		cfg->root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (cfg->root == NULL) {
		/* jansson reports a missing file with line -1. */
		if (err.line < 0)
			SIO_ERRLOG("%s: %s", cfg->source, err.text);
		else
			SIO_ERRLOG("%s:%d:%d: %s", cfg->source, err.line, err.column, err.text);
		rc = file != NULL && err.line < 0 ? -ENOENT : -EINVAL;
		app_config_free(cfg);
		return rc;
	}
	rc = check(cfg);
	if (rc != 0) {
		app_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

struct apply_ctx {
	struct sio_future f;
	const struct config_entry *e;
	const char *source;
};

static void entry_done(void *ctx, struct sio_rpc_request *req, int code, const char *message,
		       json_t *result)
{
	struct apply_ctx *a = ctx;

	if (code != 0)
		SIO_ERRLOG("%s: subsystem '%s', config entry %zu: %s failed: %s (%d)", a->source,
			   a->e->subsystem, a->e->index, a->e->method->name,
			   message ? message : "", code);
	json_decref(result);
	/* Keep errno-style codes; JSON-RPC codes become -EINVAL. */
	sio_future_complete(&a->f, code == 0 ? 0 : (code < 0 && code > -4096 ? code : -EINVAL),
			    NULL);
}

int app_config_apply(struct app_config *cfg, uint32_t pass)
{
	if (cfg == NULL)
		return 0;
	for (size_t i = 0; i < cfg->count; i++) {
		const struct config_entry *e = &cfg->entries[i];
		bool startup = (e->method->state_mask & SIO_RPC_STARTUP) != 0;
		struct apply_ctx a = {.e = e, .source = cfg->source};
		int rc;

		if (startup != (pass == SIO_RPC_STARTUP))
			continue;
		rc = sio_future_init(&a.f);
		if (rc != 0)
			return rc;
		app_rpc_request_start(e->method, e->params, true, entry_done, &a);
		rc = sio_await(&a.f);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void app_config_free(struct app_config *cfg)
{
	if (cfg == NULL)
		return;
	json_decref(cfg->root);
	free(cfg->entries);
	free(cfg);
}
