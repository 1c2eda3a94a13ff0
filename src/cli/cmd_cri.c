/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crictl's views of the node (pods, ps, inspect, inspectp) and the node
 * commands (init, info, gc).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "oci.h"
#include "output.h"
#include "podrt.h"


static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *cri_state(const char *s)
{
	if (!strcmp(s, "running"))
		return "Running";
	if (!strcmp(s, "exited") || !strcmp(s, "waiting"))
		return "Exited";
	if (!strcmp(s, "created"))
		return "Created";
	return "Unknown";
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
	if (!nv->v) {
		pn_err_free(&err);
		podrt_close(&nv->rt);
		return -1;
	}
	pn_err_free(&err);
	return 0;
}

static void views_close(struct node_views *nv)
{
	for (size_t i = 0; i < nv->n; i++)
		podrt_view_free(&nv->v[i]);
	free(nv->v);
	podrt_close(&nv->rt);
}

int cmd_pods(int argc, char **argv)
{
	struct node_views nv;
	struct table *t = NULL;
	struct pn_err err = { 0 };
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");
	static const char *const hdr[] = { "POD ID", "CREATED", "STATE", "NAME",
					   "NAMESPACE", "ATTEMPT", "RUNTIME" };
	int rc = 1;

	if (views_open(&nv) < 0)
		return 1;
	if (quiet) {
		for (size_t i = 0; i < nv.n; i++)
			printf("%s\n", nv.v[i].pod->sandbox_id);
		rc = 0;
		goto out;
	}
	if (table_new(TABLE_CRICTL, 7, hdr, &t, &err) < 0)
		goto out;
	for (size_t i = 0; i < nv.n; i++) {
		char id[14], age[OUTPUT_AGE_LEN];
		const char *row[] = { truncate_id(nv.v[i].pod->sandbox_id, 13, id, sizeof(id)),
				      format_age_crictl(nv.v[i].pod->created_ns, now_ns(), age),
				      nv.v[i].shim_alive && nv.v[i].pause_pid ? "Ready" : "NotReady",
				      nv.v[i].pod->name, nv.v[i].pod->namespace_, "0", "(default)" };

		if (table_add_row(t, row, &err) < 0)
			goto out;
	}
	rc = table_print(t, stdout, true, &err) < 0;
out:
	table_free(t);
	views_close(&nv);
	pn_err_free(&err);
	return rc;
}

static json_t *ctr_json(const struct podrt_view *v, const struct podrt_ctr *c)
{
	char state[32];

	snprintf(state, sizeof(state), "CONTAINER_%s",
		 !strcmp(c->state, "running") ? "RUNNING"
		 : !strcmp(c->state, "created") ? "CREATED"
		 : !strcmp(c->state, "unknown") ? "UNKNOWN" : "EXITED");
	return json_pack("{s:{s:s, s:{s:s, s:i}, s:s, s:I, s:s, s:s, s:i, s:{s:s}, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}, "
			 "s:{s:s, s:i, s:s, s:s}}",
			 "status", "id", c->row.id, "metadata", "name", c->row.name, "attempt",
			 c->restart_count, "state", state, "createdAt", (json_int_t)c->row.created_ns,
			 "startedAt", c->started_at, "finishedAt", c->finished_at, "exitCode",
			 c->exit_code < 0 ? 0 : c->exit_code, "image", "image", c->row.image,
			 "imageRef", c->row.image, "reason", c->reason, "message", c->message,
			 "logPath", c->log_path, "labels", "io.kubernetes.container.name",
			 c->row.name, "io.kubernetes.pod.name", v->pod->name,
			 "io.kubernetes.pod.namespace", v->pod->namespace_, "io.kubernetes.pod.uid",
			 v->pod->uid, "info", "sandboxID", v->pod->sandbox_id, "pid", c->pid,
			 "runtimeType", "io.podnet.runtime.v1", "runtime", v->runtime);
}

int cmd_ps(int argc, char **argv)
{
	struct node_views nv;
	struct table *t = NULL;
	struct pn_err err = { 0 };
	bool all = false, quiet = false, json = false;
	const char *name_re = NULL, *pod_filter = NULL;
	regex_t re;
	bool have_re = false;
	static const char *const hdr[] = { "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME",
					   "ATTEMPT", "POD ID", "POD" };
	json_t *list = json_array();
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name_re = argv[++i];
		else if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pod")) && i + 1 < argc)
			pod_filter = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc && !strcmp(argv[i + 1], "json")) {
			json = true;
			i++;
		} else {
			cmd_errorf("unknown flag: %s", argv[i]);
			json_decref(list);
			return 1;
		}
	}
	if (name_re) {
		if (regcomp(&re, name_re, REG_EXTENDED | REG_NOSUB)) {
			cmd_errorf("invalid --name regular expression \"%s\"", name_re);
			json_decref(list);
			return 1;
		}
		have_re = true;
	}
	if (views_open(&nv) < 0)
		goto out_re;
	if (table_new(TABLE_CRICTL, 8, hdr, &t, &err) < 0)
		goto out;
	for (size_t i = 0; i < nv.n; i++) {
		if (pod_filter && strncmp(nv.v[i].pod->sandbox_id, pod_filter, strlen(pod_filter)))
			continue;
		for (size_t k = 0; k < nv.v[i].n_ctrs; k++) {
			const struct podrt_ctr *c = &nv.v[i].ctrs[k];
			char cid[14], pid[14], age[OUTPUT_AGE_LEN], attempt[16];

			if (!all && strcmp(c->state, "running"))
				continue;
			if (have_re && regexec(&re, c->row.name, 0, NULL, 0))
				continue;
			if (quiet) {
				printf("%s\n", c->row.id);
				continue;
			}
			if (json) {
				json_t *cj = ctr_json(&nv.v[i], c);

				if (cj)
					json_array_append(list, json_object_get(cj, "status"));
				json_decref(cj);
				continue;
			}
			snprintf(attempt, sizeof(attempt), "%d", c->restart_count);
			const char *row[] = { truncate_id(c->row.id, 13, cid, sizeof(cid)), c->row.image,
					      format_age_crictl(c->row.created_ns, now_ns(), age),
					      cri_state(c->state), c->row.name, attempt,
					      truncate_id(nv.v[i].pod->sandbox_id, 13, pid, sizeof(pid)),
					      nv.v[i].pod->name };

			if (table_add_row(t, row, &err) < 0)
				goto out;
		}
	}
	rc = 0;
	if (json) {
		json_t *doc = json_pack("{s:O}", "containers", list);

		rc = output_json(stdout, doc, &err) < 0;
		json_decref(doc);
	} else if (!quiet) {
		rc = table_print(t, stdout, true, &err) < 0;
	}
out:
	table_free(t);
	views_close(&nv);
out_re:
	if (have_re)
		regfree(&re);
	json_decref(list);
	pn_err_free(&err);
	return rc;
}

/* The matches of @arg among a pod's containers, by exact name or ID prefix; the last in *hit. */
static int ctr_match(const struct podrt_view *v, const char *arg, bool by_name,
		     const struct podrt_ctr **hit)
{
	int matches = 0;

	for (size_t k = 0; k < v->n_ctrs; k++)
		if (by_name ? !strcmp(v->ctrs[k].row.name, arg)
			    : !strncmp(v->ctrs[k].row.id, arg, strlen(arg))) {
			*hit = &v->ctrs[k];
			matches++;
		}
	return matches;
}

/* Whether the pod itself matches @arg, by exact name or sandbox ID prefix. */
static int pod_match(const struct podrt_view *v, const char *arg, bool by_name,
		     const struct podrt_ctr **hit)
{
	(void)hit;
	return by_name ? !strcmp(v->pod->name, arg)
		       : !strncmp(v->pod->sandbox_id, arg, strlen(arg));
}

/* crictl inspectp's document for a pod sandbox. */
static json_t *sandbox_json(const struct podrt_view *hv, const struct podrt_ctr *unused)
{
	char created[32];
	json_t *nss = json_array();

	(void)unused;
	snprintf(created, sizeof(created), "%lld", (long long)hv->pod->created_ns);
	json_array_append_new(nss, hv->pod->netns_path
					   ? json_pack("{s:s, s:s}", "type", "network", "path",
						       hv->pod->netns_path)
					   : json_pack("{s:s}", "type", "network"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "ipc"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "uts"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "pid"));
	json_array_append_new(nss, json_pack("{s:s}", "type", "mount"));
	return json_pack(
		"{s:{s:s, s:{s:s, s:s, s:s, s:i}, s:s, s:s, s:{s:[], s:s?}, s:{s:{s:{s:s, s:s, s:s}}}}, "
		"s:{s:i, s:{s:{s:o}}, s:s}}",
		"status", "id", hv->pod->sandbox_id, "metadata", "name", hv->pod->name, "uid",
		hv->pod->uid, "namespace", hv->pod->namespace_, "attempt", 0, "state",
		hv->shim_alive && hv->pause_pid ? "SANDBOX_READY" : "SANDBOX_NOTREADY",
		"createdAt", created, "network", "additionalIps", "ip", hv->pod->pod_ip,
		"linux", "namespaces", "options", "ipc", "POD", "network",
		hv->pod->netns_path ? "POD" : "NODE", "pid", "CONTAINER", "info", "pid",
		hv->pause_pid, "runtimeSpec", "linux", "namespaces", nss, "netnsPath",
		hv->pod->netns_path ? hv->pod->netns_path : "");
}

/* What inspect and inspectp look up, and how they print what they find. */
struct inspect_kind {
	const char *noun;
	const char *usage;
	int (*match)(const struct podrt_view *v, const char *arg, bool by_name,
		     const struct podrt_ctr **hit);
	json_t *(*json)(const struct podrt_view *v, const struct podrt_ctr *hit);
};

static int inspect_each(int argc, char **argv, const struct inspect_kind *k)
{
	struct node_views nv;
	struct pn_err err = { 0 };
	int rc = 0;

	if (argc < 2) {
		cmd_errorf("ID cannot be empty; usage: %s", k->usage);
		return 1;
	}
	if (views_open(&nv) < 0)
		return 1;
	for (int a = 1; a < argc; a++) {
		const struct podrt_ctr *hit = NULL;
		const struct podrt_view *hv = NULL;
		int matches = 0;
		json_t *j;

		/* A name is exact, so it wins over an ID prefix: "c3" is also a
		 * valid hex prefix, and would otherwise collide with IDs. */
		for (int by_name = 1; by_name >= 0 && matches == 0; by_name--)
			for (size_t i = 0; i < nv.n; i++) {
				int m = k->match(&nv.v[i], argv[a], by_name, &hit);

				if (m) {
					hv = &nv.v[i];
					matches += m;
				}
			}
		if (matches != 1) {
			cmd_errorf(matches ? "%s ID prefix \"%s\" is ambiguous" : "no such %s \"%s\"",
				   k->noun, argv[a]);
			rc = 1;
			continue;
		}
		j = k->json(hv, hit);
		if (!j || output_json(stdout, j, &err) < 0)
			rc = 1;
		json_decref(j);
	}
	views_close(&nv);
	pn_err_free(&err);
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct inspect_kind containers = {
		"container", "podnet inspect CONTAINER-ID...", ctr_match, ctr_json,
	};

	return inspect_each(argc, argv, &containers);
}

int cmd_inspectp(int argc, char **argv)
{
	static const struct inspect_kind pods = {
		"pod", "podnet inspectp POD-ID|POD-NAME...", pod_match, sandbox_json,
	};

	return inspect_each(argc, argv, &pods);
}

int cmd_gc(int argc, char **argv)
{
	struct podrt rt;
	struct pn_err err = { 0 };
	size_t removed = 0;
	int rc = 0;

	(void)argc;
	(void)argv;
	if (cmd_runtime_open(&rt, NULL) < 0)
		return 1;
	if (podrt_gc(&rt, &removed, &err) < 0) {
		cmd_error(&err);
		rc = 1;
	}
	printf("removed %zu leftover object(s)\n", removed);
	podrt_close(&rt);
	pn_err_free(&err);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	struct podrt rt;
	struct pn_err err = { 0 };
	bool written = false;
	char *path = NULL;
	int rc = 0;

	(void)argc;
	(void)argv;
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
	struct podnet_env env;
	struct pn_err err = { 0 };
	char *path = NULL, *name = NULL, *why = NULL;
	int ret;

	(void)argc;
	(void)argv;
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
