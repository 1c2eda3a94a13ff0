#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What running a plugin and a whole ADD/DEL through the library's CNI
# client costs, in one process (bench/cniloop.c): the quick check for
# changes to src/cni/cniclient.c or src/base/child.c.  `make bench` is the
# full comparison with the reference plugins.
#
#   [node netns: bridge cniloop0, 10.78.0.1/16] --veth--> [pod netns 0..N-1: eth0]
#
# Runs in a throwaway node (private mount and network namespaces, tmpfs
# over /run and /var/lib), like bench/run.sh.  CNILOOP_N=200 pods,
# CNILOOP_EXECS=1000 runs of a trivial plugin, CNILOOP_ROUNDS=3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}

for f in "$BUILD/bench/cniloop" "$BUILD/bin/podnet-bridge" "$BUILD/bin/podnet-ipam"; do
	[ -x "$f" ] || { echo "cniloop: $f missing: make all $BUILD/bench/cniloop" >&2; exit 1; }
done
if [ -z "${PODNET_BENCH_NODE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "cniloop: needs root" >&2; exit 1; }
	export PODNET_BENCH_NODE=1
	exec unshare --mount --net --propagation private -- bash "$0" "$@"
fi
mount -t tmpfs -o mode=0755 podnet-cniloop-run /run
mount -t tmpfs -o mode=0755 podnet-cniloop-varlib /var/lib
mkdir -p /run/netns /var/lib/cni
ip link set lo up
T=$(mktemp -d /tmp/podnet-cniloop.XXXXXX)
trap 'rm -rf "$T"' EXIT

N=${CNILOOP_N:-200}
EXECS=${CNILOOP_EXECS:-1000}
ROUNDS=${CNILOOP_ROUNDS:-3}
mkdir -p "$T/bin" "$T/net.d"
cp "$BUILD/bin/podnet-bridge" "$BUILD/bin/podnet-ipam" "$T/bin/"
cc -O2 -static -o "$T/bin/trivial" bench/trivial.c
cat >"$T/net.d/10-loop.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "cniloop", "plugins": [
  { "type": "podnet-bridge", "bridge": "cniloop0", "isGateway": true, "ipMasq": false,
    "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.78.0.0/16" }]] } } ] }
JSON
export CNI_PATH=$T/bin
for r in $(seq "$ROUNDS"); do
	echo "# round $r"
	"$BUILD/bench/cniloop" exec "$T/bin" trivial "$EXECS"
	"$BUILD/bench/cniloop" chain "$T/net.d" "$N"
done
