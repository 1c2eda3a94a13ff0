# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the integration tests.  Each test runs in its own
# throwaway node: private mount and network namespaces (unshare), tmpfs over
# /run and /var/lib so /run/netns, /var/lib/cni and /var/lib/podnet are its
# own, and nothing it makes outlives it.  Pods are `ip netns add` namespaces
# inside the node, joined to the node's bridge by the plugin under test.
#
# Usage, at the top of a test:
#   . "$(dirname "$0")/lib.sh"
#   node_enter "$@"
# then TAP assertions (t_ok, t_notok, t_is, t_match, t_empty; count and
# leases for numbers read back), and t_done last.  wait_for SECONDS CMD...
# waits for a state instead of sleeping; a test that runs pods with the CLI
# ($P, containers that sleep $MARK) checks with leftovers = $NO_LEFTOVERS
# that they left nothing behind.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${PODNET_BIN:-$ROOT/build/bin}
REF_CNI=${REF_CNI:-/usr/lib/cni}

node_enter() {
	if [ -z "${PODNET_TEST_NODE:-}" ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "ok 1 # SKIP integration tests need root"
			echo "1..1"
			exit 0
		fi
		PODNET_TEST_NODE=1 exec unshare --mount --net --propagation private -- bash "$0" "$@"
	fi
	mount -t tmpfs -o mode=0755 podnet-test-run /run || exit 1
	mount -t tmpfs -o mode=0755 podnet-test-varlib /var/lib || exit 1
	mkdir -p /run/netns /var/lib/cni /var/lib/podnet
	ip link set lo up
	T=$(mktemp -d /tmp/podnet-test.XXXXXX)
	export CNI_PATH=$BIN:$REF_CNI
	# A test that is stopped (tests/run.sh's timeout sends TERM, a
	# terminal INT, a closed session HUP) cleans up as one that ends:
	# bash runs no EXIT trap when a signal kills it, and the pods' shims,
	# in sessions of their own, would outlive the test with their netns.
	trap node_cleanup EXIT
	trap 'node_on_signal 1' HUP
	trap 'node_on_signal 2' INT
	trap 'node_on_signal 15' TERM
}

_bg_pids=()
_cleanups=()
# bg CMD...: start a background process and kill it at cleanup (by PID).
bg() {
	"$@" &
	_bg_pids+=($!)
}
# on_cleanup CMD: run CMD (a string) at cleanup, in reverse order.
on_cleanup() { _cleanups+=("$1"); }

# Cleanup runs once, whatever asks for it first (the EXIT trap, a signal,
# or a second signal while it runs).
_cleaned=0
node_cleanup() {
	local rc=$?
	_node_cleanup_once
	exit $rc
}
# node_on_signal N: clean up, then exit 128+N as if killed by signal N.
node_on_signal() {
	_node_cleanup_once
	trap - EXIT
	exit $((128 + $1))
}
_node_cleanup_once() {
	local i
	[ "$_cleaned" = 1 ] && return 0
	_cleaned=1
	# Further signals are noted, not obeyed, until cleanup is done ('' would
	# be inherited by the commands cleanup runs, ':' is not).
	trap : HUP INT TERM
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1
	done
	for p in "${_bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# Namespace pins live on the node's tmpfs /run and vanish with it; the
	# node's own netns dies with its last process.
	rm -rf "$T"
}

_t_n=0
_t_failed=0
t_pass() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $*"; }
t_fail() { _t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1)); echo "not ok $_t_n - $*"; }
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n # SKIP $*"; }
# t_ok DESC CMD...: pass if CMD succeeds.
t_ok() {
	local d=$1; shift
	if "$@" >"$T/t_out" 2>&1; then t_pass "$d"; else t_fail "$d"; sed 's/^/#   /' "$T/t_out" | head -20; fi
}
# t_notok DESC CMD...: pass if CMD fails.
t_notok() {
	local d=$1; shift
	if "$@" >"$T/t_out" 2>&1; then t_fail "$d"; sed 's/^/#   /' "$T/t_out" | head -20; else t_pass "$d"; fi
}
# t_is GOT WANT DESC: GOT equals WANT.  WANT may not be empty: a command
# that failed reads as "" too, so "" = "" would pass whatever broke (use
# t_empty for "prints nothing").
t_is() {
	if [ -z "$2" ]; then
		t_fail "$3"; echo "#   want is empty: that cannot fail (use t_empty)"
	elif [ "$1" = "$2" ]; then
		t_pass "$3"
	else
		t_fail "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"
	fi
}
# t_match STRING REGEX DESC: STRING matches REGEX.  A REGEX that matches the
# empty string matches every string, so it is refused.
t_match() {
	if [[ "" =~ $2 ]]; then
		t_fail "$3"; echo "#   /$2/ matches the empty string: that cannot fail"
	elif [[ "$1" =~ $2 ]]; then
		t_pass "$3"
	else
		t_fail "$3"; echo "#   '$1'"; echo "#   does not match /$2/"
	fi
}
# t_empty DESC CMD...: CMD succeeds and prints nothing on stdout.
t_empty() {
	local d=$1 rc; shift
	"$@" >"$T/t_out" 2>"$T/t_err"; rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$T/t_out" ]; then
		t_pass "$d"
	else
		t_fail "$d"; echo "#   exit $rc"; cat "$T/t_out" "$T/t_err" | head -20 | sed 's/^/#   /'
	fi
}
# t_gone DESC [-n NETNS] DEV: ip says link DEV does not exist (in NETNS).
# Any other failure (no such netns, an empty DEV) is not "gone".
t_gone() {
	local d=$1 ns=() out; shift
	if [ "$1" = -n ]; then ns=(-n "$2"); shift 2; fi
	out=$(ip "${ns[@]}" link show dev "$1" 2>&1)
	if [ -n "$1" ] && [ "$out" = "Device \"$1\" does not exist." ]; then
		t_pass "$d"
	else
		t_fail "$d"; echo "#   ip ${ns[*]} link show dev '$1': $out"
	fi
}
# count [-m ERE] CMD...: the number of lines CMD prints (those matching
# ERE).  When CMD fails it says so instead of a number, so a broken command
# never reads as "0 links" or "0 leases".
count() {
	local re=. out rc
	if [ "$1" = -m ]; then re=$2; shift 2; fi
	out=$("$@" 2>"$T/count.err"); rc=$?
	if [ $rc -ne 0 ]; then
		echo "($* failed, exit $rc: $(head -c 200 "$T/count.err"))"
		return 1
	fi
	printf '%s' "$out" | grep -cE -- "$re"
}
# pid_gone PID: PID is a process ID and no such process exists (an empty or
# garbled PID is not "gone").
pid_gone() { [[ $1 =~ ^[1-9][0-9]*$ ]] && ! kill -0 "$1" 2>/dev/null; }
# rc_out CMD...: "EXIT:OUTPUT" of CMD (stdout and stderr), to match both.
rc_out() { local out; out=$("$@" 2>&1); echo "$?:$out"; }
# wait_for SECONDS CMD...: poll CMD (its output dropped) every 0.1 s until it
# succeeds; fails if it has not within SECONDS.  Be generous: a loaded
# machine is slow, and a wait that succeeds costs only its own time.
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# leases NET [DIR]: how many leases the store DIR/NET holds (default DIR
# /var/lib/cni/networks); an error, not 0, when the store does not exist.
leases() { count -m '^([0-9]+\.){3}[0-9]+$|:' ls -1 "${2:-/var/lib/cni/networks}/$1"; }
# leftovers: what pods left on the node, one count a kind: $NO_LEFTOVERS
# when nothing.  Counts the processes that run `sleep $MARK` (the node
# shares the machine's PID namespace: only the test's own are counted) and
# asks $P for the pods.
leftovers() {
	echo "pods=$(count $P get pods -A --no-headers) netns=$(count ip netns list)" \
		"dirs=$(count ls -A /var/lib/podnet/pods) cache=$(count ls -A /var/lib/cni/results)" \
		"leases=$(leases podnet)" \
		"procs=$(pgrep -c -f -x "sleep $MARK") mounts=$(grep -c ' /var/lib/podnet/' /proc/self/mountinfo)"
}
NO_LEFTOVERS="pods=0 netns=0 dirs=0 cache=0 leases=0 procs=0 mounts=0"
t_done() {
	echo "1..$_t_n"
	[ $_t_failed -eq 0 ]
}

# cni PLUGIN CMD CONTAINERID NETNS IFNAME CONFFILE [CNI_ARGS]:
# run a CNI plugin; stdout in $T/out, stderr in $T/err, exit code in $CNI_RC.
cni() {
	local plugin=$1 cmd=$2 id=$3 ns=$4 ifn=$5 conf=$6 args=${7:-}
	local exe=$plugin
	[ -x "$exe" ] || exe=$BIN/$plugin
	[ -x "$exe" ] || exe=$REF_CNI/$plugin
	CNI_COMMAND=$cmd CNI_CONTAINERID=$id CNI_NETNS=$ns CNI_IFNAME=$ifn \
		CNI_ARGS=$args CNI_PATH=$CNI_PATH "$exe" <"$conf" >"$T/out" 2>"$T/err"
	CNI_RC=$?
	return $CNI_RC
}

# pod_add NAME: a pod network namespace pinned at /run/netns/NAME.
pod_add() { ip netns add "$1" && ip -n "$1" link set lo up; }

# serve POD PORT TEXT: an HTTP server in POD answering TEXT at /.
serve() {
	local dir="$T/www-$1-$2"
	mkdir -p "$dir"
	printf '%s\n' "$3" >"$dir/index.html"
	bg ip netns exec "$1" busybox httpd -f -p "$2" -h "$dir"
}

# wait_listen POD PORT: wait (bounded) until something listens on PORT in POD.
wait_listen() {
	local i
	for i in $(seq 1 100); do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# http POD URL: fetch URL from inside POD (body on stdout).
http() { ip netns exec "$1" curl -sS --max-time 5 "$2"; }

# ---- podnetd: this node's Kubernetes API, driven by the real kubectl

# node_nic: give the throwaway node an address of its own, as a real node
# has on its uplink: a dummy "eth0" 192.0.2.10/24 holding the default route
# (TEST-NET-1: nothing is ever sent there).  podnetd reports it as the
# node's InternalIP and every pod's hostIP.
NODE_IP=192.0.2.10
node_nic() {
	# A veth pair (this kernel may have no dummy driver); the peer stays
	# in the node, down the wire from nothing.
	ip link add eth0 type veth peer name eth0-peer && ip addr add $NODE_IP/24 dev eth0 &&
		ip link set eth0-peer up && ip link set eth0 up &&
		ip route add default via 192.0.2.1 dev eth0
}

# podnetd_start [ARGS...]: start podnetd for this node (PKI in $T/pki, its
# log in $T/podnetd.log) and wait until it answers.  Exports KUBECONFIG and
# a HOME of the test's own, so kubectl's discovery cache is the test's.
API=https://127.0.0.1:6443
podnetd_start() {
	local i
	export KUBECONFIG=$T/admin.conf HOME=$T/home
	mkdir -p "$HOME"
	"$BIN/podnetd" --pki-dir "$T/pki" --kubeconfig-out "$KUBECONFIG" -v 2 "$@" \
		2>>"$T/podnetd.log" &
	PODNETD_PID=$!
	_bg_pids+=("$PODNETD_PID")
	# 1200 tries (a minute and more): a loaded machine is slow, not broken.
	for i in $(seq 1 1200); do
		[ "$(curl -s --cacert "$T/pki/ca.crt" $API/readyz 2>/dev/null)" = ok ] && return 0
		kill -0 "$PODNETD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# podnetd did not start:"; sed 's/^/#   /' "$T/podnetd.log" | tail -20
	return 1
}

# podnetd_stop: SIGTERM, and wait for it to exit.
podnetd_stop() {
	kill "$PODNETD_PID" 2>/dev/null
	wait "$PODNETD_PID" 2>/dev/null
}

# k ARGS...: the real kubectl against this node, with a bound on each request.
k() { kubectl --request-timeout=30s "$@"; }

# kcurl ARGS...: curl with the admin certificate.
kcurl() {
	curl -sS --cacert "$T/pki/ca.crt" --cert "$T/pki/admin.crt" --key "$T/pki/admin.key" "$@"
}
