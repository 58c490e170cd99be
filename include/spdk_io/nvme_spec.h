/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file nvme_spec.h
 * NVMe wire structures and constants: the NVM Express Base Specification 2.0,
 * the NVM Command Set Specification 1.0, NVMe over Fabrics 1.1 and the
 * NVMe/TCP transport binding, as plain C.
 *
 * Every structure here IS the wire (or register, or log page) layout on a
 * little-endian host: fields are named after the specification's field
 * abbreviations in lower case, multi-byte fields are little-endian as on the
 * wire, and every size and field offset is pinned by a _Static_assert to the
 * number in the specification. The library builds only on little-endian
 * hosts (an #error below), so no byte swapping happens anywhere; code that
 * someday supports big-endian hosts converts at the transport boundary only.
 *
 * Bit fields (`uint32_t en : 1`) follow the GCC/Clang little-endian ABI, in
 * which the first declared field takes the least significant bits; each such
 * structure is wrapped in a union with its raw integer so code may use either.
 *
 * Naming: SIO_NVME_ for the base and NVM command set, SIO_NVMF_ for Fabrics.
 * The helpers declared at the end (status and opcode names, the status <->
 * errno mapping) live in src/nvme/spec/; everything else is header-only.
 */
#ifndef SPDK_IO_NVME_SPEC_H
#define SPDK_IO_NVME_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nvme_spec.h: the structures are the wire layout of a little-endian host only"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Pin a structure's size to the specification's number. */
#define SIO_NVME_STATIC_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " is " #size " bytes in the specification")
/** Pin a field's byte offset to the specification's number. */
#define SIO_NVME_STATIC_OFFSET(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " is at byte " #off)

/* ------------------------------------------------------------------------- */
/* SGL descriptors (Base 2.0 section 4.1.2)                                  */
/* ------------------------------------------------------------------------- */

/** SGL descriptor types: the high nibble of byte 15 (Base 2.0 Figure 119). */
enum sio_nvme_sgl_type {
	SIO_NVME_SGL_TYPE_DATA_BLOCK = 0x0,           /**< a contiguous data buffer */
	SIO_NVME_SGL_TYPE_BIT_BUCKET = 0x1,           /**< data to discard (reads only) */
	SIO_NVME_SGL_TYPE_SEGMENT = 0x2,              /**< points at the next SGL segment */
	SIO_NVME_SGL_TYPE_LAST_SEGMENT = 0x3,         /**< points at the last SGL segment */
	SIO_NVME_SGL_TYPE_KEYED_DATA_BLOCK = 0x4,     /**< data buffer with a remote key (RDMA) */
	SIO_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK = 0x5, /**< data the transport moves (NVMe/TCP H2CData/C2HData) */
	SIO_NVME_SGL_TYPE_VENDOR_SPECIFIC = 0xf,      /**< vendor specific */
};

/** SGL descriptor subtypes: the low nibble of byte 15 (Base 2.0 Figure 120). */
enum sio_nvme_sgl_subtype {
	SIO_NVME_SGL_SUBTYPE_ADDRESS = 0x0,            /**< address is a memory address */
	SIO_NVME_SGL_SUBTYPE_OFFSET = 0x1,             /**< address is an offset into the capsule's in-capsule data */
	SIO_NVME_SGL_SUBTYPE_TRANSPORT_SPECIFIC = 0xa, /**< the transport defines address (NVMe/TCP: 0, data via PDUs) */
	SIO_NVME_SGL_SUBTYPE_INVALIDATE_KEY = 0xf,     /**< keyed data block: invalidate the key after use (RDMA) */
};

/** Byte 15 of an SGL descriptor from its type and subtype. */
#define SIO_NVME_SGL_ID(type, subtype) ((uint8_t)(((type) << 4) | (subtype)))
/**
 * NVMe/TCP, data in the capsule (Base 2.0 / NVMe/TCP 1.0 section 3.3.2): a
 * Data Block descriptor with subtype Offset; address = offset into the
 * in-capsule data (0 for TCP), length = data length.
 */
#define SIO_NVME_SGL_ID_TCP_INCAPSULE \
	SIO_NVME_SGL_ID(SIO_NVME_SGL_TYPE_DATA_BLOCK, SIO_NVME_SGL_SUBTYPE_OFFSET)
/**
 * NVMe/TCP, data transferred by H2CData/C2HData PDUs: a Transport SGL Data
 * Block with subtype Transport Specific; address 0, length = data length.
 */
#define SIO_NVME_SGL_ID_TCP_TRANSPORT \
	SIO_NVME_SGL_ID(SIO_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK, SIO_NVME_SGL_SUBTYPE_TRANSPORT_SPECIFIC)

/**
 * struct sio_nvme_sgl_desc - One 16-byte SGL descriptor (Base 2.0 Figure 117).
 *
 * @address: bytes 0-7: memory address, or an offset (subtype Offset), or 0.
 * @unkeyed: Data Block, Bit Bucket, Segment, Last Segment and Transport Data
 *	Block forms: @unkeyed.length (bytes 8-11) is the length in bytes.
 * @keyed: Keyed Data Block form: 24-bit @keyed.length (bytes 8-10) and a
 *	32-bit @keyed.key (bytes 11-14).
 * @generic: byte 15 split as @generic.subtype (low nibble), @generic.type
 *	(high nibble); @id is the same byte whole (SIO_NVME_SGL_ID()).
 */
struct sio_nvme_sgl_desc {
	uint64_t address;
	union {
		struct {
			uint8_t reserved[7];
			uint8_t subtype : 4;
			uint8_t type : 4;
		} generic;
		struct {
			uint32_t length;
			uint8_t reserved[3];
			uint8_t id;
		} unkeyed;
		struct {
			uint64_t length : 24;
			uint64_t key : 32;
			uint64_t subtype : 4;
			uint64_t type : 4;
		} keyed;
	};
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_sgl_desc, 16);

/* ------------------------------------------------------------------------- */
/* Submission and completion queue entries (Base 2.0 section 4.2, 4.6)       */
/* ------------------------------------------------------------------------- */

/** Fused operation, CDW0 bits 9:8 (Base 2.0 Figure 88). */
enum sio_nvme_fuse {
	SIO_NVME_FUSE_NORMAL = 0x0, /**< not fused */
	SIO_NVME_FUSE_FIRST = 0x1,  /**< first command of a fused pair (Compare of Compare and Write) */
	SIO_NVME_FUSE_SECOND = 0x2, /**< second command of a fused pair */
};

/** PRP or SGL for data transfer, CDW0 bits 15:14 (Base 2.0 Figure 88). */
enum sio_nvme_psdt {
	SIO_NVME_PSDT_PRP = 0x0,          /**< PRPs (PCIe only) */
	SIO_NVME_PSDT_SGL_MPTR_CONTIG = 0x1, /**< SGLs; MPTR is the address of a contiguous metadata buffer */
	SIO_NVME_PSDT_SGL_MPTR_SGL = 0x2,    /**< SGLs; MPTR is the address of a metadata SGL segment */
};

/** The broadcast namespace ID: every namespace (or none, per command). */
#define SIO_NVME_NSID_ALL UINT32_C(0xffffffff)

/**
 * struct sio_nvme_cmd - A 64-byte submission queue entry (Base 2.0 Figure 88).
 *
 * @opc: opcode (SIO_NVME_OPC_* admin, SIO_NVME_OPC_* NVM, or
 *	SIO_NVME_OPC_FABRICS).
 * @fuse: enum sio_nvme_fuse.
 * @psdt: enum sio_nvme_psdt; always SGL on Fabrics.
 * @cid: command identifier, unique among the commands outstanding on the queue.
 * @nsid: namespace ID (0 when unused, SIO_NVME_NSID_ALL for all).
 * @cdw2: command dword 2 (command specific).
 * @cdw3: command dword 3 (command specific).
 * @mptr: metadata pointer.
 * @dptr: data pointer: @dptr.prp.prp1 / @dptr.prp.prp2, or the first SGL
 *	descriptor @dptr.sgl1.
 * @cdw10: command dword 10 ... @cdw15: command dword 15 (command specific).
 *
 * Fabrics commands overlay this with their own layouts (struct
 * sio_nvmf_capsule_cmd and the specific ones after it).
 */
struct sio_nvme_cmd {
	uint8_t opc;
	uint8_t fuse : 2;
	uint8_t rsvd1 : 4;
	uint8_t psdt : 2;
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	union {
		struct {
			uint64_t prp1;
			uint64_t prp2;
		} prp;
		struct sio_nvme_sgl_desc sgl1;
	} dptr;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, cid, 2);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, nsid, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, cdw2, 8);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, mptr, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, dptr, 24);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, cdw10, 40);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmd, cdw15, 60);

/**
 * union sio_nvme_status - The completion's 16-bit Status field with the
 * Phase Tag in bit 0 (Base 2.0 Figure 93, 94).
 *
 * @raw: the whole 16 bits as on the wire.
 * @p: phase tag (PCIe queues; 0 on Fabrics).
 * @sc: status code, meaning depends on @sct.
 * @sct: status code type (enum sio_nvme_sct).
 * @crd: command retry delay: 0 none, 1-3 select CRDT1-3 of Identify Controller.
 * @m: more: the Error Information log page has more about this error.
 * @dnr: do not retry: the same command would fail again.
 */
union sio_nvme_status {
	uint16_t raw;
	struct {
		uint16_t p : 1;
		uint16_t sc : 8;
		uint16_t sct : 3;
		uint16_t crd : 2;
		uint16_t m : 1;
		uint16_t dnr : 1;
	};
};
SIO_NVME_STATIC_SIZE(union sio_nvme_status, 2);

/**
 * struct sio_nvme_cpl - A 16-byte completion queue entry (Base 2.0 Figure 90).
 *
 * @cdw0: command specific result (dword 0).
 * @dw1: command specific result (dword 1; the upper half of Property Get's
 *	8-byte value).
 * @sqhd: submission queue head pointer (0 on Fabrics with SQ flow control off).
 * @sqid: submission queue the command came from.
 * @cid: the command's identifier.
 * @status: phase tag and status (union sio_nvme_status).
 */
struct sio_nvme_cpl {
	uint32_t cdw0;
	uint32_t dw1;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	union sio_nvme_status status;
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_cpl, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cpl, dw1, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cpl, sqhd, 8);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cpl, sqid, 10);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cpl, cid, 12);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cpl, status, 14);

/* ------------------------------------------------------------------------- */
/* Opcodes                                                                   */
/* ------------------------------------------------------------------------- */

/** Admin command opcodes (Base 2.0 Figure 138). */
enum sio_nvme_admin_opc {
	SIO_NVME_OPC_DELETE_IO_SQ = 0x00,          /**< Delete I/O Submission Queue */
	SIO_NVME_OPC_CREATE_IO_SQ = 0x01,          /**< Create I/O Submission Queue */
	SIO_NVME_OPC_GET_LOG_PAGE = 0x02,          /**< Get Log Page */
	SIO_NVME_OPC_DELETE_IO_CQ = 0x04,          /**< Delete I/O Completion Queue */
	SIO_NVME_OPC_CREATE_IO_CQ = 0x05,          /**< Create I/O Completion Queue */
	SIO_NVME_OPC_IDENTIFY = 0x06,              /**< Identify */
	SIO_NVME_OPC_ABORT = 0x08,                 /**< Abort */
	SIO_NVME_OPC_SET_FEATURES = 0x09,          /**< Set Features */
	SIO_NVME_OPC_GET_FEATURES = 0x0a,          /**< Get Features */
	SIO_NVME_OPC_ASYNC_EVENT_REQUEST = 0x0c,   /**< Asynchronous Event Request */
	SIO_NVME_OPC_NS_MANAGEMENT = 0x0d,         /**< Namespace Management */
	SIO_NVME_OPC_FIRMWARE_COMMIT = 0x10,       /**< Firmware Commit */
	SIO_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD = 0x11, /**< Firmware Image Download */
	SIO_NVME_OPC_DEVICE_SELF_TEST = 0x14,      /**< Device Self-test */
	SIO_NVME_OPC_NS_ATTACHMENT = 0x15,         /**< Namespace Attachment */
	SIO_NVME_OPC_KEEP_ALIVE = 0x18,            /**< Keep Alive */
	SIO_NVME_OPC_DIRECTIVE_SEND = 0x19,        /**< Directive Send */
	SIO_NVME_OPC_DIRECTIVE_RECEIVE = 0x1a,     /**< Directive Receive */
	SIO_NVME_OPC_VIRTUALIZATION_MANAGEMENT = 0x1c, /**< Virtualization Management */
	SIO_NVME_OPC_NVME_MI_SEND = 0x1d,          /**< NVMe-MI Send */
	SIO_NVME_OPC_NVME_MI_RECEIVE = 0x1e,       /**< NVMe-MI Receive */
	SIO_NVME_OPC_CAPACITY_MANAGEMENT = 0x20,   /**< Capacity Management */
	SIO_NVME_OPC_LOCKDOWN = 0x24,              /**< Lockdown */
	SIO_NVME_OPC_DOORBELL_BUFFER_CONFIG = 0x7c, /**< Doorbell Buffer Config */
	SIO_NVME_OPC_FABRICS = 0x7f,               /**< Fabrics command (admin and I/O queues; see fctype) */
	SIO_NVME_OPC_FORMAT_NVM = 0x80,            /**< Format NVM */
	SIO_NVME_OPC_SECURITY_SEND = 0x81,         /**< Security Send */
	SIO_NVME_OPC_SECURITY_RECEIVE = 0x82,      /**< Security Receive */
	SIO_NVME_OPC_SANITIZE = 0x84,              /**< Sanitize */
	SIO_NVME_OPC_GET_LBA_STATUS = 0x86,        /**< Get LBA Status */
};

/** NVM command set I/O opcodes (NVM Command Set 1.0 Figure 18; ZNS 1.1). */
enum sio_nvme_nvm_opc {
	SIO_NVME_OPC_FLUSH = 0x00,                 /**< Flush */
	SIO_NVME_OPC_WRITE = 0x01,                 /**< Write */
	SIO_NVME_OPC_READ = 0x02,                  /**< Read */
	SIO_NVME_OPC_WRITE_UNCORRECTABLE = 0x04,   /**< Write Uncorrectable */
	SIO_NVME_OPC_COMPARE = 0x05,               /**< Compare */
	SIO_NVME_OPC_WRITE_ZEROES = 0x08,          /**< Write Zeroes */
	SIO_NVME_OPC_DATASET_MANAGEMENT = 0x09,    /**< Dataset Management (deallocate = unmap) */
	SIO_NVME_OPC_VERIFY = 0x0c,                /**< Verify */
	SIO_NVME_OPC_RESERVATION_REGISTER = 0x0d,  /**< Reservation Register */
	SIO_NVME_OPC_RESERVATION_REPORT = 0x0e,    /**< Reservation Report */
	SIO_NVME_OPC_RESERVATION_ACQUIRE = 0x11,   /**< Reservation Acquire */
	SIO_NVME_OPC_RESERVATION_RELEASE = 0x15,   /**< Reservation Release */
	SIO_NVME_OPC_COPY = 0x19,                  /**< Copy */
	SIO_NVME_OPC_ZONE_MGMT_SEND = 0x79,        /**< Zone Management Send (Zoned Namespace set) */
	SIO_NVME_OPC_ZONE_MGMT_RECV = 0x7a,        /**< Zone Management Receive (Zoned Namespace set) */
	SIO_NVME_OPC_ZONE_APPEND = 0x7d,           /**< Zone Append (Zoned Namespace set) */
};

/** Data transfer direction encoded in opcode bits 1:0 (Base 2.0 Figure 87). */
enum sio_nvme_data_xfer {
	SIO_NVME_DATA_NONE = 0x0,             /**< no data */
	SIO_NVME_DATA_HOST_TO_CTRLR = 0x1,    /**< host to controller (write-like) */
	SIO_NVME_DATA_CTRLR_TO_HOST = 0x2,    /**< controller to host (read-like) */
	SIO_NVME_DATA_BIDIRECTIONAL = 0x3,    /**< both directions */
};

/**
 * sio_nvme_opc_data_xfer() - The data direction an opcode (or a Fabrics
 * fctype, which follows the same rule) implies.
 * @opc: opcode or fctype.
 *
 * Context: any thread.
 * Return: enum sio_nvme_data_xfer value, from opcode bits 1:0.
 */
static inline enum sio_nvme_data_xfer sio_nvme_opc_data_xfer(uint8_t opc)
{
	return (enum sio_nvme_data_xfer)(opc & 0x3);
}

/* ------------------------------------------------------------------------- */
/* Status codes (Base 2.0 section 4.6.1.2; NVM Command Set 1.0 section 4.1.2) */
/* ------------------------------------------------------------------------- */

/** Status code types (Base 2.0 Figure 95). */
enum sio_nvme_sct {
	SIO_NVME_SCT_GENERIC = 0x0,          /**< generic command status */
	SIO_NVME_SCT_COMMAND_SPECIFIC = 0x1, /**< command specific status */
	SIO_NVME_SCT_MEDIA_ERROR = 0x2,      /**< media and data integrity errors */
	SIO_NVME_SCT_PATH = 0x3,             /**< path related status */
	SIO_NVME_SCT_VENDOR_SPECIFIC = 0x7,  /**< vendor specific */
};

/** Generic command status codes, SCT 0 (Base 2.0 Figure 96; 80h-84h NVM Command Set Figure 23). */
enum sio_nvme_generic_sc {
	SIO_NVME_SC_SUCCESS = 0x00,                       /**< Successful Completion */
	SIO_NVME_SC_INVALID_OPCODE = 0x01,                /**< Invalid Command Opcode */
	SIO_NVME_SC_INVALID_FIELD = 0x02,                 /**< Invalid Field in Command */
	SIO_NVME_SC_COMMAND_ID_CONFLICT = 0x03,           /**< Command ID Conflict */
	SIO_NVME_SC_DATA_TRANSFER_ERROR = 0x04,           /**< Data Transfer Error */
	SIO_NVME_SC_ABORTED_POWER_LOSS = 0x05,            /**< Commands Aborted due to Power Loss Notification */
	SIO_NVME_SC_INTERNAL_DEVICE_ERROR = 0x06,         /**< Internal Error */
	SIO_NVME_SC_ABORTED_BY_REQUEST = 0x07,            /**< Command Abort Requested */
	SIO_NVME_SC_ABORTED_SQ_DELETION = 0x08,           /**< Command Aborted due to SQ Deletion */
	SIO_NVME_SC_ABORTED_FAILED_FUSED = 0x09,          /**< Command Aborted due to Failed Fused Command */
	SIO_NVME_SC_ABORTED_MISSING_FUSED = 0x0a,         /**< Command Aborted due to Missing Fused Command */
	SIO_NVME_SC_INVALID_NAMESPACE_OR_FORMAT = 0x0b,   /**< Invalid Namespace or Format */
	SIO_NVME_SC_COMMAND_SEQUENCE_ERROR = 0x0c,        /**< Command Sequence Error */
	SIO_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR = 0x0d,    /**< Invalid SGL Segment Descriptor */
	SIO_NVME_SC_INVALID_NUM_SGL_DESCIRPTORS = 0x0e,   /**< Invalid Number of SGL Descriptors */
	SIO_NVME_SC_DATA_SGL_LENGTH_INVALID = 0x0f,       /**< Data SGL Length Invalid */
	SIO_NVME_SC_METADATA_SGL_LENGTH_INVALID = 0x10,   /**< Metadata SGL Length Invalid */
	SIO_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID = 0x11,   /**< SGL Descriptor Type Invalid */
	SIO_NVME_SC_INVALID_CONTROLLER_MEM_BUF = 0x12,    /**< Invalid Use of Controller Memory Buffer */
	SIO_NVME_SC_INVALID_PRP_OFFSET = 0x13,            /**< PRP Offset Invalid */
	SIO_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED = 0x14,    /**< Atomic Write Unit Exceeded */
	SIO_NVME_SC_OPERATION_DENIED = 0x15,              /**< Operation Denied */
	SIO_NVME_SC_INVALID_SGL_OFFSET = 0x16,            /**< SGL Offset Invalid */
	SIO_NVME_SC_HOSTID_INCONSISTENT_FORMAT = 0x18,    /**< Host Identifier Inconsistent Format */
	SIO_NVME_SC_KEEP_ALIVE_EXPIRED = 0x19,            /**< Keep Alive Timer Expired */
	SIO_NVME_SC_KEEP_ALIVE_INVALID = 0x1a,            /**< Keep Alive Timeout Invalid */
	SIO_NVME_SC_ABORTED_PREEMPT = 0x1b,               /**< Command Aborted due to Preempt and Abort */
	SIO_NVME_SC_SANITIZE_FAILED = 0x1c,               /**< Sanitize Failed */
	SIO_NVME_SC_SANITIZE_IN_PROGRESS = 0x1d,          /**< Sanitize In Progress */
	SIO_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID = 0x1e, /**< SGL Data Block Granularity Invalid */
	SIO_NVME_SC_COMMAND_INVALID_IN_CMB = 0x1f,        /**< Command Not Supported for Queue in CMB */
	SIO_NVME_SC_NAMESPACE_IS_WRITE_PROTECTED = 0x20,  /**< Namespace is Write Protected */
	SIO_NVME_SC_COMMAND_INTERRUPTED = 0x21,           /**< Command Interrupted (retry) */
	SIO_NVME_SC_TRANSIENT_TRANSPORT_ERROR = 0x22,     /**< Transient Transport Error */
	SIO_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN = 0x23, /**< Command Prohibited by Command and Feature Lockdown */
	SIO_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY = 0x24, /**< Admin Command Media Not Ready */

	SIO_NVME_SC_LBA_OUT_OF_RANGE = 0x80,              /**< LBA Out of Range */
	SIO_NVME_SC_CAPACITY_EXCEEDED = 0x81,             /**< Capacity Exceeded */
	SIO_NVME_SC_NAMESPACE_NOT_READY = 0x82,           /**< Namespace Not Ready */
	SIO_NVME_SC_RESERVATION_CONFLICT = 0x83,          /**< Reservation Conflict */
	SIO_NVME_SC_FORMAT_IN_PROGRESS = 0x84,            /**< Format In Progress */
};

/**
 * Command specific status codes, SCT 1 (Base 2.0 Figure 97; Fabrics codes
 * from Base 2.0 Figure 98 / NVMe-oF 1.1 Figure 34; I/O command set codes
 * 80h-BFh from the NVM and Zoned Namespace command set specifications).
 *
 * Codes 80h-84h mean one thing for a Fabrics Connect command and another for
 * an NVM command: the command tells which (sio_nvme_cmd_status_string()).
 */
enum sio_nvme_command_specific_sc {
	SIO_NVME_SC_COMPLETION_QUEUE_INVALID = 0x00,      /**< Completion Queue Invalid */
	SIO_NVME_SC_INVALID_QUEUE_IDENTIFIER = 0x01,      /**< Invalid Queue Identifier */
	SIO_NVME_SC_INVALID_QUEUE_SIZE = 0x02,            /**< Invalid Queue Size */
	SIO_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED = 0x03,  /**< Abort Command Limit Exceeded */
	SIO_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED = 0x05, /**< Asynchronous Event Request Limit Exceeded */
	SIO_NVME_SC_INVALID_FIRMWARE_SLOT = 0x06,         /**< Invalid Firmware Slot */
	SIO_NVME_SC_INVALID_FIRMWARE_IMAGE = 0x07,        /**< Invalid Firmware Image */
	SIO_NVME_SC_INVALID_INTERRUPT_VECTOR = 0x08,      /**< Invalid Interrupt Vector */
	SIO_NVME_SC_INVALID_LOG_PAGE = 0x09,              /**< Invalid Log Page */
	SIO_NVME_SC_INVALID_FORMAT = 0x0a,                /**< Invalid Format */
	SIO_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET = 0x0b, /**< Firmware Activation Requires Conventional Reset */
	SIO_NVME_SC_INVALID_QUEUE_DELETION = 0x0c,        /**< Invalid Queue Deletion */
	SIO_NVME_SC_FEATURE_ID_NOT_SAVEABLE = 0x0d,       /**< Feature Identifier Not Saveable */
	SIO_NVME_SC_FEATURE_NOT_CHANGEABLE = 0x0e,        /**< Feature Not Changeable */
	SIO_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC = 0x0f, /**< Feature Not Namespace Specific */
	SIO_NVME_SC_FIRMWARE_REQ_NVM_RESET = 0x10,        /**< Firmware Activation Requires NVM Subsystem Reset */
	SIO_NVME_SC_FIRMWARE_REQ_RESET = 0x11,            /**< Firmware Activation Requires Controller Level Reset */
	SIO_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION = 0x12, /**< Firmware Activation Requires Maximum Time Violation */
	SIO_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED = 0x13, /**< Firmware Activation Prohibited */
	SIO_NVME_SC_OVERLAPPING_RANGE = 0x14,             /**< Overlapping Range */
	SIO_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY = 0x15, /**< Namespace Insufficient Capacity */
	SIO_NVME_SC_NAMESPACE_ID_UNAVAILABLE = 0x16,      /**< Namespace Identifier Unavailable */
	SIO_NVME_SC_NAMESPACE_ALREADY_ATTACHED = 0x18,    /**< Namespace Already Attached */
	SIO_NVME_SC_NAMESPACE_IS_PRIVATE = 0x19,          /**< Namespace Is Private */
	SIO_NVME_SC_NAMESPACE_NOT_ATTACHED = 0x1a,        /**< Namespace Not Attached */
	SIO_NVME_SC_THINPROVISIONING_NOT_SUPPORTED = 0x1b, /**< Thin Provisioning Not Supported */
	SIO_NVME_SC_CONTROLLER_LIST_INVALID = 0x1c,       /**< Controller List Invalid */
	SIO_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS = 0x1d,  /**< Device Self-test In Progress */
	SIO_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED = 0x1e, /**< Boot Partition Write Prohibited */
	SIO_NVME_SC_INVALID_CTRLR_ID = 0x1f,              /**< Invalid Controller Identifier */
	SIO_NVME_SC_INVALID_SECONDARY_CTRLR_STATE = 0x20, /**< Invalid Secondary Controller State */
	SIO_NVME_SC_INVALID_NUM_CTRLR_RESOURCES = 0x21,   /**< Invalid Number of Controller Resources */
	SIO_NVME_SC_INVALID_RESOURCE_ID = 0x22,           /**< Invalid Resource Identifier */
	SIO_NVME_SC_SANITIZE_PROHIBITED_WITH_PMR = 0x23,  /**< Sanitize Prohibited While Persistent Memory Region is Enabled */
	SIO_NVME_SC_ANA_GROUP_ID_INVALID = 0x24,          /**< ANA Group Identifier Invalid */
	SIO_NVME_SC_ANA_ATTACH_FAILED = 0x25,             /**< ANA Attach Failed */
	SIO_NVME_SC_INSUFFICIENT_CAPACITY = 0x26,         /**< Insufficient Capacity */
	SIO_NVME_SC_NAMESPACE_ATTACH_LIMIT_EXCEEDED = 0x27, /**< Namespace Attachment Limit Exceeded */
	SIO_NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED = 0x28, /**< Prohibition of Command Execution Not Supported */
	SIO_NVME_SC_IOCS_NOT_SUPPORTED = 0x29,            /**< I/O Command Set Not Supported */
	SIO_NVME_SC_IOCS_NOT_ENABLED = 0x2a,              /**< I/O Command Set Not Enabled */
	SIO_NVME_SC_IOCS_COMBINATION_REJECTED = 0x2b,     /**< I/O Command Set Combination Rejected */
	SIO_NVME_SC_INVALID_IOCS = 0x2c,                  /**< Invalid I/O Command Set */
	SIO_NVME_SC_IDENTIFIER_UNAVAILABLE = 0x2d,        /**< Identifier Unavailable */

	/* Fabrics commands (Connect, Authentication) */
	SIO_NVMF_SC_CONNECT_INCOMPATIBLE_FORMAT = 0x80,   /**< Connect: Incompatible Format (RECFMT) */
	SIO_NVMF_SC_CONNECT_CONTROLLER_BUSY = 0x81,       /**< Connect: Controller Busy */
	SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS = 0x82,    /**< Connect: Invalid Parameters (see IATTR/IPO in CQE dw0) */
	SIO_NVMF_SC_CONNECT_RESTART_DISCOVERY = 0x83,     /**< Connect: Restart Discovery */
	SIO_NVMF_SC_CONNECT_INVALID_HOST = 0x84,          /**< Connect: Invalid Host */
	SIO_NVMF_SC_INVALID_QUEUE_TYPE = 0x85,            /**< Connect: Invalid Queue Type */
	SIO_NVMF_SC_DISCOVER_RESTART = 0x90,              /**< Discover Restart (discovery log changed while read) */
	SIO_NVMF_SC_AUTH_REQUIRED = 0x91,                 /**< Authentication Required */

	/* NVM command set commands */
	SIO_NVME_SC_CONFLICTING_ATTRIBUTES = 0x80,        /**< Conflicting Attributes (Dataset Management, Read, Write) */
	SIO_NVME_SC_INVALID_PROTECTION_INFO = 0x81,       /**< Invalid Protection Information */
	SIO_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE = 0x82,   /**< Attempted Write to Read Only Range */
	SIO_NVME_SC_COMMAND_SIZE_LIMIT_EXCEEDED = 0x83,   /**< Command Size Limit Exceeded (Copy) */

	/* Zoned Namespace command set commands */
	SIO_NVME_SC_ZONE_BOUNDARY_ERROR = 0xb8,           /**< Zoned Boundary Error */
	SIO_NVME_SC_ZONE_IS_FULL = 0xb9,                  /**< Zone Is Full */
	SIO_NVME_SC_ZONE_IS_READ_ONLY = 0xba,             /**< Zone Is Read Only */
	SIO_NVME_SC_ZONE_IS_OFFLINE = 0xbb,               /**< Zone Is Offline */
	SIO_NVME_SC_ZONE_INVALID_WRITE = 0xbc,            /**< Zone Invalid Write */
	SIO_NVME_SC_TOO_MANY_ACTIVE_ZONES = 0xbd,         /**< Too Many Active Zones */
	SIO_NVME_SC_TOO_MANY_OPEN_ZONES = 0xbe,           /**< Too Many Open Zones */
	SIO_NVME_SC_INVALID_ZONE_STATE_TRANSITION = 0xbf, /**< Invalid Zone State Transition */
};

/** Media and data integrity errors, SCT 2 (Base 2.0 Figure 99; NVM Command Set Figure 24). */
enum sio_nvme_media_error_sc {
	SIO_NVME_SC_WRITE_FAULTS = 0x80,                  /**< Write Fault */
	SIO_NVME_SC_UNRECOVERED_READ_ERROR = 0x81,        /**< Unrecovered Read Error */
	SIO_NVME_SC_GUARD_CHECK_ERROR = 0x82,             /**< End-to-end Guard Check Error */
	SIO_NVME_SC_APPLICATION_TAG_CHECK_ERROR = 0x83,   /**< End-to-end Application Tag Check Error */
	SIO_NVME_SC_REFERENCE_TAG_CHECK_ERROR = 0x84,     /**< End-to-end Reference Tag Check Error */
	SIO_NVME_SC_COMPARE_FAILURE = 0x85,               /**< Compare Failure */
	SIO_NVME_SC_ACCESS_DENIED = 0x86,                 /**< Access Denied */
	SIO_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK = 0x87, /**< Deallocated or Unwritten Logical Block */
	SIO_NVME_SC_STORAGE_TAG_CHECK_ERROR = 0x88,       /**< End-to-End Storage Tag Check Error */
};

/** Path related status, SCT 3 (Base 2.0 Figure 100). */
enum sio_nvme_path_sc {
	SIO_NVME_SC_INTERNAL_PATH_ERROR = 0x00,           /**< Internal Path Error */
	SIO_NVME_SC_ANA_PERSISTENT_LOSS = 0x01,           /**< Asymmetric Access Persistent Loss */
	SIO_NVME_SC_ANA_INACCESSIBLE = 0x02,              /**< Asymmetric Access Inaccessible */
	SIO_NVME_SC_ANA_TRANSITION = 0x03,                /**< Asymmetric Access Transition */
	SIO_NVME_SC_CTRLR_PATH_ERROR = 0x60,              /**< Controller Pathing Error */
	SIO_NVME_SC_HOST_PATH_ERROR = 0x70,               /**< Host Pathing Error (e.g. the connection dropped) */
	SIO_NVME_SC_ABORTED_BY_HOST = 0x71,               /**< Command Aborted By Host */
};

/**
 * sio_nvme_cpl_is_error() - Whether a completion reports anything but success.
 * @cpl: the completion.
 *
 * Context: any thread.
 * Return: true unless SCT and SC are both 0.
 */
static inline bool sio_nvme_cpl_is_error(const struct sio_nvme_cpl *cpl)
{
	return cpl->status.sct != SIO_NVME_SCT_GENERIC || cpl->status.sc != SIO_NVME_SC_SUCCESS;
}

/**
 * sio_nvme_cpl_set_status() - Fill a completion's status, keeping its phase tag.
 * @cpl: the completion.
 * @sct: status code type.
 * @sc: status code.
 * @dnr: the Do Not Retry bit.
 *
 * CRD and M are cleared.
 *
 * Context: any thread.
 */
static inline void sio_nvme_cpl_set_status(struct sio_nvme_cpl *cpl, uint8_t sct, uint8_t sc, bool dnr)
{
	union sio_nvme_status st = { .raw = (uint16_t)(cpl->status.raw & 1u) };

	st.sct = sct & 0x7;
	st.sc = sc;
	st.dnr = dnr;
	cpl->status = st;
}

/* ------------------------------------------------------------------------- */
/* Fabrics commands (NVMe-oF 1.1 section 3; Base 2.0 section 6)              */
/* ------------------------------------------------------------------------- */

/** Fabrics command types, byte 4 of a command with opcode 7Fh (NVMe-oF 1.1 Figure 12). */
enum sio_nvmf_fctype {
	SIO_NVMF_FCTYPE_PROPERTY_SET = 0x00, /**< Property Set */
	SIO_NVMF_FCTYPE_CONNECT = 0x01,      /**< Connect */
	SIO_NVMF_FCTYPE_PROPERTY_GET = 0x04, /**< Property Get */
	SIO_NVMF_FCTYPE_AUTH_SEND = 0x05,    /**< Authentication Send */
	SIO_NVMF_FCTYPE_AUTH_RECV = 0x06,    /**< Authentication Receive */
	SIO_NVMF_FCTYPE_DISCONNECT = 0x08,   /**< Disconnect (I/O queues only) */
};

/**
 * struct sio_nvmf_capsule_cmd - The common layout of every Fabrics command
 * (NVMe-oF 1.1 Figure 10).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved (FUSE/PSDT of a normal command; PSDT ignored).
 * @cid: command identifier.
 * @fctype: enum sio_nvmf_fctype.
 * @rsvd2: reserved (bytes 24-39 are SGL1 for the types that transfer data).
 * @fabrics_specific: bytes 40-63, type specific.
 */
struct sio_nvmf_capsule_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[35];
	uint8_t fabrics_specific[24];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_capsule_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_capsule_cmd, fctype, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_capsule_cmd, fabrics_specific, 40);

/** Connect record format supported: 0 (NVMe-oF 1.1 Figure 20). */
#define SIO_NVMF_CONNECT_RECFMT 0
/** Connect CATTR bit 2: the host asks to disable SQ flow control (SQHD in every response stays 0xffff). */
#define SIO_NVMF_CONNECT_CATTR_DISABLE_SQ_FLOW (1u << 2)

/**
 * struct sio_nvmf_connect_cmd - Connect command (NVMe-oF 1.1 Figure 20).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved.
 * @cid: command identifier.
 * @fctype: SIO_NVMF_FCTYPE_CONNECT.
 * @rsvd2: reserved.
 * @sgl1: describes the 1024-byte struct sio_nvmf_connect_data.
 * @recfmt: record format, SIO_NVMF_CONNECT_RECFMT.
 * @qid: queue to create: 0 admin, else I/O queue ID.
 * @sqsize: submission queue size, 0's based.
 * @cattr: connect attributes (SIO_NVMF_CONNECT_CATTR_*; bits 1:0 priority class).
 * @rsvd3: reserved.
 * @kato: keep alive timeout in milliseconds (admin queue; 0 disables).
 * @rsvd4: reserved.
 */
struct sio_nvmf_connect_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[19];
	struct sio_nvme_sgl_desc sgl1;
	uint16_t recfmt;
	uint16_t qid;
	uint16_t sqsize;
	uint8_t cattr;
	uint8_t rsvd3;
	uint32_t kato;
	uint8_t rsvd4[12];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_connect_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_cmd, sgl1, 24);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_cmd, recfmt, 40);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_cmd, qid, 42);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_cmd, sqsize, 44);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_cmd, cattr, 46);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_cmd, kato, 48);

/** NQN fields are 256 bytes: at most 223 bytes of UTF-8 plus a NUL (Base 2.0 section 4.5). */
#define SIO_NVMF_NQN_FIELD_LEN 256
/** Longest NQN the specification allows, in bytes, without the NUL. */
#define SIO_NVMF_NQN_MAX_LEN 223
/** The well-known NQN of a discovery subsystem. */
#define SIO_NVMF_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
/** Prefix of an NQN formed from a UUID ("nqn.2014-08.org.nvmexpress:uuid:" + 36-char UUID). */
#define SIO_NVMF_NQN_UUID_PREFIX "nqn.2014-08.org.nvmexpress:uuid:"
/** Connect data CNTLID for "any controller" (dynamic controller model). */
#define SIO_NVMF_CNTLID_DYNAMIC 0xffff
/** Connect data CNTLID for "any controller" under the static model. */
#define SIO_NVMF_CNTLID_STATIC_ANY 0xfffe
/** The IANA port for NVMe/TCP I/O controllers. */
#define SIO_NVMF_TCP_PORT 4420
/** The IANA port for NVMe/TCP discovery controllers. */
#define SIO_NVMF_TCP_DISCOVERY_PORT 8009

/**
 * struct sio_nvmf_connect_data - The 1024 bytes a Connect command carries
 * (NVMe-oF 1.1 Figure 21).
 *
 * @hostid: host identifier (128-bit, matches Set Features Host Identifier).
 * @cntlid: controller ID wanted (SIO_NVMF_CNTLID_DYNAMIC for any); on an
 *	I/O queue, the controller the admin queue's Connect returned.
 * @rsvd5: reserved.
 * @subnqn: NUL-terminated NQN of the subsystem.
 * @hostnqn: NUL-terminated NQN of the host.
 * @rsvd6: reserved.
 */
struct sio_nvmf_connect_data {
	uint8_t hostid[16];
	uint16_t cntlid;
	uint8_t rsvd5[238];
	char subnqn[SIO_NVMF_NQN_FIELD_LEN];
	char hostnqn[SIO_NVMF_NQN_FIELD_LEN];
	uint8_t rsvd6[256];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_connect_data, 1024);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_data, cntlid, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_data, subnqn, 256);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_connect_data, hostnqn, 512);

/**
 * union sio_nvmf_connect_rsp_dw0 - Dword 0 of a Connect completion
 * (NVMe-oF 1.1 Figure 22, 23).
 *
 * @raw: the dword.
 * @success: on success: @success.cntlid is the controller ID allocated,
 *	@success.authreq the authentication requirements (bit 1 DH-HMAC-CHAP,
 *	bit 2 secure channel).
 * @invalid: with SIO_NVMF_SC_CONNECT_INVALID_PARAMETERS: @invalid.ipo is the
 *	byte offset of the bad field, @invalid.iattr says where (0 in the command,
 *	1 in the connect data).
 */
union sio_nvmf_connect_rsp_dw0 {
	uint32_t raw;
	struct {
		uint16_t cntlid;
		uint16_t authreq;
	} success;
	struct {
		uint16_t ipo;
		uint8_t iattr;
		uint8_t rsvd;
	} invalid;
};
SIO_NVME_STATIC_SIZE(union sio_nvmf_connect_rsp_dw0, 4);

/** IATTR: the invalid parameter is in the Connect command. */
#define SIO_NVMF_CONNECT_IATTR_CMD 0
/** IATTR: the invalid parameter is in the Connect data. */
#define SIO_NVMF_CONNECT_IATTR_DATA 1

/** Property Get/Set ATTRIB bits 2:0: property size (NVMe-oF 1.1 Figure 24, 27). */
enum sio_nvmf_prop_size {
	SIO_NVMF_PROP_SIZE_4 = 0, /**< a 4-byte property */
	SIO_NVMF_PROP_SIZE_8 = 1, /**< an 8-byte property (CAP, ASQ, ACQ...) */
};

/**
 * struct sio_nvmf_property_get_cmd - Property Get (NVMe-oF 1.1 Figure 24).
 * The value comes back in the completion's cdw0 (and dw1 for 8 bytes).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved.
 * @cid: command identifier.
 * @fctype: SIO_NVMF_FCTYPE_PROPERTY_GET.
 * @rsvd2: reserved.
 * @attrib: bits 2:0 enum sio_nvmf_prop_size.
 * @rsvd3: reserved.
 * @ofst: property offset (SIO_NVME_REG_*).
 * @rsvd4: reserved.
 */
struct sio_nvmf_property_get_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[35];
	uint8_t attrib;
	uint8_t rsvd3[3];
	uint32_t ofst;
	uint8_t rsvd4[16];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_property_get_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_property_get_cmd, attrib, 40);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_property_get_cmd, ofst, 44);

/**
 * struct sio_nvmf_property_set_cmd - Property Set (NVMe-oF 1.1 Figure 27).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved.
 * @cid: command identifier.
 * @fctype: SIO_NVMF_FCTYPE_PROPERTY_SET.
 * @rsvd2: reserved.
 * @attrib: bits 2:0 enum sio_nvmf_prop_size.
 * @rsvd3: reserved.
 * @ofst: property offset (SIO_NVME_REG_*).
 * @value: the value (upper 4 bytes ignored for a 4-byte property).
 * @rsvd4: reserved.
 */
struct sio_nvmf_property_set_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[35];
	uint8_t attrib;
	uint8_t rsvd3[3];
	uint32_t ofst;
	uint64_t value;
	uint8_t rsvd4[8];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_property_set_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_property_set_cmd, attrib, 40);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_property_set_cmd, ofst, 44);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_property_set_cmd, value, 48);

/** Security protocol of NVMe-oF in-band authentication (NVMe-oF 1.1 / Base 2.0 section 8.13). */
#define SIO_NVMF_AUTH_SECP_NVME 0xe9
/** SPSP0 for DH-HMAC-CHAP. */
#define SIO_NVMF_AUTH_SPSP0_DHCHAP 0x01
/** SPSP1 for DH-HMAC-CHAP. */
#define SIO_NVMF_AUTH_SPSP1_DHCHAP 0x01

/**
 * struct sio_nvmf_auth_send_cmd - Authentication Send (Base 2.0 Figure 398,
 * NVMe-oF 1.1 section 3.4.x).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved.
 * @cid: command identifier.
 * @fctype: SIO_NVMF_FCTYPE_AUTH_SEND.
 * @rsvd2: reserved.
 * @sgl1: describes the authentication message sent.
 * @rsvd3: reserved.
 * @spsp0: security protocol specific 0.
 * @spsp1: security protocol specific 1.
 * @secp: security protocol (SIO_NVMF_AUTH_SECP_NVME).
 * @tl: transfer length in bytes.
 * @rsvd4: reserved.
 */
struct sio_nvmf_auth_send_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[19];
	struct sio_nvme_sgl_desc sgl1;
	uint8_t rsvd3;
	uint8_t spsp0;
	uint8_t spsp1;
	uint8_t secp;
	uint32_t tl;
	uint8_t rsvd4[16];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_auth_send_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_auth_send_cmd, sgl1, 24);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_auth_send_cmd, spsp0, 41);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_auth_send_cmd, secp, 43);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_auth_send_cmd, tl, 44);

/**
 * struct sio_nvmf_auth_recv_cmd - Authentication Receive (Base 2.0 Figure 396).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved.
 * @cid: command identifier.
 * @fctype: SIO_NVMF_FCTYPE_AUTH_RECV.
 * @rsvd2: reserved.
 * @sgl1: describes the buffer for the message received.
 * @rsvd3: reserved.
 * @spsp0: security protocol specific 0.
 * @spsp1: security protocol specific 1.
 * @secp: security protocol (SIO_NVMF_AUTH_SECP_NVME).
 * @al: allocation length in bytes.
 * @rsvd4: reserved.
 */
struct sio_nvmf_auth_recv_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[19];
	struct sio_nvme_sgl_desc sgl1;
	uint8_t rsvd3;
	uint8_t spsp0;
	uint8_t spsp1;
	uint8_t secp;
	uint32_t al;
	uint8_t rsvd4[16];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_auth_recv_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_auth_recv_cmd, al, 44);

/**
 * struct sio_nvmf_disconnect_cmd - Disconnect: delete the I/O queue the
 * command arrives on (Base 2.0 section 6.4 / NVMe-oF 1.1 Figure 25a).
 *
 * @opcode: SIO_NVME_OPC_FABRICS.
 * @rsvd1: reserved.
 * @cid: command identifier.
 * @fctype: SIO_NVMF_FCTYPE_DISCONNECT.
 * @rsvd2: reserved.
 * @recfmt: record format, 0.
 * @rsvd3: reserved.
 */
struct sio_nvmf_disconnect_cmd {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t rsvd2[35];
	uint16_t recfmt;
	uint8_t rsvd3[22];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_disconnect_cmd, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_disconnect_cmd, recfmt, 40);

/* ------------------------------------------------------------------------- */
/* Names and the status <-> errno mapping (src/nvme/spec/)                   */
/* ------------------------------------------------------------------------- */

/**
 * sio_nvme_status_string() - Human text for a status, without the command.
 * @sct: status code type.
 * @sc: status code.
 *
 * Command specific codes 80h-85h mean different things for a Fabrics
 * Connect and an NVM command; without the command this returns both
 * ("Connect Incompatible Format / Conflicting Attributes"). Use
 * sio_nvme_cmd_status_string() when the opcode is known.
 *
 * Context: any thread.
 * Return: a static string, "unknown" for a code not defined here.
 */
const char *sio_nvme_status_string(uint8_t sct, uint8_t sc);

/**
 * sio_nvme_cmd_status_string() - Human text for the status of command @opc.
 * @opc: the opcode of the command the status completes (SIO_NVME_OPC_FABRICS
 *	selects the Fabrics meaning of command specific 80h-85h, anything else
 *	the NVM command set's).
 * @sct: status code type.
 * @sc: status code.
 *
 * Context: any thread.
 * Return: a static string, "unknown" for a code not defined here.
 */
const char *sio_nvme_cmd_status_string(uint8_t opc, uint8_t sct, uint8_t sc);

/**
 * sio_nvme_sct_string() - Name of a status code type ("Generic", ...).
 * @sct: status code type.
 *
 * Context: any thread.
 * Return: a static string, "unknown" for a reserved type.
 */
const char *sio_nvme_sct_string(uint8_t sct);

/**
 * sio_nvme_opcode_string() - Name of an opcode ("Identify", "Read", ...).
 * @admin: true for the admin command set, false for the NVM command set.
 * @opc: the opcode. SIO_NVME_OPC_FABRICS gives "Fabrics" in both sets (use
 *	sio_nvmf_fctype_string() for the command type).
 *
 * Context: any thread.
 * Return: a static string, "unknown" for an opcode not defined here.
 */
const char *sio_nvme_opcode_string(bool admin, uint8_t opc);

/**
 * sio_nvmf_fctype_string() - Name of a Fabrics command type ("Connect", ...).
 * @fctype: enum sio_nvmf_fctype.
 *
 * Context: any thread.
 * Return: a static string, "unknown" for a type not defined here.
 */
const char *sio_nvmf_fctype_string(uint8_t fctype);

/**
 * sio_nvme_status_to_errno() - The negative errno that stands for a status.
 * @sct: status code type.
 * @sc: status code.
 *
 * The one mapping the host driver, the nvme bdev module and the target use
 * (table in docs/nvme.md): success is 0, e.g. LBA Out of Range is -ERANGE,
 * Invalid Field -EINVAL, Compare Failure -EILSEQ, Namespace is Write
 * Protected -EROFS, Reservation Conflict -EBADE, retryable statuses -EAGAIN.
 * The mapping loses detail; callers that report an errno also keep the
 * status (struct sio_nvme_cpl) for whoever wants it.
 *
 * Context: any thread.
 * Return: 0 for success, a negative errno otherwise (-EIO for codes with no
 * closer meaning, including unknown and vendor specific ones).
 */
int sio_nvme_status_to_errno(uint8_t sct, uint8_t sc);

/**
 * sio_nvme_status_from_errno() - The status a controller returns for an errno.
 * @err: 0, or an errno (negative as the library returns them; a positive
 *	value is taken as its negation).
 *
 * The reverse of sio_nvme_status_to_errno() for the target: a bdev
 * completion's errno becomes the NVMe status of the command's completion.
 * For every errno in the table's "canonical" column the round trip
 * sio_nvme_status_to_errno(sio_nvme_status_from_errno(e)) == e holds.
 * DNR is set except for statuses a host should retry (-EAGAIN, -ENOMEM,
 * -EBUSY, -EINTR become Command Interrupted, DNR clear). The phase tag is 0.
 *
 * Context: any thread.
 * Return: the status; Internal Error with DNR for an errno not in the table.
 */
union sio_nvme_status sio_nvme_status_from_errno(int err);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_NVME_SPEC_H */
