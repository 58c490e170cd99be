#!/usr/bin/env bash
# examples/hello_nvme, the first NVMe program users run, kept working:
#  1. self-contained (its own in-process target over loopback TCP): exit 0,
#     the identity and namespace lines, the data read back identical (one
#     buffer and 2 iovecs), the read past the end answered with the
#     controller's status (SCT 0x0 SC 0x80 LBA Out of Range), detached;
#  2. --help exits 0 and explains -r; a bad -r is refused (exit 2) naming the key;
#  3. -r against sio_tgt in another process (when built): same checks, with
#     the serial number sio_tgt's config gave.
# usage: test_hello_nvme.sh BUILD_ROOT
set -euo pipefail
B=${1:?build root}
HELLO=$B/examples/hello_nvme
TGT=$B/tools/sio_tgt/sio_tgt
T=$(mktemp -d /tmp/sio_hello_nvme.XXXXXX)
PID=""
cleanup() {
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; echo "--- output:"; cat "$T/out"; exit 1; }
expect() {  # expect REGEX: a line of $T/out matches
	grep -Eq -- "$1" "$T/out" || fail "no line matching: $1"
}
check_run() {  # check_run SERIAL NQN: the lines every successful run prints
	expect "^  serial +$1\$"
	expect "^  NQN +$2\$"
	expect '^  model +[^ ]'
	expect '^  firmware +[^ ]'
	expect '^  namespace 1: [0-9]+ blocks of [0-9]+ bytes$'
	expect '^4 tasks wrote 8 blocks each .*: identical$'
	expect '\(past the end\): rc -34 .*NVMe status SCT 0x0 SC 0x80: LBA Out of Range$'
	expect '^detached$'
	expect '^hello_nvme: done$'
}

echo "== self-contained"
rc=0
timeout 60 "$HELLO" >"$T/out" 2>&1 || rc=$?
cat "$T/out"
[[ $rc -eq 0 ]] || fail "exit code $rc"
check_run SIO-HELLO-0001 nqn.2016-06.io.spdk-io:hello

echo "== --help, bad -r"
rc=0
"$HELLO" --help >"$T/out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "--help: exit code $rc"
expect '^ -r, --transport TRID'
rc=0
"$HELLO" -r 'trtype:TCP traddr:127.0.0.1 bogus:1' >"$T/out" 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "bad -r: exit code $rc, expected 2"
expect '^hello_nvme: -r: .*bogus'

if [[ ! -x $TGT ]]; then
	echo "sio_tgt not built: -r against it not run"
	exit 0
fi
echo "== -r against sio_tgt"
NQN=nqn.2016-06.io.spdk-io:hello-r
for _ in 1 2 3 4 5 6 7 8; do  # a free port: try a few random ones
	port=$((20000 + RANDOM % 20000))
	cat >"$T/tgt.json" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
 {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":4096,"block_size":4096}}]},
 {"subsystem":"nvmf","config":[
 {"method":"nvmf_create_transport","params":{"trtype":"TCP"}},
 {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SIO-R-0002"}},
 {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc0"}}},
 {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"$port"}}}]}]}
JSON
	"$TGT" -m 0x1 -c "$T/tgt.json" -r "$T/tgt.sock" >"$T/tgt.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do
		grep -q "listening on 127.0.0.1 port $port" "$T/tgt.log" && break 2
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
done
[[ -n $PID ]] || { echo "FAIL: could not start sio_tgt"; cat "$T/tgt.log"; exit 1; }
rc=0
timeout 60 "$HELLO" -r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$port subnqn:$NQN" \
	>"$T/out" 2>&1 || rc=$?
cat "$T/out"
[[ $rc -eq 0 ]] || fail "-r: exit code $rc"
check_run SIO-R-0002 "$NQN"
expect '^  namespace 1: 4096 blocks of 4096 bytes$'
echo "PASS"
