/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPU sets, SPDK's core-mask strings, and pinning.
 *
 * Accepted forms: a hex mask with or without "0x" ("0x3", "3", "ff"), or a
 * list of cores and inclusive ranges, with or without brackets
 * ("[0,2-3]", "0-3", "1,4"). A string without brackets is a list when it
 * holds ',' or '-', else a hex mask, as in SPDK.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env_internal.h"

void sio_cpuset_zero(struct sio_cpuset *set)
{
	if (set != NULL)
		memset(set, 0, sizeof(*set));
}

void sio_cpuset_set(struct sio_cpuset *set, unsigned int cpu)
{
	if (set != NULL && cpu < SIO_CPUSET_MAX)
		set->bits[cpu / 64] |= 1ull << (cpu % 64);
}

void sio_cpuset_clear(struct sio_cpuset *set, unsigned int cpu)
{
	if (set != NULL && cpu < SIO_CPUSET_MAX)
		set->bits[cpu / 64] &= ~(1ull << (cpu % 64));
}

bool sio_cpuset_is_set(const struct sio_cpuset *set, unsigned int cpu)
{
	return set != NULL && cpu < SIO_CPUSET_MAX && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned int sio_cpuset_count(const struct sio_cpuset *set)
{
	unsigned int n = 0;

	if (set == NULL)
		return 0;
	for (size_t i = 0; i < SIO_CPUSET_MAX / 64; i++)
		n += (unsigned int)__builtin_popcountll(set->bits[i]);
	return n;
}

bool sio_cpuset_equal(const struct sio_cpuset *a, const struct sio_cpuset *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

int sio_cpuset_next(const struct sio_cpuset *set, int prev)
{
	unsigned int cpu;

	if (set == NULL || prev >= SIO_CPUSET_MAX - 1)
		return -1;
	cpu = prev < 0 ? 0 : (unsigned int)prev + 1;
	while (cpu < SIO_CPUSET_MAX) {
		uint64_t w = set->bits[cpu / 64] >> (cpu % 64);

		if (w != 0)
			return (int)(cpu + (unsigned int)__builtin_ctzll(w));
		cpu = (cpu / 64 + 1) * 64;
	}
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int cpuset_parse_hex(struct sio_cpuset *out, const char *s, size_t len)
{
	unsigned int bit = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -EINVAL;
	/* Least significant digit last: walk backwards, 4 cores per digit. */
	for (size_t i = len; i-- > 0; bit += 4) {
		int v = hexval(s[i]);

		if (v < 0)
			return -EINVAL;
		for (unsigned int b = 0; b < 4; b++) {
			if (!(v & (1 << b)))
				continue;
			if (bit + b >= SIO_CPUSET_MAX)
				return -EINVAL;
			sio_cpuset_set(out, bit + b);
		}
	}
	return 0;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* A decimal core number < SIO_CPUSET_MAX at *pp; advances *pp. */
static int cpuset_parse_core(const char **pp, const char *end, unsigned int *core)
{
	const char *p = skip_space(*pp, end);
	unsigned int v = 0;

	if (p == end || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (p < end && isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned int)(*p - '0');
		if (v >= SIO_CPUSET_MAX)
			return -EINVAL;
		p++;
	}
	*pp = skip_space(p, end);
	*core = v;
	return 0;
}

static int cpuset_parse_list(struct sio_cpuset *out, const char *p, const char *end)
{
	unsigned int lo, hi;

	for (;;) {
		if (cpuset_parse_core(&p, end, &lo) != 0)
			return -EINVAL;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if (cpuset_parse_core(&p, end, &hi) != 0 || hi < lo)
				return -EINVAL;
		}
		for (unsigned int c = lo; c <= hi; c++)
			sio_cpuset_set(out, c);
		if (p == end)
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

int sio_cpuset_parse(struct sio_cpuset *set, const char *str)
{
	struct sio_cpuset tmp;
	const char *p, *end;
	int rc;

	if (set == NULL || str == NULL)
		return -EINVAL;
	sio_cpuset_zero(&tmp);
	p = str;
	end = str + strlen(str);
	p = skip_space(p, end);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end)
		return -EINVAL;

	if (*p == '[') {
		if (end - p < 2 || end[-1] != ']')
			return -EINVAL;
		rc = cpuset_parse_list(&tmp, p + 1, end - 1);
	} else if (memchr(p, ',', (size_t)(end - p)) || memchr(p, '-', (size_t)(end - p))) {
		rc = cpuset_parse_list(&tmp, p, end);
	} else {
		rc = cpuset_parse_hex(&tmp, p, (size_t)(end - p));
	}
	if (rc != 0)
		return rc;
	*set = tmp;
	return 0;
}

int sio_cpuset_format(const struct sio_cpuset *set, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	int top = -1, n = 0;

	if (set == NULL || buf == NULL)
		return -EINVAL;
	for (int c = SIO_CPUSET_MAX - 1; c >= 0; c--) {
		if (sio_cpuset_is_set(set, (unsigned int)c)) {
			top = c;
			break;
		}
	}
	/* "0x" + one digit per 4 cores up to the highest set one + NUL. */
	int ndig = top < 0 ? 1 : top / 4 + 1;

	if (len < (size_t)ndig + 3)
		return -ENOSPC;
	buf[n++] = '0';
	buf[n++] = 'x';
	for (int d = ndig - 1; d >= 0; d--) {
		unsigned int v = (unsigned int)(set->bits[d / 16] >> ((d % 16) * 4)) & 0xf;

		buf[n++] = digits[v];
	}
	buf[n] = '\0';
	return n;
}

/* Append "lo" or "lo-hi" (with a leading comma unless @first) at *pos. */
static int append_range(char *buf, size_t len, size_t *pos, bool first, int lo, int hi)
{
	int w;

	if (lo == hi)
		w = snprintf(buf + *pos, len - *pos, "%s%d", first ? "" : ",", lo);
	else
		w = snprintf(buf + *pos, len - *pos, "%s%d-%d", first ? "" : ",", lo, hi);
	if (w < 0 || (size_t)w >= len - *pos)
		return -ENOSPC;
	*pos += (size_t)w;
	return 0;
}

int sio_cpuset_format_list(const struct sio_cpuset *set, char *buf, size_t len)
{
	size_t pos = 0;
	bool first = true;
	int c;

	if (set == NULL || buf == NULL)
		return -EINVAL;
	if (len < 3)
		return -ENOSPC;
	buf[pos++] = '[';
	buf[pos] = '\0';
	for (c = sio_cpuset_next(set, -1); c >= 0;) {
		int lo = c, hi = c;

		while ((c = sio_cpuset_next(set, hi)) == hi + 1)
			hi = c;
		if (append_range(buf, len, &pos, first, lo, hi) != 0)
			return -ENOSPC;
		first = false;
	}
	if (len - pos < 2)
		return -ENOSPC;
	buf[pos++] = ']';
	buf[pos] = '\0';
	return (int)pos;
}

unsigned int sio_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

int sio_cpuset_first_absent(const struct sio_cpuset *set)
{
	/* The first member past the last core this machine has. */
	return sio_cpuset_next(set, (int)sio_cpu_count() - 1);
}

int sio_cpu_current(void)
{
	int cpu = sched_getcpu();

	return cpu >= 0 ? cpu : -errno;
}

int sio_cpu_pin_current(unsigned int cpu)
{
	cpu_set_t cs;
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	int rc;

	if (cpu >= CPU_SETSIZE || (conf > 0 && cpu >= (unsigned long)conf))
		return -EINVAL;
	CPU_ZERO(&cs);
	CPU_SET(cpu, &cs);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	return -rc;
}
