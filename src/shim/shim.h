/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SHIM_H
#define PODNET_SHIM_H

/* Internal to podnet-shim; the protocol with the CLI is in README.md. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "oci.h"

enum shim_restart { SHIM_RESTART_ALWAYS, SHIM_RESTART_ON_FAILURE, SHIM_RESTART_NEVER };

enum shim_cstate {
	CS_CREATED, /* bundle written, not started yet (reason ContainerCreating) */
	CS_RUNNING,
	CS_WAITING, /* exited, restart pending after back-off (CrashLoopBackOff) */
	CS_EXITED,  /* exited for good (policy, or the pod is stopping) */
};

/* One CRI log stream (stdout or stderr) of one container. */
struct crilog {
	int fd;             /* read end of the pipe, -1 when closed */
	const char *stream; /* "stdout" / "stderr" */
	char buf[16384];    /* containerd's bufio size: longer lines become P chunks */
	size_t len;
};

/*
 * A container's log file.  Lines are appended with write(2), no stdio
 * buffer, so a line is in the file whole or not at all.  A line that
 * cannot be written (ENOSPC, EDQUOT, EFBIG, EIO) is dropped and counted,
 * as containerd's CRI logger drops it, rather than kept: holding lines
 * back would stop draining the container's pipes and block the container
 * on its stdout, and the shim must keep running a full disk or not.
 * The bytes of a line cut short are truncated away so the next line
 * starts a line of its own (kubelet's parser reads line by line).  The
 * first failure of a run of them and the count, once writing works again
 * (or at close), go to shim.log.
 */
struct crilog_file {
	int fd;                     /* -1: no file; lines are dropped */
	const char *path;           /* borrowed, for messages */
	int failing;                /* errno of the current run of failures, 0 if none */
	unsigned long long dropped; /* lines lost in that run */
	bool broken;                /* a cut line could not be truncated away */
};

/* kubelet's three probes of a container. */
enum probe_kind { PROBE_LIVENESS = 0, PROBE_READINESS, PROBE_STARTUP, PROBE_KINDS };
enum probe_handler { PH_NONE = 0, PH_EXEC, PH_HTTP, PH_TCP, PH_GRPC };
/* Worker results (pkg/kubelet/prober/results). */
enum probe_result { PR_UNKNOWN = 0, PR_SUCCESS, PR_FAILURE };

struct probe {
	/* from the plan; present == false: no such probe */
	bool present;
	enum probe_handler handler;
	char **argv;                 /* exec */
	char *host, *path, *scheme;  /* httpGet, tcpSocket (host resolved by the CLI) */
	char **headers;              /* httpGet: "Name: value" lines */
	int port;
	int initial_delay, timeout, period, success_threshold, failure_threshold;
	long long grace;             /* terminationGracePeriodSeconds; -1: the pod's */

	/* the worker */
	enum probe_result result;    /* what the worker reports */
	enum probe_result last;      /* the last probe's own result */
	int run;                     /* how many in a row were `last` */
	bool on_hold;                /* liveness/startup failed: wait for a new attempt */
	uint64_t next_at;            /* monotonic ns of the next probe */
	/* one probe in flight */
	bool busy;
	uint64_t deadline;
	int fd;                      /* tcpSocket: the connecting socket; exec: output pipe */
	pid_t pid;                   /* exec: the runtime's exec process */
	bool exited;                 /* exec: reaped, waiting for the pipe's EOF */
	int wstatus;
	char out[1024];              /* exec output, for the event */
	size_t out_len;
	void *easy;                  /* httpGet: a CURL easy handle */
};

struct shim_ctr {
	/* from the plan */
	char *id, *name, *bundle, *rootfs, *log_dir, *cwd, *image;
	char **args, **env;
	/* Root file systems of plans replaced before this shim read them
	 * (README, supersededRootfs): released at reload unless in use. */
	char **superseded;
	bool unmount_rootfs;
	enum shim_restart restart;

	/* runtime state */
	/* The OCI runtime's id of this attempt: the plan's id for the first,
	 * a new one for each restart (CRI runtimes create a new container per
	 * attempt, so crictl shows each with its own ID and ATTEMPT). */
	char cid[65];
	char last_cid[65];     /* the attempt lastState describes */
	enum shim_cstate state;
	pid_t pid;
	int exit_code;
	char reason[32];
	char message[512];
	char started_at[40], finished_at[40];
	uint64_t started_mono; /* ns, for the 10-minute back-off reset */
	int restart_count;
	int backoff_s;         /* next back-off; 0: restart at once */
	uint64_t restart_at;   /* monotonic ns when CS_WAITING ends */
	char log_path[4096];
	char prev_log_path[4096];
	struct crilog_file log;
	struct crilog out, err;
	char memcg[512];       /* memory cgroup dir, to tell OOM kills */
	/* probes: started (startup passed), ready (readiness passes) */
	struct probe probes[PROBE_KINDS];
	bool started, ready;
	const char *kill_reason;     /* a probe asked for this container's restart */
	uint64_t kill_at;            /* then SIGKILL at this monotonic ns */
	/* lastState.terminated */
	bool has_last;
	int last_exit_code;
	char last_reason[32], last_started_at[40], last_finished_at[40];
	/* plan "exited": ended in an earlier sandbox of the pod, not started */
	bool done;
	/* exited while the pod stops: its runtime state (cid) is deleted with
	 * the others' at the end */
	bool rt_state;
	/* A new image from the plan (SIGUSR2): this attempt is stopped, and
	 * a new one started on the root file system podnet mounted for it. */
	bool swap;
	char *next_image, *next_rootfs, *next_cwd;
	char **next_args, **next_env;
	uint64_t swap_kill_at;  /* monotonic ns: SIGKILL if still running */
	/* The attempt before that one (status.json previousAttempt while in
	 * back-off: its log is still kept, so crictl can list it). */
	bool has_prev;
	char prev_cid[65];
	int prev_exit_code;
	char prev_reason[32], prev_started_at[40], prev_finished_at[40];
};

struct shim_plan {
	char *pod_uid, *pod_name, *pod_namespace, *sandbox_id, *hostname, *netns, *pod_ip;
	char *pause_binary;
	bool host_network, host_ipc, host_pid, share_pid;
	int64_t grace_s;
	/* Bumped by podnet on each plan it writes to a running shim; echoed
	 * as shim.json's planRevision once the plan was taken (README). */
	int64_t revision;
	char **sync_argv;        /* run (no wait) when a container's readiness changes */
	struct shim_ctr *ctrs;
	size_t n_ctrs;
};

int shim_plan_load(const char *path, struct shim_plan *p, struct pn_err *err);
/* Free a NULL-terminated string array (NULL is fine). */
void shim_strv_free(char **v);
void shim_plan_free(struct shim_plan *p);

/* CRI log line writer (crilog.c). */
void crilog_init(struct crilog *l, int fd, const char *stream);
/* Read what is available; returns 0, or 1 at EOF (fd closed). */
int crilog_read(struct crilog *l, struct crilog_file *out);
/* Write a pending partial line (as F: the stream ended) and close. */
void crilog_close(struct crilog *l, struct crilog_file *out);

/* Create (truncate) @path for a container's log: 0 or -errno. */
int crilog_file_open(struct crilog_file *f, const char *path);
/* Append one line "<time> <stream> <tag> <content>\n" (see crilog_file). */
void crilog_file_write(struct crilog_file *f, const char *stream, char tag, const char *p,
		       size_t n);
/* Close (fd -1 is fine), logging lines dropped since the last report. */
void crilog_file_close(struct crilog_file *f);
/* "2026-11-26T16:00:00.123456789Z" (RFC 3339, nanoseconds, UTC). */
void rfc3339_now(char buf[40]);

void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The prober (prober.c): kubelet's probe workers inside the shim's event
 * loop.  Every probe runs without blocking: tcpSocket and httpGet sockets
 * (libcurl's multi interface for HTTP) and the exec probe's output pipe
 * are watched by the loop's epoll; an exec probe's runtime process is
 * reaped by the loop's waitpid(-1) like any child.
 */
#define PROBE_EP_KEY (1ull << 62)   /* epoll keys at and above are the prober's */

int prober_init(int epfd, const struct oci_rt *rt, const char *pod_ip, struct pn_err *err);
void prober_fini(void);
/* A new attempt of @c started running (a new container for kubelet). */
void prober_container_started(struct shim_ctr *c);
/* @c stopped running: probes in flight are cancelled, not ready. */
void prober_container_stopped(struct shim_ctr *c);
/* Earliest monotonic ns the prober needs the loop back (UINT64_MAX: none). */
uint64_t prober_next_wakeup(const struct shim_ctr *ctrs, size_t n);
void prober_tick(struct shim_ctr *ctrs, size_t n, uint64_t now);
void prober_on_event(struct shim_ctr *ctrs, size_t n, uint64_t key, uint32_t events);
/* true if @pid was an exec probe's (its status is taken). */
bool prober_child_exited(struct shim_ctr *ctrs, size_t n, pid_t pid, int wstatus);
const char *probe_kind_title(enum probe_kind k); /* "Liveness" ... */

/* What the prober asks of the shim (shim.c). */
void shim_probe_restart(struct shim_ctr *c, enum probe_kind k);
void shim_readiness_changed(struct shim_ctr *c);
/* An event as kubelet records it: type Normal/Warning, reason, message. */
void shim_event(const struct shim_ctr *c, const char *type, const char *reason, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
uint64_t shim_now_ns(void);

#endif
