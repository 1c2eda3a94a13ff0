#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test runner: unit tests (plain, then ASan+UBSan), the build's own
# checks (tests/build), then the integration tests in throwaway nodes,
# the fault suite's short form, and the fuzz targets (in the background).
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

. tests/bounded.sh

only=${1:-}
# The fuzz targets (tests/fuzz, libFuzzer with ASan+UBSan), FUZZ_TIME
# seconds each (default 60; FUZZ_TIME=0 skips them), FUZZ_JOBS at a time
# (default 1), in the background from the start (building them with clang
# first) while the tests below run, the integration tests mostly waiting on
# their pods: most of those tests' time is sleeps and grace periods, so the
# fuzzers add little wall time.  Each starts from the committed corpus
# (every input in it is run first: a crash once minimized there is a
# regression test) and writes new inputs to build/fuzz/corpus-X; a crash
# is a failed test naming the input that makes it (build/fuzz/crash-X/).
# A slow input is no failure (how slow depends on the machine and on what
# runs beside it; the parsers bound their work, e.g. jsonpath's value and
# output budgets): libFuzzer's slow-unit report is set above the timeout,
# and only an input that runs past -timeout (a hang) fails.
fuzz_targets=()
fuzz_time=${FUZZ_TIME:-60}
if [ "$fuzz_time" != 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		[ -n "$only" ] && [[ "$f" != *"$only"* ]] && continue
		fuzz_targets+=("$(basename "$f" .c)")
	done
fi
# fuzz_one NAME: one target's run, as TAP in its log.
fuzz_one() {
	local n=$1 c=${1#fuzz_} d=() rc runs crash
	[ -f "tests/fuzz/$c.dict" ] && d=(-dict="tests/fuzz/$c.dict")
	rm -rf "build/fuzz/crash-$c"
	mkdir -p "build/fuzz/corpus-$c" "build/fuzz/crash-$c"
	"build/fuzz/$n" -max_total_time="$fuzz_time" -timeout=120 -report_slow_units=1000 \
		-print_final_stats=1 \
		-artifact_prefix="build/fuzz/crash-$c/" "${d[@]}" \
		"build/fuzz/corpus-$c" "tests/fuzz/corpus/$c" >"build/fuzz/$n.out" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build/fuzz/$n.out")
	crash=$(ls -d "build/fuzz/crash-$c"/* 2>/dev/null | head -1)
	if [ $rc -eq 0 ] && [ -z "$crash" ]; then
		echo "ok 1 - $n: ${runs:-?} runs in $fuzz_time s, no crash, leak or UB"
	else
		echo "not ok 1 - $n: exit $rc, input ${crash:-(none written)}"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "build/fuzz/$n.out" | head -5 | sed 's/^/# /'
		echo "# log: build/fuzz/$n.out; replay: build/fuzz/$n ${crash:-INPUT}"
	fi
	echo "1..1"
}
fuzz_all() {
	local n
	if ! command -v clang >/dev/null; then
		for n in "${fuzz_targets[@]}"; do
			printf 'ok 1 # SKIP clang is not installed (scripts/install-deps.sh)\n1..1\n' \
				>"$(log_of "fuzz/$n")"
			echo 0 >"$(log_of "fuzz/$n").rc"
		done
		return
	fi
	if ! make --no-print-directory fuzz >"$(log_of fuzz/build)" 2>&1; then
		for n in "${fuzz_targets[@]}"; do
			printf 'not ok 1 - %s: make fuzz failed (%s)\n1..1\n' "$n" "$(log_of fuzz/build)" \
				>"$(log_of "fuzz/$n")"
			echo 1 >"$(log_of "fuzz/$n").rc"
		done
		return
	fi
	for n in "${fuzz_targets[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-1}" ]; do
			wait -n
		done
		(
			fuzz_one "$n" >"$(log_of "fuzz/$n")" 2>&1
			echo $? >"$(log_of "fuzz/$n").rc"
		) &
	done
	wait
}
fuzz_pid=
if [ ${#fuzz_targets[@]} -gt 0 ]; then
	fuzz_all &
	fuzz_pid=$!
fi

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
names=() netns_pids=()
for t in tests/netns/*.sh; do
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	case "$(basename "$t")" in lib.sh | lib-*.sh) continue ;; esac
	name="netns/$(basename "$t" .sh)"
	names+=("$name")
	while [ "$(jobs -rp | grep -vcx "${fuzz_pid:-none}")" -ge "$jobs" ]; do
		wait -n
	done
	(
		bounded "${TEST_TIMEOUT:-600}" bash "$t" >"$(log_of "$name")" 2>&1
		echo $? >"$(log_of "$name").rc"
	) &
	netns_pids+=($!)
done
[ ${#netns_pids[@]} -eq 0 ] || wait "${netns_pids[@]}"
for name in "${names[@]}"; do
	rc=$(cat "$(log_of "$name").rc" 2>/dev/null || echo 1)
	rm -f "$(log_of "$name").rc"
	# bounded: 124 after its TERM (the test cleaned up, lib.sh), 137
	# after the KILL TEST_KILL_AFTER seconds later.
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "not ok timed out after ${TEST_TIMEOUT:-600} s" >>"$(log_of "$name")"
	fi
	count_tap "$name" "$rc"
done
# The fault-injection suite in its short form (make faults: FAULT_FULL=1).
for t in tests/faults/*.sh; do
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	case "$(basename "$t")" in lib.sh) continue ;; esac
	run_tap "faults/$(basename "$t" .sh)" bounded "${FAULT_TIMEOUT:-900}" bash "$t"
done

# The fuzzers' results (they may still run: the faults above are short).
if [ -n "$fuzz_pid" ]; then
	wait "$fuzz_pid"
	for n in "${fuzz_targets[@]}"; do
		rc=$(cat "$(log_of "fuzz/$n").rc" 2>/dev/null || echo 1)
		rm -f "$(log_of "fuzz/$n").rc"
		count_tap "fuzz/$n" "$rc"
	done
fi

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
