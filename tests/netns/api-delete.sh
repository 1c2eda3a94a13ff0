#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Deleting with the real kubectl, in a throwaway node: the grace period is
# honoured (Terminating meanwhile, then gone); --grace-period=0 --force
# removes at once with kubectl's warning; 20 pods whose process logs
# SIGTERM and carries on, 120 s of grace each, deleted with `delete pods
# --all`, are all signalled while all still exist (concurrently), and a
# second delete with 1 s of grace ends them early; nothing is left behind.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

stubborn() { # NAME GRACE: a pod whose process logs SIGTERM and carries on
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
    app: stubborn
spec:
  terminationGracePeriodSeconds: $2
  containers:
  - name: main
    image: host
    command: ["sh", "-c", "trap 'echo term' TERM; while :; do sleep 1; done"]
---
EOF
}

# The grace period: Terminating for about 5 s, then gone.
stubborn g 5 | k apply -f - >/dev/null
t_ok "g Ready" k wait --for=condition=Ready pod/g --timeout=120s
start=$(date +%s%N)
t_is "$(k delete pod g --wait=false)" 'pod "g" deleted' "delete --wait=false answers at once"
t_match "$(k get pod g 2>&1)" "g +1/1 +Terminating" "Terminating meanwhile"
t_ok "then gone" k wait --for=delete pod/g --timeout=120s
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_ok "after the grace period (${ms} ms, >= 4900)" test "$ms" -ge 4900

# --force: at once.
stubborn f 30 | k apply -f - >/dev/null
t_ok "f Ready" k wait --for=condition=Ready pod/f --timeout=120s
uid=$(k get pod f -o jsonpath='{.metadata.uid}')
t_match "$uid" '^[0-9a-f-]{36}$' "f's uid"
# Other nodes on this machine run shims too: ours are found by uid.
shim=$(pgrep -o -f "podnet-shim.*--pod-uid $uid")  # -o: the shim, not a child it is forking
out=$(k delete pod f --grace-period=0 --force 2>&1)
t_is "$out" "$(printf '%s\n%s' 'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.' 'pod "f" force deleted')" \
	"--grace-period=0 --force: kubectl's warning and force deleted"
t_match "$(k get pod f 2>&1)" 'pods "f" not found' "gone from the API at once"
# Dead: gone, or a zombie its parent (this machine's init: the shim
# daemonizes) has not reaped yet.
dead() { pid_gone "$1" || [[ $(ps -o stat= -p "$1") == Z* ]]; }
t_ok "its shim is gone" dead "$shim"

# 20 pods, 120 s of grace each, that say when SIGTERM comes and carry on:
# deleted together, all 20 are signalled while all 20 still exist.  One
# after the other, the second would hear SIGTERM only once the first was
# gone, so this needs no clock.  Then a second delete with 1 s of grace
# brings their SIGKILL forward, as with kube-apiserver.
for i in $(seq 1 20); do stubborn s$i 120; done | k apply -f - >/dev/null
t_ok "20 pods Ready" k wait --for=condition=Ready pods -l app=stubborn --timeout=300s
uids=$(k get pods -o jsonpath='{.items[*].metadata.uid}')
t_is "$(echo $uids | wc -w)" "20" "their uids"
out=$(k delete pods --all --wait=false)
t_is "$(echo "$out" | grep -c 'deleted$')" "20" "delete pods --all --wait=false: 20 deleted"
# Every log says "term" (a gone pod's log is a 404, and the loop goes on).
all_termed() {
	local i
	for i in $(seq 1 20); do
		kcurl -f "$API/api/v1/namespaces/default/pods/s$i/log" 2>/dev/null | grep -qx term || return 1
	done
}
for _ in $(seq 1 300); do all_termed && break; sleep 0.2; done
t_ok "all 20 heard SIGTERM while all 20 still existed: concurrently" all_termed
t_is "$(k get pods -l app=stubborn --no-headers | grep -c ' Terminating ')" "20" "all 20 Terminating"
out=$(k delete pods --all --grace-period=1)
t_is "$(echo "$out" | grep -c 'deleted$')" "20" "delete again with --grace-period=1: 20 deleted, waited for"
t_is "$(k get pods 2>&1)" "No resources found in default namespace." "none left in the API"
t_is "$($P get pods 2>&1)" "No resources found in default namespace." "none left in the store"
t_is "$(ip netns list | grep -c cni-)" "0" "no pod network namespace left"
left=0
for u in $uids; do pgrep -f "podnet-shim.*--pod-uid $u" >/dev/null && left=$((left + 1)); done
t_is "$left" "0" "no shim of theirs left"
t_done
