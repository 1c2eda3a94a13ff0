/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_TAP_H
#define PODNET_TAP_H

/* Minimal TAP producer for the unit tests; tests/run.sh counts "ok"/"not ok". */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                           \
	do {                                                                    \
		int ok_c_ = !!(cond);                                          \
		tap_n++;                                                        \
		if (!ok_c_)                                                     \
			tap_failed++;                                           \
		printf("%sok %d - ", ok_c_ ? "" : "not ", tap_n);              \
		printf(__VA_ARGS__);                                            \
		printf("\n");                                                   \
		if (!ok_c_)                                                     \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} while (0)

#define is_int(got, want, ...)                                                  \
	do {                                                                    \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		ok(g_ == w_, __VA_ARGS__);                                      \
		if (g_ != w_)                                                   \
			printf("#   got %lld, want %lld\n", g_, w_);           \
	} while (0)

/* A NULL @want never passes: NULL == NULL would also hold when both the
 * code and the test's own computation of @want failed.  Assert NULL with
 * ok(x == NULL). */
#define is_str(got, want, ...)                                                  \
	do {                                                                    \
		const char *g_ = (got), *w_ = (want);                           \
		int same_ = g_ && w_ && strcmp(g_, w_) == 0;                    \
		ok(same_, __VA_ARGS__);                                         \
		if (!same_)                                                     \
			printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null: a test bug)");                 \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
