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

TGT=$SIO_BUILD_ROOT/tools/sio_tgt/sio_tgt
HOST=$SIO_BUILD_ROOT/tests/nvmf/auth_host
[[ -x $TGT ]] || vm_skip "$TGT is not built"
[[ -x $HOST ]] || vm_skip "$HOST is not built"
vm_require nvme

# TCG with DH groups is slow: 250 s seen with the 2-core machine loaded by other builds.
vm_main --kernel backports --timeout 420 -- "$@"

NQN=nqn.2016-06.io.spdk-io:auth
KNQN=nqn.2016-06.io.linux:auth
HNQN=nqn.2014-08.org.nvmexpress:uuid:0c0c0c0c-1111-4222-8333-444444444444
PORT=4420
KPORT=4421
SOCK=$VM_TMP/tgt.sock
K=$VM_TMP/keys

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

start_target() {
	# One JSON config (no RPC round trips in this slow guest). nvmf_set_config:
	# the DH groups a TCG guest can afford (ffdhe8192 takes seconds per side).
	cat >"$VM_TMP/tgt.json" <<-EOF
	{"subsystems": [
	 {"subsystem": "keyring", "config": [
	  {"method": "keyring_file_add_key", "params": {"name": "host", "path": "$K/host"}},
	  {"method": "keyring_file_add_key", "params": {"name": "ctrl", "path": "$K/ctrl"}}]},
	 {"subsystem": "bdev", "config": [
	  {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 8192, "block_size": 512}}]},
	 {"subsystem": "nvmf", "config": [
	  {"method": "nvmf_set_config", "params": {"dhchap_dhgroups": ["null", "ffdhe2048"]}},
	  {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
	  {"method": "nvmf_create_subsystem", "params": {"nqn": "$NQN", "allow_any_host": false, "serial_number": "SIOAUTH1"}},
	  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$NQN", "namespace": {"bdev_name": "Malloc0"}}},
	  {"method": "nvmf_subsystem_add_host", "params": {"nqn": "$NQN", "host": "$HNQN", "dhchap_key": "host", "dhchap_ctrlr_key": "ctrl"}},
	  {"method": "nvmf_subsystem_add_listener", "params": {"nqn": "$NQN", "listen_address":
	   {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "$PORT"}}}]}]}
	EOF
	vm_daemon sio_tgt "$TGT" -m 0x1 -r "$SOCK" -c "$VM_TMP/tgt.json"
	vm_wait_listen "$PORT" sio_tgt 60
}
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

start_knvmet() {
	local cfg=/sys/kernel/config/nvmet
	truncate -s 16M "$VM_TMP/kns.img"
	knvmet_subsys "$KNQN"
	echo 0 >"$cfg/subsystems/$KNQN/attr_allow_any_host"
	knvmet_ns "$KNQN" 1 "$VM_TMP/kns.img"
	mkdir "$cfg/hosts/$HNQN"
	cat "$K/host" >"$cfg/hosts/$HNQN/dhchap_key"
	cat "$K/ctrl" >"$cfg/hosts/$HNQN/dhchap_ctrl_key"
	echo "hmac(sha384)" >"$cfg/hosts/$HNQN/dhchap_hash"
	echo ffdhe2048 >"$cfg/hosts/$HNQN/dhchap_dhgroup"
	ln -s "$cfg/hosts/$HNQN" "$cfg/subsystems/$KNQN/allowed_hosts/$HNQN"
	knvmet_port 2 "$KPORT"
	knvmet_expose "$KNQN" 2
	vm_wait_listen "$KPORT" "" 10
}
vm_step "kernel target: host with dhchap_key/dhchap_ctrl_key, hmac(sha384), ffdhe2048" start_knvmet

KTRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$KPORT subnqn:$KNQN hostnqn:$HNQN"
vm_step "our host: unidirectional, data verified" "$HOST" "$KTRID" --key="$K/host"
vm_step "our host: bidirectional, data verified" "$HOST" "$KTRID" --key="$K/host" --ctrlr-key="$K/ctrl"
ours_refused() {
	local rc=0
	"$HOST" "$KTRID" "$@" || rc=$?
	[[ $rc -eq 3 ]] || { echo "auth_host exited $rc, expected 3 (refused)" >&2; return 1; }
}
vm_step "our host: a wrong key is refused" ours_refused --key="$K/bad"
vm_step "our host: a wrong controller key is refused" ours_refused --key="$K/host" --ctrlr-key="$K/bad"
kstop() {
	local cfg=/sys/kernel/config/nvmet
	rm "$cfg/subsystems/$KNQN/allowed_hosts/$HNQN"
	knvmet_stop
	rmdir "$cfg/hosts/$HNQN"
}
vm_step "kernel target: stop" kstop
