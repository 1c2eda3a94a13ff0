#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench, second part: pod startup, podnet against podman (issue 3).
#
# What is timed: from the first command a user types to every container of
# the pod Running, for a pod of 3 containers sharing one netns
#   podnet:  podnet apply -f pod.yaml
#   podman:  podman pod create + 3 x podman run -d --pod P   (CNI backend)
# both with the same image (a ~3 MB busybox rootfs built here, imported into
# each tool), the same commands (c1, c2: sleep infinity; c3: busybox httpd on
# :80) and runc as the OCI runtime.  Runs:
#   1 pod       BENCH_POD_REPS times, tools interleaved
#   20 pods     sequentially (one command set per pod), BENCH_POD_ROUNDS
#               times; per-pod figures are the pods of those runs
#   20 pods     in one go: podnet apply -f with 20 documents, against
#               podman kube play of the same 20 documents (podman's own
#               one-command path; the pod create + run sequence is above)
#   also        podman kube play of 1 pod (informative: podman's manifest path)
# Running is checked after each run (podnet get ... containerStatuses[*]
# .state.running.startedAt, podman ps --filter status=running); a check that
# passes at once means the pod was Running when the last command returned,
# and that return is the end of the clock; otherwise the clock runs until the
# check passes (polled every 10 ms).
#
# Everything runs in a throwaway node: private mount and network namespaces
# with tmpfs over /run and /var/lib, so /run/netns, /var/lib/cni, podnet's
# state and podman's storage are the node's own, podman reads only the
# private containers.conf and storage.conf written here, and the CNI config
# dirs of both tools are temporary.  (podman's cgroupfs manager and podnet's
# shim make cgroups in the machine's cgroup tree; both remove them on
# delete, and empty leftovers under libpod_parent are removed at the end if
# that directory did not exist before.)  On exit, pods are deleted with each
# tool, then any process this node started that is still alive (one in the
# node's mount namespace, or in a pod netns pinned in the node) is killed by
# PID.  The whole run is bounded by BENCH_POD_TIMEOUT.
#
# Knobs (environment):
#   BENCH_POD_REPS=5        repetitions of the 1-pod run
#   BENCH_POD_MANY=20       pods of the many-pods runs
#   BENCH_POD_ROUNDS=1      rounds of the many-pods runs
#   BENCH_POD_TOOLS="podnet podman"
#   BENCH_POD_KUBE=1        also time podman kube play (0: no)
#   BENCH_POD_TIMEOUT=1200  seconds for the whole run
#   BENCH_POD_CMD_TIMEOUT=60  seconds for any one command
#   BENCH_POD_SETTLE=1      seconds of quiet between runs
#   BENCH_INSTALL_PODMAN=1  apt-get install podman if it is missing (0: no;
#                           then the podman side is skipped)
set -euo pipefail
# A failed command inside $(...) stops the run instead of timing garbage.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${PODNET_PODBENCH_NODE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench/pods: needs root (namespaces, containers)" >&2
		exit 1
	fi
	case " ${BENCH_POD_TOOLS:-podnet podman} " in *" podman "*)
		if ! command -v podman >/dev/null && [ "${BENCH_INSTALL_PODMAN:-1}" = 1 ] &&
			command -v apt-get >/dev/null; then
			# Outside the node: apt needs the machine's /var/lib/dpkg.
			echo "bench/pods: podman missing; installing Debian's podman (BENCH_INSTALL_PODMAN=0 to skip)"
			policy=""
			if [ ! -e /usr/sbin/policy-rc.d ]; then
				printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
				chmod +x /usr/sbin/policy-rc.d
				policy=/usr/sbin/policy-rc.d
			fi
			DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
				--no-install-recommends podman catatonit containernetworking-plugins iptables \
				>/dev/null || echo "bench/pods: podman install failed; podman side skipped" >&2
			[ -z "$policy" ] || rm -f "$policy"
		fi
		;;
	esac
	export PODNET_PODBENCH_NODE=1
	# timeout signals the node's bash (unshare execs it): its EXIT trap
	# cleans up; KILL 30 s later if that hangs.
	exec timeout -k 30 "${BENCH_POD_TIMEOUT:-1200}" \
		unshare --mount --net --propagation private -- bash "$0" "$@"
fi

# ---- inside the node from here on ------------------------------------------
REPS=${BENCH_POD_REPS:-5}
MANY=${BENCH_POD_MANY:-20}
ROUNDS=${BENCH_POD_ROUNDS:-1}
TOOLS=${BENCH_POD_TOOLS:-podnet podman}
KUBE=${BENCH_POD_KUBE:-1}
CT=${BENCH_POD_CMD_TIMEOUT:-60}
SETTLE=${BENCH_POD_SETTLE:-1}
BUILT=$ROOT/build/bin
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$ROOT/build/bench"
RES=$ROOT/build/bench/pods-$STAMP.tsv
REPORT=$ROOT/build/bench/pods-$STAMP.txt

mount -t tmpfs -o mode=0755 podnet-podbench-run /run
mount -t tmpfs -o mode=0755 podnet-podbench-varlib /var/lib
mkdir -p /run/netns /var/lib/cni /var/lib/podnet
ip link set lo up
T=$(mktemp -d /tmp/podnet-podbench.XXXXXX)
mkdir -p "$T/podnet-net.d" "$T/podman-net.d" "$T/tmp"
# A copy of the binaries: a rebuild in the tree during the run (other work
# on the machine) must not swap them under the clock.
for b in podnet podnet-shim podnet-pause podnet-bridge podnet-ipam; do
	[ -x "$BUILT/$b" ] || { echo "bench/pods: $BUILT/$b missing (make all)" >&2; rm -rf "$T"; exit 1; }
done
cp -a "$BUILT" "$T/bin"
BIN=$T/bin
PN=$BIN/podnet
export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/podnet-net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
export CNI_PATH=$BIN:/usr/lib/cni
export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf

cg_had_libpod=""
for d in /sys/fs/cgroup/*/libpod_parent; do [ -d "$d" ] && cg_had_libpod="$cg_had_libpod $d"; done

have() { [[ " $TOOLS " == *" $1 "* ]]; }

# Processes this node started that outlived their command: in the node's
# mount namespace (conmon, podnet-shim, podman's cleanup processes) but not
# this script or its direct children, or in a pod netns pinned in the node
# (container processes).  Both can only have been started from inside here.
leftovers() {
	local d p pin
	local pins=(/run/netns/*)
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		if [[ $d/ns/mnt -ef /proc/$$/ns/mnt ]]; then
			mine "$p" || echo "$p"
			continue
		fi
		for pin in "${pins[@]}"; do
			[ -e "$pin" ] && [[ $d/ns/net -ef $pin ]] && { echo "$p"; break; }
		done
	done
}
# mine PID: is PID this script or one of its descendants (a command still
# running, the tee of the report)?  Daemons (conmon, the shim) are not: they
# left the tree when they detached.
mine() {
	local p=$1 s
	while [ "$p" -gt 1 ] 2>/dev/null; do
		[ "$p" = $$ ] && return 0
		read -r s <"/proc/$p/stat" 2>/dev/null || return 1
		s=${s##*) }
		s=${s#* }
		p=${s%% *}
	done
	return 1
}

cleanup() {
	local rc=$? i d pids=""
	trap - EXIT INT TERM
	set +e
	# main ran in a pipeline subshell: what it set up is known by its files.
	[ -d /var/lib/podnet/pods ] && { podnet_delete_all >/dev/null 2>&1 || true; }
	[ -s "$T/containers.conf" ] && command -v podman >/dev/null && { podman_delete_all >/dev/null 2>&1 || true; }
	for i in $(seq 1 50); do
		pids=$(leftovers)
		[ -z "$pids" ] && break
		[ "$i" = 30 ] && kill -TERM $pids 2>/dev/null
		[ "$i" -ge 40 ] && kill -KILL $pids 2>/dev/null
		sleep 0.2
	done
	[ -n "$pids" ] && echo "bench/pods: processes left: $pids" >&2
	# Empty podman cgroups (cgroupfs manager), only if we made the parent.
	# A cgroup whose last task just exited can refuse rmdir for a moment.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local left=0
		for d in /sys/fs/cgroup/*/libpod_parent; do
			[ -d "$d" ] || continue
			[[ " $cg_had_libpod " == *" $d "* ]] && continue
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$d" ] && left=1
		done
		[ "$left" = 0 ] && break
		sleep 0.5
	done
	[ "$left" = 0 ] || echo "bench/pods: podman cgroups left under /sys/fs/cgroup/*/libpod_parent" >&2
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# settle: wait (bounded) until nothing this node started is still winding
# down (podman's conmon runs `podman container cleanup` after an exit), then
# a quiet second, so one run's teardown does not land on the next clock.
settle() {
	local i
	for i in $(seq 1 100); do
		[ -z "$(leftovers | head -1)" ] && break
		sleep 0.1
	done
	sleep "$SETTLE"
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
ms() { echo $((($2 - $1) / 1000)); }
# record TOOL SCENARIO MS
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES"; }

# ---- the image: busybox and the libraries it links, ~3 MB ---------------------
mkimage() {
	local r=$T/rootfs bb lib
	bb=$(command -v busybox)
	mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,run,www,root}
	cp "$bb" "$r/bin/busybox"
	for lib in $(ldd "$bb" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	chroot "$r" /bin/busybox --install -s /bin
	: >"$r/etc/hosts"
	: >"$r/etc/resolv.conf"
	: >"$r/etc/hostname"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	echo bench >"$r/www/index.html"
	tar -C "$r" -cf "$T/rootfs.tar" .
}

# ---- podnet ------------------------------------------------------------------
podnet_setup() {
	timeout "$CT" "$PN" image import bench "$T/rootfs" >/dev/null
}

# pod_yaml NAME IMAGE [PULL]: the pod, the same for both tools.
pod_yaml() {
	cat <<Y
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c1
    image: $2${3:-}
    command: ["sleep", "infinity"]
  - name: c2
    image: $2${3:-}
    command: ["sleep", "infinity"]
  - name: c3
    image: $2${3:-}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
Y
}
PULL_NEVER='
    imagePullPolicy: Never'

# podnet_running POD...: every container of every POD running?
podnet_running() {
	local p n
	for p in "$@"; do
		n=$({ "$PN" get pod "$p" -o jsonpath='{.status.containerStatuses[*].state.running.startedAt}' 2>/dev/null || true; } | wc -w)
		[ "$n" = 3 ] || return 1
	done
}
podman_running() {
	local p n
	for p in "$@"; do
		# 3 containers + the infra container
		n=$({ podman ps -q --filter "pod=$p" --filter status=running 2>/dev/null || true; } | wc -l)
		[ "$n" = 4 ] || return 1
	done
}

# clock_end TOOL T1 POD...: the end of the clock: T1 if the pods were
# Running when the commands returned, else the moment the poll saw it.
clock_end() {
	local tool=$1 t1=$2 i
	shift 2
	if "${tool}_running" "$@"; then
		record "$tool" check-immediate 1
		echo "$t1"
		return
	fi
	record "$tool" check-polled 1
	for i in $(seq 1 3000); do
		sleep 0.01
		if "${tool}_running" "$@"; then
			now_us
			return
		fi
	done
	echo "bench/pods: $tool: pods $* not Running after 30 s" >&2
	return 1
}

# podnet_cmds POD: what the user types for one pod (no check).
podnet_cmds() {
	pod_yaml "$1" bench >"$T/$1.yaml"
	timeout "$CT" "$PN" apply -f "$T/$1.yaml" >/dev/null
}
# TOOL_start POD: the commands, then the check; prints ms to Running.
podnet_start() {
	local t0 t1
	t0=$(now_us)
	podnet_cmds "$1"
	t1=$(now_us)
	t1=$(clock_end podnet "$t1" "$1")
	ms "$t0" "$t1"
}
podnet_startup_ms() { # POD: the shim's own figure
	local uid
	uid=$("$PN" get pod "$1" -o jsonpath='{.metadata.uid}')
	jq -r .startupMs "/var/lib/podnet/pods/$uid/shim.json" 2>/dev/null ||
		find /var/lib/podnet -maxdepth 3 -name shim.json -path "*$uid*" -exec jq -r .startupMs {} \;
}
podnet_delete_all() {
	local pods
	pods=$("$PN" get pods -o name 2>/dev/null | sed 's|^pod/||')
	[ -z "$pods" ] || timeout "$CT" "$PN" delete pod $pods >/dev/null
}

# ---- podman ------------------------------------------------------------------
podman_setup() {
	local nofile_h nproc_h
	# Rlimits no higher than the hard limits podman's conmon runs under:
	# root here lacks CAP_SYS_RESOURCE, and podman 4.3's own defaults
	# (nofile 1048576, nproc 4194304) make runc fail with EPERM.  conmon
	# runs with nproc hard 32768 here (its /proc/PID/limits), so cap there.
	# soft = hard: `podman kube play` (4.3) swaps soft and hard of nofile
	# for the infra container, and runc then fails with EINVAL; podnet's
	# bundles also set nofile soft = hard = the node's hard limit.
	nofile_h=$(ulimit -Hn)
	nproc_h=$(ulimit -Hu)
	[ "$nofile_h" = unlimited ] && nofile_h=1048576
	[ "$nproc_h" = unlimited ] || [ "$nproc_h" -gt 32768 ] && nproc_h=32768
	cat >"$T/containers.conf" <<C
[containers]
default_ulimits = ["nofile=$nofile_h:$nofile_h", "nproc=$nproc_h:$nproc_h"]
[network]
network_backend = "cni"
network_config_dir = "$T/podman-net.d"
cni_plugin_dirs = ["/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "/run/libpod"
image_copy_tmp_dir = "$T/tmp"
C
	cat >"$T/storage.conf" <<C
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
C
	export TMPDIR=$T/tmp
	# PATH in the image: podman run adds a default one, kube play does not.
	timeout "$CT" podman import -q --change "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
		"$T/rootfs.tar" localhost/bench:1 >/dev/null
}

podman_cmds() {
	local c a b
	a=$(now_us)
	timeout "$CT" podman pod create --name "$1" >/dev/null
	b=$(now_us)
	record podman cmd-pod-create "$(ms "$a" "$b")"
	for c in c1 c2 c3; do
		a=$(now_us)
		if [ "$c" = c3 ]; then
			timeout "$CT" podman run -d --pod "$1" --name "$1-c3" localhost/bench:1 httpd -f -p 80 -h /www >/dev/null
		else
			timeout "$CT" podman run -d --pod "$1" --name "$1-$c" localhost/bench:1 sleep infinity >/dev/null
		fi
		b=$(now_us)
		# the first run also starts the pod's infra container
		record podman "cmd-run-$c" "$(ms "$a" "$b")"
	done
}
podman_start() {
	local t0 t1
	t0=$(now_us)
	podman_cmds "$1"
	t1=$(now_us)
	t1=$(clock_end podman "$t1" "$1")
	ms "$t0" "$t1"
}
podman_kube_start() { # FILE POD...: podman kube play
	local f=$1 t0 t1
	shift
	t0=$(now_us)
	timeout "$CT" podman kube play "$f" >/dev/null
	t1=$(now_us)
	t1=$(clock_end podman "$t1" "$@")
	ms "$t0" "$t1"
}
podman_delete_all() {
	# Kill first: `pod rm -t 0` alone waits ~3.5 s per kube-play pod in 4.3
	# (sleep as PID 1 ignores SIGTERM), which is not what is measured here.
	timeout "$CT" podman pod kill -a -s KILL >/dev/null 2>&1 || true
	timeout $((CT * 3)) podman pod rm -af -t 0 >/dev/null 2>"$T/podman-rm.err" ||
		{ echo "bench/pods: podman pod rm -af: rc $? $(head -c 500 "$T/podman-rm.err")" >&2; return 1; }
}

delete_all() { # TOOL
	local t0 t1
	t0=$(now_us)
	"${1}_delete_all" || { echo "bench/pods: $1: deleting the pods failed" >&2; return 1; }
	t1=$(now_us)
	record "$1" delete "$(ms "$t0" "$t1")"
	settle
}

# ---- checks: the pods are what they claim (outside the clock) -----------------
check_pod() { # TOOL POD
	local tool=$1 p=$2 c pid ino first="" body
	for c in c1 c2 c3; do
		if [ "$tool" = podnet ]; then
			pid=$("$PN" inspect "$("$PN" ps -o json | jq -r --arg p "$p" --arg c "$c" \
				'.containers[] | select(.labels["io.kubernetes.pod.name"] == $p and .metadata.name == $c) | .id')" |
				jq -r .info.pid)
		else
			pid=$(podman inspect --format '{{.State.Pid}}' "$p-$c")
		fi
		ino=$(stat -L -c %i "/proc/$pid/ns/net")
		[ -z "$first" ] && first=$ino
		if [ "$ino" != "$first" ]; then
			echo "  check: $tool $p: $c is not in the pod's netns" >&2
			return 1
		fi
	done
	if [ "$tool" = podnet ]; then
		body=$("$PN" exec "$p" -c c1 -- wget -qO- http://localhost:80/ 2>&1)
	else
		body=$(podman exec "$p-c1" wget -qO- http://localhost:80/ 2>&1)
	fi
	if [ "$body" != bench ]; then
		echo "  check: $tool $p: localhost:80 from c1 gave '$body'" >&2
		return 1
	fi
	echo "  check: $tool: c1, c2, c3 of $p share netns $first; c1 -> localhost:80 (c3) answers"
}

# ---- the runs ------------------------------------------------------------------
load() { cut -d' ' -f1-3 /proc/loadavg; }

one_pod() { # TOOL REP
	local ms
	ms=$("${1}_start" "bp-$2")
	record "$1" "1pod" "$ms"
	if [ "$1" = podnet ]; then
		record podnet "1pod-shim-startupMs" "$(podnet_startup_ms "bp-$2")"
	fi
	printf '  %-7s 1 pod  rep %d: %5d ms  (load %s)\n' "$1" "$2" "$ms" "$(load)"
	[ "$2" = 1 ] && check_pod "$1" "bp-$2"
	delete_all "$1"
}

# many_seq TOOL ROUND: MANY pods, one command set after another; the check
# runs once, after the last pod (a check per pod would add podman ps or
# podnet get time to the total).  Per-pod figures: each pod's commands.
many_seq() {
	local i t0 t1 a b p pods=()
	t0=$(now_us)
	for ((i = 1; i <= MANY; i++)); do
		a=$(now_us)
		"${1}_cmds" "bs-$i"
		b=$(now_us)
		record "$1" "seq-perpod" "$(ms "$a" "$b")"
		pods+=("bs-$i")
	done
	t1=$(now_us)
	t1=$(clock_end "$1" "$t1" "${pods[@]}")
	record "$1" "seq-total" "$(ms "$t0" "$t1")"
	printf '  %-7s %d pods sequential, round %d: %6d ms  (load %s)\n' "$1" "$MANY" "$2" "$(ms "$t0" "$t1")" "$(load)"
	if [ "$1" = podnet ]; then
		for p in "${pods[@]}"; do record podnet "seq-shim-startupMs" "$(podnet_startup_ms "$p")"; done
	fi
	delete_all "$1"
}

many_one_command() { # TOOL ROUND
	local i f=$T/many-$1.yaml pods=() ms
	: >"$f"
	for ((i = 1; i <= MANY; i++)); do
		pods+=("bm-$i")
		if [ "$1" = podnet ]; then pod_yaml "bm-$i" bench; else pod_yaml "bm-$i" localhost/bench:1 "$PULL_NEVER"; fi >>"$f"
		echo "---" >>"$f"
	done
	if [ "$1" = podnet ]; then
		local t0 t1
		t0=$(now_us)
		timeout "$CT" "$PN" apply -f "$f" >/dev/null
		t1=$(now_us)
		t1=$(clock_end podnet "$t1" "${pods[@]}")
		ms=$(ms "$t0" "$t1")
		record podnet "one-cmd-total" "$ms"
		printf '  %-7s %d pods, one apply -f: %6d ms  (load %s)\n' podnet "$MANY" "$ms" "$(load)"
	else
		ms=$(podman_kube_start "$f" "${pods[@]}")
		record podman "one-cmd-total" "$ms"
		printf '  %-7s %d pods, one kube play: %6d ms  (load %s)\n' podman "$MANY" "$ms" "$(load)"
	fi
	delete_all "$1"
}

kube_one() { # REP
	local ms
	pod_yaml "bk-$1" localhost/bench:1 "$PULL_NEVER" >"$T/bk-$1.yaml"
	ms=$(podman_kube_start "$T/bk-$1.yaml" "bk-$1")
	record podman "1pod-kube" "$ms"
	printf '  %-7s 1 pod  kube play rep %d: %5d ms  (load %s)\n' podman "$1" "$ms" "$(load)"
	delete_all podman
}

warm_up() { # TOOL: first pod of each tool, untimed in the table (podman
	# builds its pause image from catatonit on first use; podnet writes its
	# default conflist)
	local ms
	ms=$("${1}_start" "bw")
	record "$1" "cold" "$ms"
	printf '  %-7s first pod (cold, not in the table): %d ms\n' "$1" "$ms"
	delete_all "$1"
}

# runc_probe: what the shim's time is made of: `runc run -d` of this image,
# one at a time against three at once (as a parallel start would).
runc_probe() {
	local b=$T/probe i t0 t1 seq par
	mkdir -p "$b"
	(cd "$b" && runc spec) || return 0
	# The shim's bundles bind the pod's rootfs; the probe uses the plain dir.
	jq --arg r "$T/rootfs" '.root.path=$r | .root.readonly=true | .process.terminal=false
		| .process.args=["sleep","infinity"] | .process.rlimits=[]
		| .linux.namespaces |= map(select(.type != "network"))' "$b/config.json" >"$b/c" &&
		mv "$b/c" "$b/config.json"
	for i in 1 2 3; do mkdir -p "$b/$i" && cp "$b/config.json" "$b/$i/"; done
	seq=0 par=0
	for r in 1 2 3; do
		t0=$(now_us)
		for i in 1 2 3; do runc --root "$T/runc" run -d --bundle "$b/$i" "pnbench$$-$i" >/dev/null 2>&1 </dev/null; done
		t1=$(now_us)
		seq=$((seq + $(ms "$t0" "$t1")))
		for i in 1 2 3; do runc --root "$T/runc" delete -f "pnbench$$-$i" >/dev/null 2>&1; done
		t0=$(now_us)
		for i in 1 2 3; do runc --root "$T/runc" run -d --bundle "$b/$i" "pnbench$$-$i" >/dev/null 2>&1 </dev/null & done
		wait
		t1=$(now_us)
		par=$((par + $(ms "$t0" "$t1")))
		for i in 1 2 3; do runc --root "$T/runc" delete -f "pnbench$$-$i" >/dev/null 2>&1; done
	done
	record runc "3-sequential" $((seq / 3))
	record runc "3-parallel" $((par / 3))
	printf '  runc run -d of this image: 3 one after another %d ms, 3 at once %d ms (mean of 3)\n' \
		$((seq / 3)) $((par / 3))
}

main() {
	local t0 r tool
	t0=$(date +%s)
	echo "== podnet pod bench $STAMP: 3-container pods; 1 pod x $REPS, $MANY pods x $ROUNDS round(s); tools: $TOOLS"
	echo "== $(nproc) CPUs, kernel $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, load $(load)"
	mkimage
	have podnet && podnet_setup
	if have podman; then
		if ! command -v podman >/dev/null; then
			echo "== podman not installed: podnet side only" >&2
			TOOLS=${TOOLS//podman/}
		else
			podman_setup
			echo "== $(podman --version), runtime $(podman info --format '{{.Host.OCIRuntime.Path}}') ($(runc --version | head -1)), network backend $(podman info --format '{{.Host.NetworkBackend}}'), cgroups $(podman info --format '{{.Host.CgroupManager}}')"
		fi
	fi
	have podnet && echo "== podnet runtime: $("$PN" info 2>/dev/null | grep -i -m1 runtime | sed 's/^ *//')"
	: >"$RES"
	for tool in $TOOLS; do warm_up "$tool"; done
	if have podman; then
		local infra
		infra=$(podman images --format '{{.Repository}}:{{.Tag}}' | grep pause || true)
		echo "== podman infra container: ${infra:-?} (podman 4.3 builds it locally from catatonit; no registry)"
		echo "== podman network: $(podman network inspect podman --format '{{.Name}}: {{.Driver}} {{range .Subnets}}{{.Subnet}} {{end}}' 2>/dev/null || echo '?') (podman's default, CNI)"
	fi
	# Tools interleaved in every repetition, so a burst of other work on the
	# machine is shared out.
	for ((r = 1; r <= REPS; r++)); do
		for tool in $TOOLS; do one_pod "$tool" "$r"; done
		if have podman && [ "$KUBE" = 1 ]; then kube_one "$r"; fi
	done
	for ((r = 1; r <= ROUNDS; r++)); do
		for tool in $TOOLS; do many_seq "$tool" "$r"; done
		for tool in $TOOLS; do
			[ "$tool" = podman ] && [ "$KUBE" != 1 ] && continue
			many_one_command "$tool" "$r"
		done
	done
	have podnet && runc_probe
	for tool in $TOOLS; do
		echo "== Running check, $tool: $(grep -c "^$tool	check-immediate" "$RES") runs Running when the commands returned, $(grep -c "^$tool	check-polled" "$RES") needed polling"
	done
	echo
	report
	echo "== done in $(($(date +%s) - t0)) s; raw results $RES, report $REPORT"
}

# report: side-by-side table, p50 and mean, ratio podman/podnet.
report() {
	awk -F'\t' -v many="$MANY" '
	function p50(k,   n, i, j, t, a) {
		n = cnt[k]
		for (i = 1; i <= n; i++) a[i] = v[k, i]
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		if (n == 0) return ""
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function mean(k) { return cnt[k] ? sum[k] / cnt[k] : "" }
	function fmt(x) { return x == "" ? "-" : sprintf("%.0f", x) }
	function ratio(a, b) { return (a == "" || b == "" || a == 0) ? "-" : sprintf("%.1fx", b / a) }
	function row(label, kn, km, counted,   a, b, c, d) {
		a = p50(kn); b = p50(km); c = mean(kn); d = mean(km)
		printf "%-44s %8s %8s %7s   %8s %8s %7s\n", label, fmt(a), fmt(b), ratio(a, b), fmt(c), fmt(d), ratio(c, d)
		if (counted && cnt[km] && cnt[kn]) { if (b / a >= 5) met++; else missed++ }
	}
	{ k = $1 SUBSEP $2; cnt[k]++; v[k, cnt[k]] = $3; sum[k] += $3 }
	END {
		printf "%-44s %8s %8s %7s   %8s %8s %7s\n", "ms, apply -> all containers Running", "podnet", "podman", "ratio", "podnet", "podman", "ratio"
		printf "%-44s %8s %8s %7s   %8s %8s %7s\n", "", "p50", "p50", "p50", "mean", "mean", "mean"
		row("1 pod x 3 ctrs (pod create + 3 run)", "podnet" SUBSEP "1pod", "podman" SUBSEP "1pod", 1)
		row(many " pods sequential, total", "podnet" SUBSEP "seq-total", "podman" SUBSEP "seq-total", 1)
		row(many " pods sequential, per pod", "podnet" SUBSEP "seq-perpod", "podman" SUBSEP "seq-perpod", 1)
		row(many " pods: podnet one apply -f (" many " docs)", "podnet" SUBSEP "one-cmd-total", "podman" SUBSEP "seq-total", 1)
		if (cnt["podman", "1pod-kube"] || cnt["podman", "one-cmd-total"]) {
			printf "podman kube play (one command from the manifest, as podnet apply):\n"
			row("1 pod x 3 ctrs (kube play)", "podnet" SUBSEP "1pod", "podman" SUBSEP "1pod-kube", 0)
			row(many " pods, one apply -f / one kube play", "podnet" SUBSEP "one-cmd-total", "podman" SUBSEP "one-cmd-total", 0)
		}
		printf "\n"
		if (cnt["podnet", "1pod-shim-startupMs"])
			printf "podnet, where a pod'"'"'s time goes (p50): 1 pod: apply %s ms = shim startupMs %s (pause + 3 containers, each a runc run -d) + %s in the CLI (manifest, state, netns, CNI ADD, rootfs mounts, shim spawn)\n",
				fmt(p50("podnet" SUBSEP "1pod")), fmt(p50("podnet" SUBSEP "1pod-shim-startupMs")),
				fmt(p50("podnet" SUBSEP "1pod") - p50("podnet" SUBSEP "1pod-shim-startupMs"))
		if (cnt["podnet", "seq-shim-startupMs"])
			printf "                                  %d pods sequential: apply %s ms per pod = shim startupMs %s + %s\n", many,
				fmt(p50("podnet" SUBSEP "seq-perpod")), fmt(p50("podnet" SUBSEP "seq-shim-startupMs")),
				fmt(p50("podnet" SUBSEP "seq-perpod") - p50("podnet" SUBSEP "seq-shim-startupMs"))
		if (cnt["podman", "cmd-pod-create"])
			printf "podman, per command (p50 over all pod create + run pods): pod create %s, run c1 (+ infra start) %s, run c2 %s, run c3 %s ms\n",
				fmt(p50("podman" SUBSEP "cmd-pod-create")), fmt(p50("podman" SUBSEP "cmd-run-c1")),
				fmt(p50("podman" SUBSEP "cmd-run-c2")), fmt(p50("podman" SUBSEP "cmd-run-c3"))
		if (cnt["runc", "3-sequential"])
			printf "runc run -d x3: sequential %s ms, parallel %s ms\n", fmt(mean("runc" SUBSEP "3-sequential")), fmt(mean("runc" SUBSEP "3-parallel"))
		if (met + missed)
			printf "target >= 5x faster than podman (rows against pod create + run): %s (%d of %d rows at >= 5x, p50)\n", missed ? "MISSED" : "MET", met, met + missed
	}' "$RES"
}

main 2>&1 | tee "$REPORT"
exit "${PIPESTATUS[0]}"
