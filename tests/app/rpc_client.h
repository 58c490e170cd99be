/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal blocking JSON-RPC client over a Unix socket, for the app tests. */
#ifndef TEST_APP_RPC_CLIENT_H
#define TEST_APP_RPC_CLIENT_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

struct rpc_client {
	int fd;
	char buf[1 << 16];
	size_t len;
};

/* Connect, retrying for up to @ms while the server is not up yet. */
static inline int rpc_connect(struct rpc_client *c, const char *path, int ms)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	c->len = 0;
	for (int waited = 0;; waited += 5) {
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return -errno;
		if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return 0;
		close(c->fd);
		c->fd = -1;
		if (waited >= ms)
			return -ECONNREFUSED;
		usleep(5000);
	}
}

static inline int rpc_send_raw(struct rpc_client *c, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one newline-terminated reply; NULL on EOF/timeout (@ms). */
static inline json_t *rpc_recv(struct rpc_client *c, int ms)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		ssize_t n;

		if (nl != NULL) {
			json_error_t err;
			size_t line = (size_t)(nl - c->buf) + 1;
			json_t *v = json_loadb(c->buf, line - 1, 0, &err);

			memmove(c->buf, c->buf + line, c->len - line);
			c->len -= line;
			return v;
		}
		if (c->len == sizeof(c->buf))
			return NULL;
		if (poll(&pfd, 1, ms) <= 0)
			return NULL;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* Whether the server closed the connection (EOF within @ms). */
static inline int rpc_closed(struct rpc_client *c, int ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	char b;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return recv(c->fd, &b, 1, MSG_DONTWAIT) == 0;
}

/* Call @method with @params_json (text or NULL), return the whole reply. */
static inline json_t *rpc_call(struct rpc_client *c, int id, const char *method,
			       const char *params_json)
{
	char req[4096];
	int n;

	if (params_json)
		n = snprintf(req, sizeof(req),
			     "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}", id,
			     method, params_json);
	else
		n = snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"}",
			     id, method);
	if (rpc_send_raw(c, req, (size_t)n) != 0)
		return NULL;
	return rpc_recv(c, 10000);
}

/* The error code of @reply, or 0 if it is a result. */
static inline int rpc_error_code(const json_t *reply)
{
	json_t *e = json_object_get(reply, "error");

	return e ? (int)json_integer_value(json_object_get(e, "code")) : 0;
}

static inline const char *rpc_error_message(const json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
}

static inline void rpc_close(struct rpc_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

#endif
