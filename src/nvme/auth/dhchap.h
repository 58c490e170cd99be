/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DH-HMAC-CHAP (NVMe Base 2.0 section 8.13, in-band authentication of an
 * NVMe-oF queue): the one place both sides share. Message layouts, the
 * transformed secret, the augmented challenge, the responses, and the
 * finite-field Diffie-Hellman exchange (RFC 7919 groups), with OpenSSL's
 * libcrypto underneath. The host (src/nvme/host/auth.c) and the target
 * (src/nvmf/auth.c) each drive their half of the exchange over it.
 *
 * Not done: secure channel concatenation (SC_C other than 0, the session
 * key that would feed a TLS PSK). Negotiate messages asking for it are
 * refused with "concatenation mismatch".
 *
 * Byte order: every multi-byte field is little-endian on the wire; the
 * structs below are read and written on little-endian hosts only (as the
 * rest of nvme_spec.h).
 */
#ifndef SIO_NVME_AUTH_DHCHAP_H
#define SIO_NVME_AUTH_DHCHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spdk_io/keyring.h"

/* AUTHREQ of a successful Connect response (NVMe-oF): authentication transaction required */
#define DHCHAP_AUTHREQ_ATR (1u << 1)
/* ... secure channel required (TLS; not DH-HMAC-CHAP's business) */
#define DHCHAP_AUTHREQ_ASCR (1u << 2)

/* AUTH_TYPE of a message */
#define DHCHAP_AUTH_TYPE_COMMON 0x00 /* AUTH_Negotiate, failures */
#define DHCHAP_AUTH_TYPE_DHCHAP 0x01 /* the DH-HMAC-CHAP protocol messages */

/* AUTH_ID of a message */
enum dhchap_msg_id {
	DHCHAP_MSG_NEGOTIATE = 0x00, /* host -> controller: what the host can do */
	DHCHAP_MSG_CHALLENGE = 0x01, /* controller -> host: hash, group, C1, g^x */
	DHCHAP_MSG_REPLY = 0x02,     /* host -> controller: R1, C2 (bidirectional), g^y */
	DHCHAP_MSG_SUCCESS1 = 0x03,  /* controller -> host: R1 accepted, R2 if asked */
	DHCHAP_MSG_SUCCESS2 = 0x04,  /* host -> controller: R2 accepted (bidirectional only) */
	DHCHAP_MSG_FAILURE2 = 0xf0,  /* host -> controller: the controller failed */
	DHCHAP_MSG_FAILURE1 = 0xf1,  /* controller -> host: the host failed */
};

/* AUTH_Negotiate protocol descriptor AUTH_ID */
#define DHCHAP_PROTOCOL_ID 0x01

/* Hash function identifiers (HashID; also the HH of a DHHC-1 secret) */
enum dhchap_hash {
	DHCHAP_HASH_SHA256 = 1,
	DHCHAP_HASH_SHA384 = 2,
	DHCHAP_HASH_SHA512 = 3,
};
#define DHCHAP_HASH_MAX 3

/* Diffie-Hellman group identifiers (DHGID) */
enum dhchap_dhgroup {
	DHCHAP_DHGROUP_NULL = 0,
	DHCHAP_DHGROUP_2048 = 1,
	DHCHAP_DHGROUP_3072 = 2,
	DHCHAP_DHGROUP_4096 = 3,
	DHCHAP_DHGROUP_6144 = 4,
	DHCHAP_DHGROUP_8192 = 5,
};
#define DHCHAP_DHGROUP_MAX 5

/* Failure reason code (always 1, "authentication failure") and explanations */
#define DHCHAP_FAILURE_REASON 0x01
enum dhchap_failure {
	DHCHAP_FAIL_FAILED = 0x01,            /* authentication failed (wrong key) */
	DHCHAP_FAIL_NOT_USABLE = 0x02,        /* no usable protocol */
	DHCHAP_FAIL_CONCAT_MISMATCH = 0x03,   /* secure channel concatenation not possible */
	DHCHAP_FAIL_HASH_UNUSABLE = 0x04,     /* no hash function in common */
	DHCHAP_FAIL_DHGROUP_UNUSABLE = 0x05,  /* no DH group in common */
	DHCHAP_FAIL_INCORRECT_PAYLOAD = 0x06, /* a message's fields are wrong */
	DHCHAP_FAIL_INCORRECT_PROTOCOL = 0x07,/* unexpected message */
};

/* Largest digest (SHA-512) and DH value (ffdhe8192) */
#define DHCHAP_MAX_HASH_LEN 64
#define DHCHAP_MAX_DH_LEN 1024
/* A buffer every message fits in: Reply with 2 digests and an 8192-bit value. */
#define DHCHAP_MSG_MAX 4096

/* Common header of every message */
struct dhchap_hdr {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd[2];
	uint16_t t_id;
} __attribute__((packed));

/* One AUTH_Negotiate protocol descriptor (DH-HMAC-CHAP) */
struct dhchap_protocol_desc {
	uint8_t authid;    /* DHCHAP_PROTOCOL_ID */
	uint8_t rsvd;
	uint8_t halen;     /* hash IDs in idlist[0..29] */
	uint8_t dhlen;     /* DH group IDs in idlist[30..59] */
	uint8_t idlist[60];
} __attribute__((packed));

struct dhchap_negotiate {
	uint8_t auth_type; /* COMMON */
	uint8_t auth_id;   /* NEGOTIATE */
	uint8_t rsvd[2];
	uint16_t t_id;
	uint8_t sc_c;      /* secure channel concatenation: 0 */
	uint8_t napd;      /* number of descriptors */
	struct dhchap_protocol_desc descs[];
} __attribute__((packed));

struct dhchap_challenge {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	uint16_t t_id;
	uint8_t hl;        /* hash length */
	uint8_t rsvd2;
	uint8_t hashid;
	uint8_t dhgid;
	uint16_t dhvlen;
	uint32_t seqnum;   /* S1 */
	uint8_t data[];    /* C1[hl], then g^x[dhvlen] */
} __attribute__((packed));

struct dhchap_reply {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	uint16_t t_id;
	uint8_t hl;
	uint8_t rsvd2;
	uint8_t cvalid;    /* 1: C2 is valid, authenticate the controller */
	uint8_t rsvd3;
	uint16_t dhvlen;
	uint32_t seqnum;   /* S2 (0 unless cvalid) */
	uint8_t data[];    /* R1[hl], C2[hl], g^y[dhvlen] */
} __attribute__((packed));

struct dhchap_success1 {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	uint16_t t_id;
	uint8_t hl;
	uint8_t rsvd2;
	uint8_t rvalid;    /* 1: R2 follows */
	uint8_t rsvd3[7];
	uint8_t rval[];    /* R2[hl] */
} __attribute__((packed));

struct dhchap_success2 {
	uint8_t auth_type;
	uint8_t auth_id;
	uint8_t rsvd1[2];
	uint16_t t_id;
	uint8_t rsvd2[10];
} __attribute__((packed));

struct dhchap_failure_msg {
	uint8_t auth_type; /* COMMON */
	uint8_t auth_id;   /* FAILURE1 / FAILURE2 */
	uint8_t rsvd1[2];
	uint16_t t_id;
	uint8_t rescode;   /* DHCHAP_FAILURE_REASON */
	uint8_t rescode_exp; /* enum dhchap_failure */
} __attribute__((packed));

_Static_assert(sizeof(struct dhchap_hdr) == 6, "AUTH header");
_Static_assert(sizeof(struct dhchap_protocol_desc) == 64, "AUTH_Negotiate descriptor");
_Static_assert(sizeof(struct dhchap_negotiate) == 8, "AUTH_Negotiate");
_Static_assert(sizeof(struct dhchap_challenge) == 16, "DH-HMAC-CHAP_Challenge");
_Static_assert(sizeof(struct dhchap_reply) == 16, "DH-HMAC-CHAP_Reply");
_Static_assert(sizeof(struct dhchap_success1) == 16, "DH-HMAC-CHAP_Success1");
_Static_assert(sizeof(struct dhchap_success2) == 16, "DH-HMAC-CHAP_Success2");
_Static_assert(sizeof(struct dhchap_failure_msg) == 8, "DH-HMAC-CHAP_Failure");

/* Bit masks of allowed digests / groups: bit (1 << id). */
#define DHCHAP_DIGESTS_ALL ((1u << DHCHAP_HASH_SHA256) | (1u << DHCHAP_HASH_SHA384) | \
			    (1u << DHCHAP_HASH_SHA512))
#define DHCHAP_DHGROUPS_ALL 0x3fu

/* Digest length of @hashid (32/48/64), 0 if unknown. */
size_t dhchap_hash_len(uint8_t hashid);
/* "sha256"... / "null", "ffdhe2048"... as SPDK's RPCs name them; NULL if unknown. */
const char *dhchap_hash_name(uint8_t hashid);
const char *dhchap_dhgroup_name(uint8_t dhgid);
/* Name -> id; -EINVAL if unknown. */
int dhchap_hash_from_name(const char *name);
int dhchap_dhgroup_from_name(const char *name);

/* A transformed secret (Kh or Kc). */
struct dhchap_key {
	uint8_t len;
	uint8_t bytes[DHCHAP_MAX_HASH_LEN];
};

/*
 * The key a response is computed with: the secret itself (HH 00) or
 * HMAC-<HH>(secret, @nqn || "NVMe-over-Fabrics"), @nqn being the host's NQN
 * for a host key, the subsystem's for a controller key.
 * Return 0 or -EINVAL / -ENOMEM.
 */
int dhchap_transform(const struct sio_key_secret *secret, const char *nqn, struct dhchap_key *out);

/* Read @key (a DHHC-1 keyring key) and transform it for @nqn. -ENOKEY removed, -EINVAL wrong format. */
int dhchap_key_load(struct sio_key *key, const char *nqn, struct dhchap_key *out);

/*
 * The challenge to answer: C itself without DH, else
 * HMAC-<hash>(H(g^xy), C) (the augmented challenge). @skey NULL for no DH.
 */
int dhchap_augment(uint8_t hashid, const uint8_t *skey, size_t skey_len, const uint8_t *c,
		   uint8_t *out);

/*
 * A response: HMAC-<hash>(K, Ca || le32 seqnum || le16 t_id || 0x00 ||
 * @role || @nqn1 || 0x00 || @nqn2). The host's R1 has role "HostHost",
 * nqn1 the host's and nqn2 the subsystem's; the controller's R2 "Controller",
 * subsystem then host.
 */
int dhchap_response(uint8_t hashid, const struct dhchap_key *key, const uint8_t *ca,
		    uint32_t seqnum, uint16_t t_id, const char *role, const char *nqn1,
		    const char *nqn2, uint8_t *out);

/* Random bytes from OpenSSL's generator. 0 or -EIO. */
int dhchap_random(void *buf, size_t len);
/* A non-zero sequence number. */
uint32_t dhchap_seqnum(void);

/* Constant-time comparison of @len bytes: true if equal. */
bool dhchap_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* One side's ephemeral Diffie-Hellman key in an RFC 7919 group. */
struct dhchap_dh;

/* Generate a key pair in @dhgid (not NULL). NULL on failure. */
struct dhchap_dh *dhchap_dh_create(uint8_t dhgid);
void dhchap_dh_destroy(struct dhchap_dh *dh);
/* Size of the group's values in bytes (256 for ffdhe2048 ... 1024 for ffdhe8192). */
size_t dhchap_dh_len(const struct dhchap_dh *dh);
/* Our public value, big-endian, padded to dhchap_dh_len(). 0 or -EIO. */
int dhchap_dh_public(const struct dhchap_dh *dh, uint8_t *out);
/*
 * The shared secret g^xy with the peer's public value (@peer_len must be the
 * group's size; the value is checked), padded to dhchap_dh_len() at @out.
 * 0; -EINVAL a bad peer value; -EIO.
 */
int dhchap_dh_derive(struct dhchap_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out);

#endif /* SIO_NVME_AUTH_DHCHAP_H */
