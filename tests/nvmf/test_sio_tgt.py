#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sio_tgt as a process, configured with SPDK's nvmf_* RPC methods through
tools/sio_rpc.py: transports, subsystems, namespaces, listeners, hosts, the
errors SPDK's clients expect, the query methods' result fields,
save_config replayed into a second run (the same config comes back), and an
lvstore on an aio bdev found again after a restart with the same config.

usage: test_sio_tgt.py SIO_TGT SIO_RPC_PY
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'common'))
import sio_harness  # noqa: E402

TGT = RPC = None
NQN = 'nqn.2016-06.io.spdk:cnode1'


free_port = sio_harness.free_port


class SioTgt(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.sock = os.path.join(self.tmp.name, 'tgt.sock')
        self.procs = []

    def tearDown(self):
        sio_harness.kill_all(self.procs)
        self.tmp.cleanup()

    def start(self, *args):
        p = subprocess.Popen([TGT, '-r', self.sock, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        sio_harness.wait_socket(self.sock, p, timeout=15)
        return p

    def stop(self, p):
        p.terminate()
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        return err

    def rpc(self, method, *params, ok=True):
        p = subprocess.run([sys.executable, RPC, '-s', self.sock, '-t', '10', method, *params],
                           capture_output=True, text=True, timeout=30)
        if ok:
            self.assertEqual(p.returncode, 0, '%s: %s' % (method, p.stderr))
            return json.loads(p.stdout) if p.stdout.strip() else None
        self.assertNotEqual(p.returncode, 0, '%s unexpectedly succeeded' % method)
        return p.stderr

    def configure(self, port):
        self.rpc('bdev_malloc_create', 'name=Malloc0', 'num_blocks=2048', 'block_size=512')
        self.rpc('bdev_malloc_create', 'name=Malloc1', 'num_blocks=256', 'block_size=4096')
        self.assertTrue(self.rpc('nvmf_create_transport', 'trtype=TCP', 'max_queue_depth=64',
                                 'in_capsule_data_size=8192', 'c2h_success=false'))
        self.assertTrue(self.rpc('nvmf_create_subsystem', 'nqn=' + NQN, 'serial_number=SIO42',
                                 'model_number=test model', 'max_namespaces=4'))
        self.assertEqual(self.rpc('nvmf_subsystem_add_ns', json.dumps(
            {'nqn': NQN, 'namespace': {'bdev_name': 'Malloc0'}})), 1)
        self.assertEqual(self.rpc('nvmf_subsystem_add_ns', json.dumps(
            {'nqn': NQN, 'namespace': {'bdev_name': 'Malloc1', 'nsid': 3,
                                       'nguid': '00112233445566778899AABBCCDDEEFF',
                                       'eui64': '0102030405060708'}})), 3)
        self.assertTrue(self.rpc('nvmf_subsystem_add_listener', json.dumps(
            {'nqn': NQN, 'listen_address': {'trtype': 'TCP', 'adrfam': 'IPv4',
                                            'traddr': '127.0.0.1', 'trsvcid': str(port)}})))
        self.assertTrue(self.rpc('nvmf_subsystem_add_host', 'nqn=' + NQN,
                                 'host=nqn.2016-06.io.spdk:host1'))

    def test_configure_query_and_errors(self):
        port = free_port()
        p = self.start('-m', '0x1')
        self.configure(port)
        t = self.rpc('nvmf_get_transports')
        self.assertEqual(len(t), 1)
        self.assertEqual(t[0]['trtype'], 'TCP')
        self.assertEqual(t[0]['max_queue_depth'], 64)
        self.assertEqual(t[0]['in_capsule_data_size'], 8192)
        self.assertFalse(t[0]['c2h_success'])
        subs = self.rpc('nvmf_get_subsystems')
        self.assertEqual([s['nqn'] for s in subs],
                         ['nqn.2014-08.org.nvmexpress.discovery', NQN])
        s = subs[1]
        self.assertEqual(s['serial_number'], 'SIO42')
        self.assertEqual(s['model_number'], 'test model')
        self.assertFalse(s['allow_any_host'])
        self.assertEqual(s['hosts'], [{'nqn': 'nqn.2016-06.io.spdk:host1'}])
        self.assertEqual([n['nsid'] for n in s['namespaces']], [1, 3])
        self.assertEqual(s['namespaces'][1]['nguid'], '00112233445566778899AABBCCDDEEFF')
        self.assertEqual(s['namespaces'][1]['eui64'], '0102030405060708')
        self.assertEqual(s['listen_addresses'][0]['trsvcid'], str(port))
        # The port is really listening.
        with socket.create_connection(('127.0.0.1', port), timeout=5):
            pass
        self.assertEqual(self.rpc('nvmf_subsystem_get_listeners', 'nqn=' + NQN)[0]['address']
                         ['traddr'], '127.0.0.1')
        self.assertEqual(self.rpc('nvmf_subsystem_get_controllers', 'nqn=' + NQN), [])
        self.assertEqual(self.rpc('nvmf_subsystem_get_qpairs', 'nqn=' + NQN), [])
        stats = self.rpc('nvmf_get_stats')
        self.assertIn('tick_rate', stats)
        # SPDK's shape: its TCP transport adds nothing to "trtype" (docs/metrics.md).
        self.assertEqual(stats['poll_groups'][0]['transports'], [{'trtype': 'TCP'}])

        # Errors SPDK's clients see.
        self.assertIn('already exists', self.rpc('nvmf_create_transport', 'trtype=TCP', ok=False))
        self.assertIn('unavailable', self.rpc('nvmf_create_transport', 'trtype=RDMA', ok=False))
        self.assertIn('Unable to find subsystem',
                      self.rpc('nvmf_subsystem_remove_ns', 'nqn=nqn.2016-06.io.spdk:x', 'nsid=1',
                               ok=False))
        self.rpc('nvmf_create_subsystem', 'nqn=' + NQN, ok=False)
        # An unknown target, through the lookup the target-wide methods share.
        for m in ('nvmf_get_transports', 'nvmf_get_subsystems', 'nvmf_get_stats'):
            self.rpc(m, 'tgt_name=no_such_tgt', ok=False)
        self.rpc('nvmf_create_subsystem', 'nqn=nqn.2016-06.io.spdk:y', 'tgt_name=no_such_tgt',
                 ok=False)
        self.rpc('nvmf_create_subsystem', 'nqn=not-an-nqn', ok=False)
        self.rpc('nvmf_subsystem_add_ns', json.dumps(
            {'nqn': NQN, 'namespace': {'bdev_name': 'NoSuchBdev'}}), ok=False)
        self.rpc('nvmf_subsystem_add_ns', json.dumps(
            {'nqn': NQN, 'namespace': {'bdev_name': 'Malloc0', 'nsid': 3}}), ok=False)
        self.rpc('nvmf_subsystem_add_listener', json.dumps(
            {'nqn': NQN, 'listen_address': {'trtype': 'TCP', 'traddr': '127.0.0.1',
                                            'trsvcid': str(port)}}), ok=False)
        self.rpc('nvmf_subsystem_add_listener', json.dumps(
            {'nqn': NQN, 'listen_address': {'trtype': 'TCP', 'traddr': '127.0.0.1',
                                            'trsvcid': 'http'}}), ok=False)
        self.assertIn("missing required parameter 'nqn'",
                      self.rpc('nvmf_create_subsystem', 'serial_number=1', ok=False))
        self.rpc('nvmf_set_max_subsystems', 'max_subsystems=10', ok=False)

        # Changes: hosts, allow any host, namespace removal, listener removal, delete.
        self.assertTrue(self.rpc('nvmf_subsystem_allow_any_host', 'nqn=' + NQN,
                                 'allow_any_host=true'))
        self.assertTrue(self.rpc('nvmf_subsystem_remove_host', 'nqn=' + NQN,
                                 'host=nqn.2016-06.io.spdk:host1'))
        self.rpc('nvmf_subsystem_remove_host', 'nqn=' + NQN, 'host=nqn.2016-06.io.spdk:host1',
                 ok=False)
        self.assertTrue(self.rpc('nvmf_subsystem_remove_ns', 'nqn=' + NQN, 'nsid=3'))
        self.rpc('nvmf_subsystem_remove_ns', 'nqn=' + NQN, 'nsid=3', ok=False)
        s = self.rpc('nvmf_get_subsystems', 'nqn=' + NQN)[0]
        self.assertTrue(s['allow_any_host'])
        self.assertEqual([n['nsid'] for n in s['namespaces']], [1])
        # The bdev is free again once its namespace is gone.
        self.assertTrue(self.rpc('bdev_malloc_delete', 'name=Malloc1'))
        self.assertTrue(self.rpc('nvmf_subsystem_remove_listener', json.dumps(
            {'nqn': NQN, 'listen_address': {'trtype': 'TCP', 'adrfam': 'IPv4',
                                            'traddr': '127.0.0.1', 'trsvcid': str(port)}})))
        with self.assertRaises(OSError):
            socket.create_connection(('127.0.0.1', port), timeout=2).close()
        self.assertTrue(self.rpc('nvmf_delete_subsystem', 'nqn=' + NQN))
        self.assertEqual(len(self.rpc('nvmf_get_subsystems')), 1)
        self.stop(p)

    def test_save_config_replays(self):
        port = free_port()
        p = self.start('-m', '0x1')
        self.configure(port)
        saved = self.rpc('save_config')
        self.stop(p)
        cfg = os.path.join(self.tmp.name, 'tgt.json')
        with open(cfg, 'w') as f:
            json.dump(saved, f)
        os.unlink(self.sock) if os.path.exists(self.sock) else None
        p = self.start('-m', '0x1', '-c', cfg)
        # Read the state only once the whole config is applied (the socket answers before).
        self.assertIs(self.rpc('framework_wait_init'), True)
        again = self.rpc('save_config')
        nvmf = [s for s in saved['subsystems'] if s['subsystem'] == 'nvmf']
        self.assertEqual(nvmf, [s for s in again['subsystems'] if s['subsystem'] == 'nvmf'])
        methods = [c['method'] for c in nvmf[0]['config']]
        for m in ('nvmf_set_max_subsystems', 'nvmf_create_transport', 'nvmf_create_subsystem',
                  'nvmf_subsystem_add_host', 'nvmf_subsystem_add_ns',
                  'nvmf_subsystem_add_listener'):
            self.assertIn(m, methods)
        with socket.create_connection(('127.0.0.1', port), timeout=5):
            pass
        self.stop(p)

    def test_spdk_format_config(self):
        """A config in the shape SPDK's nvmf_tgt saves loads unchanged."""
        port = free_port()
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data',
                           'spdk_nvmf_tgt.json')
        with open(src) as f:
            text = f.read().replace('"PORT"', '"%d"' % port)
        cfg = os.path.join(self.tmp.name, 'spdk.json')
        with open(cfg, 'w') as f:
            f.write(text)
        p = self.start('-m', '0x1', '-c', cfg)
        # The RPC socket answers while the config is still being applied (add_ns
        # pauses the subsystem on every poll group): framework_wait_init answers
        # once the whole config is in, as SPDK's does after its init.
        self.assertIs(self.rpc('framework_wait_init'), True)
        s = self.rpc('nvmf_get_subsystems', 'nqn=' + NQN)[0]
        self.assertEqual(s['serial_number'], 'SPDK00000000000001')
        self.assertEqual(s['model_number'], 'SPDK_Controller1')
        self.assertEqual(s['namespaces'][0]['uuid'], '5e8a0c3c-1e2b-4d7a-9f16-c0b8a4d3e2f1')
        self.assertEqual([n['nsid'] for n in s['namespaces']], [1, 2])
        self.assertEqual(len(s['hosts']), 1)
        with socket.create_connection(('127.0.0.1', port), timeout=5):
            pass
        self.stop(p)

    def test_lvstore_back_after_restart(self):
        """An aio bdev over a file, from a JSON config; an lvstore and lvols made
        on it by RPC; sio_tgt killed (SIGKILL, no shutdown); the same config
        started again finds the lvstore and its lvols by examine (on by default,
        as in SPDK), with their names, UUIDs and thin flags, as bdevs again."""
        img = os.path.join(self.tmp.name, 'aio.img')
        with open(img, 'wb') as f:
            f.truncate(32 << 20)
        cfg = os.path.join(self.tmp.name, 'aio.json')
        with open(cfg, 'w') as f:
            json.dump({'subsystems': [{'subsystem': 'bdev', 'config': [
                {'method': 'bdev_aio_create',
                 'params': {'name': 'aio0', 'filename': img, 'block_size': 4096}},
                {'method': 'bdev_wait_for_examine'}]}]}, f)
        p = self.start('-m', '0x1', '-c', cfg)
        self.assertEqual(self.rpc('bdev_lvol_get_lvstores'), [])
        lvs_uuid = self.rpc('bdev_lvol_create_lvstore', 'bdev_name=aio0', 'lvs_name=lvs0',
                            'cluster_sz=1048576')
        thick = self.rpc('bdev_lvol_create', 'lvol_name=thick', 'size_in_mib=4',
                         'lvs_name=lvs0')
        thin = self.rpc('bdev_lvol_create', 'lvol_name=thin', 'size_in_mib=8',
                        'lvs_name=lvs0', 'thin_provision=true')
        before = sorted((v['name'], v['uuid'], v['is_thin_provisioned'])
                        for v in self.rpc('bdev_lvol_get_lvols'))
        self.assertEqual([(b[0], b[1]) for b in before], [('thick', thick), ('thin', thin)])
        p.kill()
        p.communicate()
        os.unlink(self.sock)
        p = self.start('-m', '0x1', '-c', cfg)
        self.assertIs(self.rpc('framework_wait_init'), True)
        lvs = self.rpc('bdev_lvol_get_lvstores')
        self.assertEqual([(l['name'], l['uuid'], l['base_bdev']) for l in lvs],
                         [('lvs0', lvs_uuid, 'aio0')])
        after = sorted((v['name'], v['uuid'], v['is_thin_provisioned'])
                       for v in self.rpc('bdev_lvol_get_lvols'))
        self.assertEqual(after, before)
        names = [b['name'] for b in self.rpc('bdev_get_bdevs')]
        self.assertIn(thick, names)
        self.assertIn(thin, names)
        # lvols are not in save_config: they come back by examine, not by replay
        saved = json.dumps(self.rpc('save_config'))
        self.assertIn('bdev_aio_create', saved)
        self.assertNotIn('bdev_lvol_create', saved)
        self.stop(p)

    def test_wait_for_rpc_max_subsystems(self):
        p = self.start('-m', '0x1', '--wait-for-rpc')
        self.assertTrue(self.rpc('nvmf_set_max_subsystems', 'max_subsystems=3'))
        self.assertTrue(self.rpc('framework_start_init'))
        self.rpc('nvmf_create_subsystem', 'nqn=nqn.2016-06.io.spdk:a')
        self.rpc('nvmf_create_subsystem', 'nqn=nqn.2016-06.io.spdk:b')
        # Three with the discovery subsystem: the fourth is refused.
        self.rpc('nvmf_create_subsystem', 'nqn=nqn.2016-06.io.spdk:c', ok=False)
        self.stop(p)


if __name__ == '__main__':
    TGT, RPC = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
