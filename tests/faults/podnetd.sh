#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 of podnetd (the node's Kubernetes API and its agent), in a
# throwaway node, while the real kubectl drives it:
#
#   apply   `kubectl apply` of 3 pods; podnetd SIGKILLed (by its PID) at a
#           random instant of the usual time from the request to the pods
#           Running (admission, then the agent starting them)
#   delete  `kubectl delete` of the 3 pods; killed at a random instant of
#           the usual time the delete takes
#   point   podnetd SIGKILLs itself at a named point (PODNET_FAULT) of the
#           admission or of the agent's start or delete
#
# After each kill podnetd is started again, nothing else: no `podnet gc`.
# Within CONVERGE_S seconds the node must be whole again by the agent's
# own doing: the oracle (nodecheck.py) finds nothing of no pod, every pod
# Running (a pod whose start was cut short re-started, one whose delete
# was cut short gone), and `kubectl get pods` and `podnet get pods` list
# the same pods in the same phase.
#
# Then the agent's recovery of pods whose admitting process died: a
# `podnet apply` killed right after it admitted its pods (apply.row-inserted)
# while podnetd is down, and a podnetd killed right after it admitted a
# pod created through the API: the next podnetd starts both.  (A start
# that podnetd's agent had begun, creating and owned by the dead podnetd,
# is started again from scratch: the apply trials and start.* points.)
#
# Short form (make check): PODNETD_SHORT (4) trials per kind; FAULT_FULL=1:
# 100.  Prints "# table:" lines as kill.sh does.
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node
PODNETD_SHORT=${PODNETD_SHORT:-4}
CONVERGE_S=${CONVERGE_S:-60}
FAULT_SEED=${FAULT_SEED:-$RANDOM}
echo "# FAULT_SEED=$FAULT_SEED"
RANDOM=$FAULT_SEED
OFF=$RANDOM
rnd() { echo $(((RANDOM * 32768 + RANDOM) % $1)); }
pick() { local n=$(($1 + OFF)); shift; local a=("$@"); echo "${a[$((n % ${#a[@]}))]}"; }

t_ok "the node has an uplink address" node_nic
export FAULT_NODE_VETHS="eth0 eth0-peer"
t_ok "podnetd starts" podnetd_start
[ -n "${PODNETD_PID:-}" ] || { t_done; exit 1; }

declare -A N_TRIALS=() N_FAULTS=() N_LEAKS=()
ORDER=()
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
	fi
}

for i in 1 2 3; do pod_yaml "a$i" 1 0; echo ---; done >"$T/pods.yaml"

# restart [ENV=VALUE...]: podnetd again (after a kill, or to stop one that
# runs with a fault point armed), its PKI and kubeconfig reused.
restart() {
	local v rc
	kill -9 "$PODNETD_PID" 2>/dev/null
	wait "$PODNETD_PID" 2>/dev/null
	for v in "$@"; do export "${v?}"; done
	podnetd_start
	rc=$?
	for v in "$@"; do unset "${v%%=*}"; done
	return $rc
}

# pods_agree: "" when kubectl and podnet list the same pods in the same
# phase, else what differs.
LIST='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}'
pods_agree() {
	local a b
	a=$(k get pods -o jsonpath="$LIST" 2>&1 | sort)
	b=$($P get pods -o jsonpath="$LIST" 2>&1 | sort)
	[ "$a" = "$b" ] || printf 'leak: kubectl get pods: %s; podnet get pods: %s\n' \
		"$(echo $a)" "$(echo $b)"
}

# converged: wait (at most CONVERGE_S) until the oracle and the two
# listings agree that the node is whole; the last findings if it never is.
converged() {
	local i leaks
	for ((i = 0; i < CONVERGE_S * 2; i++)); do
		settle
		leaks=$(node_leaks; pods_agree)
		[ -z "$leaks" ] && return 0
		nap 0.5
	done
	echo "$leaks"
	echo "leak: not converged after ${CONVERGE_S} s"
}

# all_running: the 3 pods Running (for the usual duration).
all_running() {
	[ "$(k get pods -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' 2>/dev/null |
		grep -cx Running)" = 3 ]
}
# until_running: wait until all_running, at most 60 s.
until_running() {
	local i
	for ((i = 0; i < 600; i++)); do all_running && return 0; nap 0.1; done
	return 1
}
# until_phase POD PHASE: wait until POD is in PHASE, at most 60 s.
until_phase() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(k get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = "$2" ] && return 0
		nap 0.1
	done
	return 1
}
# until_empty: no pod left, at most 60 s.
until_empty() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -z "$(db 'select uid from pods')" ] && return 0
		nap 0.1
	done
	return 1
}
# Between trials: no pod, and the node clean.
clean_slate() {
	k delete pods --all --grace-period=0 --force >/dev/null 2>&1
	until_empty || $P delete pods --all --grace-period=0 >/dev/null 2>&1
}

# t_clean DESC: the node converges (converged prints nothing).
t_clean() {
	local leaks
	leaks=$(converged)
	if [ -z "$leaks" ]; then t_pass "$1"; else t_fail "$1"; echo "$leaks" | head -10 | sed 's/^/#   /'; fi
}

# The usual durations, undisturbed.
t0=${EPOCHREALTIME/./}
k apply -f "$T/pods.yaml" >/dev/null
until_running
D_APPLY=$(((${EPOCHREALTIME/./} - t0) / 1000))
note_uids
t0=${EPOCHREALTIME/./}
k delete pods a1 a2 a3 >/dev/null
D_DELETE=$(((${EPOCHREALTIME/./} - t0) / 1000))
until_empty
echo "# apply to Running: $D_APPLY ms; delete: $D_DELETE ms"
t_clean "undisturbed: the node is clean after apply and delete"

n=$(trials "$PODNETD_SHORT" 100)
# --- apply: kubectl apply, podnetd killed at a random instant -----------------
for ((j = 0; j < n; j++)); do
	ms=$(rnd $((D_APPLY + 1)))
	k apply -f "$T/pods.yaml" >"$T/kout" 2>&1 &
	kpid=$!
	nap "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	killed=0
	kill -9 "$PODNETD_PID" 2>/dev/null && killed=1
	note_uids
	wait "$kpid"
	restart >/dev/null || { record apply "$killed" "leak: podnetd did not start again" "kill at $ms"; break; }
	note_uids
	record apply "$killed" "$(converged)" "kill at $ms of $D_APPLY ms ($(db 'select count(*) from pods') pods after)"
	clean_slate
done

# --- delete: kubectl delete, podnetd killed at a random instant ---------------
for ((j = 0; j < n; j++)); do
	k apply -f "$T/pods.yaml" >/dev/null 2>&1
	until_running
	note_uids
	ms=$(rnd $((D_DELETE + 1)))
	k delete pods a1 a2 a3 >"$T/kout" 2>&1 &
	kpid=$!
	nap "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	killed=0
	kill -9 "$PODNETD_PID" 2>/dev/null && killed=1
	wait "$kpid"
	restart >/dev/null || { record delete "$killed" "leak: podnetd did not start again" "kill at $ms"; break; }
	record delete "$killed" "$(converged)" "kill at $ms of $D_DELETE ms ($(db 'select count(*) from pods') pods after)"
	clean_slate
done

# --- named points in podnetd: admission, the agent's start and delete ---------
# (Interleaved: any 4 in a row, the short form's, hold 2 of admission/start.)
POINTS=(apply.row-inserted delete.marked start.claimed stop.killed start.netns-made
	teardown.cni-deleted start.cni-added delete.torn-down start.rootfs-made start.shim-started)
for ((j = 0; j < n; j++)); do
	pt=$(pick "$j" "${POINTS[@]}")
	case $pt in
	apply.* | start.*)
		restart "PODNET_FAULT=$pt" >/dev/null
		k apply -f "$T/pods.yaml" >"$T/kout" 2>&1
		;;
	*)
		k apply -f "$T/pods.yaml" >/dev/null 2>&1
		until_running
		note_uids
		restart "PODNET_FAULT=$pt" >/dev/null
		k delete pods a1 a2 a3 >"$T/kout" 2>&1
		;;
	esac
	# Armed, it dies at the point (at most 30 s for the agent to reach it).
	for ((i = 0; i < 300; i++)); do kill -0 "$PODNETD_PID" 2>/dev/null || break; nap 0.1; done
	killed=0
	kill -0 "$PODNETD_PID" 2>/dev/null || killed=1
	note_uids
	restart >/dev/null || { record "named point" "$killed" "leak: podnetd did not start again" "$pt"; break; }
	leaks=$(converged)
	[ "$killed" = 1 ] || leaks+=$'\n'"leak: podnetd did not die at $pt"
	record "named point" "$killed" "$(echo "$leaks" | grep .)" "kill at $pt"
	clean_slate
done

# --- the agent's recovery: pods whose admitting process died -----------------
# podnetd down; a `podnet apply` dies right after admitting its pods: they
# are pending, owned by a dead process.  The next podnetd starts them.
kill -9 "$PODNETD_PID"; wait "$PODNETD_PID" 2>/dev/null
pod_yaml c1 1 0 >"$T/c1.yaml"
PODNET_FAULT=apply.row-inserted $P apply -f "$T/c1.yaml" >"$T/out" 2>&1
t_is "$?" 137 "podnet apply dies after admitting c1 (apply.row-inserted)"
t_is "$(db "select state from pods where name = 'c1'")" pending "c1 is pending, its admitter dead"
t_ok "podnetd starts again" podnetd_start
until_phase c1 Running
t_is "$(k get pod c1 -o jsonpath='{.status.phase}' 2>&1)" Running "its agent starts c1"
note_uids
t_clean "the node is whole, kubectl and podnet agree"
clean_slate
# A pod created through the API whose podnetd died right after admitting it.
restart PODNET_FAULT=apply.row-inserted >/dev/null
pod_yaml b1 1 0 | k apply -f - >"$T/kout" 2>&1
for ((i = 0; i < 300; i++)); do kill -0 "$PODNETD_PID" 2>/dev/null || break; nap 0.1; done
t_ok "podnetd dies after admitting b1" pid_gone "$PODNETD_PID"
t_is "$(db "select state from pods where name = 'b1'")" pending "b1 is pending"
t_ok "podnetd starts again" restart
until_phase b1 Running
t_is "$(k get pod b1 -o jsonpath='{.status.phase}' 2>&1)" Running "the next podnetd's agent starts b1"
note_uids
t_clean "the node is whole, kubectl and podnet agree"
clean_slate
t_clean "the node is clean at the end"

for c in "${ORDER[@]}"; do
	tally "podnetd: $c" "${N_TRIALS[$c]}" "${N_FAULTS[$c]}" "${N_LEAKS[$c]}"
done
t_done
