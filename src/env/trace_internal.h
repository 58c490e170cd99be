/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Layout of a trace file (/dev/shm/<name>_trace.pid<PID>), shared by the
 * writer (trace.c) and the reader (trace_reader.c). Not installed: readers
 * outside the library use the sio_trace_reader_*() API.
 *
 *   [header][tracepoint descriptions][ring 0][ring 1]...[ring max_rings-1]
 *   ring = [ring header, 128 bytes][entries_per_ring slots of 64 bytes]
 *
 * One OS thread writes a ring; any number of processes read it. A slot's
 * seq is 2*index+1 while record `index` is being written and 2*index+2 once
 * it is complete; readers keep a copy only if seq is 2*index+2 before and
 * after copying (trace_reader.c), so a record is never seen torn.
 */
#ifndef SIO_TRACE_INTERNAL_H
#define SIO_TRACE_INTERNAL_H

#include <stdint.h>

#include "spdk_io/trace.h"

#define TRACE_MAGIC "SIOTRACE"
#define TRACE_VERSION 1u
/* Descriptions the file has room for (ids themselves go up to SIO_TRACE_MAX_TPOINTS). */
#define TRACE_MAX_DESCS 256u
#define TRACE_RING_HEADER_SIZE 128u

struct trace_file_header {
	char magic[8];            /* TRACE_MAGIC, written last at creation */
	uint32_t version;         /* TRACE_VERSION */
	uint32_t header_size;     /* sizeof(struct trace_file_header) */
	uint64_t tsc_rate;        /* ticks per second of every tsc in the file */
	int32_t pid;              /* writer */
	uint32_t slot_size;       /* sizeof(struct trace_slot) */
	uint32_t entries_per_ring;/* power of two */
	uint32_t max_rings;
	uint32_t ring_count;      /* atomic: rings claimed so far, only grows */
	uint32_t desc_count;      /* atomic: valid descriptions */
	uint64_t desc_offset;     /* file offset of TRACE_MAX_DESCS descriptions */
	uint64_t rings_offset;    /* file offset of ring 0 */
	uint64_t ring_stride;     /* bytes from one ring to the next */
	uint64_t tpoint_masks[SIO_TRACE_MAX_GROUPS]; /* atomic: mirror of the process's masks */
	char app_name[64];
};

struct trace_ring_header {
	uint64_t head;        /* atomic: index of the next record (release after each record) */
	uint64_t first;       /* atomic: oldest index readers should show (claim, trace_clear) */
	int32_t tid;          /* OS thread id of the writer (0: never claimed) */
	uint32_t in_use;      /* 1 while a live thread owns the ring */
	char name[32];        /* the writer's thread name */
	uint8_t pad[TRACE_RING_HEADER_SIZE - 56];
};
_Static_assert(sizeof(struct trace_ring_header) == TRACE_RING_HEADER_SIZE, "ring header size");

struct trace_slot {
	uint64_t seq;     /* 2*index+1 while written, 2*index+2 when complete */
	uint64_t tsc;
	uint64_t tpoint;  /* tracepoint id in the low 16 bits */
	uint64_t owner;
	uint64_t object;
	uint64_t args[3];
};
_Static_assert(sizeof(struct trace_slot) == 64, "one record per cache line");

/* Built-in tracepoint descriptions and group names (trace_defs.c). */
extern const struct sio_trace_tpoint_info trace_builtin_tpoints[];
extern const size_t trace_builtin_tpoint_count;

struct trace_group_name {
	const char *name;
	uint32_t id;
};
extern const struct trace_group_name trace_groups[];
extern const size_t trace_group_count;

static inline struct trace_ring_header *trace_ring_at(void *base, const struct trace_file_header *h,
						      uint32_t i)
{
	return (struct trace_ring_header *)((char *)base + h->rings_offset + (uint64_t)i * h->ring_stride);
}

static inline struct trace_slot *trace_ring_slots(struct trace_ring_header *r)
{
	return (struct trace_slot *)((char *)r + TRACE_RING_HEADER_SIZE);
}

#endif /* SIO_TRACE_INTERNAL_H */
