/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetworkPolicy in the CLI: what `apply`, `get`, `delete` do with
 * networking.k8s.io/v1 NetworkPolicies and with Namespaces' labels (as
 * kubectl against kube-apiserver prints it), the hook that makes the
 * kernel follow the state (pol_sync), and `podnet netpol explain`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "evaluate.h"
#include "manifest.h"
#include "netpolrt.h"
#include "output.h"
#include "podrt.h"
#include "store.h"
#include "sync.h"

#define NP_RESOURCE "networkpolicies.networking.k8s.io"

int cmd_net_sync(struct podrt *rt, struct pn_err *err)
{
	return pol_sync(rt->st, rt->root, NULL, err);
}

/* "Error from server (NotFound): ..." and the like, from a runtime code. */
static void server_error(const struct pn_err *err)
{
	const char *reason = pn_code_reason(err->code);

	if (err->code >= PN_E_BAD_REQUEST && *reason)
		fprintf(stderr, "Error from server (%s): %s\n", reason, pn_err_msg(err));
	else
		cmd_error(err);
}

static json_t *json_from(const char *s)
{
	return s ? json_loads(s, 0, NULL) : NULL;
}

/* ---- apply */

int cmd_netpol_apply(struct podrt *rt, struct pn_netpol *np, bool *changed)
{
	static const char *const verbs[] = { "created", "configured", "unchanged" };
	struct pn_err err = { 0 };
	enum netpolrt_outcome oc;
	int rc;

	if (netpolrt_apply(rt->st, np, NULL, &oc, NULL, &err) < 0) {
		server_error(&err);
		pn_err_free(&err);
		return 1;
	}
	if (oc != NETPOLRT_UNCHANGED)
		*changed = true;
	rc = output_name(stdout, "networkpolicy", "networking.k8s.io", np->meta.name, verbs[oc]) < 0;
	return rc;
}

int cmd_namespace_apply(struct podrt *rt, struct pn_namespace *ns, bool *changed)
{
	struct store_namespace *old = NULL, row = { 0 };
	struct pn_err err = { 0 };
	char uid[STORE_UUID_LEN + 1];
	json_t *want = NULL, *have = NULL;
	char *text = NULL;
	int rc = 1, ret;

	ret = store_namespace_get(rt->st, ns->meta.name, &old, &err);
	if (ret < 0 && ret != -ENOENT)
		goto fail;
	if (ret == 0) {
		struct pn_namespace *prev = NULL;

		/* podnet's own namespaces ("default", or one a pod named) have
		 * no object yet: they are their name label only. */
		have = json_from(old->spec_json);
		if (have && namespace_from_json(have, &prev, NULL) == 0) {
			ns->meta.creation = prev->meta.creation;
		} else {
			json_decref(have);
			have = NULL;
			ns->meta.creation = (time_t)(old->created_ns / 1000000000);
		}
		pn_namespace_free(prev);
		free(ns->meta.uid);
		ns->meta.uid = strdup(old->uid);
		want = namespace_to_json(ns);
		if (want && have && json_equal(want, have)) {
			printf("namespace/%s unchanged\n", ns->meta.name);
			rc = 0;
			goto out;
		}
		if (want && !have && ns->meta.labels.n == 1 && !ns->meta.annotations.n) {
			/* only kubernetes.io/metadata.name, which it had already */
			printf("namespace/%s unchanged\n", ns->meta.name);
			rc = 0;
			goto out;
		}
		text = want ? json_dumps(want, JSON_COMPACT) : NULL;
		if (!text || store_namespace_set_spec(rt->st, ns->meta.name, text, &err) < 0) {
			if (!text)
				pn_error(&err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto fail;
		}
		*changed = true;
		printf("namespace/%s configured\n", ns->meta.name);
		rc = 0;
		goto out;
	}
	if (store_new_uuid(uid) < 0) {
		pn_error(&err, PN_E_STATE, EIO, "cannot generate a uid");
		goto fail;
	}
	free(ns->meta.uid);
	ns->meta.uid = strdup(uid);
	ns->meta.creation = time(NULL);
	want = namespace_to_json(ns);
	text = want ? json_dumps(want, JSON_COMPACT) : NULL;
	row.name = ns->meta.name;
	row.uid = ns->meta.uid;
	row.spec_json = text;
	row.created_ns = (int64_t)ns->meta.creation * 1000000000;
	if (!text || store_namespace_add(rt->st, &row, &err) < 0) {
		if (!text)
			pn_error(&err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	*changed = true;
	printf("namespace/%s created\n", ns->meta.name);
	rc = 0;
	goto out;
fail:
	server_error(&err);
out:
	free(text);
	json_decref(want);
	json_decref(have);
	store_namespace_free(old);
	pn_err_free(&err);
	return rc;
}

/* The state changed: the kernel follows, in one transaction. */
int cmd_netpol_sync(struct podrt *rt)
{
	struct pn_err err = { 0 };
	int rc = 0;

	if (pol_sync(rt->st, rt->root, NULL, &err) < 0) {
		cmd_error(&err);
		rc = 1;
	}
	pn_err_free(&err);
	return rc;
}

/* ---- get */

static json_t *netpol_object(const struct store_netpol *row)
{
	return json_from(row->spec_json);
}

int cmd_netpol_get(struct podrt *rt, const struct cmd_get_args *a)
{
	struct store_netpol *rows = NULL;
	struct pn_err err = { 0 };
	json_t *items = json_array();
	size_t n = 0, nv = 0;
	bool single = a->n_names == 1 && !a->all_ns;
	bool *keep = NULL;
	int rc = 1;

	if (store_netpol_list(rt->st, a->all_ns ? NULL : a->ns, &rows, &n, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	keep = calloc(n + 1, sizeof(*keep));
	if (!keep || !items)
		goto out;
	rc = 0;
	for (size_t i = 0; i < a->n_names; i++) {
		bool found = false;

		for (size_t k = 0; k < n; k++)
			found |= !strcmp(rows[k].name, a->names[i]);
		if (!found) {
			fprintf(stderr, "Error from server (NotFound): " NP_RESOURCE " \"%s\" not found\n",
				a->names[i]);
			rc = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool want = a->n_names == 0;
		json_t *j;

		for (size_t k = 0; k < a->n_names; k++)
			want |= !strcmp(rows[i].name, a->names[k]);
		if (!want || !(j = netpol_object(&rows[i])))
			continue;
		if (!cmd_labels_match(a->sel, json_object_get(json_object_get(j, "metadata"), "labels"))) {
			json_decref(j);
			continue;
		}
		json_array_append_new(items, j);
		keep[i] = true;
		nv++;
	}
	if (nv == 0 && a->n_names == 0) {
		if (a->all_ns)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n", a->ns);
		goto out;
	}
	if (a->output && (!strcmp(a->output, "json") || !strcmp(a->output, "yaml") ||
			  !strncmp(a->output, "jsonpath", 8))) {
		json_t *doc = single && nv == 1
				      ? json_incref(json_array_get(items, 0))
				      : json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items",
						  items, "kind", "List", "metadata", "resourceVersion", "");

		rc |= cmd_print_object(a->output, doc);
		json_decref(doc);
		goto out;
	}
	if (a->output && !strcmp(a->output, "name")) {
		for (size_t i = 0; i < n; i++)
			if (keep[i] && output_name(stdout, "networkpolicy", "networking.k8s.io", rows[i].name,
						   NULL) < 0)
				rc = 1;
		goto out;
	}
	{
		/* kubectl's printer: NAME, POD-SELECTOR, AGE (wide adds nothing) */
		const char *hdr[4];
		size_t nc = 0, k = 0;
		struct table *t = NULL;
		time_t now = time(NULL);

		if (a->all_ns)
			hdr[nc++] = "NAMESPACE";
		hdr[nc++] = "NAME";
		hdr[nc++] = "POD-SELECTOR";
		hdr[nc++] = "AGE";
		if (table_new(TABLE_KUBECTL, nc, hdr, &t, &err) < 0) {
			cmd_error(&err);
			rc = 1;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			struct pn_netpol *np = NULL;
			char age[OUTPUT_AGE_LEN], *sel = NULL;
			const char *row[4];
			size_t c = 0;

			if (!keep[i])
				continue;
			if (netpol_from_json(json_array_get(items, k++), &np, &err) == 0)
				sel = pn_selector_str(&np->pod_selector);
			format_age((time_t)(rows[i].created_ns / 1000000000), now, age);
			if (a->all_ns)
				row[c++] = rows[i].namespace_;
			row[c++] = rows[i].name;
			row[c++] = sel ? sel : "<error>";
			row[c++] = age;
			if (table_add_row(t, row, &err) < 0)
				rc = 1;
			free(sel);
			pn_netpol_free(np);
		}
		if (table_print(t, stdout, !a->no_headers, &err) < 0)
			rc = 1;
		table_free(t);
	}
out:
	free(keep);
	json_decref(items);
	store_netpol_array_free(rows, n);
	pn_err_free(&err);
	return rc;
}

/* ---- delete */

int cmd_netpol_delete(struct podrt *rt, const char *ns, const char *name, bool *changed)
{
	struct pn_err err = { 0 };
	int rc = 0;

	if (store_netpol_delete(rt->st, ns, name, &err) < 0) {
		server_error(&err);
		rc = 1;
	} else {
		printf("networkpolicy.networking.k8s.io \"%s\" deleted\n", name);
		*changed = true;
	}
	pn_err_free(&err);
	return rc;
}

int cmd_netpol_delete_all(struct podrt *rt, const char *ns, bool all_ns, bool *changed)
{
	struct store_netpol *rows = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	int rc = 0;

	if (store_netpol_list(rt->st, all_ns ? NULL : ns, &rows, &n, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return 1;
	}
	if (n == 0)
		fprintf(stderr, all_ns ? "No resources found\n" : "No resources found in %s namespace.\n", ns);
	for (size_t i = 0; i < n; i++)
		rc |= cmd_netpol_delete(rt, rows[i].namespace_, rows[i].name, changed);
	store_netpol_array_free(rows, n);
	return rc;
}

/* ---- explain */

/* "ns/name", or "name" in @ns; an IP; "node". */
static int endpoint_parse(const struct pol_world *w, const char *spec, const char *ns,
			  struct pol_endpoint *ep, char *label, size_t size)
{
	char nsbuf[256], name[256];
	const char *slash = strchr(spec, '/');
	struct pn_ip ip;

	memset(ep, 0, sizeof(*ep));
	if (!strcmp(spec, "node")) {
		ep->kind = POL_EP_NODE;
		snprintf(label, size, "the node");
		return 0;
	}
	if (pn_ip_parse(spec, &ip) == 0) {
		char a[PN_IP_STRLEN];

		pol_endpoint_from_ip(w, &ip, ep);
		if (ep->kind == POL_EP_POD)
			snprintf(label, size, "%s/%s (%s)", ep->pod->ns, ep->pod->name, pn_ip_str(&ip, a));
		else
			snprintf(label, size, "%s", pn_ip_str(&ip, a));
		return 0;
	}
	if (slash) {
		snprintf(nsbuf, sizeof(nsbuf), "%.*s", (int)(slash - spec), spec);
		snprintf(name, sizeof(name), "%s", slash + 1);
	} else {
		snprintf(nsbuf, sizeof(nsbuf), "%s", ns);
		snprintf(name, sizeof(name), "%s", spec);
	}
	ep->pod = pol_world_pod(w, nsbuf, name);
	if (!ep->pod) {
		fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found%s\n", name,
			strcmp(nsbuf, "default") ? "" : "");
		return -1;
	}
	ep->kind = POL_EP_POD;
	ep->ip = ep->pod->ips[0];
	{
		char a[PN_IP_STRLEN];

		snprintf(label, size, "%s/%s (%s)", nsbuf, name, pn_ip_str(&ep->ip, a));
	}
	return 0;
}

/* TARGET:PORT[/PROTO]; TARGET may be [IPv6]. */
static int target_parse(const char *s, char *host, size_t size, int *port, enum pn_proto *proto)
{
	const char *colon, *slash = strchr(s, '/');
	char pbuf[16] = "TCP";
	char *end;
	long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		snprintf(host, size, "%.*s", (int)(close - s - 1), s + 1);
		colon = close + 1;
	} else {
		/* the last ':' before a /PROTO; pod names have none */
		const char *lim = slash && strrchr(s, '/') > strrchr(s, ':') ? strrchr(s, '/') : s + strlen(s);

		colon = memrchr(s, ':', (size_t)(lim - s));
		if (!colon)
			return -1;
		snprintf(host, size, "%.*s", (int)(colon - s), s);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || p < 1 || p > 65535 || (*end && *end != '/'))
		return -1;
	if (*end == '/')
		snprintf(pbuf, sizeof(pbuf), "%s", end + 1);
	for (char *c = pbuf; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	*proto = pn_proto_parse(pbuf);
	*port = (int)p;
	return *proto ? 0 : -1;
}

static void selector_text(FILE *f, const char *what, const struct pn_selector *s)
{
	char *t = pn_selector_str(s);

	fprintf(f, "%s %s", what, t ? t : "?");
	free(t);
}

static void peer_text(FILE *f, const struct pn_np_peer *p)
{
	if (p->ip_block) {
		fprintf(f, "ipBlock %s", p->ip_block->cidr);
		for (size_t i = 0; i < p->ip_block->n_except; i++)
			fprintf(f, "%s%s", i ? ", " : " except ", p->ip_block->except[i]);
		return;
	}
	if (p->ns_selector) {
		selector_text(f, "namespaceSelector", p->ns_selector);
		if (p->pod_selector)
			fputs(", ", f);
	}
	if (p->pod_selector)
		selector_text(f, "podSelector", p->pod_selector);
}

static void port_text(FILE *f, const struct pn_np_port *p, int resolved)
{
	const char *proto = pn_proto_str(p->protocol);

	if (p->port_name)
		fprintf(f, "%s = %d/%s", p->port_name, resolved, proto);
	else if (!p->has_port && !p->port)
		fprintf(f, "every %s port", proto);
	else if (p->end_port)
		fprintf(f, "%d-%d/%s", p->port, p->end_port, proto);
	else
		fprintf(f, "%d/%s", p->port, proto);
}

static void side_text(FILE *f, const struct pol_side *s, bool egress, const char *who,
		      const struct pol_flow *fl)
{
	const char *dir = egress ? "egress" : "ingress";

	if (!s->applies) {
		fprintf(f, "%s of %s: allowed (not a pod of this node: no NetworkPolicy applies)\n", dir, who);
		return;
	}
	if (!s->isolated) {
		fprintf(f, "%s of %s: allowed (not isolated: no NetworkPolicy of namespace %s selects it for %s)\n",
			dir, who, egress ? fl->src.pod->ns : fl->dst.pod->ns, egress ? "Egress" : "Ingress");
		return;
	}
	fprintf(f, "%s of %s: %s\n  isolated by: ", dir, who, s->allowed ? "allowed" : "denied");
	for (size_t i = 0; i < s->n_isolating; i++)
		fprintf(f, "%s%s/%s", i ? ", " : "", s->isolating[i]->meta.namespace_,
			s->isolating[i]->meta.name);
	fputc('\n', f);
	if (!s->allowed) {
		fprintf(f, "  no %s rule of %s allows %d/%s %s %s\n", dir,
			s->n_isolating == 1 ? "that policy" : "these policies", fl->port, pn_proto_str(fl->proto),
			egress ? "to" : "from", egress ? "the destination" : "the source");
		return;
	}
	for (size_t i = 0; i < s->n_allows; i++) {
		const struct pol_allow *a = &s->allows[i];
		const struct pn_np_rule *r = egress ? &a->np->egress[a->rule] : &a->np->ingress[a->rule];

		fprintf(f, "  allowed by: %s/%s %s[%zu] ", a->np->meta.namespace_, a->np->meta.name, dir, a->rule);
		if (a->peer < 0) {
			fprintf(f, "(every %s)", egress ? "destination" : "source");
		} else {
			fprintf(f, "%s[%d] (", egress ? "to" : "from", a->peer);
			peer_text(f, &r->peers[a->peer]);
			fputc(')', f);
		}
		if (a->port < 0) {
			fputs(", every port\n", f);
		} else {
			fprintf(f, ", ports[%d] (", a->port);
			port_text(f, &r->ports[a->port], a->resolved_port);
			fputs(")\n", f);
		}
	}
}

static json_t *side_json(const struct pol_side *s, bool egress)
{
	json_t *iso = json_array(), *al = json_array();

	for (size_t i = 0; iso && i < s->n_isolating; i++)
		json_array_append_new(iso, json_pack("{s:s, s:s}", "namespace", s->isolating[i]->meta.namespace_,
						     "name", s->isolating[i]->meta.name));
	for (size_t i = 0; al && i < s->n_allows; i++) {
		const struct pol_allow *a = &s->allows[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "namespace", a->np->meta.namespace_, "name",
				      a->np->meta.name, "direction", egress ? "egress" : "ingress", "rule",
				      (json_int_t)a->rule);

		if (o && a->peer >= 0)
			json_object_set_new(o, "peer", json_integer(a->peer));
		if (o && a->port >= 0)
			json_object_set_new(o, "port", json_integer(a->port));
		if (o && a->resolved_port)
			json_object_set_new(o, "resolvedPort", json_integer(a->resolved_port));
		json_array_append_new(al, o);
	}
	return json_pack("{s:b, s:b, s:b, s:o, s:o}", "applies", s->applies, "isolated", s->isolated,
			 "allowed", s->allowed, "isolatedBy", iso, "allowedBy", al);
}

static const char explain_usage[] =
	"usage: podnet netpol explain FROM TO:PORT[/PROTO] [-n NAMESPACE] [-o json]";

static int netpol_explain(int argc, char **argv)
{
	const char *ns = "default", *output = NULL, *from = NULL, *to = NULL;
	struct pol_world *w = NULL;
	struct pol_verdict v = { 0 };
	struct pol_flow fl = { 0 };
	struct pn_err err = { 0 };
	struct podrt rt;
	char host[256], src_label[700], dst_label[700];
	int rc = 1;

	struct flag flags[] = {
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_END,
	};
	struct flag_args a = { 0 };

	argv[0] = "netpol explain";
	if (cmd_flags(flags, argc, argv, &a) < 0)
		return 1;
	if (a.n == 2) {
		from = a.v[0];   /* argv's */
		to = a.v[1];
	}
	flag_args_free(&a);
	if (!from || !to || target_parse(to, host, sizeof(host), &fl.port, &fl.proto) < 0) {
		cmd_errorf("%s", explain_usage);
		return 1;
	}
	if (output && strcmp(output, "json")) {
		cmd_errorf("unable to match a printer suitable for the output format \"%s\", allowed formats are: json",
			   output);
		return 1;
	}
	if (cmd_runtime_open(&rt, NULL) < 0)
		return 1;
	if (pol_world_load(rt.st, &w, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (endpoint_parse(w, from, ns, &fl.src, src_label, sizeof(src_label)) < 0 ||
	    endpoint_parse(w, host, ns, &fl.dst, dst_label, sizeof(dst_label)) < 0)
		goto out;
	/* The source's address of the destination's family. */
	if (fl.src.kind == POL_EP_POD && fl.dst.ip.family)
		for (size_t i = 0; i < fl.src.pod->n_ips; i++)
			if (fl.src.pod->ips[i].family == fl.dst.ip.family)
				fl.src.ip = fl.src.pod->ips[i];
	if (pol_evaluate(w, &fl, &v, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (output) {
		json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:b, s:s, s:o, s:o}", "from", src_label, "to",
				      dst_label, "port", fl.port, "protocol", pn_proto_str(fl.proto), "allowed",
				      v.allowed, "reason",
				      v.reason == POL_NODE	 ? "node"
				      : v.reason == POL_SAME_POD ? "same-pod"
								 : "policy",
				      "egress", side_json(&v.egress, true), "ingress", side_json(&v.ingress, false));

		rc = output_json(stdout, j, &err) < 0;
		json_decref(j);
		goto out;
	}
	printf("%s -> %s %d/%s: %s\n", src_label, dst_label, fl.port, pn_proto_str(fl.proto),
	       v.allowed ? "ALLOWED" : "DENIED");
	if (v.reason == POL_NODE) {
		printf("traffic between a pod and its own node is always allowed\n");
	} else if (v.reason == POL_SAME_POD) {
		printf("a pod can always reach itself\n");
	} else {
		char src_name[700], dst_name[700];

		snprintf(src_name, sizeof(src_name), "%s", src_label);
		snprintf(dst_name, sizeof(dst_name), "%s", dst_label);
		/* "x/a (10.0.0.1)" reads as "x/a" in the explanation lines */
		if (strchr(src_name, ' '))
			*strchr(src_name, ' ') = '\0';
		if (strchr(dst_name, ' '))
			*strchr(dst_name, ' ') = '\0';
		side_text(stdout, &v.egress, true, src_name, &fl);
		side_text(stdout, &v.ingress, false, dst_name, &fl);
	}
	rc = 0;
out:
	pol_verdict_free(&v);
	pol_world_free(w);
	pn_err_free(&err);
	podrt_close(&rt);
	return rc;
}

int cmd_netpol(int argc, char **argv)
{
	struct flag none[] = { FLAG_END };
	struct flag_args a = { 0 };

	if (argc >= 2 && !strcmp(argv[1], "explain"))
		return netpol_explain(argc - 1, argv + 1);
	/* A flag before the subcommand: cobra's parent command has none. */
	if (cmd_flags(none, argc, argv, &a) < 0)
		return 1;
	flag_args_free(&a);
	if (argc < 2)
		cmd_errorf("a subcommand is required: podnet netpol explain FROM TO:PORT[/PROTO]");
	else
		cmd_errorf("unknown subcommand \"%s\": podnet netpol explain FROM TO:PORT[/PROTO]", argv[1]);
	return 1;
}
