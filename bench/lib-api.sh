# SPDX-License-Identifier: Apache-2.0
# The set-up bench/api.sh and bench/api-stream.sh share: a throwaway node
# (private mount and network namespaces, tmpfs over /run and /var/lib, an
# uplink of its own) where podnetd serves this node's API to the real
# kubectl.  Sourced after `cd` to the top of the tree and ROOT=$PWD.
#
#   bench_node TAG SECONDS ARGS...   outside the node: run this script again
#                        inside a new one, bounded by SECONDS (TAG names its
#                        mounts and temp dir); inside: return
#   bench_node_setup TAG mounts, uplink, $T, $BIN (a copy of build/bin),
#                        podnet's and kubectl's environment
#   bench_podnetd ARGS.. start $BIN/podnetd with ARGS and wait until it
#                        answers; $PID, and $API its URL
#   bench_cleanup        delete the pods, kill their shims and podnetd, remove
#                        $T: the EXIT trap, or part of the caller's

# The node is marked with PODNET_<TAG>_NODE in the environment of the run
# inside it (PODNET_APIBENCH_NODE for TAG apibench).
bench_node() {
	local mark name
	mark=PODNET_${1^^}_NODE
	name=bench/$(basename "$0" .sh)
	[ -n "${!mark:-}" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "$name: needs root (namespaces, containers)" >&2
		exit 1
	fi
	command -v kubectl >/dev/null || { echo "$name: kubectl missing" >&2; exit 1; }
	export "$mark=1"
	exec timeout -k 30 "$2" unshare --mount --net --propagation private -- bash "$0" "${@:3}"
}

bench_node_setup() {
	mount -t tmpfs -o mode=0755 "podnet-$1-run" /run
	mount -t tmpfs -o mode=0755 "podnet-$1-varlib" /var/lib
	mkdir -p /run/netns /var/lib/cni /var/lib/podnet
	ip link set lo up
	# An uplink of the node's own (a veth pair, nothing behind it).
	ip link add eth0 type veth peer name eth0-peer
	ip addr add 192.0.2.10/24 dev eth0
	ip link set eth0-peer up
	ip link set eth0 up
	ip route add default via 192.0.2.1 dev eth0
	T=$(mktemp -d "/tmp/podnet-$1.XXXXXX")
	cp -a "$ROOT/build/bin" "$T/bin"
	BIN=$T/bin
	export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
	export CNI_PATH=$BIN:/usr/lib/cni KUBECONFIG=$T/admin.conf HOME=$T/home
	mkdir -p "$HOME" "$T/net.d"
	PID=""
}

bench_cleanup() {
	set +e
	"$BIN/podnet" delete pods --all --grace-period=0 >/dev/null 2>&1
	for u in $(ls /var/lib/podnet/pods 2>/dev/null); do
		pkill -KILL -f "podnet-shim.*--pod-uid $u" 2>/dev/null
	done
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}

bench_podnetd() {
	"$BIN/podnetd" --pki-dir "$T/pki" --kubeconfig-out "$KUBECONFIG" "$@" 2>"$T/podnetd.log" &
	PID=$!
	for _ in $(seq 100); do
		kubectl get --raw /readyz >/dev/null 2>&1 && break
		sleep 0.1
	done
	API=$(awk '/server:/ { print $2 }' "$KUBECONFIG")
}
