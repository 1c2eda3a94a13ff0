#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NetworkPolicy over time, in the truth tables' world (lib-netpol.sh:
# namespaces x, y, z, pods a, b, c serving TCP/UDP 80 and 81):
#
#   update    apply a changed policy of the same name: "configured", the
#             table follows; apply it again: "unchanged"
#   delete    delete networkpolicy NAME: everything reaches x again
#   new pod   a pod created after a policy that isolates it is covered
#             before its first packet: its container probes first thing
#   relabel   a pod applied with new labels, a namespace with new labels:
#             the policies follow
#   enforced  a policy is in the kernel when apply returns, and gone when
#             delete returns; the next new connection follows
#   get, describe, explain, doctor: what they print, as kubectl would
. "$(dirname "$0")/lib.sh"
node_enter "$@"
. "$(dirname "$0")/lib-netpol.sh"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
on_cleanup "for ns in x y z; do $P delete pod a b c -n \$ns; done; $P delete pod early free -n x; $P delete networkpolicy --all -A; $P gc"

t_ok "nine pods in namespaces x, y, z" cluster_up
all_reach "$T/warm"
t_is "$(grep -c ' ok$' "$T/warm")" 288 "every pod reaches every other"

# reach FROM TO PORT/PROTO WANT: ok or fail, probed from inside FROM.  A
# refusal is silence, so "fail" comes from a probe timing out; where the
# caller expects ok (WANT), a failed probe is tried again with longer
# timeouts before "fail" is said (a loaded machine answers late, and a
# refused connection never answers).
reach() {
	local ns=${1%/*} pod=${1#*/} v ms
	for ms in $PROBE_MS $SETTLE_MS; do
		v=$($P exec -n "$ns" "$pod" -- "$PROBE" probe "$ms" "${PODIP[$2]}:$3" | awk '{print $2}')
		[ "$v" = ok ] || [ "$4" != ok ] && break
	done
	echo "$v"
}

# --- update -------------------------------------------------------------
cat >"$T/web.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: x }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
  - from: [ { namespaceSelector: { matchLabels: { ns: "y" } } } ]
    ports: [ { port: 80 } ]
EOF
t_is "$($P apply -f "$T/web.yaml" 2>&1)" "networkpolicy.networking.k8s.io/web created" "apply: created"
t_is "$(reach y/b x/a 80/tcp ok) $(reach z/b x/a 80/tcp fail)" "ok fail" "from y allowed, from z refused"
t_is "$($P apply -f "$T/web.yaml" 2>&1)" "networkpolicy.networking.k8s.io/web unchanged" "the same again: unchanged"
sed -i 's/ns: "y"/ns: "z"/' "$T/web.yaml"
t_is "$($P apply -f "$T/web.yaml" 2>&1)" "networkpolicy.networking.k8s.io/web configured" "changed: configured"
t_is "$(reach y/b x/a 80/tcp fail) $(reach z/b x/a 80/tcp ok)" "fail ok" "the table follows: now from z, not from y"

# --- get, describe ------------------------------------------------------
t_match "$($P get netpol -n x)" $'^NAME +POD-SELECTOR +AGE\nweb +pod=a +[0-9]+s$' "get netpol"
t_match "$($P get networkpolicies -A)" $'^NAMESPACE +NAME +POD-SELECTOR +AGE\nx +web +pod=a +[0-9]+s$' "get networkpolicies -A"
t_is "$($P get netpol web -n x -o name)" "networkpolicy.networking.k8s.io/web" "-o name"
t_is "$($P get netpol web -n x -o jsonpath='{.spec.policyTypes[0]} {.spec.ingress[0].ports[0].protocol}')" \
	"Ingress TCP" "-o jsonpath: the server's defaults (policyTypes, protocol)"
t_match "$($P get netpol web -n x -o yaml)" $'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  creationTimestamp: "[0-9T:-]+Z"\n  generation: 2\n  name: web\n  namespace: x\n' \
	"-o yaml: kubectl's layout, generation 2 after one change"
t_is "$($P get netpol nope -n x 2>&1)" 'Error from server (NotFound): networkpolicies.networking.k8s.io "nope" not found' "get a missing policy"
t_is "$($P get netpol -n y 2>&1)" "No resources found in y namespace." "get in a namespace without policies"
created=$(date -d "$($P get netpol web -n x -o jsonpath='{.metadata.creationTimestamp}')" '+%Y-%m-%d %H:%M:%S %z %Z')
cat >"$T/describe.want" <<EOF
Name:         web
Namespace:    x
Created on:   $created
Labels:       <none>
Annotations:  <none>
Spec:
  PodSelector:     pod=a
  Allowing ingress traffic:
    To Port: 80/TCP
    From:
      NamespaceSelector: ns=z
  Not affecting egress traffic
  Policy Types: Ingress
EOF
$P describe networkpolicy web -n x >"$T/describe.got" 2>&1
t_ok "describe networkpolicy: kubectl's text" diff -u "$T/describe.want" "$T/describe.got"

# --- explain and doctor -------------------------------------------------
out=$($P netpol explain y/b x/a:80 2>&1)
t_match "$out" "DENIED" "explain y/b -> x/a:80: denied"
t_match "$out" "ingress of x/a: denied.*isolated by: x/web" "explain names the isolating policy"
out=$($P netpol explain z/b x/a:80/TCP 2>&1)
t_match "$out" "ALLOWED" "explain z/b -> x/a:80/TCP: allowed"
t_match "$out" "allowed by: x/web ingress\[0\] from\[0\] \(namespaceSelector ns=z\), ports\[0\] \(80/TCP\)" \
	"explain names the rule, the peer and the port"
t_match "$($P netpol explain z/b x/a:80/UDP 2>&1)" "DENIED" "another protocol: denied"
out=$($P doctor -n y b --to "x/a:80" 2>&1)
t_match "$out" "a NetworkPolicy blocks y/b -> x/a:80/TCP: ingress of x/a is isolated by x/web" "doctor names the policy"
t_match "$out" "podnet netpol explain y/b x/a:80" "and says how to see why"

# --- delete -------------------------------------------------------------
t_is "$($P delete networkpolicy web -n x 2>&1)" 'networkpolicy.networking.k8s.io "web" deleted' "delete networkpolicy"
t_is "$(reach y/b x/a 80/tcp ok)" "ok" "deleted: x/a is open again"
t_match "$(nft list table inet podnet 2>&1)" "No such file or directory" "no table is left when nothing is isolated"
t_is "$($P delete networkpolicy web -n x 2>&1)" 'Error from server (NotFound): networkpolicies.networking.k8s.io "web" not found' "delete it again: NotFound"

# --- a pod created after the policy -------------------------------------
cat >"$T/cage.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: cage, namespace: x }
spec:
  podSelector: { matchLabels: { role: caged } }
  policyTypes: [Egress]
EOF
t_ok "a policy isolating pods labelled role=caged, none yet" $P apply -f "$T/cage.yaml"
# The container's very first act is a probe (once, written to its log):
# the caged pod's for 3 s (SYN and two retransmissions, all refused), the
# free pod's for up to 60 s (it answers at once, unless the machine is
# loaded).
first_probe() { # NAME LABELS TIMEOUT_MS
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, namespace: x, labels: $2 }
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: host
    command: [$PROBE, probe, "$3", "${PODIP[y/a]}:80/tcp"]
YAML
}
first_probe early "{ role: caged }" 3000 >"$T/early.yaml"
first_probe free "{ role: free }" 60000 >"$T/free.yaml"
t_ok "create a caged pod and a free one" $P apply -f "$T/early.yaml" -f "$T/free.yaml"
logs_of() { $P logs -n x "$1" 2>/dev/null | awk '{print $2}'; }
for i in $(seq 1 1200); do [ -n "$(logs_of early)" ] && [ -n "$(logs_of free)" ] && break; sleep 0.1; done
t_is "$(logs_of early)" "fail" "the caged pod's first packet already met the policy"
t_is "$(logs_of free)" "ok" "the free pod's got through (control)"
$P delete pod early free -n x >/dev/null 2>&1

# --- relabel a pod, a namespace -----------------------------------------
cat >"$T/only-a.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: only-a, namespace: "y" }
spec:
  podSelector: { matchLabels: { pod: a } }
  ingress:
  - from: [ { namespaceSelector: { matchLabels: { ns: "x" } } } ]
EOF
t_ok "y/a accepts only namespace x" $P apply -f "$T/only-a.yaml"
t_is "$(reach z/a y/a 80/tcp fail) $(reach z/a y/b 80/tcp ok)" "fail ok" "z reaches y/b, not y/a"
pod_yaml y b "{ pod: a }" >"$T/yb.yaml"
t_is "$($P apply -f "$T/yb.yaml" 2>&1)" "pod/b configured" "relabel y/b to pod=a: configured"
t_is "$(reach z/a y/b 80/tcp fail) $(reach x/a y/b 80/tcp ok)" "fail ok" "the policy now isolates y/b too"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: z, labels: { ns: "x" } }\n' >"$T/z.yaml"
t_is "$($P apply -f "$T/z.yaml" 2>&1)" "namespace/z configured" "relabel namespace z to ns=x: configured"
t_is "$($P get ns z -o jsonpath='{.metadata.labels}')" '{"kubernetes.io/metadata.name":"z","ns":"x"}' \
	"z keeps its name label"
t_is "$(reach z/a y/b 80/tcp ok)" "ok" "namespace z now counts as ns=x"

# --- enforced when apply returns ---------------------------------------
# apply returns once the kernel holds the change (one libnftables
# transaction inside the command): read back right after it returns, the
# policy's chain is there and the next new connection meets it; after
# delete returns, it is gone and the next one is refused again.  How long a
# change takes is measured by bench/netpol.sh (docs/benchmarks.md), not
# here: a test must not fail because the machine is slow.
sed 's/name: only-a/name: speed/; s/ns: "x"/ns: "y"/' "$T/only-a.yaml" >"$T/speed.yaml"
t_is "$(reach y/c y/a 80/tcp fail)" "fail" "before: y/c does not reach y/a (only namespace x does)"
$P apply -f "$T/speed.yaml" >"$T/speed.out" 2>&1 && nft list table inet podnet >"$T/speed.nft" 2>&1
t_is "$(cat "$T/speed.out")" "networkpolicy.networking.k8s.io/speed created" "apply y/speed: from namespace y too"
t_match "$(cat "$T/speed.nft")" $'chain ingress/y/speed [{]\n[^}]*ip saddr @pods-[0-9a-f]+-v4 accept' \
	"when apply returns, the kernel holds the policy's chain"
t_match "$(sed -n '/chain ingress-[0-9a-f]* [{]/,/}/p' "$T/speed.nft")" 'jump ingress/y/speed' \
	"and the isolated pods' chain jumps to it"
t_is "$(reach y/c y/a 80/tcp ok)" "ok" "the next new connection y/c -> y/a is accepted"
$P delete networkpolicy speed -n y >"$T/speed.out" 2>&1 && nft list table inet podnet >"$T/speed.nft" 2>&1
t_is "$(cat "$T/speed.out")" 'networkpolicy.networking.k8s.io "speed" deleted' "delete y/speed"
t_notok "when delete returns, the chain is gone from the kernel" grep -q 'ingress/y/speed' "$T/speed.nft"
t_is "$(reach y/c y/a 80/tcp fail)" "fail" "the next new connection y/c -> y/a is refused again"
t_done
