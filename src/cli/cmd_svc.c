/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Services from the command line: apply's and delete's part, and
 * `get svc|endpointslices` as kubectl prints them (its service and
 * EndpointSlice printers in pkg/printers/internalversion).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "jsonpath.h"
#include "endpoints.h"
#include "labelsel.h"
#include "manifest.h"
#include "output.h"
#include "service.h"
#include "svcrt.h"
#include "sync.h"

/* kubectl's "Error from server (Reason): " prefix, or the Invalid text as is. */
static void server_error(const struct pn_err *err)
{
	if (err->code == PN_E_INVALID)
		fprintf(stderr, "%s\n", pn_err_msg(err));
	else if (err->code == PN_E_NOT_FOUND || err->code == PN_E_ALREADY_EXISTS ||
		 err->code == PN_E_CONFLICT || err->code == PN_E_FORBIDDEN)
		fprintf(stderr, "Error from server (%s): %s\n", pn_code_reason(err->code), pn_err_msg(err));
	else
		cmd_error(err);
}

int svc_apply_one(struct podrt *rt, const struct svcrt_cfg *cfg, struct pn_service *svc)
{
	struct pn_err err = { 0 };
	enum svcrt_outcome oc;
	static const char *const words[] = { "created", "configured", "unchanged" };

	if (svcrt_apply(rt->st, cfg, svc, &oc, &err) < 0) {
		server_error(&err);
		pn_err_free(&err);
		return 1;
	}
	printf("service/%s %s\n", svc->meta.name, words[oc]);
	return 0;
}

int svc_delete_one(struct podrt *rt, const char *ns, const char *name)
{
	struct pn_err err = { 0 };

	if (svcrt_delete(rt->st, ns, name, &err) < 0) {
		server_error(&err);
		pn_err_free(&err);
		return 1;
	}
	printf("service \"%s\" deleted\n", name);
	return 0;
}

static bool wanted(const struct cmd_get_args *o, const char *name)
{
	if (o->n_names == 0)
		return true;
	for (size_t i = 0; i < o->n_names; i++)
		if (!strcmp(o->names[i], name))
			return true;
	return false;
}

static void no_resources(const struct cmd_get_args *o)
{
	if (o->all_ns)
		fprintf(stderr, "No resources found\n");
	else
		fprintf(stderr, "No resources found in %s namespace.\n", o->ns);
}

/* -o json|yaml|jsonpath|name for a list of objects of one kind. */
static int print_structured(const struct cmd_get_args *o, json_t *items, const char *kind,
			    const char *group)
{
	bool single = o->n_names == 1 && !o->all_ns && json_array_size(items) == 1;
	struct pn_err err = { 0 };
	json_t *doc, *e;
	size_t i;
	int rc = 0;

	if (!strcmp(o->output, "name")) {
		json_array_foreach(items, i, e)
			if (output_name(stdout, kind, group,
					json_string_value(json_object_get(json_object_get(e, "metadata"), "name")),
					NULL) < 0)
				rc = 1;
		return rc;
	}
	doc = single ? json_incref(json_array_get(items, 0))
		     : json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items", items, "kind",
				 "List", "metadata", "resourceVersion", "");
	if (!doc)
		return 1;
	if (!strcmp(o->output, "json")) {
		if (output_json(stdout, doc, &err) < 0)
			rc = 1;
	} else if (!strcmp(o->output, "yaml")) {
		char *y = json_to_yaml(doc);

		fputs(y ? y : "", stdout);
		rc = !y;
		free(y);
	} else {
		const char *t = strchr(o->output, '=');
		struct jsonpath *jp = NULL;
		char *out = NULL;

		if (jsonpath_parse(t ? t + 1 : "", &jp, &err) < 0 ||
		    jsonpath_execute(jp, doc, true, &out, &err) < 0) {
			fprintf(stderr, "error: error executing jsonpath \"%s\": %s\n", t ? t + 1 : "",
				pn_err_msg(&err));
			rc = 1;
		} else {
			fputs(out, stdout);
		}
		free(out);
		jsonpath_free(jp);
	}
	json_decref(doc);
	pn_err_free(&err);
	return rc;
}

static bool structured(const struct cmd_get_args *o)
{
	return o->output && strcmp(o->output, "wide") != 0;
}

/* PORT(S): "80/TCP", "80:30080/TCP" for a node port, joined by ','. */
static void svc_ports(const struct pn_service *s, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_ports && len < n; i++) {
		const struct pn_svc_port *p = &s->ports[i];

		if (p->node_port)
			len += (size_t)snprintf(buf + len, n - len, "%s%d:%d/%s", i ? "," : "", p->port,
						p->node_port, p->protocol);
		else
			len += (size_t)snprintf(buf + len, n - len, "%s%d/%s", i ? "," : "", p->port,
						p->protocol);
	}
	if (!s->n_ports)
		snprintf(buf, n, "<none>");
}

/* labels.FormatLabels: k=v sorted by key, joined by ','; "<none>" if empty. */
static void format_labels(const struct pn_kvs *k, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k->n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", i ? "," : "", k->items[i].key,
					k->items[i].value);
	if (!k->n)
		snprintf(buf, n, "<none>");
}

static int load_services(struct podrt *rt, const struct cmd_get_args *o, struct pn_service ***svcs,
			 size_t *n)
{
	struct pn_err err = { 0 };
	int rc = 0;

	if (svcrt_list(rt->st, o->all_ns ? NULL : o->ns, svcs, n, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return 1;
	}
	for (size_t i = 0; i < o->n_names; i++) {
		bool found = false;

		for (size_t k = 0; k < *n; k++)
			found |= !strcmp((*svcs)[k]->meta.name, o->names[i]);
		if (!found) {
			fprintf(stderr, "Error from server (NotFound): services \"%s\" not found\n",
				o->names[i]);
			rc = 1;
		}
	}
	return rc;
}

static bool svc_selected(const struct cmd_get_args *o, const struct pn_service *s)
{
	return wanted(o, s->meta.name) && (!o->sel || labelsel_matches_kvs(o->sel, &s->meta.labels));
}

int svc_get(struct podrt *rt, const struct cmd_get_args *o)
{
	struct pn_service **svcs = NULL;
	struct table *t = NULL;
	struct pn_err err = { 0 };
	json_t *items = NULL;
	size_t n = 0, shown = 0;
	bool wide = o->output && !strcmp(o->output, "wide");
	time_t now = time(NULL);
	const char *hdr[8];
	size_t nc = 0;
	int rc;

	rc = load_services(rt, o, &svcs, &n);
	if (structured(o)) {
		items = json_array();
		for (size_t i = 0; items && i < n; i++)
			if (svc_selected(o, svcs[i]))
				json_array_append_new(items, service_to_json(svcs[i]));
		if (json_array_size(items) == 0 && o->n_names == 0)
			no_resources(o);
		else if (items)
			rc |= print_structured(o, items, "Service", NULL);
		goto out;
	}
	if (o->all_ns)
		hdr[nc++] = "NAMESPACE";
	hdr[nc++] = "NAME";
	hdr[nc++] = "TYPE";
	hdr[nc++] = "CLUSTER-IP";
	hdr[nc++] = "EXTERNAL-IP";
	hdr[nc++] = "PORT(S)";
	hdr[nc++] = "AGE";
	if (wide)
		hdr[nc++] = "SELECTOR";
	if (table_new(TABLE_KUBECTL, nc, hdr, &t, &err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct pn_service *s = svcs[i];
		char ports[512], age[OUTPUT_AGE_LEN], sel[512];
		const char *row[8];
		size_t k = 0;

		if (!svc_selected(o, s))
			continue;
		svc_ports(s, ports, sizeof(ports));
		format_labels(&s->selector, sel, sizeof(sel));
		if (o->all_ns)
			row[k++] = s->meta.namespace_;
		row[k++] = s->meta.name;
		row[k++] = pn_svc_type_str(s->type);
		row[k++] = s->type == PN_SVC_EXTERNAL_NAME ? NULL : s->cluster_ip;
		row[k++] = s->type == PN_SVC_EXTERNAL_NAME ? s->external_name : NULL;
		row[k++] = ports;
		row[k++] = format_age(s->meta.creation, now, age);
		if (wide)
			row[k++] = sel;
		if (table_add_row(t, row, &err) < 0)
			goto fail;
		shown++;
	}
	if (shown == 0 && o->n_names == 0)
		no_resources(o);
	else if (table_print(t, stdout, !o->no_headers, &err) < 0)
		rc = 1;
	goto out;
fail:
	cmd_error(&err);
	rc = 1;
out:
	json_decref(items);
	table_free(t);
	svcrt_array_free(svcs, n);
	pn_err_free(&err);
	return rc;
}

/* The EndpointSlice printer's PORTS and ENDPOINTS: three, then " + N more...". */
static void slice_ports(const struct ep_slice *s, char *buf, size_t n)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < s->n_ports && i < 3 && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%d", i ? "," : "", s->ports[i].port);
	if (s->n_ports > 3 && len < n)
		snprintf(buf + len, n - len, " + %zu more...", s->n_ports - 3);
	if (!s->n_ports)
		snprintf(buf, n, "<unset>");
}

static void slice_endpoints(const struct ep_slice *s, char *buf, size_t n)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < s->n_eps && i < 3 && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "," : "", s->eps[i].ip);
	if (s->n_eps > 3 && len < n)
		snprintf(buf + len, n - len, " + %zu more...", s->n_eps - 3);
	if (!s->n_eps)
		snprintf(buf, n, "<unset>");
}

int svc_get_slices(struct podrt *rt, const struct cmd_get_args *o)
{
	struct cmd_get_args all = *o;
	struct pn_service **svcs = NULL;
	struct ep_podset pods = { 0 };
	struct table *t = NULL;
	struct pn_err err = { 0 };
	json_t *items = json_array();
	char host[256] = "";
	size_t n = 0, shown = 0;
	time_t now = time(NULL);
	const char *hdr[6];
	size_t nc = 0;
	bool *found = NULL;
	int rc = 1;

	gethostname(host, sizeof(host) - 1);
	all.n_names = 0;
	if (load_services(rt, &all, &svcs, &n) || !items)
		goto out;
	if (endpoints_pods_load(rt->st, rt->root, false, &pods, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (o->all_ns)
		hdr[nc++] = "NAMESPACE";
	hdr[nc++] = "NAME";
	hdr[nc++] = "ADDRESSTYPE";
	hdr[nc++] = "PORTS";
	hdr[nc++] = "ENDPOINTS";
	hdr[nc++] = "AGE";
	if (table_new(TABLE_KUBECTL, nc, hdr, &t, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	rc = 0;
	found = calloc(o->n_names + 1, sizeof(*found));
	if (!found) {
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ep_slice *sl = NULL;
		size_t ns = 0;
		json_t *labels = json_pack("{s:s, s:s}", "kubernetes.io/service-name", svcs[i]->meta.name,
					   "endpointslice.kubernetes.io/managed-by",
					   "endpointslice-controller.k8s.io");
		bool sel_ok = cmd_labels_match(o->sel, labels);

		json_decref(labels);
		if (!sel_ok)
			continue;
		if (endpoints_compute(svcs[i], pods.pods, pods.n, &sl, &ns, &err) < 0) {
			cmd_error(&err);
			rc = 1;
			break;
		}
		for (size_t k = 0; k < ns; k++) {
			char ports[256], eps[512], age[OUTPUT_AGE_LEN];
			const char *row[6];
			size_t c = 0;

			if (!wanted(o, sl[k].name))
				continue;
			for (size_t m = 0; m < o->n_names; m++)
				found[m] |= !strcmp(o->names[m], sl[k].name);
			if (structured(o)) {
				json_array_append_new(items, ep_slice_to_json(svcs[i], &sl[k], host));
				shown++;
				continue;
			}
			slice_ports(&sl[k], ports, sizeof(ports));
			slice_endpoints(&sl[k], eps, sizeof(eps));
			if (o->all_ns)
				row[c++] = svcs[i]->meta.namespace_;
			row[c++] = sl[k].name;
			row[c++] = "IPv4";
			row[c++] = ports;
			row[c++] = eps;
			row[c++] = format_age(svcs[i]->meta.creation, now, age);
			if (table_add_row(t, row, &err) < 0) {
				cmd_error(&err);
				rc = 1;
			}
			shown++;
		}
		ep_slices_free(sl, ns);
	}
	for (size_t i = 0; i < o->n_names; i++) {
		if (!found[i]) {
			fprintf(stderr,
				"Error from server (NotFound): endpointslices.discovery.k8s.io \"%s\" not found\n",
				o->names[i]);
			rc = 1;
		}
	}
	if (shown == 0 && o->n_names == 0)
		no_resources(o);
	else if (structured(o))
		rc |= print_structured(o, items, "EndpointSlice", "discovery.k8s.io");
	else if (shown && table_print(t, stdout, !o->no_headers, &err) < 0)
		rc = 1;
out:
	free(found);
	json_decref(items);
	table_free(t);
	endpoints_pods_free(&pods);
	svcrt_array_free(svcs, n);
	pn_err_free(&err);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	struct flag none[] = { FLAG_END };
	struct flag_args a = { 0 };
	struct podrt rt;
	int rc;

	rc = cmd_flags(none, argc, argv, &a) < 0 || cmd_no_args("sync", &a, 0) < 0;
	flag_args_free(&a);
	if (rc)
		return 1;
	if (cmd_runtime_open(&rt, NULL) < 0)
		return 1;
	rc = cmd_netpol_sync(&rt);
	podrt_close(&rt);
	return rc;
}
