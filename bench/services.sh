#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench, the Services half of issue 9's benchmark: podnet's table
# (verdict maps, kube-proxy's nftables mode) against iptables-style linear
# rules generated for the same Services (kube-proxy's iptables mode as
# iptables-nft loads it: one rule per Service port, walked in order), in
# one run, in a throwaway node:
#
#   [cl 10.0.1.2] --veth-- [node 10.0.1.1 | 10.0.2.1] --veth-- [srv 10.0.2.2:8080]
#
#  1. apply 1, 100, 1000 Services: `podnet apply -f` end to end (state
#     store, allocation, one nft transaction), and the nft load of each
#     generated table alone;
#  2. with 0, 100, 1000 other Services present, the last Service's first
#     packet (connect(2) time: SYN through the node's DNAT, SYN-ACK back)
#     and connection rate (TCP_CRR-style: connect, a byte each way, close).
#
# Knobs: BENCH_SVC_ROUNDS=3 (medians over rounds), BENCH_SVC_SECONDS=3
# (per connection-rate run), BENCH_SVC_SIZES="0 100 1000".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${PODNET_BENCH_NODE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench: needs root (network namespaces)" >&2
		exit 1
	fi
	export PODNET_BENCH_NODE=1
	exec unshare --mount --net --propagation private -- bash "$0" "$@"
fi

mount -t tmpfs -o mode=0755 podnet-bench-run /run
mount -t tmpfs -o mode=0755 podnet-bench-varlib /var/lib
mkdir -p /run/netns /var/lib/cni /var/lib/podnet
ip link set lo up
T=$(mktemp -d /tmp/podnet-svcbench.XXXXXX)
SRV_PID=
cleanup() {
	local rc=$?
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROUNDS=${BENCH_SVC_ROUNDS:-3}
SECS=${BENCH_SVC_SECONDS:-3}
SIZES=${BENCH_SVC_SIZES:-0 100 1000}
B=$ROOT/build/bench/svcbench
P=$ROOT/build/bin/podnet
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/build/bench/services-$STAMP.md

# --- topology ------------------------------------------------------------
for n in cl srv; do
	ip netns add $n
	ip -n $n link set lo up
done
ip link add n-cl type veth peer name eth0 netns cl
ip link add n-srv type veth peer name eth0 netns srv
ip addr add 10.0.1.1/24 dev n-cl
ip addr add 10.0.2.1/24 dev n-srv
ip link set n-cl up
ip link set n-srv up
ip -n cl addr add 10.0.1.2/24 dev eth0
ip -n srv addr add 10.0.2.2/24 dev eth0
ip -n cl link set eth0 up
ip -n srv link set eth0 up
ip -n cl route add default via 10.0.1.1
ip -n srv route add default via 10.0.2.1
sysctl -qw net.ipv4.ip_forward=1
ip netns exec srv "$B" serve 8080 &
SRV_PID=$!
sleep 0.3

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
flush() { nft delete table inet podnet 2>/dev/null || true; nft delete table ip kube-linear 2>/dev/null || true; }

# --- 1. apply time ---------------------------------------------------------
declare -A APPLY NFT
for n in 1 100 1000; do
	for r in $(seq "$ROUNDS"); do
		flush
		rm -rf /var/lib/podnet/*
		for i in $(seq "$n"); do
			printf 'apiVersion: v1\nkind: Service\nmetadata: { name: s-%d }\nspec:\n  selector: { app: s }\n  ports: [{ port: 80, targetPort: 8080 }]\n---\n' "$i"
		done >"$T/svc.yaml"
		a=$(now_ms)
		PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d "$P" apply -f "$T/svc.yaml" >/dev/null
		echo $(($(now_ms) - a)) >>"$T/apply-$n"
		flush
		"$B" load podnet $((n - 1)) 10.0.2.2 8080 | awk '{print $2}' >>"$T/nft-podnet-$n"
		flush
		"$B" load linear $((n - 1)) 10.0.2.2 8080 | awk '{print $2}' >>"$T/nft-linear-$n"
	done
	APPLY[$n]=$(median <"$T/apply-$n")
	NFT[podnet-$n]=$(median <"$T/nft-podnet-$n")
	NFT[linear-$n]=$(median <"$T/nft-linear-$n")
done
flush

# --- 2. first packet and connection rate ------------------------------------
declare -A RATE P50 P99
for n in $SIZES; do
	vip=$("$B" vip "$n")
	for mode in podnet linear; do
		: >"$T/r"
		: >"$T/p50"
		: >"$T/p99"
		for r in $(seq "$ROUNDS"); do
			flush
			"$B" load $mode "$n" 10.0.2.2 8080 >/dev/null
			ip netns exec cl "$B" crr "$vip" 80 1 >/dev/null # warm up
			read -r rate p50 p99 < <(ip netns exec cl "$B" crr "$vip" 80 "$SECS")
			echo "$rate" >>"$T/r"
			echo "$p50" >>"$T/p50"
			echo "$p99" >>"$T/p99"
		done
		RATE[$mode-$n]=$(median <"$T/r")
		P50[$mode-$n]=$(median <"$T/p50")
		P99[$mode-$n]=$(median <"$T/p99")
	done
done
flush

{
	echo "## Services: podnet (verdict maps) vs iptables-style linear rules"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds (medians), ${SECS}s per rate run; \`make bench\` (bench/services.sh)."
	echo
	echo "| apply | podnet apply -f (store + allocation + nft), ms | nft load, podnet table, ms | nft load, linear table, ms |"
	echo "|---|---|---|---|"
	for n in 1 100 1000; do
		echo "| $n Services | ${APPLY[$n]} | ${NFT[podnet-$n]} | ${NFT[linear-$n]} |"
	done
	echo
	echo "| other Services present | podnet conn/s | linear conn/s | podnet connect p50 / p99, µs | linear connect p50 / p99, µs |"
	echo "|---|---|---|---|---|"
	for n in $SIZES; do
		echo "| $n | ${RATE[podnet-$n]} | ${RATE[linear-$n]} | ${P50[podnet-$n]} / ${P99[podnet-$n]} | ${P50[linear-$n]} / ${P99[linear-$n]} |"
	done
} | tee "$OUT"
echo "bench: written to ${OUT#"$ROOT"/}" >&2
