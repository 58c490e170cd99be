/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC handlers the aio and uring modules share (delete, rescan, the
 * create reply). A file of its own so that linking the modules without the
 * app's RPC registry (layer unit tests) does not pull the RPC server in.
 */
#include "bdev/modules/file_common/bdev_file_module.h"

void bdev_file_rpc_create_reply(struct sio_rpc_request *req, int rc, struct sio_bdev *bdev,
				const char *err)
{
	if (rc != 0)
		sio_rpc_request_error(req, rc, "%s", err);
	else
		sio_rpc_request_complete(req, json_string(bdev->name));
}

static void delete_done(void *cb_arg, int rc)
{
	struct sio_rpc_request *req = cb_arg;

	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, json_true());
}

void bdev_file_rpc_delete(struct sio_rpc_request *req, const struct bdev_module_rpc_name *p,
			  struct sio_bdev_module *module)
{
	int rc = bdev_file_disk_delete(p->name, module, delete_done, req);

	if (rc == -ENODEV)
		sio_rpc_request_error(req, rc, "no %s bdev named %s", module->name, p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

void bdev_file_rpc_rescan(struct sio_rpc_request *req, const struct bdev_module_rpc_name *p,
			  struct sio_bdev_module *module)
{
	int rc = bdev_file_disk_rescan(p->name, module);

	if (rc == -ENODEV)
		sio_rpc_request_error(req, rc, "no %s bdev named %s", module->name, p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, json_true());
}
