#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `podnet apply` of a changed pod (an update) against everything else that
# changes the same pod at the same time (issue 11), in a throwaway node:
#
#   race      8 applies at once, each with its own label and one of two
#             images (host, host:latest), twice: every apply succeeds, the
#             pod ends as one of them, its shim took exactly that plan
#             (plan.json revision = shim.json planRevision), the container
#             runs that image, one generation dir and one mount are left
#   slow      an image change applied while `apply` is still starting the
#             pod (the start stalled after its root file systems, before
#             plan.json: PODNET_FAULT): the update waits for the start and
#             is then taken, not lost
#   victim    an image change and `delete` at once, at several offsets:
#             the pod ends fully gone (no row, dir, netns, lease, mount,
#             process)
#
# The pods ignore SIGTERM (sleep as PID 1), so every image change costs a
# grace period (1 s) before the new attempt; every wait is bounded.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0 --force; $P gc"

# Containers of this test sleep for $MARK seconds: the node shares the
# host's PID namespace, so only this test's own processes are counted.
MARK=$((910000 + $$))

# rpod NAME IMAGE V [NCTR]: a pod labelled v=V, NCTR (default 1)
# containers of IMAGE.
rpod() {
	local i
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, labels: { app: $1, v: "$3" } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
YAML
	for i in $(seq 1 "${4:-1}"); do
		echo "  - { name: c$i, image: \"$2\", command: [sleep, \"$MARK\"] }"
	done
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

# --- 8 updates of one pod at once ------------------------------------------
rpod race host 0 >"$T/race-0.yaml"
t_is "$(rc_out $P apply -f "$T/race-0.yaml")" "0:pod/race created" "apply race"
t_ok "race runs" wait_for 60 running race
rd=$(pod_dir race)
for round in $(seq 1 "${UPDATE_RACE_ROUNDS:-3}"); do
	pids=()
	# A gate: each apply waits for the test's lock, all go at its release.
	exec 9>"$T/gate"
	flock 9
	for v in 1 2 3 4 5 6 7 8; do
		img=host
		[ $(((v + round) % 2)) = 0 ] && img=host:latest
		rpod race "$img" "$round$v" >"$T/race-$v.yaml"
		flock -s "$T/gate" $P apply -f "$T/race-$v.yaml" >"$T/race-$v.out" 2>&1 9>&- &
		pids+=($!)
	done
	sleep 0.5
	exec 9>&-
	fails=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { fails=$((fails + 1)); sed 's/^/#   /' "$T/race-$((i + 1)).out"; }
	done
	t_is "$fails" 0 "round $round: the 8 concurrent applies all succeed (0 failed)"
	v=$($P get pod race -o jsonpath='{.metadata.labels.v}')
	t_match "$v" "^${round}[1-8]$" "round $round: the pod has the labels of one of them (v=$v)"
	want=host
	[ $(((${v#$round} + round) % 2)) = 0 ] && want=host:latest
	t_is "$($P get pod race -o jsonpath='{.spec.containers[0].image}')" "$want" \
		"round $round: and that apply's image"
	t_is "$(jq -r '.containers[0].image' "$rd/plan.json")" "$want" "round $round: the plan names that image"
	t_is "$(jq -r '.revision // "none"' "$rd/plan.json")" "$(jq -r '.planRevision // "unconfirmed"' "$rd/shim.json")" \
		"round $round: the shim took that plan (plan.json revision = shim.json planRevision)"
	t_ok "round $round: the container runs the plan's image" wait_for 60 settled "$rd"
	t_ok "round $round: the pod runs" running race
	# The last change taken, the shim released every other root file
	# system (a swap waits for the old attempt's exit: bounded wait).
	wait_for 30 one_rootfs "$rd"
	g=$(gens "$rd")
	t_match "$g" "^[01]:1:0$" "round $round: one mount, no generation dir but the plan's (dirs:mounts:others $g)"
done
rc=$($P get pod race -o jsonpath='{.status.containerStatuses[0].restartCount}')
t_ok "restartCount counts image changes taken, at most 8 a round ($rc)" test "$rc" -ge 1 -a "$rc" -le $((8 * ${UPDATE_RACE_ROUNDS:-3}))
t_is "$(rc_out $P delete pod race --grace-period=0)" '0:pod "race" deleted' "delete race"

# --- an update while the pod starts -----------------------------------------
rpod slow host 1 3 >"$T/slow-1.yaml"
rpod slow host:latest 2 3 >"$T/slow-2.yaml"
PODNET_FAULT=start.rootfs-made@3:sleep=3 $P apply -f "$T/slow-1.yaml" >"$T/slow-1.out" 2>&1 &
start_pid=$!
t_ok "slow is admitted and starting" wait_for 30 $P get pod slow
$P apply -f "$T/slow-2.yaml" >"$T/slow-2.out" 2>&1
t_is "$?:$(cat "$T/slow-2.out")" "0:pod/slow configured" "an image change during the start: configured"
wait "$start_pid"
t_is "$?:$(cat "$T/slow-1.out")" "0:pod/slow created" "the start ends: created"
sd=$(pod_dir slow)
t_is "$(jq -r '[.containers[].image] | join(",")' "$sd/plan.json")" "host:latest,host:latest,host:latest" \
	"the shim's plan has the update's image (not lost)"
t_is "$($P get pod slow -o jsonpath='{.metadata.labels.v}')" "2" "and the pod the update's label"
t_ok "the containers run it" wait_for 60 settled "$sd"
t_ok "slow runs" wait_for 60 running slow
t_is "$(rc_out $P delete pod slow --grace-period=0)" '0:pod "slow" deleted' "delete slow"
t_is "$(leftovers)" "$NO_LEFTOVERS" "nothing left of race and slow"

# --- an update racing delete -------------------------------------------------
dirty=0
for d in 0 0.05 0.1 0.2 0.4; do
	rpod victim host 1 >"$T/victim-1.yaml"
	rpod victim host:latest 2 >"$T/victim-2.yaml"
	$P apply -f "$T/victim-1.yaml" >/dev/null 2>&1 && wait_for 60 running victim || {
		dirty=1; echo "#   victim did not start"; continue; }
	$P apply -f "$T/victim-2.yaml" >"$T/upd.out" 2>&1 &
	up=$!
	sleep "$d"
	$P delete pod victim >"$T/del.out" 2>&1
	drc=$?
	wait "$up"
	urc=$?
	# The update either came first (configured) or found the pod gone
	# or going; it never re-creates what the delete removed.
	if [ $drc != 0 ]; then
		dirty=1; echo "#   delay $d: delete failed: $(cat "$T/del.out")"
	fi
	if [ $urc != 0 ] && ! grep -q 'not found' "$T/upd.out"; then
		dirty=1; echo "#   delay $d: update failed: $(cat "$T/upd.out")"
	fi
	# Anything the update made after the delete would outlive it.
	sleep 0.5
	l=$(leftovers)
	[ "$l" = "$NO_LEFTOVERS" ] || { dirty=1; echo "#   delay $d: after delete: $l"; $P delete pods --all --grace-period=0 --force >/dev/null 2>&1; $P gc >/dev/null 2>&1; }
done
t_is "$dirty" 0 "update racing delete at 5 offsets: each pod fully gone, nothing left"

t_done
