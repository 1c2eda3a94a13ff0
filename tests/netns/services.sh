#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Services as kube-proxy's nftables mode serves them, in a throwaway node:
#
#        node: uplink 192.0.2.1/24 (default route), podnet0 10.244.0.1/16
#          |  table inet podnet: svc-* chains and maps
#   +------+------+-------+-------+-------+
#   web-1  web-2  web-3   cl      hp (hostPort 8081 -> 8080)
#   (app=web, busybox httpd :8080 answering its own name;
#    web-3's readiness probe reads /www/ready)
#
#   web       ClusterIP 80 -> http (named port 8080), app=web
#   web-np    NodePort 80:30080, app=web
#   sticky    ClusterIP, sessionAffinity ClientIP, app=web
#   self      ClusterIP, selects web-1 only (hairpin from web-1)
#   empty     ClusterIP, selects nothing: rejected (ICMP), not hung
#   local-np  NodePort 30081, externalTrafficPolicy Local, web-1: the client's
#             address reaches the pod (busybox httpd's CGI REMOTE_ADDR);
#             through web-np (Cluster) it is masqueraded
#   ext       a host on the node's uplink, 192.0.2.2
#
# Every wait is bounded; pods have terminationGracePeriodSeconds: 1.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod web-1 web-2 web-3 cl hp; $P delete -f $T/svc.yaml; $P gc"

# The node's own address and default route (kube-proxy assumes one: a
# connection to a cluster IP is routed before it is DNATed).
ip link add uplink type veth peer name uplink-peer && ip link set uplink up &&
	ip link set uplink-peer up && ip addr add 192.0.2.1/24 dev uplink &&
	ip route add default via 192.0.2.254 dev uplink onlink &&
	ip netns add ext && ip link set uplink-peer netns ext &&
	ip -n ext addr add 192.0.2.2/24 dev uplink-peer && ip -n ext link set uplink-peer up &&
	ip -n ext route add default via 192.0.2.1 ||
	{ echo "not ok 1 - node address"; echo "1..1"; exit 1; }

mkdir -p "$PODNET_CNI_CONF_DIR"
cat >"$PODNET_CNI_CONF_DIR/10-podnet.conflist" <<'JSON'
{
  "cniVersion": "1.0.0",
  "name": "podnet",
  "plugins": [
    { "type": "podnet-bridge", "bridge": "podnet0", "isGateway": true, "isDefaultGateway": true,
      "ipMasq": true, "hairpinMode": true, "portIsolation": true,
      "ipam": { "type": "podnet-ipam", "ranges": [ [ { "subnet": "10.244.0.0/16" } ] ] } }
  ]
}
JSON

ready_is() { [ "$($P get pod "$1" --no-headers 2>/dev/null | awk '{print $2}')" = "$2" ]; }
podip() { $P get pod "$1" -o jsonpath='{.status.podIP}'; }
svcip() { $P get svc "$1" -o jsonpath='{.spec.clusterIP}'; }
# in_pod POD CMD...: run CMD (the node's curl) in POD's network namespace.
netns_of() { $P inspectp "$1" | jq -r '.info.runtimeSpec.linux.namespaces[] | select(.type=="network") | .path'; }
in_pod() { local ns; ns=$(netns_of "$1"); shift; ip netns exec "$(basename "$ns")" "$@"; }
get() { curl -sS --max-time 30 "$@"; }

web_pod() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, labels: { app: web, name: $1 } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: host
    command: [sh, -c, 'mkdir -p /www/cgi-bin && echo $1 >/www/index.html && touch /www/ready && printf "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho \\\$REMOTE_ADDR\\n" >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec busybox httpd -f -p 8080 -h /www']
    ports: [{ name: http, containerPort: 8080 }]
    readinessProbe:
      exec: { command: [test, -f, /www/ready] }
      periodSeconds: 1
      failureThreshold: 1
      timeoutSeconds: 10   # a loaded machine may take seconds to exec
---
YAML
}
{
	web_pod web-1
	web_pod web-2
	web_pod web-3
	cat <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: cl }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c, image: host, command: [sleep, '100000'] }
YAML
} >"$T/pods.yaml"
cat >"$T/svc.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Service
metadata: { name: web-np }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
---
apiVersion: v1
kind: Service
metadata: { name: sticky }
spec:
  selector: { app: web }
  sessionAffinity: ClientIP
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: self }
spec:
  selector: { name: web-1 }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: local-np }
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: { name: web-1 }
  ports: [{ port: 80, targetPort: 8080, nodePort: 30081 }]
---
apiVersion: v1
kind: Service
metadata: { name: empty }
spec:
  selector: { app: nothing }
  ports: [{ port: 80, targetPort: 8080 }]
YAML

t_ok "apply the pods" $P apply -f "$T/pods.yaml"
t_ok "apply the Services" $P apply -f "$T/svc.yaml"
for p in web-1 web-2 web-3 cl; do
	t_ok "$p is ready" wait_for 120 ready_is $p 1/1
done
t_is "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 0)" "0" \
	"portIsolation: no bridge-level netfilter pass (a DNAT to a pod of the bridge is routed)"
WEB=$(svcip web)
t_match "$WEB" '^10\.(9[6-9]|10[0-9]|11[01])\.' "web has a cluster IP from 10.96.0.0/12"
t_match "$($P get svc web --no-headers)" "^web +ClusterIP +$WEB +<none> +80/TCP +[0-9]+s$" "get svc web"
t_match "$($P get svc web-np --no-headers)" "^web-np +NodePort .* 80:30080/TCP " "get svc web-np shows the node port"
slices() { $P get endpointslices -l kubernetes.io/service-name=web --no-headers; }
t_match "$(slices)" "^web-[a-z0-9]{5} +IPv4 +8080 +10\.244\." "get endpointslices: web's slice, port 8080 (the named port resolved)"
t_ok "the three endpoints are in the slice" wait_for 120 test "$(slices | awk '{print $4}' | tr ',' '\n' | grep -c .)" = 3

# --- reachability ----------------------------------------------------------
for p in cl web-1 web-2 web-3; do
	t_match "$(in_pod $p curl -sS --max-time 30 http://$WEB/)" "^web-[123]$" "ClusterIP from pod $p"
done
t_match "$(get http://$WEB/)" "^web-[123]$" "ClusterIP from the node"
t_match "$(get http://192.0.2.1:30080/)" "^web-[123]$" "NodePort on the node's address"
t_match "$(get http://10.244.0.1:30080/)" "^web-[123]$" "NodePort on the bridge's address"

# --- externalTrafficPolicy: Local keeps the client's address (busybox httpd
# reports it IPv4-mapped) ---------------------------------------------------
t_is "$(ip netns exec ext curl -sS --max-time 30 http://192.0.2.1:30081/cgi-bin/ip)" "[::ffff:192.0.2.2]" \
	"NodePort, externalTrafficPolicy Local: the pod sees the external client's address"
t_is "$(ip netns exec ext curl -sS --max-time 30 http://192.0.2.1:30080/cgi-bin/ip)" "[::ffff:10.244.0.1]" \
	"NodePort, externalTrafficPolicy Cluster: masqueraded to the node's address on the bridge"

# --- load spread: each of 3 endpoints within 30 requests --------------------
seen=$(for i in $(seq 30); do in_pod cl curl -sS --max-time 30 http://$WEB/; done | sort -u | tr '\n' ' ')
t_is "$seen" "web-1 web-2 web-3 " "30 requests reach every endpoint"

# --- hairpin: a pod reaching itself through its Service ---------------------
t_is "$(in_pod web-1 curl -sS --max-time 30 http://$(svcip self)/)" "web-1" "web-1 reaches itself through Service self"

# --- session affinity -------------------------------------------------------
aff=$(for i in $(seq 20); do in_pod cl curl -sS --max-time 30 http://$(svcip sticky)/; done | sort -u | wc -l)
t_is "$aff" "1" "ClientIP affinity: 20 requests, one endpoint"

# --- no endpoints: rejected, as kube-proxy does -----------------------------
# bash's /dev/tcp reports connect(2)'s errno as strerror words: "Connection
# refused" is the ICMP reject itself (a dropped SYN would end in a timeout,
# never ECONNREFUSED), so no clock is needed to tell the two apart; the
# time is printed.
refused() { timeout 60 bash -c "exec 3<>/dev/tcp/$1/80" 2>&1; }
EMPTY=$(svcip empty)
start=$(date +%s%N)
out=$(in_pod cl bash -c "$(declare -f refused); refused $EMPTY")
echo "# refused in $((($(date +%s%N) - start) / 1000000)) ms"
t_match "$out" "Connection refused" "a Service without endpoints: the connection is refused at once (ICMP reject, not a timeout)"
t_match "$(refused $EMPTY)" "Connection refused" "  ...from the node too"
t_match "$(nft list map inet podnet svc-no-endpoints)" "$EMPTY . tcp . 80 : goto svc-reject" \
	"  ...by its element in svc-no-endpoints"

# --- readiness: an endpoint leaves when its pod is not Ready ----------------
W3=$(podip web-3)
t_ok "web-3 fails its readiness probe" $P exec web-3 -- rm /www/ready
t_ok "web-3 is not ready" wait_for 120 ready_is web-3 0/1
gone() { ! $P describe svc web | grep -q "$W3:8080"; }
t_ok "web-3 leaves the Service's ready endpoints" wait_for 120 gone
hits=$(for i in $(seq 30); do in_pod cl curl -sS --max-time 30 http://$WEB/; done | grep -c web-3)
t_is "$hits" "0" "30 requests: none reaches web-3"
t_ok "web-3 becomes ready again" $P exec web-3 -- touch /www/ready
t_ok "web-3 is back in" wait_for 120 sh -c "$P describe svc web | grep -q '$W3:8080'"

# --- hostPort: podnet's own DNAT, conflicts refused as the scheduler does --
hp_pod() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1 }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: host
    command: [sh, -c, 'mkdir -p /www && echo $1 >/www/index.html && exec busybox httpd -f -p 8080 -h /www']
    ports: [{ containerPort: 8080, hostPort: 8081 }]
YAML
}
hp_pod hp >"$T/hp.yaml"
hp_pod hp2 >"$T/hp2.yaml"
t_ok "apply hp (hostPort 8081)" $P apply -f "$T/hp.yaml"
t_ok "hp answers on the node's address :8081" wait_for 120 sh -c "curl -sS --max-time 10 http://192.0.2.1:8081/ | grep -qx hp"
out=$($P apply -f "$T/hp2.yaml" 2>&1)
t_is "$?" "1" "hp2 with the same hostPort is refused"
t_match "$out" "0/1 nodes are available: 1 node\(s\) didn't have free ports for the requested pod ports\." \
	"  ...with the scheduler's words"
t_notok "  ...and nothing of hp2 exists" $P get pod hp2

# --- 1000 Services in one transaction ---------------------------------------
for i in $(seq 1000); do
	printf 'apiVersion: v1\nkind: Service\nmetadata: { name: bulk-%d }\nspec:\n  selector: { app: web }\n  ports: [{ port: 80, targetPort: 8080 }]\n---\n' "$i"
done >"$T/bulk.yaml"
start=$(date +%s%N)
t_ok "apply 1000 Services" $P apply -f "$T/bulk.yaml"
ms=$((($(date +%s%N) - start) / 1000000))
t_pass "  ...in ${ms} ms"
t_is "$(nft -j list map inet podnet svc-ips | jq '[.nftables[] | select(.map) | .map.elem[]] | length')" "1005" \
	"svc-ips holds 1000 + 5 Service ports (one element each)"
t_match "$(in_pod cl curl -sS --max-time 30 http://$(svcip bulk-777)/)" "^web-[123]$" "bulk-777 answers"
t_ok "delete them" $P delete -f "$T/bulk.yaml"
t_is "$(nft -j list map inet podnet svc-ips | jq '[.nftables[] | select(.map) | .map.elem[]] | length')" "5" \
	"svc-ips is back to 5"

t_ok "delete the Services" $P delete -f "$T/svc.yaml"
t_ok "delete hp" $P delete pod hp
t_notok "no svc- chain is left" sh -c "nft list table inet podnet 2>/dev/null | grep -q 'chain svc-'"
t_done
