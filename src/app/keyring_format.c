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

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (RFC 4648 section 4) with '=' padding to a multiple of 4,
 * the form nvme-cli writes. Returns the decoded length or -EINVAL. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t out_len)
{
	size_t n = 0, pad = 0;

	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	if (in[len - 1] == '=')
		pad++;
	if (len >= 2 && in[len - 2] == '=')
		pad++;
	if ((len / 4) * 3 - pad > out_len)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		uint32_t w;

		for (int j = 0; j < 4; j++) {
			bool padding = in[i + j] == '=' && i + 4 == len && j >= 4 - (int)pad;

			v[j] = padding ? 0 : b64_value(in[i + j]);
			if (v[j] < 0)
				return -EINVAL;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		out[n++] = (uint8_t)(w >> 16);
		if (i + 4 < len || pad < 2)
			out[n++] = (uint8_t)(w >> 8);
		if (i + 4 < len || pad < 1)
			out[n++] = (uint8_t)w;
	}
	return (int)n;
}

static void set_msg(char *msg, size_t msg_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msg_len, const char *fmt, ...)
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
		set_msg(msg, msg_len, "no key text");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (len < plen || memcmp(text, prefix, plen) != 0) {
		set_msg(msg, msg_len, "not a %s: it must start with '%s'", what, prefix);
		return -EINVAL;
	}
	/* HH: exactly two hex digits, then ':' */
	if (len < plen + 3 || text[plen + 2] != ':' || text[plen] < '0' || text[plen] > '9' ||
	    text[plen + 1] < '0' || text[plen + 1] > '9') {
		set_msg(msg, msg_len, "%s: the hash indicator after '%s' must be two digits and ':'",
			what, prefix);
		return -EINVAL;
	}
	hash = (unsigned)(text[plen] - '0') * 10 + (unsigned)(text[plen + 1] - '0');
	if (hash > max_hash) {
		set_msg(msg, msg_len, "%s: hash indicator %02u is not 00..%02u", what, hash, max_hash);
		return -EINVAL;
	}
	b64 = text + plen + 3;
	b64_len = len - plen - 3;
	if (b64_len == 0 || b64[b64_len - 1] != ':') {
		set_msg(msg, msg_len, "%s: the base64 part must end with ':'", what);
		return -EINVAL;
	}
	b64_len--;
	n = b64_decode(b64, b64_len, buf, sizeof(buf));
	if (n < 0) {
		set_msg(msg, msg_len, "%s: the part after the hash indicator is not valid base64 "
			"of at most %d bytes", what, SIO_KEY_SECRET_MAX + 4);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	if (n < 4 || !len_ok(hash, (size_t)n - 4)) {
		set_msg(msg, msg_len, "%s: %d-byte secret is not a valid length for hash %02u", what,
			n < 4 ? 0 : n - 4, hash);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	n -= 4;
	crc = (uint32_t)buf[n] | (uint32_t)buf[n + 1] << 8 | (uint32_t)buf[n + 2] << 16 |
	      (uint32_t)buf[n + 3] << 24;
	if (sio_key_crc32(buf, (size_t)n) != crc) {
		set_msg(msg, msg_len, "%s: CRC-32 check failed (the key is corrupt or mistyped)", what);
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
