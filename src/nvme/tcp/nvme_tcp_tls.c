/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP TLS PSK identity and key derivations (nvme_tcp_tls.h): HKDF
 * (RFC 5869) written out over OpenSSL's one-shot HMAC, with TLS 1.3's
 * HKDF-Expand-Label info (RFC 8446 7.1).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nvme/tcp/nvme_tcp_tls.h"

#define HASH_MAX 48

static const EVP_MD *hash_md(uint8_t hash)
{
	return hash == 1 ? EVP_sha256() : hash == 2 ? EVP_sha384() : NULL;
}

/*
 * HKDF-Expand-Label(HKDF-Extract(0, @ikm), @label, @ctx, @len) with @md,
 * for @len no larger than the hash's output (one HMAC block: T(1)).
 */
static int hkdf_label(const EVP_MD *md, const uint8_t *ikm, size_t ikm_len, const char *label,
		      const char *ctx, uint8_t *out, size_t len)
{
	uint8_t zeros[HASH_MAX] = {0}, prk[HASH_MAX], t[HASH_MAX];
	uint8_t info[2 + 1 + 255 + 1 + 255 + 1];
	size_t hlen = (size_t)EVP_MD_get_size(md), llen = 6 + strlen(label), clen = strlen(ctx), n = 0;
	unsigned int mlen;

	if (len > hlen || llen > 255 || clen > 255)
		return -EINVAL;
	/* Extract: the salt is a string of HashLen zeros (RFC 5869 2.2). */
	if (HMAC(md, zeros, (int)hlen, ikm, ikm_len, prk, &mlen) == NULL)
		return -ENOMEM;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)llen;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, llen - 6);
	n += llen;
	info[n++] = (uint8_t)clen;
	memcpy(info + n, ctx, clen);
	n += clen;
	info[n++] = 0x01; /* T(1) = HMAC(PRK, info || 0x01) */
	if (HMAC(md, prk, (int)hlen, info, n, t, &mlen) == NULL) {
		OPENSSL_cleanse(prk, sizeof(prk));
		return -ENOMEM;
	}
	memcpy(out, t, len);
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(t, sizeof(t));
	return 0;
}

/* The configured key's length decides the cipher suite (and the identity's hash). */
static int key_hash(size_t cfg_len, uint8_t cfg_hash)
{
	if (cfg_len != 32 && cfg_len != 48)
		return -EINVAL;
	/* A hashed key must have its hash's length (the interchange format's rule). */
	if ((cfg_hash == 1 && cfg_len != 32) || (cfg_hash == 2 && cfg_len != 48) || cfg_hash > 2)
		return -EINVAL;
	return cfg_len == 32 ? 1 : 2;
}

static int retained_psk(const uint8_t *cfg, size_t cfg_len, uint8_t cfg_hash,
			const char *hostnqn, uint8_t *out)
{
	if (cfg_hash == 0) {
		memcpy(out, cfg, cfg_len);
		return 0;
	}
	return hkdf_label(hash_md(cfg_hash), cfg, cfg_len, "HostNQN", hostnqn, out, cfg_len);
}

int nvme_tcp_tls_identity_parse(const char *identity, uint8_t *hash, char *hostnqn,
				size_t hostnqn_len, char *subnqn, size_t subnqn_len)
{
	const char *h, *sp;
	size_t hl;

	if (strncmp(identity, "NVMe0R0", 7) != 0 || (identity[7] != '1' && identity[7] != '2') ||
	    identity[8] != ' ')
		return -EINVAL;
	*hash = (uint8_t)(identity[7] - '0');
	h = identity + 9;
	sp = strchr(h, ' ');
	if (sp == NULL || sp == h || strchr(sp + 1, ' ') != NULL || sp[1] == '\0')
		return -EINVAL;
	hl = (size_t)(sp - h);
	if (hl >= hostnqn_len || strlen(sp + 1) >= subnqn_len)
		return -EINVAL;
	memcpy(hostnqn, h, hl);
	hostnqn[hl] = '\0';
	strcpy(subnqn, sp + 1);
	return 0;
}

int nvme_tcp_tls_psk_for_identity(const uint8_t *cfg, size_t cfg_len, uint8_t cfg_hash,
				  const char *identity, uint8_t *out, size_t out_len)
{
	char host[256], sub[256];
	uint8_t retained[HASH_MAX], idhash;
	int hash = key_hash(cfg_len, cfg_hash), rc;

	if (hash < 0 || out_len < cfg_len ||
	    nvme_tcp_tls_identity_parse(identity, &idhash, host, sizeof(host), sub, sizeof(sub)) != 0 ||
	    idhash != hash)
		return -EINVAL;
	rc = retained_psk(cfg, cfg_len, cfg_hash, host, retained);
	if (rc == 0)
		rc = hkdf_label(hash_md((uint8_t)hash), retained, cfg_len, "nvme-tls-psk", identity,
				out, cfg_len);
	OPENSSL_cleanse(retained, sizeof(retained));
	return rc == 0 ? (int)cfg_len : rc;
}

int nvme_tcp_tls_cred_derive(const uint8_t *cfg, size_t cfg_len, uint8_t cfg_hash,
			     const char *hostnqn, const char *subnqn, const char *identity,
			     struct nvme_tcp_tls_cred *out)
{
	uint8_t retained[HASH_MAX];
	int hash = key_hash(cfg_len, cfg_hash), rc, n;

	memset(out, 0, sizeof(*out));
	if (hash < 0 || hostnqn == NULL || subnqn == NULL)
		return -EINVAL;
	if (identity != NULL) {
		if (strlen(identity) > NVME_TCP_TLS_IDENTITY_MAX)
			return -EINVAL;
		strcpy(out->identity, identity);
	} else {
		n = snprintf(out->identity, sizeof(out->identity), "NVMe0R%02d %s %s", hash, hostnqn,
			     subnqn);
		if (n < 0 || (size_t)n >= sizeof(out->identity))
			return -EINVAL;
	}
	rc = retained_psk(cfg, cfg_len, cfg_hash, hostnqn, retained);
	if (rc == 0)
		rc = hkdf_label(hash_md((uint8_t)hash), retained, cfg_len, "nvme-tls-psk",
				out->identity, out->psk, cfg_len);
	OPENSSL_cleanse(retained, sizeof(retained));
	if (rc != 0) {
		nvme_tcp_tls_cred_clear(out);
		return rc;
	}
	out->psk_len = cfg_len;
	return 0;
}

void nvme_tcp_tls_cred_clear(struct nvme_tcp_tls_cred *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}
