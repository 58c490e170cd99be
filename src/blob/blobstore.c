/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blobstore: format, load with recovery, unload, and every metadata
 * operation. Each metadata operation runs as a task on the metadata thread
 * holding the store's metadata lock, so one update is on its way to the
 * device at a time and the code reads top to bottom: write the new
 * continuation pages, flush, write the root page into the half of the blob's
 * root pair that does not hold its current version, flush. The root write is
 * the commit; a torn or lost one leaves the previous version in force.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <endian.h>

#include "blob_internal.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"
#include "spdk_io/trace.h"

/* ------------------------------------------------------------------------ */
/* The metadata lock: a FIFO of parked tasks on the metadata thread         */
/* ------------------------------------------------------------------------ */

int bs_lock(struct sio_blob_store *bs)
{
	struct bs_lock_waiter w;
	int rc;

	if (!bs->locked) {
		bs->locked = true;
		return 0;
	}
	rc = sio_future_init_await(&w.f);
	if (rc != 0)
		return rc;
	TAILQ_INSERT_TAIL(&bs->lock_waiters, &w, link);
	/* bs_unlock() hands the lock over by completing the future: locked stays true. */
	return sio_await(&w.f);
}

void bs_unlock(struct sio_blob_store *bs)
{
	struct bs_lock_waiter *w = TAILQ_FIRST(&bs->lock_waiters);

	if (w == NULL) {
		bs->locked = false;
		return;
	}
	TAILQ_REMOVE(&bs->lock_waiters, w, link);
	sio_future_complete(&w->f, 0, NULL);
}

/* ------------------------------------------------------------------------ */
/* Clusters                                                                 */
/* ------------------------------------------------------------------------ */

static bool bit_get(const uint64_t *b, uint64_t i)
{
	return (b[i / 64] >> (i % 64)) & 1u;
}

static void bit_set(uint64_t *b, uint64_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t *b, uint64_t i)
{
	b[i / 64] &= ~(1ull << (i % 64));
}

int bs_alloc_cluster(struct sio_blob_store *bs, uint32_t *out)
{
	uint64_t n = bs->total_clusters - bs->data_start;

	if (bs->free_clusters == 0)
		return -ENOSPC;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t c = bs->data_start + (bs->alloc_hint + k) % n;

		if (!bit_get(bs->cluster_bits, c)) {
			bit_set(bs->cluster_bits, c);
			bs->free_clusters--;
			bs->alloc_hint = c + 1 - bs->data_start;
			*out = (uint32_t)c;
			return 0;
		}
	}
	return -ENOSPC;
}

void bs_release_cluster(struct sio_blob_store *bs, uint32_t c)
{
	if (c >= bs->data_start && c < bs->total_clusters && bit_get(bs->cluster_bits, c)) {
		bit_clear(bs->cluster_bits, c);
		bs->free_clusters++;
	}
}

uint32_t blob_lookup(struct sio_blob *blob, uint64_t ci, struct sio_blob **owner)
{
	for (struct sio_blob *b = blob; b != NULL; b = __atomic_load_n(&b->parent, __ATOMIC_ACQUIRE)) {
		uint32_t c;

		if (ci >= b->num_clusters)
			break;
		c = blob_cluster_get(b, ci);
		if (c != 0) {
			*owner = b;
			return c;
		}
	}
	*owner = NULL;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Device I/O from a task on the metadata thread                            */
/* ------------------------------------------------------------------------ */

static uint32_t ppu(struct sio_blob_store *bs)
{
	return BS_PAGE / bs->io_unit;
}

/* Not inlined: inlined into their many callers, the traced bodies made GCC see
 * maybe-uninitialized paths that are not there. */
static __attribute__((noinline)) int md_read(struct sio_blob_store *bs, void *buf, uint64_t page,
					     uint32_t npages)
{
	int rc;

	SIO_TRACE(SIO_TP_BLOB_MD_START, bs, buf, 0, page, npages);
	rc = SIO_AWAIT_CALL(bs->dev->read, bs->dev, bs->md_ch, buf, page * ppu(bs),
			    npages * ppu(bs));
	SIO_TRACE(SIO_TP_BLOB_MD_DONE, bs, buf, rc, 0, 0);
	return rc;
}

static __attribute__((noinline)) int md_write(struct sio_blob_store *bs, void *buf, uint64_t page)
{
	int rc;

	SIO_TRACE(SIO_TP_BLOB_MD_START, bs, buf, 1, page, 1);
	rc = SIO_AWAIT_CALL(bs->dev->write, bs->dev, bs->md_ch, buf, page * ppu(bs), ppu(bs));
	SIO_TRACE(SIO_TP_BLOB_MD_DONE, bs, buf, rc, 0, 0);
	return rc;
}

static int md_flush(struct sio_blob_store *bs)
{
	return SIO_AWAIT_CALL(bs->dev->flush, bs->dev, bs->md_ch);
}

int blob_fill_cluster(struct sio_blob *blob, uint64_t ci, uint32_t c)
{
	struct sio_blob_store *bs = blob->bs;
	struct sio_blob *owner = NULL;
	uint32_t src = blob->parent ? blob_lookup(blob->parent, ci, &owner) : 0;
	int rc;

	if (src == 0)
		return SIO_AWAIT_CALL(bs->dev->write_zeroes, bs->dev, bs->md_ch,
				      (uint64_t)c * bs->upc, (uint64_t)bs->upc);
	rc = SIO_AWAIT_CALL(bs->dev->read, bs->dev, bs->md_ch, bs->copy_buf,
			    (uint64_t)src * bs->upc, bs->upc);
	if (rc == 0)
		rc = SIO_AWAIT_CALL(bs->dev->write, bs->dev, bs->md_ch, bs->copy_buf,
				    (uint64_t)c * bs->upc, bs->upc);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Serialization of a blob's metadata (little-endian byte stream)           */
/* ------------------------------------------------------------------------ */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (w->err)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 512;
		uint8_t *p;

		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->p, cap);
		if (p == NULL) {
			w->err = -ENOMEM;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

/* Appends the low @n (2, 4, 8) bytes of @v, least significant first. */
static void put_le(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++, v >>= 8)
		b[i] = (uint8_t)v;
	put(w, b, n);
}

static uint32_t ser_cluster(const struct sio_blob *b, uint64_t i)
{
	if (b->persist_c != 0 && i == b->persist_ci)
		return b->persist_c;
	return blob_cluster_get(b, i);
}

static int blob_serialize(struct sio_blob *b, struct wbuf *w)
{
	uint64_t i = 0, runs_at;
	uint32_t nruns = 0;

	put_le(w, b->flags, 4);
	put_le(w, b->num_clusters, 8);
	put_le(w, b->parent_id, 8);
	put_le(w, b->pending_of, 8);
	put_le(w, b->xattr_count, 4);
	for (uint32_t k = 0; k < b->xattr_count; k++) {
		size_t nl = strlen(b->xattrs[k].name);

		put_le(w, nl, 2);
		put_le(w, b->xattrs[k].len, 2);
		put(w, b->xattrs[k].name, nl);
		put(w, b->xattrs[k].value, b->xattrs[k].len);
	}
	/* Cluster map as runs: (first cluster, count), first 0 = unallocated. */
	runs_at = w->len;
	put_le(w, 0, 4);
	while (i < b->num_clusters) {
		uint32_t c = ser_cluster(b, i);
		uint32_t n = 1;

		while (i + n < b->num_clusters && n < UINT32_MAX &&
		       ser_cluster(b, i + n) == (c ? c + n : 0))
			n++;
		put_le(w, c, 4);
		put_le(w, n, 4);
		nruns++;
		i += n;
	}
	if (w->err)
		return w->err;
	nruns = htole32(nruns);
	memcpy(w->p + runs_at, &nruns, 4);
	return 0;
}

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const void *get(struct rbuf *r, size_t n)
{
	const void *p;

	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

/* The next @n (2, 4, 8) bytes as a little-endian number; 0 once the buffer is short. */
static uint64_t get_le(struct rbuf *r, size_t n)
{
	const uint8_t *p = get(r, n);
	uint64_t v = 0;

	for (size_t i = n; p != NULL && i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void blob_free(struct sio_blob *b)
{
	if (b == NULL)
		return;
	for (uint32_t k = 0; k < b->xattr_count; k++) {
		free(b->xattrs[k].name);
		free(b->xattrs[k].value);
	}
	free(b->xattrs);
	free(b->clusters);
	free(b->md_pages);
	free(b);
}

static int xattr_add(struct sio_blob *b, const char *name, size_t nl, const void *v, uint16_t vl);

/* Parse a payload into @b (fields only); -EUCLEAN on anything inconsistent. */
static int blob_deserialize(struct sio_blob_store *bs, struct sio_blob *b, const uint8_t *p,
			    size_t len)
{
	struct rbuf r = {p, len, 0, false};
	uint32_t nx, nruns;
	uint64_t ci = 0;

	b->flags = get_le(&r, 4);
	b->num_clusters = get_le(&r, 8);
	b->parent_id = get_le(&r, 8);
	b->pending_of = get_le(&r, 8);
	nx = get_le(&r, 4);
	if (r.bad || nx > BS_MAX_XATTRS || b->num_clusters > bs->total_clusters * 64)
		return -EUCLEAN;
	for (uint32_t k = 0; k < nx; k++) {
		uint16_t nl = get_le(&r, 2), vl = get_le(&r, 2);
		const char *name = get(&r, nl);
		const void *v = get(&r, vl);

		if (r.bad || nl == 0 || vl > BS_MAX_XATTR_VALUE || memchr(name, 0, nl))
			return -EUCLEAN;
		if (xattr_add(b, name, nl, v, vl) != 0)
			return -ENOMEM;
	}
	b->clusters_cap = b->num_clusters ? b->num_clusters : 1;
	b->clusters = calloc(b->clusters_cap, sizeof(uint32_t));
	if (b->clusters == NULL)
		return -ENOMEM;
	nruns = get_le(&r, 4);
	for (uint32_t k = 0; k < nruns && !r.bad; k++) {
		uint32_t c = get_le(&r, 4), n = get_le(&r, 4);

		if (r.bad || n == 0 || n > b->num_clusters - ci)
			return -EUCLEAN;
		for (uint32_t j = 0; j < n; j++)
			b->clusters[ci + j] = c ? c + j : 0;
		ci += n;
	}
	if (r.bad || ci != b->num_clusters || r.off != len)
		return -EUCLEAN;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Metadata pages                                                           */
/* ------------------------------------------------------------------------ */

static uint64_t root_page(struct sio_blob_store *bs, uint32_t slot, uint32_t half)
{
	return 2 + (uint64_t)slot * 2 + half;
}

static uint64_t cont_first(struct sio_blob_store *bs)
{
	return 2 + (uint64_t)bs->max_blobs * 2;
}

static uint32_t cont_count(struct sio_blob_store *bs)
{
	return bs->num_md_pages - bs->max_blobs * 2;
}

static void hdr_seal(void *page)
{
	struct bs_md_hdr *h = page;

	h->crc = 0;
	h->crc = htole32(sio_crc32c(page, BS_PAGE));
}

/* Whether @page is a valid metadata page of this store (magic, store id, CRC). */
static bool hdr_valid(struct sio_blob_store *bs, const void *page, uint32_t magic)
{
	struct bs_md_hdr h;
	uint8_t tmp[BS_PAGE];

	memcpy(&h, page, sizeof(h));
	if (le32toh(h.magic) != magic || le64toh(h.store_id) != bs->store_id ||
	    le32toh(h.len) > BS_PAYLOAD)
		return false;
	memcpy(tmp, page, BS_PAGE);
	((struct bs_md_hdr *)tmp)->crc = 0;
	return sio_crc32c(tmp, BS_PAGE) == le32toh(h.crc);
}

static void hdr_fill(struct sio_blob_store *bs, void *page, uint32_t magic, uint64_t id,
		     uint64_t seq, uint32_t next, const void *payload, uint32_t len,
		     uint32_t flags, uint32_t total)
{
	struct bs_md_hdr *h = page;

	memset(page, 0, BS_PAGE);
	h->magic = htole32(magic);
	h->store_id = htole64(bs->store_id);
	h->blob_id = htole64(id);
	h->seq = htole64(seq);
	h->next = htole32(next);
	h->len = htole32(len);
	h->flags = htole32(flags);
	h->total_len = htole32(total);
	if (len)
		memcpy((uint8_t *)page + sizeof(*h), payload, len);
	hdr_seal(page);
}

static void cont_release(struct sio_blob_store *bs, const uint32_t *pages, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		bs->cont_used[pages[i] - cont_first(bs)] = 0;
}

/*
 * Write a root record for @slot into the half not holding the newest one;
 * the continuation pages (already written) are flushed first, the root
 * after, so the root never points at pages that are not on the media.
 */
static int root_commit(struct sio_blob_store *bs, uint32_t slot, uint64_t id, uint64_t seq,
		       uint32_t next, const uint8_t *payload, uint32_t total, uint32_t flags,
		       void *page)
{
	uint32_t half = 1u - bs->newest_half[slot];
	uint32_t len = total < BS_PAYLOAD ? total : (uint32_t)BS_PAYLOAD;
	int rc;

	rc = md_flush(bs);
	if (rc != 0)
		return rc;
	hdr_fill(bs, page, BS_MAGIC_ROOT, id, seq, next, payload, len, flags, total);
	rc = md_write(bs, page, root_page(bs, slot, half));
	if (rc == 0)
		rc = md_flush(bs);
	if (rc == 0)
		bs->newest_half[slot] = (uint8_t)half;
	return rc;
}

int blob_persist(struct sio_blob *blob)
{
	struct sio_blob_store *bs = blob->bs;
	struct wbuf w = {0};
	uint32_t *pages = NULL, ncont = 0, got = 0;
	uint64_t seq;
	void *page = NULL;
	int rc;

	rc = blob_serialize(blob, &w);
	if (rc != 0)
		goto out;
	if (w.len > BS_PAYLOAD)
		ncont = (uint32_t)((w.len - BS_PAYLOAD + BS_PAYLOAD - 1) / BS_PAYLOAD);
	if (ncont) {
		pages = calloc(ncont, sizeof(*pages));
		if (pages == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < cont_count(bs) && got < ncont; i++) {
			if (!bs->cont_used[i]) {
				bs->cont_used[i] = 1;
				pages[got++] = (uint32_t)(cont_first(bs) + i);
			}
		}
		if (got < ncont) {
			rc = -ENOSPC;
			goto out;
		}
	}
	page = sio_dma_malloc(BS_PAGE, BS_PAGE);
	if (page == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	seq = ++bs->md_seq;
	for (uint32_t i = 0; i < ncont; i++) {
		size_t off = BS_PAYLOAD * (size_t)(i + 1);
		uint32_t len = (uint32_t)(w.len - off < BS_PAYLOAD ? w.len - off : BS_PAYLOAD);

		hdr_fill(bs, page, BS_MAGIC_CONT, blob->id, seq, i + 1 < ncont ? pages[i + 1] : 0,
			 w.p + off, len, 0, 0);
		rc = md_write(bs, page, pages[i]);
		if (rc != 0)
			goto out;
	}
	rc = root_commit(bs, blob->slot, blob->id, seq, ncont ? pages[0] : 0, w.p,
			 (uint32_t)w.len, 0, page);
	if (rc != 0)
		goto out;
	/* Committed: the previous version's pages are free from now on. */
	cont_release(bs, blob->md_pages, blob->md_page_count);
	free(blob->md_pages);
	blob->md_pages = pages;
	blob->md_page_count = ncont;
	pages = NULL;
	got = 0;
	blob->persisted = true;
	blob->md_dirty = false;
out:
	if (pages) {
		cont_release(bs, pages, got);
		free(pages);
	}
	sio_dma_free(page);
	free(w.p);
	return rc;
}

/* Write a tombstone for @blob: from then on the slot is free. */
static int blob_tombstone(struct sio_blob *blob)
{
	struct sio_blob_store *bs = blob->bs;
	void *page = sio_dma_malloc(BS_PAGE, BS_PAGE);
	int rc;

	if (page == NULL)
		return -ENOMEM;
	rc = root_commit(bs, blob->slot, blob->id, ++bs->md_seq, 0, NULL, 0, ROOT_F_DELETED, page);
	sio_dma_free(page);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Super block                                                              */
/* ------------------------------------------------------------------------ */

static int super_write(struct sio_blob_store *bs, uint32_t slot, uint64_t seq)
{
	struct bs_super_disk *s = sio_dma_zmalloc(BS_PAGE, BS_PAGE);
	int rc;

	if (s == NULL)
		return -ENOMEM;
	s->magic = htole32(BS_MAGIC_SUPER);
	s->version = htole32(BS_VERSION);
	s->io_unit = htole32(bs->io_unit);
	s->seq = htole64(seq);
	s->store_id = htole64(bs->store_id);
	s->cluster_sz = htole32(bs->cluster_sz);
	s->num_md_pages = htole32(bs->num_md_pages);
	s->max_blobs = htole32(bs->max_blobs);
	s->total_clusters = htole64(bs->total_clusters);
	s->super_blob = htole64(bs->super_blob);
	memcpy(s->bstype, bs->bstype, sizeof(s->bstype));
	s->crc = htole32(sio_crc32c(s, BS_PAGE));
	rc = md_flush(bs);
	if (rc == 0)
		rc = md_write(bs, s, slot);
	if (rc == 0)
		rc = md_flush(bs);
	sio_dma_free(s);
	return rc;
}

/* The next super block version, into the slot not holding the current one. */
static int super_update(struct sio_blob_store *bs)
{
	uint64_t seq = bs->super_seq + 1;
	int rc = super_write(bs, (uint32_t)(seq & 1), seq);

	if (rc == 0)
		bs->super_seq = seq;
	return rc;
}

static bool super_valid(const void *page, struct bs_super_disk *out)
{
	uint8_t tmp[BS_PAGE];

	memcpy(tmp, page, BS_PAGE);
	memcpy(out, page, sizeof(*out));
	((struct bs_super_disk *)tmp)->crc = 0;
	return le32toh(out->magic) == BS_MAGIC_SUPER && le32toh(out->version) == BS_VERSION &&
	       sio_crc32c(tmp, BS_PAGE) == le32toh(out->crc);
}

/* ------------------------------------------------------------------------ */
/* Store setup and teardown                                                 */
/* ------------------------------------------------------------------------ */

static int bs_tables_alloc(struct sio_blob_store *bs)
{
	bs->cluster_words = (bs->total_clusters + 63) / 64;
	bs->cluster_bits = calloc(bs->cluster_words, sizeof(uint64_t));
	bs->cont_used = calloc(cont_count(bs), 1);
	bs->newest_half = calloc(bs->max_blobs, 1);
	bs->blobs = calloc(bs->max_blobs, sizeof(*bs->blobs));
	bs->copy_buf = sio_dma_malloc(bs->cluster_sz, BS_PAGE);
	if (!bs->cluster_bits || !bs->cont_used || !bs->newest_half || !bs->blobs || !bs->copy_buf)
		return -ENOMEM;
	for (uint64_t c = 0; c < bs->data_start; c++)
		bit_set(bs->cluster_bits, c);
	bs->free_clusters = bs->total_clusters - bs->data_start;
	return 0;
}

static void bs_free(struct sio_blob_store *bs)
{
	if (bs->blobs) {
		for (uint32_t i = 0; i < bs->max_blobs; i++)
			blob_free(bs->blobs[i]);
	}
	free(bs->blobs);
	free(bs->cluster_bits);
	free(bs->cont_used);
	free(bs->newest_half);
	sio_dma_free(bs->copy_buf);
	free(bs);
}

static int geometry_check(struct sio_blob_store *bs)
{
	uint64_t dev_bytes = bs->dev->blockcnt * bs->dev->blocklen;

	if (bs->cluster_sz < BS_PAGE || (bs->cluster_sz & (bs->cluster_sz - 1)) ||
	    bs->io_unit == 0 || BS_PAGE % bs->io_unit || bs->max_blobs == 0 ||
	    (uint64_t)bs->max_blobs * 2 >= bs->num_md_pages)
		return -EINVAL;
	bs->upc = bs->cluster_sz / bs->io_unit;
	/* Both powers of two (checked above; io_unit divides 4096): so is upc. */
	bs->upc_shift = (uint32_t)__builtin_ctz(bs->upc);
	bs->data_start = ((2 + (uint64_t)bs->num_md_pages) * BS_PAGE + bs->cluster_sz - 1) /
			 bs->cluster_sz;
	if (bs->total_clusters * bs->cluster_sz > dev_bytes || bs->data_start >= bs->total_clusters ||
	    bs->total_clusters > UINT32_MAX)
		return -EINVAL;
	return 0;
}

/* Generic metadata operation, run as a task on the metadata thread. */
struct bs_op;
typedef int (*bs_op_fn)(struct bs_op *op);

struct bs_op {
	struct sio_blob_store *bs;
	bs_op_fn fn;
	sio_done_cb cb;
	void *cb_arg;
	struct sio_blob *hold;     /* op_ref held on it */
	bool freeze;               /* freeze @hold's I/O around the operation */
	bool no_lock;
	sio_blob_id id;
	uint64_t n;
	struct sio_blob **blobp;
	sio_blob_id *idp;
	struct sio_blob_store **bsp;
	struct sio_bs_opts bs_opts;
	char bstype[16];
	uint32_t flags;
	struct blob_xattr *xattrs; /* deep copies of the caller's */
	uint32_t xattr_count;
};

static void op_free(struct bs_op *op)
{
	for (uint32_t k = 0; k < op->xattr_count; k++) {
		free(op->xattrs[k].name);
		free(op->xattrs[k].value);
	}
	free(op->xattrs);
	free(op);
}

static int op_copy_xattrs(struct bs_op *op, const struct sio_blob_xattr *x, uint32_t n)
{
	if (n == 0)
		return 0;
	if (x == NULL || n > BS_MAX_XATTRS)
		return -EINVAL;
	op->xattrs = calloc(n, sizeof(*op->xattrs));
	if (op->xattrs == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		size_t nl = x[k].name ? strlen(x[k].name) : 0;

		if (nl == 0 || nl > 255 || x[k].value_len > BS_MAX_XATTR_VALUE ||
		    (x[k].value_len && x[k].value == NULL))
			return -EINVAL;
		op->xattrs[k].name = strdup(x[k].name);
		op->xattrs[k].value = malloc(x[k].value_len ? x[k].value_len : 1);
		op->xattr_count = k + 1;
		if (!op->xattrs[k].name || !op->xattrs[k].value)
			return -ENOMEM;
		memcpy(op->xattrs[k].value, x[k].value, x[k].value_len);
		op->xattrs[k].len = x[k].value_len;
	}
	return 0;
}

static int bs_op_task(void *arg)
{
	struct bs_op *op = arg;
	struct sio_blob_store *bs = op->bs;
	sio_done_cb cb = op->cb;
	void *cb_arg = op->cb_arg;
	bool frozen = false;
	int rc = 0;

	if (op->hold && op->freeze) {
		rc = bs_freeze_blob(op->hold);
		if (rc != 0)
			goto done;
		frozen = true;
	}
	if (!op->no_lock)
		bs_lock(bs);
	rc = op->fn(op);
	if (!op->no_lock)
		bs_unlock(bs);
done:
	if (frozen)
		bs_unfreeze_blob(op->hold);
	if (op->hold)
		op->hold->op_ref--;
	op_free(op);
	cb(cb_arg, rc);
	return 0;
}

static int op_start(struct bs_op *op)
{
	int rc = sio_task_spawn(NULL, bs_op_task, op, NULL);

	if (rc != 0) {
		if (op->hold)
			op->hold->op_ref--;
		op_free(op);
	}
	return rc;
}

static struct bs_op *op_new(struct sio_blob_store *bs, bs_op_fn fn, sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->bs = bs;
	op->fn = fn;
	op->cb = cb;
	op->cb_arg = cb_arg;
	return op;
}

static bool on_md_thread(struct sio_blob_store *bs)
{
	return bs != NULL && sio_thread_get_current() == bs->md_thread;
}

static struct sio_blob *blob_by_id(struct sio_blob_store *bs, sio_blob_id id)
{
	uint64_t slot = id - BS_ID_HI;

	if (id < BS_ID_HI || slot >= bs->max_blobs)
		return NULL;
	return bs->blobs[slot];
}

/* The blob @id names unless it is missing or still pending (not a blob to users yet). */
static struct sio_blob *blob_live(struct sio_blob_store *bs, sio_blob_id id)
{
	struct sio_blob *b = blob_by_id(bs, id);

	return b == NULL || (b->flags & BLOB_F_PENDING) ? NULL : b;
}

/* op_new() carrying a copy of @n xattrs: the start of the ops that make a blob. */
static int op_new_xattrs(struct sio_blob_store *bs, bs_op_fn fn, sio_done_cb cb, void *cb_arg,
			 const struct sio_blob_xattr *xattrs, uint32_t n, struct bs_op **opp)
{
	struct bs_op *op = op_new(bs, fn, cb, cb_arg);
	int rc;

	if (op == NULL)
		return -ENOMEM;
	rc = op_copy_xattrs(op, xattrs, n);
	if (rc != 0) {
		op_free(op);
		return rc;
	}
	*opp = op;
	return 0;
}

/*
 * The two options structs (sio_bs_opts, sio_blob_opts) start with their
 * opts_size: what a caller built against an older, shorter struct passes.
 */
_Static_assert(offsetof(struct sio_bs_opts, opts_size) == 0, "opts_size first");
_Static_assert(offsetof(struct sio_blob_opts, opts_size) == 0, "opts_size first");

/* An _opts_init(): @defaults (@size bytes, its opts_size set here) up to the caller's @opts_size. */
static void opts_init_from(void *opts, size_t opts_size, void *defaults, size_t size)
{
	if (opts == NULL)
		return;
	memcpy(defaults, &opts_size, sizeof(opts_size));
	memcpy(opts, defaults, opts_size < size ? opts_size : size);
}

/*
 * The caller's options @user (NULL: none) over the defaults in @o (@size
 * bytes): as many bytes as the caller's opts_size says and this struct has.
 * -EINVAL when opts_size does not even cover itself.
 */
static int opts_take(void *o, size_t size, const void *user)
{
	size_t n;

	if (user == NULL)
		return 0;
	memcpy(&n, user, sizeof(n));
	if (n > size)
		n = size;
	if (n < sizeof(size_t))
		return -EINVAL;
	memcpy(o, user, n);
	return 0;
}

/* ---- init ---- */

void sio_bs_opts_init(struct sio_bs_opts *opts, size_t opts_size)
{
	struct sio_bs_opts d = {.cluster_sz = 1u << 20};

	opts_init_from(opts, opts_size, &d, sizeof(d));
}
_Static_assert(sizeof(struct sio_bs_opts) == 40, "update sio_bs_opts_init when adding a field");

static void bs_release_dev(struct sio_blob_store *bs)
{
	if (bs->md_ch)
		bs->dev->destroy_channel(bs->dev, bs->md_ch);
	bs->md_ch = NULL;
	bs->dev->destroy(bs->dev);
}

static int bs_init_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	void *zero = NULL;
	int rc;

	rc = bs_tables_alloc(bs);
	if (rc != 0)
		goto fail;
	zero = sio_dma_zmalloc(BS_PAGE, BS_PAGE);
	if (zero == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Slot 1 first: an older store's super block there must not outrank ours. */
	rc = md_write(bs, zero, 1);
	if (rc == 0)
		rc = super_write(bs, 0, 1);
	if (rc != 0)
		goto fail;
	bs->super_seq = 1;
	rc = bs_io_device_register(bs);
	if (rc != 0)
		goto fail;
	sio_dma_free(zero);
	*op->bsp = bs;
	return 0;
fail:
	sio_dma_free(zero);
	bs_release_dev(bs);
	bs_free(bs);
	return rc;
}

static struct sio_blob_store *bs_new(struct sio_blob_dev *dev)
{
	struct sio_blob_store *bs = calloc(1, sizeof(*bs));

	if (bs == NULL)
		return NULL;
	bs->dev = dev;
	bs->md_thread = sio_thread_get_current();
	bs->io_unit = dev->blocklen;
	TAILQ_INIT(&bs->lock_waiters);
	return bs;
}

/*
 * The first operation of the new store @bs, init or load (@fn): the store's
 * metadata channel and the op, which runs before the store has a lock.
 * Return: the op, not started; NULL with *@rc an errno, @bs freed.
 */
static struct bs_op *bs_first_op(struct sio_blob_store *bs, bs_op_fn fn,
				 struct sio_blob_store **bsp, sio_done_cb cb, void *cb_arg, int *rc)
{
	struct sio_blob_dev *dev = bs->dev;
	struct bs_op *op;

	bs->md_ch = dev->create_channel(dev);
	if (bs->md_ch == NULL) {
		*rc = errno ? -errno : -ENOMEM;
		free(bs);
		return NULL;
	}
	op = op_new(bs, fn, cb, cb_arg);
	if (op == NULL) {
		dev->destroy_channel(dev, bs->md_ch);
		free(bs);
		*rc = -ENOMEM;
		return NULL;
	}
	op->bsp = bsp;
	op->no_lock = true;
	return op;
}

int sio_bs_init(struct sio_blob_dev *dev, const struct sio_bs_opts *uopts,
		struct sio_blob_store **bsp, sio_done_cb cb, void *cb_arg)
{
	struct sio_bs_opts o;
	struct sio_blob_store *bs;
	struct bs_op *op;
	int rc;

	if (dev == NULL || bsp == NULL || cb == NULL)
		return -EINVAL;
	if (sio_thread_get_current() == NULL)
		return -EPERM;
	sio_bs_opts_init(&o, sizeof(o));
	if (opts_take(&o, sizeof(o), uopts) != 0)
		return -EINVAL;
	bs = bs_new(dev);
	if (bs == NULL)
		return -ENOMEM;
	bs->cluster_sz = o.cluster_sz;
	if (dev->blocklen == 0 || o.cluster_sz == 0) {
		free(bs);
		return -EINVAL;
	}
	bs->total_clusters = dev->blockcnt * dev->blocklen / o.cluster_sz;
	bs->num_md_pages = o.num_md_pages;
	if (bs->num_md_pages == 0) {
		uint64_t n = bs->total_clusters;

		bs->num_md_pages = (uint32_t)(n < 64 ? 64 : n > 4096 ? 4096 : n);
	}
	bs->max_blobs = o.max_blobs ? o.max_blobs : bs->num_md_pages / 4;
	memcpy(bs->bstype, o.bstype, sizeof(bs->bstype));
	if (getrandom(&bs->store_id, sizeof(bs->store_id), 0) != sizeof(bs->store_id))
		bs->store_id = sio_get_ticks() ^ (uint64_t)(uintptr_t)bs;
	rc = geometry_check(bs);
	if (rc != 0) {
		free(bs);
		return rc;
	}
	op = bs_first_op(bs, bs_init_fn, bsp, cb, cb_arg, &rc);
	return op != NULL ? op_start(op) : rc;
}

/* ---- load ---- */

/* Collect the payload of a root record and its chain; NULL if any page is bad. */
static uint8_t *chain_collect(struct sio_blob_store *bs, const uint8_t *md, const uint8_t *root,
			      uint64_t id, uint64_t seq, uint32_t *total, uint32_t **pagesp,
			      uint32_t *npages)
{
	struct bs_md_hdr h;
	uint32_t tot, off, next, n = 0;
	uint8_t *p;
	uint32_t *pages = NULL;

	memcpy(&h, root, sizeof(h));
	tot = le32toh(h.total_len);
	if (tot > (uint64_t)cont_count(bs) * BS_PAYLOAD + BS_PAYLOAD)
		return NULL;
	p = malloc(tot ? tot : 1);
	if (p == NULL)
		return NULL;
	off = le32toh(h.len);
	if (off > tot)
		goto bad;
	memcpy(p, root + sizeof(h), off);
	next = le32toh(h.next);
	while (off < tot) {
		const uint8_t *pg;
		uint32_t *np;

		if (next < cont_first(bs) || next >= 2 + (uint64_t)bs->num_md_pages || n >= cont_count(bs))
			goto bad;
		pg = md + (uint64_t)next * BS_PAGE;
		memcpy(&h, pg, sizeof(h));
		if (!hdr_valid(bs, pg, BS_MAGIC_CONT) || le64toh(h.blob_id) != id ||
		    le64toh(h.seq) != seq || le32toh(h.len) > tot - off || le32toh(h.len) == 0)
			goto bad;
		memcpy(p + off, pg + sizeof(h), le32toh(h.len));
		off += le32toh(h.len);
		np = realloc(pages, (n + 1) * sizeof(*pages));
		if (np == NULL)
			goto bad;
		pages = np;
		pages[n++] = next;
		next = le32toh(h.next);
	}
	*total = tot;
	*pagesp = pages;
	*npages = n;
	return p;
bad:
	free(pages);
	free(p);
	return NULL;
}

/* Build the blob of @slot from the newest valid record (falling back to the older half). */
static int load_slot(struct sio_blob_store *bs, const uint8_t *md, uint32_t slot)
{
	const uint8_t *half[2];
	uint64_t seq[2] = {0, 0};
	uint32_t flags[2] = {0, 0};
	bool ok[2];
	uint64_t id = BS_ID_HI + slot;

	for (int h = 0; h < 2; h++) {
		struct bs_md_hdr hd;

		half[h] = md + root_page(bs, slot, (uint32_t)h) * BS_PAGE;
		memcpy(&hd, half[h], sizeof(hd));
		ok[h] = hdr_valid(bs, half[h], BS_MAGIC_ROOT) && le64toh(hd.blob_id) == id;
		if (ok[h]) {
			seq[h] = le64toh(hd.seq);
			flags[h] = le32toh(hd.flags);
			if (seq[h] > bs->md_seq)
				bs->md_seq = seq[h];
		}
	}
	for (int tries = 0; tries < 2; tries++) {
		int h;
		uint8_t *payload;
		uint32_t total = 0, *pages = NULL, npages = 0;
		struct sio_blob *b;
		int rc;

		if (!ok[0] && !ok[1])
			return 0;
		h = ok[0] && (!ok[1] || seq[0] > seq[1]) ? 0 : 1;
		if (tries == 0)
			bs->newest_half[slot] = (uint8_t)h;
		if (flags[h] & ROOT_F_DELETED)
			return 0;
		payload = chain_collect(bs, md, half[h], id, seq[h], &total, &pages, &npages);
		if (payload == NULL) {
			/* The newest version's chain is unreadable: the older one rules. */
			SIO_WARNLOG("blob 0x%" PRIx64 ": version %" PRIu64 " damaged, using the previous",
				    id, seq[h]);
			ok[h] = false;
			continue;
		}
		b = calloc(1, sizeof(*b));
		if (b == NULL) {
			free(payload);
			free(pages);
			return -ENOMEM;
		}
		b->bs = bs;
		b->id = id;
		b->slot = slot;
		b->persisted = true;
		b->md_pages = pages;
		b->md_page_count = npages;
		rc = blob_deserialize(bs, b, payload, total);
		free(payload);
		if (rc != 0) {
			blob_free(b);
			if (rc == -ENOMEM)
				return rc;
			ok[h] = false;
			continue;
		}
		/*
		 * The half that holds the version in use must not be overwritten
		 * next: if the newer half was damaged, it is the one to reuse.
		 */
		bs->newest_half[slot] = (uint8_t)h;
		bs->blobs[slot] = b;
		return 0;
	}
	return 0;
}

static int bs_load_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	uint8_t *buf = NULL, *md = NULL;
	struct bs_super_disk s[2], *best = NULL;
	bool v[2];
	uint64_t md_bytes, done;
	int rc;

	buf = sio_dma_malloc(2 * BS_PAGE, BS_PAGE);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = md_read(bs, buf, 0, 2);
	if (rc != 0)
		goto fail;
	v[0] = super_valid(buf, &s[0]);
	v[1] = super_valid(buf + BS_PAGE, &s[1]);
	if (v[0] && (!v[1] || le64toh(s[0].seq) > le64toh(s[1].seq)))
		best = &s[0];
	else if (v[1])
		best = &s[1];
	if (best == NULL) {
		rc = -EILSEQ;
		goto fail;
	}
	bs->super_seq = le64toh(best->seq);
	bs->store_id = le64toh(best->store_id);
	bs->cluster_sz = le32toh(best->cluster_sz);
	bs->num_md_pages = le32toh(best->num_md_pages);
	bs->max_blobs = le32toh(best->max_blobs);
	bs->total_clusters = le64toh(best->total_clusters);
	bs->super_blob = le64toh(best->super_blob);
	memcpy(bs->bstype, best->bstype, sizeof(bs->bstype));
	if (le32toh(best->io_unit) != bs->io_unit || geometry_check(bs) != 0) {
		SIO_ERRLOG("blobstore: super block geometry does not fit the device");
		rc = -EUCLEAN;
		goto fail;
	}
	if (op->bstype[0] && strncmp(op->bstype, bs->bstype, sizeof(bs->bstype)) != 0) {
		rc = -EXDEV;
		goto fail;
	}
	rc = bs_tables_alloc(bs);
	if (rc != 0)
		goto fail;
	md_bytes = (2 + (uint64_t)bs->num_md_pages) * BS_PAGE;
	md = sio_dma_malloc(md_bytes, BS_PAGE);
	if (md == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (done = 0; done < 2 + (uint64_t)bs->num_md_pages; done += 256) {
		uint64_t n = 2 + bs->num_md_pages - done;

		rc = md_read(bs, md + done * BS_PAGE, done, (uint32_t)(n > 256 ? 256 : n));
		if (rc != 0)
			goto fail;
	}
	for (uint32_t i = 0; i < cont_count(bs); i++) {
		const uint8_t *pg = md + (cont_first(bs) + i) * BS_PAGE;
		struct bs_md_hdr h;

		memcpy(&h, pg, sizeof(h));
		if (hdr_valid(bs, pg, BS_MAGIC_CONT) && le64toh(h.seq) > bs->md_seq)
			bs->md_seq = le64toh(h.seq);
	}
	for (uint32_t slot = 0; slot < bs->max_blobs; slot++) {
		rc = load_slot(bs, md, slot);
		if (rc != 0)
			goto fail;
	}
	/*
	 * Snapshots still pending: complete if the origin switched over, else
	 * dropped. Snapshots being deleted into their clone: dropped if the
	 * clone committed the merge (it no longer points at them; it owns the
	 * clusters now), else kept as they were (the delete did not happen).
	 */
	for (uint32_t slot = 0; slot < bs->max_blobs; slot++) {
		struct sio_blob *b = bs->blobs[slot], *o;
		bool points;

		if (b == NULL || !(b->flags & BLOB_F_PENDING))
			continue;
		o = blob_by_id(bs, b->pending_of);
		/* Either way: kept while the other blob points at it, dropped once not. */
		points = o != NULL && o != b && o->parent_id == b->id;
		if (points) {
			b->flags &= ~BLOB_F_PENDING;
			b->pending_of = 0;
			b->md_dirty = true; /* persisted below */
		} else {
			b->op_ref = UINT32_MAX; /* marks it for the tombstone below */
		}
	}
	/* Parents, continuation pages, cluster ownership. */
	for (uint32_t slot = 0; slot < bs->max_blobs; slot++) {
		struct sio_blob *b = bs->blobs[slot];

		if (b == NULL || b->op_ref == UINT32_MAX)
			continue;
		if (b->parent_id) {
			b->parent = blob_by_id(bs, b->parent_id);
			if (b->parent == NULL || b->parent->op_ref == UINT32_MAX) {
				SIO_ERRLOG("blob 0x%" PRIx64 ": parent 0x%" PRIx64 " missing",
					   b->id, b->parent_id);
				rc = -EUCLEAN;
				goto fail;
			}
		}
		for (uint32_t k = 0; k < b->md_page_count; k++) {
			uint32_t i = b->md_pages[k] - (uint32_t)cont_first(bs);

			if (bs->cont_used[i]) {
				rc = -EUCLEAN;
				goto fail;
			}
			bs->cont_used[i] = 1;
		}
		for (uint64_t ci = 0; ci < b->num_clusters; ci++) {
			uint32_t c = b->clusters[ci];

			if (c == 0)
				continue;
			if (c < bs->data_start || c >= bs->total_clusters ||
			    bit_get(bs->cluster_bits, c)) {
				SIO_ERRLOG("blob 0x%" PRIx64 ": cluster %u out of range or shared",
					   b->id, c);
				rc = -EUCLEAN;
				goto fail;
			}
			bit_set(bs->cluster_bits, c);
			bs->free_clusters--;
		}
	}
	/*
	 * A parent chain must end: a loop (only damaged metadata makes one)
	 * would make every lookup through it spin for ever.
	 */
	for (uint32_t slot = 0; slot < bs->max_blobs; slot++) {
		struct sio_blob *b = bs->blobs[slot];
		uint32_t depth = 0;

		if (b == NULL || b->op_ref == UINT32_MAX)
			continue;
		for (b = b->parent; b != NULL && depth <= bs->max_blobs; b = b->parent)
			depth++;
		if (b != NULL) {
			SIO_ERRLOG("blob 0x%" PRIx64 ": its parents form a loop",
				   bs->blobs[slot]->id);
			rc = -EUCLEAN;
			goto fail;
		}
	}
	for (uint32_t slot = 0; slot < bs->max_blobs; slot++) {
		struct sio_blob *b = bs->blobs[slot];

		if (b == NULL)
			continue;
		if (b->op_ref == UINT32_MAX) {
			SIO_NOTICELOG("blob 0x%" PRIx64 ": unfinished %s dropped", b->id,
				      (b->flags & BLOB_F_PENDING_DEL) ? "snapshot delete" :
				      "snapshot");
			/* Its pages were never marked used: only the tombstone is written. */
			b->md_page_count = 0;
			rc = blob_tombstone(b);
			blob_free(b);
			bs->blobs[slot] = NULL;
			if (rc != 0)
				goto fail;
		} else if (b->md_dirty) {
			rc = blob_persist(b);
			if (rc != 0)
				goto fail;
		}
	}
	if (bs->super_blob && blob_by_id(bs, bs->super_blob) == NULL)
		bs->super_blob = 0;
	rc = bs_io_device_register(bs);
	if (rc != 0)
		goto fail;
	sio_dma_free(md);
	sio_dma_free(buf);
	*op->bsp = bs;
	return 0;
fail:
	sio_dma_free(md);
	sio_dma_free(buf);
	bs_release_dev(bs);
	bs_free(bs);
	return rc;
}

int sio_bs_load(struct sio_blob_dev *dev, const char *bstype, struct sio_blob_store **bsp,
		sio_done_cb cb, void *cb_arg)
{
	struct sio_blob_store *bs;
	struct bs_op *op;
	int rc;

	if (dev == NULL || bsp == NULL || cb == NULL || dev->blocklen == 0 ||
	    BS_PAGE % dev->blocklen || (bstype && strlen(bstype) > 16))
		return -EINVAL;
	if (sio_thread_get_current() == NULL)
		return -EPERM;
	bs = bs_new(dev);
	if (bs == NULL)
		return -ENOMEM;
	op = bs_first_op(bs, bs_load_fn, bsp, cb, cb_arg, &rc);
	if (op == NULL)
		return rc;
	if (bstype)
		memcpy(op->bstype, bstype, strlen(bstype)); /* <= 16 bytes, zero-padded */
	return op_start(op);
}

/* ---- unload ---- */

static void bs_unregistered(void *io_device)
{
	struct sio_blob_store *bs = io_device;
	sio_done_cb cb = bs->unload_cb;
	void *cb_arg = bs->unload_cb_arg;
	int rc = bs->unload_rc;

	bs_release_dev(bs);
	bs_free(bs);
	cb(cb_arg, rc);
}

static int bs_unload_task(void *arg)
{
	struct sio_blob_store *bs = arg;

	bs_lock(bs);
	if (bs->destroying)
		bs->unload_rc = SIO_AWAIT_CALL(bs->dev->write_zeroes, bs->dev, bs->md_ch, 0,
					       (uint64_t)2 * ppu(bs));
	if (bs->unload_rc == 0)
		bs->unload_rc = md_flush(bs);
	bs_unlock(bs);
	if (sio_io_device_unregister(bs, bs_unregistered) != 0)
		bs_unregistered(bs);
	return 0;
}

bool sio_bs_probe(const void *buf, size_t len, const char *bstype)
{
	struct bs_super_disk s;

	if (buf == NULL || len < 2 * BS_PAGE)
		return false;
	for (int i = 0; i < 2; i++) {
		if (super_valid((const uint8_t *)buf + i * BS_PAGE, &s) &&
		    (bstype == NULL || bstype[0] == 0 ||
		     strncmp(bstype, s.bstype, sizeof(s.bstype)) == 0))
			return true;
	}
	return false;
}

int sio_bs_destroy(struct sio_blob_store *bs, sio_done_cb cb, void *cb_arg)
{
	int rc;

	if (bs == NULL)
		return -EINVAL;
	bs->destroying = true;
	rc = sio_bs_unload(bs, cb, cb_arg);
	if (rc != 0)
		bs->destroying = false;
	return rc;
}

int sio_bs_destroy_await(struct sio_blob_store *bs)
{
	return SIO_AWAIT_CALL(sio_bs_destroy, bs);
}

int sio_bs_unload(struct sio_blob_store *bs, sio_done_cb cb, void *cb_arg)
{
	if (bs == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	if (bs->unload_cb)
		return -EBUSY;
	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		if (bs->blobs[i] && (bs->blobs[i]->open_ref || bs->blobs[i]->op_ref))
			return -EBUSY;
	}
	bs->unload_cb = cb;
	bs->unload_cb_arg = cb_arg;
	return sio_task_spawn(NULL, bs_unload_task, bs, NULL);
}

/* ---- store-level updates ---- */

static int bs_grow_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	uint64_t n = bs->dev->blockcnt * bs->dev->blocklen / bs->cluster_sz;
	uint64_t old = bs->total_clusters, words;
	uint64_t *bits;
	int rc;

	if (n <= old)
		return 0;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	words = (n + 63) / 64;
	bits = calloc(words, sizeof(uint64_t));
	if (bits == NULL)
		return -ENOMEM;
	memcpy(bits, bs->cluster_bits, bs->cluster_words * sizeof(uint64_t));
	bs->total_clusters = n;
	rc = super_update(bs);
	if (rc != 0) {
		bs->total_clusters = old;
		free(bits);
		return rc;
	}
	free(bs->cluster_bits);
	bs->cluster_bits = bits;
	bs->cluster_words = words;
	bs->free_clusters += n - old;
	return 0;
}

int sio_bs_grow(struct sio_blob_store *bs, sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op;

	if (bs == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	op = op_new(bs, bs_grow_fn, cb, cb_arg);
	return op ? op_start(op) : -ENOMEM;
}

static int bs_set_super_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	uint64_t old = bs->super_blob;
	int rc;

	if (op->id && blob_by_id(bs, op->id) == NULL)
		return -ENOENT;
	bs->super_blob = op->id;
	rc = super_update(bs);
	if (rc != 0)
		bs->super_blob = old;
	return rc;
}

int sio_bs_set_super(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op;

	if (bs == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	if (id && blob_by_id(bs, id) == NULL)
		return -ENOENT;
	op = op_new(bs, bs_set_super_fn, cb, cb_arg);
	if (op == NULL)
		return -ENOMEM;
	op->id = id;
	return op_start(op);
}

sio_blob_id sio_bs_get_super(struct sio_blob_store *bs)
{
	return bs ? bs->super_blob : 0;
}

uint64_t sio_bs_get_cluster_size(struct sio_blob_store *bs)
{
	return bs ? bs->cluster_sz : 0;
}

uint32_t sio_bs_get_io_unit_size(struct sio_blob_store *bs)
{
	return bs ? bs->io_unit : 0;
}

uint64_t sio_bs_total_data_clusters(struct sio_blob_store *bs)
{
	return bs ? bs->total_clusters - bs->data_start : 0;
}

uint64_t sio_bs_free_cluster_count(struct sio_blob_store *bs)
{
	return bs ? bs->free_clusters : 0;
}

struct sio_blob_dev *sio_bs_get_dev(struct sio_blob_store *bs)
{
	return bs ? bs->dev : NULL;
}

int sio_bs_iter(struct sio_blob_store *bs, int (*fn)(void *arg, sio_blob_id id), void *arg)
{
	if (bs == NULL || fn == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		if (bs->blobs[i] && !(bs->blobs[i]->flags & BLOB_F_PENDING)) {
			int rc = fn(arg, bs->blobs[i]->id);

			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Blobs                                                                    */
/* ------------------------------------------------------------------------ */

void sio_blob_opts_init(struct sio_blob_opts *opts, size_t opts_size)
{
	struct sio_blob_opts d = {0};

	opts_init_from(opts, opts_size, &d, sizeof(d));
}
_Static_assert(sizeof(struct sio_blob_opts) == 40, "update sio_blob_opts_init when adding a field");

static int xattr_add(struct sio_blob *b, const char *name, size_t nl, const void *v, uint16_t vl)
{
	struct blob_xattr *x;

	for (uint32_t k = 0; k < b->xattr_count; k++) {
		x = &b->xattrs[k];
		if (strlen(x->name) == nl && memcmp(x->name, name, nl) == 0) {
			void *nv = malloc(vl ? vl : 1);

			if (nv == NULL)
				return -ENOMEM;
			memcpy(nv, v, vl);
			free(x->value);
			x->value = nv;
			x->len = vl;
			return 0;
		}
	}
	if (b->xattr_count >= BS_MAX_XATTRS)
		return -ENOSPC;
	x = realloc(b->xattrs, (b->xattr_count + 1) * sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	b->xattrs = x;
	x = &b->xattrs[b->xattr_count];
	x->name = strndup(name, nl);
	x->value = malloc(vl ? vl : 1);
	if (x->name == NULL || x->value == NULL) {
		free(x->name);
		free(x->value);
		return -ENOMEM;
	}
	memcpy(x->value, v, vl);
	x->len = vl;
	b->xattr_count++;
	return 0;
}

/* A free slot, or -ENOSPC. */
static int slot_alloc(struct sio_blob_store *bs, uint32_t *slot)
{
	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		if (bs->blobs[i] == NULL) {
			*slot = i;
			return 0;
		}
	}
	return -ENOSPC;
}

static struct sio_blob *blob_new(struct sio_blob_store *bs, uint32_t slot, uint64_t nclusters)
{
	struct sio_blob *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->bs = bs;
	b->slot = slot;
	b->id = BS_ID_HI + slot;
	b->num_clusters = nclusters;
	b->clusters_cap = nclusters ? nclusters : 1;
	b->clusters = calloc(b->clusters_cap, sizeof(uint32_t));
	if (b->clusters == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

static void blob_release_clusters(struct sio_blob *b, uint64_t from)
{
	for (uint64_t ci = from; ci < b->num_clusters; ci++) {
		if (b->clusters[ci]) {
			bs_release_cluster(b->bs, b->clusters[ci]);
			b->clusters[ci] = 0;
		}
	}
}

static int blob_alloc_thick(struct sio_blob *b, uint64_t from)
{
	for (uint64_t ci = from; ci < b->num_clusters; ci++) {
		uint32_t c;
		int rc;

		if (b->clusters[ci])
			continue;
		rc = bs_alloc_cluster(b->bs, &c);
		if (rc != 0)
			return rc;
		b->clusters[ci] = c;
	}
	return 0;
}

static int blob_create_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	struct sio_blob *b;
	uint32_t slot;
	int rc;

	if (op->n > bs->total_clusters * 64)
		return -EINVAL;
	if (!(op->flags & BLOB_F_THIN) && op->n > bs->free_clusters)
		return -ENOSPC;
	rc = slot_alloc(bs, &slot);
	if (rc != 0)
		return rc;
	b = blob_new(bs, slot, op->n);
	if (b == NULL)
		return -ENOMEM;
	b->flags = op->flags;
	b->xattrs = op->xattrs;
	b->xattr_count = op->xattr_count;
	op->xattrs = NULL;
	op->xattr_count = 0;
	if (op->id) { /* a clone: parent given */
		b->parent = blob_by_id(bs, op->id);
		if (b->parent != NULL && (b->parent->flags & BLOB_F_PENDING))
			b->parent = NULL;
		if (b->parent == NULL || !(b->parent->flags & BLOB_F_READ_ONLY)) {
			rc = b->parent == NULL ? -ENOENT : -EINVAL;
			goto fail;
		}
		b->parent_id = op->id;
		b->num_clusters = b->parent->num_clusters;
		free(b->clusters);
		b->clusters_cap = b->num_clusters ? b->num_clusters : 1;
		b->clusters = calloc(b->clusters_cap, sizeof(uint32_t));
		if (b->clusters == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	if (!(b->flags & BLOB_F_THIN)) {
		rc = blob_alloc_thick(b, 0);
		if (rc != 0)
			goto fail;
	}
	rc = blob_persist(b);
	if (rc != 0)
		goto fail;
	bs->blobs[slot] = b;
	*op->idp = b->id;
	return 0;
fail:
	blob_release_clusters(b, 0);
	blob_free(b);
	return rc;
}

int sio_blob_create(struct sio_blob_store *bs, const struct sio_blob_opts *uopts,
		    sio_blob_id *idp, sio_done_cb cb, void *cb_arg)
{
	struct sio_blob_opts o;
	struct bs_op *op;
	int rc;

	if (bs == NULL || idp == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	sio_blob_opts_init(&o, sizeof(o));
	if (opts_take(&o, sizeof(o), uopts) != 0)
		return -EINVAL;
	if (o.num_clusters > UINT32_MAX)
		return -EINVAL;
	rc = op_new_xattrs(bs, blob_create_fn, cb, cb_arg, o.xattrs, o.xattr_count, &op);
	if (rc != 0)
		return rc;
	op->n = o.num_clusters;
	op->flags = o.thin_provision ? BLOB_F_THIN : 0;
	op->idp = idp;
	return op_start(op);
}

int sio_blob_clone(struct sio_blob_store *bs, sio_blob_id snap_id,
		   const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
		   sio_blob_id *clonep, sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op;
	int rc;

	if (bs == NULL || clonep == NULL || cb == NULL || snap_id == 0)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	rc = op_new_xattrs(bs, blob_create_fn, cb, cb_arg, xattrs, xattr_count, &op);
	if (rc != 0)
		return rc;
	op->id = snap_id;
	op->flags = BLOB_F_THIN;
	op->idp = clonep;
	return op_start(op);
}

static int blob_open_fn(struct bs_op *op)
{
	struct sio_blob *b = blob_live(op->bs, op->id);

	if (b == NULL)
		return -ENOENT;
	b->open_ref++;
	*op->blobp = b;
	return 0;
}

int sio_blob_open(struct sio_blob_store *bs, sio_blob_id id, struct sio_blob **blobp,
		  sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op;

	if (bs == NULL || blobp == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	op = op_new(bs, blob_open_fn, cb, cb_arg);
	if (op == NULL)
		return -ENOMEM;
	op->id = id;
	op->blobp = blobp;
	return op_start(op);
}

static int blob_close_fn(struct bs_op *op)
{
	struct sio_blob *b = op->hold;
	int rc = 0;

	if (b->open_ref == 0)
		return -EINVAL;
	if (b->open_ref == 1 && b->md_dirty)
		rc = blob_persist(b);
	b->open_ref--;
	return rc;
}

static int blob_op_held(struct sio_blob *blob, bs_op_fn fn, bool freeze, uint64_t n,
			sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op;

	if (blob == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(blob->bs))
		return -EPERM;
	op = op_new(blob->bs, fn, cb, cb_arg);
	if (op == NULL)
		return -ENOMEM;
	op->hold = blob;
	op->freeze = freeze;
	op->n = n;
	blob->op_ref++;
	return op_start(op);
}

int sio_blob_close(struct sio_blob *blob, sio_done_cb cb, void *cb_arg)
{
	if (blob != NULL && blob->open_ref == 0)
		return -EINVAL;
	return blob_op_held(blob, blob_close_fn, false, 0, cb, cb_arg);
}

static int blob_sync_fn(struct bs_op *op)
{
	return op->hold->md_dirty ? blob_persist(op->hold) : 0;
}

int sio_blob_sync_md(struct sio_blob *blob, sio_done_cb cb, void *cb_arg)
{
	return blob_op_held(blob, blob_sync_fn, false, 0, cb, cb_arg);
}

static int blob_resize_fn(struct bs_op *op)
{
	struct sio_blob *b = op->hold;
	uint64_t old = b->num_clusters, n = op->n;
	uint32_t *saved = NULL;
	int rc;

	if (b->flags & BLOB_F_READ_ONLY)
		return -EPERM;
	if (n > b->bs->total_clusters * 64)
		return -EINVAL;
	if (n > old && !(b->flags & BLOB_F_THIN) && n - old > b->bs->free_clusters)
		return -ENOSPC;
	if (n > b->clusters_cap) {
		/* I/O is frozen: the array may be replaced. */
		uint32_t *c = realloc(b->clusters, n * sizeof(uint32_t));

		if (c == NULL)
			return -ENOMEM;
		memset(c + b->clusters_cap, 0, (n - b->clusters_cap) * sizeof(uint32_t));
		b->clusters = c;
		b->clusters_cap = n;
	}
	if (n < old) {
		saved = malloc((old - n) * sizeof(uint32_t));
		if (saved == NULL)
			return -ENOMEM;
		memcpy(saved, b->clusters + n, (old - n) * sizeof(uint32_t));
		memset(b->clusters + n, 0, (old - n) * sizeof(uint32_t));
	}
	b->num_clusters = n;
	rc = (n > old && !(b->flags & BLOB_F_THIN)) ? blob_alloc_thick(b, old) : 0;
	if (rc == 0)
		rc = blob_persist(b);
	if (rc != 0) {
		if (n > old)
			blob_release_clusters(b, old);
		else
			memcpy(b->clusters + n, saved, (old - n) * sizeof(uint32_t));
		b->num_clusters = old;
		free(saved);
		return rc;
	}
	/* Persisted: the clusters past the new end are free now. */
	for (uint64_t k = 0; saved && k < old - n; k++) {
		if (saved[k])
			bs_release_cluster(b->bs, saved[k]);
	}
	free(saved);
	return 0;
}

int sio_blob_resize(struct sio_blob *blob, uint64_t num_clusters, sio_done_cb cb, void *cb_arg)
{
	if (num_clusters > UINT32_MAX)
		return -EINVAL;
	return blob_op_held(blob, blob_resize_fn, true, num_clusters, cb, cb_arg);
}

uint32_t sio_bs_blob_clone_count(struct sio_blob_store *bs, sio_blob_id id)
{
	uint32_t n = 0;

	if (bs == NULL)
		return 0;
	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		if (bs->blobs[i] && bs->blobs[i]->parent_id == id && id != 0)
			n++;
	}
	return n;
}

/* Free @b's slot, pages and remaining clusters after its tombstone is on disk. */
static void blob_forget(struct sio_blob *b)
{
	struct sio_blob_store *bs = b->bs;

	bs->blobs[b->slot] = NULL;
	cont_release(bs, b->md_pages, b->md_page_count);
	blob_release_clusters(b, 0);
	if (bs->super_blob == b->id) {
		bs->super_blob = 0;
		super_update(bs); /* best effort: a stale super blob id is ignored at load */
	}
	blob_free(b);
}

/* The only blob whose parent is @s, or NULL. */
static struct sio_blob *blob_only_clone(struct sio_blob *s)
{
	struct sio_blob_store *bs = s->bs;

	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		if (bs->blobs[i] && bs->blobs[i]->parent == s)
			return bs->blobs[i];
	}
	return NULL;
}

/* Whether @s is on @b's parent chain (@b itself excluded). */
static bool blob_descends_from(struct sio_blob *b, struct sio_blob *s)
{
	for (b = b->parent; b != NULL; b = b->parent) {
		if (b == s)
			return true;
	}
	return false;
}

/*
 * Freeze the I/O of every blob whose reads walk through @s (they hold
 * pointers into @s while a lookup runs on an I/O thread, and @s is about to
 * be freed), marking them in @mark and holding an op reference on each so
 * that none is deleted meanwhile. On failure none stays frozen.
 */
static void thaw_marked(struct sio_blob_store *bs, uint8_t *mark)
{
	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		if (mark[i]) {
			bs_unfreeze_blob(bs->blobs[i]);
			bs->blobs[i]->op_ref--;
			mark[i] = 0;
		}
	}
}

static int freeze_descendants(struct sio_blob *s, uint8_t *mark)
{
	struct sio_blob_store *bs = s->bs;

	for (uint32_t i = 0; i < bs->max_blobs; i++) {
		struct sio_blob *b = bs->blobs[i];
		int rc;

		if (b == NULL || mark[i] || !blob_descends_from(b, s))
			continue;
		b->op_ref++;
		rc = bs_freeze_blob(b);
		if (rc != 0) {
			b->op_ref--;
			thaw_marked(bs, mark);
			return rc;
		}
		mark[i] = 1;
	}
	return 0;
}

/*
 * Delete snapshot @s into its only clone @c, in three commits: (1) @s marked
 * pending delete, naming @c; (2) @c owning the clusters of @s it did not have
 * yet, its parent the parent of @s (the data @c reads is unchanged); (3) the
 * tombstone of @s. A load that finds a pending-delete @s drops it when @c no
 * longer points at it (after 2: @c owns the clusters) and clears the mark
 * otherwise (before 2: nothing happened). Called with the descendants of @s
 * frozen and the lock held.
 */
static int blob_merge_into_clone(struct sio_blob *s, struct sio_blob *c)
{
	uint64_t n = s->num_clusters < c->num_clusters ? s->num_clusters : c->num_clusters;
	uint8_t *taken;
	int rc;

	taken = calloc(n ? n : 1, 1);
	if (taken == NULL)
		return -ENOMEM;
	s->flags |= BLOB_F_PENDING_DEL;
	s->pending_of = c->id;
	rc = blob_persist(s);
	if (rc != 0)
		goto undo_s;
	for (uint64_t ci = 0; ci < n; ci++) {
		if (c->clusters[ci] == 0 && s->clusters[ci] != 0) {
			blob_cluster_set(c, ci, s->clusters[ci]);
			taken[ci] = 1;
		}
	}
	__atomic_store_n(&c->parent, s->parent, __ATOMIC_RELEASE);
	c->parent_id = s->parent_id;
	rc = blob_persist(c);
	if (rc != 0) {
		for (uint64_t ci = 0; ci < n; ci++) {
			if (taken[ci])
				blob_cluster_set(c, ci, 0);
		}
		__atomic_store_n(&c->parent, s, __ATOMIC_RELEASE);
		c->parent_id = s->id;
		goto undo_s;
	}
	/* @c owns them now: @s must not release them. */
	for (uint64_t ci = 0; ci < n; ci++) {
		if (taken[ci])
			s->clusters[ci] = 0;
	}
	free(taken);
	rc = blob_tombstone(s);
	if (rc != 0) {
		/*
		 * The merge is committed; @s stays in memory, pending and
		 * invisible, holding only the clusters @c did not take, until
		 * the next load drops it.
		 */
		SIO_ERRLOG("blob 0x%" PRIx64 ": tombstone failed (%d), dropped at the next load",
			   s->id, rc);
		return 0;
	}
	blob_forget(s);
	return 0;
undo_s:
	free(taken);
	/*
	 * Best effort: a load restores @s anyway while @c on disk points at it,
	 * and an @s still marked on disk would be dropped if @c's failed commit
	 * did reach the media, as it must then be.
	 */
	s->flags &= ~BLOB_F_PENDING_DEL;
	s->pending_of = 0;
	blob_persist(s);
	return rc;
}

static int blob_delete_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	struct sio_blob *b, *c;
	uint8_t *mark = calloc(bs->max_blobs, 1);
	int rc;

	if (mark == NULL)
		return -ENOMEM;
	for (int tries = 0; ; tries++) {
		bool again = false;
		uint32_t clones;

		b = blob_live(bs, op->id);
		if (b == NULL) {
			rc = -ENOENT;
			break;
		}
		if (b->open_ref || b->op_ref) {
			rc = -EBUSY;
			break;
		}
		clones = sio_bs_blob_clone_count(bs, b->id);
		if (clones > 1) {
			SIO_ERRLOG("blob 0x%" PRIx64 ": a snapshot with %u clones cannot be deleted "
				   "(only one with a single clone, which takes its clusters)",
				   b->id, clones);
			rc = -EBUSY;
			break;
		}
		/* Outside the lock: draining may wait for a cluster allocation, which locks. */
		if (clones == 1) {
			rc = freeze_descendants(b, mark);
			if (rc != 0)
				break;
		}
		bs_lock(bs);
		/* The freeze awaited: things may have changed meanwhile. */
		clones = sio_bs_blob_clone_count(bs, op->id);
		if (blob_by_id(bs, op->id) != b) {
			rc = -ENOENT;
		} else if (b->open_ref || b->op_ref || (b->flags & BLOB_F_PENDING) || clones > 1) {
			rc = -EBUSY;
		} else if (clones == 0) {
			rc = blob_tombstone(b);
			if (rc == 0)
				blob_forget(b);
		} else {
			c = blob_only_clone(b);
			for (uint32_t i = 0; i < bs->max_blobs; i++) {
				struct sio_blob *d = bs->blobs[i];

				if (d != NULL && !mark[i] && blob_descends_from(d, b))
					again = true; /* a new descendant: freeze it too, then retry */
			}
			rc = again ? -EBUSY : blob_merge_into_clone(b, c);
		}
		bs_unlock(bs);
		thaw_marked(bs, mark);
		if (!again || tries >= 8)
			break;
	}
	free(mark);
	return rc;
}

int sio_blob_delete(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb, void *cb_arg)
{
	struct bs_op *op;

	if (bs == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	op = op_new(bs, blob_delete_fn, cb, cb_arg);
	if (op == NULL)
		return -ENOMEM;
	op->id = id;
	op->no_lock = true; /* it freezes I/O first, then locks */
	return op_start(op);
}

/*
 * Snapshot, in three commits: (1) the snapshot S, marked pending, owning the
 * origin's clusters; (2) the origin, now empty and thin with parent S; (3) S
 * without the pending mark. A crash after (1) leaves two owners of the same
 * clusters on disk: load drops a pending S whose origin does not point at it
 * (and completes one whose origin does).
 */
static int blob_snapshot_fn(struct bs_op *op)
{
	struct sio_blob_store *bs = op->bs;
	struct sio_blob *o = op->hold, *s;
	uint32_t slot, *empty;
	uint32_t oflags = o->flags;
	struct sio_blob *oparent = o->parent;
	sio_blob_id oparent_id = o->parent_id;
	uint32_t *oclusters = o->clusters;
	uint64_t ocap = o->clusters_cap;
	int rc;

	if (o->flags & BLOB_F_READ_ONLY)
		return -EPERM;
	rc = slot_alloc(bs, &slot);
	if (rc != 0)
		return rc;
	s = blob_new(bs, slot, 0);
	empty = calloc(o->num_clusters ? o->num_clusters : 1, sizeof(uint32_t));
	if (s == NULL || empty == NULL) {
		blob_free(s);
		free(empty);
		return -ENOMEM;
	}
	/* S takes the origin's cluster array (I/O on the origin is frozen). */
	free(s->clusters);
	s->clusters = o->clusters;
	s->clusters_cap = o->clusters_cap;
	s->num_clusters = o->num_clusters;
	s->flags = BLOB_F_READ_ONLY | BLOB_F_SNAPSHOT | BLOB_F_PENDING_SNAP |
		   (o->flags & BLOB_F_THIN);
	s->parent = o->parent;
	s->parent_id = o->parent_id;
	s->pending_of = o->id;
	for (uint32_t k = 0; k < o->xattr_count && rc == 0; k++)
		rc = xattr_add(s, o->xattrs[k].name, strlen(o->xattrs[k].name), o->xattrs[k].value,
			       o->xattrs[k].len);
	for (uint32_t k = 0; k < op->xattr_count && rc == 0; k++)
		rc = xattr_add(s, op->xattrs[k].name, strlen(op->xattrs[k].name),
			       op->xattrs[k].value, op->xattrs[k].len);
	if (rc == 0)
		rc = blob_persist(s);
	if (rc != 0) {
		s->clusters = NULL;
		blob_free(s);
		free(empty);
		return rc;
	}
	bs->blobs[slot] = s;
	o->clusters = empty;
	o->clusters_cap = o->num_clusters ? o->num_clusters : 1;
	__atomic_or_fetch(&o->flags, BLOB_F_THIN, __ATOMIC_RELEASE);
	o->parent = s;
	o->parent_id = s->id;
	rc = blob_persist(o);
	if (rc != 0) {
		/* Undo in memory; on disk the pending S is dropped at the next load. */
		o->clusters = oclusters;
		o->clusters_cap = ocap;
		__atomic_store_n(&o->flags, oflags, __ATOMIC_RELEASE);
		o->parent = oparent;
		o->parent_id = oparent_id;
		free(empty);
		s->clusters = NULL;
		s->num_clusters = 0;
		if (blob_tombstone(s) == 0) {
			cont_release(bs, s->md_pages, s->md_page_count);
			bs->blobs[slot] = NULL;
			blob_free(s);
		} else {
			/* Keep the slot and pages taken; load drops the pending S. */
			s->flags |= BLOB_F_PENDING_SNAP;
		}
		return rc;
	}
	s->flags &= ~BLOB_F_PENDING_SNAP;
	s->pending_of = 0;
	/* Failure here is harmless: load completes a pending S its origin points at. */
	blob_persist(s);
	*op->idp = s->id;
	return 0;
}

int sio_blob_snapshot(struct sio_blob_store *bs, sio_blob_id id,
		      const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
		      sio_blob_id *snapp, sio_done_cb cb, void *cb_arg)
{
	struct sio_blob *b;
	struct bs_op *op;
	int rc;

	if (bs == NULL || snapp == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	b = blob_live(bs, id);
	if (b == NULL)
		return -ENOENT;
	rc = op_new_xattrs(bs, blob_snapshot_fn, cb, cb_arg, xattrs, xattr_count, &op);
	if (rc != 0)
		return rc;
	op->hold = b;
	op->freeze = true;
	op->idp = snapp;
	b->op_ref++;
	return op_start(op);
}

/*
 * Inflate (@op->n == 1) or decouple (0): copy clusters into the blob, then
 * switch its parent. New clusters are published one by one as they are
 * filled, so I/O keeps running: a reader sees either the parent's cluster or
 * the blob's copy of it, with the same content.
 */
static int blob_inflate_fn(struct bs_op *op)
{
	struct sio_blob *b = op->hold;
	bool inflate = op->n == 1;
	struct sio_blob *p = b->parent;
	uint64_t added = 0;
	uint32_t *added_list = NULL;
	int rc = 0;

	if (p == NULL && !inflate)
		return -EINVAL;
	if (p == NULL && !(b->flags & BLOB_F_THIN))
		return 0;
	added_list = calloc(b->num_clusters ? b->num_clusters : 1, sizeof(uint32_t));
	if (added_list == NULL)
		return -ENOMEM;
	for (uint64_t ci = 0; ci < b->num_clusters; ci++) {
		uint32_t c;

		if (blob_cluster_get(b, ci))
			continue;
		/* Decouple copies only what the parent itself owns. */
		if (!inflate && (ci >= p->num_clusters || blob_cluster_get(p, ci) == 0))
			continue;
		rc = bs_alloc_cluster(b->bs, &c);
		if (rc != 0)
			goto fail;
		rc = blob_fill_cluster(b, ci, c);
		if (rc != 0) {
			bs_release_cluster(b->bs, c);
			goto fail;
		}
		added_list[added++] = (uint32_t)ci;
		blob_cluster_set(b, ci, c);
	}
	if (inflate) {
		__atomic_store_n(&b->flags, b->flags & ~BLOB_F_THIN, __ATOMIC_RELEASE);
		__atomic_store_n(&b->parent, NULL, __ATOMIC_RELEASE);
		b->parent_id = 0;
	} else {
		__atomic_store_n(&b->parent, p->parent, __ATOMIC_RELEASE);
		b->parent_id = p->parent_id;
	}
	rc = blob_persist(b);
	if (rc != 0) {
		__atomic_store_n(&b->flags, op->flags, __ATOMIC_RELEASE);
		__atomic_store_n(&b->parent, p, __ATOMIC_RELEASE);
		b->parent_id = p ? p->id : 0;
		goto fail;
	}
	free(added_list);
	return 0;
fail:
	/* Copies of parent data: taking them back keeps reads identical. */
	for (uint64_t k = 0; k < added; k++) {
		uint32_t c = b->clusters[added_list[k]];

		blob_cluster_set(b, added_list[k], 0);
		bs_release_cluster(b->bs, c);
	}
	free(added_list);
	return rc;
}

static int blob_inflate_start(struct sio_blob_store *bs, sio_blob_id id, bool inflate,
			      sio_done_cb cb, void *cb_arg)
{
	struct sio_blob *b;
	struct bs_op *op;

	if (bs == NULL || cb == NULL)
		return -EINVAL;
	if (!on_md_thread(bs))
		return -EPERM;
	b = blob_live(bs, id);
	if (b == NULL)
		return -ENOENT;
	op = op_new(bs, blob_inflate_fn, cb, cb_arg);
	if (op == NULL)
		return -ENOMEM;
	op->hold = b;
	op->n = inflate;
	op->flags = b->flags;
	b->op_ref++;
	return op_start(op);
}

int sio_blob_inflate(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb, void *cb_arg)
{
	return blob_inflate_start(bs, id, true, cb, cb_arg);
}

int sio_blob_decouple_parent(struct sio_blob_store *bs, sio_blob_id id, sio_done_cb cb,
			     void *cb_arg)
{
	return blob_inflate_start(bs, id, false, cb, cb_arg);
}

/* ---- xattrs and flags (in memory) ---- */

int sio_blob_set_xattr(struct sio_blob *blob, const char *name, const void *value,
		       uint16_t value_len)
{
	size_t nl;
	int rc;

	if (blob == NULL || name == NULL || (value == NULL && value_len))
		return -EINVAL;
	nl = strlen(name);
	if (nl == 0 || nl > 255 || value_len > BS_MAX_XATTR_VALUE)
		return -EINVAL;
	if (!on_md_thread(blob->bs) || (blob->flags & BLOB_F_READ_ONLY))
		return -EPERM;
	rc = xattr_add(blob, name, nl, value, value_len);
	if (rc == 0)
		blob->md_dirty = true;
	return rc;
}

int sio_blob_get_xattr(struct sio_blob *blob, const char *name, const void **value, size_t *len)
{
	if (blob == NULL || name == NULL || value == NULL || len == NULL)
		return -EINVAL;
	for (uint32_t k = 0; k < blob->xattr_count; k++) {
		if (strcmp(blob->xattrs[k].name, name) == 0) {
			*value = blob->xattrs[k].value;
			*len = blob->xattrs[k].len;
			return 0;
		}
	}
	return -ENOENT;
}

int sio_blob_remove_xattr(struct sio_blob *blob, const char *name)
{
	if (blob == NULL || name == NULL)
		return -EINVAL;
	if (!on_md_thread(blob->bs) || (blob->flags & BLOB_F_READ_ONLY))
		return -EPERM;
	for (uint32_t k = 0; k < blob->xattr_count; k++) {
		if (strcmp(blob->xattrs[k].name, name) == 0) {
			free(blob->xattrs[k].name);
			free(blob->xattrs[k].value);
			blob->xattrs[k] = blob->xattrs[--blob->xattr_count];
			blob->md_dirty = true;
			return 0;
		}
	}
	return -ENOENT;
}

int sio_blob_xattr_names(struct sio_blob *blob, const char **names, size_t max)
{
	if (blob == NULL || (names == NULL && max))
		return -EINVAL;
	for (uint32_t k = 0; k < blob->xattr_count && k < max; k++)
		names[k] = blob->xattrs[k].name;
	return (int)blob->xattr_count;
}

int sio_blob_set_read_only(struct sio_blob *blob)
{
	if (blob == NULL)
		return -EINVAL;
	if (!on_md_thread(blob->bs))
		return -EPERM;
	if (!(blob->flags & BLOB_F_READ_ONLY)) {
		__atomic_or_fetch(&blob->flags, BLOB_F_READ_ONLY, __ATOMIC_RELEASE);
		blob->md_dirty = true;
	}
	return 0;
}

sio_blob_id sio_blob_get_id(const struct sio_blob *blob)
{
	return blob ? blob->id : 0;
}

uint64_t sio_blob_get_num_clusters(const struct sio_blob *blob)
{
	return blob ? blob->num_clusters : 0;
}

uint64_t sio_blob_get_num_io_units(const struct sio_blob *blob)
{
	return blob ? blob->num_clusters * blob->bs->upc : 0;
}

uint64_t sio_blob_get_num_allocated_clusters(const struct sio_blob *blob)
{
	uint64_t n = 0;

	for (uint64_t ci = 0; blob && ci < blob->num_clusters; ci++)
		n += blob->clusters[ci] != 0;
	return n;
}

bool sio_blob_is_thin(const struct sio_blob *blob)
{
	return blob && (blob->flags & BLOB_F_THIN);
}

bool sio_blob_is_read_only(const struct sio_blob *blob)
{
	return blob && (__atomic_load_n(&blob->flags, __ATOMIC_ACQUIRE) & BLOB_F_READ_ONLY);
}

bool sio_blob_is_snapshot(const struct sio_blob *blob)
{
	return blob && (blob->flags & BLOB_F_SNAPSHOT);
}

sio_blob_id sio_blob_get_parent(const struct sio_blob *blob)
{
	return blob ? blob->parent_id : 0;
}

sio_blob_id sio_bs_get_blob_parent(struct sio_blob_store *bs, sio_blob_id id)
{
	struct sio_blob *b = bs ? blob_by_id(bs, id) : NULL;

	return b ? b->parent_id : 0;
}

/* ---- awaitable forms ---- */

int sio_bs_init_await(struct sio_blob_dev *dev, const struct sio_bs_opts *opts,
		      struct sio_blob_store **bsp)
{
	return SIO_AWAIT_CALL(sio_bs_init, dev, opts, bsp);
}

int sio_bs_load_await(struct sio_blob_dev *dev, const char *bstype, struct sio_blob_store **bsp)
{
	return SIO_AWAIT_CALL(sio_bs_load, dev, bstype, bsp);
}

int sio_bs_unload_await(struct sio_blob_store *bs)
{
	return SIO_AWAIT_CALL(sio_bs_unload, bs);
}

int sio_bs_grow_await(struct sio_blob_store *bs)
{
	return SIO_AWAIT_CALL(sio_bs_grow, bs);
}

int sio_bs_set_super_await(struct sio_blob_store *bs, sio_blob_id id)
{
	return SIO_AWAIT_CALL(sio_bs_set_super, bs, id);
}

int sio_blob_create_await(struct sio_blob_store *bs, const struct sio_blob_opts *opts,
			  sio_blob_id *idp)
{
	return SIO_AWAIT_CALL(sio_blob_create, bs, opts, idp);
}

int sio_blob_open_await(struct sio_blob_store *bs, sio_blob_id id, struct sio_blob **blobp)
{
	return SIO_AWAIT_CALL(sio_blob_open, bs, id, blobp);
}

int sio_blob_close_await(struct sio_blob *blob)
{
	return SIO_AWAIT_CALL(sio_blob_close, blob);
}

int sio_blob_delete_await(struct sio_blob_store *bs, sio_blob_id id)
{
	return SIO_AWAIT_CALL(sio_blob_delete, bs, id);
}

int sio_blob_resize_await(struct sio_blob *blob, uint64_t num_clusters)
{
	return SIO_AWAIT_CALL(sio_blob_resize, blob, num_clusters);
}

int sio_blob_sync_md_await(struct sio_blob *blob)
{
	return SIO_AWAIT_CALL(sio_blob_sync_md, blob);
}

int sio_blob_snapshot_await(struct sio_blob_store *bs, sio_blob_id id,
			    const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
			    sio_blob_id *snapp)
{
	return SIO_AWAIT_CALL(sio_blob_snapshot, bs, id, xattrs, xattr_count, snapp);
}

int sio_blob_clone_await(struct sio_blob_store *bs, sio_blob_id snap_id,
			 const struct sio_blob_xattr *xattrs, uint32_t xattr_count,
			 sio_blob_id *clonep)
{
	return SIO_AWAIT_CALL(sio_blob_clone, bs, snap_id, xattrs, xattr_count, clonep);
}

int sio_blob_inflate_await(struct sio_blob_store *bs, sio_blob_id id)
{
	return SIO_AWAIT_CALL(sio_blob_inflate, bs, id);
}

int sio_blob_decouple_parent_await(struct sio_blob_store *bs, sio_blob_id id)
{
	return SIO_AWAIT_CALL(sio_blob_decouple_parent, bs, id);
}
