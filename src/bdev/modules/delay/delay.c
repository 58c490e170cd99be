/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delay bdev. Each I/O is forwarded to the base itself
 * (sio_bdev_io_forward(): no second bdev_io); when the base completes it,
 * the forward callback keeps it (SIO_BDEV_IO_FORWARD_KEEP) in one of the
 * channel's four FIFOs (read avg, read p99, write avg, write p99), and a
 * poller completes it with the base's status once it is due. Within one FIFO
 * the latency is the same for all, so release times are in order and the
 * poller only looks at heads. A latency change applies to new I/O only, so a
 * FIFO may briefly hold an entry due later than the one behind it: that one
 * waits a little longer, never less (as does one the base finished out of
 * submission order).
 *
 * The latency counts from submission and the p99 draw is made then, but while
 * the base holds a forwarded I/O the front of its driver context is the base
 * module's. So each bdev_io of a delay bdev carries its base's context size
 * and then ours (struct delay_io at ctx_off): nothing below us knows of the
 * bytes past the base's size, and they keep the due time across the base.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "bdev/modules/common/bdev_io_list.h"
#include "bdev/modules/common/module_opts.h"
#include "bdev/modules/delay/delay.h"
#include "spdk_io/log.h"
#include "spdk_io/rpc.h"

struct delay_bdev {
	struct sio_bdev bdev;
	char *name;
	char *base_name;
	struct sio_bdev_desc *base_desc;
	int io_device;
	size_t ctx_off; /* our struct delay_io in each bdev_io's driver context */
	uint64_t latency_us[4]; /* enum sio_bdev_delay_latency; relaxed atomics */
	uint64_t latency_ticks[4]; /* the same in ticks: no conversion per I/O */
	TAILQ_ENTRY(delay_bdev) link;
};

static TAILQ_HEAD(, delay_bdev) g_delay_bdevs = TAILQ_HEAD_INITIALIZER(g_delay_bdevs);
static pthread_mutex_t g_delay_mutex = PTHREAD_MUTEX_INITIALIZER;

#define DB_FROM_IO_DEVICE(p) ((struct delay_bdev *)((char *)(p) - offsetof(struct delay_bdev, io_device)))

/* Ours for the whole life of the I/O: it lies past the base module's context. */
struct delay_io {
	struct sio_bdev_io_wait_entry wait;
	struct sio_io_channel *ch; /* for a retry after -ENOMEM */
	uint64_t due;  /* ticks */
	int status;    /* the base's, or why it never got there */
	int queue;     /* enum sio_bdev_delay_latency, or -1 for no delay */
};

struct delay_channel {
	struct sio_io_channel *base_ch;
	struct sio_poller *poller;
	size_t ctx_off; /* delay_bdev.ctx_off, kept here for the poller */
	/* I/O the base finished, per latency (ours again by then, so its
	 * module_link is free). */
	struct bdev_io_list q[4];
	uint64_t rng;
};

static inline struct delay_io *delay_io_ctx(struct sio_bdev_io *io, size_t ctx_off)
{
	return (struct delay_io *)((uint8_t *)sio_bdev_io_driver_ctx(io) + ctx_off);
}

static inline void delay_forward(struct sio_io_channel *ch, struct delay_channel *dch,
				 struct sio_bdev_io *io);

static int delay_poll(void *ctx)
{
	struct delay_channel *dch = ctx;
	uint64_t now = sio_get_ticks();
	int done = 0;

	for (int i = 0; i < 4; i++) {
		struct bdev_io_list *q = &dch->q[i];
		struct sio_bdev_io *io;

		while ((io = q->head) != NULL) {
			struct delay_io *dio = delay_io_ctx(io, dch->ctx_off);

			if (dio->due > now)
				break;
			bdev_io_list_pop(q);
			sio_bdev_io_complete(io, dio->status);
			done++;
		}
	}
	return done ? SIO_POLLER_BUSY : SIO_POLLER_IDLE;
}

/* The base finished @io: hold it until it is due (flush: not delayed). */
static int delay_forward_done(struct sio_io_channel *ch, struct sio_bdev_io *io, int status)
{
	struct delay_channel *dch = sio_io_channel_get_ctx(ch);
	struct delay_io *dio = delay_io_ctx(io, dch->ctx_off);

	if (dio->queue < 0)
		return status;
	dio->status = status;
	bdev_io_list_push(&dch->q[dio->queue], io);
	return SIO_BDEV_IO_FORWARD_KEEP;
}

/* A reset applies to the whole base and cannot travel: the base's own, undelayed. */
static void delay_reset_done(void *cb_arg, int rc)
{
	sio_bdev_io_complete(cb_arg, rc);
}

static void delay_retry(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct delay_bdev *db = io->bdev->ctxt;
	struct sio_io_channel *ch = delay_io_ctx(io, db->ctx_off)->ch;

	delay_forward(ch, sio_io_channel_get_ctx(ch), io);
}

static void delay_fail_msg(void *arg)
{
	struct sio_bdev_io *io = arg;
	struct delay_bdev *db = io->bdev->ctxt;

	sio_bdev_io_complete(io, delay_io_ctx(io, db->ctx_off)->status);
}

/*
 * Pick the queue (and so the latency) of @io; its due time counts from its
 * submission tick (sio_bdev_get_completion_ticks(): the tick the core gave
 * it when submitted from a completion, as at queue depth; else the clock).
 */
static void delay_assign(struct delay_bdev *db, struct delay_channel *dch, struct delay_io *dio,
			 enum sio_bdev_io_type type)
{
	bool p99;
	int base;

	switch (type) {
	case SIO_BDEV_IO_TYPE_READ:
	case SIO_BDEV_IO_TYPE_COMPARE:
		base = SIO_BDEV_DELAY_AVG_READ;
		break;
	case SIO_BDEV_IO_TYPE_WRITE:
	case SIO_BDEV_IO_TYPE_WRITE_ZEROES:
	case SIO_BDEV_IO_TYPE_UNMAP:
		base = SIO_BDEV_DELAY_AVG_WRITE;
		break;
	default:
		dio->queue = -1;
		return;
	}
	dch->rng ^= dch->rng << 13;
	dch->rng ^= dch->rng >> 7;
	dch->rng ^= dch->rng << 17;
	p99 = dch->rng % 100 == 0;
	dio->queue = base + (p99 ? 1 : 0);
	dio->due = sio_bdev_get_completion_ticks() +
		   __atomic_load_n(&db->latency_ticks[dio->queue], __ATOMIC_RELAXED);
}

/* Hand @io (its queue assigned) to the base: 0, or why the base did not take it. */
static inline int delay_start(struct delay_bdev *db, struct delay_channel *dch,
			      struct sio_bdev_io *io)
{
	if (io->type == SIO_BDEV_IO_TYPE_RESET)
		return sio_bdev_reset(db->base_desc, dch->base_ch, delay_reset_done, io);
	return sio_bdev_io_forward(io, db->base_desc, dch->base_ch, io->offset_blocks,
				   delay_forward_done);
}

/*
 * The base did not take @io (@rc): on -ENOMEM wait for a bdev_io of its
 * channel, else complete @io with @rc by message, undelayed. Out of line:
 * the submission's common case has no use for it.
 */
static __attribute__((noinline, cold)) void
delay_start_failed(struct sio_io_channel *ch, struct delay_channel *dch, struct sio_bdev_io *io,
		   int rc)
{
	struct delay_bdev *db = io->bdev->ctxt;
	struct delay_io *dio = delay_io_ctx(io, dch->ctx_off);

	if (rc == -ENOMEM) {
		/*
		 * No bdev_io free in the base channel (a reset, or an I/O that
		 * could not travel itself, needs one): retry when one is.
		 */
		dio->ch = ch;
		dio->wait.bdev = sio_bdev_desc_get_bdev(db->base_desc);
		dio->wait.cb_fn = delay_retry;
		dio->wait.cb_arg = io;
		rc = sio_bdev_queue_io_wait(dio->wait.bdev, dch->base_ch, &dio->wait);
		if (rc == 0)
			return;
		if (rc == -EAGAIN) {
			delay_forward(ch, dch, io);
			return;
		}
	}
	/* Refused (-ENODEV while the base goes, typically): pass that up, by message. */
	dio->status = rc;
	if (sio_thread_send_msg(sio_bdev_io_get_thread(io), delay_fail_msg, io) != 0)
		sio_bdev_io_complete(io, rc);
}

static inline void delay_forward(struct sio_io_channel *ch, struct delay_channel *dch,
				 struct sio_bdev_io *io)
{
	int rc = delay_start(io->bdev->ctxt, dch, io);

	if (rc != 0)
		delay_start_failed(ch, dch, io, rc);
}

static void delay_submit(struct sio_io_channel *ch, struct sio_bdev_io *io)
{
	struct delay_channel *dch = sio_io_channel_get_ctx(ch);

	delay_assign(io->bdev->ctxt, dch, delay_io_ctx(io, dch->ctx_off), io->type);
	delay_forward(ch, dch, io);
}

static bool delay_io_type_supported(void *ctx, enum sio_bdev_io_type type)
{
	struct delay_bdev *db = ctx;

	return sio_bdev_io_type_supported(sio_bdev_desc_get_bdev(db->base_desc), type);
}

static int delay_channel_create(void *io_device, void *ctx_buf)
{
	struct delay_bdev *db = DB_FROM_IO_DEVICE(io_device);
	struct delay_channel *dch = ctx_buf;
	uint64_t min_us = UINT64_MAX;

	for (int i = 0; i < 4; i++) {
		uint64_t l = __atomic_load_n(&db->latency_us[i], __ATOMIC_RELAXED);

		dch->q[i] = (struct bdev_io_list){0};
		if (l != 0 && l < min_us)
			min_us = l;
	}
	dch->ctx_off = db->ctx_off;
	dch->rng = 0x2545f4914f6cdd1dull ^ (uint64_t)(uintptr_t)dch;
	dch->base_ch = sio_bdev_desc_get_io_channel(db->base_desc);
	if (dch->base_ch == NULL)
		return -errno;
	/*
	 * A timed poller: checking 100 times per shortest latency keeps the
	 * error within 1 % without spinning on a thread that could sleep.
	 */
	dch->poller = sio_poller_register_named("bdev_delay", delay_poll, dch,
						min_us == UINT64_MAX ? 1 : (min_us + 99) / 100);
	if (dch->poller == NULL) {
		sio_io_channel_put(dch->base_ch);
		return -errno;
	}
	return 0;
}

static void delay_channel_destroy(void *io_device, void *ctx_buf)
{
	struct delay_channel *dch = ctx_buf;

	sio_poller_unregister(&dch->poller);
	sio_io_channel_put(dch->base_ch);
}

static struct sio_io_channel *delay_get_io_channel(void *ctx)
{
	struct delay_bdev *db = ctx;

	return sio_io_channel_get(&db->io_device);
}

static void delay_free(struct delay_bdev *db)
{
	free(db->name);
	free(db->base_name);
	free(db);
}

static void delay_io_device_gone(void *io_device)
{
	struct delay_bdev *db = DB_FROM_IO_DEVICE(io_device);
	struct sio_bdev *bdev = &db->bdev;

	sio_bdev_module_release_bdev(sio_bdev_desc_get_bdev(db->base_desc));
	sio_bdev_close(db->base_desc);
	delay_free(db);
	sio_bdev_destruct_done(bdev, 0);
}

static int delay_destruct(void *ctx)
{
	struct delay_bdev *db = ctx;

	pthread_mutex_lock(&g_delay_mutex);
	TAILQ_REMOVE(&g_delay_bdevs, db, link);
	pthread_mutex_unlock(&g_delay_mutex);
	if (sio_io_device_unregister(&db->io_device, delay_io_device_gone) != 0) {
		sio_bdev_module_release_bdev(sio_bdev_desc_get_bdev(db->base_desc));
		sio_bdev_close(db->base_desc);
		delay_free(db);
		return 0;
	}
	return 1;
}

static void delay_write_config(struct sio_bdev *bdev, json_t *config)
{
	struct delay_bdev *db = bdev->ctxt;

	sio_rpc_config_append(
		config, "bdev_delay_create",
		json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "name", db->name, "base_bdev_name",
			  db->base_name, "avg_read_latency", (json_int_t)db->latency_us[0],
			  "p99_read_latency", (json_int_t)db->latency_us[1], "avg_write_latency",
			  (json_int_t)db->latency_us[2], "p99_write_latency",
			  (json_int_t)db->latency_us[3], "uuid", sio_bdev_get_uuid(bdev)));
}

static void delay_dump_info(void *ctx, json_t *driver_specific)
{
	struct delay_bdev *db = ctx;

	json_object_set_new(
		driver_specific, "delay",
		json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "name", db->name, "base_bdev_name",
			  db->base_name, "avg_read_latency", (json_int_t)db->latency_us[0],
			  "p99_read_latency", (json_int_t)db->latency_us[1], "avg_write_latency",
			  (json_int_t)db->latency_us[2], "p99_write_latency",
			  (json_int_t)db->latency_us[3]));
}

static const struct sio_bdev_fn_table delay_fn_table = {
	.destruct = delay_destruct,
	.submit_request = delay_submit,
	.io_type_supported = delay_io_type_supported,
	.get_io_channel = delay_get_io_channel,
	.dump_info_json = delay_dump_info,
	.write_config_json = delay_write_config,
};

static void delay_base_event(enum sio_bdev_event_type type, struct sio_bdev *base, void *ctx)
{
	struct delay_bdev *db = ctx;

	if (type == SIO_BDEV_EVENT_REMOVE)
		sio_bdev_unregister(&db->bdev, NULL, NULL);
}

/*
 * A create that failed after registering its io_device: the device goes by
 * message, and until then its address (inside @db) is still registered, so
 * @db is freed only here; freed at once, a create right after could get the
 * same memory and fail with -EEXIST.
 */
static void delay_io_device_gone_unused(void *io_device)
{
	delay_free(DB_FROM_IO_DEVICE(io_device));
}

_Static_assert(sizeof(struct sio_bdev_delay_opts) == 64,
	       "struct sio_bdev_delay_opts changed: update g_delay_defaults and delay_opts_copy()");

static const struct sio_bdev_delay_opts g_delay_defaults = {
	.opts_size = sizeof(struct sio_bdev_delay_opts),
};

void sio_bdev_delay_opts_init(struct sio_bdev_delay_opts *opts, size_t opts_size)
{
	bdev_module_opts_init(opts, opts_size, &g_delay_defaults, sizeof(g_delay_defaults));
}

/* @user's fields that fit in its opts_size into @o; defaults for the rest. */
static int delay_opts_copy(struct sio_bdev_delay_opts *o, const struct sio_bdev_delay_opts *user)
{
	if (user == NULL ||
	    bdev_module_opts_check("sio_bdev_delay_opts", user->opts_size, sizeof(*o)) != 0)
		return -EINVAL;
	*o = g_delay_defaults;
	BDEV_MODULE_OPTS_COPY(o, user, name);
	BDEV_MODULE_OPTS_COPY(o, user, base_bdev_name);
	BDEV_MODULE_OPTS_COPY(o, user, uuid);
	BDEV_MODULE_OPTS_COPY(o, user, avg_read_latency_us);
	BDEV_MODULE_OPTS_COPY(o, user, p99_read_latency_us);
	BDEV_MODULE_OPTS_COPY(o, user, avg_write_latency_us);
	BDEV_MODULE_OPTS_COPY(o, user, p99_write_latency_us);
	return 0;
}

int sio_bdev_delay_create(const struct sio_bdev_delay_opts *opts, struct sio_bdev **out)
{
	struct sio_bdev_delay_opts o;
	const char *name, *base_name, *uuid;
	uint64_t latency_us[4];
	struct delay_bdev *db;
	struct sio_bdev *base;
	int rc;

	if (delay_opts_copy(&o, opts) != 0)
		return -EINVAL;
	name = o.name;
	base_name = o.base_bdev_name;
	uuid = o.uuid;
	latency_us[SIO_BDEV_DELAY_AVG_READ] = o.avg_read_latency_us;
	latency_us[SIO_BDEV_DELAY_P99_READ] = o.p99_read_latency_us;
	latency_us[SIO_BDEV_DELAY_AVG_WRITE] = o.avg_write_latency_us;
	latency_us[SIO_BDEV_DELAY_P99_WRITE] = o.p99_write_latency_us;
	if (name == NULL || name[0] == '\0' || base_name == NULL)
		return -EINVAL;
	if (latency_us[1] < latency_us[0] || latency_us[3] < latency_us[2]) {
		SIO_ERRLOG("delay bdev %s: p99 latencies must not be below the averages", name);
		return -EINVAL;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	db->name = strdup(name);
	db->base_name = strdup(base_name);
	if (db->name == NULL || db->base_name == NULL) {
		rc = -ENOMEM;
		goto err_free;
	}
	memcpy(db->latency_us, latency_us, sizeof(db->latency_us));
	for (int i = 0; i < 4; i++)
		db->latency_ticks[i] = sio_us_to_ticks(latency_us[i]);
	if (uuid != NULL && sio_bdev_uuid_parse(uuid, db->bdev.uuid) != 0) {
		rc = -EINVAL;
		goto err_free;
	}
	rc = sio_bdev_open(base_name, true, delay_base_event, db, &db->base_desc);
	if (rc != 0)
		goto err_free;
	base = sio_bdev_desc_get_bdev(db->base_desc);
	rc = sio_bdev_module_claim_bdev(base, db->base_desc, &sio_bdev_module_delay);
	if (rc != 0)
		goto err_close;
	db->bdev.name = db->name;
	db->bdev.product_name = "delay";
	db->bdev.blocklen = sio_bdev_get_block_size(base);
	db->bdev.blockcnt = sio_bdev_get_num_blocks(base);
	db->bdev.buf_align = sio_bdev_get_buf_align(base);
	db->bdev.optimal_io_boundary = sio_bdev_get_optimal_io_boundary(base);
	db->bdev.max_transfer_blocks = sio_bdev_get_max_transfer_blocks(base);
	db->bdev.write_cache = sio_bdev_has_write_cache(base);
	/*
	 * The base module's context first (forwarded I/O carry it), then ours,
	 * which stays ours while the base has the I/O. A multiple of 16 (the
	 * core rounds bdev_io sizes to 64 bytes), so delay_io is aligned.
	 */
	db->ctx_off = sio_bdev_get_io_ctx_size(base);
	db->bdev.io_ctx_size = db->ctx_off + sizeof(struct delay_io);
	db->bdev.ctxt = db;
	db->bdev.fn_table = &delay_fn_table;
	db->bdev.module = &sio_bdev_module_delay;
	rc = sio_io_device_register(&db->io_device, delay_channel_create, delay_channel_destroy,
				    sizeof(struct delay_channel), db->name);
	if (rc != 0)
		goto err_release;
	rc = sio_bdev_register(&db->bdev);
	if (rc != 0)
		goto err_unregister;
	pthread_mutex_lock(&g_delay_mutex);
	TAILQ_INSERT_TAIL(&g_delay_bdevs, db, link);
	pthread_mutex_unlock(&g_delay_mutex);
	if (out != NULL)
		*out = &db->bdev;
	return 0;

err_unregister:
	sio_bdev_module_release_bdev(base);
	sio_bdev_close(db->base_desc);
	sio_io_device_unregister(&db->io_device, delay_io_device_gone_unused);
	return rc;
err_release:
	sio_bdev_module_release_bdev(base);
err_close:
	sio_bdev_close(db->base_desc);
err_free:
	delay_free(db);
	return rc;
}

int sio_bdev_delay_delete(const char *name, sio_done_cb cb, void *cb_arg)
{
	return sio_bdev_unregister_by_name(name, &sio_bdev_module_delay, cb, cb_arg);
}

int sio_bdev_delay_update_latency(const char *name, enum sio_bdev_delay_latency which,
				  uint64_t latency_us)
{
	struct delay_bdev *db;
	int rc = 0;

	if (name == NULL || (unsigned)which > SIO_BDEV_DELAY_P99_WRITE)
		return -EINVAL;
	pthread_mutex_lock(&g_delay_mutex);
	TAILQ_FOREACH(db, &g_delay_bdevs, link)
		if (strcmp(db->name, name) == 0)
			break;
	if (db == NULL) {
		rc = -ENODEV;
	} else {
		uint64_t l[4];

		memcpy(l, db->latency_us, sizeof(l));
		l[which] = latency_us;
		if (l[1] < l[0] || l[3] < l[2]) {
			rc = -EINVAL;
		} else {
			__atomic_store_n(&db->latency_us[which], latency_us, __ATOMIC_RELAXED);
			__atomic_store_n(&db->latency_ticks[which], sio_us_to_ticks(latency_us),
					 __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&g_delay_mutex);
	return rc;
}

struct sio_bdev_module sio_bdev_module_delay = {
	.name = "delay",
	/* Each delay bdev asks for more: its base's context, then this (io_ctx_size). */
	.io_ctx_size = sizeof(struct delay_io),
};
