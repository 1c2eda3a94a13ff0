#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podnet-bridge with Debian's reference plugins (containernetworking-plugins):
#  1. host-local as podnet-bridge's IPAM (executed per the spec, whole config
#     on stdin): ADD leases, DEL releases;
#  2. portmap chained after podnet-bridge (prevResult passed on): a hostPort
#     on the node is DNATed to the pod's server.
#
#   [pod-web: 10.97.0.x:80] --- [node: pnr0 10.97.0.1, hostPort 8081] --- [pod-client]
. "$(dirname "$0")/lib.sh"
node_enter "$@"

# scripts/install-deps.sh installs them (containernetworking-plugins).
if [ ! -x "$REF_CNI/host-local" ] || [ ! -x "$REF_CNI/portmap" ]; then
	t_fail "reference plugins host-local and portmap in $REF_CNI (scripts/install-deps.sh)"
	t_done
	exit 1
fi

cat >"$T/hl.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "refnet", "type": "podnet-bridge", "bridge": "pnr0",
  "isGateway": true, "isDefaultGateway": true,
  "ipam": { "type": "host-local", "dataDir": "$T/hl", "ranges": [[{ "subnet": "10.97.0.0/24" }]] } }
JSON
pod_add pod-web
pod_add pod-client
t_ok "ADD with host-local IPAM" cni podnet-bridge ADD web /run/netns/pod-web eth0 "$T/hl.conf"
cp "$T/out" "$T/res-web"
web_ip=$(jq -r '.ips[0].address' "$T/res-web" | cut -d/ -f1)
t_is "$web_ip" "10.97.0.2" "host-local handed out the first address"
t_ok "host-local recorded the lease" test -e "$T/hl/refnet/10.97.0.2"
t_match "$(ip -n pod-web -4 -o addr show dev eth0)" "10\.97\.0\.2/24" "eth0 carries host-local's address"
t_ok "ADD client with host-local IPAM" cni podnet-bridge ADD client /run/netns/pod-client eth0 "$T/hl.conf"
cni podnet-bridge ADD web /run/netns/pod-web eth0 "$T/hl.conf"
t_is "$CNI_RC:$(jq -r .code "$T/out")" "1:107" "a second ADD of the same attachment is refused (code 107)"
t_ok "before host-local is asked: web keeps its lease" test -e "$T/hl/refnet/10.97.0.2"
t_is "$(leases refnet "$T/hl")" "2" "and no extra lease was taken"

# portmap, chained: the runtime hands it podnet-bridge's result as prevResult.
cat >"$T/pm.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "refnet", "type": "portmap", "snat": true,
  "capabilities": { "portMappings": true },
  "runtimeConfig": { "portMappings": [ { "hostPort": 8081, "containerPort": 80, "protocol": "tcp" } ] },
  "prevResult": $(cat "$T/res-web") }
JSON
t_ok "portmap ADD chained after podnet-bridge" cni portmap ADD web /run/netns/pod-web eth0 "$T/pm.conf"
t_is "$(jq -r '.ips[0].address' "$T/out")" "10.97.0.2/24" "portmap passes podnet-bridge's result on"
serve pod-web 80 "web via hostPort"
t_ok "web server listens" wait_listen pod-web 80
t_is "$(http pod-client "http://10.97.0.1:8081/")" "web via hostPort" "client reaches web through the hostPort DNAT"
t_ok "portmap DEL" cni portmap DEL web /run/netns/pod-web eth0 "$T/pm.conf"

t_ok "DEL web" cni podnet-bridge DEL web /run/netns/pod-web eth0 "$T/hl.conf"
t_notok "host-local released the lease" test -e "$T/hl/refnet/10.97.0.2"
t_ok "DEL client" cni podnet-bridge DEL client /run/netns/pod-client eth0 "$T/hl.conf"
t_is "$(count ip -o link show master pnr0)" "0" "no port left"

# A failing delegated IPAM reports host-local's own error object.
cat >"$T/hl-bad.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "refnet", "type": "podnet-bridge", "bridge": "pnr0",
  "ipam": { "type": "host-local", "dataDir": "$T/hl", "ranges": [[{ "subnet": "10.97.0.0/24", "rangeStart": "10.97.0.9", "rangeEnd": "10.97.0.9" }]] } }
JSON
pod_add pod-x
t_ok "ADD x takes the only address" cni podnet-bridge ADD x1 /run/netns/pod-x eth0 "$T/hl-bad.conf"
pod_add pod-y
cni podnet-bridge ADD y1 /run/netns/pod-y eth0 "$T/hl-bad.conf"
t_match "$CNI_RC $(jq -r .msg "$T/out")" "^1 .*no IP addresses available" "host-local's exhaustion error passes through"
t_gone "no eth0 left in pod-y" -n pod-y eth0
t_ok "DEL x" cni podnet-bridge DEL x1 /run/netns/pod-x eth0 "$T/hl-bad.conf"
t_done
