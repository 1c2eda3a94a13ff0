#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podnetd falls behind the database's change log, in a throwaway node:
# the log keeps 4 changes here (PODNET_STORE_CHANGES_KEPT), podnetd is
# stopped (SIGSTOP) while `podnet` makes many more (namespaces, a
# NetworkPolicy, a Service, a pod started, a pod deleted), then goes on.
# It must reload everything (resync) and, as kube-apiserver would:
#  - kubectl lists exactly what the database holds;
#  - watches opened before the stop see every change, the objects'
#    resourceVersions strictly increasing, deletions included;
#  - a watch resumed from the last event's resourceVersion misses
#    nothing and replays nothing;
#  - an object read afterwards can be written back with its
#    resourceVersion (kubectl replace: the version is the row's);
#  - the next change made by `podnet` reaches kubectl and the watches.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
export PODNET_STORE_CHANGES_KEPT=4
P=$BIN/podnet
on_cleanup "$P delete pod a b c --grace-period=0"
# A stopped podnetd is continued before it is stopped for good.
on_cleanup 'kill -CONT $PODNETD_PID 2>/dev/null'
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

pod() { # NAME
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: host
    command: ["sleep", "infinity"]
EOF
}
ns() { printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"; }

pod a | k apply -f - >/dev/null
ns old | k apply -f - >/dev/null
t_ok "pod a Ready" k wait --for=condition=Ready pod/a --timeout=120s

rv0=$(kcurl "$API/api/v1/pods" | jq -r .metadata.resourceVersion)
t_match "$rv0" '^[0-9]+$' "the pods' list resourceVersion ($rv0)"
# Raw watches from that version: one JSON event per line.
for w in pods namespaces; do
	bg kcurl -N "$API/api/v1/$w?watch=1&resourceVersion=$rv0" -o "$T/watch-$w.json"
done
bg kcurl -N "$API/apis/networking.k8s.io/v1/networkpolicies?watch=1&resourceVersion=$rv0" \
	-o "$T/watch-networkpolicies.json"
sleep 1

# Stop podnetd outside a write of its own (else every `podnet` write
# would wait for a lock it holds): a stopped podnetd holding the write
# lock is continued and stopped again.
db_free() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0.5)
c.execute("BEGIN IMMEDIATE")
c.rollback()' "$PODNET_ROOT/state.db" 2>/dev/null
}
stopped=0
for _ in $(seq 1 50); do
	kill -STOP "$PODNETD_PID"
	if db_free; then stopped=1; break; fi
	kill -CONT "$PODNETD_PID"
	sleep 0.2
done
t_is "$stopped" 1 "podnetd stopped while the database is free"

# Behind its back: many more changes than the log keeps.
for n in x1 x2 x3; do ns $n; echo ---; done >"$T/ns.yaml"
cat >>"$T/ns.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np1
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: v1
kind: Service
metadata:
  name: s1
spec:
  selector: {app: none}
  ports:
  - port: 80
EOF
t_ok "podnet apply: 3 namespaces, a NetworkPolicy, a Service" $P apply -f "$T/ns.yaml"
pod b >"$T/b.yaml"
t_ok "podnet apply: pod b" $P apply -f "$T/b.yaml"
t_ok "podnet delete pod a" $P delete pod a --grace-period=0
t_ok "podnet delete namespace old" $P delete namespace old
kill -CONT "$PODNETD_PID"

# podnetd catches up on its own (inotify, or its 1 s timer).
for _ in $(seq 1 200); do
	[ "$(k get pods -o name 2>/dev/null | tr '\n' ' ')" = "pod/b " ] &&
		k get ns x3 >/dev/null 2>&1 && break
	sleep 0.1
done
t_match "$(cat "$T/podnetd.log")" "the change log moved past version" "podnetd reloaded everything"
t_is "$(k get pods -o name | tr '\n' ' ')" "pod/b " "kubectl get pods: b, not a"
t_is "$(k get ns -o name | grep -E '/(x[0-9]|old)$' | tr '\n' ' ')" \
	"namespace/x1 namespace/x2 namespace/x3 " "kubectl get ns: x1-x3, old gone"
t_is "$(k get netpol -o name)" "networkpolicy.networking.k8s.io/np1" "kubectl get netpol: np1"
t_is "$(k get svc s1 -o name)" "service/s1" "kubectl get svc: s1"
t_is "$(k get pod b -o jsonpath='{.status.phase}')" "Running" "pod b Running"

# Each watch: the changes, at increasing versions.
events() { [ -s "$T/watch-$1.json" ] || return 0; jq -r '"\(.type) \(.object.metadata.name) \(.object.metadata.resourceVersion)"' "$T/watch-$1.json"; }
increasing() { awk '{ if (NR > 1 && $3 + 0 <= last) bad = 1; last = $3 + 0 } END { exit bad }'; }
for _ in $(seq 1 100); do
	events pods 2>/dev/null | grep -q '^DELETED a ' && events namespaces 2>/dev/null | grep -q ' x3 ' && break
	sleep 0.1
done
events pods | sed 's/^/# pods: /'
events namespaces | sed 's/^/# namespaces: /'
t_match "$(events pods | awk '{ print $1, $2 }' | tr '\n' ' ')" "(ADDED|MODIFIED) b .*DELETED a " \
	"pods watch: b added, a deleted"
t_ok "pods watch: resourceVersions increase" increasing < <(events pods)
t_match "$(events namespaces | awk '{ print $1, $2 }' | tr '\n' ' ')" \
	"(ADDED|MODIFIED) x1 .*(ADDED|MODIFIED) x2 .*(ADDED|MODIFIED) x3 .*DELETED old " \
	"namespaces watch: x1-x3 added, old deleted"
t_ok "namespaces watch: resourceVersions increase" increasing < <(events namespaces)
t_match "$(events networkpolicies | awk '{ print $1, $2 }' | tr '\n' ' ')" "^(ADDED|MODIFIED) np1 $" \
	"networkpolicies watch: np1"
t_ok "the versions given are the database's (no event above the list's)" \
	awk -v max="$(kcurl "$API/api/v1/pods" | jq -r .metadata.resourceVersion)" \
	'$3 + 0 > max + 0 { bad = 1 } END { exit bad }' < <(events pods)

# A watch resumed where the pods' watch ended: nothing replayed; the
# next changes, made by podnet, arrive.
last=$(events pods | tail -1 | awk '{ print $3 }')
bg kcurl -N "$API/api/v1/pods?watch=1&resourceVersion=$last" -o "$T/watch-resumed.json"
sleep 1
t_ok "a watch resumed at $last replays nothing" \
	awk -v last="$last" '$3 + 0 <= last + 0 { bad = 1 } END { exit bad }' < <(events resumed)
# Written back at the version read: the object's version is the row's.
t_ok "kubectl replace pod b at its resourceVersion" \
	sh -c "kubectl get pod b -o json | jq '.metadata.labels.seen = \"yes\"' | kubectl replace -f - >/dev/null"
t_is "$(k get pod b -o jsonpath='{.metadata.labels.seen}')" "yes" "the label written"
pod c >"$T/c.yaml"
t_ok "podnet apply: pod c, after the resync" $P apply -f "$T/c.yaml"
ns y1 | $P apply -f - >/dev/null
for _ in $(seq 1 100); do
	grep -q '"name":"c"' "$T/watch-resumed.json" 2>/dev/null && k get ns y1 >/dev/null 2>&1 && break
	sleep 0.1
done
t_is "$(k get ns y1 -o name 2>&1)" "namespace/y1" "kubectl sees a namespace podnet made after the resync"
resumed=$(events resumed)
echo "$resumed" | sed 's/^/# resumed: /'
t_match "$(echo "$resumed" | awk '{ print $1, $2 }' | sort -u | tr '\n' ' ')" "^(ADDED c MODIFIED b|ADDED c MODIFIED b MODIFIED c) $" \
	"the resumed watch: b's label, c added"
t_ok "the resumed watch: resourceVersions increase" increasing <<<"$resumed"
t_done
