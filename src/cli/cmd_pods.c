/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod commands that work on one pod's containers: kubectl exec and
 * kubectl logs (also crictl logs CONTAINER-ID), over the pod runtime.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "oci.h"
#include "podlog.h"
#include "podrt.h"

/* kubectl's annotation naming the container exec, logs and attach use
 * when none is given (podcmd.DefaultContainerAnnotationName). */
#define DEFAULT_CONTAINER_ANNOTATION "kubectl.kubernetes.io/default-container"

static const char *annotation(const struct podrt_view *v, const char *key)
{
	json_t *a = json_object_get(json_object_get(v->spec, "metadata"), "annotations");

	return json_string_value(json_object_get(a, key));
}

/*
 * kubectl's podcmd.FindOrDefaultContainerByName: the named container, else
 * the one the default-container annotation names, else the first (saying
 * so on stderr unless @quiet when there are several).
 */
static struct podrt_ctr *pick_container(struct podrt_view *v, const char *cname, bool quiet)
{
	const char *def;

	if (cname) {
		for (size_t i = 0; i < v->n_ctrs; i++)
			if (!strcmp(v->ctrs[i].row.name, cname))
				return &v->ctrs[i];
		fprintf(stderr, "error: container %s is not valid for pod %s\n", cname, v->pod->name);
		return NULL;
	}
	def = annotation(v, DEFAULT_CONTAINER_ANNOTATION);
	if (def && *def) {
		for (size_t i = 0; i < v->n_ctrs; i++)
			if (!strcmp(v->ctrs[i].row.name, def))
				return &v->ctrs[i];
		fprintf(stderr, "Default container name \"%s\" not found in pod %s\n", def, v->pod->name);
	}
	for (size_t i = 0; i < v->n_ctrs; i++) {
		if (v->ctrs[i].row.idx != 0)
			continue;
		if (v->n_ctrs > 1 && !quiet) {
			fprintf(stderr, "Defaulted container \"%s\" out of: ", v->ctrs[i].row.name);
			for (size_t k = 0; k < v->n_ctrs; k++)
				fprintf(stderr, "%s%s", k ? ", " : "", v->ctrs[k].row.name);
			fputc('\n', stderr);
		}
		return &v->ctrs[i];
	}
	fprintf(stderr, "error: pod %s has no containers\n", v->pod->name);
	return NULL;
}

/* POD or pod/POD as exec and logs take it; NULL after printing why not. */
static const char *pod_arg(const char *cmd, const char *arg)
{
	const char *slash = strchr(arg, '/');
	const struct cmd_rtype *t;

	if (!slash)
		return arg;
	t = cmd_rtype_find(arg, (size_t)(slash - arg));
	if (!t) {
		fprintf(stderr, "error: the server doesn't have a resource type \"%.*s\"\n",
			(int)(slash - arg), arg);
		return NULL;
	}
	if (t->rt != CMD_RT_POD || !slash[1]) {
		cmd_errorf("cannot %s %s: only pods are supported (pod/NAME)", cmd, arg);
		return NULL;
	}
	return slash + 1;
}

/* A pod's view with the runtime open (exec, logs). */
struct pod_target {
	struct podrt rt;
	struct podrt_view v;
	bool open;
};

/* Messages printed, but for a missing pod when @quiet_missing (-ENOENT). */
static int pod_target_open(struct pod_target *t, const char *ns, const char *pod, bool quiet_missing)
{
	struct store_pod *sp = NULL;
	struct pn_err err = { 0 };
	int ret;

	memset(t, 0, sizeof(*t));
	if (cmd_runtime_open(&t->rt, NULL) < 0)
		return -1;
	ret = store_pod_get_by_name(t->rt.st, ns, pod, &sp, &err);
	if (ret == 0)
		ret = podrt_view_get(&t->rt, sp, &t->v, &err);
	store_pod_free(sp);
	if (ret < 0) {
		bool missing = err.code == PN_E_NOT_FOUND;

		if (missing) {
			if (!quiet_missing)
				fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", pod);
		} else {
			cmd_error(&err);
		}
		pn_err_free(&err);
		podrt_close(&t->rt);
		return missing ? -ENOENT : -1;
	}
	t->open = true;
	return 0;
}

static void pod_target_close(struct pod_target *t)
{
	if (!t->open)
		return;
	podrt_view_free(&t->v);
	podrt_close(&t->rt);
	t->open = false;
}

int cmd_exec(int argc, char **argv)
{
	const char *ns = "default", *cname = NULL, *pod;
	bool tty = false, in = false, quiet = false;
	struct flag flags[] = {
		FLAG_DEF("container", 'c', FLAG_STRING, &cname),
		FLAG_DEF("stdin", 'i', FLAG_BOOL, &in),
		FLAG_DEF("tty", 't', FLAG_BOOL, &tty),
		FLAG_DEF("quiet", 'q', FLAG_BOOL, &quiet),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_END,
	};
	struct flag_args a;
	struct pod_target t = { 0 };
	struct podrt_ctr *c;
	char term[256];
	const char *env[2] = { NULL, NULL };
	int rc = 1, code = 0;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		return 1;
	if (a.n == 0 || a.dash == 0) {
		cmd_errorf("pod, type/name or --filename must be specified");
		goto out;
	}
	if (a.dash < 0 && a.n > 1) {
		cmd_usage_errorf("exec", "exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead");
		goto out;
	}
	if (a.dash > 1) {
		struct flag_args extra = { .v = a.v, .n = (size_t)a.dash };

		cmd_no_args("exec", &extra, 1);
		goto out;
	}
	if (a.dash < 0 || (size_t)a.dash == a.n) {
		cmd_errorf("you must specify at least one command for the container");
		goto out;
	}
	pod = pod_arg("exec", a.v[0]);
	if (!pod || pod_target_open(&t, ns, pod, false) < 0)
		goto out;
	if (!strcmp(t.v.phase, "Succeeded") || !strcmp(t.v.phase, "Failed")) {
		cmd_errorf("cannot exec into a container in a completed pod; current phase is %s",
			   t.v.phase);
		goto out;
	}
	c = pick_container(&t.v, cname, quiet);
	if (!c)
		goto out;
	if (strcmp(c->state, "running")) {
		fprintf(stderr, "error: unable to upgrade connection: container not found (\"%s\")\n",
			c->row.name);
		goto out;
	}
	/* A terminal session gets the client's TERM, as `kubectl exec -t`
	 * sessions do (containerd and CRI-O set it for tty execs). */
	if (tty) {
		const char *tv = getenv("TERM");

		snprintf(term, sizeof(term), "TERM=%s", tv && *tv ? tv : "xterm");
		env[0] = term;
	}
	{
		struct oci_rt ort = { .path = t.v.runtime, .root = t.v.runtime_root };
		struct oci_exec_opts eo = { .args = (const char *const *)(a.v + a.dash),
					    .env = env,
					    .tty = tty,
					    .interactive = in,
					    .io = { .in = in ? 0 : -1, .out = 1, .err = 2 } };
		struct pn_err err = { 0 };
		int ret = oci_exec(&ort, c->cid, &eo, &code, &err);

		/* The runtime already printed its own message (oci.h). */
		if (ret < 0 && code == 0)
			code = 126;
		pn_err_free(&err);
		rc = code;
	}
out:
	pod_target_close(&t);
	flag_args_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- logs */

struct logs_opts {
	const char *ns, *cname;
	bool follow, previous, timestamps, all, prefix;
	long long tail, limit;
	int64_t since;
	const char *since_time;
};

/* One container's log being printed; --prefix lines start "[pod/P/C] ". */
struct log_stream {
	struct podlog *l;
	char prefix[600];
	bool at_line_start;
	char ctr_id[STORE_ID_LEN + 1];   /* the attempt being followed */
	const char *name;
	bool done;
};

static void emit(struct log_stream *s, const char *buf, size_t n)
{
	if (!s->prefix[0]) {
		fwrite(buf, 1, n, stdout);
		return;
	}
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) + 1 : n - i;

		if (s->at_line_start)
			fputs(s->prefix, stdout);
		fwrite(buf + i, 1, len, stdout);
		s->at_line_start = nl != NULL;
		i += len;
	}
}

/* Print what the stream has now; false once --limit-bytes is reached. */
static bool drain(struct log_stream *s)
{
	char buf[65536];
	ssize_t n;

	while ((n = podlog_read(s->l, buf, sizeof(buf))) > 0)
		emit(s, buf, (size_t)n);
	fflush(stdout);
	return n >= 0;
}

/* kubelet's "is the container still running this attempt?" for -f. */
static bool still_running(struct podrt *rt, const struct store_pod *sp, const struct log_stream *s)
{
	struct podrt_view nv;
	struct pn_err err = { 0 };
	bool running = false;

	if (podrt_view_get(rt, sp, &nv, &err) < 0) {
		pn_err_free(&err);
		return false;
	}
	for (size_t i = 0; i < nv.n_ctrs; i++)
		if (!strcmp(nv.ctrs[i].row.name, s->name))
			running = !strcmp(nv.ctrs[i].state, "running") &&
				  !strcmp(nv.ctrs[i].cid, s->ctr_id);
	podrt_view_free(&nv);
	return running;
}

static int stream_open(struct log_stream *s, const struct logs_opts *o, const struct podrt_view *v,
		       const struct podrt_ctr *c, bool previous)
{
	struct podlog_opts po = { .timestamps = o->timestamps, .tail_lines = o->tail,
				  .since_ns = o->since, .limit_bytes = o->limit };
	struct pn_err err = { 0 };
	const char *path = previous ? c->prev_log_path : c->log_path;

	memset(s, 0, sizeof(*s));
	s->at_line_start = true;
	s->name = c->row.name;
	snprintf(s->ctr_id, sizeof(s->ctr_id), "%s", c->cid);
	if (o->prefix)
		snprintf(s->prefix, sizeof(s->prefix), "[pod/%s/%s] ", v->pod->name, c->row.name);
	if (previous && !path[0]) {
		fprintf(stderr, "Error from server (BadRequest): previous terminated container \"%s\" in pod \"%s\" not found\n",
			c->row.name, v->pod->name);
		return -1;
	}
	if (!path[0] || podlog_open(path, &po, &s->l, &err) < 0) {
		fprintf(stderr, "Error from server (BadRequest): container \"%s\" in pod \"%s\" is waiting to start: %s\n",
			c->row.name, v->pod->name, c->reason[0] ? c->reason : "ContainerCreating");
		pn_err_free(&err);
		return -1;
	}
	return 0;
}

/* Print, and with -f follow until every container's attempt ended. */
static int print_logs(struct pod_target *t, const struct logs_opts *o, struct podrt_ctr **cs,
		      size_t n, bool previous)
{
	struct log_stream *ss = calloc(n ? n : 1, sizeof(*ss));
	size_t open = 0, live;
	int rc = 0;

	if (!ss)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (stream_open(&ss[i], o, &t->v, cs[i], previous) < 0) {
			rc = 1;
			ss[i].done = true;
			continue;
		}
		open++;
		/* Without -f, containers print one after the other. */
		if (!drain(&ss[i]))
			ss[i].done = true;
	}
	live = open;
	while (o->follow && !previous && live > 0) {
		usleep(200000);
		live = 0;
		for (size_t i = 0; i < n; i++) {
			if (ss[i].done || !ss[i].l)
				continue;
			if (!drain(&ss[i])) {
				ss[i].done = true;
				continue;
			}
			if (!still_running(&t->rt, t->v.pod, &ss[i])) {
				drain(&ss[i]);
				ss[i].done = true;
				continue;
			}
			live++;
		}
	}
	for (size_t i = 0; i < n; i++)
		podlog_close(ss[i].l);
	free(ss);
	return rc;
}

/* RFC 3339 (--since-time) to ns since the epoch. */
static int parse_time(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t frac = 0;
	int digits = 0, off = 0;

	if (!end)
		return -EINVAL;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*end - '0');
	for (; digits < 9; digits++)
		frac *= 10;
	if (*end == 'Z' || *end == 'z') {
		end++;
	} else if (*end == '+' || *end == '-') {
		int hh, mm;

		if (sscanf(end + 1, "%2d:%2d", &hh, &mm) != 2)
			return -EINVAL;
		off = (hh * 60 + mm) * 60 * (*end == '+' ? 1 : -1);
		end += 6;
	} else {
		return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	{
		int64_t secs = (int64_t)timegm(&tm) - off;

		/* Past 2262 nanoseconds no longer fit: later than any log line. */
		*ns = secs > INT64_MAX / 1000000000 - 1 ? INT64_MAX
		      : secs < 0			 ? 0
							 : secs * 1000000000 + frac;
	}
	return 0;
}

/*
 * crictl logs CONTAINER-ID: the container (any attempt podnet still
 * knows) whose ID starts with @arg.  0 and the pod's view in @t, -ENOENT
 * when no container matches, -1 after printing an error.
 */
static int find_container_id(struct pod_target *t, const char *arg, struct podrt_ctr **c,
			     bool *previous)
{
	struct store_pod *pods = NULL;
	struct pn_err err = { 0 };
	size_t n = 0, matches = 0, len = strlen(arg);
	struct store_pod *hit = NULL;
	char hit_name[256] = "";
	int ret = -ENOENT;

	if (len == 0 || strspn(arg, "0123456789abcdef") != len)
		return -ENOENT;
	memset(t, 0, sizeof(*t));
	if (cmd_runtime_open(&t->rt, NULL) < 0)
		return -1;
	if (store_pod_list(t->rt.st, NULL, &pods, &n, &err) < 0) {
		cmd_error(&err);
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct podrt_view v;

		if (podrt_view_get(&t->rt, &pods[i], &v, &err) < 0) {
			pn_err_free(&err);
			continue;
		}
		for (size_t k = 0; k < v.n_ctrs; k++) {
			const struct podrt_ctr *pc = &v.ctrs[k];

			/* The attempt before: lastState's once the next one runs,
			 * previousAttempt during a back-off; its log is the
			 * previous one. */
			const char *before = !strcmp(pc->state, "waiting")
						     ? (pc->has_prev ? pc->prev_cid : "")
						     : (strcmp(pc->last_cid, pc->cid) ? pc->last_cid : "");

			if (!strncmp(pc->cid, arg, len) || (before[0] && !strncmp(before, arg, len))) {
				matches++;
				hit = &pods[i];
				*previous = strncmp(pc->cid, arg, len) != 0;
				snprintf(hit_name, sizeof(hit_name), "%s", pc->row.name);
			}
		}
		podrt_view_free(&v);
	}
	if (matches > 1) {
		cmd_errorf("container ID prefix \"%s\" is ambiguous", arg);
		ret = -1;
		goto out;
	}
	if (matches == 0)
		goto out;
	if (podrt_view_get(&t->rt, hit, &t->v, &err) < 0) {
		cmd_error(&err);
		ret = -1;
		goto out;
	}
	t->open = true;
	for (size_t k = 0; k < t->v.n_ctrs; k++)
		if (!strcmp(t->v.ctrs[k].row.name, hit_name))
			*c = &t->v.ctrs[k];
	ret = 0;
out:
	store_pod_array_free(pods, n);
	pn_err_free(&err);
	if (ret < 0)
		podrt_close(&t->rt);
	return ret;
}

int cmd_logs(int argc, char **argv)
{
	struct logs_opts o = { .ns = "default", .tail = -1 };
	int64_t since = 0;
	struct flag flags[] = {
		FLAG_DEF("container", 'c', FLAG_STRING, &o.cname),
		FLAG_DEF("follow", 'f', FLAG_BOOL, &o.follow),
		FLAG_DEF("previous", 'p', FLAG_BOOL, &o.previous),
		FLAG_DEF("timestamps", 0, FLAG_BOOL, &o.timestamps),
		FLAG_DEF("tail", 0, FLAG_INT, &o.tail),
		FLAG_DEF("since", 0, FLAG_DURATION, &since),
		FLAG_DEF("since-time", 0, FLAG_STRING, &o.since_time),
		FLAG_DEF("limit-bytes", 0, FLAG_INT, &o.limit),
		FLAG_DEF("all-containers", 0, FLAG_BOOL, &o.all),
		FLAG_DEF("prefix", 0, FLAG_BOOL, &o.prefix),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &o.ns),
		FLAG_END,
	};
	struct flag_args a;
	struct pod_target t = { 0 };
	struct podrt_ctr **cs = NULL;
	size_t ncs = 0;
	const char *pod;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &a) < 0)
		return 1;
	if (a.n == 0 || a.n > 2) {
		cmd_usage_errorf("logs", "expected 'logs [-f] [-p] (POD | TYPE/NAME | CONTAINER-ID) [-c CONTAINER]'.\n"
					 "POD or TYPE/NAME is a required argument for the logs command");
		goto out;
	}
	if (a.n == 2) {
		if (o.cname) {
			cmd_usage_errorf("logs", "only one of -c or an inline [CONTAINER] arg is allowed");
			goto out;
		}
		o.cname = a.v[1];
	}
	/* kubectl logs' Validate. */
	if (since != 0 && o.since_time) {
		cmd_errorf("at most one of `sinceTime` or `sinceSeconds` may be specified");
		goto out;
	}
	/* 0 is kubectl's "not given" for both. */
	if (o.limit < 0) {
		cmd_errorf("--limit-bytes must be greater than 0");
		goto out;
	}
	if (since < 0) {
		cmd_errorf("--since must be greater than 0");
		goto out;
	}
	if (o.tail < -1) {
		cmd_errorf("--tail must be greater than or equal to -1");
		goto out;
	}
	if (o.all && o.cname) {
		cmd_errorf("--all-containers=true should not be specified with container name %s", o.cname);
		goto out;
	}
	if (since > 0) {
		/* The API takes whole seconds: kubectl rounds to the nearest. */
		int64_t secs = (since + 500000000) / 1000000000;

		o.since = ((int64_t)time(NULL) - secs) * 1000000000;
	}
	if (o.since_time && parse_time(o.since_time, &o.since) < 0) {
		cmd_errorf("--since-time must be an RFC 3339 time, got \"%s\"", o.since_time);
		goto out;
	}
	pod = pod_arg("logs", a.v[0]);
	if (!pod)
		goto out;
	{
		/* crictl logs CONTAINER-ID, when no pod has that name. */
		bool by_id = pod == a.v[0] && !o.cname && !o.all;
		int ret = pod_target_open(&t, o.ns, pod, by_id);
		bool previous = o.previous;
		struct podrt_ctr *c = NULL;

		if (ret == -ENOENT && by_id) {
			struct pod_target ct;
			int cret = find_container_id(&ct, pod, &c, &previous);

			if (cret == 0) {
				t = ct;
				rc = print_logs(&t, &o, &c, 1, previous);
				goto out;
			}
			if (cret == -1)
				goto out;
			fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", pod);
		}
		if (ret < 0)
			goto out;
	}
	cs = calloc(t.v.n_ctrs ? t.v.n_ctrs : 1, sizeof(*cs));
	if (!cs)
		goto out;
	if (o.all) {
		for (size_t i = 0; i < t.v.n_ctrs; i++)
			cs[ncs++] = &t.v.ctrs[i];
	} else {
		cs[0] = pick_container(&t.v, o.cname, false);
		if (!cs[0])
			goto out;
		ncs = 1;
	}
	rc = print_logs(&t, &o, cs, ncs, o.previous);
out:
	free(cs);
	pod_target_close(&t);
	flag_args_free(&a);
	return rc;
}
