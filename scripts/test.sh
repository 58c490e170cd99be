#!/usr/bin/env bash
# Build and run the whole test suite: once plain, once under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the concurrency suite under ThreadSanitizer.
# Ends with one line "N passed, N failed" (skips are listed, not counted as passes).
#
#   scripts/test.sh            all three runs
#   scripts/test.sh plain      only the plain run   (also: asan, tsan)
set -uo pipefail
cd "$(dirname "$0")/.."

runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(plain asan tsan)
jobs=$(nproc)

passed=0 failed=0 skipped=0
failures=()

count_results() { # $1 = build dir, $2 = label
	local log="$1/meson-logs/testlog.json"
	[ -f "$log" ] || { failed=$((failed + 1)); failures+=("$2: no test log"); return; }
	local out
	out=$(python3 - "$log" "$2" <<'PY'
import json, sys
p = f = s = 0
names = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    res = r.get("result")
    if res in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif res == "SKIP":
        s += 1
    else:
        f += 1
        names.append(sys.argv[2] + ":" + r.get("name", "?"))
print(p, f, s)
for n in names:
    print(n)
PY
)
	local first
	first=$(echo "$out" | head -n1)
	set -- $first
	passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
	while read -r n; do [ -n "$n" ] && failures+=("$n"); done < <(echo "$out" | tail -n +2)
}

run_build() { # $1 = label, $2 = build dir, rest = meson setup args ; TEST_ARGS = extra meson test args
	local label=$1 dir=$2; shift 2
	echo "=== $label: configure + build ($dir)"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || { failed=$((failed + 1)); failures+=("$label: meson setup"); return; }
	fi
	if ! ninja -C "$dir" >"$dir.buildlog" 2>&1; then
		tail -n 60 "$dir.buildlog"
		failed=$((failed + 1)); failures+=("$label: build")
		return
	fi
	echo "=== $label: test"
	meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" ${TEST_ARGS:-} || true
	count_results "$dir" "$label"
}

# The 'vm' suite's share of a run (QEMU guests under TCG, the slowest tests:
# tests/vm/README.md), printed so CI logs show it against the time budget.
vm_time() { # $1 = build dir
	python3 - "$1/meson-logs/testlog.json" <<'PY' 2>/dev/null || true
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
vm = [r for r in rs if 'vm' in r['name'].split(' / ')[0].split(':')[-1].split('+')]
if vm:
    top = max(vm, key=lambda r: r['duration'])
    print('=== vm suite: %d tests, %.0f s of test time, longest %s %.0f s'
          % (len(vm), sum(r['duration'] for r in vm), top['name'].split(' / ')[-1], top['duration']))
PY
}

for r in "${runs[@]}"; do
	case "$r" in
	plain) run_build plain build-test; vm_time build-test ;;
	# The 'vm' suite (QEMU guests, tests/vm/README.md) runs in the plain build only.
	asan) TEST_ARGS="--no-suite vm" run_build asan build-asan -Db_sanitize=address,undefined -Db_lundef=false ;;
	tsan) TEST_ARGS="--suite tsan" run_build tsan build-tsan -Db_sanitize=thread -Db_lundef=false ;;
	*) echo "unknown run '$r' (plain, asan, tsan)"; exit 2 ;;
	esac
done

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
[ "$skipped" -eq 0 ] || echo "($skipped skipped: see the logs for the reason each gave)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
