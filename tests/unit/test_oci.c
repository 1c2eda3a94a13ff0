/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI bundle generation (golden checks on config.json) and the runtime
 * wrappers against a fake runtime script that records its arguments and
 * answers as runc does (state JSON, "null" list, JSON log lines, exit 255
 * when exec cannot start the process).
 *
 * With arguments, `test_oci exec RUNTIME ROOT ID CMD...` is a driver for
 * oci_exec() used by tests/netns/oci-shim.sh: it prints the library's error
 * message on stderr and exits with the exit code oci_exec() reports.
 */
#include "oci.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/podnet-test-oci.XXXXXX";

static json_t *load_config(const char *bundle)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/config.json", bundle);
	return json_load_file(p, 0, NULL);
}

static bool strv_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static json_t *find_by(json_t *a, const char *key, const char *val)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		const char *s = json_string_value(json_object_get(v, key));

		if (s && !strcmp(s, val))
			return v;
	}
	return NULL;
}

static void test_bundle(void)
{
	static const char *const args[] = { "nginx", "-g", "daemon off;", NULL };
	static const char *const env[] = { "FOO=bar", NULL };
	struct oci_spec s = { 0 };
	struct pn_err err = { 0 };
	char bundle[256];
	json_t *c, *p, *ns, *m, *l, *caps;
	int ret;

	snprintf(bundle, sizeof(bundle), "%s/b1", dir);
	mkdir(bundle, 0755);
	s.rootfs = "/var/lib/podnet/rootfs/x";
	s.args = args;
	s.env = env;
	s.cwd = "/srv";
	s.hostname = "pod1";
	s.ns[OCI_NS_MOUNT].mode = OCI_NS_NEW;
	s.ns[OCI_NS_PID].mode = OCI_NS_NEW;
	s.ns[OCI_NS_NETWORK] = (struct oci_ns){ OCI_NS_JOIN, "/run/netns/cni-1234" };
	s.ns[OCI_NS_IPC] = (struct oci_ns){ OCI_NS_JOIN, "/proc/42/ns/ipc" };
	s.ns[OCI_NS_UTS] = (struct oci_ns){ OCI_NS_JOIN, "/proc/42/ns/uts" };
	s.etc_hosts = "/pod/hosts";
	s.etc_resolv_conf = "/pod/resolv.conf";
	s.etc_hostname = "/pod/hostname";
	s.nofile = 20000;
	s.cgroups_path = "podnet/podU/c1";
	ret = oci_bundle_write(&s, bundle, &err);
	is_int(ret, 0, "bundle written (%s)", pn_err_msg(&err));
	c = load_config(bundle);
	ok(json_is_object(c), "config.json is a JSON object");
	is_str(json_string_value(json_object_get(c, "ociVersion")), "1.0.2", "ociVersion");
	p = json_object_get(c, "process");
	is_str(json_string_value(json_array_get(json_object_get(p, "args"), 2)), "daemon off;",
	       "args kept verbatim");
	ok(strv_has(json_object_get(p, "env"), "PATH=" OCI_DEFAULT_PATH), "default PATH added");
	ok(strv_has(json_object_get(p, "env"), "HOSTNAME=pod1"), "HOSTNAME from the pod");
	ok(strv_has(json_object_get(p, "env"), "FOO=bar"), "spec env kept");
	is_str(json_string_value(json_object_get(p, "cwd")), "/srv", "cwd");
	ok(json_is_false(json_object_get(p, "terminal")), "no terminal");
	is_int(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 0, "uid 0");
	ok(json_is_false(json_object_get(p, "noNewPrivileges")), "noNewPrivileges false");
	caps = json_object_get(json_object_get(p, "capabilities"), "bounding");
	is_int(json_array_size(caps), 14, "containerd's 14 default capabilities");
	ok(strv_has(caps, "CAP_NET_RAW") && strv_has(caps, "CAP_NET_BIND_SERVICE") &&
		   strv_has(caps, "CAP_KILL"),
	   "NET_RAW, NET_BIND_SERVICE, KILL granted");
	ok(!strv_has(caps, "CAP_SYS_ADMIN") && !strv_has(caps, "CAP_NET_ADMIN") &&
		   !strv_has(caps, "CAP_SYS_RESOURCE"),
	   "SYS_ADMIN, NET_ADMIN, SYS_RESOURCE not granted");
	ok(json_equal(caps, json_object_get(json_object_get(p, "capabilities"), "effective")),
	   "effective == bounding");
	l = json_array_get(json_object_get(p, "rlimits"), 0);
	ok(l && !strcmp(json_string_value(json_object_get(l, "type")), "RLIMIT_NOFILE") &&
		   json_integer_value(json_object_get(l, "hard")) == 20000 &&
		   json_integer_value(json_object_get(l, "soft")) == 20000,
	   "RLIMIT_NOFILE soft=hard=20000 as asked");
	is_str(json_string_value(json_object_get(json_object_get(c, "root"), "path")),
	       "/var/lib/podnet/rootfs/x", "root.path");
	ok(!json_object_get(c, "hostname"), "no hostname with a joined UTS namespace");

	l = json_object_get(c, "linux");
	ns = json_object_get(l, "namespaces");
	is_int(json_array_size(ns), 5, "pid, network, ipc, uts, mount");
	is_str(json_string_value(json_object_get(find_by(ns, "type", "network"), "path")),
	       "/run/netns/cni-1234", "network namespace joined by path");
	is_str(json_string_value(json_object_get(find_by(ns, "type", "ipc"), "path")),
	       "/proc/42/ns/ipc", "ipc joined from the pause");
	is_str(json_string_value(json_object_get(find_by(ns, "type", "uts"), "path")),
	       "/proc/42/ns/uts", "uts joined from the pause");
	ok(find_by(ns, "type", "pid") && !json_object_get(find_by(ns, "type", "pid"), "path"),
	   "own pid namespace");
	ok(find_by(ns, "type", "mount") && !find_by(ns, "type", "cgroup"),
	   "own mount namespace, host cgroup namespace");
	is_str(json_string_value(json_object_get(l, "cgroupsPath")), "podnet/podU/c1", "cgroupsPath");
	ok(strv_has(json_object_get(l, "maskedPaths"), "/proc/kcore") &&
		   strv_has(json_object_get(l, "maskedPaths"), "/sys/firmware"),
	   "maskedPaths like containerd");
	ok(strv_has(json_object_get(l, "readonlyPaths"), "/proc/sys") &&
		   strv_has(json_object_get(l, "readonlyPaths"), "/proc/sysrq-trigger"),
	   "readonlyPaths like containerd");
	ok(!json_object_get(l, "seccomp"), "no seccomp (Kubernetes' default: Unconfined)");
	ok(json_is_false(json_object_get(json_array_get(json_object_get(json_object_get(l, "resources"),
									"devices"), 0),
					 "allow")),
	   "device cgroup denies by default");

	m = json_object_get(c, "mounts");
	is_str(json_string_value(json_object_get(find_by(m, "destination", "/proc"), "type")), "proc",
	       "/proc is procfs");
	is_str(json_string_value(json_object_get(find_by(m, "destination", "/dev/pts"), "type")),
	       "devpts", "/dev/pts");
	is_str(json_string_value(json_object_get(find_by(m, "destination", "/dev/mqueue"), "type")),
	       "mqueue", "/dev/mqueue");
	ok(strv_has(json_object_get(find_by(m, "destination", "/sys"), "options"), "ro"),
	   "/sys read-only sysfs");
	is_str(json_string_value(json_object_get(find_by(m, "destination", "/etc/hosts"), "source")),
	       "/pod/hosts", "/etc/hosts bound from the pod directory");
	ok(strv_has(json_object_get(find_by(m, "destination", "/etc/resolv.conf"), "options"),
		    "rbind"),
	   "/etc/resolv.conf is a bind mount");
	ok(find_by(m, "destination", "/etc/hostname") != NULL, "/etc/hostname bound");
	json_decref(c);
	pn_err_free(&err);
}

static void test_bundle_variants(void)
{
	static const char *const args[] = { "/pause", NULL };
	static const char *const env[] = { "PATH=/bin", NULL };
	static const char *const ro[] = { "rbind", "ro", NULL };
	struct oci_mount pm = { "/pause", "bind", "/usr/bin/podnet-pause", ro };
	struct oci_spec s = { 0 };
	struct pn_err err = { 0 };
	char bundle[256];
	json_t *c, *e;
	int ret;

	snprintf(bundle, sizeof(bundle), "%s/b2", dir);
	mkdir(bundle, 0755);
	s.rootfs = "rootfs";
	s.rootfs_readonly = true;
	s.args = args;
	s.env = env;
	s.hostname = "pod1";
	s.ns[OCI_NS_MOUNT].mode = OCI_NS_NEW;
	s.ns[OCI_NS_UTS].mode = OCI_NS_NEW;
	s.ns[OCI_NS_IPC].mode = OCI_NS_NEW;
	s.mounts = &pm;
	s.n_mounts = 1;
	ret = oci_bundle_write(&s, bundle, &err);
	is_int(ret, 0, "pause-like bundle written (%s)", pn_err_msg(&err));
	c = load_config(bundle);
	is_str(json_string_value(json_object_get(c, "hostname")), "pod1", "hostname with a new UTS ns");
	ok(json_is_true(json_object_get(json_object_get(c, "root"), "readonly")), "readonly rootfs");
	ok(!json_object_get(json_object_get(c, "process"), "rlimits"), "nofile 0: no rlimits at all");
	e = json_object_get(json_object_get(c, "process"), "env");
	ok(strv_has(e, "PATH=/bin") && !strv_has(e, "PATH=" OCI_DEFAULT_PATH),
	   "a given PATH replaces the default");
	ok(!find_by(json_object_get(json_object_get(c, "linux"), "namespaces"), "type", "network"),
	   "host network: no network namespace entry");
	ok(!json_object_get(json_object_get(c, "linux"), "cgroupsPath"), "no cgroupsPath unless given");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(c, "mounts"),
								 json_array_size(json_object_get(c, "mounts")) - 1),
						 "destination")),
	       "/pause", "extra mounts come after the defaults");
	json_decref(c);

	s.args = NULL;
	ret = oci_bundle_write(&s, bundle, &err);
	ok(ret == -EINVAL && strstr(pn_err_msg(&err), "no process args"), "no args refused: %s", pn_err_msg(&err));
	s.args = args;
	s.cwd = "srv";
	ret = oci_bundle_write(&s, bundle, &err);
	ok(ret == -EINVAL && strstr(pn_err_msg(&err), "\"srv\""), "relative cwd refused: %s", pn_err_msg(&err));
	s.cwd = NULL;
	s.ns[OCI_NS_NETWORK].mode = OCI_NS_JOIN;
	ret = oci_bundle_write(&s, bundle, &err);
	ok(ret == -EINVAL && strstr(pn_err_msg(&err), "network"), "join without path refused: %s", pn_err_msg(&err));
	s.ns[OCI_NS_NETWORK].mode = OCI_NS_HOST;
	s.ns[OCI_NS_MOUNT].mode = OCI_NS_HOST;
	ret = oci_bundle_write(&s, bundle, &err);
	ok(ret == -EINVAL && strstr(pn_err_msg(&err), "mount namespace"), "host mount ns refused: %s", pn_err_msg(&err));
	s.ns[OCI_NS_MOUNT].mode = OCI_NS_NEW;
	ret = oci_bundle_write(&s, "/nonexistent/bundle", &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "/nonexistent/bundle"), "missing bundle dir: %s",
	   pn_err_msg(&err));
	is_str(oci_ns_name(OCI_NS_NETWORK), "network", "namespace names are the spec's");
	pn_err_free(&err);
}

static void test_detect(void)
{
	char *path = NULL, *name = NULL, *why = NULL, buf[256];
	struct pn_err err = { 0 };
	int ret;

	ret = oci_runtime_resolve("/nonexistent/runc", &path, &name, &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "/nonexistent/runc"), "resolve: missing path: %s",
	   pn_err_msg(&err));
	ret = oci_runtime_resolve("no-such-runtime-xyz", &path, &name, &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "no-such-runtime-xyz"), "resolve: unknown name: %s",
	   pn_err_msg(&err));
	ret = oci_runtime_resolve("sh", &path, &name, &err);
	ok(ret == 0 && path[0] == '/' && !strcmp(name, "sh"), "resolve: name found in PATH");
	free(path);
	free(name);

	setenv("PODNET_RUNTIME", "sh", 1);
	ret = oci_runtime_detect(&path, &name, &why, &err);
	ok(ret == 0 && !strcmp(name, "sh") && strstr(why, "PODNET_RUNTIME"),
	   "detect: PODNET_RUNTIME wins (%s)", ret == 0 ? why : pn_err_msg(&err));
	if (ret == 0) {
		free(path);
		free(name);
		free(why);
	}
	setenv("PODNET_RUNTIME", "/nonexistent/crun", 1);
	ret = oci_runtime_detect(&path, &name, &why, &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "PODNET_RUNTIME"), "detect: bad PODNET_RUNTIME: %s",
	   pn_err_msg(&err));
	unsetenv("PODNET_RUNTIME");

	/* scripts/install-deps.sh installs crun and runc: detection must
	 * succeed here, and pick the one this host's cgroups allow. */
	ret = oci_runtime_detect(&path, &name, &why, &err);
	ok(ret == 0, "detect: a runtime is installed (%s)", ret == 0 ? why : pn_err_msg(&err));
	if (ret < 0) {
		pn_err_free(&err);
		return;
	}
	if (access("/usr/bin/crun", X_OK) < 0) {
		ok(!strcmp(name, "runc") && strstr(why, "crun is not installed"),
		   "detect: no crun: runc (%s)", why);
	} else if (pn_read_file("/sys/fs/cgroup/unified/cgroup.controllers", buf, sizeof(buf)) == 0 &&
		   buf[0]) {
		ok(!strcmp(name, "runc") && strstr(why, "hybrid"),
		   "detect: hybrid cgroups with v2 controllers: runc (%s)", why);
	} else {
		ok(!strcmp(name, "crun") && strstr(why, "preferred"), "detect: crun (%s)", why);
	}
	free(path);
	free(name);
	free(why);
	pn_err_free(&err);
}

/*
 * No runtime at all.  find_in_path() also searches the sbin directories
 * whatever $PATH says, so a child in its own mount namespace hides every
 * directory it could look in under an empty tmpfs; only this child sees
 * the mounts, and they go with it.
 */
static void test_detect_none(void)
{
	static const char *const hide[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					     "/usr/bin" };
	char msg[512] = "";
	int pfd[2], st = -1;
	ssize_t n;
	pid_t pid;

	if (geteuid() != 0) {
		ok(1, "detect without any runtime # SKIP not root");
		return;
	}
	if (pipe(pfd) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *path = NULL, *name = NULL, *why = NULL;
		struct pn_err err = { 0 };
		int ret;

		close(pfd[0]);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(2);
		for (size_t i = 0; i < PN_ARRAY_SIZE(hide); i++)
			if (mount("podnet-test", hide[i], "tmpfs", MS_RDONLY, NULL) < 0)
				_exit(3);
		setenv("PATH", "/usr/bin", 1);
		unsetenv("PODNET_RUNTIME");
		ret = oci_runtime_detect(&path, &name, &why, &err);
		if (write(pfd[1], pn_err_msg(&err), strlen(pn_err_msg(&err))) < 0)
			_exit(4);
		/* _exit: no exit handlers (LeakSanitizer) in this child. */
		_exit(ret == -ENOENT ? 0 : 1);
	}
	close(pfd[1]);
	n = pid > 0 ? read(pfd[0], msg, sizeof(msg) - 1) : -1;
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(msg, "no usable OCI runtime") &&
		   strstr(msg, "runc is not installed"),
	   "detect without any runtime: -ENOENT (exit %d): %s",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg);
}

/* A runtime that logs its argv to $dir/args and acts on the verb. */
static const char fake_rt[] =
	"#!/bin/sh\n"
	"root=$2 log=$4\n"
	"shift 6\n"
	"echo \"$*\" >> \"$root/args\"\n"
	"case $1 in\n"
	"state) if [ \"$2\" = c1 ]; then\n"
	"  echo '{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":4242,\"status\":\"running\",\"bundle\":\"/b/c1\"}'\n"
	"  else echo '{\"level\":\"error\",\"msg\":\"container does not exist\"}' > \"$log\"; exit 1; fi ;;\n"
	"list) if [ -e \"$root/empty\" ]; then echo null; else\n"
	"  echo '[{\"id\":\"a\",\"pid\":1,\"status\":\"created\"},{\"id\":\"b\",\"pid\":0,\"status\":\"stopped\"}]'; fi ;;\n"
	"run|create) while [ $# -gt 1 ]; do [ \"$1\" = --pid-file ] && echo 777 > \"$2\"; shift; done ;;\n"
	"exec) shift\n"
	"  while case $1 in --cwd|--env) shift 2 ;; --tty) shift ;; *) false ;; esac; do :; done\n"
	"  shift\n"
	"  case $1 in\n"
	"  nosuch) echo '{\"level\":\"warning\",\"msg\":\"w\"}' > \"$log\"\n"
	"    echo '{\"level\":\"error\",\"msg\":\"exec failed: unable to start container process: exec: \\\"nosuch\\\": executable file not found in $PATH\"}' >> \"$log\"; exit 255 ;;\n"
	"  exit255) exit 255 ;;\n"
	"  *) exit \"$2\" ;;\n"
	"  esac ;;\n"
	"kill|delete|start) [ \"$2\" = gone ] || [ \"$3\" = gone ] && { echo '{\"level\":\"error\",\"msg\":\"container does not exist\"}' > \"$log\"; exit 1; } ; exit 0 ;;\n"
	"esac\n";

static char *last_args(const char *root)
{
	static char line[512];
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/args", root);
	line[0] = '\0';
	f = fopen(p, "r");
	if (!f)
		return line;
	while (fgets(line, sizeof(line), f))
		;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void test_wrappers(void)
{
	char exe[256], root[256];
	struct oci_rt rt = { exe, root };
	struct pn_err err = { 0 };
	struct oci_state st, *list = NULL;
	struct oci_stdio io = { -1, -1, -1 };
	size_t n = 0;
	pid_t pid = 0;
	int code = -1, ret;
	FILE *f;

	snprintf(exe, sizeof(exe), "%s/fake-runc", dir);
	snprintf(root, sizeof(root), "%s/rtroot", dir);
	f = fopen(exe, "w");
	fputs(fake_rt, f);
	fclose(f);
	chmod(exe, 0755);

	ret = oci_state(&rt, "c1", &st, &err);
	ok(ret == 0 && st.pid == 4242 && st.status == OCI_RUNNING && !strcmp(st.bundle, "/b/c1"),
	   "state parsed: pid %d %s", st.pid, oci_status_name(st.status));
	ret = oci_state(&rt, "nope", &st, &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "container does not exist"),
	   "state of an unknown container: -ENOENT, %s", pn_err_msg(&err));
	ret = oci_list(&rt, &list, &n, &err);
	ok(ret == 0 && n == 2 && !strcmp(list[1].id, "b") && list[0].status == OCI_CREATED,
	   "list parsed");
	free(list);
	{
		char empty[300];

		snprintf(empty, sizeof(empty), "%s/empty", root);
		close(open(empty, O_CREAT | O_WRONLY, 0644));
	}
	ret = oci_list(&rt, &list, &n, &err);
	ok(ret == 0 && n == 0, "list: runc's \"null\" is no containers");
	free(list);
	ret = oci_run_detached(&rt, "c2", "/b/c2", &io, &pid, &err);
	ok(ret == 0 && pid == 777, "run --detach: pid from --pid-file (%d) %s", pid, pn_err_msg(&err));
	ok(strstr(last_args(root), "run --detach --bundle /b/c2 --pid-file") != NULL,
	   "run argv: %s", last_args(root));
	pid = 0;
	ret = oci_create(&rt, "c3", "/b/c3", &io, &pid, &err);
	ok(ret == 0 && pid == 777 && strstr(last_args(root), "create --bundle /b/c3 --pid-file"),
	   "create: argv and pid: %s", last_args(root));
	ret = oci_start(&rt, "c3", &err);
	is_str(ret == 0 ? last_args(root) : pn_err_msg(&err), "start c3", "start argv");
	ret = oci_kill(&rt, "c1", SIGTERM, true, &err);
	is_str(ret == 0 ? last_args(root) : pn_err_msg(&err), "kill --all c1 15", "kill --all argv");
	ret = oci_kill(&rt, "c1", SIGKILL, false, &err);
	is_str(ret == 0 ? last_args(root) : pn_err_msg(&err), "kill c1 9", "kill argv");
	ret = oci_delete(&rt, "c1", true, &err);
	is_str(ret == 0 ? last_args(root) : pn_err_msg(&err), "delete --force c1", "delete --force argv");
	ret = oci_delete(&rt, "gone", false, &err);
	ok(ret == -ENOENT && strstr(pn_err_msg(&err), "fake-runc delete gone: container does not exist"),
	   "delete error names runtime, verb, id: %s", pn_err_msg(&err));

	{
		static const char *const a7[] = { "sh", "7", NULL };
		static const char *const a255[] = { "exit255", NULL };
		static const char *const anos[] = { "nosuch", NULL };
		static const char *const envx[] = { "A=1", NULL };
		struct oci_exec_opts o = { .args = a7, .env = envx, .cwd = "/tmp", .io = { -1, -1, -1 } };

		ret = oci_exec(&rt, "c1", &o, &code, &err);
		ok(ret == 0 && code == 7, "exec: exit code 7 propagated (%d)", code);
		is_str(last_args(root), "exec --cwd /tmp --env A=1 c1 sh 7", "exec argv");
		o.args = a255;
		o.env = NULL;
		o.cwd = NULL;
		ret = oci_exec(&rt, "c1", &o, &code, &err);
		ok(ret == 0 && code == 255, "exec: a process's own 255 is not a runtime failure");
		o.args = anos;
		ret = oci_exec(&rt, "c1", &o, &code, &err);
		ok(ret == -ENOENT && code == 127 &&
			   !strcmp(pn_err_msg(&err), "exec failed: unable to start container process: exec: "
					    "\"nosuch\": executable file not found in $PATH"),
		   "exec: missing executable: 127 and runc's message: %s", pn_err_msg(&err));
	}
	pn_err_free(&err);
}

/* Driver for the integration test: test_oci exec RUNTIME ROOT ID CMD...
 * Like a CLI: the runtime has printed its own failure on our stderr. */
static int exec_main(int argc, char **argv)
{
	struct oci_rt rt = { argv[2], argv[3] };
	struct oci_exec_opts o = { .args = (const char *const *)argv + 5, .io = { 0, 1, 2 } };
	struct pn_err err = { 0 };
	int code = 1;

	(void)argc;
	/* On failure the runtime has printed its message on our stderr. */
	(void)!oci_exec(&rt, argv[4], &o, &code, &err);
	pn_err_free(&err);
	return code;
}

/* Write @pid to @path, its mtime @age seconds in the past. */
static void pid_file_at(const char *path, pid_t pid, int age)
{
	FILE *f = fopen(path, "w");
	struct timespec ts[2];

	fprintf(f, "%d", (int)pid);
	fclose(f);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, path, ts, 0);
}

/* oci_exec_orphans_kill: the process a PID file names is killed and the
 * file goes; a PID whose process started after its file was written (a
 * reused PID) is left alone; a missing directory is none. */
static void test_exec_orphans(void)
{
	char d[600], p1[700], p2[700], p3[700];
	struct pn_err err = { 0 };
	size_t killed = 9;
	pid_t orphan, later;
	int st = 0;

	snprintf(d, sizeof(d), "%s/exec", dir);
	ok(oci_exec_orphans_kill(d, &killed, &err) == 0 && killed == 0, "exec orphans: no dir, none");
	mkdir(d, 0700);
	orphan = fork();
	if (orphan == 0) {
		pause();
		_exit(0);
	}
	later = fork();
	if (later == 0) {
		pause();
		_exit(0);
	}
	snprintf(p1, sizeof(p1), "%s/1-1.pid", d);
	snprintf(p2, sizeof(p2), "%s/1-2.pid", d);
	snprintf(p3, sizeof(p3), "%s/not-a-pid-file", d);
	pid_file_at(p1, orphan, 0);
	/* "written" an hour before its process started: a reused PID */
	pid_file_at(p2, later, 3600);
	pid_file_at(p3, later, 0);
	ok(oci_exec_orphans_kill(d, &killed, &err) == 0, "exec orphans: %s", pn_err_msg(&err));
	is_int(killed, 1, "one process killed");
	ok(waitpid(orphan, &st, 0) == orphan && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	   "the orphan died of SIGKILL");
	ok(kill(later, 0) == 0, "the process that reused a PID still runs");
	ok(access(p1, F_OK) < 0 && access(p2, F_OK) < 0, "the PID files are gone");
	ok(access(p3, F_OK) == 0, "other files are left");
	kill(later, SIGKILL);
	waitpid(later, &st, 0);
	pn_err_free(&err);
}

int main(int argc, char **argv)
{
	char cmd[300];

	if (argc > 5 && !strcmp(argv[1], "exec"))
		return exec_main(argc, argv);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_bundle();
	test_bundle_variants();
	test_detect();
	test_detect_none();
	test_wrappers();
	test_exec_orphans();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	return tap_done();
}
