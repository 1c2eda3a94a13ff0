#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A pod's life through podnet, in a throwaway node:
#
#   crash  (OnFailure, exits 3)  -> CrashLoopBackOff/Error, RESTARTS >= 1, logs --previous
#   never  (Never, exits 3)      -> Error, phase Failed, exitCode 3
#   done   (Never, exits 0)      -> Completed, phase Succeeded
#   talk   (Never, prints, exits) -> logs -f ends by itself
#   pod1   (examples/pod1.yaml)  -> -o name|json|yaml, -A, -l, describe
#   web    in Namespace "team"   -> get namespaces, get pods -n team
#   hn     (hostNetwork)         -> the node's netns, no cni- pin
#   kp     (3 containers)        -> `apply` killed with SIGKILL half-way; gc and delete finish it
#   p1..p4                       -> applied and deleted in parallel
#
# Every wait is bounded; the pods have terminationGracePeriodSeconds: 1.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod crash never done talk pod1 hn kp p1 p2 p3 p4; $P delete pod web -n team; $P gc"

# Containers that must be gone at the end sleep for $MARK seconds: the
# throwaway node shares the host's PID namespace, so only this test's own
# processes may be counted.
MARK=$((900000 + $$))

# pod NAME POLICY CMD: a one-container pod running `sh -c CMD`.
pod() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, labels: { app: $1 } }
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c, image: host, command: [sh, -c, '$3'] }
YAML
}

status_is() { [[ "$($P get pod "$1" --no-headers 2>/dev/null | awk '{print $3}')" =~ ^($2)$ ]]; }
restarted() { [ "$($P get pod "$1" -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ]; }

# --- restartPolicy ------------------------------------------------------
{
	pod crash OnFailure 'echo out; echo err >&2; exit 3'
	echo ---
	pod never Never 'echo out; echo err >&2; exit 3'
	echo ---
	pod done Never 'exit 0'
} >"$T/policy.yaml"
t_ok "apply crash, never, done" $P apply -f "$T/policy.yaml"
t_ok "OnFailure, exit 3: CrashLoopBackOff or Error within 10 s" wait_for 10 status_is crash 'CrashLoopBackOff|Error'
t_ok "and RESTARTS >= 1" wait_for 10 restarted crash
t_match "$($P get pod crash --no-headers)" "^crash +0/1 +(CrashLoopBackOff|Error) +[1-9][0-9]* \([0-9]+s ago\) +[0-9]+s$" "crash row: RESTARTS with kubectl's (Ns ago)"
t_ok "Never, exit 3: Error" wait_for 10 status_is never Error
t_is "$($P get pod never -o jsonpath='{.status.phase}')" "Failed" "Never, exit 3: phase Failed"
$P get pod never -o json >"$T/never.json"
t_is "$(jq -r '.status.containerStatuses[0].state.terminated.exitCode' "$T/never.json")" "3" "exit code 3 in .state.terminated.exitCode"
t_is "$(jq -r '.status.containerStatuses[0].state.terminated.reason' "$T/never.json")" "Error" "terminated reason Error"
t_ok "Never, exit 0: Completed" wait_for 10 status_is done Completed
t_is "$($P get pod done -o jsonpath='{.status.phase}')" "Succeeded" "Never, exit 0: phase Succeeded"

# --- logs -----------------------------------------------------------------
logs=$($P logs never)
t_is "$(echo "$logs" | sort | tr '\n' ' ')" "err out " "logs: stdout and stderr lines, no CRI prefix"
t_is "$($P logs never -c c | grep -c .)" "2" "logs -c c"
t_match "$($P logs never -c nope 2>&1)" "container nope is not valid for pod never" "logs -c of a missing container"
t_is "$($P logs crash --previous | sort | tr '\n' ' ')" "err out " "logs --previous after a restart"
t_match "$($P logs done --previous 2>&1)" 'previous terminated container "c" in pod "done" not found' "logs --previous without a restart: kubectl's error"
pod talk Never 'echo one; sleep 1; echo two' >"$T/talk.yaml"
t_ok "apply talk" $P apply -f "$T/talk.yaml"
start=$SECONDS
out=$(timeout 15 $P logs -f talk)
rc=$?
t_is "$rc:$(echo $out)" "0:one two" "logs -f follows until the container exits, and ends by itself"
t_ok "logs -f returned within 10 s" test $((SECONDS - start)) -lt 10

# --- output formats -------------------------------------------------------
t_ok "apply pod1" $P apply -f "$ROOT/examples/pod1.yaml"
t_ok "pod1 Running" wait_for 10 status_is pod1 Running
t_is "$($P get pod pod1 -o name)" "pod/pod1" "-o name"
t_is "$($P get pods -o name -l app=pod1)" "pod/pod1" "-o name -l app=pod1: one pod"
$P get pod pod1 -o json >"$T/pod1.json"
t_ok "-o json parses" jq -e . "$T/pod1.json"
t_match "$(jq -r .metadata.uid "$T/pod1.json")" "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$" ".metadata.uid is a UUID"
t_match "$(jq -r .metadata.creationTimestamp "$T/pod1.json")" "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" ".metadata.creationTimestamp in RFC 3339"
ip1=$($P get pod pod1 -o jsonpath='{.status.podIP}')
t_is "$(jq -r '.status.podIPs[0].ip' "$T/pod1.json")" "$ip1" ".status.podIPs[0].ip is the pod IP"
t_is "$(jq -r '.status.containerStatuses[].containerID' "$T/pod1.json" | grep -cE '^podnet://[0-9a-f]{64}$')" "3" "three containerIDs podnet://<64 hex>"
t_is "$(jq -r '.status.containerStatuses | map(.state | keys[0]) | join(",")' "$T/pod1.json")" "running,running,running" "containers running in -o json"
$P get pod pod1 -o yaml >"$T/pod1.yaml"
t_is "$(head -1 "$T/pod1.yaml")" "apiVersion: v1" "-o yaml starts with apiVersion: v1"
t_ok "-o yaml has kind, metadata.name, status.podIP" \
	bash -c "grep -qx 'kind: Pod' $T/pod1.yaml && grep -qx '  name: pod1' $T/pod1.yaml && grep -qx '  podIP: $ip1' $T/pod1.yaml"
$P get pods -o yaml >"$T/list.yaml"
t_ok "-o yaml of the list: kind List, items" bash -c "grep -qx 'kind: List' $T/list.yaml && grep -qx 'items:' $T/list.yaml"
t_is "$($P get pods -l app=pod1 --no-headers | awk '{print $1}')" "pod1" "-l app=pod1 filters"
t_is "$($P get pods -l 'app!=pod1' -o name | sort | tr '\n' ' ')" "pod/crash pod/done pod/never pod/talk " "-l app!=pod1"

# Namespaces.
cat >"$T/team.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: { name: team }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: team }
spec:
  terminationGracePeriodSeconds: 1
  containers: [ { name: c, image: host, command: [sleep, infinity] } ]
YAML
t_is "$($P apply -f "$T/team.yaml")" "namespace/team created
pod/web created" "apply a Namespace and a pod in it"
t_match "$($P get namespaces | grep '^team ')" "^team +Active +[0-9]+s$" "get namespaces lists team Active"
t_match "$($P get pods -n team --no-headers)" "^web +1/1 +Running +0 +[0-9]+s$" "get pods -n team"
t_is "$(count -m '^web ' $P get pods --no-headers)" "0" "get pods (default) does not list web"
t_match "$($P get pods -A | head -1)" "^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$" "-A adds the NAMESPACE column"
t_match "$($P get pods -A | grep ' web ')" "^team +web +1/1 +Running" "-A row of web"
t_ok "delete web -n team" $P delete pod web -n team

# --- bash completion (contrib/bash-completion/podnet) -----------------------
# complete WORDS...: what <TAB> after WORDS offers (the last word is the
# one being completed), one line, sorted.
complete_words() {
	bash -c '
		complete() { :; }
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_podnet
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$ROOT/contrib/bash-completion/podnet" "$@"
}
t_match "$(complete_words "$P" de)" "^delete describe $" "completion: commands"
t_is "$(complete_words "$P" get pods "")" "crash done never pod1 talk " "completion: pod names"
t_is "$(complete_words "$P" logs pod1 -c "")" "c1 c2 c3 " "completion: container names"
t_is "$(complete_words "$P" get pods -n "")" "default team " "completion: namespaces"
t_match "$(complete_words "$P" logs --p)" "^--prefix --previous $" "completion: a command's flags, from its help"

# --- describe -------------------------------------------------------------
d=$($P describe pod pod1)
echo "$d" | sed -n '1,16p' | sed 's/^/# /'
t_match "$(echo "$d" | sed -n 1p)" "^Name: +pod1$" "describe: Name"
t_match "$d" $'\nNamespace: +default\n' "describe: Namespace"
t_match "$d" $'\nIP: +'"${ip1//./\\.}"$'\n' "describe: IP"
t_match "$d" $'\nIPs:\n  IP: +'"${ip1//./\\.}"$'\n' "describe: IPs"
t_match "$d" $'\nContainers:\n  c1:\n    Container ID: +podnet://[0-9a-f]{64}\n' "describe: Containers, c1's Container ID"
t_is "$(echo "$d" | grep -cE '^    State: +Running$')" "3" "describe: State: Running x3"
t_is "$(echo "$d" | grep -cE '^    Restart Count: +0$')" "3" "describe: Restart Count x3"
t_match "$d" $'\nConditions:\n  Type +Status\n  Initialized +True \n' "describe: Conditions table"
t_match "$d" $'\nQoS Class: +BestEffort\nNode-Selectors: +<none>\nTolerations: +<none>\n' "describe: QoS, Node-Selectors, Tolerations"
dc=$($P describe pod crash)
t_match "$dc" $'\n    Last State: +Terminated\n      Reason: +Error\n      Exit Code: +3\n' "describe crash: Last State, Exit Code 3"
t_match "$dc" $'\n    Restart Count: +[1-9]' "describe crash: Restart Count >= 1"
t_match "$($P describe pod never)" $'\n    State: +Terminated\n      Reason: +Error\n      Exit Code: +3\n' "describe never: Terminated, Exit Code 3"
t_match "$($P describe pod ghost 2>&1)" 'pods "ghost" not found' "describe of a missing pod"
t_ok "delete crash never done talk" $P delete pod crash never done talk

# --- hostNetwork ----------------------------------------------------------
cat >"$T/hn.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: hn }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers: [ { name: h, image: host, command: [sleep, infinity] } ]
YAML
pins=$(count ip netns list)
made() { echo "dirs=$(count ls -A /var/lib/podnet/pods) mounts=$(grep -c ' /var/lib/podnet/' /proc/self/mountinfo)"; }
before=$(made)
out=$($P --runtime /nonexistent/oci apply -f "$T/hn.yaml" 2>&1)
t_match "$?:$out" "^1:.*/nonexistent/oci" "--runtime PATH that is no runtime: refused, named"
t_is "$(rc_out $P get pod hn)" '1:Error from server (NotFound): pods "hn" not found' "and no pod hn was created"
t_is "$(made)" "$before" "the failed apply left no pod dir and no rootfs mount"
t_match "$($P --runtime=runc info)" $'\nruntime: +runc ' "--runtime=runc reaches the library (podnet info)"
t_ok "apply a hostNetwork pod (--runtime runc)" $P --runtime runc apply -f "$T/hn.yaml"
t_ok "hn Running" wait_for 10 status_is hn Running
hpid=$($P inspect h | jq -r .info.pid)
t_match "$hpid" '^[1-9][0-9]*$' "inspect h gives its pid ($hpid)"
t_is "$(stat -L -c %i /proc/$hpid/ns/net)" "$(stat -L -c %i /proc/self/ns/net)" "hostNetwork container (pid $hpid) is in the node's netns"
t_is "$(count ip netns list)" "$pins" "no cni- netns made for it"
t_ok "delete hn" $P delete pod hn
t_ok "its process is gone" pid_gone "$hpid"

# --- apply killed half-way --------------------------------------------------
cat >"$T/kp.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: kp }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: k1, image: host, command: [sleep, "$MARK"] }
  - { name: k2, image: host, command: [sleep, "$MARK"] }
  - { name: k3, image: host, command: [sleep, "$MARK"] }
YAML
t_ok "delete pod1" $P delete pod pod1
t_is "$(leftovers)" "$NO_LEFTOVERS" "a clean node before the kill tests"
# kill_apply DELAY: start `apply kp`, SIGKILL it after DELAY seconds; true
# if that left kp half-made (ContainerCreating), else kp is removed.
kill_apply() {
	$P apply -f "$T/kp.yaml" >/dev/null 2>&1 &
	local ap=$!
	sleep "$1"
	kill -9 $ap 2>/dev/null
	wait $ap 2>/dev/null
	if status_is kp ContainerCreating; then
		echo "# apply killed after ${1}s: $($P get pod kp --no-headers | tr -s ' ')"
		return 0
	fi
	$P delete pod kp >/dev/null 2>&1
	return 1
}
# Early kills catch the netns and CNI steps, later ones a shim that has
# started some of the three containers: gc must finish every stage.  A
# kill after the pod was admitted but before its start was claimed leaves
# it pending with no owner: gc starts it then, as the node's kubelet
# would (podrt_gc), and it must come up whole (3/3 Running) and delete
# without a trace; a kill in any other stage is finished off as a delete.
caught=0 dirty=0 started=0
for d in 0.02 0.07 0.12 0.16 0.2; do
	kill_apply $d || continue
	caught=$((caught + 1))
	$P gc >"$T/gc.out" 2>&1
	if grep -q "^started 1 pending pod" "$T/gc.out"; then
		started=$((started + 1))
		wait_for 20 status_is kp Running ||
			{ dirty=1; echo "#   gc started kp, not Running: $($P get pod kp --no-headers | tr -s ' ')"; }
		$P delete pod kp >"$T/del.out" 2>&1 || { dirty=1; echo "#   delete kp: $(cat "$T/del.out")"; }
	elif ! grep -q "removed [1-9][0-9]* leftover object" "$T/gc.out"; then
		dirty=1
		echo "#   gc: $(cat "$T/gc.out")"
	fi
	[ "$(leftovers)" = "$NO_LEFTOVERS" ] || { dirty=1; echo "#   after gc: $(leftovers)"; }
done
t_ok "apply killed half-way ($caught of 5 delays caught it ContainerCreating, $started of them admitted and started by gc)" \
	test $caught -ge 1
t_is "$dirty" "0" "podnet gc after each: kp fully gone, or started whole and then deleted: no pod, netns pin, pod dir, CNI cache, lease or process left"
caught=0 dirty=0
for d in 0.04 0.14; do
	kill_apply $d || continue
	caught=$((caught + 1))
	[ "$($P delete pod kp 2>&1)" = 'pod "kp" deleted' ] || dirty=1
	[ "$(leftovers)" = "$NO_LEFTOVERS" ] || { dirty=1; echo "#   after delete: $(leftovers)"; }
done
t_ok "apply killed half-way again ($caught of 2)" test $caught -ge 1
t_is "$dirty" "0" "podnet delete of the half-made pod leaves nothing"

# --- concurrency ----------------------------------------------------------
for i in 1 2 3 4; do
	pod p$i Always "exec sleep $MARK" >"$T/p$i.yaml"
done
pids=()
for i in 1 2 3 4; do
	$P apply -f "$T/p$i.yaml" >"$T/apply-$i.out" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$?"; done
t_is "$rcs" "0000" "4 parallel applies succeed"
t_ok "all 4 Running" wait_for 10 bash -c "[ \$($P get pods --no-headers | grep -c ' Running ') = 4 ]"
ips=$(for i in 1 2 3 4; do $P get pod p$i -o jsonpath='{.status.podIP}{"\n"}'; done | sort -u | grep -c '^10\.')
t_is "$ips" "4" "4 distinct pod IPs"
t_is "$(count ip netns list)" "4" "4 netns pins"
pids=()
for i in 1 2 3 4; do
	$P delete pod p$i >"$T/delete-$i.out" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$?"; done
t_is "$rcs" "0000" "4 parallel deletes succeed"
t_is "$(leftovers)" "$NO_LEFTOVERS" "nothing left after the parallel deletes"
t_match "$($P get pods 2>&1)" "No resources found in default namespace\." "get pods is empty"
t_done
