#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writing through the API with the real kubectl, in a throwaway node:
# apply twice (unchanged), a changed label (configured), an immutable field
# (kube-apiserver's Forbidden), label/annotate (merge patch), patch
# (strategic, JSON patch), server-side apply with a conflict and force,
# --dry-run=server, --validate=strict, a malformed body, explain, run,
# namespaces.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod web ssa --grace-period=0; $P delete pod web -n team --grace-period=0"
t_ok "the node has an uplink address" node_nic
t_ok "podnetd starts" podnetd_start

cat >"$T/web.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c1
    image: host
    command: ["sleep", "infinity"]
EOF
t_is "$(k apply -f "$T/web.yaml")" "pod/web created" "apply: created"
t_is "$(k apply -f "$T/web.yaml")" "pod/web unchanged" "apply again: unchanged"
sed 's/app: web/app: web2/' "$T/web.yaml" >"$T/web2.yaml"
t_is "$(k apply -f "$T/web2.yaml")" "pod/web configured" "a changed label: configured"
t_is "$(k get pod web -o jsonpath='{.metadata.labels.app}')" "web2" "the label changed"
t_match "$(k get pod web -o jsonpath='{.metadata.annotations}')" "kubectl.kubernetes.io/last-applied-configuration" \
	"client-side apply keeps its last-applied annotation"
sed 's/sleep", "infinity/sleep", "99999/' "$T/web2.yaml" >"$T/web3.yaml"
out=$(k apply -f "$T/web3.yaml" 2>&1)
t_is "$(echo "$out" | head -1)" \
	'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)' \
	"an immutable field: kube-apiserver's Forbidden"
t_match "$out" "containers\[0\]\.command" "and the difference named"
t_is "$(k get pod web -o jsonpath='{.spec.containers[0].command}')" '["sleep","infinity"]' "nothing changed"

# Merge patches: label, annotate; strategic and JSON patches.
t_is "$(k label pod web tier=fe)" "pod/web labeled" "kubectl label"
t_is "$(k annotate pod web note=hello)" "pod/web annotated" "kubectl annotate"
t_is "$(k get pods -l 'tier in (fe,be)' -o name)" "pod/web" "the label selects it"
t_is "$(k label pod web tier-)" "pod/web unlabeled" "kubectl label KEY- removes it"
t_is "$(k patch pod web -p '{"metadata":{"labels":{"x":"1"}}}')" "pod/web patched" "strategic merge patch"
t_is "$(k patch pod web --type=json -p '[{"op":"remove","path":"/metadata/labels/x"}]')" "pod/web patched" "JSON patch"
t_is "$(k get pod web -o jsonpath='{.metadata.labels}')" '{"app":"web2"}' "labels after the patches"
t_match "$(k patch pod web --type=json -p '[{"op":"remove","path":"/metadata/labels/nope"}]' 2>&1)" \
	"remove operation does not apply: doc is missing path" "a JSON patch that does not apply"

# Strict validation, dry run, a malformed body.
sed 's/^  - name: c1$/  - name: c1\n    bogus: 1/' "$T/web.yaml" | sed 's/name: web$/name: strict/' >"$T/strict.yaml"
t_is "$(k apply -f "$T/strict.yaml" 2>&1)" \
	"Error from server (BadRequest): error when creating \"$T/strict.yaml\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].bogus\"" \
	"--validate=strict: an unknown field refused by the server"
t_is "$(k run dry --image=host --dry-run=server -- sleep 1)" "pod/dry created (server dry run)" "--dry-run=server"
t_match "$(k get pod dry 2>&1)" 'pods "dry" not found' "and nothing was made"
t_is "$(kcurl -X POST -H 'Content-Type: application/json' -d '{"kind":"Pod",' $API/api/v1/namespaces/default/pods | jq -r '.code, .reason')" \
	"$(printf '400\nBadRequest')" "a malformed body: 400 with a Status"

# Server-side apply.
cat >"$T/ssa.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: ssa
  labels:
    owner: ssa
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c1
    image: host
    command: ["sleep", "infinity"]
EOF
t_is "$(k apply --server-side -f "$T/ssa.yaml")" "pod/ssa serverside-applied" "apply --server-side"
t_is "$(k get pod ssa -o jsonpath='{.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation}')" \
	"kubectl Apply" "managedFields: kubectl Apply"
t_is "$(k label pod ssa owner=other --overwrite)" "pod/ssa labeled" "another manager changes the label"
out=$(k apply --server-side -f "$T/ssa.yaml" 2>&1)
t_match "$out" 'Apply failed with 1 conflict: conflict with "kubectl-label" using v1: \.metadata\.labels\.owner' \
	"a conflict with the other manager"
t_is "$(k apply --server-side --force-conflicts -f "$T/ssa.yaml")" "pod/ssa serverside-applied" "--force-conflicts"
t_is "$(k get pod ssa -o jsonpath='{.metadata.labels.owner}')" "ssa" "the applied value won"

# replace (PUT), set image (an allowed spec change), a stale resourceVersion.
k get pod web -o json | jq '.metadata.labels.replaced="yes"' >"$T/replace.json"
t_is "$(k replace -f "$T/replace.json")" "pod/web replaced" "kubectl replace"
t_is "$(k get pod web -o jsonpath='{.metadata.labels.replaced}')" "yes" "the replaced label"
t_match "$(k replace -f "$T/replace.json" 2>&1)" \
	'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again' \
	"a stale resourceVersion: 409 Conflict"
t_is "$(k set image pod/web c1=host:latest 2>&1)" "pod/web image updated" "kubectl set image"
t_is "$(k get pod web -o jsonpath='{.spec.containers[0].image}')" "host:latest" "the image in the spec"

# The node's labels; a namespace's.
node=$(k get nodes -o jsonpath='{.items[0].metadata.name}')
t_is "$(k label node "$node" disk=ssd)" "node/$node labeled" "kubectl label node"
t_is "$(k get nodes -l disk=ssd -o name)" "node/$node" "the node selected by its new label"
t_match "$(k patch node "$node" -p '{"spec":{"unschedulable":true}}' 2>&1)" \
	"podnetd lets only metadata.labels and metadata.annotations change" "other Node fields: refused"
t_is "$(k label namespace default env=dev)" "namespace/default labeled" "kubectl label namespace"
t_is "$(k get ns -l env=dev -o name)" "namespace/default" "the namespace selected by it"

# explain, namespaces.
t_match "$(k explain pod.spec)" "containers	<\[\]Container> -required-" "kubectl explain pod.spec"
t_is "$(k create namespace team)" "namespace/team created" "create namespace"
sed 's/name: web$/name: web\n  namespace: team/' "$T/web.yaml" >"$T/web-team.yaml"
t_is "$(k apply -f "$T/web-team.yaml")" "pod/web created" "a pod of the same name in another namespace"
t_match "$(k get pods -A)" "team +web " "get pods -A lists it with its namespace"
t_match "$(k delete namespace team --wait=false)" 'namespace "team" deleted' "delete the namespace"
t_match "$(k create -f "$T/web-team.yaml" 2>&1 | sed 's/web2/web/')" \
	'pods "web" is forbidden: unable to create new content in namespace team because it is being terminated|namespaces "team" not found' \
	"a terminating namespace takes no new pods"
t_done
