# shellcheck shell=bash
# tests/vm/lib.sh - helpers for spdk-io tests that run inside a QEMU guest
# (a real Linux kernel: nvme-tcp, nvmet-tcp, vfio-pci behind an IOMMU).
# Read tests/vm/README.md first; tests/vm/template_sio_tgt.sh is a test to copy.
#
# A test script sources this file and calls vm_main once, near the top:
#
#     . "$(dirname "$0")/lib.sh"
#     vm_main --nvme 64 -- "$@"        # run-in-vm options, then the script's own arguments
#     vm_step "what this proves" some_command args...
#     vm_step "the next thing" some_shell_function args...
#
# On the host, vm_main checks the machine, boots ONE guest (each boot costs
# about 5 s under TCG) that runs this same script again as root, streams its
# output back and exits with its status; nothing after vm_main runs on the
# host.  In the guest, vm_main returns and the steps run there, in order,
# under "set -euo pipefail": the first failing command ends the test, and the
# report names the step, shows the tails of the daemon logs and of the guest's
# kernel log.  A test script may define vm_host_after() before calling
# vm_main: it then runs on the host after a passing guest, e.g. to decode a
# capture with the host's (much faster) tshark.
#
# Exit status, as meson reads it: 0 pass, 77 skip (only when this machine
# cannot run the guest at all, or a test calls vm_skip), anything else fail.
#
# Environment (meson sets the first two, see tests/vm/meson.build):
#   SIO_BUILD_ROOT   build directory; shared read-write with the guest, which
#                    runs our binaries from there (default: the current directory)
#   SIO_SOURCE_ROOT  source tree (default: two levels above this file); the
#                    guest sees it read-only through the host's root
#   VM_LOG_DIR       per-test output directory, read-write in the guest
#                    (default: $SIO_BUILD_ROOT/meson-logs/vm/<test name>)
#   VM_TIMEOUT       seconds the guest part may take (default 240; vm_main
#                    --timeout S overrides it); the guest is killed 60 s later
#   DEBUG=1          trace the guest part (set -x)

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_RUN_IN_VM=${VM_RUN_IN_VM:-$VM_LIB_DIR/run-in-vm}
VM_SCRIPT=$(readlink -f "$0")
VM_TEST_NAME=${VM_TEST_NAME:-$(basename "$0" .sh)}
: "${SIO_SOURCE_ROOT:=$(cd "$VM_LIB_DIR/../.." && pwd)}"
: "${SIO_BUILD_ROOT:=$PWD}"
: "${VM_LOG_DIR:=$SIO_BUILD_ROOT/meson-logs/vm/$VM_TEST_NAME}"
: "${VM_TIMEOUT:=240}"
# run-in-vm caches the kernel under $HOME/.cache: give it a home where there is none.
[[ -n ${HOME:-} || -n ${RUN_IN_VM_CACHE:-} ]] || export RUN_IN_VM_CACHE=/var/tmp/run-in-vm
export SIO_SOURCE_ROOT SIO_BUILD_ROOT VM_LOG_DIR VM_TEST_NAME

# Time in microseconds, with bash alone: each program started in the guest
# costs 0.1-0.2 s under TCG, so the helpers avoid them where they can.
_vm_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s' "$t"; }
# _vm_since T0_US: seconds since T0_US, one decimal.
_vm_since() { local d=$((($(_vm_us) - $1) / 100000)); printf '%d.%d' $((d / 10)) $((d % 10)); }
vm_log() { echo "vm: $*"; }
vm_skip() { echo "SKIP: $VM_TEST_NAME: $*"; exit 77; }
vm_fail() { echo "FAIL: $VM_TEST_NAME: $*" >&2; exit 1; }

# ===================================================================== host ==

# Skip (77) only for what makes QEMU impossible here; a missing package that
# scripts/deps.sh installs is a skip only when we could not install it
# ourselves (not root); a failed kernel download is a failure, not a skip.
_vm_host_check() {
	[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] \
		|| vm_skip "the guest needs an x86_64 Linux host (this is $(uname -s) $(uname -m))"
	{ command -v dpkg-deb && command -v apt-get; } >/dev/null \
		|| vm_skip "the guest kernel comes from Debian's linux-image-amd64: this host has no dpkg/apt"
	local missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' \
		|| missing+=(busybox-static)
	PATH=$PATH:/usr/sbin:/sbin command -v depmod >/dev/null || missing+=(kmod)
	command -v nvme >/dev/null || missing+=(nvme-cli)
	if [[ ${#missing[@]} -gt 0 && $(id -u) -ne 0 ]]; then
		vm_skip "missing ${missing[*]} (scripts/deps.sh installs them; run-in-vm does when root)"
	fi
}

# vm_require CMD...: on the host, before booting, fail (not skip) when a
# program the test needs is missing: scripts/deps.sh installs them all, and
# the guest sees the host's programs.  No-op in the guest.
vm_require() {
	[[ ${RIV_IN_VM:-0} == 1 ]] && return 0
	local c missing=()
	for c in "$@"; do PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null || missing+=("$c"); done
	[[ ${#missing[@]} -eq 0 ]] || vm_fail "missing ${missing[*]} (scripts/deps.sh installs it)"
}

vm_main() {
	if [[ ${RIV_IN_VM:-0} == 1 ]]; then
		_vm_guest_init
		return 0
	fi
	local opts=() t0 rc=0
	while [[ $# -gt 0 ]]; do
		case $1 in
		--timeout) VM_TIMEOUT=$2; shift 2 ;;
		--) shift; break ;;
		*) opts+=("$1"); shift ;;
		esac
	done
	_vm_host_check
	# The guest mounts fresh tmpfs on /tmp and /run, hiding a source tree
	# there (a CI clone in /tmp): share it explicitly then.
	case $SIO_SOURCE_ROOT/ in /tmp/* | /run/*) opts+=(--share "$SIO_SOURCE_ROOT") ;; esac
	rm -rf "$VM_LOG_DIR"
	mkdir -p "$VM_LOG_DIR"
	# First use installs packages and unpacks the kernel (serialised by
	# run-in-vm's own lock); a failure here is the machine's, say so plainly.
	if ! "$VM_RUN_IN_VM" --setup >"$VM_LOG_DIR/setup.log" 2>&1; then
		cat "$VM_LOG_DIR/setup.log" >&2
		vm_fail "run-in-vm --setup failed (it needs the Debian mirror for the kernel package)"
	fi
	local envs=(-e "SIO_BUILD_ROOT=$SIO_BUILD_ROOT" -e "SIO_SOURCE_ROOT=$SIO_SOURCE_ROOT"
		-e "VM_LOG_DIR=$VM_LOG_DIR" -e "VM_TEST_NAME=$VM_TEST_NAME" -e "VM_TIMEOUT=$VM_TIMEOUT")
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS DEBUG SIO_INTERRUPT_MODE; do
		if [[ -n ${!v:-} ]]; then envs+=(-e "$v=${!v}"); fi
	done
	local try
	for try in 1 2; do
		vm_log "$VM_TEST_NAME: booting the guest (logs in $VM_LOG_DIR)"
		t0=$(_vm_us)
		rc=0
		# The current directory is what run-in-vm shares read-write: the build root.
		(cd "$SIO_BUILD_ROOT" && exec "$VM_RUN_IN_VM" --mem 1024 --timeout $((VM_TIMEOUT + 60)) \
			--console-log "$VM_LOG_DIR/console.log" "${envs[@]}" "${opts[@]}" \
			-- bash "$VM_SCRIPT" "$@") || rc=$?
		vm_log "$VM_TEST_NAME: guest finished with status $rc after $(_vm_since "$t0") s (boot included)"
		# A guest that never reached the test (a kernel that did not boot on
		# a starved host) is retried once, visibly; any failure after the
		# test started counts.
		[[ $rc -eq 125 && ! -e $VM_LOG_DIR/guest-started && $try -eq 1 ]] || break
		mv "$VM_LOG_DIR/console.log" "$VM_LOG_DIR/console-boot-failed.log" 2>/dev/null || true
		vm_log "$VM_TEST_NAME: the guest did not boot (console above); one more try"
	done
	case $rc in
	0)
		if declare -F vm_host_after >/dev/null; then
			vm_log "$VM_TEST_NAME: host part"
			set -euo pipefail
			vm_host_after "$@"
		fi
		exit 0 ;;
	77) exit 77 ;;
	124) echo "FAIL: $VM_TEST_NAME: the guest was killed after $((VM_TIMEOUT + 60)) s;" \
		"guest kernel log: $VM_LOG_DIR/console.log" >&2 ;;
	125) echo "FAIL: $VM_TEST_NAME: the guest did not report a status (boot failure or" \
		"run-in-vm error); guest kernel log: $VM_LOG_DIR/console.log" >&2 ;;
	esac
	if [[ -e $VM_LOG_DIR/TIMEOUT ]]; then echo "FAIL: $VM_TEST_NAME: $(cat "$VM_LOG_DIR/TIMEOUT")" >&2; fi
	exit "$rc"
}

# ==================================================================== guest ==

VM_STEP="(start)"
VM_NSTEPS=0
declare -A VM_DAEMON_PIDS=()
VM_TMP=/tmp/vm

_vm_guest_init() {
	set -euo pipefail
	[[ ${DEBUG:-0} == 1 ]] && set -x
	VM_T0=$(_vm_us)
	mkdir -p "$VM_TMP" "$VM_LOG_DIR"
	: >"$VM_LOG_DIR/guest-started"
	# libpcap (dumpcap, tshark) probes Bluetooth and netfilter sockets, and
	# the kernel then autoloads bluetooth (with its crypto) and nfnetlink:
	# measured 19.7 s for the first "dumpcap -D" at load 18, 2.6 s without.
	# No test needs either; an explicit modprobe still loads them.
	[[ -d /etc/modprobe.d ]] || mkdir /etc/modprobe.d
	printf '%s\n' 'alias net-pf-31 off' 'alias net-pf-16-proto-12 off' 'install bluetooth /bin/false' \
		>/etc/modprobe.d/sio-vm-tests.conf
	echo "(start)" >"$VM_TMP/step"
	trap '_vm_guest_exit $?' EXIT
	# Watchdog: a hang (a kernel call that never returns, a daemon that never
	# answers) ends here with a report instead of QEMU being shot from outside.
	( _vm_watchdog ) &
	VM_WATCHDOG=$!
	vm_log "guest up: kernel $(uname -r), $(nproc) CPU(s), $VM_TIMEOUT s budget"
}

# vm_step DESCRIPTION COMMAND [ARGS...]: run one step (a program or a shell
# function, in this shell so that it may set variables) and log its time.
vm_step() {
	local desc=$1 t0
	shift
	VM_STEP=$desc
	VM_NSTEPS=$((VM_NSTEPS + 1))
	if [[ ${RIV_IN_VM:-0} == 1 ]]; then echo "$desc" >"$VM_TMP/step"; fi
	echo "== $desc"
	t0=$(_vm_us)
	"$@"
	echo "   ok ($(_vm_since "$t0") s)"
}

_vm_guest_exit() {
	local rc=$1 name
	set +e
	trap - EXIT
	[[ -n ${VM_WATCHDOG:-} ]] && kill "$VM_WATCHDOG" 2>/dev/null
	for name in "${!VM_DAEMON_PIDS[@]}"; do
		kill -TERM "${VM_DAEMON_PIDS[$name]}" 2>/dev/null
	done
	if [[ $rc -eq 0 ]]; then
		vm_log "PASS: $VM_NSTEPS step(s) in $(_vm_since "$VM_T0") s"
	elif [[ -e $VM_LOG_DIR/TIMEOUT ]]; then
		echo "FAIL: $VM_TEST_NAME: step '$VM_STEP' killed by the watchdog (status $rc)" >&2
	elif [[ $rc -ne 77 ]]; then
		echo "FAIL: $VM_TEST_NAME: step '$VM_STEP' (exit status $rc)" >&2
		_vm_diagnose >&2
	fi
	exit "$rc"
}

# Tails of every daemon log and of the kernel log: what a failed step leaves.
_vm_diagnose() {
	local f
	for f in "$VM_LOG_DIR"/*.log; do
		[[ -s $f && $f != */console.log && $f != */setup.log ]] || continue
		echo "---- tail of $f"
		tail -n 25 "$f"
	done
	echo "---- guest kernel log (last 30 lines)"
	dmesg | tail -n 30
}

_vm_watchdog() {
	trap - EXIT
	sleep "$VM_TIMEOUT"
	local step
	read -r step <"$VM_TMP/step"
	echo "timed out after $VM_TIMEOUT s in step '$step'" >"$VM_LOG_DIR/TIMEOUT"
	echo "FAIL: $VM_TEST_NAME: timed out after $VM_TIMEOUT s in step '$step'" >&2
	_vm_diagnose >&2
	# Kill whatever the step is waiting for: the main shell then fails the
	# step normally; if it does not end within 5 s, kill it as well.
	local p
	for p in $(_vm_descendants $$); do [[ $p == "$BASHPID" ]] || kill -TERM "$p" 2>/dev/null; done
	sleep 5
	for p in $(_vm_descendants $$); do [[ $p == "$BASHPID" ]] || kill -KILL "$p" 2>/dev/null; done
	kill -KILL $$ 2>/dev/null
}

# Every descendant process of PID (children first found through /proc).
_vm_descendants() {
	local -A kids=()
	local d stat ppid
	for d in /proc/[0-9]*; do
		read -r stat <"$d/stat" 2>/dev/null || continue
		stat=${stat##*) }
		read -r _ ppid _ <<<"$stat"
		kids[$ppid]+=" ${d#/proc/}"
	done
	local queue=("$1") p
	while [[ ${#queue[@]} -gt 0 ]]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for d in ${kids[$p]:-}; do echo "$d"; queue+=("$d"); done
	done
}

# ---------------------------------------------------------------- waiting --

# vm_wait_for DESCRIPTION SECONDS COMMAND [ARGS...]: poll COMMAND every 0.1 s
# until it succeeds; fail the step after SECONDS.
vm_wait_for() {
	local desc=$1 secs=$2 t0
	shift 2
	t0=$(_vm_us)
	until "$@"; do
		if (($(_vm_us) - t0 > secs * 1000000)); then
			echo "vm: gave up waiting for $desc after $secs s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# True when something listens on TCP PORT (any address, IPv4 or IPv6).
vm_tcp_listening() {
	local want f laddr st
	want=$(printf ':%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		# "sl local_address rem_address st ...": state 0A is LISTEN.
		while read -r _ laddr _ st _; do
			[[ $st == 0A && $laddr == *"$want" ]] && return 0
		done <"$f"
	done
	return 1
}

# vm_wait_listen PORT [DAEMON] [SECONDS]: wait until TCP PORT listens; with
# DAEMON (a vm_daemon name), fail at once if that daemon has exited.
vm_wait_listen() {
	local port=$1 name=${2:-} secs=${3:-30}
	_vm_listen_or_dead() {
		vm_tcp_listening "$port" && return 0
		if [[ -n $name ]] && ! kill -0 "${VM_DAEMON_PIDS[$name]}" 2>/dev/null; then
			echo "vm: daemon '$name' exited before listening on port $port" >&2
			exit 1
		fi
		return 1
	}
	vm_wait_for "TCP port $port to listen" "$secs" _vm_listen_or_dead
}

# ---------------------------------------------------------------- daemons --

# vm_daemon NAME COMMAND [ARGS...]: start a long-running program (one of our
# targets, a capture...) in the background; stdout and stderr go to
# $VM_LOG_DIR/NAME.log (kept on the host, shown on failure).
vm_daemon() {
	local name=$1
	shift
	[[ -z ${VM_DAEMON_PIDS[$name]:-} ]] || { echo "vm: daemon '$name' already started" >&2; return 1; }
	"$@" </dev/null >"$VM_LOG_DIR/$name.log" 2>&1 &
	VM_DAEMON_PIDS[$name]=$!
	echo "   $name: pid $!, log $VM_LOG_DIR/$name.log"
}

# vm_daemon_stop NAME [SIGNAL] [SECONDS]: signal the daemon (default TERM),
# wait for it (default 20 s; then KILL and fail) and fail unless it exited
# with status 0 (a sanitizer report after shutdown fails here, as it should).
vm_daemon_stop() {
	local name=$1 sig=${2:-TERM} secs=${3:-20} pid rc=0
	pid=${VM_DAEMON_PIDS[$name]:?no daemon $1}
	kill "-$sig" "$pid" 2>/dev/null || true
	if ! vm_wait_for "$name to exit" "$secs" _vm_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		unset "VM_DAEMON_PIDS[$name]"
		echo "vm: $name did not exit within $secs s of SIG$sig" >&2
		return 1
	fi
	wait "$pid" || rc=$?
	unset "VM_DAEMON_PIDS[$name]"
	if [[ $rc -ne 0 ]]; then
		echo "vm: $name exited with status $rc after SIG$sig" >&2
		return 1
	fi
	echo "   $name exited with status 0"
}
_vm_gone() { ! kill -0 "$1" 2>/dev/null || [[ $(_vm_proc_state "$1") == Z ]]; }
_vm_proc_state() { local s; read -r s <"/proc/$1/stat" 2>/dev/null || return 0; s=${s##*) }; echo "${s%% *}"; }

# ------------------------------------------------------------------- RPC --

# vm_python ARGS...: Debian's python3 without site-packages (-S): 0.2 s to
# start in the guest instead of 1.6 s (and 10 s through a pyenv shim).
vm_python() {
	if [[ -x /usr/bin/python3 ]]; then /usr/bin/python3 -S "$@"; else python3 "$@"; fi
}

# vm_rpc SOCKET METHOD [PARAMS...]: one JSON-RPC call to one of our apps
# through tools/sio_rpc.py (same arguments), result JSON on stdout.
vm_rpc() {
	local sock=$1
	shift
	vm_python "$SIO_SOURCE_ROOT/tools/sio_rpc.py" -s "$sock" "$@"
}

# -------------------------------------------------------------- capturing --

# vm_capture_start NAME [BPF FILTER]: capture the guest's loopback with
# dumpcap (classic pcap format); vm_capture_stop copies it to
# $VM_LOG_DIR/NAME.pcap.  Decode it in vm_host_after with the host's tshark
# (vm_pcap_nvme_tcp): tshark itself takes ~9 s to start under TCG.
vm_capture_start() {
	local name=$1 filter=${2:-} file=$VM_TMP/$1.pcap
	rm -f "$file"
	# Into the guest's tmpfs with a 32 MiB buffer: written straight to the
	# 9p share, dumpcap fell behind and the kernel dropped packets.
	vm_daemon "capture-$name" dumpcap -q -P -B 32 -i lo -w "$file" ${filter:+-f "$filter"}
	# dumpcap writes the file header once the interface is open: traffic
	# from then on is captured.  Measured: the first dumpcap of a guest
	# took 1-10 s to get there (44 s at load 20) while the kernel autoloaded
	# modules for libpcap's probes; see _vm_guest_init.
	_vm_capturing() {
		[[ -s $file ]] && return 0
		kill -0 "${VM_DAEMON_PIDS[capture-$name]}" 2>/dev/null || { cat "$VM_LOG_DIR/capture-$name.log" >&2; exit 1; }
		return 1
	}
	vm_wait_for "dumpcap to start" 120 _vm_capturing
}

# vm_pcap_nvme_tcp FILE [PDU TYPE...]: on the host (vm_host_after), judge an
# NVMe/TCP capture with tshark's dissector: print the count of each PDU type,
# fail if a packet is malformed or carries an error-severity expert note, or
# if a listed PDU type (0 ICReq, 1 ICResp, 4 CapsuleCmd, 5 CapsuleResp,
# 6 H2CData, 7 C2HData, 9 R2T) is absent.  Assumes the dissector's port 4420.
vm_pcap_nvme_tcp() {
	local file=$1 counts bad t
	shift
	[[ -s $file ]] || vm_fail "no capture $file"
	counts=$(tshark -r "$file" -Y nvme-tcp -T fields -e nvme-tcp.type 2>/dev/null \
		| tr ',' '\n' | sort -n | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
	echo "   NVMe/TCP PDU type:count in ${file##*/}: ${counts:-none}"
	bad=$(tshark -r "$file" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null)
	[[ -z $bad ]] || { echo "$bad" | head -n 20 >&2; vm_fail "tshark flags packets in $file"; }
	for t in "$@"; do
		[[ " $counts" == *" $t:"* ]] || vm_fail "no NVMe/TCP PDU of type $t in $file"
	done
}

# vm_pcap_c2h_success FILE MIN MAX: on the host, count the C2HData PDUs of an
# NVMe/TCP capture and those with the SUCCESS flag (the read completed without
# a CapsuleResp, only where the host disabled SQ flow control); fail unless
# the SUCCESS count is within [MIN, MAX] ("" for no bound; "all": every C2HData).
vm_pcap_c2h_success() {
	local file=$1 min=$2 max=$3 c2h succ
	read -r c2h succ < <(tshark -r "$file" -Y 'nvme-tcp.type == 7' -T fields -e nvme-tcp.type \
		-e nvme-tcp.flags.pdu.data_success 2>/dev/null | awk -F'\t' '
		{ n = split($1, t, ","); for (i = 1; i <= n; i++) if (t[i] == 7) c++
		  m = split($2, f, ","); for (i = 1; i <= m; i++) if (f[i] == "1" || f[i] == "True") s++ }
		END { print c + 0, s + 0 }')
	echo "   ${file##*/}: $c2h C2HData PDUs, $succ with SUCCESS (no CapsuleResp after them)"
	[[ $max == all ]] && max=$c2h
	[[ -z $min || $succ -ge $min ]] || vm_fail "${file##*/}: $succ C2HData SUCCESS, expected >= $min"
	[[ -z $max || $succ -le $max ]] || vm_fail "${file##*/}: $succ C2HData SUCCESS, expected <= $max"
}

# vm_capture_stop NAME: stop the capture, copy it to $VM_LOG_DIR/NAME.pcap,
# print its packet counts; fail if the kernel dropped any.
vm_capture_stop() {
	vm_daemon_stop "capture-$1" INT
	cp "$VM_TMP/$1.pcap" "$VM_LOG_DIR/$1.pcap"
	grep -h 'Packets' "$VM_LOG_DIR/capture-$1.log" | sed 's/^/   /'
	# Packets the kernel dropped would make the decode lie: none allowed.
	grep -q "dropped on interface 'Loopback: lo': [0-9]*/0 " "$VM_LOG_DIR/capture-$1.log" \
		|| { echo "vm: the capture dropped packets" >&2; return 1; }
}

# -------------------------------------------------- the kernel NVMe target --
# nvmet + nvmet-tcp configured through configfs: an independent NVMe/TCP
# target to test our host against.

KNVMET_CFG=/sys/kernel/config/nvmet

# knvmet_subsys NQN: a subsystem that accepts any host.
knvmet_subsys() {
	modprobe nvmet
	mkdir "$KNVMET_CFG/subsystems/$1"
	echo 1 >"$KNVMET_CFG/subsystems/$1/attr_allow_any_host"
}

# knvmet_ns NQN NSID PATH: a namespace backed by a block device or a file
# (files use buffered I/O: /tmp is tmpfs, which has no O_DIRECT).
knvmet_ns() {
	local d=$KNVMET_CFG/subsystems/$1/namespaces/$2
	mkdir "$d"
	echo -n "$3" >"$d/device_path"
	[[ -b $3 ]] || echo 1 >"$d/buffered_io"
	echo 1 >"$d/enable"
}

# knvmet_port PORTID TRSVCID [TRADDR]: a TCP port (default 127.0.0.1).
knvmet_port() {
	modprobe nvmet-tcp
	local d=$KNVMET_CFG/ports/$1
	mkdir "$d"
	echo tcp >"$d/addr_trtype"
	echo ipv4 >"$d/addr_adrfam"
	echo "${3:-127.0.0.1}" >"$d/addr_traddr"
	echo "$2" >"$d/addr_trsvcid"
}

# knvmet_expose NQN PORTID: make the subsystem reachable through the port.
knvmet_expose() { ln -s "$KNVMET_CFG/subsystems/$1" "$KNVMET_CFG/ports/$2/subsystems/$1"; }

# knvmet_start NQN TRSVCID PATH...: subsystem with one namespace per PATH
# (nsid 1, 2, ...) on port 1 at 127.0.0.1:TRSVCID; waits until it listens.
knvmet_start() {
	local nqn=$1 svc=$2 nsid=0 p
	shift 2
	knvmet_subsys "$nqn"
	for p in "$@"; do nsid=$((nsid + 1)); knvmet_ns "$nqn" "$nsid" "$p"; done
	knvmet_port 1 "$svc"
	knvmet_expose "$nqn" 1
	vm_wait_listen "$svc" "" 10
}

# knvmet_stop: remove every port, subsystem and namespace.
knvmet_stop() {
	local p s n
	for p in "$KNVMET_CFG"/ports/*/; do
		[[ -d $p ]] || continue
		for s in "$p"subsystems/*; do [[ -L $s ]] && rm "$s"; done
		rmdir "$p"
	done
	for s in "$KNVMET_CFG"/subsystems/*/; do
		[[ -d $s ]] || continue
		for n in "$s"namespaces/*/; do
			[[ -d $n ]] || continue
			echo 0 >"$n/enable"
			rmdir "$n"
		done
		rmdir "$s"
	done
}

# ---------------------------------------------------- the kernel NVMe host --
# nvme-tcp driven by nvme-cli: an independent NVMe/TCP host to test our
# target against.

KNVME_CTRL=""

# knvme_connect NQN TRSVCID [TRADDR] [nvme-cli options...]: connect and set
# KNVME_CTRL to the new controller's name (nvme0, nvme1...).
knvme_connect() {
	local nqn=$1 svc=$2 addr=${3:-127.0.0.1} c
	shift $(($# < 3 ? $# : 3))
	modprobe nvme-tcp
	nvme connect -t tcp -a "$addr" -s "$svc" -n "$nqn" "$@"
	KNVME_CTRL=""
	for c in /sys/class/nvme/nvme*; do
		[[ $(<"$c/transport") == tcp && $(<"$c/subsysnqn") == "$nqn" ]] || continue
		[[ $(<"$c/address") == *"trsvcid=$svc"* ]] && KNVME_CTRL=${c##*/}
	done
	[[ -n $KNVME_CTRL ]] || { echo "vm: no nvme-tcp controller for $nqn after connect" >&2; return 1; }
	echo "   controller $KNVME_CTRL: $(<"/sys/class/nvme/$KNVME_CTRL/address")"
}

# knvme_ns_dev NSID [CTRL]: print /dev/nvmeXnY for namespace NSID of CTRL
# (default KNVME_CTRL), waiting up to 10 s for it to appear.  Handles both
# native multipath (the block device hangs off nvme-subsysN) and plain.
knvme_ns_dev() {
	local nsid=$1 ctrl=${2:-$KNVME_CTRL} dev=""
	_knvme_find() {
		local b owner
		for b in /sys/block/nvme*n*; do
			[[ ${b##*/} == *c* || ! -e $b/nsid ]] && continue
			[[ $(<"$b/nsid") == "$nsid" ]] || continue
			owner=$(readlink -f "$b/device")
			if [[ ${owner##*/} == "$ctrl" || -e $owner/$ctrl ]]; then
				dev=/dev/${b##*/}
				[[ -b $dev ]] && return 0
			fi
		done
		return 1
	}
	vm_wait_for "namespace $nsid of $ctrl" 10 _knvme_find >&2
	echo "$dev"
}

# knvme_discover TRSVCID [TRADDR]: print the discovery log page.
knvme_discover() {
	modprobe nvme-tcp         # also loads nvme-fabrics, which discovery needs
	nvme discover -t tcp -a "${2:-127.0.0.1}" -s "$1"
}

# knvme_disconnect NQN: disconnect every controller of NQN.
knvme_disconnect() { nvme disconnect -n "$1"; }

# ------------------------------------------------------------------- data --

# vm_data_check DEV [MiB] [OFFSET_MiB]: write MiB of random data to block
# device DEV with O_DIRECT, read it back with O_DIRECT, compare.  Leaves the
# pattern in $VM_TMP/pattern for further checks (e.g. on the backing file).
vm_data_check() {
	local dev=$1 mib=${2:-4} off=${3:-0}
	dd if=/dev/urandom of="$VM_TMP/pattern" bs=1M count="$mib" status=none
	dd if="$VM_TMP/pattern" of="$dev" bs=1M seek="$off" count="$mib" oflag=direct conv=fsync status=none
	dd if="$dev" bs=1M skip="$off" count="$mib" iflag=direct status=none | cmp - "$VM_TMP/pattern"
	echo "   $mib MiB written to $dev at $off MiB and read back identical"
}

# ------------------------------------------------------------------- PCIe --

# vm_pci_nvme_list: one line per NVMe-class PCI function (class 0x0108xx):
# address, vendor:device, driver, IOMMU group.
vm_pci_nvme_list() {
	local d cls drv grp
	for d in /sys/bus/pci/devices/*; do
		cls=$(<"$d/class")
		[[ $cls == 0x0108* ]] || continue
		drv=none grp=none
		[[ -e $d/driver ]] && drv=$(basename "$(readlink "$d/driver")")
		[[ -e $d/iommu_group ]] && grp=$(basename "$(readlink "$d/iommu_group")")
		echo "${d##*/} [$(<"$d/vendor"):$(<"$d/device")] class $cls driver=$drv iommu_group=$grp"
	done
}
