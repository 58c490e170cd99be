/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A request in flight: the decoded param struct, who gets the outcome (an RPC
 * connection or the config loader), and an action to run once the reply is
 * sent. Handlers complete it exactly once, at once or later.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"

struct sio_rpc_request {
	const struct sio_rpc_method *method;
	json_t *params_json;
	void *params;
	bool from_config;
	bool completed;
	app_rpc_done_fn done;
	void *done_ctx;
	app_rpc_after_fn after_fn;
	void *after_arg;
	/* Decoded params live right after the struct; max_align_t keeps them aligned. */
	max_align_t storage[];
};

static void finish(struct sio_rpc_request *req, int code, const char *message, json_t *result)
{
	/* Catches a handler that completes again from inside its own completion;
	 * after finish() returns the request is freed and cannot be checked. */
	if (req->completed) {
		SIO_ERRLOG("RPC %s completed twice", req->method->name);
		json_decref(result);
		return;
	}
	req->completed = true;
	req->done(req->done_ctx, req, code, message, result);
	if (req->after_fn != NULL)
		req->after_fn(req->after_arg);
	json_decref(req->params_json);
	free(req);
}

void app_rpc_request_start(const struct sio_rpc_method *method, json_t *params, bool from_config,
			   app_rpc_done_fn done, void *ctx)
{
	struct sio_rpc_request *req;
	char msg[512];
	int rc;

	req = calloc(1, sizeof(*req) + method->params_size);
	if (req == NULL) {
		done(ctx, NULL, SIO_RPC_ERROR_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	req->method = method;
	req->params_json = json_incref(params);
	req->params = method->params_size > 0 ? (void *)req->storage : NULL;
	req->from_config = from_config;
	req->done = done;
	req->done_ctx = ctx;

	rc = sio_rpc_decode_params(method, params, req->params, msg, sizeof(msg));
	if (rc != 0) {
		finish(req, SIO_RPC_ERROR_INVALID_PARAMS, msg, NULL);
		return;
	}
	method->handler(req, req->params);
}

void sio_rpc_request_complete(struct sio_rpc_request *req, json_t *result)
{
	if (req == NULL) {
		json_decref(result);
		return;
	}
	finish(req, 0, NULL, result != NULL ? result : json_true());
}

void sio_rpc_request_error(struct sio_rpc_request *req, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (req == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Code 0 would read as success to the transport; keep it an error. */
	finish(req, code != 0 ? code : SIO_RPC_ERROR_INTERNAL_ERROR, msg, NULL);
}

void sio_rpc_request_fail_errno(struct sio_rpc_request *req, int rc)
{
	if (rc > 0)
		rc = -rc;
	if (rc == 0)
		rc = -EIO;
	sio_rpc_request_error(req, rc, "%s", strerror(-rc));
}

const struct sio_rpc_method *sio_rpc_request_method(const struct sio_rpc_request *req)
{
	return req != NULL ? req->method : NULL;
}

const json_t *sio_rpc_request_params_json(const struct sio_rpc_request *req)
{
	return req != NULL ? req->params_json : NULL;
}

bool sio_rpc_request_from_config(const struct sio_rpc_request *req)
{
	return req != NULL && req->from_config;
}

void app_rpc_request_set_after_reply(struct sio_rpc_request *req, app_rpc_after_fn fn, void *arg)
{
	req->after_fn = fn;
	req->after_arg = arg;
}

app_rpc_after_fn app_rpc_request_take_after_reply(struct sio_rpc_request *req, void **arg)
{
	app_rpc_after_fn fn = req->after_fn;

	*arg = req->after_arg;
	req->after_fn = NULL;
	return fn;
}

/* In-process calls (sio_rpc_call) */

struct call_ctx {
	sio_rpc_call_cb cb;
	void *cb_arg;
};

static void call_done(void *ctx, struct sio_rpc_request *req, int code, const char *message,
		      json_t *result)
{
	struct call_ctx c = *(struct call_ctx *)ctx;

	free(ctx);
	c.cb(c.cb_arg, code, message, result);
	json_decref(result);
}

int sio_rpc_call(const char *name, json_t *params, sio_rpc_call_cb cb, void *cb_arg)
{
	const struct sio_rpc_method *m;
	struct call_ctx *c;
	char msg[512];

	if (name == NULL || cb == NULL)
		return -EINVAL;
	m = sio_rpc_find_method(name);
	if (m == NULL)
		return -ENOENT;
	/* Validate up front so bad params are a return value, not a callback. */
	if (m->params_size > 0) {
		void *tmp = malloc(m->params_size);
		int rc;

		if (tmp == NULL)
			return -ENOMEM;
		rc = sio_rpc_decode_params(m, params, tmp, msg, sizeof(msg));
		free(tmp);
		if (rc != 0) {
			SIO_ERRLOG("%s", msg);
			return rc;
		}
	} else if (sio_rpc_decode_params(m, params, NULL, msg, sizeof(msg)) != 0) {
		SIO_ERRLOG("%s", msg);
		return -EINVAL;
	}
	c = malloc(sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->cb = cb;
	c->cb_arg = cb_arg;
	app_rpc_request_start(m, params, true, call_done, c);
	return 0;
}
