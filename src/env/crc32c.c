/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C (Castagnoli): the library's one implementation, used by the
 * NVMe/TCP header and data digests and the blobstore's metadata checksums.
 *
 * Four implementations, picked by sio_crc32c_update() (AUTO):
 *  - table: one 256-entry table, a byte per step; the reference the tests
 *    check the others against;
 *  - slice8: eight tables, eight bytes per step, no special instruction; the
 *    fallback on a CPU without SSE4.2 when isa-l is not linked;
 *  - sse4.2: the crc32 instruction on 8 bytes per step. One dependency chain,
 *    so it is bound by the instruction's 3-cycle latency (~8 B per 3 cycles)
 *    but starts with no call or dispatch cost: best for headers;
 *  - isa-l: crc32_iscsi(), which runs three chains in parallel and folds
 *    them with carry-less multiplies: ~3x the single chain on large buffers,
 *    a fixed cost on small ones.
 * AUTO is sse4.2 below CRC_ISAL_MIN bytes and isa-l from there, the
 * crossover measured with bench_nvme_tcp (docs/env.md).
 *
 * The tables are filled once, under pthread_once, on first use of a
 * table-based method (the hot path never touches them on x86-64 with SSE4.2).
 */
#include <pthread.h>
#include <string.h>

#include "crc32c_internal.h"
#include "spdk_io/env.h"

/* Set to 1 by src/env/meson.build when libisal is found. */
#ifndef SIO_HAVE_ISAL
#define SIO_HAVE_ISAL 0
#endif

#if defined(__x86_64__)
#include <nmmintrin.h>
#define HAVE_SSE42_CODE 1
#else
#define HAVE_SSE42_CODE 0
#endif

#if SIO_HAVE_ISAL
#include <isa-l/crc.h>
#endif

/*
 * Below this many bytes the single-chain SSE4.2 loop beats isa-l; they tie
 * around 256-384 bytes (~8 GB/s each) and from 512 isa-l is 2-4x faster
 * (bench_nvme_tcp crc, docs/env.md).
 */
#define CRC_ISAL_MIN 256

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t g_crc_table[8][256];
static pthread_once_t g_crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_fill(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
		g_crc_table[0][i] = c;
	}
	/* table[k][i]: the CRC of byte i followed by k zero bytes */
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			g_crc_table[k][i] = (g_crc_table[k - 1][i] >> 8) ^
					    g_crc_table[0][g_crc_table[k - 1][i] & 0xff];
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&g_crc_table_once, crc_table_fill);
	while (len--)
		crc = (crc >> 8) ^ g_crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_slice8(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&g_crc_table_once, crc_table_fill);
	while (len >= 8) {
		/* Loads byte by byte: no alignment or endianness assumption. */
		uint32_t lo = crc ^ get_le32(p);
		uint32_t hi = get_le32(p + 4);

		crc = g_crc_table[7][lo & 0xff] ^ g_crc_table[6][(lo >> 8) & 0xff] ^
		      g_crc_table[5][(lo >> 16) & 0xff] ^ g_crc_table[4][lo >> 24] ^
		      g_crc_table[3][hi & 0xff] ^ g_crc_table[2][(hi >> 8) & 0xff] ^
		      g_crc_table[1][(hi >> 16) & 0xff] ^ g_crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ g_crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

#if HAVE_SSE42_CODE
__attribute__((target("sse4.2")))
static uint32_t crc_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c;

	/* Unaligned 8-byte loads cost the same on every SSE4.2 CPU; only a
	 * short tail goes a byte at a time. */
	c = crc;
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		crc = _mm_crc32_u32(crc, v);
		p += 4;
		len -= 4;
	}
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}

static bool have_sse42(void)
{
	/* Reads the cpu model libgcc filled at startup: a load and a test. */
	return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	return crc;
}

static bool have_sse42(void)
{
	return false;
}
#endif

#if SIO_HAVE_ISAL
static uint32_t crc_isal(uint32_t crc, const uint8_t *p, size_t len)
{
	/* crc32_iscsi() takes an int length (and a non-const pointer it only reads). */
	while (len > 0) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;

		crc = crc32_iscsi((unsigned char *)(uintptr_t)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return crc;
}
#endif

uint32_t sio_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

#if SIO_HAVE_ISAL
	if (len >= CRC_ISAL_MIN)
		return crc_isal(crc, p, len);
#endif
	if (have_sse42())
		return crc_sse42(crc, p, len);
#if SIO_HAVE_ISAL
	return crc_isal(crc, p, len);
#else
	return crc_slice8(crc, p, len);
#endif
}

uint32_t sio_crc32c(const void *buf, size_t len)
{
	return sio_crc32c_update(SIO_CRC32C_INIT, buf, len) ^ SIO_CRC32C_XOR;
}

uint32_t sio_crc32c_iov(uint32_t crc, const struct iovec *iov, int iovcnt, size_t len)
{
	for (int i = 0; i < iovcnt && len > 0; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		crc = sio_crc32c_update(crc, iov[i].iov_base, n);
		len -= n;
	}
	return crc;
}

bool env_crc32c_method_available(enum env_crc32c_method method)
{
	switch (method) {
	case ENV_CRC32C_TABLE:
	case ENV_CRC32C_SLICE8:
	case ENV_CRC32C_AUTO:
		return true;
	case ENV_CRC32C_SSE42:
		return have_sse42();
	case ENV_CRC32C_ISAL:
		return SIO_HAVE_ISAL;
	default:
		return false;
	}
}

uint32_t env_crc32c_method_update(enum env_crc32c_method method, uint32_t crc,
				       const void *buf, size_t len)
{
	if (!env_crc32c_method_available(method))
		return crc;
	switch (method) {
	case ENV_CRC32C_TABLE:
		return crc_table(crc, buf, len);
	case ENV_CRC32C_SLICE8:
		return crc_slice8(crc, buf, len);
	case ENV_CRC32C_SSE42:
		return crc_sse42(crc, buf, len);
#if SIO_HAVE_ISAL
	case ENV_CRC32C_ISAL:
		return crc_isal(crc, buf, len);
#endif
	default:
		return sio_crc32c_update(crc, buf, len);
	}
}

const char *env_crc32c_method_name(enum env_crc32c_method method)
{
	static const char *const names[ENV_CRC32C_METHOD_COUNT] = {
		[ENV_CRC32C_TABLE] = "table",
		[ENV_CRC32C_SLICE8] = "slice8",
		[ENV_CRC32C_SSE42] = "sse4.2",
		[ENV_CRC32C_ISAL] = "isa-l",
		[ENV_CRC32C_AUTO] = "auto",
	};

	if ((unsigned)method >= ENV_CRC32C_METHOD_COUNT)
		return "?";
	return names[method];
}
