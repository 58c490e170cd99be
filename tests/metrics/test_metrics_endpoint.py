#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The metrics endpoint of a running sio_tgt (--metrics-addr) serving
sio_nvme_perf over NVMe/TCP, latency histogram enabled:
- every line of a scrape parses with a strict parser of the text format
  (promparse.py), and `promtool check metrics` accepts it when promtool is
  installed (Debian package prometheus; skipped with a note otherwise);
- the figures are the real ones: bdev read/write counts equal
  bdev_get_iostat's, the histogram's _count equals them too, threads and
  reactors are there, the subsystem shows one controller while perf runs;
- 404 for another path, 405 for POST; framework_metrics_stop closes the
  port, framework_metrics_start opens it again, a second start is refused;
- a scrape loop (every 100 ms, 150x Prometheus' usual 15 s) during I/O: IOPS
  with and without it, runs interleaved, printed as a same-run ratio. The
  bound (0.6) only catches a blocked I/O path: on the shared 2-core machine,
  and under sanitizers where a collection costs ~10x, the scraper's and the
  app thread's CPU compete with the I/O threads' for the same two cores.

usage: test_metrics_endpoint.py BUILD_ROOT
"""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promparse  # noqa: E402
import tgt_util  # noqa: E402


def series(fams, fam, name=None, **labels):
    for n, lab, v in fams[fam]['samples']:
        if (name is None or n == name) and all(lab.get(k) == x for k, x in labels.items()):
            return v
    raise KeyError('%s %s' % (fam, labels))


def main():
    b = sys.argv[1]
    if not tgt_util.have_tools(b, ('sio_tgt', 'sio_tgt'), ('nvme_perf', 'sio_nvme_perf')):
        return 77
    check = tgt_util.Checks()

    with tgt_util.tmpdir() as tmp:
        tgt = tgt_util.start_tgt(b, tmp, metrics=True)
        p, port, log, rpc, addr = tgt.proc, tgt.port, tgt.log, tgt.rpc, tgt.metrics_addr
        try:
            rpc.call('bdev_enable_histogram', {'name': 'Malloc0', 'enable': True})
            # Scrapes while perf runs (every 0.3 s): the most controllers and queue
            # pairs seen, each scrape parsed (a slow sanitizer build connects late).
            during = {'c': 0, 'q': 0, 'n': 0, 'err': None}
            perf_done = threading.Event()

            def scrape_during():
                while not perf_done.is_set():
                    try:
                        d = promparse.parse(tgt_util.scrape(addr)[2])
                        during['n'] += 1
                        c = series(d, 'sio_nvmf_subsystem_controllers', nqn=tgt_util.NQN)
                        q = series(d, 'sio_nvmf_subsystem_qpairs', nqn=tgt_util.NQN)
                        if c > during['c'] or (c == during['c'] and q > during['q']):
                            during['c'], during['q'] = c, q
                    except (ValueError, KeyError, OSError) as e:
                        during['err'] = str(e)
                    time.sleep(0.3)
            t = threading.Thread(target=scrape_during)
            t.start()
            try:
                tgt_util.run_perf(b, tmp, port, seconds=3)
            finally:
                perf_done.set()
                t.join()
            st, ctype, body = tgt_util.scrape(addr)
            io = rpc.call('bdev_get_iostat', {'names': ['Malloc0']})['bdevs'][0]
            check(st == 200 and ctype.startswith('text/plain; version=0.0.4'),
                  'GET /metrics: %d %s' % (st, ctype))
            path = os.path.join(tmp, 'scrape.txt')
            with open(path, 'w') as f:
                f.write(body)
            try:
                fams = promparse.parse(body)
                check(True, 'strict parse of %d lines, %d families' %
                      (body.count('\n'), len(fams)))
            except ValueError as e:
                check(False, 'strict parse: %s' % e)
                fams = {}
            promtool = shutil.which('promtool')
            if promtool:
                r = subprocess.run([promtool, 'check', 'metrics'], input=body.encode(),
                                   capture_output=True)
                out = (r.stdout + r.stderr).decode().strip()
                check(r.returncode == 0, 'promtool check metrics: rc %d %s' % (r.returncode, out))
            else:
                print('note: promtool not installed (Debian package prometheus): step skipped')
            if fams:
                reads = series(fams, 'sio_bdev_ops_total', bdev='Malloc0', op='read')
                writes = series(fams, 'sio_bdev_ops_total', bdev='Malloc0', op='write')
                check(reads == io['num_read_ops'] and writes == io['num_write_ops'],
                      'bdev ops match bdev_get_iostat (%d/%d vs %d/%d)' %
                      (reads, writes, io['num_read_ops'], io['num_write_ops']))
                rb = series(fams, 'sio_bdev_bytes_total', bdev='Malloc0', op='read')
                check(rb == io['bytes_read'], 'bytes read match (%d)' % rb)
                # Sock counters: the target sent at least the data perf read and
                # received at least what it wrote (plus PDU headers), and accepted
                # perf's admin and I/O connections.
                def sock_sum(fam):
                    return sum(v for n, lab, v in fams[fam]['samples'])
                tx = sock_sum('sio_sock_bytes_sent_total')
                rx = sock_sum('sio_sock_bytes_received_total')
                acc = sock_sum('sio_sock_connections_accepted_total')
                print('sock: sent %d B, received %d B, accepted %d; bdev read %d B, written %d B'
                      % (tx, rx, acc, io['bytes_read'], io['bytes_written']))
                check(tx >= io['bytes_read'] > 0 and rx >= io['bytes_written'] and acc >= 2,
                      'sock byte counters cover the data moved')
                lat = series(fams, 'sio_bdev_latency_seconds_total', bdev='Malloc0', op='read')
                want = io['read_latency_ticks'] / rpc.call('bdev_get_iostat')['tick_rate']
                check(abs(lat - want) <= 1e-6 * max(want, 1), 'read latency sum matches')
                hc = series(fams, 'sio_bdev_io_latency_seconds', 'sio_bdev_io_latency_seconds_count',
                            bdev='Malloc0')
                check(hc > 0 and hc <= reads + writes,
                      'histogram _count %d within the I/O since enable' % hc)
                check(any(n.startswith('sio_thread_busy') for n in fams) and
                      series(fams, 'sio_reactor_busy_seconds_total', core='0') > 0,
                      'thread and reactor busy time present')
                print('during perf: %d scrapes, at most %d controller(s), %d qpairs; error %s' %
                      (during['n'], during['c'], during['q'], during['err']))
                check(during['err'] is None, 'every scrape during I/O parses')
                check(during['c'] == 1 and during['q'] >= 2,
                      'one controller and its queue pairs while perf runs')
                c = series(fams, 'sio_nvmf_subsystem_controllers', nqn=tgt_util.NQN)
                check(c == 0, 'no controller after perf (%d)' % c)
            st, _, _ = tgt_util.scrape(addr, path='/other')
            check(st == 404, 'GET /other: %d' % st)
            st, _, _ = tgt_util.scrape(addr, method='POST')
            check(st == 405, 'POST /metrics: %d' % st)
            try:
                rpc.call('framework_metrics_start', {'listen_address': '127.0.0.1:0'})
                check(False, 'second start refused')
            except tgt_util.RpcError as e:
                check(e.code == -114, 'second start refused with -EALREADY (%s)' % e)
            check(rpc.call('framework_metrics_stop') is True, 'framework_metrics_stop')
            try:
                socket.create_connection(('127.0.0.1', int(addr.rsplit(':', 1)[1])),
                                         timeout=2).close()
                check(False, 'port closed after stop')
            except OSError:
                check(True, 'port closed after stop')
            r = rpc.call('framework_metrics_start', {'listen_address': '127.0.0.1:0'})
            addr = r['listen_address']
            st, _, body = tgt_util.scrape(addr)
            check(st == 200 and 'sio_bdev_ops_total' in body, 'started again by RPC on %s' % addr)

            # Scrape cost: IOPS with a 100 ms scrape loop vs without, interleaved.
            stop = threading.Event()
            scrapes = [0]

            def loop():
                while not stop.is_set():
                    tgt_util.scrape(addr)
                    scrapes[0] += 1
                    time.sleep(0.1)
            # Pairs of neighbouring runs, in the order off-on, on-off, off-on, so that a
            # drift of the machine's speed (the CI VM was seen at 406 k then 233 k IOPS in
            # two "off" runs 4 s apart) lands inside no single pair's ratio twice in one
            # direction. A scrape that stalls the reactor lowers every pair; a stall of
            # the machine lowers one. So the check takes the best pair.
            pairs = []
            for order in (('off', 'on'), ('on', 'off'), ('off', 'on')):
                got = {}
                for mode in order:
                    th = None
                    if mode == 'on':
                        stop.clear()
                        th = threading.Thread(target=loop)
                        th.start()
                    tot = tgt_util.run_perf(b, tmp, port, seconds=2, qd=32, workload='randread')
                    if th:
                        stop.set()
                        th.join()
                    got[mode] = tot['iops']
                    print('%s: %.0f IOPS' % (mode, tot['iops']), flush=True)
                pairs.append(got['on'] / max(got['off'], 1))
            ratio = max(pairs)
            print('scrapes during the "on" runs: %d; IOPS ratio on/off per pair %s, best %.3f'
                  % (scrapes[0], ' '.join('%.3f' % r for r in pairs), ratio))
            check(ratio > 0.6, 'scrape loop leaves IOPS within the noise (ratio %.3f)' % ratio)
        finally:
            check.stopped(p, 'sio_tgt', log, 4000)
    return check.result()


if __name__ == '__main__':
    sys.exit(main())
