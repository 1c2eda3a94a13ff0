/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod commands: kubectl's apply/get/delete/exec/logs and crictl's
 * pods/ps/inspect/inspectp, over the pod runtime (podrt) and the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "jsonpath.h"
#include "svcrt.h"
#include "manifest.h"
#include "oci.h"
#include "output.h"
#include "podrt.h"


/* Manifest errors are whole kubectl messages already. */
static void print_manifest_error(const struct pn_err *err)
{
	fprintf(stderr, "%s\n", pn_err_msg(err));
}

static int read_source(const char *path, char **buf, size_t *len)
{
	int fd, ret;

	if (!strcmp(path, "-"))
		return pn_read_all(STDIN_FILENO, buf, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = pn_read_all(fd, buf, len);
	close(fd);
	return ret;
}

/* Parse every -f file before anything is created: one bad document means
 * nothing happens at all. */
static int load_files(char **files, size_t nf, struct pn_object **objs, size_t *nobjs)
{
	struct pn_object *all = NULL;
	size_t n = 0;

	for (size_t i = 0; i < nf; i++) {
		struct pn_object *o = NULL;
		struct pn_err err = { 0 };
		size_t k = 0, len = 0;
		char *buf = NULL;
		int ret = read_source(files[i], &buf, &len);

		if (ret < 0) {
			cmd_errorf("the path \"%s\" does not exist", files[i]);
			goto fail;
		}
		ret = manifest_parse(buf, len, files[i], &o, &k, &err);
		free(buf);
		if (ret < 0) {
			print_manifest_error(&err);
			pn_err_free(&err);
			goto fail;
		}
		struct pn_object *na = realloc(all, (n + k + 1) * sizeof(*all));

		if (!na) {
			manifest_objects_free(o, k);
			goto fail;
		}
		all = na;
		memcpy(all + n, o, k * sizeof(*o));
		n += k;
		free(o);
	}
	*objs = all;
	*nobjs = n;
	return 0;
fail:
	manifest_objects_free(all, n);
	return -1;
}

static int collect_files(int argc, char **argv, char ***files, size_t *nf, int *first_arg)
{
	*files = calloc((size_t)argc + 1, sizeof(char *));
	*nf = 0;
	if (!*files)
		return -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--filename")) {
			if (i + 1 >= argc) {
				cmd_errorf("flag needs an argument: 'f' in -f");
				return -1;
			}
			(*files)[(*nf)++] = argv[++i];
		} else if (!strncmp(argv[i], "--filename=", 11)) {
			(*files)[(*nf)++] = argv[i] + 11;
		} else if (first_arg && *first_arg == 0) {
			*first_arg = i;
		}
	}
	return 0;
}

/* Does the stored pod differ from @pod in its labels and annotations
 * only (or not at all)?  Compared as the server would store @pod. */
static bool pod_only_meta_differs(const struct store_pod *sp, const struct pn_pod *pod)
{
	json_t *have = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL;
	json_t *want = pod_to_json(pod);
	json_t *hm, *wm;
	bool same;

	if (!have || !want) {
		json_decref(have);
		json_decref(want);
		return false;
	}
	hm = json_object_get(have, "metadata");
	wm = json_object_get(want, "metadata");
	/* the server's own fields and the two that may change */
	for (json_t *m = hm; m; m = m == hm ? wm : NULL) {
		json_object_del(m, "uid");
		json_object_del(m, "creationTimestamp");
		json_object_del(m, "labels");
		json_object_del(m, "annotations");
	}
	same = json_equal(have, want);
	json_decref(have);
	json_decref(want);
	return same;
}

int cmd_apply(int argc, char **argv)
{
	bool net_changed = false;
	struct svcrt_cfg svc_cfg;
	bool svc_cfg_ok = false, svc_changed = false;
	struct podrt rt;
	struct pn_object *objs = NULL;
	char **files = NULL;
	size_t nf = 0, n = 0;
	int rc = 1, first = 0;

	if (collect_files(argc, argv, &files, &nf, &first) < 0)
		goto out_files;
	if (first) {
		cmd_errorf("unknown argument \"%s\"; usage: podnet apply -f FILE|-", argv[first]);
		goto out_files;
	}
	if (nf == 0) {
		cmd_errorf("must specify one of -f and -k");
		goto out_files;
	}
	if (load_files(files, nf, &objs, &n) < 0)
		goto out_files;
	if (cmd_runtime_open(&rt, NULL) < 0)
		goto out_objs;
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct pn_err err = { 0 };

		if (objs[i].kind == PN_KIND_SERVICE) {
			/* consecutive Services share one store transaction */
			if (!svc_cfg_ok) {
				if (svcrt_config(&svc_cfg, &err) < 0) {
					cmd_error(&err);
					pn_err_free(&err);
					rc = 1;
					break;
				}
				svc_cfg_ok = true;
			}
			if (!store_in_transaction(rt.st) && store_begin(rt.st, &err) < 0) {
				cmd_error(&err);
				pn_err_free(&err);
				rc = 1;
				break;
			}
			rc |= svc_apply_one(&rt, &svc_cfg, objs[i].svc);
			svc_changed = true;
			continue;
		}
		if (store_in_transaction(rt.st) && store_commit(rt.st, &err) < 0) {
			cmd_error(&err);
			pn_err_free(&err);
			rc = 1;
			break;
		}
		if (objs[i].kind == PN_KIND_NAMESPACE) {
			rc |= cmd_namespace_apply(&rt, objs[i].ns, &net_changed);
			continue;
		}
		if (objs[i].kind == PN_KIND_NETPOL) {
			rc |= cmd_netpol_apply(&rt, objs[i].np, &net_changed);
			continue;
		}
		struct store_pod *sp = NULL;
		struct store_namespace *nsr = NULL;

		if (store_namespace_get(rt.st, objs[i].pod->meta.namespace_, &nsr, NULL) < 0) {
			fprintf(stderr, "Error from server (NotFound): namespaces \"%s\" not found\n",
				objs[i].pod->meta.namespace_);
			rc = 1;
			continue;
		}
		store_namespace_free(nsr);
		/* An existing pod: only its labels and annotations may change
		 * here (the policies that select it follow). */
		if (store_pod_get_by_name(rt.st, objs[i].pod->meta.namespace_, objs[i].pod->meta.name,
					  &sp, NULL) == 0 &&
		    pod_only_meta_differs(sp, objs[i].pod)) {
			bool changed = false;

			if (podrt_pod_relabel(&rt, sp, objs[i].pod, &changed, &err) < 0) {
				cmd_error(&err);
				rc = 1;
			} else {
				printf("pod/%s %s\n", sp->name, changed ? "configured" : "unchanged");
			}
			store_pod_free(sp);
			pn_err_free(&err);
			continue;
		}
		store_pod_free(sp);
		sp = NULL;
		if (podrt_pod_create(&rt, objs[i].pod, &sp, &err) < 0) {
			if (err.code == PN_E_ALREADY_EXISTS)
				fprintf(stderr, "Error from server (AlreadyExists): %s\n",
					pn_err_msg(&err));
			else
				cmd_error(&err);
			pn_err_free(&err);
			rc = 1;
			continue;
		}
		printf("pod/%s created\n", sp->name);
		store_pod_free(sp);
	}
	if (store_in_transaction(rt.st)) {
		struct pn_err err = { 0 };

		if (store_commit(rt.st, &err) < 0) {
			cmd_error(&err);
			pn_err_free(&err);
			rc = 1;
		}
	}
	/* Policies, namespace labels, Services changed: one nftables
	 * transaction for all of them. */
	if (net_changed || svc_changed)
		rc |= cmd_netpol_sync(&rt);
	podrt_close(&rt);
out_objs:
	manifest_objects_free(objs, n);
out_files:
	free(files);
	return rc;
}


struct get_opts {
	const char *ns;
	bool all_ns;
	const char *selector;
	const char *output;
	bool no_headers;
	char **names;
	size_t n_names;
};

/* kubectl's equality-based selectors: k=v, k==v, k!=v, k, !k, joined by ','. */
bool cmd_selector_match(const char *sel, json_t *labels)
{
	char *copy, *save = NULL, *tok;
	bool ok = true;

	if (!sel || !*sel)
		return true;
	copy = strdup(sel);
	if (!copy)
		return false;
	for (tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
		char *ne = strstr(tok, "!="), *eq = strchr(tok, '=');
		const char *v;

		if (ne) {
			*ne = '\0';
			v = json_string_value(json_object_get(labels, tok));
			ok = !v || strcmp(v, ne + 2);
		} else if (eq) {
			*eq = '\0';
			v = json_string_value(json_object_get(labels, tok));
			ok = v && !strcmp(v, eq[1] == '=' ? eq + 2 : eq + 1);
		} else if (tok[0] == '!') {
			ok = !json_object_get(labels, tok + 1);
		} else {
			ok = json_object_get(labels, tok) != NULL;
		}
	}
	free(copy);
	return ok;
}

static int print_jsonpath(const char *tmpl, json_t *doc)
{
	struct jsonpath *jp = NULL;
	struct pn_err err = { 0 };
	char *out = NULL;
	int ret;

	ret = jsonpath_parse(tmpl, &jp, &err);
	if (ret == 0)
		ret = jsonpath_execute(jp, doc, true, &out, &err);
	jsonpath_free(jp);
	if (ret < 0) {
		fprintf(stderr, "error: error executing jsonpath \"%s\": %s\n", tmpl,
			pn_err_msg(&err));
		pn_err_free(&err);
		return 1;
	}
	fputs(out, stdout);
	free(out);
	pn_err_free(&err);
	return 0;
}

int cmd_print_object(const char *output, json_t *doc)
{
	struct pn_err err = { 0 };
	int rc = 0;

	if (!doc)
		return 1;
	if (!strcmp(output, "json")) {
		if (output_json(stdout, doc, &err) < 0)
			rc = 1;
	} else if (!strcmp(output, "yaml")) {
		char *y = json_to_yaml(doc);

		fputs(y ? y : "", stdout);
		rc = !y;
		free(y);
	} else {
		const char *t = strchr(output, '=');

		rc = print_jsonpath(t ? t + 1 : "", doc);
	}
	pn_err_free(&err);
	return rc;
}

static int get_pods(struct podrt *rt, const struct get_opts *o)
{
	struct store_pod *pods = NULL;
	size_t n = 0;
	json_t *items = json_array();
	struct podrt_view *views = NULL;
	size_t nv = 0;
	struct pn_err err = { 0 };
	bool single = o->n_names == 1 && !o->all_ns;
	int rc = 1;

	if (store_pod_list(rt->st, o->all_ns ? NULL : o->ns, &pods, &n, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	views = calloc(n ? n : 1, sizeof(*views));
	if (!views)
		goto out;
	rc = 0;
	for (size_t i = 0; i < o->n_names; i++) {
		bool found = false;

		for (size_t k = 0; k < n; k++)
			found |= !strcmp(pods[k].name, o->names[i]);
		if (!found) {
			fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n",
				o->names[i]);
			rc = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool want = o->n_names == 0;
		json_t *j;

		for (size_t k = 0; k < o->n_names; k++)
			want |= !strcmp(pods[i].name, o->names[k]);
		if (!want)
			continue;
		if (podrt_view_get(rt, &pods[i], &views[nv], &err) < 0)
			continue;
		j = podrt_view_to_json(&views[nv]);
		if (!cmd_selector_match(o->selector,
				    json_object_get(json_object_get(j, "metadata"), "labels"))) {
			json_decref(j);
			podrt_view_free(&views[nv]);
			continue;
		}
		json_array_append_new(items, j);
		nv++;
	}
	if (nv == 0 && o->n_names == 0) {
		if (o->all_ns)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n", o->ns);
		goto out;
	}
	if (o->output && (!strcmp(o->output, "json") || !strcmp(o->output, "yaml") ||
			  !strncmp(o->output, "jsonpath=", 9) || !strncmp(o->output, "jsonpath", 8))) {
		json_t *doc = single && nv == 1
				      ? json_incref(json_array_get(items, 0))
				      : json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items",
						  items, "kind", "List", "metadata", "resourceVersion", "");

		if (!strcmp(o->output, "json")) {
			if (output_json(stdout, doc, &err) < 0)
				rc = 1;
		} else if (!strcmp(o->output, "yaml")) {
			char *y = json_to_yaml(doc);

			fputs(y ? y : "", stdout);
			free(y);
		} else {
			const char *t = strchr(o->output, '=');

			rc |= print_jsonpath(t ? t + 1 : "", doc);
		}
		json_decref(doc);
		goto out;
	}
	if (o->output && !strcmp(o->output, "name")) {
		for (size_t i = 0; i < nv; i++)
			if (output_name(stdout, "Pod", NULL, views[i].pod->name, NULL) < 0)
				rc = 1;
		goto out;
	}
	if (o->output && strcmp(o->output, "wide")) {
		cmd_errorf("unable to match a printer suitable for the output format \"%s\", allowed formats are: json,jsonpath,name,wide,yaml",
			   o->output);
		rc = 1;
		goto out;
	}
	{
		bool wide = o->output != NULL;
		const char *hdr[13];
		size_t nc = 0;
		struct table *t = NULL;
		time_t now = time(NULL);
		char host[256] = "";

		gethostname(host, sizeof(host) - 1);
		if (o->all_ns)
			hdr[nc++] = "NAMESPACE";
		hdr[nc++] = "NAME";
		hdr[nc++] = "READY";
		hdr[nc++] = "STATUS";
		hdr[nc++] = "RESTARTS";
		hdr[nc++] = "AGE";
		if (wide) {
			hdr[nc++] = "IP";
			hdr[nc++] = "NODE";
			hdr[nc++] = "NOMINATED NODE";
			hdr[nc++] = "READINESS GATES";
		}
		if (table_new(TABLE_KUBECTL, nc, hdr, &t, &err) < 0) {
			cmd_error(&err);
			rc = 1;
			goto out;
		}
		for (size_t i = 0; i < nv; i++) {
			struct podrt_view *v = &views[i];
			char ready[32], restarts[OUTPUT_AGE_LEN + 16], age[OUTPUT_AGE_LEN];
			const char *row[13];
			size_t k = 0;

			snprintf(ready, sizeof(ready), "%d/%d", v->ready, v->total);
			format_restarts(v->restarts, v->last_restart, now, restarts);
			format_age((time_t)(v->pod->created_ns / 1000000000), now, age);
			if (o->all_ns)
				row[k++] = v->pod->namespace_;
			row[k++] = v->pod->name;
			row[k++] = ready;
			row[k++] = v->status;
			row[k++] = restarts;
			row[k++] = age;
			if (wide) {
				row[k++] = v->pod->pod_ip;
				row[k++] = host;
				row[k++] = NULL;
				row[k++] = NULL;
			}
			if (table_add_row(t, row, &err) < 0) {
				cmd_error(&err);
				rc = 1;
				break;
			}
		}
		if (table_print(t, stdout, !o->no_headers, &err) < 0)
			rc = 1;
		table_free(t);
	}
out:
	for (size_t i = 0; i < nv; i++)
		podrt_view_free(&views[i]);
	free(views);
	json_decref(items);
	store_pod_array_free(pods, n);
	pn_err_free(&err);
	return rc;
}

/* A Namespace as the API server shows it: its object, or for podnet's
 * own namespaces (no object stored) one made from the row; status.phase. */
static json_t *namespace_object(const struct store_namespace *row)
{
	json_t *j = row->spec_json ? json_loads(row->spec_json, 0, NULL) : NULL;

	if (!j) {
		struct pn_namespace ns = { 0 };
		struct pn_kv label = { "kubernetes.io/metadata.name", row->name };

		ns.meta.name = row->name;
		ns.meta.uid = row->uid;
		ns.meta.creation = (time_t)(row->created_ns / 1000000000);
		ns.meta.labels.items = &label;
		ns.meta.labels.n = 1;
		j = namespace_to_json(&ns);
	}
	if (j)
		json_object_set_new(j, "status", json_pack("{s:s}", "phase",
							  row->phase == STORE_NS_ACTIVE ? "Active"
											: "Terminating"));
	return j;
}

static int get_namespaces(struct podrt *rt, const struct get_opts *o)
{
	struct store_namespace *ns = NULL;
	struct pn_err err = { 0 };
	struct table *t = NULL;
	size_t n = 0;
	time_t now = time(NULL);
	static const char *const hdr[] = { "NAME", "STATUS", "AGE" };
	json_t *items = json_array();
	bool *keep = NULL;
	size_t nv = 0;
	int rc = 1;

	if (store_namespace_list(rt->st, &ns, &n, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		json_decref(items);
		return 1;
	}
	keep = calloc(n + 1, sizeof(*keep));
	if (!keep || !items)
		goto out;
	rc = 0;
	for (size_t i = 0; i < o->n_names; i++) {
		bool found = false;

		for (size_t k = 0; k < n; k++)
			found |= !strcmp(ns[k].name, o->names[i]);
		if (!found) {
			fprintf(stderr, "Error from server (NotFound): namespaces \"%s\" not found\n",
				o->names[i]);
			rc = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool want = o->n_names == 0;
		json_t *j;

		for (size_t k = 0; k < o->n_names; k++)
			want |= !strcmp(ns[i].name, o->names[k]);
		if (!want || !(j = namespace_object(&ns[i])))
			continue;
		if (!cmd_selector_match(o->selector, json_object_get(json_object_get(j, "metadata"), "labels"))) {
			json_decref(j);
			continue;
		}
		json_array_append_new(items, j);
		keep[i] = true;
		nv++;
	}
	if (o->output && (!strcmp(o->output, "json") || !strcmp(o->output, "yaml") ||
			  !strncmp(o->output, "jsonpath", 8))) {
		json_t *doc = o->n_names == 1 && nv == 1
				      ? json_incref(json_array_get(items, 0))
				      : json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items",
						  items, "kind", "List", "metadata", "resourceVersion", "");

		rc |= cmd_print_object(o->output, doc);
		json_decref(doc);
		goto out;
	}
	if (o->output && !strcmp(o->output, "name")) {
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				printf("namespace/%s\n", ns[i].name);
		goto out;
	}
	if (nv == 0) {
		if (o->n_names == 0)
			fprintf(stderr, "No resources found\n");
		goto out;
	}
	if (table_new(TABLE_KUBECTL, 3, hdr, &t, &err) < 0) {
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char age[OUTPUT_AGE_LEN];
		const char *row[] = { ns[i].name,
				      ns[i].phase == STORE_NS_ACTIVE ? "Active" : "Terminating",
				      format_age((time_t)(ns[i].created_ns / 1000000000), now, age) };

		if (keep[i] && table_add_row(t, row, &err) < 0) {
			rc = 1;
			goto out;
		}
	}
	rc |= table_print(t, stdout, !o->no_headers, &err) < 0;
out:
	table_free(t);
	free(keep);
	json_decref(items);
	store_namespace_array_free(ns, n);
	pn_err_free(&err);
	return rc;
}

/* Flags common to get/delete/exec/logs: -n NS, -A, -l SEL, -o FMT. */
static int parse_common(int *i, int argc, char **argv, struct get_opts *o)
{
	const char *a = argv[*i];

	if ((!strcmp(a, "-n") || !strcmp(a, "--namespace")) && *i + 1 < argc) {
		o->ns = argv[++*i];
	} else if (!strncmp(a, "--namespace=", 12)) {
		o->ns = a + 12;
	} else if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces")) {
		o->all_ns = true;
	} else if ((!strcmp(a, "-l") || !strcmp(a, "--selector")) && *i + 1 < argc) {
		o->selector = argv[++*i];
	} else if (!strncmp(a, "--selector=", 11)) {
		o->selector = a + 11;
	} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && *i + 1 < argc) {
		o->output = argv[++*i];
	} else if (!strncmp(a, "-o", 2) && a[2]) {
		o->output = a + 2 + (a[2] == '=');
	} else if (!strncmp(a, "--output=", 9)) {
		o->output = a + 9;
	} else if (!strcmp(a, "--no-headers")) {
		o->no_headers = true;
	} else {
		return 0;
	}
	return 1;
}

int cmd_get(int argc, char **argv)
{
	struct get_opts o = { .ns = "default" };
	struct podrt rt;
	const char *what = NULL;
	char **names = calloc((size_t)argc, sizeof(char *));
	int rc = 1;

	if (!names)
		return 1;
	o.names = names;
	for (int i = 1; i < argc; i++) {
		if (parse_common(&i, argc, argv, &o))
			continue;
		if (argv[i][0] == '-' && argv[i][1]) {
			cmd_errorf("unknown flag: %s", argv[i]);
			goto out;
		}
		if (!what)
			what = argv[i];
		else
			names[o.n_names++] = argv[i];
	}
	if (!what) {
		cmd_errorf("you must specify the type of resource to get. Use \"podnet get pods\" or \"podnet get namespaces\"");
		goto out;
	}
	if (o.output && strcmp(o.output, "wide") && strcmp(o.output, "json") &&
	    strcmp(o.output, "yaml") && strcmp(o.output, "name") && strncmp(o.output, "jsonpath", 8)) {
		cmd_errorf("unable to match a printer suitable for the output format \"%s\", allowed formats are: json,jsonpath,name,wide,yaml",
			   o.output);
		goto out;
	}
	if (cmd_runtime_open(&rt, NULL) < 0)
		goto out;
	if (!strcmp(what, "pods") || !strcmp(what, "pod") || !strcmp(what, "po"))
		rc = get_pods(&rt, &o);
	else if (!strcmp(what, "namespaces") || !strcmp(what, "namespace") || !strcmp(what, "ns"))
		rc = get_namespaces(&rt, &o);
	else if (!strcmp(what, "networkpolicies") || !strcmp(what, "networkpolicy") ||
		 !strcmp(what, "netpol") || !strcmp(what, "networkpolicies.networking.k8s.io"))
		rc = cmd_netpol_get(&rt, &(struct cmd_get_args){ o.ns, o.all_ns, o.selector, o.output,
								 o.no_headers, o.names, o.n_names });
	else if (svc_is_resource(what))
		rc = svc_get(&rt, &(struct cmd_get_args){ o.ns, o.all_ns, o.selector, o.output,
							   o.no_headers, o.names, o.n_names });
	else if (svc_is_slice_resource(what))
		rc = svc_get_slices(&rt, &(struct cmd_get_args){ o.ns, o.all_ns, o.selector, o.output,
								  o.no_headers, o.names, o.n_names });
	else
		fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", what);
	podrt_close(&rt);
out:
	free(names);
	return rc;
}

static int delete_one(struct podrt *rt, const char *ns, const char *name)
{
	struct store_pod *sp = NULL;
	struct pn_err err = { 0 };

	if (store_pod_get_by_name(rt->st, ns, name, &sp, &err) < 0) {
		fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", name);
		pn_err_free(&err);
		return 1;
	}
	if (podrt_pod_delete(rt, sp, &err) < 0) {
		cmd_error(&err);
		store_pod_free(sp);
		pn_err_free(&err);
		return 1;
	}
	printf("pod \"%s\" deleted\n", name);
	store_pod_free(sp);
	pn_err_free(&err);
	return 0;
}

int cmd_delete(int argc, char **argv)
{
	bool all = false, netpol = false, svc = false, net_changed = false;
	struct get_opts o = { .ns = "default" };
	struct podrt rt;
	struct pn_object *objs = NULL;
	char **files = NULL;
	size_t nf = 0, n = 0;
	const char *what = NULL;
	char **names = NULL;
	size_t nn = 0;
	int rc = 1, first = 0;

	if (collect_files(argc, argv, &files, &nf, &first) < 0)
		goto out;
	/* Flags may follow the names (`delete pod web -n team`), as kubectl
	 * allows: every flag is read before any pod is deleted. */
	names = calloc((size_t)argc + 1, sizeof(char *));
	if (!names)
		goto out;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--filename")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--filename=", 11) || parse_common(&i, argc, argv, &o))
			continue;
		if (!strcmp(argv[i], "--all")) {
			all = true;
			continue;
		}
		if (!what) {
			what = argv[i];
			netpol = !strcmp(what, "networkpolicy") || !strcmp(what, "networkpolicies") ||
				 !strcmp(what, "netpol") ||
				 !strcmp(what, "networkpolicies.networking.k8s.io");
			svc = svc_is_resource(what);
			if (!netpol && !svc && strcmp(what, "pod") && strcmp(what, "pods") &&
			    strcmp(what, "po")) {
				fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", what);
				goto out;
			}
			continue;
		}
		names[nn++] = argv[i];
	}
	if (all && !netpol) {
		cmd_errorf("--all is supported for networkpolicies only");
		goto out;
	}
	if (all && nn) {
		cmd_errorf("name cannot be provided when a selector is specified");
		goto out;
	}
	if (!nf && !what) {
		cmd_errorf("You must provide one or more resources by argument or filename.");
		goto out;
	}
	if (what && nn == 0 && !nf && !all) {
		cmd_errorf("resource(s) were provided, but no name was specified");
		goto out;
	}
	if (nf && load_files(files, nf, &objs, &n) < 0)
		goto out;
	if (cmd_runtime_open(&rt, NULL) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (objs[i].kind == PN_KIND_POD)
			rc |= delete_one(&rt, objs[i].pod->meta.namespace_, objs[i].pod->meta.name);
		else if (objs[i].kind == PN_KIND_NETPOL)
			rc |= cmd_netpol_delete(&rt, objs[i].np->meta.namespace_, objs[i].np->meta.name,
						&net_changed);
		else if (objs[i].kind == PN_KIND_SERVICE) {
			rc |= svc_delete_one(&rt, objs[i].svc->meta.namespace_, objs[i].svc->meta.name);
			net_changed = true;
		}
	}
	if (all)
		rc |= cmd_netpol_delete_all(&rt, o.ns, o.all_ns, &net_changed);
	for (size_t i = 0; i < nn; i++) {
		if (svc) {
			rc |= svc_delete_one(&rt, o.ns, names[i]);
			net_changed = true;
		} else {
			rc |= netpol ? cmd_netpol_delete(&rt, o.ns, names[i], &net_changed)
				     : delete_one(&rt, o.ns, names[i]);
		}
	}
	/* Deleted policies or Services: the rules follow, in one transaction. */
	if (net_changed)
		rc |= cmd_netpol_sync(&rt);
	podrt_close(&rt);
out:
	manifest_objects_free(objs, n);
	free(names);
	free(files);
	return rc;
}

/* exec's and logs' flags: -c CONTAINER, and those of parse_common(). */
static int parse_ctr_flags(int *i, int argc, char **argv, struct get_opts *o, const char **cname)
{
	if ((!strcmp(argv[*i], "-c") || !strcmp(argv[*i], "--container")) && *i + 1 < argc) {
		*cname = argv[++*i];
		return 1;
	}
	return parse_common(i, argc, argv, o);
}

/* Find a pod by name and a container in it (default: the first, saying so
 * on stderr as kubectl does). */
static int pick_container(struct podrt *rt, const char *ns, const char *pod, const char *cname,
			  struct podrt_view *v, struct podrt_ctr **c)
{
	struct store_pod *sp = NULL;
	struct pn_err err = { 0 };

	if (store_pod_get_by_name(rt->st, ns, pod, &sp, &err) < 0) {
		fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", pod);
		pn_err_free(&err);
		return -1;
	}
	if (podrt_view_get(rt, sp, v, &err) < 0) {
		store_pod_free(sp);
		cmd_error(&err);
		pn_err_free(&err);
		return -1;
	}
	store_pod_free(sp);
	*c = NULL;
	for (size_t i = 0; i < v->n_ctrs; i++)
		if (cname ? !strcmp(v->ctrs[i].row.name, cname) : v->ctrs[i].row.idx == 0)
			*c = &v->ctrs[i];
	if (!*c) {
		if (cname)
			fprintf(stderr, "error: container %s is not valid for pod %s\n", cname, pod);
		else
			fprintf(stderr, "error: pod %s has no containers\n", pod);
		pn_err_free(&err);
		podrt_view_free(v);
		return -1;
	}
	if (!cname && v->n_ctrs > 1) {
		fprintf(stderr, "Defaulted container \"%s\" out of: ", (*c)->row.name);
		for (size_t i = 0; i < v->n_ctrs; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", v->ctrs[i].row.name);
		fputc('\n', stderr);
	}
	pn_err_free(&err);
	return 0;
}

/* The container exec and logs work on, in its pod's view, with the runtime open. */
struct ctr_target {
	struct podrt rt;
	struct podrt_view v;
	struct podrt_ctr *c;
};

/* Messages printed; on failure nothing is left open. */
static int ctr_target_open(struct ctr_target *t, const char *ns, const char *pod,
			   const char *cname)
{

	memset(t, 0, sizeof(*t));
	if (cmd_runtime_open(&t->rt, NULL) < 0)
		return -1;
	if (pick_container(&t->rt, ns, pod, cname, &t->v, &t->c) < 0) {
		podrt_close(&t->rt);
		return -1;
	}
	return 0;
}

static void ctr_target_close(struct ctr_target *t)
{
	podrt_view_free(&t->v);
	podrt_close(&t->rt);
}

int cmd_exec(int argc, char **argv)
{
	struct get_opts o = { .ns = "default" };
	struct ctr_target t;
	const char *pod = NULL, *cname = NULL;
	bool tty = false, interactive = false;
	int i, rc = 1, code = 0;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--stdin"))
			interactive = true;
		else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tty"))
			tty = true;
		else if (!strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
			tty = interactive = true;
		else if (parse_ctr_flags(&i, argc, argv, &o, &cname))
			continue;
		else if (!pod)
			pod = argv[i];
		else
			break;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (!pod || i >= argc) {
		cmd_errorf("you must specify at least one command for the container; usage: podnet exec POD [-c CONTAINER] -- COMMAND [args...]");
		return 1;
	}
	if (ctr_target_open(&t, o.ns, pod, cname) < 0)
		return 1;
	if (strcmp(t.c->state, "running")) {
		fprintf(stderr, "error: unable to upgrade connection: container not found (\"%s\")\n",
			t.c->row.name);
		goto out;
	}
	{
		struct oci_rt ort = { .path = t.v.runtime, .root = t.v.runtime_root };
		struct oci_exec_opts eo = { .args = (const char *const *)(argv + i),
					    .tty = tty,
					    .interactive = interactive,
					    .io = { .in = interactive ? 0 : -1, .out = 1, .err = 2 } };
		struct pn_err err = { 0 };
		int ret = oci_exec(&ort, t.c->row.id, &eo, &code, &err);

		/* The runtime already printed its own message (oci.h). */
		if (ret < 0 && code == 0)
			code = 126;
		pn_err_free(&err);
		rc = code;
	}
out:
	ctr_target_close(&t);
	return rc;
}

/* Print the message part of CRI log lines ("TIME STREAM TAG MSG"); P
 * records are joined with the next one. */
static void print_cri_log(FILE *in, FILE *out)
{
	char line[20000];

	while (fgets(line, sizeof(line), in)) {
		char *p = strchr(line, ' '), *tag, *msg;
		size_t len;

		if (!p || !(tag = strchr(p + 1, ' ')))
			continue;
		tag++;
		msg = tag + 2;
		len = strlen(msg);
		if (tag[0] == 'P' && len && msg[len - 1] == '\n')
			msg[--len] = '\0';
		fputs(msg, out);
	}
	fflush(out);
}

int cmd_logs(int argc, char **argv)
{
	struct get_opts o = { .ns = "default" };
	struct ctr_target t;
	struct podrt_ctr *c;
	const char *pod = NULL, *cname = NULL;
	bool follow = false, previous = false;
	int rc = 1;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			follow = true;
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--previous"))
			previous = true;
		else if (parse_ctr_flags(&i, argc, argv, &o, &cname))
			continue;
		else if (!pod)
			pod = argv[i];
		else if (!cname)
			cname = argv[i];
	}
	if (!pod) {
		cmd_errorf("expected 'logs POD [-c CONTAINER]'");
		return 1;
	}
	if (ctr_target_open(&t, o.ns, pod, cname) < 0)
		return 1;
	c = t.c;
	if (previous && !c->prev_log_path[0]) {
		fprintf(stderr, "Error from server (BadRequest): previous terminated container \"%s\" in pod \"%s\" not found\n",
			c->row.name, pod);
		goto out;
	}
	f = fopen(previous ? c->prev_log_path : c->log_path, "r");
	if (!f) {
		fprintf(stderr, "Error from server (BadRequest): container \"%s\" in pod \"%s\" is waiting to start: %s\n",
			c->row.name, pod, c->reason[0] ? c->reason : "ContainerCreating");
		goto out;
	}
	print_cri_log(f, stdout);
	while (follow && !previous) {
		struct podrt_view nv;
		struct pn_err err = { 0 };
		bool running = false;

		usleep(200000);
		clearerr(f);
		print_cri_log(f, stdout);
		if (podrt_view_get(&t.rt, t.v.pod, &nv, &err) < 0) {
			pn_err_free(&err);
			break;
		}
		for (size_t i = 0; i < nv.n_ctrs; i++)
			if (!strcmp(nv.ctrs[i].row.id, c->row.id))
				running = !strcmp(nv.ctrs[i].state, "running") &&
					  !strcmp(nv.ctrs[i].log_path, c->log_path);
		podrt_view_free(&nv);
		if (!running) {
			clearerr(f);
			print_cri_log(f, stdout);
			break;
		}
	}
	fclose(f);
	rc = 0;
out:
	ctr_target_close(&t);
	return rc;
}
