#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NetworkPolicy truth tables, in the style of the upstream e2e suite and
# Cyclonus.  A throwaway node runs podnet with its own conflist
# (portIsolation, spoofCheck):
#
#   namespaces x, y, z (labels ns=x ...)
#     pods a, b, c in each (label pod=a ...), each serving TCP and UDP on
#     80 and 81 (container ports serve-80-tcp, serve-81-tcp, serve-80-udp,
#     serve-81-udp)
#
# For each case below: its policies are applied with `podnet apply -f`,
# every pod probes every other pod on the four ports from inside the pod
# (288 cells), and each cell is compared with the evaluator
# (`pn-polmatrix`, what `podnet netpol explain` answers) and with the
# expectation written here from the networking.k8s.io/v1 reference; then
# the policies go with `podnet delete -f`.
. "$(dirname "$0")/lib.sh"
node_enter "$@"
. "$(dirname "$0")/lib-netpol.sh"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
on_cleanup "for ns in x y z; do $P delete pod a b c -n \$ns; done; $P delete networkpolicy --all -A; $P gc"

t_ok "nine pods in namespaces x, y, z" cluster_up
all_reach "$T/warm"
t_is "$(grep -c ' ok$' "$T/warm")" 288 "every pod reaches every other on TCP and UDP 80 and 81"
policies_clear

# 1
expect_all ok
check "no policy"

# 2
policy x deny-ingress <<'EOF'
podSelector: {}
policyTypes: [Ingress]
EOF
expect_all ok; expect '*' 'x/*' '*' fail
run_case "default deny ingress in x"

# 3
policy x deny-egress <<'EOF'
podSelector: {}
policyTypes: [Egress]
EOF
expect_all ok; expect 'x/*' '*' '*' fail
run_case "default deny egress in x (replies to x come back)"

# 4
policy x deny-all <<'EOF'
podSelector: {}
policyTypes: [Ingress, Egress]
EOF
expect_all ok; expect 'x/*' '*' '*' fail; expect '*' 'x/*' '*' fail
run_case "default deny ingress and egress in x"

# 5
policy x allow-all <<'EOF'
podSelector: {}
ingress:
- {}
EOF
expect_all ok
run_case "allow all ingress: one empty rule"

# 6
policy x deny-ingress <<'EOF'
podSelector: {}
policyTypes: [Ingress]
EOF
policy x allow-all <<'EOF'
podSelector: {}
ingress:
- {}
EOF
expect_all ok
run_case "policies add up: deny all plus allow all allows all"

# 7
policy x same-ns <<'EOF'
podSelector: {}
ingress:
- from:
  - podSelector: {}
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect 'x/*' 'x/*' '*' ok
run_case "ingress from the policy's own namespace only"

# 8
policy x a-from-y <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - namespaceSelector: { matchLabels: { ns: "y" } }
EOF
expect_all ok; expect '*' 'x/a' '*' fail; expect 'y/*' 'x/a' '*' ok
run_case "namespaceSelector: every pod of namespace y"

# 9
policy x a-from-b <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - namespaceSelector: {}
    podSelector: { matchLabels: { pod: b } }
EOF
expect_all ok; expect '*' 'x/a' '*' fail; expect '*/b' 'x/a' '*' ok
run_case "empty namespaceSelector with a podSelector: pods b of every namespace"

# 10
policy x a-from-yc <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - namespaceSelector: { matchLabels: { ns: "y" } }
    podSelector: { matchLabels: { pod: c } }
EOF
expect_all ok; expect '*' 'x/a' '*' fail; expect 'y/c' 'x/a' '*' ok
run_case "both selectors in one peer: AND"

# 11
policy x a-from-z-or-b <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - namespaceSelector: { matchLabels: { ns: "z" } }
  - podSelector: { matchLabels: { pod: b } }
EOF
expect_all ok; expect '*' 'x/a' '*' fail; expect 'z/*' 'x/a' '*' ok; expect 'x/b' 'x/a' '*' ok
run_case "two peers: OR (a podSelector alone means the policy's namespace)"

# 12
policy x tcp80 <<'EOF'
podSelector: {}
ingress:
- ports:
  - port: 80
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect '*' 'x/*' '80/tcp' ok
run_case "port 80, protocol defaulted to TCP"

# 13
policy x udp81 <<'EOF'
podSelector: {}
ingress:
- ports:
  - { protocol: UDP, port: 81 }
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect '*' 'x/*' '81/udp' ok
run_case "port 81/UDP"

# 14
policy x range <<'EOF'
podSelector: {}
ingress:
- ports:
  - { port: 80, endPort: 81 }
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect '*' 'x/*' '80/tcp 81/tcp' ok
run_case "port range 80-81/TCP (endPort)"

# 15
policy x any-udp <<'EOF'
podSelector: {}
ingress:
- ports:
  - protocol: UDP
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect '*' 'x/*' '80/udp 81/udp' ok
run_case "a protocol without a port: every UDP port"

# 16
policy x named <<'EOF'
podSelector: {}
ingress:
- ports:
  - port: serve-80-tcp
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect '*' 'x/*' '80/tcp' ok
run_case "named port serve-80-tcp"

# 17
policy x named-udp <<'EOF'
podSelector: {}
ingress:
- ports:
  - { port: serve-81-udp, protocol: UDP }
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect '*' 'x/*' '81/udp' ok
run_case "named port serve-81-udp with protocol UDP"

# 18
policy x named-wrong <<'EOF'
podSelector: {}
ingress:
- ports:
  - { port: serve-80-tcp, protocol: UDP }
EOF
expect_all ok; expect '*' 'x/*' '*' fail
run_case "a named port of another protocol matches nothing"

# 19
policy x cidr-except <<EOF
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - ipBlock: { cidr: 10.244.0.0/16, except: [ ${PODIP[y/b]}/32 ] }
EOF
expect_all ok; expect 'y/b' 'x/a' '*' fail
run_case "ipBlock with except: pod addresses are addresses too"

# 20
policy x cidr-none <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - ipBlock: { cidr: 192.168.0.0/16 }
EOF
expect_all ok; expect '*' 'x/a' '*' fail
run_case "an ipBlock holding no pod"

# 21
policy x a-to-y <<'EOF'
podSelector: { matchLabels: { pod: a } }
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: { matchLabels: { ns: "y" } }
EOF
expect_all ok; expect 'x/a' '*' '*' fail; expect 'x/a' 'y/*' '*' ok
run_case "egress to namespace y only"

# 22
policy x out-tcp80 <<'EOF'
podSelector: {}
policyTypes: [Egress]
egress:
- ports:
  - port: 80
EOF
expect_all ok; expect 'x/*' '*' '*' fail; expect 'x/*' '*' '80/tcp' ok
run_case "egress to port 80/TCP anywhere"

# 23
policy x b-out-named <<'EOF'
podSelector: { matchLabels: { pod: b } }
policyTypes: [Egress]
egress:
- ports:
  - { port: serve-81-udp, protocol: UDP }
EOF
expect_all ok; expect 'x/b' '*' '*' fail; expect 'x/b' '*' '81/udp' ok
run_case "egress named port, resolved on each destination pod"

# 24
policy x c-out-cidr <<EOF
podSelector: { matchLabels: { pod: c } }
policyTypes: [Egress]
egress:
- to:
  - ipBlock: { cidr: 10.244.0.0/16, except: [ ${PODIP[z/c]}/32 ] }
EOF
expect_all ok; expect 'x/c' 'z/c' '*' fail
run_case "egress to an ipBlock with except"

# 25
policy x a-to-y <<'EOF'
podSelector: { matchLabels: { pod: a } }
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: { matchLabels: { ns: "y" } }
EOF
policy y b-from-z <<'EOF'
podSelector: { matchLabels: { pod: b } }
ingress:
- from:
  - namespaceSelector: { matchLabels: { ns: "z" } }
EOF
expect_all ok; expect 'x/a' '*' '*' fail; expect 'x/a' 'y/*' '*' ok
expect '*' 'y/b' '*' fail; expect 'z/*' 'y/b' '*' ok
run_case "egress allows, the destination's ingress refuses: refused"

# 26
policy x notin <<'EOF'
podSelector:
  matchExpressions:
  - { key: pod, operator: NotIn, values: [a, b] }
policyTypes: [Ingress]
EOF
expect_all ok; expect '*' 'x/c' '*' fail
run_case "matchExpressions NotIn selects x/c"

# 27
policy z exists <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from:
  - namespaceSelector:
      matchExpressions:
      - { key: ns, operator: In, values: ["x"] }
  - podSelector:
      matchExpressions:
      - { key: pod, operator: DoesNotExist }
EOF
expect_all ok; expect '*' 'z/a' '*' fail; expect 'x/*' 'z/a' '*' ok
run_case "In on namespaces; DoesNotExist selects no pod"

# 28
policy x by-name <<'EOF'
podSelector: { matchLabels: { pod: b } }
ingress:
- from:
  - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: "y" } }
EOF
expect_all ok; expect '*' 'x/b' '*' fail; expect 'y/*' 'x/b' '*' ok
run_case "a namespace by its kubernetes.io/metadata.name label"

# 29
policy x a-80-from-y <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from: [ { namespaceSelector: { matchLabels: { ns: "y" } } } ]
  ports: [ { port: 80 } ]
EOF
policy x a-81-from-z <<'EOF'
podSelector: { matchLabels: { pod: a } }
ingress:
- from: [ { namespaceSelector: { matchLabels: { ns: "z" } } } ]
  ports: [ { port: 81, protocol: UDP } ]
EOF
expect_all ok; expect '*' 'x/a' '*' fail; expect 'y/*' 'x/a' '80/tcp' ok; expect 'z/*' 'x/a' '81/udp' ok
run_case "two policies on one pod: the union of their rules"

# 30
for ns in x y z; do
	policy $ns deny <<'EOF'
podSelector: {}
policyTypes: [Ingress]
EOF
done
policy z udp81 <<'EOF'
podSelector: {}
ingress:
- ports: [ { port: 81, protocol: UDP } ]
EOF
expect_all fail; expect '*' 'z/*' '81/udp' ok
run_case "deny everywhere, then 81/UDP into z"

# 31
policy x island <<'EOF'
podSelector: {}
policyTypes: [Ingress, Egress]
ingress:
- from: [ { podSelector: {} } ]
egress:
- to: [ { podSelector: {} } ]
EOF
expect_all ok; expect '*' 'x/*' '*' fail; expect 'x/*' '*' '*' fail; expect 'x/*' 'x/*' '*' ok
run_case "ingress and egress in one policy: x talks only to itself"

# 32
policy y c-ingress-only <<'EOF'
podSelector: { matchLabels: { pod: c } }
policyTypes: [Ingress]
ingress:
- {}
egress:
- to: [ { ipBlock: { cidr: 192.168.0.0/16 } } ]
EOF
expect_all ok
run_case "policyTypes [Ingress]: egress rules are not enforced"

# 33
policy y c-egress-default <<'EOF'
podSelector: { matchLabels: { pod: c } }
egress:
- to: [ { ipBlock: { cidr: 192.168.0.0/16 } } ]
EOF
expect_all ok; expect '*' 'y/c' '*' fail; expect 'y/c' '*' '*' fail
run_case "egress rules without policyTypes: Ingress and Egress, both enforced"

# Every policy went with its case: everything reaches everything again.
expect_all ok
check "all policies deleted"
t_done
