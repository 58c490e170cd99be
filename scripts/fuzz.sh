#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer harnesses (clang, ASan+UBSan) and run every target.
#   scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     (default 60 s, all targets)
# Build directory: $FUZZ_BUILD (default build-fuzz). New corpus entries go to
# $FUZZ_BUILD/fuzz-corpus/<target>/ (the seeds in fuzz/corpus/ are only read);
# crashers, leaks and timeouts to $FUZZ_BUILD/fuzz-artifacts/<target>/.
# Exit status 1 if any target found something. docs/fuzzing.md.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"rpc_server config rpc_params cpuset args nvme_tcp_pdu"}
build=${FUZZ_BUILD:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false
fi
for t in $targets; do
	ninja -C "$build" "fuzz/fuzz_$t" >/dev/null
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for t in $targets; do
	work="$build/fuzz-corpus/$t"
	art="$build/fuzz-artifacts/$t"
	mkdir -p "$work" "$art"
	log="$build/fuzz-$t.log"
	extra=
	# The argument parser prints usage on every refusal; libFuzzer keeps its own stderr.
	[ "$t" = args ] && extra=-close_fd_mask=2
	echo "== $t: ${secs}s"
	if ! "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$art/" $extra \
		"$work" "fuzz/corpus/$t" >"$log" 2>&1; then
		echo "   FOUND SOMETHING: see $log and $art/"
		status=1
	fi
	grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added" "$log" |
		sed 's/^/   /'
	grep -E "cov: [0-9]+" "$log" | tail -1 | sed 's/^/   /'
done
exit $status
