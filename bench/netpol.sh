#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench, third part: NetworkPolicy (issue 9), podnet's nftables table
# side by side with iptables-style linear rules for the same objects.
#
#   namespace bench: pods client (app=client), server (app=server, serving
#   nptool on 5001) and fillers f0..f7 (app=f0 ...)
#   policy bench/zz-allow: server accepts TCP 5001 from client only
#   N-1 filler policies: policy i selects f(i mod 8) and allows TCP port
#   1000+i from f(i+1 mod 8): each filler is selected by N/8 policies
#
# Measured, each BENCH_NETPOL_ROUNDS times (median):
#   apply    `podnet apply -f` of N policies at once (parse, store, one
#            transaction), then of one more policy with N present; the
#            linear model: generate (nptool linear) and load the whole
#            ruleset, as an iptables-restore based implementation does
#   latency  client -> server: connect time (the SYN meets the rules, the
#   and rate SYN-ACK is established) and connect/request/response/close
#            transactions per second (TCP_CRR), with N = 0, 100, 1000, for
#            podnet's table and for the linear rules (podnet's table is
#            removed while the linear one is measured); the linear rules
#            hold the benchmark policy's rule last
#   stream   one TCP connection for BENCH_NETPOL_STREAM seconds, with the
#            largest N (the benchmark policy allowing it), then right after
#            with podnet's table removed (no policy)
#
# Everything runs in a throwaway node (private mount and network
# namespaces, tmpfs over /run and /var/lib).  Knobs:
#   BENCH_NETPOL_SIZES="1 100 1000"  BENCH_NETPOL_ROUNDS=3
#   BENCH_NETPOL_CRR=10000 (transactions per measurement)
#   BENCH_NETPOL_STREAM=3 (seconds)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${PODNET_NETPOLBENCH_NODE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench/netpol: needs root (namespaces, pods)" >&2
		exit 1
	fi
	export PODNET_NETPOLBENCH_NODE=1
	exec timeout -k 30 "${BENCH_NETPOL_TIMEOUT:-1800}" \
		unshare --mount --net --propagation private -- bash "$0" "$@"
fi

SIZES=${BENCH_NETPOL_SIZES:-1 100 1000}
ROUNDS=${BENCH_NETPOL_ROUNDS:-3}
CRR=${BENCH_NETPOL_CRR:-10000}
STREAM=${BENCH_NETPOL_STREAM:-3}
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$ROOT/build/bench"
REPORT=$ROOT/build/bench/netpol-$STAMP.txt

mount -t tmpfs -o mode=0755 podnet-npbench-run /run
mount -t tmpfs -o mode=0755 podnet-npbench-varlib /var/lib
mkdir -p /run/netns /var/lib/cni /var/lib/podnet
ip link set lo up
T=$(mktemp -d /tmp/podnet-npbench.XXXXXX)
cp -a "$ROOT/build/bin" "$T/bin"
cp "$ROOT/build/bench/nptool" "$T/bin/nptool"
P=$T/bin/podnet
NPT=$T/bin/nptool
export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
export CNI_PATH=$T/bin:/usr/lib/cni

PODS="client server f0 f1 f2 f3 f4 f5 f6 f7"

# What the pods' shims still run once the pods are deleted (nothing, unless
# a delete failed): each shim of this run (its binary is our copy under $T)
# and its children, by PID, with SIGKILL (a container's first process is
# PID 1 of its namespace and ignores SIGTERM; the rest of that namespace
# dies with it).
reap_shims() {
	local exe p k
	for exe in /proc/[0-9]*/exe; do
		p=${exe#/proc/}; p=${p%/exe}
		[ "$(readlink "$exe" 2>/dev/null)" = "$T/bin/podnet-shim" ] || continue
		for k in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do kill -KILL "$k" 2>/dev/null; done
		kill -KILL "$p" 2>/dev/null
		echo "bench/netpol: killed the leftover shim $p and its children" >&2
	done
}
cleanup() {
	local rc=$?
	$P delete networkpolicy --all -n bench >/dev/null 2>&1 || true
	$P delete pod $PODS -n bench >/dev/null 2>&1 || true
	reap_shims || true
	$P gc >/dev/null 2>&1 || true
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

ms_since() { echo $((($(date +%s%N) - $1) / 1000)) | awk '{printf "%.1f", $1 / 1000}'; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

pods() {
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: bench }\n'
	for p in $PODS; do
		cmd='["sleep", "infinity"]'
		[ $p = server ] && cmd="[\"$NPT\", \"serve\", \"5001\"]"
		cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: { name: $p, namespace: bench, labels: { app: $p } }
spec:
  terminationGracePeriodSeconds: 1
  containers: [ { name: c, image: host, command: $cmd } ]
YAML
	done
}

# policies N: N-1 filler policies, then bench/zz-allow.  Policies are
# taken in namespace/name order (pol_world_load), so "zz-" puts the one
# the benchmark's connections need after every filler: last in the linear
# chain, the case of a policy added to a node that has many.
policies() {
	local i
	for ((i = 1; i < $1; i++)); do
		cat <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: filler-$i, namespace: bench }
spec:
  podSelector: { matchLabels: { app: f$((i % 8)) } }
  ingress:
  - from: [ { podSelector: { matchLabels: { app: f$(((i + 1) % 8)) } } } ]
    ports: [ { port: $((1000 + i)) } ]
---
YAML
	done
	cat <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: zz-allow, namespace: bench }
spec:
  podSelector: { matchLabels: { app: server } }
  ingress:
  - from: [ { podSelector: { matchLabels: { app: client } } } ]
    ports: [ { port: 5001 } ]
YAML
}

one_more() {
	cat <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: one-more, namespace: bench }
spec:
  podSelector: { matchLabels: { app: f3 } }
  ingress:
  - from: [ { podSelector: { matchLabels: { app: client } } } ]
YAML
}

crr() { # -> "connect_p50 rate"
	$P exec -n bench client -- "$NPT" crr "$SERVER" 5001 "$CRR" >"$T/crr" 2>&1 || { cat "$T/crr" >&2; return 1; }
	awk '$1 == "connect_p50_us" {c = $2} $1 == "rate_per_s" {r = $2} END {print c, r}' "$T/crr"
}
stream() {
	$P exec -n bench client -- "$NPT" stream "$SERVER" 5001 "$STREAM" >"$T/stream" 2>&1 || { cat "$T/stream" >&2; return 1; }
	awk '$1 == "gbit_per_s" {print $2}' "$T/stream"
}

# timed CMD... -> "wall_ms cpu_ms" (CPU: user + system, what the machine's
# other load does not inflate); its stderr in $T/apply.log.  timed_apply
# FILE: `podnet apply -f FILE`, its debug log has the sync's own timing.
timed() {
	local TIMEFORMAT='%R %U %S' t
	t=$({ time "$@" >/dev/null 2>"$T/apply.log"; } 2>&1)
	awk '{printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000}' <<<"$t"
}
timed_apply() { timed env PODNET_LOG=debug "$P" apply -f "$1"; }
podnet_get() { $P get networkpolicy -n bench; }

linear_load() { # -> ms to generate and load the linear ruleset
	local t0
	t0=$(date +%s%N)
	"$NPT" linear "$PODNET_ROOT" >"$T/linear.nft" 2>"$T/linear.err"
	nft -f "$T/linear.nft"
	ms_since "$t0"
}
podnet_table_off() { nft delete table inet podnet 2>/dev/null || true; }
podnet_table_on() { nft delete table inet linear 2>/dev/null || true; $P gc >/dev/null; }

main() {
	echo "== podnet NetworkPolicy bench $STAMP: sizes $SIZES, $ROUNDS rounds, $CRR transactions, ${STREAM}s streams"
	echo "== $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
	pods >"$T/pods.yaml"
	$P apply -f "$T/pods.yaml" >/dev/null
	SERVER=$($P get pod server -n bench -o jsonpath='{.status.podIP}')
	for i in $(seq 1 50); do crr >/dev/null 2>&1 && break; sleep 0.2; done

	declare -A R
	local n r t0 x y on off
	for ((r = 1; r <= ROUNDS; r++)); do
		# no policy at all
		$P delete networkpolicy --all -n bench >/dev/null 2>&1 || true
		read -r x y < <(crr); R[crr0]+="$x "; R[rate0]+="$y "
		# the floor of any podnet command: exec, dynamic linking, the store
		read -r x y < <(timed podnet_get); R[floor]+="$x "; R[floorcpu]+="$y "
		for n in $SIZES; do
			$P delete networkpolicy --all -n bench >/dev/null 2>&1 || true
			policies "$n" >"$T/pol-$n.yaml"
			read -r x y < <(timed_apply "$T/pol-$n.yaml"); R[apply$n]+="$x "; R[applycpu$n]+="$y "
			one_more >"$T/more.yaml"
			read -r x y < <(timed_apply "$T/more.yaml"); R[more$n]+="$x "; R[morecpu$n]+="$y "
			R[sync$n]+="$(sed -n 's/.*sync: done in \([0-9.]*\) ms.*/\1/p' "$T/apply.log") "
			$P delete networkpolicy one-more -n bench >/dev/null
			read -r x y < <(crr); R[crr$n]+="$x "; R[rate$n]+="$y "
			# throughput with the policy, then at once without any
			# table: the pair close in time, as the machine's load moves
			# (alternating which goes first, so a trend cancels out)
			if [ "$n" = "${SIZES##* }" ]; then
				if ((r % 2)); then
					on=$(stream); podnet_table_off; off=$(stream)
				else
					podnet_table_off; off=$(stream); $P gc >/dev/null; on=$(stream)
				fi
				R[stream_on]+="$on "; R[stream_off]+="$off "
				R[stream_ratio]+="$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.3f", a / b}') "
			fi
			podnet_table_off
			R[lapply$n]+="$(linear_load) "
			R[lrules$n]=$(awk '{print $3}' "$T/linear.err")
			read -r x y < <(crr); R[lcrr$n]+="$x "; R[lrate$n]+="$y "
			podnet_table_on
			R[ptrules$n]=$(nft list table inet podnet | grep -c '^\s*[a-z].*\(accept\|drop\|jump\|goto\|vmap\)' || true)
		done
	done
	med() { echo "${R[$1]}" | tr ' ' '\n' | grep . | median; }
	echo
	echo "== apply (ms, median of $ROUNDS): N policies at once, then one more with N present"
	echo "   (wall/CPU of the whole command; sync: its store -> model -> diff -> kernel, wall)"
	printf '%-8s %16s %16s %10s %16s %14s\n' policies "podnet apply" "podnet +1" "+1 sync" "linear reload" "linear rules"
	for n in $SIZES; do
		printf '%-8s %16s %16s %10s %16s %14s\n' "$n" "$(med apply$n) / $(med applycpu$n)" \
			"$(med more$n) / $(med morecpu$n)" "$(med sync$n)" "$(med lapply$n)" "${R[lrules$n]}"
	done
	echo "(any podnet command costs at least what \`podnet get networkpolicy\` does: $(med floor) / $(med floorcpu) ms)"
	echo
	echo "== client -> server, new connections (median of $ROUNDS; $CRR transactions each)"
	printf '%-8s %18s %14s %18s %14s\n' policies "podnet connect us" "podnet CRR/s" "linear connect us" "linear CRR/s"
	printf '%-8s %18s %14s %18s %14s\n' 0 "$(med crr0)" "$(med rate0)" "$(med crr0)" "$(med rate0)"
	for n in $SIZES; do
		printf '%-8s %18s %14s %18s %14s\n' "$n" "$(med crr$n)" "$(med rate$n)" "$(med lcrr$n)" "$(med lrate$n)"
	done
	echo
	echo "== throughput, one TCP connection (Gbit/s, each round: policy and none back to back)"
	echo "no policy: ${R[stream_off]}"
	echo "${SIZES##* } policies: ${R[stream_on]}"
	echo "median of the rounds' ratios: $(med stream_ratio | awk '{printf "%.1f%%", 100 * $1}') (target >= 95%)"
	echo "== done; report $REPORT"
}
main 2>&1 | tee "$REPORT"
exit "${PIPESTATUS[0]}"
