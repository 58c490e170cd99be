/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPC methods of the bdev core: bdev_get_bdevs, bdev_get_iostat,
 * bdev_reset_iostat, bdev_set_options (SPDK's names and parameters).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"
#include "spdk_io/rpc.h"

/* ------------------------------------------------------------------------ */
/* bdev_get_bdevs                                                           */
/* ------------------------------------------------------------------------ */

static void add_alias(const char *alias, void *ctx)
{
	json_array_append_new(ctx, json_string(alias));
}

/* SPDK's supported_io_types keys; those we have no type for are false. */
static const char *const g_spdk_io_type_keys[] = {
	"read", "write", "unmap", "flush", "reset", "compare", "compare_and_write", "abort",
	"seek_hole", "seek_data", "copy", "nvme_admin", "nvme_io", "nvme_io_md",
	"write_zeroes", "zcopy", "get_zone_info", "zone_management", "zone_append",
	"nvme_iov_md",
};

static json_t *bdev_info_json(struct sio_bdev *bdev)
{
	json_t *o = json_object(), *aliases = json_array(), *types = json_object();
	json_t *driver = json_object();

	if (o == NULL || aliases == NULL || types == NULL || driver == NULL) {
		json_decref(o);
		json_decref(aliases);
		json_decref(types);
		json_decref(driver);
		return NULL;
	}
	sio_bdev_foreach_alias(bdev, add_alias, aliases);
	for (size_t i = 0; i < sizeof(g_spdk_io_type_keys) / sizeof(g_spdk_io_type_keys[0]); i++) {
		bool on = false;

		for (int t = SIO_BDEV_IO_TYPE_READ; t < SIO_BDEV_IO_TYPE_COUNT; t++)
			if (strcmp(sio_bdev_io_type_name((enum sio_bdev_io_type)t),
				   g_spdk_io_type_keys[i]) == 0)
				on = sio_bdev_io_type_supported(bdev, (enum sio_bdev_io_type)t);
		json_object_set_new(types, g_spdk_io_type_keys[i], json_boolean(on));
	}
	if (bdev->fn_table->dump_info_json)
		bdev->fn_table->dump_info_json(bdev->ctxt, driver);
	json_object_set_new(o, "name", json_string(bdev->name));
	json_object_set_new(o, "aliases", aliases);
	json_object_set_new(o, "product_name", json_string(bdev->product_name));
	json_object_set_new(o, "block_size", json_integer(bdev->blocklen));
	json_object_set_new(o, "num_blocks", json_integer((json_int_t)sio_bdev_get_num_blocks(bdev)));
	json_object_set_new(o, "uuid", json_string(sio_bdev_get_uuid(bdev)));
	json_object_set_new(o, "claimed", json_boolean(sio_bdev_is_claimed(bdev)));
	json_object_set_new(o, "zoned", json_false());
	if (bdev->optimal_io_boundary)
		json_object_set_new(o, "optimal_io_boundary", json_integer(bdev->optimal_io_boundary));
	if (bdev->max_transfer_blocks)
		json_object_set_new(o, "max_transfer_blocks", json_integer(bdev->max_transfer_blocks));
	json_object_set_new(o, "required_alignment", json_integer(sio_bdev_get_buf_align(bdev)));
	json_object_set_new(o, "write_cache", json_boolean(bdev->write_cache));
	json_object_set_new(o, "supported_io_types", types);
	json_object_set_new(o, "driver_specific", driver);
	return o;
}

struct get_bdevs_params {
	const char *name;
	uint64_t timeout;
};

static const struct sio_rpc_param get_bdevs_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, false, struct get_bdevs_params, name),
	SIO_RPC_PARAM("timeout", SIO_RPC_UINT64, false, struct get_bdevs_params, timeout),
};

static void get_bdevs_reply(struct sio_rpc_request *req, const char *name)
{
	json_t *arr = json_array();
	struct sio_bdev *bdev;

	if (arr == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	if (name != NULL) {
		bdev = sio_bdev_get_by_name(name);
		if (bdev == NULL) {
			json_decref(arr);
			sio_rpc_request_fail_errno(req, -ENODEV);
			return;
		}
		json_array_append_new(arr, bdev_info_json(bdev));
	} else {
		for (bdev = sio_bdev_first(); bdev != NULL; bdev = sio_bdev_next(bdev))
			json_array_append_new(arr, bdev_info_json(bdev));
	}
	sio_rpc_request_complete(req, arr);
}

/* Waiting for a named bdev to appear, up to the request's timeout (ms). */
struct get_bdevs_wait {
	struct sio_rpc_request *req;
	struct sio_poller *poller;
	char *name;
	uint64_t deadline;
};

static int get_bdevs_poll(void *arg)
{
	struct get_bdevs_wait *w = arg;

	if (sio_bdev_get_by_name(w->name) == NULL && sio_get_ticks() < w->deadline)
		return SIO_POLLER_IDLE;
	sio_poller_unregister(&w->poller);
	get_bdevs_reply(w->req, w->name);
	free(w->name);
	free(w);
	return SIO_POLLER_BUSY;
}

static void rpc_bdev_get_bdevs(struct sio_rpc_request *req, void *params)
{
	struct get_bdevs_params *p = params;
	struct get_bdevs_wait *w;

	if (p->name == NULL || p->timeout == 0 || sio_bdev_get_by_name(p->name) != NULL) {
		get_bdevs_reply(req, p->name);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->name = strdup(p->name)) == NULL) {
		free(w);
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	w->req = req;
	w->deadline = sio_get_ticks() + sio_us_to_ticks(p->timeout * 1000);
	w->poller = sio_poller_register_named("bdev_get_bdevs_wait", get_bdevs_poll, w, 1000);
	if (w->poller == NULL) {
		free(w->name);
		free(w);
		get_bdevs_reply(req, p->name);
	}
}

/* ------------------------------------------------------------------------ */
/* bdev_get_iostat / bdev_reset_iostat                                      */
/* ------------------------------------------------------------------------ */

static const char *const g_reset_modes[] = {"all", "maxmin", "error", "none", NULL};

static enum sio_bdev_reset_stat_mode reset_mode_of(const char *s)
{
	if (s == NULL || strcmp(s, "none") == 0 || strcmp(s, "error") == 0)
		return SIO_BDEV_RESET_STAT_NONE;
	if (strcmp(s, "maxmin") == 0)
		return SIO_BDEV_RESET_STAT_MAXMIN;
	return SIO_BDEV_RESET_STAT_ALL;
}

static void stat_to_json(json_t *o, const struct sio_bdev_io_stat *s)
{
#define F(n) json_object_set_new(o, #n, json_integer((json_int_t)s->n))
	F(bytes_read);
	F(num_read_ops);
	F(bytes_written);
	F(num_write_ops);
	F(bytes_unmapped);
	F(num_unmap_ops);
	F(read_latency_ticks);
	F(max_read_latency_ticks);
	F(min_read_latency_ticks);
	F(write_latency_ticks);
	F(max_write_latency_ticks);
	F(min_write_latency_ticks);
	F(unmap_latency_ticks);
	F(max_unmap_latency_ticks);
	F(min_unmap_latency_ticks);
	F(num_flush_ops);
	F(num_write_zeroes_ops);
	F(bytes_write_zeroes);
	F(num_compare_ops);
	F(num_reset_ops);
	F(num_io_errors);
#undef F
	json_object_set_new(o, "bytes_copied", json_integer(0));
	json_object_set_new(o, "num_copy_ops", json_integer(0));
}

struct iostat_params {
	json_t *names;
	bool per_channel;
	const char *reset_mode;
};

static const struct sio_rpc_param iostat_params[] = {
	{.name = "names", .type = SIO_RPC_ARRAY, .required = false,
	 .offset = offsetof(struct iostat_params, names), .class_name = "bdev_iostat_names"},
	SIO_RPC_PARAM("per_channel", SIO_RPC_BOOL, false, struct iostat_params, per_channel),
	{.name = "reset_mode", .type = SIO_RPC_ENUM, .required = false,
	 .offset = offsetof(struct iostat_params, reset_mode),
	 .class_name = "bdev_reset_stat_mode", .enum_values = g_reset_modes},
};

/* Walks the chosen bdevs one by one, each over its channels. */
struct iostat_ctx {
	struct sio_rpc_request *req;
	json_t *result, *bdevs, *channels;
	char **names;
	size_t count, next;
	bool per_channel;
	enum sio_bdev_reset_stat_mode mode;
	struct sio_bdev *bdev;
	struct sio_bdev_io_stat sum;
};

static void iostat_next(struct iostat_ctx *c);

static void iostat_visit(struct sio_io_channel_iter *i)
{
	struct iostat_ctx *c = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct bdev_channel *bch = bdev_ch(ch);

	if (c->per_channel) {
		struct sio_bdev_io_stat s = bch->stat;
		json_t *o = json_object();

		bdev_stat_export(&s);
		json_object_set_new(o, "thread_id",
				    json_integer((json_int_t)sio_thread_get_id(
					    sio_io_channel_get_thread(ch))));
		stat_to_json(o, &s);
		json_array_append_new(c->channels, o);
	} else {
		bdev_stat_add(&c->sum, &bch->stat);
	}
	bdev_stat_reset(&bch->stat, c->mode);
	sio_for_each_channel_continue(i, 0);
}

static void iostat_bdev_done(struct sio_io_channel_iter *i, int status)
{
	struct iostat_ctx *c = sio_io_channel_iter_get_ctx(i);
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(c->bdev->name));
	if (c->per_channel) {
		json_object_set_new(o, "channels", c->channels);
		c->channels = NULL;
	} else {
		pthread_mutex_lock(&g_bdev_mutex);
		bdev_stat_add(&c->sum, &c->bdev->internal->retired_stat);
		pthread_mutex_unlock(&g_bdev_mutex);
		bdev_stat_export(&c->sum);
		stat_to_json(o, &c->sum);
	}
	pthread_mutex_lock(&g_bdev_mutex);
	bdev_stat_reset(&c->bdev->internal->retired_stat, c->mode);
	pthread_mutex_unlock(&g_bdev_mutex);
	json_array_append_new(c->bdevs, o);
	iostat_next(c);
}

static void iostat_finish(struct iostat_ctx *c, int rc)
{
	if (rc == 0)
		sio_rpc_request_complete(c->req, c->result);
	else {
		json_decref(c->result);
		sio_rpc_request_fail_errno(c->req, rc);
	}
	for (size_t i = 0; i < c->count; i++)
		free(c->names[i]);
	free(c->names);
	json_decref(c->channels);
	free(c);
}

static void iostat_next(struct iostat_ctx *c)
{
	while (c->next < c->count) {
		struct sio_bdev *bdev = sio_bdev_get_by_name(c->names[c->next++]);
		int rc;

		if (bdev == NULL)
			continue; /* removed meanwhile */
		c->bdev = bdev;
		bdev_stat_init(&c->sum);
		if (c->per_channel) {
			json_decref(c->channels);
			c->channels = json_array();
		}
		rc = sio_for_each_channel(bdev, iostat_visit, c, iostat_bdev_done);
		if (rc == 0)
			return;
	}
	iostat_finish(c, 0);
}

static void rpc_bdev_get_iostat(struct sio_rpc_request *req, void *params)
{
	struct iostat_params *p = params;
	struct iostat_ctx *c = calloc(1, sizeof(*c));
	struct sio_bdev *bdev;
	size_t n = 0;

	if (c == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	c->req = req;
	c->per_channel = p->per_channel;
	c->mode = reset_mode_of(p->reset_mode);
	if (p->names != NULL && json_array_size(p->names) > 0) {
		n = json_array_size(p->names);
		c->names = calloc(n, sizeof(char *));
		for (size_t i = 0; c->names && i < n; i++) {
			const char *s = json_string_value(json_array_get(p->names, i));

			if (s == NULL || sio_bdev_get_by_name(s) == NULL) {
				c->count = i;
				sio_rpc_request_error(req, -ENODEV, "bdev_get_iostat: no bdev named '%s'",
						      s ? s : "(not a string)");
				c->req = NULL;
				break;
			}
			c->names[i] = strdup(s);
		}
		if (c->req == NULL) {
			for (size_t i = 0; i < c->count; i++)
				free(c->names[i]);
			free(c->names);
			free(c);
			return;
		}
	} else {
		for (bdev = sio_bdev_first(); bdev != NULL; bdev = sio_bdev_next(bdev))
			n++;
		c->names = calloc(n ? n : 1, sizeof(char *));
		n = 0;
		for (bdev = sio_bdev_first(); c->names && bdev != NULL; bdev = sio_bdev_next(bdev))
			c->names[n++] = strdup(bdev->name);
	}
	c->count = n;
	c->result = json_pack("{s:I, s:I, s:[]}", "tick_rate", (json_int_t)sio_get_ticks_hz(),
			      "ticks", (json_int_t)sio_get_ticks(), "bdevs");
	if (c->names == NULL || c->result == NULL) {
		iostat_finish(c, -ENOMEM);
		return;
	}
	c->bdevs = json_object_get(c->result, "bdevs");
	iostat_next(c);
}

struct reset_iostat_params {
	const char *name;
	const char *mode;
};

static const struct sio_rpc_param reset_iostat_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, false, struct reset_iostat_params, name),
	{.name = "mode", .type = SIO_RPC_ENUM, .required = false,
	 .offset = offsetof(struct reset_iostat_params, mode),
	 .class_name = "bdev_reset_stat_mode", .enum_values = g_reset_modes},
};

struct reset_ctx {
	struct sio_rpc_request *req;
	enum sio_bdev_reset_stat_mode mode;
	struct sio_bdev *last;
};

static void reset_next(void *arg, int rc)
{
	struct reset_ctx *c = arg;
	struct sio_bdev *bdev = c->last ? sio_bdev_next(c->last) : sio_bdev_first();

	(void)rc;
	while (bdev != NULL) {
		c->last = bdev;
		if (sio_bdev_reset_io_stat(bdev, c->mode, reset_next, c) == 0)
			return;
		bdev = sio_bdev_next(bdev);
	}
	sio_rpc_request_complete(c->req, NULL);
	free(c);
}

static void reset_one_done(void *arg, int rc)
{
	struct reset_ctx *c = arg;

	if (rc == 0)
		sio_rpc_request_complete(c->req, NULL);
	else
		sio_rpc_request_fail_errno(c->req, rc);
	free(c);
}

static void rpc_bdev_reset_iostat(struct sio_rpc_request *req, void *params)
{
	struct reset_iostat_params *p = params;
	struct reset_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	c->req = req;
	c->mode = p->mode ? reset_mode_of(p->mode) : SIO_BDEV_RESET_STAT_ALL;
	if (p->name == NULL) {
		reset_next(c, 0);
		return;
	}
	rc = sio_bdev_reset_io_stat(sio_bdev_get_by_name(p->name), c->mode, reset_one_done, c);
	if (rc != 0) {
		free(c);
		sio_rpc_request_fail_errno(req, rc == -EINVAL ? -ENODEV : rc);
	}
}

/* ------------------------------------------------------------------------ */
/* bdev_set_options                                                         */
/* ------------------------------------------------------------------------ */

struct set_options_params {
	uint32_t bdev_io_pool_size;
	uint32_t bdev_io_cache_size;
	bool bdev_auto_examine;
	uint32_t iobuf_small_cache_size;
	uint32_t iobuf_large_cache_size;
};

static const struct sio_rpc_param set_options_params[] = {
	SIO_RPC_PARAM("bdev_io_pool_size", SIO_RPC_UINT32, false, struct set_options_params,
		      bdev_io_pool_size),
	SIO_RPC_PARAM("bdev_io_cache_size", SIO_RPC_UINT32, false, struct set_options_params,
		      bdev_io_cache_size),
	SIO_RPC_PARAM("bdev_auto_examine", SIO_RPC_BOOL, false, struct set_options_params,
		      bdev_auto_examine),
	SIO_RPC_PARAM("iobuf_small_cache_size", SIO_RPC_UINT32, false, struct set_options_params,
		      iobuf_small_cache_size),
	SIO_RPC_PARAM("iobuf_large_cache_size", SIO_RPC_UINT32, false, struct set_options_params,
		      iobuf_large_cache_size),
};

/*
 * Only bdev_io_cache_size means something here (bdev_io objects per channel;
 * there is no global pool): the others are accepted so SPDK configs load.
 */
static void rpc_bdev_set_options(struct sio_rpc_request *req, void *params)
{
	struct set_options_params *p = params;
	struct sio_bdev_opts opts;
	int rc;

	sio_bdev_get_opts(&opts, sizeof(opts));
	if (p->bdev_io_cache_size != 0)
		opts.bdev_io_cache_size = p->bdev_io_cache_size;
	rc = sio_bdev_set_opts(&opts);
	if (rc != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "bdev_set_options: bdev_io_cache_size must be at least 16");
		return;
	}
	sio_rpc_request_complete(req, NULL);
}

static void wait_for_examine_done(void *arg, int rc)
{
	struct sio_rpc_request *req = arg;

	if (rc != 0)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INTERNAL_ERROR, strerror(-rc));
	else
		sio_rpc_request_complete(req, NULL);
}

/*
 * Answers once every module's examine of every registered bdev is done (the
 * lvol module's probe reads, for one), so a config line after it sees the
 * bdevs as examine left them; SPDK's saved configs end with this call.
 */
static void rpc_bdev_wait_for_examine(struct sio_rpc_request *req, void *params)
{
	int rc;

	(void)params;
	rc = sio_bdev_wait_for_examine(wait_for_examine_done, req);
	if (rc != 0)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INTERNAL_ERROR, strerror(-rc));
}

static const struct sio_rpc_method bdev_methods[] = {
	{.name = "bdev_wait_for_examine", .handler = rpc_bdev_wait_for_examine,
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_get_bdevs", .handler = rpc_bdev_get_bdevs, .params = get_bdevs_params,
	 .param_count = SIO_RPC_COUNT(get_bdevs_params),
	 .params_size = sizeof(struct get_bdevs_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_get_iostat", .handler = rpc_bdev_get_iostat, .params = iostat_params,
	 .param_count = SIO_RPC_COUNT(iostat_params), .params_size = sizeof(struct iostat_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_reset_iostat", .handler = rpc_bdev_reset_iostat,
	 .params = reset_iostat_params, .param_count = SIO_RPC_COUNT(reset_iostat_params),
	 .params_size = sizeof(struct reset_iostat_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_set_options", .handler = rpc_bdev_set_options,
	 .params = set_options_params, .param_count = SIO_RPC_COUNT(set_options_params),
	 .params_size = sizeof(struct set_options_params),
	 .state_mask = SIO_RPC_STARTUP | SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev = {bdev_methods, SIO_RPC_COUNT(bdev_methods)};
