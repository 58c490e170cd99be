/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPC methods tested inside a running app (sio_app_run()), through the same
 * dispatch as the JSON config and the socket server (sio_rpc_call()), from
 * the app's main task: call, await, look at the code, message and result.
 * Checks that count failures instead of aborting, so one run reports every
 * broken expectation and the app still shuts down in order.
 */
#ifndef SIO_UT_RPC_H
#define SIO_UT_RPC_H

#include <stdio.h>

#include <jansson.h>

#include "spdk_io/app.h"
#include "spdk_io/async.h"

/* The outcome of one ut_rpc() call. */
struct ut_rpc_res {
	struct sio_future f; /* completed by the reply */
	int code;            /* the JSON-RPC error code; 0 on success */
	char msg[256];       /* the error message; "" on success */
	json_t *result;      /* the result (a reference the caller puts); NULL on error */
};

/*
 * ut_rpc() - Call @method with params parsed from @params_text (NULL: none)
 * and await the reply.
 *
 * Context: a task of the running app (it parks until the method replies).
 * Return: the JSON-RPC code, 0 on success (*@r holds the result: put it with
 * ut_rpc_free()); sio_rpc_call()'s negative errno if the call was not made.
 */
int ut_rpc(const char *method, const char *params_text, struct ut_rpc_res *r);

/* ut_rpc_free() - Put @r's result (if any). */
void ut_rpc_free(struct ut_rpc_res *r);

/*
 * ut_rpc_ok() - ut_rpc() whose result is not needed: printed to stderr with
 * the method and params if it failed, then put.
 * Return: as ut_rpc().
 */
int ut_rpc_ok(const char *method, const char *params_text);

/*
 * ut_rpc_run_app() - sio_app_run() with no RPC socket, @config_text as the
 * JSON config (NULL: none) and @fn as the main function.
 * Context: the test's main thread, no app running.
 * Return: what sio_app_run() returns.
 */
int ut_rpc_run_app(const char *config_text, sio_app_main_fn fn);

/* Failed UT_CHECK()s so far; the test asserts it is 0 after the app ran. */
extern int g_ut_failures;

/* Counts and prints a failed expectation; the test goes on. */
#define UT_CHECK(cond)                                                                     \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			g_ut_failures++;                                                   \
		}                                                                          \
	} while (0)

#endif /* SIO_UT_RPC_H */
