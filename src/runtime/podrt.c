/* SPDX-License-Identifier: Apache-2.0 */
#include "podrt.h"

/* Paths here are built from PODNET_ROOT, ids and names that are far below
 * PATH_MAX; a truncated one would only fail the syscall that uses it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "fault.h"
#include "cniclient.h"
#include "file.h"
#include "link.h"
#include "image.h"
#include "log.h"
#include "manifest.h"
#include "netns.h"
#include "nodeinfo.h"
#include "oci.h"
#include "rootfs.h"

#define POD_IFNAME "eth0"
#define DEFAULT_CONFLIST "10-podnet.conflist"
#define GRACE_MAX PODRT_GRACE_MAX_S
#define LIFECYCLE_LOCK "lifecycle.lock"
#define PODS_LOCK "pods.lock"
/* How long an update waits for the pod's shim to take its plan. */
#define UPDATE_TAKE_MAX_S 60

/*
 * The default network `podnet init` writes: the seed's picture, a node
 * bridge with one /16 of pod IPs, gateway on the bridge, masquerade out;
 * pods' ports isolated so that pod-to-pod traffic is routed through the
 * bridge, where NetworkPolicy is enforced with conntrack, and a pod can
 * send only with its own addresses (podnet-bridge(8), PORT ISOLATION).
 * cniVersion 1.0.0 for runtimes on libcni before 1.2 (Debian 12's
 * containerd 1.6), which refuse a 1.1.0 result; cniVersions lets libcni
 * 1.2 and later, and podnet itself, pick 1.1.0 and with it GC and STATUS
 * (SPEC 1.1.0 "Version considerations").  Both versions suit every plugin
 * of this list: they are podnet's own.
 */
static const char default_conflist[] =
	"{\n"
	"  \"cniVersion\": \"1.0.0\",\n"
	"  \"cniVersions\": [ \"1.0.0\", \"1.1.0\" ],\n"
	"  \"name\": \"podnet\",\n"
	"  \"plugins\": [\n"
	"    {\n"
	"      \"type\": \"podnet-bridge\",\n"
	"      \"bridge\": \"podnet0\",\n"
	"      \"isGateway\": true,\n"
	"      \"isDefaultGateway\": true,\n"
	"      \"ipMasq\": true,\n"
	"      \"hairpinMode\": true,\n"
	"      \"portIsolation\": true,\n"
	"      \"spoofCheck\": true,\n"
	"      \"ipam\": {\n"
	"        \"type\": \"podnet-ipam\",\n"
	"        \"ranges\": [ [ { \"subnet\": \"10.244.0.0/16\" } ] ]\n"
	"      }\n"
	"    }\n"
	"  ]\n"
	"}\n";


static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* rm -rf that never crosses into a mount (a container rootfs still mounted
 * must never have the node's files deleted through it). */
static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static char *self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return strdup("/usr/local/bin");
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return strdup(buf);
}

int podrt_open(struct podrt *rt, struct pn_err *err)
{
	int ret;

	rt->bin_dir = self_dir();
	if (!rt->bin_dir)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = pn_mkdir_p(rt->root, 0700);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "cannot create %s", rt->root);
	return store_open(rt->root, &rt->st, err);
}

void podrt_close(struct podrt *rt)
{
	store_close(rt->st);
	rt->st = NULL;
	free(rt->bin_dir);
	rt->bin_dir = NULL;
}

/* CNI_PATH as the runtime hands it to plugins: the user's, then the
 * directory podnet itself was run from (so an uninstalled build finds its
 * own plugins), then Debian's reference plugins. */
static const char *runtime_cni_path(struct podrt *rt, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%s:/usr/lib/cni", rt->cni_path, rt->bin_dir);
	return buf;
}

int podrt_init_cni(struct podrt *rt, bool *written, char **path_out, struct pn_err *err)
{
	struct cni_netlist *l = NULL;
	char path[PATH_MAX];
	int ret;

	*written = false;
	if (path_out)
		*path_out = NULL;
	ret = cniclient_load_conflist(rt->cni_conf_dir, NULL, &l, NULL);
	if (ret == 0) {
		if (path_out)
			*path_out = strdup(l->source);
		cni_netlist_free(l);
		return 0;
	}
	ret = pn_mkdir_p(rt->cni_conf_dir, 0755);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "cannot create %s", rt->cni_conf_dir);
	snprintf(path, sizeof(path), "%s/%s", rt->cni_conf_dir, DEFAULT_CONFLIST);
	/* Someone's file of that name that does not load is theirs to fix. */
	if (access(path, F_OK) == 0)
		return pn_error(err, PN_E_CONFLICT, EEXIST,
				"%s exists but is not a valid network configuration", path);
	/* Written aside and renamed into place: a runtime reading the
	 * directory (containerd watches it) never sees half of it, and a
	 * crash leaves no partial file behind. */
	ret = pn_file_replace(path, default_conflist, sizeof(default_conflist) - 1, 0644, PN_E_STATE,
			      err);
	if (ret < 0)
		return ret;
	*written = true;
	if (path_out)
		*path_out = strdup(path);
	return 0;
}

static json_t *read_json(const char *path)
{
	return json_load_file(path, 0, NULL);
}

/* Kubernetes' command/args over the image's entrypoint/cmd. */
static json_t *container_argv(const struct pn_container_spec *c, const struct image_info *img)
{
	json_t *a = json_array();
	char **head = c->command ? c->command : img->entrypoint;
	char **tail = c->command ? c->args : (c->args ? c->args : img->cmd);

	for (char **p = head; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	for (char **p = tail; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

static json_t *container_env(const struct pn_container_spec *c, const struct image_info *img)
{
	json_t *e = json_array();
	bool has_path = false;
	char buf[8192];

	for (char **p = img->env; p && *p; p++) {
		has_path |= !strncmp(*p, "PATH=", 5);
		json_array_append_new(e, json_string(*p));
	}
	if (!has_path)
		json_array_append_new(e, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	for (size_t i = 0; i < c->n_env; i++) {
		snprintf(buf, sizeof(buf), "%s=%s", c->env[i].name, c->env[i].value ? c->env[i].value : "");
		json_array_append_new(e, json_string(buf));
	}
	return e;
}

static void pod_dir_path(const struct podrt *rt, const char *uid, char *buf, size_t n)
{
	snprintf(buf, n, "%s/pods/%s", rt->root, uid);
}

/* Is the shim of @pod_dir alive?  It holds shim.lock for its whole life. */
static bool shim_alive(const char *pod_dir)
{
	char path[PATH_MAX];
	int fd;
	bool alive = false;

	snprintf(path, sizeof(path), "%s/shim.lock", pod_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		alive = true;
	close(fd);
	return alive;
}

static int load_netlist(struct podrt *rt, struct cni_netlist **l, struct pn_err *err)
{
	bool written;
	int ret;

	ret = podrt_init_cni(rt, &written, NULL, err);
	if (ret < 0)
		return ret;
	return cniclient_load_conflist(rt->cni_conf_dir, NULL, l, err);
}

static void cni_rt_for(const struct store_pod *sp, struct cniclient_rt *crt,
		       struct cniclient_kv kv[CNICLIENT_K8S_NARGS])
{
	memset(crt, 0, sizeof(*crt));
	crt->container_id = sp->sandbox_id;
	crt->netns = sp->netns_path;
	crt->ifname = POD_IFNAME;
	cniclient_rt_k8s_args(crt, kv, sp->namespace_, sp->name, sp->sandbox_id, sp->uid);
}

/* ---- the node as pods report it, and its events */

const char *podrt_node_name(struct podrt *rt)
{
	if (!rt->node_name) {
		gethostname(rt->node_buf, sizeof(rt->node_buf) - 1);
		/* kubelet registers under the host name in lower case. */
		for (char *p = rt->node_buf; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rt->node_name = rt->node_buf;
	}
	return rt->node_name;
}

const char *podrt_node_ip(struct podrt *rt)
{
	if (!rt->node_ip) {
		struct pn_err scratch = { 0 };

		if (nodeinfo_address(rt->ip_buf, &scratch) < 0)
			rt->ip_buf[0] = '\0';
		pn_err_free(&scratch);
		rt->node_ip = rt->ip_buf;
	}
	return rt->node_ip;
}

int podrt_event(struct podrt *rt, const struct store_pod *sp, const char *ctr, const char *type,
		const char *reason, struct pn_err *err, const char *fmt, ...)
{
	struct store_event ev = { 0 };
	char field[300];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	if (vasprintf(&ev.message, fmt, ap) < 0)
		ev.message = NULL;
	va_end(ap);
	if (ctr)
		snprintf(field, sizeof(field), "spec.containers{%s}", ctr);
	ev.namespace_ = strdup(sp->namespace_ ? sp->namespace_ : "default");
	ev.obj_kind = strdup("Pod");
	ev.obj_name = strdup(sp->name);
	ev.obj_uid = sp->uid ? strdup(sp->uid) : NULL;
	ev.obj_field = ctr ? strdup(field) : NULL;
	ev.reason = strdup(reason);
	ev.type = strdup(type);
	/* The scheduler reports scheduling; everything else is kubelet's. */
	ev.component = strdup(strcmp(reason, "Scheduled") ? "kubelet" : "default-scheduler");
	ev.host = strcmp(reason, "Scheduled") ? strdup(podrt_node_name(rt)) : NULL;
	if (!ev.message || !ev.namespace_ || !ev.obj_kind || !ev.obj_name || !ev.reason ||
	    !ev.type || !ev.component)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "record event %s", reason);
	else
		ret = store_event_record(rt->st, &ev, err);
	free(ev.uid);
	free(ev.namespace_);
	free(ev.name);
	free(ev.obj_kind);
	free(ev.obj_name);
	free(ev.obj_uid);
	free(ev.obj_field);
	free(ev.reason);
	free(ev.message);
	free(ev.type);
	free(ev.component);
	free(ev.host);
	return ret;
}

/* Events are a record, not the work: a failure to write one is logged. */
#define EVENT(rt, sp, ctr, type, reason, ...)                                                      \
	do {                                                                                       \
		struct pn_err ev_err_ = { 0 };                                                     \
		if (podrt_event(rt, sp, ctr, type, reason, &ev_err_, __VA_ARGS__) < 0)             \
			pn_warn("event %s of pod %s: %s", reason, (sp)->name,                      \
				pn_err_msg(&ev_err_));                                             \
		pn_err_free(&ev_err_);                                                             \
	} while (0)

/* ---- delete */

/* The pod's terminationGracePeriodSeconds, clamped to what a deadline in
 * nanoseconds can hold. */
static int64_t pod_grace(const struct store_pod *sp)
{
	int64_t grace = 30;
	json_t *spec = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL;
	json_t *g = json_object_get(json_object_get(spec, "spec"), "terminationGracePeriodSeconds");

	if (json_is_integer(g))
		grace = json_integer_value(g);
	json_decref(spec);
	return grace < 0 ? 0 : (grace > GRACE_MAX ? GRACE_MAX : grace);
}

/*
 * Tell a live shim to stop within @grace seconds.  The grace period rides
 * on the signal (sigqueue(3) value; the shim's README): a delete may ask
 * for less than the pod's own, down to 0.  A stopped shim (SIGSTOP) is
 * continued, as systemd follows its stop signal with SIGCONT
 * (systemd.kill(5)): it would take the SIGTERM only then, and be killed
 * as stuck after grace + 30 s instead of stopping its containers in their
 * grace period.  Returns the shim's pid, 0 when no shim is alive.
 */
static pid_t shim_stop(const char *pod_dir, int64_t grace)
{
	char path[PATH_MAX];
	json_t *shim;
	pid_t pid = 0;

	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	shim = read_json(path);
	if (shim && shim_alive(pod_dir)) {
		union sigval v = { .sival_int = (int)grace };

		pid = (pid_t)json_integer_value(json_object_get(shim, "pid"));
		if (pid <= 1 || sigqueue(pid, SIGTERM, v) < 0)
			pid = 0;
		else
			kill(pid, SIGCONT);
	}
	json_decref(shim);
	return pid;
}

/* ---- the lock files */

/*
 * Opens <root>/@name, creating it, and waits for a lock on it: @fl, an OFD
 * record lock, or when @fl is NULL flock(2) @op on the whole file.  A signal
 * that interrupts the wait only restarts it.  On success *@fd holds the lock
 * (closing it drops the lock); on failure it is -1, nothing stays open and
 * @err names the file, and @what, if not NULL, what the lock stands for.
 */
/*
 * Take the OFD lock @fl on @fd, waiting as long as it takes.  Not with
 * F_OFD_SETLKW: valgrind 3.19 (Debian 12's) does not know that it may
 * block, and keeps its one-thread-at-a-time lock through the wait, so a
 * podnetd thread waiting for a pod lock another of its threads holds stops
 * them all (`make valgrind`'s API run hung in `kubectl delete`).  A pod's
 * lock is seldom contended and held for a start or an update at most:
 * retrying in sleeps of 1 ms doubling to 32 ms costs nothing uncontended
 * and at most 32 ms more than the holder's time.
 */
static int ofd_lock_wait(int fd, const struct flock *fl)
{
	struct flock l = *fl;
	long ns = 1000000;

	while (fcntl(fd, F_OFD_SETLK, &l) < 0) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		nanosleep(&(struct timespec){ .tv_nsec = ns }, NULL);
		if (ns < 32000000)
			ns *= 2;
		l = *fl;
	}
	return 0;
}

static int lock_file(struct podrt *rt, const char *name, int op, const struct flock *fl,
		     const char *what, int *fd, struct pn_err *err)
{
	char path[PATH_MAX];
	int f;

	*fd = -1;
	snprintf(path, sizeof(path), "%s/%s", rt->root, name);
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return pn_error(err, PN_E_STATE, errno, "cannot open %s", path);
	while ((fl ? ofd_lock_wait(f, fl) : flock(f, op)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(f);
		if (what)
			return pn_error(err, PN_E_STATE, e, "cannot lock %s in %s", what, path);
		return pn_error(err, PN_E_STATE, e, "cannot lock %s", path);
	}
	*fd = f;
	return 0;
}

/* ---- the lifecycle lock */

int podrt_lifecycle_lock(struct podrt *rt, bool shared, int *fd, struct pn_err *err)
{
	return lock_file(rt, LIFECYCLE_LOCK, shared ? LOCK_SH : LOCK_EX, NULL, NULL, fd, err);
}

void podrt_lifecycle_unlock(int fd)
{
	/* The lock belongs to the open file description: closing drops it. */
	if (fd >= 0)
		close(fd);
}

/* ---- the pod lock (podrt.h) */

/*
 * The byte of pods.lock that stands for a pod: FNV-1a of its uid, cut to
 * 62 bits (l_start is a signed 64-bit off_t).  Uids are random v4 UUIDs,
 * so two pods of a node share a byte with a chance of about n^2 / 2^63;
 * and if they did, they would only wait for each other, never deadlock
 * (no one holds two pod locks).  One file that is never removed, unlike a
 * lock file per pod, has no unlink-while-locked race.
 */
static off_t pod_lock_offset(const char *uid)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)uid; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	return (off_t)(h >> 2);
}

/*
 * OFD locks (fcntl(2) F_OFD_SETLK, ofd_lock_wait()) belong to the open
 * file description, not the process: two threads of podnetd, each with
 * its own open, exclude each other as two processes do, and a killed
 * holder's lock goes with its last fd.  O_CLOEXEC: the shim that a start runs must not inherit it.
 */
static int pod_lock(struct podrt *rt, const char *uid, int *fd, struct pn_err *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = pod_lock_offset(uid), .l_len = 1 };
	char what[PATH_MAX];

	snprintf(what, sizeof(what), "pod %s", uid);
	return lock_file(rt, PODS_LOCK, 0, &fl, what, fd, err);
}

static void pod_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- stopping a sandbox */

/* What the pod's shim wrote about itself in shim.json.  Read while it
 * lives and after it died: its runtime, state dir and cgroups are how the
 * processes of a pod whose shim is gone are found. */
struct shim_rec {
	json_t *j;                 /* NULL: no shim.json, no shim ever ran */
	pid_t pid;
	const char *runtime;       /* borrowed from j; NULL if absent */
	const char *runtime_root;
	json_t *cgroups;           /* array of directories, or NULL */
};

static void shim_rec_read(const char *pod_dir, struct shim_rec *r)
{
	char path[PATH_MAX];

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	r->j = json_load_file(path, 0, NULL);
	if (!json_is_object(r->j)) {
		json_decref(r->j);
		r->j = NULL;
		return;
	}
	r->pid = (pid_t)json_integer_value(json_object_get(r->j, "pid"));
	r->runtime = json_string_value(json_object_get(r->j, "runtime"));
	r->runtime_root = json_string_value(json_object_get(r->j, "runtimeRoot"));
	r->cgroups = json_object_get(r->j, "cgroups");
	if (!json_is_array(r->cgroups))
		r->cgroups = NULL;
}

static void shim_rec_free(struct shim_rec *r)
{
	json_decref(r->j);
	memset(r, 0, sizeof(*r));
}

static int pid_open(pid_t pid)
{
	return pid > 1 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* Wait until the process of @pidfd exits (a pidfd polls readable then,
 * whoever its parent is: pidfd_open(2)), at most @ms.  True if it did. */
static bool pid_wait_exit(int pidfd, int64_t ms)
{
	uint64_t end = pn_now_ns() + (uint64_t)ms * 1000000u;

	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		uint64_t now = pn_now_ns();
		int64_t left = now >= end ? 0 : (int64_t)((end - now) / 1000000u);
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);

		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (r == 0 && left <= 60000)
			return false;
	}
}

/*
 * How long a stopping shim may take before it is given up on: the grace
 * period, then SIGKILL and its 5 s wait, then one runtime `kill` and
 * `delete` per container (tens of ms each on a loaded node), the pause's
 * 2 s + 5 s, and slack.  A shim that is still alive then is stuck, not
 * slow.
 */
static uint64_t shim_stop_budget_ms(int64_t grace, size_t n_ctrs)
{
	grace = grace < 0 ? 0 : grace > PODRT_GRACE_MAX_S ? PODRT_GRACE_MAX_S : grace;
	return (uint64_t)grace * 1000 + 30000 + (uint64_t)n_ctrs * 500;
}

/* Wait until the shim of @pod_dir has let go of its lock (it has exited),
 * looking every 20 ms, at most @ms.  For when no pidfd can be had. */
static bool shim_wait_gone(const char *pod_dir, int64_t ms)
{
	for (int64_t t = 0; shim_alive(pod_dir); t += 20) {
		if (t >= ms)
			return false;
		poll(NULL, 0, 20);
	}
	return true;
}

/* SIGKILL a live shim (the lock holder: checked again once the pidfd pins
 * the process) and wait for its exit, bounded. */
static void shim_kill(const char *pod_dir, const struct shim_rec *rec)
{
	int fd = pid_open(rec->pid);

	if (fd < 0 && errno == ENOSYS && rec->pid > 1) {
		/* No pidfd_open (kernel < 5.3, valgrind 3.19): the pid is
		 * the lock holder's while the lock is held, but may be
		 * reused the instant it is let go; kill(2) it is all the
		 * same, as before pidfds. */
		if (shim_alive(pod_dir) && kill(rec->pid, SIGKILL) == 0)
			shim_wait_gone(pod_dir, 10000);
		return;
	}
	if (fd >= 0 && shim_alive(pod_dir) &&
	    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0)
		pid_wait_exit(fd, 10000);
	if (fd >= 0)
		close(fd);
}

/* A cgroup directory the shim listed must be one of this pod's. */
static bool pod_cgroup_dir(const char *dir, const char *uid)
{
	const char *base = strrchr(dir, '/');

	return !strncmp(dir, "/sys/fs/cgroup/", 15) && !strstr(dir, "/../") && base &&
	       !strncmp(base + 1, "pod", 3) && !strcmp(base + 4, uid);
}

/*
 * SIGKILL every process in cgroup @dir and below, then remove the
 * directories, deepest first.  A killed process leaves its cgroup when it
 * exits (cgroup_exit() in do_exit(), before it is reaped), so rmdir works
 * soon after; one in uninterruptible sleep may take longer: bounded
 * retries, then the directory is left (EBUSY) and reported.
 */
static int cgroup_purge(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int ret = 0;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (cgroup_purge(path) < 0)
			ret = -EBUSY;
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	for (int tries = 0; tries < 200; tries++) {
		bool any = false;
		int pid;

		f = fopen(path, "re");
		while (f && fscanf(f, "%d", &pid) == 1) {
			if (pid > 1)
				kill(pid, SIGKILL);
			any = true;
		}
		if (f)
			fclose(f);
		if (rmdir(dir) == 0 || errno == ENOENT)
			return ret;
		if (errno != EBUSY)
			return -errno;
		usleep(any ? 10000 : 1000);
	}
	return -EBUSY;
}

/*
 * The runtime ids a container of @pod_dir may have: its row id (the first
 * attempt), the attempt the shim named in <id>/cid before it ran the
 * runtime, and the one its status.json shows.  Appended to *ids (deduped);
 * the strings are owned by *keep.
 */
static void ctr_runtime_ids(const char *pod_dir, const char *id, const char ***ids, size_t *n,
			    size_t *cap, json_t *keep)
{
	char path[PATH_MAX], cid[80];
	const char *cand[3] = { id, NULL, NULL };
	json_t *st;

	snprintf(path, sizeof(path), "%s/containers/%s/cid", pod_dir, id);
	if (pn_read_file(path, cid, sizeof(cid)) == 0 && cid[0]) {
		json_array_append_new(keep, json_string(cid));
		cand[1] = json_string_value(json_array_get(keep, json_array_size(keep) - 1));
	}
	snprintf(path, sizeof(path), "%s/containers/%s/status.json", pod_dir, id);
	st = json_load_file(path, 0, NULL);
	if (json_is_string(json_object_get(st, "containerID"))) {
		json_array_append(keep, json_object_get(st, "containerID"));
		cand[2] = json_string_value(json_array_get(keep, json_array_size(keep) - 1));
	}
	json_decref(st);
	for (size_t k = 0; k < 3; k++) {
		bool dup = !cand[k];

		for (size_t i = 0; i < *n && !dup; i++)
			dup = !strcmp((*ids)[i], cand[k]);
		if (!dup && pn_grow(ids, cap, *n, sizeof(**ids)) == 0)
			(*ids)[(*n)++] = cand[k];
	}
}

/*
 * Stop whatever still runs of a pod whose shim is gone (killed, crashed,
 * or stopped with a container it could not kill): every container and the
 * sandbox through the OCI runtime's own state (`kill --all KILL`, `delete
 * --force`, which also removes their cgroups), as containerd does for a
 * dead shim, all in one round; then every process left in the pod's
 * cgroups (a runtime killed mid-create leaves no usable state).  Cheap
 * when the shim stopped the pod itself: no state and no cgroups are left.
 */
static void sandbox_kill(struct podrt *rt, const char *name, const char *uid,
			 const char *sandbox_id, const char *pod_dir, const struct shim_rec *rec,
			 const char *const *ctr_ids, size_t n)
{
	struct oci_rt ort = { 0 };
	char *rp = NULL, *rn = NULL, *why = NULL, dir[PATH_MAX], parent[PATH_MAX];
	struct pn_err e = { 0 };
	const char **all = NULL, **ids = NULL;
	json_t *keep = json_array(), *cg;
	size_t i, nall = 0, cap = 0, nids = 0;

	ort.root = rec->runtime_root;
	if (!ort.root) {
		snprintf(dir, sizeof(dir), "%s/runtime", rt->root);
		ort.root = dir;
	}
	for (size_t k = 0; keep && k < n; k++)
		ctr_runtime_ids(pod_dir, ctr_ids[k], &all, &nall, &cap, keep);
	if (sandbox_id && pn_grow(&all, &cap, nall, sizeof(*all)) == 0)
		all[nall++] = sandbox_id;
	ids = calloc(nall ? nall : 1, sizeof(*ids));
	for (size_t k = 0; ids && k < nall; k++) {
		char state[PATH_MAX];

		snprintf(state, sizeof(state), "%s/%s", ort.root, all[k]);
		if (access(state, F_OK) == 0)
			ids[nids++] = all[k];
	}
	if (nids && rec->runtime)
		ort.path = rec->runtime;
	else if (nids && oci_runtime_detect(&rp, &rn, &why, &e) == 0)
		ort.path = rp;
	if (ort.path) {
		/* --all: every process of each container, not its init only
		 * (with a shared PID namespace the init may be gone). */
		(void)!oci_kill_many(&ort, ids, nids, SIGKILL, NULL);
		if (oci_delete_many(&ort, ids, nids, &e) < 0)
			pn_warn("pod %s: cannot delete a container from the runtime: %s", name,
				pn_err_msg(&e));
	}
	/* And the pid file of a `run` its killed shim never read. */
	for (size_t k = 0; k < nall; k++)
		oci_pid_file_remove(&ort, all[k]);
	pn_err_free(&e);
	json_array_foreach(rec->cgroups, i, cg) {
		const char *d = json_string_value(cg);

		if (!d || !pod_cgroup_dir(d, uid))
			continue;
		if (cgroup_purge(d) < 0)
			pn_warn("pod %s: cannot remove cgroup %s: %s", name, d, strerror(EBUSY));
		/* The shared parent "podnet" goes when it is empty. */
		snprintf(parent, sizeof(parent), "%s", d);
		*strrchr(parent, '/') = '\0';
		rmdir(parent);
	}
	json_decref(keep);
	free(all);
	free(ids);
	free(rp);
	free(rn);
	free(why);
}

/* Release every container rootfs under <pod_dir>/containers: the overlay
 * mounts are the node's, and rm_rf() never crosses them. */
static void rootfs_release_all(const char *pod_dir)
{
	char cdir[PATH_MAX], one[PATH_MAX];
	struct dirent *ce;
	DIR *cd;

	snprintf(cdir, sizeof(cdir), "%s/containers", pod_dir);
	cd = opendir(cdir);
	while (cd && (ce = readdir(cd))) {
		struct pn_err scratch = { 0 };

		if (ce->d_name[0] == '.')
			continue;
		snprintf(one, sizeof(one), "%s/%s", cdir, ce->d_name);
		if (rootfs_release_container(one, &scratch) < 0)
			pn_warn("%s", pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
	if (cd)
		closedir(cd);
}

/*
 * Every process of the pod stopped, its shim's too, whatever state it was
 * left in: a shim still alive here (a failed start, a stuck stop) is
 * SIGKILLed; then the runtime's state and the pod's cgroups; then the root
 * filesystems released.  Leaves the network alone.
 */
static void sandbox_stop(struct podrt *rt, const struct store_pod *sp, const char *pod_dir)
{
	struct store_container *cs = NULL;
	struct pn_err scratch = { 0 };
	const char **ids = NULL;
	struct shim_rec rec;
	size_t n = 0;

	if (store_container_list(rt->st, sp->uid, &cs, &n, &scratch) < 0)
		pn_warn("pod %s: %s", sp->name, pn_err_msg(&scratch));
	shim_rec_read(pod_dir, &rec);
	if (rec.j && shim_alive(pod_dir))
		shim_kill(pod_dir, &rec);
	pn_fault_point("stop.shim-gone");
	ids = calloc(n ? n : 1, sizeof(*ids));
	for (size_t i = 0; ids && i < n; i++)
		ids[i] = cs[i].id;
	/* Also without shim.json (a start killed before the shim ran, or
	 * a re-creation cut short): runtime state may be left. */
	sandbox_kill(rt, sp->name, sp->uid, sp->sandbox_id, pod_dir, &rec, ids, ids ? n : 0);
	pn_fault_point("stop.killed");
	rootfs_release_all(pod_dir);
	free(ids);
	shim_rec_free(&rec);
	store_container_array_free(cs, n);
	pn_err_free(&scratch);
}

/*
 * CNI DEL of each of the pod's attachments, with the configuration it was
 * added with: the conflist when it still defines the attachment's network,
 * else the copy in libcni's cache (<cache>/results/...), which is how a
 * runtime deletes an attachment whose network config was removed or broken
 * since.  A DEL that fails all the same does not keep the pod: its netns
 * goes next (the kernel then removes the veth pair), and the cache entry,
 * kept by the failed DEL, lets CNI GC try again later.  Returns how many
 * DELs failed.
 */
static int pod_cni_del(struct podrt *rt, const struct store_pod *sp)
{
	struct store_attachment *as = NULL;
	struct cni_netlist *conf = NULL;
	struct pn_err e = { 0 };
	size_t n = 0;
	int failed = 0;
	char cpath[4096];
	struct cniclient cc = { .cni_path = runtime_cni_path(rt, cpath, sizeof(cpath)),
				.cache_dir = rt->cni_cache };

	if (store_attachment_list(rt->st, sp->uid, &as, &n, &e) < 0) {
		pn_warn("pod %s: %s", sp->name, pn_err_msg(&e));
		pn_err_free(&e);
		return 1;
	}
	if (n && cniclient_load_conflist(rt->cni_conf_dir, NULL, &conf, NULL) < 0)
		conf = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct store_attachment *a = &as[i];
		struct cni_netlist *cached_list = NULL, *l = conf;
		struct cniclient_cached *cached = NULL;
		struct cniclient_rt crt;
		struct cniclient_kv kv[CNICLIENT_K8S_NARGS];

		if (!l || strcmp(l->name, a->network)) {
			l = NULL;
			if (cniclient_get_cached(rt->cni_cache, a->network, a->container_id, a->ifname,
						 &cached, NULL) == 0 &&
			    cached->config &&
			    cniclient_parse_conflist(cached->config, cached->config_len, cached->path,
						     &cached_list, NULL) == 0)
				l = cached_list;
		}
		if (!l) {
			/* Neither: ADD never finished (nothing cached) and the
			 * network is gone; its netns goes next. */
			pn_debug("pod %s: no configuration of network %s left: no CNI DEL", sp->name,
				 a->network);
		} else {
			memset(&crt, 0, sizeof(crt));
			crt.container_id = a->container_id;
			crt.netns = a->netns_path;
			crt.ifname = a->ifname;
			cniclient_rt_k8s_args(&crt, kv, sp->namespace_, sp->name, a->container_id,
					      sp->uid);
			if (cniclient_del(&cc, l, &crt, &e) < 0) {
				pn_warn("pod %s: CNI DEL of network %s failed (%s); removing its "
					"network namespace, CNI GC will retry the DEL",
					sp->name, a->network, pn_err_msg(&e));
				failed++;
			}
			pn_err_free(&e);
		}
		cni_netlist_free(cached_list);
		cniclient_cached_free(cached);
	}
	cni_netlist_free(conf);
	store_attachment_array_free(as, n);
	return failed;
}

/*
 * A sandbox's processes, its CNI attachment and its netns pin, whatever
 * is left of each (a pin gone already is no error).  @fault: the fault
 * point between the CNI DEL and the pin, or NULL.
 */
static int sandbox_down(struct podrt *rt, const struct store_pod *sp, const char *pod_dir,
			const char *fault, struct pn_err *err)
{
	int ret;

	sandbox_stop(rt, sp, pod_dir);
	pod_cni_del(rt, sp);
	if (fault)
		pn_fault_point(fault);
	if (!sp->netns_path)
		return 0;
	ret = netns_delete_pinned(sp->netns_path, err);
	return ret == -ENOENT ? 0 : ret;
}

/*
 * Everything of a pod but its rows: its processes (whatever state its shim
 * is in), root file systems, network (CNI DEL, then the netns) and the pod
 * directory.  Idempotent: each step finds what is left of it.
 */
static int pod_teardown(struct podrt *rt, const struct store_pod *sp, struct pn_err *err)
{
	char pod_dir[PATH_MAX];
	int ret = 0;

	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	ret = sandbox_down(rt, sp, pod_dir, "teardown.cni-deleted", err);
	if (ret < 0)
		return ret;
	pn_fault_point("delete.torn-down");
	rm_rf(pod_dir);
	return ret;
}

static int mark_deleting(struct podrt *rt, const struct store_pod *sp,
			 const struct podrt_delete_opts *o, bool *gone, struct store_pod **out,
			 struct pn_err *err);

int podrt_pod_mark_deleting(struct podrt *rt, const struct store_pod *sp,
			    const struct podrt_delete_opts *o, bool *gone, struct store_pod **out,
			    struct pn_err *err)
{
	struct store_pod *now = NULL;
	int lock, ret;

	*gone = false;
	if (out)
		*out = NULL;
	/* A start of the pod ends first (running, or undone): the row read
	 * under the lock is what there is to stop. */
	ret = pod_lock(rt, sp->uid, &lock, err);
	if (ret < 0)
		return ret;
	ret = store_pod_get(rt->st, sp->uid, &now, err);
	if (ret == -ENOENT) {
		pn_err_free(err);
		*gone = true;
		ret = 0;
	} else if (ret == 0) {
		ret = mark_deleting(rt, now, o, gone, out, err);
	}
	pod_unlock(lock);
	store_pod_free(now);
	return ret;
}

static int mark_deleting(struct podrt *rt, const struct store_pod *sp,
			 const struct podrt_delete_opts *o, bool *gone, struct store_pod **out,
			 struct pn_err *err)
{
	struct store_pod upd = *sp;
	char pod_dir[PATH_MAX];
	int64_t grace = o && o->grace >= 0 ? (o->grace > GRACE_MAX ? GRACE_MAX : o->grace)
					    : pod_grace(sp);
	int64_t now = (int64_t)time(NULL) * 1000000000;
	int ret;

	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	/* Never started: nothing to stop, only rows to remove. */
	if (sp->state == STORE_POD_PENDING) {
		ret = store_pod_delete(rt->st, sp->uid, err);
		if (ret == 0) {
			rm_rf(pod_dir);
			*gone = true;
		}
		return ret;
	}
	/* A second delete may shorten the grace period, never lengthen it
	 * (kube-apiserver's rule). */
	if (sp->state == STORE_POD_DELETING && sp->deletion_ns &&
	    sp->deletion_ns + sp->deletion_grace * 1000000000 <= now + grace * 1000000000) {
		grace = (sp->deletion_ns + sp->deletion_grace * 1000000000 - now) / 1000000000;
		if (grace < 0)
			grace = 0;
	} else {
		bool first = sp->state != STORE_POD_DELETING;

		upd.state = STORE_POD_DELETING;
		upd.deletion_ns = now;
		upd.deletion_grace = grace;
		ret = store_pod_update(rt->st, &upd, STORE_POD_F_STATE | STORE_POD_F_DELETION, err);
		if (ret < 0)
			return ret;
		if (first) {
			struct store_container *cs = NULL;
			size_t n = 0;

			/* kubelet's Killing, one per container it stops. */
			if (shim_alive(pod_dir) && store_container_list(rt->st, sp->uid, &cs, &n, NULL) == 0)
				for (size_t i = 0; i < n; i++)
					EVENT(rt, sp, cs[i].name, "Normal", "Killing", "Stopping container %s",
					      cs[i].name);
			store_container_array_free(cs, n);
		}
		/* A terminating pod is no Service endpoint: out before its
		 * containers get SIGTERM, as kube-proxy drops it. */
		if (first && sp->pod_ip) {
			struct pn_err herr = { 0 };

			if (podrt_net_sync(rt, &herr) < 0)
				pn_warn("pod %s: rules not updated: %s", sp->name, pn_err_msg(&herr));
			pn_err_free(&herr);
		}
	}
	shim_stop(pod_dir, grace);
	if (out)
		return store_pod_get(rt->st, sp->uid, out, err);
	return 0;
}

struct deleting {
	struct store_pod *sp;
	pid_t shim;
	int pidfd;
	bool by_lock;              /* no pidfd (ENOSYS): the shim's lock is polled */
	uint64_t deadline_ms;
	bool done;
};

static uint64_t mono_ms(void)
{
	return pn_now_ns() / 1000000;
}

/* The rest once the shim is gone: network, files, rows. */
static int delete_finish(struct podrt *rt, struct deleting *d, struct pn_err *err)
{
	int ret;

	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
	ret = pod_teardown(rt, d->sp, err);
	pn_fault_point("delete.dir-removed");
	if (ret == 0)
		ret = store_pod_delete(rt->st, d->sp->uid, err);
	if (ret == -ENOENT)
		ret = 0;   /* someone else finished it */
	return ret;
}

/* podrt_pods_delete() with the lifecycle lock held (shared, or gc's). */
static int pods_delete(struct podrt *rt, const struct store_pod *pods, size_t n,
		       const struct podrt_delete_opts *o, podrt_deleted_fn done, void *ctx,
		       struct pn_err *err)
{
	struct deleting *d = calloc(n ? n : 1, sizeof(*d));
	size_t left = 0;
	int first = 0;

	if (!d)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	/* 1. Every pod marked and every shim told, at once. */
	for (size_t i = 0; i < n; i++) {
		struct pn_err e = { 0 };
		char pod_dir[PATH_MAX];
		bool gone = false;
		int ret;

		d[i].pidfd = -1;
		ret = podrt_pod_mark_deleting(rt, &pods[i], o, &gone, &d[i].sp, &e);
		if (ret == 0 && !gone)
			pn_fault_point("delete.marked");
		if (ret < 0 || gone) {
			if (done)
				done(ctx, &pods[i], ret, &e);
			if (ret < 0 && !first) {
				first = ret;
				pn_err_move(err, &e);
			}
			d[i].done = true;
			pn_err_free(&e);
			continue;
		}
		pod_dir_path(rt, d[i].sp->uid, pod_dir, sizeof(pod_dir));
		if (shim_alive(pod_dir)) {
			char path[PATH_MAX];
			json_t *shim;

			snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
			shim = read_json(path);
			d[i].shim = (pid_t)json_integer_value(json_object_get(shim, "pid"));
			json_decref(shim);
			if (d[i].shim > 1) {
				d[i].pidfd = (int)syscall(SYS_pidfd_open, d[i].shim, 0);
				d[i].by_lock = d[i].pidfd < 0 && errno == ENOSYS;
			}
		}
		/* The shim waits the grace period, then SIGKILLs, then stops the
		 * pause and deletes each container's runtime state: its exit is
		 * waited for (a pod of hundreds of containers takes long), up to
		 * a budget past which it is stuck, not slow. */
		{
			struct store_container *cs = NULL;
			size_t nc = 0;

			if (store_container_list(rt->st, d[i].sp->uid, &cs, &nc, NULL) < 0)
				nc = 0;
			store_container_array_free(cs, nc);
			d[i].deadline_ms = mono_ms() + shim_stop_budget_ms(d[i].sp->deletion_grace, nc);
		}
		left++;
	}
	/* 2. Each pod finished as soon as its shim is gone. */
	while (left) {
		struct pollfd *pf = calloc(n, sizeof(*pf));
		size_t *who = calloc(n, sizeof(*who)), np = 0;
		uint64_t now = mono_ms(), next = UINT64_MAX;
		bool by_lock = false;

		if (!pf || !who) {
			free(pf);
			free(who);
			first = first ? first : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (d[i].done)
				continue;
			if (d[i].pidfd >= 0 && now < d[i].deadline_ms) {
				pf[np].fd = d[i].pidfd;
				pf[np].events = POLLIN;
				who[np++] = i;
				if (d[i].deadline_ms < next)
					next = d[i].deadline_ms;
			}
			by_lock |= d[i].by_lock && now < d[i].deadline_ms;
		}
		/* Without a pidfd the lock is looked at every 50 ms. */
		if (by_lock)
			poll(pf, np, next - now > 50 ? 50 : (int)(next - now));
		else if (np)
			poll(pf, np, next - now > 1000 ? 1000 : (int)(next - now));
		now = mono_ms();
		for (size_t i = 0; i < n; i++) {
			struct pn_err e = { 0 };
			char pod_dir[PATH_MAX];
			int ret;

			if (d[i].done)
				continue;
			pod_dir_path(rt, d[i].sp->uid, pod_dir, sizeof(pod_dir));
			if ((d[i].pidfd >= 0 || d[i].by_lock) && now < d[i].deadline_ms &&
			    shim_alive(pod_dir))
				continue;
			if ((d[i].pidfd >= 0 || d[i].by_lock) && shim_alive(pod_dir)) {
				/* Past every bound: the shim itself is stuck.  What it
				 * leaves running, the teardown stops. */
				pn_warn("pod %s: shim %d did not stop in time; killing it", d[i].sp->name,
					(int)d[i].shim);
				if (d[i].by_lock) {
					if (kill(d[i].shim, SIGKILL) == 0)
						shim_wait_gone(pod_dir, 10000);
				} else if (syscall(SYS_pidfd_send_signal, d[i].pidfd, SIGKILL, NULL, 0) == 0) {
					pid_wait_exit(d[i].pidfd, 10000);
				}
			}
			pn_fault_point("delete.shim-gone");
			ret = delete_finish(rt, &d[i], &e);
			if (done)
				done(ctx, d[i].sp, ret, &e);
			if (ret < 0 && !first) {
				first = ret;
				pn_err_move(err, &e);
			}
			pn_err_free(&e);
			d[i].done = true;
			left--;
		}
		free(pf);
		free(who);
	}
	for (size_t i = 0; i < n; i++) {
		if (d[i].pidfd >= 0)
			close(d[i].pidfd);
		store_pod_free(d[i].sp);
	}
	free(d);
	if (n) {
		struct pn_err scratch = { 0 };

		/* The pods are gone whatever happens here: a rule left behind is
		 * for an address no pod has, and the next sync removes it. */
		if (podrt_net_sync(rt, &scratch) < 0)
			pn_warn("after deleting pods: %s", pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
	return first;
}

int podrt_pods_delete(struct podrt *rt, const struct store_pod *pods, size_t n,
		      const struct podrt_delete_opts *o, podrt_deleted_fn done, void *ctx,
		      struct pn_err *err)
{
	int lock, ret;

	/* Shared: deletes run side by side, never beside a gc. */
	ret = podrt_lifecycle_lock(rt, true, &lock, err);
	if (ret < 0)
		return ret;
	ret = pods_delete(rt, pods, n, o, done, ctx, err);
	podrt_lifecycle_unlock(lock);
	return ret;
}

int podrt_pod_delete(struct podrt *rt, const struct store_pod *sp, struct pn_err *err)
{
	const struct podrt_delete_opts o = { .grace = -1 };

	return podrt_pods_delete(rt, sp, 1, &o, NULL, NULL, err);
}

int podrt_net_sync(struct podrt *rt, struct pn_err *err)
{
	return rt->net_sync ? rt->net_sync(rt, err) : 0;
}

/* The pod IP: the first address on an interface inside the sandbox. */
static void result_pod_ips(const struct cni_result *r, char *ip, size_t n, json_t *ips,
			   char *gw, size_t gn)
{
	char buf[PN_IP_STRLEN];

	ip[0] = gw[0] = '\0';
	for (size_t i = 0; i < r->n_ips; i++) {
		int k = r->ips[i].iface;

		if (k >= 0 && (size_t)k < r->n_ifaces && !r->ifaces[k].sandbox)
			continue;
		pn_ip_str(&r->ips[i].address.ip, buf);
		json_array_append_new(ips, json_string(buf));
		if (!ip[0]) {
			snprintf(ip, n, "%s", buf);
			if (r->ips[i].gateway.family)
				snprintf(gw, gn, "%s", pn_ip_str(&r->ips[i].gateway, buf));
		}
	}
}

/* The row's addresses from result_pod_ips' (empty strings: none). */
static void row_set_ips(struct store_pod *sp, const char *pod_ip, json_t *ips, const char *gw)
{
	free(sp->pod_ip);
	free(sp->pod_ips);
	free(sp->host_ip);
	sp->pod_ip = pod_ip[0] ? strdup(pod_ip) : NULL;
	sp->pod_ips = json_dumps(ips, JSON_COMPACT);
	sp->host_ip = gw[0] ? strdup(gw) : NULL;
}

/* A new netns has only "lo", and it is down: every container's localhost
 * depends on it (CRI runtimes bring it up too, or run the loopback
 * plugin). */
static int loopback_up(const char *netns_path, struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct link_info lo;
	int fd, ret;

	fd = netns_open(netns_path, err);
	if (fd < 0)
		return fd;
	ret = nl_open_in_netns(&s, NETLINK_ROUTE, fd, err);
	if (ret == 0)
		ret = link_get(&s, "lo", &lo, err);
	if (ret == 0)
		ret = link_set_up(&s, lo.ifindex, true, err);
	nl_close(&s);
	close(fd);
	return ret;
}

/*
 * A probe as the shim's plan holds it: handler with the port resolved (a
 * name is looked up among the container's own ports, as kubelet's
 * findPortByName does; 0 when it has none, which the shim reports as the
 * probe's failure) and the host left to the shim (the pod's address).
 */
static json_t *plan_probe(const struct pn_probe *p, const struct pn_container_spec *c)
{
	json_t *o = json_object(), *h = NULL;
	int port = p->port;

	if (!o)
		return NULL;
	if (p->port_name) {
		port = 0;
		for (size_t i = 0; i < c->n_ports; i++)
			if (c->ports[i].name && !strcmp(c->ports[i].name, p->port_name))
				port = c->ports[i].container_port;
	}
	switch (p->handler) {
	case PN_PROBE_EXEC: {
		json_t *a = json_array();

		for (size_t i = 0; a && p->command && p->command[i]; i++)
			json_array_append_new(a, json_string(p->command[i]));
		json_object_set_new(o, "exec", a);
		break;
	}
	case PN_PROBE_HTTP: {
		json_t *hd = json_array();

		for (size_t i = 0; hd && i < p->n_headers; i++) {
			char *line = NULL;

			if (asprintf(&line, "%s: %s", p->headers[i].name, p->headers[i].value ? p->headers[i].value : "") >= 0) {
				json_array_append_new(hd, json_string(line));
				free(line);
			}
		}
		h = json_pack("{s:s?, s:s, s:s, s:i, s:o}", "host", p->host, "path", p->path ? p->path : "/",
			      "scheme", p->scheme ? p->scheme : "HTTP", "port", port, "headers", hd);
		json_object_set_new(o, "httpGet", h);
		break;
	}
	case PN_PROBE_TCP:
		json_object_set_new(o, "tcpSocket", json_pack("{s:s?, s:i}", "host", p->host, "port", port));
		break;
	default:
		break;
	}
	json_object_set_new(o, "initialDelaySeconds", json_integer(p->initial_delay));
	json_object_set_new(o, "timeoutSeconds", json_integer(p->timeout));
	json_object_set_new(o, "periodSeconds", json_integer(p->period));
	json_object_set_new(o, "successThreshold", json_integer(p->success_threshold));
	json_object_set_new(o, "failureThreshold", json_integer(p->failure_threshold));
	if (p->has_termination_grace)
		json_object_set_new(o, "terminationGracePeriodSeconds",
				    json_integer(p->termination_grace));
	return o;
}

static json_t *plan_probes(const struct pn_container_spec *c)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (c->liveness.present)
		json_object_set_new(o, "liveness", plan_probe(&c->liveness, c));
	if (c->readiness.present)
		json_object_set_new(o, "readiness", plan_probe(&c->readiness, c));
	if (c->startup.present)
		json_object_set_new(o, "startup", plan_probe(&c->startup, c));
	return o;
}

/* ---- create: admit, start */

/* The object stored for @o (a pod or namespace document, taken over):
 * @o with the API's @meta merged into its metadata.  Heap string; NULL
 * when out of memory (also when @o is NULL). */
static char *stored_object(json_t *o, json_t *meta)
{
	char *s;

	if (!o)
		return NULL;
	/* The row holds uid and creation: the stored object leaves them out,
	 * so that the same spec always stores the same bytes. */
	json_object_del(json_object_get(o, "metadata"), "uid");
	json_object_del(json_object_get(o, "metadata"), "creationTimestamp");
	if (json_is_object(meta))
		json_object_update(json_object_get(o, "metadata"), meta);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* Every image of @pod known and every container with a command: what can
 * be refused is refused before anything exists. */
static int check_images(struct podrt *rt, const struct pn_pod *pod, struct image_info **imgs,
			struct pn_err *err)
{
	for (size_t i = 0; i < pod->spec.n_containers; i++) {
		const struct pn_container_spec *c = &pod->spec.containers[i];
		json_t *argv;
		int ret;

		ret = image_get(rt->root, c->image, &imgs[i], err);
		if (ret < 0)
			return ret;
		argv = container_argv(c, imgs[i]);
		if (json_array_size(argv) == 0) {
			json_decref(argv);
			return pn_error(err, PN_E_BAD_REQUEST, 0,
					"container \"%s\": no command given and image \"%s\" has none",
					c->name, c->image);
		}
		json_decref(argv);
	}
	return 0;
}

static void images_free(struct image_info **imgs, size_t n)
{
	for (size_t i = 0; imgs && i < n; i++)
		image_info_free(imgs[i]);
	free(imgs);
}

/* The checks of a store insert, without writing (dry run). */
static int admit_dry(struct podrt *rt, struct pn_pod *pod, const char *spec_json,
		     struct store_pod **out, struct pn_err *err)
{
	struct store_namespace *ns = NULL;
	struct store_pod *sp = NULL, *taken = NULL;
	const char *nsn = pod->meta.namespace_ ? pod->meta.namespace_ : "default";
	char id[STORE_ID_LEN + 1], uid[STORE_UUID_LEN + 1];
	int ret;

	ret = store_namespace_get(rt->st, nsn, &ns, err);
	if (ret < 0)
		return ret;
	if (ns->phase == STORE_NS_TERMINATING) {
		store_namespace_free(ns);
		return pn_error(err, PN_E_FORBIDDEN, EPERM,
				"pods \"%s\" is forbidden: unable to create new content in namespace %s "
				"because it is being terminated",
				pod->meta.name, nsn);
	}
	store_namespace_free(ns);
	if (store_pod_get_by_name(rt->st, nsn, pod->meta.name, &taken, NULL) == 0) {
		store_pod_free(taken);
		return pn_error(err, PN_E_ALREADY_EXISTS, EEXIST, "pods \"%s\" already exists",
				pod->meta.name);
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp || store_new_id(id) < 0 || store_new_uuid(uid) < 0) {
		free(sp);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	sp->uid = strdup(uid);
	sp->sandbox_id = strdup(id);
	sp->namespace_ = strdup(nsn);
	sp->name = strdup(pod->meta.name);
	sp->spec_json = strdup(spec_json);
	sp->state = STORE_POD_PENDING;
	sp->phase = STORE_PHASE_PENDING;
	sp->created_ns = (int64_t)time(NULL) * 1000000000;
	if (!sp->uid || !sp->sandbox_id || !sp->namespace_ || !sp->name || !sp->spec_json) {
		store_pod_free(sp);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	*out = sp;
	return 0;
}

int podrt_pod_admit(struct podrt *rt, struct pn_pod *pod, const struct podrt_write *w,
		    struct store_pod **out, struct pn_err *err)
{
	struct store_pod *sp = NULL;
	struct image_info **imgs = NULL;
	struct store_container *cs = NULL;
	size_t nc = pod->spec.n_containers;
	char *spec = NULL;
	int ret;

	if (out)
		*out = NULL;
	imgs = calloc(nc ? nc : 1, sizeof(*imgs));
	cs = calloc(nc ? nc : 1, sizeof(*cs));
	spec = stored_object(pod_to_json(pod), w ? w->meta : NULL);
	if (!imgs || !cs || !spec) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	ret = check_images(rt, pod, imgs, err);
	if (ret < 0)
		goto out;
	if (w && w->dry_run) {
		ret = admit_dry(rt, pod, spec, &sp, err);
		if (ret == 0 && out) {
			*out = sp;
			sp = NULL;
		}
		goto out;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	sp->namespace_ = pod->meta.namespace_ ? strdup(pod->meta.namespace_) : NULL;
	sp->name = strdup(pod->meta.name);
	sp->spec_json = spec;
	spec = NULL;
	sp->state = STORE_POD_PENDING;
	sp->phase = STORE_PHASE_PENDING;
	ret = store_begin(rt->st, err);
	if (ret < 0)
		goto out;
	ret = store_pod_insert(rt->st, sp, err);
	for (size_t i = 0; ret == 0 && i < nc; i++) {
		cs[i].pod_uid = sp->uid;
		cs[i].name = pod->spec.containers[i].name;
		cs[i].idx = (int)i;
		cs[i].image = imgs[i]->name;
		cs[i].state = STORE_CTR_CREATED;
		ret = store_container_insert(rt->st, &cs[i], err);
	}
	/* hostPorts, checked as the scheduler's NodePorts filter does, in the
	 * transaction that claims the pod's name: two pods cannot both get one. */
	for (size_t i = 0; ret == 0 && i < nc; i++) {
		const struct pn_container_spec *c = &pod->spec.containers[i];

		for (size_t k = 0; ret == 0 && k < c->n_ports; k++) {
			if (!c->ports[k].host_port)
				continue;
			ret = store_host_port_claim(rt->st, sp->uid,
						    c->ports[k].protocol ? c->ports[k].protocol : "TCP",
						    c->ports[k].host_port, err);
			if (ret == -EADDRINUSE)
				ret = pn_error(err, PN_E_CONFLICT, EADDRINUSE,
					       "pod \"%s\" cannot be scheduled: 0/1 nodes are available: 1 "
					       "node(s) didn't have free ports for the requested pod ports. "
					       "preemption: 0/1 nodes are available: 1 No preemption victims "
					       "found for incoming pod.", sp->name);
		}
	}
	ret = store_end(rt->st, ret, err);
	if (ret < 0)
		goto out;
	pn_fault_point("apply.row-inserted");
	free(pod->meta.uid);
	pod->meta.uid = strdup(sp->uid);
	pod->meta.creation = (time_t)(sp->created_ns / 1000000000);
	EVENT(rt, sp, NULL, "Normal", "Scheduled", "Successfully assigned %s/%s to %s", sp->namespace_,
	      sp->name, podrt_node_name(rt));
	if (out)
		ret = store_pod_get(rt->st, sp->uid, out, err);
out:
	for (size_t i = 0; i < nc && cs; i++) {
		free(cs[i].id);
		cs[i].id = NULL;
	}
	free(cs);
	images_free(imgs, nc);
	store_pod_free(sp);
	free(spec);
	return ret;
}

/*
 * The pod's hostname as kubelet sets it (truncatePodHostnameIfNeeded): a
 * pod name may have 253 characters, a hostname 63 (sethostname(2) refuses
 * more than HOST_NAME_MAX; so does DNS for a label), so it is cut to 63 and
 * a '-' or '.' left at the end of the cut is dropped.
 */
static void pod_hostname(const struct pn_pod *pod, const char *name, char out[64])
{
	size_t n;

	snprintf(out, 64, "%s", pod->spec.hostname ? pod->spec.hostname : name);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '-' || out[n - 1] == '.'))
		out[--n] = '\0';
}

/* A pod that could not start: nothing of it left running, pending with
 * phase Failed and why, so that it shows and nothing retries it. */
static void start_failed(struct podrt *rt, const char *uid, const struct pn_err *why)
{
	struct store_pod *sp = NULL;
	struct pn_err scratch = { 0 };
	json_t *status;

	if (store_pod_get(rt->st, uid, &sp, &scratch) < 0) {
		pn_err_free(&scratch);
		return;
	}
	if (pod_teardown(rt, sp, &scratch) < 0)
		pn_warn("pod %s: undoing a failed start: %s", sp->name, pn_err_msg(&scratch));
	pn_err_free(&scratch);
	EVENT(rt, sp, NULL, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: %s",
	      pn_err_msg(why));
	free(sp->reason);
	sp->reason = strdup("StartError");
	status = json_pack("{s:s, s:s, s:s, s:s}", "phase", "Failed", "reason", "StartError", "message",
			   pn_err_msg(why), "qosClass", "BestEffort");
	free(sp->status_json);
	sp->status_json = status ? json_dumps(status, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(status);
	sp->state = STORE_POD_PENDING;
	sp->phase = STORE_PHASE_FAILED;
	free(sp->netns_path);
	sp->netns_path = NULL;
	if (store_pod_update(rt->st, sp,
			     STORE_POD_F_STATE | STORE_POD_F_PHASE | STORE_POD_F_NETNS | STORE_POD_F_STATUS,
			     &scratch) < 0)
		pn_warn("pod %s: %s", sp->name, pn_err_msg(&scratch));
	pn_err_free(&scratch);
	store_pod_free(sp);
}

/* What a re-created sandbox carries over from the dead one, per container
 * row (NULL: a first start): kubelet counts the attempt the node lost. */
struct ctr_carry {
	int restart_count;  /* the new attempt's number */
	json_t *last_state; /* {"exitCode", "reason", "startedAt", "finishedAt"}, or NULL */
	json_t *exited;     /* not to be run again: its final status, or NULL */
};

/* @locked: the caller holds the lifecycle lock; @pod_locked: and the pod's. */
static int pod_start(struct podrt *rt, const char *uid, bool locked, bool pod_locked,
		     const struct ctr_carry *carry, size_t ncarry, struct pn_err *err);

int podrt_pod_start(struct podrt *rt, const char *uid, struct pn_err *err)
{
	return pod_start(rt, uid, false, false, NULL, 0, err);
}

static int pod_start(struct podrt *rt, const char *uid, bool locked, bool pod_locked,
		     const struct ctr_carry *carry, size_t ncarry, struct pn_err *err)
{
	struct store_pod *sp = NULL;
	struct pn_pod *pod = NULL;
	struct image_info **imgs = NULL;
	struct cni_netlist *l = NULL;
	struct cni_result *res = NULL;
	struct store_container *cs = NULL;
	struct pn_proc_result pr = { 0 };
	json_t *spec = NULL, *plan = NULL, *ctrs = NULL, *ips = json_array();
	char pod_dir[PATH_MAX], path[PATH_MAX], nsname[NETNS_NAME_MAX], cpath[4096];
	char pod_ip[64] = "", gw[64] = "", hostname[64];
	size_t nc = 0, ncs = 0;
	struct cniclient cc = { 0 };
	bool abandoned = false;
	int lock = -1, plock = -1, ret;

	cc.cni_path = runtime_cni_path(rt, cpath, sizeof(cpath));
	cc.cache_dir = rt->cni_cache;
	/* Shared, from before the claim until the pod runs (or is undone):
	 * a gc (exclusive) never lists the pod half-made, so never takes its
	 * netns pin, directory or CNI attachment for leftovers. */
	if (!locked) {
		ret = podrt_lifecycle_lock(rt, true, &lock, err);
		if (ret < 0)
			goto out_nofail;
	}
	/* And the pod's, until the shim runs: an update, a delete or another
	 * start of the pod waits for this one, so it finds plan.json
	 * complete and a shim that reads it (podrt.h). */
	if (!pod_locked) {
		ret = pod_lock(rt, uid, &plock, err);
		if (ret < 0)
			goto out_nofail;
	}
	/*
	 * Claim the pod: pending -> creating, owned by this process, in one
	 * transaction, so that of two starters (podnetd's agent and the
	 * `podnet apply` that admitted it) exactly one runs it.
	 */
	ret = store_begin(rt->st, err);
	if (ret < 0)
		goto out_nofail;
	ret = store_pod_get(rt->st, uid, &sp, err);
	/* A re-created sandbox (recover: carry set, gc's lock held) stays
	 * ready, phase Pending, until it runs: killed half-way, the next gc
	 * re-creates it again instead of deleting the pod. */
	/* A start cut short (creating, its owner dead: podnetd or the
	 * agent's worker was killed) is claimed again and its leftovers
	 * undone first: an admitted pod runs, as kubelet would run it after
	 * a restart.  `podnet gc` instead deletes such a pod (the CLI's
	 * apply is all or nothing); the lifecycle lock orders the two. */
	if (ret == 0 && sp->phase == STORE_PHASE_PENDING && !carry &&
	    sp->state == STORE_POD_CREATING && !store_owner_alive(sp->owner))
		abandoned = true;
	if (ret == 0 && sp->phase == STORE_PHASE_PENDING &&
	    (carry ? sp->state == STORE_POD_READY : sp->state == STORE_POD_PENDING || abandoned))
		;
	else if (ret == 0)
		ret = pn_error(err, PN_E_CONFLICT, EALREADY, "pod %s is not waiting to start", sp->name);
	if (ret == 0) {
		sp->state = carry ? STORE_POD_READY : STORE_POD_CREATING;
		ret = store_pod_update(rt->st, sp, STORE_POD_F_STATE, err);
	}
	ret = store_end(rt->st, ret, err);
	if (ret < 0)
		goto out_nofail;
	if (abandoned) {
		ret = pod_teardown(rt, sp, err);
		if (ret == 0)
			ret = store_attachment_remove_all(rt->st, sp->uid, err);
		if (ret < 0)
			goto out;
		free(sp->netns_path);
		sp->netns_path = NULL;
	}
	pn_fault_point("start.claimed");
	spec = json_loads(sp->spec_json, 0, NULL);
	ret = spec ? pod_from_json(spec, &pod, err)
		   : pn_error(err, PN_E_STATE, EIO, "pod %s: stored spec unreadable", sp->name);
	if (ret < 0)
		goto out;
	nc = pod->spec.n_containers;
	imgs = calloc(nc ? nc : 1, sizeof(*imgs));
	if (!imgs || !ips) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	ret = check_images(rt, pod, imgs, err);
	if (ret < 0)
		goto out;
	ret = store_container_list(rt->st, uid, &cs, &ncs, err);
	if (ret < 0)
		goto out;
	if (ncs != nc) {
		ret = pn_error(err, PN_E_STATE, EIO, "pod %s: %zu containers in the spec, %zu rows",
			       sp->name, nc, ncs);
		goto out;
	}
	if (!pod->spec.host_network) {
		ret = load_netlist(rt, &l, err);
		if (ret < 0)
			goto out;
		ret = netns_new_name(nsname);
		if (ret < 0) {
			ret = pn_error(err, PN_E_KERNEL, -ret, "cannot name a network namespace");
			goto out;
		}
		free(sp->netns_path);
		if (asprintf(&sp->netns_path, "%s/%s", rt->netns_dir, nsname) < 0) {
			sp->netns_path = NULL;
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	/* From here a killed start is visible (creating, owned by a dead
	 * process) and finished off by delete and gc. */
	sp->state = carry ? STORE_POD_READY : STORE_POD_CREATING;
	ret = store_pod_update(rt->st, sp, STORE_POD_F_STATE | STORE_POD_F_NETNS, err);
	if (ret < 0)
		goto out;
	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	ret = pn_mkdir_p(pod_dir, 0700);
	if (ret < 0) {
		ret = pn_error(err, PN_E_STATE, -ret, "cannot create %s", pod_dir);
		goto out;
	}
	pn_fault_point("start.dir-made");

	/* 3-4. The pod's network: its own namespace and the CNI chain. */
	if (!pod->spec.host_network) {
		struct cniclient_rt crt;
		struct cniclient_kv kv[CNICLIENT_K8S_NARGS];
		char *made_path = NULL;

		ret = netns_create_pinned(rt->netns_dir, nsname, &made_path, err);
		free(made_path);
		if (ret < 0)
			goto out;
		pn_fault_point("start.netns-made");
		ret = loopback_up(sp->netns_path, err);
		if (ret < 0)
			goto out;
		/* Recorded before ADD runs, so a crash mid-ADD cannot hide the
		 * attachment from gc; the row goes with the pod's (cascade). */
		{
			struct store_attachment a = { .pod_uid = sp->uid,
						      .network = l->name,
						      .ifname = POD_IFNAME,
						      .container_id = sp->sandbox_id,
						      .netns_path = sp->netns_path };

			ret = store_attachment_add(rt->st, &a, err);
			if (ret < 0)
				goto out;
		}
		pn_fault_point("start.attachment-recorded");
		cni_rt_for(sp, &crt, kv);
		ret = cniclient_add(&cc, l, &crt, &res, err);
		if (ret < 0) {
			/* A failed ADD was undone by the client (DEL of the
			 * plugins it ran): nothing is left for a DEL to find. */
			if (store_attachment_remove_all(rt->st, sp->uid, NULL) < 0)
				pn_debug("pod %s: attachment row kept", sp->name);
			pn_err_prefix(err, "network for pod \"%s\" (CNI network %s)", sp->name, l->name);
			goto out;
		}
		pn_fault_point("start.cni-added");
		result_pod_ips(res, pod_ip, sizeof(pod_ip), ips, gw, sizeof(gw));
		/* The addresses go in the state now, and the network's rules
		 * follow before any container runs: a pod that a policy
		 * isolates is isolated from its first packet. */
		if (rt->net_sync) {
			row_set_ips(sp, pod_ip, ips, gw);
			ret = store_pod_update(rt->st, sp, STORE_POD_F_IPS, err);
			if (ret == 0)
				ret = podrt_net_sync(rt, err);
			if (ret < 0) {
				pn_err_prefix(err, "network rules for pod \"%s\"", sp->name);
				goto out;
			}
		}
	}
	/* 5-6. Root filesystems, the plan, the shim. */
	ctrs = json_array();
	for (size_t i = 0; i < nc; i++) {
		struct pn_container_spec *c = &pod->spec.containers[i];
		char *rootfs = NULL;

		snprintf(path, sizeof(path), "%s/containers/%s", pod_dir, cs[i].id);
		ret = pn_mkdir_p(path, 0700);
		if (ret < 0) {
			ret = pn_error(err, PN_E_STATE, -ret, "cannot create %s", path);
			goto out;
		}
		ret = image_rootfs_prepare(rt->root, c->image, path, &rootfs, err);
		if (ret < 0)
			goto out;
		json_array_append_new(
			ctrs, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:o}", "id", cs[i].id, "name",
					c->name, "image", c->image, "rootfs", rootfs, "args",
					container_argv(c, imgs[i]), "env", container_env(c, imgs[i]),
					"workingDir",
					c->working_dir ? c->working_dir
						       : (imgs[i]->working_dir ? imgs[i]->working_dir : "/"),
					"unmountRootfs", 1, "probes", plan_probes(c)));
		free(rootfs);
		if (carry && i < ncarry) {
			json_t *pc = json_array_get(ctrs, json_array_size(ctrs) - 1);

			json_object_set_new(pc, "restartCount", json_integer(carry[i].restart_count));
			if (carry[i].last_state)
				json_object_set(pc, "lastState", carry[i].last_state);
			if (carry[i].exited)
				json_object_set(pc, "exited", carry[i].exited);
		}
		pn_fault_point("start.rootfs-made");
	}
	snprintf(path, sizeof(path), "%s/podnet-pause", rt->bin_dir);
	pod_hostname(pod, sp->name, hostname);
	plan = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:s, s:I, s:{s:s}, s:O}",
			 "podUID", sp->uid, "podName", sp->name, "namespace", sp->namespace_,
			 "sandboxID", sp->sandbox_id, "hostname", hostname, "hostNetwork",
			 pod->spec.host_network, "hostIPC", pod->spec.host_ipc, "hostPID",
			 pod->spec.host_pid, "shareProcessNamespace",
			 pod->spec.share_process_namespace, "restartPolicy",
			 pn_restart_policy_str(pod->spec.restart_policy), "terminationGracePeriodSeconds",
			 (json_int_t)pod->spec.termination_grace_period, "pause", "binary", path,
			 "containers", ctrs);
	if (plan && sp->netns_path)
		json_object_set_new(plan, "netns", json_string(sp->netns_path));
	if (plan && pod_ip[0])
		json_object_set_new(plan, "podIP", json_string(pod_ip));
	/* Service endpoints follow readiness: the shim runs this when a
	 * container's readiness changes. */
	snprintf(path, sizeof(path), "%s/podnet", rt->bin_dir);
	if (plan && access(path, X_OK) == 0)
		json_object_set_new(plan, "syncCommand", json_pack("[s, s]", path, "sync"));
	if (!plan) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/plan.json", pod_dir);
	ret = pn_json_file_replace(path, plan, JSON_INDENT(2), 0644, PN_E_STATE, err);
	if (ret < 0)
		goto out;
	{
		char shim[PATH_MAX];
		char *argv[12];
		int k = 0;

		snprintf(shim, sizeof(shim), "%s/podnet-shim", rt->bin_dir);
		argv[k++] = shim;
		argv[k++] = "--pod-dir";
		argv[k++] = pod_dir;
		argv[k++] = "--root";
		argv[k++] = (char *)rt->root;
		argv[k++] = "--pod-uid";
		argv[k++] = sp->uid;
		if (rt->runtime) {
			argv[k++] = "--runtime";
			argv[k++] = (char *)rt->runtime;
		}
		argv[k] = NULL;
		/* The shim's first process returns once the pod runs, its pid
		 * on stdout; the monitor it leaves behind has closed both
		 * pipes, so EOF does not wait for the pod to end. */
		ret = pn_run(&(struct pn_spawn){ .path = shim, .argv = argv, .out = PN_STDIO_PIPE,
						 .err = PN_STDIO_PIPE, .out_max = 64, .err_max = 2048,
						 .code = PN_E_OCI_RUNTIME },
			     &pr, err);
		if (ret < 0) {
			pn_err_prefix(err, "pod \"%s\" did not start", sp->name);
			goto out;
		}
		if (!pn_proc_ok(&pr)) {
			char *e = pr.err;
			size_t n = strlen(e);

			while (n > 0 && e[n - 1] == '\n')
				e[--n] = '\0';
			ret = pn_error(err, PN_E_OCI_RUNTIME, 0, "pod \"%s\" did not start: %s", sp->name,
				       e[0] ? e : "podnet-shim failed");
			goto out;
		}
		sp->shim_pid = atoi(pr.out);
	}
	pn_fault_point("start.shim-started");
	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	{
		json_t *sj = read_json(path);

		sp->pause_pid = sj ? (pid_t)json_integer_value(json_object_get(sj, "pausePid")) : 0;
		json_decref(sj);
	}

	/* 7. Ready. */
	sp->state = STORE_POD_READY;
	sp->phase = STORE_PHASE_RUNNING;
	row_set_ips(sp, pod_ip, ips, gw);
	sp->started_ns = (int64_t)time(NULL) * 1000000000;
	ret = store_pod_update(rt->st, sp,
			       STORE_POD_F_STATE | STORE_POD_F_PHASE | STORE_POD_F_IPS |
				       STORE_POD_F_SHIM_PID | STORE_POD_F_PAUSE_PID | STORE_POD_F_STARTED,
			       err);
	if (ret < 0)
		goto out;
	/*
	 * Running now, so a Service's endpoint (endpoints.c wants phase
	 * Running): its rules follow.  The shim's own `podnet sync` at its
	 * containers' readiness may have run before this row said Running,
	 * and then nothing else would bring them (a slow start; a start
	 * redone after a kill).  The pod runs whatever happens here.
	 */
	{
		struct pn_err se = { 0 };

		if (podrt_net_sync(rt, &se) < 0)
			pn_warn("pod %s: rules not updated: %s", sp->name, pn_err_msg(&se));
		pn_err_free(&se);
	}
	/* kubelet's account of each container's start: the image (local, so
	 * present), the container made, then started. */
	for (size_t i = 0; i < nc; i++) {
		const char *name = pod->spec.containers[i].name;

		EVENT(rt, sp, name, "Normal", "Pulled", "Container image \"%s\" already present on machine",
		      pod->spec.containers[i].image);
		EVENT(rt, sp, name, "Normal", "Created", "Created container: %s", name);
		EVENT(rt, sp, name, "Normal", "Started", "Started container %s", name);
	}
	{
		struct pn_err scratch = { 0 };

		if (podrt_pod_sync_status(rt, sp, NULL, &scratch) < 0)
			pn_warn("pod %s: status: %s", sp->name, pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
	ret = 0;
out:
	/* Claimed above: a failure leaves it pending and Failed; a
	 * re-creation's is undone by its caller, which retries later. */
	if (ret < 0 && !carry)
		start_failed(rt, uid, err);
out_nofail:
	pod_unlock(plock);
	podrt_lifecycle_unlock(lock);
	images_free(imgs, nc);
	store_container_array_free(cs, ncs);
	store_pod_free(sp);
	pn_pod_free(pod);
	pn_proc_result_free(&pr);
	cni_result_free(res);
	cni_netlist_free(l);
	json_decref(spec);
	json_decref(plan);
	json_decref(ctrs);
	json_decref(ips);
	return ret;
}

int podrt_pod_create(struct podrt *rt, struct pn_pod *pod, struct store_pod **out,
		     struct pn_err *err)
{
	struct store_pod *sp = NULL;
	int ret;

	if (out)
		*out = NULL;
	ret = podrt_pod_admit(rt, pod, NULL, &sp, err);
	if (ret < 0)
		return ret;
	ret = podrt_pod_start(rt, sp->uid, err);
	if (ret < 0 && err && err->code == PN_E_CONFLICT && err->errnum == EALREADY) {
		struct store_pod *now = NULL;

		/* podnetd's agent claimed it first; its start is over (the pod
		 * lock): a pod it got running is this apply's pod too. */
		if (store_pod_get(rt->st, sp->uid, &now, NULL) == 0 &&
		    now->state == STORE_POD_READY) {
			pn_err_free(err);
			ret = 0;
		}
		store_pod_free(now);
	}
	if (ret < 0) {
		/* The CLI's apply is all or nothing: a pod that did not start
		 * goes (its resources were undone by the start). */
		struct pn_err scratch = { 0 };

		if (store_pod_delete(rt->st, sp->uid, &scratch) < 0)
			pn_warn("rollback of pod %s: %s", sp->name, pn_err_msg(&scratch));
		pn_err_free(&scratch);
		store_pod_free(sp);
		return ret;
	}
	if (out)
		ret = store_pod_get(rt->st, sp->uid, out, err);
	store_pod_free(sp);
	return ret;
}

/* ---- a sandbox that died */

bool podrt_sandbox_dead(struct podrt *rt, const struct store_pod *sp)
{
	char pod_dir[PATH_MAX];

	if (sp->state != STORE_POD_READY || sp->phase == STORE_PHASE_SUCCEEDED ||
	    sp->phase == STORE_PHASE_FAILED)
		return false;
	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	return !shim_alive(pod_dir);
}

/* A sandbox to re-create: dead, or one whose re-creation was cut short (a
 * ready row is Pending only between a re-creation's start and its end, and
 * re-creations run under the exclusive lifecycle lock, so none is under
 * way when the caller holds it). */
static bool sandbox_to_recreate(struct podrt *rt, const struct store_pod *sp)
{
	return podrt_sandbox_dead(rt, sp) ||
	       (sp->state == STORE_POD_READY && sp->phase == STORE_PHASE_PENDING);
}

static void carry_free(struct ctr_carry *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		json_decref(c[i].last_state);
		json_decref(c[i].exited);
	}
	free(c);
}

/* Append one of kubelet's pod events to <pod_dir>/events.json (the shim's
 * file, read by `describe pod`), aggregated as the event recorder does. */
static void pod_event(const char *pod_dir, const char *type, const char *reason,
		      const char *message)
{
	char path[PATH_MAX], now[40];
	json_t *doc, *evs, *e;
	struct timespec ts;
	struct tm tm;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(path, sizeof(path), "%s/events.json", pod_dir);
	doc = json_load_file(path, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		doc = json_object();
	}
	evs = json_object_get(doc, "events");
	if (!json_is_array(evs)) {
		evs = json_array();
		json_object_set_new(doc, "events", evs);
	}
	json_array_foreach(evs, i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "reason")) ?: "", reason) &&
		    !strcmp(json_string_value(json_object_get(e, "message")) ?: "", message)) {
			json_object_set_new(e, "count",
					    json_integer(json_integer_value(json_object_get(e, "count")) + 1));
			json_object_set_new(e, "lastTimestamp", json_string(now));
			goto write;
		}
	}
	json_array_append_new(evs, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "type", type,
					     "reason", reason, "fieldPath", "", "message", message,
					     "count", 1, "firstTimestamp", now, "lastTimestamp", now));
write:
	(void)!pn_json_file_replace(path, doc, JSON_INDENT(2), 0644, PN_E_STATE, NULL);
	json_decref(doc);
}

/*
 * The attempt a container's status file says ended (or was cut short),
 * as {"exitCode", "reason", "message", "startedAt", "finishedAt"}: its exit;
 * for one that was running, 255 "Unknown", as containerd reports a
 * container whose task vanished with its shim; for one waiting to restart,
 * the exit it waits after; NULL for one never started.
 */
static json_t *status_ended(json_t *st, const char *now)
{
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *started = json_string_value(json_object_get(st, "startedAt"));
	const char *fin = json_string_value(json_object_get(st, "finishedAt"));
	const char *reason = json_string_value(json_object_get(st, "reason"));
	const char *msg = json_string_value(json_object_get(st, "message"));
	json_t *last = json_object_get(st, "lastState"), *ended = NULL;
	const char *cid = json_string_value(json_object_get(st, "containerID"));

	if (!state || !started)
		return NULL;
	if (!strcmp(state, "waiting"))
		return json_is_object(last) ? json_deep_copy(last) : NULL;
	if (!strcmp(state, "exited"))
		ended = json_pack("{s:I, s:s, s:s, s:s, s:s}", "exitCode",
				  json_integer_value(json_object_get(st, "exitCode")), "reason",
				  reason ? reason : "Error", "message", msg ? msg : "", "startedAt",
				  started, "finishedAt", fin ? fin : now);
	else
		ended = json_pack("{s:i, s:s, s:s, s:s, s:s}", "exitCode", 255, "reason", "Unknown",
				  "message", "the pod's sandbox died", "startedAt", started,
				  "finishedAt", now);
	if (ended && cid)
		json_object_set_new(ended, "containerID", json_string(cid));
	return ended;
}

/*
 * What the containers of a dead sandbox become (kubelet's
 * computePodActions once the sandbox changed): under Always every
 * container starts again; under OnFailure each one that did not complete
 * with 0; under Never none (the pod ends Failed or Succeeded).  Returns how
 * many run again; *failed: one that does not ended with a non-zero code.
 */
static size_t carry_from_status(const char *pod_dir, const struct pn_pod *pod,
				const struct store_container *cs, size_t nc,
				struct ctr_carry *carry, bool *failed)
{
	char path[PATH_MAX], now[40];
	size_t run = 0;
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S.000000000Z", &tm);
	*failed = false;
	for (size_t i = 0; i < nc; i++) {
		json_t *st, *ended;
		int code;
		bool again;

		snprintf(path, sizeof(path), "%s/containers/%s/status.json", pod_dir, cs[i].id);
		st = json_load_file(path, 0, NULL);
		ended = status_ended(st, now);
		code = ended ? (int)json_integer_value(json_object_get(ended, "exitCode")) : 255;
		carry[i].restart_count = (int)json_integer_value(json_object_get(st, "restartCount"));
		switch (pod->spec.restart_policy) {
		case PN_RESTART_ALWAYS: again = true; break;
		case PN_RESTART_ON_FAILURE: again = !ended || code != 0; break;
		default: again = false; break;
		}
		if (again) {
			run++;
			/* The next attempt; one never started keeps its number. */
			if (ended) {
				carry[i].restart_count++;
				json_object_del(ended, "message");
			}
			carry[i].last_state = ended;
		} else {
			if (!ended)
				ended = json_pack("{s:i, s:s, s:s, s:s, s:s}", "exitCode", 255, "reason",
						  "Unknown", "message", "the pod's sandbox died",
						  "startedAt", now, "finishedAt", now);
			carry[i].exited = ended;
			carry[i].last_state = json_incref(json_object_get(st, "lastState"));
			*failed |= code != 0;
		}
		json_decref(st);
	}
	return run;
}

/* A sandbox that is not re-created: its containers' files say how each
 * ended, as the shim would have written them. */
static void status_finalize(const char *pod_dir, const struct store_container *cs, size_t nc,
			    const struct ctr_carry *carry)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < nc; i++) {
		json_t *st, *x = carry[i].exited;

		snprintf(path, sizeof(path), "%s/containers/%s/status.json", pod_dir, cs[i].id);
		st = json_load_file(path, 0, NULL);
		if (!json_is_object(st)) {
			json_decref(st);
			st = json_pack("{s:s, s:s, s:i}", "id", cs[i].id, "name", cs[i].name,
				       "restartCount", carry[i].restart_count);
		}
		if (!st || !x)
			goto next;
		json_object_set_new(st, "state", json_string("exited"));
		json_object_set_new(st, "pid", json_integer(0));
		json_object_set(st, "exitCode", json_object_get(x, "exitCode"));
		json_object_set(st, "reason", json_object_get(x, "reason"));
		json_object_set(st, "message", json_object_get(x, "message"));
		json_object_set(st, "startedAt", json_object_get(x, "startedAt"));
		json_object_set(st, "finishedAt", json_object_get(x, "finishedAt"));
		(void)!pn_json_file_replace(path, st, JSON_INDENT(2), 0644, PN_E_STATE, NULL);
next:
		json_decref(st);
	}
}

/*
 * Re-create the sandbox of a ready pod whose shim is gone, with the
 * lifecycle lock held exclusively.  Idempotent: killed half-way, the next
 * call finds the row (still ready, phase Pending, naming the new sandbox)
 * and no live shim, tears down what was made and starts over.
 */
static int pod_recover_locked(struct podrt *rt, const char *uid, bool *recreated,
			      struct pn_err *err)
{
	struct store_pod *sp = NULL;
	struct pn_pod *pod = NULL;
	struct store_container *cs = NULL;
	struct ctr_carry *carry = NULL;
	struct shim_rec rec = { 0 };
	char pod_dir[PATH_MAX], path[PATH_MAX], boot[64] = "", msg[256];
	char id[STORE_ID_LEN + 1];
	const char *old_boot;
	json_t *spec = NULL;
	size_t nc = 0, run;
	bool failed;
	int plock = -1, ret;

	*recreated = false;
	/* The pod's lock for the whole re-creation: an update meanwhile
	 * would write a plan for the old sandbox or none. */
	ret = pod_lock(rt, uid, &plock, err);
	if (ret < 0)
		return ret;
	ret = store_pod_get(rt->st, uid, &sp, err);
	if (ret < 0) {
		pod_unlock(plock);
		return ret == -ENOENT ? 0 : ret;
	}
	if (!sandbox_to_recreate(rt, sp))
		goto out;
	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	spec = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL;
	ret = spec ? pod_from_json(spec, &pod, err)
		   : pn_error(err, PN_E_STATE, EINVAL, "pod %s: no stored spec", sp->name);
	if (ret < 0)
		goto out;
	ret = store_container_list(rt->st, sp->uid, &cs, &nc, err);
	if (ret < 0)
		goto out;
	if (nc != pod->spec.n_containers) {
		ret = pn_error(err, PN_E_STATE, EINVAL, "pod %s: %zu containers stored, %zu in its spec",
			       sp->name, nc, pod->spec.n_containers);
		goto out;
	}
	carry = calloc(nc ? nc : 1, sizeof(*carry));
	if (!carry) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	run = carry_from_status(pod_dir, pod, cs, nc, carry, &failed);
	shim_rec_read(pod_dir, &rec);
	old_boot = json_string_value(json_object_get(rec.j, "bootID"));
	if (old_boot && pn_boot_id(boot, sizeof(boot)) == 0 && strcmp(boot, old_boot))
		snprintf(msg, sizeof(msg), "the node restarted");
	else if (!podrt_sandbox_dead(rt, sp))
		snprintf(msg, sizeof(msg), "its last re-creation was cut short");
	else
		snprintf(msg, sizeof(msg), "its shim (pid %d) is gone", (int)rec.pid);

	/* The old sandbox, whatever is left of it: processes (none, after a
	 * reboot), the CNI attachment and its lease, the netns pin.  The pod
	 * dir stays: the containers' logs and status files are the pod's. */
	ret = sandbox_down(rt, sp, pod_dir, NULL, err);
	if (ret < 0)
		goto out;
	pn_fault_point("recover.torn-down");
	/* Files of the old sandbox the shim writes only once. */
	for (const char *const *f = (const char *const[]){ "hosts", "hostname", "resolv.conf",
							   "shim.json", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", pod_dir, *f);
		unlink(path);
	}

	if (run == 0) {
		/* Nothing runs again: the pod ends, as kubelet ends a Never
		 * pod whose sandbox died. */
		status_finalize(pod_dir, cs, nc, carry);
		sp->phase = failed ? STORE_PHASE_FAILED : STORE_PHASE_SUCCEEDED;
		free(sp->pod_ip);
		free(sp->pod_ips);
		free(sp->host_ip);
		free(sp->netns_path);
		sp->pod_ip = sp->pod_ips = sp->host_ip = sp->netns_path = NULL;
		sp->shim_pid = sp->pause_pid = 0;
		ret = store_pod_update(rt->st, sp,
				       STORE_POD_F_PHASE | STORE_POD_F_IPS | STORE_POD_F_NETNS |
					       STORE_POD_F_SHIM_PID | STORE_POD_F_PAUSE_PID,
				       err);
		EVENT(rt, sp, NULL, "Normal", "SandboxChanged",
		      "Pod sandbox died (%s), it will not be re-created: restartPolicy is %s", msg,
		      pn_restart_policy_str(pod->spec.restart_policy));
		snprintf(path, sizeof(path),
			 "Pod sandbox died (%s), it will not be re-created: restartPolicy is %s", msg,
			 pn_restart_policy_str(pod->spec.restart_policy));
		pod_event(pod_dir, "Normal", "SandboxChanged", path);
		if (ret == 0) {
			struct pn_err scratch = { 0 };

			if (podrt_pod_sync_status(rt, sp, NULL, &scratch) < 0)
				pn_warn("pod %s: status: %s", sp->name, pn_err_msg(&scratch));
			pn_err_free(&scratch);
		}
		goto out;
	}

	/* kubelet: "Pod sandbox changed, it will be killed and re-created."
	 * A new sandbox id (the old one may linger in caches and leases of
	 * other plugins), recorded before anything is made; the start names
	 * a new netns. */
	if (store_new_id(id) < 0) {
		ret = pn_error(err, PN_E_KERNEL, EIO, "cannot make a sandbox id");
		goto out;
	}
	free(sp->sandbox_id);
	free(sp->netns_path);
	free(sp->pod_ip);
	free(sp->pod_ips);
	free(sp->host_ip);
	sp->sandbox_id = strdup(id);
	sp->netns_path = sp->pod_ip = sp->pod_ips = sp->host_ip = NULL;
	sp->shim_pid = sp->pause_pid = 0;
	sp->state = STORE_POD_READY;
	sp->phase = STORE_PHASE_PENDING;
	ret = store_begin(rt->st, err);
	if (ret == 0)
		ret = store_pod_update(rt->st, sp,
				       STORE_POD_F_STATE | STORE_POD_F_SANDBOX | STORE_POD_F_NETNS |
					       STORE_POD_F_IPS | STORE_POD_F_SHIM_PID |
					       STORE_POD_F_PAUSE_PID | STORE_POD_F_PHASE,
				       err);
	if (ret == 0)
		ret = store_attachment_remove_all(rt->st, sp->uid, err);
	ret = store_end(rt->st, ret, err);
	if (ret < 0)
		goto out;
	pn_fault_point("recover.row-updated");
	EVENT(rt, sp, NULL, "Normal", "SandboxChanged",
	      "Pod sandbox changed, it will be killed and re-created: %s", msg);
	/* And where `describe pod` reads the shim's (the new shim keeps it). */
	snprintf(path, sizeof(path), "Pod sandbox changed, it will be killed and re-created: %s",
		 msg);
	pod_event(pod_dir, "Normal", "SandboxChanged", path);
	ret = pod_start(rt, sp->uid, true, true, carry, nc, err);
	if (ret < 0) {
		struct store_pod *now = NULL;
		struct pn_err scratch = { 0 };

		pn_err_prefix(err, "re-creating the sandbox of pod %s", sp->name);
		/* Undone; the row stays ready and Pending: the next gc tries again. */
		if (store_pod_get(rt->st, sp->uid, &now, &scratch) == 0) {
			(void)!sandbox_down(rt, now, pod_dir, NULL, NULL);
		}
		store_pod_free(now);
		pn_err_free(&scratch);
		goto out;
	}
	*recreated = true;
out:
	pod_unlock(plock);
	carry_free(carry, nc);
	shim_rec_free(&rec);
	store_container_array_free(cs, nc);
	pn_pod_free(pod);
	json_decref(spec);
	store_pod_free(sp);
	return ret;
}

int podrt_pod_recover(struct podrt *rt, const struct store_pod *sp, bool *recreated,
		      struct pn_err *err)
{
	int lock, ret;

	ret = podrt_lifecycle_lock(rt, false, &lock, err);
	if (ret < 0)
		return ret;
	ret = pod_recover_locked(rt, sp->uid, recreated, err);
	podrt_lifecycle_unlock(lock);
	return ret;
}

static void jstr(json_t *o, const char *k, char *buf, size_t n)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(buf, n, "%s", s ? s : "");
}

static int jint(json_t *o, const char *k, int def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static time_t parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !*s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

int podrt_view_get(struct podrt *rt, const struct store_pod *sp, struct podrt_view *v,
		   struct pn_err *err)
{
	struct store_container *cs = NULL;
	char path[PATH_MAX];
	json_t *shim = NULL;
	size_t n = 0;
	bool all_exited = true, any_failed = false;
	const char *policy = "Always";
	int ret;

	memset(v, 0, sizeof(*v));
	snprintf(v->node_name, sizeof(v->node_name), "%s", podrt_node_name(rt));
	snprintf(v->node_ip, sizeof(v->node_ip), "%s", podrt_node_ip(rt));
	ret = store_pod_get(rt->st, sp->uid, &v->pod, err);
	if (ret < 0)
		return ret;
	v->spec = v->pod->spec_json ? json_loads(v->pod->spec_json, 0, NULL) : NULL;
	if (v->spec) {
		const char *p = json_string_value(
			json_object_get(json_object_get(v->spec, "spec"), "restartPolicy"));

		if (p)
			policy = p;
	}
	pod_dir_path(rt, sp->uid, v->pod_dir, sizeof(v->pod_dir));
	v->shim_alive = shim_alive(v->pod_dir);
	/* A dead sandbox has no IP: its lease may be another pod's by now
	 * (podnet-ipam reclaims the leases of a past boot). */
	if (!v->shim_alive && v->pod->state == STORE_POD_READY &&
	    v->pod->phase != STORE_PHASE_SUCCEEDED && v->pod->phase != STORE_PHASE_FAILED) {
		free(v->pod->pod_ip);
		free(v->pod->pod_ips);
		v->pod->pod_ip = v->pod->pod_ips = NULL;
	}
	snprintf(path, sizeof(path), "%s/shim.json", v->pod_dir);
	shim = read_json(path);
	if (shim) {
		v->shim_pid = jint(shim, "pid", 0);
		v->pause_pid = jint(shim, "pausePid", 0);
		jstr(shim, "runtime", v->runtime, sizeof(v->runtime));
		jstr(shim, "runtimeRoot", v->runtime_root, sizeof(v->runtime_root));
	}
	ret = store_container_list(rt->st, sp->uid, &cs, &n, err);
	if (ret < 0)
		goto out;
	v->ctrs = calloc(n ? n : 1, sizeof(*v->ctrs));
	if (!v->ctrs) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	v->n_ctrs = n;
	v->total = (int)n;
	for (size_t i = 0; i < n; i++) {
		struct podrt_ctr *c = &v->ctrs[i];
		json_t *st, *last;

		c->row = cs[i];
		memset(&cs[i], 0, sizeof(cs[i]));
		c->exit_code = -1;
		snprintf(c->cid, sizeof(c->cid), "%s", c->row.id);
		snprintf(c->state, sizeof(c->state), "created");
		snprintf(c->reason, sizeof(c->reason), "ContainerCreating");
		snprintf(path, sizeof(path), "%s/containers/%s/status.json", v->pod_dir, c->row.id);
		st = read_json(path);
		if (st) {
			if (json_is_string(json_object_get(st, "containerID")))
				jstr(st, "containerID", c->cid, sizeof(c->cid));
			/* After an image change the shim runs the new one. */
			if (json_is_string(json_object_get(st, "image")) &&
			    strcmp(json_string_value(json_object_get(st, "image")), c->row.image)) {
				char *img = strdup(json_string_value(json_object_get(st, "image")));

				if (img) {
					free(c->row.image);
					c->row.image = img;
				}
			}
			jstr(st, "state", c->state, sizeof(c->state));
			c->pid = jint(st, "pid", 0);
			c->exit_code = jint(st, "exitCode", -1);
			jstr(st, "reason", c->reason, sizeof(c->reason));
			jstr(st, "message", c->message, sizeof(c->message));
			jstr(st, "startedAt", c->started_at, sizeof(c->started_at));
			jstr(st, "finishedAt", c->finished_at, sizeof(c->finished_at));
			c->restart_count = jint(st, "restartCount", 0);
			/* A shim without probes (older) writes neither: running is both. */
			c->started = json_is_boolean(json_object_get(st, "started"))
					     ? json_is_true(json_object_get(st, "started"))
					     : !strcmp(c->state, "running");
			c->ready = json_is_boolean(json_object_get(st, "ready"))
					   ? json_is_true(json_object_get(st, "ready"))
					   : !strcmp(c->state, "running");
			jstr(st, "logPath", c->log_path, sizeof(c->log_path));
			jstr(st, "previousLogPath", c->prev_log_path, sizeof(c->prev_log_path));
			last = json_object_get(st, "lastState");
			if (json_is_object(last)) {
				c->has_last = true;
				c->last_exit_code = jint(last, "exitCode", 0);
				jstr(last, "containerID", c->last_cid, sizeof(c->last_cid));
				jstr(last, "reason", c->last_reason, sizeof(c->last_reason));
				jstr(last, "startedAt", c->last_started_at, sizeof(c->last_started_at));
				jstr(last, "finishedAt", c->last_finished_at,
				     sizeof(c->last_finished_at));
				if (parse_rfc3339(c->last_finished_at) > v->last_restart)
					v->last_restart = parse_rfc3339(c->last_finished_at);
			}
			last = json_object_get(st, "previousAttempt");
			if (json_is_object(last)) {
				c->has_prev = true;
				jstr(last, "containerID", c->prev_cid, sizeof(c->prev_cid));
				c->prev_exit_code = jint(last, "exitCode", 0);
				jstr(last, "reason", c->prev_reason, sizeof(c->prev_reason));
				jstr(last, "startedAt", c->prev_started_at, sizeof(c->prev_started_at));
				jstr(last, "finishedAt", c->prev_finished_at, sizeof(c->prev_finished_at));
			}
			json_decref(st);
		}
		/* A status file that says running, from a shim that is gone,
		 * describes nothing: the processes died with it. */
		if (!v->shim_alive && v->pod->state == STORE_POD_READY && !strcmp(c->state, "running")) {
			snprintf(c->state, sizeof(c->state), "unknown");
			snprintf(c->reason, sizeof(c->reason), "Unknown");
			c->pid = 0;
		}
		if (strcmp(c->state, "running") != 0)
			c->ready = c->started = false;
		if (c->ready)
			v->ready++;
		if (strcmp(c->state, "exited"))
			all_exited = false;
		else if (c->exit_code != 0)
			any_failed = true;
		v->restarts += c->restart_count;
	}

	/* Phase and kubectl's STATUS column (its printPod, simplified to the
	 * states a single node can have). */
	if (v->pod->state == STORE_POD_PENDING && v->pod->phase == STORE_PHASE_FAILED) {
		snprintf(v->phase, sizeof(v->phase), "Failed");
		snprintf(v->status, sizeof(v->status), "%s", v->pod->reason ? v->pod->reason : "Failed");
	} else if (v->pod->state == STORE_POD_CREATING || v->pod->state == STORE_POD_PENDING) {
		snprintf(v->phase, sizeof(v->phase), "Pending");
		snprintf(v->status, sizeof(v->status), "ContainerCreating");
	} else if (!v->shim_alive && v->pod->state == STORE_POD_READY && !all_exited) {
		snprintf(v->phase, sizeof(v->phase), "Unknown");
		snprintf(v->status, sizeof(v->status), "Unknown");
	} else if (all_exited && n && strcmp(policy, "Always")) {
		bool failed = any_failed && strcmp(policy, "Never") == 0 ? true : any_failed;

		snprintf(v->phase, sizeof(v->phase), "%s", failed ? "Failed" : "Succeeded");
		snprintf(v->status, sizeof(v->status), "%s", failed ? "Error" : "Completed");
	} else {
		bool has_running = false;

		snprintf(v->phase, sizeof(v->phase), "Running");
		snprintf(v->status, sizeof(v->status), "Running");
		for (size_t i = n; i-- > 0;) {
			struct podrt_ctr *c = &v->ctrs[i];

			if (!strcmp(c->state, "running")) {
				has_running = true;
			} else if (!strcmp(c->state, "waiting") || !strcmp(c->state, "created")) {
				snprintf(v->status, sizeof(v->status), "%s", c->reason);
			} else if (!strcmp(c->state, "exited")) {
				if (c->reason[0])
					snprintf(v->status, sizeof(v->status), "%s", c->reason);
				else
					snprintf(v->status, sizeof(v->status), "ExitCode:%d", c->exit_code);
			}
		}
		if (!strcmp(v->status, "Completed") && has_running)
			snprintf(v->status, sizeof(v->status), "%s",
				 v->ready == v->total ? "Running" : "NotReady");
	}
	if (v->pod->state == STORE_POD_DELETING)
		snprintf(v->status, sizeof(v->status), "Terminating");
	ret = 0;
out:
	json_decref(shim);
	store_container_array_free(cs, n);
	return ret;
}

void podrt_view_free(struct podrt_view *v)
{
	for (size_t i = 0; i < v->n_ctrs; i++)
		store_container_clear(&v->ctrs[i].row);
	free(v->ctrs);
	store_pod_free(v->pod);
	json_decref(v->spec);
	memset(v, 0, sizeof(*v));
}

static void rfc3339(int64_t ns, char buf[40])
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "2026-11-26T16:00:00.123456789Z" -> "2026-11-26T16:00:00Z", as the API
 * server reports container times. */
static json_t *api_time(const char *s)
{
	char buf[40];

	if (!s || !*s)
		return json_null();
	snprintf(buf, sizeof(buf), "%.19sZ", s);
	return json_string(buf);
}

json_t *podrt_view_status(const struct podrt_view *v)
{
	json_t *status, *conds, *cst, *ips, *l = NULL, *e;
	const char *pod_ip = v->pod->pod_ip;
	char ts[40];
	bool ready = v->ready == v->total && v->total > 0;
	bool host_net = json_is_true(
		json_object_get(json_object_get(v->spec, "spec"), "hostNetwork"));
	size_t i;

	rfc3339(v->pod->created_ns, ts);
	status = json_object();
	if (!status)
		return NULL;
	json_object_set_new(status, "phase", json_string(v->phase));
	conds = json_array();
	{
		const char *types[] = { "Initialized", "Ready", "ContainersReady", "PodScheduled" };

		for (i = 0; i < PN_ARRAY_SIZE(types); i++) {
			bool t = i == 0 || i == 3 || ready;

			json_array_append_new(conds, json_pack("{s:s, s:s, s:o, s:s}", "type", types[i],
							       "status", t ? "True" : "False",
							       "lastProbeTime", json_null(),
							       "lastTransitionTime", ts));
		}
	}
	json_object_set_new(status, "conditions", conds);
	/* hostIP is the node's address (kubelet's), not the bridge's. */
	if (v->node_ip[0]) {
		json_object_set_new(status, "hostIP", json_string(v->node_ip));
		json_object_set_new(status, "hostIPs", json_pack("[{s:s}]", "ip", v->node_ip));
	}
	ips = json_array();
	if (host_net && v->node_ip[0]) {
		/* A pod in the node's network namespace has the node's address. */
		pod_ip = v->node_ip;
		json_array_append_new(ips, json_pack("{s:s}", "ip", v->node_ip));
	} else if (v->pod->pod_ips) {
		l = json_loads(v->pod->pod_ips, 0, NULL);
		json_array_foreach(l, i, e)
			json_array_append_new(ips, json_pack("{s:O}", "ip", e));
		json_decref(l);
	}
	if (pod_ip)
		json_object_set_new(status, "podIP", json_string(pod_ip));
	json_object_set_new(status, "podIPs", ips);
	if (v->pod->started_ns) {
		rfc3339(v->pod->started_ns, ts);
		json_object_set_new(status, "startTime", json_string(ts));
	}
	cst = json_array();
	for (i = 0; i < v->n_ctrs; i++) {
		const struct podrt_ctr *c = &v->ctrs[i];
		char cid[80];
		json_t *state, *last = json_object();

		snprintf(cid, sizeof(cid), "podnet://%s", c->row.id);
		if (!strcmp(c->state, "running"))
			state = json_pack("{s:{s:o}}", "running", "startedAt", api_time(c->started_at));
		else if (!strcmp(c->state, "exited"))
			state = json_pack("{s:{s:i, s:s, s:o, s:o, s:s}}", "terminated", "exitCode",
					  c->exit_code, "reason", c->reason, "startedAt",
					  api_time(c->started_at), "finishedAt", api_time(c->finished_at),
					  "containerID", cid);
		else
			state = json_pack("{s:{s:s}}", "waiting", "reason",
					  c->reason[0] ? c->reason : "ContainerCreating");
		/* The shim's why (the back-off, the runtime's start error), where
		 * the API server keeps it too. */
		if (c->message[0])
			json_object_set_new(json_object_get(state, strcmp(c->state, "exited") ? "waiting"
											  : "terminated"),
					    "message", json_string(c->message));
		if (c->has_last)
			json_object_set_new(last, "terminated",
					    json_pack("{s:i, s:s, s:o, s:o, s:s}", "exitCode",
						      c->last_exit_code, "reason", c->last_reason,
						      "startedAt", api_time(c->last_started_at),
						      "finishedAt", api_time(c->last_finished_at),
						      "containerID", cid));
		json_array_append_new(
			cst, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:i, s:b}", "name", c->row.name,
				       "containerID", cid, "image", c->row.image, "imageID", c->row.image,
				       "state", state, "lastState", last, "ready", c->ready,
				       "restartCount", c->restart_count, "started", c->started));
	}
	json_object_set_new(status, "containerStatuses", cst);
	json_object_set_new(status, "qosClass", json_string("BestEffort"));
	if (v->pod->state == STORE_POD_PENDING && v->pod->phase == STORE_PHASE_FAILED &&
	    v->pod->reason)
		json_object_set_new(status, "reason", json_string(v->pod->reason));
	return status;
}

json_t *podrt_view_to_json(const struct podrt_view *v)
{
	json_t *o = v->spec ? json_deep_copy(v->spec) : json_object();
	json_t *meta, *spec, *status;
	char ts[40], rv[32];

	if (!o)
		return NULL;
	meta = json_object_get(o, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(o, "metadata", meta);
	}
	json_object_set_new(meta, "uid", json_string(v->pod->uid));
	rfc3339(v->pod->created_ns, ts);
	json_object_set_new(meta, "creationTimestamp", json_string(ts));
	snprintf(rv, sizeof(rv), "%lld", (long long)v->pod->rv);
	json_object_set_new(meta, "resourceVersion", json_string(rv));
	spec = json_object_get(o, "spec");
	if (spec)
		json_object_set_new(spec, "nodeName", json_string(v->node_name));
	status = podrt_view_status(v);
	if (status)
		json_object_set_new(o, "status", status);
	return o;
}

/* ---- update */

#define UPDATABLE                                                                                 \
	"`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"  \
	"`spec.tolerations` (only additions to existing tolerations),"                             \
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "      \
	"negative)"

/* Append to @b, one line each, the paths where @a and @b differ. */
static void spec_diff(json_t *a, json_t *b, const char *path, struct pn_buf *out)
{
	if (json_equal(a, b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;
		char sub[512];

		json_object_foreach(a, k, v) {
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			spec_diff(v, json_object_get(b, k), sub, out);
		}
		json_object_foreach(b, k, v) {
			if (json_object_get(a, k))
				continue;
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			spec_diff(NULL, v, sub, out);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b) &&
	    json_is_object(json_array_get(a, 0))) {
		char sub[512];

		for (size_t i = 0; i < json_array_size(a); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			spec_diff(json_array_get(a, i), json_array_get(b, i), sub, out);
		}
		return;
	}
	{
		char *sa = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		char *sb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		pn_buf_printf(out, "\n  %s: %s -> %s", path, sa ? sa : "(unset)", sb ? sb : "(unset)");
		free(sa);
		free(sb);
	}
}

int podrt_pod_check_update(const struct pn_pod *old, const struct pn_pod *pod,
			   struct pn_err *err)
{
	json_t *a = pod_to_json(old), *b = pod_to_json(pod), *as, *bs, *ac, *bc;
	struct pn_buf diff = { 0 };
	char *d;
	int ret = 0;

	if (!a || !b) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	as = json_object_get(a, "spec");
	bs = json_object_get(b, "spec");
	/* What may change is taken from the new spec into the old one; what
	 * differs then is what may not. */
	ac = json_object_get(as, "containers");
	bc = json_object_get(bs, "containers");
	if (json_array_size(ac) == json_array_size(bc)) {
		for (size_t i = 0; i < json_array_size(ac); i++) {
			json_t *img = json_object_get(json_array_get(bc, i), "image");

			if (img)
				json_object_set(json_array_get(ac, i), "image", img);
			/* imagePullPolicy is defaulted from the image's tag: it
			 * follows the image. */
			img = json_object_get(json_array_get(bc, i), "imagePullPolicy");
			if (img)
				json_object_set(json_array_get(ac, i), "imagePullPolicy", img);
		}
	}
	if (json_equal(as, bs))
		goto out;
	spec_diff(as, bs, "spec", &diff);
	d = pn_buf_take(&diff);
	ret = pn_error(err, PN_E_FORBIDDEN, EPERM,
		       "The Pod \"%s\" is invalid: spec: Forbidden: pod updates may not change fields "
		       "other than " UPDATABLE "%s",
		       pod->meta.name, d ? d : "");
	if (pn_err_cause(err, "FieldValueForbidden", "spec",
			 "Forbidden: pod updates may not change fields other than " UPDATABLE "%s",
			 d ? d : "") < 0)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	free(d);
out:
	json_decref(a);
	json_decref(b);
	return ret;
}

/*
 * kubelet restarts a container whose image changed.  Here the new image's
 * root file system is mounted first, in a generation directory beside the
 * one the container runs on (rootfs.h), and the plan gets its path with
 * the image's command, environment and working directory; the shim
 * (SIGUSR2, src/shim/README.md) then stops that container, starts it
 * again on the new root file system as a new attempt and releases the old
 * one.  The shim never builds a root file system itself (it links no
 * image store), so an image that cannot be mounted fails here, with the
 * old container untouched.
 *
 * In two steps around the store's update: image_change_prepare() mounts
 * and writes the new plan, image_change_abort() undoes that (old plan
 * back, new mounts released), image_change_commit() signals the shim.
 */
struct image_change {
	char pod_dir[PATH_MAX];
	json_t *old_plan;  /* NULL: nothing changes */
	json_int_t revision; /* of the new plan: the old one's + 1 */
	struct { char *cdir, *rootfs; } *made; /* new root file systems, n_made */
	size_t n_made;
};

/* The new root file systems go: their mounts and generation dirs. */
static void image_change_release(struct image_change *ch)
{
	for (size_t i = 0; i < ch->n_made; i++) {
		struct pn_err scratch = { 0 };

		if (rootfs_release_path(ch->made[i].cdir, ch->made[i].rootfs, &scratch) < 0)
			pn_warn("%s", pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
}

static void image_change_free(struct image_change *ch)
{
	for (size_t i = 0; i < ch->n_made; i++) {
		free(ch->made[i].cdir);
		free(ch->made[i].rootfs);
	}
	free(ch->made);
	json_decref(ch->old_plan);
	memset(ch, 0, sizeof(*ch));
}

/* One container's new image: a generation dir with its root file system
 * mounted, recorded in @ch before anything can fail past mkdtemp. */
static int image_change_mount(struct podrt *rt, struct image_change *ch, const char *id,
			      const char *image, char **rootfs, struct pn_err *err)
{
	char cdir[PATH_MAX], *gen = NULL, *path = NULL;
	void *grown;
	int ret;

	*rootfs = NULL;
	snprintf(cdir, sizeof(cdir), "%s/containers/%s", ch->pod_dir, id);
	grown = realloc(ch->made, (ch->n_made + 1) * sizeof(*ch->made));
	if (!grown)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ch->made = grown;
	ret = rootfs_gen_dir(cdir, &gen, err);
	if (ret < 0)
		return ret;
	path = pn_strdup_printf("%s/rootfs", gen);
	ch->made[ch->n_made].cdir = strdup(cdir);
	ch->made[ch->n_made].rootfs = path;
	ch->n_made++;
	if (!path || !ch->made[ch->n_made - 1].cdir) {
		/* Not recorded in full: remove the empty dir here. */
		rmdir(gen);
		ch->n_made--;
		free(ch->made[ch->n_made].cdir);
		free(path);
		free(gen);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	ret = image_rootfs_prepare(rt->root, image, gen, rootfs, err);
	free(gen);
	return ret;
}

/*
 * The revision of a plan the running shim of @sp has not taken (plan.json
 * newer than shim.json's planRevision: an earlier update timed out), or 0.
 */
static json_int_t plan_pending(const struct store_pod *sp, const char *pod_dir)
{
	char path[PATH_MAX];
	json_t *plan, *shim, *taken;
	json_int_t rev = 0;

	if (sp->state != STORE_POD_READY || !shim_alive(pod_dir))
		return 0;
	snprintf(path, sizeof(path), "%s/plan.json", pod_dir);
	plan = read_json(path);
	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	shim = read_json(path);
	taken = json_object_get(shim, "planRevision");
	if (json_is_integer(taken))
		rev = json_integer_value(json_object_get(plan, "revision"));
	if (rev <= json_integer_value(taken))
		rev = 0;
	json_decref(plan);
	json_decref(shim);
	return rev;
}

/*
 * Root file systems a plan the shim has not read named, now replaced: the
 * shim releases those it does not use (shim README, supersededRootfs).
 * Nobody else could: the shim may read that plan until this one is
 * written, so podnet cannot know they were never used.
 */
static int superseded_add(json_t *pc, struct pn_err *err)
{
	json_t *rootfs = json_object_get(pc, "rootfs"), *list = json_object_get(pc, "supersededRootfs");

	if (!json_is_string(rootfs))
		return 0;
	if (!json_is_array(list)) {
		list = json_array();
		if (json_object_set_new(pc, "supersededRootfs", list) < 0)
			list = NULL;
	}
	if (!list || json_array_append(list, rootfs) < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	return 0;
}

/*
 * Mount the changed images' root file systems and write the plan that
 * names them.  On failure everything made is released and the plan is the
 * old one.  Nothing to do (no image changed, the pod not running): 0 with
 * ch->old_plan NULL.
 */
static int image_change_prepare(struct podrt *rt, const struct store_pod *sp,
				const struct pn_pod *old, const struct pn_pod *pod,
				struct image_change *ch, struct pn_err *err)
{
	char path[PATH_MAX];
	json_t *plan = NULL, *ctrs;
	bool changed = false, pending;
	int ret = 0;

	memset(ch, 0, sizeof(*ch));
	pod_dir_path(rt, sp->uid, ch->pod_dir, sizeof(ch->pod_dir));
	snprintf(path, sizeof(path), "%s/plan.json", ch->pod_dir);
	for (size_t i = 0; i < pod->spec.n_containers && i < old->spec.n_containers; i++)
		changed |= strcmp(pod->spec.containers[i].image, old->spec.containers[i].image) != 0;
	/* Not running (pending, starting, being deleted, its shim dead): the
	 * stored spec is what its next sandbox is made from. */
	if (!changed || sp->state != STORE_POD_READY || !shim_alive(ch->pod_dir))
		return 0;
	/* An earlier update's plan not taken (it timed out): what it named
	 * and this one replaces goes on the plan's supersededRootfs. */
	pending = plan_pending(sp, ch->pod_dir) > 0;
	plan = json_load_file(path, 0, NULL);
	ctrs = json_object_get(plan, "containers");
	if (!json_is_array(ctrs))
		goto out;
	ch->revision = json_integer_value(json_object_get(plan, "revision")) + 1;
	json_object_set_new(plan, "revision", json_integer(ch->revision));
	ch->old_plan = json_deep_copy(plan);
	if (!ch->old_plan) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < pod->spec.n_containers && ret == 0; i++) {
		const struct pn_container_spec *c = &pod->spec.containers[i];
		struct image_info *img = NULL;
		json_t *pc = json_array_get(ctrs, i);
		const char *id = json_string_value(json_object_get(pc, "id"));
		char *rootfs = NULL;

		/* A list the shim read (it took that plan) is done with. */
		if (json_is_object(pc) && !pending)
			json_object_del(pc, "supersededRootfs");
		if (!json_is_object(pc) || !id || !strcmp(c->image, old->spec.containers[i].image))
			continue;
		ret = image_get(rt->root, c->image, &img, err);
		if (ret == 0 && pending)
			ret = superseded_add(pc, err);
		if (ret == 0)
			ret = image_change_mount(rt, ch, id, c->image, &rootfs, err);
		if (ret < 0) {
			pn_err_prefix(err, "container \"%s\"", c->name);
			image_info_free(img);
			break;
		}
		json_object_set_new(pc, "image", json_string(c->image));
		json_object_set_new(pc, "rootfs", json_string(rootfs));
		json_object_set_new(pc, "args", container_argv(c, img));
		json_object_set_new(pc, "env", container_env(c, img));
		json_object_set_new(pc, "workingDir",
				    json_string(c->working_dir ? c->working_dir
						: (img->working_dir ? img->working_dir : "/")));
		image_info_free(img);
		free(rootfs);
	}
	if (ret == 0)
		ret = pn_json_file_replace(path, plan, JSON_INDENT(2), 0644, PN_E_STATE, err);
	if (ret < 0) {
		image_change_release(ch);
		image_change_free(ch);
	}
out:
	json_decref(plan);
	return ret;
}

/* The store did not take the change: the old plan back, the new root file
 * systems gone.  The shim was not told, so it never saw them. */
static void image_change_abort(struct image_change *ch)
{
	struct pn_err scratch = { 0 };
	char path[PATH_MAX];

	if (!ch->old_plan)
		return;
	snprintf(path, sizeof(path), "%s/plan.json", ch->pod_dir);
	if (pn_json_file_replace(path, ch->old_plan, JSON_INDENT(2), 0644, PN_E_STATE, &scratch) < 0)
		pn_warn("%s", pn_err_msg(&scratch));
	pn_err_free(&scratch);
	image_change_release(ch);
	image_change_free(ch);
}

/*
 * How long an update waits for the shim: UPDATE_TAKE_MAX_S, or less with
 * PODNET_UPDATE_TAKE_S (1 to 60), so that a test of a shim that never
 * takes its plan (stopped with SIGSTOP) does not wait a minute per update.
 */
static int update_take_s(void)
{
	const char *e = getenv("PODNET_UPDATE_TAKE_S");
	char *end;
	long v = e ? strtol(e, &end, 10) : 0;

	if (e && *e && !*end && v >= 1 && v <= UPDATE_TAKE_MAX_S)
		return (int)v;
	return UPDATE_TAKE_MAX_S;
}

/* Is @pid stopped by a signal (SIGSTOP, SIGTSTP: state T in proc(5)'s
 * stat) or by a tracer (t)?  Such a shim takes no signal until continued. */
static bool pid_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	/* The command may hold ')' and spaces: the state follows the last ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
}

/*
 * Tell the shim of @pod_dir (SIGUSR2) and wait, bounded, until its
 * shim.json says it took plan @revision (planRevision): the update is then
 * the shim's, and the next one (the pod lock is held) cannot overwrite a
 * plan not yet read.  A shim that is gone or stopping meanwhile ends the
 * wait: a dead sandbox is re-created from the stored spec, a stopping one
 * ends.  A shim that does not take it in time (stopped, stuck) is an
 * error that says the spec is stored (@what) and the pod does not run it:
 * the signal stays pending, so the shim takes the plan when it runs again,
 * and the next update or apply of the pod waits for that again.
 */
static int plan_taken_wait(const struct store_pod *sp, const char *pod_dir, json_int_t revision,
			   enum podrt_update_result what, struct pn_err *err)
{
	int take_s = update_take_s();
	uint64_t deadline = pn_now_ns() + (uint64_t)take_s * 1000000000;
	char path[PATH_MAX];
	json_int_t taken = -1;
	pid_t pid = 0;

	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	for (bool first = true;; first = false) {
		json_t *shim = read_json(path);
		const char *state = json_string_value(json_object_get(shim, "state"));
		bool live = !state || !strcmp(state, "starting") || !strcmp(state, "running");
		/* A shim older than planRevision takes the signal, says nothing. */
		bool echoes = json_object_get(shim, "planRevision") != NULL;

		pid = (pid_t)json_integer_value(json_object_get(shim, "pid"));
		taken = json_integer_value(json_object_get(shim, "planRevision"));
		json_decref(shim);
		if ((echoes && taken >= revision) || !live || pid <= 1 || !shim_alive(pod_dir))
			return 0;
		if (first && kill(pid, SIGUSR2) < 0) {
			pn_warn("pod %s: cannot signal its shim: %s", sp->name, strerror(errno));
			return 0;
		}
		if (!echoes)
			return 0;
		if (pn_now_ns() >= deadline)
			break;
		poll(NULL, 0, 20);
	}
	if (pid_stopped(pid))
		return pn_error(err, PN_E_TIMEOUT, ETIMEDOUT,
				"pod \"%s\" %s, but its shim (pid %d) is stopped: it has not taken "
				"the pod's plan (revision %lld, it runs %lld) within %d s, and takes "
				"it once continued (SIGCONT); see %s/shim.log",
				sp->name, what == PODRT_UNCHANGED ? "unchanged" : "configured",
				(int)pid, (long long)revision, (long long)taken, take_s, pod_dir);
	return pn_error(err, PN_E_TIMEOUT, ETIMEDOUT,
			"pod \"%s\" %s, but its shim (pid %d) has not taken the pod's plan "
			"(revision %lld, it runs %lld) within %d s: its containers run the "
			"previous spec until it does; see %s/shim.log",
			sp->name, what == PODRT_UNCHANGED ? "unchanged" : "configured", (int)pid,
			(long long)revision, (long long)taken, take_s, pod_dir);
}

/*
 * The plan of the update (or, with no image changed, one an earlier update
 * left untaken) to the shim, and its answer awaited.  A dead shim has
 * nothing to restart: the new root file systems wait in their generation
 * dirs, released with the pod.
 */
static int image_change_commit(const struct store_pod *sp, struct image_change *ch,
			       struct pn_err *err)
{
	json_int_t rev = ch->old_plan ? ch->revision : plan_pending(sp, ch->pod_dir);
	int ret = 0;

	if (rev > 0)
		ret = plan_taken_wait(sp, ch->pod_dir, rev, PODRT_CONFIGURED, err);
	image_change_free(ch);
	return ret;
}

int podrt_pod_update(struct podrt *rt, struct pn_pod *pod, const struct podrt_write *w,
		     enum podrt_update_result *what, struct store_pod **out, struct pn_err *err)
{
	const char *ns = pod->meta.namespace_ ? pod->meta.namespace_ : "default";
	struct store_pod *cur = NULL;
	struct pn_pod *old = NULL;
	json_t *j = NULL;
	char *spec = NULL;
	bool sync = false;
	int lock = -1, ret;

	*what = PODRT_UNCHANGED;
	if (out)
		*out = NULL;
	/* Under the pod's lock (podrt.h), the row read again: another update,
	 * a start or a delete mark of the pod may have ended while we waited.
	 * A pod re-created under the name meanwhile is locked anew. */
	for (char uid[STORE_UUID_LEN + 1] = "";;) {
		ret = store_pod_get_by_name(rt->st, ns, pod->meta.name, &cur, err);
		if (ret < 0)
			goto out;
		if (lock >= 0 && !strcmp(uid, cur->uid))
			break;
		pod_unlock(lock);
		snprintf(uid, sizeof(uid), "%s", cur->uid);
		store_pod_free(cur);
		cur = NULL;
		ret = pod_lock(rt, uid, &lock, err);
		if (ret < 0)
			goto out;
	}
	if (w && w->expect_rv && cur->rv != w->expect_rv) {
		ret = pn_error(err, PN_E_CONFLICT, ESTALE,
			       "Operation cannot be fulfilled on pods \"%s\": the object has been "
			       "modified; please apply your changes to the latest version and try again",
			       pod->meta.name);
		goto out;
	}
	j = json_loads(cur->spec_json, 0, NULL);
	ret = j ? pod_from_json(j, &old, err)
		: pn_error(err, PN_E_STATE, EIO, "pod %s: stored spec unreadable", cur->name);
	if (ret < 0)
		goto out;
	ret = podrt_pod_check_update(old, pod, err);
	if (ret < 0)
		goto out;
	/* A new image must be here before anything changes (podnet pulls
	 * nothing: the same check as at create). */
	for (size_t i = 0; i < pod->spec.n_containers; i++) {
		struct image_info *img = NULL;

		if (i < old->spec.n_containers &&
		    !strcmp(pod->spec.containers[i].image, old->spec.containers[i].image))
			continue;
		ret = image_get(rt->root, pod->spec.containers[i].image, &img, err);
		image_info_free(img);
		if (ret < 0)
			goto out;
	}
	/* The server's identity of the pod stays. */
	free(pod->meta.uid);
	pod->meta.uid = strdup(cur->uid);
	pod->meta.creation = (time_t)(cur->created_ns / 1000000000);
	spec = stored_object(pod_to_json(pod), w ? w->meta : NULL);
	if (!spec) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (!strcmp(spec, cur->spec_json)) {
		char pod_dir[PATH_MAX];
		json_int_t rev;

		/* The spec is stored, but is it run?  An update that timed out
		 * is waited for again: "unchanged" says the pod runs it. */
		pod_dir_path(rt, cur->uid, pod_dir, sizeof(pod_dir));
		rev = w && w->dry_run ? 0 : plan_pending(cur, pod_dir);
		if (rev > 0) {
			ret = plan_taken_wait(cur, pod_dir, rev, PODRT_UNCHANGED, err);
			if (ret < 0)
				goto out;
		}
		if (out) {
			*out = cur;
			cur = NULL;
		}
		goto out;
	}
	*what = PODRT_CONFIGURED;
	free(cur->spec_json);
	cur->spec_json = spec;
	spec = NULL;
	if (!(w && w->dry_run)) {
		struct image_change ch;

		ret = image_change_prepare(rt, cur, old, pod, &ch, err);
		if (ret < 0)
			goto out;
		ret = store_pod_update(rt->st, cur, STORE_POD_F_SPEC, err);
		if (ret < 0) {
			image_change_abort(&ch);
			goto out;
		}
		sync = true;
		ret = image_change_commit(cur, &ch, err);
		if (ret < 0)
			goto out;
		if (out)
			ret = store_pod_get(rt->st, cur->uid, out, err);
	} else if (out) {
		*out = cur;
		cur = NULL;
	}
out:
	pod_unlock(lock);
	/* Policies that select by label follow the new labels (outside the
	 * pod's lock: the sync takes locks of its own). */
	if (sync) {
		struct pn_err scratch = { 0 };
		int r = podrt_net_sync(rt, ret < 0 ? &scratch : err);

		if (r < 0 && ret < 0)
			pn_warn("pod %s: rules not updated: %s", pod->meta.name, pn_err_msg(&scratch));
		else if (r < 0 && out) {
			store_pod_free(*out);
			*out = NULL;
		}
		if (ret == 0)
			ret = r;
		pn_err_free(&scratch);
	}
	store_pod_free(cur);
	pn_pod_free(old);
	json_decref(j);
	free(spec);
	return ret;
}

/* ---- the API's object and the node's status */

/* A pod the node has not reported on yet: Pending, scheduled here. */
static json_t *pending_status(const struct store_pod *sp, const char *ts)
{
	json_t *s = json_pack("{s:s, s:[{s:s, s:s, s:o, s:s}], s:s}", "phase",
			      sp->phase == STORE_PHASE_FAILED ? "Failed" : "Pending", "conditions",
			      "type", "PodScheduled", "status", "True", "lastProbeTime", json_null(),
			      "lastTransitionTime", ts, "qosClass", "BestEffort");

	return s;
}

json_t *podrt_pod_object(struct podrt *rt, const struct store_pod *sp)
{
	json_t *o = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL, *meta, *spec, *st;
	char ts[40], rv[32];

	if (!o)
		return NULL;
	json_object_set_new(o, "apiVersion", json_string("v1"));
	json_object_set_new(o, "kind", json_string("Pod"));
	meta = json_object_get(o, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(o, "metadata", meta);
	}
	json_object_set_new(meta, "namespace", json_string(sp->namespace_));
	json_object_set_new(meta, "uid", json_string(sp->uid));
	snprintf(rv, sizeof(rv), "%lld", (long long)sp->rv);
	json_object_set_new(meta, "resourceVersion", json_string(rv));
	rfc3339(sp->created_ns, ts);
	json_object_set_new(meta, "creationTimestamp", json_string(ts));
	if (!json_object_get(meta, "generation"))
		json_object_set_new(meta, "generation", json_integer(1));
	if (sp->state == STORE_POD_DELETING && sp->deletion_ns) {
		char del[40];

		/* kube-apiserver's deletionTimestamp is when the grace period ends. */
		rfc3339(sp->deletion_ns + sp->deletion_grace * 1000000000, del);
		json_object_set_new(meta, "deletionTimestamp", json_string(del));
		json_object_set_new(meta, "deletionGracePeriodSeconds",
				    json_integer(sp->deletion_grace));
	}
	spec = json_object_get(o, "spec");
	if (spec)
		json_object_set_new(spec, "nodeName", json_string(podrt_node_name(rt)));
	st = sp->status_json ? json_loads(sp->status_json, 0, NULL) : NULL;
	json_object_set_new(o, "status", st ? st : pending_status(sp, ts));
	return o;
}

/* kubelet's format.Pod(): "name_namespace(uid)". */
static void pod_ref(const struct store_pod *sp, char *buf, size_t n)
{
	snprintf(buf, n, "%s_%s(%s)", sp->name, sp->namespace_, sp->uid);
}

/* Events for what changed between two recorded statuses of one pod. */
static void status_events(struct podrt *rt, const struct store_pod *sp, json_t *old, json_t *cur)
{
	json_t *oc = json_object_get(old, "containerStatuses"), *c;
	size_t i;

	json_array_foreach(json_object_get(cur, "containerStatuses"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		json_t *o = NULL, *e;
		size_t k;
		json_int_t rc = json_integer_value(json_object_get(c, "restartCount")), orc;
		const char *w = json_string_value(
			json_object_get(json_object_get(json_object_get(c, "state"), "waiting"), "reason"));
		const char *ow;

		json_array_foreach(oc, k, e)
			if (!strcmp(json_string_value(json_object_get(e, "name")) ?: "", name ?: ""))
				o = e;
		if (!name || !o)
			continue;
		orc = json_integer_value(json_object_get(o, "restartCount"));
		ow = json_string_value(
			json_object_get(json_object_get(json_object_get(o, "state"), "waiting"), "reason"));
		if (rc > orc && json_object_get(json_object_get(c, "state"), "running")) {
			/* Each restart is kubelet starting the container again. */
			EVENT(rt, sp, name, "Normal", "Pulled",
			      "Container image \"%s\" already present on machine",
			      json_string_value(json_object_get(c, "image")) ?: "");
			EVENT(rt, sp, name, "Normal", "Created", "Created container: %s", name);
			EVENT(rt, sp, name, "Normal", "Started", "Started container %s", name);
		}
		if (w && !strcmp(w, "CrashLoopBackOff") && (!ow || strcmp(ow, w) || rc != orc)) {
			char ref[512];

			pod_ref(sp, ref, sizeof(ref));
			EVENT(rt, sp, name, "Warning", "BackOff",
			      "Back-off restarting failed container %s in pod %s", name, ref);
		}
	}
}

int podrt_pod_sync_status(struct podrt *rt, const struct store_pod *sp, bool *changed,
			  struct pn_err *err)
{
	struct podrt_view v;
	json_t *st = NULL, *old = NULL;
	char *s = NULL;
	int ret;

	if (changed)
		*changed = false;
	/* Pending pods (not started, or failed to) have the status their
	 * admission or failure gave them. */
	if (sp->state == STORE_POD_PENDING)
		return 0;
	ret = podrt_view_get(rt, sp, &v, err);
	if (ret < 0)
		return ret;
	st = podrt_view_status(&v);
	s = st ? json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!s) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (v.pod->status_json && !strcmp(s, v.pod->status_json))
		goto out;
	old = v.pod->status_json ? json_loads(v.pod->status_json, 0, NULL) : NULL;
	free(v.pod->status_json);
	v.pod->status_json = s;
	s = NULL;
	ret = store_pod_update(rt->st, v.pod, STORE_POD_F_STATUS, err);
	if (ret < 0)
		goto out;
	if (changed)
		*changed = true;
	if (old)
		status_events(rt, v.pod, old, st);
out:
	json_decref(st);
	json_decref(old);
	free(s);
	podrt_view_free(&v);
	return ret;
}

/* One failure of gc: the first goes to @err, the others to the log. */
static void gc_failed(struct podrt_gc_report *rep, struct pn_err *err, struct pn_err *e)
{
	if (rep->failed++ == 0)
		pn_err_move(err, e);
	else
		pn_warn("gc: %s", pn_err_msg(e));
	pn_err_free(e);
}

/* A pod directory no row names (a delete killed after its row went, or a
 * start undone half-way): stop what still runs from it, release its
 * rootfs, remove it. */
static void gc_orphan_dir(struct podrt *rt, const char *dir, const char *uid)
{
	const char **ids = NULL;
	struct shim_rec rec;
	char cdir[PATH_MAX];
	struct dirent *ce;
	size_t n = 0, cap = 0;
	DIR *cd;

	shim_rec_read(dir, &rec);
	if (rec.j) {
		const char *sb = json_string_value(json_object_get(rec.j, "sandboxID"));

		if (shim_alive(dir))
			shim_kill(dir, &rec);
		snprintf(cdir, sizeof(cdir), "%s/containers", dir);
		cd = opendir(cdir);
		while (cd && (ce = readdir(cd))) {
			if (ce->d_name[0] == '.' || pn_grow(&ids, &cap, n, sizeof(*ids)) < 0)
				continue;
			if ((ids[n] = strdup(ce->d_name)))
				n++;
		}
		if (cd)
			closedir(cd);
		if (sb)
			sandbox_kill(rt, uid, uid, sb, dir, &rec, ids, n);
	}
	rootfs_release_all(dir);
	rm_rf(dir);
	for (size_t i = 0; i < n; i++)
		free((char *)ids[i]);
	free(ids);
	shim_rec_free(&rec);
}

/* Runtime state (<root>/runtime/<id>) of no pod: a shim killed while its
 * runtime created a container, after the pod's row and dir were gone; and
 * the pid file ("<id>.pid", oci.h) of a `run` whose shim was killed before
 * it read it.  Known: every sandbox, and every runtime id each container
 * of a pod may have (the shim names an attempt's id in <id>/cid before it
 * runs the runtime, so a restart under way is known too).  State that
 * stays after `delete --force` is a failure of gc, not a silent leftover. */
static size_t gc_runtime_state(struct podrt *rt, const struct store_pod *pods, size_t n,
			       const struct store_container *cs, size_t nc,
			       struct podrt_gc_report *rep, struct pn_err *err)
{
	char dir[PATH_MAX], pod_dir[PATH_MAX], *rp = NULL, *rn = NULL, *why = NULL;
	struct oci_rt ort = { .root = dir };
	const char **known = NULL;
	json_t *keep = json_array();
	size_t count = 0, nk = 0, cap = 0;
	struct pn_err e = { 0 };
	struct dirent *de;
	DIR *d;

	if (!keep)
		return 0;
	for (size_t i = 0; i < nc; i++) {
		pod_dir_path(rt, cs[i].pod_uid, pod_dir, sizeof(pod_dir));
		ctr_runtime_ids(pod_dir, cs[i].id, &known, &nk, &cap, keep);
	}
	snprintf(dir, sizeof(dir), "%s/runtime", rt->root);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char id[NAME_MAX + 1], state[PATH_MAX];
		bool is_known = false, pid_file;

		if (de->d_name[0] == '.')
			continue;
		pid_file = oci_pid_file_id(de->d_name, id, sizeof(id));
		if (!pid_file)
			snprintf(id, sizeof(id), "%s", de->d_name);
		for (size_t i = 0; i < n && !is_known; i++)
			is_known = !strcmp(pods[i].sandbox_id, id);
		for (size_t i = 0; i < nk && !is_known; i++)
			is_known = !strcmp(known[i], id);
		if (is_known)
			continue;
		if (pid_file) {
			count += oci_pid_file_remove(&ort, id);
			continue;
		}
		if (!ort.path) {
			if (oci_runtime_detect(&rp, &rn, &why, NULL) < 0)
				break;
			ort.path = rp;
		}
		(void)!oci_kill(&ort, id, SIGKILL, true, NULL);
		snprintf(state, sizeof(state), "%s/%s", dir, id);
		if (oci_delete(&ort, id, true, &e) == 0 && access(state, F_OK) < 0) {
			count++;
		} else {
			if (!e.msg)
				pn_error(&e, PN_E_OCI_RUNTIME, EBUSY, "%s delete --force %s: left %s",
					 rn ? rn : rp, id, state);
			pn_err_prefix(&e, "runtime state of no pod");
			gc_failed(rep, err, &e);
		}
		pn_err_free(&e);
		count += oci_pid_file_remove(&ort, id);
	}
	if (d)
		closedir(d);
	json_decref(keep);
	free(known);
	free(rp);
	free(rn);
	free(why);
	return count;
}

int podrt_gc(struct podrt *rt, struct podrt_gc_report *rep, struct pn_err *err)
{
	struct store_pod *pods = NULL;
	struct store_container *cs = NULL;
	struct cni_netlist *l = NULL;
	struct cni_attachment *valid = NULL;
	size_t n = 0, nc = 0, nv = 0;
	char path[PATH_MAX], cpath[4096];
	struct cniclient cc = { 0 };
	struct pn_err e = { 0 };
	DIR *d;
	struct dirent *de;
	int lock = -1, ret;

	memset(rep, 0, sizeof(*rep));
	/* Exclusive: no start makes anything of a pod this gc does not
	 * list, no delete or other gc runs (podrt.h). */
	ret = podrt_lifecycle_lock(rt, false, &lock, err);
	if (ret < 0)
		return ret;
	ret = store_pod_list(rt->st, NULL, &pods, &n, err);
	if (ret < 0)
		goto out;
	/* 1. Pods of killed commands: a creating or deleting row whose
	 *    owner is dead is finished off as a delete.
	 * 2. A pending pod (admitted, never started) whose admitting process
	 *    died before it started it (a killed `podnet apply`, or podnetd
	 *    gone) is started here, as the node's kubelet would: the claim
	 *    makes sure only one starter runs it.
	 * 3. Dead sandboxes of ready pods are re-created. */
	for (size_t i = 0; i < n; i++) {
		bool recreated = false;

		if (pods[i].state != STORE_POD_READY && pods[i].state != STORE_POD_PENDING &&
		    !store_owner_alive(pods[i].owner)) {
			const struct podrt_delete_opts o = { .grace = -1 };

			if (pods_delete(rt, &pods[i], 1, &o, NULL, NULL, &e) < 0)
				gc_failed(rep, err, &e);
			else
				rep->removed++;
		} else if (pods[i].state == STORE_POD_PENDING && pods[i].phase == STORE_PHASE_PENDING &&
			   !pods[i].deletion_ns && !store_owner_alive(pods[i].owner)) {
			if (pod_start(rt, pods[i].uid, true, false, NULL, 0, &e) < 0)
				gc_failed(rep, err, &e);
			else
				rep->started++;
		} else if (sandbox_to_recreate(rt, &pods[i])) {
			if (pod_recover_locked(rt, pods[i].uid, &recreated, &e) < 0)
				gc_failed(rep, err, &e);
			rep->recreated += recreated;
		}
	}
	pn_fault_point("gc.pods-done");
	/* What is left is the truth for the rest (sandbox ids and netns
	 * paths changed where sandboxes were re-created). */
	store_pod_array_free(pods, n);
	pods = NULL;
	n = 0;
	ret = store_pod_list(rt->st, NULL, &pods, &n, err);
	if (ret == 0)
		ret = store_container_list(rt->st, NULL, &cs, &nc, err);
	if (ret < 0)
		goto out;

	/* 3. Pod dirs of no pod. */
	snprintf(path, sizeof(path), "%s/pods", rt->root);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		bool known = false;
		char dir[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < n && !known; i++)
			known = !strcmp(pods[i].uid, de->d_name);
		if (known)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", path, de->d_name);
		gc_orphan_dir(rt, dir, de->d_name);
		rep->removed++;
	}
	if (d)
		closedir(d);
	/* 4. Runtime state of no container of a pod. */
	rep->removed += gc_runtime_state(rt, pods, n, cs, nc, rep, err);

	/* 5. CNI GC with the pods' attachments as the valid ones, and netns
	 *    pins named like ours that no pod owns. */
	valid = calloc(n ? n : 1, sizeof(*valid));
	if (!valid) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!pods[i].netns_path)
			continue;
		valid[nv].container_id = pods[i].sandbox_id;
		valid[nv].ifname = POD_IFNAME;
		nv++;
	}
	cc.cni_path = runtime_cni_path(rt, cpath, sizeof(cpath));
	cc.cache_dir = rt->cni_cache;
	if (cniclient_load_conflist(rt->cni_conf_dir, NULL, &l, NULL) == 0 &&
	    cniclient_gc(&cc, l, valid, nv, &e) < 0) {
		pn_err_prefix(&e, "CNI GC");
		gc_failed(rep, err, &e);
	}
	pn_fault_point("gc.cni-gc-done");
	d = opendir(rt->netns_dir);
	while (d && (de = readdir(d))) {
		bool known = false;
		char pin[PATH_MAX];

		if (strncmp(de->d_name, "cni-", 4))
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", rt->netns_dir, de->d_name);
		for (size_t i = 0; i < n && !known; i++)
			known = pods[i].netns_path && !strcmp(pods[i].netns_path, pin);
		/* A cni- pin with a CNI cache entry belongs to another runtime
		 * (containerd, CRI-O) on this node: not ours to remove. */
		if (known)
			continue;
		{
			struct cniclient_cached *cached = NULL;
			size_t ncached = 0;
			bool foreign = false;

			if (cniclient_list_cache(rt->cni_cache, NULL, &cached, &ncached, NULL) == 0) {
				for (size_t k = 0; k < ncached; k++)
					foreign |= cached[k].netns && !strcmp(cached[k].netns, pin);
				cniclient_cached_free_all(cached, ncached);
			}
			if (foreign)
				continue;
		}
		if (netns_delete_pinned(pin, NULL) == 0)
			rep->removed++;
	}
	if (d)
		closedir(d);
	/* And the network's rules, as the state now says (a sync a crash
	 * interrupted, a table someone removed). */
	if (podrt_net_sync(rt, &e) < 0)
		gc_failed(rep, err, &e);
	ret = rep->failed ? -(err->errnum ? err->errnum : EIO) : 0;
out:
	podrt_lifecycle_unlock(lock);
	pn_err_free(&e);
	free(valid);
	cni_netlist_free(l);
	store_container_array_free(cs, nc);
	store_pod_array_free(pods, n);
	return ret;
}

/* ---- namespaces */

int podrt_namespace_create(struct podrt *rt, const struct pn_namespace *ns,
			   const struct podrt_write *w, struct store_namespace **out,
			   struct pn_err *err)
{
	struct store_namespace row = { .name = ns->meta.name };
	int ret;

	if (out)
		*out = NULL;
	row.spec_json = stored_object(namespace_to_json(ns), w ? w->meta : NULL);
	if (!row.spec_json)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	if (w && w->dry_run) {
		struct store_namespace *old = NULL;

		ret = store_namespace_get(rt->st, row.name, &old, NULL);
		store_namespace_free(old);
		if (ret == 0) {
			ret = pn_error(err, PN_E_ALREADY_EXISTS, EEXIST,
				       "namespaces \"%s\" already exists", row.name);
		} else if (out) {
			char uid[STORE_UUID_LEN + 1];

			ret = store_new_uuid(uid);
			*out = calloc(1, sizeof(**out));
			if (ret < 0 || !*out || !((*out)->name = strdup(row.name)) ||
			    !((*out)->uid = strdup(uid))) {
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			} else {
				(*out)->spec_json = row.spec_json;
				row.spec_json = NULL;
				(*out)->created_ns = (int64_t)time(NULL) * 1000000000;
				ret = 0;
			}
		} else {
			ret = 0;
		}
		free(row.spec_json);
		return ret;
	}
	ret = store_namespace_add(rt->st, &row, err);
	if (ret == 0 && out)
		ret = store_namespace_get(rt->st, row.name, out, err);
	free(row.uid);
	free(row.spec_json);
	return ret;
}

int podrt_namespace_update(struct podrt *rt, const struct pn_namespace *ns,
			   const struct podrt_write *w, enum podrt_update_result *what,
			   struct pn_err *err)
{
	struct store_namespace *old = NULL;
	char *s = NULL;
	int ret;

	*what = PODRT_UNCHANGED;
	s = stored_object(namespace_to_json(ns), w ? w->meta : NULL);
	if (!s)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = store_begin(rt->st, err);
	if (ret == 0)
		ret = store_namespace_get(rt->st, ns->meta.name, &old, err);
	if (ret == 0 && w && w->expect_rv && old->rv != w->expect_rv)
		ret = pn_error(err, PN_E_CONFLICT, ESTALE,
			       "Operation cannot be fulfilled on namespaces \"%s\": the object has "
			       "been modified; please apply your changes to the latest version and "
			       "try again", ns->meta.name);
	if (ret == 0 && (!old->spec_json || strcmp(old->spec_json, s))) {
		*what = PODRT_CONFIGURED;
		if (!(w && w->dry_run))
			ret = store_namespace_set_spec(rt->st, ns->meta.name, s, err);
	}
	ret = store_end(rt->st, ret, err);
	/* namespaceSelectors follow the namespace's new labels */
	if (ret == 0 && *what == PODRT_CONFIGURED && !(w && w->dry_run))
		ret = podrt_net_sync(rt, err);
	store_namespace_free(old);
	free(s);
	return ret;
}

int podrt_namespace_delete(struct podrt *rt, const char *name, bool dry_run, bool *gone,
			   struct pn_err *err)
{
	struct store_namespace *ns = NULL;
	struct store_pod *pods = NULL;
	size_t np = 0;
	int ret;

	*gone = false;
	ret = store_namespace_get(rt->st, name, &ns, err);
	if (ret < 0)
		return ret;
	store_namespace_free(ns);
	if (!strcmp(name, "default"))
		return pn_error(err, PN_E_FORBIDDEN, EPERM,
				"namespaces \"%s\" is forbidden: this namespace may not be deleted",
				name);
	if (dry_run)
		return 0;
	ret = store_namespace_set_terminating(rt->st, name, err);
	if (ret == 0)
		ret = store_pod_list(rt->st, name, &pods, &np, err);
	for (size_t i = 0; ret == 0 && i < np; i++) {
		struct pn_err e = { 0 };
		bool g = false;

		if (pods[i].state == STORE_POD_DELETING)
			continue;
		if (podrt_pod_mark_deleting(rt, &pods[i], NULL, &g, NULL, &e) < 0)
			pn_warn("namespace %s: pod %s: %s", name, pods[i].name, pn_err_msg(&e));
		pn_err_free(&e);
	}
	store_pod_array_free(pods, np);
	if (ret == 0) {
		/* Empty now (or already): it goes at once. */
		struct pn_err e = { 0 };

		if (store_namespace_delete(rt->st, name, &e) == 0) {
			*gone = true;
			/* Gone from the store, its objects' rules still in the
			 * kernel (tests/faults/podnetd-objects.sh). */
			pn_fault_point("ns.deleted");
		}
		pn_err_free(&e);
		/* its NetworkPolicies went with it */
		if (*gone)
			ret = podrt_net_sync(rt, err);
	}
	return ret;
}
