/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPC glue shared by several modules (see module_rpc.h). A file apart from
 * bdev_fifo.c so that linking the modules without the app's RPC registry
 * does not pull the RPC server in.
 */
#include "bdev/modules/common/module_rpc.h"

const struct sio_rpc_param bdev_module_rpc_name_params[BDEV_MODULE_RPC_NAME_COUNT] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct bdev_module_rpc_name, name),
};

static void delete_done(void *cb_arg, int rc)
{
	if (rc == 0)
		sio_rpc_request_complete(cb_arg, NULL);
	else
		sio_rpc_request_fail_errno(cb_arg, rc);
}

void bdev_module_rpc_delete(struct sio_rpc_request *req, const struct bdev_module_rpc_name *p,
			    bdev_module_delete_fn delete_fn)
{
	int rc = delete_fn(p->name, delete_done, req);

	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

bool bdev_module_rpc_check_disk(struct sio_rpc_request *req, uint32_t md_size, int32_t dif_type,
				uint32_t block_size, uint64_t num_blocks)
{
	const char *method = sio_rpc_request_method(req)->name;

	if (md_size != 0 || dif_type != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "%s: metadata (md_size) and protection information (dif_type) "
				      "are not supported",
				      method);
		return false;
	}
	if (block_size == 0 || block_size % 512 != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "%s: block_size must be a multiple of 512", method);
		return false;
	}
	if (num_blocks == 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "%s: num_blocks must be greater than 0", method);
		return false;
	}
	return true;
}
