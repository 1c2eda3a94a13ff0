#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed scenario through the Kubernetes API once, in a throwaway node,
# with podnetd, the shims it starts and the CNI plugins under valgrind
# (tests/valgrind/lib.sh): the real kubectl applies Pod1 and Pod2, waits
# for them, gets them -o wide, execs (a WebSocket stream), reads logs,
# deletes them; podnetd is then stopped (SIGTERM), so its log has its leak
# summary.  Run by tests/valgrind/run.sh, which reads the logs.
. "$(dirname "$0")/../netns/lib.sh"
node_enter "$@"
. "$(dirname "$0")/lib.sh"

on_cleanup "$P delete pod pod1 pod2 --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start
t_ok "kubectl apply pod1 and pod2" k apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
t_ok "both become Ready" k wait --for=condition=Ready pod/pod1 pod/pod2 --timeout=180s
wide=$(k get pods -o wide)
echo "$wide" | sed 's/^/# /'
t_match "$(echo "$wide" | grep '^pod1 ')" "^pod1 +3/3 +Running +0 " "pod1: 3/3 Running"
ip2=$(k get pod pod2 -o jsonpath='{.status.podIP}')
t_match "$ip2" "^10\.244\.[0-9]+\.[0-9]+$" "pod2's IP ($ip2)"
t_match "$(k exec pod1 -c c1 -- curl -sS --max-time 10 localhost:80)" "Welcome to nginx" \
	"kubectl exec: c1's localhost:80 is c3's nginx"
t_is "$(k exec pod1 -c c1 -- curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://$ip2:80)" "200" \
	"kubectl exec: pod1 -> pod2: HTTP 200"
t_ok "kubectl logs pod2" k logs pod2
t_ok "kubectl describe pod pod1" k describe pod pod1
t_ok "kubectl delete pod1 pod2" k delete pod pod1 pod2 --timeout=180s
vg_no_shim_left
podnetd_stop
t_is "$(count -m '^cni-' ip netns list)" "0" "no netns pin left"
t_done
