# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the metrics tests: start sio_tgt with a malloc namespace on a
free loopback port, talk JSON-RPC to it, drive I/O with sio_nvme_perf."""
import json
import os
import re
import socket
import subprocess
import tempfile
import time

NQN = 'nqn.2016-06.io.spdk-io:metrics-test'


class RpcError(Exception):
    def __init__(self, err):
        super().__init__('%s (%s)' % (err.get('message'), err.get('code')))
        self.code = err.get('code')
        self.message = err.get('message')


class Rpc:
    def __init__(self, path):
        self.path = path
        self.id = 0

    def call(self, method, params=None):
        self.id += 1
        req = {'jsonrpc': '2.0', 'method': method, 'id': self.id}
        if params is not None:
            req['params'] = params
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(self.path)
            s.sendall(json.dumps(req).encode())
            buf = b''
            dec = json.JSONDecoder()
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise AssertionError('RPC connection closed')
                buf += chunk
                try:
                    rsp, _ = dec.raw_decode(buf.decode())
                    break
                except ValueError:
                    continue
        if 'error' in rsp:
            raise RpcError(rsp['error'])
        return rsp['result']


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tool(build, *parts):
    return os.path.join(build, 'tools', *parts)


def start_tgt(build, tmp, extra_args=(), mask='0x3', num_blocks=8192):
    """sio_tgt with Malloc0 exported over NVMe/TCP; returns (proc, port, log, rpc)."""
    tgt = tool(build, 'sio_tgt', 'sio_tgt')
    for _ in range(8):
        port = free_port()
        cfg = {'subsystems': [
            {'subsystem': 'bdev', 'config': [
                {'method': 'bdev_malloc_create',
                 'params': {'name': 'Malloc0', 'num_blocks': num_blocks, 'block_size': 4096}}]},
            {'subsystem': 'nvmf', 'config': [
                {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
                {'method': 'nvmf_create_subsystem',
                 'params': {'nqn': NQN, 'allow_any_host': True, 'serial_number': 'SIO0016'}},
                {'method': 'nvmf_subsystem_add_ns',
                 'params': {'nqn': NQN, 'namespace': {'bdev_name': 'Malloc0'}}},
                {'method': 'nvmf_subsystem_add_listener',
                 'params': {'nqn': NQN, 'listen_address': {
                     'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1',
                     'trsvcid': str(port)}}}]}]}
        path = os.path.join(tmp, 'tgt.json')
        with open(path, 'w') as f:
            json.dump(cfg, f)
        sock = os.path.join(tmp, 'tgt.sock')
        log = open(os.path.join(tmp, 'tgt.log'), 'w+')
        args = [tgt, '-m', mask, '-c', path, '-r', sock]
        args += [a.replace('@TMP@', tmp) for a in extra_args]
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 30
        while time.monotonic() < end and p.poll() is None:
            log.seek(0)
            if re.search(r'listening on 127\.0\.0\.1 port %d\b' % port, log.read()):
                return p, port, log, Rpc(sock)
            time.sleep(0.1)
        if p.poll() is None:
            p.kill()
        p.wait()
        log.seek(0)
        print(log.read())
    raise AssertionError('could not start sio_tgt')


def stop_tgt(p):
    if p.poll() is None:
        p.terminate()
        try:
            return p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return -9
    return p.returncode


def run_perf(build, tmp, port, seconds=1, qd=8, workload='randrw', mix=50, size=4096):
    """sio_nvme_perf against the target; returns its JSON 'total'."""
    perf = tool(build, 'nvme_perf', 'sio_nvme_perf')
    trid = 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d subnqn:%s' % (port, NQN)
    res = os.path.join(tmp, 'perf-%d.json' % time.monotonic_ns())
    env = dict(os.environ)
    # The perf tool's own ThreadSanitizer reports are its tests' business.
    env['TSAN_OPTIONS'] = (env.get('TSAN_OPTIONS', '') + ' exitcode=0').strip()
    args = [perf, '-r', trid, '-q', str(qd), '-o', str(size), '-w', workload,
            '-t', str(seconds), '--results-json', res]
    if workload in ('randrw', 'rw'):
        args[args.index('-t'):args.index('-t')] = ['-M', str(mix)]
    subprocess.run(args, check=True, timeout=120, env=env, stdout=subprocess.DEVNULL)
    with open(res) as f:
        return json.load(f)['total']


def have_tools(build, *names):
    for n in names:
        exe = tool(build, *n)
        if not os.access(exe, os.X_OK):
            print('SKIP: %s not built' % exe)
            return False
    return True


def tmpdir():
    return tempfile.TemporaryDirectory(prefix='sio-metrics-')
