/* SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for @n more bytes and the terminating NUL, or mark the buffer failed. */
static bool buf_reserve(struct pn_buf *b, size_t n)
{
	size_t need, cap;
	char *s;

	if (b->failed)
		return false;
	if (b->limit && n > b->limit - b->len) {
		b->failed = b->over = true;
		return false;
	}
	if (n >= SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void pn_buf_add(struct pn_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void pn_buf_puts(struct pn_buf *b, const char *s)
{
	pn_buf_add(b, s, strlen(s));
}

void pn_buf_putc(struct pn_buf *b, char c)
{
	pn_buf_add(b, &c, 1);
}

void pn_buf_vprintf(struct pn_buf *b, const char *fmt, va_list ap)
{
	size_t room;
	va_list aq;
	int n;

	if (b->failed)
		return;
	room = b->s ? b->cap - b->len : 0;
	/* Format in place when it fits; else measure, grow, format again. */
	va_copy(aq, ap);
	n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < room && (!b->limit || (size_t)n <= b->limit - b->len)) {
		b->len += (size_t)n;
		return;
	}
	if (b->s)
		b->s[b->len] = '\0';
	if (!buf_reserve(b, (size_t)n))
		return;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void pn_buf_printf(struct pn_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pn_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *pn_strdup_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

char *pn_buf_take(struct pn_buf *b)
{
	char *s = NULL;

	if (!b->failed)
		s = b->s ? b->s : strdup("");
	else
		free(b->s);
	b->s = NULL;
	pn_buf_reset(b);
	return s;
}

void pn_buf_reset(struct pn_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = b->over = false;
}

int pn_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (*cap > SIZE_MAX / 2 / size)
		return -ENOMEM;
	ncap = *cap ? *cap * 2 : 8;
	/* @v holds a T *: read and write it as bytes, whatever T is. */
	memcpy(&p, v, sizeof(p));
	p = realloc(p, ncap * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	memcpy(v, &p, sizeof(p));
	*cap = ncap;
	return 0;
}
