/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the files of the bdev core (registry, desc, channel, io,
 * stats, rpc): the private halves of bdevs, descriptors and channels.
 */
#ifndef SIO_BDEV_INTERNAL_H
#define SIO_BDEV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "spdk_io/bdev.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/env.h"
#include "spdk_io/log.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BDEV_HAVE_TSC 1
#else
#define BDEV_HAVE_TSC 0
#endif

#define BDEV_LOG "bdev"

#define bdev_likely(x) __builtin_expect(!!(x), 1)
#define bdev_unlikely(x) __builtin_expect(!!(x), 0)

/* Life of a registered bdev. */
enum bdev_state {
	BDEV_STATE_REGISTERED = 0, /* visible, opens allowed */
	BDEV_STATE_REMOVING,       /* unregister started: opens refused, waiting for descriptors */
	BDEV_STATE_DESTRUCTING,    /* descriptors closed: waiting for channels, then destruct */
};

struct bdev_alias {
	TAILQ_ENTRY(bdev_alias) link;
	char name[];
};

struct bdev_internal {
	struct sio_bdev *bdev;
	TAILQ_ENTRY(bdev_internal) link;        /* g_bdevs, under g_bdev_mutex */
	TAILQ_HEAD(, bdev_alias) aliases;       /* under g_bdev_mutex */
	TAILQ_HEAD(, sio_bdev_desc) descs;      /* open descriptors, under g_bdev_mutex */
	enum bdev_state state;                  /* under g_bdev_mutex */
	uint32_t write_opens;                   /* writable descriptors open */
	struct sio_bdev_module *claim_module;   /* under g_bdev_mutex */
	uint32_t supported_mask;                /* 1 << sio_bdev_io_type, fixed at register */
	size_t io_size;                         /* bytes of one bdev_io incl. driver ctx */
	char uuid_str[37];
	/* Stats of channels already destroyed (under g_bdev_mutex). */
	struct sio_bdev_io_stat retired_stat;
	/* Latency histogram (histogram.c), all under g_bdev_mutex: the
	 * configuration new channels take, its generation (bumped by every
	 * enable/disable) and what channels of that generation left behind. */
	struct sio_bdev_histogram_opts hist_opts;
	bool hist_on;
	uint64_t hist_gen;
	struct bdev_hist *hist_retired;
	/* Resets (reset.c), all under g_bdev_mutex. */
	struct bdev_reset *reset_active;        /* the reset being run; NULL when none */
	struct bdev_reset *reset_head, *reset_tail; /* waiting their turn, in submission order */
	bool reset_frozen;                      /* a reset holds the bdev: new channels start frozen */
	/* Unregistration: who asked, where to report. */
	struct sio_thread *unregister_thread;
	sio_done_cb unregister_cb;
	void *unregister_arg;
};

struct sio_bdev_desc {
	struct sio_bdev *bdev;
	struct sio_thread *thread;              /* opener: events and close happen here */
	sio_bdev_event_cb event_cb;
	void *event_ctx;
	bool write;
	/* Set (relaxed atomic) when unregistration starts; read on the I/O path. */
	bool removed;
	bool closed;                            /* closed while event messages were in flight */
	uint32_t pending_events;                /* event messages not yet run, under g_bdev_mutex */
	TAILQ_ENTRY(sio_bdev_desc) link;
};

/* Flags of sio_bdev_io.internal.flags. */
enum {
	BDEV_IO_F_INFLIGHT = 1u << 0, /* handed out, not yet completed (catches double completion) */
	BDEV_IO_F_CHILD = 1u << 1,    /* a piece of a split: no stats, cb is the parent's */
	BDEV_IO_F_PARENT = 1u << 2,   /* a split parent: never reaches the module */
	BDEV_IO_F_BOUNCE = 1u << 3,   /* data goes through internal.bounce_buf */
	BDEV_IO_F_SPLITTING = 1u << 4,/* parent is inside bdev_split_continue() */
	BDEV_IO_F_IN_SUBMIT = 1u << 5,/* parent's submit call has not returned yet */
	BDEV_IO_F_FWD = 1u << 6,      /* forwarded: in the base module of internal.fwd.ch */
};

/*
 * The bdev layer's context in every channel of a bdev (the bdev is the
 * io_device). Hot fields first. Touched only by the channel's thread.
 */
struct bdev_channel {
	struct sio_bdev_io *free_list;          /* LIFO: the last freed bdev_io is the warmest */
	void (*submit)(struct sio_io_channel *ch, struct sio_bdev_io *io);
	struct sio_io_channel *module_ch;
	struct sio_bdev *bdev;
	struct sio_thread *thread;
	/*
	 * The types submit accepts right now: the bdev's supported types, or 0
	 * while a reset freezes the channel. Folding the freeze into the word
	 * the submit path tests anyway keeps it off the fast path; the refusal
	 * path tells "frozen" from "unsupported" by @frozen.
	 */
	uint32_t supported_mask;
	bool tsc;                               /* sio_ticks_are_tsc(): bdev_ticks() reads the TSC */
	uint32_t align_mask;                    /* buf_align - 1; 0 when any alignment will do */
	uint32_t max_transfer;                  /* blocks, 0 = unlimited */
	uint32_t boundary;                      /* blocks, 0 = do not split on boundaries */
	bool needs_split;                       /* max_transfer or boundary set */
	size_t io_size;                         /* bytes of each bdev_io (bdev_internal.io_size) */
	bool kicking;                           /* inside bdev_channel_kick() */
	uint32_t cache_size;
	uint32_t free_count;
	uint32_t split_parents;                 /* parents in flight; capped to avoid deadlock */
	struct sio_bdev_io_wait_entry *wait_head, *wait_tail;
	struct sio_bdev_io *retry_head, *retry_tail; /* split parents waiting for a child */
	bool frozen;                            /* a reset is in progress on the bdev */
	bool cancel_pending;                    /* bdev_cancel_drain_msg() is queued */
	struct sio_bdev_io *cancel_head, *cancel_tail; /* submitted while frozen, to end -ECANCELED */
	struct sio_io_channel *ch;
	void *io_mem;
	/* Latency histogram, NULL while off: the one test on the I/O path. */
	struct bdev_hist *hist;
	struct sio_bdev_io_stat stat;
};

/* Registry (registry.c). */
extern pthread_mutex_t g_bdev_mutex;
extern struct sio_bdev_opts g_bdev_opts;
extern struct sio_bdev_module *const sio_bdev_module_table[];
struct sio_bdev *bdev_lookup_locked(const char *name);
void bdev_unregister_continue(void *bdev); /* a sio_msg_fn */

/* Modules of the generated table (subsystem.c); tests call these without the app. */
int bdev_modules_init(void);
void bdev_modules_fini(void);

/* Channels (channel.c). */
int bdev_channel_create(void *io_device, void *ctx);
void bdev_channel_destroy(void *io_device, void *ctx);
void bdev_channel_kick(struct bdev_channel *bch);

/* I/O (io.c). */
void bdev_split_continue(struct bdev_channel *bch, struct sio_bdev_io *parent);
/* End a split parent waiting in the retry queue (outstanding == 0) with @status. */
void bdev_split_abort(struct sio_bdev_io *parent, int status);

/* Resets (reset.c). Channel freeze state changes only on the channel's thread. */
struct bdev_reset;
void bdev_channel_freeze(struct bdev_channel *bch);
void bdev_channel_unfreeze(struct bdev_channel *bch);
/* A submission on a frozen channel: complete @io with -ECANCELED by message. */
int bdev_cancel_later(struct bdev_channel *bch, struct sio_bdev_io *io);

/* Histograms (histogram.c). One per channel while enabled, touched only by
 * its thread; a bdev's histogram is their sum, gathered on their threads. */
struct bdev_hist {
	uint32_t granularity;
	uint32_t min_range;
	uint32_t max_range;
	enum sio_bdev_io_type io_type;  /* SIO_BDEV_IO_TYPE_INVALID: every type */
	uint64_t gen;                   /* bdev_internal.hist_gen it was made for */
	uint64_t count;
	uint64_t sum;
	size_t n;
	uint64_t b[];
};
/* Record @lat ticks of an I/O of @type (out of line: only runs when enabled). */
void bdev_hist_tally(struct bdev_hist *h, enum sio_bdev_io_type type, uint64_t lat);
/* Channel create/destroy: take the bdev's current configuration / hand the data back. */
int bdev_channel_hist_init(struct sio_bdev *bdev, struct bdev_channel *bch);
void bdev_channel_hist_fini(struct sio_bdev *bdev, struct bdev_channel *bch);
/* Bdev teardown: free what retired channels left (the bdev is gone). */
void bdev_hist_free_retired(struct bdev_internal *in);

/* Stats (stats.c). */
void bdev_stat_init(struct sio_bdev_io_stat *s);
void bdev_stat_add(struct sio_bdev_io_stat *to, const struct sio_bdev_io_stat *from);
void bdev_stat_reset(struct sio_bdev_io_stat *s, enum sio_bdev_reset_stat_mode mode);
/* Turn internal sentinels (min = UINT64_MAX while nothing completed) into 0. */
void bdev_stat_export(struct sio_bdev_io_stat *s);

/*
 * sio_get_ticks() without the call, for the two latency reads of every I/O:
 * when the tick clock is the TSC (sio_ticks_are_tsc()), reading the TSC here
 * gives the same value. Saves ~8 instructions per read.
 */
static inline uint64_t bdev_ticks(const struct bdev_channel *bch)
{
#if BDEV_HAVE_TSC
	if (bdev_likely(bch->tsc))
		return __rdtsc();
#endif
	return sio_get_ticks();
}

static inline struct bdev_channel *bdev_ch(struct sio_io_channel *ch)
{
	return (struct bdev_channel *)sio_io_channel_get_ctx(ch);
}

/* Take @io, the head of @bch's free list (checked non-empty by the caller). */
static inline void bdev_io_take(struct bdev_channel *bch, struct sio_bdev_io *io)
{
	bch->free_list = io->internal.next;
	bch->free_count--;
}

/* Give @io back to @bch's free list, at the head: the next taken is the warmest. */
static inline void bdev_io_put(struct bdev_channel *bch, struct sio_bdev_io *io)
{
	io->internal.flags = 0;
	io->internal.next = bch->free_list;
	bch->free_list = io;
	bch->free_count++;
}

static inline bool bdev_type_writes(enum sio_bdev_io_type type)
{
	return type == SIO_BDEV_IO_TYPE_WRITE || type == SIO_BDEV_IO_TYPE_UNMAP ||
	       type == SIO_BDEV_IO_TYPE_FLUSH || type == SIO_BDEV_IO_TYPE_RESET ||
	       type == SIO_BDEV_IO_TYPE_WRITE_ZEROES;
}

static inline bool bdev_type_has_data(enum sio_bdev_io_type type)
{
	return type == SIO_BDEV_IO_TYPE_READ || type == SIO_BDEV_IO_TYPE_WRITE ||
	       type == SIO_BDEV_IO_TYPE_COMPARE;
}

#endif /* SIO_BDEV_INTERNAL_H */
