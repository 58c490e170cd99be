/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's tracepoints and groups, in one table (the layers above
 * record them by id through SIO_TRACE(); the env layer only describes them,
 * so a reader can name every record). Group numbers are SPDK's.
 */
#include "trace_internal.h"

const struct trace_group_name trace_groups[] = {
	{"bdev", SIO_TRACE_GROUP_BDEV},
	{"nvmf_tcp", SIO_TRACE_GROUP_NVMF_TCP},
	{"thread", SIO_TRACE_GROUP_THREAD},
	{"nvme_pcie", SIO_TRACE_GROUP_NVME_PCIE},
	{"nvme_tcp", SIO_TRACE_GROUP_NVME_TCP},
	{"sock", SIO_TRACE_GROUP_SOCK},
	{"blob", SIO_TRACE_GROUP_BLOB},
};
const size_t trace_group_count = sizeof(trace_groups) / sizeof(trace_groups[0]);

#define TP(id_, kind_, name_, owner_, object_, a0_, a1_, a2_)                       \
	{                                                                           \
		.id = (id_), .kind = (kind_), .name = (name_), .owner_type = (owner_), \
		.object_type = (object_), .arg_names = {a0_, a1_, a2_},             \
	}

const struct sio_trace_tpoint_info trace_builtin_tpoints[] = {
	/* owner: the bdev's registration index; object: the sio_bdev_io. */
	TP(SIO_TP_BDEV_IO_START, SIO_TRACE_START, "BDEV_IO_START", "bdev", "bdev_io", "type",
	   "offset_blocks", "num_blocks"),
	TP(SIO_TP_BDEV_IO_DONE, SIO_TRACE_END, "BDEV_IO_DONE", "bdev", "bdev_io", "status", "", ""),

	/* owner: the queue pair; object: the request. */
	TP(SIO_TP_NVMF_TCP_REQ_NEW, SIO_TRACE_START, "TCP_REQ_NEW", "nvmf_tcp_qp", "nvmf_tcp_req",
	   "opc", "cid", "nsid"),
	TP(SIO_TP_NVMF_TCP_REQ_H2C, SIO_TRACE_INSTANT, "TCP_REQ_TX_H_TO_C", "nvmf_tcp_qp",
	   "nvmf_tcp_req", "length", "", ""),
	TP(SIO_TP_NVMF_TCP_REQ_EXEC, SIO_TRACE_INSTANT, "TCP_REQ_EXECUTING", "nvmf_tcp_qp",
	   "nvmf_tcp_req", "opc", "", ""),
	TP(SIO_TP_NVMF_TCP_REQ_EXECUTED, SIO_TRACE_INSTANT, "TCP_REQ_EXECUTED", "nvmf_tcp_qp",
	   "nvmf_tcp_req", "status", "", ""),
	TP(SIO_TP_NVMF_TCP_REQ_C2H, SIO_TRACE_INSTANT, "TCP_REQ_TX_C_TO_H", "nvmf_tcp_qp",
	   "nvmf_tcp_req", "length", "", ""),
	TP(SIO_TP_NVMF_TCP_REQ_DONE, SIO_TRACE_END, "TCP_REQ_COMPLETED", "nvmf_tcp_qp",
	   "nvmf_tcp_req", "status", "", ""),
	TP(SIO_TP_NVMF_TCP_PDU_TX, SIO_TRACE_INSTANT, "TCP_PDU_TX", "nvmf_tcp_qp", "", "pdu_type",
	   "length", ""),
	TP(SIO_TP_NVMF_TCP_PDU_RX, SIO_TRACE_INSTANT, "TCP_PDU_RX", "nvmf_tcp_qp", "", "pdu_type",
	   "length", ""),

	/* owner: the sio_thread's id; object: the poller / the message function. */
	TP(SIO_TP_THREAD_POLLER_RUN, SIO_TRACE_INSTANT, "THREAD_POLLER_RUN", "thread", "poller",
	   "rc", "", ""),
	TP(SIO_TP_THREAD_MSG_RUN, SIO_TRACE_INSTANT, "THREAD_MSG_RUN", "thread", "msg_fn", "", "",
	   ""),

	/* owner: the queue pair; object: the request (cid in a0). */
	TP(SIO_TP_NVME_PCIE_SUBMIT, SIO_TRACE_START, "NVME_PCIE_SUBMIT", "nvme_pcie_qp", "nvme_req",
	   "cid", "opc", "bytes"),
	TP(SIO_TP_NVME_PCIE_COMPLETE, SIO_TRACE_END, "NVME_PCIE_COMPLETE", "nvme_pcie_qp",
	   "nvme_req", "cid", "status", ""),
	TP(SIO_TP_NVME_TCP_SUBMIT, SIO_TRACE_START, "NVME_TCP_SUBMIT", "nvme_tcp_qp", "nvme_req",
	   "cid", "opc", "bytes"),
	TP(SIO_TP_NVME_TCP_COMPLETE, SIO_TRACE_END, "NVME_TCP_COMPLETE", "nvme_tcp_qp", "nvme_req",
	   "cid", "status", ""),

	/* owner: the socket. */
	TP(SIO_TP_SOCK_RECV, SIO_TRACE_INSTANT, "SOCK_RECV", "sock", "", "bytes", "", ""),
	TP(SIO_TP_SOCK_SEND, SIO_TRACE_INSTANT, "SOCK_SEND", "sock", "", "bytes", "", ""),

	/* owner: the blob id; object: the operation. */
	TP(SIO_TP_BLOB_IO_START, SIO_TRACE_START, "BLOB_IO_START", "blob", "blob_op", "type",
	   "offset", "length"),
	TP(SIO_TP_BLOB_IO_DONE, SIO_TRACE_END, "BLOB_IO_DONE", "blob", "blob_op", "status", "", ""),
	TP(SIO_TP_BLOB_MD_START, SIO_TRACE_START, "BLOB_MD_START", "blobstore", "md_buf", "op", "page",
	   "npages"),
	TP(SIO_TP_BLOB_MD_DONE, SIO_TRACE_END, "BLOB_MD_DONE", "blobstore", "md_buf", "status", "", ""),
};
const size_t trace_builtin_tpoint_count =
	sizeof(trace_builtin_tpoints) / sizeof(trace_builtin_tpoints[0]);
