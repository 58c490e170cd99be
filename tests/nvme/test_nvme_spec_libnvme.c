/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A judge we did not write: libnvme (the library under nvme-cli, Debian
 * package libnvme-dev) has its own header of the specification's structures
 * and constants. Every structure both headers define must put every field at
 * the same offset with the same size, every register bit field at the same
 * shift and width, and every constant must have the same value. A typo in a
 * field offset or a code in nvme_spec.h shows up here even when the static
 * asserts (which pin what we believed the specification says) agree with it.
 *
 * Only header facts are compared; nothing is linked from libnvme. Without its
 * header the test exits 77.
 */
#if defined(__has_include)
#if __has_include(<nvme/types.h>)
#define HAVE_LIBNVME_TYPES 1
#endif
#endif

#include <stdio.h>

#ifndef HAVE_LIBNVME_TYPES
int main(void)
{
	printf("skip: <nvme/types.h> not found (Debian package libnvme-dev)\n");
	return 77;
}
#else

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <nvme/types.h>

#include "spdk_io/nvme_spec.h"

static int g_mismatches;

static void check_eq(const char *what, unsigned long long ours, unsigned long long theirs)
{
	if (ours != theirs) {
		printf("mismatch: %s: nvme_spec.h %llu, libnvme %llu\n", what, ours, theirs);
		g_mismatches++;
	}
}

#define MEMBER_SIZE(type, f) sizeof(((type *)0)->f)
/* Same offset and size of field @of of @ot and field @tf of @tt. */
#define FIELD(ot, of, tt, tf)                                                                    \
	do {                                                                                     \
		check_eq(#ot "." #of " offset", offsetof(ot, of), offsetof(tt, tf));             \
		check_eq(#ot "." #of " size", MEMBER_SIZE(ot, of), MEMBER_SIZE(tt, tf));         \
	} while (0)
/* The same name in both. */
#define SAME(ot, tt, f) FIELD(ot, f, tt, f)
#define SIZE(ot, tt) check_eq(#ot " size", sizeof(ot), sizeof(tt))
#define CONST(ours, theirs) check_eq(#ours, (unsigned long long)(ours), (unsigned long long)(theirs))

/*
 * A register bit field: set it to all ones through the field and compare the
 * raw value with libnvme's mask << shift.
 */
#define BITS(utype, f, shift, mask)                                                           \
	do {                                                                                  \
		utype u_;                                                                     \
		volatile unsigned long long ones_ = ~0ull; /* all ones, whatever the width */ \
		memset(&u_, 0, sizeof(u_));                                                   \
		u_.bits.f = ones_;                                                            \
		check_eq(#utype "." #f, (unsigned long long)u_.raw, (unsigned long long)(mask) << (shift)); \
	} while (0)

static void test_identify_structures(void **state)
{
	typedef struct sio_nvme_ctrlr_data C;
	typedef struct nvme_id_ctrl TC;
	typedef struct sio_nvme_ns_data N;
	typedef struct nvme_id_ns TN;

	g_mismatches = 0;
	SIZE(C, TC);
	SAME(C, TC, vid); SAME(C, TC, ssvid); SAME(C, TC, sn); SAME(C, TC, mn); SAME(C, TC, fr);
	SAME(C, TC, rab); SAME(C, TC, ieee); SAME(C, TC, cmic); SAME(C, TC, mdts); SAME(C, TC, cntlid);
	SAME(C, TC, ver); SAME(C, TC, rtd3r); SAME(C, TC, rtd3e); SAME(C, TC, oaes); SAME(C, TC, ctratt);
	SAME(C, TC, rrls); SAME(C, TC, cntrltype); SAME(C, TC, fguid); SAME(C, TC, crdt1); SAME(C, TC, crdt2);
	SAME(C, TC, crdt3); SAME(C, TC, nvmsr); SAME(C, TC, vwci); SAME(C, TC, mec); SAME(C, TC, oacs);
	SAME(C, TC, acl); SAME(C, TC, aerl); SAME(C, TC, frmw); SAME(C, TC, lpa); SAME(C, TC, elpe);
	SAME(C, TC, npss); SAME(C, TC, avscc); SAME(C, TC, apsta); SAME(C, TC, wctemp); SAME(C, TC, cctemp);
	SAME(C, TC, mtfa); SAME(C, TC, hmpre); SAME(C, TC, hmmin); SAME(C, TC, tnvmcap); SAME(C, TC, unvmcap);
	SAME(C, TC, rpmbs); SAME(C, TC, edstt); SAME(C, TC, dsto); SAME(C, TC, fwug); SAME(C, TC, kas);
	SAME(C, TC, hctma); SAME(C, TC, mntmt); SAME(C, TC, mxtmt); SAME(C, TC, sanicap); SAME(C, TC, hmminds);
	SAME(C, TC, hmmaxd); SAME(C, TC, nsetidmax); SAME(C, TC, endgidmax); SAME(C, TC, anatt);
	SAME(C, TC, anacap); SAME(C, TC, anagrpmax); SAME(C, TC, nanagrpid); SAME(C, TC, pels);
	SAME(C, TC, domainid); SAME(C, TC, megcap); SAME(C, TC, sqes); SAME(C, TC, cqes); SAME(C, TC, maxcmd);
	SAME(C, TC, nn); SAME(C, TC, oncs); SAME(C, TC, fuses); SAME(C, TC, fna); SAME(C, TC, vwc);
	SAME(C, TC, awun); SAME(C, TC, awupf); SAME(C, TC, icsvscc); SAME(C, TC, nwpc); SAME(C, TC, acwu);
	SAME(C, TC, ocfs); SAME(C, TC, sgls); SAME(C, TC, mnan); SAME(C, TC, maxdna); SAME(C, TC, maxcna);
	SAME(C, TC, subnqn); SAME(C, TC, ioccsz); SAME(C, TC, iorcsz); SAME(C, TC, icdoff); SAME(C, TC, fcatt);
	SAME(C, TC, msdbd); SAME(C, TC, ofcs); SAME(C, TC, dctype); SAME(C, TC, psd); SAME(C, TC, vs);

	SIZE(struct sio_nvme_power_state, struct nvme_id_psd);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, mp);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, flags);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, enlat);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, exlat);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, rrt);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, rwl);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, idlp);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, ips);
	SAME(struct sio_nvme_power_state, struct nvme_id_psd, actp);
	FIELD(struct sio_nvme_power_state, apw_aps, struct nvme_id_psd, apws);

	SIZE(N, TN);
	SAME(N, TN, nsze); SAME(N, TN, ncap); SAME(N, TN, nuse); SAME(N, TN, nsfeat); SAME(N, TN, nlbaf);
	SAME(N, TN, flbas); SAME(N, TN, mc); SAME(N, TN, dpc); SAME(N, TN, dps); SAME(N, TN, nmic);
	SAME(N, TN, rescap); SAME(N, TN, fpi); SAME(N, TN, dlfeat); SAME(N, TN, nawun); SAME(N, TN, nawupf);
	SAME(N, TN, nacwu); SAME(N, TN, nabsn); SAME(N, TN, nabo); SAME(N, TN, nabspf); SAME(N, TN, noiob);
	SAME(N, TN, nvmcap); SAME(N, TN, npwg); SAME(N, TN, npwa); SAME(N, TN, npdg); SAME(N, TN, npda);
	SAME(N, TN, nows); SAME(N, TN, mssrl); SAME(N, TN, mcl); SAME(N, TN, msrc); SAME(N, TN, nulbaf);
	SAME(N, TN, anagrpid); SAME(N, TN, nsattr); SAME(N, TN, nvmsetid); SAME(N, TN, endgid);
	SAME(N, TN, nguid); SAME(N, TN, eui64); SAME(N, TN, lbaf);
	SIZE(struct sio_nvme_lbaf, struct nvme_lbaf);
	SAME(struct sio_nvme_lbaf, struct nvme_lbaf, ms);
	FIELD(struct sio_nvme_lbaf, lbads, struct nvme_lbaf, ds);
	SAME(struct sio_nvme_lbaf, struct nvme_lbaf, rp);

	SIZE(struct sio_nvme_ns_independent_data, struct nvme_id_independent_id_ns);
	SAME(struct sio_nvme_ns_independent_data, struct nvme_id_independent_id_ns, anagrpid);
	SAME(struct sio_nvme_ns_independent_data, struct nvme_id_independent_id_ns, nsattr);
	SAME(struct sio_nvme_ns_independent_data, struct nvme_id_independent_id_ns, nvmsetid);
	SAME(struct sio_nvme_ns_independent_data, struct nvme_id_independent_id_ns, endgid);
	SAME(struct sio_nvme_ns_independent_data, struct nvme_id_independent_id_ns, nstat);

	SIZE(struct sio_nvme_nvm_ns_data, struct nvme_nvm_id_ns);
	SAME(struct sio_nvme_nvm_ns_data, struct nvme_nvm_id_ns, lbstm);
	SAME(struct sio_nvme_nvm_ns_data, struct nvme_nvm_id_ns, pic);
	SAME(struct sio_nvme_nvm_ns_data, struct nvme_nvm_id_ns, elbaf);
	SIZE(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm);
	SAME(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm, vsl);
	SAME(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm, wzsl);
	SAME(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm, wusl);
	SAME(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm, dmrl);
	SAME(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm, dmrsl);
	SAME(struct sio_nvme_nvm_ctrlr_data, struct nvme_id_ctrl_nvm, dmsl);
	SIZE(struct sio_nvme_iocs_vector_data, struct nvme_id_iocs);
	SIZE(struct sio_nvme_ns_list, struct nvme_ns_list);
	FIELD(struct sio_nvme_ns_list, ns_list, struct nvme_ns_list, ns);
	SIZE(struct sio_nvme_ns_id_desc, struct nvme_ns_id_desc);
	SAME(struct sio_nvme_ns_id_desc, struct nvme_ns_id_desc, nidt);
	SAME(struct sio_nvme_ns_id_desc, struct nvme_ns_id_desc, nidl);
	check_eq("sio_nvme_ns_id_desc.nid offset", offsetof(struct sio_nvme_ns_id_desc, nid),
		 offsetof(struct nvme_ns_id_desc, nid));
	assert_int_equal(g_mismatches, 0);
	(void)state;
}

static void test_log_structures(void **state)
{
	typedef struct sio_nvme_health_information_page H;
	typedef struct nvme_smart_log TH;
	typedef struct sio_nvme_error_info_entry E;
	typedef struct nvme_error_log_page TE;
	typedef struct sio_nvmf_discovery_log_page_entry D;
	typedef struct nvmf_disc_log_entry TD;

	g_mismatches = 0;
	SIZE(E, TE);
	SAME(E, TE, error_count); SAME(E, TE, sqid); FIELD(E, cid, TE, cmdid); FIELD(E, status, TE, status_field);
	FIELD(E, error_location, TE, parm_error_location); SAME(E, TE, lba); SAME(E, TE, nsid);
	FIELD(E, vendor_specific, TE, vs); SAME(E, TE, trtype); FIELD(E, command_specific, TE, cs);
	FIELD(E, trtype_specific, TE, trtype_spec_info);

	SIZE(H, TH);
	SAME(H, TH, critical_warning); SAME(H, TH, temperature); FIELD(H, available_spare, TH, avail_spare);
	FIELD(H, available_spare_threshold, TH, spare_thresh); FIELD(H, percentage_used, TH, percent_used);
	FIELD(H, endurance_group_critical_warning, TH, endu_grp_crit_warn_sumry);
	SAME(H, TH, data_units_read); SAME(H, TH, data_units_written); FIELD(H, host_read_commands, TH, host_reads);
	FIELD(H, host_write_commands, TH, host_writes); FIELD(H, controller_busy_time, TH, ctrl_busy_time);
	SAME(H, TH, power_cycles); SAME(H, TH, power_on_hours); SAME(H, TH, unsafe_shutdowns);
	SAME(H, TH, media_errors); FIELD(H, num_error_info_log_entries, TH, num_err_log_entries);
	SAME(H, TH, warning_temp_time); FIELD(H, critical_temp_time, TH, critical_comp_time);
	SAME(H, TH, temp_sensor); SAME(H, TH, thm_temp1_trans_count); SAME(H, TH, thm_temp2_trans_count);
	SAME(H, TH, thm_temp1_total_time); SAME(H, TH, thm_temp2_total_time);

	SIZE(struct sio_nvme_firmware_page, struct nvme_firmware_slot);
	SAME(struct sio_nvme_firmware_page, struct nvme_firmware_slot, afi);
	SAME(struct sio_nvme_firmware_page, struct nvme_firmware_slot, frs);
	SIZE(struct sio_nvme_cmds_and_effect_log_page, struct nvme_cmd_effects_log);
	FIELD(struct sio_nvme_cmds_and_effect_log_page, admin_cmds_supported, struct nvme_cmd_effects_log, acs);
	FIELD(struct sio_nvme_cmds_and_effect_log_page, io_cmds_supported, struct nvme_cmd_effects_log, iocs);
	SIZE(struct sio_nvme_supported_log_pages, struct nvme_supported_log_pages);
	FIELD(struct sio_nvme_supported_log_pages, lids, struct nvme_supported_log_pages, lid_support);
	FIELD(struct sio_nvme_ana_page, change_count, struct nvme_ana_log, chgcnt);
	FIELD(struct sio_nvme_ana_page, num_ana_group_desc, struct nvme_ana_log, ngrps);
	check_eq("sio_nvme_ana_page size", sizeof(struct sio_nvme_ana_page), offsetof(struct nvme_ana_log, descs));
	SIZE(struct sio_nvme_ana_group_descriptor, struct nvme_ana_group_desc);
	FIELD(struct sio_nvme_ana_group_descriptor, ana_group_id, struct nvme_ana_group_desc, grpid);
	FIELD(struct sio_nvme_ana_group_descriptor, num_of_nsid, struct nvme_ana_group_desc, nnsids);
	FIELD(struct sio_nvme_ana_group_descriptor, change_count, struct nvme_ana_group_desc, chgcnt);
	FIELD(struct sio_nvme_ana_group_descriptor, ana_state, struct nvme_ana_group_desc, state);

	SIZE(D, TD);
	SAME(D, TD, trtype); SAME(D, TD, adrfam); SAME(D, TD, subtype); SAME(D, TD, treq); SAME(D, TD, portid);
	SAME(D, TD, cntlid); SAME(D, TD, asqsz); SAME(D, TD, eflags); SAME(D, TD, trsvcid); SAME(D, TD, subnqn);
	SAME(D, TD, traddr); SAME(D, TD, tsas);
	SAME(struct sio_nvmf_discovery_log_page, struct nvmf_discovery_log, genctr);
	SAME(struct sio_nvmf_discovery_log_page, struct nvmf_discovery_log, numrec);
	SAME(struct sio_nvmf_discovery_log_page, struct nvmf_discovery_log, recfmt);
	check_eq("discovery entries offset", offsetof(struct sio_nvmf_discovery_log_page, entries),
		 offsetof(struct nvmf_discovery_log, entries));
	SIZE(union sio_nvmf_tsas, union nvmf_tsas);

	SIZE(struct sio_nvmf_connect_data, struct nvmf_connect_data);
	SAME(struct sio_nvmf_connect_data, struct nvmf_connect_data, hostid);
	SAME(struct sio_nvmf_connect_data, struct nvmf_connect_data, cntlid);
	FIELD(struct sio_nvmf_connect_data, subnqn, struct nvmf_connect_data, subsysnqn);
	SAME(struct sio_nvmf_connect_data, struct nvmf_connect_data, hostnqn);

	SIZE(struct sio_nvme_dsm_range, struct nvme_dsm_range);
	FIELD(struct sio_nvme_dsm_range, attributes, struct nvme_dsm_range, cattr);
	FIELD(struct sio_nvme_dsm_range, length, struct nvme_dsm_range, nlb);
	FIELD(struct sio_nvme_dsm_range, starting_lba, struct nvme_dsm_range, slba);
	SIZE(struct sio_nvme_host_behavior, struct nvme_feat_host_behavior);
	SAME(struct sio_nvme_host_behavior, struct nvme_feat_host_behavior, acre);
	assert_int_equal(g_mismatches, 0);
	(void)state;
}

static void test_register_bits(void **state)
{
	g_mismatches = 0;
	BITS(union sio_nvme_cap_register, mqes, NVME_CAP_MQES_SHIFT, NVME_CAP_MQES_MASK);
	BITS(union sio_nvme_cap_register, cqr, NVME_CAP_CQR_SHIFT, NVME_CAP_CQR_MASK);
	BITS(union sio_nvme_cap_register, ams, NVME_CAP_AMS_SHIFT, NVME_CAP_AMS_MASK);
	BITS(union sio_nvme_cap_register, to, NVME_CAP_TO_SHIFT, NVME_CAP_TO_MASK);
	BITS(union sio_nvme_cap_register, dstrd, NVME_CAP_DSTRD_SHIFT, NVME_CAP_DSTRD_MASK);
	BITS(union sio_nvme_cap_register, nssrs, NVME_CAP_NSSRC_SHIFT, NVME_CAP_NSSRC_MASK);
	BITS(union sio_nvme_cap_register, css, NVME_CAP_CSS_SHIFT, NVME_CAP_CSS_MASK);
	BITS(union sio_nvme_cap_register, bps, NVME_CAP_BPS_SHIFT, NVME_CAP_BPS_MASK);
	BITS(union sio_nvme_cap_register, mpsmin, NVME_CAP_MPSMIN_SHIFT, NVME_CAP_MPSMIN_MASK);
	BITS(union sio_nvme_cap_register, mpsmax, NVME_CAP_MPSMAX_SHIFT, NVME_CAP_MPSMAX_MASK);
	BITS(union sio_nvme_cap_register, pmrs, NVME_CAP_PMRS_SHIFT, NVME_CAP_PMRS_MASK);
	BITS(union sio_nvme_cap_register, cmbs, NVME_CAP_CMBS_SHIFT, NVME_CAP_CMBS_MASK);
	BITS(union sio_nvme_cap_register, crms, NVME_CAP_CRMS_SHIFT, NVME_CAP_CRMS_MASK);
	BITS(union sio_nvme_cc_register, en, NVME_CC_EN_SHIFT, NVME_CC_EN_MASK);
	BITS(union sio_nvme_cc_register, css, NVME_CC_CSS_SHIFT, NVME_CC_CSS_MASK);
	BITS(union sio_nvme_cc_register, mps, NVME_CC_MPS_SHIFT, NVME_CC_MPS_MASK);
	BITS(union sio_nvme_cc_register, ams, NVME_CC_AMS_SHIFT, NVME_CC_AMS_MASK);
	BITS(union sio_nvme_cc_register, shn, NVME_CC_SHN_SHIFT, NVME_CC_SHN_MASK);
	BITS(union sio_nvme_cc_register, iosqes, NVME_CC_IOSQES_SHIFT, NVME_CC_IOSQES_MASK);
	BITS(union sio_nvme_cc_register, iocqes, NVME_CC_IOCQES_SHIFT, NVME_CC_IOCQES_MASK);
	BITS(union sio_nvme_cc_register, crime, NVME_CC_CRIME_SHIFT, NVME_CC_CRIME_MASK);
	BITS(union sio_nvme_csts_register, rdy, NVME_CSTS_RDY_SHIFT, NVME_CSTS_RDY_MASK);
	BITS(union sio_nvme_csts_register, cfs, NVME_CSTS_CFS_SHIFT, NVME_CSTS_CFS_MASK);
	BITS(union sio_nvme_csts_register, shst, NVME_CSTS_SHST_SHIFT, NVME_CSTS_SHST_MASK);
	BITS(union sio_nvme_csts_register, nssro, NVME_CSTS_NSSRO_SHIFT, NVME_CSTS_NSSRO_MASK);
	BITS(union sio_nvme_csts_register, pp, NVME_CSTS_PP_SHIFT, NVME_CSTS_PP_MASK);
	BITS(union sio_nvme_aqa_register, asqs, NVME_AQA_ASQS_SHIFT, NVME_AQA_ASQS_MASK);
	BITS(union sio_nvme_aqa_register, acqs, NVME_AQA_ACQS_SHIFT, NVME_AQA_ACQS_MASK);
	BITS(union sio_nvme_vs_register, ter, NVME_VS_TER_SHIFT, NVME_VS_TER_MASK);
	BITS(union sio_nvme_vs_register, mnr, NVME_VS_MNR_SHIFT, NVME_VS_MNR_MASK);
	BITS(union sio_nvme_vs_register, mjr, NVME_VS_MJR_SHIFT, NVME_VS_MJR_MASK);

	CONST(SIO_NVME_REG_CAP, NVME_REG_CAP); CONST(SIO_NVME_REG_VS, NVME_REG_VS);
	CONST(SIO_NVME_REG_INTMS, NVME_REG_INTMS); CONST(SIO_NVME_REG_INTMC, NVME_REG_INTMC);
	CONST(SIO_NVME_REG_CC, NVME_REG_CC); CONST(SIO_NVME_REG_CSTS, NVME_REG_CSTS);
	CONST(SIO_NVME_REG_NSSR, NVME_REG_NSSR); CONST(SIO_NVME_REG_AQA, NVME_REG_AQA);
	CONST(SIO_NVME_REG_ASQ, NVME_REG_ASQ); CONST(SIO_NVME_REG_ACQ, NVME_REG_ACQ);
	CONST(SIO_NVME_REG_CMBLOC, NVME_REG_CMBLOC); CONST(SIO_NVME_REG_CMBSZ, NVME_REG_CMBSZ);
	CONST(SIO_NVME_REG_BPINFO, NVME_REG_BPINFO); CONST(SIO_NVME_REG_BPRSEL, NVME_REG_BPRSEL);
	CONST(SIO_NVME_REG_BPMBL, NVME_REG_BPMBL); CONST(SIO_NVME_REG_CMBMSC, NVME_REG_CMBMSC);
	CONST(SIO_NVME_REG_CMBSTS, NVME_REG_CMBSTS); CONST(SIO_NVME_REG_CRTO, NVME_REG_CRTO);
	CONST(SIO_NVME_REG_PMRCAP, NVME_REG_PMRCAP);
	assert_int_equal(g_mismatches, 0);
	(void)state;
}

static void test_status_codes(void **state)
{
	g_mismatches = 0;
	CONST(SIO_NVME_SCT_GENERIC, NVME_SCT_GENERIC); CONST(SIO_NVME_SCT_COMMAND_SPECIFIC, NVME_SCT_CMD_SPECIFIC);
	CONST(SIO_NVME_SCT_MEDIA_ERROR, NVME_SCT_MEDIA); CONST(SIO_NVME_SCT_PATH, NVME_SCT_PATH);
	CONST(SIO_NVME_SCT_VENDOR_SPECIFIC, NVME_SCT_VS);

	CONST(SIO_NVME_SC_SUCCESS, NVME_SC_SUCCESS); CONST(SIO_NVME_SC_INVALID_OPCODE, NVME_SC_INVALID_OPCODE);
	CONST(SIO_NVME_SC_INVALID_FIELD, NVME_SC_INVALID_FIELD);
	CONST(SIO_NVME_SC_COMMAND_ID_CONFLICT, NVME_SC_CMDID_CONFLICT);
	CONST(SIO_NVME_SC_DATA_TRANSFER_ERROR, NVME_SC_DATA_XFER_ERROR);
	CONST(SIO_NVME_SC_ABORTED_POWER_LOSS, NVME_SC_POWER_LOSS);
	CONST(SIO_NVME_SC_INTERNAL_DEVICE_ERROR, NVME_SC_INTERNAL);
	CONST(SIO_NVME_SC_ABORTED_BY_REQUEST, NVME_SC_ABORT_REQ);
	CONST(SIO_NVME_SC_ABORTED_SQ_DELETION, NVME_SC_ABORT_QUEUE);
	CONST(SIO_NVME_SC_ABORTED_FAILED_FUSED, NVME_SC_FUSED_FAIL);
	CONST(SIO_NVME_SC_ABORTED_MISSING_FUSED, NVME_SC_FUSED_MISSING);
	CONST(SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, NVME_SC_INVALID_NS);
	CONST(SIO_NVME_SC_COMMAND_SEQUENCE_ERROR, NVME_SC_CMD_SEQ_ERROR);
	CONST(SIO_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR, NVME_SC_SGL_INVALID_LAST);
	CONST(SIO_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS, NVME_SC_SGL_INVALID_COUNT);
	CONST(SIO_NVME_SC_DATA_SGL_LENGTH_INVALID, NVME_SC_SGL_INVALID_DATA);
	CONST(SIO_NVME_SC_METADATA_SGL_LENGTH_INVALID, NVME_SC_SGL_INVALID_METADATA);
	CONST(SIO_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID, NVME_SC_SGL_INVALID_TYPE);
	CONST(SIO_NVME_SC_INVALID_CONTROLLER_MEM_BUF, NVME_SC_CMB_INVALID_USE);
	CONST(SIO_NVME_SC_INVALID_PRP_OFFSET, NVME_SC_PRP_INVALID_OFFSET);
	CONST(SIO_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED, NVME_SC_AWU_EXCEEDED);
	CONST(SIO_NVME_SC_OPERATION_DENIED, NVME_SC_OP_DENIED);
	CONST(SIO_NVME_SC_INVALID_SGL_OFFSET, NVME_SC_SGL_INVALID_OFFSET);
	CONST(SIO_NVME_SC_HOSTID_INCONSISTENT_FORMAT, NVME_SC_HOSTID_FORMAT);
	CONST(SIO_NVME_SC_KEEP_ALIVE_EXPIRED, NVME_SC_KAT_EXPIRED);
	CONST(SIO_NVME_SC_KEEP_ALIVE_INVALID, NVME_SC_KAT_INVALID);
	CONST(SIO_NVME_SC_ABORTED_PREEMPT, NVME_SC_CMD_ABORTED_PREMEPT);
	CONST(SIO_NVME_SC_SANITIZE_FAILED, NVME_SC_SANITIZE_FAILED);
	CONST(SIO_NVME_SC_SANITIZE_IN_PROGRESS, NVME_SC_SANITIZE_IN_PROGRESS);
	CONST(SIO_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID, NVME_SC_SGL_INVALID_GRANULARITY);
	CONST(SIO_NVME_SC_COMMAND_INVALID_IN_CMB, NVME_SC_CMD_IN_CMBQ_NOT_SUPP);
	CONST(SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED, NVME_SC_NS_WRITE_PROTECTED);
	CONST(SIO_NVME_SC_COMMAND_INTERRUPTED, NVME_SC_CMD_INTERRUPTED);
	CONST(SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR, NVME_SC_TRAN_TPORT_ERROR);
	CONST(SIO_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN, NVME_SC_PROHIBITED_BY_CMD_AND_FEAT);
	CONST(SIO_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY, NVME_SC_ADMIN_CMD_MEDIA_NOT_READY);
	CONST(SIO_NVME_SC_LBA_OUT_OF_RANGE, NVME_SC_LBA_RANGE);
	CONST(SIO_NVME_SC_CAPACITY_EXCEEDED, NVME_SC_CAP_EXCEEDED);
	CONST(SIO_NVME_SC_NAMESPACE_NOT_READY, NVME_SC_NS_NOT_READY);
	CONST(SIO_NVME_SC_RESERVATION_CONFLICT, NVME_SC_RESERVATION_CONFLICT);
	CONST(SIO_NVME_SC_FORMAT_IN_PROGRESS, NVME_SC_FORMAT_IN_PROGRESS);

	CONST(SIO_NVME_SC_COMPLETION_QUEUE_INVALID, NVME_SC_CQ_INVALID);
	CONST(SIO_NVME_SC_INVALID_QUEUE_IDENTIFIER, NVME_SC_QID_INVALID);
	CONST(SIO_NVME_SC_INVALID_QUEUE_SIZE, NVME_SC_QUEUE_SIZE);
	CONST(SIO_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED, NVME_SC_ABORT_LIMIT);
	CONST(SIO_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED, NVME_SC_ASYNC_LIMIT);
	CONST(SIO_NVME_SC_INVALID_FIRMWARE_SLOT, NVME_SC_FIRMWARE_SLOT);
	CONST(SIO_NVME_SC_INVALID_FIRMWARE_IMAGE, NVME_SC_FIRMWARE_IMAGE);
	CONST(SIO_NVME_SC_INVALID_INTERRUPT_VECTOR, NVME_SC_INVALID_VECTOR);
	CONST(SIO_NVME_SC_INVALID_LOG_PAGE, NVME_SC_INVALID_LOG_PAGE);
	CONST(SIO_NVME_SC_INVALID_FORMAT, NVME_SC_INVALID_FORMAT);
	CONST(SIO_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET, NVME_SC_FW_NEEDS_CONV_RESET);
	CONST(SIO_NVME_SC_INVALID_QUEUE_DELETION, NVME_SC_INVALID_QUEUE);
	CONST(SIO_NVME_SC_FEATURE_ID_NOT_SAVEABLE, NVME_SC_FEATURE_NOT_SAVEABLE);
	CONST(SIO_NVME_SC_FEATURE_NOT_CHANGEABLE, NVME_SC_FEATURE_NOT_CHANGEABLE);
	CONST(SIO_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC, NVME_SC_FEATURE_NOT_PER_NS);
	CONST(SIO_NVME_SC_FIRMWARE_REQ_NVM_RESET, NVME_SC_FW_NEEDS_SUBSYS_RESET);
	CONST(SIO_NVME_SC_FIRMWARE_REQ_RESET, NVME_SC_FW_NEEDS_RESET);
	CONST(SIO_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION, NVME_SC_FW_NEEDS_MAX_TIME);
	CONST(SIO_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED, NVME_SC_FW_ACTIVATE_PROHIBITED);
	CONST(SIO_NVME_SC_OVERLAPPING_RANGE, NVME_SC_OVERLAPPING_RANGE);
	CONST(SIO_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY, NVME_SC_NS_INSUFFICIENT_CAP);
	CONST(SIO_NVME_SC_NAMESPACE_ID_UNAVAILABLE, NVME_SC_NS_ID_UNAVAILABLE);
	CONST(SIO_NVME_SC_NAMESPACE_ALREADY_ATTACHED, NVME_SC_NS_ALREADY_ATTACHED);
	CONST(SIO_NVME_SC_NAMESPACE_IS_PRIVATE, NVME_SC_NS_IS_PRIVATE);
	CONST(SIO_NVME_SC_NAMESPACE_NOT_ATTACHED, NVME_SC_NS_NOT_ATTACHED);
	CONST(SIO_NVME_SC_THINPROVISIONING_NOT_SUPPORTED, NVME_SC_THIN_PROV_NOT_SUPP);
	CONST(SIO_NVME_SC_CONTROLLER_LIST_INVALID, NVME_SC_CTRL_LIST_INVALID);
	CONST(SIO_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS, NVME_SC_SELF_TEST_IN_PROGRESS);
	CONST(SIO_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED, NVME_SC_BP_WRITE_PROHIBITED);
	CONST(SIO_NVME_SC_INVALID_CTRLR_ID, NVME_SC_INVALID_CTRL_ID);
	CONST(SIO_NVME_SC_INVALID_SECONDARY_CTRLR_STATE, NVME_SC_INVALID_SEC_CTRL_STATE);
	CONST(SIO_NVME_SC_INVALID_NUM_CTRLR_RESOURCES, NVME_SC_INVALID_CTRL_RESOURCES);
	CONST(SIO_NVME_SC_INVALID_RESOURCE_ID, NVME_SC_INVALID_RESOURCE_ID);
	CONST(SIO_NVME_SC_SANITIZE_PROHIBITED_WITH_PMR, NVME_SC_PMR_SAN_PROHIBITED);
	CONST(SIO_NVME_SC_ANA_GROUP_ID_INVALID, NVME_SC_ANA_GROUP_ID_INVALID);
	CONST(SIO_NVME_SC_ANA_ATTACH_FAILED, NVME_SC_ANA_ATTACH_FAILED);
	CONST(SIO_NVME_SC_INSUFFICIENT_CAPACITY, NVME_SC_INSUFFICIENT_CAP);
	CONST(SIO_NVME_SC_NAMESPACE_ATTACH_LIMIT_EXCEEDED, NVME_SC_NS_ATTACHMENT_LIMIT_EXCEEDED);
	CONST(SIO_NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED, NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED);
	CONST(SIO_NVME_SC_IOCS_NOT_SUPPORTED, NVME_SC_IOCS_NOT_SUPPORTED);
	CONST(SIO_NVME_SC_IOCS_NOT_ENABLED, NVME_SC_IOCS_NOT_ENABLED);
	CONST(SIO_NVME_SC_IOCS_COMBINATION_REJECTED, NVME_SC_IOCS_COMBINATION_REJECTED);
	CONST(SIO_NVME_SC_INVALID_IOCS, NVME_SC_INVALID_IOCS);
	CONST(SIO_NVME_SC_IDENTIFIER_UNAVAILABLE, NVME_SC_ID_UNAVAILABLE);
	CONST(SIO_NVMF_SC_CONNECT_INCOMPATIBLE_FORMAT, NVME_SC_CONNECT_FORMAT);
	CONST(SIO_NVMF_SC_CONNECT_CONTROLLER_BUSY, NVME_SC_CONNECT_CTRL_BUSY);
	CONST(SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS, NVME_SC_CONNECT_INVALID_PARAM);
	CONST(SIO_NVMF_SC_CONNECT_RESTART_DISCOVERY, NVME_SC_CONNECT_RESTART_DISC);
	CONST(SIO_NVMF_SC_CONNECT_INVALID_HOST, NVME_SC_CONNECT_INVALID_HOST);
	CONST(SIO_NVMF_SC_INVALID_QUEUE_TYPE, NVME_SC_DISCONNECT_INVALID_QTYPE);
	CONST(SIO_NVMF_SC_DISCOVER_RESTART, NVME_SC_DISCOVERY_RESTART);
	CONST(SIO_NVMF_SC_AUTH_REQUIRED, NVME_SC_AUTH_REQUIRED);
	CONST(SIO_NVME_SC_CONFLICTING_ATTRIBUTES, NVME_SC_BAD_ATTRIBUTES);
	CONST(SIO_NVME_SC_INVALID_PROTECTION_INFO, NVME_SC_INVALID_PI);
	CONST(SIO_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE, NVME_SC_READ_ONLY);
	CONST(SIO_NVME_SC_COMMAND_SIZE_LIMIT_EXCEEDED, NVME_SC_CMD_SIZE_LIMIT_EXCEEDED);
	CONST(SIO_NVME_SC_ZONE_BOUNDARY_ERROR, NVME_SC_ZNS_BOUNDARY_ERROR);
	CONST(SIO_NVME_SC_ZONE_IS_FULL, NVME_SC_ZNS_FULL);
	CONST(SIO_NVME_SC_ZONE_IS_READ_ONLY, NVME_SC_ZNS_READ_ONLY);
	CONST(SIO_NVME_SC_ZONE_IS_OFFLINE, NVME_SC_ZNS_OFFLINE);
	CONST(SIO_NVME_SC_ZONE_INVALID_WRITE, NVME_SC_ZNS_INVALID_WRITE);
	CONST(SIO_NVME_SC_TOO_MANY_ACTIVE_ZONES, NVME_SC_ZNS_TOO_MANY_ACTIVE);
	CONST(SIO_NVME_SC_TOO_MANY_OPEN_ZONES, NVME_SC_ZNS_TOO_MANY_OPENS);
	CONST(SIO_NVME_SC_INVALID_ZONE_STATE_TRANSITION, NVME_SC_ZNS_INVAL_TRANSITION);

	CONST(SIO_NVME_SC_WRITE_FAULTS, NVME_SC_WRITE_FAULT);
	CONST(SIO_NVME_SC_UNRECOVERED_READ_ERROR, NVME_SC_READ_ERROR);
	CONST(SIO_NVME_SC_GUARD_CHECK_ERROR, NVME_SC_GUARD_CHECK);
	CONST(SIO_NVME_SC_APPLICATION_TAG_CHECK_ERROR, NVME_SC_APPTAG_CHECK);
	CONST(SIO_NVME_SC_REFERENCE_TAG_CHECK_ERROR, NVME_SC_REFTAG_CHECK);
	CONST(SIO_NVME_SC_COMPARE_FAILURE, NVME_SC_COMPARE_FAILED);
	CONST(SIO_NVME_SC_ACCESS_DENIED, NVME_SC_ACCESS_DENIED);
	CONST(SIO_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK, NVME_SC_UNWRITTEN_BLOCK);
	CONST(SIO_NVME_SC_STORAGE_TAG_CHECK_ERROR, NVME_SC_STORAGE_TAG_CHECK);

	CONST(SIO_NVME_SC_INTERNAL_PATH_ERROR, NVME_SC_ANA_INTERNAL_PATH_ERROR);
	CONST(SIO_NVME_SC_ANA_PERSISTENT_LOSS, NVME_SC_ANA_PERSISTENT_LOSS);
	CONST(SIO_NVME_SC_ANA_INACCESSIBLE, NVME_SC_ANA_INACCESSIBLE);
	CONST(SIO_NVME_SC_ANA_TRANSITION, NVME_SC_ANA_TRANSITION);
	CONST(SIO_NVME_SC_CTRLR_PATH_ERROR, NVME_SC_CTRL_PATH_ERROR);
	CONST(SIO_NVME_SC_HOST_PATH_ERROR, NVME_SC_HOST_PATH_ERROR);
	CONST(SIO_NVME_SC_ABORTED_BY_HOST, NVME_SC_CMD_ABORTED_BY_HOST);
	assert_int_equal(g_mismatches, 0);
	(void)state;
}

static void test_opcodes_and_ids(void **state)
{
	g_mismatches = 0;
	CONST(SIO_NVME_OPC_DELETE_IO_SQ, nvme_admin_delete_sq); CONST(SIO_NVME_OPC_CREATE_IO_SQ, nvme_admin_create_sq);
	CONST(SIO_NVME_OPC_GET_LOG_PAGE, nvme_admin_get_log_page); CONST(SIO_NVME_OPC_DELETE_IO_CQ, nvme_admin_delete_cq);
	CONST(SIO_NVME_OPC_CREATE_IO_CQ, nvme_admin_create_cq); CONST(SIO_NVME_OPC_IDENTIFY, nvme_admin_identify);
	CONST(SIO_NVME_OPC_ABORT, nvme_admin_abort_cmd); CONST(SIO_NVME_OPC_SET_FEATURES, nvme_admin_set_features);
	CONST(SIO_NVME_OPC_GET_FEATURES, nvme_admin_get_features);
	CONST(SIO_NVME_OPC_ASYNC_EVENT_REQUEST, nvme_admin_async_event);
	CONST(SIO_NVME_OPC_NS_MANAGEMENT, nvme_admin_ns_mgmt); CONST(SIO_NVME_OPC_FIRMWARE_COMMIT, nvme_admin_fw_commit);
	CONST(SIO_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD, nvme_admin_fw_download);
	CONST(SIO_NVME_OPC_DEVICE_SELF_TEST, nvme_admin_dev_self_test);
	CONST(SIO_NVME_OPC_NS_ATTACHMENT, nvme_admin_ns_attach); CONST(SIO_NVME_OPC_KEEP_ALIVE, nvme_admin_keep_alive);
	CONST(SIO_NVME_OPC_DIRECTIVE_SEND, nvme_admin_directive_send);
	CONST(SIO_NVME_OPC_DIRECTIVE_RECEIVE, nvme_admin_directive_recv);
	CONST(SIO_NVME_OPC_VIRTUALIZATION_MANAGEMENT, nvme_admin_virtual_mgmt);
	CONST(SIO_NVME_OPC_NVME_MI_SEND, nvme_admin_nvme_mi_send);
	CONST(SIO_NVME_OPC_NVME_MI_RECEIVE, nvme_admin_nvme_mi_recv);
	CONST(SIO_NVME_OPC_CAPACITY_MANAGEMENT, nvme_admin_capacity_mgmt);
	CONST(SIO_NVME_OPC_LOCKDOWN, nvme_admin_lockdown);
	CONST(SIO_NVME_OPC_DOORBELL_BUFFER_CONFIG, nvme_admin_dbbuf); CONST(SIO_NVME_OPC_FABRICS, nvme_admin_fabrics);
	CONST(SIO_NVME_OPC_FORMAT_NVM, nvme_admin_format_nvm);
	CONST(SIO_NVME_OPC_SECURITY_SEND, nvme_admin_security_send);
	CONST(SIO_NVME_OPC_SECURITY_RECEIVE, nvme_admin_security_recv);
	CONST(SIO_NVME_OPC_SANITIZE, nvme_admin_sanitize_nvm);
	CONST(SIO_NVME_OPC_GET_LBA_STATUS, nvme_admin_get_lba_status);

	CONST(SIO_NVME_OPC_FLUSH, nvme_cmd_flush); CONST(SIO_NVME_OPC_WRITE, nvme_cmd_write);
	CONST(SIO_NVME_OPC_READ, nvme_cmd_read); CONST(SIO_NVME_OPC_WRITE_UNCORRECTABLE, nvme_cmd_write_uncor);
	CONST(SIO_NVME_OPC_COMPARE, nvme_cmd_compare); CONST(SIO_NVME_OPC_WRITE_ZEROES, nvme_cmd_write_zeroes);
	CONST(SIO_NVME_OPC_DATASET_MANAGEMENT, nvme_cmd_dsm); CONST(SIO_NVME_OPC_VERIFY, nvme_cmd_verify);
	CONST(SIO_NVME_OPC_RESERVATION_REGISTER, nvme_cmd_resv_register);
	CONST(SIO_NVME_OPC_RESERVATION_REPORT, nvme_cmd_resv_report);
	CONST(SIO_NVME_OPC_RESERVATION_ACQUIRE, nvme_cmd_resv_acquire);
	CONST(SIO_NVME_OPC_RESERVATION_RELEASE, nvme_cmd_resv_release); CONST(SIO_NVME_OPC_COPY, nvme_cmd_copy);

	CONST(SIO_NVMF_FCTYPE_PROPERTY_SET, nvme_fabrics_type_property_set);
	CONST(SIO_NVMF_FCTYPE_CONNECT, nvme_fabrics_type_connect);
	CONST(SIO_NVMF_FCTYPE_PROPERTY_GET, nvme_fabrics_type_property_get);
	CONST(SIO_NVMF_FCTYPE_AUTH_SEND, nvme_fabrics_type_auth_send);
	CONST(SIO_NVMF_FCTYPE_AUTH_RECV, nvme_fabrics_type_auth_receive);
	CONST(SIO_NVMF_FCTYPE_DISCONNECT, nvme_fabrics_type_disconnect);

	CONST(SIO_NVME_CNS_NS, NVME_IDENTIFY_CNS_NS); CONST(SIO_NVME_CNS_CTRLR, NVME_IDENTIFY_CNS_CTRL);
	CONST(SIO_NVME_CNS_ACTIVE_NS_LIST, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST);
	CONST(SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST, NVME_IDENTIFY_CNS_NS_DESC_LIST);
	CONST(SIO_NVME_CNS_NVM_SET_LIST, NVME_IDENTIFY_CNS_NVMSET_LIST);
	CONST(SIO_NVME_CNS_IOCS_NS, NVME_IDENTIFY_CNS_CSI_NS); CONST(SIO_NVME_CNS_IOCS_CTRLR, NVME_IDENTIFY_CNS_CSI_CTRL);
	CONST(SIO_NVME_CNS_IOCS_ACTIVE_NS_LIST, NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST);
	CONST(SIO_NVME_CNS_IOCS_INDEPENDENT_NS, NVME_IDENTIFY_CNS_CSI_INDEPENDENT_ID_NS);
	CONST(SIO_NVME_CNS_ALLOCATED_NS_LIST, NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST);
	CONST(SIO_NVME_CNS_ALLOCATED_NS, NVME_IDENTIFY_CNS_ALLOCATED_NS);
	CONST(SIO_NVME_CNS_NS_ATTACHED_CTRLR_LIST, NVME_IDENTIFY_CNS_NS_CTRL_LIST);
	CONST(SIO_NVME_CNS_CTRLR_LIST, NVME_IDENTIFY_CNS_CTRL_LIST);
	CONST(SIO_NVME_CNS_PRIMARY_CTRLR_CAP, NVME_IDENTIFY_CNS_PRIMARY_CTRL_CAP);
	CONST(SIO_NVME_CNS_SECONDARY_CTRLR_LIST, NVME_IDENTIFY_CNS_SECONDARY_CTRL_LIST);
	CONST(SIO_NVME_CNS_NS_GRANULARITY_LIST, NVME_IDENTIFY_CNS_NS_GRANULARITY);
	CONST(SIO_NVME_CNS_UUID_LIST, NVME_IDENTIFY_CNS_UUID_LIST);
	CONST(SIO_NVME_CNS_DOMAIN_LIST, NVME_IDENTIFY_CNS_DOMAIN_LIST);
	CONST(SIO_NVME_CNS_ENDURANCE_GROUP_LIST, NVME_IDENTIFY_CNS_ENDURANCE_GROUP_ID);
	CONST(SIO_NVME_CNS_IOCS_ALLOCATED_NS_LIST, NVME_IDENTIFY_CNS_CSI_ALLOCATED_NS_LIST);
	CONST(SIO_NVME_CNS_IOCS_ALLOCATED_NS, NVME_IDENTIFY_CNS_CSI_ID_NS_DATA_STRUCTURE);
	CONST(SIO_NVME_CNS_IOCS, NVME_IDENTIFY_CNS_COMMAND_SET_STRUCTURE);
	CONST(SIO_NVME_CSI_NVM, NVME_CSI_NVM); CONST(SIO_NVME_CSI_KV, NVME_CSI_KV); CONST(SIO_NVME_CSI_ZNS, NVME_CSI_ZNS);
	CONST(SIO_NVME_NIDT_EUI64, NVME_NIDT_EUI64); CONST(SIO_NVME_NIDT_NGUID, NVME_NIDT_NGUID);
	CONST(SIO_NVME_NIDT_UUID, NVME_NIDT_UUID); CONST(SIO_NVME_NIDT_CSI, NVME_NIDT_CSI);
	CONST(SIO_NVME_NIDL_EUI64, NVME_NIDT_EUI64_LEN); CONST(SIO_NVME_NIDL_NGUID, NVME_NIDT_NGUID_LEN);
	CONST(SIO_NVME_NIDL_UUID, NVME_NIDT_UUID_LEN); CONST(SIO_NVME_NIDL_CSI, NVME_NIDT_CSI_LEN);

	CONST(SIO_NVME_LOG_SUPPORTED_LOG_PAGES, NVME_LOG_LID_SUPPORTED_LOG_PAGES);
	CONST(SIO_NVME_LOG_ERROR, NVME_LOG_LID_ERROR); CONST(SIO_NVME_LOG_HEALTH_INFORMATION, NVME_LOG_LID_SMART);
	CONST(SIO_NVME_LOG_FIRMWARE_SLOT, NVME_LOG_LID_FW_SLOT); CONST(SIO_NVME_LOG_CHANGED_NS_LIST, NVME_LOG_LID_CHANGED_NS);
	CONST(SIO_NVME_LOG_COMMAND_EFFECTS, NVME_LOG_LID_CMD_EFFECTS);
	CONST(SIO_NVME_LOG_DEVICE_SELF_TEST, NVME_LOG_LID_DEVICE_SELF_TEST);
	CONST(SIO_NVME_LOG_TELEMETRY_HOST, NVME_LOG_LID_TELEMETRY_HOST);
	CONST(SIO_NVME_LOG_TELEMETRY_CTRLR, NVME_LOG_LID_TELEMETRY_CTRL);
	CONST(SIO_NVME_LOG_ENDURANCE_GROUP, NVME_LOG_LID_ENDURANCE_GROUP);
	CONST(SIO_NVME_LOG_PREDICTABLE_LATENCY, NVME_LOG_LID_PREDICTABLE_LAT_NVMSET);
	CONST(SIO_NVME_LOG_PREDICTABLE_LATENCY_EVENT, NVME_LOG_LID_PREDICTABLE_LAT_AGG);
	CONST(SIO_NVME_LOG_ANA, NVME_LOG_LID_ANA); CONST(SIO_NVME_LOG_PERSISTENT_EVENT, NVME_LOG_LID_PERSISTENT_EVENT);
	CONST(SIO_NVME_LOG_ENDURANCE_GROUP_EVENT, NVME_LOG_LID_ENDURANCE_GRP_EVT);
	CONST(SIO_NVME_LOG_MEDIA_UNIT_STATUS, NVME_LOG_LID_MEDIA_UNIT_STATUS);
	CONST(SIO_NVME_LOG_CAPACITY_CONFIG_LIST, NVME_LOG_LID_SUPPORTED_CAP_CONFIG_LIST);
	CONST(SIO_NVME_LOG_FEATURE_IDS_EFFECTS, NVME_LOG_LID_FID_SUPPORTED_EFFECTS);
	CONST(SIO_NVME_LOG_NVME_MI_EFFECTS, NVME_LOG_LID_MI_CMD_SUPPORTED_EFFECTS);
	CONST(SIO_NVME_LOG_BOOT_PARTITION, NVME_LOG_LID_BOOT_PARTITION);
	CONST(SIO_NVME_LOG_DISCOVERY, NVME_LOG_LID_DISCOVER);
	CONST(SIO_NVME_LOG_RESERVATION_NOTIFICATION, NVME_LOG_LID_RESERVATION);
	CONST(SIO_NVME_LOG_SANITIZE_STATUS, NVME_LOG_LID_SANITIZE);

	CONST(SIO_NVME_FEAT_ARBITRATION, NVME_FEAT_FID_ARBITRATION);
	CONST(SIO_NVME_FEAT_POWER_MANAGEMENT, NVME_FEAT_FID_POWER_MGMT);
	CONST(SIO_NVME_FEAT_LBA_RANGE_TYPE, NVME_FEAT_FID_LBA_RANGE);
	CONST(SIO_NVME_FEAT_TEMPERATURE_THRESHOLD, NVME_FEAT_FID_TEMP_THRESH);
	CONST(SIO_NVME_FEAT_ERROR_RECOVERY, NVME_FEAT_FID_ERR_RECOVERY);
	CONST(SIO_NVME_FEAT_VOLATILE_WRITE_CACHE, NVME_FEAT_FID_VOLATILE_WC);
	CONST(SIO_NVME_FEAT_NUMBER_OF_QUEUES, NVME_FEAT_FID_NUM_QUEUES);
	CONST(SIO_NVME_FEAT_INTERRUPT_COALESCING, NVME_FEAT_FID_IRQ_COALESCE);
	CONST(SIO_NVME_FEAT_INTERRUPT_VECTOR_CONFIGURATION, NVME_FEAT_FID_IRQ_CONFIG);
	CONST(SIO_NVME_FEAT_WRITE_ATOMICITY, NVME_FEAT_FID_WRITE_ATOMIC);
	CONST(SIO_NVME_FEAT_ASYNC_EVENT_CONFIGURATION, NVME_FEAT_FID_ASYNC_EVENT);
	CONST(SIO_NVME_FEAT_AUTONOMOUS_POWER_STATE_TRANSITION, NVME_FEAT_FID_AUTO_PST);
	CONST(SIO_NVME_FEAT_HOST_MEM_BUFFER, NVME_FEAT_FID_HOST_MEM_BUF);
	CONST(SIO_NVME_FEAT_TIMESTAMP, NVME_FEAT_FID_TIMESTAMP);
	CONST(SIO_NVME_FEAT_KEEP_ALIVE_TIMER, NVME_FEAT_FID_KATO);
	CONST(SIO_NVME_FEAT_HOST_CONTROLLED_THERMAL_MANAGEMENT, NVME_FEAT_FID_HCTM);
	CONST(SIO_NVME_FEAT_NON_OPERATIONAL_POWER_STATE_CONFIG, NVME_FEAT_FID_NOPSC);
	CONST(SIO_NVME_FEAT_READ_RECOVERY_LEVEL_CONFIG, NVME_FEAT_FID_RRL);
	CONST(SIO_NVME_FEAT_PREDICTABLE_LATENCY_MODE_CONFIG, NVME_FEAT_FID_PLM_CONFIG);
	CONST(SIO_NVME_FEAT_PREDICTABLE_LATENCY_MODE_WINDOW, NVME_FEAT_FID_PLM_WINDOW);
	CONST(SIO_NVME_FEAT_HOST_BEHAVIOR_SUPPORT, NVME_FEAT_FID_HOST_BEHAVIOR);
	CONST(SIO_NVME_FEAT_SANITIZE_CONFIG, NVME_FEAT_FID_SANITIZE);
	CONST(SIO_NVME_FEAT_ENDURANCE_GROUP_EVENT, NVME_FEAT_FID_ENDURANCE_EVT_CFG);
	CONST(SIO_NVME_FEAT_IO_COMMAND_SET_PROFILE, NVME_FEAT_FID_IOCS_PROFILE);
	CONST(SIO_NVME_FEAT_SPINUP_CONTROL, NVME_FEAT_FID_SPINUP_CONTROL);
	CONST(SIO_NVME_FEAT_ENHANCED_CTRLR_METADATA, NVME_FEAT_FID_ENH_CTRL_METADATA);
	CONST(SIO_NVME_FEAT_CTRLR_METADATA, NVME_FEAT_FID_CTRL_METADATA);
	CONST(SIO_NVME_FEAT_NS_METADATA, NVME_FEAT_FID_NS_METADATA);
	CONST(SIO_NVME_FEAT_SOFTWARE_PROGRESS_MARKER, NVME_FEAT_FID_SW_PROGRESS);
	CONST(SIO_NVME_FEAT_HOST_IDENTIFIER, NVME_FEAT_FID_HOST_ID);
	CONST(SIO_NVME_FEAT_HOST_RESERVE_MASK, NVME_FEAT_FID_RESV_MASK);
	CONST(SIO_NVME_FEAT_HOST_RESERVE_PERSIST, NVME_FEAT_FID_RESV_PERSIST);
	CONST(SIO_NVME_FEAT_NS_WRITE_PROTECTION_CONFIG, NVME_FEAT_FID_WRITE_PROTECT);

	CONST(SIO_NVME_ASYNC_EVENT_TYPE_ERROR, NVME_AER_ERROR); CONST(SIO_NVME_ASYNC_EVENT_TYPE_SMART, NVME_AER_SMART);
	CONST(SIO_NVME_ASYNC_EVENT_TYPE_NOTICE, NVME_AER_NOTICE); CONST(SIO_NVME_ASYNC_EVENT_TYPE_IO, NVME_AER_CSS);
	CONST(SIO_NVME_ASYNC_EVENT_TYPE_VENDOR, NVME_AER_VS);
	CONST(SIO_NVME_ASYNC_EVENT_WRITE_INVALID_DB, NVME_AER_ERROR_INVALID_DB_REG);
	CONST(SIO_NVME_ASYNC_EVENT_INVALID_DB_WRITE, NVME_AER_ERROR_INVALID_DB_VAL);
	CONST(SIO_NVME_ASYNC_EVENT_DIAGNOSTIC_FAILURE, NVME_AER_ERROR_DIAG_FAILURE);
	CONST(SIO_NVME_ASYNC_EVENT_PERSISTENT_INTERNAL, NVME_AER_ERROR_PERSISTENT_INTERNAL_ERROR);
	CONST(SIO_NVME_ASYNC_EVENT_TRANSIENT_INTERNAL, NVME_AER_ERROR_TRANSIENT_INTERNAL_ERROR);
	CONST(SIO_NVME_ASYNC_EVENT_FW_IMAGE_LOAD, NVME_AER_ERROR_FW_IMAGE_LOAD_ERROR);
	CONST(SIO_NVME_ASYNC_EVENT_SUBSYSTEM_RELIABILITY, NVME_AER_SMART_SUBSYSTEM_RELIABILITY);
	CONST(SIO_NVME_ASYNC_EVENT_TEMPERATURE_THRESHOLD, NVME_AER_SMART_TEMPERATURE_THRESHOLD);
	CONST(SIO_NVME_ASYNC_EVENT_SPARE_BELOW_THRESHOLD, NVME_AER_SMART_SPARE_THRESHOLD);
	CONST(SIO_NVME_ASYNC_EVENT_NS_ATTR_CHANGED, NVME_AER_NOTICE_NS_CHANGED);
	CONST(SIO_NVME_ASYNC_EVENT_FW_ACTIVATION_START, NVME_AER_NOTICE_FW_ACT_STARTING);
	CONST(SIO_NVME_ASYNC_EVENT_TELEMETRY_LOG_CHANGED, NVME_AER_NOTICE_TELEMETRY);
	CONST(SIO_NVME_ASYNC_EVENT_ANA_CHANGE, NVME_AER_NOTICE_ANA);
	CONST(SIO_NVME_ASYNC_EVENT_PRED_LAT_AGGREGATE, NVME_AER_NOTICE_PL_EVENT);
	CONST(SIO_NVME_ASYNC_EVENT_LBA_STATUS_ALERT, NVME_AER_NOTICE_LBA_STATUS_ALERT);
	CONST(SIO_NVME_ASYNC_EVENT_ENDURANCE_AGGREGATE, NVME_AER_NOTICE_EG_EVENT);
	CONST(SIO_NVME_ASYNC_EVENT_DISCOVERY_LOG_CHANGE, NVME_AER_NOTICE_DISC_CHANGED);
	CONST(SIO_NVME_ASYNC_EVENT_RESERVATION_LOG_AVAIL, NVME_AER_CSS_NVM_RESERVATION);
	CONST(SIO_NVME_ASYNC_EVENT_SANITIZE_COMPLETED, NVME_AER_CSS_NVM_SANITIZE_COMPLETED);
	CONST(SIO_NVME_ASYNC_EVENT_SANITIZE_UNEXPECTED_DEALLOC, NVME_AER_CSS_NVM_UNEXPECTED_SANITIZE_DEALLOC);

	CONST(SIO_NVMF_TRTYPE_RDMA, NVMF_TRTYPE_RDMA); CONST(SIO_NVMF_TRTYPE_FC, NVMF_TRTYPE_FC);
	CONST(SIO_NVMF_TRTYPE_TCP, NVMF_TRTYPE_TCP); CONST(SIO_NVMF_TRTYPE_INTRA_HOST, NVMF_TRTYPE_LOOP);
	CONST(SIO_NVMF_ADRFAM_IPV4, NVMF_ADDR_FAMILY_IP4); CONST(SIO_NVMF_ADRFAM_IPV6, NVMF_ADDR_FAMILY_IP6);
	CONST(SIO_NVMF_ADRFAM_IB, NVMF_ADDR_FAMILY_IB); CONST(SIO_NVMF_ADRFAM_FC, NVMF_ADDR_FAMILY_FC);
	CONST(SIO_NVMF_ADRFAM_INTRA_HOST, NVMF_ADDR_FAMILY_LOOP);
	CONST(SIO_NVMF_SUBTYPE_DISCOVERY, NVME_NQN_DISC); CONST(SIO_NVMF_SUBTYPE_NVME, NVME_NQN_NVME);
	CONST(SIO_NVMF_SUBTYPE_DISCOVERY_CURRENT, NVME_NQN_CURR);
	CONST(SIO_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED, NVMF_TREQ_NOT_SPECIFIED);
	CONST(SIO_NVMF_TREQ_SECURE_CHANNEL_REQUIRED, NVMF_TREQ_REQUIRED);
	CONST(SIO_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED, NVMF_TREQ_NOT_REQUIRED);
	CONST(SIO_NVMF_TREQ_DISABLE_SQ_FLOW, NVMF_TREQ_DISABLE_SQFLOW);
	CONST(SIO_NVMF_DISC_EFLAGS_DUPRETINFO, NVMF_DISC_EFLAGS_DUPRETINFO);
	CONST(SIO_NVMF_DISC_EFLAGS_EPCSD, NVMF_DISC_EFLAGS_EPCSD);
	CONST(SIO_NVMF_DISC_EFLAGS_NCC, NVMF_DISC_EFLAGS_NCC);
	CONST(SIO_NVMF_TCP_SECTYPE_NONE, NVMF_TCP_SECTYPE_NONE); CONST(SIO_NVMF_TCP_SECTYPE_TLS12, NVMF_TCP_SECTYPE_TLS);
	CONST(SIO_NVMF_TCP_SECTYPE_TLS13, NVMF_TCP_SECTYPE_TLS13);
	CONST(SIO_NVMF_NQN_FIELD_LEN, NVME_NQN_LENGTH);
	CONST(SIO_NVME_DSM_ATTR_INTEGRAL_READ, NVME_DSMGMT_IDR); CONST(SIO_NVME_DSM_ATTR_INTEGRAL_WRITE, NVME_DSMGMT_IDW);
	CONST(SIO_NVME_DSM_ATTR_DEALLOCATE, NVME_DSMGMT_AD);
	assert_int_equal(g_mismatches, 0);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify_structures),
		cmocka_unit_test(test_log_structures),
		cmocka_unit_test(test_register_bits),
		cmocka_unit_test(test_status_codes),
		cmocka_unit_test(test_opcodes_and_ids),
	};

	return cmocka_run_group_tests_name("nvme_spec vs libnvme", tests, NULL, NULL);
}
#endif /* HAVE_LIBNVME_TYPES */
