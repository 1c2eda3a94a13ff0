#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed scenario, end to end, in a throwaway node:
#
#   Pod1 (netns cni-A, 10.244.0.x): C1 sleep, C2 sleep, C3 nginx  -- share one IP and localhost
#   Pod2 (netns cni-B, 10.244.0.y): C4 nginx
#         both on the node bridge podnet0 (podnet-bridge + podnet-ipam, `podnet init` default)
#
# Checks: same IP and same netns inode from C1, C2, C3 (ip addr output and
# /proc/PID/ns/net); C1's localhost:80 is C3's nginx; Pod1 and Pod2 differ
# in netns and IP; Pod1 -> Pod2 HTTP 200; `get pods -o wide` has kubectl's
# layout; crictl views give PIDs; delete removes everything.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2"

t_ok "apply pod1 and pod2" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
t_is "$(jq -c '[.cniVersion, .cniVersions]' "$T/net.d/10-podnet.conflist")" '["1.0.0",["1.0.0","1.1.0"]]' \
	"podnet init wrote the default conflist: cniVersion 1.0.0, cniVersions up to 1.1.0"

wide=$($P get pods -o wide)
echo "$wide" | sed 's/^/# /'
t_match "$(echo "$wide" | head -1)" "^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$" "get pods -o wide header as kubectl's"
t_match "$(echo "$wide" | grep '^pod1 ')" "^pod1 +3/3 +Running +0 +[0-9]+s +10\.244\.[0-9]+\.[0-9]+ +[^ ]+ +<none> +<none>$" "pod1 row: 3/3 Running, IP, <none> columns"
t_match "$(echo "$wide" | grep '^pod2 ')" "^pod2 +1/1 +Running +0 +[0-9]+s +10\.244\." "pod2 row: 1/1 Running"
ip1=$($P get pod pod1 -o jsonpath='{.status.podIP}')
ip2=$($P get pod pod2 -o jsonpath='{.status.podIP}')
t_match "$ip1" "^10\.244\.[0-9]+\.[0-9]+$" "jsonpath gives pod1's IP ($ip1), no trailing newline"
t_ok "pod1 and pod2 have different IPs" test "$ip1" != "$ip2"
t_is "$($P get pod pod1 -o jsonpath='{.status.podIP}{"\n"}')" "$ip1" "templated newline"

for c in c1 c2 c3; do
	t_match "$($P exec pod1 -c $c -- ip -4 -o addr show dev eth0)" "inet $ip1/" "ip addr from $c shows eth0 with $ip1"
done
ns1=$(stat -L -c %i "$($P inspectp pod1 | jq -r '.info.runtimeSpec.linux.namespaces[0].path')")
t_match "$ns1" '^[0-9]+$' "pod1's netns pin has an inode ($ns1)"
for c in c1 c2 c3; do
	pid=$($P inspect $c | jq -r .info.pid)
	t_is "$(stat -L -c %i /proc/$pid/ns/net)" "$ns1" "$c (pid $pid) is in pod1's netns (inode $ns1)"
done
pid4=$($P inspect c4 | jq -r .info.pid)
ns4=$(stat -L -c %i /proc/$pid4/ns/net)
t_match "$ns4" '^[0-9]+$' "c4 (pid $pid4) is in a netns (inode $ns4)"
t_ok "pod2's netns differs from pod1's" test "$ns4" != "$ns1"
t_match "$($P exec pod1 -c c1 -- curl -sS --max-time 5 localhost:80)" "Welcome to nginx" "curl localhost:80 from c1 answers with c3's nginx"
t_is "$($P exec pod1 -c c1 -- curl -sS --max-time 5 -o /dev/null -w '%{http_code}' http://$ip2:80)" "200" "pod1 -> pod2 over its pod IP: HTTP 200"
t_is "$(ip netns list | grep -c '^cni-')" "2" "ip netns lists two cni- namespaces"
t_match "$($P ps | head -1)" "^CONTAINER +IMAGE +CREATED +STATE +NAME +ATTEMPT +POD ID +POD$" "ps header as crictl's"
t_is "$($P ps -q | wc -l)" "4" "ps -q lists the 4 containers"
t_match "$($P ps | grep ' c3 ')" "^[0-9a-f]{13} +host +.* +Running +c3 +0 +[0-9a-f]{13} +pod1$" "ps row of c3"

# exec: exit codes and the default container message.
$P exec pod1 -- sh -c 'exit 7' 2>"$T/exec.err"
t_is "$?" "7" "exec propagates the command's exit code"
t_is "$(cat "$T/exec.err")" 'Defaulted container "c1" out of: c1, c2, c3' "default container named as kubectl does"
$P exec pod1 -c c2 -- no-such-binary >/dev/null 2>"$T/exec.err"
t_is "$?" "127" "missing executable: 127"
t_match "$(cat "$T/exec.err")" "no-such-binary" "and the runtime's message names it"
# The seed's nginx writes no log line (access log to a file, errors only
# at level error); tests/netns/pods-lifecycle.sh checks log contents.
t_ok "logs pod2 -c c4 reads c4's log" $P logs pod2 -c c4
t_ok "logs pod2 picks its only container" $P logs pod2

# Delete removes everything.
t_is "$(count ip -o link show master podnet0)" "2" "two ports on the bridge"
t_is "$(leases podnet)" "2" "two leases"
t_is "$(count ls -A /var/lib/cni/results)" "2" "two CNI cache files"
t_is "$(count ls -A /var/lib/podnet/pods)" "2" "two pod dirs"
t_ok "delete pod1 pod2" $P delete pod pod1 pod2
t_is "$(count -m '^cni-' ip netns list)" "0" "no netns pin left"
t_is "$(count ip -o link show type veth)" "0" "no veth left"
t_is "$(leases podnet)" "0" "no lease left"
t_is "$(count ls -A /var/lib/cni/results)" "0" "no CNI cache file left"
t_is "$(count ls -A /var/lib/podnet/pods)" "0" "no pod dir (bundles, logs) left"
t_ok "no container process left" pid_gone "$pid4"
t_is "$(grep -c ' /var/lib/podnet/' /proc/self/mountinfo)" "0" "no rootfs mount left"
t_match "$($P get pods 2>&1)" "No resources found in default namespace\." "get pods says no resources"

# A container name that is also a prefix of another container's ID: the
# name is exact and wins (crictl takes IDs; podnet takes both).
t_ok "apply pod2 again" $P apply -f "$ROOT/examples/pod2.yaml"
on_cleanup "$P delete pod pod2 clash"
prefix=$($P ps -q | head -1 | cut -c1-3)
sed "s/name: pod2/name: clash/; s/name: c4/name: \"$prefix\"/; s/app: pod2/app: clash/" "$ROOT/examples/pod2.yaml" >"$T/clash.yaml"
t_ok "apply a pod whose container is named $prefix" $P apply -f "$T/clash.yaml"
t_is "$($P inspect "$prefix" | jq -r .status.metadata.name)" "$prefix" "inspect $prefix picks the container of that name, not the ID prefix"
t_ok "delete pod2 and clash" $P delete pod pod2 clash
t_done
