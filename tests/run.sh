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

# run_tap NAME CMD...: run one TAP producer, echo its lines, count them.
run_tap() {
	local name=$1; shift
	local log="$log_dir/$(echo "$name" | tr '/ ' '__').log"
	local rc p=0 f=0 s=0 planned=0
	echo "# --- $name"
	"$@" >"$log" 2>&1
	rc=$?
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
for t in tests/netns/*.sh; do
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	case "$(basename "$t")" in lib.sh | lib-*.sh) continue ;; esac
	run_tap "netns/$(basename "$t" .sh)" timeout 600 bash "$t"
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
