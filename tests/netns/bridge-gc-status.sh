#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GC keeps the attachments in cni.dev/valid-attachments and frees every
# other lease (also with the older cni.dev/attachments key); STATUS is 0
# while the pool has room and 50 once it is exhausted.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

base='"cniVersion": "1.1.0", "name": "gcnet", "type": "podnet-bridge", "bridge": "png0", "isGateway": true, "ipMasq": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.91.0.0/29" }]] }'
echo "{ $base }" >"$T/net.conf"
# held: the leased addresses, sorted, space-separated.
held() {
	local out
	out=$(ls -1 /var/lib/cni/networks/gcnet 2>&1) || { echo "(no lease store: $out)"; return 1; }
	grep '^10\.' <<<"$out" | sort | tr '\n' ' '
}

for i in 1 2 3; do
	pod_add p$i
	t_ok "ADD p$i" cni podnet-bridge ADD gc$i /run/netns/p$i eth0 "$T/net.conf"
done
t_is "$(held)" "10.91.0.2 10.91.0.3 10.91.0.4 " "three leases"

echo "{ $base, \"cni.dev/valid-attachments\": [ {\"containerID\": \"gc1\", \"ifname\": \"eth0\"}, {\"containerID\": \"gc3\", \"ifname\": \"eth0\"} ] }" >"$T/gc.conf"
t_ok "GC with gc1 and gc3 valid" cni podnet-bridge GC "" "" "" "$T/gc.conf"
t_is "$(held)" "10.91.0.2 10.91.0.4 " "gc2's lease freed, gc1 and gc3 kept"
t_ok "masquerade rules kept while attachments remain" nft list table ip podnet-gcnet

echo "{ $base, \"cni.dev/attachments\": [ {\"containerID\": \"gc1\", \"ifname\": \"eth0\"} ] }" >"$T/gc-old.conf"
t_ok "GC with the older cni.dev/attachments key" cni podnet-bridge GC "" "" "" "$T/gc-old.conf"
t_is "$(held)" "10.91.0.2 " "gc3's lease freed"

echo "{ $base }" >"$T/gc-none.conf"
cni podnet-bridge GC "" "" "" "$T/gc-none.conf"
t_is "$CNI_RC:$(jq -r .code "$T/out")" "1:7" "GC without a valid-attachments list is refused (code 7)"

# STATUS: a /29 holds .2-.6 (gateway .1, broadcast .7): 5 addresses.
t_ok "STATUS is ready" cni podnet-bridge STATUS "" "" "" "$T/net.conf"
for i in 4 5 6 7; do
	pod_add p$i
	cni podnet-bridge ADD gc$i /run/netns/p$i eth0 "$T/net.conf"
done
t_is "$(leases gcnet)" "5" "the pool is full"
cni podnet-bridge STATUS "" "" "" "$T/net.conf"
t_is "$CNI_RC:$(jq -r .code "$T/out")" "1:50" "STATUS answers 50 when the pool is exhausted"
t_match "$(jq -r .msg "$T/out")" "10\.91\.0\." "and names the range"
pod_add p8
cni podnet-bridge ADD gc8 /run/netns/p8 eth0 "$T/net.conf"
t_is "$CNI_RC:$(jq -r .code "$T/out")" "1:101" "ADD on an exhausted pool fails with code 101"
t_match "$(jq -r .msg "$T/out")" "no IP addresses available in range set: 10\.91\.0\.1-10\.91\.0\.6" "naming the range set, as host-local does"
t_gone "and leaves no eth0 behind" -n p8 eth0

echo "{ $base, \"cni.dev/valid-attachments\": [] }" >"$T/gc-empty.conf"
t_ok "GC with no valid attachment" cni podnet-bridge GC "" "" "" "$T/gc-empty.conf"
t_is "$(leases gcnet)" "0" "frees every lease"
t_notok "and removes the network's masquerade table" nft list table ip podnet-gcnet
t_ok "STATUS is ready again" cni podnet-bridge STATUS "" "" "" "$T/net.conf"
t_done
