#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 32 ADDs at once on a bridge that does not exist yet (they race to create
# it and to add its gateway): 32 distinct addresses, 32 ports; then 32 DELs
# at once leave no link, no lease, no rule.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

N=32
cat >"$T/net.conf" <<JSON
{ "cniVersion": "1.1.0", "name": "par", "type": "podnet-bridge", "bridge": "pnp0",
  "isGateway": true, "ipMasq": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.93.0.0/24" }]] } }
JSON
for i in $(seq 1 $N); do pod_add par$i; done

run_one() {
	CNI_COMMAND=$1 CNI_CONTAINERID=par$2 CNI_NETNS=/run/netns/par$2 CNI_IFNAME=eth0 \
		"$BIN/podnet-bridge" <"$T/net.conf" >"$T/res.$1.$2" 2>&1
	echo $? >"$T/rc.$1.$2"
}
for i in $(seq 1 $N); do run_one ADD $i & done
wait
fails=0
for i in $(seq 1 $N); do [ "$(cat "$T/rc.ADD.$i")" = 0 ] || { fails=$((fails + 1)); sed 's/^/#   /' "$T/res.ADD.$i"; }; done
t_is "$fails" "0" "all $N parallel ADDs succeed"
t_is "$(cat "$T"/res.ADD.* | jq -r '.ips[0].address' | sort -u | wc -l)" "$N" "$N distinct addresses"
t_is "$(count ip -o link show master pnp0)" "$N" "$N ports on the bridge"
t_is "$(count ip -4 -o addr show dev pnp0)" "1" "exactly one gateway address on the bridge"
t_is "$(count -m masquerade nft list chain ip podnet-par postrouting)" "1" "exactly one masquerade rule"
t_is "$(leases par)" "$N" "$N leases"
t_is "$(count ls /var/lib/cni/networks/par/by-attachment)" "$N" "$N attachment index entries"
ok_ping=0
for i in $(seq 1 $N); do ip netns exec par$i ping -c1 -W2 -q 10.93.0.1 >/dev/null 2>&1 && ok_ping=$((ok_ping + 1)); done
t_is "$ok_ping" "$N" "every pod reaches the gateway"

for i in $(seq 1 $N); do run_one DEL $i & done
wait
fails=0
for i in $(seq 1 $N); do [ "$(cat "$T/rc.DEL.$i")" = 0 ] || fails=$((fails + 1)); done
t_is "$fails" "0" "all $N parallel DELs succeed"
t_is "$(count ip -o link show master pnp0)" "0" "no port left"
t_is "$(count ip -o link show type veth)" "0" "no veth left on the node"
t_is "$(leases par)" "0" "no lease left"
t_is "$(count ls /var/lib/cni/networks/par/by-attachment)" "0" "no attachment index left"
echo '{ "cniVersion": "1.1.0", "name": "par", "type": "podnet-bridge", "bridge": "pnp0", "ipMasq": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.93.0.0/24" }]] },
  "cni.dev/valid-attachments": [] }' >"$T/gc.conf"
t_ok "GC of the empty network" cni podnet-bridge GC "" "" "" "$T/gc.conf"
t_notok "no rule left after GC" nft list table ip podnet-par
t_done
