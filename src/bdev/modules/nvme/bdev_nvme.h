/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev module (SPDK's bdev_nvme): NVMe controllers reached through
 * the host driver (spdk_io/nvme.h), each namespace a bdev "<name>n<nsid>".
 * A name may gather several paths (controllers of one subsystem reached at
 * different listeners): their namespaces form one bdev with one I/O queue
 * pair per thread and path, chosen per I/O by the bdev's multipath policy.
 * Each path follows SPDK's reconnect policy: on a lost connection its I/O
 * moves to another usable path or waits while the controller is reset
 * every reconnect_delay_sec, fails once fast_io_fail_timeout_sec have passed
 * on every path, and the path is deleted after ctrlr_loss_timeout_sec (the
 * bdevs with the last path). Private to the module and its RPC glue.
 */
#ifndef SIO_BDEV_NVME_H
#define SIO_BDEV_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "spdk_io/async.h"
#include "spdk_io/bdev_module.h"
#include "spdk_io/nvme.h"

extern struct sio_bdev_module sio_bdev_module_nvme;

/* Paths one name can gather. */
#define BDEV_NVME_MAX_PATHS 8

/* bdev_nvme_attach_controller's "multipath" (absent is DISABLE, as in SPDK). */
enum bdev_nvme_mp_mode {
	BDEV_NVME_MP_DISABLE = 0,   /* a second path under the name is refused */
	BDEV_NVME_MP_FAILOVER,      /* a standby path: used only when no other path is */
	BDEV_NVME_MP_MULTIPATH,     /* a path the multipath policy uses */
};

enum bdev_nvme_mp_policy {
	BDEV_NVME_MP_POLICY_ACTIVE_PASSIVE = 0,
	BDEV_NVME_MP_POLICY_ACTIVE_ACTIVE,
};

enum bdev_nvme_mp_selector {
	BDEV_NVME_MP_SELECTOR_ROUND_ROBIN = 0,
	BDEV_NVME_MP_SELECTOR_QUEUE_DEPTH,
};

enum bdev_nvme_timeout_action {
	BDEV_NVME_TIMEOUT_ACTION_NONE = 0,
	BDEV_NVME_TIMEOUT_ACTION_RESET,
	BDEV_NVME_TIMEOUT_ACTION_ABORT,
};

/*
 * bdev_nvme_set_options: the module's defaults. Only the fields here have an
 * effect; the RPC accepts SPDK's others and ignores them (docs/nvme.md).
 */
struct bdev_nvme_opts {
	enum bdev_nvme_timeout_action action_on_timeout; /* NONE: no command timeout */
	uint64_t timeout_us;               /* command timeout (abort, then reset); 0: none */
	uint64_t timeout_admin_us;         /* kept for save_config; the driver has one timeout */
	uint32_t keep_alive_timeout_ms;
	uint32_t io_queue_requests;        /* 0: the driver's default */
	int32_t bdev_retry_count;          /* NVMe errors without DNR retried (-1: for ever) */
	int32_t ctrlr_loss_timeout_sec;    /* attach defaults */
	uint32_t reconnect_delay_sec;
	uint32_t fast_io_fail_timeout_sec;
	bool disable_auto_failback;        /* active_passive: stay on the path in use */
	uint32_t tcp_connect_timeout_ms;   /* 0: the driver's default */
	bool io_path_stat;                 /* count I/O per path (get_io_paths' io_path_stat) */
	enum bdev_nvme_mp_policy mp_policy;       /* new bdevs' policy */
	enum bdev_nvme_mp_selector mp_selector;
	uint32_t mp_min_io;
	/* DH-HMAC-CHAP digests / DH groups the controllers offer: bit (1 << id) of
	 * nvme/auth/dhchap.h's ids; default every one (SPDK's default). */
	uint32_t dhchap_digests;
	uint32_t dhchap_dhgroups;
};

/* The module's options (app thread); set through bdev_nvme_set_opts(). */
extern struct bdev_nvme_opts g_bdev_nvme_opts;

/* Context: app thread. Return 0; -EPERM once a controller is attached (as SPDK). */
int bdev_nvme_set_opts(const struct bdev_nvme_opts *opts);

/* What bdev_nvme_attach_controller asks for. */
struct bdev_nvme_attach_opts {
	const char *name;                      /* controller name: bdevs are <name>n<nsid> */
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts ctrlr_opts;
	int32_t ctrlr_loss_timeout_sec;        /* -1: retry for ever; 0: delete at the first failed reset */
	uint32_t reconnect_delay_sec;          /* between reset attempts (0: no retry) */
	uint32_t fast_io_fail_timeout_sec;     /* 0: I/O waits until the controller is deleted */
	uint32_t max_bdevs;                    /* names returned at most (0: no limit) */
	enum bdev_nvme_mp_mode mode;           /* what a second path under @name does */
	/* Namespaces of a command set other than NVM become bdevs too (SPDK's
	 * allow_unrecognized_csi); else they are left out with a notice (once per
	 * namespace). Per path: such a bdev uses only the paths attached with it. */
	bool allow_unrecognized_csi;
};

/*
 * Called once the controller is attached: the bdev names (rc 0), or an
 * error with a message for the RPC's reply (@msg may be NULL).
 */
typedef void (*bdev_nvme_attach_cb)(void *arg, int rc, const char *msg, const char *const *names,
				    size_t count);

/*
 * Context: the app thread. Return 0 (started: @cb runs once, later) or a
 * negative errno: -EINVAL (bad timeouts), -EEXIST (name taken and @mode
 * DISABLE, or this path already attached), -ENOSPC (too many paths),
 * -EBUSY (the name is being deleted), -ENOMEM, the driver's connect errors.
 */
int bdev_nvme_attach(const struct bdev_nvme_attach_opts *opts, bdev_nvme_attach_cb cb, void *arg);

/* bdev_nvme_set_dhchap_keys()'s answer: @msg says which path and queue failed (NULL when rc is 0). */
typedef void (*bdev_nvme_set_keys_cb)(void *cb_arg, int rc, const char *msg);

/*
 * bdev_nvme_set_keys: give every path of controller @name these DH-HMAC-CHAP
 * keys (references taken; NULL clears them) and re-authenticate each path
 * now: its admin queue (sio_nvme_ctrlr_set_dhchap_keys), then, once that
 * succeeded, every connected I/O queue pair of the path in every channel, each
 * on its channel's thread (sio_nvme_qpair_authenticate). I/O goes on
 * meanwhile. Queue pairs connecting or reconnecting authenticate with the new
 * keys when they connect. @cb(@cb_arg, rc, msg) on the app thread once every
 * path answered: 0, or the first error (-EACCES: refused; the refused queue
 * was disconnected, so its controller resets and reconnects with the keys it
 * now has, while the I/O waits as for any lost connection).
 * Context: the app thread. Return 0 or -ENODEV (no such name), -ENOMEM.
 */
int bdev_nvme_set_dhchap_keys(const char *name, struct sio_key *key, struct sio_key *ctrlr_key,
			      bdev_nvme_set_keys_cb cb, void *cb_arg);

/*
 * Detach @name's paths matching @filter (NULL, or fields left empty /
 * NONE, match every path); the bdevs go with the last path. -ENODEV when
 * nothing matches.
 */
int bdev_nvme_detach(const char *name, const struct sio_nvme_transport_id *filter, sio_done_cb cb,
		     void *arg);

/*
 * Reset every path of controller @name now, or only the path whose controller
 * has NVMe controller ID @cntlid (0..65535; -1: every path). -ENODEV: no such
 * name; -ENOENT: no path with that cntlid; -EBUSY: a chosen path is resetting
 * already.
 */
int bdev_nvme_reset(const char *name, int32_t cntlid, sio_done_cb cb, void *arg);

/* bdev_nvme_get_controllers' array: every name with its paths, or @name's (NULL if unknown). */
json_t *bdev_nvme_controllers_json(const char *name);

/*
 * Set bdev @bdev_name's multipath policy. Context: app thread. Return 0;
 * -ENODEV (no such nvme bdev).
 */
int bdev_nvme_set_multipath_policy(const char *bdev_name, enum bdev_nvme_mp_policy policy,
				   enum bdev_nvme_mp_selector selector, uint32_t rr_min_io);

/* bdev_nvme_get_io_paths: @cb gets {"poll_groups": [...]} (owned by it), or NULL and an errno. */
typedef void (*bdev_nvme_json_cb)(void *arg, int rc, json_t *result);
int bdev_nvme_get_io_paths(const char *bdev_name, bdev_nvme_json_cb cb, void *arg);
/* bdev_nvme_get_transport_statistics: @cb gets {"poll_groups": [{"thread", "transports"}]}
 * summed on each thread by message; 0 or -ENOMEM. App thread. */
int bdev_nvme_get_transport_statistics(bdev_nvme_json_cb cb, void *arg);

#endif /* SIO_BDEV_NVME_H */
