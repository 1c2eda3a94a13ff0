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
PROBE_MS=${NETPOL_PROBE_MS:-400}
declare -A PODIP

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
probe_all() {
	local ns p pids=()
	for ns in $NSS; do for p in $PODS; do
		$P exec -n $ns $p -- $PROBE probe $PROBE_MS $(targets $ns/$p) 2>/dev/null |
			sed "s|^|$ns/$p |" >"$T/probe-$ns-$p" &
		pids+=($!)
	done; done
	wait "${pids[@]}"
	cat "$T"/probe-*-* | sort >"$1"
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
	probe_all "$T/got"
	evaluator "$T/eval"
	expectations "$T/want"
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
