/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two key text formats of the NVMe specifications (keyring.h): a common
 * shape `PREFIX:HH:BASE64:` whose base64 carries the secret followed by its
 * CRC-32, least significant byte first. Errors say which part is wrong,
 * never what the secret is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app/keyring_internal.h"
#include "spdk_io/env.h"
#include "spdk_io/keyring.h"

/* CRC-32 of IEEE 802.3, reflected polynomial 0xedb88320, computed bitwise:
 * keys are at most 64 bytes and decoded once per use, a table buys nothing. */
uint32_t sio_key_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xffffffffu;
}

void sio_key_secret_clear(struct sio_key_secret *s)
{
	if (s != NULL)
		explicit_bzero(s, sizeof(*s));
}

void keyring_set_msg(char *msg, size_t msg_len, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msg_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msg_len, fmt, ap);
	va_end(ap);
}

/*
 * Decode PREFIX:HH:BASE64: with HH <= max_hash and a secret length that
 * @len_ok accepts for that hash.
 */
static int decode_common(const char *text, size_t len, const char *prefix, unsigned max_hash,
			 bool (*len_ok)(unsigned hash, size_t n), const char *what,
			 struct sio_key_secret *out, char *msg, size_t msg_len)
{
	size_t plen = strlen(prefix);
	uint8_t buf[SIO_KEY_SECRET_MAX + 4 + 3];
	const char *b64;
	size_t b64_len;
	unsigned hash;
	uint32_t crc;
	int n;

	if (text == NULL || out == NULL) {
		keyring_set_msg(msg, msg_len, "no key text");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (len < plen || memcmp(text, prefix, plen) != 0) {
		keyring_set_msg(msg, msg_len, "not a %s: it must start with '%s'", what, prefix);
		return -EINVAL;
	}
	/* HH: exactly two hex digits, then ':' */
	if (len < plen + 3 || text[plen + 2] != ':' || text[plen] < '0' || text[plen] > '9' ||
	    text[plen + 1] < '0' || text[plen + 1] > '9') {
		keyring_set_msg(msg, msg_len,
				"%s: the hash indicator after '%s' must be two digits and ':'",
				what, prefix);
		return -EINVAL;
	}
	hash = (unsigned)(text[plen] - '0') * 10 + (unsigned)(text[plen + 1] - '0');
	if (hash > max_hash) {
		keyring_set_msg(msg, msg_len,
				"%s: hash indicator %02u is not 00..%02u", what, hash, max_hash);
		return -EINVAL;
	}
	b64 = text + plen + 3;
	b64_len = len - plen - 3;
	if (b64_len == 0 || b64[b64_len - 1] != ':') {
		keyring_set_msg(msg, msg_len, "%s: the base64 part must end with ':'", what);
		return -EINVAL;
	}
	b64_len--;
	/* the codec decodes "" to nothing; here that is a missing secret, and
	 * -ENOSPC (longer than any key) is malformed text all the same */
	n = b64_len == 0 ? -EINVAL : (int)sio_base64_decode(buf, sizeof(buf), b64, b64_len);
	if (n < 0) {
		keyring_set_msg(msg, msg_len,
				"%s: the part after the hash indicator is not valid base64 "
				"of at most %d bytes", what, SIO_KEY_SECRET_MAX + 4);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	if (n < 4 || !len_ok(hash, (size_t)n - 4)) {
		keyring_set_msg(msg, msg_len,
				"%s: %d-byte secret is not a valid length for hash %02u", what,
				n < 4 ? 0 : n - 4, hash);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	n -= 4;
	crc = (uint32_t)buf[n] | (uint32_t)buf[n + 1] << 8 | (uint32_t)buf[n + 2] << 16 |
	      (uint32_t)buf[n + 3] << 24;
	if (sio_key_crc32(buf, (size_t)n) != crc) {
		keyring_set_msg(msg, msg_len,
				"%s: CRC-32 check failed (the key is corrupt or mistyped)", what);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	out->hash = (uint8_t)hash;
	out->len = (uint8_t)n;
	memcpy(out->bytes, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* NVMe/TCP: PSK hash 01 is SHA-256 (32 bytes), 02 SHA-384 (48 bytes); 00
 * (the PSK used as configured) takes either size. */
static bool psk_len_ok(unsigned hash, size_t n)
{
	if (hash == 1)
		return n == 32;
	if (hash == 2)
		return n == 48;
	return n == 32 || n == 48;
}

/* DH-HMAC-CHAP: the transform hash and the secret length are independent. */
static bool dhchap_len_ok(unsigned hash, size_t n)
{
	return n == 32 || n == 48 || n == 64;
}

int sio_key_decode_tls_psk(const char *text, size_t len, struct sio_key_secret *out, char *msg,
			   size_t msg_len)
{
	return decode_common(text, len, "NVMeTLSkey-1:", 2, psk_len_ok, "TLS PSK interchange key",
			     out, msg, msg_len);
}

int sio_key_decode_dhchap(const char *text, size_t len, struct sio_key_secret *out, char *msg,
			  size_t msg_len)
{
	return decode_common(text, len, "DHHC-1:", 3, dhchap_len_ok, "DH-HMAC-CHAP secret", out,
			     msg, msg_len);
}
