#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Deleting with the real kubectl, in a throwaway node: the grace period is
# honoured (Terminating meanwhile, then gone); --grace-period=0 --force
# removes at once with kubectl's warning; 20 pods whose process ignores
# SIGTERM, 2 s of grace each, deleted with `delete pods --all`, stop
# concurrently (one grace period and the teardowns, well under the 40 s one
# after the other would take); nothing is left behind.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

stubborn() { # NAME GRACE: a pod whose process ignores SIGTERM
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
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
---
EOF
}

# The grace period: Terminating for about 5 s, then gone.
stubborn g 5 | k apply -f - >/dev/null
t_ok "g Ready" k wait --for=condition=Ready pod/g --timeout=30s
start=$(date +%s%N)
t_is "$(k delete pod g --wait=false)" 'pod "g" deleted' "delete --wait=false answers at once"
t_match "$(k get pod g 2>&1)" "g +1/1 +Terminating" "Terminating meanwhile"
t_ok "then gone" k wait --for=delete pod/g --timeout=30s
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_ok "after the grace period (${ms} ms, >= 4900)" test "$ms" -ge 4900

# --force: at once.
stubborn f 30 | k apply -f - >/dev/null
t_ok "f Ready" k wait --for=condition=Ready pod/f --timeout=30s
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

# 20 pods, 2 s grace each, ignoring SIGTERM: one grace period, not twenty.
for i in $(seq 1 20); do stubborn s$i 2; done | k apply -f - >/dev/null
t_ok "20 pods Ready" k wait --for=condition=Ready pods -l app=stubborn --timeout=120s
uids=$(k get pods -o jsonpath='{.items[*].metadata.uid}')
t_is "$(echo $uids | wc -w)" "20" "their uids"
start=$(date +%s%N)
out=$(k delete pods --all)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$(echo "$out" | grep -c 'deleted$')" "20" "delete pods --all: 20 deleted"
# One after the other they would take 20 grace periods (40 s) at least.
t_ok "all 20 stopped in ${ms} ms (< 30000): concurrently" test "$ms" -lt 30000
t_is "$(k get pods 2>&1)" "No resources found in default namespace." "none left in the API"
t_is "$($P get pods 2>&1)" "No resources found in default namespace." "none left in the store"
t_is "$(ip netns list | grep -c cni-)" "0" "no pod network namespace left"
left=0
for u in $uids; do pgrep -f "podnet-shim.*--pod-uid $u" >/dev/null && left=$((left + 1)); done
t_is "$left" "0" "no shim of theirs left"
t_done
