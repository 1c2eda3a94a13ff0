/* SPDX-License-Identifier: Apache-2.0 */
#include "podlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct podlog {
	FILE *f;
	struct podlog_opts o;
	long long written;
	/* Formatted output of the last record not yet handed out. */
	char *pending;
	size_t pending_len, pending_off;
};

/* "2026-11-26T16:00:00.123456789Z" -> ns since the epoch; 0 if unreadable. */
static int64_t parse_ts(const char *s, size_t n)
{
	struct tm tm = { 0 };
	char buf[64], *end;
	int64_t ns = 0;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	end = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	if (*end == '.') {
		int digits = 0;

		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 9)
				ns = ns * 10 + (*end - '0');
		for (; digits < 9; digits++)
			ns *= 10;
	}
	return (int64_t)timegm(&tm) * 1000000000 + ns;
}

/* One CRI record: its time, its tag ('F' or 'P'), its content. */
struct record {
	const char *ts;
	size_t ts_len;
	char tag;
	const char *content;
	size_t len;
};

static bool parse_record(const char *line, size_t n, struct record *r)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *sp3;

	if (!sp1)
		return false;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line));
	if (!sp2 || sp2 + 2 > line + n)
		return false;
	r->ts = line;
	r->ts_len = (size_t)(sp1 - line);
	r->tag = sp2[1];
	sp3 = sp2 + 2;
	if (sp3 < line + n && *sp3 == ' ')
		sp3++;
	r->content = sp3;
	r->len = (size_t)(line + n - sp3);
	return r->tag == 'F' || r->tag == 'P';
}

/*
 * Where the last @n lines start.  A line is a run of P records ended by an
 * F record; offsets of line starts go round a ring of n.
 */
static long tail_offset(FILE *f, long long n)
{
	long *ring = NULL, start = 0, off = 0;
	long long count = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool in_line = false;

	if (n <= 0)
		return -1;   /* nothing: seek to the end */
	ring = calloc((size_t)n, sizeof(*ring));
	if (!ring)
		return 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		struct record r;

		if (line[len - 1] != '\n')
			break;   /* a record still being written */
		if (!in_line)
			start = off;
		off += len;
		if (!parse_record(line, (size_t)len - 1, &r))
			continue;
		in_line = r.tag == 'P';
		if (r.tag == 'F')
			ring[count++ % n] = start;
	}
	free(line);
	if (count < n)
		off = 0;
	else
		off = ring[count % n];
	free(ring);
	return off;
}

int podlog_open(const char *path, const struct podlog_opts *o, struct podlog **out,
		struct pn_err *err)
{
	struct podlog *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	l->o = *o;
	l->f = fopen(path, "re");
	if (!l->f) {
		int e = errno;

		free(l);
		return pn_error(err, e == ENOENT ? PN_E_NOT_FOUND : PN_E_STATE, e,
				"cannot read the log %s", path);
	}
	if (o->tail_lines >= 0) {
		long off = tail_offset(l->f, o->tail_lines);

		if (off < 0)
			fseek(l->f, 0, SEEK_END);
		else
			fseek(l->f, off, SEEK_SET);
		/* A tail of 0 lines still follows what comes next. */
	}
	*out = l;
	return 0;
}

static int format(struct podlog *l, const struct record *r)
{
	size_t n = r->len + (r->tag == 'F' ? 1 : 0) + (l->o.timestamps ? r->ts_len + 1 : 0);
	char *p = malloc(n ? n : 1), *q = p;

	if (!p)
		return -ENOMEM;
	/* kubelet stamps each record it reads with that record's time. */
	if (l->o.timestamps) {
		memcpy(q, r->ts, r->ts_len);
		q += r->ts_len;
		*q++ = ' ';
	}
	memcpy(q, r->content, r->len);
	q += r->len;
	if (r->tag == 'F')
		*q++ = '\n';
	l->pending = p;
	l->pending_len = (size_t)(q - p);
	l->pending_off = 0;
	return 0;
}

ssize_t podlog_read(struct podlog *l, char *buf, size_t max)
{
	size_t done = 0;

	while (done < max) {
		if (l->pending) {
			size_t n = l->pending_len - l->pending_off;

			if (l->o.limit_bytes && l->written + (long long)n > l->o.limit_bytes)
				n = (size_t)(l->o.limit_bytes - l->written);
			if (n > max - done)
				n = max - done;
			memcpy(buf + done, l->pending + l->pending_off, n);
			done += n;
			l->written += (long long)n;
			l->pending_off += n;
			if (l->pending_off == l->pending_len ||
			    (l->o.limit_bytes && l->written >= l->o.limit_bytes)) {
				free(l->pending);
				l->pending = NULL;
			}
			if (l->o.limit_bytes && l->written >= l->o.limit_bytes)
				return done ? (ssize_t)done : -1;
			continue;
		}
		{
			char *line = NULL;
			size_t cap = 0;
			long at = ftell(l->f);
			ssize_t len = getline(&line, &cap, l->f);
			struct record r;

			if (len <= 0 || line[len - 1] != '\n') {
				/* End of what is written: come back to this record. */
				free(line);
				clearerr(l->f);
				fseek(l->f, at, SEEK_SET);
				break;
			}
			if (!parse_record(line, (size_t)len - 1, &r) ||
			    (l->o.since_ns && parse_ts(r.ts, r.ts_len) < l->o.since_ns)) {
				free(line);
				continue;
			}
			if (format(l, &r) < 0) {
				free(line);
				break;
			}
			free(line);
		}
	}
	return (ssize_t)done;
}

void podlog_close(struct podlog *l)
{
	if (!l)
		return;
	if (l->f)
		fclose(l->f);
	free(l->pending);
	free(l);
}
