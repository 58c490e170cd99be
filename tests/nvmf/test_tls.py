#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""NVMe/TCP secure channel (TLS 1.3 with a PSK) between sio_tgt and our host,
judged also by programs we did not write.

sio_tgt gets, from its JSON config: two keys in the keyring (interchange
format, a SHA-256 key of 32 bytes and a SHA-384 key of 48), a malloc
namespace in subsystem SUB with two hosts, each with its key
(nvmf_subsystem_add_host ... psk), a secure_channel listener, and a second
subsystem on a plain listener.

 1. our host (test_nvme_host_tcp --psk) over TLS: connect, I/O verified,
    queue depth, reset, detach; with each key (both cipher suites);
 2. a wrong key, a TLS host on the plain listener and a plain host on the
    secure one are refused, with the reason in both logs;
 3. `openssl s_client` with the TLS PSK and identity computed here (python's
    hmac/hashlib: HKDF-Extract/Expand-Label as the NVMe/TCP spec says)
    completes the handshake with sio_tgt and carries an ICReq/ICResp and a
    Fabrics Connect through it; a Connect naming another host than the PSK
    identity is refused;
 4. `openssl s_server -nocert` with that PSK accepts our host's handshake
    and receives its ICReq in the clear inside TLS;
 5. tshark on a loopback capture: the TLS connection is TLS records
    (application data), and the controller's serial number, in clear on a
    plain connection, is nowhere in its bytes.

usage: test_tls.py BUILD_ROOT
"""
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

B = sys.argv[1]
TGT = os.path.join(B, 'tools/sio_tgt/sio_tgt')
HOSTTEST = os.path.join(B, 'tests/nvme/test_nvme_host_tcp')
PERF = os.path.join(B, 'tools/nvme_perf/sio_nvme_perf')
BPERF = os.path.join(B, 'tools/bdevperf/sio_bdevperf')
RPC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'sio_rpc.py')
SUB = 'nqn.2016-06.io.spdk-io:tls-sub'
SUB2 = 'nqn.2016-06.io.spdk-io:plain-sub'
HOST1 = 'nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555'
HOST2 = 'nqn.2014-08.org.nvmexpress:uuid:66666666-7777-4888-8999-aaaaaaaaaaaa'
SERIAL = 'SIOTLSSERIAL0042'


# ---- the NVMe/TCP TLS derivations, written here from the spec ----

def interchange(psk, hh):
    crc = binascii.crc32(psk) & 0xffffffff
    return 'NVMeTLSkey-1:%02x:%s:' % (hh, base64.b64encode(psk + struct.pack('<I', crc)).decode())


def expand_label(hname, ikm, label, context, length):
    """HKDF-Expand-Label(HKDF-Extract(0, ikm), label, context, length), RFC 8446/5869."""
    hlen = hashlib.new(hname).digest_size
    prk = hmac.new(b'\0' * hlen, ikm, hname).digest()
    full = b'tls13 ' + label
    info = struct.pack('>H', length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    out, t, i = b'', b'', 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hname).digest()
        out += t
        i += 1
    return out[:length]


def tls_psk(configured, hh, hostnqn, subnqn):
    """(identity, TLS PSK) for a configured PSK with interchange hash hh."""
    cs = 1 if len(configured) == 32 else 2
    hname = {1: 'sha256', 2: 'sha384'}
    retained = configured if hh == 0 else expand_label(hname[hh], configured, b'HostNQN',
                                                        hostnqn.encode(), len(configured))
    identity = 'NVMe0R%02d %s %s' % (cs, hostnqn, subnqn)
    return identity, expand_label(hname[cs], retained, b'nvme-tls-psk', identity.encode(),
                                  len(configured))


# ---- helpers ----

T = tempfile.mkdtemp(prefix='sio_tls.')
PROCS = []


def cleanup():
    sio_harness.kill_all(PROCS)
    shutil.rmtree(T, ignore_errors=True)


def key_file(name, text):
    return sio_harness.write_key_file(os.path.join(T, name), text)


free_port = sio_harness.free_port


def run(cmd, timeout=60, ok=True):
    print('$ ' + ' '.join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = r.stdout.decode(errors='replace')
    print(out[-3000:], flush=True)
    assert 'Sanitizer' not in out and 'runtime error' not in out, 'sanitizer report'
    if ok and r.returncode != 0:
        raise AssertionError('%s exited %d' % (cmd[0], r.returncode))
    return r.returncode, out


def tgt_log():
    return sio_harness.read_log(os.path.join(T, 'tgt.log'))


def wait_log(pattern, timeout=15):
    sio_harness.wait_log(os.path.join(T, 'tgt.log'), pattern, timeout)


trid = sio_harness.tcp_trid
icreq = sio_harness.icreq
connect_capsule = sio_harness.connect_capsule


def s_client(port, identity, psk, payload, cipher='TLS_AES_128_GCM_SHA256', want=128 + 24):
    """openssl s_client with a PSK: sends @payload, returns (stdout bytes, stderr)."""
    cmd = ['openssl', 's_client', '-connect', '127.0.0.1:%d' % port, '-tls1_3',
           '-ciphersuites', cipher, '-psk', psk.hex(), '-psk_identity', identity,
           '-quiet', '-no_ign_eof']
    print('$ ' + ' '.join(cmd[:-6] + ['-psk', '<derived>', '-psk_identity', repr(identity)]),
          flush=True)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    PROCS.append(p)
    p.stdin.write(payload)
    p.stdin.flush()
    os.set_blocking(p.stdout.fileno(), False)
    out = b''
    end = time.monotonic() + 15
    while len(out) < want and time.monotonic() < end and p.poll() is None:
        try:
            chunk = p.stdout.read()
        except BlockingIOError:
            chunk = None
        if chunk:
            out += chunk
        else:
            time.sleep(0.05)
    p.kill()
    _, err = p.communicate()
    return out, err.decode(errors='replace')


def tshark_part(p_tls, p_plain, f1):
    """Part 5; skipped (not failed) when tshark cannot capture on lo."""
    if True:
        cap = os.path.join(T, 'lo.pcapng')
        errf = os.path.join(T, 'tshark.err')
        dump = subprocess.Popen(['tshark', '-i', 'lo', '-f', 'tcp port %d or tcp port %d' %
                                 (p_tls, p_plain), '-w', cap, '-a', 'duration:120'],
                                stdout=subprocess.DEVNULL, stderr=open(errf, 'w'))
        PROCS.append(dump)
        end = time.monotonic() + 30
        while 'Capturing on' not in open(errf).read():
            if dump.poll() is not None or time.monotonic() > end:
                print('part 5 skipped: tshark cannot capture on lo: ' + open(errf).read())
                dump.kill()
                return
            time.sleep(0.1)
        time.sleep(0.5)
        run([PERF, '-r', trid(p_tls, SUB, HOST1), '--psk-path', f1, '-q', '4', '-o', '4096',
             '-w', 'randrw', '-M', '50', '-t', '1'])
        run([PERF, '-r', trid(p_plain, SUB2, HOST1), '-q', '4', '-o', '4096', '-w', 'randrw',
             '-M', '50', '-t', '1'])
        time.sleep(1.0)
        dump.send_signal(2)  # SIGINT: dumpcap writes what it has, then exits
        dump.wait(timeout=20)

        def fields(port, proto, filt, field):
            r = subprocess.run(['tshark', '-r', cap, '-d', 'tcp.port==%d,%s' % (port, proto),
                                '-Y', filt, '-T', 'fields', '-e', field],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            return [l for l in r.stdout.decode().splitlines() if l]
        tls_app = fields(p_tls, 'tls', 'tcp.port==%d && tls.record.opaque_type==23' % p_tls,
                         'frame.number')
        tls_ver = fields(p_tls, 'tls', 'tcp.port==%d && tls.handshake.type==2' % p_tls,
                         'tls.handshake.extensions.supported_version')
        ser = SERIAL.encode().hex()
        clear_tls = fields(p_tls, 'tls', 'tcp.port==%d && tcp.payload contains %s' %
                           (p_tls, ser), 'frame.number')
        clear_plain = fields(p_plain, 'nvme-tcp', 'tcp.port==%d && tcp.payload contains %s' %
                             (p_plain, ser), 'frame.number')
        nvme_plain = fields(p_plain, 'nvme-tcp', 'nvme-tcp', 'nvme-tcp.type')
        nvme_tls = fields(p_tls, 'nvme-tcp', 'nvme-tcp && !_ws.malformed && nvme-tcp.type == 4',
                          'nvme-tcp.type')
        print('TLS port: %d TLS application-data records, ServerHello versions %s, '
              'frames with the serial in clear: %d; plain port: %d NVMe/TCP PDUs, frames with '
              'the serial in clear: %d' % (len(tls_app), sorted(set(tls_ver)), len(clear_tls),
                                           len(nvme_plain), len(clear_plain)), flush=True)
        assert len(tls_app) > 10, 'too few TLS records'
        assert '0x0304' in tls_ver, 'ServerHello is not TLS 1.3'
        assert len(clear_plain) > 0, 'control failed: serial not seen on the plain connection'
        assert len(clear_tls) == 0, 'serial number in clear on the TLS connection'
        assert len(nvme_plain) > 10
        print('TLS port decoded as NVMe/TCP: %d capsule commands found' % len(nvme_tls))


def main():
    k1 = os.urandom(32)
    k2 = os.urandom(48)
    kbad = os.urandom(32)
    f1 = key_file('key1', interchange(k1, 1))
    f2 = key_file('key2', interchange(k2, 2))
    fbad = key_file('keybad', interchange(kbad, 1))
    p_plain = free_port()
    la = sio_harness.listen_address

    def cfg(p_tls):
        return {'subsystems': [
            {'subsystem': 'keyring', 'config': [
                {'method': 'keyring_file_add_key', 'params': {'name': 'key1', 'path': f1}},
                {'method': 'keyring_file_add_key', 'params': {'name': 'key2', 'path': f2}}]},
            {'subsystem': 'bdev', 'config': [
                {'method': 'bdev_malloc_create',
                 'params': {'name': 'Malloc0', 'num_blocks': 8192, 'block_size': 4096}},
                {'method': 'bdev_malloc_create',
                 'params': {'name': 'Malloc1', 'num_blocks': 2048, 'block_size': 4096}}]},
            {'subsystem': 'nvmf', 'config': [
                {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
                {'method': 'nvmf_create_subsystem',
                 'params': {'nqn': SUB, 'serial_number': SERIAL, 'allow_any_host': False}},
                {'method': 'nvmf_subsystem_add_ns',
                 'params': {'nqn': SUB, 'namespace': {'bdev_name': 'Malloc0'}}},
                {'method': 'nvmf_subsystem_add_host',
                 'params': {'nqn': SUB, 'host': HOST1, 'psk': 'key1'}},
                {'method': 'nvmf_subsystem_add_host',
                 'params': {'nqn': SUB, 'host': HOST2, 'psk': 'key2'}},
                {'method': 'nvmf_subsystem_add_listener',
                 'params': {'nqn': SUB, 'listen_address': la(p_tls), 'secure_channel': True}},
                {'method': 'nvmf_create_subsystem',
                 'params': {'nqn': SUB2, 'serial_number': SERIAL, 'allow_any_host': True}},
                {'method': 'nvmf_subsystem_add_ns',
                 'params': {'nqn': SUB2, 'namespace': {'bdev_name': 'Malloc1'}}},
                {'method': 'nvmf_subsystem_add_listener',
                 'params': {'nqn': SUB2, 'listen_address': la(p_plain)}}]}]}
    t = sio_harness.start_tgt(B, T, cfg, procs=PROCS)
    tgt, p_tls, log = t.proc, t.port, t.log
    wait_log(r'listening on 127\.0\.0\.1 port %d \(secure channel' % p_tls)
    wait_log(r'listening on 127\.0\.0\.1 port %d' % p_plain)
    print('== sio_tgt: secure listener %d, plain listener %d' % (p_tls, p_plain), flush=True)

    print('== 1. our host over TLS, SHA-256 key: I/O verified', flush=True)
    run([HOSTTEST, '--psk=' + f1, trid(p_tls, SUB, HOST1)], timeout=120)
    wait_log(r'TLS from 127\.0\.0\.1:\d+: TLS_AES_128_GCM_SHA256, identity "NVMe0R01 %s %s"'
             % (re.escape(HOST1), re.escape(SUB)))
    print('== 1b. SHA-384 key (TLS_AES_256_GCM_SHA384)', flush=True)
    run([HOSTTEST, '--psk=' + f2, trid(p_tls, SUB, HOST2)], timeout=120)
    wait_log(r'TLS_AES_256_GCM_SHA384, identity "NVMe0R02 %s %s"' % (re.escape(HOST2),
                                                                      re.escape(SUB)))

    print('== 1c. the nvme bdev: bdev_nvme_attach_controller psk (a keyring name)', flush=True)
    att = {'name': 'Tls0', 'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1',
           'trsvcid': str(p_tls), 'subnqn': SUB, 'hostnqn': HOST1, 'psk': 'key1'}
    hcfg = {'subsystems': [
        {'subsystem': 'keyring', 'config': [
            {'method': 'keyring_file_add_key', 'params': {'name': 'key1', 'path': f1}},
            {'method': 'keyring_file_add_key', 'params': {'name': 'keybad', 'path': fbad}}]},
        {'subsystem': 'bdev', 'config': [
            {'method': 'bdev_nvme_attach_controller', 'params': att}]}]}
    hjson = os.path.join(T, 'host.json')
    with open(hjson, 'w') as f:
        json.dump(hcfg, f)
    # data: bdevperf verify through the TLS path, attached from the JSON config
    run([BPERF, '-c', hjson, '-m', '0x2', '-r', os.path.join(T, 'bperf.sock'), '-q', '8',
         '-o', '4096', '-w', 'verify', '-t', '1', '-T', 'Tls0n1'], timeout=120)
    # save_config replays it by name, without the material; a wrong key is refused
    hsock = os.path.join(T, 'h.sock')
    hlog = open(os.path.join(T, 'h.log'), 'w')
    hp = subprocess.Popen([TGT, '-m', '0x2', '-c', hjson, '-r', hsock], stdout=hlog,
                          stderr=subprocess.STDOUT)
    PROCS.append(hp)
    sio_harness.wait_socket(hsock, hp, timeout=60)
    sio_harness.Rpc(hsock, timeout=60).call('framework_wait_init')
    saved = subprocess.run([sys.executable, RPC, '-s', hsock, 'save_config'],
                           capture_output=True, text=True, check=True).stdout
    calls = [c for sub in json.loads(saved)['subsystems'] if sub['subsystem'] == 'bdev'
             for c in sub['config'] if c['method'] == 'bdev_nvme_attach_controller']
    assert len(calls) == 1 and calls[0]['params']['psk'] == 'key1', calls
    assert interchange(k1, 1).split(':')[2] not in saved, 'PSK material in save_config'
    bad = subprocess.run([sys.executable, RPC, '-s', hsock, 'bdev_nvme_attach_controller',
                          json.dumps(dict(att, name='Tls1', psk='nokey'))],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "no key named 'nokey'" in bad.stderr, bad.stderr
    hp.terminate()
    assert hp.wait(timeout=60) == 0, 'host sio_tgt exited with an error'
    print('   verify passed; save_config has psk "key1"', flush=True)

    print('== 2. refusals', flush=True)
    rc, out = run([PERF, '-r', trid(p_tls, SUB, HOST1), '--psk-path', fbad, '-q', '1', '-o',
                   '4096', '-w', 'read', '-t', '1'], ok=False)
    assert rc != 0 and 'Key was rejected' in out, 'wrong key not refused clearly'
    wait_log(r'binder does not verify')
    rc, out = run([PERF, '-r', trid(p_plain, SUB2, HOST1), '--psk-path', f1, '-q', '1', '-o',
                   '4096', '-w', 'read', '-t', '1'], ok=False)
    assert rc != 0 and 'does not speak TLS' in out, 'TLS host on a plain listener not refused clearly'
    rc, out = run([PERF, '-r', trid(p_tls, SUB, HOST1), '-q', '1', '-o', '4096', '-w', 'read',
                   '-t', '1'], ok=False)
    assert rc != 0 and 'takes only TLS' in out, 'plain host on a secure listener not refused'
    wait_log(r'wrong version number.*does not speak TLS')
    # A host that has no key on SUB (plain listener only) is refused on the secure one.
    rc, out = run([PERF, '-r', trid(p_tls, SUB, HOST1.replace('1111', '9999')), '--psk-path',
                   f1, '-q', '1', '-o', '4096', '-w', 'read', '-t', '1'], ok=False)
    assert rc != 0 and 'Key was rejected' in out
    wait_log(r'PSK identity "NVMe0R01 %s' % re.escape(HOST1.replace('1111', '9999')))

    print('== 3. openssl s_client judges the secure listener', flush=True)
    ident, psk = tls_psk(k1, 1, HOST1, SUB)
    out, err = s_client(p_tls, ident, psk, icreq() + connect_capsule(HOST1, SUB))
    assert len(out) >= 128 + 24, 'no ICResp + CapsuleResp through s_client: %r %s' % (out, err)
    assert out[0] == 0x01 and out[2] == 128, 'not an ICResp: %r' % out[:8]
    cqe = out[128 + 8:128 + 24]
    status = (struct.unpack_from('<H', cqe, 14)[0] >> 1) & 0x7ff
    assert status == 0, 'Connect through s_client failed: status %#x' % status
    print('s_client: ICResp and a successful Connect (cntlid %d) through TLS' %
          struct.unpack_from('<H', cqe, 0)[0], flush=True)
    # The same TLS channel, but Connect names HOST2: refused (Connect Invalid Host).
    out, err = s_client(p_tls, ident, psk, icreq() + connect_capsule(HOST2, SUB))
    assert len(out) >= 128 + 24, 'no answer: %r %s' % (out, err)
    status = (struct.unpack_from('<H', out, 128 + 8 + 14)[0] >> 1) & 0x7ff
    assert status == 0x184, 'Connect of another host over host1\'s channel: status %#x' % status
    wait_log(r'over a TLS channel opened as')
    # A wrong PSK: s_client fails the handshake.
    out, err = s_client(p_tls, ident, bytes(32), icreq(), want=1)
    assert out == b'', 'handshake with a wrong key gave data'
    # -brief reports the handshake itself.
    r = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % p_tls, '-tls1_3',
                        '-ciphersuites', 'TLS_AES_128_GCM_SHA256', '-psk', psk.hex(),
                        '-psk_identity', ident, '-brief'], input=b'', stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=20)
    brief = r.stdout.decode(errors='replace')
    print(brief, flush=True)
    assert 'Protocol version: TLSv1.3' in brief and 'TLS_AES_128_GCM_SHA256' in brief

    print('== 4. openssl s_server judges our host', flush=True)
    p_srv = free_port()
    srv = subprocess.Popen(['openssl', 's_server', '-accept', '127.0.0.1:%d' % p_srv, '-tls1_3',
                            '-ciphersuites', 'TLS_AES_128_GCM_SHA256', '-nocert', '-psk',
                            psk.hex(), '-psk_identity', ident, '-naccept', '1', '-quiet'],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    PROCS.append(srv)
    time.sleep(0.5)
    host = subprocess.Popen([PERF, '-r', trid(p_srv, SUB, HOST1), '--psk-path', f1, '-q', '1',
                             '-o', '4096', '-w', 'read', '-t', '1'], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    PROCS.append(host)
    os.set_blocking(srv.stdout.fileno(), False)
    got = b''
    end = time.monotonic() + 15
    while len(got) < 128 and time.monotonic() < end:
        try:
            chunk = srv.stdout.read()
        except BlockingIOError:
            chunk = None
        if chunk:
            got += chunk
        else:
            time.sleep(0.05)
    host.kill()
    host.wait()
    srv.kill()
    _, serr = srv.communicate()
    print('s_server received %d bytes; stderr: %s' % (len(got), serr.decode(errors='replace')[-500:]))
    assert got[:8] == icreq()[:8] and len(got) >= 128, \
        'our host\'s ICReq did not arrive through s_server: %r' % got[:16]

    print('== 5. tshark: TLS records, no NVMe/TCP in clear', flush=True)
    if shutil.which('tshark') is None:
        print('tshark missing: part 5 skipped')
    else:
        tshark_part(p_tls, p_plain, f1)

    tgt.terminate()
    rc = tgt.wait(timeout=60)
    log.close()
    assert rc == 0, 'sio_tgt exited %d' % rc
    assert 'Sanitizer' not in tgt_log() and 'runtime error' not in tgt_log(), 'sanitizer report'
    print('\n'.join(l for l in tgt_log().splitlines() if 'TLS' in l)[-4000:])
    print('PASS')


if __name__ == '__main__':
    if shutil.which('openssl') is None:
        print('SKIP: openssl missing')
        sys.exit(77)
    try:
        main()
    finally:
        cleanup()
