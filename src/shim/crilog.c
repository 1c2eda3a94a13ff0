/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container logs in the CRI format kubelet reads (the format containerd
 * and CRI-O write): "<RFC3339Nano time> <stream> <tag> <content>\n", tag F
 * for a full line, P for a chunk of a line longer than the buffer.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void rfc3339_now(char buf[40])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* Fixed nine digits, as containerd's timestampFormat: lines sort
	 * lexically in time order. */
	n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 40 - n, ".%09uZ", (unsigned)(ts.tv_nsec % 1000000000));
}

int crilog_file_open(struct crilog_file *f, const char *path)
{
	*f = (struct crilog_file){ .fd = -1, .path = path };
	/* O_APPEND: a cut line is always the file's tail (see below). */
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	return f->fd < 0 ? -errno : 0;
}

static void report_dropped(struct crilog_file *f, const char *when)
{
	if (f->dropped)
		shim_log("log %s: %llu line%s dropped %s", f->path, f->dropped,
			 f->dropped == 1 ? "" : "s", when);
	f->failing = 0;
	f->dropped = 0;
}

void crilog_file_write(struct crilog_file *f, const char *stream, char tag, const char *p,
		       size_t n)
{
	/* A header, a crilog buffer's worth of content, the newline; and a
	 * leading newline to end a fragment that could not be removed. */
	char line[1 + 64 + sizeof(((struct crilog *)0)->buf) + 1], ts[40];
	size_t len = 0, done = 0;
	int e = 0;

	if (f->fd < 0)
		return;
	if (f->broken)
		line[len++] = '\n';
	rfc3339_now(ts);
	len += (size_t)snprintf(line + len, 64, "%s %s %c ", ts, stream, tag);
	if (n > sizeof(line) - len - 1)
		n = sizeof(line) - len - 1;
	memcpy(line + len, p, n);
	len += n;
	line[len++] = '\n';
	while (done < len) {
		ssize_t w = write(f->fd, line + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* 0 cannot happen for a regular file; never spin on it. */
			e = w < 0 ? errno : ENOSPC;
			break;
		}
		done += (size_t)w;
	}
	if (done == len) {
		f->broken = false;
		if (f->failing)
			report_dropped(f, "while it could not be written");
		return;
	}
	/* The file's tail is the part that got in (O_APPEND, one writer). */
	if (done > 0) {
		struct stat st;

		/* Truncated, the file is as before this line (broken or not). */
		if (fstat(f->fd, &st) < 0 || st.st_size < (off_t)done ||
		    ftruncate(f->fd, st.st_size - (off_t)done) < 0)
			f->broken = true;
	}
	if (f->failing != e) {
		if (f->failing)
			report_dropped(f, "so far");
		shim_log("log %s: %s: dropping lines until it can be written again", f->path,
			 strerror(e));
		f->failing = e;
	}
	f->dropped++;
}

void crilog_file_close(struct crilog_file *f)
{
	if (f->failing)
		report_dropped(f, "(could not be written)");
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

void crilog_init(struct crilog *l, int fd, const char *stream)
{
	l->fd = fd;
	l->stream = stream;
	l->len = 0;
}

int crilog_read(struct crilog *l, struct crilog_file *out)
{
	ssize_t n;
	int eof = 0;

	if (l->fd < 0)
		return 1;
	for (;;) {
		char *nl;
		size_t start = 0;

		n = read(l->fd, l->buf + l->len, sizeof(l->buf) - l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break; /* EAGAIN: drained */
		if (n == 0) {
			eof = 1;
			break;
		}
		l->len += (size_t)n;
		while ((nl = memchr(l->buf + start, '\n', l->len - start))) {
			crilog_file_write(out, l->stream, 'F', l->buf + start,
					  (size_t)(nl - (l->buf + start)));
			start = (size_t)(nl - l->buf) + 1;
		}
		memmove(l->buf, l->buf + start, l->len - start);
		l->len -= start;
		if (l->len == sizeof(l->buf)) {
			crilog_file_write(out, l->stream, 'P', l->buf, l->len);
			l->len = 0;
		}
	}
	return eof;
}

void crilog_close(struct crilog *l, struct crilog_file *out)
{
	if (l->fd >= 0) {
		crilog_read(l, out);
		close(l->fd);
		l->fd = -1;
	}
	/* A last line without newline is still a whole line: the stream is
	 * over, nothing can continue it (containerd writes it as F too). */
	if (l->len) {
		crilog_file_write(out, l->stream, 'F', l->buf, l->len);
		l->len = 0;
	}
}
