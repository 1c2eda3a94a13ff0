#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Node inspection: `podnet netns`, `netns identify`, `pid2pod`, `graph`, in a
# throwaway node:
#
#              node netns  (bridge podnet0, 10.244.0.1/16)
#     +-----------+-------------+--------------+-------------------+
#   veth        veth          veth           veth
#     |           |             |              |
#   pod1        pod2       cni-<uuid>       lonely (pinned, a sleep holds it)
#   (podnet:    (podnet:   "containerd" pod: no pod: orphan host veth
#    c1 c2 c3)   c4)       podnet-bridge run + orphan lease
#                          directly, libcni cache
#                          file, a sleep inside
#
#   + orphan-empty   pinned netns, nothing in it        -> "pinned, no process, no pod"
#   + gone-<id>      cache entry, its netns deleted     -> "its netns ... is gone"
#   + dead attachment: ADD then netns deleted, no DEL   -> lease "no pod and no CNI cache entry"
#
# Mapping is checked against the kernel: the host veth is the link whose
# ifindex is eth0's @ifN in `ip -n NS link`, its master the bridge.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2"

jqf() { jq -r "$1" "$T/inv.json"; }
# host_peer NS: "<ifindex> <name> <master>" of the node link that is NS's eth0 peer, per iproute2.
host_peer() {
	local n idx
	n=$(ip -n "$1" -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
	idx=$(ip -o link show | awk -F': ' -v n="$n" '$1 == n { sub(/@.*/, "", $2); print $2 }')
	echo "$n $idx $(ip -o link show dev "$idx" | sed -n 's/.* master \([^ ]*\) .*/\1/p')"
}

t_ok "apply pod1 and pod2" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
conf=$T/net.d/10-podnet.conflist

# A pod made the way containerd makes one: `ip netns add cni-<uuid>`, the
# plugin run directly with the CRI args, the result cached by hand in
# libcni's format, and a process of the "sandbox" in the netns.
uuid=$(cat /proc/sys/kernel/random/uuid)
cid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
puid=$(cat /proc/sys/kernel/random/uuid)
cns=cni-$uuid
ip netns add "$cns"
ip -n "$cns" link set lo up
jq -c '.plugins[0] + {name: .name, cniVersion: .cniVersion}' "$conf" >"$T/plugin.json"
args="IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-7db6d8ff4d-x2x7k;K8S_POD_INFRA_CONTAINER_ID=$cid;K8S_POD_UID=$puid"
cni podnet-bridge ADD "$cid" "/run/netns/$cns" eth0 "$T/plugin.json" "$args"
t_is "$CNI_RC" 0 "containerd-style pod: podnet-bridge ADD run directly"
on_cleanup "CNI_COMMAND=DEL CNI_CONTAINERID=$cid CNI_NETNS=/run/netns/$cns CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH $BIN/podnet-bridge <$T/plugin.json"
cip=$(jq -r '.ips[0].address' "$T/out" | cut -d/ -f1)
t_match "$cip" '^10\.244\.[0-9]+\.[0-9]+$' "containerd-style pod: leased $cip"
mkdir -p /var/lib/cni/results
# write_cache FILE ID NETNS NAME RESULT-FILE: a libcni (>= 1.2) cniCacheV1 entry.
write_cache() {
	jq -n --arg id "$2" --arg ns "$3" --arg name "$4" --arg uid "$puid" \
		--arg cfg "$(base64 -w0 "$conf")" --slurpfile res "$5" '{
		kind: "cniCacheV1", containerId: $id, config: $cfg, ifName: "eth0",
		networkName: "podnet", netns: $ns,
		cniArgs: [["IgnoreUnknown", "1"], ["K8S_POD_NAMESPACE", "kube-system"],
			  ["K8S_POD_NAME", $name], ["K8S_POD_INFRA_CONTAINER_ID", $id],
			  ["K8S_POD_UID", $uid]],
		result: $res[0] }' >"$1"
}
write_cache "/var/lib/cni/results/podnet-$cid-eth0" "$cid" "/run/netns/$cns" coredns-7db6d8ff4d-x2x7k "$T/out"
bg ip netns exec "$cns" sleep 1000
spid=$!

# Orphans of each kind.
ip netns add orphan-empty
gid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
write_cache "/var/lib/cni/results/podnet-$gid-eth0" "$gid" "/run/netns/cni-gone-$gid" gone-pod "$T/out"
did=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ip netns add dead-att
cni podnet-bridge ADD "$did" /run/netns/dead-att eth0 "$T/plugin.json"
t_is "$CNI_RC" 0 "dead attachment: ADD"
ip netns del dead-att # no DEL: its lease stays, the veth pair dies with the netns
lid=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ip netns add lonely
cni podnet-bridge ADD "$lid" /run/netns/lonely eth0 "$T/plugin.json"
t_is "$CNI_RC" 0 "lonely netns: ADD, no cache entry"
on_cleanup "CNI_COMMAND=DEL CNI_CONTAINERID=$lid CNI_NETNS=/run/netns/lonely CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH $BIN/podnet-bridge <$T/plugin.json"
bg ip netns exec lonely sleep 1000
lpid=$!
sleep 0.2 # let the sleeps exec

t_ok "podnet netns -o json" sh -c "$P netns -o json >$T/inv.json"
t_is "$(jqf '.netns[0].node')" "true" "the node's own netns comes first"

# ---- podnet pods ----
for pod in pod1 pod2; do
	nsp=$($P get pod $pod -o json | jq -r '.metadata.annotations["podnet.io/netns"] // empty')
	[ -n "$nsp" ] || nsp=$($P inspectp $pod | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type=="network") | .path')
	name=$(basename "$nsp")
	t_match "$name" "^cni-" "$pod: its netns pin ($nsp)"
	sel=".netns[] | select(.name==\"$name\")"
	t_is "$(jqf "$sel | .pod.name")" "$pod" "$pod: netns $name mapped to pod $pod"
	t_is "$(jqf "$sel | .pod.source")" "podnet" "$pod: from podnet's state"
	t_is "$(jqf "$sel | .inode")" "$(stat -L -c %i "$nsp")" "$pod: inode is the pin's"
	pip=$($P get pod $pod -o jsonpath='{.status.podIP}')
	t_match "$pip" '^10\.244\.[0-9]+\.[0-9]+$' "$pod: get pod gives its IP ($pip)"
	t_is "$(jqf "$sel | .pod.podIP")" "$pip" "$pod: pod IP"
	read -r hidx hname hmaster <<<"$(host_peer "$name")"
	t_match "$hidx $hname $hmaster" '^[0-9]+ veth[0-9a-f]+ podnet0$' "$pod: ip link shows eth0's host peer on podnet0"
	t_is "$(jqf "$sel | .hostVeth")" "$hname" "$pod: host veth is ip link's #$hidx ($hname)"
	t_is "$(jqf "$sel | .hostVethIfindex")" "$hidx" "$pod: host veth ifindex = eth0@if$hidx"
	t_is "$(jqf "$sel | .bridge")" "$hmaster" "$pod: bridge ($hmaster)"
	t_is "$(jqf "$sel | .links[] | select(.name==\"eth0\") | .peer.where")" "other-netns" "$pod: eth0's peer resolved to the node"
	for c in $($P get pod $pod -o json | jq -r '.spec.containers[].name'); do
		cpid=$($P inspect $c | jq -r .info.pid)
		t_match "$cpid" '^[1-9][0-9]*$' "$pod: inspect $c gives its pid ($cpid)"
		t_is "$(jqf "$sel | .pod.containers[] | select(.name==\"$c\") | .pid")" "$cpid" "$pod: container $c pid $cpid"
		t_match "$(jqf "$sel | .processes[].pid" | tr '\n' ' ')" "(^| )$cpid( |$)" "$pod: $c's pid holds the netns"
	done
	t_match "$(jqf "$sel | .pod.pausePid")" "^[0-9]+$" "$pod: pause pid"
done
c1pid=$($P inspect c1 | jq -r .info.pid)
p1ns=$(ip netns identify "$c1pid")
t_match "$p1ns" "^cni-" "ip netns identify names c1's netns ($p1ns)"

# ---- the containerd-style pod ----
sel=".netns[] | select(.name==\"$cns\")"
t_is "$(jqf "$sel | .pod.namespace + \"/\" + .pod.name")" "kube-system/coredns-7db6d8ff4d-x2x7k" "cache pod: K8S_POD_* from the libcni cache"
t_is "$(jqf "$sel | .pod.source")" "cni-cache" "cache pod: source cni-cache"
t_is "$(jqf "$sel | .pod.sandboxId")" "$cid" "cache pod: sandbox id = CNI container id"
t_is "$(jqf "$sel | .pod.podIP")" "$cip" "cache pod: IP from the cached result"
t_match "$(jqf "$sel | .processes[].pid" | tr '\n' ' ')" "(^| )$spid( |$)" "cache pod: the sleep ($spid) holds it"
read -r hidx hname hmaster <<<"$(host_peer "$cns")"
t_match "$hidx $hname $hmaster" '^[0-9]+ veth[0-9a-f]+ podnet0$' "cache pod: ip link shows eth0's host peer on podnet0"
t_is "$(jqf "$sel | .hostVeth") $(jqf "$sel | .hostVethIfindex") $(jqf "$sel | .bridge")" "$hname $hidx $hmaster" "cache pod: host veth $hname (#$hidx) on $hmaster, as ip link says"
t_is "$(jqf "$sel | .orphan")" "null" "cache pod: not an orphan"

# ---- orphans ----
t_is "$(jqf '.netns[] | select(.name=="orphan-empty") | .orphan')" "pinned, no process, no pod" "empty pinned netns: orphan with reason"
t_is "$(jqf '.orphans[] | select(.kind=="netns") | .object')" "/run/netns/orphan-empty" "only orphan-empty is an orphan netns"
t_match "$(jqf ".orphans[] | select(.kind==\"cni-cache\" and .containerId==\"$gid\") | .reason")" "its netns /run/netns/cni-gone-$gid is gone" "cache entry of a deleted netns: orphan, netns named"
t_match "$(jqf ".orphans[] | select(.kind==\"lease\" and .containerId==\"$did\") | .reason")" "has no pod and no CNI cache entry" "lease of a dead attachment: orphan"
t_is "$(jqf ".orphans[] | select(.kind==\"lease\") | .containerId" | sort | tr '\n' ' ')" "$(printf '%s\n' "$did" "$lid" | sort | tr '\n' ' ')" "leases of live pods are not orphans"
read -r hidx hname hmaster <<<"$(host_peer lonely)"
t_match "$hname" '^veth[0-9a-f]+$' "lonely: ip link shows eth0's host peer ($hname)"
t_match "$(jqf ".orphans[] | select(.kind==\"veth\" and .object==\"$hname\") | .reason")" "host veth on podnet0, its peer's netns .* has no pod" "host veth to a netns without a pod: orphan ($hname)"
t_is "$(jqf '[.orphans[] | select(.kind=="veth")] | length')" "1" "no other host veth flagged"
t_is "$(jqf '.netns[] | select(.name=="lonely") | .orphan')" "null" "lonely has a process: not an orphan netns"

# ---- the table ----
$P netns >"$T/table" 2>&1
sed 's/^/# /' "$T/table"
t_match "$(head -1 "$T/table")" "^NAME +INODE +POD +CONTAINERS +PIDS +IP +HOST-VETH +BRIDGE +STATUS$" "netns table header"
t_match "$(grep "^$p1ns " "$T/table")" "^$p1ns +[0-9]+ +default/pod1 +c1,c2,c3 +[0-9,]+ +10\.244\.[0-9.]+ +veth[0-9a-f]+ +podnet0 +pod$" "pod1's row"
t_match "$(grep "^$cns " "$T/table")" "kube-system/coredns-7db6d8ff4d-x2x7k +- +$spid +$cip +veth[0-9a-f]+ +podnet0 +pod$" "containerd pod's row: holder pid, IP, host veth"
t_match "$(grep '^orphan-empty ' "$T/table")" "orphan: pinned, no process, no pod$" "orphan flagged in STATUS"
t_match "$(cat "$T/table")" "orphan lease [^ ]*/podnet/10\.244\.[0-9.]+: lease of container ${did:0:12}" "orphan lease listed after the table"
t_match "$(head -1 <($P netns -o wide))" "STATUS +NSID +SANDBOX +SOURCE +INTERFACES$" "-o wide adds columns"

# ---- identify / pid2pod ----
t_match "$($P netns identify "$c1pid")" "^$p1ns	inode [0-9]+	pod default/pod1$" "netns identify of c1's pid: pin name and pod"
t_is "$($P netns identify "$c1pid" | cut -f1)" "$(ip netns identify "$c1pid")" "netns identify agrees with ip netns identify"
out=$($P pid2pod "$c1pid")
echo "$out" | sed 's/^/# /'
t_match "$out" "POD: +default/pod1" "pid2pod c1: pod"
t_match "$out" "CONTAINER: +c1 [0-9a-f]{64}" "pid2pod c1: container c1 and its id"
t_match "$out" "VIA: +netns" "pid2pod c1: via its netns"
c1id=$($P inspect c1 | jq -r .status.id)
t_match "$c1id" '^[0-9a-f]{64}$' "inspect c1 gives its id"
t_is "$($P pid2pod "$c1pid" -o json | jq -r '.container.id')" "$c1id" "pid2pod -o json: container id as inspect's"
t_match "$($P pid2pod "$spid")" "POD: +kube-system/coredns-7db6d8ff4d-x2x7k" "pid2pod of the containerd pod's process"
t_match "$($P netns identify "$spid")" "^$cns	inode [0-9]+	pod kube-system/coredns-7db6d8ff4d-x2x7k$" "netns identify of the containerd pod's process"
t_match "$($P pid2pod $$)" "POD: +-" "pid2pod of a node process: no pod"
t_notok "pid2pod of a missing pid fails" $P pid2pod 4194303
t_match "$($P pid2pod 4194303 2>&1)" "process 4194303 not found" "and says so"

# ---- graph ----
$P graph -o text >"$T/graph" 2>&1
sed 's/^/# /' "$T/graph"
t_match "$(cat "$T/graph")" "bridge podnet0 up 10\.244\.0\.1/16" "graph text: the bridge and its address"
t_match "$(cat "$T/graph")" "pod default/pod1 " "graph text: pod1"
t_match "$(cat "$T/graph")" "pod default/pod2 " "graph text: pod2"
t_match "$(cat "$T/graph")" "pod kube-system/coredns-7db6d8ff4d-x2x7k " "graph text: the containerd pod"
t_match "$(cat "$T/graph")" "container c3 [0-9a-f]{12} pid [0-9]+" "graph text: containers with pids"
t_match "$(cat "$T/graph")" "<-veth-> eth0@if[0-9]+ 10\.244\." "graph text: veth pairs with the pod's address"
$P graph -o dot >"$T/graph.dot"
t_match "$(head -1 "$T/graph.dot")" "^digraph podnet \{$" "graph dot: a digraph"
open=$(tr -cd '{' <"$T/graph.dot" | wc -c) close=$(tr -cd '}' <"$T/graph.dot" | wc -c)
t_ok "graph dot: braces balance ($open { and $close })" test "$open" -ge 2 -a "$open" = "$close"
t_match "$(cat "$T/graph.dot")" "label=\"pod default/pod1" "graph dot: pod1 cluster"
t_match "$(cat "$T/graph.dot")" "label=\"podnet0\\\\nbridge" "graph dot: the bridge node"
if command -v dot >/dev/null; then
	t_ok "graph dot: dot accepts it" dot -Tsvg -o /dev/null "$T/graph.dot"
	t_match "$($P graph -o svg | head -c 300)" "<svg|<\?xml" "graph -o svg"
else
	t_notok "graph -o svg without graphviz fails" $P graph -o svg
	t_match "$($P graph -o svg 2>&1)" "graphviz" "and names the graphviz package"
fi

# Deleting the podnet pods leaves no row for them.
t_ok "delete pod1 pod2" $P delete pod pod1 pod2
$P netns -o json >"$T/inv.json"
t_is "$(jqf '[.netns[] | select(.pod.source=="podnet")] | length')" "0" "no podnet pod left in the inventory"
t_done
