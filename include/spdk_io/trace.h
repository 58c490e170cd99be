/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * DOC: Tracepoints
 *
 * Fixed-size event records written by each OS thread into a ring of its own
 * in a shared-memory file (/dev/shm/<name>_trace.pid<PID>, the path SPDK
 * uses), so another process (tools/sio_trace) reads a live or an exited
 * process without stopping it. Tracepoints are grouped as SPDK groups them,
 * with SPDK's group numbers and the bit of each group in the group mask
 * (bdev 0x8, nvmf_tcp 0x20, thread 0x400, nvme_pcie 0x800, ...).
 *
 * Off by default. A disabled tracepoint costs a load of its group's mask, a
 * bit test and a not-taken branch (SIO_TRACE() below); an enabled one writes
 * 64 bytes into the thread's ring (no lock, no atomic read-modify-write).
 *
 * docs/trace.md has the file layout, the reader's protocol and the costs.
 */
#ifndef SPDK_IO_TRACE_H
#define SPDK_IO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Groups (a group's bit in the group mask is 1 << id). */
#define SIO_TRACE_MAX_GROUPS 32
/** Tracepoints per group (a tracepoint's bit in its group's mask is 1 << n). */
#define SIO_TRACE_TPOINTS_PER_GROUP 64
/** Every tracepoint id is below this. */
#define SIO_TRACE_MAX_TPOINTS (SIO_TRACE_MAX_GROUPS * SIO_TRACE_TPOINTS_PER_GROUP)
/** Tracepoint @n of group @group (SPDK's SPDK_TPOINT_ID numbering). */
#define SIO_TPOINT_ID(group, n) ((uint16_t)((group) * SIO_TRACE_TPOINTS_PER_GROUP + (n)))

/* Group numbers: SPDK's where SPDK has the group. */
#define SIO_TRACE_GROUP_BDEV 0x3      /**< "bdev": bdev I/O submit and completion */
#define SIO_TRACE_GROUP_NVMF_TCP 0x5  /**< "nvmf_tcp": target request states, PDUs */
#define SIO_TRACE_GROUP_THREAD 0xA    /**< "thread": pollers and messages */
#define SIO_TRACE_GROUP_NVME_PCIE 0xB /**< "nvme_pcie": host PCIe submit and completion */
#define SIO_TRACE_GROUP_NVME_TCP 0xD  /**< "nvme_tcp": host TCP submit and completion */
#define SIO_TRACE_GROUP_SOCK 0xF      /**< "sock": socket reads and writes */
#define SIO_TRACE_GROUP_BLOB 0x10     /**< "blob": blob I/O and metadata operations */

/** Kind of a tracepoint: how sio_trace pairs records into requests. */
enum sio_trace_kind {
	SIO_TRACE_INSTANT = 0, /**< a point event */
	SIO_TRACE_START = 1,   /**< a request with this object id begins */
	SIO_TRACE_END = 2,     /**< the request with this object id ends */
};

/* ---- the library's tracepoints ---- */
#define SIO_TP_BDEV_IO_START SIO_TPOINT_ID(SIO_TRACE_GROUP_BDEV, 0x0)
#define SIO_TP_BDEV_IO_DONE SIO_TPOINT_ID(SIO_TRACE_GROUP_BDEV, 0x1)

#define SIO_TP_NVMF_TCP_REQ_NEW SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x00)
#define SIO_TP_NVMF_TCP_REQ_H2C SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x04)
#define SIO_TP_NVMF_TCP_REQ_EXEC SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x06)
#define SIO_TP_NVMF_TCP_REQ_EXECUTED SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x08)
#define SIO_TP_NVMF_TCP_REQ_C2H SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x0a)
#define SIO_TP_NVMF_TCP_REQ_DONE SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x0c)
#define SIO_TP_NVMF_TCP_PDU_TX SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x0d)
#define SIO_TP_NVMF_TCP_PDU_RX SIO_TPOINT_ID(SIO_TRACE_GROUP_NVMF_TCP, 0x0f)

#define SIO_TP_THREAD_POLLER_RUN SIO_TPOINT_ID(SIO_TRACE_GROUP_THREAD, 0x2)
#define SIO_TP_THREAD_MSG_RUN SIO_TPOINT_ID(SIO_TRACE_GROUP_THREAD, 0x3)

#define SIO_TP_NVME_PCIE_SUBMIT SIO_TPOINT_ID(SIO_TRACE_GROUP_NVME_PCIE, 0x0)
#define SIO_TP_NVME_PCIE_COMPLETE SIO_TPOINT_ID(SIO_TRACE_GROUP_NVME_PCIE, 0x1)

#define SIO_TP_NVME_TCP_SUBMIT SIO_TPOINT_ID(SIO_TRACE_GROUP_NVME_TCP, 0x0)
#define SIO_TP_NVME_TCP_COMPLETE SIO_TPOINT_ID(SIO_TRACE_GROUP_NVME_TCP, 0x1)

#define SIO_TP_SOCK_RECV SIO_TPOINT_ID(SIO_TRACE_GROUP_SOCK, 0x0)
#define SIO_TP_SOCK_SEND SIO_TPOINT_ID(SIO_TRACE_GROUP_SOCK, 0x1)

#define SIO_TP_BLOB_IO_START SIO_TPOINT_ID(SIO_TRACE_GROUP_BLOB, 0x0)
#define SIO_TP_BLOB_IO_DONE SIO_TPOINT_ID(SIO_TRACE_GROUP_BLOB, 0x1)
#define SIO_TP_BLOB_MD_START SIO_TPOINT_ID(SIO_TRACE_GROUP_BLOB, 0x2)
#define SIO_TP_BLOB_MD_DONE SIO_TPOINT_ID(SIO_TRACE_GROUP_BLOB, 0x3)

/**
 * sio_trace_tpoint_masks - Enabled tracepoints, one 64-bit mask per group.
 * Read by SIO_TRACE() on every tracepoint; written only through the
 * functions below. Do not write it.
 */
extern uint64_t sio_trace_tpoint_masks[SIO_TRACE_MAX_GROUPS];

/**
 * sio_trace_tpoint_enabled() - Whether tracepoint @id records.
 * Context: any thread. A relaxed load: a thread may record a few events more
 * (or fewer) around a change made by another thread.
 */
static inline bool sio_trace_tpoint_enabled(uint16_t id)
{
	return (__atomic_load_n(&sio_trace_tpoint_masks[id / SIO_TRACE_TPOINTS_PER_GROUP],
				__ATOMIC_RELAXED) >>
		(id % SIO_TRACE_TPOINTS_PER_GROUP)) &
	       1;
}

/**
 * sio_trace_record() - Write one record into the calling OS thread's ring.
 * @id: tracepoint id (registered, or the record is dropped).
 * @owner: id of the owning object (bdev, queue pair, connection), or 0.
 * @object: id of the request (pairs SIO_TRACE_START with SIO_TRACE_END).
 * @a0..@a2: the tracepoint's arguments (unused ones 0).
 *
 * The first record of an OS thread claims a ring (once; released when the
 * thread exits). Dropped silently when no ring is free or tracing could not
 * set up its file. Use SIO_TRACE(), which tests the mask first.
 * Context: any OS thread; no lock, no allocation after the first record.
 */
void sio_trace_record(uint16_t id, uint64_t owner, uint64_t object, uint64_t a0, uint64_t a1,
		      uint64_t a2);

/**
 * SIO_TRACE() - Record tracepoint @id if it is enabled. Disabled: one load,
 * one bit test, one branch that the predictor learns is not taken; the
 * arguments are not evaluated.
 */
#define SIO_TRACE(id, owner, object, a0, a1, a2)                                            \
	do {                                                                                \
		if (__builtin_expect(sio_trace_tpoint_enabled(id), 0))                      \
			sio_trace_record((id), (uint64_t)(owner), (uint64_t)(object),       \
					 (uint64_t)(a0), (uint64_t)(a1), (uint64_t)(a2));   \
	} while (0)

/** Options of sio_trace_init(). Fill with sio_trace_opts_init() first. */
struct sio_trace_opts {
	size_t opts_size;          /**< set by sio_trace_opts_init() */
	const char *name;          /**< file name prefix (the app's name); default "spdk-io" */
	uint32_t entries_per_ring; /**< records per thread, rounded up to a power of two; default 32768 */
	uint32_t max_rings;        /**< OS threads that may trace at once; default 64 */
	const char *shm_dir;       /**< directory of the file; default "/dev/shm" */
};

/**
 * sio_trace_opts_init() - Fill @opts with defaults.
 * @opts_size: sizeof(*opts) as the caller was compiled with.
 * Context: any thread.
 */
void sio_trace_opts_init(struct sio_trace_opts *opts, size_t opts_size);

/**
 * sio_trace_init() - Configure tracing for this process: the file's name and
 * sizes. The file itself is created when a tracepoint is first enabled.
 * @opts: NULL for defaults.
 *
 * Without a call, enabling a tracepoint initialises with the defaults.
 * Context: any thread, while no thread records (no tracepoint enabled).
 * Return: 0; -EINVAL bad options (name empty or with '/', sizes 0 or too
 * large); -EBUSY tracing is set up already (sio_trace_fini() first).
 */
int sio_trace_init(const struct sio_trace_opts *opts);

/**
 * sio_trace_fini() - Disable every tracepoint and release the file. The file
 * stays in /dev/shm when it holds records (for `sio_trace -f` after the
 * process ends, as SPDK keeps it) and is removed when it holds none.
 * Context: any thread, once no other thread may record (threads that saw a
 * tracepoint enabled may still be writing); the app calls it after its
 * reactors stopped.
 */
void sio_trace_fini(void);

/**
 * sio_trace_shm_path() - Path of this process's trace file (it exists once a
 * tracepoint was enabled). Context: any thread. Return: a static string.
 */
const char *sio_trace_shm_path(void);

/**
 * sio_trace_group_id() - Number of the group called @name ("bdev", ...).
 * Context: any thread. Return: the id; -ENOENT unknown name; -EINVAL NULL.
 */
int sio_trace_group_id(const char *name);

/**
 * sio_trace_group_name() - Name of group @id. Context: any thread.
 * Return: the name, or NULL if no group has that id.
 */
const char *sio_trace_group_name(uint32_t id);

/**
 * sio_trace_set_tpoint_mask() - Enable the tracepoints of group @group whose
 * bits are set in @mask (others keep their state). Creates the trace file
 * first if needed.
 * Context: any thread.
 * Return: 0; -EINVAL no such group; -ENOMEM/-errno the file could not be
 * created (nothing is enabled then).
 */
int sio_trace_set_tpoint_mask(uint32_t group, uint64_t mask);

/**
 * sio_trace_clear_tpoint_mask() - Disable the tracepoints of @group whose bits
 * are set in @mask. Context: any thread. Return: 0; -EINVAL no such group.
 */
int sio_trace_clear_tpoint_mask(uint32_t group, uint64_t mask);

/**
 * sio_trace_get_tpoint_mask() - The enabled tracepoints of @group (0 for an
 * unknown group). Context: any thread.
 */
uint64_t sio_trace_get_tpoint_mask(uint32_t group);

/**
 * sio_trace_get_group_mask() - Bit g set for each group g with a tracepoint
 * enabled. Context: any thread.
 */
uint64_t sio_trace_get_group_mask(void);

/**
 * sio_trace_enable_groups() - Parse and apply SPDK's -e syntax: a hex group
 * mask ("0x8"), group names, "all", each optionally with ":TPOINT_MASK",
 * comma-separated ("bdev,nvmf_tcp:0x1", "0x20:3,thread").
 * Context: any thread.
 * Return: 0; -EINVAL malformed or unknown name (nothing applied); an error of
 * sio_trace_set_tpoint_mask().
 */
int sio_trace_enable_groups(const char *spec);

/**
 * sio_trace_clear() - Forget the records written so far: readers see each
 * ring start after its last record. Context: any thread.
 */
void sio_trace_clear(void);

/** What a tracepoint is, as registered and as the file describes it. */
struct sio_trace_tpoint_info {
	uint16_t id;
	uint8_t kind;        /**< enum sio_trace_kind */
	char name[32];       /**< e.g. "BDEV_IO_START" */
	char owner_type[16]; /**< what the owner id names, e.g. "bdev" */
	char object_type[16];/**< what the object id names, e.g. "bdev_io" */
	char arg_names[3][16]; /**< names of a0..a2; "" if unused */
};

/**
 * sio_trace_register_tpoint() - Describe a tracepoint of the application's
 * own (the library's are built in). Must precede its first record; the
 * description reaches a trace file created later, or the current one.
 * Context: any thread. Return: 0; -EINVAL bad id or name; -EEXIST id taken.
 */
int sio_trace_register_tpoint(const struct sio_trace_tpoint_info *info);

/* ------------------------------------------------------------------------ */
/* Reading a trace file (the live process's or a copy)                      */
/* ------------------------------------------------------------------------ */

/** One record as a reader returns it. */
struct sio_trace_entry {
	uint64_t tsc;       /**< sio_get_ticks() when recorded */
	uint64_t index;     /**< its position in its ring (0, 1, ...) */
	uint64_t owner_id;
	uint64_t object_id;
	uint64_t args[3];
	uint16_t tpoint_id;
};

/** A ring as a reader sees it. */
struct sio_trace_ring_info {
	int32_t tid;       /**< OS thread id of its (last) writer */
	char name[32];     /**< that thread's name */
	uint64_t first;    /**< index of the oldest record kept for this owner */
	uint64_t head;     /**< index the next record will get */
	uint64_t overwritten; /**< records lost to wrap-around, before first */
};

struct sio_trace_reader;

/**
 * sio_trace_reader_open() - Map the trace file @path read-only.
 * Context: any thread. Return: 0 and *@out; -ENOENT/-EACCES/... opening;
 * -EINVAL not a trace file (magic, version, sizes).
 */
int sio_trace_reader_open(const char *path, struct sio_trace_reader **out);

/** sio_trace_reader_close() - Unmap and free @r (NULL is a no-op). Context: any thread. */
void sio_trace_reader_close(struct sio_trace_reader *r);

/** sio_trace_reader_tsc_rate() - Ticks per second of the records' tsc. Context: any thread. */
uint64_t sio_trace_reader_tsc_rate(const struct sio_trace_reader *r);

/** sio_trace_reader_pid() - PID of the process that wrote the file. */
int32_t sio_trace_reader_pid(const struct sio_trace_reader *r);

/** sio_trace_reader_app_name() - Name the writer gave (sio_trace_opts.name). */
const char *sio_trace_reader_app_name(const struct sio_trace_reader *r);

/** sio_trace_reader_ring_count() - Rings claimed so far (some may be empty). */
uint32_t sio_trace_reader_ring_count(const struct sio_trace_reader *r);

/** sio_trace_reader_entries_per_ring() - Capacity of each ring. */
uint32_t sio_trace_reader_entries_per_ring(const struct sio_trace_reader *r);

/**
 * sio_trace_reader_tpoint() - Description of tracepoint @id, or NULL if the
 * file has none. Context: any thread.
 */
const struct sio_trace_tpoint_info *sio_trace_reader_tpoint(const struct sio_trace_reader *r,
							    uint16_t id);

/**
 * sio_trace_reader_ring() - Ring @ring's writer and extent.
 * Return: 0; -EINVAL @ring out of range.
 */
int sio_trace_reader_ring(const struct sio_trace_reader *r, uint32_t ring,
			  struct sio_trace_ring_info *info);

/**
 * sio_trace_reader_read() - Copy the records of ring @ring with index >=
 * @from into @out (oldest first), at most @max. A record the writer is
 * overwriting while it is copied is skipped, never returned torn: each slot
 * carries a sequence number written before and after its data, and the copy
 * is kept only if the number is the same on both sides and names the index
 * asked for.
 * @skipped: if not NULL, receives the number of records in the range that
 * were lost (overwritten before or during the copy).
 * Context: any thread; the writer keeps running.
 * Return: records copied; -EINVAL bad ring.
 */
int64_t sio_trace_reader_read(const struct sio_trace_reader *r, uint32_t ring, uint64_t from,
			      struct sio_trace_entry *out, uint64_t max, uint64_t *skipped);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_TRACE_H */
