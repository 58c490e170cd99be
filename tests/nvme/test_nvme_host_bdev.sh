#!/usr/bin/env bash
# The nvme bdev module against sio_tgt in another process over loopback:
#  1. sio_bdevperf -w verify on the namespaces of an attached controller
#     (bdev_nvme_attach_controller in the JSON config), two namespaces;
#  2. the target killed (SIGKILL) under verify I/O and started again on the
#     same backing file: the controller reconnects (reconnect_delay_sec 1),
#     waiting I/O goes out again, verify finds every acknowledged write;
#  3. save_config of the host app replays the attach; bdev_nvme_get_controllers,
#     bdev_nvme_reset_controller and bdev_nvme_detach_controller over RPC;
#  4. the target killed for good: waiting I/O fails once fast_io_fail_timeout_sec
#     have passed, the controller and its bdevs go after ctrlr_loss_timeout_sec.
# usage: test_nvme_host_bdev.sh BUILD_ROOT SOURCE_ROOT
set -euo pipefail
B=${1:?build root}
S=${2:?source root}
TGT=$B/tools/sio_tgt/sio_tgt
BPERF=$B/tools/bdevperf/sio_bdevperf
RPC="python3 $S/tools/sio_rpc.py"
[[ -x $TGT && -x $BPERF ]] || { echo "SKIP: sio_tgt or sio_bdevperf not built"; exit 77; }
T=$(mktemp -d /tmp/sio_host_bdev.XXXXXX)
TPID="" HPID=""
cleanup() {
	local rc=$?
	for p in $HPID $TPID; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# A failed step (a sanitizer's exit code at 'wait' included) leaves
	# its evidence in the test log, not only in $T.
	if [[ $rc -ne 0 ]]; then
		for f in "$T"/*.log; do echo "---- $f (last 150 lines)"; tail -n 150 "$f"; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
NQN=nqn.2016-06.io.spdk-io:bdev-test
truncate -s 32M "$T/ns1.img"

start_tgt() {  # $1: port (empty: pick one)
	local want=${1:-} port
	for _ in 1 2 3 4 5 6 7 8; do
		port=${want:-$((20000 + RANDOM % 20000))}
		cat >"$T/tgt.json" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
 {"method":"bdev_aio_create","params":{"name":"Aio0","filename":"$T/ns1.img","block_size":512}},
 {"method":"bdev_malloc_create","params":{"name":"Malloc1","num_blocks":16384,"block_size":4096}}]},
 {"subsystem":"nvmf","config":[
 {"method":"nvmf_create_transport","params":{"trtype":"TCP"}},
 {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SIO0002"}},
 {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Aio0"}}},
 {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc1"}}},
 {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"$port"}}}]}]}
JSON
		"$TGT" -m 0x1 -c "$T/tgt.json" -r "$T/tgt.sock" >>"$T/tgt.log" 2>&1 &
		TPID=$!
		for _ in $(seq 150); do
			grep -q "listening on 127.0.0.1 port $port" "$T/tgt.log" && { PORT=$port; return 0; }
			kill -0 "$TPID" 2>/dev/null || break
			sleep 0.1
		done
		# Not listening in 15 s (a loaded machine) or exited: stop it and
		# try another port. A target that ignores SIGTERM is reported (it
		# would otherwise hang this test at 'wait' until meson's timeout).
		kill "$TPID" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$TPID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$TPID" 2>/dev/null; then
			echo "sio_tgt did not exit 10 s after SIGTERM; its log:"; tail -n 40 "$T/tgt.log"
			kill -9 "$TPID" 2>/dev/null || true
		fi
		wait "$TPID" 2>/dev/null || true
		TPID=""
		[[ -n $want ]] && sleep 0.5
	done
	echo "could not start sio_tgt"; tail "$T/tgt.log"; return 1
}

host_config() {  # $1: extra attach params
	cat >"$T/host.json" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
 {"method":"bdev_nvme_attach_controller","params":{"name":"Nvme0","trtype":"TCP","adrfam":"IPv4",
  "traddr":"127.0.0.1","trsvcid":"$PORT","subnqn":"$NQN"$1}}]}]}
JSON
}

start_tgt ""
echo "== sio_tgt on 127.0.0.1:$PORT"

echo "== 1. sio_bdevperf -w verify on Nvme0n1 and Nvme0n2"
host_config ""
"$BPERF" -c "$T/host.json" -m 0x2 -r "$T/host.sock" -q 16 -o 4096 -w verify -t 2 --quiet \
	--results-json "$T/v1.json"
python3 - "$T/v1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = d.get("jobs", d.get("results", []))
names = sorted(j["job"] for j in jobs)
assert names[:2] == ["Nvme0n1", "Nvme0n2"], names
for j in jobs:
    assert j["io_failed"] == 0 and j["status"] == "finished", j
print("   verify passed on", names)
PY

wait_host_init() {  # $1: the host app's log; its I/O runs once it prints "Running"
	local i
	for i in $(seq 600); do
		grep -q "^Running" "$1" && return 0
		kill -0 "$HPID" 2>/dev/null || { echo "host app exited early:"; cat "$1"; return 1; }
		sleep 0.1
	done
	echo "host app did not start its I/O in 60 s:"; cat "$1"; return 1
}

echo "== 2. target killed and restarted under verify I/O"
host_config ', "ctrlr_loss_timeout_sec": 30, "reconnect_delay_sec": 1, "fast_io_fail_timeout_sec": 0'
"$BPERF" -c "$T/host.json" -m 0x2 -r "$T/host.sock" -q 16 -o 4096 -w verify -t 8 -T Nvme0n1 \
	--results-json "$T/v2.json" >"$T/bperf2.log" 2>&1 &
HPID=$!
# Kill only once the attach is done and I/O runs (a loaded machine can take seconds to start).
wait_host_init "$T/bperf2.log"
sleep 2
kill -9 "$TPID"; wait "$TPID" 2>/dev/null || true; TPID=""
echo "   target killed"
sleep 1
start_tgt "$PORT"
echo "   target restarted"
rc=0; wait "$HPID" || rc=$?; HPID=""
grep -E "reconnect|lost|Nvme0n1 " "$T/bperf2.log" | head -5 || true
[[ $rc == 0 ]] || { cat "$T/bperf2.log"; exit 1; }
python3 - "$T/v2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = d.get("jobs", d.get("results", []))
j = [j for j in jobs if j["job"] == "Nvme0n1"][0]
assert j["io_failed"] == 0 and j["status"] == "finished", j
print("   verify passed across the restart:", j)
PY
grep -q "reconnected" "$T/bperf2.log" || { echo "no reconnection logged:"; cat "$T/bperf2.log"; exit 1; }

echo "== 3. RPC: get_controllers, reset, save_config replays the attach, detach"
host_config ""
"$BPERF" -c "$T/host.json" -m 0x2 -r "$T/host.sock" -z >"$T/bperf3.log" 2>&1 &
HPID=$!
# The RPC socket answers before the config's attach is done: framework_wait_init waits for it
# (retried: the socket appears only once the app is up).
for _ in $(seq 100); do
	[[ -S $T/host.sock ]] && $RPC -s "$T/host.sock" -t 60 framework_wait_init >/dev/null 2>&1 && break
	sleep 0.2
done
$RPC -s "$T/host.sock" bdev_nvme_get_controllers >"$T/ctrlrs.json"
python3 -c "
import json
c = json.load(open('$T/ctrlrs.json'))
assert c[0]['name'] == 'Nvme0' and c[0]['ctrlrs'][0]['trid']['subnqn'] == '$NQN', c
assert c[0]['ctrlrs'][0]['state'] == 'enabled'
"
$RPC -s "$T/host.sock" bdev_nvme_reset_controller name=Nvme0
# Parameters that cannot be honoured are refused with their name, not dropped.
attach_refused() {  # $1: extra JSON params, $2: text the error must contain
	if $RPC -s "$T/host.sock" bdev_nvme_attach_controller "{\"name\":\"Nvme9\",\"trtype\":\"TCP\",
\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$PORT\",\"subnqn\":\"$NQN\"$1}" >"$T/err.txt" 2>&1; then
		echo "attach with $1 accepted"; exit 1
	fi
	grep -q "$2" "$T/err.txt" || { echo "error lacks '$2':"; cat "$T/err.txt"; exit 1; }
	echo "   refused: $(tr -d '\n' <"$T/err.txt" | cut -c1-110)"
}
attach_refused ',"priority":"abc"' "priority: 'abc' is not a number"
attach_refused ',"priority":""' "priority: '' is not a number from 0 to 2147483647"
attach_refused ',"multipath_opts":{"policy":"active_active"}' "multipath_opts: not supported"
attach_refused ',"prchk_guard":true' "protection information"

host_has() {  # $1: bdev name; $2: 1 present, 0 absent
	local i
	for i in $(seq 100); do
		$RPC -s "$T/host.sock" bdev_get_bdevs >"$T/bdevs.json"
		if python3 -c "
import json, sys
names = [b['name'] for b in json.load(open('$T/bdevs.json'))]
sys.exit(0 if ('$1' in names) == bool($2) else 1)"; then return 0; fi
		sleep 0.1
	done
	echo "host bdev $1 present=$2 not reached"; cat "$T/bdevs.json"; return 1
}
echo "== namespace 2 removed on the target: async event, Nvme0n2 goes; added back: it returns"
$RPC -s "$T/tgt.sock" nvmf_subsystem_remove_ns nqn=$NQN nsid=2
host_has Nvme0n2 0
host_has Nvme0n1 1
$RPC -s "$T/tgt.sock" nvmf_subsystem_add_ns "{\"nqn\": \"$NQN\", \"namespace\": {\"bdev_name\": \"Malloc1\", \"nsid\": 2}}"
host_has Nvme0n2 1
$RPC -s "$T/host.sock" save_config >"$T/saved.json"
python3 -c "
import json
d = json.load(open('$T/saved.json'))
calls = [c for s in d['subsystems'] if s['subsystem'] == 'bdev' for c in s['config']]
a = [c for c in calls if c['method'] == 'bdev_nvme_attach_controller']
assert len(a) == 1 and a[0]['params']['name'] == 'Nvme0' and a[0]['params']['trsvcid'] == '$PORT', a
assert not [c for c in calls if c['method'] == 'bdev_nvme_get_controllers']
"
$RPC -s "$T/host.sock" bdev_nvme_detach_controller name=Nvme0
$RPC -s "$T/host.sock" bdev_get_bdevs >"$T/bdevs.json"
python3 -c "
import json
assert not [b for b in json.load(open('$T/bdevs.json')) if b['name'].startswith('Nvme0')]
"
kill "$HPID"; wait "$HPID" || true; HPID=""
echo "== saved config starts a host with the same bdevs"
"$BPERF" -c "$T/saved.json" -m 0x2 -r "$T/host.sock" -q 8 -o 4096 -w verify -t 1 --quiet -T Nvme0n2

echo "== 4. target gone for good: I/O fails after fast_io_fail_timeout_sec, the controller goes after ctrlr_loss_timeout_sec"
host_config ', "ctrlr_loss_timeout_sec": 10, "reconnect_delay_sec": 1, "fast_io_fail_timeout_sec": 2'
"$BPERF" -c "$T/host.json" -m 0x2 -r "$T/host.sock" -q 8 -o 4096 -w randread -t 1 -T Nvme0n1 -z \
	>"$T/bperf4.log" 2>&1 &
HPID=$!
for _ in $(seq 100); do
	[[ -S $T/host.sock ]] && $RPC -s "$T/host.sock" -t 60 framework_wait_init >/dev/null 2>&1 && break
	sleep 0.2
done
host_has Nvme0n1 1
kill -9 "$TPID"; wait "$TPID" 2>/dev/null || true; TPID=""
t0=$SECONDS
for _ in $(seq 300); do grep -q "fast_io_fail_timeout_sec passed" "$T/bperf4.log" && break; sleep 0.1; done
grep -q "fast_io_fail_timeout_sec passed" "$T/bperf4.log" || { cat "$T/bperf4.log"; exit 1; }
t_fail=$((SECONDS - t0))
# Generous bounds (a loaded machine): not before the 2 s, well before the 10 s.
((t_fail >= 1 && t_fail < 9)) || { echo "fast_io_fail after ${t_fail} s"; exit 1; }
# I/O now fails at once instead of waiting for a reconnection: a 1 s run ends, with errors.
rc=0; $RPC -s "$T/host.sock" -t 30 perform_tests >"$T/p4.json" 2>&1 || rc=$?
t_run=$((SECONDS - t0))
python3 - "$T/p4.json" "$rc" <<'PY'
import json, sys
txt = open(sys.argv[1]).read()
if sys.argv[2] != "0":
    assert "bdevperf failed" in txt, txt
    print("   perform_tests refused:", " ".join(txt.split())[:100])
else:
    d = json.loads(txt)
    jobs = d.get("jobs", d.get("results", []))
    assert jobs and all(j["io_failed"] > 0 for j in jobs), d
    print("   perform_tests: io_failed", [j["io_failed"] for j in jobs])
PY
# The controller and its bdev still there until ctrlr_loss_timeout_sec (if this machine kept up).
if ((t_run < 9)); then
	$RPC -s "$T/host.sock" bdev_nvme_get_controllers name=Nvme0 >/dev/null
	host_has Nvme0n1 1
fi
for _ in $(seq 600); do
	$RPC -s "$T/host.sock" bdev_nvme_get_controllers name=Nvme0 >/dev/null 2>&1 || break
	sleep 0.1
done
t_gone=$((SECONDS - t0))
host_has Nvme0n1 0
grep -q "controller lost .*deleting the path" "$T/bperf4.log" || { cat "$T/bperf4.log"; exit 1; }
((t_gone >= 9)) || { echo "controller deleted after ${t_gone} s, before ctrlr_loss_timeout_sec 10"; exit 1; }
echo "   after the kill: I/O failing at ${t_fail} s, controller and Nvme0n1 deleted at ${t_gone} s"
kill "$HPID"; wait "$HPID" || true; HPID=""
echo PASS
