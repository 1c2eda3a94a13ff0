#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `podnet doctor` against ground truth along the path, on a network with
# portIsolation (NetworkPolicy's bridge mode): each check is proven by a
# fault injected, named by its exact line (exit 1), fixed by the printed
# command (exit 0 again).
#
#   pod1 (seed)          pod2 (seed)          team/clash: c1, c2 both "httpd -p 80"
#     eth0 ─ veth(iso) ─┐  ┌─ veth(iso) ─ eth0      (one holds :80, the other crash-loops)
#        podnet0 10.244.0.1/16, proxy_arp + proxy_arp_pvlan (answers ARP for every pod)
#
# faults: a forged neighbour entry in pod1 (gateway) and on the node (pod2);
# port isolation off; proxy_arp_pvlan off; the node's route to the pods
# gone; a drop rule in a foreign table on the node and in pod2's own
# namespace (named by the tracer: table, chain, handle, text); a server on
# UDP only; an IPv6-only listener; two containers on one port; hints for
# pods outside "default" carry -n NS.
# No packet leaves the namespaces this test creates.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2; $P delete pod clash -n team"
mkdir -p "$T/net.d"
cat >"$T/net.d/10-podnet.conflist" <<'JSON'
{ "cniVersion": "1.1.0", "name": "podnet", "plugins": [
  { "type": "podnet-bridge", "bridge": "podnet0", "isGateway": true, "isDefaultGateway": true,
    "ipMasq": true, "portIsolation": true,
    "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.244.0.0/16" }]] } } ] }
JSON
cat >"$T/clash.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: team
---
apiVersion: v1
kind: Pod
metadata:
  name: clash
  namespace: team
spec:
  containers:
  - name: c1
    image: host
    command: ["busybox", "httpd", "-f", "-p", "80", "-h", "/tmp"]
    ports: [{ containerPort: 80 }]
  - name: c2
    image: host
    command: ["busybox", "httpd", "-f", "-p", "80", "-h", "/tmp"]
    ports: [{ containerPort: 80 }]
YAML

t_ok "apply pod1, pod2" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
ip1=$($P get pod pod1 -o jsonpath='{.status.podIP}')
ip2=$($P get pod pod2 -o jsonpath='{.status.podIP}')
ns_of() { basename "$($P inspectp "$@" | jq -r '.info.runtimeSpec.linux.namespaces[0].path')"; }
NS1=$(ns_of pod1) NS2=$(ns_of pod2)
for i in $(seq 1 8); do wait_listen "$NS2" 80 && break; done
t_ok "nginx listens in pod2" wait_listen "$NS2" 80
hv_of() {
	local peer
	peer=$(ip -n "$1" -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
	ip -o link show | awk -F': ' -v i="$peer" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}
HV1=$(hv_of "$NS1")
t_match "$(ip -d -o link show "$HV1")" "isolated on" "portIsolation: pod1's host veth is isolated ($HV1)"
brmac=$(ip -o link show podnet0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
t_match "$brmac" "^([0-9a-f]{2}:){5}[0-9a-f]{2}$" "podnet0's MAC ($brmac)"

has() {
	if grep -qE -- "$1" <<<"$out"; then
		t_pass "$2"; grep -E -- "$1" <<<"$out" | head -1 | sed 's/^/#   /'
	else
		t_fail "$2"; sed 's/^/#   /' <<<"$out"
	fi
}
fault() {
	local name=$1 re=$2; shift 2
	out=$("$@"); local rc=$?
	t_is "$rc" 1 "doctor fails on: $name"
	has "$re" "doctor names it: $name"
}
# fix_of CHECK-REGEX: the command after "— fix: " on the line.
fix_of() { grep -E -- "$1" <<<"$out" | head -1 | sed 's/.* — fix: //'; }
healthy() {
	out=$($P doctor pod1 --to pod2:80); local rc=$?
	t_is "$rc" 0 "$1: doctor pod1 --to pod2:80 exits 0 again"
	[ "$rc" = 0 ] || sed 's/^/#   /' <<<"$out"
}

# ------------------------------------------------------------- healthy
# Traffic first, so both sides hold neighbour entries to check.
t_ok "pod1 reaches pod2" $P probe pod1 pod2:80
healthy "before any fault"
has "^✅ pod1 isolation: $HV1 is an isolated bridge port \(portIsolation\): pod1's traffic to other pods is routed through podnet0$" "healthy: isolation"
has "^✅ node proxy arp: podnet0 answers ARP for its isolated pods \(proxy_arp 1, proxy_arp_pvlan 1\)$" "healthy: proxy ARP"
has "^✅ pod1 neighbour: [0-9]+ neighbour entr(y|ies) \(pod1's and the node's\) match(es)? the MACs that own those IPs$" "healthy: neighbours"
has "^✅ pod1 node route: the node reaches $ip1 on podnet0$" "healthy: the node's route to pod1"
has "^✅ node netfilter: no nftables rule or policy drops pod1 -> pod2:80/TCP \(traced through 3 namespaces, [0-9]+ rules? gave a verdict\)$" "healthy: the tracer saw no drop"

# ---------------------------------------------------- neighbour entries
ip -n "$NS1" neigh replace 10.244.0.1 lladdr 02:00:00:00:00:99 dev eth0 nud permanent
fault "a forged gateway entry in pod1" \
	"^❌ pod1 neighbour: pod1's neighbour entry for 10\.244\.0\.1 says 02:00:00:00:00:99 \(PERMANENT\), but the gateway, podnet0 is $brmac: frames for it go to a MAC nobody answers to — fix: ip -n $NS1 neigh del 10\.244\.0\.1 dev eth0$" \
	$P doctor pod1
t_ok "the fix runs" bash -c "$(fix_of 'pod1 neighbour')"
t_ok "pod1 reaches pod2 again" $P probe pod1 pod2:80
healthy "forged gateway entry removed"
# With isolation the bridge answers for every pod: an entry for pod2 with
# pod2's real MAC is stale here.
mac2=$(ip -n "$NS2" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$NS1" neigh replace "$ip2" lladdr "$mac2" dev eth0 nud permanent
fault "an entry for pod2 with pod2's own MAC, past the isolation" \
	"^❌ pod1 neighbour: pod1's neighbour entry for $ip2 says $mac2 \(PERMANENT\), but pod pod2, answered for by podnet0 \(portIsolation\) is $brmac: " \
	$P doctor pod1
ip -n "$NS1" neigh del "$ip2" dev eth0
ip neigh replace "$ip2" lladdr 02:00:00:00:00:98 dev podnet0 nud permanent
fault "a forged node entry for pod2" \
	"^❌ pod2 neighbour: the node's neighbour entry for $ip2 on podnet0 says 02:00:00:00:00:98 \(PERMANENT\), but pod2's eth0 is $mac2: the node's frames for it go to a MAC nobody answers to — fix: ip neigh del $ip2 dev podnet0$" \
	$P doctor pod1 --to pod2:80
t_ok "the fix runs" bash -c "$(fix_of 'pod2 neighbour')"
healthy "forged node entry removed"

# ------------------------------------------------------ bridge and ports
bridge link set dev "$HV1" isolated off
fault "port isolation off" \
	"^❌ pod1 isolation: $HV1 is not an isolated bridge port although network podnet sets portIsolation: pod1 reaches other pods at layer 2, past the forward hook where NetworkPolicy is enforced — fix: bridge link set dev $HV1 isolated on \(CNI CHECK of network podnet repairs it\)$" \
	$P doctor pod1
bridge link set dev "$HV1" isolated on
sysctl -qw net.ipv4.conf.podnet0.proxy_arp_pvlan=0
fault "proxy_arp_pvlan off" \
	"^❌ node proxy arp: podnet0 does not answer ARP for its isolated pods \(proxy_arp 1, proxy_arp_pvlan 0\): pods of network podnet cannot resolve each other — fix: sysctl -w net\.ipv4\.conf\.podnet0\.proxy_arp=1 net\.ipv4\.conf\.podnet0\.proxy_arp_pvlan=1$" \
	$P doctor pod1
t_ok "the fix runs" bash -c "$(fix_of 'node proxy arp')"
healthy "isolation and proxy ARP restored"

# ----------------------------------------------------------- node route
ip route del 10.244.0.0/16 dev podnet0
fault "the node's route to the pods gone" \
	"^❌ pod1 node route: the node has no route to $ip1 \\(Network is unreachable\): it cannot reach pod1 — fix: ip route replace 10\.244\.0\.0/16 dev podnet0$" \
	$P doctor pod1
t_ok "the fix runs" bash -c "$(fix_of 'pod1 node route')"
healthy "route restored"

# -------------------------------------------- netfilter, by the tracer
nft -f - <<'NFT'
table inet foreign {
	chain fw { type filter hook forward priority 0; policy accept; tcp dport 80 counter drop; }
}
NFT
h=$(nft -a list chain inet foreign fw | sed -n 's/.*tcp dport 80 counter .*drop # handle \([0-9]*\)$/\1/p')
t_match "$h" "^[0-9]+$" "the foreign rule's handle ($h)"
fault "a drop rule in a foreign table on the node" \
	"^❌ node netfilter: table inet foreign, chain fw, rule handle $h drops pod1 -> pod2:80/TCP on the node \(forward hook\): tcp dport 80 counter drop — fix: if that rule is not wanted: nft delete rule inet foreign fw handle $h$" \
	$P doctor pod1 --to pod2:80 --timeout 500ms
has "^❌ pod1 probe: http $ip2:80 from pod1: timed out after the timeout" "and the probe (the tracer's) timed out"
t_ok "the fix runs" bash -c "$(fix_of 'node netfilter' | sed 's/^if that rule is not wanted: //')"
healthy "foreign drop rule deleted"
ip netns exec "$NS2" nft -f - <<'NFT'
table inet guard {
	chain input { type filter hook input priority 0; policy accept; tcp dport 80 drop; }
}
NFT
hg=$(ip netns exec "$NS2" nft -a list chain inet guard input | sed -n 's/.*tcp dport 80 drop # handle \([0-9]*\)$/\1/p')
fault "a drop rule in pod2's own namespace" \
	"^❌ pod2 netfilter: table inet guard, chain input, rule handle $hg drops pod1 -> pod2:80/TCP in pod2's namespace \(input hook\): tcp dport 80 drop — fix: if that rule is not wanted: podnet nsenter pod2 -- nft delete rule inet guard input handle $hg$" \
	$P doctor pod1 --to pod2:80 --timeout 500ms
t_ok "the fix runs" env PATH="$BIN:$PATH" bash -c "$(fix_of 'pod2 netfilter' | sed 's/^if that rule is not wanted: //')"
healthy "pod2's drop rule deleted"

# ------------------------------------------- listeners of every kind
bg ip netns exec "$NS2" python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 8082))
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s.bind(("::", 8083)); s.listen()
time.sleep(120)'
for i in $(seq 1 50); do ip netns exec "$NS2" ss -Hltn 'sport = :8083' | grep -q . && break; sleep 0.1; done
fault "a server on UDP only" \
	"^❌ pod2 listener: nothing listens on 8082/tcp in pod2, but 0\.0\.0\.0:8082/udp \(python3, pid [0-9]+\) is bound \(wrong protocol\?\) — fix: use the protocol the server speaks, or serve 8082/tcp$" \
	$P doctor pod1 --to pod2:8082 --timeout 300ms
fault "an IPv6-only listener for an IPv4 pod" \
	"^❌ pod2 listener: only \[::\]:8083/tcp \(IPV6_V6ONLY\) \(python3, pid [0-9]+\) listens on port 8083 in pod2: an IPv6-only socket never sees IPv4 clients of $ip2 — fix: bind 0\.0\.0\.0:8083 too, or clear IPV6_V6ONLY \(ipv6only=off\)$" \
	$P doctor pod1 --to pod2:8083 --timeout 300ms

# ------------------------------------- two containers, one port, -n NS
t_ok "apply team/clash (c1 and c2 both serve :80)" $P apply -f "$T/clash.yaml"
# The loser's first bind fails at once; it is restarted after 10 s of
# CrashLoopBackOff.  Bounded by attempts, not by a clock a loaded machine
# stretches.
for i in $(seq 1 600); do
	r=$($P get pod clash -n team -o jsonpath='{.status.containerStatuses[*].restartCount}')
	[[ "$r" =~ [1-9] ]] && break
	sleep 0.1
done
t_match "$r" "[1-9]" "one of c1, c2 restarted ($r)"
# After each restart the loser runs for a moment (until its bind fails),
# then waits 20 s, 40 s ...: ask again until the doctor sees it down.
for i in $(seq 1 60); do
	out=$($P doctor clash -n team); rc=$?
	grep -q "^⚠️ team/clash pod: team/clash is Running with 1/2 containers ready" <<<"$out" && break
	sleep 0.5
done
t_is "$rc" 1 "doctor fails on: two containers on one port"
has "^❌ team/clash port clash: container (c1|c2) cannot bind port 80/tcp: another container of team/clash holds it \(a pod's containers share one network namespace\): (0\.0\.0\.0|\[::\]):80/tcp by (c1|c2) \(busybox, pid [0-9]+\); (c1|c2) is [a-z]+( [A-Za-z]+)?, [0-9]+ restarts?, its log says \"httpd: bind: Address already in use\" — fix: give each container of clash its own port \(its containerPort and the server's listen port\), or put them in separate pods$" \
	"doctor names the clash: who holds the port, who fails, and its log line"
loser=$(grep -E '^❌ team/clash port clash' <<<"$out" | sed -n 's/.*: container \(c[12]\) cannot bind.*/\1/p')
holder=$(grep -E '^❌ team/clash port clash' <<<"$out" | sed -n 's/.* by \(c[12]\) (busybox.*/\1/p')
t_match "$loser$holder" "^(c1c2|c2c1)$" "the loser and the holder are the two containers ($loser, $holder)"
t_is "$(grep -c 'listener:' <<<"$out")" "1" "port 80 is checked once, not once per container"
has "^⚠️ team/clash pod: team/clash is Running with 1/2 containers ready .* — fix: podnet describe pod clash -n team; podnet logs clash -n team$" \
	"the pod's hint carries -n team"
out=$($P doctor); rc=$?
has "^❌ team/clash port clash: " "doctor without a pod shows the clash too"
has "^✅ pod1 pod: [0-9]+ checks passed \(details: podnet doctor pod1\)$" "a healthy default pod's summary has no -n"

t_done
