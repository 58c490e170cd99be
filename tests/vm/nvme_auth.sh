#!/usr/bin/env bash
# DH-HMAC-CHAP judged by the Linux kernel (6.12, `--kernel backports`: Debian
# 12's own 6.1 has NVMe in-band authentication compiled out), in one guest:
#  - the kernel host (`nvme connect --dhchap-secret [--dhchap-ctrl-secret]`)
#    against our sio_tgt, with keys made by `nvme gen-dhchap-key`: uni- and
#    bidirectional accepted (data written, read back, compared), a wrong host
#    secret and a wrong controller secret refused;
#  - our host (tests/nvmf/auth_host) against the kernel's nvmet with
#    dhchap_key / dhchap_ctrl_key / dhchap_hash / dhchap_dhgroup set through
#    configfs: accepted (data verified) and refused with a wrong key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/auth_lib.sh"
auth_vm_main "$@"

NQN=nqn.2016-06.io.spdk-io:auth
KNQN=nqn.2016-06.io.linux:auth
HNQN=nqn.2014-08.org.nvmexpress:uuid:0c0c0c0c-1111-4222-8333-444444444444

keys() {
	mkdir -m 700 "$K"
	# nvme-cli's keys: SHA-256-transformed host secret, SHA-384 controller secret, a wrong one
	nvme gen-dhchap-key -m 1 -l 32 -n "$HNQN" >"$K/host"
	nvme gen-dhchap-key -m 2 -l 48 -n "$NQN" >"$K/ctrl"
	nvme gen-dhchap-key -m 1 -l 32 -n "$HNQN" >"$K/bad"
	chmod 600 "$K"/*
	echo "   $(head -c 16 "$K/host")... $(head -c 16 "$K/ctrl")..."
}
vm_step "nvme gen-dhchap-key: host, controller and a wrong secret" keys

start_target() { auth_tgt_start SIOAUTH1 '"dhchap_key": "host", "dhchap_ctrlr_key": "ctrl"' host ctrl; }
vm_step "our target: a host with dhchap_key and dhchap_ctrlr_key (keyring)" start_target

kconnect() { knvme_connect "$NQN" "$PORT" 127.0.0.1 --hostnqn="$HNQN" "$@"; }
uni() {
	kconnect --dhchap-secret="$(<"$K/host")"
	vm_data_check "$(knvme_ns_dev 1)" 1
	knvme_disconnect "$NQN"
}
vm_step "kernel host: --dhchap-secret accepted, 1 MiB verified" uni
bidi() {
	kconnect --dhchap-secret="$(<"$K/host")" --dhchap-ctrl-secret="$(<"$K/ctrl")"
	vm_data_check "$(knvme_ns_dev 1)" 1 2
	knvme_disconnect "$NQN"
}
vm_step "kernel host: --dhchap-secret + --dhchap-ctrl-secret (bidirectional) accepted, verified" bidi
refused() {
	local rc=0
	modprobe nvme-tcp
	nvme connect -t tcp -a 127.0.0.1 -s "$PORT" -n "$NQN" --hostnqn="$HNQN" "$@" \
		>"$VM_TMP/out" 2>&1 || rc=$?
	cat "$VM_TMP/out"
	if [[ $rc -eq 0 ]]; then
		echo "connect succeeded with a wrong secret" >&2
		nvme disconnect -n "$NQN"
		return 1
	fi
}
vm_step "kernel host: a wrong host secret is refused" refused --dhchap-secret="$(<"$K/bad")"
vm_step "kernel host: a wrong controller secret is refused" \
	refused --dhchap-secret="$(<"$K/host")" --dhchap-ctrl-secret="$(<"$K/bad")"
tgt_log() { grep -E "authenticated|DH-HMAC-CHAP|rejected" "$VM_LOG_DIR/sio_tgt.log"; }
vm_step "our target's log: two hosts authenticated, one failure each way" tgt_log
vm_step "our target stops cleanly" vm_daemon_stop sio_tgt TERM

start_knvmet() { auth_knvmet_start host ctrl "hmac(sha384)"; }
vm_step "kernel target: host with dhchap_key/dhchap_ctrl_key, hmac(sha384), ffdhe2048" start_knvmet

KTRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$KPORT subnqn:$KNQN hostnqn:$HNQN"
vm_step "our host: unidirectional, data verified" "$HOST" "$KTRID" --key="$K/host"
vm_step "our host: bidirectional, data verified" "$HOST" "$KTRID" --key="$K/host" --ctrlr-key="$K/ctrl"
ours_refused() { auth_host_refused "$KTRID" "$@"; }
vm_step "our host: a wrong key is refused" ours_refused --key="$K/bad"
vm_step "our host: a wrong controller key is refused" ours_refused --key="$K/host" --ctrlr-key="$K/bad"
vm_step "kernel target: stop" auth_knvmet_stop
