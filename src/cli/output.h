/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_OUTPUT_H
#define PODNET_OUTPUT_H

/*
 * Printing the way kubectl and crictl print: their tables, their AGE and
 * CREATED columns, truncated IDs, `-o name` and `-o json`.  The only place
 * in the library that writes, and only to the FILE it is given.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "util.h"

/* What kubectl's pod printer puts in an empty IP, NODE, ... cell. */
#define OUTPUT_NONE "<none>"
/* crictl shows 64-hex container and pod IDs cut to this length. */
#define OUTPUT_ID_SHORT 13
#define OUTPUT_AGE_LEN 32
#define OUTPUT_TIME_LEN 96

enum table_style {
	/*
	 * cli-runtime's printers: tabwriter with minwidth 6, padding 3.
	 * A NULL cell prints "<none>"; with no rows nothing is printed (kubectl
	 * then says "No resources found" on stderr, which is the caller's).
	 * Newlines cut a cell to "first line..." and ESC prints as "^[".
	 */
	TABLE_KUBECTL,
	/* crictl's tabwriter: minwidth 20, padding 3; the header always prints. */
	TABLE_CRICTL,
};

struct table;

/* @headers: @ncols strings, copied ("NAME", "READY", ...). */
int table_new(enum table_style style, size_t ncols, const char *const headers[],
	      struct table **out, struct pn_err *err) PN_MUST_CHECK;
/* @cells: @ncols strings (or NULL), copied. */
int table_add_row(struct table *t, const char *const cells[], struct pn_err *err) PN_MUST_CHECK;
size_t table_nrows(const struct table *t);
/*
 * Columns left aligned, each as wide as its widest cell (in runes) plus 3
 * spaces and never narrower than the style's minimum; the last column is
 * not padded, so lines carry no trailing blanks.  @headers false is
 * kubectl's --no-headers.  Returns -EIO if @f reports a write error.
 */
int table_print(const struct table *t, FILE *f, bool headers, struct pn_err *err) PN_MUST_CHECK;
void table_free(struct table *t);

/*
 * kubectl's AGE (apimachinery duration.HumanDuration of now - then):
 * "59s", "119s", "2m", "9m59s", "10m", "179m", "3h", "7h59m", "8h", "47h",
 * "2d", "7d23h", "8d", "729d", "2y", "7y364d", "8y"; "0s" for a clock one
 * second behind, "<invalid>" further behind, "<unknown>" when @then is 0
 * (an unset timestamp).
 */
const char *format_age(time_t then, time_t now, char buf[OUTPUT_AGE_LEN]);

/*
 * crictl's CREATED: go-units HumanDuration + " ago", from nanosecond
 * times as the CRI reports them: "Less than a second ago", "1 second ago",
 * "About a minute ago", "3 hours ago", "2 weeks ago", "2 years ago".
 */
const char *format_age_crictl(int64_t then_ns, int64_t now_ns, char buf[OUTPUT_AGE_LEN]);

/* kubectl's RESTARTS: "0", or "3 (5m ago)" once a container restarted. */
const char *format_restarts(int restarts, time_t last_restart, time_t now,
			    char buf[OUTPUT_AGE_LEN + 16]);

/*
 * Go's time.Format(time.RFC3339Nano) in UTC of @ns since the epoch, as
 * crictl prints CRI times: "2024-05-01T12:00:00.12345Z" (trailing zeros of
 * the fraction dropped, no fraction when whole); @set false is Go's zero
 * time.Time, "0001-01-01T00:00:00Z" (crictl's unset startedAt/finishedAt).
 */
const char *format_rfc3339nano(int64_t ns, bool set, char buf[OUTPUT_TIME_LEN]);
/* Go's time.Time.String() in UTC: "2024-05-01 12:00:00.12345 +0000 UTC". */
const char *format_go_time(int64_t ns, char buf[OUTPUT_TIME_LEN]);

/* The first @n bytes of @id into @buf (of @size bytes), as crictl shows IDs. */
const char *truncate_id(const char *id, size_t n, char *buf, size_t size);

/*
 * `-o name`: "pod/NAME", "deployment.apps/NAME" when @group is set, and
 * " OPERATION" appended when given ("pod/pod1 created").  @kind is
 * lowercased as kubectl does.  Returns 0 or -EIO.
 */
int output_name(FILE *f, const char *kind, const char *group, const char *name,
		const char *operation) PN_MUST_CHECK;

/* `-o json`: 4-space indent, keys sorted, Go's escaping, then a newline. */
int output_json(FILE *f, json_t *obj, struct pn_err *err) PN_MUST_CHECK;

/* crictl's JSON (protojson, then json.Indent): 2-space indent, members in
 * @obj's order, then a newline. */
int output_json_crictl(FILE *f, json_t *obj, struct pn_err *err) PN_MUST_CHECK;

#endif
