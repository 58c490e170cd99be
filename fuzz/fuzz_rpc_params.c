/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The declarative param decoder (sio_rpc_decode_params) against the table of
 * every method the library registers, with arbitrary JSON as "params".
 * Input: byte 0 picks the method, the rest is JSON text (any value).
 * Properties: the decoder returns 0 or -EINVAL with a message naming the
 * method; success means every key is a declared param and every required
 * param is present; decoding is deterministic; a refused input never gets
 * to write past the params struct (ASan would see it: the struct is
 * allocated at its exact size).
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "app/app_internal.h"

#include "fuzz.h"

static const struct sio_rpc_method **g_methods;
static size_t g_count;

static void collect(const struct sio_rpc_method *m, void *ctx)
{
	const struct sio_rpc_method **grown = realloc(g_methods, (g_count + 1) * sizeof(*grown));

	if (grown == NULL)
		abort();
	g_methods = grown;
	g_methods[g_count++] = m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sio_log_set_level(SIO_LOG_DISABLED);
	if (app_rpc_registry_load() != 0)
		abort();
	sio_rpc_foreach_method(collect, NULL);
	if (g_count == 0)
		abort();
	return 0;
}

static bool declared(const struct sio_rpc_method *m, const char *key)
{
	for (size_t i = 0; i < m->param_count; i++) {
		if (strcmp(m->params[i].name, key) == 0)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sio_rpc_method *m;
	json_error_t err;
	json_t *params;
	char msg[512], msg2[512];
	void *out, *out2;
	int rc, rc2;

	if (size < 1)
		return 0;
	m = g_methods[data[0] % g_count];
	params = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, &err);
	if (params == NULL)
		return 0;
	/* Exact size (at least 1 byte: malloc(0) may be NULL), so overruns are caught. */
	out = malloc(m->params_size ? m->params_size : 1);
	out2 = malloc(m->params_size ? m->params_size : 1);
	if (out == NULL || out2 == NULL)
		abort();
	msg[0] = msg2[0] = '\0';
	rc = sio_rpc_decode_params(m, params, m->params_size ? out : NULL, msg, sizeof(msg));
	rc2 = sio_rpc_decode_params(m, params, m->params_size ? out2 : NULL, msg2, sizeof(msg2));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "%s: decoder returned %d", m->name, rc);
	FUZZ_CHECK(rc == rc2 && strcmp(msg, msg2) == 0, "%s: two decodes disagree", m->name);
	if (rc == 0) {
		const char *key;
		json_t *val;

		FUZZ_CHECK(params == NULL || json_is_null(params) || json_is_object(params),
			   "%s: accepted non-object params", m->name);
		/* Same bytes twice: no uninitialised padding read as a value, no randomness. */
		FUZZ_CHECK(memcmp(out, out2, m->params_size) == 0, "%s: decodes differ", m->name);
		json_object_foreach(params, key, val)
			FUZZ_CHECK(declared(m, key), "%s: accepted unknown key '%s'", m->name, key);
		for (size_t i = 0; i < m->param_count; i++) {
			FUZZ_CHECK(!m->params[i].required || json_object_get(params, m->params[i].name),
				   "%s: accepted without required '%s'", m->name,
				   m->params[i].name);
		}
	} else {
		FUZZ_CHECK(strncmp(msg, m->name, strlen(m->name)) == 0,
			   "%s: error message '%s' does not name the method", m->name, msg);
	}
	free(out);
	free(out2);
	json_decref(params);
	return 0;
}
