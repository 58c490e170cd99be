#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per 4 KiB C2HData PDU received and built by the NVMe/TCP codec,
# counted by callgrind inside bench_one_pdu() only (the per-PDU function of
# bench_nvme_tcp), divided by the number of calls. Stable across machines and
# load, unlike the ns figures. docs/nvme.md has the numbers.
#   bench/bench_nvme_tcp_callgrind.sh [BUILD_DIR [ITERATIONS]]
set -eu
build=${1:-build}
n=${2:-20000}
bin=$build/bench/bench_nvme_tcp
calls=$((n + n / 10 + 1))   # bench_nvme_tcp warms up with n/10 + 1 calls first
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%-16s %10s\n' case 'Ir/PDU'
for c in rx-exact rx-exact-dgst rx-staged rx-staged-dgst tx tx-dgst; do
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=bench_one_pdu \
		"$bin" -n "$n" "$c" >/dev/null 2>&1
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	printf '%-16s %10d\n' "$c" $((ir / calls))
done
