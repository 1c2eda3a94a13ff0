#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `podnet probe` and `podnet doctor` in a throwaway node:
#
#   pod1 (C1 sleep, C2 sleep, C3 nginx :80)   pod2 (C4 nginx :80)   idle (sleep only)
#        eth0 10.244.0.x                           eth0 10.244.0.y        eth0 10.244.0.z
#          |  veth                                   |  veth                |  veth
#   ------ podnet0 10.244.0.1/16 (node bridge, nft ip podnet-podnet masquerade) ------
#   node:  lo 10.99.0.1/32  (an address outside the pod subnet, inside this node)
#
# probe: connected / HTTP 200 / echo reply; refused (no listener); timed out
# (an unused IP of the subnet; a drop rule in pod2's own netns); no route
# (pod1 without default route to 10.99.0.1); exit codes 0/1.
# doctor: a healthy path is all ✅ (exit 0); then each fault of the catalogue
# is injected, named by its exact line (exit 1), and restored.
# No packet leaves the namespaces this test creates.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2 idle"

cat >"$T/idle.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: idle
spec:
  containers:
  - name: sh
    image: host
    command: ["sleep", "infinity"]
YAML
t_ok "apply pod1, pod2, idle" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml" -f "$T/idle.yaml"
ip1=$($P get pod pod1 -o jsonpath='{.status.podIP}')
ip2=$($P get pod pod2 -o jsonpath='{.status.podIP}')
# The pods' netns names, as the sandbox records them (inspectp).
ns_of() { basename "$($P inspectp "$1" | jq -r '.info.runtimeSpec.linux.namespaces[0].path')"; }
NS1=$(ns_of pod1) NS2=$(ns_of pod2) NSI=$(ns_of idle)
t_match "$NS2" "^cni-" "pod2's netns found ($NS2)"
# nginx starts after apply returns: wait (bounded) for both.
for i in $(seq 1 8); do wait_listen "$NS2" 80 && wait_listen "$NS1" 80 && break; done
t_ok "nginx listens in pod1" wait_listen "$NS1" 80
t_ok "nginx listens in pod2" wait_listen "$NS2" 80
# pod2's host veth: the node-side peer of its eth0 (eth0@ifN).
peer=$(ip -n "$NS2" -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
HV2=$(ip -o link show | awk -F': ' -v i="$peer" '$1 == i { sub(/@.*/, "", $2); print $2 }')
t_match "$HV2" "^veth[0-9a-f]+$" "pod2's host veth ($HV2)"

# ---------------------------------------------------------------- probe
out=$($P probe pod1 pod2:80); rc=$?
t_match "$out" "^tcp $ip2:80 from pod1: connected in [0-9.]+(µs|ms)$" "probe tcp: connected ($out)"
t_is "$rc" 0 "probe tcp success: exit 0"
out=$($P probe pod1 pod2 --http)
t_match "$out" "^http $ip2:80 from pod1: HTTP/1.1 200 OK, [0-9]+ bytes in " "probe --http: status line and bytes ($out)"
out=$($P probe pod1 pod2); rc=$?
t_match "$out" "^icmp $ip2 from pod1: echo reply in .* \((raw|ping) socket\)$" "probe icmp from a pod ($out)"
out=$($P probe node default/pod2 --icmp); rc=$?
t_match "$out" "^icmp $ip2 from node: echo reply in " "probe icmp from the node, namespace/pod target"
# localhost is the pod itself (its containers share one loopback), never
# a pod named "localhost"; c3's nginx answers there.
out=$($P probe pod1 localhost:80); rc=$?
t_match "$out" "^tcp 127.0.0.1:80 from pod1: connected in " "probe localhost:80: pod1's own loopback ($out)"
t_is "$rc" 0 "probe localhost: exit 0"
out=$($P probe pod1 "$ip1:80" -n default); rc=$?
t_match "$out" "^tcp $ip1:80 from pod1: connected in " "probe pod1 -> its own IP"
out=$($P probe "$ip1" pod2:80); rc=$?
t_match "$out" "^tcp $ip2:80 from $ip1: connected in " "probe FROM an address: the pod that has it"
out=$($P probe pod1 "$ip2:81"); rc=$?
t_is "$out" "tcp $ip2:81 from pod1: refused" "probe: port without listener is refused"
t_is "$rc" 1 "refused: exit 1"
out=$($P probe pod1 pod2:53 --udp); rc=$?
t_match "$out" "^udp $ip2:53 from pod1: refused" "probe --udp: ICMP port unreachable is refused ($out)"
t_is "$rc" 1 "udp refused: exit 1"
out=$($P probe pod1 10.244.255.254:80 --timeout 1s); rc=$?
t_is "$out" "tcp 10.244.255.254:80 from pod1: timed out after 1s" "probe: an IP of the subnet nobody has times out"
t_is "$rc" 1 "timeout: exit 1"
ip netns exec "$NS2" nft -f - <<'NFT'
table inet probe-drop {
	chain input { type filter hook input priority 0; policy accept; tcp dport 80 drop; }
}
NFT
out=$($P probe pod1 pod2:80 --timeout 500ms); rc=$?
t_is "$out" "tcp $ip2:80 from pod1: timed out after 500ms" "probe: a drop rule in pod2's netns times out"
t_is "$rc" 1 "dropped: exit 1"
ip netns exec "$NS2" nft delete table inet probe-drop
ip addr add 10.99.0.1/32 dev lo
out=$($P probe pod1 10.99.0.1:80); rc=$?
t_is "$out" "tcp 10.99.0.1:80 from pod1: refused" "probe: the node's 10.99.0.1 is reached through the default route (refused)"
ip -n "$NS1" route del default
out=$($P probe pod1 10.99.0.1:80); rc=$?
t_match "$out" "^tcp 10\.99\.0\.1:80 from pod1: no route to host" "probe: without default route, no route to host ($out)"
t_is "$rc" 1 "no route: exit 1"
ip -n "$NS1" route add default via 10.244.0.1 dev eth0
t_notok "probe: unknown pod is an error" $P probe pod1 nosuchpod:80
t_notok "probe: tcp without port is a usage error" $P probe pod1 pod2 --tcp

# ---------------------------------------------------------------- doctor
# has LINE-REGEX: the doctor output ($out) has a line matching it.
has() {
	if grep -qE -- "$1" <<<"$out"; then
		t_pass "$2"; grep -E -- "$1" <<<"$out" | head -1 | sed 's/^/#   /'
	else
		t_fail "$2"; sed 's/^/#   /' <<<"$out"
	fi
}
# fault NAME REGEX CMD...: run doctor CMD, expect exit 1 and the line.
fault() {
	local name=$1 re=$2; shift 2
	out=$("$@"); local rc=$?
	t_is "$rc" 1 "doctor fails on: $name"
	has "$re" "doctor names it: $name"
}

out=$($P doctor pod1 --to pod2:80); rc=$?
t_is "$rc" 0 "healthy path pod1 -> pod2:80: exit 0"
t_is "$(grep -cE '^(❌|⚠️)' <<<"$out")" 0 "healthy: no ❌ or ⚠️ line"
has "^✅ pod2 listener: 0\.0\.0\.0:80/tcp listens in pod2 \(nginx" "healthy: nginx on 0.0.0.0:80 found"
has "^✅ pod1 probe: http $ip2:80 from pod1: HTTP/1\.1 200 OK" "healthy: HTTP probe line"
has "^✅ node policy: no NetworkPolicy on this node" "healthy: NetworkPolicy verdict"
has "^✅ pod2 ip: $ip2: in state, on eth0, in the CNI cache, leased$" "healthy: IP consistent everywhere"
echo "$out" | sed 's/^/# /'
out=$($P doctor); rc=$?
t_is "$rc" 0 "healthy node: doctor without arguments exits 0"
has "^✅ node cni config: .*/10-podnet\.conflist: network podnet, cniVersion 1\.1\.0, 1 plugin$" \
	"podnet picks 1.1.0 from the default list's cniVersions"
has "^✅ node status: network podnet ready \(CNI STATUS\)$" "and so runs CNI STATUS"
echo "$out" | sed 's/^/# /'
t_is "$($P doctor pod1 --to pod2:80 -o json | jq -r '.ok, .failed')" "$(printf 'true\n0')" "-o json: ok, 0 failed"

# 1. no listener at all
fault "no listener" "^❌ idle listener: nothing listens on any TCP port in idle" $P doctor pod1 --to idle:80
has "^❌ pod1 probe: (tcp|http) [0-9.]+:80 from pod1: refused" "and the probe says refused"
# 2. listener on 127.0.0.1 only
bg ip netns exec "$NSI" busybox httpd -f -p 127.0.0.1:8081 -h "$T"
lpid=${_bg_pids[-1]}
t_ok "busybox httpd listens on 127.0.0.1:8081 in idle" wait_listen "$NSI" 8081
fault "listener on 127.0.0.1 only" "^❌ idle listener: only 127\.0\.0\.1:8081/tcp \(busybox, pid [0-9]+\) listens on port 8081 in idle: a loopback listener" \
	$P doctor pod1 --to idle:8081
kill "$lpid"; wait "$lpid" 2>/dev/null
# 3. wrong port
fault "wrong port" "^❌ pod2 listener: nothing listens on port 8080 in pod2 \(wrong port\?\); it listens on 80/tcp" \
	$P doctor pod1 --to pod2:8080
# 4. pod eth0 down
ip -n "$NS2" link set eth0 down
fault "pod eth0 down" "^❌ pod2 eth0: eth0 is down in pod2 \($NS2\)" $P doctor pod2
ip -n "$NS2" link set eth0 up; ip -n "$NS2" route replace default via 10.244.0.1 dev eth0
# 5. host veth down
ip link set "$HV2" down
fault "host veth down" "^❌ pod2 host veth: $HV2 \(ifindex [0-9]+, peer of pod2's eth0\) is down" $P doctor pod2
ip link set "$HV2" up
# 6. veth detached from the bridge
ip link set "$HV2" nomaster
fault "veth detached from the bridge" "^❌ pod2 bridge port: $HV2 is not attached to any bridge \(expected podnet0\)" $P doctor pod2
ip link set "$HV2" master podnet0
# A port enslaved again is a new bridge port: not isolated, though the
# network sets portIsolation (podnet's default), and doctor says so.
fault "veth attached again without its isolation" "^❌ pod2 isolation: $HV2 is not an isolated bridge port although network podnet sets portIsolation" $P doctor pod2
bridge link set dev "$HV2" isolated on
# Entries learned meanwhile name pod2's own MAC, which isolation now refuses.
ip -n "$NS1" neigh flush dev eth0; ip -n "$NS2" neigh flush dev eth0
# 7. pod default route missing
ip -n "$NS2" route del default
fault "pod default route missing" "^❌ pod2 route: pod2 has no default route.*fix: ip -n $NS2 route add default via 10\.244\.0\.1 dev eth0" $P doctor pod2
ip -n "$NS2" route add default via 10.244.0.1 dev eth0
# 8. bridge gateway address removed
ip addr del 10.244.0.1/16 dev podnet0
fault "bridge gateway address removed" "^❌ node gateway: bridge podnet0 lacks the gateway address 10\.244\.0\.1/16" $P doctor pod2
ip addr add 10.244.0.1/16 dev podnet0
# 9. forwarding off (this node's namespace only)
sysctl -qw net.ipv4.ip_forward=0
fault "forwarding off" "^❌ node forwarding: net\.ipv4\.ip_forward = 0 on the node.*fix: sysctl -w net\.ipv4\.ip_forward=1" $P doctor pod2
sysctl -qw net.ipv4.ip_forward=1
# 10. masquerade rule flushed
nft list table ip podnet-podnet >"$T/masq.nft"
nft flush chain ip podnet-podnet postrouting
fault "masquerade rule flushed" "^❌ node masquerade: masquerade rule for 10\.244\.0\.0/16 \(network podnet\) missing in table ip podnet-podnet chain postrouting" $P doctor pod2
nft delete table ip podnet-podnet && nft -f "$T/masq.nft"
# 11. MTU mismatch between the veth ends
ip link set "$HV2" mtu 1400
fault "MTU mismatch" "^❌ pod2 mtu: MTU mismatch: eth0 1500, $HV2 1400" $P doctor pod2
ip link set "$HV2" mtu 1500
# 12. stale lease: a lease for a container that does not exist
printf 'deadbeef00000000000000000000000000000000000000000000000000000000\r\neth0' \
	>/var/lib/cni/networks/podnet/10.244.200.200
fault "stale lease" "^❌ node leases: leaked lease 10\.244\.200\.200 in network podnet: container deadbeef0000 has no pod and no CNI cache entry" $P doctor
rm -f /var/lib/cni/networks/podnet/10.244.200.200
# 13. orphan netns
ip netns add cni-00000000-0000-4000-8000-00000000dead
fault "orphan netns" "^❌ node orphans: orphan netns .*cni-00000000-0000-4000-8000-00000000dead: pinned, no process, no pod" $P doctor
ip netns delete cni-00000000-0000-4000-8000-00000000dead

# Everything restored: healthy again.
out=$($P doctor pod1 --to pod2:80); rc=$?
t_is "$rc" 0 "after restoring every fault: pod1 -> pod2:80 healthy again"
out=$($P doctor); rc=$?
t_is "$rc" 0 "and the node too"
[ "$rc" = 0 ] || echo "$out" | sed 's/^/# /'
t_done
