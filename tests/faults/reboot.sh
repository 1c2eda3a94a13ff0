#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A node reboot, simulated in a throwaway node (once; 10 times with FAULT_FULL=1):
#
#   node --- podnet0 (10.99.0.0/28: 13 pod addresses) --- pods
#     al1..al6  restartPolicy Always        -> re-created, RESTARTS + 1
#     of1       OnFailure: c1 exits 0, c2 runs -> only c2 starts again
#     nv1..nv2  Never                       -> Failed, no IP, no netns
#     web       Always, busybox httpd       -> reachable again
#
# A reboot is: every process of the pods and shims killed (by PID), their
# cgroups removed, every mount under the podnet root and all of /run (the
# netns pins) dropped, the links and nftables rules gone, a new boot id
# (PODNET_BOOT_ID_FILE); /var/lib (state.db, leases, CNI cache, pod dirs,
# runtime state) stays, as a disk does.  Then, as after a real boot:
#  - `podnet get pods` shows what Kubernetes does (Unknown, no IP);
#  - new pods applied before any repair get addresses, reclaiming leases of
#    the old boot when the range is full, and no IP shows on two pods;
#  - `podnet gc` re-creates the sandboxes (new netns, new lease), ends the
#    Never pods, and leaves nothing of the old boot.
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node
export PODNET_BOOT_ID_FILE=$T/boot_id
cat /proc/sys/kernel/random/uuid >"$PODNET_BOOT_ID_FILE"
mkdir -p "$T/net.d"
cat >"$T/net.d/10-podnet.conflist" <<EOF
{ "cniVersion": "1.0.0", "name": "podnet", "plugins": [ { "type": "podnet-bridge",
  "bridge": "podnet0", "isGateway": true, "isDefaultGateway": true, "ipMasq": true,
  "ipam": { "type": "podnet-ipam", "ranges": [[{ "subnet": "10.99.0.0/28" }]] } } ] }
EOF

policy_pod() { # NAME POLICY C1-COMMAND(flow sequence) [c2: sleeps]
	printf 'apiVersion: v1\nkind: Pod\nmetadata: { name: %s }\nspec:\n  restartPolicy: %s\n' "$1" "$2"
	printf '  terminationGracePeriodSeconds: 0\n  containers:\n'
	printf '  - { name: c1, image: host, command: %s }\n' "$3"
	[ -z "${4:-}" ] || printf '  - { name: c2, image: host, command: [sleep, "%s"] }\n' "$MARK"
}
{
	for i in 1 2 3 4 5 6; do pod_yaml "al$i" 1; echo ---; done
	policy_pod of1 OnFailure "[sh, -c, 'exit 0']" c2; echo ---
	for i in 1 2; do policy_pod "nv$i" Never "[sleep, \"$MARK\"]"; echo ---; done
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - { name: httpd, image: host, command: [busybox, httpd, -f, -p, "80", -h, /etc] }
YAML
} >"$T/pods.yaml"
OLD="al1 al2 al3 al4 al5 al6 of1 nv1 nv2 web"
# 10 pods hold 10 of the 13 addresses; 5 new pods after a reboot need 2
# more than are free: they must reclaim leases of the old boot.
NEW="n1 n2 n3 n4 n5"
for i in 1 2 3 4 5; do pod_yaml "n$i" 1; echo ---; done >"$T/new.yaml"

reboot_node() {
	local d pid cg f uuid
	note_uids
	# Every process of every pod and shim, found as a reboot finds them:
	# all of them (shims by pid, the rest in the pods' cgroups).
	for d in "$PODNET_ROOT"/pods/*; do
		[ -f "$d/shim.json" ] || continue
		pid=$(jq -r .pid "$d/shim.json")
		kill -9 "$pid" 2>/dev/null
		for cg in $(jq -r '.cgroups[]?' "$d/shim.json"); do
			for f in $(find "$cg" -name cgroup.procs 2>/dev/null); do
				while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$f"
			done
		done
	done
	for d in "$PODNET_ROOT"/pods/*; do
		for cg in $(jq -r '.cgroups[]?' "$d/shim.json" 2>/dev/null); do
			for ((i = 0; i < 50; i++)); do
				find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
				[ -d "$cg" ] || break
				sleep 0.1
			done
		done
	done
	# Mounts: the rootfs overlays (the disk keeps their dirs) and /run.
	findmnt -rn -o TARGET | grep "^$PODNET_ROOT/" | sort -r | xargs -r -n1 umount -l
	umount -R /run
	mount -t tmpfs -o mode=0755 podnet-test-run /run
	mkdir -p /run/netns
	# Links and rules: gone with the namespaces (pins and processes are),
	# and the node's own.
	ip link del podnet0 2>/dev/null
	nft flush ruleset
	for ((i = 0; i < 50; i++)); do
		[ "$(ip -o link show type veth | grep -c .)" = 0 ] && break
		sleep 0.1
	done
	cat /proc/sys/kernel/random/uuid >"$PODNET_BOOT_ID_FILE"
}

ip_col() { $P get pods -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | grep .; }
phases() {
	$P get pods -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' |
		sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' '
}
# Polled up to 60 s (a loaded machine); the phase checks that follow fail if not.
wait_running() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$($P get pod "$1" -o jsonpath='{.status.phase}')" = Running ] && return 0
		sleep 0.1
	done
	return 1
}

t_ok "apply 10 pods (al1-6, of1, nv1-2, web) in 10.99.0.0/28" $P apply -f "$T/pods.yaml"
for p in $OLD; do wait_running "$p"; done
# of1's c1 exits 0 at once: OnFailure leaves it Completed.
for ((i = 0; i < 600; i++)); do
	$P get pod of1 -o jsonpath='{.status.containerStatuses[0].state}' | grep -q terminated && break
	sleep 0.1
done
rounds=$(trials 1 10)
for ((r = 1; r <= rounds; r++)); do
	old_ips=$(ip_col | sort | paste -sd' ')
	reboot_node
	t_is "$($P get pods --no-headers 2>&1 | awk '{print $3}' | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
		"Unknown=10" "reboot $r: get pods shows the 10 pods Unknown"
	t_is "$(phases)" "Unknown=10" "reboot $r: phase Unknown"
	t_is "$(ip_col | grep -c .)" "0" "reboot $r: and no IP (their leases are another boot's)"
	t_ok "reboot $r: 5 new pods apply before any repair (2 reclaim old leases)" $P apply -f "$T/new.yaml"
	t_is "$(ip_col | sort | uniq -d | grep -c .)" "0" "reboot $r: no IP shows on two pods"
	out=$($P gc 2>&1)
	t_is "$?:$out" "0:removed 0 leftover object(s)
re-created 8 pod sandbox(es)" "reboot $r: gc re-creates 8 sandboxes (nv1, nv2 end)"
	for p in al1 al2 al3 al4 al5 al6 web of1; do wait_running "$p"; done
	t_is "$(phases)" "Failed=2 Running=13" "reboot $r: 13 Running, the 2 Never pods Failed"
	t_is "$($P get pod al1 -o jsonpath='{.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.reason}')" \
		"$r Unknown" "reboot $r: al1 RESTARTS $r, last state Unknown"
	t_is "$($P get pod of1 -o jsonpath='{.status.containerStatuses[*].state}' | grep -o 'terminated\|running' | paste -sd' ')" \
		"terminated running" "reboot $r: of1: c1 (exit 0) stays Completed, c2 runs again"
	t_is "$($P get pod nv1 -o jsonpath='{.status.phase}:{.status.podIP}:{.status.containerStatuses[0].state.terminated.exitCode}')" \
		"Failed::255" "reboot $r: nv1 Failed, no IP, exit 255"
	t_is "$(ip_col | grep -c .)" "13" "reboot $r: 13 pod IPs"
	t_is "$(ip_col | sort | uniq -d | grep -c .)" "0" "reboot $r: all different"
	t_is "$(ls /var/lib/cni/networks/podnet | grep -cE '^[0-9.]+$')" "13" "reboot $r: 13 leases: none of the old boot is left"
	webip=$($P get pod web -o jsonpath='{.status.podIP}')
	t_is "$($P exec al1 -c c1 -- curl -sS --max-time 5 "http://$webip/hostname")" "web" \
		"reboot $r: al1 reaches web at $webip"
	t_match "$(jq -r '.events[-1].message' "$PODNET_ROOT/pods/$(db "select uid from pods where name='al1'")/events.json")" \
		"re-created: the node restarted$" "reboot $r: SandboxChanged says the node restarted"
	# The new pods go; the old ones live on into the next reboot (nv1
	# and nv2 are replaced, as a controller would).
	t_ok "reboot $r: delete n1..n5, nv1, nv2" $P delete pod $NEW nv1 nv2
	policy_pod nv1 Never "[sleep, \"$MARK\"]" >"$T/nv.yaml"
	echo --- >>"$T/nv.yaml"
	policy_pod nv2 Never "[sleep, \"$MARK\"]" >>"$T/nv.yaml"
	$P apply -f "$T/nv.yaml" >/dev/null
	wait_running nv1
	wait_running nv2
	l=$(node_leaks)
	if [ -z "$l" ]; then t_pass "reboot $r: nothing of the old boot is left"; else
		t_fail "reboot $r: nothing of the old boot is left"; echo "$l" | sed 's/^/#   /'; fi
done
t_ok "delete every pod" $P delete pod $OLD
l=$(node_leaks)
if [ -z "$l" ]; then t_pass "the node is empty"; else t_fail "the node is empty"; echo "$l" | sed 's/^/#   /'; fi
tally "reboot" "$rounds" "$rounds" "0"
t_done
