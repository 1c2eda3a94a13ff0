#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Dual-stack: one IPv4 and one IPv6 range set; two pods reach each other
# over IPv6 at once (no DAD wait), IPv4 too; masquerade rules for both.
#
#   [pod-a: 10.92.0.2, fd92::2] --- [node: pn6 10.92.0.1, fd92::1] --- [pod-b: 10.92.0.3, fd92::3]
. "$(dirname "$0")/lib.sh"
node_enter "$@"

cat >"$T/net.conf" <<JSON
{ "cniVersion": "1.1.0", "name": "dual", "type": "podnet-bridge", "bridge": "pn6",
  "isGateway": true, "isDefaultGateway": true, "ipMasq": true,
  "ipam": { "type": "podnet-ipam",
            "ranges": [ [{ "subnet": "10.92.0.0/24" }], [{ "subnet": "fd92::/64" }] ] } }
JSON
pod_add pod-a
pod_add pod-b
t_ok "ADD pod-a" cni podnet-bridge ADD ds-a /run/netns/pod-a eth0 "$T/net.conf"
cp "$T/out" "$T/res-a"
t_ok "ADD pod-b" cni podnet-bridge ADD ds-b /run/netns/pod-b eth0 "$T/net.conf"
t_is "$(jq -r '[.ips[].address] | join(" ")' "$T/out")" "10.92.0.3/24 fd92::3/64" "pod-b gets one address per family"
t_is "$(jq -r '[.routes[].dst] | join(" ")' "$T/res-a")" "0.0.0.0/0 ::/0" "default routes for both families"
a6=$(ip -n pod-b -6 -o addr show dev eth0 scope global)
t_match "$a6" "inet6 fd92::3/64 " "IPv6 address on eth0"
t_ok "the pod address is there and not tentative (no DAD wait)" \
	bash -c '[[ $1 == *"inet6 fd92::3/64 "* && $1 != *tentative* ]]' _ "$a6"
t_match "$(ip -n pod-a -6 route show default)" "default via fd92::1 dev eth0" "IPv6 default route via the bridge"
t_is "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" "1" "IPv6 forwarding on in the node"
t_ok "ip6 masquerade table" nft list table ip6 podnet-dual

serve pod-b 8080 "v6 hello"
t_ok "something listens in pod-b" wait_listen pod-b 8080
t_is "$(http pod-a 'http://[fd92::3]:8080/')" "v6 hello" "pod-a reaches pod-b over IPv6"
t_is "$(http pod-a 'http://10.92.0.3:8080/')" "v6 hello" "and over IPv4"
t_ok "node pings pod-a over IPv6" ping -6 -c1 -W2 fd92::2

t_is "$(leases dual)" "4" "two leases per pod, one per family"
t_ok "DEL pod-a" cni podnet-bridge DEL ds-a /run/netns/pod-a eth0 "$T/net.conf"
t_ok "DEL pod-b" cni podnet-bridge DEL ds-b /run/netns/pod-b eth0 "$T/net.conf"
t_is "$(leases dual)" "0" "both leases of both pods released"
t_done
