#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The side-by-side benchmark suite in one command (docs/benchmarks.md):
# sio_bdevperf on null, malloc, uring and aio bdevs, fio's io_uring and libaio
# engines on the same file, single-core memcpy, and instructions per I/O on
# the null path under callgrind; prints a Markdown table of medians and ratios.
# With --spdk DIR, SPDK's bdevperf from that SPDK tree runs beside ours with
# the same JSON configs, interleaved, and a second table gives both and the ratio.
#
# usage: bench/run_all.sh [--quick] [--build DIR] [--runs N] [--seconds S]
#                         [--file PATH] [--file-size MIB] [--out FILE] [--no-callgrind]
#                         [--no-huge] [--spdk DIR]
# BUILD_DIR (default build-perf) is configured -Dbuildtype=debugoptimized (-O2)
# if it does not exist yet, and the targets the suite needs are built.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${BUILD_DIR:-build-perf}
prev=
for a in "$@"; do
	[ "$prev" = "--build" ] && build=$a
	prev=$a
done
case $build in /*) ;; *) build="$src/$build" ;; esac
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$src" -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build" tools/bdevperf/sio_bdevperf bench/bench_memcpy >/dev/null
exec python3 "$here/run_all.py" --build "$build" "$@"
