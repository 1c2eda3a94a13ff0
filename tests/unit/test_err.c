/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct pn_err: messages of any length, details, prefixes, causes,
 * release and hand-over, the code table, and what is left when memory
 * runs out while formatting (vasprintf() below fails on demand).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tap.h"

/* err.c makes every string with vasprintf(): this one fails the
 * fail_at-th call from now (1: the next one), and otherwise does what
 * glibc's does. */
static int fail_at;

int vasprintf(char **strp, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	if (fail_at > 0 && --fail_at == 0)
		return -1;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !(*strp = malloc((size_t)n + 1)))
		return -1;
	return vsnprintf(*strp, (size_t)n + 1, fmt, ap);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memset(s, c, n);
		s[n] = '\0';
	}
	return s;
}

static void test_long_messages(void)
{
	struct pn_err e = { 0 };
	char *big = repeat('x', 10 * 1024), *want = NULL;
	int ret;

	ret = pn_error(&e, PN_E_INVALID, 0, "value %s end", big);
	is_int(ret, -EINVAL, "no errno: -EINVAL");
	is_int((int)strlen(pn_err_msg(&e)), 10 * 1024 + 10, "a 10 KiB message is kept whole");
	ok(!strncmp(pn_err_msg(&e), "value xxx", 9) && strstr(pn_err_msg(&e), "x end"),
	   "  from its start to its end");
	is_str(pn_err_details_text(&e), "", "no errno: no details");

	pn_err_prefix(&e, "pod %s", big);
	ok(asprintf(&want, "pod %s: value %s end", big, big) > 0 && !strcmp(pn_err_msg(&e), want),
	   "a long prefix before a long message: both whole (%zu bytes)", strlen(pn_err_msg(&e)));
	free(want);

	pn_err_details(&e, "%s", big);
	pn_err_details(&e, "tail");
	ok(strlen(pn_err_details_text(&e)) == 10 * 1024 + 6 &&
	   !strcmp(pn_err_details_text(&e) + 10 * 1024, ": tail"),
	   "details append with \": \", whole");
	is_int(e.code, PN_E_INVALID, "prefix and details keep the code");

	/* A new error replaces everything, and may quote the old one. */
	ret = pn_error(&e, PN_E_NOT_FOUND, ENOENT, "again: %.5s", pn_err_msg(&e));
	is_int(ret, -ENOENT, "errno: -errno");
	is_str(pn_err_msg(&e), "again: pod x", "the old message may be an argument of the new");
	is_str(pn_err_details_text(&e), strerror(ENOENT), "details are strerror(errnum)");
	pn_err_details_clear(&e);
	is_str(pn_err_details_text(&e), "", "details cleared");
	is_str(pn_err_msg(&e), "again: pod x", "  the message stays");
	pn_err_free(&e);
	free(big);
}

static void test_causes(void)
{
	struct pn_err e = { 0 };

	(void)pn_error(&e, PN_E_INVALID, 0, "The Pod \"p\" is invalid: ...");
	ok(pn_err_cause(&e, "FieldValueInvalid", "spec.containers[0].ports[0].containerPort",
			"Invalid value: %d: must be between 1 and 65535, inclusive", 0) == 0 &&
	   pn_err_cause(&e, "FieldValueRequired", "spec.containers[0].image", "Required value") == 0,
	   "two causes added");
	is_int((int)e.n_causes, 2, "n_causes");
	is_str(e.causes[0].reason, "FieldValueInvalid", "cause 0: reason");
	is_str(e.causes[0].field, "spec.containers[0].ports[0].containerPort", "cause 0: field");
	is_str(e.causes[0].message, "Invalid value: 0: must be between 1 and 65535, inclusive",
	       "cause 0: message");
	is_str(e.causes[1].field, "spec.containers[0].image", "cause 1: field");
	pn_err_prefix(&e, "apply");
	is_int((int)e.n_causes, 2, "a prefix keeps the causes");
	(void)pn_error(&e, PN_E_BUSY, EAGAIN, "busy");
	ok(e.n_causes == 0 && !e.causes, "a new error drops them");
	ok(pn_err_cause(&e, NULL, NULL, "no field") == 0 && !strcmp(e.causes[0].field, "") &&
	   !strcmp(e.causes[0].reason, ""), "NULL reason and field become \"\"");
	pn_err_free(&e);
	ok(pn_err_cause(NULL, "r", "f", "m") == 0, "a NULL error takes causes as a no-op");
}

static void test_free_move(void)
{
	struct pn_err a = { 0 }, b = { 0 };

	pn_err_free(NULL);
	pn_err_free(&a);
	pn_err_free(&a);
	ok(!a.msg && !a.details && !a.causes && a.code == 0, "freeing empty errors, and NULL");
	is_str(pn_err_msg(&a), "", "empty error: message \"\"");
	is_str(pn_err_msg(NULL), "", "NULL error: message \"\"");
	is_str(pn_err_details_text(NULL), "", "NULL error: details \"\"");
	is_int(pn_error(NULL, PN_E_KERNEL, EPERM, "x"), -EPERM, "pn_error on NULL returns -errnum");
	pn_err_details(NULL, "x");
	pn_err_prefix(NULL, "x");
	pn_err_details_clear(NULL);

	(void)pn_error(&a, PN_E_CONFLICT, EBUSY, "first");
	(void)pn_err_cause(&a, "FieldValueForbidden", "spec", "Forbidden");
	(void)pn_error(&b, PN_E_KERNEL, EIO, "second");
	pn_err_move(&b, &a);
	ok(!a.msg && !a.details && !a.causes && !a.n_causes, "move empties the source");
	ok(b.code == PN_E_CONFLICT && b.errnum == EBUSY && !strcmp(pn_err_msg(&b), "first") &&
	   b.n_causes == 1, "move hands over code, errnum, message and causes (old one released)");
	pn_err_move(&b, &b);
	is_str(pn_err_msg(&b), "first", "move onto itself changes nothing");
	pn_err_move(NULL, &b);
	ok(!b.msg && !b.n_causes, "move to NULL releases");
}

static void test_out_of_memory(void)
{
	struct pn_err e = { 0 };
	int ret;

	fail_at = 1;
	ret = pn_error(&e, PN_E_STATE, EIO, "cannot write %s", "/x");
	is_int(ret, -EIO, "OOM while formatting: the return value is unchanged");
	is_int(e.code, PN_E_STATE, "  so is the code");
	ok(strstr(pn_err_msg(&e), "out of memory") != NULL, "  the message says out of memory (%s)",
	   pn_err_msg(&e));
	is_str(pn_err_details_text(&e), strerror(EIO), "  details still made");
	pn_err_prefix(&e, "pod p");
	ok(!strncmp(pn_err_msg(&e), "pod p: out of memory", 20), "  a prefix on it works");
	pn_err_free(&e);

	fail_at = 1;
	(void)pn_error(&e, PN_E_STATE, 0, "fixed %d", 1);
	fail_at = 1;
	(void)pn_error(&e, PN_E_STATE, 0, "again %d", 2);
	pn_err_free(&e); /* the fixed text is static: ASan would catch a free() */
	ok(e.msg == NULL, "replacing and freeing the fixed out-of-memory text is safe");

	(void)pn_error(&e, PN_E_STATE, 0, "kept");
	pn_err_details(&e, "d1");
	for (int i = 1; i <= 2; i++) {
		fail_at = i; /* the prefix, then the whole */
		pn_err_prefix(&e, "lost");
		is_str(pn_err_msg(&e), "kept", "OOM %d in prefix: message unchanged", i);
		fail_at = i; /* the new text, then the joined details */
		pn_err_details(&e, "d2");
		is_str(pn_err_details_text(&e), "d1", "OOM %d in details: details unchanged", i);
	}
	fail_at = 0;
	for (int i = 1; i <= 3; i++) {
		fail_at = i; /* message, reason, field */
		ok(pn_err_cause(&e, "r", "f", "m%d", i) == -ENOMEM && e.n_causes == 0,
		   "OOM on string %d of a cause: -ENOMEM, no cause added", i);
	}
	fail_at = 0;
	ok(pn_err_cause(&e, "r", "f", "m") == 0 && e.n_causes == 1, "then a cause is added");
	pn_err_free(&e);
}

static void test_codes(void)
{
	static const struct {
		int code;
		const char *reason;
		int http;
	} want[] = {
		{ PN_OK, "", 200 },
		{ PN_E_BAD_REQUEST, "BadRequest", 400 },
		{ PN_E_INVALID, "Invalid", 422 },
		{ PN_E_NOT_FOUND, "NotFound", 404 },
		{ PN_E_ALREADY_EXISTS, "AlreadyExists", 409 },
		{ PN_E_CONFLICT, "Conflict", 409 },
		{ PN_E_FORBIDDEN, "Forbidden", 403 },
		{ PN_E_BUSY, "TooManyRequests", 429 },
		{ PN_E_TIMEOUT, "Timeout", 504 },
		{ PN_E_OCI_RUNTIME, "InternalError", 500 },
		{ PN_E_STATE, "InternalError", 500 },
		{ PN_E_IMAGE, "InternalError", 500 },
		{ PN_E_KERNEL, "InternalError", 500 },
		{ PN_E_NOMEM, "InternalError", 500 },
		{ PN_CNI_INVALID_CONFIG, "InternalError", 500 },
		{ PN_CNI_TRY_AGAIN, "ServiceUnavailable", 503 },
		{ PN_CNI_NOT_AVAILABLE, "ServiceUnavailable", 503 },
		{ 12345, "InternalError", 500 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		is_str(pn_code_reason(want[i].code), want[i].reason, "code %d: reason %s", want[i].code,
		       want[i].reason);
		is_int(pn_code_http_status(want[i].code), want[i].http, "code %d: HTTP %d", want[i].code,
		       want[i].http);
	}
	ok(PN_E_BAD_REQUEST >= 200 && PN_E_IMAGE < 300, "runtime codes are 200..299, apart from CNI's");
}

int main(void)
{
	test_long_messages();
	test_causes();
	test_free_move();
	test_out_of_memory();
	test_codes();
	return tap_done();
}
