/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crictl's views of the node (pods, ps, inspect, inspectp) and the node
 * commands (init, info, gc).
 *
 * crictl sees what the CRI runtime reports: a pod sandbox per pod, and a
 * container per attempt of each container, with its own ID and ATTEMPT.
 * The shim gives each restart a new runtime id (status.json containerID;
 * lastState.containerID is the attempt before), so a container in its
 * back-off shows as the exited attempt, with its exit code and times, and
 * `ps -a` also lists the attempt before the current one (kubelet keeps one
 * dead container per container name).
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "manifest.h"
#include "oci.h"
#include "output.h"
#include "podrt.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The shim's "2026-11-26T16:00:00.123456789Z" as ns; 0 when unset. */
static int64_t parse_time_ns(const char *s)
{
	struct tm tm = { 0 };
	const char *end;
	int64_t frac = 0;
	int digits = 0;

	if (!s || !*s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*end - '0');
	for (; digits < 9 && digits > 0; digits++)
		frac *= 10;
	return (int64_t)timegm(&tm) * 1000000000 + frac;
}

/* What crictl's commands look at: every pod's live view, the runtime open. */
struct node_views {
	struct podrt rt;
	struct podrt_view *v;
	size_t n;
};

/* Messages printed; on failure nothing is left open. */
static int views_open(struct node_views *nv)
{
	struct store_pod *pods = NULL;
	struct pn_err err = { 0 };
	size_t np = 0;

	memset(nv, 0, sizeof(*nv));
	if (cmd_runtime_open(&nv->rt, NULL) < 0)
		return -1;
	if (store_pod_list(nv->rt.st, NULL, &pods, &np, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		podrt_close(&nv->rt);
		return -1;
	}
	nv->v = calloc(np ? np : 1, sizeof(*nv->v));
	for (size_t i = 0; nv->v && i < np; i++)
		if (podrt_view_get(&nv->rt, &pods[i], &nv->v[nv->n], &err) == 0)
			nv->n++;
	store_pod_array_free(pods, np);
	pn_err_free(&err);
	if (!nv->v) {
		podrt_close(&nv->rt);
		return -1;
	}
	return 0;
}

static void views_close(struct node_views *nv)
{
	for (size_t i = 0; i < nv->n; i++)
		podrt_view_free(&nv->v[i]);
	free(nv->v);
	podrt_close(&nv->rt);
}

/* ------------------------------------------------------ CRI containers */

enum cri_state { CRI_CREATED, CRI_RUNNING, CRI_EXITED, CRI_UNKNOWN };
static const char *const cri_state_names[] = { "CONTAINER_CREATED", "CONTAINER_RUNNING",
					       "CONTAINER_EXITED", "CONTAINER_UNKNOWN" };
static const char *const cri_state_short[] = { "Created", "Running", "Exited", "Unknown" };

/* One attempt of one container, as the CRI reports it. */
struct cri_ctr {
	const struct podrt_view *v;
	const struct podrt_ctr *c;
	const char *id;
	int attempt;
	enum cri_state state;
	int64_t created, started, finished;   /* ns; 0 unset */
	int exit_code;
	const char *reason, *message, *log_path;
	bool current;
};

static int cri_ctr_cmp(const void *pa, const void *pb)
{
	const struct cri_ctr *a = pa, *b = pb;

	/* crictl sorts newest first. */
	return a->created < b->created ? 1 : a->created > b->created ? -1 : 0;
}

/* The attempts of @c podnet knows: the current one, and with @all the one
 * before it.  Returns how many were written to @out (0..2). */
static size_t cri_attempts(const struct podrt_view *v, const struct podrt_ctr *c,
			   struct cri_ctr out[2])
{
	struct cri_ctr *a = &out[0];
	size_t n = 1;

	memset(out, 0, 2 * sizeof(*out));
	a->v = v;
	a->c = c;
	a->id = c->cid;
	a->attempt = c->restart_count;
	a->current = true;
	a->log_path = c->log_path;
	a->created = c->restart_count ? parse_time_ns(c->started_at) : c->row.created_ns;
	if (!strcmp(c->state, "running")) {
		a->state = CRI_RUNNING;
		a->started = parse_time_ns(c->started_at);
		a->reason = "";
		a->message = "";
	} else if (!strcmp(c->state, "exited")) {
		a->state = CRI_EXITED;
		a->started = parse_time_ns(c->started_at);
		a->finished = parse_time_ns(c->finished_at);
		a->exit_code = c->exit_code < 0 ? 0 : c->exit_code;
		a->reason = c->reason;
		a->message = c->message;
	} else if (!strcmp(c->state, "waiting") && c->has_last) {
		/* Back-off: the attempt that exited is the container crictl
		 * sees, until the next one is created. */
		a->state = CRI_EXITED;
		a->started = parse_time_ns(c->last_started_at);
		a->finished = parse_time_ns(c->last_finished_at);
		a->created = c->restart_count ? a->started : c->row.created_ns;
		a->exit_code = c->last_exit_code;
		a->reason = c->last_reason;
		a->message = "";
	} else if (!strcmp(c->state, "unknown")) {
		a->state = CRI_UNKNOWN;
		a->started = parse_time_ns(c->started_at);
		a->reason = c->reason;
		a->message = c->message;
	} else {
		a->state = CRI_CREATED;
		a->reason = "";
		a->message = "";
	}
	if (!a->created)
		a->created = c->row.created_ns;
	/* The attempt before, while its log is kept: lastState's once the
	 * next attempt runs, the shim's previousAttempt during a back-off. */
	if (c->restart_count > 0 && c->prev_log_path[0]) {
		struct cri_ctr *p = &out[n];
		bool waiting = !strcmp(c->state, "waiting");

		p->v = v;
		p->c = c;
		p->attempt = c->restart_count - 1;
		p->state = CRI_EXITED;
		p->message = "";
		p->log_path = c->prev_log_path;
		if (waiting && c->has_prev) {
			p->id = c->prev_cid;
			p->started = parse_time_ns(c->prev_started_at);
			p->finished = parse_time_ns(c->prev_finished_at);
			p->exit_code = c->prev_exit_code;
			p->reason = c->prev_reason;
		} else if (!waiting && c->last_cid[0] && strcmp(c->last_cid, c->cid)) {
			p->id = c->last_cid;
			p->started = parse_time_ns(c->last_started_at);
			p->finished = parse_time_ns(c->last_finished_at);
			p->exit_code = c->last_exit_code;
			p->reason = c->last_reason;
		}
		if (p->id && p->id[0]) {
			p->created = p->attempt ? p->started : c->row.created_ns;
			n++;
		}
	}
	return n;
}

/* Every attempt of every container of the node, newest first. */
static int cri_list(const struct node_views *nv, struct cri_ctr **out, size_t *n)
{
	size_t cap = 0, k = 0;
	struct cri_ctr *all;

	for (size_t i = 0; i < nv->n; i++)
		cap += 2 * nv->v[i].n_ctrs;
	all = calloc(cap ? cap : 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < nv->n; i++)
		for (size_t c = 0; c < nv->v[i].n_ctrs; c++)
			k += cri_attempts(&nv->v[i], &nv->v[i].ctrs[c], all + k);
	qsort(all, k, sizeof(*all), cri_ctr_cmp);
	*out = all;
	*n = k;
	return 0;
}

/* kubelet's labels on a container (types.go). */
static json_t *ctr_labels(const struct cri_ctr *a)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "io.kubernetes.container.name", a->c->row.name,
			 "io.kubernetes.pod.name", a->v->pod->name, "io.kubernetes.pod.namespace",
			 a->v->pod->namespace_, "io.kubernetes.pod.uid", a->v->pod->uid);
}

static json_t *ctr_annotations(const struct cri_ctr *a)
{
	char rc[16];
	json_t *g = json_object_get(json_object_get(a->v->spec, "spec"), "terminationGracePeriodSeconds");
	char grace[32];

	snprintf(rc, sizeof(rc), "%d", a->attempt);
	snprintf(grace, sizeof(grace), "%lld", (long long)(json_is_integer(g) ? json_integer_value(g) : 30));
	return json_pack("{s:s, s:s, s:s, s:s}", "io.kubernetes.container.restartCount", rc,
			 "io.kubernetes.container.terminationMessagePath", "/dev/termination-log",
			 "io.kubernetes.container.terminationMessagePolicy", "File",
			 "io.kubernetes.pod.terminationGracePeriod", grace);
}

static json_t *image_spec(const char *image)
{
	return json_pack("{s:{}, s:s, s:s, s:s}", "annotations", "image", image, "runtimeHandler", "",
			 "userSpecifiedImage", "");
}

/* The CRI Container (ListContainers) of `ps -o json`. */
static json_t *cri_container_json(const struct cri_ctr *a)
{
	char created[32];

	snprintf(created, sizeof(created), "%lld", (long long)a->created);
	return json_pack("{s:s, s:s, s:{s:s, s:i}, s:o, s:s, s:s, s:s, s:o, s:o, s:s}", "id", a->id,
			 "podSandboxId", a->v->pod->sandbox_id, "metadata", "name", a->c->row.name,
			 "attempt", a->attempt, "image", image_spec(a->c->row.image), "imageRef",
			 a->c->row.image, "state", cri_state_names[a->state], "createdAt", created,
			 "labels", ctr_labels(a), "annotations", ctr_annotations(a), "imageId",
			 a->c->row.image);
}

/* The runtime's spec of the container (its bundle's config.json). */
static json_t *runtime_spec(const struct podrt_view *v, const char *dir_id)
{
	char path[4200];
	json_t *j;

	snprintf(path, sizeof(path), "%s/containers/%s/config.json", v->pod_dir, dir_id);
	j = json_load_file(path, 0, NULL);
	return j ? j : json_null();
}

/*
 * `crictl inspect`: the ContainerStatus with crictl's RFC 3339 times
 * (unset ones Go's zero time), then the runtime's info (containerd's:
 * sandboxID, pid, runtimeSpec...).
 */
static json_t *cri_inspect_json(const struct cri_ctr *a)
{
	char cr[OUTPUT_TIME_LEN], st[OUTPUT_TIME_LEN], fi[OUTPUT_TIME_LEN];
	json_t *status, *info;

	format_rfc3339nano(a->created, true, cr);
	/* crictl: startedAt once the container left "created"; finishedAt
	 * when it exited (or is unknown with a finish time). */
	format_rfc3339nano(a->started, a->state != CRI_CREATED && a->started, st);
	format_rfc3339nano(a->finished, (a->state == CRI_EXITED || a->state == CRI_UNKNOWN) && a->finished,
			   fi);
	status = json_pack("{s:s, s:{s:i, s:s}, s:s, s:s, s:s, s:s, s:i, s:o, s:s, s:s, s:s, s:o, s:o, "
			   "s:[], s:s, s:n, s:s}",
			   "id", a->id, "metadata", "attempt", a->attempt, "name", a->c->row.name,
			   "state", cri_state_names[a->state], "createdAt", cr, "startedAt", st,
			   "finishedAt", fi, "exitCode", a->exit_code, "image",
			   image_spec(a->c->row.image), "imageRef", a->c->row.image, "reason",
			   a->reason ? a->reason : "", "message", a->message ? a->message : "",
			   "labels", ctr_labels(a), "annotations", ctr_annotations(a), "mounts",
			   "logPath", a->log_path ? a->log_path : "", "resources", "imageId",
			   a->c->row.image);
	info = json_pack("{s:s, s:i, s:b, s:s, s:s, s:o}", "sandboxID", a->v->pod->sandbox_id, "pid",
			 a->current && a->state == CRI_RUNNING ? a->c->pid : 0, "removing", 0,
			 "runtimeType", "io.podnet.runtime.v1", "runtime", a->v->runtime, "runtimeSpec",
			 a->current ? runtime_spec(a->v, a->c->row.id) : json_null());
	return json_pack("{s:o, s:o}", "status", status, "info", info);
}

static const char *sandbox_state(const struct podrt_view *v)
{
	return v->shim_alive && v->pause_pid ? "SANDBOX_READY" : "SANDBOX_NOTREADY";
}

/* A pod's labels for the CRI: the pod's own, plus kubelet's. */
static json_t *sandbox_labels(const struct podrt_view *v)
{
	json_t *l = json_deep_copy(json_object_get(json_object_get(v->spec, "metadata"), "labels"));

	if (!json_is_object(l)) {
		json_decref(l);
		l = json_object();
	}
	json_object_set_new(l, "io.kubernetes.pod.name", json_string(v->pod->name));
	json_object_set_new(l, "io.kubernetes.pod.namespace", json_string(v->pod->namespace_));
	json_object_set_new(l, "io.kubernetes.pod.uid", json_string(v->pod->uid));
	return l;
}

static json_t *sandbox_annotations(const struct podrt_view *v)
{
	json_t *a = json_deep_copy(json_object_get(json_object_get(v->spec, "metadata"), "annotations"));

	if (!json_is_object(a)) {
		json_decref(a);
		a = json_object();
	}
	return a;
}

/* The CRI PodSandbox (ListPodSandbox) of `pods -o json`. */
static json_t *cri_sandbox_json(const struct podrt_view *v)
{
	char created[32];

	snprintf(created, sizeof(created), "%lld", (long long)v->pod->created_ns);
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:i}, s:s, s:s, s:o, s:o, s:s}", "id",
			 v->pod->sandbox_id, "metadata", "name", v->pod->name, "uid", v->pod->uid,
			 "namespace", v->pod->namespace_, "attempt", 0, "state", sandbox_state(v),
			 "createdAt", created, "labels", sandbox_labels(v), "annotations",
			 sandbox_annotations(v), "runtimeHandler", "");
}

/* `crictl inspectp`: PodSandboxStatus, then the runtime's info. */
static json_t *cri_inspectp_json(const struct podrt_view *v)
{
	char created[OUTPUT_TIME_LEN];
	json_t *nss = json_array(), *ips = json_array();
	json_t *pod_ips = v->pod->pod_ips ? json_loads(v->pod->pod_ips, 0, NULL) : NULL;
	size_t i;
	json_t *e;

	format_rfc3339nano(v->pod->created_ns, true, created);
	json_array_foreach(pod_ips, i, e)
		if (i > 0)
			json_array_append_new(ips, json_pack("{s:O}", "ip", e));
	json_decref(pod_ips);
	json_array_append_new(nss, v->pod->netns_path ? json_pack("{s:s, s:s}", "type", "network",
								 "path", v->pod->netns_path)
						      : json_pack("{s:s}", "type", "network"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "ipc"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "uts"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "pid"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "mount"));
	return json_pack(
		"{s:{s:s, s:{s:i, s:s, s:s, s:s}, s:s, s:s, s:{s:o, s:s}, s:{s:{s:{s:s, s:s, s:s, s:s, s:n}}}, "
		"s:o, s:o, s:s}, "
		"s:{s:i, s:s, s:{s:{s:o}}, s:s}}",
		"status", "id", v->pod->sandbox_id, "metadata", "attempt", 0, "name", v->pod->name,
		"namespace", v->pod->namespace_, "uid", v->pod->uid, "state", sandbox_state(v),
		"createdAt", created, "network", "additionalIps", ips, "ip",
		v->pod->pod_ip ? v->pod->pod_ip : "", "linux", "namespaces", "options", "ipc", "POD",
		"network", v->pod->netns_path ? "POD" : "NODE", "pid", "CONTAINER", "targetId", "",
		"usernsOptions", "labels", sandbox_labels(v), "annotations", sandbox_annotations(v),
		"runtimeHandler", "",
		"info", "pid", v->pause_pid, "runtimeType", "io.podnet.runtime.v1", "runtimeSpec",
		"linux", "namespaces", nss, "netnsPath", v->pod->netns_path ? v->pod->netns_path : "");
}

/* --------------------------------------------------------------- filters */

/* crictl's --label key=value (repeatable): every one must match. */
static bool labels_match(json_t *labels, const struct flag_strings *want)
{
	for (size_t i = 0; i < want->n; i++) {
		const char *eq = strchr(want->v[i], '=');
		char key[256];
		const char *v;

		if (!eq)
			return false;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - want->v[i]), want->v[i]);
		v = json_string_value(json_object_get(labels, key));
		if (!v || strcmp(v, eq + 1))
			return false;
	}
	return true;
}

static int check_labels(const struct flag_strings *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strchr(l->v[i], '=')) {
			cmd_errorf("incorrectly specified label: %s", l->v[i]);
			return -1;
		}
	return 0;
}

static int regex_compile(regex_t *re, const char *s, const char *what, bool *have)
{
	*have = false;
	if (!s)
		return 0;
	if (regcomp(re, s, REG_EXTENDED | REG_NOSUB)) {
		cmd_errorf("invalid %s regular expression \"%s\"", what, s);
		return -1;
	}
	*have = true;
	return 0;
}

enum cri_out { CRI_OUT_TABLE, CRI_OUT_JSON, CRI_OUT_YAML };

static int cri_out_parse(const char *o, enum cri_out *f)
{
	if (!o || !strcmp(o, "table"))
		*f = CRI_OUT_TABLE;
	else if (!strcmp(o, "json"))
		*f = CRI_OUT_JSON;
	else if (!strcmp(o, "yaml"))
		*f = CRI_OUT_YAML;
	else {
		cmd_errorf("unsupported output format \"%s\" (json, yaml, table)", o);
		return -1;
	}
	return 0;
}

/* Print @doc (a reference this takes) as JSON or YAML: 1 on failure. */
static int print_doc(json_t *doc, enum cri_out f)
{
	struct pn_err err = { 0 };
	int rc = 0;

	if (!doc)
		return 1;
	if (f == CRI_OUT_YAML) {
		char *y = json_to_yaml(doc);

		rc = !y;
		if (y)
			fputs(y, stdout);
		free(y);
	} else if (output_json_crictl(stdout, doc, &err) < 0) {
		cmd_error(&err);
		rc = 1;
	}
	pn_err_free(&err);
	json_decref(doc);
	return rc;
}

/* crictl's verbose lists: "Labels:" then "\tkey -> value" sorted. */
static void print_map(const char *title, json_t *m)
{
	size_t n = json_object_size(m), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;

	/* crictl skips an empty map (protobuf has no empty maps: nil). */
	if (!keys || n == 0) {
		free(keys);
		return;
	}
	json_object_foreach(m, k, v)
		keys[i++] = k;
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
			const char *t = keys[b];

			keys[b] = keys[b - 1];
			keys[b - 1] = t;
		}
	printf("%s:\n", title);
	for (i = 0; i < n; i++)
		printf("\t%s -> %s\n", keys[i], json_string_value(json_object_get(m, keys[i])));
	free(keys);
}

/* The end of one verbose entry of pods and ps: its labels, its
 * annotations (consumed) and a blank line. */
static void print_maps(json_t *labels, json_t *ann)
{
	print_map("Labels", labels);
	print_map("Annotations", ann);
	printf("\n");
	json_decref(ann);
}

/* The end of pods and ps: the document {@key: @items} for -o json/yaml,
 * the table unless -q or -v printed the entries as they came.  1 on
 * failure. */
static int print_list_end(enum cri_out fmt, bool quiet, bool verbose, const char *key,
			  json_t *items, struct table *t, struct pn_err *err)
{
	if (fmt != CRI_OUT_TABLE && !quiet)
		return print_doc(json_pack("{s:O}", key, items), fmt);
	if (!quiet && !verbose && table_print(t, stdout, true, err) < 0)
		return 1;
	return 0;
}

/* ----------------------------------------------------------------- pods */

static int view_newest_first(const void *pa, const void *pb)
{
	const struct podrt_view *a = *(const struct podrt_view *const *)pa;
	const struct podrt_view *b = *(const struct podrt_view *const *)pb;

	return a->pod->created_ns < b->pod->created_ns ? 1 : a->pod->created_ns > b->pod->created_ns ? -1 : 0;
}

static const char *const pods_hdr[] = { "POD ID", "CREATED", "STATE", "NAME",
					 "NAMESPACE", "ATTEMPT", "RUNTIME" };

/* One row of crictl pods' table (also the candidates of an ambiguous
 * inspectp). */
static int pods_row(struct table *t, const struct podrt_view *v, bool no_trunc, struct pn_err *err)
{
	char pid[STORE_ID_LEN + 1], age[OUTPUT_AGE_LEN];
	bool ready = !strcmp(sandbox_state(v), "SANDBOX_READY");
	const char *row[] = { no_trunc ? v->pod->sandbox_id
				       : truncate_id(v->pod->sandbox_id, OUTPUT_ID_SHORT, pid, sizeof(pid)),
			      format_age_crictl(v->pod->created_ns, now_ns(), age),
			      ready ? "Ready" : "NotReady", v->pod->name, v->pod->namespace_, "0",
			      "(default)" };

	return table_add_row(t, row, err);
}

int cmd_pods(int argc, char **argv)
{
	struct flag_strings labels = { 0 };
	const char *name = NULL, *nsre = NULL, *state = NULL, *id = NULL, *output = NULL;
	bool quiet = false, verbose = false, no_trunc = false;
	struct flag flags[] = {
		FLAG_DEF("quiet", 'q', FLAG_BOOL, &quiet),
		FLAG_DEF("name", 0, FLAG_STRING, &name),
		FLAG_DEF("namespace", 0, FLAG_STRING, &nsre),
		FLAG_DEF("label", 0, FLAG_STRINGS, &labels),
		FLAG_DEF("state", 's', FLAG_STRING, &state),
		FLAG_DEF("id", 0, FLAG_STRING, &id),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_DEF("verbose", 'v', FLAG_BOOL, &verbose),
		FLAG_DEF("no-trunc", 0, FLAG_BOOL, &no_trunc),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct node_views nv;
	struct table *t = NULL;
	struct pn_err err = { 0 };
	regex_t name_re, ns_re;
	bool have_name = false, have_ns = false, opened = false;
	enum cri_out fmt;
	json_t *items = json_array();
	const struct podrt_view **order = NULL;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("pods", &a, 0) < 0)
		goto out;
	if (cri_out_parse(output, &fmt) < 0 || check_labels(&labels) < 0)
		goto out;
	if (state && strcasecmp(state, "ready") && strcasecmp(state, "notready")) {
		cmd_errorf("--state should be ready or notready");
		goto out;
	}
	if (regex_compile(&name_re, name, "--name", &have_name) < 0 ||
	    regex_compile(&ns_re, nsre, "--namespace", &have_ns) < 0)
		goto out;
	if (views_open(&nv) < 0)
		goto out;
	opened = true;
	if (table_new(TABLE_CRICTL, 7, pods_hdr, &t, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	rc = 0;
	/* Newest first, as crictl sorts them (the store lists by name). */
	order = calloc(nv.n ? nv.n : 1, sizeof(*order));
	if (!order) {
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < nv.n; i++)
		order[i] = &nv.v[i];
	qsort(order, nv.n, sizeof(*order), view_newest_first);
	for (size_t k = 0; k < nv.n; k++) {
		const struct podrt_view *v = order[k];
		char pid[STORE_ID_LEN + 1];
		bool ready;
		json_t *l;

		ready = !strcmp(sandbox_state(v), "SANDBOX_READY");
		if (have_name && regexec(&name_re, v->pod->name, 0, NULL, 0))
			continue;
		if (have_ns && regexec(&ns_re, v->pod->namespace_, 0, NULL, 0))
			continue;
		if (state && ready != !strcasecmp(state, "ready"))
			continue;
		if (id && strncmp(v->pod->sandbox_id, id, strlen(id)))
			continue;
		l = sandbox_labels(v);
		if (!labels_match(l, &labels)) {
			json_decref(l);
			continue;
		}
		if (quiet) {
			printf("%s\n", v->pod->sandbox_id);
		} else if (fmt != CRI_OUT_TABLE) {
			json_array_append_new(items, cri_sandbox_json(v));
		} else if (verbose) {
			char ts[OUTPUT_TIME_LEN];
			json_t *ann = sandbox_annotations(v);

			printf("ID: %s\n", no_trunc ? v->pod->sandbox_id
					      : truncate_id(v->pod->sandbox_id, OUTPUT_ID_SHORT, pid, sizeof(pid)));
			printf("Name: %s\nUID: %s\nNamespace: %s\n", v->pod->name, v->pod->uid,
			       v->pod->namespace_);
			printf("Status: %s\n", ready ? "Ready" : "NotReady");
			printf("Created: %s\n", format_go_time(v->pod->created_ns, ts));
			print_maps(l, ann);
		} else if (pods_row(t, v, no_trunc, &err) < 0) {
			cmd_error(&err);
			rc = 1;
		}
		json_decref(l);
	}
	rc |= print_list_end(fmt, quiet, verbose, "items", items, t, &err);
out:
	free(order);
	table_free(t);
	if (opened)
		views_close(&nv);
	if (have_name)
		regfree(&name_re);
	if (have_ns)
		regfree(&ns_re);
	json_decref(items);
	flag_strings_free(&labels);
	flag_args_free(&a);
	pn_err_free(&err);
	return rc;
}

/* ------------------------------------------------------------------ ps */

static const char *const ps_hdr[] = { "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME",
				      "ATTEMPT", "POD ID", "POD" };

/* One row of crictl ps' table (also the candidates of an ambiguous
 * inspect). */
static int ps_row(struct table *t, const struct cri_ctr *c, bool no_trunc, struct pn_err *err)
{
	char cid[STORE_ID_LEN + 1], pid[STORE_ID_LEN + 1], age[OUTPUT_AGE_LEN], attempt[16];

	snprintf(attempt, sizeof(attempt), "%d", c->attempt);
	if (!no_trunc) {
		truncate_id(c->id, OUTPUT_ID_SHORT, cid, sizeof(cid));
		truncate_id(c->v->pod->sandbox_id, OUTPUT_ID_SHORT, pid, sizeof(pid));
	} else {
		snprintf(cid, sizeof(cid), "%s", c->id);
		snprintf(pid, sizeof(pid), "%s", c->v->pod->sandbox_id);
	}
	const char *row[] = { cid, c->c->row.image, format_age_crictl(c->created, now_ns(), age),
			      cri_state_short[c->state], c->c->row.name, attempt, pid,
			      c->v->pod->name };

	return table_add_row(t, row, err);
}

int cmd_ps(int argc, char **argv)
{
	struct flag_strings labels = { 0 };
	const char *name = NULL, *pod = NULL, *state = NULL, *id = NULL, *image = NULL, *output = NULL;
	bool all = false, quiet = false, verbose = false, no_trunc = false;
	struct flag flags[] = {
		FLAG_DEF("all", 'a', FLAG_BOOL, &all),
		FLAG_DEF("quiet", 'q', FLAG_BOOL, &quiet),
		FLAG_DEF("name", 0, FLAG_STRING, &name),
		FLAG_DEF("pod", 'p', FLAG_STRING, &pod),
		FLAG_DEF("label", 0, FLAG_STRINGS, &labels),
		FLAG_DEF("state", 's', FLAG_STRING, &state),
		FLAG_DEF("id", 0, FLAG_STRING, &id),
		FLAG_DEF("image", 0, FLAG_STRING, &image),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_DEF("verbose", 'v', FLAG_BOOL, &verbose),
		FLAG_DEF("no-trunc", 0, FLAG_BOOL, &no_trunc),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct node_views nv;
	struct cri_ctr *cs = NULL;
	size_t nc = 0;
	struct table *t = NULL;
	struct pn_err err = { 0 };
	regex_t re;
	bool have_re = false, opened = false;
	int want_state = -1;
	enum cri_out fmt;
	json_t *list = json_array();
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("ps", &a, 0) < 0)
		goto out;
	if (cri_out_parse(output, &fmt) < 0 || check_labels(&labels) < 0)
		goto out;
	if (state) {
		for (int s = 0; s < 4; s++)
			if (!strcasecmp(state, cri_state_short[s]) || !strcasecmp(state, cri_state_names[s]))
				want_state = s;
		if (want_state < 0) {
			cmd_errorf("--state should be one of created, running, exited or unknown");
			goto out;
		}
	} else if (!all) {
		want_state = CRI_RUNNING;
	}
	if (regex_compile(&re, name, "--name", &have_re) < 0)
		goto out;
	if (views_open(&nv) < 0)
		goto out;
	opened = true;
	if (cri_list(&nv, &cs, &nc) < 0 || table_new(TABLE_CRICTL, 8, ps_hdr, &t, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < nc; i++) {
		const struct cri_ctr *c = &cs[i];
		char cid[STORE_ID_LEN + 1], age[OUTPUT_AGE_LEN];
		json_t *l;

		if (want_state >= 0 && (int)c->state != want_state)
			continue;
		if (have_re && regexec(&re, c->c->row.name, 0, NULL, 0))
			continue;
		if (pod && strncmp(c->v->pod->sandbox_id, pod, strlen(pod)))
			continue;
		if (id && strncmp(c->id, id, strlen(id)))
			continue;
		if (image && strcmp(c->c->row.image, image))
			continue;
		l = ctr_labels(c);
		if (!labels_match(l, &labels)) {
			json_decref(l);
			continue;
		}
		if (!no_trunc)
			truncate_id(c->id, OUTPUT_ID_SHORT, cid, sizeof(cid));
		else
			snprintf(cid, sizeof(cid), "%s", c->id);
		if (quiet) {
			printf("%s\n", c->id);
		} else if (fmt != CRI_OUT_TABLE) {
			json_array_append_new(list, cri_container_json(c));
		} else if (verbose) {
			json_t *ann = ctr_annotations(c);

			printf("ID: %s\nName: %s\nAttempt: %d\nState: %s\nImage: %s\nCreated: %s\n", cid,
			       c->c->row.name, c->attempt, cri_state_names[c->state], c->c->row.image,
			       format_age_crictl(c->created, now_ns(), age));
			print_maps(l, ann);
		} else if (ps_row(t, c, no_trunc, &err) < 0) {
			cmd_error(&err);
			rc = 1;
		}
		json_decref(l);
	}
	rc |= print_list_end(fmt, quiet, verbose, "containers", list, t, &err);
out:
	table_free(t);
	free(cs);
	if (opened)
		views_close(&nv);
	if (have_re)
		regfree(&re);
	json_decref(list);
	flag_strings_free(&labels);
	flag_args_free(&a);
	pn_err_free(&err);
	return rc;
}

/* ---------------------------------------------------- inspect, inspectp */

/*
 * An argument that matches several pods or containers: the error, then the
 * candidates on stderr as crictl pods/ps print them, so one can be named
 * by its ID (or, for pods of the same name, with -n NAMESPACE).
 */
static void ambiguous(const char *noun, bool by_name, const char *arg, size_t n, const char *ns,
		      bool hint_ns)
{
	cmd_errorf("%s %s \"%s\" is ambiguous: it matches %zu %ss%s%s; name one by its ID%s:", noun,
		   by_name ? "name" : "ID prefix", arg, n, noun, ns ? " in namespace " : "",
		   ns ? ns : "", hint_ns && !ns ? " or with -n NAMESPACE" : "");
}

static void not_found(const char *noun, const char *arg, const char *ns)
{
	if (ns)
		cmd_errorf("no such %s \"%s\" in namespace \"%s\"", noun, arg, ns);
	else
		cmd_errorf("no such %s \"%s\"", noun, arg);
}

/* The candidates: @n crictl ps rows (@ctrs) or crictl pods rows (@views),
 * on stderr.  A failure only loses the list (the error is printed). */
static void candidates_print(const struct cri_ctr *const *ctrs, const struct podrt_view *const *views,
			     size_t n)
{
	struct table *t = NULL;
	struct pn_err err = { 0 };
	int r = ctrs ? table_new(TABLE_CRICTL, 8, ps_hdr, &t, &err)
		     : table_new(TABLE_CRICTL, 7, pods_hdr, &t, &err);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = ctrs ? ps_row(t, ctrs[i], false, &err) : pods_row(t, views[i], false, &err);
	if (r == 0)
		r = table_print(t, stderr, true, &err);
	if (r < 0)
		cmd_error(&err);
	table_free(t);
	pn_err_free(&err);
}

/*
 * inspect and inspectp begin alike: the flags, -o (JSON when none), at
 * least one ID or name, the node's views (@nv open on success).  0, or -1
 * after printing the error.  @output is the -o flag's variable.
 */
static int inspect_start(struct flag *flags, int argc, char **argv, struct flag_args *a,
			 const char **output, enum cri_out *fmt, const char *usage,
			 struct node_views *nv)
{
	if (cmd_flags(flags, argc, argv, a) < 0 || cri_out_parse(*output, fmt) < 0)
		return -1;
	if (*fmt == CRI_OUT_TABLE)
		*fmt = CRI_OUT_JSON;
	if (a->n == 0) {
		cmd_errorf("ID cannot be empty; usage: %s", usage);
		return -1;
	}
	return views_open(nv);
}

int cmd_inspect(int argc, char **argv)
{
	const char *output = NULL, *ns = NULL;
	struct flag flags[] = {
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct node_views nv;
	struct cri_ctr *cs = NULL;
	const struct cri_ctr **hits = NULL;
	size_t nc = 0;
	bool opened = false;
	enum cri_out fmt;
	int rc = 1;

	if (inspect_start(flags, argc, argv, &a, &output, &fmt,
			  "podnet inspect CONTAINER-ID|NAME... [-n NAMESPACE]", &nv) < 0)
		goto out;
	opened = true;
	if (cri_list(&nv, &cs, &nc) < 0 || !(hits = calloc(nc ? nc : 1, sizeof(*hits))))
		goto out;
	rc = 0;
	for (size_t k = 0; k < a.n; k++) {
		const char *arg = a.v[k];
		size_t matches = 0;
		int by_name;

		/* A name is exact, so it wins over an ID prefix: "c3" is also a
		 * valid hex prefix, and would otherwise collide with IDs.  By
		 * name, the current attempt; -n narrows both to one namespace. */
		for (by_name = 1; by_name >= 0 && matches == 0; by_name--)
			for (size_t i = 0; i < nc; i++) {
				if (ns && strcmp(cs[i].v->pod->namespace_, ns))
					continue;
				if (by_name ? cs[i].current && !strcmp(cs[i].c->row.name, arg)
					    : !strncmp(cs[i].id, arg, strlen(arg)))
					hits[matches++] = &cs[i];
			}
		by_name++; /* the pass that matched */
		if (matches == 1) {
			rc |= print_doc(cri_inspect_json(hits[0]), fmt);
			continue;
		}
		rc = 1;
		if (matches == 0) {
			not_found("container", arg, ns);
			continue;
		}
		ambiguous("container", by_name, arg, matches, ns, false);
		candidates_print(hits, NULL, matches);
	}
out:
	free(hits);
	free(cs);
	if (opened)
		views_close(&nv);
	flag_args_free(&a);
	return rc;
}

int cmd_inspectp(int argc, char **argv)
{
	const char *output = NULL, *ns = NULL;
	struct flag flags[] = {
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_END,
	};
	struct flag_args a = { 0 };
	struct node_views nv;
	const struct podrt_view **hits = NULL;
	bool opened = false;
	enum cri_out fmt;
	int rc = 1;

	if (inspect_start(flags, argc, argv, &a, &output, &fmt,
			  "podnet inspectp POD-ID|POD-NAME... [-n NAMESPACE]", &nv) < 0)
		goto out;
	opened = true;
	if (!(hits = calloc(nv.n ? nv.n : 1, sizeof(*hits))))
		goto out;
	rc = 0;
	for (size_t k = 0; k < a.n; k++) {
		const char *arg = a.v[k];
		size_t matches = 0;
		int by_name;

		/* A name is exact and wins over an ID prefix; pod names repeat
		 * across namespaces, so -n (kubectl's; crictl has none) narrows
		 * both to one. */
		for (by_name = 1; by_name >= 0 && matches == 0; by_name--)
			for (size_t i = 0; i < nv.n; i++) {
				const struct store_pod *p = nv.v[i].pod;

				if (ns && strcmp(p->namespace_, ns))
					continue;
				if (by_name ? !strcmp(p->name, arg)
					    : !strncmp(p->sandbox_id, arg, strlen(arg)))
					hits[matches++] = &nv.v[i];
			}
		by_name++; /* the pass that matched */
		if (matches == 1) {
			rc |= print_doc(cri_inspectp_json(hits[0]), fmt);
			continue;
		}
		rc = 1;
		if (matches == 0) {
			not_found("pod", arg, ns);
			continue;
		}
		ambiguous("pod", by_name, arg, matches, ns, true);
		/* Newest first, as crictl pods lists them. */
		qsort(hits, matches, sizeof(*hits), view_newest_first);
		candidates_print(NULL, hits, matches);
	}
out:
	free(hits);
	if (opened)
		views_close(&nv);
	flag_args_free(&a);
	return rc;
}

/* ---------------------------------------------------------- node commands */

int cmd_gc(int argc, char **argv)
{
	struct flag flags[] = { FLAG_END };
	struct flag_args a = { 0 };
	struct podrt rt;
	struct pn_err err = { 0 };
	struct podrt_gc_report rep;
	int rc = 0;

	if (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("gc", &a, 0) < 0) {
		flag_args_free(&a);
		return 1;
	}
	flag_args_free(&a);
	if (cmd_runtime_open(&rt, NULL) < 0)
		return 1;
	if (podrt_gc(&rt, &rep, &err) < 0) {
		cmd_error(&err);
		rc = 1;
	}
	printf("removed %zu leftover object(s)\n", rep.removed);
	if (rep.recreated)
		printf("re-created %zu pod sandbox(es)\n", rep.recreated);
	if (rep.started)
		printf("started %zu pending pod(s) whose apply was cut short\n", rep.started);
	podrt_close(&rt);
	pn_err_free(&err);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	struct flag flags[] = { FLAG_END };
	struct flag_args a = { 0 };
	struct podrt rt;
	struct pn_err err = { 0 };
	bool written = false;
	char *path = NULL;
	int rc = 0;

	if (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("init", &a, 0) < 0) {
		flag_args_free(&a);
		return 1;
	}
	flag_args_free(&a);
	if (cmd_runtime_open(&rt, NULL) < 0)
		return 1;
	if (podrt_init_cni(&rt, &written, &path, &err) < 0) {
		cmd_error(&err);
		rc = 1;
	} else {
		printf("%s %s\n", written ? "wrote" : "using", path ? path : "");
	}
	free(path);
	podrt_close(&rt);
	pn_err_free(&err);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	struct flag flags[] = { FLAG_END };
	struct flag_args a = { 0 };
	struct podnet_env env;
	struct pn_err err = { 0 };
	char *path = NULL, *name = NULL, *why = NULL;
	int ret;

	if (cmd_flags(flags, argc, argv, &a) < 0 || cmd_no_args("info", &a, 0) < 0) {
		flag_args_free(&a);
		return 1;
	}
	flag_args_free(&a);
	podnet_env_load(&env);
	if (getenv("PODNET_RUNTIME"))
		ret = oci_runtime_resolve(getenv("PODNET_RUNTIME"), &path, &name, &err);
	else
		ret = oci_runtime_detect(&path, &name, &why, &err);
	printf("root:          %s\n", env.root);
	printf("cni conf dir:  %s\n", env.cni_conf_dir);
	printf("cni path:      %s\n", env.cni_path);
	printf("cni cache:     %s\n", env.cni_cache);
	printf("netns dir:     %s\n", env.netns_dir);
	if (ret < 0)
		printf("runtime:       none (%s)\n", pn_err_msg(&err));
	else
		printf("runtime:       %s (%s)%s%s\n", name, path, why ? "\n               " : "",
		       why ? why : "");
	free(path);
	free(name);
	free(why);
	pn_err_free(&err);
	return ret < 0;
}
