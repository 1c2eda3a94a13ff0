#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two pods on one node bridge, each attached by podnet-bridge ADD.
#
#   [pod-a: eth0 10.88.0.2] --veth-- [node: podnet0 10.88.0.1] --veth-- [pod-b: eth0 10.88.0.3]
#
# Checks: distinct IPs on eth0 (read back over netlink with ip), HTTP from
# pod-a to pod-b answered, the result JSON per spec, kernel state (bridge
# gateway, veth enslaved, no IPv6 link-local on the host end, forwarding),
# and that DEL removes the link and the lease.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

cat >"$T/net.conf" <<JSON
{
  "cniVersion": "1.1.0",
  "name": "basic",
  "type": "podnet-bridge",
  "bridge": "pnt0",
  "isGateway": true,
  "isDefaultGateway": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.88.0.0/24" }]] }
}
JSON

pod_add pod-a
pod_add pod-b
t_ok "ADD pod-a" cni podnet-bridge ADD ctr-a /run/netns/pod-a eth0 "$T/net.conf"
cp "$T/out" "$T/res-a"
t_ok "ADD pod-b" cni podnet-bridge ADD ctr-b /run/netns/pod-b eth0 "$T/net.conf"
cp "$T/out" "$T/res-b"

ip_a=$(jq -r '.ips[0].address' "$T/res-a")
ip_b=$(jq -r '.ips[0].address' "$T/res-b")
t_is "$ip_a" "10.88.0.2/24" "pod-a gets the first address after the gateway"
t_is "$ip_b" "10.88.0.3/24" "pod-b gets the next one"
t_is "$(jq -r '.cniVersion' "$T/res-a")" "1.1.0" "result speaks the config's version"
t_is "$(jq -r '.interfaces | map(.name) | join(",")' "$T/res-a" | cut -d, -f1)" "pnt0" "first interface is the bridge"
t_is "$(jq -r '.interfaces[2].name + " " + .interfaces[2].sandbox' "$T/res-a")" "eth0 /run/netns/pod-a" "third interface is eth0 in the sandbox"
t_is "$(jq -r '.ips[0].interface' "$T/res-a")" "2" "ip points at eth0"
t_is "$(jq -r '.ips[0].gateway' "$T/res-a")" "10.88.0.1" "gateway is the range's first address"
t_is "$(jq -r '.routes[0].dst + " " + .routes[0].gw' "$T/res-a")" "0.0.0.0/0 10.88.0.1" "isDefaultGateway reports the default route"
t_is "$(jq -r '.ips[0] | has("version")' "$T/res-a")" "false" "1.x result has no ips[].version"

# Kernel state, read back over netlink.
t_match "$(ip -n pod-a -4 -o addr show dev eth0)" "inet 10\.88\.0\.2/24" "eth0 in pod-a carries 10.88.0.2/24"
t_match "$(ip -n pod-b -4 -o addr show dev eth0)" "inet 10\.88\.0\.3/24" "eth0 in pod-b carries 10.88.0.3/24"
t_match "$(ip -n pod-a route show default)" "default via 10\.88\.0\.1 dev eth0" "pod-a default route via the gateway"
t_match "$(ip -4 -o addr show dev pnt0)" "inet 10\.88\.0\.1/24" "bridge carries the gateway address"
hv=$(jq -r '.interfaces[1].name' "$T/res-a")
t_match "$(ip -o link show dev "$hv")" "master pnt0 .*state UP" "host veth $hv is up on the bridge"
t_is "$(count ip -6 -o addr show dev "$hv")" "0" "host veth has no IPv6 link-local (no per-port multicast)"
t_is "$(cat /proc/sys/net/ipv4/ip_forward)" "1" "forwarding is on in the node"
t_is "$(ip netns exec pod-a cat /proc/sys/net/ipv4/conf/eth0/arp_notify)" "1" "arp_notify is on for eth0"
t_match "$("$BIN/podnet-ipam" leases basic)" "10\.88\.0\.2 +ctr-a +eth0" "lease of pod-a listed"

# Real traffic: HTTP from pod-a to pod-b's IP.
serve pod-b 8080 "hello from pod-b"
t_ok "something listens in pod-b" wait_listen pod-b 8080
t_is "$(http pod-a "http://10.88.0.3:8080/")" "hello from pod-b" "pod-a reaches pod-b over HTTP"
t_ok "node reaches pod-a (ping)" ping -c1 -W2 10.88.0.2

# DEL removes the pair and the lease.
t_ok "DEL pod-a" cni podnet-bridge DEL ctr-a /run/netns/pod-a eth0 "$T/net.conf"
t_gone "host veth $hv is gone" "$hv"
t_gone "eth0 is gone from pod-a" -n pod-a eth0
t_notok "lease file of 10.88.0.2 is gone" test -e /var/lib/cni/networks/basic/10.88.0.2
t_ok "DEL pod-b" cni podnet-bridge DEL ctr-b /run/netns/pod-b eth0 "$T/net.conf"
t_is "$(count ip -o link show master pnt0)" "0" "no port left on the bridge"
t_done
