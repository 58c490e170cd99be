#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sio_nvme_perf against sio_tgt over loopback: the NVMe/TCP table of the
README (issue 13's workloads), for one or more builds or target flag sets,
run interleaved so that every variant sees the same machine load.

Each round starts the target of each variant in turn (pinned to core 0,
`-m 0x1`, a null bdev of 4 KiB blocks, one TCP listener), runs every
workload against it with `sio_nvme_perf -c 0x2` (pinned to core 1), and
stops it. The table gives the median over the rounds, and the load average
seen at the start and the end (the machine is shared: say how loaded it was).

With --cpu it also gives, for sio_nvme_perf runs, the busy CPU time per I/O
of each side in microseconds (target / host): a side's CPU time over the
run times the share of its poll ticks that did work (both sides poll, so
their CPU time is the wall time they were given; the idle polls are not
work). The target's comes from /proc/PID/stat and the thread_get_stats RPC,
the host's from sio_nvme_perf's --results-json "workers". On a loaded
machine the wall-clock figures mostly say how much CPU the sides were given;
the busy time per I/O moves much less with the load (cache sharing still
inflates it), and the larger of the two bounds the quiet machine's IOPS.

  bench/bench_nvme_tcp_perf.py [-r ROUNDS] [-t SECONDS] [-w NAME,...]
      [--variant LABEL=BUILD_DIR[:TARGET ARGS]]...

  default: one variant "build" = build/ with the target's default flags.
  e.g. --variant poll=build-rel --variant intr=build-rel:--interrupt-mode

Workload names: qd1, qd32, qd128 (4 KiB randread), wqd32 (4 KiB randwrite),
r128k, w128k (128 KiB sequential read/write at QD16), bdev128 (4 KiB randread
at QD128 by `sio_bdevperf -m 0x2` on the nvme bdev of a controller it attaches
to the same target with bdev_nvme_attach_controller: the bdev layer on top of
the same host driver).
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NQN = 'nqn.2016-06.io.spdk:cnode1'
WORKLOADS = {
    'qd1': ('randread', 4096, 1),
    'qd32': ('randread', 4096, 32),
    'qd128': ('randread', 4096, 128),
    'wqd32': ('randwrite', 4096, 32),
    'r128k': ('read', 131072, 16),
    'w128k': ('write', 131072, 16),
    'bdev128': ('randread', 4096, 128),
}
# Workloads run by sio_bdevperf on an nvme bdev instead of sio_nvme_perf.
BDEVPERF = {'bdev128'}


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(port):
    return {'subsystems': [
        {'subsystem': 'bdev', 'config': [
            {'method': 'bdev_null_create',
             'params': {'name': 'Null0', 'num_blocks': 2097152, 'block_size': 4096}}]},
        {'subsystem': 'nvmf', 'config': [
            {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
            {'method': 'nvmf_create_subsystem',
             'params': {'nqn': NQN, 'allow_any_host': True, 'serial_number': 'SIO1'}},
            {'method': 'nvmf_subsystem_add_ns',
             'params': {'nqn': NQN, 'namespace': {'bdev_name': 'Null0'}}},
            {'method': 'nvmf_subsystem_add_listener',
             'params': {'nqn': NQN, 'listen_address': {
                 'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1',
                 'trsvcid': str(port)}}}]}]}


def wait_port(port, proc, secs=20):
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError('sio_tgt exited: rc %d' % proc.returncode)
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('sio_tgt did not listen on %d' % port)


def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def run_bdevperf(build, port, pattern, size, qd, secs, tmp):
    """sio_bdevperf on core 1 over Nvme0n1, attached to the target at @port;
    its figures in sio_nvme_perf's JSON names."""
    cfg = os.path.join(tmp, 'host.json')
    with open(cfg, 'w') as f:
        json.dump({'subsystems': [{'subsystem': 'bdev', 'config': [
            {'method': 'bdev_nvme_attach_controller',
             'params': {'name': 'Nvme0', 'trtype': 'TCP', 'adrfam': 'IPv4',
                        'traddr': '127.0.0.1', 'trsvcid': str(port), 'subnqn': NQN}}]}]}, f)
    res = os.path.join(tmp, 'bres.json')
    subprocess.run(['taskset', '-c', '1', os.path.join(build, 'tools/bdevperf/sio_bdevperf'),
                    '-m', '0x2', '-c', cfg, '-r', os.path.join(tmp, 'host.sock'), '-T', 'Nvme0n1',
                    '-q', str(qd), '-o', str(size), '-w', pattern, '-t', str(secs), '--quiet',
                    '--results-json', res],
                   check=True, stdout=subprocess.DEVNULL, timeout=secs + 60)
    with open(res) as f:
        jobs = json.load(f)['results']
    return {'iops': sum(j['iops'] for j in jobs), 'mibps': sum(j['mibps'] for j in jobs),
            'avg_lat_us': max(j['avg_latency_us'] for j in jobs),
            'max_lat_us': max(j['max_latency_us'] for j in jobs)}


def tgt_cpu(pid):
    """The target's CPU seconds (user + system)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    return cpu


def tgt_ticks(rpc, sock):
    out = subprocess.run([sys.executable, rpc, '-s', sock, 'thread_get_stats'], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    d = json.loads(out[out.index('{'):])
    return (sum(t['busy'] for t in d['threads']), sum(t['idle'] for t in d['threads']))


def busy_us(cpu_s, busy, idle, ios):
    """Microseconds of CPU per I/O that went to polls that did work."""
    if ios <= 0 or busy + idle <= 0:
        return float('nan')
    return cpu_s * busy / (busy + idle) / ios * 1e6


def run_variant(build, tgt_args, names, secs, tmp, cpu=False):
    port = free_port()
    cfg = os.path.join(tmp, 'tgt.json')
    with open(cfg, 'w') as f:
        json.dump(config(port), f)
    tgt = subprocess.Popen(['taskset', '-c', '0', os.path.join(build, 'tools/sio_tgt/sio_tgt'),
                            '-m', '0x1', '-c', cfg, '-r', os.path.join(tmp, 'tgt.sock')]
                           + tgt_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        wait_port(port, tgt)
        trid = ('trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d subnqn:%s' % (port, NQN))
        for name in names:
            pattern, size, qd = WORKLOADS[name]
            if name in BDEVPERF:
                out[name] = run_bdevperf(build, port, pattern, size, qd, secs, tmp)
                continue
            res = os.path.join(tmp, 'res.json')
            if cpu:
                rpc = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools',
                                   'sio_rpc.py')
                tsock = os.path.join(tmp, 'tgt.sock')
                c0, k0 = tgt_cpu(tgt.pid), tgt_ticks(rpc, tsock)
            subprocess.run(['taskset', '-c', '1',
                            os.path.join(build, 'tools/nvme_perf/sio_nvme_perf'),
                            '-c', '0x2', '-t', str(secs), '-r', trid, '-q', str(qd),
                            '-o', str(size), '-w', pattern, '--results-json', res],
                           check=True, stdout=subprocess.DEVNULL, timeout=secs + 60)
            with open(res) as f:
                d = json.load(f)
            tot = d['total']
            if cpu:
                c1, k1 = tgt_cpu(tgt.pid), tgt_ticks(rpc, tsock)
                ios = tot['iops'] * d['time_s']
                tot['tgt_us'] = busy_us(c1 - c0, k1[0] - k0[0], k1[1] - k0[1], ios)
                ws = d.get('workers', [])
                tot['host_us'] = busy_us(sum(w['cpu_s'] for w in ws),
                                         sum(w['busy_s'] for w in ws),
                                         sum(w['idle_s'] for w in ws), ios)
            out[name] = tot
    finally:
        tgt.terminate()
        tgt.wait(30)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-r', '--rounds', type=int, default=3)
    ap.add_argument('-t', '--time', type=int, default=3)
    ap.add_argument('-w', '--workloads', default=','.join(WORKLOADS))
    ap.add_argument('--variant', action='append', default=[])
    ap.add_argument('--cpu', action='store_true',
                    help='busy CPU us per I/O of the target and the host (see above)')
    a = ap.parse_args()
    variants = []
    for v in a.variant or ['build=build']:
        label, rest = v.split('=', 1)
        build, _, args = rest.partition(':')
        variants.append((label, build, args.split()))
    names = a.workloads.split(',')
    results = {(lab, n): [] for lab, _, _ in variants for n in names}
    load = [loadavg()]
    start = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    with tempfile.TemporaryDirectory(prefix='sio_tcp_perf') as tmp:
        for r in range(a.rounds):
            for lab, build, args in variants:
                out = run_variant(build, args, names, a.time, tmp, a.cpu)
                for n in names:
                    results[(lab, n)].append(out[n])
                    t = out[n]
                    extra = ''
                    if 'tgt_us' in t:
                        extra = ' busy us/IO tgt %.2f host %.2f' % (t['tgt_us'], t['host_us'])
                    print('round %d %-8s %-6s %10.0f IOPS %8.1f MiB/s avg %7.1f us max %8.1f us'
                          '%s (load %.1f)' % (r + 1, lab, n, t['iops'], t['mibps'], t['avg_lat_us'],
                                              t['max_lat_us'], extra, loadavg()), file=sys.stderr)
    load.append(loadavg())
    print('\n%s, %d rounds of %d s, interleaved; load average %.1f at start, %.1f at end\n'
          % (start, a.rounds, a.time, load[0], load[1]))
    print('| workload | ' + ' | '.join(lab for lab, _, _ in variants) + ' |')
    print('|---|' + '---:|' * len(variants))
    for n in names:
        pattern, size, qd = WORKLOADS[n]
        cells = []
        for lab, _, _ in variants:
            rs = results[(lab, n)]
            iops = statistics.median(x['iops'] for x in rs)
            mib = statistics.median(x['mibps'] for x in rs)
            lat = statistics.median(x['avg_lat_us'] for x in rs)
            mx = statistics.median(x['max_lat_us'] for x in rs)
            if size >= 65536:
                cell = '%.0f MiB/s, max %.1f ms' % (mib, mx / 1000)
            else:
                cell = '%.1f k IOPS, %.1f µs avg, max %.1f ms' % (iops / 1000, lat, mx / 1000)
            if all('tgt_us' in x for x in rs):
                cell += ', busy µs/IO %.2f / %.2f' % (statistics.median(x['tgt_us'] for x in rs),
                                                     statistics.median(x['host_us'] for x in rs))
            cells.append(cell)
        print('| %s%s %s QD%d | %s |' % ('sio_bdevperf, nvme bdev, ' if n in BDEVPERF else '',
                                         '4 KiB' if size == 4096 else '128 KiB', pattern, qd,
                                         ' | '.join(cells)))


if __name__ == '__main__':
    main()
