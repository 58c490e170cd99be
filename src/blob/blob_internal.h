/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The blobstore's private structures and the on-disk format (docs/blob.md).
 *
 * Layout in 4 KiB pages: pages 0 and 1 are the two super block slots; then
 * max_blobs root pairs (two pages each: the slot holding the blob's current
 * metadata version and the slot its next version goes to); then the
 * continuation pages for metadata longer than one page; then, from the first
 * whole cluster after that, the data clusters. Every page carries the
 * store's random id, a sequence number and a CRC32C.
 */
#ifndef SIO_BLOB_INTERNAL_H
#define SIO_BLOB_INTERNAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "spdk_io/blob.h"

#define BS_PAGE 4096u
#define BS_MAGIC_SUPER 0x424f4953u /* "SIOB" */
#define BS_MAGIC_ROOT 0x544f4f52u  /* "ROOT" */
#define BS_MAGIC_CONT 0x544e4f43u  /* "CONT" */
#define BS_VERSION 1u
#define BS_ID_HI (1ull << 32)       /* blob ids: BS_ID_HI | root pair index */
#define BS_MAX_XATTRS 64u
#define BS_MAX_XATTR_VALUE 4000u
#define BS_MAX_IOV 32
#define BS_REQS_PER_CHANNEL 1024u

/* Blob flags, persisted. */
#define BLOB_F_THIN 0x1u         /* clusters allocated on first write */
#define BLOB_F_READ_ONLY 0x2u    /* writes and resize refused */
#define BLOB_F_SNAPSHOT 0x4u     /* made by sio_blob_snapshot() */
#define BLOB_F_PENDING_SNAP 0x8u /* snapshot whose origin is not yet switched to it */
#define BLOB_F_PENDING_DEL 0x10u /* snapshot being deleted into its one clone (pending_of) */
/* A blob in the middle of a snapshot or a merging delete: invisible to callers. */
#define BLOB_F_PENDING (BLOB_F_PENDING_SNAP | BLOB_F_PENDING_DEL)

/* Root page flags. */
#define ROOT_F_DELETED 0x1u /* a tombstone: the blob was deleted */

/* The super block, little-endian on disk (pages 0 and 1; newest valid wins). */
struct bs_super_disk {
	uint32_t magic;
	uint32_t crc;          /* CRC32C of the page with this field zero */
	uint32_t version;
	uint32_t io_unit;      /* the device's block length when formatted */
	uint64_t seq;          /* higher wins between the two slots */
	uint64_t store_id;     /* random; stamped in every metadata page */
	uint32_t cluster_sz;
	uint32_t num_md_pages; /* root pairs + continuation pages */
	uint32_t max_blobs;    /* root pairs */
	uint32_t reserved;
	uint64_t total_clusters; /* of the device, md clusters included */
	uint64_t super_blob;
	char bstype[16];
} __attribute__((packed));

/* Header of a metadata page (root or continuation). */
struct bs_md_hdr {
	uint32_t magic;
	uint32_t crc;
	uint64_t store_id;
	uint64_t blob_id;
	uint64_t seq;      /* the version: a root and its chain share it */
	uint32_t next;     /* next continuation page (absolute page number), 0 for none */
	uint32_t len;      /* payload bytes in this page */
	uint32_t flags;    /* ROOT_F_* on a root */
	uint32_t total_len;/* payload bytes of the whole chain (root only) */
} __attribute__((packed));

#define BS_PAYLOAD (BS_PAGE - sizeof(struct bs_md_hdr))

struct blob_xattr {
	char *name;
	void *value;
	uint16_t len;
};

struct bs_channel;

struct sio_blob {
	struct sio_blob_store *bs;
	sio_blob_id id;
	uint32_t slot;         /* root pair index */
	uint32_t flags;        /* BLOB_F_* */
	uint64_t num_clusters;
	/*
	 * Absolute cluster numbers, 0 = unallocated. Entries go from 0 to a
	 * cluster on the metadata thread (release store) while I/O threads read
	 * them (acquire load); the array itself is replaced only with the
	 * blob's I/O frozen.
	 */
	uint32_t *clusters;
	uint64_t clusters_cap;
	sio_blob_id parent_id;
	struct sio_blob *parent;   /* loaded: every blob of a store is in memory */
	sio_blob_id pending_of;    /* PENDING_SNAP: the blob it snapshots; PENDING_DEL: its clone */
	struct blob_xattr *xattrs;
	uint32_t xattr_count;
	uint32_t *md_pages;        /* continuation pages of the persisted version */
	uint32_t md_page_count;
	bool persisted;            /* has a valid root on disk */
	bool md_dirty;             /* xattrs/read-only changed since the last persist */
	uint32_t open_ref;         /* sio_blob_open() references */
	uint32_t op_ref;           /* metadata operations using it */
	int frozen;                /* > 0: new I/O queues on the channel (atomic) */
	uint64_t persist_ci;       /* with persist_c != 0: serialize this entry as persist_c */
	uint32_t persist_c;        /* (a cluster being allocated, not yet published) */
};

/* A waiter on the store's metadata lock (lives on the waiting task's stack). */
struct bs_lock_waiter {
	struct sio_future f;
	TAILQ_ENTRY(bs_lock_waiter) link;
};

struct sio_blob_store {
	struct sio_blob_dev *dev;
	struct sio_thread *md_thread;
	struct sio_io_channel *md_ch;   /* device channel of the metadata thread */
	uint64_t store_id;
	uint32_t cluster_sz;
	uint32_t io_unit;
	uint32_t upc;                   /* io units per cluster */
	uint32_t upc_shift;             /* log2(upc): upc is a power of two */
	uint32_t num_md_pages;
	uint32_t max_blobs;
	uint64_t total_clusters;
	uint64_t data_start;            /* first data cluster */
	uint64_t super_blob;
	uint64_t super_seq;
	char bstype[16];
	uint64_t md_seq;                /* last sequence number used or seen */
	uint64_t *cluster_bits;         /* 1 = owned by a blob (or reserved) */
	uint64_t cluster_words;
	uint64_t free_clusters;
	uint64_t alloc_hint;
	uint8_t *cont_used;             /* per continuation page */
	uint8_t *newest_half;           /* per root pair: the half with the newest record */
	struct sio_blob **blobs;        /* per root pair, NULL when free */
	void *copy_buf;                 /* one cluster, for copy-on-write under the lock */
	bool locked;
	TAILQ_HEAD(, bs_lock_waiter) lock_waiters;
	bool destroying;                /* unload erases the super block */
	bool io_device_registered;
	sio_done_cb unload_cb;
	void *unload_cb_arg;
	int unload_rc;
};

/* blobstore.c */
int bs_lock(struct sio_blob_store *bs);
void bs_unlock(struct sio_blob_store *bs);
int bs_alloc_cluster(struct sio_blob_store *bs, uint32_t *out);
void bs_release_cluster(struct sio_blob_store *bs, uint32_t c);
int blob_persist(struct sio_blob *blob);
/* The cluster a blob or its nearest ancestor owns for index @ci; *owner set. */
uint32_t blob_lookup(struct sio_blob *blob, uint64_t ci, struct sio_blob **owner);
int blob_fill_cluster(struct sio_blob *blob, uint64_t ci, uint32_t c);

/* blob_io.c */
int bs_io_device_register(struct sio_blob_store *bs);
int bs_freeze_blob(struct sio_blob *blob);   /* in a task on the md thread */
void bs_unfreeze_blob(struct sio_blob *blob);

static inline uint32_t blob_cluster_get(const struct sio_blob *blob, uint64_t ci)
{
	return __atomic_load_n(&blob->clusters[ci], __ATOMIC_ACQUIRE);
}

static inline void blob_cluster_set(struct sio_blob *blob, uint64_t ci, uint32_t c)
{
	/* Pairs with the acquire in blob_cluster_get(): the cluster's fill is visible first. */
	__atomic_store_n(&blob->clusters[ci], c, __ATOMIC_RELEASE);
}

#endif /* SIO_BLOB_INTERNAL_H */
