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
	int32_t priority;                     /**< path priority (SPDK's "priority"), >= 0 */
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

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_NVME_H */
