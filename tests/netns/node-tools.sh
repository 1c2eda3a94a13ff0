#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The node tools as a new user meets them (issue 10), in a throwaway node:
#
#   default/pod1 (seed pod1)   default/pod2 (seed pod2)   team/pod1 (a second "pod1")
#        eth0 ─ veth ─┐            ┌─ veth ─ eth0          eth0 ─ veth ─┐
#                     podnet0 10.244.0.1/16 (no default route on the node)
#
# ip -br/-brief addr and link, addr show [dev] IFNAME, link show IFNAME:
# byte for byte what iproute2's `ip` prints in the same namespace; ss -s as
# ss prints it; inspectp of a name two namespaces share lists the
# candidates as crictl pods does and takes -n (inspect of a container name
# two pods share: crictl ps rows); pid2pod says what was denied
# instead of "not found"; probe says who answered unreachable (the node's
# ICMP error, read from the socket's error queue).
# No packet leaves the namespaces this test creates.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2; $P delete pod pod1 -n team"
cat >"$T/team.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: team
---
apiVersion: v1
kind: Pod
metadata:
  name: pod1
  namespace: team
spec:
  containers:
  - name: c1
    image: host
    command: ["sleep", "infinity"]
YAML
t_ok "apply pod1, pod2 and team/pod1" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml" -f "$T/team.yaml"
ip2=$($P get pod pod2 -o jsonpath='{.status.podIP}')
NS1=$(basename "$($P inspectp pod1 -n default | jq -r '.info.runtimeSpec.linux.namespaces[0].path')")
t_match "$NS1" "^cni-" "default/pod1's netns ($NS1)"
for i in $(seq 1 8); do wait_listen "$NS1" 80 && break; done

# ------------------------------------------------------ ip: as iproute2
same_as_ip() { # DESC PODNET-ARGS... -- IP-ARGS...
	local d=$1 a=() b=() x y; shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done; shift
	b=("$@")
	x=$($P ip pod1 "${a[@]}" 2>&1; echo "rc=$?")
	y=$(ip -n "$NS1" "${b[@]}" 2>&1; echo "rc=$?")
	if [ "$x" = "$y" ]; then t_pass "$d"; else
		t_fail "$d"; diff <(echo "$y") <(echo "$x") | sed 's/^/#   /'
	fi
}
same_as_ip "ip -br addr" -br addr -- -br addr
same_as_ip "ip -brief addr show" -brief addr show -- -brief addr show
same_as_ip "ip -br link" -br link -- -br link
same_as_ip "ip -br -4 addr" -br -4 addr -- -br -4 addr
same_as_ip "ip -br -6 addr" -6 -br addr -- -6 -br addr
same_as_ip "ip addr show eth0" addr show eth0 -- addr show eth0
same_as_ip "ip addr show dev eth0" addr show dev eth0 -- addr show dev eth0
same_as_ip "ip link show eth0" link show eth0 -- link show eth0
same_as_ip "ip -br link show lo" -br link show lo -- -br link show lo
same_as_ip "ip -br addr show dev eth0" -br addr show dev eth0 -- -br addr show dev eth0
same_as_ip "ip -j -br addr" -br addr -o json -- -j -br addr
same_as_ip "ip -j -br link" -br link -o json -- -j -br link
same_as_ip "ip addr show eth9: the device does not exist" addr show eth9 -- addr show eth9
out=$($P ip pod1 -br addr)
t_match "$out" "^lo               UNKNOWN        127\.0\.0\.1/8 ::1/128 
eth0@if[0-9]+ +UP             10\.244\.0\.[0-9]+/16 " "the README's ip -br addr lines"

# ------------------------------------------------------- ss -s: as ss
# "TCP: N" counts TCP sockets allocated on the whole host (sockstat's
# alloc, which ss shows as is), so another process's connect between the
# two reads changes it: compare until both read the same moment.
for i in $(seq 1 20); do
	x=$($P ss pod1 -s 2>&1)
	y=$(ip netns exec "$NS1" ss -s 2>&1)
	[ "$x" = "$y" ] && break
done
if [ "$x" = "$y" ]; then t_pass "ss -s is ss's summary, byte for byte"; else
	t_fail "ss -s is ss's summary, byte for byte"; diff <(echo "$y") <(echo "$x") | sed 's/^/#   /'
fi
t_match "$x" "^Total: [0-9]+
TCP:   [0-9]+ \(estab [0-9]+, closed [0-9]+, orphaned 0, timewait [0-9]+\)

Transport Total     IP        IPv6
RAW	  0         0         0        
UDP	  " "ss -s: its layout"
t_match "$(sed -n 's/^TCP	  \([0-9]*\).*/\1/p' <<<"$x")" "^[1-9]" "ss -s counts nginx's listeners in pod1"
t_is "$($P ss pod1 -s -o json | jq -r '[.total, .tcp.estab, .tcpHashed.ip, .udp.ipv6, .frag.ip] | map(type) | unique | join(",")')" "number" "ss -s -o json: the counts as numbers"
out=$($P ss pod1 -s -t -l)
t_match "$out" "
State  Recv-Q Send-Q Local Address:Port Peer Address:Port" "ss -s -t: the summary, then the TCP sockets (as ss)"

# ------------------------------------ inspectp: a name in two namespaces
out=$($P inspectp pod1 2>&1); rc=$?
t_is "$rc" 1 "inspectp pod1 (two pods named pod1): exit 1"
t_match "$out" "^error: pod name \"pod1\" is ambiguous: it matches 2 pods; name one by its ID or with -n NAMESPACE:
POD ID +CREATED +STATE +NAME +NAMESPACE +ATTEMPT +RUNTIME
" "inspectp: the ambiguity, then crictl pods' header (column widths follow the widest cell)"
t_is "$(grep -cE '^[0-9a-f]{13} .* pod1 +(default|team) +0 +\(default\)$' <<<"$out")" "2" "inspectp: both candidates, with their namespace"
t_is "$($P inspectp pod1 -n team | jq -r .status.metadata.namespace)" "team" "inspectp pod1 -n team"
t_is "$($P inspectp -n default pod1 | jq -r .status.metadata.namespace)" "default" "inspectp -n default pod1"
t_is "$(rc_out $P inspectp pod9 -n team)" '1:error: no such pod "pod9" in namespace "team"' "inspectp: none in that namespace"
id=$($P inspectp pod1 -n team | jq -r .status.id)
t_is "$($P inspectp "${id:0:12}" | jq -r .status.metadata.namespace)" "team" "inspectp by ID prefix needs no -n"

# inspect: team/pod1's container is c1, as default/pod1's first one.
out=$($P inspect c1 2>&1); rc=$?
t_is "$rc" 1 "inspect c1 (a c1 in two pods): exit 1"
t_match "$out" "^error: container name \"c1\" is ambiguous: it matches 2 containers; name one by its ID:
CONTAINER +IMAGE +CREATED +STATE +NAME +ATTEMPT +POD ID +POD
" "inspect: the ambiguity, then crictl ps' header (column widths follow the widest cell)"
t_is "$(grep -cE '^[0-9a-f]{13} .* c1 +0 +[0-9a-f]{13} +pod1$' <<<"$out")" "2" "inspect: both candidates, as crictl ps rows"
t_is "$($P inspect c1 --namespace team | jq -r '.status.labels["io.kubernetes.pod.namespace"]')" "team" "inspect c1 --namespace team"
t_is "$(rc_out $P inspect c4 -n team)" '1:error: no such container "c4" in namespace "team"' "inspect: none in that namespace"

# ------------------------------------------- pid2pod: what was denied
# Another user's process: reading its /proc/PID/ns/net needs ptrace access.
mkdir -p "$T/empty" && chmod 755 "$T" "$T/empty"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env PODNET_ROOT="$T/empty" \
	PODNET_CNI_CACHE_DIR="$T/empty" PODNET_CNI_CONF_DIR="$T/empty" \
	"$P" pid2pod $$ 2>&1); rc=$?
t_is "$rc" 1 "pid2pod of another user's process, as nobody: exit 1"
t_is "$out" "error: process $$ (bash): reading its network namespace (/proc/$$/ns/net) was denied: Permission denied (another user's process: run as root), and its cgroup names no pod" \
	"pid2pod says what was denied, not \"not found\""
sleep 0 & dead=$!
wait "$dead"
t_is "$(rc_out $P pid2pod "$dead")" "1:error: process $dead not found" "pid2pod of a process that is gone: not found"

# -------------------------------- probe: who answered unreachable
# pod1 has a default route via the node; the node has none to 192.0.2.1
# (TEST-NET-1), so it answers ICMP network unreachable from the gateway.
out=$($P probe pod1 192.0.2.1:80 --timeout 10s); rc=$?
t_is "$out" "tcp 192.0.2.1:80 from pod1: no route to host: ICMP network unreachable from 10.244.0.1" \
	"probe: the node's ICMP error, with its source, not \"no route in the namespace's routing table\""
t_is "$rc" 1 "probe: exit 1"
out=$($P probe pod1 192.0.2.1:53 --udp --timeout 10s)
t_is "$out" "udp 192.0.2.1:53 from pod1: no route to host: ICMP network unreachable from 10.244.0.1" "probe --udp: the same"

t_done
