/* SPDX-License-Identifier: Apache-2.0 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * Add the file actions that give the child @mode as its fd @target.
 * @pipefd receives a pipe for PN_STDIO_PIPE (the child's end is placed,
 * ours kept, non-blocking: poll(2) says a pipe has room, not how much, so
 * a blocking write of more could hang us while the child waits for us to
 * drain its other pipe).  A caller's fd below 3 is first copied above 2
 * into *@low: the actions run in order, and placing stdin on 0 must not
 * overwrite a caller's fd 0 that is still to become stdout.
 */
static int stdio_action(posix_spawn_file_actions_t *fa, enum pn_stdio mode, int fd, int target,
			int pipefd[2], int *low)
{
	int child_end, our_end;

	switch (mode) {
	case PN_STDIO_NULL:
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null",
							target == 0 ? O_RDONLY : O_WRONLY, 0);
	case PN_STDIO_INHERIT:
		return 0;
	case PN_STDIO_FD:
		if (fd < 0)
			return EBADF;
		if (fd < 3) {
			*low = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			if (*low < 0)
				return errno;
			fd = *low;
		}
		/* dup2 onto 0..2 clears FD_CLOEXEC there, so the copy survives
		 * the exec while the source (close-on-exec) does not. */
		return posix_spawn_file_actions_adddup2(fa, fd, target);
	case PN_STDIO_PIPE:
		if (pipe2(pipefd, O_CLOEXEC) < 0)
			return errno;
		child_end = target == 0 ? pipefd[0] : pipefd[1];
		our_end = target == 0 ? pipefd[1] : pipefd[0];
		if (fcntl(our_end, F_SETFL, O_NONBLOCK) < 0)
			return errno;
		return posix_spawn_file_actions_adddup2(fa, child_end, target);
	case PN_STDIO_STDOUT:
		if (target != 2)
			return EINVAL;
		return posix_spawn_file_actions_adddup2(fa, 1, 2);
	}
	return EINVAL;
}

int pn_spawn_start(const struct pn_spawn *s, struct pn_child *c, struct pn_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	bool fa_init = false, attr_init = false;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int low[3] = { -1, -1, -1 };
	const char *base;
	sigset_t set;
	pid_t pid;
	int ret;

	*c = (struct pn_child){ .pid = -1, .in = -1, .out = -1, .err = -1, .pidfd = -1 };
	base = strrchr(s->path, '/');
	snprintf(c->name, sizeof(c->name), "%s", base ? base + 1 : s->path);
	c->code = s->code;
	if (s->in == PN_STDIO_STDOUT || s->out == PN_STDIO_STDOUT) {
		ret = pn_error(err, s->code, EINVAL, "%s: only stderr can go with stdout", c->name);
		goto out;
	}
	ret = posix_spawn_file_actions_init(&fa);
	if (ret) {
		ret = pn_error(err, s->code, ret, "cannot start %s", c->name);
		goto out;
	}
	fa_init = true;
	ret = posix_spawnattr_init(&attr);
	if (ret) {
		ret = pn_error(err, s->code, ret, "cannot start %s", c->name);
		goto out;
	}
	attr_init = true;
	/* A clean slate: no blocked signal, every one at SIG_DFL (an
	 * ignored signal survives execve(2); handlers do not). */
	sigemptyset(&set);
	ret = posix_spawnattr_setsigmask(&attr, &set);
	sigfillset(&set);
	if (!ret)
		ret = posix_spawnattr_setsigdefault(&attr, &set);
	if (!ret)
		ret = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!ret)
		ret = stdio_action(&fa, s->in, s->in_fd, 0, pin, &low[0]);
	if (!ret)
		ret = stdio_action(&fa, s->out, s->out_fd, 1, pout, &low[1]);
	if (!ret)
		ret = stdio_action(&fa, s->err, s->err_fd, 2, perr, &low[2]);
	/* Last, once the dup2 sources are no longer needed: fds the caller
	 * inherited without close-on-exec, or a library opened without it,
	 * do not reach the child either (one close_range(2)). */
	if (!ret)
		ret = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (ret) {
		ret = pn_error(err, s->code, ret, "cannot set up the stdio of %s", c->name);
		goto out;
	}
	/* glibc reports a failed exec (and a failed file action) as the
	 * return value, the child already reaped. */
	if (strchr(s->path, '/'))
		ret = posix_spawn(&pid, s->path, &fa, &attr, s->argv, s->envp ? s->envp : environ);
	else
		ret = posix_spawnp(&pid, s->path, &fa, &attr, s->argv, s->envp ? s->envp : environ);
	if (ret) {
		ret = pn_error(err, s->code, ret, "cannot execute %s", s->path);
		goto out;
	}
	c->pid = pid;
	c->started_ns = pn_now_ns();
	c->in = pin[1];
	c->out = pout[0];
	c->err = perr[0];
	pin[1] = pout[0] = perr[0] = -1;
	c->in_data = s->in_data;
	c->in_len = s->in == PN_STDIO_PIPE ? s->in_len : 0;
	c->capture_out = s->out == PN_STDIO_PIPE;
	c->capture_err = s->err == PN_STDIO_PIPE;
	c->out_max = s->out_max ? s->out_max : PN_SPAWN_KEEP_MAX;
	c->err_max = s->err_max ? s->err_max : PN_SPAWN_KEEP_MAX;
	c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 0;
	/* A pidfd tells when the child exits even if a grandchild keeps its
	 * pipes open; only a timeout needs to know.  The pid cannot be
	 * reused before we reap it. */
	if (c->timeout_ms) {
		c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		/* ENOSYS: a kernel before 5.3, or a process run by an emulator
		 * that does not know the call (valgrind 3.19, make valgrind);
		 * pn_child_wait then polls for the exit instead. */
		if (c->pidfd < 0 && errno != ENOSYS) {
			ret = pn_error(err, s->code, errno, "%s: pidfd_open", c->name);
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			close_fd(&c->in);
			close_fd(&c->out);
			close_fd(&c->err);
			c->pid = -1;
			goto out;
		}
		/* pidfd_open gives no O_CLOEXEC flag of its own; the kernel
		 * makes every pidfd close-on-exec (pidfd_create). */
	}
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&pin[i]);
		close_fd(&pout[i]);
		close_fd(&perr[i]);
	}
	for (int i = 0; i < 3; i++)
		close_fd(&low[i]);
	if (attr_init)
		posix_spawnattr_destroy(&attr);
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	return ret;
}

/* A capture buffer: grows to @max bytes, then counts what it drops. */
struct capture {
	char *p;
	size_t len, cap, max;
	bool cut;
};

/* One read(2) from *@fd into @b, closing *@fd at EOF: 0 or -errno. */
static int capture_read(int *fd, struct capture *b)
{
	char sink[4096];
	char *dst = sink;
	size_t room = sizeof(sink);
	ssize_t n;

	if (b->len < b->max) {
		/* Keep one byte for the NUL. */
		if (b->len + 1 >= b->cap) {
			size_t ncap = b->cap ? b->cap * 2 : 4096;
			char *np;

			if (ncap > b->max + 1)
				ncap = b->max + 1;
			np = realloc(b->p, ncap);
			if (!np)
				return -ENOMEM;
			b->p = np;
			b->cap = ncap;
		}
		dst = b->p + b->len;
		room = b->cap - 1 - b->len;
	}
	n = read(*fd, dst, room);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		close_fd(fd);
	else if (dst == sink)
		b->cut = true;
	else
		b->len += (size_t)n;
	return 0;
}

/* Hand the NUL-terminated buffer over: 0 or -ENOMEM. */
static int capture_finish(struct capture *b, char **out, size_t *len, bool *cut)
{
	if (!b->p && !(b->p = malloc(1)))
		return -ENOMEM;
	b->p[b->len] = '\0';
	*out = b->p;
	*len = b->len;
	*cut = b->cut;
	b->p = NULL;
	return 0;
}

/* Milliseconds left before the child's deadline (0: it has passed), or
 * -1 without a timeout: poll(2)'s timeout argument. */
static int time_left_ms(const struct pn_child *c)
{
	unsigned long long spent, limit;

	if (!c->timeout_ms)
		return -1;
	spent = pn_now_ns() - c->started_ns;
	limit = (unsigned long long)c->timeout_ms * 1000000ull;
	if (spent >= limit)
		return 0;
	/* Rounded up: poll must not wake a little early and spin. */
	return (int)((limit - spent + 999999ull) / 1000000ull);
}

int pn_child_wait(struct pn_child *c, struct pn_proc_result *r, struct pn_err *err)
{
	struct capture o = { .max = c->out_max }, e = { .max = c->err_max };
	sigset_t pipe_set, old_mask, pending;
	bool masked = false, pipe_pending = false, epipe = false, timed_out = false;
	size_t off = 0;
	int ret = 0, st;

	memset(r, 0, sizeof(*r));
	if (c->in >= 0 && c->in_len == 0)
		close_fd(&c->in);
	/*
	 * A child that exits without reading its stdin makes our write fail
	 * with EPIPE and raise SIGPIPE, which would kill the whole process.
	 * The disposition of SIGPIPE belongs to the program we are linked
	 * into, so instead this thread blocks it while writing and takes the
	 * one its write raised (a thread-directed signal, pipe_write() in
	 * fs/pipe.c) off the pending set before unblocking.  One that was
	 * already pending (blocked by the caller) is left alone.
	 */
	if (c->in >= 0) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) == 0) {
			masked = true;
			pipe_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
		}
	}
	while (c->in >= 0 || c->out >= 0 || c->err >= 0) {
		struct pollfd p[3];
		int np = 0, iw = -1, io = -1, ie = -1, left = time_left_ms(c), n;

		if (left == 0) {
			timed_out = true;
			break;
		}
		if (c->in >= 0) {
			p[np] = (struct pollfd){ .fd = c->in, .events = POLLOUT };
			iw = np++;
		}
		if (c->out >= 0) {
			p[np] = (struct pollfd){ .fd = c->out, .events = POLLIN };
			io = np++;
		}
		if (c->err >= 0) {
			p[np] = (struct pollfd){ .fd = c->err, .events = POLLIN };
			ie = np++;
		}
		n = poll(p, (nfds_t)np, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = pn_error(err, c->code, errno, "%s: poll", c->name);
			break;
		}
		if (iw >= 0 && p[iw].revents) {
			ssize_t w = write(c->in, c->in_data + off, c->in_len - off);

			if (w > 0 && (off += (size_t)w) == c->in_len)
				close_fd(&c->in);
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				/* EPIPE: the child closed its stdin, its business. */
				epipe |= errno == EPIPE;
				close_fd(&c->in);
			}
		}
		if ((io >= 0 && p[io].revents && (n = capture_read(&c->out, &o)) < 0) ||
		    (ie >= 0 && p[ie].revents && (n = capture_read(&c->err, &e)) < 0)) {
			ret = pn_error(err, c->code, -n, "%s: reading its output", c->name);
			break;
		}
	}
	/* No pipes (or all at EOF) but a deadline: wait for the exit itself. */
	if (ret == 0 && !timed_out && c->timeout_ms) {
		for (;;) {
			struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
			int left = time_left_ms(c), n;

			if (left == 0) {
				timed_out = true;
				break;
			}
			if (c->pidfd < 0) {
				/* No pidfd (ENOSYS): look every 10 ms.  WNOWAIT
				 * leaves the child to the waitpid below. */
				siginfo_t si = { 0 };
				int w = waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT);

				if ((w == 0 && si.si_pid == c->pid) || (w < 0 && errno != EINTR))
					break;
				poll(NULL, 0, left < 10 ? left : 10);
				continue;
			}
			n = poll(&p, 1, left);
			if (n > 0)
				break;
			if (n < 0 && errno != EINTR) {
				ret = pn_error(err, c->code, errno, "%s: poll", c->name);
				break;
			}
		}
	}
	/* A child we stop listening to might block forever on a full pipe:
	 * it is killed, so the wait below ends. */
	if (timed_out || ret < 0)
		kill(c->pid, SIGKILL);
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
	close_fd(&c->pidfd);
	while (waitpid(c->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			if (ret == 0)
				ret = pn_error(err, c->code, errno, "waiting for %s", c->name);
			st = -1;
			break;
		}
	}
	c->pid = -1;
	if (masked) {
		if (epipe && !pipe_pending) {
			struct timespec zero = { 0, 0 };

			while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	}
	r->status = st;
	r->timed_out = timed_out;
	if (ret == 0 && timed_out)
		ret = pn_error(err, c->code, ETIMEDOUT, "%s did not finish within %d ms (killed)",
			       c->name, c->timeout_ms);
	if (((c->capture_out && capture_finish(&o, &r->out, &r->out_len, &r->out_cut) < 0) ||
	     (c->capture_err && capture_finish(&e, &r->err, &r->err_len, &r->err_cut) < 0)) &&
	    ret == 0)
		ret = pn_error(err, c->code, ENOMEM, "%s: out of memory", c->name);
	free(o.p);
	free(e.p);
	return ret;
}

int pn_run(const struct pn_spawn *s, struct pn_proc_result *r, struct pn_err *err)
{
	struct pn_child c;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = pn_spawn_start(s, &c, err);
	if (ret < 0)
		return ret;
	return pn_child_wait(&c, r, err);
}

void pn_proc_result_free(struct pn_proc_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
}

bool pn_proc_ok(const struct pn_proc_result *r)
{
	return WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

int pn_proc_exit_code(const struct pn_proc_result *r)
{
	return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
}

const char *pn_wait_status_str(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, size, "signal %d", WTERMSIG(status));
	return buf;
}
