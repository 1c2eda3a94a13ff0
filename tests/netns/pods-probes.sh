#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container probes run by the shim, with kubelet's semantics, in a
# throwaway node:
#
#   rp  busybox httpd :8080, readinessProbe httpGet /ready.html   READY 1/1 <-> 0/1 as the file comes and goes
#   lv  sleep, livenessProbe exec [test -f /tmp/alive]             restarted with kubelet's events when it fails
#   st  startupProbe tcpSocket :9090, readinessProbe exec true     not started, not ready until :9090 listens
#   sf  startupProbe that never passes (failureThreshold 2)         killed and restarted: "failed startup probe"
#   nc  httpGet readiness on a node without libcurl (the files hidden in
#       this node's mount namespace): the shim runs, the probe fails with
#       the loader's reason, the pod stays up and not ready
#
# Every wait is bounded; the pods have terminationGracePeriodSeconds: 1.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

export PODNET_ROOT=/var/lib/podnet PODNET_CNI_CONF_DIR=$T/net.d PODNET_CNI_CACHE_DIR=/var/lib/cni
P=$BIN/podnet
on_cleanup "$P delete pod rp lv st sf; $P gc"

ready_is() { [ "$($P get pod "$1" --no-headers 2>/dev/null | awk '{print $2}')" = "$2" ]; }
jp() { $P get pod "$1" -o jsonpath="$2"; }
restarted() { [ "$(jp "$1" '{.status.containerStatuses[0].restartCount}' 2>/dev/null)" -ge 1 ]; }

cat >"$T/pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: rp, labels: { app: rp } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: host
    command: [sh, -c, 'mkdir -p /www && echo ok >/www/ready.html && exec busybox httpd -f -p 8080 -h /www']
    ports: [{ name: http, containerPort: 8080 }]
    readinessProbe:
      httpGet: { path: /ready.html, port: http }
      periodSeconds: 1
      failureThreshold: 1
      timeoutSeconds: 30   # a loaded machine may answer late: no flapping
---
apiVersion: v1
kind: Pod
metadata: { name: lv }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: host
    command: [sh, -c, 'touch /tmp/alive; exec sleep 100000']
    livenessProbe:
      exec: { command: [test, -f, /tmp/alive] }
      periodSeconds: 1
      failureThreshold: 2
      timeoutSeconds: 30   # a loaded machine may take seconds to exec
---
apiVersion: v1
kind: Pod
metadata: { name: st }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: host
    command: [sleep, '100000']
    startupProbe:
      tcpSocket: { port: 9090 }
      periodSeconds: 1
      failureThreshold: 3600   # the test opens :9090 after the others' waits: never give up first
    readinessProbe:
      exec: { command: ['true'] }
      periodSeconds: 1
      timeoutSeconds: 30
---
apiVersion: v1
kind: Pod
metadata: { name: sf }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: host
    command: [sleep, '100000']
    startupProbe:
      exec: { command: ['false'] }
      periodSeconds: 1
      failureThreshold: 2
YAML
t_ok "apply four pods with probes" $P apply -f "$T/pods.yaml"

# --- readiness ------------------------------------------------------------
t_ok "rp becomes ready once /ready.html answers 200" wait_for 120 ready_is rp 1/1
t_is "$(jp rp '{.status.conditions[?(@.type=="Ready")].status}')" "True" "rp: condition Ready True"
t_ok "the file goes" $P exec rp -- rm /www/ready.html
t_ok "rp is not ready once the probe gets 404" wait_for 120 ready_is rp 0/1
t_is "$(jp rp '{.status.containerStatuses[0].ready}')" "false" "rp: containerStatuses[0].ready false"
t_is "$(jp rp '{.status.containerStatuses[0].restartCount}')" "0" "rp: readiness failures restart nothing"
t_match "$($P describe pod rp)" "Readiness probe failed: HTTP probe failed with statuscode: 404" \
	"describe rp: the Unhealthy event with the status code"
t_match "$($P describe pod rp)" "Readiness: +http-get http://:http/ready.html delay=0s timeout=30s period=1s #success=1 #failure=1" \
	"describe rp: the probe line as kubectl prints it"
t_ok "the file comes back" $P exec rp -- sh -c 'echo ok >/www/ready.html'
t_ok "rp is ready again" wait_for 120 ready_is rp 1/1

# --- liveness -------------------------------------------------------------
t_ok "lv runs and is ready (no readiness probe)" wait_for 120 ready_is lv 1/1
t_ok "lv's liveness file goes" $P exec lv -- rm /tmp/alive
t_ok "lv is restarted after two failed probes" \
	wait_for 120 restarted lv
d=$($P describe pod lv)
t_match "$d" "Warning +Unhealthy .* kubelet +Liveness probe failed: " "describe lv: Unhealthy event"
t_match "$d" "Normal +Killing .* kubelet +Container c failed liveness probe, will be restarted" \
	"describe lv: Killing event with kubelet's text"
t_match "$(jp lv '{.status.containerStatuses[0].lastState.terminated.exitCode}')" "^(137|143)$" \
	"lv: the killed attempt's exit code is a signal's"
t_ok "lv's new attempt is live again (its command recreated the file)" wait_for 120 ready_is lv 1/1

# --- startup gates the others ---------------------------------------------
sleep 3
t_is "$(jp st '{.status.containerStatuses[0].started}')" "false" "st: not started while :9090 is closed"
t_is "$(jp st '{.status.containerStatuses[0].ready}')" "false" "st: readiness waits for startup"
t_ok "st: listen on :9090" $P exec st -- busybox httpd -p 9090 -h /
t_ok "st starts, then becomes ready" wait_for 120 ready_is st 1/1
t_is "$(jp st '{.status.containerStatuses[0].started}')" "true" "st: started true"
t_is "$(jp st '{.status.containerStatuses[0].restartCount}')" "0" "st: never restarted"

# --- a startup probe that never passes ------------------------------------
t_ok "sf is restarted by its startup probe" \
	wait_for 120 restarted sf
t_match "$($P describe pod sf)" "Container c failed startup probe, will be restarted" \
	"describe sf: Killing event for the startup probe"
t_is "$(jp sf '{.status.containerStatuses[0].ready}')" "false" "sf: never ready"

t_ok "delete the pods" $P delete pod rp lv st sf

# --- no libcurl on the node -----------------------------------------------
# The shim dlopens libcurl at the first httpGet probe (it does not link it):
# with both sonames it tries turned into empty files, a shim still starts
# and its probe fails with what dlopen said.  The bind mounts live in this
# node's private mount namespace only.
hidden=()
for so in libcurl-gnutls.so.4 libcurl.so.4; do
	f=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}')
	[ -n "$f" ] || continue
	f=$(readlink -f "$f")
	mount --bind /dev/null "$f" && hidden+=("$f") && on_cleanup "umount '$f'"
done
t_ok "libcurl hidden in this node (${#hidden[@]} files)" test "${#hidden[@]}" -ge 1
cat >"$T/nc.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: nc }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: host
    command: [sh, -c, 'mkdir -p /www && echo ok >/www/ready.html && exec busybox httpd -f -p 8080 -h /www']
    readinessProbe:
      httpGet: { path: /ready.html, port: 8080 }
      periodSeconds: 1
YAML
on_cleanup "$P delete pod nc"
t_ok "apply nc (httpGet readiness) without libcurl" $P apply -f "$T/nc.yaml"
unhealthy() { $P describe pod nc | grep -q "Readiness probe failed: httpGet probe: libcurl not available: "; }
t_ok "nc: the probe fails, saying libcurl is not available" wait_for 120 unhealthy
t_match "$($P describe pod nc)" "libcurl not available: [^ ]*libcurl-gnutls\.so\.4: file too short; [^ ]*libcurl\.so\.4: file too short" \
	"describe nc: dlerror's reason for each soname tried"
retried() { $P describe pod nc | grep -Eq "\(x[0-9]+ over .*Readiness probe failed: httpGet probe: libcurl not"; }
t_ok "nc: the shim lives on and probes again (the event's count grows)" wait_for 60 retried
t_is "$(jp nc '{.status.containerStatuses[0].state.running}' | grep -c startedAt)" "1" "nc: still running"
t_is "$(jp nc '{.status.containerStatuses[0].ready}')" "false" "nc: not ready"
t_ok "delete nc (its shim is alive to stop it)" $P delete pod nc
t_done
