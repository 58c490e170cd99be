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
