/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPC methods of bdev latency histograms, with SPDK's names and parameters:
 * bdev_enable_histogram, bdev_get_histogram (SPDK's reply: base64 of the
 * little-endian uint64 bucket array, granularity, min_range, max_range,
 * tsc_rate, which SPDK's scripts/histogram.py prints) and
 * bdev_get_histogram_borders (the buckets summed between given borders).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/bdev_internal.h"
#include "spdk_io/env.h"
#include "spdk_io/rpc.h"

struct enable_params {
	const char *name;
	bool enable;
	const char *opc;
	uint8_t granularity;
	uint64_t min_nsec;
	uint64_t max_nsec;
};

static void enable_params_init(void *p)
{
	struct enable_params *e = p;

	e->granularity = SIO_BDEV_HISTOGRAM_GRANULARITY_DEFAULT;
	e->max_nsec = UINT64_MAX;
}

static const struct sio_rpc_param enable_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct enable_params, name),
	SIO_RPC_PARAM("enable", SIO_RPC_BOOL, true, struct enable_params, enable),
	SIO_RPC_PARAM("opc", SIO_RPC_STRING, false, struct enable_params, opc),
	SIO_RPC_PARAM("granularity", SIO_RPC_UINT8, false, struct enable_params, granularity),
	SIO_RPC_PARAM("min_nsec", SIO_RPC_UINT64, false, struct enable_params, min_nsec),
	SIO_RPC_PARAM("max_nsec", SIO_RPC_UINT64, false, struct enable_params, max_nsec),
};

static void rpc_status_done(void *arg, int status)
{
	struct sio_rpc_request *req = arg;

	if (status != 0)
		sio_rpc_request_fail_errno(req, status);
	else
		sio_rpc_request_complete(req, NULL);
}

static void rpc_bdev_enable_histogram(struct sio_rpc_request *req, void *params)
{
	struct enable_params *p = params;
	struct sio_bdev_histogram_opts o;
	struct sio_bdev *bdev = sio_bdev_get_by_name(p->name);
	int rc;

	if (bdev == NULL) {
		sio_rpc_request_fail_errno(req, -ENODEV);
		return;
	}
	sio_bdev_histogram_opts_init(&o, sizeof(o));
	if (p->opc != NULL) {
		o.io_type = SIO_BDEV_IO_TYPE_INVALID;
		for (int t = SIO_BDEV_IO_TYPE_READ; t < SIO_BDEV_IO_TYPE_COUNT; t++)
			if (strcmp(sio_bdev_io_type_name((enum sio_bdev_io_type)t), p->opc) == 0)
				o.io_type = (enum sio_bdev_io_type)t;
		if (o.io_type == SIO_BDEV_IO_TYPE_INVALID) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "bdev_enable_histogram: unknown opc '%s'", p->opc);
			return;
		}
	}
	o.granularity = (uint8_t)p->granularity;
	o.min_nsec = p->min_nsec;
	o.max_nsec = p->max_nsec;
	if (p->enable && (o.granularity < 1 || o.granularity > SIO_BDEV_HISTOGRAM_GRANULARITY_MAX)) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "bdev_enable_histogram: granularity must be 1..%d",
				      SIO_BDEV_HISTOGRAM_GRANULARITY_MAX);
		return;
	}
	if (p->enable && o.min_nsec >= o.max_nsec) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "bdev_enable_histogram: min_nsec must be below max_nsec");
		return;
	}
	if (!p->enable)
		sio_bdev_histogram_opts_init(&o, sizeof(o)); /* disabling ignores the shape */
	rc = sio_bdev_histogram_enable(bdev, p->enable, &o, rpc_status_done, req);
	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

struct get_params {
	const char *name;
	json_t *borders;
};

static const struct sio_rpc_param get_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct get_params, name),
};

static const struct sio_rpc_param borders_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct get_params, name),
	{.name = "borders", .type = SIO_RPC_ARRAY, .required = true,
	 .offset = offsetof(struct get_params, borders), .class_name = "bdev_histogram_borders"},
};

/* A read in flight for an RPC; borders (ns, ascending) only for _borders. */
struct rpc_hist_read {
	struct sio_rpc_request *req;
	struct sio_bdev_histogram *h;
	size_t nborders;
	uint64_t borders[];
};

static void rpc_hist_reply(void *arg, int status)
{
	struct rpc_hist_read *r = arg;
	struct sio_bdev_histogram *h = r->h;
	uint64_t *le;
	size_t b64_size;
	char *b64;

	if (status != 0) {
		sio_rpc_request_fail_errno(r->req, status);
		goto out;
	}
	/* SPDK sends the raw uint64_t array: little-endian on its platforms. */
	le = malloc(h->num_buckets * sizeof(*le));
	if (le == NULL) {
		sio_rpc_request_fail_errno(r->req, -ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < h->num_buckets; i++)
		le[i] = htole64(h->buckets[i]);
	b64_size = sio_base64_encoded_len(h->num_buckets * sizeof(*le)) + 1;
	b64 = malloc(b64_size);
	if (b64 == NULL) {
		free(le);
		sio_rpc_request_fail_errno(r->req, -ENOMEM);
		goto out;
	}
	sio_base64_encode(b64, b64_size, le, h->num_buckets * sizeof(*le));
	free(le);
	sio_rpc_request_complete(r->req, json_pack("{s:s, s:I, s:I, s:I, s:I}", "histogram", b64,
						   "granularity", (json_int_t)h->granularity,
						   "min_range", (json_int_t)h->min_range,
						   "max_range", (json_int_t)h->max_range,
						   "tsc_rate", (json_int_t)h->tsc_rate));
	free(b64);
out:
	sio_bdev_histogram_free(h);
	free(r);
}

static void rpc_borders_reply(void *arg, int status)
{
	struct rpc_hist_read *r = arg;
	struct sio_bdev_histogram *h = r->h;
	json_t *counts, *borders;
	uint64_t *c;
	uint64_t start = 0;

	if (status != 0) {
		sio_rpc_request_fail_errno(r->req, status);
		goto out;
	}
	c = calloc(r->nborders + 1, sizeof(*c));
	counts = json_array();
	borders = json_array();
	if (c == NULL || counts == NULL || borders == NULL) {
		free(c);
		json_decref(counts);
		json_decref(borders);
		sio_rpc_request_fail_errno(r->req, -ENOMEM);
		goto out;
	}
	/* A bucket counts in the interval holding its lower bound. */
	for (size_t i = 0; i < h->num_buckets; i++) {
		uint64_t start_ns = sio_ticks_to_ns(start);
		size_t k = 0;

		while (k < r->nborders && start_ns >= r->borders[k])
			k++;
		c[k] += h->buckets[i];
		start = sio_bdev_histogram_bucket_end(h, i);
	}
	for (size_t k = 0; k < r->nborders; k++)
		json_array_append_new(borders, json_integer((json_int_t)r->borders[k]));
	for (size_t k = 0; k <= r->nborders; k++)
		json_array_append_new(counts, json_integer((json_int_t)c[k]));
	free(c);
	sio_rpc_request_complete(r->req, json_pack("{s:o, s:o, s:I, s:I, s:I}", "borders", borders,
						   "counts", counts, "granularity",
						   (json_int_t)h->granularity, "total",
						   (json_int_t)h->count, "tsc_rate",
						   (json_int_t)h->tsc_rate));
out:
	sio_bdev_histogram_free(h);
	free(r);
}

static void rpc_hist_start(struct sio_rpc_request *req, const char *name, json_t *borders)
{
	size_t n = borders != NULL ? json_array_size(borders) : 0;
	struct sio_bdev *bdev = sio_bdev_get_by_name(name);
	struct rpc_hist_read *r;
	int rc;

	if (bdev == NULL) {
		sio_rpc_request_fail_errno(req, -ENODEV);
		return;
	}
	if (borders != NULL && (n == 0 || n > 256)) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "bdev_get_histogram_borders: borders must hold 1 to 256 values");
		return;
	}
	r = calloc(1, sizeof(*r) + n * sizeof(r->borders[0]));
	if (r == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return;
	}
	r->req = req;
	r->nborders = n;
	for (size_t k = 0; k < n; k++) {
		json_t *v = json_array_get(borders, k);

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (k > 0 && (uint64_t)json_integer_value(v) <= r->borders[k - 1])) {
			free(r);
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "bdev_get_histogram_borders: borders must be "
					      "ascending non-negative integers (ns)");
			return;
		}
		r->borders[k] = (uint64_t)json_integer_value(v);
	}
	rc = sio_bdev_histogram_get(bdev, &r->h, borders != NULL ? rpc_borders_reply
								  : rpc_hist_reply, r);
	if (rc != 0) {
		free(r);
		sio_rpc_request_fail_errno(req, rc);
	}
}

static void rpc_bdev_get_histogram(struct sio_rpc_request *req, void *params)
{
	struct get_params *p = params;

	rpc_hist_start(req, p->name, NULL);
}

static void rpc_bdev_get_histogram_borders(struct sio_rpc_request *req, void *params)
{
	struct get_params *p = params;

	rpc_hist_start(req, p->name, p->borders);
}

static const struct sio_rpc_method hist_methods[] = {
	{.name = "bdev_enable_histogram", .handler = rpc_bdev_enable_histogram,
	 .params = enable_params, .param_count = SIO_RPC_COUNT(enable_params),
	 .params_size = sizeof(struct enable_params), .params_init = enable_params_init,
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_get_histogram", .handler = rpc_bdev_get_histogram, .params = get_params,
	 .param_count = SIO_RPC_COUNT(get_params), .params_size = sizeof(struct get_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_get_histogram_borders", .handler = rpc_bdev_get_histogram_borders,
	 .params = borders_params, .param_count = SIO_RPC_COUNT(borders_params),
	 .params_size = sizeof(struct get_params), .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_histogram = {
	.methods = hist_methods,
	.count = SIO_RPC_COUNT(hist_methods),
};
