/* SPDX-License-Identifier: Apache-2.0 */
/* The pod plan (<pod-dir>/plan.json) the CLI writes; see README.md. */
#include "shim.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void shim_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int get_str(json_t *o, const char *key, bool required, char **out, struct pn_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\" is missing", key);
		return 0;
	}
	if (!json_is_string(v) || (required && !json_string_length(v)))
		return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\" must be a %sstring", key,
				required ? "non-empty " : "");
	*out = strdup(json_string_value(v));
	return *out ? 0 : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
}

static int get_bool(json_t *o, const char *key, bool *out, struct pn_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\" must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

static int get_strv(json_t *o, const char *key, bool required, char ***out, struct pn_err *err)
{
	json_t *v = json_object_get(o, key), *e;
	char **r;
	size_t i;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\" is missing", key);
		return 0;
	}
	if (!json_is_array(v) || (required && !json_array_size(v)))
		return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\" must be a %sarray of strings",
				key, required ? "non-empty " : "");
	r = calloc(json_array_size(v) + 1, sizeof(*r));
	if (!r)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			shim_strv_free(r);
			return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\"[%zu] is not a string",
					key, i);
		}
		r[i] = strdup(json_string_value(e));
		if (!r[i]) {
			shim_strv_free(r);
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		}
	}
	*out = r;
	return 0;
}

static int parse_restart(json_t *o, enum shim_restart dflt, enum shim_restart *out,
			 struct pn_err *err)
{
	const char *s = json_string_value(json_object_get(o, "restartPolicy"));

	*out = dflt;
	if (!json_object_get(o, "restartPolicy"))
		return 0;
	if (s && !strcmp(s, "Always"))
		*out = SHIM_RESTART_ALWAYS;
	else if (s && !strcmp(s, "OnFailure"))
		*out = SHIM_RESTART_ON_FAILURE;
	else if (s && !strcmp(s, "Never"))
		*out = SHIM_RESTART_NEVER;
	else
		return pn_error(err, PN_E_STATE, EINVAL,
				"plan: restartPolicy \"%s\" is not Always, OnFailure or Never",
				s ? s : "(not a string)");
	return 0;
}

static int get_int(json_t *o, const char *key, int dflt, int min, int *out, struct pn_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > 1000000)
		return pn_error(err, PN_E_STATE, EINVAL, "plan: \"%s\" must be an integer >= %d", key,
				min);
	*out = (int)json_integer_value(v);
	return 0;
}

/* One probe of "probes": {"liveness": {...}, "readiness": ..., "startup": ...}. */
static int parse_probe(json_t *o, struct probe *p, struct pn_err *err)
{
	json_t *h, *v;
	int ret;

	p->fd = -1;
	p->grace = -1;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return pn_error(err, PN_E_STATE, EINVAL, "plan: a probe must be an object");
	p->present = true;
	if ((h = json_object_get(o, "exec"))) {
		p->handler = PH_EXEC;
		ret = get_strv(o, "exec", true, &p->argv, err);
	} else if ((h = json_object_get(o, "httpGet")) || (h = json_object_get(o, "tcpSocket")) ||
		   (h = json_object_get(o, "grpc"))) {
		p->handler = json_object_get(o, "httpGet") ? PH_HTTP
			     : json_object_get(o, "tcpSocket") ? PH_TCP : PH_GRPC;
		if ((ret = get_str(h, "host", false, &p->host, err)) < 0 ||
		    (ret = get_str(h, "path", false, &p->path, err)) < 0 ||
		    (ret = get_str(h, "scheme", false, &p->scheme, err)) < 0 ||
		    (ret = get_strv(h, "headers", false, &p->headers, err)) < 0 ||
		    (ret = get_int(h, "port", 0, 0, &p->port, err)) < 0)
			return ret;
		/* 0: a named port the container does not have (the probe fails) */
		if (p->port > 65535)
			return pn_error(err, PN_E_STATE, EINVAL, "plan: a probe's port must be 0-65535");
	} else {
		return pn_error(err, PN_E_STATE, EINVAL, "plan: a probe has no handler");
	}
	if (ret < 0)
		return ret;
	if ((ret = get_int(o, "initialDelaySeconds", 0, 0, &p->initial_delay, err)) < 0 ||
	    (ret = get_int(o, "timeoutSeconds", 1, 1, &p->timeout, err)) < 0 ||
	    (ret = get_int(o, "periodSeconds", 10, 1, &p->period, err)) < 0 ||
	    (ret = get_int(o, "successThreshold", 1, 1, &p->success_threshold, err)) < 0 ||
	    (ret = get_int(o, "failureThreshold", 3, 1, &p->failure_threshold, err)) < 0)
		return ret;
	v = json_object_get(o, "terminationGracePeriodSeconds");
	if (json_is_integer(v))
		p->grace = json_integer_value(v);
	return 0;
}

static void probe_free(struct probe *p)
{
	shim_strv_free(p->argv);
	free(p->host);
	free(p->path);
	free(p->scheme);
	shim_strv_free(p->headers);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

/* A container id becomes a runtime id and a directory name. */
static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "0123456789abcdefABCDEF-_.") == n && s[0] != '.';
}

/* The plan's plain members, read in this order (the first bad one is reported). */
enum pkind { P_STR, P_STRV, P_BOOL };

struct pfield {
	const char *key;
	enum pkind kind;
	bool required;
	size_t off;
};

#define AT(s, f) offsetof(struct s, f)
static const struct pfield pod_fields[] = {
	{ "podUID", P_STR, true, AT(shim_plan, pod_uid) },
	{ "podName", P_STR, false, AT(shim_plan, pod_name) },
	{ "namespace", P_STR, false, AT(shim_plan, pod_namespace) },
	{ "sandboxID", P_STR, true, AT(shim_plan, sandbox_id) },
	{ "hostname", P_STR, false, AT(shim_plan, hostname) },
	{ "netns", P_STR, false, AT(shim_plan, netns) },
	{ "podIP", P_STR, false, AT(shim_plan, pod_ip) },
	{ "hostNetwork", P_BOOL, false, AT(shim_plan, host_network) },
	{ "hostIPC", P_BOOL, false, AT(shim_plan, host_ipc) },
	{ "hostPID", P_BOOL, false, AT(shim_plan, host_pid) },
	{ "shareProcessNamespace", P_BOOL, false, AT(shim_plan, share_pid) },
};

static const struct pfield ctr_fields[] = {
	{ "id", P_STR, true, AT(shim_ctr, id) },
	{ "name", P_STR, true, AT(shim_ctr, name) },
	{ "rootfs", P_STR, true, AT(shim_ctr, rootfs) },
	{ "bundle", P_STR, false, AT(shim_ctr, bundle) },
	{ "logDir", P_STR, false, AT(shim_ctr, log_dir) },
	{ "workingDir", P_STR, false, AT(shim_ctr, cwd) },
	{ "image", P_STR, false, AT(shim_ctr, image) },
	{ "args", P_STRV, true, AT(shim_ctr, args) },
	{ "env", P_STRV, false, AT(shim_ctr, env) },
	{ "unmountRootfs", P_BOOL, false, AT(shim_ctr, unmount_rootfs) },
	{ "supersededRootfs", P_STRV, false, AT(shim_ctr, superseded) },
};
#undef AT

static int get_fields(json_t *o, const struct pfield *f, size_t n, void *obj, struct pn_err *err)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret >= 0; i++) {
		void *p = (char *)obj + f[i].off;

		switch (f[i].kind) {
		case P_STR:
			ret = get_str(o, f[i].key, f[i].required, p, err);
			break;
		case P_STRV:
			ret = get_strv(o, f[i].key, f[i].required, p, err);
			break;
		case P_BOOL:
			ret = get_bool(o, f[i].key, p, err);
			break;
		}
	}
	return ret;
}

static void free_fields(const struct pfield *f, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++) {
		void *p = (char *)obj + f[i].off;

		if (f[i].kind == P_STR)
			free(*(char **)p);
		else if (f[i].kind == P_STRV)
			shim_strv_free(*(char ***)p);
	}
}

static void copy_str(json_t *o, const char *key, char *buf, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(buf, size, "%s", v ? v : "");
}

/*
 * What an earlier sandbox of the pod leaves to this one (podnet re-creates
 * a dead sandbox as kubelet does): "restartCount" of the next attempt,
 * "lastState" (the attempt that ended), and "exited" for a container that
 * ended for good and is not started again.
 */
static int get_carry(json_t *o, struct shim_ctr *k, struct pn_err *err)
{
	json_t *rc = json_object_get(o, "restartCount"), *last = json_object_get(o, "lastState");
	json_t *x = json_object_get(o, "exited");

	if (rc && (!json_is_integer(rc) || json_integer_value(rc) < 0 ||
		   json_integer_value(rc) > INT32_MAX))
		return pn_error(err, PN_E_STATE, EINVAL, "plan: \"restartCount\" must be an integer >= 0");
	if ((last && !json_is_object(last)) || (x && !json_is_object(x)))
		return pn_error(err, PN_E_STATE, EINVAL,
				"plan: \"lastState\" and \"exited\" must be objects");
	k->restart_count = rc ? (int)json_integer_value(rc) : 0;
	if (last) {
		k->has_last = true;
		k->last_exit_code = (int)json_integer_value(json_object_get(last, "exitCode"));
		copy_str(last, "reason", k->last_reason, sizeof(k->last_reason));
		copy_str(last, "startedAt", k->last_started_at, sizeof(k->last_started_at));
		copy_str(last, "finishedAt", k->last_finished_at, sizeof(k->last_finished_at));
		copy_str(last, "containerID", k->last_cid, sizeof(k->last_cid));
	}
	if (x) {
		k->done = true;
		k->exit_code = (int)json_integer_value(json_object_get(x, "exitCode"));
		copy_str(x, "reason", k->reason, sizeof(k->reason));
		copy_str(x, "message", k->message, sizeof(k->message));
		copy_str(x, "startedAt", k->started_at, sizeof(k->started_at));
		copy_str(x, "finishedAt", k->finished_at, sizeof(k->finished_at));
		copy_str(x, "containerID", k->cid, sizeof(k->cid));
	}
	return 0;
}

int shim_plan_load(const char *path, struct shim_plan *p, struct pn_err *err)
{
	enum shim_restart pod_restart;
	json_t *root = NULL, *v, *cs, *c;
	json_error_t je;
	size_t i;
	int ret;

	memset(p, 0, sizeof(*p));
	root = json_load_file(path, 0, &je);
	if (!json_is_object(root)) {
		ret = pn_error(err, PN_E_STATE, root ? EINVAL : ENOENT, "plan %s: %s (line %d)",
			       path, root ? "not a JSON object" : je.text, je.line);
		goto out;
	}
	if ((ret = get_fields(root, pod_fields, PN_ARRAY_SIZE(pod_fields), p, err)) < 0 ||
	    (ret = parse_restart(root, SHIM_RESTART_ALWAYS, &pod_restart, err)) < 0)
		goto out;
	if (!id_ok(p->sandbox_id)) {
		ret = pn_error(err, PN_E_STATE, EINVAL, "plan: sandboxID \"%s\" is not an id",
			       p->sandbox_id);
		goto out;
	}
	if (!p->host_network && !p->netns) {
		ret = pn_error(err, PN_E_STATE, EINVAL,
			       "plan: \"netns\" is required unless hostNetwork is true");
		goto out;
	}
	if (p->host_pid && p->share_pid) {
		ret = pn_error(err, PN_E_STATE, EINVAL,
			       "plan: hostPID and shareProcessNamespace exclude each other");
		goto out;
	}
	v = json_object_get(root, "terminationGracePeriodSeconds");
	p->grace_s = v ? json_integer_value(v) : 30;
	if (v && (!json_is_integer(v) || p->grace_s < 0)) {
		ret = pn_error(err, PN_E_STATE, EINVAL,
			       "plan: terminationGracePeriodSeconds must be an integer >= 0");
		goto out;
	}
	v = json_object_get(root, "revision");
	p->revision = v ? json_integer_value(v) : 0;
	if (v && (!json_is_integer(v) || p->revision < 0)) {
		ret = pn_error(err, PN_E_STATE, EINVAL, "plan: revision must be an integer >= 0");
		goto out;
	}
	if ((ret = get_strv(root, "syncCommand", false, &p->sync_argv, err)) < 0)
		goto out;
	v = json_object_get(root, "pause");
	if ((ret = get_str(v, "binary", true, &p->pause_binary, err)) < 0) {
		pn_err_prefix(err, "pause");
		goto out;
	}
	cs = json_object_get(root, "containers");
	if (!json_is_array(cs) || !json_array_size(cs)) {
		ret = pn_error(err, PN_E_STATE, EINVAL, "plan: \"containers\" must be a non-empty array");
		goto out;
	}
	p->ctrs = calloc(json_array_size(cs), sizeof(*p->ctrs));
	if (!p->ctrs) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(cs, i, c) {
		struct shim_ctr *k = &p->ctrs[i];

		p->n_ctrs = i + 1;
		k->out.fd = k->err.fd = k->log.fd = -1;
		if ((ret = get_fields(c, ctr_fields, PN_ARRAY_SIZE(ctr_fields), k, err)) < 0 ||
		    (ret = parse_restart(c, pod_restart, &k->restart, err)) < 0 ||
		    (ret = get_carry(c, k, err)) < 0) {
			pn_err_prefix(err, "containers[%zu]", i);
			goto out;
		}
		{
			static const char *const kinds[PROBE_KINDS] = { "liveness", "readiness", "startup" };
			json_t *probes = json_object_get(c, "probes");

			for (int pk = 0; pk < PROBE_KINDS; pk++) {
				ret = parse_probe(json_object_get(probes, kinds[pk]), &k->probes[pk], err);
				if (ret < 0) {
					pn_err_prefix(err, "containers[%zu].probes.%s", i, kinds[pk]);
					goto out;
				}
			}
		}
		if (!id_ok(k->id) || !strcmp(k->id, p->sandbox_id)) {
			ret = pn_error(err, PN_E_STATE, EINVAL,
				       "plan: containers[%zu].id \"%s\" is not a unique id", i, k->id);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->ctrs[j].id, k->id) || !strcmp(p->ctrs[j].name, k->name)) {
				ret = pn_error(err, PN_E_STATE, EINVAL,
					       "plan: containers[%zu] repeats id or name \"%s\"", i,
					       k->name);
				goto out;
			}
	}
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		shim_plan_free(p);
	return ret;
}

void shim_plan_free(struct shim_plan *p)
{
	free_fields(pod_fields, PN_ARRAY_SIZE(pod_fields), p);
	free(p->pause_binary);
	shim_strv_free(p->sync_argv);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		struct shim_ctr *c = &p->ctrs[i];

		free_fields(ctr_fields, PN_ARRAY_SIZE(ctr_fields), c);
		free(c->next_image);
		free(c->next_rootfs);
		free(c->next_cwd);
		shim_strv_free(c->next_args);
		shim_strv_free(c->next_env);
		for (int k = 0; k < PROBE_KINDS; k++)
			probe_free(&c->probes[k]);
	}
	free(p->ctrs);
	memset(p, 0, sizeof(*p));
}
