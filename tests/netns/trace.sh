#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `podnet trace` in a throwaway node: every nftables rule a probe's packets
# cross is named (table, chain, handle, text as `nft -a` prints it), in
# every namespace on the way, whoever wrote the rule.
#
#   pod1 (seed pod: nginx :80)                pod2 (seed pod: nginx :80)
#     eth0 ─ veth ─┐                     ┌─ veth ─ eth0
#                  podnet0 (node bridge) │      [table inet guard: input hook,
#   node: [table inet foreign: forward hook, written by "another firewall"]
#
# trace: an allowed flow lists the accept; a drop rule in a foreign table on
# the node is named, exactly, and in JSON; a drop in pod2's own namespace,
# a chain policy drop, an ICMP drop; UDP refused by the target is no drop;
# localhost stays in pod1; FROM as an address; the tracer's tables are gone
# after every run (and a dead tracer's are cleaned); bad arguments.
# No packet leaves the namespaces this test creates.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod pod1 pod2"

t_ok "apply pod1 and pod2" $P apply -f "$ROOT/examples/pod1.yaml" -f "$ROOT/examples/pod2.yaml"
ip1=$($P get pod pod1 -o jsonpath='{.status.podIP}')
ip2=$($P get pod pod2 -o jsonpath='{.status.podIP}')
ns_of() { basename "$($P inspectp "$1" | jq -r '.info.runtimeSpec.linux.namespaces[0].path')"; }
NS1=$(ns_of pod1) NS2=$(ns_of pod2)
for i in $(seq 1 8); do wait_listen "$NS2" 80 && wait_listen "$NS1" 80 && break; done
t_ok "nginx listens in pod2" wait_listen "$NS2" 80
peer=$(ip -n "$NS1" -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
HV1=$(ip -o link show | awk -F': ' -v i="$peer" '$1 == i { sub(/@.*/, "", $2); print $2 }')
t_match "$HV1" "^veth[0-9a-f]+$" "pod1's host veth ($HV1)"

# The rulesets before: the tracer must leave each exactly as it found it.
rules_all() { nft -a list ruleset; ip netns exec "$NS1" nft -a list ruleset; ip netns exec "$NS2" nft -a list ruleset; }
no_tracer_left() {
	local out
	out=$(rules_all 2>&1)
	if grep -q podnet-trace <<<"$out"; then echo "$out" | grep podnet-trace; return 1; fi
}

# "Another firewall" on the node: accepts :80, drops :8080.
nft -f - <<'NFT'
table inet foreign {
	chain fw {
		type filter hook forward priority 0; policy accept;
		tcp dport 8080 drop
		tcp dport 80 accept
	}
}
NFT
# Any number of event lines of a packet (podnet's own spoof guard, the
# masquerade table...) before the one a test looks for.
EV='(    [^
]*
)*'
# handle_of FAMILY TABLE CHAIN TEXT [NETNS]: the handle nft gives the rule.
handle_of() {
	local ns=()
	[ -n "${5:-}" ] && ns=(ip netns exec "$5")
	"${ns[@]}" nft -a -s list chain "$1" "$2" "$3" | awk -v t="$4" '
		{ line = $0; sub(/^[ \t]+/, "", line) }
		index(line, t " # handle ") == 1 { print $NF }'
}
H80=$(handle_of inet foreign fw "tcp dport 80 accept")
H8080=$(handle_of inet foreign fw "tcp dport 8080 drop")
t_match "$H80:$H8080" "^[0-9]+:[0-9]+$" "the foreign rules' handles ($H80, $H8080)"
before=$(rules_all 2>/dev/null)

# ------------------------------------------------------------ allowed flow
out=$($P trace pod1 pod2:80); rc=$?
t_is "$rc" 0 "allowed: exit 0"
t_match "$out" "^tcp $ip2:80 from pod1: connected in [0-9.]+(µs|ms)
trace: source port [0-9]+, " "allowed: the probe's result, then the source port"
sport=$(sed -n 's/^trace: source port \([0-9]*\),.*/\1/p' <<<"$out")
t_match "$out" "
pod1 output: tcp $ip1:$sport > $ip2:80 SYN \(oif eth0\)
    no chain but the tracer's
node ingress: tcp $ip1:$sport > $ip2:80 SYN \(iif $HV1\)
$EV    forward     inet foreign fw  rule $H80: tcp dport 80 accept  => accept
" "allowed: the SYN leaves pod1, and the node's foreign rule $H80 accepts it, by text"
t_match "$out" "
pod2 ingress: tcp $ip1:$sport > $ip2:80 SYN \(iif eth0\)
" "allowed: the SYN reaches pod2"
t_match "$out" "
pod2 output: tcp $ip2:80 > $ip1:$sport SYN,ACK \(oif eth0\)
" "allowed: the answer is traced too (SYN,ACK from pod2)"
t_match "$out" "
verdict: no nftables rule or policy dropped the probe's packets$" "allowed: the verdict"
t_ok "allowed: no tracer table left" no_tracer_left
t_is "$(rules_all 2>/dev/null)" "$before" "allowed: every namespace's ruleset is as before"

# --------------------------------------------- a foreign drop on the node
out=$($P trace pod1 pod2:8080 --timeout 1s); rc=$?
t_is "$rc" 1 "foreign drop: exit 1"
t_match "$out" "^tcp $ip2:8080 from pod1: timed out after 1s
" "foreign drop: the probe timed out"
t_match "$out" "
node ingress: tcp $ip1:[0-9]+ > $ip2:8080 SYN \(iif $HV1\)
$EV    forward     inet foreign fw  rule $H8080: tcp dport 8080 drop  => drop
" "foreign drop: the node's packet names the rule"
t_match "$out" "
verdict: dropped on the node \(forward\) by table inet foreign, chain fw, rule handle $H8080: tcp dport 8080 drop$" \
	"foreign drop: the verdict names table, chain, handle and text"
# The SYN is sent again after the initial RTO (1s, RFC 6298): within 1.5s
# exactly once; the second round is the same and is shown once.
out=$($P trace pod1 pod2:8080 --timeout 1500ms)
t_match "$out" "
    forward     inet foreign fw  rule $H8080: tcp dport 8080 drop  => drop
  \(these packets 1 more time, the same way: retransmission\)
" "foreign drop: the retransmitted SYN's round is shown once"
t_is "$(grep -c '^node ingress:' <<<"$out")" "1" "... and the node's passage printed once"
j=$($P trace pod1 pod2:8080 --timeout 300ms -o json)
t_is "$(jq -r '[.reached, .outcome, .drop.namespace, .drop.family, .drop.table, .drop.chain, .drop.hook, .drop.handle, .drop.rule] | map(tostring) | join("|")' <<<"$j")" \
	"false|timed out|node|inet|foreign|fw|forward|$H8080|tcp dport 8080 drop" "foreign drop, -o json: the drop"
t_is "$(jq -r '[.packets[] | select(.dropped)] | length >= 1' <<<"$j")" "true" "-o json: the dropped packet is marked"
t_ok "foreign drop: no tracer table left" no_tracer_left

# ------------------------------------------- a chain's policy drops
nft add chain inet foreign fw2 '{ type filter hook forward priority 10; policy drop; }'
out=$($P trace pod1 pod2:80 --timeout 500ms); rc=$?
t_is "$rc" 1 "policy drop: exit 1"
t_match "$out" "
    forward     inet foreign fw2  policy drop
" "policy drop: the policy event"
t_match "$out" "
verdict: dropped on the node \(forward\) by the policy of chain fw2 in table inet foreign$" "policy drop: named"
nft delete chain inet foreign fw2

# ----------------------------------------- a drop in pod2's own namespace
ip netns exec "$NS2" nft -f - <<'NFT'
table inet guard {
	chain input { type filter hook input priority 0; policy accept; tcp dport 80 ip saddr 10.244.0.0/16 drop; icmp type echo-request drop; }
}
NFT
HG=$(handle_of inet guard input "tcp dport 80 ip saddr 10.244.0.0/16 drop" "$NS2")
HI=$(handle_of inet guard input "icmp type echo-request drop" "$NS2")
t_match "$HG:$HI" "^[0-9]+:[0-9]+$" "pod2's own rules' handles ($HG, $HI)"
out=$($P trace pod1 pod2:80 --timeout 500ms); rc=$?
t_match "$out" "
    input       inet guard input  rule $HG: tcp dport 80 ip saddr 10.244.0.0/16 drop  => drop
" "pod2's drop: the event in pod2's namespace"
t_match "$out" "
verdict: dropped in pod2's namespace \(input\) by table inet guard, chain input, rule handle $HG: tcp dport 80 ip saddr 10.244.0.0/16 drop$" \
	"pod2's drop: named in pod2's namespace"
out=$($P trace pod1 pod2 --timeout 500ms); rc=$?
t_match "$out" "^icmp $ip2 from pod1: timed out after 500ms
trace: echo id [0-9]+, " "icmp: an echo id, not a port"
t_match "$out" "
pod2 ingress: icmp $ip1 > $ip2 echo-request \(iif eth0\)
    input       inet guard input  rule $HI: icmp type echo-request drop  => drop
" "icmp: the echo request's drop in pod2"
t_ok "pod2's drop: no tracer table left" no_tracer_left
ip netns exec "$NS2" nft delete table inet guard

# --------------------------------- refused by the target is not a drop
out=$($P trace pod1 pod2:81/udp); rc=$?
t_is "$rc" 1 "udp refused: exit 1"
t_match "$out" "^udp $ip2:81 from pod1: refused \(ICMP from $ip2\)
" "udp: refused, with the ICMP error's source"
t_match "$out" "
pod2 output: icmp $ip2 > $ip1 destination-unreachable \(about the probe\) \(oif eth0\)
" "udp: the ICMP error about the probe is traced"
t_match "$out" "
verdict: no nftables rule or policy dropped the probe's packets; the target itself refused it \(ICMP from $ip2\)$" \
	"udp: the verdict says the target refused, no rule dropped"

# ------------------------------------------------ localhost, FROM by IP
out=$($P trace pod1 localhost:80); rc=$?
t_is "$rc" 0 "localhost: exit 0"
t_match "$out" "^tcp 127.0.0.1:80 from pod1: connected in " "localhost is pod1 itself, not a pod named localhost"
t_is "$(grep -cE '^(node|pod2) ' <<<"$out")" "0" "localhost: no packet leaves pod1"
out=$($P trace "$ip1" "$ip2:80"); rc=$?
t_match "$out" "^tcp $ip2:80 from pod1: connected in " "FROM as an address: the pod that has it"
out=$($P trace node pod2:80); rc=$?
t_match "$out" "
node output: tcp 10.244.0.1:[0-9]+ > $ip2:80 SYN \(oif podnet0\)
" "from the node: marked at the node's output hook"
t_is "$rc" 0 "from the node: exit 0"

# --------------------------------------------------- NetworkPolicy
# podnet's own table: default-deny isolates pod2; the drop is named with
# the policy that isolates it.  Then an allow rule: its accept is listed.
t_ok "apply default-deny" $P apply -f "$ROOT/examples/netpol-default-deny.yaml"
out=$($P trace pod1 pod2:80 --timeout 500ms); rc=$?
t_is "$rc" 1 "NetworkPolicy drop: exit 1"
ch=$(sed -n 's/^verdict: dropped on the node (forward) by table inet podnet, chain \(ingress-[0-9a-f]*\), rule handle \([0-9]*\): .*/\1 \2/p' <<<"$out")
t_match "$ch" "^ingress-[0-9a-f]+ [0-9]+$" "NetworkPolicy drop: in podnet's table, pod2's ingress chain, by handle ($ch)"
read -r chain hd <<<"$ch"
text=$(nft -a -s list chain inet podnet "$chain" | sed -n "s/^[[:space:]]*\(.*\) # handle $hd\$/\1/p")
t_match "$text" "drop" "the handle is a drop rule of that chain, as nft lists it ($text)"
t_match "$out" "
verdict: dropped on the node \(forward\) by table inet podnet, chain $chain, rule handle $hd: $text
  \(NetworkPolicy: ingress of $ip2 is isolated by default/default-deny, and no rule of theirs allows this\)$" \
	"NetworkPolicy drop: the rule's text and the isolating policy"
t_match "$out" "
    forward     inet podnet policy-ingress  rule [0-9]+: ip daddr vmap @ingress-v4  => goto $chain
" "the verdict map's goto into pod2's chain is listed"
out=$($P doctor pod1 --to pod2:80 --timeout 500ms)
t_match "$out" "❌ node netfilter: table inet podnet, chain $chain, rule handle $hd drops pod1 -> pod2:80/TCP on the node \(forward hook\): $text \(NetworkPolicy isolation by default/default-deny\) — fix: podnet netpol explain pod1 pod2:80" \
	"doctor names the NetworkPolicy drop by the tracer"
t_ok "apply an allow rule for pod1 -> pod2:80" $P apply -f "$ROOT/examples/netpol-allow-pod1.yaml"
out=$($P trace pod1 pod2:80); rc=$?
t_is "$rc" 0 "NetworkPolicy allow: exit 0"
t_match "$out" "
    forward     inet podnet ingress/default/allow-pod1-to-pod2  rule [0-9]+: ip saddr @pods-[0-9a-f]+-v4 tcp dport 80 accept[^
]*  => accept
" "NetworkPolicy allow: the policy's accept rule is listed"
t_match "$out" "
verdict: no nftables rule or policy dropped the probe's packets$" "NetworkPolicy allow: no drop"
t_ok "delete the policies" $P delete -f "$ROOT/examples/netpol-allow-pod1.yaml" -f "$ROOT/examples/netpol-default-deny.yaml"
before=$(rules_all 2>/dev/null)

# -------------------------------- a dead tracer's tables are cleaned up
nft add table inet podnet-trace-999999
nft add chain inet podnet-trace-999999 prerouting '{ type filter hook prerouting priority -2147483648; }'
t_ok "a dead tracer's table is there" nft list table inet podnet-trace-999999
t_ok "trace runs" $P trace pod1 pod2:80
t_notok "... and deleted the dead tracer's table" nft list table inet podnet-trace-999999
t_ok "no tracer table left at all" no_tracer_left
t_is "$(rules_all 2>/dev/null)" "$before" "every namespace's ruleset is as before all the traces"

# ------------------------------------------------------- bash completion
complete_words() {
	bash -c '
		complete() { :; }
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_podnet
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$ROOT/contrib/bash-completion/podnet" "$@"
}
t_is "$(complete_words "$P" trace "")" "node pod1 pod2 " "completion: trace FROM is a pod or the node"
t_is "$(complete_words "$P" trace pod1 "")" "localhost pod1 pod2 " "completion: trace TO is a pod or localhost"
t_is "$(complete_words "$P" ip pod1 "")" "addr link neigh route " "completion: ip POD's objects"

# ------------------------------------------------------------- bad input
t_is "$(rc_out $P trace pod1 nosuch:80)" '1:error: pods "nosuch" not found' "unknown target pod"
t_is "$(rc_out $P trace pod1 pod2:80/sctp)" "1:error: pod2:80/sctp: SCTP probes are not supported (tcp, udp or icmp)" "sctp"
t_is "$(rc_out $P trace pod1 pod2:80/udp --tcp)" "1:error: pod2:80/udp: the protocol /udp contradicts --tcp" "contradicting protocols"
t_is "$(rc_out $P trace pod1 pod2:80 --http)" "1:error: unknown flag: --http
See 'podnet trace --help' for usage." "trace has no --http"
t_is "$(rc_out $P trace pod1 pod2:80 --udp --tcp)" "1:error: if any flags in the group [icmp tcp udp] are set none of the others can be; [tcp udp] were all set" \
	"trace: one protocol at a time"
t_is "$(rc_out $P trace pod1 pod2:80 -o yaml)" '1:error: unknown output format "yaml" (json)' "-o yaml"
t_is "$(rc_out $P trace 10.9.9.9 pod2:80)" "1:error: 10.9.9.9 is neither a pod's IP nor one of the node's addresses" "FROM: an unknown address"
t_ok "no tracer table left after errors" no_tracer_left

t_done
