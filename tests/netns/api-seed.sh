#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed's workflow typed into the real kubectl, against podnetd, in a
# throwaway node:
#
#   kubectl ---HTTPS---> podnetd ---runtime---> pod1 (c1 c2 c3) pod2 (c4)
#                           |                      \        /
#                       state.db  <--- podnet ---   podnet0 bridge, eth0 192.0.2.10
#
# Checks the seed's commands verbatim (get pods -o wide, the podIP by
# jsonpath, exec -c ... -- ip addr / curl localhost:80 / curl pod2,
# get networkpolicy --all-namespaces), that the API and the CLI share one
# set of pods both ways, that hostIP is the node's address, and that
# restarting or stopping podnetd touches no pod.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2 pod3 --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

t_is "$(k apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml")" \
	"$(printf 'pod/pod1 created\npod/pod2 created')" "kubectl apply creates pod1 and pod2"
t_ok "both become Ready" k wait --for=condition=Ready pod/pod1 pod/pod2 --timeout=120s

wide=$(k get pods -o wide)
echo "$wide" | sed 's/^/# /'
node=$(hostname | tr A-Z a-z)
t_match "$(echo "$wide" | head -1)" "^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$" \
	"kubectl get pods -o wide: kube-apiserver's columns"
t_match "$(echo "$wide" | grep '^pod1 ')" "^pod1 +3/3 +Running +0 +[0-9]+s +10\.244\.[0-9]+\.[0-9]+ +$node +<none> +<none>$" \
	"pod1: 3/3 Running on this node"
t_match "$(echo "$wide" | grep '^pod2 ')" "^pod2 +1/1 +Running +0 +[0-9]+s +10\.244\." "pod2: 1/1 Running"

POD2_IP=$(k get pod pod2 -o jsonpath='{.status.podIP}')
POD1_IP=$(k get pod pod1 -o jsonpath='{.status.podIP}')
t_match "$POD2_IP" '^10\.244\.[0-9]+\.[0-9]+$' "kubectl get pod pod2 -o jsonpath='{.status.podIP}': $POD2_IP"
t_is "$(k get pod pod1 -o jsonpath='{.status.hostIP}')" "$NODE_IP" "hostIP is the node's address"
t_is "$(k get pod pod1 -o jsonpath='{.spec.nodeName}')" "$node" "nodeName is the node"

t_match "$(k exec pod1 -c c2 -- ip addr)" "inet $POD1_IP/" "kubectl exec pod1 -c c2 -- ip addr: eth0 with pod1's IP"
t_match "$(k exec pod1 -c c1 -- curl -s localhost:80)" "Welcome to nginx" \
	"kubectl exec pod1 -c c1 -- curl localhost:80: c3's nginx"
# curl -v's trace is on stderr, the page on stdout: the two streams are
# relayed apart and may interleave mid-line, so the trace is read alone.
out=$(k exec pod1 -c c1 -- curl -v http://$POD2_IP:80 2>&1 >/dev/null)
t_match "$out" "< HTTP/1.1 200 OK" "kubectl exec pod1 -c c1 -- curl -v http://\$POD2_IP:80: 200 from pod2"
t_is "$(k get networkpolicy --all-namespaces 2>&1)" "No resources found" \
	"kubectl get networkpolicy --all-namespaces: served, none"

# One set of pods: the CLI sees the API's, the API sees the CLI's.
t_match "$($P get pods)" "pod1 +3/3 +Running" "podnet get pods shows the pod kubectl made"
sed 's/pod2/pod3/g' "$ROOT/examples/pod2.yaml" >"$T/pod3.yaml"
t_is "$($P apply -f "$T/pod3.yaml")" "pod/pod3 created" "podnet apply makes pod3"
t_ok "kubectl sees pod3 Ready" k wait --for=condition=Ready pod/pod3 --timeout=120s
t_match "$(k get pod pod3 -o wide)" "pod3 +1/1 +Running" "kubectl get pod pod3"

# Restarting podnetd touches no pod.  (Other nodes on this machine run
# shims too: ours are found by their pods' uids.)
shims() {
	local u
	for u in $(k get pods -o jsonpath='{.items[*].metadata.uid}'); do
		pgrep -o -f "podnet-shim.*--pod-uid $u"
	done | sort | tr '\n' ' '
}
pids=$(shims)
t_match "$pids" '^([0-9]+ ){3}$' "three shims: $pids"
podnetd_stop
t_ok "podnetd restarts" podnetd_start
t_is "$(shims)" "$pids" "the pods' shims are the same processes"
t_match "$(k get pods)" "pod1 +3/3 +Running" "pods still Running after the restart"
t_match "$(k exec pod1 -c c1 -- curl -s http://$POD2_IP:80)" "Welcome to nginx" "and still reach each other"

# Stopping it leaves the CLI fully working.
podnetd_stop
t_match "$($P get pods)" "pod3 +1/1 +Running" "podnet get pods without podnetd"
t_is "$($P delete pod pod3)" 'pod "pod3" deleted' "podnet delete without podnetd"
t_ok "podnetd starts again" podnetd_start
t_match "$(k get pod pod3 2>&1)" 'pods "pod3" not found' "kubectl sees the CLI's delete"
t_is "$(k delete pod pod1 pod2 --grace-period=1)" "$(printf 'pod "pod1" deleted\npod "pod2" deleted')" \
	"kubectl delete pod pod1 pod2"
t_is "$($P get pods 2>&1)" "No resources found in default namespace." "nothing left"
t_done
