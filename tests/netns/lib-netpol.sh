# SPDX-License-Identifier: Apache-2.0
# Helpers of the NetworkPolicy tests (netpol-*.sh), after the upstream e2e
# suite and Cyclonus: namespaces x, y, z; pods a, b, c in each, serving TCP
# and UDP on 80 and 81 (pn-netprobe, ports named serve-80-tcp and so on);
# every pod probes every other on the four ports, and the 9 x 8 x 4 = 288
# cells are compared with the evaluator (pn-polmatrix, from podnet's state)
# and with an expectation written by hand.
#
# Source after lib.sh and node_enter.

P=$BIN/podnet
PROBE=$ROOT/build/tests/tools/pn-netprobe
MATRIX=$ROOT/build/tests/tools/pn-polmatrix
NSS="x y z"
PODS="a b c"
PORTS="80/tcp 81/tcp 80/udp 81/udp"
# A probe's timeout (ms).  A refused cell is silence until the timeout, so
# it costs that much per check; an allowed one answers at once on a quiet
# machine, and when it did not within PROBE_MS (a loaded one) settle()
# gives it longer before it counts as refused.
PROBE_MS=${NETPOL_PROBE_MS:-1000}
SETTLE_MS=${NETPOL_SETTLE_MS:-3000 10000}
declare -A PODIP

# An allowed UDP probe leaves a conntrack entry in the node (30 s by
# default) and a later probe that happens to get the same source port meets
# that entry ("established"), not the policies of its case: a refused cell
# answered.  Entries of 1 s here, and check() starts a case's probes at
# least 1.5 s after the last probe of the one before, so every probe of a
# case is a new flow.  (A TCP SYN on a closed flow's entry starts a new
# one: nf_conntrack_proto_tcp's reopen.)
for f in nf_conntrack_udp_timeout nf_conntrack_udp_timeout_stream; do
	echo 1 >/proc/sys/net/netfilter/$f || { echo "Bail out! cannot set $f"; exit 1; }
done
LAST_PROBE=0

# pod_yaml NS NAME LABELS-FLOW [EXTRA-CONTAINER-YAML]
pod_yaml() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $2, namespace: "$1", labels: $3 }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: srv
    image: host
    command: [$PROBE, serve, "80", "81"]
    ports:
    - { name: serve-80-tcp, containerPort: 80, protocol: TCP }
    - { name: serve-81-tcp, containerPort: 81, protocol: TCP }
    - { name: serve-80-udp, containerPort: 80, protocol: UDP }
    - { name: serve-81-udp, containerPort: 81, protocol: UDP }
YAML
}

# cluster_up: the namespaces (labelled ns=x...) and the nine pods.
cluster_up() {
	local ns p
	{
		for ns in $NSS; do
			printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: "%s", labels: { ns: "%s" } }\n---\n' $ns $ns
		done
		for ns in $NSS; do for p in $PODS; do
			pod_yaml $ns $p "{ pod: $p }"
			echo ---
		done; done
	} >"$T/cluster.yaml"
	$P apply -f "$T/cluster.yaml" >"$T/cluster.out" 2>&1 || { cat "$T/cluster.out"; return 1; }
	for ns in $NSS; do for p in $PODS; do
		PODIP[$ns/$p]=$($P get pod $p -n $ns -o jsonpath='{.status.podIP}')
		[ -n "${PODIP[$ns/$p]}" ] || { echo "no IP for $ns/$p"; return 1; }
	done; done
}

# targets FROM: the probe targets of one source pod, one per line.
targets() {
	local ns p port
	for ns in $NSS; do for p in $PODS; do
		[ "$ns/$p" = "$1" ] && continue
		for port in $PORTS; do echo "${PODIP[$ns/$p]}:$port"; done
	done; done
}

# probe_all OUT: every pod probes every target (in parallel, from inside
# the pods), OUT gets "FROM TARGET ok|fail" lines, sorted.
# A pod whose exec did not print its 32 lines (a failed exec) probes again.
probe_all() {
	local ns p pids try
	for try in 1 2 3; do
		pids=()
		for ns in $NSS; do for p in $PODS; do
			[ "$try" != 1 ] && [ "$(wc -l <"$T/probe-$ns-$p")" = 32 ] && continue
			$P exec -n $ns $p -- $PROBE probe $PROBE_MS $(targets $ns/$p) 2>/dev/null |
				sed "s|^|$ns/$p |" >"$T/probe-$ns-$p" &
			pids+=($!)
		done; done
		[ ${#pids[@]} = 0 ] && break
		wait "${pids[@]}"
	done
	cat "$T"/probe-*-* | sort >"$1"
}

# settle GOT REF...: a refusal is only silence, so a cell of GOT ("FROM
# TARGET ok|fail" lines, FROM ns/pod) that failed where a REF file (the
# evaluator, the expectation) says it is allowed is probed again, with the
# longer timeouts of SETTLE_MS, before it counts: no verdict "refused" for
# an allowed cell by one short timeout alone.  An "ok" is final (an answer
# came).  GOT is rewritten in place, with the cells that answered.
settle() {
	local got=$1 ms f pids
	shift
	for ms in $SETTLE_MS; do
		awk -v got="$got" 'FILENAME != got { if ($3 == "ok") allowed[$1 " " $2] = 1; next }
			$3 == "fail" && allowed[$1 " " $2] { print $1, $2 }' "$@" "$got" >"$T/settle"
		[ -s "$T/settle" ] || return 0
		echo "# $(wc -l <"$T/settle") cells failed where an answer is expected: probing them again for $ms ms"
		pids=()
		rm -f "$T"/settle-*
		for f in $(awk '{print $1}' "$T/settle" | sort -u); do
			$P exec -n ${f%/*} ${f#*/} -- $PROBE probe $ms $(awk -v f=$f '$1 == f {print $2}' "$T/settle") 2>/dev/null |
				sed "s|^|$f |" >"$T/settle-${f/\//-}" &
			pids+=($!)
		done
		wait "${pids[@]}"
		cat "$T"/settle-* | awk '$3 == "ok" {print $1, $2}' >"$T/settled"
		awk 'FILENAME == ARGV[1] { ok[$0] = 1; next } ok[$1 " " $2] { $3 = "ok" } 1' \
			"$T/settled" "$got" >"$got.new" && mv "$got.new" "$got"
	done
}

# all_reach OUT: the servers start with the containers: probe until every
# cell answers (a cell that fails is given settle()'s longer timeouts, and
# the whole round is tried again for a while), OUT holds the last round.
all_reach() {
	local i
	for i in $(seq 1 30); do
		probe_all "$1"
		sed 's/ fail$/ ok/' "$1" >"$T/all-ok"
		settle "$1" "$T/all-ok"
		[ "$(grep -c ' ok$' "$1")" = 288 ] && return 0
		sleep 0.2
	done
	return 1
}

# evaluator OUT: the evaluator's answers for the same cells.
evaluator() {
	local ns p
	for ns in $NSS; do for p in $PODS; do
		targets $ns/$p | sed "s|^|$ns/$p |"
	done; done | "$MATRIX" | sort >"$1"
}

# ---- expectations: a default for every cell, then overrides in order.
# expect_all ok|fail; expect FROM TO PORTS ok|fail, where FROM and TO are
# "x/a", "x/*", "*/a" or "*", and PORTS a list of 80/tcp... or "*".
declare -A EXP
expect_all() {
	local f t port
	EXP=()
	for f in $(all_pods); do for t in $(all_pods); do
		[ "$f" = "$t" ] && continue
		for port in $PORTS; do EXP[$f ${PODIP[$t]}:$port]=$1; done
	done; done
}
all_pods() { local ns p; for ns in $NSS; do for p in $PODS; do echo $ns/$p; done; done; }
glob_match() { [[ "$2" == $1 ]]; }
expect() {
	local f t port
	for f in $(all_pods); do glob_match "$1" "$f" || continue
		for t in $(all_pods); do glob_match "$2" "$t" || continue
			[ "$f" = "$t" ] && continue
			for port in $PORTS; do
				[ "$3" = "*" ] || [[ " $3 " == *" $port "* ]] || continue
				EXP[$f ${PODIP[$t]}:$port]=$4
			done
		done
	done
}
expectations() {
	local k
	for k in "${!EXP[@]}"; do echo "$k ${EXP[$k]}"; done | sort >"$1"
}

# truth_table FILE: cyclonus' picture of one port: rows from, columns to,
# "." reached, "X" refused, "!" where FILE differs from the probes.
picture() { # PROBES OTHER PORT
	local port=$3 f t
	printf '#   %-4s' "$port"
	for t in $(all_pods); do printf ' %s' "$t"; done
	echo
	for f in $(all_pods); do
		printf '#   %-4s' "$f"
		for t in $(all_pods); do
			if [ "$f" = "$t" ]; then printf '   -'; continue; fi
			local key="$f ${PODIP[$t]}:$port" a b
			a=$(grep -F "$key " "$1" | awk '{print $3}')
			b=$(grep -F "$key " "$2" | awk '{print $3}')
			if [ "$a" != "$b" ]; then printf '   !'; elif [ "$a" = ok ]; then printf '   .'; else printf '   X'; fi
		done
		echo
	done
}

# check NAME: probe, and compare the cells with the evaluator and with the
# expectation; one TAP line each.  On a difference, print the pictures.
check() {
	local name=$1 port n
	sleep "$(awk -v l="$LAST_PROBE" -v n="$EPOCHREALTIME" 'BEGIN { d = l + 1.5 - n; printf "%.3f", (d > 0 ? d : 0) }')"
	probe_all "$T/got"
	evaluator "$T/eval"
	expectations "$T/want"
	settle "$T/got" "$T/eval" "$T/want"
	LAST_PROBE=$EPOCHREALTIME
	n=$(wc -l <"$T/got")
	if [ "$n" != 288 ]; then
		t_fail "$name: probed 288 cells (got $n)"
		return
	fi
	if cmp -s "$T/got" "$T/eval"; then
		t_pass "$name: the kernel agrees with the evaluator on 288 cells ($(grep -c ' fail$' "$T/got") refused)"
	else
		t_fail "$name: the kernel agrees with the evaluator on 288 cells"
		for port in $PORTS; do picture "$T/got" "$T/eval" $port; done
	fi
	if cmp -s "$T/got" "$T/want"; then
		t_pass "$name: and with the expectation written by hand"
	else
		t_fail "$name: and with the expectation written by hand"
		for port in $PORTS; do picture "$T/got" "$T/want" $port; done
	fi
}

# policy NS NAME: a NetworkPolicy whose spec (YAML, 2-space indented under
# spec:) is on stdin, into $T/policies.yaml (cleared by policies_clear).
policies_clear() { : >"$T/policies.yaml"; }
policy() {
	{
		printf -- '---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: %s, namespace: "%s" }\nspec:\n' "$2" "$1"
		sed 's/^/  /'
	} >>"$T/policies.yaml"
}
# run_case NAME: apply the policies, check, delete them (podnet delete -f).
run_case() {
	if ! $P apply -f "$T/policies.yaml" >"$T/apply.out" 2>&1; then
		t_fail "$1: apply"
		sed 's/^/#   /' "$T/apply.out"
		return
	fi
	check "$1"
	$P delete -f "$T/policies.yaml" >"$T/delete.out" 2>&1 || { t_fail "$1: delete -f"; sed 's/^/#   /' "$T/delete.out"; }
	policies_clear
}
