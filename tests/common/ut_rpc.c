/* SPDX-License-Identifier: BSD-3-Clause */
/* In-process RPC calls for tests (ut_rpc.h). */
#include <string.h>

#include "spdk_io/rpc.h"
#include "ut_rpc.h"

int g_ut_failures;

static void ut_rpc_done(void *arg, int code, const char *message, json_t *result)
{
	struct ut_rpc_res *r = arg;

	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", message ? message : "");
	r->result = result ? json_incref(result) : NULL;
	sio_future_complete(&r->f, 0, NULL);
}

int ut_rpc(const char *method, const char *params_text, struct ut_rpc_res *r)
{
	json_t *params = params_text ? json_loads(params_text, 0, NULL) : NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	sio_future_init(&r->f);
	rc = sio_rpc_call(method, params, ut_rpc_done, r);
	json_decref(params);
	if (rc != 0)
		return rc;
	sio_await(&r->f);
	return r->code;
}

void ut_rpc_free(struct ut_rpc_res *r)
{
	json_decref(r->result);
	r->result = NULL;
}

int ut_rpc_ok(const char *method, const char *params_text)
{
	struct ut_rpc_res r;
	int rc = ut_rpc(method, params_text, &r);

	if (rc != 0)
		fprintf(stderr, "%s %s: %d %s\n", method, params_text ? params_text : "", rc, r.msg);
	ut_rpc_free(&r);
	return rc;
}

int ut_rpc_run_app(const char *config_text, sio_app_main_fn fn)
{
	struct sio_app_opts opts;

	sio_app_opts_init(&opts, sizeof(opts));
	opts.rpc_addr = NULL;
	opts.json_config_text = config_text;
	return sio_app_run(&opts, fn, NULL);
}
