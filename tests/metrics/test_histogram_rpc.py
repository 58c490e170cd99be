#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bdev_enable_histogram / bdev_get_histogram / bdev_get_histogram_borders
against a running sio_tgt serving sio_nvme_perf over NVMe/TCP (two reactors,
so the bdev has a channel per poll group and the reply is their merge).

Checks, on the decoded reply (SPDK's format: base64 of the little-endian
uint64 bucket array, granularity, min_range, max_range, tsc_rate, read the
way SPDK's scripts/histogram.py reads it):
- the buckets add up to exactly the I/O bdev_get_iostat counted meanwhile;
- the mean latency from the buckets matches iostat's within the bucket
  resolution (5 % here; the buckets are < 1 % wide at granularity 7);
- opc=read records reads only; min_nsec/max_nsec shrink the ranges;
- borders add up to the same total; disabled -> error; bad params -> -32602.

usage: test_histogram_rpc.py BUILD_ROOT
"""
import base64
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgt_util  # noqa: E402


def iostat(rpc):
    b = rpc.call('bdev_get_iostat', {'names': ['Malloc0']})['bdevs'][0]
    return b


def ops(s):
    return sum(s.get(k, 0) for k in ('num_read_ops', 'num_write_ops', 'num_unmap_ops',
                                     'num_flush_ops', 'num_write_zeroes_ops',
                                     'num_compare_ops', 'num_reset_ops'))


def decode(h):
    """The bucket list and each bucket's [start, end) in ticks, as histogram.py computes them."""
    raw = base64.b64decode(h['histogram'])
    g, lo, hi = h['granularity'], h['min_range'], h['max_range']
    n = (hi - lo + 1) << g
    assert len(raw) == n * 8, 'histogram holds %d bytes, expected %d' % (len(raw), n * 8)
    counts = list(struct.unpack('<%dQ' % n, raw))
    bounds = []
    end = 0
    for r in range(lo, hi + 1):
        for j in range(1 << g):
            start = end
            end = (j + 1) if r == 0 else (1 << (r + g - 1)) + ((j + 1) << (r - 1))
            bounds.append((start, end))
    return counts, bounds


def print_like_histogram_py(h, counts, bounds):
    total = sum(counts)
    so_far = 0
    lines = 0
    for c, (s, e) in zip(counts, bounds):
        so_far += c
        if c:
            print('%9.3f - %9.3f: %9.4f%%  (%9u)' % (s * 1e6 / h['tsc_rate'], e * 1e6 / h['tsc_rate'],
                                                   so_far * 100.0 / total, c))
            lines += 1
    return lines


def main():
    b = sys.argv[1]
    if not tgt_util.have_tools(b, ('sio_tgt', 'sio_tgt'), ('nvme_perf', 'sio_nvme_perf')):
        return 77
    check = tgt_util.Checks()

    with tgt_util.tmpdir() as tmp:
        tgt = tgt_util.start_tgt(b, tmp)
        p, port, log, rpc = tgt.proc, tgt.port, tgt.log, tgt.rpc
        try:
            try:
                rpc.call('bdev_get_histogram', {'name': 'Malloc0'})
                check(False, 'get before enable is refused')
            except tgt_util.RpcError as e:
                check(e.code == -14, 'get before enable is refused with -EFAULT (%s)' % e)
            for params, what in (({'name': 'Malloc0', 'enable': True, 'granularity': 0}, 'granularity 0'),
                                 ({'name': 'Malloc0', 'enable': True, 'opc': 'bogus'}, 'unknown opc'),
                                 ({'name': 'Malloc0', 'enable': True, 'min_nsec': 5, 'max_nsec': 5},
                                  'min_nsec == max_nsec'),
                                 ({'name': 'Malloc0', 'enable': 'yes'}, 'enable not a boolean')):
                try:
                    rpc.call('bdev_enable_histogram', params)
                    check(False, what + ' refused')
                except tgt_util.RpcError as e:
                    check(e.code == -32602, '%s refused with -32602 (%s)' % (what, e.message))
            try:
                rpc.call('bdev_enable_histogram', {'name': 'Nope', 'enable': True})
                check(False, 'unknown bdev refused')
            except tgt_util.RpcError as e:
                check(e.code == -19, 'unknown bdev refused with -ENODEV')

            # All types, default shape.
            check(rpc.call('bdev_enable_histogram', {'name': 'Malloc0', 'enable': True}) is True,
                  'enable answers true')
            s0 = iostat(rpc)
            tot = tgt_util.run_perf(b, tmp, port, seconds=1)
            s1 = iostat(rpc)
            h = rpc.call('bdev_get_histogram', {'name': 'Malloc0'})
            check(set(h) == {'histogram', 'granularity', 'min_range', 'max_range', 'tsc_rate'},
                  'reply keys are SPDK\'s: %s' % sorted(h))
            check(h['granularity'] == 7 and h['min_range'] == 0 and h['max_range'] == 57,
                  'default shape: granularity 7, ranges 0..57 (%d, %d..%d)' %
                  (h['granularity'], h['min_range'], h['max_range']))
            counts, bounds = decode(h)
            n_io = ops(s1) - ops(s0)
            print('perf: %s; iostat counted %d I/O, buckets hold %d' % (tot, n_io, sum(counts)))
            check(n_io > 0 and sum(counts) == n_io, 'buckets add up to the I/O counted')
            lat = (s1['read_latency_ticks'] + s1['write_latency_ticks'] -
                   s0['read_latency_ticks'] - s0['write_latency_ticks'])
            rw = (s1['num_read_ops'] + s1['num_write_ops'] - s0['num_read_ops'] - s0['num_write_ops'])
            mean_stat = lat / rw
            mean_hist = sum(c * (s + e) / 2 for c, (s, e) in zip(counts, bounds)) / sum(counts)
            print('mean latency: iostat %.0f ticks, histogram %.0f ticks' % (mean_stat, mean_hist))
            check(abs(mean_hist - mean_stat) <= 0.05 * mean_stat,
                  'histogram mean within 5 % of iostat\'s')
            lines = print_like_histogram_py(h, counts, bounds)
            check(lines > 0, 'histogram.py-style listing has %d bucket lines' % lines)

            # Borders (ns): counts add up to the same total.
            hz = h['tsc_rate']
            borders = [1000, 10000, 100000, 1000000, 10000000]
            hb = rpc.call('bdev_get_histogram_borders', {'name': 'Malloc0', 'borders': borders})
            print('borders reply: %s' % hb)
            check(hb['borders'] == borders and len(hb['counts']) == len(borders) + 1,
                  'borders reply shape')
            check(sum(hb['counts']) == sum(counts), 'border counts add up to the buckets')
            try:
                rpc.call('bdev_get_histogram_borders', {'name': 'Malloc0', 'borders': [5, 3]})
                check(False, 'descending borders refused')
            except tgt_util.RpcError as e:
                check(e.code == -32602, 'descending borders refused with -32602')

            # Reads only, narrowed window: fewer ranges, reads counted, writes not.
            check(rpc.call('bdev_enable_histogram',
                           {'name': 'Malloc0', 'enable': True, 'opc': 'read', 'granularity': 5,
                            'min_nsec': 1000, 'max_nsec': 100000000}) is True,
                  'enable opc=read granularity 5 window 1 us..100 ms')
            s0 = iostat(rpc)
            tgt_util.run_perf(b, tmp, port, seconds=1)
            s1 = iostat(rpc)
            h = rpc.call('bdev_get_histogram', {'name': 'Malloc0'})
            counts, _ = decode(h)
            reads = s1['num_read_ops'] - s0['num_read_ops']
            writes = s1['num_write_ops'] - s0['num_write_ops']
            print('opc=read: %d reads, %d writes, buckets %d, ranges %d..%d' %
                  (reads, writes, sum(counts), h['min_range'], h['max_range']))
            check(h['granularity'] == 5, 'granularity 5 kept')
            check(h['min_range'] > 0 and h['max_range'] < 59 - 5, 'window narrows the ranges')
            check(reads > 0 and writes > 0 and sum(counts) == reads,
                  're-enable starts from zero and counts reads only')

            # Off again.
            check(rpc.call('bdev_enable_histogram', {'name': 'Malloc0', 'enable': False}) is True,
                  'disable answers true')
            try:
                rpc.call('bdev_get_histogram', {'name': 'Malloc0'})
                check(False, 'get after disable is refused')
            except tgt_util.RpcError as e:
                check(e.code == -14, 'get after disable is refused with -EFAULT')
            del hz
        finally:
            check.stopped(p, 'sio_tgt', log, None)
    return check.result()


if __name__ == '__main__':
    sys.exit(main())
