#!/usr/bin/env bash
# Run the aarch64 context switch under qemu-user (test_switch_cross.c says
# what it checks). Cross-compiles the test with the library's own switch
# sources, unmodified, into OUTDIR and runs it under qemu-aarch64, five ways:
# - asm: the hand-written switch;
# - asm_pac: the same with -mbranch-protection=standard, linked as usual
#   (qemu's CPU has pointer authentication, so the routine's signed resume
#   addresses and the C code's must survive the switch); checks that the
#   switch object carries the BTI and PAC property note. The program itself
#   ends up without it: Debian 12's start files (Scrt1.o, crti.o, crtbegin.o)
#   carry no note, and the linker ANDs the notes of all inputs;
# - asm_bti, and asm_bti_only with -mbranch-protection=bti (no PAC, so the
#   routine's landing pad is "bti c" rather than paciasp): the same objects
#   linked as a BTI program (-z force-bti, leaving out the start files that
#   would be entered by indirect branches without landing pads:
#   test_switch_cross.c, "Branch protection"), checked with readelf and run
#   with BTI enforced (qemu-user maps a BTI-marked program's pages guarded;
#   the program checks that a call to code without a landing pad dies by
#   SIGILL). ld warns of each input without the note; one other than
#   Scrt1.o would be an object of ours;
# - ucontext: forced onto the ucontext fallback.
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
# "max": pointer authentication and BTI (qemu-user guards the pages of a
# BTI-marked program only when the CPU has BTI)
qemu_cpu=(-cpu max)
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
# The program property note as readelf prints it ("" when there is none).
features() {
	aarch64-linux-gnu-readelf -n "$1" | sed -n 's/.*AArch64 feature: *//p'
}

for variant in asm asm_pac asm_bti asm_bti_only ucontext; do
	args=()
	case $variant in
	asm) extra=() ;;
	asm_pac) extra=(-mbranch-protection=standard) ;;
	asm_bti | asm_bti_only)
		# _only: BTI without PAC, where the routine's pad is "bti c"
		bp=standard
		[ $variant = asm_bti ] || bp=bti
		extra=(-mbranch-protection=$bp -nostartfiles
			"$("$cc" -print-file-name=Scrt1.o)" -Wl,-e,sio_test_bti_start
			-Wl,-z,force-bti)
		args=(bti-enforced)
		;;
	ucontext) extra=(-DSIO_ASYNC_FORCE_UCONTEXT) ;;
	esac
	exe="$out/test_switch_cross_$variant"
	echo "=== $variant: $cc ${extra[*]}"
	"$cc" "${cflags[@]}" "${extra[@]}" -o "$exe" "${sources[@]}" 2>"$out/ld_$variant.log" ||
		{ cat "$out/ld_$variant.log"; exit 1; }
	# asm_bti*: ld's expected force-bti warnings, summed up below
	[ "${variant#asm_bti}" != "$variant" ] || cat "$out/ld_$variant.log"
	case $variant in
	asm_pac)
		"$cc" "${cflags[@]}" "${extra[@]}" -c -o "$out/switch_aarch64.o" \
			"$src/src/async/switch_aarch64.S"
		obj=$(features "$out/switch_aarch64.o")
		echo "switch_aarch64.o property note: '$obj'; the program's: '$(features "$exe")'" \
			"(Scrt1.o's: '$(features "$("$cc" -print-file-name=Scrt1.o)")')"
		if [ "$obj" != "BTI, PAC" ]; then
			echo "FAIL: $variant: switch_aarch64.o should carry BTI and PAC"
			rc=1
		fi
		;;
	asm_bti | asm_bti_only)
		prog=$(features "$exe")
		warned=$(sed -n 's/^.*\/\([^/]*\): warning: BTI turned on by -z force-bti.*/\1/p' \
			"$out/ld_$variant.log" | tr '\n' ' ')
		others=${warned//Scrt1.o /}
		echo "program property note: '$prog'; inputs ld found without a BTI note: $warned"
		if [ "${prog#BTI}" = "$prog" ] || [ -n "$others" ]; then
			echo "FAIL: $variant: program not BTI-marked, or inputs of ours without" \
				"the note: ${others:-none}"
			rc=1
		fi
		;;
	esac
	if ! "$qemu" "${qemu_cpu[@]}" -L "$sysroot" "$exe" "${args[@]}"; then
		echo "FAIL: $variant"
		rc=1
	fi
	[ "$variant" != ucontext ] || continue
	# "FPCR is written only when it differs": count, in qemu's trace of
	# executed blocks, the routine's entries and its msr fpcr (which starts
	# a block: it follows a conditional branch). Addresses: the routine's
	# as the program prints it, plus the msr's offset in it from objdump.
	log="$out/trace_$variant.log"
	line=$("$qemu" "${qemu_cpu[@]}" -L "$sysroot" -d exec,nochain -D "$log" "$exe" fpcr-trace) || true
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
