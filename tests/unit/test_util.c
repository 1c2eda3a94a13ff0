/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers of src/base/util.c. */
#include "util.h"
#include "tap.h"

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

int main(void)
{
	test_enum_name();
	return tap_done();
}
