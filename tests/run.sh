#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test runner: unit tests (plain, then ASan+UBSan), the build's own
# checks (tests/build), then the integration tests in throwaway nodes.
# Every test speaks TAP; each "ok"/"not ok" line counts.  The last line is "N passed, N failed"; the exit status is non-zero
# on any failure, or when a test binary or script dies without a plan.
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
failures=()
log_dir=build/test-logs
mkdir -p "$log_dir"

log_of() { echo "$log_dir/$(echo "$1" | tr '/ ' '__').log"; }

# run_tap NAME CMD...: run one TAP producer, echo its lines, count them.
run_tap() {
	local name=$1; shift
	local log
	log=$(log_of "$name")
	"$@" >"$log" 2>&1
	count_tap "$name" $?
}

# count_tap NAME RC: echo and count the TAP lines of NAME's log.
count_tap() {
	local name=$1 rc=$2
	local log p=0 f=0 s=0 planned=0
	log=$(log_of "$name")
	echo "# --- $name"
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*|"ok "*"# skip"*) s=$((s + 1)); echo "$line" ;;
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)); failures+=("$name: ${line#not ok }"); echo "$line" ;;
		"1.."*) planned=1 ;;
		"#"*) [ "${TEST_VERBOSE:-0}" = 1 ] && echo "$line" ;;
		esac
	done <"$log"
	if [ $f -gt 0 ] || [ "${TEST_VERBOSE:-0}" = 1 ]; then
		grep -v '^ok ' "$log" | tail -n 40 | sed 's/^/    /'
	fi
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		f=1
		failures+=("$name: exited with status $rc")
		tail -n 20 "$log" | sed 's/^/    /'
	elif [ $planned -eq 0 ] && [ $rc -eq 0 ]; then
		f=$((f + 1))
		failures+=("$name: no TAP plan (died early?)")
	fi
	echo "#     $p passed, $f failed, $s skipped"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

only=${1:-}
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	run_tap "unit/$(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_tap "asan/$(basename "$t")" "$t"
done
for t in tests/build/*.sh; do
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	run_tap "build/$(basename "$t" .sh)" bash "$t"
done
# The integration tests, TEST_JOBS at a time (default 2): each builds its
# own throwaway node, and most of their time is spent waiting on pods, so
# two at once use the machine without slowing each other much.  Each
# writes its log and exit status; they are counted in order at the end.
jobs=${TEST_JOBS:-2}
names=()
for t in tests/netns/*.sh; do
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	case "$(basename "$t")" in lib.sh | lib-*.sh) continue ;; esac
	name="netns/$(basename "$t" .sh)"
	names+=("$name")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	(
		timeout 600 bash "$t" >"$(log_of "$name")" 2>&1
		echo $? >"$(log_of "$name").rc"
	) &
done
wait
for name in "${names[@]}"; do
	rc=$(cat "$(log_of "$name").rc" 2>/dev/null || echo 1)
	rm -f "$(log_of "$name").rc"
	count_tap "$name" "$rc"
done
# The fault-injection suite in its short form (make faults: FAULT_FULL=1).
for t in tests/faults/*.sh; do
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	case "$(basename "$t")" in lib.sh) continue ;; esac
	run_tap "faults/$(basename "$t" .sh)" timeout "${FAULT_TIMEOUT:-900}" bash "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
