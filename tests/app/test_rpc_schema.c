/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compatibility with SPDK's RPC schema: every method the library registers
 * must exist in tests/app/data/rpc-schema.json (entries copied from SPDK's
 * schema) with the same parameter names, types, required flags and classes,
 * and the decoder must reject a missing required or mistyped parameter the
 * way SPDK does (-32602, naming the parameter).
 *
 * usage: test_rpc_schema SCHEMA.json
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/registry.h"
#include "spdk_io/spdk_io.h"

static json_t *g_schema;
static int g_failures;
static int g_methods;

#define FAIL(...)                                      \
	do {                                           \
		fprintf(stderr, "FAIL: " __VA_ARGS__); \
		fputc('\n', stderr);                   \
		g_failures++;                          \
	} while (0)

static json_t *find_named(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
			return v;
	}
	return NULL;
}

static const struct sio_rpc_param *our_param(const struct sio_rpc_method *m, const char *name)
{
	for (size_t i = 0; i < m->param_count; i++) {
		if (strcmp(m->params[i].name, name) == 0)
			return &m->params[i];
	}
	return NULL;
}

static void check_enum(const struct sio_rpc_method *m, const struct sio_rpc_param *p,
		       const char *cls)
{
	json_t *e = find_named(json_object_get(g_schema, "enums"), cls);
	json_t *fields = json_object_get(e, "fields");
	size_t n = 0;

	if (e == NULL) {
		FAIL("%s.%s: enum class %s missing from the schema data", m->name, p->name, cls);
		return;
	}
	if (p->enum_values == NULL) {
		FAIL("%s.%s: enum without enum_values", m->name, p->name);
		return;
	}
	for (; p->enum_values[n] != NULL; n++) {
		if (find_named(fields, p->enum_values[n]) == NULL)
			FAIL("%s.%s: value %s is not in enum %s", m->name, p->name,
			     p->enum_values[n], cls);
	}
	if (n != json_array_size(fields))
		FAIL("%s.%s: %zu enum values, schema %s has %zu", m->name, p->name, n, cls,
		     json_array_size(fields));
}

/* A value of @p's type that the built-in decoder accepts. */
static json_t *valid_value(const struct sio_rpc_param *p)
{
	switch (p->type) {
	case SIO_RPC_STRING:
		return json_string("x");
	case SIO_RPC_UUID:
		return json_string("0f7b5c1e-7d3a-4c1b-9e5f-0123456789ab");
	case SIO_RPC_ENUM:
		return json_string(p->enum_values ? p->enum_values[0] : "x");
	case SIO_RPC_BOOL:
		return json_true();
	case SIO_RPC_NUMBER:
		return json_real(1.0);
	case SIO_RPC_OBJECT:
		return json_object();
	case SIO_RPC_ARRAY:
		return json_array();
	default:
		return json_integer(1);
	}
}

/* A value of the wrong JSON type for @p. */
static json_t *wrong_value(const struct sio_rpc_param *p)
{
	switch (p->type) {
	case SIO_RPC_STRING:
	case SIO_RPC_UUID:
	case SIO_RPC_ENUM:
	case SIO_RPC_OBJECT:
	case SIO_RPC_ARRAY:
		return json_integer(12345);
	default:
		return json_string("not-a-number-or-bool");
	}
}

static void check_rejects(const struct sio_rpc_method *m)
{
	void *buf = calloc(1, m->params_size ? m->params_size : 1);
	json_t *base = json_object();
	bool custom = false;
	char msg[512];

	for (size_t i = 0; i < m->param_count; i++) {
		custom |= m->params[i].decode != NULL;
		if (m->params[i].required)
			json_object_set_new(base, m->params[i].name, valid_value(&m->params[i]));
	}
	for (size_t i = 0; i < m->param_count; i++) {
		const struct sio_rpc_param *p = &m->params[i];
		json_t *v;
		char want[128];

		if (!p->required)
			continue;
		/* Missing: everything else present. */
		v = json_deep_copy(base);
		json_object_del(v, p->name);
		snprintf(want, sizeof(want), "missing required parameter '%s'", p->name);
		if (sio_rpc_decode_params(m, v, buf, msg, sizeof(msg)) != -EINVAL ||
		    strstr(msg, want) == NULL || strstr(msg, m->name) == NULL)
			FAIL("%s: missing %s not rejected as such (%s)", m->name, p->name, msg);
		json_decref(v);
	}
	if (sio_rpc_decode_params(m, base, buf, msg, sizeof(msg)) != 0) {
		if (!custom)
			FAIL("%s: valid required params refused: %s", m->name, msg);
		goto out;
	}
	for (size_t i = 0; i < m->param_count; i++) {
		const struct sio_rpc_param *p = &m->params[i];
		json_t *v = json_deep_copy(base);
		char want[128];

		json_object_set_new(v, p->name, wrong_value(p));
		snprintf(want, sizeof(want), "'%s'", p->name);
		if (sio_rpc_decode_params(m, v, buf, msg, sizeof(msg)) != -EINVAL ||
		    strstr(msg, want) == NULL)
			FAIL("%s: mistyped %s not rejected (%s)", m->name, p->name, msg);
		json_decref(v);
	}
	{
		json_t *v = json_deep_copy(base);

		json_object_set_new(v, "sio_no_such_param", json_true());
		if (sio_rpc_decode_params(m, v, buf, msg, sizeof(msg)) != -EINVAL ||
		    strstr(msg, "unknown parameter 'sio_no_such_param'") == NULL)
			FAIL("%s: unknown param not rejected (%s)", m->name, msg);
		json_decref(v);
	}
out:
	json_decref(base);
	free(buf);
}

static void check_method(const struct sio_rpc_method *m, void *ctx)
{
	json_t *entry = find_named(json_object_get(g_schema, "methods"), m->name);
	json_t *sp;
	size_t i;

	g_methods++;
	if (entry == NULL)
		entry = find_named(json_object_get(g_schema, "sio_extensions"), m->name);
	if (entry == NULL) {
		FAIL("%s: not in the schema data (copy its entry from SPDK's schema)", m->name);
		return;
	}
	json_array_foreach(json_object_get(entry, "params"), i, sp) {
		const char *name = json_string_value(json_object_get(sp, "name"));
		const char *type = json_string_value(json_object_get(sp, "type"));
		const char *cls = json_string_value(json_object_get(sp, "class"));
		bool required = json_is_true(json_object_get(sp, "required"));
		const struct sio_rpc_param *p = our_param(m, name);

		if (p == NULL) {
			if (!json_is_true(json_object_get(sp, "deprecated")))
				FAIL("%s: param %s (%s) of SPDK's schema is not registered", m->name,
				     name, type);
			continue;
		}
		if (strcmp(sio_rpc_type_name(p->type), type) != 0)
			FAIL("%s.%s: type %s, schema says %s", m->name, name,
			     sio_rpc_type_name(p->type), type);
		if (p->required != required)
			FAIL("%s.%s: required=%d, schema says %d", m->name, name, p->required,
			     required);
		if (cls != NULL && (p->class_name == NULL || strcmp(cls, p->class_name) != 0))
			FAIL("%s.%s: class %s, schema says %s", m->name, name,
			     p->class_name ? p->class_name : "(none)", cls);
		if (cls != NULL && p->type == SIO_RPC_ENUM)
			check_enum(m, p, cls);
	}
	for (size_t k = 0; k < m->param_count; k++) {
		if (find_named(json_object_get(entry, "params"), m->params[k].name) == NULL)
			FAIL("%s.%s: not a param in SPDK's schema", m->name, m->params[k].name);
	}
	check_rejects(m);
}

int main(int argc, char **argv)
{
	static const char *const expected[] = {
		"spdk_get_version", "rpc_get_methods", "framework_get_reactors",
		"framework_start_init", "thread_get_stats", "log_set_flag", "log_clear_flag",
		"log_get_flags", "framework_get_subsystems", "framework_get_config",
		"save_config", "spdk_kill_instance",
	};
	json_error_t err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SCHEMA.json\n", argv[0]);
		return 2;
	}
	g_schema = json_load_file(argv[1], 0, &err);
	if (g_schema == NULL) {
		fprintf(stderr, "%s:%d:%d: %s\n", argv[1], err.line, err.column, err.text);
		return 2;
	}
	/* The library must carry the generated registry, not a fallback. */
	if (!app_registry_generated)
		FAIL("linked against the fallback registry: layer methods are missing");
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		if (sio_rpc_find_method(expected[i]) == NULL)
			FAIL("%s is not registered", expected[i]);
	}
	sio_rpc_foreach_method(check_method, NULL);
	printf("%d methods checked against %s, %d failure(s)\n", g_methods, argv[1], g_failures);
	json_decref(g_schema);
	return g_failures == 0 ? 0 : 1;
}
