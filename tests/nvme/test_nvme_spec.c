/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of include/spdk_io/nvme_spec.h and src/nvme/spec/: the header's
 * static asserts pin sizes and offsets at compile time; here structures are
 * filled through their fields and the bytes are compared with what the
 * specifications put on the wire, bit fields included (their layout is the
 * compiler's choice, so only a byte check proves it). Then the names of every
 * defined code, and the status <-> errno mapping and its round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spdk_io/nvme_spec.h"

/* Little-endian value of @n bytes at @p. */
static uint64_t le_at(const void *p, size_t off, size_t n)
{
	const uint8_t *b = (const uint8_t *)p + off;
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | b[n];
	return v;
}

static void test_cmd_bytes(void **state)
{
	struct sio_nvme_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SIO_NVME_OPC_READ;
	cmd.fuse = SIO_NVME_FUSE_SECOND;
	cmd.psdt = SIO_NVME_PSDT_SGL_MPTR_CONTIG;
	cmd.cid = 0xbeef;
	cmd.nsid = 0x01020304;
	cmd.cdw2 = 0x11111111;
	cmd.cdw3 = 0x22222222;
	cmd.mptr = 0x3333333344444444ull;
	cmd.dptr.sgl1.address = 0x1000;
	cmd.dptr.sgl1.unkeyed.length = 0x2000;
	cmd.dptr.sgl1.generic.type = SIO_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK;
	cmd.dptr.sgl1.generic.subtype = SIO_NVME_SGL_SUBTYPE_TRANSPORT_SPECIFIC;
	cmd.cdw10 = 0xa0a0a0a0;
	cmd.cdw15 = 0xf0f0f0f0;

	assert_int_equal(le_at(&cmd, 0, 1), 0x02);
	/* FUSE is bits 9:8 of CDW0 = bits 1:0 of byte 1, PSDT bits 7:6 of byte 1. */
	assert_int_equal(le_at(&cmd, 1, 1), 0x42);
	assert_int_equal(le_at(&cmd, 2, 2), 0xbeef);
	assert_int_equal(le_at(&cmd, 4, 4), 0x01020304);
	assert_int_equal(le_at(&cmd, 8, 4), 0x11111111);
	assert_int_equal(le_at(&cmd, 12, 4), 0x22222222);
	assert_true(le_at(&cmd, 16, 8) == 0x3333333344444444ull);
	assert_int_equal(le_at(&cmd, 24, 8), 0x1000);
	assert_int_equal(le_at(&cmd, 32, 4), 0x2000);
	/* Byte 15 of the descriptor: type in the high nibble (NVMe/TCP: 5Ah). */
	assert_int_equal(le_at(&cmd, 39, 1), 0x5a);
	assert_int_equal(cmd.dptr.sgl1.unkeyed.id, SIO_NVME_SGL_ID_TCP_TRANSPORT);
	assert_int_equal(le_at(&cmd, 40, 4), 0xa0a0a0a0);
	assert_int_equal(le_at(&cmd, 60, 4), 0xf0f0f0f0);

	/* In-capsule data: Data Block with subtype Offset is 01h. */
	cmd.dptr.sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_INCAPSULE;
	assert_int_equal(le_at(&cmd, 39, 1), 0x01);
	assert_int_equal(cmd.dptr.sgl1.generic.type, SIO_NVME_SGL_TYPE_DATA_BLOCK);
	assert_int_equal(cmd.dptr.sgl1.generic.subtype, SIO_NVME_SGL_SUBTYPE_OFFSET);

	/* PRP form shares the bytes. */
	cmd.dptr.prp.prp1 = 0x0102030405060708ull;
	cmd.dptr.prp.prp2 = 0x1112131415161718ull;
	assert_true(le_at(&cmd, 24, 8) == 0x0102030405060708ull);
	assert_true(le_at(&cmd, 32, 8) == 0x1112131415161718ull);
	(void)state;
}

static void test_keyed_sgl_bytes(void **state)
{
	struct sio_nvme_sgl_desc d;

	memset(&d, 0, sizeof(d));
	d.address = 0xabcdef;
	d.keyed.length = 0x123456;
	d.keyed.key = 0x89abcdef;
	d.keyed.type = SIO_NVME_SGL_TYPE_KEYED_DATA_BLOCK;
	d.keyed.subtype = SIO_NVME_SGL_SUBTYPE_INVALIDATE_KEY;
	assert_int_equal(le_at(&d, 0, 8), 0xabcdef);
	assert_int_equal(le_at(&d, 8, 3), 0x123456);
	assert_int_equal(le_at(&d, 11, 4), 0x89abcdef);
	assert_int_equal(le_at(&d, 15, 1), 0x4f);
	(void)state;
}

static void test_cpl_status_bits(void **state)
{
	struct sio_nvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.cdw0 = 0xdeadbeef;
	cpl.dw1 = 0x12345678;
	cpl.sqhd = 0x0102;
	cpl.sqid = 0x0304;
	cpl.cid = 0x0506;
	cpl.status.p = 1;
	cpl.status.sc = SIO_NVME_SC_INVALID_FIELD;
	cpl.status.dnr = 1;
	assert_int_equal(le_at(&cpl, 0, 4), 0xdeadbeef);
	assert_int_equal(le_at(&cpl, 4, 4), 0x12345678);
	assert_int_equal(le_at(&cpl, 8, 2), 0x0102);
	assert_int_equal(le_at(&cpl, 10, 2), 0x0304);
	assert_int_equal(le_at(&cpl, 12, 2), 0x0506);
	/* P bit 0, SC bits 8:1, DNR bit 15. */
	assert_int_equal(le_at(&cpl, 14, 2), 0x8005);

	cpl.status.raw = 0;
	cpl.status.sct = SIO_NVME_SCT_MEDIA_ERROR;
	cpl.status.sc = SIO_NVME_SC_COMPARE_FAILURE;
	cpl.status.crd = 2;
	cpl.status.m = 1;
	assert_int_equal(cpl.status.raw, (0x85 << 1) | (2 << 9) | (2 << 12) | (1 << 14));
	assert_true(sio_nvme_cpl_is_error(&cpl));

	/* set_status keeps the phase tag, clears CRD and M. */
	cpl.status.raw = 1;
	sio_nvme_cpl_set_status(&cpl, SIO_NVME_SCT_PATH, SIO_NVME_SC_HOST_PATH_ERROR, false);
	assert_int_equal(cpl.status.raw, 1 | (0x70 << 1) | (3 << 9));
	sio_nvme_cpl_set_status(&cpl, SIO_NVME_SCT_GENERIC, SIO_NVME_SC_SUCCESS, false);
	assert_int_equal(cpl.status.raw, 1);
	assert_false(sio_nvme_cpl_is_error(&cpl));
	(void)state;
}

static void test_fabrics_bytes(void **state)
{
	struct sio_nvmf_connect_cmd c;
	struct sio_nvmf_connect_data d;
	struct sio_nvmf_property_set_cmd ps;
	struct sio_nvmf_auth_send_cmd as;
	union sio_nvmf_connect_rsp_dw0 rsp;

	memset(&c, 0, sizeof(c));
	c.opcode = SIO_NVME_OPC_FABRICS;
	c.cid = 7;
	c.fctype = SIO_NVMF_FCTYPE_CONNECT;
	c.sgl1.unkeyed.length = sizeof(d);
	c.sgl1.unkeyed.id = SIO_NVME_SGL_ID_TCP_INCAPSULE;
	c.qid = 3;
	c.sqsize = 127;
	c.cattr = SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW;
	c.kato = 15000;
	assert_int_equal(le_at(&c, 0, 1), 0x7f);
	assert_int_equal(le_at(&c, 4, 1), 0x01);
	assert_int_equal(le_at(&c, 32, 4), 1024);
	assert_int_equal(le_at(&c, 39, 1), 0x01);
	assert_int_equal(le_at(&c, 42, 2), 3);
	assert_int_equal(le_at(&c, 44, 2), 127);
	assert_int_equal(le_at(&c, 46, 1), 0x04);
	assert_int_equal(le_at(&c, 48, 4), 15000);
	/* The same bytes seen as a plain command and as the common Fabrics layout. */
	assert_int_equal(((const struct sio_nvme_cmd *)(const void *)&c)->opc, SIO_NVME_OPC_FABRICS);
	assert_int_equal(((const struct sio_nvmf_capsule_cmd *)(const void *)&c)->fctype, SIO_NVMF_FCTYPE_CONNECT);

	memset(&d, 0, sizeof(d));
	d.hostid[0] = 0xaa;
	d.hostid[15] = 0xbb;
	d.cntlid = SIO_NVMF_CNTLID_DYNAMIC;
	snprintf(d.subnqn, sizeof(d.subnqn), "%s", SIO_NVMF_DISCOVERY_NQN);
	snprintf(d.hostnqn, sizeof(d.hostnqn), "%s", "nqn.2014-08.org.nvmexpress:uuid:x");
	assert_int_equal(le_at(&d, 0, 1), 0xaa);
	assert_int_equal(le_at(&d, 15, 1), 0xbb);
	assert_int_equal(le_at(&d, 16, 2), 0xffff);
	assert_memory_equal((const uint8_t *)&d + 256, "nqn.2014-08.org.nvmexpress.discovery", 37);
	assert_memory_equal((const uint8_t *)&d + 512, SIO_NVMF_NQN_UUID_PREFIX, strlen(SIO_NVMF_NQN_UUID_PREFIX));
	assert_int_equal(strlen(SIO_NVMF_DISCOVERY_NQN), 36);

	memset(&ps, 0, sizeof(ps));
	ps.opcode = SIO_NVME_OPC_FABRICS;
	ps.fctype = SIO_NVMF_FCTYPE_PROPERTY_SET;
	ps.attrib = SIO_NVMF_PROP_SIZE_4;
	ps.ofst = SIO_NVME_REG_CC;
	ps.value = 0x00460001;
	assert_int_equal(le_at(&ps, 4, 1), 0x00);
	assert_int_equal(le_at(&ps, 44, 4), 0x14);
	assert_int_equal(le_at(&ps, 48, 8), 0x00460001);

	memset(&as, 0, sizeof(as));
	as.fctype = SIO_NVMF_FCTYPE_AUTH_SEND;
	as.secp = SIO_NVMF_AUTH_SECP_NVME;
	as.spsp0 = SIO_NVMF_AUTH_SPSP0_DHCHAP;
	as.spsp1 = SIO_NVMF_AUTH_SPSP1_DHCHAP;
	as.tl = 36;
	assert_int_equal(le_at(&as, 4, 1), 0x05);
	assert_int_equal(le_at(&as, 41, 1), 0x01);
	assert_int_equal(le_at(&as, 42, 1), 0x01);
	assert_int_equal(le_at(&as, 43, 1), 0xe9);
	assert_int_equal(le_at(&as, 44, 4), 36);

	/* Connect Invalid Parameters pointing at the connect data's SUBNQN. */
	rsp.raw = 0;
	rsp.invalid.ipo = offsetof(struct sio_nvmf_connect_data, subnqn);
	rsp.invalid.iattr = SIO_NVMF_CONNECT_IATTR_DATA;
	assert_int_equal(rsp.raw, (1u << 16) | 256);
	rsp.raw = 0;
	rsp.success.cntlid = 5;
	rsp.success.authreq = 1u << 1;
	assert_int_equal(rsp.raw, 5 | (1u << 17));
	(void)state;
}

static void test_registers(void **state)
{
	union sio_nvme_cap_register cap = { .raw = 0 };
	union sio_nvme_cc_register cc = { .raw = 0 };
	union sio_nvme_csts_register csts = { .raw = 0 };
	union sio_nvme_aqa_register aqa = { .raw = 0 };
	union sio_nvme_vs_register vs = { .raw = SIO_NVME_VERSION(1, 3, 0) };
	union sio_nvme_asq_register asq = { .raw = 0 };

	cap.bits.mqes = 1023;
	cap.bits.cqr = 1;
	cap.bits.to = 30;
	cap.bits.dstrd = 1;
	cap.bits.css = SIO_NVME_CAP_CSS_NVM | SIO_NVME_CAP_CSS_IOCS;
	cap.bits.mpsmin = 0;
	cap.bits.mpsmax = 4;
	cap.bits.crms = 1;
	assert_true(cap.raw == (1023ull | 1ull << 16 | 30ull << 24 | 1ull << 32 | 0x41ull << 37 | 4ull << 52 |
				1ull << 59));

	cc.bits.en = 1;
	cc.bits.css = SIO_NVME_CC_CSS_NVM;
	cc.bits.iosqes = 6;
	cc.bits.iocqes = 4;
	assert_int_equal(cc.raw, 0x00460001);
	cc.bits.shn = SIO_NVME_SHN_NORMAL;
	assert_int_equal(cc.raw, 0x00464001);

	csts.raw = 0x9;
	assert_int_equal(csts.bits.rdy, 1);
	assert_int_equal(csts.bits.shst, SIO_NVME_SHST_COMPLETE);

	aqa.bits.asqs = 31;
	aqa.bits.acqs = 31;
	assert_int_equal(aqa.raw, 0x001f001f);

	assert_int_equal(vs.raw, 0x00010300);
	assert_int_equal(vs.bits.mjr, 1);
	assert_int_equal(vs.bits.mnr, 3);
	assert_int_equal(vs.bits.ter, 0);

	asq.raw = 0x12345000;
	assert_int_equal(asq.bits.asqb, 0x12345);
	assert_int_equal(offsetof(struct sio_nvme_registers, acq), 0x30);
	(void)state;
}

static void test_identify_bytes(void **state)
{
	static struct sio_nvme_ctrlr_data cd;
	static struct sio_nvme_ns_data nd;
	static struct sio_nvme_ns_independent_data ind;
	uint8_t raw[SIO_NVME_IDENTIFY_DATA_SIZE];
	const struct sio_nvme_ns_id_desc *desc;

	memset(&cd, 0, sizeof(cd));
	memcpy(cd.sn, "SN01", 4);
	cd.cntlid = 0x0102;
	cd.ver = SIO_NVME_VERSION(2, 0, 0);
	cd.cntrltype = SIO_NVME_CNTRLTYPE_IO;
	cd.sqes = 0x66;
	cd.cqes = 0x44;
	cd.maxcmd = 128;
	cd.nn = 32;
	cd.oncs = SIO_NVME_ONCS_DSM | SIO_NVME_ONCS_WRITE_ZEROES;
	cd.sgls = SIO_NVME_SGLS_SUPPORTED | SIO_NVME_SGLS_OFFSET | SIO_NVME_SGLS_TRANSPORT_DATA_BLOCK;
	snprintf(cd.subnqn, sizeof(cd.subnqn), "nqn.2016-06.io.spdk:cnode1");
	cd.ioccsz = 4 + 512;
	cd.msdbd = 1;
	cd.psd[1].mp = 0x0900;
	cd.vs[1023] = 0x5a;
	assert_memory_equal((const uint8_t *)&cd + 4, "SN01", 4);
	assert_int_equal(le_at(&cd, 78, 2), 0x0102);
	assert_int_equal(le_at(&cd, 80, 4), 0x00020000);
	assert_int_equal(le_at(&cd, 111, 1), 1);
	assert_int_equal(le_at(&cd, 512, 1), 0x66);
	assert_int_equal(le_at(&cd, 513, 1), 0x44);
	assert_int_equal(le_at(&cd, 514, 2), 128);
	assert_int_equal(le_at(&cd, 516, 4), 32);
	assert_int_equal(le_at(&cd, 520, 2), 0x000c);
	assert_int_equal(le_at(&cd, 536, 4), 0x00300001);
	assert_memory_equal((const uint8_t *)&cd + 768, "nqn.2016-06.io.spdk:cnode1", 27);
	assert_int_equal(le_at(&cd, 1792, 4), 516);
	assert_int_equal(le_at(&cd, 1803, 1), 1);
	assert_int_equal(le_at(&cd, 2048 + 32, 2), 0x0900);
	assert_int_equal(le_at(&cd, 4095, 1), 0x5a);

	memset(&nd, 0, sizeof(nd));
	nd.nsze = 0x100000;
	nd.nlbaf = 1;
	nd.flbas = 0x25; /* index 5 + (1 << 4): format 21 */
	nd.nguid[0] = 0xcc;
	nd.eui64[7] = 0xdd;
	nd.lbaf[21].lbads = 12;
	nd.lbaf[0].ms = 8;
	assert_int_equal(le_at(&nd, 0, 8), 0x100000);
	assert_int_equal(le_at(&nd, 25, 1), 1);
	assert_int_equal(sio_nvme_ns_lbaf_index(&nd), 21);
	assert_int_equal(le_at(&nd, 104, 1), 0xcc);
	assert_int_equal(le_at(&nd, 127, 1), 0xdd);
	assert_int_equal(le_at(&nd, 128, 2), 8);
	assert_int_equal(le_at(&nd, 128 + 21 * 4 + 2, 1), 12);
	nd.flbas = 0x11; /* index 1, metadata at the end of each LBA */
	assert_int_equal(sio_nvme_ns_lbaf_index(&nd), 1);

	memset(&ind, 0, sizeof(ind));
	ind.anagrpid = 9;
	ind.nstat = SIO_NVME_NSTAT_READY;
	assert_int_equal(le_at(&ind, 4, 4), 9);
	assert_int_equal(le_at(&ind, 14, 1), 1);

	/* A descriptor list as a target builds it: NGUID then CSI, then a zero NIDT. */
	memset(raw, 0, sizeof(raw));
	raw[0] = SIO_NVME_NIDT_NGUID;
	raw[1] = SIO_NVME_NIDL_NGUID;
	raw[4] = 0x77;
	raw[20] = SIO_NVME_NIDT_CSI;
	raw[21] = SIO_NVME_NIDL_CSI;
	raw[24] = SIO_NVME_CSI_NVM;
	desc = (const struct sio_nvme_ns_id_desc *)(const void *)raw;
	assert_int_equal(desc->nidt, SIO_NVME_NIDT_NGUID);
	assert_int_equal(desc->nid[0], 0x77);
	desc = (const struct sio_nvme_ns_id_desc *)(const void *)(raw + sizeof(*desc) + desc->nidl);
	assert_int_equal(desc->nidt, SIO_NVME_NIDT_CSI);
	assert_int_equal(desc->nidl, 1);

	assert_int_equal(SIO_NVME_IDENTIFY_CDW10(SIO_NVME_CNS_CTRLR_LIST, 5), 0x00050013);
	assert_int_equal(SIO_NVME_IDENTIFY_CDW11(0, SIO_NVME_CSI_ZNS), 0x02000000);
	(void)state;
}

static void test_log_pages_bytes(void **state)
{
	static struct sio_nvme_health_information_page h;
	struct sio_nvme_error_info_entry e;
	static uint8_t disc[1024 * 3];
	struct sio_nvmf_discovery_log_page *hdr = (struct sio_nvmf_discovery_log_page *)(void *)disc;
	struct sio_nvmf_discovery_log_page_entry *ent;

	memset(&h, 0, sizeof(h));
	h.critical_warning = SIO_NVME_CW_TEMPERATURE;
	h.temperature = 310;
	h.available_spare = 100;
	h.power_on_hours[0] = 42;
	h.temp_sensor[1] = 0x0140;
	h.thm_temp2_total_time = 7;
	assert_int_equal(le_at(&h, 0, 1), 2);
	assert_int_equal(le_at(&h, 1, 2), 310);
	assert_int_equal(le_at(&h, 3, 1), 100);
	assert_int_equal(le_at(&h, 128, 1), 42);
	assert_int_equal(le_at(&h, 202, 2), 0x0140);
	assert_int_equal(le_at(&h, 228, 4), 7);

	memset(&e, 0, sizeof(e));
	e.error_count = 3;
	e.status.sc = SIO_NVME_SC_LBA_OUT_OF_RANGE;
	e.lba = 0x1234;
	e.nsid = 1;
	e.trtype = SIO_NVMF_TRTYPE_TCP;
	assert_int_equal(le_at(&e, 12, 2), 0x80 << 1);
	assert_int_equal(le_at(&e, 16, 8), 0x1234);
	assert_int_equal(le_at(&e, 24, 4), 1);
	assert_int_equal(le_at(&e, 29, 1), 3);

	memset(disc, 0, sizeof(disc));
	hdr->genctr = 9;
	hdr->numrec = 2;
	ent = &hdr->entries[1];
	ent->trtype = SIO_NVMF_TRTYPE_TCP;
	ent->adrfam = SIO_NVMF_ADRFAM_IPV4;
	ent->subtype = SIO_NVMF_SUBTYPE_NVME;
	ent->treq = SIO_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED | SIO_NVMF_TREQ_DISABLE_SQ_FLOW;
	ent->portid = 1;
	ent->cntlid = SIO_NVMF_CNTLID_DYNAMIC;
	ent->asqsz = 32;
	memcpy(ent->trsvcid, "4420", 4);
	snprintf(ent->subnqn, sizeof(ent->subnqn), "nqn.2016-06.io.spdk:cnode1");
	memcpy(ent->traddr, "127.0.0.1", 9);
	ent->tsas.tcp.sectype = SIO_NVMF_TCP_SECTYPE_NONE;
	assert_int_equal(le_at(disc, 0, 8), 9);
	assert_int_equal(le_at(disc, 8, 8), 2);
	assert_int_equal(le_at(disc, 2048 + 0, 1), 3);
	assert_int_equal(le_at(disc, 2048 + 1, 1), 1);
	assert_int_equal(le_at(disc, 2048 + 2, 1), 2);
	assert_int_equal(le_at(disc, 2048 + 3, 1), 0x06);
	assert_int_equal(le_at(disc, 2048 + 4, 2), 1);
	assert_int_equal(le_at(disc, 2048 + 6, 2), 0xffff);
	assert_int_equal(le_at(disc, 2048 + 8, 2), 32);
	assert_memory_equal(disc + 2048 + 32, "4420", 4);
	assert_memory_equal(disc + 2048 + 256, "nqn.2016-06.io.spdk:cnode1", 27);
	assert_memory_equal(disc + 2048 + 512, "127.0.0.1", 9);

	assert_int_equal(SIO_NVME_GET_LOG_CDW10(SIO_NVME_LOG_DISCOVERY, 0, true, 0x3ff), 0x03ff8070);
	assert_int_equal(SIO_NVME_GET_LOG_CDW11(1, 0), 1);
	(void)state;
}

static void test_features_and_events(void **state)
{
	union sio_nvme_feat_number_of_queues nq = { .raw = 0 };
	union sio_nvme_feat_async_event_configuration aec = { .raw = 0 };
	union sio_nvme_async_event_completion aer = { .raw = 0 };
	union sio_nvme_feat_arbitration arb = { .raw = 0 };
	union sio_nvme_feat_temperature_threshold tt = { .raw = 0 };
	union sio_nvme_feat_error_recovery er = { .raw = 0 };
	union sio_nvme_feat_power_management pm = { .raw = 0 };
	struct sio_nvme_dsm_range r = { .attributes = 1, .length = 8, .starting_lba = 0x1122334455ull };

	nq.bits.nsqr = 7;
	nq.bits.ncqr = 3;
	assert_int_equal(nq.raw, 0x00030007);

	aec.bits.crit_warn = 0xff;
	aec.bits.ns_attr = 1;
	aec.bits.discovery_log_change = 1;
	assert_int_equal(aec.raw, 0x800001ffu);
	assert_int_equal(aec.raw, SIO_NVME_AEC_CRIT_WARN_MASK | SIO_NVME_AEC_NS_ATTR_NOTICES |
				  SIO_NVME_AEC_DISCOVERY_LOG_CHANGE_NOTICES);

	aer.bits.async_event_type = SIO_NVME_ASYNC_EVENT_TYPE_NOTICE;
	aer.bits.async_event_info = SIO_NVME_ASYNC_EVENT_DISCOVERY_LOG_CHANGE;
	aer.bits.log_page_identifier = SIO_NVME_LOG_DISCOVERY;
	assert_int_equal(aer.raw, 0x0070f002);

	arb.bits.ab = 7;
	arb.bits.hpw = 0xff;
	assert_int_equal(arb.raw, 0xff000007u);

	tt.bits.tmpth = 343;
	tt.bits.thsel = 1;
	assert_int_equal(tt.raw, 343 | (1u << 20));

	er.bits.dulbe = 1;
	assert_int_equal(er.raw, 1u << 16);

	pm.bits.ps = 3;
	pm.bits.wh = 2;
	assert_int_equal(pm.raw, 3 | (2u << 5));

	assert_int_equal(le_at(&r, 0, 4), 1);
	assert_int_equal(le_at(&r, 4, 4), 8);
	assert_true(le_at(&r, 8, 8) == 0x1122334455ull);

	assert_int_equal(SIO_NVME_SET_FEATURES_CDW10(SIO_NVME_FEAT_KEEP_ALIVE_TIMER, true), 0x8000000fu);
	assert_int_equal(SIO_NVME_GET_FEATURES_CDW10(SIO_NVME_FEAT_NUMBER_OF_QUEUES, SIO_NVME_FEAT_SEL_SUPPORTED),
			 0x307);
	assert_int_equal(sio_nvme_opc_data_xfer(SIO_NVME_OPC_WRITE), SIO_NVME_DATA_HOST_TO_CTRLR);
	assert_int_equal(sio_nvme_opc_data_xfer(SIO_NVME_OPC_READ), SIO_NVME_DATA_CTRLR_TO_HOST);
	assert_int_equal(sio_nvme_opc_data_xfer(SIO_NVME_OPC_FLUSH), SIO_NVME_DATA_NONE);
	assert_int_equal(sio_nvme_opc_data_xfer(SIO_NVMF_FCTYPE_PROPERTY_GET), SIO_NVME_DATA_NONE);
	assert_int_equal(sio_nvme_opc_data_xfer(SIO_NVMF_FCTYPE_CONNECT), SIO_NVME_DATA_HOST_TO_CTRLR);
	assert_int_equal(sio_nvme_opc_data_xfer(SIO_NVMF_FCTYPE_AUTH_RECV), SIO_NVME_DATA_CTRLR_TO_HOST);
	(void)state;
}

/* Every status code the header defines, by type. */
struct code {
	uint8_t sct;
	uint8_t sc;
};

static const struct code g_codes[] = {
	{ 0, SIO_NVME_SC_SUCCESS }, { 0, SIO_NVME_SC_INVALID_OPCODE }, { 0, SIO_NVME_SC_INVALID_FIELD },
	{ 0, SIO_NVME_SC_COMMAND_ID_CONFLICT }, { 0, SIO_NVME_SC_DATA_TRANSFER_ERROR },
	{ 0, SIO_NVME_SC_ABORTED_POWER_LOSS }, { 0, SIO_NVME_SC_INTERNAL_DEVICE_ERROR },
	{ 0, SIO_NVME_SC_ABORTED_BY_REQUEST }, { 0, SIO_NVME_SC_ABORTED_SQ_DELETION },
	{ 0, SIO_NVME_SC_ABORTED_FAILED_FUSED }, { 0, SIO_NVME_SC_ABORTED_MISSING_FUSED },
	{ 0, SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT }, { 0, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR },
	{ 0, SIO_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR }, { 0, SIO_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS },
	{ 0, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID }, { 0, SIO_NVME_SC_METADATA_SGL_LENGTH_INVALID },
	{ 0, SIO_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID }, { 0, SIO_NVME_SC_INVALID_CONTROLLER_MEM_BUF },
	{ 0, SIO_NVME_SC_INVALID_PRP_OFFSET }, { 0, SIO_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED },
	{ 0, SIO_NVME_SC_OPERATION_DENIED }, { 0, SIO_NVME_SC_INVALID_SGL_OFFSET },
	{ 0, SIO_NVME_SC_HOSTID_INCONSISTENT_FORMAT }, { 0, SIO_NVME_SC_KEEP_ALIVE_EXPIRED },
	{ 0, SIO_NVME_SC_KEEP_ALIVE_INVALID }, { 0, SIO_NVME_SC_ABORTED_PREEMPT }, { 0, SIO_NVME_SC_SANITIZE_FAILED },
	{ 0, SIO_NVME_SC_SANITIZE_IN_PROGRESS }, { 0, SIO_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID },
	{ 0, SIO_NVME_SC_COMMAND_INVALID_IN_CMB }, { 0, SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED },
	{ 0, SIO_NVME_SC_COMMAND_INTERRUPTED }, { 0, SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR },
	{ 0, SIO_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN }, { 0, SIO_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY },
	{ 0, SIO_NVME_SC_LBA_OUT_OF_RANGE }, { 0, SIO_NVME_SC_CAPACITY_EXCEEDED }, { 0, SIO_NVME_SC_NAMESPACE_NOT_READY },
	{ 0, SIO_NVME_SC_RESERVATION_CONFLICT }, { 0, SIO_NVME_SC_FORMAT_IN_PROGRESS },

	{ 1, SIO_NVME_SC_COMPLETION_QUEUE_INVALID }, { 1, SIO_NVME_SC_INVALID_QUEUE_IDENTIFIER },
	{ 1, SIO_NVME_SC_INVALID_QUEUE_SIZE }, { 1, SIO_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED },
	{ 1, SIO_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED }, { 1, SIO_NVME_SC_INVALID_FIRMWARE_SLOT },
	{ 1, SIO_NVME_SC_INVALID_FIRMWARE_IMAGE }, { 1, SIO_NVME_SC_INVALID_INTERRUPT_VECTOR },
	{ 1, SIO_NVME_SC_INVALID_LOG_PAGE }, { 1, SIO_NVME_SC_INVALID_FORMAT },
	{ 1, SIO_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET }, { 1, SIO_NVME_SC_INVALID_QUEUE_DELETION },
	{ 1, SIO_NVME_SC_FEATURE_ID_NOT_SAVEABLE }, { 1, SIO_NVME_SC_FEATURE_NOT_CHANGEABLE },
	{ 1, SIO_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC }, { 1, SIO_NVME_SC_FIRMWARE_REQ_NVM_RESET },
	{ 1, SIO_NVME_SC_FIRMWARE_REQ_RESET }, { 1, SIO_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION },
	{ 1, SIO_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED }, { 1, SIO_NVME_SC_OVERLAPPING_RANGE },
	{ 1, SIO_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY }, { 1, SIO_NVME_SC_NAMESPACE_ID_UNAVAILABLE },
	{ 1, SIO_NVME_SC_NAMESPACE_ALREADY_ATTACHED }, { 1, SIO_NVME_SC_NAMESPACE_IS_PRIVATE },
	{ 1, SIO_NVME_SC_NAMESPACE_NOT_ATTACHED }, { 1, SIO_NVME_SC_THINPROVISIONING_NOT_SUPPORTED },
	{ 1, SIO_NVME_SC_CONTROLLER_LIST_INVALID }, { 1, SIO_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS },
	{ 1, SIO_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED }, { 1, SIO_NVME_SC_INVALID_CTRLR_ID },
	{ 1, SIO_NVME_SC_INVALID_SECONDARY_CTRLR_STATE }, { 1, SIO_NVME_SC_INVALID_NUM_CTRLR_RESOURCES },
	{ 1, SIO_NVME_SC_INVALID_RESOURCE_ID }, { 1, SIO_NVME_SC_SANITIZE_PROHIBITED_WITH_PMR },
	{ 1, SIO_NVME_SC_ANA_GROUP_ID_INVALID }, { 1, SIO_NVME_SC_ANA_ATTACH_FAILED },
	{ 1, SIO_NVME_SC_INSUFFICIENT_CAPACITY }, { 1, SIO_NVME_SC_NAMESPACE_ATTACH_LIMIT_EXCEEDED },
	{ 1, SIO_NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED }, { 1, SIO_NVME_SC_IOCS_NOT_SUPPORTED },
	{ 1, SIO_NVME_SC_IOCS_NOT_ENABLED }, { 1, SIO_NVME_SC_IOCS_COMBINATION_REJECTED },
	{ 1, SIO_NVME_SC_INVALID_IOCS }, { 1, SIO_NVME_SC_IDENTIFIER_UNAVAILABLE },
	{ 1, SIO_NVMF_SC_CONNECT_INCOMPATIBLE_FORMAT }, { 1, SIO_NVMF_SC_CONNECT_CONTROLLER_BUSY },
	{ 1, SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS }, { 1, SIO_NVMF_SC_CONNECT_RESTART_DISCOVERY },
	{ 1, SIO_NVMF_SC_CONNECT_INVALID_HOST }, { 1, SIO_NVMF_SC_INVALID_QUEUE_TYPE },
	{ 1, SIO_NVMF_SC_DISCOVER_RESTART }, { 1, SIO_NVMF_SC_AUTH_REQUIRED },
	{ 1, SIO_NVME_SC_CONFLICTING_ATTRIBUTES }, { 1, SIO_NVME_SC_INVALID_PROTECTION_INFO },
	{ 1, SIO_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE }, { 1, SIO_NVME_SC_COMMAND_SIZE_LIMIT_EXCEEDED },
	{ 1, SIO_NVME_SC_ZONE_BOUNDARY_ERROR }, { 1, SIO_NVME_SC_ZONE_IS_FULL }, { 1, SIO_NVME_SC_ZONE_IS_READ_ONLY },
	{ 1, SIO_NVME_SC_ZONE_IS_OFFLINE }, { 1, SIO_NVME_SC_ZONE_INVALID_WRITE },
	{ 1, SIO_NVME_SC_TOO_MANY_ACTIVE_ZONES }, { 1, SIO_NVME_SC_TOO_MANY_OPEN_ZONES },
	{ 1, SIO_NVME_SC_INVALID_ZONE_STATE_TRANSITION },

	{ 2, SIO_NVME_SC_WRITE_FAULTS }, { 2, SIO_NVME_SC_UNRECOVERED_READ_ERROR }, { 2, SIO_NVME_SC_GUARD_CHECK_ERROR },
	{ 2, SIO_NVME_SC_APPLICATION_TAG_CHECK_ERROR }, { 2, SIO_NVME_SC_REFERENCE_TAG_CHECK_ERROR },
	{ 2, SIO_NVME_SC_COMPARE_FAILURE }, { 2, SIO_NVME_SC_ACCESS_DENIED },
	{ 2, SIO_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK }, { 2, SIO_NVME_SC_STORAGE_TAG_CHECK_ERROR },

	{ 3, SIO_NVME_SC_INTERNAL_PATH_ERROR }, { 3, SIO_NVME_SC_ANA_PERSISTENT_LOSS }, { 3, SIO_NVME_SC_ANA_INACCESSIBLE },
	{ 3, SIO_NVME_SC_ANA_TRANSITION }, { 3, SIO_NVME_SC_CTRLR_PATH_ERROR }, { 3, SIO_NVME_SC_HOST_PATH_ERROR },
	{ 3, SIO_NVME_SC_ABORTED_BY_HOST },
};
#define NCODES (sizeof(g_codes) / sizeof(g_codes[0]))

static bool code_defined(uint8_t sct, uint8_t sc)
{
	size_t i;

	for (i = 0; i < NCODES; i++) {
		if (g_codes[i].sct == sct && g_codes[i].sc == sc)
			return true;
	}
	return false;
}

static void test_status_strings(void **state)
{
	unsigned int sct, sc;

	/* Every defined code has a name, every other code (bar vendor specific) is "unknown". */
	for (sct = 0; sct < 8; sct++) {
		for (sc = 0; sc < 256; sc++) {
			const char *s = sio_nvme_status_string((uint8_t)sct, (uint8_t)sc);

			assert_non_null(s);
			if (sct == SIO_NVME_SCT_VENDOR_SPECIFIC)
				assert_string_equal(s, "Vendor Specific");
			else if (code_defined((uint8_t)sct, (uint8_t)sc))
				assert_string_not_equal(s, "unknown");
			else
				assert_string_equal(s, "unknown");
		}
	}
	assert_string_equal(sio_nvme_status_string(0, 0), "Successful Completion");
	assert_string_equal(sio_nvme_status_string(0, 0x02), "Invalid Field in Command");
	assert_string_equal(sio_nvme_status_string(0, 0x80), "LBA Out of Range");
	assert_string_equal(sio_nvme_status_string(2, 0x85), "Compare Failure");
	assert_string_equal(sio_nvme_status_string(3, 0x70), "Host Pathing Error");
	/* Without the command the overlapping codes carry both names. */
	assert_non_null(strstr(sio_nvme_status_string(1, 0x82), "Connect Invalid Parameters"));
	assert_non_null(strstr(sio_nvme_status_string(1, 0x82), "Attempted Write to Read Only Range"));
	assert_string_equal(sio_nvme_status_string(1, 0x84), "Connect Invalid Host");

	/* With the command they carry one. */
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x80), "Connect Incompatible Format");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x81), "Connect Controller Busy");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x82), "Connect Invalid Parameters");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x83), "Connect Restart Discovery");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x84), "Connect Invalid Host");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x85), "Invalid Queue Type");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_DATASET_MANAGEMENT, 1, 0x80),
			    "Conflicting Attributes");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_WRITE, 1, 0x82),
			    "Attempted Write to Read Only Range");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_WRITE, 1, 0x84), "unknown");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_WRITE, 0, 0x80), "LBA Out of Range");
	assert_string_equal(sio_nvme_cmd_status_string(SIO_NVME_OPC_FABRICS, 1, 0x91), "Authentication Required");

	assert_string_equal(sio_nvme_sct_string(SIO_NVME_SCT_GENERIC), "Generic Command Status");
	assert_string_equal(sio_nvme_sct_string(SIO_NVME_SCT_PATH), "Path Related Status");
	assert_string_equal(sio_nvme_sct_string(4), "unknown");
	(void)state;
}

static void test_opcode_strings(void **state)
{
	static const uint8_t admin[] = {
		SIO_NVME_OPC_DELETE_IO_SQ, SIO_NVME_OPC_CREATE_IO_SQ, SIO_NVME_OPC_GET_LOG_PAGE,
		SIO_NVME_OPC_DELETE_IO_CQ, SIO_NVME_OPC_CREATE_IO_CQ, SIO_NVME_OPC_IDENTIFY, SIO_NVME_OPC_ABORT,
		SIO_NVME_OPC_SET_FEATURES, SIO_NVME_OPC_GET_FEATURES, SIO_NVME_OPC_ASYNC_EVENT_REQUEST,
		SIO_NVME_OPC_NS_MANAGEMENT, SIO_NVME_OPC_FIRMWARE_COMMIT, SIO_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD,
		SIO_NVME_OPC_DEVICE_SELF_TEST, SIO_NVME_OPC_NS_ATTACHMENT, SIO_NVME_OPC_KEEP_ALIVE,
		SIO_NVME_OPC_DIRECTIVE_SEND, SIO_NVME_OPC_DIRECTIVE_RECEIVE, SIO_NVME_OPC_VIRTUALIZATION_MANAGEMENT,
		SIO_NVME_OPC_NVME_MI_SEND, SIO_NVME_OPC_NVME_MI_RECEIVE, SIO_NVME_OPC_CAPACITY_MANAGEMENT,
		SIO_NVME_OPC_LOCKDOWN, SIO_NVME_OPC_DOORBELL_BUFFER_CONFIG, SIO_NVME_OPC_FABRICS,
		SIO_NVME_OPC_FORMAT_NVM, SIO_NVME_OPC_SECURITY_SEND, SIO_NVME_OPC_SECURITY_RECEIVE,
		SIO_NVME_OPC_SANITIZE, SIO_NVME_OPC_GET_LBA_STATUS,
	};
	static const uint8_t nvm[] = {
		SIO_NVME_OPC_FLUSH, SIO_NVME_OPC_WRITE, SIO_NVME_OPC_READ, SIO_NVME_OPC_WRITE_UNCORRECTABLE,
		SIO_NVME_OPC_COMPARE, SIO_NVME_OPC_WRITE_ZEROES, SIO_NVME_OPC_DATASET_MANAGEMENT, SIO_NVME_OPC_VERIFY,
		SIO_NVME_OPC_RESERVATION_REGISTER, SIO_NVME_OPC_RESERVATION_REPORT, SIO_NVME_OPC_RESERVATION_ACQUIRE,
		SIO_NVME_OPC_RESERVATION_RELEASE, SIO_NVME_OPC_COPY, SIO_NVME_OPC_ZONE_MGMT_SEND,
		SIO_NVME_OPC_ZONE_MGMT_RECV, SIO_NVME_OPC_ZONE_APPEND, SIO_NVME_OPC_FABRICS,
	};
	static const uint8_t fctypes[] = {
		SIO_NVMF_FCTYPE_PROPERTY_SET, SIO_NVMF_FCTYPE_CONNECT, SIO_NVMF_FCTYPE_PROPERTY_GET,
		SIO_NVMF_FCTYPE_AUTH_SEND, SIO_NVMF_FCTYPE_AUTH_RECV, SIO_NVMF_FCTYPE_DISCONNECT,
	};
	unsigned int opc;
	size_t i, named;

	for (i = 0; i < sizeof(admin); i++)
		assert_string_not_equal(sio_nvme_opcode_string(true, admin[i]), "unknown");
	for (i = 0; i < sizeof(nvm); i++)
		assert_string_not_equal(sio_nvme_opcode_string(false, nvm[i]), "unknown");
	for (i = 0; i < sizeof(fctypes); i++)
		assert_string_not_equal(sio_nvmf_fctype_string(fctypes[i]), "unknown");
	/* Nothing else is named. */
	for (named = 0, opc = 0; opc < 256; opc++)
		named += strcmp(sio_nvme_opcode_string(true, (uint8_t)opc), "unknown") != 0;
	assert_int_equal(named, sizeof(admin));
	for (named = 0, opc = 0; opc < 256; opc++)
		named += strcmp(sio_nvme_opcode_string(false, (uint8_t)opc), "unknown") != 0;
	assert_int_equal(named, sizeof(nvm));
	for (named = 0, opc = 0; opc < 256; opc++)
		named += strcmp(sio_nvmf_fctype_string((uint8_t)opc), "unknown") != 0;
	assert_int_equal(named, sizeof(fctypes));

	assert_string_equal(sio_nvme_opcode_string(true, SIO_NVME_OPC_IDENTIFY), "Identify");
	assert_string_equal(sio_nvme_opcode_string(false, SIO_NVME_OPC_IDENTIFY), "unknown");
	assert_string_equal(sio_nvme_opcode_string(false, SIO_NVME_OPC_READ), "Read");
	assert_string_equal(sio_nvme_opcode_string(true, SIO_NVME_OPC_READ), "Get Log Page");
	assert_string_equal(sio_nvme_opcode_string(true, SIO_NVME_OPC_FABRICS), "Fabrics");
	assert_string_equal(sio_nvmf_fctype_string(SIO_NVMF_FCTYPE_CONNECT), "Connect");
	assert_string_equal(sio_nvmf_fctype_string(SIO_NVMF_FCTYPE_DISCONNECT), "Disconnect");
	(void)state;
}

static void test_status_to_errno(void **state)
{
	unsigned int sct, sc;

	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_SUCCESS), 0);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_INVALID_FIELD), -EINVAL);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_INVALID_OPCODE), -EOPNOTSUPP);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_LBA_OUT_OF_RANGE), -ERANGE);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_CAPACITY_EXCEEDED), -ENOSPC);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED), -EROFS);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_RESERVATION_CONFLICT), -EBADE);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_INTERNAL_DEVICE_ERROR), -EIO);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_ABORTED_SQ_DELETION), -ECANCELED);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_COMMAND_INTERRUPTED), -EAGAIN);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_KEEP_ALIVE_EXPIRED), -ETIMEDOUT);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR), -EINVAL);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID), -EMSGSIZE);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_DATA_TRANSFER_ERROR), -EIO);
	assert_int_equal(sio_nvme_status_to_errno(0, SIO_NVME_SC_FORMAT_IN_PROGRESS), -EAGAIN);
	assert_int_equal(sio_nvme_status_to_errno(2, SIO_NVME_SC_COMPARE_FAILURE), -EILSEQ);
	assert_int_equal(sio_nvme_status_to_errno(2, SIO_NVME_SC_UNRECOVERED_READ_ERROR), -EIO);
	assert_int_equal(sio_nvme_status_to_errno(2, SIO_NVME_SC_GUARD_CHECK_ERROR), -EBADMSG);
	assert_int_equal(sio_nvme_status_to_errno(2, SIO_NVME_SC_ACCESS_DENIED), -EACCES);
	assert_int_equal(sio_nvme_status_to_errno(1, SIO_NVME_SC_INVALID_LOG_PAGE), -EINVAL);
	assert_int_equal(sio_nvme_status_to_errno(1, SIO_NVMF_SC_CONNECT_INVALID_HOST), -EACCES);
	assert_int_equal(sio_nvme_status_to_errno(3, SIO_NVME_SC_HOST_PATH_ERROR), -ENOLINK);
	assert_int_equal(sio_nvme_status_to_errno(3, SIO_NVME_SC_ANA_INACCESSIBLE), -ENOLINK);
	assert_int_equal(sio_nvme_status_to_errno(7, 0x12), -EIO);
	assert_int_equal(sio_nvme_status_to_errno(5, 0x00), -EIO);

	/* Every status maps to a negative errno; only success maps to 0. */
	for (sct = 0; sct < 8; sct++) {
		for (sc = 0; sc < 256; sc++) {
			int err = sio_nvme_status_to_errno((uint8_t)sct, (uint8_t)sc);

			if (sct == 0 && sc == 0)
				assert_int_equal(err, 0);
			else
				assert_true(err < 0 && err > -4096);
		}
	}
	(void)state;
}

static void test_status_from_errno(void **state)
{
	union sio_nvme_status st;

	st = sio_nvme_status_from_errno(0);
	assert_int_equal(st.raw, 0);

	st = sio_nvme_status_from_errno(-EINVAL);
	assert_int_equal(st.sct, SIO_NVME_SCT_GENERIC);
	assert_int_equal(st.sc, SIO_NVME_SC_INVALID_FIELD);
	assert_int_equal(st.dnr, 1);
	assert_int_equal(st.p, 0);

	st = sio_nvme_status_from_errno(-ERANGE);
	assert_int_equal(st.sc, SIO_NVME_SC_LBA_OUT_OF_RANGE);
	st = sio_nvme_status_from_errno(-EILSEQ);
	assert_int_equal(st.sct, SIO_NVME_SCT_MEDIA_ERROR);
	assert_int_equal(st.sc, SIO_NVME_SC_COMPARE_FAILURE);
	st = sio_nvme_status_from_errno(-EBADF);
	assert_int_equal(st.sc, SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED);
	st = sio_nvme_status_from_errno(-ENOTSUP);
	assert_int_equal(st.sc, SIO_NVME_SC_INVALID_OPCODE);
	st = sio_nvme_status_from_errno(-ENODEV);
	assert_int_equal(st.sc, SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
	st = sio_nvme_status_from_errno(-ECANCELED);
	assert_int_equal(st.sc, SIO_NVME_SC_ABORTED_BY_REQUEST);

	/* Transient conditions: retryable, DNR clear. */
	st = sio_nvme_status_from_errno(-ENOMEM);
	assert_int_equal(st.sc, SIO_NVME_SC_COMMAND_INTERRUPTED);
	assert_int_equal(st.dnr, 0);
	st = sio_nvme_status_from_errno(-EAGAIN);
	assert_int_equal(st.sc, SIO_NVME_SC_COMMAND_INTERRUPTED);
	assert_int_equal(st.dnr, 0);
	st = sio_nvme_status_from_errno(-ETIMEDOUT);
	assert_int_equal(st.sc, SIO_NVME_SC_COMMAND_INTERRUPTED);
	st = sio_nvme_status_from_errno(-ECONNRESET);
	assert_int_equal(st.sct, SIO_NVME_SCT_PATH);
	assert_int_equal(st.sc, SIO_NVME_SC_CTRLR_PATH_ERROR);
	assert_int_equal(st.dnr, 0);

	/* Positive errnos are accepted; unknown ones are Internal Error, DNR. */
	st = sio_nvme_status_from_errno(EINVAL);
	assert_int_equal(st.sc, SIO_NVME_SC_INVALID_FIELD);
	st = sio_nvme_status_from_errno(-EXDEV);
	assert_int_equal(st.sct, SIO_NVME_SCT_GENERIC);
	assert_int_equal(st.sc, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
	assert_int_equal(st.dnr, 1);
	st = sio_nvme_status_from_errno(INT32_MIN);
	assert_int_equal(st.sc, SIO_NVME_SC_INTERNAL_DEVICE_ERROR);
	(void)state;
}

static void test_errno_round_trips(void **state)
{
	/* The canonical column of docs/nvme.md: errno -> status -> the same errno. */
	static const int canonical[] = {
		-EOPNOTSUPP, -EINVAL, -EIO, -ECANCELED, -ENODEV, -EPROTO, -EMSGSIZE, -EPERM, -EROFS, -EAGAIN,
		-ERANGE, -ENOSPC, -EBADE, -EBADMSG, -EILSEQ, -EACCES, -ENODATA, -ENOLINK,
	};
	size_t i;
	unsigned int sct, sc;

	for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
		union sio_nvme_status st = sio_nvme_status_from_errno(canonical[i]);
		union sio_nvme_status again;

		assert_int_equal(sio_nvme_status_to_errno(st.sct, st.sc), canonical[i]);
		/* ... and that status -> errno -> the same status. */
		again = sio_nvme_status_from_errno(sio_nvme_status_to_errno(st.sct, st.sc));
		assert_int_equal(again.raw, st.raw);
	}

	/*
	 * Any status's errno, turned back into a status by a target, means the
	 * same errno to the next host (the one exception: a keep-alive expiry
	 * is not passed on as such).
	 */
	for (sct = 0; sct < 8; sct++) {
		for (sc = 0; sc < 256; sc++) {
			int err = sio_nvme_status_to_errno((uint8_t)sct, (uint8_t)sc);
			union sio_nvme_status st = sio_nvme_status_from_errno(err);

			if (sct == SIO_NVME_SCT_GENERIC && sc == SIO_NVME_SC_KEEP_ALIVE_EXPIRED)
				continue;
			assert_int_equal(sio_nvme_status_to_errno(st.sct, st.sc), err);
		}
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_bytes),
		cmocka_unit_test(test_keyed_sgl_bytes),
		cmocka_unit_test(test_cpl_status_bits),
		cmocka_unit_test(test_fabrics_bytes),
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_identify_bytes),
		cmocka_unit_test(test_log_pages_bytes),
		cmocka_unit_test(test_features_and_events),
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_opcode_strings),
		cmocka_unit_test(test_status_to_errno),
		cmocka_unit_test(test_status_from_errno),
		cmocka_unit_test(test_errno_round_trips),
	};

	return cmocka_run_group_tests_name("nvme_spec", tests, NULL, NULL);
}
