/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC server's stream handling, in process: the real server code
 * (src/app/rpc/server.c, included here so its static functions are reachable)
 * serves one connection whose peer end is a socketpair the harness writes the
 * input into, split into chunks at points the input chooses. rpc_poll() is
 * the real poller body: read, frame, parse, check the envelope, dispatch
 * through the real request path (param decoding included), reply, flush,
 * close.
 *
 * Dispatch goes to a table of test methods instead of the library's (the
 * real handlers need a running app; their param tables are fuzzed by
 * fuzz_rpc_params and through the config loader by fuzz_config). The test
 * methods cover every way a handler completes: at once with a result, with
 * an error or an errno, later (the connection is busy meanwhile), with an
 * action after the reply, and a method of the wrong state.
 *
 * Input: byte 0 seeds the split points, byte 1 bounds the chunk size
 * (255: one chunk), the rest is the client's byte stream.
 * Properties: every reply line is a JSON-RPC 2.0 response object; the
 * connection always ends (no hang) once the client has shut its write side;
 * nothing leaks; every after-reply action runs exactly once.
 */
#define sio_rpc_find_method fuzz_find_method
#include "../src/app/rpc/server.c"
#undef sio_rpc_find_method

#include <poll.h>

#include "fuzz.h"

/* ---- test methods ---- */

struct all_params {
	const char *s;
	bool b;
	int32_t i32;
	int64_t i64;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	double num;
	const char *uuid;
	const char *color;
	const json_t *obj;
	const json_t *arr;
};

static const char *const g_colors[] = {"red", "green", "blue", NULL};

static const struct sio_rpc_param g_all_params[] = {
	SIO_RPC_PARAM("s", SIO_RPC_STRING, false, struct all_params, s),
	SIO_RPC_PARAM("b", SIO_RPC_BOOL, false, struct all_params, b),
	SIO_RPC_PARAM("i32", SIO_RPC_INT32, false, struct all_params, i32),
	SIO_RPC_PARAM("i64", SIO_RPC_INT64, false, struct all_params, i64),
	SIO_RPC_PARAM("u8", SIO_RPC_UINT8, false, struct all_params, u8),
	SIO_RPC_PARAM("u16", SIO_RPC_UINT16, false, struct all_params, u16),
	SIO_RPC_PARAM("u32", SIO_RPC_UINT32, false, struct all_params, u32),
	SIO_RPC_PARAM("u64", SIO_RPC_UINT64, false, struct all_params, u64),
	SIO_RPC_PARAM("num", SIO_RPC_NUMBER, false, struct all_params, num),
	SIO_RPC_PARAM("uuid", SIO_RPC_UUID, false, struct all_params, uuid),
	{.name = "color", .type = SIO_RPC_ENUM, .offset = offsetof(struct all_params, color),
	 .class_name = "color", .enum_values = g_colors},
	SIO_RPC_PARAM("obj", SIO_RPC_OBJECT, false, struct all_params, obj),
	SIO_RPC_PARAM("arr", SIO_RPC_ARRAY, false, struct all_params, arr),
};

struct error_params {
	int32_t code;
	const char *message;
};

static const struct sio_rpc_param g_error_params[] = {
	SIO_RPC_PARAM("code", SIO_RPC_INT32, true, struct error_params, code),
	SIO_RPC_PARAM("message", SIO_RPC_STRING, false, struct error_params, message),
};

static struct sio_rpc_request *g_pending;
static unsigned int g_after_set, g_after_ran;

static void rpc_echo(struct sio_rpc_request *req, void *params)
{
	const json_t *p = sio_rpc_request_params_json(req);

	/* Arbitrary client strings go back out: the encoder must cope with all of them. */
	sio_rpc_request_complete(req, p != NULL ? json_deep_copy(p) : NULL);
}

static void rpc_error(struct sio_rpc_request *req, void *params)
{
	struct error_params *e = params;

	sio_rpc_request_error(req, e->code, "%s", e->message ? e->message : "");
}

static void rpc_errno(struct sio_rpc_request *req, void *params)
{
	sio_rpc_request_fail_errno(req, ((struct error_params *)params)->code);
}

static void rpc_later(struct sio_rpc_request *req, void *params)
{
	FUZZ_CHECK(g_pending == NULL, "a second request started while one is in flight");
	g_pending = req;
}

static void after_reply(void *arg)
{
	g_after_ran++;
}

static void rpc_after(struct sio_rpc_request *req, void *params)
{
	g_after_set++;
	app_rpc_request_set_after_reply(req, after_reply, NULL);
	sio_rpc_request_complete(req, json_string("bye"));
}

static void rpc_nothing(struct sio_rpc_request *req, void *params)
{
	sio_rpc_request_complete(req, NULL);
}

#define BOTH (SIO_RPC_STARTUP | SIO_RPC_RUNTIME)
static const struct sio_rpc_method g_methods[] = {
	{.name = "after", .handler = rpc_after, .state_mask = BOTH},
	{.name = "echo", .handler = rpc_echo, .params = g_all_params,
	 .param_count = SIO_RPC_COUNT(g_all_params), .params_size = sizeof(struct all_params),
	 .state_mask = BOTH},
	{.name = "errno", .handler = rpc_errno, .params = g_error_params,
	 .param_count = SIO_RPC_COUNT(g_error_params), .params_size = sizeof(struct error_params),
	 .state_mask = BOTH},
	{.name = "error", .handler = rpc_error, .params = g_error_params,
	 .param_count = SIO_RPC_COUNT(g_error_params), .params_size = sizeof(struct error_params),
	 .state_mask = BOTH},
	{.name = "later", .handler = rpc_later, .state_mask = BOTH},
	{.name = "nothing", .handler = rpc_nothing, .state_mask = BOTH},
	{.name = "startup_only", .handler = rpc_nothing, .state_mask = SIO_RPC_STARTUP},
};

const struct sio_rpc_method *fuzz_find_method(const char *name)
{
	for (size_t i = 0; i < SIO_RPC_COUNT(g_methods); i++) {
		if (strcmp(g_methods[i].name, name) == 0)
			return &g_methods[i];
	}
	return NULL;
}

/* ---- driver ---- */

struct replies {
	char buf[1 << 16];
	size_t len;
	size_t count;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sio_log_set_level(SIO_LOG_DISABLED);
	app_rpc_set_state(SIO_RPC_RUNTIME);
	TAILQ_INIT(&g_srv.conns);
	g_srv.lfd = -1; /* accept_new() finds nobody waiting */
	return 0;
}

static void check_reply(const char *line, size_t len)
{
	json_error_t err;
	json_t *r = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	json_t *res, *error;

	FUZZ_CHECK(r != NULL, "reply is not JSON: %s: %.*s", err.text, (int)len, line);
	FUZZ_CHECK(json_is_object(r), "reply is not an object");
	FUZZ_CHECK(json_is_string(json_object_get(r, "jsonrpc")) &&
			   strcmp(json_string_value(json_object_get(r, "jsonrpc")), "2.0") == 0,
		   "reply without \"jsonrpc\":\"2.0\"");
	FUZZ_CHECK(json_object_get(r, "id") != NULL, "reply without an id");
	res = json_object_get(r, "result");
	error = json_object_get(r, "error");
	FUZZ_CHECK((res != NULL) != (error != NULL), "reply needs exactly one of result/error");
	if (error != NULL) {
		FUZZ_CHECK(json_is_integer(json_object_get(error, "code")) &&
				   json_integer_value(json_object_get(error, "code")) != 0,
			   "error without a non-zero code");
		FUZZ_CHECK(json_is_string(json_object_get(error, "message")),
			   "error without a message");
	}
	json_decref(r);
}

/* Take what the server wrote; check every complete line. */
static void drain(int fd, struct replies *r)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (r->len == sizeof(r->buf)) {
			/* One reply larger than the buffer: echo of a huge request. Skip its bytes. */
			r->len = 0;
		}
		n = recv(fd, r->buf + r->len, sizeof(r->buf) - r->len, MSG_DONTWAIT);
		if (n <= 0)
			return;
		r->len += (size_t)n;
		while ((nl = memchr(r->buf, '\n', r->len)) != NULL) {
			size_t line = (size_t)(nl - r->buf);

			check_reply(r->buf, line);
			r->count++;
			memmove(r->buf, nl + 1, r->len - line - 1);
			r->len -= line + 1;
		}
	}
}

/* One turn of the server's poller, then whatever a deferred handler owes. */
static void step(int peer, struct replies *r)
{
	rpc_poll(NULL);
	if (g_pending != NULL) {
		struct sio_rpc_request *req = g_pending;

		g_pending = NULL;
		sio_rpc_request_complete(req, json_string("later"));
	}
	drain(peer, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct replies r;
	struct rpc_conn *c;
	uint32_t rng;
	size_t max_chunk, off;
	int sv[2];
	unsigned int turns;

	if (size < 2)
		return 0;
	rng = data[0] * 2654435761u + 1;
	max_chunk = data[1] == 0xff ? size : (size_t)data[1] + 1;
	data += 2;
	size -= 2;
	r.len = r.count = 0;
	g_after_set = g_after_ran = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->fd = sv[0];
	TAILQ_INSERT_TAIL(&g_srv.conns, c, link);
	g_srv.nconns = 1;

	for (off = 0; off < size && g_srv.nconns > 0;) {
		size_t len;
		ssize_t n;

		rng = rng * 1103515245u + 12345u;
		len = 1 + (rng >> 8) % max_chunk;
		if (len > size - off)
			len = size - off;
		n = send(sv[1], data + off, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break; /* the server closed the connection */
		step(sv[1], &r);
	}
	/* The client is done: the server must answer what it has and close. */
	shutdown(sv[1], SHUT_WR);
	for (turns = 0; g_srv.nconns > 0; turns++) {
		FUZZ_CHECK(turns < 10000, "connection still open after the client finished");
		step(sv[1], &r);
	}
	drain(sv[1], &r);
	close(sv[1]);
	FUZZ_CHECK(g_after_ran == g_after_set, "%u after-reply actions set, %u ran", g_after_set,
		   g_after_ran);
	return 0;
}

/* The real server's entry points are not used here but server.c defines them. */
