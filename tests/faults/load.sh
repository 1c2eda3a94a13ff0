#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Load and concurrency, in a throwaway node, with budgets:
#
#   node --- podnet0 --- veth --- pods
#
#  1 8 parallel `apply` of distinct pods, then 8 parallel `delete`, again
#    and again: no error, no IP twice, nothing left.
#  2 The range exhausted (a /28: 13 addresses): the 14th pod fails naming
#    the range and leaves nothing; once a pod is deleted it applies.
#  3 Scale (N pods, 200 in the full run): apply time per pod, p50 per block
#    of 50 and overall; RSS and PSS of the shims; delete of all N, 20 at a
#    time; one pod of M containers (1000 in the full run).  Each number is
#    printed ("# measure:") and held to its budget (docs/reliability.md).
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node

# Budgets (docs/reliability.md says how they were set).
BUDGET_APPLY_DRIFT=${BUDGET_APPLY_DRIFT:-150}       # last block's p50, % of the first's
# A shim's RSS counts the pages of libc, jansson and its own text that all
# shims share (libc and ld.so alone, mapped in 64 KB fault-around blocks,
# are ~1.5 MB of it); PSS divides them among the sharers and is what each
# shim adds to the node.  Measured RSS 1804-1887 KB, PSS 260-291 KB with
# 10 pods (docs/reliability.md).
BUDGET_SHIM_RSS_KB=${BUDGET_SHIM_RSS_KB:-2048}      # per shim, average
BUDGET_SHIM_PSS_KB=${BUDGET_SHIM_PSS_KB:-384}       # per shim, average
# What runs a pod's containers is the OCI runtime: runc (crun refuses this
# kind of host's hybrid cgroups) costs ~30-40 ms of CPU per `run --detach`
# and per `delete`, podnet's own share is small.  So the budgets of a pod
# of M containers and of deleting N pods are held against the runtime's
# own cost, measured in the same node beside them (runtime_floor): the
# same bundles, one call after another.  podnet runs oci_window() of them
# at once on every CPU, so it must take no longer than the runtime alone
# one at a time (100 %), whatever the machine.
# A pod of one container is two runtime runs (the pause and the
# container); podnet adds the CNI ADD, its state and the shim: at most
# half as much again.
BUDGET_APPLY_PCT=${BUDGET_APPLY_PCT:-150}           # per pod, p50 at N pods, vs 2 runtime runs
BUDGET_DELETE_PCT=${BUDGET_DELETE_PCT:-100}         # N pods, 20 at a time, vs 2 runtime deletes per pod
BUDGET_CTR_PCT=${BUDGET_CTR_PCT:-100}               # per container of one big pod, vs one runtime run
BUDGET_CTR_DELETE_MS=${BUDGET_CTR_DELETE_MS:-60}    # per container of one big pod, delete

names() { local p=$1 n=$2 i; for ((i = 1; i <= n; i++)); do echo "$p$i"; done; }
leaks_ok() {
	local l
	l=$(node_leaks)
	if [ -z "$l" ]; then t_pass "$1"; else t_fail "$1"; echo "$l" | head | sed 's/^/#   /'; fi
}
# budget DESC CMD...: a wall-clock budget is held (t_ok) only in the full
# run (make faults, a quiet machine); the short run in make check shares 2
# cores with everything else and only reports the number.
budget() {
	if [ "$FAULT_FULL" = 1 ]; then t_ok "$@"; else echo "# budget (checked by make faults): $1"; fi
}
# p50 of the numbers on stdin
p50() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# runtime_floor POD K: the OCI runtime alone, beside POD (running): K
# containers run (`run --detach`) one after another from copies of the
# bundle of POD's first container (its rootfs, namespaces, a cgroup of
# their own), then stopped and deleted one after another.  Sets RUN_MS and
# DELETE_MS, per container.
runtime_floor() {
	local pod=$1 k=$2 sd rt root b i t0
	sd=$(dirname "$(grep -l "\"$pod\"" "$PODNET_ROOT"/pods/*/plan.json | head -1)")
	rt=$(jq -r .runtime "$sd/shim.json")
	root=$(jq -r .runtimeRoot "$sd/shim.json")
	b=$(ls -d "$sd"/containers/*/ | head -1)
	for ((i = 1; i <= k; i++)); do
		mkdir -p "$T/floor$i"
		jq --arg r "$b/rootfs" --arg i "$i" \
			'.root.path = $r | .linux.cgroupsPath += "-floor" + $i' \
			"$b/config.json" >"$T/floor$i/config.json"
	done
	t0=${EPOCHREALTIME/./}
	for ((i = 1; i <= k; i++)); do
		"$rt" --root "$root" run --detach --pid-file "$T/floor$i/pid" -b "$T/floor$i" \
			"floor$MARK-$i" </dev/null >/dev/null 2>"$T/floor$i/err" ||
			sed 's/^/#   floor: /' "$T/floor$i/err"
	done
	RUN_MS=$(((${EPOCHREALTIME/./} - t0) / 1000 / k))
	for ((i = 1; i <= k; i++)); do "$rt" --root "$root" kill "floor$MARK-$i" KILL 2>/dev/null; done
	for ((i = 1; i <= k; i++)); do
		for _ in $(seq 1 100); do
			[ "$("$rt" --root "$root" state "floor$MARK-$i" 2>/dev/null | jq -r .status)" = running ] || break
			sleep 0.05
		done
	done
	t0=${EPOCHREALTIME/./}
	for ((i = 1; i <= k; i++)); do "$rt" --root "$root" delete --force "floor$MARK-$i" 2>/dev/null; done
	DELETE_MS=$(((${EPOCHREALTIME/./} - t0) / 1000 / k))
	echo "# measure: the runtime alone ($(basename "$rt"), $k containers one at a time): run $RUN_MS ms, delete $DELETE_MS ms each"
}

# --- 1. 8 parallel apply, 8 parallel delete ----------------------------------
for i in $(seq 1 8); do pod_yaml "par$i" 1 >"$T/par$i.yaml"; done
rounds=$(trials 1 10)
for ((r = 1; r <= rounds; r++)); do
	pids=()
	for i in $(seq 1 8); do
		$P apply -f "$T/par$i.yaml" >"$T/par$i.out" 2>&1 &
		pids+=($!)
	done
	fails=0
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || { fails=$((fails + 1)); sed 's/^/#   /' "$T/par$((i + 1)).out"; }; done
	t_is "$fails" "0" "round $r: 8 parallel applies, no error"
	note_uids
	t_is "$($P get pods -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort | uniq -d | grep -c .)" "0" \
		"round $r: 8 different IPs"
	leaks_ok "round $r: 8 pods whole, nothing else"
	pids=()
	for i in $(seq 1 8); do
		$P delete pod "par$i" >"$T/par$i.out" 2>&1 &
		pids+=($!)
	done
	fails=0
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || { fails=$((fails + 1)); sed 's/^/#   /' "$T/par$((i + 1)).out"; }; done
	t_is "$fails" "0" "round $r: 8 parallel deletes, no error"
	leaks_ok "round $r: nothing left"
done
tally "8 parallel apply+delete" "$rounds" 0 0

# --- 2. the range exhausted --------------------------------------------------------
cp "$T/net.d/10-podnet.conflist" "$T/wide.conflist"
jq '.plugins[0].ipam.ranges = [[{subnet: "10.98.0.0/28"}]]' "$T/wide.conflist" >"$T/net.d/10-podnet.conflist"
for i in $(seq 1 13); do pod_yaml "ex$i" 1; echo ---; done >"$T/ex.yaml"
t_ok "13 pods fill 10.98.0.0/28" $P apply -f "$T/ex.yaml"
note_uids
pod_yaml ex14 1 >"$T/ex14.yaml"
t_is "$(rc_out $P apply -f "$T/ex14.yaml")" \
	'1:error: network for pod "ex14" (CNI network podnet): plugin type="podnet-bridge" failed (add): podnet-bridge: no IP addresses available in range set: 10.98.0.1-10.98.0.14: No space left on device' \
	"the 14th: no IP addresses available, naming the range"
leaks_ok "the 14th left nothing (13 pods whole)"
t_ok "delete ex7" $P delete pod ex7
t_ok "then the 14th applies" $P apply -f "$T/ex14.yaml"
note_uids
leaks_ok "13 pods whole"
t_ok "delete them (ex7 is gone already)" $P delete pod $(names ex 14 | grep -vx ex7)
cp "$T/wide.conflist" "$T/net.d/10-podnet.conflist"

# --- 3. scale ----------------------------------------------------------------------
N=$(trials 10 200)
M=$(trials 30 1000)
: >"$T/apply.ms"
for ((i = 1; i <= N; i++)); do
	pod_yaml "s$i" 1 >"$T/s.yaml"
	ms_of $P apply -f "$T/s.yaml" >>"$T/apply.ms"
done
note_uids
t_is "$($P get pods -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c Running)" "$N" "$N pods Running"
blocks=""
for ((b = 0; b * 50 < N; b++)); do
	blocks+=" $(sed -n "$((b * 50 + 1)),$((b * 50 + 50))p" "$T/apply.ms" | p50)"
done
all=$(p50 <"$T/apply.ms")
first=${blocks# }; first=${first%% *}
last=${blocks##* }
echo "# measure: apply p50 ${all} ms at $N pods; p50 per block of 50:${blocks} ms"
budget "the last block's p50 ($last ms) <= $BUDGET_APPLY_DRIFT% of the first's ($first ms)" \
	test $((last * 100)) -le $((first * BUDGET_APPLY_DRIFT))
rss=0 pss=0 n=0
for pid in $(our_pids); do
	case $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) in *podnet-shim*) ;; *) continue ;; esac
	rss=$((rss + $(awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup")))
	pss=$((pss + $(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")))
	n=$((n + 1))
done
echo "# measure: $n shims: RSS $((rss / n)) KB, PSS $((pss / n)) KB each on average"
t_is "$n" "$N" "one shim per pod"
# These pods have no httpGet probe: the shim maps no libcurl (it dlopens it
# at a pod's first one), nor SQLite or libarchive (it links neither).
# Memory does not depend on how loaded the CPUs are: held in every run.
t_ok "shim RSS $((rss / n)) KB <= $BUDGET_SHIM_RSS_KB KB" test $((rss / n)) -le "$BUDGET_SHIM_RSS_KB"
t_ok "shim PSS $((pss / n)) KB <= $BUDGET_SHIM_PSS_KB KB" test $((pss / n)) -le "$BUDGET_SHIM_PSS_KB"
leaks_ok "$N pods whole, nothing else"
runtime_floor s1 "$(trials 5 20)"
budget "apply p50 $all ms <= $BUDGET_APPLY_PCT % of 2 runtime runs ($RUN_MS ms each)" \
	test "$all" -le $((2 * RUN_MS * BUDGET_APPLY_PCT / 100))
t0=${EPOCHREALTIME/./}
names s "$N" | xargs -P 20 -n $(((N + 19) / 20)) $P delete pod >/dev/null 2>"$T/del.err"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
echo "# measure: delete of $N pods, 20 at a time: $ms ms ($((ms / N)) ms a pod)"
t_is "$(grep -c . "$T/del.err")" "0" "delete of $N pods: no error"
budget "delete $ms ms <= $BUDGET_DELETE_PCT % of $N x 2 runtime deletes ($DELETE_MS ms each)" \
	test "$ms" -le $((N * 2 * DELETE_MS * BUDGET_DELETE_PCT / 100))
leaks_ok "all $N gone"

pod_yaml big "$M" >"$T/big.yaml"
ms=$(ms_of $P apply -f "$T/big.yaml")
note_uids
echo "# measure: one pod of $M containers: apply $ms ms ($((ms / M)) ms a container)"
t_is "$($P get pod big --no-headers | awk '{print $2, $3}')" "$M/$M Running" "$M containers running"
leaks_ok "the big pod whole"
runtime_floor big "$(trials 5 20)"
budget "apply $ms ms <= $BUDGET_CTR_PCT % of $M runtime runs ($RUN_MS ms each)" \
	test "$ms" -le $((M * RUN_MS * BUDGET_CTR_PCT / 100))
ms=$(ms_of $P delete pod big)
echo "# measure: one pod of $M containers: delete $ms ms"
budget "delete $ms ms <= $M x $BUDGET_CTR_DELETE_MS ms" test "$ms" -le $((M * BUDGET_CTR_DELETE_MS))
leaks_ok "the big pod gone"
t_done
