/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK's nvmf_* RPC methods and the "nvmf" subsystem (save_config replays
 * them). Names, params and result fields follow SPDK's schema
 * (tests/app/data/rpc-schema.json). The default target ("nvmf_tgt") is
 * created on the first method that needs it, so an app that never speaks
 * NVMe-oF carries no poll group threads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nvme/auth/dhchap.h"
#include "nvmf/nvmf_auth.h"
#include "nvmf/nvmf_ctrlr.h"
#include "nvmf/nvmf_internal.h"
#include "spdk_io/app.h"
#include "spdk_io/env.h"
#include "spdk_io/keyring.h"
#include "spdk_io/metrics.h"
#include "spdk_io/rpc.h"

/* Settings applied when the default target is created (nvmf_set_* at startup). */
static uint32_t g_max_subsystems = 1024;
static json_t *g_nvmf_config; /* nvmf_set_config params as given, for save_config */

static int rpc_tgt(const char *name, struct sio_nvmf_tgt **out)
{
	struct sio_nvmf_tgt_opts o;
	struct sio_nvmf_tgt *tgt = sio_nvmf_get_tgt(name);

	if (tgt != NULL) {
		*out = tgt;
		return 0;
	}
	if (name != NULL && strcmp(name, SIO_NVMF_DEFAULT_TGT_NAME) != 0)
		return -ENODEV;
	sio_nvmf_tgt_opts_init(&o, sizeof(o));
	o.max_subsystems = g_max_subsystems;
	return sio_nvmf_tgt_create(&o, out);
}

/*
 * The target a method names (rpc_tgt()), or NULL after failing @req with the
 * errno: the start of every method that works on a target as a whole.
 */
static struct sio_nvmf_tgt *rpc_req_tgt(struct sio_rpc_request *req, const char *name)
{
	struct sio_nvmf_tgt *tgt;
	int rc = rpc_tgt(name, &tgt);

	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return NULL;
	}
	return tgt;
}

static struct sio_nvmf_subsystem *rpc_ss(struct sio_rpc_request *req, const char *tgt_name,
					 const char *nqn)
{
	struct sio_nvmf_tgt *tgt;
	struct sio_nvmf_subsystem *ss;
	int rc = rpc_tgt(tgt_name, &tgt);

	if (rc != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "Unable to find target %s",
				      tgt_name ? tgt_name : SIO_NVMF_DEFAULT_TGT_NAME);
		return NULL;
	}
	ss = sio_nvmf_subsystem_get(tgt, nqn);
	if (ss == NULL)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Unable to find subsystem with NQN %s", nqn);
	return ss;
}

/*
 * Replies true when @rc is 0; else Invalid Params with @fmt's message (what
 * could not be done), ": " and @rc's strerror. The tail of the methods that
 * change a subsystem's listeners and hosts.
 */
static void rpc_reply_rc(struct sio_rpc_request *req, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rpc_reply_rc(struct sio_rpc_request *req, int rc, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	if (rc == 0) {
		sio_rpc_request_complete(req, json_true());
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s: %s", what, strerror(-rc));
}

static void rpc_done_true(void *arg, int rc)
{
	struct sio_rpc_request *req = arg;

	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
	else
		sio_rpc_request_complete(req, json_true());
}

/* ------------------------------------------------------------------------ */
/* Transports                                                               */
/* ------------------------------------------------------------------------ */

struct create_transport {
	const char *trtype;
	const char *tgt_name;
	uint16_t max_queue_depth;
	uint16_t max_io_qpairs_per_ctrlr;
	uint32_t in_capsule_data_size;
	uint32_t max_io_size;
	uint32_t io_unit_size;
	uint32_t max_aq_depth;
	uint32_t num_shared_buffers;
	uint32_t buf_cache_size;
	uint32_t iobuf_small_cache_size;
	uint32_t iobuf_large_cache_size;
	bool zcopy;
	int32_t num_cqe;
	uint32_t max_srq_depth;
	bool no_srq;
	bool c2h_success;
	bool dif_insert_or_strip;
	uint32_t sock_priority;
	int32_t acceptor_backlog;
	uint32_t abort_timeout_sec;
	bool no_wr_batching;
	uint16_t control_msg_num;
	bool disable_mappable_bar0;
	bool disable_adaptive_irq;
	bool disable_shadow_doorbells;
	uint32_t acceptor_poll_rate;
	uint32_t ack_timeout;
	uint32_t data_wr_pool_size;
	bool disable_command_passthru;
	uint16_t kas;
	uint32_t min_kato;
	json_t *masked_oncs;
	json_t *masked_fuses;
	/* which optional ones were given */
	const json_t *raw;
};

#define CT(n, t) SIO_RPC_PARAM(#n, t, false, struct create_transport, n)
static const struct sio_rpc_param create_transport_params[] = {
	SIO_RPC_PARAM("trtype", SIO_RPC_STRING, true, struct create_transport, trtype),
	CT(tgt_name, SIO_RPC_STRING),
	CT(max_queue_depth, SIO_RPC_UINT16),
	CT(max_io_qpairs_per_ctrlr, SIO_RPC_UINT16),
	CT(in_capsule_data_size, SIO_RPC_UINT32),
	CT(max_io_size, SIO_RPC_UINT32),
	CT(io_unit_size, SIO_RPC_UINT32),
	CT(max_aq_depth, SIO_RPC_UINT32),
	CT(num_shared_buffers, SIO_RPC_UINT32),
	CT(buf_cache_size, SIO_RPC_UINT32),
	CT(iobuf_small_cache_size, SIO_RPC_UINT32),
	CT(iobuf_large_cache_size, SIO_RPC_UINT32),
	CT(zcopy, SIO_RPC_BOOL),
	CT(num_cqe, SIO_RPC_INT32),
	CT(max_srq_depth, SIO_RPC_UINT32),
	CT(no_srq, SIO_RPC_BOOL),
	CT(c2h_success, SIO_RPC_BOOL),
	CT(dif_insert_or_strip, SIO_RPC_BOOL),
	CT(sock_priority, SIO_RPC_UINT32),
	CT(acceptor_backlog, SIO_RPC_INT32),
	CT(abort_timeout_sec, SIO_RPC_UINT32),
	CT(no_wr_batching, SIO_RPC_BOOL),
	CT(control_msg_num, SIO_RPC_UINT16),
	CT(disable_mappable_bar0, SIO_RPC_BOOL),
	CT(disable_adaptive_irq, SIO_RPC_BOOL),
	CT(disable_shadow_doorbells, SIO_RPC_BOOL),
	CT(acceptor_poll_rate, SIO_RPC_UINT32),
	CT(ack_timeout, SIO_RPC_UINT32),
	CT(data_wr_pool_size, SIO_RPC_UINT32),
	CT(disable_command_passthru, SIO_RPC_BOOL),
	CT(kas, SIO_RPC_UINT16),
	CT(min_kato, SIO_RPC_UINT32),
	{.name = "masked_oncs", .type = SIO_RPC_ARRAY, .required = false,
	 .offset = offsetof(struct create_transport, masked_oncs), .class_name = "oncs_features"},
	{.name = "masked_fuses", .type = SIO_RPC_ARRAY, .required = false,
	 .offset = offsetof(struct create_transport, masked_fuses), .class_name = "fuses_features"},
};
#undef CT

static void rpc_nvmf_create_transport(struct sio_rpc_request *req, void *params)
{
	struct create_transport *p = params;
	const json_t *raw = sio_rpc_request_params_json(req);
	struct sio_nvmf_transport_opts o;
	struct sio_nvmf_tgt *tgt;
	int rc;

	rc = sio_nvmf_transport_opts_init(p->trtype, &o, sizeof(o));
	if (rc != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Transport type '%s' unavailable", p->trtype);
		return;
	}
#define GIVEN(n) (json_object_get(raw, #n) != NULL)
	if (GIVEN(max_queue_depth))
		o.max_queue_depth = p->max_queue_depth;
	if (GIVEN(max_io_qpairs_per_ctrlr))
		o.max_qpairs_per_ctrlr = (uint16_t)(p->max_io_qpairs_per_ctrlr + 1);
	if (GIVEN(in_capsule_data_size))
		o.in_capsule_data_size = p->in_capsule_data_size;
	if (GIVEN(max_io_size))
		o.max_io_size = p->max_io_size;
	if (GIVEN(io_unit_size))
		o.io_unit_size = p->io_unit_size;
	if (GIVEN(max_aq_depth))
		o.max_aq_depth = p->max_aq_depth;
	if (GIVEN(num_shared_buffers))
		o.num_shared_buffers = p->num_shared_buffers;
	if (GIVEN(buf_cache_size))
		o.buf_cache_size = p->buf_cache_size;
	if (GIVEN(c2h_success))
		o.c2h_success = p->c2h_success;
	if (GIVEN(sock_priority))
		o.sock_priority = p->sock_priority;
	if (GIVEN(acceptor_backlog))
		o.acceptor_backlog = p->acceptor_backlog;
	if (GIVEN(abort_timeout_sec))
		o.abort_timeout_sec = p->abort_timeout_sec;
	if (GIVEN(kas))
		o.kas = p->kas;
	if (GIVEN(min_kato))
		o.min_kato = p->min_kato;
	if (GIVEN(zcopy))
		o.zcopy = p->zcopy;
	if (GIVEN(dif_insert_or_strip))
		o.dif_insert_or_strip = p->dif_insert_or_strip;
	if (GIVEN(control_msg_num))
		o.control_msg_num = p->control_msg_num;
	if (GIVEN(acceptor_poll_rate))
		o.acceptor_poll_rate = p->acceptor_poll_rate;
#undef GIVEN
	rc = rpc_tgt(p->tgt_name, &tgt);
	if (rc == 0)
		rc = sio_nvmf_tgt_add_transport(tgt, p->trtype, &o, NULL);
	if (rc == -EEXIST) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Transport type '%s' already exists", p->trtype);
		return;
	}
	rpc_done_true(req, rc);
}

static json_t *transport_json(const struct sio_nvmf_transport *t)
{
	const struct sio_nvmf_transport_opts *o = &t->opts;

	return json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:I,s:b,s:b,s:b,s:i,s:i,s:i,s:i,s:I}",
			 "trtype", t->ops->name,
			 "max_queue_depth", (int)o->max_queue_depth,
			 "max_io_qpairs_per_ctrlr", (int)o->max_qpairs_per_ctrlr - 1,
			 "in_capsule_data_size", (int)o->in_capsule_data_size,
			 "max_io_size", (int)o->max_io_size,
			 "io_unit_size", (int)o->io_unit_size,
			 "max_aq_depth", (int)o->max_aq_depth,
			 "num_shared_buffers", (int)o->num_shared_buffers,
			 "buf_cache_size", (json_int_t)o->buf_cache_size,
			 "dif_insert_or_strip", o->dif_insert_or_strip,
			 "zcopy", o->zcopy,
			 "c2h_success", o->c2h_success,
			 "sock_priority", (int)o->sock_priority,
			 "abort_timeout_sec", (int)o->abort_timeout_sec,
			 "kas", (int)o->kas,
			 "acceptor_backlog", (int)o->acceptor_backlog,
			 "min_kato", (json_int_t)o->min_kato);
}

struct get_transports {
	const char *tgt_name;
	const char *trtype;
};

static const struct sio_rpc_param get_transports_params[] = {
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct get_transports, tgt_name),
	SIO_RPC_PARAM("trtype", SIO_RPC_STRING, false, struct get_transports, trtype),
};

static void rpc_nvmf_get_transports(struct sio_rpc_request *req, void *params)
{
	struct get_transports *p = params;
	struct sio_nvmf_tgt *tgt = rpc_req_tgt(req, p->tgt_name);
	json_t *arr;

	if (tgt == NULL)
		return;
	if (p->trtype != NULL && sio_nvmf_tgt_get_transport(tgt, p->trtype) == NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Unable to find transport %s", p->trtype);
		return;
	}
	arr = json_array();
	for (uint32_t i = 0; i < NVMF_MAX_TRANSPORTS; i++) {
		struct sio_nvmf_transport *t = tgt->transports[i];

		if (t != NULL && (p->trtype == NULL || strcasecmp(p->trtype, t->ops->name) == 0))
			json_array_append_new(arr, transport_json(t));
	}
	sio_rpc_request_complete(req, arr);
}

/* ------------------------------------------------------------------------ */
/* Subsystems                                                               */
/* ------------------------------------------------------------------------ */

struct create_subsystem {
	const char *nqn;
	const char *tgt_name;
	const char *serial_number;
	const char *model_number;
	uint32_t max_namespaces;
	bool allow_any_host;
	bool ana_reporting;
	uint16_t min_cntlid;
	uint16_t max_cntlid;
	uint64_t max_discard_size_kib;
	uint64_t max_write_zeroes_size_kib;
	uint32_t dmrsl;
	uint8_t wzsl;
	bool passthrough;
	bool enable_nssr;
};

#define CS(n, t) SIO_RPC_PARAM(#n, t, false, struct create_subsystem, n)
static const struct sio_rpc_param create_subsystem_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct create_subsystem, nqn),
	CS(tgt_name, SIO_RPC_STRING),
	CS(serial_number, SIO_RPC_STRING),
	CS(model_number, SIO_RPC_STRING),
	CS(max_namespaces, SIO_RPC_UINT32),
	CS(allow_any_host, SIO_RPC_BOOL),
	CS(ana_reporting, SIO_RPC_BOOL),
	CS(min_cntlid, SIO_RPC_UINT16),
	CS(max_cntlid, SIO_RPC_UINT16),
	CS(max_discard_size_kib, SIO_RPC_UINT64),
	CS(max_write_zeroes_size_kib, SIO_RPC_UINT64),
	CS(dmrsl, SIO_RPC_UINT32),
	CS(wzsl, SIO_RPC_UINT8),
	CS(passthrough, SIO_RPC_BOOL),
	CS(enable_nssr, SIO_RPC_BOOL),
};
#undef CS

static void create_subsystem_init(void *params)
{
	struct create_subsystem *p = params;

	p->min_cntlid = 1;
	p->max_cntlid = NVMF_MAX_CNTLID;
}

static void rpc_nvmf_create_subsystem(struct sio_rpc_request *req, void *params)
{
	struct create_subsystem *p = params;
	struct sio_nvmf_subsystem_opts o;
	struct sio_nvmf_subsystem *ss;
	struct sio_nvmf_tgt *tgt = rpc_req_tgt(req, p->tgt_name);
	int rc;

	if (tgt == NULL)
		return;
	sio_nvmf_subsystem_opts_init(&o, sizeof(o));
	if (p->serial_number != NULL)
		o.serial_number = p->serial_number;
	if (p->model_number != NULL)
		o.model_number = p->model_number;
	o.max_namespaces = p->max_namespaces;
	o.allow_any_host = p->allow_any_host;
	o.ana_reporting = p->ana_reporting;
	o.min_cntlid = p->min_cntlid;
	o.max_cntlid = p->max_cntlid;
	rc = sio_nvmf_subsystem_create(tgt, p->nqn, &o, &ss);
	if (rc == -EEXIST) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Unable to create subsystem %s: it exists", p->nqn);
		return;
	}
	if (rc != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Unable to create subsystem %s: %s", p->nqn, strerror(-rc));
		return;
	}
	/* SPDK starts a new subsystem before answering. */
	rc = sio_nvmf_subsystem_start(ss, rpc_done_true, req);
	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

struct ss_query {
	const char *nqn;
	const char *tgt_name;
};

static const struct sio_rpc_param ss_query_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct ss_query, nqn),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct ss_query, tgt_name),
};

static void rpc_nvmf_delete_subsystem(struct sio_rpc_request *req, void *params)
{
	struct ss_query *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	int rc;

	if (ss == NULL)
		return;
	rc = sio_nvmf_subsystem_destroy(ss, rpc_done_true, req);
	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

static void fmt_uuid(char *out, size_t len, const uint8_t *u)
{
	snprintf(out, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static void fmt_hex(char *out, size_t len, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02X", b[i]);
}

static json_t *listener_json(const struct nvmf_trid *trid)
{
	char port[16];

	snprintf(port, sizeof(port), "%d", trid->port);
	return json_pack("{s:s,s:s,s:s,s:s}", "trtype", trid->trtype, "adrfam", trid->adrfam,
			 "traddr", trid->traddr, "trsvcid", port);
}

static void host_json(const char *nqn, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:s}", "nqn", nqn));
}

static json_t *subsystem_json(struct sio_nvmf_subsystem *ss)
{
	json_t *o = json_object(), *la = json_array(), *hosts = json_array();
	struct nvmf_ss_listener *l;

	TAILQ_FOREACH(l, &ss->listeners, link)
		json_array_append_new(la, listener_json(&l->tl->trid));
	nvmf_subsystem_foreach_host(ss, host_json, hosts);
	json_object_set_new(o, "nqn", json_string(ss->nqn));
	json_object_set_new(o, "subtype", json_string(ss->subtype == NVMF_SUBTYPE_DISCOVERY ?
						      "Discovery" : "NVMe"));
	json_object_set_new(o, "listen_addresses", la);
	json_object_set_new(o, "allow_any_host",
			    json_boolean(sio_nvmf_subsystem_get_allow_any_host(ss)));
	json_object_set_new(o, "hosts", hosts);
	if (ss->subtype == NVMF_SUBTYPE_NVME) {
		json_t *nss = json_array();

		json_object_set_new(o, "serial_number", json_string(ss->sn));
		json_object_set_new(o, "model_number", json_string(ss->mn));
		json_object_set_new(o, "max_namespaces", json_integer(ss->max_nsid));
		json_object_set_new(o, "min_cntlid", json_integer(ss->opts.min_cntlid));
		json_object_set_new(o, "max_cntlid", json_integer(ss->opts.max_cntlid));
		for (uint32_t i = 0; i < ss->max_nsid; i++) {
			struct sio_nvmf_ns *ns = ss->ns[i];
			char uuid[40], nguid[40] = "";

			if (ns == NULL)
				continue;
			fmt_uuid(uuid, sizeof(uuid), ns->uuid);
			fmt_hex(nguid, sizeof(nguid), ns->nguid, 16);
			json_array_append_new(nss, json_pack("{s:i,s:s,s:s,s:s,s:s}", "nsid",
							     (int)ns->nsid, "bdev_name",
							     ns->bdev_name, "name", ns->bdev_name,
							     "nguid", nguid, "uuid", uuid));
			if (ns->has_eui64) {
				char eui[20] = "";

				fmt_hex(eui, sizeof(eui), ns->eui64, 8);
				json_object_set_new(json_array_get(nss, json_array_size(nss) - 1),
						    "eui64", json_string(eui));
			}
		}
		json_object_set_new(o, "namespaces", nss);
	}
	return o;
}

/* ss_query with the nqn optional: absent, every subsystem. */
static const struct sio_rpc_param get_subsystems_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, false, struct ss_query, nqn),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct ss_query, tgt_name),
};

static void rpc_nvmf_get_subsystems(struct sio_rpc_request *req, void *params)
{
	struct ss_query *p = params;
	struct sio_nvmf_tgt *tgt = rpc_req_tgt(req, p->tgt_name);
	struct sio_nvmf_subsystem *ss;
	json_t *arr;

	if (tgt == NULL)
		return;
	if (p->nqn != NULL) {
		ss = sio_nvmf_subsystem_get(tgt, p->nqn);
		if (ss == NULL) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "Unable to find subsystem with NQN %s", p->nqn);
			return;
		}
		arr = json_array();
		json_array_append_new(arr, subsystem_json(ss));
		sio_rpc_request_complete(req, arr);
		return;
	}
	arr = json_array();
	for (ss = sio_nvmf_subsystem_first(tgt); ss != NULL; ss = sio_nvmf_subsystem_next(ss))
		json_array_append_new(arr, subsystem_json(ss));
	sio_rpc_request_complete(req, arr);
}

/* ------------------------------------------------------------------------ */
/* Namespaces: pause, change, resume (as SPDK does)                         */
/* ------------------------------------------------------------------------ */

struct ns_change {
	struct sio_rpc_request *req;
	struct sio_nvmf_subsystem *ss;
	bool add;
	bool was_active;
	char bdev_name[128];
	char uuid[40];
	char nguid[40];
	char eui64[24];
	bool has_uuid, has_nguid, has_eui64;
	uint32_t nsid;
	int rc;
};

/* A change of @ss for @req, or NULL after failing @req with -ENOMEM. */
static struct ns_change *ns_change_new(struct sio_rpc_request *req, struct sio_nvmf_subsystem *ss,
				       bool add)
{
	struct ns_change *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		sio_rpc_request_fail_errno(req, -ENOMEM);
		return NULL;
	}
	c->req = req;
	c->ss = ss;
	c->add = add;
	return c;
}

static void ns_change_resumed(void *arg, int rc)
{
	struct ns_change *c = arg;

	if (c->rc != 0)
		sio_rpc_request_fail_errno(c->req, c->rc);
	else if (c->add)
		sio_rpc_request_complete(c->req, json_integer(c->nsid));
	else
		sio_rpc_request_complete(c->req, json_true());
	free(c);
}

static void ns_change_apply(void *arg, int rc)
{
	struct ns_change *c = arg;

	if (rc != 0) {
		c->rc = rc;
		ns_change_resumed(c, 0);
		return;
	}
	if (c->add) {
		struct sio_nvmf_ns_opts o;

		sio_nvmf_ns_opts_init(&o, sizeof(o));
		o.nsid = c->nsid;
		o.uuid = c->has_uuid ? c->uuid : NULL;
		o.nguid = c->has_nguid ? c->nguid : NULL;
		o.eui64 = c->has_eui64 ? c->eui64 : NULL;
		c->rc = sio_nvmf_subsystem_add_ns(c->ss, c->bdev_name, &o, &c->nsid);
	} else {
		c->rc = sio_nvmf_subsystem_remove_ns(c->ss, c->nsid);
	}
	if (c->was_active) {
		rc = sio_nvmf_subsystem_resume(c->ss, ns_change_resumed, c);
		if (rc == 0)
			return;
		if (c->rc == 0)
			c->rc = rc;
	}
	ns_change_resumed(c, 0);
}

static void ns_change_start(struct ns_change *c)
{
	int rc;

	if (c->ss->state == SIO_NVMF_SUBSYSTEM_ACTIVE) {
		c->was_active = true;
		rc = sio_nvmf_subsystem_pause(c->ss, ns_change_apply, c);
		if (rc != 0) {
			c->rc = rc;
			ns_change_resumed(c, 0);
		}
		return;
	}
	ns_change_apply(c, 0);
}

struct add_ns {
	const char *nqn;
	json_t *ns;
	const char *tgt_name;
};

static const struct sio_rpc_param add_ns_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct add_ns, nqn),
	{.name = "namespace", .type = SIO_RPC_OBJECT, .required = true,
	 .offset = offsetof(struct add_ns, ns), .class_name = "nvmf_namespace"},
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct add_ns, tgt_name),
};

static void rpc_nvmf_subsystem_add_ns(struct sio_rpc_request *req, void *params)
{
	struct add_ns *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	struct ns_change *c;
	const char *key;
	json_t *v;

	if (ss == NULL)
		return;
	c = ns_change_new(req, ss, true);
	if (c == NULL)
		return;
	json_object_foreach(p->ns, key, v) {
		const char *s = json_string_value(v);

		if (strcmp(key, "bdev_name") == 0 && s != NULL) {
			snprintf(c->bdev_name, sizeof(c->bdev_name), "%s", s);
		} else if (strcmp(key, "nsid") == 0 && json_is_integer(v) &&
			   json_integer_value(v) >= 0 && json_integer_value(v) <= UINT32_MAX) {
			c->nsid = (uint32_t)json_integer_value(v);
		} else if (strcmp(key, "uuid") == 0 && s != NULL && strlen(s) < sizeof(c->uuid)) {
			snprintf(c->uuid, sizeof(c->uuid), "%s", s);
			c->has_uuid = true;
		} else if (strcmp(key, "nguid") == 0 && s != NULL && strlen(s) < sizeof(c->nguid)) {
			snprintf(c->nguid, sizeof(c->nguid), "%s", s);
			c->has_nguid = true;
		} else if (strcmp(key, "eui64") == 0 && s != NULL && strlen(s) < sizeof(c->eui64)) {
			snprintf(c->eui64, sizeof(c->eui64), "%s", s);
			c->has_eui64 = true;
		} else if (strcmp(key, "ptpl_file") == 0 || strcmp(key, "anagrpid") == 0 ||
			   strcmp(key, "no_auto_visible") == 0 || strcmp(key, "hide_metadata") == 0) {
			/* Accepted; reservations, ANA and per-host visibility are not modelled. */
		} else {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "nvmf_subsystem_add_ns: bad namespace field '%s'", key);
			free(c);
			return;
		}
	}
	if (c->bdev_name[0] == '\0') {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "nvmf_subsystem_add_ns: missing required parameter "
				      "'namespace.bdev_name' (string)");
		free(c);
		return;
	}
	ns_change_start(c);
}

struct remove_ns {
	const char *nqn;
	uint32_t nsid;
	const char *tgt_name;
};

static const struct sio_rpc_param remove_ns_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct remove_ns, nqn),
	SIO_RPC_PARAM("nsid", SIO_RPC_UINT32, true, struct remove_ns, nsid),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct remove_ns, tgt_name),
};

static void rpc_nvmf_subsystem_remove_ns(struct sio_rpc_request *req, void *params)
{
	struct remove_ns *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	struct ns_change *c;

	if (ss == NULL)
		return;
	if (nvmf_subsystem_ns(ss, p->nsid) == NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "Unable to find namespace %u in %s", p->nsid, p->nqn);
		return;
	}
	c = ns_change_new(req, ss, false);
	if (c == NULL)
		return;
	c->nsid = p->nsid;
	ns_change_start(c);
}

/* ------------------------------------------------------------------------ */
/* Listeners                                                                */
/* ------------------------------------------------------------------------ */

static const char *const g_ana_states[] = {"optimized", "non_optimized", "inaccessible", NULL};

struct listener_params {
	const char *nqn;
	const char *tgt_name;
	json_t *listen_address;
	bool secure_channel;
	const char *ana_state;
	const char *sock_impl;
	int32_t numa_id;
};

static const struct sio_rpc_param add_listener_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct listener_params, nqn),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct listener_params, tgt_name),
	{.name = "listen_address", .type = SIO_RPC_OBJECT, .required = true,
	 .offset = offsetof(struct listener_params, listen_address),
	 .class_name = "nvmf_listen_address"},
	SIO_RPC_PARAM("secure_channel", SIO_RPC_BOOL, false, struct listener_params, secure_channel),
	{.name = "ana_state", .type = SIO_RPC_ENUM, .required = false,
	 .offset = offsetof(struct listener_params, ana_state), .class_name = "nvme_ana_state",
	 .enum_values = g_ana_states},
	SIO_RPC_PARAM("sock_impl", SIO_RPC_STRING, false, struct listener_params, sock_impl),
	SIO_RPC_PARAM("numa_id", SIO_RPC_INT32, false, struct listener_params, numa_id),
};

static const struct sio_rpc_param remove_listener_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct listener_params, nqn),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct listener_params, tgt_name),
	{.name = "listen_address", .type = SIO_RPC_OBJECT, .required = true,
	 .offset = offsetof(struct listener_params, listen_address),
	 .class_name = "nvmf_listen_address"},
};

static int listen_addr_of(struct sio_rpc_request *req, json_t *o,
			  struct sio_nvmf_listen_addr *a)
{
	const char *key;
	json_t *v;

	memset(a, 0, sizeof(*a));
	json_object_foreach(o, key, v) {
		const char *s = json_string_value(v);

		if (s == NULL) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "listen_address.%s must be a string", key);
			return -EINVAL;
		}
		if (strcmp(key, "trtype") == 0)
			a->trtype = s;
		else if (strcmp(key, "adrfam") == 0)
			a->adrfam = s;
		else if (strcmp(key, "traddr") == 0)
			a->traddr = s;
		else if (strcmp(key, "trsvcid") == 0)
			a->trsvcid = s;
		else {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "listen_address: unknown field '%s'", key);
			return -EINVAL;
		}
	}
	if (a->trtype == NULL || a->traddr == NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "listen_address needs trtype and traddr");
		return -EINVAL;
	}
	return 0;
}

static void rpc_nvmf_subsystem_add_listener(struct sio_rpc_request *req, void *params)
{
	struct listener_params *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	struct sio_nvmf_listen_addr a;
	int rc;

	if (ss == NULL || listen_addr_of(req, p->listen_address, &a) != 0)
		return;
	a.secure_channel = p->secure_channel;
	rc = sio_nvmf_subsystem_add_listener(ss, &a);
	rpc_reply_rc(req, rc, "Unable to add listener %s %s:%s", a.trtype, a.traddr,
		     a.trsvcid ? a.trsvcid : "4420");
}

static void rpc_nvmf_subsystem_remove_listener(struct sio_rpc_request *req, void *params)
{
	struct listener_params *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	struct sio_nvmf_listen_addr a;
	int rc;

	if (ss == NULL || listen_addr_of(req, p->listen_address, &a) != 0)
		return;
	rc = sio_nvmf_subsystem_remove_listener(ss, &a);
	rpc_reply_rc(req, rc, "Unable to remove listener");
}

static void rpc_nvmf_subsystem_get_listeners(struct sio_rpc_request *req, void *params)
{
	struct ss_query *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	struct nvmf_ss_listener *l;
	json_t *arr;

	if (ss == NULL)
		return;
	arr = json_array();
	TAILQ_FOREACH(l, &ss->listeners, link)
		json_array_append_new(arr, json_pack("{s:o,s:s}", "address",
						     listener_json(&l->tl->trid), "ana_state",
						     "optimized"));
	sio_rpc_request_complete(req, arr);
}

/* ------------------------------------------------------------------------ */
/* Hosts                                                                    */
/* ------------------------------------------------------------------------ */

struct host_params {
	const char *nqn;
	const char *host;
	const char *tgt_name;
	const char *psk;
	const char *dhchap_key;
	const char *dhchap_ctrlr_key;
	uint64_t timeout_ms;
};

static const struct sio_rpc_param add_host_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct host_params, nqn),
	SIO_RPC_PARAM("host", SIO_RPC_STRING, true, struct host_params, host),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct host_params, tgt_name),
	SIO_RPC_PARAM("psk", SIO_RPC_STRING, false, struct host_params, psk),
	SIO_RPC_PARAM("dhchap_key", SIO_RPC_STRING, false, struct host_params, dhchap_key),
	SIO_RPC_PARAM("dhchap_ctrlr_key", SIO_RPC_STRING, false, struct host_params,
		      dhchap_ctrlr_key),
};

static const struct sio_rpc_param remove_host_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct host_params, nqn),
	SIO_RPC_PARAM("host", SIO_RPC_STRING, true, struct host_params, host),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct host_params, tgt_name),
	SIO_RPC_PARAM("timeout_ms", SIO_RPC_UINT64, false, struct host_params, timeout_ms),
};

/*
 * DH-HMAC-CHAP key names of add_host / set_keys: each must name a DHHC-1
 * key of the keyring, and a controller key needs a host key. Checked before
 * anything changes, so a refusal leaves nothing behind.
 */
static bool rpc_dhchap_keys_ok(struct sio_rpc_request *req, const char *key, const char *ckey)
{
	const char *names[2] = {key, ckey}, *params[2] = {"dhchap_key", "dhchap_ctrlr_key"};

	if (key == NULL && ckey != NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "dhchap_ctrlr_key needs dhchap_key (bidirectional authentication "
				      "starts with the host's)");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		struct sio_key *k = names[i] != NULL ? sio_keyring_get_key(names[i]) : NULL;
		bool ok = k != NULL && sio_key_get_format(k) == SIO_KEY_FORMAT_DHCHAP;

		sio_key_put(k);
		if (names[i] != NULL && !ok) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      k == NULL ? "%s: no key named '%s' in the keyring"
							: "%s: key '%s' is not a DH-HMAC-CHAP secret (DHHC-1)",
					      params[i], names[i]);
			return false;
		}
	}
	return true;
}

static const struct sio_rpc_param set_keys_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct host_params, nqn),
	SIO_RPC_PARAM("host", SIO_RPC_STRING, true, struct host_params, host),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct host_params, tgt_name),
	SIO_RPC_PARAM("dhchap_key", SIO_RPC_STRING, false, struct host_params, dhchap_key),
	SIO_RPC_PARAM("dhchap_ctrlr_key", SIO_RPC_STRING, false, struct host_params,
		      dhchap_ctrlr_key),
};

/* SPDK's nvmf_subsystem_set_keys: the keys given replace the host's (absent: none). */
static void rpc_nvmf_subsystem_set_keys(struct sio_rpc_request *req, void *params)
{
	struct host_params *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	int rc;

	if (ss == NULL || !rpc_dhchap_keys_ok(req, p->dhchap_key, p->dhchap_ctrlr_key))
		return;
	rc = sio_nvmf_subsystem_host_set_dhchap_keys(ss, p->host, p->dhchap_key,
						     p->dhchap_ctrlr_key);
	rpc_reply_rc(req, rc, "Unable to set keys of host %s on %s", p->host, p->nqn);
}

static void rpc_nvmf_subsystem_add_host(struct sio_rpc_request *req, void *params)
{
	struct host_params *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	int rc;

	if (ss == NULL)
		return;
	if (!rpc_dhchap_keys_ok(req, p->dhchap_key, p->dhchap_ctrlr_key))
		return;
	if (p->psk != NULL) {
		/* Checked before the host exists, so a refusal leaves nothing behind. */
		struct sio_key *k = sio_keyring_get_key(p->psk);
		bool tls = k != NULL && sio_key_get_format(k) == SIO_KEY_FORMAT_TLS_PSK;

		sio_key_put(k);
		if (!tls) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      k == NULL ? "psk: no key named '%s' in the keyring"
							: "psk: key '%s' is not a TLS PSK (NVMeTLSkey-1)",
					      p->psk);
			return;
		}
	}
	rc = sio_nvmf_subsystem_add_host(ss, p->host);
	if (rc == 0 && p->psk != NULL) {
		rc = sio_nvmf_subsystem_host_set_psk(ss, p->host, p->psk);
		if (rc != 0)
			sio_nvmf_subsystem_remove_host(ss, p->host);
	}
	if (rc == 0 && p->dhchap_key != NULL) {
		rc = sio_nvmf_subsystem_host_set_dhchap_keys(ss, p->host, p->dhchap_key,
							     p->dhchap_ctrlr_key);
		if (rc != 0)
			sio_nvmf_subsystem_remove_host(ss, p->host);
	}
	rpc_reply_rc(req, rc, "Unable to add host %s to %s", p->host, p->nqn);
}

static void rpc_nvmf_subsystem_remove_host(struct sio_rpc_request *req, void *params)
{
	struct host_params *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	int rc;

	if (ss == NULL)
		return;
	rc = sio_nvmf_subsystem_remove_host(ss, p->host);
	rpc_reply_rc(req, rc, "Unable to remove host %s from %s", p->host, p->nqn);
}

struct allow_any_host {
	const char *nqn;
	bool allow_any_host;
	const char *tgt_name;
};

static const struct sio_rpc_param allow_any_host_params[] = {
	SIO_RPC_PARAM("nqn", SIO_RPC_STRING, true, struct allow_any_host, nqn),
	SIO_RPC_PARAM("allow_any_host", SIO_RPC_BOOL, true, struct allow_any_host, allow_any_host),
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct allow_any_host, tgt_name),
};

static void rpc_nvmf_subsystem_allow_any_host(struct sio_rpc_request *req, void *params)
{
	struct allow_any_host *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	int rc;

	if (ss == NULL)
		return;
	rc = sio_nvmf_subsystem_set_allow_any_host(ss, p->allow_any_host);
	rpc_done_true(req, rc);
}

/* ------------------------------------------------------------------------ */
/* Controllers, qpairs, statistics                                          */
/* ------------------------------------------------------------------------ */

static void rpc_nvmf_subsystem_get_controllers(struct sio_rpc_request *req, void *params)
{
	struct ss_query *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);
	struct nvmf_ctrlr *c;
	json_t *arr;

	if (ss == NULL)
		return;
	arr = json_array();
	pthread_mutex_lock(&ss->mutex);
	TAILQ_FOREACH(c, &ss->ctrlrs, link) {
		char hostid[40];

		fmt_uuid(hostid, sizeof(hostid), c->hostid);
		json_array_append_new(arr, json_pack("{s:i,s:s,s:s,s:i}", "cntlid", (int)c->cntlid,
						     "hostnqn", c->hostnqn, "hostid", hostid,
						     "num_io_qpairs",
						     (int)__atomic_load_n(&c->num_io_qpairs,
									  __ATOMIC_RELAXED)));
	}
	pthread_mutex_unlock(&ss->mutex);
	sio_rpc_request_complete(req, arr);
}

struct qpairs_walk {
	struct sio_rpc_request *req;
	struct sio_nvmf_subsystem *ss; /* NULL: statistics */
	json_t *out;
};

static const char *qpair_state_name(enum nvmf_qpair_state s)
{
	switch (s) {
	case NVMF_QPAIR_CONNECTING:
		return "connecting";
	case NVMF_QPAIR_ACTIVE:
		return "active";
	default:
		return "deactivating";
	}
}

/* On each poll group's thread: describe its qpairs of the subsystem. */
static int qpairs_visit(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct qpairs_walk *w = ctx;
	struct nvmf_qpair *qp;

	TAILQ_FOREACH(qp, &pg->qpairs, link) {
		char la[64] = "", pa[64] = "", lp[8], pp[8];
		uint16_t lport = 0, pport = 0;

		if (qp->ctrlr == NULL || qp->ctrlr->ss != w->ss)
			continue;
		if (qp->ops->get_addrs)
			qp->ops->get_addrs(qp, la, sizeof(la), &lport, pa, sizeof(pa), &pport);
		snprintf(lp, sizeof(lp), "%u", lport);
		snprintf(pp, sizeof(pp), "%u", pport);
		json_array_append_new(
			w->out,
			json_pack("{s:i,s:i,s:s,s:s,s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s}}",
				  "cntlid", (int)qp->ctrlr->cntlid, "qid", (int)qp->qid, "state",
				  qpair_state_name(qp->state), "thread", pg->name,
				  "listen_address", "trtype", qp->transport->ops->name, "adrfam",
				  strchr(la, ':') ? "IPv6" : "IPv4", "traddr", la, "trsvcid", lp,
				  "peer_address", "trtype", qp->transport->ops->name, "adrfam",
				  strchr(pa, ':') ? "IPv6" : "IPv4", "traddr", pa, "trsvcid", pp));
	}
	return 0;
}

static void qpairs_done(void *arg, int rc)
{
	struct qpairs_walk *w = arg;

	if (rc != 0) {
		json_decref(w->out);
		sio_rpc_request_fail_errno(w->req, rc);
	} else {
		sio_rpc_request_complete(w->req, w->out);
	}
	free(w);
}

/*
 * Answer @req with @out once @visit has added each poll group's part to it
 * on that group's thread (qpairs_done()). Takes @out; fails @req on error.
 */
static void rpc_pg_walk(struct sio_rpc_request *req, struct sio_nvmf_tgt *tgt,
			struct sio_nvmf_subsystem *ss, json_t *out,
			int (*visit)(struct nvmf_poll_group *, void *, struct nvmf_pg_each *))
{
	struct qpairs_walk *w = calloc(1, sizeof(*w));
	int rc = -ENOMEM;

	if (w != NULL) {
		w->req = req;
		w->ss = ss;
		w->out = out;
		rc = nvmf_pg_each(tgt, visit, w, qpairs_done, w);
		if (rc == 0)
			return;
	}
	json_decref(out);
	free(w);
	sio_rpc_request_fail_errno(req, rc);
}

static void rpc_nvmf_subsystem_get_qpairs(struct sio_rpc_request *req, void *params)
{
	struct ss_query *p = params;
	struct sio_nvmf_subsystem *ss = rpc_ss(req, p->tgt_name, p->nqn);

	if (ss != NULL)
		rpc_pg_walk(req, ss->tgt, ss, json_array(), qpairs_visit);
}

static int stats_visit(struct nvmf_poll_group *pg, void *ctx, struct nvmf_pg_each *it)
{
	struct qpairs_walk *w = ctx;
	json_t *transports = json_array();
	json_t *pgs = json_object_get(w->out, "poll_groups");

	for (uint32_t i = 0; i < NVMF_MAX_TRANSPORTS; i++) {
		struct sio_nvmf_transport *t = pg->tgt->transports[i];
		json_t *o;

		if (t == NULL)
			continue;
		o = json_pack("{s:s}", "trtype", t->ops->name);
		if (pg->tpg[i] != NULL && t->ops->pg_dump_stats)
			t->ops->pg_dump_stats(pg->tpg[i], o);
		json_array_append_new(transports, o);
	}
	json_array_append_new(pgs, json_pack("{s:s,s:I,s:I,s:i,s:i,s:I,s:I,s:o}", "name", pg->name,
					     "admin_qpairs", (json_int_t)pg->stats.admin_qpairs,
					     "io_qpairs", (json_int_t)pg->stats.io_qpairs,
					     "current_admin_qpairs",
					     (int)pg->stats.current_admin_qpairs,
					     "current_io_qpairs", (int)pg->stats.current_io_qpairs,
					     "pending_bdev_io",
					     (json_int_t)pg->stats.pending_bdev_io,
					     "completed_nvme_io",
					     (json_int_t)pg->stats.completed_nvme_io,
					     "transports", transports));
	return 0;
}

struct tgt_name_param {
	const char *tgt_name;
};

static const struct sio_rpc_param get_stats_params[] = {
	SIO_RPC_PARAM("tgt_name", SIO_RPC_STRING, false, struct tgt_name_param, tgt_name),
};

static void rpc_nvmf_get_stats(struct sio_rpc_request *req, void *params)
{
	struct tgt_name_param *p = params;
	struct sio_nvmf_tgt *tgt = rpc_req_tgt(req, p->tgt_name);

	if (tgt != NULL)
		rpc_pg_walk(req, tgt, NULL,
			    json_pack("{s:I,s:[]}", "tick_rate", (json_int_t)sio_get_ticks_hz(),
				      "poll_groups"),
			    stats_visit);
}

/* ------------------------------------------------------------------------ */
/* Target settings (startup)                                                */
/* ------------------------------------------------------------------------ */

static const char *const g_dup_host_policies[] = {"allow", "restrict_per_listener", NULL};

struct set_config {
	json_t *admin_cmd_passthru;
	const char *poll_groups_mask;
	const char *discovery_filter;
	json_t *dhchap_digests;
	json_t *dhchap_dhgroups;
	const char *dup_host_policy;
};

static const struct sio_rpc_param set_config_params[] = {
	{.name = "admin_cmd_passthru", .type = SIO_RPC_OBJECT, .required = false,
	 .offset = offsetof(struct set_config, admin_cmd_passthru),
	 .class_name = "nvmf_admin_cmd_passthru"},
	SIO_RPC_PARAM("poll_groups_mask", SIO_RPC_STRING, false, struct set_config,
		      poll_groups_mask),
	SIO_RPC_PARAM("discovery_filter", SIO_RPC_STRING, false, struct set_config,
		      discovery_filter),
	{.name = "dhchap_digests", .type = SIO_RPC_ARRAY, .required = false,
	 .offset = offsetof(struct set_config, dhchap_digests), .class_name = "dhchap_digests"},
	{.name = "dhchap_dhgroups", .type = SIO_RPC_ARRAY, .required = false,
	 .offset = offsetof(struct set_config, dhchap_dhgroups), .class_name = "dhchap_dhgroups"},
	{.name = "dup_host_policy", .type = SIO_RPC_ENUM, .required = false,
	 .offset = offsetof(struct set_config, dup_host_policy),
	 .class_name = "nvmf_dup_host_policy", .enum_values = g_dup_host_policies},
};

/* A dhchap_digests / dhchap_dhgroups array of names -> bit mask (1 << id). */
static bool rpc_dhchap_list(struct sio_rpc_request *req, const json_t *arr, const char *param,
			    int (*from_name)(const char *), uint32_t *mask)
{
	size_t i;
	json_t *v;

	if (arr == NULL)
		return true;
	*mask = 0;
	json_array_foreach(arr, i, v) {
		int id = from_name(json_string_value(v));

		if (id < 0) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "%s: unknown value at index %zu", param, i);
			return false;
		}
		*mask |= 1u << id;
	}
	if (*mask == 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s: empty", param);
		return false;
	}
	return true;
}

static void rpc_nvmf_set_config(struct sio_rpc_request *req, void *params)
{
	const json_t *raw = sio_rpc_request_params_json(req);

	/*
	 * Kept and written back by save_config; the poll groups follow the
	 * reactor mask and discovery lists what the host may use, whatever
	 * these say.
	 */
	struct set_config *p = params;
	uint32_t digests = DHCHAP_DIGESTS_ALL, dhgroups = DHCHAP_DHGROUPS_ALL;

	/* DH-HMAC-CHAP: what the target accepts from now on (absent: everything). */
	if (!rpc_dhchap_list(req, p->dhchap_digests, "dhchap_digests", dhchap_hash_from_name,
			     &digests) ||
	    !rpc_dhchap_list(req, p->dhchap_dhgroups, "dhchap_dhgroups", dhchap_dhgroup_from_name,
			     &dhgroups))
		return;
	nvmf_auth_set_allowed(digests, dhgroups);
	json_decref(g_nvmf_config);
	g_nvmf_config = raw ? json_deep_copy(raw) : NULL;
	sio_rpc_request_complete(req, json_true());
}

struct set_max_subsystems {
	uint32_t max_subsystems;
};

static const struct sio_rpc_param set_max_subsystems_params[] = {
	SIO_RPC_PARAM("max_subsystems", SIO_RPC_UINT32, true, struct set_max_subsystems,
		      max_subsystems),
};

static void rpc_nvmf_set_max_subsystems(struct sio_rpc_request *req, void *params)
{
	struct set_max_subsystems *p = params;

	if (sio_nvmf_get_tgt(NULL) != NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_STATE,
				      "nvmf_set_max_subsystems: the target exists already");
		return;
	}
	if (p->max_subsystems == 0 || p->max_subsystems > 65536) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "max_subsystems must be in 1..65536");
		return;
	}
	g_max_subsystems = p->max_subsystems;
	sio_rpc_request_complete(req, json_true());
}

/* ------------------------------------------------------------------------ */
/* Table                                                                    */
/* ------------------------------------------------------------------------ */

#define M(n, prm, sz, st)                                                      \
	{.name = #n, .handler = rpc_##n, .params = prm,                        \
	 .param_count = SIO_RPC_COUNT(prm), .params_size = sizeof(struct sz), \
	 .state_mask = st}

static const struct sio_rpc_method g_nvmf_methods[] = {
	{.name = "nvmf_create_transport", .handler = rpc_nvmf_create_transport,
	 .params = create_transport_params, .param_count = SIO_RPC_COUNT(create_transport_params),
	 .params_size = sizeof(struct create_transport), .state_mask = SIO_RPC_RUNTIME},
	M(nvmf_get_transports, get_transports_params, get_transports, SIO_RPC_RUNTIME),
	{.name = "nvmf_create_subsystem", .handler = rpc_nvmf_create_subsystem,
	 .params = create_subsystem_params, .param_count = SIO_RPC_COUNT(create_subsystem_params),
	 .params_size = sizeof(struct create_subsystem), .params_init = create_subsystem_init,
	 .state_mask = SIO_RPC_RUNTIME},
	M(nvmf_delete_subsystem, ss_query_params, ss_query, SIO_RPC_RUNTIME),
	M(nvmf_get_subsystems, get_subsystems_params, ss_query, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_add_ns, add_ns_params, add_ns, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_remove_ns, remove_ns_params, remove_ns, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_add_listener, add_listener_params, listener_params, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_remove_listener, remove_listener_params, listener_params,
	  SIO_RPC_RUNTIME),
	M(nvmf_subsystem_get_listeners, ss_query_params, ss_query, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_add_host, add_host_params, host_params, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_set_keys, set_keys_params, host_params, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_remove_host, remove_host_params, host_params, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_allow_any_host, allow_any_host_params, allow_any_host, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_get_controllers, ss_query_params, ss_query, SIO_RPC_RUNTIME),
	M(nvmf_subsystem_get_qpairs, ss_query_params, ss_query, SIO_RPC_RUNTIME),
	M(nvmf_get_stats, get_stats_params, tgt_name_param, SIO_RPC_RUNTIME),
	M(nvmf_set_config, set_config_params, set_config, SIO_RPC_STARTUP),
	M(nvmf_set_max_subsystems, set_max_subsystems_params, set_max_subsystems,
	  SIO_RPC_STARTUP),
};
#undef M

const struct sio_rpc_method_table sio_rpc_table_nvmf = {g_nvmf_methods,
							SIO_RPC_COUNT(g_nvmf_methods)};

/* ------------------------------------------------------------------------ */
/* The "nvmf" subsystem                                                     */
/* ------------------------------------------------------------------------ */

/* nvmf_metrics.c: scraped by the metrics endpoint of any app with the nvmf subsystem. */
extern const struct sio_metrics_collector sio_nvmf_metrics_collector;

static void nvmf_subsystem_init(sio_done_cb done, void *cb_arg)
{
	sio_log_flag_register(NVMF_LOG);
	sio_metrics_register(&sio_nvmf_metrics_collector); /* -EEXIST on a later run: fine */
	done(cb_arg, 0);
}

struct nvmf_fini_ctx {
	sio_done_cb done;
	void *cb_arg;
};

static void nvmf_fini_next(void *arg, int rc)
{
	struct nvmf_fini_ctx *ctx = arg;
	struct sio_nvmf_tgt *tgt = nvmf_tgt_first();

	if (tgt != NULL && sio_nvmf_tgt_destroy(tgt, nvmf_fini_next, ctx) == 0)
		return;
	json_decref(g_nvmf_config);
	g_nvmf_config = NULL;
	g_max_subsystems = 1024;
	ctx->done(ctx->cb_arg, 0);
	free(ctx);
}

static void nvmf_subsystem_fini(sio_done_cb done, void *cb_arg)
{
	struct nvmf_fini_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL) {
		done(cb_arg, 0);
		return;
	}
	ctx->done = done;
	ctx->cb_arg = cb_arg;
	nvmf_fini_next(ctx, 0);
}

static void nvmf_write_config(json_t *config)
{
	struct sio_nvmf_tgt *tgt = sio_nvmf_get_tgt(SIO_NVMF_DEFAULT_TGT_NAME);
	struct sio_nvmf_subsystem *ss;

	if (g_nvmf_config != NULL)
		sio_rpc_config_append(config, "nvmf_set_config", json_deep_copy(g_nvmf_config));
	sio_rpc_config_append(config, "nvmf_set_max_subsystems",
			      json_pack("{s:I}", "max_subsystems",
					(json_int_t)(tgt ? tgt->max_subsystems : g_max_subsystems)));
	if (tgt == NULL)
		return;
	for (uint32_t i = 0; i < NVMF_MAX_TRANSPORTS; i++) {
		struct sio_nvmf_transport *t = tgt->transports[i];
		json_t *p;

		if (t == NULL)
			continue;
		p = transport_json(t);
		json_object_del(p, "kas");
		json_object_del(p, "min_kato");
		json_object_set_new(p, "kas", json_integer(t->opts.kas));
		json_object_set_new(p, "min_kato", json_integer(t->opts.min_kato));
		sio_rpc_config_append(config, "nvmf_create_transport", p);
	}
	for (ss = sio_nvmf_subsystem_first(tgt); ss != NULL; ss = sio_nvmf_subsystem_next(ss)) {
		struct nvmf_ss_listener *l;
		json_t *hosts;
		size_t k;
		json_t *h;

		if (ss->subtype == NVMF_SUBTYPE_DISCOVERY)
			continue;
		hosts = json_array();
		sio_rpc_config_append(config, "nvmf_create_subsystem",
				      json_pack("{s:s,s:b,s:s,s:s,s:I,s:i,s:i,s:b}", "nqn", ss->nqn,
						"allow_any_host",
						sio_nvmf_subsystem_get_allow_any_host(ss),
						"serial_number", ss->sn, "model_number", ss->mn,
						"max_namespaces",
						(json_int_t)ss->opts.max_namespaces, "min_cntlid",
						(int)ss->opts.min_cntlid, "max_cntlid",
						(int)ss->opts.max_cntlid, "ana_reporting",
						ss->opts.ana_reporting));
		nvmf_subsystem_foreach_host(ss, host_json, hosts);
		json_array_foreach(hosts, k, h) {
			char psk[256] = "";
			json_t *o = json_pack("{s:s,s:O}", "nqn", ss->nqn, "host",
					      json_object_get(h, "nqn"));

			if (sio_nvmf_subsystem_host_psk_name(ss, json_string_value(
								     json_object_get(h, "nqn")),
							     psk, sizeof(psk)) == 0 && psk[0] != '\0')
				json_object_set_new(o, "psk", json_string(psk));
			{
				char dk[256], dck[256];

				if (sio_nvmf_subsystem_host_dhchap_key_names(
					    ss, json_string_value(json_object_get(o, "host")), dk, dck,
					    sizeof(dk)) == 0) {
					if (dk[0] != '\0')
						json_object_set_new(o, "dhchap_key", json_string(dk));
					if (dck[0] != '\0')
						json_object_set_new(o, "dhchap_ctrlr_key",
								    json_string(dck));
				}
			}
			sio_rpc_config_append(config, "nvmf_subsystem_add_host", o);
		}
		json_decref(hosts);
		for (uint32_t n = 0; n < ss->max_nsid; n++) {
			struct sio_nvmf_ns *ns = ss->ns[n];
			char uuid[40], nguid[40] = "";
			json_t *o;

			if (ns == NULL)
				continue;
			fmt_uuid(uuid, sizeof(uuid), ns->uuid);
			fmt_hex(nguid, sizeof(nguid), ns->nguid, 16);
			o = json_pack("{s:i,s:s,s:s,s:s}", "nsid", (int)ns->nsid, "bdev_name",
				      ns->bdev_name, "uuid", uuid, "nguid", nguid);
			if (ns->has_eui64) {
				char eui[20] = "";

				fmt_hex(eui, sizeof(eui), ns->eui64, 8);
				json_object_set_new(o, "eui64", json_string(eui));
			}
			sio_rpc_config_append(config, "nvmf_subsystem_add_ns",
					      json_pack("{s:s,s:o}", "nqn", ss->nqn, "namespace", o));
		}
		TAILQ_FOREACH(l, &ss->listeners, link) {
			json_t *o = json_pack("{s:s,s:o}", "nqn", ss->nqn, "listen_address",
					      listener_json(&l->tl->trid));

			if (l->tl->secure)
				json_object_set_new(o, "secure_channel", json_true());
			sio_rpc_config_append(config, "nvmf_subsystem_add_listener", o);
		}
	}
}

static const char *const g_nvmf_deps[] = {"bdev", NULL};

const struct sio_subsystem sio_subsystem_nvmf = {
	.name = "nvmf",
	.depends_on = g_nvmf_deps,
	.init = nvmf_subsystem_init,
	.fini = nvmf_subsystem_fini,
	.write_config = nvmf_write_config,
};
