#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podnet-shim + podnet-pause + the OCI runtime, end to end, in a throwaway
# node.  Two pods, each an `ip netns` namespace; every container's rootfs is
# an overlay of the node's root (the built-in "host" image), so sleep, sh,
# curl and nginx exist inside.
#
#   pod A  (netns cni-A, grace 2 s)        pod B  (netns cni-B, grace 0)
#   ┌──────────────────────────────┐       ┌───────────────────────────┐
#   │ pause   holds net, ipc, uts  │       │ pause                     │
#   │ c1 sleep   ─┐                │       │ crash  exit 1  OnFailure  │
#   │ c2 sleep   ─┼─ one localhost │       │ fail   exit 1  Never      │
#   │ c3 nginx:80─┘                │       │ done   exit 0  Never      │
#   └──────────────────────────────┘       └───────────────────────────┘
#
# Checks: one netns inode for pause, c1, c2, c3; c1 → localhost:80 answered
# by c3's nginx (through the runtime's exec); exec exit codes and the
# runtime's message for a missing executable; CRI-format logs with F and P
# lines; restartPolicy; SIGTERM stops everything and leaves nothing.
#
# Binaries: $PODNET_BIN (podnet-shim, podnet-pause), $PODNET_TEST_OCI (the
# test_oci exec driver; default build/tests/test_oci).
. "$(dirname "$0")/lib.sh"
node_enter "$@"

SHIM=$BIN/podnet-shim
PAUSE=$BIN/podnet-pause
OCI_DRIVER=${PODNET_TEST_OCI:-$ROOT/build/tests/test_oci}
RUNC=$(command -v runc || echo /usr/sbin/runc)
export PODNET_ROOT=/var/lib/podnet
RTROOT=$PODNET_ROOT/runtime
# make builds the shim, the pause and the driver (make unit); runc and
# nginx come from scripts/install-deps.sh.  Missing, they fail the test.
for f in "$SHIM" "$PAUSE" "$OCI_DRIVER" "$RUNC"; do
	[ -x "$f" ] || { t_fail "$f missing (make all unit; scripts/install-deps.sh)"; t_done; exit 1; }
done
command -v nginx >/dev/null || { t_fail "nginx missing (scripts/install-deps.sh)"; t_done; exit 1; }

hex64() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
now_ms() { date +%s%3N; }
# until_ok SECONDS CMD...: retry CMD every 50 ms for at most SECONDS.
until_ok() {
	local end=$(($(now_ms) + $1 * 1000)); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.05
	done
}
ino() { stat -L -c %i "$1"; }
st() { jq -r "$2" "$POD_DIR/containers/$1/status.json" 2>/dev/null; }
rexec() { "$RUNC" --root "$RTROOT" exec "$@"; }

# overlay ID: a private copy-on-write view of / as the container's rootfs.
overlay() {
	local d=$T/ovl/$1
	mkdir -p "$d/upper" "$d/work" "$d/rootfs"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/rootfs" &&
		echo "$d/rootfs"
}

# make_pod NAME GRACE CONTAINERS-JSON-LINES...: writes $PODS/NAME/plan.json.
# Each container line: ID|NAME|RESTART|ARGS-JSON
make_pod() {
	local name=$1 grace=$2; shift 2
	local uid ns dir ctrs="" sep="" line id cname rp args rootfs
	uid=$(cat /proc/sys/kernel/random/uuid)
	ns=cni-$uid
	ip netns add "$ns" && ip -n "$ns" link set lo up
	dir=$PODNET_ROOT/pods/$uid
	mkdir -p "$dir"
	for line in "$@"; do
		IFS='|' read -r id cname rp args <<<"$line"
		rootfs=$(overlay "$id") || return 1
		ctrs+="$sep{\"id\":\"$id\",\"name\":\"$cname\",\"rootfs\":\"$rootfs\",\"args\":$args,"
		ctrs+="\"restartPolicy\":\"$rp\",\"unmountRootfs\":true,\"env\":[\"POD=$name\"]}"
		sep=,
	done
	cat >"$dir/plan.json" <<-EOF
	{"podUID":"$uid","podName":"$name","namespace":"default","sandboxID":"$(hex64)",
	 "hostname":"$name","netns":"/run/netns/$ns","podIP":"10.88.0.2",
	 "terminationGracePeriodSeconds":$grace,"pause":{"binary":"$PAUSE"},
	 "containers":[$ctrs]}
	EOF
	echo "$dir"
}

C1=$(hex64) C2=$(hex64) C3=$(hex64)
# Debian's nginx.conf already sets "pid /run/nginx.pid" and nginx refuses a
# second pid directive from -g; the overlay's /run is private and writable.
NGINX='["nginx","-g","daemon off; error_log stderr;"]'
C1_ARGS='["sh","-c","echo hello from c1; echo warning from c1 >&2; exec sleep infinity"]'
# A 20000-byte line: one 16384-byte P chunk, then the rest as F.
C2_ARGS='["sh","-c","head -c 20000 /dev/zero | tr \"\\\\0\" a; echo; exec sleep infinity"]'
POD_DIR=$(make_pod pod-a 2 "$C1|c1|Always|$C1_ARGS" "$C2|c2|Always|$C2_ARGS" "$C3|c3|Always|$NGINX")
PLAN_A=$POD_DIR
NS_A=/run/netns/$(jq -r '"cni-" + .podUID' "$POD_DIR/plan.json")

# ---- start pod A: the shim returns once everything was started
t0=$(now_ms)
out=$("$SHIM" --pod-dir "$POD_DIR" --runtime "$RUNC" 2>&1)
rc=$?
t_is "$rc" 0 "shim started pod A, returned after $(($(now_ms) - t0)) ms ($out)"
SHIM_A=$(jq -r .pid "$POD_DIR/shim.json")
on_cleanup "kill $SHIM_A"
all_running() {
	local c
	for c in "$@"; do [ "$(st "$c" .state)" = running ] || return 1; done
}
until_ok 10 all_running "$C1" "$C2" "$C3"
t_ok "c1, c2, c3 running (shim start to all running: $(($(now_ms) - t0)) ms, startupMs $(jq .startupMs "$POD_DIR/shim.json"))" \
	all_running "$C1" "$C2" "$C3"
t_is "$(jq -r '.state + " " + (.ready|tostring)' "$POD_DIR/shim.json")" "running true" "shim.json: running, ready"
t_match "$("$SHIM" --pod-dir "$POD_DIR" --runtime "$RUNC" 2>&1)" "already runs this pod" "a second shim for the pod is refused"

# ---- one network namespace
PAUSE_PID=$(jq -r .pausePid "$POD_DIR/shim.json")
want=$(ino "$NS_A")
for c in "$C1" "$C2" "$C3"; do
	pid=$(st "$c" .pid)
	t_is "$(ino /proc/"$pid"/ns/net)" "$want" "$(st "$c" .name): netns inode is the pod's ($want)"
	t_is "$(ino /proc/"$pid"/ns/uts)" "$(ino /proc/"$PAUSE_PID"/ns/uts)" "$(st "$c" .name): uts of the pause"
done
t_is "$(ino /proc/"$PAUSE_PID"/ns/net)" "$want" "pause holds the pod netns"
t_is "$(ino /proc/"$(st "$C1" .pid)"/ns/ipc)" "$(ino /proc/"$PAUSE_PID"/ns/ipc)" "c1 shares the pause's ipc namespace"
pidns1=$(ino /proc/"$(st "$C1" .pid)"/ns/pid) pidns2=$(ino /proc/"$(st "$C2" .pid)"/ns/pid)
t_ok "c1 and c2 have their own pid namespaces ($pidns1, $pidns2)" test -n "$pidns1" -a -n "$pidns2" -a "$pidns1" != "$pidns2"
t_is "$(rexec "$C1" hostname)" "pod-a" "hostname inside is the pod's"
t_match "$(rexec "$C1" cat /etc/hosts)" $'10\\.88\\.0\\.2\tpod-a' "/etc/hosts names the pod"

# ---- localhost across containers, through exec
web() { rexec "$C1" curl -sS --max-time 2 http://localhost:80/ | grep -q 'Welcome to nginx'; }
until_ok 10 web
t_match "$(rexec "$C1" curl -sS --max-time 2 http://localhost:80/)" "Welcome to nginx" \
	"c1: curl localhost:80 answered by c3's nginx"

# ---- exec: exit codes and messages, through the library (oci_exec)
X() { "$OCI_DRIVER" exec "$RUNC" "$RTROOT" "$@"; }
X "$C2" sh -c 'exit 7' >/dev/null 2>&1
t_is "$?" 7 "exec: exit code 7 propagated"
X "$C2" true
t_is "$?" 0 "exec: exit code 0"
msg=$(X "$C2" nosuchcmd 2>&1)
rc=$?
t_match "$msg" 'exec: "nosuchcmd": executable file not found in \$PATH' "exec: missing executable: runtime's message"
t_is "$rc" 127 "exec: missing executable exits 127"
t_is "$(printf '%s\n' "$msg" | wc -l)" 1 "exec: the message is printed once, by the runtime"
t_match "$(X "$C2" sh -c 'echo $POD:$HOSTNAME')" "^pod-a:pod-a$" "exec sees the container's env"

# ---- logs
L1=$(st "$C1" .logPath)
until_ok 5 grep -q "hello from c1" "$L1"
t_match "$(grep 'hello from c1' "$L1")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z stdout F hello from c1$' \
	"c1 stdout in CRI format"
t_match "$(grep 'warning from c1' "$L1")" 'Z stderr F warning from c1$' "c1 stderr in CRI format"
L2=$(st "$C2" .logPath)
until_ok 5 grep -q ' F a' "$L2"
t_is "$(awk '$3 == "P" { print length($4) }' "$L2")" 16384 "c2: a 16 KiB chunk of a long line is P"
t_is "$(awk '$3 == "F" { print length($4) }' "$L2")" 3616 "c2: its rest is F"

# ---- pod B: restart policies
CR=$(hex64) FA=$(hex64) NX=$(hex64) DO=$(hex64) SL=$(hex64)
# nox cannot start (runtime error) while the runtimes of the others run
# at the same time: it alone is StartError.
POD_DIR=$(make_pod pod-b 0 "$CR|crash|OnFailure|[\"sh\",\"-c\",\"echo attempt; exit 1\"]" \
	"$FA|fail|Never|[\"sh\",\"-c\",\"exit 1\"]" "$NX|nox|Never|[\"/no/such/binary\"]" \
	"$DO|done|Never|[\"true\"]" "$SL|sleeper|Always|[\"sleep\",\"infinity\"]")
PLAN_B=$POD_DIR
# shareProcessNamespace: the pause is PID 1 of one pid namespace for all.
jq '.shareProcessNamespace = true' "$POD_DIR/plan.json" >"$T/plan" && cp "$T/plan" "$POD_DIR/plan.json"
"$SHIM" --pod-dir "$POD_DIR" --runtime "$RUNC" >/dev/null 2>&1
t_is "$?" 0 "shim started pod B"
SHIM_B=$(jq -r .pid "$POD_DIR/shim.json")
on_cleanup "kill $SHIM_B"
backoff() { [ "$(st "$CR" .reason)" = CrashLoopBackOff ]; }
until_ok 10 backoff
t_is "$(st "$CR" '.state + " " + .reason')" "waiting CrashLoopBackOff" "OnFailure, exit 1: restarted once, then CrashLoopBackOff"
t_is "$(st "$CR" .restartCount)" 1 "restartCount 1 (the first restart is immediate)"
t_is "$(st "$CR" '(.lastState.exitCode|tostring) + " " + .lastState.reason')" "1 Error" "lastState: exit 1, Error"
t_match "$(st "$CR" .message)" "back-off 10s restarting failed container=crash pod=pod-b_default" "back-off message as kubelet's"
t_ok "previous attempt's log kept" grep -q 'stdout F attempt' "$(st "$CR" .previousLogPath)"
exited() { [ "$(st "$1" .state)" = exited ]; }
until_ok 5 exited "$FA"
t_is "$(st "$FA" '.state + " " + (.exitCode|tostring) + " " + .reason + " " + (.restartCount|tostring)')" "exited 1 Error 0" \
	"Never, exit 1: exited, Error, not restarted"
t_is "$(st "$NX" '.state + " " + (.exitCode|tostring) + " " + .reason + " " + (.restartCount|tostring)')" \
	"exited 128 StartError 0" "Never, missing executable: exited 128, StartError, not restarted"
t_match "$(st "$NX" .message)" "/no/such/binary" "StartError: the runtime's message names the executable"
t_ok "StartError: the reason is in the container's log" grep -q 'stderr F .*/no/such/binary' "$(st "$NX" .logPath)"
t_is "$(jq -r '.state + " " + (.ready|tostring)' "$POD_DIR/shim.json")" "running true" \
	"pod B up despite the StartError"
t_ok "shim.log: pod B's 5 containers started concurrently (oci_window() at a time)" grep -Eq 'starting 5 containers, [0-9]+ at a time' "$POD_DIR/shim.log"
until_ok 5 exited "$DO"
t_is "$(st "$DO" '.state + " " + (.exitCode|tostring) + " " + .reason')" "exited 0 Completed" "Never, exit 0: Completed"
t_is "$(ino /proc/"$(st "$SL" .pid)"/ns/pid)" "$(ino /proc/"$(jq -r .pausePid "$POD_DIR/shim.json")"/ns/pid)" \
	"shareProcessNamespace: the container is in the pause's pid namespace"
t_is "$(rexec "$SL" cat /proc/1/cmdline | tr '\0' ' ')" "/pause " "shareProcessNamespace: PID 1 is the pause"

# ---- the pause alone: silent, exits 128+SIGTERM
"$PAUSE" >"$T/pause.out" 2>&1 &
pp=$!
sleep 0.1
kill -TERM "$pp"
wait "$pp"
t_is "$?" 143 "podnet-pause exits 143 on SIGTERM"
t_is "$(wc -c <"$T/pause.out")" 0 "podnet-pause prints nothing"

# ---- SIGTERM stops everything
POD_DIR=$PLAN_A
uid_a=$(jq -r .podUID "$PLAN_A/plan.json")
# pod<uid> under the runtime's own cgroup, in each hierarchy.
pod_cgroups() { find /sys/fs/cgroup -maxdepth 8 -type d -name "pod$uid_a" 2>/dev/null | wc -l; }
t_ok "pod A has its cgroups while it runs ($(pod_cgroups))" test "$(pod_cgroups)" -ge 1
pids_a="$(jq -r .pausePid "$PLAN_A/shim.json") $(st "$C1" .pid) $(st "$C2" .pid) $(st "$C3" .pid)"
pids_b="$(jq -r .pausePid "$PLAN_B/shim.json") $(jq -r .pid "$PLAN_B/containers/$SL/status.json")"
# Gone: no such process, or a zombie its (foreign) reaper has not reaped yet.
gone() { [ "$1" -gt 0 ] && { [ ! -e "/proc/$1" ] || grep -q '^State:.Z' "/proc/$1/status" 2>/dev/null; }; }
all_gone() { local p; for p in "$@"; do gone "$p" || return 1; done; }
t1=$(now_ms)
kill -TERM "$SHIM_A" "$SHIM_B"
until_ok 15 all_gone "$SHIM_A" "$SHIM_B"
t_ok "both shims exited after SIGTERM ($(($(now_ms) - t1)) ms; pod A's sleeps need the 2 s grace)" all_gone "$SHIM_A" "$SHIM_B"
t_ok "no container or pause process left" all_gone $pids_a $pids_b
t_is "$(jq -r .state "$PLAN_A/shim.json") $(jq -r .state "$PLAN_B/shim.json")" "stopped stopped" "shim.json: stopped"
POD_DIR=$PLAN_A
t_is "$(st "$C3" '.state + " " + (.exitCode|tostring)')" "exited 0" "nginx exited 0 on SIGTERM"
t_is "$(st "$C1" '.exitCode|tostring')" 137 "sleep (PID 1 ignores SIGTERM) killed after the grace period"
t_is "$(count "$RUNC" --root "$RTROOT" list -q)" 0 "runtime state is empty"
t_is "$(grep -c " $T/ovl/" /proc/self/mounts)" 0 "overlay rootfs unmounted"
t_is "$(pod_cgroups)" 0 "pod cgroups removed"
t_match "$(grep -c 'grace period over: SIGKILL' "$PLAN_A/shim.log")" "^2$" "shim.log: the two sleeps needed SIGKILL"
sed 's/^/# pod A shim.log: /' "$PLAN_A/shim.log"
# PODNET_TEST_KEEP=DIR keeps the shims' logs (ASan reports land there).
[ -n "${PODNET_TEST_KEEP:-}" ] && cp "$PLAN_A/shim.log" "$PODNET_TEST_KEEP/shim-a.log" && cp "$PLAN_B/shim.log" "$PODNET_TEST_KEEP/shim-b.log"

t_done
