/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file nvmf.h
 * The NVMe-over-Fabrics target: export bdevs as NVMe namespaces to hosts
 * that connect over NVMe/TCP (the seed's NvmfTarget, NvmfTransport,
 * NvmfSubsystem). The same objects are driven by SPDK's RPC methods
 * (nvmf_create_transport, nvmf_create_subsystem, ...) and its JSON config.
 *
 * Object model:
 *
 * - a target (struct sio_nvmf_tgt) holds transports, subsystems and one poll
 *   group per reactor core (a sio_thread of its own, placed by the app's
 *   scheduler); new connections are spread across the poll groups;
 * - a transport (TCP) listens on the addresses that subsystems add;
 * - a subsystem (an NQN) has a serial and model number, a list of hosts
 *   allowed to connect (or "any host"), listeners and namespaces; each
 *   namespace is a bdev opened by the target, with an NSID and the bdev's
 *   UUID (NGUID and EUI-64 when given). The discovery subsystem
 *   (SIO_NVMF_DISCOVERY_NQN) exists in every target and reports every
 *   listener of every subsystem the connecting host may use.
 *
 * Threads: every call here is made on the app thread (sio_thread_get_app_thread())
 * unless its comment says otherwise; the target's data path runs on its poll
 * group threads. Changes to a subsystem that poll groups use (namespaces,
 * state) go through a pause: the subsystem's poll-group copies stop taking
 * new commands, in-flight ones drain, the change is applied, and they resume.
 * Asynchronous steps come in a callback form (@cb runs once, on the calling
 * thread, never from inside the call) and an awaitable form (inside a task).
 */
#ifndef SPDK_IO_NVMF_H
#define SPDK_IO_NVMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/async.h"
#include "spdk_io/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sio_nvmf_tgt;
struct sio_nvmf_transport;
struct sio_nvmf_subsystem;

/* SIO_NVMF_DISCOVERY_NQN and SIO_NVMF_NQN_MAX_LEN come from nvme_spec.h. */
/** Name of the target the RPC methods use when no tgt_name is given (SPDK's). */
#define SIO_NVMF_DEFAULT_TGT_NAME "nvmf_tgt"
/** Length of a serial number in Identify Controller (bytes, space padded). */
#define SIO_NVMF_SN_MAX_LEN 20
/** Length of a model number in Identify Controller (bytes, space padded). */
#define SIO_NVMF_MN_MAX_LEN 40

/* ------------------------------------------------------------------------ */
/* Target                                                                   */
/* ------------------------------------------------------------------------ */

/** Options of sio_nvmf_tgt_create(). */
struct sio_nvmf_tgt_opts {
	size_t opts_size;        /**< set by sio_nvmf_tgt_opts_init() */
	const char *name;        /**< default SIO_NVMF_DEFAULT_TGT_NAME; copied */
	uint32_t max_subsystems; /**< subsystems, discovery included; default 1024 */
	/**
	 * Poll groups (threads) to create; 0 (the default) means one per
	 * reactor core of the running app, or 1 without an app (then whoever
	 * drives the library polls the threads named "nvmf_pg_<i>").
	 */
	uint32_t num_poll_groups;
	/**
	 * SPDK's --interrupt-mode; accepted and kept. The poll groups sleep on
	 * their thread's interrupt fd while no connection has work whatever it
	 * says (each group's sockets announce work through an fd, and the
	 * malloc/null channel poller is paused while it has nothing queued);
	 * what can still keep a group awake is a bdev module whose channel
	 * poller stays active (docs/nvmf.md). Default false.
	 */
	bool interrupt_mode;
};

/**
 * sio_nvmf_tgt_opts_init() - Fill @opts with the defaults of struct sio_nvmf_tgt_opts.
 * @opts_size: sizeof(*opts) as the caller was compiled with; nothing is
 * written when @opts is NULL or too small to hold opts_size.
 * Context: any thread.
 */
void sio_nvmf_tgt_opts_init(struct sio_nvmf_tgt_opts *opts, size_t opts_size);

/**
 * sio_nvmf_tgt_create() - Create a target with its discovery subsystem and
 * poll groups. The target serves nothing until a transport, a subsystem and
 * a listener are added.
 * @opts: NULL for defaults.
 * @out: set to the target.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @out, bad opts_size, empty or over-long name,
 * max_subsystems 0); -EEXIST (a target of that name exists); -EPERM (not on
 * a sio_thread); -ENOMEM.
 */
int sio_nvmf_tgt_create(const struct sio_nvmf_tgt_opts *opts, struct sio_nvmf_tgt **out);

/**
 * sio_nvmf_tgt_destroy() - Disconnect every host, stop every subsystem and
 * listener, close every namespace, stop the poll groups and free the target.
 * @cb: runs once on the calling thread when everything is released.
 * Context: the app thread.
 * Return: 0 (started); -EINVAL (NULL @tgt); -EALREADY (already being destroyed).
 */
int sio_nvmf_tgt_destroy(struct sio_nvmf_tgt *tgt, sio_done_cb cb, void *cb_arg);

/** sio_nvmf_tgt_destroy_await() - Awaitable form of sio_nvmf_tgt_destroy(). */
static inline int sio_nvmf_tgt_destroy_await(struct sio_nvmf_tgt *tgt)
{
	return SIO_AWAIT_CALL(sio_nvmf_tgt_destroy, tgt);
}

/**
 * sio_nvmf_get_tgt() - Find a target by name; NULL @name gives the default
 * one (SIO_NVMF_DEFAULT_TGT_NAME, or the only target when there is one).
 * Context: the app thread.
 * Return: the target or NULL.
 */
struct sio_nvmf_tgt *sio_nvmf_get_tgt(const char *name);

/** sio_nvmf_tgt_get_name() - The target's name. Context: any thread while it lives. */
const char *sio_nvmf_tgt_get_name(const struct sio_nvmf_tgt *tgt);

/** sio_nvmf_tgt_get_poll_group_count() - Its number of poll groups. Context: any thread. */
uint32_t sio_nvmf_tgt_get_poll_group_count(const struct sio_nvmf_tgt *tgt);

/* ------------------------------------------------------------------------ */
/* Transports                                                               */
/* ------------------------------------------------------------------------ */

/**
 * Options of a transport, by SPDK's nvmf_create_transport names. Those
 * marked "reported" are kept and shown by nvmf_get_transports but change
 * nothing in this implementation (there is no shared buffer pool: data goes
 * straight between the socket and the bdev's buffers).
 */
struct sio_nvmf_transport_opts {
	size_t opts_size;               /**< set by sio_nvmf_transport_opts_init() */
	uint16_t max_queue_depth;       /**< entries of an I/O queue; default 128 */
	uint16_t max_qpairs_per_ctrlr;  /**< admin + I/O queues per controller; default 128 */
	uint32_t in_capsule_data_size;  /**< bytes of write data carried in the command capsule; default 4096 */
	uint32_t max_io_size;           /**< largest transfer (gives MDTS), power of two >= 4096; default 131072 */
	uint32_t io_unit_size;          /**< reported; default 131072 */
	uint32_t max_aq_depth;          /**< entries of the admin queue; default 128 */
	uint32_t num_shared_buffers;    /**< reported; default 511 */
	uint32_t buf_cache_size;        /**< reported; default 32 */
	bool c2h_success;               /**< last C2HData carries SUCCESS, no CapsuleResp follows; default true */
	uint32_t sock_priority;         /**< SO_PRIORITY of connections (0..6); default 0 */
	int32_t acceptor_backlog;       /**< listen(2) backlog; default 100 */
	uint32_t abort_timeout_sec;     /**< reported; default 1 */
	uint16_t kas;                   /**< Keep Alive granularity in 100 ms units (Identify KAS); default 10 */
	uint32_t min_kato;              /**< smallest keep-alive timeout accepted, ms; default 10000 */
	bool zcopy;                     /**< reported; default false */
	bool dif_insert_or_strip;       /**< reported; default false */
	uint16_t control_msg_num;       /**< reported; default 32 */
	uint32_t acceptor_poll_rate;    /**< microseconds between accept polls; default 10000 */
};

/**
 * sio_nvmf_transport_opts_init() - Fill @opts with the defaults of @trtype.
 * @trtype: "TCP" (case-insensitive).
 * Context: any thread.
 * Return: 0; -EINVAL (NULL or too-small opts); -ENOTSUP (no such transport type).
 */
int sio_nvmf_transport_opts_init(const char *trtype, struct sio_nvmf_transport_opts *opts,
				 size_t opts_size);

/**
 * sio_nvmf_tgt_add_transport() - Create a transport of type @trtype in @tgt.
 * @opts: NULL for the defaults.
 * @out: optional, set to the transport.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @tgt, bad opts_size, out-of-range values:
 * max_queue_depth or max_aq_depth outside 2..4096, max_qpairs_per_ctrlr < 2,
 * max_io_size not a power of two >= 4096, in_capsule_data_size over
 * max_io_size or not a multiple of 16, sock_priority > 6); -ENOTSUP (no such
 * transport type); -EEXIST (the target already has one of that type); -ENOMEM.
 */
int sio_nvmf_tgt_add_transport(struct sio_nvmf_tgt *tgt, const char *trtype,
			       const struct sio_nvmf_transport_opts *opts,
			       struct sio_nvmf_transport **out);

/** sio_nvmf_tgt_get_transport() - The transport of type @trtype in @tgt, or NULL. Context: the app thread. */
struct sio_nvmf_transport *sio_nvmf_tgt_get_transport(struct sio_nvmf_tgt *tgt,
						      const char *trtype);

/** sio_nvmf_transport_get_opts() - Copy @t's options into @opts (up to @opts_size). Context: any thread. */
void sio_nvmf_transport_get_opts(const struct sio_nvmf_transport *t,
				 struct sio_nvmf_transport_opts *opts, size_t opts_size);

/** sio_nvmf_transport_get_trtype() - "TCP". Context: any thread while @t lives. */
const char *sio_nvmf_transport_get_trtype(const struct sio_nvmf_transport *t);

/* ------------------------------------------------------------------------ */
/* Subsystems                                                               */
/* ------------------------------------------------------------------------ */

/** Options of sio_nvmf_subsystem_create(). */
struct sio_nvmf_subsystem_opts {
	size_t opts_size;          /**< set by sio_nvmf_subsystem_opts_init() */
	const char *serial_number; /**< printable ASCII, <= 20 bytes; default "00000000000000000000" */
	const char *model_number;  /**< printable ASCII, <= 40 bytes; default "spdk-io Controller" */
	uint32_t max_namespaces;   /**< highest NSID (0 = unlimited: 1024); default 0 */
	bool allow_any_host;       /**< any host NQN may connect; default false */
	uint16_t min_cntlid;       /**< lowest controller ID handed out; default 1 */
	uint16_t max_cntlid;       /**< highest controller ID handed out; default 0xffef */
	bool ana_reporting;        /**< reported; default false */
};

/** sio_nvmf_subsystem_opts_init() - Fill @opts with the defaults. Context: any thread. */
void sio_nvmf_subsystem_opts_init(struct sio_nvmf_subsystem_opts *opts, size_t opts_size);

/**
 * sio_nvmf_subsystem_create() - Create an NVM subsystem named @nqn in @tgt,
 * inactive (hosts cannot connect until sio_nvmf_subsystem_start()).
 * @opts: NULL for defaults.
 * @out: optional, set to the subsystem.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL argument, NQN not of the form "nqn.yyyy-mm.<domain>:..."
 * or "nqn.2014-08.org.nvmexpress:uuid:<uuid>" or longer than 223 bytes, serial
 * or model number too long or not printable, min_cntlid > max_cntlid or out
 * of 1..0xffef); -EEXIST (NQN taken); -ENOSPC (max_subsystems reached); -ENOMEM.
 */
int sio_nvmf_subsystem_create(struct sio_nvmf_tgt *tgt, const char *nqn,
			      const struct sio_nvmf_subsystem_opts *opts,
			      struct sio_nvmf_subsystem **out);

/**
 * sio_nvmf_subsystem_destroy() - Stop @ss (disconnecting its hosts), remove
 * its listeners and namespaces and free it.
 * Context: the app thread; @cb runs there.
 * Return: 0 (started); -EINVAL (NULL, or the discovery subsystem); -EALREADY.
 */
int sio_nvmf_subsystem_destroy(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg);

/** sio_nvmf_subsystem_destroy_await() - Awaitable form of sio_nvmf_subsystem_destroy(). */
static inline int sio_nvmf_subsystem_destroy_await(struct sio_nvmf_subsystem *ss)
{
	return SIO_AWAIT_CALL(sio_nvmf_subsystem_destroy, ss);
}

/** sio_nvmf_subsystem_get() - The subsystem named @nqn in @tgt, or NULL. Context: the app thread. */
struct sio_nvmf_subsystem *sio_nvmf_subsystem_get(struct sio_nvmf_tgt *tgt, const char *nqn);

/**
 * sio_nvmf_subsystem_first() - First subsystem of @tgt (the discovery one), or NULL.
 * sio_nvmf_subsystem_next() - The one after @prev, or NULL.
 * Context: the app thread.
 */
struct sio_nvmf_subsystem *sio_nvmf_subsystem_first(struct sio_nvmf_tgt *tgt);
struct sio_nvmf_subsystem *sio_nvmf_subsystem_next(struct sio_nvmf_subsystem *prev);

/** sio_nvmf_subsystem_get_nqn() - Its NQN. Context: any thread while it lives. */
const char *sio_nvmf_subsystem_get_nqn(const struct sio_nvmf_subsystem *ss);
/** sio_nvmf_subsystem_get_sn() - Its serial number. Context: any thread while it lives. */
const char *sio_nvmf_subsystem_get_sn(const struct sio_nvmf_subsystem *ss);
/** sio_nvmf_subsystem_get_mn() - Its model number. Context: any thread while it lives. */
const char *sio_nvmf_subsystem_get_mn(const struct sio_nvmf_subsystem *ss);
/** sio_nvmf_subsystem_is_discovery() - Whether @ss is the discovery subsystem. */
bool sio_nvmf_subsystem_is_discovery(const struct sio_nvmf_subsystem *ss);

/** States of a subsystem. */
enum sio_nvmf_subsystem_state {
	SIO_NVMF_SUBSYSTEM_INACTIVE = 0, /**< created or stopped: Connect refused, no poll group uses it */
	SIO_NVMF_SUBSYSTEM_ACTIVE = 1,   /**< serving hosts */
	SIO_NVMF_SUBSYSTEM_PAUSED = 2,   /**< connections kept, new commands held until resume */
	SIO_NVMF_SUBSYSTEM_CHANGING = 3, /**< a start, stop, pause or resume is under way */
};

/** sio_nvmf_subsystem_get_state() - Its state. Context: the app thread. */
enum sio_nvmf_subsystem_state sio_nvmf_subsystem_get_state(const struct sio_nvmf_subsystem *ss);

/**
 * sio_nvmf_subsystem_start() - Make @ss serve hosts: every poll group takes
 * a copy of its namespaces (a bdev channel each). Inactive -> active.
 * sio_nvmf_subsystem_stop() - Disconnect its hosts and drop the poll
 * groups' copies. Active or paused -> inactive.
 * sio_nvmf_subsystem_pause() - Hold new commands of @ss in every poll group
 * and wait for those in flight to finish. Active -> paused.
 * sio_nvmf_subsystem_resume() - Take the namespaces as they are now (new
 * ones get channels, removed ones are dropped), run the held commands and
 * serve again. Paused -> active.
 * @cb: runs once on the calling thread with the outcome.
 * Context: the app thread.
 * Return: 0 (started); -EINVAL (NULL); -EBUSY (another state change is under
 * way, or @ss is not in the state the call starts from); -ENOMEM.
 */
int sio_nvmf_subsystem_start(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg);
int sio_nvmf_subsystem_stop(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg);
int sio_nvmf_subsystem_pause(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg);
int sio_nvmf_subsystem_resume(struct sio_nvmf_subsystem *ss, sio_done_cb cb, void *cb_arg);

/** sio_nvmf_subsystem_start_await() - Awaitable form of sio_nvmf_subsystem_start(). */
static inline int sio_nvmf_subsystem_start_await(struct sio_nvmf_subsystem *ss)
{
	return SIO_AWAIT_CALL(sio_nvmf_subsystem_start, ss);
}
/** sio_nvmf_subsystem_stop_await() - Awaitable form of sio_nvmf_subsystem_stop(). */
static inline int sio_nvmf_subsystem_stop_await(struct sio_nvmf_subsystem *ss)
{
	return SIO_AWAIT_CALL(sio_nvmf_subsystem_stop, ss);
}
/** sio_nvmf_subsystem_pause_await() - Awaitable form of sio_nvmf_subsystem_pause(). */
static inline int sio_nvmf_subsystem_pause_await(struct sio_nvmf_subsystem *ss)
{
	return SIO_AWAIT_CALL(sio_nvmf_subsystem_pause, ss);
}
/** sio_nvmf_subsystem_resume_await() - Awaitable form of sio_nvmf_subsystem_resume(). */
static inline int sio_nvmf_subsystem_resume_await(struct sio_nvmf_subsystem *ss)
{
	return SIO_AWAIT_CALL(sio_nvmf_subsystem_resume, ss);
}

/* Hosts ------------------------------------------------------------------ */

/**
 * sio_nvmf_subsystem_set_allow_any_host() - Let any host connect, or only
 * those of the host list. Connections already made are kept.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL, or the discovery subsystem, which allows any host).
 */
int sio_nvmf_subsystem_set_allow_any_host(struct sio_nvmf_subsystem *ss, bool allow);

/** sio_nvmf_subsystem_get_allow_any_host() - Whether any host may connect. Context: any thread. */
bool sio_nvmf_subsystem_get_allow_any_host(const struct sio_nvmf_subsystem *ss);

/**
 * sio_nvmf_subsystem_add_host() - Allow host NQN @hostnqn to connect.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL, malformed NQN, discovery subsystem); -EEXIST; -ENOMEM.
 */
int sio_nvmf_subsystem_add_host(struct sio_nvmf_subsystem *ss, const char *hostnqn);

/**
 * sio_nvmf_subsystem_remove_host() - Take @hostnqn off the list and
 * disconnect the controllers it has on @ss.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL); -ENOENT (not on the list).
 */
int sio_nvmf_subsystem_remove_host(struct sio_nvmf_subsystem *ss, const char *hostnqn);

/**
 * sio_nvmf_subsystem_host_allowed() - Whether @hostnqn may connect to @ss.
 * Context: any thread (takes the subsystem's lock).
 */
bool sio_nvmf_subsystem_host_allowed(struct sio_nvmf_subsystem *ss, const char *hostnqn);

/**
 * sio_nvmf_subsystem_host_set_psk() - Give host @hostnqn of @ss the TLS PSK
 * @key_name of the keyring (a `NVMeTLSkey-1:` key: the configured PSK the
 * NVMe/TCP retained and TLS PSKs are derived from), or take it away (NULL).
 * Secure-channel listeners accept this host only with that key; the key is
 * read at each handshake, so removing it from the keyring refuses the host.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @ss or @hostnqn); -ENOENT (no such host on @ss,
 * or no such key); -EKEYREJECTED (the key is not a TLS PSK).
 */
int sio_nvmf_subsystem_host_set_psk(struct sio_nvmf_subsystem *ss, const char *hostnqn,
				    const char *key_name);

/**
 * sio_nvmf_subsystem_host_psk_name() - Name of @hostnqn's TLS PSK key on
 * @ss, copied to @buf (@len bytes), "" when it has none.
 * Context: the app thread. Return: 0; -ENOENT (no such host); -ENOSPC.
 */
int sio_nvmf_subsystem_host_psk_name(struct sio_nvmf_subsystem *ss, const char *hostnqn,
				     char *buf, size_t len);

/**
 * sio_nvmf_subsystem_host_set_dhchap_keys() - Give host @hostnqn of @ss
 * DH-HMAC-CHAP keys of the keyring (`DHHC-1:` secrets): @key_name, the
 * host's (the host must prove it knows it), and @ctrlr_key_name, the
 * controller's (for a host that asks the controller to prove itself,
 * bidirectional authentication), or take them away (NULL, NULL).
 * Queues connecting afterwards use the new keys; a host with a key must
 * authenticate every queue after Connect (the Connect response says so).
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL @ss or @hostnqn, or a controller key without a
 * host key); -ENOENT (no such host on @ss, or no such key);
 * -EKEYREJECTED (a key is not a DH-HMAC-CHAP secret).
 */
int sio_nvmf_subsystem_host_set_dhchap_keys(struct sio_nvmf_subsystem *ss, const char *hostnqn,
					    const char *key_name, const char *ctrlr_key_name);

/**
 * sio_nvmf_subsystem_host_dhchap_key_names() - Names of @hostnqn's
 * DH-HMAC-CHAP keys on @ss ("" for none), @len bytes each.
 * Context: the app thread. Return: 0; -EINVAL; -ENOENT (no such host); -ENOSPC.
 */
int sio_nvmf_subsystem_host_dhchap_key_names(struct sio_nvmf_subsystem *ss, const char *hostnqn,
					     char *key, char *ctrlr_key, size_t len);

/* Namespaces ------------------------------------------------------------- */

/** Options of sio_nvmf_subsystem_add_ns() (SPDK's nvmf_namespace object). */
struct sio_nvmf_ns_opts {
	size_t opts_size;  /**< set by sio_nvmf_ns_opts_init() */
	uint32_t nsid;     /**< 0 (default): the lowest free NSID */
	const char *uuid;  /**< text UUID; NULL (default): the bdev's */
	const char *nguid; /**< 32 hex digits (dashes allowed); NULL (default): from the UUID */
	const char *eui64; /**< 16 hex digits (dashes allowed); NULL (default): none */
};

/** sio_nvmf_ns_opts_init() - Fill @opts with the defaults. Context: any thread. */
void sio_nvmf_ns_opts_init(struct sio_nvmf_ns_opts *opts, size_t opts_size);

/**
 * sio_nvmf_subsystem_add_ns() - Open bdev @bdev_name (read-write) and make
 * it namespace @opts->nsid of @ss. Hosts see it once the subsystem is
 * (re)started or resumed; connected controllers get a namespace-attribute
 * notice (asynchronous event).
 * @nsid: optional, set to the NSID given.
 * Context: the app thread; @ss inactive or paused.
 * Return: 0; -EINVAL (NULL, discovery subsystem, NSID 0xffffffff or above
 * max_namespaces, malformed UUID/NGUID/EUI-64); -EBUSY (@ss active: pause it
 * first); -EEXIST (NSID in use); -ENOSPC (no free NSID); -ENODEV (no such
 * bdev); -EPERM (the bdev is claimed); -ENOMEM.
 */
int sio_nvmf_subsystem_add_ns(struct sio_nvmf_subsystem *ss, const char *bdev_name,
			      const struct sio_nvmf_ns_opts *opts, uint32_t *nsid);

/**
 * sio_nvmf_subsystem_remove_ns() - Remove namespace @nsid from @ss and close
 * its bdev once no poll group uses it any more. Connected controllers get a
 * namespace-attribute notice.
 * Context: the app thread; @ss inactive or paused.
 * Return: 0; -EINVAL (NULL); -EBUSY (@ss active); -ENOENT (no such namespace).
 */
int sio_nvmf_subsystem_remove_ns(struct sio_nvmf_subsystem *ss, uint32_t nsid);

/**
 * sio_nvmf_subsystem_get_ns_bdev() - Name of the bdev behind namespace @nsid,
 * or NULL if there is none. Context: the app thread.
 */
const char *sio_nvmf_subsystem_get_ns_bdev(const struct sio_nvmf_subsystem *ss, uint32_t nsid);

/**
 * sio_nvmf_subsystem_next_nsid() - The lowest active NSID above @prev (0 to
 * start), or 0 past the last. Context: the app thread.
 */
uint32_t sio_nvmf_subsystem_next_nsid(const struct sio_nvmf_subsystem *ss, uint32_t prev);

/* Listeners -------------------------------------------------------------- */

/**
 * A listen address, SPDK's nvmf_listen_address object: transport type
 * ("TCP"), address family ("IPv4" or "IPv6"; NULL: from traddr), numeric
 * address and service (port; NULL: "4420").
 */
struct sio_nvmf_listen_addr {
	const char *trtype;
	const char *adrfam;
	const char *traddr;
	const char *trsvcid;
	/**
	 * NVMe/TCP secure channel: the listener speaks only TLS 1.3 with a
	 * PSK (sock "ssl"), and takes only connections whose PSK identity
	 * names a host of one of its subsystems with that host's key
	 * (sio_nvmf_subsystem_host_set_psk()). A listen address is either
	 * secure or not for every subsystem sharing it.
	 */
	bool secure_channel;
};

/**
 * sio_nvmf_subsystem_add_listener() - Let hosts reach @ss at @addr: the
 * target's transport of that type listens there (once per address, however
 * many subsystems share it) and the discovery log lists the pair.
 * Context: the app thread.
 * Return: 0; -EINVAL (NULL, unknown adrfam, address not numeric, port not a
 * number in 1..65535); -ENOTSUP (the target has no transport of that type);
 * -EEXIST (@ss already listens there); -EADDRINUSE and other errnos of the
 * socket layer's listen; -ENOMEM.
 */
int sio_nvmf_subsystem_add_listener(struct sio_nvmf_subsystem *ss,
				    const struct sio_nvmf_listen_addr *addr);

/**
 * sio_nvmf_subsystem_remove_listener() - Undo sio_nvmf_subsystem_add_listener();
 * the transport stops listening at @addr when no subsystem uses it. The
 * controllers of @ss connected through it are disconnected (as in SPDK: a
 * host with another path moves to it).
 * Context: the app thread.
 * Return: 0; -EINVAL; -ENOENT (@ss does not listen there).
 */
int sio_nvmf_subsystem_remove_listener(struct sio_nvmf_subsystem *ss,
				       const struct sio_nvmf_listen_addr *addr);

/**
 * sio_nvmf_subsystem_listener_port() - The TCP port the transport really listens
 * on for @addr (useful with trsvcid "0": the kernel picks a free port, and
 * the subsystem's listener and discovery entries take that port).
 * Context: the app thread.
 * Return: the port (> 0); -ENOENT (@ss has no such listener).
 */
int sio_nvmf_subsystem_listener_port(struct sio_nvmf_subsystem *ss,
				     const struct sio_nvmf_listen_addr *addr);

struct sio_nvme_transport_id;

/**
 * sio_nvmf_subsystem_add_listener_trid() - sio_nvmf_subsystem_add_listener()
 * from a transport ID (spdk_io/nvme.h, e.g. parsed from SPDK's
 * "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420"); its subnqn and
 * host fields are ignored.
 * Context: the app thread.
 * Return: as sio_nvmf_subsystem_add_listener(); -EINVAL also for a NULL
 * @trid or one without a transport type or address.
 */
int sio_nvmf_subsystem_add_listener_trid(struct sio_nvmf_subsystem *ss,
					 const struct sio_nvme_transport_id *trid);

/**
 * sio_nvmf_subsystem_remove_listener_trid() - sio_nvmf_subsystem_remove_listener()
 * from a transport ID.
 * Context: the app thread.
 * Return: as sio_nvmf_subsystem_remove_listener().
 */
int sio_nvmf_subsystem_remove_listener_trid(struct sio_nvmf_subsystem *ss,
					    const struct sio_nvme_transport_id *trid);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_NVMF_H */
