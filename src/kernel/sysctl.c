/* SPDX-License-Identifier: Apache-2.0 */
#include "sysctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Collapse whitespace runs: multi-value sysctls read back tab-separated
 * ("32768\t60999") while callers write them space-separated. */
static void squash_blanks(const char *in, char *out, size_t size)
{
	size_t o = 0;
	bool blank = false;

	for (; *in && o + 1 < size; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n') {
			blank = o > 0;
			continue;
		}
		if (blank && o + 2 < size)
			out[o++] = ' ';
		blank = false;
		out[o++] = *in;
	}
	out[o] = '\0';
}

int sysctl_ensure(const char *path, const char *value, struct pn_err *err)
{
	char file[256], cur[256], a[256], b[256];
	int ret;

	/* Relative to /proc/sys, nothing that could walk out of it. */
	if (!path || !*path || path[0] == '/' || strstr(path, "..") ||
	    (size_t)snprintf(file, sizeof(file), "/proc/sys/%s", path) >= sizeof(file))
		return pn_error(err, PN_E_KERNEL, EINVAL, "invalid sysctl path \"%s\"",
				path ? path : "");
	ret = pn_read_file(file, cur, sizeof(cur));
	if (ret < 0)
		return pn_error(err, PN_E_KERNEL, -ret, "read sysctl %s", file);
	squash_blanks(cur, a, sizeof(a));
	squash_blanks(value, b, sizeof(b));
	if (strcmp(a, b) == 0)
		return 0;
	ret = pn_write_file(file, value);
	if (ret < 0)
		return pn_error(err, PN_E_KERNEL, -ret, "set sysctl %s to \"%s\"", file, value);
	return 0;
}
