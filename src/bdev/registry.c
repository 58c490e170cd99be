/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev registry: registration and unregistration, unique names and
 * aliases, UUIDs, lookup, iteration, and the read-only properties.
 *
 * Registry operations are rare (create/delete RPCs, open/close), so one mutex
 * guards them all; nothing here is on the I/O path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bdev/bdev_internal.h"
#include "bdev/examine.h"

pthread_mutex_t g_bdev_mutex = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, bdev_internal) g_bdevs = TAILQ_HEAD_INITIALIZER(g_bdevs);

struct sio_bdev_opts g_bdev_opts = {
	.opts_size = sizeof(struct sio_bdev_opts),
	.bdev_io_cache_size = 512,
};

_Static_assert(sizeof(struct sio_bdev_opts) == 16, "update sio_bdev_get/set_opts when adding a field");

void sio_bdev_get_opts(struct sio_bdev_opts *opts, size_t opts_size)
{
	if (opts == NULL || opts_size < sizeof(size_t))
		return;
	memset(opts, 0, opts_size);
	opts->opts_size = opts_size;
#define COPY_FIELD(f)                                                                  \
	if (offsetof(struct sio_bdev_opts, f) + sizeof(opts->f) <= opts_size)          \
		opts->f = g_bdev_opts.f;
	COPY_FIELD(bdev_io_cache_size);
#undef COPY_FIELD
}

int sio_bdev_set_opts(const struct sio_bdev_opts *opts)
{
	struct sio_bdev_opts o = g_bdev_opts;

	if (opts == NULL || opts->opts_size < sizeof(size_t))
		return -EINVAL;
#define SET_FIELD(f)                                                                   \
	if (offsetof(struct sio_bdev_opts, f) + sizeof(opts->f) <= opts->opts_size)    \
		o.f = opts->f;
	SET_FIELD(bdev_io_cache_size);
#undef SET_FIELD
	if (o.bdev_io_cache_size < 16)
		return -EINVAL;
	pthread_mutex_lock(&g_bdev_mutex);
	g_bdev_opts = o;
	pthread_mutex_unlock(&g_bdev_mutex);
	return 0;
}

const char *sio_bdev_io_type_name(enum sio_bdev_io_type type)
{
	static const char *const names[SIO_BDEV_IO_TYPE_COUNT] = {
		[SIO_BDEV_IO_TYPE_READ] = "read",
		[SIO_BDEV_IO_TYPE_WRITE] = "write",
		[SIO_BDEV_IO_TYPE_UNMAP] = "unmap",
		[SIO_BDEV_IO_TYPE_FLUSH] = "flush",
		[SIO_BDEV_IO_TYPE_RESET] = "reset",
		[SIO_BDEV_IO_TYPE_WRITE_ZEROES] = "write_zeroes",
		[SIO_BDEV_IO_TYPE_COMPARE] = "compare",
	};

	if ((unsigned)type >= SIO_BDEV_IO_TYPE_COUNT || names[type] == NULL)
		return "invalid";
	return names[type];
}

struct sio_bdev_module *sio_bdev_get_module(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; sio_bdev_module_table[i] != NULL; i++)
		if (strcmp(sio_bdev_module_table[i]->name, name) == 0)
			return sio_bdev_module_table[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* UUIDs                                                                    */
/* ------------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sio_bdev_uuid_parse(const char *str, uint8_t out[16])
{
	uint8_t tmp[16];
	size_t n = 0;

	if (str == NULL || out == NULL || strlen(str) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (str[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		int hi = hexval(str[i]), lo = hexval(str[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(out, tmp, 16);
	return 0;
}

void sio_bdev_uuid_format(const uint8_t uuid[16], char buf[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t p = 0;

	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[p++] = '-';
		buf[p++] = hex[uuid[i] >> 4];
		buf[p++] = hex[uuid[i] & 0xf];
	}
	buf[p] = '\0';
}

static bool uuid_is_zero(const uint8_t uuid[16])
{
	for (size_t i = 0; i < 16; i++)
		if (uuid[i] != 0)
			return false;
	return true;
}

static void uuid_generate(uint8_t uuid[16])
{
	if (getrandom(uuid, 16, 0) != 16) {
		/* No entropy source: still unique within the process. */
		static uint64_t counter;
		uint64_t v = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) ^ (uint64_t)(uintptr_t)uuid;

		memcpy(uuid, &v, 8);
		memcpy(uuid + 8, &v, 8);
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* version 4 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* ------------------------------------------------------------------------ */
/* Lookup                                                                   */
/* ------------------------------------------------------------------------ */

static bool bdev_has_name(struct bdev_internal *in, const char *name)
{
	struct bdev_alias *a;

	if (strcmp(in->bdev->name, name) == 0)
		return true;
	TAILQ_FOREACH(a, &in->aliases, link)
		if (strcmp(a->name, name) == 0)
			return true;
	return false;
}

struct sio_bdev *bdev_lookup_locked(const char *name)
{
	struct bdev_internal *in;

	TAILQ_FOREACH(in, &g_bdevs, link)
		if (bdev_has_name(in, name))
			return in->bdev;
	return NULL;
}

struct sio_bdev *sio_bdev_get_by_name(const char *name)
{
	struct sio_bdev *bdev;

	if (name == NULL)
		return NULL;
	pthread_mutex_lock(&g_bdev_mutex);
	bdev = bdev_lookup_locked(name);
	pthread_mutex_unlock(&g_bdev_mutex);
	return bdev;
}

struct sio_bdev *sio_bdev_first(void)
{
	struct bdev_internal *in;

	pthread_mutex_lock(&g_bdev_mutex);
	in = TAILQ_FIRST(&g_bdevs);
	pthread_mutex_unlock(&g_bdev_mutex);
	return in ? in->bdev : NULL;
}

struct sio_bdev *sio_bdev_next(struct sio_bdev *prev)
{
	struct bdev_internal *in;

	if (prev == NULL || prev->internal == NULL)
		return NULL;
	pthread_mutex_lock(&g_bdev_mutex);
	in = TAILQ_NEXT(prev->internal, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	return in ? in->bdev : NULL;
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

const char *sio_bdev_get_name(const struct sio_bdev *bdev)
{
	return bdev ? bdev->name : NULL;
}

const char *sio_bdev_get_product_name(const struct sio_bdev *bdev)
{
	return bdev ? bdev->product_name : NULL;
}

const char *sio_bdev_get_module_name(const struct sio_bdev *bdev)
{
	return bdev && bdev->module ? bdev->module->name : NULL;
}

uint32_t sio_bdev_get_block_size(const struct sio_bdev *bdev)
{
	return bdev ? bdev->blocklen : 0;
}

uint64_t sio_bdev_get_num_blocks(const struct sio_bdev *bdev)
{
	return bdev ? __atomic_load_n(&bdev->blockcnt, __ATOMIC_RELAXED) : 0;
}

uint64_t sio_bdev_get_size(const struct sio_bdev *bdev)
{
	return bdev ? sio_bdev_get_num_blocks(bdev) * bdev->blocklen : 0;
}

uint32_t sio_bdev_get_buf_align(const struct sio_bdev *bdev)
{
	return bdev == NULL || bdev->buf_align == 0 ? 1 : bdev->buf_align;
}

uint32_t sio_bdev_get_optimal_io_boundary(const struct sio_bdev *bdev)
{
	return bdev ? bdev->optimal_io_boundary : 0;
}

uint32_t sio_bdev_get_max_transfer_blocks(const struct sio_bdev *bdev)
{
	return bdev ? bdev->max_transfer_blocks : 0;
}

bool sio_bdev_has_write_cache(const struct sio_bdev *bdev)
{
	return bdev ? bdev->write_cache : false;
}

bool sio_bdev_io_type_supported(const struct sio_bdev *bdev, enum sio_bdev_io_type type)
{
	if (bdev == NULL || bdev->internal == NULL || (unsigned)type >= SIO_BDEV_IO_TYPE_COUNT)
		return false;
	return (bdev->internal->supported_mask >> type) & 1u;
}

bool sio_bdev_is_claimed(const struct sio_bdev *bdev)
{
	return sio_bdev_get_claim_module(bdev) != NULL;
}

struct sio_bdev_module *sio_bdev_get_claim_module(const struct sio_bdev *bdev)
{
	struct sio_bdev_module *m;

	if (bdev == NULL || bdev->internal == NULL)
		return NULL;
	pthread_mutex_lock(&g_bdev_mutex);
	m = bdev->internal->claim_module;
	pthread_mutex_unlock(&g_bdev_mutex);
	return m;
}

const char *sio_bdev_get_uuid(const struct sio_bdev *bdev)
{
	return bdev && bdev->internal ? bdev->internal->uuid_str : NULL;
}

void sio_bdev_foreach_alias(const struct sio_bdev *bdev, sio_bdev_alias_fn fn, void *ctx)
{
	struct bdev_alias *a;

	if (bdev == NULL || bdev->internal == NULL || fn == NULL)
		return;
	pthread_mutex_lock(&g_bdev_mutex);
	TAILQ_FOREACH(a, &bdev->internal->aliases, link)
		fn(a->name, ctx);
	pthread_mutex_unlock(&g_bdev_mutex);
}

static bool name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strlen(name) <= SIO_BDEV_NAME_MAX;
}

int sio_bdev_alias_add(struct sio_bdev *bdev, const char *alias)
{
	struct bdev_alias *a;
	size_t len;

	if (bdev == NULL || bdev->internal == NULL || !name_ok(alias))
		return -EINVAL;
	len = strlen(alias);
	a = malloc(sizeof(*a) + len + 1);
	if (a == NULL)
		return -ENOMEM;
	memcpy(a->name, alias, len + 1);
	pthread_mutex_lock(&g_bdev_mutex);
	if (bdev_lookup_locked(alias) != NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(a);
		return -EEXIST;
	}
	TAILQ_INSERT_TAIL(&bdev->internal->aliases, a, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	return 0;
}

int sio_bdev_alias_del(struct sio_bdev *bdev, const char *alias)
{
	struct bdev_alias *a;

	if (bdev == NULL || bdev->internal == NULL || alias == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_bdev_mutex);
	TAILQ_FOREACH(a, &bdev->internal->aliases, link) {
		if (strcmp(a->name, alias) == 0) {
			TAILQ_REMOVE(&bdev->internal->aliases, a, link);
			pthread_mutex_unlock(&g_bdev_mutex);
			free(a);
			return 0;
		}
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	return -ENOENT;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                             */
/* ------------------------------------------------------------------------ */

static int bdev_check(const struct sio_bdev *bdev)
{
	const struct sio_bdev_fn_table *fn = bdev->fn_table;

	if (!name_ok(bdev->name) || bdev->module == NULL || fn == NULL)
		return -EINVAL;
	if (fn->destruct == NULL || fn->submit_request == NULL || fn->io_type_supported == NULL ||
	    fn->get_io_channel == NULL)
		return -EINVAL;
	if (bdev->blocklen == 0 || bdev->blockcnt == 0)
		return -EINVAL;
	if (bdev->buf_align > 1 && (bdev->buf_align & (bdev->buf_align - 1)) != 0)
		return -EINVAL;
	if (bdev->blockcnt > UINT64_MAX / bdev->blocklen)
		return -EINVAL;
	return 0;
}

static bool uuid_taken_locked(const char *uuid_str)
{
	struct bdev_internal *in;

	TAILQ_FOREACH(in, &g_bdevs, link)
		if (strcmp(in->uuid_str, uuid_str) == 0)
			return true;
	return false;
}

int sio_bdev_register(struct sio_bdev *bdev)
{
	struct bdev_internal *in;
	int rc;

	if (bdev == NULL)
		return -EINVAL;
	rc = bdev_check(bdev);
	if (rc != 0) {
		SIO_ERRLOG("bdev %s: invalid description (name, fn_table, block size/count or alignment)",
			   bdev->name ? bdev->name : "(null)");
		return rc;
	}
	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return -ENOMEM;
	in->bdev = bdev;
	TAILQ_INIT(&in->aliases);
	TAILQ_INIT(&in->descs);
	bdev_stat_init(&in->retired_stat);
	for (int t = SIO_BDEV_IO_TYPE_READ; t < SIO_BDEV_IO_TYPE_COUNT; t++)
		if (bdev->fn_table->io_type_supported(bdev->ctxt, (enum sio_bdev_io_type)t))
			in->supported_mask |= 1u << t;
	in->io_size = (sizeof(struct sio_bdev_io) +
		       (bdev->io_ctx_size > bdev->module->io_ctx_size ? bdev->io_ctx_size
								      : bdev->module->io_ctx_size) +
		       63) & ~(size_t)63;
	if (uuid_is_zero(bdev->uuid))
		uuid_generate(bdev->uuid);
	sio_bdev_uuid_format(bdev->uuid, in->uuid_str);

	pthread_mutex_lock(&g_bdev_mutex);
	if (bdev_lookup_locked(bdev->name) != NULL) {
		rc = -EEXIST;
		SIO_ERRLOG("bdev name '%s' already exists", bdev->name);
	} else if (uuid_taken_locked(in->uuid_str)) {
		rc = -EEXIST;
		SIO_ERRLOG("bdev %s: UUID %s already in use", bdev->name, in->uuid_str);
	}
	if (rc != 0) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(in);
		return rc;
	}
	bdev->internal = in;
	rc = sio_io_device_register(bdev, bdev_channel_create, bdev_channel_destroy,
				    sizeof(struct bdev_channel), bdev->name);
	if (rc != 0) {
		bdev->internal = NULL;
		pthread_mutex_unlock(&g_bdev_mutex);
		free(in);
		return rc;
	}
	TAILQ_INSERT_TAIL(&g_bdevs, in, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	SIO_DEBUGLOG(BDEV_LOG, "registered bdev %s (%s, %u x %lu)", bdev->name,
		     bdev->module->name, bdev->blocklen, (unsigned long)bdev->blockcnt);
	bdev_examine_new(bdev);
	return 0;
}

struct bdev_event {
	struct sio_bdev_desc *desc;
	enum sio_bdev_event_type type;
};

static void bdev_desc_event_msg(void *ctx)
{
	struct bdev_event *ev = ctx;
	struct sio_bdev_desc *desc = ev->desc;
	enum sio_bdev_event_type type = ev->type;
	bool closed;

	free(ev);
	pthread_mutex_lock(&g_bdev_mutex);
	desc->pending_events--;
	closed = desc->closed;
	if (closed && desc->pending_events == 0) {
		pthread_mutex_unlock(&g_bdev_mutex);
		free(desc);
		return;
	}
	pthread_mutex_unlock(&g_bdev_mutex);
	if (!closed)
		desc->event_cb(type, desc->bdev, desc->event_ctx);
}

/* Post @type to @desc's thread. Context: g_bdev_mutex held. */
static void bdev_desc_post_event_locked(struct sio_bdev_desc *desc, enum sio_bdev_event_type type)
{
	struct bdev_event *ev = malloc(sizeof(*ev));

	if (ev != NULL) {
		ev->desc = desc;
		ev->type = type;
		desc->pending_events++;
		if (sio_thread_send_msg(desc->thread, bdev_desc_event_msg, ev) == 0)
			return;
		desc->pending_events--;
		free(ev);
	}
	SIO_ERRLOG("bdev %s: cannot deliver a %s event to a descriptor", desc->bdev->name,
		   type == SIO_BDEV_EVENT_REMOVE ? "remove" : "resize");
}

int sio_bdev_unregister(struct sio_bdev *bdev, sio_done_cb cb, void *cb_arg)
{
	struct bdev_internal *in;
	struct sio_bdev_desc *desc;
	struct sio_thread *thread = sio_thread_get_current();
	bool none_open;

	if (bdev == NULL || thread == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_bdev_mutex);
	in = bdev->internal;
	if (in == NULL) {
		pthread_mutex_unlock(&g_bdev_mutex);
		return -ENODEV;
	}
	if (in->state != BDEV_STATE_REGISTERED) {
		pthread_mutex_unlock(&g_bdev_mutex);
		return -EBUSY;
	}
	in->state = BDEV_STATE_REMOVING;
	in->unregister_thread = thread;
	in->unregister_cb = cb;
	in->unregister_arg = cb_arg;
	TAILQ_FOREACH(desc, &in->descs, link) {
		__atomic_store_n(&desc->removed, true, __ATOMIC_RELAXED);
		bdev_desc_post_event_locked(desc, SIO_BDEV_EVENT_REMOVE);
	}
	none_open = TAILQ_EMPTY(&in->descs);
	pthread_mutex_unlock(&g_bdev_mutex);
	SIO_DEBUGLOG(BDEV_LOG, "unregistering bdev %s", bdev->name);
	/* Continue by message so @cb never runs inside this call. */
	if (none_open && sio_thread_send_msg(thread, bdev_unregister_continue, bdev) != 0)
		bdev_unregister_continue(bdev);
	return 0;
}

int sio_bdev_unregister_by_name(const char *name, const struct sio_bdev_module *module,
				sio_done_cb cb, void *cb_arg)
{
	struct sio_bdev *bdev;

	if (name == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_bdev_mutex);
	bdev = bdev_lookup_locked(name);
	pthread_mutex_unlock(&g_bdev_mutex);
	if (bdev == NULL || (module != NULL && bdev->module != module))
		return -ENODEV;
	return sio_bdev_unregister(bdev, cb, cb_arg);
}

static void bdev_finish(struct bdev_internal *in, int rc)
{
	struct bdev_alias *a;
	sio_done_cb cb = in->unregister_cb;
	void *cb_arg = in->unregister_arg;

	while ((a = TAILQ_FIRST(&in->aliases)) != NULL) {
		TAILQ_REMOVE(&in->aliases, a, link);
		free(a);
	}
	bdev_hist_free_retired(in);
	free(in);
	if (cb != NULL)
		cb(cb_arg, rc);
}

/* Bdevs whose destruct returned 1, until sio_bdev_destruct_done(); under g_bdev_mutex. */
static TAILQ_HEAD(, bdev_internal) g_destructing = TAILQ_HEAD_INITIALIZER(g_destructing);

void sio_bdev_destruct_done(struct sio_bdev *bdev, int rc)
{
	struct bdev_internal *in;

	pthread_mutex_lock(&g_bdev_mutex);
	TAILQ_FOREACH(in, &g_destructing, link)
		if (in->bdev == bdev)
			break;
	if (in != NULL)
		TAILQ_REMOVE(&g_destructing, in, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	if (in == NULL) {
		SIO_ERRLOG("sio_bdev_destruct_done() for a bdev that is not being destructed");
		return;
	}
	bdev_finish(in, rc);
}

static void bdev_io_device_gone(void *io_device)
{
	struct sio_bdev *bdev = io_device;
	struct bdev_internal *in = bdev->internal;
	int rc;

	pthread_mutex_lock(&g_bdev_mutex);
	TAILQ_REMOVE(&g_bdevs, in, link);
	/* Parked before destruct runs: the module may call destruct_done from inside it. */
	TAILQ_INSERT_TAIL(&g_destructing, in, link);
	pthread_mutex_unlock(&g_bdev_mutex);
	SIO_DEBUGLOG(BDEV_LOG, "destructing bdev %s", bdev->name);
	rc = bdev->fn_table->destruct(bdev->ctxt);
	if (rc == 1)
		return;
	sio_bdev_destruct_done(bdev, rc < 0 ? rc : 0);
}

void bdev_unregister_continue(void *ctx)
{
	struct sio_bdev *bdev = ctx;
	struct bdev_internal *in = bdev->internal;
	int rc;

	pthread_mutex_lock(&g_bdev_mutex);
	in->state = BDEV_STATE_DESTRUCTING;
	pthread_mutex_unlock(&g_bdev_mutex);
	rc = sio_io_device_unregister(bdev, bdev_io_device_gone);
	if (rc != 0) {
		SIO_ERRLOG("bdev %s: io_device unregister failed: %d", bdev->name, rc);
		bdev_io_device_gone(bdev);
	}
}

int sio_bdev_notify_blockcnt_change(struct sio_bdev *bdev, uint64_t blockcnt)
{
	struct sio_bdev_desc *desc;

	if (bdev == NULL || bdev->internal == NULL || blockcnt == 0)
		return -EINVAL;
	pthread_mutex_lock(&g_bdev_mutex);
	if (blockcnt < bdev->blockcnt && !TAILQ_EMPTY(&bdev->internal->descs)) {
		pthread_mutex_unlock(&g_bdev_mutex);
		return -EBUSY;
	}
	__atomic_store_n(&bdev->blockcnt, blockcnt, __ATOMIC_RELAXED);
	TAILQ_FOREACH(desc, &bdev->internal->descs, link)
		bdev_desc_post_event_locked(desc, SIO_BDEV_EVENT_RESIZE);
	pthread_mutex_unlock(&g_bdev_mutex);
	return 0;
}

size_t sio_bdev_get_io_ctx_size(const struct sio_bdev *bdev)
{
	if (bdev == NULL || bdev->internal == NULL)
		return 0;
	return bdev->internal->io_size - sizeof(struct sio_bdev_io);
}
