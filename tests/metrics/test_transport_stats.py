#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bdev_nvme_get_transport_statistics (SPDK's name and result shape) on a
sio_bdevperf host attached over loopback NVMe/TCP to a sio_tgt exporting
Malloc0: after a randrw run, the host's poll group lists TCP with every SPDK
key (read while the job runs: the counters live with its channel's queue
pairs), the counters are non-zero, submitted_requests >= the I/O bdev_get_iostat
counted for Nvme0n1 and nvme_completions >= it too; and the target's sock byte
counters (metrics endpoint) cover the bytes moved.

usage: test_transport_stats.py BUILD_ROOT
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promparse  # noqa: E402
import tgt_util  # noqa: E402

TCP_KEYS = ('trname', 'polls', 'idle_polls', 'socket_completions', 'nvme_completions',
            'submitted_requests', 'queued_requests')


def main():
    b = sys.argv[1]
    if not tgt_util.have_tools(b, ('sio_tgt', 'sio_tgt'), ('bdevperf', 'sio_bdevperf')):
        return 77
    check = tgt_util.Checks()

    with tgt_util.tmpdir() as tmp:
        tgt = tgt_util.start_tgt(b, tmp, metrics=True)
        p, port, log = tgt.proc, tgt.port, tgt.log
        hp = None
        try:
            cfg = {'subsystems': [{'subsystem': 'bdev', 'config': [
                {'method': 'bdev_nvme_attach_controller',
                 'params': {'name': 'Nvme0', 'trtype': 'TCP', 'adrfam': 'IPv4',
                            'traddr': '127.0.0.1', 'trsvcid': str(port),
                            'subnqn': tgt_util.NQN}}]}]}
            with open(os.path.join(tmp, 'host.json'), 'w') as f:
                json.dump(cfg, f)
            hsock = os.path.join(tmp, 'host.sock')
            hlog = open(os.path.join(tmp, 'host.log'), 'w+')
            hp = subprocess.Popen([tgt_util.tool(b, 'bdevperf', 'sio_bdevperf'), '-c',
                                   os.path.join(tmp, 'host.json'), '-m', '0x2', '-r', hsock,
                                   '-z', '-q', '16', '-o', '4096', '-w', 'randrw', '-M', '50',
                                   '-t', '3'], stdout=hlog, stderr=subprocess.STDOUT)
            end = time.monotonic() + 60
            while time.monotonic() < end and hp.poll() is None:
                hlog.seek(0)
                if 'Waiting for the perform_tests' in hlog.read():
                    break
                time.sleep(0.1)
            hrpc = tgt_util.Rpc(hsock)
            hrpc.call('framework_wait_init')
            # The counters live with the job's channel (its queue pairs): read
            # them while the job runs. iostat first: the counters only grow.
            res = {}
            th = threading.Thread(target=lambda: res.update(
                r=tgt_util.Rpc(hsock).call('perform_tests')))
            th.start()
            time.sleep(1.5)
            io = hrpc.call('bdev_get_iostat', {'names': ['Nvme0n1']})['bdevs'][0]
            ios = io['num_read_ops'] + io['num_write_ops']
            st = hrpc.call('bdev_nvme_get_transport_statistics')
            th.join()
            io = hrpc.call('bdev_get_iostat', {'names': ['Nvme0n1']})['bdevs'][0]
            print(json.dumps(st))
            pgs = st.get('poll_groups', [])
            tcp = [t for pg in pgs for t in pg['transports'] if t['trname'] == 'TCP']
            check(len(pgs) >= 1 and all('thread' in pg for pg in pgs) and len(tcp) >= 1,
                  'poll_groups with a thread name and a TCP transport')
            tot = {k: sum(t.get(k, 0) for t in tcp) for k in TCP_KEYS[1:]}
            check(all(set(TCP_KEYS) <= set(t) for t in tcp), 'TCP entries have SPDK\'s keys')
            check(tot['polls'] > 0 and tot['socket_completions'] > 0 and
                  tot['nvme_completions'] > 0, 'counters non-zero %s' % tot)
            check(ios > 0 and tot['submitted_requests'] >= ios,
                  'submitted_requests %d >= I/O done %d' % (tot['submitted_requests'], ios))
            check(tot['nvme_completions'] >= ios and
                  tot['nvme_completions'] <= tot['submitted_requests'],
                  'I/O done <= nvme_completions %d <= submitted' % tot['nvme_completions'])
            check(tot['idle_polls'] <= tot['polls'], 'idle_polls <= polls')

            fams = promparse.parse(tgt_util.scrape(tgt.metrics_addr)[2])
            tx = sum(v for n, lab, v in fams['sio_sock_bytes_sent_total']['samples'])
            rx = sum(v for n, lab, v in fams['sio_sock_bytes_received_total']['samples'])
            print('target sock: sent %d B, received %d B; host read %d B, wrote %d B' %
                  (tx, rx, io['bytes_read'], io['bytes_written']))
            check(tx >= io['bytes_read'] > 0 and rx >= io['bytes_written'] > 0,
                  'target sock counters cover the data moved')
        finally:
            if hp is not None:
                check.stopped(hp, 'sio_bdevperf', hlog)
            check.stopped(p, 'sio_tgt', log)
    return check.result()


if __name__ == '__main__':
    sys.exit(main())
