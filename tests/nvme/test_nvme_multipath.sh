#!/usr/bin/env bash
# Multipath in the nvme bdev module, against sio_tgt over real loopback:
# one subsystem with two listeners, both attached under one name (multipath
# "multipath") form one bdev per namespace, Nvme0n1 and Nvme0n2, each with
# two io paths. One sio_bdevperf -w verify run on both covers every step (0
# failed I/O at the end):
#  0. the second path attached with hostaddr 127.0.0.2: the target sees
#     its queues' connections come from there;
#  1. refused second paths: same path again, multipath disabled, another
#     subsystem (NQN differs), same NQN on another target whose namespace
#     has another identity (NGUID/UUID);
#  2. active_passive: the active listener removed on the target (its
#     controller disconnected): I/O moves to the other path, get_io_paths
#     shows the current path switch; the listener re-added: the path
#     reconnects (reconnect_delay_sec) and is current again;
#  3. active_active round robin: both paths carry I/O (io_path_stat counts);
#     Nvme0n2, left active_passive, keeps its one current path (the current
#     path is each bdev's own);
#  4. save_config has set_options, both attaches and the policy;
#  5. one path detached under I/O; then a host started from the saved
#     config has both paths and the policy.
# MP_HOST_MASK (default 0x2): the host's reactor mask; 0x3 runs a verify job on
# each of two reactors, so every channel message, path switch and detach
# crosses OS threads (nvme_multipath_mt, in TSan builds: the 'tsan' suite).
# usage: test_nvme_multipath.sh BUILD_ROOT SOURCE_ROOT
set -euo pipefail
B=${1:?build root}
S=${2:?source root}
TGT=$B/tools/sio_tgt/sio_tgt
BPERF=$B/tools/bdevperf/sio_bdevperf
RPC="python3 $S/tools/sio_rpc.py"
[[ -x $TGT && -x $BPERF ]] || { echo "SKIP: sio_tgt or sio_bdevperf not built"; exit 77; }
T=$(mktemp -d /tmp/sio_multipath.XXXXXX)
PIDS=()
cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# A failed step (e.g. sio_bdevperf exiting 66 on a ThreadSanitizer report)
	# must leave its evidence in the test log, not only in $T.
	if [[ $rc -ne 0 ]]; then
		for f in "$T"/*.log; do echo "---- $f (last 150 lines)"; tail -n 150 "$f"; done
	fi
	[[ -n ${KEEP:-} ]] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
NQN=nqn.2016-06.io.spdk-io:multipath
NQN2=nqn.2016-06.io.spdk-io:other
free_ports() {  # $1: how many free TCP ports on 127.0.0.1
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
read -r P1 P2 P3 <<<"$(free_ports 3)"
listener() {  # $1 nqn $2 port
	echo "{\"nqn\":\"$1\",\"listen_address\":{\"trtype\":\"TCP\",\"adrfam\":\"IPv4\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$2\"}}"
}
start_tgt() {  # $1: tag, $2: json, $3: port to wait for
	echo "$2" >"$T/$1.json"
	# Interrupt mode: the targets sleep when idle (the machine has 2 cores).
	"$TGT" -m 0x1 --interrupt-mode -c "$T/$1.json" -r "$T/$1.sock" >"$T/$1.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$1=$!"
	for _ in $(seq 200); do
		grep -q "listening on 127.0.0.1 port $3" "$T/$1.log" && return 0
		sleep 0.1
	done
	echo "sio_tgt $1 did not start"; cat "$T/$1.log"; return 1
}
# Target 1: the multipath subsystem on P1 and P2, another subsystem on P1.
start_tgt tgt "{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[
 {\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc0\",\"num_blocks\":8192,\"block_size\":4096}},
 {\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc1\",\"num_blocks\":1024,\"block_size\":4096}},
 {\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc2\",\"num_blocks\":4096,\"block_size\":4096}}]},
 {\"subsystem\":\"nvmf\",\"config\":[
 {\"method\":\"nvmf_create_transport\",\"params\":{\"trtype\":\"TCP\"}},
 {\"method\":\"nvmf_create_subsystem\",\"params\":{\"nqn\":\"$NQN\",\"allow_any_host\":true,\"serial_number\":\"SIOMP0001\"}},
 {\"method\":\"nvmf_subsystem_add_ns\",\"params\":{\"nqn\":\"$NQN\",\"namespace\":{\"bdev_name\":\"Malloc0\"}}},
 {\"method\":\"nvmf_subsystem_add_ns\",\"params\":{\"nqn\":\"$NQN\",\"namespace\":{\"bdev_name\":\"Malloc2\"}}},
 {\"method\":\"nvmf_subsystem_add_listener\",\"params\":$(listener $NQN $P1)},
 {\"method\":\"nvmf_subsystem_add_listener\",\"params\":$(listener $NQN $P2)},
 {\"method\":\"nvmf_create_subsystem\",\"params\":{\"nqn\":\"$NQN2\",\"allow_any_host\":true,\"serial_number\":\"SIOMP0002\"}},
 {\"method\":\"nvmf_subsystem_add_ns\",\"params\":{\"nqn\":\"$NQN2\",\"namespace\":{\"bdev_name\":\"Malloc1\"}}},
 {\"method\":\"nvmf_subsystem_add_listener\",\"params\":$(listener $NQN2 $P2)}]}]}" "$P2"
# Target 2: the same NQN, another namespace (another malloc: other UUID/NGUID).
start_tgt tgt2 "{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":[
 {\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc9\",\"num_blocks\":8192,\"block_size\":4096}}]},
 {\"subsystem\":\"nvmf\",\"config\":[
 {\"method\":\"nvmf_create_transport\",\"params\":{\"trtype\":\"TCP\"}},
 {\"method\":\"nvmf_create_subsystem\",\"params\":{\"nqn\":\"$NQN\",\"allow_any_host\":true,\"serial_number\":\"SIOMP0009\"}},
 {\"method\":\"nvmf_subsystem_add_ns\",\"params\":{\"nqn\":\"$NQN\",\"namespace\":{\"bdev_name\":\"Malloc9\"}}},
 {\"method\":\"nvmf_subsystem_add_listener\",\"params\":$(listener $NQN $P3)}]}]}" "$P3"
echo "== sio_tgt: $NQN (2 namespaces) on 127.0.0.1:$P1 and :$P2 ($NQN2 on :$P2); another target with $NQN on :$P3"

attach() {  # $1 port, $2 nqn, $3 extra params (JSON members)
	echo "{\"name\":\"Nvme0\",\"trtype\":\"TCP\",\"adrfam\":\"IPv4\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$1\",\"subnqn\":\"$2\",\"ctrlr_loss_timeout_sec\":-1,\"reconnect_delay_sec\":1$3}"
}
cat >"$T/host.json" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
 {"method":"bdev_nvme_set_options","params":{"io_path_stat":true,"bdev_retry_count":3,"transport_retry_count":4}},
 {"method":"bdev_nvme_attach_controller","params":$(attach $P1 $NQN '')},
 {"method":"bdev_nvme_attach_controller","params":$(attach $P2 $NQN ',"multipath":"multipath","hostaddr":"127.0.0.2"')}]}]}
JSON
HRPC="$RPC -s $T/host.sock"
# One verify run across every step below (cut by SIGINT at the end): the
# bdev channel stays open, so get_io_paths (SPDK's: the paths of open
# channels, per poll group) has something to show, and a single result says
# whether any I/O failed or read back wrong through all the path changes.
HOST_MASK=${MP_HOST_MASK:-0x2}
"$BPERF" -c "$T/host.json" -m "$HOST_MASK" -r "$T/host.sock" -q 32 -o 4096 -w verify -t 3600 \
	--results-json "$T/verify.json" >"$T/bperf.log" 2>&1 &
HPID=$!
PIDS+=($HPID)
ctrlr_ports() {  # the name's paths as get_controllers lists them
	$HRPC bdev_nvme_get_controllers name=Nvme0 >"$T/ctrlrs.json" 2>/dev/null || return 1
	python3 - "$T/ctrlrs.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert len(c) == 1 and c[0]["name"] == "Nvme0", c
print(" ".join(x["trid"]["trsvcid"] for x in c[0]["ctrlrs"]))
PY
}
# The machine may be loaded (2 cores, polling processes): waits are by deadline.
wait_ctrlrs() {  # $1: expected ports
	local end=$((SECONDS + 60))
	while ((SECONDS < end)); do
		[[ -S $T/host.sock && $(ctrlr_ports 2>/dev/null) == "$1" ]] && return 0
		sleep 0.2
	done
	echo "get_controllers never showed paths $1"; ctrlr_ports || true; return 1
}
paths() {  # prints "port:current:connected ..." for bdev $1 (default Nvme0n1; poll groups that agree: once)
	$HRPC bdev_nvme_get_io_paths name="${1:-Nvme0n1}" >"$T/paths.json"
	python3 - "$T/paths.json" "${1:-Nvme0n1}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
groups = []
for pg in d["poll_groups"]:
    out = []
    for p in pg["io_paths"]:
        assert p["bdev_name"] == sys.argv[2], p
        assert set(p["transport"]) >= {"trtype", "traddr", "trsvcid", "adrfam", "subnqn"}, p
        out.append("%s:%d:%d" % (p["transport"]["trsvcid"], p["current"], p["connected"]))
    if out not in groups:
        groups.append(out)
print(" ".join(" ".join(g) for g in groups))
PY
}
wait_paths() {  # $1: expected paths() output, $2: bdev (default Nvme0n1)
	local end=$((SECONDS + 60)) got=""
	while ((SECONDS < end)); do
		got=$(paths "${2:-Nvme0n1}")
		[[ $got == "$1" ]] && { echo "   get_io_paths: $got"; return 0; }
		sleep 0.1
	done
	echo "get_io_paths: '$got', expected '$1'"; return 1
}
stat_ops() {  # read+write ops per path (io_path_stat): "port:ops ..."
	$HRPC bdev_nvme_get_io_paths name=Nvme0n1 >"$T/paths.json"
	python3 - "$T/paths.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = {}
for pg in d["poll_groups"]:
    for p in pg["io_paths"]:
        s = p["io_path_stat"]
        k = p["transport"]["trsvcid"]
        out[k] = out.get(k, 0) + s["num_read_ops"] + s["num_write_ops"]
print(" ".join("%s:%d" % kv for kv in out.items()))
PY
}
echo "== both paths under one bdev, the first one current (active_passive)"
wait_ctrlrs "$P1 $P2"
python3 - "$T/ctrlrs.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))[0]["ctrlrs"]
assert len({x["cntlid"] for x in c}) == 2 and all(x["state"] == "enabled" for x in c), c
print("   get_controllers: Nvme0 with cntlids", [x["cntlid"] for x in c])
PY
wait_paths "$P1:1:1 $P2:0:1"
# hostaddr: the second path's connections come from 127.0.0.2 (the target says).
$RPC -s "$T/tgt.sock" nvmf_subsystem_get_qpairs nqn=$NQN >"$T/qpairs.json"
python3 - "$T/qpairs.json" "$P1" "$P2" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))
peers = {}
for x in q:
    peers.setdefault(x["listen_address"]["trsvcid"], set()).add(x["peer_address"]["traddr"])
assert peers == {sys.argv[2]: {"127.0.0.1"}, sys.argv[3]: {"127.0.0.2"}}, peers
print("   hostaddr: target sees the second path's queues from", peers[sys.argv[3]])
PY

echo "== 1. second paths that must be refused"
refused() {  # $1: params, $2: text the error must contain
	if $HRPC bdev_nvme_attach_controller "$1" >"$T/err.txt" 2>&1; then
		echo "accepted: $1"; exit 1
	fi
	grep -q "$2" "$T/err.txt" || { echo "error lacks '$2':"; cat "$T/err.txt"; exit 1; }
	echo "   refused: $(tr -d '\n' <"$T/err.txt" | cut -c1-150)"
}
refused "$(attach $P2 $NQN ',"multipath":"multipath"')" "already attached"
refused "$(attach $P2 $NQN '')" "multipath is disabled"
refused "$(attach $P2 $NQN2 ',"multipath":"multipath"')" "subsystem"
refused "$(attach $P3 $NQN ',"multipath":"multipath"')" "another identity"
wait_ctrlrs "$P1 $P2"
kill "$PID_tgt2"

echo "== 1b. bdev_nvme_reset_controller with cntlid resets that path only"
cntlids() {  # "cntlid1 cntlid2" in path order, once both paths are enabled again
	local end=$((SECONDS + 60)) got
	while ((SECONDS < end)); do
		$HRPC bdev_nvme_get_controllers name=Nvme0 >"$T/ctrlrs.json" 2>/dev/null &&
			got=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))[0]["ctrlrs"]
print(" ".join(str(x["cntlid"]) for x in c) if all(x["state"] == "enabled" for x in c) else "")' \
				"$T/ctrlrs.json") && [[ -n $got ]] && { echo "$got"; return 0; }
		sleep 0.2
	done
	echo "paths not enabled again"; return 1
}
read -r c1 c2 <<<"$(cntlids)"
$HRPC bdev_nvme_reset_controller "{\"name\":\"Nvme0\",\"cntlid\":$c2}" >/dev/null
read -r n1 n2 <<<"$(cntlids)"
# The target gives a reconnected admin queue a new controller ID: only the second path's changed.
[[ $n1 == "$c1" && $n2 != "$c2" ]] || { echo "cntlids $c1 $c2 -> $n1 $n2"; exit 1; }
echo "   reset cntlid $c2: cntlids $c1 $c2 -> $n1 $n2"
if $HRPC bdev_nvme_reset_controller '{"name":"Nvme0","cntlid":65000}' >"$T/err.txt" 2>&1; then
	echo "reset of an unknown cntlid accepted"; exit 1
fi
grep -q "no path with cntlid 65000" "$T/err.txt" || { cat "$T/err.txt"; exit 1; }
echo "   refused: $(tr -d '\n' <"$T/err.txt" | cut -c1-120)"

echo "== 2. active_passive: the active listener removed under verify I/O"
before=$(stat_ops)
$RPC -s "$T/tgt.sock" nvmf_subsystem_remove_listener "$(listener $NQN $P1)" >/dev/null
echo "   listener $P1 removed (its controller disconnected by the target)"
wait_paths "$P1:0:0 $P2:1:1"
sleep 1
mid=$(stat_ops)
$RPC -s "$T/tgt.sock" nvmf_subsystem_add_listener "$(listener $NQN $P1)" >/dev/null
echo "   listener $P1 added again"
# reconnect_delay_sec 1, then the first path is current again (auto failback).
wait_paths "$P1:1:1 $P2:0:1"
sleep 1
after=$(stat_ops)
grep -q "reconnected" "$T/bperf.log"
echo "   I/O per path at the start: $before, listener gone: $mid, back: $after"
python3 - "$before" "$mid" "$after" <<'PY'
import sys
b, m, a = (dict((k, int(v)) for k, v in (x.split(":") for x in s.split())) for s in sys.argv[1:4])
p1, p2 = list(b)
assert m[p2] > b[p2], "no I/O moved to the second path"
assert a[p1] > m[p1], "no I/O back on the first path"
PY

echo "== 3. active_active round robin: both paths carry I/O"
$HRPC bdev_nvme_set_multipath_policy name=Nvme0n1 policy=active_active selector=round_robin rr_min_io=1 >/dev/null
wait_paths "$P1:1:1 $P2:1:1"
# Nvme0n2 stays active_passive on the first path while Nvme0n1 round-robins
# through the same queue pairs (one current path per bdev, not per name).
wait_paths "$P1:1:1 $P2:0:1" Nvme0n2
before=$(stat_ops)
sleep 2
after=$(stat_ops)
echo "   I/O per path: $before, 2 s later: $after"
python3 - "$before" "$after" <<'PY'
import sys
b = dict(x.split(":") for x in sys.argv[1].split())
a = dict(x.split(":") for x in sys.argv[2].split())
d = {k: int(a[k]) - int(b[k]) for k in a}
assert len(d) == 2 and all(v > 50 for v in d.values()), d
lo, hi = min(d.values()), max(d.values())
assert hi <= 1.2 * lo + 64, d  # round robin, one I/O each: close to even
print("   round robin I/O per path over 2 s:", d)
PY
if $HRPC bdev_nvme_set_multipath_policy name=Nvme0n1 policy=active_passive selector=round_robin >/dev/null 2>&1; then
	echo "selector with active_passive accepted"; exit 1
fi

echo "== 4. save_config replays options, both attaches and the policy"
$HRPC save_config >"$T/saved.json"
python3 - "$T/saved.json" "$P1" "$P2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
calls = [c for s in d["subsystems"] if s["subsystem"] == "bdev" for c in s["config"]]
m = [c["method"] for c in calls if c["method"].startswith("bdev_nvme")]
assert m == ["bdev_nvme_set_options", "bdev_nvme_attach_controller", "bdev_nvme_attach_controller",
             "bdev_nvme_set_multipath_policy"], m
o = [c for c in calls if c["method"] == "bdev_nvme_set_options"][0]["params"]
assert o["io_path_stat"] is True and o["bdev_retry_count"] == 3, o
a = [c["params"] for c in calls if c["method"] == "bdev_nvme_attach_controller"]
assert [x["trsvcid"] for x in a] == sys.argv[2:4] and a[1]["multipath"] == "multipath", a
assert a[1]["hostaddr"] == "127.0.0.2" and "hostaddr" not in a[0], a
p = [c["params"] for c in calls if c["method"] == "bdev_nvme_set_multipath_policy"][0]
assert p == {"name": "Nvme0n1", "policy": "active_active", "selector": "round_robin", "rr_min_io": 1}, p
print("   saved:", m)
PY
echo "== 5. one path detached under I/O, then the verify run stopped"
$HRPC bdev_nvme_detach_controller "{\"name\": \"Nvme0\", \"trsvcid\": \"$P1\"}" >/dev/null
[[ $(ctrlr_ports) == "$P2" ]]
wait_paths "$P2:1:1"
sleep 1
kill -INT "$HPID"
wait "$HPID"
python3 - "$T/verify.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for name in ("Nvme0n1", "Nvme0n2"):
    js = [j for j in d["results"] if j["job"] == name]
    assert js, (name, d["results"])
    for j in js:
        assert j["io_failed"] == 0 and j["io_completed"] > 1000, j
    print("   verify across every step, %s: %d I/O, 0 failed" % (name, sum(j["io_completed"] for j in js)))
PY

echo "== a host started from the saved config has both paths and the policy"
"$BPERF" -c "$T/saved.json" -m "$HOST_MASK" -r "$T/host.sock" -q 8 -o 4096 -w verify -t 3600 -T Nvme0n1 \
	--results-json "$T/verify2.json" >"$T/bperf2.log" 2>&1 &
HPID=$!
PIDS+=($HPID)
wait_ctrlrs "$P1 $P2"
$HRPC bdev_get_bdevs name=Nvme0n1 >"$T/bdevs.json"
python3 -c "
import json
d = json.load(open('$T/bdevs.json'))[0]['driver_specific']
assert d['mp_policy'] == 'active_active' and len(d['nvme']) == 2, d
"
wait_paths "$P1:1:1 $P2:1:1"
kill -INT "$HPID"
wait "$HPID"
python3 - "$T/verify2.json" <<'PY'
import json, sys
j = [j for j in json.load(open(sys.argv[1]))["results"] if j["job"] == "Nvme0n1"][0]
assert j["io_failed"] == 0 and j["io_completed"] > 0, j
print("   verify: %d I/O, 0 failed" % j["io_completed"])
PY
# The targets are killed, never exit: a sanitizer report in their logs would go unseen.
if grep -l "WARNING: ThreadSanitizer\|ERROR: AddressSanitizer\|runtime error:" "$T"/*.log; then
	echo "sanitizer report in the logs above"; exit 1
fi
echo PASS
