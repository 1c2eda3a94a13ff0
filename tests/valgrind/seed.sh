#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed scenario once, in a throwaway node, with podnet, podnet-shim
# and the CNI plugins (podnet-bridge, podnet-ipam) all under valgrind
# (tests/valgrind/lib.sh): apply Pod1 (c1, c2 sleep; c3 nginx) and Pod2
# (c4 nginx), get -o wide, exec, logs, the node tools, a NetworkPolicy, a
# Service over pods with httpGet readiness probes, delete; podnet-ipam
# ADD/DEL directly.  Run by tests/valgrind/run.sh, which reads the logs.
. "$(dirname "$0")/../netns/lib.sh"
node_enter "$@"
. "$(dirname "$0")/lib.sh"

on_cleanup "$P delete pod pod1 pod2"

t_ok "apply pod1 and pod2" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
wide=$($P get pods -o wide)
echo "$wide" | sed 's/^/# /'
t_match "$(echo "$wide" | grep '^pod1 ')" "^pod1 +3/3 +Running +0 " "pod1: 3/3 Running"
t_match "$(echo "$wide" | grep '^pod2 ')" "^pod2 +1/1 +Running +0 " "pod2: 1/1 Running"
ip2=$($P get pod pod2 -o jsonpath='{.status.podIP}')
t_match "$ip2" "^10\.244\.[0-9]+\.[0-9]+$" "pod2's IP ($ip2)"
t_match "$($P exec pod1 -c c1 -- curl -sS --max-time 10 localhost:80)" "Welcome to nginx" \
	"exec: c1's localhost:80 is c3's nginx"
t_is "$($P exec pod1 -c c1 -- curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://$ip2:80)" "200" \
	"exec: pod1 -> pod2: HTTP 200"
t_ok "logs pod2 -c c4" $P logs pod2 -c c4
t_ok "logs pod1 -c c3" $P logs pod1 -c c3
# The node tools and views, read-only, once each.
pid3=$($P inspect c3 | jq -r .info.pid)
for cmd in "describe pod pod1" "get pods -o yaml" "get pod pod2 -o json" "pods" "ps" \
	"inspectp pod1" "netns" "graph" "ip pod1 addr" "ss pod1 -t -l" "pid2pod $pid3" \
	"probe pod1 $ip2:80 --tcp" "doctor pod1" "info" "images"; do
	# shellcheck disable=SC2086
	t_ok "podnet $cmd" $P $cmd
done
# A NetworkPolicy (nftables through libnftables) and a Service over two
# pods whose httpGet readiness probes the shim runs through libcurl, its
# endpoints following readiness (the shim runs podnet sync).
t_ok "apply a NetworkPolicy" $P apply -f "$ROOT/examples/netpol-allow-pod1.yaml"
t_is "$($P exec pod1 -c c1 -- curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://$ip2:80)" "200" \
	"pod1 -> pod2 allowed by it: HTTP 200"
t_ok "netpol explains a flow" $P netpol explain pod1 pod2:80
t_ok "apply a Service and its two pods" $P apply -f "$ROOT/examples/web-service.yaml"
on_cleanup "$P delete pod web-1 web-2"
for i in $(seq 1 120); do
	[ "$($P get endpointslices -o json | jq '[.items[].endpoints[]? | select(.conditions.ready)] | length')" = 2 ] && break
	sleep 1
done
t_is "$($P get endpointslices -o json | jq '[.items[].endpoints[]? | select(.conditions.ready)] | length')" "2" \
	"both web pods ready (httpGet probes) and in the Service's endpoints"
t_ok "describe service web" $P describe service web
t_ok "delete the Service, the NetworkPolicy and the web pods" \
	$P delete service/web networkpolicy/allow-pod1-to-pod2 pod/web-1 pod/web-2
t_ok "delete pod1 pod2" $P delete pod pod1 pod2
# podnet-bridge runs podnet-ipam in-process: its own binary once, directly.
pod_add vgpod
on_cleanup "ip netns del vgpod"
printf '%s\n' '{"cniVersion":"1.0.0","name":"vgnet","type":"podnet-bridge",' \
	'"ipam":{"type":"podnet-ipam","ranges":[[{"subnet":"10.99.0.0/24"}]]}}' >"$T/ipam.conf"
cni "$B/podnet-ipam" ADD vg1 /run/netns/vgpod eth0 "$T/ipam.conf"
t_is "$CNI_RC:$(jq -r '.ips[0].address' "$T/out")" "0:10.99.0.2/24" "podnet-ipam ADD: 10.99.0.2/24"
cni "$B/podnet-ipam" DEL vg1 /run/netns/vgpod eth0 "$T/ipam.conf"
t_is "$CNI_RC:$(leases vgnet)" "0:0" "podnet-ipam DEL: no lease left"
# delete returns once each pod's shim has exited (under valgrind, whose
# 3.19 lacks pidfd_open, by polling the shim's lock).
vg_no_shim_left
t_is "$(count -m '^cni-' ip netns list)" "0" "no netns pin left"
t_is "$(leases podnet)" "0" "no lease left"
t_done
