/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_LABELSEL_H
#define PODNET_LABELSEL_H

/*
 * Label selectors exactly as Kubernetes parses them (labels.Parse in
 * k8s.io/apimachinery): equality-based (`app=web`, `app==web`, `tier!=db`)
 * and set-based (`env in (prod,qa)`, `env notin (dev)`, `gpu`, `!gpu`),
 * plus the `>`/`<` integer comparisons the parser also accepts.
 * Requirements are ANDed; an empty selector matches everything.
 *
 * A malformed selector is refused with the message Kubernetes gives for it
 * (what kube-apiserver answers with 400 BadRequest), e.g.
 *   unable to parse requirement: found '', expected: ',' or ')'
 *   found ',', expected: !, identifier, or 'end of string'
 *   unable to parse requirement: values[0][app]: Invalid value: "a b": a valid label must be ...
 */

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "pod.h"
#include "util.h"

enum labelsel_op {
	LABELSEL_IN,
	LABELSEL_NOT_IN,
	LABELSEL_EQUALS,        /* "=" */
	LABELSEL_DOUBLE_EQUALS, /* "==" */
	LABELSEL_NOT_EQUALS,
	LABELSEL_EXISTS,
	LABELSEL_DOES_NOT_EXIST,
	LABELSEL_GREATER_THAN,
	LABELSEL_LESS_THAN,
};

struct labelsel_req {
	char *key;
	enum labelsel_op op;
	char **values;          /* sorted, no duplicates (a Go sets.String) */
	size_t n_values;
};

struct labelsel {
	struct labelsel_req *reqs;   /* sorted by key, as Kubernetes keeps them */
	size_t n;
};

/* Parse @s.  On failure *out is NULL, err->msg holds Kubernetes' message
 * and the code is PN_E_BAD_REQUEST. */
int labelsel_parse(const char *s, struct labelsel **out, struct pn_err *err) PN_MUST_CHECK;
void labelsel_free(struct labelsel *sel);

/* A label lookup: the value of @key, or NULL when the object has no such
 * label (an empty value is "" and counts as present). */
typedef const char *(*labelsel_lookup_fn)(void *ctx, const char *key);

bool labelsel_matches(const struct labelsel *sel, labelsel_lookup_fn get, void *ctx);
/* The same over a pod's or namespace's labels. */
bool labelsel_matches_kvs(const struct labelsel *sel, const struct pn_kvs *labels);
bool labelsel_empty(const struct labelsel *sel);

#endif
