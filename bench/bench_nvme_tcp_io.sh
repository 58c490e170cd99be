#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per I/O of each side of NVMe/TCP, sio_nvme_perf against
# sio_tgt over loopback (null bdev, 4 KiB blocks), counted by callgrind on one
# side while the other runs natively, so the counted side is the bottleneck
# and barely waits: load-independent, unlike IOPS on a shared machine.
#
#   target: sio_tgt under callgrind, instrumentation switched on just before
#           sio_nvme_perf starts and dumped when it ends (startup excluded);
#           its reactor thread's Ir / I/Os perf counted. perf drives it with
#           TGT_QPAIRS (default 4) queue pairs of QD each, so the slowed
#           target always finds work: a polling reactor's empty turns would
#           otherwise count as I/O cost.
#   host:   sio_nvme_perf under callgrind (--separate-threads): its worker
#           thread's Ir (the I/O loop; the queue pair's connect included,
#           a few 100 k) / the I/Os it did.
#
# Also prints system calls per I/O of each side (strace -c -f, both native,
# a separate run: strace slows the traced side, the ratio holds).
#
#   bench/bench_nvme_tcp_io.sh [BUILD_DIR [QD [SECONDS [SIZE PATTERN]]]]
#   default: build 32 5 4096 randread
# KEEP=DIR keeps the callgrind files there (callgrind_annotate them);
# TGT_ARGS adds target flags (e.g. --interrupt-mode).
set -euo pipefail
build=${1:-build}
qd=${2:-32}
secs=${3:-5}
size=${4:-4096}
pattern=${5:-randread}
tgt=$build/tools/sio_tgt/sio_tgt
perf=$build/tools/nvme_perf/sio_nvme_perf
[[ -x $tgt && -x $perf ]] || { echo "build $build has no sio_tgt/sio_nvme_perf" >&2; exit 1; }
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nqn=nqn.2016-06.io.spdk:cnode1
cat >"$T/tgt.json" <<EOF
{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_null_create","params":{"name":"Null0","num_blocks":2097152,"block_size":4096}}]},
{"subsystem":"nvmf","config":[{"method":"nvmf_create_transport","params":{"trtype":"TCP"}},
{"method":"nvmf_create_subsystem","params":{"nqn":"$nqn","allow_any_host":true,"serial_number":"SIO1"}},
{"method":"nvmf_subsystem_add_ns","params":{"nqn":"$nqn","namespace":{"bdev_name":"Null0"}}},
{"method":"nvmf_subsystem_add_listener","params":{"nqn":"$nqn","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"$port"}}}]}]}
EOF
trid="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$port subnqn:$nqn"
perf_args=(-c 0x2 -r "$trid" -q "$qd" -o "$size" -w "$pattern" -t "$secs")

wait_listen() {
	for _ in $(seq 600); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	echo "sio_tgt does not listen" >&2
	return 1
}

# I/Os sio_nvme_perf did: IOPS x seconds from its JSON.
ios_of() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(round(d['total']['iops']*d['time_s']))" "$1"
}

# Ir of a callgrind output file.
ir_of() {
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

# ---- target side ----
valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
	--callgrind-out-file="$T/tgt.cg" "$tgt" -m 0x1 -c "$T/tgt.json" -r "$T/tgt.sock" \
	${TGT_ARGS:-} >"$T/tgt.log" 2>&1 &
vpid=$!
wait_listen
callgrind_control -i on "$vpid" >/dev/null
"$perf" "${perf_args[@]}" -P "${TGT_QPAIRS:-4}" --results-json "$T/t.json" >/dev/null
callgrind_control -d "$vpid" >/dev/null
kill -INT "$vpid"; wait "$vpid" || true
tios=$(ios_of "$T/t.json")
# The dump's file of the reactor thread (the main thread: -m 0x1).
tfile=$(ls "$T"/tgt.cg.1-01 2>/dev/null || ls "$T"/tgt.cg*-01 | head -1)
tir=$(ir_of "$tfile")

# ---- host side ----
"$tgt" -m 0x1 -c "$T/tgt.json" -r "$T/tgt2.sock" ${TGT_ARGS:-} >"$T/tgt2.log" 2>&1 &
npid=$!
wait_listen
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$T/host.cg" \
	"$perf" "${perf_args[@]}" --results-json "$T/h.json" >/dev/null 2>"$T/host.log"
hios=$(ios_of "$T/h.json")
# Thread 2: the first worker (thread 1 is main, which sleeps between admin polls).
hir=$(ir_of "$T/host.cg-02")

if [[ -n ${KEEP:-} ]]; then
	mkdir -p "$KEEP"
	cp "$tfile" "$KEEP/target.cg"
	cp "$T/host.cg-02" "$KEEP/host.cg"
fi

# ---- system calls per I/O (both native, one side traced at a time) ----
strace -f -c -o "$T/st_tgt" -p "$npid" &
spid=$!
sleep 1
"$perf" "${perf_args[@]}" --results-json "$T/s1.json" >/dev/null
kill -INT "$spid"; wait "$spid" 2>/dev/null || true
sios_t=$(ios_of "$T/s1.json")
strace -f -c -o "$T/st_host" "$perf" "${perf_args[@]}" --results-json "$T/s2.json" >/dev/null
sios_h=$(ios_of "$T/s2.json")
kill -INT "$npid"; wait "$npid" || true

sc() { # file ios -> "total (name n/IO, ...)"
	awk -v ios="$2" '
		$NF ~ /^[a-z_0-9]+$/ && $(NF-1) ~ /^[0-9]+$/ && $NF != "total" {
			n = ($(NF-2) ~ /^[0-9]+$/ && $(NF-1) ~ /^[0-9]+$/ && NF == 6) ? $(NF-2) : $(NF-1)
			calls[$NF] = n; tot += n }
		END {
			printf "%.2f (", tot / ios
			sep = ""
			for (s in calls) if (calls[s] / ios >= 0.05) { printf "%s%s %.2f", sep, s, calls[s] / ios; sep = ", " }
			printf ")"
		}' "$1"
}

echo "NVMe/TCP $pattern $size B QD$qd (target side: ${TGT_QPAIRS:-4} queue pairs), ${secs} s per run, build $build ${TGT_ARGS:-}"
printf '%-8s %12s %10s %10s  %s\n' side Ir I/Os Ir/IO 'syscalls/IO'
printf '%-8s %12d %10d %10d  %s\n' target "$tir" "$tios" $((tir / tios)) "$(sc "$T/st_tgt" "$sios_t")"
printf '%-8s %12d %10d %10d  %s\n' host "$hir" "$hios" $((hir / hios)) "$(sc "$T/st_host" "$sios_h")"
