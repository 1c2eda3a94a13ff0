#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CHECK against prevResult: passes on a healthy attachment, then fails,
# naming what broke, after each fault is injected: the pod's default route
# removed, the masquerade rule flushed (and CHECK repairs it), the host
# veth deleted.
#
#   [pod: eth0 10.89.0.2] --veth-- [node: pnc0 10.89.0.1, nft ip podnet-chk]
. "$(dirname "$0")/lib.sh"
node_enter "$@"

conf() {
	cat <<JSON
{
  "cniVersion": "1.1.0", "name": "chk", "type": "podnet-bridge", "bridge": "pnc0",
  "isDefaultGateway": true, "ipMasq": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.89.0.0/24" }]] }
  $1
}
JSON
}
conf >"$T/net.conf"
pod_add pod
t_ok "ADD" cni podnet-bridge ADD c1 /run/netns/pod eth0 "$T/net.conf"
conf ", \"prevResult\": $(cat "$T/out")" >"$T/check.conf"

t_ok "masquerade table exists after ADD" nft list table ip podnet-chk
t_match "$(nft list chain ip podnet-chk postrouting)" "ip saddr 10\.89\.0\.0/24 .*masquerade" "masquerade rule for the subnet"
t_ok "CHECK passes on a healthy pod" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"

ip -n pod route del default
t_notok "CHECK fails after the default route is removed" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"
t_match "$(cat "$T/out")" "route to 0\.0\.0\.0/0 via 10\.89\.0\.1 missing" "the error names the missing route"
t_is "$(jq -r .code "$T/out")" "106" "code 106 (CHECK mismatch)"
ip -n pod route add default via 10.89.0.1 dev eth0
t_ok "CHECK passes again once the route is back" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"

nft flush chain ip podnet-chk postrouting
t_notok "CHECK fails after the masquerade rule is flushed" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"
t_match "$(jq -r .msg "$T/out")" "masquerade rule for 10\.89\.0\.0/24" "the error names the missing rule"
t_match "$(jq -r .details "$T/out")" "restored" "and says it was restored"
t_match "$(nft list chain ip podnet-chk postrouting)" "masquerade" "the rule is back"
t_ok "CHECK passes after the repair" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"

ip -n pod addr flush dev eth0
t_notok "CHECK fails after the pod address is removed" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"
t_match "$(jq -r .msg "$T/out")" "address 10\.89\.0\.2/24 missing on eth0" "the error names the address"
ip -n pod addr add 10.89.0.2/24 dev eth0
ip -n pod route replace default via 10.89.0.1 dev eth0

hv=$(jq -r '.prevResult.interfaces[1].name' "$T/check.conf")
ip link del "$hv"
t_notok "CHECK fails after the host veth is deleted" cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/check.conf"
t_match "$(jq -r .msg "$T/out")" "host veth $hv of c1/eth0 does not exist" "the error names the host veth"

cni podnet-bridge CHECK c1 /run/netns/pod eth0 "$T/net.conf"
t_is "$(jq -r .code "$T/out")" "7" "CHECK without prevResult: code 7"
t_ok "DEL" cni podnet-bridge DEL c1 /run/netns/pod eth0 "$T/net.conf"
t_done
