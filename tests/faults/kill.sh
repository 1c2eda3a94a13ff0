#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 at any instant, in a throwaway node:
#
#   node --- podnet0 --- veth --- pods a1..a5 (podnet-bridge + podnet-ipam)
#        \-- fault0  --- veth --- netns f*    (podnet-bridge run by hand)
#
# Each trial runs one command, kills it with SIGKILL (by its PID) either at
# a uniformly random instant of its usual duration, or at a named point
# (PODNET_FAULT, see src/base/fault.h), or at its Nth syscall (strace
# --inject, CNI plugins), then lets the node repair itself the way a
# runtime would (`podnet gc`; DEL after a failed ADD), and checks the node:
# no netns pin, veth, lease, lease index, CNI cache entry, nft rule,
# cgroup, mount, runtime state, shim or container process of no pod; every
# pod whole (Running) or gone; the IP of no pod given to two.
#
#   apply (1 pod x 1 container, 1 pod x 3, 5 pods in one file), delete, gc,
#   CNI ADD and DEL of podnet-bridge, the shim and the pause of a running pod
#
# After a trial that leaked, the node is reset (lib.sh node_reset: every
# pod and all it holds force-removed without podnet), so a leak fails its
# own trial only.
#
# Short form (make check): 10 trials per command (5 at named points, 5 at
# random instants; KILL_SHORT=N for more), to keep make check short on 2
# shared cores; FAULT_FULL=1 (make faults): 100 per command.
# Prints "# table:" lines (trials, faults injected, leaks found).
#
# To chase one failure: KILL_ONLY=REGEX runs only the commands whose name
# (as in the table: "apply (3)", "delete", "gc", "shim of a running pod",
# "CNI ADD", ...) matches; KILL_POINTS="P1 P2" replaces the named points
# the chosen commands are killed at (with FAULT_SEED, to replay a run).
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node
KILL_SHORT=${KILL_SHORT:-10}
# The short form reaches a few of each command's points per run: which
# ones, and the random instants, follow FAULT_SEED (printed, to replay).
FAULT_SEED=${FAULT_SEED:-$RANDOM}
echo "# FAULT_SEED=$FAULT_SEED"
RANDOM=$FAULT_SEED
OFF=$RANDOM

# A random integer in [0, $1).
rnd() { echo $(((RANDOM * 32768 + RANDOM) % $1)); }
# pick N ITEMS...: trial N's item, round-robin (of $KILL_POINTS if set).
pick() {
	local n=$(($1 + OFF)); shift
	local a=("$@")
	[ -z "${KILL_POINTS:-}" ] || read -ra a <<<"$KILL_POINTS"
	echo "${a[$((n % ${#a[@]}))]}"
}
# only CMD: CMD's trials are run (KILL_ONLY unset, or it matches CMD).
only() { [[ -z ${KILL_ONLY:-} || $1 =~ $KILL_ONLY ]]; }

declare -A N_TRIALS=() N_FAULTS=() N_LEAKS=()
ORDER=()
# record CMD KILLED LEAKS-TEXT DESC
record() {
	local cmd=$1 killed=$2 leaks=$3 desc=$4
	[ -n "${N_TRIALS[$cmd]:-}" ] || { ORDER+=("$cmd"); N_TRIALS[$cmd]=0; N_FAULTS[$cmd]=0; N_LEAKS[$cmd]=0; }
	N_TRIALS[$cmd]=$((N_TRIALS[$cmd] + 1))
	N_FAULTS[$cmd]=$((N_FAULTS[$cmd] + killed))
	if [ -z "$leaks" ]; then
		t_pass "$cmd: $desc"
	else
		N_LEAKS[$cmd]=$((N_LEAKS[$cmd] + $(echo "$leaks" | grep -c .)))
		t_fail "$cmd: $desc"
		echo "$leaks" | head -10 | sed 's/^/#   /'
		# One leak fails one trial: the next starts on an empty node.
		node_reset
	fi
}

# After a trial: what the killed command started ends, the node repairs
# itself (gc), then the check.
repair_check() {
	local gc
	settle
	gc=$($P gc 2>&1) || echo "leak: podnet gc failed: $gc"
	node_leaks
}

# Every pod the trials make is one of a1..a5.
delete_all() { $P delete pod a1 a2 a3 a4 a5 >/dev/null 2>&1; }
# min_ms CMD...: the shorter of two undisturbed runs, in ms.
min_ms() {
	local a b
	a=$(ms_of "$@")
	b=$(ms_of "$@")
	echo $((a < b ? a : b))
}

# --- apply -------------------------------------------------------------------
# Grace 0: the containers (sleep as PID 1, which ignores SIGTERM) are
# killed at once; a trial's cleanup does not wait out a grace period.
pod_yaml a1 1 0 >"$T/apply-1.yaml"
pod_yaml a1 3 0 >"$T/apply-3.yaml"
for i in 1 2 3 4 5; do pod_yaml "a$i" 1 0; echo ---; done >"$T/apply-5.yaml"
# Points in podnet apply itself (it dies: 137), in the CNI plugin and in the
# shim it starts (apply then fails and rolls back).
APPLY_POINTS=(apply.row-inserted start.dir-made start.netns-made start.attachment-recorded
	start.cni-added start.rootfs-made start.shim-started
	bridge.add.leased bridge.add.veth-made bridge.add.configured ipam.add.index-created
	shim.pause-started shim.runtimes-started)
for variant in 1 3 5; do
	only "apply ($variant)" || continue
	f=$T/apply-$variant.yaml
	# The usual duration: two runs undisturbed.
	D=$(ms_of $P apply -f "$f")
	note_uids
	delete_all
	d2=$(ms_of $P apply -f "$f")
	note_uids
	delete_all
	D=$((D < d2 ? D : d2))
	n=$(trials "$KILL_SHORT" 100)
	for ((k = 0; k < n; k++)); do
		if ((k % 2 == 0)); then
			pt=$(pick $((k / 2)) "${APPLY_POINTS[@]}")
			PODNET_FAULT=$pt $P apply -f "$f" >"$T/out" 2>&1
			rc=$?
			# A point of apply's own: killed (137); of a child: apply fails.
			case $pt in
			apply.* | start.*) killed=$((rc == 137)) ;;
			*) killed=$((rc != 0)) ;;
			esac
			desc="kill at $pt (exit $rc)"
		else
			ms=$(rnd $((D + 1)))
			kill_at "$ms" $P apply -f "$f"
			killed=$KILLED
			desc="kill at $ms of $D ms"
		fi
		note_uids
		leaks=$(repair_check)
		[ "$killed" = 1 ] || [ "$((k % 2))" = 1 ] || leaks+=$'\n'"leak: the fault was not injected: $(head -c 200 "$T/out")"
		record "apply ($variant)" "$killed" "$(echo "$leaks" | grep .)" "$desc"
		delete_all
	done
done
only "apply" && record "apply: delete after" 0 "$(node_leaks)" "the node is empty after deleting what apply made"

# --- delete ------------------------------------------------------------------
pod_yaml a1 2 0 >"$T/del.yaml"
D=0
if only delete; then
	$P apply -f "$T/del.yaml" >/dev/null
	note_uids
	D=$(ms_of $P delete pod a1)
fi
DELETE_POINTS=(delete.marked stop.shim-gone stop.killed teardown.cni-deleted delete.torn-down
	delete.dir-removed bridge.del.link-deleted ipam.del.leases-removed)
n=$(trials "$KILL_SHORT" 100)
only delete || n=0
for ((k = 0; k < n; k++)); do
	$P apply -f "$T/del.yaml" >/dev/null 2>&1
	note_uids
	if ((k % 2 == 0)); then
		pt=$(pick $((k / 2)) "${DELETE_POINTS[@]}")
		PODNET_FAULT=$pt $P delete pod a1 >"$T/out" 2>&1
		rc=$?
		case $pt in
		bridge.* | ipam.*) grep -q "CNI DEL of network podnet failed" "$T/out"; killed=$((! $?)) ;;
		*) killed=$((rc == 137)) ;;
		esac
		desc="kill at $pt (exit $rc)"
	else
		ms=$(rnd $((D + 1)))
		kill_at "$ms" $P delete pod a1
		killed=$KILLED
		desc="kill at $ms of $D ms"
	fi
	leaks=$(repair_check)
	[ "$killed" = 1 ] || [ "$((k % 2))" = 1 ] || leaks+=$'\n'"leak: the fault was not injected: $(head -c 200 "$T/out")"
	record delete "$killed" "$(echo "$leaks" | grep .)" "$desc"
	delete_all
done

# --- gc ----------------------------------------------------------------------
# Work for gc: an apply killed half-way, a running pod whose shim was
# killed (its sandbox is re-created), a stray netns pin.
gc_setup() {
	PODNET_FAULT=start.cni-added $P apply -f "$T/apply-1.yaml" >/dev/null 2>&1
	pod_yaml a2 1 0 | $P apply -f - >/dev/null 2>&1
	note_uids
	kill -9 "$(jq -r .pid "$PODNET_ROOT/pods/$(db "select uid from pods where name='a2'")/shim.json")" 2>/dev/null
	ip netns add "cni-00000000-0000-4000-8000-$(printf '%012d' $((RANDOM)))" 2>/dev/null
	nap 0.2
}
D=0
if only gc; then
	gc_setup
	D=$(ms_of $P gc)
	delete_all
fi
GC_POINTS=(gc.pods-done gc.cni-gc-done delete.marked delete.torn-down recover.torn-down
	recover.row-updated start.netns-made start.cni-added start.shim-started)
n=$(trials "$KILL_SHORT" 100)
only gc || n=0
for ((k = 0; k < n; k++)); do
	gc_setup
	if ((k % 2 == 0)); then
		pt=$(pick $((k / 2)) "${GC_POINTS[@]}")
		PODNET_FAULT=$pt $P gc >"$T/out" 2>&1
		rc=$?
		killed=$((rc == 137))
		desc="kill at $pt (exit $rc)"
	else
		ms=$(rnd $((D + 1)))
		kill_at "$ms" $P gc
		killed=$KILLED
		desc="kill at $ms of $D ms"
	fi
	note_uids
	leaks=$(repair_check)
	[ "$killed" = 1 ] || [ "$((k % 2))" = 1 ] || leaks+=$'\n'"leak: the fault was not injected: $(head -c 200 "$T/out")"
	record gc "$killed" "$(echo "$leaks" | grep .)" "$desc"
	delete_all
done

# --- the shim and the pause of a running pod ----------------------------------
pod_yaml a1 2 0 >"$T/run.yaml"
n=$(trials "$KILL_SHORT" 100)
for who in shim pause; do
	only "$who of a running pod" || continue
	for ((k = 0; k < n; k++)); do
		$P apply -f "$T/run.yaml" >/dev/null 2>&1
		note_uids
		nap "0.$(rnd 5)"
		pid=$(jq -r "if \"$who\" == \"shim\" then .pid else .pausePid end" \
			"$PODNET_ROOT/pods/$(db "select uid from pods where name='a1'")/shim.json")
		killed=0
		kill -9 "$pid" 2>/dev/null && killed=1
		# The shim sees its pause die, stops the pod and exits 3: let it.
		shim=$(jq -r .pid "$PODNET_ROOT/pods/$(db "select uid from pods where name='a1'")/shim.json")
		for ((i = 0; i < 500; i++)); do exited "$shim" && break; nap 0.02; done
		leaks=$(repair_check)
		record "$who of a running pod" "$killed" "$(echo "$leaks" | grep .)" "kill -9 $who (pid $pid)"
		delete_all
	done
done

# --- CNI ADD and DEL of podnet-bridge, by hand -------------------------------
cat >"$T/f.conf" <<EOF
{ "cniVersion": "1.0.0", "name": "faultnet", "type": "podnet-bridge", "bridge": "fault0",
  "isGateway": true, "ipMasq": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.250.0.0/24" }]] } }
EOF
FN=/var/lib/cni/networks/faultnet
# cni_clean ID: after DEL, nothing of attachment ID is left.
cni_clean() {
	local l
	[ "$CNI_RC" = 0 ] || echo "leak: DEL exited $CNI_RC: $(head -c 200 "$T/out")"
	l=$(ip -o link show master fault0 2>/dev/null | grep -c .)
	[ "$l" = 0 ] || echo "leak: $l veths on fault0"
	l=$(ls "$FN" 2>/dev/null | grep -cE '^[0-9.]+$')
	[ "$l" = 0 ] || echo "leak: $l leases in $FN"
	l=$(ls "$FN/by-attachment" 2>/dev/null | grep -c .)
	[ "$l" = 0 ] || echo "leak: $l lease index files: $(ls "$FN/by-attachment")"
}
# traced VERB ID OUT: run the plugin's VERB for attachment ID under strace,
# the syscalls it made (names, in order) in OUT.
traced() {
	strace -o "$T/trace" -qq -E CNI_COMMAND="$1" -E CNI_CONTAINERID="$2" \
		-E CNI_NETNS="/run/netns/$2" -E CNI_IFNAME=eth0 -E CNI_PATH="$CNI_PATH" \
		"$BIN/podnet-bridge" <"$T/f.conf" >/dev/null 2>&1
	grep -oE '^[a-z0-9_]+\(' "$T/trace" | tr -d '(' >"$3"
}
# at_syscall VERB ID LIST IDX: VERB under strace, SIGKILLed at the IDX-th
# syscall of LIST (the Kth call of that syscall: syscall boundaries of a
# run are the same from run to run up to the syscalls a retry adds).
at_syscall() {
	local name k
	name=$(sed -n "${4}p" "$3")
	k=$(head -n "$4" "$3" | grep -cx "$name")
	strace -o /dev/null -qq -e trace="$name" -e inject="$name:signal=KILL:when=$k" \
		-E CNI_COMMAND="$1" -E CNI_CONTAINERID="$2" -E CNI_NETNS="/run/netns/$2" \
		-E CNI_IFNAME=eth0 -E CNI_PATH="$CNI_PATH" "$BIN/podnet-bridge" <"$T/f.conf" >"$T/out" 2>&1
	RC=$?
	SYS="$name #$k"
}
# Traced on a network that exists (the first ADD makes the bridge and
# the masquerade rules: its syscalls are not those of every other ADD).
pod_add fsys
cni podnet-bridge ADD fwarm /run/netns/fsys eth1 "$T/f.conf"
traced ADD fsys "$T/add.sys"
traced DEL fsys "$T/del.sys"
cni podnet-bridge DEL fwarm /run/netns/fsys eth1 "$T/f.conf"
ip netns delete fsys
nsys_ADD=$(grep -c . "$T/add.sys")
nsys_DEL=$(grep -c . "$T/del.sys")
pod_add ftime
D=$(ms_of env CNI_COMMAND=ADD CNI_CONTAINERID=ftime CNI_NETNS=/run/netns/ftime CNI_IFNAME=eth0 \
	CNI_PATH=$CNI_PATH "$BIN/podnet-bridge" <"$T/f.conf")
cni podnet-bridge DEL ftime /run/netns/ftime eth0 "$T/f.conf"
ip netns delete ftime
n=$(trials "$KILL_SHORT" 100)
for verb in ADD DEL; do
	only "CNI $verb" || continue
	list=$T/${verb,,}.sys
	nsys=$([ "$verb" = ADD ] && echo "$nsys_ADD" || echo "$nsys_DEL")
	for ((k = 0; k < n; k++)); do
		id=f$k$verb
		pod_add "$id"
		if [ "$verb" = DEL ]; then
			cni podnet-bridge ADD "$id" "/run/netns/$id" eth0 "$T/f.conf"
		fi
		if ((k % 2 == 0)); then
			# Not the execve (#1): strace cannot stop a program before it runs.
			idx=$((2 + ((k / 2) * (nsys - 1) * 2 / n + OFF) % (nsys - 1)))
			at_syscall "$verb" "$id" "$list" "$idx"
			killed=$((RC == 137))
			desc="SIGKILL at syscall $idx of $nsys ($SYS, exit $RC)"
		else
			ms=$(rnd $((D + 1)))
			KILL_IN=$T/f.conf kill_at "$ms" env CNI_COMMAND=$verb CNI_CONTAINERID=$id \
				CNI_NETNS=/run/netns/$id CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH "$BIN/podnet-bridge"
			killed=$KILLED
			desc="kill at $ms of $D ms"
		fi
		# The runtime's repair: DEL (after a failed ADD, or again).
		cni podnet-bridge DEL "$id" "/run/netns/$id" eth0 "$T/f.conf"
		ip netns delete "$id"
		record "CNI $verb" "$killed" "$(cni_clean)" "$desc"
	done
done

# podnetd (the API daemon and its agent) is killed by tests/faults/podnetd.sh.
for c in "${ORDER[@]}"; do
	case $c in *"delete after"*) continue ;; esac
	tally "$c" "${N_TRIALS[$c]}" "${N_FAULTS[$c]}" "${N_LEAKS[$c]}"
done
t_done
