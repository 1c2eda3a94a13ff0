/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI bundle generation and runtime invocation.  The bundle mirrors what
 * containerd's CRI plugin generates for a Kubernetes container (default
 * mounts, capabilities, masked and read-only paths), with the pod's
 * namespaces given as paths to join.
 */
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "file.h"
#include "log.h"

/* ---------------------------------------------------------------- detect */

static bool is_executable(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* Look @name up in $PATH (plus the sbin directories a non-login root shell
 * may lack: Debian installs runc in /usr/sbin).  Heap path or NULL. */
static char *find_in_path(const char *name)
{
	const char *env = getenv("PATH");
	char *dirs = NULL, *save = NULL, *d, *found = NULL;
	char buf[PATH_MAX];

	if (asprintf(&dirs, "%s:/usr/local/sbin:/usr/sbin:/sbin", env && *env ? env : OCI_DEFAULT_PATH) < 0)
		return NULL;
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (snprintf(buf, sizeof(buf), "%s/%s", d, name) >= (int)sizeof(buf))
			continue;
		if (is_executable(buf)) {
			found = strdup(buf);
			break;
		}
	}
	free(dirs);
	return found;
}

int oci_runtime_resolve(const char *want, char **path, char **name, struct pn_err *err)
{
	char *p = NULL, *n = NULL;
	const char *base;
	int ret;

	if (!want || !*want) {
		ret = pn_error(err, PN_E_OCI_RUNTIME, EINVAL, "empty OCI runtime name");
		goto out;
	}
	if (strchr(want, '/')) {
		if (!is_executable(want)) {
			ret = pn_error(err, PN_E_OCI_RUNTIME, ENOENT,
				       "OCI runtime %s is not an executable file", want);
			goto out;
		}
		p = strdup(want);
	} else {
		p = find_in_path(want);
		if (!p) {
			ret = pn_error(err, PN_E_OCI_RUNTIME, ENOENT,
				       "OCI runtime \"%s\" not found in $PATH", want);
			goto out;
		}
	}
	base = strrchr(want, '/');
	n = strdup(base ? base + 1 : want);
	if (!p || !n) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	*path = p;
	*name = n;
	p = n = NULL;
	ret = 0;
out:
	free(p);
	free(n);
	return ret;
}

/*
 * crun 1.8 (libcrun/cgroup.c) stops with "cgroups in hybrid mode not
 * supported, drop all controllers from cgroupv2" when /sys/fs/cgroup is a
 * v1 tmpfs and the v2 hierarchy mounted at /sys/fs/cgroup/unified has any
 * controller.  Reading the same file gives the same answer without starting
 * a container.  Returns true and fills @ctrls when that is the case.
 */
static bool cgroup_hybrid_with_controllers(char *ctrls, size_t size)
{
	char buf[256];

	if (pn_read_file("/sys/fs/cgroup/unified/cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	if (!buf[0])
		return false;
	snprintf(ctrls, size, "%s", buf);
	return true;
}

int oci_runtime_detect(char **path, char **name, char **why, struct pn_err *err)
{
	const char *env = getenv("PODNET_RUNTIME");
	char *p = NULL, *n = NULL, *w = NULL;
	char ctrls[256];
	int ret;

	if (env && *env) {
		ret = oci_runtime_resolve(env, &p, &n, err);
		if (ret < 0) {
			pn_err_prefix(err, "PODNET_RUNTIME");
			goto out;
		}
		if (asprintf(&w, "%s chosen by PODNET_RUNTIME", p) < 0)
			w = NULL;
	} else if ((p = find_in_path("crun")) &&
		   !cgroup_hybrid_with_controllers(ctrls, sizeof(ctrls))) {
		n = strdup("crun");
		if (asprintf(&w, "%s: crun is preferred and this host's cgroups suit it", p) < 0)
			w = NULL;
	} else {
		bool had_crun = p != NULL;

		free(p);
		p = find_in_path("runc");
		if (!p) {
			ret = pn_error(err, PN_E_OCI_RUNTIME, ENOENT,
				       "no usable OCI runtime: %s and runc is not installed",
				       had_crun ? "crun refuses this host's hybrid cgroups"
						: "neither crun nor runc is in $PATH");
			goto out;
		}
		n = strdup("runc");
		if (had_crun) {
			if (asprintf(&w,
				     "%s: crun refuses hybrid cgroup hosts whose v2 hierarchy has "
				     "controllers (/sys/fs/cgroup/unified/cgroup.controllers: %s)",
				     p, ctrls) < 0)
				w = NULL;
		} else if (asprintf(&w, "%s: crun is not installed", p) < 0) {
			w = NULL;
		}
	}
	if (!p || !n || !w) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	*path = p;
	*name = n;
	*why = w;
	p = n = w = NULL;
	ret = 0;
out:
	free(p);
	free(n);
	free(w);
	return ret;
}

/* --------------------------------------------------------------- bundle */

static const char *const ns_names[OCI_NS__COUNT] = {
	[OCI_NS_PID] = "pid",       [OCI_NS_NETWORK] = "network", [OCI_NS_IPC] = "ipc",
	[OCI_NS_UTS] = "uts",       [OCI_NS_MOUNT] = "mount",     [OCI_NS_CGROUP] = "cgroup",
};

const char *oci_ns_name(enum oci_ns_type t)
{
	return (unsigned)t < OCI_NS__COUNT ? ns_names[t] : "?";
}

/* containerd's defaultUnixCaps (pkg/oci/spec.go): docker's historical set. */
static const char *const default_caps[] = {
	"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",      "CAP_FOWNER",
	"CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",      "CAP_SETUID",
	"CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
	"CAP_KILL",   "CAP_AUDIT_WRITE",  NULL,
};

/* containerd's defaults: paths that leak host information or allow
 * host-wide changes are hidden (bind of /dev/null or an empty ro tmpfs)
 * or made read-only. */
static const char *const masked_paths[] = {
	"/proc/acpi",      "/proc/asound",      "/proc/kcore",       "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",      "/sys/firmware",     "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static json_t *strv(const char *const *v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		if (json_array_append_new(a, json_string(*v)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int add_mount(json_t *mounts, const char *dst, const char *type, const char *src,
		     const char *const *opts)
{
	json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dst, "type", type, "source", src);

	if (!m)
		return -ENOMEM;
	if (opts && json_object_set_new(m, "options", strv(opts)) < 0) {
		json_decref(m);
		return -ENOMEM;
	}
	return json_array_append_new(mounts, m) < 0 ? -ENOMEM : 0;
}

static bool env_has(const char *const *env, const char *name)
{
	size_t l = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, l) && (*env)[l] == '=')
			return true;
	return false;
}

static json_t *build_env(const struct oci_spec *s)
{
	json_t *a = json_array();
	char *h = NULL;

	if (!a)
		return NULL;
	/* Images normally set PATH; the host image has none, and a missing PATH
	 * makes runc's lookup of a bare command fail, so supply containerd's
	 * default unless the spec gives one.  kubelet adds HOSTNAME. */
	if (!env_has(s->env, "PATH") &&
	    json_array_append_new(a, json_string("PATH=" OCI_DEFAULT_PATH)) < 0)
		goto fail;
	if (s->hostname && !env_has(s->env, "HOSTNAME")) {
		if (asprintf(&h, "HOSTNAME=%s", s->hostname) < 0) {
			h = NULL;
			goto fail;
		}
		if (json_array_append_new(a, json_string(h)) < 0)
			goto fail;
	}
	for (const char *const *e = s->env; e && *e; e++)
		if (json_array_append_new(a, json_string(*e)) < 0)
			goto fail;
	free(h);
	return a;
fail:
	free(h);
	json_decref(a);
	return NULL;
}

static json_t *build_mounts(const struct oci_spec *s)
{
	static const char *const proc_o[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const dev_o[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
	static const char *const pts_o[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
					     "mode=0620", "gid=5", NULL };
	static const char *const shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const mq_o[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys_o[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cg_o[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
	static const char *const etc_o[] = { "rbind", "rprivate", "rw", NULL };
	json_t *m = json_array();
	int r = 0;

	if (!m)
		return NULL;
	r |= add_mount(m, "/proc", "proc", "proc", proc_o);
	r |= add_mount(m, "/dev", "tmpfs", "tmpfs", dev_o);
	r |= add_mount(m, "/dev/pts", "devpts", "devpts", pts_o);
	r |= add_mount(m, "/dev/shm", "tmpfs", "shm", shm_o);
	/* mqueue is mounted by the runtime after it joined the ipc namespace,
	 * so it shows the pod's queues (ipc_ns of the mounting task). */
	r |= add_mount(m, "/dev/mqueue", "mqueue", "mqueue", mq_o);
	/* sysfs shows the network devices of the mounting task's netns, and
	 * the kernel allows the mount to a task with CAP_SYS_ADMIN over that
	 * netns's user namespace (kobj_ns_current_may_mount).  Our containers
	 * run as real root with no user namespace, so sysfs mounts for a new,
	 * a joined or the host netns alike; only rootless runc needs its
	 * rbind-/sys fallback. */
	r |= add_mount(m, "/sys", "sysfs", "sysfs", sys_o);
	r |= add_mount(m, "/sys/fs/cgroup", "cgroup", "cgroup", cg_o);
	if (s->etc_hosts)
		r |= add_mount(m, "/etc/hosts", "bind", s->etc_hosts, etc_o);
	if (s->etc_resolv_conf)
		r |= add_mount(m, "/etc/resolv.conf", "bind", s->etc_resolv_conf, etc_o);
	if (s->etc_hostname)
		r |= add_mount(m, "/etc/hostname", "bind", s->etc_hostname, etc_o);
	for (size_t i = 0; i < s->n_mounts; i++)
		r |= add_mount(m, s->mounts[i].destination, s->mounts[i].type, s->mounts[i].source,
			       s->mounts[i].options);
	if (r) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static json_t *build_namespaces(const struct oci_spec *s)
{
	json_t *a = json_array();

	for (int t = 0; a && t < OCI_NS__COUNT; t++) {
		json_t *o;

		if (s->ns[t].mode == OCI_NS_HOST)
			continue;
		o = json_pack("{s:s}", "type", ns_names[t]);
		if (o && s->ns[t].mode == OCI_NS_JOIN &&
		    json_object_set_new(o, "path", json_string(s->ns[t].path)) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int validate_spec(const struct oci_spec *s, struct pn_err *err)
{
	if (!s->rootfs || !*s->rootfs)
		return pn_error(err, PN_E_OCI_RUNTIME, EINVAL, "bundle: no rootfs");
	if (!s->args || !s->args[0] || !*s->args[0])
		return pn_error(err, PN_E_OCI_RUNTIME, EINVAL, "bundle: no process args");
	if (s->cwd && s->cwd[0] != '/')
		return pn_error(err, PN_E_OCI_RUNTIME, EINVAL,
				"bundle: cwd \"%s\" is not absolute (runtime-spec: process.cwd)", s->cwd);
	for (int t = 0; t < OCI_NS__COUNT; t++)
		if (s->ns[t].mode == OCI_NS_JOIN && (!s->ns[t].path || s->ns[t].path[0] != '/'))
			return pn_error(err, PN_E_OCI_RUNTIME, EINVAL,
					"bundle: %s namespace to join has no absolute path", ns_names[t]);
	if (s->ns[OCI_NS_MOUNT].mode != OCI_NS_NEW)
		return pn_error(err, PN_E_OCI_RUNTIME, EINVAL,
				"bundle: a container needs its own mount namespace");
	return 0;
}

int oci_bundle_write(const struct oci_spec *s, const char *bundle_dir, struct pn_err *err)
{
	json_t *root = NULL, *process = NULL, *linux_ = NULL, *caps = NULL;
	char *path = NULL;
	int ret;

	ret = validate_spec(s, err);
	if (ret < 0)
		goto out;
	if (asprintf(&path, "%s/config.json", bundle_dir) < 0) {
		path = NULL;
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}

	caps = json_pack("{s:o, s:o, s:o}", "bounding", strv(default_caps), "effective",
			 strv(default_caps), "permitted", strv(default_caps));
	process = json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:b}", "terminal", s->terminal,
			    "user", "uid", 0, "gid", 0, "args", strv(s->args), "env", build_env(s),
			    "cwd", s->cwd ? s->cwd : "/", "capabilities", caps, "noNewPrivileges", 0);
	caps = NULL; /* "o" stole it, even on failure */
	if (process && s->nofile) {
		json_t *rl = json_pack("[{s:s, s:I, s:I}]", "type", "RLIMIT_NOFILE", "hard",
				       (json_int_t)s->nofile, "soft", (json_int_t)s->nofile);

		if (!rl || json_object_set_new(process, "rlimits", rl) < 0) {
			json_decref(process);
			process = NULL;
		}
	}
	/*
	 * No seccomp profile: Kubernetes runs a container Unconfined unless
	 * the pod asks for RuntimeDefault (or kubelet's SeccompDefault is on),
	 * and podnet ships no profile of its own.  The device cgroup denies
	 * everything; the runtime adds the default devices (null, zero, full,
	 * tty, urandom, random, ptmx) on top, as with containerd.
	 */
	linux_ = json_pack("{s:o, s:{s:[{s:b, s:s}]}, s:o, s:o}", "namespaces", build_namespaces(s),
			   "resources", "devices", "allow", 0, "access", "rwm", "maskedPaths",
			   strv(masked_paths), "readonlyPaths", strv(readonly_paths));
	if (linux_ && s->cgroups_path &&
	    json_object_set_new(linux_, "cgroupsPath", json_string(s->cgroups_path)) < 0) {
		json_decref(linux_);
		linux_ = NULL;
	}
	root = json_pack("{s:s, s:o, s:{s:s, s:b}, s:o, s:o}", "ociVersion", "1.0.2", "process",
			 process, "root", "path", s->rootfs, "readonly", s->rootfs_readonly,
			 "mounts", build_mounts(s), "linux", linux_);
	process = linux_ = NULL;
	/* runc refuses a hostname without a private UTS namespace, and a
	 * joined one (the pause's) already carries the pod's hostname. */
	if (root && s->hostname && s->ns[OCI_NS_UTS].mode == OCI_NS_NEW &&
	    json_object_set_new(root, "hostname", json_string(s->hostname)) < 0) {
		json_decref(root);
		root = NULL;
	}
	if (!root) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "building %s (a string is not valid UTF-8?)",
			       path);
		goto out;
	}
	/* Atomic: a runtime never reads half a config.json.  A failure is
	 * the file system's (PN_E_STATE), not the runtime's. */
	ret = pn_json_file_replace(path, root, JSON_INDENT(2) | JSON_PRESERVE_ORDER, 0644,
				   PN_E_STATE, err);
	if (ret < 0)
		goto out;
	ret = 0;
out:
	json_decref(caps);
	json_decref(process);
	json_decref(linux_);
	json_decref(root);
	free(path);
	return ret;
}

/* -------------------------------------------------------------- runtime */

const char *oci_status_name(enum oci_status s)
{
	static const char *const names[] = { "unknown", "creating", "created", "running", "paused",
					     "stopped" };

	return PN_ENUM_NAME(names, s, "unknown");
}

static enum oci_status status_parse(const char *s)
{
	if (!s)
		return OCI_UNKNOWN;
	for (int i = OCI_CREATING; i <= OCI_STOPPED; i++)
		if (!strcmp(s, oci_status_name((enum oci_status)i)))
			return (enum oci_status)i;
	return OCI_UNKNOWN;
}

/*
 * One runtime invocation.  @argv is the runtime's arguments after the
 * global options.  The runtime logs to a private JSON file (--log,
 * --log-format json: both runc and crun), so its error text can be told
 * apart from the container's own output that shares stdio with it.
 * @capture (may be NULL) receives the runtime's stdout.  Returns 0 with
 * *status (wait status), or -errno when it could not be run.
 */
struct rt_call {
	const struct oci_rt *rt;
	const char *const *argv;      /* needed until rt_call_spawn() returns */
	const struct oci_stdio *io;   /* idem */
	char **capture;
	int status;
	char errmsg[400]; /* last "error"/"fatal" line of the runtime's log */
	/* between rt_call_spawn() and rt_call_finish() */
	struct pn_child child;
	int logfd;
	bool log_unnamed;  /* O_TMPFILE: logpath is /proc/<pid>/fd/<logfd> */
	char logpath[PATH_MAX];
};

static void read_runtime_log(int fd, char *msg, size_t size)
{
	int dfd = fd >= 0 ? dup(fd) : -1;
	FILE *f = dfd >= 0 && lseek(dfd, 0, SEEK_SET) == 0 ? fdopen(dfd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0;

	msg[0] = '\0';
	if (!f) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *lvl = json_string_value(json_object_get(j, "level"));
		const char *m = json_string_value(json_object_get(j, "msg"));

		/* crun also writes "warning" lines; keep the last error. */
		if (lvl && m && (!strcmp(lvl, "error") || !strcmp(lvl, "fatal")))
			snprintf(msg, size, "%s", m);
		json_decref(j);
	}
	free(line);
	fclose(f);
}

/*
 * Start the runtime: on success (0) it runs as c->pid and rt_call_finish()
 * must follow; on failure (-errno) nothing is left to clean up.
 */
static int rt_call_spawn(struct rt_call *c, struct pn_err *err)
{
	const char **argv = NULL;
	struct pn_spawn sp = { .path = c->rt->path, .code = PN_E_OCI_RUNTIME };
	const struct oci_stdio none = { -1, -1, -1 };
	const struct oci_stdio *io = c->io ? c->io : &none;
	size_t n = 0;
	int ret;

	c->errmsg[0] = '\0';
	c->status = 0;
	c->logfd = -1;
	c->logpath[0] = '\0';
	if (mkdir(c->rt->root, 0700) < 0 && errno != EEXIST) {
		ret = pn_error(err, PN_E_OCI_RUNTIME, errno, "create runtime root %s", c->rt->root);
		goto out;
	}
	/*
	 * The runtime's --log: a file without a name (O_TMPFILE) that the
	 * runtime opens through /proc/<our pid>/fd/<n>, so a caller killed
	 * mid-call leaves nothing behind; a named temp file where the
	 * filesystem has no O_TMPFILE.
	 */
	c->logfd = open(c->rt->root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (c->logfd >= 0) {
		snprintf(c->logpath, sizeof(c->logpath), "/proc/%d/fd/%d", (int)getpid(), c->logfd);
		c->log_unnamed = true;
	} else {
		if (snprintf(c->logpath, sizeof(c->logpath), "%s/.log-XXXXXX", c->rt->root) >=
		    (int)sizeof(c->logpath)) {
			c->logpath[0] = '\0';
			ret = pn_error(err, PN_E_OCI_RUNTIME, ENAMETOOLONG, "runtime root %s",
				       c->rt->root);
			goto out;
		}
		c->logfd = mkostemp(c->logpath, O_CLOEXEC);
		if (c->logfd < 0) {
			ret = pn_error(err, PN_E_OCI_RUNTIME, errno, "create runtime log in %s",
				       c->rt->root);
			goto out;
		}
	}
	for (const char *const *a = c->argv; *a; a++)
		n++;
	argv = calloc(n + 8, sizeof(*argv));
	if (!argv) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	n = 0;
	argv[n++] = c->rt->path;
	argv[n++] = "--root";
	argv[n++] = c->rt->root;
	argv[n++] = "--log";
	argv[n++] = c->logpath;
	argv[n++] = "--log-format";
	argv[n++] = "json";
	for (const char *const *a = c->argv; *a; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	sp.argv = (char *const *)argv;
	sp.in = io->in >= 0 ? PN_STDIO_FD : PN_STDIO_NULL;
	sp.out = c->capture ? PN_STDIO_PIPE : io->out >= 0 ? PN_STDIO_FD : PN_STDIO_NULL;
	sp.err = io->err >= 0 ? PN_STDIO_FD : PN_STDIO_NULL;
	sp.in_fd = io->in;
	sp.out_fd = io->out;
	sp.err_fd = io->err;
	/* The child starts with no signal blocked or ignored, whatever the
	 * shim does with its own (child.h): the containers inherit that. */
	ret = pn_spawn_start(&sp, &c->child, err);
out:
	if (ret < 0 && c->logfd >= 0) {
		close(c->logfd);
		if (!c->log_unnamed)
			unlink(c->logpath);
		c->logfd = -1;
	}
	free(argv);
	return ret;
}

/* Collect a spawned runtime: its output (@capture), its wait status (by
 * PID: never another child's) and its log's error line. */
static int rt_call_finish(struct rt_call *c, struct pn_err *err)
{
	struct pn_proc_result r;
	int ret = pn_child_wait(&c->child, &r, err);

	c->status = r.status;
	if (c->capture) {
		*c->capture = r.out;
		r.out = NULL;
	}
	pn_proc_result_free(&r);
	read_runtime_log(c->logfd, c->errmsg, sizeof(c->errmsg));
	close(c->logfd);
	if (!c->log_unnamed)
		unlink(c->logpath);
	c->logfd = -1;
	return ret;
}

static int rt_call_run(struct rt_call *c, struct pn_err *err)
{
	int ret = rt_call_spawn(c, err);

	return ret < 0 ? ret : rt_call_finish(c, err);
}

/* Turn a failed call into an error: the runtime's own message first. */
static int rt_failed(const struct rt_call *c, const char *what, const char *id, struct pn_err *err)
{
	const char *base = strrchr(c->rt->path, '/');
	int errnum = EIO;

	base = base ? base + 1 : c->rt->path;
	if (strstr(c->errmsg, "does not exist") || strstr(c->errmsg, "not found"))
		errnum = ENOENT;
	if (c->errmsg[0])
		return pn_error(err, PN_E_OCI_RUNTIME, errnum, "%s %s %s: %s", base, what, id,
				c->errmsg);
	if (WIFSIGNALED(c->status))
		return pn_error(err, PN_E_OCI_RUNTIME, EIO, "%s %s %s: killed by signal %d", base, what,
				id, WTERMSIG(c->status));
	return pn_error(err, PN_E_OCI_RUNTIME, EIO, "%s %s %s: exit status %d", base, what, id,
			WEXITSTATUS(c->status));
}

static bool call_ok(const struct rt_call *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

static int read_pid_file(const char *path, pid_t *pid, struct pn_err *err)
{
	char buf[32];
	char *end;
	long v;
	int ret;

	ret = pn_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return pn_error(err, PN_E_OCI_RUNTIME, -ret, "read pid file %s", path);
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || v <= 0 || v > INT_MAX)
		return pn_error(err, PN_E_OCI_RUNTIME, EINVAL, "pid file %s holds \"%s\"", path, buf);
	*pid = (pid_t)v;
	return 0;
}

/* A `create` or `run` writes its --pid-file in the runtime root, beside
 * the state dirs (oci_pid_file_id()). */
#define PID_FILE_SUFFIX ".pid"

/* A `create` or `run --detach` between its start and its wait. */
struct oci_pending {
	struct rt_call c;
	const char *verb; /* static string */
	char *id;
	char pidfile[PATH_MAX];
};

static int create_or_run_start(const struct oci_rt *rt, const char *verb, const char *id,
			       const char *bundle, const struct oci_stdio *io,
			       struct oci_pending **out, struct pn_err *err)
{
	struct oci_pending *p = calloc(1, sizeof(*p));
	int ret;

	*out = NULL;
	if (!p || !(p->id = strdup(id))) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	p->verb = verb;
	if (snprintf(p->pidfile, sizeof(p->pidfile), "%s/%s" PID_FILE_SUFFIX, rt->root, id) >=
	    (int)sizeof(p->pidfile)) {
		ret = pn_error(err, PN_E_OCI_RUNTIME, ENAMETOOLONG, "pid file path for %s", id);
		goto fail;
	}
	{
		const char *run_argv[] = { verb, "--detach", "--bundle", bundle, "--pid-file",
					   p->pidfile, id, NULL };
		const char *create_argv[] = { verb, "--bundle", bundle, "--pid-file", p->pidfile, id,
					      NULL };

		p->c.rt = rt;
		p->c.io = io;
		p->c.argv = strcmp(verb, "run") ? create_argv : run_argv;
		unlink(p->pidfile);
		ret = rt_call_spawn(&p->c, err);
		p->c.argv = NULL;
		p->c.io = NULL;
	}
	if (ret < 0) {
		unlink(p->pidfile);
		goto fail;
	}
	*out = p;
	return 0;
fail:
	if (p)
		free(p->id);
	free(p);
	return ret;
}

static int create_or_run_wait(struct oci_pending *p, pid_t *pid, struct pn_err *err)
{
	int ret = rt_call_finish(&p->c, err);

	if (ret < 0)
		goto out;
	if (!call_ok(&p->c)) {
		ret = rt_failed(&p->c, p->verb, p->id, err);
		goto out;
	}
	ret = pid ? read_pid_file(p->pidfile, pid, err) : 0;
out:
	unlink(p->pidfile);
	free(p->id);
	free(p);
	return ret;
}

static int create_or_run(const struct oci_rt *rt, const char *verb, const char *id,
			 const char *bundle, const struct oci_stdio *io, pid_t *pid,
			 struct pn_err *err)
{
	struct oci_pending *p;
	int ret = create_or_run_start(rt, verb, id, bundle, io, &p, err);

	return ret < 0 ? ret : create_or_run_wait(p, pid, err);
}

int oci_create(const struct oci_rt *rt, const char *id, const char *bundle,
	       const struct oci_stdio *io, pid_t *pid, struct pn_err *err)
{
	return create_or_run(rt, "create", id, bundle, io, pid, err);
}

int oci_run_detached(const struct oci_rt *rt, const char *id, const char *bundle,
		     const struct oci_stdio *io, pid_t *pid, struct pn_err *err)
{
	return create_or_run(rt, "run", id, bundle, io, pid, err);
}

int oci_run_detached_start(const struct oci_rt *rt, const char *id, const char *bundle,
			   const struct oci_stdio *io, struct oci_pending **p, struct pn_err *err)
{
	return create_or_run_start(rt, "run", id, bundle, io, p, err);
}

int oci_run_detached_wait(struct oci_pending *p, pid_t *pid, struct pn_err *err)
{
	return create_or_run_wait(p, pid, err);
}

static int simple_call(const struct oci_rt *rt, const char *what, const char *id,
		       const char *const *argv, struct pn_err *err)
{
	struct rt_call c = { .rt = rt, .argv = argv };
	int ret = rt_call_run(&c, err);

	if (ret < 0)
		return ret;
	return call_ok(&c) ? 0 : rt_failed(&c, what, id, err);
}

int oci_start(const struct oci_rt *rt, const char *id, struct pn_err *err)
{
	const char *argv[] = { "start", id, NULL };

	return simple_call(rt, "start", id, argv, err);
}

int oci_kill(const struct oci_rt *rt, const char *id, int sig, bool all, struct pn_err *err)
{
	char s[16];
	const char *argv[] = { "kill", all ? "--all" : id, all ? id : s, all ? s : NULL, NULL };

	snprintf(s, sizeof(s), "%d", sig);
	return simple_call(rt, "kill", id, argv, err);
}

size_t oci_window(void)
{
	const char *e = getenv("PODNET_RUNTIME_WINDOW");
	char *end;
	long v;

	if (e && *e) {
		v = strtol(e, &end, 10);
		if (!*end && v >= 1 && v <= 4096)
			return (size_t)v;
	}
	v = sysconf(_SC_NPROCESSORS_ONLN);
	return v >= 2 ? (size_t)v * 2 : 4;
}

/*
 * One verb for many containers at once: oci_window() runtimes run at a
 * time, each waited for by its PID in order, so stopping a pod of N
 * containers costs about N / window runtime calls, not N.  The first
 * failure is returned (an id that is already gone is none); the others
 * are only counted.
 */
static int many_calls(const struct oci_rt *rt, const char *what, const char *const *ids, size_t n,
		      const char *const *(*argv_of)(const char *id, void *ctx, const char **buf),
		      void *ctx, struct pn_err *err)
{
	struct rt_call *cs = n ? calloc(n, sizeof(*cs)) : NULL;
	const char **bufs = n ? calloc(n * 6, sizeof(*bufs)) : NULL;
	bool *started = n ? calloc(n, sizeof(*started)) : NULL;
	struct pn_err e = { 0 };
	int ret = 0;

	if (n && (!cs || !bufs || !started)) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0, win = oci_window(); i < n + win; i++) {
		if (i < n) {
			cs[i].rt = rt;
			cs[i].argv = argv_of(ids[i], ctx, bufs + i * 6);
			if (rt_call_spawn(&cs[i], &e) == 0) {
				started[i] = true;
			} else if (ret == 0) {
				ret = -(e.errnum ? e.errnum : EIO);
				pn_err_move(err, &e);
			}
			pn_err_free(&e);
		}
		if (i < win || !started[i - win])
			continue;
		if (rt_call_finish(&cs[i - win], &e) == 0 && !call_ok(&cs[i - win]))
			rt_failed(&cs[i - win], what, ids[i - win], &e);
		if (e.msg && e.errnum != ENOENT && ret == 0) {
			ret = -(e.errnum ? e.errnum : EIO);
			pn_err_move(err, &e);
		}
		pn_err_free(&e);
	}
out:
	free(cs);
	free(bufs);
	free(started);
	return ret;
}

static const char *const *delete_argv(const char *id, void *ctx, const char **buf)
{
	(void)ctx;
	buf[0] = "delete";
	buf[1] = "--force";
	buf[2] = id;
	buf[3] = NULL;
	return buf;
}

int oci_delete_many(const struct oci_rt *rt, const char *const *ids, size_t n,
		    struct pn_err *err)
{
	return many_calls(rt, "delete", ids, n, delete_argv, NULL, err);
}

static const char *const *kill_all_argv(const char *id, void *ctx, const char **buf)
{
	buf[0] = "kill";
	buf[1] = "--all";
	buf[2] = id;
	buf[3] = ctx;
	buf[4] = NULL;
	return buf;
}

int oci_kill_many(const struct oci_rt *rt, const char *const *ids, size_t n, int sig,
		  struct pn_err *err)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", sig);
	return many_calls(rt, "kill", ids, n, kill_all_argv, s, err);
}

int oci_delete(const struct oci_rt *rt, const char *id, bool force, struct pn_err *err)
{
	const char *argv[] = { "delete", force ? "--force" : id, force ? id : NULL, NULL };

	return simple_call(rt, "delete", id, argv, err);
}

bool oci_pid_file_id(const char *name, char *id, size_t n)
{
	size_t len = strlen(name);

	if (len <= strlen(PID_FILE_SUFFIX) || name[0] == '.' ||
	    strcmp(name + len - strlen(PID_FILE_SUFFIX), PID_FILE_SUFFIX))
		return false;
	len -= strlen(PID_FILE_SUFFIX);
	if (len >= n)
		return false;
	memcpy(id, name, len);
	id[len] = '\0';
	return true;
}

bool oci_pid_file_remove(const struct oci_rt *rt, const char *id)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s" PID_FILE_SUFFIX, rt->root, id) >=
	    (int)sizeof(path))
		return false;
	return unlink(path) == 0;
}

static void state_from_json(json_t *j, struct oci_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", json_string_value(json_object_get(j, "id")) ?: "");
	snprintf(st->bundle, sizeof(st->bundle), "%s",
		 json_string_value(json_object_get(j, "bundle")) ?: "");
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->status = status_parse(json_string_value(json_object_get(j, "status")));
}

int oci_state(const struct oci_rt *rt, const char *id, struct oci_state *st, struct pn_err *err)
{
	const char *argv[] = { "state", id, NULL };
	char *out = NULL;
	struct rt_call c = { .rt = rt, .argv = argv, .capture = &out };
	json_t *j = NULL;
	json_error_t je;
	int ret;

	ret = rt_call_run(&c, err);
	if (ret < 0)
		goto out;
	if (!call_ok(&c)) {
		ret = rt_failed(&c, "state", id, err);
		goto out;
	}
	j = json_loads(out, 0, &je);
	if (!json_is_object(j)) {
		ret = pn_error(err, PN_E_OCI_RUNTIME, EBADMSG, "runtime state of %s: %s", id, je.text);
		goto out;
	}
	state_from_json(j, st);
	ret = 0;
out:
	json_decref(j);
	free(out);
	return ret;
}

int oci_list(const struct oci_rt *rt, struct oci_state **out, size_t *n, struct pn_err *err)
{
	const char *argv[] = { "list", "--format", "json", NULL };
	char *buf = NULL;
	struct rt_call c = { .rt = rt, .argv = argv, .capture = &buf };
	struct oci_state *v = NULL;
	json_t *j = NULL;
	size_t len = 0;
	int ret;

	ret = rt_call_run(&c, err);
	if (ret < 0)
		goto out;
	if (!call_ok(&c)) {
		ret = rt_failed(&c, "list", "", err);
		goto out;
	}
	/* runc prints "null" for no containers. */
	j = json_loads(buf, JSON_DECODE_ANY, NULL);
	if (j && !json_is_null(j) && !json_is_array(j)) {
		ret = pn_error(err, PN_E_OCI_RUNTIME, EBADMSG, "runtime list: not a JSON array");
		goto out;
	}
	if (!j && buf[strspn(buf, " \t\n")]) {
		ret = pn_error(err, PN_E_OCI_RUNTIME, EBADMSG, "runtime list: invalid JSON");
		goto out;
	}
	len = json_is_array(j) ? json_array_size(j) : 0;
	v = calloc(len ? len : 1, sizeof(*v));
	if (!v) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < len; i++)
		state_from_json(json_array_get(j, i), &v[i]);
	*out = v;
	*n = len;
	v = NULL;
	ret = 0;
out:
	free(v);
	json_decref(j);
	free(buf);
	return ret;
}

/* exec's command line: the runtime's flags, the container, then the
 * process's argv (everything after the id, even "-x" words); and its
 * stdio, with no stdin unless the exec is interactive. */
static int exec_argv(const char *id, const struct oci_exec_opts *o, const char **argv, size_t max,
		     struct oci_stdio *io, struct pn_err *err)
{
	size_t n = 0;

	*io = o->io;
	if (!o->interactive)
		io->in = -1;

	argv[n++] = "exec";
	if (o->tty)
		argv[n++] = "--tty";
	if (o->cwd) {
		argv[n++] = "--cwd";
		argv[n++] = o->cwd;
	}
	for (const char *const *e = o->env; e && *e; e++) {
		if (n + 4 >= max)
			return pn_error(err, PN_E_OCI_RUNTIME, E2BIG, "exec: too many variables");
		argv[n++] = "--env";
		argv[n++] = *e;
	}
	if (o->pid_file) {
		argv[n++] = "--pid-file";
		argv[n++] = o->pid_file;
	}
	argv[n++] = id;
	for (const char *const *a = o->args; a && *a; a++) {
		if (n + 2 >= max)
			return pn_error(err, PN_E_OCI_RUNTIME, E2BIG, "exec: too many arguments");
		argv[n++] = *a;
	}
	argv[n] = NULL;
	if (!o->args || !o->args[0])
		return pn_error(err, PN_E_OCI_RUNTIME, EINVAL, "exec: no command");
	return 0;
}

/*
 * runc exec exits with the process's status, and 255 when it could not
 * start it; a process may exit 255 too, so the runtime's log (an error
 * line is written only for its own failures) decides.
 */
static int exec_result(const struct rt_call *c, const char *id, int *exit_code,
		       struct pn_err *err)
{
	if (c->errmsg[0]) {
		const char *base = strrchr(c->rt->path, '/');

		base = base ? base + 1 : c->rt->path;
		if (strstr(c->errmsg, "not found") || strstr(c->errmsg, "no such file")) {
			*exit_code = 127;
			return pn_error(err, PN_E_OCI_RUNTIME, ENOENT, "%s", c->errmsg);
		}
		*exit_code = 126;
		if (strstr(c->errmsg, "does not exist"))
			return pn_error(err, PN_E_OCI_RUNTIME, ESRCH, "%s exec %s: %s", base, id,
					c->errmsg);
		return pn_error(err, PN_E_OCI_RUNTIME,
				strstr(c->errmsg, "permission denied") ? EACCES : EIO, "%s", c->errmsg);
	}
	*exit_code = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
	return 0;
}

int oci_exec(const struct oci_rt *rt, const char *id, const struct oci_exec_opts *o,
	     int *exit_code, struct pn_err *err)
{
	const char *argv[256];
	struct oci_stdio io;
	struct rt_call c = { .rt = rt, .argv = argv, .io = &io };
	int ret;

	ret = exec_argv(id, o, argv, PN_ARRAY_SIZE(argv), &io, err);
	if (ret < 0)
		return ret;
	ret = rt_call_run(&c, err);
	if (ret < 0)
		return ret;
	return exec_result(&c, id, exit_code, err);
}

struct oci_exec_proc {
	struct rt_call c;
	char *id;
};

int oci_exec_start(const struct oci_rt *rt, const char *id, const struct oci_exec_opts *o,
		   pid_t *pid, struct oci_exec_proc **out, struct pn_err *err)
{
	const char *argv[256];
	struct oci_stdio io;
	struct oci_exec_proc *p;
	int ret;

	*out = NULL;
	ret = exec_argv(id, o, argv, PN_ARRAY_SIZE(argv), &io, err);
	if (ret < 0)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->id = strdup(id))) {
		free(p);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	p->c.rt = rt;
	p->c.argv = argv;
	p->c.io = &io;
	ret = rt_call_spawn(&p->c, err);
	p->c.argv = NULL;
	p->c.io = NULL;
	if (ret < 0) {
		free(p->id);
		free(p);
		return ret;
	}
	*pid = p->c.child.pid;
	*out = p;
	return 0;
}

int oci_exec_finish(struct oci_exec_proc *p, int wstatus, int *exit_code, struct pn_err *err)
{
	int ret;

	p->c.status = wstatus;
	read_runtime_log(p->c.logfd, p->c.errmsg, sizeof(p->c.errmsg));
	close(p->c.logfd);
	if (!p->c.log_unnamed)
		unlink(p->c.logpath);
	/* No pipes were asked for: only a pidfd (with a timeout) could be open. */
	if (p->c.child.pidfd >= 0)
		close(p->c.child.pidfd);
	ret = exec_result(&p->c, p->id, exit_code, err);
	free(p->id);
	free(p);
	return ret;
}

/* When @pid started, in seconds since the epoch (boot time plus its
 * start in clock ticks, proc(5) field 22); -1 when it is gone. */
static double proc_started(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0, btime = 0;
	FILE *f;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* after the command's closing parenthesis: field 3 on */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			    "%*d %*d %*d %*d %llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

int oci_exec_orphans_kill(const char *dir, size_t *killed, struct pn_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*killed = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return pn_error(err, PN_E_STATE, errno, "cannot read %s", dir);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char path[PATH_MAX], buf[32];
		struct stat sb;
		long pid = 0;
		double started;
		ssize_t n;
		int fd;

		if (len < 5 || strcmp(de->d_name + len - 4, ".pid"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = fstat(fd, &sb) == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			pid = strtol(buf, NULL, 10);
		}
		/* The runtime writes the file once the process exists: a
		 * process started more than a second (the clock's ticks and
		 * the file times' rounding) after that is another one. */
		started = pid > 1 ? proc_started((pid_t)pid) : -1;
		if (started >= 0 && started <= (double)sb.st_mtim.tv_sec + 1.0 &&
		    kill((pid_t)pid, SIGKILL) == 0) {
			pn_log(PN_LOG_INFO, "killed %ld, the process of an exec whose caller died", pid);
			(*killed)++;
		}
		unlink(path);
	}
	closedir(d);
	return 0;
}
