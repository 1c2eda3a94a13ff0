/* SPDX-License-Identifier: Apache-2.0 */
/* Growable strings and arrays (src/base/buf.c). */
#include "buf.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

static void test_append(void)
{
	struct pn_buf b = { 0 };
	char big[300];
	char *s;

	s = pn_buf_take(&b);
	is_str(s, "", "nothing appended: an empty string, not NULL");
	free(s);

	pn_buf_puts(&b, "pod ");
	pn_buf_add(&b, "nginx-xyz", 5);
	pn_buf_putc(&b, '/');
	pn_buf_printf(&b, "%d:%s", 80, "http");
	is_str(b.s, "pod nginx/80:http", "puts, add, putc and printf append in order");
	is_int(b.len, 17, "len counts the bytes");

	/* Past the first 64 bytes, through the in-place and the regrow path of printf. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pn_buf_printf(&b, "[%s]", big);
	is_int(b.len, 17 + 301, "a long printf grows the buffer");
	ok(b.s[17] == '[' && b.s[b.len - 1] == ']' && b.s[b.len] == '\0' && !b.failed,
	   "and keeps it terminated");
	pn_buf_printf(&b, "%s", "");
	pn_buf_add(&b, "", 0);
	is_int(b.len, 318, "empty appends change nothing");

	s = pn_buf_take(&b);
	ok(s && strlen(s) == 318 && !strncmp(s, "pod nginx/80:http[xxx", 21), "take hands it over");
	ok(b.s == NULL && b.len == 0 && b.cap == 0, "and starts over empty");
	free(s);

	pn_buf_add(&b, "a\0b", 3);
	ok(b.len == 3 && !memcmp(b.s, "a\0b", 4), "NUL bytes are kept");
	pn_buf_reset(&b);
	ok(b.s == NULL && b.len == 0, "reset frees");
}

static void test_limit(void)
{
	struct pn_buf b = { .limit = 10 };

	pn_buf_puts(&b, "0123456");
	pn_buf_puts(&b, "789");
	ok(b.len == 10 && !b.failed, "exactly the limit fits");
	pn_buf_putc(&b, 'x');
	ok(b.failed && b.over, "one byte more fails, over the limit");
	is_str(b.s, "0123456789", "the failed append is dropped whole");
	pn_buf_puts(&b, "y");
	is_int(b.len, 10, "later appends are dropped too");
	ok(pn_buf_take(&b) == NULL, "take of a failed buffer is NULL");
	ok(!b.failed && !b.over && b.limit == 10, "take starts over, keeping the limit");

	pn_buf_puts(&b, "abc");
	pn_buf_printf(&b, "%s", "defghijk");
	ok(b.failed && b.over && b.len == 3 && !strcmp(b.s, "abc"),
	   "a printf over the limit is dropped whole: \"%s\"", b.s);
	pn_buf_reset(&b);

	pn_buf_printf(&b, "%d", 1234567890);
	ok(!b.failed && !strcmp(b.s, "1234567890"), "a printf up to the limit fits");
	pn_buf_reset(&b);
}

struct item {
	int a;
	char *name;
};

static void test_grow(void)
{
	struct item *v = NULL;
	size_t n = 0, cap = 0;
	bool zeroed = true, kept = true;
	int fails = 0;

	for (int i = 0; i < 100; i++) {
		if (pn_grow(&v, &cap, n, sizeof(*v)))
			fails++;
		if (v[n].a != 0 || v[n].name != NULL)
			zeroed = false;
		v[n++].a = i + 1;
	}
	is_int(fails, 0, "100 appends");
	ok(cap >= 100 && cap == 128, "capacity doubles from 8: %zu", cap);
	ok(zeroed, "every new slot starts zeroed");
	for (size_t i = 0; i < n; i++)
		if (v[i].a != (int)i + 1)
			kept = false;
	ok(kept, "elements survive each move");
	is_int(pn_grow(&v, &cap, 50, sizeof(*v)), 0, "no growth while n < cap");
	is_int(cap, 128, "capacity unchanged");
	free(v);

	{
		char *huge = NULL;
		size_t hcap = SIZE_MAX / 2 + 1;

		is_int(pn_grow(&huge, &hcap, hcap, 1), -ENOMEM, "an overflowing size is -ENOMEM");
		ok(huge == NULL && hcap == SIZE_MAX / 2 + 1, "and changes nothing");
	}
}

int main(void)
{
	test_append();
	test_limit();
	test_grow();
	return tap_done();
}
