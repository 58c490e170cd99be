/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the sock layer: the socket and group objects the core keeps,
 * and the ops table every implementation ("posix", "uring") fills in. The
 * core (sock.c, group.c, wait.c, rpc.c) never names an implementation: it
 * finds them in the table generated from the meson list sio_sock_impl_names
 * (sock_impls.c).
 */
#ifndef SIO_SOCK_INTERNAL_H
#define SIO_SOCK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "spdk_io/log.h"
#include "spdk_io/sock.h"

#define SOCK_LOG_FLAG "sock"

/* Largest iovec array one sendmsg() of queued requests is built from: large
 * enough to batch many small PDUs per system call, small enough for the stack. */
#define SOCK_SEND_IOV_MAX 64

/* Built-in zero-copy threshold (sio_sock_impl_opts.zerocopy_threshold == 0). */
#define SOCK_ZCOPY_THRESHOLD_DEFAULT (64 * 1024)

struct sock_group_impl;
struct sio_sock_impl_ops;

/* What a group poll found for one socket (struct sock_event.flags). */
enum sock_event_flags {
	SOCK_EV_READ = 1 << 0,     /* readable: data, EOF, error, a pending connection */
	SOCK_EV_WRITE = 1 << 1,    /* send space for requests left queued */
	SOCK_EV_ERRQUEUE = 1 << 2, /* zero-copy release notifications to read */
};

struct sock_event {
	struct sio_sock *sock;
	uint32_t flags;
};

/* Where a queued request is (sio_sock_request.internal.state). */
enum sock_req_state {
	SOCK_REQ_IDLE = 0,   /* not queued: the caller's */
	SOCK_REQ_QUEUED,     /* on the socket's send queue, maybe partly handed to the kernel */
	SOCK_REQ_HELD,       /* every byte handed over; the kernel still holds the buffers */
};

/* A FIFO of requests linked through internal.next. */
struct sock_req_list {
	struct sio_sock_request *head;
	struct sio_sock_request *tail;
};

struct sio_sock {
	const struct sio_sock_impl_ops *ops;
	int fd;
	bool listener;
	bool ipv6;
	bool connecting;      /* non-blocking connect not yet seen finished */
	bool zcopy;           /* MSG_ZEROCOPY allowed (SO_ZEROCOPY set) */
	bool closed;          /* sio_sock_close() ran: only the kernel's hold keeps it */
	bool on_flush_list;   /* in group->flush_list */
	int err;              /* sticky error of the connection (negative errno), 0 while fine */
	int conn_err;         /* outcome of a finished connect (negative errno) */
	uint32_t zcopy_threshold;

	/* A listener that is not on a loopback address: the congestion control
	 * its accepted connections from other machines are switched back to
	 * (the system's), as they start with the loopback one; "" for none. */
	char remote_cc[16];

	/* Options to inherit (listener -> accepted). */
	int priority;
	bool opt_zcopy;
	uint32_t ack_timeout_ms;

	/* Requests not fully handed to the kernel, in order. */
	struct sock_req_list queue;
	/* Requests fully handed over that the kernel still holds (zero copy
	 * waiting for release, io_uring sends in flight), in order. */
	struct sock_req_list held;
	/* MSG_ZEROCOPY sends made so far (the kernel numbers them from 0) and
	 * how many of them it released (in order on TCP). */
	uint32_t zcopy_sent;
	uint32_t zcopy_released;

	/* Group membership. */
	struct sio_sock_group *group;
	struct sock_group_impl *gimpl;
	sio_sock_cb cb;
	void *cb_arg;
	TAILQ_ENTRY(sio_sock) link;        /* gimpl->socks, or a group's zombie list */
	TAILQ_ENTRY(sio_sock) flush_link;  /* group->flush_list */
	/* Set while the group that polled it dispatches events: a close then
	 * only marks it, and that group frees it once dispatching is over. */
	struct sio_sock_group *dispatching;

	/* Group whose implementation part still has kernel requests of this
	 * socket after it left the group (set and cleared by the
	 * implementation): a close then leaves the socket to that group. */
	struct sio_sock_group *home;

	/* sio_sock_wait() in progress (wait.c). */
	struct sock_wait *wait;

	/* The implementation's index in sock_impl_table (stats.c counters). */
	uint8_t stat_idx;
};

TAILQ_HEAD(sock_tailq, sio_sock);

/* The part of one implementation inside a group: created when the first
 * socket of that implementation joins. Implementations embed it first. */
struct sock_group_impl {
	const struct sio_sock_impl_ops *ops;
	struct sio_sock_group *group;
	struct sock_tailq socks;
	uint32_t n_socks;
	TAILQ_ENTRY(sock_group_impl) link;
};

TAILQ_HEAD(sock_gimpl_tailq, sock_group_impl);

struct sio_sock_group {
	struct sio_thread *thread;
	void *ctx;
	struct sio_poller *poller;        /* polls, woken by intr_epfd in interrupt mode */
	struct sio_poller *flush_poller;  /* resumed while requests wait to be flushed */
	int intr_epfd;                    /* epoll set of the implementations' fds */
	struct sock_gimpl_tailq impls;
	uint32_t n_socks;
	bool polling;                     /* inside sio_sock_group_poll_count() or a flush */
	bool need_poll;                   /* a poll left work no fd announces: the flush poller polls */
	int flushed;                      /* sockets the last poll sent queued requests of */
	struct sock_tailq flush_list;     /* sockets with requests not yet tried */
	struct sock_tailq zombies;        /* closed sockets whose requests the kernel holds */
	uint64_t polls;                   /* sio_sock_group_poll_count() runs (its thread only) */
	uint64_t idle_polls;              /* ...that ran no callback */
};

/*
 * One implementation. Sockets are created, connected, bound and accepted by
 * the core with plain system calls for every implementation (no
 * implementation needs anything else there); the implementation owns the
 * data path and the group polling.
 */
struct sio_sock_impl_ops {
	const char *name;
	/* Bytes of the implementation's socket (embeds struct sio_sock first). */
	size_t sock_size;
	/* Bytes of its group part (embeds struct sock_group_impl first). */
	size_t group_size;
	/* Its default options beyond the all-zero ones. May be NULL. */
	void (*opts_defaults)(struct sio_sock_impl_opts *opts);
	/* Whether it works on this machine (probed once). */
	bool (*available)(void);
	/* Whether it takes these options (TLS ones: the core refuses them when
	 * NULL). 0 or a negative errno. May be NULL. */
	int (*opts_check)(const struct sio_sock_impl_opts *opts);
	/* A socket was created: connected (@listener NULL, @opts the caller's),
	 * listening (@listener NULL, sock->listener set) or accepted from
	 * @listener (@opts NULL). A failure closes it. May be NULL. */
	int (*sock_init)(struct sio_sock *sock, const struct sio_sock_opts *opts,
			 struct sio_sock *listener);
	/* Synchronous write (queue already empty); same returns as
	 * sio_sock_writev(). NULL: plain sendmsg(). */
	ssize_t (*writev)(struct sio_sock *sock, struct iovec *iov, int iovcnt);
	/* sio_sock_get_tls_info(); NULL: not a TLS implementation. */
	int (*tls_info)(struct sio_sock *sock, struct sio_sock_tls_info *info);
	/* Read into @iov; same returns as sio_sock_readv(). */
	ssize_t (*readv)(struct sio_sock *sock, struct iovec *iov, int iovcnt);
	/* A read or accept found nothing (-EAGAIN): the socket is drained. May be NULL. */
	void (*drained)(struct sio_sock *sock);
	/* Hand queued requests to the kernel as far as it takes them; complete
	 * those done. 0, or the connection's error (requests then failed). */
	int (*flush)(struct sio_sock *sock);
	/* Bytes or requests the kernel still holds: the socket must not be
	 * freed yet. Reaps what is already released. */
	bool (*busy)(struct sio_sock *sock);
	/* Close-time release of the implementation's state (fd still open). */
	void (*sock_fini)(struct sio_sock *sock);
	int (*group_init)(struct sock_group_impl *g);
	/* An fd readable when the group part has something for its poll. */
	int (*group_fd)(struct sock_group_impl *g);
	int (*group_add)(struct sock_group_impl *g, struct sio_sock *sock);
	int (*group_remove)(struct sock_group_impl *g, struct sio_sock *sock);
	/* Whether the group should report SOCK_EV_WRITE for @sock (its flush
	 * left requests queued: the send buffer is full). May be NULL when
	 * the implementation drives blocked sends itself. */
	void (*group_want_send)(struct sock_group_impl *g, struct sio_sock *sock, bool want);
	/*
	 * One poll: reap completions and report up to @max sockets with
	 * something to do into @ev; their count or a negative errno. Sets
	 * ev[i].sock->dispatching = g->group for each (see struct sio_sock).
	 */
	int (*group_poll)(struct sock_group_impl *g, int max, struct sock_event *ev);
	/* Called at the end of every group poll (outside its callbacks): end
	 * the poll (submit what it prepared) and tell whether work is left
	 * that no fd announces (sockets still readable after their callback,
	 * completions to process): the group then stays awake. May be NULL. */
	bool (*group_pending)(struct sock_group_impl *g);
	void (*group_fini)(struct sock_group_impl *g);
};

/* ---- sock_impls.c (generated) ---- */
extern const struct sio_sock_impl_ops *const sock_impl_table[];

/* ---- sock.c ---- */
/* Options of @ops' implementation, copied under the options mutex. */
void sock_impl_opts_copy(const struct sio_sock_impl_ops *ops, struct sio_sock_impl_opts *out);
const struct sio_sock_impl_ops *sock_impl_find(const char *name);
/* Requests: */
static inline bool sock_req_list_empty(const struct sock_req_list *l)
{
	return l->head == NULL;
}
void sock_req_append(struct sock_req_list *l, struct sio_sock_request *req);
struct sio_sock_request *sock_req_pop(struct sock_req_list *l);
/* Total bytes of @req. */
size_t sock_req_len(const struct sio_sock_request *req);
/* Completes every request of @l with @rc (callbacks may queue new ones elsewhere). */
void sock_req_fail_all(struct sock_req_list *l, int rc);
/* Completes one request. */
void sock_req_complete(struct sio_sock_request *req, int rc);
/*
 * Fills @iov (up to @max entries, @max_bytes) from the send queue, starting
 * at the head's offset. Returns the entry count; *@zcopy tells whether the
 * batch goes with MSG_ZEROCOPY (a batch never mixes: a zero-copy request
 * leads a batch of its own).
 */
int sock_queue_iov(struct sio_sock *sock, struct iovec *iov, int max, bool *zcopy);
/*
 * Advances the send queue by @n bytes the kernel took: requests fully sent
 * complete (0) or, when @held, move to the held list. Returns nothing;
 * callbacks run inside.
 */
void sock_queue_advance(struct sio_sock *sock, size_t n, bool held);
/* Sets the sticky error and fails every queued request with it. */
void sock_set_error(struct sio_sock *sock, int err);
/* sendmsg() the queue with plain system calls (posix, and uring outside a group). */
int sock_flush_sendmsg(struct sio_sock *sock);
/* Reads MSG_ZEROCOPY notifications; completes released held requests. */
void sock_zcopy_reap(struct sio_sock *sock);
/* Frees a socket whose close is over (fd closed here). */
void sock_free(struct sio_sock *sock);
/* Plain recvmsg()-based readv with the layer's error mapping. */
ssize_t sock_readv_syscall(struct sio_sock *sock, struct iovec *iov, int iovcnt);

/* ---- group.c ---- */
/* A socket in a group got requests to send: make sure the group flushes it. */
void sock_group_kick(struct sio_sock *sock);
/* Takes @sock out of its group (flush list included). */
void sock_group_detach(struct sio_sock *sock);
/* A closed socket the kernel still holds requests of: the group frees it later. */
void sock_group_adopt_zombie(struct sio_sock_group *group, struct sio_sock *sock);

/* ---- stats.c ---- */
/* Implementations counted separately (the table has fewer). */
#define SOCK_STATS_IMPL_MAX 8
enum sock_stat { SOCK_STAT_RX, SOCK_STAT_TX, SOCK_STAT_ACCEPTED };
/* Adds @n to this OS thread's counter @which of @sock's implementation. Any thread. */
void sock_stats_add(const struct sio_sock *sock, enum sock_stat which, uint64_t n);
/* Sums of every thread's counters of implementation @idx. Any thread (takes the list mutex). */
void sock_stats_sum(int idx, uint64_t *rx, uint64_t *tx, uint64_t *accepted);

/* ---- wait.c ---- */
/* Ends @sock's pending wait with @rc (close: -ECANCELED). */
void sock_wait_cancel(struct sio_sock *sock, int rc);

#endif /* SIO_SOCK_INTERNAL_H */
