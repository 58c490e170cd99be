# SPDX-License-Identifier: BSD-3-Clause
"""What the metrics tests share: sio_tgt with a malloc namespace on a free
loopback port (tests/common/sio_harness.py starts it and talks JSON-RPC to
it), sio_nvme_perf driving I/O against it."""
import os
import sys
import subprocess
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
from sio_harness import Checks, RpcError, Rpc, have_tools, scrape, tool  # noqa: E402,F401
import sio_harness  # noqa: E402

NQN = 'nqn.2016-06.io.spdk-io:metrics-test'


def start_tgt(build, tmp, extra_args=(), mask='0x3', num_blocks=8192, metrics=False):
    """sio_tgt with Malloc0 exported over NVMe/TCP (with @metrics, its metrics
    endpoint too: see sio_harness.start_tgt); returns the sio_harness.Target."""
    return sio_harness.start_tgt(
        build, tmp,
        lambda port: sio_harness.tcp_target_config(
            NQN, port, 'SIO0016', [sio_harness.malloc_bdev('Malloc0', num_blocks)]),
        args=['-m', mask] + [a.replace('@TMP@', tmp) for a in extra_args], metrics=metrics)


def run_perf(build, tmp, port, seconds=1, qd=8, workload='randrw', mix=50, size=4096):
    """sio_nvme_perf against the target; returns its JSON 'total'."""
    res = os.path.join(tmp, 'perf-%d.json' % time.monotonic_ns())
    return sio_harness.run_nvme_perf(build, port, NQN, res, seconds=seconds, qd=qd,
                                     workload=workload, mix=mix, size=size,
                                     stdout=subprocess.DEVNULL)


def tmpdir():
    return tempfile.TemporaryDirectory(prefix='sio-metrics-')
