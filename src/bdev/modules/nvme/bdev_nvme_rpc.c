/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK's bdev_nvme RPC methods with SPDK's parameters: attach (one path, or
 * another path under an existing name with multipath "failover" or
 * "multipath"), detach (all paths or those matching the transport fields
 * given), get_controllers, reset_controller, set_options,
 * set_multipath_policy, get_io_paths. Parameters SPDK has and this module
 * cannot honour are declared (the schema test requires them) and refused
 * with a message when given a value that would need them (TLS PSK,
 * DH-HMAC-CHAP keys, protection information checks); set_options accepts
 * every one of SPDK's and applies those listed in docs/nvme.md.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/modules/nvme/bdev_nvme.h"
#include "nvme/auth/dhchap.h"
#include "nvme/host/trid.h"
#include "spdk_io/keyring.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"

struct attach_params {
	const char *name, *trtype, *traddr, *adrfam, *trsvcid, *priority, *subnqn, *hostnqn;
	const char *hostaddr, *hostsvcid, *psk, *dhchap_key, *dhchap_ctrlr_key, *multipath;
	bool prchk_reftag, prchk_guard, hdgst, ddgst, allow_unrecognized_csi;
	uint64_t fabrics_connect_timeout_us;
	uint32_t num_io_queues, reconnect_delay_sec, fast_io_fail_timeout_sec, max_bdevs;
	int32_t ctrlr_loss_timeout_sec;
	json_t *multipath_opts;
};

static const char *const g_multipath_modes[] = { "failover", "multipath", "disable", NULL };

#define AP(n, t, r, f) SIO_RPC_PARAM(n, t, r, struct attach_params, f)
static const struct sio_rpc_param attach_params[] = {
	AP("name", SIO_RPC_STRING, true, name),
	AP("trtype", SIO_RPC_STRING, true, trtype),
	AP("traddr", SIO_RPC_STRING, true, traddr),
	AP("adrfam", SIO_RPC_STRING, false, adrfam),
	AP("trsvcid", SIO_RPC_STRING, false, trsvcid),
	AP("priority", SIO_RPC_STRING, false, priority),
	AP("subnqn", SIO_RPC_STRING, false, subnqn),
	AP("hostnqn", SIO_RPC_STRING, false, hostnqn),
	AP("hostaddr", SIO_RPC_STRING, false, hostaddr),
	AP("hostsvcid", SIO_RPC_STRING, false, hostsvcid),
	AP("prchk_reftag", SIO_RPC_BOOL, false, prchk_reftag),
	AP("prchk_guard", SIO_RPC_BOOL, false, prchk_guard),
	AP("hdgst", SIO_RPC_BOOL, false, hdgst),
	AP("ddgst", SIO_RPC_BOOL, false, ddgst),
	AP("fabrics_connect_timeout_us", SIO_RPC_UINT64, false, fabrics_connect_timeout_us),
	{ .name = "multipath", .type = SIO_RPC_ENUM, .required = false,
	  .offset = offsetof(struct attach_params, multipath),
	  .class_name = "bdev_nvme_multipath_mode", .enum_values = g_multipath_modes },
	AP("num_io_queues", SIO_RPC_UINT32, false, num_io_queues),
	AP("ctrlr_loss_timeout_sec", SIO_RPC_INT32, false, ctrlr_loss_timeout_sec),
	AP("reconnect_delay_sec", SIO_RPC_UINT32, false, reconnect_delay_sec),
	AP("fast_io_fail_timeout_sec", SIO_RPC_UINT32, false, fast_io_fail_timeout_sec),
	AP("psk", SIO_RPC_STRING, false, psk),
	AP("max_bdevs", SIO_RPC_UINT32, false, max_bdevs),
	AP("dhchap_key", SIO_RPC_STRING, false, dhchap_key),
	AP("dhchap_ctrlr_key", SIO_RPC_STRING, false, dhchap_ctrlr_key),
	AP("allow_unrecognized_csi", SIO_RPC_BOOL, false, allow_unrecognized_csi),
	{ .name = "multipath_opts", .type = SIO_RPC_OBJECT, .required = false,
	  .offset = offsetof(struct attach_params, multipath_opts),
	  .class_name = "bdev_nvme_multipath_opts" },
};

/* Absent timeouts take bdev_nvme_set_options' defaults, as in SPDK. */
static void attach_params_init(void *params)
{
	struct attach_params *p = params;

	p->ctrlr_loss_timeout_sec = g_bdev_nvme_opts.ctrlr_loss_timeout_sec;
	p->reconnect_delay_sec = g_bdev_nvme_opts.reconnect_delay_sec;
	p->fast_io_fail_timeout_sec = g_bdev_nvme_opts.fast_io_fail_timeout_sec;
}

static void attach_done(void *arg, int rc, const char *msg, const char *const *names, size_t count)
{
	struct sio_rpc_request *req = arg;
	json_t *arr;

	if (rc != 0) {
		if (msg != NULL)
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s", msg);
		else
			sio_rpc_request_fail_errno(req, rc);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, json_string(names[i]));
	sio_rpc_request_complete(req, arr);
}

static int set_str(char *dst, size_t cap, const char *src)
{
	if (src == NULL)
		return 0;
	if (strlen(src) >= cap)
		return -EINVAL;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* DH-HMAC-CHAP key names -> keyring references in @o; replies and returns -1 on a bad one. */
static int attach_dhchap_keys(struct sio_rpc_request *req, const char *key, const char *ckey,
			      struct sio_nvme_ctrlr_opts *o)
{
	const char *names[2] = {key, ckey}, *params[2] = {"dhchap_key", "dhchap_ctrlr_key"};
	struct sio_key *k[2] = {NULL, NULL};

	if (key == NULL && ckey != NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "dhchap_ctrlr_key needs dhchap_key");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (names[i] == NULL)
			continue;
		k[i] = sio_keyring_get_key(names[i]);
		if (k[i] == NULL || sio_key_get_format(k[i]) != SIO_KEY_FORMAT_DHCHAP) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      k[i] == NULL ? "%s: no key named '%s' in the keyring"
							   : "%s: key '%s' is not a DH-HMAC-CHAP secret (DHHC-1)",
					      params[i], names[i]);
			sio_key_put(k[0]);
			sio_key_put(k[1]);
			return -1;
		}
	}
	o->dhchap_key = k[0];
	o->dhchap_ctrlr_key = k[1];
	return 0;
}

/* The TLS PSK's keyring name -> a reference in @o (NVMe/TCP secure channel); replies and returns -1 on a bad one. */
static int attach_psk(struct sio_rpc_request *req, const char *name, struct sio_nvme_ctrlr_opts *o)
{
	struct sio_key *k;

	if (name == NULL)
		return 0;
	k = sio_keyring_get_key(name);
	if (k == NULL || sio_key_get_format(k) != SIO_KEY_FORMAT_TLS_PSK) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      k == NULL ? "psk: no key named '%s' in the keyring"
						: "psk: key '%s' is not a TLS PSK (NVMeTLSkey-1)", name);
		sio_key_put(k);
		return -1;
	}
	o->tls_psk = k;
	return 0;
}

static void rpc_attach(struct sio_rpc_request *req, void *params)
{
	struct attach_params *p = params;
	struct bdev_nvme_attach_opts o;
	struct sio_nvme_transport_id *t = &o.trid;
	int rc;

	memset(&o, 0, sizeof(o));
	if (p->prchk_reftag || p->prchk_guard) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "prchk_reftag/prchk_guard: protection information is not supported");
		return;
	}
	/* Refused rather than dropped: the policy of new bdevs comes from elsewhere here. */
	if (p->multipath_opts != NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "multipath_opts: not supported by bdev_nvme_attach_controller here; "
				      "use bdev_nvme_set_options multipath_opts (new bdevs) or "
				      "bdev_nvme_set_multipath_policy (one bdev)");
		return;
	}
	o.mode = BDEV_NVME_MP_DISABLE;
	if (p->multipath != NULL && strcmp(p->multipath, "failover") == 0)
		o.mode = BDEV_NVME_MP_FAILOVER;
	else if (p->multipath != NULL && strcmp(p->multipath, "multipath") == 0)
		o.mode = BDEV_NVME_MP_MULTIPATH;
	if (sio_nvme_transport_type_parse(p->trtype, &t->trtype) != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "trtype: unknown '%s'",
				      p->trtype);
		return;
	}
	if (p->adrfam != NULL && sio_nvme_adrfam_parse(p->adrfam, &t->adrfam) != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "adrfam: unknown '%s'",
				      p->adrfam);
		return;
	}
	if (p->adrfam == NULL && t->trtype != SIO_NVME_TRANSPORT_PCIE)
		t->adrfam = strchr(p->traddr, ':') ? SIO_NVME_ADRFAM_IPV6 : SIO_NVME_ADRFAM_IPV4;
	if (set_str(t->traddr, sizeof(t->traddr), p->traddr) ||
	    set_str(t->trsvcid, sizeof(t->trsvcid), p->trsvcid) ||
	    set_str(t->subnqn, sizeof(t->subnqn), p->subnqn) ||
	    set_str(t->hostnqn, sizeof(t->hostnqn), p->hostnqn) ||
	    set_str(t->hostaddr, sizeof(t->hostaddr), p->hostaddr) ||
	    set_str(t->hostsvcid, sizeof(t->hostsvcid), p->hostsvcid)) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "a string parameter is too long");
		return;
	}
	if (t->trtype == SIO_NVME_TRANSPORT_TCP && t->trsvcid[0] == '\0')
		snprintf(t->trsvcid, sizeof(t->trsvcid), "%d",
			 t->subnqn[0] ? SIO_NVMF_TCP_PORT : SIO_NVMF_TCP_DISCOVERY_PORT);
	if (p->priority != NULL) {
		char err[320];

		/* A string in SPDK's schema: the transport ID parser's rule and words. */
		if (nvme_trid_parse_priority(p->priority, &t->priority, err, sizeof(err)) != 0) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s", err);
			return;
		}
	}
	sio_nvme_ctrlr_opts_init(&o.ctrlr_opts, sizeof(o.ctrlr_opts));
	/* bdev_nvme_set_options' part of every controller. */
	o.ctrlr_opts.keep_alive_timeout_ms = g_bdev_nvme_opts.keep_alive_timeout_ms;
	o.ctrlr_opts.command_timeout_ms =
		g_bdev_nvme_opts.action_on_timeout == BDEV_NVME_TIMEOUT_ACTION_NONE ? 0 :
		(uint32_t)((g_bdev_nvme_opts.timeout_us + 999) / 1000);
	if (g_bdev_nvme_opts.io_queue_requests != 0)
		o.ctrlr_opts.io_queue_requests = g_bdev_nvme_opts.io_queue_requests;
	if (g_bdev_nvme_opts.tcp_connect_timeout_ms != 0)
		o.ctrlr_opts.connect_timeout_ms = g_bdev_nvme_opts.tcp_connect_timeout_ms;
	/* Only these are offered in DH-HMAC-CHAP negotiation (and accepted from the controller). */
	o.ctrlr_opts.dhchap_digests = g_bdev_nvme_opts.dhchap_digests;
	o.ctrlr_opts.dhchap_dhgroups = g_bdev_nvme_opts.dhchap_dhgroups;
	if (p->hostnqn != NULL)
		snprintf(o.ctrlr_opts.hostnqn, sizeof(o.ctrlr_opts.hostnqn), "%s", p->hostnqn);
	o.ctrlr_opts.header_digest = p->hdgst;
	o.ctrlr_opts.data_digest = p->ddgst;
	if (p->num_io_queues != 0)
		o.ctrlr_opts.num_io_queues = p->num_io_queues;
	if (p->fabrics_connect_timeout_us != 0)
		o.ctrlr_opts.connect_timeout_ms = (uint32_t)((p->fabrics_connect_timeout_us + 999) / 1000);
	o.name = p->name;
	o.ctrlr_loss_timeout_sec = p->ctrlr_loss_timeout_sec;
	o.reconnect_delay_sec = p->reconnect_delay_sec;
	o.fast_io_fail_timeout_sec = p->fast_io_fail_timeout_sec;
	o.max_bdevs = p->max_bdevs;
	o.allow_unrecognized_csi = p->allow_unrecognized_csi;
	if (attach_psk(req, p->psk, &o.ctrlr_opts) != 0)
		return;
	if (attach_dhchap_keys(req, p->dhchap_key, p->dhchap_ctrlr_key, &o.ctrlr_opts) != 0) {
		sio_key_put(o.ctrlr_opts.tls_psk);
		return;
	}
	rc = bdev_nvme_attach(&o, attach_done, req);
	/* The path and the driver took their own references. */
	sio_key_put(o.ctrlr_opts.tls_psk);
	sio_key_put(o.ctrlr_opts.dhchap_key);
	sio_key_put(o.ctrlr_opts.dhchap_ctrlr_key);
	if (rc == -EINVAL && (o.ctrlr_loss_timeout_sec != 0 || o.fast_io_fail_timeout_sec != 0)) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "ctrlr_loss_timeout_sec, reconnect_delay_sec, fast_io_fail_timeout_sec: "
				      "need reconnect_delay_sec > 0 and fast_io_fail <= ctrlr_loss >= reconnect_delay");
		return;
	}
	if (rc == -EEXIST && o.mode == BDEV_NVME_MP_DISABLE) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "name: a controller named %s already exists and multipath is disabled",
				      p->name);
		return;
	}
	if (rc == -EEXIST) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "%s: this path (%s:%s) is already attached", p->name, p->traddr,
				      p->trsvcid ? p->trsvcid : "");
		return;
	}
	if (rc == -ENOSPC) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s: at most %d paths",
				      p->name, BDEV_NVME_MAX_PATHS);
		return;
	}
	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

struct set_keys_params {
	const char *name;
	const char *dhchap_key;
	const char *dhchap_ctrlr_key;
};

static const struct sio_rpc_param set_keys_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct set_keys_params, name),
	SIO_RPC_PARAM("dhchap_key", SIO_RPC_STRING, false, struct set_keys_params, dhchap_key),
	SIO_RPC_PARAM("dhchap_ctrlr_key", SIO_RPC_STRING, false, struct set_keys_params,
		      dhchap_ctrlr_key),
};

static void set_keys_done(void *arg, int rc, const char *msg)
{
	struct sio_rpc_request *req = arg;

	if (rc != 0)
		sio_rpc_request_error(req, rc, "%s", msg != NULL ? msg : strerror(-rc));
	else
		sio_rpc_request_complete(req, json_true());
}

/* SPDK's bdev_nvme_set_keys: new keys for a controller; its admin and I/O queues re-authenticate now. */
static void rpc_set_keys(struct sio_rpc_request *req, void *params)
{
	struct set_keys_params *p = params;
	struct sio_nvme_ctrlr_opts o = {0};
	int rc;

	if (attach_dhchap_keys(req, p->dhchap_key, p->dhchap_ctrlr_key, &o) != 0)
		return;
	rc = bdev_nvme_set_dhchap_keys(p->name, o.dhchap_key, o.dhchap_ctrlr_key, set_keys_done, req);
	/* The controllers hold their own references. */
	sio_key_put(o.dhchap_key);
	sio_key_put(o.dhchap_ctrlr_key);
	if (rc != 0)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s: %s", p->name,
				      rc == -ENODEV ? "no such controller" : strerror(-rc));
}

struct detach_params {
	const char *name, *trtype, *traddr, *adrfam, *trsvcid, *subnqn, *hostaddr, *hostsvcid;
};

#define DP(n, r, f) SIO_RPC_PARAM(n, SIO_RPC_STRING, r, struct detach_params, f)
static const struct sio_rpc_param detach_params[] = {
	DP("name", true, name), DP("trtype", false, trtype), DP("traddr", false, traddr),
	DP("adrfam", false, adrfam), DP("trsvcid", false, trsvcid), DP("subnqn", false, subnqn),
	DP("hostaddr", false, hostaddr), DP("hostsvcid", false, hostsvcid),
};

static void detach_done(void *arg, int rc)
{
	if (rc != 0)
		sio_rpc_request_fail_errno(arg, rc);
	else
		sio_rpc_request_complete(arg, json_true());
}

static void rpc_detach(struct sio_rpc_request *req, void *params)
{
	struct detach_params *p = params;
	struct sio_nvme_transport_id f;
	int rc;

	/* The transport fields given choose the paths; none given: every path. */
	memset(&f, 0, sizeof(f));
	if ((p->trtype != NULL && sio_nvme_transport_type_parse(p->trtype, &f.trtype) != 0) ||
	    (p->adrfam != NULL && sio_nvme_adrfam_parse(p->adrfam, &f.adrfam) != 0) ||
	    set_str(f.traddr, sizeof(f.traddr), p->traddr) ||
	    set_str(f.trsvcid, sizeof(f.trsvcid), p->trsvcid) ||
	    set_str(f.subnqn, sizeof(f.subnqn), p->subnqn) ||
	    set_str(f.hostaddr, sizeof(f.hostaddr), p->hostaddr) ||
	    set_str(f.hostsvcid, sizeof(f.hostsvcid), p->hostsvcid)) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "a path field is invalid");
		return;
	}
	rc = bdev_nvme_detach(p->name, &f, detach_done, req);
	if (rc == -ENODEV)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "name: no controller %s with such a path", p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

struct name_params {
	const char *name;
};

static const struct sio_rpc_param get_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, false, struct name_params, name),
};

static void rpc_get_controllers(struct sio_rpc_request *req, void *params)
{
	struct name_params *p = params;
	json_t *arr = bdev_nvme_controllers_json(p->name);

	if (arr == NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "name: no controller %s",
				      p->name);
		return;
	}
	sio_rpc_request_complete(req, arr);
}

struct reset_params {
	const char *name;
	uint16_t cntlid;
};

static const struct sio_rpc_param reset_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct reset_params, name),
	SIO_RPC_PARAM("cntlid", SIO_RPC_UINT16, false, struct reset_params, cntlid),
};

/* SPDK's: with cntlid, only that controller (one path of a multipath name) is reset. */
static void rpc_reset(struct sio_rpc_request *req, void *params)
{
	struct reset_params *p = params;
	bool one = json_object_get(sio_rpc_request_params_json(req), "cntlid") != NULL;
	int rc = bdev_nvme_reset(p->name, one ? (int32_t)p->cntlid : -1, detach_done, req);

	if (rc == -ENOENT)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "cntlid: controller %s has no path with cntlid %u", p->name,
				      p->cntlid);
	else if (rc == -ENODEV)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "name: no controller %s",
				      p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

/* ---- bdev_nvme_set_options ---- */

static const char *const g_timeout_actions[] = { "none", "reset", "abort", NULL };
static const char *const g_mp_policies[] = { "active_passive", "active_active", NULL };
static const char *const g_mp_selectors[] = { "round_robin", "queue_depth", NULL };

struct set_options_params {
	const char *action_on_timeout;
	uint64_t timeout_us, timeout_admin_us;
	uint32_t keep_alive_timeout_ms;
	/* Accepted for SPDK's configs; no effect here (docs/nvme.md). */
	uint32_t arbitration_burst, low_priority_weight, medium_priority_weight, high_priority_weight;
	uint64_t nvme_adminq_poll_period_us, nvme_ioq_poll_period_us;
	uint32_t io_queue_requests;
	bool delay_cmd_submit;
	uint32_t transport_retry_count;
	int32_t bdev_retry_count;
	uint8_t transport_ack_timeout;
	int32_t ctrlr_loss_timeout_sec;
	uint32_t reconnect_delay_sec, fast_io_fail_timeout_sec;
	bool disable_auto_failback, generate_uuids;
	uint8_t transport_tos;
	bool nvme_error_stat;
	uint32_t rdma_srq_size;
	bool io_path_stat, allow_accel_sequence;
	uint32_t rdma_max_cq_size;
	uint16_t rdma_cm_event_timeout_ms;
	json_t *dhchap_digests, *dhchap_dhgroups;
	bool rdma_umr_per_io;
	uint32_t tcp_connect_timeout_ms;
	bool enable_flush;
	json_t *multipath_opts;
};

#define SO(n, t, f) SIO_RPC_PARAM(n, t, false, struct set_options_params, f)
static const struct sio_rpc_param set_options_params[] = {
	{ .name = "action_on_timeout", .type = SIO_RPC_ENUM, .required = false,
	  .offset = offsetof(struct set_options_params, action_on_timeout),
	  .class_name = "bdev_nvme_timeout_action", .enum_values = g_timeout_actions },
	SO("timeout_us", SIO_RPC_UINT64, timeout_us),
	SO("timeout_admin_us", SIO_RPC_UINT64, timeout_admin_us),
	SO("keep_alive_timeout_ms", SIO_RPC_UINT32, keep_alive_timeout_ms),
	SO("arbitration_burst", SIO_RPC_UINT32, arbitration_burst),
	SO("low_priority_weight", SIO_RPC_UINT32, low_priority_weight),
	SO("medium_priority_weight", SIO_RPC_UINT32, medium_priority_weight),
	SO("high_priority_weight", SIO_RPC_UINT32, high_priority_weight),
	SO("nvme_adminq_poll_period_us", SIO_RPC_UINT64, nvme_adminq_poll_period_us),
	SO("nvme_ioq_poll_period_us", SIO_RPC_UINT64, nvme_ioq_poll_period_us),
	SO("io_queue_requests", SIO_RPC_UINT32, io_queue_requests),
	SO("delay_cmd_submit", SIO_RPC_BOOL, delay_cmd_submit),
	SO("transport_retry_count", SIO_RPC_UINT32, transport_retry_count),
	SO("bdev_retry_count", SIO_RPC_INT32, bdev_retry_count),
	SO("transport_ack_timeout", SIO_RPC_UINT8, transport_ack_timeout),
	SO("ctrlr_loss_timeout_sec", SIO_RPC_INT32, ctrlr_loss_timeout_sec),
	SO("reconnect_delay_sec", SIO_RPC_UINT32, reconnect_delay_sec),
	SO("fast_io_fail_timeout_sec", SIO_RPC_UINT32, fast_io_fail_timeout_sec),
	SO("disable_auto_failback", SIO_RPC_BOOL, disable_auto_failback),
	SO("generate_uuids", SIO_RPC_BOOL, generate_uuids),
	SO("transport_tos", SIO_RPC_UINT8, transport_tos),
	SO("nvme_error_stat", SIO_RPC_BOOL, nvme_error_stat),
	SO("rdma_srq_size", SIO_RPC_UINT32, rdma_srq_size),
	SO("io_path_stat", SIO_RPC_BOOL, io_path_stat),
	SO("allow_accel_sequence", SIO_RPC_BOOL, allow_accel_sequence),
	SO("rdma_max_cq_size", SIO_RPC_UINT32, rdma_max_cq_size),
	SO("rdma_cm_event_timeout_ms", SIO_RPC_UINT16, rdma_cm_event_timeout_ms),
	{ .name = "dhchap_digests", .type = SIO_RPC_ARRAY, .required = false,
	  .offset = offsetof(struct set_options_params, dhchap_digests),
	  .class_name = "dhchap_digests" },
	{ .name = "dhchap_dhgroups", .type = SIO_RPC_ARRAY, .required = false,
	  .offset = offsetof(struct set_options_params, dhchap_dhgroups),
	  .class_name = "dhchap_dhgroups" },
	SO("rdma_umr_per_io", SIO_RPC_BOOL, rdma_umr_per_io),
	SO("tcp_connect_timeout_ms", SIO_RPC_UINT32, tcp_connect_timeout_ms),
	SO("enable_flush", SIO_RPC_BOOL, enable_flush),
	{ .name = "multipath_opts", .type = SIO_RPC_OBJECT, .required = false,
	  .offset = offsetof(struct set_options_params, multipath_opts),
	  .class_name = "bdev_nvme_multipath_opts" },
};

static int enum_index(const char *const *values, const char *s)
{
	for (int i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], s) == 0)
			return i;
	return -1;
}

/* SPDK's defaults of the parameters that have no effect here (all others 0/false). */
#define SPDK_ADMINQ_POLL_PERIOD_US 10000
#define SPDK_TRANSPORT_RETRY_COUNT 4
#define SPDK_DELAY_CMD_SUBMIT true

/* Absent parameters keep the current values (SPDK's set_options is a patch). */
static void set_options_params_init(void *params)
{
	const struct bdev_nvme_opts *o = &g_bdev_nvme_opts;
	struct set_options_params *p = params;

	/* The no-effect ones start at SPDK's defaults, so that only a value
	 * given and different from SPDK's earns the notice (a config SPDK saved
	 * with its defaults loads silently). */
	p->nvme_adminq_poll_period_us = SPDK_ADMINQ_POLL_PERIOD_US;
	p->transport_retry_count = SPDK_TRANSPORT_RETRY_COUNT;
	p->delay_cmd_submit = SPDK_DELAY_CMD_SUBMIT;

	p->action_on_timeout = g_timeout_actions[o->action_on_timeout];
	p->timeout_us = o->timeout_us;
	p->timeout_admin_us = o->timeout_admin_us;
	p->keep_alive_timeout_ms = o->keep_alive_timeout_ms;
	p->io_queue_requests = o->io_queue_requests;
	p->bdev_retry_count = o->bdev_retry_count;
	p->ctrlr_loss_timeout_sec = o->ctrlr_loss_timeout_sec;
	p->reconnect_delay_sec = o->reconnect_delay_sec;
	p->fast_io_fail_timeout_sec = o->fast_io_fail_timeout_sec;
	p->disable_auto_failback = o->disable_auto_failback;
	p->tcp_connect_timeout_ms = o->tcp_connect_timeout_ms;
	p->io_path_stat = o->io_path_stat;
}

/*
 * A dhchap_digests / dhchap_dhgroups array of SPDK names -> mask (1 << id);
 * absent (NULL) keeps @mask. False, with the RPC error sent, for an unknown
 * name or an empty list (nothing could be negotiated).
 */
static bool dhchap_mask_from_json(struct sio_rpc_request *req, const json_t *arr,
				  const char *param, int (*from_name)(const char *),
				  uint32_t *mask)
{
	uint32_t m = 0;
	json_t *v;
	size_t i;

	if (arr == NULL)
		return true;
	json_array_foreach(arr, i, v) {
		int id = json_is_string(v) ? from_name(json_string_value(v)) : -EINVAL;

		if (id < 0) {
			sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
					      "%s: unknown value at index %zu", param, i);
			return false;
		}
		m |= 1u << id;
	}
	if (m == 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "%s: empty", param);
		return false;
	}
	*mask = m;
	return true;
}

/*
 * One NOTICE naming the parameters given a value other than SPDK's default
 * that have no effect here (docs/nvme.md): accepted, so that SPDK's configs
 * keep loading, but not silently.
 */
static void notice_no_effect(const struct set_options_params *p)
{
	const struct {
		const char *name;
		bool set;
	} v[] = {
		{ "timeout_admin_us", p->timeout_admin_us != 0 },
		{ "arbitration_burst", p->arbitration_burst != 0 },
		{ "low_priority_weight", p->low_priority_weight != 0 },
		{ "medium_priority_weight", p->medium_priority_weight != 0 },
		{ "high_priority_weight", p->high_priority_weight != 0 },
		{ "nvme_adminq_poll_period_us",
		  p->nvme_adminq_poll_period_us != SPDK_ADMINQ_POLL_PERIOD_US },
		{ "nvme_ioq_poll_period_us", p->nvme_ioq_poll_period_us != 0 },
		{ "delay_cmd_submit", p->delay_cmd_submit != SPDK_DELAY_CMD_SUBMIT },
		{ "transport_retry_count", p->transport_retry_count != SPDK_TRANSPORT_RETRY_COUNT },
		{ "transport_ack_timeout", p->transport_ack_timeout != 0 },
		{ "transport_tos", p->transport_tos != 0 },
		{ "generate_uuids", p->generate_uuids },
		{ "nvme_error_stat", p->nvme_error_stat },
		{ "allow_accel_sequence", p->allow_accel_sequence },
		{ "enable_flush", p->enable_flush },
		{ "rdma_srq_size", p->rdma_srq_size != 0 },
		{ "rdma_max_cq_size", p->rdma_max_cq_size != 0 },
		{ "rdma_cm_event_timeout_ms", p->rdma_cm_event_timeout_ms != 0 },
		{ "rdma_umr_per_io", p->rdma_umr_per_io },
	};
	char list[512];
	size_t len = 0;

	list[0] = '\0';
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int n;

		if (!v[i].set)
			continue;
		n = snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", v[i].name);
		if (n < 0 || (size_t)n >= sizeof(list) - len)
			break; /* cannot happen: the names fit */
		len += (size_t)n;
	}
	if (len > 0)
		SIO_NOTICELOG("bdev_nvme_set_options: accepted, no effect here (docs/nvme.md): %s",
			      list);
}

static void rpc_set_options(struct sio_rpc_request *req, void *params)
{
	struct set_options_params *p = params;
	struct bdev_nvme_opts o = g_bdev_nvme_opts;
	int rc;

	o.action_on_timeout = (enum bdev_nvme_timeout_action)enum_index(g_timeout_actions,
									  p->action_on_timeout);
	o.timeout_us = p->timeout_us;
	o.timeout_admin_us = p->timeout_admin_us;
	o.keep_alive_timeout_ms = p->keep_alive_timeout_ms;
	o.io_queue_requests = p->io_queue_requests;
	o.bdev_retry_count = p->bdev_retry_count;
	o.ctrlr_loss_timeout_sec = p->ctrlr_loss_timeout_sec;
	o.reconnect_delay_sec = p->reconnect_delay_sec;
	o.fast_io_fail_timeout_sec = p->fast_io_fail_timeout_sec;
	o.disable_auto_failback = p->disable_auto_failback;
	o.tcp_connect_timeout_ms = p->tcp_connect_timeout_ms;
	o.io_path_stat = p->io_path_stat;
	if (!dhchap_mask_from_json(req, p->dhchap_digests, "dhchap_digests", dhchap_hash_from_name,
				   &o.dhchap_digests) ||
	    !dhchap_mask_from_json(req, p->dhchap_dhgroups, "dhchap_dhgroups",
				   dhchap_dhgroup_from_name, &o.dhchap_dhgroups))
		return;
	if (o.bdev_retry_count < -1) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "bdev_retry_count: -1 or more");
		return;
	}
	/* SPDK's rules tying the three reconnect defaults together. */
	if (o.ctrlr_loss_timeout_sec < -1 ||
	    (o.ctrlr_loss_timeout_sec != 0 && o.reconnect_delay_sec == 0) ||
	    (o.ctrlr_loss_timeout_sec > 0 &&
	     (o.reconnect_delay_sec > (uint32_t)o.ctrlr_loss_timeout_sec ||
	      o.fast_io_fail_timeout_sec > (uint32_t)o.ctrlr_loss_timeout_sec))) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "ctrlr_loss_timeout_sec, reconnect_delay_sec, fast_io_fail_timeout_sec: "
				      "need reconnect_delay_sec > 0 and fast_io_fail <= ctrlr_loss >= reconnect_delay");
		return;
	}
	if (p->multipath_opts != NULL) {
		json_t *v;

		v = json_object_get(p->multipath_opts, "policy");
		if (v != NULL) {
			rc = json_is_string(v) ? enum_index(g_mp_policies, json_string_value(v)) : -1;
			if (rc < 0)
				goto bad_mp;
			o.mp_policy = (enum bdev_nvme_mp_policy)rc;
		}
		v = json_object_get(p->multipath_opts, "selector");
		if (v != NULL) {
			rc = json_is_string(v) ? enum_index(g_mp_selectors, json_string_value(v)) : -1;
			if (rc < 0)
				goto bad_mp;
			o.mp_selector = (enum bdev_nvme_mp_selector)rc;
		}
		v = json_object_get(p->multipath_opts, "min_io");
		if (v != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > UINT32_MAX)
				goto bad_mp;
			o.mp_min_io = (uint32_t)json_integer_value(v);
		}
	}
	rc = bdev_nvme_set_opts(&o);
	if (rc == -EPERM) {
		sio_rpc_request_error(req, rc, "bdev_nvme_set_options: controllers are attached already");
		return;
	}
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	notice_no_effect(p);
	sio_rpc_request_complete(req, json_true());
	return;
bad_mp:
	sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
			      "multipath_opts: policy active_passive|active_active, selector "
			      "round_robin|queue_depth, min_io >= 1");
}

/* ---- bdev_nvme_set_multipath_policy ---- */

struct mp_policy_params {
	const char *name, *policy, *selector;
	uint32_t rr_min_io;
};

static const struct sio_rpc_param mp_policy_params[] = {
	SIO_RPC_PARAM("name", SIO_RPC_STRING, true, struct mp_policy_params, name),
	{ .name = "policy", .type = SIO_RPC_ENUM, .required = true,
	  .offset = offsetof(struct mp_policy_params, policy),
	  .class_name = "bdev_nvme_multipath_policy", .enum_values = g_mp_policies },
	{ .name = "selector", .type = SIO_RPC_ENUM, .required = false,
	  .offset = offsetof(struct mp_policy_params, selector),
	  .class_name = "bdev_nvme_multipath_selector", .enum_values = g_mp_selectors },
	SIO_RPC_PARAM("rr_min_io", SIO_RPC_UINT32, false, struct mp_policy_params, rr_min_io),
};

static void rpc_set_multipath_policy(struct sio_rpc_request *req, void *params)
{
	struct mp_policy_params *p = params;
	int policy = enum_index(g_mp_policies, p->policy);
	int selector = p->selector ? enum_index(g_mp_selectors, p->selector) : 0;
	int rc;

	/* SPDK's rules: a selector only with active_active, rr_min_io only with round_robin. */
	if (p->selector != NULL && policy != BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "selector only works in active_active mode");
		return;
	}
	if (p->rr_min_io != 0 && selector != BDEV_NVME_MP_SELECTOR_ROUND_ROBIN) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "rr_min_io only works with the round_robin selector");
		return;
	}
	rc = bdev_nvme_set_multipath_policy(p->name, (enum bdev_nvme_mp_policy)policy,
					    (enum bdev_nvme_mp_selector)selector, p->rr_min_io);
	if (rc == -ENODEV) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "name: no nvme bdev %s",
				      p->name);
		return;
	}
	if (rc != 0) {
		sio_rpc_request_fail_errno(req, rc);
		return;
	}
	sio_rpc_request_complete(req, json_true());
}

/* ---- bdev_nvme_get_io_paths ---- */

static void io_paths_done(void *arg, int rc, json_t *result)
{
	if (rc != 0)
		sio_rpc_request_fail_errno(arg, rc);
	else
		sio_rpc_request_complete(arg, result);
}

static void rpc_get_io_paths(struct sio_rpc_request *req, void *params)
{
	struct name_params *p = params;
	int rc = bdev_nvme_get_io_paths(p->name, io_paths_done, req);

	if (rc == -ENODEV)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "name: no nvme bdev %s",
				      p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

/* ---- bdev_nvme_get_transport_statistics ---- */

static void rpc_get_transport_statistics(struct sio_rpc_request *req, void *params)
{
	int rc;

	(void)params;
	rc = bdev_nvme_get_transport_statistics(io_paths_done, req);
	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

static const struct sio_rpc_method nvme_methods[] = {
	{.name = "bdev_nvme_attach_controller", .handler = rpc_attach, .params = attach_params,
	 .param_count = SIO_RPC_COUNT(attach_params), .params_size = sizeof(struct attach_params),
	 .params_init = attach_params_init, .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_set_options", .handler = rpc_set_options, .params = set_options_params,
	 .param_count = SIO_RPC_COUNT(set_options_params),
	 .params_size = sizeof(struct set_options_params), .params_init = set_options_params_init,
	 .state_mask = SIO_RPC_STARTUP | SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_set_multipath_policy", .handler = rpc_set_multipath_policy,
	 .params = mp_policy_params, .param_count = SIO_RPC_COUNT(mp_policy_params),
	 .params_size = sizeof(struct mp_policy_params), .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_get_io_paths", .handler = rpc_get_io_paths, .params = get_params,
	 .param_count = SIO_RPC_COUNT(get_params), .params_size = sizeof(struct name_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_get_transport_statistics", .handler = rpc_get_transport_statistics,
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_set_keys", .handler = rpc_set_keys, .params = set_keys_params,
	 .param_count = SIO_RPC_COUNT(set_keys_params), .params_size = sizeof(struct set_keys_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_detach_controller", .handler = rpc_detach, .params = detach_params,
	 .param_count = SIO_RPC_COUNT(detach_params), .params_size = sizeof(struct detach_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_get_controllers", .handler = rpc_get_controllers, .params = get_params,
	 .param_count = SIO_RPC_COUNT(get_params), .params_size = sizeof(struct name_params),
	 .state_mask = SIO_RPC_RUNTIME},
	{.name = "bdev_nvme_reset_controller", .handler = rpc_reset, .params = reset_params,
	 .param_count = SIO_RPC_COUNT(reset_params), .params_size = sizeof(struct reset_params),
	 .state_mask = SIO_RPC_RUNTIME},
};

const struct sio_rpc_method_table sio_rpc_table_bdev_nvme = {
	nvme_methods, SIO_RPC_COUNT(nvme_methods)};
