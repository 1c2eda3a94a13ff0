#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NetworkPolicies, Services and EndpointSlices through podnetd, with the
# real kubectl, in a throwaway node: the seed's `kubectl get networkpolicy
# --all-namespaces`, examples/netpol-default-deny.yaml blocking pod2 ->
# pod1, examples/netpol-allow-pod1.yaml opening pod1 -> pod2:80
# again, examples/web-service.yaml reached at its cluster IP from pod1,
# and `kubectl delete svc web`.  After each write the node's nftables
# rules are already in the kernel when kubectl returns (podnetd runs
# pol_sync before answering), so packets are checked right after.
#
# No assertion has an upper time bound: waits are for an event, with
# limits only a hang would reach.  A refused connection is a drop: curl
# gives up after its own --max-time (exit 28); the same flow's allowed
# case is always checked too (the control), with generous timeouts.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2 web-1 web-2 --grace-period=0; $P delete svc web; $P gc"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

# ---- discovery
t_is "$(k get networkpolicy --all-namespaces 2>&1)" "No resources found" \
	"the seed's kubectl get networkpolicy --all-namespaces: served, none yet"
t_match "$(k api-resources --api-group=networking.k8s.io --no-headers)" \
	"^networkpolicies +netpol +networking.k8s.io/v1 +true +NetworkPolicy$" "api-resources: networkpolicies"
t_match "$(k api-resources --api-group=discovery.k8s.io --no-headers)" \
	"^endpointslices +discovery.k8s.io/v1 +true +EndpointSlice$" "api-resources: endpointslices"
t_match "$(k api-resources --no-headers | grep '^services ')" \
	"^services +svc +v1 +true +Service$" "api-resources: services"
t_match "$(k explain networkpolicy.spec.podSelector 2>&1)" "FIELD: podSelector <LabelSelector>" \
	"kubectl explain networkpolicy.spec.podSelector"
t_match "$(k explain service.spec.ports.nodePort 2>&1)" "FIELD: nodePort <integer>" \
	"kubectl explain service.spec.ports.nodePort"
# IntOrString fields: kubectl explain names the type, as with kube-apiserver
# (the v3 schema is oneOf integer, string), and the v2 one stays a string
# of format int-or-string.
t_match "$(k explain svc.spec.ports.targetPort 2>&1)" "FIELD: targetPort <IntOrString>" \
	"kubectl explain svc.spec.ports.targetPort"
t_match "$(k explain networkpolicy.spec.ingress.ports.port 2>&1)" "FIELD: port <IntOrString>" \
	"kubectl explain networkpolicy.spec.ingress.ports.port"
t_match "$(k explain pod.spec.containers.livenessProbe.httpGet.port 2>&1)" \
	"FIELD: port <IntOrString>" "kubectl explain pod.spec.containers.livenessProbe.httpGet.port"
t_match "$(k explain pod.spec.containers.readinessProbe.tcpSocket 2>&1)" \
	"port	<IntOrString> -required-" "kubectl explain pod.spec.containers.readinessProbe.tcpSocket"
t_match "$(k get --raw /openapi/v2 | jq -c '.definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] | [.type, .format]')" \
	'^\["string","int-or-string"\]$' "OpenAPI v2: IntOrString is a string of format int-or-string"

# ---- pods, and the flows before any policy
t_is "$(k apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml")" \
	"$(printf 'pod/pod1 created\npod/pod2 created')" "kubectl apply creates pod1 and pod2"
t_ok "both become Ready" k wait --for=condition=Ready pod/pod1 pod/pod2 --timeout=300s
POD1_IP=$(k get pod pod1 -o jsonpath='{.status.podIP}')
POD2_IP=$(k get pod pod2 -o jsonpath='{.status.podIP}')
# reach FROM-POD CONTAINER URL MAX-TIME: curl's exit code (0 ok, 28 dropped).
reach() {
	k exec "$1" -c "$2" -- curl -s -o /dev/null --max-time "$4" "$3" >/dev/null 2>&1
	echo $?
}
t_is "$(reach pod2 c4 "http://$POD1_IP:80" 60)" 0 "pod2 reaches pod1:80 (no policy)"
t_is "$(reach pod1 c1 "http://$POD2_IP:80" 60)" 0 "pod1 reaches pod2:80 (no policy)"

# ---- default deny
t_is "$(k apply -f "$ROOT/examples/netpol-default-deny.yaml" 2>&1)" \
	"networkpolicy.networking.k8s.io/default-deny created" "kubectl apply -f examples/netpol-default-deny.yaml"
t_match "$(nft list chain inet podnet ingress/default/default-deny 2>&1)" "chain ingress/default/default-deny" \
	"its chain is in the kernel when kubectl returns"
t_is "$(reach pod2 c4 "http://$POD1_IP:80" 3)" 28 "default-deny: pod2 -> pod1:80 dropped"
t_is "$(reach pod1 c1 "http://$POD2_IP:80" 3)" 28 "default-deny: pod1 -> pod2:80 dropped"

# ---- allow pod1 -> pod2
t_is "$(k apply -f "$ROOT/examples/netpol-allow-pod1.yaml" 2>&1)" \
	"networkpolicy.networking.k8s.io/allow-pod1-to-pod2 created" "kubectl apply -f examples/netpol-allow-pod1.yaml"
t_is "$(reach pod1 c1 "http://$POD2_IP:80" 60)" 0 "allowed: pod1 -> pod2:80"
t_is "$(reach pod2 c4 "http://$POD1_IP:80" 3)" 28 "still dropped: pod2 -> pod1:80"
t_is "$(k apply -f "$ROOT/examples/netpol-allow-pod1.yaml" 2>&1)" \
	"networkpolicy.networking.k8s.io/allow-pod1-to-pod2 unchanged" "the same again: unchanged"

out=$(k get networkpolicy --all-namespaces)
echo "$out" | sed 's/^/# /'
t_match "$out" $'^NAMESPACE +NAME +POD-SELECTOR +AGE\ndefault +allow-pod1-to-pod2 +app=pod2 +[0-9]+s\ndefault +default-deny +<none> +[0-9]+s$' \
	"kubectl get networkpolicy --all-namespaces: kubectl's columns"
t_is "$(k get netpol default-deny -o jsonpath='{.apiVersion} {.metadata.generation} {.spec.policyTypes}')" \
	'networking.k8s.io/v1 1 ["Ingress"]' "-o jsonpath: apiVersion, generation, policyTypes"
t_is "$($P get netpol -A --no-headers | awk '{print $2}' | tr '\n' ' ')" "allow-pod1-to-pod2 default-deny " \
	"podnet get netpol sees kubectl's policies (one store)"
desc=$(k describe networkpolicy allow-pod1-to-pod2)
echo "$desc" | sed 's/^/# /'
t_match "$desc" $'Spec:\n  PodSelector: +app=pod2\n  Allowing ingress traffic:\n    To Port: 80/TCP\n    From:\n      PodSelector: app=pod1\n  Not affecting egress traffic\n  Policy Types: Ingress' \
	"kubectl describe networkpolicy: the rule"

# Validation: kube-apiserver's messages (runtime/netpol.c), 422 Invalid.
cat >"$T/bad.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: bad }
spec:
  podSelector: {}
  ingress:
  - ports: [{ protocol: ICMP, port: 80 }]
YAML
out=$(k apply -f "$T/bad.yaml" 2>&1)
t_match "$out" 'The NetworkPolicy "bad" is invalid: spec.ingress\[0\].ports\[0\].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"' \
	"an invalid policy: kube-apiserver's message"
t_match "$(k get netpol bad 2>&1)" 'networkpolicies.networking.k8s.io "bad" not found' "and nothing stored"

sed 's/^spec:$/spec:\n  bogus: 1/' "$ROOT/examples/netpol-default-deny.yaml" >"$T/bogus.yaml"
t_match "$(k apply -f "$T/bogus.yaml" 2>&1)" 'strict decoding error: unknown field "spec.bogus"' \
	"kubectl apply --validate=strict (the default): the server refuses an unknown field"

# Server-side apply, created then changed, and a patch: the spec changes,
# generation moves, the kernel follows (nothing listens on pod2:8080 or
# 8081: an allowed connection is refused by pod2, a dropped one times out).
ssa() { # PORT
	cat <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-alt, namespace: default }
spec:
  podSelector: { matchLabels: { app: pod2 } }
  ingress:
  - from: [{ podSelector: { matchLabels: { app: pod1 } } }]
    ports: [{ protocol: TCP, port: $1 }]
YAML
}
ssa 8080 >"$T/alt.yaml"
t_is "$(k apply --server-side -f "$T/alt.yaml" 2>&1)" \
	"networkpolicy.networking.k8s.io/allow-alt serverside-applied" "kubectl apply --server-side creates a policy"
t_is "$(reach pod1 c1 "http://$POD2_IP:8080" 60)" 7 "pod1 -> pod2:8080 allowed (refused by pod2, not dropped)"
t_is "$(k get netpol allow-alt -o jsonpath='{.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation} {.metadata.managedFields[0].apiVersion}')" \
	"kubectl Apply networking.k8s.io/v1" "managedFields: kubectl's Apply, in the policy's apiVersion"
ssa 8081 >"$T/alt.yaml"
t_is "$(k apply --server-side -f "$T/alt.yaml" 2>&1)" \
	"networkpolicy.networking.k8s.io/allow-alt serverside-applied" "kubectl apply --server-side changes it"
t_is "$(k get netpol allow-alt -o jsonpath='{.metadata.generation} {.spec.ingress[0].ports[0].port}')" \
	"2 8081" "generation 2, the new port stored"
t_is "$(reach pod1 c1 "http://$POD2_IP:8081" 60) $(reach pod1 c1 "http://$POD2_IP:8080" 3)" "7 28" \
	"the kernel follows: 8081 allowed, 8080 dropped again"
t_is "$(k patch netpol allow-alt --type=merge -p '{"spec":{"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"nobody"}}}]}]}}' 2>&1)" \
	"networkpolicy.networking.k8s.io/allow-alt patched" "kubectl patch --type=merge"
t_is "$(reach pod1 c1 "http://$POD2_IP:8081" 3)" 28 "pod1 -> pod2:8081 dropped after the patch"
t_is "$(k delete netpol allow-alt 2>&1)" 'networkpolicy.networking.k8s.io "allow-alt" deleted' "kubectl delete netpol allow-alt"

# ---- delete: the flows open again, the table goes
t_is "$(k delete networkpolicy default-deny allow-pod1-to-pod2 2>&1)" \
	"$(printf 'networkpolicy.networking.k8s.io "default-deny" deleted\nnetworkpolicy.networking.k8s.io "allow-pod1-to-pod2" deleted')" \
	"kubectl delete networkpolicy"
t_is "$(reach pod2 c4 "http://$POD1_IP:80" 60)" 0 "pod2 -> pod1:80 open again"
t_match "$(nft list chain inet podnet ingress/default/default-deny 2>&1)" "No such file or directory" \
	"the policy's chain is gone"
t_is "$(k get networkpolicy -A 2>&1)" "No resources found" "none left"

# ---- Services
out=$(k apply -f "$ROOT/examples/web-service.yaml" 2>&1)
t_is "$out" "$(printf 'pod/web-1 created\npod/web-2 created\nservice/web created')" \
	"kubectl apply -f examples/web-service.yaml"
t_ok "web-1 and web-2 become Ready" k wait --for=condition=Ready pod/web-1 pod/web-2 --timeout=300s
CIP=$(k get svc web -o jsonpath='{.spec.clusterIP}')
t_match "$CIP" '^10\.(9[6-9]|10[0-9]|11[01])\.[0-9]+\.[0-9]+$' "a cluster IP from 10.96.0.0/12: $CIP"
t_is "$($P get svc web -o jsonpath='{.spec.clusterIP}')" "$CIP" "podnet sees the same address (one allocator)"
out=$(k get svc web -o wide)
echo "$out" | sed 's/^/# /'
t_match "$out" $'^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\\(S\\) +AGE +SELECTOR\nweb +NodePort +'"${CIP//./\\.}"' +<none> +80:30080/TCP +[0-9]+s +app=web$' \
	"kubectl get svc -o wide: kubectl's columns"
# The slice follows readiness: wait for both endpoints ready.
ready_eps() { k get endpointslices -l kubernetes.io/service-name=web \
	-o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.targetRef.name} {end}'; }
for i in $(seq 1 600); do [ "$(ready_eps)" = "web-1 web-2 " ] && break; sleep 0.5; done
t_is "$(ready_eps)" "web-1 web-2 " "the EndpointSlice lists web-1 and web-2 ready"
out=$(k get svc,endpointslices -o wide)
echo "$out" | sed 's/^/# /'
W1=$(k get pod web-1 -o jsonpath='{.status.podIP}')
W2=$(k get pod web-2 -o jsonpath='{.status.podIP}')
eps=$(printf '%s\n' "$W1" "$W2" | sort -V | paste -sd,)
t_match "$out" "endpointslice.discovery.k8s.io/web-[a-z0-9]{5} +IPv4 +8080 +($W1,$W2|$W2,$W1) +[0-9]+s" \
	"kubectl get svc,endpointslices -o wide: the slice's row"
t_match "$out" "service/web +NodePort +${CIP//./\\.} +<none> +80:30080/TCP" "and the Service's"
got=""
for i in $(seq 1 20); do
	got=$(k exec pod1 -c c1 -- curl -s --max-time 30 "http://$CIP/")
	case "$got" in web-1|web-2) break ;; esac
done
t_match "$got" '^web-[12]$' "pod1 reaches the cluster IP: answered by $got"

# Watch: a Service change reaches a watcher (kubectl without k's
# request timeout: the watch stays open).
kubectl get svc web -w --output-watch-events -o jsonpath='{.type} {.object.metadata.labels.tier}{"\n"}' \
	>"$T/watch.out" 2>&1 &
WPID=$!
on_cleanup "kill $WPID 2>/dev/null"
for i in $(seq 1 1200); do grep -q "^ADDED" "$T/watch.out" && break; sleep 0.1; done
t_is "$(k label svc web tier=front 2>&1)" "service/web labeled" "kubectl label svc"
for i in $(seq 1 1200); do grep -q "^MODIFIED" "$T/watch.out" && break; sleep 0.1; done
t_is "$(grep '^MODIFIED' "$T/watch.out")" "MODIFIED front" "the watch saw the change"
kill "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null

# The slice follows the pods, and a watch on it sees that: web-2 deleted,
# the slice's endpoints come down to web-1.
kubectl get endpointslices -l kubernetes.io/service-name=web -w --output-watch-events -o json \
	>"$T/eps.json" 2>&1 &
WPID=$!
on_cleanup "kill $WPID 2>/dev/null"
# One line per event: TYPE and the endpoints' pods.
eps_events() { jq -r '"\(.type) \([.object.endpoints[]?.targetRef.name] | join(" "))"' "$T/eps.json" 2>/dev/null; }
for i in $(seq 1 1200); do eps_events | grep -q "^ADDED" && break; sleep 0.1; done
t_is "$(eps_events | head -1)" "ADDED web-1 web-2" "a watch on the EndpointSlice starts with both pods"
t_is "$(k delete pod web-2 --grace-period=1 2>&1)" 'pod "web-2" deleted' "kubectl delete pod web-2"
for i in $(seq 1 1200); do eps_events | grep -q "^MODIFIED web-1$" && break; sleep 0.1; done
t_is "$(eps_events | grep -c "^MODIFIED web-1$")" 1 "the watch sees the slice lose web-2"
kill "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
eps_events >"$T/eps.out"
sed "s/^/# eps watch: /" "$T/eps.out"
t_is "$(k exec pod1 -c c1 -- curl -s --max-time 30 "http://$CIP/")" "web-1" "the cluster IP now answers from web-1"

# LoadBalancer is refused, as podnet's CLI refuses it.
cat >"$T/lb.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: { name: lb }
spec:
  type: LoadBalancer
  ports: [{ port: 80 }]
YAML
t_is "$(k apply -f "$T/lb.yaml" 2>&1)" \
	'The Service "lb" is invalid: spec.type: Forbidden: type LoadBalancer needs a load-balancer controller, which a single podnet node does not have; use type NodePort (reachable on the node'"'"'s address) or ClusterIP' \
	"type LoadBalancer: refused with the CLI's message"
cat >"$T/taken.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: { name: taken }
spec:
  clusterIP: $CIP
  ports: [{ port: 80 }]
YAML
t_is "$(k apply -f "$T/taken.yaml" 2>&1)" \
	"The Service \"taken\" is invalid: spec.clusterIPs: Invalid value: []string{\"$CIP\"}: failed to allocate IP $CIP: provided IP is already allocated" \
	"a taken cluster IP: the allocator's message"

t_is "$(k delete svc web 2>&1)" 'service "web" deleted' "kubectl delete svc web"
t_is "$(k exec pod1 -c c1 -- curl -s -o /dev/null --max-time 10 "http://$CIP/" >/dev/null 2>&1; echo $?)" 7 \
	"the cluster IP no longer answers (no rule: the node refuses)"
t_empty "no rule names the cluster IP" sh -c "nft list table inet podnet 2>/dev/null | grep -F '$CIP' || true"
t_is "$(k get endpointslices 2>&1)" "No resources found in default namespace." "its EndpointSlice went with it"
t_is "$(k get svc web 2>&1)" 'Error from server (NotFound): services "web" not found' "kubectl get svc web: NotFound"

t_is "$(k delete pod pod1 pod2 web-1 --grace-period=1 2>&1 | wc -l)" 3 "kubectl delete the pods"
t_done
