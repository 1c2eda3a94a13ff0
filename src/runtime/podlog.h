/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_PODLOG_H
#define PODNET_PODLOG_H

/*
 * Reading a container's log as kubelet serves pods/log: the shim's CRI
 * files ("<RFC3339Nano> <stream> <F|P> <content>") turned back into the
 * container's output, with kubectl logs' options: --timestamps (each line
 * prefixed with its time), --tail (the last N lines), --since (lines at or
 * after a time), --limit-bytes, and incremental reads for --follow.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "util.h"

struct podlog_opts {
	bool timestamps;
	long long tail_lines;      /* < 0: all */
	int64_t since_ns;          /* 0: from the start; else wall-clock ns */
	long long limit_bytes;     /* 0: no limit */
};

struct podlog;

/* Open @path positioned for @o (the tail found, the since honoured). */
int podlog_open(const char *path, const struct podlog_opts *o, struct podlog **out,
		struct pn_err *err) PN_MUST_CHECK;
/*
 * Up to @max bytes of output into @buf: the count; 0 when the file has
 * nothing more yet (a writer may still append: try again later, a record
 * still being written is never split); -1 once limit_bytes is reached.
 */
ssize_t podlog_read(struct podlog *l, char *buf, size_t max);
void podlog_close(struct podlog *l);

#endif
