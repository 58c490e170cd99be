/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev layer inside a running app: a JSON config creating every module
 * type (null, malloc, error, delay, passthru, aio, uring), the RPC methods
 * (bdev_get_bdevs fields, bdev_get_iostat, error injection, latency update,
 * deletes), bad parameters refused with a message, save_config replayed into
 * a second run that recreates the same bdevs, and an SPDK-written config
 * with these methods loaded unchanged; bdev_nvme_set_options' notice for the
 * parameters that have no effect here.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "bdev_test_util.h"
#include "spdk_io/app.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "ut_rpc.h"

static char g_file[64];

static void noop_event(enum sio_bdev_event_type t, struct sio_bdev *b, void *c)
{
}

/* ------------------------------------------------------------------------ */

static char g_config[4096];

static void build_config(void)
{
	snprintf(g_config, sizeof(g_config),
		 "{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":["
		 "{\"method\":\"bdev_set_options\",\"params\":{\"bdev_io_cache_size\":300}},"
		 "{\"method\":\"bdev_null_create\",\"params\":{\"name\":\"Null0\",\"block_size\":4096,\"num_blocks\":256}},"
		 "{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc0\",\"block_size\":512,\"num_blocks\":2048,"
		 "\"uuid\":\"11111111-2222-4333-8444-555555555555\"}},"
		 "{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc1\",\"block_size\":512,\"num_blocks\":2048,\"optimal_io_boundary\":16}},"
		 "{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc2\",\"block_size\":512,\"num_blocks\":2048}},"
		 "{\"method\":\"bdev_passthru_create\",\"params\":{\"name\":\"PT0\",\"base_bdev_name\":\"Malloc0\"}},"
		 "{\"method\":\"bdev_error_create\",\"params\":{\"base_name\":\"Malloc1\"}},"
		 "{\"method\":\"bdev_delay_create\",\"params\":{\"name\":\"Delay0\",\"base_bdev_name\":\"Malloc2\","
		 "\"avg_read_latency\":100,\"p99_read_latency\":200,\"avg_write_latency\":100,\"p99_write_latency\":200}},"
		 "{\"method\":\"bdev_aio_create\",\"params\":{\"name\":\"Aio0\",\"filename\":\"%s\",\"block_size\":512}},"
		 "{\"method\":\"bdev_uring_create\",\"params\":{\"name\":\"Uring0\",\"filename\":\"%s\",\"block_size\":512}},"
		 "{\"method\":\"bdev_wait_for_examine\"}"
		 "]}]}",
		 g_file, g_file);
}

static json_t *g_saved;

static int main_first_run(void *arg)
{
	static const char *const names[] = {"Null0", "Malloc0", "Malloc1", "Malloc2", "PT0",
					    "EE_Malloc1", "Delay0", "Aio0", "Uring0"};
	struct ut_rpc_res r;
	struct sio_bdev_opts opts;
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	uint8_t w[4096], rd[4096];
	json_int_t base_wops = 0, base_rbytes = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		UT_CHECK(sio_bdev_get_by_name(names[i]) != NULL);
	sio_bdev_get_opts(&opts, sizeof(opts));
	UT_CHECK(opts.bdev_io_cache_size == 300);
	UT_CHECK(strcmp(sio_bdev_get_uuid(sio_bdev_get_by_name("Malloc0")),
			"11111111-2222-4333-8444-555555555555") == 0);

	/* bdev_get_bdevs, SPDK's field names. */
	UT_CHECK(ut_rpc("bdev_get_bdevs", "{\"name\":\"PT0\"}", &r) == 0);
	{
		json_t *b = json_array_get(r.result, 0);

		UT_CHECK(json_array_size(r.result) == 1);
		UT_CHECK(strcmp(json_string_value(json_object_get(b, "name")), "PT0") == 0);
		UT_CHECK(json_is_array(json_object_get(b, "aliases")));
		UT_CHECK(strcmp(json_string_value(json_object_get(b, "product_name")), "passthru") == 0);
		UT_CHECK(json_integer_value(json_object_get(b, "block_size")) == 512);
		UT_CHECK(json_integer_value(json_object_get(b, "num_blocks")) == 2048);
		UT_CHECK(json_string_length(json_object_get(b, "uuid")) == 36);
		UT_CHECK(json_is_false(json_object_get(b, "claimed")));
		UT_CHECK(json_is_true(json_object_get(json_object_get(b, "supported_io_types"), "read")));
		UT_CHECK(json_is_false(json_object_get(json_object_get(b, "supported_io_types"), "abort")));
		UT_CHECK(strcmp(json_string_value(json_object_get(json_object_get(json_object_get(
				     b, "driver_specific"), "passthru"), "base_bdev_name")),
			     "Malloc0") == 0);
	}
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_get_bdevs", "{\"name\":\"Malloc0\"}", &r) == 0);
	UT_CHECK(json_is_true(json_object_get(json_array_get(r.result, 0), "claimed")));
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_get_bdevs", NULL, &r) == 0);
	UT_CHECK(json_array_size(r.result) == 9);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_get_bdevs", "{\"name\":\"nope\"}", &r) != 0);
	ut_rpc_free(&r);
	{
		/* timeout: waits that long for the name to appear, then gives up. */
		uint64_t t0 = ut_now_ns();

		UT_CHECK(ut_rpc("bdev_get_bdevs", "{\"name\":\"nope\",\"timeout\":30}", &r) != 0);
		UT_CHECK(ut_now_ns() - t0 >= 30000000ull);
		ut_rpc_free(&r);
	}

	/*
	 * I/O through the passthru, then its statistics over RPC, counted from a
	 * baseline: the config's bdev_wait_for_examine let the lvol module's
	 * examine read each new bdev first, and SPDK's iostat counts that too.
	 */
	UT_CHECK(ut_rpc("bdev_get_iostat", "{\"names\":[\"PT0\"]}", &r) == 0);
	{
		json_t *b = json_array_get(json_object_get(r.result, "bdevs"), 0);

		base_wops = json_integer_value(json_object_get(b, "num_write_ops"));
		base_rbytes = json_integer_value(json_object_get(b, "bytes_read"));
	}
	ut_rpc_free(&r);
	UT_CHECK(sio_bdev_open("PT0", true, noop_event, NULL, &d) == 0);
	ch = sio_bdev_desc_get_io_channel(d);
	ut_fill(w, sizeof(w), 9);
	UT_CHECK(sio_bdev_write_await(d, ch, w, 8192, sizeof(w)) == 0);
	UT_CHECK(sio_bdev_read_await(d, ch, rd, 8192, sizeof(rd)) == 0);
	UT_CHECK(memcmp(w, rd, sizeof(w)) == 0);
	UT_CHECK(ut_rpc("bdev_get_iostat", "{\"names\":[\"PT0\"]}", &r) == 0);
	{
		json_t *b = json_array_get(json_object_get(r.result, "bdevs"), 0);

		UT_CHECK(json_integer_value(json_object_get(r.result, "tick_rate")) > 0);
		UT_CHECK(json_integer_value(json_object_get(b, "num_write_ops")) == base_wops + 1);
		UT_CHECK(json_integer_value(json_object_get(b, "bytes_read")) == base_rbytes + 4096);
		UT_CHECK(json_integer_value(json_object_get(b, "max_read_latency_ticks")) > 0);
	}
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_get_iostat", "{\"per_channel\":true,\"names\":[\"PT0\"]}", &r) == 0);
	UT_CHECK(json_array_size(json_object_get(json_array_get(json_object_get(r.result, "bdevs"), 0),
						 "channels")) == 1);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_get_iostat", "{\"names\":[\"nope\"]}", &r) != 0);
	ut_rpc_free(&r);
	sio_io_channel_put(ch);
	sio_bdev_close(d);

	/* Error injection over RPC, observed on I/O. */
	UT_CHECK(ut_rpc("bdev_error_inject_error",
			"{\"name\":\"EE_Malloc1\",\"io_type\":\"read\",\"error_type\":\"failure\",\"num\":1}",
			&r) == 0);
	ut_rpc_free(&r);
	UT_CHECK(sio_bdev_open("EE_Malloc1", false, noop_event, NULL, &d) == 0);
	ch = sio_bdev_desc_get_io_channel(d);
	UT_CHECK(sio_bdev_read_await(d, ch, rd, 0, 512) == -EIO);
	UT_CHECK(sio_bdev_read_await(d, ch, rd, 0, 512) == 0);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	UT_CHECK(ut_rpc("bdev_error_inject_error",
			"{\"name\":\"EE_Malloc1\",\"io_type\":\"bogus\",\"error_type\":\"failure\"}",
			&r) != 0);
	ut_rpc_free(&r);

	/* Delay latency update over RPC; a bad one refused. */
	UT_CHECK(ut_rpc("bdev_delay_update_latency",
			"{\"delay_bdev_name\":\"Delay0\",\"latency_type\":\"avg_read\",\"latency_us\":150}",
			&r) == 0);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_delay_update_latency",
			"{\"delay_bdev_name\":\"Delay0\",\"latency_type\":\"avg_read\",\"latency_us\":5000}",
			&r) == SIO_RPC_ERROR_INVALID_PARAMS);
	ut_rpc_free(&r);

	/* Bad params: refused by the decoder or the handler, with a message naming the issue. */
	UT_CHECK(ut_rpc("bdev_malloc_create",
			"{\"block_size\":\"big\",\"num_blocks\":8}", &r) != 0);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_malloc_create", "{\"block_size\":1000,\"num_blocks\":8}", &r) ==
		 SIO_RPC_ERROR_INVALID_PARAMS);
	UT_CHECK(strstr(r.msg, "block_size") != NULL);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_null_create",
			"{\"name\":\"x\",\"block_size\":512,\"num_blocks\":8,\"md_size\":8}",
			&r) == SIO_RPC_ERROR_INVALID_PARAMS);
	UT_CHECK(strstr(r.msg, "md_size") != NULL);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_null_create",
			"{\"name\":\"Null0\",\"block_size\":512,\"num_blocks\":8}",
			&r) != 0);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_passthru_create",
			"{\"name\":\"PT9\",\"base_bdev_name\":\"Malloc0\"}", &r) != 0);
	ut_rpc_free(&r);
	UT_CHECK(ut_rpc("bdev_null_delete", "{\"name\":\"Malloc2\"}", &r) != 0);
	ut_rpc_free(&r);

	/* A create and delete at run time. */
	UT_CHECK(ut_rpc("bdev_malloc_create", "{\"block_size\":512,\"num_blocks\":64}", &r) == 0);
	UT_CHECK(json_is_string(r.result));
	{
		char params[128];

		snprintf(params, sizeof(params), "{\"name\":\"%s\"}", json_string_value(r.result));
		ut_rpc_free(&r);
		UT_CHECK(ut_rpc("bdev_malloc_delete", params, &r) == 0);
		ut_rpc_free(&r);
	}

	/* bdev_null_create makes SPDK's null bdev: a read leaves the buffer as it was. */
	UT_CHECK(sio_bdev_open("Null0", false, noop_event, NULL, &d) == 0);
	ch = sio_bdev_desc_get_io_channel(d);
	memset(rd, 0xab, sizeof(rd));
	UT_CHECK(sio_bdev_read_await(d, ch, rd, 0, sizeof(rd)) == 0);
	UT_CHECK(rd[0] == 0xab && rd[4095] == 0xab);
	sio_io_channel_put(ch);
	sio_bdev_close(d);

	g_saved = sio_app_save_config();
	return 1; /* stop the app */
}

static const char *const g_expected_methods[] = {
	/* Module options come first, as in SPDK's saved configs (bdev_nvme_set_options always). */
	"bdev_set_options", "bdev_nvme_set_options", "bdev_null_create", "bdev_malloc_create",
	"bdev_malloc_create", "bdev_malloc_create", "bdev_passthru_create", "bdev_error_create", "bdev_delay_create",
	"bdev_aio_create", "bdev_uring_create",
};

static json_t *bdev_section(json_t *config)
{
	json_t *subs = json_object_get(config, "subsystems");
	size_t i;
	json_t *s;

	json_array_foreach(subs, i, s)
		if (strcmp(json_string_value(json_object_get(s, "subsystem")), "bdev") == 0)
			return json_object_get(s, "config");
	return NULL;
}

static char g_uuids[16][40];
static size_t g_nuuids;

static int main_second_run(void *arg)
{
	size_t n = 0;

	for (struct sio_bdev *b = sio_bdev_first(); b != NULL; b = sio_bdev_next(b), n++) {
		UT_CHECK(n < g_nuuids);
		if (n < g_nuuids)
			UT_CHECK(strcmp(sio_bdev_get_uuid(b), g_uuids[n]) == 0);
	}
	UT_CHECK(n == g_nuuids);
	UT_CHECK(sio_bdev_get_claim_module(sio_bdev_get_by_name("Malloc0")) != NULL);
	return 1;
}

static int main_noop(void *arg)
{
	return 1;
}

static void run_app(const char *config, sio_app_main_fn fn, int expect_rc)
{
	int rc;

	rc = ut_rpc_run_app(config, fn);
	if (expect_rc < 0)
		assert_true(rc < 0); /* the config failed; the exact errno is the loader's */
	else
		assert_int_equal(rc, expect_rc);
}

static int record_uuids(void *arg)
{
	g_nuuids = 0;
	for (struct sio_bdev *b = sio_bdev_first(); b != NULL && g_nuuids < 16; b = sio_bdev_next(b))
		snprintf(g_uuids[g_nuuids++], sizeof(g_uuids[0]), "%s", sio_bdev_get_uuid(b));
	return main_first_run(arg);
}

static void test_config_every_module(void **state)
{
	json_t *sec;
	size_t i;
	json_t *e;
	char *text;

	build_config();
	g_ut_failures = 0;
	run_app(g_config, record_uuids, 1);
	assert_int_equal(g_ut_failures, 0);
	assert_non_null(g_saved);

	/* save_config is a replay log: options first, bases before virtual bdevs. */
	sec = bdev_section(g_saved);
	assert_non_null(sec);
	assert_int_equal(json_array_size(sec), sizeof(g_expected_methods) / sizeof(g_expected_methods[0]));
	json_array_foreach(sec, i, e)
		assert_string_equal(json_string_value(json_object_get(e, "method")), g_expected_methods[i]);

	/* Replayed, it recreates the same bdevs with the same UUIDs and claims. */
	text = json_dumps(g_saved, JSON_COMPACT);
	json_decref(g_saved);
	g_saved = NULL;
	run_app(text, main_second_run, 1);
	free(text);
	assert_int_equal(g_ut_failures, 0);
}

static void test_config_bad_params(void **state)
{
	/* Unknown parameter, wrong type, semantic error: startup fails, nothing left behind. */
	run_app("{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":\"bdev_malloc_create\","
		"\"params\":{\"name\":\"M\",\"block_size\":512,\"num_blocks\":8,\"colour\":1}}]}]}",
		main_noop, -EINVAL);
	run_app("{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":\"bdev_null_create\","
		"\"params\":{\"name\":\"N\",\"block_size\":\"x\",\"num_blocks\":8}}]}]}",
		main_noop, -EINVAL);
	{
		struct sio_app_opts opts;

		sio_app_opts_init(&opts, sizeof(opts));
		opts.rpc_addr = NULL;
		opts.json_config_text =
			"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[{\"method\":"
			"\"bdev_passthru_create\",\"params\":{\"name\":\"P\",\"base_bdev_name\":\"missing\"}}]}]}";
		assert_int_not_equal(sio_app_run(&opts, main_noop, NULL), 1);
	}
	assert_null(sio_bdev_first());
}

/* A config as SPDK's save_config writes it (v26.05 field set), loaded unchanged. */
static const char g_spdk_config[] =
	"{\n"
	"  \"subsystems\": [\n"
	"    {\n"
	"      \"subsystem\": \"bdev\",\n"
	"      \"config\": [\n"
	"        {\"method\": \"bdev_set_options\", \"params\": {\"bdev_io_pool_size\": 65535,\n"
	"          \"bdev_io_cache_size\": 256, \"bdev_auto_examine\": true,\n"
	"          \"iobuf_small_cache_size\": 128, \"iobuf_large_cache_size\": 16}},\n"
	"        {\"method\": \"bdev_malloc_create\", \"params\": {\"name\": \"Malloc0\",\n"
	"          \"num_blocks\": 8192, \"block_size\": 512, \"physical_block_size\": 512,\n"
	"          \"uuid\": \"8f3b7a2e-1c4d-4e5f-9a6b-7c8d9e0f1a2b\", \"optimal_io_boundary\": 0,\n"
	"          \"md_size\": 0, \"dif_type\": 0, \"dif_is_head_of_md\": false, \"dif_pi_format\": 0}},\n"
	"        {\"method\": \"bdev_malloc_create\", \"params\": {\"name\": \"Malloc1\",\n"
	"          \"num_blocks\": 8192, \"block_size\": 4096, \"physical_block_size\": 4096,\n"
	"          \"uuid\": \"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\", \"optimal_io_boundary\": 0,\n"
	"          \"md_size\": 0, \"dif_type\": 0, \"dif_is_head_of_md\": false, \"dif_pi_format\": 0}},\n"
	"        {\"method\": \"bdev_null_create\", \"params\": {\"name\": \"Null0\",\n"
	"          \"num_blocks\": 262144, \"block_size\": 512, \"physical_block_size\": 512,\n"
	"          \"uuid\": \"3c9e8d7f-6a5b-4c4d-8e3f-2a1b0c9d8e7f\", \"md_size\": 0, \"dif_type\": 0,\n"
	"          \"dif_is_head_of_md\": false, \"dif_pi_format\": 0}},\n"
	"        {\"method\": \"bdev_passthru_create\", \"params\": {\"name\": \"TestPT\",\n"
	"          \"base_bdev_name\": \"Malloc0\", \"uuid\": \"5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f\"}},\n"
	"        {\"method\": \"bdev_delay_create\", \"params\": {\"name\": \"Delay0\",\n"
	"          \"base_bdev_name\": \"Malloc1\", \"avg_read_latency\": 30, \"avg_write_latency\": 30,\n"
	"          \"p99_read_latency\": 100, \"p99_write_latency\": 100,\n"
	"          \"uuid\": \"6e7f8091-a2b3-4c4d-9e5f-6a7b8c9d0e1f\"}},\n"
	"        {\"method\": \"bdev_wait_for_examine\"}\n"
	"      ]\n"
	"    }\n"
	"  ]\n"
	"}\n";

static int main_spdk(void *arg)
{
	UT_CHECK(strcmp(sio_bdev_get_uuid(sio_bdev_get_by_name("TestPT")),
			"5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f") == 0);
	UT_CHECK(sio_bdev_get_block_size(sio_bdev_get_by_name("Delay0")) == 4096);
	UT_CHECK(sio_bdev_get_num_blocks(sio_bdev_get_by_name("Null0")) == 262144);
	UT_CHECK(sio_bdev_is_claimed(sio_bdev_get_by_name("Malloc1")));
	return 1;
}

static void test_spdk_config_unchanged(void **state)
{
	g_ut_failures = 0;
	run_app(g_spdk_config, main_spdk, 1);
	assert_int_equal(g_ut_failures, 0);
}

/*
 * bdev_nvme_set_options: the parameters that have no effect here are
 * accepted (reply true) with one NOTICE in the app's log naming those given a
 * value other than SPDK's default; SPDK's defaults given explicitly, as its
 * save_config writes them, load silently.
 */
static char g_nvme_notices[4][512];
static int g_num_nvme_notices;

static void nvme_notice_sink(enum sio_log_level level, const char *component, const char *msg,
			     void *ctx)
{
	(void)component;
	(void)ctx;
	if (level == SIO_LOG_NOTICE && strstr(msg, "bdev_nvme_set_options") != NULL &&
	    g_num_nvme_notices < 4)
		snprintf(g_nvme_notices[g_num_nvme_notices++], sizeof(g_nvme_notices[0]), "%s", msg);
}

static int main_nvme_options(void *arg)
{
	struct ut_rpc_res r;

	UT_CHECK(ut_rpc("bdev_nvme_set_options",
			"{\"timeout_admin_us\":0,\"transport_retry_count\":4,"
			"\"nvme_adminq_poll_period_us\":10000,\"nvme_ioq_poll_period_us\":0,"
			"\"delay_cmd_submit\":true,\"arbitration_burst\":0,\"rdma_srq_size\":0,"
			"\"generate_uuids\":false,\"keep_alive_timeout_ms\":10000}", &r) == 0);
	UT_CHECK(r.result != NULL && json_is_true(r.result));
	ut_rpc_free(&r);
	UT_CHECK(g_num_nvme_notices == 0);
	UT_CHECK(ut_rpc("bdev_nvme_set_options",
			"{\"transport_retry_count\":7,\"rdma_srq_size\":64,\"delay_cmd_submit\":false,"
			"\"keep_alive_timeout_ms\":10000}", &r) == 0);
	UT_CHECK(r.result != NULL && json_is_true(r.result));
	ut_rpc_free(&r);
	UT_CHECK(g_num_nvme_notices == 1);
	UT_CHECK(strstr(g_nvme_notices[0],
			"no effect here (docs/nvme.md): delay_cmd_submit, transport_retry_count, "
			"rdma_srq_size") != NULL);
	/* An applied parameter is not named. */
	UT_CHECK(strstr(g_nvme_notices[0], "keep_alive") == NULL);
	if (g_ut_failures != 0)
		for (int i = 0; i < g_num_nvme_notices; i++)
			fprintf(stderr, "notice: %s\n", g_nvme_notices[i]);
	return 1;
}

static void test_nvme_options_no_effect(void **state)
{
	g_ut_failures = 0;
	g_num_nvme_notices = 0;
	sio_log_set_sink(nvme_notice_sink, NULL);
	run_app(NULL, main_nvme_options, 1);
	sio_log_set_sink(NULL, NULL);
	assert_int_equal(g_ut_failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_every_module),
		cmocka_unit_test(test_config_bad_params),
		cmocka_unit_test(test_spdk_config_unchanged),
		cmocka_unit_test(test_nvme_options_no_effect),
	};
	int fd, rc;

	snprintf(g_file, sizeof(g_file), "/tmp/sio_bdev_config_%d.img", (int)getpid());
	fd = open(g_file, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4 << 20) != 0)
		return 1;
	close(fd);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(g_file);
	return rc;
}
