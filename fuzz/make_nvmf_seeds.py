#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds for fuzz_nvmf_tcp: valid and almost-valid NVMe/TCP host PDU streams
(byte 0 is the harness's preamble mode, see fuzz_nvmf_tcp.c).
usage: make_nvmf_seeds.py OUTDIR"""
import os
import struct
import sys


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def ch(ptype, flags, hlen, pdo, plen):
    return struct.pack('<BBBBI', ptype, flags, hlen, pdo, plen)


def icreq(dgst=0):
    return ch(0, 0, 128, 0, 128) + struct.pack('<HBBI', 0, 0, dgst, 0) + bytes(112)


def sqe(opc, cid, nsid=0, sgl_len=0, sgl_id=0x5a, cdw=(0, 0, 0, 0, 0, 0)):
    return struct.pack('<BBHIIIQQI3sB6I', opc, 0x40, cid, nsid, 0, 0, 0, 0, sgl_len, bytes(3),
                       sgl_id, *cdw)


def capsule(cmd, data=b'', hd=False):
    hlen = 72
    hdl = 4 if hd else 0
    pdo = hlen + hdl if data else 0
    plen = hlen + hdl + len(data)
    hdr = ch(4, 1 if hd else 0, hlen, pdo, plen) + cmd
    if hd:
        hdr += struct.pack('<I', crc32c(hdr))
    return hdr + data


def h2c(cid, ttag, off, data, last=True):
    return ch(6, 4 if last else 0, 24, 24, 24 + len(data)) + \
        struct.pack('<HHII4s', cid, ttag, off, len(data), bytes(4)) + data


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {
        'raw_icreq': bytes([0]) + icreq(),
        'raw_icreq_digests': bytes([0]) + icreq(3),
        'raw_cmd_before_icreq': bytes([0]) + capsule(sqe(0x06, 1, sgl_len=4096, cdw=(1, 0, 0, 0, 0, 0))),
        'ic_bad_plen': bytes([1]) + ch(4, 0, 72, 0, 16),
        'ic_unknown_type': bytes([1]) + ch(0x0b, 0, 8, 0, 8),
        'ic_second_icreq': bytes([1]) + icreq(),
        'admin_identify_ctrlr': bytes([2]) + capsule(sqe(0x06, 9, sgl_len=4096, cdw=(1, 0, 0, 0, 0, 0))),
        'admin_identify_ns': bytes([2]) + capsule(sqe(0x06, 9, nsid=1, sgl_len=4096)),
        'admin_get_log_smart': bytes([2]) + capsule(sqe(0x02, 9, nsid=0xffffffff, sgl_len=512,
                                                          cdw=(0x02 | 127 << 16, 0, 0, 0, 0, 0))),
        'admin_aer_then_keepalive': bytes([2]) + capsule(sqe(0x0c, 9)) + capsule(sqe(0x18, 10)),
        'admin_set_features_kato': bytes([2]) + capsule(sqe(0x09, 9, cdw=(0x0f, 5000, 0, 0, 0, 0))),
        'admin_property_get_cap': bytes([2]) + capsule(
            struct.pack('<BBHB35sB3sI16s', 0x7f, 0, 9, 4, bytes(35), 1, bytes(3), 0, bytes(16))),
        'admin_identify_digests': bytes([6]) + capsule(sqe(0x06, 9, sgl_len=4096, cdw=(1, 0, 0, 0, 0, 0)), hd=True),
        'io_write_incapsule': bytes([3]) + capsule(sqe(0x01, 5, nsid=1, sgl_len=512, sgl_id=0x01), bytes(range(256)) * 2),
        'io_write_r2t': bytes([3]) + capsule(sqe(0x01, 5, nsid=1, sgl_len=4096, cdw=(8, 0, 7, 0, 0, 0))) +
        h2c(5, 1, 0, b'\xab' * 4096),
        'io_write_r2t_bad_ttag': bytes([3]) + capsule(sqe(0x01, 5, nsid=1, sgl_len=4096, cdw=(8, 0, 7, 0, 0, 0))) +
        h2c(5, 77, 0, b'\xab' * 4096),
        'io_write_r2t_bad_offset': bytes([3]) + capsule(sqe(0x01, 5, nsid=1, sgl_len=4096, cdw=(8, 0, 7, 0, 0, 0))) +
        h2c(5, 1, 512, b'\xab' * 512),
        # Regression: an H2CData without data reached pdu_done with no command matched.
        'io_h2c_no_data': bytes([3]) + capsule(sqe(0x01, 5, nsid=1, sgl_len=4096, cdw=(8, 0, 7, 0, 0, 0))) +
        ch(6, 4, 24, 0, 24) + struct.pack('<HHII4s', 5, 1, 0, 0, bytes(4)),
        'io_h2c_no_data_no_cmd': bytes([3]) + ch(6, 4, 24, 0, 24) + struct.pack('<HHII4s', 5, 1, 0, 0, bytes(4)),
        'io_read': bytes([3]) + capsule(sqe(0x02, 6, nsid=1, sgl_len=4096, cdw=(0, 0, 7, 0, 0, 0))),
        'io_read_out_of_range': bytes([3]) + capsule(sqe(0x02, 6, nsid=1, sgl_len=4096, cdw=(255, 0, 7, 0, 0, 0))),
        'io_dsm': bytes([3]) + capsule(sqe(0x09, 7, nsid=1, sgl_len=16, sgl_id=0x01, cdw=(0, 4, 0, 0, 0, 0)),
                                       struct.pack('<IIQ', 0, 8, 16)),
        'io_unknown_opcode': bytes([3]) + capsule(sqe(0x7e, 7, nsid=1)),
        'io_many_cmds': bytes([3]) + b''.join(capsule(sqe(0x00, 100 + i, nsid=1)) for i in range(40)),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main(sys.argv[1])
