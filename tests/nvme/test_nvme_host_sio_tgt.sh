#!/usr/bin/env bash
# The NVMe host driver and its tools against our own target, sio_tgt, in
# another process over real loopback TCP: the host test program (connect,
# identify, I/O of every kind verified, errors, admin, discovery, reset)
# without and with digests, sio_nvme_identify (text and --json), and a short
# sio_nvme_perf run whose JSON is checked for completed I/O without errors.
# usage: test_nvme_host_sio_tgt.sh BUILD_ROOT
set -euo pipefail
B=${1:?build root}
TGT=$B/tools/sio_tgt/sio_tgt
HOST=$B/tests/nvme/test_nvme_host_tcp
[[ -x $TGT ]] || { echo "SKIP: $TGT not built"; exit 77; }
T=$(mktemp -d /tmp/sio_host_tgt.XXXXXX)
PID=""
cleanup() {
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
NQN=nqn.2016-06.io.spdk-io:host-test
NQN2=nqn.2016-06.io.spdk-io:host-test-2   # a second subsystem on a listener of its own

start_tgt() {  # a free port: try a few random ones
	local port
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 20000))
		cat >"$T/tgt.json" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
 {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":8192,"block_size":4096}},
 {"method":"bdev_malloc_create","params":{"name":"Malloc1","num_blocks":65536,"block_size":512}}]},
 {"subsystem":"nvmf","config":[
 {"method":"nvmf_create_transport","params":{"trtype":"TCP"}},
 {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SIO0001"}},
 {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc0"}}},
 {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc1"}}},
 {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"$port"}}},
 {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN2","allow_any_host":true,"serial_number":"SIO0002"}},
 {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN2","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"$((port + 1))"}}}]}]}
JSON
		"$TGT" -m 0x1 -c "$T/tgt.json" -r "$T/tgt.sock" >"$T/tgt.log" 2>&1 &
		PID=$!
		for _ in $(seq 100); do
			grep -q "listening on 127.0.0.1 port $((port + 1))" "$T/tgt.log" &&
				{ PORT=$port; PORT2=$((port + 1)); return 0; }
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=""
	done
	echo "could not start sio_tgt"; cat "$T/tgt.log"; return 1
}
start_tgt
TRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"
echo "== sio_tgt on 127.0.0.1:$PORT"

# tshark on a capture of $1 (a run against $PORT): prints "C2HData N SUCCESS S
# CapsuleResp R", fails on a malformed packet or an error-level expert note.
CAP=""
capture() {  # capture NAME CMD...: run CMD under dumpcap on the target's port
	local name=$1 cpid
	shift
	CAP=$T/$name.pcap
	dumpcap -q -i lo -f "tcp port $PORT" -w "$CAP" >"$T/$name.cap.log" 2>&1 &
	cpid=$!
	for _ in $(seq 100); do [[ -s $CAP ]] && break; kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
	"$@"
	sleep 0.5
	kill -INT "$cpid" 2>/dev/null || true
	wait "$cpid" || true
}
pdu_counts() {
	local bad
	bad=$(tshark -r "$CAP" -d "tcp.port==$PORT,nvme-tcp" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null)
	[[ -z $bad ]] || { echo "$bad" | head -20; echo "FAIL: tshark flags packets in $CAP"; return 1; }
	tshark -r "$CAP" -d "tcp.port==$PORT,nvme-tcp" -Y nvme-tcp -T fields -e nvme-tcp.type \
		-e nvme-tcp.flags.pdu.data_success 2>/dev/null | python3 -c "
import sys
c2h = succ = resp = 0
for line in sys.stdin:
    f = line.rstrip('\\n').split('\\t')
    types = f[0].split(',') if f[0] else []
    c2h += types.count('7'); resp += types.count('5')
    if len(f) > 1 and f[1]:
        succ += sum(1 for v in f[1].split(',') if v in ('1', 'True'))
print('C2HData %d SUCCESS %d CapsuleResp %d' % (c2h, succ, resp))"
}
# A capture needs tshark, dumpcap and the right to capture on lo; without
# them the host runs uncaptured and only the capture checks are skipped.
CAN_CAPTURE=0
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
	capture probe true
	[[ -s $CAP ]] && CAN_CAPTURE=1 || echo "SKIP (capture checks only): dumpcap cannot capture on lo: $(cat "$T/probe.cap.log")"
fi

echo "== host test, no digests (SQ flow control disabled: reads end with C2HData SUCCESS)"
if ((CAN_CAPTURE)); then
	capture sqoff "$HOST" --min-ns=2 "$TRID"
	read -r _ c2h _ succ _ resp < <(pdu_counts)
	echo "   tshark: $c2h C2HData ($succ with SUCCESS), $resp CapsuleResp, nothing malformed"
	((succ > 0 && succ <= c2h)) || { echo "FAIL: no C2HData SUCCESS with SQ flow control disabled"; exit 1; }
else
	"$HOST" --min-ns=2 "$TRID"
fi
echo "== host test, SQ flow control kept on (--sq-flow): a CapsuleResp ends every read"
if ((CAN_CAPTURE)); then
	capture sqon "$HOST" --sq-flow --min-ns=2 "$TRID"
	read -r _ c2h _ succ _ resp < <(pdu_counts)
	echo "   tshark: $c2h C2HData ($succ with SUCCESS), $resp CapsuleResp, nothing malformed"
	((c2h > 0 && succ == 0 && resp >= c2h)) || { echo "FAIL: SUCCESS sent with SQ flow control on"; exit 1; }
else
	"$HOST" --sq-flow --min-ns=2 "$TRID"
fi
echo "== host test, header and data digests"
"$HOST" --digest --min-ns=2 "$TRID"

echo "== sio_nvme_identify"
"$B/tools/nvme_identify/sio_nvme_identify" -r "$TRID" >"$T/id.txt"
grep -q "^subnqn    : $NQN\$" "$T/id.txt"
grep -q "^nsze      : 8192\$" "$T/id.txt"
# Each namespace's Command Set Identifier: sio_tgt's are NVM.
[[ $(grep -c "^csi       : NVM (0)\$" "$T/id.txt") == 2 ]] || { echo "FAIL: csi lines"; grep "^csi" "$T/id.txt"; exit 1; }
"$B/tools/nvme_identify/sio_nvme_identify" -r "$TRID" --json >"$T/id.json"
python3 -c "
import json, sys
d = json.load(open('$T/id.json'))
assert d['controller']['subnqn'] == '$NQN', d['controller']['subnqn']
assert [n['nsid'] for n in d['namespaces']] == [1, 2]
assert d['namespaces'][1]['sector_size'] == 512
assert [n['csi'] for n in d['namespaces']] == [0, 0]
# Every field nvme-cli's id-ctrl and id-ns print (nvme-cli 2.x names), power states included.
ctrl = set('''vid ssvid sn mn fr rab ieee cmic mdts cntlid ver rtd3r rtd3e oaes ctratt rrls
cntrltype fguid crdt1 crdt2 crdt3 nvmsr vwci mec oacs acl aerl frmw lpa elpe npss avscc apsta
wctemp cctemp mtfa hmpre hmmin tnvmcap unvmcap rpmbs edstt dsto fwug kas hctma mntmt mxtmt
sanicap hmminds hmmaxd nsetidmax endgidmax anatt anacap anagrpmax nanagrpid pels domainid
megcap sqes cqes maxcmd nn oncs fuses fna vwc awun awupf icsvscc nwpc acwu ocfs sgls mnan
maxdna maxcna subnqn ioccsz iorcsz icdoff fcatt msdbd ofcs psds'''.split())
ns = set('''nsze ncap nuse nsfeat nlbaf flbas mc dpc dps nmic rescap fpi dlfeat nawun nawupf
nacwu nabsn nabo nabspf noiob nvmcap npwg npwa npdg npda nows mssrl mcl msrc nulbaf anagrpid
nsattr nvmsetid endgid nguid eui64 lbafs csi'''.split())
assert not ctrl - set(d['controller']), ctrl - set(d['controller'])
assert not ns - set(d['namespaces'][0]), ns - set(d['namespaces'][0])
assert len(d['controller']['psds']) == d['controller']['npss'] + 1
"
grep -q "^tnvmcap   : " "$T/id.txt"
grep -q "^ps     0 : mp:" "$T/id.txt"
grep -q "^nvmcap    : " "$T/id.txt"
# Bad input refused with a message, not ignored.
idbad() {  # $1: text stderr must contain; the rest: arguments
	local want=$1
	shift
	if "$B/tools/nvme_identify/sio_nvme_identify" "$@" >/dev/null 2>"$T/idbad.err"; then
		echo "FAIL: sio_nvme_identify $* accepted"; exit 1
	fi
	grep -q -- "$want" "$T/idbad.err" || { echo "FAIL: '$want' not in:"; cat "$T/idbad.err"; exit 1; }
}
idbad "unexpected argument 'extra'" -r "$TRID" extra
idbad "-L 'bogus': unknown log flag" -r "$TRID" -L bogus
idbad "trsvcid: '99999x' is not a port number" -r "trtype:TCP traddr:127.0.0.1 trsvcid:99999x"
idbad "-r TRID is required" --json
"$B/tools/nvme_identify/sio_nvme_identify" --help | grep -q -- "--json"
"$B/tools/nvme_identify/sio_nvme_identify" -r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT" |
	grep -q "^subnqn    : $NQN\$"

echo "== a subsystem only through its own listeners (Connect at another's: Invalid Host)"
if "$B/tools/nvme_identify/sio_nvme_identify" \
	-r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN2" >/dev/null 2>"$T/id2.err"; then
	echo "FAIL: $NQN2 connected through $NQN's listener"; exit 1
fi
grep -q "Permission denied" "$T/id2.err" || { cat "$T/id2.err"; exit 1; }
grep -q "may not connect to $NQN2 through 127.0.0.1 port $PORT" "$T/tgt.log"
"$B/tools/nvme_identify/sio_nvme_identify" \
	-r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT2 subnqn:$NQN2" | grep -q "^subnqn    : $NQN2\$"
# The discovery log (asked at either listener) offers each subsystem where it listens, nothing else.
"$B/tools/nvme_identify/sio_nvme_identify" -r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT2" \
	--json >"$T/disc.json"
python3 -c "
import json
d = json.load(open('$T/disc.json'))
got = sorted((e['subnqn'], int(e['trsvcid'])) for e in d['discovery_log'])
assert got == sorted([('$NQN', $PORT), ('$NQN2', $PORT2)]), got
"

echo "== sio_nvme_perf: bad flags refused naming the flag (before any connect)"
perfbad() {  # $1: text stderr must contain; the rest: arguments after -r -w -t
	local want=$1
	shift
	if "$B/tools/nvme_perf/sio_nvme_perf" -r "$TRID" -w randread -t 1 "$@" >/dev/null 2>"$T/perfbad.err"; then
		echo "FAIL: sio_nvme_perf $* accepted"; exit 1
	fi
	grep -q -- "$want" "$T/perfbad.err" || { echo "FAIL: '$want' not in:"; cat "$T/perfbad.err"; exit 1; }
}
perfbad "-q '4x': not a number" -q 4x
perfbad "-q '0': not a number" -q 0
perfbad "-o '4kx': not a size" -o 4kx
perfbad "-o '0': not a size" -o 0
perfbad "-t '1.5': not a number" -t 1.5
perfbad "-P '0': not a number" -P 0
perfbad "-M 'abc': not a number" -w randrw -M abc
perfbad "-w randrw needs -M" -w randrw
perfbad "unexpected argument 'extra'" extra
perfbad "bad core mask '0x0'" -c 0x0
perfbad "names core 1023; this machine has" -c "[1023]"
"$B/tools/nvme_perf/sio_nvme_perf" --help | grep -q -- "--results-json FILE:"

echo "== sio_nvme_perf, 1 s of 4 KiB (-o 4k) random 70/30 read/write at QD 8, 2 qpairs per ns, digests on"
"$B/tools/nvme_perf/sio_nvme_perf" -r "$TRID" -c 0x2 -q 8 -o 4k -w randrw -M 70 -t 1 -P 2 -H -I -L \
	--results-json "$T/perf.json" >"$T/perf.txt"
cat "$T/perf.txt"
python3 -c "
import json
d = json.load(open('$T/perf.json'))
assert d['io_size'] == 4096, d['io_size']
t = d['total']
assert t['iops'] > 0 and t['io_errors'] == 0, t
# One row per namespace (its -P queue pairs summed, as spdk_nvme_perf), the whole NQN in its name.
assert [(n['nsid'], n['qpairs']) for n in d['namespaces']] == [(1, 2), (2, 2)], d['namespaces']
assert all('$NQN) NSID' in n['name'] for n in d['namespaces']), d['namespaces']
"
[[ $(grep -c "^TCP (127.0.0.1:$PORT $NQN) NSID [12] from core 1" "$T/perf.txt") == 2 ]]
echo "== the target stops answering (SIGSTOP): timeouts, abort, every command completed once; SIGCONT and reset"
"$HOST" --stall="$T/stall" "$TRID" &
SPID=$!
for _ in $(seq 300); do [[ -e $T/stall.ready ]] && break; sleep 0.1; done
kill -STOP "$PID"; touch "$T/stall.stopped"
for _ in $(seq 400); do [[ -e $T/stall.done ]] && break; kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
kill -CONT "$PID"; touch "$T/stall.resumed"
wait "$SPID"

echo "== sio_tgt stops cleanly"
kill "$PID"; wait "$PID"; PID=""
echo PASS
