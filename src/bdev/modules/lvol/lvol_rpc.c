/* SPDX-License-Identifier: BSD-3-Clause */
/* SPDK's bdev_lvol_* methods with SPDK's parameters, over include/spdk_io/lvol.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/modules/lvol/lvol_internal.h"
#include "spdk_io/rpc.h"

/* A request waiting for an lvol operation; the reply is the UUID, or true. */
struct rpc_wait {
	struct sio_rpc_request *req;
	char uuid[37];
	bool reply_uuid;
};

static void rpc_done(void *arg, int rc)
{
	struct rpc_wait *w = arg;

	if (rc != 0)
		sio_rpc_request_fail_errno(w->req, rc);
	else if (w->reply_uuid)
		sio_rpc_request_complete(w->req, json_string(w->uuid));
	else
		sio_rpc_request_complete(w->req, json_true());
	free(w);
}

static struct rpc_wait *rpc_wait_new(struct sio_rpc_request *req, bool reply_uuid)
{
	struct rpc_wait *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return NULL;
	}
	w->req = req;
	w->reply_uuid = reply_uuid;
	return w;
}

static void rpc_started(struct rpc_wait *w, int rc)
{
	if (rc != 0) {
		sio_rpc_request_fail_errno(w->req, rc);
		free(w);
	}
}

/* The lvstore named by uuid or lvs_name (exactly one of them). */
static const char *lvs_pick(struct sio_rpc_request *req, const char *uuid, const char *name)
{
	const char *n;

	if ((uuid == NULL) == (name == NULL)) {
		sio_rpc_request_error(req, -32602, "Either uuid or lvs_name must be specified, not both");
		return NULL;
	}
	n = uuid ? sio_lvs_find(uuid) : name;
	if (n == NULL || lvs_by_name(n) == NULL) {
		sio_rpc_request_fail_errno(req, -ENODEV);
		return NULL;
	}
	return n;
}

/* ---- bdev_lvol_create_lvstore ---- */

struct create_lvs_params {
	const char *bdev_name;
	const char *lvs_name;
	uint32_t cluster_sz;
	const char *clear_method;
	uint32_t num_md_pages_per_cluster_ratio;
	uint32_t md_page_size;
};

static const struct sio_rpc_param create_lvs_params[] = {
	SIO_RPC_PARAM("bdev_name", SIO_RPC_STRING, true, struct create_lvs_params, bdev_name),
	SIO_RPC_PARAM("lvs_name", SIO_RPC_STRING, true, struct create_lvs_params, lvs_name),
	SIO_RPC_PARAM("cluster_sz", SIO_RPC_UINT32, false, struct create_lvs_params, cluster_sz),
	SIO_RPC_PARAM("clear_method", SIO_RPC_STRING, false, struct create_lvs_params,
		      clear_method),
	SIO_RPC_PARAM("num_md_pages_per_cluster_ratio", SIO_RPC_UINT32, false,
		      struct create_lvs_params, num_md_pages_per_cluster_ratio),
	SIO_RPC_PARAM("md_page_size", SIO_RPC_UINT32, false, struct create_lvs_params,
		      md_page_size),
};

static void rpc_create_lvstore(struct sio_rpc_request *req, void *params)
{
	struct create_lvs_params *p = params;
	struct rpc_wait *w;

	/* Metadata pages are 4 KiB here; clear_method: nothing is cleared at creation. */
	if (p->md_page_size != 0 && p->md_page_size != 4096) {
		sio_rpc_request_error(req, -32602, "md_page_size must be 4096");
		return;
	}
	w = rpc_wait_new(req, true);
	if (w != NULL)
		rpc_started(w, sio_lvs_create(p->bdev_name, p->lvs_name, p->cluster_sz, w->uuid,
					      rpc_done, w));
}

/* ---- lvstore by uuid or name ---- */

struct lvs_sel_params {
	const char *uuid;
	const char *lvs_name;
};

static const struct sio_rpc_param lvs_sel_params[] = {
	SIO_RPC_PARAM("uuid", SIO_RPC_STRING, false, struct lvs_sel_params, uuid),
	SIO_RPC_PARAM("lvs_name", SIO_RPC_STRING, false, struct lvs_sel_params, lvs_name),
};

/* Runs @op on the lvstore @params select (uuid or lvs_name); the reply is true once it is done. */
static void rpc_lvs_op(struct sio_rpc_request *req, void *params,
		       int (*op)(const char *lvs_name, sio_done_cb cb, void *cb_arg))
{
	struct lvs_sel_params *p = params;
	const char *n = lvs_pick(req, p->uuid, p->lvs_name);
	struct rpc_wait *w;

	if (n == NULL)
		return;
	w = rpc_wait_new(req, false);
	if (w != NULL)
		rpc_started(w, op(n, rpc_done, w));
}

static void rpc_delete_lvstore(struct sio_rpc_request *req, void *params)
{
	rpc_lvs_op(req, params, sio_lvs_destroy);
}

static void rpc_grow_lvstore(struct sio_rpc_request *req, void *params)
{
	rpc_lvs_op(req, params, sio_lvs_grow);
}

static json_t *lvs_json(struct lvs *l)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:I}", "uuid", l->uuid, "name", l->name,
			 "base_bdev", l->base_name,
			 "total_data_clusters", (json_int_t)sio_bs_total_data_clusters(l->bs),
			 "free_clusters", (json_int_t)sio_bs_free_cluster_count(l->bs),
			 "block_size", (int)sio_bs_get_io_unit_size(l->bs),
			 "cluster_size", (json_int_t)sio_bs_get_cluster_size(l->bs));
}

/*
 * The lvstore filter of the get methods: @uuid (its param is @uuid_param)
 * or @name, not both, and an lvstore that exists; neither: all. Replies
 * and returns false if the filter is refused.
 */
static bool lvs_filter_ok(struct sio_rpc_request *req, const char *uuid_param, const char *uuid,
			  const char *name)
{
	if (uuid && name) {
		sio_rpc_request_error(req, -32602, "Either %s or lvs_name may be specified, not both",
				      uuid_param);
		return false;
	}
	if ((uuid && !lvs_by_uuid(uuid)) || (name && !lvs_by_name(name))) {
		sio_rpc_request_fail_errno(req, -ENODEV);
		return false;
	}
	return true;
}

/* Whether @l passes the filter lvs_filter_ok() accepted. */
static bool lvs_filter_match(const struct lvs *l, const char *uuid, const char *name)
{
	return (!uuid || strcmp(uuid, l->uuid) == 0) && (!name || strcmp(name, l->name) == 0);
}

static void rpc_get_lvstores(struct sio_rpc_request *req, void *params)
{
	struct lvs_sel_params *p = params;
	json_t *arr;
	struct lvs *l;

	if (!lvs_filter_ok(req, "uuid", p->uuid, p->lvs_name))
		return;
	arr = json_array();
	TAILQ_FOREACH(l, &g_lvstores, link)
		if (lvs_filter_match(l, p->uuid, p->lvs_name))
			json_array_append_new(arr, lvs_json(l));
	sio_rpc_request_complete(req, arr);
}

/* ---- old_name/new_name ---- */

struct rename_params {
	const char *old_name;
	const char *new_name;
};

static const struct sio_rpc_param rename_params[] = {
	SIO_RPC_PARAM("old_name", SIO_RPC_STRING, true, struct rename_params, old_name),
	SIO_RPC_PARAM("new_name", SIO_RPC_STRING, true, struct rename_params, new_name),
};

static void rpc_rename_lvstore(struct sio_rpc_request *req, void *params)
{
	struct rename_params *p = params;
	struct rpc_wait *w = rpc_wait_new(req, false);

	if (w != NULL)
		rpc_started(w, sio_lvs_rename(p->old_name, p->new_name, rpc_done, w));
}

static void rpc_rename(struct sio_rpc_request *req, void *params)
{
	struct rename_params *p = params;
	struct rpc_wait *w = rpc_wait_new(req, false);

	if (w != NULL)
		rpc_started(w, sio_lvol_rename(p->old_name, p->new_name, rpc_done, w));
}

/* ---- bdev_lvol_create ---- */

struct create_params {
	const char *lvol_name;
	uint64_t size_in_mib;
	bool thin_provision;
	const char *uuid;
	const char *lvs_name;
	const char *clear_method;
};

static const struct sio_rpc_param create_params[] = {
	SIO_RPC_PARAM("lvol_name", SIO_RPC_STRING, true, struct create_params, lvol_name),
	SIO_RPC_PARAM("size_in_mib", SIO_RPC_UINT64, true, struct create_params, size_in_mib),
	SIO_RPC_PARAM("thin_provision", SIO_RPC_BOOL, false, struct create_params,
		      thin_provision),
	SIO_RPC_PARAM("uuid", SIO_RPC_STRING, false, struct create_params, uuid),
	SIO_RPC_PARAM("lvs_name", SIO_RPC_STRING, false, struct create_params, lvs_name),
	SIO_RPC_PARAM("clear_method", SIO_RPC_STRING, false, struct create_params, clear_method),
};

static void rpc_create(struct sio_rpc_request *req, void *params)
{
	struct create_params *p = params;
	const char *n = lvs_pick(req, p->uuid, p->lvs_name);
	struct rpc_wait *w;

	if (n == NULL)
		return;
	if (p->size_in_mib > (UINT64_MAX >> 20)) {
		sio_rpc_request_fail_errno(req, -EINVAL);
		return;
	}
	w = rpc_wait_new(req, true);
	if (w != NULL)
		rpc_started(w, sio_lvol_create(n, p->lvol_name, p->size_in_mib << 20,
					       p->thin_provision, w->uuid, rpc_done, w));
}

/* ---- {"name"} methods ---- */

struct name_params {
	const char *name;
};

static const struct sio_rpc_param name_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct name_params, name),
};

/* Runs @op on the lvol @params names; the reply is true once it is done. */
static void rpc_name_op(struct sio_rpc_request *req, void *params,
			int (*op)(const char *name, sio_done_cb cb, void *cb_arg))
{
	struct name_params *p = params;
	struct rpc_wait *w = rpc_wait_new(req, false);

	if (w != NULL)
		rpc_started(w, op(p->name, rpc_done, w));
}

static void rpc_delete(struct sio_rpc_request *req, void *params)
{
	rpc_name_op(req, params, sio_lvol_delete);
}

static void rpc_inflate(struct sio_rpc_request *req, void *params)
{
	rpc_name_op(req, params, sio_lvol_inflate);
}

static void rpc_decouple(struct sio_rpc_request *req, void *params)
{
	rpc_name_op(req, params, sio_lvol_decouple_parent);
}

static void rpc_set_read_only(struct sio_rpc_request *req, void *params)
{
	rpc_name_op(req, params, sio_lvol_set_read_only);
}

struct resize_params {
	const char *name;
	uint64_t size_in_mib;
};

static const struct sio_rpc_param resize_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct resize_params, name),
	SIO_RPC_PARAM("size_in_mib", SIO_RPC_UINT64, true, struct resize_params, size_in_mib),
};

static void rpc_resize(struct sio_rpc_request *req, void *params)
{
	struct resize_params *p = params;
	struct rpc_wait *w;

	if (p->size_in_mib > (UINT64_MAX >> 20)) {
		sio_rpc_request_fail_errno(req, -EINVAL);
		return;
	}
	w = rpc_wait_new(req, false);
	if (w != NULL)
		rpc_started(w, sio_lvol_resize(p->name, p->size_in_mib << 20, rpc_done, w));
}

struct snapshot_params {
	const char *lvol_name;
	const char *snapshot_name;
};

static const struct sio_rpc_param snapshot_params[] = {
	SIO_RPC_PARAM("lvol_name", SIO_RPC_STRING, true, struct snapshot_params, lvol_name),
	SIO_RPC_PARAM("snapshot_name", SIO_RPC_STRING, true, struct snapshot_params,
		      snapshot_name),
};

static void rpc_snapshot(struct sio_rpc_request *req, void *params)
{
	struct snapshot_params *p = params;
	struct rpc_wait *w = rpc_wait_new(req, true);

	if (w != NULL)
		rpc_started(w, sio_lvol_snapshot(p->lvol_name, p->snapshot_name, w->uuid, rpc_done,
						 w));
}

struct clone_params {
	const char *snapshot_name;
	const char *clone_name;
};

static const struct sio_rpc_param clone_params[] = {
	SIO_RPC_PARAM("snapshot_name", SIO_RPC_STRING, true, struct clone_params, snapshot_name),
	SIO_RPC_PARAM("clone_name", SIO_RPC_STRING, true, struct clone_params, clone_name),
};

static void rpc_clone(struct sio_rpc_request *req, void *params)
{
	struct clone_params *p = params;
	struct rpc_wait *w = rpc_wait_new(req, true);

	if (w != NULL)
		rpc_started(w, sio_lvol_clone(p->snapshot_name, p->clone_name, w->uuid, rpc_done, w));
}

struct get_lvols_params {
	const char *lvs_uuid;
	const char *lvs_name;
};

static const struct sio_rpc_param get_lvols_params[] = {
	SIO_RPC_PARAM("lvs_uuid", SIO_RPC_STRING, false, struct get_lvols_params, lvs_uuid),
	SIO_RPC_PARAM("lvs_name", SIO_RPC_STRING, false, struct get_lvols_params, lvs_name),
};

static void rpc_get_lvols(struct sio_rpc_request *req, void *params)
{
	struct get_lvols_params *p = params;
	json_t *arr;
	struct lvs *l;

	if (!lvs_filter_ok(req, "lvs_uuid", p->lvs_uuid, p->lvs_name))
		return;
	arr = json_array();
	TAILQ_FOREACH(l, &g_lvstores, link) {
		struct lvol *lv;

		if (!lvs_filter_match(l, p->lvs_uuid, p->lvs_name))
			continue;
		TAILQ_FOREACH(lv, &l->lvols, link)
			json_array_append_new(arr, lvol_info_json(lv));
	}
	sio_rpc_request_complete(req, arr);
}

#define M(n, h, p, s)                                                                  \
	{.name = (n), .handler = (h), .params = (p), .param_count = SIO_RPC_COUNT(p),   \
	 .params_size = sizeof(struct s), .state_mask = SIO_RPC_RUNTIME}

static const struct sio_rpc_method lvol_methods[] = {
	M("bdev_lvol_create_lvstore", rpc_create_lvstore, create_lvs_params, create_lvs_params),
	M("bdev_lvol_delete_lvstore", rpc_delete_lvstore, lvs_sel_params, lvs_sel_params),
	M("bdev_lvol_get_lvstores", rpc_get_lvstores, lvs_sel_params, lvs_sel_params),
	M("bdev_lvol_rename_lvstore", rpc_rename_lvstore, rename_params, rename_params),
	M("bdev_lvol_grow_lvstore", rpc_grow_lvstore, lvs_sel_params, lvs_sel_params),
	M("bdev_lvol_create", rpc_create, create_params, create_params),
	M("bdev_lvol_delete", rpc_delete, name_params, name_params),
	M("bdev_lvol_resize", rpc_resize, resize_params, resize_params),
	M("bdev_lvol_snapshot", rpc_snapshot, snapshot_params, snapshot_params),
	M("bdev_lvol_clone", rpc_clone, clone_params, clone_params),
	M("bdev_lvol_inflate", rpc_inflate, name_params, name_params),
	M("bdev_lvol_decouple_parent", rpc_decouple, name_params, name_params),
	M("bdev_lvol_rename", rpc_rename, rename_params, rename_params),
	M("bdev_lvol_set_read_only", rpc_set_read_only, name_params, name_params),
	M("bdev_lvol_get_lvols", rpc_get_lvols, get_lvols_params, get_lvols_params),
};

const struct sio_rpc_method_table sio_rpc_table_bdev_lvol = {
	lvol_methods, SIO_RPC_COUNT(lvol_methods)};
