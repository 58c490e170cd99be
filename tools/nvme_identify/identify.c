/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sio_nvme_identify: connect to an NVMe controller (spdk_nvme_identify's -r
 * transport ID) and print its Identify Controller and Identify Namespace
 * data, with the fields nvme-cli's id-ctrl and id-ns show, readably or as
 * JSON (--json). A discovery controller's log page is printed instead of
 * namespaces.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "spdk_io/async.h"
#include "spdk_io/log.h"
#include "spdk_io/nvme.h"
#include "spdk_io/thread.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sio_nvme_identify -r TRID [--json] [-H] [-I] [-L FLAG]\n"
		"  -r, --transport TRID   e.g. 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420\n"
		"                         subnqn:nqn.2016-06.io.spdk:cnode1' (no subnqn: discovery)\n"
		"  -j, --json             print JSON instead of text\n"
		"  -H                     header digest      -I  data digest\n"
		"  -L FLAG                enable a debug log flag (e.g. nvme)\n");
}

/* Fixed-width space-padded ASCII fields, trimmed. */
static void str_field(char *out, const char *in, size_t n)
{
	size_t l = n;

	memcpy(out, in, n);
	while (l > 0 && (out[l - 1] == ' ' || out[l - 1] == '\0'))
		l--;
	out[l] = '\0';
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/*
 * A 128-bit little-endian counter (tnvmcap, unvmcap, megcap, maxdna, nvmcap):
 * a JSON integer while it fits in 63 bits, its decimal digits as a string beyond.
 */
static json_t *u128_json(const uint8_t v[16])
{
	uint8_t n[16];
	char dig[48];
	size_t pos = sizeof(dig) - 1;
	bool zero = false, small = true;

	for (int i = 8; i < 16; i++)
		small = small && v[i] == 0;
	if (small && v[7] < 0x80) {
		uint64_t lo = 0;

		for (int i = 7; i >= 0; i--)
			lo = lo << 8 | v[i];
		return json_integer((json_int_t)lo);
	}
	/* Long division by 10, most significant byte first, until the number is 0. */
	memcpy(n, v, sizeof(n));
	dig[pos] = '\0';
	while (!zero) {
		unsigned int rem = 0;

		zero = true;
		for (int i = 15; i >= 0; i--) {
			unsigned int cur = rem << 8 | n[i];

			n[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			zero = zero && n[i] == 0;
		}
		dig[--pos] = (char)('0' + rem);
	}
	return json_string(dig + pos);
}

#define NUM(obj, name, v) json_object_set_new(obj, name, json_integer((json_int_t)(v)))
#define U128(obj, name, v) json_object_set_new(obj, name, u128_json(v))
#define STR(obj, name, v) json_object_set_new(obj, name, json_string(v))

static json_t *ctrlr_json(struct sio_nvme_ctrlr *c)
{
	const struct sio_nvme_ctrlr_data *d = sio_nvme_ctrlr_get_data(c);
	json_t *o = json_object(), *psd = json_array();
	char s[64], trid[1024];

	sio_nvme_transport_id_format(sio_nvme_ctrlr_get_trid(c), trid, sizeof(trid));
	STR(o, "trid", trid);
	NUM(o, "vid", d->vid);
	NUM(o, "ssvid", d->ssvid);
	str_field(s, d->sn, sizeof(d->sn));
	STR(o, "sn", s);
	str_field(s, d->mn, sizeof(d->mn));
	STR(o, "mn", s);
	str_field(s, d->fr, sizeof(d->fr));
	STR(o, "fr", s);
	NUM(o, "rab", d->rab);
	hex(s, d->ieee, 3);
	STR(o, "ieee", s);
	NUM(o, "cmic", d->cmic);
	NUM(o, "mdts", d->mdts);
	NUM(o, "cntlid", d->cntlid);
	NUM(o, "ver", d->ver);
	NUM(o, "rtd3r", d->rtd3r);
	NUM(o, "rtd3e", d->rtd3e);
	NUM(o, "oaes", d->oaes);
	NUM(o, "ctratt", d->ctratt);
	NUM(o, "rrls", d->rrls);
	NUM(o, "cntrltype", d->cntrltype);
	hex(s, d->fguid, 16);
	STR(o, "fguid", s);
	NUM(o, "crdt1", d->crdt1);
	NUM(o, "crdt2", d->crdt2);
	NUM(o, "crdt3", d->crdt3);
	NUM(o, "nvmsr", d->nvmsr);
	NUM(o, "vwci", d->vwci);
	NUM(o, "mec", d->mec);
	NUM(o, "oacs", d->oacs);
	NUM(o, "acl", d->acl);
	NUM(o, "aerl", d->aerl);
	NUM(o, "frmw", d->frmw);
	NUM(o, "lpa", d->lpa);
	NUM(o, "elpe", d->elpe);
	NUM(o, "npss", d->npss);
	NUM(o, "avscc", d->avscc);
	NUM(o, "apsta", d->apsta);
	NUM(o, "wctemp", d->wctemp);
	NUM(o, "cctemp", d->cctemp);
	NUM(o, "mtfa", d->mtfa);
	NUM(o, "hmpre", d->hmpre);
	NUM(o, "hmmin", d->hmmin);
	U128(o, "tnvmcap", d->tnvmcap);
	U128(o, "unvmcap", d->unvmcap);
	NUM(o, "rpmbs", d->rpmbs);
	NUM(o, "edstt", d->edstt);
	NUM(o, "dsto", d->dsto);
	NUM(o, "fwug", d->fwug);
	NUM(o, "kas", d->kas);
	NUM(o, "hctma", d->hctma);
	NUM(o, "mntmt", d->mntmt);
	NUM(o, "mxtmt", d->mxtmt);
	NUM(o, "sanicap", d->sanicap);
	NUM(o, "hmminds", d->hmminds);
	NUM(o, "hmmaxd", d->hmmaxd);
	NUM(o, "nsetidmax", d->nsetidmax);
	NUM(o, "endgidmax", d->endgidmax);
	NUM(o, "anatt", d->anatt);
	NUM(o, "anacap", d->anacap);
	NUM(o, "anagrpmax", d->anagrpmax);
	NUM(o, "nanagrpid", d->nanagrpid);
	NUM(o, "pels", d->pels);
	NUM(o, "domainid", d->domainid);
	U128(o, "megcap", d->megcap);
	NUM(o, "sqes", d->sqes);
	NUM(o, "cqes", d->cqes);
	NUM(o, "maxcmd", d->maxcmd);
	NUM(o, "nn", d->nn);
	NUM(o, "oncs", d->oncs);
	NUM(o, "fuses", d->fuses);
	NUM(o, "fna", d->fna);
	NUM(o, "vwc", d->vwc);
	NUM(o, "awun", d->awun);
	NUM(o, "awupf", d->awupf);
	NUM(o, "icsvscc", d->icsvscc);
	NUM(o, "nwpc", d->nwpc);
	NUM(o, "acwu", d->acwu);
	NUM(o, "ocfs", d->ocfs);
	NUM(o, "sgls", d->sgls);
	NUM(o, "mnan", d->mnan);
	U128(o, "maxdna", d->maxdna);
	NUM(o, "maxcna", d->maxcna);
	{
		char nqn[257];

		str_field(nqn, d->subnqn, sizeof(d->subnqn));
		STR(o, "subnqn", nqn);
	}
	NUM(o, "ioccsz", d->ioccsz);
	NUM(o, "iorcsz", d->iorcsz);
	NUM(o, "icdoff", d->icdoff);
	NUM(o, "fcatt", d->fcatt);
	NUM(o, "msdbd", d->msdbd);
	NUM(o, "ofcs", d->ofcs);
	/* Power state descriptors 0..NPSS (nvme-cli's "ps N" lines). */
	for (unsigned int i = 0; i <= d->npss && i < 32; i++) {
		const struct sio_nvme_power_state *p = &d->psd[i];
		json_t *e = json_object();

		NUM(e, "mp", p->mp);
		NUM(e, "flags", p->flags);
		NUM(e, "enlat", p->enlat);
		NUM(e, "exlat", p->exlat);
		NUM(e, "rrt", p->rrt);
		NUM(e, "rrl", p->rrl);
		NUM(e, "rwt", p->rwt);
		NUM(e, "rwl", p->rwl);
		NUM(e, "idlp", p->idlp);
		NUM(e, "ips", p->ips);
		NUM(e, "actp", p->actp);
		NUM(e, "apw_aps", p->apw_aps);
		json_array_append_new(psd, e);
	}
	json_object_set_new(o, "psds", psd);
	NUM(o, "cap", sio_nvme_ctrlr_get_cap(c));
	NUM(o, "max_xfer_size", sio_nvme_ctrlr_get_max_xfer_size(c));
	NUM(o, "num_io_queues", sio_nvme_ctrlr_get_num_io_queues(c));
	return o;
}

static json_t *ns_json(struct sio_nvme_ns *ns)
{
	const struct sio_nvme_ns_data *d = sio_nvme_ns_get_data(ns);
	json_t *o = json_object(), *lbafs = json_array();
	const uint8_t *u;
	char s[64];

	NUM(o, "nsid", sio_nvme_ns_get_id(ns));
	/* The Command Set Identifier (CNS 03h's CSI descriptor, NVM without one). */
	NUM(o, "csi", sio_nvme_ns_get_csi(ns));
	NUM(o, "nsze", d->nsze);
	NUM(o, "ncap", d->ncap);
	NUM(o, "nuse", d->nuse);
	NUM(o, "nsfeat", d->nsfeat);
	NUM(o, "nlbaf", d->nlbaf);
	NUM(o, "flbas", d->flbas);
	NUM(o, "mc", d->mc);
	NUM(o, "dpc", d->dpc);
	NUM(o, "dps", d->dps);
	NUM(o, "nmic", d->nmic);
	NUM(o, "rescap", d->rescap);
	NUM(o, "fpi", d->fpi);
	NUM(o, "dlfeat", d->dlfeat);
	NUM(o, "nawun", d->nawun);
	NUM(o, "nawupf", d->nawupf);
	NUM(o, "nacwu", d->nacwu);
	NUM(o, "nabsn", d->nabsn);
	NUM(o, "nabo", d->nabo);
	NUM(o, "nabspf", d->nabspf);
	NUM(o, "noiob", d->noiob);
	U128(o, "nvmcap", d->nvmcap);
	NUM(o, "npwg", d->npwg);
	NUM(o, "npwa", d->npwa);
	NUM(o, "npdg", d->npdg);
	NUM(o, "npda", d->npda);
	NUM(o, "nows", d->nows);
	NUM(o, "mssrl", d->mssrl);
	NUM(o, "mcl", d->mcl);
	NUM(o, "msrc", d->msrc);
	NUM(o, "nulbaf", d->nulbaf);
	NUM(o, "anagrpid", d->anagrpid);
	NUM(o, "nsattr", d->nsattr);
	NUM(o, "nvmsetid", d->nvmsetid);
	NUM(o, "endgid", d->endgid);
	hex(s, d->nguid, 16);
	STR(o, "nguid", s);
	hex(s, d->eui64, 8);
	STR(o, "eui64", s);
	u = sio_nvme_ns_get_uuid(ns);
	if (u != NULL) {
		snprintf(s, sizeof(s),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
			 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
			 u[13], u[14], u[15]);
		STR(o, "uuid", s);
	}
	for (unsigned int i = 0; i <= d->nlbaf && i < 64; i++) {
		json_t *l = json_object();

		NUM(l, "ms", d->lbaf[i].ms);
		NUM(l, "lbads", d->lbaf[i].lbads);
		NUM(l, "rp", d->lbaf[i].rp);
		json_object_set_new(l, "in_use", json_boolean(i == sio_nvme_ns_lbaf_index(d)));
		json_array_append_new(lbafs, l);
	}
	json_object_set_new(o, "lbafs", lbafs);
	NUM(o, "sector_size", sio_nvme_ns_get_sector_size(ns));
	NUM(o, "size", sio_nvme_ns_get_size(ns));
	return o;
}

/* Keys nvme-cli prints in decimal; every other number is printed in hex as there. */
static bool decimal_key(const char *k)
{
	static const char *const keys[] = {
		"nsze", "ncap", "nuse", "nn", "cntlid", "nsid", "size", "sector_size",
		"max_xfer_size", "num_io_queues", "mdts", "ioccsz", "iorcsz", "wctemp", "cctemp",
		"hmpre", "hmmin", "tnvmcap", "unvmcap", "megcap", "maxdna", "maxcna", "nvmcap",
		"mssrl", "mcl", "msrc", "nsetidmax", "endgidmax", "anagrpmax", "nanagrpid",
		"maxcmd", "mnan", "npss", "nlbaf", "nulbaf", NULL,
	};

	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* Text output: the JSON object's keys, one "name : value" per line as nvme-cli does. */
static void print_text(json_t *o, int indent)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;
		json_t *e;

		if (json_is_integer(v)) {
			json_int_t n = json_integer_value(v);

			if (strcmp(k, "csi") == 0)
				printf("%*s%-9s : %s (%lld)\n", indent, "", k,
				       n >= 0 && n <= 255 ? sio_nvme_csi_name((uint8_t)n) : "unknown",
				       (long long)n);
			else if (decimal_key(k))
				printf("%*s%-9s : %lld\n", indent, "", k, (long long)n);
			else
				printf("%*s%-9s : %#llx\n", indent, "", k, (long long)n);
		} else if (json_is_string(v)) {
			printf("%*s%-9s : %s\n", indent, "", k, json_string_value(v));
		} else if (json_is_array(v) && strcmp(k, "psds") == 0) {
			json_array_foreach(v, i, e) {
#define PS(f) ((long long)json_integer_value(json_object_get(e, f)))
				/* MP in 0.01 W, or 0.0001 W with flags bit 0 (MXPS). */
				printf("%*sps %5zu : mp:%lld%s enlat:%lld exlat:%lld rrt:%lld rrl:%lld "
				       "rwt:%lld rwl:%lld idlp:%lld ips:%lld actp:%lld apw_aps:%#llx\n",
				       indent, "", i, PS("mp"), PS("flags") & 1 ? "e-4W" : "e-2W",
				       PS("enlat"), PS("exlat"), PS("rrt"), PS("rrl"), PS("rwt"), PS("rwl"),
				       PS("idlp"), PS("ips"), PS("actp"), PS("apw_aps"));
#undef PS
			}
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, e) {
				printf("%*slbaf %4zu : ms:%lld lbads:%lld rp:%#llx%s\n", indent, "", i,
				       (long long)json_integer_value(json_object_get(e, "ms")),
				       (long long)json_integer_value(json_object_get(e, "lbads")),
				       (long long)json_integer_value(json_object_get(e, "rp")),
				       json_is_true(json_object_get(e, "in_use")) ? " (in use)" : "");
			}
		}
	}
}

struct disc {
	int done;
	int rc;
	json_t *entries;
};

static void disc_cb(void *arg, int rc, const struct sio_nvmf_discovery_log_page *log)
{
	struct disc *d = arg;

	d->rc = rc;
	d->done = 1;
	if (rc != 0)
		return;
	for (uint64_t i = 0; i < log->numrec; i++) {
		const struct sio_nvmf_discovery_log_page_entry *e = &log->entries[i];
		json_t *o = json_object();
		char s[257];

		NUM(o, "trtype", e->trtype);
		NUM(o, "adrfam", e->adrfam);
		NUM(o, "subtype", e->subtype);
		NUM(o, "treq", e->treq);
		NUM(o, "portid", e->portid);
		NUM(o, "cntlid", e->cntlid);
		NUM(o, "asqsz", e->asqsz);
		str_field(s, e->trsvcid, sizeof(e->trsvcid));
		STR(o, "trsvcid", s);
		str_field(s, e->traddr, sizeof(e->traddr));
		STR(o, "traddr", s);
		str_field(s, e->subnqn, sizeof(e->subnqn));
		STR(o, "subnqn", s);
		json_array_append_new(d->entries, o);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "transport", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sio_nvme_transport_id trid;
	struct sio_nvme_ctrlr_opts opts;
	struct sio_nvme_ctrlr *ctrlr;
	struct sio_thread *thread;
	const char *trstr = NULL;
	bool json = false;
	json_t *root, *nss;
	char err[256];
	int c, rc;

	sio_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	while ((c = getopt_long(argc, argv, "r:jhHIL:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			trstr = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'H':
			opts.header_digest = true;
			break;
		case 'I':
			opts.data_digest = true;
			break;
		case 'L':
			if (sio_log_set_flag(optarg) != 0) {
				fprintf(stderr, "sio_nvme_identify: -L '%s': unknown log flag\n", optarg);
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sio_nvme_identify: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (trstr == NULL) {
		fprintf(stderr, "sio_nvme_identify: -r TRID is required\n");
		usage(stderr);
		return 1;
	}
	if (sio_nvme_transport_id_parse(&trid, trstr, err, sizeof(err)) != 0) {
		fprintf(stderr, "sio_nvme_identify: bad transport ID: %s\n", err);
		return 1;
	}
	if (trid.hostnqn[0] != '\0')
		snprintf(opts.hostnqn, sizeof(opts.hostnqn), "%s", trid.hostnqn);
	thread = sio_thread_attach("nvme_identify");
	if (thread == NULL) {
		fprintf(stderr, "sio_nvme_identify: cannot attach a thread\n");
		return 1;
	}
	rc = sio_nvme_ctrlr_connect_blocking(&trid, &opts, &ctrlr);
	if (rc != 0) {
		fprintf(stderr, "sio_nvme_identify: connect to %s failed: %s\n", trstr, strerror(-rc));
		return 1;
	}
	root = json_object();
	json_object_set_new(root, "controller", ctrlr_json(ctrlr));
	if (sio_nvme_ctrlr_is_discovery(ctrlr)) {
		struct disc d = { .entries = json_array() };

		rc = sio_nvme_ctrlr_get_discovery_log(ctrlr, disc_cb, &d);
		while (rc == 0 && !d.done)
			sio_thread_poll(thread, 0);
		if (rc == 0)
			rc = d.rc;
		json_object_set_new(root, "discovery_log", d.entries);
	} else {
		nss = json_array();
		for (uint32_t nsid = sio_nvme_ctrlr_get_first_active_ns(ctrlr); nsid != 0;
		     nsid = sio_nvme_ctrlr_get_next_active_ns(ctrlr, nsid))
			json_array_append_new(nss, ns_json(sio_nvme_ctrlr_get_ns(ctrlr, nsid)));
		json_object_set_new(root, "namespaces", nss);
	}
	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
	} else {
		size_t i;
		json_t *e;

		printf("NVMe Identify Controller:\n");
		print_text(json_object_get(root, "controller"), 0);
		json_array_foreach(json_object_get(root, "namespaces"), i, e) {
			printf("\nNVMe Identify Namespace %lld:\n",
			       (long long)json_integer_value(json_object_get(e, "nsid")));
			print_text(e, 0);
		}
		json_array_foreach(json_object_get(root, "discovery_log"), i, e) {
			printf("\nDiscovery Log Entry %zu:\n", i);
			print_text(e, 0);
		}
	}
	json_decref(root);
	if (rc != 0)
		fprintf(stderr, "sio_nvme_identify: discovery log: %s\n", strerror(-rc));
	sio_nvme_ctrlr_detach_blocking(ctrlr);
	sio_thread_exit(thread);
	for (int i = 0; i < 100000 && !sio_thread_is_exited(thread); i++)
		sio_thread_poll(thread, 0);
	sio_thread_destroy(thread);
	return rc == 0 ? 0 : 1;
}
