#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podnet-ipam as the IPAM of Debian's reference `bridge` plugin, executed by
# it per the spec (whole config on stdin, result on stdout):
#  1. ADD: addresses leased and configured on eth0, pods reach each other;
#     the lease records container, ifname and the pod's netns path;
#  2. CHECK through the bridge (prevResult), `podnet-ipam leases`;
#  3. exhaustion error passes through the bridge; a pod whose netns was
#     deleted without DEL has its lease reclaimed by the next ADD;
#  4. GC and STATUS (podnet-ipam directly: bridge 1.1.1 speaks CNI 1.0.0);
#  5. DEL releases, and is idempotent; nothing is left in the store.
#
#   [pod-a 10.98.0.2] --\
#                        [node: pnir0 10.98.0.1]     (reference bridge)
#   [pod-b 10.98.0.3] --/
#   range set 2: 10.99.0.0/24 with a single address for the exhaustion test
. "$(dirname "$0")/lib.sh"
node_enter "$@"

IPAM=$BIN/podnet-ipam
# scripts/install-deps.sh installs it (containernetworking-plugins).
if [ ! -x "$REF_CNI/bridge" ]; then
	t_fail "reference bridge plugin in $REF_CNI (scripts/install-deps.sh)"
	t_done
	exit 1
fi
if [ ! -x "$IPAM" ]; then
	t_fail "podnet-ipam not built at $IPAM (make, or set PODNET_BIN)"
	t_done
	exit 1
fi

DATA=$T/ipam
cat >"$T/net.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "ipamref", "type": "bridge", "bridge": "pnir0",
  "isGateway": true,
  "ipam": { "type": "podnet-ipam", "dataDir": "$DATA",
            "ranges": [[{ "subnet": "10.98.0.0/24" }]],
            "routes": [{ "dst": "0.0.0.0/0" }] } }
JSON
cat >"$T/tiny.conf" <<JSON
{ "cniVersion": "1.0.0", "name": "ipamtiny", "type": "bridge", "bridge": "pnir1",
  "isGateway": true,
  "ipam": { "type": "podnet-ipam", "dataDir": "$DATA",
            "ranges": [[{ "subnet": "10.99.0.0/24", "rangeStart": "10.99.0.9", "rangeEnd": "10.99.0.9" }]] } }
JSON

# --- 1. ADD through the reference bridge
pod_add pod-a
pod_add pod-b
t_ok "bridge ADD pod-a with podnet-ipam" cni bridge ADD ca /run/netns/pod-a eth0 "$T/net.conf"
cp "$T/out" "$T/res-a"
t_is "$(jq -r '.ips[0].address' "$T/res-a")" "10.98.0.2/24" "first address of the range"
t_is "$(jq -r '.ips[0].gateway' "$T/res-a")" "10.98.0.1" "gateway from the range"
t_match "$(ip -n pod-a -4 -o addr show dev eth0)" "10\.98\.0\.2/24" "eth0 carries the leased address"
t_match "$(ip -n pod-a -4 route show default)" "via 10\.98\.0\.1" "route from ipam.routes installed"
t_is "$(head -3 "$DATA/ipamref/10.98.0.2" | tr '\n' ' ')" "ca eth0 /run/netns/pod-a " \
	"lease records container, ifname, netns"
t_ok "bridge ADD pod-b" cni bridge ADD cb /run/netns/pod-b eth0 "$T/net.conf"
cp "$T/out" "$T/res-b"
t_is "$(jq -r '.ips[0].address' "$T/res-b")" "10.98.0.3/24" "second pod gets the next address"
t_ok "pod-a pings pod-b over the bridge" ip netns exec pod-a ping -c1 -W2 10.98.0.3

# --- 2. CHECK and the leases table
jq --slurpfile r "$T/res-a" '. + {prevResult: $r[0]}' "$T/net.conf" >"$T/check-a.conf"
t_ok "bridge CHECK pod-a (runs podnet-ipam CHECK)" cni bridge CHECK ca /run/netns/pod-a eth0 "$T/check-a.conf"
jq '.prevResult.ips[0].address = "10.98.0.77/24"' "$T/check-a.conf" >"$T/check-bad.conf"
CNI_COMMAND=CHECK CNI_CONTAINERID=ca CNI_NETNS=/run/netns/pod-a CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH \
	"$IPAM" <"$T/check-bad.conf" >"$T/out" 2>"$T/err"
t_match "$? $(jq -r .msg "$T/out")" "^1 no lease for 10\.98\.0\.77" "ipam CHECK of an address not leased fails"
"$IPAM" leases --data-dir "$DATA" >"$T/leases" 2>&1
t_match "$(head -1 "$T/leases")" "^NETWORK +IP +CONTAINER +IFNAME +NETNS +AGE +STALE" "leases table header"
t_match "$(grep 10.98.0.3 "$T/leases")" "^ipamref +10\.98\.0\.3 +cb +eth0 +/run/netns/pod-b +[0-9]+s +no" \
	"leases table row for pod-b"

# --- 3. exhaustion, and reclaim of a lease whose netns is gone
pod_add pod-c
pod_add pod-d
t_ok "ADD pod-c takes the only address of the tiny range" cni bridge ADD cc /run/netns/pod-c eth0 "$T/tiny.conf"
cni bridge ADD cd /run/netns/pod-d eth0 "$T/tiny.conf"
t_match "$CNI_RC $(jq -r .msg "$T/out")" "^1 no IP addresses available in range set: 10\.99\.0\.9-10\.99\.0\.9" \
	"exhaustion error passes through the bridge"
# bridge 1.1.1 leaves its veth behind when IPAM fails; a runtime then DELs.
t_ok "DEL after the failed ADD (as a runtime does)" cni bridge DEL cd /run/netns/pod-d eth0 "$T/tiny.conf"
t_ok "pod-c still holds the address" test -e "$DATA/ipamtiny/10.99.0.9"
# The runtime lost pod-c: its netns goes away without a CNI DEL.
ip netns del pod-c
t_match "$("$IPAM" leases --data-dir "$DATA" ipamtiny | grep 10.99.0.9)" "yes$" "pod-c's lease is shown stale"
CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH "$IPAM" <"$T/tiny.conf" >"$T/out"
t_is "$?" "0" "STATUS counts the stale lease as available"
t_ok "ADD pod-d reclaims the stale lease" cni bridge ADD cd /run/netns/pod-d eth0 "$T/tiny.conf"
t_is "$(jq -r '.ips[0].address' "$T/out")" "10.99.0.9/24" "pod-d got the reclaimed address"
t_is "$(head -1 "$DATA/ipamtiny/10.99.0.9")" "cd" "lease now names pod-d"
CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH "$IPAM" <"$T/tiny.conf" >"$T/out"
t_match "$? $(jq -r '.code' "$T/out")" "^1 50$" "STATUS of the full range: code 50"

# --- 4. GC keeps the valid attachments only
jq '. + {cniVersion: "1.1.0", "cni.dev/valid-attachments": [{containerID: "ca", ifname: "eth0"}]}' \
	"$T/net.conf" >"$T/gc.conf"
pod_add pod-e
t_ok "ADD pod-e (to be collected)" cni bridge ADD ce /run/netns/pod-e eth0 "$T/net.conf"
CNI_COMMAND=GC CNI_PATH=$CNI_PATH "$IPAM" <"$T/gc.conf" >"$T/out"
t_is "$?" "0" "podnet-ipam GC"
t_ok "GC kept pod-a's lease" test -e "$DATA/ipamref/10.98.0.2"
t_notok "GC freed pod-b's lease" test -e "$DATA/ipamref/10.98.0.3"
t_notok "GC freed pod-e's lease" test -e "$DATA/ipamref/10.98.0.4"

# --- 5. DEL
t_ok "bridge DEL pod-a" cni bridge DEL ca /run/netns/pod-a eth0 "$T/net.conf"
t_notok "lease of pod-a released" test -e "$DATA/ipamref/10.98.0.2"
t_ok "bridge DEL pod-a again (idempotent)" cni bridge DEL ca /run/netns/pod-a eth0 "$T/net.conf"
for p in b e; do cni bridge DEL c$p /run/netns/pod-$p eth0 "$T/net.conf"; done
t_ok "bridge DEL pod-d" cni bridge DEL cd /run/netns/pod-d eth0 "$T/tiny.conf"
t_empty "store holds no lease, index or temp file" find "$DATA" -type f ! -name lock ! -name 'last_reserved_ip.*' 
t_done
