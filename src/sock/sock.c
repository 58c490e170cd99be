/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sock layer's core: implementation registry and options, socket
 * creation (connect, listen, accept: plain system calls for every
 * implementation), the synchronous data calls, and the send queue of async
 * requests that the implementations drain.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_internal.h"
#include "spdk_io/trace.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

/* ------------------------------------------------------------------------ */
/* Implementations and options                                              */
/* ------------------------------------------------------------------------ */

#define SOCK_IMPL_MAX 8

static pthread_mutex_t g_opts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sio_sock_impl_opts g_impl_opts[SOCK_IMPL_MAX];
static bool g_impl_opts_set[SOCK_IMPL_MAX];
static const struct sio_sock_impl_ops *g_default_impl;

/* Update when a field is added to struct sio_sock_impl_opts (copy it below). */
_Static_assert(sizeof(struct sio_sock_impl_opts) == 56, "sio_sock_impl_opts changed");
_Static_assert(sizeof(struct sio_sock_opts) == 56, "sio_sock_opts changed");

static void impl_opts_defaults(struct sio_sock_impl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->opts_size = sizeof(*o);
	/* Loopback: no congestion, and no pacing timers or small segments
	 * on the sender's core (sio_sock_impl_opts, docs/sock.md). */
	strcpy(o->loopback_tcp_congestion, "reno");
}

static int impl_index(const struct sio_sock_impl_ops *ops)
{
	for (int i = 0; sock_impl_table[i] != NULL; i++)
		if (sock_impl_table[i] == ops)
			return i;
	return -1;
}

const struct sio_sock_impl_ops *sock_impl_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; sock_impl_table[i] != NULL; i++)
		if (strcmp(sock_impl_table[i]->name, name) == 0)
			return sock_impl_table[i];
	return NULL;
}

/* Caller holds g_opts_lock. */
static struct sio_sock_impl_opts *impl_opts_locked(const struct sio_sock_impl_ops *ops)
{
	int i = impl_index(ops);

	if (!g_impl_opts_set[i]) {
		impl_opts_defaults(&g_impl_opts[i]);
		if (ops->opts_defaults != NULL)
			ops->opts_defaults(&g_impl_opts[i]);
		g_impl_opts_set[i] = true;
	}
	return &g_impl_opts[i];
}

void sock_impl_opts_copy(const struct sio_sock_impl_ops *ops, struct sio_sock_impl_opts *out)
{
	pthread_mutex_lock(&g_opts_lock);
	*out = *impl_opts_locked(ops);
	pthread_mutex_unlock(&g_opts_lock);
}

/* Copies the fields of @src that both sides know, one by one, up to @size. */
#define OPTS_FIELD_FITS(size, type, field) ((size) >= offsetof(type, field) + sizeof(((type *)0)->field))

static void impl_opts_copy_fields(struct sio_sock_impl_opts *dst,
				  const struct sio_sock_impl_opts *src, size_t size)
{
#define COPY(f)                                                         \
	do {                                                            \
		if (OPTS_FIELD_FITS(size, struct sio_sock_impl_opts, f)) \
			dst->f = src->f;                                \
	} while (0)
	COPY(recv_buf_size);
	COPY(send_buf_size);
	COPY(enable_recv_pipe);
	COPY(enable_quickack);
	COPY(enable_placement_id);
	COPY(enable_zerocopy_send_server);
	COPY(enable_zerocopy_send_client);
	COPY(zerocopy_threshold);
	COPY(tls_version);
	COPY(enable_ktls);
#undef COPY
	if (OPTS_FIELD_FITS(size, struct sio_sock_impl_opts, loopback_tcp_congestion))
		memcpy(dst->loopback_tcp_congestion, src->loopback_tcp_congestion,
		       sizeof(dst->loopback_tcp_congestion));
}

int sio_sock_impl_get_opts(const char *impl_name, struct sio_sock_impl_opts *opts)
{
	const struct sio_sock_impl_ops *ops;
	struct sio_sock_impl_opts cur;
	size_t size;

	if (impl_name == NULL || opts == NULL ||
	    !OPTS_FIELD_FITS(opts->opts_size, struct sio_sock_impl_opts, recv_buf_size))
		return -EINVAL;
	ops = sock_impl_find(impl_name);
	if (ops == NULL)
		return -ENOENT;
	size = opts->opts_size;
	sock_impl_opts_copy(ops, &cur);
	impl_opts_copy_fields(opts, &cur, size);
	opts->opts_size = size < sizeof(cur) ? size : sizeof(cur);
	return 0;
}

int sio_sock_impl_set_opts(const char *impl_name, const struct sio_sock_impl_opts *opts)
{
	const struct sio_sock_impl_ops *ops;
	struct sio_sock_impl_opts next;

	if (impl_name == NULL || opts == NULL ||
	    !OPTS_FIELD_FITS(opts->opts_size, struct sio_sock_impl_opts, recv_buf_size))
		return -EINVAL;
	ops = sock_impl_find(impl_name);
	if (ops == NULL)
		return -ENOENT;
	pthread_mutex_lock(&g_opts_lock);
	next = *impl_opts_locked(ops);
	impl_opts_copy_fields(&next, opts, opts->opts_size);
	if (next.recv_buf_size > INT_MAX || next.send_buf_size > INT_MAX ||
	    memchr(next.loopback_tcp_congestion, '\0', sizeof(next.loopback_tcp_congestion)) == NULL) {
		pthread_mutex_unlock(&g_opts_lock);
		return -EINVAL;
	}
	/* TLS options only where an implementation speaks TLS. */
	int rc = ops->opts_check != NULL ? ops->opts_check(&next)
		 : next.tls_version != 0 || next.enable_ktls ? -ENOTSUP : 0;
	if (rc != 0) {
		pthread_mutex_unlock(&g_opts_lock);
		return rc;
	}
	*impl_opts_locked(ops) = next;
	pthread_mutex_unlock(&g_opts_lock);
	return 0;
}

int sio_sock_set_default_impl(const char *impl_name)
{
	const struct sio_sock_impl_ops *ops;

	if (impl_name == NULL)
		return -EINVAL;
	ops = sock_impl_find(impl_name);
	if (ops == NULL)
		return -ENOENT;
	pthread_mutex_lock(&g_opts_lock);
	g_default_impl = ops;
	pthread_mutex_unlock(&g_opts_lock);
	return 0;
}

static const struct sio_sock_impl_ops *default_impl(void)
{
	const struct sio_sock_impl_ops *ops;

	pthread_mutex_lock(&g_opts_lock);
	ops = g_default_impl != NULL ? g_default_impl : sock_impl_table[0];
	pthread_mutex_unlock(&g_opts_lock);
	return ops;
}

const char *sio_sock_get_default_impl(void)
{
	return default_impl()->name;
}

bool sio_sock_impl_is_available(const char *impl_name)
{
	const struct sio_sock_impl_ops *ops = sock_impl_find(impl_name);

	return ops != NULL && (ops->available == NULL || ops->available());
}

/* ------------------------------------------------------------------------ */
/* Socket options and creation                                              */
/* ------------------------------------------------------------------------ */

void sio_sock_opts_init(struct sio_sock_opts *opts, size_t opts_size)
{
	struct sio_sock_opts d = {
		.opts_size = opts_size,
		.impl_name = NULL,
		.priority = 0,
		.zcopy = true,
		.ack_timeout_ms = 0,
		.tls = NULL,
	};

	if (opts == NULL)
		return;
	memset(opts, 0, opts_size);
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
}

/* The caller's options, completed with defaults beyond its size. */
static void opts_get(const struct sio_sock_opts *in, struct sio_sock_opts *out)
{
	sio_sock_opts_init(out, sizeof(*out));
	if (in == NULL)
		return;
#define COPY(f)                                                          \
	do {                                                             \
		if (OPTS_FIELD_FITS(in->opts_size, struct sio_sock_opts, f)) \
			out->f = in->f;                                  \
	} while (0)
	COPY(impl_name);
	COPY(priority);
	COPY(zcopy);
	COPY(ack_timeout_ms);
	COPY(tls);
	COPY(src_addr);
	COPY(src_port);
#undef COPY
}

/* Numeric address parse; accepts "[::1]". */
static int addr_parse(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[SIO_SOCK_ADDR_MAX + 2];
	size_t n;

	if (ip == NULL || port < 0 || port > 65535)
		return -EINVAL;
	n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {
		if (n - 2 >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, ip + 1, n - 2);
		buf[n - 2] = '\0';
	} else {
		if (n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, ip, n + 1);
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, buf, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int setopt_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) == 0 ? 0 : -errno;
}

/* A loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. */
static bool addr_is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)a)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
	}
	return false;
}

/* Whether @peer is this machine: a loopback address, or the address @fd
 * is bound to (a connection to one's own interface address goes over lo
 * too). The socket's own address is known once connect() has run (its
 * route chose it) and on an accepted socket. */
static bool peer_is_local(int fd, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);

	if (addr_is_loopback(peer))
		return true;
	if (getsockname(fd, (struct sockaddr *)&me, &len) != 0 || me.ss_family != peer->ss_family)
		return false;
	if (peer->ss_family == AF_INET)
		return ((struct sockaddr_in *)&me)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)peer)->sin_addr.s_addr;
	return peer->ss_family == AF_INET6 &&
	       memcmp(&((struct sockaddr_in6 *)&me)->sin6_addr,
		      &((const struct sockaddr_in6 *)peer)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* TCP_CONGESTION = @cc (@n bytes, no NUL needed) on @fd; a name the
 * kernel refuses leaves what the socket had (logged at debug level). */
static void set_congestion(int fd, const char *cc, size_t n)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)n) != 0)
		SIO_DEBUGLOG(SOCK_LOG_FLAG, "TCP_CONGESTION %.*s refused: %s", (int)n, cc,
			     strerror(errno));
}

/* TCP_CONGESTION = the implementation's loopback_tcp_congestion on @fd,
 * unless that is "" (keep the system's). */
static void set_loopback_congestion(const struct sio_sock_impl_ops *ops, int fd)
{
	struct sio_sock_impl_opts io;
	size_t n;

	sock_impl_opts_copy(ops, &io);
	n = strnlen(io.loopback_tcp_congestion, sizeof(io.loopback_tcp_congestion));
	if (n != 0)
		set_congestion(fd, io.loopback_tcp_congestion, n);
}

/*
 * The loopback congestion control on a connected socket whose peer is this
 * machine (sio_sock_impl_opts.loopback_tcp_congestion), set right after
 * connect(), before the handshake ends, so no other algorithm ran on it.
 */
static void conn_set_congestion(struct sio_sock *s, const struct sockaddr_storage *peer)
{
	if (peer_is_local(s->fd, peer))
		set_loopback_congestion(s->ops, s->fd);
}

/* @fd's congestion control into @cc (16 bytes, NUL-terminated; "" if unknown). */
static void remote_cc_get(int fd, char cc[16])
{
	socklen_t len = 15;

	memset(cc, 0, 16);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &len) != 0)
		cc[0] = '\0';
}

/*
 * An accepted socket of a listener on a non-loopback address started with
 * the loopback algorithm: if its peer is another machine, switch it to
 * @cc, the system's (whose init, BBR's included, runs now, as it would
 * have at the handshake).
 */
static void accepted_set_congestion(struct sio_sock *s, const char *cc)
{
	struct sockaddr_storage p;
	socklen_t plen = sizeof(p);

	if (getpeername(s->fd, (struct sockaddr *)&p, &plen) != 0 || peer_is_local(s->fd, &p))
		return;
	set_congestion(s->fd, cc, strlen(cc));
}

/* Options every connected socket gets (connected or accepted). */
static void conn_setup(struct sio_sock *s, bool server)
{
	struct sio_sock_impl_opts io;

	sock_impl_opts_copy(s->ops, &io);
	/* Latency over coalescing: PDUs are written whole, batching is ours. */
	setopt_int(s->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (io.enable_quickack)
		setopt_int(s->fd, IPPROTO_TCP, TCP_QUICKACK, 1);
	if (io.recv_buf_size != 0)
		setopt_int(s->fd, SOL_SOCKET, SO_RCVBUF, (int)io.recv_buf_size);
	if (io.send_buf_size != 0)
		setopt_int(s->fd, SOL_SOCKET, SO_SNDBUF, (int)io.send_buf_size);
	if (s->priority != 0)
		setopt_int(s->fd, SOL_SOCKET, SO_PRIORITY, s->priority);
	if (s->ack_timeout_ms != 0)
		setopt_int(s->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)s->ack_timeout_ms);
	s->zcopy_threshold = io.zerocopy_threshold != 0 ? io.zerocopy_threshold
							: SOCK_ZCOPY_THRESHOLD_DEFAULT;
	if (s->opt_zcopy &&
	    (server ? io.enable_zerocopy_send_server : io.enable_zerocopy_send_client))
		s->zcopy = setopt_int(s->fd, SOL_SOCKET, SO_ZEROCOPY, 1) == 0;
}

static struct sio_sock *sock_alloc(const struct sio_sock_impl_ops *ops, int fd)
{
	struct sio_sock *s = calloc(1, ops->sock_size);

	if (s == NULL)
		return NULL;
	s->ops = ops;
	s->fd = fd;
	s->stat_idx = (uint8_t)impl_index(ops);
	return s;
}

static int impl_for(const struct sio_sock_opts *o, const struct sio_sock_impl_ops **ops)
{
	*ops = o->impl_name != NULL ? sock_impl_find(o->impl_name) : default_impl();
	if (*ops == NULL)
		return -ENOENT;
	if ((*ops)->available != NULL && !(*ops)->available())
		return -ENOTSUP;
	return 0;
}

/*
 * What connect and listen begin with: @ip:@port parsed into @ss/@len, the
 * caller's @opts copied into @o, the implementation chosen into @ops, and a
 * non-blocking TCP socket of the address's family. Returns the fd or a
 * negative errno (nothing to undo then).
 */
static int sock_open_fd(const char *ip, int port, const struct sio_sock_opts *opts,
			struct sio_sock_opts *o, const struct sio_sock_impl_ops **ops,
			struct sockaddr_storage *ss, socklen_t *len)
{
	int fd, rc;

	*ops = NULL; /* -O3 cannot see that every path to a valid fd sets it */
	rc = addr_parse(ip, port, ss, len);
	if (rc != 0)
		return rc;
	opts_get(opts, o);
	rc = impl_for(o, ops);
	if (rc != 0)
		return rc;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	return fd < 0 ? -errno : fd;
}

/* The sock for @fd with the per-socket options of @o; NULL when out of memory. */
static struct sio_sock *sock_new(const struct sio_sock_impl_ops *ops, int fd,
				 const struct sio_sock_opts *o, bool ipv6)
{
	struct sio_sock *s = sock_alloc(ops, fd);

	if (s == NULL)
		return NULL;
	s->ipv6 = ipv6;
	s->priority = o->priority;
	s->opt_zcopy = o->zcopy;
	s->ack_timeout_ms = o->ack_timeout_ms;
	return s;
}

int sio_sock_connect(const char *ip, int port, const struct sio_sock_opts *opts,
		     struct sio_sock **out)
{
	const struct sio_sock_impl_ops *ops;
	struct sockaddr_storage ss;
	struct sio_sock_opts o;
	struct sio_sock *s;
	socklen_t len;
	int fd, rc;

	if (out == NULL || port == 0)
		return -EINVAL;
	fd = sock_open_fd(ip, port, opts, &o, &ops, &ss, &len);
	if (fd < 0)
		return fd;
	s = sock_new(ops, fd, &o, ss.ss_family == AF_INET6);
	if (s == NULL) {
		rc = -ENOMEM;
		goto err_fd;
	}
	if (o.src_addr != NULL || o.src_port != 0) {
		/* The local end asked for (NVMe-oF hostaddr/hostsvcid): bound before connect(). */
		struct sockaddr_storage src;
		socklen_t slen;

		rc = addr_parse(o.src_addr ? o.src_addr : s->ipv6 ? "::" : "0.0.0.0", o.src_port, &src,
				&slen);
		if (rc == 0 && src.ss_family != ss.ss_family)
			rc = -EAFNOSUPPORT;
		if (rc == 0 && bind(fd, (struct sockaddr *)&src, slen) != 0)
			rc = -errno;
		if (rc != 0)
			goto err_sock;
	}
	/* Before connect(): buffer sizes shape the window the handshake offers. */
	conn_setup(s, false);
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto err_sock;
		}
		s->connecting = true;
	}
	/* After connect(): the route has chosen the local address. */
	conn_set_congestion(s, &ss);
	if (ops->sock_init != NULL) {
		rc = ops->sock_init(s, &o, NULL);
		if (rc != 0)
			goto err_sock;
	}
	*out = s;
	return 0;
err_sock:
	free(s);
err_fd:
	close(fd);
	return rc;
}

int sio_sock_connect_status(struct sio_sock *sock)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int err = 0;

	if (sock == NULL || sock->listener)
		return -EINVAL;
	if (!sock->connecting)
		return sock->conn_err;
	pfd.fd = sock->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 0)
		return -EINPROGRESS;
	if (getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	sock->connecting = false;
	sock->conn_err = -err;
	if (err != 0 && sock->err == 0)
		sock_set_error(sock, -err);
	return sock->conn_err;
}

int sio_sock_listen(const char *ip, int port, const struct sio_sock_opts *opts,
		    struct sio_sock **out)
{
	const struct sio_sock_impl_ops *ops;
	struct sockaddr_storage ss;
	struct sio_sock_opts o;
	struct sio_sock *s;
	char remote_cc[16] = "";
	socklen_t len;
	int fd, rc;

	if (out == NULL)
		return -EINVAL;
	fd = sock_open_fd(ip, port, opts, &o, &ops, &ss, &len);
	if (fd < 0)
		return fd;
	/* A restarted server binds at once despite TIME_WAIT connections. */
	setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (ss.ss_family == AF_INET6)
		setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	/* Accepted sockets inherit the listener's algorithm and start with it:
	 * give the listener the loopback one, so a connection from this machine
	 * never runs another (BBR's init would turn pacing on for good). Only
	 * this machine reaches a loopback address; on any other, a connection
	 * from elsewhere is switched back to the system's after accept. */
	if (!addr_is_loopback(&ss))
		remote_cc_get(fd, remote_cc);
	set_loopback_congestion(ops, fd);
	if (remote_cc[0] != '\0') {
		char now[sizeof(remote_cc)];

		remote_cc_get(fd, now);
		if (strcmp(now, remote_cc) == 0)
			remote_cc[0] = '\0'; /* loopback setting off or refused: nothing to undo */
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		rc = -errno;
		goto err_fd;
	}
	s = sock_new(ops, fd, &o, ss.ss_family == AF_INET6);
	if (s == NULL) {
		rc = -ENOMEM;
		goto err_fd;
	}
	s->listener = true;
	memcpy(s->remote_cc, remote_cc, sizeof(s->remote_cc));
	if (ops->sock_init != NULL) {
		rc = ops->sock_init(s, &o, NULL);
		if (rc != 0) {
			free(s);
			goto err_fd;
		}
	}
	*out = s;
	return 0;
err_fd:
	close(fd);
	return rc;
}

int sio_sock_accept(struct sio_sock *listener, struct sio_sock **out)
{
	struct sio_sock *s;
	int fd;

	if (listener == NULL || out == NULL || !listener->listener)
		return -EINVAL;
	do {
		fd = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno != EWOULDBLOCK)
			return -errno;
		if (listener->ops->drained != NULL)
			listener->ops->drained(listener);
		return -EAGAIN;
	}
	s = sock_alloc(listener->ops, fd);
	if (s == NULL) {
		close(fd);
		return -ENOMEM;
	}
	s->ipv6 = listener->ipv6;
	s->priority = listener->priority;
	s->opt_zcopy = listener->opt_zcopy;
	s->ack_timeout_ms = listener->ack_timeout_ms;
	sock_stats_add(s, SOCK_STAT_ACCEPTED, 1);
	conn_setup(s, true);
	if (listener->remote_cc[0] != '\0')
		accepted_set_congestion(s, listener->remote_cc);
	if (s->ops->sock_init != NULL) {
		int rc = s->ops->sock_init(s, NULL, listener);

		if (rc != 0) {
			sock_free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

void sock_free(struct sio_sock *sock)
{
	close(sock->fd);
	free(sock);
}

int sio_sock_close(struct sio_sock **psock)
{
	struct sio_sock *sock;
	struct sio_sock_group *group;

	if (psock == NULL)
		return -EINVAL;
	sock = *psock;
	if (sock == NULL)
		return 0;
	*psock = NULL;
	if (sock->closed) {
		SIO_ERRLOG("sock %p closed twice", (void *)sock);
		return -EINVAL;
	}
	sock->closed = true;
	group = sock->group;
	if (sock->wait != NULL)
		sock_wait_cancel(sock, -ECANCELED);
	if (group != NULL)
		sock_group_detach(sock);
	else
		group = sock->home;
	/* First: moves requests the kernel is working on to the held list. */
	if (sock->ops->sock_fini != NULL)
		sock->ops->sock_fini(sock);
	/* Not handed to the kernel yet: never will be. */
	sock_req_fail_all(&sock->queue, -ECANCELED);
	if (sock->ops->busy != NULL && sock->ops->busy(sock)) {
		if (group != NULL) {
			/* The group reaps the kernel's releases and frees it. */
			sock_group_adopt_zombie(group, sock);
			return 0;
		}
		/* Nobody left to reap: the kernel may still read those
		 * buffers while the connection drains (documented). */
		sock_req_fail_all(&sock->held, -ECANCELED);
	}
	if (sock->dispatching != NULL) {
		/* Its group is walking events that point at it. */
		sock_group_adopt_zombie(sock->dispatching, sock);
		return 0;
	}
	sock_free(sock);
	return 0;
}

static int addr_format(const struct sockaddr_storage *ss, char *buf, int len, uint16_t *port)
{
	const void *a;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		a = &in6->sin6_addr;
		if (port != NULL)
			*port = ntohs(in6->sin6_port);
	} else {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;

		a = &in4->sin_addr;
		if (port != NULL)
			*port = ntohs(in4->sin_port);
	}
	if (buf != NULL && inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		return -ENOSPC;
	return 0;
}

int sio_sock_getaddr(struct sio_sock *sock, char *saddr, int slen, uint16_t *sport,
		     char *caddr, int clen, uint16_t *cport)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	if (sock == NULL || (saddr != NULL && slen <= 0) || (caddr != NULL && clen <= 0))
		return -EINVAL;
	if (saddr != NULL || sport != NULL) {
		memset(&ss, 0, sizeof(ss));
		if (getsockname(sock->fd, (struct sockaddr *)&ss, &len) != 0)
			return -errno;
		rc = addr_format(&ss, saddr, slen, sport);
		if (rc != 0)
			return rc;
	}
	if (caddr == NULL && cport == NULL)
		return 0;
	if (sock->listener) {
		if (caddr != NULL)
			caddr[0] = '\0';
		if (cport != NULL)
			*cport = 0;
		return 0;
	}
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(sock->fd, (struct sockaddr *)&ss, &len) != 0)
		return -errno;
	return addr_format(&ss, caddr, clen, cport);
}

bool sio_sock_is_ipv6(struct sio_sock *sock)
{
	return sock != NULL && sock->ipv6;
}

const char *sio_sock_get_impl_name(struct sio_sock *sock)
{
	return sock != NULL ? sock->ops->name : NULL;
}

int sio_sock_set_recvbuf(struct sio_sock *sock, int sz)
{
	if (sock == NULL || sz <= 0)
		return -EINVAL;
	return setopt_int(sock->fd, SOL_SOCKET, SO_RCVBUF, sz);
}

int sio_sock_set_sendbuf(struct sio_sock *sock, int sz)
{
	if (sock == NULL || sz <= 0)
		return -EINVAL;
	return setopt_int(sock->fd, SOL_SOCKET, SO_SNDBUF, sz);
}

int sio_sock_set_recvlowat(struct sio_sock *sock, int nbytes)
{
	if (sock == NULL || nbytes <= 0)
		return -EINVAL;
	return setopt_int(sock->fd, SOL_SOCKET, SO_RCVLOWAT, nbytes);
}

/* ------------------------------------------------------------------------ */
/* Data                                                                     */
/* ------------------------------------------------------------------------ */

static size_t iov_bytes(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;

	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

ssize_t sock_readv_syscall(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
	ssize_t n;

	do {
		n = recvmsg(sock->fd, &msg, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n == 0)
		return SIO_SOCK_EOF;
	if (errno == EWOULDBLOCK)
		return -EAGAIN;
	return -errno;
}

ssize_t sio_sock_readv(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (sock == NULL || iov == NULL || iovcnt < 0 || iovcnt > IOV_MAX || sock->listener)
		return -EINVAL;
	if (iov_bytes(iov, iovcnt) == 0)
		return 0;
	/* A failed connect's error was taken from the kernel by the status
	 * check (SO_ERROR clears it): keep reporting it. */
	if (sock->conn_err != 0)
		return sock->conn_err;
	n = sock->ops->readv(sock, iov, iovcnt);
	/* The kernel hands a socket's error (refused, reset, timed out) to the
	 * first call that asks; when a send took it, the receive after it sees
	 * only the end of the stream: report the error, not an orderly close. */
	if (n == SIO_SOCK_EOF && sock->err != 0 && sock->err != -EPIPE && sock->err != -ECANCELED)
		n = sock->err;
	SIO_TRACE(SIO_TP_SOCK_RECV, sock, 0, n, 0, 0);
	if (n > 0)
		sock_stats_add(sock, SOCK_STAT_RX, (uint64_t)n);
	if (n == -EAGAIN && sock->ops->drained != NULL)
		sock->ops->drained(sock);
	return n;
}

ssize_t sio_sock_recv(struct sio_sock *sock, void *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	if (buf == NULL && len != 0)
		return -EINVAL;
	return sio_sock_readv(sock, &iov, 1);
}

/* One sendmsg() without signals; bytes or negative errno (-EAGAIN for a full buffer). */
static ssize_t send_iov(struct sio_sock *sock, struct iovec *iov, int iovcnt, bool zcopy)
{
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
	ssize_t n;

	do {
		n = sendmsg(sock->fd, &msg,
			    MSG_NOSIGNAL | MSG_DONTWAIT | (zcopy ? MSG_ZEROCOPY : 0));
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EWOULDBLOCK)
		return -EAGAIN;
	/* Out of locked memory for pinned pages: the kernel refuses zero copy. */
	if (zcopy && errno == ENOBUFS)
		return send_iov(sock, iov, iovcnt, false);
	return -errno;
}

ssize_t sio_sock_writev(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	if (sock == NULL || iov == NULL || iovcnt < 0 || iovcnt > IOV_MAX || sock->listener)
		return -EINVAL;
	if (sock->err != 0)
		return sock->err;
	if (!sock_req_list_empty(&sock->queue)) {
		int rc = sock->ops->flush(sock);

		if (rc != 0)
			return rc;
		if (!sock_req_list_empty(&sock->queue))
			return -EAGAIN;
	}
	n = sock->ops->writev != NULL ? sock->ops->writev(sock, iov, iovcnt)
				      : send_iov(sock, iov, iovcnt, false);
	SIO_TRACE(SIO_TP_SOCK_SEND, sock, 0, n, 0, 0);
	if (n > 0)
		sock_stats_add(sock, SOCK_STAT_TX, (uint64_t)n);
	if (n < 0 && n != -EAGAIN)
		sock->err = (int)n;
	return n;
}

int sio_sock_get_tls_info(struct sio_sock *sock, struct sio_sock_tls_info *info)
{
	if (sock == NULL || info == NULL)
		return -EINVAL;
	if (sock->ops->tls_info == NULL || sock->listener)
		return -ENOTSUP;
	return sock->ops->tls_info(sock, info);
}

/* ------------------------------------------------------------------------ */
/* Queued requests                                                          */
/* ------------------------------------------------------------------------ */

void sock_req_append(struct sock_req_list *l, struct sio_sock_request *req)
{
	req->internal.next = NULL;
	if (l->tail != NULL)
		l->tail->internal.next = req;
	else
		l->head = req;
	l->tail = req;
}

struct sio_sock_request *sock_req_pop(struct sock_req_list *l)
{
	struct sio_sock_request *req = l->head;

	if (req != NULL) {
		l->head = req->internal.next;
		if (l->head == NULL)
			l->tail = NULL;
		req->internal.next = NULL;
	}
	return req;
}

size_t sock_req_len(const struct sio_sock_request *req)
{
	return iov_bytes(req->iov, req->iovcnt);
}

void sock_req_complete(struct sio_sock_request *req, int rc)
{
	/* Idle before the callback: it may queue the request again. */
	req->internal.state = SOCK_REQ_IDLE;
	req->cb(req->cb_arg, rc);
}

void sock_req_fail_all(struct sock_req_list *l, int rc)
{
	struct sio_sock_request *req;

	/* Detach first: callbacks may queue new requests on the same socket. */
	struct sock_req_list taken = *l;

	l->head = l->tail = NULL;
	while ((req = sock_req_pop(&taken)) != NULL)
		sock_req_complete(req, rc);
}

void sock_set_error(struct sio_sock *sock, int err)
{
	if (sock->err == 0)
		sock->err = err;
	sock_req_fail_all(&sock->queue, sock->err);
}

int sio_sock_writev_async(struct sio_sock *sock, struct sio_sock_request *req)
{
	if (sock == NULL || req == NULL || req->cb == NULL || req->iov == NULL ||
	    req->iovcnt <= 0 || req->iovcnt > IOV_MAX || sock->listener || sock->closed)
		return -EINVAL;
	if (req->internal.state != SOCK_REQ_IDLE) {
		SIO_ERRLOG("sock request %p queued twice", (void *)req);
		return -EINVAL;
	}
	req->internal.offset = 0;
	req->internal.zcopy = false;
	req->internal.zcopy_seq = 0;
	req->internal.state = SOCK_REQ_QUEUED;
	sock_req_append(&sock->queue, req);
	if (sock->group != NULL)
		sock_group_kick(sock);
	return 0;
}

int sio_sock_flush(struct sio_sock *sock)
{
	if (sock == NULL)
		return -EINVAL;
	if (sock->listener)
		return 0;
	return sock->ops->flush(sock);
}

int sock_queue_iov(struct sio_sock *sock, struct iovec *iov, int max, bool *zcopy)
{
	struct sio_sock_request *req = sock->queue.head;
	size_t skip;
	int n = 0;

	*zcopy = false;
	if (req == NULL)
		return 0;
	/* A large request on a zero-copy socket goes alone with MSG_ZEROCOPY:
	 * its notification then covers exactly this request's bytes. */
	if (sock->zcopy && sock_req_len(req) >= sock->zcopy_threshold)
		*zcopy = true;
	for (; req != NULL && n < max; req = req->internal.next) {
		if (n > 0 && sock->zcopy && (*zcopy || sock_req_len(req) >= sock->zcopy_threshold))
			break;
		skip = req->internal.offset;
		for (int i = 0; i < req->iovcnt && n < max; i++) {
			if (skip >= req->iov[i].iov_len) {
				skip -= req->iov[i].iov_len;
				continue;
			}
			iov[n].iov_base = (char *)req->iov[i].iov_base + skip;
			iov[n].iov_len = req->iov[i].iov_len - skip;
			skip = 0;
			n++;
		}
	}
	return n;
}

void sock_queue_advance(struct sio_sock *sock, size_t n, bool held)
{
	struct sio_sock_request *req;
	struct sock_req_list done = {NULL, NULL};

	if (n > 0)
		sock_stats_add(sock, SOCK_STAT_TX, n);
	while (n > 0 && (req = sock->queue.head) != NULL) {
		size_t left = sock_req_len(req) - req->internal.offset;

		if (n < left) {
			req->internal.offset += n;
			break;
		}
		n -= left;
		req->internal.offset += left;
		sock_req_pop(&sock->queue);
		if (held) {
			req->internal.state = SOCK_REQ_HELD;
			sock_req_append(&sock->held, req);
		} else {
			sock_req_append(&done, req);
		}
	}
	/* Callbacks after the queue is consistent: they may queue more. */
	while ((req = sock_req_pop(&done)) != NULL)
		sock_req_complete(req, 0);
}

int sock_flush_sendmsg(struct sio_sock *sock)
{
	struct iovec iov[SOCK_SEND_IOV_MAX];
	bool zcopy;
	ssize_t n;
	int cnt;

	if (sock->err != 0) {
		sock_req_fail_all(&sock->queue, sock->err);
		return sock->err;
	}
	while ((cnt = sock_queue_iov(sock, iov, SOCK_SEND_IOV_MAX, &zcopy)) > 0) {
		n = send_iov(sock, iov, cnt, zcopy);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			sock_set_error(sock, (int)n);
			return sock->err;
		}
		if (zcopy) {
			/* The kernel numbers each successful MSG_ZEROCOPY
			 * call; the request's last one covers its end. */
			struct sio_sock_request *req = sock->queue.head;

			req->internal.zcopy = true;
			req->internal.zcopy_seq = sock->zcopy_sent++;
		}
		sock_queue_advance(sock, (size_t)n, zcopy);
		if (n < (ssize_t)iov_bytes(iov, cnt))
			return 0; /* send buffer full: the rest waits for space */
	}
	return 0;
}

void sock_zcopy_reap(struct sio_sock *sock)
{
	char control[128];
	struct msghdr msg;
	struct cmsghdr *cm;
	struct sock_extended_err *ee;
	struct sio_sock_request *req;

	while (!sock_req_list_empty(&sock->held)) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(sock->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return; /* EAGAIN: nothing released yet */
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_errno != 0 || ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				continue;
			/* [ee_info, ee_data] released; TCP releases in order,
			 * so everything up to ee_data is free. */
			if ((int32_t)(ee->ee_data + 1 - sock->zcopy_released) > 0)
				sock->zcopy_released = ee->ee_data + 1;
		}
		while ((req = sock->held.head) != NULL &&
		       (int32_t)(sock->zcopy_released - req->internal.zcopy_seq) > 0) {
			sock_req_pop(&sock->held);
			/* Only partly sent: held at close for the pages it pinned. */
			sock_req_complete(req, req->internal.offset < sock_req_len(req) ? -ECANCELED : 0);
		}
	}
}
