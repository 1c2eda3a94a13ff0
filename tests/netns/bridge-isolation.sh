#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# portIsolation and spoofCheck: pod-to-pod traffic is routed through the
# bridge (and so meets the inet forward hook, with conntrack, where
# NetworkPolicy lives), IPv4 by proxy ARP and IPv6 by proxy NDP, with no
# redirect reaching a pod; a pod cannot send with another address or MAC;
# DEL, CHECK and GC keep the guard's entries right.
#
#   node: pni0 10.97.0.1/24 fd97::1/64 (isolated ports, proxy_arp(_pvlan), proxy_ndp)
#     |-- vethA (isolated) -- pod iso1  eth0 10.97.0.x fd97::x
#     |-- vethB (isolated) -- pod iso2  eth0 10.97.0.y fd97::y
#     `-- vethC (isolated) -- pod iso3  (added, GC'd)
. "$(dirname "$0")/lib.sh"
node_enter "$@"

cat >"$T/iso.conf" <<'JSON'
{ "cniVersion": "1.1.0", "name": "iso", "type": "podnet-bridge", "bridge": "pni0",
  "isGateway": true, "isDefaultGateway": true, "portIsolation": true, "spoofCheck": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.97.0.0/24" }], [{ "subnet": "fd97::/64" }]] } }
JSON

declare -A ip4 ip6 hv mac
add() { # POD ID
	pod_add "$1"
	cni podnet-bridge ADD "$2" /run/netns/"$1" eth0 "$T/iso.conf" || { cat "$T/out" "$T/err"; return 1; }
	cp "$T/out" "$T/res-$1"
	ip4[$1]=$(jq -r '.ips[] | select(.address | contains(".")) | .address | split("/")[0]' "$T/out")
	ip6[$1]=$(jq -r '.ips[] | select(.address | contains(":")) | .address | split("/")[0]' "$T/out")
	hv[$1]=$(jq -r '.interfaces[1].name' "$T/out")
	mac[$1]=$(jq -r '.interfaces[2].mac' "$T/out")
}
# prev POD ID VERB: CHECK or DEL with the ADD result as prevResult
prev() {
	jq --slurpfile r "$T/res-$1" '. + {prevResult: $r[0]}' "$T/iso.conf" >"$T/prev-$1.conf"
	cni podnet-bridge "$3" "$2" /run/netns/"$1" eth0 "$T/prev-$1.conf"
}

t_ok "ADD iso1" add iso1 c1
t_ok "ADD iso2" add iso2 c2
t_match "$(ip -d -o link show "${hv[iso1]}")" "isolated on" "the host veth is an isolated bridge port"
t_is "$(cat /proc/sys/net/ipv4/conf/pni0/proxy_arp)$(cat /proc/sys/net/ipv4/conf/pni0/proxy_arp_pvlan)$(cat /proc/sys/net/ipv4/conf/pni0/send_redirects)$(cat /proc/sys/net/ipv4/neigh/pni0/proxy_delay)" \
	"1100" "bridge: proxy_arp 1, proxy_arp_pvlan 1, send_redirects 0, proxy_delay 0"
t_is "$(cat /proc/sys/net/ipv6/conf/pni0/proxy_ndp)$(cat /proc/sys/net/ipv6/neigh/pni0/proxy_delay)" "10" \
	"bridge: proxy_ndp 1, proxy_delay 0"
t_match "$(ip -6 neigh show proxy dev pni0)" "${ip6[iso2]}" "a proxy NDP entry for the pod's IPv6 address"
t_is "$(cat /proc/sys/net/ipv4/conf/all/send_redirects)" "1" "the node's own send_redirects is left alone"

# A counter in the inet forward hook: traffic that reaches it is routed.
nft -f - <<'NFT'
table inet probe {
	chain f { type filter hook forward priority -10; policy accept;
		ip saddr 10.97.0.0/24 ip daddr 10.97.0.0/24 counter
		ip6 saddr fd97::/64 ip6 daddr fd97::/64 counter
	}
}
NFT
serve iso2 8080 "from iso2"
serve iso1 7070 "from iso1"
wait_listen iso2 8080 && wait_listen iso1 7070
t_is "$(http iso1 "http://${ip4[iso2]}:8080/")" "from iso2" "iso1 -> iso2 over IPv4"
t_is "$(http iso1 "http://[${ip6[iso2]}]:8080/")" "from iso2" "iso1 -> iso2 over IPv6"
brmac=$(ip -o link show pni0 | grep -o "link/ether [0-9a-f:]*" | cut -d" " -f2)
[ -n "$brmac" ] || t_fail "the bridge has a MAC"
t_match "$(ip -n iso1 neigh show "${ip4[iso2]}")" "lladdr $brmac" "iso1 reaches iso2's IPv4 at the bridge's MAC (proxy ARP)"
t_match "$(ip -n iso1 neigh show "${ip6[iso2]}")" "lladdr $brmac" "and its IPv6 at the bridge's MAC (proxy NDP)"
t_match "$(ip netns exec iso1 ping -c1 -W2 "${ip4[iso2]}")" "ttl=63" "routed: the TTL drops by one"
# A first contact is not held back by the proxy's default random delay
# (up to 0.8 s): proxy_delay 0 is read back above; a new pod's first ping
# to another is answered (its time is printed, not bounded: a loaded
# machine is slow, and the test must not fail for that).
t_ok "ADD iso4" add iso4 c4
rtt=$(ip netns exec iso4 ping -c1 -W10 "${ip4[iso2]}" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
echo "# a new pod's first ping: ${rtt:-no answer} ms"
t_match "$rtt" '^[0-9.]+$' "a new pod's first ping to another is answered"
t_ok "DEL iso4" prev iso4 c4 DEL
counts=$(nft list table inet probe | grep -o 'packets [0-9]*' | awk '{print $2}' | tr '\n' ' ')
t_match "$counts" "^[1-9][0-9]* [1-9][0-9]* $" "both families met the inet forward hook ($counts)"
sleep 0.2
t_is "$(ip netns exec iso1 awk '/^Icmp:/ { if (h) print $9; h=1 }' /proc/net/snmp)" "0" "no ICMP redirect reached the pod"
t_is "$(ip netns exec iso1 awk '$1 == "Icmp6InRedirects" { print $2 }' /proc/net/snmp6)" "0" "no ICMPv6 redirect reached the pod"

# Stateful without bridge conntrack: drop new connections to iso1; iso1
# still talks to iso2, the replies come back as established.
nft -f - <<NFT
table inet stateful {
	chain f { type filter hook forward priority 0; policy accept;
		ct state established,related accept
		ip daddr ${ip4[iso1]} counter drop
	}
}
NFT
t_notok "iso2 -> iso1 dropped by an inet forward rule" http iso2 "http://${ip4[iso1]}:7070/"
t_is "$(http iso1 "http://${ip4[iso2]}:8080/")" "from iso2" "iso1 -> iso2 still works: the reply is established"
nft delete table inet stateful

# Spoofing: another IP, another MAC, a forged ARP.
ip -n iso1 addr add 10.97.0.199/24 dev eth0
t_notok "iso1 cannot send from a forged IPv4 address" \
	ip netns exec iso1 curl -sS --max-time 2 --interface 10.97.0.199 "http://${ip4[iso2]}:8080/"
nft delete element bridge podnet-iso checked "{ ${hv[iso1]} }"
t_is "$(ip netns exec iso1 curl -sS --max-time 2 --interface 10.97.0.199 "http://${ip4[iso2]}:8080/")" "from iso2" \
	"control: with the port unchecked the forged address gets through"
nft add element bridge podnet-iso checked "{ ${hv[iso1]} }"
ip -n iso1 addr del 10.97.0.199/24 dev eth0
ip -n iso1 addr add fd97::199/64 dev eth0 nodad
t_notok "iso1 cannot send from a forged IPv6 address" \
	ip netns exec iso1 curl -sS --max-time 2 --interface fd97::199 "http://[${ip6[iso2]}]:8080/"
ip -n iso1 addr del fd97::199/64 dev eth0
ip -n iso1 link set eth0 address 02:00:00:00:00:99
ip -n iso1 neigh flush dev eth0
t_notok "iso1 cannot send with a forged MAC" http iso1 "http://${ip4[iso2]}:8080/"
ip -n iso1 link set eth0 address "${mac[iso1]}"
ip -n iso1 neigh flush dev eth0
t_is "$(http iso1 "http://${ip4[iso2]}:8080/")" "from iso2" "with its own MAC again it works"
ip netns exec iso1 busybox arping -U -c 2 -s "${ip4[iso2]}" -I eth0 10.97.0.1 >/dev/null 2>&1
t_notok "a gratuitous ARP claiming iso2's address is not believed" \
	sh -c "ip neigh show ${ip4[iso2]} dev pni0 | grep -q ${mac[iso1]}"
t_match "$(nft list chain bridge podnet-iso prerouting)" "counter packets [1-9]" "the guard counted the forged frames"

# CHECK: right after ADD it passes; a port made non-isolated is reported
# and restored.
t_ok "CHECK passes" prev iso1 c1 CHECK
bridge link set dev "${hv[iso1]}" isolated off
t_notok "CHECK fails when the port is not isolated" prev iso1 c1 CHECK
t_match "$(jq -r .msg "$T/out") $(jq -r .details "$T/out")" "is not an isolated bridge port.*restored by this CHECK" \
	"and says so, and restores it"
t_ok "CHECK passes again" prev iso1 c1 CHECK
nft delete element bridge podnet-iso mac "{ ${hv[iso1]} . ${mac[iso1]} }"
t_notok "CHECK fails when the guard forgot the pod's MAC" prev iso1 c1 CHECK
t_match "$(jq -r .msg "$T/out")" "port ${hv[iso1]} has no entry in set mac" "naming the set"
t_ok "CHECK passes once restored" prev iso1 c1 CHECK

# DEL removes the port's entries (found by port name) and proxy NDP.
t_ok "ADD iso3" add iso3 c3
t_ok "DEL iso2" prev iso2 c2 DEL
t_notok "no guard entry of iso2's port is left" sh -c "nft list table bridge podnet-iso | grep -q ${hv[iso2]}"
t_notok "no proxy NDP entry for iso2" sh -c "ip -6 neigh show proxy dev pni0 | grep -q '${ip6[iso2]} '"
t_ok "DEL again succeeds" prev iso2 c2 DEL

# GC keeps the valid attachments' entries and drops the others'.
jq '. + {"cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]}' "$T/iso.conf" >"$T/gc.conf"
t_ok "GC with only c1 valid" cni podnet-bridge GC "" "" "" "$T/gc.conf"
t_notok "iso3's entries are gone" sh -c "nft list table bridge podnet-iso | grep -q ${hv[iso3]}"
t_ok "iso1's are kept" sh -c "nft list set bridge podnet-iso mac | grep -q ${hv[iso1]}"
jq '. + {"cni.dev/valid-attachments": []}' "$T/iso.conf" >"$T/gc0.conf"
t_ok "GC with nothing valid" cni podnet-bridge GC "" "" "" "$T/gc0.conf"
t_notok "the guard table is gone" nft list table bridge podnet-iso

# Without portIsolation nothing of this happens: pods talk at layer 2.
cat >"$T/flat.conf" <<'JSON'
{ "cniVersion": "1.1.0", "name": "flat", "type": "podnet-bridge", "bridge": "pnf0",
  "isGateway": true, "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.96.5.0/24" }]] } }
JSON
pod_add f1; pod_add f2
cni podnet-bridge ADD f1 /run/netns/f1 eth0 "$T/flat.conf" && cni podnet-bridge ADD f2 /run/netns/f2 eth0 "$T/flat.conf"
f2ip=$(jq -r '.ips[0].address | split("/")[0]' "$T/out")
t_match "$(ip netns exec f1 ping -c1 -W2 "$f2ip")" "ttl=64" "without portIsolation pods reach each other directly"
t_notok "and no guard table is made" nft list table bridge podnet-flat
t_done
