/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev module. A name ("Nvme0") is a group of paths; each path is
 * one attached controller of the same NVMe subsystem (another listener,
 * another controller ID). The group is an io_device: its per-thread channel
 * holds one I/O queue pair per path. Every namespace is a bdev
 * "<name>n<nsid>" with an io_device of its own, whose per-thread channel
 * holds the bdev's multipath state (current path, round-robin position,
 * paths set aside for it) and a reference to the group's channel, through
 * whose queue pairs it submits on the path its multipath policy picks
 * (active_passive: the first usable path, or the one in use
 * with disable_auto_failback; active_active: round robin every rr_min_io
 * I/O, or the least outstanding with the queue_depth selector). "failover"
 * paths are standbys: chosen only when no "multipath" path is usable.
 * Controllers live on the app thread (the host driver's owning thread for
 * their admin queue); the path list of a channel is changed only on the
 * channel's thread (sio_for_each_channel), so submission takes no lock.
 *
 * Lost connections: the host driver reports FAILED; the module resets that
 * path's controller, again every reconnect_delay_sec while it fails, and
 * deletes the path once ctrlr_loss_timeout_sec have passed (SPDK's
 * semantics; -1 never). I/O cut off by the failure (completed by the driver
 * with a path error: never acknowledged) and I/O submitted meanwhile wait
 * in the channel and are submitted again on the next usable path, at once
 * if another path is up, else after the reconnection; once every path is
 * past fast_io_fail_timeout_sec they fail with -EIO instead. Nothing the
 * controller acknowledged is lost; nothing is retried that it completed
 * (except NVMe errors without DNR, up to bdev_retry_count times, as SPDK).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "bdev/modules/nvme/bdev_nvme.h"
#include "nvme/auth/dhchap.h"
#include "spdk_io/env.h"
#include "spdk_io/keyring.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"
#include "spdk_io/thread.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                        \
	for ((var) = TAILQ_FIRST((head));                                  \
	     (var) && ((tvar) = TAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif

/* How often a channel looks at its waiting I/O and its queue pairs. */
#define CHANNEL_POLL_US 1000

struct nvme_bdev;
struct nvme_group;

struct bdev_nvme_opts g_bdev_nvme_opts = {
	/* The driver's own behaviour before set_options existed: abort after
	 * 30 s, then reset; keep-alive 10 s. The rest are SPDK's defaults. */
	.action_on_timeout = BDEV_NVME_TIMEOUT_ACTION_ABORT,
	.timeout_us = 30000000,
	.timeout_admin_us = 0,
	.keep_alive_timeout_ms = 10000,
	.bdev_retry_count = 3,
	.ctrlr_loss_timeout_sec = 0,
	.reconnect_delay_sec = 0,
	.fast_io_fail_timeout_sec = 0,
	.mp_policy = BDEV_NVME_MP_POLICY_ACTIVE_PASSIVE,
	.mp_selector = BDEV_NVME_MP_SELECTOR_ROUND_ROBIN,
	.mp_min_io = 1,
	.dhchap_digests = DHCHAP_DIGESTS_ALL,
	.dhchap_dhgroups = DHCHAP_DHGROUPS_ALL,
};

/*
 * Fields the app thread writes while channels on other threads read them
 * (path state, a bdev's policy): atomic, or it is a data race (volatile was,
 * and TSan saw it). Acquire loads and release stores are plain moves on x86,
 * so the I/O path pays nothing; the order makes a channel that sees a path up
 * again also see its new up_gen.
 */
#define MP_GET(f) __atomic_load_n(&(f), __ATOMIC_ACQUIRE)
#define MP_SET(f, v) __atomic_store_n(&(f), (v), __ATOMIC_RELEASE)

/* One path: one attached controller of the group's subsystem. */
struct nvme_ctrlr_entry {
	struct nvme_group *g;
	struct bdev_nvme_attach_opts opts;     /* name pointer unused; trid and ctrlr_opts copied */
	struct sio_nvme_ctrlr *ctrlr;
	enum bdev_nvme_mp_mode mode;
	bool joined;                           /* in g->paths */
	/* Read by channels on other threads, written on the app thread only:
	 * through MP_GET/MP_SET. */
	bool failed;                           /* connection down, reset pending or failing */
	bool fast_io_fail;                     /* I/O waiting for this path gives up on it */
	bool deleting;
	bool removing;                         /* leaving the group: channels drop it */
	uint32_t up_gen;                       /* bumped by each reconnection */
	/* Bumped by each reconnection and each namespace change (AER): a bdev
	 * that set this path aside for itself (nvme_bdev_path) tries it again. */
	uint32_t ns_gen;
	bool resetting;
	uint64_t loss_start_tick;
	struct sio_poller *reconnect_poller;
	/* attach */
	bdev_nvme_attach_cb attach_cb;
	void *attach_arg;
	char attach_msg[640];
	int attach_rc;                         /* a refused path's error */
	/* removal */
	sio_done_cb remove_cb;
	void *remove_arg;
	TAILQ_ENTRY(nvme_ctrlr_entry) link;
};

/* A name: its paths, its bdevs, the io_device of their channels. */
struct nvme_group {
	char name[64];
	char subnqn[SIO_NVME_NQN_MAX_LEN + 1];
	/* Changed on the app thread; read under the lock by channel_create on any thread. */
	pthread_mutex_t lock;
	TAILQ_HEAD(, nvme_ctrlr_entry) paths;
	uint32_t npaths;
	uint32_t pending;                      /* attaches connecting */
	int io_device;
	bool io_device_registered;
	bool deleting;
	bool gone;                             /* deleting: the io_device is unregistered */
	TAILQ_HEAD(, nvme_bdev) bdevs;
	uint32_t nbdevs;
	uint32_t unregistering;
	uint32_t detaching;
	uint32_t set_keys;                     /* bdev_nvme_set_keys runs (holds g) */
	sio_done_cb detach_cb;
	void *detach_arg;
	/* Namespaces whose "left out" NOTICE was logged: once each, until the
	 * namespace is on no path any more (it may come back and log again).
	 * App thread only. */
	uint32_t *left_out;
	uint32_t nleft_out, left_out_cap;
	TAILQ_ENTRY(nvme_group) link;
};

struct nvme_bdev {
	struct sio_bdev bdev;
	struct nvme_group *g;
	uint32_t nsid;
	/* The namespace's CSI was NVM when the bdev was made: every path serves
	 * it. Else only paths attached with allow_unrecognized_csi do (see
	 * path_serves()). Set once before registration, read by channels. */
	bool nvm;
	/* Multipath policy, read by channels (MP_GET), set on the app thread (MP_SET). */
	enum bdev_nvme_mp_policy policy;
	enum bdev_nvme_mp_selector selector;
	uint32_t rr_min_io;
	/* The io_device of the bdev's own channels (nvme_bdev_channel): its
	 * address, not nb's, which is the bdev core's io_device (&nb->bdev). */
	int io_device;
	char name[80];
	TAILQ_ENTRY(nvme_bdev) link;
};

/* Per-path I/O counts (bdev_nvme_set_options io_path_stat). */
struct nvme_path_stat {
	uint64_t bytes_read, num_read_ops, bytes_written, num_write_ops;
	uint64_t bytes_unmapped, num_unmap_ops;
};

/* Per thread, group and path. Heap: a queue pair still connecting when the
 * path or the channel goes must find this alive (qp_ready frees it then). */
struct nvme_path_ch {
	struct nvme_ctrlr_entry *ce;
	struct sio_nvme_qpair *qp;
	bool qp_connecting;
	bool destroyed;
	/* A transport error seen here (the queue pair, shared by every bdev of
	 * the name, is broken) while ce->up_gen was fail_gen. */
	bool failed;
	uint32_t fail_gen;
	uint32_t outstanding;
};

struct nvme_bdev_channel;

/* Per thread and group: the queue pairs, shared by the name's bdevs. */
struct nvme_channel {
	struct nvme_group *g;
	struct nvme_path_ch *paths[BDEV_NVME_MAX_PATHS];
	uint32_t npaths;
	struct sio_poller *poller;      /* also runs the bdev channels' wait lists */
	/* The bdev channels on this thread (each holds a reference to this one). */
	TAILQ_HEAD(, nvme_bdev_channel) bchs;
};

/* What one bdev knows of one path on one thread, beside the path's own state. */
struct nvme_bdev_path {
	/* Set aside for this bdev only: its namespace is not on the path, or the
	 * controller answered one of its commands with a path-related status
	 * (SCT 3h, e.g. ANA inaccessible: a namespace's state). Until the
	 * path's ns_gen moves past fail_gen. */
	bool failed;
	uint32_t fail_gen;
};

/*
 * Per thread and bdev: the bdev's multipath state, so each namespace fails
 * over, fails back and round-robins on its own (as SPDK's nvme_bdev_channel).
 * bp[] and stat[] are indexed like nch->paths[] (kept in step on the
 * channel's thread). What submission reads (to bp[]) fits one cache line.
 */
struct nvme_bdev_channel {
	struct nvme_channel *nch;
	struct nvme_bdev *nb;
	int32_t cur;                    /* index of the path last chosen; -1: none */
	uint32_t rr_left;               /* active_active: I/O left on cur */
	/* The bdev's I/O waiting for a path, in order: per bdev, so one bdev
	 * waiting (its paths set aside for it) holds up no sibling. */
	struct sio_bdev_io *wait_head, *wait_tail;
	uint64_t waiting;
	struct nvme_bdev_path bp[BDEV_NVME_MAX_PATHS];
	struct sio_io_channel *gch;     /* our reference to nch */
	TAILQ_ENTRY(nvme_bdev_channel) link;
	struct nvme_path_stat stat[BDEV_NVME_MAX_PATHS]; /* io_path_stat: the bdev's I/O per path */
};

/* The module's part of every bdev_io. */
struct nvme_io_ctx {
	struct nvme_channel *nch;
	struct nvme_path_ch *path;
	int rc;               /* an error to complete with from a message */
	int32_t retries;
};

static inline struct nvme_io_ctx *io_ctx(struct sio_bdev_io *io)
{
	return sio_bdev_io_driver_ctx(io);
}

static TAILQ_HEAD(, nvme_group) g_groups = TAILQ_HEAD_INITIALIZER(g_groups);

static struct nvme_group *group_find(const char *name)
{
	struct nvme_group *g;

	TAILQ_FOREACH(g, &g_groups, link)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

static struct nvme_group *group_from_io_device(void *io_device)
{
	return (struct nvme_group *)((char *)io_device - offsetof(struct nvme_group, io_device));
}

static struct nvme_bdev *nb_from_io_device(void *io_device)
{
	return (struct nvme_bdev *)((char *)io_device - offsetof(struct nvme_bdev, io_device));
}

int bdev_nvme_set_opts(const struct bdev_nvme_opts *opts)
{
	if (opts == NULL)
		return -EINVAL;
	if (!TAILQ_EMPTY(&g_groups))
		return -EPERM;
	g_bdev_nvme_opts = *opts;
	return 0;
}

/* ---- I/O ---- */

static void wait_push(struct nvme_bdev_channel *bch, struct sio_bdev_io *io)
{
	io->module_link = NULL;
	if (bch->wait_tail != NULL)
		bch->wait_tail->module_link = io;
	else
		bch->wait_head = io;
	bch->wait_tail = io;
	bch->waiting++;
}

static void wait_pop(struct nvme_bdev_channel *bch, struct sio_bdev_io *io)
{
	bch->wait_head = io->module_link;
	if (bch->wait_head == NULL)
		bch->wait_tail = NULL;
	bch->waiting--;
}

/*
 * Errors of the queue pair itself (broken connection, queue pair gone): the
 * command did not reach a controller that answered it, and no command of
 * any bdev will on this path until its controller reconnects.
 */
static bool is_transport_error(int rc)
{
	return rc == -ECONNRESET || rc == -ENXIO || rc == -ENOTCONN;
}

/*
 * Path-related status (SCT 3h) without DNR: the controller answered, but
 * says this namespace is not reachable through it now (ANA inaccessible or
 * the like). A state of the namespace on that path: the bdev alone sets the
 * path aside, its siblings keep using it.
 */
static bool is_ns_path_error(const struct sio_nvme_cpl *cpl)
{
	return cpl != NULL && cpl->status.sct == SIO_NVME_SCT_PATH && !cpl->status.dnr;
}

static void path_mark_failed(struct nvme_path_ch *p)
{
	if (!p->failed) {
		p->failed = true;
		p->fail_gen = MP_GET(p->ce->up_gen);
	}
}

/* Can @p take I/O now? A transport error seen here holds it off until its controller reconnects. */
static __attribute__((always_inline)) inline bool path_usable(struct nvme_path_ch *p)
{
	const struct nvme_ctrlr_entry *ce = p->ce;

	if (p->qp == NULL || MP_GET(ce->failed) || MP_GET(ce->deleting) || MP_GET(ce->removing))
		return false;
	if (p->failed) {
		if (MP_GET(ce->up_gen) == p->fail_gen)
			return false;
		p->failed = false;
	}
	return true;
}

/* Could @p take I/O later (waiting for it makes sense)? */
static bool path_may_return(const struct nvme_path_ch *p)
{
	const struct nvme_ctrlr_entry *ce = p->ce;

	return !MP_GET(ce->deleting) && !MP_GET(ce->removing) && !MP_GET(ce->fast_io_fail);
}

static bool path_standby(const struct nvme_path_ch *p)
{
	return p->ce->mode == BDEV_NVME_MP_FAILOVER;
}

/*
 * Whether path @ce carries @nb's I/O. allow_unrecognized_csi is a parameter
 * of each attach, so each path filters by CSI with its own flag (as SPDK,
 * where a namespace joins a bdev per controller): an NVM namespace's bdev
 * uses every path, another command set's only the paths attached with the
 * flag; the others neither take its I/O nor keep it alive. Both inputs are
 * fixed (the bdev's at creation, the path's at attach): no race with channels.
 */
static bool path_serves(const struct nvme_ctrlr_entry *ce, const struct nvme_bdev *nb)
{
	return nb->nvm || ce->opts.allow_unrecognized_csi;
}

/* Set path @i aside for @bch's bdev only (see struct nvme_bdev_path). */
static void bdev_path_mark_failed(struct nvme_bdev_channel *bch, uint32_t i)
{
	struct nvme_bdev_path *bp = &bch->bp[i];

	if (!bp->failed) {
		bp->failed = true;
		bp->fail_gen = MP_GET(bch->nch->paths[i]->ce->ns_gen);
	}
}

/* Whether path @i is set aside for @bch's bdev now (read only). */
static __attribute__((always_inline)) inline bool bdev_path_set_aside(const struct nvme_bdev_channel *bch,
								     uint32_t i)
{
	const struct nvme_bdev_path *bp = &bch->bp[i];

	return bp->failed && MP_GET(bch->nch->paths[i]->ce->ns_gen) == bp->fail_gen;
}

static __attribute__((always_inline)) inline bool bdev_path_usable(struct nvme_bdev_channel *bch,
								  uint32_t i)
{
	if (!bch->bp[i].failed)
		return true;
	if (bdev_path_set_aside(bch, i))
		return false;
	bch->bp[i].failed = false; /* reconnected or namespaces changed since: try it again */
	return true;
}

/*
 * Path @i of the channel: one of @bch's bdev's, usable now by the path and by
 * the bdev. Inlined: called per I/O, and out of line it cost ~25 instructions
 * per I/O (callgrind) that the old per-name selection did not pay.
 */
static __attribute__((always_inline)) inline bool path_ok(struct nvme_bdev_channel *bch, uint32_t i)
{
	struct nvme_path_ch *p = bch->nch->paths[i];

	return path_serves(p->ce, bch->nb) && path_usable(p) && bdev_path_usable(bch, i);
}

/* The first path @bch's bdev can use, in attach order: non-standby paths first; -1: none. */
static int32_t first_usable(struct nvme_bdev_channel *bch)
{
	const struct nvme_channel *nch = bch->nch;
	int32_t standby = -1;

	for (uint32_t i = 0; i < nch->npaths; i++) {
		if (!path_ok(bch, i))
			continue;
		if (!path_standby(nch->paths[i]))
			return (int32_t)i;
		if (standby < 0)
			standby = (int32_t)i;
	}
	return standby;
}

/*
 * The path (index) for @bch's bdev's next I/O by its policy; -1: none usable.
 * Everything it reads and writes is this bdev's on this thread (bch) or the
 * paths' shared state: a sibling bdev's choice never moves this one.
 */
static int32_t select_path(struct nvme_bdev_channel *bch)
{
	const struct nvme_channel *nch = bch->nch;
	const struct nvme_bdev *nb = bch->nb;
	int32_t cur = bch->cur, best = -1;
	uint32_t start = 0;

	if (nch->npaths == 1)
		return path_ok(bch, 0) ? 0 : -1;
	if (MP_GET(nb->policy) == BDEV_NVME_MP_POLICY_ACTIVE_PASSIVE) {
		if (cur >= 0 && g_bdev_nvme_opts.disable_auto_failback &&
		    !path_standby(nch->paths[cur]) && path_ok(bch, (uint32_t)cur))
			return cur;
		/* The usual answer of first_usable(), without its loop and call. */
		if (!path_standby(nch->paths[0]) && path_ok(bch, 0))
			bch->cur = 0;
		else
			bch->cur = first_usable(bch);
		return bch->cur;
	}
	if (MP_GET(nb->selector) == BDEV_NVME_MP_SELECTOR_QUEUE_DEPTH) {
		/* Outstanding per queue pair: what every bdev on the path queued there. */
		for (uint32_t i = 0; i < nch->npaths; i++) {
			if (!path_standby(nch->paths[i]) && path_ok(bch, i) &&
			    (best < 0 || nch->paths[i]->outstanding < nch->paths[best]->outstanding))
				best = (int32_t)i;
		}
		bch->cur = best >= 0 ? best : first_usable(bch);
		return bch->cur;
	}
	/* Round robin: rr_min_io I/O on a path, then the next usable one. */
	if (cur >= 0 && bch->rr_left > 0 && !path_standby(nch->paths[cur]) &&
	    path_ok(bch, (uint32_t)cur)) {
		bch->rr_left--;
		return cur;
	}
	if (cur >= 0)
		start = (uint32_t)cur + 1;
	for (uint32_t k = 0; k < nch->npaths; k++) {
		uint32_t i = (start + k) % nch->npaths;

		if (!path_standby(nch->paths[i]) && path_ok(bch, i)) {
			bch->cur = (int32_t)i;
			bch->rr_left = MP_GET(nb->rr_min_io) > 0 ? MP_GET(nb->rr_min_io) - 1 : 0;
			return bch->cur;
		}
	}
	bch->cur = first_usable(bch);
	bch->rr_left = 0;
	return bch->cur;
}

static void io_done(void *arg, int rc, const struct sio_nvme_cpl *cpl);

static void path_stat_count(struct nvme_path_stat *st, struct sio_bdev_io *io)
{
	uint64_t bytes = io->num_blocks * io->bdev->blocklen;

	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
		st->num_read_ops++;
		st->bytes_read += bytes;
		break;
	case SIO_BDEV_IO_TYPE_WRITE:
		st->num_write_ops++;
		st->bytes_written += bytes;
		break;
	case SIO_BDEV_IO_TYPE_UNMAP:
		st->num_unmap_ops++;
		st->bytes_unmapped += bytes;
		break;
	default:
		break;
	}
}

/* submit_on(): the bdev's namespace is not (or no longer) on that path. */
#define NS_NOT_ON_PATH 1

/* Submit on path @i of @bch's channel. */
static int submit_on(struct nvme_bdev_channel *bch, uint32_t i, struct sio_bdev_io *io)
{
	struct nvme_path_ch *p = bch->nch->paths[i];
	struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(p->ce->ctrlr, bch->nb->nsid);
	struct sio_nvme_qpair *qp = p->qp;
	uint32_t n = (uint32_t)io->num_blocks;
	int rc;

	if (ns == NULL || !sio_nvme_ns_is_active(ns))
		return NS_NOT_ON_PATH;
	io_ctx(io)->path = p;
	switch (io->type) {
	case SIO_BDEV_IO_TYPE_READ:
		rc = sio_nvme_ns_readv(ns, qp, io->iovs, io->iovcnt, io->offset_blocks, n, 0, io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_WRITE:
		rc = sio_nvme_ns_writev(ns, qp, io->iovs, io->iovcnt, io->offset_blocks, n, 0, io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_COMPARE:
		/* Compare takes one buffer in the driver; the bdev layer bounces to one. */
		if (io->iovcnt != 1)
			return -EINVAL;
		rc = sio_nvme_ns_compare(ns, qp, io->iovs[0].iov_base, io->offset_blocks, n, 0, io_done,
					 io);
		break;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		rc = sio_nvme_ns_write_zeroes(ns, qp, io->offset_blocks, n, 0, io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_UNMAP:
		rc = sio_nvme_ns_deallocate(ns, qp, io->offset_blocks, n, io_done, io);
		break;
	case SIO_BDEV_IO_TYPE_FLUSH:
		rc = sio_nvme_ns_flush(ns, qp, io_done, io);
		break;
	default:
		return -ENOTSUP;
	}
	if (rc == 0) {
		p->outstanding++;
		if (g_bdev_nvme_opts.io_path_stat)
			path_stat_count(&bch->stat[i], io);
	}
	return rc;
}

/*
 * Submit on the path the bdev's policy picks. -EAGAIN: no path usable now
 * (the caller queues). A path refusing with -ENXIO (its queue pair failed
 * before the controller said so) is held off for every bdev, one without
 * the namespace for this bdev only, and the next one tried.
 */
static int submit_io(struct nvme_bdev_channel *bch, struct sio_bdev_io *io)
{
	io_ctx(io)->nch = bch->nch;
	for (uint32_t tries = 0; tries <= bch->nch->npaths; tries++) {
		int32_t i = select_path(bch);
		int rc;

		if (i < 0)
			return -EAGAIN;
		rc = submit_on(bch, (uint32_t)i, io);
		if (rc == NS_NOT_ON_PATH) {
			bdev_path_mark_failed(bch, (uint32_t)i);
			continue;
		}
		if (rc != -ENXIO)
			return rc;
		path_mark_failed(bch->nch->paths[i]);
	}
	return -EAGAIN;
}

/* No path of @nb will come back for this I/O: what it completes with. */
static int no_path_rc(struct nvme_channel *nch, const struct nvme_bdev *nb)
{
	bool deleting = true;

	for (uint32_t i = 0; i < nch->npaths; i++) {
		const struct nvme_path_ch *p = nch->paths[i];

		if (!path_serves(p->ce, nb))
			continue;
		if (path_may_return(p))
			return 0;
		if (!MP_GET(p->ce->deleting) && !MP_GET(p->ce->removing))
			deleting = false;
	}
	return deleting ? -ENODEV : -EIO;
}

/* @nb's channel on @nch's thread; NULL once it was put. Off the fast path (a short list). */
static struct nvme_bdev_channel *bch_find(struct nvme_channel *nch, const struct nvme_bdev *nb)
{
	struct nvme_bdev_channel *bch;

	TAILQ_FOREACH(bch, &nch->bchs, link)
		if (bch->nb == nb)
			return bch;
	return NULL;
}

static int32_t path_index(const struct nvme_channel *nch, const struct nvme_path_ch *p)
{
	for (uint32_t i = 0; i < nch->npaths; i++)
		if (nch->paths[i] == p)
			return (int32_t)i;
	return -1;
}

/* NVMe errors worth another try (SPDK's bdev_retry_count rule). */
static bool retryable(int rc, const struct sio_nvme_cpl *cpl, struct nvme_io_ctx *ctx)
{
	int32_t max = g_bdev_nvme_opts.bdev_retry_count;

	if (rc == 0 || cpl == NULL || cpl->status.dnr || (cpl->status.sct == 0 && cpl->status.sc == 0))
		return false;
	if (cpl->status.sct == SIO_NVME_SCT_GENERIC && cpl->status.sc == SIO_NVME_SC_ABORTED_BY_REQUEST)
		return false;
	if (max != -1 && ctx->retries >= max)
		return false;
	ctx->retries++;
	return true;
}

static void io_done(void *arg, int rc, const struct sio_nvme_cpl *cpl)
{
	struct sio_bdev_io *io = arg;
	struct nvme_io_ctx *ctx = io_ctx(io);
	struct nvme_channel *nch = ctx->nch;
	struct nvme_path_ch *p = ctx->path;

	p->outstanding--;
	/* Off the fast path: the bdev's channel, NULL if it was put with this
	 * I/O outstanding, or while the name's channel is being destroyed (its
	 * bdev channels are gone then): nothing to resubmit through, it completes. */
	struct nvme_bdev_channel *bch = rc != 0 ? bch_find(nch, io->bdev->ctxt) : NULL;

	if (bch != NULL) {
		/* -ECANCELED: the path's queue pair was freed as the path left. */
		if (is_transport_error(rc) || (rc == -ECANCELED && MP_GET(p->ce->removing))) {
			/* Not acknowledged: submit it again on a path that works. */
			path_mark_failed(p);
			wait_push(bch, io);
			return;
		}
		if (is_ns_path_error(cpl)) {
			/* This bdev fails over; the others stay. */
			int32_t i = path_index(nch, p);

			if (i >= 0)
				bdev_path_mark_failed(bch, (uint32_t)i);
			wait_push(bch, io);
			return;
		}
		if (retryable(rc, cpl, ctx)) {
			wait_push(bch, io);
			return;
		}
	}
	sio_bdev_io_complete(io, rc);
}

static void fail_msg(void *arg)
{
	struct sio_bdev_io *io = arg;

	sio_bdev_io_complete(io, io_ctx(io)->rc);
}

static void nvme_submit_request(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct nvme_bdev_channel *bch = sio_io_channel_get_ctx(ch);
	int rc;

	/* (The channel goes into the context in submit_io(), the only way to a path.) */
	io_ctx(io)->retries = 0;
	if (io->type == SIO_BDEV_IO_TYPE_RESET) {
		/* The core froze the bdev; a controller reset is the module's part. */
		wait_push(bch, io);
		return;
	}
	/* The bdev's waiting I/O goes first: its order is kept across a reconnection. */
	rc = bch->wait_head != NULL ? -EAGAIN : submit_io(bch, io);
	if (rc == 0)
		return;
	if (rc == -EAGAIN || rc == -ENOMEM) {
		/* No path up or a full request pool: the channel poller resubmits. */
		wait_push(bch, io);
		return;
	}
	/* Refused for good: complete from a message, never inside this call. */
	io_ctx(io)->rc = rc;
	if (sio_thread_send_msg(sio_bdev_io_get_thread(io), fail_msg, io) != 0)
		wait_push(bch, io);
}

static void qp_ready(void *arg, int rc, struct sio_nvme_qpair *qp)
{
	struct nvme_path_ch *p = arg;

	p->qp_connecting = false;
	if (p->destroyed) {
		if (rc == 0)
			sio_nvme_qpair_free(qp);
		free(p);  /* the path or the channel went while we connected: ours to free */
		return;
	}
	if (rc == 0)
		p->qp = qp;
}

static void path_connect(struct nvme_path_ch *p)
{
	struct sio_nvme_io_qpair_opts o;

	if (p->qp != NULL || p->qp_connecting || MP_GET(p->ce->failed) || MP_GET(p->ce->deleting) ||
	    MP_GET(p->ce->removing))
		return;
	sio_nvme_io_qpair_opts_init(&o, sizeof(o));
	/* The queue pair connects in the background; I/O waits or takes another path meanwhile. */
	p->qp_connecting = sio_nvme_ctrlr_alloc_io_qpair(p->ce->ctrlr, &o, qp_ready, p) == 0;
}

static void reset_io_done(void *arg, int rc)
{
	sio_bdev_io_complete(arg, rc);
}

/* Resubmits @bch's waiting I/O (in order) when a path is up; fails it when no path will return. */
static int bdev_wait_poll(struct nvme_bdev_channel *bch)
{
	struct sio_bdev_io *io;
	int busy = 0;

	while ((io = bch->wait_head) != NULL) {
		int rc;

		if (io->type == SIO_BDEV_IO_TYPE_RESET) {
			wait_pop(bch, io);
			if (bdev_nvme_reset(bch->nch->g->name, -1, reset_io_done, io) != 0)
				sio_bdev_io_complete(io, -EBUSY);
			busy = 1;
			continue;
		}
		rc = submit_io(bch, io);
		if (rc == -EAGAIN) {
			rc = no_path_rc(bch->nch, bch->nb);
			if (rc == 0)
				break; /* a path may come back: wait for it */
		} else if (rc == -ENOMEM) {
			break; /* try again at the next poll */
		}
		wait_pop(bch, io);
		busy = 1;
		if (rc != 0)
			sio_bdev_io_complete(io, rc);
	}
	return busy;
}

/*
 * Connects missing queue pairs and runs each bdev channel's wait list. A
 * completion called from here may put a bdev channel, but the put is
 * deferred (a message): the list walked stays as it is until we return.
 */
static int channel_poll(void *arg)
{
	struct nvme_channel *nch = arg;
	struct nvme_bdev_channel *bch;
	int busy = 0;

	for (uint32_t i = 0; i < nch->npaths; i++)
		path_connect(nch->paths[i]);
	TAILQ_FOREACH(bch, &nch->bchs, link)
		if (bch->wait_head != NULL)
			busy |= bdev_wait_poll(bch);
	return busy;
}

static struct nvme_path_ch *path_ch_find(struct nvme_channel *nch, struct nvme_ctrlr_entry *ce)
{
	for (uint32_t i = 0; i < nch->npaths; i++)
		if (nch->paths[i]->ce == ce)
			return nch->paths[i];
	return NULL;
}

static int path_ch_add(struct nvme_channel *nch, struct nvme_ctrlr_entry *ce)
{
	struct nvme_bdev_channel *bch;
	struct nvme_path_ch *p;

	if (path_ch_find(nch, ce) != NULL)
		return 0;
	if (nch->npaths == BDEV_NVME_MAX_PATHS)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->ce = ce;
	/* Each bdev's view of the new slot starts clean. */
	TAILQ_FOREACH(bch, &nch->bchs, link) {
		memset(&bch->bp[nch->npaths], 0, sizeof(bch->bp[0]));
		memset(&bch->stat[nch->npaths], 0, sizeof(bch->stat[0]));
	}
	nch->paths[nch->npaths++] = p;
	path_connect(p);
	return 0;
}

/* The path leaves this channel: what its queue pair held goes to the wait list. */
static void path_ch_remove(struct nvme_channel *nch, struct nvme_path_ch *p)
{
	struct nvme_bdev_channel *bch;
	uint32_t i;

	for (i = 0; i < nch->npaths && nch->paths[i] != p; i++)
		;
	if (i == nch->npaths)
		return;
	memmove(&nch->paths[i], &nch->paths[i + 1], (nch->npaths - i - 1) * sizeof(p));
	/* Every bdev's per-path state and current index follow the shift. */
	TAILQ_FOREACH(bch, &nch->bchs, link) {
		memmove(&bch->bp[i], &bch->bp[i + 1], (nch->npaths - i - 1) * sizeof(bch->bp[0]));
		memmove(&bch->stat[i], &bch->stat[i + 1], (nch->npaths - i - 1) * sizeof(bch->stat[0]));
		if (bch->cur == (int32_t)i) {
			bch->cur = -1;
			bch->rr_left = 0;
		} else if (bch->cur > (int32_t)i) {
			bch->cur--;
		}
	}
	nch->npaths--;
	p->destroyed = true;
	if (p->qp != NULL) {
		struct sio_nvme_qpair *qp = p->qp;

		p->qp = NULL;
		sio_nvme_qpair_free(qp); /* completes what it holds with -ECANCELED */
	}
	if (!p->qp_connecting)
		free(p);
}

static int channel_create(void *io_device, void *ctx_buf)
{
	struct nvme_group *g = group_from_io_device(io_device);
	struct nvme_ctrlr_entry *ce;
	struct nvme_channel *nch;
	int rc = 0;

	nch = calloc(1, sizeof(*nch));
	if (nch == NULL)
		return -ENOMEM;
	nch->g = g;
	TAILQ_INIT(&nch->bchs);
	nch->poller = sio_poller_register_named("bdev_nvme_ch", channel_poll, nch, CHANNEL_POLL_US);
	if (nch->poller == NULL) {
		free(nch);
		return -ENOMEM;
	}
	pthread_mutex_lock(&g->lock);
	TAILQ_FOREACH(ce, &g->paths, link)
		if (!ce->removing && rc == 0)
			rc = path_ch_add(nch, ce);
	pthread_mutex_unlock(&g->lock);
	if (rc != 0) {
		while (nch->npaths > 0)
			path_ch_remove(nch, nch->paths[0]);
		sio_poller_unregister(&nch->poller);
		free(nch);
		return rc;
	}
	*(struct nvme_channel **)ctx_buf = nch;
	return 0;
}

/* The last bdev channel on this thread was put (each held a reference): no wait list is left. */
static void channel_destroy(void *io_device, void *ctx_buf)
{
	struct nvme_channel *nch = *(struct nvme_channel **)ctx_buf;

	(void)io_device;
	sio_poller_unregister(&nch->poller);
	while (nch->npaths > 0)
		path_ch_remove(nch, nch->paths[0]);
	free(nch);
}

/*
 * A bdev's channel on this thread: a reference to its name's channel (the
 * queue pairs) and the bdev's own multipath state. Listed in the name's
 * channel so path changes, which walk those, reach it on the same thread.
 */
static int bdev_channel_create(void *io_device, void *ctx_buf)
{
	struct nvme_bdev *nb = nb_from_io_device(io_device);
	struct nvme_bdev_channel *bch = ctx_buf;

	bch->gch = sio_io_channel_get(&nb->g->io_device);
	if (bch->gch == NULL)
		return errno != 0 ? -errno : -ENOMEM;
	bch->nch = *(struct nvme_channel **)sio_io_channel_get_ctx(bch->gch);
	bch->nb = nb;
	bch->cur = -1;
	TAILQ_INSERT_TAIL(&bch->nch->bchs, bch, link);
	return 0;
}

/* Put with I/O still waiting (the core's channel went first): it fails, -ENODEV. */
static void bdev_channel_destroy(void *io_device, void *ctx_buf)
{
	struct nvme_bdev_channel *bch = ctx_buf;
	struct sio_bdev_io *io;

	(void)io_device;
	while ((io = bch->wait_head) != NULL) {
		wait_pop(bch, io);
		sio_bdev_io_complete(io, -ENODEV);
	}
	TAILQ_REMOVE(&bch->nch->bchs, bch, link);
	sio_io_channel_put(bch->gch);
}

/* ---- bdevs ---- */

/* The bdev's own channels are gone (the core's channels held them): done. */
static void nvme_bdev_io_device_gone(void *io_device)
{
	struct nvme_bdev *nb = nb_from_io_device(io_device);

	sio_bdev_destruct_done(&nb->bdev, 0);
	free(nb);
}

/*
 * The core's channels are destroyed, ours (bdev_channel_destroy, deferred
 * by sio_io_channel_put) may not be yet: the io_device's unregistration
 * waits for them, and with them for the references they hold to the name's
 * channels, before the bdev is done (and the group may unregister its own).
 */
static int nvme_bdev_destruct(void *ctx)
{
	struct nvme_bdev *nb = ctx;
	struct nvme_group *g = nb->g;

	TAILQ_REMOVE(&g->bdevs, nb, link);
	g->nbdevs--;
	if (sio_io_device_unregister(&nb->io_device, nvme_bdev_io_device_gone) == 0)
		return 1;
	free(nb);
	return 0;
}

static struct nvme_ctrlr_entry *group_first_path(struct nvme_group *g)
{
	struct nvme_ctrlr_entry *ce;

	TAILQ_FOREACH(ce, &g->paths, link)
		if (!ce->removing)
			return ce;
	return TAILQ_FIRST(&g->paths);
}

static bool nvme_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct nvme_bdev *nb = ctx;
	struct nvme_ctrlr_entry *ce = group_first_path(nb->g);
	const struct sio_nvme_ctrlr_data *cd;

	if (ce == NULL)
		return false;
	cd = sio_nvme_ctrlr_get_data(ce->ctrlr);
	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_WRITE:
	case SIO_BDEV_IO_TYPE_FLUSH:
	case SIO_BDEV_IO_TYPE_RESET:
		return true;
	case SIO_BDEV_IO_TYPE_COMPARE:
		return cd->oncs & SIO_NVME_ONCS_COMPARE;
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
		return cd->oncs & SIO_NVME_ONCS_WRITE_ZEROES;
	case SIO_BDEV_IO_TYPE_UNMAP:
		return cd->oncs & SIO_NVME_ONCS_DSM;
	default:
		return false;
	}
}

static struct sio_io_channel *nvme_get_io_channel(void *ctx)
{
	struct nvme_bdev *nb = ctx;

	return sio_io_channel_get(&nb->io_device);
}

static void trid_json(json_t *o, const struct sio_nvme_transport_id *t)
{
	json_object_set_new(o, "trtype", json_string(sio_nvme_transport_type_str(t->trtype)));
	if (sio_nvme_adrfam_str(t->adrfam) != NULL)
		json_object_set_new(o, "adrfam", json_string(sio_nvme_adrfam_str(t->adrfam)));
	json_object_set_new(o, "traddr", json_string(t->traddr));
	if (t->trsvcid[0])
		json_object_set_new(o, "trsvcid", json_string(t->trsvcid));
	if (t->subnqn[0])
		json_object_set_new(o, "subnqn", json_string(t->subnqn));
}

static const char *policy_str(enum bdev_nvme_mp_policy p)
{
	return p == BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE ? "active_active" : "active_passive";
}

static const char *selector_str(enum bdev_nvme_mp_selector s)
{
	return s == BDEV_NVME_MP_SELECTOR_QUEUE_DEPTH ? "queue_depth" : "round_robin";
}

/* SPDK's driver_specific.nvme: one entry per path. */
static void nvme_dump_info(void *ctx, json_t *driver_specific)
{
	struct nvme_bdev *nb = ctx;
	struct nvme_ctrlr_entry *ce;
	json_t *arr = json_array();

	TAILQ_FOREACH(ce, &nb->g->paths, link) {
		const struct sio_nvme_ctrlr_data *cd = sio_nvme_ctrlr_get_data(ce->ctrlr);
		json_t *o, *t, *c;
		char s[64];

		if (!path_serves(ce, nb))
			continue;
		o = json_object();
		t = json_object();
		c = json_object();

		trid_json(t, &ce->opts.trid);
		json_object_set_new(o, "trid", t);
		snprintf(s, sizeof(s), "%.40s", cd->mn);
		json_object_set_new(c, "model_number", json_string(s));
		snprintf(s, sizeof(s), "%.20s", cd->sn);
		json_object_set_new(c, "serial_number", json_string(s));
		snprintf(s, sizeof(s), "%.8s", cd->fr);
		json_object_set_new(c, "firmware_revision", json_string(s));
		json_object_set_new(c, "subnqn", json_string(cd->subnqn));
		json_object_set_new(c, "cntlid", json_integer(sio_nvme_ctrlr_get_cntlid(ce->ctrlr)));
		json_object_set_new(o, "ctrlr_data", c);
		json_object_set_new(o, "ns_data", json_pack("{s:i}", "id", nb->nsid));
		json_array_append_new(arr, o);
	}
	json_object_set_new(driver_specific, "nvme", arr);
	json_object_set_new(driver_specific, "mp_policy", json_string(policy_str(nb->policy)));
	if (nb->policy == BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE) {
		json_object_set_new(driver_specific, "selector", json_string(selector_str(nb->selector)));
		if (nb->selector == BDEV_NVME_MP_SELECTOR_ROUND_ROBIN)
			json_object_set_new(driver_specific, "rr_min_io", json_integer(nb->rr_min_io));
	}
}

static const struct sio_bdev_fn_table g_nvme_fn_table = {
	.destruct = nvme_bdev_destruct,
	.submit_request = nvme_submit_request,
	.io_type_supported = nvme_io_type_supported,
	.get_io_channel = nvme_get_io_channel,
	.dump_info_json = nvme_dump_info,
	/* save_config replays the attaches (module config_json), not each bdev. */
};

static void bdev_unregistered_free(void *io_device)
{
	free(nb_from_io_device(io_device));
}

static int bdev_create(struct nvme_group *g, struct nvme_ctrlr_entry *ce, uint32_t nsid)
{
	struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(ce->ctrlr, nsid);
	struct nvme_bdev *nb;
	const uint8_t *uuid;
	int rc;

	nb = calloc(1, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	nb->g = g;
	nb->nsid = nsid;
	nb->nvm = sio_nvme_ns_get_csi(ns) == SIO_NVME_CSI_NVM;
	nb->policy = g_bdev_nvme_opts.mp_policy;
	nb->selector = g_bdev_nvme_opts.mp_selector;
	nb->rr_min_io = g_bdev_nvme_opts.mp_min_io ? g_bdev_nvme_opts.mp_min_io : 1;
	snprintf(nb->name, sizeof(nb->name), "%sn%u", g->name, nsid);
	nb->bdev.name = nb->name;
	nb->bdev.product_name = "NVMe disk";
	nb->bdev.blocklen = sio_nvme_ns_get_sector_size(ns);
	nb->bdev.blockcnt = sio_nvme_ns_get_num_sectors(ns);
	nb->bdev.max_transfer_blocks = sio_nvme_ns_get_max_io_xfer_size(ns) / nb->bdev.blocklen;
	nb->bdev.write_cache = sio_nvme_ctrlr_get_data(ce->ctrlr)->vwc & SIO_NVME_VWC_PRESENT;
	uuid = sio_nvme_ns_get_uuid(ns);
	if (uuid != NULL)
		memcpy(nb->bdev.uuid, uuid, 16);
	nb->bdev.ctxt = nb;
	nb->bdev.fn_table = &g_nvme_fn_table;
	nb->bdev.module = &sio_bdev_module_nvme;
	rc = sio_io_device_register(&nb->io_device, bdev_channel_create, bdev_channel_destroy,
				    sizeof(struct nvme_bdev_channel), nb->name);
	if (rc != 0) {
		free(nb);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g->bdevs, nb, link);
	g->nbdevs++;
	rc = sio_bdev_register(&nb->bdev);
	if (rc != 0) {
		TAILQ_REMOVE(&g->bdevs, nb, link);
		g->nbdevs--;
		/* No channel was made (the bdev never existed): freed once unregistered. */
		if (sio_io_device_unregister(&nb->io_device, bdev_unregistered_free) != 0)
			free(nb);
	}
	return rc;
}

static struct nvme_bdev *bdev_find(struct nvme_group *g, uint32_t nsid)
{
	struct nvme_bdev *nb;

	TAILQ_FOREACH(nb, &g->bdevs, link)
		if (nb->nsid == nsid)
			return nb;
	return NULL;
}

static bool ns_active_on(struct nvme_ctrlr_entry *ce, uint32_t nsid)
{
	struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(ce->ctrlr, nsid);

	return ns != NULL && sio_nvme_ns_is_active(ns);
}

/* Whether namespace @nsid is active on a path not being removed; with @nb,
 * only on a path that serves that bdev (path_serves()). */
static bool ns_on_some_path(struct nvme_group *g, uint32_t nsid, const struct nvme_bdev *nb)
{
	struct nvme_ctrlr_entry *o;

	TAILQ_FOREACH(o, &g->paths, link)
		if (!o->removing && (nb == NULL || path_serves(o, nb)) && ns_active_on(o, nsid))
			return true;
	return false;
}

static bool left_out_logged(const struct nvme_group *g, uint32_t nsid)
{
	for (uint32_t i = 0; i < g->nleft_out; i++)
		if (g->left_out[i] == nsid)
			return true;
	return false;
}

/* Remember that @nsid's notice was logged (without memory: it is logged again next scan). */
static void left_out_mark(struct nvme_group *g, uint32_t nsid)
{
	if (g->nleft_out == g->left_out_cap) {
		uint32_t cap = g->left_out_cap ? 2 * g->left_out_cap : 8;
		uint32_t *n = realloc(g->left_out, cap * sizeof(*n));

		if (n == NULL)
			return;
		g->left_out = n;
		g->left_out_cap = cap;
	}
	g->left_out[g->nleft_out++] = nsid;
}

/* Forget namespaces that are on no path now: if they come back, they are news again. */
static void left_out_prune(struct nvme_group *g)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->nleft_out; i++)
		if (ns_on_some_path(g, g->left_out[i], NULL))
			g->left_out[n++] = g->left_out[i];
	g->nleft_out = n;
}

/*
 * Whether namespace @nsid of path @ce may become a bdev. SPDK's bdev_nvme
 * takes NVM namespaces, ZNS ones as zoned bdevs, and those of any other
 * command set only with allow_unrecognized_csi (as passthrough-only bdevs).
 * This bdev layer has no zoned bdevs, so ZNS counts as unrecognized here;
 * allowed, such a namespace is a bdev like an NVM one (its reads and writes
 * are NVM commands, which the controller may refuse). Left out, it is
 * logged once (a NOTICE at the scan that first finds it; every later scan,
 * AER or reconnection, finds it again and says nothing until it has gone
 * from every path).
 */
static bool ns_wanted(struct nvme_group *g, struct nvme_ctrlr_entry *ce, uint32_t nsid)
{
	struct sio_nvme_ns *ns = sio_nvme_ctrlr_get_ns(ce->ctrlr, nsid);
	uint8_t csi = sio_nvme_ns_get_csi(ns);
	const char *why;

	if (csi != SIO_NVME_CSI_NVM && !ce->opts.allow_unrecognized_csi)
		why = "is not supported (allow_unrecognized_csi makes it a bdev)";
	else if (sio_nvme_ns_get_sector_size(ns) == 0)
		/* Allowed, but the controller refused it the NVM Identify
		 * Namespace: no block size or count to make a block bdev of
		 * (SPDK would make a passthrough-only bdev; no such kind here). */
		why = "without NVM geometry (the controller refused Identify Namespace for it)";
	else
		return true;
	if (!left_out_logged(g, nsid)) {
		left_out_mark(g, nsid);
		SIO_NOTICELOG("bdev_nvme: %s: namespace %u left out: command set %s (CSI %u) %s",
			      g->name, nsid, sio_nvme_csi_name(csi), csi, why);
	}
	return false;
}

/* Namespaces came or went on path @ce: bdevs follow (a bdev stays while any path has it). */
static void sync_namespaces(struct nvme_group *g, struct nvme_ctrlr_entry *ce)
{
	struct nvme_bdev *nb, *tmp;

	TAILQ_FOREACH_SAFE(nb, &g->bdevs, link, tmp) {
		/* Only the paths that serve the bdev keep it (path_serves()). */
		if (!ns_on_some_path(g, nb->nsid, nb)) {
			SIO_NOTICELOG("bdev_nvme: %s: namespace %u is gone%s", g->name, nb->nsid,
				      nb->nvm ? "" : " (from every path attached with allow_unrecognized_csi)");
			sio_bdev_unregister(&nb->bdev, NULL, NULL);
		} else if (path_serves(ce, nb) && ns_active_on(ce, nb->nsid)) {
			uint64_t n = sio_nvme_ns_get_num_sectors(sio_nvme_ctrlr_get_ns(ce->ctrlr, nb->nsid));

			if (n != nb->bdev.blockcnt)
				sio_bdev_notify_blockcnt_change(&nb->bdev, n);
		}
	}
	left_out_prune(g);
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(ce->ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(ce->ctrlr, id))
		if (bdev_find(g, id) == NULL && ns_wanted(g, ce, id) && bdev_create(g, ce, id) == 0)
			SIO_NOTICELOG("bdev_nvme: %s: namespace %u added", g->name, id);
}

/* ---- controller life ---- */

static void path_lost(struct nvme_ctrlr_entry *ce);

static uint64_t secs_since(uint64_t tick)
{
	return (sio_get_ticks() - tick) / sio_get_ticks_hz();
}

static void reset_done(void *arg, int rc);

static int reconnect_poll(void *arg)
{
	struct nvme_ctrlr_entry *ce = arg;

	sio_poller_unregister(&ce->reconnect_poller);
	if (ce->deleting || ce->removing || ce->resetting)
		return 1;
	ce->resetting = true;
	if (sio_nvme_ctrlr_reset(ce->ctrlr, reset_done, ce) != 0)
		reset_done(ce, -EBUSY);
	return 1;
}

static void path_up(struct nvme_ctrlr_entry *ce)
{
	ce->loss_start_tick = 0;
	MP_SET(ce->fast_io_fail, false);
	MP_SET(ce->up_gen, ce->up_gen + 1);
	MP_SET(ce->ns_gen, ce->ns_gen + 1);
	MP_SET(ce->failed, false);
}

static void reset_done(void *arg, int rc)
{
	struct nvme_ctrlr_entry *ce = arg;
	uint64_t lost;

	ce->resetting = false;
	if (ce->deleting || ce->removing)
		return;
	if (rc == 0) {
		SIO_NOTICELOG("bdev_nvme: %s (%s:%s) reconnected", ce->g->name, ce->opts.trid.traddr,
			      ce->opts.trid.trsvcid);
		path_up(ce);
		sync_namespaces(ce->g, ce);
		return;
	}
	lost = secs_since(ce->loss_start_tick);
	if (ce->opts.fast_io_fail_timeout_sec != 0 && lost >= ce->opts.fast_io_fail_timeout_sec &&
	    !ce->fast_io_fail) {
		SIO_NOTICELOG("bdev_nvme: %s: fast_io_fail_timeout_sec passed: waiting I/O fails",
			      ce->g->name);
		MP_SET(ce->fast_io_fail, true);
	}
	if (ce->opts.ctrlr_loss_timeout_sec != -1 &&
	    (ce->opts.ctrlr_loss_timeout_sec == 0 || ce->opts.reconnect_delay_sec == 0 ||
	     lost >= (uint64_t)ce->opts.ctrlr_loss_timeout_sec)) {
		SIO_ERRLOG("bdev_nvme: %s (%s:%s): controller lost (reset: %d): deleting the path",
			   ce->g->name, ce->opts.trid.traddr, ce->opts.trid.trsvcid, rc);
		path_lost(ce);
		return;
	}
	ce->reconnect_poller = sio_poller_register_named("bdev_nvme_reconnect", reconnect_poll, ce,
							 (uint64_t)(ce->opts.reconnect_delay_sec ?
								    ce->opts.reconnect_delay_sec : 1) * 1000000);
}

static void ctrlr_event(void *arg, struct sio_nvme_ctrlr *ctrlr, enum sio_nvme_ctrlr_event ev,
			const struct sio_nvme_cpl *cpl)
{
	struct nvme_ctrlr_entry *ce = arg;

	(void)ctrlr;
	(void)cpl;
	switch (ev) {
	case SIO_NVME_CTRLR_EVENT_NS_CHANGED:
		/* A namespace may be back on this path: bdevs that set it aside retry it. */
		MP_SET(ce->ns_gen, ce->ns_gen + 1);
		if (!ce->deleting && !ce->removing && ce->joined)
			sync_namespaces(ce->g, ce);
		break;
	case SIO_NVME_CTRLR_EVENT_FAILED:
		if (ce->deleting || ce->removing || ce->resetting)
			break;
		SIO_WARNLOG("bdev_nvme: %s: connection to %s:%s lost, reconnecting", ce->g->name,
			    ce->opts.trid.traddr, ce->opts.trid.trsvcid);
		MP_SET(ce->failed, true);
		if (ce->loss_start_tick == 0)
			ce->loss_start_tick = sio_get_ticks();
		ce->resetting = true;
		if (sio_nvme_ctrlr_reset(ce->ctrlr, reset_done, ce) != 0)
			reset_done(ce, -EBUSY);
		break;
	default:
		break;
	}
}

static void group_free(struct nvme_group *g)
{
	sio_done_cb cb = g->detach_cb;
	void *arg = g->detach_arg;

	TAILQ_REMOVE(&g_groups, g, link);
	pthread_mutex_destroy(&g->lock);
	free(g->left_out);
	free(g);
	if (cb != NULL)
		cb(arg, 0);
}

/*
 * Free the group once nothing refers to it: no controller detach or attach
 * under way, and either deleted to the end or never given a path.
 */
static void group_check_free(struct nvme_group *g)
{
	if (g->detaching != 0 || g->pending != 0 || g->set_keys != 0)
		return;
	if (g->deleting ? g->gone : (g->npaths == 0 && !g->io_device_registered && g->nbdevs == 0))
		group_free(g);
}

static void group_put_detach(struct nvme_group *g)
{
	g->detaching--;
	group_check_free(g);
}

/* A path's memory and the keyring references it holds (taken in bdev_nvme_attach). */
static void ce_free(struct nvme_ctrlr_entry *ce)
{
	sio_key_put(ce->opts.ctrlr_opts.tls_psk);
	sio_key_put(ce->opts.ctrlr_opts.dhchap_key);
	sio_key_put(ce->opts.ctrlr_opts.dhchap_ctrlr_key);
	free(ce);
}

static void group_ctrlr_detached(void *arg, int rc)
{
	struct nvme_ctrlr_entry *ce = arg;
	struct nvme_group *g = ce->g;

	(void)rc;
	ce_free(ce);
	group_put_detach(g);
}

static void group_io_device_gone(void *io_device)
{
	struct nvme_group *g = group_from_io_device(io_device);
	struct nvme_ctrlr_entry *ce, *tmp;

	g->io_device_registered = false;
	g->gone = true;
	g->detaching++; /* held over the loop: a synchronous detach must not free g */
	TAILQ_FOREACH_SAFE(ce, &g->paths, link, tmp) {
		pthread_mutex_lock(&g->lock);
		TAILQ_REMOVE(&g->paths, ce, link);
		pthread_mutex_unlock(&g->lock);
		g->npaths--;
		g->detaching++;
		if (sio_nvme_ctrlr_detach(ce->ctrlr, group_ctrlr_detached, ce) != 0)
			group_ctrlr_detached(ce, 0);
	}
	group_put_detach(g);
}

static void group_bdev_unregistered(void *arg, int rc)
{
	struct nvme_group *g = arg;

	(void)rc;
	if (--g->unregistering != 0)
		return;
	if (g->io_device_registered)
		sio_io_device_unregister(&g->io_device, group_io_device_gone);
	else
		group_io_device_gone(&g->io_device);
}

/* Bdevs first (the core waits for their channels), then the io_device, then every controller. */
static void group_delete(struct nvme_group *g)
{
	struct nvme_ctrlr_entry *ce;
	struct nvme_bdev *nb, *tmp;

	if (g->deleting)
		return;
	g->deleting = true;
	TAILQ_FOREACH(ce, &g->paths, link) {
		MP_SET(ce->deleting, true);
		sio_poller_unregister(&ce->reconnect_poller);
		sio_nvme_ctrlr_set_event_cb(ce->ctrlr, NULL, NULL);
	}
	g->unregistering = 1;
	TAILQ_FOREACH_SAFE(nb, &g->bdevs, link, tmp) {
		g->unregistering++;
		if (sio_bdev_unregister(&nb->bdev, group_bdev_unregistered, g) != 0)
			g->unregistering--;
	}
	group_bdev_unregistered(g, 0);
}

/* ---- paths joining and leaving ---- */

static void path_ctrlr_detached(void *arg, int rc)
{
	struct nvme_ctrlr_entry *ce = arg;
	struct nvme_group *g = ce->g;
	sio_done_cb cb = ce->remove_cb;
	void *cb_arg = ce->remove_arg;

	(void)rc;
	ce_free(ce);
	/* The reference is held over the callback: it may go on with g. */
	if (cb != NULL)
		cb(cb_arg, 0);
	group_put_detach(g);
}

static void path_remove_msg(struct sio_io_channel_iter *i)
{
	struct nvme_ctrlr_entry *ce = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct nvme_channel *nch = *(struct nvme_channel **)sio_io_channel_get_ctx(ch);
	struct nvme_path_ch *p = path_ch_find(nch, ce);

	if (p != NULL)
		path_ch_remove(nch, p);
	sio_for_each_channel_continue(i, 0);
}

static void path_remove_done(struct sio_io_channel_iter *i, int status)
{
	struct nvme_ctrlr_entry *ce = sio_io_channel_iter_get_ctx(i);
	struct nvme_group *g = ce->g;

	(void)status;
	pthread_mutex_lock(&g->lock);
	TAILQ_REMOVE(&g->paths, ce, link);
	pthread_mutex_unlock(&g->lock);
	g->npaths--;
	ce->joined = false;
	/* The bdevs' namespaces may have been on this path only. */
	if (!g->deleting && TAILQ_FIRST(&g->paths) != NULL)
		sync_namespaces(g, TAILQ_FIRST(&g->paths));
	g->detaching++;
	if (sio_nvme_ctrlr_detach(ce->ctrlr, path_ctrlr_detached, ce) != 0)
		path_ctrlr_detached(ce, 0);
}

/* Take one path out of a group that keeps others: channels drop it first. */
static void path_remove(struct nvme_ctrlr_entry *ce, sio_done_cb cb, void *arg)
{
	struct nvme_group *g = ce->g;

	ce->remove_cb = cb;
	ce->remove_arg = arg;
	pthread_mutex_lock(&g->lock);
	MP_SET(ce->removing, true);
	pthread_mutex_unlock(&g->lock);
	sio_poller_unregister(&ce->reconnect_poller);
	sio_nvme_ctrlr_set_event_cb(ce->ctrlr, NULL, NULL);
	if (sio_for_each_channel(&g->io_device, path_remove_msg, ce, path_remove_done) != 0)
		SIO_ERRLOG("bdev_nvme: %s: cannot walk the channels to remove a path", g->name);
}

static uint32_t live_paths(struct nvme_group *g)
{
	struct nvme_ctrlr_entry *ce;
	uint32_t n = 0;

	TAILQ_FOREACH(ce, &g->paths, link)
		n += !ce->removing;
	return n;
}

/* ctrlr_loss_timeout_sec passed: the path goes, the bdevs with the last one. */
static void path_lost(struct nvme_ctrlr_entry *ce)
{
	if (live_paths(ce->g) > 1)
		path_remove(ce, NULL, NULL);
	else
		group_delete(ce->g);
}

static void attach_reply(struct nvme_ctrlr_entry *ce, int rc)
{
	struct nvme_group *g = ce->g;
	const char **names = NULL;
	struct nvme_bdev *nb;
	size_t n = 0;

	if (rc != 0) {
		ce->attach_cb(ce->attach_arg, rc, ce->attach_msg[0] ? ce->attach_msg : NULL, NULL, 0);
		return;
	}
	names = calloc(g->nbdevs + 1, sizeof(*names));
	TAILQ_FOREACH(nb, &g->bdevs, link) {
		if (names == NULL || (ce->opts.max_bdevs != 0 && n >= ce->opts.max_bdevs))
			break;
		names[n++] = nb->name;
	}
	ce->attach_cb(ce->attach_arg, 0, NULL, names, n);
	free(names);
}

static void path_add_msg(struct sio_io_channel_iter *i)
{
	struct nvme_ctrlr_entry *ce = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct nvme_channel *nch = *(struct nvme_channel **)sio_io_channel_get_ctx(ch);

	if (path_ch_add(nch, ce) != 0)
		SIO_ERRLOG("bdev_nvme: %s: a channel could not take the new path", ce->g->name);
	sio_for_each_channel_continue(i, 0);
}

static void path_add_done(struct sio_io_channel_iter *i, int status)
{
	struct nvme_ctrlr_entry *ce = sio_io_channel_iter_get_ctx(i);

	(void)status;
	SIO_NOTICELOG("bdev_nvme: %s: path %s:%s added (%u paths)", ce->g->name,
		      ce->opts.trid.traddr, ce->opts.trid.trsvcid, ce->g->npaths);
	/* Namespaces this path has and the others had not. */
	sync_namespaces(ce->g, ce);
	attach_reply(ce, 0);
}

static bool id_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	static const uint8_t zero[16];

	return memcmp(a ? a : zero, b ? b : zero, n) == 0;
}

/*
 * A second path must reach the same subsystem and the same namespaces:
 * subsystem NQN from Identify Controller, and for every namespace of the
 * name's bdevs the NGUID, EUI64 and UUID (absent ones compare as zero).
 */
static int path_check_identity(struct nvme_group *g, struct nvme_ctrlr_entry *ce)
{
	const struct sio_nvme_ctrlr_data *cd = sio_nvme_ctrlr_get_data(ce->ctrlr);
	struct nvme_ctrlr_entry *o;
	struct nvme_bdev *nb;

	if (strncmp(cd->subnqn, g->subnqn, sizeof(g->subnqn)) != 0) {
		snprintf(ce->attach_msg, sizeof(ce->attach_msg),
			 "%s: the new path reaches subsystem %.100s, not %.100s", g->name, cd->subnqn,
			 g->subnqn);
		return -EINVAL;
	}
	TAILQ_FOREACH(o, &g->paths, link)
		if (sio_nvme_ctrlr_get_cntlid(o->ctrlr) == sio_nvme_ctrlr_get_cntlid(ce->ctrlr) &&
		    strcmp(o->opts.trid.traddr, ce->opts.trid.traddr) == 0 &&
		    strcmp(o->opts.trid.trsvcid, ce->opts.trid.trsvcid) == 0) {
			snprintf(ce->attach_msg, sizeof(ce->attach_msg),
				 "%s: the new path is the same controller (cntlid %u)", g->name,
				 sio_nvme_ctrlr_get_cntlid(ce->ctrlr));
			return -EEXIST;
		}
	TAILQ_FOREACH(nb, &g->bdevs, link) {
		struct sio_nvme_ns *a, *b;

		/* Its CSI filter keeps the new path out of this bdev: nothing to compare. */
		if (!path_serves(ce, nb))
			continue;
		/* Compared with a path that serves it (the first in attach order). */
		TAILQ_FOREACH(o, &g->paths, link)
			if (!o->removing && path_serves(o, nb))
				break;
		if (o == NULL)
			o = group_first_path(g);
		a = sio_nvme_ctrlr_get_ns(o->ctrlr, nb->nsid);
		b = sio_nvme_ctrlr_get_ns(ce->ctrlr, nb->nsid);
		if (b == NULL || !sio_nvme_ns_is_active(b)) {
			snprintf(ce->attach_msg, sizeof(ce->attach_msg),
				 "%s: namespace %u is not on the new path", g->name, nb->nsid);
			return -EINVAL;
		}
		if (!id_equal(sio_nvme_ns_get_nguid(a), sio_nvme_ns_get_nguid(b), 16) ||
		    !id_equal(sio_nvme_ns_get_eui64(a), sio_nvme_ns_get_eui64(b), 8) ||
		    !id_equal(sio_nvme_ns_get_uuid(a), sio_nvme_ns_get_uuid(b), 16)) {
			snprintf(ce->attach_msg, sizeof(ce->attach_msg),
				 "%s: namespace %u on the new path has another identity (NGUID/EUI64/UUID)",
				 g->name, nb->nsid);
			return -EINVAL;
		}
	}
	return 0;
}

static void refused_ctrlr_detached(void *arg, int rc)
{
	struct nvme_ctrlr_entry *ce = arg;
	struct nvme_group *g = ce->g;

	(void)rc;
	attach_reply(ce, ce->attach_rc);
	ce_free(ce);
	group_put_detach(g);
}

static void path_join(struct nvme_group *g, struct nvme_ctrlr_entry *ce)
{
	pthread_mutex_lock(&g->lock);
	TAILQ_INSERT_TAIL(&g->paths, ce, link);
	pthread_mutex_unlock(&g->lock);
	g->npaths++;
	ce->joined = true;
	sio_nvme_ctrlr_set_event_cb(ce->ctrlr, ctrlr_event, ce);
}

static void attach_connected(void *arg, int rc, struct sio_nvme_ctrlr *ctrlr)
{
	struct nvme_ctrlr_entry *ce = arg;
	struct nvme_group *g = ce->g;

	g->pending--;
	if (rc != 0) {
		attach_reply(ce, rc);
		ce_free(ce);
		group_check_free(g);
		return;
	}
	ce->ctrlr = ctrlr;
	if (g->deleting) {
		snprintf(ce->attach_msg, sizeof(ce->attach_msg), "%s is being deleted", g->name);
		g->detaching++;
		ce->attach_rc = -EBUSY;
		if (sio_nvme_ctrlr_detach(ctrlr, refused_ctrlr_detached, ce) != 0)
			refused_ctrlr_detached(ce, 0);
		return;
	}
	if (g->npaths > 0) {
		/* Another path of an existing name. */
		rc = path_check_identity(g, ce);
		if (rc != 0) {
			SIO_ERRLOG("bdev_nvme: %s", ce->attach_msg);
			g->detaching++;
			ce->attach_rc = rc;
			if (sio_nvme_ctrlr_detach(ctrlr, refused_ctrlr_detached, ce) != 0)
				refused_ctrlr_detached(ce, 0);
			return;
		}
		path_join(g, ce);
		if (sio_for_each_channel(&g->io_device, path_add_msg, ce, path_add_done) != 0)
			SIO_ERRLOG("bdev_nvme: %s: cannot walk the channels to add a path", g->name);
		return;
	}
	/* The name's first path: its namespaces become the bdevs. */
	snprintf(g->subnqn, sizeof(g->subnqn), "%.223s", sio_nvme_ctrlr_get_data(ctrlr)->subnqn);
	path_join(g, ce);
	rc = sio_io_device_register(&g->io_device, channel_create, channel_destroy,
				    sizeof(struct nvme_channel *), g->name);
	if (rc != 0) {
		attach_reply(ce, rc);
		group_delete(g);
		return;
	}
	g->io_device_registered = true;
	for (uint32_t id = sio_nvme_ctrlr_get_first_active_ns(ctrlr); id != 0;
	     id = sio_nvme_ctrlr_get_next_active_ns(ctrlr, id)) {
		if (!ns_wanted(g, ce, id))
			continue;
		rc = bdev_create(g, ce, id);
		if (rc != 0)
			SIO_ERRLOG("bdev_nvme: %s: namespace %u: bdev not created: %d", g->name, id, rc);
	}
	attach_reply(ce, 0);
}

/*
 * bdev_nvme_set_keys: every path of the name takes the new keys and
 * re-authenticates, admin queue first (a target such as Linux nvmet reads the
 * host's new key there), then each I/O queue pair of the path, on its channel's
 * thread (sio_for_each_channel). Paths run side by side; @cb once all
 * answered, with the first error and a message naming the path and the queue.
 */
struct set_keys_ctx {
	int pending;
	int rc;
	char msg[512];
	bdev_nvme_set_keys_cb cb;
	void *cb_arg;
	struct nvme_group *g;    /* held (g->set_keys): not freed before cb */
};

/* One path's part. */
struct set_keys_path {
	struct set_keys_ctx *c;
	struct nvme_ctrlr_entry *ce;
	int rc;                  /* first I/O queue failure of the walk */
	uint16_t cur_qid;        /* the queue pair being visited (one at a time) */
	uint16_t failed_qid;
	uint32_t queues;         /* I/O queue pairs re-authenticated */
	/* "Nvme0 (127.0.0.1:4420)": for the messages, without touching ce once
	 * the walk runs (a path removed meanwhile frees ce). */
	char label[200];
};

static void set_keys_fail(struct set_keys_ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_keys_fail(struct set_keys_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->rc != 0)
		return;
	c->rc = rc;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	SIO_ERRLOG("bdev_nvme: %s", c->msg);
}

static void set_keys_put(struct set_keys_ctx *c)
{
	struct nvme_group *g = c->g;

	if (--c->pending != 0)
		return;
	c->cb(c->cb_arg, c->rc, c->rc != 0 ? c->msg : NULL);
	free(c);
	g->set_keys--;
	group_check_free(g);
}

static const char *reauth_why(int rc)
{
	return rc == -EACCES ? "refused (the controller has another key for this host, or did not "
			       "prove itself with dhchap_ctrlr_key): the queue is disconnected"
			     : strerror(-rc);
}

/* The qpair's transaction ended (its channel's thread): on to the next channel. */
static void path_qpair_reauth_done(void *arg, int rc)
{
	struct sio_io_channel_iter *i = arg;
	struct set_keys_path *sp = sio_io_channel_iter_get_ctx(i);

	/* Lost or freed meanwhile: it authenticates with the new keys when it
	 * connects again (or is gone). Not the key's fault. */
	if (rc == 0) {
		sp->queues++;
	} else if (rc != -ECONNRESET && rc != -ECANCELED && sp->rc == 0) {
		sp->rc = rc;
		sp->failed_qid = sp->cur_qid;
	}
	sio_for_each_channel_continue(i, 0);
}

static void path_reauth_msg(struct sio_io_channel_iter *i)
{
	struct set_keys_path *sp = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct nvme_channel *nch = *(struct nvme_channel **)sio_io_channel_get_ctx(ch);
	struct nvme_path_ch *p = path_ch_find(nch, sp->ce);
	int rc;

	/* No queue pair, or one connecting: it authenticates with the new keys
	 * at its Connect; not connected (failed, reconnecting): likewise. */
	if (p == NULL || p->qp == NULL) {
		sio_for_each_channel_continue(i, 0);
		return;
	}
	sp->cur_qid = sio_nvme_qpair_get_id(p->qp);
	rc = sio_nvme_qpair_authenticate(p->qp, path_qpair_reauth_done, i);
	if (rc == 0)
		return;
	if (rc != -ENOTCONN && sp->rc == 0) {
		sp->rc = rc;
		sp->failed_qid = sio_nvme_qpair_get_id(p->qp);
	}
	sio_for_each_channel_continue(i, 0);
}

static void path_reauth_walk_done(struct sio_io_channel_iter *i, int status)
{
	struct set_keys_path *sp = sio_io_channel_iter_get_ctx(i);

	(void)status;
	if (sp->rc != 0)
		set_keys_fail(sp->c, sp->rc, "%s: re-authentication of I/O queue %u failed: %s",
			      sp->label, sp->failed_qid, reauth_why(sp->rc));
	else
		SIO_NOTICELOG("bdev_nvme: %s: admin queue and %u I/O queue pair(s) re-authenticated",
			      sp->label, sp->queues);
	set_keys_put(sp->c);
	free(sp);
}

/* The path's admin queue answered: walk its I/O queue pairs, or stop here. */
static void path_admin_reauth_done(void *arg, int rc)
{
	struct set_keys_path *sp = arg;
	struct nvme_ctrlr_entry *ce = sp->ce;
	struct nvme_group *g = ce->g;

	if (rc != 0) {
		/* SPDK stops there too: the I/O queues would meet the same key. */
		set_keys_fail(sp->c, rc, "%s: re-authentication of the admin queue failed: %s",
			      sp->label, reauth_why(rc));
		goto out;
	}
	if (ce->opts.ctrlr_opts.dhchap_key == NULL)
		goto out; /* keys cleared: nothing to authenticate with */
	if (g->deleting || ce->removing || !g->io_device_registered) {
		set_keys_fail(sp->c, -ENODEV, "%s: the path went away during re-authentication",
			      g->name);
		goto out;
	}
	if (sio_for_each_channel(&g->io_device, path_reauth_msg, sp, path_reauth_walk_done) == 0)
		return;
	set_keys_fail(sp->c, -ENOMEM, "%s: cannot walk the channels to re-authenticate", g->name);
out:
	set_keys_put(sp->c);
	free(sp);
}

int bdev_nvme_set_dhchap_keys(const char *name, struct sio_key *key, struct sio_key *ctrlr_key,
			      bdev_nvme_set_keys_cb cb, void *cb_arg)
{
	struct nvme_group *g = name ? group_find(name) : NULL;
	struct nvme_ctrlr_entry *ce;
	struct set_keys_ctx *c;

	if (g == NULL || g->deleting)
		return -ENODEV;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->cb = cb;
	c->cb_arg = cb_arg;
	c->g = g;
	g->set_keys++;
	c->pending = 1; /* ours, dropped below: a path answering at once cannot end it early */
	TAILQ_FOREACH(ce, &g->paths, link) {
		struct set_keys_path *sp;
		int rc;

		if (ce->ctrlr == NULL || ce->removing)
			continue;
		sio_key_put(ce->opts.ctrlr_opts.dhchap_key);
		sio_key_put(ce->opts.ctrlr_opts.dhchap_ctrlr_key);
		ce->opts.ctrlr_opts.dhchap_key = sio_key_ref(key);
		ce->opts.ctrlr_opts.dhchap_ctrlr_key = sio_key_ref(ctrlr_key);
		sp = calloc(1, sizeof(*sp));
		if (sp == NULL) {
			set_keys_fail(c, -ENOMEM, "%s: out of memory", g->name);
			continue;
		}
		sp->c = c;
		sp->ce = ce;
		snprintf(sp->label, sizeof(sp->label), "%.63s (%.96s:%.31s)", g->name, ce->opts.trid.traddr,
			 ce->opts.trid.trsvcid);
		c->pending++;
		rc = sio_nvme_ctrlr_set_dhchap_keys(ce->ctrlr, key, ctrlr_key, path_admin_reauth_done,
						    sp);
		if (rc != 0) {
			set_keys_fail(c, rc, "%s: %s", sp->label,
				      rc == -EALREADY ? "a re-authentication is already under way"
						      : strerror(-rc));
			set_keys_put(c);
			free(sp);
		}
	}
	set_keys_put(c);
	return 0;
}

int bdev_nvme_attach(const struct bdev_nvme_attach_opts *opts, bdev_nvme_attach_cb cb, void *arg)
{
	struct nvme_ctrlr_entry *ce, *o;
	struct nvme_group *g;
	bool new_group = false;
	int rc;

	if (opts == NULL || opts->name == NULL || opts->name[0] == '\0' || cb == NULL ||
	    strlen(opts->name) >= sizeof(g->name))
		return -EINVAL;
	if (opts->ctrlr_loss_timeout_sec < -1)
		return -EINVAL;
	/* SPDK's rules tying the three timeouts together. */
	if (opts->ctrlr_loss_timeout_sec != 0 && opts->reconnect_delay_sec == 0)
		return -EINVAL;
	if (opts->ctrlr_loss_timeout_sec > 0 &&
	    (opts->reconnect_delay_sec > (uint32_t)opts->ctrlr_loss_timeout_sec ||
	     opts->fast_io_fail_timeout_sec > (uint32_t)opts->ctrlr_loss_timeout_sec))
		return -EINVAL;
	g = group_find(opts->name);
	if (g != NULL) {
		if (opts->mode == BDEV_NVME_MP_DISABLE)
			return -EEXIST;
		if (g->deleting)
			return -EBUSY;
		TAILQ_FOREACH(o, &g->paths, link)
			if (sio_nvme_transport_id_compare(&o->opts.trid, &opts->trid) == 0)
				return -EEXIST;
		if (g->npaths + g->pending >= BDEV_NVME_MAX_PATHS)
			return -ENOSPC;
	} else {
		g = calloc(1, sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		snprintf(g->name, sizeof(g->name), "%s", opts->name);
		pthread_mutex_init(&g->lock, NULL);
		TAILQ_INIT(&g->paths);
		TAILQ_INIT(&g->bdevs);
		TAILQ_INSERT_TAIL(&g_groups, g, link);
		new_group = true;
	}
	ce = calloc(1, sizeof(*ce));
	if (ce == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	ce->g = g;
	ce->opts = *opts;
	ce->opts.name = g->name;
	/* The path keeps its keys for save_config and re-authentication. */
	sio_key_ref(ce->opts.ctrlr_opts.tls_psk);
	sio_key_ref(ce->opts.ctrlr_opts.dhchap_key);
	sio_key_ref(ce->opts.ctrlr_opts.dhchap_ctrlr_key);
	ce->opts.ctrlr_opts.tls_psk_identity = NULL;
	/* The first path of a name is a policy path whatever its mode said. */
	ce->mode = new_group || g->npaths == 0 ? BDEV_NVME_MP_MULTIPATH : opts->mode;
	ce->attach_cb = cb;
	ce->attach_arg = arg;
	g->pending++;
	rc = sio_nvme_ctrlr_connect(&ce->opts.trid, &ce->opts.ctrlr_opts, attach_connected, ce);
	if (rc != 0) {
		g->pending--;
		ce_free(ce);
		goto err;
	}
	return 0;
err:
	if (new_group) {
		TAILQ_REMOVE(&g_groups, g, link);
		pthread_mutex_destroy(&g->lock);
		free(g);
	}
	return rc;
}

/* A filter field left empty (or NONE) matches anything. */
static bool trid_matches(const struct sio_nvme_transport_id *f, const struct sio_nvme_transport_id *t)
{
	if (f == NULL)
		return true;
	if (f->trtype != SIO_NVME_TRANSPORT_NONE && f->trtype != t->trtype)
		return false;
	if (f->adrfam != SIO_NVME_ADRFAM_NONE && f->adrfam != t->adrfam)
		return false;
	if (f->traddr[0] && strcasecmp(f->traddr, t->traddr) != 0)
		return false;
	if (f->trsvcid[0] && strcmp(f->trsvcid, t->trsvcid) != 0)
		return false;
	if (f->subnqn[0] && strcmp(f->subnqn, t->subnqn) != 0)
		return false;
	if (f->hostaddr[0] && strcmp(f->hostaddr, t->hostaddr) != 0)
		return false;
	if (f->hostsvcid[0] && strcmp(f->hostsvcid, t->hostsvcid) != 0)
		return false;
	return true;
}

struct detach_ctx {
	struct nvme_group *g;
	struct sio_nvme_transport_id filter;
	sio_done_cb cb;
	void *arg;
};

/* Paths matching the filter go one by one; the last path takes the group with it. */
static void detach_next(void *arg, int rc)
{
	struct detach_ctx *d = arg;
	struct nvme_group *g = d->g;
	struct nvme_ctrlr_entry *ce, *hit = NULL;
	uint32_t live = 0;

	(void)rc;
	TAILQ_FOREACH(ce, &g->paths, link) {
		if (ce->removing)
			continue;
		live++;
		if (hit == NULL && trid_matches(&d->filter, &ce->opts.trid))
			hit = ce;
	}
	if (hit == NULL) {
		sio_done_cb cb = d->cb;

		arg = d->arg;
		free(d);
		cb(arg, 0);
		return;
	}
	if (live == 1) {
		g->detach_cb = d->cb;
		g->detach_arg = d->arg;
		free(d);
		group_delete(g);
		return;
	}
	path_remove(hit, detach_next, d);
}

int bdev_nvme_detach(const char *name, const struct sio_nvme_transport_id *filter, sio_done_cb cb,
		     void *arg)
{
	struct nvme_group *g = name ? group_find(name) : NULL;
	struct nvme_ctrlr_entry *ce;
	struct detach_ctx *d;
	bool any = false;

	if (g == NULL || g->deleting || g->npaths == 0 || cb == NULL)
		return -ENODEV;
	TAILQ_FOREACH(ce, &g->paths, link)
		if (!ce->removing && trid_matches(filter, &ce->opts.trid))
			any = true;
	if (!any)
		return -ENODEV;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->g = g;
	if (filter != NULL)
		d->filter = *filter;
	d->cb = cb;
	d->arg = arg;
	detach_next(d, 0);
	return 0;
}

struct reset_ctx {
	uint32_t left;
	int rc;
	sio_done_cb cb;
	void *arg;
};

struct reset_one {
	struct reset_ctx *r;
	struct nvme_ctrlr_entry *ce;
};

static void user_reset_done(void *arg, int rc)
{
	struct reset_one one = *(struct reset_one *)arg;
	struct reset_ctx *r = one.r;

	free(arg);
	one.ce->resetting = false;
	if (rc == 0 && !one.ce->deleting && !one.ce->removing) {
		if (one.ce->failed)
			SIO_NOTICELOG("bdev_nvme: %s reconnected by a reset", one.ce->g->name);
		path_up(one.ce);
	}
	if (rc != 0 && r->rc == 0)
		r->rc = rc;
	if (--r->left == 0) {
		r->cb(r->arg, r->rc);
		free(r);
	}
}

/* bdev_nvme_reset_controller's cntlid: one path of a multipath name (-1: all of them). */
static bool reset_chosen(const struct nvme_ctrlr_entry *ce, int32_t cntlid)
{
	return !ce->removing && (cntlid < 0 || sio_nvme_ctrlr_get_cntlid(ce->ctrlr) == cntlid);
}

int bdev_nvme_reset(const char *name, int32_t cntlid, sio_done_cb cb, void *arg)
{
	struct nvme_group *g = name ? group_find(name) : NULL;
	struct nvme_ctrlr_entry *ce;
	struct reset_ctx *r;
	bool any = false;

	if (g == NULL || g->deleting || g->npaths == 0)
		return -ENODEV;
	TAILQ_FOREACH(ce, &g->paths, link) {
		if (!reset_chosen(ce, cntlid))
			continue;
		if (ce->resetting)
			return -EBUSY;
		any = true;
	}
	if (!any)
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->cb = cb;
	r->arg = arg;
	r->left = 1;
	TAILQ_FOREACH(ce, &g->paths, link) {
		struct reset_one *one;

		if (!reset_chosen(ce, cntlid))
			continue;
		one = malloc(sizeof(*one));
		if (one == NULL) {
			r->rc = -ENOMEM;
			break;
		}
		one->r = r;
		one->ce = ce;
		ce->resetting = true;
		r->left++;
		if (sio_nvme_ctrlr_reset(ce->ctrlr, user_reset_done, one) != 0) {
			ce->resetting = false;
			r->left--;
			r->rc = -EBUSY;
			free(one);
		}
	}
	/* The extra count kept the callback from running inside this call's loop. */
	if (--r->left == 0) {
		int rc = r->rc;

		free(r);
		return rc != 0 ? rc : -ENODEV;
	}
	return 0;
}

static const char *mode_str(enum bdev_nvme_mp_mode m)
{
	return m == BDEV_NVME_MP_FAILOVER ? "failover" : "multipath";
}

json_t *bdev_nvme_controllers_json(const char *name)
{
	json_t *arr = json_array();
	struct nvme_group *g;

	TAILQ_FOREACH(g, &g_groups, link) {
		struct nvme_ctrlr_entry *ce;
		json_t *o, *ctrlrs;

		if (g->npaths == 0 || (name != NULL && strcmp(name, g->name) != 0))
			continue;
		o = json_object();
		ctrlrs = json_array();
		json_object_set_new(o, "name", json_string(g->name));
		TAILQ_FOREACH(ce, &g->paths, link) {
			json_t *c = json_object(), *t = json_object(), *h = json_object();

			json_object_set_new(c, "state",
					    json_string(ce->deleting || ce->removing ? "deleting" :
							ce->resetting ? "resetting" :
							ce->failed ? "failed" : "enabled"));
			trid_json(t, &ce->opts.trid);
			json_object_set_new(c, "trid", t);
			json_object_set_new(c, "cntlid",
					    json_integer(sio_nvme_ctrlr_get_cntlid(ce->ctrlr)));
			json_object_set_new(h, "nqn", json_string(ce->opts.ctrlr_opts.hostnqn));
			json_object_set_new(h, "addr", json_string(ce->opts.trid.hostaddr));
			json_object_set_new(h, "svcid", json_string(ce->opts.trid.hostsvcid));
			json_object_set_new(c, "host", h);
			json_object_set_new(c, "multipath", json_string(mode_str(ce->mode)));
			json_array_append_new(ctrlrs, c);
		}
		json_object_set_new(o, "ctrlrs", ctrlrs);
		json_array_append_new(arr, o);
	}
	if (name != NULL && json_array_size(arr) == 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static struct nvme_bdev *nvme_bdev_find(const char *bdev_name)
{
	struct nvme_group *g;
	struct nvme_bdev *nb;

	TAILQ_FOREACH(g, &g_groups, link)
		TAILQ_FOREACH(nb, &g->bdevs, link)
			if (strcmp(nb->name, bdev_name) == 0)
				return nb;
	return NULL;
}

int bdev_nvme_set_multipath_policy(const char *bdev_name, enum bdev_nvme_mp_policy policy,
				   enum bdev_nvme_mp_selector selector, uint32_t rr_min_io)
{
	struct nvme_bdev *nb = bdev_name ? nvme_bdev_find(bdev_name) : NULL;

	if (nb == NULL || nb->g->deleting)
		return -ENODEV;
	/* Channels read these per I/O; a torn mix for one I/O only picks another path. */
	MP_SET(nb->selector, selector);
	MP_SET(nb->rr_min_io, rr_min_io ? rr_min_io : 1);
	MP_SET(nb->policy, policy);
	return 0;
}

/* ---- bdev_nvme_get_io_paths: each group's channels, one thread at a time ---- */

struct io_paths_walk {
	const char *bdev_name;   /* copied below */
	char name_buf[80];
	json_t *threads;         /* thread name -> io_paths array */
	json_t *order;           /* thread names in the order met */
	struct nvme_group *g;
	bdev_nvme_json_cb cb;
	void *arg;
};

static json_t *stat_json(const struct nvme_path_stat *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "bytes_read", (json_int_t)s->bytes_read,
			 "num_read_ops", (json_int_t)s->num_read_ops, "bytes_written",
			 (json_int_t)s->bytes_written, "num_write_ops", (json_int_t)s->num_write_ops,
			 "bytes_unmapped", (json_int_t)s->bytes_unmapped, "num_unmap_ops",
			 (json_int_t)s->num_unmap_ops);
}

/* Whether @bch's bdev's next I/O may go to path @k (what select_path() would pick). */
static bool path_is_current(struct nvme_bdev_channel *bch, uint32_t k)
{
	int32_t cur;

	if (!path_ok(bch, k))
		return false;
	if (MP_GET(bch->nb->policy) == BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE) {
		/* Every usable policy path takes I/O; standbys only without one. */
		return !path_standby(bch->nch->paths[k]) || first_usable(bch) == (int32_t)k;
	}
	cur = bch->cur;
	if (cur < 0 || (uint32_t)cur >= bch->nch->npaths || path_standby(bch->nch->paths[cur]) ||
	    !path_ok(bch, (uint32_t)cur) ||
	    (!g_bdev_nvme_opts.disable_auto_failback && cur != first_usable(bch)))
		cur = first_usable(bch);
	return cur == (int32_t)k;
}

static void io_paths_msg(struct sio_io_channel_iter *i)
{
	struct io_paths_walk *w = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct nvme_channel *nch = *(struct nvme_channel **)sio_io_channel_get_ctx(ch);
	const char *tname = sio_thread_get_name(sio_thread_get_current());
	struct nvme_bdev_channel *bch;
	struct nvme_bdev *nb;
	json_t *arr;

	if (tname == NULL)
		tname = "";
	arr = json_object_get(w->threads, tname);
	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(w->threads, tname, arr);
		json_array_append_new(w->order, json_string(tname));
	}
	/*
	 * The bdev channels of this thread, as SPDK lists the io_paths of each
	 * poll group: this thread's own list, where the name's bdev list (the
	 * app thread's, changed by namespace attach and removal) is not ours to
	 * read here; a bdev's channel holds its bdev, so bch->nb stays valid.
	 */
	TAILQ_FOREACH(bch, &nch->bchs, link) {
		nb = bch->nb;
		if (w->bdev_name != NULL && strcmp(w->bdev_name, nb->name) != 0)
			continue;
		for (uint32_t k = 0; k < nch->npaths; k++) {
			struct nvme_path_ch *p = nch->paths[k];
			struct nvme_ctrlr_entry *ce = p->ce;
			bool connected = p->qp != NULL && !MP_GET(ce->failed) && !MP_GET(ce->deleting);
			json_t *o, *t;

			if (!path_serves(ce, nb))
				continue; /* not one of this bdev's paths */
			o = json_object();
			t = json_object();

			json_object_set_new(o, "bdev_name", json_string(nb->name));
			json_object_set_new(o, "cntlid", json_integer(sio_nvme_ctrlr_get_cntlid(ce->ctrlr)));
			json_object_set_new(o, "current", json_boolean(path_is_current(bch, k)));
			json_object_set_new(o, "connected", json_boolean(connected));
			/* Not while set aside for this bdev (a path-related status,
			 * e.g. ANA inaccessible). */
			json_object_set_new(o, "accessible",
					    json_boolean(connected && ns_active_on(ce, nb->nsid) &&
							 !bdev_path_set_aside(bch, k)));
			trid_json(t, &ce->opts.trid);
			json_object_set_new(o, "transport", t);
			if (g_bdev_nvme_opts.io_path_stat)
				json_object_set_new(o, "io_path_stat", stat_json(&bch->stat[k]));
			json_array_append_new(arr, o);
		}
	}
	sio_for_each_channel_continue(i, 0);
}

static void io_paths_next(struct io_paths_walk *w);

static void io_paths_group_done(struct sio_io_channel_iter *i, int status)
{
	struct io_paths_walk *w = sio_io_channel_iter_get_ctx(i);

	(void)status;
	w->g = TAILQ_NEXT(w->g, link);
	io_paths_next(w);
}

static void io_paths_next(struct io_paths_walk *w)
{
	json_t *res, *pgs;
	size_t k;
	json_t *v;

	while (w->g != NULL && (!w->g->io_device_registered || w->g->deleting))
		w->g = TAILQ_NEXT(w->g, link);
	if (w->g != NULL) {
		if (sio_for_each_channel(&w->g->io_device, io_paths_msg, w, io_paths_group_done) == 0)
			return;
		w->g = TAILQ_NEXT(w->g, link);
		io_paths_next(w);
		return;
	}
	pgs = json_array();
	json_array_foreach(w->order, k, v) {
		const char *tn = json_string_value(v);

		json_array_append_new(pgs, json_pack("{s:s,s:O}", "thread", tn, "io_paths",
						     json_object_get(w->threads, tn)));
	}
	res = json_pack("{s:o}", "poll_groups", pgs);
	json_decref(w->threads);
	json_decref(w->order);
	w->cb(w->arg, 0, res);
	free(w);
}

int bdev_nvme_get_io_paths(const char *bdev_name, bdev_nvme_json_cb cb, void *arg)
{
	struct io_paths_walk *w;

	if (bdev_name != NULL && nvme_bdev_find(bdev_name) == NULL)
		return -ENODEV;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	if (bdev_name != NULL) {
		snprintf(w->name_buf, sizeof(w->name_buf), "%s", bdev_name);
		w->bdev_name = w->name_buf;
	}
	w->threads = json_object();
	w->order = json_array();
	w->cb = cb;
	w->arg = arg;
	w->g = TAILQ_FIRST(&g_groups);
	io_paths_next(w);
	return 0;
}

/* ---- bdev_nvme_get_transport_statistics ---- */

/* The queue pairs' counters, summed per thread and transport; each group has
 * its own queue pairs on every thread, so nothing is counted twice. */
struct tr_stats_walk {
	json_t *threads;         /* thread name -> {trname -> counters object} */
	json_t *order;           /* thread names in the order met */
	struct nvme_group *g;
	bdev_nvme_json_cb cb;
	void *arg;
};

static void tr_stat_add(json_t *o, const char *key, uint64_t v)
{
	json_t *cur = json_object_get(o, key);

	if (cur == NULL)
		json_object_set_new(o, key, json_integer((json_int_t)v));
	else
		json_integer_set(cur, json_integer_value(cur) + (json_int_t)v);
}

/* On the channel's thread: its queue pairs are its own, read without a lock. */
static void tr_stats_msg(struct sio_io_channel_iter *i)
{
	struct tr_stats_walk *w = sio_io_channel_iter_get_ctx(i);
	struct sio_io_channel *ch = sio_io_channel_iter_get_channel(i);
	struct nvme_channel *nch = *(struct nvme_channel **)sio_io_channel_get_ctx(ch);
	const char *tname = sio_thread_get_name(sio_thread_get_current());
	json_t *trs;

	if (tname == NULL)
		tname = "";
	trs = json_object_get(w->threads, tname);
	if (trs == NULL) {
		trs = json_object();
		json_object_set_new(w->threads, tname, trs);
		json_array_append_new(w->order, json_string(tname));
	}
	for (uint32_t k = 0; k < nch->npaths; k++) {
		struct sio_nvme_qpair *qp = nch->paths[k]->qp;
		struct sio_nvme_qpair_stats s;
		const char *trname;
		json_t *o;

		if (qp == NULL || sio_nvme_qpair_get_stats(qp, &s) != 0)
			continue;
		trname = sio_nvme_qpair_get_trname(qp);
		o = json_object_get(trs, trname);
		if (o == NULL) {
			o = json_object();
			json_object_set_new(trs, trname, o);
		}
		tr_stat_add(o, "polls", s.polls);
		tr_stat_add(o, "idle_polls", s.idle_polls);
		if (strcmp(trname, "TCP") == 0) {
			tr_stat_add(o, "socket_completions", s.socket_completions);
			tr_stat_add(o, "nvme_completions", s.nvme_completions);
		} else {
			tr_stat_add(o, "completions", s.nvme_completions);
		}
		tr_stat_add(o, "submitted_requests", s.submitted_requests);
		tr_stat_add(o, "queued_requests", s.queued_requests);
	}
	sio_for_each_channel_continue(i, 0);
}

static void tr_stats_next(struct tr_stats_walk *w);

static void tr_stats_group_done(struct sio_io_channel_iter *i, int status)
{
	struct tr_stats_walk *w = sio_io_channel_iter_get_ctx(i);

	(void)status;
	w->g = TAILQ_NEXT(w->g, link);
	tr_stats_next(w);
}

static void tr_stats_next(struct tr_stats_walk *w)
{
	json_t *pgs, *v;
	size_t k;

	while (w->g != NULL && (!w->g->io_device_registered || w->g->deleting))
		w->g = TAILQ_NEXT(w->g, link);
	if (w->g != NULL) {
		if (sio_for_each_channel(&w->g->io_device, tr_stats_msg, w, tr_stats_group_done) == 0)
			return;
		w->g = TAILQ_NEXT(w->g, link);
		tr_stats_next(w);
		return;
	}
	pgs = json_array();
	json_array_foreach(w->order, k, v) {
		const char *tn = json_string_value(v), *trname;
		json_t *arr = json_array(), *o;

		json_object_foreach(json_object_get(w->threads, tn), trname, o) {
			json_t *e = json_deep_copy(o);

			json_object_set_new(e, "trname", json_string(trname));
			json_array_append_new(arr, e);
		}
		json_array_append_new(pgs, json_pack("{s:s,s:o}", "thread", tn, "transports", arr));
	}
	json_decref(w->threads);
	json_decref(w->order);
	w->cb(w->arg, 0, json_pack("{s:o}", "poll_groups", pgs));
	free(w);
}

int bdev_nvme_get_transport_statistics(bdev_nvme_json_cb cb, void *arg)
{
	struct tr_stats_walk *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	w->threads = json_object();
	w->order = json_array();
	w->cb = cb;
	w->arg = arg;
	w->g = TAILQ_FIRST(&g_groups);
	tr_stats_next(w);
	return 0;
}

/* ---- save_config ---- */

static const char *timeout_action_str(enum bdev_nvme_timeout_action a)
{
	return a == BDEV_NVME_TIMEOUT_ACTION_RESET ? "reset" :
	       a == BDEV_NVME_TIMEOUT_ACTION_ABORT ? "abort" : "none";
}

/* A mask of DH-HMAC-CHAP ids as the array of SPDK names set_options takes. */
static json_t *dhchap_names_json(uint32_t mask, int max, const char *(*name)(uint8_t id))
{
	json_t *a = json_array();

	for (int id = 0; id <= max; id++)
		if ((mask & (1u << id)) && name((uint8_t)id) != NULL)
			json_array_append_new(a, json_string(name((uint8_t)id)));
	return a;
}

static void opts_config_json(json_t *config)
{
	const struct bdev_nvme_opts *o = &g_bdev_nvme_opts;
	json_t *p = json_object();

	json_object_set_new(p, "action_on_timeout", json_string(timeout_action_str(o->action_on_timeout)));
	json_object_set_new(p, "timeout_us", json_integer((json_int_t)o->timeout_us));
	json_object_set_new(p, "timeout_admin_us", json_integer((json_int_t)o->timeout_admin_us));
	json_object_set_new(p, "keep_alive_timeout_ms", json_integer(o->keep_alive_timeout_ms));
	json_object_set_new(p, "io_queue_requests", json_integer(o->io_queue_requests));
	json_object_set_new(p, "bdev_retry_count", json_integer(o->bdev_retry_count));
	json_object_set_new(p, "ctrlr_loss_timeout_sec", json_integer(o->ctrlr_loss_timeout_sec));
	json_object_set_new(p, "reconnect_delay_sec", json_integer(o->reconnect_delay_sec));
	json_object_set_new(p, "fast_io_fail_timeout_sec", json_integer(o->fast_io_fail_timeout_sec));
	json_object_set_new(p, "disable_auto_failback", json_boolean(o->disable_auto_failback));
	json_object_set_new(p, "tcp_connect_timeout_ms", json_integer(o->tcp_connect_timeout_ms));
	json_object_set_new(p, "io_path_stat", json_boolean(o->io_path_stat));
	json_object_set_new(p, "multipath_opts",
			    json_pack("{s:s,s:s,s:i}", "policy", policy_str(o->mp_policy), "selector",
				      selector_str(o->mp_selector), "min_io", (int)o->mp_min_io));
	json_object_set_new(p, "dhchap_digests", dhchap_names_json(o->dhchap_digests, DHCHAP_HASH_MAX,
								   dhchap_hash_name));
	json_object_set_new(p, "dhchap_dhgroups",
			    dhchap_names_json(o->dhchap_dhgroups, DHCHAP_DHGROUP_MAX,
					      dhchap_dhgroup_name));
	sio_rpc_config_append(config, "bdev_nvme_set_options", p);
}

/* A keyring reference as the attach's param: its name, never its material. */
static void key_name_json(json_t *p, const char *param, const struct sio_key *key)
{
	if (key != NULL)
		json_object_set_new(p, param, json_string(sio_key_get_name(key)));
}

/* save_config: the options, one attach per path (the first path first), then non-default policies. */
static void nvme_config_json(json_t *config)
{
	struct nvme_group *g;

	opts_config_json(config);
	TAILQ_FOREACH(g, &g_groups, link) {
		struct nvme_ctrlr_entry *ce;
		struct nvme_bdev *nb;

		if (g->deleting)
			continue;
		TAILQ_FOREACH(ce, &g->paths, link) {
			const struct sio_nvme_transport_id *t = &ce->opts.trid;
			json_t *p;

			if (ce->removing)
				continue;
			p = json_object();
			json_object_set_new(p, "name", json_string(g->name));
			trid_json(p, t);
			if (ce->opts.ctrlr_opts.hostnqn[0])
				json_object_set_new(p, "hostnqn",
						    json_string(ce->opts.ctrlr_opts.hostnqn));
			if (t->hostaddr[0])
				json_object_set_new(p, "hostaddr", json_string(t->hostaddr));
			if (t->hostsvcid[0])
				json_object_set_new(p, "hostsvcid", json_string(t->hostsvcid));
			key_name_json(p, "psk", ce->opts.ctrlr_opts.tls_psk);
			key_name_json(p, "dhchap_key", ce->opts.ctrlr_opts.dhchap_key);
			key_name_json(p, "dhchap_ctrlr_key", ce->opts.ctrlr_opts.dhchap_ctrlr_key);
			json_object_set_new(p, "hdgst", json_boolean(ce->opts.ctrlr_opts.header_digest));
			json_object_set_new(p, "ddgst", json_boolean(ce->opts.ctrlr_opts.data_digest));
			json_object_set_new(p, "ctrlr_loss_timeout_sec",
					    json_integer(ce->opts.ctrlr_loss_timeout_sec));
			json_object_set_new(p, "reconnect_delay_sec",
					    json_integer(ce->opts.reconnect_delay_sec));
			json_object_set_new(p, "fast_io_fail_timeout_sec",
					    json_integer(ce->opts.fast_io_fail_timeout_sec));
			if (g->npaths > 1)
				json_object_set_new(p, "multipath", json_string(mode_str(ce->mode)));
			if (ce->opts.allow_unrecognized_csi)
				json_object_set_new(p, "allow_unrecognized_csi", json_true());
			sio_rpc_config_append(config, "bdev_nvme_attach_controller", p);
		}
		TAILQ_FOREACH(nb, &g->bdevs, link) {
			json_t *p;

			if (nb->policy == g_bdev_nvme_opts.mp_policy &&
			    nb->selector == g_bdev_nvme_opts.mp_selector &&
			    nb->rr_min_io == (g_bdev_nvme_opts.mp_min_io ? g_bdev_nvme_opts.mp_min_io : 1))
				continue;
			p = json_pack("{s:s,s:s}", "name", nb->name, "policy", policy_str(nb->policy));
			if (nb->policy == BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE) {
				json_object_set_new(p, "selector", json_string(selector_str(nb->selector)));
				if (nb->selector == BDEV_NVME_MP_SELECTOR_ROUND_ROBIN)
					json_object_set_new(p, "rr_min_io", json_integer(nb->rr_min_io));
			}
			sio_rpc_config_append(config, "bdev_nvme_set_multipath_policy", p);
		}
	}
}

static void nvme_module_fini(void)
{
	/* Controllers still attached at shutdown: their bdevs are already gone
	 * (the bdev layer unregisters every bdev first). */
	struct nvme_group *g, *tmp;

	TAILQ_FOREACH_SAFE(g, &g_groups, link, tmp) {
		struct nvme_ctrlr_entry *ce, *ctmp;

		if (g->deleting)
			continue;
		g->deleting = true;
		if (g->io_device_registered)
			sio_io_device_unregister(&g->io_device, NULL);
		TAILQ_FOREACH_SAFE(ce, &g->paths, link, ctmp) {
			MP_SET(ce->deleting, true);
			sio_poller_unregister(&ce->reconnect_poller);
			sio_nvme_ctrlr_detach(ce->ctrlr, NULL, NULL);
			TAILQ_REMOVE(&g->paths, ce, link);
			ce_free(ce);
		}
		TAILQ_REMOVE(&g_groups, g, link);
		pthread_mutex_destroy(&g->lock);
		free(g);
	}
}

struct sio_bdev_module sio_bdev_module_nvme = {
	.name = "nvme",
	.module_fini = nvme_module_fini,
	.config_json = nvme_config_json,
	.io_ctx_size = sizeof(struct nvme_io_ctx),
};
