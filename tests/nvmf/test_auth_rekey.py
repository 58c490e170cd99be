#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""DH-HMAC-CHAP key rotation under I/O: bdev_nvme_set_keys re-authenticates
every queue of a controller (admin and each channel's I/O queue pair).

sio_tgt (one poll group) with a host entry holding key A, and sio_bdevperf on
two reactors (-m 0x3): one verify job per reactor on Nvme0n1, so two bdev
channels and two I/O queue pairs of one controller, on two OS threads.

 1. attached with key A (and controller key A', bidirectional, ffdhe2048):
    the target shows the admin queue and two I/O queues;
 2. rotation under I/O: the target changes the host's keys to B/B'
    (nvmf_subsystem_set_keys), the host calls bdev_nvme_set_keys B B': it
    answers true once the admin queue and both I/O queue pairs re-authenticated;
    the target's log shows each of the three qids re-authenticated with the
    same controller (no reconnection: the qids and cntlid stay), I/O goes on;
 3. a wrong key: bdev_nvme_set_keys X fails with a message naming the admin
    queue and the refusal; the controller is refused again at each reconnection
    attempt (the target logs them) while verify I/O waits; set_keys B B' again:
    the next reconnection authenticates and the I/O resumes;
 4. the verify jobs end (SIGINT) with 0 failed I/O: every write acknowledged
    before, during and after the rotations and the refused period reads back
    equal; no sanitizer report in either log.

In the 'tsan' suite too: the channel walk, the re-authentications on the two
reactors and the reconnection cross OS threads.

usage: test_auth_rekey.py BUILD_ROOT
"""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

B = sys.argv[1]
SUB = 'nqn.2016-06.io.spdk-io:rekey'
HOST = 'nqn.2014-08.org.nvmexpress:uuid:d4d4d4d4-2222-4333-8444-555555555555'
T = tempfile.mkdtemp(prefix='sio_rekey.')
PROCS = []


def dhchap(secret, hh):
    crc = zlib.crc32(secret) & 0xffffffff
    return 'DHHC-1:%02x:%s:' % (hh, base64.b64encode(secret + crc.to_bytes(4, 'little')).decode())


def log(name):
    return sio_harness.read_log(os.path.join(T, name + '.log'))


def until(what, fn, timeout=60):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.1)


def main():
    if not sio_harness.have_tools(B, ('sio_tgt', 'sio_tgt'), ('bdevperf', 'sio_bdevperf')):
        return 77
    keys = {'kA': dhchap(os.urandom(32), 1), 'kAc': dhchap(os.urandom(32), 1),
            'kB': dhchap(os.urandom(48), 2), 'kBc': dhchap(os.urandom(32), 0),
            'kX': dhchap(os.urandom(32), 1)}
    files = {n: sio_harness.write_key_file(os.path.join(T, n), k + '\n') for n, k in keys.items()}
    keyring = {'subsystem': 'keyring', 'config': [
        {'method': 'keyring_file_add_key', 'params': {'name': n, 'path': p}}
        for n, p in files.items()]}

    def tgt_config(port):
        return {'subsystems': [keyring, {'subsystem': 'bdev', 'config': [
            sio_harness.malloc_bdev('Malloc0', 8192)]},
            {'subsystem': 'nvmf', 'config': [
                {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
                {'method': 'nvmf_create_subsystem', 'params': {
                    'nqn': SUB, 'serial_number': 'SIOREKEY01', 'allow_any_host': False}},
                {'method': 'nvmf_subsystem_add_ns', 'params': {
                    'nqn': SUB, 'namespace': {'bdev_name': 'Malloc0'}}},
                {'method': 'nvmf_subsystem_add_host', 'params': {
                    'nqn': SUB, 'host': HOST, 'dhchap_key': 'kA', 'dhchap_ctrlr_key': 'kAc'}},
                {'method': 'nvmf_subsystem_add_listener', 'params': {
                    'nqn': SUB, 'listen_address': sio_harness.listen_address(port)}}]}]}

    tgt = sio_harness.start_tgt(B, T, tgt_config, args=('-m', '0x1', '--interrupt-mode'),
                                procs=PROCS)
    trpc = sio_harness.Rpc(tgt.sock, timeout=30)
    host_cfg = {'subsystems': [keyring, {'subsystem': 'bdev', 'config': [
        {'method': 'bdev_nvme_set_options', 'params': {'dhchap_dhgroups': ['ffdhe2048']}},
        {'method': 'bdev_nvme_attach_controller', 'params': {
            'name': 'Nvme0', 'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1',
            'trsvcid': str(tgt.port), 'subnqn': SUB, 'hostnqn': HOST, 'dhchap_key': 'kA',
            'dhchap_ctrlr_key': 'kAc', 'ctrlr_loss_timeout_sec': -1,
            'reconnect_delay_sec': 1}}]}]}
    with open(os.path.join(T, 'host.json'), 'w') as f:
        json.dump(host_cfg, f)
    hsock = os.path.join(T, 'host.sock')
    hlog = open(os.path.join(T, 'host.log'), 'w')
    hp = subprocess.Popen([sio_harness.tool(B, 'bdevperf', 'sio_bdevperf'), '-m', '0x3',
                           '-c', os.path.join(T, 'host.json'), '-r', hsock, '-q', '16', '-o',
                           '4096', '-w', 'verify', '-t', '3600', '-T', 'Nvme0n1', '-S', '1',
                           '--results-json', os.path.join(T, 'verify.json')],
                          stdout=hlog, stderr=subprocess.STDOUT)
    PROCS.append(hp)
    sio_harness.wait_socket(hsock, hp, timeout=60)
    hrpc = sio_harness.Rpc(hsock, timeout=60)

    def qpairs():
        return sorted((q['cntlid'], q['qid']) for q in
                      trpc.call('nvmf_subsystem_get_qpairs', {'nqn': SUB}))

    def ops():
        r, e = hrpc.request('bdev_get_iostat', {'names': ['Nvme0n1']})
        if e is not None:
            return -1  # not attached yet
        b = r['bdevs'][0]
        return b['num_read_ops'] + b['num_write_ops']

    def io_moves(what):
        o = until('Nvme0n1', lambda: (lambda n: n + 1 if n >= 0 else None)(ops())) - 1
        until(what, lambda: ops() > o + 100, timeout=60)

    print('== 1. attached with key A: admin queue and two I/O queues', flush=True)
    io_moves('verify I/O')
    # Settled once I/O runs (a channel opened at start-up by examine may have
    # come and gone with a queue of its own).
    qp = until('an admin and two I/O queues on the target',
               lambda: (lambda q: q if len(q) == 3 else None)(qpairs()))
    cntlid = qp[0][0]
    assert [q[1] for q in qp][0] == 0 and all(c == cntlid for c, _ in qp), qp
    print('  target: cntlid %d, qids %s; I/O runs on both reactors' %
          (cntlid, [q[1] for q in qp]), flush=True)

    print('== 2. rotation to key B under I/O', flush=True)
    pat = r'host %s re-authenticated to %s on qid (\d+) \(sha512, ffdhe2048, bidirectional\)' % (
        re.escape(HOST), re.escape(SUB))
    assert trpc.call('nvmf_subsystem_set_keys', {'nqn': SUB, 'host': HOST, 'dhchap_key': 'kB',
                                                 'dhchap_ctrlr_key': 'kBc'}) is True
    t0 = time.monotonic()
    r = hrpc.call('bdev_nvme_set_keys', {'name': 'Nvme0', 'dhchap_key': 'kB',
                                         'dhchap_ctrlr_key': 'kBc'})
    assert r is True, r
    print('  bdev_nvme_set_keys B: true after %.2f s' % (time.monotonic() - t0), flush=True)
    # Every queue re-authenticated by then: the target logged each before its Success1.
    qids = sorted(int(q) for q in until('3 re-authentications in the target log',
                                        lambda: (lambda m: m if len(m) >= 3 else None)(
                                            re.findall(pat, log('tgt')))))
    assert qids == [q[1] for q in qp], (qids, qp)
    assert qpairs() == qp, ('the queues reconnected instead', qpairs(), qp)
    assert re.search(r'Nvme0 \(127\.0\.0\.1:%d\): admin queue and 2 I/O queue pair\(s\) '
                     r're-authenticated' % tgt.port, log('host')), log('host')[-2000:]
    io_moves('I/O after the rotation')
    print('  target: qids %s re-authenticated on cntlid %d, same connections; I/O goes on' %
          (qids, cntlid), flush=True)

    print('== 3. a wrong key is refused; the right one brings the controller back', flush=True)
    n_fail = len(re.findall(r'DH-HMAC-CHAP of host %s .* failed' % re.escape(HOST), log('tgt')))
    r, e = hrpc.request('bdev_nvme_set_keys', {'name': 'Nvme0', 'dhchap_key': 'kX'})
    assert e is not None and r is None, r
    print('  bdev_nvme_set_keys X: error %d: %s' % (e['code'], e['message']), flush=True)
    assert 're-authentication of the admin queue failed' in e['message'], e
    assert 'refused' in e['message'], e
    # the reconnection attempts with X are refused too (at least one more after the first)
    until('refusals of the reconnections',
          lambda: len(re.findall(r'DH-HMAC-CHAP of host %s .* failed' % re.escape(HOST),
                                 log('tgt'))) >= n_fail + 2)
    o = ops()
    time.sleep(1)
    stalled = ops() - o
    assert hp.poll() is None, 'bdevperf exited'
    assert hrpc.call('bdev_nvme_set_keys', {'name': 'Nvme0', 'dhchap_key': 'kB',
                                            'dhchap_ctrlr_key': 'kBc'}) is True
    until('the reconnection', lambda: re.search(r'Nvme0 \(127\.0\.0\.1:%d\) reconnected' %
                                                tgt.port, log('host')))
    io_moves('I/O after the reconnection')
    print('  refused while X was set (%d I/O in the second meanwhile); reconnected with B, '
          'I/O resumed' % stalled, flush=True)

    print('== 4. verify results', flush=True)
    hp.send_signal(signal.SIGINT)
    rc = hp.wait(timeout=120)
    hlog.close()
    res = json.load(open(os.path.join(T, 'verify.json')))
    jobs = [j for j in res['results'] if j['job'] == 'Nvme0n1']
    assert rc == 0 and len(jobs) == 2, (rc, jobs, log('host')[-3000:])
    for j in jobs:
        assert j['io_failed'] == 0 and j['io_completed'] > 20, j
    print('  two verify jobs: %s I/O, 0 failed, 0 miscompares' %
          ' + '.join(str(j['io_completed']) for j in jobs), flush=True)
    sio_harness.stop(tgt.proc, timeout=20)
    for name in ('tgt', 'host'):
        text = log(name)
        assert not re.search(r'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|runtime error:',
                             text), text[-5000:]
        for k in keys.values():
            assert k.split(':')[2] not in text, 'key material in the %s log' % name
    print('== done', flush=True)
    return 0


if __name__ == '__main__':
    try:
        rc = main()
    except BaseException:
        for n in ('tgt', 'host'):
            print('---- %s.log (tail) ----' % n)
            print(log(n)[-4000:] if os.path.exists(os.path.join(T, n + '.log')) else '')
        raise
    finally:
        sio_harness.kill_all(PROCS)
        if not os.environ.get("KEEP"):
            shutil.rmtree(T, ignore_errors=True)
        else:
            print("kept " + T)
    sys.exit(rc)
