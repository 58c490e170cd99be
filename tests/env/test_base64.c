/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Base64 (src/env/base64.c), the codec of the keyring and of
 * bdev_get_histogram: the RFC 4648 section 10 test vectors both ways, every
 * byte value and length round-trips, buffer sizes exact, malformed text and
 * short buffers refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/env.h"

/* RFC 4648 section 10 */
static const struct {
	const char *bytes;
	const char *text;
} g_vectors[] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(g_vectors) / sizeof(g_vectors[0]); i++) {
		size_t blen = strlen(g_vectors[i].bytes), tlen = strlen(g_vectors[i].text);
		char text[16];
		uint8_t bytes[16];

		assert_int_equal(sio_base64_encoded_len(blen), tlen);
		memset(text, 'x', sizeof(text));
		assert_int_equal(sio_base64_encode(text, sizeof(text), g_vectors[i].bytes, blen),
				 (ssize_t)tlen);
		assert_string_equal(text, g_vectors[i].text);

		assert_true(sio_base64_decoded_max(tlen) >= blen);
		assert_int_equal(sio_base64_decode(bytes, sizeof(bytes), g_vectors[i].text, tlen),
				 (ssize_t)blen);
		assert_memory_equal(bytes, g_vectors[i].bytes, blen);
	}
}

/* All 256 byte values (so all 64 characters and both alphabet ends), every
 * length 0..300, every start offset: encode then decode gives the input. */
static void test_round_trip(void **state)
{
	uint8_t src[300 + 3], back[300];
	char text[404 + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 167 + 13);
	for (size_t off = 0; off < 3; off++) {
		for (size_t len = 0; len <= 300; len++) {
			size_t tlen = sio_base64_encoded_len(len);

			assert_int_equal(sio_base64_encode(text, tlen + 1, src + off, len),
					 (ssize_t)tlen);
			assert_int_equal(strlen(text), tlen);
			/* the exact size suffices: decoded_max less the padding */
			assert_int_equal(sio_base64_decode(back, len, text, tlen), (ssize_t)len);
			assert_memory_equal(back, src + off, len);
		}
	}
	/* 0x00.. and 0xff.. reach 'A' and '/' */
	memset(src, 0xff, 3);
	sio_base64_encode(text, sizeof(text), src, 3);
	assert_string_equal(text, "////");
	memset(src, 0xfb, 3);
	sio_base64_encode(text, sizeof(text), src, 3);
	assert_string_equal(text, "+/v7");
}

static void expect_bad_text(const char *text)
{
	uint8_t out[32];

	assert_int_equal(sio_base64_decode(out, sizeof(out), text, strlen(text)), -EINVAL);
}

static void test_bad_text_refused(void **state)
{
	(void)state;
	expect_bad_text("Zg=");      /* not a multiple of 4 */
	expect_bad_text("Zm9vY");
	expect_bad_text("Z");
	expect_bad_text("Zm9*");     /* outside the alphabet */
	expect_bad_text("Zm9v\nYmFy"); /* no line breaks */
	expect_bad_text("Zm9 ");     /* no white space */
	expect_bad_text("Zm-_");     /* the URL-safe alphabet is another encoding */
	expect_bad_text("Z===");     /* at most two '=' */
	expect_bad_text("====");
	expect_bad_text("Zg==Zm8="); /* '=' only at the very end */
	expect_bad_text("Zm=v");
	expect_bad_text("=m9v");
	/* a NUL inside the counted text is a bad character, not an end */
	assert_int_equal(sio_base64_decode((uint8_t[8]){0}, 8, "Zm\0v", 4), -EINVAL);
	assert_int_equal(sio_base64_decode(NULL, 8, "Zm9v", 4), -EINVAL);
	assert_int_equal(sio_base64_decode((uint8_t[8]){0}, 8, NULL, 4), -EINVAL);
	assert_int_equal(sio_base64_decode(NULL, 0, NULL, 0), 0);
}

static void test_short_buffers_refused(void **state)
{
	uint8_t out[6];
	char text[9];

	(void)state;
	/* encode: 8 characters need 9 bytes with the NUL; nothing written when short */
	memset(text, 'x', sizeof(text));
	assert_int_equal(sio_base64_encode(text, 8, "foobar", 6), -ENOSPC);
	assert_int_equal(text[0], 'x');
	assert_int_equal(sio_base64_encode(text, 0, "", 0), -ENOSPC);
	assert_int_equal(sio_base64_encode(text, 1, "", 0), 0);
	assert_string_equal(text, "");
	assert_int_equal(sio_base64_encode(NULL, 9, "foobar", 6), -EINVAL);
	assert_int_equal(sio_base64_encode(text, 9, NULL, 6), -EINVAL);
	assert_int_equal(sio_base64_encode(text, 9, NULL, 0), 0);
	assert_int_equal(sio_base64_encode(text, 9, "x", SIZE_MAX), -ENOSPC);

	/* decode: "Zm9vYg==" is 4 bytes, "Zm9vYmFy" 6 */
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(sio_base64_decode(out, 3, "Zm9vYg==", 8), -ENOSPC);
	assert_int_equal(out[0], 0xaa);
	assert_int_equal(sio_base64_decode(out, 4, "Zm9vYg==", 8), 4);
	assert_int_equal(sio_base64_decode(out, 5, "Zm9vYmFy", 8), -ENOSPC);
	assert_int_equal(sio_base64_decode(out, 6, "Zm9vYmFy", 8), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_text_refused),
		cmocka_unit_test(test_short_buffers_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
