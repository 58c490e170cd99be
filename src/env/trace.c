/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tracepoint rings, writer side: the shared-memory file, a ring per OS
 * thread claimed on its first record, the masks, SPDK's -e syntax.
 * Layout and the reader's protocol: trace_internal.h, trace_reader.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define TRACE_HAVE_RDTSC 1
#else
#define TRACE_HAVE_RDTSC 0
#endif

#include "env_internal.h"
#include "trace_internal.h"

#define TRACE_DEFAULT_ENTRIES 32768u
#define TRACE_DEFAULT_RINGS 64u
#define TRACE_MAX_ENTRIES (1u << 24)
#define TRACE_MAX_RINGS 1024u

_Static_assert(sizeof(struct sio_trace_opts) == 32, "sio_trace_opts changed: update trace.c");

uint64_t sio_trace_tpoint_masks[SIO_TRACE_MAX_GROUPS];

/*
 * Process-wide state. Everything but the masks and the generation is used
 * under g_trace.lock (slow paths: set-up, masks, ring claims, thread exit).
 */
static struct {
	pthread_mutex_t lock;
	bool configured;           /* sio_trace_init() ran (or defaults were taken) */
	char name[64];
	char dir[128];
	char path[256];
	uint32_t entries;          /* per ring, power of two */
	uint32_t max_rings;
	void *base;                /* the mapped file, NULL until created */
	size_t size;
	struct trace_file_header *hdr;
	struct sio_trace_tpoint_info descs[TRACE_MAX_DESCS]; /* built-in + registered */
	uint32_t desc_count;
	uint64_t gen;              /* atomic: bumped when the file goes away */
	bool rdtsc;                /* sio_get_ticks() is the TSC: read it inline */
} g_trace = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * The calling thread's ring and the file generation it belongs to.
 * initial-exec: one %fs-relative load each, also in the shared library (the
 * default model there calls __tls_get_addr per access: ~2x the record's cost).
 */
static __thread __attribute__((tls_model("initial-exec"))) struct trace_ring_header *tls_trace_ring;
static __thread __attribute__((tls_model("initial-exec"))) uint64_t tls_trace_gen;
static pthread_key_t g_trace_key;
static pthread_once_t g_trace_key_once = PTHREAD_ONCE_INIT;

static bool trace_valid_name(const char *s)
{
	return s != NULL && *s != '\0' && strchr(s, '/') == NULL && strlen(s) < sizeof(g_trace.name);
}

void sio_trace_opts_init(struct sio_trace_opts *opts, size_t opts_size)
{
	struct sio_trace_opts d = {
		.opts_size = sizeof(d),
		.name = "spdk-io",
		.entries_per_ring = TRACE_DEFAULT_ENTRIES,
		.max_rings = TRACE_DEFAULT_RINGS,
		.shm_dir = "/dev/shm",
	};

	if (opts == NULL || opts_size < sizeof(opts->opts_size))
		return;
	memcpy(opts, &d, opts_size < sizeof(d) ? opts_size : sizeof(d));
	opts->opts_size = opts_size < sizeof(d) ? opts_size : sizeof(d);
}

static uint32_t trace_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static int trace_configure_locked(const struct sio_trace_opts *user)
{
	struct sio_trace_opts o;

	sio_trace_opts_init(&o, sizeof(o));
	if (user != NULL) {
		size_t sz = user->opts_size < sizeof(o) ? user->opts_size : sizeof(o);

		if (user->opts_size < sizeof(user->opts_size))
			return -EINVAL;
		memcpy(&o, user, sz);
	}
	if (!trace_valid_name(o.name) || o.shm_dir == NULL || *o.shm_dir == '\0' ||
	    strlen(o.shm_dir) >= sizeof(g_trace.dir) || o.entries_per_ring == 0 ||
	    o.entries_per_ring > TRACE_MAX_ENTRIES || o.max_rings == 0 ||
	    o.max_rings > TRACE_MAX_RINGS)
		return -EINVAL;
	snprintf(g_trace.name, sizeof(g_trace.name), "%s", o.name);
	snprintf(g_trace.dir, sizeof(g_trace.dir), "%s", o.shm_dir);
	/* SPDK's name, so a user's habits (and scripts) carry over. */
	snprintf(g_trace.path, sizeof(g_trace.path), "%s/%s_trace.pid%d", g_trace.dir, g_trace.name,
		 (int)getpid());
	g_trace.entries = trace_pow2(o.entries_per_ring);
	g_trace.max_rings = o.max_rings;
	if (g_trace.desc_count == 0) {
		memcpy(g_trace.descs, trace_builtin_tpoints,
		       trace_builtin_tpoint_count * sizeof(trace_builtin_tpoints[0]));
		g_trace.desc_count = (uint32_t)trace_builtin_tpoint_count;
	}
	g_trace.configured = true;
	return 0;
}

int sio_trace_init(const struct sio_trace_opts *opts)
{
	int rc;

	pthread_mutex_lock(&g_trace.lock);
	if (g_trace.base != NULL)
		rc = -EBUSY;
	else
		rc = trace_configure_locked(opts);
	pthread_mutex_unlock(&g_trace.lock);
	return rc;
}

static void trace_publish_descs_locked(void)
{
	struct sio_trace_tpoint_info *d;

	if (g_trace.hdr == NULL)
		return;
	d = (struct sio_trace_tpoint_info *)((char *)g_trace.base + g_trace.hdr->desc_offset);
	memcpy(d, g_trace.descs, g_trace.desc_count * sizeof(*d));
	/* Release pairs with the reader's acquire of desc_count: descriptions first. */
	__atomic_store_n(&g_trace.hdr->desc_count, g_trace.desc_count, __ATOMIC_RELEASE);
}

static int trace_create_locked(void)
{
	struct trace_file_header *h;
	size_t desc_off, rings_off, stride, size;
	void *base;
	int fd, rc;

	if (g_trace.base != NULL)
		return 0;
	if (!g_trace.configured) {
		rc = trace_configure_locked(NULL);
		if (rc != 0)
			return rc;
	}
	desc_off = env_align_up(sizeof(*h), ENV_CACHE_LINE);
	rings_off = env_align_up(desc_off + TRACE_MAX_DESCS * sizeof(struct sio_trace_tpoint_info),
				 4096);
	stride = TRACE_RING_HEADER_SIZE + (size_t)g_trace.entries * sizeof(struct trace_slot);
	size = rings_off + stride * g_trace.max_rings;

	fd = open(g_trace.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		SIO_ERRLOG("trace: cannot create %s: %s", g_trace.path, strerror(errno));
		return rc;
	}
	/* Sparse: tmpfs gives pages only to the rings that are written. */
	if (ftruncate(fd, (off_t)size) != 0) {
		rc = -errno;
		goto err_close;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto err_close;
	}
	close(fd);
	h = base;
	h->version = TRACE_VERSION;
	h->header_size = sizeof(*h);
	h->tsc_rate = sio_get_ticks_hz();
	g_trace.rdtsc = sio_ticks_are_tsc();
	h->pid = (int32_t)getpid();
	h->slot_size = sizeof(struct trace_slot);
	h->entries_per_ring = g_trace.entries;
	h->max_rings = g_trace.max_rings;
	h->desc_offset = desc_off;
	h->rings_offset = rings_off;
	h->ring_stride = stride;
	snprintf(h->app_name, sizeof(h->app_name), "%s", g_trace.name);
	g_trace.base = base;
	g_trace.size = size;
	g_trace.hdr = h;
	trace_publish_descs_locked();
	/* Release pairs with the reader's acquire of the magic: a reader that
	 * sees it sees the geometry written above. */
	__atomic_store_n((uint64_t *)h->magic, *(const uint64_t *)TRACE_MAGIC, __ATOMIC_RELEASE);
	SIO_NOTICELOG("trace: recording to %s (sio_trace -f %s, or -s %s -p %d)", g_trace.path,
		      g_trace.path, g_trace.name, (int)getpid());
	return 0;
err_close:
	SIO_ERRLOG("trace: cannot size or map %s: %s", g_trace.path, strerror(-rc));
	close(fd);
	unlink(g_trace.path);
	return rc;
}

static bool trace_file_has_records_locked(void)
{
	uint32_t n = __atomic_load_n(&g_trace.hdr->ring_count, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++) {
		if (__atomic_load_n(&trace_ring_at(g_trace.base, g_trace.hdr, i)->head,
				    __ATOMIC_ACQUIRE) != 0)
			return true;
	}
	return false;
}

void sio_trace_fini(void)
{
	pthread_mutex_lock(&g_trace.lock);
	for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS; g++)
		__atomic_store_n(&sio_trace_tpoint_masks[g], 0, __ATOMIC_RELAXED);
	if (g_trace.base != NULL) {
		bool keep = trace_file_has_records_locked();

		for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS; g++)
			__atomic_store_n(&g_trace.hdr->tpoint_masks[g], 0, __ATOMIC_RELAXED);
		munmap(g_trace.base, g_trace.size);
		if (!keep)
			unlink(g_trace.path);
		g_trace.base = NULL;
		g_trace.hdr = NULL;
		/* Threads holding a ring of the old file claim a new one. */
		__atomic_add_fetch(&g_trace.gen, 1, __ATOMIC_RELEASE);
	}
	g_trace.configured = false;
	pthread_mutex_unlock(&g_trace.lock);
}

const char *sio_trace_shm_path(void)
{
	pthread_mutex_lock(&g_trace.lock);
	if (!g_trace.configured)
		trace_configure_locked(NULL);
	pthread_mutex_unlock(&g_trace.lock);
	return g_trace.path;
}

/* ---- rings ---- */

/* Thread exit: the ring may go to another thread (its records stay until overwritten). */
static void trace_thread_exit(void *arg)
{
	struct trace_ring_header *r = arg;

	pthread_mutex_lock(&g_trace.lock);
	if (g_trace.base != NULL && tls_trace_gen == __atomic_load_n(&g_trace.gen, __ATOMIC_RELAXED))
		__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g_trace.lock);
	tls_trace_ring = NULL;
}

static void trace_key_create(void)
{
	if (pthread_key_create(&g_trace_key, trace_thread_exit) != 0)
		SIO_ERRLOG("trace: no thread key: rings of exited threads are not reused");
}

static __attribute__((noinline, cold)) struct trace_ring_header *trace_ring_claim(void)
{
	struct trace_ring_header *r = NULL;
	struct trace_file_header *h;
	uint32_t n;

	pthread_once(&g_trace_key_once, trace_key_create);
	pthread_mutex_lock(&g_trace.lock);
	h = g_trace.hdr;
	if (h == NULL)
		goto out;
	n = __atomic_load_n(&h->ring_count, __ATOMIC_RELAXED);
	/* A ring an exited thread gave back, else a fresh one. */
	for (uint32_t i = 0; i < n && r == NULL; i++) {
		struct trace_ring_header *c = trace_ring_at(g_trace.base, h, i);

		if (__atomic_load_n(&c->in_use, __ATOMIC_ACQUIRE) == 0)
			r = c;
	}
	if (r == NULL) {
		if (n == h->max_rings)
			goto out;
		r = trace_ring_at(g_trace.base, h, n);
		/* Release pairs with the reader's acquire of ring_count. */
		__atomic_store_n(&h->ring_count, n + 1, __ATOMIC_RELEASE);
	}
	r->tid = (int32_t)syscall(SYS_gettid);
	memset(r->name, 0, sizeof(r->name));
	if (pthread_getname_np(pthread_self(), r->name, sizeof(r->name)) != 0)
		snprintf(r->name, sizeof(r->name), "tid %d", (int)r->tid);
	/* A new owner's lane starts at its own first record. */
	__atomic_store_n(&r->first, __atomic_load_n(&r->head, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
	__atomic_store_n(&r->in_use, 1, __ATOMIC_RELEASE);
	tls_trace_ring = r;
	tls_trace_gen = __atomic_load_n(&g_trace.gen, __ATOMIC_RELAXED);
	pthread_setspecific(g_trace_key, r);
out:
	pthread_mutex_unlock(&g_trace.lock);
	return r;
}

void sio_trace_record(uint16_t id, uint64_t owner, uint64_t object, uint64_t a0, uint64_t a1,
		      uint64_t a2)
{
	struct trace_ring_header *r = tls_trace_ring;
	struct trace_slot *s;
	uint64_t idx, now;

	if (__builtin_expect(r == NULL || tls_trace_gen != __atomic_load_n(&g_trace.gen,
									    __ATOMIC_RELAXED), 0)) {
		r = trace_ring_claim();
		if (r == NULL)
			return;
	}
	/* The clock first. Inline when it is the TSC: the call to
	 * sio_get_ticks() made the compiler save every argument register
	 * around it (about 30 instructions of a record's 70). */
#if TRACE_HAVE_RDTSC
	now = __builtin_expect(g_trace.rdtsc, 1) ? __rdtsc() : sio_get_ticks();
#else
	now = sio_get_ticks();
#endif
	/* Only this thread writes head: a relaxed read of our own value. */
	idx = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	s = &trace_ring_slots(r)[idx & (g_trace.entries - 1)];
	/*
	 * Odd seq first. Every data store below is a release, so a reader
	 * that loads (acquire) any new data word also sees this odd seq when it
	 * re-reads seq afterwards, and drops the copy. On x86 these are plain
	 * stores.
	 */
	__atomic_store_n(&s->seq, 2 * idx + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->tsc, now, __ATOMIC_RELEASE);
	__atomic_store_n(&s->tpoint, id, __ATOMIC_RELEASE);
	__atomic_store_n(&s->owner, owner, __ATOMIC_RELEASE);
	__atomic_store_n(&s->object, object, __ATOMIC_RELEASE);
	__atomic_store_n(&s->args[0], a0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->args[1], a1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->args[2], a2, __ATOMIC_RELEASE);
	/* Release pairs with the reader's acquire of seq: the data is complete. */
	__atomic_store_n(&s->seq, 2 * idx + 2, __ATOMIC_RELEASE);
	/* Release pairs with the reader's acquire of head. */
	__atomic_store_n(&r->head, idx + 1, __ATOMIC_RELEASE);
}

void sio_trace_clear(void)
{
	pthread_mutex_lock(&g_trace.lock);
	if (g_trace.hdr != NULL) {
		uint32_t n = __atomic_load_n(&g_trace.hdr->ring_count, __ATOMIC_RELAXED);

		for (uint32_t i = 0; i < n; i++) {
			struct trace_ring_header *r = trace_ring_at(g_trace.base, g_trace.hdr, i);

			__atomic_store_n(&r->first, __atomic_load_n(&r->head, __ATOMIC_ACQUIRE),
					 __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&g_trace.lock);
}

/* ---- groups and masks ---- */

int sio_trace_group_id(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (size_t i = 0; i < trace_group_count; i++) {
		if (strcmp(trace_groups[i].name, name) == 0)
			return (int)trace_groups[i].id;
	}
	return -ENOENT;
}

const char *sio_trace_group_name(uint32_t id)
{
	for (size_t i = 0; i < trace_group_count; i++) {
		if (trace_groups[i].id == id)
			return trace_groups[i].name;
	}
	return NULL;
}

static void trace_mirror_mask_locked(uint32_t group)
{
	if (g_trace.hdr != NULL)
		__atomic_store_n(&g_trace.hdr->tpoint_masks[group],
				 __atomic_load_n(&sio_trace_tpoint_masks[group], __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
}

int sio_trace_set_tpoint_mask(uint32_t group, uint64_t mask)
{
	int rc = 0;

	if (sio_trace_group_name(group) == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_trace.lock);
	/* The file exists before any thread can see a bit set. */
	if (mask != 0)
		rc = trace_create_locked();
	if (rc == 0) {
		__atomic_fetch_or(&sio_trace_tpoint_masks[group], mask, __ATOMIC_RELEASE);
		trace_mirror_mask_locked(group);
	}
	pthread_mutex_unlock(&g_trace.lock);
	return rc;
}

int sio_trace_clear_tpoint_mask(uint32_t group, uint64_t mask)
{
	if (sio_trace_group_name(group) == NULL)
		return -EINVAL;
	pthread_mutex_lock(&g_trace.lock);
	__atomic_fetch_and(&sio_trace_tpoint_masks[group], ~mask, __ATOMIC_RELAXED);
	trace_mirror_mask_locked(group);
	pthread_mutex_unlock(&g_trace.lock);
	return 0;
}

uint64_t sio_trace_get_tpoint_mask(uint32_t group)
{
	if (group >= SIO_TRACE_MAX_GROUPS)
		return 0;
	return __atomic_load_n(&sio_trace_tpoint_masks[group], __ATOMIC_RELAXED);
}

uint64_t sio_trace_get_group_mask(void)
{
	uint64_t m = 0;

	for (uint32_t g = 0; g < SIO_TRACE_MAX_GROUPS; g++) {
		if (__atomic_load_n(&sio_trace_tpoint_masks[g], __ATOMIC_RELAXED) != 0)
			m |= 1ull << g;
	}
	return m;
}

static int trace_parse_hex(const char *s, size_t len, uint64_t *out)
{
	char buf[24], *end;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isxdigit((unsigned char)buf[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoull(buf, &end, 16);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

/* One pass checks (@apply false), the second applies, so a bad item applies nothing. */
static int trace_enable_groups_pass(const char *spec, bool apply)
{
	const char *p = spec;

	while (*p != '\0') {
		const char *end = strchr(p, ','), *colon;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		uint64_t groups = 0, tmask = UINT64_MAX;
		size_t nlen;
		int rc;

		colon = memchr(p, ':', len);
		nlen = colon ? (size_t)(colon - p) : len;
		if (colon != NULL && trace_parse_hex(colon + 1, len - nlen - 1, &tmask) != 0)
			return -EINVAL;
		if (nlen == 3 && strncmp(p, "all", 3) == 0) {
			for (size_t i = 0; i < trace_group_count; i++)
				groups |= 1ull << trace_groups[i].id;
		} else if (nlen > 0 && isdigit((unsigned char)p[0])) {
			/* A group mask; bits of groups this library lacks are ignored,
			 * as "0xFFFF" must work. */
			if (trace_parse_hex(p, nlen, &groups) != 0)
				return -EINVAL;
		} else {
			char name[32];
			int id;

			if (nlen == 0 || nlen >= sizeof(name))
				return -EINVAL;
			memcpy(name, p, nlen);
			name[nlen] = '\0';
			id = sio_trace_group_id(name);
			if (id < 0)
				return -EINVAL;
			groups = 1ull << id;
		}
		for (uint32_t g = 0; apply && g < SIO_TRACE_MAX_GROUPS; g++) {
			if ((groups >> g) & 1 && sio_trace_group_name(g) != NULL) {
				rc = sio_trace_set_tpoint_mask(g, tmask);
				if (rc != 0)
					return rc;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int sio_trace_enable_groups(const char *spec)
{
	int rc;

	if (spec == NULL || *spec == '\0')
		return -EINVAL;
	rc = trace_enable_groups_pass(spec, false);
	return rc != 0 ? rc : trace_enable_groups_pass(spec, true);
}

int sio_trace_register_tpoint(const struct sio_trace_tpoint_info *info)
{
	int rc = 0;

	if (info == NULL || info->id >= SIO_TRACE_MAX_TPOINTS || info->name[0] == '\0' ||
	    memchr(info->name, '\0', sizeof(info->name)) == NULL || info->kind > SIO_TRACE_END)
		return -EINVAL;
	pthread_mutex_lock(&g_trace.lock);
	if (!g_trace.configured)
		trace_configure_locked(NULL);
	for (uint32_t i = 0; i < g_trace.desc_count; i++) {
		if (g_trace.descs[i].id == info->id) {
			rc = -EEXIST;
			goto out;
		}
	}
	if (g_trace.desc_count == TRACE_MAX_DESCS) {
		rc = -ENOSPC;
		goto out;
	}
	g_trace.descs[g_trace.desc_count++] = *info;
	trace_publish_descs_locked();
out:
	pthread_mutex_unlock(&g_trace.lock);
	return rc;
}
