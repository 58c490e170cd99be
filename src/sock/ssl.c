/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ssl" implementation: TLS 1.3 with an external pre-shared key over the
 * same non-blocking TCP sockets as "posix" (OpenSSL 3, as Debian ships it).
 *
 * - Sockets are created by the core like every other; sock_init attaches an
 *   SSL object to the fd (client or server state). No certificates: a
 *   client offers one PSK identity (psk_use_session callback), a listener
 *   maps identities to keys through the caller's lookup (psk_find_session
 *   callback). The cipher suite follows the key's length (48 bytes:
 *   TLS_AES_256_GCM_SHA384, else TLS_AES_128_GCM_SHA256). No session
 *   tickets: a PSK connection is never resumed.
 * - The handshake is driven by whatever touches the socket first: a read
 *   (the group reports the peer's flight readable), a flush of queued
 *   requests, or send space while the handshake waits to write. Nothing
 *   blocks; requests queued before it ends go out right after it.
 * - Receive: SSL_read_ex() straight into the caller's buffers (OpenSSL
 *   decrypts from its record buffer into them: no copy of ours). Read-ahead
 *   is on, so one read(2) takes several records; records already in
 *   OpenSSL's buffer are invisible to epoll, so such sockets are kept on a
 *   "pending" list that the group's poll reports before asking epoll and
 *   that keeps the group awake (group_pending).
 * - Send: a piece of at least SSL_DIRECT_MIN bytes is handed to
 *   SSL_write_ex() where it lies (no copy of ours); smaller pieces (PDU
 *   headers, digests, small data) are gathered into a 16 KiB staging buffer
 *   first, so a 4 KiB response is one record and one write(2) instead of
 *   three. OpenSSL wants a write that returned WANT_WRITE retried with the
 *   same bytes: the staged or direct piece stays "in flight" until taken,
 *   and the queue advances only then.
 * - kTLS: with the implementation's enable_ktls, SSL_OP_ENABLE_KTLS is set
 *   and OpenSSL moves the record layer into the kernel after the handshake
 *   where the kernel has the "tls" ULP (sio_sock_get_tls_info() reports
 *   whether it did, per direction); reads and writes then cost no user-space
 *   crypto.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sock_internal.h"

/* Largest TLS record payload: the staging buffer holds one record. */
#define SSL_STAGE_SIZE 16384
/* Pieces at least this large go to SSL_write_ex() without staging. */
#define SSL_DIRECT_MIN 16384
/* Upper bound of one epoll_wait() (stack array). */
#define SSL_EVENTS_MAX 512

static const unsigned char g_cipher_aes128[2] = {0x13, 0x01}; /* TLS_AES_128_GCM_SHA256 */
static const unsigned char g_cipher_aes256[2] = {0x13, 0x02}; /* TLS_AES_256_GCM_SHA384 */

struct ssl_group;

struct ssl_sock {
	struct sio_sock base;
	uint32_t events;              /* epoll interest registered */
	SSL *ssl;                     /* NULL on a listener */
	bool server;
	bool hs_done;                 /* handshake over, records flow */
	bool on_pending;              /* in its group's pending list */
	/* A write OpenSSL has started and must be retried with the same bytes. */
	bool inflight;
	bool inflight_sync;           /* ...from sio_sock_writev(): not queue bytes */
	const uint8_t *wptr;
	size_t wlen;
	uint8_t *stage;               /* SSL_STAGE_SIZE bytes, allocated at first use */
	uint64_t t0_ns;               /* creation (connect/accept) */
	uint64_t hs_ns;               /* handshake duration */
	/* Client credentials, or (listener and accepted) the lookup. */
	uint8_t psk[SIO_SOCK_TLS_PSK_MAX];
	size_t psk_len;
	sio_sock_psk_lookup_fn lookup;
	void *lookup_ctx;
	bool ktls;                    /* ask for kTLS (implementation option at creation) */
	bool psk_refused;             /* server: the lookup refused the client's identity */
	char identity[SIO_SOCK_TLS_IDENTITY_MAX + 1];
	TAILQ_ENTRY(ssl_sock) plink;  /* group's pending list */
};

struct ssl_group {
	struct sock_group_impl base;
	int epfd;
	TAILQ_HEAD(, ssl_sock) pending; /* decrypted or buffered bytes epoll cannot see */
};

static pthread_once_t g_ctx_once = PTHREAD_ONCE_INIT;
static SSL_CTX *g_ctx_client;
static SSL_CTX *g_ctx_server;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* Contexts and the PSK callbacks                                           */
/* ------------------------------------------------------------------------ */

static const SSL_CIPHER *cipher_for(SSL *ssl, size_t psk_len)
{
	return SSL_CIPHER_find(ssl, psk_len == 48 ? g_cipher_aes256 : g_cipher_aes128);
}

/* A session object carrying an external PSK, as TLS 1.3 in OpenSSL takes it. */
static SSL_SESSION *psk_session(SSL *ssl, const uint8_t *psk, size_t len)
{
	const SSL_CIPHER *c = cipher_for(ssl, len);
	SSL_SESSION *s = SSL_SESSION_new();

	if (s == NULL || c == NULL || !SSL_SESSION_set1_master_key(s, psk, len) ||
	    !SSL_SESSION_set_cipher(s, c) || !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

/* Client: offer our identity, for the hash our key goes with. */
static int psk_use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
			      size_t *idlen, SSL_SESSION **sess)
{
	struct ssl_sock *s = SSL_get_app_data(ssl);
	const SSL_CIPHER *c = cipher_for(ssl, s->psk_len);

	*id = NULL;
	*idlen = 0;
	*sess = NULL;
	/* A HelloRetryRequest fixed the hash: no PSK unless ours matches. */
	if (md != NULL && c != NULL && md != SSL_CIPHER_get_handshake_digest(c))
		return 1;
	*sess = psk_session(ssl, s->psk, s->psk_len);
	if (*sess == NULL)
		return 0;
	*id = (const unsigned char *)s->identity;
	*idlen = strlen(s->identity);
	return 1;
}

/* Server: the caller's lookup decides; an unknown identity gets no session,
 * and with no certificate to fall back on the handshake then fails. */
static int psk_find_session_cb(SSL *ssl, const unsigned char *id, size_t idlen,
			       SSL_SESSION **sess)
{
	struct ssl_sock *s = SSL_get_app_data(ssl);
	uint8_t key[SIO_SOCK_TLS_PSK_MAX];
	int n;

	*sess = NULL;
	if (idlen == 0 || idlen > SIO_SOCK_TLS_IDENTITY_MAX || memchr(id, '\0', idlen) != NULL)
		return 1;
	memcpy(s->identity, id, idlen);
	s->identity[idlen] = '\0';
	n = s->lookup(s->lookup_ctx, s->identity, key, sizeof(key));
	if (n <= 0 || (size_t)n > sizeof(key)) {
		SIO_NOTICELOG("TLS: PSK identity \"%s\" refused (%d)", s->identity, n);
		s->psk_refused = true;
		return 1;
	}
	*sess = psk_session(ssl, key, (size_t)n);
	OPENSSL_cleanse(key, sizeof(key));
	return *sess != NULL;
}

static SSL_CTX *ctx_new(const SSL_METHOD *m)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* TLS_AES_128_GCM_SHA256 is mandatory in NVMe/TCP, SHA384 optional. */
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
	/* A peer that closes the TCP connection without close_notify is
	 * end of stream (SIO_SOCK_EOF), as for the other implementations. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

static void ctx_init(void)
{
	struct sigaction sa;

	/* OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL):
	 * a record written to a connection the peer reset would raise
	 * SIGPIPE and end the process, where the other implementations return
	 * -EPIPE. Ignored here unless the application handles it itself (a
	 * custom BIO would avoid this, but kTLS needs OpenSSL's own). */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
	    sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	g_ctx_client = ctx_new(TLS_client_method());
	g_ctx_server = ctx_new(TLS_server_method());
	if (g_ctx_client != NULL)
		SSL_CTX_set_psk_use_session_callback(g_ctx_client, psk_use_session_cb);
	if (g_ctx_server != NULL)
		SSL_CTX_set_psk_find_session_callback(g_ctx_server, psk_find_session_cb);
}

static bool ssl_available(void)
{
	pthread_once(&g_ctx_once, ctx_init);
	return g_ctx_client != NULL && g_ctx_server != NULL;
}

static int ssl_opts_check(const struct sio_sock_impl_opts *o)
{
	return o->tls_version == 0 || o->tls_version == 13 ? 0 : -ENOTSUP;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

static void log_fail(struct ssl_sock *s, const char *what, int rc, unsigned long e)
{
	char peer[SIO_SOCK_ADDR_MAX] = "?";
	char reason[160] = "connection closed";
	uint16_t port = 0;

	sio_sock_getaddr(&s->base, NULL, 0, NULL, peer, sizeof(peer), &port);
	if (s->psk_refused)
		snprintf(reason, sizeof(reason), "no key for PSK identity \"%.100s\"", s->identity);
	else if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	SIO_ERRLOG("TLS %s with %s:%u failed: %s (%s)%s", what, peer, port, reason, strerror(-rc),
		   rc == -EPROTO && !s->hs_done ? ": the peer does not speak TLS (a plain listener or host?)" : "");
}

/*
 * Maps the outcome of an SSL call that returned @ret. -EAGAIN when it only
 * waits for the kernel; otherwise the connection's error, made sticky.
 * Clears the thread's OpenSSL error queue either way.
 */
static int ssl_fail(struct ssl_sock *s, int ret, const char *what)
{
	int saved = errno;
	int err = SSL_get_error(s->ssl, ret), rc;
	unsigned long e = ERR_peek_error();

	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		rc = SIO_SOCK_EOF;
		break;
	case SSL_ERROR_SYSCALL:
		rc = e == 0 && saved != 0 ? -saved : SIO_SOCK_EOF;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			ERR_clear_error();
			return -EAGAIN;
		}
		break;
	default:
		switch (ERR_GET_REASON(e)) {
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_RECORD_LENGTH_MISMATCH:
		case SSL_R_UNEXPECTED_RECORD:
		case SSL_R_HTTP_REQUEST:
		case SSL_R_UNEXPECTED_MESSAGE:
		case SSL_R_BAD_PACKET_LENGTH:
		case SSL_R_LENGTH_MISMATCH:
			rc = -EPROTO;
			break;
		case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
			rc = s->hs_done ? -EBADMSG : -EKEYREJECTED;
			break;
		default:
			/* Alerts, binder mismatch, no PSK for the identity... */
			rc = s->hs_done ? -EPROTO : -EKEYREJECTED;
			break;
		}
		break;
	}
	if (rc != SIO_SOCK_EOF || !s->hs_done)
		log_fail(s, what, rc, e);
	if (rc == SIO_SOCK_EOF && !s->hs_done)
		rc = s->server ? SIO_SOCK_EOF : -ECONNRESET;
	ERR_clear_error();
	if (s->base.err == 0)
		s->base.err = rc;
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Handshake                                                                */
/* ------------------------------------------------------------------------ */

static void ssl_pending_set(struct ssl_sock *s);

/* 1 when done, 0 while in progress (WANT_*), negative errno on failure. */
static int handshake(struct ssl_sock *s)
{
	int ret, rc;

	if (s->hs_done)
		return 1;
	if (s->base.err != 0)
		return s->base.err;
	if (s->base.connecting) {
		rc = sio_sock_connect_status(&s->base);
		if (rc == -EINPROGRESS)
			return 0;
		if (rc != 0)
			return rc;
	}
	ERR_clear_error();
	ret = SSL_do_handshake(s->ssl);
	if (ret != 1) {
		rc = ssl_fail(s, ret, "handshake");
		if (rc == -EAGAIN) {
			/* Blocked on send space: the group's EPOLLOUT resumes it. */
			if (SSL_get_error(s->ssl, ret) == SSL_ERROR_WANT_WRITE && s->base.group != NULL &&
			    s->base.ops->group_want_send != NULL)
				s->base.ops->group_want_send(s->base.gimpl, &s->base, true);
			return 0;
		}
		sock_set_error(&s->base, rc);
		ssl_pending_set(s);
		return rc;
	}
	s->hs_done = true;
	s->hs_ns = now_ns() - s->t0_ns;
	SIO_DEBUGLOG(SOCK_LOG_FLAG, "TLS handshake done in %lu us, %s, identity \"%s\"%s",
		     (unsigned long)(s->hs_ns / 1000), SSL_get_cipher_name(s->ssl), s->identity,
		     BIO_get_ktls_send(SSL_get_wbio(s->ssl)) ? ", kTLS send" : "");
	/* Requests queued during the handshake, and records that came with
	 * the peer's last flight. */
	if (!sock_req_list_empty(&s->base.queue) && s->base.group != NULL)
		sock_group_kick(&s->base);
	ssl_pending_set(s);
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Data path                                                                */
/* ------------------------------------------------------------------------ */

static void ssl_pending_set(struct ssl_sock *s)
{
	struct ssl_group *g = (struct ssl_group *)s->base.gimpl;

	/* A failed connection stays readable (its reads return the error),
	 * as a socket with EPOLLERR/EPOLLHUP does for the other implementations. */
	if (g == NULL || s->on_pending || s->ssl == NULL ||
	    (!SSL_has_pending(s->ssl) && s->base.err == 0))
		return;
	s->on_pending = true;
	TAILQ_INSERT_TAIL(&g->pending, s, plink);
}

static ssize_t ssl_readv(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	struct ssl_sock *s = (struct ssl_sock *)sock;
	size_t total = 0, n;
	int rc;

	if (sock->err != 0)
		return sock->err;
	rc = handshake(s);
	if (rc <= 0)
		return rc == 0 ? -EAGAIN : rc;
	for (int i = 0; i < iovcnt; i++) {
		size_t off = 0;

		while (off < iov[i].iov_len) {
			ERR_clear_error();
			if (SSL_read_ex(s->ssl, (char *)iov[i].iov_base + off, iov[i].iov_len - off,
					&n) == 1) {
				off += n;
				total += n;
				continue;
			}
			rc = ssl_fail(s, 0, "read");
			goto out;
		}
		/* Another SSL_read would cost a read(2) when nothing is buffered. */
		if (!SSL_has_pending(s->ssl))
			break;
	}
	rc = 0;
out:
	ssl_pending_set(s);
	if (total > 0)
		return (ssize_t)total;
	return rc != 0 ? rc : -EAGAIN;
}

/* Picks the next bytes of the queue to write: a large piece in place, or
 * small ones gathered into the staging buffer. False when the queue is empty. */
static bool next_write(struct ssl_sock *s)
{
	struct iovec iov[SOCK_SEND_IOV_MAX];
	bool zc;
	size_t len = 0;
	int cnt = sock_queue_iov(&s->base, iov, SOCK_SEND_IOV_MAX, &zc);

	if (cnt == 0)
		return false;
	if (iov[0].iov_len >= SSL_DIRECT_MIN) {
		s->wptr = iov[0].iov_base;
		s->wlen = iov[0].iov_len;
		return true;
	}
	if (s->stage == NULL) {
		s->stage = malloc(SSL_STAGE_SIZE);
		if (s->stage == NULL) {
			/* No staging: the piece alone, in place. */
			s->wptr = iov[0].iov_base;
			s->wlen = iov[0].iov_len;
			return true;
		}
	}
	for (int i = 0; i < cnt && len < SSL_STAGE_SIZE; i++) {
		size_t take = iov[i].iov_len;

		if (i > 0 && take >= SSL_DIRECT_MIN)
			break; /* goes in place next */
		if (take > SSL_STAGE_SIZE - len)
			take = SSL_STAGE_SIZE - len;
		memcpy(s->stage + len, iov[i].iov_base, take);
		len += take;
	}
	s->wptr = s->stage;
	s->wlen = len;
	return true;
}

static int ssl_flush(struct sio_sock *sock)
{
	struct ssl_sock *s = (struct ssl_sock *)sock;
	size_t n;
	int rc;

	if (sock->err != 0) {
		sock_req_fail_all(&sock->queue, sock->err);
		return sock->err;
	}
	if (sock->listener || s->ssl == NULL)
		return 0;
	rc = handshake(s);
	if (rc <= 0)
		return rc;
	for (;;) {
		if (!s->inflight) {
			if (!next_write(s))
				return 0;
			s->inflight = true;
			s->inflight_sync = false;
		}
		ERR_clear_error();
		if (SSL_write_ex(s->ssl, s->wptr, s->wlen, &n) != 1) {
			rc = ssl_fail(s, 0, "write");
			if (rc == -EAGAIN)
				return 0; /* retried with the same bytes on send space */
			sock_set_error(sock, rc);
			return rc;
		}
		s->inflight = false;
		if (!s->inflight_sync)
			sock_queue_advance(sock, s->wlen, false);
		if (sock->closed || sock->err != 0)
			return sock->err;
	}
}

/* sio_sock_writev() with nothing queued: one record from the staging buffer. */
static ssize_t ssl_writev(struct sio_sock *sock, struct iovec *iov, int iovcnt)
{
	struct ssl_sock *s = (struct ssl_sock *)sock;
	size_t len = 0, n;
	int rc;

	rc = handshake(s);
	if (rc <= 0)
		return rc == 0 ? -EAGAIN : rc;
	if (s->inflight) {
		/* An earlier sync write still owes its bytes to OpenSSL. */
		rc = ssl_flush(sock);
		if (rc != 0)
			return rc;
		if (s->inflight)
			return -EAGAIN;
	}
	if (s->stage == NULL && (s->stage = malloc(SSL_STAGE_SIZE)) == NULL)
		return -ENOMEM;
	for (int i = 0; i < iovcnt && len < SSL_STAGE_SIZE; i++) {
		size_t take = iov[i].iov_len;

		if (take > SSL_STAGE_SIZE - len)
			take = SSL_STAGE_SIZE - len;
		memcpy(s->stage + len, iov[i].iov_base, take);
		len += take;
	}
	if (len == 0)
		return 0;
	ERR_clear_error();
	if (SSL_write_ex(s->ssl, s->stage, len, &n) == 1)
		return (ssize_t)len;
	rc = ssl_fail(s, 0, "write");
	if (rc != -EAGAIN)
		return rc;
	/* Started: OpenSSL owns the record now; the bytes count as taken and
	 * the next flush finishes them before anything queued. */
	s->inflight = true;
	s->inflight_sync = true;
	s->wptr = s->stage;
	s->wlen = len;
	if (sock->group != NULL)
		sock_group_kick(sock);
	return (ssize_t)len;
}

static bool ssl_busy(struct sio_sock *sock)
{
	(void)sock;
	return false;
}

static void ssl_sock_fini(struct sio_sock *sock)
{
	struct ssl_sock *s = (struct ssl_sock *)sock;

	if (s->ssl != NULL) {
		/* Tell the peer we are done (best effort: never blocks). */
		if (s->hs_done && sock->err == 0 && !s->inflight)
			(void)SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
		ERR_clear_error();
	}
	free(s->stage);
	s->stage = NULL;
	OPENSSL_cleanse(s->psk, sizeof(s->psk));
}

static int ssl_sock_init(struct sio_sock *sock, const struct sio_sock_opts *o,
			 struct sio_sock *listener)
{
	struct ssl_sock *s = (struct ssl_sock *)sock;
	const struct sio_sock_tls_opts *t = o != NULL ? o->tls : NULL;
	struct sio_sock_impl_opts io;

	if (!ssl_available())
		return -ENOTSUP;
	sock_impl_opts_copy(sock->ops, &io);
	sock->zcopy = false; /* OpenSSL writes from its own buffer */
	s->t0_ns = now_ns();
	s->ktls = io.enable_ktls;
	if (listener != NULL) {
		struct ssl_sock *l = (struct ssl_sock *)listener;

		s->server = true;
		s->lookup = l->lookup;
		s->lookup_ctx = l->lookup_ctx;
	} else {
		if (t == NULL || t->opts_size < sizeof(size_t))
			return -EINVAL;
		if (sock->listener) {
			if (t->opts_size < offsetof(struct sio_sock_tls_opts, psk_lookup_ctx) +
					   sizeof(void *) || t->psk_lookup == NULL)
				return -EINVAL;
			s->lookup = t->psk_lookup;
			s->lookup_ctx = t->psk_lookup_ctx;
			return 0; /* a listener has no SSL of its own */
		}
		if (t->opts_size < offsetof(struct sio_sock_tls_opts, psk_identity) + sizeof(char *) ||
		    t->psk == NULL || t->psk_len == 0 || t->psk_len > SIO_SOCK_TLS_PSK_MAX ||
		    t->psk_identity == NULL || t->psk_identity[0] == '\0' ||
		    strlen(t->psk_identity) > SIO_SOCK_TLS_IDENTITY_MAX)
			return -EINVAL;
		memcpy(s->psk, t->psk, t->psk_len);
		s->psk_len = t->psk_len;
		strcpy(s->identity, t->psk_identity);
	}
	s->ssl = SSL_new(s->server ? g_ctx_server : g_ctx_client);
	if (s->ssl == NULL || !SSL_set_fd(s->ssl, sock->fd)) {
		ERR_clear_error();
		SSL_free(s->ssl);
		s->ssl = NULL;
		return -ENOMEM;
	}
	SSL_set_app_data(s->ssl, s);
	/* Several records per read(2); what it buffers is tracked (pending). */
	SSL_set_read_ahead(s->ssl, 1);
	if (!s->server)
		SSL_set_ciphersuites(s->ssl, s->psk_len == 48 ? "TLS_AES_256_GCM_SHA384"
							      : "TLS_AES_128_GCM_SHA256");
	if (s->ktls)
		SSL_set_options(s->ssl, SSL_OP_ENABLE_KTLS);
	if (s->server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	return 0;
}

static int ssl_tls_info(struct sio_sock *sock, struct sio_sock_tls_info *info)
{
	struct ssl_sock *s = (struct ssl_sock *)sock;

	if (s->ssl == NULL || !s->hs_done)
		return sock->err != 0 ? sock->err : -EAGAIN;
	memset(info, 0, sizeof(*info));
	info->cipher = SSL_get_cipher_name(s->ssl);
	strcpy(info->psk_identity, s->identity);
	info->handshake_us = s->hs_ns / 1000;
	info->ktls_send = BIO_get_ktls_send(SSL_get_wbio(s->ssl)) > 0;
	info->ktls_recv = BIO_get_ktls_recv(SSL_get_rbio(s->ssl)) > 0;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Groups: an epoll set, plus the sockets whose bytes OpenSSL holds          */
/* ------------------------------------------------------------------------ */

static int ssl_group_init(struct sock_group_impl *g)
{
	struct ssl_group *sg = (struct ssl_group *)g;

	TAILQ_INIT(&sg->pending);
	sg->epfd = epoll_create1(EPOLL_CLOEXEC);
	return sg->epfd >= 0 ? 0 : -errno;
}

static int ssl_group_fd(struct sock_group_impl *g)
{
	return ((struct ssl_group *)g)->epfd;
}

static int ssl_group_add(struct sock_group_impl *g, struct sio_sock *sock)
{
	struct ssl_group *sg = (struct ssl_group *)g;
	struct ssl_sock *s = (struct ssl_sock *)sock;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = sock};

	if (epoll_ctl(sg->epfd, EPOLL_CTL_ADD, sock->fd, &ev) != 0)
		return -errno;
	s->events = ev.events;
	/* Bytes read by another group (or outside one) before the move. */
	ssl_pending_set(s);
	return 0;
}

static int ssl_group_remove(struct sock_group_impl *g, struct sio_sock *sock)
{
	struct ssl_group *sg = (struct ssl_group *)g;
	struct ssl_sock *s = (struct ssl_sock *)sock;

	if (s->on_pending) {
		TAILQ_REMOVE(&sg->pending, s, plink);
		s->on_pending = false;
	}
	return epoll_ctl(sg->epfd, EPOLL_CTL_DEL, sock->fd, NULL) == 0 ? 0 : -errno;
}

static void ssl_group_want_send(struct sock_group_impl *g, struct sio_sock *sock, bool want)
{
	struct ssl_group *sg = (struct ssl_group *)g;
	struct ssl_sock *s = (struct ssl_sock *)sock;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0),
				 .data.ptr = sock};

	/* The handshake may still wait to write although nothing is queued. */
	if (!want && s->ssl != NULL && !s->hs_done && SSL_want_write(s->ssl))
		ev.events |= EPOLLOUT;
	if (ev.events == s->events)
		return;
	if (epoll_ctl(sg->epfd, EPOLL_CTL_MOD, sock->fd, &ev) == 0)
		s->events = ev.events;
}

static int ssl_group_poll(struct sock_group_impl *g, int max, struct sock_event *out)
{
	struct ssl_group *sg = (struct ssl_group *)g;
	struct epoll_event ev[SSL_EVENTS_MAX];
	struct ssl_sock *s, *tmp;
	int n = 0, k;

	if (max > SSL_EVENTS_MAX)
		max = SSL_EVENTS_MAX;
	/* Bytes OpenSSL already holds: reported as readable, level-triggered. */
	for (s = TAILQ_FIRST(&sg->pending); s != NULL && n < max; s = tmp) {
		tmp = TAILQ_NEXT(s, plink);
		if (s->ssl == NULL || (!SSL_has_pending(s->ssl) && s->base.err == 0)) {
			TAILQ_REMOVE(&sg->pending, s, plink);
			s->on_pending = false;
			continue;
		}
		out[n].sock = &s->base;
		out[n].flags = SOCK_EV_READ;
		s->base.dispatching = g->group;
		n++;
	}
	if (n == max)
		return n;
	k = epoll_wait(sg->epfd, ev, max - n, 0);
	if (k < 0)
		return n > 0 ? n : (errno == EINTR ? 0 : -errno);
	for (int i = 0; i < k; i++) {
		struct sio_sock *sock = ev[i].data.ptr;
		uint32_t e = ev[i].events, f = 0;
		int j;

		if (e & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))
			f |= SOCK_EV_READ;
		if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			f |= SOCK_EV_WRITE;
		/* Already reported from the pending list: merge. */
		for (j = 0; j < n; j++)
			if (out[j].sock == sock)
				break;
		if (j < n) {
			out[j].flags |= f;
			continue;
		}
		out[n].sock = sock;
		out[n].flags = f;
		sock->dispatching = g->group;
		n++;
	}
	return n;
}

static bool ssl_group_pending(struct sock_group_impl *g)
{
	return !TAILQ_EMPTY(&((struct ssl_group *)g)->pending);
}

static void ssl_group_fini(struct sock_group_impl *g)
{
	close(((struct ssl_group *)g)->epfd);
}

const struct sio_sock_impl_ops sio_sock_impl_ssl = {
	.name = "ssl",
	.sock_size = sizeof(struct ssl_sock),
	.group_size = sizeof(struct ssl_group),
	.available = ssl_available,
	.opts_check = ssl_opts_check,
	.sock_init = ssl_sock_init,
	.writev = ssl_writev,
	.tls_info = ssl_tls_info,
	.readv = ssl_readv,
	.flush = ssl_flush,
	.busy = ssl_busy,
	.sock_fini = ssl_sock_fini,
	.group_init = ssl_group_init,
	.group_fd = ssl_group_fd,
	.group_add = ssl_group_add,
	.group_remove = ssl_group_remove,
	.group_want_send = ssl_group_want_send,
	.group_poll = ssl_group_poll,
	.group_pending = ssl_group_pending,
	.group_fini = ssl_group_fini,
};
