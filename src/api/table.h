/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_TABLE_H
#define PODNET_TABLE_H

/*
 * Server-side printing (meta.k8s.io/v1 Table): what `kubectl get` asks for
 * with "Accept: application/json;as=Table;v=v1;g=meta.k8s.io".  The columns
 * and cells are kube-apiserver's for each kind (its printers), wide
 * columns included with priority 1 (kubectl shows them for -o wide).
 */

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "apires.h"

enum table_include { TABLE_INCLUDE_METADATA = 0, TABLE_INCLUDE_NONE, TABLE_INCLUDE_OBJECT };

/* The Accept header asks for a Table (v1, or v1beta1 which is the same). */
bool table_wanted(const char *accept);
/* includeObject=None|Metadata|Object; -1 for anything else. */
int table_parse_include(const char *s);

/*
 * A Table of @objs (a JSON array of objects of @kind) at @now.  @rv is
 * the list's resourceVersion (NULL: none, as in a watch event); @cont the
 * continue token, if any.
 */
json_t *table_build(enum api_kind kind, json_t *objs, enum table_include inc, time_t now,
		    const char *rv, const char *cont);

/*
 * The same Table as text (compact JSON and a newline, as sent), assembled
 * from the objects' serialized forms (cache_list_texts(): @texts the
 * objects, @metas their metadata; NULL entries are serialized here) so
 * that only the cells are made per request.  *len its length; NULL when
 * out of memory.
 */
char *table_text(enum api_kind kind, json_t *objs, json_t *texts, json_t *metas,
		 enum table_include inc, time_t now, const char *rv, const char *cont, size_t *len);

/* Go's duration.HumanDuration, as the Age column prints it. */
void table_human_duration(long long seconds, char *buf, size_t n);
/* An RFC 3339 timestamp's age, "<unknown>" for none. */
void table_age(const char *ts, time_t now, char *buf, size_t n);

#endif
