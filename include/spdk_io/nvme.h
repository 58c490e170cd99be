/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file nvme.h
 * The NVMe host driver: transport IDs, controllers, namespaces and I/O queue
 * pairs, over NVMe/TCP today (PCIe later, behind the same API). The wire and
 * data structures themselves are in nvme_spec.h; this header is the driver's
 * consumer API. Details and examples in docs/nvme.md.
 */
#ifndef SPDK_IO_NVME_H
#define SPDK_IO_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "spdk_io/async.h"
#include "spdk_io/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Transport IDs                                                            */
/* ------------------------------------------------------------------------ */

/**
 * Transport types. The fabrics values are the NVMe-oF TRTYPE codes (as in the
 * discovery log page); PCIe and vfio-user are outside that code space, with
 * the values SPDK gives them.
 */
enum sio_nvme_transport_type {
	SIO_NVME_TRANSPORT_NONE = 0,        /**< not set */
	SIO_NVME_TRANSPORT_RDMA = 1,        /**< RDMA (parsed, not implemented) */
	SIO_NVME_TRANSPORT_FC = 2,          /**< Fibre Channel (parsed, not implemented) */
	SIO_NVME_TRANSPORT_TCP = 3,         /**< NVMe/TCP */
	SIO_NVME_TRANSPORT_PCIE = 256,      /**< local PCIe controller (VFIO) */
	SIO_NVME_TRANSPORT_VFIOUSER = 1024, /**< vfio-user (parsed, not implemented) */
};

/** Address families: the NVMe-oF ADRFAM codes. */
enum sio_nvme_adrfam {
	SIO_NVME_ADRFAM_NONE = 0,        /**< not set (PCIe) */
	SIO_NVME_ADRFAM_IPV4 = 1,        /**< "IPv4" */
	SIO_NVME_ADRFAM_IPV6 = 2,        /**< "IPv6" */
	SIO_NVME_ADRFAM_IB = 3,          /**< "IB" */
	SIO_NVME_ADRFAM_FC = 4,          /**< "FC" */
	SIO_NVME_ADRFAM_INTRA_HOST = 254,/**< "INTRA_HOST" */
};

/** Longest traddr / hostaddr, without the NUL (SPDK's limit). */
#define SIO_NVME_TRADDR_MAX_LEN 256
/** Longest trsvcid / hostsvcid, without the NUL (SPDK's limit). */
#define SIO_NVME_TRSVCID_MAX_LEN 32
/** Longest NQN, without the NUL (NVMe base specification: 223 bytes). */
#define SIO_NVME_NQN_MAX_LEN 223

/**
 * The address of a controller: where it is, over what, and (for fabrics)
 * which subsystem. Plain data: copy it freely. Strings are NUL-terminated;
 * an empty string means "not given".
 */
struct sio_nvme_transport_id {
	enum sio_nvme_transport_type trtype;  /**< transport */
	enum sio_nvme_adrfam adrfam;          /**< address family (fabrics) */
	char traddr[SIO_NVME_TRADDR_MAX_LEN + 1];   /**< IP address, or PCI BDF "DDDD:BB:DD.F" */
	char trsvcid[SIO_NVME_TRSVCID_MAX_LEN + 1]; /**< port ("4420") */
	char subnqn[SIO_NVME_NQN_MAX_LEN + 1];      /**< subsystem NQN */
	/** SPDK's "priority", >= 0: the SO_PRIORITY of every TCP connection of the controller */
	int32_t priority;
	char hostnqn[SIO_NVME_NQN_MAX_LEN + 1];     /**< host NQN given in the string, or "" */
	char hostaddr[SIO_NVME_TRADDR_MAX_LEN + 1]; /**< local address to connect from, or "" */
	char hostsvcid[SIO_NVME_TRSVCID_MAX_LEN + 1];/**< local port to connect from, or "" */
};

/**
 * sio_nvme_transport_id_parse() - Parse SPDK's transport ID string into @trid.
 * The string is whitespace-separated `key:value` (or `key=value`) pairs,
 * keys case-insensitive: trtype (PCIe, TCP, RDMA, FC, VFIOUSER, any case),
 * adrfam (IPv4, IPv6, IB, FC, INTRA_HOST), traddr, trsvcid, subnqn, priority,
 * hostnqn, hostaddr, hostsvcid; `ns` and `alt_traddr` are accepted and
 * ignored, as SPDK does. A PCIe traddr is normalised to "DDDD:BB:DD.F"
 * ("BB:DD.F" gets domain 0; '.' may separate domain and bus). Example:
 * "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1".
 * @trid: filled from scratch (zeroed first).
 * @str: the string.
 * @err: if not NULL, on failure receives a one-line message naming the key
 *       at fault ("traddr: value longer than 256 characters"); on success "".
 * @errlen: size of @err.
 * Context: any thread. Pure function.
 * Return: 0; -EINVAL for NULL @trid/@str, a pair without a separator, an
 * unknown key, an unknown trtype or adrfam, a value too long for its field,
 * a bad priority or a malformed PCI address; nothing else.
 */
int sio_nvme_transport_id_parse(struct sio_nvme_transport_id *trid, const char *str,
				char *err, size_t errlen);

/**
 * sio_nvme_transport_id_format() - Write @trid as SPDK's string, the keys in
 * the order trtype adrfam traddr trsvcid subnqn hostnqn hostaddr hostsvcid
 * priority, each given field only (priority when not 0); the output parses
 * back into an equal transport ID.
 * Context: any thread. Pure function.
 * Return: the string's length (without the NUL); -EINVAL for NULL arguments
 * or an unknown trtype; -ENOSPC if @len is too small (@buf then holds a
 * truncated, NUL-terminated prefix when @len > 0).
 */
int sio_nvme_transport_id_format(const struct sio_nvme_transport_id *trid, char *buf, size_t len);

/**
 * sio_nvme_transport_id_init_tcp() - Fill @trid for NVMe/TCP: adrfam from the
 * address (IPv6 when it contains ':', else IPv4).
 * @subnqn: may be NULL (then "", as for a later discovery).
 * Context: any thread.
 * Return: 0; -EINVAL for NULL @trid/@traddr/@trsvcid, an empty or too long
 * field.
 */
int sio_nvme_transport_id_init_tcp(struct sio_nvme_transport_id *trid, const char *traddr,
				   const char *trsvcid, const char *subnqn);

/**
 * sio_nvme_transport_id_init_pcie() - Fill @trid for a local PCIe controller.
 * @bdf: "DDDD:BB:DD.F" or "BB:DD.F", normalised as by the parser.
 * Context: any thread.
 * Return: 0; -EINVAL for NULL or a malformed address.
 */
int sio_nvme_transport_id_init_pcie(struct sio_nvme_transport_id *trid, const char *bdf);

/**
 * sio_nvme_pcie_enumerate() - Transport IDs of the NVMe controllers (PCI
 * class 010802h) bound to vfio-pci, which sio_nvme_ctrlr_connect() can take.
 * @trids: filled with up to @max IDs (trtype PCIe), sorted by address.
 * @max: capacity of @trids (0 to only count).
 * Context: any thread; reads sysfs.
 * Return: the number of such controllers (may exceed @max); -EINVAL for NULL
 * @trids with @max > 0; -ENOENT without sysfs PCI; -ENOMEM.
 */
int sio_nvme_pcie_enumerate(struct sio_nvme_transport_id *trids, size_t max);

/**
 * sio_nvme_transport_id_compare() - Order two transport IDs by the fields
 * that name a controller: trtype, then traddr (PCI addresses numerically,
 * IP addresses case-insensitively), and for fabrics adrfam, trsvcid and subnqn.
 * priority and the host fields are not compared.
 * Context: any thread.
 * Return: < 0, 0 (same controller address) or > 0.
 */
int sio_nvme_transport_id_compare(const struct sio_nvme_transport_id *a,
				  const struct sio_nvme_transport_id *b);

/**
 * sio_nvme_transport_type_str() - SPDK's name of @t ("TCP", "PCIe", "RDMA",
 * "FC", "VFIOUSER"), or NULL for an unknown value. Context: any thread.
 */
const char *sio_nvme_transport_type_str(enum sio_nvme_transport_type t);

/**
 * sio_nvme_transport_type_parse() - Parse a transport name, any case.
 * Context: any thread.
 * Return: 0 with *@t set; -EINVAL for NULL or an unknown name.
 */
int sio_nvme_transport_type_parse(const char *s, enum sio_nvme_transport_type *t);

/**
 * sio_nvme_adrfam_str() - SPDK's name of @a ("IPv4", "IPv6", "IB", "FC",
 * "INTRA_HOST"), or NULL for NONE and unknown values. Context: any thread.
 */
const char *sio_nvme_adrfam_str(enum sio_nvme_adrfam a);

/**
 * sio_nvme_adrfam_parse() - Parse an address family name, any case.
 * Context: any thread.
 * Return: 0 with *@a set; -EINVAL for NULL or an unknown name.
 */
int sio_nvme_adrfam_parse(const char *s, enum sio_nvme_adrfam *a);


/* ------------------------------------------------------------------------ */
/* Controllers, namespaces, queue pairs                                     */
/* ------------------------------------------------------------------------ */

struct sio_nvme_ctrlr;
struct sio_nvme_ns;
struct sio_nvme_qpair;
struct sio_nvme_ctrlr_data;
struct sio_nvme_ns_data;
struct sio_nvmf_discovery_log_page;

/**
 * Completion of one NVMe command (admin, I/O or passthrough).
 * @cb_arg: the caller's argument.
 * @rc: 0 for a successful completion, else a negative errno: the status
 *	mapped by sio_nvme_status_to_errno() when the controller answered with
 *	an error; -ETIMEDOUT for a command that timed out; -ECONNRESET when the
 *	connection failed or the queue pair was reset before the answer came;
 *	-ECANCELED when the queue pair or controller was freed first.
 * @cpl: the completion queue entry, never NULL: the controller's when it
 *	answered, else one the driver made (SCT Path, SC Host Pathing Error for
 *	a lost connection or a reset; SCT Path, SC Command Aborted By Host for a
 *	timeout or a free), so the status is always there to read.
 * Runs on the queue pair's thread (admin: the controller's thread), exactly
 * once per command that was accepted, never inside the submitting call.
 */
typedef void (*sio_nvme_cmd_cb)(void *cb_arg, int rc, const struct sio_nvme_cpl *cpl);

/**
 * Options of a controller connection. Fill with sio_nvme_ctrlr_opts_init();
 * the library reads the first @opts_size bytes (the rest take defaults).
 */
struct sio_nvme_ctrlr_opts {
	size_t opts_size;              /**< set by sio_nvme_ctrlr_opts_init() */
	/** I/O queues asked for with Set Features Number of Queues; default 64. */
	uint32_t num_io_queues;
	/** Entries of each I/O submission queue (2..65536, capped by CAP.MQES+1); default 128. */
	uint32_t io_queue_size;
	/**
	 * Requests each I/O queue pair can hold: up to io_queue_size - 1 are on
	 * the wire, the rest wait in the queue pair in submission order; beyond
	 * this, submissions fail with -ENOMEM. Default 512.
	 */
	uint32_t io_queue_requests;
	/** Entries of the admin queue (2..4096); default 32. */
	uint32_t admin_queue_size;
	/**
	 * Keep Alive Timeout given to the controller in the Connect command;
	 * the driver sends Keep Alive every half of it. 0 disables keep-alive.
	 * Default 10000.
	 */
	uint32_t keep_alive_timeout_ms;
	/** Host NQN; "" (default) means "nqn.2014-08.org.nvmexpress:uuid:<hostid>". */
	char hostnqn[SIO_NVME_NQN_MAX_LEN + 1];
	/** Host identifier for Connect; all zero (default) means one random ID per process. */
	uint8_t hostid[16];
	/** Ask for header digests (CRC32C over each PDU header); default false. */
	bool header_digest;
	/** Ask for data digests (CRC32C over each PDU's data); default false. */
	bool data_digest;
	/**
	 * A command outstanding longer than this is aborted (Abort command);
	 * still there after the same time again, its queue pair is failed and
	 * the controller reset. 0 disables. Default 30000 (the kernel's).
	 */
	uint32_t command_timeout_ms;
	/** Time allowed for the whole connection (socket, handshake, Connect, enable, identify); default 10000. */
	uint32_t connect_timeout_ms;
	/** Socket implementation ("posix", "uring"); NULL for the sock layer's default. Not copied. */
	const char *sock_impl;
	/**
	 * NVMe/TCP secure channel: a keyring key in TLS PSK interchange format
	 * (`NVMeTLSkey-1:`, the configured PSK). When set, every queue pair
	 * opens TLS 1.3 (sock "ssl", whatever @sock_impl says) with the PSK
	 * identity "NVMe0R0<1|2> <hostnqn> <subnqn>" and the TLS PSK derived
	 * from this key (src/nvme/tcp/nvme_tcp_tls.h). Read at connect; the
	 * caller keeps its reference. NULL (default): no TLS.
	 */
	struct sio_key *tls_psk;
	/** PSK identity to send instead of the derived one (spdk_nvme_perf's --psk-identity); NULL: derived. Read at connect. */
	const char *tls_psk_identity;
	/**
	 * DH-HMAC-CHAP (in-band authentication, NVMe Base 2.0 section 8.13): a
	 * keyring key in `DHHC-1:` form, the host's secret. A queue whose Connect
	 * response asks for authentication runs one transaction with it before it
	 * is used (admin and every I/O queue, and again on each reconnection).
	 * NULL (default): a controller that asks for authentication is refused
	 * (-EACCES). The controller takes its own reference at connect.
	 */
	struct sio_key *dhchap_key;
	/**
	 * The controller's `DHHC-1:` secret: when set, the controller must prove
	 * it too (bidirectional authentication), and connecting to one that does
	 * not ask for authentication fails. Needs @dhchap_key. Referenced likewise.
	 */
	struct sio_key *dhchap_ctrlr_key;
	/** Digests offered, bit (1 << id): 1 SHA-256, 2 SHA-384, 3 SHA-512; 0 (default): all. */
	uint32_t dhchap_digests;
	/** DH groups offered, bit (1 << id): 0 null, 1 ffdhe2048 ... 5 ffdhe8192; 0 (default): all. */
	uint32_t dhchap_dhgroups;
	/**
	 * Fabrics: ask, in every queue's Connect (CATTR bit 2), for SQ flow
	 * control to be disabled (the kernel's `disable_sqflow`; a discovery
	 * log entry with TREQ bit 2, SIO_NVMF_TREQ_DISABLE_SQ_FLOW, says the
	 * controller supports it). A controller that agrees answers SQHD 0xffff
	 * and may then end a read with a C2HData PDU carrying SUCCESS instead of
	 * a CapsuleResp (NVMe/TCP): one PDU per read instead of two. The host
	 * never waits on SQHD either way (it keeps at most queue size - 1
	 * commands outstanding). A controller that does not agree keeps flow
	 * control (its SUCCESS flags are then refused as a protocol error); one
	 * that refuses the Connect for the attribute is connected again without
	 * it. Default true.
	 */
	bool disable_sq_flow;
};

/**
 * sio_nvme_ctrlr_opts_init() - Fill @opts with the defaults listed above.
 * @opts_size: sizeof(*opts) as the caller was compiled with.
 * Context: any thread.
 */
void sio_nvme_ctrlr_opts_init(struct sio_nvme_ctrlr_opts *opts, size_t opts_size);

/** Completion of sio_nvme_ctrlr_connect(): @ctrlr is set when @rc is 0, else NULL. */
typedef void (*sio_nvme_connect_cb)(void *cb_arg, int rc, struct sio_nvme_ctrlr *ctrlr);

/**
 * sio_nvme_ctrlr_connect() - Connect to the controller at @trid: transport
 * connection, Fabrics Connect of the admin queue, controller enable,
 * Identify Controller, number of queues, the active namespaces and their
 * Identify data, async event configuration, keep-alive. For a discovery
 * controller (@trid's subnqn is the discovery NQN or empty) the namespace
 * and queue steps are skipped.
 * The controller belongs to the calling thread from then on: its admin
 * queue is polled there by a poller, keep-alive and timeouts are checked
 * there, admin callbacks run there, and detach runs there.
 * @trid: copied.
 * @opts: NULL for defaults; copied.
 * @cb: called once, on this thread, never inside this call.
 * Context: a sio_thread. Does not park.
 * Return: 0 (started); -EINVAL for NULL @trid/@cb, a bad option or a
 * transport ID missing traddr/trsvcid; -EPROTONOSUPPORT for a transport
 * that is not built in; -EPERM with no current thread; -ENOMEM.
 * Errors passed to @cb: the socket's (-ECONNREFUSED...), -ETIMEDOUT past
 * connect_timeout_ms, -EPROTO for a peer that breaks the protocol, the
 * Connect status mapped (-EACCES for an unknown host, -ENOENT for an
 * unknown subsystem...).
 */
int sio_nvme_ctrlr_connect(const struct sio_nvme_transport_id *trid,
			   const struct sio_nvme_ctrlr_opts *opts, sio_nvme_connect_cb cb, void *cb_arg);

/**
 * sio_nvme_ctrlr_connect_await() - sio_nvme_ctrlr_connect() from a task.
 * Context: inside a task (parks it).
 * Return: 0 and *@out set; the errors of sio_nvme_ctrlr_connect() and of its
 * callback; -EPERM outside a task.
 */
int sio_nvme_ctrlr_connect_await(const struct sio_nvme_transport_id *trid,
				 const struct sio_nvme_ctrlr_opts *opts, struct sio_nvme_ctrlr **out);

/**
 * sio_nvme_ctrlr_connect_blocking() - sio_nvme_ctrlr_connect(), polling the
 * current thread until it is done (sio_block_on()).
 * Context: a plain OS thread with a sio_thread attached, not inside a task
 * nor a callback of that thread.
 * Return: as sio_nvme_ctrlr_connect_await(), -EPERM inside a task.
 */
int sio_nvme_ctrlr_connect_blocking(const struct sio_nvme_transport_id *trid,
				    const struct sio_nvme_ctrlr_opts *opts,
				    struct sio_nvme_ctrlr **out);

/**
 * sio_nvme_ctrlr_detach() - Disconnect and free @ctrlr: outstanding admin
 * commands complete with -ECANCELED, pending reset and connect callbacks
 * get -ECANCELED, the connection is closed, namespaces are freed.
 * Every I/O queue pair must have been freed before (sio_nvme_qpair_free()).
 * @cb: may be NULL; runs once on this thread after @ctrlr is gone.
 * Context: the controller's thread. Does not park.
 * Return: 0 (started; @ctrlr is unusable now); -EINVAL for NULL; -EBUSY
 * while I/O queue pairs remain; -EALREADY when a detach is under way;
 * -EPERM from another thread.
 */
int sio_nvme_ctrlr_detach(struct sio_nvme_ctrlr *ctrlr, sio_done_cb cb, void *cb_arg);

/** sio_nvme_ctrlr_detach_await() - sio_nvme_ctrlr_detach() from a task (parks it). */
int sio_nvme_ctrlr_detach_await(struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_detach_blocking() - sio_nvme_ctrlr_detach() polled to its end (see connect_blocking). */
int sio_nvme_ctrlr_detach_blocking(struct sio_nvme_ctrlr *ctrlr);

/**
 * sio_nvme_ctrlr_reset() - Reset the controller: every queue pair is
 * disconnected (their outstanding commands complete with -ECONNRESET),
 * the admin connection is made again, the controller enabled and
 * identified, the namespace list refreshed, and every I/O queue pair
 * reconnected (each on its own thread). Commands submitted while a queue
 * pair is disconnected wait in it and go out after the reconnection.
 * If the controller cannot be reached, @cb gets the error and the
 * controller stays failed (sio_nvme_ctrlr_is_failed()) until a later reset
 * succeeds; its queue pairs then fail submissions with -ENXIO.
 * @cb: runs once on the controller's thread; may be NULL.
 * Context: the controller's thread. Does not park.
 * Return: 0 (started); -EINVAL; -EPERM from another thread; -EBUSY while a
 * reset is already in progress; -ENODEV while detaching.
 */
int sio_nvme_ctrlr_reset(struct sio_nvme_ctrlr *ctrlr, sio_done_cb cb, void *cb_arg);

/** sio_nvme_ctrlr_reset_await() - sio_nvme_ctrlr_reset() from a task (parks it). */
int sio_nvme_ctrlr_reset_await(struct sio_nvme_ctrlr *ctrlr);

/**
 * sio_nvme_ctrlr_is_failed() - Whether the controller's connection is down
 * (lost and not yet reset, or the last reset failed). Context: any thread.
 */
bool sio_nvme_ctrlr_is_failed(const struct sio_nvme_ctrlr *ctrlr);

/**
 * Controller events for sio_nvme_ctrlr_set_event_cb(): what happened, with
 * the async event's completion where there is one.
 */
enum sio_nvme_ctrlr_event {
	/** An Asynchronous Event Request completed (@cpl is it); already handled by the driver. */
	SIO_NVME_CTRLR_EVENT_AER = 1,
	/** The namespace list was refreshed: namespaces may have appeared, gone or changed size. */
	SIO_NVME_CTRLR_EVENT_NS_CHANGED = 2,
	/** The connection was lost (keep-alive failed, socket closed, timeout). */
	SIO_NVME_CTRLR_EVENT_FAILED = 3,
	/** A reset finished and the controller is usable again. */
	SIO_NVME_CTRLR_EVENT_RESET_DONE = 4,
};

/** Callback of sio_nvme_ctrlr_set_event_cb(); @cpl is non-NULL for AER only. Runs on the controller's thread. */
typedef void (*sio_nvme_ctrlr_event_cb)(void *cb_arg, struct sio_nvme_ctrlr *ctrlr,
					enum sio_nvme_ctrlr_event event,
					const struct sio_nvme_cpl *cpl);

/**
 * sio_nvme_ctrlr_set_event_cb() - Be told about @ctrlr's events (one callback;
 * NULL @cb removes it). A lost connection is not reset by the driver on its
 * own: the owner decides (sio_nvme_ctrlr_reset()), as the nvme bdev does with
 * its reconnect policy.
 * Context: the controller's thread.
 * Return: 0; -EINVAL for NULL @ctrlr.
 */
int sio_nvme_ctrlr_set_event_cb(struct sio_nvme_ctrlr *ctrlr, sio_nvme_ctrlr_event_cb cb,
				void *cb_arg);

/** sio_nvme_ctrlr_get_trid() - The transport ID it was connected with. Context: any thread. */
const struct sio_nvme_transport_id *sio_nvme_ctrlr_get_trid(const struct sio_nvme_ctrlr *ctrlr);

/**
 * sio_nvme_ctrlr_get_data() - The Identify Controller data (4096 bytes),
 * valid while @ctrlr lives; refreshed by a reset. Context: any thread.
 */
const struct sio_nvme_ctrlr_data *sio_nvme_ctrlr_get_data(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_get_cntlid() - The controller ID the target gave at Connect. Context: any thread. */
uint16_t sio_nvme_ctrlr_get_cntlid(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_get_cap() - The CAP register (Property Get / BAR0) read at connect. Context: any thread. */
uint64_t sio_nvme_ctrlr_get_cap(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_get_vs() - The VS register read at connect. Context: any thread. */
uint32_t sio_nvme_ctrlr_get_vs(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_is_discovery() - Whether this is a discovery controller. Context: any thread. */
bool sio_nvme_ctrlr_is_discovery(const struct sio_nvme_ctrlr *ctrlr);

/**
 * sio_nvme_ctrlr_get_max_xfer_size() - Largest data transfer of one command
 * in bytes (MDTS, with the transport's own limit). Context: any thread.
 */
uint32_t sio_nvme_ctrlr_get_max_xfer_size(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_get_num_io_queues() - I/O queues the controller granted. Context: any thread. */
uint32_t sio_nvme_ctrlr_get_num_io_queues(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_get_num_ns() - Number of namespace IDs (Identify NN). Context: any thread. */
uint32_t sio_nvme_ctrlr_get_num_ns(const struct sio_nvme_ctrlr *ctrlr);

/**
 * sio_nvme_ctrlr_get_first_active_ns() - Lowest active namespace ID, 0 if none.
 * Context: the controller's thread (the list changes there on events).
 */
uint32_t sio_nvme_ctrlr_get_first_active_ns(const struct sio_nvme_ctrlr *ctrlr);

/** sio_nvme_ctrlr_get_next_active_ns() - Next active ID after @nsid, 0 at the end. Context: as above. */
uint32_t sio_nvme_ctrlr_get_next_active_ns(const struct sio_nvme_ctrlr *ctrlr, uint32_t nsid);

/**
 * sio_nvme_ctrlr_get_ns() - The namespace @nsid (active or not; NULL when
 * @nsid is 0 or above NN). The object lives as long as @ctrlr; whether it
 * is usable now is sio_nvme_ns_is_active(). Context: any thread.
 */
struct sio_nvme_ns *sio_nvme_ctrlr_get_ns(struct sio_nvme_ctrlr *ctrlr, uint32_t nsid);

/**
 * sio_nvme_ctrlr_admin_raw() - Send an admin command as given (raw
 * passthrough). @cmd's CID is replaced; for data, the driver builds the
 * data pointer (SGL): @buf of @len bytes in the direction of the opcode.
 * @cb: runs on the controller's thread.
 * Context: the controller's thread. Does not park.
 * Return: 0 (submitted or queued); -EINVAL for NULL @ctrlr/@cmd/@cb, a
 * @len without @buf, a bidirectional opcode; -EPERM from another thread;
 * -ENOMEM when every admin request is in use; -ENXIO when the controller is
 * failed; -ENODEV while detaching.
 */
int sio_nvme_ctrlr_admin_raw(struct sio_nvme_ctrlr *ctrlr, const struct sio_nvme_cmd *cmd,
			     void *buf, uint32_t len, sio_nvme_cmd_cb cb, void *cb_arg);

/**
 * sio_nvme_ctrlr_admin_raw_await() - sio_nvme_ctrlr_admin_raw() from a task.
 * @cpl: if not NULL, receives the completion entry.
 * Context: inside a task on the controller's thread (parks it).
 * Return: the callback's rc, or the submission's error.
 */
int sio_nvme_ctrlr_admin_raw_await(struct sio_nvme_ctrlr *ctrlr, const struct sio_nvme_cmd *cmd,
				   void *buf, uint32_t len, struct sio_nvme_cpl *cpl);

/**
 * sio_nvme_ctrlr_get_log_page() - Get Log Page @lid for @nsid into @buf,
 * @len bytes from byte @offset (split into commands the transfer size allows).
 * Context: the controller's thread. Does not park.
 * Return: as sio_nvme_ctrlr_admin_raw(); -EINVAL also for @len 0 or not a
 * multiple of 4.
 */
int sio_nvme_ctrlr_get_log_page(struct sio_nvme_ctrlr *ctrlr, uint8_t lid, uint32_t nsid,
				void *buf, uint32_t len, uint64_t offset, sio_nvme_cmd_cb cb,
				void *cb_arg);

/**
 * sio_nvme_ctrlr_process_admin_completions() - Poll the admin queue now
 * (the controller's poller does it anyway; this is for callers that want
 * the answer sooner). Also checks keep-alive and timeouts.
 * Context: the controller's thread, not from inside an admin callback.
 * Return: completions processed (>= 0); -EINVAL; -ENXIO when failed.
 */
int sio_nvme_ctrlr_process_admin_completions(struct sio_nvme_ctrlr *ctrlr);

/** Completion of sio_nvme_ctrlr_get_discovery_log(); @log is NULL unless @rc is 0, and valid only during the call. */
typedef void (*sio_nvme_discovery_cb)(void *cb_arg, int rc,
				      const struct sio_nvmf_discovery_log_page *log);

/**
 * sio_nvme_ctrlr_get_discovery_log() - Read the whole discovery log page of
 * a discovery controller: the header, then every entry, again if the
 * generation counter changed meanwhile (up to 10 times). The memory is the
 * driver's, freed after @cb returns.
 * Context: the controller's thread. Does not park.
 * Return: 0 (started); -EINVAL; -ENOTSUP on a controller that is not a
 * discovery controller; -EPERM; -ENOMEM.
 * Errors passed to @cb: the Get Log Page's; -EAGAIN if the log kept changing.
 */
int sio_nvme_ctrlr_get_discovery_log(struct sio_nvme_ctrlr *ctrlr, sio_nvme_discovery_cb cb,
				     void *cb_arg);

/* ---- namespaces ---- */

/** sio_nvme_ns_get_id() - The namespace ID. Context: any thread. */
uint32_t sio_nvme_ns_get_id(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_ctrlr() - The controller it belongs to. Context: any thread. */
struct sio_nvme_ctrlr *sio_nvme_ns_get_ctrlr(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_is_active() - Whether the namespace exists now (it may come and go with AERs). */
bool sio_nvme_ns_is_active(const struct sio_nvme_ns *ns);
/**
 * sio_nvme_ns_get_sector_size() - Bytes per logical block of the current
 * format: 0 when inactive, or for a namespace of another command set whose
 * Identify Namespace (CNS 00h, the NVM command set's data) the controller
 * refused: it is active, has its CSI (sio_nvme_ns_get_csi()) and no NVM
 * geometry (sector size and count 0, Identify data all zero); I/O on it is
 * refused (-EINVAL), raw commands are not.
 */
uint32_t sio_nvme_ns_get_sector_size(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_num_sectors() - Logical blocks (NSZE); 0 as sio_nvme_ns_get_sector_size(). */
uint64_t sio_nvme_ns_get_num_sectors(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_size() - Bytes: sectors times sector size. */
uint64_t sio_nvme_ns_get_size(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_max_io_xfer_size() - Largest I/O in bytes (the controller's, a multiple of the sector size). */
uint32_t sio_nvme_ns_get_max_io_xfer_size(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_uuid() - The 16-byte UUID from the identification descriptors, or NULL. */
const uint8_t *sio_nvme_ns_get_uuid(const struct sio_nvme_ns *ns);
/**
 * sio_nvme_ns_get_csi() - The namespace's I/O Command Set Identifier.
 * @ns: a namespace of a connected controller.
 *
 * Taken from the CSI descriptor (NIDT 04h) of the Namespace Identification
 * Descriptor list (Identify CNS 03h), read with the rest of the namespace's
 * data at connect, after a reset and on a namespace-attribute event. A
 * controller that gives no CSI descriptor (before NVMe 2.0) or refuses the
 * list (before NVMe 1.3) has NVM namespaces only, so that is what is reported.
 * The list is read before Identify Namespace (CNS 00h): a controller that
 * refuses CNS 00h for a namespace whose CSI is not NVM leaves it active
 * without NVM geometry (sio_nvme_ns_get_sector_size()) instead of failing
 * the refresh (and so the connect).
 * The I/O commands of this API are the NVM command set's: a namespace of
 * another set (SIO_NVME_CSI_ZNS, SIO_NVME_CSI_KV, ...) takes only those its
 * command set shares with NVM, and raw commands through the passthrough.
 *
 * Context: the controller's thread (the value changes with a refresh there).
 * Return: the CSI (enum sio_nvme_csi values: 0 NVM, 1 KV, 2 ZNS, or another
 * the controller reported); SIO_NVME_CSI_NVM for NULL or an inactive namespace.
 */
uint8_t sio_nvme_ns_get_csi(const struct sio_nvme_ns *ns);

/**
 * sio_nvme_csi_name() - A command set's name as nvme-cli prints it: "NVM",
 * "Key Value", "Zoned Namespace", or "unknown" for any other value.
 * Context: any thread. Return: a static string, never NULL.
 */
const char *sio_nvme_csi_name(uint8_t csi);
/** sio_nvme_ns_get_nguid() - The 16-byte NGUID, or NULL when all zero. */
const uint8_t *sio_nvme_ns_get_nguid(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_eui64() - The 8-byte EUI64, or NULL when all zero. */
const uint8_t *sio_nvme_ns_get_eui64(const struct sio_nvme_ns *ns);
/** sio_nvme_ns_get_data() - The Identify Namespace data (4096 bytes; zeros where CNS 00h was refused). */
const struct sio_nvme_ns_data *sio_nvme_ns_get_data(const struct sio_nvme_ns *ns);

/* ---- I/O queue pairs ---- */

/** Options of one I/O queue pair; NULL takes the controller's options. */
struct sio_nvme_io_qpair_opts {
	size_t opts_size;            /**< set by sio_nvme_io_qpair_opts_init() */
	uint32_t io_queue_size;      /**< 0: the controller's io_queue_size */
	uint32_t io_queue_requests;  /**< 0: the controller's io_queue_requests */
};

/** sio_nvme_io_qpair_opts_init() - Defaults (0, 0: the controller's). Context: any thread. */
void sio_nvme_io_qpair_opts_init(struct sio_nvme_io_qpair_opts *opts, size_t opts_size);

/** Completion of sio_nvme_ctrlr_alloc_io_qpair(): @qpair set when @rc is 0. */
typedef void (*sio_nvme_qpair_cb)(void *cb_arg, int rc, struct sio_nvme_qpair *qpair);

/**
 * sio_nvme_ctrlr_alloc_io_qpair() - Create and connect an I/O queue pair
 * owned by the calling thread: only that thread submits on it, processes
 * its completions and frees it. Its connection is polled by a poller of
 * that thread (which also wakes a thread in interrupt mode); the caller may
 * poll harder with sio_nvme_qpair_process_completions(). Its memory (requests, PDU headers) is
 * allocated here once; commands allocate nothing.
 * @opts: NULL for the controller's defaults.
 * @cb: runs once on this thread, never inside this call.
 * Context: any sio_thread (not only the controller's). Does not park.
 * Return: 0 (started); -EINVAL for NULL @ctrlr/@cb or bad options; -EBUSY
 * when every queue ID the controller granted is in use; -ENOTSUP on a
 * discovery controller; -ENXIO when the controller is failed; -EPERM;
 * -ENOMEM. Errors passed to @cb: as for a connection.
 */
int sio_nvme_ctrlr_alloc_io_qpair(struct sio_nvme_ctrlr *ctrlr,
				  const struct sio_nvme_io_qpair_opts *opts, sio_nvme_qpair_cb cb,
				  void *cb_arg);

/** sio_nvme_ctrlr_alloc_io_qpair_await() - From a task (parks it); *@out set on success. */
int sio_nvme_ctrlr_alloc_io_qpair_await(struct sio_nvme_ctrlr *ctrlr,
					const struct sio_nvme_io_qpair_opts *opts,
					struct sio_nvme_qpair **out);

/** sio_nvme_ctrlr_alloc_io_qpair_blocking() - Polled to its end (see sio_nvme_ctrlr_connect_blocking()). */
int sio_nvme_ctrlr_alloc_io_qpair_blocking(struct sio_nvme_ctrlr *ctrlr,
					   const struct sio_nvme_io_qpair_opts *opts,
					   struct sio_nvme_qpair **out);

/**
 * sio_nvme_qpair_free() - Disconnect and free @qpair: every command not yet
 * completed completes with -ECANCELED (inside this call), the connection is
 * closed and the queue ID released. Allowed from inside one of its own
 * completion callbacks (a task awaiting a command resumes there): the
 * memory then goes at the thread's next turn.
 * Context: the queue pair's thread.
 * Return: 0; -EINVAL for NULL; -EPERM from another thread; -EALREADY when
 * already freed from inside a callback.
 */
int sio_nvme_qpair_free(struct sio_nvme_qpair *qpair);

/**
 * sio_nvme_qpair_process_completions() - Receive what arrived on @qpair,
 * run the callbacks of completed commands (at most @max, 0 = no limit),
 * send what is queued, and check timeouts.
 * Context: the queue pair's thread, not from inside one of its callbacks.
 * Return: callbacks run (>= 0); -EINVAL; -EBUSY from inside its callbacks;
 * -ENXIO when the queue pair is disconnected (its commands have completed
 * with errors, new ones wait for a reset).
 */
int sio_nvme_qpair_process_completions(struct sio_nvme_qpair *qpair, uint32_t max);

/** sio_nvme_qpair_get_id() - The queue ID (1..). Context: any thread. */
uint16_t sio_nvme_qpair_get_id(const struct sio_nvme_qpair *qpair);

/** sio_nvme_qpair_get_num_outstanding() - Commands accepted and not yet completed. Context: its thread. */
uint32_t sio_nvme_qpair_get_num_outstanding(const struct sio_nvme_qpair *qpair);

/**
 * struct sio_nvme_qpair_stats - Counters of one queue pair since it was allocated
 * (SPDK's bdev_nvme_get_transport_statistics figures). Plain counters, written
 * by the queue pair's thread only.
 */
struct sio_nvme_qpair_stats {
	uint64_t polls;              /**< sio_nvme_qpair_process_completions() calls that polled */
	uint64_t idle_polls;         /**< ...of which completed nothing */
	uint64_t nvme_completions;   /**< completions reported by those polls */
	uint64_t socket_completions; /**< sockets with events those polls handled (TCP) */
	uint64_t submitted_requests; /**< commands handed to the transport */
	uint64_t queued_requests;    /**< commands that had to wait in the software queue first */
	/**
	 * DH-HMAC-CHAP transactions that succeeded on this queue pair: the one
	 * after each Connect that asked for it, and each re-authentication
	 * (sio_nvme_qpair_authenticate()).
	 */
	uint64_t authentications;
};

/**
 * sio_nvme_qpair_get_stats() - Copy @qpair's counters into @stats.
 * Context: the queue pair's thread (the counters are not atomic).
 * Return: 0; -EINVAL when an argument is NULL.
 */
int sio_nvme_qpair_get_stats(const struct sio_nvme_qpair *qpair, struct sio_nvme_qpair_stats *stats);

/** sio_nvme_qpair_get_trname() - The transport's name as SPDK writes it ("TCP"), or NULL. Any thread. */
const char *sio_nvme_qpair_get_trname(const struct sio_nvme_qpair *qpair);

/*
 * The NVM I/O commands. Common rules:
 * - @io_flags: SIO_NVME_IO_FLAGS_* of nvme_spec.h (FUA, limited retry;
 *   Write Zeroes also DEALLOCATE), placed in CDW12.
 * - @ns and @qpair of the same controller; @lba_count >= 1; data size
 *   @lba_count * sector size at most the namespace's max transfer.
 * - Buffers (and @iov arrays) are the caller's and must stay untouched until
 *   @cb ran; data moves straight between them and the socket.
 * - Nothing is allocated; a command beyond the queue depth waits in the
 *   queue pair. @cb runs once, on the queue pair's thread, from
 *   sio_nvme_qpair_process_completions() (or its poller), never inside the
 *   submitting call.
 * Context: the queue pair's thread. Does not park.
 * Return: 0 (accepted); -EINVAL for NULL arguments, a zero or too large
 * count, a range past the end, @ns of another controller, an inactive
 * namespace, too many iovecs (> 64) or iovecs shorter than the data;
 * -ENOMEM when io_queue_requests commands are already held; -EPERM from
 * another thread; -ENXIO when the queue pair's controller is failed and not
 * being reset.
 * The _await forms run the command from a task and return the callback's
 * rc; @cpl, if not NULL, receives the completion entry.
 */

/** sio_nvme_ns_read() - Read @lba_count blocks from @lba into @buf. */
int sio_nvme_ns_read(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, void *buf,
		     uint64_t lba, uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
		     void *cb_arg);
/** sio_nvme_ns_write() - Write @lba_count blocks at @lba from @buf. */
int sio_nvme_ns_write(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, const void *buf,
		      uint64_t lba, uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
		      void *cb_arg);
/** sio_nvme_ns_readv() - Read into @iov[0..@iovcnt) (scattered: one Transport SGL descriptor, data placed per iovec). */
int sio_nvme_ns_readv(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
		      const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		      uint32_t io_flags, sio_nvme_cmd_cb cb, void *cb_arg);
/** sio_nvme_ns_writev() - Write from @iov[0..@iovcnt). */
int sio_nvme_ns_writev(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       uint32_t io_flags, sio_nvme_cmd_cb cb, void *cb_arg);
/** sio_nvme_ns_compare() - Compare @lba_count blocks at @lba with @buf (a mismatch: rc -EILSEQ, SCT Media SC Compare Failure). */
int sio_nvme_ns_compare(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, const void *buf,
			uint64_t lba, uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
			void *cb_arg);
/** sio_nvme_ns_write_zeroes() - Zero @lba_count blocks at @lba (no data moves). */
int sio_nvme_ns_write_zeroes(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, uint64_t lba,
			     uint32_t lba_count, uint32_t io_flags, sio_nvme_cmd_cb cb,
			     void *cb_arg);
/** sio_nvme_ns_deallocate() - Deallocate (trim) @lba_count blocks at @lba: Dataset Management with one range. */
int sio_nvme_ns_deallocate(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, uint64_t lba,
			   uint32_t lba_count, sio_nvme_cmd_cb cb, void *cb_arg);
/** sio_nvme_ns_flush() - Flush the namespace's volatile write cache. */
int sio_nvme_ns_flush(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, sio_nvme_cmd_cb cb,
		      void *cb_arg);
/**
 * sio_nvme_ctrlr_io_raw() - Send an I/O command as given on @qpair (raw
 * passthrough); @cmd's CID and data pointer are the driver's; @buf of @len
 * bytes moves in the direction of the opcode.
 */
int sio_nvme_ctrlr_io_raw(struct sio_nvme_ctrlr *ctrlr, struct sio_nvme_qpair *qpair,
			  const struct sio_nvme_cmd *cmd, void *buf, uint32_t len,
			  sio_nvme_cmd_cb cb, void *cb_arg);

int sio_nvme_ns_read_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair, void *buf,
			   uint64_t lba, uint32_t lba_count, uint32_t io_flags,
			   struct sio_nvme_cpl *cpl);
int sio_nvme_ns_write_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			    const void *buf, uint64_t lba, uint32_t lba_count, uint32_t io_flags,
			    struct sio_nvme_cpl *cpl);
int sio_nvme_ns_readv_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			    const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			    uint32_t io_flags, struct sio_nvme_cpl *cpl);
int sio_nvme_ns_writev_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			     const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			     uint32_t io_flags, struct sio_nvme_cpl *cpl);
int sio_nvme_ns_compare_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			      const void *buf, uint64_t lba, uint32_t lba_count, uint32_t io_flags,
			      struct sio_nvme_cpl *cpl);
int sio_nvme_ns_write_zeroes_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
				   uint64_t lba, uint32_t lba_count, uint32_t io_flags,
				   struct sio_nvme_cpl *cpl);
int sio_nvme_ns_deallocate_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
				 uint64_t lba, uint32_t lba_count, struct sio_nvme_cpl *cpl);
int sio_nvme_ns_flush_await(struct sio_nvme_ns *ns, struct sio_nvme_qpair *qpair,
			    struct sio_nvme_cpl *cpl);
int sio_nvme_ctrlr_io_raw_await(struct sio_nvme_ctrlr *ctrlr, struct sio_nvme_qpair *qpair,
				const struct sio_nvme_cmd *cmd, void *buf, uint32_t len,
				struct sio_nvme_cpl *cpl);

/**
 * sio_nvme_ctrlr_set_dhchap_keys() - Replace the controller's DH-HMAC-CHAP
 * keys (either may be NULL, a controller key needs a host key) and
 * re-authenticate the admin queue with them now (SPDK's
 * spdk_nvme_ctrlr_set_keys() followed by spdk_nvme_ctrlr_authenticate()).
 * I/O queues use the new keys when they next connect, or at once through
 * sio_nvme_qpair_authenticate() on each (what bdev_nvme_set_keys does, after
 * this call succeeded: a target such as Linux nvmet reads the host's new key
 * when the admin queue re-authenticates, and the I/O queues' transactions use
 * it). With a NULL @key or an admin queue that is not connected (a reset under
 * way: it authenticates with the new keys when it connects), only the keys
 * change and @cb(@cb_arg, 0) runs inside this call.
 * @cb(@cb_arg, 0) once authenticated; -EACCES refused (the controller did not
 * accept our response, or failed to prove itself with @ctrlr_key: the host
 * then disconnects the admin queue, so the controller fails and its owner
 * resets it; the controller closes such a queue too); -ECONNRESET the
 * connection was lost meanwhile; -ENOMEM.
 * The controller takes references on the new keys and drops the old ones.
 * Context: the controller's thread.
 * Return: 0 (@cb will run); -EINVAL (NULL @ctrlr or @cb, ctrlr key without
 * host key, or not a fabrics controller); -EPERM (wrong thread); -EALREADY
 * (a re-authentication of the admin queue is under way); -ENOMEM.
 */
int sio_nvme_ctrlr_set_dhchap_keys(struct sio_nvme_ctrlr *ctrlr, struct sio_key *key,
				   struct sio_key *ctrlr_key, sio_done_cb cb, void *cb_arg);

/**
 * sio_nvme_qpair_authenticate() - Run a DH-HMAC-CHAP transaction again on a
 * connected I/O queue pair (re-authentication, NVMe Base 2.0 section
 * 8.13: AUTH_Negotiate, Challenge, Reply, Success1 [, Success2] carried by
 * Authentication Send / Receive on that queue), with the controller's current
 * keys (sio_nvme_ctrlr_set_dhchap_keys()): SPDK's
 * spdk_nvme_qpair_authenticate().
 *
 * The queue stays usable meanwhile: I/O submitted before and during the
 * transaction goes on and completes as usual (the Authentication commands
 * take slots of the queue like any command). The controller decides whether
 * it holds I/O while it checks (ours and Linux nvmet do not).
 *
 * @cb(@cb_arg, rc) runs once, on @qpair's thread, never inside this call:
 * 0 authenticated (the queue pair's stats.authentications counts it);
 * -EACCES refused: the controller answered Failure1 (our key is not the one it
 * has for us) or did not prove itself with the controller key (we sent
 * Failure2). The host then disconnects the queue pair, as it would a lost
 * connection: commands on the wire complete with a path error (-ECONNRESET,
 * SCT 3; never acknowledged by the controller, so safe to submit again
 * elsewhere), the controller is failed so that its owner resets it (the nvme
 * bdev reconnects with the keys it then has), and no further command goes on
 * a queue whose authentication the controller revoked. (Our target closes
 * such a queue itself one second after its Failure1.)
 * -ECONNRESET: the connection was lost meanwhile (a reconnection
 * authenticates with the current keys anyway); -ECANCELED: @qpair was freed
 * meanwhile; -ENOMEM: the queue pair's request pool ran out during the
 * transaction (no outcome: nothing is disconnected; try again).
 *
 * Ownership: the keys are the controller's (this call takes its own
 * references for the transaction, so the controller's may change meanwhile).
 * Context: @qpair's thread (the thread that allocated it). Does not park.
 * Return: 0 (@cb will run); -EINVAL NULL @qpair or @cb, or the admin queue
 * (use sio_nvme_ctrlr_set_dhchap_keys()); -ENOTSUP not a fabrics transport
 * (PCIe has no in-band authentication); -EPERM another thread; -ENOTCONN the
 * queue pair is not connected (failed, reconnecting or being freed: it
 * authenticates when it connects again); -ENOKEY the controller has no
 * dhchap_key; -EALREADY a transaction is already running on @qpair; -ENOMEM
 * (memory, or the request pool is full: nothing was sent).
 */
int sio_nvme_qpair_authenticate(struct sio_nvme_qpair *qpair, sio_done_cb cb, void *cb_arg);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_NVME_H */
