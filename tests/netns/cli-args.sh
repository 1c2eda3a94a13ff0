#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podnet's command lines read as kubectl reads them (issue 10, "Flags and
# arguments"), in a throwaway node:
#
#   every command     --bogus / extra arguments refused with kubectl's words
#   duo  (c1, c2; default-container annotation -> c2)
#                     exec -c=c2, --container=c2, pod/duo, the annotation, -it TERM
#   talk (a, b print five lines each)
#                     logs --tail --since --since-time --timestamps --prefix
#                     --all-containers --limit-bytes, TYPE/NAME
#   sel-a, sel-b, sel-c (labels app=a|b|c)
#                     get -l set-based selectors, malformed ones, --show-labels
#   get -o yaml and -o jsonpath-as-json byte for byte as kubectl prints them
#   apply -f DIR, -R, -f - named STDIN, empty input, -n
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pods --all --grace-period=0 --force; $P delete pods --all -n team --grace-period=0 --force"

# --- every command refuses what it does not know ------------------------
# (`podnet gc --bogus` used to run gc; pods, images, info, version ignored
# their arguments.)
for c in apply get describe delete exec logs pods ps inspect inspectp images gc init info version; do
	t_is "$(rc_out $P $c --bogus)" "1:error: unknown flag: --bogus
See 'podnet $c --help' for usage." "$c --bogus: kubectl's unknown flag"
done
# The node tools and the subcommand parents too (netns and graph said
# 'unknown argument', pid2pod 'invalid PID', the others lacked the See line).
for c in netns pid2pod graph ip ss nsenter probe trace doctor sync netpol image "netpol explain"; do
	t_is "$(rc_out $P $c --bogus)" "1:error: unknown flag: --bogus
See 'podnet $c --help' for usage." "$c --bogus: kubectl's unknown flag"
done
t_is "$(rc_out $P ss pod1 -ltx)" "1:error: unknown shorthand flag: 'x' in -x
See 'podnet ss --help' for usage." "ss -ltx: the bundle's unknown letter, as pflag names it"
for c in "graph x" "netns identify 1 2" "pid2pod 1 2" "doctor pod1 pod2" "probe pod1 pod2:80 x" "sync x"; do
	t_is "$(rc_out $P $c)" "1:error: unexpected arguments: [${c##* }]
See 'podnet ${c%% *} -h' for help and examples" "$c: refused"
done
t_is "$(rc_out $P gc -z)" "1:error: unknown shorthand flag: 'z' in -z
See 'podnet gc --help' for usage." "gc -z: kubectl's unknown shorthand flag"
t_is "$(rc_out $P gc --bogus)" "1:error: unknown flag: --bogus
See 'podnet gc --help' for usage." "and gc did not run"
for c in pods images gc info version; do
	t_is "$(rc_out $P $c extra words)" "1:error: unexpected arguments: [extra words]
See 'podnet $c -h' for help and examples" "$c extra words: refused"
done
t_is "$(rc_out $P delete pod x --grace-period=abc)" '1:error: invalid argument "abc" for "--grace-period" flag: strconv.ParseInt: parsing "abc": invalid syntax
See '"'podnet delete --help'"' for usage.' "--grace-period=abc: kubectl's text"
t_is "$(rc_out $P logs x --since=1d)" '1:error: invalid argument "1d" for "--since" flag: time: unknown unit "d" in duration "1d"
See '"'podnet logs --help'"' for usage.' "--since=1d: Go's duration error"
t_is "$(rc_out $P exec x -c)" "1:error: flag needs an argument: 'c' in -c
See 'podnet exec --help' for usage." "exec x -c: flag needs an argument"
t_is "$(rc_out $P get pods --selector)" "1:error: flag needs an argument: --selector
See 'podnet get --help' for usage." "get --selector: flag needs an argument"
t_is "$(rc_out $P exec x ls)" "1:error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead
See 'podnet exec -h' for help and examples" "exec without --: kubectl's error"
t_is "$(rc_out $P apply -f x.yaml extra)" "1:error: Unexpected args: [extra]
See 'podnet apply -h' for help and examples" "apply with an argument: kubectl's error"
t_is "$(rc_out $P get pod pod/x)" "1:error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podnet get resource/<resource_name>' instead of 'podnet get resource resource/<resource_name>'" \
	"get TYPE TYPE/NAME: kubectl's error"
t_is "$(rc_out $P get pod x -A)" "1:error: a resource cannot be retrieved by name across all namespaces" "get NAME -A: kubectl's error"

# --- exec: -c forms, pod/NAME, the default-container annotation, TERM ----
cat >"$T/duo.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: duo
  annotations: { kubectl.kubernetes.io/default-container: c2 }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: c1, image: host, command: [sh, -c, 'echo I am c1 > /tmp/who; exec sleep infinity'] }
  - { name: c2, image: host, command: [sh, -c, 'echo I am c2 > /tmp/who; exec sleep infinity'] }
YAML
t_ok "apply duo" $P apply -f "$T/duo.yaml"
t_is "$($P exec duo -c=c1 -- cat /tmp/who 2>&1)" "I am c1" "exec -c=c1"
t_is "$($P exec duo --container=c1 -- cat /tmp/who 2>&1)" "I am c1" "exec --container=c1"
t_is "$($P exec duo -cc1 -- cat /tmp/who 2>&1)" "I am c1" "exec -cc1"
t_is "$($P exec pod/duo -c c1 -- cat /tmp/who 2>&1)" "I am c1" "exec pod/duo"
t_is "$($P exec duo -- cat /tmp/who 2>&1)" "I am c2" "exec without -c: the default-container annotation's, silently"
t_is "$($P exec -n default duo -- sh -c 'exit 7'; echo $?)" "7" "the command's exit status"
# -it under a pseudo-terminal: the command sees a terminal and the caller's TERM.
out=$(TERM=vt220 script -qec "$P exec -it duo -- sh -c 'tty >/dev/null && echo tty=yes; echo TERM=\$TERM'" /dev/null | grep -aoE 'tty=yes|TERM=[a-z0-9]+')
t_is "$out" "tty=yes
TERM=vt220" "exec -it: a terminal and the caller's TERM"
t_is "$($P exec duo -- sh -c 'echo TERM=${TERM:-unset}')" "TERM=unset" "without -t no TERM is passed"

# --- logs -----------------------------------------------------------------
cat >"$T/talk.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: talk }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - { name: a, image: host, command: [sh, -c, 'for i in 1 2 3 4 5; do echo a$i; done; exec sleep infinity'] }
  - { name: b, image: host, command: [sh, -c, 'for i in 1 2 3 4 5; do echo b$i; done; exec sleep infinity'] }
YAML
t_ok "apply talk" $P apply -f "$T/talk.yaml"
wait_lines() { for _ in $(seq 600); do [ "$($P logs talk -c "$1" 2>/dev/null | wc -l)" -ge 5 ] && return 0; sleep 0.1; done; return 1; }
t_ok "a and b wrote their lines" bash -c "$(declare -f wait_lines); P=$P; wait_lines a && wait_lines b"
t_is "$($P logs talk -c a --tail=2 | tr '\n' ' ')" "a4 a5 " "logs --tail=2"
t_is "$($P logs talk a --tail 1)" "a5" "logs POD CONTAINER --tail 1"
t_is "$($P logs pod/talk -c=b --tail=1)" "b5" "logs pod/talk -c=b"
t_match "$($P logs talk -c a --tail=1 --timestamps)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z a5$' "logs --timestamps: RFC 3339 before each line"
t_is "$($P logs talk -c a --since=1h | wc -l)" "5" "logs --since=1h: every line"
t_empty "logs --since-time in the future: nothing" $P logs talk -c a --since-time=2999-01-01T00:00:00Z
t_is "$($P logs talk --all-containers --prefix | tr '\n' ' ')" "[pod/talk/a] a1 [pod/talk/a] a2 [pod/talk/a] a3 [pod/talk/a] a4 [pod/talk/a] a5 [pod/talk/b] b1 [pod/talk/b] b2 [pod/talk/b] b3 [pod/talk/b] b4 [pod/talk/b] b5 " \
	"logs --all-containers --prefix"
t_is "$($P logs talk -c b --limit-bytes=5)" "b1
b2" "logs --limit-bytes=5"
t_is "$(rc_out $P logs talk -c a -c b --all-containers)" "1:error: --all-containers=true should not be specified with container name b" "--all-containers with -c: kubectl's error"
t_is "$(rc_out $P logs talk --since=1s --since-time=2020-01-01T00:00:00Z)" '1:error: at most one of `sinceTime` or `sinceSeconds` may be specified' "--since with --since-time: kubectl's error"
t_is "$(rc_out $P logs talk a b)" "1:error: expected 'logs [-f] [-p] (POD | TYPE/NAME | CONTAINER-ID) [-c CONTAINER]'.
POD or TYPE/NAME is a required argument for the logs command
See 'podnet logs -h' for help and examples" "logs with three arguments: refused"

# --- selectors ------------------------------------------------------------
for x in a b c; do
	cat <<YAML
apiVersion: v1
kind: Pod
metadata: { name: sel-$x, labels: { app: $x, tier: t$x } }
spec:
  terminationGracePeriodSeconds: 1
  containers: [ { name: c, image: host, command: [sleep, infinity] } ]
---
YAML
done >"$T/sel.yaml"
t_ok "apply sel-a, sel-b, sel-c" $P apply -f "$T/sel.yaml"
t_is "$($P get pods -l 'app in (a,b)' -o name | tr '\n' ' ')" "pod/sel-a pod/sel-b " "-l 'app in (a,b)'"
t_is "$($P get pods -l 'app notin (a,b),app' -o name | tr '\n' ' ')" "pod/sel-c " "-l 'app notin (a,b),app'"
t_is "$($P get pods -l 'tier in (tb),!nope' -o name)" "pod/sel-b" "-l 'tier in (tb),!nope'"
t_empty "-l 'app=a,tier!=ta': nothing, no error" $P get pods -l 'app=a,tier!=ta' -o name
want=$(cat <<'EOF'
1:Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "app in (a,b", field selector "": unable to parse requirement: found '', expected: ',' or ')'
EOF
)
t_is "$(rc_out $P get pods -l 'app in (a,b')" "$want" "a malformed selector: kube-apiserver's message as kubectl prints it"
t_match "$($P get pods -l 'app in (a)' --show-labels)" $'^NAME +READY +STATUS +RESTARTS +AGE +LABELS\nsel-a +1/1 +Running +0 +[0-9]+s +app=a,tier=ta$' "--show-labels"
t_ok "delete -l 'app in (b,c)'" $P delete pods -l 'app in (b,c)' --grace-period=0 --force
t_is "$($P get pods -o name -l app | tr '\n' ' ')" "pod/sel-a " "delete -l removed sel-b and sel-c only"

# --- -o yaml and -o jsonpath-as-json, as kubectl prints them -------------
# kubectl v1.32 prints any object offline: patch --local with an empty
# merge patch, so the same Pod goes through kubectl's own printers.
if command -v kubectl >/dev/null; then
	export KUBECONFIG=/nonexistent
	$P get pod duo -o json >"$T/duo.json"
	kubectl patch --local -f "$T/duo.json" --type merge -p '{}' -o yaml >"$T/duo.kubectl.yaml" 2>&1
	$P get pod duo -o yaml >"$T/duo.podnet.yaml"
	t_ok "get -o yaml is byte for byte kubectl's -o yaml of the same Pod" diff "$T/duo.kubectl.yaml" "$T/duo.podnet.yaml"
	tmpl='{.metadata.annotations}{.spec.containers[*].name}{"\n"}{.status.podIP}'
	t_is "$($P get pod duo -o "jsonpath-as-json=$tmpl")" "$(kubectl patch --local -f "$T/duo.json" --type merge -p '{}' -o "jsonpath-as-json=$tmpl" 2>&1)" \
		"-o jsonpath-as-json is kubectl's"
	t_is "$($P get pod/duo -o jsonpath='{.metadata.name}')" "duo" "get pod/duo"
else
	t_skip "kubectl is not installed: -o yaml compared with kubectl"
fi

# --- apply: directories, -R, STDIN, -n --------------------------------------
mkdir -p "$T/dir/sub"
pod_doc() { printf 'apiVersion: v1\nkind: Pod\nmetadata: { name: %s }\nspec:\n  terminationGracePeriodSeconds: 1\n  containers: [ { name: c, image: host, command: [sleep, infinity] } ]\n' "$1"; }
pod_doc d-one >"$T/dir/b.yaml"
pod_doc d-two | sed 's/^/ /; s/^ //' >"$T/dir/a.yml"
pod_doc d-skip >"$T/dir/notes.txt"
pod_doc d-deep >"$T/dir/sub/c.yaml"
t_is "$($P apply -f "$T/dir" 2>&1)" "pod/d-two created
pod/d-one created" "apply -f DIR: its .yaml/.yml files in name order, no subdirectory"
t_is "$($P apply -f "$T/dir" -R 2>&1)" "pod/d-two unchanged
pod/d-one unchanged
pod/d-deep created" "apply -f DIR -R: subdirectories too"
mkdir -p "$T/empty"
t_is "$(rc_out $P apply -f "$T/empty")" "1:error: error reading [$T/empty]: recognized file extensions are [.json .yaml .yml]" "apply -f of a directory without manifests: kubectl's error"
want=$(cat <<'EOF'
1:error: error parsing STDIN: error converting YAML to JSON: yaml: line 3: did not find expected ',' or '}'
EOF
)
t_is "$(printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\n' | rc_out $P apply -f -)" "$want" "apply -f -: errors name STDIN (and kubectl's line)"
t_is "$(rc_out $P apply -f - </dev/null)" "1:error: no objects passed to apply" "apply of nothing: kubectl's error"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: team }\n' | $P apply -f - >/dev/null
t_is "$(pod_doc in-team | $P apply -n team -f -)" "pod/in-team created" "apply -n team: a pod without a namespace goes there"
t_is "$($P get pods -n team -o name)" "pod/in-team" "and is in team"
t_is "$(pod_doc other | sed 's/name: other/name: other, namespace: default/' | rc_out $P apply -n team -f -)" \
	"1:error: the namespace from the provided object \"default\" does not match the namespace \"team\". You must pass '--namespace=default' to perform this operation." \
	"apply -n team of a pod in default: kubectl's error"
t_done
