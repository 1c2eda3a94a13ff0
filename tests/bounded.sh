# SPDX-License-Identifier: Apache-2.0
# Sourced by tests/run.sh (and tests/netns/harness-term.sh, which tests it).

# bounded SECS CMD...: run CMD for at most SECS seconds; then SIGTERM it
# every 2 s until it exits (a test cleans up on TERM, lib.sh), and SIGKILL
# it TEST_KILL_AFTER (30) s after the first.  Returns CMD's status, 124
# when it exited after a TERM, 137 after the KILL.  TERM is sent again
# because bash 5.2.15 can lose a trap: one that runs while bash parses a
# "$(...)" fails with "unexpected EOF while looking for matching `)'" and
# the script goes on (half of all tries in a loop of command
# substitutions), so timeout(1)'s single TERM left such a test running
# until its KILL, its cleanup never run.  CMD is a program, not a
# shell function.
bounded() {
	local secs=$1 pid t=0 rc
	shift
	# A command bash starts in the background has SIGINT and SIGQUIT
	# ignored, and a test (a bash script) cannot trap a signal ignored at
	# its start: reset them (timeout(1) did, by catching them).
	env --default-signal=INT,QUIT "$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && [ $t -lt "$secs" ]; do
		sleep 1
		t=$((t + 1))
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		return
	fi
	for ((t = 0; t < ${TEST_KILL_AFTER:-30}; t += 2)); do
		kill -TERM "$pid" 2>/dev/null || break
		sleep 2
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		return 137
	fi
	wait "$pid"
	rc=$?
	return $((rc == 0 ? 0 : 124))
}
