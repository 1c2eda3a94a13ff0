#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: podnet-bridge + podnet-ipam against Debian's reference bridge +
# host-local, and against the floor, through the same harness
# (bench/cnibench.c).  Not a test: it prints a table and the ratios issue 2
# sets as targets, marked met or missed.
#
#   [node netns: bridge bench<N>, 10.77.0.1/16] --veth--> [pod netns 0..P-1: eth0]
#
# Everything runs in a throwaway node: private mount and network namespaces
# with tmpfs over /run and /var/lib, so the machine's own network, /run/netns
# and /var/lib/cni are never touched, and whatever a run leaves (links,
# rules, leases, pinned pod namespaces) disappears when this script exits.
#
# Knobs (environment):
#   BENCH_PODS=100    pods per "small" run (sequential and parallel)
#   BENCH_BIG=1000    pods of the "one bridge" run (first vs last 100 ADDs)
#   BENCH_PAR=8       workers of the parallel runs
#   BENCH_ROUNDS=3    rounds of the small runs, configurations interleaved;
#                     the report takes each figure's median over the rounds
#   BENCH_BIG_PAR=1   also run the big size with BENCH_PAR workers (0: no)
#   BENCH_BIG_PAR_ONLY="floor podnet podnet-masq ref"  configurations of that
#                     run (the reference with ipMasq alone would take ~4 min)
#   BENCH_QUICK=1     smoke run: 20 pods small, 100 big, 1 round, no big
#                     parallel run
#   BENCH_ONLY="floor podnet ref"  subset of: floor floor-naive podnet
#                     podnet-masq podnet-iso ref ref-masq (podnet-iso: podnet
#                     with portIsolation and spoofCheck, as podnet's own
#                     conflist has them)
#   BENCH_SETTLE=1    seconds to let the kernel free a run's namespaces
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${PODNET_BENCH_NODE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench: needs root (network namespaces, bridges)" >&2
		exit 1
	fi
	export PODNET_BENCH_NODE=1
	exec unshare --mount --net --propagation private -- bash "$0" "$@"
fi

# ---- inside the node from here on ------------------------------------------
mount -t tmpfs -o mode=0755 podnet-bench-run /run
mount -t tmpfs -o mode=0755 podnet-bench-varlib /var/lib
mkdir -p /run/netns /var/lib/cni /var/lib/podnet
ip link set lo up

T=$(mktemp -d /tmp/podnet-bench.XXXXXX)
cleanup() {
	local rc=$?
	# Links, rules, leases and pinned namespaces live in this node's netns
	# and tmpfs mounts and go with it; only the scratch dir is outside.
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	PODS=${BENCH_PODS:-20}
	BIG=${BENCH_BIG:-100}
	BIG_PAR=${BENCH_BIG_PAR:-0}
	ROUNDS=${BENCH_ROUNDS:-1}
else
	PODS=${BENCH_PODS:-100}
	BIG=${BENCH_BIG:-1000}
	BIG_PAR=${BENCH_BIG_PAR:-1}
	ROUNDS=${BENCH_ROUNDS:-3}
fi
BIG_PAR_ONLY=${BENCH_BIG_PAR_ONLY:-floor podnet podnet-masq podnet-iso ref}
PAR=${BENCH_PAR:-8}
SETTLE=${BENCH_SETTLE:-1}
ONLY=${BENCH_ONLY:-floor floor-naive podnet podnet-masq podnet-iso ref ref-masq}
SUBNET=10.77.0.0/16
GATEWAY=10.77.0.1
REF=${REF_CNI:-/usr/lib/cni}
BENCH=$ROOT/build/bench/cnibench
TRIVIAL=$ROOT/build/bench/trivial-static
STAMP=$(date +%Y%m%d-%H%M%S)
RES=$ROOT/build/bench/results-$STAMP.tsv
REPORT=$ROOT/build/bench/report-$STAMP.txt

want() { [[ " $ONLY " == *" $1 "* ]]; }

[ -x "$BENCH" ] || { echo "bench: $BENCH missing (run make bench)" >&2; exit 1; }
[ -x "$ROOT/build/bin/podnet-bridge" ] || { echo "bench: build/bin/podnet-bridge missing" >&2; exit 1; }
# The Makefile's generic rule links bench programs dynamically; the floor's
# exec half must be a static binary like the plugins, so build it here.
cc -O2 -static -o "$TRIVIAL" bench/trivial.c
if [ ! -x "$REF/bridge" ] || [ ! -x "$REF/host-local" ]; then
	echo "bench: reference plugins not in $REF (package containernetworking-plugins); skipping them" >&2
	ONLY=${ONLY//ref-masq/}; ONLY=${ONLY//ref/}
fi
if want ref-masq && ! command -v iptables >/dev/null; then
	echo "bench: iptables missing (the reference bridge's ipMasq runs it); skipping ref-masq" >&2
	ONLY=${ONLY//ref-masq/}
fi

: >"$RES"
run=0

# settle: let the kernel finish freeing the previous run's namespaces
# (cleanup_net runs from a workqueue) before the next clock starts.
settle() { sleep "$SETTLE"; }

# node_reset BRIDGE NETWORK: what a run leaves that DEL does not remove by
# design: the bridge, the network's masquerade rules, the IPAM directory.
node_reset() {
	ip link del "$1" 2>/dev/null || true
	nft flush ruleset 2>/dev/null || true
	iptables-legacy -t nat -F 2>/dev/null || true
	iptables-legacy -t nat -X 2>/dev/null || true
	rm -rf "/var/lib/cni/networks/$2" "/var/lib/cni/results"
}

# conf TYPE IPAM MASQ BRIDGE NETWORK [EXTRA]: one network config, identical
# for podnet and the reference but for the two plugin types.
conf() {
	cat <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$5",
  "type": "$1",
  "bridge": "$4",
  "isGateway": true,
  "isDefaultGateway": true,
  "ipMasq": $3,
  "hairpinMode": false,${6:-}
  "ipam": {
    "type": "$2",
    "ranges": [ [ { "subnet": "$SUBNET", "gateway": "$GATEWAY" } ] ]
  }
}
JSON
}

# bench_one LABEL PODS PAR: one run, then a clean node for the next.
bench_one() {
	local label=$1 pods=$2 par=$3 br net
	run=$((run + 1))
	# Other work on the machine shows up as latency; say how busy it was.
	echo "  [run $run: $label, $pods pods, par $par; load $(cut -d' ' -f1-3 /proc/loadavg)]"
	br=bench$run
	net=bench$run
	case $label in
	floor) "$BENCH" floor --exe "$TRIVIAL" --bridge "$br" --subnet "$SUBNET" \
		--pods "$pods" --par "$par" --label "$label" --out "$RES" ;;
	floor-naive) "$BENCH" floor --naive --exe "$TRIVIAL" --bridge "$br" --subnet "$SUBNET" \
		--pods "$pods" --par "$par" --label "$label" --out "$RES" ;;
	podnet | podnet-masq | podnet-iso | ref | ref-masq)
		local type=podnet-bridge ipam=podnet-ipam masq=false exe=$ROOT/build/bin/podnet-bridge extra=
		case $label in ref*) type=bridge ipam=host-local exe=$REF/bridge ;; esac
		case $label in *-masq) masq=true ;; esac
		case $label in *-iso) extra='"portIsolation": true, "spoofCheck": true,' ;; esac
		conf "$type" "$ipam" "$masq" "$br" "$net" "$extra" >"$T/$net.conf"
		"$BENCH" plugin --exe "$exe" --conf "$T/$net.conf" --cni-path "$ROOT/build/bin:$REF" \
			--pods "$pods" --par "$par" --label "$label" --out "$RES" ;;
	esac
	node_reset "$br" "$net"
	settle
}

# The naive floor is only a reference point for growth on one bridge;
# it runs sequentially only.
suite() {
	local pods=$1 par=$2 l
	for l in floor floor-naive podnet podnet-masq podnet-iso ref ref-masq; do
		want "$l" || continue
		[ "$pods" = "$BIG" ] && [ "$par" != 1 ] && [[ " $BIG_PAR_ONLY " != *" $l "* ]] && continue
		[ "$l" = floor-naive ] && [ "$par" != 1 ] && continue
		bench_one "$l" "$pods" "$par"
	done
}

main() {
	local t0
	t0=$(date +%s)
	local r
	echo "== podnet bench $STAMP: $PODS pods (sequential, $PAR parallel) x $ROUNDS rounds, $BIG pods on one bridge"
	echo "== $(nproc) CPUs, kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	# Rounds interleave the configurations, so a burst of other work on the
	# machine lands on different configurations in different rounds.
	for ((r = 1; r <= ROUNDS; r++)); do
		suite "$PODS" 1
		suite "$PODS" "$PAR"
	done
	suite "$BIG" 1
	if [ "$BIG_PAR" = 1 ]; then
		suite "$BIG" "$PAR"
	fi
	bench/report.awk -v small="$PODS" -v big="$BIG" -v par="$PAR" "$RES"
	echo "== done in $(($(date +%s) - t0)) s; raw results $RES, report $REPORT"
}
# One pipeline for the whole run, so the run counter (and with it the
# bridge and network names) stays unique across suites.
main 2>&1 | tee "$REPORT"
exit "${PIPESTATUS[0]}"
