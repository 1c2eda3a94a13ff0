#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: podnet-bridge alone, doing what a container runtime asks of a
# CNI plugin.  Two pods (network namespaces named cni-<uuid>, as containerd
# names them) are attached to a node bridge by ADD, get their IPs, one pod
# fetches a page from the other over HTTP, CHECK confirms the plumbing, DEL
# removes it all.  It runs in a throwaway node (private network and mount
# namespaces), so the machine's own network is never touched; every
# outcome is checked, and a failure says which and exits non-zero.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin

if [ -z "${PODNET_DEMO_NODE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "demo: must run as root (it creates namespaces)" >&2; exit 1; }
	PODNET_DEMO_NODE=1 exec unshare --mount --net --propagation private -- bash "$0" "$@"
fi
mount -t tmpfs podnet-demo /run && mount -t tmpfs podnet-demo /var/lib || exit 1
mkdir -p /run/netns /var/lib/cni /etc/cni
ip link set lo up
T=$(mktemp -d /tmp/podnet-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

bold= norm=
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); norm=$(tput sgr0 2>/dev/null || true); fi
failed=0
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$norm"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$norm"; "$@"; }
check() {
	local desc=$1; shift
	if "$@" >/dev/null 2>&1; then echo "   [ok]   $desc"; else echo "   [FAIL] $desc"; failed=$((failed + 1)); fi
}
cni() { # VERB ID NETNS
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_IFNAME=eth0 CNI_PATH=$BIN \
		"$BIN/podnet-bridge" <"$CONF"
}

jq '{cniVersion, name} + .plugins[0]' "$ROOT/examples/10-podnet.conflist" >"$T/podnet.conf"
CONF=$T/podnet.conf

step "The network configuration (examples/10-podnet.conflist, first plugin)"
cat "$CONF"

step "Two pod sandboxes, as a runtime makes them"
id1=$(cat /proc/sys/kernel/random/uuid); id2=$(cat /proc/sys/kernel/random/uuid)
ns1=cni-$id1; ns2=cni-$id2
ip netns add "$ns1"; ip netns add "$ns2"
ip -n "$ns1" link set lo up; ip -n "$ns2" link set lo up
show ip netns list

step "ADD: podnet-bridge attaches pod1"
printf '%s$ CNI_COMMAND=ADD CNI_CONTAINERID=pod1 CNI_NETNS=/run/netns/%s CNI_IFNAME=eth0 podnet-bridge <podnet.conf%s\n' "$bold" "$ns1" "$norm"
cni ADD pod1 "/run/netns/$ns1" | tee "$T/r1"
step "ADD: podnet-bridge attaches pod2"
cni ADD pod2 "/run/netns/$ns2" >"$T/r2"; jq -c '{ips, routes}' "$T/r2"
ip1=$(jq -r '.ips[0].address' "$T/r1" | cut -d/ -f1)
ip2=$(jq -r '.ips[0].address' "$T/r2" | cut -d/ -f1)
check "pod1 got an address ($ip1)" test -n "$ip1" -a "$ip1" != null
check "pod2 got a different address ($ip2)" test -n "$ip2" -a "$ip2" != null -a "$ip1" != "$ip2"

step "Inside pod1's namespace: eth0 and the pod IP (ip netns exec $ns1 ip addr)"
show ip -n "$ns1" -br addr
show ip -n "$ns1" route
check "eth0 in pod1 carries $ip1" bash -c "ip -n $ns1 -4 -o addr show dev eth0 | grep -q ' $ip1/'"

step "On the node: the bridge and its veth ports"
show ip -br link show master podnet0
show ip -br addr show dev podnet0

step "pod1 -> pod2 over HTTP (server: busybox httpd in pod2 on :80)"
mkdir -p "$T/www"; echo "hello from pod2 ($ip2)" >"$T/www/index.html"
ip netns exec "$ns2" busybox httpd -f -p 80 -h "$T/www" & pids+=($!)
for _ in $(seq 50); do ip netns exec "$ns2" ss -Hltn 'sport = :80' | grep -q . && break; sleep 0.05; done
show ip netns exec "$ns1" curl -sS -v --max-time 5 "http://$ip2:80/" 2>&1 | grep -E '^(< HTTP|hello|\* Connected)'
check "pod1 fetched pod2's page" bash -c "ip netns exec $ns1 curl -sS --max-time 5 http://$ip2:80/ | grep -q 'hello from pod2'"

step "CHECK: the plumbing still matches the ADD result"
jq --slurpfile r "$T/r1" '. + {prevResult: $r[0]}' "$CONF" >"$T/check.conf"
CONF=$T/check.conf
check "CHECK pod1 passes" cni CHECK pod1 "/run/netns/$ns1"
CONF=$T/podnet.conf

step "The leases (podnet-ipam leases)"
show "$BIN/podnet-ipam" leases

step "DEL: both pods"
check "DEL pod1" cni DEL pod1 "/run/netns/$ns1"
check "DEL pod2" cni DEL pod2 "/run/netns/$ns2"
kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pids=()
ip netns del "$ns1"; ip netns del "$ns2"
check "no veth left" bash -c "[ \$(ip -o link show type veth | wc -l) = 0 ]"
check "no lease left" bash -c "! ls /var/lib/cni/networks/podnet | grep -q '^10\\.'"
show ip -br link show master podnet0

echo
if [ $failed -eq 0 ]; then
	echo "${bold}demo: every step succeeded${norm}"
else
	echo "${bold}demo: $failed step(s) FAILED${norm}"
	exit 1
fi
