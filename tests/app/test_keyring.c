/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keyring: key formats against keys nvme-cli 2.3 made (gen-dhchap-key,
 * gen-tls-key), real files with real permissions, references across removal,
 * and the RPC methods and save_config inside a running app, with every log
 * line and reply checked for the key material.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spdk_io/spdk_io.h"

/* From `nvme gen-dhchap-key -m 0 -l 32 -s 000102...1f` (nvme-cli 2.3). */
static const char g_dhchap_known[] = "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:";
/* `nvme gen-dhchap-key -n nqn.2014-08.org.nvmexpress:uuid:abc -m 1 -l 32` */
static const char g_dhchap_01[] = "DHHC-1:01:4fHyaqSxyJow9zzw/IXXCGnh4s/AX6hR3VaQrbMSp1Cl5SA4:";
/* `nvme gen-dhchap-key -m 0 -l 64` */
static const char g_dhchap_64[] = "DHHC-1:00:Q+YQG+oG60czg2FEXNg/4OjTxYUCfyCeR9rRI3o1zbFfdTdHFz+"
				  "iywraDm+YZwQhJYmmudOhFV2Z3BGQ5fUjPibB7hM=:";
/* `nvme gen-tls-key` and `nvme gen-tls-key -m 2` */
static const char g_psk_01[] = "NVMeTLSkey-1:01:oj2ZtixS5sf73SzG/8TakaKgLcOZuHkq83+Q6yASIzUj/h07:";
static const char g_psk_02[] = "NVMeTLSkey-1:02:urfGccADbnRx0hxgJtqLOtXLBgsEb1+0PAXhWsAEZN+jAuub"
			       "UKC4qM2e35TmWrD/Sw+ctA==:";

static char g_dir[64];

static void test_crc32(void **state)
{
	/* The check value every CRC-32/ISO-HDLC implementation gives for "123456789". */
	assert_int_equal(sio_key_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(sio_key_crc32("", 0), 0);
}

static void test_decode_dhchap(void **state)
{
	struct sio_key_secret s;
	char msg[200];

	assert_int_equal(sio_key_decode_dhchap(g_dhchap_known, strlen(g_dhchap_known), &s, msg,
					       sizeof(msg)), 0);
	assert_int_equal(s.hash, 0);
	assert_int_equal(s.len, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(s.bytes[i], i);
	assert_int_equal(sio_key_decode_dhchap(g_dhchap_01, strlen(g_dhchap_01), &s, msg,
					       sizeof(msg)), 0);
	assert_int_equal(s.hash, 1);
	assert_int_equal(s.len, 32);
	assert_int_equal(sio_key_decode_dhchap(g_dhchap_64, strlen(g_dhchap_64), &s, msg,
					       sizeof(msg)), 0);
	assert_int_equal(s.len, 64);
	sio_key_secret_clear(&s);
	assert_int_equal(s.len, 0);
}

static void expect_refused(int (*fn)(const char *, size_t, struct sio_key_secret *, char *, size_t),
			   const char *text, const char *why)
{
	struct sio_key_secret s;
	char msg[200] = "";

	assert_int_equal(fn(text, strlen(text), &s, msg, sizeof(msg)), -EINVAL);
	if (strstr(msg, why) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", text, msg, why);
	assert_int_equal(s.len, 0);
}

static void test_decode_refused(void **state)
{
	char bad[sizeof(g_dhchap_known)];

	/* one base64 character changed: the CRC catches it */
	memcpy(bad, g_dhchap_known, sizeof(bad));
	bad[12] = bad[12] == 'A' ? 'B' : 'A';
	expect_refused(sio_key_decode_dhchap, bad, "CRC-32");
	expect_refused(sio_key_decode_dhchap, "DHHC-1:04:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		       "hash indicator 04");
	expect_refused(sio_key_decode_dhchap, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR",
		       "end with ':'");
	expect_refused(sio_key_decode_dhchap, "DHHC-2:00:AAAA:", "must start with 'DHHC-1:'");
	expect_refused(sio_key_decode_dhchap, "DHHC-1:0:AAAA:", "two digits");
	expect_refused(sio_key_decode_dhchap, "DHHC-1:00:AA*A:", "base64");
	/* 16 bytes + CRC: a length DH-HMAC-CHAP does not have */
	expect_refused(sio_key_decode_dhchap, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODwAAAAA=:", "16-byte");
	/* a valid PSK is not a DH-HMAC-CHAP secret and the reverse */
	expect_refused(sio_key_decode_dhchap, g_psk_01, "DHHC-1:");
	expect_refused(sio_key_decode_tls_psk, g_dhchap_01, "NVMeTLSkey-1:");
	/* a 32-byte PSK labelled SHA-384 */
	expect_refused(sio_key_decode_tls_psk,
		       "NVMeTLSkey-1:02:oj2ZtixS5sf73SzG/8TakaKgLcOZuHkq83+Q6yASIzUj/h07:", "32-byte");
	expect_refused(sio_key_decode_tls_psk,
		       "NVMeTLSkey-1:03:oj2ZtixS5sf73SzG/8TakaKgLcOZuHkq83+Q6yASIzUj/h07:",
		       "hash indicator 03");
}

static void test_decode_psk(void **state)
{
	struct sio_key_secret s;

	assert_int_equal(sio_key_decode_tls_psk(g_psk_01, strlen(g_psk_01), &s, NULL, 0), 0);
	assert_int_equal(s.hash, 1);
	assert_int_equal(s.len, 32);
	assert_int_equal(sio_key_decode_tls_psk(g_psk_02, strlen(g_psk_02), &s, NULL, 0), 0);
	assert_int_equal(s.hash, 2);
	assert_int_equal(s.len, 48);
	/* hash 00: the PSK as configured, same bytes as the 01 key */
	assert_int_equal(sio_key_decode_tls_psk(
		"NVMeTLSkey-1:00:oj2ZtixS5sf73SzG/8TakaKgLcOZuHkq83+Q6yASIzUj/h07:", 65, &s, NULL, 0), 0);
	assert_int_equal(s.hash, 0);
	sio_key_secret_clear(&s);
}

static void write_file(char *path, size_t len, const char *name, const char *text, mode_t mode)
{
	int fd;

	snprintf(path, len, "%s/%s", g_dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(write(fd, "\n", 1), 1);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_keyring_files(void **state)
{
	char path[128], path2[128], msg[320], buf[256];
	struct sio_key *k, *k2;
	struct sio_key_secret s;
	int rc;

	write_file(path, sizeof(path), "k0", g_dhchap_known, 0600);
	assert_int_equal(sio_keyring_file_add_key("k0", path, msg, sizeof(msg)), 0);
	assert_int_equal(sio_keyring_file_add_key("k0", path, msg, sizeof(msg)), -EEXIST);
	assert_non_null(strstr(msg, "already exists"));

	/* group- or other-accessible: refused, and the message says how to fix it */
	write_file(path2, sizeof(path2), "k1", g_psk_01, 0640);
	assert_int_equal(sio_keyring_file_add_key("k1", path2, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "0640"));
	assert_int_equal(chmod(path2, 0604), 0);
	assert_int_equal(sio_keyring_file_add_key("k1", path2, msg, sizeof(msg)), -EPERM);
	assert_int_equal(chmod(path2, 0400), 0);
	assert_int_equal(sio_keyring_file_add_key("k1", path2, msg, sizeof(msg)), 0);

	assert_int_equal(sio_keyring_file_add_key("k2", "relative/key", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "absolute"));
	snprintf(path2, sizeof(path2), "%s/missing", g_dir);
	assert_int_equal(sio_keyring_file_add_key("k2", path2, msg, sizeof(msg)), -ENOENT);
	write_file(path2, sizeof(path2), "k3", "hunter2", 0600);
	assert_int_equal(sio_keyring_file_add_key("k3", path2, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "unknown key format"));
	assert_null(strstr(msg, "hunter2"));
	assert_int_equal(sio_keyring_file_add_key("", path, msg, sizeof(msg)), -EINVAL);
	assert_null(sio_keyring_get_key("k3"));

	/* the text without the file's newline, and its secret */
	k = sio_keyring_get_key("k0");
	assert_non_null(k);
	assert_string_equal(sio_key_get_name(k), "k0");
	assert_int_equal(sio_key_get_format(k), SIO_KEY_FORMAT_DHCHAP);
	rc = sio_key_get_key(k, buf, sizeof(buf));
	assert_int_equal(rc, (int)strlen(g_dhchap_known));
	assert_memory_equal(buf, g_dhchap_known, (size_t)rc);
	assert_int_equal(sio_key_get_key(k, buf, 10), -ENOBUFS);
	assert_int_equal(sio_key_get_secret(k, &s), 0);
	assert_int_equal(s.len, 32);
	assert_int_equal(s.bytes[31], 31);
	k2 = sio_keyring_get_key("k1");
	assert_int_equal(sio_key_get_format(k2), SIO_KEY_FORMAT_TLS_PSK);
	sio_key_put(k2);

	/* removed while held: the holder sees -ENOKEY, the name is free again */
	assert_int_equal(sio_keyring_file_remove_key("k0"), 0);
	assert_int_equal(sio_keyring_file_remove_key("k0"), -ENOENT);
	assert_null(sio_keyring_get_key("k0"));
	assert_int_equal(sio_key_get_key(k, buf, sizeof(buf)), -ENOKEY);
	assert_int_equal(sio_key_get_secret(k, &s), -ENOKEY);
	assert_string_equal(sio_key_get_name(k), "k0");
	assert_int_equal(sio_keyring_file_add_key("k0", path, msg, sizeof(msg)), 0);
	sio_key_put(k);
	k = sio_keyring_get_key("k0");
	assert_non_null(k);
	sio_key_put(k);
	sio_keyring_remove_all();
	assert_null(sio_keyring_get_key("k0"));
	assert_null(sio_keyring_get_key("k1"));
	sio_key_secret_clear(&s);
}

/* ---- inside a running app: RPCs, save_config, logs ---- */

static char g_log[16384];
static size_t g_log_len;

static void log_sink(enum sio_log_level level, const char *component, const char *text, void *ctx)
{
	size_t n = strlen(text);

	if (g_log_len + n < sizeof(g_log)) {
		memcpy(g_log + g_log_len, text, n);
		g_log_len += n;
		g_log[g_log_len] = '\0';
	}
}

struct call_result {
	bool done;
	int code;
	char message[400];
	char *json;
};

static void call_done(void *cb_arg, int code, const char *message, json_t *result)
{
	struct call_result *r = cb_arg;

	r->done = true;
	r->code = code;
	snprintf(r->message, sizeof(r->message), "%s", message != NULL ? message : "");
	r->json = result != NULL ? json_dumps(result, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
}

static void call(const char *method, json_t *params, struct call_result *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(sio_rpc_call(method, params, call_done, r), 0);
	json_decref(params);
	while (!r->done)
		sio_yield();
}

/* Neither the base64 of any key used here nor a line of a key file shows. */
static void assert_no_material(const char *text)
{
	static const char *const secrets[] = {g_dhchap_known, g_dhchap_01, g_psk_01, "hunter2"};

	for (size_t i = 0; i < SIO_RPC_COUNT(secrets); i++) {
		/* the base64 after the HH: field, which is what is secret */
		const char *b64 = strchr(secrets[i], ':');

		b64 = b64 != NULL ? strchr(b64 + 1, ':') + 1 : secrets[i];
		if (strstr(text, b64) != NULL || strstr(text, "AAECAwQFBgcI") != NULL)
			fail_msg("key material in: %s", text);
	}
}

static int g_main_rc = -1;

static int app_main(void *arg)
{
	char p0[128], p1[128], p2[128], p3[128];
	struct call_result r;
	json_t *cfg;
	char *text;

	write_file(p0, sizeof(p0), "r0", g_dhchap_known, 0600);
	write_file(p1, sizeof(p1), "r1", g_psk_01, 0600);
	write_file(p2, sizeof(p2), "r2", g_dhchap_01, 0644);
	write_file(p3, sizeof(p3), "r3", "hunter2", 0600);

	call("keyring_file_add_key", json_pack("{s:s,s:s}", "name", "key0", "path", p0), &r);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.json, "true");
	free(r.json);
	call("keyring_file_add_key", json_pack("{s:s,s:s}", "name", "key1", "path", p1), &r);
	assert_int_equal(r.code, 0);
	free(r.json);
	call("keyring_file_add_key", json_pack("{s:s,s:s}", "name", "key2", "path", p2), &r);
	assert_int_equal(r.code, -EPERM);
	assert_non_null(strstr(r.message, "invalid permissions 0644"));
	call("keyring_file_add_key", json_pack("{s:s,s:s}", "name", "key3", "path", p3), &r);
	assert_int_equal(r.code, -EINVAL);
	assert_non_null(strstr(r.message, "unknown key format"));
	assert_no_material(r.message);
	call("keyring_file_add_key", json_pack("{s:s,s:s}", "name", "key0", "path", p1), &r);
	assert_int_equal(r.code, -EEXIST);

	call("keyring_get_keys", NULL, &r);
	assert_int_equal(r.code, 0);
	assert_no_material(r.json);
	{
		json_t *arr = json_loads(r.json, JSON_DECODE_ANY, NULL);

		assert_int_equal(json_array_size(arr), 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "key0");
		assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "path")), p0);
		assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "module")),
				    "keyring_file");
		json_decref(arr);
	}
	free(r.json);

	/* save_config: the keyring subsystem replays both adds, with paths only */
	cfg = sio_app_save_config();
	text = json_dumps(cfg, JSON_COMPACT);
	assert_no_material(text);
	assert_non_null(strstr(text, "{\"subsystem\":\"keyring\",\"config\":[{\"method\":"
				     "\"keyring_file_add_key\",\"params\":{\"name\":\"key0\""));
	free(text);
	json_decref(cfg);

	call("keyring_file_remove_key", json_pack("{s:s}", "name", "key0"), &r);
	assert_int_equal(r.code, 0);
	free(r.json);
	call("keyring_file_remove_key", json_pack("{s:s}", "name", "key0"), &r);
	assert_int_equal(r.code, -ENOENT);
	assert_non_null(strstr(r.message, "does not exist"));
	call("keyring_get_keys", NULL, &r);
	assert_non_null(strstr(r.json, "key1"));
	assert_null(strstr(r.json, "key0"));
	free(r.json);

	assert_no_material(g_log);
	assert_non_null(strstr(g_log, "invalid permissions")); /* refusals are logged */
	g_main_rc = 0;
	sio_app_stop(0);
	return 0;
}

static void test_keyring_app(void **state)
{
	struct sio_app_opts opts;

	sio_log_set_sink(log_sink, NULL);
	sio_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_keyring";
	opts.rpc_addr = NULL;
	opts.log_level = SIO_LOG_WARN;
	assert_int_equal(sio_app_run(&opts, app_main, NULL), 0);
	sio_log_set_sink(NULL, NULL);
	assert_int_equal(g_main_rc, 0);
	/* the subsystem's fini removed the rest */
	assert_null(sio_keyring_get_key("key1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_decode_dhchap),
		cmocka_unit_test(test_decode_refused),
		cmocka_unit_test(test_decode_psk),
		cmocka_unit_test(test_keyring_files),
		cmocka_unit_test(test_keyring_app),
	};
	int rc;

	snprintf(g_dir, sizeof(g_dir), "/tmp/sio-keyring-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
		if (system(cmd) != 0)
			rc = rc != 0 ? rc : 1;
	}
	return rc;
}
