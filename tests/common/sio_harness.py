# SPDX-License-Identifier: BSD-3-Clause
"""What the python tests need to drive real spdk-io processes: start sio_tgt
with a JSON config on a free loopback port and wait until it listens, talk
JSON-RPC to its Unix socket, wait for lines in its log, stop it; the
NVMe/TCP initiator PDUs a test sends by hand; sio_nvme_perf against it.

A test imports it from tests/common (meson runs the tests from the source
tree, so the path is fixed relative to the test file):

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    '..', 'common'))
    import sio_harness  # noqa: E402
"""
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import time


# ---- executables ----

def tool(build, *parts):
    """BUILD/tools/PARTS: where meson puts the tools (sio_tgt/sio_tgt, ...)."""
    return os.path.join(build, 'tools', *parts)


def have_tools(build, *names):
    """Whether every tool(build, *name) is built; prints the SKIP reason if not."""
    for n in names:
        exe = tool(build, *n)
        if not os.access(exe, os.X_OK):
            print('SKIP: %s not built' % exe)
            return False
    return True


def tsan_tolerant_env():
    """os.environ with ThreadSanitizer reports not changing the exit status: a
    test that judges a helper tool's output (sio_nvme_perf) leaves the tool's
    own reports to the tool's tests (they are printed all the same)."""
    env = dict(os.environ)
    env['TSAN_OPTIONS'] = (env.get('TSAN_OPTIONS', '') + ' exitcode=0').strip()
    return env


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (racy: start_tgt
    retries on another one if the target cannot listen)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_key_file(path, text):
    """@text into a new file @path that only its owner may read, as the
    keyring wants key files (keyring_file_add_key refuses others)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return path


def kill_all(procs):
    """Kill and reap every process in @procs that still runs (teardown)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def stop(p, timeout=30):
    """SIGTERM, wait up to @timeout s (then SIGKILL); the exit status (-9 if killed)."""
    if p.poll() is None:
        p.terminate()
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return -9
    return p.returncode


class Checks:
    """Soft checks for a test that reports every failure of a run, not just
    the first: check(cond, what) prints 'ok' or 'FAIL' and goes on."""

    def __init__(self):
        self.fails = []

    def __call__(self, cond, what):
        print(('ok   ' if cond else 'FAIL ') + what, flush=True)
        if not cond:
            self.fails.append(what)
        return cond

    def stopped(self, proc, what, log, tail=3000):
        """stop(@proc) and check that it exits 0; if anything failed so far,
        print the last @tail characters (None: all) of @log, its open output file."""
        rc = stop(proc)
        self(rc == 0, '%s exits 0 (%d)' % (what, rc))
        if self.fails:
            log.seek(0)
            text = log.read()
            print(text if tail is None else text[-tail:])

    def result(self):
        """Prints PASS or the failures; the exit status (0 or 1)."""
        print('FAIL: ' + '; '.join(self.fails) if self.fails else 'PASS')
        return 1 if self.fails else 0


# ---- JSON-RPC over the Unix socket ----

class RpcError(AssertionError):
    """A JSON-RPC error reply. An AssertionError, so an unexpected one fails
    the test as any failed check does."""

    def __init__(self, method, err):
        super().__init__('%s: %s (%s)' % (method, err.get('message'), err.get('code')))
        self.error = err
        self.code = err.get('code')
        self.message = err.get('message')


class Rpc:
    """JSON-RPC 2.0 client of an app's -r socket: one connection per call."""

    def __init__(self, path, timeout=30):
        self.path = path
        self.timeout = timeout
        self.id = 0

    def request(self, method, params=None):
        """One call; (result, error): exactly one is None."""
        self.id += 1
        req = {'jsonrpc': '2.0', 'method': method, 'id': self.id}
        if params is not None:
            req['params'] = params
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(self.timeout)
            s.connect(self.path)
            s.sendall(json.dumps(req).encode())
            buf = b''
            dec = json.JSONDecoder()
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise AssertionError('%s: RPC connection closed before the reply' % method)
                buf += chunk
                try:
                    rsp, _ = dec.raw_decode(buf.decode())
                    break
                except ValueError:
                    continue
        return rsp.get('result'), rsp.get('error')

    def call(self, method, params=None):
        """One call; its result, or RpcError."""
        result, err = self.request(method, params)
        if err is not None:
            raise RpcError(method, err)
        return result


def wait_socket(path, proc=None, timeout=15):
    """Until the Unix socket @path accepts a connection (the app's RPC server
    is up); AssertionError if @proc exits first or @timeout s pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            err = proc.communicate()[1] if proc.stderr is not None else ''
            raise AssertionError('%s exited %d before its RPC socket answered: %s' %
                                 (proc.args[0], proc.returncode, err))
        if os.path.exists(path):
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(path)
                    return
                except OSError:
                    pass
        time.sleep(0.02)
    raise AssertionError('no RPC socket at %s after %d s' % (path, timeout))


# ---- logs ----

def read_log(path):
    with open(path, errors='replace') as f:
        return f.read()


def wait_log(path, pattern, timeout=20):
    """Until the file @path matches the regular expression @pattern; the match.
    AssertionError with the log's tail after @timeout s."""
    end = time.monotonic() + timeout
    while True:
        m = re.search(pattern, read_log(path))
        if m:
            return m
        if time.monotonic() >= end:
            raise AssertionError('log %s never showed %r:\n%s' %
                                 (path, pattern, read_log(path)[-3000:]))
        time.sleep(0.1)


# ---- sio_tgt ----

def listen_address(port):
    """nvmf_subsystem_add_listener's listen_address for 127.0.0.1:@port."""
    return {'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1', 'trsvcid': str(port)}


def malloc_bdev(name, num_blocks, block_size=4096):
    return {'method': 'bdev_malloc_create',
            'params': {'name': name, 'num_blocks': num_blocks, 'block_size': block_size}}


def tcp_target_config(nqn, port, serial, bdevs=None, ns_bdev='Malloc0'):
    """JSON config: @bdevs (default Malloc0, 8192 x 4 KiB), the TCP transport, subsystem
    @nqn open to any host with @ns_bdev as its namespace, listening on 127.0.0.1:@port."""
    if bdevs is None:
        bdevs = [malloc_bdev('Malloc0', 8192)]
    return {'subsystems': [
        {'subsystem': 'bdev', 'config': list(bdevs)},
        {'subsystem': 'nvmf', 'config': [
            {'method': 'nvmf_create_transport', 'params': {'trtype': 'TCP'}},
            {'method': 'nvmf_create_subsystem',
             'params': {'nqn': nqn, 'allow_any_host': True, 'serial_number': serial}},
            {'method': 'nvmf_subsystem_add_ns',
             'params': {'nqn': nqn, 'namespace': {'bdev_name': ns_bdev}}},
            {'method': 'nvmf_subsystem_add_listener',
             'params': {'nqn': nqn, 'listen_address': listen_address(port)}}]}]}


class Target:
    """A running sio_tgt: proc, port, sock (its -r path), rpc (an Rpc on it),
    log (its stdout and stderr, an open file), log_path, cfg_path, and
    metrics_addr ('127.0.0.1:PORT' of its metrics endpoint, None without)."""

    def __init__(self, proc, port, sock, log, log_path, cfg_path, metrics_addr=None):
        self.proc = proc
        self.port = port
        self.sock = sock
        self.rpc = Rpc(sock)
        self.log = log
        self.log_path = log_path
        self.cfg_path = cfg_path
        self.metrics_addr = metrics_addr

    def log_text(self):
        return read_log(self.log_path)

    def wait_log(self, pattern, timeout=20):
        return wait_log(self.log_path, pattern, timeout)

    def stop(self, timeout=30):
        return stop(self.proc, timeout)


def start_tgt(build, tmp, config, args=('-m', '0x1'), name='tgt', env=None, timeout=30,
              tries=8, procs=None, metrics=False):
    """sio_tgt -c TMP/NAME.json -r TMP/NAME.sock ARGS, output to TMP/NAME.log.

    @config(port) returns the JSON config for a free port it listens on; the
    target is up when its log shows 'listening on 127.0.0.1 port PORT'. If it
    exits before that (the port was taken meanwhile), it is started again on
    another port, up to @tries times; a target that stays up without
    listening for @timeout s is an error. With @metrics, it serves its
    metrics endpoint on another free port (--metrics-addr; Target.metrics_addr,
    read it with scrape()). Every process started is appended to @procs (for
    the caller's teardown). Returns a Target.
    """
    exe = tool(build, 'sio_tgt', 'sio_tgt')
    cfg_path = os.path.join(tmp, name + '.json')
    sock = os.path.join(tmp, name + '.sock')
    log_path = os.path.join(tmp, name + '.log')
    for _ in range(tries):
        port = free_port()
        with open(cfg_path, 'w') as f:
            json.dump(config(port), f)
        maddr = '127.0.0.1:%d' % free_port() if metrics else None
        margs = ['--metrics-addr', maddr] if metrics else []
        log = open(log_path, 'w+')
        p = subprocess.Popen([exe, *args, *margs, '-c', cfg_path, '-r', sock], stdout=log,
                             stderr=subprocess.STDOUT, env=env)
        if procs is not None:
            procs.append(p)
        end = time.monotonic() + timeout
        while time.monotonic() < end and p.poll() is None:
            if re.search(r'listening on 127\.0\.0\.1 port %d\b' % port, read_log(log_path)):
                return Target(p, port, sock, log, log_path, cfg_path, maddr)
            time.sleep(0.1)
        timed_out = p.poll() is None
        if timed_out:
            p.kill()
        p.wait()
        print(read_log(log_path))
        log.close()
        if timed_out:
            raise AssertionError('sio_tgt did not listen on port %d within %d s' %
                                 (port, timeout))
    raise AssertionError('could not start sio_tgt (%d tries)' % tries)


def scrape(addr, method='GET', path='/metrics'):
    """One HTTP request to the metrics endpoint at 'HOST:PORT' @addr:
    (status, Content-Type, body text)."""
    host, port = addr.rsplit(':', 1)
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.getheader('Content-Type'), r.read().decode()
    finally:
        c.close()


def tcp_trid(port, subnqn, hostnqn=None):
    """The transport ID string of the tools (-r) for 127.0.0.1:@port."""
    t = 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d subnqn:%s' % (port, subnqn)
    return t + (' hostnqn:%s' % hostnqn if hostnqn else '')


def run_nvme_perf(build, port, subnqn, results, seconds=1, qd=8, workload='randrw', mix=50,
                  size=4096, timeout=120, stdout=None):
    """sio_nvme_perf against 127.0.0.1:@port writing --results-json @results;
    its JSON 'total' (CalledProcessError if it fails)."""
    args = [tool(build, 'nvme_perf', 'sio_nvme_perf'), '-r', tcp_trid(port, subnqn),
            '-q', str(qd), '-o', str(size), '-w', workload]
    if workload in ('randrw', 'rw'):
        args += ['-M', str(mix)]
    args += ['-t', str(seconds), '--results-json', results]
    subprocess.run(args, check=True, timeout=timeout, env=tsan_tolerant_env(), stdout=stdout)
    with open(results) as f:
        return json.load(f)['total']


# ---- NVMe/TCP PDUs a test sends by hand (NVMe/TCP transport spec 1.0) ----

def icreq():
    """ICReq: type 0, hlen 128, pdo 0, plen 128; PFV 0, HPDA 0, no digests."""
    return struct.pack('<BBBBI', 0x00, 0, 128, 0, 128) + bytes(120)


def connect_capsule(hostnqn, subnqn):
    """Admin queue Fabrics Connect (KATO 0) with its 1 KiB data in the capsule."""
    sqe = bytearray(64)
    sqe[0] = 0x7f                      # fabrics opcode
    sqe[1] = 0x40                      # SGL for data
    struct.pack_into('<H', sqe, 2, 1)  # CID
    sqe[4] = 0x01                      # FCTYPE Connect
    struct.pack_into('<QI', sqe, 24, 0, 1024)
    sqe[39] = 0x01                     # SGL Data Block, subtype Offset (in capsule)
    struct.pack_into('<HHHBxI', sqe, 40, 0, 0, 31, 0, 0)  # RECFMT QID SQSIZE CATTR KATO
    data = bytearray(1024)
    data[0:16] = bytes(range(0x40, 0x50))
    struct.pack_into('<H', data, 16, 0xffff)  # dynamic controller
    data[256:256 + len(subnqn)] = subnqn.encode()
    data[512:512 + len(hostnqn)] = hostnqn.encode()
    hdr = struct.pack('<BBBBI', 0x04, 0, 72, 72, 72 + 1024)
    return hdr + bytes(sqe) + bytes(data)
