#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reading with the real kubectl, in a throwaway node: get -w through a
# pod's life (Pending, Running, Terminating), selectors (set-based labels,
# field selectors), -o custom-columns, --sort-by, --show-labels, describe
# pod with the events kubelet would record (Scheduled, Pulled, Created,
# Started, Killing, BackOff), get nodes -o wide, get events.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod a b crash --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

pod() { # NAME APP CMD...
	local name=$1 app=$2
	shift 2
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  labels:
    app: $app
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: host
    command: [$(printf '"%s",' "$@" | sed 's/,$//')]
EOF
}

# get -w sees the pod go Pending -> Running -> Terminating -> gone.
k get pods -w >"$T/watch.out" 2>&1 &
watcher=$!
_bg_pids+=("$watcher")
# Its watch is in place once podnetd has logged it (it lists first).
for _ in $(seq 1 300); do grep -q 'GET /api/v1/namespaces/default/pods?.*watch=true' "$T/podnetd.log" && break; sleep 0.1; done
pod a web sleep infinity | k apply -f - >/dev/null
t_ok "pod a Ready" k wait --for=condition=Ready pod/a --timeout=120s
k delete pod a --wait=false >/dev/null
t_ok "pod a gone" k wait --for=delete pod/a --timeout=120s
# kubectl prints the deletion (a's last line, Terminating) when its watch
# has it: wait for that line, not for a while.
for _ in $(seq 1 600); do awk '$1 == "a" && $3 == "Terminating"' "$T/watch.out" | grep -q . && break; sleep 0.2; done
kill "$watcher"
sed 's/^/# /' "$T/watch.out"
states=$(awk '$1 == "a" { print $3 }' "$T/watch.out" | uniq | tr '\n' ' ')
t_match "$states" "^(Pending )?(ContainerCreating )?Running Terminating" \
	"get -w: Pending/ContainerCreating, Running, Terminating ($states)"

# Selectors and output forms.
pod a web sleep infinity | k apply -f - >/dev/null
pod b db sleep infinity | k apply -f - >/dev/null
t_ok "a and b Ready" k wait --for=condition=Ready pod/a pod/b --timeout=120s
t_is "$(k get pods -l 'app in (web,cache)' -o name)" "pod/a" "-l 'app in (web,cache)'"
t_is "$(k get pods -l 'app notin (web)' -o name)" "pod/b" "-l 'app notin (web)'"
t_is "$(k get pods -l '!app' 2>&1)" "No resources found in default namespace." "-l '!app'"
t_is "$(k get pods --field-selector metadata.name=b -o name)" "pod/b" "--field-selector metadata.name=b"
t_is "$(k get pods --field-selector status.phase=Running,metadata.name!=a -o name)" "pod/b" \
	"--field-selector status.phase=Running,metadata.name!=a"
t_is "$(k get pods -o custom-columns=NAME:.metadata.name,APP:.metadata.labels.app,HOST:.status.hostIP)" \
	"$(printf 'NAME   APP   HOST\na      web   %s\nb      db    %s' $NODE_IP $NODE_IP)" "-o custom-columns"
t_is "$(k get pods --sort-by=.metadata.labels.app -o name | tr '\n' ' ')" "pod/b pod/a " "--sort-by a label"
t_match "$(k get pods --show-labels | grep '^a ')" "app=web$" "--show-labels"

# describe pod: the events kubelet records.
ev=$(k describe pod a)
echo "$ev" | sed -n '/^Events:/,$p' | sed 's/^/# /'
for r in Scheduled Pulled Created Started; do
	t_match "$ev" "Normal +$r +[0-9a-z]+ +" "describe pod: $r event"
done
t_match "$ev" "Successfully assigned default/a to $(hostname | tr A-Z a-z)" "Scheduled's message"
t_match "$ev" "Started container main" "Started's message"

# A crash loop: BackOff, restarts, and the Table's RESTARTS column.
pod crash crash sh -c 'echo dying; exit 3' | k apply -f - >/dev/null
for i in $(seq 1 300); do
	k get pod crash -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null |
		grep -q CrashLoopBackOff && break
	sleep 0.2
done
t_match "$(k get pod crash)" "crash +0/1 +CrashLoopBackOff +[1-9]" "get pod: CrashLoopBackOff with restarts"
t_match "$(k describe pod crash)" "Warning +BackOff +.*Back-off restarting failed container main" "describe: BackOff"
t_match "$(k get events --field-selector involvedObject.name=crash)" "BackOff" "get events --field-selector"
t_match "$(k logs crash --previous)" "^dying$" "logs --previous of the last run"

# Killing on delete.
k delete pod a >/dev/null
t_match "$(k get events --field-selector involvedObject.name=a,reason=Killing -o jsonpath='{.items[0].message}')" \
	"^Stopping container main$" "Killing recorded on delete"

# The node.
nodes=$(k get nodes -o wide)
echo "$nodes" | sed 's/^/# /'
t_match "$(echo "$nodes" | head -1)" "^NAME +STATUS +ROLES +AGE +VERSION +INTERNAL-IP +EXTERNAL-IP +OS-IMAGE +KERNEL-VERSION +CONTAINER-RUNTIME$" \
	"get nodes -o wide: kube-apiserver's columns"
t_match "$(echo "$nodes" | tail -1)" "^$(hostname | tr A-Z a-z) +Ready +<none> +[0-9a-z]+ +v1\.32\.0-podnet +$NODE_IP +<none> " \
	"this node: Ready, its address"
t_is "$(k get node -o jsonpath='{.items[0].spec.podCIDR}')" "10.244.0.0/16" "podCIDR: the pod network"
t_done
