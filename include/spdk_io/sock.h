/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file sock.h
 * The sock layer: non-blocking TCP sockets for polled sio_threads.
 *
 * - A struct sio_sock is one TCP connection or one listener, IPv4 or IPv6
 *   (numeric addresses only: "127.0.0.1", "::1"; no name resolution, which
 *   could block). Every socket is non-blocking, TCP_NODELAY, close-on-exec.
 * - Reads and writes never block and never raise a signal: a write to a
 *   connection the peer reset returns -EPIPE or -ECONNRESET (MSG_NOSIGNAL),
 *   never SIGPIPE.
 * - A struct sio_sock_group belongs to one sio_thread and polls all its
 *   sockets with one system call per implementation in use (epoll_wait with
 *   a zero timeout for "posix", one pass over the completion ring for
 *   "uring"), from a poller of that thread; a callback runs per readable
 *   socket. The group's fd also wakes the thread's interrupt fd, so a thread
 *   driven by an outside event loop (docs/thread.md) sleeps until a socket
 *   has something to say.
 * - Sends come in two forms: sio_sock_writev() (synchronous, partial progress
 *   reported) and sio_sock_writev_async() (a caller-owned request queued
 *   without allocation, flushed by the group's poller, many requests per
 *   sendmsg(), optionally zero-copy).
 * - Two implementations behind one ops table: "posix" (epoll, plain system
 *   calls, optional MSG_ZEROCOPY) and "uring" (io_uring: batched sends,
 *   multishot receive into provided buffers where the kernel has it). Each
 *   has options (struct sio_sock_impl_opts, SPDK's sock_impl_set_options);
 *   one is the default, chosen per socket by sio_sock_opts.impl_name.
 *
 * Threading: a socket is used by one sio_thread at a time (the one whose
 * group holds it, or the one that created it while it is in no group).
 * Nothing here takes a lock on the I/O path. The option and default-impl
 * calls are for configuration time (app start, RPC) and take a mutex.
 *
 * End of stream: sio_sock_recv() and sio_sock_readv() never return 0 for a
 * non-empty buffer. An orderly close by the peer (FIN) is SIO_SOCK_EOF
 * (-ESHUTDOWN), a reset (RST) is -ECONNRESET, so 0 can never be mistaken for
 * either (it only answers a zero-length read).
 */
#ifndef SPDK_IO_SOCK_H
#define SPDK_IO_SOCK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "spdk_io/async.h"
#include "spdk_io/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sio_sock;
struct sio_sock_tls_opts;
struct sio_sock_group;

/** What sio_sock_recv()/sio_sock_readv() return once the peer closed its side in order. */
#define SIO_SOCK_EOF (-ESHUTDOWN)

/** Longest numeric address string sio_sock_getaddr() writes, with its NUL (INET6_ADDRSTRLEN). */
#define SIO_SOCK_ADDR_MAX 46

/* ------------------------------------------------------------------------ */
/* Implementations and their options                                        */
/* ------------------------------------------------------------------------ */

/**
 * Options of one implementation ("posix", "uring"), as SPDK's
 * sock_impl_set_options RPC names them. They apply to sockets created after
 * the change. Options an implementation cannot honour are accepted, kept and
 * reported back unchanged; docs/sock.md lists which ones act where.
 */
struct sio_sock_impl_opts {
	/** Size of this struct as the caller knows it (sizeof). */
	size_t opts_size;
	/** SO_RCVBUF for new sockets in bytes; 0 keeps the kernel's autotuning (default). */
	uint32_t recv_buf_size;
	/** SO_SNDBUF for new sockets in bytes; 0 keeps the kernel's autotuning (default). */
	uint32_t send_buf_size;
	/**
	 * Receive into the layer's own buffers ahead of the reads. "uring":
	 * multishot receive into a per-group ring of provided buffers, copied
	 * out by the reads (default true where the kernel has it). "posix":
	 * accepted and reported, no effect (default false).
	 */
	bool enable_recv_pipe;
	/** Set TCP_QUICKACK on new connections (default false). */
	bool enable_quickack;
	/** SPDK's NAPI placement id mode; accepted and reported, no effect (default 0). */
	uint32_t enable_placement_id;
	/** Allow zero-copy sends on accepted (server-side) sockets (default false). "posix" only:
	 *  "uring" accepts it and copies inside a group. */
	bool enable_zerocopy_send_server;
	/** Allow zero-copy sends on connected (client-side) sockets (default false). */
	bool enable_zerocopy_send_client;
	/**
	 * A request of at least this many bytes is sent with MSG_ZEROCOPY when
	 * zero copy is on for its socket; smaller ones are copied (the page
	 * pinning and the completion notification cost more than copying a
	 * few KiB). 0 means the built-in 64 KiB.
	 */
	uint32_t zerocopy_threshold;
	/** TLS version: "ssl" takes 0 (default: 1.3) or 13; the others only 0 (else -ENOTSUP). */
	uint32_t tls_version;
	/**
	 * Kernel TLS ("ssl" only, default false): ask OpenSSL to hand the
	 * record layer to the kernel after the handshake where the kernel
	 * offers it (sio_sock_get_tls_info() tells whether it did). The others
	 * refuse true with -ENOTSUP.
	 */
	bool enable_ktls;
	/**
	 * TCP congestion control (TCP_CONGESTION) for connections to this
	 * machine itself: the peer address is a loopback one (127.0.0.0/8,
	 * ::1) or the socket's own local address. Nothing is congested on
	 * loopback, and BBR (a common system default) turns on the kernel's
	 * internal pacing, whose timers cost the sending core CPU: ~40 % of
	 * the sender's busy time per 128 KiB NVMe/TCP I/O (docs/sock.md,
	 * docs/nvme.md). A listener on a loopback address sets it before
	 * listen() (its connections start with it); other connections switch
	 * after connect() or accept(). Default "reno" (built into every
	 * kernel and allowed to unprivileged processes); "" keeps the
	 * system's (net.ipv4.tcp_congestion_control). A name the kernel
	 * refuses leaves the connection on the system's; a name without its
	 * NUL within the array is refused with -EINVAL. Applies to sockets
	 * created after the change. Not part of SPDK's sock_impl_set_options
	 * (C only, not saved by save_config).
	 */
	char loopback_tcp_congestion[16];
};

/**
 * sio_sock_impl_get_opts() - Copy the current options of implementation
 * @impl_name into @opts, up to @opts->opts_size bytes (set it first).
 * Context: any thread (takes the options mutex).
 * Return: 0; -EINVAL for NULL arguments or an @opts_size below the first
 * field's end; -ENOENT for an unknown implementation.
 */
int sio_sock_impl_get_opts(const char *impl_name, struct sio_sock_impl_opts *opts);

/**
 * sio_sock_impl_set_opts() - Replace the options of implementation @impl_name
 * with @opts (fields beyond @opts->opts_size keep their current values).
 * Sockets already open keep what they were created with.
 * Context: any thread (takes the options mutex).
 * Return: 0; -EINVAL for NULL arguments or a bad @opts_size; -ENOENT for an
 * unknown implementation; -ENOTSUP for TLS options the implementation
 * lacks (tls_version other than 0, or 13 for "ssl"; enable_ktls outside "ssl").
 */
int sio_sock_impl_set_opts(const char *impl_name, const struct sio_sock_impl_opts *opts);

/**
 * sio_sock_set_default_impl() - Make @impl_name the implementation of sockets
 * whose sio_sock_opts.impl_name is NULL. The built-in default is "posix".
 * Context: any thread.
 * Return: 0; -EINVAL for NULL; -ENOENT for an unknown implementation.
 */
int sio_sock_set_default_impl(const char *impl_name);

/** sio_sock_get_default_impl() - Name of the default implementation (static string). Context: any thread. */
const char *sio_sock_get_default_impl(void);

/**
 * sio_sock_impl_is_available() - Whether @impl_name exists and works on this
 * machine ("uring" needs io_uring; a kernel or seccomp policy may refuse it).
 * Context: any thread. Return: true or false (false for NULL).
 */
bool sio_sock_impl_is_available(const char *impl_name);

/* ------------------------------------------------------------------------ */
/* Sockets                                                                  */
/* ------------------------------------------------------------------------ */

/** Options of one socket, for sio_sock_connect() and sio_sock_listen(). */
struct sio_sock_opts {
	/** Size of this struct as the caller knows it (sizeof). */
	size_t opts_size;
	/** Implementation name ("posix", "uring"); NULL for the default (sio_sock_set_default_impl()). */
	const char *impl_name;
	/** SO_PRIORITY for the socket; 0 leaves the kernel's (default 0). */
	int priority;
	/**
	 * Ask for zero-copy sends (MSG_ZEROCOPY) of large requests. Takes effect
	 * only where the implementation's enable_zerocopy_send_client (connected
	 * sockets) or enable_zerocopy_send_server (accepted sockets, inherited
	 * from the listener) also allows it. Default true, as in SPDK: the
	 * implementation options decide.
	 */
	bool zcopy;
	/** TCP_USER_TIMEOUT in milliseconds: how long sent data may stay unacknowledged; 0 leaves the kernel's. */
	uint32_t ack_timeout_ms;
	/**
	 * TLS credentials for the "ssl" implementation (required there, ignored
	 * by the others): copied at connect/listen, so it need not outlive the
	 * call. NULL for the others.
	 */
	const struct sio_sock_tls_opts *tls;
	/**
	 * sio_sock_connect(): the local address to connect from (numeric, the
	 * family of the peer's), bound before connect(); NULL (default) lets the
	 * kernel choose. Copied at connect. Ignored by sio_sock_listen().
	 */
	const char *src_addr;
	/**
	 * sio_sock_connect(): the local port to connect from (1..65535); 0
	 * (default) lets the kernel choose. A fixed port fits one connection at a time.
	 */
	int src_port;
};

/** Longest TLS PSK identity the "ssl" implementation takes, without its NUL. */
#define SIO_SOCK_TLS_IDENTITY_MAX 511
/** Longest TLS PSK in bytes. */
#define SIO_SOCK_TLS_PSK_MAX 64

/**
 * sio_sock_psk_lookup_fn - Server side of a TLS 1.3 external-PSK handshake:
 * the key of the PSK identity @identity (NUL-terminated, as the client sent
 * it) or a refusal.
 * @ctx: sio_sock_tls_opts.psk_lookup_ctx of the listener.
 * @psk: where to write the key (@psk_max bytes available).
 * Runs on the thread driving the accepted socket's handshake (the one that
 * reads it, usually its group's), inside the handshake: keep it short.
 * Return: the key's length (1..@psk_max); a negative errno refuses the
 * identity (the handshake then fails with an alert to the client).
 */
typedef int (*sio_sock_psk_lookup_fn)(void *ctx, const char *identity, uint8_t *psk,
				      size_t psk_max);

/**
 * struct sio_sock_tls_opts - TLS 1.3 with an external pre-shared key ("ssl").
 *
 * OpenSSL writes records with write(2), which raises SIGPIPE on a reset
 * connection: the first use of "ssl" sets SIGPIPE to SIG_IGN if it is still
 * at its default (an application's own handler is left alone), so errors
 * come back as -EPIPE/-ECONNRESET as with the other implementations.
 *
 * Only TLS 1.3 is spoken, only with a PSK (no certificates), with (EC)DHE
 * (psk_dhe_ke: forward secrecy), no session tickets. The cipher suite
 * follows the PSK's length: a 48-byte key goes with TLS_AES_256_GCM_SHA384,
 * any other with TLS_AES_128_GCM_SHA256 (NVMe/TCP: identity hash 02 / 01).
 */
struct sio_sock_tls_opts {
	/** Size of this struct as the caller knows it (sizeof). */
	size_t opts_size;
	/** Client: the PSK (1..SIO_SOCK_TLS_PSK_MAX bytes). */
	const uint8_t *psk;
	/** Client: length of @psk. */
	size_t psk_len;
	/** Client: the PSK identity sent in the ClientHello (NUL-terminated). */
	const char *psk_identity;
	/** Listener: maps an identity to its key (required on a listener). */
	sio_sock_psk_lookup_fn psk_lookup;
	/** Listener: passed to @psk_lookup; must outlive the listener and its connections' handshakes. */
	void *psk_lookup_ctx;
};

/** What sio_sock_get_tls_info() reports about a TLS connection. */
struct sio_sock_tls_info {
	/** Negotiated cipher suite (static string, "TLS_AES_128_GCM_SHA256"...). */
	const char *cipher;
	/** PSK identity used (the client's, as the server accepted it). */
	char psk_identity[SIO_SOCK_TLS_IDENTITY_MAX + 1];
	/** Microseconds from the socket's creation (connect or accept) to the end of the handshake. */
	uint64_t handshake_us;
	/** Records are encrypted (sent) by the kernel (kTLS), not by OpenSSL. */
	bool ktls_send;
	/** Records are decrypted (received) by the kernel (kTLS). */
	bool ktls_recv;
};

/**
 * sio_sock_get_tls_info() - The TLS state of @sock once its handshake ended.
 * Context: the socket's thread.
 * Return: 0 and *@info; -EINVAL for NULL arguments; -ENOTSUP when @sock is
 * not a TLS socket; -EAGAIN while its handshake is still in progress; the
 * connection's error when the handshake failed (-EKEYREJECTED: the peer's
 * key or identity was refused; -EPROTO: the peer does not speak TLS).
 */
int sio_sock_get_tls_info(struct sio_sock *sock, struct sio_sock_tls_info *info);

/** sio_sock_opts_init() - Fill @opts with the defaults, for a caller that knows @opts_size bytes of it. */
void sio_sock_opts_init(struct sio_sock_opts *opts, size_t opts_size);

/**
 * sio_sock_connect() - Start a TCP connection to @ip:@port and return at once.
 * @ip: numeric IPv4 ("127.0.0.1") or IPv6 ("::1", optionally in brackets).
 * @port: 1..65535.
 * @opts: NULL for the defaults.
 * @out: set to the new socket on success.
 * The connection is usually still being established: writes return -EAGAIN
 * and reads -EAGAIN until it is; sio_sock_connect_status() tells, and
 * sio_sock_wait(SIO_SOCK_WAIT_WRITABLE) or sio_sock_connect_await() wait.
 * A refused connection shows as -ECONNREFUSED from the status, reads and
 * writes. (Over loopback the kernel may refuse or accept inside this call.)
 * Context: any thread; the socket is then used by one sio_thread at a time.
 * Return: 0; -EINVAL for a NULL or non-numeric @ip, a bad @port or NULL @out;
 * -ENOENT for an unknown implementation; -ENOTSUP for one this machine
 * cannot run (sio_sock_impl_is_available()); -ENOMEM; -ECONNREFUSED or
 * -ENETUNREACH when the kernel already knows; other negative errno from
 * socket(2)/connect(2) (-EMFILE, -EADDRNOTAVAIL...). With
 * sio_sock_opts.src_addr/src_port: -EINVAL for a non-numeric address or a
 * bad port, -EAFNOSUPPORT when its family is not @ip's, bind(2)'s errors
 * (-EADDRNOTAVAIL for an address not on this host, -EADDRINUSE).
 */
int sio_sock_connect(const char *ip, int port, const struct sio_sock_opts *opts,
		     struct sio_sock **out);

/**
 * sio_sock_connect_status() - Where a connection started by sio_sock_connect() is.
 * Context: the socket's thread.
 * Return: 0 when established (also for accepted sockets); -EINPROGRESS while
 * it is being established; the negative errno it failed with
 * (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH...); -EINVAL for NULL or a listener.
 */
int sio_sock_connect_status(struct sio_sock *sock);

/**
 * sio_sock_listen() - Listen on @ip:@port.
 * @ip: numeric address to bind ("0.0.0.0", "::", "127.0.0.1", "::1"...).
 *      An IPv6 listener accepts IPv6 only (IPV6_V6ONLY).
 * @port: 0 for an ephemeral port (read it back with sio_sock_getaddr()), else 1..65535.
 * @opts: NULL for the defaults; accepted sockets inherit the implementation,
 *        priority and zcopy.
 * @out: set to the listener on success.
 * SO_REUSEADDR is set (a restarted server binds at once) and the backlog is
 * SOMAXCONN.
 * Context: any thread; then used by one sio_thread at a time.
 * Return: 0; -EINVAL for bad arguments; -ENOENT for an unknown
 * implementation; -ENOTSUP for one this machine cannot run; -ENOMEM; -EADDRINUSE; -EADDRNOTAVAIL; -EACCES; other
 * negative errno from socket(2)/bind(2)/listen(2).
 */
int sio_sock_listen(const char *ip, int port, const struct sio_sock_opts *opts,
		    struct sio_sock **out);

/**
 * sio_sock_accept() - Take one pending connection of @listener.
 * The new socket is non-blocking, TCP_NODELAY, of the listener's
 * implementation, in no group.
 * Context: the listener's thread.
 * Return: 0 and *@out; -EAGAIN when no connection is pending; -EINVAL for
 * NULL or a non-listener; -ENOMEM; -EMFILE/-ENFILE (the pending connection
 * stays queued); other negative errno from accept4(2).
 */
int sio_sock_accept(struct sio_sock *listener, struct sio_sock **out);

/**
 * sio_sock_close() - Close *@sock and set it to NULL (NULL *@sock is a no-op).
 * Never blocks: no SO_LINGER wait. The socket leaves its group (allowed from
 * inside its own group callback), a pending sio_sock_wait() completes with
 * -ECANCELED, and async requests not yet handed to the kernel complete with
 * -ECANCELED before this returns. Requests the kernel still holds (zero-copy
 * pages not yet released, uring sends in flight) complete later, from the
 * group's poller, once the kernel lets go of their buffers: only then may
 * their memory be reused (a request only partly sent then completes with
 * -ECANCELED). A socket in no group has nobody to wait for the kernel: such
 * requests complete with -ECANCELED inside this call although the kernel may
 * still read their buffers until the connection's queued data is gone (flush
 * and wait for the callbacks before closing if that matters). Data already
 * written keeps going out after the close, as with close(2).
 * Context: the socket's thread.
 * Return: 0; -EINVAL for NULL @sock.
 */
int sio_sock_close(struct sio_sock **sock);

/**
 * sio_sock_getaddr() - The local and peer addresses of @sock, as numeric strings.
 * @saddr, @slen: buffer for the local address (SIO_SOCK_ADDR_MAX is enough); NULL to skip.
 * @sport: the local port; NULL to skip.
 * @caddr, @clen: buffer for the peer's address; NULL to skip (a listener has none: "").
 * @cport: the peer's port (0 for a listener); NULL to skip.
 * IPv6 addresses are written without brackets; IPv4-mapped ones as written by inet_ntop().
 * Context: the socket's thread (or any, while nobody closes it).
 * Return: 0; -EINVAL for NULL @sock; -ENOSPC when a buffer is too small;
 * -ENOTCONN for the peer of a connection not established yet.
 */
int sio_sock_getaddr(struct sio_sock *sock, char *saddr, int slen, uint16_t *sport,
		     char *caddr, int clen, uint16_t *cport);

/** sio_sock_is_ipv6() - Whether @sock is an IPv6 socket (false for NULL). Context: any. */
bool sio_sock_is_ipv6(struct sio_sock *sock);

/** sio_sock_get_impl_name() - Name of @sock's implementation (static string; NULL for NULL). */
const char *sio_sock_get_impl_name(struct sio_sock *sock);

/**
 * sio_sock_set_recvbuf() - SO_RCVBUF of @sock (the kernel doubles it and
 * clamps it to net.core.rmem_max). Turns off the kernel's autotuning for it.
 * Context: the socket's thread. Return: 0; -EINVAL; errno of setsockopt(2).
 */
int sio_sock_set_recvbuf(struct sio_sock *sock, int sz);

/** sio_sock_set_sendbuf() - As sio_sock_set_recvbuf(), SO_SNDBUF (wmem_max). */
int sio_sock_set_sendbuf(struct sio_sock *sock, int sz);

/**
 * sio_sock_set_recvlowat() - Report @sock readable to its group only once
 * @nbytes are buffered (SO_RCVLOWAT; default 1). EOF and errors report at once.
 * Context: the socket's thread. Return: 0; -EINVAL; errno of setsockopt(2).
 */
int sio_sock_set_recvlowat(struct sio_sock *sock, int nbytes);

/* ------------------------------------------------------------------------ */
/* Receiving and sending                                                    */
/* ------------------------------------------------------------------------ */

/**
 * sio_sock_recv() - Read up to @len bytes from @sock into @buf.
 * Context: the socket's thread. Never blocks.
 * Return: the number of bytes read (> 0; may be less than @len); 0 only when
 * @len is 0; -EAGAIN when nothing is buffered (also while connecting);
 * SIO_SOCK_EOF (-ESHUTDOWN) once the peer closed in order and every byte was
 * read; -ECONNRESET after a reset; -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH
 * for a failed connection; -EINVAL for NULL arguments or a listener;
 * other negative errno from the kernel.
 */
ssize_t sio_sock_recv(struct sio_sock *sock, void *buf, size_t len);

/**
 * sio_sock_readv() - As sio_sock_recv(), scattering into @iov[0..@iovcnt)
 * (at most IOV_MAX entries). Return: as sio_sock_recv(); 0 only when the
 * iovecs hold no bytes; -EINVAL also for a negative or too large @iovcnt.
 */
ssize_t sio_sock_readv(struct sio_sock *sock, struct iovec *iov, int iovcnt);

/**
 * sio_sock_writev() - Write what the kernel takes now of @iov[0..@iovcnt).
 * Context: the socket's thread. Never blocks, never raises SIGPIPE.
 * Async requests already queued on @sock go first (ordering is kept): this
 * call flushes them and writes its own bytes only once they are all out.
 * Return: bytes written (>= 0, possibly fewer than asked: write the rest
 * later); -EAGAIN when nothing could go (send buffer full, queued requests
 * still pending, or still connecting); -EPIPE or -ECONNRESET when the peer
 * is gone; -ECONNREFUSED etc. for a failed connection; -EINVAL for NULL
 * arguments, a listener, or a bad @iovcnt; other negative errno from sendmsg(2).
 */
ssize_t sio_sock_writev(struct sio_sock *sock, struct iovec *iov, int iovcnt);

/**
 * struct sio_sock_request - One queued send: @iovcnt buffers written in order,
 * then @cb(@cb_arg, 0) (or a negative errno if the connection failed first).
 * Caller-owned and caller-allocated (embed it in your PDU or command
 * object): queuing allocates nothing. The iovec array and the buffers it
 * points to must stay untouched until the callback ran; the request itself
 * may be reused from inside its callback.
 */
struct sio_sock_request {
	/** The buffers to send, in order; the array is not copied. */
	struct iovec *iov;
	/** Number of entries in @iov (1..IOV_MAX). */
	int iovcnt;
	/** Completion: 0 once every byte went out (and, for zero copy, the kernel released the pages); negative errno otherwise. */
	sio_done_cb cb;
	/** Passed to @cb. */
	void *cb_arg;
	/** Private to the sock layer: do not touch while queued. */
	struct {
		struct sio_sock_request *next; /* socket's FIFO of queued/in-flight requests */
		size_t offset;                  /* bytes of this request already handed to the kernel */
		uint32_t zcopy_seq;             /* last MSG_ZEROCOPY sequence number covering it */
		uint8_t state;                  /* queued, sent, awaiting zero-copy release */
		bool zcopy;                     /* sent with MSG_ZEROCOPY */
	} internal;
};

/**
 * sio_sock_writev_async() - Queue @req on @sock. Nothing is sent inside this
 * call: the group's poller (or sio_sock_flush()) hands queued requests to
 * the kernel, as many as fit per sendmsg() (or per io_uring submission), so
 * several small requests queued in one turn cost one system call. A request
 * of at least the zerocopy threshold on a socket with zero copy on is sent
 * with MSG_ZEROCOPY and completes only after the kernel released its pages.
 * @req->cb runs exactly once, on the socket's thread, never inside this call:
 * 0 when sent; the connection's negative errno (-EPIPE, -ECONNRESET...) when
 * it failed; -ECANCELED when the socket was closed first.
 * A socket in no group sends only on sio_sock_flush().
 * Context: the socket's thread.
 * Return: 0 (queued); -EINVAL for NULL arguments, a NULL cb, a bad @iovcnt,
 * a listener, or a request already queued.
 */
int sio_sock_writev_async(struct sio_sock *sock, struct sio_sock_request *req);

/**
 * sio_sock_flush() - Hand @sock's queued requests to the kernel now, as far
 * as its send buffer takes them. Callbacks of completed requests may run
 * inside this call (zero-copy ones only once released, later).
 * Context: the socket's thread.
 * Return: 0 (whatever remains queued goes later); -EINVAL for NULL; the
 * connection's negative errno once it failed (every queued request then
 * completed with it).
 */
int sio_sock_flush(struct sio_sock *sock);

/* ------------------------------------------------------------------------ */
/* Groups                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Called for each readable socket of a group: data, a pending connection on a
 * listener, EOF or an error to read. Read until -EAGAIN or leave some for the
 * next poll (level-triggered: the socket is reported again while readable).
 * May close @sock, remove it, add others, queue writes.
 */
typedef void (*sio_sock_cb)(void *cb_arg, struct sio_sock_group *group, struct sio_sock *sock);

/**
 * sio_sock_group_create() - A group of sockets on the current sio_thread,
 * polled by a poller registered on it (named "sock_group"), which also sends
 * the group's queued async requests. The group's event fd joins the
 * thread's interrupt fd (docs/thread.md), so a thread in interrupt mode
 * wakes on socket readiness and otherwise sleeps.
 * @ctx: the caller's, returned by sio_sock_group_get_ctx().
 * Context: a sio_thread; the group is used only there.
 * Return: the group, or NULL with errno set (EPERM with no current thread,
 * ENOMEM, or an errno of epoll_create1(2)).
 */
struct sio_sock_group *sio_sock_group_create(void *ctx);

/** sio_sock_group_get_ctx() - The @ctx given to sio_sock_group_create() (NULL for NULL). */
void *sio_sock_group_get_ctx(struct sio_sock_group *group);

/**
 * sio_sock_group_add_sock() - Poll @sock in @group: @cb(@cb_arg, group, sock)
 * runs from the group's poll whenever @sock is readable (a listener: when a
 * connection is pending). The group also flushes @sock's async requests.
 * Context: the group's thread.
 * Return: 0; -EINVAL for NULL arguments; -EBUSY when @sock is already in a
 * group or has a sio_sock_wait() pending; -ENOMEM; other negative errno from
 * epoll_ctl(2) or io_uring setup for the socket's implementation.
 */
int sio_sock_group_add_sock(struct sio_sock_group *group, struct sio_sock *sock,
			    sio_sock_cb cb, void *cb_arg);

/**
 * sio_sock_group_remove_sock() - Stop polling @sock in @group. Its queued
 * async requests stay queued (sent by sio_sock_flush() or another group).
 * Allowed from inside any callback of the group.
 * Context: the group's thread.
 * Return: 0; -EINVAL for NULL; -ENOENT when @sock is not in @group.
 */
int sio_sock_group_remove_sock(struct sio_sock_group *group, struct sio_sock *sock);

/**
 * sio_sock_group_poll_count() - Poll @group once: send queued requests,
 * reap completions, and run the callback of up to @max_events readable
 * sockets (sockets beyond that stay readable for the next poll).
 * The group's poller calls this; call it yourself to drive the group
 * harder or from a loop of your own (both together are fine).
 * Context: the group's thread; not from inside one of its own callbacks.
 * Return: the number of callbacks run (>= 0); -EINVAL for NULL or @max_events < 1;
 * -EBUSY when called from inside the group's own poll.
 */
int sio_sock_group_poll_count(struct sio_sock_group *group, int max_events);

/**
 * sio_sock_group_get_poll_stats() - How many times @group was polled since its
 * creation (by its poller or by the caller), and how many of those polls ran
 * no socket callback.
 * Context: the group's thread (plain counters).
 * Return: 0; -EINVAL when an argument is NULL.
 */
int sio_sock_group_get_poll_stats(const struct sio_sock_group *group, uint64_t *polls,
				  uint64_t *idle_polls);

/** sio_sock_group_poll() - sio_sock_group_poll_count() with up to 32 events. */
int sio_sock_group_poll(struct sio_sock_group *group);

/**
 * sio_sock_group_close() - Free *@group and set it to NULL (NULL *@group is
 * a no-op). Its pollers are unregistered; requests the kernel still holds
 * for sockets closed earlier are waited for, polling the group for up to
 * 100 ms (loopback releases them as soon as the peer reads), then completed
 * with -ECANCELED and dropped with a warning.
 * Context: the group's thread; not from inside one of its callbacks.
 * Return: 0; -EINVAL for NULL @group; -EBUSY while sockets are still in it
 * (remove or close them first); -EBUSY from inside the group's own poll.
 */
int sio_sock_group_close(struct sio_sock_group **group);

/* ------------------------------------------------------------------------ */
/* Waiting: callback forms and awaitables for tasks                         */
/* ------------------------------------------------------------------------ */

/** sio_sock_wait() events. */
enum sio_sock_wait_events {
	SIO_SOCK_WAIT_READABLE = 1 << 0, /**< data, EOF, an error, or (listener) a pending connection */
	SIO_SOCK_WAIT_WRITABLE = 1 << 1, /**< send space; or a connect that finished (either way) */
};

/**
 * sio_sock_wait() - Run @cb(@cb_arg, 0) once @sock is ready for one of
 * @events (enum sio_sock_wait_events), on the calling thread, never inside
 * this call. For sockets outside a group (a group already reports
 * readability through its callback): one wait per socket at a time. The wait
 * is a poller of the calling thread that checks the socket each turn; the
 * socket's fd wakes a thread in interrupt mode.
 * @cb runs with -ECANCELED if @sock is closed first.
 * Context: the socket's thread.
 * Return: 0 (started); -EINVAL for NULL arguments or no/unknown @events;
 * -EBUSY when @sock is in a group; -EALREADY when a wait is pending;
 * -EPERM with no current thread; -ENOMEM.
 */
int sio_sock_wait(struct sio_sock *sock, unsigned int events, sio_done_cb cb, void *cb_arg);

/**
 * sio_sock_wait_await() - Park the current task until sio_sock_wait() completes.
 * Context: inside a task on the socket's thread; parks the task.
 * Return: 0 when ready; the errors of sio_sock_wait(); -ECANCELED; -EPERM outside a task.
 */
int sio_sock_wait_await(struct sio_sock *sock, unsigned int events);

/**
 * sio_sock_connect_await() - sio_sock_connect(), then park the current task
 * until the connection is established or has failed.
 * On failure nothing is left open and *@out is NULL.
 * Context: inside a task on a sio_thread; parks the task.
 * Return: 0 and *@out connected; the errors of sio_sock_connect();
 * -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH... for a failed connection;
 * -EPERM outside a task (nothing is started).
 */
int sio_sock_connect_await(const char *ip, int port, const struct sio_sock_opts *opts,
			   struct sio_sock **out);

/**
 * sio_sock_accept_await() - Park the current task until a connection arrives
 * on @listener, then accept it into *@out.
 * @listener must be in no group (see sio_sock_wait()).
 * Context: inside a task on the listener's thread; parks the task. There is
 * no cancellation: close @listener (from another task or a message) to
 * release the task with -ECANCELED, or bound it with your own future.
 * Return: 0 and *@out; -ECANCELED when @listener was closed; the errors of
 * sio_sock_accept() except -EAGAIN; those of sio_sock_wait(); -EPERM outside a task.
 */
int sio_sock_accept_await(struct sio_sock *listener, struct sio_sock **out);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_SOCK_H */
