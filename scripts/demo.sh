#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: the seed scenario, run by podnet and checked step by step.
#
#   Pod1: C1, C2 (sleep debug containers) and C3 (nginx) -- one netns, one IP, one localhost
#   Pod2: C4 (nginx)                                      -- another netns, another IP
#
# It walks the seed's workflow (kubectl get pods -o wide, jsonpath podIP,
# exec ip addr / curl localhost, pod-to-pod curl, ip netns, crictl ps /
# inspect, readlink /proc/PID/ns/net) with podnet's commands, printing each
# command and its real output.  Everything runs in a throwaway node
# (private network and mount namespaces), so the machine's own network is
# never touched; all of it is removed at the end (--keep leaves the pods
# running and drops you into a shell in that node instead).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

if [ -z "${PODNET_DEMO_NODE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "demo: must run as root (it creates namespaces)" >&2; exit 1; }
	PODNET_DEMO_NODE=1 exec unshare --mount --net --propagation private -- bash "$0" "$@"
fi
mount -t tmpfs podnet-demo /run && mount -t tmpfs podnet-demo /var/lib || exit 1
mkdir -p /run/netns /var/lib/cni /var/lib/podnet
ip link set lo up
T=$(mktemp -d /tmp/podnet-demo.XXXXXX)
export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PATH=$BIN:$PATH

bold= norm=
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); norm=$(tput sgr0 2>/dev/null || true); fi
failed=0
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$norm"; }
# show CMD...: print the command, run it; its exit status is $shown.
show() { printf '%s$ %s%s\n' "$bold" "$*" "$norm"; "$@"; shown=$?; return $shown; }
check() {
	local desc=$1; shift
	if "$@" >/dev/null 2>&1; then echo "   [ok]   $desc"; else echo "   [FAIL] $desc"; failed=$((failed + 1)); fi
}
# matches TEXT ERE: TEXT has a line matching ERE.
matches() { grep -qE -- "$2" <<<"$1"; }
# none CMD... -- ERE: CMD succeeds and prints no line matching ERE (a
# failing CMD is not "none").
none() {
	local cmd=() out
	while [ "$1" != -- ]; do cmd+=("$1"); shift; done
	out=$("${cmd[@]}") || return 1
	! grep -qE -- "$2" <<<"$out"
}
cleanup() {
	podnet delete networkpolicy --all >/dev/null 2>&1
	podnet delete pod pod1 pod2 >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

step "The manifests (examples/pod1.yaml, examples/pod2.yaml)"
cat "$ROOT/examples/pod1.yaml" "$ROOT/examples/pod2.yaml" | grep -v '^ *#'

step "Create both pods"
show podnet apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
check "apply exits 0" test "$shown" = 0

step "1. Pods and IPs (kubectl get pods -o wide)"
printf '%s$ %s%s\n' "$bold" "podnet get pods -o wide" "$norm"
wide=$(podnet get pods -o wide)
echo "$wide"
check "pod1: READY 3/3, Running" matches "$wide" '^pod1 +3/3 +Running '
check "pod2: READY 1/1, Running" matches "$wide" '^pod2 +1/1 +Running '
step "2. Only Pod1's IP (kubectl get pod pod1 -o jsonpath='{.status.podIP}{\"\\n\"}')"
show podnet get pod pod1 -o jsonpath='{.status.podIP}{"\n"}'
ip1=$(podnet get pod pod1 -o jsonpath='{.status.podIP}')
ip2=$(podnet get pod pod2 -o jsonpath='{.status.podIP}')
check "pod1 has an IP of the pod network ($ip1)" matches "$ip1" '^10\.244\.[0-9]+\.[0-9]+$'

step "3. Interfaces inside each container of Pod1: the same eth0, the same IP"
for c in c1 c2 c3; do
	show podnet exec pod1 -c $c -- ip -br addr
	check "$c sees eth0 with $ip1" bash -c "podnet exec pod1 -c $c -- ip -4 -o addr show dev eth0 | grep -q ' $ip1/'"
done

step "4. localhost is shared: curl localhost:80 from C1 reaches C3's nginx"
show podnet exec pod1 -c c1 -- curl -sS localhost:80 | grep -i '<title>'
check "C1 -> localhost:80 answered by nginx" bash -c "podnet exec pod1 -c c1 -- curl -sS localhost:80 | grep -q 'Welcome to nginx'"

step "5. Pod2 is another namespace with another IP; Pod1 reaches it over the pod IP"
check "pod2's IP ($ip2) is of the pod network and differs from pod1's ($ip1)" \
	bash -c '[[ $1 =~ ^10\.244\.[0-9]+\.[0-9]+$ && $1 != "$2" ]]' _ "$ip2" "$ip1"
show podnet exec pod1 -c c1 -- curl -sS -o /dev/null -w 'HTTP %{http_code} from %{remote_ip}\n' "http://$ip2:80"
check "pod1 -> pod2 HTTP 200" bash -c "[ \"\$(podnet exec pod1 -c c1 -- curl -sS -o /dev/null -w '%{http_code}' http://$ip2:80)\" = 200 ]"

step "6. On the node: the cni- network namespaces (ip netns)"
show ip netns list
check "two cni- namespaces" bash -c "[ \$(ip netns list | grep -c '^cni-') = 2 ]"

step "7. Container -> PID -> network namespace (crictl ps / crictl inspect / readlink)"
show podnet ps
pid=$(podnet inspect c3 | jq -r .info.pid)
printf '%s$ podnet inspect c3 | jq .info.pid%s\n%s\n' "$bold" "$norm" "$pid"
show readlink "/proc/$pid/ns/net"
netns=$(podnet inspectp pod1 | jq -r '.info.runtimeSpec.linux.namespaces[0].path')
show stat -L -c "%n: net:[%i]" "$netns"
ino3=$(stat -L -c %i "/proc/$pid/ns/net") ino1=$(stat -L -c %i "$netns")
check "C3 (pid $pid) is in Pod1's netns $netns (inode $ino1)" bash -c '[[ $1 =~ ^[0-9]+$ && $1 = "$2" ]]' _ "$ino3" "$ino1"
show ip netns exec "$(basename "$netns")" ip -br addr

step "8. NetworkPolicy: default deny for namespace default (examples/netpol-default-deny.yaml)"
show podnet apply -f "$ROOT/examples/netpol-default-deny.yaml"
show podnet exec pod1 -c c1 -- curl -sS -m 2 -o /dev/null -w 'HTTP %{http_code}\n' "http://$ip2:80"
check "pod1 -> pod2 times out (curl exits 28)" test "$shown" = 28
show podnet netpol explain pod1 pod2:80
check "explain: DENIED, isolated by default/default-deny" \
	bash -c "podnet netpol explain pod1 pod2:80 | tr '\\n' ' ' | grep -qE 'DENIED.*isolated by: default/default-deny'"
step "9. NetworkPolicy: pod2 accepts port 80 from pod1 (examples/netpol-allow-pod1.yaml)"
show podnet apply -f "$ROOT/examples/netpol-allow-pod1.yaml"
show podnet get networkpolicy
show podnet exec pod1 -c c1 -- curl -sS -m 2 -o /dev/null -w 'HTTP %{http_code}\n' "http://$ip2:80"
check "pod1 -> pod2 HTTP 200 again" bash -c "[ \"\$(podnet exec pod1 -c c1 -- curl -sS -m 2 -o /dev/null -w '%{http_code}' http://$ip2:80)\" = 200 ]"
check "pod2 -> pod1 still denied" bash -c "! podnet exec pod2 -- curl -sS -m 1 -o /dev/null http://$ip1:80"
show podnet netpol explain pod1 pod2:80
show nft list chain inet podnet forward

if [ $KEEP = 1 ]; then
	trap - EXIT
	echo; echo "--keep: the pods run on in this throwaway node; exit the shell to remove them."
	PS1='podnet-demo# ' bash --norc -i
	cleanup
	exit 0
fi

step "Delete both pods: nothing is left"
check "before: two leases in the network's store" \
	bash -c "[ \$(ls /var/lib/cni/networks/podnet | grep -cE '^10\\.') = 2 ]"
show podnet delete networkpolicy default-deny allow-pod1-to-pod2
check "no podnet nftables table once no policy is left" bash -c "! nft list table inet podnet"
show podnet delete pod pod1 pod2
check "delete exits 0" test "$shown" = 0
check "no cni- namespace left" none ip netns list -- '^cni-'
check "no veth left" none ip -o link show type veth -- .
check "no lease left" none ls /var/lib/cni/networks/podnet -- '^10\.'
check "no pod left" none podnet get pods -A -- .

echo
if [ $failed -eq 0 ]; then
	echo "${bold}demo: every step succeeded${norm}"
else
	echo "${bold}demo: $failed step(s) FAILED${norm}"
	exit 1
fi
