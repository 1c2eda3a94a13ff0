#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NetworkPolicy on a dual-stack network: the same policy holds for a pod's
# IPv4 and IPv6 addresses (the ip6 half of table inet podnet: maps
# ingress-v6/egress-v6, sets pods-*-v6 and port-*-v6), IPv6 ipBlocks with
# except, named ports resolved for IPv6 too.  Every cell is compared with
# the evaluator (pn-polmatrix) and with the expectation written here.
#
#   namespace x: pods a (pod=a), b (pod=b), d (pod=d); namespace y: pod c
#   x/only-b      a accepts from b only, on port serve-80-tcp (named) and
#                 81/UDP
#   y/c-egress    c may send only to fd98::/64 except b's IPv6 address
. "$(dirname "$0")/lib.sh"
node_enter "$@"
. "$(dirname "$0")/lib-netpol.sh"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
on_cleanup "$P delete pod a b d -n x; $P delete pod c -n y; $P delete networkpolicy --all -A; $P gc"

mkdir -p "$T/net.d"
cat >"$T/net.d/10-podnet.conflist" <<'EOF'
{
  "cniVersion": "1.0.0", "cniVersions": ["1.0.0", "1.1.0"], "name": "podnet",
  "plugins": [ { "type": "podnet-bridge", "bridge": "podnet0", "isGateway": true, "isDefaultGateway": true,
    "portIsolation": true, "spoofCheck": true,
    "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.98.0.0/24" }], [{ "subnet": "fd98::/64" }]] } } ]
}
EOF
{
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: "x" }\n---\n'
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: "y" }\n---\n'
	pod_yaml x a "{ pod: a }"; echo ---
	pod_yaml x b "{ pod: b }"; echo ---
	pod_yaml x d "{ pod: d }"; echo ---
	pod_yaml y c "{ pod: c }"
} >"$T/pods.yaml"
t_ok "pods x/a, x/b, x/d, y/c on a dual-stack network" $P apply -f "$T/pods.yaml"
declare -A V4 V6
for p in x/a x/b x/d y/c; do
	V4[$p]=$($P get pod ${p#*/} -n ${p%/*} -o jsonpath='{.status.podIPs[0].ip}')
	V6[$p]=$($P get pod ${p#*/} -n ${p%/*} -o jsonpath='{.status.podIPs[1].ip}')
done
t_match "${V4[x/a]} ${V6[x/a]}" '^10\.98\.0\.[0-9]+ fd98::[0-9a-f:]+$' "every pod has an IPv4 and an IPv6 address"

FROMS="x/a x/b x/d y/c"
# cells: every source probes every other pod's two addresses on 80/tcp,
# 81/tcp and 81/udp.
cells() {
	local f t port
	for f in $FROMS; do for t in $FROMS; do
		[ "$f" = "$t" ] && continue
		for port in 80/tcp 81/tcp 81/udp; do
			echo "$f ${V4[$t]}:$port"
			echo "$f [${V6[$t]}]:$port"
		done
	done; done
}
probe() {
	local f pids=()
	for f in $FROMS; do
		$P exec -n ${f%/*} ${f#*/} -- $PROBE probe $PROBE_MS $(cells | awk -v f=$f '$1 == f {print $2}') 2>/dev/null |
			sed "s|^|$f |" >"$T/p-${f/\//-}" &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "$T"/p-* | sort >"$1"
}
# want FROM TO FAMILY PORT: the expectation of one cell, from the API
# reference: x/a is isolated for ingress by only-b; y/c for egress by
# c-egress; nothing else is isolated.
want() {
	local f=$1 t=$2 fam=$3 port=$4
	if [ "$f" = y/c ]; then
		# egress of c: IPv6 inside fd98::/64, except b's address
		[ "$fam" = 6 ] || { echo fail; return; }
		[ "$t" = x/b ] && { echo fail; return; }
	fi
	if [ "$t" = x/a ]; then
		[ "$f" = x/b ] || { echo fail; return; }
		[ "$port" = 80/tcp ] || [ "$port" = 81/udp ] || { echo fail; return; }
	fi
	echo ok
}
expected() {
	local f t port
	for f in $FROMS; do for t in $FROMS; do
		[ "$f" = "$t" ] && continue
		for port in 80/tcp 81/tcp 81/udp; do
			echo "$f ${V4[$t]}:$port $(want $f $t 4 $port)"
			echo "$f [${V6[$t]}]:$port $(want $f $t 6 $port)"
		done
	done; done | sort >"$1"
}
verify() { # NAME WANT-FILE
	probe "$T/got"
	cells | "$MATRIX" | sort >"$T/eval"
	settle "$T/got" "$T/eval" "$2"
	t_is "$(wc -l <"$T/got")" 72 "$1: 72 cells probed"
	t_ok "$1: the kernel agrees with the evaluator" cmp -s "$T/got" "$T/eval"
	t_ok "$1: and with the expectation" cmp -s "$T/got" "$2" ||
		diff "$T/got" "$2" | sed 's/^/#   /'
}

# The servers start with the containers: probe until every cell answers.
for i in $(seq 1 30); do
	probe "$T/warm"
	sed 's/ fail$/ ok/' "$T/warm" >"$T/all-ok"
	settle "$T/warm" "$T/all-ok"
	[ "$(grep -c ' ok$' "$T/warm")" = 72 ] && break
	sleep 0.2
done
verify "no policy" "$T/all-ok"

cat >"$T/pol.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: only-b, namespace: "x" }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
  - from: [ { podSelector: { matchLabels: { pod: b } } } ]
    ports: [ { port: serve-80-tcp }, { protocol: UDP, port: 81 } ]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: c-egress, namespace: "y" }
spec:
  podSelector: { matchLabels: { pod: c } }
  policyTypes: [ Egress ]
  egress:
  - to: [ { ipBlock: { cidr: "fd98::/64", except: [ "${V6[x/b]}/128" ] } } ]
EOF
t_ok "apply both policies" $P apply -f "$T/pol.yaml"
expected "$T/want"
verify "only-b and c-egress" "$T/want"
t_match "$(nft list map inet podnet ingress-v6)" "${V6[x/a]} : goto ingress-" "x/a's IPv6 address is in the ingress-v6 map"
t_match "$(nft list table inet podnet)" "set port-tcp-serve-80-tcp-v6" "the named port has an IPv6 set"
t_match "$($P netpol explain y/c "x/b:81/UDP" 2>&1 | head -1)" "y/c .* -> x/b .*: DENIED" "explain (IPv4 by default): DENIED"

t_ok "delete -f" $P delete -f "$T/pol.yaml"
verify "deleted" "$T/all-ok"
t_notok "no table once no policy is left" nft list table inet podnet
t_done
