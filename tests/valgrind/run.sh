#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make valgrind: the unit tests, then the seed demo once through podnet
# (seed.sh) and once through podnetd and kubectl (api.sh), under
# valgrind's memcheck, from the -g -O1 build without sanitizers in
# build/vg (the Makefile builds it).  Every process writes its own log
# (build/vg/logs/*/NAME.PID); the run fails if any log reports an error or
# a definitely or indirectly lost block.  tests/valgrind.supp holds the
# suppressions, each with its reason.
#
# Usage: tests/valgrind/run.sh [unit|seed|api|all]   (default all)
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
VG_BUILD=${VG_BUILD:-build/vg}
LOGS=$ROOT/$VG_BUILD/logs
what=${1:-all}

if ! command -v valgrind >/dev/null; then
	echo "valgrind: not installed (scripts/install-deps.sh)" >&2
	exit 1
fi
# Reachable blocks at exit are not leaks (libraries' one-time caches,
# what a forked child inherits); definite and indirect ones are, and
# count as errors.  fds are not tracked: what a child inherits is
# tests/unit/test_child.c's check.
VG_OPTS="--tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no
	--num-callers=30 --suppressions=$ROOT/tests/valgrind.supp"
export VG_OPTS

rm -rf "$LOGS"
mkdir -p "$LOGS"
start=$(date +%s)
notes=()

if [ "$what" = all ] || [ "$what" = unit ]; then
	mkdir -p "$LOGS/unit"
	for t in "$VG_BUILD"/tests/test_*; do
		[ -x "$t" ] && [[ "$t" != *.d ]] || continue
		n=$(basename "$t")
		s=$(date +%s)
		# shellcheck disable=SC2086
		valgrind $VG_OPTS --log-file="$LOGS/unit/$n.%p" "$t" >"$LOGS/unit/$n.tap" 2>&1
		rc=$?
		nf=$(grep -c '^not ok' "$LOGS/unit/$n.tap")
		printf '  %-18s exit %-3s %3ss  %s TAP failures\n' "$n" "$rc" "$(($(date +%s) - s))" "$nf"
		# TAP failures are make check's business; under valgrind some
		# are its emulation's (docs/reliability.md, "Valgrind").
		[ "$nf" = 0 ] || notes+=("$n: $nf TAP failures under valgrind ($LOGS/unit/$n.tap)")
	done
fi

# The demo runs, each in a throwaway node: the seed through podnet, then
# through podnetd and kubectl.
for demo in seed api; do
	[ "$what" = all ] || [ "$what" = $demo ] || continue
	mkdir -p "$LOGS/$demo"
	s=$(date +%s)
	VG_LOG_DIR=$LOGS/$demo PODNET_VG_BUILD=$ROOT/$VG_BUILD bash tests/valgrind/$demo.sh \
		>"$LOGS/$demo.tap" 2>&1
	rc=$?
	sed 's/^/    /' "$LOGS/$demo.tap" | grep -v '^    ok ' | tail -n 30
	printf '  %-18s exit %-3s %3ss  %s ok, %s not ok\n' $demo "$rc" "$(($(date +%s) - s))" \
		"$(grep -c '^ok ' "$LOGS/$demo.tap")" "$(grep -c '^not ok' "$LOGS/$demo.tap")"
	[ "$rc" = 0 ] || { notes+=("$demo demo failed (exit $rc): $LOGS/$demo.tap"); demo_rc=$rc; }
done

# A log is bad if valgrind reported an error in it: its summary counts
# one, or (a forked child that exec'd writes no summary) an error's
# first line is there.
bad=()
total=0
for f in "$LOGS"/*/*.[0-9]*; do
	[ -f "$f" ] || continue
	total=$((total + 1))
	if grep -qE '== ERROR SUMMARY: [1-9]|== (Invalid (read|write|free)|Syscall param|Conditional jump|Use of uninitialised|Mismatched free|Source and destination overlap|Argument .* of function .* has a fishy)|blocks are (definitely|indirectly) lost' "$f"; then
		bad+=("$f")
	fi
done
for f in "${bad[@]}"; do
	echo "# --- $f"
	grep -E '^==[0-9]+== ' "$f" | head -n 60 | sed 's/^/#   /'
done
for n in "${notes[@]}"; do echo "# note: $n"; done
echo "valgrind: $total process logs, ${#bad[@]} with errors or leaks, $(($(date +%s) - start)) s"
[ ${#bad[@]} -eq 0 ] && [ "${demo_rc:-0}" = 0 ]
