#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""DH-HMAC-CHAP between sio_tgt and our host (tests/nvmf/auth_host.c).

sio_tgt gets from its JSON config DHHC-1 keys in the keyring (made here with
python's base64/zlib, as nvme-cli's gen-dhchap-key lays them out: 32/48/64
byte secrets, transform hashes 00..03), a malloc namespace, and hosts with
dhchap_key (and dhchap_ctrlr_key). Each accepted case writes and reads back
data through an authenticated I/O queue (auth_host checks it):

 1. each digest (SHA-256/384/512, the host offering only that one) with the
    null group, and ffdhe2048 / ffdhe3072 (and ffdhe4096 once), uni- and
    bidirectional;
 2. a wrong host key and a wrong controller key are refused (the host sees
    -EACCES; the target logs the failure); a host without a key is refused
    by a target that requires one; nvmf_set_config dhchap_digests narrows what
    the target accepts (a host offering only SHA-512 is refused when the
    target allows only SHA-256);
 3. nvmf_subsystem_set_keys changes the host's key: the old key is refused,
    the new one accepted; a key rotation on a live controller: connected with
    one key, the target changes the host's keys, the host re-authenticates its
    admin queue (sio_nvme_ctrlr_set_dhchap_keys) and its I/O queue with writes
    in flight (sio_nvme_qpair_authenticate) with the new ones; the target logs
    both queues re-authenticated and the data reads back; an I/O queue that
    re-authenticates with the old key is refused and disconnected, and after a
    reset with the new key every acknowledged write reads back; a wrong new key
    is refused;
 4. save_config carries the keys by name and never their material.

usage: test_auth.py BUILD_ROOT RPC_PY
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

B = sys.argv[1]
RPC = sys.argv[2]
TGT = os.path.join(B, 'tools/sio_tgt/sio_tgt')
HOST = os.path.join(B, 'tests/nvmf/auth_host')
SUB = 'nqn.2016-06.io.spdk-io:auth-sub'
H1 = 'nqn.2014-08.org.nvmexpress:uuid:a1a1a1a1-2222-4333-8444-555555555555'
H2 = 'nqn.2014-08.org.nvmexpress:uuid:b2b2b2b2-2222-4333-8444-555555555555'
H3 = 'nqn.2014-08.org.nvmexpress:uuid:c3c3c3c3-2222-4333-8444-555555555555'
T = tempfile.mkdtemp(prefix='sio_auth.')
PROCS = []
SHA256, SHA384, SHA512 = 1 << 1, 1 << 2, 1 << 3
NULL, G2048, G3072, G4096 = 1 << 0, 1 << 1, 1 << 2, 1 << 3


def dhchap(secret, hh):
    crc = zlib.crc32(secret) & 0xffffffff
    return 'DHHC-1:%02x:%s:' % (hh, base64.b64encode(secret + crc.to_bytes(4, 'little')).decode())


def key_file(name, text):
    return sio_harness.write_key_file(os.path.join(T, name), text + '\n')


# The sio_tgt (its T/NAME.log and T/NAME.sock) that tgt_log, wait_log and rpc_call address.
LOG = ['tgt']


def tgt_log():
    return sio_harness.read_log(os.path.join(T, LOG[0] + '.log'))


def wait_log(pattern, timeout=20):
    sio_harness.wait_log(os.path.join(T, LOG[0] + '.log'), pattern, timeout)


def rpc_call(method, params=None):
    """JSON-RPC over the Unix socket directly: (result, error)."""
    return sio_harness.Rpc(os.path.join(T, LOG[0] + '.sock'), timeout=20).request(method, params)


def host(port, hostnqn, expect, *opts, rotate=None):
    """auth_host; with @rotate, it waits once connected until rotate() has run."""
    tr = 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d subnqn:%s hostnqn:%s' % (
        port, SUB, hostnqn)
    cmd = [HOST, tr] + list(opts) + (['--wait'] if rotate else [])
    print('$ auth_host %s %s' % (hostnqn[-12:], ' '.join(o.replace(T + '/', '') for o in opts)),
          flush=True)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    lines = []
    if rotate:
        for line in p.stdout:
            lines.append(line)
            if line.startswith(b'# waiting'):
                r, e = rotate()
                assert e is None, e
                print('  (keys changed on the target while connected)', flush=True)
                p.stdin.write(b'go\n')
                p.stdin.flush()
                break
    rest, _ = p.communicate(timeout=120)
    out = (b''.join(lines) + rest).decode(errors='replace')
    print('  -> exit %d in %.2f s: %s' % (p.returncode, time.monotonic() - t0,
                                         out.strip().splitlines()[-1] if out.strip() else ''),
          flush=True)
    want = {'ok': 0, 'refused': 3}[expect]
    r = p
    if r.returncode != want:
        print(out[-3000:])
        print(tgt_log()[-3000:])
        raise AssertionError('auth_host exited %d, expected %d (%s)' % (r.returncode, want, expect))
    return out


def start_tgt(name, files, nvmf_first):
    """sio_tgt with the keys, a malloc namespace and hosts H1..H3 with their keys."""
    LOG[0] = name
    return sio_harness.start_tgt(B, T, lambda port: config(port, files, nvmf_first),
                                 name=name, timeout=20, procs=PROCS).port


def config(port, files, nvmf_first):
    return {'subsystems': [
        {'subsystem': 'keyring', 'config': [
            {'method': 'keyring_file_add_key', 'params': {'name': n, 'path': p}}
            for n, p in files.items() if n not in ('bad',)]},
        {'subsystem': 'bdev', 'config': [
            {'method': 'bdev_malloc_create',
             'params': {'name': 'Malloc0', 'num_blocks': 2048, 'block_size': 4096}}]},
        {'subsystem': 'nvmf', 'config': nvmf_first + [
            {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
            {'method': 'nvmf_create_subsystem',
             'params': {'nqn': SUB, 'serial_number': 'SIOAUTH0001', 'allow_any_host': False}},
            {'method': 'nvmf_subsystem_add_ns',
             'params': {'nqn': SUB, 'namespace': {'bdev_name': 'Malloc0'}}},
            {'method': 'nvmf_subsystem_add_host',
             'params': {'nqn': SUB, 'host': H1, 'dhchap_key': 'k1', 'dhchap_ctrlr_key': 'k1c'}},
            {'method': 'nvmf_subsystem_add_host',
             'params': {'nqn': SUB, 'host': H2, 'dhchap_key': 'k2', 'dhchap_ctrlr_key': 'k2c'}},
            {'method': 'nvmf_subsystem_add_host',
             'params': {'nqn': SUB, 'host': H3, 'dhchap_key': 'k3', 'dhchap_ctrlr_key': 'k3c'}},
            {'method': 'nvmf_subsystem_add_listener',
             'params': {'nqn': SUB, 'listen_address': sio_harness.listen_address(port)}}]}]}


def main():
    keys = {
        'k1': dhchap(os.urandom(32), 1), 'k1c': dhchap(os.urandom(32), 0),
        'k2': dhchap(os.urandom(48), 2), 'k2c': dhchap(os.urandom(48), 2),
        'k3': dhchap(os.urandom(64), 3), 'k3c': dhchap(os.urandom(64), 3),
        'bad': dhchap(os.urandom(32), 1), 'new': dhchap(os.urandom(32), 0),
        'k2b': dhchap(os.urandom(48), 2), 'k2bc': dhchap(os.urandom(32), 1),
    }
    files = {n: key_file(n, k) for n, k in keys.items()}
    port = start_tgt('tgt', files, [])
    F = files

    print('== 1. each digest, null / ffdhe2048 / ffdhe3072, uni- and bidirectional', flush=True)
    for h, k, kc, dg in ((H1, 'k1', 'k1c', SHA256), (H2, 'k2', 'k2c', SHA384),
                         (H3, 'k3', 'k3c', SHA512)):
        for groups in (NULL, G2048, G3072):
            host(port, h, 'ok', '--key=' + F[k], '--digests=%d' % dg, '--dhgroups=%d' % groups)
            host(port, h, 'ok', '--key=' + F[k], '--ctrlr-key=' + F[kc], '--digests=%d' % dg,
                 '--dhgroups=%d' % groups)
    # everything offered: the target picks the strongest (SHA-512, ffdhe8192 would be
    # slow on this machine: offer up to ffdhe4096)
    host(port, H1, 'ok', '--key=' + F['k1'], '--ctrlr-key=' + F['k1c'],
         '--dhgroups=%d' % (NULL | G2048 | G3072 | G4096))

    print('== 2. wrong keys refused', flush=True)
    host(port, H1, 'refused', '--key=' + F['bad'], '--dhgroups=%d' % G2048)
    wait_log(r'DH-HMAC-CHAP of host %s .* failed: wrong response' % re.escape(H1))
    host(port, H1, 'refused', '--key=' + F['k1'], '--ctrlr-key=' + F['bad'],
         '--dhgroups=%d' % NULL)
    out = host(port, H2, 'refused', '--dhgroups=%d' % NULL)  # no key at all
    assert 'no dhchap_key' in out, out
    # a second target that accepts only SHA-256 and null/ffdhe2048 (nvmf_set_config
    # is a startup method, as SPDK's: in its JSON config)
    port2 = start_tgt('tgt2', files, [{'method': 'nvmf_set_config', 'params': {
        'dhchap_digests': ['sha256'], 'dhchap_dhgroups': ['null', 'ffdhe2048']}}])
    host(port2, H3, 'refused', '--key=' + F['k3'], '--digests=%d' % SHA512)
    wait_log(r'failed: no digest in common')
    host(port2, H3, 'ok', '--key=' + F['k3'], '--ctrlr-key=' + F['k3c'])  # SHA-256 is picked
    wait_log(r'authenticated to %s \(sha256, ffdhe2048, bidirectional\)' % re.escape(SUB))
    host(port2, H3, 'refused', '--key=' + F['k3'], '--dhgroups=%d' % G3072)
    wait_log(r'failed: no DH group in common')
    cfg2, e = rpc_call('save_config')
    assert e is None and '"dhchap_digests": ["sha256"]' in json.dumps(cfg2), e
    LOG[0] = 'tgt'
    # keys that do not exist or are not DHHC-1 secrets are refused by the RPCs
    r, e = rpc_call('nvmf_subsystem_set_keys', {'nqn': SUB, 'host': H1, 'dhchap_key': 'nope'})
    assert e is not None and 'no key named' in e['message'], e
    r, e = rpc_call('nvmf_subsystem_set_keys', {'nqn': SUB, 'host': H1,
                                                'dhchap_ctrlr_key': 'k1c'})
    assert e is not None and 'needs dhchap_key' in e['message'], e

    print('== 3. nvmf_subsystem_set_keys, then re-authentication of a live controller', flush=True)
    r, e = rpc_call('nvmf_subsystem_set_keys', {'nqn': SUB, 'host': H1, 'dhchap_key': 'new',
                                                'dhchap_ctrlr_key': 'k1c'})
    assert e is None and r is True, (r, e)
    host(port, H1, 'refused', '--key=' + F['k1'], '--dhgroups=%d' % NULL)
    host(port, H1, 'ok', '--key=' + F['new'], '--ctrlr-key=' + F['k1c'], '--dhgroups=%d' % G2048)
    # connected with k2/k2c; the target rotates the host to k2b/k2bc; the host re-authenticates
    # its admin queue, then its I/O queue under writes, with the new keys
    n_re = len(re.findall(r'host %s re-authenticated to' % re.escape(H2), tgt_log()))
    out = host(port, H2, 'ok', '--key=' + F['k2'], '--ctrlr-key=' + F['k2c'],
               '--rekey=' + F['k2b'], '--rekey-ctrlr=' + F['k2bc'], '--dhgroups=%d' % G2048,
               rotate=lambda: rpc_call('nvmf_subsystem_set_keys', {
                   'nqn': SUB, 'host': H2, 'dhchap_key': 'k2b', 'dhchap_ctrlr_key': 'k2bc'}))
    assert 're-authenticated with the new keys' in out and 'authentications: 2' in out, out
    end = time.monotonic() + 10
    while True:
        qids = re.findall(r'host %s re-authenticated to %s on qid (\d+) \(sha512, ffdhe2048, '
                          r'bidirectional\)' % (re.escape(H2), re.escape(SUB)), tgt_log())[n_re:]
        if len(qids) >= 2 or time.monotonic() > end:
            break
        time.sleep(0.1)
    assert sorted(qids)[:1] == ['0'] and len(qids) == 2, qids
    print('  target: host re-authenticated on qids %s' % ', '.join(qids), flush=True)
    # the old key no longer opens a controller
    host(port, H2, 'refused', '--key=' + F['k2'], '--dhgroups=%d' % NULL)
    # an I/O queue re-authenticating with the old key after the target rotated (admin queue
    # not re-authenticated first): refused, the host disconnects it, the writes in flight are
    # acknowledged or path errors; with the new key a reset reconnects and the acknowledged
    # ones read back
    r, e = rpc_call('nvmf_subsystem_set_keys', {'nqn': SUB, 'host': H2, 'dhchap_key': 'k2',
                                                'dhchap_ctrlr_key': 'k2c'})
    assert e is None, e
    out = host(port, H2, 'refused', '--key=' + F['k2'], '--ctrlr-key=' + F['k2c'],
               '--rekey=' + F['k2b'], '--rekey-ctrlr=' + F['k2bc'], '--io-first',
               '--dhgroups=%d' % G2048,
               rotate=lambda: rpc_call('nvmf_subsystem_set_keys', {
                   'nqn': SUB, 'host': H2, 'dhchap_key': 'k2b', 'dhchap_ctrlr_key': 'k2bc'}))
    assert 'queue disconnected, controller failed' in out, out
    assert 'acknowledged writes read back equal' in out, out
    print('\n'.join('  ' + l for l in out.splitlines() if 'refused re-auth' in l or 'reset with' in l),
          flush=True)
    wait_log(r'DH-HMAC-CHAP of host %s to %s \(qid [1-9]\d*\) failed: wrong response' %
             (re.escape(H2), re.escape(SUB)))
    r, e = rpc_call('nvmf_subsystem_set_keys', {'nqn': SUB, 'host': H2, 'dhchap_key': 'k2',
                                                'dhchap_ctrlr_key': 'k2c'})
    assert e is None, e
    out = host(port, H2, 'refused', '--key=' + F['k2'], '--rekey=' + F['bad'],
               '--dhgroups=%d' % NULL)
    assert 're-authentication' in out, out

    print('== 3b. bdev_nvme_attach_controller with dhchap_key / dhchap_ctrlr_key', flush=True)
    hcfg = {'subsystems': [{'subsystem': 'keyring', 'config': [
        {'method': 'keyring_file_add_key', 'params': {'name': n, 'path': F[n]}}
        for n in ('k3', 'k3c', 'bad')]}]}
    with open(os.path.join(T, 'h.json'), 'w') as f:
        json.dump(hcfg, f)
    hlog = open(os.path.join(T, 'h.log'), 'w')
    hp = subprocess.Popen([TGT, '-m', '0x1', '-c', os.path.join(T, 'h.json'),
                           '-r', os.path.join(T, 'h.sock')], stdout=hlog, stderr=subprocess.STDOUT)
    PROCS.append(hp)
    sio_harness.wait_socket(os.path.join(T, 'h.sock'), hp, timeout=20)
    LOG[0] = 'h'
    att = {'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1', 'trsvcid': str(port),
           'subnqn': SUB, 'hostnqn': H3}
    # bdev_nvme_set_options limits what the host offers: SHA-384 with ffdhe2048 only
    r, e = rpc_call('bdev_nvme_set_options', {'dhchap_digests': ['sha384', 'nope']})
    assert e is not None and 'dhchap_digests' in e['message'], (r, e)
    r, e = rpc_call('bdev_nvme_set_options', {'dhchap_digests': ['sha384'],
                                              'dhchap_dhgroups': ['ffdhe2048']})
    assert e is None and r is True, (r, e)
    # tgt2 accepts SHA-256 only: nothing in common, refused (one more such notice in its log)
    def no_digest_refusals():
        with open(os.path.join(T, 'tgt2.log'), errors='replace') as f:
            return len(re.findall(r'DH-HMAC-CHAP of host %s .* failed: no digest in common' %
                                  re.escape(H3), f.read()))
    before = no_digest_refusals()
    r, e = rpc_call('bdev_nvme_attach_controller',
                    dict(att, name='Nsha', trsvcid=str(port2), dhchap_key='k3'))
    assert e is not None, r
    print('  offered sha384 to a sha256-only target: %s' % e['message'], flush=True)
    end = time.monotonic() + 10
    while no_digest_refusals() == before and time.monotonic() < end:
        time.sleep(0.1)
    assert no_digest_refusals() > before, 'tgt2 did not refuse for the digest'
    r, e = rpc_call('bdev_nvme_attach_controller', dict(att, name='Nbad', dhchap_key='bad'))
    assert e is not None, r
    print('  wrong key: %s' % e['message'], flush=True)
    r, e = rpc_call('bdev_nvme_attach_controller', dict(att, name='Nauth', dhchap_key='k3',
                                                         dhchap_ctrlr_key='k3c'))
    assert e is None and r == ['Nauthn1'], (r, e)
    r, e = rpc_call('bdev_get_bdevs', {'name': 'Nauthn1'})
    assert e is None and r[0]['block_size'] == 4096, (r, e)
    print('  attached: %s' % r[0]['name'], flush=True)
    # the target (everything allowed) would pick SHA-512: it took what was offered
    LOG[0] = 'tgt'
    wait_log(r'host %s authenticated to %s \(sha384, ffdhe2048, bidirectional\)' %
             (re.escape(H3), re.escape(SUB)))
    LOG[0] = 'h'
    r, e = rpc_call('bdev_nvme_set_keys', {'name': 'Nauth', 'dhchap_key': 'k3',
                                           'dhchap_ctrlr_key': 'k3c'})
    assert e is None and r is True, (r, e)
    r, e = rpc_call('bdev_nvme_set_keys', {'name': 'Nope', 'dhchap_key': 'k3'})
    assert e is not None and 'no such controller' in e['message'], (r, e)
    print('  bdev_nvme_set_keys: re-authenticated', flush=True)
    hcfg, e = rpc_call('save_config')
    calls = [c['params'] for sub in hcfg['subsystems'] if sub['subsystem'] == 'bdev'
             for c in sub['config'] if c['method'] == 'bdev_nvme_attach_controller']
    assert e is None and len(calls) == 1, (e, calls)
    assert calls[0]['dhchap_key'] == 'k3' and calls[0]['dhchap_ctrlr_key'] == 'k3c', calls
    opts = [c['params'] for sub in hcfg['subsystems'] if sub['subsystem'] == 'bdev'
            for c in sub['config'] if c['method'] == 'bdev_nvme_set_options']
    assert opts and opts[0]['dhchap_digests'] == ['sha384'], opts
    assert opts[0]['dhchap_dhgroups'] == ['ffdhe2048'], opts
    assert keys['k3'].split(':')[2] not in json.dumps(hcfg), 'key material in save_config'
    r, e = rpc_call('bdev_nvme_detach_controller', {'name': 'Nauth'})
    assert e is None, e
    LOG[0] = 'tgt'

    print('== 4. save_config: keys by name, no material', flush=True)
    cfg, e = rpc_call('save_config')
    assert e is None, e
    text = json.dumps(cfg)
    for k in keys.values():
        assert k.split(':')[2] not in text, 'key material in save_config'
    assert '"dhchap_key": "new"' in text and '"dhchap_ctrlr_key": "k1c"' in text, text[-2000:]
    assert '"keyring_file_add_key"' in text
    for k in keys.values():
        assert k.split(':')[2] not in tgt_log(), 'key material in the target log'
    print('== done', flush=True)


if __name__ == '__main__':
    try:
        main()
    finally:
        for p in PROCS:
            sio_harness.stop(p, timeout=10)
        shutil.rmtree(T, ignore_errors=True)
