/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvmf layer's object model: target, poll groups, transports,
 * subsystems, namespaces, hosts and listeners (docs/nvmf.md).
 *
 * Ownership and threads. Targets, transports, subsystems and their
 * namespace/host/listener lists belong to the app thread: only it changes
 * them. Each poll group (a sio_thread) keeps its own per-subsystem view
 * (struct nvmf_pg_subsystem: the namespaces with a bdev channel each, the
 * count of commands in flight, the commands held while paused), updated by
 * message when the subsystem starts, pauses, resumes or stops. The data path
 * reads only its poll group's view, so it takes no lock. What a Connect on a
 * poll group must read of the subsystem (its state, the host list, the
 * controllers) sits behind the subsystem's mutex: Connect is rare.
 */
#ifndef SIO_NVMF_INTERNAL_H
#define SIO_NVMF_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "spdk_io/bdev.h"
#include "spdk_io/log.h"
#include "spdk_io/nvmf.h"
#include "spdk_io/thread.h"

#define NVMF_LOG "nvmf"

/* glibc's sys/queue.h has no _SAFE iteration. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                         \
	for ((var) = TAILQ_FIRST(head); (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1); \
	     (var) = (tvar))
#endif

/* Transports a target can hold at once (one per type). */
#define NVMF_MAX_TRANSPORTS 4
/* Highest NSID when max_namespaces is 0 ("unlimited"). */
#define NVMF_DEFAULT_MAX_NAMESPACES 1024
/* Changed-namespace notices remembered per subsystem (the log page holds 1024 NSIDs). */
#define NVMF_NS_CHANGE_RING 1024
/* Highest controller ID the spec allows for dynamic controllers. */
#define NVMF_MAX_CNTLID 0xffef

struct nvmf_poll_group;
struct nvmf_qpair;
struct nvmf_ctrlr;
struct nvmf_transport_ops;

/* A listen address as kept by the target (strings copied, port resolved). */
struct nvmf_trid {
	char trtype[8];   /* "TCP" */
	char adrfam[8];   /* "IPv4" / "IPv6" */
	char traddr[64];  /* numeric address */
	char trsvcid[32]; /* port as given ("0" asks the kernel for one) */
	int port;         /* the port really listened on */
};

/* One listen socket of a transport, shared by the subsystems using it. */
struct nvmf_transport_listener {
	struct nvmf_trid trid;
	uint32_t refs;  /* subsystem listeners using it */
	bool secure;    /* TLS (secure_channel) */
	void *priv;     /* the transport's (its listen socket) */
	TAILQ_ENTRY(nvmf_transport_listener) link;
};

struct sio_nvmf_transport {
	const struct nvmf_transport_ops *ops;
	struct sio_nvmf_tgt *tgt;
	struct sio_nvmf_transport_opts opts;
	TAILQ_HEAD(, nvmf_transport_listener) listeners;
	void *priv; /* the transport's own state */
};

/*
 * A transport type. Every call is on the thread named; a transport never
 * names the controller code's internals other than through nvmf_ctrlr.h.
 */
struct nvmf_transport_ops {
	const char *name; /* "TCP" */
	void (*opts_init)(struct sio_nvmf_transport_opts *opts);
	/* App thread: set up t->priv. */
	int (*create)(struct sio_nvmf_transport *t);
	/* App thread, after every poll group dropped its part. */
	void (*destroy)(struct sio_nvmf_transport *t);
	/* App thread: listen at @l->trid (fill l->trid.port and l->priv). */
	int (*listen)(struct sio_nvmf_transport *t, struct nvmf_transport_listener *l);
	void (*stop_listen)(struct sio_nvmf_transport *t, struct nvmf_transport_listener *l);
	/* Poll group thread: its per-group state (connections). */
	int (*pg_create)(struct sio_nvmf_transport *t, struct nvmf_poll_group *pg, void **tpg);
	/* Poll group thread: every connection of the group is closed first. */
	void (*pg_destroy)(void *tpg);
	/* Poll group thread: close every connection of the group now. */
	void (*pg_disconnect_all)(void *tpg);
	/* Write the RPC's per-group statistics of the transport. */
	void (*pg_dump_stats)(void *tpg, void *json_obj);
};

/* Transport types compiled in (tcp.c), looked up by name. */
extern const struct nvmf_transport_ops nvmf_tcp_ops;
const struct nvmf_transport_ops *nvmf_transport_ops_find(const char *trtype);

/* ------------------------------------------------------------------------ */
/* Poll groups                                                              */
/* ------------------------------------------------------------------------ */

/* A namespace as one poll group sees it. */
struct nvmf_pg_ns {
	struct sio_nvmf_ns *ns;     /* NULL: no namespace at this NSID here */
	struct sio_io_channel *ch;  /* this thread's bdev channel */
};

/* States of a subsystem in one poll group. */
enum nvmf_pg_ss_state {
	NVMF_PG_SS_INACTIVE = 0, /* not started here: commands fail */
	NVMF_PG_SS_ACTIVE,       /* commands run */
	NVMF_PG_SS_PAUSING,      /* commands held; waiting for in-flight ones to drain */
	NVMF_PG_SS_PAUSED,       /* commands held */
};

struct nvmf_req;
TAILQ_HEAD(nvmf_req_list, nvmf_req);

/* A subsystem as one poll group sees it (pg->sgroups[ss->id]). */
struct nvmf_pg_subsystem {
	enum nvmf_pg_ss_state state;
	uint32_t num_ns;            /* entries of ns[] (the subsystem's max NSID at sync) */
	struct nvmf_pg_ns *ns;      /* by NSID - 1 */
	uint64_t io_outstanding;    /* commands of this subsystem in flight here */
	struct nvmf_req_list held;  /* commands that arrived while pausing/paused */
	struct nvmf_pg_each *pause_it; /* pausing: continue this walk at 0 in flight */
};

struct nvmf_pg_stats {
	uint64_t admin_qpairs;         /* connected since start */
	uint64_t io_qpairs;
	uint32_t current_admin_qpairs;
	uint32_t current_io_qpairs;
	uint64_t pending_bdev_io;      /* waiting for a free bdev_io right now */
	uint64_t completed_nvme_io;
};

struct nvmf_poll_group {
	struct sio_nvmf_tgt *tgt;
	uint32_t index;
	struct sio_thread *thread;
	bool own_thread;            /* created by the target (else the app thread runs it) */
	struct sio_poller *timer;   /* keep-alive expiry, every 100 ms */
	void *tpg[NVMF_MAX_TRANSPORTS]; /* per transport (same index as tgt->transports) */
	uint32_t num_sgroups;
	struct nvmf_pg_subsystem *sgroups; /* by subsystem id */
	TAILQ_HEAD(, nvmf_qpair) qpairs;
	struct nvmf_pg_stats stats;
	char name[32];
};

/* ------------------------------------------------------------------------ */
/* Target                                                                   */
/* ------------------------------------------------------------------------ */

struct sio_nvmf_tgt {
	char name[64];
	/*
	 * Guards subsystems[] slots and every subsystem's listener list against
	 * poll groups reading them (Connect's lookup, the discovery log); the
	 * app thread takes it only to change them.
	 */
	pthread_mutex_t mutex;
	struct sio_nvmf_tgt_opts opts;
	struct sio_thread *app_thread;
	struct sio_nvmf_transport *transports[NVMF_MAX_TRANSPORTS];
	uint32_t num_poll_groups;
	struct nvmf_poll_group **pgs;
	uint32_t next_pg;              /* round robin for new connections (atomic) */
	struct sio_nvmf_subsystem **subsystems; /* by id, max_subsystems slots */
	uint32_t max_subsystems;
	uint32_t num_subsystems;
	struct sio_nvmf_subsystem *discovery;
	uint64_t discovery_genctr;     /* bumped on every listener/subsystem change (atomic) */
	bool destroying;
	TAILQ_ENTRY(sio_nvmf_tgt) link;
};

/* Next poll group for a new connection (any thread). */
struct nvmf_poll_group *nvmf_tgt_next_pg(struct sio_nvmf_tgt *tgt);

/*
 * Run @fn on every poll group's thread, one after another, then @done on the
 * app thread with the first non-zero rc. @fn returns 0, an errno, or
 * NVMF_PG_ASYNC after arranging to call nvmf_pg_each_continue() later.
 */
#define NVMF_PG_ASYNC 1
struct nvmf_pg_each;
int nvmf_pg_each(struct sio_nvmf_tgt *tgt, int (*fn)(struct nvmf_poll_group *pg, void *ctx,
						      struct nvmf_pg_each *it),
		 void *ctx, sio_done_cb done, void *done_arg);
void nvmf_pg_each_continue(struct nvmf_pg_each *it, int rc);

/* ------------------------------------------------------------------------ */
/* Subsystems                                                               */
/* ------------------------------------------------------------------------ */

struct nvmf_pg_each;

struct sio_nvmf_ns {
	struct sio_nvmf_subsystem *ss;
	uint32_t nsid;
	struct sio_bdev_desc *desc;  /* opened on the app thread */
	struct sio_bdev *bdev;
	char bdev_name[128];
	uint8_t uuid[16];
	uint8_t nguid[16];
	uint8_t eui64[8];
	bool has_nguid;              /* given (else the UUID's bytes are reported) */
	bool has_eui64;
	bool removing;               /* the bdev is going: remove the namespace */
	struct sio_poller *retry;    /* hot-remove waiting for another state change to end */
	TAILQ_ENTRY(sio_nvmf_ns) rlink; /* ss->removed_ns */
};

struct sio_key;

struct sio_key;

struct nvmf_host {
	char nqn[SIO_NVMF_NQN_MAX_LEN + 1];
	/* DH-HMAC-CHAP keys (keyring references) or NULL; under ss->mutex */
	struct sio_key *dhchap_key;
	struct sio_key *dhchap_ctrlr_key;
	struct sio_key *tls_psk;      /* TLS PSK (keyring reference) or NULL; under ss->mutex */
	TAILQ_ENTRY(nvmf_host) link;
};

struct nvmf_ss_listener {
	struct nvmf_transport_listener *tl;
	struct sio_nvmf_transport *transport;
	TAILQ_ENTRY(nvmf_ss_listener) link;
};

enum nvmf_subtype {
	NVMF_SUBTYPE_DISCOVERY = 1, /* Discovery log page SUBTYPE values */
	NVMF_SUBTYPE_NVME = 2,
};

struct sio_nvmf_subsystem {
	struct sio_nvmf_tgt *tgt;
	uint32_t id;                      /* index in tgt->subsystems and pg->sgroups */
	enum nvmf_subtype subtype;
	char nqn[SIO_NVMF_NQN_MAX_LEN + 1];
	char sn[SIO_NVMF_SN_MAX_LEN + 1];
	char mn[SIO_NVMF_MN_MAX_LEN + 1];
	struct sio_nvmf_subsystem_opts opts;
	uint32_t max_nsid;                /* max_namespaces or the default */
	struct sio_nvmf_ns **ns;          /* by NSID - 1, max_nsid slots (app thread) */
	uint32_t num_ns;
	TAILQ_HEAD(, nvmf_ss_listener) listeners;
	enum sio_nvmf_subsystem_state state;
	bool destroying;
	struct sio_poller *destroy_poller;
	TAILQ_HEAD(, sio_nvmf_ns) removed_ns; /* removed while paused: closed at resume/stop */
	uint32_t pending_changes;         /* NSIDs changed, not yet published */
	uint32_t pending_nsids[NVMF_NS_CHANGE_RING];

	/* Read by Connect on poll groups: behind mutex. */
	pthread_mutex_t mutex;
	bool allow_any_host;
	bool accepting;                   /* Connects accepted (active or paused) */
	TAILQ_HEAD(, nvmf_host) hosts;
	TAILQ_HEAD(, nvmf_ctrlr) ctrlrs;
	uint16_t next_cntlid;
	uint64_t ns_change_gen;           /* notices published so far */
	uint32_t ns_change_log[NVMF_NS_CHANGE_RING];     /* NSID of notice g at [g % 1024] */
};

int nvmf_subsystem_create(struct sio_nvmf_tgt *tgt, const char *nqn, enum nvmf_subtype subtype,
			  const struct sio_nvmf_subsystem_opts *opts,
			  struct sio_nvmf_subsystem **out);
/* Destroy any subsystem, discovery included (target teardown). */
int nvmf_subsystem_destroy(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg);
/* Ask the controllers of @hostnqn (NULL: all) to disconnect; returns how many. */
int nvmf_subsystem_disconnect_ctrlrs(struct sio_nvmf_subsystem *ss, const char *hostnqn);
void nvmf_ss_listener_remove(struct sio_nvmf_subsystem *ss, struct nvmf_ss_listener *l);
void nvmf_subsystem_foreach_host(struct sio_nvmf_subsystem *ss,
				 void (*fn)(const char *nqn, void *ctx), void *ctx);
/* The walk's @ctx (the subsystem for state changes). */
void *nvmf_pg_each_ctx(struct nvmf_pg_each *it);

/* Lowest active NSID above @prev in a poll group view (0 past the last). */
struct sio_nvmf_ns *nvmf_subsystem_ns(struct sio_nvmf_subsystem *ss, uint32_t nsid);

/*
 * TLS PSK of a connecting host, for the TCP transport's handshake (any
 * thread): the TLS PSK for PSK identity @identity when it names a host of
 * a subsystem of @tgt that has a TLS key; @out takes up to 48 bytes.
 * Return: its length; -ENOENT (unknown subsystem/host, or no key); -EINVAL.
 */
int nvmf_tgt_tls_psk(struct sio_nvmf_tgt *tgt, const char *identity, uint8_t *out, size_t len);

/*
 * DH-HMAC-CHAP keys of host @hostnqn on @ss, with a reference each (NULL: none),
 * for Connect; the caller holds ss->mutex.
 */
void nvmf_subsystem_host_dhchap_keys_locked(struct sio_nvmf_subsystem *ss, const char *hostnqn,
					    struct sio_key **key, struct sio_key **ctrlr_key);
/* Drop a host entry's DH-HMAC-CHAP keys (host removal). */
void nvmf_host_put_dhchap(struct nvmf_host *h);

/*
 * Whether @qp's connection came in through one of @ss's listeners (a Connect
 * on another subsystem's listener is refused, as SPDK does); the discovery
 * subsystem takes Connects on every listener. Caller holds tgt->mutex (the
 * listener lists). @laddr/@lport (may be NULL) get the connection's local end.
 */
bool nvmf_subsystem_listener_allowed_locked(struct sio_nvmf_subsystem *ss, struct nvmf_qpair *qp,
					    char *laddr, size_t llen, uint16_t *lport);

/* Called by the controller code when a controller ends (any thread). */
void nvmf_subsystem_remove_ctrlr(struct sio_nvmf_subsystem *ss, struct nvmf_ctrlr *ctrlr);

/* NQN syntax check (nvmf.h's rules). */
bool nvmf_nqn_is_valid(const char *nqn);

/* Parse 32 (NGUID) or 16 (EUI-64) hex digits, dashes allowed. */
int nvmf_parse_hex_id(const char *s, uint8_t *out, size_t len);

/* The targets, in creation order (app thread). */
struct sio_nvmf_tgt *nvmf_tgt_first(void);
struct sio_nvmf_tgt *nvmf_tgt_next(struct sio_nvmf_tgt *prev);

/* Fill @trid from a public address; -EINVAL for malformed parts. */
int nvmf_trid_from_addr(struct nvmf_trid *trid, const struct sio_nvmf_listen_addr *addr);
bool nvmf_trid_equal(const struct nvmf_trid *a, const struct nvmf_trid *b);
/*
 * Whether a connection whose local end is @laddr:@lport came in through a
 * listener at @t (same port; same address, or @t is the wildcard address of
 * that family). Addresses compare as numbers, so "::1" and "0::1" are one.
 */
bool nvmf_trid_has_local(const struct nvmf_trid *t, const char *laddr, uint16_t lport);

#endif /* SIO_NVMF_INTERNAL_H */
