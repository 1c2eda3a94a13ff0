/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/*
 * The message an error gets when its own could not be formatted for lack of
 * memory.  Never freed: pn_err_free() compares against its address, so an
 * out-of-memory error can always be reported without allocating.
 */
static char oom_msg[] = "out of memory while formatting an error message";

static void str_free(char *s)
{
	if (s != oom_msg)
		free(s);
}

/* Every string here is made by vasprintf(), directly or through
 * pn_strdup_printf(), so one failure point covers them all
 * (tests/unit/test_err.c makes it fail). */

static void causes_free(struct pn_err *e)
{
	size_t i;

	for (i = 0; i < e->n_causes; i++) {
		free(e->causes[i].reason);
		free(e->causes[i].field);
		free(e->causes[i].message);
	}
	free(e->causes);
	e->causes = NULL;
	e->n_causes = 0;
}

void pn_err_free(struct pn_err *e)
{
	if (!e)
		return;
	str_free(e->msg);
	str_free(e->details);
	causes_free(e);
	memset(e, 0, sizeof(*e));
}

void pn_err_move(struct pn_err *dst, struct pn_err *src)
{
	if (dst == src)
		return;
	pn_err_free(dst);
	if (dst)
		*dst = *src;
	else
		pn_err_free(src);
	memset(src, 0, sizeof(*src));
}

int pn_verror(struct pn_err *e, int code, int errnum, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (e) {
		/* Formatted before the old error is released: the arguments may
		 * be parts of it (pn_err_msg(e)). */
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = oom_msg;
		pn_err_free(e);
		e->code = code;
		e->errnum = errnum;
		e->msg = msg;
		/* NULL when out of memory: the message matters more. */
		if (errnum)
			e->details = pn_strdup_printf("%s", strerror(errnum));
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
	char *add = NULL, *all = NULL;
	va_list ap;
	int n;

	if (!e)
		return;
	va_start(ap, fmt);
	n = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (!e->details || !*e->details) {
		str_free(e->details);
		e->details = add;
		return;
	}
	all = pn_strdup_printf("%s: %s", e->details, add);
	free(add);
	if (!all)
		return;
	str_free(e->details);
	e->details = all;
}

void pn_err_details_clear(struct pn_err *e)
{
	if (!e)
		return;
	str_free(e->details);
	e->details = NULL;
}

void pn_err_prefix(struct pn_err *e, const char *fmt, ...)
{
	char *pre = NULL, *all = NULL;
	va_list ap;
	int n;

	if (!e)
		return;
	va_start(ap, fmt);
	n = vasprintf(&pre, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	all = pn_strdup_printf("%s: %s", pre, pn_err_msg(e));
	free(pre);
	if (!all)
		return;
	str_free(e->msg);
	e->msg = all;
}

int pn_err_cause(struct pn_err *e, const char *reason, const char *field, const char *fmt, ...)
{
	struct pn_cause c = { 0 }, *t;
	va_list ap;
	int n;

	if (!e)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&c.message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	c.reason = pn_strdup_printf("%s", reason ? reason : "");
	c.field = pn_strdup_printf("%s", field ? field : "");
	t = c.reason && c.field ? realloc(e->causes, (e->n_causes + 1) * sizeof(*t)) : NULL;
	if (!t) {
		free(c.reason);
		free(c.field);
		free(c.message);
		return -ENOMEM;
	}
	e->causes = t;
	e->causes[e->n_causes++] = c;
	return 0;
}

const char *pn_err_msg(const struct pn_err *e)
{
	return e && e->msg ? e->msg : "";
}

const char *pn_err_details_text(const struct pn_err *e)
{
	return e && e->details ? e->details : "";
}

/*
 * The runtime's codes are named after the reasons; the others are failures
 * of the node (kernel, plugins, memory) the client cannot fix, so
 * InternalError, except the two CNI codes that ask to be retried.
 */
static const struct {
	int code;
	const char *reason;
	int http;
} code_status[] = {
	{ PN_OK, "", 200 },
	{ PN_CNI_TRY_AGAIN, "ServiceUnavailable", 503 },
	{ PN_CNI_NOT_AVAILABLE, "ServiceUnavailable", 503 },
	{ PN_E_BAD_REQUEST, "BadRequest", 400 },
	{ PN_E_INVALID, "Invalid", 422 },
	{ PN_E_NOT_FOUND, "NotFound", 404 },
	{ PN_E_ALREADY_EXISTS, "AlreadyExists", 409 },
	{ PN_E_CONFLICT, "Conflict", 409 },
	{ PN_E_FORBIDDEN, "Forbidden", 403 },
	/* what kube-apiserver's max-in-flight filter answers: come back later */
	{ PN_E_BUSY, "TooManyRequests", 429 },
	{ PN_E_TIMEOUT, "Timeout", 504 },
};

const char *pn_code_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof(code_status) / sizeof(code_status[0]); i++)
		if (code_status[i].code == code)
			return code_status[i].reason;
	return "InternalError";
}

int pn_code_http_status(int code)
{
	size_t i;

	for (i = 0; i < sizeof(code_status) / sizeof(code_status[0]); i++)
		if (code_status[i].code == code)
			return code_status[i].http;
	return 500;
}
