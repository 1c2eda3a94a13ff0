#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile input to the CLI and to the state, in a throwaway node.  Each
# case: a precise error (or the right behaviour), no crash, bounded time
# (every command runs under `timeout`), nothing left behind.
#
#   names       ../, /, NUL, 64 KiB, invalid UTF-8 as pod, namespace and
#               container names, in manifests and on the command line
#   paths       container ids and image names that look like paths
#   size        a 10 MB manifest, 1000 pods in one file, 10000-deep nesting,
#               a billion-laughs alias bomb
#   state.db    truncated, overwritten with garbage: the file is named with
#               the way to recover, never a crash
#   full disk   a size-limited tmpfs under the podnet root during apply, and
#               under the container logs while a container writes
. "$(dirname "$0")/lib.sh"
node_enter "$@"
fault_node

# run_bounded SECONDS CMD...: "EXIT:OUTPUT" (stdout+stderr, first 400 bytes);
# 124 means it hung; >= 128 a crash (a signal).
run_bounded() {
	local s=$1 rc
	shift
	timeout "$s" "$@" >"$T/rb.out" 2>&1
	rc=$?
	if [ "$(stat -c %s "$T/rb.out")" -le 800 ]; then
		echo "$rc:$(cat "$T/rb.out")"
	else
		echo "$rc:$(head -c 300 "$T/rb.out") ... $(tail -c 300 "$T/rb.out")"
	fi
}
# sane RESULT DESC: exited 1 (an error, not a crash or a hang).
sane() { t_match "$1" "^1:" "$2"; case ${1%%:*} in 1) ;; *) echo "#   $1" ;; esac; }
manifest() { # NAME NAMESPACE CTRNAME IMAGE
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "%s"\n  namespace: "%s"\nspec:\n' "$1" "$2"
	printf '  containers:\n  - name: "%s"\n    image: "%s"\n    command: [sleep, "%s"]\n' "$3" "$4" "$MARK"
}
nothing_left() {
	local l
	l=$(node_leaks)
	if [ -z "$l" ]; then t_pass "$1"; else t_fail "$1"; echo "$l" | head | sed 's/^/#   /'; fi
}
long=$(head -c 65536 /dev/zero | tr '\0' a)

# --- names ---------------------------------------------------------------------
i=0
for bad in '../x' 'a/b' '..' 'a\0b' "$long" $'\xff\xfe' 'UPPER' 'a b'; do
	i=$((i + 1))
	manifest "$bad" default c1 host >"$T/n$i.yaml"
	r=$(run_bounded 60 $P apply -f "$T/n$i.yaml")
	t_match "$r" '^1:(The Pod ".*" is invalid: metadata.name: Invalid value|The Pod "[a-z]+ \.\.\. .*: must be no more than (253|63) characters$|error: error parsing .*: (NUL character|invalid leading UTF-8))' "pod name #$i (${#bad} bytes): kube-apiserver's Invalid"
	manifest ok "$bad" c1 host >"$T/s$i.yaml"
	r=$(run_bounded 60 $P apply -f "$T/s$i.yaml")
	t_match "$r" '^1:(The Pod "ok" is invalid: metadata.namespace: Invalid value|The Pod "[a-z]+ \.\.\. .*: must be no more than (253|63) characters$|error: error parsing .*: (NUL character|invalid leading UTF-8))' "namespace #$i: refused"
	manifest ok default "$bad" host >"$T/c$i.yaml"
	r=$(run_bounded 60 $P apply -f "$T/c$i.yaml")
	t_match "$r" '^1:(The Pod "ok" is invalid: spec.containers\[0\].name: Invalid value|The Pod "[a-z]+ \.\.\. .*: must be no more than (253|63) characters$|error: error parsing .*: (NUL character|invalid leading UTF-8))' "container name #$i: refused"
	for cmd in "get pod" "delete pod" "logs" "describe pod"; do
		r=$(run_bounded 60 $P $cmd "$bad")
		case ${r%%:*} in 0|1) t_pass "$cmd <name #$i>: no crash (exit ${r%%:*})" ;;
		*) t_fail "$cmd <name #$i>: exit ${r%%:*}"; echo "#   ${r:0:200}" ;; esac
	done
	r=$(run_bounded 60 $P get pods -n "$bad")
	case ${r%%:*} in 0|1) t_pass "get pods -n <name #$i>: no crash" ;; *) t_fail "get pods -n <name #$i>: ${r:0:200}" ;; esac
done
nothing_left "no pod, no file was made from a bad name"

# --- ids and images that look like paths ---------------------------------------
for id in ../../etc ../runtime / . '*' "$long"; do
	for cmd in inspect inspectp logs; do
		r=$(run_bounded 60 $P $cmd "$id")
		case ${r%%:*} in 1) t_pass "$cmd '${id:0:20}': an error" ;; *) t_fail "$cmd '${id:0:20}': $r" ;; esac
	done
done
for img in ../../etc/passwd /etc host/../.. 'a:b:c' "$long"; do
	manifest imgpod default c1 "$img" >"$T/img.yaml"
	r=$(run_bounded 60 $P apply -f "$T/img.yaml")
	sane "$r" "image '${img:0:20}': refused"
done
t_ok "/etc/passwd untouched" grep -q '^root:' /etc/passwd
nothing_left "nothing left by bad images"

# --- size ---------------------------------------------------------------------------
{
	manifest big default c1 host
	printf '  # padding\n'
	printf 'metadata_pad: "%s"\n' "$(head -c 10000000 /dev/zero | tr '\0' a)"
} >"$T/big.yaml"
r=$(run_bounded 60 $P apply -f "$T/big.yaml")
sane "$r" "a 10 MB manifest (an unknown 10 MB field): an error, within 60 s"
{
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big2\n  annotations:\n    a: "%s"\n' \
		"$(head -c 10000000 /dev/zero | tr '\0' a)"
	printf 'spec:\n  containers:\n  - { name: c1, image: host, command: [sleep, "%s"] }\n' "$MARK"
} >"$T/big2.yaml"
r=$(run_bounded 60 $P apply -f "$T/big2.yaml")
t_match "$r" '^1:The Pod "big2" is invalid: metadata.annotations: Too long: must have at most 262144 bytes' \
	"a 10 MB annotation: kube-apiserver's Too long"
for i in $(seq 1 999); do pod_yaml "p$i" 1; echo ---; done >"$T/1000.yaml"
manifest "BAD_NAME" default c1 host >>"$T/1000.yaml"
t0=$SECONDS
r=$(run_bounded 120 $P apply -f "$T/1000.yaml")
t_match "$r" '^1:The Pod "BAD_NAME" is invalid' "1000 pods in one file, the last one bad: refused as a whole"
t_is "$($P get pods 2>&1)" "No resources found in default namespace." "and no pod of the 999 was made"
t_ok "parsed within 30 s ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 30
{
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\n  labels: '
	head -c 10000 /dev/zero | tr '\0' '['
	head -c 10000 /dev/zero | tr '\0' ']'
	echo
} >"$T/deep.yaml"
r=$(run_bounded 60 $P apply -f "$T/deep.yaml")
sane "$r" "10000-deep nesting: an error"
t_match "$r" "max depth" "it names the depth limit"
cat >"$T/bomb.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: bomb
  annotations:
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
spec:
  containers:
  - { name: c1, image: host, command: [sleep, "1"] }
YAML
r=$(run_bounded 60 $P apply -f "$T/bomb.yaml")
t_match "$r" "^1:.*excessive aliasing" "billion laughs: go-yaml's 'excessive aliasing', within 60 s"
nothing_left "nothing left by oversized input"

# --- a damaged state.db -----------------------------------------------------------
pod_yaml keep 1 >"$T/keep.yaml"
db=$PODNET_ROOT/state.db
$P apply -f "$T/keep.yaml" >/dev/null
note_uids
$P delete pod keep >/dev/null
cp "$db" "$T/good.db"
size=$(stat -c %s "$db")
damage() {
	cp "$T/good.db" "$db"
	rm -f "$db-wal" "$db-shm"
	case $1 in
	truncate) truncate -s $((size / 2)) "$db" ;;
	garbage) head -c "$size" /dev/urandom >"$db" ;;
	header) printf 'SQLite format 3\0garbage' | dd of="$db" conv=notrunc status=none ;;
	zero) dd if=/dev/zero of="$db" bs=1 seek=100 count=4000 conv=notrunc status=none ;;
	esac
}
for how in truncate garbage header zero; do
	damage "$how"
	for cmd in "get pods" "apply -f $T/keep.yaml" "gc" "delete pod keep"; do
		r=$(run_bounded 60 $P $cmd)
		case ${r%%:*} in
		1) t_match "$r" "state database $db is corrupt: .*; to keep what can be read: sqlite3 $db .recover" \
			"state.db $how: $cmd names the file and how to recover" ;;
		0) t_pass "state.db $how: $cmd works (SQLite did not need the damaged pages)" ;;
		*) t_fail "state.db $how: $cmd: exit ${r:0:300}" ;;
		esac
	done
done
# The two ways out it names, each tried: with a pod running when the
# state was lost.
cp "$T/good.db" "$db"
rm -f "$db-wal" "$db-shm"
$P apply -f "$T/keep.yaml" >/dev/null
note_uids
cp "$db" "$T/keep.db"
cp "$T/keep.db" "$db"
dd if=/dev/zero of="$db" bs=1 seek=100 count=100 conv=notrunc status=none
t_ok "salvage: sqlite3 .recover into a new file" bash -c "sqlite3 $db .recover | sqlite3 $db.new && mv $db.new $db"
t_ok "podnet reads the salvaged state" $P get pods
dd if=/dev/zero of="$db" bs=1 seek=100 count=4000 conv=notrunc status=none
rm -f "$db-wal" "$db-shm"
t_ok "start over: mv state.db away" mv "$db" "$db.corrupt"
t_ok "then podnet gc" $P gc
t_is "$($P get pods 2>&1)" "No resources found in default namespace." "the new state has no pod"
nothing_left "and nothing of the old state's pod runs or stays (shim, pause, netns, lease)"

# --- a full disk ---------------------------------------------------------------
# apply on a podnet root with 3 MiB free: the state fits, a pod's files
# may not; whatever fails must fail whole.
mkdir -p "$T/small"
mount -t tmpfs -o size=3m podnet-full "$T/small"
on_cleanup "umount -l $T/small"
cp -a "$PODNET_ROOT/." "$T/small/"
head -c $((3 * 1024 * 1024)) /dev/zero >"$T/small/filler" 2>/dev/null
rm -f "$T/small/filler.small"
r=$(PODNET_ROOT=$T/small run_bounded 60 $P apply -f "$T/keep.yaml")
t_match "$r" "^1:.*([Nn]o space left on device|database or disk is full|ENOSPC)" "apply on a full disk: ENOSPC, said"
rm -f "$T/small/filler"
t_is "$(PODNET_ROOT=$T/small $P get pods 2>&1)" "No resources found in default namespace." "and no pod is left"
t_is "$(find "$T/small/pods" -mindepth 1 -maxdepth 1 2>/dev/null | grep -c .)" "0" "and no pod dir"
# Logs: a container writes a line every 10 ms into a podnet root on a
# 32 MiB tmpfs; the tmpfs fills up; the shim drops lines (and says so in
# shim.log) and lives on; with room again, lines are logged again.
mkdir -p "$T/logroot"
mount -t tmpfs -o size=32m podnet-logs "$T/logroot"
on_cleanup "umount -l $T/logroot"
# Before the umount (cleanups run in reverse): chatty's shim and container
# must not outlive a test that fails half-way.
on_cleanup "PODNET_ROOT=$T/logroot $P delete pod chatty"
cat >"$T/chatty.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: { name: chatty }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - { name: c1, image: host, command: [sh, -c, 'i=0; while :; do i=\$((i+1)); printf "line %d %0900d\\n" \$i 0; sleep 0.01; done'] }
YAML
LP() { PODNET_ROOT=$T/logroot $P "$@"; }
t_ok "apply chatty (podnet root on a 32 MiB tmpfs)" LP apply -f "$T/chatty.yaml"
uid=$(ls "$T/logroot/pods")
sleep 0.5
head -c $((40 * 1024 * 1024)) /dev/zero >"$T/logroot/filler" 2>/dev/null
# Until the shim has met the full disk (polled, for a loaded machine).
for ((i = 0; i < 600; i++)); do
	grep -qE "dropped|No space left" "$T/logroot/pods/$uid/shim.log" 2>/dev/null && break
	sleep 0.1
done
t_ok "the shim lives on a full disk" kill -0 "$(jq -r .pid "$T/logroot/pods/$uid/shim.json")"
rm -f "$T/logroot/filler"
# Logging resumes when the container next writes: poll, no wall-clock
# bound that a loaded machine could miss (the runner's timeout is the bound).
before=$(LP logs chatty | tail -1 | cut -d' ' -f2)
for ((i = 0; i < 600; i++)); do
	after=$(LP logs chatty | tail -1 | cut -d' ' -f2)
	[ -n "$after" ] && [ "$before" != "$after" ] && break
	sleep 0.1
done
t_ok "with room again, lines are logged again ($before -> $after)" test -n "$after" -a "$before" != "$after"
t_match "$(cat "$T/logroot/pods/$uid/shim.log")" "(dropped|No space left)" "shim.log says lines were dropped"
t_ok "delete chatty" LP delete pod chatty
t_is "$(find "$T/logroot/pods" -mindepth 1 -maxdepth 1 | grep -c .)" "0" "nothing of chatty is left"
nothing_left "nothing left after the full disks"
t_done
