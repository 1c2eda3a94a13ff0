/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shim's CRI log writer (src/shim/crilog.c): lines from a pipe become
 * "<time> <stream> <F|P> <content>" lines; a full disk (/dev/full) or a
 * file-size limit drops lines, counts them and says so once, and never
 * leaves a cut line in the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"
#include "tap.h"
#include "testfs.h"
#include "util.h"

/* The shim's log, as crilog.c reports into it. */
static char shim_log_text[8192];
static int shim_log_lines;

void shim_log(const char *fmt, ...)
{
	size_t n = strlen(shim_log_text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(shim_log_text + n, sizeof(shim_log_text) - n, fmt, ap);
	va_end(ap);
	n = strlen(shim_log_text);
	snprintf(shim_log_text + n, sizeof(shim_log_text) - n, "\n");
	shim_log_lines++;
}

static void shim_log_reset(void)
{
	shim_log_text[0] = '\0';
	shim_log_lines = 0;
}

static char dir[] = "/tmp/test_crilog.XXXXXX";

/* The file's lines with the timestamp cut off: "stdout F hello\n...". */
static char *untimed(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;

	for (const char *p = text; out && *p;) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');

		if (!sp || !nl || sp > nl)
			break;
		memcpy(o, sp + 1, (size_t)(nl - sp));
		o += nl - sp;
		p = nl + 1;
	}
	return out;
}

static void feed(struct crilog_file *f, const char *stream, const char *text)
{
	struct crilog l;
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return;
	crilog_init(&l, p[0], stream);
	(void)!write(p[1], text, strlen(text));
	close(p[1]);
	crilog_close(&l, f);
}

static void test_lines(void)
{
	struct crilog_file f;
	char path[256], *text, *lines;

	snprintf(path, sizeof(path), "%s/0.log", dir);
	is_int(crilog_file_open(&f, path), 0, "open a log file");
	feed(&f, "stdout", "hello\nworld\nno newline at the end");
	feed(&f, "stderr", "oops\n");
	crilog_file_close(&f);
	text = test_slurp(path);
	lines = text ? untimed(text) : NULL;
	is_str(lines, "stdout F hello\nstdout F world\nstdout F no newline at the end\nstderr F oops\n",
	       "lines in CRI format, the last unterminated one as F");
	ok(text && strlen(text) > 30 && text[4] == '-' && text[10] == 'T' && text[29] == 'Z',
	   "  each starts with an RFC 3339 nanosecond UTC time");
	is_int(shim_log_lines, 0, "  nothing to report in the shim's log");
	free(text);
	free(lines);
}

static void test_full_disk(void)
{
	struct crilog_file f;

	shim_log_reset();
	if (crilog_file_open(&f, "/dev/full") < 0) {
		ok(1, "# SKIP /dev/full cannot be opened");
		return;
	}
	for (int i = 0; i < 1000; i++)
		crilog_file_write(&f, "stdout", 'F', "line", 4);
	ok(f.failing == ENOSPC && f.dropped == 1000, "a full disk: 1000 lines dropped and counted");
	is_int(shim_log_lines, 1, "  the shim's log says so once, not per line");
	ok(strstr(shim_log_text, "log /dev/full: No space left on device: dropping lines") != NULL,
	   "  naming the file and the cause: %s", shim_log_text);
	crilog_file_close(&f);
	is_int(shim_log_lines, 2, "  and the count at close");
	ok(strstr(shim_log_text, "1000 lines dropped") != NULL, "  which says 1000 lines");
}

/* A limit on file size cuts a write short, then fails it (EFBIG). */
static void test_cut_line(void)
{
	struct crilog_file f;
	struct rlimit old, lim;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_xfsz;
	char path[256], *text = NULL, *lines = NULL, big[200];
	int ret = -1;

	shim_log_reset();
	snprintf(path, sizeof(path), "%s/1.log", dir);
	memset(big, 'x', sizeof(big));
	if (crilog_file_open(&f, path) < 0 || getrlimit(RLIMIT_FSIZE, &old) < 0) {
		ok(0, "setup");
		return;
	}
	sigaction(SIGXFSZ, &ign, &old_xfsz);
	lim = old;
	lim.rlim_cur = 150;
	if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
		crilog_file_write(&f, "stdout", 'F', "first", 5);
		crilog_file_write(&f, "stdout", 'F', big, sizeof(big)); /* 150 cuts it */
		crilog_file_write(&f, "stdout", 'F', big, sizeof(big));
		ret = setrlimit(RLIMIT_FSIZE, &old);
		crilog_file_write(&f, "stdout", 'F', "after", 5);
	}
	sigaction(SIGXFSZ, &old_xfsz, NULL);
	crilog_file_close(&f);
	is_int(ret, 0, "a file-size limit of 150 bytes, then none");
	text = test_slurp(path);
	lines = text ? untimed(text) : NULL;
	is_str(lines, "stdout F first\nstdout F after\n",
	       "the cut line is truncated away: only whole lines in the file");
	ok(strstr(shim_log_text, "File too large: dropping lines") &&
		   strstr(shim_log_text, "2 lines dropped while it could not be written"),
	   "  the shim's log has the cause, then the count when writing worked again");
	free(text);
	free(lines);
}

static void test_long_line(void)
{
	struct crilog_file f;
	char path[256], *text, *lines, *in = malloc(40000), want[256];

	snprintf(path, sizeof(path), "%s/2.log", dir);
	memset(in, 'y', 39999);
	in[39999] = '\0';
	in[20000] = '\n';
	if (crilog_file_open(&f, path) < 0) {
		ok(0, "open");
		free(in);
		return;
	}
	feed(&f, "stdout", in);
	crilog_file_close(&f);
	text = test_slurp(path);
	lines = text ? untimed(text) : NULL;
	/* 20000 bytes: one P chunk of 16384, then F with the rest (3616);
	 * then 19998 unterminated: P 16384, F 3614. */
	snprintf(want, sizeof(want), "P %d F %d P %d F %d", 16384, 3616, 16384, 3614);
	{
		char got[256] = "";
		size_t off = 0;

		for (char *p = lines; p && *p;) {
			char *nl = strchr(p, '\n');

			if (!nl)
				break;
			off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%c %zu", off ? " " : "",
						p[7], (size_t)(nl - p - 9));
			p = nl + 1;
		}
		is_str(got, want, "lines longer than 16 KiB become P chunks then F");
	}
	free(text);
	free(lines);
	free(in);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_lines();
	test_full_disk();
	test_cut_line();
	test_long_line();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return tap_done();
}
