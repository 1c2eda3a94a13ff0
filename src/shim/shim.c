/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet-shim: one per pod, the node-side monitor of its containers (the
 * role of containerd-shim-runc-v2 or conmon, for a whole pod).  It starts
 * the pause container and the pod's containers through the OCI runtime,
 * keeps their stdout/stderr in CRI-format log files, records their states
 * and exit codes in JSON files and applies the restartPolicy with kubelet's
 * back-off.  The protocol with the `podnet` CLI (command line, files,
 * signals, exit codes) is specified in src/shim/README.md.
 *
 * Process model: the CLI runs us; we fork twice (setsid in between) so the
 * monitor is no child of the CLI and has no controlling terminal, and the
 * first process exits once the monitor reports the pod started (or failed).
 * The monitor sets PR_SET_CHILD_SUBREAPER: `runc run --detach` exits after
 * starting a container, and its init is then reparented to us
 * (kernel: find_new_reaper()), so waitpid() gives us its exit status.
 *
 * Invariants of the monitor loop:
 *  - It is single-threaded; every signal it cares about is blocked and read
 *    from a signalfd, so no handler runs in the middle of anything.
 *  - waitpid(-1) is called only from the loop, when no runtime process is
 *    running (runtime calls wait for their own child by PID).  So the pause
 *    PID cannot be reaped, hence reused, while /proc/<pause>/ns/... paths
 *    are handed to the runtime.  At startup the containers' runtimes run
 *    concurrently (ctr_start_all()); each is still waited for by its PID,
 *    and the loop starts only after all of them were collected.
 *  - Status files are replaced with rename(2): a reader sees the old or the
 *    new file, never a torn one (fsync'ed before and after: a crash does
 *    not leave an empty one either).
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "fault.h"
#include "file.h"
#include "rootfs.h"

#define NS_PER_S 1000000000ull
#define BACKOFF_INITIAL_S 10
#define BACKOFF_MAX_S 300
#define BACKOFF_RESET_S 600 /* a container that ran 10 min starts over */
#define KILL_WAIT_S 5       /* after SIGKILL, how long we wait for the exit */

enum { EXIT_OK = 0, EXIT_SETUP = 1, EXIT_USAGE = 2, EXIT_PAUSE_DIED = 3 };

struct shim {
	struct shim_plan plan;
	char pod_dir[PATH_MAX];
	char rt_path[PATH_MAX], rt_root[PATH_MAX];
	struct oci_rt rt;
	int sfd, epfd;
	pid_t pause_pid;
	bool pause_running;
	const char *state; /* shim.json "state" */
	bool ready;
	char message[512];
	char started_at[40];
	uint64_t start_ns;
	long startup_ms;
	bool stopping, killed;
	uint64_t term_deadline, kill_deadline;
	int exit_code;
	pid_t sync_pid;         /* the running syncCommand, 0 if none */
	bool sync_again;        /* readiness changed while it ran */
	json_t *events;         /* events.json's array */
	json_t *cgroups;        /* the pod's parent cgroup dirs (cgroup_dirs()) */
	char boot_id[64];
};

static struct shim S;

/* ------------------------------------------------------------ utilities */

void shim_log(const char *fmt, ...)
{
	char ts[40];
	va_list ap;

	rfc3339_now(ts);
	fprintf(stderr, "%s podnet-shim[%d]: ", ts, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static uint64_t now_ns(void)
{
	return pn_now_ns();
}

/* snprintf for paths, with truncation turned into an empty string (that
 * later fails to open) instead of a silently different path. */
uint64_t shim_now_ns(void)
{
	return now_ns();
}

static int pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}


/* Replace a status file (pn_json_file_replace: atomic and durable); a
 * failure is logged, the shim goes on.  Consumes @j. */
static int write_json_atomic(const char *path, json_t *j)
{
	struct pn_err err = { 0 };
	int ret;

	ret = pn_json_file_replace(path, j, JSON_INDENT(2) | JSON_PRESERVE_ORDER, 0644, PN_E_STATE,
				   &err);
	if (ret < 0)
		shim_log("%s: %s", pn_err_msg(&err), pn_err_details_text(&err));
	pn_err_free(&err);
	json_decref(j);
	return ret;
}

/* Write @content to @path unless the file exists (the CLI may provide it). */
static int write_file_once(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t len = strlen(content);
	int ret = 0;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (write(fd, content, len) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

static int copy_file_once(const char *dst, const char *src)
{
	char *buf = NULL;
	int fd = open(src, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return write_file_once(dst, "");
	ret = pn_read_all(fd, &buf, NULL);
	close(fd);
	if (ret == 0)
		ret = write_file_once(dst, buf);
	free(buf);
	return ret;
}

/* ---------------------------------------------------------- status files */

static const char *cstate_name(enum shim_cstate s)
{
	switch (s) {
	case CS_CREATED: return "created";
	case CS_RUNNING: return "running";
	case CS_WAITING: return "waiting";
	case CS_EXITED: return "exited";
	}
	return "unknown";
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static void write_status(struct shim_ctr *c)
{
	char path[PATH_MAX];
	json_t *j;

	pathf(path, sizeof(path), "%s/containers/%s/status.json", S.pod_dir, c->id);
	j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o}", "id", c->id,
		      "containerID", c->cid[0] ? c->cid : c->id, "name", c->name, "state",
		      cstate_name(c->state), "pid",
		      c->state == CS_RUNNING ? (int)c->pid : 0, "exitCode",
		      c->state == CS_EXITED ? json_integer(c->exit_code) : json_null(), "reason",
		      str_or_null(c->reason), "message", str_or_null(c->message), "startedAt",
		      str_or_null(c->started_at), "finishedAt",
		      c->state == CS_EXITED ? str_or_null(c->finished_at) : json_null(),
		      "restartCount", c->restart_count, "logPath", str_or_null(c->log_path),
		      "previousLogPath", str_or_null(c->prev_log_path));
	if (j) {
		json_object_set_new(j, "started", json_boolean(c->state == CS_RUNNING && c->started));
		json_object_set_new(j, "ready", json_boolean(c->state == CS_RUNNING && c->ready));
	}
	if (j && c->has_last)
		json_object_set_new(j, "lastState",
				    json_pack("{s:i, s:s, s:s, s:s, s:s}", "exitCode", c->last_exit_code,
					      "reason", c->last_reason, "startedAt",
					      c->last_started_at, "finishedAt", c->last_finished_at,
					      "containerID", c->last_cid));
	if (j && c->image)
		json_object_set_new(j, "image", json_string(c->image));
	if (j && c->has_prev && c->state == CS_WAITING)
		json_object_set_new(j, "previousAttempt",
				    json_pack("{s:s, s:i, s:s, s:s, s:s}", "containerID", c->prev_cid,
					      "exitCode", c->prev_exit_code, "reason", c->prev_reason,
					      "startedAt", c->prev_started_at, "finishedAt",
					      c->prev_finished_at));
	write_json_atomic(path, j);
}

static void write_shim_json(void)
{
	char path[PATH_MAX];
	json_t *j;

	pathf(path, sizeof(path), "%s/shim.json", S.pod_dir);
	j = json_pack("{s:i, s:i, s:s, s:s, s:b, s:s, s:o, s:s, s:s, s:s, s:I, s:s, s:O, s:I}", "pid",
		      (int)getpid(), "pausePid", S.pause_running ? (int)S.pause_pid : 0, "state",
		      S.state, "sandboxID", S.plan.sandbox_id, "ready", S.ready, "podUID",
		      S.plan.pod_uid, "message", str_or_null(S.message), "runtime", S.rt_path,
		      "runtimeRoot", S.rt_root, "startedAt", S.started_at, "startupMs",
		      (json_int_t)S.startup_ms, "bootID", S.boot_id, "cgroups",
		      S.cgroups ? S.cgroups : json_null(), "planRevision",
		      (json_int_t)S.plan.revision);
	write_json_atomic(path, j);
}

/* -------------------------------------------------------------- bundles */

/*
 * Events as kubelet records them for this pod's containers, in
 * D/events.json (podnet keeps no event store; `describe pod` reads it).
 * The recorder's aggregation: the same type, reason, object and message
 * bump count and lastTimestamp instead of adding a line; the newest 100
 * are kept.
 */
#define EVENTS_MAX 100

void shim_event(const struct shim_ctr *c, const char *type, const char *reason, const char *fmt,
		...)
{
	char path[PATH_MAX], msg[1024], obj[160], now[40];
	json_t *e;
	size_t i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(obj, sizeof(obj), "spec.containers{%s}", c->name);
	rfc3339_now(now);
	if (!S.events && !(S.events = json_array()))
		return;
	json_array_foreach(S.events, i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "type")), type) &&
		    !strcmp(json_string_value(json_object_get(e, "reason")), reason) &&
		    !strcmp(json_string_value(json_object_get(e, "fieldPath")), obj) &&
		    !strcmp(json_string_value(json_object_get(e, "message")), msg)) {
			json_object_set_new(e, "count",
					    json_integer(json_integer_value(json_object_get(e, "count")) + 1));
			json_object_set_new(e, "lastTimestamp", json_string(now));
			goto write;
		}
	}
	json_array_append_new(S.events, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "type", type,
						  "reason", reason, "fieldPath", obj, "message", msg,
						  "count", 1, "firstTimestamp", now, "lastTimestamp",
						  now));
	while (json_array_size(S.events) > EVENTS_MAX)
		json_array_remove(S.events, 0);
write:
	shim_log("event %s %s %s: %s", type, reason, obj, msg);
	pathf(path, sizeof(path), "%s/events.json", S.pod_dir);
	write_json_atomic(path, json_pack("{s:O}", "events", S.events));
}

/* Run the plan's syncCommand (podnet sync: Service endpoints follow
 * readiness), one at a time; a change while it runs runs it again. */
static void sync_start(void)
{
	struct pn_spawn sp = { 0 };
	struct pn_child ch = { 0 };
	struct pn_err err = { 0 };

	if (!S.plan.sync_argv || S.stopping)
		return;
	if (S.sync_pid) {
		S.sync_again = true;
		return;
	}
	S.sync_again = false;
	/* Not waited for here: reaped by the loop's waitpid(-1). */
	sp.path = S.plan.sync_argv[0];
	sp.argv = S.plan.sync_argv;
	sp.out = PN_STDIO_NULL;
	sp.err = PN_STDIO_INHERIT; /* shim.log */
	if (pn_spawn_start(&sp, &ch, &err) < 0) {
		shim_log("sync: %s", pn_err_msg(&err));
		pn_err_free(&err);
		return;
	}
	if (ch.pidfd >= 0)
		close(ch.pidfd);
	S.sync_pid = ch.pid;
}

void shim_readiness_changed(struct shim_ctr *c)
{
	shim_log("container %s %s", c->name, c->ready ? "ready" : "not ready");
	write_status(c);
	sync_start();
}

/* kubelet's reaction to a failed liveness or startup probe: the container
 * is killed (SIGTERM, SIGKILL after the probe's or the pod's grace
 * period) and its restart policy decides what follows. */
void shim_probe_restart(struct shim_ctr *c, enum probe_kind k)
{
	struct pn_err err = { 0 };
	long long grace = c->probes[k].grace >= 0 ? c->probes[k].grace : S.plan.grace_s;

	if (c->state != CS_RUNNING || c->kill_reason)
		return;
	c->kill_reason = k == PROBE_LIVENESS ? "liveness" : "startup";
	shim_event(c, "Normal", "Killing", "Container %s failed %s probe, will be restarted", c->name,
		   c->kill_reason);
	c->kill_at = now_ns() + (uint64_t)grace * NS_PER_S;
	if (oci_kill(&S.rt, c->id, grace ? SIGTERM : SIGKILL, false, &err) < 0)
		shim_log("kill %s: %s", c->name, pn_err_msg(&err));
	pn_err_free(&err);
}

static void pause_ns_path(char *buf, size_t size, const char *ns)
{
	snprintf(buf, size, "/proc/%d/ns/%s", (int)S.pause_pid, ns);
}

static void etc_file(char *buf, size_t size, const char *name)
{
	pathf(buf, size, "%s/%s", S.pod_dir, name);
}

/* kubelet's pod files: a managed /etc/hosts naming the pod, the node's
 * resolv.conf (dnsPolicy Default: there is no cluster DNS), the hostname. */
static int write_etc_files(struct pn_err *err)
{
	const struct shim_plan *p = &S.plan;
	char path[PATH_MAX], *hosts = NULL, *hn = NULL;
	int ret;

	etc_file(path, sizeof(path), "hosts");
	if (p->host_network) {
		ret = copy_file_once(path, "/etc/hosts");
	} else {
		if (asprintf(&hosts,
			     "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
			     "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
			     "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
			     "%s%s%s%s",
			     p->pod_ip ? p->pod_ip : "", p->pod_ip ? "\t" : "",
			     p->pod_ip ? p->hostname : "", p->pod_ip ? "\n" : "") < 0) {
			hosts = NULL;
			ret = -ENOMEM;
			goto out;
		}
		ret = write_file_once(path, hosts);
	}
	if (ret < 0)
		goto out;
	etc_file(path, sizeof(path), "resolv.conf");
	ret = copy_file_once(path, "/etc/resolv.conf");
	if (ret < 0)
		goto out;
	etc_file(path, sizeof(path), "hostname");
	if (asprintf(&hn, "%s\n", p->hostname) < 0) {
		hn = NULL;
		ret = -ENOMEM;
		goto out;
	}
	ret = write_file_once(path, hn);
out:
	if (ret < 0)
		pn_error(err, PN_E_STATE, -ret, "write %s", path);
	free(hosts);
	free(hn);
	return ret;
}

/* Container limits: the node's current ones.  root here may lack
 * CAP_SYS_RESOURCE, so asking the runtime for more than the hard limit
 * would make its setrlimit() fail with EPERM and the container with it. */
static unsigned long nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return 0;
	return (unsigned long)rl.rlim_max;
}

static void cgroups_path(char *buf, size_t size, const char *id)
{
	/* Relative: runc's cgroupfs driver places it under the runtime's (so
	 * our) own cgroup in every hierarchy, as kubelet's pod<uid> parent. */
	snprintf(buf, size, "podnet/pod%s/%s", S.plan.pod_uid, id);
}

static int pause_bundle(char *bundle, size_t size, struct pn_err *err)
{
	static const char *const ro_bind[] = { "rbind", "ro", NULL };
	static const char *const args[] = { "/pause", NULL };
	const struct shim_plan *p = &S.plan;
	struct oci_mount m = { "/pause", "bind", p->pause_binary, ro_bind };
	char rootfs[PATH_MAX], cg[512];
	struct oci_spec s = { 0 };
	int ret;

	pathf(bundle, size, "%s/pause", S.pod_dir);
	pathf(rootfs, sizeof(rootfs), "%s/pause/rootfs", S.pod_dir);
	ret = pn_mkdir_p(rootfs, 0755);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "create %s", rootfs);
	cgroups_path(cg, sizeof(cg), p->sandbox_id);
	/* An empty read-only rootfs: the runtime creates the mount points,
	 * the static pause binary is bind-mounted in. */
	s.rootfs = "rootfs";
	s.rootfs_readonly = true;
	s.args = args;
	s.hostname = p->hostname;
	s.ns[OCI_NS_MOUNT].mode = OCI_NS_NEW;
	s.ns[OCI_NS_PID].mode = p->host_pid ? OCI_NS_HOST : OCI_NS_NEW;
	s.ns[OCI_NS_IPC].mode = p->host_ipc ? OCI_NS_HOST : OCI_NS_NEW;
	s.ns[OCI_NS_UTS].mode = p->host_network ? OCI_NS_HOST : OCI_NS_NEW;
	if (!p->host_network) {
		s.ns[OCI_NS_NETWORK].mode = OCI_NS_JOIN;
		s.ns[OCI_NS_NETWORK].path = p->netns;
	}
	s.mounts = &m;
	s.n_mounts = 1;
	s.nofile = nofile_limit();
	s.cgroups_path = cg;
	return oci_bundle_write(&s, bundle, err);
}

static int ctr_bundle(struct shim_ctr *c, struct pn_err *err)
{
	const struct shim_plan *p = &S.plan;
	char net[64], ipc[64], uts[64], pid[64], cg[512];
	char hosts[PATH_MAX], resolv[PATH_MAX], hostname[PATH_MAX];
	struct oci_spec s = { 0 };
	int ret;

	ret = pn_mkdir_p(c->bundle, 0755);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "create bundle %s", c->bundle);
	pause_ns_path(net, sizeof(net), "net");
	pause_ns_path(ipc, sizeof(ipc), "ipc");
	pause_ns_path(uts, sizeof(uts), "uts");
	pause_ns_path(pid, sizeof(pid), "pid");
	etc_file(hosts, sizeof(hosts), "hosts");
	etc_file(resolv, sizeof(resolv), "resolv.conf");
	etc_file(hostname, sizeof(hostname), "hostname");
	cgroups_path(cg, sizeof(cg), c->cid);

	s.rootfs = c->rootfs;
	s.args = (const char *const *)c->args;
	s.env = (const char *const *)c->env;
	s.cwd = c->cwd;
	s.hostname = p->hostname;
	/* The pod's namespaces are those the pause holds: net (the CNI
	 * netns), ipc and uts; pid only with shareProcessNamespace, where
	 * the pause is PID 1 and reaps for everyone. */
	s.ns[OCI_NS_MOUNT].mode = OCI_NS_NEW;
	s.ns[OCI_NS_NETWORK] = p->host_network ? (struct oci_ns){ OCI_NS_HOST, NULL }
					       : (struct oci_ns){ OCI_NS_JOIN, net };
	s.ns[OCI_NS_UTS] = p->host_network ? (struct oci_ns){ OCI_NS_HOST, NULL }
					   : (struct oci_ns){ OCI_NS_JOIN, uts };
	s.ns[OCI_NS_IPC] = p->host_ipc ? (struct oci_ns){ OCI_NS_HOST, NULL }
				       : (struct oci_ns){ OCI_NS_JOIN, ipc };
	s.ns[OCI_NS_PID] = p->host_pid    ? (struct oci_ns){ OCI_NS_HOST, NULL }
			   : p->share_pid ? (struct oci_ns){ OCI_NS_JOIN, pid }
					  : (struct oci_ns){ OCI_NS_NEW, NULL };
	s.etc_hosts = hosts;
	s.etc_resolv_conf = resolv;
	s.etc_hostname = hostname;
	s.nofile = nofile_limit();
	s.cgroups_path = cg;
	return oci_bundle_write(&s, c->bundle, err);
}

/*
 * Each line of /proc/@pid/cgroup, "ID:CONTROLLERS:PATH" (cgroups(7)), as
 * @fn(CONTROLLERS, PATH) until @fn returns true.  CONTROLLERS is "" for
 * the v2 hierarchy; PATH may be changed in place.
 */
static void cgroup_each(const char *pid, bool (*fn)(const char *ctrls, char *path, void *ctx),
			void *ctx)
{
	char file[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%s/cgroup", pid);
	f = fopen(file, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *ctrls = strchr(line, ':'), *path;

		line[strcspn(line, "\n")] = '\0';
		if (!ctrls || !(path = strchr(ctrls + 1, ':')))
			continue;
		*path++ = '\0';
		if (fn(ctrls + 1, path, ctx))
			break;
	}
	free(line);
	fclose(f);
}

struct memcg {
	char *out;
	size_t size;
};

static bool memcg_line(const char *ctrls, char *path, void *ctx)
{
	struct memcg *m = ctx;

	if (!strcmp(ctrls, "memory")) {
		snprintf(m->out, m->size, "/sys/fs/cgroup/memory%s", path);
		return true;
	}
	/* Pure cgroup v2: the only hierarchy. */
	if (!*ctrls && access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		snprintf(m->out, m->size, "/sys/fs/cgroup%s", path);
	return false;
}

/* Memory cgroup directory of @pid, to read its OOM-kill counter at exit. */
static void find_memcg(pid_t pid, char *out, size_t size)
{
	struct memcg m = { out, size };
	char p[16];

	out[0] = '\0';
	snprintf(p, sizeof(p), "%d", (int)pid);
	cgroup_each(p, memcg_line, &m);
}

/* Did the kernel's OOM killer act in the container's cgroup?  v1:
 * memory.oom_control "oom_kill N" (4.13+); v2: memory.events "oom_kill N". */
static bool oom_killed(const struct shim_ctr *c)
{
	static const char *const files[] = { "memory.oom_control", "memory.events" };
	char path[600], *line = NULL;
	size_t cap = 0;
	bool hit = false;

	if (!c->memcg[0])
		return false;
	for (size_t i = 0; i < PN_ARRAY_SIZE(files) && !hit; i++) {
		FILE *f;

		pathf(path, sizeof(path), "%s/%s", c->memcg, files[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (getline(&line, &cap, f) > 0) {
			unsigned long long n;

			if (sscanf(line, "oom_kill %llu", &n) == 1 && n > 0)
				hit = true;
		}
		fclose(f);
	}
	free(line);
	return hit;
}

/* ------------------------------------------------------------ containers */

static uint64_t ep_key(size_t idx, int stream)
{
	return ((uint64_t)(idx + 1) << 1) | (uint64_t)stream;
}

static void ctr_close_logs(struct shim_ctr *c)
{
	if (c->out.fd >= 0)
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, c->out.fd, NULL);
	if (c->err.fd >= 0)
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, c->err.fd, NULL);
	crilog_close(&c->out, &c->log);
	crilog_close(&c->err, &c->log);
	crilog_file_close(&c->log);
}

/* Open <logDir>/<restartCount>.log as kubelet names attempts; keep the
 * previous attempt's file for `logs --previous`, remove older ones. */
static int ctr_open_log(struct shim_ctr *c, struct pn_err *err)
{
	char old[PATH_MAX];
	int ret;

	ret = pn_mkdir_p(c->log_dir, 0755);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "create log directory %s", c->log_dir);
	if (c->log_path[0]) {
		if (c->prev_log_path[0] && strcmp(c->prev_log_path, c->log_path))
			unlink(c->prev_log_path);
		snprintf(old, sizeof(old), "%s", c->log_path);
		snprintf(c->prev_log_path, sizeof(c->prev_log_path), "%s", old);
	}
	snprintf(c->log_path, sizeof(c->log_path), "%s/%d.log", c->log_dir, c->restart_count);
	ret = crilog_file_open(&c->log, c->log_path);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "open log %s", c->log_path);
	return 0;
}

static void ctr_set_terminated(struct shim_ctr *c, int code, const char *reason, const char *msg)
{
	c->exit_code = code;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	snprintf(c->message, sizeof(c->message), "%s", msg ? msg : "");
	rfc3339_now(c->finished_at);
}

static void ctr_after_exit(struct shim_ctr *c);

/* One attempt between ctr_launch() and ctr_launched(). */
struct ctr_launch {
	struct oci_pending *op; /* the runtime, NULL when it was not started */
	bool ran;               /* the runtime was asked (delete its state on failure) */
	int outp[2], errp[2];   /* after ctr_launch(): read ends only */
	int ret;                /* < 0: failed before or while starting the runtime */
	struct pn_err err;
};

/*
 * First half of an attempt: bundle, log file, pipes, then the runtime is
 * forked and left running (`run --detach` of one container only depends on
 * the pause's namespaces, so several run at once).  Never fails by itself:
 * an error is kept in @l and reported by ctr_launched().
 */
static void ctr_launch(size_t idx, struct ctr_launch *l)
{
	struct shim_ctr *c = &S.plan.ctrs[idx];
	struct oci_stdio io = { -1, -1, -1 };
	char statedir[PATH_MAX];
	struct pn_err derr = { 0 };

	memset(l, 0, sizeof(*l));
	l->outp[0] = l->outp[1] = l->errp[0] = l->errp[1] = -1;
	c->message[0] = c->reason[0] = '\0';
	/* A restart is a new container: a new id (its cgroup and runtime
	 * state are new too). */
	if (!c->cid[0] || c->restart_count > 0) {
		if (c->restart_count == 0)
			snprintf(c->cid, sizeof(c->cid), "%s", c->id);
		else if (pn_random_id(c->cid) < 0)
			snprintf(c->cid, sizeof(c->cid), "%s", c->id);
	}
	l->ret = ctr_bundle(c, &l->err);
	if (l->ret < 0)
		return;
	l->ret = ctr_open_log(c, &l->err);
	if (l->ret < 0)
		return;
	if (pipe2(l->outp, O_CLOEXEC) < 0 || pipe2(l->errp, O_CLOEXEC) < 0) {
		l->ret = pn_error(&l->err, PN_E_KERNEL, errno, "pipe");
		return;
	}
	/* Our read ends only (each end of a pipe is an open file description
	 * of its own; the container's must block).  crilog_read() reads until
	 * EAGAIN: a blocking read would stall the whole monitor. */
	if (fcntl(l->outp[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(l->errp[0], F_SETFL, O_NONBLOCK) < 0) {
		l->ret = pn_error(&l->err, PN_E_KERNEL, errno, "pipe: O_NONBLOCK");
		return;
	}
	io.out = l->outp[1];
	io.err = l->errp[1];
	/* This attempt's runtime id, named before the runtime runs: whoever
	 * finds this shim dead (delete, gc) stops it by that id. */
	pathf(statedir, sizeof(statedir), "%s/containers/%s/cid", S.pod_dir, c->id);
	if (pn_file_replace(statedir, c->cid, strlen(c->cid), 0644, PN_E_STATE, &derr) < 0)
		shim_log("container %s: %s", c->name, pn_err_msg(&derr));
	pn_err_free(&derr);
	/* A previous shim killed before cleaning up leaves runtime state that
	 * would make `run` fail with "container ... already exists". */
	pathf(statedir, sizeof(statedir), "%s/%s", S.rt_root, c->cid);
	if (access(statedir, F_OK) == 0 && oci_delete(&S.rt, c->cid, true, &derr) < 0)
		shim_log("clearing stale runtime state of %s: %s", c->name, pn_err_msg(&derr));
	pn_err_free(&derr);
	rfc3339_now(c->started_at);
	c->started_mono = now_ns();
	l->ran = true;
	l->ret = oci_run_detached_start(&S.rt, c->cid, c->bundle, &io, &l->op, &l->err);
	/* Our copies of the write ends must go, or the pipes never reach EOF
	 * (the runtime, hence the container, has its own). */
	close(l->outp[1]);
	close(l->errp[1]);
	l->outp[1] = l->errp[1] = -1;
}

/* Second half: wait for that runtime (by PID), then the container runs or
 * the attempt ends.  A start failure is a terminated attempt (exit code
 * 128, reason StartError, the runtime's message), as containerd reports it,
 * and goes through the restart policy like any exit.  Releases l->err. */
static void ctr_launched(size_t idx, struct ctr_launch *l)
{
	struct shim_ctr *c = &S.plan.ctrs[idx];
	struct epoll_event ev = { .events = EPOLLIN };
	int ret = l->ret;

	if (ret == 0)
		ret = oci_run_detached_wait(l->op, &c->pid, &l->err);
	l->op = NULL;
	if (ret < 0) {
		if (l->ran)
			(void)!oci_delete(&S.rt, c->cid, true, NULL);
		goto fail;
	}
	crilog_init(&c->out, l->outp[0], "stdout");
	crilog_init(&c->err, l->errp[0], "stderr");
	l->outp[0] = l->errp[0] = -1;
	ev.data.u64 = ep_key(idx, 0);
	epoll_ctl(S.epfd, EPOLL_CTL_ADD, c->out.fd, &ev);
	ev.data.u64 = ep_key(idx, 1);
	epoll_ctl(S.epfd, EPOLL_CTL_ADD, c->err.fd, &ev);
	find_memcg(c->pid, c->memcg, sizeof(c->memcg));
	c->state = CS_RUNNING;
	c->kill_reason = NULL;
	prober_container_started(c);
	shim_log("container %s (%s) running, pid %d, attempt %d", c->name, c->cid, (int)c->pid,
		 c->restart_count);
	write_status(c);
	pn_err_free(&l->err);
	return;
fail:
	for (int i = 0; i < 2; i++) {
		if (l->outp[i] >= 0)
			close(l->outp[i]);
		if (l->errp[i] >= 0)
			close(l->errp[i]);
		l->outp[i] = l->errp[i] = -1;
	}
	shim_log("container %s: %s%s%s", c->name, pn_err_msg(&l->err), l->err.details ? ": " : "",
		 pn_err_details_text(&l->err));
	/* The reason is worth a line in the container's own log. */
	crilog_file_write(&c->log, "stderr", 'F', pn_err_msg(&l->err), strlen(pn_err_msg(&l->err)));
	crilog_file_close(&c->log);
	if (!c->started_at[0])
		rfc3339_now(c->started_at);
	ctr_set_terminated(c, 128, "StartError", pn_err_msg(&l->err));
	pn_err_free(&l->err);
	ctr_after_exit(c);
}

/* Start one attempt (a restart): both halves at once. */
static void ctr_start(size_t idx)
{
	struct ctr_launch l;

	ctr_launch(idx, &l);
	ctr_launched(idx, &l);
}

/*
 * First attempt of every container, once the pause runs: oci_window()
 * runtimes run at a time, each collected in plan order (by its PID: no
 * other child's status is taken, and waitpid(-1) does not run before the
 * loop) before the next is started.
 * A container that fails to start does not hold the others back; its
 * immediate restart, if any, runs while the others' runtimes are collected.
 */
static void ctr_start_all(void)
{
	size_t n = S.plan.n_ctrs, win;
	struct ctr_launch *ls = n ? calloc(n, sizeof(*ls)) : NULL;

	if (!ls) {
		for (size_t i = 0; i < n; i++)
			if (!S.plan.ctrs[i].done)
				ctr_start(i);
		return;
	}
	win = oci_window();
	shim_log("starting %zu containers, %zu at a time", n, win);
	for (size_t i = 0; i < n + win; i++) {
		if (i < n && !S.plan.ctrs[i].done)
			ctr_launch(i, &ls[i]);
		if (i + 1 == (n < win ? n : win))
			pn_fault_point("shim.runtimes-started");
		if (i >= win && !S.plan.ctrs[i - win].done)
			ctr_launched(i - win, &ls[i - win]);
	}
	free(ls);
}

/* *@cur becomes *@next, the old value freed and *@next emptied. */
static void take_str(char **cur, char **next)
{
	free(*cur);
	*cur = *next;
	*next = NULL;
}

static void take_strv(char ***cur, char ***next)
{
	shim_strv_free(*cur);
	*cur = *next;
	*next = NULL;
}

/* The container's directory, which holds the root file systems podnet
 * made for it (rootfs.h). */
static void ctr_dir(const struct shim_ctr *c, char *buf, size_t n)
{
	pathf(buf, n, "%s/containers/%s", S.pod_dir, c->id);
}

/* Release a root file system podnet mounted for @c that no attempt uses
 * any more; one the plan brought from elsewhere (no unmountRootfs) is
 * not ours to touch. */
static void ctr_release_rootfs(const struct shim_ctr *c, const char *rootfs)
{
	struct pn_err err = { 0 };
	char dir[PATH_MAX];

	if (!c->unmount_rootfs)
		return;
	ctr_dir(c, dir, sizeof(dir));
	if (rootfs_release_path(dir, rootfs, &err) < 0)
		shim_log("container %s: release %s: %s", c->name, rootfs, pn_err_msg(&err));
	pn_err_free(&err);
}

/* Take the plan's new image: the root file system podnet mounted for it
 * (the shim never builds one: it links no image store), its command,
 * environment and working directory.  The old root file system goes:
 * its container exited, and nothing else uses it. */
static void ctr_swap_image(struct shim_ctr *c)
{
	c->swap = false;
	c->swap_kill_at = 0;
	shim_log("container %s: image %s -> %s (%s)", c->name, c->image ? c->image : "?",
		 c->next_image, c->next_rootfs);
	if (strcmp(c->rootfs, c->next_rootfs) != 0)
		ctr_release_rootfs(c, c->rootfs);
	take_str(&c->rootfs, &c->next_rootfs);
	take_str(&c->image, &c->next_image);
	take_strv(&c->args, &c->next_args);
	take_strv(&c->env, &c->next_env);
	take_str(&c->cwd, &c->next_cwd);
}

static void ctr_start(size_t idx);

/*
 * SIGUSR2: the CLI changed a container's image in plan.json.  A running
 * container is stopped (SIGTERM, SIGKILL after the pod's grace period) and
 * restarted from the new image when it exits (ctr_after_exit); one that is
 * not running is rebuilt and started now.  Then shim.json says which plan
 * revision was taken: podnet's update waits for that, so two signals that
 * merged into one, or a signal sent before we read the plan, lose nothing
 * (each read takes the newest plan, whatever signal brought us here).
 */
static void plan_reload(void)
{
	char path[PATH_MAX];
	struct shim_plan np;
	struct pn_err err = { 0 };

	pathf(path, sizeof(path), "%s/plan.json", S.pod_dir);
	if (S.stopping || shim_plan_load(path, &np, &err) < 0) {
		if (!S.stopping)
			shim_log("reload %s: %s", path, pn_err_msg(&err));
		pn_err_free(&err);
		return;
	}
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];
		struct shim_ctr *n = NULL;

		for (size_t k = 0; k < np.n_ctrs && !n; k++)
			if (!strcmp(np.ctrs[k].name, c->name))
				n = &np.ctrs[k];
		/* Root file systems of plans podnet replaced before we read
		 * them: never used, nobody else releases them.  One we did
		 * read is ours (c->rootfs, or c->next_rootfs: below). */
		for (char **r = n ? n->superseded : NULL; r && *r; r++)
			if (strcmp(*r, c->rootfs) != 0 && (!n->rootfs || strcmp(*r, n->rootfs) != 0) &&
			    !(c->swap && !strcmp(*r, c->next_rootfs)))
				ctr_release_rootfs(c, *r);
		/* A change is a new root file system (podnet mounts one per
		 * image change) or, from an older plan, a new image name. */
		if (!n || !n->image)
			continue;
		if (c->swap ? !strcmp(c->next_rootfs, n->rootfs)
			    : !strcmp(c->rootfs, n->rootfs) && c->image && !strcmp(c->image, n->image))
			continue;
		/* A change not taken yet is superseded: its root file system
		 * was never used. */
		if (c->swap && strcmp(c->next_rootfs, c->rootfs) != 0 &&
		    strcmp(c->next_rootfs, n->rootfs) != 0)
			ctr_release_rootfs(c, c->next_rootfs);
		free(c->next_image);
		free(c->next_rootfs);
		free(c->next_cwd);
		shim_strv_free(c->next_args);
		shim_strv_free(c->next_env);
		c->next_image = n->image;
		c->next_rootfs = n->rootfs;
		c->next_args = n->args;
		c->next_env = n->env;
		c->next_cwd = n->cwd;
		n->image = n->rootfs = n->cwd = NULL;
		n->args = n->env = NULL;
		c->swap = true;
		shim_log("container %s: new image %s", c->name, c->next_image);
		if (c->state == CS_RUNNING) {
			if (oci_kill(&S.rt, c->cid, S.plan.grace_s ? SIGTERM : SIGKILL, false, &err) < 0)
				shim_log("kill %s: %s", c->name, pn_err_msg(&err));
			pn_err_free(&err);
			c->swap_kill_at = now_ns() + (uint64_t)S.plan.grace_s * NS_PER_S;
		} else {
			ctr_swap_image(c);
			if (c->has_last || c->state != CS_CREATED)
				c->restart_count++;
			c->state = CS_CREATED;
			ctr_start(i);
		}
	}
	S.plan.revision = np.revision;
	write_shim_json();
	shim_plan_free(&np);
}

static bool should_restart(const struct shim_ctr *c)
{
	if (S.stopping)
		return false;
	switch (c->restart) {
	case SHIM_RESTART_ALWAYS: return true;
	case SHIM_RESTART_ON_FAILURE: return c->exit_code != 0;
	case SHIM_RESTART_NEVER: return false;
	}
	return false;
}

/* After an attempt ended (exit or start failure): restart now, later
 * (CrashLoopBackOff) or never.  kubelet's back-off: the first restart is
 * immediate, then 10 s doubling to 5 min; a container that ran for 10 min
 * starts over. */
static void ctr_after_exit(struct shim_ctr *c)
{
	size_t idx = (size_t)(c - S.plan.ctrs);
	uint64_t now = now_ns();

	if (c->has_last) {
		c->has_prev = true;
		snprintf(c->prev_cid, sizeof(c->prev_cid), "%s", c->last_cid);
		c->prev_exit_code = c->last_exit_code;
		snprintf(c->prev_reason, sizeof(c->prev_reason), "%s", c->last_reason);
		snprintf(c->prev_started_at, sizeof(c->prev_started_at), "%s", c->last_started_at);
		snprintf(c->prev_finished_at, sizeof(c->prev_finished_at), "%s", c->last_finished_at);
	}
	c->has_last = true;
	snprintf(c->last_cid, sizeof(c->last_cid), "%s", c->cid);
	c->last_exit_code = c->exit_code;
	snprintf(c->last_reason, sizeof(c->last_reason), "%s", c->reason);
	snprintf(c->last_started_at, sizeof(c->last_started_at), "%s", c->started_at);
	snprintf(c->last_finished_at, sizeof(c->last_finished_at), "%s", c->finished_at);
	c->pid = 0;
	/* Stopped for a new image: a new attempt from it at once, whatever
	 * the restart policy says (kubelet's restart on a spec change). */
	if (c->swap && !S.stopping) {
		ctr_swap_image(c);
		c->restart_count++;
		ctr_start(idx);
		return;
	}
	if (!should_restart(c)) {
		c->state = CS_EXITED;
		write_status(c);
		return;
	}
	if (c->started_mono && now - c->started_mono >= BACKOFF_RESET_S * NS_PER_S)
		c->backoff_s = 0;
	if (c->backoff_s == 0) {
		c->backoff_s = BACKOFF_INITIAL_S;
		c->restart_count++;
		ctr_start(idx);
		return;
	}
	c->state = CS_WAITING;
	c->restart_at = now + (uint64_t)c->backoff_s * NS_PER_S;
	snprintf(c->reason, sizeof(c->reason), "CrashLoopBackOff");
	snprintf(c->message, sizeof(c->message),
		 "back-off %ds restarting failed container=%s pod=%s_%s(%s)", c->backoff_s, c->name,
		 S.plan.pod_name ? S.plan.pod_name : "", S.plan.pod_namespace ? S.plan.pod_namespace : "",
		 S.plan.pod_uid);
	c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : c->backoff_s * 2;
	write_status(c);
}

static void ctr_exited(struct shim_ctr *c, int wstatus)
{
	struct pn_err err = { 0 };
	int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	const char *reason;

	/* Output written before the exit is in the pipes: drain it now.
	 * (With a shared PID namespace, children of the init may keep the
	 * pipes open; their later output is lost, as with a dead conmon.) */
	ctr_close_logs(c);
	c->state = CS_EXITED; /* the prober sees it stopped */
	prober_container_stopped(c);
	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL && oom_killed(c))
		reason = "OOMKilled";
	else
		reason = code == 0 ? "Completed" : "Error";
	ctr_set_terminated(c, code, reason, NULL);
	shim_log("container %s exited: %d (%s)", c->name, code, reason);
	/* The runtime keeps a stopped container (and its cgroup) until
	 * delete; the next attempt is a new container.  A stopping pod
	 * deletes all of them at once at the end (pause_stop()). */
	if (S.stopping)
		c->rt_state = true;
	else if (oci_delete(&S.rt, c->cid, true, &err) < 0 && err.errnum != ENOENT)
		shim_log("delete %s: %s", c->name, pn_err_msg(&err));
	pn_err_free(&err);
	ctr_after_exit(c);
}

/* ------------------------------------------------------------ the pause */

static int pause_start(struct pn_err *err)
{
	char bundle[PATH_MAX], statedir[PATH_MAX];
	struct oci_stdio io = { -1, -1, -1 };
	int ret;

	ret = pause_bundle(bundle, sizeof(bundle), err);
	if (ret < 0)
		return ret;
	pathf(statedir, sizeof(statedir), "%s/%s", S.rt_root, S.plan.sandbox_id);
	if (access(statedir, F_OK) == 0)
		(void)!oci_delete(&S.rt, S.plan.sandbox_id, true, NULL);
	ret = oci_run_detached(&S.rt, S.plan.sandbox_id, bundle, &io, &S.pause_pid, err);
	if (ret < 0) {
		(void)!oci_delete(&S.rt, S.plan.sandbox_id, true, NULL);
		pn_err_prefix(err, "pause container");
		return ret;
	}
	S.pause_running = true;
	shim_log("pause %s running, pid %d", S.plan.sandbox_id, (int)S.pause_pid);
	return 0;
}

/* Reap with a bound: used only after the loop, when nothing else is ours. */
static bool wait_pid_bounded(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * Stop the pause, then delete it and every container the runtime still
 * keeps, all at once.  The pause is our child (we are its subreaper and it
 * is not reaped yet, so its PID is not reused): kill(2) does what `runtime
 * kill` would, without a runtime call.  It has a SIGTERM handler and exits
 * 143; SIGKILL if it does not.
 */
static void pause_stop(void)
{
	const char **ids = calloc(S.plan.n_ctrs + 1, sizeof(*ids));
	struct pn_err err = { 0 };
	size_t n = 0;

	if (S.pause_running) {
		if (kill(S.pause_pid, SIGTERM) < 0)
			shim_log("kill pause %d: %s", (int)S.pause_pid, strerror(errno));
		if (!wait_pid_bounded(S.pause_pid, 2000)) {
			kill(S.pause_pid, SIGKILL);
			wait_pid_bounded(S.pause_pid, KILL_WAIT_S * 1000);
		}
		S.pause_running = false;
	}
	if (!ids) {
		(void)!oci_delete(&S.rt, S.plan.sandbox_id, true, NULL);
		return;
	}
	for (size_t i = 0; i < S.plan.n_ctrs; i++)
		if (S.plan.ctrs[i].rt_state) {
			ids[n++] = S.plan.ctrs[i].cid;
			S.plan.ctrs[i].rt_state = false;
		}
	ids[n++] = S.plan.sandbox_id;
	if (oci_delete_many(&S.rt, ids, n, &err) < 0)
		shim_log("delete from the runtime: %s", pn_err_msg(&err));
	pn_err_free(&err);
	free(ids);
}

/* -------------------------------------------------------------- stopping */

/*
 * Stop the pod within @grace_s seconds.  Asked again while stopping, a
 * shorter grace period brings the SIGKILL forward (a delete with
 * --grace-period after a graceful one); a longer one changes nothing.
 */
static void stop_begin(const char *why, int64_t grace_s)
{
	/* Saturated: kube-apiserver accepts any int64 grace period, and
	 * 9223372036854775807 s must wait (for ever), not overflow to now. */
	uint64_t deadline = grace_s < 0 ? now_ns()
			    : (uint64_t)grace_s > (UINT64_MAX - now_ns()) / NS_PER_S
				    ? UINT64_MAX
				    : now_ns() + (uint64_t)grace_s * NS_PER_S;

	if (S.stopping) {
		if (!S.killed && deadline < S.term_deadline) {
			shim_log("stopping pod (%s): grace period shortened to %llds", why,
				 (long long)grace_s);
			S.term_deadline = deadline;
		}
		return;
	}
	S.stopping = true;
	S.state = "stopping";
	S.term_deadline = deadline;
	shim_log("stopping pod (%s), grace period %llds", why, (long long)grace_s);
	write_shim_json();
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		/* The init is our child until we reap it (subreaper), so its
		 * PID is ours: kill(2) is what `runtime kill` would do. */
		if (c->state == CS_WAITING || c->state == CS_CREATED) {
			c->state = CS_EXITED;
			write_status(c);
		} else if (c->state == CS_RUNNING && kill(c->pid, grace_s ? SIGTERM : SIGKILL) < 0) {
			shim_log("kill %s (pid %d): %s", c->name, (int)c->pid, strerror(errno));
		}
	}
}

/*
 * Grace period over: SIGKILL every process of each container.  A
 * container in a PID namespace of its own needs only its init killed: the
 * kernel then kills every process in that namespace.  Sharing the pod's
 * (shareProcessNamespace: the pause is init) or the node's (hostPID), its
 * other processes are found through the runtime (`kill --all`: the whole
 * cgroup).  That runtime call per container was half of the runtime
 * calls of deleting a pod of many containers.
 */
static void stop_kill(void)
{
	bool own_pidns = !S.plan.host_pid && !S.plan.share_pid;
	const char **ids = own_pidns ? NULL : calloc(S.plan.n_ctrs + 1, sizeof(*ids));
	struct pn_err err = { 0 };
	size_t n = 0;

	S.killed = true;
	S.kill_deadline = now_ns() + KILL_WAIT_S * NS_PER_S;
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		if (c->state != CS_RUNNING)
			continue;
		shim_log("grace period over: SIGKILL %s", c->name);
		/* The init at once; the rest of its cgroup through the runtime,
		 * all containers in one round. */
		kill(c->pid, SIGKILL);
		if (own_pidns)
			continue;
		if (ids)
			ids[n++] = c->cid;
		else
			(void)!oci_kill(&S.rt, c->cid, SIGKILL, true, NULL);
	}
	if (n && oci_kill_many(&S.rt, ids, n, SIGKILL, &err) < 0)
		shim_log("kill --all: %s", pn_err_msg(&err));
	pn_err_free(&err);
	free(ids);
}

static bool any_running(void)
{
	for (size_t i = 0; i < S.plan.n_ctrs; i++)
		if (S.plan.ctrs[i].state == CS_RUNNING)
			return true;
	return false;
}

/*
 * The pod's parent cgroups, <own cgroup>/podnet/pod<uid> in every
 * hierarchy: the runtime creates the containers' cgroups below them and
 * removes only those leaves.  Listed in shim.json from the start, so that
 * whoever finds this shim dead can find and stop the pod's processes.
 */
static bool cgroup_line(const char *ctrls, char *path, void *ctx)
{
	bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
	char dir[PATH_MAX];

	if (!strcmp(path, "/"))
		path = "";
	if (!*ctrls && v2) {
		/* runc's fs2 driver nests relative paths under the
		 * parent of its own cgroup (no internal processes). */
		char *slash = strrchr(path, '/');

		if (slash)
			*slash = '\0';
		pathf(dir, sizeof(dir), "/sys/fs/cgroup%s/podnet/pod%s", path, S.plan.pod_uid);
	} else {
		const char *h = !*ctrls ? "unified" : !strncmp(ctrls, "name=", 5) ? ctrls + 5 : ctrls;

		pathf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s/podnet/pod%s", h, path, S.plan.pod_uid);
	}
	if (dir[0])
		json_array_append_new(ctx, json_string(dir));
	return false;
}

static void cgroup_dirs(void)
{
	S.cgroups = json_array();
	if (S.cgroups)
		cgroup_each("self", cgroup_line, S.cgroups);
}

static void cgroup_cleanup(void)
{
	size_t i;
	json_t *d;

	json_array_foreach(S.cgroups, i, d) {
		char dir[PATH_MAX];

		pathf(dir, sizeof(dir), "%s", json_string_value(d));
		if (rmdir(dir) == 0 || errno == ENOENT) {
			/* Other pods may still use podnet/: EBUSY/ENOTEMPTY. */
			char *p = strrchr(dir, '/');

			*p = '\0';
			rmdir(dir);
		}
	}
}

static void stop_finish(void)
{
	pn_fault_point("shim.stop-finish");
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		if (c->state == CS_RUNNING) {
			/* Unkillable (D state): give up on it, say so. */
			shim_log("container %s (pid %d) did not exit after SIGKILL", c->name, (int)c->pid);
			ctr_close_logs(c);
			c->rt_state = true;
			ctr_set_terminated(c, 137, "Error", "did not exit after SIGKILL");
			c->state = CS_EXITED;
			write_status(c);
		}
	}
	pause_stop();
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		/* MNT_DETACH: a process that still holds a file open there
		 * keeps the mount alive privately instead of failing us. */
		if (c->unmount_rootfs && umount2(c->rootfs, MNT_DETACH) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			shim_log("unmount %s: %s", c->rootfs, strerror(errno));
	}
	cgroup_cleanup();
}

/* ------------------------------------------------------------- the loop */

static void reap(void)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p < 0 && errno == EINTR)
			continue;
		if (p <= 0)
			return;
		if (S.sync_pid && p == S.sync_pid) {
			S.sync_pid = 0;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				shim_log("sync command failed (status 0x%x)", st);
			if (S.sync_again)
				sync_start();
			continue;
		}
		if (prober_child_exited(S.plan.ctrs, S.plan.n_ctrs, p, st))
			continue;
		if (S.pause_running && p == S.pause_pid) {
			S.pause_running = false;
			shim_log("pause exited unexpectedly (status 0x%x)", st);
			if (!S.stopping) {
				snprintf(S.message, sizeof(S.message), "pause container exited");
				S.exit_code = EXIT_PAUSE_DIED;
				stop_begin("pause exited", S.plan.grace_s);
			}
			continue;
		}
		for (size_t i = 0; i < S.plan.n_ctrs; i++)
			if (S.plan.ctrs[i].state == CS_RUNNING && S.plan.ctrs[i].pid == p) {
				ctr_exited(&S.plan.ctrs[i], st);
				break;
			}
		/* Anything else: an orphan reparented to us; reaped. */
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(S.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			break; /* reaped below, once for all */
		case SIGTERM:
		case SIGINT: {
			int64_t grace = S.plan.grace_s;

			/* podnet's delete sends the request's grace period with
			 * the signal (sigqueue(3)); a plain kill means the plan's. */
			if (si.ssi_code == SI_QUEUE && si.ssi_int >= 0)
				grace = si.ssi_int;
			stop_begin(si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT", grace);
			break;
		}
		case SIGUSR2:
			plan_reload();
			break;
		case SIGUSR1:
			/* The CLI asks for fresh files (after it lost one). */
			write_shim_json();
			for (size_t i = 0; i < S.plan.n_ctrs; i++)
				write_status(&S.plan.ctrs[i]);
			break;
		default:
			break;
		}
	}
	reap();
}

static int loop_timeout_ms(void)
{
	uint64_t now = now_ns(), next = now + NS_PER_S;

	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		if (S.plan.ctrs[i].state == CS_WAITING && S.plan.ctrs[i].restart_at < next)
			next = S.plan.ctrs[i].restart_at;
		if (S.plan.ctrs[i].swap_kill_at && S.plan.ctrs[i].swap_kill_at < next)
			next = S.plan.ctrs[i].swap_kill_at;
	}
	if (S.stopping && !S.killed && S.term_deadline < next)
		next = S.term_deadline;
	if (S.killed && S.kill_deadline < next)
		next = S.kill_deadline;
	for (size_t i = 0; i < S.plan.n_ctrs; i++)
		if (S.plan.ctrs[i].kill_reason && S.plan.ctrs[i].state == CS_RUNNING &&
		    S.plan.ctrs[i].kill_at < next)
			next = S.plan.ctrs[i].kill_at;
	if (!S.stopping && prober_next_wakeup(S.plan.ctrs, S.plan.n_ctrs) < next)
		next = prober_next_wakeup(S.plan.ctrs, S.plan.n_ctrs);
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void on_timer(void)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		if (c->state == CS_RUNNING && c->swap_kill_at && c->swap_kill_at <= now) {
			shim_log("grace period over: SIGKILL %s", c->name);
			(void)!oci_kill(&S.rt, c->cid, SIGKILL, true, NULL);
			c->swap_kill_at = 0;
		}
		if (c->state == CS_WAITING && c->restart_at <= now) {
			c->restart_count++;
			ctr_start(i);
		}
		/* A zombie answers kill(0), so ESRCH means the exit status
		 * went elsewhere (a runtime that reaps): record what we can. */
		if (c->state == CS_RUNNING && kill(c->pid, 0) < 0 && errno == ESRCH) {
			ctr_close_logs(c);
			c->state = CS_EXITED;
			prober_container_stopped(c);
			(void)!oci_delete(&S.rt, c->cid, true, NULL);
			ctr_set_terminated(c, 255, "Error", "exit status lost");
			ctr_after_exit(c);
		}
	}
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		/* a probe's kill: the grace period is over */
		if (c->kill_reason && c->state == CS_RUNNING && now >= c->kill_at && !S.stopping) {
			shim_log("grace period over: SIGKILL %s", c->name);
			(void)!oci_kill(&S.rt, c->id, SIGKILL, true, NULL);
			c->kill_at = UINT64_MAX;
		}
	}
	if (!S.stopping)
		prober_tick(S.plan.ctrs, S.plan.n_ctrs, now);
	if (S.stopping && !S.killed && now >= S.term_deadline && any_running())
		stop_kill();
}

static int run_loop(void)
{
	struct epoll_event evs[16];

	for (;;) {
		int n;

		if (S.stopping && !any_running())
			break;
		if (S.killed && now_ns() >= S.kill_deadline)
			break;
		n = epoll_wait(S.epfd, evs, PN_ARRAY_SIZE(evs), loop_timeout_ms());
		if (n < 0 && errno != EINTR) {
			shim_log("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint64_t k = evs[i].data.u64;
			struct shim_ctr *c;
			struct crilog *l;

			if (k == 0) {
				on_signal();
				continue;
			}
			if (k >= PROBE_EP_KEY) {
				prober_on_event(S.plan.ctrs, S.plan.n_ctrs, k, evs[i].events);
				continue;
			}
			c = &S.plan.ctrs[(k >> 1) - 1];
			l = (k & 1) ? &c->err : &c->out;
			if (l->fd >= 0 && crilog_read(l, &c->log) == 1) {
				/* EOF: every writer is gone; keep the partial line
				 * until the exit is handled. */
				epoll_ctl(S.epfd, EPOLL_CTL_DEL, l->fd, NULL);
				close(l->fd);
				l->fd = -1;
			}
		}
		on_timer();
	}
	return 0;
}

/* ------------------------------------------------------------- startup */

static void usage(FILE *f)
{
	fprintf(f, "Usage: podnet-shim --pod-dir DIR [--root PODNET_ROOT] [--runtime PATH]\n"
		   "                   [--runtime-root DIR] [--pod-uid UID] [--foreground]\n"
		   "Runs the pod described by DIR/plan.json; see podnet-shim's README.\n");
}

/* The first process waits here for the monitor's verdict. */
static int wait_ready(int fd, pid_t mid)
{
	char buf[1024];
	size_t n = 0;
	ssize_t r;

	waitpid(mid, NULL, 0); /* the intermediate process exits at once */
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (!strncmp(buf, "ok ", 3)) {
		fputs(buf + 3, stdout);
		return EXIT_OK;
	}
	if (n)
		fprintf(stderr, "podnet-shim: %s", buf);
	else
		fprintf(stderr, "podnet-shim: the monitor died during startup; see %s/shim.log\n",
			S.pod_dir);
	return EXIT_SETUP;
}

/*
 * Fork twice; returns in the monitor with *notify the pipe to report on.
 * Not pn_spawn_start(): no program is executed, the monitor is this
 * process going on.  The shim is single-threaded here, so the children
 * may call what they like.
 */
static int daemonize(int *notify)
{
	int p[2], fd;
	pid_t mid;
	char log[PATH_MAX];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	mid = fork();
	if (mid < 0)
		return -errno;
	if (mid > 0) {
		close(p[1]);
		exit(wait_ready(p[0], mid));
	}
	close(p[0]);
	/* New session: no controlling terminal, immune to the CLI's
	 * terminal hangup; the second fork makes us no session leader, so
	 * opening a tty can never make it ours. */
	if (setsid() < 0)
		_exit(EXIT_SETUP);
	mid = fork();
	if (mid < 0)
		_exit(EXIT_SETUP);
	if (mid > 0)
		_exit(0);
	pathf(log, sizeof(log), "%s/shim.log", S.pod_dir);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	if (chdir("/") < 0)
		return -errno;
	*notify = p[1];
	return 0;
}

static void notify_parent(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notify_parent(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	close(fd);
}

static int setup_paths(struct shim_ctr *c, struct pn_err *err)
{
	char buf[PATH_MAX];

	if (!c->bundle) {
		pathf(buf, sizeof(buf), "%s/containers/%s", S.pod_dir, c->id);
		c->bundle = strdup(buf);
	}
	if (!c->log_dir) {
		pathf(buf, sizeof(buf), "%s/logs/%s", S.pod_dir, c->name);
		c->log_dir = strdup(buf);
	}
	if (!c->bundle || !c->log_dir)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	if (c->rootfs[0] != '/' || c->bundle[0] != '/' || c->log_dir[0] != '/')
		return pn_error(err, PN_E_STATE, EINVAL,
				"container %s: rootfs, bundle and logDir must be absolute paths", c->name);
	pathf(buf, sizeof(buf), "%s/containers/%s", S.pod_dir, c->id);
	if (pn_mkdir_p(buf, 0755) < 0)
		return pn_error(err, PN_E_STATE, errno, "create %s", buf);
	/* A re-created sandbox goes on with the attempts' numbering: the last
	 * attempt's log becomes the previous one (logs --previous). */
	if (c->restart_count > 0) {
		pathf(c->log_path, sizeof(c->log_path), "%s/%d.log", c->log_dir, c->restart_count - 1);
		if (c->done || access(c->log_path, F_OK) < 0)
			c->log_path[0] = '\0';
	}
	if (c->done) {
		pathf(buf, sizeof(buf), "%s/%d.log", c->log_dir, c->restart_count);
		if (access(buf, F_OK) == 0)
			snprintf(c->log_path, sizeof(c->log_path), "%s", buf);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pod-dir", required_argument, NULL, 'd' },
		{ "root", required_argument, NULL, 'r' },
		{ "runtime", required_argument, NULL, 'R' },
		{ "runtime-root", required_argument, NULL, 'S' },
		{ "pod-uid", required_argument, NULL, 'u' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pod_dir = NULL, *root = getenv("PODNET_ROOT"), *runtime = NULL;
	const char *rt_root = NULL, *uid = NULL;
	char *rp = NULL, *rn = NULL, *why = NULL, plan_path[PATH_MAX + 16], lock_path[PATH_MAX + 16];
	struct pn_err err = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	bool foreground = false;
	int notify = -1, lock = -1, o, ret;
	sigset_t mask;

	/* One malloc arena: the shim is single-threaded, but libcurl's
	 * threaded resolver (httpGet probes) would give each of its threads
	 * an arena of its own, 64 MB of address space and its pages. */
	mallopt(M_ARENA_MAX, 1);
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': pod_dir = optarg; break;
		case 'r': root = optarg; break;
		case 'R': runtime = optarg; break;
		case 'S': rt_root = optarg; break;
		case 'u': uid = optarg; break;
		case 'f': foreground = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!pod_dir || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	S.start_ns = now_ns();
	rfc3339_now(S.started_at);
	S.state = "starting";
	S.sfd = S.epfd = -1;
	if (!root || !*root)
		root = "/var/lib/podnet";
	if (!realpath(pod_dir, S.pod_dir)) {
		fprintf(stderr, "podnet-shim: pod directory %s: %s\n", pod_dir, strerror(errno));
		return EXIT_SETUP;
	}
	pathf(plan_path, sizeof(plan_path), "%s/plan.json", S.pod_dir);
	if (shim_plan_load(plan_path, &S.plan, &err) < 0) {
		fprintf(stderr, "podnet-shim: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		return EXIT_SETUP;
	}
	if (uid && strcmp(uid, S.plan.pod_uid)) {
		fprintf(stderr, "podnet-shim: --pod-uid %s does not match the plan's %s\n", uid,
			S.plan.pod_uid);
		ret = EXIT_SETUP;
		goto out;
	}
	if (!S.plan.hostname) {
		S.plan.hostname = strdup(S.plan.pod_name ? S.plan.pod_name : S.plan.sandbox_id);
		if (!S.plan.hostname) {
			ret = EXIT_SETUP;
			goto out;
		}
	}
	ret = runtime ? oci_runtime_resolve(runtime, &rp, &rn, &err)
		      : oci_runtime_detect(&rp, &rn, &why, &err);
	if (ret < 0) {
		fprintf(stderr, "podnet-shim: %s\n", pn_err_msg(&err));
		ret = EXIT_SETUP;
		goto out;
	}
	snprintf(S.rt_path, sizeof(S.rt_path), "%s", rp);
	if (rt_root)
		snprintf(S.rt_root, sizeof(S.rt_root), "%s", rt_root);
	else
		snprintf(S.rt_root, sizeof(S.rt_root), "%s/runtime", root);
	S.rt.path = S.rt_path;
	S.rt.root = S.rt_root;
	for (size_t i = 0; i < S.plan.n_ctrs; i++)
		if (setup_paths(&S.plan.ctrs[i], &err) < 0) {
			fprintf(stderr, "podnet-shim: %s\n", pn_err_msg(&err));
			ret = EXIT_SETUP;
			goto out;
		}

	/* One monitor per pod: the lock is taken before forking, so the CLI
	 * hears about a second one at once; the monitor inherits the open
	 * file description, hence the lock, for its whole life. */
	/* Blocked before the lock is taken: whoever sees the shim alive (its
	 * lock held) may signal it, and SIGUSR1/SIGUSR2's default action
	 * would kill it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	pathf(lock_path, sizeof(lock_path), "%s/shim.lock", S.pod_dir);
	lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "podnet-shim: %s: %s\n", lock_path,
			errno == EWOULDBLOCK ? "a shim already runs this pod" : strerror(errno));
		ret = EXIT_SETUP;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A log over RLIMIT_FSIZE: the write fails with EFBIG (the line is
	 * dropped, see crilog_file) instead of the signal killing us. */
	signal(SIGXFSZ, SIG_IGN);
	if (!foreground && daemonize(&notify) < 0) {
		ret = EXIT_SETUP;
		goto out;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		ret = pn_error(&err, PN_E_KERNEL, errno, "PR_SET_CHILD_SUBREAPER");
		goto fail;
	}
	S.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	S.epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u64 = 0;
	if (S.sfd < 0 || S.epfd < 0 || epoll_ctl(S.epfd, EPOLL_CTL_ADD, S.sfd, &ev) < 0) {
		ret = pn_error(&err, PN_E_KERNEL, errno, "signalfd/epoll");
		goto fail;
	}
	ret = prober_init(S.epfd, &S.rt, S.plan.pod_ip, &err);
	if (ret < 0)
		goto fail;
	shim_log("pod %s: runtime %s%s%s, state %s", S.plan.pod_uid, S.rt_path, why ? " — " : "",
		 why ? why : "", S.rt_root);
	if (pn_boot_id(S.boot_id, sizeof(S.boot_id)) < 0)
		S.boot_id[0] = '\0';
	/* The pod's events so far (a re-created sandbox's SandboxChanged):
	 * kept, not overwritten by this shim's first one. */
	{
		char ev_path[PATH_MAX + 16];
		json_t *doc;

		pathf(ev_path, sizeof(ev_path), "%s/events.json", S.pod_dir);
		doc = json_load_file(ev_path, 0, NULL);
		if (json_is_array(json_object_get(doc, "events")))
			S.events = json_incref(json_object_get(doc, "events"));
		json_decref(doc);
	}
	/* Before any runtime runs: whoever finds this shim dead reads here
	 * where the pod's processes are. */
	cgroup_dirs();
	write_shim_json();
	ret = write_etc_files(&err);
	if (ret < 0)
		goto fail;
	ret = pause_start(&err);
	if (ret < 0)
		goto fail;
	pn_fault_point("shim.pause-started");
	write_shim_json();
	for (size_t i = 0; i < S.plan.n_ctrs; i++) {
		struct shim_ctr *c = &S.plan.ctrs[i];

		/* Ended in an earlier sandbox of the pod, for good. */
		c->state = c->done ? CS_EXITED : CS_CREATED;
		if (!c->done)
			snprintf(c->reason, sizeof(c->reason), "ContainerCreating");
		write_status(c);
	}
	ctr_start_all();
	S.startup_ms = (long)((now_ns() - S.start_ns) / 1000000);
	S.ready = true;
	S.state = "running";
	write_shim_json();
	shim_log("pod started in %ld ms", S.startup_ms);
	notify_parent(notify, "ok %d\n", (int)getpid());
	notify = -1;
	/* Startup's garbage (the plan's JSON, the runtimes' output, bundle
	 * documents) is freed: give its pages back (malloc_trim(3) also
	 * releases whole free pages inside the heap, not only its top). */
	malloc_trim(0);

	run_loop();
	stop_finish();
	S.state = "stopped";
	S.ready = false;
	write_shim_json();
	shim_log("pod stopped");
	ret = S.exit_code;
	goto out;
fail:
	shim_log("%s%s%s", pn_err_msg(&err), err.details ? ": " : "", pn_err_details_text(&err));
	snprintf(S.message, sizeof(S.message), "%s", pn_err_msg(&err));
	notify_parent(notify, "%s\n", pn_err_msg(&err));
	notify = -1;
	if (S.pause_running || S.pause_pid)
		pause_stop();
	cgroup_cleanup();
	S.state = "failed";
	write_shim_json();
	ret = EXIT_SETUP;
out:
	if (foreground && ret == EXIT_SETUP && S.message[0])
		fprintf(stderr, "podnet-shim: %s\n", S.message);
	if (S.sfd >= 0)
		close(S.sfd);
	if (S.epfd >= 0)
		close(S.epfd);
	if (lock >= 0)
		close(lock);
	free(rp);
	free(rn);
	free(why);
	if (S.state && strcmp(S.state, "starting"))
		shim_log("exit %d", ret);
	prober_fini();
	json_decref(S.events);
	json_decref(S.cgroups);
	shim_plan_free(&S.plan);
	pn_err_free(&err);
	return ret;
}
