#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The harness itself (issue 11): a test stopped by a signal cleans up as
# one that ends.  A small test script (below, written to $T/victim.sh) makes
# a throwaway node of its own (lib.sh) holding
#
#   node netns ── veth hnID ══ hsID ── netns "side" (ip netns add)
#              └─ pod "p" (podnet apply: shim, pause, container, cni- netns
#                 holding a veth hpID of this run, peer hqID in the node)
#              └─ a background process (lib.sh's bg)
#
# then waits.  It is sent SIGTERM, SIGINT, SIGHUP (and TERM then HUP at
# once, and TERM again while it cleans up) mid-way: it must exit 128+N,
# having run its cleanup exactly once, to its end, and leave nothing: no
# process of its own (by PID), no process or mount holding any of its
# network namespaces (by inode and a link of its own), so no netns pin and
# no link.  bash runs the EXIT trap when a signal kills it, but a second
# signal during that trap killed it half-way (the pod deleted, its bg
# process left running); lib.sh now traps them, once
# (VICTIM_LIB=/path/to/old/lib.sh runs the victim on another lib.sh).
. "$(dirname "$0")/lib.sh"
node_enter "$@"

cat >"$T/victim.sh" <<'EOF'
. "$LIB"
node_enter
export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "echo cleaned >>$OUT/cleanups; sleep 0.5; $P delete pods --all --grace-period=0 --force; $P gc"
pod_add side
ID=$((MARK % 100000))
ip link add "hn$ID" type veth peer name "hs$ID" netns side
cat >"$T/p.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c, image: host, command: [sleep, "$MARK"] }
YAML
$P apply -f "$T/p.yaml" >"$OUT/apply.out" 2>&1 || exit 1
bg sleep "$MARK"
# A link of a name of this run in the pod's netns too: it names the netns.
pn=$(ip netns list | awk '/^cni-/ { print $1; exit }')
ip link add "hq$ID" type veth peer name "hp$ID" netns "$pn" || exit 1
d=/var/lib/podnet/pods/$($P get pod p -o jsonpath='{.metadata.uid}')
{
	echo "pids $$ ${_bg_pids[*]} $(jq -r '"\(.pid) \(.pausePid)"' "$d/shim.json") $(pgrep -f -x "sleep $MARK" | tr '\n' ' ')"
	echo "nets $(stat -Lc %i /proc/self/ns/net):hn$ID $(stat -Lc %i /run/netns/side):hs$ID" \
		"$(stat -Lc %i "/run/netns/$pn"):hp$ID"
} >"$OUT/made.tmp"
mv "$OUT/made.tmp" "$OUT/made"
# Mid-way: a long wait (the builtin wait returns at once on a signal).
wait
EOF

# held INODE LINK: what still holds network namespace INODE (processes in
# it, mounts of it: a pin, in any process's mount table), if it is the one
# with LINK in it: a dead namespace's inode number is soon another's (other
# tests run beside this one).
held() {
	local f p mp
	for f in /proc/[0-9]*/ns/net; do
		[ "$(stat -Lc %i "$f" 2>/dev/null)" = "$1" ] || continue
		p=${f#/proc/}
		p=${p%%/*}
		nsenter --net="$f" ip link show "$2" >/dev/null 2>&1 && echo "process $p in it"
	done
	grep -H "net:\[$1\]" /proc/[0-9]*/mountinfo 2>/dev/null | while IFS= read -r l; do
		p=${l#/proc/}
		p=${p%%/*}
		mp=$(echo "${l#*:}" | awk '{ print $5 }')
		nsenter --net="/proc/$p/root$mp" ip link show "$2" >/dev/null 2>&1 && echo "pin $mp (in the mounts of $p)"
	done
}

# stop SIGNAL... : run the victim, send it SIGNAL(s) once its node is made,
# check what it left; sets $rc, $left, $cleanups.
stop() {
	local name="$*" i p n vpid out
	out=$T/out-${name// /-}
	mkdir -p "$out"
	# Job control: without it bash starts a background command with SIGINT
	# ignored, which the victim then could not trap.
	set -m
	env -u PODNET_TEST_NODE LIB="${VICTIM_LIB:-$ROOT/tests/netns/lib.sh}" PODNET_BIN="$BIN" OUT="$out" MARK=$((920000 + $$)) \
		bash "$T/victim.sh" >"$out/log" 2>&1 &
	vpid=$!
	_bg_pids+=($vpid)   # a harness stopped itself stops its victim (which cleans up)
	set +m
	for i in $(seq 600); do
		[ -e "$out/made" ] && break
		kill -0 $vpid 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -e "$out/made" ]; then
		echo "#   the victim did not make its node:"; sed 's/^/#   /' "$out/log" "$out/apply.out" 2>/dev/null | tail -10
		kill -KILL $vpid 2>/dev/null
		wait $vpid
		rc=none left=unknown cleanups=0
		return
	fi
	for s in "$@"; do
		if [ "$s" = again ]; then
			# The same signal once its cleanup has begun.
			for i in $(seq 300); do [ -e "$out/cleanups" ] && break; sleep 0.05; done
			kill -s "$1" $vpid
		else
			kill -s "$s" $vpid
		fi
	done
	wait $vpid
	rc=$?
	left=
	# Pids: the victim, its bg process, the shim, the pause, the container.
	for p in $(awk '$1 == "pids" { $1 = ""; print }' "$out/made"); do
		# A zombie has exited (one reparented to PID 1 waits for it to reap).
		[ -e /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" != Z ] && left+="pid $p ($(awk "{print \$3, \$4}" /proc/$p/stat 2>/dev/null) $(tr "\0" " " </proc/"$p"/cmdline 2>/dev/null)); "
	done
	for n in $(awk '$1 == "nets" { $1 = ""; print }' "$out/made"); do
		left+=$(held "${n%%:*}" "${n#*:}" | sort -u | tr '\n' ';')
	done
	left=${left:-nothing}
	cleanups=$(grep -c cleaned "$out/cleanups" 2>/dev/null || echo 0)
	t_ok "$*: the victim had made 5 processes and 3 namespaces" \
		test "$(awk '$1 == "pids" { print NF - 1 }' "$out/made")" -ge 5 -a \
		"$(awk '$1 == "nets" { print NF - 1 }' "$out/made")" -ge 3
}

stop TERM
t_is "$rc" 143 "SIGTERM: the test exits 128+15"
t_is "$cleanups" 1 "SIGTERM: its cleanup ran once"
t_is "$left" nothing "SIGTERM: no process, netns pin or link of it left"
stop INT
t_is "$rc" 130 "SIGINT: the test exits 128+2"
t_is "$cleanups" 1 "SIGINT: its cleanup ran once"
t_is "$left" nothing "SIGINT: nothing of it left"
stop HUP
t_is "$rc" 129 "SIGHUP: the test exits 128+1"
t_is "$cleanups" 1 "SIGHUP: its cleanup ran once"
t_is "$left" nothing "SIGHUP: nothing of it left"
stop TERM HUP
t_match "$rc" '^(143|129)$' "TERM then HUP at once: the test exits 128+N of one of them ($rc)"
t_is "$cleanups" 1 "TERM then HUP: its cleanup ran once, not twice"
t_is "$left" nothing "TERM then HUP: nothing of it left"
# timeout(1) signals the test's whole process group, a user presses ^C
# twice: a second signal must not cut the cleanup short.
stop TERM again
t_is "$rc" 143 "TERM, and TERM again during its cleanup: exit 128+15"
t_is "$cleanups" 1 "TERM twice: its cleanup ran once"
t_is "$left" nothing "TERM twice: the cleanup went on to the end, nothing left"

# tests/run.sh's time limit (tests/bounded.sh) on a test busy with command
# substitutions: bash 5.2.15 loses a trap that runs while it parses a
# "$(...)" (about half of the TERMs here); the limit sends TERM again
# until the test is gone, so it cleans up every time.
cat >"$T/busy.sh" <<'EOF'
. "$LIB"
node_enter
on_cleanup "echo cleaned >>$OUT/cleanups"
bg sleep "$MARK"
echo "$!" >"$OUT/bgpid"
g() { echo x; }
while :; do
	: "$(g)" "b $(echo c)"
done
EOF
. "$ROOT/tests/bounded.sh"
busy_ok=0 busy_lost=0
for i in 1 2 3 4 5 6; do
	out=$T/busy$i
	mkdir -p "$out"
	TEST_KILL_AFTER=20 bounded 1 env -u PODNET_TEST_NODE LIB="$ROOT/tests/netns/lib.sh" \
		PODNET_BIN="$BIN" OUT="$out" MARK=$((930000 + $$ % 10000)) bash "$T/busy.sh" >"$out/log" 2>&1
	rc=$?
	grep -q "unexpected EOF" "$out/log" && busy_lost=$((busy_lost + 1))
	if [ "$rc" = 124 ] && [ "$(grep -c cleaned "$out/cleanups" 2>/dev/null)" = 1 ] &&
		pid_gone "$(cat "$out/bgpid" 2>/dev/null)"; then
		busy_ok=$((busy_ok + 1))
	else
		echo "#   try $i: exit $rc, cleanups $(grep -c cleaned "$out/cleanups" 2>/dev/null)"
		sed 's/^/#   /' "$out/log" | tail -5
	fi
done
echo "# bash lost the first TERM's trap in $busy_lost of 6 tries"
t_is "$busy_ok" 6 "a busy test stopped by the time limit: exit 124, cleanup once, its bg process gone (6 tries)"
t_done
