/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names for NVMe status codes and opcodes, and the one mapping between an
 * NVMe status and an errno (docs/nvme.md, "Specification structures").
 *
 * The name tables are indexed by the code itself (256 entries of a pointer,
 * 2 KiB each), so a lookup is one load; the errno mapping is a short linear
 * table because it runs only for completions that failed (success is tested
 * first and never reaches the table).
 */
#include <errno.h>

#include "spdk_io/nvme_spec.h"

#define UNKNOWN "unknown"

/* SCT 0: generic command status (Base 2.0 Figure 96, NVM Command Set Figure 23). */
static const char *const g_generic_sc[256] = {
	[SIO_NVME_SC_SUCCESS] = "Successful Completion",
	[SIO_NVME_SC_INVALID_OPCODE] = "Invalid Command Opcode",
	[SIO_NVME_SC_INVALID_FIELD] = "Invalid Field in Command",
	[SIO_NVME_SC_COMMAND_ID_CONFLICT] = "Command ID Conflict",
	[SIO_NVME_SC_DATA_TRANSFER_ERROR] = "Data Transfer Error",
	[SIO_NVME_SC_ABORTED_POWER_LOSS] = "Commands Aborted due to Power Loss Notification",
	[SIO_NVME_SC_INTERNAL_DEVICE_ERROR] = "Internal Error",
	[SIO_NVME_SC_ABORTED_BY_REQUEST] = "Command Abort Requested",
	[SIO_NVME_SC_ABORTED_SQ_DELETION] = "Command Aborted due to SQ Deletion",
	[SIO_NVME_SC_ABORTED_FAILED_FUSED] = "Command Aborted due to Failed Fused Command",
	[SIO_NVME_SC_ABORTED_MISSING_FUSED] = "Command Aborted due to Missing Fused Command",
	[SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT] = "Invalid Namespace or Format",
	[SIO_NVME_SC_COMMAND_SEQUENCE_ERROR] = "Command Sequence Error",
	[SIO_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR] = "Invalid SGL Segment Descriptor",
	[SIO_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS] = "Invalid Number of SGL Descriptors",
	[SIO_NVME_SC_DATA_SGL_LENGTH_INVALID] = "Data SGL Length Invalid",
	[SIO_NVME_SC_METADATA_SGL_LENGTH_INVALID] = "Metadata SGL Length Invalid",
	[SIO_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID] = "SGL Descriptor Type Invalid",
	[SIO_NVME_SC_INVALID_CONTROLLER_MEM_BUF] = "Invalid Use of Controller Memory Buffer",
	[SIO_NVME_SC_INVALID_PRP_OFFSET] = "PRP Offset Invalid",
	[SIO_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED] = "Atomic Write Unit Exceeded",
	[SIO_NVME_SC_OPERATION_DENIED] = "Operation Denied",
	[SIO_NVME_SC_INVALID_SGL_OFFSET] = "SGL Offset Invalid",
	[SIO_NVME_SC_HOSTID_INCONSISTENT_FORMAT] = "Host Identifier Inconsistent Format",
	[SIO_NVME_SC_KEEP_ALIVE_EXPIRED] = "Keep Alive Timer Expired",
	[SIO_NVME_SC_KEEP_ALIVE_INVALID] = "Keep Alive Timeout Invalid",
	[SIO_NVME_SC_ABORTED_PREEMPT] = "Command Aborted due to Preempt and Abort",
	[SIO_NVME_SC_SANITIZE_FAILED] = "Sanitize Failed",
	[SIO_NVME_SC_SANITIZE_IN_PROGRESS] = "Sanitize In Progress",
	[SIO_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID] = "SGL Data Block Granularity Invalid",
	[SIO_NVME_SC_COMMAND_INVALID_IN_CMB] = "Command Not Supported for Queue in CMB",
	[SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED] = "Namespace is Write Protected",
	[SIO_NVME_SC_COMMAND_INTERRUPTED] = "Command Interrupted",
	[SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR] = "Transient Transport Error",
	[SIO_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN] = "Command Prohibited by Command and Feature Lockdown",
	[SIO_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY] = "Admin Command Media Not Ready",
	[SIO_NVME_SC_LBA_OUT_OF_RANGE] = "LBA Out of Range",
	[SIO_NVME_SC_CAPACITY_EXCEEDED] = "Capacity Exceeded",
	[SIO_NVME_SC_NAMESPACE_NOT_READY] = "Namespace Not Ready",
	[SIO_NVME_SC_RESERVATION_CONFLICT] = "Reservation Conflict",
	[SIO_NVME_SC_FORMAT_IN_PROGRESS] = "Format In Progress",
};

/*
 * SCT 1: command specific status. 80h-85h depend on the command (Fabrics or
 * NVM); this context-free table names both where both exist.
 */
static const char *const g_cmd_specific_sc[256] = {
	[SIO_NVME_SC_COMPLETION_QUEUE_INVALID] = "Completion Queue Invalid",
	[SIO_NVME_SC_INVALID_QUEUE_IDENTIFIER] = "Invalid Queue Identifier",
	[SIO_NVME_SC_INVALID_QUEUE_SIZE] = "Invalid Queue Size",
	[SIO_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED] = "Abort Command Limit Exceeded",
	[SIO_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED] = "Asynchronous Event Request Limit Exceeded",
	[SIO_NVME_SC_INVALID_FIRMWARE_SLOT] = "Invalid Firmware Slot",
	[SIO_NVME_SC_INVALID_FIRMWARE_IMAGE] = "Invalid Firmware Image",
	[SIO_NVME_SC_INVALID_INTERRUPT_VECTOR] = "Invalid Interrupt Vector",
	[SIO_NVME_SC_INVALID_LOG_PAGE] = "Invalid Log Page",
	[SIO_NVME_SC_INVALID_FORMAT] = "Invalid Format",
	[SIO_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET] = "Firmware Activation Requires Conventional Reset",
	[SIO_NVME_SC_INVALID_QUEUE_DELETION] = "Invalid Queue Deletion",
	[SIO_NVME_SC_FEATURE_ID_NOT_SAVEABLE] = "Feature Identifier Not Saveable",
	[SIO_NVME_SC_FEATURE_NOT_CHANGEABLE] = "Feature Not Changeable",
	[SIO_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC] = "Feature Not Namespace Specific",
	[SIO_NVME_SC_FIRMWARE_REQ_NVM_RESET] = "Firmware Activation Requires NVM Subsystem Reset",
	[SIO_NVME_SC_FIRMWARE_REQ_RESET] = "Firmware Activation Requires Controller Level Reset",
	[SIO_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION] = "Firmware Activation Requires Maximum Time Violation",
	[SIO_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED] = "Firmware Activation Prohibited",
	[SIO_NVME_SC_OVERLAPPING_RANGE] = "Overlapping Range",
	[SIO_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY] = "Namespace Insufficient Capacity",
	[SIO_NVME_SC_NAMESPACE_ID_UNAVAILABLE] = "Namespace Identifier Unavailable",
	[SIO_NVME_SC_NAMESPACE_ALREADY_ATTACHED] = "Namespace Already Attached",
	[SIO_NVME_SC_NAMESPACE_IS_PRIVATE] = "Namespace Is Private",
	[SIO_NVME_SC_NAMESPACE_NOT_ATTACHED] = "Namespace Not Attached",
	[SIO_NVME_SC_THINPROVISIONING_NOT_SUPPORTED] = "Thin Provisioning Not Supported",
	[SIO_NVME_SC_CONTROLLER_LIST_INVALID] = "Controller List Invalid",
	[SIO_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS] = "Device Self-test In Progress",
	[SIO_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED] = "Boot Partition Write Prohibited",
	[SIO_NVME_SC_INVALID_CTRLR_ID] = "Invalid Controller Identifier",
	[SIO_NVME_SC_INVALID_SECONDARY_CTRLR_STATE] = "Invalid Secondary Controller State",
	[SIO_NVME_SC_INVALID_NUM_CTRLR_RESOURCES] = "Invalid Number of Controller Resources",
	[SIO_NVME_SC_INVALID_RESOURCE_ID] = "Invalid Resource Identifier",
	[SIO_NVME_SC_SANITIZE_PROHIBITED_WITH_PMR] = "Sanitize Prohibited While Persistent Memory Region is Enabled",
	[SIO_NVME_SC_ANA_GROUP_ID_INVALID] = "ANA Group Identifier Invalid",
	[SIO_NVME_SC_ANA_ATTACH_FAILED] = "ANA Attach Failed",
	[SIO_NVME_SC_INSUFFICIENT_CAPACITY] = "Insufficient Capacity",
	[SIO_NVME_SC_NAMESPACE_ATTACH_LIMIT_EXCEEDED] = "Namespace Attachment Limit Exceeded",
	[SIO_NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED] = "Prohibition of Command Execution Not Supported",
	[SIO_NVME_SC_IOCS_NOT_SUPPORTED] = "I/O Command Set Not Supported",
	[SIO_NVME_SC_IOCS_NOT_ENABLED] = "I/O Command Set Not Enabled",
	[SIO_NVME_SC_IOCS_COMBINATION_REJECTED] = "I/O Command Set Combination Rejected",
	[SIO_NVME_SC_INVALID_IOCS] = "Invalid I/O Command Set",
	[SIO_NVME_SC_IDENTIFIER_UNAVAILABLE] = "Identifier Unavailable",
	[0x80] = "Connect Incompatible Format / Conflicting Attributes",
	[0x81] = "Connect Controller Busy / Invalid Protection Information",
	[0x82] = "Connect Invalid Parameters / Attempted Write to Read Only Range",
	[0x83] = "Connect Restart Discovery / Command Size Limit Exceeded",
	[SIO_NVMF_SC_CONNECT_INVALID_HOST] = "Connect Invalid Host",
	[SIO_NVMF_SC_INVALID_QUEUE_TYPE] = "Invalid Queue Type",
	[SIO_NVMF_SC_DISCOVER_RESTART] = "Discover Restart",
	[SIO_NVMF_SC_AUTH_REQUIRED] = "Authentication Required",
	[SIO_NVME_SC_ZONE_BOUNDARY_ERROR] = "Zoned Boundary Error",
	[SIO_NVME_SC_ZONE_IS_FULL] = "Zone Is Full",
	[SIO_NVME_SC_ZONE_IS_READ_ONLY] = "Zone Is Read Only",
	[SIO_NVME_SC_ZONE_IS_OFFLINE] = "Zone Is Offline",
	[SIO_NVME_SC_ZONE_INVALID_WRITE] = "Zone Invalid Write",
	[SIO_NVME_SC_TOO_MANY_ACTIVE_ZONES] = "Too Many Active Zones",
	[SIO_NVME_SC_TOO_MANY_OPEN_ZONES] = "Too Many Open Zones",
	[SIO_NVME_SC_INVALID_ZONE_STATE_TRANSITION] = "Invalid Zone State Transition",
};

/* The command-dependent range 80h-85h, for a Fabrics command and for an NVM command. */
#define CMD_DEPENDENT_FIRST 0x80
#define CMD_DEPENDENT_LAST 0x85
static const char *const g_fabrics_sc[] = {
	"Connect Incompatible Format",
	"Connect Controller Busy",
	"Connect Invalid Parameters",
	"Connect Restart Discovery",
	"Connect Invalid Host",
	"Invalid Queue Type",
};
static const char *const g_nvm_sc[] = {
	"Conflicting Attributes",
	"Invalid Protection Information",
	"Attempted Write to Read Only Range",
	"Command Size Limit Exceeded",
	NULL,
	NULL,
};
_Static_assert(sizeof(g_fabrics_sc) / sizeof(g_fabrics_sc[0]) == CMD_DEPENDENT_LAST - CMD_DEPENDENT_FIRST + 1,
	"one Fabrics name per command-dependent code");
_Static_assert(sizeof(g_nvm_sc) / sizeof(g_nvm_sc[0]) == CMD_DEPENDENT_LAST - CMD_DEPENDENT_FIRST + 1,
	"one NVM slot per command-dependent code");

/* SCT 2: media and data integrity errors. */
static const char *const g_media_sc[256] = {
	[SIO_NVME_SC_WRITE_FAULTS] = "Write Fault",
	[SIO_NVME_SC_UNRECOVERED_READ_ERROR] = "Unrecovered Read Error",
	[SIO_NVME_SC_GUARD_CHECK_ERROR] = "End-to-end Guard Check Error",
	[SIO_NVME_SC_APPLICATION_TAG_CHECK_ERROR] = "End-to-end Application Tag Check Error",
	[SIO_NVME_SC_REFERENCE_TAG_CHECK_ERROR] = "End-to-end Reference Tag Check Error",
	[SIO_NVME_SC_COMPARE_FAILURE] = "Compare Failure",
	[SIO_NVME_SC_ACCESS_DENIED] = "Access Denied",
	[SIO_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK] = "Deallocated or Unwritten Logical Block",
	[SIO_NVME_SC_STORAGE_TAG_CHECK_ERROR] = "End-to-end Storage Tag Check Error",
};

/* SCT 3: path related status. */
static const char *const g_path_sc[256] = {
	[SIO_NVME_SC_INTERNAL_PATH_ERROR] = "Internal Path Error",
	[SIO_NVME_SC_ANA_PERSISTENT_LOSS] = "Asymmetric Access Persistent Loss",
	[SIO_NVME_SC_ANA_INACCESSIBLE] = "Asymmetric Access Inaccessible",
	[SIO_NVME_SC_ANA_TRANSITION] = "Asymmetric Access Transition",
	[SIO_NVME_SC_CTRLR_PATH_ERROR] = "Controller Pathing Error",
	[SIO_NVME_SC_HOST_PATH_ERROR] = "Host Pathing Error",
	[SIO_NVME_SC_ABORTED_BY_HOST] = "Command Aborted By Host",
};

static const char *name_or_unknown(const char *name)
{
	return name != NULL ? name : UNKNOWN;
}

const char *sio_nvme_status_string(uint8_t sct, uint8_t sc)
{
	switch (sct) {
	case SIO_NVME_SCT_GENERIC:
		return name_or_unknown(g_generic_sc[sc]);
	case SIO_NVME_SCT_COMMAND_SPECIFIC:
		return name_or_unknown(g_cmd_specific_sc[sc]);
	case SIO_NVME_SCT_MEDIA_ERROR:
		return name_or_unknown(g_media_sc[sc]);
	case SIO_NVME_SCT_PATH:
		return name_or_unknown(g_path_sc[sc]);
	case SIO_NVME_SCT_VENDOR_SPECIFIC:
		return "Vendor Specific";
	default:
		return UNKNOWN;
	}
}

const char *sio_nvme_cmd_status_string(uint8_t opc, uint8_t sct, uint8_t sc)
{
	if (sct == SIO_NVME_SCT_COMMAND_SPECIFIC && sc >= CMD_DEPENDENT_FIRST && sc <= CMD_DEPENDENT_LAST) {
		if (opc == SIO_NVME_OPC_FABRICS)
			return g_fabrics_sc[sc - CMD_DEPENDENT_FIRST];
		return name_or_unknown(g_nvm_sc[sc - CMD_DEPENDENT_FIRST]);
	}
	return sio_nvme_status_string(sct, sc);
}

const char *sio_nvme_sct_string(uint8_t sct)
{
	switch (sct) {
	case SIO_NVME_SCT_GENERIC:
		return "Generic Command Status";
	case SIO_NVME_SCT_COMMAND_SPECIFIC:
		return "Command Specific Status";
	case SIO_NVME_SCT_MEDIA_ERROR:
		return "Media and Data Integrity Errors";
	case SIO_NVME_SCT_PATH:
		return "Path Related Status";
	case SIO_NVME_SCT_VENDOR_SPECIFIC:
		return "Vendor Specific";
	default:
		return UNKNOWN;
	}
}

static const char *const g_admin_opc[256] = {
	[SIO_NVME_OPC_DELETE_IO_SQ] = "Delete I/O Submission Queue",
	[SIO_NVME_OPC_CREATE_IO_SQ] = "Create I/O Submission Queue",
	[SIO_NVME_OPC_GET_LOG_PAGE] = "Get Log Page",
	[SIO_NVME_OPC_DELETE_IO_CQ] = "Delete I/O Completion Queue",
	[SIO_NVME_OPC_CREATE_IO_CQ] = "Create I/O Completion Queue",
	[SIO_NVME_OPC_IDENTIFY] = "Identify",
	[SIO_NVME_OPC_ABORT] = "Abort",
	[SIO_NVME_OPC_SET_FEATURES] = "Set Features",
	[SIO_NVME_OPC_GET_FEATURES] = "Get Features",
	[SIO_NVME_OPC_ASYNC_EVENT_REQUEST] = "Asynchronous Event Request",
	[SIO_NVME_OPC_NS_MANAGEMENT] = "Namespace Management",
	[SIO_NVME_OPC_FIRMWARE_COMMIT] = "Firmware Commit",
	[SIO_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD] = "Firmware Image Download",
	[SIO_NVME_OPC_DEVICE_SELF_TEST] = "Device Self-test",
	[SIO_NVME_OPC_NS_ATTACHMENT] = "Namespace Attachment",
	[SIO_NVME_OPC_KEEP_ALIVE] = "Keep Alive",
	[SIO_NVME_OPC_DIRECTIVE_SEND] = "Directive Send",
	[SIO_NVME_OPC_DIRECTIVE_RECEIVE] = "Directive Receive",
	[SIO_NVME_OPC_VIRTUALIZATION_MANAGEMENT] = "Virtualization Management",
	[SIO_NVME_OPC_NVME_MI_SEND] = "NVMe-MI Send",
	[SIO_NVME_OPC_NVME_MI_RECEIVE] = "NVMe-MI Receive",
	[SIO_NVME_OPC_CAPACITY_MANAGEMENT] = "Capacity Management",
	[SIO_NVME_OPC_LOCKDOWN] = "Lockdown",
	[SIO_NVME_OPC_DOORBELL_BUFFER_CONFIG] = "Doorbell Buffer Config",
	[SIO_NVME_OPC_FABRICS] = "Fabrics",
	[SIO_NVME_OPC_FORMAT_NVM] = "Format NVM",
	[SIO_NVME_OPC_SECURITY_SEND] = "Security Send",
	[SIO_NVME_OPC_SECURITY_RECEIVE] = "Security Receive",
	[SIO_NVME_OPC_SANITIZE] = "Sanitize",
	[SIO_NVME_OPC_GET_LBA_STATUS] = "Get LBA Status",
};

static const char *const g_nvm_opc[256] = {
	[SIO_NVME_OPC_FLUSH] = "Flush",
	[SIO_NVME_OPC_WRITE] = "Write",
	[SIO_NVME_OPC_READ] = "Read",
	[SIO_NVME_OPC_WRITE_UNCORRECTABLE] = "Write Uncorrectable",
	[SIO_NVME_OPC_COMPARE] = "Compare",
	[SIO_NVME_OPC_WRITE_ZEROES] = "Write Zeroes",
	[SIO_NVME_OPC_DATASET_MANAGEMENT] = "Dataset Management",
	[SIO_NVME_OPC_VERIFY] = "Verify",
	[SIO_NVME_OPC_RESERVATION_REGISTER] = "Reservation Register",
	[SIO_NVME_OPC_RESERVATION_REPORT] = "Reservation Report",
	[SIO_NVME_OPC_RESERVATION_ACQUIRE] = "Reservation Acquire",
	[SIO_NVME_OPC_RESERVATION_RELEASE] = "Reservation Release",
	[SIO_NVME_OPC_COPY] = "Copy",
	[SIO_NVME_OPC_ZONE_MGMT_SEND] = "Zone Management Send",
	[SIO_NVME_OPC_ZONE_MGMT_RECV] = "Zone Management Receive",
	[SIO_NVME_OPC_FABRICS] = "Fabrics",
	[SIO_NVME_OPC_ZONE_APPEND] = "Zone Append",
};

const char *sio_nvme_opcode_string(bool admin, uint8_t opc)
{
	return name_or_unknown(admin ? g_admin_opc[opc] : g_nvm_opc[opc]);
}

const char *sio_nvmf_fctype_string(uint8_t fctype)
{
	switch (fctype) {
	case SIO_NVMF_FCTYPE_PROPERTY_SET:
		return "Property Set";
	case SIO_NVMF_FCTYPE_CONNECT:
		return "Connect";
	case SIO_NVMF_FCTYPE_PROPERTY_GET:
		return "Property Get";
	case SIO_NVMF_FCTYPE_AUTH_SEND:
		return "Authentication Send";
	case SIO_NVMF_FCTYPE_AUTH_RECV:
		return "Authentication Receive";
	case SIO_NVMF_FCTYPE_DISCONNECT:
		return "Disconnect";
	default:
		return UNKNOWN;
	}
}

/*
 * The status <-> errno table (docs/nvme.md has it as prose). Each row says
 * which directions use it:
 *   TO_ERRNO    sio_nvme_status_to_errno() maps the status to the errno;
 *   FROM_ERRNO  sio_nvme_status_from_errno() maps the errno to the status.
 * A row with both is a canonical pair and round-trips. Statuses missing from
 * the table take their type's default (status_default_errno()); errnos
 * missing take Internal Error.
 *
 * Rule kept by the table (and checked by tests/nvme/test_nvme_spec.c): every
 * errno a status maps to has a FROM_ERRNO row whose status maps back to that
 * same errno, so a target that passes an errno from a host driver on to its
 * own host keeps the meaning. The one exception is -ETIMEDOUT: it comes from
 * Keep Alive Timer Expired, but a target whose backend timed out must not
 * tell its host that the host's keep-alive expired, so it answers Command
 * Interrupted (retry) instead.
 */
enum { TO_ERRNO = 1, FROM_ERRNO = 2, BOTH = TO_ERRNO | FROM_ERRNO };

struct status_errno {
	uint8_t sct;
	uint8_t sc;
	uint8_t dir;
	int err; /* positive errno value; the API negates it */
};

#define G SIO_NVME_SCT_GENERIC
#define C SIO_NVME_SCT_COMMAND_SPECIFIC
#define M SIO_NVME_SCT_MEDIA_ERROR
#define P SIO_NVME_SCT_PATH
static const struct status_errno g_status_errno[] = {
	/* generic */
	{ G, SIO_NVME_SC_INVALID_OPCODE, BOTH, EOPNOTSUPP },
	{ G, SIO_NVME_SC_INVALID_OPCODE, FROM_ERRNO, ENOSYS },
	{ G, SIO_NVME_SC_INVALID_FIELD, BOTH, EINVAL },
	{ G, SIO_NVME_SC_COMMAND_ID_CONFLICT, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_DATA_TRANSFER_ERROR, TO_ERRNO, EIO },
	{ G, SIO_NVME_SC_ABORTED_POWER_LOSS, TO_ERRNO, ECANCELED },
	{ G, SIO_NVME_SC_INTERNAL_DEVICE_ERROR, BOTH, EIO },
	{ G, SIO_NVME_SC_ABORTED_BY_REQUEST, BOTH, ECANCELED },
	{ G, SIO_NVME_SC_ABORTED_SQ_DELETION, TO_ERRNO, ECANCELED },
	{ G, SIO_NVME_SC_ABORTED_FAILED_FUSED, TO_ERRNO, ECANCELED },
	{ G, SIO_NVME_SC_ABORTED_MISSING_FUSED, TO_ERRNO, ECANCELED },
	{ G, SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, BOTH, ENODEV },
	{ G, SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT, FROM_ERRNO, ENXIO },
	{ G, SIO_NVME_SC_COMMAND_SEQUENCE_ERROR, BOTH, EPROTO },
	{ G, SIO_NVME_SC_DATA_SGL_LENGTH_INVALID, BOTH, EMSGSIZE },
	/* malformed commands: the host's parameters are wrong */
	{ G, SIO_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_METADATA_SGL_LENGTH_INVALID, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_INVALID_CONTROLLER_MEM_BUF, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_INVALID_PRP_OFFSET, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_INVALID_SGL_OFFSET, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_HOSTID_INCONSISTENT_FORMAT, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_KEEP_ALIVE_INVALID, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID, TO_ERRNO, EINVAL },
	{ G, SIO_NVME_SC_OPERATION_DENIED, BOTH, EPERM },
	{ G, SIO_NVME_SC_KEEP_ALIVE_EXPIRED, TO_ERRNO, ETIMEDOUT },
	{ G, SIO_NVME_SC_ABORTED_PREEMPT, TO_ERRNO, ECANCELED },
	{ G, SIO_NVME_SC_SANITIZE_IN_PROGRESS, TO_ERRNO, EAGAIN },
	{ G, SIO_NVME_SC_COMMAND_INVALID_IN_CMB, TO_ERRNO, EOPNOTSUPP },
	{ G, SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED, BOTH, EROFS },
	{ G, SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED, FROM_ERRNO, EBADF },
	{ G, SIO_NVME_SC_COMMAND_INTERRUPTED, BOTH, EAGAIN },
	{ G, SIO_NVME_SC_COMMAND_INTERRUPTED, FROM_ERRNO, ENOMEM },
	{ G, SIO_NVME_SC_COMMAND_INTERRUPTED, FROM_ERRNO, EBUSY },
	{ G, SIO_NVME_SC_COMMAND_INTERRUPTED, FROM_ERRNO, EINTR },
	{ G, SIO_NVME_SC_COMMAND_INTERRUPTED, FROM_ERRNO, ETIMEDOUT },
	{ G, SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR, TO_ERRNO, EAGAIN },
	{ G, SIO_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN, TO_ERRNO, EPERM },
	{ G, SIO_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY, TO_ERRNO, EAGAIN },
	{ G, SIO_NVME_SC_LBA_OUT_OF_RANGE, BOTH, ERANGE },
	{ G, SIO_NVME_SC_CAPACITY_EXCEEDED, BOTH, ENOSPC },
	{ G, SIO_NVME_SC_NAMESPACE_NOT_READY, TO_ERRNO, EAGAIN },
	{ G, SIO_NVME_SC_RESERVATION_CONFLICT, BOTH, EBADE },
	{ G, SIO_NVME_SC_FORMAT_IN_PROGRESS, TO_ERRNO, EAGAIN },
	/* command specific (the rest: EINVAL) */
	{ C, SIO_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY, TO_ERRNO, ENOSPC },
	{ C, SIO_NVME_SC_INSUFFICIENT_CAPACITY, TO_ERRNO, ENOSPC },
	{ C, SIO_NVME_SC_NAMESPACE_NOT_ATTACHED, TO_ERRNO, ENODEV },
	{ C, SIO_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS, TO_ERRNO, EAGAIN },
	{ C, SIO_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED, TO_ERRNO, EPERM },
	{ C, SIO_NVMF_SC_CONNECT_INVALID_HOST, TO_ERRNO, EACCES },
	{ C, SIO_NVMF_SC_DISCOVER_RESTART, TO_ERRNO, EAGAIN },
	{ C, SIO_NVMF_SC_AUTH_REQUIRED, TO_ERRNO, EACCES },
	{ C, SIO_NVME_SC_ZONE_IS_FULL, TO_ERRNO, ENOSPC },
	{ C, SIO_NVME_SC_ZONE_IS_READ_ONLY, TO_ERRNO, EROFS },
	{ C, SIO_NVME_SC_ZONE_IS_OFFLINE, TO_ERRNO, EIO },
	/* media and data integrity (the rest: EIO) */
	{ M, SIO_NVME_SC_GUARD_CHECK_ERROR, BOTH, EBADMSG },
	{ M, SIO_NVME_SC_APPLICATION_TAG_CHECK_ERROR, TO_ERRNO, EBADMSG },
	{ M, SIO_NVME_SC_REFERENCE_TAG_CHECK_ERROR, TO_ERRNO, EBADMSG },
	{ M, SIO_NVME_SC_STORAGE_TAG_CHECK_ERROR, TO_ERRNO, EBADMSG },
	{ M, SIO_NVME_SC_COMPARE_FAILURE, BOTH, EILSEQ },
	{ M, SIO_NVME_SC_ACCESS_DENIED, BOTH, EACCES },
	{ M, SIO_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK, BOTH, ENODATA },
	/* path related (the rest: ENOLINK) */
	{ P, SIO_NVME_SC_ANA_TRANSITION, TO_ERRNO, EAGAIN },
	{ P, SIO_NVME_SC_HOST_PATH_ERROR, BOTH, ENOLINK },
	{ P, SIO_NVME_SC_ABORTED_BY_HOST, TO_ERRNO, ECANCELED },
	{ P, SIO_NVME_SC_CTRLR_PATH_ERROR, FROM_ERRNO, ECONNRESET },
	{ P, SIO_NVME_SC_CTRLR_PATH_ERROR, FROM_ERRNO, ECONNABORTED },
	{ P, SIO_NVME_SC_CTRLR_PATH_ERROR, FROM_ERRNO, ECONNREFUSED },
	{ P, SIO_NVME_SC_CTRLR_PATH_ERROR, FROM_ERRNO, ENOTCONN },
	{ P, SIO_NVME_SC_CTRLR_PATH_ERROR, FROM_ERRNO, EPIPE },
	{ P, SIO_NVME_SC_CTRLR_PATH_ERROR, FROM_ERRNO, ESHUTDOWN },
};
#undef G
#undef C
#undef M
#undef P

static int status_default_errno(uint8_t sct)
{
	switch (sct) {
	case SIO_NVME_SCT_COMMAND_SPECIFIC:
		/* A command specific failure is the host asking for something the
		 * controller cannot do with these parameters. */
		return EINVAL;
	case SIO_NVME_SCT_PATH:
		return ENOLINK;
	default:
		/* Generic codes not in the table, media errors, vendor specific
		 * and reserved types: the device failed the I/O. */
		return EIO;
	}
}

int sio_nvme_status_to_errno(uint8_t sct, uint8_t sc)
{
	size_t i;

	if (sct == SIO_NVME_SCT_GENERIC && sc == SIO_NVME_SC_SUCCESS)
		return 0;
	for (i = 0; i < sizeof(g_status_errno) / sizeof(g_status_errno[0]); i++) {
		const struct status_errno *e = &g_status_errno[i];

		if ((e->dir & TO_ERRNO) && e->sct == sct && e->sc == sc)
			return -e->err;
	}
	return -status_default_errno(sct);
}

/* Statuses after which the same command may succeed: DNR stays clear. */
static bool status_is_retryable(uint8_t sct, uint8_t sc)
{
	if (sct == SIO_NVME_SCT_GENERIC)
		return sc == SIO_NVME_SC_COMMAND_INTERRUPTED || sc == SIO_NVME_SC_NAMESPACE_NOT_READY ||
		       sc == SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR;
	if (sct == SIO_NVME_SCT_PATH)
		return sc == SIO_NVME_SC_ANA_TRANSITION || sc == SIO_NVME_SC_CTRLR_PATH_ERROR ||
		       sc == SIO_NVME_SC_HOST_PATH_ERROR;
	return false;
}

union sio_nvme_status sio_nvme_status_from_errno(int err)
{
	union sio_nvme_status st = { .raw = 0 };
	uint8_t sct = SIO_NVME_SCT_GENERIC, sc = SIO_NVME_SC_INTERNAL_DEVICE_ERROR;
	size_t i;

	if (err == 0)
		return st;
	for (i = 0; i < sizeof(g_status_errno) / sizeof(g_status_errno[0]); i++) {
		const struct status_errno *e = &g_status_errno[i];

		if ((e->dir & FROM_ERRNO) && (e->err == err || -e->err == err)) {
			sct = e->sct;
			sc = e->sc;
			break;
		}
	}
	st.sct = sct;
	st.sc = sc;
	st.dnr = !status_is_retryable(sct, sc);
	return st;
}
