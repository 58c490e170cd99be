/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK's 15 bdev_lvol_* methods through the app's RPC dispatch (sio_rpc_call,
 * what the JSON config and the socket server use): create an lvstore on a
 * malloc bdev, lvols thick and thin, snapshot, clone, inflate, decouple,
 * resize, rename, read-only, the listing methods' output, errors for unknown
 * names and conflicting parameters, then delete everything. Data written
 * through the origin is read back through the snapshot and the clone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "spdk_io/app.h"
#include "spdk_io/bdev.h"
#include "spdk_io/env.h"
#include "spdk_io/rpc.h"
#include "ut_rpc.h"

static void ev(enum sio_bdev_event_type t, struct sio_bdev *b, void *c)
{
}

static int rw(const char *name, bool write, uint8_t *buf, uint64_t block)
{
	struct sio_bdev_desc *d;
	struct sio_io_channel *ch;
	int rc = sio_bdev_open(name, write, ev, NULL, &d);

	if (rc != 0)
		return rc;
	ch = sio_bdev_desc_get_io_channel(d);
	rc = write ? sio_bdev_write_blocks_await(d, ch, buf, block, 1)
		   : sio_bdev_read_blocks_await(d, ch, buf, block, 1);
	sio_io_channel_put(ch);
	sio_bdev_close(d);
	return rc;
}

static int main_task(void *arg)
{
	struct ut_rpc_res r;
	char uuid[40], lvs_uuid[40], p[512];
	uint8_t *w = sio_dma_malloc(4096, 4096), *rd = sio_dma_malloc(4096, 4096);
	json_t *e;

	UT_CHECK(ut_rpc_ok("bdev_malloc_create",
			   "{\"name\":\"M0\",\"num_blocks\":16384,\"block_size\":4096}") == 0);
	UT_CHECK(ut_rpc("bdev_lvol_create_lvstore",
			"{\"bdev_name\":\"M0\",\"lvs_name\":\"lvs\",\"cluster_sz\":1048576}", &r) == 0);
	snprintf(lvs_uuid, sizeof(lvs_uuid), "%s", json_string_value(r.result) ?: "");
	json_decref(r.result);
	UT_CHECK(strlen(lvs_uuid) == 36);
	UT_CHECK(ut_rpc_ok("bdev_lvol_create_lvstore",
			   "{\"bdev_name\":\"M0\",\"lvs_name\":\"x\"}") != 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_create_lvstore", "{\"bdev_name\":\"M0\"}") != 0);

	/* get_lvstores */
	UT_CHECK(ut_rpc("bdev_lvol_get_lvstores", "{\"lvs_name\":\"lvs\"}", &r) == 0);
	e = json_array_get(r.result, 0);
	UT_CHECK(e && strcmp(json_string_value(json_object_get(e, "uuid")), lvs_uuid) == 0);
	UT_CHECK(e && strcmp(json_string_value(json_object_get(e, "base_bdev")), "M0") == 0);
	UT_CHECK(e && json_integer_value(json_object_get(e, "cluster_size")) == 1048576);
	UT_CHECK(e && json_integer_value(json_object_get(e, "block_size")) == 4096);
	UT_CHECK(e && json_integer_value(json_object_get(e, "free_clusters")) ==
			  json_integer_value(json_object_get(e, "total_data_clusters")));
	json_decref(r.result);
	UT_CHECK(ut_rpc_ok("bdev_lvol_get_lvstores", "{\"lvs_name\":\"nope\"}") != 0);
	snprintf(p, sizeof(p), "{\"uuid\":\"%s\"}", lvs_uuid);
	UT_CHECK(ut_rpc("bdev_lvol_get_lvstores", p, &r) == 0);
	UT_CHECK(json_array_size(r.result) == 1);
	json_decref(r.result);
	snprintf(p, sizeof(p), "{\"uuid\":\"%s\",\"lvs_name\":\"lvs\"}", lvs_uuid);
	UT_CHECK(ut_rpc("bdev_lvol_get_lvstores", p, &r) == -32602);
	UT_CHECK(strcmp(r.msg, "Either uuid or lvs_name may be specified, not both") == 0);

	/* create by lvs_name and by uuid; thin */
	UT_CHECK(ut_rpc("bdev_lvol_create",
			"{\"lvol_name\":\"v0\",\"size_in_mib\":8,\"lvs_name\":\"lvs\"}",
			&r) == 0);
	snprintf(uuid, sizeof(uuid), "%s", json_string_value(r.result) ?: "");
	json_decref(r.result);
	UT_CHECK(sio_bdev_get_by_name(uuid) == sio_bdev_get_by_name("lvs/v0"));
	snprintf(p, sizeof(p),
		 "{\"lvol_name\":\"t0\",\"size_in_mib\":4,\"uuid\":\"%s\",\"thin_provision\":true}",
		 lvs_uuid);
	UT_CHECK(ut_rpc_ok("bdev_lvol_create", p) == 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_create", "{\"lvol_name\":\"v1\",\"size_in_mib\":8}") != 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_create",
			   "{\"lvol_name\":\"v0\",\"size_in_mib\":8,\"lvs_name\":\"lvs\"}") != 0);

	/* data, snapshot, clone */
	memset(w, 0x11, 4096);
	UT_CHECK(rw("lvs/v0", true, w, 7) == 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_snapshot",
			   "{\"lvol_name\":\"lvs/v0\",\"snapshot_name\":\"s0\"}") == 0);
	memset(w, 0x22, 4096);
	UT_CHECK(rw("lvs/v0", true, w, 7) == 0);
	UT_CHECK(rw("lvs/s0", false, rd, 7) == 0 && rd[0] == 0x11 && rd[4095] == 0x11);
	UT_CHECK(ut_rpc_ok("bdev_lvol_clone",
			   "{\"snapshot_name\":\"lvs/s0\",\"clone_name\":\"c0\"}") == 0);
	UT_CHECK(rw("lvs/c0", false, rd, 7) == 0 && rd[0] == 0x11);

	/* get_lvols */
	UT_CHECK(ut_rpc("bdev_lvol_get_lvols", "{\"lvs_name\":\"lvs\"}", &r) == 0);
	UT_CHECK(json_array_size(r.result) == 4);
	{
		size_t i;
		int snaps = 0, clones = 0, thin = 0;

		json_array_foreach(r.result, i, e) {
			snaps += json_is_true(json_object_get(e, "is_snapshot"));
			clones += json_is_true(json_object_get(e, "is_clone"));
			thin += json_is_true(json_object_get(e, "is_thin_provisioned"));
			UT_CHECK(strcmp(json_string_value(json_object_get(json_object_get(e, "lvs"),
								       "name")), "lvs") == 0);
		}
		UT_CHECK(snaps == 1 && clones == 2 && thin == 3);
	}
	json_decref(r.result);
	snprintf(p, sizeof(p), "{\"lvs_uuid\":\"%s\"}", lvs_uuid);
	UT_CHECK(ut_rpc("bdev_lvol_get_lvols", p, &r) == 0);
	UT_CHECK(json_array_size(r.result) == 4);
	json_decref(r.result);
	snprintf(p, sizeof(p), "{\"lvs_uuid\":\"%s\",\"lvs_name\":\"lvs\"}", lvs_uuid);
	UT_CHECK(ut_rpc("bdev_lvol_get_lvols", p, &r) == -32602);
	UT_CHECK(strcmp(r.msg, "Either lvs_uuid or lvs_name may be specified, not both") == 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_get_lvols", "{\"lvs_name\":\"nope\"}") != 0);

	/* inflate, decouple, resize, rename, read-only */
	UT_CHECK(ut_rpc_ok("bdev_lvol_inflate", "{\"name\":\"lvs/c0\"}") == 0);
	UT_CHECK(rw("lvs/c0", false, rd, 7) == 0 && rd[0] == 0x11);
	UT_CHECK(ut_rpc_ok("bdev_lvol_decouple_parent", "{\"name\":\"lvs/v0\"}") == 0);
	UT_CHECK(rw("lvs/v0", false, rd, 7) == 0 && rd[0] == 0x22);
	UT_CHECK(ut_rpc_ok("bdev_lvol_decouple_parent", "{\"name\":\"lvs/v0\"}") != 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_resize", "{\"name\":\"lvs/v0\",\"size_in_mib\":12}") == 0);
	UT_CHECK(sio_bdev_get_num_blocks(sio_bdev_get_by_name("lvs/v0")) == 12 * 256);
	UT_CHECK(ut_rpc_ok("bdev_lvol_rename",
			   "{\"old_name\":\"lvs/v0\",\"new_name\":\"v9\"}") == 0);
	UT_CHECK(sio_bdev_get_by_name("lvs/v9") != NULL && sio_bdev_get_by_name("lvs/v0") == NULL);
	UT_CHECK(ut_rpc_ok("bdev_lvol_set_read_only", "{\"name\":\"lvs/v9\"}") == 0);
	UT_CHECK(rw("lvs/v9", true, w, 7) != 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_rename_lvstore",
			   "{\"old_name\":\"lvs\",\"new_name\":\"lvz\"}") == 0);
	UT_CHECK(sio_bdev_get_by_name("lvz/v9") != NULL);
	UT_CHECK(ut_rpc_ok("bdev_lvol_grow_lvstore", "{\"lvs_name\":\"lvz\"}") == 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_grow_lvstore", "{\"lvs_name\":\"lvz\",\"uuid\":\"x\"}") != 0);

	/* delete: the snapshot has no clone left after inflate and decouple */
	UT_CHECK(ut_rpc_ok("bdev_lvol_delete", "{\"name\":\"lvz/s0\"}") == 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_delete", "{\"name\":\"lvz/s0\"}") != 0);
	UT_CHECK(ut_rpc_ok("bdev_lvol_delete", "{\"name\":\"lvz/t0\"}") == 0);
	snprintf(p, sizeof(p), "{\"uuid\":\"%s\"}", lvs_uuid);
	UT_CHECK(ut_rpc_ok("bdev_lvol_delete_lvstore", p) == 0);
	UT_CHECK(sio_bdev_get_by_name("lvz/v9") == NULL);
	UT_CHECK(ut_rpc_ok("bdev_lvol_get_lvstores", NULL) == 0);
	sio_dma_free(w);
	sio_dma_free(rd);
	sio_app_stop(g_ut_failures ? 1 : 0);
	return 0;
}

static void test_rpc(void **state)
{
	struct sio_app_opts o;

	sio_app_opts_init(&o, sizeof(o));
	o.name = "lvol_rpc";
	o.rpc_addr = NULL;
	assert_int_equal(sio_app_run(&o, main_task, NULL), 0);
	assert_int_equal(g_ut_failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
