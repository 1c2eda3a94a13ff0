#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# apply and delete with kubectl's semantics (issue 10, "Pod lifecycle"), in
# a throwaway node.  Pods whose process ignores SIGTERM ("stubborn") make
# the grace period visible:
#
#   web            apply twice (unchanged), a label / annotation / image change
#                  (configured; the image change restarts that container on a
#                  root file system podnet mounted beforehand; an image that
#                  cannot be mounted is rolled back; a second change), an
#                  immutable field (kube-apiserver's Forbidden)
#   swapper        two image changes within the grace period: the first is
#                  released untaken, the container restarts once
#   quick, slow    grace 1 s and 8 s, deleted in one command through a pipe:
#                  quick's line arrives seconds before slow's (concurrent, unbuffered)
#   s01..s20       grace 2 s each, deleted in one command: well under the 40 s
#                  of one after another (the < 6 s of issue 10 is measured by
#                  bench/delete.sh: a loaded machine must not fail this test)
#   g, f, n, w     --grace-period=1, --force, --now, --wait=false
#
# Time is asserted only where it is deterministic: a lower bound (the grace
# period was waited for), or an upper bound far below what the wrong
# behaviour must take (the pod's own 30 s grace, 20 grace periods in a row).
#   team           a Namespace with two pods: delete ns team, delete -f
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0 --force; $P delete ns team team2 --grace-period=0 --force; $P gc"

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# stubborn NAME GRACE [LABEL]: a pod whose process ignores SIGTERM.
stubborn() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: $1, labels: { app: ${3:-stubborn} } }
spec:
  terminationGracePeriodSeconds: $2
  containers:
  - { name: main, image: host, command: [sh, -c, "trap '' TERM; while :; do sleep 1; done"] }
---
YAML
}
running() { [ "$($P get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }
wait_running() { for _ in $(seq 600); do running "$1" && return 0; sleep 0.1; done; return 1; }

# --- apply: create, unchanged, configured, Forbidden ----------------------
cat >"$T/web.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: a, image: host, command: [sleep, infinity] }
  - { name: b, image: host, command: [sleep, infinity] }
YAML
t_is "$($P apply -f "$T/web.yaml")" "pod/web created" "apply: created"
t_is "$(rc_out $P apply -f "$T/web.yaml")" "0:pod/web unchanged" "apply again: unchanged (it was AlreadyExists)"
sed 's/app: web/app: web2/' "$T/web.yaml" >"$T/web-label.yaml"
t_is "$(rc_out $P apply -f "$T/web-label.yaml")" "0:pod/web configured" "a changed label: configured"
t_is "$($P get pod web -o jsonpath='{.metadata.labels.app}')" "web2" "and the label is there"
sed 's/labels: { app: web2 }/labels: { app: web2 }, annotations: { note: hi }/' "$T/web-label.yaml" >"$T/web-ann.yaml"
t_is "$(rc_out $P apply -f "$T/web-ann.yaml")" "0:pod/web configured" "an added annotation: configured"
t_is "$($P get pod web -o jsonpath='{.metadata.annotations.note}')" "hi" "and the annotation is there"
b0=$($P inspect b | jq -r .status.id)
a0=$($P inspect a | jq -r .status.id)
sed 's/- { name: b, image: host,/- { name: b, image: "host:latest",/' "$T/web-ann.yaml" >"$T/web-image.yaml"
t_is "$(rc_out $P apply -f "$T/web-image.yaml")" "0:pod/web configured" "a container's image changed: configured"
t_is "$($P get pod web -o jsonpath='{.spec.containers[1].image}')" "host:latest" "and the spec says the new image"
restarted_b() { [ "$($P get pod web -o jsonpath='{.status.containerStatuses[1].restartCount}')" = 1 ] && running web; }
for _ in $(seq 600); do restarted_b && break; sleep 0.1; done
t_ok "that container restarted (restartCount 1), as kubelet does" restarted_b
t_ok "with a new container ID" test "$($P inspect b | jq -r .status.id)" != "$b0"
t_is "$($P inspect a | jq -r .status.id)" "$a0" "the other container kept running"
# podnet mounted the new image's root file system (a generation dir of the
# container, src/runtime/rootfs.h) before it told the shim, which only
# switched to it and released the first one.
pd=/var/lib/podnet/pods/$($P get pod web -o jsonpath='{.metadata.uid}')
bid=$(jq -r '.containers[1].id' "$pd/plan.json")
brootfs=$(jq -r '.containers[1].rootfs' "$pd/plan.json")
t_ok "b's new rootfs is in a generation dir of its container ($brootfs)" \
	bash -c '[[ $1 == $2/image.??????/rootfs ]]' _ "$brootfs" "$pd/containers/$bid"
t_ok "and mounted" mountpoint -q "$brootfs"
t_ok "the shim released b's first rootfs" test ! -e "$pd/containers/$bid/rootfs"
t_is "$(grep -c " $pd/containers/$bid/" /proc/self/mountinfo)" 1 "one mount left for b"
# An image that cannot be mounted (its files gone from the image store):
# a clear error, the spec and the plan as they were, b still running on
# its rootfs, nothing left behind.
mkdir -p "$T/img-broken/bin" && cp /bin/true "$T/img-broken/bin/"
t_ok "import an image" $P image import broken "$T/img-broken"
rm -rf /var/lib/podnet/images/broken:latest/rootfs
cp "$pd/plan.json" "$T/plan-before.json"
b1=$($P inspect b | jq -r .status.id)
sed 's/image: "host:latest",/image: broken,/' "$T/web-image.yaml" >"$T/web-broken.yaml"
$P apply -f "$T/web-broken.yaml" >"$T/broken.out" 2>&1
rc=$?
out=$(sed 's|/image\.[^/]*/|/image.XXXXXX/|' "$T/broken.out")
t_is "$rc:$out" "1:error: container \"b\": cannot mount overlay of \"broken:latest\" on $pd/containers/$bid/image.XXXXXX/rootfs" \
	"an unmountable image: the mount's error"
t_is "$($P get pod web -o jsonpath='{.spec.containers[1].image}')" "host:latest" "the spec keeps the old image"
t_ok "the plan is the old one" cmp -s "$pd/plan.json" "$T/plan-before.json"
t_is "$($P inspect b | jq -r .status.id)" "$b1" "b kept running (same container ID)"
t_is "$(ls -d "$pd/containers/$bid"/image.* | wc -l):$(grep -c " $pd/containers/$bid/" /proc/self/mountinfo)" \
	"1:1" "no generation dir nor mount left of the failed change"
# A second change: the shim releases the first change's generation dir.
t_is "$(rc_out $P apply -f "$T/web-ann.yaml")" "0:pod/web configured" "b back to image host: configured"
restarted_b2() { [ "$($P get pod web -o jsonpath='{.status.containerStatuses[1].restartCount}')" = 2 ] && running web; }
for _ in $(seq 600); do restarted_b2 && break; sleep 0.1; done
t_ok "b restarted again (restartCount 2)" restarted_b2
brootfs2=$(jq -r '.containers[1].rootfs' "$pd/plan.json")
t_ok "on a new generation dir ($brootfs2)" test "$brootfs2" != "$brootfs" -a -d "$brootfs2"
t_is "$(ls -d "$pd/containers/$bid"/image.* | wc -l):$(grep -c " $pd/containers/$bid/" /proc/self/mountinfo)" \
	"1:1" "the first change's generation dir and mount released by the shim"
sed 's/command: \[sleep, infinity\] }/command: [sleep, "99"] }/' "$T/web-image.yaml" >"$T/web-cmd.yaml"
out=$($P apply -f "$T/web-cmd.yaml" 2>&1)
rc=$?
t_is "$rc:$(echo "$out" | head -1)" '1:The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' \
	"a changed command: kube-apiserver's Forbidden"
t_is "$($P get pod web -o jsonpath='{.spec.containers[0].command[1]}')" "infinity" "and nothing changed"

# --- an image change superseded before the shim took it ------------------
# swapper ignores SIGTERM for its 5 s grace period: the first change waits
# for it, the second replaces it, and only the second is ever run.
stubborn swapper 5 >"$T/swapper.yaml"
t_ok "apply swapper" $P apply -f "$T/swapper.yaml"
t_ok "swapper runs" wait_running swapper
spd=/var/lib/podnet/pods/$($P get pod swapper -o jsonpath='{.metadata.uid}')
sid=$(jq -r '.containers[0].id' "$spd/plan.json")
sed 's/image: host,/image: "host:latest",/' "$T/swapper.yaml" >"$T/swapper2.yaml"
t_is "$(rc_out $P apply -f "$T/swapper2.yaml")" "0:pod/swapper configured" "a first image change"
first=$(jq -r '.containers[0].rootfs' "$spd/plan.json")
t_is "$(rc_out $P apply -f "$T/swapper.yaml")" "0:pod/swapper configured" "a second one within the grace period"
second=$(jq -r '.containers[0].rootfs' "$spd/plan.json")
swapped() { [ "$($P get pod swapper -o jsonpath='{.status.containerStatuses[0].restartCount}')" = 1 ] && running swapper; }
for _ in $(seq 600); do swapped && break; sleep 0.1; done
t_ok "one restart (restartCount 1), after the grace period" swapped
t_ok "the superseded change's rootfs was released, never used" test ! -e "$(dirname "$first")" -a "$first" != "$second"
t_is "$(ls -d "$spd/containers/$sid"/image.* | wc -l):$(grep -c " $spd/containers/$sid/" /proc/self/mountinfo):$(test -e "$spd/containers/$sid/rootfs" && echo first-left)" \
	"1:1:" "one generation dir, one mount: the second change's; the first rootfs released"
t_ok "delete swapper" $P delete pod swapper --grace-period=0 --force
t_is "$(grep -c " $spd/" /proc/self/mountinfo)" 0 "no mount of its left"

# --- delete: concurrent, each line as it happens (through a pipe) ----------
{ stubborn quick 1; stubborn slow 8; } | $P apply -f - >/dev/null
t_ok "quick and slow run" bash -c "$(declare -f running wait_running); P=$P; wait_running quick && wait_running slow"
start=$(date +%s%N)
$P delete pod slow quick | while IFS= read -r line; do echo "$(ms_since "$start") $line"; done >"$T/lines"
t_is "$(awk '{print $2, $3, $4}' "$T/lines" | tr '\n' ',')" 'pod "quick" deleted,pod "slow" deleted,' "quick's line first, in the order they went"
q=$(awk 'NR==1{print $1}' "$T/lines")
s=$(awk 'NR==2{print $1}' "$T/lines")
# Held back in a pipe's buffer, both lines would arrive together at exit.
t_ok "quick's line came through the pipe seconds before slow's (${q} ms, ${s} ms)" test $((s - q)) -ge 3000
t_ok "slow was given its grace period (${s} ms >= 7900)" test "$s" -ge 7900

# --- 20 pods with 2 s grace, deleted in one command --------------------------
for i in $(seq -w 1 20); do stubborn "s$i" 2 many; done >"$T/many.yaml"
t_ok "apply 20 stubborn pods" $P apply -f "$T/many.yaml"
ok_all() { for i in $(seq -w 1 20); do running "s$i" || return 1; done; }
for _ in $(seq 600); do ok_all && break; sleep 0.2; done
t_ok "all 20 Running" ok_all
start=$(date +%s%N)
out=$($P delete pods -l app=many)
ms=$(ms_since "$start")
t_is "$(echo "$out" | grep -c '^pod "s[0-9]*" deleted$')" "20" "20 deleted lines"
# One after another they take 20 grace periods (40 s) at least; bench/delete.sh
# measures the real figure (issue 10: < 6 s).
t_ok "20 pods with 2 s grace deleted together in ${ms} ms (< 30000)" test "$ms" -lt 30000
t_ok "and at least the grace period (${ms} ms >= 1900)" test "$ms" -ge 1900
t_match "$($P get pods -l app=many 2>&1)" "^No resources found in default namespace\.$" "none is left"

# --- delete flags -------------------------------------------------------------
{ stubborn g 30; stubborn f 30; stubborn nw 30; stubborn w 30; } | $P apply -f - >/dev/null
for p in g f nw w; do wait_running $p; done
start=$(date +%s%N)
t_is "$(rc_out $P delete pod g --grace-period=1)" '0:pod "g" deleted' "delete --grace-period=1"
ms=$(ms_since "$start")
t_ok "took 1 s, not the pod's 30 (${ms} ms)" test "$ms" -ge 900 -a "$ms" -lt 20000
start=$(date +%s%N)
t_is "$(rc_out $P delete pod f --force)" '0:Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.
pod "f" force deleted' "delete --force: kubectl's warning, force deleted"
t_ok "without the pod's 30 s grace ($(ms_since "$start") ms)" test "$(ms_since "$start")" -lt 20000
start=$(date +%s%N)
t_is "$(rc_out $P delete pod/nw --now)" '0:pod "nw" deleted' "delete pod/nw --now"
t_ok "--now is one second, not the pod's 30 ($(ms_since "$start") ms)" test "$(ms_since "$start")" -lt 20000
start=$(date +%s%N)
t_is "$(rc_out $P delete pod w --wait=false)" '0:pod "w" deleted' "delete --wait=false"
t_ok "returns before the pod's 30 s grace ($(ms_since "$start") ms)" test "$(ms_since "$start")" -lt 20000
t_match "$($P get pod w --no-headers 2>&1)" '^w +[01]/1 +Terminating ' "w is Terminating meanwhile"
t_is "$(rc_out $P delete pod x --now --grace-period=3)" "1:error: --now and --grace-period cannot be specified together" "--now with --grace-period: kubectl's error"
t_is "$(rc_out $P delete pod x --force --grace-period=3)" "1:error: --force and --grace-period greater than 0 cannot be specified together" "--force with a grace period: kubectl's error"
t_is "$(rc_out $P delete pods --all -l app=x)" "1:error: cannot set --all and --selector at the same time" "--all with -l: kubectl's error"
t_is "$(rc_out $P delete pods)" "1:error: resource(s) were provided, but no name was specified" "delete pods without a name: kubectl's error"
t_is "$(rc_out $P delete pod ghost)" '1:Error from server (NotFound): pods "ghost" not found' "a missing pod: NotFound"
t_empty "--ignore-not-found" $P delete pod ghost --ignore-not-found
gc_done() { $P gc >/dev/null; ! $P get pod w >/dev/null 2>&1; }
for _ in $(seq 200); do gc_done && break; sleep 0.5; done
t_ok "after its grace period gc finishes w" gc_done

# --- namespaces ---------------------------------------------------------------
team() {
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: %s }\n---\n' "$1"
	stubborn web 1 | sed "s/name: web,/name: web, namespace: $1,/"
	stubborn db 1 | sed "s/name: db,/name: db, namespace: $1,/"
}
team team >"$T/team.yaml"
t_is "$($P apply -f "$T/team.yaml")" "namespace/team created
pod/web created
pod/db created" "apply a namespace with two pods"
t_is "$($P apply -f "$T/team.yaml")" "namespace/team unchanged
pod/web unchanged
pod/db unchanged" "again: unchanged"
t_is "$(rc_out $P delete ns team)" '0:namespace "team" deleted' "delete ns team"
t_is "$(rc_out $P get ns team)" '1:Error from server (NotFound): namespaces "team" not found' "the namespace is gone"
t_match "$($P get pods -n team 2>&1)" '^No resources found in team namespace\.$' "and so are its pods"
team team2 >"$T/team2.yaml"
$P apply -f "$T/team2.yaml" >/dev/null
out=$($P delete -f "$T/team2.yaml")
t_is "$?:$(echo "$out" | head -1)" '0:namespace "team2" deleted' "delete -f of a Namespace deletes it (it was silently kept)"
t_is "$(echo "$out" | tail -n +2 | sort | tr '\n' ',')" 'pod "db" deleted,pod "web" deleted,' "and the file's pods in it"
t_is "$(rc_out $P get ns team2)" '1:Error from server (NotFound): namespaces "team2" not found' "team2 is gone"
t_is "$(rc_out $P delete ns default)" '1:Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted' "delete ns default: Forbidden"
t_done
