/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child-process helper (src/base/child.c) against real children: this
 * test binary re-executed as the child (`test_child --child MODE ...`), so
 * what the child does is exact and needs no shell.  Deadlocks are turned
 * into failures by a generous timeout on every run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "tap.h"
#include "testfs.h"
#include "util.h"

#define MIB (1024u * 1024u)
#define GENEROUS_MS 60000

static char self[4096];

/* ------------------------------------------------------------ the child */

static void fill(int fd, char c, size_t n)
{
	char buf[8192];

	memset(buf, c, sizeof(buf));
	while (n > 0) {
		ssize_t w = write(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (w <= 0)
			_exit(90);
		n -= (size_t)w;
	}
}

static int child_main(int argc, char **argv)
{
	const char *mode = argv[2];
	char buf[65536];
	ssize_t n;

	if (!strcmp(mode, "err-then-out")) {
		/* stderr first: a parent that reads stdout to EOF first
		 * never sees stdout's EOF, we block on stderr's full pipe. */
		fill(2, 'e', MIB);
		fill(1, 'o', MIB);
		return 0;
	}
	if (!strcmp(mode, "write") && argc == 4) {
		fill(1, 'x', strtoul(argv[3], NULL, 10));
		return 0;
	}
	if (!strcmp(mode, "cat")) {
		while ((n = read(0, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0, w; off < n; off += w)
				if ((w = write(1, buf + off, (size_t)(n - off))) <= 0)
					return 90;
		}
		return n < 0 ? 91 : 0;
	}
	if (!strcmp(mode, "exit") && argc == 4)
		return atoi(argv[3]);
	if (!strcmp(mode, "raise") && argc == 4) {
		signal(atoi(argv[3]), SIG_DFL);
		raise(atoi(argv[3]));
		return 92;
	}
	if (!strcmp(mode, "sleep")) {
		sleep(60);
		return 0;
	}
	if (!strcmp(mode, "detach")) {
		/* A grandchild keeps our stdout open after we exit. */
		if (fork() == 0) {
			sleep(30);
			_exit(0);
		}
		return 0;
	}
	if (!strcmp(mode, "env") && argc == 4) {
		const char *v = getenv(argv[3]);

		printf("%s", v ? v : "(unset)");
		return 0;
	}
	if (!strcmp(mode, "status")) {
		/* The signal state and the open fds, as the kernel sees them. */
		FILE *f = fopen("/proc/self/status", "re");
		char line[256];
		DIR *d;
		struct dirent *de;

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7))
				fputs(line, stdout);
		if (f)
			fclose(f);
		d = opendir("/proc/self/fd");
		while (d && (de = readdir(d))) {
			if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
				printf("fd %s\n", de->d_name);
		}
		if (d)
			closedir(d);
		return 0;
	}
	if (!strcmp(mode, "stdin-is-empty"))
		return read(0, buf, 1) == 0 ? 0 : 93;
	if (!strcmp(mode, "both")) {
		(void)!write(1, "to-out\n", 7);
		(void)!write(2, "to-err\n", 7);
		return 0;
	}
	return 99;
}

/* ----------------------------------------------------------- the parent */

/* argv for `self --child MODE [ARG]`. */
#define CHILD(...) ((char *const[]){ self, "--child", __VA_ARGS__, NULL })

static struct pn_spawn child_spec(char *const *argv)
{
	return (struct pn_spawn){ .path = self, .argv = argv, .out = PN_STDIO_PIPE,
				  .err = PN_STDIO_PIPE, .timeout_ms = GENEROUS_MS, .code = 1 };
}

static bool all_are(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

static void test_no_deadlock(void)
{
	struct pn_spawn s = child_spec(CHILD("err-then-out"));
	struct pn_proc_result r;
	struct pn_err err = { 0 };
	int ret = pn_run(&s, &r, &err);

	is_int(ret, 0, "1 MiB to stderr, then 1 MiB to stdout: no deadlock (%s)", pn_err_msg(&err));
	is_int(r.err_len, MIB, "  all of stderr");
	is_int(r.out_len, MIB, "  all of stdout");
	ok(r.out && all_are(r.out, r.out_len, 'o') && r.err && all_are(r.err, r.err_len, 'e'),
	   "  each stream's bytes, not the other's");
	ok(!r.out_cut && !r.err_cut && !r.timed_out && pn_proc_ok(&r), "  nothing cut, exit 0");
	pn_proc_result_free(&r);
	pn_err_free(&err);
}

static void run_write(size_t n, size_t max, struct pn_proc_result *r)
{
	char count[32];
	struct pn_spawn s;

	snprintf(count, sizeof(count), "%zu", n);
	s = child_spec(CHILD("write", count));
	s.out_max = max;
	if (pn_run(&s, r, NULL) < 0)
		memset(r, 0, sizeof(*r));
}

static void test_exact_sizes(void)
{
	struct pn_proc_result r;

	/* 4096 is the first buffer's size, 8191 and 8192 the edges of the
	 * second; a kept size of exactly what is written keeps everything. */
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 8191, 8192, 65536, 65537 };

	for (size_t i = 0; i < PN_ARRAY_SIZE(sizes); i++) {
		run_write(sizes[i], 0, &r);
		ok(r.out && r.out_len == sizes[i] && all_are(r.out, r.out_len, 'x') &&
			   r.out[r.out_len] == '\0' && !r.out_cut,
		   "%zu bytes on stdout: all kept, NUL-terminated (got %zu)", sizes[i], r.out_len);
		pn_proc_result_free(&r);
	}
	run_write(4096, 4096, &r);
	ok(r.out_len == 4096 && !r.out_cut, "exactly out_max (4096) bytes: all kept, not cut");
	pn_proc_result_free(&r);
	run_write(10, 10, &r);
	ok(r.out_len == 10 && !r.out_cut, "exactly out_max (10) bytes: all kept, not cut");
	pn_proc_result_free(&r);
	run_write(11, 10, &r);
	ok(r.out_len == 10 && r.out_cut && pn_proc_ok(&r),
	   "out_max + 1 bytes: out_max kept, marked cut, the child still ran to the end");
	pn_proc_result_free(&r);
	run_write(3 * MIB, 1000, &r);
	ok(r.out_len == 1000 && r.out_cut && pn_proc_ok(&r),
	   "3 MiB against out_max 1000: the rest is drained, the child is not blocked");
	pn_proc_result_free(&r);
}

static void test_big_stdin(void)
{
	size_t len = 4 * MIB + 7; /* far above the 64 KiB of a pipe */
	char *in = malloc(len);
	struct pn_spawn s = child_spec(CHILD("cat"));
	struct pn_proc_result r;
	struct pn_err err = { 0 };
	int ret;

	for (size_t i = 0; i < len; i++)
		in[i] = (char)('a' + i % 26);
	s.in = PN_STDIO_PIPE;
	s.in_data = in;
	s.in_len = len;
	ret = pn_run(&s, &r, &err);
	is_int(ret, 0, "4 MiB on stdin while the child echoes it to stdout (%s)", pn_err_msg(&err));
	ok(r.out_len == len && r.out && memcmp(r.out, in, len) == 0, "  echoed back byte for byte");
	pn_proc_result_free(&r);
	free(in);
	pn_err_free(&err);
}

static void test_status(void)
{
	struct pn_spawn s = child_spec(CHILD("exit", "3"));
	struct pn_proc_result r;
	char buf[32];

	is_int(pn_run(&s, &r, NULL), 0, "a child that exits 3 is no error of ours");
	ok(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3 && !pn_proc_ok(&r), "  status: exit 3");
	is_int(pn_proc_exit_code(&r), 3, "  exit code 3");
	is_str(pn_wait_status_str(r.status, buf, sizeof(buf)), "exit status 3", "  described");
	pn_proc_result_free(&r);

	s = child_spec(CHILD("raise", "15"));
	is_int(pn_run(&s, &r, NULL), 0, "a child killed by SIGTERM is no error of ours");
	ok(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGTERM, "  status: signal 15");
	is_int(pn_proc_exit_code(&r), 128 + 15, "  exit code 143, as a shell says");
	is_str(pn_wait_status_str(r.status, buf, sizeof(buf)), "signal 15", "  described");
	pn_proc_result_free(&r);
}

static void test_timeout(void)
{
	struct pn_spawn s = child_spec(CHILD("sleep"));
	struct pn_proc_result r;
	struct pn_err err = { 0 };
	uint64_t t0;
	int ret;

	s.timeout_ms = 200;
	t0 = pn_now_ns();
	ret = pn_run(&s, &r, &err);
	is_int(ret, -ETIMEDOUT, "a child sleeping past its timeout: -ETIMEDOUT");
	ok(r.timed_out && WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL,
	   "  it was killed with SIGKILL and reaped");
	ok(pn_now_ns() - t0 < 10ull * 1000000000ull, "  within seconds, not its minute");
	ok(strstr(pn_err_msg(&err), "did not finish within 200 ms") != NULL, "  said: %s", pn_err_msg(&err));
	pn_proc_result_free(&r);

	/* No pipe to poll: the pidfd is what waits. */
	s.out = s.err = PN_STDIO_NULL;
	t0 = pn_now_ns();
	ret = pn_run(&s, &r, NULL);
	ok(ret == -ETIMEDOUT && r.timed_out && WTERMSIG(r.status) == SIGKILL &&
		   pn_now_ns() - t0 < 10ull * 1000000000ull,
	   "  also with no pipe at all");
	pn_proc_result_free(&r);

	/* The child exits at once; a grandchild holds its stdout open. */
	/* The timeout must outlast the child's own exit even on a loaded
	 * machine (under ASan), and end well before the grandchild's sleep. */
	s = child_spec(CHILD("detach"));
	s.timeout_ms = 5000;
	t0 = pn_now_ns();
	ret = pn_run(&s, &r, NULL);
	ok(ret == -ETIMEDOUT && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 &&
		   pn_now_ns() - t0 < 25ull * 1000000000ull,
	   "a grandchild holding stdout open ends at the timeout; the child's own exit 0 is kept");
	pn_proc_result_free(&r);
	pn_err_free(&err);
}

/*
 * Without pidfd_open(2) (ENOSYS: a kernel before 5.3, or valgrind 3.19,
 * which does not know it) a run with a deadline still works: the exit is
 * polled.  A forked process of ours makes the call fail with ENOSYS
 * (a seccomp filter: it and its children only) and reports each check as
 * one bit of its exit status.
 */
static int no_pidfd_checks(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct pn_spawn s;
	struct pn_proc_result r;
	uint64_t t0;
	int bad = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return 1;
	if (syscall(SYS_pidfd_open, getpid(), 0) >= 0 || errno != ENOSYS)
		return 2;
	/* No pipe: the exit itself is waited for, 5 s at most. */
	s = child_spec(CHILD("exit", "3"));
	s.out = s.err = PN_STDIO_NULL;
	s.timeout_ms = 5000;
	t0 = pn_now_ns();
	if (pn_run(&s, &r, NULL) != 0 || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 3 ||
	    pn_now_ns() - t0 > 4000ull * 1000000ull)
		bad |= 4;
	pn_proc_result_free(&r);
	/* Past the deadline: killed and reaped. */
	s = child_spec(CHILD("sleep"));
	s.out = s.err = PN_STDIO_NULL;
	s.timeout_ms = 200;
	if (pn_run(&s, &r, NULL) != -ETIMEDOUT || !r.timed_out || !WIFSIGNALED(r.status) ||
	    WTERMSIG(r.status) != SIGKILL)
		bad |= 8;
	pn_proc_result_free(&r);
	/* With pipes: both captured. */
	s = child_spec(CHILD("both"));
	if (pn_run(&s, &r, NULL) != 0 || !pn_proc_ok(&r) || !r.out || strcmp(r.out, "to-out\n") ||
	    !r.err || strcmp(r.err, "to-err\n"))
		bad |= 16;
	pn_proc_result_free(&r);
	return bad;
}

static void test_no_pidfd(void)
{
	int st = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(no_pidfd_checks());
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 1 || WEXITSTATUS(st) == 2) {
		ok(0, "no pidfd_open: the check process could not make it fail with ENOSYS (status %#x)", st);
		return;
	}
	st = WEXITSTATUS(st);
	ok(!(st & 4), "no pidfd_open (ENOSYS): a child that exits 3 with a deadline: exit 3, at once");
	ok(!(st & 8), "no pidfd_open: a child past its 200 ms deadline: -ETIMEDOUT, SIGKILLed, reaped");
	ok(!(st & 16), "no pidfd_open: stdout and stderr captured");
}

static void test_sigpipe(void)
{
	size_t len = 4 * MIB;
	char *in = calloc(1, len);
	struct pn_spawn s = child_spec(CHILD("exit", "0"));
	struct sigaction before, after;
	sigset_t mask_before, mask_after, pend;
	struct pn_proc_result r;
	struct pn_err err = { 0 };
	int ret;

	s.in = PN_STDIO_PIPE;
	s.in_data = in;
	s.in_len = len;
	sigaction(SIGPIPE, NULL, &before);
	pthread_sigmask(SIG_SETMASK, NULL, &mask_before);
	ret = pn_run(&s, &r, &err);
	sigaction(SIGPIPE, NULL, &after);
	pthread_sigmask(SIG_SETMASK, NULL, &mask_after);
	sigpending(&pend);
	is_int(ret, 0, "4 MiB for a child that reads none of it: we live (%s)", pn_err_msg(&err));
	ok(pn_proc_ok(&r), "  and it exited 0");
	ok(before.sa_handler == SIG_DFL && after.sa_handler == SIG_DFL,
	   "  SIGPIPE's disposition is still SIG_DFL");
	ok(!sigismember(&mask_after, SIGPIPE) && sigismember(&mask_before, SIGPIPE) == 0,
	   "  SIGPIPE is not left blocked");
	ok(!sigismember(&pend, SIGPIPE), "  and no SIGPIPE is left pending");
	pn_proc_result_free(&r);

	/* A caller that blocks SIGPIPE itself: still blocked, nothing pending. */
	{
		sigset_t pipe_set;

		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
		ret = pn_run(&s, &r, NULL);
		pthread_sigmask(SIG_SETMASK, NULL, &mask_after);
		sigpending(&pend);
		ok(ret == 0 && sigismember(&mask_after, SIGPIPE) && !sigismember(&pend, SIGPIPE),
		   "with SIGPIPE blocked by the caller: still blocked after, none pending");
		pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
		pn_proc_result_free(&r);
	}
	free(in);
	pn_err_free(&err);
}

static void test_clean_child(void)
{
	struct pn_spawn s = child_spec(CHILD("status"));
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_hup;
	sigset_t usr1, old_mask;
	struct pn_proc_result r;
	/* An fd of ours (close-on-exec, as every fd podnet opens). */
	int own_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigaction(SIGHUP, &ign, &old_hup);
	pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
	is_int(pn_run(&s, &r, NULL), 0, "child reporting its signal state and fds");
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	ok(r.out && strstr(r.out, "SigBlk:\t0000000000000000\n"),
	   "  nothing blocked in the child though we block SIGUSR1");
	/* glibc's posix_spawn leaves its own two internal signals (32 and
	 * 33, below SIGRTMIN) ignored in the child, and any glibc program
	 * installs its handlers for them when it needs them: not ours to see. */
	{
		const char *ig = r.out ? strstr(r.out, "SigIgn:\t") : NULL;
		unsigned long long mask = ig ? strtoull(ig + 8, NULL, 16) : ~0ull;

		mask &= ~((1ull << 31) | (1ull << 32));
		ok(ig && mask == 0,
		   "  nothing ignored in the child though we ignore SIGPIPE and SIGHUP (%llx)", mask);
	}
	ok(r.out && strstr(r.out, "fd 0\nfd 1\nfd 2\n") && !strstr(r.out, "fd 2\nfd "),
	   "  only fds 0, 1 and 2 reach it (also those our own parent leaked to us)");
	pn_proc_result_free(&r);
	if (own_fd >= 0)
		close(own_fd);
}

static void test_stdio_modes(void)
{
	struct pn_spawn s = child_spec(CHILD("both"));
	struct pn_proc_result r;
	char path[] = "/tmp/test_child.XXXXXX";
	int fd;

	s.err = PN_STDIO_STDOUT;
	is_int(pn_run(&s, &r, NULL), 0, "stderr with stdout (2>&1)");
	is_str(r.out, "to-out\nto-err\n", "  both in stdout's capture, in order");
	ok(r.err == NULL, "  and no stderr capture");
	pn_proc_result_free(&r);

	s = child_spec(CHILD("stdin-is-empty"));
	is_int(pn_run(&s, &r, NULL), 0, "default stdin");
	ok(pn_proc_ok(&r), "  is /dev/null (EOF at once)");
	pn_proc_result_free(&r);

	/* A caller's fd as stdout, given as fd 0 of ours to exercise the
	 * move above 2 (placing stdin must not clobber it). */
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0) {
		int saved0 = fcntl(0, F_DUPFD_CLOEXEC, 3);
		char buf[64] = "";
		ssize_t n;

		dup2(fd, 0);
		s = child_spec(CHILD("both"));
		s.out = PN_STDIO_FD;
		s.out_fd = 0;
		s.err = PN_STDIO_NULL;
		s.in = PN_STDIO_NULL;
		is_int(pn_run(&s, &r, NULL), 0, "stdout to a caller's fd that is our fd 0");
		dup2(saved0, 0);
		close(saved0);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		is_str(buf, "to-out\n", "  the file got stdout, stderr went to /dev/null");
		ok(r.out == NULL && r.err == NULL, "  nothing captured");
		pn_proc_result_free(&r);
		close(fd);
		unlink(path);
	}

	s = child_spec(CHILD("env", "PN_TEST_VAR"));
	s.envp = (char *const[]){ "PN_TEST_VAR=from-envp", NULL };
	is_int(pn_run(&s, &r, NULL), 0, "envp");
	is_str(r.out, "from-envp", "  the child sees exactly envp");
	pn_proc_result_free(&r);
}

static void test_cannot_run(void)
{
	struct pn_spawn s = child_spec((char *const[]){ "nope", NULL });
	struct pn_proc_result r;
	struct pn_err err = { 0 };
	char dir[] = "/tmp/test_child.XXXXXX";

	s.path = "/nonexistent/podnet-test-nope";
	is_int(pn_run(&s, &r, &err), -ENOENT, "a missing program: -ENOENT at once");
	is_str(pn_err_msg(&err), "cannot execute /nonexistent/podnet-test-nope", "  named");
	is_int(err.code, 1, "  with the caller's code");
	pn_proc_result_free(&r);

	if (mkdtemp(dir)) {
		s.path = dir;
		is_int(pn_run(&s, &r, &err), -EACCES, "a directory: -EACCES");
		pn_proc_result_free(&r);
		rmdir(dir);
	}

	s.path = "podnet-test-no-such-program";
	is_int(pn_run(&s, &r, &err), -ENOENT, "a name searched in PATH and not found: -ENOENT");
	pn_proc_result_free(&r);

	s.path = "true";
	s.argv = (char *const[]){ "true", NULL };
	ok(pn_run(&s, &r, &err) == 0 && pn_proc_ok(&r), "a name found in PATH runs (true)");
	pn_proc_result_free(&r);
	pn_err_free(&err);
}

static void test_no_fd_leak(void)
{
	int before = test_count_fds(), after;

	test_no_deadlock();
	test_exact_sizes();
	test_status();
	test_timeout();
	test_no_pidfd();
	test_sigpipe();
	test_stdio_modes();
	test_cannot_run();
	after = test_count_fds();
	is_int(after, before, "no fd leaked by any of the above (%d open before, %d after)",
	       before, after);
}

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc >= 3 && !strcmp(argv[1], "--child"))
		return child_main(argc, argv);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 2;
	self[n] = '\0';
	test_big_stdin();
	test_clean_child();
	test_no_fd_leak();
	return tap_done();
}
