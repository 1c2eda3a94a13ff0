/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubectl- and crictl-shaped output.  The layouts follow what their code
 * does, not what it looks like: cli-runtime/pkg/printers (tabwriter.go,
 * tableprinter.go, terminal.go, name.go), apimachinery util/duration,
 * docker/go-units duration.go and crictl's table display.
 */
#include "output.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonpath.h"

struct table {
	enum table_style style;
	size_t ncols;
	char **headers;
	char **cells; /* nrows * ncols, already made safe to print */
	size_t nrows, cap;
};

/* Go's text/tabwriter settings each tool passes to NewWriter. */
static size_t style_minwidth(enum table_style s)
{
	return s == TABLE_CRICTL ? 20 : 6;
}

#define TABLE_PADDING 3

/*
 * What a cell becomes on the way into the tabwriter.  kubectl cuts a value
 * at the first line break, adds "...", and shows ESC as "^[" so names
 * cannot drive the terminal (issue #101695).  Tabs and vertical tabs would
 * split the cell in Go's tabwriter and misalign the row; we print a space.
 */
static char *cell_text(enum table_style style, const char *s)
{
	size_t n, o = 0;
	char *out;

	if (!s)
		s = style == TABLE_KUBECTL ? OUTPUT_NONE : "";
	n = strcspn(s, "\f\n\r");
	out = malloc(2 * n + 4);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\x1b') {
			out[o++] = '^';
			out[o++] = '[';
		} else if (s[i] == '\t' || s[i] == '\v') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	if (s[n] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* utf8.RuneCount: what tabwriter measures; each invalid byte counts one. */
static size_t rune_count(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		size_t w = 1, need = 0;

		if (*p >= 0xc2 && *p <= 0xdf)
			need = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			need = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			need = 3;
		for (size_t i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				need = 0;
				break;
			}
		}
		/* Overlong 3/4-byte forms, surrogates and > U+10FFFF are invalid. */
		if (need == 2 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f)))
			need = 0;
		if (need == 3 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f)))
			need = 0;
		w += need;
		p += w;
		n++;
	}
	return n;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->headers && i < t->ncols; i++)
		free(t->headers[i]);
	free(t->headers);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int table_new(enum table_style style, size_t ncols, const char *const headers[],
	      struct table **out, struct pn_err *err)
{
	struct table *t = NULL;
	int ret;

	*out = NULL;
	if (ncols == 0 || !headers)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "a table needs at least one column");
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->style = style;
	t->ncols = ncols;
	t->headers = calloc(ncols, sizeof(*t->headers));
	if (!t->headers)
		goto nomem;
	for (size_t i = 0; i < ncols; i++) {
		t->headers[i] = cell_text(style, headers[i] ? headers[i] : "");
		if (!t->headers[i])
			goto nomem;
	}
	*out = t;
	return 0;
nomem:
	ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory building a table");
	table_free(t);
	return ret;
}

int table_add_row(struct table *t, const char *const cells[], struct pn_err *err)
{
	size_t base = t->nrows * t->ncols;

	/* A row is ncols cells: the capacity counts rows. */
	if (pn_grow(&t->cells, &t->cap, t->nrows, t->ncols * sizeof(*t->cells)))
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory building a table");
	for (size_t i = 0; i < t->ncols; i++) {
		t->cells[base + i] = cell_text(t->style, cells[i]);
		if (!t->cells[base + i]) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory building a table");
		}
	}
	t->nrows++;
	return 0;
}

size_t table_nrows(const struct table *t)
{
	return t ? t->nrows : 0;
}

static void print_line(FILE *f, char *const *cells, size_t ncols, const size_t *widths)
{
	for (size_t c = 0; c < ncols; c++) {
		fputs(cells[c], f);
		/* Go's tabwriter never pads the cell after the last tab. */
		if (c + 1 < ncols)
			for (size_t w = rune_count(cells[c]); w < widths[c]; w++)
				fputc(' ', f);
	}
	fputc('\n', f);
}

int table_print(const struct table *t, FILE *f, bool headers, struct pn_err *err)
{
	size_t *widths;

	if (t->nrows == 0 && t->style == TABLE_KUBECTL)
		return 0;
	widths = calloc(t->ncols, sizeof(*widths));
	if (!widths)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory printing a table");
	/* A column is its widest cell plus padding, and at least minwidth. */
	for (size_t c = 0; c < t->ncols; c++) {
		widths[c] = style_minwidth(t->style);
		if (headers && rune_count(t->headers[c]) + TABLE_PADDING > widths[c])
			widths[c] = rune_count(t->headers[c]) + TABLE_PADDING;
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = rune_count(t->cells[r * t->ncols + c]) + TABLE_PADDING;

			if (w > widths[c])
				widths[c] = w;
		}
	}
	if (headers)
		print_line(f, t->headers, t->ncols, widths);
	for (size_t r = 0; r < t->nrows; r++)
		print_line(f, t->cells + r * t->ncols, t->ncols, widths);
	free(widths);
	if (ferror(f))
		return pn_error(err, PN_E_KERNEL, EIO, "writing the table failed");
	return 0;
}

/*
 * duration.HumanDuration: about three significant figures, the unit pair
 * chosen by magnitude.  Whole seconds are exact here because Kubernetes
 * timestamps have second resolution.
 */
const char *format_age(time_t then, time_t now, char buf[OUTPUT_AGE_LEN])
{
	int64_t d, m, h;

	if (then == 0) {
		snprintf(buf, OUTPUT_AGE_LEN, "<unknown>");
		return buf;
	}
	d = (int64_t)now - (int64_t)then;
	/* Tolerate a clock up to a second behind, as apimachinery does. */
	if (d < -1)
		snprintf(buf, OUTPUT_AGE_LEN, "<invalid>");
	else if (d < 0)
		snprintf(buf, OUTPUT_AGE_LEN, "0s");
	else if (d < 120)
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 "s", d);
	else if ((m = d / 60) < 10)
		snprintf(buf, OUTPUT_AGE_LEN, d % 60 ? "%" PRId64 "m%" PRId64 "s" : "%" PRId64 "m",
			 m, d % 60);
	else if (m < 180)
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 "m", m);
	else if ((h = d / 3600) < 8)
		snprintf(buf, OUTPUT_AGE_LEN, m % 60 ? "%" PRId64 "h%" PRId64 "m" : "%" PRId64 "h",
			 h, m % 60);
	else if (h < 48)
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 "h", h);
	else if (h < 24 * 8)
		snprintf(buf, OUTPUT_AGE_LEN, h % 24 ? "%" PRId64 "d%" PRId64 "h" : "%" PRId64 "d",
			 h / 24, h % 24);
	else if (h < 24 * 365 * 2)
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 "d", h / 24);
	else if (h < 24 * 365 * 8)
		snprintf(buf, OUTPUT_AGE_LEN,
			 (h / 24) % 365 ? "%" PRId64 "y%" PRId64 "d" : "%" PRId64 "y",
			 h / 24 / 365, (h / 24) % 365);
	else
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 "y", h / 24 / 365);
	return buf;
}

/*
 * go-units HumanDuration.  Hours are rounded to the nearest (so 1h29m is
 * "About an hour" and 1h31m "2 hours") and every longer unit is derived
 * from those rounded hours, except years, which truncate.
 */
const char *format_age_crictl(int64_t then_ns, int64_t now_ns, char buf[OUTPUT_AGE_LEN])
{
	const int64_t sec = 1000000000, hour = 3600 * sec;
	int64_t d = now_ns - then_ns, s = d / sec, m = d / (60 * sec), h;

	if (s < 1) {
		snprintf(buf, OUTPUT_AGE_LEN, "Less than a second ago");
	} else if (s == 1) {
		snprintf(buf, OUTPUT_AGE_LEN, "1 second ago");
	} else if (s < 60) {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " seconds ago", s);
	} else if (m == 1) {
		snprintf(buf, OUTPUT_AGE_LEN, "About a minute ago");
	} else if (m < 60) {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " minutes ago", m);
	} else if ((h = (d + hour / 2) / hour) == 1) {
		snprintf(buf, OUTPUT_AGE_LEN, "About an hour ago");
	} else if (h < 48) {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " hours ago", h);
	} else if (h < 24 * 7 * 2) {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " days ago", h / 24);
	} else if (h < 24 * 30 * 2) {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " weeks ago", h / 24 / 7);
	} else if (h < 24 * 365 * 2) {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " months ago", h / 24 / 30);
	} else {
		snprintf(buf, OUTPUT_AGE_LEN, "%" PRId64 " years ago", d / hour / 24 / 365);
	}
	return buf;
}

const char *format_restarts(int restarts, time_t last_restart, time_t now,
			    char buf[OUTPUT_AGE_LEN + 16])
{
	char age[OUTPUT_AGE_LEN];

	if (restarts != 0 && last_restart != 0)
		snprintf(buf, OUTPUT_AGE_LEN + 16, "%d (%s ago)", restarts,
			 format_age(last_restart, now, age));
	else
		snprintf(buf, OUTPUT_AGE_LEN + 16, "%d", restarts);
	return buf;
}

const char *format_rfc3339nano(int64_t ns, bool set, char buf[OUTPUT_TIME_LEN])
{
	time_t t;
	struct tm tm;
	long frac;
	char digits[16];
	int nd;

	if (!set) {
		snprintf(buf, OUTPUT_TIME_LEN, "0001-01-01T00:00:00Z");
		return buf;
	}
	t = (time_t)(ns / 1000000000);
	frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		t--;
	}
	gmtime_r(&t, &tm);
	nd = snprintf(digits, sizeof(digits), "%09ld", frac);
	while (nd > 0 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	snprintf(buf, OUTPUT_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%s%sZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nd ? "." : "", digits);
	return buf;
}

const char *format_go_time(int64_t ns, char buf[OUTPUT_TIME_LEN])
{
	time_t t = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	char digits[16];
	int nd;

	gmtime_r(&t, &tm);
	nd = snprintf(digits, sizeof(digits), "%09ld", frac < 0 ? 0 : frac);
	while (nd > 0 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	snprintf(buf, OUTPUT_TIME_LEN, "%04d-%02d-%02d %02d:%02d:%02d%s%s +0000 UTC", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nd ? "." : "", digits);
	return buf;
}

const char *truncate_id(const char *id, size_t n, char *buf, size_t size)
{
	size_t len = strlen(id);

	if (len > n)
		len = n;
	if (size == 0)
		return buf;
	if (len >= size)
		len = size - 1;
	memcpy(buf, id, len);
	buf[len] = '\0';
	return buf;
}

int output_name(FILE *f, const char *kind, const char *group, const char *name,
		const char *operation)
{
	for (const char *k = kind; *k; k++)
		fputc(tolower((unsigned char)*k), f);
	if (group && *group)
		fprintf(f, ".%s", group);
	fprintf(f, "/%s", name && *name ? name : "<unknown>");
	if (operation && *operation)
		fprintf(f, " %s", operation);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int output_json(FILE *f, json_t *obj, struct pn_err *err)
{
	size_t len = 0;
	char *s = NULL;
	int ret;

	ret = jsonpath_marshal(obj, 4, &s, &len, err);
	if (ret < 0)
		return ret;
	fwrite(s, 1, len, f);
	fputc('\n', f);
	free(s);
	if (ferror(f))
		return pn_error(err, PN_E_KERNEL, EIO, "writing JSON failed");
	return 0;
}

int output_json_crictl(FILE *f, json_t *obj, struct pn_err *err)
{
	char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!s)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	fputs(s, f);
	fputc('\n', f);
	free(s);
	if (ferror(f))
		return pn_error(err, PN_E_KERNEL, EIO, "writing JSON failed");
	return 0;
}
