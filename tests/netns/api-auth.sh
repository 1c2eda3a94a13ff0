#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podnetd's transport and security, in a throwaway node:
#
#   kubectl / curl --TLS 1.3, client cert--> podnetd 127.0.0.1:6443
#                                              PKI in $T/pki, admin.conf
#
# Checks: the PKI kubeadm would lay out (files, modes, SANs, the admin
# identity); a client without a certificate gets 401 and kubectl's "You
# must be logged in"; one from another CA gets 401 too; the open endpoints
# answer anyone; a kubeconfig with the wrong CA fails in kubectl's TLS
# check; a restart keeps the CA and the kubeconfig; bodies over 3 MiB get
# 413, a 1 MiB+ body and a client that sends its request slowly hold up
# no other request.
. "$(dirname "$0")/lib.sh"
node_enter "$@"

t_ok "podnetd starts and answers /readyz" podnetd_start

# The PKI.
t_is "$(stat -c %a "$T/pki/ca.key") $(stat -c %a "$T/pki/apiserver.key") $(stat -c %a "$T/pki/admin.key") $(stat -c %a "$T/admin.conf")" \
	"600 600 600 600" "keys and admin.conf are 0600"
sans=$(openssl x509 -in "$T/pki/apiserver.crt" -noout -ext subjectAltName)
t_match "$sans" "DNS:localhost" "serving certificate: DNS localhost"
t_match "$sans" "DNS:$(hostname | tr A-Z a-z)" "serving certificate: the node name"
t_match "$sans" "IP Address:127\.0\.0\.1" "serving certificate: 127.0.0.1"
t_match "$sans" "IP Address:0:0:0:0:0:0:0:1" "serving certificate: ::1"
t_is "$(openssl x509 -in "$T/pki/admin.crt" -noout -subject -nameopt RFC2253)" \
	"subject=CN=kubernetes-admin,O=system:masters" "admin certificate: CN kubernetes-admin, O system:masters"
t_ok "the admin certificate chains to the CA" openssl verify -CAfile "$T/pki/ca.crt" "$T/pki/admin.crt"
t_is "$(k config current-context)" "kubernetes-admin@podnet" "admin.conf's context"
t_is "$(k get --raw /api/v1/namespaces/default | jq -r .metadata.name)" "default" \
	"kubectl with admin.conf reads the default namespace"

# No certificate, or one from another CA: 401.
t_is "$(curl -s --cacert "$T/pki/ca.crt" -w '%{http_code}' $API/api/v1/pods)" \
	'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}
401' "no client certificate: 401 and kube-apiserver's Status"
for p in /healthz /livez /readyz; do
	t_is "$(curl -s --cacert "$T/pki/ca.crt" $API$p)" "ok" "$p answers without a certificate"
done
t_is "$(curl -s --cacert "$T/pki/ca.crt" $API/version | jq -r .gitVersion)" "v1.32.0-podnet" \
	"/version answers without a certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other-ca \
	-keyout "$T/other-ca.key" -out "$T/other-ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=intruder" \
	-keyout "$T/intruder.key" -out "$T/intruder.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$T/ext"
openssl x509 -req -in "$T/intruder.csr" -CA "$T/other-ca.crt" -CAkey "$T/other-ca.key" -days 1 \
	-extfile "$T/ext" -out "$T/intruder.crt" 2>/dev/null
t_is "$(curl -s --cacert "$T/pki/ca.crt" --cert "$T/intruder.crt" --key "$T/intruder.key" -o /dev/null -w '%{http_code}' $API/api/v1/pods)" \
	"401" "a certificate from another CA: 401"
t_match "$(grep intruder "$T/podnetd.log" | head -1)" "client certificate CN=intruder,O=system:masters refused: .*issuer is unknown" \
	"the log names the refused certificate and why"
k config view --raw --minify -o json |
	jq --arg c "$(base64 -w0 "$T/intruder.crt")" --arg k "$(base64 -w0 "$T/intruder.key")" \
		'.users[0].user = {"client-certificate-data": $c, "client-key-data": $k}' >"$T/intruder.json"
# A fresh kubectl meets the 401 in discovery first, and words it as it does
# against kube-apiserver.
t_is "$(KUBECONFIG=$T/intruder.json kubectl get pods 2>&1 | tail -1)" \
	"error: You must be logged in to the server (the server has asked for the client to provide credentials)" \
	"kubectl with that certificate: not logged in"

# The wrong CA in the kubeconfig: kubectl refuses the server.
k config view --raw --minify -o json |
	jq --arg ca "$(base64 -w0 "$T/other-ca.crt")" '.clusters[0].cluster["certificate-authority-data"] = $ca' >"$T/wrongca.json"
t_match "$(KUBECONFIG=$T/wrongca.json kubectl get pods 2>&1)" \
	"tls: failed to verify certificate: x509: certificate signed by unknown authority" \
	"a wrong CA: kubectl's TLS error"

# Bodies: over 3 MiB is 413; a 1 MiB+ body and a slow client block nothing.
head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' a >"$T/big4"
t_is "$(kcurl -X POST -H 'Content-Type: application/json' --data-binary @"$T/big4" $API/api/v1/namespaces/default/pods | jq -r '.code, .reason, .message')" \
	"$(printf '413\nRequestEntityTooLarge\nRequest entity too large: limit is 3145728')" "a 4 MiB body: 413"
# A client that sends a 2 MiB body at 16 KiB/s (128 s), and one that never
# finishes its headers (podnetd drops it after 300 s idle).
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' a >"$T/big2"
# Under timeout(1), which signals its whole process group when the cleanup
# kills it: no curl, openssl or sleep outlives the test.
bg timeout 300 curl -sS --cacert "$T/pki/ca.crt" --cert "$T/pki/admin.crt" --key "$T/pki/admin.key" \
	-o "$T/slow.out" --stderr /dev/null --limit-rate 16k -X POST -H 'Content-Type: application/json' \
	--data-binary @"$T/big2" $API/api/v1/namespaces/default/pods
slow=${_bg_pids[-1]}
bg timeout 400 bash -c "(printf 'GET /api/v1/pods HTTP/1.1\r\nHost: x\r\n'; sleep 400) | openssl s_client -quiet -connect 127.0.0.1:6443 -CAfile $T/pki/ca.crt -cert $T/pki/admin.crt -key $T/pki/admin.key >/dev/null 2>&1"
# Both connected (this node's network namespace holds no other).
conns() { ss -Htn state established '( sport = :6443 )' | wc -l; }
for _ in $(seq 1 600); do [ "$(conns)" -ge 2 ] && break; sleep 0.1; done
t_ok "the upload and the stalled request are connected" test "$(conns)" -ge 2
t_ok "kubectl get nodes while a 2 MiB upload and a stalled request are in flight" k get nodes
# Held up by either, kubectl would have answered only after the upload
# ended (128 s; the stalled one lasts longer): no clock needed.
t_ok "... answered while the slow upload is still going" kill -0 "$slow"
t_ok "... and both are still connected" test "$(conns)" -ge 2

# A restart keeps the CA and rewrites nothing.
ca_before=$(sha256sum "$T/pki/ca.crt" "$T/admin.conf")
podnetd_stop
t_ok "podnetd restarts" podnetd_start
t_is "$(sha256sum "$T/pki/ca.crt" "$T/admin.conf")" "$ca_before" "a restart keeps ca.crt and admin.conf"
t_ok "kubectl still works after the restart" k get nodes
t_done
