# SPDX-License-Identifier: Apache-2.0
# Shared by tests/valgrind/seed.sh and api.sh, after node_enter: the node's
# own copy of the bin directory, $B, in which podnet, podnet-shim,
# podnetd and the CNI plugins are each a script that runs the real
# program (NAME.real beside it) under valgrind, each process logging to
# $VG_LOG_DIR/NAME.PID.  No test hook in the programs: podnet and podnetd
# find the shim, the pause and podnet (the shim's sync command) beside
# themselves (/proc/self/exe, which valgrind answers with the real
# program's path), and the plugins on CNI_PATH.  VG_OFF=1: the same
# scripts without valgrind, to tell its effects apart.
: "${VG_LOG_DIR:?}" "${PODNET_VG_BUILD:?}" "${VG_OPTS:?}"

# Not under $T: a container of the "host" image gets a /tmp of its own,
# and the pause runs from this directory inside the sandbox.
B=$PODNET_VG_BUILD/node-bin.$$
mkdir -p "$B"
on_cleanup "rm -rf '$B'"
cp "$PODNET_VG_BUILD/bin/podnet-pause" "$B/"
for p in podnet podnet-shim podnetd podnet-bridge podnet-ipam; do
	cp "$PODNET_VG_BUILD/bin/$p" "$B/$p.real"
	if [ "${VG_OFF:-0}" = 1 ]; then
		printf '#!/bin/sh\nexec %s "$@"\n' "$B/$p.real" >"$B/$p"
	else
		printf '#!/bin/sh\nexec valgrind %s --log-file=%s %s "$@"\n' \
			"$(echo $VG_OPTS)" "$VG_LOG_DIR/$p.%p" "$B/$p.real" >"$B/$p"
	fi
	chmod +x "$B/$p"
done
BIN=$B
export CNI_PATH=$B
export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$B/podnet

# vg_no_shim_left: no shim of this node's copy runs any more.
vg_no_shim_left() {
	t_is "$(pgrep -c -f " $B/podnet-shim.real ")" "0" "no shim left once delete returns"
}
