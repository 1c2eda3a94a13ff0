#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regression tests of what issue 11's first fault runs broke, one section
# each, in a throwaway node:
#
#   node --- podnet0 --- veth --- pods x, py, pz ...   (podnet-bridge, 10.244.0.0/16)
#
#  1 shim killed: get says Unknown (no IP), doctor flags it, delete stops
#    every process through the runtime's state and the pod's cgroups
#  2 shim killed: gc re-creates the sandbox (new netns, lease, RESTARTS 1,
#    lastState Unknown 255, SandboxChanged), networking works; a Never pod
#    ends Failed instead
#  3 gc in a loop while 12 pods are applied: every apply works
#  4 a /31, /32 or "banana" subnet: apply fails and leaves nothing; gc goes on
#    past pods it cannot re-create (and removes the other leftovers)
#  5 conflist removed after apply: delete releases the lease via the cache
#  6 delete waits for the shim's exit, however long it takes
#  7 an ADD killed right after creating its lease index: DEL removes it
#  8 terminationGracePeriodSeconds: 9223372036854775807 waits, a 100-char
#    pod name gets kubelet's 63-char hostname, -f read errors say why,
#    empty input is kubectl's "no objects passed to apply"
#  9 a shim killed after its runtimes ran, before it read their pid files
#    (a kill at shim.runtimes-started on a loaded node): nothing is left,
#    the pid files in the runtime root either; gc removes one of no pod
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node

sb_of() { db "select sandbox_id from pods where name='$1'"; }
ip_of() { $P get pod "$1" -o jsonpath='{.status.podIP}'; }
shim_of() { jq -r .pid "$PODNET_ROOT/pods/$(db "select uid from pods where name='$1'")/shim.json"; }
no_leaks() {
	local l
	l=$(node_leaks)
	if [ -z "$l" ]; then t_pass "$1"; else t_fail "$1"; echo "$l" | head -20 | sed 's/^/#   /'; fi
}

# --- 1. a dead shim does not make the pod undeletable ---------------------
pod_yaml x 2 >"$T/x.yaml"
t_ok "apply x (2 containers)" $P apply -f "$T/x.yaml"
note_uids
shim=$(shim_of x)
t_ok "kill -9 the shim of x (pid $shim)" kill -9 "$shim"
wait_for 5 pid_gone "$shim"
t_match "$($P get pod x --no-headers -o wide)" "^x +0/2 +Unknown +0 .* <none> " "get: 0/2 Unknown, no IP"
t_match "$($P doctor x 2>&1)" "the shim of x \(pid $shim\) is gone: its sandbox died" "doctor flags the dead shim"
t_is "$(pgrep -cxf "sleep $MARK")" "2" "its containers still run without the shim"
t_is "$(rc_out $P delete pod x)" '0:pod "x" deleted' "delete pod x"
no_leaks "nothing of x is left: processes, cgroups, runtime state, netns, lease"

# --- 2. gc re-creates a dead sandbox -----------------------------------------
cat >"$T/yz.yaml" <<YAML
$(pod_yaml py 1)
---
apiVersion: v1
kind: Pod
metadata: { name: pz }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: web, image: host, command: [busybox, httpd, -f, -p, "80", -h, /etc] }
  - { name: c1, image: host, command: [sleep, "$MARK"] }
---
apiVersion: v1
kind: Pod
metadata: { name: once }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c1, image: host, command: [sleep, "$MARK"] }
YAML
t_ok "apply py, pz, once" $P apply -f "$T/yz.yaml"
note_uids
oldsb=$(sb_of py) oldip=$(ip_of py) shim=$(shim_of py) shim2=$(shim_of once)
kill -9 "$shim" "$shim2"
wait_for 5 pid_gone "$shim"
wait_for 5 pid_gone "$shim2"
t_is "$($P gc)" "removed 0 leftover object(s)
re-created 1 pod sandbox(es)" "gc re-creates py's sandbox (and ends once's)"
t_match "$($P get pod py --no-headers)" "^py +1/1 +Running +1 \([0-9]+s ago\) " "py: 1/1 Running, RESTARTS 1"
t_match "$(sb_of py)" "^[0-9a-f]{64}$" "py has a sandbox id"
t_ok "a new sandbox id" test "$(sb_of py)" != "$oldsb"
$P get pod py -o json >"$T/y.json"
t_is "$(jq -r '.status.containerStatuses[0] | "\(.lastState.terminated.exitCode) \(.lastState.terminated.reason) \(.restartCount)"' "$T/y.json")" \
	"255 Unknown 1" "lastState: terminated 255 Unknown, restartCount 1"
t_match "$($P describe pod py | grep SandboxChanged)" \
	"Normal +SandboxChanged .*Pod sandbox changed, it will be killed and re-created: its shim \(pid $shim\) is gone$" "event SandboxChanged"
newip=$(ip_of py)
t_match "$newip" "^10\.244\.[0-9]+\.[0-9]+$" "py has an IP again ($oldip -> $newip)"
zip=$(ip_of pz)
t_is "$($P exec py -c c1 -- curl -sS --max-time 5 "http://$zip/hostname")" "pz" "py reaches pz over the network"
t_is "$(ls /var/lib/cni/networks/podnet | grep -cE '^[0-9.]+$')" "2" "two leases (py, pz): py's old one was released"
t_is "$($P get pod once -o jsonpath='{.status.phase} {.status.containerStatuses[0].state.terminated.reason}')" \
	"Failed Unknown" "a Never pod whose sandbox died ends Failed (Unknown)"
t_empty "and has no IP" $P get pod once -o jsonpath='{.status.podIP}' 
t_ok "once has no netns left" test ! -e "$(db "select netns_path from pods where name='once'")"
t_ok "delete py pz once" $P delete pod py pz once
no_leaks "after re-creation and delete: nothing left"

# --- 3. gc racing apply ------------------------------------------------------
( while :; do $P gc >/dev/null 2>&1; done ) &
gcloop=$!
on_cleanup "kill $gcloop"
fails=0
for i in $(seq 1 12); do
	pod_yaml "r$i" 1 >"$T/r.yaml"
	$P apply -f "$T/r.yaml" >"$T/r.out" 2>&1 || { fails=$((fails + 1)); sed 's/^/#   /' "$T/r.out"; }
done
kill "$gcloop"; wait "$gcloop" 2>/dev/null
t_is "$fails" "0" "12 applies with gc in a loop: none fails"
note_uids
no_leaks "12 pods whole, nothing else"
t_ok "delete r1..r12" $P delete pod $(seq -f 'r%g' 1 12)
no_leaks "all gone"

# --- 4. a bad CNI configuration neither sticks a pod nor blocks gc ----------
cp "$T/net.d/10-podnet.conflist" "$T/good.conflist"
bad() { jq --arg s "$1" '.plugins[0].ipam.ranges = [[{subnet: $s}]]' "$T/good.conflist" >"$T/net.d/10-podnet.conflist"; }
for s in 10.9.0.0/31 10.9.0.0/32 banana; do
	bad "$s"
	pod_yaml b 1 >"$T/b.yaml"
	out=$($P apply -f "$T/b.yaml" 2>&1)
	t_match "$?:$out" "^1:error: network for pod \"b\" \(CNI network podnet\): .*subnet" "subnet $s: apply fails naming the subnet"
	t_is "$($P get pods 2>&1)" "No resources found in default namespace." "subnet $s: no pod left behind"
	no_leaks "subnet $s: nothing left behind"
done
cp "$T/good.conflist" "$T/net.d/10-podnet.conflist"
pod_yaml u 1 >"$T/u.yaml"
pod_yaml v 1 >"$T/v.yaml"
$P apply -f "$T/u.yaml" -f "$T/v.yaml" >/dev/null
note_uids
kill -9 "$(shim_of u)" "$(shim_of v)"
bad 10.9.0.0/31
ip netns add cni-00000000-0000-4000-8000-0000000000aa
out=$($P gc 2>&1)
t_match "$?:$out" '^1:.*re-creating the sandbox of pod [uv]:.*too small' "gc with a broken config: exit 1, says which pod and why"
t_match "$out" "podnet\[[0-9]+\]: warning: gc: re-creating the sandbox of pod [uv]" "and goes on to the other pod"
t_ok "and removes the stray netns pin all the same" test ! -e /run/netns/cni-00000000-0000-4000-8000-0000000000aa
cp "$T/good.conflist" "$T/net.d/10-podnet.conflist"
t_is "$($P gc 2>&1 | tail -1)" "re-created 2 pod sandbox(es)" "config repaired: gc re-creates both"
no_leaks "u, v whole again"
t_ok "delete u v" $P delete pod u v

# --- 5. the conflist removed after apply -----------------------------------
pod_yaml w 1 >"$T/w.yaml"
$P apply -f "$T/w.yaml" >/dev/null
rm "$T/net.d/10-podnet.conflist"
t_is "$(rc_out $P delete pod w)" '0:pod "w" deleted' "delete w without its conflist"
t_is "$(ls /var/lib/cni/networks/podnet | grep -cE '^[0-9.]+$')" "0" "its lease is released (DEL ran with the cached config)"
t_is "$(ls /var/lib/cni/results | grep -c .)" "0" "its cache entry is gone"
no_leaks "nothing of w left"
cp "$T/good.conflist" "$T/net.d/10-podnet.conflist"

# --- 6. delete waits for the shim's exit -------------------------------------
# The shim stalls 17 s in its last stop step (a pod of hundreds of
# containers takes that long): delete used to give up after grace + 15 s.
pod_yaml s 2 0 >"$T/s.yaml"
PODNET_FAULT=shim.stop-finish:sleep=17 $P apply -f "$T/s.yaml" >/dev/null
note_uids
t0=$SECONDS
t_is "$(rc_out $P delete pod s)" '0:pod "s" deleted' "delete s"
t_ok "delete returned after the shim exited ($((SECONDS - t0)) s >= 17 s)" test $((SECONDS - t0)) -ge 17
no_leaks "nothing of s left when delete returns"

# --- 7. an ADD killed right after creating its lease index -----------------
pod_add fault7
jq '{cniVersion: "1.0.0", name: "podnet", type: "podnet-bridge", bridge: "podnet0", ipam: .plugins[0].ipam}' \
	"$T/good.conflist" >"$T/one.conf"
PODNET_FAULT=ipam.add.index-created cni podnet-bridge ADD f7 /run/netns/fault7 eth0 "$T/one.conf"
t_is "$CNI_RC" "137" "ADD killed at ipam.add.index-created"
t_is "$(ls /var/lib/cni/networks/podnet/by-attachment)" "f7-eth0" "it left its index"
cni podnet-bridge DEL f7 /run/netns/fault7 eth0 "$T/one.conf"
t_is "$CNI_RC:$(ls /var/lib/cni/networks/podnet/by-attachment | grep -c .)" "0:0" "DEL removes the index (and exits 0)"
ip netns delete fault7

# --- 8. small ones -----------------------------------------------------------
cat >"$T/g.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: g }
spec:
  terminationGracePeriodSeconds: 9223372036854775807
  containers:
  - { name: c1, image: host, command: [sh, -c, 'trap "exit 7" TERM; while :; do sleep 0.1; done'] }
YAML
$P apply -f "$T/g.yaml" >/dev/null
note_uids
sleep 0.5
kill -TERM "$(shim_of g)"
g_exit() { $P get pod g -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}'; }
g_exited() { [ "$(g_exit)" != "" ]; }
wait_for 10 g_exited
t_is "$(g_exit)" "7" \
	"grace 9223372036854775807: SIGTERM, no SIGKILL (exit 7 from the trap)"
t_ok "delete g returns" timeout 30 $P delete pod g
name=$(printf 'a%.0s' $(seq 1 100))
pod_yaml "$name" 1 >"$T/long.yaml"
t_ok "a pod named with 100 characters starts" $P apply -f "$T/long.yaml"
t_is "$($P exec "$name" -c c1 -- hostname)" "$(printf 'a%.0s' $(seq 1 63))" "its hostname: the first 63 (kubelet)"
t_ok "delete it" $P delete pod "$name"
mkdir "$T/adir"
t_is "$(rc_out $P apply -f "$T/adir")" "1:error: error reading [$T/adir]: recognized file extensions are [.json .yaml .yml]" "-f DIR with no manifest: kubectl's error"
t_is "$(rc_out timeout 20 $P apply -f /dev/zero)" "1:error: read /dev/zero: larger than 64 MiB, the most a manifest may have" "-f /dev/zero: bounded, says why"
t_is "$(rc_out $P apply -f "$T/nope.yaml")" "1:error: the path \"$T/nope.yaml\" does not exist" "-f missing: does not exist"
: >"$T/empty.yaml"
t_is "$(rc_out $P apply -f "$T/empty.yaml")" "1:error: no objects passed to apply" "empty file: kubectl's error"
t_is "$(echo '# nothing' | rc_out $P apply -f -)" "1:error: no objects passed to apply" "comments only on stdin: the same"

# --- 9. a shim killed between its runtimes' exit and its reading their pid files
# Under load a kill at shim.runtimes-started lands there (the runtimes were
# quicker than the shim); here the shim stalls at that point until its
# runtimes are done, and is killed then.
npid() { ls "$PODNET_ROOT/runtime" 2>/dev/null | grep -c '\.pid$'; }
three_pid_files() { [ "$(npid)" = 3 ]; }
pod_yaml k 3 >"$T/k.yaml"
PODNET_FAULT=shim.runtimes-started:sleep=120 $P apply -f "$T/k.yaml" >"$T/k.out" 2>&1 &
apply=$!
wait_for 60 three_pid_files
settle
note_uids
t_is "$(npid)" "3" "apply k (3 containers), its shim stalled after its runtimes ran: 3 pid files"
kshim=$(pgrep -o -f "podnet-shim .*--pod-uid $(db "select uid from pods where name='k'")")
t_ok "kill -9 that shim (pid $kshim)" kill -9 "$kshim"
wait "$apply"
t_is "$?:$(cat "$T/k.out")" '1:error: pod "k" did not start: podnet-shim failed' "apply k fails"
settle
t_ok "gc" $P gc
t_empty "no runtime state and no pid file is left" ls -A "$PODNET_ROOT/runtime"
no_leaks "nothing of k is left"
echo 4242 >"$PODNET_ROOT/runtime/$(printf 'f%.0s' $(seq 1 64)).pid"
t_match "$($P gc)" "^removed 1 leftover object" "gc removes a pid file of no pod"
t_empty "and it is gone" ls -A "$PODNET_ROOT/runtime"

no_leaks "the node is clean at the end"
t_done
