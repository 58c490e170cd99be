#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sio_top against a running sio_tgt while sio_nvme_perf drives reads:
- --once prints the four sections with their header rows; every data row has
  one cell per column and numbers where numbers belong; Malloc0's read IOPS
  is non-zero and no more than the reads bdev_get_iostat counted over the
  whole sio_top run allow (its window is inside that run); the poll-group
  threads show in THREADS and the bdev poller in POLLERS;
- in a real terminal (tmux new-session -d, send-keys, capture-pane): the
  first screen shows THREADS, keys 4 / 3 / 2 switch views, s moves the sort
  mark, q quits and the process exits 0. Skipped (77) without tmux.

usage: test_sio_top.py BUILD_ROOT
"""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgt_util  # noqa: E402

COLS = {
    'THREADS': ['name', 'id', 'core', 'active', 'timed', 'busy%'],
    'POLLERS': ['name', 'thread', 'type', 'runs/s', 'busy/s', 'period_us'],
    'CORES': ['core', 'threads', 'busy%', 'interrupt'],
    'BDEVS': ['name', 'read_iops', 'write_iops', 'MiB/s', 'read_lat_us', 'write_lat_us',
              'errors'],
}
TEXT_COLS = {'name', 'thread', 'type', 'interrupt'}


def parse_once(out):
    """{section: [dict(col -> str)]}; raises AssertionError on anything malformed."""
    secs = {}
    blocks = out.strip('\n').split('\n\n')
    for blk in blocks:
        lines = blk.split('\n')
        name = lines[0]
        assert name in COLS, 'unknown section %r' % name
        head = lines[1].split()
        assert head == COLS[name], '%s header %r' % (name, head)
        rows = []
        for ln in lines[2:]:
            cells = ln.split()
            assert len(cells) == len(head), '%s row %r' % (name, ln)
            row = dict(zip(head, cells))
            for c, v in row.items():
                if c not in TEXT_COLS:
                    float(v)
            rows.append(row)
        secs[name] = rows
    assert set(secs) == set(COLS), 'sections %s' % sorted(secs)
    return secs


def tmux(*args):
    return subprocess.run(['tmux'] + list(args), capture_output=True, text=True, timeout=20)


def wait_screen(session, pattern, timeout=20):
    end = time.monotonic() + timeout
    screen = ''
    while time.monotonic() < end:
        screen = tmux('capture-pane', '-p', '-t', session).stdout
        if pattern in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError('screen never showed %r; last screen:\n%s' % (pattern, screen))


def main():
    b = sys.argv[1]
    top = tgt_util.tool(b, 'sio_top', 'sio_top')
    if not tgt_util.have_tools(b, ('sio_tgt', 'sio_tgt'), ('nvme_perf', 'sio_nvme_perf'),
                               ('sio_top', 'sio_top')):
        return 77
    check = tgt_util.Checks()

    with tgt_util.tmpdir() as tmp:
        tgt = tgt_util.start_tgt(b, tmp)
        p, port, log, rpc = tgt.proc, tgt.port, tgt.log, tgt.rpc
        sock = rpc.path
        try:
            res = {}

            def perf():
                res['t'] = tgt_util.run_perf(b, tmp, port, seconds=4, qd=16, workload='randread')
            th = threading.Thread(target=perf)
            th.start()
            time.sleep(1.5)  # connected and running
            t0 = time.monotonic()
            n0 = rpc.call('bdev_get_iostat', {'names': ['Malloc0']})['bdevs'][0]['num_read_ops']
            r = subprocess.run([top, '-r', sock, '--once', '-d', '1000'], capture_output=True,
                               text=True, timeout=30)
            n1 = rpc.call('bdev_get_iostat', {'names': ['Malloc0']})['bdevs'][0]['num_read_ops']
            t1 = time.monotonic()
            th.join()
            print(r.stdout)
            check(r.returncode == 0, '--once exits 0 (%d) %s' % (r.returncode, r.stderr.strip()))
            try:
                secs = parse_once(r.stdout)
                check(True, '--once output parses: %s' %
                      ', '.join('%s %d rows' % (k, len(v)) for k, v in secs.items()))
                bd = [x for x in secs['BDEVS'] if x['name'] == 'Malloc0']
                iops = float(bd[0]['read_iops']) if bd else 0
                # sio_top's 1 s window lies inside [t0, t1]: it cannot have seen more.
                most = (n1 - n0) / 1.0
                check(bd and 0 < iops <= most * 1.05,
                      'Malloc0 read IOPS %.0f: > 0, <= the %d reads of the %.1f s run '
                      '(perf averaged %.0f)' % (iops, n1 - n0, t1 - t0, res['t']['iops']))
                check(float(bd[0]['read_lat_us']) > 0, 'Malloc0 read latency shown')
                check(any(x['name'].startswith('nvmf_pg') for x in secs['THREADS']),
                      'poll-group threads listed')
                check(len(secs['CORES']) == 2, 'two cores listed')
                check(len(secs['POLLERS']) > 0, 'pollers listed')
            except (AssertionError, ValueError, IndexError) as e:
                check(False, '--once output parses: %s' % e)
            r = subprocess.run([top, '-r', os.path.join(tmp, 'nope.sock'), '--once'],
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 1 and 'cannot connect' in r.stderr,
                  'a missing socket is reported (%d)' % r.returncode)

            if shutil.which('tmux') is None:
                print('SKIP: tmux not installed: the interactive part is not run')
            else:
                session = 'siotop%d' % os.getpid()
                env_cmd = '%s -r %s -d 300; echo sio_top-exit=$?; sleep 30' % (top, sock)
                tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', env_cmd)
                try:
                    s = wait_screen(session, 'busy%')
                    check('\x1b' not in s and 'app_thread' in s, 'first screen: THREADS')
                    tmux('send-keys', '-t', session, '4')
                    s = wait_screen(session, 'read_iops')
                    check('Malloc0' in s, 'key 4: BDEVS shows Malloc0')
                    tmux('send-keys', '-t', session, '3')
                    s = wait_screen(session, 'interrupt')
                    check('busy%v' in s, 'key 3: CORES sorted by busy%')
                    tmux('send-keys', '-t', session, 's')
                    s = wait_screen(session, 'interrupt')
                    time.sleep(0.5)
                    s = tmux('capture-pane', '-p', '-t', session).stdout
                    check('interruptv' in s, 's moves the sort mark to the next column')
                    tmux('send-keys', '-t', session, '2')
                    s = wait_screen(session, 'runs/s')
                    check('period_us' in s, 'key 2: POLLERS')
                    tmux('send-keys', '-t', session, 'q')
                    s = wait_screen(session, 'sio_top-exit=')
                    check('sio_top-exit=0' in s, 'q quits with status 0')
                finally:
                    tmux('kill-session', '-t', session)
        finally:
            check.stopped(p, 'sio_tgt', log)
    return check.result()


if __name__ == '__main__':
    sys.exit(main())
