/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Atomic file replacement (src/base/file.c): the new content appears whole
 * under the name, by rename (an fd open on the old file still reads the
 * old content), with the mode asked for; every failure (missing dir,
 * read-only file system, a write cut short, a rename refused) leaves the
 * old file as it was, no temp file behind, and names the real cause.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "tap.h"
#include "testfs.h"
#include "util.h"

static char dir[] = "/tmp/test_file.XXXXXX";

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of @d other than . and .., sorted, joined by spaces. */
static const char *entries(const char *d)
{
	static char buf[1024];
	char *names[64];
	struct dirent *de;
	DIR *dd = opendir(d);
	size_t n = 0, off = 0;

	buf[0] = '\0';
	while (dd && n < PN_ARRAY_SIZE(names) && (de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	if (dd)
		closedir(dd);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? " " : "",
					names[i] ? names[i] : "?");
		free(names[i]);
	}
	return buf;
}

static void test_replace(void)
{
	char path[512], sub[256], *s, old[16] = "";
	struct pn_err err = { 0 };
	struct stat st;
	int oldfd;

	snprintf(sub, sizeof(sub), "%s/a", dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof(path), "%s/state.json", sub);
	is_int(pn_file_replace(path, "first", 5, 0640, 5, &err), 0, "a new file (%s)", pn_err_msg(&err));
	s = test_slurp(path);
	is_str(s, "first", "  holds the bytes");
	free(s);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "  with mode 0640, umask or not");
	is_str(entries(sub), "state.json", "  and no temp file beside it");

	oldfd = open(path, O_RDONLY | O_CLOEXEC);
	is_int(pn_file_replace(path, "second, longer", 14, 0600, 5, &err), 0, "replaced");
	s = test_slurp(path);
	is_str(s, "second, longer", "  the name has the new bytes");
	free(s);
	if (oldfd >= 0 && read(oldfd, old, sizeof(old) - 1) < 0)
		old[0] = '\0';
	is_str(old, "first", "  an fd open before still reads the old file: renamed, not rewritten");
	if (oldfd >= 0)
		close(oldfd);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "  the new mode");
	is_str(entries(sub), "state.json", "  no temp file");

	/* A name without a directory: the temp file goes in ".". */
	{
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) && chdir(sub) == 0) {
			is_int(pn_file_replace("plain", "x", 1, 0644, 5, NULL), 0, "a relative name");
			ok(chdir(cwd) == 0, "  back");
			is_str(entries(sub), "plain state.json", "  written in the cwd, no temp file");
		}
	}
	pn_err_free(&err);
}

static void test_failures(void)
{
	char path[512], sub[256], *s;
	struct pn_err err = { 0 };

	snprintf(path, sizeof(path), "%s/missing/state.json", dir);
	is_int(pn_file_replace(path, "x", 1, 0644, 5, &err), -ENOENT, "a missing directory: -ENOENT");
	ok(strstr(pn_err_msg(&err), path) != NULL && err.errnum == ENOENT && err.code == 5,
	   "  the message names the file, errnum and code are right: %s", pn_err_msg(&err));

	/* rename(2) refuses to put a file over a non-empty directory: the
	 * last step fails, after the temp file was written and synced. */
	snprintf(sub, sizeof(sub), "%s/b", dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof(path), "%s/b/taken", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/b/taken/inside", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/b/taken", dir);
	is_int(pn_file_replace(path, "x", 1, 0644, 5, &err), -EISDIR, "rename over a directory: -EISDIR");
	is_str(entries(sub), "taken", "  the temp file is gone");

	/* A write cut short: the real cause (EFBIG), not a guess. */
	{
		struct rlimit old, lim;
		struct sigaction ign = { .sa_handler = SIG_IGN }, old_xfsz;
		char big[8192];
		int ret = 1;

		snprintf(path, sizeof(path), "%s/b/limited", dir);
		if (pn_file_replace(path, "old content", 11, 0644, 5, NULL) == 0 &&
		    getrlimit(RLIMIT_FSIZE, &old) == 0) {
			memset(big, 'z', sizeof(big));
			sigaction(SIGXFSZ, &ign, &old_xfsz);
			lim = old;
			lim.rlim_cur = 4096;
			if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
				ret = pn_file_replace(path, big, sizeof(big), 0644, 5, &err);
				(void)!setrlimit(RLIMIT_FSIZE, &old);
			}
			sigaction(SIGXFSZ, &old_xfsz, NULL);
		}
		is_int(ret, -EFBIG, "a write cut short by a file-size limit: -EFBIG");
		ok(err.errnum == EFBIG, "  errnum EFBIG, the real cause");
		s = test_slurp(path);
		is_str(s, "old content", "  the old file is untouched");
		free(s);
		is_str(entries(sub), "limited taken", "  and no temp file is left");
	}
	pn_err_free(&err);
}

/* A read-only file system, in a private mount namespace of a child. */
static void test_read_only(void)
{
	char ro[256];
	pid_t pid;
	int st = -1;

	snprintf(ro, sizeof(ro), "%s/ro", dir);
	mkdir(ro, 0755);
	pid = fork();
	if (pid == 0) {
		char path[300];
		struct pn_err err = { 0 };

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("test_file", ro, "tmpfs", MS_RDONLY, NULL) < 0)
			_exit(77);
		snprintf(path, sizeof(path), "%s/state.json", ro);
		if (pn_file_replace(path, "x", 1, 0644, 5, &err) != -EROFS)
			_exit(1);
		if (strcmp(entries(ro), "") != 0)
			_exit(2);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		ok(1, "# SKIP no private mount namespace here");
		return;
	}
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0,
	       "a read-only file system: -EROFS, nothing left (0: ok, 1: wrong error, 2: leftovers)");
}

static void test_json(void)
{
	char path[256], *s;
	json_t *j = json_pack("{s:i, s:s}", "b", 2, "a", "x");
	struct pn_err err = { 0 };

	snprintf(path, sizeof(path), "%s/j.json", dir);
	is_int(pn_json_file_replace(path, j, JSON_COMPACT | JSON_SORT_KEYS, 0644, 5, &err), 0,
	       "JSON written");
	s = test_slurp(path);
	is_str(s, "{\"a\":\"x\",\"b\":2}", "  with the flags given");
	free(s);
	json_decref(j);
	is_int(pn_json_file_replace(path, NULL, 0, 0644, 5, &err), -EINVAL, "no JSON: -EINVAL");
	s = test_slurp(path);
	is_str(s, "{\"a\":\"x\",\"b\":2}", "  the file is untouched");
	free(s);
	pn_err_free(&err);
}

static void test_write_all(void)
{
	int p[2];
	char buf[8];

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	is_int(pn_write_all(p[1], "abc", 3), 0, "pn_write_all");
	ok(read(p[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "abc", 3), "  all bytes");
	close(p[0]);
	{
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;

		sigaction(SIGPIPE, &ign, &old);
		is_int(pn_write_all(p[1], "abc", 3), -EPIPE, "  a closed reader: -EPIPE");
		sigaction(SIGPIPE, &old, NULL);
	}
	close(p[1]);
}

int main(void)
{
	int fds;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	fds = test_count_fds();
	test_replace();
	test_failures();
	test_read_only();
	test_json();
	test_write_all();
	is_int(test_count_fds(), fds, "no fd leaked");
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
