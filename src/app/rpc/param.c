/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declarative parameter decoding: a method's descriptor table turns a jansson
 * "params" object into the handler's struct. One code path serves the RPC
 * server and the JSON config loader, so both reject the same inputs with the
 * same messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spdk_io/rpc.h"

static const char *const g_type_names[] = {
	[SIO_RPC_STRING] = "string", [SIO_RPC_BOOL] = "boolean", [SIO_RPC_INT32] = "int32",
	[SIO_RPC_INT64] = "int64",   [SIO_RPC_UINT8] = "uint8",  [SIO_RPC_UINT16] = "uint16",
	[SIO_RPC_UINT32] = "uint32", [SIO_RPC_UINT64] = "uint64", [SIO_RPC_NUMBER] = "number",
	[SIO_RPC_UUID] = "uuid",     [SIO_RPC_ENUM] = "enum",    [SIO_RPC_OBJECT] = "object",
	[SIO_RPC_ARRAY] = "array",
};

const char *sio_rpc_type_name(enum sio_rpc_type type)
{
	if ((unsigned int)type >= SIO_RPC_COUNT(g_type_names) || g_type_names[type] == NULL)
		return "invalid";
	return g_type_names[type];
}

static bool is_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	size_t d = 0;

	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			     (s[i] >= 'A' && s[i] <= 'F'))) {
			return false;
		}
	}
	return true;
}

/*
 * jansson keeps integers as json_int_t (long long), so uint64 values above
 * INT64_MAX cannot be represented by it; they are rejected as out of range
 * rather than silently wrapped.
 */
static int decode_int(const json_t *val, long long min, unsigned long long max, long long *out)
{
	long long v;

	if (!json_is_integer(val))
		return -EINVAL;
	v = json_integer_value(val);
	if (v < min || (v >= 0 && (unsigned long long)v > max))
		return -ERANGE;
	*out = v;
	return 0;
}

static int decode_one(const struct sio_rpc_param *p, const json_t *val, void *field, char *why,
		      size_t why_len)
{
	long long v = 0;
	int rc;

	if (p->decode != NULL)
		return p->decode(val, field, why, why_len);

	switch (p->type) {
	case SIO_RPC_STRING:
	case SIO_RPC_UUID:
	case SIO_RPC_ENUM:
		if (!json_is_string(val))
			return -EINVAL;
		if (p->type == SIO_RPC_UUID && !is_uuid(json_string_value(val))) {
			snprintf(why, why_len, "'%s' is not a UUID", json_string_value(val));
			return -EINVAL;
		}
		if (p->type == SIO_RPC_ENUM && p->enum_values != NULL) {
			const char *s = json_string_value(val);
			size_t i;

			for (i = 0; p->enum_values[i] != NULL; i++) {
				if (strcmp(p->enum_values[i], s) == 0)
					break;
			}
			if (p->enum_values[i] == NULL) {
				size_t off = (size_t)snprintf(why, why_len, "'%s' is not one of", s);

				for (i = 0; p->enum_values[i] != NULL && off < why_len; i++)
					off += (size_t)snprintf(why + off, why_len - off, " %s",
								p->enum_values[i]);
				return -EINVAL;
			}
		}
		*(const char **)field = json_string_value(val);
		return 0;
	case SIO_RPC_BOOL:
		if (!json_is_boolean(val))
			return -EINVAL;
		*(bool *)field = json_is_true(val);
		return 0;
	case SIO_RPC_NUMBER:
		if (!json_is_number(val))
			return -EINVAL;
		*(double *)field = json_number_value(val);
		return 0;
	case SIO_RPC_INT32:
		rc = decode_int(val, INT32_MIN, INT32_MAX, &v);
		if (rc == 0)
			*(int32_t *)field = (int32_t)v;
		return rc;
	case SIO_RPC_INT64:
		rc = decode_int(val, INT64_MIN, INT64_MAX, &v);
		if (rc == 0)
			*(int64_t *)field = (int64_t)v;
		return rc;
	case SIO_RPC_UINT8:
		rc = decode_int(val, 0, UINT8_MAX, &v);
		if (rc == 0)
			*(uint8_t *)field = (uint8_t)v;
		return rc;
	case SIO_RPC_UINT16:
		rc = decode_int(val, 0, UINT16_MAX, &v);
		if (rc == 0)
			*(uint16_t *)field = (uint16_t)v;
		return rc;
	case SIO_RPC_UINT32:
		rc = decode_int(val, 0, UINT32_MAX, &v);
		if (rc == 0)
			*(uint32_t *)field = (uint32_t)v;
		return rc;
	case SIO_RPC_UINT64:
		rc = decode_int(val, 0, UINT64_MAX, &v);
		if (rc == 0)
			*(uint64_t *)field = (uint64_t)v;
		return rc;
	case SIO_RPC_OBJECT:
		if (!json_is_object(val))
			return -EINVAL;
		*(const json_t **)field = val;
		return 0;
	case SIO_RPC_ARRAY:
		if (!json_is_array(val))
			return -EINVAL;
		*(const json_t **)field = val;
		return 0;
	}
	return -EINVAL;
}

static const struct sio_rpc_param *find_param(const struct sio_rpc_method *m, const char *name)
{
	for (size_t i = 0; i < m->param_count; i++) {
		if (strcmp(m->params[i].name, name) == 0)
			return &m->params[i];
	}
	return NULL;
}

int sio_rpc_decode_params(const struct sio_rpc_method *m, const json_t *params, void *out,
			  char *msg, size_t msg_len)
{
	char why[256];
	const char *key;
	json_t *val;

	if (m == NULL || (out == NULL && m->params_size > 0)) {
		snprintf(msg, msg_len, "invalid arguments to the parameter decoder");
		return -EINVAL;
	}
	if (out != NULL && m->params_size > 0) {
		memset(out, 0, m->params_size);
		if (m->params_init != NULL)
			m->params_init(out);
	}
	if (params != NULL && json_is_null(params))
		params = NULL;
	if (params != NULL && !json_is_object(params)) {
		snprintf(msg, msg_len, "%s: params must be an object, not %s", m->name,
			 json_is_array(params) ? "an array" : "a scalar");
		return -EINVAL;
	}

	/* Unknown keys first: a typo in an optional name must not pass silently. */
	json_object_foreach((json_t *)params, key, val) {
		if (find_param(m, key) == NULL) {
			snprintf(msg, msg_len, "%s: unknown parameter '%s'", m->name, key);
			return -EINVAL;
		}
	}

	for (size_t i = 0; i < m->param_count; i++) {
		const struct sio_rpc_param *p = &m->params[i];
		int rc;

		val = params != NULL ? json_object_get(params, p->name) : NULL;
		if (val == NULL) {
			if (p->required) {
				snprintf(msg, msg_len, "%s: missing required parameter '%s' (%s)",
					 m->name, p->name, sio_rpc_type_name(p->type));
				return -EINVAL;
			}
			continue;
		}
		why[0] = '\0';
		rc = decode_one(p, val, (char *)out + p->offset, why, sizeof(why));
		if (rc == 0)
			continue;
		if (why[0] != '\0')
			snprintf(msg, msg_len, "%s: parameter '%s': %s", m->name, p->name, why);
		else if (rc == -ERANGE)
			snprintf(msg, msg_len, "%s: parameter '%s' is out of range for %s", m->name,
				 p->name, sio_rpc_type_name(p->type));
		else
			snprintf(msg, msg_len, "%s: parameter '%s' must be of type %s", m->name,
				 p->name, sio_rpc_type_name(p->type));
		return -EINVAL;
	}
	return 0;
}

int sio_rpc_config_append(json_t *config, const char *method, json_t *params)
{
	json_t *entry;

	if (!json_is_array(config) || method == NULL) {
		json_decref(params);
		return -EINVAL;
	}
	entry = json_pack("{s:s}", "method", method);
	if (entry == NULL) {
		json_decref(params);
		return -ENOMEM;
	}
	if (params != NULL && json_object_set_new(entry, "params", params) != 0) {
		json_decref(entry);
		return -ENOMEM;
	}
	if (json_array_append_new(config, entry) != 0)
		return -ENOMEM;
	return 0;
}
