/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container logs in the CRI format kubelet reads (the format containerd
 * and CRI-O write): "<RFC3339Nano time> <stream> <tag> <content>\n", tag F
 * for a full line, P for a chunk of a line longer than the buffer.
 */
#include "shim.h"

#include <errno.h>
#include <string.h>
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

void crilog_init(struct crilog *l, int fd, const char *stream)
{
	l->fd = fd;
	l->stream = stream;
	l->len = 0;
}

static void emit(struct crilog *l, FILE *out, const char *p, size_t n, char tag)
{
	char ts[40];

	if (!out)
		return;
	rfc3339_now(ts);
	fprintf(out, "%s %s %c ", ts, l->stream, tag);
	fwrite(p, 1, n, out);
	fputc('\n', out);
}

int crilog_read(struct crilog *l, FILE *out)
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
			emit(l, out, l->buf + start, (size_t)(nl - (l->buf + start)), 'F');
			start = (size_t)(nl - l->buf) + 1;
		}
		memmove(l->buf, l->buf + start, l->len - start);
		l->len -= start;
		if (l->len == sizeof(l->buf)) {
			emit(l, out, l->buf, l->len, 'P');
			l->len = 0;
		}
	}
	if (out)
		fflush(out);
	return eof;
}

void crilog_close(struct crilog *l, FILE *out)
{
	if (l->fd >= 0) {
		crilog_read(l, out);
		close(l->fd);
		l->fd = -1;
	}
	/* A last line without newline is still a whole line: the stream is
	 * over, nothing can continue it (containerd writes it as F too). */
	if (l->len) {
		emit(l, out, l->buf, l->len, 'F');
		l->len = 0;
		if (out)
			fflush(out);
	}
}
