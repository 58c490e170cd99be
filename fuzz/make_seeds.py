#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the hand-made seed inputs of every target into fuzz/corpus/<target>/seed-*.

Seeds come from the inputs the unit tests use (tests/app, tests/bdev). Files the
fuzzer found (crash-*, or minimised corpus entries) live next to them and are
never touched by this script. Run it again after changing a seed below.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


CPUSETS = ['0x1', '0x3', '3', 'ff', 'FF', '0X10', ' 0x1 ', '[0,2-3]', '[0-1]', '0-3', '1,4',
           '[ 1 , 3 - 5 ]', '[]', '', '0x', 'zz', '[0,', '[3-1]', '0x0', '[1023]', '[1024]',
           '0x' + 'f' * 256, '0x1' + '0' * 255, '[0-1023]', '-', ',', '[,]', '[1-]']
for i, s in enumerate(CPUSETS):
    write('cpuset', '%02d' % i, s)

ARGS = [['-m', '0x3'], ['-m', '[0-1]', '-p', '1'], ['-s', '64'], ['-s', '4K'], ['-s', '1G'],
        ['-s', '17179869183G'], ['-s', 'G'], ['-s', '-1'], ['--mem-size=0x10'],
        ['-c', 'cfg.json', '-r', '/tmp/x.sock'], ['-L', 'bdev', '-L', 'rpc'],
        ['--log-level', 'debug'], ['--log-level=WARN'], ['--no-huge', '--huge', '--no-pci'],
        ['--wait-for-rpc'], ['-h'], ['-hm'], ['-m'], ['-x'], ['--nope'], ['extra'],
        ['-q', '128', '--quiet'], ['-q'], ['-p', '1024'], ['-p', '0x3ff']]
for i, a in enumerate(ARGS):
    write('args', '%02d' % i, b'\0'.join(x.encode() for x in a))

BDEV_CFG = {"subsystems": [{"subsystem": "bdev", "config": [
    {"method": "bdev_set_options", "params": {"bdev_io_pool_size": 1024, "bdev_io_cache_size": 32}},
    {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "block_size": 512,
                                                "num_blocks": 256}},
    {"method": "bdev_null_create", "params": {"name": "Null0", "block_size": 4096,
                                              "num_blocks": 1024}},
    {"method": "bdev_passthru_create", "params": {"base_bdev_name": "Malloc0", "name": "PT0"}},
    {"method": "bdev_delay_create", "params": {"base_bdev_name": "Null0", "name": "D0",
                                               "avg_read_latency": 1, "p99_read_latency": 2,
                                               "avg_write_latency": 1, "p99_write_latency": 2}},
    {"method": "bdev_error_create", "params": {"base_name": "Malloc0"}},
    {"method": "bdev_aio_create", "params": {"name": "A0", "filename": "/tmp/f", "block_size": 512}},
    {"method": "bdev_uring_create", "params": {"name": "U0", "filename": "/tmp/f"}},
    {"method": "bdev_wait_for_examine"}]}]}
CONFIGS = [
    json.dumps(BDEV_CFG, indent=2),
    '{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_malloc_create",'
    '"params":{"name":"Malloc0","block_size":512,"num_blocks":256}}]}]}',
    '{"subsystems":[]}', '{"subsystems":[{"subsystem":"bdev","config":null}]}',
    '{"subsystems":[{"subsystem":"bdev"}]}', '{"subsystems": [', '{"subsystems":{}}', '[]',
    '{"subsystems":[{"subsystem":"nope","config":[]}]}',
    '{"subsystems":[{"subsystem":"bdev","config":[{"method":"nope"}]}]}',
    '{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_malloc_create"}]}]}',
    '{"subsystems":[{"subsystem":"bdev","config":{}}]}',
    '{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_malloc_create",'
    '"params":{"name":"M","block_size":512,"num_blocks":1,"name":"dup"}}]}]}',
    '{"subsystems":[{"subsystem":"bdev","config":[{"method":"log_set_flag",'
    '"params":{"flag":"bdev"}}]}]}', '', 'null', '{"subsystems": [\n {"subsystem": "bdev",, }\n ]\n}\n',
]
for i, c in enumerate(CONFIGS):
    write('config', '%02d' % i, c)

# rpc_params: byte 0 picks the method (index into the sorted registered list,
# modulo its length); the seeds cover the first 64 indexes with the common shapes.
PARAMS = ['{}', 'null', '[]', '1', '{"name":"Malloc0","block_size":512,"num_blocks":256}',
          '{"name":"x","uuid":"0b1e4c2a-7f3d-4e5f-8a9b-0c1d2e3f4a5b"}', '{"flag":"bdev"}',
          '{"bdev_io_pool_size":4294967296}', '{"num_blocks":-1}', '{"num_blocks":9223372036854775807}',
          '{"sig_name":"SIGTERM"}', '{"current":true}', '{"name":"nope","timeout":100}',
          '{"latency_type":"avg_read","latency_us":5}', '{"io_type":"read","error_type":"failure","num":1}']
n = 0
for m in range(64):
    for p in PARAMS if m < 4 else PARAMS[:1] + PARAMS[4:]:
        if (m + n) % 3 == 0 or m < 4:
            write('rpc_params', '%03d' % n, bytes([m]) + p.encode())
        n += 1


def req(method, params=None, id=1):
    r = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        r["id"] = id
    if params is not None:
        r["params"] = params
    return json.dumps(r)


# rpc_server: byte 0 seeds the split points, byte 1 bounds the chunk size (255: one chunk).
STREAMS = [
    req("echo", {"s": "hi", "b": True, "i32": -5, "i64": 1 << 40, "u8": 255, "u16": 65535,
                 "u32": 4294967295, "u64": 9223372036854775807, "num": 1.5,
                 "uuid": "0b1e4c2a-7f3d-4e5f-8a9b-0c1d2e3f4a5b", "color": "red",
                 "obj": {"a": [1, {"b": None}]}, "arr": [1, "x", []]}),
    req("echo", {"color": "purple"}), req("echo", {"u8": 256}), req("echo", {"nope": 1}),
    req("echo", [1, 2]), req("error", {"code": -32000, "message": "bad"}), req("error", {"code": 0}),
    req("errno", {"code": 2}), req("errno", {"code": 0}), req("later", None, "x"),
    req("later") + req("echo", {"s": "after later"}, 2) + req("nothing", None, None),
    req("after") + "\n" + req("nothing", None, 3), req("startup_only"), req("nope"),
    req("nope", None, None), '{"jsonrpc":"1.0","id":1,"method":"echo"}',
    '{"jsonrpc":"2.0","id":[1],"method":"echo"}', '{"jsonrpc":"2.0","id":1,"method":5}',
    '{"jsonrpc":"2.0",,}', 'hello', '{"a":tru}', '123', '"str"', '[]', '[{"jsonrpc":"2.0"}]',
    '   \n\t ', '{"jsonrpc":"2.0","id":1,"method":"echo","params":{"s":"a\\"}{[b"}}',
    '{"jsonrpc":"2.0","id":1,"method":"echo","id":2}', '{"jsonrpc":"2.0","id":null,"method":"nothing"}',
    req("echo", {"s": "\u00e9\u4e2d\U0001f600"}) + '\n' + req("later", None, 9) + '{"unterminated":',
]
for i, s in enumerate(STREAMS):
    for j, (seed, chunk) in enumerate([(0, 255), (7, 0), (42, 6)]):
        write('rpc_server', '%02d-%d' % (i, j), bytes([seed, chunk]) + s.encode())


# nvme_tcp_pdu: byte 0 the setup (bit 0 target role, bit 1 header digests, bit 2
# data digests, bit 3 staging buffer, bits 4-5 PDA index into [0, 1, 7, 31], bit 6
# short iovecs), byte 1 the split seed, byte 2 the piece bound; then the stream
# from the peer: an IC PDU and PDUs of every type that role receives, encoded
# here independently of the C codec (NVMe/TCP 1.0 layouts, CRC32C digests).
def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t.append(c)
    return t


_CRC = _crc32c_table()


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = (c >> 8) ^ _CRC[(c ^ x) & 0xFF]
    return c ^ 0xFFFFFFFF


def _le(v, n):
    return v.to_bytes(n, 'little')


def tcp_pdu(ptype, psh, data=b'', hd=False, dd=False, pda=0, flags=0):
    """One PDU: CH + PDU-specific header, digests and padding as negotiated."""
    hlen = 8 + len(psh)
    hdl = 4 if hd else 0
    ddl = 4 if dd and data else 0
    if data:
        align = (pda + 1) * 4
        pdo = (hlen + hdl + align - 1) // align * align
        plen = pdo + len(data) + ddl
    else:
        pdo = 0
        plen = hlen + hdl
    flags |= (1 if hd else 0) | (2 if ddl else 0)
    hdr = bytes([ptype, flags, hlen, pdo]) + _le(plen, 4) + psh
    out = hdr + (_le(crc32c(hdr), 4) if hd else b'')
    if data:
        out += bytes(pdo - len(out)) + data + (_le(crc32c(data), 4) if ddl else b'')
    return out


def ic(ptype, pda=0, dgst=0, limit=0):
    return tcp_pdu(ptype, _le(0, 2) + bytes([pda, dgst]) + _le(limit, 4) + bytes(112))


def term(ptype, fes, fei, quote):
    hdr = bytes([ptype, 0, 24, 0]) + _le(24 + len(quote), 4) + _le(fes, 2) + _le(fei, 4) + bytes(10)
    return hdr + quote


def sqe(opc, cid, length):
    sgl = _le(0, 8) + _le(length, 4) + bytes(3) + bytes([0x01 if opc == 0x7f else 0x5a])
    return bytes([opc, 0]) + _le(cid, 2) + _le(1, 4) + bytes(16) + sgl + bytes(24)


def cqe(cid):
    return _le(0, 4) + _le(0, 4) + _le(1, 2) + _le(1, 2) + _le(cid, 2) + _le(0, 2)


def xfer(cccid, ttag, off, length):
    return _le(cccid, 2) + _le(ttag, 2) + _le(off, 4) + _le(length, 4) + bytes(4)


def pattern(n, s):
    return bytes((s * 31 + i * 7) & 0xFF for i in range(n))


PDAS = [0, 1, 7, 31]
n = 0
for setup in list(range(0, 64)) + [0x40, 0x41, 0x4e, 0x4f]:
    target = setup & 1
    hd, dd, pda = bool(setup & 2), bool(setup & 4), PDAS[(setup >> 4) & 3]
    dg = (1 if hd else 0) | (2 if dd else 0)
    if target:
        pdus = [ic(0x00, 0, dg, 3),
                tcp_pdu(0x04, sqe(0x02, 1, 4096), hd=hd, dd=dd, pda=pda),
                tcp_pdu(0x04, sqe(0x01, 2, 100), pattern(100, setup), hd, dd, pda),
                tcp_pdu(0x06, xfer(3, 7, 0, 3000), pattern(3000, 3), hd, dd, pda),
                tcp_pdu(0x06, xfer(3, 7, 3000, 1), b'\x55', hd, dd, pda, flags=0x04),
                term(0x02, 1, 4, bytes(24))]
    else:
        pdus = [ic(0x01, 0, dg, 65536),
                tcp_pdu(0x05, cqe(1), hd=hd),
                tcp_pdu(0x07, xfer(2, 0, 0, 4096), pattern(4096, 2), hd, dd, pda, flags=0x0c),
                tcp_pdu(0x07, xfer(3, 0, 0, 5), pattern(5, 5), hd, dd, pda),
                tcp_pdu(0x09, xfer(4, 9, 0, 65536), hd=hd),
                term(0x03, 2, 0, bytes(8))]
    # the whole session, and each PDU alone after the IC PDU, at a few settings only
    chunk = [0, 1, 7, 64][setup % 4]
    write('nvme_tcp_pdu', '%03d' % n, bytes([setup, setup * 5 & 0xFF, chunk]) + b''.join(pdus))
    n += 1
    if setup in (0, 1, 6, 7, 0x36, 0x37):
        for k in range(1, len(pdus)):
            write('nvme_tcp_pdu', '%03d' % n, bytes([setup, k, 0]) + pdus[0] + pdus[k])
            n += 1
# a few wrong ones: bad header digest, bad HLEN, PDO inside the header, two ICs
bad_hd = bytearray(tcp_pdu(0x05, cqe(1), hd=True))
bad_hd[25] ^= 1
for setup, s in [(2, ic(0x01, 0, 1, 65536) + bytes(bad_hd)),
                 (0, ic(0x01, 0, 0, 65536) + bytes([0x05, 0, 23, 0]) + _le(24, 4) + cqe(1)),
                 (0, ic(0x01, 0, 0, 65536) + bytes([0x07, 0, 24, 20]) + _le(40, 4) +
                  xfer(1, 0, 0, 16) + bytes(16)),
                 (0, ic(0x01, 0, 0, 65536) + ic(0x01, 0, 0, 65536)),
                 (0, tcp_pdu(0x05, cqe(1)))]:
    write('nvme_tcp_pdu', '%03d' % n, bytes([setup, 3, 0]) + s)
    n += 1

# nvme_tcp_pdu round-trip mode (setup bit 7): 16-byte descriptions (type selector,
# flags, CCCID, TTAG, offset, length, data length, length's top byte) that the C
# send path builds and the receive path must give back.
def desc(sel, flags, cid, ttag, off, length, dlen):
    return (bytes([sel, flags]) + _le(cid, 2) + _le(ttag, 2) + _le(off, 4) + _le(length & 0xFFFFFF, 3) +
            _le(dlen, 2) + bytes([length >> 24]))


RT = [desc(0, 0, 1, 0, 0, 0, 0), desc(0, 0, 2, 0, 5, 0, 100), desc(1, 1, 3, 7, 0, 0, 2000),
      desc(2, 3, 4, 9, 4096, 8192, 0), desc(1, 3, 5, 0, 0xFFFFFFF0, 0, 64), desc(2, 0, 6, 1, 0, 0, 0)]
for i, setup in enumerate([0x80, 0x81, 0x86, 0x87, 0xb6, 0xf7, 0x8f]):
    write('nvme_tcp_pdu', 'rt-%02d' % i, bytes([setup, i * 13, [0, 1, 9, 200][i % 4]]) + b''.join(RT[:3 + i % 4]))
