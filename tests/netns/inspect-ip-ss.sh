#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `podnet ip`, `podnet ss` and `podnet nsenter` look inside a pod whose image
# has no ip, ss or curl, and say what iproute2 says, in a throwaway node:
#
#   node (podnet0 bridge, 10.244.0.1) --veth-- tiny (netns cni-A)
#        web: busybox httpd :8080        (image "tiny": busybox + libc only,
#        nc:  busybox nc -l -p 9090       no ip/ss/curl applet links)
#   + a UDP socket on :5353 held by a node process in tiny's netns
#   + pod1 of the seed (c3 nginx on :80)
#
# Checks: podnet ip POD addr|link|route|neigh == ip -n NETNS ... line by
# line (and -o json == ip -j), podnet ss == ss -N NETNS for -ltn, -lun,
# -ltun, -tn with an established connection, and -p with the container
# named; nsenter runs node binaries there with the command's exit code;
# unknown pod/container/object errors.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod tiny pod1"

# The image: busybox and the libraries it links, nothing else.
img=$T/tiny-rootfs
mkdir -p "$img/bin" "$img/www"
cp /bin/busybox "$img/bin/busybox"
for lib in $(ldd /bin/busybox | grep -o '/[^ ]*'); do
	mkdir -p "$img$(dirname "$lib")"
	cp -L "$lib" "$img$lib"
done
for a in sh sleep httpd nc; do ln -s busybox "$img/bin/$a"; done
echo tiny >"$img/www/index.html"
t_ok "import the tiny image" $P image import tiny "$img"

cat >"$T/tiny.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: tiny
spec:
  containers:
  - name: web
    image: tiny
    command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
  - name: nc
    image: tiny
    command: ["/bin/nc", "-l", "-p", "9090"]
YAML
t_ok "apply the tiny pod" $P apply -f "$T/tiny.yaml"
nspath=$($P inspectp tiny | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type=="network") | .path')
ns=$(basename "$nspath")
t_match "$ns" "^cni-" "tiny's netns is $ns"
t_ok "httpd listens in tiny" wait_listen "$ns" 8080
t_ok "nc listens in tiny" wait_listen "$ns" 9090
$P exec tiny -c web -- ip addr >/dev/null 2>&1
t_is "$?" "127" "the image has no ip"
$P exec tiny -c web -- ss -ltn >/dev/null 2>&1
t_is "$?" "127" "nor ss"

# same DESC CMD_A -- CMD_B: both succeed and their outputs are equal, and
# not empty unless SAME_EMPTY_OK=1; retried a few times, since the kernel
# may change state between the two reads (DAD ends, a neighbour goes
# STALE).  Lifetime counters ticking down are the only normalising.
norm() { sed -E 's/(valid_lft|preferred_lft) [0-9]+sec/\1 Nsec/g; s/"(valid|preferred)_life_time":[0-9]+/"\1_life_time":N/g'; }
same() {
	local d=$1 a=() i ra rb; shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	for i in 1 2 3 4 5; do
		"${a[@]}" 2>&1 | norm >"$T/a"; ra=${PIPESTATUS[0]}
		"$@" 2>&1 | norm >"$T/b"; rb=${PIPESTATUS[0]}
		[ "$ra" = 0 ] && [ "$rb" = 0 ] && cmp -s "$T/a" "$T/b" &&
			{ [ -s "$T/b" ] || [ "${SAME_EMPTY_OK:-0}" = 1 ]; } &&
			{ t_pass "$d ($(wc -l <"$T/b") lines)"; return; }
		sleep 0.3
	done
	t_fail "$d"
	echo "#   exit $ra and $rb"
	diff "$T/a" "$T/b" | sed 's/^/#   /' | head -20
}

gw=$(ip -n "$ns" -4 route show default | awk '{print $3}')
ip netns exec "$ns" ping -c1 -W2 "$gw" >/dev/null
for o in addr link route neigh; do
	same "podnet ip tiny $o == ip -n $ns $o" $P ip tiny $o -- ip -n "$ns" $o
	same "podnet ip tiny $o -o json == ip -n $ns -j $o" $P ip tiny $o -o json -- ip -n "$ns" -j $o
done
SAME_EMPTY_OK=1 same "podnet ip tiny -6 route == ip -n $ns -6 route (none yet)" $P ip tiny -6 route -- ip -n "$ns" -6 route
same "podnet ip tiny -4 addr == ip -n $ns -4 addr" $P ip tiny -4 addr -- ip -n "$ns" -4 addr

# A richer namespace: IPv6 with and without DAD, a peer address, a
# secondary, a veth pair inside the pod with one end down (M-DOWN), routes with metrics, onlink,
# blackhole, multipath, permanent neighbours; each printed as ip does.
ip -n "$ns" addr add fd00:5::2/64 dev eth0 nodad
ip -n "$ns" addr add 10.250.0.2/24 dev eth0
ip -n "$ns" addr add 10.250.0.3/24 dev eth0 label eth0:sec
ip -n "$ns" link add v7a mtu 1400 type veth peer name v7b
ip -n "$ns" link set v7a up
ip -n "$ns" addr add 10.251.0.1 peer 10.251.0.2/32 dev v7a
ip -n "$ns" addr add fd00:7::1/64 dev v7a valid_lft 3600 preferred_lft 1800
ip -n "$ns" route add 192.0.2.0/24 via "$gw" metric 50 mtu 1400 advmss 1360
ip -n "$ns" route add 198.51.100.0/24 via 10.250.0.1 dev eth0 onlink
ip -n "$ns" route add blackhole 203.0.113.0/24
ip -n "$ns" route add 203.0.113.128/25 nexthop via "$gw" weight 1 nexthop via 10.250.0.1 weight 2
ip -n "$ns" -6 route add fd00:9::/64 via fd00:5::1 metric 20
ip -n "$ns" neigh add 10.250.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanent
ip -n "$ns" neigh add fd00:5::9 lladdr 02:00:00:00:00:0a dev eth0 nud permanent
t_match "$($P ip tiny link | grep ": v7a@")" "^[0-9]+: v7a@v7b: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1400 " "a veth whose peer is down: NO-CARRIER and M-DOWN"
$P ip tiny addr | sed 's/^/# /'
$P ip tiny route | sed 's/^/# /'
for o in addr link route neigh "-6 route" "-6 neigh" "-4 neigh"; do
	same "rich: podnet ip tiny $o == ip -n $ns $o" $P ip tiny $o -- ip -n "$ns" $o
	same "rich: podnet ip tiny $o -o json == ip -n $ns -j $o" $P ip tiny $o -o json -- ip -n "$ns" -j $o
done
same "-c web reads the same namespace" $P ip tiny -c web addr -- ip -n "$ns" addr
t_match "$($P ip tiny neigh | grep "^$gw ")" "^$gw dev eth0 lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} (REACHABLE|STALE|DELAY)" "neigh shows the gateway after a ping"
t_match "$($P ip tiny addr)" "inet $($P get pod tiny -o jsonpath='{.status.podIP}')/[0-9]+ " "addr shows the pod IP"

# Node lines on the node: a veth's peer in the node's namespace.
t_match "$($P ip tiny link | grep eth0)" "^[0-9]+: eth0@if[0-9]+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu [0-9]+ qdisc noqueue state UP mode DEFAULT group default" "eth0@ifN with its flags"

# Sockets.  A UDP socket held by a node process in the pod's netns, and an
# established TCP connection to httpd.
bg ip netns exec "$ns" python3 -c 'import socket,time
u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); u.bind(("0.0.0.0",5353))
c=socket.create_connection(("127.0.0.1",8080)); time.sleep(120)'
for i in $(seq 1 50); do ss -N "$ns" -Htn state established | grep -q :8080 && break; sleep 0.1; done
same "podnet ss tiny -ltn == ss -N $ns -ltn" $P ss tiny -ltn -- ss -N "$ns" -ltn
same "podnet ss tiny -lt == ss -N $ns -lt (service names)" $P ss tiny -lt -- ss -N "$ns" -lt
same "podnet ss tiny -lun == ss -N $ns -lun" $P ss tiny -lun -- ss -N "$ns" -lun
same "podnet ss tiny -ltun == ss -N $ns -ltun" $P ss tiny -ltun -- ss -N "$ns" -ltun
t_match "$($P ss tiny -tn)" $'\nESTAB +0 +0 +127\\.0\\.0\\.1:[0-9]+ +127\\.0\\.0\\.1:8080' "podnet ss tiny -tn shows the connection to httpd"
same "podnet ss tiny -tn == ss -N $ns -tn (established)" $P ss tiny -tn -- ss -N "$ns" -tn
same "podnet ss tiny -tan == ss -N $ns -tan" $P ss tiny -tan -- ss -N "$ns" -tan
# The container names widen the Process column: trailing blanks differ.
same "podnet ss tiny -ltnp == ss -N $ns -ltnp, container names aside" \
	bash -c "$P ss tiny -ltnp | sed 's/,container=[^)]*//g; s/ *\$//'" -- bash -c "ss -N $ns -ltnp | sed 's/ *\$//'"
pl=$($P ss tiny -ltnp)
echo "$pl" | sed 's/^/# /'
t_match "$(echo "$pl" | grep ':8080 ')" 'users:\(\("httpd",pid=[0-9]+,fd=[0-9]+,container=web\)\)$' "-p: httpd's socket, in container web"
t_match "$(echo "$pl" | grep ':9090 ')" 'users:\(\("nc",pid=[0-9]+,fd=[0-9]+,container=nc\)\) *$' "-p: nc's socket, in container nc"
t_match "$($P ss tiny -lunp | grep ':5353 ')" 'users:\(\("python3",pid=[0-9]+,fd=[0-9]+\)\)$' "-p: a node process in the netns is named, with no container"
j=$($P ss tiny -ltnp -o json)
t_is "$(echo "$j" | jq -r '.[] | select(.local_port==8080) | .users[0].container')" "web" "-o json: users with the container"
t_is "$(echo "$j" | jq -r '.[] | select(.local_port==8080) | .state')" "LISTEN" "-o json: state"

# nsenter: node binaries in the pod's netns.
want=$(ip -n "$ns" -br addr)
t_match "$want" $'(^|\n)eth0@if[0-9]+ +UP +10\\.244\\.' "ip -n $ns -br addr lists eth0 with the pod IP"
t_is "$($P nsenter tiny -- ip -br addr 2>"$T/ns.err")" "$want" "nsenter tiny -- ip -br addr == ip -n $ns -br addr"
t_is "$(cat "$T/ns.err")" "podnet: joined net namespace of pod default/tiny (netns $nspath)" "nsenter says which namespace it joined"
$P nsenter tiny -- sh -c 'exit 7' 2>/dev/null
t_is "$?" "7" "nsenter propagates the exit code"
$P nsenter tiny -- no-such-binary-here 2>"$T/ns.err"
t_is "$?" "127" "nsenter: missing command is 127"
t_match "$(cat "$T/ns.err")" "failed to execute no-such-binary-here" "and is named"
t_match "$($P nsenter tiny -c nc -- readlink /proc/self/ns/net 2>&1)" "joined net namespace of container nc \\(pid [0-9]+\\) of pod default/tiny" "nsenter -c names the container"
t_is "$($P nsenter tiny -- readlink /proc/self/ns/net 2>/dev/null)" "net:[$(stat -L -c %i "$nspath")]" "and the child really is in the pod's netns"

# Errors.
out=$($P ip nope addr 2>&1); rc=$?
t_is "$rc:$out" '1:Error from server (NotFound): pods "nope" not found' "unknown pod"
out=$($P ss nope -lt 2>&1); rc=$?
t_is "$rc:$out" '1:Error from server (NotFound): pods "nope" not found' "ss: unknown pod"
out=$($P nsenter nope -- true 2>&1); rc=$?
t_is "$rc:$out" '1:Error from server (NotFound): pods "nope" not found' "nsenter: unknown pod"
out=$($P ip tiny -c zz addr 2>&1); rc=$?
t_is "$rc:$out" '1:error: container zz is not valid for pod tiny' "unknown container"
out=$($P ip tiny bogus 2>&1); rc=$?
t_is "$rc:$out" '1:error: unknown object "bogus": want addr, link, route or neigh' "unknown object"
out=$($P ip tiny addr -n other 2>&1); rc=$?
t_is "$rc:$out" '1:Error from server (NotFound): pods "tiny" not found' "wrong namespace"

# The seed's pod1: nginx on :80 in c3.
t_ok "apply the seed's pod1" $P apply -f "$ROOT/examples/pod1.yaml"
ns1=$(basename "$($P inspectp pod1 | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type=="network") | .path')")
t_ok "nginx listens in pod1" wait_listen "$ns1" 80
same "podnet ss pod1 -ltn == ss -N $ns1 -ltn" $P ss pod1 -ltn -- ss -N "$ns1" -ltn
same "podnet ss pod1 -ltnp == ss -N $ns1 -ltnp (same processes, same order)" \
	bash -c "$P ss pod1 -ltnp | sed 's/,container=[^)]*//g; s/ *\$//'" -- bash -c "ss -N $ns1 -ltnp | sed 's/ *\$//'"
p1=$($P ss pod1 -ltnp)
echo "$p1" | sed 's/^/# /'
t_match "$(echo "$p1" | grep '0.0.0.0:80 ')" '^LISTEN +0 +[0-9]+ +0\.0\.0\.0:80 +0\.0\.0\.0:\* +users:\(\("nginx",pid=[0-9]+,fd=[0-9]+,container=c3\)(,\("nginx",pid=[0-9]+,fd=[0-9]+,container=c3\))*\)$' "pod1: nginx on :80, every process named c3"
same "podnet ip pod1 addr == ip -n $ns1 addr" $P ip pod1 addr -- ip -n "$ns1" addr
t_done
