/* SPDX-License-Identifier: Apache-2.0 */
/* Container logs read back from the shim's CRI files with kubectl logs'
 * options: all, --timestamps, --tail, --since, --limit-bytes, a long line
 * split in P records, and a record still being written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podlog.h"
#include "tap.h"

static char path[] = "/tmp/podnet-test-podlog.XXXXXX";

static void write_file(const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	fputs(text, f);
	fclose(f);
}

static const char *read_all(struct podlog_opts o)
{
	static char out[4096];
	struct podlog *l = NULL;
	struct pn_err err = { 0 };
	size_t n = 0;
	ssize_t r;

	if (podlog_open(path, &o, &l, &err) < 0) {
		snprintf(out, sizeof(out), "error: %s", pn_err_msg(&err));
		pn_err_free(&err);
		return out;
	}
	/* Small reads: records are handed out across calls. */
	while ((r = podlog_read(l, out + n, 7)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	podlog_close(l);
	return out;
}

#define LOG                                                                                       \
	"2026-01-01T00:00:01.000000001Z stdout F one\n"                                            \
	"2026-01-01T00:00:02.000000000Z stderr F two\n"                                            \
	"2026-01-01T00:00:03.000000000Z stdout P thr\n"                                            \
	"2026-01-01T00:00:03.500000000Z stdout F ee\n"                                             \
	"2026-01-01T00:00:04.000000000Z stdout F \n"                                               \
	"2026-01-01T00:00:05.000000000Z stdout F five\n"

int main(void)
{
	struct podlog_opts all = { false, -1, 0, 0 };
	struct podlog_opts o;
	struct podlog *l = NULL;
	struct pn_err err = { 0 };
	char buf[256];
	int fd = mkstemp(path);

	close(fd);
	write_file(LOG, "w");
	is_str(read_all(all), "one\ntwo\nthree\n\nfive\n", "both streams, P records joined, empty lines kept");
	o = all;
	o.timestamps = true;
	is_str(read_all(o),
	       "2026-01-01T00:00:01.000000001Z one\n2026-01-01T00:00:02.000000000Z two\n"
	       "2026-01-01T00:00:03.000000000Z thr2026-01-01T00:00:03.500000000Z ee\n"
	       "2026-01-01T00:00:04.000000000Z \n2026-01-01T00:00:05.000000000Z five\n",
	       "--timestamps: each record with its time");
	o = all;
	o.tail_lines = 3;
	is_str(read_all(o), "three\n\nfive\n", "--tail=3 counts whole lines (P+F is one)");
	o.tail_lines = 10;
	is_str(read_all(o), "one\ntwo\nthree\n\nfive\n", "--tail past the start: everything");
	o.tail_lines = 0;
	is_str(read_all(o), "", "--tail=0: nothing");
	o = all;
	o.since_ns = 1767225602000000000LL; /* 2026-01-01T00:00:02Z */
	is_str(read_all(o), "two\nthree\n\nfive\n", "--since: at or after the time");
	o = all;
	o.limit_bytes = 6;
	is_str(read_all(o), "one\ntw", "--limit-bytes cuts the output");

	/* A record still being written is not read until it is whole. */
	write_file("2026-01-01T00:00:01Z stdout F a\n2026-01-01T00:00:02Z stdout F par", "w");
	ok(podlog_open(path, &all, &l, &err) == 0, "open");
	buf[podlog_read(l, buf, sizeof(buf))] = '\0';
	is_str(buf, "a\n", "the complete record only");
	write_file("tial\n2026-01-01T00:00:03Z stdout F b\n", "a");
	buf[podlog_read(l, buf, sizeof(buf))] = '\0';
	is_str(buf, "partial\nb\n", "the rest once written (follow)");
	podlog_close(l);

	unlink(path);
	ok(!strncmp(read_all(all), "error: cannot read the log /tmp/podnet-test-podlog.", 51),
	   "a missing file is an error naming it");
	return tap_done();
}
