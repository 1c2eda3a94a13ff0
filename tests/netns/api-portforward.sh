#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kubectl port-forward against podnetd, in a throwaway node:
#
#   curl -> 127.0.0.1:18080 -> kubectl ==SPDY/3.1 in a WebSocket==> podnetd
#        (the node's loopback)                  (or the SPDY upgrade) |
#                                                       setns, connect 127.0.0.1:80
#                                                       in the pod's netns -> nginx
#
# Checks nginx's page through the forward, two connections at once, 4 MiB
# echoed back intact by a server bound to the pod's loopback only (both
# directions and the half-close), the SPDY/3.1 upgrade kubectl falls back
# to, a port with nothing listening (kubelet's message on the error
# stream), and that podnetd holds no fd or thread more once kubectl is gone.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod web --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: nginx
    image: host
    command: ["nginx", "-g", "daemon off; error_log stderr;"]
  - name: echo
    image: host
    command:
    - python3
    - -c
    - |
      import socket, threading
      s = socket.socket()
      s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      s.bind(("127.0.0.1", 9000))
      s.listen(8)
      def echo(c):
          while True:
              d = c.recv(65536)
              if not d:
                  break
              c.sendall(d)
          c.close()
      while True:
          threading.Thread(target=echo, args=(s.accept()[0],)).start()
EOF
t_ok "the pod is Ready" k wait --for=condition=Ready pod/web --timeout=120s
for _ in $(seq 1 200); do k exec web -c nginx -- sh -c 'ss -Hltn | grep -q ":9000 "' && break; sleep 0.1; done

fds() { ls "/proc/$PODNETD_PID/fd" | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$PODNETD_PID/status"; }
fds0=$(fds)
threads0=$(threads)

# forward NAME ARGS...: start `kubectl port-forward ARGS` in the background
# (with $PF_ENV in its environment; its PID in $pf_pid, its output in
# $T/NAME.out, .err) and wait (bounded) for its "Forwarding from" line.
PF_ENV=
forward() {
	local name=$1 i
	shift
	env $PF_ENV kubectl port-forward "$@" >"$T/$name.out" 2>"$T/$name.err" &
	pf_pid=$!
	_bg_pids+=("$pf_pid")
	for i in $(seq 1 600); do
		grep -q "^Forwarding from 127.0.0.1:" "$T/$name.out" && return 0
		kill -0 "$pf_pid" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$T/$name.err"
	return 1
}
# echo_check PORT [MIB]: MIB (4) MiB of random bytes through PORT, sent then
# half-closed; prints "same N" when every byte came back in order.
echo_check() {
	python3 - "$1" "${2:-4}" <<'EOF'
import hashlib, os, socket, sys, threading
data = os.urandom(int(sys.argv[2]) << 20)
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120)
def send():
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    got += d
t.join()
print("same" if hashlib.sha256(got).digest() == hashlib.sha256(data).digest() else "differ", len(got))
EOF
}

# The WebSocket tunnel (kubectl 1.30+'s first choice).
t_ok "kubectl port-forward pod/web 18080:80 19000:9000 listens" forward ws pod/web 18080:80 19000:9000
ws_pid=$pf_pid
t_match "$(cat "$T/ws.out")" "Forwarding from 127.0.0.1:18080 -> 80" "it says so as kubectl does"
t_is "$(grep -c 'pods/web/portforward: ' "$T/podnetd.log")" "1" "one upgrade asked for"
t_match "$(grep 'pods/web/portforward: ' "$T/podnetd.log")" "GET /api/v1/namespaces/default/pods/web/portforward: 101 " \
	"a WebSocket (GET), switched at once: no fallback"
t_match "$(curl -sS --max-time 20 http://127.0.0.1:18080/)" "Welcome to nginx" \
	"curl 127.0.0.1:18080: nginx's page from inside the pod"
curl -sS --max-time 20 -o "$T/c1" http://127.0.0.1:18080/ &
c1=$!
curl -sS --max-time 20 -o "$T/c2" http://127.0.0.1:18080/ &
c2=$!
wait $c1 $c2
t_ok "two connections at once: both get the page" \
	eval 'grep -q "Welcome to nginx" "$T/c1" && grep -q "Welcome to nginx" "$T/c2"'
t_is "$(echo_check 19000)" "same 4194304" "4 MiB echoed intact by a server on the pod's 127.0.0.1 only"
# Throughput, without a bound in time: at libmicrohttpd 0.9.75's TLS relay
# (0.5 MiB/s) this took a minute; through podnetd's TLS front, well under a second.
t_is "$(echo_check 19000 16)" "same 16777216" "16 MiB both ways at once, byte-identical"
t_match "$(grep -c '^Handling connection for' "$T/ws.out")" "^[4-9]$" "kubectl handled each connection"

# The SPDY/3.1 upgrade, which kubectl falls back to (forced here).
PF_ENV=KUBECTL_PORT_FORWARD_WEBSOCKETS=false
t_ok "KUBECTL_PORT_FORWARD_WEBSOCKETS=false: port-forward over the SPDY upgrade" \
	forward spdy pod/web 18082:80
spdy_pid=$pf_pid
PF_ENV=
t_match "$(grep 'pods/web/portforward: ' "$T/podnetd.log" | tail -1)" "POST /api/v1/namespaces/default/pods/web/portforward: 101 " \
	"the SPDY upgrade is a POST, switched"
t_match "$(curl -sS --max-time 20 http://127.0.0.1:18082/)" "Welcome to nginx" "curl through the SPDY upgrade"
t_is "$(echo_check 19000)" "same 4194304" "and the WebSocket forward still echoes meanwhile"

# Nothing listens on 81: kubelet's message on the error stream.  kubectl
# 1.32 prints it, then ends the whole forward (client-go's
# handleConnection closes the connection on any error-stream message) with
# "lost connection to pod".
t_ok "port-forward 18081:81 listens" forward bad pod/web 18081:81
bad_pid=$pf_pid
out=$(curl -sS --max-time 20 http://127.0.0.1:18081/ 2>&1)
t_match "$out" "Empty reply from server|Connection reset|Recv failure" "curl 127.0.0.1:18081: the connection ends"
for _ in $(seq 1 100); do kill -0 "$bad_pid" 2>/dev/null || break; sleep 0.1; done
wait "$bad_pid"
t_is "$?" "1" "kubectl port-forward exits 1"
t_match "$(cat "$T/bad.err")" \
	'an error occurred forwarding 18081 -> 81: error forwarding port 81 to pod [0-9a-f]{64}, uid : failed to connect to localhost:81 inside namespace \\"/run/netns/cni-[-0-9a-f]+\\", IPv4: dial tcp4 127.0.0.1:81: connect: Connection refused IPv6 dial tcp6 \[::1\]:81: connect: Connection refused' \
	"kubectl prints why: nothing listens on 81 in the pod"
t_match "$(tail -1 "$T/bad.err")" "^error: lost connection to pod$" "and ends as it does against kubelet"
t_match "$(curl -sS --max-time 20 http://127.0.0.1:18080/)" "Welcome to nginx" \
	"the other forwards are not disturbed"

# kubectl killed: podnetd is back to the fds and threads it had before
# (TLS hides the client's hang-up from the upgraded socket: the session
# must notice it on its own).
kill "$ws_pid" "$spdy_pid" 2>/dev/null
wait "$ws_pid" "$spdy_pid" 2>/dev/null
for _ in $(seq 1 100); do [ "$(fds)" = "$fds0" ] && [ "$(threads)" = "$threads0" ] && break; sleep 0.1; done
t_is "$(fds)" "$fds0" "podnetd's open fds are back to $fds0"
t_is "$(threads)" "$threads0" "and its threads to $threads0"
t_is "$(curl -sS --max-time 5 http://127.0.0.1:18080/ 2>&1 | grep -c nginx)" "0" "the local port is closed"
t_done
