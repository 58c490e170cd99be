#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sio_tgt --interrupt-mode with malloc namespaces (whose bdev channel poller
is an active poller while it has I/O) uses next to no CPU while idle: with no
host, with a host connected but silent, and again after a burst of I/O; and
I/O still wakes it (sio_nvme_perf completes without errors).

Without --interrupt-mode (the default, as SPDK's nvmf_tgt) the reactor polls:
it never sleeps (its voluntary context switches stay flat over a second,
where a sleeping reactor makes hundreds), and I/O completes.

Regression test for the malloc/null channel poller that never paused: each
poll group holding such a channel spun at ~25 % of its core forever.

CPU is the target process's utime + stime from /proc/<pid>/stat over a few
seconds; the bound (10 % of one core) is generous for a loaded 2-core CI
machine, and far below the 50 % that two spinning reactors cost before.

usage: test_sio_tgt_idle.py BUILD_ROOT
"""
import os
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

NQN = 'nqn.2016-06.io.spdk-io:idle-test'
HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:7a0b7a5e-0000-4000-8000-1d1e1d1e1d1e'
WINDOW_S = 3.0
MAX_CPU_SHARE = 0.10  # of one core, over the window
POLL_WINDOW_S = 1.0
MAX_POLL_SLEEPS = 5   # voluntary switches of a polling reactor over the window


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        # Fields after the command name, which may contain spaces.
        fields = f.read().rsplit(')', 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line.
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def measure(pid, what):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(WINDOW_S)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    share = (c1 - c0) / (t1 - t0)
    print('%s: %.2f s of CPU over %.1f s (%.1f %% of one core)' %
          (what, c1 - c0, t1 - t0, share * 100), flush=True)
    return share


def voluntary_switches(pid, tid):
    with open('/proc/%d/task/%d/status' % (pid, tid)) as f:
        for line in f:
            if line.startswith('voluntary_ctxt_switches:'):
                return int(line.split()[1])
    raise AssertionError('no voluntary_ctxt_switches for %d/%d' % (pid, tid))


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise AssertionError('target closed the connection')
        buf += chunk
    return buf


def idle_host(port):
    """An NVMe/TCP connection that does ICReq and an admin-queue Connect
    (KATO 0: no keep-alive expected), then stays silent."""
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.sendall(sio_harness.icreq())
    icresp = recv_exact(s, 128)
    assert icresp[0] == 0x01, 'expected ICResp, got PDU type %#x' % icresp[0]
    s.sendall(sio_harness.connect_capsule(HOSTNQN, NQN))
    rsp = recv_exact(s, 24)
    assert rsp[0] == 0x05, 'expected CapsuleResp, got PDU type %#x' % rsp[0]
    status = struct.unpack_from('<H', rsp, 8 + 14)[0] >> 1
    assert status == 0, 'Connect failed: status %#x' % status
    return s


def start_tgt(b, tmp, args=('-m', '0x3', '--interrupt-mode')):
    # Default: two reactors, two poll groups, each holding a malloc channel.
    # The flags alone choose the mode here (the suite's SIO_INTERRUPT_MODE would
    # turn the default-polls check into a second interrupt-mode one).
    env = {k: v for k, v in os.environ.items() if k != 'SIO_INTERRUPT_MODE'}
    t = sio_harness.start_tgt(b, tmp, lambda port: sio_harness.tcp_target_config(
        NQN, port, 'SIO0012'), args=args, env=env, timeout=20)
    return t.proc, t.port, t.log


def run_perf(b, port, res):
    total = sio_harness.run_nvme_perf(b, port, NQN, res, timeout=60)
    print('I/O: %s' % total, flush=True)
    return total


def check_polling(b, tmp, check):
    """The default: one polling reactor (the main thread) that never sleeps."""
    p, port, log = start_tgt(b, tmp, ('-m', '0x1'))
    try:
        time.sleep(0.5)
        v0 = voluntary_switches(p.pid, p.pid)
        time.sleep(POLL_WINDOW_S)
        v1 = voluntary_switches(p.pid, p.pid)
        print('polling reactor: %d voluntary context switches over %.1f s' %
              (v1 - v0, POLL_WINDOW_S), flush=True)
        check(v1 - v0 <= MAX_POLL_SLEEPS, 'default reactor polls (slept %d times in %.1f s)' %
              (v1 - v0, POLL_WINDOW_S))
        total = run_perf(b, port, os.path.join(tmp, 'perf_poll.json'))
        check(total['iops'] > 0 and total['io_errors'] == 0,
              'I/O against the polling target completes: %s' % total)
    finally:
        check.stopped(p, 'polling sio_tgt', log, None)


def main():
    b = sys.argv[1]
    if not sio_harness.have_tools(b, ('sio_tgt', 'sio_tgt'), ('nvme_perf', 'sio_nvme_perf')):
        return 77
    check = sio_harness.Checks()
    cpu_ok = 'below %d %% of a core' % (MAX_CPU_SHARE * 100)
    with tempfile.TemporaryDirectory() as tmp:
        p, port, log = start_tgt(b, tmp)
        try:
            time.sleep(0.5)  # let start-up settle
            check(measure(p.pid, 'idle, no host') <= MAX_CPU_SHARE,
                  'idle target with no host: ' + cpu_ok)
            host = idle_host(port)
            check(measure(p.pid, 'idle, one host connected') <= MAX_CPU_SHARE,
                  'idle target with a silent host: ' + cpu_ok)
            total = run_perf(b, port, os.path.join(tmp, 'perf.json'))
            check(total['iops'] > 0 and total['io_errors'] == 0, 'I/O completes: %s' % total)
            check(measure(p.pid, 'idle again after I/O') <= MAX_CPU_SHARE,
                  'target idle again after the I/O: ' + cpu_ok)
            host.close()
        finally:
            check.stopped(p, 'sio_tgt', log, None)
        check_polling(b, tmp, check)
    return check.result()


if __name__ == '__main__':
    sys.exit(main())
