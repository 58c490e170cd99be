#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""NVMe/TCP with the secure channel (TLS 1.3 PSK) against without, in one run:
sio_nvme_perf against sio_tgt with a null bdev over loopback, one core each,
the two listeners of one target (secure and plain) measured alternately so
both see the same machine load; the ratio per round is the figure.

  4 KiB random reads at QD 32, 128 KiB sequential reads at QD 16 (-t each).

With --ktls the target's "ssl" implementation and the host ask for kernel TLS
(SSL_OP_ENABLE_KTLS); the target's log says per connection whether it
engaged (", kTLS"), and the script reports it.

usage: bench_tls_nvme.py BUILD_DIR [-t SECONDS] [-r ROUNDS] [--ktls]
"""
import argparse
import base64
import binascii
import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

SUB = 'nqn.2016-06.io.spdk-io:bench-tls'
HOST = 'nqn.2014-08.org.nvmexpress:uuid:0b0b0b0b-1111-4222-8333-444444444444'


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build')
    ap.add_argument('-t', type=int, default=5)
    ap.add_argument('-r', type=int, default=3)
    ap.add_argument('--ktls', action='store_true')
    a = ap.parse_args()
    tgt_bin = os.path.join(a.build, 'tools/sio_tgt/sio_tgt')
    perf = os.path.join(a.build, 'tools/nvme_perf/sio_nvme_perf')
    d = tempfile.mkdtemp(prefix='bench_tls.')
    psk = os.urandom(32)
    crc = struct.pack('<I', binascii.crc32(psk) & 0xffffffff)
    kf = os.path.join(d, 'key')
    fd = os.open(kf, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, ('NVMeTLSkey-1:01:%s:' % base64.b64encode(psk + crc).decode()).encode())
    os.close(fd)
    p_tls, p_plain = free_port(), free_port()
    la = lambda p: {'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1', 'trsvcid': str(p)}
    sock_cfg = [{'method': 'sock_impl_set_options',
                 'params': {'impl_name': 'ssl', 'enable_ktls': bool(a.ktls)}}]
    cfg = {'subsystems': [
        {'subsystem': 'keyring', 'config': [
            {'method': 'keyring_file_add_key', 'params': {'name': 'k', 'path': kf}}]},
        {'subsystem': 'sock', 'config': sock_cfg},
        {'subsystem': 'bdev', 'config': [
            {'method': 'bdev_null_create',
             'params': {'name': 'Null0', 'num_blocks': 262144, 'block_size': 4096}}]},
        {'subsystem': 'nvmf', 'config': [
            {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
            {'method': 'nvmf_create_subsystem',
             'params': {'nqn': SUB, 'allow_any_host': True, 'serial_number': 'BENCHTLS'}},
            {'method': 'nvmf_subsystem_add_ns',
             'params': {'nqn': SUB, 'namespace': {'bdev_name': 'Null0'}}},
            {'method': 'nvmf_subsystem_add_host',
             'params': {'nqn': SUB, 'host': HOST, 'psk': 'k'}},
            {'method': 'nvmf_subsystem_add_listener',
             'params': {'nqn': SUB, 'listen_address': la(p_tls), 'secure_channel': True}},
            {'method': 'nvmf_subsystem_add_listener',
             'params': {'nqn': SUB, 'listen_address': la(p_plain)}}]}]}
    with open(os.path.join(d, 'tgt.json'), 'w') as f:
        json.dump(cfg, f)
    log = open(os.path.join(d, 'tgt.log'), 'w')
    # Pinned as README's NVMe/TCP figures are: target on core 0, perf's worker on core 1.
    tgt = subprocess.Popen(['taskset', '-c', '0', tgt_bin, '-m', '0x1', '-c', os.path.join(d, 'tgt.json'), '-r',
                            os.path.join(d, 'rpc.sock')], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        if 'port %d' % p_plain in open(os.path.join(d, 'tgt.log')).read():
            break
        time.sleep(0.1)

    def one(port, tls, qd, size, pattern):
        out = os.path.join(d, 'perf.json')
        cmd = ['taskset', '-c', '1', perf, '-r', 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d subnqn:%s '
               'hostnqn:%s' % (port, SUB, HOST), '-q', str(qd), '-o', str(size), '-w', pattern,
               '-t', str(a.t), '-c', '0x2', '--results-json', out]
        if tls:
            cmd += ['--psk-path', kf] + (['--enable-ktls'] if a.ktls else [])
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            sys.exit('perf failed: ' + r.stdout.decode()[-2000:])
        t = json.load(open(out))['total']
        return t['iops'], t['mibps'], t['avg_lat_us']

    res = {}
    try:
        for rnd in range(a.r):
            for name, qd, size, pat in (('4k_qd32_randread', 32, 4096, 'randread'),
                                        ('128k_qd16_read', 16, 131072, 'read')):
                # Alternate which goes first, so neither always sees the same moment.
                order = [False, True] if rnd % 2 == 0 else [True, False]
                for tls in order:
                    v = one(p_tls if tls else p_plain, tls, qd, size, pat)
                    res.setdefault((name, tls), []).append(v)
                    print('round %d %-17s %-5s %10.0f IOPS %9.1f MiB/s %9.1f us' %
                          (rnd + 1, name, 'TLS' if tls else 'plain', v[0], v[1], v[2]),
                          flush=True)
    finally:
        tgt.terminate()
        tgt.wait()
        log.close()
    print()
    for name in ('4k_qd32_randread', '128k_qd16_read'):
        pl = res[(name, False)]
        tl = res[(name, True)]
        ratios = [t[0] / p[0] for p, t in zip(pl, tl)]
        print('%-17s plain median %9.0f IOPS %8.1f MiB/s | TLS median %9.0f IOPS %8.1f MiB/s | '
              'TLS/plain per round %s, median %.2f' %
              (name, statistics.median(x[0] for x in pl), statistics.median(x[1] for x in pl),
               statistics.median(x[0] for x in tl), statistics.median(x[1] for x in tl),
               ' '.join('%.2f' % r for r in ratios), statistics.median(ratios)))
    tlog = open(os.path.join(d, 'tgt.log')).read()
    hs = [int(x) for x in re.findall(r'handshake (\d+) us', tlog)]
    ktls = len(re.findall(r'handshake \d+ us, kTLS', tlog))
    print('TLS connections: %d, target-side handshake (accept to Finished) median %d us; '
          'kTLS engaged on %d of them%s' % (len(hs), statistics.median(hs) if hs else 0, ktls,
                                            ' (asked for)' if a.ktls else ' (not asked)'))
    print('load average: %s' % open('/proc/loadavg').read().split()[:3])


if __name__ == '__main__':
    main()
