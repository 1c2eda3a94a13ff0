#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: podnetd's streams with the real kubectl (issue 8, "streams at
# real speed"), in a throwaway node:
#
#   kubectl --TLS--> podnetd (tlsfront -> libmicrohttpd) --> pod "stream"
#
#   port-forward   BENCH_STREAM_MB MiB from a server on the pod's
#                  127.0.0.1:9000 through `kubectl port-forward`
#                  (WebSocket tunnel, kubectl's default), read to EOF
#   exec stdout    `kubectl exec stream -- cat` of a BENCH_STREAM_MB MiB file
#   cp             `kubectl cp` of that file from the pod (tar over exec)
#   requests/s     16 clients listing 10 pods as a Table (bench/api.sh's
#                  figure): the TLS front must not cost small requests much
#
# Each stream figure is the median MiB/s of BENCH_STREAM_ROUNDS runs,
# measured as the wall time of the client command.
#
# Knobs: BENCH_STREAM_MB=64, BENCH_STREAM_ROUNDS=3, BENCH_API_SECONDS=10,
# BENCH_API_CLIENTS=16, BENCH_STREAM_PODNETD=build/bin/podnetd (another
# build's podnetd, for a before/after).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD

. bench/lib-api.sh
bench_node streambench 1200 "$@"

MB=${BENCH_STREAM_MB:-64}
ROUNDS=${BENCH_STREAM_ROUNDS:-3}
SECS=${BENCH_API_SECONDS:-10}
CLIENTS=${BENCH_API_CLIENTS:-16}
PODNETD=$(realpath "${BENCH_STREAM_PODNETD:-$ROOT/build/bin/podnetd}")
bench_node_setup streambench
cp "$PODNETD" "$BIN/podnetd"
PF=""
cleanup() {
	set +e
	[ -n "$PF" ] && kill "$PF" 2>/dev/null && wait "$PF" 2>/dev/null
	bench_cleanup
}
trap cleanup EXIT
bench_podnetd -v 1

# The stream pod: a server on its loopback that sends MB MiB to each
# client, then closes; and nine idle pods for the requests/s figure.
{
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: stream
  labels: {app: bench}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: srv
    image: host
    command:
    - python3
    - -c
    - |
      import socket, threading
      s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind(("127.0.0.1", 9000)); s.listen(8)
      block = bytes(1 << 20)
      def serve(c):
          for _ in range($MB):
              c.sendall(block)
          c.close()
      while True:
          threading.Thread(target=serve, args=(s.accept()[0],)).start()
EOF
	for i in $(seq 1 9); do
		cat <<EOF
---
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
EOF
	done
} | kubectl apply -f - >/dev/null
kubectl wait --for=condition=Ready pods -l app=bench --timeout=180s >/dev/null
kubectl exec stream -c srv -- sh -c "head -c $((MB << 20)) /dev/urandom >/tmp/big"

p50() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR - 1) * 0.5) + 1]; else print "nan" }'; }
now() { date +%s%N; }
# mibs T0 T1 BYTES: MiB/s; fails when BYTES is not the whole stream.
mibs() {
	[ "$3" = $((MB << 20)) ] || { echo "bench/api-stream: got $3 bytes, want $((MB << 20))" >&2; return 1; }
	awk -v t0="$1" -v t1="$2" -v mb="$MB" 'BEGIN { printf "%.1f\n", mb / ((t1 - t0) / 1e9) }'
}

kubectl port-forward pod/stream 19000:9000 >"$T/pf.out" 2>&1 &
PF=$!
for _ in $(seq 200); do grep -q '^Forwarding from 127.0.0.1:19000' "$T/pf.out" && break; sleep 0.1; done
fetch() { # the whole stream from the forwarded port; prints its length
	python3 - <<'EOF'
import socket
c = socket.create_connection(("127.0.0.1", 19000), timeout=600)
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
print(n)
EOF
}

: >"$T/pf" ; : >"$T/exec" ; : >"$T/cp"
for _ in $(seq "$ROUNDS"); do
	t0=$(now); n=$(fetch); t1=$(now)
	mibs "$t0" "$t1" "$n" >>"$T/pf"
	t0=$(now); n=$(kubectl exec stream -c srv -- cat /tmp/big | wc -c); t1=$(now)
	mibs "$t0" "$t1" "$n" >>"$T/exec"
	rm -f "$T/big.cp"
	t0=$(now); kubectl cp stream:/tmp/big "$T/big.cp" -c srv >/dev/null 2>&1; t1=$(now)
	mibs "$t0" "$t1" "$(stat -c %s "$T/big.cp")" >>"$T/cp"
done

echo "podnetd streams ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $MB MiB, median of $ROUNDS)"
printf '%-30s %8s MiB/s   (%s)\n' "port-forward (WebSocket)" "$(p50 <"$T/pf")" "$(tr '\n' ' ' <"$T/pf")"
printf '%-30s %8s MiB/s   (%s)\n' "exec -- cat (stdout)" "$(p50 <"$T/exec")" "$(tr '\n' ' ' <"$T/exec")"
printf '%-30s %8s MiB/s   (%s)\n' "cp from the pod" "$(p50 <"$T/cp")" "$(tr '\n' ' ' <"$T/cp")"
kill "$PF" 2>/dev/null; wait "$PF" 2>/dev/null || true
PF=""
printf '%-30s %s\n' "$CLIENTS clients, 10 pods" \
	"$("$ROOT/build/bench/apibench" rps "$API/api/v1/namespaces/default/pods?limit=500" "$T/pki" "$CLIENTS" "$SECS")"
