#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Streams with the real kubectl, in a throwaway node: logs (--tail,
# --timestamps, --since, -f, -c), exec over WebSocket (exit codes, stdin,
# a missing program, -it under a pseudo-terminal with its size),
# attach and cp (port-forward: api-portforward.sh).
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod talk --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: talk
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: counter
    image: host
    command: ["sh", "-c", "for i in 1 2 3; do echo line $i; done; while :; do sleep 0.3; echo tick; done"]
  - name: quiet
    image: host
    command: ["sleep", "infinity"]
EOF
t_ok "the pod is Ready" k wait --for=condition=Ready pod/talk --timeout=120s
# Its first lines are in the log once the shim has relayed them.
for _ in $(seq 1 600); do k logs talk -c counter 2>/dev/null | grep -qx 'line 3' && break; sleep 0.2; done

# logs
t_is "$(k logs talk -c counter | head -3)" "$(printf 'line 1\nline 2\nline 3')" "logs -c counter"
t_is "$(k logs talk -c counter --tail=1 | wc -l)" "1" "--tail=1: one line"
t_match "$(k logs talk -c counter --timestamps | head -1)" \
	"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z line 1$" "--timestamps: RFC 3339 with nanoseconds"
t_is "$(k logs talk --since=1h -c counter | head -1)" "line 1" "--since=1h"
# until_ticks FILE N: wait (120 s at most) for N lines of "tick" in FILE.
until_ticks() { for _ in $(seq 1 1200); do [ "$(grep -c tick "$1")" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }
kubectl logs -f talk -c counter --tail=0 >"$T/follow.out" 2>&1 &
follow=$!
_bg_pids+=("$follow")
t_ok "logs -f streams new lines as they come (3 ticks)" until_ticks "$T/follow.out" 3
t_ok "and keeps following" kill -0 "$follow"
t_is "$(grep -c 'line ' "$T/follow.out")" "0" "--tail=0: nothing from before"
kill "$follow"
t_match "$(k logs talk 2>&1)" 'Defaulted container "counter" out of: counter, quiet' "the default container named"

# exec
k exec talk -c quiet -- sh -c 'exit 7' 2>"$T/err"
t_is "$?" "7" "exec -- sh -c 'exit 7' exits 7"
t_is "$(cat "$T/err")" "command terminated with exit code 7" "and says so as kubectl does"
t_is "$(echo hello | k exec -i talk -c quiet -- cat)" "hello" "exec -i: stdin reaches the process, EOF ends it"
t_is "$(k exec talk -c quiet -- sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)" "err" "stderr on its own stream"
k exec talk -c quiet -- no-such-program >/dev/null 2>"$T/err"
t_is "$?" "127" "a missing program: 127"
t_match "$(cat "$T/err")" "no-such-program" "and the runtime's reason"
# -it under a pseudo-terminal of 33x101: the process has a tty of that size.
out=$(TERM=xterm COLUMNS=101 LINES=33 script -qec "stty rows 33 cols 101; kubectl exec -it talk -c quiet -- sh -c 'tty; stty size; exit 3'" /dev/null)
rc=$?
t_match "$out" "/dev/pts/[0-9]+" "exec -it: the process has a terminal"
t_match "$out" "33 101" "of the client's size"
t_is "$rc" "3" "exec -it: its exit code"

# cp (exec + tar both ways)
echo "copied" >"$T/in.txt"
t_ok "cp to the pod" k cp "$T/in.txt" talk:/tmp/in.txt -c quiet
t_is "$(k exec talk -c quiet -- cat /tmp/in.txt)" "copied" "the file arrived"
t_ok "cp from the pod" k cp talk:/tmp/in.txt "$T/back.txt" -c quiet
t_is "$(cat "$T/back.txt")" "copied" "and came back"
# Bulk streams, byte-identical (no bound in time: at libmicrohttpd 0.9.75's
# TLS relay, 0.3 MiB/s, 16 MiB took a minute each).
k exec talk -c quiet -- sh -c 'head -c 16777216 /dev/urandom >/tmp/big'
big_sum=$(k exec talk -c quiet -- sha256sum /tmp/big | cut -d' ' -f1)
t_is "$(k exec talk -c quiet -- cat /tmp/big | sha256sum | cut -d' ' -f1)" "$big_sum" \
	"exec -- cat of 16 MiB: stdout byte-identical"
k exec talk -c quiet -- cat /tmp/big >"$T/big"
t_is "$(k exec -i talk -c quiet -- sh -c 'cat >/tmp/big.in; sha256sum </tmp/big.in' <"$T/big" | cut -d' ' -f1)" "$big_sum" \
	"exec -i with 16 MiB on stdin: byte-identical"
t_ok "cp of 16 MiB from the pod" k cp talk:/tmp/big "$T/big.cp" -c quiet
t_is "$(sha256sum <"$T/big.cp" | cut -d' ' -f1)" "$big_sum" "and it is byte-identical"
k exec talk -c quiet -- rm -f /tmp/big /tmp/big.in

fds() { ls "/proc/$PODNETD_PID/fd" | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$PODNETD_PID/status"; }
fds0=$(fds)
threads0=$(threads)

# attach: the container's output.
kubectl attach talk -c counter >"$T/attach.out" 2>&1 &
attach=$!
_bg_pids+=("$attach")
t_ok "attach streams the container's output" until_ticks "$T/attach.out" 2
kill "$attach"

# A kubectl killed mid-exec: the session ends, its process too, and
# podnetd holds nothing more than before (TLS hides the client's hang-up
# from the upgraded socket: the session watches the client's socket).
kubectl exec talk -c quiet -- sh -c 'echo started; exec sleep 97' >"$T/exec.out" 2>&1 &
execpid=$!
_bg_pids+=("$execpid")
for _ in $(seq 1 300); do grep -q started "$T/exec.out" && break; sleep 0.1; done
t_ok "exec runs sleep 97 in the container" pgrep -f "^sleep 97$"
kill "$execpid"
for _ in $(seq 1 100); do [ "$(fds)" = "$fds0" ] && [ "$(threads)" = "$threads0" ] && break; sleep 0.1; done
t_is "$(fds)" "$fds0" "kubectl exec and attach killed: podnetd's fds back to $fds0"
t_is "$(threads)" "$threads0" "and its threads to $threads0"
for _ in $(seq 1 50); do pgrep -f "^sleep 97$" >/dev/null || break; sleep 0.1; done
t_notok "the exec'd process is gone" pgrep -f "^sleep 97$"
t_done
