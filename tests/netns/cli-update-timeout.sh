#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `podnet apply` of a changed image when the pod's shim does not take the
# new plan: the shim is stopped (SIGSTOP of its real process, as `kill
# -STOP` or a debugger stops it), in a throwaway node.
#
#   stuck   its shim stopped; `podnet apply` of a new image waits
#           PODNET_UPDATE_TAKE_S (not 60 s) and fails naming the pod and
#           its shim; the new spec is stored (the desired state is not
#           lost), plan.json names it, the shim still runs the old one
#   other   a second pod, updated while stuck's update waits: not blocked
#           (the lock is per pod)
#   again   the same apply while the shim is still stopped fails again
#           (it is not "unchanged": the pod does not run it); once the
#           shim continues (SIGCONT) it takes the plan, the container
#           runs the new image, the next apply is "unchanged"
#   twice   two image changes while stopped, the second replacing the
#           first before the shim read it: once continued, the shim runs
#           the second and releases the first's root file system
#           (plan.json supersededRootfs): one is left mounted, the plan's
#   delete  of the pod with its shim stopped and an update pending (its
#           root file system mounted, not taken): deleted in its grace period
#           (no stuck-shim SIGKILL), nothing left, `podnet gc` finds
#           nothing
#
# The pods ignore SIGTERM (sleep as PID 1), so every image change costs a
# grace period (1 s) before the new attempt; every wait is bounded.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0 --force; $P gc"
# A stopped shim is continued first (cleanups run in reverse), whatever
# assertion failed: a stopped process would outlive the node.
STOPPED=
on_cleanup 'for p in $STOPPED; do kill -CONT $p; done'

# Containers of this test sleep for $MARK seconds: the node shares the
# host's PID namespace, so only this test's own processes are counted.
MARK=$((920000 + $$))

# tpod NAME IMAGE V: a pod labelled v=V, one container of IMAGE.
tpod() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, labels: { app: $1, v: "$3" } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c1, image: "$2", command: [sleep, "$MARK"] }
YAML
}
running() { [ "$($P get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }
pod_dir() { echo "/var/lib/podnet/pods/$($P get pod "$1" -o jsonpath='{.metadata.uid}')"; }
# settled DIR: container 0 of the plan in DIR runs the plan's image.
settled() {
	local id img st
	id=$(jq -r '.containers[0].id' "$1/plan.json") || return 1
	img=$(jq -r '.containers[0].image' "$1/plan.json")
	st=$(jq -r '"\(.state) \(.image // "")"' "$1/containers/$id/status.json") || return 1
	[ "$st" = "running $img" ] || { [ "$img" = host ] && [ "$st" = "running " ]; }
}
# gens DIR: "<generation dirs>:<mounts>:<generation dirs not the plan's>" of container 0.
gens() {
	local id rootfs g n=0 other=0
	id=$(jq -r '.containers[0].id' "$1/plan.json")
	rootfs=$(jq -r '.containers[0].rootfs' "$1/plan.json")
	for g in "$1/containers/$id"/image.*; do
		[ -e "$g" ] || continue
		n=$((n + 1))
		[ "$g/rootfs" = "$rootfs" ] || other=$((other + 1))
	done
	echo "$n:$(grep -c " $1/containers/$id/" /proc/self/mountinfo):$other"
}
one_rootfs() { [[ $(gens "$1") =~ ^[01]:1:0$ ]]; }
# revs DIR: "<plan.json revision>/<shim.json planRevision>".
revs() { echo "$(jq -r '.revision // 0' "$1/plan.json")/$(jq -r '.planRevision // "none"' "$1/shim.json")"; }
plan_rev_is() { [ "$(jq -r '.revision // 0' "$1/plan.json")" = "$2" ]; }
# taken DIR: the shim took the plan in DIR (planRevision = revision).
taken() { [ "$(jq -r '.revision // 0' "$1/plan.json")" = "$(jq -r '.planRevision // "none"' "$1/shim.json")" ]; }
# stop_shim DIR: SIGSTOP the pod's shim, its pid in $spid (continued at
# cleanup: not run in a subshell, which would lose $STOPPED).
stop_shim() {
	spid=$(jq -r .pid "$1/shim.json")
	[[ $spid =~ ^[1-9][0-9]*$ ]] || return 1
	STOPPED="$STOPPED $spid"
	kill -STOP "$spid" || return 1
	# Stopped once /proc says so (T), not when kill returns.
	wait_for 10 stopped_pid "$spid"
}
stopped_pid() { [ "$(awk '{ print $3 }' "/proc/$1/stat")" = T ]; }
cont_shim() {
	kill -CONT "$1"
	STOPPED=${STOPPED/ $1/}
}

# --- a stuck update, and another pod meanwhile -----------------------------
tpod stuck host 0 >"$T/stuck-0.yaml"
tpod stuck host:latest 1 >"$T/stuck-1.yaml"
tpod other host 0 >"$T/other-0.yaml"
tpod other host:latest 1 >"$T/other-1.yaml"
t_is "$(rc_out $P apply -f "$T/stuck-0.yaml")" "0:pod/stuck created" "apply stuck"
t_is "$(rc_out $P apply -f "$T/other-0.yaml")" "0:pod/other created" "apply other"
t_ok "stuck runs" wait_for 60 running stuck
t_ok "other runs" wait_for 60 running other
sd=$(pod_dir stuck)
rev0=$(jq -r '.revision // 0' "$sd/plan.json")
t_ok "stuck's shim stopped (SIGSTOP)" stop_shim "$sd"

PODNET_UPDATE_TAKE_S=20 $P apply -f "$T/stuck-1.yaml" >"$T/stuck-1.out" 2>&1 &
up=$!
t_ok "the update wrote its plan (revision $((rev0 + 1))) and waits" wait_for 30 plan_rev_is "$sd" $((rev0 + 1))
t_is "$(rc_out $P apply -f "$T/other-1.yaml")" "0:pod/other configured" \
	"an update of another pod meanwhile: configured"
t_ok "... while stuck's update still waits (not blocked by it)" kill -0 $up
wait $up
urc=$?
msg=$(cat "$T/stuck-1.out")
t_is "$urc" 1 "the stuck update fails (exit 1)"
t_match "$msg" "pod \"stuck\".*shim \(pid $spid\).*stopped.*20 s" \
	"its error names the pod, the shim's pid, that it is stopped, the time waited"
t_match "$msg" "^error: pod \"stuck\" configured, but " "and that the change is stored (configured)"
echo "#   $msg"
t_is "$($P get pod stuck -o jsonpath='{.spec.containers[0].image}/{.metadata.labels.v}')" "host:latest/1" \
	"the desired state is recorded (spec image and label)"
t_is "$(jq -r '.containers[0].image' "$sd/plan.json")" "host:latest" "plan.json names the new image"
t_is "$(revs "$sd")" "$((rev0 + 1))/$rev0" "plan revision $((rev0 + 1)), the shim still at $rev0"
t_match "$($P get pods --no-headers 2>&1 | grep '^stuck ')" "^stuck +1/1 +Running" \
	"get pods reads: stuck 1/1 Running (its container still runs)"
t_ok "other runs its new image" wait_for 60 settled "$(pod_dir other)"

# --- the same apply again, then the shim continues -----------------------
PODNET_UPDATE_TAKE_S=2 $P apply -f "$T/stuck-1.yaml" >"$T/again.out" 2>&1
t_is "$?" 1 "applied again while the shim is stopped: fails again (not unchanged)"
t_match "$(cat "$T/again.out")" "^error: pod \"stuck\" unchanged, but its shim \(pid $spid\) is stopped" \
	"with the same error (unchanged: the stored spec)"
cont_shim "$spid"
t_ok "continued, the shim takes the plan" wait_for 30 taken "$sd"
t_ok "the container runs the new image" wait_for 60 settled "$sd"
t_is "$(rc_out $P apply -f "$T/stuck-1.yaml")" "0:pod/stuck unchanged" "the next apply: unchanged"
t_ok "stuck runs" running stuck
wait_for 30 one_rootfs "$sd"
t_match "$(gens "$sd")" "^[01]:1:0$" "one root file system mounted, the plan's (dirs:mounts:others $(gens "$sd"))"

# --- two changes while stopped, the second superseding the first ---------
tpod stuck host 2 >"$T/stuck-2.yaml"
tpod stuck host:latest 3 >"$T/stuck-3.yaml"
t_ok "stuck's shim stopped again" stop_shim "$sd"
PODNET_UPDATE_TAKE_S=2 $P apply -f "$T/stuck-2.yaml" >/dev/null 2>&1
t_is "$?" 1 "an update to host fails"
r1=$(jq -r '.containers[0].rootfs' "$sd/plan.json")
PODNET_UPDATE_TAKE_S=2 $P apply -f "$T/stuck-3.yaml" >/dev/null 2>&1
t_is "$?" 1 "and one to host:latest after it"
t_is "$(jq -c '.containers[0].supersededRootfs' "$sd/plan.json")" "[\"$r1\"]" \
	"its plan lists the first one's root file system as superseded"
cont_shim "$spid"
t_ok "continued, the shim takes the last plan" wait_for 30 taken "$sd"
t_is "$(jq -r '.containers[0].image' "$sd/plan.json")" "host:latest" "which names host:latest"
t_ok "the container runs it" wait_for 60 settled "$sd"
t_ok "the superseded root file system is released" wait_for 30 test ! -e "${r1%/rootfs}"
wait_for 30 one_rootfs "$sd"
t_match "$(gens "$sd")" "^[01]:1:0$" "one root file system mounted, the plan's (dirs:mounts:others $(gens "$sd"))"

# --- delete with the shim stopped -------------------------------------------
t_ok "stuck's shim stopped once more" stop_shim "$sd"
PODNET_UPDATE_TAKE_S=2 $P apply -f "$T/stuck-2.yaml" >/dev/null 2>&1
t_is "$?" 1 "an update while it is stopped fails (its plan left pending)"
pause=$(jq -r '.pausePid // empty' "$sd/shim.json")
start=$(date +%s)
t_is "$(rc_out $P delete pod stuck)" '0:pod "stuck" deleted' "delete stuck with its shim stopped: deleted, no warning"
took=$(($(date +%s) - start))
t_ok "within its grace period and the stop, not the stuck-shim bound ($took s < 25 s)" test $took -lt 25
# Gone once reaped: by the node's init, not at once.
t_ok "its shim is gone" wait_for 10 pid_gone "$spid"
t_ok "its pause is gone" wait_for 10 pid_gone "$pause"
STOPPED=${STOPPED/ $spid/}
t_is "$(rc_out $P delete pod other --grace-period=0)" '0:pod "other" deleted' "delete other"
t_is "$(leftovers)" "$NO_LEFTOVERS" "nothing left"
t_ok "podnet gc succeeds" $P gc
t_is "$(leftovers)" "$NO_LEFTOVERS" "nothing left after gc"

t_done
