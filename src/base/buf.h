/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_BUF_H
#define PODNET_BUF_H

/*
 * Growable memory: text built piece by piece (a JSONPath result, the
 * canonical form of a manifest, the node graph), and arrays that grow by
 * one element at a time.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A NUL-terminated string that grows as it is appended to.  Start from
 * `struct pn_buf b = { 0 }` (optionally with .limit).  An append that
 * cannot be made, for want of memory or because it would pass the limit,
 * is dropped whole and marks the buffer failed; every later append is then
 * dropped too, so a builder appends freely and checks `failed` once, at
 * the end, as a stdio user checks ferror() once before fclose().
 */
struct pn_buf {
	char *s;          /* NULL until the first append, then always terminated */
	size_t len;       /* strlen(s) unless the text holds NULs */
	size_t cap;
	size_t limit;     /* 0: none; else len never passes it */
	bool failed;      /* an append was dropped */
	bool over;        /* ...because of the limit (else memory) */
};

void pn_buf_add(struct pn_buf *b, const char *s, size_t n);
void pn_buf_puts(struct pn_buf *b, const char *s);
void pn_buf_putc(struct pn_buf *b, char c);
void pn_buf_printf(struct pn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pn_buf_vprintf(struct pn_buf *b, const char *fmt, va_list ap);
/* A new heap string printed from @fmt, or NULL when out of memory. */
char *pn_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Give the caller the string (heap, "" when nothing was added; NULL when
 * failed) and start over empty. */
char *pn_buf_take(struct pn_buf *b);
/* Frees the text and starts over empty; the limit stays. */
void pn_buf_reset(struct pn_buf *b);

/*
 * Make room for element @n of an array of @size-byte elements whose
 * capacity is *@cap; @v is the address of the array's pointer (T **).
 * When n == *cap the array doubles (8 elements at first) and the new
 * slots are zeroed, so element n may then be filled field by field.
 * Returns 0 or -ENOMEM (the array is then unchanged).
 */
int pn_grow(void *v, size_t *cap, size_t n, size_t size) __attribute__((warn_unused_result));

#endif
