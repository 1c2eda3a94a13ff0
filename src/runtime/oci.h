/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_OCI_H
#define PODNET_OCI_H

/*
 * OCI bundles (config.json, runtime-spec v1.0.2) and the OCI runtime
 * (runc or crun) driven through its command line, as containerd's runc shim
 * and conmon do.  podnet never isolates processes itself.
 *
 * Every runtime call passes "--root <state dir>" (podnet uses
 * <PODNET_ROOT>/runtime) so podnet's containers never mix with those of
 * docker, podman or containerd on the same node.
 *
 * Strings in the structs below are borrowed: the caller keeps them alive
 * for the duration of the call.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "util.h"

#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * Choose the runtime.  Order: $PODNET_RUNTIME (a name such as "runc" or an
 * absolute path), else crun when it can run on this host, else runc.  crun
 * (1.8) refuses hybrid cgroup hosts whose v2 hierarchy has controllers
 * enabled ("cgroups in hybrid mode not supported, drop all controllers from
 * cgroupv2"); that is read from /sys/fs/cgroup/unified/cgroup.controllers,
 * no container is started.  *path, *name and *why (one line saying why this
 * runtime was chosen, for `podnet info`) are heap strings for the caller.
 */
int oci_runtime_detect(char **path, char **name, char **why, struct pn_err *err) PN_MUST_CHECK;

/* Resolve an explicit choice (--runtime, config): "runc", "crun" or a path
 * to an executable.  *name is the basename ("runc", "crun", ...). */
int oci_runtime_resolve(const char *want, char **path, char **name,
			struct pn_err *err) PN_MUST_CHECK;

/* ---- bundles ---- */

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_MOUNT,
	OCI_NS_CGROUP,
	OCI_NS__COUNT
};

enum oci_ns_mode {
	OCI_NS_HOST = 0, /* no entry: the process stays in the runtime's namespace */
	OCI_NS_NEW,      /* entry without path: a new namespace */
	OCI_NS_JOIN,     /* entry with path: setns() into it */
};

struct oci_ns {
	enum oci_ns_mode mode;
	const char *path; /* OCI_NS_JOIN: /run/netns/cni-..., /proc/PID/ns/ipc */
};

struct oci_mount {
	const char *destination;
	const char *type;            /* "bind" for bind mounts */
	const char *source;
	const char *const *options;  /* NULL-terminated, may be NULL */
};

struct oci_spec {
	const char *rootfs;          /* absolute, or relative to the bundle */
	bool rootfs_readonly;
	const char *const *args;     /* NULL-terminated, at least one */
	const char *const *env;      /* "NAME=value", NULL-terminated, may be NULL */
	const char *cwd;             /* NULL: "/" */
	bool terminal;
	const char *hostname;        /* NULL: none (a joined uts ns keeps its own) */
	struct oci_ns ns[OCI_NS__COUNT];
	/* Files bind-mounted over /etc/hosts, /etc/resolv.conf, /etc/hostname
	 * (NULL: not mounted), as kubelet does from the pod directory. */
	const char *etc_hosts;
	const char *etc_resolv_conf;
	const char *etc_hostname;
	const struct oci_mount *mounts; /* extra mounts after the defaults */
	size_t n_mounts;
	/* RLIMIT_NOFILE soft = hard = this value; 0 omits process.rlimits, so
	 * the container inherits the runtime's limits.  Must not exceed the
	 * caller's hard limit: a root without CAP_SYS_RESOURCE cannot raise it
	 * (setrlimit(2) EPERM), and the runtime then fails the container. */
	unsigned long nofile;
	const char *cgroups_path;    /* linux.cgroupsPath; NULL: omitted */
};

/* Write <bundle_dir>/config.json (atomically: temp file + rename).
 * bundle_dir must exist. */
int oci_bundle_write(const struct oci_spec *s, const char *bundle_dir,
		     struct pn_err *err) PN_MUST_CHECK;

/* The namespace type names of config.json ("pid", "network", ...). */
const char *oci_ns_name(enum oci_ns_type t);

/* ---- runtime invocation ---- */

struct oci_rt {
	const char *path; /* runtime executable */
	const char *root; /* --root state directory */
};

/* stdio handed to the runtime; -1 means /dev/null. */
struct oci_stdio {
	int in, out, err;
};

enum oci_status { OCI_UNKNOWN = 0, OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_PAUSED, OCI_STOPPED };

struct oci_state {
	char id[128];
	pid_t pid;             /* 0 when stopped */
	enum oci_status status;
	char bundle[512];
};

const char *oci_status_name(enum oci_status s);

/*
 * `create` / `start` / `run --detach`.  In detached mode without a terminal
 * the runtime passes @io straight to the container's init ("pass-through"
 * stdio), so the caller keeps the other ends of pipes.  *pid (may be NULL)
 * receives the init's host PID from --pid-file.  The runtime's own error
 * message, when it fails, ends up in pn_err_msg(err).
 */
int oci_create(const struct oci_rt *rt, const char *id, const char *bundle,
	       const struct oci_stdio *io, pid_t *pid, struct pn_err *err) PN_MUST_CHECK;
int oci_start(const struct oci_rt *rt, const char *id, struct pn_err *err) PN_MUST_CHECK;
int oci_run_detached(const struct oci_rt *rt, const char *id, const char *bundle,
		     const struct oci_stdio *io, pid_t *pid, struct pn_err *err) PN_MUST_CHECK;

/*
 * oci_run_detached() in two halves, so several containers can be started at
 * once: _start forks the runtime and returns at once with *p (heap, opaque);
 * _wait waits for that runtime by its PID (never waitpid(-1)), reads the
 * pid file and frees *p.  Same results and errors as oci_run_detached();
 * a failure of _start leaves nothing to wait for (*p is NULL).  @rt must
 * stay valid until _wait; @io is used only during _start (the caller may
 * close its copies of those fds once _start returns).  Every successful
 * _start must be followed by exactly one _wait.
 */
struct oci_pending;

/*
 * How many runtimes a caller of the calls above and below keeps running at
 * once: twice the online CPUs (at least 4).  More only contend: runc is two
 * Go programs per container, and with a pod's 300 all started at once it
 * took 113 ms of CPU per container against 79 ms two at a time (the
 * kernel's cgroup and mount locks, the Go runtimes' spinning).
 * PODNET_RUNTIME_WINDOW overrides it, for measurements.
 */
size_t oci_window(void);
int oci_run_detached_start(const struct oci_rt *rt, const char *id, const char *bundle,
			   const struct oci_stdio *io, struct oci_pending **p,
			   struct pn_err *err) PN_MUST_CHECK;
int oci_run_detached_wait(struct oci_pending *p, pid_t *pid, struct pn_err *err) PN_MUST_CHECK;

/*
 * A `create` or `run` keeps its --pid-file in the runtime root beside the
 * state dirs, as "<id>.pid", until its caller collects it (the wait reads
 * and removes it).  A caller killed in between (a shim SIGKILLed while its
 * runtimes run) leaves it behind, and nothing else removes it:
 * oci_pid_file_id() tells such a root entry (true, its id in @id) from a
 * state dir; oci_pid_file_remove() removes @id's (true if there was one).
 */
bool oci_pid_file_id(const char *name, char *id, size_t n);
bool oci_pid_file_remove(const struct oci_rt *rt, const char *id);

/* -ENOENT (no error text needed by callers) when the container is unknown. */
int oci_state(const struct oci_rt *rt, const char *id, struct oci_state *st,
	      struct pn_err *err) PN_MUST_CHECK;
int oci_kill(const struct oci_rt *rt, const char *id, int sig, bool all,
	     struct pn_err *err) PN_MUST_CHECK;
int oci_delete(const struct oci_rt *rt, const char *id, bool force,
	       struct pn_err *err) PN_MUST_CHECK;
/* `delete --force` and `kill --all ID SIG` of @n containers at once (the
 * runtimes run concurrently, oci_window() at a time, each waited for by
 * its PID).  The first failure is returned; a container that is gone
 * already is none. */
int oci_delete_many(const struct oci_rt *rt, const char *const *ids, size_t n,
		    struct pn_err *err) PN_MUST_CHECK;
int oci_kill_many(const struct oci_rt *rt, const char *const *ids, size_t n, int sig,
		  struct pn_err *err) PN_MUST_CHECK;
/* *out is a heap array of *n states (free()), possibly empty. */
int oci_list(const struct oci_rt *rt, struct oci_state **out, size_t *n,
	     struct pn_err *err) PN_MUST_CHECK;

struct oci_exec_opts {
	const char *const *args;   /* NULL-terminated */
	const char *const *env;    /* extra "NAME=value", may be NULL */
	const char *cwd;           /* NULL: the container's */
	bool tty;                  /* runtime allocates a pty and copies to io */
	bool interactive;          /* keep stdin; else /dev/null */
	struct oci_stdio io;
	/* NULL, or where the runtime writes the process's PID (exec
	 * --pid-file): a caller that may die before the process ends keeps
	 * it there for oci_exec_orphans_kill() */
	const char *pid_file;
};

/*
 * Run a process in a running container and wait for it.  Returns 0 with
 * *exit_code = its exit status (128+N when killed by signal N), or -errno
 * when the runtime could not start it: then pn_err_msg(err) is the runtime's
 * message (runc: `exec failed: unable to start container process: exec:
 * "foo": executable file not found in $PATH`), *exit_code is 127 for a
 * missing executable and 126 otherwise (the shells' convention), and the
 * return is -ENOENT / -EACCES / -EIO (-ESRCH: no such container).  The
 * runtime has then already written that line to @o->io.err itself (runc and
 * crun print a fatal error on stderr besides their --log file, and in exec
 * mode their stderr is the process's): a CLI should not print pn_err_msg(err)
 * again.
 */
int oci_exec(const struct oci_rt *rt, const char *id, const struct oci_exec_opts *o,
	     int *exit_code, struct pn_err *err) PN_MUST_CHECK;

/*
 * oci_exec() in two halves, for a caller that relays the process's stdio
 * itself (podnetd's exec streams): start runs the runtime (a child of the
 * calling process, *pid); the caller waits for it (waitpid) and gives its
 * wait status to finish, which reads the runtime's log and returns what
 * oci_exec() would, and frees @p.
 */
struct oci_exec_proc;
int oci_exec_start(const struct oci_rt *rt, const char *id, const struct oci_exec_opts *o,
		   pid_t *pid, struct oci_exec_proc **out, struct pn_err *err) PN_MUST_CHECK;
int oci_exec_finish(struct oci_exec_proc *p, int wstatus, int *exit_code,
		    struct pn_err *err) PN_MUST_CHECK;

/*
 * The processes of execs whose caller died (a podnetd killed while a
 * `kubectl exec` ran: runc and crun keep the process running, and nobody
 * relays its stdio or waits for it any more): every "*.pid" file in @dir
 * (oci_exec_opts.pid_file) names one; each still running is SIGKILLed
 * and the file removed.  The runtimes have no verb that ends a single
 * exec'd process (kill signals the container's init, or with --all every
 * process of it), so it is killed by PID, and only when that process
 * started no later than its file was written: a PID reused since by an
 * unrelated process is left alone.  *killed: how many were killed.  A
 * missing @dir is none.
 */
int oci_exec_orphans_kill(const char *dir, size_t *killed, struct pn_err *err) PN_MUST_CHECK;

#endif
