#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The app as a process: signals, exit codes, config errors on stderr, the RPC
socket's life cycle, and tools/sio_rpc.py against it.

usage: test_app_process.py APP_HELLO SIO_RPC_PY
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

APP = RPC = None
NCORES = os.cpu_count() or 1
MASK = '0x3' if NCORES >= 2 else '0x1'


def rpc(sock, method, *params, check=True):
    p = subprocess.run([sys.executable, RPC, '-s', sock, '-t', '10', method, *params],
                       capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise AssertionError('%s failed (%d): %s' % (method, p.returncode, p.stderr))
    return p


class AppProcess(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.sock = os.path.join(self.tmp.name, 'app.sock')
        self.procs = []

    def tearDown(self):
        sio_harness.kill_all(self.procs)
        self.tmp.cleanup()

    def start(self, *args, sock=None):
        p = subprocess.Popen([APP, '-r', sock or self.sock, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def run_app(self, *args):
        return subprocess.run([APP, '-r', self.sock, *args], capture_output=True, text=True,
                              timeout=30)

    def test_signals_stop_orderly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            p = self.start('-m', MASK)
            sio_harness.wait_socket(self.sock, p)
            version = json.loads(rpc(self.sock, 'spdk_get_version').stdout)
            self.assertTrue(version['version'].startswith('spdk-io'))
            self.assertEqual(os.stat(self.sock).st_mode & 0o777, 0o600)
            p.send_signal(sig)
            out, err = p.communicate(timeout=15)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn('exit rc 0', out)
            self.assertFalse(os.path.exists(self.sock), 'socket left behind')
            self.assertFalse(os.path.exists(self.sock + '.lock'), 'lock file left behind')

    def test_kill_instance_and_rpc_tool(self):
        p = self.start('-m', MASK)
        sio_harness.wait_socket(self.sock, p)
        reactors = json.loads(rpc(self.sock, 'framework_get_reactors').stdout)
        self.assertEqual(len(reactors['reactors']), 2 if NCORES >= 2 else 1)
        self.assertIn('app_thread', [t['name'] for r in reactors['reactors']
                                     for t in r['lw_threads']])
        # "elapsed": ticks since each thread was placed on its reactor, growing
        before = {t['id']: t['elapsed'] for r in reactors['reactors'] for t in r['lw_threads']}
        self.assertTrue(all(e > 0 for e in before.values()), before)
        time.sleep(0.05)
        later = json.loads(rpc(self.sock, 'framework_get_reactors').stdout)
        for r in later['reactors']:
            for t in (t for t in r['lw_threads'] if t['id'] in before):
                self.assertGreaterEqual(t['elapsed'] - before[t['id']],
                                        0.04 * later['tick_rate'], t)
        # key=value and JSON forms; errors exit 1 with the error on stderr
        self.assertEqual(rpc(self.sock, 'log_set_flag', 'flag=app').stdout.strip(), 'true')
        self.assertEqual(rpc(self.sock, 'log_clear_flag', '{"flag": "app"}').stdout.strip(),
                         'true')
        bad = rpc(self.sock, 'log_set_flag', 'flag=7', check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertEqual(json.loads(bad.stderr)['code'], -32602)
        self.assertIn("'flag' must be of type string", bad.stderr)
        bad = rpc(self.sock, 'no_such_method', check=False)
        self.assertEqual(json.loads(bad.stderr)['code'], -32601)
        rpc(self.sock, 'spdk_kill_instance', 'sig_name=SIGINT')
        out, err = p.communicate(timeout=15)
        self.assertEqual(p.returncode, 0, err)
        self.assertFalse(os.path.exists(self.sock))

    def test_socket_in_use(self):
        a = self.start()
        sio_harness.wait_socket(self.sock, a)
        b = self.run_app()
        self.assertNotEqual(b.returncode, 0)
        self.assertIn('in use by another process', b.stderr)
        rpc(self.sock, 'spdk_get_version')  # the first one still answers
        a.send_signal(signal.SIGTERM)
        a.communicate(timeout=15)
        self.assertEqual(a.returncode, 0)

    def test_stale_socket_replaced(self):
        s = socket.socket(socket.AF_UNIX)
        s.bind(self.sock)
        s.close()  # a socket file nobody serves, as a crash leaves it
        p = self.start()
        sio_harness.wait_socket(self.sock, p)
        rpc(self.sock, 'spdk_get_version')
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=15)
        self.assertEqual(p.returncode, 0)

    def test_wait_for_rpc(self):
        p = self.start('--wait-for-rpc')
        sio_harness.wait_socket(self.sock, p)
        bad = rpc(self.sock, 'thread_get_stats', check=False)
        self.assertEqual(json.loads(bad.stderr)['code'], -1)
        rpc(self.sock, 'framework_start_init')
        stats = json.loads(rpc(self.sock, 'thread_get_stats').stdout)
        self.assertGreater(stats['tick_rate'], 0)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=15)
        self.assertIn('ready', out)
        self.assertEqual(p.returncode, 0)

    def test_signal_while_waiting_for_rpc(self):
        p = self.start('--wait-for-rpc')
        sio_harness.wait_socket(self.sock, p)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=15)
        self.assertEqual(p.returncode, 0, err)
        self.assertNotIn('ready', out)  # main never ran
        self.assertFalse(os.path.exists(self.sock))

    def test_config_errors_exit_nonzero(self):
        cases = [
            ('{\n "subsystems": [\n  {"subsystem": 1,,}\n ]\n}\n', ':3:'),
            ('{"subsystems": [{"subsystem": "nope", "config": []}]}',
             "unknown subsystem 'nope'"),
            ('{"subsystems": 5}', 'expected an object with a "subsystems" array'),
        ]
        for text, expect in cases:
            path = os.path.join(self.tmp.name, 'c.json')
            with open(path, 'w') as f:
                f.write(text)
            r = self.run_app('-c', path)
            self.assertNotEqual(r.returncode, 0, text)
            self.assertIn(expect, r.stderr, text)
            if expect == ':3:':
                self.assertIn(path + ':3:', r.stderr)
        r = self.run_app('-c', os.path.join(self.tmp.name, 'missing.json'))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('missing.json', r.stderr)
        self.assertFalse(os.path.exists(self.sock))

    def test_empty_config_and_save(self):
        path = os.path.join(self.tmp.name, 'c.json')
        with open(path, 'w') as f:
            f.write('{"subsystems": []}')
        p = self.start('-c', path)
        sio_harness.wait_socket(self.sock, p)
        saved = json.loads(rpc(self.sock, 'save_config').stdout)
        self.assertIn('subsystems', saved)
        with open(path, 'w') as f:
            json.dump(saved, f)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=15)
        q = self.start('-c', path)
        sio_harness.wait_socket(self.sock, q)
        self.assertEqual(json.loads(rpc(self.sock, 'save_config').stdout), saved)
        q.send_signal(signal.SIGTERM)
        q.communicate(timeout=15)
        self.assertEqual(q.returncode, 0)

    def test_bdev_config_round_trip(self):
        # With the bdev layer in the library: its methods through the config file.
        p = self.start()
        sio_harness.wait_socket(self.sock, p)
        methods = json.loads(rpc(self.sock, 'rpc_get_methods').stdout)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=15)
        if 'bdev_malloc_create' not in methods:
            self.skipTest('bdev_malloc_create is not in this build')
        a = {'subsystems': [{'subsystem': 'bdev', 'config': [
            {'method': 'bdev_malloc_create',
             'params': {'name': 'Malloc0', 'block_size': 512, 'num_blocks': 2048}}]}]}
        path = os.path.join(self.tmp.name, 'a.json')
        saved = []
        for _ in range(2):
            with open(path, 'w') as f:
                json.dump(a if not saved else saved[-1], f)
            q = self.start('-c', path)
            sio_harness.wait_socket(self.sock, q)
            saved.append(json.loads(rpc(self.sock, 'save_config').stdout))
            q.send_signal(signal.SIGTERM)
            q.communicate(timeout=15)
            self.assertEqual(q.returncode, 0)
        self.assertEqual(saved[0], saved[1])
        names = [e['params'].get('name') for s in saved[0]['subsystems'] for e in s['config']]
        self.assertIn('Malloc0', names)
        # a mistyped and a missing param in a real layer's method
        for params, expect in (({'name': 'M', 'block_size': 'x', 'num_blocks': 8},
                                "bdev_malloc_create: parameter 'block_size' must be of type uint32"),
                               ({'name': 'M', 'num_blocks': 8},
                                "bdev_malloc_create: missing required parameter 'block_size'")):
            with open(path, 'w') as f:
                json.dump({'subsystems': [{'subsystem': 'bdev', 'config': [
                    {'method': 'bdev_malloc_create', 'params': params}]}]}, f)
            r = self.run_app('-c', path)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(expect, r.stderr)
            self.assertIn(path + ": subsystem 'bdev', config entry 0", r.stderr)

    def test_flags(self):
        r = subprocess.run([APP, '-h'], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertIn('--cpumask', r.stderr)
        self.assertIn('--timeout', r.stderr)
        r = subprocess.run([APP, '--bogus'], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--bogus'", r.stderr)
        r = subprocess.run([APP, '-m'], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        r = self.run_app('-m', 'zz')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("reactor mask 'zz'", r.stderr)
        r = self.run_app('-L', 'no_such_flag')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('-L no_such_flag: no such log flag', r.stderr)
        r = self.run_app('--timeout', '0.5x')
        self.assertEqual(r.returncode, 2)
        r = self.run_app('-L', 'app', '--timeout', '1')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('timeout: stopping', r.stdout)


if __name__ == '__main__':
    APP, RPC = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], '-v'])
