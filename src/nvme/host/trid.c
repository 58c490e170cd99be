/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport IDs: SPDK's "key:value key:value" strings, parsed and formatted.
 * The grammar follows SPDK's parser (whitespace between pairs, ':' or '='
 * between key and value, the value running to the next whitespace so that
 * IPv6 addresses and NQNs keep their colons), but every failure names the
 * key at fault instead of a generic "failed to parse".
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nvme/host/trid.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"

/* SPDK's parser limits a key to 31 characters; longer ones are not keys we know. */
#define TRID_KEY_MAX 32

static const struct {
	enum sio_nvme_transport_type type;
	const char *name;
} g_trtypes[] = {
	{ SIO_NVME_TRANSPORT_PCIE, "PCIe" },
	{ SIO_NVME_TRANSPORT_TCP, "TCP" },
	{ SIO_NVME_TRANSPORT_RDMA, "RDMA" },
	{ SIO_NVME_TRANSPORT_FC, "FC" },
	{ SIO_NVME_TRANSPORT_VFIOUSER, "VFIOUSER" },
};

static const struct {
	enum sio_nvme_adrfam adrfam;
	const char *name;
} g_adrfams[] = {
	{ SIO_NVME_ADRFAM_IPV4, "IPv4" },
	{ SIO_NVME_ADRFAM_IPV6, "IPv6" },
	{ SIO_NVME_ADRFAM_IB, "IB" },
	{ SIO_NVME_ADRFAM_FC, "FC" },
	{ SIO_NVME_ADRFAM_INTRA_HOST, "INTRA_HOST" },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *sio_nvme_transport_type_str(enum sio_nvme_transport_type t)
{
	for (size_t i = 0; i < ARRAY_LEN(g_trtypes); i++)
		if (g_trtypes[i].type == t)
			return g_trtypes[i].name;
	return NULL;
}

int sio_nvme_transport_type_parse(const char *s, enum sio_nvme_transport_type *t)
{
	if (s == NULL || t == NULL)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(g_trtypes); i++) {
		if (strcasecmp(s, g_trtypes[i].name) == 0) {
			*t = g_trtypes[i].type;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sio_nvme_adrfam_str(enum sio_nvme_adrfam a)
{
	for (size_t i = 0; i < ARRAY_LEN(g_adrfams); i++)
		if (g_adrfams[i].adrfam == a)
			return g_adrfams[i].name;
	return NULL;
}

int sio_nvme_adrfam_parse(const char *s, enum sio_nvme_adrfam *a)
{
	if (s == NULL || a == NULL)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_LEN(g_adrfams); i++) {
		if (strcasecmp(s, g_adrfams[i].name) == 0) {
			*a = g_adrfams[i].adrfam;
			return 0;
		}
	}
	return -EINVAL;
}

static int trid_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills the caller's buffer, or logs when there is none: the message is never lost. */
static int trid_err(char *err, size_t errlen, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	else
		SIO_ERRLOG("transport ID: %s", msg);
	return -EINVAL;
}

/*
 * Parses "DDDD:BB:DD.F", "DDDD.BB.DD.F" or "BB:DD.F" (hex) into its numbers.
 * Returns 0 or -EINVAL.
 */
static int pci_addr_parse(const char *s, unsigned *dom, unsigned *bus, unsigned *dev, unsigned *fn)
{
	unsigned d = 0, b, v, f;
	int n = 0;

	if (sscanf(s, "%x:%x:%x.%x%n", &d, &b, &v, &f, &n) == 4 && s[n] == '\0')
		goto check;
	if (sscanf(s, "%x.%x.%x.%x%n", &d, &b, &v, &f, &n) == 4 && s[n] == '\0')
		goto check;
	d = 0;
	if (sscanf(s, "%x:%x.%x%n", &b, &v, &f, &n) == 3 && s[n] == '\0')
		goto check;
	return -EINVAL;
check:
	/* sscanf's %x accepts a sign and "0x": insist on plain hex digits. */
	for (const char *p = s; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return -EINVAL;
	if (d > 0xffff || b > 0xff || v > 0x1f || f > 0x7)
		return -EINVAL;
	*dom = d;
	*bus = b;
	*dev = v;
	*fn = f;
	return 0;
}

static int pci_addr_normalise(char *dst, size_t len, const char *src)
{
	unsigned d, b, v, f;

	if (pci_addr_parse(src, &d, &b, &v, &f) != 0)
		return -EINVAL;
	snprintf(dst, len, "%04x:%02x:%02x.%x", d, b, v, f);
	return 0;
}

/* Copies @val into a field of @cap bytes (NUL included), or fails naming @key. */
static int set_field(char *field, size_t cap, const char *key, const char *val, size_t vlen,
		     char *err, size_t errlen)
{
	if (vlen >= cap)
		return trid_err(err, errlen, "%s: value longer than %zu characters", key, cap - 1);
	memcpy(field, val, vlen);
	field[vlen] = '\0';
	return 0;
}

/* Whether @s is a whole decimal number from @lo to @hi (stored in *@v): digits
 * only, so neither "" nor the blanks and sign strtol() would skip. */
static bool decimal_in_range(const char *s, long lo, long hi, long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && *v >= lo && *v <= hi;
}

int nvme_trid_port(const char *s, int *port)
{
	long v;

	if (s == NULL || port == NULL || !decimal_in_range(s, 1, 65535, &v))
		return -EINVAL;
	*port = (int)v;
	return 0;
}

int nvme_trid_parse_priority(const char *s, int32_t *priority, char *err, size_t errlen)
{
	long v;

	if (s == NULL || priority == NULL || !decimal_in_range(s, 0, INT32_MAX, &v))
		return trid_err(err, errlen, "priority: '%s' is not a number from 0 to %d",
				s != NULL ? s : "(null)", INT32_MAX);
	*priority = (int32_t)v;
	return 0;
}

int sio_nvme_transport_id_parse(struct sio_nvme_transport_id *trid, const char *str,
				char *err, size_t errlen)
{
	const char *p = str;
	char key[TRID_KEY_MAX];
	/* Long enough for the longest field plus one, so "too long" is detectable. */
	char val[SIO_NVME_TRADDR_MAX_LEN + 2];
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (trid == NULL || str == NULL)
		return trid_err(err, errlen, "NULL argument");
	memset(trid, 0, sizeof(*trid));

	for (;;) {
		size_t klen, vlen;
		const char *kstart, *vstart;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		kstart = p;
		while (*p != '\0' && *p != ':' && *p != '=' && !isspace((unsigned char)*p))
			p++;
		klen = (size_t)(p - kstart);
		if (*p != ':' && *p != '=')
			return trid_err(err, errlen, "'%.*s': expected key:value", (int)klen, kstart);
		if (klen == 0)
			return trid_err(err, errlen, "empty key before '%c'", *p);
		if (klen >= sizeof(key))
			return trid_err(err, errlen, "'%.*s...': unknown key", 16, kstart);
		memcpy(key, kstart, klen);
		key[klen] = '\0';
		p++;
		vstart = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		vlen = (size_t)(p - vstart);
		if (vlen == 0)
			return trid_err(err, errlen, "%s: empty value", key);
		if (vlen >= sizeof(val))
			return trid_err(err, errlen, "%s: value longer than %d characters", key,
					SIO_NVME_TRADDR_MAX_LEN);
		memcpy(val, vstart, vlen);
		val[vlen] = '\0';

		if (strcasecmp(key, "trtype") == 0) {
			if (sio_nvme_transport_type_parse(val, &trid->trtype) != 0)
				return trid_err(err, errlen,
						"trtype: unknown transport '%s' (PCIe, TCP, RDMA, FC, VFIOUSER)",
						val);
		} else if (strcasecmp(key, "adrfam") == 0) {
			if (sio_nvme_adrfam_parse(val, &trid->adrfam) != 0)
				return trid_err(err, errlen,
						"adrfam: unknown address family '%s' (IPv4, IPv6, IB, FC, INTRA_HOST)",
						val);
		} else if (strcasecmp(key, "traddr") == 0) {
			rc = set_field(trid->traddr, sizeof(trid->traddr), "traddr", val, vlen, err, errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "trsvcid") == 0) {
			rc = set_field(trid->trsvcid, sizeof(trid->trsvcid), "trsvcid", val, vlen, err,
				       errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "subnqn") == 0) {
			rc = set_field(trid->subnqn, sizeof(trid->subnqn), "subnqn", val, vlen, err, errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "hostnqn") == 0) {
			rc = set_field(trid->hostnqn, sizeof(trid->hostnqn), "hostnqn", val, vlen, err,
				       errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "hostaddr") == 0) {
			rc = set_field(trid->hostaddr, sizeof(trid->hostaddr), "hostaddr", val, vlen, err,
				       errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "hostsvcid") == 0) {
			rc = set_field(trid->hostsvcid, sizeof(trid->hostsvcid), "hostsvcid", val, vlen,
				       err, errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "priority") == 0) {
			rc = nvme_trid_parse_priority(val, &trid->priority, err, errlen);
			if (rc != 0)
				return rc;
		} else if (strcasecmp(key, "ns") == 0 || strcasecmp(key, "alt_traddr") == 0) {
			/* Not part of a transport ID; SPDK's tools accept them in the same string. */
		} else {
			return trid_err(err, errlen, "%s: unknown key", key);
		}
	}

	/* TCP and RDMA connect to port numbers: say so now, naming the field, not as
	 * -EINVAL from the connect. */
	if (trid->trtype == SIO_NVME_TRANSPORT_TCP || trid->trtype == SIO_NVME_TRANSPORT_RDMA) {
		const char *names[2] = {"trsvcid", "hostsvcid"}, *vals[2] = {trid->trsvcid, trid->hostsvcid};

		for (int i = 0; i < 2; i++) {
			int port;

			if (vals[i][0] != '\0' && nvme_trid_port(vals[i], &port) != 0)
				return trid_err(err, errlen,
						"%s: '%s' is not a port number from 1 to 65535", names[i],
						vals[i]);
		}
	}
	if (trid->trtype == SIO_NVME_TRANSPORT_PCIE && trid->traddr[0] != '\0') {
		char norm[16];

		if (pci_addr_normalise(norm, sizeof(norm), trid->traddr) != 0)
			return trid_err(err, errlen,
					"traddr: '%s' is not a PCI address (DDDD:BB:DD.F)", trid->traddr);
		snprintf(trid->traddr, sizeof(trid->traddr), "%s", norm);
	}
	return 0;
}

/* Appends " key:value" to buf at *pos when @val is set; counts past @len like snprintf. */
static void fmt_field(char *buf, size_t len, size_t *pos, const char *key, const char *val)
{
	int n;

	if (val == NULL || val[0] == '\0')
		return;
	n = snprintf(*pos < len ? buf + *pos : NULL, *pos < len ? len - *pos : 0, "%s%s:%s",
		     *pos ? " " : "", key, val);
	if (n > 0)
		*pos += (size_t)n;
}

int sio_nvme_transport_id_format(const struct sio_nvme_transport_id *trid, char *buf, size_t len)
{
	const char *tr;
	char prio[16] = "";
	size_t pos = 0;

	if (trid == NULL || buf == NULL)
		return -EINVAL;
	tr = sio_nvme_transport_type_str(trid->trtype);
	if (tr == NULL)
		return -EINVAL;
	if (len > 0)
		buf[0] = '\0';
	if (trid->priority != 0)
		snprintf(prio, sizeof(prio), "%d", trid->priority);
	fmt_field(buf, len, &pos, "trtype", tr);
	fmt_field(buf, len, &pos, "adrfam", sio_nvme_adrfam_str(trid->adrfam));
	fmt_field(buf, len, &pos, "traddr", trid->traddr);
	fmt_field(buf, len, &pos, "trsvcid", trid->trsvcid);
	fmt_field(buf, len, &pos, "subnqn", trid->subnqn);
	fmt_field(buf, len, &pos, "hostnqn", trid->hostnqn);
	fmt_field(buf, len, &pos, "hostaddr", trid->hostaddr);
	fmt_field(buf, len, &pos, "hostsvcid", trid->hostsvcid);
	fmt_field(buf, len, &pos, "priority", prio);
	if (pos >= len)
		return -ENOSPC;
	return (int)pos;
}

static int copy_str(char *field, size_t cap, const char *s)
{
	size_t l = strlen(s);

	if (l == 0 || l >= cap)
		return -EINVAL;
	memcpy(field, s, l + 1);
	return 0;
}

int sio_nvme_transport_id_init_tcp(struct sio_nvme_transport_id *trid, const char *traddr,
				   const char *trsvcid, const char *subnqn)
{
	if (trid == NULL || traddr == NULL || trsvcid == NULL)
		return -EINVAL;
	memset(trid, 0, sizeof(*trid));
	trid->trtype = SIO_NVME_TRANSPORT_TCP;
	trid->adrfam = strchr(traddr, ':') ? SIO_NVME_ADRFAM_IPV6 : SIO_NVME_ADRFAM_IPV4;
	if (copy_str(trid->traddr, sizeof(trid->traddr), traddr) != 0 ||
	    copy_str(trid->trsvcid, sizeof(trid->trsvcid), trsvcid) != 0)
		return -EINVAL;
	if (subnqn != NULL && subnqn[0] != '\0' &&
	    copy_str(trid->subnqn, sizeof(trid->subnqn), subnqn) != 0)
		return -EINVAL;
	return 0;
}

int sio_nvme_transport_id_init_pcie(struct sio_nvme_transport_id *trid, const char *bdf)
{
	if (trid == NULL || bdf == NULL)
		return -EINVAL;
	memset(trid, 0, sizeof(*trid));
	trid->trtype = SIO_NVME_TRANSPORT_PCIE;
	return pci_addr_normalise(trid->traddr, sizeof(trid->traddr), bdf);
}

static int cmp_int(long a, long b)
{
	return a < b ? -1 : a > b;
}

int sio_nvme_transport_id_compare(const struct sio_nvme_transport_id *a,
				  const struct sio_nvme_transport_id *b)
{
	int c;

	c = cmp_int(a->trtype, b->trtype);
	if (c != 0)
		return c;
	if (a->trtype == SIO_NVME_TRANSPORT_PCIE) {
		unsigned ad, ab, av, af, bd, bb, bv, bf;

		if (pci_addr_parse(a->traddr, &ad, &ab, &av, &af) == 0 &&
		    pci_addr_parse(b->traddr, &bd, &bb, &bv, &bf) == 0) {
			long ka = ((long)ad << 16) | (ab << 8) | (av << 3) | af;
			long kb = ((long)bd << 16) | (bb << 8) | (bv << 3) | bf;

			return cmp_int(ka, kb);
		}
		return strcasecmp(a->traddr, b->traddr);
	}
	c = cmp_int(a->adrfam, b->adrfam);
	if (c != 0)
		return c;
	c = strcasecmp(a->traddr, b->traddr);
	if (c != 0)
		return c;
	c = strcasecmp(a->trsvcid, b->trsvcid);
	if (c != 0)
		return c;
	return strcmp(a->subnqn, b->subnqn);
}
