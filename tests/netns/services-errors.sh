#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Invalid Services (and probes): each refused with kube-apiserver's message
# (or kubectl's, for what kubectl itself checks), exit status 1, and
# nothing applied.  In a throwaway node (its own /var/lib/podnet).
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet

# bad NAME MESSAGE YAML: apply must fail with exactly MESSAGE on stderr.
bad() {
	local name=$1 want=$2 out rc
	printf '%s\n' "$3" >"$T/$name.yaml"
	out=$($P apply -f "$T/$name.yaml" 2>&1)
	rc=$?
	t_is "$rc" "1" "$name: refused"
	t_is "$out" "$want" "$name: the API server's message"
}
svc() { printf 'apiVersion: v1\nkind: Service\nmetadata: { name: %s }\nspec: %s\n' "$1" "$2"; }

bad lb 'The Service "lb" is invalid: spec.type: Forbidden: type LoadBalancer needs a load-balancer controller, which a single podnet node does not have; use type NodePort (reachable on the node'"'"'s address) or ClusterIP' \
	"$(svc lb '{ type: LoadBalancer, ports: [{ port: 80 }] }')"
bad name 'The Service "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a DNS-1035 label must consist of lower case alphanumeric characters or '"'"'-'"'"', start with an alphabetic character, and end with an alphanumeric character (e.g. '"'"'my-name'"'"',  or '"'"'abc-123'"'"', regex used for validation is '"'"'[a-z]([-a-z0-9]*[a-z0-9])?'"'"')' \
	"$(svc Web_1 '{ ports: [{ port: 80 }] }')"
bad noports 'The Service "noports" is invalid: spec.ports: Required value' "$(svc noports '{ selector: { app: a } }')"
bad port0 'The Service "port0" is invalid: 
* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive
* spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive' \
	"$(svc port0 '{ ports: [{ port: 0 }] }')"
bad proto 'The Service "proto" is invalid: spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"' \
	"$(svc proto '{ ports: [{ port: 80, protocol: ICMP }] }')"
bad tport 'The Service "tport" is invalid: spec.ports[0].targetPort: Invalid value: "web_http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)' \
	"$(svc tport '{ ports: [{ port: 80, targetPort: web_http }] }')"
bad names 'The Service "names" is invalid: 
* spec.ports[0].name: Required value
* spec.ports[1].name: Required value' \
	"$(svc names '{ ports: [{ port: 80 }, { port: 443 }] }')"
bad dup 'The Service "dup" is invalid: spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}' \
	"$(svc dup '{ ports: [{ name: a, port: 80 }, { name: b, port: 80 }] }')"
bad np-on-cip 'The Service "np-on-cip" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is '"'"'ClusterIP'"'"'' \
	"$(svc np-on-cip '{ ports: [{ port: 80, nodePort: 30001 }] }')"
bad affinity 'The Service "affinity" is invalid: spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"' \
	"$(svc affinity '{ sessionAffinity: Sticky, ports: [{ port: 80 }] }')"
bad timeout 'The Service "timeout" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400' \
	"$(svc timeout '{ sessionAffinity: ClientIP, sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } }, ports: [{ port: 80 }] }')"
bad type 'The Service "type" is invalid: spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' \
	"$(svc type '{ type: Internal, ports: [{ port: 80 }] }')"
bad badip 'The Service "badip" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' \
	"$(svc badip '{ clusterIP: 10.96.0.300, ports: [{ port: 80 }] }')"
bad etp 'The Service "etp" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services' \
	"$(svc etp '{ externalTrafficPolicy: Local, ports: [{ port: 80 }] }')"
bad extname 'The Service "extname" is invalid: spec.externalName: Required value' "$(svc extname '{ type: ExternalName }')"
bad unknown 'error: error validating "'"$T"'/unknown.yaml": error validating data: ValidationError(Service.spec): unknown field "portz" in io.k8s.api.core.v1.ServiceSpec' \
	"$(svc unknown '{ portz: [{ port: 80 }] }')"
bad probe 'The Pod "probe" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1' \
	'apiVersion: v1
kind: Pod
metadata: { name: probe }
spec:
  containers:
  - { name: c, image: host, livenessProbe: { exec: { command: ["true"] }, successThreshold: 2 } }'
bad twohandlers 'The Pod "twohandlers" is invalid: spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type' \
	'apiVersion: v1
kind: Pod
metadata: { name: twohandlers }
spec:
  containers:
  - { name: c, image: host, readinessProbe: { exec: { command: ["true"] }, tcpSocket: { port: 80 } } }'
# A file with a good Service and a bad one: validation comes first, nothing is applied.
bad mixed 'The Service "bad" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive' \
	"$(svc good '{ ports: [{ port: 80 }] }'; echo ---; svc bad '{ ports: [{ port: 70000, targetPort: 80 }] }')"
t_match "$($P get svc 2>&1)" "^No resources found in default namespace\.$" "nothing was applied"

# The allocators: kube-apiserver's texts, and the refused Service is not stored.
t_ok "a Service with 10.96.0.10" $P apply -f /dev/stdin <<<"$(svc dns '{ clusterIP: 10.96.0.10, ports: [{ port: 53, protocol: UDP }] }')"
bad ipused 'The Service "ipused" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated' \
	"$(svc ipused '{ clusterIP: 10.96.0.10, ports: [{ port: 80 }] }')"
bad iprange 'The Service "iprange" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12' \
	"$(svc iprange '{ clusterIP: 10.0.0.10, ports: [{ port: 80 }] }')"
t_ok "a NodePort Service on 30080" $P apply -f /dev/stdin <<<"$(svc np '{ type: NodePort, ports: [{ port: 80, nodePort: 30080 }] }')"
bad npused 'The Service "npused" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated' \
	"$(svc npused '{ type: NodePort, ports: [{ port: 80, nodePort: 30080 }] }')"
bad nprange 'The Service "nprange" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767' \
	"$(svc nprange '{ type: NodePort, ports: [{ port: 80, nodePort: 8080 }] }')"
t_is "$($P get svc -o name | tr '\n' ' ')" "service/dns service/np " "only the two good Services exist"
t_ok "clean up" $P delete svc dns np
t_done
