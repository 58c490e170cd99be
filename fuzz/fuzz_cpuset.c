/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_cpuset_parse() on arbitrary text (the -m argument, reactor masks from
 * RPC). Property: whatever parses formats back, as a hex mask and as a list,
 * to text that parses to the same set; a set's count agrees with its members.
 */
#include <errno.h>
#include <string.h>

#include "spdk_io/env.h"

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void round_trip(const struct sio_cpuset *set, int (*fmt)(const struct sio_cpuset *, char *, size_t),
		       const char *what, const char *orig)
{
	/* A list of every other core is the longest: ~512 entries of up to 5 chars. */
	char buf[4096];
	struct sio_cpuset again;
	int n = fmt(set, buf, sizeof(buf));

	FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf), "%s of '%s' returned %d", what, orig, n);
	FUZZ_CHECK(sio_cpuset_parse(&again, buf) == 0, "%s '%s' of '%s' does not parse", what, buf,
		   orig);
	FUZZ_CHECK(sio_cpuset_equal(set, &again), "%s '%s' of '%s' parses to another set", what,
		   buf, orig);
	/* One byte short must be refused, never overrun. */
	FUZZ_CHECK(fmt(set, buf, (size_t)n) == -ENOSPC, "%s into %d bytes did not say -ENOSPC",
		   what, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sio_cpuset set, untouched;
	unsigned int count = 0;
	char *s;
	int rc;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&set, 0xa5, sizeof(set));
	untouched = set;
	rc = sio_cpuset_parse(&set, s);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "parse returned %d", rc);
	if (rc != 0) {
		FUZZ_CHECK(memcmp(&set, &untouched, sizeof(set)) == 0,
			   "a failed parse changed the set");
		free(s);
		return 0;
	}
	for (int c = sio_cpuset_next(&set, -1); c >= 0; c = sio_cpuset_next(&set, c)) {
		FUZZ_CHECK(c < SIO_CPUSET_MAX && sio_cpuset_is_set(&set, (unsigned int)c),
			   "next gave %d", c);
		count++;
	}
	FUZZ_CHECK(count == sio_cpuset_count(&set), "count %u vs %u members",
		   sio_cpuset_count(&set), count);
	round_trip(&set, sio_cpuset_format, "hex", s);
	/*
	 * The empty set lists as "[]", which the parser refuses by design (env
	 * tests: an empty list is a typo, "0x0" is the explicit empty mask).
	 */
	if (count > 0)
		round_trip(&set, sio_cpuset_format_list, "list", s);
	free(s);
	return 0;
}
