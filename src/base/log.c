/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_level = -1;

static int level_from_env(void)
{
	const char *s = getenv("PODNET_LOG");

	if (!s || !*s)
		return PN_LOG_WARN;
	if (!strcmp(s, "debug"))
		return PN_LOG_DEBUG;
	if (!strcmp(s, "info"))
		return PN_LOG_INFO;
	if (!strcmp(s, "error"))
		return PN_LOG_ERROR;
	return PN_LOG_WARN;
}

int pn_log_enabled(enum pn_log_level lvl)
{
	if (log_level < 0)
		log_level = level_from_env();
	return (int)lvl >= log_level;
}

void pn_log(enum pn_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	char buf[1024];
	va_list ap;
	int n;

	if (!pn_log_enabled(lvl))
		return;
	n = snprintf(buf, sizeof(buf), "%s[%d]: %s: ", program_invocation_short_name, (int)getpid(),
		     names[lvl]);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent plugins do not interleave. */
	fprintf(stderr, "%s\n", buf);
}
