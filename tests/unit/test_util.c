/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers of src/base/util.c. */
#include "util.h"
#include "tap.h"

#include <stdbool.h>
#include <string.h>

enum color { RED = 0, GREEN, BLUE, UNNAMED, OUTSIDE };

static void test_enum_name(void)
{
	static const char *const names[] = {
		[RED] = "red",
		[GREEN] = "green",
		[BLUE] = "blue",
		[UNNAMED] = NULL,
	};

	is_str(PN_ENUM_NAME(names, RED, "?"), "red", "first name");
	is_str(PN_ENUM_NAME(names, BLUE, "?"), "blue", "last named entry");
	is_str(PN_ENUM_NAME(names, UNNAMED, "?"), "?", "a hole in the table is unknown");
	is_str(PN_ENUM_NAME(names, OUTSIDE, "?"), "?", "past the table is unknown");
	is_str(PN_ENUM_NAME(names, -1, "none"), "none", "negative is unknown");
	ok(PN_ENUM_NAME(names, 99, NULL) == NULL, "the fallback may be NULL");
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return false;
	return s[n] == '\0';
}

static void test_random_id(void)
{
	char a[PN_ID_LEN + 1], b[PN_ID_LEN + 1];
	unsigned char zero[32] = { 0 }, r[32] = { 0 };

	ok(pn_random_id(a) == 0 && lower_hex(a, PN_ID_LEN), "an id is 64 lowercase hex: %s", a);
	ok(pn_random_id(b) == 0 && strcmp(a, b) != 0, "two ids differ");
	ok(pn_random_bytes(r, sizeof(r)) == 0 && memcmp(r, zero, sizeof(r)) != 0,
	   "random bytes fill the buffer");
	ok(pn_random_bytes(r, 0) == 0, "no bytes asked: nothing done");
}

int main(void)
{
	test_enum_name();
	test_random_id();
	return tap_done();
}
