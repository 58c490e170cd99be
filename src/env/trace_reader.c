/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tracepoint rings, reader side: maps a trace file read-only (the live
 * writer keeps writing) and copies records out without ever returning one
 * half written. The protocol is described in trace_internal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env_internal.h"
#include "trace_internal.h"

struct sio_trace_reader {
	void *base;
	size_t size;
	const struct trace_file_header *hdr;
	struct sio_trace_tpoint_info *by_id[SIO_TRACE_MAX_TPOINTS];
	struct sio_trace_tpoint_info descs[TRACE_MAX_DESCS];
};

int sio_trace_reader_open(const char *path, struct sio_trace_reader **out)
{
	struct sio_trace_reader *r;
	const struct trace_file_header *h;
	struct stat st;
	uint64_t magic;
	uint32_t ndesc;
	void *base;
	int fd, rc;

	if (path == NULL || out == NULL)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if ((size_t)st.st_size < sizeof(*h)) {
		close(fd);
		return -EINVAL;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	rc = -errno;
	close(fd);
	if (base == MAP_FAILED)
		return rc;
	h = base;
	/* Acquire pairs with the writer's release of the magic (set-up complete). */
	magic = __atomic_load_n((const uint64_t *)h->magic, __ATOMIC_ACQUIRE);
	rc = -EINVAL;
	if (memcmp(&magic, TRACE_MAGIC, 8) != 0 || h->version != TRACE_VERSION ||
	    h->header_size != sizeof(*h) || h->slot_size != sizeof(struct trace_slot) ||
	    h->entries_per_ring == 0 || !env_is_pow2(h->entries_per_ring) || h->max_rings == 0 ||
	    h->ring_stride != TRACE_RING_HEADER_SIZE + (uint64_t)h->entries_per_ring * h->slot_size ||
	    h->desc_offset + TRACE_MAX_DESCS * sizeof(struct sio_trace_tpoint_info) > h->rings_offset ||
	    h->rings_offset + h->ring_stride * h->max_rings > (uint64_t)st.st_size)
		goto err_unmap;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rc = -ENOMEM;
		goto err_unmap;
	}
	r->base = base;
	r->size = (size_t)st.st_size;
	r->hdr = h;
	/* Acquire pairs with the writer's release of desc_count. */
	ndesc = __atomic_load_n(&h->desc_count, __ATOMIC_ACQUIRE);
	if (ndesc > TRACE_MAX_DESCS)
		ndesc = TRACE_MAX_DESCS;
	memcpy(r->descs, (const char *)base + h->desc_offset, ndesc * sizeof(r->descs[0]));
	for (uint32_t i = 0; i < ndesc; i++) {
		struct sio_trace_tpoint_info *d = &r->descs[i];

		/* The file is outside input: terminate every string. */
		d->name[sizeof(d->name) - 1] = '\0';
		d->owner_type[sizeof(d->owner_type) - 1] = '\0';
		d->object_type[sizeof(d->object_type) - 1] = '\0';
		for (int a = 0; a < 3; a++)
			d->arg_names[a][sizeof(d->arg_names[a]) - 1] = '\0';
		if (d->id < SIO_TRACE_MAX_TPOINTS)
			r->by_id[d->id] = d;
	}
	*out = r;
	return 0;
err_unmap:
	munmap(base, (size_t)st.st_size);
	return rc;
}

void sio_trace_reader_close(struct sio_trace_reader *r)
{
	if (r == NULL)
		return;
	munmap(r->base, r->size);
	free(r);
}

uint64_t sio_trace_reader_tsc_rate(const struct sio_trace_reader *r)
{
	return r->hdr->tsc_rate;
}

int32_t sio_trace_reader_pid(const struct sio_trace_reader *r)
{
	return r->hdr->pid;
}

const char *sio_trace_reader_app_name(const struct sio_trace_reader *r)
{
	/* Not trusted to be terminated; the last byte is never written by us. */
	return memchr(r->hdr->app_name, '\0', sizeof(r->hdr->app_name)) ? r->hdr->app_name : "?";
}

uint32_t sio_trace_reader_ring_count(const struct sio_trace_reader *r)
{
	/* Acquire pairs with the writer's release when it claims a ring. */
	uint32_t n = __atomic_load_n(&r->hdr->ring_count, __ATOMIC_ACQUIRE);

	return n < r->hdr->max_rings ? n : r->hdr->max_rings;
}

uint32_t sio_trace_reader_entries_per_ring(const struct sio_trace_reader *r)
{
	return r->hdr->entries_per_ring;
}

const struct sio_trace_tpoint_info *sio_trace_reader_tpoint(const struct sio_trace_reader *r,
							    uint16_t id)
{
	return id < SIO_TRACE_MAX_TPOINTS ? r->by_id[id] : NULL;
}

static struct trace_ring_header *reader_ring(const struct sio_trace_reader *r, uint32_t ring)
{
	if (ring >= sio_trace_reader_ring_count(r))
		return NULL;
	return trace_ring_at(r->base, r->hdr, ring);
}

int sio_trace_reader_ring(const struct sio_trace_reader *r, uint32_t ring,
			  struct sio_trace_ring_info *info)
{
	struct trace_ring_header *rh = reader_ring(r, ring);
	uint64_t oldest;

	if (rh == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->tid = rh->tid;
	memcpy(info->name, rh->name, sizeof(info->name) - 1);
	/* Acquire pairs with the writer's release of head. */
	info->head = __atomic_load_n(&rh->head, __ATOMIC_ACQUIRE);
	info->first = __atomic_load_n(&rh->first, __ATOMIC_ACQUIRE);
	oldest = info->head > r->hdr->entries_per_ring ? info->head - r->hdr->entries_per_ring : 0;
	if (info->first < oldest) {
		info->overwritten = oldest - info->first;
		info->first = oldest;
	}
	return 0;
}

int64_t sio_trace_reader_read(const struct sio_trace_reader *r, uint32_t ring, uint64_t from,
			      struct sio_trace_entry *out, uint64_t max, uint64_t *skipped)
{
	struct trace_ring_header *rh = reader_ring(r, ring);
	const struct trace_slot *slots;
	uint64_t head, first, oldest, lost = 0, n = 0, mask;

	if (rh == NULL || (out == NULL && max > 0))
		return -EINVAL;
	slots = trace_ring_slots(rh);
	mask = r->hdr->entries_per_ring - 1;
	head = __atomic_load_n(&rh->head, __ATOMIC_ACQUIRE);
	first = __atomic_load_n(&rh->first, __ATOMIC_ACQUIRE);
	if (from < first)
		from = first;
	oldest = head > mask + 1 ? head - (mask + 1) : 0;
	if (from < oldest) {
		lost += oldest - from;
		from = oldest;
	}
	for (uint64_t idx = from; idx < head && n < max; idx++) {
		const struct trace_slot *s = &slots[idx & mask];
		struct sio_trace_entry *e = &out[n];
		/* Acquire pairs with the writer's release of the even seq. */
		uint64_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), s2;

		if (s1 != 2 * idx + 2) {
			lost++; /* already overwritten by a later lap (or never completed) */
			continue;
		}
		/* Acquire loads: a word from a newer lap brings its odd seq with it. */
		e->tsc = __atomic_load_n(&s->tsc, __ATOMIC_ACQUIRE);
		e->tpoint_id = (uint16_t)__atomic_load_n(&s->tpoint, __ATOMIC_ACQUIRE);
		e->owner_id = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
		e->object_id = __atomic_load_n(&s->object, __ATOMIC_ACQUIRE);
		for (int a = 0; a < 3; a++)
			e->args[a] = __atomic_load_n(&s->args[a], __ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s2 != s1) {
			lost++; /* the writer came round while we copied */
			continue;
		}
		e->index = idx;
		n++;
	}
	if (skipped != NULL)
		*skipped = lost;
	return (int64_t)n;
}
