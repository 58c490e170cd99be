#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tracing end to end (docs/trace.md): real processes write their tracepoint
rings, sio_trace reads them (a copy left by an exited process, and a live
target), and its outputs are checked against the tools' own figures.

- sio_bdevperf -e bdev on a delay bdev at QD 1: every request that started
  has its completion, the Chrome JSON parses with one lane per traced
  thread, the delay bdev's slices number its completed I/O, and their mean
  matches bdevperf's average latency within 10 %.
- sio_bdevperf -e bdev on the null bdev at QD 32 (the ring wraps), in callback
  and in task (awaited) form: still no start without its end; at most QD
  ends whose start was overwritten.
- sio_tgt -e nvmf_tcp,bdev serving sio_nvme_perf (delay namespace, QD 1),
  read live: every I/O command that arrived completed (only admin commands
  the host leaves outstanding, such as an AER, may be open), one target
  request per host I/O, each at least the delay; the host traced too
  (sio_nvme_perf -e nvme_tcp): every submit has its completion and their
  mean matches the host's reported average within 10 %; the trace_* RPCs
  answer in SPDK's shapes and change what is recorded.

usage: test_trace.py BUILD_ROOT
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

B = None
NQN = 'nqn.2016-06.io.spdk-io:trace-test'
DELAY_US = 2000
TOL = 0.10


def tool(*parts):
    return sio_harness.tool(B, *parts)


def rpc(sock_path, method, params=None, timeout=10):
    """The call's result; sio_harness.RpcError (an AssertionError) on an error reply."""
    return sio_harness.Rpc(sock_path, timeout).call(method, params)


def sio_trace(args, tmp, tag):
    stats, chrome = os.path.join(tmp, tag + '_stats.json'), os.path.join(tmp, tag + '.json')
    out = subprocess.run([tool('sio_trace', 'sio_trace'), *args, '-q', '--stats', stats,
                          '--json', chrome], capture_output=True, text=True, timeout=120)
    print(out.stdout, out.stderr, flush=True)
    if out.returncode != 0:
        raise AssertionError('sio_trace failed: %s' % out.stderr)
    with open(stats) as f:
        st = json.load(f)
    with open(chrome) as f:
        ch = json.load(f)   # must parse as JSON
    return st, ch


def lanes(ch):
    """tids named by thread_name metadata, and tids that carry events."""
    named = {e['tid'] for e in ch['traceEvents'] if e['ph'] == 'M' and e['name'] == 'thread_name'}
    used = {e['tid'] for e in ch['traceEvents'] if e['ph'] in ('X', 'i')}
    return named, used


def slices_by_owner(ch, name):
    by = {}
    for e in ch['traceEvents']:
        if e['ph'] == 'X' and e['name'] == name:
            by.setdefault(e['args']['owner'], []).append(e)
    return by


def close_enough(a, b):
    return abs(a - b) <= TOL * max(a, b)


class Trace(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='sio_trace_test.')
        self.procs = []
        self.files = []

    def tearDown(self):
        sio_harness.kill_all(self.procs)
        for f in self.files:
            if os.path.exists(f):
                os.unlink(f)
        subprocess.run(['rm', '-rf', self.tmp])

    def path(self, name):
        return os.path.join(self.tmp, name)

    def bdevperf(self, args):
        res = self.path('bp.json')
        p = subprocess.Popen([tool('bdevperf', 'sio_bdevperf'), *args, '-r', self.path('bp.sock'),
                              '--results-json', res], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        self.procs.append(p)
        out, _ = p.communicate(timeout=120)
        print(out, flush=True)
        self.assertEqual(p.returncode, 0)
        shm = '/dev/shm/sio_bdevperf_trace.pid%d' % p.pid
        self.files.append(shm)
        self.assertTrue(os.path.exists(shm), 'the exited process left no trace file %s' % shm)
        with open(res) as f:
            return json.load(f), shm

    def test_bdevperf_delay_qd1(self):
        cfg = {'subsystems': [{'subsystem': 'bdev', 'config': [
            {'method': 'bdev_null_create',
             'params': {'name': 'Null0', 'num_blocks': 65536, 'block_size': 4096}},
            {'method': 'bdev_delay_create',
             'params': {'base_bdev_name': 'Null0', 'name': 'Delay0',
                        'avg_read_latency': DELAY_US, 'p99_read_latency': DELAY_US,
                        'avg_write_latency': DELAY_US, 'p99_write_latency': DELAY_US}}]}]}
        with open(self.path('cfg.json'), 'w') as f:
            json.dump(cfg, f)
        res, shm = self.bdevperf(['-c', self.path('cfg.json'), '-T', 'Delay0', '-q', '1',
                                  '-o', '4096', '-w', 'randread', '-t', '2', '-e', 'bdev'])
        # A copy reads like the original (the -f path of an exited process).
        copy = self.path('copy_trace')
        subprocess.run(['cp', shm, copy], check=True)
        st, ch = sio_trace(['-f', copy], self.tmp, 'bp_delay')
        b = st['requests']['BDEV_IO_START']
        self.assertGreater(b['completed'], 0)
        self.assertEqual(b['without_end'], 0, 'a bdev I/O started and never completed')
        self.assertEqual(b['end_without_start'], 0, 'nothing should have been overwritten')
        self.assertEqual(b['started'], b['completed'])
        named, used = lanes(ch)
        self.assertTrue(used and used <= named, 'lanes %s, events on %s' % (named, used))
        by = slices_by_owner(ch, 'bdev_io')
        self.assertEqual(sum(len(v) for v in by.values()), b['completed'])
        # The delay bdev is the owner with the long requests (its base, the
        # null bdev, has the same count of near-zero ones).
        delay = max(by.values(), key=lambda v: sum(e['dur'] for e in v) / len(v))
        mean = sum(e['dur'] for e in delay) / len(delay)
        tool_avg = res['total']['avg_latency_us']
        done = res['total'].get('io_completed', res['results'][0]['io_completed'])
        print('trace: %d delay-bdev requests, mean %.1f us; bdevperf: %d I/O, avg %.1f us' %
              (len(delay), mean, done, tool_avg), flush=True)
        self.assertLessEqual(abs(len(delay) - done), 2)
        self.assertTrue(close_enough(mean, tool_avg), 'trace %.1f us vs bdevperf %.1f us' %
                        (mean, tool_avg))
        self.assertGreaterEqual(mean, DELAY_US * 0.95)

    def test_bdevperf_passthru_qd1(self):
        # A forwarded I/O that the module finishes in its forward callback
        # (passthru; lvol the same) ends twice: on the base, then on the
        # module's bdev. The second record was missing: half the passthru
        # requests never ended.
        cfg = {'subsystems': [{'subsystem': 'bdev', 'config': [
            {'method': 'bdev_null_create',
             'params': {'name': 'Null0', 'num_blocks': 65536, 'block_size': 4096}},
            {'method': 'bdev_passthru_create',
             'params': {'base_bdev_name': 'Null0', 'name': 'PT0'}}]}]}
        with open(self.path('cfg_pt.json'), 'w') as f:
            json.dump(cfg, f)
        res, shm = self.bdevperf(['-c', self.path('cfg_pt.json'), '-T', 'PT0', '-q', '1',
                                  '-o', '4096', '-w', 'randread', '-t', '1', '-e', 'bdev'])
        st, ch = sio_trace(['-f', shm], self.tmp, 'bp_pt')
        b = st['requests']['BDEV_IO_START']
        print('passthru: started %d, completed %d' % (b['started'], b['completed']), flush=True)
        self.assertGreater(b['completed'], 1000)
        self.assertEqual(b['without_end'], 0, 'a bdev I/O started and never completed')
        self.assertEqual(b['end_without_start'], 0)
        by = slices_by_owner(ch, 'bdev_io')
        counts = sorted(len(v) for v in by.values())
        self.assertEqual(len(counts), 2, 'two owners, passthru and null: %s' % counts)
        self.assertLessEqual(counts[1] - counts[0], 1)

    def test_bdevperf_null_wraps(self):
        qd = 32
        res, shm = self.bdevperf(['--default-bdev', 'null', '-q', str(qd), '-o', '4096',
                                  '-w', 'randread', '-t', '1', '-e', 'bdev'])
        st, ch = sio_trace(['-f', shm], self.tmp, 'bp_null')
        b = st['requests']['BDEV_IO_START']
        self.assertEqual(b['without_end'], 0, 'a bdev I/O started and never completed')
        self.assertLessEqual(b['end_without_start'], qd)
        self.assertGreater(b['completed'], 1000)
        named, used = lanes(ch)
        self.assertTrue(used and used <= named)

    def test_bdevperf_null_task(self):
        # Awaited I/O (--api task): their traced completion takes its own path
        # in sio_bdev_io_complete(); every request still ends.
        qd = 32
        res, shm = self.bdevperf(['--default-bdev', 'null', '-q', str(qd), '-o', '4096',
                                  '-w', 'randread', '-t', '1', '--api', 'task', '-e', 'bdev'])
        st, ch = sio_trace(['-f', shm], self.tmp, 'bp_task')
        b = st['requests']['BDEV_IO_START']
        self.assertEqual(b['without_end'], 0, 'a bdev I/O started and never completed')
        self.assertLessEqual(b['end_without_start'], qd)
        self.assertGreater(b['completed'], 1000)

    def start_tgt(self, args):
        bdevs = [sio_harness.malloc_bdev('Malloc0', 8192),
                 {'method': 'bdev_delay_create',
                  'params': {'base_bdev_name': 'Malloc0', 'name': 'Delay0',
                             'avg_read_latency': DELAY_US, 'p99_read_latency': DELAY_US,
                             'avg_write_latency': DELAY_US, 'p99_write_latency': DELAY_US}}]
        first = len(self.procs)
        try:
            t = sio_harness.start_tgt(B, self.tmp, lambda port: sio_harness.tcp_target_config(
                NQN, port, 'SIO16', bdevs, ns_bdev='Delay0'), args=args, tries=5,
                procs=self.procs)
        finally:
            # every try's process may have left its trace file
            self.files += ['/dev/shm/sio_tgt_trace.pid%d' % p.pid for p in self.procs[first:]]
        return t.proc, t.port

    def test_tgt_with_nvme_perf(self):
        tgt, port = self.start_tgt(['-m', '0x1', '-e', 'nvmf_tcp,bdev'])
        sock = self.path('tgt.sock')
        shm = '/dev/shm/sio_tgt_trace.pid%d' % tgt.pid
        info = rpc(sock, 'trace_get_info')
        self.assertEqual(info['tpoint_shm_path'], shm)
        self.assertEqual(info['tpoint_group_mask'], '0x28')
        self.assertEqual(info['bdev'], {'mask': '0x8', 'tpoint_mask': '0xffffffffffffffff'})
        self.assertEqual(info['nvmf_tcp']['mask'], '0x20')
        self.assertEqual(info['thread']['tpoint_mask'], '0x0')
        gm = rpc(sock, 'trace_get_tpoint_group_mask')
        self.assertEqual(gm['tpoint_group_mask'], '0x28')
        self.assertEqual(gm['nvmf_tcp'], {'enabled': True, 'mask': '0x20'})
        self.assertEqual(gm['thread'], {'enabled': False, 'mask': '0x400'})
        # Start from an empty trace: only the I/O below is judged.
        self.assertIs(rpc(sock, 'trace_clear'), True)

        res = self.path('perf.json')
        trid = sio_harness.tcp_trid(port, NQN)
        env = sio_harness.tsan_tolerant_env()
        perf = subprocess.Popen([tool('nvme_perf', 'sio_nvme_perf'), '-r', trid, '-q', '1',
                                 '-o', '4096', '-w', 'randread', '-t', '2', '-e', 'nvme_tcp',
                                 '--results-json', res], env=env)
        self.procs.append(perf)
        self.assertEqual(perf.wait(timeout=60), 0)
        host_shm = '/dev/shm/sio_nvme_perf_trace.pid%d' % perf.pid
        self.files.append(host_shm)
        with open(res) as f:
            total = json.load(f)['total']

        # The host's own trace: its submit-to-completion times are what it
        # reports (at QD 1 on a loaded machine, mostly the two processes
        # waiting for a core: the target side below is a small part).
        hst, hch = sio_trace(['-f', host_shm], self.tmp, 'host')
        h = hst['requests']['NVME_TCP_SUBMIT']
        self.assertEqual(h['end_without_start'], 0)
        # Only the Asynchronous Event Requests (opcode 0Ch) stay open: the
        # controller answers them only on an event; detach cancels them.
        open_sub = [e for e in hch['traceEvents']
                    if e['ph'] == 'i' and e['name'] == 'NVME_TCP_SUBMIT']
        self.assertEqual(len(open_sub), h['without_end'])
        self.assertTrue(all(e['args']['opc'] == 0x0c for e in open_sub), open_sub)
        self.assertLessEqual(len(open_sub), 4)
        by = slices_by_owner(hch, 'nvme_req')
        # The I/O queue pair's reads (its Fabrics Connect, and the admin
        # queue's commands, are requests too).
        io = max(([e for e in v if e['args']['opc'] == 2] for v in by.values()), key=len)
        mean = sum(e['dur'] for e in io) / len(io)
        print('host trace: %d I/O, mean %.1f us; sio_nvme_perf: avg %.1f us' %
              (len(io), mean, total['avg_lat_us']), flush=True)
        self.assertTrue(all(e['args']['bytes'] == 4096 for e in io))
        self.assertTrue(close_enough(mean, total['avg_lat_us']), 'trace %.1f vs perf %.1f us' %
                        (mean, total['avg_lat_us']))

        # The target, read live (it keeps running, tracing enabled).
        st, ch = sio_trace(['-p', str(tgt.pid), '-s', 'sio_tgt'], self.tmp, 'tgt')
        self.assertIsNone(tgt.poll())
        r = st['requests']['TCP_REQ_NEW']
        self.assertGreaterEqual(r['completed'], len(io))
        # Open requests may only be admin commands the host leaves outstanding
        # (AER): no I/O command without its completion.
        open_new = [e for e in ch['traceEvents'] if e['ph'] == 'i' and e['name'] == 'TCP_REQ_NEW']
        self.assertEqual(len(open_new), r['without_end'])
        self.assertTrue(all(e['args']['nsid'] == 0 for e in open_new), open_new)
        self.assertLessEqual(len(open_new), 4)
        self.assertEqual(st['requests']['BDEV_IO_START']['without_end'], 0)
        named, used = lanes(ch)
        self.assertTrue(used and used <= named)
        reads = [e for e in ch['traceEvents'] if e['ph'] == 'X' and e['name'] == 'nvmf_tcp_req' and
                 e['args']['opc'] == 2 and e['args']['nsid'] == 1]
        self.assertEqual(len(reads), len(io))
        tmean = sum(e['dur'] for e in reads) / len(reads)
        print('target trace: %d reads, mean %.1f us (delay bdev %d us)' %
              (len(reads), tmean, DELAY_US), flush=True)
        self.assertGreaterEqual(tmean, DELAY_US * 0.95)
        self.assertLessEqual(tmean, mean)

        # The RPCs change what is recorded.
        self.assertIs(rpc(sock, 'trace_disable_tpoint_group', {'name': 'nvmf_tcp'}), True)
        self.assertIs(rpc(sock, 'trace_set_tpoint_mask', {'name': 'thread', 'tpoint_mask': 8}),
                      True)
        info = rpc(sock, 'trace_get_info')
        self.assertEqual(info['tpoint_group_mask'], '0x408')
        self.assertEqual(info['thread']['tpoint_mask'], '0x8')
        self.assertIs(rpc(sock, 'trace_clear_tpoint_mask', {'name': 'bdev', 'tpoint_mask': 1}),
                      True)
        self.assertEqual(rpc(sock, 'trace_get_info')['bdev']['tpoint_mask'],
                         '0xfffffffffffffffe')
        self.assertIs(rpc(sock, 'trace_enable_tpoint_group', {'name': 'all'}), True)
        self.assertIs(rpc(sock, 'trace_disable_tpoint_group', {'name': 'all'}), True)
        self.assertEqual(rpc(sock, 'trace_get_info')['tpoint_group_mask'], '0x0')
        with self.assertRaises(AssertionError):
            rpc(sock, 'trace_enable_tpoint_group', {'name': 'nope'})
        tgt.send_signal(signal.SIGTERM)
        self.assertEqual(tgt.wait(timeout=30), 0)
        # It held records: kept after exit for sio_trace -f.
        self.assertTrue(os.path.exists(shm))


if __name__ == '__main__':
    B = sys.argv[1]
    unittest.main(argv=sys.argv[:1], verbosity=2)
