#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench, third part: podnetd, this node's Kubernetes API (issue 8).
#
# Measured side by side in one run, in a throwaway node:
#   kubectl get pods      with 10 pods and with 500, BENCH_API_GETS calls
#                         each: the wall time of the kubectl command (p50)
#                         and podnetd's own time for the Table list (p50 of
#                         its request log, -v 2)
#   watch latency         from a pod's phase becoming Running in the state
#                         database (a commit by another process, as the
#                         runtime makes it) to the MODIFIED event reaching a
#                         watching client (p50, p99 of BENCH_API_WATCH)
#   requests/s            16 clients with keep-alive connections listing the
#                         pods as a Table, as `kubectl get pods` asks (gzip
#                         accepted, as client-go does), for BENCH_API_SECONDS,
#                         with 10 pods and with 500; at 500 once more
#                         without gzip
#   memory                podnetd's RSS (VmRSS, and VmHWM: the peak) at 500
#                         pods, after the rest
#   watch + a Service     the watch latency again with a Service selecting
#                         the pods: every change also computes the
#                         EndpointSlices
# The 10 pods are real (kubectl apply, started by podnetd's agent); the
# other 490 are rows copied from one of them (apibench seed): podnetd
# serves them like any other, nothing runs them.  The targets are the
# issue's: list 500 pods as a Table <= 30 ms server time, watch event <=
# 20 ms after the change, >= 500 requests/s on 2 cores, RSS <= 30 MB.
#
# Knobs: BENCH_API_GETS=20, BENCH_API_WATCH=100, BENCH_API_SECONDS=10,
# BENCH_API_CLIENTS=16, BENCH_API_PODS=500.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD

. bench/lib-api.sh
bench_node apibench 600 "$@"

GETS=${BENCH_API_GETS:-20}
WATCH=${BENCH_API_WATCH:-100}
SECS=${BENCH_API_SECONDS:-10}
CLIENTS=${BENCH_API_CLIENTS:-16}
PODS=${BENCH_API_PODS:-500}
bench_node_setup apibench
trap bench_cleanup EXIT
bench_podnetd -v 2

for i in $(seq 1 10); do
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: p$i
  labels: {app: bench}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: host
    command: ["sleep", "infinity"]
---
EOF
done | kubectl apply -f - >/dev/null
kubectl wait --for=condition=Ready pods -l app=bench --timeout=180s >/dev/null

p50() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR - 1) * 0.5) + 1]; else print "nan" }'; }
p99() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR - 1) * 0.99) + 1]; else print "nan" }'; }

# kubectl get pods: the command's wall time, and podnetd's time for its list.
get_bench() { # LABEL
	local i t0 t1 n
	: >"$T/wall"
	n=$(grep -c 'GET /api/v1/namespaces/default/pods?limit=500: 200' "$T/podnetd.log" || true)
	for i in $(seq "$GETS"); do
		t0=$(date +%s%N)
		kubectl get pods >/dev/null
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) >>"$T/wall"
	done
	sleep 0.2
	grep 'GET /api/v1/namespaces/default/pods?limit=500: 200' "$T/podnetd.log" | tail -n +$((n + 1)) |
		sed -n 's/.*, \([0-9.]*\)ms)$/\1/p' >"$T/server"
	printf '%-26s kubectl %7.1f ms p50   server %6.2f ms p50 (%s calls)\n' "get pods, $1 pods" \
		"$(p50 <"$T/wall" | awk '{ print $1 / 1000 }')" "$(p50 <"$T/server")" "$GETS"
}
rps_bench() { # LABEL
	local out
	out=$("$APIBENCH" rps "$API/api/v1/namespaces/default/pods?limit=500" "$T/pki" \
		"$CLIENTS" "$SECS")
	printf '%-26s %s\n' "$CLIENTS clients, $1" "$out"
}

APIBENCH=$T/apibench
cp "$ROOT/build/bench/apibench" "$APIBENCH"
echo "podnetd benchmark ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
get_bench 10
rps_bench "10 pods"
"$APIBENCH" seed /var/lib/podnet $((PODS - 10)) >/dev/null
for _ in $(seq 100); do
	[ "$(kubectl get pods --no-headers | wc -l)" = "$PODS" ] && break
	sleep 0.1
done
get_bench "$PODS"
rps_bench "$PODS pods"
APIBENCH_GZIP=0 rps_bench "$PODS pods, no gzip"
printf '%-26s %s\n' "watch, Running -> event" \
	"$("$APIBENCH" watch "$API/api/v1/namespaces/default/pods" "$T/pki" /var/lib/podnet "$WATCH")"
sleep 1.5   # the daemon returns freed memory to the system once a second
printf '%-26s %s\n' "podnetd memory, $PODS pods" \
	"$(awk '/^VmRSS|^VmHWM/ { printf "%s %.1f MB  ", $1, $2 / 1024 }' /proc/$PID/status)"
# The same with a Service selecting every pod: each pod change computes
# the EndpointSlices again (issue 8: it used to reload every pod).
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: bench}\nspec:\n  selector: {app: bench}\n  ports: [{port: 80}]\n' |
	kubectl apply -f - >/dev/null
kubectl wait --for=jsonpath='{.endpoints}' endpointslice -l kubernetes.io/service-name=bench \
	--timeout=60s >/dev/null 2>&1 || sleep 1
printf '%-26s %s\n' "watch, + a Service" \
	"$("$APIBENCH" watch "$API/api/v1/namespaces/default/pods" "$T/pki" /var/lib/podnet "$WATCH")"
