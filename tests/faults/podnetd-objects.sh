#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 of podnetd while the real kubectl changes NetworkPolicies,
# Services and Namespaces, in a throwaway node (tests/faults/podnetd.sh
# does the same around pods):
#
#   netpol  create, update, delete of a NetworkPolicy on pod "web"
#           (v1 denies every ingress, v2 allows pod "client")
#   svc     create (ClusterIP), update (to NodePort), delete of Service
#           "web" in front of pod "web" (its EndpointSlice follows)
#   ns      create (kubectl apply of a Namespace with a pod, a policy and
#           a Service), update (a label), delete (the pod goes, then the
#           namespace with its policy and Service)
#   point   podnetd SIGKILLs itself where a change is committed to the
#           store and its rules are not yet in the kernel: netsvc.stored,
#           netsvc.deleted, ns.deleted (PODNET_FAULT, src/base/fault.h)
#
# For the first three, podnetd is SIGKILLed (by its PID) at a random
# instant of the kubectl command's usual duration.  After each kill
# podnetd is started again, nothing else (no `podnet gc`, no `podnet
# sync`).  Within CONVERGE_S seconds the node must be consistent by
# podnetd's own doing:
#   - nodecheck.py finds no leak (pods whole, no orphan netns, lease,
#     veth, process), kubectl and podnet list the same pods;
#   - `kubectl get` and `podnet get` list the same NetworkPolicies,
#     Services and Namespaces (name, clusterIP, type, ingress rules, phase);
#   - table inet podnet in the kernel is what the store's objects
#     generate: its listing (nft -j, handles and counters left out) is the
#     one `podnet sync` makes from a copy of the store in a network
#     namespace of its own (the node's kernel is left as it is);
# and then real packets obey what survived: pod client reaches web:8080
# unless a policy v1 survived (dropped: a timeout), the Service's cluster
# IP answers from web likewise (the policy holds behind it), and the
# namespace's pod is dropped (its policy
# denies all) or refused (no policy left).
#
# Then a watch resumed after a restart from the resourceVersion a client
# last saw gets 410 Expired (the new podnetd cannot replay what came
# before its start; kubectl then lists again).
#
# Short form (make check): OBJECTS_SHORT (2) trials per kind; FAULT_FULL=1:
# 100.  Prints "# table:" lines as the other fault scripts do.
#
# Last, podnetd is killed under a watch, a `kubectl exec`, a `kubectl
# port-forward` and a `kubectl attach`: the watch resumes with 410, the
# exec'd process is killed by the next podnetd, port-forward and attach
# end with their podnetd and work through the next one.
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node
OBJECTS_SHORT=${OBJECTS_SHORT:-2}
CONVERGE_S=${CONVERGE_S:-60}
FAULT_SEED=${FAULT_SEED:-$RANDOM}
echo "# FAULT_SEED=$FAULT_SEED"
RANDOM=$FAULT_SEED
rnd() { echo $(((RANDOM * 32768 + RANDOM) % $1)); }

t_ok "the node has an uplink address" node_nic
export FAULT_NODE_VETHS="eth0 eth0-peer"
t_ok "podnetd starts" podnetd_start
[ -n "${PODNETD_PID:-}" ] || { t_done; exit 1; }
on_cleanup "kubectl delete ns nsx --wait=false; $P delete pod -n nsx p --grace-period=0"

declare -A N_TRIALS=() N_FAULTS=() N_LEAKS=()
ORDER=()
record() {
	local kind=$1 killed=$2 leaks=$3 desc=$4
	[ -n "${N_TRIALS[$kind]:-}" ] || { ORDER+=("$kind"); N_TRIALS[$kind]=0; N_FAULTS[$kind]=0; N_LEAKS[$kind]=0; }
	N_TRIALS[$kind]=$((N_TRIALS[$kind] + 1))
	N_FAULTS[$kind]=$((N_FAULTS[$kind] + killed))
	if [ -z "$leaks" ]; then
		t_pass "$kind: $desc"
	else
		N_LEAKS[$kind]=$((N_LEAKS[$kind] + $(echo "$leaks" | grep -c .)))
		t_fail "$kind: $desc"
		echo "$leaks" | head -12 | sed 's/^/#   /'
	fi
}

# restart [ENV=VALUE...]: podnetd again, its PKI and kubeconfig reused.
restart() {
	local v rc
	kill -9 "$PODNETD_PID" 2>/dev/null
	{ wait "$PODNETD_PID"; } 2>/dev/null
	for v in "$@"; do export "${v?}"; done
	podnetd_start
	rc=$?
	for v in "$@"; do unset "${v%%=*}"; done
	return $rc
}

# ---- the objects
cat >"$T/pods.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: httpd
    image: host
    command: [sh, -c, 'mkdir -p /www && echo web >/www/index.html && exec busybox httpd -f -p 8080 -h /www']
---
$(pod_yaml client 1 0 | sed 's/^metadata: { name: client }/metadata: { name: client, labels: { app: client } }/')
YAML
netpol_yaml() { # 1: deny all ingress to web; 2: allow it from client
	printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n'
	printf 'metadata: { name: guard }\nspec:\n  podSelector: { matchLabels: { app: web } }\n'
	printf '  policyTypes: [Ingress]\n'
	if [ "$1" = 2 ]; then
		printf '  ingress:\n  - from: [{ podSelector: { matchLabels: { app: client } } }]\n'
	fi
}
svc_yaml() { # 1: ClusterIP; 2: NodePort
	printf 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec:\n'
	printf '  selector: { app: web }\n'
	if [ "$1" = 2 ]; then
		printf '  type: NodePort\n  ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]\n'
	else
		printf '  ports: [{ port: 80, targetPort: 8080 }]\n'
	fi
}
{
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: { name: nsx }\n---\n'
	pod_yaml p 1 0 | sed 's/^metadata: { name: p }/metadata: { name: p, namespace: nsx, labels: { app: p } }/'
	printf -- '---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n'
	printf 'metadata: { name: deny-all, namespace: nsx }\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n'
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: nsx }\n'
	printf 'spec:\n  selector: { app: p }\n  ports: [{ port: 81, targetPort: 9 }]\n'
} >"$T/nsx.yaml"
netpol_yaml 1 >"$T/np1.yaml"; netpol_yaml 2 >"$T/np2.yaml"
svc_yaml 1 >"$T/svc1.yaml"; svc_yaml 2 >"$T/svc2.yaml"

# ---- the checks

# pods_agree, objects_agree: "" when kubectl and podnet list the same, else
# what differs.
LIST='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.phase}{"\n"}{end}'
pods_agree() {
	local a b
	a=$(k get pods -A -o jsonpath="$LIST" 2>&1 | sort)
	b=$($P get pods -A -o jsonpath="$LIST" 2>&1 | sort)
	[ "$a" = "$b" ] || printf 'leak: kubectl get pods: %s; podnet get pods: %s\n' "$(echo $a)" "$(echo $b)"
}
OJQ='.items[] | "\(.kind) \(.metadata.namespace // "")/\(.metadata.name) \(.spec.clusterIP // "") \(.spec.type // "") \(.spec.ingress // "" | tostring) \(.status.phase // "")"'
objects_agree() {
	local a b
	a=$(k get networkpolicies,services,namespaces -A -o json 2>/dev/null | jq -r "$OJQ" 2>/dev/null | sort)
	b=$($P get networkpolicies,services,namespaces -A -o json 2>/dev/null | jq -r "$OJQ" 2>/dev/null | sort)
	[ "$a" = "$b" ] || printf 'leak: kubectl get netpol,svc,ns: %s; podnet get: %s\n' "$(echo $a)" "$(echo $b)"
}
# nft_norm: table inet podnet as nft -j lists it (stdin), without handles
# and counters, objects in a set order (a rule stays in its chain's order),
# set elements sorted; "absent" when there is none.
nft_norm() {
	"$PY" -c '
import json, sys
def norm(o):
    if isinstance(o, dict):
        return {k: norm(v) for k, v in o.items() if k != "handle"
                and not (k == "counter" and isinstance(v, dict))}
    if isinstance(o, list):
        return [norm(v) for v in o]
    return o
try:
    j = json.load(sys.stdin)["nftables"]
except Exception:
    print("absent"); sys.exit(0)
objs = []
for o in j:
    if "metainfo" in o:
        continue
    o = norm(o)
    for k in ("set", "map"):
        if k in o and "elem" in o[k]:
            o[k]["elem"] = sorted(o[k]["elem"], key=lambda e: json.dumps(e, sort_keys=True))
    objs.append(o)
def key(o):
    (k, v), = o.items()
    return (k, v["chain"] if k == "rule" else v.get("name", ""))
print("\n".join(json.dumps(o, sort_keys=True) for o in sorted(objs, key=key)))'
}
nft_listing() { nft -j list table inet podnet 2>/dev/null | nft_norm; }
# nft_wanted: the table the store's objects give, made by `podnet sync`
# from a copy of the store (the rest of the state dir, the pods' status,
# bound in) in a network namespace of its own: the node's kernel is not
# touched.
nft_wanted() {
	local d=$T/shadow
	mkdir -p "$d"
	unshare --mount --net --propagation private -- sh -c '
		mount -t tmpfs shadow "$1" &&
		sqlite3 "$PODNET_ROOT/state.db" ".backup $1/state.db" || exit 1
		for f in "$PODNET_ROOT"/*; do
			b=${f##*/}
			case $b in state.db* | nftables.*) continue ;; esac
			if [ -d "$f" ]; then mkdir "$1/$b"; else : >"$1/$b"; fi
			mount --rbind "$f" "$1/$b" || exit 1
		done
		PODNET_ROOT=$1 "$P" sync >"$2/sync.out" 2>&1 &&
		nft -j list table inet podnet' sh "$d" "$T" 2>/dev/null | nft_norm
}
# nft_agrees: "" when the kernel's table is what the store gives.
nft_agrees() {
	local have want
	have=$(nft_listing)
	want=$(nft_wanted)
	[ "$have" = "$want" ] && return 0
	echo "leak: table inet podnet is not what the store gives (< kernel, > store):"
	diff <(echo "$have") <(echo "$want") | grep '^[<>]' | head -6 | cut -c1-240 | sed 's/^/leak:   /'
}

# reach NETNS URL MAX: curl's exit code from a pod's netns (0 answered,
# 7 refused, 28 dropped).
netns_of() { db "select netns_path from pods where name = '$1' and namespace = '${2:-default}'"; }
reach() {
	nsenter --net="$1" curl -s -o "$T/reach.out" --max-time "$3" "$2" >/dev/null 2>&1
	echo $?
}
# packets_obey: "" when real packets follow what the store holds.
packets_obey() {
	local cns wip cip got want gen
	cns=$(netns_of client)
	wip=$(k get pod web -o jsonpath='{.status.podIP}' 2>/dev/null)
	[ -n "$cns" ] && [ -n "$wip" ] || { echo "leak: no client netns or web IP"; return; }
	gen=$(k get netpol guard -o jsonpath='{.spec.ingress}' 2>/dev/null; echo ":$?")
	case "$gen" in
	:1) want=0 ;;           # no policy
	":0") want=28 ;;        # v1: no ingress rule, all dropped
	*) want=0 ;;            # v2: client allowed
	esac
	got=$(reach "$cns" "http://$wip:8080/" "$([ $want = 0 ] && echo 20 || echo 2)")
	[ "$got" = "$want" ] || echo "leak: client -> web:8080: curl exit $got, want $want (policy: ${gen})"
	# The Service's cluster IP leads to web: the policy holds there too.
	cip=$(k get svc web -o jsonpath='{.spec.clusterIP}' 2>/dev/null)
	if [ -n "$cip" ]; then
		got=$(reach "$cns" "http://$cip:80/" "$([ $want = 0 ] && echo 20 || echo 2)")
		[ "$got" = 0 ] && [ "$(cat "$T/reach.out")" != web ] && got="0 (not web's answer)"
		if [ "$got" != "$want" ]; then
			echo "leak: client -> Service web $cip:80: curl exit $got, want $want"
			if [ -n "${OBJECTS_DEBUG:-}" ]; then
				mkdir -p "$OBJECTS_DEBUG"
				nft list ruleset >"$OBJECTS_DEBUG/ruleset.$_t_n"
				k get svc,endpointslices -o yaml >"$OBJECTS_DEBUG/svc.$_t_n" 2>&1
				cp "$T/podnetd.log" "$OBJECTS_DEBUG/podnetd.log.$_t_n"
			fi
		fi
	fi
	if k get pod -n nsx p >/dev/null 2>&1; then
		local pip
		pip=$(k get pod -n nsx p -o jsonpath='{.status.podIP}' 2>/dev/null)
		want=7
		k get netpol -n nsx deny-all >/dev/null 2>&1 && want=28
		got=$(reach "$cns" "http://$pip:9/" "$([ $want = 7 ] && echo 20 || echo 2)")
		[ "$got" = "$want" ] || echo "leak: client -> nsx/p:9: curl exit $got, want $want"
	fi
}

# converged: wait (at most CONVERGE_S) until the node, the listings and
# the rules agree, then check packets; the findings if it never does.
converged() {
	local leaks end=$((SECONDS + CONVERGE_S))
	while :; do
		settle
		leaks=$(node_leaks; pods_agree; objects_agree)
		[ -z "$leaks" ] && leaks=$(nft_agrees)
		[ -z "$leaks" ] && break
		[ $SECONDS -lt $end ] || break
		nap 0.5
	done
	if [ -n "$leaks" ]; then
		echo "$leaks"
		echo "leak: not converged after ${CONVERGE_S} s"
		return
	fi
	packets_obey
}

# until_ok CMD...: CMD succeeds, at most 60 s.
until_ok() {
	local i
	for ((i = 0; i < 600; i++)); do "$@" >/dev/null 2>&1 && return 0; nap 0.1; done
	return 1
}
running() { [ "$(k get pod "$@" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }
nsx_not_terminating() { [ "$(k get ns nsx -o jsonpath='{.status.phase}' 2>/dev/null)" != Terminating ]; }
nsx_gone() { ! k get ns nsx >/dev/null 2>&1 && [ -z "$(db "select name from namespaces where name = 'nsx'")" ]; }

# prepare KIND OP: the objects as OP expects them before it runs.
prepare() {
	case "$1/$2" in
	netpol/create) k delete netpol guard --ignore-not-found >/dev/null 2>&1 ;;
	netpol/update | netpol/delete) k apply -f "$T/np1.yaml" >/dev/null 2>&1 ;;
	svc/create) k delete svc web --ignore-not-found >/dev/null 2>&1 ;;
	svc/update | svc/delete) k delete svc web --ignore-not-found >/dev/null 2>&1
		k apply -f "$T/svc1.yaml" >/dev/null 2>&1 ;;
	ns/create) k delete ns nsx --ignore-not-found >/dev/null 2>&1; until_ok nsx_gone ;;
	ns/update | ns/delete)
		until_ok nsx_not_terminating
		k apply -f "$T/nsx.yaml" >/dev/null 2>&1
		k label ns nsx tier- >/dev/null 2>&1
		until_ok running -n nsx p ;;
	esac
	note_uids
}
# the kubectl command of KIND OP
op_cmd() {
	case "$1/$2" in
	netpol/create) echo "kubectl --request-timeout=30s apply -f $T/np1.yaml" ;;
	netpol/update) echo "kubectl --request-timeout=30s apply -f $T/np2.yaml" ;;
	netpol/delete) echo "kubectl --request-timeout=30s delete netpol guard" ;;
	svc/create) echo "kubectl --request-timeout=30s apply -f $T/svc1.yaml" ;;
	svc/update) echo "kubectl --request-timeout=30s apply -f $T/svc2.yaml" ;;
	svc/delete) echo "kubectl --request-timeout=30s delete svc web" ;;
	ns/create) echo "kubectl --request-timeout=30s apply -f $T/nsx.yaml" ;;
	ns/update) echo "kubectl --request-timeout=30s label ns nsx tier=front --overwrite" ;;
	ns/delete) echo "kubectl --request-timeout=30s delete ns nsx" ;;
	esac
}

# The pods the objects are about.
t_is "$(k apply -f "$T/pods.yaml" 2>&1 | paste -sd' ')" "pod/web created pod/client created" "web and client created"
until_ok running web; until_ok running client
note_uids

# ---- the usual durations, and the node whole without a kill
declare -A D=()
OPS=(create update delete)
for kind in netpol svc ns; do
	for op in "${OPS[@]}"; do
		prepare "$kind" "$op"
		t0=${EPOCHREALTIME/./}
		$(op_cmd "$kind" "$op") >"$T/kout" 2>&1 || t_fail "undisturbed $kind $op: $(cat "$T/kout")"
		D[$kind/$op]=$(((${EPOCHREALTIME/./} - t0) / 1000))
		# (checked after the kind's last command, the delete: what
		# create and update left is still checked by its outcome)
		[ "$op" = delete ] || continue
		leaks=$(converged)
		if [ -z "$leaks" ]; then
			t_pass "undisturbed $kind create, update, delete ($(for o in "${OPS[@]}"; do printf '%s ' "${D[$kind/$o]}"; done)ms): consistent"
		else t_fail "undisturbed $kind create, update, delete: consistent"; echo "$leaks" | head -12 | sed 's/^/#   /'; fi
	done
done

# ---- a kill at a random instant of each kubectl command
n=$(trials "$OBJECTS_SHORT" 100)
for kind in netpol svc ns; do
	for ((j = 0; j < n; j++)); do
		op=${OPS[$(((j + RANDOM) % 3))]}
		prepare "$kind" "$op"
		ms=$(rnd $((D[$kind/$op] + 1)))
		timeout 120 $(op_cmd "$kind" "$op") >"$T/kout" 2>&1 &
		kpid=$!
		nap "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		killed=0
		kill -9 "$PODNETD_PID" 2>/dev/null && killed=1
		note_uids
		# (kubectl delete waits for the object to go, through a watch:
		# it may retry until a podnetd answers again)
		restart >/dev/null || { record "$kind" "$killed" "leak: podnetd did not start again" "$op, kill at $ms"; break 2; }
		wait "$kpid" 2>/dev/null
		record "$kind" "$killed" "$(converged)" "$op, kill at $ms of ${D[$kind/$op]} ms"
	done
done

# ---- named points: committed to the store, not yet applied
POINTS=(netsvc.stored netsvc.deleted ns.deleted)
np=$(trials 1 34)
for ((j = 0; j < np * ${#POINTS[@]}; j++)); do
	pt=${POINTS[$((j % ${#POINTS[@]}))]}
	case $pt/$(((j / ${#POINTS[@]}) % 2)) in
	netsvc.stored/0) kind=netpol op=create ;;
	netsvc.stored/1) kind=svc op=update ;;
	netsvc.deleted/0) kind=svc op=delete ;;
	netsvc.deleted/1) kind=netpol op=delete ;;
	ns.deleted/*) kind=ns op=delete ;;
	esac
	prepare "$kind" "$op"
	leaks=
	restart "PODNET_FAULT=$pt" >/dev/null
	timeout 120 $(op_cmd "$kind" "$op") >"$T/kout" 2>&1 &
	kpid=$!
	# Armed, it dies at the point (at most 30 s for the agent to reach it).
	for ((i = 0; i < 300; i++)); do kill -0 "$PODNETD_PID" 2>/dev/null || break; nap 0.1; done
	killed=0
	kill -0 "$PODNETD_PID" 2>/dev/null || killed=1
	note_uids
	restart >/dev/null || { record point "$killed" "leak: podnetd did not start again" "$pt"; break; }
	wait "$kpid"
	[ $? = 124 ] && leaks+=$'\n'"leak: $(op_cmd "$kind" "$op") still waits 120 s after the restart"
	leaks+=$(converged)
	[ "$killed" = 1 ] || leaks+=$'\n'"leak: podnetd did not die at $pt"
	record point "$killed" "$(echo "$leaks" | grep .)" "$pt ($kind $op)"
done

# ---- a pod behind a Service whose start is slow past its shim's start:
# the shim's `podnet sync` at its container's readiness runs while the
# pod's row still says Pending (no endpoint); the row's Running must bring
# the Service's rules along (found by an ns create trial killed mid-start)
prepare ns create
restart "PODNET_FAULT=start.shim-started:sleep=3" >/dev/null
k apply -f "$T/nsx.yaml" >/dev/null 2>&1
until_ok running -n nsx p
note_uids
leaks=$(converged)
if [ -z "$leaks" ]; then t_pass "a slow start: the Service's rules take the pod once it runs"
else t_fail "a slow start: the Service's rules take the pod once it runs"; echo "$leaks" | head -8 | sed 's/^/#   /'; fi
restart >/dev/null

# ---- a watch resumed across a restart: 410, then kubectl lists again
list_rv() { k get --raw /api/v1/namespaces/default/pods | jq -r .metadata.resourceVersion; }
rv=$(list_rv)
restart >/dev/null
out=$(kcurl -s "$API/api/v1/namespaces/default/pods?watch=1&resourceVersion=$rv&timeoutSeconds=3")
t_match "$out" '"code":410' "a watch from resourceVersion $rv (before the restart): 410 Expired"
out=$(kcurl -s "$API/api/v1/namespaces/default/pods?watch=1&resourceVersion=$(list_rv)&timeoutSeconds=1")
t_is "$(echo "$out" | grep -c '"code":410')" 0 "a watch from the new podnetd's resourceVersion: no 410"

# ---- a `kubectl exec` running when podnetd is killed: the runtime keeps
# its process running in the container, nobody waiting for it; the next
# podnetd kills it at start (oci_exec_orphans_kill)
EXEC_MARK=$((MARK + 1))
exec_pids() { ps -eo pid=,args= | awk -v m="sleep $EXEC_MARK" '{ p = $1; sub(/^ *[0-9]+ /, "") } $0 == m { print p }'; }
on_cleanup 'for p in $(exec_pids); do kill -9 $p; done'
exec_running() { [ -n "$(exec_pids)" ]; }
exec_gone() { [ -z "$(exec_pids)" ]; }
k exec client -- sleep "$EXEC_MARK" >/dev/null 2>&1 &
kpid=$!
t_ok "kubectl exec client -- sleep runs" until_ok exec_running
restart >/dev/null
wait "$kpid" 2>/dev/null
t_ok "after kill -9 and a restart of podnetd, the exec'd process is gone" until_ok exec_gone

# ---- `kubectl port-forward` and `kubectl attach` open when podnetd is
# killed: their streams end with it (nothing of theirs is kept outside
# the process), the pod is untouched, and both work through the next
PF_PORT=$((20000 + MARK % 10000))
pf_get() { curl -sS --max-time 3 "http://127.0.0.1:$PF_PORT/index.html"; }
pf_start() {
	kubectl port-forward pod/web "$PF_PORT:8080" >"$T/pf.out" 2>&1 &
	PF_PID=$!
	_bg_pids+=("$PF_PID")
	until_ok pf_ok
}
pf_ok() { [ "$(pf_get)" = web ]; }
web_restarts() { k get pod web -o jsonpath='{.status.containerStatuses[0].restartCount}'; }
restarts=$(web_restarts)
t_ok "kubectl port-forward pod/web $PF_PORT:8080 answers" pf_start
kubectl attach web >"$T/attach.out" 2>&1 &
attach_pid=$!
_bg_pids+=("$attach_pid")
t_ok "kubectl attach web is attached" until_ok grep -q "pods/web/attach" "$T/podnetd.log"
restart >/dev/null
gone() { ! kill -0 "$1" 2>/dev/null; }
t_ok "port-forward ends with podnetd" until_ok gone "$PF_PID"
t_ok "attach ends with podnetd" until_ok gone "$attach_pid"
leaks=$(converged)
if [ -z "$leaks" ]; then t_pass "after port-forward and attach cut by a kill: the node is consistent"
else t_fail "after port-forward and attach cut by a kill: the node is consistent"; echo "$leaks" | head -12 | sed 's/^/#   /'; fi
t_is "$(k get pod web -o jsonpath='{.status.phase}') $(web_restarts)" "Running $restarts" \
	"web still runs, not restarted"
t_ok "port-forward works through the new podnetd" pf_start
kill "$PF_PID" 2>/dev/null

# ---- the end: objects gone, the node clean
k delete ns nsx --ignore-not-found >/dev/null 2>&1
until_ok nsx_gone
k delete netpol guard --ignore-not-found >/dev/null 2>&1
k delete svc web --ignore-not-found >/dev/null 2>&1
leaks=$(converged)
if [ -z "$leaks" ]; then t_pass "the node is consistent at the end"
else t_fail "the node is consistent at the end"; echo "$leaks" | head -12 | sed 's/^/#   /'; fi
t_is "$(nft_listing)" absent "no policy or Service left: no table inet podnet"

for c in "${ORDER[@]}"; do
	tally "podnetd-objects: $c" "${N_TRIALS[$c]}" "${N_FAULTS[$c]}" "${N_LEAKS[$c]}"
done
t_done
