/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_CHILD_H
#define PODNET_CHILD_H

/*
 * Child processes: the one way podnet runs another program (CNI plugins,
 * the OCI runtime, the shim, nft, dot, a command in a pod's netns).
 *
 * The child is started with posix_spawn(3): glibc starts it with
 * clone(CLONE_VM|CLONE_VFORK), so nothing of the caller's memory is copied
 * (here 1.2 ms per trivial plugin against 1.8 ms for fork+exec) and a failed
 * exec comes back as the errno of posix_spawn itself.  Nothing but the
 * file actions and the exec runs in the child, so a threaded caller is
 * safe.  The child starts clean whatever the caller did to its own
 * signals: every signal at its default disposition, none blocked (the
 * shim ignores SIGPIPE and blocks what its signalfd reads; both would
 * otherwise survive execve(2) into the containers).  Only fd 0, 1 and 2
 * reach the child: every fd podnet opens is close-on-exec, and the child
 * closes the rest (an fd our own parent leaked to us) before the exec.
 *
 * Output is captured concurrently from stdout and stderr with poll(2)
 * while stdin is fed, so a child that fills one pipe while we wait on
 * another never deadlocks; the caller's thread never dies of SIGPIPE when
 * the child exits without reading its stdin, and the process-wide
 * disposition of SIGPIPE is never touched (see pn_child_wait()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* What the child gets as its fd 0, 1 or 2. */
enum pn_stdio {
	PN_STDIO_NULL = 0, /* /dev/null */
	PN_STDIO_INHERIT,  /* the caller's own fd 0, 1 or 2 */
	PN_STDIO_FD,       /* the caller's fd in in_fd/out_fd/err_fd (any number) */
	PN_STDIO_PIPE,     /* stdin: in_data is fed to it; stdout/stderr: captured */
	PN_STDIO_STDOUT,   /* stderr only: wherever stdout goes (2>&1) */
};

/* Captured output beyond this many bytes is read and dropped (out_max or
 * err_max 0), so a runaway child can neither block nor exhaust us. */
#define PN_SPAWN_KEEP_MAX (16u << 20)

struct pn_spawn {
	/* The program: a path, or a name without '/' searched in PATH as
	 * execvp(3) does.  Also the name used in error messages. */
	const char *path;
	char *const *argv;  /* argv[0] is what the child sees as its name */
	char *const *envp;  /* NULL: the caller's environ */
	enum pn_stdio in, out, err;
	int in_fd, out_fd, err_fd;   /* for PN_STDIO_FD; borrowed */
	const void *in_data;         /* for in == PN_STDIO_PIPE; borrowed until waited */
	size_t in_len;
	size_t out_max, err_max;     /* bytes kept of captured output; 0: PN_SPAWN_KEEP_MAX */
	/* 0: wait as long as it takes.  Otherwise the child is killed with
	 * SIGKILL once this many milliseconds have passed since it started
	 * and pn_child_wait() returns -ETIMEDOUT. */
	int timeout_ms;
	int code;                    /* the pn_err code of failures (PN_E_DELEGATE, ...) */
};

/* A started child, between pn_spawn_start() and pn_child_wait(). */
struct pn_child {
	pid_t pid;
	int in, out, err;            /* our ends of the pipes, -1 when none */
	int pidfd;                   /* with a timeout: to poll for its exit (-1: ENOSYS, polled) */
	const char *in_data;
	size_t in_len;
	bool capture_out, capture_err;
	size_t out_max, err_max;
	int timeout_ms;
	unsigned long long started_ns;
	int code;
	char name[64];               /* the program's base name, for messages */
};

/* What became of a child. */
struct pn_proc_result {
	int status;                  /* waitpid(2) status */
	char *out, *err;             /* captured, NUL-terminated, heap; NULL if not captured */
	size_t out_len, err_len;
	bool out_cut, err_cut;       /* the child wrote more than was kept */
	bool timed_out;
};

/*
 * Start @s.  On success (0) the child runs and pn_child_wait() must follow
 * exactly once; on failure (-errno, @err names the program and the cause:
 * -ENOENT and -EACCES for a program that cannot be executed) nothing is
 * left: no child, no fd.  The caller may close the fds it handed in once
 * this returns.
 */
int pn_spawn_start(const struct pn_spawn *s, struct pn_child *c, struct pn_err *err)
	__attribute__((warn_unused_result));

/*
 * Feed stdin, collect stdout and stderr until both reach EOF, and reap the
 * child (by its pid: never another child).  Fills @r (release it with
 * pn_proc_result_free(), also after a failure).  Returns 0 when the child
 * was reaped, whatever its status; -ETIMEDOUT when it was killed at the
 * timeout (@r holds what it wrote until then); another -errno when talking
 * to it failed (then it is killed, since nobody drains its pipes any more,
 * and reaped).  A child that exits without reading all of its stdin is no
 * error: that is its business.
 */
int pn_child_wait(struct pn_child *c, struct pn_proc_result *r, struct pn_err *err)
	__attribute__((warn_unused_result));

/* pn_spawn_start() then pn_child_wait(). */
int pn_run(const struct pn_spawn *s, struct pn_proc_result *r, struct pn_err *err)
	__attribute__((warn_unused_result));

void pn_proc_result_free(struct pn_proc_result *r);

/* Exited with status 0. */
bool pn_proc_ok(const struct pn_proc_result *r);
/* The shells' $?: the exit status, or 128 + N when killed by signal N. */
int pn_proc_exit_code(const struct pn_proc_result *r);
/* "exit status N" or "signal N": how a wait status reads in messages. */
const char *pn_wait_status_str(int status, char *buf, size_t size);

#endif
