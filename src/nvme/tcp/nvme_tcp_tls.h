/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP secure channel: the TLS PSK identity and the key derivations of
 * the NVMe/TCP transport specification (TP 8011, section 3.6.1), in one
 * place for the host (src/nvme/host/tcp.c) and the target (src/nvmf/tcp.c).
 * Internal to the library.
 *
 * From a configured PSK (interchange format `NVMeTLSkey-1:HH:...:`, decoded
 * by the keyring: 32 or 48 bytes and its hash HH):
 *
 *  - the PSK identity (version 0, retained PSK):
 *      "NVMe0R" <hh> " " <host NQN> " " <subsystem NQN>
 *    hh = 01 for a 32-byte key (TLS_AES_128_GCM_SHA256), 02 for 48 bytes
 *    (TLS_AES_256_GCM_SHA384);
 *  - the retained PSK: the configured one when HH is 00, else
 *      PRK = HKDF-Extract(0, configured PSK)
 *      retained = HKDF-Expand-Label(PRK, "HostNQN", host NQN, L)
 *    with HH's hash;
 *  - the TLS PSK handed to TLS 1.3:
 *      PRK = HKDF-Extract(0, retained PSK)
 *      TLS PSK = HKDF-Expand-Label(PRK, "nvme-tls-psk", PSK identity, L)
 *    with the identity's hash;
 *
 * HKDF-Expand-Label is TLS 1.3's (RFC 8446 7.1): the info is
 * uint16 L || uint8 len || "tls13 " label || uint8 len || context, so the
 * context (host NQN, identity) is at most 255 bytes. L is the key's length
 * (32 or 48: equal to the hash's output here). This is what SPDK and
 * nvme-cli/libnvme compute for "NVMe0R" identities.
 */
#ifndef SIO_NVME_TCP_TLS_H
#define SIO_NVME_TCP_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "spdk_io/sock.h"

/* "NVMe0R01 " + two NQNs of 223 bytes and a space (fits SIO_SOCK_TLS_IDENTITY_MAX). */
#define NVME_TCP_TLS_IDENTITY_MAX (9 + 223 + 1 + 223)

/* What a connection needs to open the secure channel. */
struct nvme_tcp_tls_cred {
	char identity[NVME_TCP_TLS_IDENTITY_MAX + 1];
	uint8_t psk[48];   /* the TLS PSK */
	size_t psk_len;    /* 32 or 48 */
};

/*
 * The TLS credentials of @hostnqn towards @subnqn from configured PSK
 * @cfg (@cfg_len 32 or 48 bytes, @cfg_hash 0/1/2 as in the interchange
 * format). @identity, when not NULL, is sent instead of the one derived
 * from the NQNs (spdk_nvme_perf's --psk-identity); the key then follows it.
 * Return: 0; -EINVAL for a key length the hash does not go with, an NQN or
 * identity too long for HKDF-Expand-Label's context (255 bytes); -ENOMEM.
 */
int nvme_tcp_tls_cred_derive(const uint8_t *cfg, size_t cfg_len, uint8_t cfg_hash,
			     const char *hostnqn, const char *subnqn, const char *identity,
			     struct nvme_tcp_tls_cred *out);

/*
 * Splits a version-0 PSK identity into its hash (1 or 2) and NQNs.
 * Return: 0; -EINVAL when @identity is not "NVMe0R0<1|2> <hostnqn> <subnqn>"
 * with NQNs that fit @hostnqn_len / @subnqn_len.
 */
int nvme_tcp_tls_identity_parse(const char *identity, uint8_t *hash, char *hostnqn,
				size_t hostnqn_len, char *subnqn, size_t subnqn_len);

/*
 * The TLS PSK for a received @identity (server side): retained PSK from
 * configured @cfg of the identity's host, then the TLS PSK. Writes @out
 * (at least 48 bytes). Return: its length; -EINVAL as above, or when the
 * identity's hash does not match the key's length.
 */
int nvme_tcp_tls_psk_for_identity(const uint8_t *cfg, size_t cfg_len, uint8_t cfg_hash,
				  const char *identity, uint8_t *out, size_t out_len);

/* Zero @c (explicit_bzero). */
void nvme_tcp_tls_cred_clear(struct nvme_tcp_tls_cred *c);

#endif /* SIO_NVME_TCP_TLS_H */
