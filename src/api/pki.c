/* SPDX-License-Identifier: Apache-2.0 */
#include "pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "manifest.h"

#define DAY (24 * 60 * 60)
#define CA_DAYS 3650
#define LEAF_DAYS 365
#define RENEW_DAYS 30
/* Certificates start a little in the past so a client whose clock is
 * slightly behind does not see "not yet valid". */
#define BACKDATE (5 * 60)

enum leaf { LEAF_SERVING, LEAF_CLIENT };

struct pair {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

static void pair_free(struct pair *p)
{
	if (p->crt)
		gnutls_x509_crt_deinit(p->crt);
	if (p->key)
		gnutls_x509_privkey_deinit(p->key);
	p->crt = NULL;
	p->key = NULL;
}

static int tls_fail(struct pn_err *err, int gret, const char *what)
{
	return pn_error(err, PN_E_STATE, EIO, "%s: %s", what, gnutls_strerror(gret));
}

static int read_datum(const char *path, gnutls_datum_t *d, struct pn_err *err)
{
	int ret = gnutls_load_file(path, d);

	if (ret == GNUTLS_E_FILE_ERROR) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return -ENOENT;
		return pn_error(err, PN_E_STATE, EACCES, "cannot read %s", path);
	}
	if (ret < 0)
		return tls_fail(err, ret, path);
	return 0;
}

/* Keys and kubeconfigs go through pn_file_replace(): a reader never sees
 * half a key, and mkostemp() makes the temporary file 0600 from the start,
 * so a key is never readable by others, not even for a moment. */
static int write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			struct pn_err *err)
{
	return pn_file_replace(path, data, len, mode, PN_E_STATE, err);
}

static int load_pair(const char *dir, const char *base, struct pair *p, struct pn_err *err)
{
	char path[PATH_MAX];
	gnutls_datum_t d = { 0 };
	int ret;

	snprintf(path, sizeof(path), "%s/%s.crt", dir, base);
	ret = read_datum(path, &d, err);
	if (ret < 0)
		return ret;
	ret = gnutls_x509_crt_init(&p->crt);
	if (ret == 0)
		ret = gnutls_x509_crt_import(p->crt, &d, GNUTLS_X509_FMT_PEM);
	gnutls_free(d.data);
	d.data = NULL;
	if (ret < 0) {
		ret = tls_fail(err, ret, path);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s.key", dir, base);
	ret = read_datum(path, &d, err);
	if (ret < 0)
		goto fail;
	ret = gnutls_x509_privkey_init(&p->key);
	if (ret == 0)
		ret = gnutls_x509_privkey_import(p->key, &d, GNUTLS_X509_FMT_PEM);
	gnutls_free(d.data);
	if (ret < 0) {
		ret = tls_fail(err, ret, path);
		goto fail;
	}
	return 0;
fail:
	pair_free(p);
	return ret;
}

static int save_pair(const char *dir, const char *base, const struct pair *p, struct pn_err *err)
{
	char path[PATH_MAX];
	gnutls_datum_t d = { 0 };
	int ret;

	/* The key first: a certificate without its key on disk would be
	 * unusable, a key without its certificate is simply reissued. */
	snprintf(path, sizeof(path), "%s/%s.key", dir, base);
	ret = gnutls_x509_privkey_export2(p->key, GNUTLS_X509_FMT_PEM, &d);
	if (ret < 0)
		return tls_fail(err, ret, "exporting a key");
	ret = write_atomic(path, d.data, d.size, 0600, err);
	gnutls_free(d.data);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/%s.crt", dir, base);
	ret = gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_PEM, &d);
	if (ret < 0)
		return tls_fail(err, ret, "exporting a certificate");
	ret = write_atomic(path, d.data, d.size, 0644, err);
	gnutls_free(d.data);
	return ret;
}

static int set_dn(gnutls_x509_crt_t crt, const char *cn, const char *o)
{
	int ret = 0;

	if (o)
		ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, o,
						    (unsigned)strlen(o));
	if (ret == 0)
		ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						    (unsigned)strlen(cn));
	return ret;
}

/* Fields every certificate gets: version 3, a random positive serial,
 * validity, the key and its identifier. */
static int cert_common(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, int days)
{
	unsigned char serial[16], kid[64];
	size_t kid_len = sizeof(kid);
	time_t now = time(NULL);
	int ret;

	ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	if (ret < 0)
		return ret;
	serial[0] &= 0x7f;   /* DER INTEGER: positive (RFC 5280 4.1.2.2) */
	serial[0] |= 0x01;   /* and no leading zero byte */
	if ((ret = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (ret = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (ret = gnutls_x509_crt_set_activation_time(crt, now - BACKDATE)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * DAY)) < 0 ||
	    (ret = gnutls_x509_crt_set_key(crt, key)) < 0)
		return ret;
	ret = gnutls_x509_crt_get_key_id(crt, 0, kid, &kid_len);
	if (ret == 0)
		ret = gnutls_x509_crt_set_subject_key_id(crt, kid, kid_len);
	return ret;
}

static int new_key(gnutls_x509_privkey_t *key)
{
	int ret = gnutls_x509_privkey_init(key);

	if (ret < 0)
		return ret;
	ret = gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
					   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (ret < 0) {
		gnutls_x509_privkey_deinit(*key);
		*key = NULL;
	}
	return ret;
}

static int issue_ca(struct pair *ca, struct pn_err *err)
{
	int ret;

	if ((ret = new_key(&ca->key)) < 0 || (ret = gnutls_x509_crt_init(&ca->crt)) < 0 ||
	    (ret = cert_common(ca->crt, ca->key, CA_DAYS)) < 0 ||
	    (ret = set_dn(ca->crt, "kubernetes", NULL)) < 0 ||
	    (ret = gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN |
								  GNUTLS_KEY_CRL_SIGN |
								  GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (ret = gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0)) < 0) {
		pair_free(ca);
		return tls_fail(err, ret, "issuing the CA");
	}
	return 0;
}

static const char *const serving_dns[] = {
	"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
};

static int issue_leaf(const struct pair *ca, enum leaf kind, const struct pki_opts *o,
		      struct pair *out, struct pn_err *err)
{
	unsigned char akid[64];
	size_t akid_len = sizeof(akid);
	int ret;

	if ((ret = new_key(&out->key)) < 0 || (ret = gnutls_x509_crt_init(&out->crt)) < 0 ||
	    (ret = cert_common(out->crt, out->key, LEAF_DAYS)) < 0 ||
	    (ret = gnutls_x509_crt_set_basic_constraints(out->crt, 0, -1)) < 0)
		goto fail;
	if (kind == LEAF_SERVING) {
		const char *ips[64];
		size_t n = 0;

		if ((ret = set_dn(out->crt, "kube-apiserver", NULL)) < 0 ||
		    (ret = gnutls_x509_crt_set_key_usage(out->crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
								  GNUTLS_KEY_KEY_ENCIPHERMENT)) < 0 ||
		    (ret = gnutls_x509_crt_set_key_purpose_oid(out->crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
			goto fail;
		for (size_t i = 0; i < PN_ARRAY_SIZE(serving_dns) && ret == 0; i++)
			ret = gnutls_x509_crt_set_subject_alt_name(out->crt, GNUTLS_SAN_DNSNAME,
								   serving_dns[i],
								   (unsigned)strlen(serving_dns[i]),
								   GNUTLS_FSAN_APPEND);
		if (ret == 0 && o->node_name && *o->node_name && strcmp(o->node_name, "localhost"))
			ret = gnutls_x509_crt_set_subject_alt_name(out->crt, GNUTLS_SAN_DNSNAME,
								   o->node_name,
								   (unsigned)strlen(o->node_name),
								   GNUTLS_FSAN_APPEND);
		ips[n++] = "127.0.0.1";
		ips[n++] = "::1";
		for (size_t i = 0; o->ips && o->ips[i] && n < PN_ARRAY_SIZE(ips); i++)
			ips[n++] = o->ips[i];
		for (size_t i = 0; i < n && ret == 0; i++) {
			struct pn_ip ip;
			bool dup = false;

			for (size_t j = 0; j < i; j++)
				dup |= !strcmp(ips[i], ips[j]);
			if (dup || pn_ip_parse(ips[i], &ip) < 0)
				continue;
			ret = gnutls_x509_crt_set_subject_alt_name(out->crt, GNUTLS_SAN_IPADDRESS, ip.b,
								   (unsigned)pn_ip_len(&ip),
								   GNUTLS_FSAN_APPEND);
		}
		if (ret < 0)
			goto fail;
	} else {
		if ((ret = set_dn(out->crt, "kubernetes-admin", "system:masters")) < 0 ||
		    (ret = gnutls_x509_crt_set_key_usage(out->crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
								  GNUTLS_KEY_KEY_ENCIPHERMENT)) < 0 ||
		    (ret = gnutls_x509_crt_set_key_purpose_oid(out->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
			goto fail;
	}
	ret = gnutls_x509_crt_get_subject_key_id(ca->crt, akid, &akid_len, NULL);
	if (ret == 0)
		ret = gnutls_x509_crt_set_authority_key_id(out->crt, akid, akid_len);
	if (ret == 0)
		ret = gnutls_x509_crt_sign2(out->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	pair_free(out);
	return tls_fail(err, ret, kind == LEAF_SERVING ? "issuing the serving certificate"
						       : "issuing the admin certificate");
}

static bool has_san(gnutls_x509_crt_t crt, int type, const void *val, size_t len)
{
	for (unsigned i = 0;; i++) {
		char buf[512];
		size_t n = sizeof(buf);
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &n, NULL);

		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (t < 0)
			continue;
		if (t == type && n == len && !memcmp(buf, val, len))
			return true;
	}
}

/* Why @p must be reissued, or NULL when it is still good. */
static const char *leaf_stale(const struct pair *p, const struct pair *ca, enum leaf kind,
			      const struct pki_opts *o)
{
	unsigned status = 0;

	if (gnutls_x509_crt_get_expiration_time(p->crt) < time(NULL) + RENEW_DAYS * DAY)
		return "it expires within 30 days";
	if (gnutls_x509_crt_verify(p->crt, &ca->crt, 1, 0, &status) < 0 || status)
		return "the CA did not sign it";
	if (kind != LEAF_SERVING)
		return NULL;
	if (o->node_name && *o->node_name &&
	    !has_san(p->crt, GNUTLS_SAN_DNSNAME, o->node_name, strlen(o->node_name)))
		return "the node name is not among its names";
	for (size_t i = 0; o->ips && o->ips[i]; i++) {
		struct pn_ip ip;

		if (pn_ip_parse(o->ips[i], &ip) == 0 &&
		    !has_san(p->crt, GNUTLS_SAN_IPADDRESS, ip.b, pn_ip_len(&ip)))
			return "an address it serves on is not among its names";
	}
	return NULL;
}

static char *pem_of(const struct pair *p, bool key)
{
	gnutls_datum_t d = { 0 };
	char *s;
	int ret = key ? gnutls_x509_privkey_export2(p->key, GNUTLS_X509_FMT_PEM, &d)
		      : gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_PEM, &d);

	if (ret < 0)
		return NULL;
	s = strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

static char *b64(const char *s)
{
	gnutls_datum_t in = { (unsigned char *)s, (unsigned)strlen(s) }, out = { 0 };
	char *r;

	/* The base64 of PEM text, as kubeconfig's *-data fields hold it. */
	if (gnutls_base64_encode2(&in, &out) < 0)
		return NULL;
	r = strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return r;
}

static int write_kubeconfig(const struct pki_opts *o, const char *ca_pem, const struct pair *admin,
			    bool *wrote, struct pn_err *err)
{
	char *cert = pem_of(admin, false), *key = pem_of(admin, true);
	char *ca64 = b64(ca_pem), *cert64 = cert ? b64(cert) : NULL, *key64 = key ? b64(key) : NULL;
	char *yaml = NULL, *old = NULL, dir[PATH_MAX], *slash;
	json_t *j = NULL;
	size_t old_len = 0;
	int ret, fd;

	if (!ca64 || !cert64 || !key64) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	/* kubeadm's admin.conf, key for key. */
	j = json_pack("{s:s, s:[{s:{s:s, s:s}, s:s}], s:[{s:{s:s, s:s}, s:s}], s:s, s:s, s:{},"
		      " s:[{s:s, s:{s:s, s:s}}]}",
		      "apiVersion", "v1", "clusters", "cluster", "certificate-authority-data", ca64,
		      "server", o->server_url, "name", "podnet", "contexts", "context", "cluster",
		      "podnet", "user", "kubernetes-admin", "name", "kubernetes-admin@podnet",
		      "current-context", "kubernetes-admin@podnet", "kind", "Config", "preferences",
		      "users", "name", "kubernetes-admin", "user", "client-certificate-data", cert64,
		      "client-key-data", key64);
	yaml = j ? json_to_yaml(j) : NULL;
	if (!yaml) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	fd = open(o->kubeconfig, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pn_read_all(fd, &old, &old_len) < 0)
			old = NULL;
		close(fd);
	}
	if (old && !strcmp(old, yaml)) {
		ret = 0;
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", o->kubeconfig);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		ret = pn_mkdir_p(dir, 0755);
		if (ret < 0) {
			ret = pn_error(err, PN_E_STATE, -ret, "cannot create %s", dir);
			goto out;
		}
	}
	ret = write_atomic(o->kubeconfig, yaml, strlen(yaml), 0600, err);
	if (ret == 0)
		*wrote = true;
out:
	free(cert);
	free(key);
	free(ca64);
	free(cert64);
	free(key64);
	free(yaml);
	free(old);
	json_decref(j);
	return ret;
}

int pki_ensure(const struct pki_opts *o, struct pki *out, struct pn_err *err)
{
	struct pair ca = { 0 }, srv = { 0 }, adm = { 0 };
	const char *why;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = pn_mkdir_p(o->dir, 0755);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "cannot create %s", o->dir);

	ret = load_pair(o->dir, "ca", &ca, err);
	if (ret == -ENOENT) {
		char path[PATH_MAX];

		/* A CA certificate without its key (or the reverse) is someone's:
		 * refuse rather than replace the trust anchor under them. */
		snprintf(path, sizeof(path), "%s/ca.crt", o->dir);
		if (access(path, F_OK) == 0) {
			ret = pn_error(err, PN_E_STATE, ENOENT, "%s/ca.key is missing (ca.crt exists)", o->dir);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/ca.key", o->dir);
		if (access(path, F_OK) == 0) {
			ret = pn_error(err, PN_E_STATE, ENOENT, "%s/ca.crt is missing (ca.key exists)", o->dir);
			goto out;
		}
		ret = issue_ca(&ca, err);
		if (ret == 0)
			ret = save_pair(o->dir, "ca", &ca, err);
		if (ret < 0)
			goto out;
		out->issued_ca = true;
		pn_log(PN_LOG_INFO, "created the CA in %s/ca.crt", o->dir);
	} else if (ret < 0) {
		goto out;
	}

	ret = load_pair(o->dir, "apiserver", &srv, err);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	why = ret == -ENOENT ? "it does not exist" : leaf_stale(&srv, &ca, LEAF_SERVING, o);
	if (why) {
		pair_free(&srv);
		ret = issue_leaf(&ca, LEAF_SERVING, o, &srv, err);
		if (ret == 0)
			ret = save_pair(o->dir, "apiserver", &srv, err);
		if (ret < 0)
			goto out;
		out->issued_serving = true;
		pn_log(PN_LOG_INFO, "issued %s/apiserver.crt: %s", o->dir, why);
	}

	ret = load_pair(o->dir, "admin", &adm, err);
	if (ret < 0 && ret != -ENOENT)
		goto out;
	why = ret == -ENOENT ? "it does not exist" : leaf_stale(&adm, &ca, LEAF_CLIENT, o);
	if (why) {
		pair_free(&adm);
		ret = issue_leaf(&ca, LEAF_CLIENT, o, &adm, err);
		if (ret == 0)
			ret = save_pair(o->dir, "admin", &adm, err);
		if (ret < 0)
			goto out;
		out->issued_admin = true;
		pn_log(PN_LOG_INFO, "issued %s/admin.crt: %s", o->dir, why);
	}

	out->ca_pem = pem_of(&ca, false);
	out->cert_pem = pem_of(&srv, false);
	out->key_pem = pem_of(&srv, true);
	if (!out->ca_pem || !out->cert_pem || !out->key_pem) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (o->kubeconfig) {
		ret = write_kubeconfig(o, out->ca_pem, &adm, &out->wrote_kubeconfig, err);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	pair_free(&ca);
	pair_free(&srv);
	pair_free(&adm);
	if (ret < 0)
		pki_free(out);
	return ret;
}

void pki_free(struct pki *p)
{
	if (!p)
		return;
	free(p->ca_pem);
	if (p->key_pem)
		explicit_bzero(p->key_pem, strlen(p->key_pem));
	free(p->key_pem);
	free(p->cert_pem);
	p->ca_pem = p->key_pem = p->cert_pem = NULL;
}

static char *dn_part(gnutls_x509_crt_t crt, const char *oid, unsigned idx)
{
	char buf[1024];
	size_t n = sizeof(buf);

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 0, buf, &n) < 0)
		return NULL;
	return strndup(buf, n);
}

int pki_peer_identity(void *session, struct pki_identity *id, struct pn_err *err)
{
	gnutls_session_t s = session;
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
					  .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt = NULL;
	unsigned n = 0, status = 0;
	size_t ng = 0;
	int ret;

	memset(id, 0, sizeof(*id));
	chain = gnutls_certificate_get_peers(s, &n);
	if (!chain || n == 0)
		return -ENOENT;
	ret = gnutls_certificate_verify_peers(s, &purpose, 1, &status);
	if (ret < 0)
		return pn_error(err, PN_E_FORBIDDEN, EACCES, "verifying the client certificate: %s",
				gnutls_strerror(ret));
	if (status) {
		gnutls_datum_t txt = { 0 }, dn = { 0 };
		gnutls_x509_crt_t c = NULL;
		size_t len;

		/* Name the certificate refused, for whoever reads the log. */
		if (gnutls_x509_crt_init(&c) == 0 &&
		    gnutls_x509_crt_import(c, &chain[0], GNUTLS_X509_FMT_DER) == 0)
			gnutls_x509_crt_get_dn3(c, &dn, 0);
		if (c)
			gnutls_x509_crt_deinit(c);
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0);
		len = txt.data ? strlen((const char *)txt.data) : 0;
		while (len && txt.data[len - 1] == ' ')
			txt.data[--len] = '\0';
		ret = pn_error(err, PN_E_FORBIDDEN, EACCES, "client certificate %s refused: %s",
			       dn.data ? (const char *)dn.data : "(unreadable)",
			       txt.data ? (const char *)txt.data : "not trusted");
		gnutls_free(txt.data);
		gnutls_free(dn.data);
		return ret;
	}
	ret = gnutls_x509_crt_init(&crt);
	if (ret == 0)
		ret = gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER);
	if (ret < 0) {
		if (crt)
			gnutls_x509_crt_deinit(crt);
		return pn_error(err, PN_E_FORBIDDEN, EACCES, "client certificate: %s",
				gnutls_strerror(ret));
	}
	id->user = dn_part(crt, GNUTLS_OID_X520_COMMON_NAME, 0);
	id->groups = calloc(1, sizeof(char *));
	for (unsigned i = 0; id->groups; i++) {
		char *g = dn_part(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, i);
		char **t;

		if (!g)
			break;
		t = realloc(id->groups, (ng + 2) * sizeof(char *));
		if (!t) {
			free(g);
			break;
		}
		id->groups = t;
		id->groups[ng++] = g;
		id->groups[ng] = NULL;
	}
	gnutls_x509_crt_deinit(crt);
	if (!id->user || !id->groups) {
		pki_identity_free(id);
		return pn_error(err, PN_E_FORBIDDEN, EACCES, "client certificate has no common name");
	}
	return 0;
}

void pki_identity_free(struct pki_identity *id)
{
	if (!id)
		return;
	free(id->user);
	for (size_t i = 0; id->groups && id->groups[i]; i++)
		free(id->groups[i]);
	free(id->groups);
	id->user = NULL;
	id->groups = NULL;
}
