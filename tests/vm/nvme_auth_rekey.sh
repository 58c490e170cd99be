#!/usr/bin/env bash
# DH-HMAC-CHAP key rotation on live controllers, judged by the Linux kernel
# (6.12, `--kernel backports`), both ways, in one guest:
#  - our host (tests/nvmf/auth_host) against the kernel's nvmet: connected with
#    keys A/A' (bidirectional, ffdhe2048); the host's keys in configfs changed
#    to B/B' (dhchap_key, dhchap_ctrl_key) while connected; our host then
#    re-authenticates its admin queue (sio_nvme_ctrlr_set_dhchap_keys) and its
#    I/O queue with writes in flight (sio_nvme_qpair_authenticate): accepted,
#    data read back equal. nvmet's own debug messages (dynamic debug of
#    fabrics-cmd-auth.c) show the negotiation restarted on qid 0 and on the I/O
#    queue; key A is refused afterwards; a wrong new key is refused;
#  - the kernel host against our sio_tgt: connected with key A
#    (nvme connect --dhchap-secret), the target's key for the host changed to B
#    (nvmf_subsystem_set_keys), then B written to the kernel controller's
#    dhchap_secret in sysfs: the kernel re-authenticates the admin queue and
#    every I/O queue on their live connections; sio_tgt logs each qid
#    re-authenticated, the queues are the same (no reconnection) and data still
#    goes through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/auth_lib.sh"
auth_vm_main "$@"

NQN=nqn.2016-06.io.spdk-io:rekey
KNQN=nqn.2016-06.io.linux:rekey
HNQN=nqn.2014-08.org.nvmexpress:uuid:0d0d0d0d-1111-4222-8333-444444444444
KCFG=$KNVMET_CFG

keys() {
	mkdir -m 700 "$K"
	nvme gen-dhchap-key -m 1 -l 32 -n "$HNQN" >"$K/A"
	nvme gen-dhchap-key -m 2 -l 48 -n "$HNQN" >"$K/Ac"
	nvme gen-dhchap-key -m 3 -l 64 -n "$HNQN" >"$K/B"
	nvme gen-dhchap-key -m 1 -l 32 -n "$HNQN" >"$K/Bc"
	nvme gen-dhchap-key -m 1 -l 32 -n "$HNQN" >"$K/bad"
	chmod 600 "$K"/*
}
vm_step "nvme gen-dhchap-key: keys A, A', B, B' and a wrong one" keys

start_knvmet() {
	auth_knvmet_start A Ac "hmac(sha256)"
	# nvmet's pr_debug lines of the authentication commands, to see which
	# queue restarts a negotiation, and of its hashing (the T_ID of each
	# transaction)
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	echo 'file fabrics-cmd-auth.c +p' >/sys/kernel/debug/dynamic_debug/control
	echo 'file drivers/nvme/target/auth.c +p' >/sys/kernel/debug/dynamic_debug/control
}
vm_step "kernel target: host with keys A/A' (hmac(sha256), ffdhe2048), nvmet auth debug on" start_knvmet

KTRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$KPORT subnqn:$KNQN hostnqn:$HNQN"
rotate_on_knvmet() {
	local rc=0
	rm -f "$VM_TMP/go"
	mkfifo "$VM_TMP/go"
	"$HOST" "$KTRID" --key="$K/A" --ctrlr-key="$K/Ac" --rekey="$K/B" --rekey-ctrlr="$K/Bc" \
		--wait <"$VM_TMP/go" >"$VM_TMP/h.out" 2>&1 &
	local hpid=$!
	exec 7>"$VM_TMP/go"
	vm_wait_for "our host connected" 120 grep -q '^# waiting' "$VM_TMP/h.out"
	echo "rekey: keys rotated" >/dev/kmsg
	cat "$K/B" >"$KCFG/hosts/$HNQN/dhchap_key"
	cat "$K/Bc" >"$KCFG/hosts/$HNQN/dhchap_ctrl_key"
	echo "   configfs: the host's dhchap_key and dhchap_ctrl_key are now B, B'"
	echo go >&7
	exec 7>&-
	wait "$hpid" || rc=$?
	cat "$VM_TMP/h.out"
	[[ $rc -eq 0 ]] || { echo "auth_host exited $rc" >&2; return 1; }
	grep -q 'authentications: 2' "$VM_TMP/h.out"
}
vm_step "our host: keys rotated on nvmet while connected; admin and I/O queue re-authenticate, data verified" \
	rotate_on_knvmet
knvmet_log() {
	dmesg | sed -n '/rekey: keys rotated/,$p' >"$VM_TMP/dmesg.out"
	grep -E 'qid [0-9]+ reset negotiation' "$VM_TMP/dmesg.out" | sed 's/^/   /'
	grep -q 'qid 0 reset negotiation' "$VM_TMP/dmesg.out"
	grep -q 'qid 1 reset negotiation' "$VM_TMP/dmesg.out"
}
vm_step "nvmet's log: the negotiation restarted on qid 0 and on I/O queue 1" knvmet_log
knvmet_tids() {
	# Every transaction of our host's controller, the first and the
	# re-authentication of each queue, carries a T_ID of its own.
	dmesg | grep -oE 'ctrl [0-9]+ qid [0-9]+ host response seq [0-9]+ transaction [0-9]+' |
		awk '{print $2, $4, $NF}' >"$VM_TMP/tids"
	sed 's/^/   ctrl, qid, T_ID: /' "$VM_TMP/tids"
	[[ $(awk '$2 == 0' "$VM_TMP/tids" | wc -l) -ge 2 ]] || { echo "no re-authentication of qid 0 seen" >&2; return 1; }
	[[ -z $(awk '{print $1, $3}' "$VM_TMP/tids" | sort | uniq -d) ]] ||
		{ echo "a T_ID used twice on one controller" >&2; return 1; }
}
vm_step "nvmet's log: each transaction (qid 0 and 1, first and re-authentication) has its own T_ID" knvmet_tids
ours_refused() { auth_host_refused "$KTRID" "$@"; }
vm_step "our host: key A is refused now" ours_refused --key="$K/A"
vm_step "our host: re-authentication with a wrong key is refused" \
	ours_refused --key="$K/B" --ctrlr-key="$K/Bc" --rekey="$K/bad"
vm_step "kernel target: stop" auth_knvmet_stop

start_target() { auth_tgt_start SIOREKEY1 '"dhchap_key": "A"' A B; }
vm_step "our target: the host with dhchap_key A" start_target

qpairs() { vm_rpc "$SOCK" nvmf_subsystem_get_qpairs nqn="$NQN" | tr -d ' \n' | grep -o '"cntlid":[0-9]*,"qid":[0-9]*' | sort; }
kconnect() {
	knvme_connect "$NQN" "$PORT" 127.0.0.1 --hostnqn="$HNQN" --nr-io-queues=2 \
		--dhchap-secret="$(<"$K/A")"
	vm_data_check "$(knvme_ns_dev 1)" 1
	qpairs >"$VM_TMP/q1"
	sed 's/^/   /' "$VM_TMP/q1"
}
vm_step "kernel host: connected with key A, 1 MiB verified" kconnect
reauths() { grep -c "host $HNQN re-authenticated to $NQN on qid" "$VM_LOG_DIR/sio_tgt.log" || true; }
rotate_on_sio_tgt() {
	local want
	want=$(wc -l <"$VM_TMP/q1")
	vm_rpc "$SOCK" nvmf_subsystem_set_keys nqn="$NQN" host="$HNQN" dhchap_key=B >/dev/null
	cat "$K/B" >"/sys/class/nvme/$KNVME_CTRL/dhchap_secret"
	echo "   sio_tgt's key for the host and the kernel controller's dhchap_secret are now B"
	_enough() { (($(reauths) >= want)); }
	vm_wait_for "$want re-authentications in sio_tgt's log" 120 _enough
	grep "re-authenticated to $NQN" "$VM_LOG_DIR/sio_tgt.log" | sed 's/^.*nvmf: /   /'
	qpairs >"$VM_TMP/q2"
	cmp "$VM_TMP/q1" "$VM_TMP/q2" || { echo "the queues changed (reconnected?)" >&2; return 1; }
	echo "   the same $want queues (cntlid, qid) before and after: no reconnection"
	vm_data_check "$(knvme_ns_dev 1)" 1 1
}
vm_step "kernel host re-authenticates every queue with key B on sio_tgt; data verified" \
	rotate_on_sio_tgt
kdisc() { knvme_disconnect "$NQN"; }
vm_step "kernel host: disconnect" kdisc
vm_step "our target stops cleanly" vm_daemon_stop sio_tgt TERM
