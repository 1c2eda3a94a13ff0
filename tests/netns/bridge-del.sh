#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DEL is idempotent and always releases the lease: three DELs in a row
# succeed; DEL after the pod's netns is gone releases the lease and removes
# the host end; DEL of an attachment never added succeeds.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

cat >"$T/net.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "del", "type": "podnet-bridge", "bridge": "pnd0",
  "isGateway": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.90.0.0/24" }]] } }
JSON

pod_add pod1
t_ok "ADD" cni podnet-bridge ADD d1 /run/netns/pod1 eth0 "$T/net.conf"
t_is "$(leases del)" "1" "one lease"
for i in 1 2 3; do
	t_ok "DEL #$i succeeds" cni podnet-bridge DEL d1 /run/netns/pod1 eth0 "$T/net.conf"
	t_empty "DEL #$i prints nothing" cat "$T/out"
done
t_is "$(leases del)" "0" "lease released"

# The netns disappears before DEL (the runtime lost it, or the node rebooted).
pod_add pod2
t_ok "ADD pod2" cni podnet-bridge ADD d2 /run/netns/pod2 eth0 "$T/net.conf"
t_is "$(leases del)" "1" "pod2 holds a lease"
ip netns del pod2
t_ok "DEL with the netns gone succeeds" cni podnet-bridge DEL d2 /run/netns/pod2 eth0 "$T/net.conf"
t_is "$(leases del)" "0" "and releases the lease"
t_ok "DEL with an empty CNI_NETNS succeeds" cni podnet-bridge DEL d2 "" eth0 "$T/net.conf"

# The netns is still there, but the runtime deleted eth0 by hand.
pod_add pod3
t_ok "ADD pod3" cni podnet-bridge ADD d3 /run/netns/pod3 eth0 "$T/net.conf"
t_is "$(leases del)" "1" "pod3 holds a lease"
ip -n pod3 link del eth0
t_ok "DEL with eth0 already gone succeeds" cni podnet-bridge DEL d3 /run/netns/pod3 eth0 "$T/net.conf"
t_is "$(leases del)" "0" "lease released"

# The lease was lost (store wiped), the link remains.
pod_add pod4
t_ok "ADD pod4" cni podnet-bridge ADD d4 /run/netns/pod4 eth0 "$T/net.conf"
hv=$(jq -r '.interfaces[1].name' "$T/out")
rm -rf /var/lib/cni/networks/del
t_ok "DEL with the lease store wiped succeeds" cni podnet-bridge DEL d4 /run/netns/pod4 eth0 "$T/net.conf"
t_gone "and still removes the host veth" "$hv"
t_ok "DEL of an attachment never added succeeds" cni podnet-bridge DEL never /run/netns/pod4 eth0 "$T/net.conf"
t_is "$(count ip -o link show master pnd0)" "0" "no port left on the bridge"
t_done
