#!/usr/bin/env bash
# Run the aarch64 context switch under qemu-user (test_switch_cross.c says
# what it checks). Cross-compiles the test with the library's own switch
# sources, unmodified, into OUTDIR and runs it under qemu-aarch64, three ways:
# the hand-written switch; the same with -mbranch-protection=standard (qemu's
# CPU has pointer authentication, so signed return addresses must survive the
# switch; BTI is not enforced: neither the .S files nor Debian 12's crt files
# carry the BTI property note); and forced onto the ucontext fallback.
#
#   switch_cross.sh SRCDIR OUTDIR
#
# Needs aarch64-linux-gnu-gcc with its C library and qemu-aarch64 (Debian:
# gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user, in scripts/deps.sh).
# Without them it skips (77), except under CI, where deps.sh installs them.
set -euo pipefail
src=$1 out=$2
cc=aarch64-linux-gnu-gcc
qemu=qemu-aarch64
sysroot=/usr/aarch64-linux-gnu

missing=()
command -v "$cc" >/dev/null || missing+=("$cc (gcc-aarch64-linux-gnu)")
[ -e "$sysroot/include/stdio.h" ] || missing+=("$sysroot/include (libc6-dev-arm64-cross)")
command -v "$qemu" >/dev/null || missing+=("$qemu (qemu-user)")
if [ ${#missing[@]} -gt 0 ]; then
	if [ -n "${CI:-}" ]; then
		echo "FAIL: missing ${missing[*]}; scripts/deps.sh should have installed them"
		exit 1
	fi
	echo "SKIP: missing ${missing[*]}"
	exit 77
fi

mkdir -p "$out/inc"
# switch.h and stack.c include the build's generated sio_config.h; the host
# build's may name host-only headers (valgrind) or -Dportable_switch, so the
# cross build gets one of its own that defines nothing: the default switch.
echo '/* tests/async/switch_cross.sh: nothing set, the hand-written switch */' \
	>"$out/inc/sio_config.h"

# The project's warning flags (root meson.build), -O2 as in a release build.
cflags=(-std=gnu11 -D_GNU_SOURCE -O2 -g -pthread -Wall -Wextra -Werror -Wshadow
	-Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
	-Wno-missing-field-initializers -fno-strict-aliasing
	-I"$out/inc" -I"$src/src")
sources=("$src/tests/async/test_switch_cross.c" "$src/src/async/switch_aarch64.S"
	"$src/src/async/switch_asm.c" "$src/src/async/switch_ucontext.c"
	"$src/src/async/stack.c")

ulimit -c 0
rc=0
for variant in asm asm_pac ucontext; do
	case $variant in
	asm) extra=() ;;
	asm_pac) extra=(-mbranch-protection=standard) ;;
	ucontext) extra=(-DSIO_ASYNC_FORCE_UCONTEXT) ;;
	esac
	exe="$out/test_switch_cross_$variant"
	echo "=== $variant: $cc ${extra[*]}"
	"$cc" "${cflags[@]}" "${extra[@]}" -o "$exe" "${sources[@]}"
	if ! "$qemu" -L "$sysroot" "$exe"; then
		echo "FAIL: $variant"
		rc=1
	fi
	[ "$variant" != ucontext ] || continue
	# "FPCR is written only when it differs": count, in qemu's trace of
	# executed blocks, the routine's entries and its msr fpcr (which starts
	# a block: it follows a conditional branch). Addresses: the routine's
	# as the program prints it, plus the msr's offset in it from objdump.
	log="$out/trace_$variant.log"
	line=$("$qemu" -L "$sysroot" -d exec,nochain -D "$log" "$exe" fpcr-trace) || true
	swap='' switches='' differing='' sym='' at=''
	read -r swap switches differing <<<"$(sed -E 's/swap=0x([0-9a-f]+) switches=([0-9]+) differing=([0-9]+)/\1 \2 \3/' <<<"$line")"
	read -r sym at <<<"$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$exe" | awk '
		/<async_ctx_swap_asm>:$/ { sym = $1; next }
		sym != "" && /msr[ \t]+fpcr/ { sub(":", "", $1); print sym, $1; exit }')"
	if [ -z "${differing:-}" ] || [ -z "${at:-}" ]; then
		echo "FAIL: $variant: FPCR trace: program printed '$line', msr in objdump '${at:-}'"
		rc=1
		continue
	fi
	msr=$(printf '%x' $((0x$swap + 0x$at - 0x$sym)))
	n_swap=$(grep -c "/0*$swap/" "$log" || true)
	n_msr=$(grep -c "/0*$msr/" "$log" || true)
	rm -f "$log"
	echo "trace: $n_swap switches (expected $switches), msr fpcr ran $n_msr times" \
		"(expected $differing: only where the two sides' FPCRs differed)"
	if [ "$n_swap" != "$switches" ] || [ "$n_msr" != "$differing" ]; then
		echo "FAIL: $variant: FPCR trace"
		rc=1
	fi
done
exit $rc
