#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Config keys and conventions, each checked against kernel state or the
# result: cniVersion 0.3.0..1.1.0 results; VERSION; mtu, hairpinMode,
# promiscMode; runtimeConfig.mac and .ips, args.cni.ips, CNI_ARGS MAC=;
# dns; forceAddress; isGateway=false; a prevResult passed on when chained.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

n=0
conf() { # VERSION EXTRA-JSON-MEMBERS [SUBNET]
	cat <<JSON
{ "cniVersion": "$1", "name": "opt", "type": "podnet-bridge", "bridge": "pno0",
  "isGateway": true, "isDefaultGateway": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "${3:-10.98.0.0/24}" }]] } $2 }
JSON
}
# add VERSION EXTRA [CNI_ARGS]: ADD a fresh pod; its netns is $ns, result in $T/out
add() {
	n=$((n + 1)); ns=opt$n; pod_add $ns
	conf "$1" "$2" >"$T/c$n.conf"
	cni podnet-bridge ADD o$n /run/netns/$ns eth0 "$T/c$n.conf" "${3:-}"
}
del() { cni podnet-bridge DEL o$n /run/netns/$ns eth0 "$T/c$n.conf"; }

# Versions: the result is written in the config's version.
for v in 0.3.0 0.3.1 0.4.0; do
	t_ok "ADD with cniVersion $v" add $v ""
	t_is "$(jq -r '.cniVersion + " " + .ips[0].version + " " + (.ips[0].interface|tostring)' "$T/out")" "$v 4 2" "$v result: ips[].version and interface index"
	del
done
for v in 1.0.0 1.1.0; do
	t_ok "ADD with cniVersion $v" add $v ""
	t_is "$(jq -r '.cniVersion + " " + (.ips[0] | has("version") | tostring)' "$T/out")" "$v false" "$v result has no ips[].version"
	del
done
CNI_COMMAND=VERSION "$BIN/podnet-bridge" </dev/null >"$T/out"
t_is "$(jq -c .supportedVersions "$T/out")" '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' "VERSION lists the spoken versions"
t_is "$(jq -r .cniVersion "$T/out")" "1.1.0" "VERSION answers in 1.1.0"

# mtu, hairpin, promisc.
t_ok "ADD with mtu 1400, hairpinMode, promiscMode" add 1.1.0 ', "mtu": 1400, "hairpinMode": true, "promiscMode": true'
hv=$(jq -r '.interfaces[1].name' "$T/out")
t_match "$(ip -n $ns -o link show eth0)" "mtu 1400" "eth0 has mtu 1400"
t_match "$(ip -o link show $hv)" "mtu 1400" "host veth has mtu 1400"
t_is "$(jq -r '.interfaces[2].mtu' "$T/out")" "1400" "1.1.0 result reports the interface mtu"
t_match "$(ip -d -o link show $hv)" "hairpin on" "hairpin on the bridge port"
t_match "$(ip -o link show pno0)" "PROMISC" "bridge is promiscuous"
del
ip link del pno0

# MAC and requested addresses.
t_ok "ADD with runtimeConfig.mac" add 1.1.0 ', "runtimeConfig": { "mac": "02:11:22:33:44:55" }'
t_match "$(ip -n $ns -o link show eth0)" "link/ether 02:11:22:33:44:55" "eth0 has runtimeConfig's MAC"
t_is "$(jq -r '.interfaces[2].mac' "$T/out")" "02:11:22:33:44:55" "and the result says so"
del
t_ok "ADD with CNI_ARGS MAC=" add 1.1.0 "" "MAC=02:aa:bb:cc:dd:ee"
t_match "$(ip -n $ns -o link show eth0)" "link/ether 02:aa:bb:cc:dd:ee" "eth0 has CNI_ARGS's MAC"
del
t_ok "ADD with runtimeConfig.ips" add 1.1.0 ', "runtimeConfig": { "ips": ["10.98.0.77/24"] }'
t_is "$(jq -r '.ips[0].address' "$T/out")" "10.98.0.77/24" "runtimeConfig.ips honoured"
del
t_ok "ADD with args.cni.ips" add 1.1.0 ', "args": { "cni": { "ips": ["10.98.0.78"] } }'
t_is "$(jq -r '.ips[0].address' "$T/out")" "10.98.0.78/24" "args.cni.ips honoured"
del

# dns is passed into the result.
t_ok "ADD with dns" add 1.1.0 ', "dns": { "nameservers": ["10.96.0.10"], "search": ["default.svc.cluster.local"], "options": ["ndots:5"] }'
t_is "$(jq -c .dns "$T/out")" '{"nameservers":["10.96.0.10"],"search":["default.svc.cluster.local"],"options":["ndots:5"]}' "dns in the result"
del

# Unknown keys are fine (passed on untouched).
t_ok "ADD with unknown keys" add 1.1.0 ', "someVendorKey": { "x": 1 }'
del

# isGateway false: no address on the bridge, no default route.
cat >"$T/nogw.conf" <<JSON
{ "cniVersion": "1.1.0", "name": "opt2", "type": "podnet-bridge", "bridge": "pno1",
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.99.0.0/24" }]] } }
JSON
pod_add nogw
t_ok "ADD with isGateway false" cni podnet-bridge ADD ng /run/netns/nogw eth0 "$T/nogw.conf"
t_is "$(count ip -4 -o addr show dev pno1)" "0" "bridge has no address"
t_is "$(count ip -n nogw route show default)" "0" "pod has no default route"
t_ok "DEL" cni podnet-bridge DEL ng /run/netns/nogw eth0 "$T/nogw.conf"

# forceAddress: the bridge already has another address in the subnet.
ip link add pno2 type bridge
ip addr add 10.100.0.200/24 dev pno2
cat >"$T/fa.conf" <<JSON
{ "cniVersion": "1.1.0", "name": "opt3", "type": "podnet-bridge", "bridge": "pno2", "isGateway": true FORCE,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.100.0.0/24" }]] } }
JSON
sed 's/ FORCE//' "$T/fa.conf" >"$T/fa0.conf"
sed 's/ FORCE/, "forceAddress": true/' "$T/fa.conf" >"$T/fa1.conf"
pod_add fa
cni podnet-bridge ADD fa1 /run/netns/fa eth0 "$T/fa0.conf"
t_match "$CNI_RC $(jq -r .msg "$T/out")" "^1 .*10\.100\.0\.200/24" "without forceAddress, a different bridge address is refused, named"
t_match "$(ip -4 -o addr show dev pno2)" "10\.100\.0\.200/24" "and left alone"
t_is "$(count ip -4 -o addr show dev pno2)" "1" "the gateway was not left on the bridge"
t_ok "with forceAddress it is replaced" cni podnet-bridge ADD fa1 /run/netns/fa eth0 "$T/fa1.conf"
t_is "$(ip -4 -o addr show dev pno2 | awk '{print $4}')" "10.100.0.1/24" "bridge now has the gateway only"
t_ok "DEL" cni podnet-bridge DEL fa1 /run/netns/fa eth0 "$T/fa1.conf"

# Chained after another plugin: its prevResult is passed on with our additions.
prev='{ "cniVersion": "1.1.0", "interfaces": [ { "name": "net1", "sandbox": "/run/netns/x" } ], "ips": [ { "address": "192.168.5.5/24", "interface": 0 } ] }'
t_ok "ADD with a prevResult" add 1.1.0 ", \"prevResult\": $prev"
t_is "$(jq -r '[.interfaces[].name] | join(" ")' "$T/out")" "net1 pno0 $(jq -r '.interfaces[2].name' "$T/out") eth0" "earlier interfaces kept, ours appended"
t_match "$(jq -r '[.ips[] | .address + "@" + (.interface|tostring)] | join(" ")' "$T/out")" "^192\.168\.5\.5/24@0 10\.98\.0\.[0-9]+/24@3$" "earlier ips kept, ours point at eth0"
del
t_done
