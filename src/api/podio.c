/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pod's streams: pods/log (the CRI log files the shim writes, read with
 * podlog.h, followed while the container runs), pods/exec (a process
 * started in the container by the OCI runtime, its stdio relayed over a
 * WebSocket by wsexec.c), attach (the container's output as it is
 * logged), and portforward (SPDY streams relayed to the pod's ports by
 * portfwd.c).
 *
 * The checks before a stream starts are kube-apiserver's (which container,
 * options) and kubelet's (a container that is not running has no exec,
 * and no log until it started), with their messages.
 */
#include "podio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "apistatus.h"
#include "file.h"
#include "log.h"
#include "node.h"
#include "oci.h"
#include "podlog.h"
#include "podrt.h"
#include "portfwd.h"
#include "store.h"
#include "wsexec.h"

/* How often a follow checks that its container still runs. */
#define FOLLOW_CHECK_MS 250

static json_t *ctr_status(json_t *pod, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(pod, "status"), "containerStatuses"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", name))
			return c;
	return NULL;
}

/*
 * kube-apiserver's container choice: the one named, or the only one;
 * else a 400 naming them.  Returns the name (in @pod) or NULL with @resp
 * set.
 */
static const char *pick_container(json_t *pod, const char *want, const char *podname,
				  struct http_resp *resp)
{
	json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers"), *c;
	size_t i;

	if (want && *want) {
		json_array_foreach(cs, i, c) {
			const char *n = json_string_value(json_object_get(c, "name"));

			if (n && !strcmp(n, want))
				return n;
		}
		apistatus_bad_request(resp, "container %s is not valid for pod %s", want, podname);
		return NULL;
	}
	if (json_array_size(cs) == 1)
		return json_string_value(json_object_get(json_array_get(cs, 0), "name"));
	{
		char list[2048] = "";
		size_t off = 0;

		json_array_foreach(cs, i, c)
			off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0,
						"%s%s", i ? " " : "",
						json_string_value(json_object_get(c, "name")) ?: "");
		apistatus_bad_request(resp, "a container name must be specified for pod %s, choose "
				      "one of: [%s]", podname, list);
	}
	return NULL;
}

static bool query_true(const struct http_req *req, const char *key)
{
	const char *v = http_query_get(req, key);

	return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

/*
 * The pod @ns/@name from the cache and the container the request names
 * (or the only one): false with @resp set when either is missing.  *@pod
 * is the caller's reference.
 */
static bool pod_container(struct api *a, const struct http_req *req, const char *ns,
			  const char *name, struct http_resp *resp, json_t **pod, const char **ctr)
{
	*pod = cache_get(a->cache, API_PODS, ns, name);
	if (!*pod) {
		apistatus_not_found(resp, &api_resources[API_PODS], name);
		return false;
	}
	*ctr = pick_container(*pod, http_query_get(req, "container"), name, resp);
	if (!*ctr) {
		json_decref(*pod);
		*pod = NULL;
		return false;
	}
	return true;
}

/* The websocket handshake, then @size zeroed bytes for the session: NULL
 * with @resp set when the handshake is refused or memory is short. */
static void *ws_session_new(const struct http_req *req, struct http_resp *resp, size_t size,
			    enum wsexec_proto *proto)
{
	void *s;

	*proto = wsexec_handshake(req, resp);
	if (*proto == WSEXEC_NONE)
		return NULL;
	s = calloc(1, size);
	if (!s) {
		http_resp_free(resp);
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
	}
	return s;
}

/* The container's row and runtime (for exec) and log paths (for logs). */
struct ctr_info {
	char id[128];
	char state[16];
	char log_path[4096], prev_log_path[4096];
	char runtime[256], runtime_root[4096];
};

static int ctr_info(struct api *a, const char *ns, const char *pod, const char *name,
		    struct ctr_info *ci, struct pn_err *err)
{
	struct podrt *rt = node_rt_get(a, err);
	struct store_pod *sp = NULL;
	struct podrt_view v = { 0 };
	int ret = -ENOENT;

	memset(ci, 0, sizeof(*ci));
	if (!rt)
		return -EIO;
	ret = store_pod_get_by_name(rt->st, ns, pod, &sp, err);
	if (ret == 0)
		ret = podrt_view_get(rt, sp, &v, err);
	if (ret == 0) {
		ret = -ENOENT;
		for (size_t i = 0; i < v.n_ctrs; i++) {
			const struct podrt_ctr *c = &v.ctrs[i];

			if (strcmp(c->row.name, name))
				continue;
			snprintf(ci->id, sizeof(ci->id), "%s", c->row.id);
			snprintf(ci->state, sizeof(ci->state), "%s", c->state);
			snprintf(ci->log_path, sizeof(ci->log_path), "%s", c->log_path);
			snprintf(ci->prev_log_path, sizeof(ci->prev_log_path), "%s", c->prev_log_path);
			ret = 0;
		}
		snprintf(ci->runtime, sizeof(ci->runtime), "%s", v.runtime);
		snprintf(ci->runtime_root, sizeof(ci->runtime_root), "%s", v.runtime_root);
		podrt_view_free(&v);
	}
	store_pod_free(sp);
	node_rt_put(a, rt);
	return ret;
}

/* ---- pods/log */

struct log_stream {
	struct api *a;
	struct podlog *l;
	char *ns, *pod, *ctr;
	char id[128];
	bool follow;
	int conn_fd;
	uint64_t next_check;
	bool last_read;
};

static void log_stream_free(void *ctx)
{
	struct log_stream *s = ctx;

	podlog_close(s->l);
	free(s->ns);
	free(s->pod);
	free(s->ctr);
	free(s);
}

/* Does the container this follow started on still run? */
static bool still_running(struct log_stream *s)
{
	json_t *pod = cache_get(s->a->cache, API_PODS, s->ns, s->pod), *c;
	bool run = false;

	c = pod ? ctr_status(pod, s->ctr) : NULL;
	if (c && json_object_get(json_object_get(c, "state"), "running")) {
		const char *cid = json_string_value(json_object_get(c, "containerID"));

		/* "podnet://<id>": the same attempt (a restart has a new one) */
		run = !cid || !s->id[0] || strstr(cid, s->id);
	}
	json_decref(pod);
	return run;
}

static ssize_t log_read(void *ctx, char *buf, size_t max)
{
	struct log_stream *s = ctx;
	ssize_t n = podlog_read(s->l, buf, max);

	if (n != 0)
		return n;
	if (!s->follow || s->last_read || s->a->stopping)
		return -1;
	{
		uint64_t now = pn_now_ns() / 1000000;

		if (now >= s->next_check) {
			s->next_check = now + FOLLOW_CHECK_MS;
			if (!still_running(s)) {
				/* What it wrote before it stopped, then the end. */
				s->last_read = true;
				return 0;
			}
		}
	}
	{
		struct pollfd p = { s->conn_fd, POLLRDHUP, 0 };

		if (s->conn_fd >= 0 && poll(&p, 1, 100) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return -1;
		if (s->conn_fd < 0)
			usleep(100000);
	}
	return 0;
}

static void handle_log(struct api *a, const struct http_req *req, const char *ns,
		       const char *name, struct http_resp *resp)
{
	json_t *pod, *cs;
	const char *ctr, *v;
	struct podlog_opts o = { .tail_lines = -1 };
	struct ctr_info ci;
	struct pn_err err = { 0 };
	struct log_stream *s = NULL;
	bool previous = query_true(req, "previous");
	const char *path;

	if (!pod_container(a, req, ns, name, resp, &pod, &ctr))
		return;
	o.timestamps = query_true(req, "timestamps");
	if ((v = http_query_get(req, "tailLines")) && *v)
		o.tail_lines = strtoll(v, NULL, 10);
	if ((v = http_query_get(req, "limitBytes")) && *v) {
		o.limit_bytes = strtoll(v, NULL, 10);
		if (o.limit_bytes < 1) {
			apistatus_reply(resp, 422, "Invalid", NULL,
					"PodLogOptions \"%s\" is invalid: limitBytes: Invalid value: "
					"%lld: must be greater than 0", name, o.limit_bytes);
			goto out;
		}
	}
	if ((v = http_query_get(req, "sinceSeconds")) && *v) {
		long long secs = strtoll(v, NULL, 10);

		if (secs < 1) {
			apistatus_reply(resp, 422, "Invalid", NULL,
					"PodLogOptions \"%s\" is invalid: sinceSeconds: Invalid value: "
					"%lld: must be greater than 0", name, secs);
			goto out;
		}
		o.since_ns = ((int64_t)api_now(a) - secs) * 1000000000;
	}
	if ((v = http_query_get(req, "sinceTime")) && *v) {
		struct tm tm = { 0 };
		const char *end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);

		if (!end) {
			apistatus_bad_request(resp, "sinceTime: Invalid value: \"%s\": must be RFC 3339",
					      v);
			goto out;
		}
		o.since_ns = (int64_t)timegm(&tm) * 1000000000;
	}
	cs = ctr_status(pod, ctr);
	if (ctr_info(a, ns, name, ctr, &ci, &err) < 0 || (!previous && !ci.log_path[0])) {
		/* kubelet: no log before the container was created. */
		const char *reason = json_string_value(json_object_get(
			json_object_get(json_object_get(cs, "state"), "waiting"), "reason"));

		apistatus_bad_request(resp, "container \"%s\" in pod \"%s\" is waiting to start: %s",
				      ctr, name, reason ? reason : "ContainerCreating");
		goto out;
	}
	path = previous ? ci.prev_log_path : ci.log_path;
	if (previous && !path[0]) {
		apistatus_bad_request(resp, "previous terminated container \"%s\" in pod \"%s\" not "
				      "found", ctr, name);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->ns = strdup(ns)) || !(s->pod = strdup(name)) || !(s->ctr = strdup(ctr))) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		goto out;
	}
	if (podlog_open(path, &o, &s->l, &err) < 0) {
		if (err.errnum == ENOENT && !previous)
			apistatus_bad_request(resp, "container \"%s\" in pod \"%s\" is waiting to "
					      "start: ContainerCreating", ctr, name);
		else
			apistatus_reply(resp, 500, "InternalError", NULL, "%s", pn_err_msg(&err));
		goto out;
	}
	s->a = a;
	snprintf(s->id, sizeof(s->id), "%s", ci.id);
	s->follow = query_true(req, "follow") && !previous && !strcmp(ci.state, "running");
	s->conn_fd = req->conn_fd;
	http_resp_stream(resp, "text/plain", log_read, log_stream_free, s);
	s = NULL;
out:
	if (s)
		log_stream_free(s);
	json_decref(pod);
	pn_err_free(&err);
}

/* ---- pods/exec */

struct exec_ctx {
	struct oci_rt ort;
	char runtime[256], runtime_root[4096];
	char id[128];
	char **argv;
	bool tty, in, out, err;
	struct oci_exec_proc *proc;
	int pty;              /* the terminal's master, -1 */
	char pid_file[4096];  /* the process's PID, while it runs (node_exec_dir) */
};

static void exec_ctx_free(struct exec_ctx *e)
{
	if (!e)
		return;
	for (char **a = e->argv; a && *a; a++)
		free(*a);
	free(e->argv);
	if (e->pty >= 0)
		close(e->pty);
	if (e->pid_file[0])
		unlink(e->pid_file);
	if (e->proc) {
		int code;
		struct pn_err err = { 0 };

		/* Never waited for (the session ended before): reap it. */
		if (oci_exec_finish(e->proc, 0, &code, &err) < 0) {
			/* nothing to report */
		}
		pn_err_free(&err);
	}
	free(e);
}

static int pipe2_cloexec(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

/*
 * The runtime's exec with the session's stdio: pipes, or a terminal whose
 * other side the runtime copies to the container's own (runc and crun
 * allocate one in the container for -t and relay their stdio to it; they
 * apply SIGWINCH by reading the size of their stdin, which is our pty).
 */
static int exec_spawn(void *ctx, struct wsexec_proc *p, unsigned short cols, unsigned short rows,
		      char **why)
{
	struct exec_ctx *e = ctx;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, slave = -1;
	static const char *const tty_env[] = { "TERM=xterm", NULL };
	struct oci_exec_opts o = { .args = (const char *const *)e->argv, .tty = e->tty,
				   .interactive = e->in,
				   .env = e->tty ? tty_env : NULL,
				   .io = { -1, -1, -1 },
				   .pid_file = e->pid_file[0] ? e->pid_file : NULL };
	struct pn_err err = { 0 };
	pid_t pid;
	int ret = -1;

	if (e->tty) {
		struct winsize ws = { .ws_row = rows ? rows : 24, .ws_col = cols ? cols : 80 };

		e->pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (e->pty < 0 || grantpt(e->pty) < 0 || unlockpt(e->pty) < 0 ||
		    (slave = open(ptsname(e->pty), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
			asprintf(why, "cannot allocate a terminal: %s", strerror(errno));
			goto out;
		}
		ioctl(e->pty, TIOCSWINSZ, &ws);
		o.io.in = o.io.out = o.io.err = slave;
	} else {
		if ((e->in && pipe2_cloexec(in) < 0) || (e->out && pipe2_cloexec(out) < 0) ||
		    (e->err && pipe2_cloexec(errp) < 0)) {
			asprintf(why, "pipe: %s", strerror(errno));
			goto out;
		}
		o.io.in = in[0];
		o.io.out = out[1];
		o.io.err = errp[1];
	}
	if (oci_exec_start(&e->ort, e->id, &o, &pid, &e->proc, &err) < 0) {
		*why = strdup(pn_err_msg(&err));
		goto out;
	}
	p->pid = pid;
	p->tty = e->tty;
	if (e->tty) {
		p->in_fd = p->out_fd = e->pty;
		p->err_fd = -1;
		e->pty = -1;   /* wsexec closes it */
	} else {
		p->in_fd = in[1];
		p->out_fd = out[0];
		p->err_fd = errp[0];
		in[1] = out[0] = errp[0] = -1;
	}
	ret = 0;
out:
	pn_err_free(&err);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (slave >= 0)
		close(slave);
	return ret;
}

static int exec_finish(void *ctx, int wstatus, char **why)
{
	struct exec_ctx *e = ctx;
	struct pn_err err = { 0 };
	int code = 0;

	/*
	 * A program that is missing (127) or cannot be run (126): the
	 * runtime has said why on the process's stderr; the exit code is the
	 * shells' (as CRI-O reports it).  Anything else is the runtime failing.
	 */
	if (oci_exec_finish(e->proc, wstatus, &code, &err) < 0 && code != 127 && code != 126) {
		if (asprintf(why, "error executing command in container: %s", pn_err_msg(&err)) < 0)
			*why = NULL;
	}
	e->proc = NULL;
	pn_err_free(&err);
	return code;
}

struct exec_session {
	struct api *a;
	enum wsexec_proto proto;
	int client_fd;
	struct exec_ctx *e;
	struct wsexec_proc p;
};

static void tty_resize(void *ctx, unsigned short cols, unsigned short rows)
{
	struct exec_session *s = ctx;
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (s->p.in_fd >= 0 && ioctl(s->p.in_fd, TIOCSWINSZ, &ws) == 0 && s->p.pid > 0)
		kill(s->p.pid, SIGWINCH);
}

static int session_spawn(void *ctx, struct wsexec_proc *p, unsigned short cols,
			 unsigned short rows, char **why)
{
	struct exec_session *s = ctx;

	return exec_spawn(s->e, p, cols, rows, why);
}

static int session_finish(void *ctx, int wstatus, char **why)
{
	struct exec_session *s = ctx;

	return exec_finish(s->e, wstatus, why);
}

static void session_free(void *ctx)
{
	struct exec_session *s = ctx;

	exec_ctx_free(s->e);
	free(s->p.cmdline);
	free(s);
}

static void session_run(void *ctx, int fd, const char *extra, size_t extra_len)
{
	struct exec_session *s = ctx;

	wsexec_run(fd, extra, extra_len, s->proto, &s->p, s->client_fd, &s->a->stopping);
	session_free(s);
}

static void handle_exec(struct api *a, const struct http_req *req, const char *ns,
			const char *name, struct http_resp *resp)
{
	json_t *pod, *cs;
	const char *ctr, *phase;
	struct exec_session *s = NULL;
	struct exec_ctx *e = NULL;
	struct ctr_info ci;
	struct pn_err err = { 0 };
	size_t argc = 0, off = 0;
	enum wsexec_proto proto;

	if (!pod_container(a, req, ns, name, resp, &pod, &ctr))
		return;
	for (size_t i = 0; i < req->n_query; i++)
		if (!strcmp(req->query[i].key, "command"))
			argc++;
	if (!argc) {
		apistatus_bad_request(resp, "you must specify at least one command for the "
				      "container");
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->argv = calloc(argc + 1, sizeof(*e->argv)))) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		goto out;
	}
	e->pty = -1;
	e->tty = query_true(req, "tty");
	e->in = query_true(req, "stdin");
	e->out = query_true(req, "stdout");
	e->err = query_true(req, "stderr") && !e->tty;
	if (!e->in && !e->out && !query_true(req, "stderr")) {
		apistatus_bad_request(resp, "you must specify at least 1 of stdin, stdout, stderr");
		goto out;
	}
	for (size_t i = 0, k = 0; i < req->n_query; i++)
		if (!strcmp(req->query[i].key, "command") &&
		    !(e->argv[k++] = strdup(req->query[i].value))) {
			apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
			goto out;
		}
	phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) {
		apistatus_bad_request(resp, "cannot exec into a container in a completed pod; current "
				      "phase is %s", phase);
		goto out;
	}
	cs = ctr_status(pod, ctr);
	if (ctr_info(a, ns, name, ctr, &ci, &err) < 0 || strcmp(ci.state, "running") ||
	    !json_object_get(json_object_get(cs, "state"), "running")) {
		/* kubelet's answer for a container that is not running. */
		apistatus_bad_request(resp, "container not found (\"%s\")", ctr);
		goto out;
	}
	snprintf(e->id, sizeof(e->id), "%s", ci.id);
	snprintf(e->runtime, sizeof(e->runtime), "%s", ci.runtime);
	snprintf(e->runtime_root, sizeof(e->runtime_root), "%s", ci.runtime_root);
	e->ort.path = e->runtime;
	e->ort.root = e->runtime_root;
	{
		/* Each session's own file (killed at the next start if this
		 * podnetd dies first); without the directory, no file. */
		static unsigned long seq;
		char d[4000];

		if (node_exec_dir(a, d, sizeof(d)) == 0 && pn_mkdir_p(d, 0700) == 0)
			snprintf(e->pid_file, sizeof(e->pid_file), "%s/%d-%lu.pid", d, (int)getpid(),
				 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	}
	s = ws_session_new(req, resp, sizeof(*s), &proto);
	if (!s)
		goto out;
	s->a = a;
	s->proto = proto;
	s->client_fd = req->conn_fd;
	s->e = e;
	e = NULL;
	s->p.in_fd = s->p.out_fd = s->p.err_fd = -1;
	s->p.spawn = session_spawn;
	s->p.finish = session_finish;
	s->p.resize = s->e->tty ? tty_resize : NULL;
	s->p.ctx = s;
	/* "[sh -c exit 7]" as kubelet names the command in its message */
	{
		size_t len = 3;

		for (char **v = s->e->argv; *v; v++)
			len += strlen(*v) + 1;
		s->p.cmdline = malloc(len);
		if (s->p.cmdline) {
			s->p.cmdline[off++] = '[';
			for (char **v = s->e->argv; *v; v++)
				off += (size_t)sprintf(s->p.cmdline + off, "%s%s",
						       v == s->e->argv ? "" : " ", *v);
			s->p.cmdline[off++] = ']';
			s->p.cmdline[off] = '\0';
		}
	}
	http_resp_upgrade(resp, session_run, session_free, s);
out:
	exec_ctx_free(e);
	json_decref(pod);
	pn_err_free(&err);
}

/* ---- pods/attach */

/*
 * The shim owns the containers' stdio: their output goes to the CRI log
 * files, their stdin is not kept open.  Attach therefore relays the log as
 * it grows (stdout and stderr together, on the stdout channel) until the
 * container stops, from a thread writing into a pipe that the session
 * reads as if it were the process's stdout; what the client types is
 * dropped.
 */
struct attach_session {
	struct api *a;
	enum wsexec_proto proto;
	int client_fd;
	struct log_stream *ls;     /* handed to the pump thread */
	struct wsexec_proc p;
};

static void *attach_pump(void *arg)
{
	struct log_stream *s = arg;
	char buf[16384];

	for (;;) {
		ssize_t n = log_read(s, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0)
			break;
		while (off < (size_t)n) {
			ssize_t w = write(s->conn_fd, buf + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			off += (size_t)w;
		}
	}
out:
	close(s->conn_fd);
	s->conn_fd = -1;
	log_stream_free(s);
	return NULL;
}

static int attach_spawn(void *ctx, struct wsexec_proc *p, unsigned short cols,
			unsigned short rows, char **why)
{
	struct attach_session *s = ctx;
	pthread_attr_t attr;
	pthread_t th;
	int fds[2];

	(void)cols;
	(void)rows;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		if (asprintf(why, "pipe: %s", strerror(errno)) < 0)
			*why = NULL;
		return -1;
	}
	/* The pump sees the session's end as the pipe's (POLLERR). */
	s->ls->conn_fd = fds[1];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, attach_pump, s->ls) != 0) {
		pthread_attr_destroy(&attr);
		close(fds[0]);
		close(fds[1]);
		s->ls->conn_fd = -1;
		*why = strdup("cannot start the attach stream");
		return -1;
	}
	pthread_attr_destroy(&attr);
	s->ls = NULL;
	p->pid = 0;
	p->out_fd = fds[0];
	return 0;
}

static void attach_free(void *ctx)
{
	struct attach_session *s = ctx;

	if (s->ls)
		log_stream_free(s->ls);
	free(s);
}

static void attach_run(void *ctx, int fd, const char *extra, size_t extra_len)
{
	struct attach_session *s = ctx;

	wsexec_run(fd, extra, extra_len, s->proto, &s->p, s->client_fd, &s->a->stopping);
	attach_free(s);
}

static void handle_attach(struct api *a, const struct http_req *req, const char *ns,
			  const char *name, struct http_resp *resp)
{
	json_t *pod;
	const char *ctr;
	struct podlog_opts o = { .tail_lines = 0 };
	struct attach_session *s = NULL;
	struct log_stream *ls = NULL;
	struct ctr_info ci;
	struct pn_err err = { 0 };
	enum wsexec_proto proto;

	if (!pod_container(a, req, ns, name, resp, &pod, &ctr))
		return;
	if (ctr_info(a, ns, name, ctr, &ci, &err) < 0 || strcmp(ci.state, "running")) {
		apistatus_bad_request(resp, "container not found (\"%s\")", ctr);
		goto out;
	}
	ls = calloc(1, sizeof(*ls));
	if (!ls || !(ls->ns = strdup(ns)) || !(ls->pod = strdup(name)) ||
	    !(ls->ctr = strdup(ctr))) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		goto out;
	}
	ls->a = a;
	ls->follow = true;
	ls->conn_fd = -1;
	snprintf(ls->id, sizeof(ls->id), "%s", ci.id);
	if (podlog_open(ci.log_path, &o, &ls->l, &err) < 0) {
		apistatus_reply(resp, 500, "InternalError", NULL, "%s", pn_err_msg(&err));
		goto out;
	}
	s = ws_session_new(req, resp, sizeof(*s), &proto);
	if (!s)
		goto out;
	s->a = a;
	s->proto = proto;
	s->client_fd = req->conn_fd;
	s->ls = ls;
	ls = NULL;
	s->p.in_fd = s->p.out_fd = s->p.err_fd = -1;
	s->p.spawn = attach_spawn;
	s->p.ctx = s;
	http_resp_upgrade(resp, attach_run, attach_free, s);
out:
	if (ls)
		log_stream_free(ls);
	json_decref(pod);
	pn_err_free(&err);
}

/* ---- pods/portforward */

struct portfwd_session {
	struct api *a;
	enum portfwd_transport t;
	char *pod_id;
	char *netns_path;
	int client_fd;
};

static void portfwd_session_free(void *ctx)
{
	struct portfwd_session *s = ctx;

	free(s->pod_id);
	free(s->netns_path);
	free(s);
}

static void portfwd_session_run(void *ctx, int fd, const char *extra, size_t extra_len)
{
	struct portfwd_session *s = ctx;

	portfwd_run(fd, extra, extra_len, s->t, s->pod_id, s->netns_path, s->client_fd,
		    &s->a->stopping);
	portfwd_session_free(s);
}

static void handle_portforward(struct api *a, const struct http_req *req, const char *ns,
			       const char *name, struct http_resp *resp)
{
	json_t *pod = cache_get(a->cache, API_PODS, ns, name);
	struct portfwd_session *s = NULL;
	struct store_pod *sp = NULL;
	struct podrt *rt = NULL;
	struct pn_err err = { 0 };
	enum portfwd_transport t;

	if (!pod) {
		apistatus_not_found(resp, &api_resources[API_PODS], name);
		return;
	}
	rt = node_rt_get(a, &err);
	if (!rt) {
		apistatus_reply(resp, 500, "InternalError", NULL, "%s", pn_err_msg(&err));
		goto out;
	}
	if (store_pod_get_by_name(rt->st, ns, name, &sp, &err) < 0 ||
	    sp->state != STORE_POD_READY) {
		apistatus_bad_request(resp, "unable to upgrade connection: pod %s has no running "
					    "sandbox", name);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->pod_id = strdup(sp->sandbox_id ? sp->sandbox_id : name)) ||
	    (sp->netns_path && !(s->netns_path = strdup(sp->netns_path)))) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		goto out;
	}
	t = portfwd_handshake(req, resp);
	if (t == PORTFWD_NONE)
		goto out;
	s->a = a;
	s->t = t;
	s->client_fd = req->conn_fd;
	http_resp_upgrade(resp, portfwd_session_run, portfwd_session_free, s);
	s = NULL;
out:
	if (s)
		portfwd_session_free(s);
	store_pod_free(sp);
	if (rt)
		node_rt_put(a, rt);
	json_decref(pod);
	pn_err_free(&err);
}

void podio_handle(struct api *a, const struct http_req *req, const char *ns, const char *name,
		  const char *sub, struct http_resp *resp)
{
	if (!strcmp(sub, "log")) {
		if (strcmp(req->method, "GET"))
			apistatus_method_not_allowed(resp);
		else
			handle_log(a, req, ns, name, resp);
		return;
	}
	if (!strcmp(sub, "exec")) {
		if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
			apistatus_method_not_allowed(resp);
		else
			handle_exec(a, req, ns, name, resp);
		return;
	}
	if (!strcmp(sub, "attach")) {
		if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
			apistatus_method_not_allowed(resp);
		else
			handle_attach(a, req, ns, name, resp);
		return;
	}
	if (!strcmp(sub, "portforward")) {
		if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
			apistatus_method_not_allowed(resp);
		else
			handle_portforward(a, req, ns, name, resp);
		return;
	}
	apistatus_no_route(resp);
}
