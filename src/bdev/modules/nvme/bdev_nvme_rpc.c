/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPDK's bdev_nvme RPC methods with SPDK's parameters: attach, detach,
 * get_controllers, reset_controller. Parameters SPDK has and this module
 * cannot honour are declared (the schema test requires them) and refused
 * with a message when given a value that would need them (TLS PSK,
 * DH-HMAC-CHAP keys, protection information checks, multipath).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdev/modules/nvme/bdev_nvme.h"
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

static void attach_done(void *arg, int rc, const char *const *names, size_t count)
{
	struct sio_rpc_request *req = arg;
	json_t *arr;

	if (rc != 0) {
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

static void rpc_attach(struct sio_rpc_request *req, void *params)
{
	struct attach_params *p = params;
	struct bdev_nvme_attach_opts o;
	struct sio_nvme_transport_id *t = &o.trid;
	int rc;

	memset(&o, 0, sizeof(o));
	if (p->psk != NULL || p->dhchap_key != NULL || p->dhchap_ctrlr_key != NULL) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "psk/dhchap_key: TLS and in-band authentication are not supported");
		return;
	}
	if (p->prchk_reftag || p->prchk_guard) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "prchk_reftag/prchk_guard: protection information is not supported");
		return;
	}
	if (p->multipath != NULL && strcmp(p->multipath, "disable") != 0 &&
	    strcmp(p->multipath, "failover") != 0) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "multipath: only \"failover\" and \"disable\" (one path per name)");
		return;
	}
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
	if (p->priority != NULL)
		t->priority = atoi(p->priority);
	sio_nvme_ctrlr_opts_init(&o.ctrlr_opts, sizeof(o.ctrlr_opts));
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
	rc = bdev_nvme_attach(&o, attach_done, req);
	if (rc == -EINVAL && (o.ctrlr_loss_timeout_sec != 0 || o.fast_io_fail_timeout_sec != 0)) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "ctrlr_loss_timeout_sec, reconnect_delay_sec, fast_io_fail_timeout_sec: "
				      "need reconnect_delay_sec > 0 and fast_io_fail <= ctrlr_loss >= reconnect_delay");
		return;
	}
	if (rc == -EEXIST) {
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS,
				      "name: controller %s already exists (one path per name)", p->name);
		return;
	}
	if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
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
	int rc;

	/* One path per name: the path filters SPDK takes are accepted and not
	 * needed to choose (the whole controller goes). */
	rc = bdev_nvme_detach(p->name, NULL, detach_done, req);
	if (rc != 0)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "name: no controller %s",
				      p->name);
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

static void rpc_reset(struct sio_rpc_request *req, void *params)
{
	struct reset_params *p = params;
	int rc = bdev_nvme_reset(p->name, detach_done, req);

	if (rc == -ENODEV)
		sio_rpc_request_error(req, SIO_RPC_ERROR_INVALID_PARAMS, "name: no controller %s",
				      p->name);
	else if (rc != 0)
		sio_rpc_request_fail_errno(req, rc);
}

static const struct sio_rpc_method nvme_methods[] = {
	{.name = "bdev_nvme_attach_controller", .handler = rpc_attach, .params = attach_params,
	 .param_count = SIO_RPC_COUNT(attach_params), .params_size = sizeof(struct attach_params),
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
