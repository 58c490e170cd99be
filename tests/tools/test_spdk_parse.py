#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The parser bench/run_all.py --spdk uses on SPDK bdevperf's output, run on
real captured output (tests/tools/data/spdk/, carriage returns included), with
the figures it must find; plus what it must refuse, and the lookup of the
bdevperf binary in an SPDK tree.

usage: test_spdk_parse.py RUN_ALL_PY DATA_DIR
"""
import importlib.util
import os
import stat
import sys
import tempfile
import unittest

RUN_ALL = DATA = None


def load():
    spec = importlib.util.spec_from_file_location('run_all', RUN_ALL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sample(name):
    # newline='' keeps the carriage returns as SPDK printed them.
    with open(os.path.join(DATA, name), newline='') as f:
        return f.read()


class SpdkParse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = load()

    def test_samples_keep_their_carriage_returns(self):
        for name in ('bdevperf-null-randread-qd128.txt', 'bdevperf-malloc-read-128k.txt'):
            self.assertEqual(sample(name).count('\r'), 5, name)

    def test_null_randread_qd128(self):
        r = self.m.parse_spdk_bdevperf(sample('bdevperf-null-randread-qd128.txt'))
        self.assertEqual(r['version'], 'v26.09-pre')
        self.assertEqual(len(r['jobs']), 1)
        j = r['jobs'][0]
        self.assertEqual((j['name'], j['core_mask'], j['workload'], j['depth'], j['io_size']),
                         ('Null0', '0x1', 'randread', 128, 4096))
        self.assertEqual(j['runtime'], 2.00)
        self.assertAlmostEqual(j['iops'], 6508996.30)
        self.assertAlmostEqual(j['mibps'], 25425.77)
        self.assertEqual((j['fail_per_s'], j['to_per_s']), (0.0, 0.0))
        self.assertEqual((j['avg_us'], j['min_us'], j['max_us']), (19.56, 5.64, 16227.96))
        t = r['total']
        self.assertNotIn('runtime', t)  # the Total row has no runtime column
        self.assertAlmostEqual(t['iops'], 6508996.30)
        self.assertAlmostEqual(t['mibps'], 25425.77)
        self.assertEqual((t['avg_us'], t['min_us'], t['max_us']), (19.56, 5.64, 16227.96))
        # The progress line is two samples joined by a carriage return.
        self.assertEqual(r['progress'], [(6494336.00, 25368.50), (6509376.00, 25427.25)])

    def test_malloc_read_128k(self):
        r = self.m.parse_spdk_bdevperf(sample('bdevperf-malloc-read-128k.txt'))
        self.assertEqual(r['version'], 'v26.09-pre')
        j = r['jobs'][0]
        self.assertEqual((j['name'], j['workload'], j['depth'], j['io_size']),
                         ('Malloc0', 'read', 32, 131072))
        self.assertAlmostEqual(j['iops'], 153108.36)
        self.assertAlmostEqual(j['mibps'], 19138.55)
        self.assertEqual((j['avg_us'], j['min_us'], j['max_us']), (208.89, 68.27, 3947.76))
        self.assertAlmostEqual(r['total']['iops'], 153108.36)
        self.assertAlmostEqual(r['total']['mibps'], 19138.55)
        # MiB/s and IOPS agree with the I/O size: the columns were not shifted.
        self.assertAlmostEqual(r['total']['mibps'], r['total']['iops'] * 131072 / 1048576,
                               places=0)
        self.assertEqual(r['progress'], [(151584.00, 18948.00), (153104.00, 19138.00)])

    def test_line_endings_do_not_matter(self):
        text = sample('bdevperf-null-randread-qd128.txt')
        a = self.m.parse_spdk_bdevperf(text)
        b = self.m.parse_spdk_bdevperf(text.replace('\r', ''))
        self.assertEqual(a['total'], b['total'])
        self.assertEqual(a['jobs'], b['jobs'])

    def test_failed_run_is_refused(self):
        text = sample('bdevperf-null-randread-qd128.txt')
        cut = text[:text.index('Latency(us)')]
        with self.assertRaises(ValueError):
            self.m.parse_spdk_bdevperf(cut)
        with self.assertRaises(ValueError):
            self.m.parse_spdk_bdevperf('')

    def test_find_bdevperf_in_a_tree(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIsNone(self.m.find_spdk_bdevperf(d))
            exe = os.path.join(d, 'build', 'examples', 'bdevperf')
            os.makedirs(os.path.dirname(exe))
            with open(exe, 'w') as f:
                f.write('#!/bin/sh\n')
            os.chmod(exe, stat.S_IRWXU)
            self.assertEqual(self.m.find_spdk_bdevperf(d), exe)
            self.assertEqual(self.m.find_spdk_bdevperf(exe), exe)


if __name__ == '__main__':
    RUN_ALL, DATA = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
