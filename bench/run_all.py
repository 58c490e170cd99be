#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark suite behind bench/run_all.sh (see docs/benchmarks.md).

Runs every configuration RUNS times, interleaved (one pass over all of them,
then the next) so machine noise spreads over all figures alike, and reports
medians. References: fio on the same file for the file bdevs; SPDK's bdevperf
for null and malloc, run side by side from an SPDK build with --spdk DIR
(same JSON configs, interleaved), else the side-by-side figures of issue 18
quoted with their version and date; and single-core memcpy measured in the
same run for the malloc reads.

Every figure comes twice: per wall-clock second, and per second of CPU the
measuring thread really got (sio_bdevperf's cpu_time, fio's usr+sys CPU,
bench_memcpy's thread CPU time). On a machine shared with other work the
first drops with the share of the core the process got; the second does not.
SPDK's published figures were taken with a polling reactor owning its core,
where the two are the same.
"""
import argparse
import datetime
import json
import mmap
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

# Without --spdk: SPDK v26.09-pre bdevperf and sio_bdevperf run side by side on
# this machine class (one core each, -m 0x1, runs of 3 s interleaved, medians of
# 5; hugepages for both malloc rows), 2026-12-06, issue 18. Quoted, not measured
# in the run that prints them: the table says so.
SPDK_QUOTED = 'SPDK v26.09-pre bdevperf, side by side 2026-12-06 (issue 18)'
SPDK_NULL_4K_QD128 = 21.3e6
SPDK_NULL_4K_QD1 = 10.9e6
SPDK_MALLOC_4K_QD128 = 1.78e6
SPDK_MALLOC_128K_QD32_GBPS = 31.8


def parse_spdk_bdevperf(text):
    """The figures of SPDK bdevperf's output @text, exactly as it prints them
    (progress lines joined by carriage returns, table rows starting with one).

    Returns {'version': str or None, 'jobs': [{'name', 'core_mask', 'workload',
    'depth', 'io_size', 'runtime', 'iops', 'mibps', 'fail_per_s', 'to_per_s',
    'avg_us', 'min_us', 'max_us'}], 'total': {same figures, no runtime},
    'progress': [(iops, mibps), ...]}. The columns are mapped by the names of
    the table's header line, so versions without TO/s or runtime parse too.
    Raises ValueError when there is no result table (a run that failed).
    """
    names = {'runtime(s)': 'runtime', 'IOPS': 'iops', 'MiB/s': 'mibps', 'Fail/s': 'fail_per_s',
             'TO/s': 'to_per_s', 'Average': 'avg_us', 'min': 'min_us', 'max': 'max_us'}
    out = {'version': None, 'jobs': [], 'total': None, 'progress': []}
    cols = None
    job = None
    for line in re.split(r'[\r\n]+', text):
        m = re.search(r'Starting SPDK (v\S+)', line)
        if m:
            out['version'] = m.group(1)
            continue
        m = re.match(r'\s*([0-9.]+) IOPS, ([0-9.]+) MiB/s\s*$', line)
        if m:
            out['progress'].append((float(m.group(1)), float(m.group(2))))
            continue
        head, sep, rest = line.partition(':')
        if not sep:
            continue
        head = head.strip()
        if head == 'Device Information':
            cols = [names.get(c, c) for c in rest.split()]
            continue
        m = re.match(r'Job: (\S+) \(Core Mask (\S+), workload: (\w+),(?: percentage: \d+,)? '
                     r'depth: (\d+), IO size: (\d+)\)', line.strip())
        if m:
            job = {'name': m.group(1), 'core_mask': m.group(2), 'workload': m.group(3),
                   'depth': int(m.group(4)), 'io_size': int(m.group(5))}
            continue
        if cols is None:
            continue
        try:
            vals = [float(v) for v in rest.split()]
        except ValueError:
            continue
        if not vals or len(vals) > len(cols):
            continue
        # Right-aligned under the header: the Total row has no runtime.
        row = dict(zip(cols[len(cols) - len(vals):], vals))
        if head == 'Total':
            out['total'] = row
        elif job is not None and head == job['name']:
            job.update(row)
            out['jobs'].append(job)
            job = None
    if out['total'] is None or 'iops' not in out['total']:
        raise ValueError('no result table in the output of SPDK bdevperf')
    return out


def find_spdk_bdevperf(path):
    """SPDK's bdevperf binary under @path: an SPDK checkout or build directory,
    or the binary itself. None when there is none."""
    for cand in (path, os.path.join(path, 'build', 'examples', 'bdevperf'),
                 os.path.join(path, 'examples', 'bdevperf'),
                 os.path.join(path, 'examples', 'bdev', 'bdevperf', 'bdevperf')):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return None


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def machine():
    model, cpus = platform.processor() or '?', str(os.cpu_count())
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(':')
            if k.strip() == 'Model name':
                model = v.strip()
            elif k.strip() == 'CPU(s)':
                cpus = v.strip()
    except OSError:
        pass
    return model, cpus


def make_file(path, size):
    """A file of @size bytes of non-zero data (so reads hit real blocks)."""
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    log('creating %s (%d MiB)' % (path, size >> 20))
    chunk = bytes((i * 131 + 7) & 0xff for i in range(1 << 20))
    with open(path, 'wb') as f:
        for _ in range(size >> 20):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def free_hugepage_mib():
    """MiB of free default-size hugepages (0 if unknown)."""
    info = {}
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                k, _, v = line.partition(':')
                info[k] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return info.get('HugePages_Free', 0) * info.get('Hugepagesize', 0) // 1024


def direct_works(path):
    """Whether O_DIRECT reads work on @path (tmpfs before Linux 6.6 refuses them)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError:
        return False
    try:
        buf = mmap.mmap(-1, 4096)
        os.preadv(fd, [buf], 0)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


# Size of each lvol of the lvol rows (MiB); 4 MiB clusters.
LVOL_MIB = 128


class Suite:
    def __init__(self, args):
        self.a = args
        self.bp = os.path.join(args.build, 'tools', 'bdevperf', 'sio_bdevperf')
        self.memcpy = os.path.join(args.build, 'bench', 'bench_memcpy')
        self.tmp = tempfile.mkdtemp(prefix='sio_bench_')
        self.samples = {}
        # The malloc bdev on hugepages, as SPDK's always is, when the machine has
        # enough free ones for it and the memcpy reference (which then uses them too).
        self.huge = [] if args.no_huge or free_hugepage_mib() < 320 else ['--huge']
        self.spdk = None
        self.spdk_version = None
        if args.spdk:
            self.spdk = find_spdk_bdevperf(args.spdk)
            if self.spdk is None:
                raise SystemExit('--spdk %s: no bdevperf there (looked for build/examples/'
                                 'bdevperf, examples/bdevperf, examples/bdev/bdevperf/bdevperf)'
                                 % args.spdk)

    def bdevperf(self, extra, qd, size, workload, api='callback', seconds=None):
        out = os.path.join(self.tmp, 'r.json')
        cmd = [self.bp, '-m', '0x1', '-q', str(qd), '-o', str(size), '-w', workload,
               '-t', str(seconds or self.a.seconds), '--api', api, '--quiet',
               '--results-json', out] + extra
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError('%s failed:\n%s%s' % (' '.join(cmd), p.stdout, p.stderr))
        with open(out) as f:
            return json.load(f)

    def spdk_bdevperf(self, cfg, qd, size, workload, huge):
        """(IOPS, MiB/s) of SPDK's bdevperf with the JSON config @cfg, one core. Without
        hugepages it runs on ordinary memory (--no-huge, 1 GiB), as ours then does."""
        cmd = [self.spdk, '--json', cfg, '-m', '0x1', '-q', str(qd), '-o', str(size),
               '-w', workload, '-t', '%d' % max(1, round(self.a.seconds))]
        if not huge:
            cmd += ['--no-huge', '-s', '1024']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        try:
            r = parse_spdk_bdevperf(p.stdout)
        except ValueError:
            raise RuntimeError('%s failed (exit %d):\n%s%s' % (' '.join(cmd), p.returncode,
                                                              p.stdout[-3000:], p.stderr[-3000:]))
        if p.returncode != 0 or r['total']['fail_per_s'] != 0:
            raise RuntimeError('%s: exit %d, %s failed I/O per second' % (
                ' '.join(cmd), p.returncode, r['total']['fail_per_s']))
        self.spdk_version = r['version'] or self.spdk_version
        return r['total']['iops'], r['total']['mibps']

    def fio(self, engine, qd, size):
        """(IOPS, IOPS per CPU-second) of fio's randread on the suite's file."""
        cmd = ['fio', '--name=bench', '--filename=' + self.a.file, '--ioengine=' + engine,
               '--rw=randread', '--bs=%d' % size, '--iodepth=%d' % qd,
               '--direct=%d' % self.direct, '--size=%d' % self.file_size,
               '--runtime=%s' % self.a.seconds, '--time_based', '--norandommap',
               '--randrepeat=0', '--cpus_allowed=0', '--numjobs=1', '--output-format=json']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError('%s failed:\n%s' % (' '.join(cmd), p.stderr))
        job = json.loads(p.stdout[p.stdout.index('{'):])['jobs'][0]
        iops = job['read']['iops']
        cpu = (job['usr_cpu'] + job['sys_cpu']) / 100.0
        return iops, iops / cpu if cpu > 0 else 0.0

    def memcpy_run(self, extra):
        p = subprocess.run([self.memcpy] + self.huge + extra + [str(self.a.seconds), '5'],
                           capture_output=True, text=True, timeout=600, check=True)
        return p.stdout

    def memcpy_gbps(self):
        """128 KiB sequential copies into 32 buffers: the malloc 128 KiB QD32 read's shape."""
        out = self.memcpy_run(['128', '32', '128'])
        return (float(re.search(r'median ([0-9.]+) GB/s', out).group(1)),
                float(re.search(r'per CPU-second ([0-9.]+) GB/s', out).group(1)))

    def memcpy_random_4k(self):
        """4 KiB copies from random offsets of 128 MiB (the default malloc bdev's size)
        into 128 buffers: the malloc 4 KiB randread QD128's shape, in copies per second."""
        out = self.memcpy_run(['--random', '4', '128', '128'])
        return (float(re.search(r'median ([0-9.]+) M copies/s', out).group(1)) * 1e6,
                float(re.search(r'per CPU-second ([0-9.]+) M\n', out).group(1)) * 1e6)

    def config(self, name, method, params):
        path = os.path.join(self.tmp, name + '.json')
        with open(path, 'w') as f:
            json.dump({'subsystems': [{'subsystem': 'bdev', 'config': [
                {'method': method, 'params': params}]}]}, f)
        return path

    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def plan(self):
        """(key, thunk) pairs; each thunk measures one sample."""
        null = ['--default-bdev', 'null']
        malloc = ['--default-bdev', 'malloc'] + self.huge
        if self.spdk:
            # The same JSON configs for both tools (the defaults' bdevs, written out).
            null_cfg = self.config('null', 'bdev_null_create',
                                   {'name': 'Null0', 'num_blocks': 2097152, 'block_size': 512})
            malloc_cfg = self.config('malloc', 'bdev_malloc_create',
                                     {'name': 'Malloc0', 'num_blocks': 262144,
                                      'block_size': 512})
            null = ['-c', null_cfg]
            malloc = ['-c', malloc_cfg] + self.huge
        uring = ['-c', self.config('uring', 'bdev_uring_create',
                                   {'name': 'Uring0', 'filename': self.a.file})]
        aio = ['-c', self.config('aio', 'bdev_aio_create',
                                 {'name': 'Aio0', 'filename': self.a.file})]
        def per_cpu(r, wall):
            """Scale @wall by the share of the core the job got."""
            cpu = sum(j['cpu_time'] for j in r['results'])
            return wall * r['total']['runtime'] / cpu if cpu > 0 else 0.0

        iops = lambda r: (r['total']['iops'], per_cpu(r, r['total']['iops']))
        gbps = lambda r: (r['total']['mibps'] * 1048576 / 1e9,
                          per_cpu(r, r['total']['mibps'] * 1048576 / 1e9))
        # SPDK's figure right after ours, in every pass: interleaved like the rest.
        spdk_iops = lambda r: (r[0], r[0])
        spdk_gbps = lambda r: (r[1] * 1048576 / 1e9, r[1] * 1048576 / 1e9)
        p = []
        for size in (4096, 512):
            for qd in (128, 1):
                for api in ('callback', 'task'):
                    p.append((('null', size, qd, api), lambda s=size, q=qd, a=api:
                              iops(self.bdevperf(null, q, s, 'randread', a))))
                if self.spdk:
                    p.append((('spdk', 'null', size, qd), lambda s=size, q=qd: spdk_iops(
                        self.spdk_bdevperf(null_cfg, q, s, 'randread', False))))
        for api in ('callback', 'task'):
            p.append((('malloc', 4096, 128, api), lambda a=api:
                      iops(self.bdevperf(malloc, 128, 4096, 'randread', a))))
        if self.spdk:
            p.append((('spdk', 'malloc', 4096, 128), lambda: spdk_iops(
                self.spdk_bdevperf(malloc_cfg, 128, 4096, 'randread', bool(self.huge)))))
        p.append((('malloc', 131072, 32, 'callback'), lambda:
                  gbps(self.bdevperf(malloc, 32, 131072, 'read'))))
        if self.spdk:
            p.append((('spdk', 'malloc', 131072, 32), lambda: spdk_gbps(
                self.spdk_bdevperf(malloc_cfg, 32, 131072, 'read', bool(self.huge)))))
        p.append((('memcpy',), self.memcpy_gbps))
        p.append((('memcpy', 'random'), self.memcpy_random_4k))
        p.append((('uring', 4096, 128), lambda:
                  iops(self.bdevperf(uring, 128, 4096, 'randread'))))
        p.append((('aio', 4096, 128), lambda: iops(self.bdevperf(aio, 128, 4096, 'randread'))))
        p.append((('fio', 'io_uring'), lambda: self.fio('io_uring', 128, 4096)))
        p.append((('fio', 'libaio'), lambda: self.fio('libaio', 128, 4096)))
        # lvol over malloc vs the malloc bdev itself, both from one config (issue 15).
        lv = ['-c', self.lvol_config()] + self.huge
        for wl in ('randwrite', 'randread'):
            for t in ('Malloc0', 'lvs/thick'):
                p.append((('lvol', wl, t), lambda w=wl, b=t:
                          iops(self.bdevperf(lv + ['-T', b], 128, 4096, w))))
        # One write pass over a fresh thin lvol (every 4 MiB cluster allocated by
        # its first write) vs the same pass over the thick one.
        for t in ('lvs/thick', 'lvs/thin'):
            p.append((('lvol', 'pass', t), lambda b=t: iops(self.bdevperf(
                lv + ['-T', b, '--ios', str(LVOL_MIB * 256)], 128, 4096, 'write', seconds=600))))
        return p

    def lvol_config(self):
        """Malloc0 (128 MiB) and, on Malloc1, an lvstore (4 MiB clusters) with a thick
        and a thin lvol of LVOL_MIB each: every process starts from fresh volumes."""
        path = os.path.join(self.tmp, 'lvol.json')
        lvol = lambda n, thin: {'method': 'bdev_lvol_create', 'params': {
            'lvs_name': 'lvs', 'lvol_name': n, 'size_in_mib': LVOL_MIB, 'thin_provision': thin}}
        with open(path, 'w') as f:
            json.dump({'subsystems': [{'subsystem': 'bdev', 'config': [
                {'method': 'bdev_malloc_create', 'params': {
                    'name': 'Malloc0', 'num_blocks': 32768, 'block_size': 4096}},
                {'method': 'bdev_malloc_create', 'params': {
                    'name': 'Malloc1', 'num_blocks': (2 * LVOL_MIB + 16) * 256,
                    'block_size': 4096}},
                {'method': 'bdev_lvol_create_lvstore', 'params': {
                    'bdev_name': 'Malloc1', 'lvs_name': 'lvs'}},
                lvol('thick', False), lvol('thin', True),
                {'method': 'bdev_wait_for_examine'}]}]}, f)
        return path

    def instructions_per_io(self, api):
        """Callgrind Ir of two runs of different fixed I/O counts: the difference over
        the difference in I/O cancels start-up and shutdown."""
        counts = []
        for n in (50000, 150000):
            out = os.path.join(self.tmp, 'cg.out')
            res = os.path.join(self.tmp, 'cg.json')
            cmd = ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out, self.bp,
                   '--default-bdev', 'null', '-m', '0x1', '-q', '128', '-o', '4096', '-w',
                   'randread', '-t', '10000', '--ios', str(n), '--api', api, '--quiet',
                   '--results-json', res]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            if p.returncode != 0:
                raise RuntimeError('%s failed:\n%s' % (' '.join(cmd), p.stderr[-2000:]))
            ir = int(re.search(r'Collected : ([0-9]+)', p.stderr).group(1))
            with open(res) as f:
                counts.append((ir, json.load(f)['total']['io_completed']))
        (ir1, n1), (ir2, n2) = counts
        return (ir2 - ir1) / (n2 - n1)

    def run(self):
        a = self.a
        self.file_size = a.file_size << 20
        make_file(a.file, self.file_size)
        self.direct = 1 if direct_works(a.file) else 0
        plan = self.plan()
        for rep in range(a.runs):
            for key, thunk in plan:
                log('run %d/%d: %s' % (rep + 1, a.runs, ' '.join(map(str, key))))
                self.add(key, thunk())
        self.ir = {}
        if not a.no_callgrind:
            for api in ('callback', 'task'):
                log('callgrind: null 4 KiB QD128, %s' % api)
                self.ir[api] = self.instructions_per_io(api)

    # ---- report ----

    def med(self, key, i=0):
        """Median of the wall (i=0) or per-CPU (i=1) figures of @key."""
        return statistics.median(x[i] for x in self.samples[key])

    def spread(self, key, unit='IOPS'):
        v = [x[0] for x in self.samples[key]]
        return '%s – %s' % (fmt_rate(min(v), unit), fmt_rate(max(v), unit)) if len(v) > 1 \
            else '1 run'

    def report(self):
        model, cpus = machine()
        a = self.a
        lines = []
        w = lines.append
        w('Machine: %s, %s CPU(s), Linux %s; %s; build %s' % (
            model, cpus, platform.release(),
            datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            os.path.basename(os.path.normpath(a.build))))
        w('Runs: median of %d run(s) of %s s each, interleaved; one core (-m 0x1); file %s, '
          '%d MiB, direct=%d; malloc bdev and memcpy source on %s.' % (
              a.runs, a.seconds, a.file, a.file_size, self.direct,
              '2 MiB hugepages' if self.huge else 'ordinary pages'))
        w('')
        w('| figure | sio (median) | spread | sio per CPU-s | reference (per CPU-s) | ratio | '
          'ratio per CPU-s |')
        w('|---|---:|---:|---:|---|---:|---:|')

        def row(name, key, ref_name, ref, unit='IOPS'):
            """@ref: None, a number (SPDK's: wall = per CPU-s) or a (wall, per CPU-s) pair."""
            v, vc = self.med(key), self.med(key, 1)
            if ref is None:
                w('| %s | %s | %s | %s | %s | – | – |' % (name, fmt_rate(v, unit),
                                                        self.spread(key, unit),
                                                        fmt_rate(vc, unit), ref_name))
                return
            r, rc = ref if isinstance(ref, tuple) else (ref, ref)
            w('| %s | %s | %s | %s | %s %s (%s) | %.2f | %.2f |' % (
                name, fmt_rate(v, unit), self.spread(key, unit), fmt_rate(vc, unit), ref_name,
                fmt_rate(r, unit), fmt_rate(rc, unit), v / r, vc / rc))

        def spdk_ref(key, quoted):
            """(name, reference) of SPDK's figure: measured in this run, or quoted."""
            if self.spdk:
                return 'SPDK bdevperf %s (same run)' % (self.spdk_version or ''), \
                    self.med(('spdk',) + key)
            if quoted is None:
                return 'no SPDK figure', None
            return SPDK_QUOTED, quoted

        for size in (4096, 512):
            for qd in (128, 1):
                name, ref = spdk_ref(('null', size, qd), {
                    (4096, 128): SPDK_NULL_4K_QD128, (4096, 1): SPDK_NULL_4K_QD1}.get((size, qd)))
                for api in ('callback', 'task'):
                    row('null %s randread QD%d, %s' % (kib(size), qd, api),
                        ('null', size, qd, api), name, ref)
                k = ('null', size, qd)
                w('| null %s QD%d: task / callback | | | | | %.2f | %.2f |' % (
                    kib(size), qd, self.med(k + ('task',)) / self.med(k + ('callback',)),
                    self.med(k + ('task',), 1) / self.med(k + ('callback',), 1)))
        for api in ('callback', 'task'):
            row('malloc 4 KiB randread QD128, %s' % api, ('malloc', 4096, 128, api),
                *spdk_ref(('malloc', 4096, 128), SPDK_MALLOC_4K_QD128))
        row('malloc 4 KiB randread QD128 vs memcpy', ('malloc', 4096, 128, 'callback'),
            'random 4 KiB memcpy (same run, copies/s)',
            (self.med(('memcpy', 'random')), self.med(('memcpy', 'random'), 1)))
        row('malloc 128 KiB read QD32', ('malloc', 131072, 32, 'callback'),
            *spdk_ref(('malloc', 131072, 32), SPDK_MALLOC_128K_QD32_GBPS), 'GB/s')
        row('malloc 128 KiB read QD32 vs memcpy', ('malloc', 131072, 32, 'callback'),
            'memcpy (same run)', (self.med(('memcpy',)), self.med(('memcpy',), 1)), 'GB/s')
        row('memcpy 128 KiB, 1 core', ('memcpy',), '–', None, 'GB/s')
        row('memcpy 4 KiB from random offsets of 128 MiB, 1 core (copies/s)',
            ('memcpy', 'random'), '–', None, '')
        fio = lambda e: (self.med(('fio', e)), self.med(('fio', e), 1))
        row('uring bdev 4 KiB randread QD128', ('uring', 4096, 128), 'fio io_uring',
            fio('io_uring'))
        row('aio bdev 4 KiB randread QD128', ('aio', 4096, 128), 'fio libaio', fio('libaio'))
        row('uring bdev vs fio libaio', ('uring', 4096, 128), 'fio libaio', fio('libaio'))
        row('fio io_uring 4 KiB randread QD128', ('fio', 'io_uring'), '–', None)
        row('fio libaio 4 KiB randread QD128', ('fio', 'libaio'), '–', None)
        for wl in ('randwrite', 'randread'):
            row('lvol (thick, on malloc) 4 KiB %s QD128' % wl, ('lvol', wl, 'lvs/thick'),
                'malloc bdev (same config, same run)',
                (self.med(('lvol', wl, 'Malloc0')), self.med(('lvol', wl, 'Malloc0'), 1)))
        row('thin lvol, first write pass (%d MiB: %d cluster allocations) 4 KiB QD128'
            % (LVOL_MIB, LVOL_MIB // 4), ('lvol', 'pass', 'lvs/thin'),
            'same pass over the thick lvol',
            (self.med(('lvol', 'pass', 'lvs/thick')), self.med(('lvol', 'pass', 'lvs/thick'), 1)))
        for api, ir in self.ir.items():
            w('| instructions per I/O, null 4 KiB QD128, %s (callgrind) | %.0f | exact | | – | – '
              '| – |' % (api, ir))
        if self.spdk:
            w('')
            w(self.side_by_side())
        return '\n'.join(lines) + '\n'

    def side_by_side(self):
        """Both tools and their ratio, the same JSON config for both, medians of this run."""
        a = self.a
        lines = ['SPDK %s bdevperf (%s) and sio_bdevperf side by side, interleaved: the same '
                 'JSON configs (bdev_null_create, bdev_malloc_create), one core each (-m 0x1), '
                 'median of %d run(s) of %s s; malloc on %s.' % (
                     self.spdk_version or '(version not printed)', self.spdk, a.runs, a.seconds,
                     '2 MiB hugepages for both' if self.huge else 'ordinary pages for both'),
                 '',
                 '| workload | SPDK bdevperf | sio_bdevperf | ratio | sio_bdevperf, task API | '
                 'ratio |',
                 '|---|---:|---:|---:|---:|---:|']
        rows = [('null %s randread QD%d' % (kib(size), qd), ('null', size, qd), 'IOPS')
                for size in (4096, 512) for qd in (128, 1)]
        rows += [('malloc 4 KiB randread QD128', ('malloc', 4096, 128), 'IOPS'),
                 ('malloc 128 KiB read QD32', ('malloc', 131072, 32), 'GB/s')]
        for name, key, unit in rows:
            ref = self.med(('spdk',) + key)
            cb = self.med(key + ('callback',))
            task = ('task',) if key + ('task',) in self.samples else None
            lines.append('| %s | %s | %s | %.2f | %s | %s |' % (
                name, fmt_rate(ref, unit), fmt_rate(cb, unit), cb / ref,
                fmt_rate(self.med(key + task), unit) if task else '–',
                '%.2f' % (self.med(key + task) / ref) if task else '–'))
        return '\n'.join(lines)


def kib(size):
    return '%d KiB' % (size >> 10) if size >= 1024 else '%d B' % size


def fmt_rate(v, unit='IOPS'):
    if unit == 'GB/s':
        return '%.2f GB/s' % v
    if v >= 1e6:
        return '%.2f M' % (v / 1e6) + (' IOPS' if unit else '')
    return '%.0f k' % (v / 1e3) + (' IOPS' if unit else '')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build-perf')
    ap.add_argument('--quick', action='store_true', help='1 run of 2 s each, 256 MiB file')
    ap.add_argument('--runs', type=int, default=None, help='runs per figure (default 5)')
    ap.add_argument('--seconds', type=float, default=None, help='seconds per run (default 3)')
    ap.add_argument('--file', default='/dev/shm/sio_bench.img',
                    help='file for the uring/aio bdevs and fio')
    ap.add_argument('--file-size', type=int, default=None, help='MiB (default 2048)')
    ap.add_argument('--out', help='also write the table to this file')
    ap.add_argument('--no-callgrind', action='store_true')
    ap.add_argument('--spdk', metavar='DIR',
                    help="an SPDK checkout or build directory: run its bdevperf beside ours "
                    "with the same JSON configs, interleaved, for the null and malloc figures")
    ap.add_argument('--no-huge', action='store_true',
                    help='malloc bdev and memcpy on ordinary pages even when 320 MiB of '
                    'hugepages are free')
    a = ap.parse_args()
    a.runs = a.runs or (1 if a.quick else 5)
    a.seconds = a.seconds or (2 if a.quick else 3)
    a.file_size = a.file_size or (256 if a.quick else 2048)
    if a.runs < 1 or a.seconds <= 0 or a.file_size < 16:
        ap.error('bad --runs, --seconds or --file-size')
    s = Suite(a)
    s.run()
    table = s.report()
    sys.stdout.write(table)
    if a.out:
        with open(a.out, 'w') as f:
            f.write(table)
    return 0


if __name__ == '__main__':
    sys.exit(main())
