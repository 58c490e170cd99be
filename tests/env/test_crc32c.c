/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C (src/env/crc32c.c), as the NVMe/TCP digests and the blobstore's
 * metadata checksums use it: the published test vectors (the check
 * value of the CRC-32C catalogue entry, RFC 3720 appendix B.4), every
 * implementation against the byte-table reference over lengths 0..4 KiB at
 * every alignment and a few large sizes, piecewise updates, the iovec form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/uio.h>

#include "env/crc32c_internal.h"
#include "spdk_io/env.h"

static uint32_t digest(enum env_crc32c_method m, const void *buf, size_t len)
{
	return env_crc32c_method_update(m, SIO_CRC32C_INIT, buf, len) ^ SIO_CRC32C_XOR;
}

static void test_vectors(void **state)
{
	uint8_t b[48];
	/* RFC 3720 B.4: an iSCSI Read command PDU header */
	static const uint8_t scsi_read[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	for (int m = 0; m < ENV_CRC32C_METHOD_COUNT; m++) {
		if (!env_crc32c_method_available((enum env_crc32c_method)m)) {
			print_message("crc32c method %s not available here\n",
				      env_crc32c_method_name((enum env_crc32c_method)m));
			continue;
		}
		assert_int_equal(digest(m, "123456789", 9), 0xe3069283);
		assert_int_equal(digest(m, "", 0), 0);
		memset(b, 0, 32);
		assert_int_equal(digest(m, b, 32), 0x8a9136aa);
		memset(b, 0xff, 32);
		assert_int_equal(digest(m, b, 32), 0x62a8ab43);
		for (int i = 0; i < 32; i++)
			b[i] = (uint8_t)i;
		assert_int_equal(digest(m, b, 32), 0x46dd794e);
		for (int i = 0; i < 32; i++)
			b[i] = (uint8_t)(31 - i);
		assert_int_equal(digest(m, b, 32), 0x113fdb5c);
		assert_int_equal(digest(m, scsi_read, 48), 0xd9963a56);
	}
	assert_int_equal(sio_crc32c("123456789", 9), 0xe3069283);
	/* the SSE4.2 path exists on every x86-64 CPU this project targets */
#if defined(__x86_64__)
	assert_true(env_crc32c_method_available(ENV_CRC32C_SSE42));
#endif
	assert_string_equal(env_crc32c_method_name(ENV_CRC32C_METHOD_COUNT), "?");
	assert_false(env_crc32c_method_available(ENV_CRC32C_METHOD_COUNT));
	/* an unavailable method leaves the register alone */
	assert_int_equal(env_crc32c_method_update(ENV_CRC32C_METHOD_COUNT, 1234, "x", 1), 1234);
}

static void test_methods_agree(void **state)
{
	size_t big = 300000;
	uint8_t *b = malloc(big + 16);
	uint32_t seed = 1;

	assert_non_null(b);
	for (size_t i = 0; i < big + 16; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
	for (size_t len = 0; len <= 4096; len += len < 300 ? 1 : 61) {
		for (size_t align = 0; align < 8; align++) {
			uint32_t want = digest(ENV_CRC32C_TABLE, b + align, len);

			for (int m = 1; m < ENV_CRC32C_METHOD_COUNT; m++) {
				if (!env_crc32c_method_available((enum env_crc32c_method)m))
					continue;
				if (digest(m, b + align, len) != want)
					fail_msg("%s differs at len %zu align %zu",
						 env_crc32c_method_name((enum env_crc32c_method)m),
						 len, align);
			}
			assert_int_equal(sio_crc32c(b + align, len), want);
		}
	}
	{
		uint32_t want = digest(ENV_CRC32C_TABLE, b + 3, big);

		for (int m = 1; m < ENV_CRC32C_METHOD_COUNT; m++)
			if (env_crc32c_method_available((enum env_crc32c_method)m))
				assert_int_equal(digest(m, b + 3, big), want);
	}
	free(b);
}

/* The register form composes: any split gives the digest of the whole. */
static void test_piecewise_and_iov(void **state)
{
	uint8_t b[10000];
	struct iovec iov[5];
	uint32_t want, crc;

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 13 + 7);
	want = sio_crc32c(b, sizeof(b));
	for (size_t cut = 0; cut <= sizeof(b); cut += 97) {
		crc = sio_crc32c_update(SIO_CRC32C_INIT, b, cut);
		crc = sio_crc32c_update(crc, b + cut, sizeof(b) - cut);
		assert_int_equal(crc ^ SIO_CRC32C_XOR, want);
	}
	iov[0] = (struct iovec){ b, 1 };
	iov[1] = (struct iovec){ b + 1, 0 };
	iov[2] = (struct iovec){ b + 1, 4000 };
	iov[3] = (struct iovec){ b + 4001, 5000 };
	iov[4] = (struct iovec){ b + 9001, 999 };
	crc = sio_crc32c_iov(SIO_CRC32C_INIT, iov, 5, sizeof(b));
	assert_int_equal(crc ^ SIO_CRC32C_XOR, want);
	/* a length below the iovecs' total stops there */
	crc = sio_crc32c_iov(SIO_CRC32C_INIT, iov, 5, 4500);
	assert_int_equal(crc ^ SIO_CRC32C_XOR, sio_crc32c(b, 4500));
	/* one above stops at the end */
	crc = sio_crc32c_iov(SIO_CRC32C_INIT, iov, 5, sizeof(b) + 1);
	assert_int_equal(crc ^ SIO_CRC32C_XOR, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_methods_agree),
		cmocka_unit_test(test_piecewise_and_iov),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
