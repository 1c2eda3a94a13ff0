/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PKI_H
#define PODNET_PKI_H

/*
 * The node's certificates, laid out as kubeadm lays out a control plane's:
 *
 *   <dir>/ca.crt ca.key                 the node's CA (10 years)
 *   <dir>/apiserver.crt apiserver.key   podnetd's serving certificate (1 year),
 *                                       SANs: localhost, the node name,
 *                                       kubernetes(.default...), 127.0.0.1,
 *                                       ::1 and the listen/node addresses
 *   <dir>/admin.crt admin.key           a client certificate, CN
 *                                       kubernetes-admin, O system:masters
 *   <kubeconfig>                        admin.conf: the admin certificate
 *                                       and the CA, embedded
 *
 * Keys are ECDSA P-256 (cheap handshakes), written 0600; certificates 0644.
 * Whatever exists and is still good is kept: a CA is never replaced (its
 * key missing is an error, nothing is overwritten); a leaf certificate is
 * reissued when it is missing, expires within 30 days, was not signed by
 * the CA, or (serving) lacks a name or address it must carry.  admin.conf
 * is rewritten only when its content would change.
 */

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "util.h"

#define PKI_DEFAULT_DIR "/etc/podnet/pki"
#define PKI_DEFAULT_KUBECONFIG "/etc/podnet/admin.conf"

struct pki_opts {
	const char *dir;
	const char *kubeconfig;        /* NULL: write none */
	const char *server_url;        /* "https://127.0.0.1:6443" */
	const char *node_name;
	const char *const *ips;        /* extra IP SANs, NULL-terminated, may be NULL */
};

/* PEM text, for the TLS server. */
struct pki {
	char *ca_pem;
	char *cert_pem;
	char *key_pem;
	bool issued_ca, issued_serving, issued_admin, wrote_kubeconfig;
};

int pki_ensure(const struct pki_opts *o, struct pki *out, struct pn_err *err) PN_MUST_CHECK;
void pki_free(struct pki *p);

/* An authenticated client: CN and O's of its certificate. */
struct pki_identity {
	char *user;
	char **groups;       /* NULL-terminated */
};

/*
 * Verify the client certificate of a TLS session (a gnutls_session_t)
 * against the session's trusted CAs, for client authentication as
 * kube-apiserver's x509 authenticator does (chain to the CA, within its
 * validity, extended key usage clientAuth).  0 and *id filled when it
 * verifies; -ENOENT when the client sent none; -EACCES when it does not
 * verify (the reason in err).
 */
int pki_peer_identity(void *session, struct pki_identity *id, struct pn_err *err) PN_MUST_CHECK;
void pki_identity_free(struct pki_identity *id);

#endif
