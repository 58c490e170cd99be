/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Base64 (RFC 4648 section 4, standard alphabet, '=' padding): the library's
 * one codec. The keyring decodes the NVMe key interchange formats with it,
 * bdev_get_histogram encodes its bucket array with it.
 */
#include <errno.h>
#include <sys/types.h>

#include "spdk_io/env.h"

static const char g_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of an alphabet character, -1 for anything else ('=' too).
 * A switch of ranges rather than a 256-byte table: keys and histograms are
 * encoded once per request, never per I/O. */
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

ssize_t sio_base64_encode(char *dst, size_t dst_size, const void *src, size_t len)
{
	const uint8_t *s = src;
	char *d = dst;
	size_t i = 0;

	if (dst == NULL || (src == NULL && len != 0))
		return -EINVAL;
	if (len / 3 >= SIZE_MAX / 4 - 1 || dst_size < sio_base64_encoded_len(len) + 1)
		return -ENOSPC;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*d++ = g_b64_alphabet[v >> 18];
		*d++ = g_b64_alphabet[(v >> 12) & 63];
		*d++ = g_b64_alphabet[(v >> 6) & 63];
		*d++ = g_b64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);

		*d++ = g_b64_alphabet[v >> 18];
		*d++ = g_b64_alphabet[(v >> 12) & 63];
		*d++ = i + 1 < len ? g_b64_alphabet[(v >> 6) & 63] : '=';
		*d++ = '=';
	}
	*d = '\0';
	return d - dst;
}

ssize_t sio_base64_decode(void *dst, size_t dst_size, const char *src, size_t len)
{
	uint8_t *out = dst;
	size_t n = 0, pad = 0;

	if ((src == NULL || dst == NULL) && len != 0)
		return -EINVAL;
	if (len % 4 != 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (src[len - 1] == '=')
		pad++;
	if (src[len - 2] == '=')
		pad++;
	if (len / 4 * 3 - pad > dst_size)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		uint32_t w;

		for (int j = 0; j < 4; j++) {
			/* '=' only as the last one or two characters of the input */
			bool padding = src[i + j] == '=' && i + 4 == len && j >= 4 - (int)pad;

			v[j] = padding ? 0 : b64_value(src[i + j]);
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
	return (ssize_t)n;
}
