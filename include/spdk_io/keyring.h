/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file keyring.h
 * The keyring: named secrets read from files (SPDK's `keyring_file_*` RPCs),
 * looked up by name by the layers that need them (NVMe-oF in-band
 * authentication, NVMe/TCP TLS), and the two text formats such secrets come in:
 *
 * - TLS PSK interchange format (NVMe/TCP transport specification):
 *   `NVMeTLSkey-1:HH:<base64(PSK || CRC-32)>:`, HH = 00 (no PSK hash),
 *   01 (SHA-256, 32-byte PSK) or 02 (SHA-384, 48-byte PSK);
 * - DH-HMAC-CHAP secret representation (NVMe base specification, nvme-cli's
 *   `gen-dhchap-key`): `DHHC-1:HH:<base64(secret || CRC-32)>:`, HH = the hash
 *   transforming the secret (00 none, 01 SHA-256, 02 SHA-384, 03 SHA-512),
 *   secret 32, 48 or 64 bytes.
 *
 * In both the CRC-32 is the IEEE 802.3 one (zlib's crc32()) over the secret's
 * bytes, appended least significant byte first.
 *
 * Key material stays in the keyring's memory: it is never printed (RPC
 * results, save_config and logs carry names and paths only) and is zeroed
 * (explicit_bzero) when the key is removed.
 */
#ifndef SPDK_IO_KEYRING_H
#define SPDK_IO_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest key name accepted (bytes, without the terminating NUL). */
#define SIO_KEY_NAME_MAX 255
/** Largest key file accepted (bytes); the formats above need fewer than 120. */
#define SIO_KEY_FILE_MAX 4096
/** Largest decoded secret of either format (a 64-byte DH-HMAC-CHAP secret). */
#define SIO_KEY_SECRET_MAX 64

/** A named key of the keyring (opaque; reference counted). */
struct sio_key;

/**
 * sio_keyring_file_add_key() - Add key @name read from file @path.
 * @name: unique name, 1..SIO_KEY_NAME_MAX bytes.
 * @path: absolute path of a regular file that neither its group nor others may
 *        access in any way (mode & 077 == 0, as SPDK requires); its text,
 *        trailing whitespace dropped, must be a TLS PSK interchange key or a
 *        DH-HMAC-CHAP secret (checked here, CRC included).
 * @msg: when not NULL, receives a one-line reason on failure (@msg_len
 *       bytes); it names the key and the file, never the material.
 *
 * The file is read once, here; later changes to it are not seen.
 * Context: any thread (the keyring has its own lock); does not park.
 * Return: 0; -EINVAL bad name, relative path or bad key text; -EEXIST name
 * taken; -ENOENT/-EACCES and other open()/read() errors; -EPERM the file is
 * group/other accessible; -EFBIG file larger than SIO_KEY_FILE_MAX; -ENOMEM.
 */
int sio_keyring_file_add_key(const char *name, const char *path, char *msg, size_t msg_len);

/**
 * sio_keyring_file_remove_key() - Remove key @name: its material is zeroed
 * now; holders of a reference keep the object, whose sio_key_get_key() then
 * returns -ENOKEY, until they put it.
 * Context: any thread; does not park.
 * Return: 0; -ENOENT no such key.
 */
int sio_keyring_file_remove_key(const char *name);

/**
 * sio_keyring_remove_all() - Remove every key (as sio_keyring_file_remove_key()
 * each); the keyring subsystem's fini does this at app shutdown.
 * Context: any thread.
 */
void sio_keyring_remove_all(void);

/**
 * sio_keyring_get_key() - Look up key @name and take a reference.
 * Context: any thread. Return: the key (put it with sio_key_put()), or NULL
 * when no key of that name is in the keyring.
 */
struct sio_key *sio_keyring_get_key(const char *name);

/**
 * sio_key_ref() - Take one more reference on @key (a holder handing the key
 * to another, e.g. a subsystem's host entry to a connecting queue).
 * Context: any thread. Return: @key (NULL stays NULL).
 */
struct sio_key *sio_key_ref(struct sio_key *key);

/**
 * sio_key_put() - Drop a reference from sio_keyring_get_key(); the last one
 * frees a removed key. NULL is a no-op.
 * Context: any thread.
 */
void sio_key_put(struct sio_key *key);

/** sio_key_get_name() - The key's name; valid while the reference is held. Context: any thread. */
const char *sio_key_get_name(const struct sio_key *key);

/**
 * sio_key_get_key() - Copy the key's text (the file's contents, trailing
 * whitespace dropped, no NUL added) to @buf.
 * Context: any thread.
 * Return: its length; -ENOKEY the key was removed; -ENOBUFS @len too small;
 * -EINVAL NULL argument. The caller should explicit_bzero() its copy when done.
 */
int sio_key_get_key(struct sio_key *key, void *buf, size_t len);

/** Which format a key's text is in. */
enum sio_key_format {
	SIO_KEY_FORMAT_TLS_PSK = 1, /**< `NVMeTLSkey-1:...` */
	SIO_KEY_FORMAT_DHCHAP = 2,  /**< `DHHC-1:...` */
};

/** sio_key_get_format() - The format of @key (checked when it was added). Context: any thread. */
enum sio_key_format sio_key_get_format(const struct sio_key *key);

/** A decoded secret; clear it with sio_key_secret_clear() when done. */
struct sio_key_secret {
	uint8_t hash;                      /**< HH of the text: 0 none, 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	uint8_t len;                       /**< bytes of @bytes used */
	uint8_t bytes[SIO_KEY_SECRET_MAX]; /**< the secret, CRC removed */
};

/**
 * sio_key_decode_tls_psk() - Decode a TLS PSK in interchange format.
 * @text: `NVMeTLSkey-1:HH:BASE64:` (@len bytes, no NUL needed).
 * @out: the PSK and its hash (0 none, 1 SHA-256, 2 SHA-384).
 * @msg: when not NULL, the reason of a refusal (never the material).
 * Context: any thread; pure.
 * Return: 0; -EINVAL wrong prefix, hash, base64, length or CRC.
 */
int sio_key_decode_tls_psk(const char *text, size_t len, struct sio_key_secret *out, char *msg,
			   size_t msg_len);

/**
 * sio_key_decode_dhchap() - Decode a DH-HMAC-CHAP secret (`DHHC-1:HH:BASE64:`).
 * Same contract as sio_key_decode_tls_psk(); HH 00..03, secret 32/48/64 bytes.
 */
int sio_key_decode_dhchap(const char *text, size_t len, struct sio_key_secret *out, char *msg,
			  size_t msg_len);

/**
 * sio_key_get_secret() - Decode @key (either format) into @out.
 * Context: any thread.
 * Return: 0; -ENOKEY removed; -EINVAL (cannot happen for a key the keyring
 * accepted).
 */
int sio_key_get_secret(struct sio_key *key, struct sio_key_secret *out);

/** sio_key_secret_clear() - Zero @s (explicit_bzero: not optimised away). Context: any thread. */
void sio_key_secret_clear(struct sio_key_secret *s);

/**
 * sio_key_crc32() - The CRC-32 (IEEE 802.3, reflected, initial value and final
 * xor 0xffffffff: zlib's crc32(0, ...)) of @len bytes at @data, as both key
 * formats use it. Context: any thread; pure.
 */
uint32_t sio_key_crc32(const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_KEYRING_H */
