/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pn_verror(struct pn_err *e, int code, int errnum, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		e->errnum = errnum;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		if (errnum)
			snprintf(e->details, sizeof(e->details), "%s", strerror(errnum));
		else
			e->details[0] = '\0';
	}
	return errnum > 0 ? -errnum : -EINVAL;
}

int pn_error(struct pn_err *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = pn_verror(e, code, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

void pn_err_details(struct pn_err *e, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!e)
		return;
	len = strlen(e->details);
	if (len && len + 2 < sizeof(e->details)) {
		memcpy(e->details + len, ": ", 3);
		len += 2;
	}
	if (len >= sizeof(e->details) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(e->details + len, sizeof(e->details) - len, fmt, ap);
	va_end(ap);
}

void pn_err_prefix(struct pn_err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	char pre[sizeof(e->msg)];
	va_list ap;
	size_t n;

	if (!e)
		return;

	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	/* Built by hand: snprintf("%s: %s") trips -Wformat-truncation. */
	n = strlen(pre);
	if (n > sizeof(e->msg) - 3)
		n = sizeof(e->msg) - 3;
	memcpy(e->msg, pre, n);
	memcpy(e->msg + n, ": ", 2);
	n += 2;
	snprintf(e->msg + n, sizeof(e->msg) - n, "%.*s", (int)(sizeof(e->msg) - n - 1), old);
}

void pn_err_clear(struct pn_err *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}
