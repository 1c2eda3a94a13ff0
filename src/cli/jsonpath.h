/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_JSONPATH_H
#define PODNET_JSONPATH_H

/*
 * kubectl's JSONPath template language (`-o jsonpath=TEMPLATE`), following
 * k8s.io/client-go/util/jsonpath: the same grammar, the same evaluation
 * quirks and the same error texts, so a template behaves in podnet as it
 * does against a cluster.
 *
 * Differences a user could notice, all deliberate:
 *  - Map members are visited in document order; Go visits them in random
 *    order, so any fixed order is one kubectl could have printed.
 *  - Templates nested absurdly deep, or whose evaluation would produce more
 *    than 1M intermediate values (a full node of 110 pods needs thousands)
 *    or 64 MiB of output, fail with an error where Go would run until it
 *    exhausts memory.
 *  - Letters outside ASCII are told apart from other runes by block, not
 *    by Go's full Unicode tables (it only matters for bare identifiers).
 *
 * Errors carry PN_E_BAD_REQUEST and a message worded as client-go's; a parse
 * error's details give the byte offset in the template where it stopped.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "util.h"

struct jsonpath;

/*
 * Parse a template.  Text outside {} is literal.  Like kubectl, a template
 * without braces is not wrapped: ".status.podIP" prints itself.
 */
int jsonpath_parse(const char *tmpl, struct jsonpath **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * Execute against @root, returning the text in *out (heap, NUL-terminated,
 * caller frees; no newline is added).  @allow_missing_keys is what
 * `kubectl get -o jsonpath` passes (true unless
 * --allow-missing-template-keys=false): a missing field prints nothing
 * instead of failing with "<field> is not found".
 */
int jsonpath_execute(const struct jsonpath *jp, json_t *root, bool allow_missing_keys,
		     char **out, struct pn_err *err) PN_MUST_CHECK;

/*
 * `-o jsonpath-as-json=TEMPLATE`: the same evaluation, but the values of
 * each part of the template (each {...} and each piece of text) are printed
 * as one JSON list, indented by 4 spaces, followed by a newline.
 */
int jsonpath_execute_as_json(const struct jsonpath *jp, json_t *root, bool allow_missing_keys,
			     char **out, struct pn_err *err) PN_MUST_CHECK;

void jsonpath_free(struct jsonpath *jp);

/*
 * Encode @v the way Go's encoding/json does for kubectl's unstructured
 * objects: keys sorted, <>& and U+2028/2029 escaped, numbers as Go prints
 * them.  indent 0 is json.Marshal (compact, what jsonpath prints for maps
 * and lists); indent 4 is `kubectl get -o json`'s MarshalIndent.  No
 * trailing newline.
 */
int jsonpath_marshal(json_t *v, int indent, char **out, size_t *len, struct pn_err *err) PN_MUST_CHECK;

#endif
