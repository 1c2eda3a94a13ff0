# SPDX-License-Identifier: Apache-2.0
# The fault-injection suite's helpers, on top of tests/netns/lib.sh (a
# throwaway node per test: private mount and network namespaces, tmpfs over
# /run and /var/lib).
#
#   fault_node        the node's podnet settings, $MARK, the oracle's state
#   pod_yaml NAME N   a pod of N containers that sleep $MARK (ours to count)
#   node_leaks        after `podnet gc`: one "leak: ..." line per object
#                     that belongs to no pod, or pod that is not whole
#                     (tests/faults/nodecheck.py)
#   node_reset        after a trial that leaked: force-remove every pod and
#                     all it holds (nodecheck.py --reset), so the next
#                     trial starts on an empty node
#   kill_at MS CMD..  run CMD, SIGKILL it MS ms later (by PID); $KILLED
#   tally CMD T F L   one line of the table: trials, faults, leaks
#
# Full runs (make faults) set FAULT_FULL=1: >= 100 trials per command; the
# short form in `make check` runs >= 10.

. "$(dirname "${BASH_SOURCE[0]}")/../netns/lib.sh"

FAULT_FULL=${FAULT_FULL:-0}
# Debian's python3 (scripts/install-deps.sh), not a version manager's shim
# that forks a dozen processes per start.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# trials N_SHORT N_FULL: how many trials this run makes.
trials() { if [ "$FAULT_FULL" = 1 ]; then echo "$2"; else echo "$1"; fi; }

fault_node() {
	export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
	export P=$BIN/podnet
	# Containers sleep for $MARK seconds: the throwaway node shares the
	# machine's PID namespace, so only this test's processes are counted.
	export MARK=$((800000 + $$ % 100000))
	# What nodecheck.py remembers: uids seen, the pods' cgroup parents.
	export FAULT_STATE=$T/fault-state
	mkdir -p "$FAULT_STATE"
	on_cleanup "fault_teardown"
}

# Whatever a failed test leaves: pods deleted, then anything of ours that
# still runs killed by PID (a shim or container is this test's when it
# sleeps $MARK or runs for a uid this test saw), cgroups removed.
fault_teardown() {
	local p uid parent names
	names=$(db "select name from pods" | paste -sd' ')
	[ -z "$names" ] || $P delete pod $names >/dev/null 2>&1
	$P gc >/dev/null 2>&1
	for p in $(our_pids); do kill -9 "$p" 2>/dev/null; done
	for uid in $(cat "$FAULT_STATE/seen" 2>/dev/null); do
		while read -r parent; do
			[ -d "$parent/pod$uid" ] && find "$parent/pod$uid" -depth -type d -exec rmdir {} + 2>/dev/null
		done <"$FAULT_STATE/cgparents"
	done
}

# pod_yaml NAME NCTRS [GRACE]: a pod whose containers sleep $MARK (grace
# default 0: sleep as PID 1 ignores SIGTERM, a grace period is only waited out).
pod_yaml() {
	local i
	printf 'apiVersion: v1\nkind: Pod\nmetadata: { name: %s }\nspec:\n' "$1"
	printf '  terminationGracePeriodSeconds: %s\n  containers:\n' "${3:-0}"
	for ((i = 1; i <= $2; i++)); do
		printf '  - { name: c%d, image: host, command: [sleep, "%d"] }\n' "$i" "$MARK"
	done
}

db() { sqlite3 -readonly "$PODNET_ROOT/state.db" "$@" 2>/dev/null; }

# Record the uids and cgroup parents the node shows now (a gc may remove
# a pod before its leftovers are looked for): what nodecheck.py --note
# does, in the shell (one sqlite3, no python start: it runs after every
# kill).  Parents are the dirname of each of shim.json's "cgroups".
note_uids() {
	local d uid j list p old=() oldp=()
	local -A seen=() parents=()
	[ -e "$FAULT_STATE/seen" ] && mapfile -t old <"$FAULT_STATE/seen"
	[ -e "$FAULT_STATE/cgparents" ] && mapfile -t oldp <"$FAULT_STATE/cgparents"
	for uid in "${old[@]}" $(db "select uid from pods"); do
		[ -n "$uid" ] && seen[$uid]=1
	done
	for p in "${oldp[@]}"; do [ -n "$p" ] && parents[$p]=1; done
	for d in "$PODNET_ROOT"/pods/*/; do
		[ -d "$d" ] || continue
		uid=${d%/}
		seen[${uid##*/}]=1
		j=
		read -r -d '' j <"$d/shim.json" 2>/dev/null
		[[ $j =~ \"cgroups\":\ *\[([^]]*)\] ]] || continue
		list=${BASH_REMATCH[1]}
		while [[ $list =~ \"([^\"]*)\" ]]; do
			p=${BASH_REMATCH[1]}
			parents[${p%/*}]=1
			list=${list#*\"$p\"}
		done
	done
	[ ${#seen[@]} -eq 0 ] || printf '%s\n' "${!seen[@]}" >"$FAULT_STATE/seen"
	[ ${#parents[@]} -eq 0 ] || printf '%s\n' "${!parents[@]}" >"$FAULT_STATE/cgparents"
}

# PIDs of this test's shims and containers.
our_pids() {
	local uids
	uids=$(paste -sd'|' "$FAULT_STATE/seen" 2>/dev/null)
	ps -eo pid=,args= | awk -v mark="sleep $MARK" -v uids="${uids:-^$}" '
		{ pid = $1; sub(/^ *[0-9]+ /, "") }
		$0 == mark { print pid; next }
		/podnet-shim/ && match($0, /--pod-uid [0-9a-f-]+/) {
			u = substr($0, RSTART + 10, RLENGTH - 10)
			if (u ~ "^(" uids ")$") print pid
		}'
}

# node_leaks: what the node holds beyond its pods' needs, one "leak: ..."
# line each (tests/faults/nodecheck.py); pods must be whole.
node_leaks() { "$PY" "$ROOT/tests/faults/nodecheck.py"; }

# node_reset: what the runtime root holds (to tell what leaked), then every
# pod and all it holds removed by the node's own means, not podnet's
# (tests/faults/nodecheck.py --reset), and the network's rules synced by
# `podnet gc` on the empty store.  Prints "# ..." lines, and "# reset
# left: ..." ones if the node is still not clean.
node_reset() {
	local l
	echo "# runtime root: $(ls -A "$PODNET_ROOT/runtime" 2>/dev/null |
		awk '{ print substr($0, 1, 12) (length($0) > 64 ? "*" substr($0, 65) : "") }' | paste -sd' ')"
	"$PY" "$ROOT/tests/faults/nodecheck.py" --reset
	$P gc >/dev/null 2>&1
	l=$(node_leaks)
	[ -z "$l" ] || echo "$l" | head -5 | sed 's/^/# reset left: /'
}

# nap SECONDS: sleep without a fork (a read that times out on a pipe that
# never has data), so a kill lands within a millisecond of its instant.
nap() {
	[ -n "${_NAP_FD:-}" ] || exec {_NAP_FD}<> <(:)
	read -rt "$1" -u "$_NAP_FD"
	return 0
}

# exited PID: PID has exited (gone, or a zombie not yet reaped: a killed
# shim's parent is the machine's init), read from /proc without a fork.
exited() {
	local st
	[ -r "/proc/$1/stat" ] || return 0
	read -r st <"/proc/$1/stat" 2>/dev/null || return 0
	st=${st##*) }
	[ "${st:0:1}" = Z ]
}

# kill_at MS CMD...: start CMD (stdin: $KILL_IN, else /dev/null), SIGKILL
# it (by its PID only) MS ms later.  $KILLED is 1 when it was still running
# then, $RC its exit status.
kill_at() {
	local ms=$1 pid
	shift
	"$@" <"${KILL_IN:-/dev/null}" >"$T/kill.out" 2>&1 &
	pid=$!
	nap "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	KILLED=0
	if kill -9 "$pid" 2>/dev/null; then KILLED=1; fi
	# (bash reports a job killed by a signal on stderr: not ours to see)
	{ wait "$pid"; } 2>/dev/null
	RC=$?
}

# settle: wait (at most 10 s) until no podnet, plugin or runtime process of
# this node (its mount namespace) runs: a command killed mid-way leaves its
# children running (a plugin's ADD, a runtime call), and the repair that
# follows must see what they leave, as a later gc would.
settle() {
	local me i
	me=$(readlink /proc/self/ns/mnt)
	me=${me#mnt:[}; me=${me%]}
	for ((i = 0; i < 200; i++)); do
		ps -eo mntns=,comm= | awk -v me="$me" '$1 == me && $2 ~ /^(podnet|podnet-bridge|podnet-ipam|runc|crun|nft)$/ { found = 1 } END { exit !found }' || return 0
		nap 0.05
	done
}

# ms_of CMD...: how long CMD takes, in ms (its output discarded).
ms_of() {
	local t0=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>&1
	echo $(((${EPOCHREALTIME/./} - t0) / 1000))
}

# tally NAME TRIALS FAULTS LEAKS: a line of the suite's table (the runner
# collects the "# table:" lines).
tally() {
	printf '# table: %-24s trials %4d  faults %4d  leaks %3d\n' "$1" "$2" "$3" "$4"
}
