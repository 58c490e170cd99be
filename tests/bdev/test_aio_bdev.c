/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aio bdev module through the public bdev API on real files (the shared
 * cases are in test_aio_uring_bdev.h), plus what only aio has: readonly,
 * fallocate off by default, nowait. With --direct, exit 77 when no disk
 * directory accepts O_DIRECT.
 */
#include <libaio.h>

#include "bdev/modules/aio/aio.h"
#include "test_aio_uring_bdev.h"

extern const struct sio_rpc_method_table sio_rpc_table_bdev_aio;

/* The shared tests expect unmap/write_zeroes: turn fallocate on, and nowait too. */
static int create(const char *name, const char *file, uint32_t block_size, const char *uuid,
		  char *err, size_t errlen)
{
	struct bdev_aio_opts o = {.name = name, .filename = file, .block_size = block_size,
				  .uuid = uuid, .fallocate = true, .nowait = true};

	return bdev_aio_create(&o, NULL, err, errlen);
}

static const struct tb_module g_mod = {
	.name = "aio",
	.product = "AIO disk",
	.create_method = "bdev_aio_create",
	.delete_method = "bdev_aio_delete",
	.create = create,
	.delete = sio_bdev_aio_delete,
	.rescan = sio_bdev_aio_rescan,
	.rpc = &sio_rpc_table_bdev_aio,
};

static void test_aio_readonly_and_defaults(void **state)
{
	struct bdev_aio_opts o = {.name = "ro", .filename = g_fx.path, .readonly = true};
	struct sio_bdev_desc *desc;
	struct sio_io_channel *ch;
	struct ut_cpl cpl = {0};
	struct sio_bdev *bdev;
	uint8_t *buf = aligned_alloc(4096, 4096);
	char err[256];
	json_t *config, *p;

	assert_int_equal(bdev_aio_create(&o, &bdev, err, sizeof(err)), 0);
	/* Read-only: no writes; fallocate off (SPDK's default): no unmap or write_zeroes. */
	assert_false(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_WRITE));
	assert_false(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_UNMAP));
	assert_false(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_WRITE_ZEROES));
	assert_true(sio_bdev_io_type_supported(bdev, SIO_BDEV_IO_TYPE_READ));
	assert_int_equal(sio_bdev_open("ro", true, ut_event_cb, NULL, &desc), 0);
	ch = sio_bdev_desc_get_io_channel(desc);
	assert_int_equal(sio_bdev_write(desc, ch, buf, 0, 4096, ut_cpl_cb, &cpl), -ENOTSUP);
	assert_int_equal(sio_bdev_read(desc, ch, buf, 4096, 4096, ut_cpl_cb, &cpl), 0);
	while (cpl.calls == 0)
		ut_poll_n(1);
	assert_int_equal(cpl.rc, 0);
	assert_memory_equal(buf, g_fx.shadow + 4096, 4096);
	sio_io_channel_put(ch);
	sio_bdev_close(desc);

	config = json_array();
	bdev->fn_table->write_config_json(bdev, config);
	p = json_object_get(json_array_get(config, 0), "params");
	assert_true(json_is_true(json_object_get(p, "readonly")));
	assert_true(json_is_false(json_object_get(p, "fallocate")));
	assert_null(json_object_get(p, "block_size")); /* detected, not given */
	json_decref(config);
	tb_delete_sync("ro", 0);
	free(buf);
}

int main(int argc, char **argv)
{
	io_context_t ctx = 0;
	int rc = io_setup(4, &ctx);

	if (rc < 0) {
		printf("SKIP: Linux AIO unavailable here (io_setup: %s)\n", strerror(-rc));
		return 77;
	}
	io_destroy(ctx);
	rc = tb_main(argc, argv);
	if (rc == 0 && !(argc > 1 && strcmp(argv[1], "--direct") == 0)) {
		const struct CMUnitTest tests[] = {
			cmocka_unit_test_setup_teardown(test_aio_readonly_and_defaults, tb_setup,
							tb_teardown),
		};
		struct sio_thread *t = sio_thread_get_current();

		(void)t;
		g_dir = "/tmp";
		g_direct = tu_direct_works("/tmp");
		bdev_modules_init();
		rc = cmocka_run_group_tests(tests, NULL, NULL);
		bdev_modules_fini();
	}
	return rc;
}
