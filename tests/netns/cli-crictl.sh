#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# crictl's views of podnet's pods (issue 10, "crictl parity"), in a
# throwaway node:
#
#   crash (OnFailure, prints "boom", exits 3): attempt 0 exits, attempt 1 starts
#          at once and exits, then a 10 s back-off.  During the back-off crictl
#          sees two containers with two IDs (ATTEMPT 0 and 1), the latest
#          EXITED with exit code 3 and a finishedAt; logs by each ID.
#   pod1  (examples/pod1.yaml, three running containers, label app=pod1)
#          ps --label/--state/-v/-o json (podSandboxId), pods
#          --name/--namespace/--label/--state, inspect's RFC 3339 times and
#          info.runtimeSpec.
#   hn    (hostNetwork)  status.hostIP and a hostNetwork pod's podIP are the
#          node's address (a veth "eth0" 192.0.2.10 holding the default route)
. "$(dirname "$0")/lib.sh"
node_enter "$@"
t_ok "the node has an uplink address" node_nic

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0 --force"

RFC3339='^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]*[1-9])?Z$'

cat >"$T/crash.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: crash }
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c, image: host, command: [sh, -c, 'echo boom; exit 3'] }
YAML
t_ok "apply crash" $P apply -f "$T/crash.yaml"
backoff() { [ "$($P get pod crash -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')" = CrashLoopBackOff ]; }
for _ in $(seq 600); do backoff && break; sleep 0.1; done
t_ok "crash is in its back-off" backoff

ps=$($P ps -a --name '^c$' -o json)
t_is "$(echo "$ps" | jq -r '[.containers[] | .metadata.attempt] | sort | map(tostring) | join(",")')" "0,1" \
	"ps -a: one container per attempt (ATTEMPT 0 and 1)"
id0=$(echo "$ps" | jq -r '.containers[] | select(.metadata.attempt == 0) | .id')
id1=$(echo "$ps" | jq -r '.containers[] | select(.metadata.attempt == 1) | .id')
t_match "$id0 $id1" '^[0-9a-f]{64} [0-9a-f]{64}$' "each attempt has a 64-hex ID"
t_ok "and they differ (a restart is a new container)" test "$id0" != "$id1"
t_is "$(echo "$ps" | jq -r '[.containers[].state] | unique | join(",")')" "CONTAINER_EXITED" "both EXITED during the back-off"
t_match "$($P ps -a --name '^c$' | sed -n 2p)" "^${id1:0:13} +host +.* +Exited +c +1 +[0-9a-f]{13} +crash$" "the table: the latest attempt first, ATTEMPT 1"
in=$($P inspect "${id1:0:12}")
t_is "$(echo "$in" | jq -r '.status.state, .status.exitCode, .status.reason, .status.metadata.attempt' | tr '\n' ' ')" \
	"CONTAINER_EXITED 3 Error 1 " "inspect during the back-off: the exited attempt, exit code 3 (kubectl's lastState)"
t_match "$(echo "$in" | jq -r .status.finishedAt)" "$RFC3339" "finishedAt is an RFC 3339 time"
t_is "$($P inspect c | jq -r .status.id)" "$id1" "inspect by name: the latest attempt"
t_is "$($P get pod crash -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')" "3" "kubectl's lastState agrees: exit code 3"
t_is "$($P logs "$id1")" "boom" "logs CONTAINER-ID (crictl logs) of attempt 1"
t_is "$($P logs "${id0:0:16}")" "boom" "logs of attempt 0 by an ID prefix"
t_match "$(rc_out $P logs 0123456789abcdef)" '^1:Error from server \(NotFound\): pods "0123456789abcdef" not found$' "an ID of no container: the pod lookup's NotFound"
t_is "$($P ps --state exited -q | sort | tr '\n' ' ')" "$(printf '%s\n' "$id0" "$id1" | sort | tr '\n' ' ')" "ps --state exited -q: both attempts"
t_is "$(rc_out $P ps --state sleeping)" "1:error: --state should be one of created, running, exited or unknown" "ps --state of no state: crictl's message"

# --- a running pod ----------------------------------------------------------
t_ok "apply pod1" $P apply -f "$ROOT/examples/pod1.yaml"
for _ in $(seq 600); do [ "$($P ps --label io.kubernetes.pod.name=pod1 -q | wc -l)" = 3 ] && break; sleep 0.1; done
t_is "$($P ps --label io.kubernetes.pod.name=pod1 -q | wc -l)" "3" "ps --label io.kubernetes.pod.name=pod1: its three containers"
t_empty "ps --label of no container: nothing" $P ps -q --label io.kubernetes.pod.name=nope
t_is "$($P ps --state running --name 'c[12]' -o json | jq -r '[.containers[].metadata.name] | sort | join(",")')" "c1,c2" "ps --state running --name 'c[12]'"
sandbox=$($P inspectp pod1 | jq -r .status.id)
t_is "$($P ps -o json --label io.kubernetes.pod.name=pod1 | jq -r '[.containers[].podSandboxId] | unique | join(",")')" "$sandbox" \
	"ps -o json carries podSandboxId (inspectp's status.id)"
t_match "$($P ps -v --name '^c1$')" $'^ID: [0-9a-f]{13}\nName: c1\nAttempt: 0\nState: CONTAINER_RUNNING\nImage: host\nCreated: .* ago\nLabels:\n\tio.kubernetes.container.name -> c1\n' \
	"ps -v: crictl's verbose form"
t_is "$($P pods --name '^pod1$' -q)" "$sandbox" "pods --name"
t_is "$($P pods --namespace '^default$' --label app=pod1 -q)" "$sandbox" "pods --namespace --label"
t_empty "pods --label app=nope: nothing" $P pods -q --label app=nope
t_is "$($P pods --state ready -q | grep -c "$sandbox")" "1" "pods --state ready lists pod1"
t_empty "pods --state notready --name pod1: nothing" $P pods -q --state notready --name pod1
t_is "$(rc_out $P pods --state asleep)" "1:error: --state should be ready or notready" "pods --state of no state: crictl's message"

c1=$($P inspect c1)
t_match "$(echo "$c1" | jq -r .status.createdAt)" "$RFC3339" "inspect: createdAt RFC 3339"
t_match "$(echo "$c1" | jq -r .status.startedAt)" "$RFC3339" "inspect: startedAt RFC 3339"
t_is "$(echo "$c1" | jq -r .status.finishedAt)" "0001-01-01T00:00:00Z" "inspect: an unset finishedAt is Go's zero time, as crictl prints it"
t_is "$(echo "$c1" | jq -r '.info.runtimeSpec.process.args | join(" ")')" "sleep infinity" "inspect: info.runtimeSpec is the container's OCI spec"
t_match "$(echo "$c1" | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path')" '^/proc/[0-9]+/ns/net$' \
	"info.runtimeSpec joins the pause's network namespace"
t_match "$($P inspectp pod1 | jq -r .status.createdAt)" "$RFC3339" "inspectp: createdAt RFC 3339"

# --- status: the node's address, as kubelet reports it ----------------------
t_is "$($P get pod pod1 -o jsonpath='{.status.hostIP}')" "$NODE_IP" "status.hostIP is the node's address (it was the bridge's gateway)"
cat >"$T/hn.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: hn }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers: [ { name: h, image: host, command: [sleep, infinity] } ]
YAML
t_ok "apply a hostNetwork pod" $P apply -f "$T/hn.yaml"
t_is "$($P get pod hn -o jsonpath='{.status.podIP} {.status.podIPs[0].ip} {.status.hostIP}')" "$NODE_IP $NODE_IP $NODE_IP" \
	"a hostNetwork pod's podIP is the node's address, as in Kubernetes"
t_match "$($P get pod hn -o wide --no-headers)" "^hn +1/1 +Running +0 +[0-9]+s +${NODE_IP//./\\.} " "get -o wide shows it in IP"
t_done
