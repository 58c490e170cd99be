/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC 2.0 server on a Unix socket, driven by a timed poller on the
 * app thread (every 1 ms, every 10 ms after 100 ms with no client, so an
 * idle app sleeps). Non-blocking throughout: accept, read, and write never
 * wait.
 *
 * Each connection runs one request at a time: the next request in its buffer
 * is parsed only after the current one has replied. Replies therefore come in
 * request order (SPDK's clients read them in order), and a client that
 * pipelines many requests cannot make the server buffer unbounded replies.
 * A connection whose stream cannot be resynchronised (malformed JSON, a value
 * over the size limit, not an object) gets its error reply and is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/app_internal.h"

/* glibc's sys/queue.h lacks the _SAFE iterators. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                         \
	for ((var) = TAILQ_FIRST((head)); (var) && ((tvar) = TAILQ_NEXT((var), field), 1); \
	     (var) = (tvar))
#endif

/* How often the app thread looks at the socket; SPDK polls every 4 ms. */
#define RPC_POLL_PERIOD_US 1000
/*
 * With no client connected for RPC_IDLE_POLLS polls in a row, the poller
 * slows to RPC_IDLE_PERIOD_US: at 1 ms an idle app woke its reactor 1000
 * times a second (an accept4() and a timer re-arm each, ~4 % of a core on
 * the loaded 2-core machine), at 10 ms it wakes 100 times, and the first
 * request after a quiet spell waits at most 10 ms more to be accepted.
 */
#define RPC_IDLE_PERIOD_US 10000
#define RPC_IDLE_POLLS 100
#define RPC_READ_CHUNK 65536

struct rpc_conn {
	TAILQ_ENTRY(rpc_conn) link;
	int fd;
	char *in;
	size_t in_len;
	size_t in_cap;
	struct app_rpc_scan scan;
	char *out;
	size_t out_len;
	size_t out_off;
	size_t out_cap;
	bool busy;        /* a request is in flight */
	json_t *id;       /* of the request in flight; NULL for a notification */
	bool close_after; /* close once the output is flushed */
	bool dead;        /* fd closed while a request was in flight: free on completion */
	app_rpc_after_fn after_fn;
	void *after_arg;
};

static struct {
	int lfd;
	int lock_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	struct sio_poller *poller;
	uint64_t period_us;  /* of poller: RPC_POLL_PERIOD_US or RPC_IDLE_PERIOD_US */
	uint32_t idle_polls; /* consecutive polls with nothing connected */
	TAILQ_HEAD(, rpc_conn) conns;
	size_t nconns;
	bool running;
} g_srv = {.lfd = -1, .lock_fd = -1};

static int out_append(struct rpc_conn *c, const char *data, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

/* Serialise one reply object and queue it (steals @reply). */
static void queue_reply(struct rpc_conn *c, json_t *reply)
{
	char *text;

	if (reply == NULL) {
		c->close_after = true;
		return;
	}
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (text == NULL || out_append(c, text, strlen(text)) != 0 || out_append(c, "\n", 1) != 0)
		c->close_after = true; /* cannot answer: drop the client rather than hang it */
	free(text);
}

static json_t *make_error(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
			 "error", "code", code, "message", message ? message : "");
}

static void reply_error(struct rpc_conn *c, json_t *id, int code, const char *message)
{
	queue_reply(c, make_error(id, code, message));
}

static void conn_close_fd(struct rpc_conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static void conn_free(struct rpc_conn *c)
{
	/* A reply that could not be delivered (the client went away first)
	 * still owes its after-reply action: spdk_kill_instance must kill even
	 * if its caller hung up without reading the answer. */
	app_rpc_after_fn after = c->after_fn;
	void *after_arg = c->after_arg;

	conn_close_fd(c);
	json_decref(c->id);
	free(c->in);
	free(c->out);
	free(c);
	if (after != NULL)
		after(after_arg);
}

/* Write what we can. Return -errno when the connection is broken. */
static int conn_flush(struct rpc_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->after_fn != NULL) {
		app_rpc_after_fn fn = c->after_fn;

		c->after_fn = NULL;
		fn(c->after_arg);
	}
	return 0;
}

static void request_done(void *ctx, struct sio_rpc_request *req, int code, const char *message,
			 json_t *result)
{
	struct rpc_conn *c = ctx;
	json_t *id = c->id;

	c->id = NULL;
	c->busy = false;
	if (req != NULL) {
		void *arg;
		app_rpc_after_fn fn = app_rpc_request_take_after_reply(req, &arg);

		if (fn != NULL) {
			/* Runs after the reply is written, or at once if nobody listens. */
			if (c->dead || id == NULL) {
				json_decref(id);
				json_decref(result);
				if (c->dead)
					conn_free(c);
				fn(arg);
				return;
			}
			c->after_fn = fn;
			c->after_arg = arg;
		}
	}
	if (c->dead) {
		json_decref(id);
		json_decref(result);
		conn_free(c);
		return;
	}
	if (id == NULL) {
		/* A notification: run, never answered. */
		json_decref(result);
		return;
	}
	if (code == 0)
		queue_reply(c, json_pack("{s:s, s:o, s:o}", "jsonrpc", "2.0", "id", id, "result",
					 result));
	else {
		reply_error(c, id, code, message);
		json_decref(id);
	}
}

/* Check the envelope and dispatch one parsed value. */
static void handle_value(struct rpc_conn *c, json_t *v)
{
	const struct sio_rpc_method *m;
	json_t *id, *method, *ver, *params;

	if (!json_is_object(v)) {
		reply_error(c, NULL, SIO_RPC_ERROR_INVALID_REQUEST,
			    json_is_array(v) ? "Invalid request: batch requests are not supported"
					     : "Invalid request: not an object");
		return;
	}
	id = json_object_get(v, "id");
	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id)) {
		reply_error(c, NULL, SIO_RPC_ERROR_INVALID_REQUEST,
			    "Invalid request: id must be a string, a number or null");
		return;
	}
	ver = json_object_get(v, "jsonrpc");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
		reply_error(c, id, SIO_RPC_ERROR_INVALID_REQUEST,
			    "Invalid request: \"jsonrpc\" must be \"2.0\"");
		return;
	}
	method = json_object_get(v, "method");
	if (!json_is_string(method)) {
		reply_error(c, id, SIO_RPC_ERROR_INVALID_REQUEST,
			    "Invalid request: \"method\" must be a string");
		return;
	}
	m = sio_rpc_find_method(json_string_value(method));
	if (m == NULL) {
		if (id != NULL) {
			char msg[256];

			snprintf(msg, sizeof(msg), "Method not found: %s", json_string_value(method));
			reply_error(c, id, SIO_RPC_ERROR_METHOD_NOT_FOUND, msg);
		}
		return;
	}
	if ((m->state_mask & app_rpc_get_state()) == 0) {
		if (id != NULL) {
			char msg[256];

			snprintf(msg, sizeof(msg),
				 app_rpc_get_state() == SIO_RPC_STARTUP
					 ? "Method %s may only be called after the framework is "
					   "initialized (framework_start_init)"
					 : "Method %s may only be called before the framework is "
					   "initialized (--wait-for-rpc)",
				 m->name);
			reply_error(c, id, SIO_RPC_ERROR_INVALID_STATE, msg);
		}
		return;
	}
	params = json_object_get(v, "params");
	c->busy = true;
	c->id = json_incref(id);
	app_rpc_request_start(m, params, false, request_done, c);
}

/* Parse and run requests from the input buffer while the connection is free. */
static void conn_process(struct rpc_conn *c)
{
	while (!c->busy && !c->close_after && c->in_len > 0) {
		enum app_rpc_scan_result r = app_rpc_scan(&c->scan, c->in, c->in_len);
		json_error_t err;
		size_t start, end;
		json_t *v;

		if (r == APP_RPC_SCAN_EMPTY) {
			c->in_len = 0;
			app_rpc_scan_reset(&c->scan);
			return;
		}
		if (r == APP_RPC_SCAN_MORE) {
			if (c->in_len > APP_RPC_MAX_REQUEST) {
				char msg[128];

				snprintf(msg, sizeof(msg), "Invalid request: request exceeds %u bytes",
					 APP_RPC_MAX_REQUEST);
				reply_error(c, NULL, SIO_RPC_ERROR_INVALID_REQUEST, msg);
				c->close_after = true;
			}
			return;
		}
		if (r == APP_RPC_SCAN_BAD) {
			/* A bare scalar is valid JSON but not a request; anything else is not JSON. */
			v = json_loadb(c->in + c->scan.start, c->in_len - c->scan.start,
				       JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &err);
			if (v != NULL)
				reply_error(c, NULL, SIO_RPC_ERROR_INVALID_REQUEST,
					    "Invalid request: not an object");
			else
				reply_error(c, NULL, SIO_RPC_ERROR_PARSE_ERROR, "Parse error");
			json_decref(v);
			c->close_after = true;
			return;
		}
		start = c->scan.start;
		end = c->scan.pos;
		v = json_loadb(c->in + start, end - start, JSON_REJECT_DUPLICATES, &err);
		memmove(c->in, c->in + end, c->in_len - end);
		c->in_len -= end;
		app_rpc_scan_reset(&c->scan);
		if (v == NULL) {
			char msg[256];

			snprintf(msg, sizeof(msg), "Parse error: %s (line %d, column %d)", err.text,
				 err.line, err.column);
			reply_error(c, NULL, SIO_RPC_ERROR_PARSE_ERROR, msg);
			c->close_after = true;
			return;
		}
		handle_value(c, v);
		json_decref(v);
	}
}

/* Read what is available. Return -errno/-ECONNRESET when the peer is gone. */
static int conn_read(struct rpc_conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < RPC_READ_CHUNK / 4) {
			size_t cap = c->in_cap ? c->in_cap * 2 : RPC_READ_CHUNK;
			char *p;

			/* Just past the limit is enough to tell the client it is too big. */
			if (c->in_len > APP_RPC_MAX_REQUEST)
				return 0;
			if (cap > APP_RPC_MAX_REQUEST + RPC_READ_CHUNK)
				cap = APP_RPC_MAX_REQUEST + RPC_READ_CHUNK;
			p = realloc(c->in, cap);
			if (p == NULL)
				return -ENOMEM;
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->in_len += (size_t)n;
	}
}

static void conn_remove(struct rpc_conn *c)
{
	TAILQ_REMOVE(&g_srv.conns, c, link);
	g_srv.nconns--;
	if (c->busy) {
		/* The handler still holds the connection as its context. */
		conn_close_fd(c);
		c->dead = true;
		return;
	}
	conn_free(c);
}

static int accept_new(void)
{
	int work = 0;

	for (;;) {
		struct rpc_conn *c;
		int fd = accept4(g_srv.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				SIO_ERRLOG("RPC accept: %s", strerror(errno));
			return work;
		}
		work++;
		if (g_srv.nconns >= APP_RPC_MAX_CONNS) {
			SIO_WARNLOG("RPC: %d clients already, refusing one more", APP_RPC_MAX_CONNS);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		TAILQ_INSERT_TAIL(&g_srv.conns, c, link);
		g_srv.nconns++;
	}
}

static int rpc_poll(void *ctx);

/*
 * Re-registers the poller at @period_us. Called from its own callback: the
 * thread layer frees the old one once the callback returns. On failure the
 * old poller simply stays.
 */
static void rpc_set_period(uint64_t period_us)
{
	struct sio_poller *p = sio_poller_register_named("rpc_server", rpc_poll, NULL, period_us);

	if (p == NULL)
		return;
	sio_poller_unregister(&g_srv.poller);
	g_srv.poller = p;
	g_srv.period_us = period_us;
}

/* Fast while a client is connected or something happened, slow after a quiet spell. */
static void rpc_pace(bool active)
{
	if (active) {
		g_srv.idle_polls = 0;
		if (g_srv.period_us != RPC_POLL_PERIOD_US)
			rpc_set_period(RPC_POLL_PERIOD_US);
	} else if (g_srv.period_us == RPC_POLL_PERIOD_US && ++g_srv.idle_polls >= RPC_IDLE_POLLS) {
		rpc_set_period(RPC_IDLE_PERIOD_US);
	}
}

static int rpc_poll(void *ctx)
{
	struct rpc_conn *c, *tmp;
	int work = accept_new();

	TAILQ_FOREACH_SAFE(c, &g_srv.conns, link, tmp) {
		size_t before_in = c->in_len, before_out = c->out_len;
		int rc = 0;

		if (!c->busy && !c->close_after)
			rc = conn_read(c);
		if (rc == 0 || rc == -ECONNRESET)
			conn_process(c);
		if (c->fd >= 0 && conn_flush(c) != 0)
			rc = -EPIPE;
		if (c->in_len != before_in || c->out_len != before_out)
			work++;
		/* A peer that closed its end may still read: finish its replies first. */
		if (rc == -ECONNRESET && (c->busy || c->out_len > 0))
			continue;
		if (rc != 0 || (c->close_after && c->out_len == 0))
			conn_remove(c);
	}
	rpc_pace(work > 0 || !TAILQ_EMPTY(&g_srv.conns));
	return work > 0 ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

int app_rpc_server_start(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int rc;

	if (g_srv.running)
		return -EALREADY;
	if (path == NULL || strlen(path) >= sizeof(addr.sun_path) - 1 || path[0] == '\0') {
		SIO_ERRLOG("RPC socket path '%s' is empty or longer than %zu bytes",
			   path ? path : "", sizeof(addr.sun_path) - 2);
		return -EINVAL;
	}
	snprintf(g_srv.path, sizeof(g_srv.path), "%s", path);
	snprintf(g_srv.lock_path, sizeof(g_srv.lock_path), "%s.lock", path);
	TAILQ_INIT(&g_srv.conns);

	/* The lock file tells a live server from a stale socket left by a crash. */
	g_srv.lock_fd = open(g_srv.lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (g_srv.lock_fd < 0) {
		rc = -errno;
		SIO_ERRLOG("RPC lock file %s: %s", g_srv.lock_path, strerror(-rc));
		return rc;
	}
	if (flock(g_srv.lock_fd, LOCK_EX | LOCK_NB) != 0) {
		SIO_ERRLOG("RPC socket %s is in use by another process", path);
		rc = -EADDRINUSE;
		goto err_lock;
	}
	unlink(path);

	g_srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g_srv.lfd < 0) {
		rc = -errno;
		goto err_lock;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (bind(g_srv.lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		rc = -errno;
		SIO_ERRLOG("RPC bind %s: %s", path, strerror(-rc));
		goto err_sock;
	}
	/* Before listen(): nobody can connect while the mode is still the umask's. */
	if (chmod(path, 0600) != 0 || listen(g_srv.lfd, 128) != 0) {
		rc = -errno;
		SIO_ERRLOG("RPC listen %s: %s", path, strerror(-rc));
		goto err_unlink;
	}
	g_srv.poller = sio_poller_register_named("rpc_server", rpc_poll, NULL, RPC_POLL_PERIOD_US);
	g_srv.period_us = RPC_POLL_PERIOD_US;
	g_srv.idle_polls = 0;
	if (g_srv.poller == NULL) {
		rc = -errno;
		goto err_unlink;
	}
	g_srv.running = true;
	SIO_INFOLOG("RPC server listening on %s", path);
	return 0;

err_unlink:
	unlink(path);
err_sock:
	close(g_srv.lfd);
	g_srv.lfd = -1;
err_lock:
	close(g_srv.lock_fd);
	g_srv.lock_fd = -1;
	unlink(g_srv.lock_path);
	return rc;
}

void app_rpc_server_stop(void)
{
	struct rpc_conn *c, *tmp;

	if (!g_srv.running)
		return;
	g_srv.running = false;
	sio_poller_unregister(&g_srv.poller);
	TAILQ_FOREACH_SAFE(c, &g_srv.conns, link, tmp) {
		/* Last chance for replies already queued (spdk_kill_instance's). */
		conn_flush(c);
		conn_remove(c);
	}
	close(g_srv.lfd);
	g_srv.lfd = -1;
	unlink(g_srv.path);
	unlink(g_srv.lock_path);
	close(g_srv.lock_fd);
	g_srv.lock_fd = -1;
}

const char *app_rpc_server_path(void)
{
	return g_srv.running ? g_srv.path : NULL;
}
