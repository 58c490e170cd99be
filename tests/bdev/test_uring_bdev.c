/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uring bdev module through the public bdev API on real files (the shared
 * cases are in test_aio_uring_bdev.h). Exit 77 when io_uring is unavailable;
 * with --direct, also when no disk directory accepts O_DIRECT.
 */
#include <liburing.h>

#include "bdev/modules/uring/uring.h"
#include "test_aio_uring_bdev.h"

extern const struct sio_rpc_method_table sio_rpc_table_bdev_uring;

static int create(const char *name, const char *file, uint32_t block_size, const char *uuid,
		  char *err, size_t errlen)
{
	struct bdev_uring_opts o = {
		.name = name, .filename = file, .block_size = block_size, .uuid = uuid};

	return bdev_uring_create(&o, NULL, err, errlen);
}

static const struct tb_module g_mod = {
	.name = "uring",
	.product = "URING bdev",
	.create_method = "bdev_uring_create",
	.delete_method = "bdev_uring_delete",
	.create = create,
	.delete = sio_bdev_uring_delete,
	.rescan = sio_bdev_uring_rescan,
	.rpc = &sio_rpc_table_bdev_uring,
};

int main(int argc, char **argv)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0);

	if (rc < 0) {
		printf("SKIP: io_uring unavailable here (io_uring_queue_init: %s)\n", strerror(-rc));
		return 77;
	}
	io_uring_queue_exit(&ring);
	return tb_main(argc, argv);
}
