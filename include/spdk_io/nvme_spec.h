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

/* C11 and C++ spell the static assertion differently. */
#ifdef __cplusplus
#define SIO_NVME_STATIC_ASSERT_ static_assert
#else
#define SIO_NVME_STATIC_ASSERT_ _Static_assert
#endif
/** Pin a structure's size to the specification's number. */
#define SIO_NVME_STATIC_SIZE(type, size) \
	SIO_NVME_STATIC_ASSERT_(sizeof(type) == (size), #type " is " #size " bytes in the specification")
/** Pin a field's byte offset to the specification's number. */
#define SIO_NVME_STATIC_OFFSET(type, field, off) \
	SIO_NVME_STATIC_ASSERT_(offsetof(type, field) == (off), #type "." #field " is at byte " #off)

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
 * @sqhd: submission queue head pointer (0xffff on Fabrics once the host disabled SQ flow control).
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
	SIO_NVME_SC_INVALID_NUM_SGL_DESCRIPTORS = 0x0e,   /**< Invalid Number of SGL Descriptors */
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
/* Controller registers = Fabrics properties (Base 2.0 section 3.1.3)        */
/* ------------------------------------------------------------------------- */

/** Register (property) offsets (Base 2.0 Figure 33). */
enum sio_nvme_reg {
	SIO_NVME_REG_CAP = 0x00,     /**< Controller Capabilities (8 bytes) */
	SIO_NVME_REG_VS = 0x08,      /**< Version */
	SIO_NVME_REG_INTMS = 0x0c,   /**< Interrupt Mask Set (PCIe) */
	SIO_NVME_REG_INTMC = 0x10,   /**< Interrupt Mask Clear (PCIe) */
	SIO_NVME_REG_CC = 0x14,      /**< Controller Configuration */
	SIO_NVME_REG_CSTS = 0x1c,    /**< Controller Status */
	SIO_NVME_REG_NSSR = 0x20,    /**< NVM Subsystem Reset */
	SIO_NVME_REG_AQA = 0x24,     /**< Admin Queue Attributes (PCIe) */
	SIO_NVME_REG_ASQ = 0x28,     /**< Admin Submission Queue Base Address (8 bytes, PCIe) */
	SIO_NVME_REG_ACQ = 0x30,     /**< Admin Completion Queue Base Address (8 bytes, PCIe) */
	SIO_NVME_REG_CMBLOC = 0x38,  /**< Controller Memory Buffer Location */
	SIO_NVME_REG_CMBSZ = 0x3c,   /**< Controller Memory Buffer Size */
	SIO_NVME_REG_BPINFO = 0x40,  /**< Boot Partition Information */
	SIO_NVME_REG_BPRSEL = 0x44,  /**< Boot Partition Read Select */
	SIO_NVME_REG_BPMBL = 0x48,   /**< Boot Partition Memory Buffer Location (8 bytes) */
	SIO_NVME_REG_CMBMSC = 0x50,  /**< Controller Memory Buffer Memory Space Control (8 bytes) */
	SIO_NVME_REG_CMBSTS = 0x58,  /**< Controller Memory Buffer Status */
	SIO_NVME_REG_CRTO = 0x68,    /**< Controller Ready Timeouts */
	SIO_NVME_REG_PMRCAP = 0xe00, /**< Persistent Memory Region Capabilities */
	SIO_NVME_REG_DBS = 0x1000,   /**< first doorbell (SQ 0 tail, PCIe) */
};

/** The value to write to NSSR to reset the NVM subsystem ("NVMe"). */
#define SIO_NVME_NSSR_RESET UINT32_C(0x4e564d65)

/** CAP.CSS bit: the NVM command set. */
#define SIO_NVME_CAP_CSS_NVM (1u << 0)
/** CAP.CSS bit: one or more I/O command sets (Identify I/O Command Set data). */
#define SIO_NVME_CAP_CSS_IOCS (1u << 6)
/** CAP.CSS bit: no I/O command set (admin only controller, e.g. discovery). */
#define SIO_NVME_CAP_CSS_NOIO (1u << 7)

/**
 * union sio_nvme_cap_register - CAP, offset 0h (Base 2.0 Figure 36).
 *
 * @raw: the 64 bits.
 * @bits: the fields:
 *	@bits.mqes: maximum queue entries supported, 0's based;
 *	@bits.cqr: contiguous queues required;
 *	@bits.ams: arbitration mechanisms supported (bit 0 weighted round robin, bit 1 vendor);
 *	@bits.to: timeout for CSTS.RDY to change, in 500 ms units;
 *	@bits.dstrd: doorbell stride, 2^(2+DSTRD) bytes;
 *	@bits.nssrs: NVM subsystem reset supported;
 *	@bits.css: command sets supported (SIO_NVME_CAP_CSS_*);
 *	@bits.bps: boot partition support;
 *	@bits.cps: controller power scope;
 *	@bits.mpsmin: minimum memory page size, 2^(12+MPSMIN);
 *	@bits.mpsmax: maximum memory page size, 2^(12+MPSMAX);
 *	@bits.pmrs: persistent memory region supported;
 *	@bits.cmbs: controller memory buffer supported;
 *	@bits.nsss: NVM subsystem shutdown supported;
 *	@bits.crms: controller ready modes supported (bit 0 with media, bit 1 independent of media).
 */
union sio_nvme_cap_register {
	uint64_t raw;
	struct {
		uint64_t mqes : 16;
		uint64_t cqr : 1;
		uint64_t ams : 2;
		uint64_t rsvd1 : 5;
		uint64_t to : 8;
		uint64_t dstrd : 4;
		uint64_t nssrs : 1;
		uint64_t css : 8;
		uint64_t bps : 1;
		uint64_t cps : 2;
		uint64_t mpsmin : 4;
		uint64_t mpsmax : 4;
		uint64_t pmrs : 1;
		uint64_t cmbs : 1;
		uint64_t nsss : 1;
		uint64_t crms : 2;
		uint64_t rsvd2 : 3;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_cap_register, 8);

/** A VS value from major, minor, tertiary numbers: SIO_NVME_VERSION(2, 0, 0). */
#define SIO_NVME_VERSION(mjr, mnr, ter) \
	((uint32_t)(((uint32_t)(mjr) << 16) | ((uint32_t)(mnr) << 8) | (uint32_t)(ter)))

/**
 * union sio_nvme_vs_register - VS, offset 8h (Base 2.0 Figure 37).
 *
 * @raw: the 32 bits (SIO_NVME_VERSION()).
 * @bits: @bits.ter tertiary, @bits.mnr minor, @bits.mjr major version.
 */
union sio_nvme_vs_register {
	uint32_t raw;
	struct {
		uint32_t ter : 8;
		uint32_t mnr : 8;
		uint32_t mjr : 16;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_vs_register, 4);

/** CC.CSS values (Base 2.0 Figure 41). */
enum sio_nvme_cc_css {
	SIO_NVME_CC_CSS_NVM = 0x0,  /**< the NVM command set */
	SIO_NVME_CC_CSS_IOCS = 0x6, /**< all supported I/O command sets (CAP.CSS bit 6) */
	SIO_NVME_CC_CSS_NOIO = 0x7, /**< admin command set only */
};

/** CC.SHN values: shutdown notification (Base 2.0 Figure 41). */
enum sio_nvme_shn {
	SIO_NVME_SHN_NONE = 0x0,   /**< no notification */
	SIO_NVME_SHN_NORMAL = 0x1, /**< normal shutdown */
	SIO_NVME_SHN_ABRUPT = 0x2, /**< abrupt shutdown */
};

/** CSTS.SHST values: shutdown status (Base 2.0 Figure 42). */
enum sio_nvme_shst {
	SIO_NVME_SHST_NORMAL = 0x0,    /**< normal operation, no shutdown requested */
	SIO_NVME_SHST_OCCURRING = 0x1, /**< shutdown processing occurring */
	SIO_NVME_SHST_COMPLETE = 0x2,  /**< shutdown processing complete */
};

/**
 * union sio_nvme_cc_register - CC, offset 14h (Base 2.0 Figure 41).
 *
 * @raw: the 32 bits.
 * @bits: the fields:
 *	@bits.en: enable;
 *	@bits.css: I/O command set selected (enum sio_nvme_cc_css);
 *	@bits.mps: memory page size, 2^(12+MPS);
 *	@bits.ams: arbitration mechanism selected (0 round robin);
 *	@bits.shn: shutdown notification (enum sio_nvme_shn);
 *	@bits.iosqes: I/O submission queue entry size, 2^n (6 for 64 bytes);
 *	@bits.iocqes: I/O completion queue entry size, 2^n (4 for 16 bytes);
 *	@bits.crime: controller ready independent of media enable.
 */
union sio_nvme_cc_register {
	uint32_t raw;
	struct {
		uint32_t en : 1;
		uint32_t rsvd1 : 3;
		uint32_t css : 3;
		uint32_t mps : 4;
		uint32_t ams : 3;
		uint32_t shn : 2;
		uint32_t iosqes : 4;
		uint32_t iocqes : 4;
		uint32_t crime : 1;
		uint32_t rsvd2 : 7;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_cc_register, 4);

/**
 * union sio_nvme_csts_register - CSTS, offset 1Ch (Base 2.0 Figure 42).
 *
 * @raw: the 32 bits.
 * @bits: the fields:
 *	@bits.rdy: ready;
 *	@bits.cfs: controller fatal status;
 *	@bits.shst: shutdown status (enum sio_nvme_shst);
 *	@bits.nssro: NVM subsystem reset occurred;
 *	@bits.pp: processing paused;
 *	@bits.st: shutdown type (1: NVM subsystem shutdown).
 */
union sio_nvme_csts_register {
	uint32_t raw;
	struct {
		uint32_t rdy : 1;
		uint32_t cfs : 1;
		uint32_t shst : 2;
		uint32_t nssro : 1;
		uint32_t pp : 1;
		uint32_t st : 1;
		uint32_t rsvd1 : 25;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_csts_register, 4);

/**
 * union sio_nvme_aqa_register - AQA, offset 24h (Base 2.0 Figure 44).
 *
 * @raw: the 32 bits.
 * @bits: @bits.asqs admin submission queue size, @bits.acqs admin completion
 *	queue size, both 0's based.
 */
union sio_nvme_aqa_register {
	uint32_t raw;
	struct {
		uint32_t asqs : 12;
		uint32_t rsvd1 : 4;
		uint32_t acqs : 12;
		uint32_t rsvd2 : 4;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_aqa_register, 4);

/**
 * union sio_nvme_asq_register - ASQ, offset 28h: admin SQ base address (Base 2.0 Figure 45).
 *
 * @raw: the 64 bits.
 * @bits: @bits.asqb the page-aligned address >> 12.
 */
union sio_nvme_asq_register {
	uint64_t raw;
	struct {
		uint64_t rsvd1 : 12;
		uint64_t asqb : 52;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_asq_register, 8);

/**
 * union sio_nvme_acq_register - ACQ, offset 30h: admin CQ base address (Base 2.0 Figure 46).
 *
 * @raw: the 64 bits.
 * @bits: @bits.acqb the page-aligned address >> 12.
 */
union sio_nvme_acq_register {
	uint64_t raw;
	struct {
		uint64_t rsvd1 : 12;
		uint64_t acqb : 52;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_acq_register, 8);

/**
 * struct sio_nvme_registers - The controller register block from CAP to
 * CRTO, as mapped in PCIe BAR0 (Base 2.0 Figure 33). Doorbells follow at
 * SIO_NVME_REG_DBS with stride CAP.DSTRD.
 *
 * @cap: CAP.
 * @vs: VS.
 * @intms: interrupt mask set.
 * @intmc: interrupt mask clear.
 * @cc: CC.
 * @rsvd1: reserved.
 * @csts: CSTS.
 * @nssr: NVM subsystem reset.
 * @aqa: AQA.
 * @asq: ASQ.
 * @acq: ACQ.
 * @cmbloc: controller memory buffer location.
 * @cmbsz: controller memory buffer size.
 * @bpinfo: boot partition information.
 * @bprsel: boot partition read select.
 * @bpmbl: boot partition memory buffer location.
 * @cmbmsc: controller memory buffer memory space control.
 * @cmbsts: controller memory buffer status.
 * @cmbebs: controller memory buffer elasticity buffer size.
 * @cmbswtp: controller memory buffer sustained write throughput.
 * @nssd: NVM subsystem shutdown.
 * @crto: controller ready timeouts.
 */
struct sio_nvme_registers {
	union sio_nvme_cap_register cap;
	union sio_nvme_vs_register vs;
	uint32_t intms;
	uint32_t intmc;
	union sio_nvme_cc_register cc;
	uint32_t rsvd1;
	union sio_nvme_csts_register csts;
	uint32_t nssr;
	union sio_nvme_aqa_register aqa;
	union sio_nvme_asq_register asq;
	union sio_nvme_acq_register acq;
	uint32_t cmbloc;
	uint32_t cmbsz;
	uint32_t bpinfo;
	uint32_t bprsel;
	uint64_t bpmbl;
	uint64_t cmbmsc;
	uint32_t cmbsts;
	uint32_t cmbebs;
	uint32_t cmbswtp;
	uint32_t nssd;
	uint32_t crto;
};
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, vs, SIO_NVME_REG_VS);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, cc, SIO_NVME_REG_CC);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, csts, SIO_NVME_REG_CSTS);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, nssr, SIO_NVME_REG_NSSR);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, aqa, SIO_NVME_REG_AQA);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, asq, SIO_NVME_REG_ASQ);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, acq, SIO_NVME_REG_ACQ);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, cmbloc, SIO_NVME_REG_CMBLOC);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, bpmbl, SIO_NVME_REG_BPMBL);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, cmbmsc, SIO_NVME_REG_CMBMSC);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, cmbsts, SIO_NVME_REG_CMBSTS);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_registers, crto, SIO_NVME_REG_CRTO);

/* ------------------------------------------------------------------------- */
/* Identify (Base 2.0 section 5.17; NVM Command Set 1.0 section 4.1.5)       */
/* ------------------------------------------------------------------------- */

/** Every Identify data structure is 4096 bytes. */
#define SIO_NVME_IDENTIFY_DATA_SIZE 4096

/** Controller or Namespace Structure values, CDW10 bits 7:0 (Base 2.0 Figure 273). */
enum sio_nvme_identify_cns {
	SIO_NVME_CNS_NS = 0x00,                      /**< Identify Namespace (NVM command set) for NSID */
	SIO_NVME_CNS_CTRLR = 0x01,                   /**< Identify Controller */
	SIO_NVME_CNS_ACTIVE_NS_LIST = 0x02,          /**< active NSIDs greater than NSID (up to 1024) */
	SIO_NVME_CNS_NS_ID_DESCRIPTOR_LIST = 0x03,   /**< namespace identification descriptors of NSID */
	SIO_NVME_CNS_NVM_SET_LIST = 0x04,            /**< NVM set list */
	SIO_NVME_CNS_IOCS_NS = 0x05,                 /**< I/O command set specific Identify Namespace (CSI) */
	SIO_NVME_CNS_IOCS_CTRLR = 0x06,              /**< I/O command set specific Identify Controller (CSI) */
	SIO_NVME_CNS_IOCS_ACTIVE_NS_LIST = 0x07,     /**< active NSIDs of one I/O command set (CSI) */
	SIO_NVME_CNS_IOCS_INDEPENDENT_NS = 0x08,     /**< I/O command set independent Identify Namespace */
	SIO_NVME_CNS_ALLOCATED_NS_LIST = 0x10,       /**< allocated NSIDs */
	SIO_NVME_CNS_ALLOCATED_NS = 0x11,            /**< Identify Namespace of an allocated NSID */
	SIO_NVME_CNS_NS_ATTACHED_CTRLR_LIST = 0x12,  /**< controllers attached to NSID */
	SIO_NVME_CNS_CTRLR_LIST = 0x13,              /**< controllers in the NVM subsystem */
	SIO_NVME_CNS_PRIMARY_CTRLR_CAP = 0x14,       /**< primary controller capabilities */
	SIO_NVME_CNS_SECONDARY_CTRLR_LIST = 0x15,    /**< secondary controller list */
	SIO_NVME_CNS_NS_GRANULARITY_LIST = 0x16,     /**< namespace granularity list */
	SIO_NVME_CNS_UUID_LIST = 0x17,               /**< UUID list */
	SIO_NVME_CNS_DOMAIN_LIST = 0x18,             /**< domain list */
	SIO_NVME_CNS_ENDURANCE_GROUP_LIST = 0x19,    /**< endurance group list */
	SIO_NVME_CNS_IOCS_ALLOCATED_NS_LIST = 0x1a,  /**< allocated NSIDs of one I/O command set */
	SIO_NVME_CNS_IOCS_ALLOCATED_NS = 0x1b,       /**< I/O command set specific data of an allocated NSID */
	SIO_NVME_CNS_IOCS = 0x1c,                    /**< Identify I/O Command Set data structure */
};

/** Command Set Identifiers (Base 2.0 Figure 285). */
enum sio_nvme_csi {
	SIO_NVME_CSI_NVM = 0x0, /**< NVM command set */
	SIO_NVME_CSI_KV = 0x1,  /**< Key Value command set */
	SIO_NVME_CSI_ZNS = 0x2, /**< Zoned Namespace command set */
};

/** Identify CDW10 from CNS and CNTID (controller ID, for CNS 12h/13h). */
#define SIO_NVME_IDENTIFY_CDW10(cns, cntid) ((uint32_t)(cns) | ((uint32_t)(cntid) << 16))
/** Identify CDW11 from the CNS specific identifier (NVM set / domain ID) and CSI. */
#define SIO_NVME_IDENTIFY_CDW11(cnssid, csi) ((uint32_t)(cnssid) | ((uint32_t)(csi) << 24))

/**
 * struct sio_nvme_power_state - One 32-byte power state descriptor (Base 2.0 Figure 276).
 *
 * @mp: maximum power, in 0.01 W or 0.0001 W (@flags bit 0 MXPS).
 * @rsvd2: reserved.
 * @flags: bit 0 MXPS (max power scale), bit 1 NOPS (non-operational state).
 * @enlat: entry latency in microseconds.
 * @exlat: exit latency in microseconds.
 * @rrt: relative read throughput (bits 4:0).
 * @rrl: relative read latency (bits 4:0).
 * @rwt: relative write throughput (bits 4:0).
 * @rwl: relative write latency (bits 4:0).
 * @idlp: idle power.
 * @ips: bits 7:6 idle power scale.
 * @rsvd19: reserved.
 * @actp: active power.
 * @apw_aps: bits 2:0 active power workload, bits 7:6 active power scale.
 * @rsvd23: reserved.
 */
struct sio_nvme_power_state {
	uint16_t mp;
	uint8_t rsvd2;
	uint8_t flags;
	uint32_t enlat;
	uint32_t exlat;
	uint8_t rrt;
	uint8_t rrl;
	uint8_t rwt;
	uint8_t rwl;
	uint16_t idlp;
	uint8_t ips;
	uint8_t rsvd19;
	uint16_t actp;
	uint8_t apw_aps;
	uint8_t rsvd23[9];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_power_state, 32);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_power_state, enlat, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_power_state, idlp, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_power_state, actp, 20);

/** Identify Controller CNTRLTYPE (Base 2.0 Figure 275, byte 111). */
enum sio_nvme_cntrltype {
	SIO_NVME_CNTRLTYPE_NOT_REPORTED = 0, /**< not reported (pre-1.4 controller) */
	SIO_NVME_CNTRLTYPE_IO = 1,           /**< I/O controller */
	SIO_NVME_CNTRLTYPE_DISCOVERY = 2,    /**< discovery controller */
	SIO_NVME_CNTRLTYPE_ADMIN = 3,        /**< administrative controller */
};

/* Identify Controller bit fields the host and target use (Base 2.0 Figure 275). */
/** CMIC bit 0: the NVM subsystem may have more than one port. */
#define SIO_NVME_CMIC_MULTI_PORT (1u << 0)
/** CMIC bit 1: the NVM subsystem may have more than one controller. */
#define SIO_NVME_CMIC_MULTI_CTRLR (1u << 1)
/** CMIC bit 3: asymmetric namespace access reporting. */
#define SIO_NVME_CMIC_ANA (1u << 3)
/** OAES bit 8: Namespace Attribute Notices supported. */
#define SIO_NVME_OAES_NS_ATTR (1u << 8)
/** OAES bit 9: Firmware Activation Notices supported. */
#define SIO_NVME_OAES_FW_ACTIVATION (1u << 9)
/** OAES bit 11: ANA Change Notices supported. */
#define SIO_NVME_OAES_ANA_CHANGE (1u << 11)
/** OAES bit 31: Discovery Log Page Change Notification supported (discovery controllers). */
#define SIO_NVME_OAES_DISCOVERY_LOG_CHANGE (1u << 31)
/** CTRATT bit 0: 128-bit host identifier supported. */
#define SIO_NVME_CTRATT_HOSTID_128 (1u << 0)
/** CTRATT bit 15: extended LBA formats supported. */
#define SIO_NVME_CTRATT_ELBAS (1u << 15)
/** OACS bit 0: Security Send/Receive supported. */
#define SIO_NVME_OACS_SECURITY (1u << 0)
/** OACS bit 1: Format NVM supported. */
#define SIO_NVME_OACS_FORMAT (1u << 1)
/** OACS bit 2: Firmware Commit and Image Download supported. */
#define SIO_NVME_OACS_FIRMWARE (1u << 2)
/** OACS bit 3: Namespace Management supported. */
#define SIO_NVME_OACS_NS_MANAGEMENT (1u << 3)
/** OACS bit 5: Directives supported. */
#define SIO_NVME_OACS_DIRECTIVES (1u << 5)
/** OACS bit 8: Doorbell Buffer Config supported. */
#define SIO_NVME_OACS_DOORBELL_BUFFER (1u << 8)
/** LPA bit 0: SMART / Health log per namespace. */
#define SIO_NVME_LPA_SMART_PER_NS (1u << 0)
/** LPA bit 1: Commands Supported and Effects log page supported. */
#define SIO_NVME_LPA_CMD_EFFECTS (1u << 1)
/** LPA bit 2: extended data for Get Log Page (NUMDU, LPOU). */
#define SIO_NVME_LPA_EXTENDED_DATA (1u << 2)
/** ONCS bit 0: Compare supported. */
#define SIO_NVME_ONCS_COMPARE (1u << 0)
/** ONCS bit 1: Write Uncorrectable supported. */
#define SIO_NVME_ONCS_WRITE_UNCORRECTABLE (1u << 1)
/** ONCS bit 2: Dataset Management supported. */
#define SIO_NVME_ONCS_DSM (1u << 2)
/** ONCS bit 3: Write Zeroes supported. */
#define SIO_NVME_ONCS_WRITE_ZEROES (1u << 3)
/** ONCS bit 4: the Save field of Set/Get Features supported. */
#define SIO_NVME_ONCS_SAVE_FEATURES (1u << 4)
/** ONCS bit 5: reservations supported. */
#define SIO_NVME_ONCS_RESERVATIONS (1u << 5)
/** ONCS bit 6: Timestamp feature supported. */
#define SIO_NVME_ONCS_TIMESTAMP (1u << 6)
/** ONCS bit 7: Verify supported. */
#define SIO_NVME_ONCS_VERIFY (1u << 7)
/** ONCS bit 8: Copy supported. */
#define SIO_NVME_ONCS_COPY (1u << 8)
/** FUSES bit 0: Compare and Write fused operation supported. */
#define SIO_NVME_FUSES_COMPARE_AND_WRITE (1u << 0)
/** VWC bit 0: a volatile write cache is present. */
#define SIO_NVME_VWC_PRESENT (1u << 0)
/** VWC bits 2:1 = 2h: Flush with NSID FFFFFFFFh is not supported. */
#define SIO_NVME_VWC_NSID_ALL_FLUSH_UNSUPPORTED (2u << 1)
/** VWC bits 2:1 = 3h: Flush with NSID FFFFFFFFh is supported. */
#define SIO_NVME_VWC_NSID_ALL_FLUSH_SUPPORTED (3u << 1)
/** SGLS bits 1:0 = 1h: SGLs supported, no alignment requirement. */
#define SIO_NVME_SGLS_SUPPORTED (1u << 0)
/** SGLS bits 1:0 = 2h: SGLs supported, dword alignment required. */
#define SIO_NVME_SGLS_SUPPORTED_DWORD_ALIGNED (2u << 0)
/** SGLS bit 2: Keyed SGL Data Block descriptor supported. */
#define SIO_NVME_SGLS_KEYED (1u << 2)
/** SGLS bit 16: Bit Bucket descriptor supported. */
#define SIO_NVME_SGLS_BIT_BUCKET (1u << 16)
/** SGLS bit 19: MPTR with an SGL of exactly one descriptor supported. */
#define SIO_NVME_SGLS_MPTR_SGL (1u << 19)
/** SGLS bit 20: address field may be an offset (in-capsule data; Fabrics). */
#define SIO_NVME_SGLS_OFFSET (1u << 20)
/** SGLS bit 21: Transport SGL Data Block descriptor supported (NVMe/TCP). */
#define SIO_NVME_SGLS_TRANSPORT_DATA_BLOCK (1u << 21)
/** FCATT bit 0: the subsystem uses the static controller model (clear: dynamic). */
#define SIO_NVME_FCATT_STATIC (1u << 0)

/**
 * struct sio_nvme_ctrlr_data - Identify Controller data, CNS 01h (Base 2.0
 * Figure 275). Strings (@sn, @mn, @fr) are ASCII padded with spaces, not NUL
 * terminated; @subnqn is NUL terminated.
 *
 * @vid: PCI vendor ID.
 * @ssvid: PCI subsystem vendor ID.
 * @sn: serial number.
 * @mn: model number.
 * @fr: firmware revision.
 * @rab: recommended arbitration burst.
 * @ieee: IEEE OUI identifier.
 * @cmic: controller multi-path I/O and namespace sharing (SIO_NVME_CMIC_*).
 * @mdts: maximum data transfer size, 2^n units of CAP.MPSMIN (0: no limit).
 * @cntlid: controller ID.
 * @ver: version (as VS).
 * @rtd3r: RTD3 resume latency, microseconds.
 * @rtd3e: RTD3 entry latency, microseconds.
 * @oaes: optional asynchronous events supported (SIO_NVME_OAES_*).
 * @ctratt: controller attributes (SIO_NVME_CTRATT_*).
 * @rrls: read recovery levels supported.
 * @rsvd102: reserved.
 * @cntrltype: controller type (enum sio_nvme_cntrltype).
 * @fguid: FRU globally unique identifier.
 * @crdt1: command retry delay time 1, in 100 ms.
 * @crdt2: command retry delay time 2, in 100 ms.
 * @crdt3: command retry delay time 3, in 100 ms.
 * @rsvd134: reserved.
 * @nvmsr: NVM subsystem report (NVMe-MI).
 * @vwci: VPD write cycle information (NVMe-MI).
 * @mec: management endpoint capabilities (NVMe-MI).
 * @oacs: optional admin command support (SIO_NVME_OACS_*).
 * @acl: abort command limit, 0's based.
 * @aerl: asynchronous event request limit, 0's based.
 * @frmw: firmware updates.
 * @lpa: log page attributes (SIO_NVME_LPA_*).
 * @elpe: error log page entries, 0's based.
 * @npss: number of power states supported, 0's based.
 * @avscc: admin vendor specific command configuration.
 * @apsta: autonomous power state transition attributes.
 * @wctemp: warning composite temperature threshold, kelvin.
 * @cctemp: critical composite temperature threshold, kelvin.
 * @mtfa: maximum time for firmware activation, 100 ms.
 * @hmpre: host memory buffer preferred size, 4 KiB units.
 * @hmmin: host memory buffer minimum size, 4 KiB units.
 * @tnvmcap: total NVM capacity in bytes (128-bit).
 * @unvmcap: unallocated NVM capacity in bytes (128-bit).
 * @rpmbs: replay protected memory block support.
 * @edstt: extended device self-test time, minutes.
 * @dsto: device self-test options.
 * @fwug: firmware update granularity, 4 KiB units.
 * @kas: keep alive support: granularity in 100 ms (0: unsupported).
 * @hctma: host controlled thermal management attributes.
 * @mntmt: minimum thermal management temperature.
 * @mxtmt: maximum thermal management temperature.
 * @sanicap: sanitize capabilities.
 * @hmminds: host memory buffer minimum descriptor entry size.
 * @hmmaxd: host memory maximum descriptors entries.
 * @nsetidmax: NVM set identifier maximum.
 * @endgidmax: endurance group identifier maximum.
 * @anatt: ANA transition time, seconds.
 * @anacap: asymmetric namespace access capabilities.
 * @anagrpmax: ANA group identifier maximum.
 * @nanagrpid: number of ANA group identifiers.
 * @pels: persistent event log size, 64 KiB units.
 * @domainid: domain identifier.
 * @rsvd358: reserved.
 * @megcap: maximum endurance group capacity (128-bit).
 * @rsvd384: reserved.
 * @sqes: submission queue entry size: bits 3:0 required, 7:4 maximum (2^n).
 * @cqes: completion queue entry size: bits 3:0 required, 7:4 maximum (2^n).
 * @maxcmd: maximum outstanding commands (Fabrics).
 * @nn: number of namespaces (highest valid NSID).
 * @oncs: optional NVM command support (SIO_NVME_ONCS_*).
 * @fuses: fused operation support (SIO_NVME_FUSES_*).
 * @fna: format NVM attributes.
 * @vwc: volatile write cache (SIO_NVME_VWC_*).
 * @awun: atomic write unit normal, 0's based, logical blocks.
 * @awupf: atomic write unit power fail, 0's based, logical blocks.
 * @icsvscc: I/O command set vendor specific command configuration.
 * @nwpc: namespace write protection capabilities.
 * @acwu: atomic compare & write unit, 0's based.
 * @ocfs: optional copy formats supported.
 * @sgls: SGL support (SIO_NVME_SGLS_*).
 * @mnan: maximum number of allowed namespaces.
 * @maxdna: maximum domain namespace attachments (128-bit).
 * @maxcna: maximum I/O controller namespace attachments.
 * @rsvd564: reserved.
 * @subnqn: NVM subsystem NQN, NUL terminated.
 * @rsvd1024: reserved.
 * @ioccsz: I/O queue command capsule supported size, 16-byte units (Fabrics).
 * @iorcsz: I/O queue response capsule supported size, 16-byte units (Fabrics).
 * @icdoff: in-capsule data offset, 16-byte units (Fabrics).
 * @fcatt: fabrics controller attributes (SIO_NVME_FCATT_*).
 * @msdbd: maximum SGL data block descriptors in a command (Fabrics).
 * @ofcs: optional fabric commands supported (bit 0: Disconnect).
 * @dctype: discovery controller type (0 not reported, 1 direct, 2 central).
 * @rsvd1807: reserved.
 * @psd: power state descriptors 0-31.
 * @vs: vendor specific.
 */
struct sio_nvme_ctrlr_data {
	uint16_t vid;
	uint16_t ssvid;
	char sn[20];
	char mn[40];
	char fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts;
	uint16_t cntlid;
	uint32_t ver;
	uint32_t rtd3r;
	uint32_t rtd3e;
	uint32_t oaes;
	uint32_t ctratt;
	uint16_t rrls;
	uint8_t rsvd102[9];
	uint8_t cntrltype;
	uint8_t fguid[16];
	uint16_t crdt1;
	uint16_t crdt2;
	uint16_t crdt3;
	uint8_t rsvd134[119];
	uint8_t nvmsr;
	uint8_t vwci;
	uint8_t mec;
	uint16_t oacs;
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t avscc;
	uint8_t apsta;
	uint16_t wctemp;
	uint16_t cctemp;
	uint16_t mtfa;
	uint32_t hmpre;
	uint32_t hmmin;
	uint8_t tnvmcap[16];
	uint8_t unvmcap[16];
	uint32_t rpmbs;
	uint16_t edstt;
	uint8_t dsto;
	uint8_t fwug;
	uint16_t kas;
	uint16_t hctma;
	uint16_t mntmt;
	uint16_t mxtmt;
	uint32_t sanicap;
	uint32_t hmminds;
	uint16_t hmmaxd;
	uint16_t nsetidmax;
	uint16_t endgidmax;
	uint8_t anatt;
	uint8_t anacap;
	uint32_t anagrpmax;
	uint32_t nanagrpid;
	uint32_t pels;
	uint16_t domainid;
	uint8_t rsvd358[10];
	uint8_t megcap[16];
	uint8_t rsvd384[128];
	uint8_t sqes;
	uint8_t cqes;
	uint16_t maxcmd;
	uint32_t nn;
	uint16_t oncs;
	uint16_t fuses;
	uint8_t fna;
	uint8_t vwc;
	uint16_t awun;
	uint16_t awupf;
	uint8_t icsvscc;
	uint8_t nwpc;
	uint16_t acwu;
	uint16_t ocfs;
	uint32_t sgls;
	uint32_t mnan;
	uint8_t maxdna[16];
	uint32_t maxcna;
	uint8_t rsvd564[204];
	char subnqn[SIO_NVMF_NQN_FIELD_LEN];
	uint8_t rsvd1024[768];
	uint32_t ioccsz;
	uint32_t iorcsz;
	uint16_t icdoff;
	uint8_t fcatt;
	uint8_t msdbd;
	uint16_t ofcs;
	uint8_t dctype;
	uint8_t rsvd1807[241];
	struct sio_nvme_power_state psd[32];
	uint8_t vs[1024];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ctrlr_data, SIO_NVME_IDENTIFY_DATA_SIZE);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, sn, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, mn, 24);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, fr, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, rab, 72);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, mdts, 77);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, cntlid, 78);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, ver, 80);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, oaes, 92);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, ctratt, 96);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, cntrltype, 111);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, fguid, 112);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, crdt1, 128);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, nvmsr, 253);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, oacs, 256);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, lpa, 261);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, npss, 263);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, wctemp, 266);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, tnvmcap, 280);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, rpmbs, 312);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, kas, 320);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, sanicap, 328);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, anatt, 342);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, anagrpmax, 344);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, pels, 352);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, domainid, 356);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, megcap, 368);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, sqes, 512);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, maxcmd, 514);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, nn, 516);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, oncs, 520);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, vwc, 525);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, acwu, 532);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, sgls, 536);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, mnan, 540);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, maxcna, 560);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, subnqn, 768);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, ioccsz, 1792);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, iorcsz, 1796);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, icdoff, 1800);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, fcatt, 1802);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, msdbd, 1803);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, ofcs, 1804);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, dctype, 1806);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, psd, 2048);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ctrlr_data, vs, 3072);

/**
 * struct sio_nvme_lbaf - LBA format descriptor (NVM Command Set Figure 98).
 *
 * @ms: metadata bytes per logical block.
 * @lbads: LBA data size, 2^n bytes (9 = 512, 12 = 4096); 0 = format unsupported.
 * @rp: bits 1:0 relative performance (0 best ... 3 degraded).
 */
struct sio_nvme_lbaf {
	uint16_t ms;
	uint8_t lbads;
	uint8_t rp;
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_lbaf, 4);

/** NSFEAT bit 0: thin provisioning. */
#define SIO_NVME_NSFEAT_THIN (1u << 0)
/** NSFEAT bit 1: NAWUN/NAWUPF/NACWU are namespace specific. */
#define SIO_NVME_NSFEAT_NS_ATOMICS (1u << 1)
/** NSFEAT bit 2: Deallocated or Unwritten Logical Block error supported. */
#define SIO_NVME_NSFEAT_DULBE (1u << 2)
/** NSFEAT bit 3: NGUID and EUI64 are never reused. */
#define SIO_NVME_NSFEAT_UIDREUSE (1u << 3)
/** NSFEAT bit 4: NPWG/NPWA/NPDG/NPDA/NOWS are defined (optimal I/O). */
#define SIO_NVME_NSFEAT_OPTPERF (1u << 4)
/** FLBAS bits 3:0: low four bits of the LBA format index in use. */
#define SIO_NVME_FLBAS_INDEX_LO_MASK 0x0fu
/** FLBAS bit 4: metadata at the end of each LBA (extended LBA). */
#define SIO_NVME_FLBAS_EXTENDED (1u << 4)
/** FLBAS bits 6:5: high two bits of the LBA format index (formats 16-63). */
#define SIO_NVME_FLBAS_INDEX_HI_MASK 0x60u
/** NMIC bit 0: the namespace may be attached to two or more controllers. */
#define SIO_NVME_NMIC_SHARED (1u << 0)
/** NSATTR bit 0: the namespace is write protected. */
#define SIO_NVME_NSATTR_WRITE_PROTECTED (1u << 0)
/** DLFEAT bits 2:0 = 1h: deallocated blocks read as zeroes. */
#define SIO_NVME_DLFEAT_READ_ZEROES 0x1u
/** DLFEAT bit 3: Write Zeroes with DEAC deallocates. */
#define SIO_NVME_DLFEAT_WRITE_ZEROES_DEALLOCATES (1u << 3)

/**
 * struct sio_nvme_ns_data - Identify Namespace data for the NVM command set,
 * CNS 00h (NVM Command Set 1.0 Figure 97).
 *
 * @nsze: namespace size in logical blocks.
 * @ncap: namespace capacity in logical blocks.
 * @nuse: namespace utilization in logical blocks.
 * @nsfeat: namespace features (SIO_NVME_NSFEAT_*).
 * @nlbaf: number of LBA formats, 0's based.
 * @flbas: formatted LBA size (SIO_NVME_FLBAS_*; sio_nvme_ns_lbaf_index()).
 * @mc: metadata capabilities.
 * @dpc: end-to-end data protection capabilities.
 * @dps: end-to-end data protection type settings.
 * @nmic: namespace multi-path I/O and sharing (SIO_NVME_NMIC_*).
 * @rescap: reservation capabilities.
 * @fpi: format progress indicator.
 * @dlfeat: deallocate logical block features (SIO_NVME_DLFEAT_*).
 * @nawun: namespace atomic write unit normal, 0's based.
 * @nawupf: namespace atomic write unit power fail, 0's based.
 * @nacwu: namespace atomic compare & write unit, 0's based.
 * @nabsn: namespace atomic boundary size normal.
 * @nabo: namespace atomic boundary offset.
 * @nabspf: namespace atomic boundary size power fail.
 * @noiob: namespace optimal I/O boundary, logical blocks.
 * @nvmcap: NVM capacity in bytes (128-bit).
 * @npwg: preferred write granularity, 0's based.
 * @npwa: preferred write alignment, 0's based.
 * @npdg: preferred deallocate granularity, 0's based.
 * @npda: preferred deallocate alignment, 0's based.
 * @nows: optimal write size, 0's based.
 * @mssrl: maximum single source range length (Copy).
 * @mcl: maximum copy length.
 * @msrc: maximum source range count, 0's based.
 * @rsvd81: reserved.
 * @nulbaf: number of unique capability LBA formats.
 * @rsvd83: reserved.
 * @anagrpid: ANA group identifier.
 * @rsvd96: reserved.
 * @nsattr: namespace attributes (SIO_NVME_NSATTR_*).
 * @nvmsetid: NVM set identifier.
 * @endgid: endurance group identifier.
 * @nguid: namespace globally unique identifier.
 * @eui64: IEEE extended unique identifier.
 * @lbaf: LBA formats 0-63.
 * @rsvd384: reserved.
 * @vs: vendor specific.
 */
struct sio_nvme_ns_data {
	uint64_t nsze;
	uint64_t ncap;
	uint64_t nuse;
	uint8_t nsfeat;
	uint8_t nlbaf;
	uint8_t flbas;
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	uint16_t nawun;
	uint16_t nawupf;
	uint16_t nacwu;
	uint16_t nabsn;
	uint16_t nabo;
	uint16_t nabspf;
	uint16_t noiob;
	uint8_t nvmcap[16];
	uint16_t npwg;
	uint16_t npwa;
	uint16_t npdg;
	uint16_t npda;
	uint16_t nows;
	uint16_t mssrl;
	uint32_t mcl;
	uint8_t msrc;
	uint8_t rsvd81;
	uint8_t nulbaf;
	uint8_t rsvd83[9];
	uint32_t anagrpid;
	uint8_t rsvd96[3];
	uint8_t nsattr;
	uint16_t nvmsetid;
	uint16_t endgid;
	uint8_t nguid[16];
	uint8_t eui64[8];
	struct sio_nvme_lbaf lbaf[64];
	uint8_t rsvd384[3328];
	uint8_t vs[384];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ns_data, SIO_NVME_IDENTIFY_DATA_SIZE);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, ncap, 8);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nuse, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nsfeat, 24);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, flbas, 26);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, dlfeat, 33);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nawun, 34);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, noiob, 46);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nvmcap, 48);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, npwg, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nows, 72);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, mssrl, 74);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, mcl, 76);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, msrc, 80);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nulbaf, 82);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, anagrpid, 92);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nsattr, 99);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nvmsetid, 100);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, endgid, 102);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, nguid, 104);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, eui64, 120);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, lbaf, 128);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_data, vs, 3712);

/**
 * sio_nvme_ns_lbaf_index() - The index into lbaf[] of the format in use.
 * @ns: Identify Namespace data.
 *
 * Context: any thread.
 * Return: 0-63, from FLBAS bits 3:0 and 6:5.
 */
static inline unsigned int sio_nvme_ns_lbaf_index(const struct sio_nvme_ns_data *ns)
{
	return (ns->flbas & SIO_NVME_FLBAS_INDEX_LO_MASK) | ((ns->flbas & SIO_NVME_FLBAS_INDEX_HI_MASK) >> 1);
}

/** NSTAT bit 0: namespace ready. */
#define SIO_NVME_NSTAT_READY (1u << 0)

/**
 * struct sio_nvme_ns_independent_data - I/O Command Set Independent Identify
 * Namespace data, CNS 08h (Base 2.0 Figure 280). Linux asks for it before
 * the command set specific data on controllers of version 2.0 and later.
 *
 * @nsfeat: common namespace features.
 * @nmic: namespace multi-path I/O and sharing.
 * @rescap: reservation capabilities.
 * @fpi: format progress indicator.
 * @anagrpid: ANA group identifier.
 * @nsattr: namespace attributes.
 * @rsvd9: reserved.
 * @nvmsetid: NVM set identifier.
 * @endgid: endurance group identifier.
 * @nstat: namespace status (SIO_NVME_NSTAT_*).
 * @rsvd15: reserved.
 */
struct sio_nvme_ns_independent_data {
	uint8_t nsfeat;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint32_t anagrpid;
	uint8_t nsattr;
	uint8_t rsvd9;
	uint16_t nvmsetid;
	uint16_t endgid;
	uint8_t nstat;
	uint8_t rsvd15[4081];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ns_independent_data, SIO_NVME_IDENTIFY_DATA_SIZE);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_independent_data, anagrpid, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_independent_data, nvmsetid, 10);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_independent_data, nstat, 14);

/**
 * struct sio_nvme_nvm_ns_data - NVM command set specific Identify Namespace
 * data, CNS 05h CSI 00h (NVM Command Set 1.0 Figure 100): protection
 * information formats per LBA format.
 *
 * @lbstm: logical block storage tag mask.
 * @pic: protection information capabilities.
 * @rsvd9: reserved.
 * @elbaf: extended LBA formats 0-63: bits 6:0 storage tag size, 8:7 protection
 *	information format.
 * @rsvd268: reserved.
 */
struct sio_nvme_nvm_ns_data {
	uint64_t lbstm;
	uint8_t pic;
	uint8_t rsvd9[3];
	uint32_t elbaf[64];
	uint8_t rsvd268[3828];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_nvm_ns_data, SIO_NVME_IDENTIFY_DATA_SIZE);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_nvm_ns_data, pic, 8);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_nvm_ns_data, elbaf, 12);

/**
 * struct sio_nvme_nvm_ctrlr_data - NVM command set specific Identify
 * Controller data, CNS 06h CSI 00h (NVM Command Set 1.0 Figure 101): the
 * size limits of non-read/write commands, which Linux reads to size
 * discard and write-zeroes requests.
 *
 * @vsl: Verify size limit, 2^n units of CAP.MPSMIN (0: none).
 * @wzsl: Write Zeroes size limit, same units.
 * @wusl: Write Uncorrectable size limit, same units.
 * @dmrl: Dataset Management ranges limit (0: none).
 * @dmrsl: Dataset Management range size limit, logical blocks.
 * @dmsl: Dataset Management size limit, logical blocks.
 * @rsvd16: reserved.
 */
struct sio_nvme_nvm_ctrlr_data {
	uint8_t vsl;
	uint8_t wzsl;
	uint8_t wusl;
	uint8_t dmrl;
	uint32_t dmrsl;
	uint64_t dmsl;
	uint8_t rsvd16[4080];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_nvm_ctrlr_data, SIO_NVME_IDENTIFY_DATA_SIZE);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_nvm_ctrlr_data, dmrsl, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_nvm_ctrlr_data, dmsl, 8);

/**
 * struct sio_nvme_iocs_vector_data - Identify I/O Command Set data
 * structure, CNS 1Ch (Base 2.0 Figure 290): 512 command set combinations,
 * each a 64-bit vector of CSI bits.
 *
 * @iocsc: I/O command set combinations.
 */
struct sio_nvme_iocs_vector_data {
	uint64_t iocsc[512];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_iocs_vector_data, SIO_NVME_IDENTIFY_DATA_SIZE);

/** Entries of an Active Namespace ID list (CNS 02h/07h). */
#define SIO_NVME_NS_LIST_MAX 1024

/**
 * struct sio_nvme_ns_list - Namespace ID list, CNS 02h (Base 2.0 section
 * 4.4.3): active NSIDs in increasing order, zero-filled after the last.
 *
 * @ns_list: the NSIDs.
 */
struct sio_nvme_ns_list {
	uint32_t ns_list[SIO_NVME_NS_LIST_MAX];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ns_list, SIO_NVME_IDENTIFY_DATA_SIZE);

/** Namespace Identifier Types (Base 2.0 Figure 279). */
enum sio_nvme_nidt {
	SIO_NVME_NIDT_EUI64 = 0x1, /**< IEEE EUI-64, 8 bytes */
	SIO_NVME_NIDT_NGUID = 0x2, /**< namespace GUID, 16 bytes */
	SIO_NVME_NIDT_UUID = 0x3,  /**< namespace UUID (RFC 4122), 16 bytes */
	SIO_NVME_NIDT_CSI = 0x4,   /**< command set identifier, 1 byte */
};

/** NIDL for each type. */
enum sio_nvme_nidl {
	SIO_NVME_NIDL_EUI64 = 8,  /**< length of an EUI64 */
	SIO_NVME_NIDL_NGUID = 16, /**< length of an NGUID */
	SIO_NVME_NIDL_UUID = 16,  /**< length of a UUID */
	SIO_NVME_NIDL_CSI = 1,    /**< length of a CSI */
};

/**
 * struct sio_nvme_ns_id_desc - Header of one namespace identification
 * descriptor, CNS 03h (Base 2.0 Figure 278). The 4096-byte list is a run of
 * these, each followed by @nidl bytes of identifier, ended by a zero @nidt.
 *
 * @nidt: namespace identifier type (enum sio_nvme_nidt).
 * @nidl: namespace identifier length (enum sio_nvme_nidl).
 * @rsvd2: reserved.
 * @nid: the identifier.
 */
struct sio_nvme_ns_id_desc {
	uint8_t nidt;
	uint8_t nidl;
	uint16_t rsvd2;
	uint8_t nid[];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ns_id_desc, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ns_id_desc, nid, 4);

/* ------------------------------------------------------------------------- */
/* Log pages (Base 2.0 section 5.16)                                         */
/* ------------------------------------------------------------------------- */

/** Log page identifiers (Base 2.0 Figure 202). */
enum sio_nvme_log_page {
	SIO_NVME_LOG_SUPPORTED_LOG_PAGES = 0x00,     /**< Supported Log Pages */
	SIO_NVME_LOG_ERROR = 0x01,                   /**< Error Information */
	SIO_NVME_LOG_HEALTH_INFORMATION = 0x02,      /**< SMART / Health Information */
	SIO_NVME_LOG_FIRMWARE_SLOT = 0x03,           /**< Firmware Slot Information */
	SIO_NVME_LOG_CHANGED_NS_LIST = 0x04,         /**< Changed Namespace List */
	SIO_NVME_LOG_COMMAND_EFFECTS = 0x05,         /**< Commands Supported and Effects */
	SIO_NVME_LOG_DEVICE_SELF_TEST = 0x06,        /**< Device Self-test */
	SIO_NVME_LOG_TELEMETRY_HOST = 0x07,          /**< Telemetry Host-Initiated */
	SIO_NVME_LOG_TELEMETRY_CTRLR = 0x08,         /**< Telemetry Controller-Initiated */
	SIO_NVME_LOG_ENDURANCE_GROUP = 0x09,         /**< Endurance Group Information */
	SIO_NVME_LOG_PREDICTABLE_LATENCY = 0x0a,     /**< Predictable Latency Per NVM Set */
	SIO_NVME_LOG_PREDICTABLE_LATENCY_EVENT = 0x0b, /**< Predictable Latency Event Aggregate */
	SIO_NVME_LOG_ANA = 0x0c,                     /**< Asymmetric Namespace Access */
	SIO_NVME_LOG_PERSISTENT_EVENT = 0x0d,        /**< Persistent Event Log */
	SIO_NVME_LOG_ENDURANCE_GROUP_EVENT = 0x0f,   /**< Endurance Group Event Aggregate */
	SIO_NVME_LOG_MEDIA_UNIT_STATUS = 0x10,       /**< Media Unit Status */
	SIO_NVME_LOG_CAPACITY_CONFIG_LIST = 0x11,    /**< Supported Capacity Configuration List */
	SIO_NVME_LOG_FEATURE_IDS_EFFECTS = 0x12,     /**< Feature Identifiers Supported and Effects */
	SIO_NVME_LOG_NVME_MI_EFFECTS = 0x13,         /**< NVMe-MI Commands Supported and Effects */
	SIO_NVME_LOG_LOCKDOWN = 0x14,                /**< Command and Feature Lockdown */
	SIO_NVME_LOG_BOOT_PARTITION = 0x15,          /**< Boot Partition */
	SIO_NVME_LOG_ROTATIONAL_MEDIA = 0x16,        /**< Rotational Media Information */
	SIO_NVME_LOG_DISCOVERY = 0x70,               /**< Discovery (Fabrics discovery controllers) */
	SIO_NVME_LOG_RESERVATION_NOTIFICATION = 0x80, /**< Reservation Notification */
	SIO_NVME_LOG_SANITIZE_STATUS = 0x81,         /**< Sanitize Status */
};

/** Get Log Page CDW10 from LID, LSP, RAE and the low 16 bits of NUMD (0's based dwords). */
#define SIO_NVME_GET_LOG_CDW10(lid, lsp, rae, numdl) \
	((uint32_t)(lid) | ((uint32_t)(lsp) << 8) | ((uint32_t)!!(rae) << 15) | ((uint32_t)(numdl) << 16))
/** Get Log Page CDW11 from the high 16 bits of NUMD and the log specific identifier. */
#define SIO_NVME_GET_LOG_CDW11(numdu, lsi) ((uint32_t)(numdu) | ((uint32_t)(lsi) << 16))

/**
 * struct sio_nvme_error_info_entry - One 64-byte Error Information log entry
 * (Base 2.0 Figure 205).
 *
 * @error_count: unique, increasing error number (0: entry empty).
 * @sqid: submission queue of the failed command.
 * @cid: command identifier of the failed command.
 * @status: status field of its completion (union sio_nvme_status; bit 0 phase).
 * @error_location: byte (bits 7:0) and bit (10:8) of the command parameter in error.
 * @lba: first LBA that saw the error.
 * @nsid: namespace of the error.
 * @vendor_specific: vendor specific information available (log page ID).
 * @trtype: transport type of the command (enum sio_nvmf_trtype).
 * @rsvd30: reserved.
 * @command_specific: command specific information.
 * @trtype_specific: transport type specific information.
 * @rsvd42: reserved.
 */
struct sio_nvme_error_info_entry {
	uint64_t error_count;
	uint16_t sqid;
	uint16_t cid;
	union sio_nvme_status status;
	uint16_t error_location;
	uint64_t lba;
	uint32_t nsid;
	uint8_t vendor_specific;
	uint8_t trtype;
	uint8_t rsvd30[2];
	uint64_t command_specific;
	uint16_t trtype_specific;
	uint8_t rsvd42[22];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_error_info_entry, 64);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_error_info_entry, status, 12);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_error_info_entry, lba, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_error_info_entry, nsid, 24);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_error_info_entry, trtype, 29);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_error_info_entry, command_specific, 32);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_error_info_entry, trtype_specific, 40);

/** SMART critical warning bits (Base 2.0 Figure 207, byte 0). */
enum sio_nvme_critical_warning {
	SIO_NVME_CW_SPARE = 1u << 0,           /**< available spare below threshold */
	SIO_NVME_CW_TEMPERATURE = 1u << 1,     /**< temperature outside a threshold */
	SIO_NVME_CW_RELIABILITY = 1u << 2,     /**< reliability degraded by media errors */
	SIO_NVME_CW_READ_ONLY = 1u << 3,       /**< media placed in read-only mode */
	SIO_NVME_CW_VOLATILE_BACKUP = 1u << 4, /**< volatile memory backup device failed */
	SIO_NVME_CW_PMR_READ_ONLY = 1u << 5,   /**< persistent memory region read-only or unreliable */
};

/**
 * struct sio_nvme_health_information_page - SMART / Health Information log,
 * 512 bytes (Base 2.0 Figure 207). 128-bit counters are little-endian byte
 * arrays; data units are thousands of 512-byte units.
 *
 * @critical_warning: enum sio_nvme_critical_warning bits.
 * @temperature: composite temperature, kelvin (unaligned, bytes 1-2).
 * @available_spare: percent.
 * @available_spare_threshold: percent.
 * @percentage_used: percent of life used (may exceed 100).
 * @endurance_group_critical_warning: endurance group critical warning summary.
 * @rsvd7: reserved.
 * @data_units_read: data units read.
 * @data_units_written: data units written.
 * @host_read_commands: host read commands.
 * @host_write_commands: host write commands.
 * @controller_busy_time: minutes busy with I/O.
 * @power_cycles: power cycles.
 * @power_on_hours: power-on hours.
 * @unsafe_shutdowns: unsafe shutdowns.
 * @media_errors: unrecovered data integrity errors.
 * @num_error_info_log_entries: error information log entries over the life.
 * @warning_temp_time: minutes above the warning threshold.
 * @critical_temp_time: minutes above the critical threshold.
 * @temp_sensor: temperature sensors 1-8, kelvin.
 * @thm_temp1_trans_count: thermal management temperature 1 transition count.
 * @thm_temp2_trans_count: thermal management temperature 2 transition count.
 * @thm_temp1_total_time: total time in thermal management temperature 1, seconds.
 * @thm_temp2_total_time: total time in thermal management temperature 2, seconds.
 * @rsvd232: reserved.
 */
struct sio_nvme_health_information_page {
	uint8_t critical_warning;
	uint16_t temperature;
	uint8_t available_spare;
	uint8_t available_spare_threshold;
	uint8_t percentage_used;
	uint8_t endurance_group_critical_warning;
	uint8_t rsvd7[25];
	uint8_t data_units_read[16];
	uint8_t data_units_written[16];
	uint8_t host_read_commands[16];
	uint8_t host_write_commands[16];
	uint8_t controller_busy_time[16];
	uint8_t power_cycles[16];
	uint8_t power_on_hours[16];
	uint8_t unsafe_shutdowns[16];
	uint8_t media_errors[16];
	uint8_t num_error_info_log_entries[16];
	uint32_t warning_temp_time;
	uint32_t critical_temp_time;
	uint16_t temp_sensor[8];
	uint32_t thm_temp1_trans_count;
	uint32_t thm_temp2_trans_count;
	uint32_t thm_temp1_total_time;
	uint32_t thm_temp2_total_time;
	uint8_t rsvd232[280];
} __attribute__((packed));
SIO_NVME_STATIC_SIZE(struct sio_nvme_health_information_page, 512);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, temperature, 1);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, available_spare, 3);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, endurance_group_critical_warning, 6);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, data_units_read, 32);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, power_on_hours, 128);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, num_error_info_log_entries, 176);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, warning_temp_time, 192);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, temp_sensor, 200);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, thm_temp1_trans_count, 216);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_health_information_page, thm_temp2_total_time, 228);

/**
 * struct sio_nvme_firmware_page - Firmware Slot Information log, 512 bytes
 * (Base 2.0 Figure 208).
 *
 * @afi: active firmware info: bits 2:0 active slot, 6:4 slot at next reset.
 * @rsvd1: reserved.
 * @frs: firmware revision of slots 1-7 (8 ASCII characters each).
 * @rsvd64: reserved.
 */
struct sio_nvme_firmware_page {
	uint8_t afi;
	uint8_t rsvd1[7];
	char frs[7][8];
	uint8_t rsvd64[448];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_firmware_page, 512);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_firmware_page, frs, 8);

/** Entries of the Changed Namespace List log; a first entry FFFFFFFFh means more than that changed. */
#define SIO_NVME_MAX_CHANGED_NAMESPACES 1024

/**
 * struct sio_nvme_ns_list_log - Changed Namespace List log, 4096 bytes
 * (Base 2.0 Figure 209).
 *
 * @ns_list: changed NSIDs in increasing order, zero-filled after the last.
 */
struct sio_nvme_ns_list_log {
	uint32_t ns_list[SIO_NVME_MAX_CHANGED_NAMESPACES];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ns_list_log, 4096);

/** Commands Supported and Effects entry bits (Base 2.0 Figure 211). */
enum sio_nvme_cmd_effects {
	SIO_NVME_CMD_EFFECTS_CSUPP = 1u << 0,  /**< command supported */
	SIO_NVME_CMD_EFFECTS_LBCC = 1u << 1,   /**< logical block content change */
	SIO_NVME_CMD_EFFECTS_NCC = 1u << 2,    /**< namespace capability change */
	SIO_NVME_CMD_EFFECTS_NIC = 1u << 3,    /**< namespace inventory change */
	SIO_NVME_CMD_EFFECTS_CCC = 1u << 4,    /**< controller capability change */
	SIO_NVME_CMD_EFFECTS_CSE_MASK = 7u << 16, /**< command submission and execution (bits 18:16) */
	SIO_NVME_CMD_EFFECTS_UUID_SEL = 1u << 19, /**< UUID selection supported */
};

/**
 * struct sio_nvme_cmds_and_effect_log_page - Commands Supported and Effects
 * log, 4096 bytes (Base 2.0 Figure 210).
 *
 * @admin_cmds_supported: one entry per admin opcode (enum sio_nvme_cmd_effects).
 * @io_cmds_supported: one entry per I/O opcode.
 * @rsvd2048: reserved.
 */
struct sio_nvme_cmds_and_effect_log_page {
	uint32_t admin_cmds_supported[256];
	uint32_t io_cmds_supported[256];
	uint8_t rsvd2048[2048];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_cmds_and_effect_log_page, 4096);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_cmds_and_effect_log_page, io_cmds_supported, 1024);

/**
 * struct sio_nvme_supported_log_pages - Supported Log Pages log, LID 00h,
 * 1024 bytes (Base 2.0 Figure 204).
 *
 * @lids: one dword per log page identifier; bit 0 (LSUPP) set when supported,
 *	bit 1 (IOS) when the index offset is supported.
 */
struct sio_nvme_supported_log_pages {
	uint32_t lids[256];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_supported_log_pages, 1024);

/** ANA states (Base 2.0 Figure 224). */
enum sio_nvme_ana_state {
	SIO_NVME_ANA_OPTIMIZED = 0x1,       /**< optimized */
	SIO_NVME_ANA_NON_OPTIMIZED = 0x2,   /**< non-optimized */
	SIO_NVME_ANA_INACCESSIBLE = 0x3,    /**< inaccessible */
	SIO_NVME_ANA_PERSISTENT_LOSS = 0x4, /**< persistent loss */
	SIO_NVME_ANA_CHANGE = 0xf,          /**< change in progress */
};

/**
 * struct sio_nvme_ana_page - Header of the Asymmetric Namespace Access log,
 * LID 0Ch (Base 2.0 Figure 222); @num_ana_group_desc group descriptors
 * follow.
 *
 * @change_count: incremented when the log changes.
 * @num_ana_group_desc: number of group descriptors.
 * @rsvd10: reserved.
 */
struct sio_nvme_ana_page {
	uint64_t change_count;
	uint16_t num_ana_group_desc;
	uint8_t rsvd10[6];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ana_page, 16);

/**
 * struct sio_nvme_ana_group_descriptor - One ANA group descriptor (Base 2.0
 * Figure 223), followed by @num_of_nsid NSIDs.
 *
 * @ana_group_id: ANA group ID.
 * @num_of_nsid: number of NSIDs that follow (0 when RGO is set).
 * @change_count: change count of the group.
 * @ana_state: bits 3:0 enum sio_nvme_ana_state.
 * @rsvd17: reserved.
 * @nsid: the NSIDs.
 */
struct sio_nvme_ana_group_descriptor {
	uint32_t ana_group_id;
	uint32_t num_of_nsid;
	uint64_t change_count;
	uint8_t ana_state;
	uint8_t rsvd17[15];
	uint32_t nsid[];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_ana_group_descriptor, 32);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_ana_group_descriptor, ana_state, 16);

/* ------------------------------------------------------------------------- */
/* Discovery log page (Base 2.0 section 5.16.1.23 / NVMe-oF 1.1 5.3)         */
/* ------------------------------------------------------------------------- */

/** Transport types, TRTYPE (NVMe-oF 1.1 Figure 38). */
enum sio_nvmf_trtype {
	SIO_NVMF_TRTYPE_RDMA = 0x1,       /**< RDMA */
	SIO_NVMF_TRTYPE_FC = 0x2,         /**< Fibre Channel */
	SIO_NVMF_TRTYPE_TCP = 0x3,        /**< TCP */
	SIO_NVMF_TRTYPE_INTRA_HOST = 0xfe, /**< intra-host transport (loopback) */
};

/** Address families, ADRFAM (NVMe-oF 1.1 Figure 38). */
enum sio_nvmf_adrfam {
	SIO_NVMF_ADRFAM_IPV4 = 0x1,       /**< AF_INET */
	SIO_NVMF_ADRFAM_IPV6 = 0x2,       /**< AF_INET6 */
	SIO_NVMF_ADRFAM_IB = 0x3,         /**< InfiniBand */
	SIO_NVMF_ADRFAM_FC = 0x4,         /**< Fibre Channel */
	SIO_NVMF_ADRFAM_INTRA_HOST = 0xfe, /**< intra-host transport */
};

/** Subsystem types, SUBTYPE (NVMe-oF 1.1 Figure 38; TP 8013). */
enum sio_nvmf_subtype {
	SIO_NVMF_SUBTYPE_DISCOVERY = 0x1,         /**< referral to a discovery subsystem */
	SIO_NVMF_SUBTYPE_NVME = 0x2,              /**< an NVM subsystem */
	SIO_NVMF_SUBTYPE_DISCOVERY_CURRENT = 0x3, /**< the discovery subsystem being queried */
};

/** TREQ bits 1:0: secure channel (NVMe-oF 1.1 Figure 38). */
enum sio_nvmf_treq_secure_channel {
	SIO_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED = 0x0, /**< not specified */
	SIO_NVMF_TREQ_SECURE_CHANNEL_REQUIRED = 0x1,      /**< required */
	SIO_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED = 0x2,  /**< not required */
};
/** TREQ bit 2: the controller supports disabling SQ flow control. */
#define SIO_NVMF_TREQ_DISABLE_SQ_FLOW (1u << 2)

/** EFLAGS bit 0: duplicate returned information. */
#define SIO_NVMF_DISC_EFLAGS_DUPRETINFO (1u << 0)
/** EFLAGS bit 1: explicit persistent connection support for discovery. */
#define SIO_NVMF_DISC_EFLAGS_EPCSD (1u << 1)
/** EFLAGS bit 2: no centralized discovery controller connectivity (NCC). */
#define SIO_NVMF_DISC_EFLAGS_NCC (1u << 2)

/** TSAS.tcp.sectype for NVMe/TCP (NVMe/TCP 1.0 Figure 4). */
enum sio_nvmf_tcp_sectype {
	SIO_NVMF_TCP_SECTYPE_NONE = 0x0,  /**< no security */
	SIO_NVMF_TCP_SECTYPE_TLS12 = 0x1, /**< TLS 1.2 */
	SIO_NVMF_TCP_SECTYPE_TLS13 = 0x2, /**< TLS 1.3 */
};

/** TRSVCID field length: ASCII, space padded (NVMe-oF 1.1 Figure 38). */
#define SIO_NVMF_TRSVCID_MAX_LEN 32
/** TRADDR field length: ASCII, space padded. */
#define SIO_NVMF_TRADDR_MAX_LEN 256
/** TSAS field length. */
#define SIO_NVMF_TSAS_LEN 256

/**
 * union sio_nvmf_tsas - Transport specific address subtype (NVMe-oF 1.1 Figure 38, 39).
 *
 * @raw: the 256 bytes.
 * @rdma: RDMA: @rdma.rdma_qptype, @rdma.rdma_prtype, @rdma.rdma_cms,
 *	@rdma.rdma_pkey.
 * @tcp: TCP: @tcp.sectype (enum sio_nvmf_tcp_sectype).
 */
union sio_nvmf_tsas {
	uint8_t raw[SIO_NVMF_TSAS_LEN];
	struct {
		uint8_t rdma_qptype;
		uint8_t rdma_prtype;
		uint8_t rdma_cms;
		uint8_t rsvd3[5];
		uint16_t rdma_pkey;
		uint8_t rsvd10[246];
	} rdma;
	struct {
		uint8_t sectype;
		uint8_t rsvd1[255];
	} tcp;
};
SIO_NVME_STATIC_SIZE(union sio_nvmf_tsas, 256);

/**
 * struct sio_nvmf_discovery_log_page_entry - One 1024-byte discovery log
 * entry (NVMe-oF 1.1 Figure 38).
 *
 * @trtype: transport type (enum sio_nvmf_trtype).
 * @adrfam: address family (enum sio_nvmf_adrfam).
 * @subtype: subsystem type (enum sio_nvmf_subtype).
 * @treq: transport requirements (enum sio_nvmf_treq_secure_channel,
 *	SIO_NVMF_TREQ_DISABLE_SQ_FLOW).
 * @portid: NVM subsystem port ID.
 * @cntlid: controller ID (SIO_NVMF_CNTLID_DYNAMIC for dynamic controllers).
 * @asqsz: admin maximum SQ size (at least 32).
 * @eflags: entry flags (SIO_NVMF_DISC_EFLAGS_*).
 * @rsvd12: reserved.
 * @trsvcid: transport service ID (TCP port as decimal ASCII), space padded.
 * @rsvd64: reserved.
 * @subnqn: subsystem NQN, NUL terminated.
 * @traddr: transport address (IP address in ASCII), space padded.
 * @tsas: transport specific address subtype.
 */
struct sio_nvmf_discovery_log_page_entry {
	uint8_t trtype;
	uint8_t adrfam;
	uint8_t subtype;
	uint8_t treq;
	uint16_t portid;
	uint16_t cntlid;
	uint16_t asqsz;
	uint16_t eflags;
	uint8_t rsvd12[20];
	char trsvcid[SIO_NVMF_TRSVCID_MAX_LEN];
	uint8_t rsvd64[192];
	char subnqn[SIO_NVMF_NQN_FIELD_LEN];
	char traddr[SIO_NVMF_TRADDR_MAX_LEN];
	union sio_nvmf_tsas tsas;
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_discovery_log_page_entry, 1024);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, portid, 4);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, cntlid, 6);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, asqsz, 8);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, eflags, 10);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, trsvcid, 32);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, subnqn, 256);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, traddr, 512);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page_entry, tsas, 768);

/**
 * struct sio_nvmf_discovery_log_page - Discovery log page: a 1024-byte
 * header and @numrec entries (NVMe-oF 1.1 Figure 37).
 *
 * @genctr: generation counter, incremented whenever the log changes; a host
 *	reading in pieces rereads it last and restarts on a change.
 * @numrec: number of records.
 * @recfmt: record format, 0.
 * @rsvd14: reserved.
 * @entries: the records.
 */
struct sio_nvmf_discovery_log_page {
	uint64_t genctr;
	uint64_t numrec;
	uint16_t recfmt;
	uint8_t rsvd14[1006];
	struct sio_nvmf_discovery_log_page_entry entries[];
};
SIO_NVME_STATIC_SIZE(struct sio_nvmf_discovery_log_page, 1024);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page, numrec, 8);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page, recfmt, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvmf_discovery_log_page, entries, 1024);

/* ------------------------------------------------------------------------- */
/* Features (Base 2.0 section 5.27.1)                                        */
/* ------------------------------------------------------------------------- */

/** Feature identifiers (Base 2.0 Figure 317; NVM Command Set Figure 86). */
enum sio_nvme_feat {
	SIO_NVME_FEAT_ARBITRATION = 0x01,              /**< Arbitration */
	SIO_NVME_FEAT_POWER_MANAGEMENT = 0x02,         /**< Power Management */
	SIO_NVME_FEAT_LBA_RANGE_TYPE = 0x03,           /**< LBA Range Type */
	SIO_NVME_FEAT_TEMPERATURE_THRESHOLD = 0x04,    /**< Temperature Threshold */
	SIO_NVME_FEAT_ERROR_RECOVERY = 0x05,           /**< Error Recovery */
	SIO_NVME_FEAT_VOLATILE_WRITE_CACHE = 0x06,     /**< Volatile Write Cache */
	SIO_NVME_FEAT_NUMBER_OF_QUEUES = 0x07,         /**< Number of Queues */
	SIO_NVME_FEAT_INTERRUPT_COALESCING = 0x08,     /**< Interrupt Coalescing */
	SIO_NVME_FEAT_INTERRUPT_VECTOR_CONFIGURATION = 0x09, /**< Interrupt Vector Configuration */
	SIO_NVME_FEAT_WRITE_ATOMICITY = 0x0a,          /**< Write Atomicity Normal */
	SIO_NVME_FEAT_ASYNC_EVENT_CONFIGURATION = 0x0b, /**< Asynchronous Event Configuration */
	SIO_NVME_FEAT_AUTONOMOUS_POWER_STATE_TRANSITION = 0x0c, /**< Autonomous Power State Transition */
	SIO_NVME_FEAT_HOST_MEM_BUFFER = 0x0d,          /**< Host Memory Buffer */
	SIO_NVME_FEAT_TIMESTAMP = 0x0e,                /**< Timestamp */
	SIO_NVME_FEAT_KEEP_ALIVE_TIMER = 0x0f,         /**< Keep Alive Timer */
	SIO_NVME_FEAT_HOST_CONTROLLED_THERMAL_MANAGEMENT = 0x10, /**< Host Controlled Thermal Management */
	SIO_NVME_FEAT_NON_OPERATIONAL_POWER_STATE_CONFIG = 0x11, /**< Non-Operational Power State Config */
	SIO_NVME_FEAT_READ_RECOVERY_LEVEL_CONFIG = 0x12, /**< Read Recovery Level Config */
	SIO_NVME_FEAT_PREDICTABLE_LATENCY_MODE_CONFIG = 0x13, /**< Predictable Latency Mode Config */
	SIO_NVME_FEAT_PREDICTABLE_LATENCY_MODE_WINDOW = 0x14, /**< Predictable Latency Mode Window */
	SIO_NVME_FEAT_HOST_BEHAVIOR_SUPPORT = 0x16,    /**< Host Behavior Support */
	SIO_NVME_FEAT_SANITIZE_CONFIG = 0x17,          /**< Sanitize Config */
	SIO_NVME_FEAT_ENDURANCE_GROUP_EVENT = 0x18,    /**< Endurance Group Event Configuration */
	SIO_NVME_FEAT_IO_COMMAND_SET_PROFILE = 0x19,   /**< I/O Command Set Profile */
	SIO_NVME_FEAT_SPINUP_CONTROL = 0x1a,           /**< Spinup Control */
	SIO_NVME_FEAT_ENHANCED_CTRLR_METADATA = 0x7d,  /**< Enhanced Controller Metadata */
	SIO_NVME_FEAT_CTRLR_METADATA = 0x7e,           /**< Controller Metadata */
	SIO_NVME_FEAT_NS_METADATA = 0x7f,              /**< Namespace Metadata */
	SIO_NVME_FEAT_SOFTWARE_PROGRESS_MARKER = 0x80, /**< Software Progress Marker */
	SIO_NVME_FEAT_HOST_IDENTIFIER = 0x81,          /**< Host Identifier */
	SIO_NVME_FEAT_HOST_RESERVE_MASK = 0x82,        /**< Reservation Notification Mask */
	SIO_NVME_FEAT_HOST_RESERVE_PERSIST = 0x83,     /**< Reservation Persistence */
	SIO_NVME_FEAT_NS_WRITE_PROTECTION_CONFIG = 0x84, /**< Namespace Write Protection Config */
};

/** Get Features SEL, CDW10 bits 10:8 (Base 2.0 Figure 191). */
enum sio_nvme_feat_sel {
	SIO_NVME_FEAT_SEL_CURRENT = 0x0,   /**< current value */
	SIO_NVME_FEAT_SEL_DEFAULT = 0x1,   /**< default value */
	SIO_NVME_FEAT_SEL_SAVED = 0x2,     /**< saved value */
	SIO_NVME_FEAT_SEL_SUPPORTED = 0x3, /**< capabilities (saveable, namespace specific, changeable) */
};

/** Get Features CDW10 from FID and SEL. */
#define SIO_NVME_GET_FEATURES_CDW10(fid, sel) ((uint32_t)(fid) | ((uint32_t)(sel) << 8))
/** Set Features CDW10 from FID and SV (save across resets). */
#define SIO_NVME_SET_FEATURES_CDW10(fid, sv) ((uint32_t)(fid) | ((uint32_t)!!(sv) << 31))

/**
 * union sio_nvme_feat_arbitration - Arbitration, FID 01h, CDW11 (Base 2.0 Figure 320).
 *
 * @raw: the dword.
 * @bits: @bits.ab arbitration burst (2^n, 7 = no limit), @bits.lpw, @bits.mpw,
 *	@bits.hpw low/medium/high priority weights, 0's based.
 */
union sio_nvme_feat_arbitration {
	uint32_t raw;
	struct {
		uint32_t ab : 3;
		uint32_t rsvd1 : 5;
		uint32_t lpw : 8;
		uint32_t mpw : 8;
		uint32_t hpw : 8;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_arbitration, 4);

/**
 * union sio_nvme_feat_power_management - Power Management, FID 02h, CDW11 (Base 2.0 Figure 322).
 *
 * @raw: the dword.
 * @bits: @bits.ps power state, @bits.wh workload hint.
 */
union sio_nvme_feat_power_management {
	uint32_t raw;
	struct {
		uint32_t ps : 5;
		uint32_t wh : 3;
		uint32_t rsvd1 : 24;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_power_management, 4);

/**
 * union sio_nvme_feat_temperature_threshold - Temperature Threshold, FID
 * 04h, CDW11 (Base 2.0 Figure 326).
 *
 * @raw: the dword.
 * @bits: @bits.tmpth threshold in kelvin, @bits.tmpsel sensor (0 composite,
 *	1-8 sensors, Fh all), @bits.thsel 0 over-temperature, 1 under-temperature.
 */
union sio_nvme_feat_temperature_threshold {
	uint32_t raw;
	struct {
		uint32_t tmpth : 16;
		uint32_t tmpsel : 4;
		uint32_t thsel : 2;
		uint32_t rsvd1 : 10;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_temperature_threshold, 4);

/**
 * union sio_nvme_feat_error_recovery - Error Recovery, FID 05h, CDW11 (Base 2.0 Figure 328).
 *
 * @raw: the dword.
 * @bits: @bits.tler time limited error recovery in 100 ms (0: none),
 *	@bits.dulbe deallocated or unwritten logical block error enable.
 */
union sio_nvme_feat_error_recovery {
	uint32_t raw;
	struct {
		uint32_t tler : 16;
		uint32_t dulbe : 1;
		uint32_t rsvd1 : 15;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_error_recovery, 4);

/**
 * union sio_nvme_feat_volatile_write_cache - Volatile Write Cache, FID 06h,
 * CDW11 (Base 2.0 Figure 330).
 *
 * @raw: the dword.
 * @bits: @bits.wce write cache enable.
 */
union sio_nvme_feat_volatile_write_cache {
	uint32_t raw;
	struct {
		uint32_t wce : 1;
		uint32_t rsvd1 : 31;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_volatile_write_cache, 4);

/**
 * union sio_nvme_feat_number_of_queues - Number of Queues, FID 07h (Base
 * 2.0 Figure 332, 333): CDW11 as requested and completion dword 0 as
 * allocated, both 0's based.
 *
 * @raw: the dword.
 * @bits: @bits.nsqr I/O submission queues, @bits.ncqr I/O completion queues.
 */
union sio_nvme_feat_number_of_queues {
	uint32_t raw;
	struct {
		uint32_t nsqr : 16;
		uint32_t ncqr : 16;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_number_of_queues, 4);

/** Asynchronous Event Configuration bits 7:0: SMART / health critical warnings (enum sio_nvme_critical_warning). */
#define SIO_NVME_AEC_CRIT_WARN_MASK 0xffu
/** Asynchronous Event Configuration bit 8: namespace attribute notices. */
#define SIO_NVME_AEC_NS_ATTR_NOTICES (1u << 8)
/** Asynchronous Event Configuration bit 9: firmware activation notices. */
#define SIO_NVME_AEC_FW_ACTIVATION_NOTICES (1u << 9)
/** Asynchronous Event Configuration bit 10: telemetry log notices. */
#define SIO_NVME_AEC_TELEMETRY_LOG_NOTICES (1u << 10)
/** Asynchronous Event Configuration bit 11: ANA change notices. */
#define SIO_NVME_AEC_ANA_CHANGE_NOTICES (1u << 11)
/** Asynchronous Event Configuration bit 12: predictable latency event aggregate log change notices. */
#define SIO_NVME_AEC_PRED_LAT_NOTICES (1u << 12)
/** Asynchronous Event Configuration bit 13: LBA status information notices. */
#define SIO_NVME_AEC_LBA_STATUS_NOTICES (1u << 13)
/** Asynchronous Event Configuration bit 14: endurance group event aggregate log change notices. */
#define SIO_NVME_AEC_ENDURANCE_NOTICES (1u << 14)
/** Asynchronous Event Configuration bit 15: normal NVM subsystem shutdown notices. */
#define SIO_NVME_AEC_NVM_SHUTDOWN_NOTICES (1u << 15)
/** Asynchronous Event Configuration bit 31: discovery log page change notices (discovery controllers). */
#define SIO_NVME_AEC_DISCOVERY_LOG_CHANGE_NOTICES (1u << 31)

/**
 * union sio_nvme_feat_async_event_configuration - Asynchronous Event
 * Configuration, FID 0Bh, CDW11 (Base 2.0 Figure 340): which events raise an
 * Asynchronous Event Request completion.
 *
 * @raw: the dword.
 * @bits: the enables:
 *	@bits.crit_warn: SMART / health critical warnings (enum sio_nvme_critical_warning bits);
 *	@bits.ns_attr: namespace attribute notices;
 *	@bits.fw_activation: firmware activation notices;
 *	@bits.telemetry_log: telemetry log notices;
 *	@bits.ana_change: ANA change notices;
 *	@bits.pred_lat_aggregate: predictable latency event aggregate log change;
 *	@bits.lba_status: LBA status information notices;
 *	@bits.endurance_aggregate: endurance group event aggregate log change;
 *	@bits.nvm_shutdown: normal NVM subsystem shutdown notices;
 *	@bits.discovery_log_change: discovery log page change (discovery controllers).
 */
union sio_nvme_feat_async_event_configuration {
	uint32_t raw;
	struct {
		uint32_t crit_warn : 8;
		uint32_t ns_attr : 1;
		uint32_t fw_activation : 1;
		uint32_t telemetry_log : 1;
		uint32_t ana_change : 1;
		uint32_t pred_lat_aggregate : 1;
		uint32_t lba_status : 1;
		uint32_t endurance_aggregate : 1;
		uint32_t nvm_shutdown : 1;
		uint32_t rsvd1 : 15;
		uint32_t discovery_log_change : 1;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_async_event_configuration, 4);

/**
 * union sio_nvme_feat_keep_alive_timer - Keep Alive Timer, FID 0Fh, CDW11
 * (Base 2.0 Figure 348).
 *
 * @raw: the dword.
 * @bits: @bits.kato keep alive timeout in milliseconds (0: disabled).
 */
union sio_nvme_feat_keep_alive_timer {
	uint32_t raw;
	struct {
		uint32_t kato;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_keep_alive_timer, 4);

/**
 * union sio_nvme_feat_host_identifier - Host Identifier, FID 81h, CDW11
 * (Base 2.0 Figure 370). The identifier itself is the command's data (8 or
 * 16 bytes); on Fabrics it is the Connect data's HOSTID and cannot be set.
 *
 * @raw: the dword.
 * @bits: @bits.exhid extended (128-bit) host identifier.
 */
union sio_nvme_feat_host_identifier {
	uint32_t raw;
	struct {
		uint32_t exhid : 1;
		uint32_t rsvd1 : 31;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_feat_host_identifier, 4);

/**
 * struct sio_nvme_host_behavior - Host Behavior Support, FID 16h: the
 * 512-byte data of Set/Get Features (Base 2.0 Figure 357). Linux sets ACRE
 * when Identify Controller reports command retry delay times.
 *
 * @acre: advanced command retry enable (CRD in completions is honored).
 * @etdas: extended telemetry data area 4 supported.
 * @lbafee: LBA format extension enable.
 * @rsvd3: reserved.
 */
struct sio_nvme_host_behavior {
	uint8_t acre;
	uint8_t etdas;
	uint8_t lbafee;
	uint8_t rsvd3[509];
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_host_behavior, 512);

/* ------------------------------------------------------------------------- */
/* Admin command dwords for queue management (Base 2.0 section 5)            */
/* ------------------------------------------------------------------------- */

/** Create I/O CQ / SQ CDW10 from the queue ID and its 0's based size. */
#define SIO_NVME_CREATE_QUEUE_CDW10(qid, qsize) ((uint32_t)(qid) | ((uint32_t)(qsize) << 16))
/** Create I/O CQ CDW11 bit 0 and Create I/O SQ CDW11 bit 0: physically contiguous. */
#define SIO_NVME_QUEUE_PHYS_CONTIG (1u << 0)
/** Create I/O CQ CDW11 bit 1: interrupts enabled; bits 31:16 the interrupt vector. */
#define SIO_NVME_CQ_IRQ_ENABLED (1u << 1)
/** Create I/O SQ CDW11 bits 2:1: queue priority (0 urgent ... 3 low); bits 31:16 the CQ ID. */
#define SIO_NVME_SQ_QPRIO_SHIFT 1
/** Abort CDW10 from the SQ ID and the CID of the command to abort. */
#define SIO_NVME_ABORT_CDW10(sqid, cid) ((uint32_t)(sqid) | ((uint32_t)(cid) << 16))

/* ------------------------------------------------------------------------- */
/* Asynchronous events (Base 2.0 section 5.2)                                */
/* ------------------------------------------------------------------------- */

/** Asynchronous event types (Base 2.0 Figure 146). */
enum sio_nvme_async_event_type {
	SIO_NVME_ASYNC_EVENT_TYPE_ERROR = 0x0,  /**< error status */
	SIO_NVME_ASYNC_EVENT_TYPE_SMART = 0x1,  /**< SMART / health status */
	SIO_NVME_ASYNC_EVENT_TYPE_NOTICE = 0x2, /**< notice */
	SIO_NVME_ASYNC_EVENT_TYPE_IO = 0x6,     /**< I/O command set specific status */
	SIO_NVME_ASYNC_EVENT_TYPE_VENDOR = 0x7, /**< vendor specific */
};

/** Asynchronous event information for type Error (Base 2.0 Figure 147). */
enum sio_nvme_async_event_info_error {
	SIO_NVME_ASYNC_EVENT_WRITE_INVALID_DB = 0x0,       /**< write to invalid doorbell register */
	SIO_NVME_ASYNC_EVENT_INVALID_DB_WRITE = 0x1,       /**< invalid doorbell write value */
	SIO_NVME_ASYNC_EVENT_DIAGNOSTIC_FAILURE = 0x2,     /**< diagnostic failure */
	SIO_NVME_ASYNC_EVENT_PERSISTENT_INTERNAL = 0x3,    /**< persistent internal error */
	SIO_NVME_ASYNC_EVENT_TRANSIENT_INTERNAL = 0x4,     /**< transient internal error */
	SIO_NVME_ASYNC_EVENT_FW_IMAGE_LOAD = 0x5,          /**< firmware image load error */
};

/** Asynchronous event information for type SMART / Health (Base 2.0 Figure 148). */
enum sio_nvme_async_event_info_smart {
	SIO_NVME_ASYNC_EVENT_SUBSYSTEM_RELIABILITY = 0x0, /**< NVM subsystem reliability */
	SIO_NVME_ASYNC_EVENT_TEMPERATURE_THRESHOLD = 0x1, /**< temperature threshold */
	SIO_NVME_ASYNC_EVENT_SPARE_BELOW_THRESHOLD = 0x2, /**< spare below threshold */
};

/** Asynchronous event information for type Notice (Base 2.0 Figure 149). */
enum sio_nvme_async_event_info_notice {
	SIO_NVME_ASYNC_EVENT_NS_ATTR_CHANGED = 0x0,        /**< namespace attribute changed (log 04h) */
	SIO_NVME_ASYNC_EVENT_FW_ACTIVATION_START = 0x1,    /**< firmware activation starting */
	SIO_NVME_ASYNC_EVENT_TELEMETRY_LOG_CHANGED = 0x2,  /**< telemetry log changed */
	SIO_NVME_ASYNC_EVENT_ANA_CHANGE = 0x3,             /**< asymmetric namespace access change */
	SIO_NVME_ASYNC_EVENT_PRED_LAT_AGGREGATE = 0x4,     /**< predictable latency event aggregate log change */
	SIO_NVME_ASYNC_EVENT_LBA_STATUS_ALERT = 0x5,       /**< LBA status information alert */
	SIO_NVME_ASYNC_EVENT_ENDURANCE_AGGREGATE = 0x6,    /**< endurance group event aggregate log change */
	SIO_NVME_ASYNC_EVENT_NVM_SHUTDOWN = 0x7,           /**< normal NVM subsystem shutdown */
	SIO_NVME_ASYNC_EVENT_DISCOVERY_LOG_CHANGE = 0xf0,  /**< discovery log page change (log 70h) */
};

/** Asynchronous event information for type I/O command set specific (Base 2.0 Figure 150). */
enum sio_nvme_async_event_info_io {
	SIO_NVME_ASYNC_EVENT_RESERVATION_LOG_AVAIL = 0x0,   /**< reservation log page available */
	SIO_NVME_ASYNC_EVENT_SANITIZE_COMPLETED = 0x1,      /**< sanitize operation completed */
	SIO_NVME_ASYNC_EVENT_SANITIZE_UNEXPECTED_DEALLOC = 0x2, /**< sanitize completed with unexpected deallocation */
};

/**
 * union sio_nvme_async_event_completion - Completion dword 0 of an
 * Asynchronous Event Request (Base 2.0 Figure 145).
 *
 * @raw: the dword.
 * @bits: @bits.async_event_type (enum sio_nvme_async_event_type),
 *	@bits.async_event_info (per type), @bits.log_page_identifier (the log to
 *	read to clear the event).
 */
union sio_nvme_async_event_completion {
	uint32_t raw;
	struct {
		uint32_t async_event_type : 3;
		uint32_t rsvd1 : 5;
		uint32_t async_event_info : 8;
		uint32_t log_page_identifier : 8;
		uint32_t rsvd2 : 8;
	} bits;
};
SIO_NVME_STATIC_SIZE(union sio_nvme_async_event_completion, 4);

/* ------------------------------------------------------------------------- */
/* NVM command dwords (NVM Command Set 1.0 section 3)                        */
/* ------------------------------------------------------------------------- */

/** Read/Write/Compare/Write Zeroes CDW12 bit 31: Limited Retry. */
#define SIO_NVME_IO_FLAGS_LIMITED_RETRY (1u << 31)
/** CDW12 bit 30: Force Unit Access. */
#define SIO_NVME_IO_FLAGS_FORCE_UNIT_ACCESS (1u << 30)
/** CDW12 bits 29:26: protection information field (PRINFO). */
#define SIO_NVME_IO_FLAGS_PRINFO_MASK (0xfu << 26)
/** Write Zeroes CDW12 bit 25: deallocate (DEAC). */
#define SIO_NVME_IO_FLAGS_DEALLOCATE (1u << 25)
/** CDW12 bits 15:0: number of logical blocks, 0's based. */
#define SIO_NVME_IO_NLB_MASK 0xffffu

/** Dataset Management attributes, CDW11 (NVM Command Set Figure 38). */
enum sio_nvme_dsm_attribute {
	SIO_NVME_DSM_ATTR_INTEGRAL_READ = 1u << 0,  /**< IDR: optimize for integral reads */
	SIO_NVME_DSM_ATTR_INTEGRAL_WRITE = 1u << 1, /**< IDW: optimize for integral writes */
	SIO_NVME_DSM_ATTR_DEALLOCATE = 1u << 2,     /**< AD: deallocate the ranges (unmap) */
};

/** Most ranges one Dataset Management command carries (CDW10 NR is 0's based, 8 bits). */
#define SIO_NVME_DATASET_MANAGEMENT_MAX_RANGES 256

/**
 * struct sio_nvme_dsm_range - One 16-byte Dataset Management range (NVM
 * Command Set Figure 39).
 *
 * @attributes: context attributes (access frequency, latency...).
 * @length: length in logical blocks.
 * @starting_lba: first LBA.
 */
struct sio_nvme_dsm_range {
	uint32_t attributes;
	uint32_t length;
	uint64_t starting_lba;
};
SIO_NVME_STATIC_SIZE(struct sio_nvme_dsm_range, 16);
SIO_NVME_STATIC_OFFSET(struct sio_nvme_dsm_range, starting_lba, 8);

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
