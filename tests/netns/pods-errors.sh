#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bad manifests and arguments to podnet: each gets kubectl's message (the
# expected text is the first line of each tests/data/manifests/bad-*.yaml),
# a non-zero exit, and leaves nothing behind: no pod row, no netns pin, no
# pod directory, no lease.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d
P=$BIN/podnet

# No netns pin, no pod directory (none at all is none), and `get pods -A`
# succeeds listing nothing.
nothing_made() {
	local pins dirs=0 pods
	pins=$(count ip netns list)
	[ -d /var/lib/podnet/pods ] && dirs=$(count ls -A /var/lib/podnet/pods)
	pods=$(count $P get pods -A)
	[ "$pins" = 0 ] && [ "$dirs" = 0 ] && [ "$pods" = 0 ] && return 0
	echo "#   left behind: $pins netns, $dirs pod dirs, $pods pods"
	return 1
}

for f in "$ROOT"/tests/data/manifests/bad-*.yaml; do
	# The first line holds the message, with \n and \\ escaped; compare its first line.
	want=$(head -1 "$f" | sed 's/^# expect: //; s/\\n.*//; s/\\\\/\\/g')
	out=$(cd "$(dirname "$f")" && $P apply -f "$(basename "$f")" 2>&1)
	rc=$?
	if [ -n "$want" ] && [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] && nothing_made; then
		t_pass "$(basename "$f" .yaml): refused with kubectl's message"
	else
		t_fail "$(basename "$f" .yaml): exit $rc"
		echo "#   want: $want"; echo "#   got:  $out" | head -3
	fi
done

# Ten bad ports: kubectl's message lists all ten field errors, one bullet
# each (over 1 KiB, past the 511 bytes an error message once held).
{
	printf 'apiVersion: v1\nkind: Pod\nmetadata: { name: ports }\nspec:\n'
	printf '  containers:\n  - name: c\n    image: host\n    ports:\n'
	for i in $(seq 0 9); do printf '    - containerPort: %d\n' $((70000 + i)); done
} >"$T/ports.yaml"
want='The Pod "ports" is invalid: '
for i in $(seq 0 9); do
	want+=$'\n'"* spec.containers[0].ports[$i].containerPort: Invalid value: $((70000 + i)): must be between 1 and 65535, inclusive"
done
out=$($P apply -f "$T/ports.yaml" 2>&1)
t_is "$?:$out" "1:$want" "ten bad ports: all ten causes printed, the last one whole"
t_is "$(grep -c 'containerPort: Invalid value' <<<"$out")" 10 "  ten bullets"
t_ok "nothing created for the bad ports" nothing_made

# One bad document among good ones: nothing of the file is created.
cat "$ROOT/examples/pod2.yaml" "$ROOT/tests/data/manifests/bad-dup-container.yaml" >"$T/mixed.yaml"
t_notok "a file with one bad document is refused" $P apply -f "$T/mixed.yaml"
t_ok "and its good pod was not created" nothing_made

cat >"$T/noimage.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: noimg }
spec:
  containers: [ { name: c, image: "nginx:1.25", command: [sleep, "1"] } ]
YAML
out=$($P apply -f "$T/noimage.yaml" 2>&1)
t_is "$?:$out" '1:error: image "nginx:1.25" not found: import it with "podnet image import nginx:1.25 FILE|DIR"' "unknown image: names podnet image import"
t_ok "nothing created for an unknown image" nothing_made

t_match "$(rc_out $P apply -f /nonexistent.yaml)" '^1:error: the path "/nonexistent.yaml" does not exist' "missing file named"
t_match "$(rc_out $P apply)" "^1:error: must specify one of -f" "apply without -f"
t_match "$(rc_out $P get deployments)" "^1:error: the server doesn't have a resource type \"deployments\"" "unknown resource type"
t_match "$(rc_out $P get pods -o foo)" "^1:.*allowed formats are" "unknown output format"
t_match "$(rc_out $P delete pod ghost)" '^1:Error from server \(NotFound\): pods "ghost" not found' "delete of a missing pod"
t_match "$(rc_out $P exec ghost -- true)" '^1:Error from server \(NotFound\): pods "ghost" not found' "exec into a missing pod"
t_match "$(rc_out $P frobnicate)" '^1:error: unknown command "frobnicate"' "unknown command"

# A pod that already exists.
cat >"$T/short.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: dup }
spec:
  containers: [ { name: c, image: host, command: [sleep, infinity] } ]
YAML
t_ok "apply dup" $P apply -f "$T/short.yaml"
on_cleanup "$P delete pod dup"
out=$($P apply -f "$T/short.yaml" 2>&1)
t_is "$?:$out" '0:pod/dup unchanged' "the same pod again: unchanged, as kubectl apply says"
sed 's/command: \[sleep, infinity\]/command: [sleep, "1000"]/' "$T/short.yaml" >"$T/short2.yaml"
out=$($P apply -f "$T/short2.yaml" 2>&1)
t_is "$?:$out" '1:Error from server (AlreadyExists): pods "dup" already exists' \
	"a pod that exists with another spec: refused (only labels and annotations change in place)"
t_is "$(count ip netns list)" "1" "no second netns was made"
t_match "$($P exec dup -c nope -- true 2>&1)" "container nope is not valid for pod dup" "exec into a missing container"
t_match "$($P get pod dup -o 'jsonpath={.status.podIP' 2>&1)" "unclosed action" "bad jsonpath template"
t_ok "delete dup" $P delete pod dup
t_ok "nothing left" nothing_made
t_done
