/* SPDX-License-Identifier: BSD-3-Clause */
/* Parameter decoding and request framing, without a running app. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/app/rpc/framing.c"
#include "../../src/app/rpc/param.c"

struct p {
	const char *name;
	bool flag;
	int32_t i32;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	double num;
	const char *uuid;
	const char *color;
	const json_t *obj;
	const json_t *arr;
	uint32_t custom;
};

static const char *const g_colors[] = {"red", "green", NULL};

static int decode_even(const json_t *val, void *out, char *msg, size_t len)
{
	if (!json_is_integer(val) || json_integer_value(val) % 2 != 0) {
		snprintf(msg, len, "must be an even integer");
		return -EINVAL;
	}
	*(uint32_t *)out = (uint32_t)json_integer_value(val);
	return 0;
}

static void p_init(void *params)
{
	((struct p *)params)->u32 = 4096;
}

static const struct sio_rpc_param g_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct p, name),
	SIO_RPC_PARAM("flag", SIO_RPC_BOOL, false, struct p, flag),
	SIO_RPC_PARAM("i32", SIO_RPC_INT32, false, struct p, i32),
	SIO_RPC_PARAM("u8", SIO_RPC_UINT8, false, struct p, u8),
	SIO_RPC_PARAM("u16", SIO_RPC_UINT16, false, struct p, u16),
	SIO_RPC_PARAM("u32", SIO_RPC_UINT32, false, struct p, u32),
	SIO_RPC_PARAM("u64", SIO_RPC_UINT64, false, struct p, u64),
	SIO_RPC_PARAM("i64", SIO_RPC_INT64, false, struct p, i64),
	SIO_RPC_PARAM("num", SIO_RPC_NUMBER, false, struct p, num),
	SIO_RPC_PARAM("uuid", SIO_RPC_UUID, false, struct p, uuid),
	{.name = "color", .type = SIO_RPC_ENUM, .offset = offsetof(struct p, color),
	 .class_name = "color", .enum_values = g_colors},
	SIO_RPC_PARAM("obj", SIO_RPC_OBJECT, false, struct p, obj),
	SIO_RPC_PARAM("arr", SIO_RPC_ARRAY, false, struct p, arr),
	{.name = "custom", .type = SIO_RPC_UINT32, .offset = offsetof(struct p, custom),
	 .decode = decode_even},
};

static void handler(struct sio_rpc_request *req, void *params)
{
}

static const struct sio_rpc_method g_m = {
	.name = "test_method", .handler = handler, .params = g_params,
	.param_count = SIO_RPC_COUNT(g_params), .params_size = sizeof(struct p),
	.params_init = p_init, .state_mask = SIO_RPC_RUNTIME,
};

static int decode(const char *json, struct p *out, char *msg)
{
	json_error_t err;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &err);
	int rc;

	assert_non_null(v);
	msg[0] = '\0';
	rc = sio_rpc_decode_params(&g_m, v, out, msg, 256);
	/* Borrowed strings stay valid only while v lives; the tests copy what they check. */
	json_decref(v);
	return rc;
}

static void test_all_types(void **state)
{
	json_error_t err;
	json_t *v = json_loads("{\"name\":\"n0\",\"flag\":true,\"i32\":-5,\"u8\":255,\"u16\":65535,"
			       "\"u32\":4294967295,\"u64\":9007199254740993,\"i64\":-9,"
			       "\"num\":1.5,\"uuid\":\"0f7b5c1e-7d3a-4c1b-9e5f-0123456789AB\","
			       "\"color\":\"green\",\"obj\":{\"a\":1},\"arr\":[1,2],\"custom\":8}",
			       0, &err);
	struct p out;
	char msg[256];

	assert_non_null(v);
	assert_int_equal(sio_rpc_decode_params(&g_m, v, &out, msg, sizeof(msg)), 0);
	assert_string_equal(out.name, "n0");
	assert_true(out.flag);
	assert_int_equal(out.i32, -5);
	assert_int_equal(out.u8, 255);
	assert_int_equal(out.u16, 65535);
	assert_int_equal(out.u32, 4294967295u);
	assert_true(out.u64 == 9007199254740993ull);
	assert_true(out.i64 == -9);
	assert_true(out.num == 1.5);
	assert_string_equal(out.uuid, "0f7b5c1e-7d3a-4c1b-9e5f-0123456789AB");
	assert_string_equal(out.color, "green");
	assert_true(json_is_object(out.obj));
	assert_int_equal(json_array_size(out.arr), 2);
	assert_int_equal(out.custom, 8);
	json_decref(v);
}

static void test_defaults(void **state)
{
	struct p out;
	char msg[256];

	memset(&out, 0xab, sizeof(out));
	assert_int_equal(decode("{\"name\":\"x\"}", &out, msg), 0);
	assert_int_equal(out.u32, 4096); /* params_init */
	assert_int_equal(out.u64, 0);    /* zeroed */
	assert_false(out.flag);
	assert_null(out.uuid);
}

static void expect_fail(const char *json, const char *needle)
{
	struct p out;
	char msg[256];

	assert_int_equal(decode(json, &out, msg), -EINVAL);
	if (strstr(msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", msg, needle);
	assert_non_null(strstr(msg, "test_method"));
}

static void test_rejects(void **state)
{
	expect_fail("{}", "missing required parameter 'name' (string)");
	expect_fail("null", "missing required parameter 'name'");
	expect_fail("[1]", "params must be an object");
	expect_fail("{\"name\":\"x\",\"nmae\":1}", "unknown parameter 'nmae'");
	expect_fail("{\"name\":5}", "parameter 'name' must be of type string");
	expect_fail("{\"name\":\"x\",\"flag\":1}", "parameter 'flag' must be of type boolean");
	expect_fail("{\"name\":\"x\",\"u8\":256}", "parameter 'u8' is out of range for uint8");
	expect_fail("{\"name\":\"x\",\"u16\":-1}", "parameter 'u16' is out of range");
	expect_fail("{\"name\":\"x\",\"u32\":4294967296}", "'u32' is out of range for uint32");
	expect_fail("{\"name\":\"x\",\"u32\":1.5}", "parameter 'u32' must be of type uint32");
	expect_fail("{\"name\":\"x\",\"u32\":\"12\"}", "parameter 'u32' must be of type uint32");
	expect_fail("{\"name\":\"x\",\"u64\":-1}", "'u64' is out of range for uint64");
	expect_fail("{\"name\":\"x\",\"i32\":2147483648}", "'i32' is out of range for int32");
	expect_fail("{\"name\":\"x\",\"num\":\"1\"}", "parameter 'num' must be of type number");
	expect_fail("{\"name\":\"x\",\"uuid\":\"abc\"}", "'abc' is not a UUID");
	expect_fail("{\"name\":\"x\",\"color\":\"blue\"}", "'blue' is not one of red green");
	expect_fail("{\"name\":\"x\",\"obj\":[]}", "parameter 'obj' must be of type object");
	expect_fail("{\"name\":\"x\",\"arr\":{}}", "parameter 'arr' must be of type array");
	expect_fail("{\"name\":\"x\",\"custom\":3}", "parameter 'custom': must be an even integer");
}

static void test_type_names(void **state)
{
	assert_string_equal(sio_rpc_type_name(SIO_RPC_BOOL), "boolean");
	assert_string_equal(sio_rpc_type_name(SIO_RPC_UINT64), "uint64");
	assert_string_equal(sio_rpc_type_name((enum sio_rpc_type)99), "invalid");
}

static void test_config_append(void **state)
{
	json_t *cfg = json_array();
	char *s;

	assert_int_equal(sio_rpc_config_append(cfg, "m1", json_pack("{s:i}", "a", 1)), 0);
	assert_int_equal(sio_rpc_config_append(cfg, "m2", NULL), 0);
	assert_int_equal(sio_rpc_config_append(NULL, "m3", json_object()), -EINVAL);
	s = json_dumps(cfg, JSON_COMPACT);
	assert_string_equal(s, "[{\"method\":\"m1\",\"params\":{\"a\":1}},{\"method\":\"m2\"}]");
	free(s);
	json_decref(cfg);
}

/* Feed @text to the scanner @step bytes at a time; collect the values found. */
static size_t scan_all(const char *text, size_t step, char out[][128], size_t max)
{
	struct app_rpc_scan s;
	size_t len = strlen(text), avail = 0, base = 0, n = 0;

	app_rpc_scan_reset(&s);
	while (avail < len) {
		avail = avail + step > len ? len : avail + step;
		for (;;) {
			enum app_rpc_scan_result r = app_rpc_scan(&s, text + base, avail - base);

			if (r != APP_RPC_SCAN_VALUE)
				break;
			assert_true(n < max);
			snprintf(out[n++], 128, "%.*s", (int)(s.pos - s.start), text + base + s.start);
			base += s.pos;
			app_rpc_scan_reset(&s);
		}
	}
	return n;
}

static void test_framing(void **state)
{
	const char *text = " {\"a\":\"}{\\\"\"}\n[1,[2]]{\"b\":{\"c\":\"]\"}}  ";
	char out[8][128];

	for (size_t step = 1; step <= strlen(text); step++) {
		assert_int_equal(scan_all(text, step, out, 8), 3);
		assert_string_equal(out[0], "{\"a\":\"}{\\\"\"}");
		assert_string_equal(out[1], "[1,[2]]");
		assert_string_equal(out[2], "{\"b\":{\"c\":\"]\"}}");
	}
}

static void test_framing_bad(void **state)
{
	struct app_rpc_scan s;

	app_rpc_scan_reset(&s);
	assert_int_equal(app_rpc_scan(&s, "  \n", 3), APP_RPC_SCAN_EMPTY);
	assert_int_equal(app_rpc_scan(&s, "  \n42", 5), APP_RPC_SCAN_BAD);
	assert_int_equal(s.start, 3);
	app_rpc_scan_reset(&s);
	assert_int_equal(app_rpc_scan(&s, "{\"a\":", 5), APP_RPC_SCAN_MORE);
}

/* A random JSON value, nested up to @depth. */
static json_t *random_value(unsigned int *seed, int depth)
{
	static const char *const keys[] = {"name", "flag", "u8", "u32", "u64", "uuid", "color",
					   "obj", "arr", "custom", "x", ""};
	json_t *v;

	switch (rand_r(seed) % (depth > 0 ? 8 : 6)) {
	case 0:
		return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
	case 1:
		return json_integer(INT64_MAX - rand_r(seed) % 3);
	case 2:
		return json_string(keys[rand_r(seed) % 12]);
	case 3:
		return json_boolean(rand_r(seed) % 2);
	case 4:
		return json_real(rand_r(seed) / 7.0);
	case 5:
		return json_null();
	case 6:
		v = json_array();
		for (int i = rand_r(seed) % 4; i > 0; i--)
			json_array_append_new(v, random_value(seed, depth - 1));
		return v;
	default:
		v = json_object();
		for (int i = rand_r(seed) % 5; i > 0; i--)
			json_object_set_new(v, keys[rand_r(seed) % 12], random_value(seed, depth - 1));
		return v;
	}
}

/* Whatever comes in, the decoder answers 0 or -EINVAL with a message, never crashes. */
static void test_decode_random(void **state)
{
	unsigned int seed = 4242;
	int ok = 0, refused = 0;

	for (int i = 0; i < 20000; i++) {
		json_t *v = random_value(&seed, 3);
		struct p out;
		char msg[256] = "";
		int rc = sio_rpc_decode_params(&g_m, v, &out, msg, sizeof(msg));

		if (rc == 0) {
			ok++;
			assert_non_null(out.name);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_true(strlen(msg) > 0);
			refused++;
		}
		json_decref(v);
	}
	assert_true(refused > 0);
	(void)ok;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_types),   cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_rejects),     cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_config_append), cmocka_unit_test(test_framing),
		cmocka_unit_test(test_framing_bad),
		cmocka_unit_test(test_decode_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
