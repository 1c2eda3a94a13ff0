#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench, pod deletion (issue 10): N pods whose process ignores SIGTERM,
# each with a grace period of G seconds, deleted by one `podnet delete pods
# -l app=delbench`.  Kubernetes stops them concurrently, so the figure to
# beat is about one grace period (issue 10: 20 pods, 2 s, < 6 s); one after
# another they took N * G.  tests/netns/cli-lifecycle.sh checks the same
# thing with a bound a loaded machine cannot miss; this measures it.
#
# What is timed: the delete command, from exec to exit (every pod's CNI DEL,
# netns and rows are done when it returns).  Printed per run, with the load
# average, then min / median / max.
#
# Everything runs in a throwaway node (private mount and network namespaces,
# tmpfs over /run and /var/lib); on exit every pod is force-deleted and gc
# finishes what is left.  The whole run is bounded by 600 s.
#
# Knobs: BENCH_DEL_PODS=20, BENCH_DEL_GRACE=2, BENCH_DEL_REPS=3.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${PODNET_DELBENCH_NODE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench/delete: needs root (namespaces, containers)" >&2
		exit 1
	fi
	export PODNET_DELBENCH_NODE=1
	exec timeout -k 30 600 unshare --mount --net --propagation private -- bash "$0" "$@"
fi

PODS=${BENCH_DEL_PODS:-20}
GRACE=${BENCH_DEL_GRACE:-2}
REPS=${BENCH_DEL_REPS:-3}
mount -t tmpfs -o mode=0755 podnet-delbench-run /run
mount -t tmpfs -o mode=0755 podnet-delbench-varlib /var/lib
mkdir -p /run/netns /var/lib/cni /var/lib/podnet
ip link set lo up
T=$(mktemp -d /tmp/podnet-delbench.XXXXXX)
cp -a "$ROOT/build/bin" "$T/bin"
P=$T/bin/podnet
export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
export CNI_PATH=$T/bin:/usr/lib/cni
cleanup() {
	set +e
	"$P" delete pods --all --grace-period=0 --force >/dev/null 2>&1
	"$P" gc >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

pods_yaml() {
	local i
	for i in $(seq -w 1 "$PODS"); do
		cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: d$i, labels: { app: delbench } }
spec:
  terminationGracePeriodSeconds: $GRACE
  containers:
  - { name: main, image: host, command: [sh, -c, "trap '' TERM; while :; do sleep 1; done"] }
---
YAML
	done
}
all_running() {
	[ "$("$P" get pods -l app=delbench -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' |
		grep -c '^Running$')" = "$PODS" ]
}

echo "bench/delete: $PODS pods, grace ${GRACE} s, one delete command, $REPS runs"
: >"$T/ms"
for r in $(seq "$REPS"); do
	pods_yaml | "$P" apply -f - >/dev/null
	for _ in $(seq 600); do all_running && break; sleep 0.2; done
	all_running || { echo "bench/delete: pods not Running" >&2; exit 1; }
	load=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(date +%s%N)
	n=$("$P" delete pods -l app=delbench | grep -c ' deleted$')
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$n" = "$PODS" ] || { echo "bench/delete: $n of $PODS deleted" >&2; exit 1; }
	echo "  run $r: $ms ms (load $load)"
	echo "$ms" >>"$T/ms"
done
sort -n "$T/ms" | awk -v g="$GRACE" -v n="$PODS" '{ v[NR] = $1 }
	END { printf "  min %d ms, median %d ms, max %d ms (grace %d s; one after another: >= %d s)\n",
		v[1], v[int((NR + 1) / 2)], v[NR], g, n * g }'
