/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DH-HMAC-CHAP computations over OpenSSL 3 (see dhchap.h). Everything here is
 * per authentication transaction (a few per queue connection), never per I/O:
 * the costs that matter are the Diffie-Hellman key generation and derivation,
 * about a millisecond for ffdhe2048 and tens of milliseconds for ffdhe8192
 * on the development machine, paid on the calling thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "nvme/auth/dhchap.h"

static const char *const g_hash_names[] = {NULL, "sha256", "sha384", "sha512"};
/* OpenSSL's digest names for the same ids */
static const char *const g_md_names[] = {NULL, "SHA256", "SHA384", "SHA512"};
static const char *const g_group_names[] = {"null", "ffdhe2048", "ffdhe3072", "ffdhe4096",
					    "ffdhe6144", "ffdhe8192"};

size_t dhchap_hash_len(uint8_t hashid)
{
	switch (hashid) {
	case DHCHAP_HASH_SHA256:
		return 32;
	case DHCHAP_HASH_SHA384:
		return 48;
	case DHCHAP_HASH_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *dhchap_hash_name(uint8_t hashid)
{
	return hashid >= 1 && hashid <= DHCHAP_HASH_MAX ? g_hash_names[hashid] : NULL;
}

const char *dhchap_dhgroup_name(uint8_t dhgid)
{
	return dhgid <= DHCHAP_DHGROUP_MAX ? g_group_names[dhgid] : NULL;
}

int dhchap_hash_from_name(const char *name)
{
	for (int i = 1; i <= DHCHAP_HASH_MAX; i++)
		if (name != NULL && strcmp(name, g_hash_names[i]) == 0)
			return i;
	return -EINVAL;
}

int dhchap_dhgroup_from_name(const char *name)
{
	for (int i = 0; i <= DHCHAP_DHGROUP_MAX; i++)
		if (name != NULL && strcmp(name, g_group_names[i]) == 0)
			return i;
	return -EINVAL;
}

struct part {
	const void *p;
	size_t len;
};

/* HMAC-<hashid>(@key, parts...) into @out (dhchap_hash_len(hashid) bytes). */
static int hmac_parts(uint8_t hashid, const uint8_t *key, size_t key_len,
		      const struct part *parts, size_t n, uint8_t *out)
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t out_len = 0, hl = dhchap_hash_len(hashid);
	int rc = -EIO;

	if (hl == 0)
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)g_md_names[hashid], 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len > 0 && EVP_MAC_update(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &out_len, DHCHAP_MAX_HASH_LEN) != 1 || out_len != hl)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int dhchap_transform(const struct sio_key_secret *secret, const char *nqn, struct dhchap_key *out)
{
	struct part parts[2] = {{nqn, strlen(nqn)}, {"NVMe-over-Fabrics", 17}};
	int rc;

	memset(out, 0, sizeof(*out));
	if (secret->len == 0 || secret->len > DHCHAP_MAX_HASH_LEN || secret->hash > DHCHAP_HASH_MAX)
		return -EINVAL;
	if (secret->hash == 0) {
		memcpy(out->bytes, secret->bytes, secret->len);
		out->len = secret->len;
		return 0;
	}
	rc = hmac_parts(secret->hash, secret->bytes, secret->len, parts, 2, out->bytes);
	if (rc == 0)
		out->len = (uint8_t)dhchap_hash_len(secret->hash);
	return rc;
}

int dhchap_key_load(struct sio_key *key, const char *nqn, struct dhchap_key *out)
{
	struct sio_key_secret s;
	int rc;

	if (sio_key_get_format(key) != SIO_KEY_FORMAT_DHCHAP)
		return -EINVAL;
	rc = sio_key_get_secret(key, &s);
	if (rc == 0)
		rc = dhchap_transform(&s, nqn, out);
	sio_key_secret_clear(&s);
	return rc;
}

int dhchap_augment(uint8_t hashid, const uint8_t *skey, size_t skey_len, const uint8_t *c,
		   uint8_t *out)
{
	size_t hl = dhchap_hash_len(hashid);
	uint8_t hk[DHCHAP_MAX_HASH_LEN];
	unsigned int hk_len = 0;
	struct part part = {c, hl};
	int rc;

	if (hl == 0)
		return -EINVAL;
	if (skey == NULL) {
		memcpy(out, c, hl);
		return 0;
	}
	/* H(g^xy) with the negotiated hash keys the HMAC of the challenge. */
	if (EVP_Digest(skey, skey_len, hk, &hk_len, EVP_get_digestbyname(g_md_names[hashid]),
		       NULL) != 1 || hk_len != hl)
		return -EIO;
	rc = hmac_parts(hashid, hk, hl, &part, 1, out);
	OPENSSL_cleanse(hk, sizeof(hk));
	return rc;
}

int dhchap_response(uint8_t hashid, const struct dhchap_key *key, const uint8_t *ca,
		    uint32_t seqnum, uint16_t t_id, const char *role, const char *nqn1,
		    const char *nqn2, uint8_t *out)
{
	uint8_t seq[4] = {(uint8_t)seqnum, (uint8_t)(seqnum >> 8), (uint8_t)(seqnum >> 16),
			  (uint8_t)(seqnum >> 24)};
	uint8_t tid[2] = {(uint8_t)t_id, (uint8_t)(t_id >> 8)};
	static const uint8_t zero;
	struct part parts[] = {
		{ca, dhchap_hash_len(hashid)}, {seq, 4}, {tid, 2},
		{&zero, 1},  /* SC_C: no secure channel concatenation */
		{role, strlen(role)}, {nqn1, strlen(nqn1)}, {&zero, 1}, {nqn2, strlen(nqn2)},
	};

	return hmac_parts(hashid, key->bytes, key->len, parts, sizeof(parts) / sizeof(parts[0]),
			  out);
}

int dhchap_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

uint32_t dhchap_seqnum(void)
{
	uint32_t s = 0;

	while (s == 0)
		if (dhchap_random(&s, sizeof(s)) != 0)
			s = 1;
	return s;
}

bool dhchap_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* ---- Diffie-Hellman ---- */

struct dhchap_dh {
	EVP_PKEY *key;
	uint8_t gid;
	size_t len;
};

size_t dhchap_dh_len(const struct dhchap_dh *dh)
{
	return dh->len;
}

struct dhchap_dh *dhchap_dh_create(uint8_t dhgid)
{
	struct dhchap_dh *dh;
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM params[2];

	if (dhgid == DHCHAP_DHGROUP_NULL || dhgid > DHCHAP_DHGROUP_MAX)
		return NULL;
	dh = calloc(1, sizeof(*dh));
	if (dh == NULL)
		return NULL;
	dh->gid = dhgid;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)g_group_names[dhgid], 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_generate(ctx, &dh->key) != 1) {
		EVP_PKEY_CTX_free(ctx);
		free(dh);
		return NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	dh->len = (size_t)EVP_PKEY_get_size(dh->key);
	return dh;
}

void dhchap_dh_destroy(struct dhchap_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key);
	free(dh);
}

int dhchap_dh_public(const struct dhchap_dh *dh, uint8_t *out)
{
	BIGNUM *pub = NULL;
	int rc = -EIO;

	if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &pub) == 1 &&
	    BN_bn2binpad(pub, out, (int)dh->len) == (int)dh->len)
		rc = 0;
	BN_free(pub);
	return rc;
}

int dhchap_dh_derive(struct dhchap_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL, *dctx = NULL;
	EVP_PKEY *peer_key = NULL;
	BIGNUM *pub = NULL;
	size_t out_len = dh->len;
	int rc = -EIO;

	if (peer_len != dh->len)
		return -EINVAL;
	pub = BN_bin2bn(peer, (int)peer_len, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (pub == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    g_group_names[dh->gid], 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &peer_key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1)
		goto out;
	/* Keep leading zero bytes: g^xy is hashed at the group's full size. */
	if (EVP_PKEY_CTX_set_dh_pad(dctx, 1) != 1)
		goto out;
	/* set_peer checks the value (1 < y < p-1, and in the subgroup): a bad one is the peer's fault. */
	if (EVP_PKEY_derive_set_peer(dctx, peer_key) != 1) {
		rc = -EINVAL;
		goto out;
	}
	if (EVP_PKEY_derive(dctx, out, &out_len) != 1 || out_len != dh->len)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer_key);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(pub);
	return rc;
}
