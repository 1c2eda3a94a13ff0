/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_FIELDSEL_H
#define PODNET_FIELDSEL_H

/*
 * Field selectors as kube-apiserver takes them (fields.ParseSelector, then
 * each kind's supported field labels): terms "field=value",
 * "field==value", "field!=value", ANDed, with "\," "\=" "\\" escapes in
 * values.  Refusals carry its messages:
 *   invalid selector: 'x'; can't understand 'x'
 *   invalid field selector: invalid escape sequence: \q
 *   field label not supported: spec.foo
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "apires.h"

struct fieldsel_term {
	char *field;
	char *value;
	bool not_equal;
};

struct fieldsel {
	struct fieldsel_term *terms;
	size_t n;
};

/* 0, or -EINVAL with *msg (heap) kube-apiserver's message; -ENOMEM. */
int fieldsel_parse(const char *s, enum api_kind kind, struct fieldsel **out, char **msg);
void fieldsel_free(struct fieldsel *f);
bool fieldsel_matches(const struct fieldsel *f, enum api_kind kind, json_t *obj);
/* The value @f requires for @field with "=" (e.g. metadata.name for a
 * single-object watch), or NULL. */
const char *fieldsel_equals(const struct fieldsel *f, const char *field);

#endif
